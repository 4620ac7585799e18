//! What the console wrote in this run, as journal entries, and the bulk action whose steps
//! are gathered into one entry until its last answer comes.

use tui_input::Input;

use super::{LoadState, TYPE_COUNT_ABOVE, TargetUser};
use crate::console::msg::RequestId;
use geobox_ops::journal::{Action, Entry, Outcome, Sharing, UndoPlan, UserChange, UserKey};

#[derive(Clone, Debug, Default)]
pub struct ConsoleJournal {
    /// This run's entries, oldest first: what the runner appended (or tried to).
    pub this_run: Vec<Entry>,
    /// The running bulk action's steps so far, and what kind of write they are.
    pub bulk: Option<(Action, Vec<UserChange>)>,
    /// Where this run's entry ids come from.
    pub ids: JournalIds,
    /// Entries that wait on this machine to be sent to the team journal, as the runner said.
    pub sharing: Sharing,
}

impl ConsoleJournal {
    /// The last change this run made that an undo can take back, whatever its kind (an edit,
    /// a form save, a create, a delete, a renewal, a lockdown, marked users, a whole view): the
    /// newest entry that is no undo itself, whose writes went through (some of them, at
    /// least), and that is not a password change or a closed session, which nothing undoes.
    pub fn last_change(&self) -> Option<&Entry> {
        self.this_run.iter().rev().find(|entry| {
            let wrote = entry.outcome.is_ok()
                || entry
                    .changes
                    .iter()
                    .any(|change| change.outcome.as_ref().is_some_and(Outcome::is_ok));
            entry.undoes.is_none()
                && wrote
                && !matches!(entry.action, Action::SetPassword | Action::CloseSession)
        })
    }
}

/// This run's journal ids: a sequence the runner seeds once at start (from the OS's
/// randomness), so `update` mints ids without asking the OS, and a test gets the same ids
/// every time it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalIds {
    state: u64,
}

impl JournalIds {
    /// What an id is made of: ten of these, like the ids the CLI writes.
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    const LENGTH: usize = 10;

    pub fn seeded(seed: u64) -> JournalIds {
        JournalIds { state: seed }
    }

    /// The next id. Each step of the sequence (splitmix64) gives a different number, so a run
    /// does not repeat an id, and runs seeded apart do not share theirs.
    pub fn next_id(&mut self) -> String {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^= mixed >> 31;
        let base = Self::ALPHABET.len() as u64;
        (0..Self::LENGTH)
            .map(|_| {
                let digit = Self::ALPHABET[(mixed % base) as usize];
                mixed /= base;
                char::from(digit)
            })
            .collect()
    }
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
    /// Only entries this admin made (toggled on the highlighted entry's admin).
    pub only_admin: Option<String>,
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
    /// The change is shown; y carries it out (or ⏎ once the count of users is typed, for an
    /// undo of more than a hundred).
    Ready {
        entry: Box<Entry>,
        plan: Box<UndoPlan>,
        typed: Input,
        mismatch: bool,
    },
    /// Why it is not undone (what changed since).
    Refused { text: String },
    /// The undo's writes are running.
    Running { request: RequestId },
}

impl UndoAsk {
    /// Whether the undo shown writes to so many users that their count is typed to confirm.
    pub fn typing_count(&self) -> bool {
        matches!(self, UndoAsk::Ready { plan, .. } if plan.users() > TYPE_COUNT_ABOVE)
    }
}

impl JournalView {
    /// The rows shown: this run's entries newest first, then the earlier ones not already
    /// among them, both narrowed to the chosen user.
    pub fn rows<'a>(&'a self, this_run: &'a [Entry]) -> Vec<&'a Entry> {
        let about = |entry: &&Entry| self.shows(entry);
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
        this_run.iter().filter(|entry| self.shows(entry)).count()
    }

    /// Whether an entry passes the panel's narrowing: the user, the admin.
    fn shows(&self, entry: &Entry) -> bool {
        let user = self
            .only_user
            .as_ref()
            .is_none_or(|user| entry.concerns(&UserKey::Id(user.id)));
        let admin = self.only_admin.as_ref().is_none_or(|admin| {
            entry
                .by
                .as_deref()
                .is_some_and(|by| by.eq_ignore_ascii_case(admin))
        });
        user && admin
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::JournalIds;

    #[test]
    fn ids_look_like_the_journals_own_and_do_not_repeat() {
        let mut ids = JournalIds::seeded(7);
        let minted: Vec<String> = (0..10_000).map(|_| ids.next_id()).collect();
        for id in &minted {
            assert_eq!(id.len(), 10, "{id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{id}"
            );
        }
        let distinct: BTreeSet<&String> = minted.iter().collect();
        assert_eq!(distinct.len(), minted.len());
    }

    #[test]
    fn a_seed_gives_the_same_ids_and_another_seed_others() {
        let first = |seed| JournalIds::seeded(seed).next_id();
        assert_eq!(first(42), first(42));
        assert_ne!(first(42), first(43));
    }
}
