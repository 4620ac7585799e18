//! One journal, two stores: [`JournalStore`] is what the CLI and the console ask of a journal,
//! whichever keeps it: the local store (SQLite in the data directory, the default) or the
//! team store (PostgreSQL, with the local store as the queue of entries not yet sent).
//! [`Journal`] is the handle both tools hold.

use std::fmt;
use std::io;
use std::ops::{ControlFlow, Deref};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::brief::Brief;
use super::entry::{Entry, random_text};
use super::filter::{Filter, JournalError};
use super::machine::hostname;
use super::place::JournalPlace;
use super::provenance::Undone;
use super::sqlite::LocalStore;
use super::team::TeamStore;
use crate::paths;

/// What a journal does, whichever store keeps it. Every method may block on the disk or the
/// network: the console calls them off its loop.
pub trait JournalStore: Send + Sync {
    /// Keeps one entry. An undo marks the entry it undid (when, by whom, whole or in part) in
    /// the same write, and lets go of the claim on it. Keeping an entry already kept (same id)
    /// changes nothing.
    fn append(&self, entry: &Entry) -> io::Result<()>;

    /// Hands each entry that passes `filter` to `each`, newest first, with its first user and
    /// how many users it wrote, until `each` breaks or the filter's limit is reached.
    fn scan_briefs(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Brief) -> ControlFlow<()>,
    ) -> io::Result<Scanned>;

    /// As [`scan_briefs`](JournalStore::scan_briefs), with every user of each entry.
    fn scan_entries(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> io::Result<Scanned>;

    /// The entry with this id, or the only one whose id starts with it.
    fn find(&self, id: &str) -> io::Result<Lookup>;

    /// Claims the undo of entry `id` before anything is written to Geobox, so that of two
    /// admins undoing it at once exactly one goes ahead. The claim ends when the undo is
    /// appended, or with [`release_undo`](JournalStore::release_undo) when none of its
    /// writes went through; one left by an undo that never finished lapses after
    /// [`CLAIM_LAPSES_AFTER_MINUTES`].
    fn claim_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<Claimed>;

    /// Lets go of a claim this undo holds (its writes all failed, or it was stopped).
    fn release_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<()>;

    /// Where the entries are, for people: a file, or a team journal's address without its
    /// password.
    fn describe(&self) -> String;

    /// Sends the entries that wait on this machine to the team journal, oldest first, and
    /// says how many still wait (none for a local journal).
    fn share(&self) -> Sharing;

    /// What waits to be sent, as last found, without reaching the team journal.
    fn waiting(&self) -> Sharing;

    /// What the store found out that people should hear once, such as an import of the
    /// JSON-lines journal of an earlier version.
    fn take_notices(&self) -> Vec<String>;
}

/// A claim left by an undo that never finished (the program was killed) lapses after this.
pub const CLAIM_LAPSES_AFTER_MINUTES: i64 = 15;

/// What a read found: the matching entries, newest first, and how many could not be read.
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub entries: Vec<Entry>,
    pub skipped: usize,
    /// What the reader should know about this read (the team journal could not be reached).
    pub notes: Vec<String>,
}

/// The answer of [`JournalStore::find`].
#[derive(Debug)]
pub enum Lookup {
    Found(Box<Entry>),
    Missing,
    /// A prefix that several ids share.
    Ambiguous(Vec<String>),
}

/// What a scan passed over, and what the reader should know about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Entries that could not be read: torn or edited lines, rows that do not parse.
    pub skipped: usize,
    /// The team journal could not be reached, so this machine's entries were read instead.
    pub notes: Vec<String>,
}

/// Entries kept on this machine that are not in the team journal yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sharing {
    /// How many still wait to be sent.
    pub waiting: usize,
    /// Why they could not be sent just now (the team journal did not answer).
    pub problem: Option<String>,
}

impl Sharing {
    /// `3 journal entries are not shared yet: …`, or `None` when none wait.
    pub fn warning(&self) -> Option<String> {
        if self.waiting == 0 {
            return None;
        }
        let entries = super::undo::counted(self.waiting, "journal entry is", "journal entries are");
        Some(match &self.problem {
            Some(problem) => format!(
                "{entries} not shared yet ({problem}); they are sent when the team journal \
                 answers again"
            ),
            None => format!("{entries} not shared yet"),
        })
    }
}

/// An undo's claim on the entry it undoes: a token of its own, who and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoClaim {
    pub token: String,
    /// The signed-in admin, and the machine they work on: what another admin is told.
    pub by: String,
    pub time: DateTime<Utc>,
}

impl UndoClaim {
    /// A new claim by `by` (the signed-in username, if known), from this machine, now.
    pub fn new(by: Option<&str>) -> UndoClaim {
        let by = match (by, hostname()) {
            (Some(by), Some(machine)) => format!("{by}@{machine}"),
            (Some(by), None) => by.to_string(),
            (None, Some(machine)) => format!("someone@{machine}"),
            (None, None) => "someone".to_string(),
        };
        UndoClaim {
            token: random_text(b"abcdefghijklmnopqrstuvwxyz0123456789", 20),
            by,
            time: Utc::now(),
        }
    }

    /// Claims taken before this time have lapsed.
    pub fn lapsed_before(&self) -> DateTime<Utc> {
        self.time - Duration::minutes(CLAIM_LAPSES_AFTER_MINUTES)
    }
}

/// The answer to a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claimed {
    /// This undo may go ahead.
    Yours,
    /// Another undo put every user back already.
    AlreadyUndone(Undone),
    /// Another undo is running (or was, and has not lapsed yet).
    Busy { by: String, since: DateTime<Utc> },
    /// No such entry in this journal.
    Missing,
}

impl Claimed {
    /// Why this undo may not go ahead; `None` when it may.
    pub fn refusal(&self, id: &str) -> Option<String> {
        match self {
            Claimed::Yours => None,
            Claimed::AlreadyUndone(undone) => Some(format!("{id} was already undone ({undone})")),
            Claimed::Busy { by, since } => Some(format!(
                "{id} is being undone by {by} (since {}); a claim left by an undo that never \
                 finished lapses after {CLAIM_LAPSES_AFTER_MINUTES} minutes",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            )),
            Claimed::Missing => Some(format!("{id} is not in the journal")),
        }
    }
}

/// The journal the CLI and the console hold: a store, shared between the console's tasks.
#[derive(Clone)]
pub struct Journal {
    store: Arc<dyn JournalStore>,
}

impl Journal {
    /// The local journal kept in `dir` (SQLite, `journal.sqlite`).
    pub fn new(dir: impl Into<PathBuf>) -> Journal {
        Journal::of(LocalStore::new(dir.into()))
    }

    /// A journal kept by this store.
    pub fn of(store: impl JournalStore + 'static) -> Journal {
        Journal {
            store: Arc::new(store),
        }
    }

    /// The local journal of the data directory; `None` without one.
    pub fn open_default() -> Option<Journal> {
        paths::data_dir().map(Journal::new)
    }

    /// The journal `place` names: the local one in the data directory, or the team's (with
    /// the local one as its queue). Nothing is opened or reached yet: the first read or write
    /// does that, and says what went wrong.
    pub fn open(place: &JournalPlace) -> Result<Journal, JournalError> {
        let dir = paths::data_dir().ok_or(JournalError::NoDataDirectory)?;
        Ok(match place {
            JournalPlace::Local => Journal::new(dir),
            JournalPlace::Team(team) => Journal::of(TeamStore::new(team.clone(), dir)?),
        })
    }

    /// The entries that pass `filter`, newest first, each whole, up to its limit.
    pub fn read(&self, filter: &Filter) -> io::Result<Found> {
        let mut entries = Vec::new();
        let scanned = self.store.scan_entries(filter, &mut |entry| {
            entries.push(entry);
            ControlFlow::Continue(())
        })?;
        Ok(Found {
            entries,
            skipped: scanned.skipped,
            notes: scanned.notes,
        })
    }
}

impl Deref for Journal {
    type Target = dyn JournalStore;

    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

impl fmt::Debug for Journal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Journal({})", self.store.describe())
    }
}
