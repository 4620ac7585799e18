//! The command runner's file work: the journal, the saved views of the config file, and the
//! pages of an export. Every read and write runs on tokio's blocking threads (or, for the
//! journal, a writer of its own that keeps entries in order), never on the runner's loop, so
//! a slow disk holds up no request and no key.

use std::io;
use std::sync::Arc;
use std::sync::mpsc as channel;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::msg::{JournalReadError, Msg, SavedViews};
use geobox_ops::config::ConfigError;
use geobox_ops::journal::{Entry, Filter, Journal, Sharing};
use geobox_ops::views::{View, ViewStore};

/// Runs blocking file work on tokio's blocking threads and waits for it without blocking.
pub async fn off_loop<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|stopped| Err(io::Error::other(stopped)))
}

/// While entries wait to be sent to the team journal, it is tried again this often.
const SHARE_AGAIN_EVERY: Duration = Duration::from_secs(20);

/// Appends the console's journal entries one after the other, in the order they were given,
/// on a blocking thread of its own. With a team journal it also sends what waits (at start,
/// after each entry, and every little while until nothing waits), and tells the loop how
/// many entries are not shared yet whenever that changes.
pub struct JournalWriter {
    entries: channel::Sender<Box<Entry>>,
    written: JoinHandle<()>,
}

impl JournalWriter {
    /// Starts the writer of `journal` (none: entries are not kept, and each says so in the log).
    pub fn start(journal: Option<Journal>, results: mpsc::UnboundedSender<Msg>) -> JournalWriter {
        let (entries, queue) = channel::channel::<Box<Entry>>();
        let written = tokio::task::spawn_blocking(move || {
            let mut said = Sharing::default();
            let mut tell = |sharing: Sharing| {
                if sharing != said {
                    said = sharing.clone();
                    let _ = results.send(Msg::JournalShared(sharing));
                }
            };
            if let Some(journal) = &journal {
                tell(journal.share());
            }
            loop {
                let waiting = journal.as_ref().is_some_and(|j| j.waiting().waiting > 0);
                let next = if waiting {
                    queue.recv_timeout(SHARE_AGAIN_EVERY)
                } else {
                    queue
                        .recv()
                        .map_err(|_| channel::RecvTimeoutError::Disconnected)
                };
                match next {
                    Ok(entry) => append(journal.as_ref(), &entry),
                    Err(channel::RecvTimeoutError::Timeout) => {}
                    Err(channel::RecvTimeoutError::Disconnected) => break,
                }
                if let Some(journal) = &journal {
                    // An append already tried to send; a quiet moment tries again.
                    tell(if waiting {
                        journal.share()
                    } else {
                        journal.waiting()
                    });
                }
            }
        });
        JournalWriter { entries, written }
    }

    /// Hands an entry over to be appended after those handed over before it.
    pub fn append(&self, entry: Box<Entry>) {
        if let Err(unsent) = self.entries.send(entry) {
            tracing::warn!(id = %unsent.0.id, "the journal writer stopped, so a write was not journaled");
        }
    }

    /// Waits until every entry handed over is written.
    pub async fn finish(self) {
        drop(self.entries);
        if let Err(error) = self.written.await {
            tracing::warn!(%error, "the journal writer stopped early");
        }
    }
}

/// A journal that cannot be written costs the entry, never the write: it is logged.
fn append(journal: Option<&Journal>, entry: &Entry) {
    let Some(journal) = journal else {
        tracing::warn!(id = %entry.id, "no data directory, so a write was not journaled");
        return;
    };
    if let Err(error) = journal.append(entry) {
        tracing::warn!(id = %entry.id, %error, "a write was not journaled");
    }
}

/// Earlier entries of the journal that `filter` lets through, newest first.
pub fn read_journal(
    journal: Option<&Journal>,
    filter: &Filter,
) -> Result<Vec<Entry>, JournalReadError> {
    let journal = journal.ok_or(JournalReadError::NoDataDirectory)?;
    journal
        .read(filter)
        .map(|found| found.entries)
        .map_err(|error| JournalReadError::Unreadable(Arc::new(error)))
}

/// What to do to the saved views.
#[derive(Clone, Debug)]
pub enum ViewOp {
    List,
    Save { name: String, view: View },
    Delete { name: String },
    Rename { from: String, to: String },
}

/// Does `op` to the config file's views (a small file: read and written in place) and reads
/// them back; what was done is said when it went through.
pub fn view_file(
    store: &ViewStore,
    op: ViewOp,
) -> (Option<String>, Result<SavedViews, ConfigError>) {
    let done = match op {
        ViewOp::List => Ok(None),
        ViewOp::Save { name, view } => store
            .save(&name, &view)
            .map(|()| Some(format!("Saved the view '{name}'"))),
        ViewOp::Delete { name } => store
            .delete(&name)
            .map(|_| Some(format!("Deleted the view '{name}'"))),
        ViewOp::Rename { from, to } => store.list().and_then(|views| {
            let Some(view) = views.get(&from) else {
                return Ok(Some(format!("No saved view '{from}' to rename")));
            };
            store.save(&to, view)?;
            store.delete(&from)?;
            Ok(Some(format!("Renamed the view '{from}' to '{to}'")))
        }),
    };
    let listed = store.list().map(|views| views.into_iter().collect());
    match done {
        Ok(said) => (said, listed),
        Err(error) => (None, Err(error)),
    }
}

#[cfg(test)]
mod tests {
    use geobox_ops::journal::{Action, Outcome, Tool};

    use super::*;

    fn entry(id: &str) -> Box<Entry> {
        let mut entry = Entry::new(
            "http://127.0.0.1:1/v1/",
            Tool::Console,
            Action::Update,
            Outcome::Ok,
        );
        entry.id = id.to_string();
        Box::new(entry)
    }

    #[tokio::test]
    async fn the_writer_appends_in_the_order_given_and_finish_waits_for_the_last() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let journal = Journal::new(dir.path());
        let (results, _answers) = mpsc::unbounded_channel();
        let writer = JournalWriter::start(Some(journal.clone()), results);
        let ids: Vec<String> = (0..50).map(|n| format!("entry{n:04}")).collect();
        for id in &ids {
            writer.append(entry(id));
        }
        writer.finish().await;
        let read = read_journal(Some(&journal), &Filter::default()).expect("the journal reads");
        let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
        assert_eq!(
            read.iter()
                .map(|entry| entry.id.clone())
                .collect::<Vec<_>>(),
            newest_first
        );
    }

    #[test]
    fn without_a_data_directory_reading_says_how_to_set_one() {
        let error = read_journal(None, &Filter::default()).expect_err("nowhere to read");
        assert!(
            error.to_string().contains(geobox_ops::paths::DATA_DIR_VAR),
            "{error}"
        );
    }
}
