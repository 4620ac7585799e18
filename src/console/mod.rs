//! The console: an Elm-style loop (model, update, view) on ratatui.
//!
//! `app` is the only impure part (terminal, clock, signals); `update` is pure and `view` only
//! draws, so both are tested without a terminal or a server.

pub mod app;
mod bulk_runner;
pub mod clipboard;
pub mod cmd;
mod cmd_kinds;
pub mod connections;
pub mod custom;
pub mod deployment;
pub mod env;
mod files;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
pub mod form;
pub mod keys;
pub mod layout;
mod log_file;
pub mod model;
pub mod msg;
pub mod palette;
pub mod update;
pub mod view;
pub mod wrap;

use std::path::PathBuf;
use std::sync::Arc;

use geobox_api::GeoboxClient;

/// What the console needs to know besides the client.
#[derive(Clone)]
pub struct ConsoleOptions {
    /// The deployment the client talks to: the demo, a profile, or the host configured.
    pub start: deployment::Deployment,
    /// Every other deployment `C` offers, with how to reach it (none: it cannot be chosen,
    /// its problem says why).
    pub others: Vec<(deployment::Deployment, Option<connections::Reach>)>,
    /// What could not be read about the deployments: said once on start.
    pub problems: Vec<String>,
    /// Hide every action.
    pub read_only: bool,
    /// Where logs go (never the screen).
    pub log_file: Option<PathBuf>,
    /// How often the live table refreshes (`--refresh`; else the config's `[console] refresh`,
    /// else every 5 seconds); zero: never.
    pub refresh: Option<std::time::Duration>,
    /// Where the journal is kept: this machine, or the team's database.
    pub journal: geobox_ops::journal::JournalPlace,
}

/// Runs the console until the admin quits; the terminal is restored on every exit path.
pub async fn run(client: Arc<GeoboxClient>, options: ConsoleOptions) -> color_eyre::Result<()> {
    app::run(client, options).await
}
