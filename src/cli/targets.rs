//! The users a command names: an id, `me`, or a username, as `gh` and `kubectl` take a name
//! wherever they take an id. A username is looked up on the server (`username = '…'`); one
//! that matches several users is an error that lists them.

use std::fmt;

use geobox_api::{GeoboxClient, UserQuery, UserRef, cql_escape};

use super::out::{count, warn};
use super::{ArgError, CliError};

/// How many users an ambiguous name lists.
const MATCHES_SHOWN: u64 = 10;

/// A user as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Id(i64),
    /// The signed-in user.
    Me,
    Name(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Id(id) => write!(f, "{id}"),
            Target::Me => f.write_str("me"),
            Target::Name(name) => f.write_str(name),
        }
    }
}

/// `12`, `me` or `neda_b`. A number names an id (and must be positive); anything else that is
/// not blank is a username (which may start with a digit: `1hadi`).
pub fn parse_target(value: &str) -> Result<Target, ArgError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ArgError::Empty);
    }
    if value.eq_ignore_ascii_case("me") {
        return Ok(Target::Me);
    }
    let number = value.strip_prefix(['-', '+']).unwrap_or(value);
    if number.chars().all(|c| c.is_ascii_digit()) {
        return super::parse_id(value).map(Target::Id);
    }
    Ok(Target::Name(value.to_string()))
}

/// The user's id; `me` is asked of `users/me/`, a username is looked up.
pub async fn id_of(client: &GeoboxClient, target: &Target) -> Result<i64, CliError> {
    match target {
        Target::Id(id) => Ok(*id),
        Target::Me => Ok(client.user_id(UserRef::Me).await?),
        Target::Name(name) => id_of_username(client, name).await,
    }
}

/// The ids of `targets`, in order, each once.
pub async fn ids_of(client: &GeoboxClient, targets: &[Target]) -> Result<Vec<i64>, CliError> {
    let mut ids = Vec::with_capacity(targets.len());
    for target in targets {
        let id = id_of(client, target).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// How a target is asked for with `GET users/{…}/`: `me` stays `me` (one request).
pub async fn user_ref(client: &GeoboxClient, target: &Target) -> Result<UserRef, CliError> {
    match target {
        Target::Me => Ok(UserRef::Me),
        other => Ok(UserRef::Id(id_of(client, other).await?)),
    }
}

async fn id_of_username(client: &GeoboxClient, name: &str) -> Result<i64, CliError> {
    let query = UserQuery::new()
        .q(format!("username = '{}'", cql_escape(name)))
        .order_by("id A")
        .limit(MATCHES_SHOWN + 1);
    let found = client.list_users(&query).await?;
    match found.as_slice() {
        [] => Err(CliError::NoSuchUser(format!(
            "no user named '{name}' (a user is given by id, username or `me`)"
        ))),
        [one] => Ok(one.id),
        several => {
            let listed: Vec<String> = several
                .iter()
                .take(MATCHES_SHOWN as usize)
                .map(|user| format!("  {}  {}", user.id, user.username))
                .collect();
            let more = if several.len() as u64 > MATCHES_SHOWN {
                "\n  …and more"
            } else {
                ""
            };
            Err(CliError::Usage(format!(
                "'{name}' names several users; give one of their ids:\n{}{more}",
                listed.join("\n")
            )))
        }
    }
}

/// What went wrong for some of several targets. As `kubectl delete a b` does, a failure does
/// not stop the rest; each is said when the run ends, and the command fails then (exit 1).
/// With one target, its error is the command's own.
pub struct Failures {
    targets: usize,
    said: Vec<String>,
}

impl Failures {
    /// For a run over this many targets.
    pub fn of(targets: usize) -> Failures {
        Failures {
            targets,
            said: Vec::new(),
        }
    }

    /// Keeps the failure of `what`; with a single target, returns its error instead.
    pub fn add(&mut self, what: impl fmt::Display, error: CliError) -> Result<(), CliError> {
        if self.targets == 1 {
            return Err(error);
        }
        self.said.push(format!("{what}: {error}"));
        Ok(())
    }

    /// Says each failure, and fails when there was one: `2 users could not be deleted`.
    pub fn end(self, singular: &str, plural: &str, not_done: &str) -> Result<(), CliError> {
        if self.said.is_empty() {
            return Ok(());
        }
        for failure in &self.said {
            warn(&format!("failed: {failure}"));
        }
        Err(CliError::Failed(format!(
            "{} {not_done}",
            count(self.said.len(), singular, plural)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_me_and_usernames_are_told_apart() {
        assert_eq!(parse_target("12"), Ok(Target::Id(12)));
        assert_eq!(parse_target("ME"), Ok(Target::Me));
        assert_eq!(
            parse_target("neda_b"),
            Ok(Target::Name("neda_b".to_string()))
        );
        assert_eq!(parse_target("نیما"), Ok(Target::Name("نیما".to_string())));
        assert!(parse_target("0").is_err());
        assert!(parse_target("-4").is_err());
        assert_eq!(parse_target("1hadi"), Ok(Target::Name("1hadi".to_string())));
        assert_eq!(parse_target("  "), Err(ArgError::Empty));
    }

    #[test]
    fn one_target_fails_at_once_and_several_at_the_end() {
        let refused = || CliError::Failed("refused".to_string());
        let mut one = Failures::of(1);
        assert!(matches!(
            one.add("user 5", refused()),
            Err(CliError::Failed(_))
        ));
        let mut several = Failures::of(3);
        assert!(several.add("user 5", refused()).is_ok());
        assert!(several.add("user 6", refused()).is_ok());
        let ended = several.end("user", "users", "could not be deleted");
        assert_eq!(
            ended.map_err(|error| error.to_string()),
            Err("2 users could not be deleted".to_string())
        );
        assert!(
            Failures::of(2)
                .end("user", "users", "could not be deleted")
                .is_ok()
        );
    }
}
