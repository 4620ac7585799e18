//! The client side end to end: what the API client puts on the wire, and the built binary run
//! as scripts run it (CLI, bulk runs, journal and undo, lockdown and the cached sign-in). One
//! test binary (each links the whole program), one module per subject.

mod api_wire;
mod bulk;
mod cli;
mod habits;
mod hostile;
mod journal;
#[path = "../support/mod.rs"]
mod support;
mod trust;
