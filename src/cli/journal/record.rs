//! [`record`]: the one way the CLI's writes reach the journal, each entry stamped with the
//! deployment written to, the profile and the signed-in admin.

use std::fmt;

use serde_json::Value;

use crate::cli::{CliError, ConnectionArgs, note};
use geobox_api::{ApiError, User, UserUpdate};
use geobox_ops::config::{Config, Credentials};
use geobox_ops::journal::{
    Action, Deployment, Entry, Journal, Outcome, Tool, UserChange, Values, diff,
};

/// Where and as whom the CLI is working: what an entry records besides the change.
pub(super) struct Context {
    pub deployment: Deployment,
    pub profile: Option<String>,
    pub by: Option<String>,
}

impl Context {
    pub fn load(connection: &ConnectionArgs) -> Context {
        match Config::load(&connection.overrides()) {
            Ok(config) => Context {
                deployment: Deployment::server(&config.host),
                profile: config.profile,
                by: match config.credentials {
                    Credentials::Password { username, .. } => Some(username),
                    _ => None,
                },
            },
            Err(_) => Context {
                deployment: Deployment::server(connection.host.as_deref().unwrap_or_default()),
                profile: connection.profile.clone(),
                by: None,
            },
        }
    }

    /// Stamps an entry with this run's deployment, profile and signed-in admin.
    pub fn stamp(&self, entry: &mut Entry) {
        // The address recorded is the deployment's own: a host's user and password never are.
        entry.place(&self.deployment, self.deployment.key());
        entry.profile.clone_from(&self.profile);
        entry.by.clone_from(&self.by);
    }
}

/// What a command wrote, described for the journal before it knows the outcome.
#[derive(Debug)]
pub struct Written {
    action: Action,
    changes: Vec<UserChange>,
    detail: Option<String>,
}

impl Written {
    /// A write to one user known by id, with no values (a password change).
    pub fn to_user(action: Action, user_id: i64) -> Written {
        Written::one(action, UserChange::new(Some(user_id), None))
    }

    /// A write to one user, as recorded by the code that made it (a plan renewal).
    pub fn one(action: Action, change: UserChange) -> Written {
        Written {
            action,
            changes: vec![change],
            detail: None,
        }
    }

    /// One write to many users (a bulk change, an import): a change per user, each with its
    /// own outcome.
    pub fn bulk(action: Action, changes: Vec<UserChange>) -> Written {
        Written {
            action,
            changes,
            detail: None,
        }
    }

    /// What the write was about besides the user: a session uuid, a member id.
    pub fn detail(mut self, detail: impl fmt::Display) -> Written {
        self.detail = Some(detail.to_string());
        self
    }

    /// An update: the fields that changed from `before` to the answer, or, when the write
    /// failed, the fields it tried to set.
    pub fn update(
        user_id: i64,
        before: Option<&User>,
        update: &UserUpdate,
        answer: &Result<Value, ApiError>,
    ) -> Written {
        let after = answer
            .as_ref()
            .ok()
            .and_then(|value| serde_json::from_value::<User>(value.clone()).ok());
        let (old, new) = match (before, &after) {
            (Some(before), Some(after)) => diff(before, after),
            _ => {
                let tried = Values::of_update(update);
                let old = before.map(|user| tried.read_from(user)).unwrap_or_default();
                (old, tried)
            }
        };
        let username = after.or(before.cloned()).map(|user| user.username);
        Written::one(
            Action::Update,
            UserChange::new(Some(user_id), username).values(old, new),
        )
    }

    /// A create: every field of the created user, or the username it tried.
    pub fn create(username: &str, answer: &Result<Value, ApiError>) -> Written {
        let created = answer
            .as_ref()
            .ok()
            .and_then(|value| serde_json::from_value::<User>(value.clone()).ok());
        let change = match created {
            Some(user) => UserChange::new(Some(user.id), Some(user.username.clone()))
                .values(Values::default(), Values::of_user(&user)),
            None => UserChange::new(None, Some(username.to_string())),
        };
        Written::one(Action::Create, change)
    }

    /// A delete: every field the user had, so an undo can create them again.
    pub fn delete(user: &User) -> Written {
        Written::one(
            Action::Delete,
            UserChange::new(Some(user.id), Some(user.username.clone()))
                .values(Values::of_user(user), Values::default()),
        )
    }

    fn into_entry(self, context: &Context, outcome: Outcome) -> Entry {
        let mut entry = Entry::new("", Tool::Cli, self.action, outcome);
        context.stamp(&mut entry);
        entry.changes = self.changes;
        entry.detail = self.detail;
        entry
    }
}

/// Appends what a command wrote, and how it went, to the journal. Never fails the command:
/// the write has happened either way, so a journal that cannot be written is a warning.
pub fn record<T, E: fmt::Display>(
    connection: &ConnectionArgs,
    written: Written,
    result: &Result<T, E>,
) {
    let entry = written.into_entry(&Context::load(connection), Outcome::of(result));
    append_to_configured(connection, &entry);
}

/// Appends an entry a shared library built (a lockdown with its steps), stamped with this
/// run's deployment, profile and signed-in user.
pub fn record_entry(connection: &ConnectionArgs, mut entry: Entry) {
    Context::load(connection).stamp(&mut entry);
    append_to_configured(connection, &entry);
}

/// The journal this run keeps: the team's when one is configured, else this machine's.
pub(super) fn open(connection: &ConnectionArgs) -> Result<Journal, CliError> {
    let config = Config::load(&connection.overrides())?;
    Ok(Journal::open(&config.journal)?)
}

/// Says what the journal found out once (an older journal imported).
pub(super) fn tell(journal: &Journal) {
    for notice in journal.take_notices() {
        note(&format!("note: {notice}"));
    }
}

/// Appends an entry to this run's journal; a journal that cannot be written is a warning.
fn append_to_configured(connection: &ConnectionArgs, entry: &Entry) {
    match open(connection) {
        Ok(journal) => {
            append(&journal, entry);
        }
        Err(error) => note(&format!("warning: this write was not journaled: {error}")),
    }
}

/// Appends an entry, and says when it (or others) could not reach the team journal yet;
/// whether it was kept.
pub(super) fn append(journal: &Journal, entry: &Entry) -> bool {
    let kept = match journal.append(entry) {
        Ok(()) => true,
        Err(error) => {
            note(&format!("warning: this write was not journaled: {error}"));
            false
        }
    };
    tell(journal);
    if let Some(warning) = journal.waiting().warning() {
        note(&format!("warning: {warning}"));
    }
    kept
}
