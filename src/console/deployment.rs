//! The deployments the console can show: the Geobox it was started on, the config file's
//! profiles, and the built-in demo when this build has it. What the picker (`C`) lists and the
//! title bar names; how to reach each one is the runner's (`connections`).

use ratatui::style::Color;

use super::connections::Reach;
use super::palette::parse_color;
use geobox_api::redact_host;
use geobox_ops::config::{
    Config, Credentials, Environment, ProfileEntry, config_path, every_profile,
};
use geobox_ops::views::ViewStore;

/// The name the built-in demo goes by in the picker and the journal.
pub const DEMO: &str = "demo";

/// One deployment as the console shows it.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The profile's name, `demo`, or the host the console was started on.
    pub name: String,
    /// The host as shown (a password in it hidden).
    pub host: String,
    /// The API base requests go to (`{host}/v1/`): what journal entries name. Empty for the
    /// demo until it runs (its port is chosen when it starts).
    pub api_base: String,
    /// Set for the built-in demo: its base URL once it runs (empty before).
    pub demo_url: Option<String>,
    /// How it signs in, in words ("password (ops-admin)", "API key").
    pub signs_in: String,
    /// A password is typed when it is chosen: its profile names none.
    pub asks_password: bool,
    /// Every write asks for its name typed, on top of the usual confirmation.
    pub protected: bool,
    /// The colour of the title bar and the borders while it is shown.
    pub color: Option<Color>,
    /// Why it cannot be chosen (its profile is incomplete), if so.
    pub problem: Option<String>,
    /// Where its saved views are kept.
    pub view_store: Option<ViewStore>,
}

impl Deployment {
    /// The Geobox the console was started on without a profile (flags, the environment).
    pub fn started_on(config: &Config, view_store: Option<ViewStore>) -> Deployment {
        let host = redact_host(&config.host);
        Deployment {
            name: host.clone(),
            api_base: api_base(&config.host),
            host,
            demo_url: None,
            signs_in: config.credentials.describe(),
            asks_password: false,
            protected: false,
            color: None,
            problem: None,
            view_store,
        }
    }

    /// The built-in demo, at `base_url` once it runs.
    pub fn demo(base_url: Option<&str>, view_store: Option<ViewStore>) -> Deployment {
        Deployment {
            name: DEMO.to_string(),
            host: base_url.map_or_else(
                || "built in (starts when chosen)".to_string(),
                str::to_string,
            ),
            api_base: base_url.map(api_base).unwrap_or_default(),
            demo_url: Some(base_url.unwrap_or_default().to_string()),
            signs_in: "the demo's admin".to_string(),
            asks_password: false,
            protected: false,
            color: None,
            problem: None,
            view_store,
        }
    }

    /// A profile of the config file, which says whether it is `protected` and its `color`; a
    /// colour that cannot be read is said in the second value (the deployment is still
    /// offered, in the usual colours).
    pub fn of_profile(
        entry: &ProfileEntry,
        view_store: Option<ViewStore>,
    ) -> (Deployment, Option<String>) {
        let protected = entry.profile.protected;
        let color = entry.profile.color.as_deref();
        let (host, api, signs_in, asks_password, problem) = match &entry.config {
            Ok(config) => (
                redact_host(&config.host),
                api_base(&config.host),
                config.credentials.describe(),
                matches!(
                    config.credentials,
                    Credentials::Password { password: None, .. }
                ),
                match config.credentials {
                    Credentials::None => Some("it names no way of signing in".to_string()),
                    _ => None,
                },
            ),
            Err(error) => (
                entry
                    .profile
                    .host
                    .as_deref()
                    .map(redact_host)
                    .unwrap_or_default(),
                String::new(),
                "—".to_string(),
                false,
                Some(error.to_string()),
            ),
        };
        let (color, unreadable) = match color.map(parse_color) {
            None => (None, None),
            Some(Ok(color)) => (Some(color), None),
            Some(Err(why)) => (
                None,
                Some(format!(
                    "profile '{}': color: {why}; the usual colours are used",
                    entry.name
                )),
            ),
        };
        let deployment = Deployment {
            name: entry.name.clone(),
            host,
            api_base: api,
            demo_url: None,
            signs_in: if asks_password {
                format!("{signs_in}, asked for")
            } else {
                signs_in
            },
            asks_password,
            protected,
            color,
            problem,
            view_store,
        };
        (deployment, unreadable)
    }

    pub fn is_demo(&self) -> bool {
        self.demo_url.is_some()
    }
}

/// The API base for a host, as the client joins paths to it (empty when it cannot be read:
/// such a host never resolves into a configuration).
fn api_base(host: &str) -> String {
    geobox_api::api_base_url(host)
        .map(|url| url.to_string())
        .unwrap_or_default()
}

/// Where a profile's saved views are kept (`None`: the views used without a profile, as the
/// demo's are); `None` when the platform has no config directory.
pub fn view_store(profile: Option<&str>) -> Option<ViewStore> {
    let env = Environment::load().ok()?;
    Some(ViewStore {
        path: config_path(&env)?,
        profile: profile.map(str::to_string),
    })
}

/// The config file's profiles as deployments, with how to reach each (none when it cannot be
/// chosen: its problem says why). What could not be read is said in the second value, so
/// the console still starts.
pub fn profiles() -> (Vec<(Deployment, Option<Reach>)>, Vec<String>) {
    let entries = match every_profile() {
        Ok(entries) => entries,
        Err(error) => {
            return (
                Vec::new(),
                vec![format!("other deployments not read: {error}")],
            );
        }
    };
    let mut problems = Vec::new();
    let deployments = entries
        .iter()
        .map(|entry| {
            let (deployment, problem) =
                Deployment::of_profile(entry, view_store(Some(&entry.name)));
            problems.extend(problem);
            let reach = match (&entry.config, &deployment.problem) {
                (Ok(config), None) => Some(Reach::Profile(Box::new(config.clone()))),
                _ => None,
            };
            (deployment, reach)
        })
        .collect();
    (deployments, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geobox_ops::config::{ConfigFile, resolve_every};

    fn entries(text: &str) -> Vec<ProfileEntry> {
        let file = ConfigFile::parse(text).expect("a valid file");
        let env = Environment::from_pairs([("PROD_KEY", "k")]);
        resolve_every(&env, None, Some(file))
    }

    #[test]
    fn a_profile_says_it_is_protected_its_colour_and_whether_a_password_is_asked() {
        let every = entries(
            r##"
            [console]
            refresh = 10

            [profiles.prod]
            host = "https://prod.example"
            apikey_env = "PROD_KEY"
            protected = true
            color = "#c03030"

            [profiles.staging]
            host = "https://staging.example"
            username = "ops"
            color = "blurple"
            "##,
        );
        let (prod, problem) = Deployment::of_profile(&every[0], None);
        assert!(problem.is_none());
        assert!(prod.protected && !prod.asks_password);
        assert_eq!(prod.color, Some(Color::Rgb(0xc0, 0x30, 0x30)));
        assert_eq!(prod.api_base, "https://prod.example/v1/");

        let (staging, problem) = Deployment::of_profile(&every[1], None);
        assert!(!staging.protected && staging.asks_password);
        assert!(
            staging.signs_in.ends_with("asked for"),
            "{}",
            staging.signs_in
        );
        assert_eq!(
            staging.color, None,
            "a colour it cannot read: the usual ones"
        );
        let problem = problem.expect("the colour is reported");
        assert!(problem.contains("profile 'staging': color"), "{problem}");
    }

    #[test]
    fn the_console_table_and_unknown_profile_keys() {
        let file = ConfigFile::parse("[console]\nrefresh = 0\n").expect("a valid file");
        assert_eq!(file.console.refresh, Some(0));
        let refused = ConfigFile::parse("[console]\nrefrsh = 3\n").expect_err("a typo");
        assert!(refused.0.contains("refrsh"), "{refused}");
    }
}
