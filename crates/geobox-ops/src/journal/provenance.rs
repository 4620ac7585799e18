//! What the journal knows about an entry besides what the entry says: whether it was undone
//! since (by which entry, whom, when), and where it was read from and whether it verifies.
//! A store works both out when it reads an entry; neither is ever written as part of one.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::action::Outcome;

/// That an entry was undone, and by what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undone {
    /// The id of the entry that undid it.
    pub entry: String,
    pub time: DateTime<Utc>,
    /// Who undid it, when the tool knew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Whether every user went back. An undo that left out users who had changed since, or
    /// some of whose writes failed, put back only part: the rest may be undone later.
    pub whole: bool,
}

impl Undone {
    /// What an undo (entry `id`, written at `time` by `by`) tells about the entry it undid:
    /// `None` when none of its writes went through. `outcomes` are its users' own outcomes.
    pub fn by_undo<'a>(
        id: &str,
        time: DateTime<Utc>,
        by: Option<&str>,
        outcome: &Outcome,
        outcomes: impl IntoIterator<Item = Option<&'a Outcome>>,
        skipped_any: bool,
    ) -> Option<Undone> {
        let any_done = outcome.is_ok()
            || outcomes
                .into_iter()
                .any(|own| own.unwrap_or(outcome).is_ok());
        any_done.then(|| Undone {
            entry: id.to_string(),
            time,
            by: by.map(str::to_string),
            whole: outcome.is_ok() && !skipped_any,
        })
    }

    /// What a later undo adds to what is known: the newest undo names the entry (it is seen
    /// first, reading newest first), and the entry is wholly undone once any undo was whole.
    pub fn and_earlier(mut self, earlier: &Undone) -> Undone {
        self.whole |= earlier.whole;
        self
    }
}

impl fmt::Display for Undone {
    /// `by k3v9q2m7xa (admin) at 2026-12-01 10:00:00 UTC`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "by {}", self.entry)?;
        if let Some(by) = &self.by {
            write!(f, " ({by})")?;
        }
        write!(f, " at {}", self.time.format("%Y-%m-%d %H:%M:%S UTC"))
    }
}

/// Where an entry was read from, and whether it verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The store's name for where the entry is (a file of the journal).
    pub store: String,
    pub seal: Seal,
}

/// Whether an entry can be shown to be what geobox-users wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seal {
    /// Written by geobox-users with this data directory's key, and not changed since.
    Verified,
    /// No seal: written by a version before seals, by hand or by another program.
    Missing,
    /// A seal that does not match: changed after it was written, or sealed with a key this
    /// data directory does not hold.
    Broken,
    /// Kept in the team's database, whose access rules guard it: each admin's key stays on
    /// their machine, so the database's rules (who may write to it) are what vouch for it.
    TeamDatabase,
}

impl Seal {
    pub fn verified(self) -> bool {
        matches!(self, Seal::Verified | Seal::TeamDatabase)
    }

    /// The warning about entry `id`, in words an admin cannot misread; `None` when verified.
    pub fn warning(self, id: &str) -> Option<String> {
        match self {
            Seal::Verified | Seal::TeamDatabase => None,
            Seal::Missing => Some(format!(
                "entry {id} carries no seal, so nothing shows that geobox-users wrote it: it may \
                 have been written by hand or by another program (or by a version from before \
                 entries were sealed)"
            )),
            Seal::Broken => Some(format!(
                "entry {id} was not written by geobox-users as it reads now: its seal does not \
                 match, so it was changed after it was written (by hand or by another program), \
                 or it comes from another data directory"
            )),
        }
    }
}

impl fmt::Display for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Seal::Verified => "verified",
            Seal::Missing => "no seal",
            Seal::Broken => "seal does not match",
            Seal::TeamDatabase => "kept by the team journal's database",
        })
    }
}
