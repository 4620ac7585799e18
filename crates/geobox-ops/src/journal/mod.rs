//! The audit journal: every write the console or the CLI makes, kept newest first in a store,
//! and undone through one planner shared by both tools.
//!
//! The model (entries, deployments, what an entry's undo does) knows nothing of storage.
//! [`JournalStore`] is what a store does; `sqlite.rs` is the local one (the default),
//! `team.rs` the team's (PostgreSQL, in `postgres.rs`, with the local one as its queue);
//! `rows.rs` is how both lay an entry out. `jsonl.rs` reads (and writes) the JSON-lines
//! journal of earlier versions, which the local store imports once.

mod action;
mod apply;
mod brief;
mod deployment;
mod entry;
mod filter;
mod handle;
mod jsonl;
mod lines;
mod machine;
mod pg_schema;
mod pg_tls;
mod place;
mod plan;
mod postgres;
mod provenance;
mod reads;
mod renewal;
mod rows;
mod seal;
mod sqlite;
mod sqlite_import;
mod sqlite_read;
mod sqlite_write;
mod store;
mod team;
mod undo;

pub use apply::{Applied, StepFailed, apply_undo, new_password, users_now};
pub use brief::{Brief, Sample};
pub use deployment::Deployment;
pub use entry::{
    Action, Entry, Field, Outcome, Step, Tool, UserChange, UserKey, Values, diff, random_text,
};
pub use filter::{Filter, JournalError, parse_since};
pub use handle::Journal;
pub use jsonl::{DEFAULT_KEEP, DEFAULT_MAX_BYTES, JsonLines};
pub use machine::hostname;
pub use place::{JOURNAL_URL_VAR, JournalPlace, PGPASSWORD_VAR, TeamJournal, TlsMode, redact};
pub use plan::plan_undo;
pub use provenance::{Provenance, Seal, Undone};
pub use reads::{CLAIM_LAPSES_AFTER_MINUTES, Claimed, Found, Lookup, Scanned, Sharing, UndoClaim};
pub use renewal::{Renewal, renew_plan};
pub use sqlite::LocalStore;
pub use sqlite_write::FILE as LOCAL_FILE;
pub use store::JournalStore;
pub use undo::{
    ChangedUsers, Drift, FieldChange, IfChanged, LeftOut, Refusal, UndoOptions, UndoPlan, UndoStep,
    counted, show, who,
};

#[cfg(test)]
mod jsonl_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod scale_tests;
#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod store_suite;
#[cfg(test)]
mod tls_tests;
#[cfg(test)]
mod undo_tests;
