//! The audit journal: every write the console or the CLI makes, appended to
//! `journal.jsonl` in the data directory, listed newest first, and undone through one
//! planner shared by both tools.

mod apply;
mod entry;
mod filter;
mod store;
mod undo;

pub use apply::{Applied, StepFailed, apply_undo, new_password, users_now};
pub use entry::{
    Action, Entry, Field, Outcome, Step, Tool, UserChange, UserKey, Values, diff, random_text,
};
pub use filter::{Filter, JournalError, parse_since, same_host};
pub use store::{DEFAULT_KEEP, DEFAULT_MAX_BYTES, Found, Journal, Lookup, MAX_BYTES_VAR};
pub use undo::{Drift, FieldChange, Refusal, UndoPlan, UndoStep, plan_undo, show, who};

#[cfg(test)]
mod store_tests;
#[cfg(test)]
mod undo_tests;
