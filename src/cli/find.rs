//! `users find TERM`: one search across the config file's deployments, all at once, each
//! match printed with the profile it came from. A deployment that does not answer is said on
//! stderr while the others still print; the exit code says whether any failed.

use std::sync::Arc;

use clap::Args;
use serde_json::Value;

use super::show::OutputArgs;
use super::{CliError, out, prompt_login_password};
use geobox_api::GeoboxClient;
use geobox_ops::config::{ProfileEntry, every_profile};
use geobox_ops::field_column;
use geobox_ops::find::{self, Target};
use geobox_ops::transfer::output::{Column, Layout};

#[derive(Debug, Args)]
pub struct FindArgs {
    /// What to look for (the same keyword search as `users search`).
    pub term: String,
    /// Every profile of the config file (what happens without --profiles too).
    #[arg(long, conflicts_with = "profiles")]
    pub all_profiles: bool,
    /// Only these profiles, comma-separated.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub profiles: Vec<String>,
    /// Matches to ask each deployment for at most.
    #[arg(long, value_name = "N", default_value_t = find::DEFAULT_LIMIT)]
    pub limit: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

const FOUND_COLUMNS: &[Column] = &[
    field_column!("PROFILE", "profile"),
    field_column!("ID", "id"),
    field_column!("USERNAME", "username"),
    field_column!("FIRST NAME", "first_name"),
    field_column!("LAST NAME", "last_name"),
    field_column!("EMAIL", "email"),
    field_column!("ROLE", "role"),
    field_column!("STATUS", "status"),
];

/// A match with the profile it came from (`profile`, first in every format).
const FOUND: Layout = Layout {
    table: FOUND_COLUMNS,
    csv: FOUND_COLUMNS,
};

pub async fn run(args: FindArgs) -> Result<(), CliError> {
    let entries = chosen(every_profile()?, &args.profiles)?;
    let mut targets = Vec::new();
    let mut failed = Vec::new();
    // Passwords are asked one after the other, before the searches start together.
    for entry in entries {
        match target(&entry) {
            Ok(target) => targets.push(target),
            Err(why) => failed.push((entry.name, why)),
        }
    }
    let unsearched = failed.len();
    let answers = find::find_users(&targets, &args.term, args.limit).await;
    let mut found = Vec::new();
    for answer in answers {
        match answer.result {
            Ok(users) => found.extend(
                users
                    .into_iter()
                    .map(|user| with_profile(user, &answer.deployment)),
            ),
            Err(error) => failed.push((answer.deployment, error.to_string())),
        }
    }
    args.output.list(&found, &FOUND)?;
    for (profile, why) in &failed {
        out::warn(&format!("warning: {profile}: {why}"));
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(CliError::Failed(format!(
            "{} of {} did not answer",
            out::count(n, "deployment", "deployments"),
            targets.len() + unsearched,
        ))),
    }
}

/// The profiles asked for, in the file's order; a name the file does not have is refused.
fn chosen(entries: Vec<ProfileEntry>, names: &[String]) -> Result<Vec<ProfileEntry>, CliError> {
    if entries.is_empty() {
        return Err(CliError::Usage(
            "users find searches the config file's profiles, and it has none (see \
             docs/configuration.md#profiles)"
                .to_string(),
        ));
    }
    if names.is_empty() {
        return Ok(entries);
    }
    if let Some(unknown) = names
        .iter()
        .find(|name| !entries.iter().any(|entry| entry.name == **name))
    {
        let known: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        return Err(CliError::Usage(format!(
            "no profile '{unknown}' in the config file (it has: {})",
            known.join(", ")
        )));
    }
    Ok(entries
        .into_iter()
        .filter(|entry| names.contains(&entry.name))
        .collect())
}

/// A client for one profile, its password asked on a terminal when the profile names none.
fn target(entry: &ProfileEntry) -> Result<Target, String> {
    let config = entry.config.as_ref().map_err(ToString::to_string)?;
    let auth = config
        .auth(prompt_login_password)
        .map_err(|error| error.to_string())?;
    let client =
        GeoboxClient::new(&config.host, auth, config.timeout).map_err(|e| e.to_string())?;
    Ok(Target {
        deployment: entry.name.clone(),
        client: Arc::new(client),
        timeout: config.timeout,
    })
}

fn with_profile(mut user: Value, profile: &str) -> Value {
    if let Value::Object(fields) = &mut user {
        let mut ordered = serde_json::Map::new();
        ordered.insert("profile".to_string(), Value::from(profile));
        ordered.extend(std::mem::take(fields));
        *fields = ordered;
    }
    user
}
