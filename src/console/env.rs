//! What does not change while the console shows one deployment: the deployment itself (where
//! requests go, where its views are kept, whether it is protected), how the console draws,
//! and which key does what. `app` builds it at start and switches it to another deployment
//! when `update` asks (`Cmd::UseDeployment`); `update` and `view` read it beside the model,
//! which holds what changes.

use ratatui::style::Color;

use geobox_ops::views::ViewStore;

use super::deployment::Deployment;
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

/// The console's surroundings, fixed while it shows one deployment.
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
    /// The name of the deployment shown (a profile's, `demo`, or its host).
    pub deployment: String,
    /// Every deployment `C` offers, the one shown among them.
    pub deployments: Vec<Deployment>,
    /// Every write to the deployment shown asks for its name typed.
    pub protected: bool,
    /// The deployment's own colour: the title bar and the borders carry it.
    pub accent: Option<Color>,
}

impl Env {
    /// The surroundings of a console showing `host_label`, with the built-in keys and colours,
    /// no known API base and nowhere to keep views; `app` fills in what it finds.
    pub fn new(host_label: impl Into<String>) -> Env {
        let host_label = host_label.into();
        Env {
            deployment: host_label.clone(),
            deployments: Vec::new(),
            protected: false,
            accent: None,
            host_label,
            demo_url: None,
            api_base: String::new(),
            clipboard: ClipboardReach::Likely,
            color: true,
            palette: Palette::default(),
            keymap: Keymap::default(),
            view_store: None,
        }
    }

    /// The deployment shown, as the picker lists it.
    pub fn here(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|deployment| deployment.name == self.deployment)
    }

    /// Shows `name` from now on, reached at `api_base` (the address the runner signed in
    /// to: the demo's is known only once it runs). `false` when no such deployment is known.
    pub fn switch_to(&mut self, name: &str, api_base: &str) -> bool {
        let Some(deployment) = self.deployments.iter_mut().find(|d| d.name == name) else {
            return false;
        };
        if deployment.is_demo() {
            deployment.demo_url = Some(api_base.to_string());
            deployment.host = demo_host(api_base);
        }
        deployment.api_base = api_base.to_string();
        let deployment = deployment.clone();
        self.deployment = deployment.name.clone();
        self.host_label = deployment.host.clone();
        self.demo_url = deployment.demo_url.clone();
        self.api_base = deployment.api_base.clone();
        self.view_store = deployment.view_store.clone();
        self.protected = deployment.protected;
        self.accent = deployment.color;
        true
    }
}

/// The demo's address as the title bar and the picker show it (`127.0.0.1:41235`).
pub fn demo_host(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .trim_end_matches("/v1")
        .to_string()
}
