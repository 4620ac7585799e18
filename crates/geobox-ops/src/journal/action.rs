//! What a write was, which program made it, and how it went: the words every entry is made of.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which program made the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    Console,
    Cli,
}

/// What was done. Kinds of write this version does not know read as `Other`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Recorded without values: the journal never holds a password.
    SetPassword,
    RenewPlan,
    CloseSession,
    AddMember,
    RemoveMember,
    /// Status to Disabled, sessions closed, maybe a new password: one entry with its steps.
    Lockdown,
    /// The same change to many users, each with their own before and after.
    BulkUpdate,
    Import,
    #[serde(untagged)]
    Other(String),
}

impl Action {
    pub fn name(&self) -> &str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::SetPassword => "set_password",
            Action::RenewPlan => "renew_plan",
            Action::CloseSession => "close_session",
            Action::AddMember => "add_member",
            Action::RemoveMember => "remove_member",
            Action::Lockdown => "lockdown",
            Action::BulkUpdate => "bulk_update",
            Action::Import => "import",
            Action::Other(name) => name,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a write, or one step of it, went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Error(String),
}

impl Outcome {
    pub fn of<T, E: fmt::Display>(result: &Result<T, E>) -> Outcome {
        match result {
            Ok(_) => Outcome::Ok,
            Err(error) => Outcome::Error(error.to_string()),
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Error(message) => write!(f, "error: {message}"),
        }
    }
}
