//! The team store: the team's PostgreSQL journal, with this machine's local store as the
//! queue of what it could not send yet. A write is never held up by the team journal: its
//! entry is kept here first (marked not shared), then sent with every entry waiting before
//! it, oldest first. An entry's id is its key there, so sending one again (an answer lost on
//! the way) keeps it once.
//!
//! Reads show the team's entries with this machine's unsent ones among them; when the team
//! journal cannot be reached, this machine's entries, and a note saying so. The demo's entries
//! stay on this machine: each admin's demo is their own.

use std::io;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::brief::Brief;
use super::entry::Entry;
use super::filter::{Filter, JournalError};
use super::place::TeamJournal;
use super::postgres::{Postgres, is_shared};
use super::reads::{Claimed, Lookup, Scanned, Sharing, UndoClaim};
use super::sqlite::LocalStore;
use super::sqlite_read::Rows;
use super::store::JournalStore;

pub struct TeamStore {
    team: Postgres,
    /// The team journal's identity: what this machine's entries wait for.
    identity: String,
    local: LocalStore,
    /// Why the last attempt to send failed, if it did.
    problem: Mutex<Option<String>>,
}

impl TeamStore {
    pub fn new(team: TeamJournal, dir: PathBuf) -> Result<TeamStore, JournalError> {
        let label = team.redacted();
        let identity = team.identity();
        let team = Postgres::new(team)
            .map_err(|error| JournalError::BadTeamUrl(format!("{label}: {error}")))?;
        Ok(TeamStore {
            team,
            identity,
            local: LocalStore::new(dir),
            problem: Mutex::new(None),
        })
    }

    /// A note for a read made without the team journal.
    fn unreachable_note(&self, error: &io::Error) -> String {
        format!(
            "{error}; listed are this machine's entries ({})",
            self.local.describe()
        )
    }

    /// Reads the team's entries and this machine's unsent ones, merged newest first; without
    /// the team journal, this machine's entries.
    fn merged<T>(
        &self,
        filter: &Filter,
        local_only: impl Fn(&Filter, &mut dyn FnMut(T) -> ControlFlow<()>) -> io::Result<Scanned>,
        everywhere: impl Fn(&Filter, &mut dyn FnMut(T) -> ControlFlow<()>) -> io::Result<Scanned>,
        time_of: impl Fn(&T) -> DateTime<Utc>,
        each: &mut dyn FnMut(T) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        // What waits here goes first, so that the team journal has as much as it can.
        let _ = self.share();
        let mut waiting: Vec<T> = Vec::new();
        let local = local_only(filter, &mut |item| {
            waiting.push(item);
            ControlFlow::Continue(())
        })?;
        let mut waiting = waiting.into_iter().peekable();
        let mut handed = 0;
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut stopped = false;
        let scanned = everywhere(filter, &mut |item| {
            while let Some(newer) = waiting.next_if(|queued| time_of(queued) >= time_of(&item)) {
                if !give(each, newer, &mut handed, limit) {
                    stopped = true;
                    return ControlFlow::Break(());
                }
            }
            if give(each, item, &mut handed, limit) {
                ControlFlow::Continue(())
            } else {
                stopped = true;
                ControlFlow::Break(())
            }
        });
        match scanned {
            Ok(mut scanned) => {
                if !stopped {
                    for rest in waiting {
                        if !give(each, rest, &mut handed, limit) {
                            break;
                        }
                    }
                }
                scanned.skipped += local.skipped;
                Ok(scanned)
            }
            Err(error) => Err(error),
        }
    }
}

/// Hands one item over; whether to go on (the reader wants more, and the limit is not met).
fn give<T>(
    each: &mut dyn FnMut(T) -> ControlFlow<()>,
    item: T,
    handed: &mut usize,
    limit: usize,
) -> bool {
    *handed += 1;
    each(item).is_continue() && *handed < limit
}

impl TeamStore {
    /// The team's database itself (a journal made for a measurement, TLS checked).
    #[cfg(test)]
    pub(super) fn database(&self) -> &Postgres {
        &self.team
    }
}

impl JournalStore for TeamStore {
    fn append(&self, entry: &Entry) -> io::Result<()> {
        let pending_for = is_shared(entry).then_some(self.identity.as_str());
        self.local.keep(entry, pending_for)?;
        // Not sent now is sent later: the entry is safe here either way.
        let _ = self.share();
        Ok(())
    }

    fn scan_briefs(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Brief) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let mut handed_any = false;
        let result = self.merged(
            filter,
            |filter, each| self.local.scan_briefs_of(filter, Rows::Unshared, each),
            |filter, each| self.team.scan_briefs(filter, each),
            |brief: &Brief| brief.time,
            &mut |brief| {
                handed_any = true;
                each(brief)
            },
        );
        match result {
            Err(error) if !handed_any => {
                let mut scanned = self.local.scan_briefs(filter, each)?;
                scanned.notes.push(self.unreachable_note(&error));
                Ok(scanned)
            }
            other => other,
        }
    }

    fn scan_entries(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let mut handed_any = false;
        let result = self.merged(
            filter,
            |filter, each| self.local.scan_entries_of(filter, Rows::Unshared, each),
            |filter, each| self.team.scan_entries(filter, each),
            |entry: &Entry| entry.time,
            &mut |entry| {
                handed_any = true;
                each(entry)
            },
        );
        match result {
            Err(error) if !handed_any => {
                let mut scanned = self.local.scan_entries(filter, each)?;
                scanned.notes.push(self.unreachable_note(&error));
                Ok(scanned)
            }
            other => other,
        }
    }

    fn find(&self, id: &str) -> io::Result<Lookup> {
        let _ = self.share();
        match self.team.find(id) {
            Ok(Lookup::Missing) | Err(_) => self.local.find(id),
            found => found,
        }
    }

    fn claim_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<Claimed> {
        match self.team.claim_undo(id, claim) {
            Ok(Claimed::Missing) => self.local.claim_undo(id, claim),
            Ok(answer) => Ok(answer),
            // Only an entry still waiting here can be claimed without the team journal.
            Err(error) => match self.local.is_unshared(id)? {
                true => self.local.claim_undo(id, claim),
                false => Err(io::Error::new(
                    error.kind(),
                    format!(
                        "{error}: the undo cannot be claimed, so that two admins do not undo \
                         the same entry at once; try again when it answers"
                    ),
                )),
            },
        }
    }

    fn release_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<()> {
        let team = self.team.release_undo(id, claim);
        self.local.release_undo(id, claim)?;
        team
    }

    fn describe(&self) -> String {
        format!("the team journal {}", self.team.describe())
    }

    fn share(&self) -> Sharing {
        let mut after = 0;
        let problem = loop {
            match self.local.next_pending(after, &self.identity) {
                Ok(Some((seq, entry))) => {
                    if let Err(error) = self.team.insert(&entry) {
                        break Some(error.to_string());
                    }
                    if let Err(error) = self.local.mark_shared(seq) {
                        break Some(error.to_string());
                    }
                    after = seq;
                }
                Ok(None) => break None,
                Err(error) => break Some(error.to_string()),
            }
        };
        problem.clone_into(&mut self.problem.lock().unwrap_or_else(PoisonError::into_inner));
        Sharing {
            waiting: self
                .local
                .pending_count(Some(&self.identity))
                .unwrap_or_default(),
            problem,
        }
    }

    fn waiting(&self) -> Sharing {
        Sharing {
            waiting: self
                .local
                .pending_count(Some(&self.identity))
                .unwrap_or_default(),
            problem: self
                .problem
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    fn take_notices(&self) -> Vec<String> {
        self.local.take_notices()
    }
}
