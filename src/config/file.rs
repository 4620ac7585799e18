//! The config file: `[profiles.NAME]` tables, parsed strictly (a typo is an error, never a
//! silently ignored key) and refused when it holds a secret that others could read.

use std::path::Path;

use serde::Deserialize;

use crate::api::Secret;

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

/// The config file: `[profiles.NAME]` tables.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub profiles: std::collections::BTreeMap<String, Profile>,
    /// Saved views used without a profile: read and written by `crate::views`.
    #[serde(default)]
    pub views: toml::Table,
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
            .map_err(|message| ConfigError(format!("config file {}: {message}", path.display())))?;
        file.check_permissions(path)?;
        Ok(Some(file))
    }

    pub fn parse(text: &str) -> Result<ConfigFile, String> {
        // toml's messages quote the offending line, which may hold a secret: keep the first
        // line of the message only (it names the problem and the position).
        toml::from_str(text).map_err(|error| {
            let message = error.message().to_string();
            match error.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].lines().count().max(1);
                    format!("line {line}: {message}")
                }
                None => message,
            }
        })
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

    #[cfg(unix)]
    fn check_permissions(&self, path: &Path) -> Result<(), ConfigError> {
        use std::os::unix::fs::PermissionsExt;
        let secrets = self.secrets();
        if secrets.is_empty() {
            return Ok(());
        }
        let mode = std::fs::metadata(path)
            .map_err(|error| ConfigError(format!("cannot stat {}: {error}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o044 != 0 {
            return Err(ConfigError(format!(
                "refusing config file {path}: it holds a secret ({keys}) but group or others \
                 can read it (mode {mode:o}). Run `chmod 600 {path}`, or name an environment \
                 variable instead (e.g. password_env = \"PROD_GEOBOX_PASSWORD\").",
                path = path.display(),
                keys = secrets.join(", "),
                mode = mode & 0o777,
            )));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_permissions(&self, _path: &Path) -> Result<(), ConfigError> {
        Ok(())
    }
}
