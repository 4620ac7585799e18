//! What an undo will do, or why it will not, as the planner ([`plan_undo`](super::plan_undo))
//! works it out: the writes that put an entry's users back, the users it leaves as they are
//! and why, and the words the CLI and the console show before they ask.

use std::fmt;

use serde_json::Value;

use super::entry::{Field, Values};
use super::provenance::Undone;
use crate::safety::{AdminGrant, SelfHarm, SignedIn, admin_grant};
use geobox_api::UserRole;

/// One field going from what it is now to what it was.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub field: Field,
    pub from: Value,
    pub to: Value,
}

/// One write of an undo.
#[derive(Clone, Debug, PartialEq)]
pub enum UndoStep {
    /// Put these fields of an existing user back.
    Update {
        user_id: i64,
        username: Option<String>,
        changes: Vec<FieldChange>,
    },
    /// Create a deleted user again with the fields it had (a new id, and a new password).
    Create {
        fields: Values,
    },
    /// Delete a user the entry created.
    Delete {
        user_id: i64,
        username: Option<String>,
    },
    AddMember {
        user_id: i64,
        member_id: i64,
    },
    RemoveMember {
        user_id: i64,
        member_id: i64,
    },
}

/// What to do about users someone changed after the entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IfChanged {
    /// Undo nothing, and name what changed.
    #[default]
    Refuse,
    /// Undo the others, and leave the changed ones as they are (`--skip-changed`).
    Skip,
    /// Undo them too, overwriting what changed since (`--force`).
    Overwrite,
}

/// How to plan an undo.
#[derive(Clone, Copy, Debug, Default)]
pub struct UndoOptions<'a> {
    pub if_changed: IfChanged,
    /// The signed-in admin, whom an undo never disables or demotes.
    pub me: Option<&'a SignedIn>,
}

/// What an undo will do, and what people should know about it first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UndoPlan {
    pub steps: Vec<UndoStep>,
    pub notes: Vec<String>,
    /// Users left as they are because they changed since the entry (`--skip-changed`).
    pub skipped: ChangedUsers,
    /// The signed-in admin, left out because the undo would shut them out.
    pub left_out: Option<LeftOut>,
}

/// The signed-in admin, whom an undo would have disabled or demoted.
#[derive(Clone, Debug, PartialEq)]
pub struct LeftOut {
    pub user_id: i64,
    pub username: Option<String>,
    pub harm: SelfHarm,
}

impl LeftOut {
    /// `admin (1) (you) is left out: the undo would disable you`
    pub fn note(&self) -> String {
        format!(
            "{} (you) is left out: the undo would {}",
            who(self.user_id, self.username.as_deref()),
            self.harm.what()
        )
    }
}

/// Users someone changed after the entry, or who are gone since.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangedUsers {
    pub drifts: Vec<Drift>,
    pub gone: Vec<(i64, Option<String>)>,
}

impl ChangedUsers {
    pub fn is_empty(&self) -> bool {
        self.drifts.is_empty() && self.gone.is_empty()
    }

    /// Each user once, by id and username.
    pub fn users(&self) -> Vec<(i64, Option<String>)> {
        let mut users: Vec<(i64, Option<String>)> = Vec::new();
        let drifted = self.drifts.iter().map(|d| (d.user_id, d.username.clone()));
        for user in drifted.chain(self.gone.iter().cloned()) {
            if !users.iter().any(|(id, _)| *id == user.0) {
                users.push(user);
            }
        }
        users
    }

    /// A line a change: each field someone else set, then each user who is gone.
    pub fn lines(&self) -> Vec<String> {
        let drifted = self.drifts.iter().map(|drift| {
            format!(
                "{} {}: the entry set {}, it is now {}",
                who(drift.user_id, drift.username.as_deref()),
                drift.field,
                show(&drift.recorded),
                show(&drift.now)
            )
        });
        let missing = self
            .gone
            .iter()
            .map(|(id, username)| format!("{} no longer exists", who(*id, username.as_deref())));
        drifted.chain(missing).collect()
    }
}

impl UndoPlan {
    /// How many users the undo writes to (a step a user).
    pub fn users(&self) -> usize {
        self.steps.len()
    }

    /// A ⚠ line for each user the undo makes a System Admin or Account Admin.
    pub fn admin_grants(&self) -> Vec<String> {
        let role = |value: &Value| value.as_str().map(UserRole::from_wire);
        self.steps
            .iter()
            .filter_map(|step| match step {
                UndoStep::Update {
                    user_id,
                    username,
                    changes,
                } => {
                    let change = changes.iter().find(|change| change.field == Field::Role)?;
                    let grant = admin_grant(role(&change.from).as_ref(), &role(&change.to)?)?;
                    Some(grant.warning(&who(*user_id, username.as_deref())))
                }
                UndoStep::Create { fields } => {
                    let grant: AdminGrant = admin_grant(None, &role(fields.get(Field::Role)?)?)?;
                    let name = fields.get(Field::Username).map(show).unwrap_or_default();
                    Some(grant.warning(&name))
                }
                _ => None,
            })
            .collect()
    }

    /// The steps for people, at most `shown` of them, then how many more: an undo of 50,000
    /// users is shown in a screenful.
    pub fn preview(&self, shown: usize) -> String {
        let mut text = String::new();
        for step in self.steps.iter().take(shown) {
            text.push_str(&format!("{step}\n"));
        }
        if let Some(more) = self.steps.len().checked_sub(shown).filter(|more| *more > 0) {
            let users = if more == 1 { "user" } else { "users" };
            text.push_str(&format!("… and {more} more {users}\n"));
        }
        text
    }
}

/// A field someone changed after the entry: undoing would overwrite their change.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub user_id: i64,
    pub username: Option<String>,
    pub field: Field,
    /// What the entry left the field at.
    pub recorded: Value,
    pub now: Value,
}

/// Why an entry is not undone.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// Never possible for this entry, whatever the force.
    Impossible(String),
    /// The users changed since the entry, or are gone; `--skip-changed` undoes the others,
    /// `--force` all of them.
    ChangedSince {
        drifts: Vec<Drift>,
        gone: Vec<(i64, Option<String>)>,
    },
    /// Everything is already as it was before the entry.
    NothingToUndo,
    /// An undo put every user back already.
    AlreadyUndone(Undone),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Impossible(reason) => f.write_str(reason),
            Refusal::NothingToUndo => f.write_str("nothing to undo: the values are already back"),
            Refusal::AlreadyUndone(undone) => write!(f, "already undone ({undone})"),
            Refusal::ChangedSince { .. } => {
                f.write_str(
                    "changed since the entry (--skip-changed undoes the other users, --force \
                     overwrites these changes too):",
                )?;
                for line in self.changes() {
                    write!(f, "\n  {line}")?;
                }
                Ok(())
            }
        }
    }
}

impl Refusal {
    /// What changed since the entry, a line a user: each field someone else set, then each
    /// user who is gone. Empty for the other refusals.
    pub fn changes(&self) -> Vec<String> {
        match self {
            Refusal::ChangedSince { drifts, gone } => ChangedUsers {
                drifts: drifts.clone(),
                gone: gone.clone(),
            }
            .lines(),
            _ => Vec::new(),
        }
    }
}

/// `1 user`, `3 users`: a count with its noun.
pub fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A user for people: `neda (42)`, or `user 42`.
pub fn who(id: i64, username: Option<&str>) -> String {
    match username {
        Some(name) => format!("{name} ({id})"),
        None => format!("user {id}"),
    }
}

/// A recorded value for people: text as it is, empty as `(empty)`.
pub fn show(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".to_string(),
        Value::String(text) if text.is_empty() => "(empty)".to_string(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl fmt::Display for UndoStep {
    /// One line per step, `old → new` for every field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UndoStep::Update {
                user_id,
                username,
                changes,
            } => {
                write!(f, "update {}:", who(*user_id, username.as_deref()))?;
                for change in changes {
                    write!(
                        f,
                        "\n  {}: {} → {}",
                        change.field,
                        show(&change.from),
                        show(&change.to)
                    )?;
                }
                Ok(())
            }
            UndoStep::Create { fields } => {
                let name = fields.get(Field::Username).map(show).unwrap_or_default();
                write!(f, "create {name} again:")?;
                for (field, value) in &fields.0 {
                    write!(f, "\n  {field}: {}", show(value))?;
                }
                Ok(())
            }
            UndoStep::Delete { user_id, username } => {
                write!(f, "delete {}", who(*user_id, username.as_deref()))
            }
            UndoStep::AddMember { user_id, member_id } => {
                write!(f, "make user {member_id} a member of user {user_id} again")
            }
            UndoStep::RemoveMember { user_id, member_id } => {
                write!(
                    f,
                    "remove user {member_id} from the members of user {user_id}"
                )
            }
        }
    }
}
