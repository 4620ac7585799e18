//! Where the console and the CLI find the host and the credentials.
//!
//! Precedence, highest first: command-line flags; the profile chosen with `--profile` or
//! `GEOBOX_PROFILE` (choosing one is a deliberate act, so it beats ambient variables); the
//! Python SDK's environment variables (`GEOBOX_HOST`, `GEOBOX_USERNAME`, `GEOBOX_PASSWORD`,
//! `GEOBOX_ACCESS_TOKEN`, `GEOBOX_APIKEY`), where the process environment beats a `.env` file
//! in the working directory; then the defaults. Credentials are taken as a whole from one
//! layer, so a token in the environment never mixes with a profile's username.
//! Among credentials the contract's order holds: access token, API key, username + password.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use geobox_api::{Auth, DEFAULT_HOST, DEFAULT_TIMEOUT, Secret, redact_host};

mod file;
mod journal;
mod profiles;
use crate::journal::{JOURNAL_URL_VAR, JournalPlace};
pub use file::{AuthWay, ConfigError, ConfigFile, ConsoleSettings, Profile, Setting};
use journal::{JournalFrom, journal_place};
pub use profiles::{ProfileEntry, every_profile, resolve_every};

/// Overrides where the config file is (tests point it at a temporary file).
pub const CONFIG_PATH_VAR: &str = "GEOBOX_USERS_CONFIG";
/// Chooses a profile when `--profile` is not given.
pub const PROFILE_VAR: &str = "GEOBOX_PROFILE";
pub const HOST_VAR: &str = "GEOBOX_HOST";
pub const USERNAME_VAR: &str = "GEOBOX_USERNAME";
pub const PASSWORD_VAR: &str = "GEOBOX_PASSWORD";
pub const ACCESS_TOKEN_VAR: &str = "GEOBOX_ACCESS_TOKEN";
pub const APIKEY_VAR: &str = "GEOBOX_APIKEY";
/// Seconds; ours, the SDK has no such variable.
pub const TIMEOUT_VAR: &str = "GEOBOX_TIMEOUT";

/// What the command line said about the connection. Everything is optional. `Debug` hides
/// the secrets and a password in the host.
#[derive(Clone, Default, PartialEq)]
pub struct Overrides {
    pub host: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub access_token: Option<Secret>,
    pub apikey: Option<Secret>,
    pub timeout_secs: Option<f64>,
    pub profile: Option<String>,
}

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("host", &self.host.as_deref().map(redact_host))
            .field("username", &self.username)
            .field("password", &self.password)
            .field("access_token", &self.access_token)
            .field("apikey", &self.apikey)
            .field("timeout_secs", &self.timeout_secs)
            .field("profile", &self.profile)
            .finish()
    }
}

/// The process environment over the `.env` file of the working directory. Empty values count
/// as unset, as in the SDK (`os.getenv(...)` is falsy when empty).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    dotenv: HashMap<String, String>,
    /// Set in tests: replaces the process environment.
    fixed: Option<HashMap<String, String>>,
}

impl Environment {
    /// The real environment plus `./.env` (only that file: no search of parent directories,
    /// which could pick up an unrelated project's credentials). The process is not modified.
    /// A `.env` that holds a secret is refused when group or others can read it, as the
    /// config file is.
    pub fn load() -> Result<Self, ConfigError> {
        let path = Path::new(".env");
        let mut dotenv = HashMap::new();
        if path.is_file() {
            let entries = dotenvy::from_path_iter(path)
                .map_err(|error| ConfigError(format!("cannot read .env: {error}")))?;
            for entry in entries {
                let (key, value) = entry.map_err(|error| match error {
                    // Its message quotes the whole line, which may hold a secret.
                    dotenvy::Error::LineParse(_, index) => ConfigError(format!(
                        "cannot parse .env: a line is malformed at character {index}"
                    )),
                    other => ConfigError(format!("cannot parse .env: {other}")),
                })?;
                dotenv.insert(key, value);
            }
            check_dotenv_permissions(path, &dotenv)?;
        }
        Ok(Environment {
            dotenv,
            fixed: None,
        })
    }

    /// A fixed set of variables, for tests.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Environment {
            dotenv: HashMap::new(),
            fixed: Some(
                pairs
                    .into_iter()
                    .map(|(key, value)| (key.to_string(), value.to_string()))
                    .collect(),
            ),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        let from_process = match &self.fixed {
            Some(fixed) => fixed.get(key).cloned(),
            None => std::env::var(key).ok(),
        };
        from_process
            .filter(|value| !value.is_empty())
            .or_else(|| self.dotenv.get(key).cloned())
            .filter(|value| !value.is_empty())
    }

    /// Where a value came from, for `geobox-users config`.
    fn origin(&self, key: &str) -> Source {
        let in_process = match &self.fixed {
            Some(fixed) => fixed.get(key).is_some_and(|value| !value.is_empty()),
            None => std::env::var(key).is_ok_and(|value| !value.is_empty()),
        };
        if in_process {
            Source::Env(key.to_string())
        } else {
            Source::DotEnv(key.to_string())
        }
    }
}

/// Whether a `.env` key holds a secret: the SDK's, and any a profile could name for one
/// (`password_env = "PROD_GEOBOX_PASSWORD"`, `*_TOKEN`, `*_APIKEY`, `*_KEY`, `*_SECRET`).
fn holds_a_secret(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    ["PASSWORD", "TOKEN", "APIKEY", "API_KEY", "SECRET"]
        .iter()
        .any(|word| key.contains(word))
        || key.ends_with("_KEY")
}

fn check_dotenv_permissions(
    path: &Path,
    dotenv: &HashMap<String, String>,
) -> Result<(), ConfigError> {
    let mut secrets: Vec<&str> = dotenv
        .iter()
        .filter(|(key, value)| !value.is_empty() && holds_a_secret(key))
        .map(|(key, _)| key.as_str())
        .collect();
    if secrets.is_empty() {
        return Ok(());
    }
    secrets.sort_unstable();
    match file::mode_readable_by_others(path)? {
        None => Ok(()),
        Some(mode) => Err(ConfigError(format!(
            "refusing .env: it holds a secret ({}) but group or others can read it (mode \
             {mode:o}). Run `chmod 600 .env`, or set the secret in the environment instead.",
            secrets.join(", ")
        ))),
    }
}

/// Where a setting came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(String),
    DotEnv(String),
    Profile(String),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::DotEnv(var) => write!(f, ".env {var}"),
            Source::Profile(name) => write!(f, "profile '{name}'"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// The config file's path: `GEOBOX_USERS_CONFIG`, else the platform's config directory
/// (`~/.config/geobox-users/config.toml` on Linux).
pub fn config_path(env: &Environment) -> Option<PathBuf> {
    if let Some(path) = env.get(CONFIG_PATH_VAR) {
        return Some(PathBuf::from(path));
    }
    crate::paths::config_dir().map(|dir| dir.join("config.toml"))
}

/// Credentials as configured; a password may still be missing (then it is prompted for).
#[derive(Clone, Debug, PartialEq)]
pub enum Credentials {
    AccessToken(Secret),
    ApiKey(Secret),
    Password {
        username: String,
        password: Option<Secret>,
    },
    None,
}

impl Credentials {
    pub fn describe(&self) -> String {
        match self {
            Credentials::AccessToken(_) => "access token".to_string(),
            Credentials::ApiKey(_) => "API key".to_string(),
            Credentials::Password { username, .. } => format!("username + password ({username})"),
            Credentials::None => "none".to_string(),
        }
    }
}

/// Everything the client needs, resolved. `Debug` never shows a secret (they are [`Secret`]s,
/// and a password in the host is redacted).
#[derive(Clone, PartialEq)]
pub struct Config {
    pub host: String,
    pub host_source: Source,
    pub credentials: Credentials,
    pub credentials_source: Source,
    pub timeout: Duration,
    /// Where the journal is kept: this machine, or a team's database.
    pub journal: JournalPlace,
    pub journal_source: Source,
    /// The profile in effect, if any.
    pub profile: Option<String>,
    /// The profile says `protected = true`: every write names the deployment first.
    pub protected: bool,
    /// The config file's path, whether or not it exists.
    pub config_path: Option<PathBuf>,
    /// Whether the config file exists and was read.
    pub config_file_found: bool,
    /// Every profile in the file, for `geobox-users config`.
    pub profile_names: Vec<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &redact_host(&self.host))
            .field("host_source", &self.host_source)
            .field("credentials", &self.credentials)
            .field("credentials_source", &self.credentials_source)
            .field("timeout", &self.timeout)
            .field("journal", &self.journal)
            .field("profile", &self.profile)
            .field("protected", &self.protected)
            .field("config_path", &self.config_path)
            .field("config_file_found", &self.config_file_found)
            .field("profile_names", &self.profile_names)
            .finish()
    }
}

impl Config {
    /// Resolves the real environment (process + `./.env`) and the config file.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        let env = Environment::load()?;
        let path = config_path(&env);
        // The file is read only when a profile is asked for (or `config` lists them): a
        // plain SDK-style setup never depends on its presence or permissions.
        let wants_profile = overrides.profile.is_some() || env.get(PROFILE_VAR).is_some();
        let file = match (&path, wants_profile) {
            (Some(path), true) => ConfigFile::load(path)?,
            _ => None,
        };
        Self::resolve(overrides, &env, path, file)
    }

    /// Like [`Config::load`] but always reads the file, to list its profiles.
    pub fn load_for_display(overrides: &Overrides) -> Result<Config, ConfigError> {
        let env = Environment::load()?;
        let path = config_path(&env);
        let file = match &path {
            Some(path) => ConfigFile::load(path)?,
            None => None,
        };
        Self::resolve(overrides, &env, path, file)
    }

    /// The pure part: flags, environment and file in, one configuration out.
    pub fn resolve(
        overrides: &Overrides,
        env: &Environment,
        config_path: Option<PathBuf>,
        file: Option<ConfigFile>,
    ) -> Result<Config, ConfigError> {
        let config_file_found = file.is_some();
        let profile_name = match &overrides.profile {
            Some(name) => Some(name.clone()),
            None => env.get(PROFILE_VAR),
        };
        let profile_names: Vec<String> = file
            .as_ref()
            .map(|file| file.profiles.keys().cloned().collect())
            .unwrap_or_default();
        let profile = match &profile_name {
            None => None,
            Some(name) => {
                let found = file.as_ref().and_then(|file| file.profiles.get(name));
                match found {
                    Some(profile) => Some(profile.clone()),
                    None => {
                        let place = config_path
                            .as_ref()
                            .map(|path| path.display().to_string())
                            .unwrap_or_else(|| "the config file".to_string());
                        let known = if profile_names.is_empty() {
                            "it has none".to_string()
                        } else {
                            format!("it has: {}", profile_names.join(", "))
                        };
                        let why = if config_file_found {
                            known
                        } else {
                            "the file does not exist".to_string()
                        };
                        return Err(ConfigError(format!(
                            "no profile '{name}' in {place} ({why})"
                        )));
                    }
                }
            }
        };
        let profile_source = || Source::Profile(profile_name.clone().unwrap_or_default());

        let (host, host_source) = if let Some(host) = &overrides.host {
            (host.clone(), Source::Flag("--host"))
        } else if let Some(host) = profile.as_ref().and_then(|p| p.host.clone()) {
            (host, profile_source())
        } else if let Some(host) = env.get(HOST_VAR) {
            (host, env.origin(HOST_VAR))
        } else {
            (DEFAULT_HOST.to_string(), Source::Default)
        };
        let base =
            geobox_api::api_base_url(&host).map_err(|error| ConfigError(error.to_string()))?;
        if !base.username().is_empty() || base.password().is_some() {
            // The client would send it as Basic auth over every request's own sign-in (each
            // refused, each leaving a session behind), and the token cache would keep it.
            return Err(ConfigError(format!(
                "host '{}' ({host_source}) has a user name or password in it: remove the \
                 `user:pass@` part and sign in with GEOBOX_USERNAME and GEOBOX_PASSWORD (or a \
                 profile's username and password_env)",
                redact_host(&host)
            )));
        }

        let (timeout_secs, timeout_source) = if let Some(secs) = overrides.timeout_secs {
            (Some(secs), Source::Flag("--timeout"))
        } else if let Some(secs) = profile.as_ref().and_then(|p| p.timeout) {
            (Some(secs), profile_source())
        } else if let Some(text) = env.get(TIMEOUT_VAR) {
            let secs = text.trim().parse::<f64>().map_err(|_| {
                ConfigError(format!("{TIMEOUT_VAR}='{text}' is not a number of seconds"))
            })?;
            (Some(secs), env.origin(TIMEOUT_VAR))
        } else {
            (None, Source::Default)
        };
        let timeout = match timeout_secs {
            None => DEFAULT_TIMEOUT,
            Some(secs) => timeout_from_secs(secs)
                .map_err(|error| ConfigError(format!("timeout ({timeout_source}): {error}")))?,
        };

        let (credentials, credentials_source) =
            if let Some(credentials) = credentials_from_flags(overrides, profile.as_ref(), env)? {
                (credentials, Source::Flag("credentials"))
            } else if let Some(credentials) = profile
                .as_ref()
                .map(|profile| credentials_from_profile(profile, env))
                .transpose()
                .map_err(|error| {
                    let name = profile_name.as_deref().unwrap_or_default();
                    ConfigError(format!("profile '{name}': {error}"))
                })?
                .flatten()
            {
                (credentials, profile_source())
            } else {
                credentials_from_env(env)
            };

        let (journal, journal_source) =
            journal_place(profile.as_ref(), env).map_err(|error| match &profile_name {
                Some(name) if profile.as_ref().is_some_and(|p| p.journal.is_some()) => {
                    ConfigError(format!("profile '{name}': {error}"))
                }
                _ => ConfigError(error.to_string()),
            })?;
        let journal_source = match journal_source {
            Some(JournalFrom::Profile) => profile_source(),
            Some(JournalFrom::Environment) => env.origin(JOURNAL_URL_VAR),
            None => Source::Default,
        };

        let protected = profile.as_ref().is_some_and(|profile| profile.protected);
        Ok(Config {
            host,
            host_source,
            credentials,
            credentials_source,
            timeout,
            journal,
            journal_source,
            profile: profile_name,
            protected,
            config_path,
            config_file_found,
            profile_names,
        })
    }

    /// The client's `Auth`, asking for a missing password with `prompt` (given the username).
    pub fn auth(
        &self,
        prompt: impl FnOnce(&str) -> Result<Option<Secret>, ConfigError>,
    ) -> Result<Auth, ConfigError> {
        Ok(match &self.credentials {
            Credentials::AccessToken(token) => Auth::AccessToken(token.clone()),
            Credentials::ApiKey(key) => Auth::ApiKey(key.clone()),
            Credentials::Password {
                username,
                password: Some(password),
            } => Auth::Password {
                username: username.clone(),
                password: password.clone(),
            },
            Credentials::Password {
                username,
                password: None,
            } => match prompt(username)? {
                Some(password) => Auth::Password {
                    username: username.clone(),
                    password,
                },
                None => {
                    return Err(ConfigError(format!(
                        "no password for '{username}': set {PASSWORD_VAR}, or password_env in \
                         the profile, or run on a terminal to be asked"
                    )));
                }
            },
            Credentials::None => Auth::Anonymous,
        })
    }

    /// `geobox-users config`: where things are and what is in effect, secrets redacted.
    pub fn report(&self) -> String {
        let mut lines = Vec::new();
        let file_state = match (&self.config_path, self.config_file_found) {
            (Some(path), true) => format!("{}", path.display()),
            (Some(path), false) => format!("{} (does not exist)", path.display()),
            (None, _) => "(no config directory on this platform)".to_string(),
        };
        lines.push(format!("config file: {file_state}"));
        if !self.profile_names.is_empty() {
            lines.push(format!("profiles:    {}", self.profile_names.join(", ")));
        }
        lines.push(format!(
            "profile:     {}{}",
            self.profile.as_deref().unwrap_or("(none)"),
            if self.protected {
                " (protected: writes need --deployment NAME or the name typed)"
            } else {
                ""
            }
        ));
        lines.push(format!(
            "host:        {} ({})",
            redact_host(&self.host),
            self.host_source
        ));
        lines.push(format!(
            "auth:        {} ({})",
            self.credentials.describe(),
            self.credentials_source
        ));
        match &self.credentials {
            Credentials::AccessToken(_) => lines.push("token:       *** (set)".to_string()),
            Credentials::ApiKey(_) => lines.push("apikey:      *** (set)".to_string()),
            Credentials::Password { password, .. } => lines.push(format!(
                "password:    {}",
                if password.is_some() {
                    "*** (set)"
                } else {
                    "(not set: asked for on a terminal)"
                }
            )),
            Credentials::None => {}
        }
        lines.push(format!("timeout:     {}s", self.timeout.as_secs_f64()));
        lines.push(format!(
            "journal:     {} ({})",
            self.journal.label(),
            self.journal_source
        ));
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}

/// Seconds to a `Duration`, refusing what would make every request fail at once or hang.
pub fn timeout_from_secs(secs: f64) -> Result<Duration, ConfigError> {
    if !secs.is_finite() || secs <= 0.0 {
        return Err(ConfigError(format!(
            "{secs} is not a positive number of seconds"
        )));
    }
    Duration::try_from_secs_f64(secs).map_err(|error| ConfigError(format!("{secs}: {error}")))
}

fn credentials_from_flags(
    overrides: &Overrides,
    profile: Option<&Profile>,
    env: &Environment,
) -> Result<Option<Credentials>, ConfigError> {
    if let Some(token) = &overrides.access_token {
        return Ok(Some(Credentials::AccessToken(token.clone())));
    }
    if let Some(key) = &overrides.apikey {
        return Ok(Some(Credentials::ApiKey(key.clone())));
    }
    if overrides.username.is_none() && overrides.password.is_none() {
        return Ok(None);
    }
    // `--username bob` alone takes the password from where a password would come from
    // (profile, then environment); `--password` alone completes the configured username.
    let username = match &overrides.username {
        Some(username) => Some(username.clone()),
        None => profile
            .and_then(|p| p.username.clone())
            .or_else(|| env.get(USERNAME_VAR)),
    };
    let Some(username) = username else {
        return Err(ConfigError(
            "--password given without a username: add --username or set GEOBOX_USERNAME"
                .to_string(),
        ));
    };
    let password = match &overrides.password {
        Some(password) => Some(password.clone()),
        None => match profile {
            Some(profile) => profile_secret(&profile.password, &profile.password_env, env)?,
            None => None,
        }
        .or_else(|| env.get(PASSWORD_VAR).map(Secret::from)),
    };
    Ok(Some(Credentials::Password { username, password }))
}

/// A profile secret given inline or by variable name; a named variable that is unset is an
/// error (silently falling back would sign in as someone else).
fn profile_secret(
    inline: &Option<Secret>,
    var: &Option<String>,
    env: &Environment,
) -> Result<Option<Secret>, ConfigError> {
    if let Some(secret) = inline {
        return Ok(Some(secret.clone()));
    }
    match var {
        None => Ok(None),
        Some(var) => {
            env.get(var).map(Secret::from).map(Some).ok_or_else(|| {
                ConfigError(format!("its secret comes from ${var}, which is not set"))
            })
        }
    }
}

fn credentials_from_profile(
    profile: &Profile,
    env: &Environment,
) -> Result<Option<Credentials>, ConfigError> {
    let has_token = profile.access_token.is_some() || profile.access_token_env.is_some();
    let has_key = profile.apikey.is_some() || profile.apikey_env.is_some();
    let has_user = profile.username.is_some();
    let way = match profile.auth {
        Some(way) => way,
        None if has_token => AuthWay::Token,
        None if has_key => AuthWay::Apikey,
        None if has_user => AuthWay::Password,
        None => return Ok(None),
    };
    let missing = |what: &str| {
        ConfigError(format!(
            "it signs in with {what} but has none: add it or its *_env variable"
        ))
    };
    Ok(Some(match way {
        AuthWay::Token => Credentials::AccessToken(
            profile_secret(&profile.access_token, &profile.access_token_env, env)?
                .ok_or_else(|| missing("an access token (access_token)"))?,
        ),
        AuthWay::Apikey => Credentials::ApiKey(
            profile_secret(&profile.apikey, &profile.apikey_env, env)?
                .ok_or_else(|| missing("an API key (apikey)"))?,
        ),
        AuthWay::Password => Credentials::Password {
            username: profile
                .username
                .clone()
                .ok_or_else(|| missing("a username (username)"))?,
            password: profile_secret(&profile.password, &profile.password_env, env)?,
        },
    }))
}

fn credentials_from_env(env: &Environment) -> (Credentials, Source) {
    if let Some(token) = env.get(ACCESS_TOKEN_VAR) {
        return (
            Credentials::AccessToken(token.into()),
            env.origin(ACCESS_TOKEN_VAR),
        );
    }
    if let Some(key) = env.get(APIKEY_VAR) {
        return (Credentials::ApiKey(key.into()), env.origin(APIKEY_VAR));
    }
    if let Some(username) = env.get(USERNAME_VAR) {
        return (
            Credentials::Password {
                username,
                password: env.get(PASSWORD_VAR).map(Secret::from),
            },
            env.origin(USERNAME_VAR),
        );
    }
    (Credentials::None, Source::Default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(overrides: &Overrides, env: &[(&str, &str)], file: Option<&str>) -> Config {
        try_resolve(overrides, env, file).expect("resolves")
    }

    fn try_resolve(
        overrides: &Overrides,
        env: &[(&str, &str)],
        file: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let file = file.map(|text| ConfigFile::parse(text).expect("valid toml"));
        Config::resolve(
            overrides,
            &Environment::from_pairs(env.iter().copied()),
            Some(PathBuf::from("/cfg/config.toml")),
            file,
        )
    }

    const PROFILES: &str = r#"
        [profiles.prod]
        host = "https://prod.example"
        auth = "password"
        username = "ops"
        password_env = "PROD_GEOBOX_PASSWORD"
        timeout = 30

        [profiles.ci]
        access_token_env = "CI_TOKEN"
    "#;

    #[test]
    fn sdk_variables_pick_the_first_configured_way() {
        let config = resolve(
            &Overrides::default(),
            &[
                ("GEOBOX_APIKEY", "key"),
                ("GEOBOX_USERNAME", "u"),
                ("GEOBOX_PASSWORD", "p"),
                ("GEOBOX_ACCESS_TOKEN", "tok"),
                ("GEOBOX_HOST", "http://h:1"),
            ],
            None,
        );
        assert_eq!(config.credentials, Credentials::AccessToken("tok".into()));
        assert_eq!(config.host, "http://h:1");
        let config = resolve(
            &Overrides::default(),
            &[("GEOBOX_APIKEY", "key"), ("GEOBOX_USERNAME", "u")],
            None,
        );
        assert_eq!(config.credentials, Credentials::ApiKey("key".into()));
        let config = resolve(&Overrides::default(), &[], None);
        assert_eq!(config.credentials, Credentials::None);
        assert_eq!(config.host, DEFAULT_HOST);
        assert_eq!(config.timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn flags_win_over_the_environment() {
        let overrides = Overrides {
            host: Some("http://flag:2".into()),
            username: Some("flaguser".into()),
            timeout_secs: Some(2.5),
            ..Default::default()
        };
        let config = resolve(
            &overrides,
            &[
                ("GEOBOX_HOST", "http://env:1"),
                ("GEOBOX_ACCESS_TOKEN", "tok"),
                ("GEOBOX_PASSWORD", "envpw"),
            ],
            None,
        );
        assert_eq!(config.host, "http://flag:2");
        assert_eq!(
            config.credentials,
            Credentials::Password {
                username: "flaguser".into(),
                password: Some("envpw".into())
            }
        );
        assert_eq!(config.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn a_chosen_profile_beats_the_environment_and_reads_secrets_by_name() {
        let config = resolve(
            &Overrides {
                profile: Some("prod".into()),
                ..Default::default()
            },
            &[
                ("GEOBOX_HOST", "http://env:1"),
                ("GEOBOX_ACCESS_TOKEN", "tok"),
                ("PROD_GEOBOX_PASSWORD", "s3cret"),
            ],
            Some(PROFILES),
        );
        assert_eq!(config.host, "https://prod.example");
        assert_eq!(
            config.credentials,
            Credentials::Password {
                username: "ops".into(),
                password: Some("s3cret".into())
            }
        );
        assert_eq!(config.timeout, Duration::from_secs(30));
        assert_eq!(config.profile.as_deref(), Some("prod"));

        let config = resolve(
            &Overrides::default(),
            &[("GEOBOX_PROFILE", "ci"), ("CI_TOKEN", "t0k")],
            Some(PROFILES),
        );
        assert_eq!(config.credentials, Credentials::AccessToken("t0k".into()));
        assert_eq!(config.host, DEFAULT_HOST, "the ci profile names no host");
    }

    #[test]
    fn profile_problems_are_clear() {
        let unknown = try_resolve(
            &Overrides {
                profile: Some("staging".into()),
                ..Default::default()
            },
            &[],
            Some(PROFILES),
        )
        .expect_err("unknown profile");
        assert!(unknown.0.contains("no profile 'staging'"), "{unknown}");
        assert!(unknown.0.contains("ci, prod"), "{unknown}");

        let unset = try_resolve(
            &Overrides {
                profile: Some("ci".into()),
                ..Default::default()
            },
            &[],
            Some(PROFILES),
        )
        .expect_err("unset variable");
        assert!(unset.0.contains("$CI_TOKEN"), "{unset}");

        let typo = ConfigFile::parse("[profiles.x]\npasword = \"hunter2\"\n").expect_err("typo");
        assert!(typo.0.contains("pasword"), "{typo}");
        assert!(!typo.0.contains("hunter2"), "{typo}");
    }

    #[test]
    fn debug_and_report_never_show_secrets() {
        let config = resolve(
            &Overrides {
                apikey: Some("KEY-123".into()),
                ..Default::default()
            },
            &[("GEOBOX_PASSWORD", "pw-456")],
            None,
        );
        let shown = format!("{config:?}\n{}", config.report());
        assert!(
            !shown.contains("KEY-123") && !shown.contains("pw-456"),
            "{shown}"
        );
        assert!(config.report().contains("API key"));
    }

    #[test]
    fn a_password_in_the_host_is_never_shown_and_never_used() {
        let error = try_resolve(
            &Overrides::default(),
            &[("GEOBOX_HOST", "http://ops:hunter2@geobox.example:8080/v1")],
            None,
        )
        .expect_err("a host with a password in it");
        assert!(
            error.0.contains(
                "host 'http://***@geobox.example:8080/v1' (environment GEOBOX_HOST) has a user \
                 name or password in it"
            ),
            "{error}"
        );
        assert!(!error.0.contains("hunter2"), "{error}");
        let user_only = try_resolve(
            &Overrides {
                host: Some("https://ops@geobox.example".into()),
                ..Default::default()
            },
            &[],
            None,
        )
        .expect_err("a user name in the host");
        assert!(user_only.0.contains("flag --host"), "{user_only}");
        let error = try_resolve(
            &Overrides::default(),
            &[("GEOBOX_HOST", "ftp://ops:hunter2@geobox.example")],
            None,
        )
        .expect_err("not http");
        assert!(!error.0.contains("hunter2"), "{error}");
        assert!(error.0.contains("ftp://***@geobox.example"), "{error}");
    }

    #[test]
    fn a_missing_password_is_prompted_for_or_refused() {
        let config = resolve(&Overrides::default(), &[("GEOBOX_USERNAME", "bob")], None);
        let auth = config
            .auth(|username| {
                assert_eq!(username, "bob");
                Ok(Some("typed".into()))
            })
            .expect("prompted");
        assert_eq!(
            auth,
            Auth::Password {
                username: "bob".into(),
                password: "typed".into()
            }
        );
        let refused = config.auth(|_| Ok(None)).expect_err("no terminal");
        assert!(refused.0.contains("GEOBOX_PASSWORD"), "{refused}");
    }

    #[test]
    fn timeouts_must_be_positive() {
        assert!(timeout_from_secs(0.0).is_err());
        assert!(timeout_from_secs(f64::NAN).is_err());
        assert_eq!(timeout_from_secs(0.5), Ok(Duration::from_millis(500)));
        let error = try_resolve(&Overrides::default(), &[("GEOBOX_TIMEOUT", "soon")], None)
            .expect_err("bad timeout");
        assert!(error.0.contains("GEOBOX_TIMEOUT"));
    }

    #[test]
    fn secrets_in_dotenv_are_known_by_their_names() {
        for key in [
            "GEOBOX_PASSWORD",
            "GEOBOX_ACCESS_TOKEN",
            "GEOBOX_APIKEY",
            "PROD_GEOBOX_PASSWORD",
            "staging_api_key",
            "CI_SECRET",
        ] {
            assert!(holds_a_secret(key), "{key}");
        }
        for key in [
            "GEOBOX_HOST",
            "GEOBOX_USERNAME",
            "GEOBOX_TIMEOUT",
            "GEOBOX_PROFILE",
        ] {
            assert!(!holds_a_secret(key), "{key}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_dotenv_with_a_secret_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".env");
        let with_secret: HashMap<String, String> = [
            ("GEOBOX_USERNAME".to_string(), "ops".to_string()),
            ("GEOBOX_PASSWORD".to_string(), "hunter2".to_string()),
        ]
        .into();
        std::fs::write(&path, "GEOBOX_USERNAME=ops\nGEOBOX_PASSWORD=hunter2\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = check_dotenv_permissions(&path, &with_secret).expect_err("refused");
        assert!(error.0.contains("chmod 600 .env"), "{error}");
        assert!(error.0.contains("GEOBOX_PASSWORD"), "{error}");
        assert!(!error.0.contains("hunter2"), "{error}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(check_dotenv_permissions(&path, &with_secret).is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let no_secret: HashMap<String, String> =
            [("GEOBOX_HOST".to_string(), "https://h".to_string())].into();
        assert!(check_dotenv_permissions(&path, &no_secret).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_file_with_a_secret_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[profiles.p]\nusername = \"u\"\npassword = \"hunter2\"\n",
        )
        .expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = ConfigFile::load(&path).expect_err("refused");
        assert!(error.0.contains("chmod 600"), "{error}");
        assert!(!error.0.contains("hunter2"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(ConfigFile::load(&path).expect("accepted").is_some());
        std::fs::write(&path, "[profiles.p]\npassword_env = \"X\"\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(ConfigFile::load(&path).is_ok(), "no inline secret: fine");
    }
}
