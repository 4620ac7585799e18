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
    /// The admin said yes to writing over the file at `path`.
    pub overwrite: bool,
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
    let mut pager = Pager::new(job.view);
    // The first page is read before the file is opened: a refused or failed read leaves no
    // file behind, empty or otherwise.
    let first = pager.next_page(client).await?;
    let (path, overwrite) = (job.path.clone(), job.overwrite);
    let mut out = off_loop(move || open_export(&path, overwrite).map(BufWriter::new))
        .await
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => ExportError::Exists {
                path: job.path.clone(),
            },
            _ => ExportError::Create {
                path: job.path.clone(),
                source: Arc::new(source),
            },
        })?;
    let write_error = |source: io::Error| ExportError::Write {
        path: job.path.clone(),
        source: Arc::new(source),
    };
    let started = Instant::now();
    let (mut pages, mut written, mut stopped) = (0, 0, false);
    let mut next = first;
    while let Some(page) = next.take() {
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
        next = pager.next_page(client).await?;
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

/// Opens the export's file, a file the admin named: a new one, never written over what is at
/// the path (a file, or a link someone planted there: `AlreadyExists`), unless `overwrite`, the
/// admin's yes to writing over a plain file of their own. A link is never followed.
fn open_export(path: &std::path::Path, overwrite: bool) -> io::Result<File> {
    if overwrite {
        paths::replace_private(path)
    } else {
        paths::create_new_private(path)
    }
}

/// Appends `text` to the export's file on a blocking thread, handing the file back.
async fn write_text(mut out: BufWriter<File>, text: String) -> io::Result<BufWriter<File>> {
    off_loop(move || {
        out.write_all(text.as_bytes())?;
        Ok(out)
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use geobox_api::Auth;

    #[test]
    fn an_export_never_writes_over_a_file_or_through_a_link_unasked() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let fresh = dir.path().join("fresh.csv");
        assert!(open_export(&fresh, false).is_ok(), "a new file is created");
        let kept = dir.path().join("kept.csv");
        std::fs::write(&kept, "the admin's own data").expect("written");
        let refused = open_export(&kept, false).expect_err("a file is there");
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            std::fs::read_to_string(&kept).expect("read"),
            "the admin's own data",
            "untouched until the admin says yes"
        );
        assert!(open_export(&kept, true).is_ok(), "written over after a yes");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_is_never_followed() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let target = dir.path().join("bashrc");
        std::fs::write(&target, "export PATH=/usr/bin").expect("written");
        let link = dir.path().join("users.csv");
        std::os::unix::fs::symlink(&target, &link).expect("a link");
        // Refused outright, with or without a yes: nothing is written through a link.
        for overwrite in [false, true] {
            let refused = open_export(&link, overwrite).expect_err("a link is there");
            assert_eq!(refused.kind(), io::ErrorKind::PermissionDenied, "{refused}");
            assert!(refused.to_string().contains("symbolic link"), "{refused}");
        }
        assert_eq!(
            std::fs::read_to_string(&target).expect("read"),
            "export PATH=/usr/bin"
        );
    }

    #[tokio::test]
    async fn a_refused_first_page_leaves_no_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("users.csv");
        // Nothing listens on port 9: the first page fails, as a 403 would.
        let client = GeoboxClient::new(
            "http://127.0.0.1:9",
            Auth::Anonymous,
            Duration::from_secs(1),
        )
        .expect("a client");
        let (results, mut answers) = mpsc::unbounded_channel();
        let job = ExportJob {
            request: RequestId(1),
            view: View::default(),
            path: path.clone(),
            format: Format::Csv,
            overwrite: false,
        };
        export(Arc::new(client), results, job, BulkStops::default()).await;
        let finished = answers.recv().await.expect("an answer");
        assert!(
            matches!(
                finished,
                Msg::ExportFinished {
                    result: Err(ExportError::Api(_)),
                    ..
                }
            ),
            "{finished:?}"
        );
        assert!(!path.exists(), "no empty file left behind");
    }
}
