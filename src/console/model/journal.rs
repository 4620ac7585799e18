//! What the console wrote in this run, as journal entries, and the bulk action whose steps
//! are gathered into one entry until its last answer comes.

use super::{LoadState, TargetUser};
use crate::console::msg::RequestId;
use geobox_ops::journal::{Action, Entry, UndoPlan, UserChange, UserKey};

#[derive(Clone, Debug, Default)]
pub struct ConsoleJournal {
    /// This run's entries, oldest first: what the runner appended (or tried to).
    pub this_run: Vec<Entry>,
    /// The running bulk action's steps so far, and what kind of write they are.
    pub bulk: Option<(Action, Vec<UserChange>)>,
}

/// The journal panel (`L`): this run's entries first, then earlier ones read from the file.
#[derive(Clone, Debug, Default)]
pub struct JournalView {
    /// Earlier entries (this host), newest first, as the runner read them.
    pub earlier: LoadState<Vec<Entry>>,
    /// The read whose answer is waited for.
    pub request: Option<RequestId>,
    /// Only entries about this user (toggled on the selected user).
    pub only_user: Option<TargetUser>,
    /// The highlighted row among the rows shown.
    pub selected: usize,
    pub undo: UndoAsk,
}

/// Where an undo of the highlighted entry stands.
#[derive(Clone, Debug, Default)]
pub enum UndoAsk {
    #[default]
    Idle,
    /// Reading the entry's users as they are now.
    Checking { request: RequestId },
    /// The change is shown; y carries it out.
    Ready { entry: Box<Entry>, plan: UndoPlan },
    /// Why it is not undone (what changed since).
    Refused { text: String },
    /// The undo's writes are running.
    Running { request: RequestId },
}

impl JournalView {
    /// The rows shown: this run's entries newest first, then the earlier ones not already
    /// among them, both narrowed to the chosen user.
    pub fn rows<'a>(&'a self, this_run: &'a [Entry]) -> Vec<&'a Entry> {
        let about = |entry: &&Entry| {
            self.only_user
                .as_ref()
                .is_none_or(|user| entry.concerns(&UserKey::Id(user.id)))
        };
        let mut rows: Vec<&Entry> = this_run.iter().rev().filter(about).collect();
        if let Some(earlier) = self.earlier.loaded() {
            rows.extend(
                earlier
                    .iter()
                    .filter(about)
                    .filter(|entry| !this_run.iter().any(|mine| mine.id == entry.id)),
            );
        }
        rows
    }

    /// How many of the rows are this run's.
    pub fn this_run_count(&self, this_run: &[Entry]) -> usize {
        this_run
            .iter()
            .filter(|entry| {
                self.only_user
                    .as_ref()
                    .is_none_or(|user| entry.concerns(&UserKey::Id(user.id)))
            })
            .count()
    }
}
