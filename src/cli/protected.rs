//! A protected deployment (`protected = true` in its profile): before any command writes
//! there, the deployment is named. A script gives `--deployment NAME` (and `--yes`, for a
//! command that asks before it writes); on a terminal the name is typed. Checked once, here,
//! for every command that writes, before it connects.

use super::users::UsersCommand;
use super::{CliError, Command, ConnectionArgs, journal, members, out, sessions};
use geobox_ops::config::Config;

/// Whether `command` changes something on the deployment (a dry run does not; saved views are
/// this machine's file, not the deployment's).
pub fn writes(command: &Command) -> bool {
    match command {
        Command::Users(users) => match users {
            UsersCommand::List(_)
            | UsersCommand::Search { .. }
            | UsersCommand::Find(_)
            | UsersCommand::Get { .. } => false,
            UsersCommand::BulkUpdate(args) => !args.dry_run,
            UsersCommand::Import(args) => !args.dry_run,
            UsersCommand::Create(_)
            | UsersCommand::Update(_)
            | UsersCommand::Delete { .. }
            | UsersCommand::SetPassword { .. }
            | UsersCommand::RenewPlan { .. }
            | UsersCommand::Lockdown(_) => true,
        },
        Command::Sessions(sessions) => matches!(sessions, sessions::SessionsCommand::Close { .. }),
        Command::Members(members) => !matches!(members, members::MembersCommand::List { .. }),
        Command::Journal(args) => matches!(args.command, Some(journal::JournalCommand::Undo(_))),
        Command::Plans(_)
        | Command::Views(_)
        | Command::Completions(_)
        | Command::Config
        | Command::Logout(_) => false,
        #[cfg(feature = "demo")]
        Command::Serve(_) => false,
    }
}

/// The command's own `--yes`, for a command that asks before it writes (`None`: it never asks).
fn own_yes(command: &Command) -> Option<bool> {
    match command {
        Command::Users(UsersCommand::Delete { yes, .. }) => Some(*yes),
        Command::Users(UsersCommand::Create(args)) => Some(args.yes),
        Command::Users(UsersCommand::Update(args)) => Some(args.yes),
        Command::Users(UsersCommand::BulkUpdate(args)) => Some(args.yes),
        Command::Users(UsersCommand::Import(args)) => Some(args.yes),
        Command::Users(UsersCommand::Lockdown(args)) => Some(args.yes),
        Command::Journal(journal::JournalArgs {
            command: Some(journal::JournalCommand::Undo(undo)),
            ..
        }) => Some(undo.yes),
        _ => None,
    }
}

/// What a write to the configured deployment needs, decided from what was given.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Go on: not protected, or named as it must be.
    Allowed,
    /// Ask for the name on the terminal.
    AskName(String),
    /// Refused, and why.
    Refused(String),
}

/// The rule, without the terminal: `protected` and `name` from the profile, `named` from
/// `--deployment`, `yes` the command's own `--yes` (if it has one), `terminal` whether
/// someone can type.
pub fn decide(
    protected: bool,
    name: &str,
    named: Option<&str>,
    yes: Option<bool>,
    terminal: bool,
) -> Decision {
    if !protected {
        return Decision::Allowed;
    }
    match named {
        Some(named) if named != name => Decision::Refused(format!(
            "--deployment {named} does not name the deployment this command goes to ({name}): \
             nothing was sent"
        )),
        Some(_) if yes == Some(false) => Decision::Refused(format!(
            "{name} is protected: this command needs --yes beside --deployment {name}"
        )),
        Some(_) => Decision::Allowed,
        None if terminal => Decision::AskName(name.to_string()),
        None => Decision::Refused(format!(
            "{name} is protected: a write there needs --deployment {name}{yes} (or its name \
             typed on a terminal); nothing was sent",
            yes = if yes.is_some() { " and --yes" } else { "" },
        )),
    }
}

/// Lets `command` through to the configured deployment, or says why not: the one check every
/// CLI write passes.
pub fn allow(command: &Command, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !writes(command) {
        return Ok(());
    }
    // A configuration that does not resolve is reported by the command itself.
    let Ok(config) = Config::load(&connection.overrides()) else {
        return Ok(());
    };
    let name = config.profile.clone().unwrap_or_default();
    let decision = decide(
        config.protected,
        &name,
        connection.deployment.as_deref(),
        own_yes(command),
        out::at_terminal(),
    );
    match decision {
        Decision::Allowed => Ok(()),
        Decision::Refused(why) => Err(CliError::Usage(why)),
        Decision::AskName(name) => {
            let typed = out::ask(&format!(
                "{name} is protected. Type its name to write there: "
            ))?;
            if typed == name {
                Ok(())
            } else {
                Err(CliError::Declined(format!(
                    "'{typed}' is not {name}: nothing was sent"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protected_deployment_is_named_before_a_write() {
        use Decision::*;
        assert_eq!(decide(false, "prod", None, Some(false), false), Allowed);
        assert_eq!(
            decide(true, "prod", Some("prod"), Some(true), false),
            Allowed
        );
        assert_eq!(decide(true, "prod", Some("prod"), None, false), Allowed);
        assert_eq!(
            decide(true, "prod", None, Some(true), true),
            AskName("prod".into())
        );
        let Refused(why) = decide(true, "prod", None, Some(true), false) else {
            panic!("--yes alone is not enough");
        };
        assert!(why.contains("--deployment prod and --yes"), "{why}");
        let Refused(why) = decide(true, "prod", Some("staging"), Some(true), true) else {
            panic!("another name is refused, even on a terminal");
        };
        assert!(why.contains("(prod)"), "{why}");
        assert!(matches!(
            decide(true, "prod", Some("prod"), Some(false), false),
            Refused(_)
        ));
    }
}
