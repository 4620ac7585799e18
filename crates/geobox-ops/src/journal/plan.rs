//! Planning the undo of an entry, without doing any of it: given the entry and its users as
//! they are now, the writes that put them back, or why not. The CLI and the console both
//! show the plan, ask, and then carry it out.
//!
//! Each user is judged on their own: a user the entry made is deleted, a user it changed gets
//! the old values back, a user already back as before is left alone (an earlier undo, or
//! someone else, put them back), and a user someone changed since is refused, skipped or
//! overwritten as asked. The signed-in admin is never disabled or demoted by an undo.

use serde_json::Value;

use super::entry::{Action, Entry, Field, UserChange};
use super::undo::{
    ChangedUsers, Drift, FieldChange, IfChanged, LeftOut, Refusal, UndoOptions, UndoPlan, UndoStep,
    counted, who,
};
use crate::safety::self_harm;
use geobox_api::{User, UserRole, UserStatus};

const NEW_ID_AND_PASSWORD: &str = "the user is created again with the same fields, but with a new \
     id and a new password (the old password was never recorded)";
const LOCKDOWN_STATUS_ONLY: &str = "only the status goes back: closed sessions stay closed and a \
     password set by the lockdown stays";
const DELETES_CREATED: &str = "undoing a create deletes the user, with their sessions";

/// Plans the undo of `entry`. `now[i]` is the user of `entry.changes[i]` as fetched just now,
/// `None` when it no longer exists.
pub fn plan_undo(
    entry: &Entry,
    now: &[Option<User>],
    options: &UndoOptions<'_>,
) -> Result<UndoPlan, Refusal> {
    if let Some(undone) = entry.undone.as_ref().filter(|undone| undone.whole) {
        return Err(Refusal::AlreadyUndone(undone.clone()));
    }
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
        Action::AddMember | Action::RemoveMember => plan_membership(entry),
        Action::Create
        | Action::Update
        | Action::Lockdown
        | Action::BulkUpdate
        | Action::Import
        | Action::RenewPlan
        | Action::Other(_) => plan_each_user(entry, now, options),
    }
}

/// What undoing one user's change means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Undo {
    /// The entry made the user: delete them.
    Delete,
    /// The entry changed the user: put the old values back.
    Restore,
}

fn undo_of(entry: &Entry, change: &UserChange) -> Option<Undo> {
    let makes_users = matches!(entry.action, Action::Create | Action::Import);
    if makes_users && change.is_creation() && change.succeeded(entry) {
        return Some(Undo::Delete);
    }
    // A lockdown records a status only once its disable went through, so that status goes
    // back even when a later step of the same user failed.
    let happened = change.succeeded(entry) || entry.action == Action::Lockdown;
    (!change.after.is_empty() && happened).then_some(Undo::Restore)
}

fn plan_each_user(
    entry: &Entry,
    now: &[Option<User>],
    options: &UndoOptions<'_>,
) -> Result<UndoPlan, Refusal> {
    let mut plan = UndoPlan::default();
    let mut changed = ChangedUsers::default();
    let mut any_undoable = false;
    let mut already_back = 0;
    for (index, change) in entry.changes.iter().enumerate() {
        let Some(undo) = undo_of(entry, change) else {
            continue;
        };
        any_undoable = true;
        let Some(user_id) = change.user_id else {
            continue;
        };
        let username = change.username.clone();
        let Some(user) = now.get(index).and_then(Option::as_ref) else {
            match undo {
                // A user the entry made who is gone is as they were before it.
                Undo::Delete => already_back += 1,
                Undo::Restore => changed.gone.push((user_id, username)),
            }
            continue;
        };
        let step = match undo {
            Undo::Delete => UndoStep::Delete { user_id, username },
            Undo::Restore => {
                let changes = back_to_before(change, user);
                if changes.is_empty() {
                    already_back += 1;
                    continue;
                }
                UndoStep::Update {
                    user_id,
                    username,
                    changes,
                }
            }
        };
        let drifts = drifts_since(change, user_id, user, undo);
        if !drifts.is_empty() && options.if_changed != IfChanged::Overwrite {
            changed.drifts.extend(drifts);
            continue;
        }
        if let Some(left_out) = shuts_out(options, &step) {
            plan.left_out = Some(left_out);
            continue;
        }
        plan.steps.push(step);
    }
    if !any_undoable {
        return Err(nothing_recorded(entry));
    }
    match options.if_changed {
        IfChanged::Refuse if !changed.is_empty() => {
            return Err(Refusal::ChangedSince {
                drifts: changed.drifts,
                gone: changed.gone,
            });
        }
        IfChanged::Overwrite => {
            for (id, username) in &changed.gone {
                plan.notes.push(format!(
                    "{} no longer exists: skipped",
                    who(*id, username.as_deref())
                ));
            }
        }
        _ => plan.skipped = changed,
    }
    if plan.steps.is_empty() {
        return Err(nothing_left(entry, plan));
    }
    if plan
        .steps
        .iter()
        .any(|step| matches!(step, UndoStep::Delete { .. }))
    {
        plan.notes.push(DELETES_CREATED.to_string());
    }
    if entry.action == Action::Lockdown {
        plan.notes.push(LOCKDOWN_STATUS_ONLY.to_string());
    }
    if let (Some(undone), true) = (&entry.undone, already_back > 0) {
        let back = counted(already_back, "user is", "users are");
        plan.notes
            .push(format!("{back} back already: partly undone {undone}"));
    }
    Ok(plan)
}

/// Why a plan with no step refuses: an earlier undo did it all, every user left changed
/// since, only the admin themselves left, or nothing to do.
fn nothing_left(entry: &Entry, plan: UndoPlan) -> Refusal {
    if let Some(undone) = &entry.undone {
        return Refusal::AlreadyUndone(undone.clone());
    }
    if !plan.skipped.is_empty() {
        return Refusal::ChangedSince {
            drifts: plan.skipped.drifts,
            gone: plan.skipped.gone,
        };
    }
    match plan.left_out {
        Some(left_out) => Refusal::Impossible(format!(
            "{}: {}",
            left_out.note(),
            left_out.harm.consequence()
        )),
        None => Refusal::NothingToUndo,
    }
}

fn nothing_recorded(entry: &Entry) -> Refusal {
    if entry.action == Action::Lockdown {
        return Refusal::Impossible(
            "this lockdown changed no status (the user was already Disabled, or the disable \
             failed), and closed sessions and a new password cannot be undone"
                .to_string(),
        );
    }
    Refusal::Impossible(format!(
        "this {} recorded no values to put back",
        entry.action
    ))
}

/// The fields of `user` that are not what they were before the entry, each going back.
fn back_to_before(change: &UserChange, user: &User) -> Vec<FieldChange> {
    change
        .after
        .0
        .keys()
        .filter_map(|field| {
            let current = field.read(user);
            let previous = change.before.get(*field).cloned().unwrap_or(Value::Null);
            (current != previous).then(|| FieldChange {
                field: *field,
                from: current,
                to: previous,
            })
        })
        .collect()
}

/// The fields someone else changed after the entry: neither what the entry left them at nor
/// (for a change) what they were before it.
fn drifts_since(change: &UserChange, user_id: i64, user: &User, undo: Undo) -> Vec<Drift> {
    change
        .after
        .0
        .iter()
        .filter_map(|(field, recorded)| {
            let now = field.read(user);
            let back = undo == Undo::Restore && change.before.get(*field) == Some(&now);
            (now != *recorded && !back).then(|| Drift {
                user_id,
                username: change.username.clone(),
                field: *field,
                recorded: recorded.clone(),
                now,
            })
        })
        .collect()
}

/// The signed-in admin, when `step` would disable or demote them.
fn shuts_out(options: &UndoOptions<'_>, step: &UndoStep) -> Option<LeftOut> {
    let (
        me,
        UndoStep::Update {
            user_id,
            username,
            changes,
        },
    ) = (options.me?, step)
    else {
        return None;
    };
    let to = |field: Field| {
        changes
            .iter()
            .find(|change| change.field == field)
            .and_then(|change| change.to.as_str())
    };
    let status = to(Field::Status).map(UserStatus::from_wire);
    let role = to(Field::Role).map(UserRole::from_wire);
    let harm = self_harm(me, *user_id, status.as_ref(), role.as_ref())?;
    Some(LeftOut {
        user_id: *user_id,
        username: username.clone(),
        harm,
    })
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
        return Err(Refusal::Impossible(match &entry.undoes {
            Some(undone) => format!(
                "this undo deleted the users entry {undone} created, and kept only who they \
                 were: their fields are in entry {undone}"
            ),
            None => "the delete recorded no fields to create the user from".to_string(),
        }));
    }
    Ok(UndoPlan {
        steps,
        notes: vec![NEW_ID_AND_PASSWORD.to_string()],
        ..UndoPlan::default()
    })
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
        ..UndoPlan::default()
    })
}
