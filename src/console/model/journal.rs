//! What the console wrote in this run, as journal entries, and the bulk action whose steps
//! are gathered into one entry until its last answer comes.

use crate::journal::{Action, Entry, UserChange};

#[derive(Clone, Debug, Default)]
pub struct ConsoleJournal {
    /// This run's entries, oldest first: what the runner appended (or tried to).
    pub this_run: Vec<Entry>,
    /// The running bulk action's steps so far, and what kind of write they are.
    pub bulk: Option<(Action, Vec<UserChange>)>,
}
