//! What the journal's stores answer: what a read found, a lookup by id, what a scan passed
//! over, what waits to be sent to the team journal, and an undo's claim on an entry.

use chrono::{DateTime, Duration, Utc};

use super::entry::{Entry, random_text};
use super::machine::hostname;
use super::provenance::Undone;

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
