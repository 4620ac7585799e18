//! The console: an Elm-style loop (model, update, view) on ratatui.
//!
//! INTERFACE STUB written by the lead: the console helper replaces the body.

use std::path::PathBuf;
use std::sync::Arc;

use crate::api::GeoboxClient;

/// What the console needs to know besides the client.
#[derive(Clone, Debug, Default)]
pub struct ConsoleOptions {
    /// Set when running against the embedded demo server: its base URL, shown in the title bar.
    pub demo_url: Option<String>,
    /// The host shown in the title bar.
    pub host_label: String,
    /// Hide every action.
    pub read_only: bool,
    /// Where logs go (never the screen).
    pub log_file: Option<PathBuf>,
}

/// Runs the console until the admin quits; the terminal is restored on every exit path.
pub async fn run(_client: Arc<GeoboxClient>, _options: ConsoleOptions) -> color_eyre::Result<()> {
    todo!("console helper")
}
