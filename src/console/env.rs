//! What does not change while the console runs: the deployment it talks to, how it draws,
//! which key does what, and where saved views are kept. `app` builds it once; `update` and
//! `view` read it beside the model, which holds only what changes.

use geobox_ops::views::ViewStore;

use super::keys::Keymap;
use super::palette::Palette;

/// Whether a copy through the terminal (OSC 52) is likely to reach the clipboard. The runner
/// finds out once at start; `update` only reads it to word its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClipboardReach {
    Likely,
    /// Why not, in a few words ("no TERM", "tmux without set-clipboard").
    Unlikely(String),
}

/// The console's surroundings, fixed for the whole run.
#[derive(Clone, Debug)]
pub struct Env {
    /// The host shown in the title bar.
    pub host_label: String,
    /// Set when connected to the embedded demo: its base URL, shown in the title bar.
    pub demo_url: Option<String>,
    /// The API's base URL (`{host}/v1/`), as the client joins paths to it: where the query
    /// bar's requests go, and the host journal entries name.
    pub api_base: String,
    pub clipboard: ClipboardReach,
    /// Colours on (off with `NO_COLOR`): every colour also has a symbol or text.
    pub color: bool,
    /// The admin's `[theme]` colours.
    pub palette: Palette,
    /// The keymap in force: the built-in one with the admin's `[keys]`.
    pub keymap: Keymap,
    /// Where saved views are kept (none: the platform has no config directory).
    pub view_store: Option<ViewStore>,
}

impl Env {
    /// The surroundings of a console showing `host_label`, with the built-in keys and colours,
    /// no known API base and nowhere to keep views; `app` fills in what it finds.
    pub fn new(host_label: impl Into<String>) -> Env {
        Env {
            host_label: host_label.into(),
            demo_url: None,
            api_base: String::new(),
            clipboard: ClipboardReach::Likely,
            color: true,
            palette: Palette::default(),
            keymap: Keymap::default(),
            view_store: None,
        }
    }
}
