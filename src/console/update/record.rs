//! The console's writes as journal entries (tool `console`): update builds each entry from a
//! write's answer and hands it to the runner in [`Cmd::AppendJournal`]; only the runner
//! touches the file. A bulk action's steps are gathered into one entry. Ids come from the
//! model's sequence and times from the model's `now`, both set by the runner: nothing here
//! reads the clock or the OS.

use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::Model;
use geobox_api::{ApiError, User};
use geobox_ops::journal::{Action, Deployment, Entry, Outcome, Tool, UserChange, Values, diff};

/// A write to one user: one entry, or one step of the running bulk action.
pub(super) fn record_user(
    model: &mut Model,
    env: &Env,
    action: Action,
    mut change: UserChange,
    outcome: Outcome,
    cmds: &mut Vec<Cmd>,
) {
    if model.progress.is_some() {
        change.outcome = Some(outcome);
        let (_, steps) = model
            .journal
            .bulk
            .get_or_insert_with(|| (bulk_action(action), Vec::new()));
        steps.push(change);
        return;
    }
    record(model, env, action, vec![change], outcome, None, cmds);
}

/// The running bulk action's last answer came: its steps become one entry.
pub(super) fn finish_bulk(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let Some((action, changes)) = model.journal.bulk.take() else {
        return;
    };
    let failed = changes
        .iter()
        .filter(|change| !change.outcome.as_ref().is_some_and(Outcome::is_ok))
        .count();
    let outcome = if failed == 0 {
        Outcome::Ok
    } else {
        Outcome::Error(format!("{failed} of {} failed", changes.len()))
    };
    record(model, env, action, changes, outcome, None, cmds);
}

/// One write to many users is a bulk update; other kinds (session closes) keep their name.
fn bulk_action(action: Action) -> Action {
    match action {
        Action::Update => Action::BulkUpdate,
        other => other,
    }
}

/// A new entry with the next id, stamped with this run's host, signed-in admin and now; it is
/// kept for this run's view, and the runner is asked to append it.
pub(super) fn record(
    model: &mut Model,
    env: &Env,
    action: Action,
    changes: Vec<UserChange>,
    outcome: Outcome,
    detail: Option<String>,
    cmds: &mut Vec<Cmd>,
) {
    let id = model.journal.ids.next_id();
    let mut entry = Entry::at(id, model.now, "", Tool::Console, action, outcome);
    entry.changes = changes;
    entry.detail = detail;
    stamp(model, env, &mut entry);
    append(model, entry, cmds);
}

/// Stamps an entry (one built here, or by the runner for an undo or a lockdown) with this
/// run's host, signed-in admin and now, like every console entry.
pub(super) fn stamp(model: &Model, env: &Env, entry: &mut Entry) {
    entry.place(&deployment(env), &env.api_base);
    entry.time = model.now;
    entry.by = model.me.loaded().map(|me| me.username.clone());
}

/// The deployment this console writes to: the built-in demo (whose address changes at every
/// start), or the server.
pub(super) fn deployment(env: &Env) -> Deployment {
    match env.demo_url {
        Some(_) => Deployment::Demo,
        None => Deployment::server(&env.api_base),
    }
}

/// Keeps an entry built elsewhere (an undo, a lockdown) and asks the runner to append it.
pub(super) fn append(model: &mut Model, entry: Entry, cmds: &mut Vec<Cmd>) {
    model.journal.this_run.push(entry.clone());
    cmds.push(Cmd::AppendJournal {
        entry: Box::new(entry),
    });
}

/// A user's part of a write, with no values (a password change, a renewal, a session close).
pub(super) fn about(user_id: i64, username: impl Into<String>) -> UserChange {
    UserChange::new(Some(user_id), Some(username.into()))
}

/// An update: exactly the fields that changed from `before` to `after`.
pub(super) fn changed(before: &User, after: &User) -> UserChange {
    let (old, new) = diff(before, after);
    about(after.id, after.username.clone()).values(old, new)
}

/// An update that failed: the values the user had and the ones it tried to set.
pub(super) fn tried(user_id: i64, before: Option<&User>, tried: Values) -> UserChange {
    let old = before.map(|user| tried.read_from(user)).unwrap_or_default();
    let username = before.map(|user| user.username.clone());
    UserChange::new(Some(user_id), username).values(old, tried)
}

/// A failed write's outcome, as the API said it.
pub(super) fn failed(error: &ApiError) -> Outcome {
    Outcome::Error(error.to_string())
}
