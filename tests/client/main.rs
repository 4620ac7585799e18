//! The client side end to end: what the API client puts on the wire, and the built binary run
//! as scripts run it (CLI, bulk runs, journal and undo, lockdown and the cached sign-in). One
//! test binary (each links the whole program), one module per subject.

#![allow(
    clippy::disallowed_macros,
    reason = "tests print their measurements for whoever runs them with --nocapture"
)]

mod api_wire;
mod bulk;
mod bulk_safety;
mod cli;
mod deployments;
mod habits;
mod hostile;
mod import;
mod import_rules;
mod journal;
mod private_files;
mod stops;
#[path = "../support/mod.rs"]
mod support;
mod team_journal;
mod trust;
mod user_writes;
