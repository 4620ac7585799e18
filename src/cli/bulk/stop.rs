//! Stopping a long run cleanly: Ctrl-C (SIGINT) and SIGTERM, which cron's `timeout`, systemd
//! and job runners send, both stop it after the current batch or page, so that it ends with
//! its summary and its journal entry instead of dying mid-write. A second signal stops the
//! process at once.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use super::super::note;

/// Exit codes of a process stopped at once by a second signal (128 + the signal's number).
const SIGINT_EXIT: i32 = 130;
const SIGTERM_EXIT: i32 = 143;

/// Which signal asked a run to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    CtrlC,
    Term,
}

impl Signal {
    /// `Ctrl-C`, `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::CtrlC => "Ctrl-C",
            Signal::Term => "SIGTERM",
        }
    }

    fn exit_code(self) -> i32 {
        match self {
            Signal::CtrlC => SIGINT_EXIT,
            Signal::Term => SIGTERM_EXIT,
        }
    }
}

/// Whether (and by which signal) a run was asked to stop.
#[derive(Clone, Debug)]
pub struct Stop {
    flag: Arc<AtomicBool>,
    by: Arc<OnceLock<Signal>>,
    /// Signals heard so far: the second stops the process.
    heard: Arc<AtomicU8>,
}

impl Stop {
    /// Listens for Ctrl-C and SIGTERM from now until the process ends. `what` names what is
    /// finished before stopping: "the current batch", "the current page".
    pub fn on_signals(what: &'static str) -> Stop {
        let stop = Stop {
            flag: Arc::new(AtomicBool::new(false)),
            by: Arc::new(OnceLock::new()),
            heard: Arc::new(AtomicU8::new(0)),
        };
        stop.listen(what);
        stop
    }

    /// Listeners made before returning, so a signal sent right after is already ours.
    #[cfg(unix)]
    fn listen(&self, what: &'static str) {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, which) in [
            (SignalKind::interrupt(), Signal::CtrlC),
            (SignalKind::terminate(), Signal::Term),
        ] {
            let Ok(mut listener) = signal(kind) else {
                continue;
            };
            let stop = self.clone();
            tokio::spawn(async move {
                while listener.recv().await.is_some() {
                    stop.heard(which, what);
                }
            });
        }
    }

    /// Only Unix has SIGTERM.
    #[cfg(not(unix))]
    fn listen(&self, what: &'static str) {
        let stop = self.clone();
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                stop.heard(Signal::CtrlC, what);
            }
        });
    }

    fn heard(&self, signal: Signal, what: &str) {
        if self.heard.fetch_add(1, Ordering::SeqCst) > 0 {
            note(&format!("{}: stopping now", signal.name()));
            std::process::exit(signal.exit_code());
        }
        let _ = self.by.set(signal);
        self.flag.store(true, Ordering::SeqCst);
        note(&format!(
            "{}: stopping after {what} (again to stop at once)",
            signal.name()
        ));
    }

    /// The flag a run looks at between batches.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    pub fn asked(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The signal that asked the run to stop, if one did.
    pub fn by(&self) -> Option<Signal> {
        self.by.get().copied()
    }
}
