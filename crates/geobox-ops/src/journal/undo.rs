//! Planning the undo of an entry, without doing any of it: given the entry and its users as
//! they are now, the writes that put them back, or why not. The CLI and the console both
//! show the plan, ask, and then carry it out.

use std::fmt;

use serde_json::Value;

use super::entry::{Action, Entry, Field, UserChange, Values};
use geobox_api::User;

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

/// What an undo will do, and what people should know about it first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UndoPlan {
    pub steps: Vec<UndoStep>,
    pub notes: Vec<String>,
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
    /// The users changed since the entry, or are gone; `force` undoes anyway.
    ChangedSince {
        drifts: Vec<Drift>,
        gone: Vec<(i64, Option<String>)>,
    },
    /// Everything is already as it was before the entry.
    NothingToUndo,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Impossible(reason) => f.write_str(reason),
            Refusal::NothingToUndo => f.write_str("nothing to undo: the values are already back"),
            Refusal::ChangedSince { .. } => {
                f.write_str("changed since the entry (--force undoes anyway):")?;
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
        let Refusal::ChangedSince { drifts, gone } = self else {
            return Vec::new();
        };
        let drifted = drifts.iter().map(|drift| {
            format!(
                "{} {}: the entry set {}, it is now {}",
                who(drift.user_id, drift.username.as_deref()),
                drift.field,
                show(&drift.recorded),
                show(&drift.now)
            )
        });
        let missing = gone
            .iter()
            .map(|(id, username)| format!("{} no longer exists", who(*id, username.as_deref())));
        drifted.chain(missing).collect()
    }
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

const NEW_ID_AND_PASSWORD: &str = "the user is created again with the same fields, but with a new \
     id and a new password (the old password was never recorded)";
const LOCKDOWN_STATUS_ONLY: &str = "only the status goes back: closed sessions stay closed and a \
     password set by the lockdown stays";

/// Plans the undo of `entry`. `now[i]` is the user of `entry.changes[i]` as fetched just now,
/// `None` when it no longer exists. With `force`, changes made since are overwritten and gone
/// users skipped instead of refusing.
pub fn plan_undo(entry: &Entry, now: &[Option<User>], force: bool) -> Result<UndoPlan, Refusal> {
    let nothing_happened =
        !entry.outcome.is_ok() && entry.changes.iter().all(|change| change.outcome.is_none());
    if nothing_happened {
        return Err(Refusal::Impossible(format!(
            "the {} failed ({}), so there is nothing to undo",
            entry.action, entry.outcome
        )));
    }
    match &entry.action {
        Action::SetPassword => Err(Refusal::Impossible(
            "a password change cannot be undone: the old password was never recorded (set a \
             new one with `users set-password`)"
                .to_string(),
        )),
        Action::CloseSession => Err(Refusal::Impossible(
            "a closed session cannot be reopened: its token is gone for good (the user signs in \
             again)"
                .to_string(),
        )),
        Action::Delete => plan_recreate(entry),
        Action::Create => plan_delete_created(entry, now, force),
        Action::AddMember | Action::RemoveMember => plan_membership(entry),
        Action::Update
        | Action::Lockdown
        | Action::BulkUpdate
        | Action::Import
        | Action::RenewPlan
        | Action::Other(_) => plan_restore(entry, now, force),
    }
}

/// Each changed user back to their own previous values.
fn plan_restore(entry: &Entry, now: &[Option<User>], force: bool) -> Result<UndoPlan, Refusal> {
    let mut plan = UndoPlan::default();
    let mut drifts = Vec::new();
    let mut gone = Vec::new();
    // A lockdown records a status only once its disable went through, so that status goes
    // back even when a later step of the same user failed.
    let undoable = |change: &&UserChange| {
        !change.after.is_empty() && (change.succeeded(entry) || entry.action == Action::Lockdown)
    };
    let mut any_undoable = false;
    for (index, change) in entry
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| undoable(c))
    {
        any_undoable = true;
        let Some(user_id) = change.user_id else {
            continue;
        };
        let Some(user) = now.get(index).and_then(Option::as_ref) else {
            gone.push((user_id, change.username.clone()));
            continue;
        };
        drifts.extend(drifts_since(change, user_id, user));
        let mut changes = Vec::new();
        for field in change.after.0.keys() {
            let current = field.read(user);
            let previous = change.before.get(*field).cloned().unwrap_or(Value::Null);
            if current != previous {
                changes.push(FieldChange {
                    field: *field,
                    from: current,
                    to: previous,
                });
            }
        }
        if !changes.is_empty() {
            plan.steps.push(UndoStep::Update {
                user_id,
                username: change.username.clone(),
                changes,
            });
        }
    }
    if !any_undoable && entry.action == Action::Lockdown {
        return Err(Refusal::Impossible(
            "this lockdown changed no status (the user was already Disabled, or the disable \
             failed), and closed sessions and a new password cannot be undone"
                .to_string(),
        ));
    }
    if !any_undoable {
        return Err(Refusal::Impossible(format!(
            "this {} recorded no values to put back",
            entry.action
        )));
    }
    if !force && (!drifts.is_empty() || !gone.is_empty()) {
        return Err(Refusal::ChangedSince { drifts, gone });
    }
    for (id, username) in &gone {
        plan.notes.push(format!(
            "{} no longer exists: skipped",
            who(*id, username.as_deref())
        ));
    }
    if plan.steps.is_empty() {
        return Err(Refusal::NothingToUndo);
    }
    if entry.action == Action::Lockdown {
        plan.notes.push(LOCKDOWN_STATUS_ONLY.to_string());
    }
    Ok(plan)
}

/// The fields of `user` that are no longer what the entry left them at.
fn drifts_since(change: &UserChange, user_id: i64, user: &User) -> Vec<Drift> {
    change
        .after
        .0
        .iter()
        .filter_map(|(field, recorded)| {
            let now = field.read(user);
            (now != *recorded).then(|| Drift {
                user_id,
                username: change.username.clone(),
                field: *field,
                recorded: recorded.clone(),
                now,
            })
        })
        .collect()
}

fn plan_recreate(entry: &Entry) -> Result<UndoPlan, Refusal> {
    let steps: Vec<UndoStep> = entry
        .changes
        .iter()
        .filter(|change| change.succeeded(entry) && change.before.get(Field::Username).is_some())
        .map(|change| UndoStep::Create {
            fields: change.before.clone(),
        })
        .collect();
    if steps.is_empty() {
        return Err(Refusal::Impossible(
            "the delete recorded no fields to create the user from".to_string(),
        ));
    }
    Ok(UndoPlan {
        steps,
        notes: vec![NEW_ID_AND_PASSWORD.to_string()],
    })
}

fn plan_delete_created(
    entry: &Entry,
    now: &[Option<User>],
    force: bool,
) -> Result<UndoPlan, Refusal> {
    let mut plan = UndoPlan::default();
    let mut drifts = Vec::new();
    for (index, change) in entry.changes.iter().enumerate() {
        let (Some(user_id), true) = (change.user_id, change.succeeded(entry)) else {
            continue;
        };
        let Some(user) = now.get(index).and_then(Option::as_ref) else {
            continue;
        };
        drifts.extend(drifts_since(change, user_id, user));
        plan.steps.push(UndoStep::Delete {
            user_id,
            username: change.username.clone(),
        });
    }
    if !force && !drifts.is_empty() {
        return Err(Refusal::ChangedSince {
            drifts,
            gone: Vec::new(),
        });
    }
    if plan.steps.is_empty() {
        return Err(Refusal::NothingToUndo);
    }
    plan.notes
        .push("undoing a create deletes the user, with their sessions".to_string());
    Ok(plan)
}

fn plan_membership(entry: &Entry) -> Result<UndoPlan, Refusal> {
    let member_id = entry
        .detail
        .as_deref()
        .and_then(|detail| detail.trim().parse::<i64>().ok());
    let user_id = entry.changes.first().and_then(|change| change.user_id);
    let (Some(user_id), Some(member_id)) = (user_id, member_id) else {
        return Err(Refusal::Impossible(
            "the entry does not say which member it was".to_string(),
        ));
    };
    let step = if entry.action == Action::AddMember {
        UndoStep::RemoveMember { user_id, member_id }
    } else {
        UndoStep::AddMember { user_id, member_id }
    };
    Ok(UndoPlan {
        steps: vec![step],
        notes: Vec::new(),
    })
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
