//! Long runs for the command task, each with a stop flag: a whole-query change, where the
//! writes go through `bulk::run` (bounded concurrency, batches, a stop looked at between
//! batches), and an export (every page of a view to a file, a stop looked at between pages,
//! the file written off the task's loop). Progress comes back as messages.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::files::off_loop;
use super::msg::{ExportDone, ExportError, Msg, RequestId};
use geobox_api::GeoboxClient;
use geobox_ops::bulk::{self, Change, Targets};
use geobox_ops::paths;
use geobox_ops::transfer::export::Pager;
use geobox_ops::transfer::output::{self, Format};
use geobox_ops::views::View;

/// Progress is sent at most this often (and once at the end), so ten thousand writes do not
/// queue ten thousand redraws.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The stop flag of every bulk run still going.
#[derive(Clone, Default)]
pub struct BulkStops(Arc<Mutex<HashMap<RequestId, Arc<AtomicBool>>>>);

impl BulkStops {
    /// A fresh flag for a run that starts.
    pub fn start(&self, request: RequestId) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.lock().insert(request, Arc::clone(&flag));
        flag
    }

    /// The flag of a started run (a fresh one if it was already stopped and forgotten).
    fn flag(&self, request: RequestId) -> Arc<AtomicBool> {
        let stopped = Arc::new(AtomicBool::new(true));
        self.lock().get(&request).cloned().unwrap_or(stopped)
    }

    /// Asks the run to stop after its current batch.
    pub fn stop(&self, request: RequestId) {
        if let Some(flag) = self.lock().remove(&request) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// The run ended: its flag is no longer needed.
    pub fn forget(&self, request: RequestId) {
        self.lock().remove(&request);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Arc<AtomicBool>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes `change` to every target, sending progress and then the summary to `results`.
pub async fn run(
    client: Arc<GeoboxClient>,
    results: mpsc::UnboundedSender<Msg>,
    request: RequestId,
    targets: Targets,
    change: Change,
    stops: BulkStops,
) {
    // Started by the command task before this run is spawned, so a stop cannot come first.
    let stop = stops.flag(request);
    let mut last_sent: Option<Instant> = None;
    let summary = bulk::run(&client, targets, &change, &stop, |progress| {
        let due = last_sent.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY);
        if due || progress.done == progress.total {
            last_sent = Some(Instant::now());
            // The loop is gone when the console quits; progress is then unwanted.
            let _ = results.send(Msg::BulkProgressed { request, progress });
        }
    })
    .await;
    stops.forget(request);
    let _ = results.send(Msg::BulkFinished {
        request,
        summary: Box::new(summary),
    });
}

/// What an export writes, and where.
pub struct ExportJob {
    pub request: RequestId,
    pub view: View,
    pub path: PathBuf,
    pub format: Format,
}

/// Writes every user of the view to the file, a page at a time (constant memory), sending
/// progress after each page; a stop is looked at between pages.
pub async fn export(
    client: Arc<GeoboxClient>,
    results: mpsc::UnboundedSender<Msg>,
    job: ExportJob,
    stops: BulkStops,
) {
    let request = job.request;
    let stop = stops.flag(request);
    let result = write_pages(&client, &results, job, &stop).await;
    stops.forget(request);
    let _ = results.send(Msg::ExportFinished { request, result });
}

async fn write_pages(
    client: &GeoboxClient,
    results: &mpsc::UnboundedSender<Msg>,
    job: ExportJob,
    stop: &AtomicBool,
) -> Result<ExportDone, ExportError> {
    // The count only sizes the bar; the pages are read to their end whatever it says.
    let total = client.count_users(&job.view.query()).await.unwrap_or(0) as usize;
    let path = job.path.clone();
    let mut out = off_loop(move || paths::create_private(&path).map(BufWriter::new))
        .await
        .map_err(|source| ExportError::Create {
            path: job.path.clone(),
            source: Arc::new(source),
        })?;
    let write_error = |source: io::Error| ExportError::Write {
        path: job.path.clone(),
        source: Arc::new(source),
    };
    let mut pager = Pager::new(job.view);
    let started = Instant::now();
    let (mut pages, mut written, mut stopped) = (0, 0, false);
    while let Some(page) = pager.next_page(client).await? {
        let text = output::render_page(&page, &output::USERS, job.format, pages == 0);
        out = write_text(out, text).await.map_err(write_error)?;
        pages += 1;
        written += page.len();
        let progress = bulk::Progress {
            done: written,
            total: total.max(written),
            elapsed: started.elapsed(),
        };
        let _ = results.send(Msg::ExportProgressed {
            request: job.request,
            progress,
        });
        if stop.load(Ordering::Relaxed) {
            stopped = true;
            break;
        }
    }
    let end = output::list_end(&output::USERS, job.format, pages);
    let mut out = write_text(out, end).await.map_err(write_error)?;
    off_loop(move || out.flush()).await.map_err(write_error)?;
    // Said as an absolute path, so the admin finds it whatever directory they think in.
    let path = job.path.clone();
    let path = off_loop(move || std::fs::canonicalize(&path))
        .await
        .unwrap_or(job.path);
    Ok(ExportDone {
        path,
        written,
        stopped,
    })
}

/// Appends `text` to the export's file on a blocking thread, handing the file back.
async fn write_text(mut out: BufWriter<File>, text: String) -> io::Result<BufWriter<File>> {
    off_loop(move || {
        out.write_all(text.as_bytes())?;
        Ok(out)
    })
    .await
}
