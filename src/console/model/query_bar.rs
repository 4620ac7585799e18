//! The query bar (`:`): the request behind the table, and what was last copied from it.

use std::time::Duration;

/// Whether a copy through the terminal (OSC 52) is likely to reach the clipboard. The runner
/// finds out once at start; `update` only reads it to word its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClipboardReach {
    Likely,
    /// Why not, in a few words ("no TERM", "tmux without set-clipboard").
    Unlikely(String),
}

/// Something copied from the query bar: what it was and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub what: &'static str,
    pub text: String,
}

/// What the query bar needs besides the filters: where requests go, how long the table's last
/// page took, and the last copy.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryBar {
    /// The API's base URL (`{host}/v1/`), as the client joins paths to it.
    pub api_base: String,
    pub clipboard: ClipboardReach,
    /// How long the page the table last received took.
    pub page_latency: Option<Duration>,
    pub copied: Option<Copied>,
}

impl Default for QueryBar {
    fn default() -> Self {
        QueryBar {
            api_base: String::new(),
            clipboard: ClipboardReach::Likely,
            page_latency: None,
            copied: None,
        }
    }
}
