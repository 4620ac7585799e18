//! The console: an Elm-style loop (model, update, view) on ratatui.
//!
//! `app` is the only impure part (terminal, clock, signals); `update` is pure and `view` only
//! draws, so both are tested without a terminal or a server.

pub mod app;
mod bulk_runner;
pub mod clipboard;
pub mod cmd;
pub mod custom;
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
#[derive(Clone, Debug)]
pub struct ConsoleOptions {
    /// Set when running against the embedded demo server: its base URL, shown in the title bar.
    pub demo_url: Option<String>,
    /// The host shown in the title bar.
    pub host_label: String,
    /// Hide every action.
    pub read_only: bool,
    /// Where logs go (never the screen).
    pub log_file: Option<PathBuf>,
    /// Where saved views are kept (the config file and profile).
    pub view_store: Option<geobox_ops::views::ViewStore>,
    /// How often the live table refreshes (`--refresh`, `[console] refresh`); zero: never.
    pub refresh: std::time::Duration,
}

/// Runs the console until the admin quits; the terminal is restored on every exit path.
pub async fn run(client: Arc<GeoboxClient>, options: ConsoleOptions) -> color_eyre::Result<()> {
    app::run(client, options).await
}
