//! The audit journal: every write the console or the CLI makes, appended to
//! `journal.jsonl` in the data directory, listed newest first, and undone through one
//! planner shared by both tools.
//!
//! The model (entries, deployments, what an entry's undo does) knows nothing of files:
//! `store.rs`, `seal.rs` and `lines.rs` are the JSON-lines file, and nothing else is.

mod action;
mod apply;
mod brief;
mod deployment;
mod entry;
mod filter;
mod lines;
mod plan;
mod provenance;
mod renewal;
mod seal;
mod store;
mod undo;

pub use apply::{Applied, StepFailed, apply_undo, new_password, users_now};
pub use brief::{Brief, Sample};
pub use deployment::Deployment;
pub use entry::{
    Action, Entry, Field, Outcome, Step, Tool, UserChange, UserKey, Values, diff, random_text,
};
pub use filter::{Filter, JournalError, parse_since};
pub use plan::plan_undo;
pub use provenance::{Provenance, Seal, Undone};
pub use renewal::{Renewal, renew_plan};
pub use store::{DEFAULT_KEEP, DEFAULT_MAX_BYTES, Found, Journal, Lookup, MAX_BYTES_VAR, Scanned};
pub use undo::{
    ChangedUsers, Drift, FieldChange, IfChanged, LeftOut, Refusal, UndoOptions, UndoPlan, UndoStep,
    counted, show, who,
};

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod store_tests;
#[cfg(test)]
mod undo_tests;
