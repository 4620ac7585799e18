//! One journal, two stores: [`JournalStore`] is what the CLI and the console ask of a journal,
//! whichever keeps it: the local store (SQLite in the data directory, the default) or the
//! team store (PostgreSQL, with the local store as the queue of entries not yet sent).

use std::io;
use std::ops::ControlFlow;

use super::brief::Brief;
use super::entry::Entry;
use super::filter::Filter;
use super::reads::{Claimed, Lookup, Scanned, Sharing, UndoClaim};

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
    /// [`CLAIM_LAPSES_AFTER_MINUTES`](super::CLAIM_LAPSES_AFTER_MINUTES).
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
