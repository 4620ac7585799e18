//! Every profile of the config file at once, each resolved as `--profile NAME` alone would
//! resolve it: the deployments an admin looks after, for the console's deployment picker and
//! the CLI's search across deployments.

use std::path::PathBuf;

use super::{Config, ConfigError, ConfigFile, Environment, Overrides, Profile, config_path};

/// One profile of the config file: its name, what the file says, and the configuration it
/// resolves to (or why it does not: a secret's variable unset, a bad host).
#[derive(Clone, Debug)]
pub struct ProfileEntry {
    pub name: String,
    pub profile: Profile,
    pub config: Result<Config, ConfigError>,
}

/// The profiles of the config file, by name. No file: none. A file that cannot be read (or
/// holds a secret others can read) is an error, as for `--profile`.
pub fn every_profile() -> Result<Vec<ProfileEntry>, ConfigError> {
    let env = Environment::load()?;
    let path = config_path(&env);
    let file = match &path {
        Some(path) => ConfigFile::load(path)?,
        None => None,
    };
    Ok(resolve_every(&env, path, file))
}

/// The pure part of [`every_profile`]: each profile alone decides its host and credentials,
/// so flags and variables meant for one deployment never leak into another.
pub fn resolve_every(
    env: &Environment,
    path: Option<PathBuf>,
    file: Option<ConfigFile>,
) -> Vec<ProfileEntry> {
    let Some(file) = file else {
        return Vec::new();
    };
    file.profiles
        .iter()
        .map(|(name, profile)| {
            let overrides = Overrides {
                profile: Some(name.clone()),
                ..Overrides::default()
            };
            ProfileEntry {
                name: name.clone(),
                profile: profile.clone(),
                config: Config::resolve(&overrides, env, path.clone(), Some(file.clone())),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Credentials;

    #[test]
    fn each_profile_resolves_alone_and_a_broken_one_says_why() {
        let file = ConfigFile::parse(
            r#"
            [profiles.prod]
            host = "https://prod.example"
            username = "ops"
            password_env = "PROD_PASSWORD"

            [profiles.staging]
            host = "https://staging.example"
            apikey_env = "STAGING_KEY"
            "#,
        )
        .expect("a valid file");
        // The environment's own host and token are for the default deployment, not these.
        let env = Environment::from_pairs([
            ("GEOBOX_HOST", "http://elsewhere:1"),
            ("GEOBOX_ACCESS_TOKEN", "not-for-profiles"),
            ("PROD_PASSWORD", "s3cret"),
        ]);
        let every = resolve_every(&env, Some(PathBuf::from("/cfg/config.toml")), Some(file));
        let names: Vec<&str> = every.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["prod", "staging"]);
        let prod = every[0].config.as_ref().expect("prod resolves");
        assert_eq!(prod.host, "https://prod.example");
        assert_eq!(
            prod.credentials,
            Credentials::Password {
                username: "ops".into(),
                password: Some("s3cret".into())
            }
        );
        let staging = every[1].config.as_ref().expect_err("its key is not set");
        assert!(staging.0.contains("$STAGING_KEY"), "{staging}");
        assert!(resolve_every(&env, None, None).is_empty(), "no file: none");
    }
}
