//! The journal's place in the configuration: a profile's `journal` and
//! `journal_password_env`, or `GEOBOX_JOURNAL_URL` (with `PGPASSWORD`), or this machine.

use geobox_api::Secret;

use super::{Environment, Profile};
use crate::journal::{JOURNAL_URL_VAR, JournalError, JournalPlace, PGPASSWORD_VAR, redact};

/// Where a team journal was named.
pub(super) enum JournalFrom {
    Profile,
    Environment,
}

/// The journal's place: the profile's `journal` (its password from `journal_password_env`),
/// else `GEOBOX_JOURNAL_URL`, else this machine; a password not in the URL may come from
/// `PGPASSWORD`, as for `psql`.
pub(super) fn journal_place(
    profile: Option<&Profile>,
    env: &Environment,
) -> Result<(JournalPlace, Option<JournalFrom>), JournalError> {
    let pgpassword = || env.get(PGPASSWORD_VAR).map(Secret::from);
    if let Some(profile) = profile
        && let Some(url) = profile
            .journal
            .as_deref()
            .filter(|url| !url.trim().is_empty())
    {
        let password = match &profile.journal_password_env {
            Some(name) => Some(env.get(name).map(Secret::from).ok_or_else(|| {
                JournalError::BadTeamUrl(format!(
                    "{}: journal_password_env names {name}, which is not set",
                    redact(url)
                ))
            })?),
            None => pgpassword(),
        };
        return Ok((
            JournalPlace::parse(Some(url), password)?,
            Some(JournalFrom::Profile),
        ));
    }
    match env.get(JOURNAL_URL_VAR) {
        Some(url) => Ok((
            JournalPlace::parse(Some(&url), pgpassword())?,
            Some(JournalFrom::Environment),
        )),
        None => Ok((JournalPlace::Local, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, ConfigFile, Overrides};
    use super::*;

    fn resolve(
        env: &[(&str, &str)],
        file: Option<&str>,
        profile: Option<&str>,
    ) -> Result<Config, String> {
        let file = file.map(|text| ConfigFile::parse(text).expect("valid toml"));
        let overrides = Overrides {
            profile: profile.map(str::to_string),
            ..Overrides::default()
        };
        Config::resolve(
            &overrides,
            &Environment::from_pairs(env.iter().copied()),
            None,
            file,
        )
        .map_err(|error| error.to_string())
    }

    const PROFILE: &str = r#"
        [profiles.team]
        host = "https://api.geobox.ir"
        journal = "postgres://ops@db.example.ir/journal?sslmode=verify-full"
        journal_password_env = "TEAM_JOURNAL_PASSWORD"
    "#;

    #[test]
    fn a_profile_names_the_team_journal_and_the_variable_of_its_password() {
        let config = resolve(
            &[
                ("TEAM_JOURNAL_PASSWORD", "hunter2"),
                (JOURNAL_URL_VAR, "postgres://x@elsewhere/j"),
            ],
            Some(PROFILE),
            Some("team"),
        )
        .expect("resolves");
        let JournalPlace::Team(team) = &config.journal else {
            panic!("{:?}", config.journal);
        };
        assert_eq!(
            team.host(),
            "db.example.ir",
            "the profile beats the variable"
        );
        assert_eq!(team.password.as_ref().map(Secret::expose), Some("hunter2"));
        let report = config.report();
        assert!(
            report.contains("journal:     team: postgres://ops:***@db.example.ir/journal"),
            "{report}"
        );
        assert!(report.contains("(profile 'team')"), "{report}");
        assert!(!report.contains("hunter2") && !format!("{config:?}").contains("hunter2"));

        let missing = resolve(&[], Some(PROFILE), Some("team")).expect_err("no password");
        assert!(
            missing.contains("TEAM_JOURNAL_PASSWORD, which is not set"),
            "{missing}"
        );
    }

    #[test]
    fn the_variable_names_it_without_a_profile_and_pgpassword_gives_the_password() {
        let config = resolve(
            &[
                (JOURNAL_URL_VAR, "postgres://ops@db/journal"),
                (PGPASSWORD_VAR, "s3cret"),
            ],
            None,
            None,
        )
        .expect("resolves");
        let JournalPlace::Team(team) = &config.journal else {
            panic!("{:?}", config.journal);
        };
        assert_eq!(team.password.as_ref().map(Secret::expose), Some("s3cret"));
        assert_eq!(
            resolve(&[], None, None).expect("resolves").journal,
            JournalPlace::Local
        );
        let bad = resolve(&[(JOURNAL_URL_VAR, "mysql://ops:pw@db/j")], None, None)
            .expect_err("not PostgreSQL");
        assert!(
            bad.contains("PostgreSQL URL") && !bad.contains(":pw@"),
            "{bad}"
        );
    }
}
