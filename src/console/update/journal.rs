//! The journal panel (`L`): this run's entries first, then earlier ones the runner reads from
//! the journal (the team's, with a team journal), narrowed to the selected user or to one
//! admin on request; `u` undoes the highlighted entry through the same planner as
//! `geobox-users journal undo`, showing the change or the refusal first (an undo of more than a
//! hundred users takes their count typed). `u` on the main screen opens the panel on the last
//! change this run made, whatever its kind, and asks the same way. The runner claims the undo
//! in the journal before it writes, so two admins never undo one entry twice.

use super::feedback::{action_allowed, explain, log_activity};
use super::list::refresh_list;
use super::record::{append, deployment, stamp};
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{JournalView, LoadState, Mode, Model, UndoAsk};
use crate::console::msg::{Done, JournalReadError, RequestId};
use geobox_api::{Secret, User};
use geobox_ops::journal::{
    Entry, Filter, IfChanged, Outcome, Refusal, UndoOptions, UndoPlan, UserKey, plan_undo,
};
use geobox_ops::safety::SignedIn;

/// Earlier entries read at once: enough to scroll through, quick to read in any journal.
const EARLIER_READ: usize = 500;

/// `L`: opens the panel and reads the earlier entries, or closes it.
pub(super) fn toggle(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    if matches!(model.mode, Mode::Journal(_)) {
        model.mode = Mode::Normal;
        return;
    }
    model.mode = Mode::Journal(Box::default());
    read_earlier(model, env, cmds);
}

fn view_mut(model: &mut Model) -> Option<&mut JournalView> {
    match &mut model.mode {
        Mode::Journal(view) => Some(view),
        _ => None,
    }
}

fn read_earlier(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    let deployment = (env.demo_url.is_some() || !env.api_base.is_empty()).then(|| deployment(env));
    let Some(view) = view_mut(model) else {
        return;
    };
    view.request = Some(request);
    view.earlier = LoadState::Loading;
    let filter = Filter {
        user: view.only_user.as_ref().map(|user| UserKey::Id(user.id)),
        by: view.only_admin.clone(),
        deployment,
        limit: Some(EARLIER_READ),
        ..Filter::default()
    };
    cmds.push(Cmd::ReadJournal { request, filter });
}

pub(super) fn on_read(
    model: &mut Model,
    request: RequestId,
    result: Result<Vec<Entry>, JournalReadError>,
) {
    let Some(view) = view_mut(model) else {
        return;
    };
    if view.request != Some(request) {
        return;
    }
    view.request = None;
    view.earlier = match result {
        Ok(entries) => LoadState::Loaded(entries),
        Err(error) => LoadState::Failed(error.to_string()),
    };
}

pub(super) fn step(model: &mut Model, delta: i32) {
    let this_run = model.journal.this_run.clone();
    let Some(view) = view_mut(model) else {
        return;
    };
    let last = view.rows(&this_run).len().saturating_sub(1);
    let moved = i64::try_from(view.selected).unwrap_or(i64::MAX) + i64::from(delta);
    view.selected = usize::try_from(moved.max(0)).unwrap_or(0).min(last);
    view.undo = UndoAsk::Idle;
}

/// Narrows the panel to the selected user's entries, or widens it again.
pub(super) fn toggle_user(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let selected = model.users.selected_target();
    let Some(view) = view_mut(model) else {
        return;
    };
    view.only_user = match view.only_user.take() {
        Some(_) => None,
        None => selected,
    };
    view.selected = 0;
    view.undo = UndoAsk::Idle;
    read_earlier(model, env, cmds);
}

/// Narrows the panel to the highlighted entry's admin, or widens it again.
pub(super) fn toggle_admin(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let this_run = model.journal.this_run.clone();
    let Some(view) = view_mut(model) else {
        return;
    };
    view.only_admin = match view.only_admin.take() {
        Some(_) => None,
        None => match view
            .rows(&this_run)
            .get(view.selected)
            .and_then(|entry| entry.by.clone())
        {
            Some(admin) => Some(admin),
            // An entry that names no admin narrows to nobody: nothing changes.
            None => return,
        },
    };
    view.selected = 0;
    view.undo = UndoAsk::Idle;
    read_earlier(model, env, cmds);
}

/// `u` on the main screen: the last change this run made (an edit, a create, a delete, a
/// renewal, a lockdown, marked users, a whole view), shown in the panel with its undo asked
/// as `u` there would; one already undone says so, and by whom.
pub(super) fn undo_last(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    if !action_allowed(model) {
        return;
    }
    let Some(last) = model.journal.last_change() else {
        model.note("Nothing to undo: this run changed nothing yet (L lists earlier changes)");
        return;
    };
    if let Some(undone) = last.undone.as_ref().filter(|undone| undone.whole) {
        let text = format!(
            "The last change ({} {}) is already undone ({undone})",
            last.action, last.id
        );
        model.note(text);
        return;
    }
    let id = last.id.clone();
    model.mode = Mode::Journal(Box::default());
    read_earlier(model, env, cmds);
    let this_run = model.journal.this_run.clone();
    if let Some(view) = view_mut(model) {
        view.selected = view
            .rows(&this_run)
            .iter()
            .position(|entry| entry.id == id)
            .unwrap_or(0);
    }
    request_undo(model, cmds);
}

/// Edits the count typed to confirm an undo of many users.
pub(super) fn edit_undo_count(model: &mut Model, request: tui_input::InputRequest) {
    if let Some(view) = view_mut(model)
        && let UndoAsk::Ready {
            typed, mismatch, ..
        } = &mut view.undo
    {
        typed.handle(request);
        *mismatch = false;
    }
}

/// `u`: reads the highlighted entry's users as they are now, to show what the undo changes.
pub(super) fn request_undo(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if !action_allowed(model) {
        return;
    }
    let request = model.new_request();
    let this_run = model.journal.this_run.clone();
    let Some(view) = view_mut(model) else {
        return;
    };
    let Some(entry) = view
        .rows(&this_run)
        .get(view.selected)
        .map(|e| (*e).clone())
    else {
        return;
    };
    view.undo = UndoAsk::Checking { request };
    model.actions_in_flight.insert(request);
    cmds.push(Cmd::CheckUndo {
        request,
        entry: Box::new(entry),
    });
}

pub(super) fn on_checked(model: &mut Model, entry: Entry, done: Done<Vec<Option<User>>>) {
    model.actions_in_flight.remove(&done.request);
    let me = model.me.loaded().and_then(SignedIn::of);
    let options = UndoOptions {
        if_changed: IfChanged::Refuse,
        me: me.as_ref(),
    };
    let Some(view) = view_mut(model) else {
        return;
    };
    if !matches!(view.undo, UndoAsk::Checking { request } if request == done.request) {
        return;
    }
    view.undo = match done.result {
        Ok(now) => match plan_undo(&entry, &now, &options) {
            Ok(mut plan) => {
                let first = warnings(&entry, &plan);
                plan.notes.splice(0..0, first);
                UndoAsk::Ready {
                    entry: Box::new(entry),
                    plan: Box::new(plan),
                    typed: tui_input::Input::default(),
                    mismatch: false,
                }
            }
            Err(refusal) => UndoAsk::Refused {
                text: refusal_words(&refusal),
            },
        },
        Err(error) => UndoAsk::Refused {
            text: format!("Reading the user failed: {}", explain(&error)),
        },
    };
}

/// What the admin must read before `y`, shown first among the plan's notes: an entry that
/// does not verify, the admin left out, admin rights the undo grants.
fn warnings(entry: &Entry, plan: &UndoPlan) -> Vec<String> {
    let seal = entry.read_from.as_ref().map(|from| from.seal);
    let unverified = seal.and_then(|seal| seal.warning(&entry.id));
    let left_out = plan.left_out.as_ref().map(|left_out| left_out.note());
    unverified
        .map(|warning| format!("WARNING: {warning}"))
        .into_iter()
        .chain(left_out)
        .chain(plan.admin_grants())
        .collect()
}

/// Why an entry is not undone, for the console (which has no `--force`).
fn refusal_words(refusal: &Refusal) -> String {
    match refusal {
        Refusal::ChangedSince { .. } => {
            let mut lines = vec!["Not undone: changed since the entry".to_string()];
            lines.extend(refusal.changes());
            lines.join("\n")
        }
        other => format!("Not undone: {other}"),
    }
}

/// `y`: carries out the undo shown.
pub(super) fn confirm_undo(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if !action_allowed(model) {
        return;
    }
    let request = model.new_request();
    let claimant = model.me.loaded().map(|me| me.username.clone());
    let Some(view) = view_mut(model) else {
        return;
    };
    if !matches!(view.undo, UndoAsk::Ready { .. }) {
        return;
    }
    let counted = view.undo.typing_count();
    let UndoAsk::Ready {
        entry, plan, typed, ..
    } = std::mem::take(&mut view.undo)
    else {
        return;
    };
    // Above a hundred users, the count typed is the yes, as for a change to many.
    if counted && typed.value().trim() != plan.users().to_string() {
        view.undo = UndoAsk::Ready {
            entry,
            plan,
            typed,
            mismatch: true,
        };
        return;
    }
    view.undo = UndoAsk::Running { request };
    model.actions_in_flight.insert(request);
    cmds.push(Cmd::ApplyUndo {
        request,
        entry,
        plan: *plan,
        claimant,
    });
}

/// The journal did not let the undo go ahead (another admin is undoing the entry, or did):
/// nothing was written, and the panel says why.
pub(super) fn on_refused(
    model: &mut Model,
    request: RequestId,
    reason: String,
    cmds: &mut Vec<Cmd>,
) {
    model.actions_in_flight.remove(&request);
    let text = format!("Not undone: {reason}");
    log_activity(model, text.clone(), false, cmds);
    model.fail(text.clone());
    if let Some(view) = view_mut(model)
        && matches!(view.undo, UndoAsk::Running { request: running } if running == request)
    {
        view.undo = UndoAsk::Refused { text };
    }
}

pub(super) fn cancel_undo(model: &mut Model) {
    if let Some(view) = view_mut(model) {
        view.undo = UndoAsk::Idle;
    }
}

/// The undo ran: it is journaled like every write, the list shows the users as they are now,
/// and a password given to a user created again is shown once (banner only, never logged).
pub(super) fn on_applied(
    model: &mut Model,
    env: &Env,
    request: RequestId,
    mut entry: Entry,
    new_passwords: Vec<(String, Secret)>,
    cmds: &mut Vec<Cmd>,
) {
    model.actions_in_flight.remove(&request);
    stamp(model, env, &mut entry);
    let undone = entry.undoes.clone().unwrap_or_default();
    let mut text = match &entry.outcome {
        Outcome::Ok => format!("Undid {undone} (journaled as {})", entry.id),
        Outcome::Error(error) => format!("The undo of {undone} failed: {error}"),
    };
    let ok = entry.outcome.is_ok();
    log_activity(model, text.clone(), ok, cmds);
    Entry::mark_undone_by(&mut model.journal.this_run, &entry);
    if let Some(view) = view_mut(model)
        && let LoadState::Loaded(earlier) = &mut view.earlier
    {
        Entry::mark_undone_by(earlier, &entry);
    }
    append(model, entry, cmds);
    for (username, password) in &new_passwords {
        text.push_str(&format!(
            " · new password of {username} (shown once): {}",
            password.expose()
        ));
    }
    if ok {
        model.inform(text);
    } else {
        model.fail(text);
    }
    if let Some(view) = view_mut(model) {
        if matches!(view.undo, UndoAsk::Running { request: running } if running == request) {
            view.undo = UndoAsk::Idle;
        }
        view.selected = 0;
    }
    refresh_list(model, cmds);
}
