//! [`Journal`]: the handle the CLI and the console hold, whichever store keeps the entries.

use std::fmt;
use std::io;
use std::ops::{ControlFlow, Deref};
use std::path::PathBuf;
use std::sync::Arc;

use super::filter::{Filter, JournalError};
use super::place::JournalPlace;
use super::reads::Found;
use super::sqlite::LocalStore;
use super::store::JournalStore;
use super::team::TeamStore;
use crate::paths;

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
        Journal::open_in(place, dir)
    }

    /// [`Journal::open`] with `dir` as the data directory (the local journal, or the team
    /// journal's queue).
    pub fn open_in(place: &JournalPlace, dir: PathBuf) -> Result<Journal, JournalError> {
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
