//! Runs a whole-query change for the command task: the writes go through `bulk::run` (bounded
//! concurrency, batches, a stop looked at between batches) and progress comes back as messages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::msg::{Msg, RequestId};
use crate::api::GeoboxClient;
use crate::bulk::{self, Change, Targets};

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
