//! The config file: `[profiles.NAME]` tables, parsed strictly (a typo is an error, never a
//! silently ignored key) and refused when it holds a secret that others could read.

use std::path::Path;

use serde::Deserialize;

use geobox_api::Secret;

/// A configuration problem: the invocation or its surroundings are wrong, not the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Which way a profile signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthWay {
    #[serde(alias = "access_token", alias = "access-token", alias = "bearer")]
    Token,
    #[serde(alias = "api_key", alias = "api-key")]
    Apikey,
    #[serde(alias = "username", alias = "username+password")]
    Password,
}

/// One `[profiles.NAME]` table. Secrets are best given by the name of an environment
/// variable (`password_env`); written inline they require a file only its owner can read.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub host: Option<String>,
    pub auth: Option<AuthWay>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_env: Option<String>,
    pub access_token: Option<Secret>,
    pub access_token_env: Option<String>,
    pub apikey: Option<Secret>,
    pub apikey_env: Option<String>,
    /// Seconds.
    pub timeout: Option<f64>,
    /// Every write to this deployment asks for its name: typed in the console, or given as
    /// `--deployment NAME` beside `--yes` in the CLI.
    #[serde(default)]
    pub protected: bool,
    /// The console's title bar and borders while it shows this deployment: a named colour or
    /// `#rrggbb` (the console reads it, and says so when it cannot).
    pub color: Option<String>,
    /// The team journal, `postgres://user@host/database` (the password best kept out of it).
    pub journal: Option<String>,
    /// The variable holding the team journal's password.
    pub journal_password_env: Option<String>,
    /// This profile's saved views: read and written by `crate::views`.
    #[serde(default)]
    pub views: toml::Table,
}

impl Profile {
    /// The keys of this profile that hold a secret inline.
    fn inline_secrets(&self) -> Vec<&'static str> {
        [
            ("password", self.password.is_some()),
            ("access_token", self.access_token.is_some()),
            ("apikey", self.apikey.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, present)| present.then_some(key))
        .collect()
    }
}

/// One `name = value` of the `[theme]` or `[keys]` table, with its line for messages. The
/// console checks the value, so a bad one is reported and skipped rather than refusing the file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "toml::Spanned<toml::Value>")]
pub struct Setting {
    pub value: toml::Value,
    /// Where the value starts in the file (bytes).
    pub offset: usize,
    /// Its line, counted from 1 (set once the whole file is read).
    pub line: usize,
}

impl From<toml::Spanned<toml::Value>> for Setting {
    fn from(spanned: toml::Spanned<toml::Value>) -> Self {
        Setting {
            offset: spanned.span().start,
            value: spanned.into_inner(),
            line: 0,
        }
    }
}

/// The console's own settings (`[console]`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Seconds between two refreshes of the live table; `0` turns it off.
    pub refresh: Option<u64>,
}

/// The config file: `[profiles.NAME]` tables, and the console's `[console]`, `[theme]` and
/// `[keys]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub profiles: std::collections::BTreeMap<String, Profile>,
    /// Saved views used without a profile: read and written by `crate::views`.
    #[serde(default)]
    pub views: toml::Table,
    /// Colours by role (`selected = "#3050a0"`).
    #[serde(default)]
    pub theme: std::collections::BTreeMap<String, Setting>,
    /// Keys by action (`quit = "Q"`).
    #[serde(default)]
    pub keys: std::collections::BTreeMap<String, Setting>,
    #[serde(default)]
    pub console: ConsoleSettings,
}

impl ConfigFile {
    /// Parses the file and refuses it when it holds a secret that others could read.
    pub fn load(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(ConfigError(format!(
                    "cannot read config file {}: {error}",
                    path.display()
                )));
            }
        };
        let file = Self::parse(&text)
            .map_err(|error| ConfigError(format!("config file {}: {error}", path.display())))?;
        file.check_permissions(path)?;
        Ok(Some(file))
    }

    /// Parses the file's text; the error names the line, never quotes it.
    pub fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        // toml's messages quote the offending line, which may hold a secret: keep the first
        // line of the message only (it names the problem and the position).
        let mut file: ConfigFile = toml::from_str(text).map_err(|error| {
            let message = error.message().to_string();
            ConfigError(match error.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].lines().count().max(1);
                    format!("line {line}: {message}")
                }
                None => message,
            })
        })?;
        for setting in file.theme.values_mut().chain(file.keys.values_mut()) {
            setting.line = line_at(text, setting.offset);
        }
        Ok(file)
    }

    /// The `[theme]` or `[keys]` entries in the order the file has them.
    pub fn in_file_order(
        table: &std::collections::BTreeMap<String, Setting>,
    ) -> Vec<(&String, &Setting)> {
        let mut entries: Vec<_> = table.iter().collect();
        entries.sort_by_key(|(_, setting)| setting.offset);
        entries
    }

    fn secrets(&self) -> Vec<String> {
        self.profiles
            .iter()
            .flat_map(|(name, profile)| {
                profile
                    .inline_secrets()
                    .into_iter()
                    .map(move |key| format!("profiles.{name}.{key}"))
            })
            .collect()
    }

    fn check_permissions(&self, path: &Path) -> Result<(), ConfigError> {
        let secrets = self.secrets();
        if secrets.is_empty() {
            return Ok(());
        }
        if let Some(mode) = mode_readable_by_others(path)? {
            return Err(ConfigError(format!(
                "refusing config file {path}: it holds a secret ({keys}) but group or others \
                 can read it (mode {mode:o}). Run `chmod 600 {path}`, or name an environment \
                 variable instead (e.g. password_env = \"PROD_GEOBOX_PASSWORD\").",
                path = path.display(),
                keys = secrets.join(", "),
            )));
        }
        Ok(())
    }
}

/// The file's permission bits when its group or others can read it.
#[cfg(unix)]
pub(crate) fn mode_readable_by_others(path: &Path) -> Result<Option<u32>, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|error| ConfigError(format!("cannot stat {}: {error}", path.display())))?
        .permissions()
        .mode();
    Ok((mode & 0o044 != 0).then_some(mode & 0o777))
}

/// Without Unix permission bits there is nothing to read here: a file in the user's own
/// config directory is taken as theirs.
#[cfg(not(unix))]
pub(crate) fn mode_readable_by_others(_path: &Path) -> Result<Option<u32>, ConfigError> {
    Ok(None)
}

/// The line (from 1) of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
