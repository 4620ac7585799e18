//! Actions on users: the pickers, the confirmations that send them, and their results.

use chrono::Duration as ChronoDuration;
use tui_input::{Input, InputRequest};

use super::feedback::{
    action_allowed, action_answered, explain, log_activity, refuse_write_offline, report,
    step_progress, succeed,
};
use super::form::reverse;
use super::list::{refresh_list, remove_row};
use super::record::{about, changed, failed, record_user, tried};
use super::sessions::{close_sessions, schedule_sessions};
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{
    Confirm, Mode, Model, PasswordDialog, Picker, PickerKind, Progress, TargetUser,
};
use crate::console::msg::{Done, QuickChange};
use crate::console::wrap::step_wrapping;
use geobox_api::date_part;
use geobox_api::{Secret, User, UserRole, UserStatus};
use geobox_ops::journal::{Action, Outcome, UserChange, Values};

pub(super) fn open_status_picker(model: &mut Model) {
    open_picker(model, PickerKind::Status);
}

pub(super) fn open_role_picker(model: &mut Model) {
    open_picker(model, PickerKind::Role);
}

pub(super) fn step_picker(model: &mut Model, step: i8) {
    if let Mode::Picker(picker) = &mut model.mode {
        picker.cursor = step_wrapping(picker.cursor, picker.choices.len(), step >= 0);
    }
}

pub(super) fn open_password_dialog(model: &mut Model) {
    if action_allowed(model)
        && let Some(target) = model.users.selected_target()
    {
        model.mode = Mode::Password(Box::new(PasswordDialog {
            user: Some(target),
            ..PasswordDialog::default()
        }));
    }
}

/// Tab in a dialog or form: the password dialog has two fields, the form many.
pub(super) fn step_dialog_field(model: &mut Model, forward: bool) {
    match &mut model.mode {
        Mode::Password(dialog) => dialog.second_focused = !dialog.second_focused,
        Mode::Form(form) => form.step_focus(forward),
        _ => {}
    }
}

pub(super) fn request_undo(model: &mut Model) {
    if action_allowed(model) {
        match (model.last_undo.clone(), model.last_bulk_undo.clone()) {
            (Some(undo), _) => model.mode = Mode::Confirm(Box::new(Confirm::Undo { undo })),
            (None, Some(changes)) => {
                model.mode = Mode::Confirm(Box::new(Confirm::UndoBulk { changes }));
            }
            (None, None) => {
                model.inform("Nothing to undo".to_string());
            }
        }
    }
}

pub(super) fn cancel_dialog(model: &mut Model) {
    match &mut model.mode {
        Mode::Form(form) if form.asking_discard => form.asking_discard = false,
        Mode::Form(form) if form.is_changed() => form.asking_discard = true,
        // Dropping the mode drops whatever was typed in it (passwords included).
        _ => model.mode = Mode::Normal,
    }
}

pub(super) fn open_picker(model: &mut Model, kind: PickerKind) {
    if !action_allowed(model) {
        return;
    }
    let targets = model.targets();
    if targets.is_empty() {
        return;
    }
    let single = if targets.len() == 1 {
        model
            .users
            .find(targets[0].id)
            .map(|(_, user)| user.clone())
    } else {
        None
    };
    let (choices, current): (Vec<QuickChange>, Option<QuickChange>) = match kind {
        PickerKind::Status => (
            UserStatus::ALL
                .iter()
                .cloned()
                .map(QuickChange::Status)
                .collect(),
            single.and_then(|user| user.status).map(QuickChange::Status),
        ),
        PickerKind::Role => {
            // Only a System Admin may make someone a System Admin.
            let caller = model.my_role();
            (
                UserRole::ALL
                    .iter()
                    .filter(|role| role.grantable_by(caller))
                    .cloned()
                    .map(QuickChange::Role)
                    .collect(),
                single.and_then(|user| user.role).map(QuickChange::Role),
            )
        }
    };
    // One user: on their current value. Several: on the least privileged role, so that a quick
    // `r ⏎` can never hand out admin rights to everyone marked.
    let cursor = match (&current, kind, targets.len()) {
        (Some(current), _, _) => choices
            .iter()
            .position(|choice| choice == current)
            .unwrap_or(0),
        (None, PickerKind::Role, 2..) => choices.len().saturating_sub(1),
        (None, _, _) => 0,
    };
    model.mode = Mode::Picker(Picker {
        kind,
        targets,
        choices,
        cursor,
        current,
    });
}

pub(super) fn picker_choose(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if refuse_write_offline(model) {
        return;
    }
    let Mode::Picker(picker) = &model.mode else {
        return;
    };
    let Some(change) = picker.choices.get(picker.cursor).cloned() else {
        return;
    };
    let targets = picker.targets.clone();
    let unchanged = picker.current.as_ref() == Some(&change);
    // For one user the picker's choice is the confirmation, except for one's own role.
    let own_role = matches!(change, QuickChange::Role(_))
        && !unchanged
        && targets.len() == 1
        && model.me.loaded().is_some_and(|me| me.id == targets[0].id);
    if targets.len() > 1 || own_role {
        model.mode = Mode::Confirm(Box::new(Confirm::BulkChange { targets, change }));
        return;
    }
    model.mode = Mode::Normal;
    if unchanged {
        return;
    }
    for target in targets {
        send_quick_edit(model, target.id, change.clone(), cmds);
    }
}

pub(super) fn send_quick_edit(
    model: &mut Model,
    user_id: i64,
    change: QuickChange,
    cmds: &mut Vec<Cmd>,
) {
    cmds.push(model.start_action(Some(user_id), |request| Cmd::QuickEdit {
        request,
        user_id,
        change,
    }));
}

pub(super) fn request_delete(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Some(target) = model.users.selected_target() else {
        return;
    };
    if model.me.loaded().is_some_and(|me| me.id == target.id) {
        model.inform("You cannot delete the account you are signed in with".to_string());
        return;
    }
    model.mode = Mode::Confirm(Box::new(Confirm::Delete {
        user: target,
        typed: Input::default(),
        mismatch: false,
    }));
}

pub(super) fn request_renew(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Some(user) = model.users.selected_user() else {
        return;
    };
    let Some(plan) = user.plan.as_ref() else {
        model.inform(format!("{} has no plan to renew", user.username));
        return;
    };
    let plan = Some(plan);
    let days = plan.and_then(|plan| plan.number_of_days);
    let today = model.now.date_naive();
    // A renewal adds the plan's days from today or from the current expiry if that is later.
    let start = user
        .expiration_date
        .as_deref()
        .and_then(|date| chrono::NaiveDate::parse_from_str(date_part(date), "%Y-%m-%d").ok())
        .filter(|date| *date > today)
        .unwrap_or(today);
    let new_expiration = days.map(|days| (start + ChronoDuration::days(days)).to_string());
    let confirm = Confirm::RenewPlan {
        user: TargetUser {
            id: user.id,
            username: user.username.clone(),
        },
        plan: plan.map(|plan| plan.label()),
        days,
        new_expiration,
    };
    model.mode = Mode::Confirm(Box::new(confirm));
}

pub(super) fn edit_dialog_input(model: &mut Model, request: InputRequest) {
    match &mut model.mode {
        Mode::Confirm(confirm) => {
            if let Confirm::Delete {
                typed, mismatch, ..
            } = confirm.as_mut()
            {
                typed.handle(request);
                *mismatch = false;
            }
        }
        Mode::Form(form) => form.edit_text(request),
        Mode::Password(dialog) => {
            let field = if dialog.second_focused {
                &mut dialog.second
            } else {
                &mut dialog.first
            };
            field.handle(request);
            dialog.error = None;
        }
        _ => {}
    }
}

pub(super) fn confirm_dialog(model: &mut Model, cmds: &mut Vec<Cmd>) {
    // Leaving a form is no write; everything else confirmed here sends one.
    let sends = !matches!(&model.mode, Mode::Form(_));
    if sends && refuse_write_offline(model) {
        return;
    }
    let mode = std::mem::take(&mut model.mode);
    match mode {
        Mode::Confirm(confirm) => match *confirm {
            Confirm::CloseSession { user, session } => {
                close_sessions(model, user, vec![session], cmds);
            }
            Confirm::CloseSessions { user, sessions, .. } => {
                close_sessions(model, user, sessions, cmds);
            }
            Confirm::CloseFromAddress { sweep } => {
                super::session_choice::close_swept(model, sweep, cmds);
            }
            Confirm::CloseSessionsOfUsers { targets } => {
                let line = format!("Closing other sessions of {}", names(&targets));
                log_activity(model, line, true, cmds);
                model.progress = Some(Progress {
                    what: "Closing other sessions".to_string(),
                    total: targets.len(),
                    on_marked: !model.users.marked.is_empty(),
                    ..Progress::default()
                });
                for target in targets {
                    cmds.push(model.start_action(Some(target.id), |request| {
                        Cmd::ListSessionsToClose {
                            request,
                            user_id: target.id,
                        }
                    }));
                }
            }
            Confirm::BulkChange { targets, change } => {
                let undo = targets
                    .iter()
                    .filter_map(|target| {
                        let user = model.users.find(target.id)?.1;
                        Some((target.clone(), current_value(user, &change)?))
                    })
                    .collect();
                let what = match &change {
                    QuickChange::Status(status) => format!("Setting status {status}"),
                    QuickChange::Role(role) => format!("Setting role {role}"),
                };
                // The log names every user, so the summary's "3/3 done" can be traced.
                log_activity(model, format!("{what} of {}", names(&targets)), true, cmds);
                model.progress = Some(Progress {
                    what,
                    total: targets.len(),
                    undo,
                    on_marked: !model.users.marked.is_empty(),
                    ..Progress::default()
                });
                for target in targets {
                    send_quick_edit(model, target.id, change.clone(), cmds);
                }
            }
            Confirm::UndoBulk { changes } => {
                model.last_bulk_undo = None;
                model.progress = Some(Progress {
                    what: format!("Undoing the change to {}", users_word(changes.len())),
                    total: changes.len(),
                    ..Progress::default()
                });
                for (target, change) in changes {
                    send_quick_edit(model, target.id, change, cmds);
                }
            }
            Confirm::Delete { user, typed, .. } => {
                if typed.value() != user.username {
                    // Not yet: the dialog stays, and says the name does not match, until it does.
                    model.mode = Mode::Confirm(Box::new(Confirm::Delete {
                        user,
                        typed,
                        mismatch: true,
                    }));
                    return;
                }
                cmds.push(
                    model.start_action(Some(user.id), |request| Cmd::DeleteUser {
                        request,
                        user_id: user.id,
                        username: user.username,
                    }),
                );
            }
            Confirm::Undo { undo } => {
                model.last_undo = None;
                log_activity(
                    model,
                    format!(
                        "Undoing: {} back to {}",
                        undo.user.username, undo.description
                    ),
                    true,
                    cmds,
                );
                cmds.push(
                    model.start_action(Some(undo.user.id), |request| Cmd::SaveUser {
                        request,
                        user_id: undo.user.id,
                        update: undo.update,
                    }),
                );
            }
            Confirm::RenewPlan { user, .. } => {
                cmds.push(model.start_action(None, |request| Cmd::RenewPlan {
                    request,
                    user_id: user.id,
                    username: user.username,
                }));
            }
        },
        Mode::Password(mut dialog) => {
            let Some(user) = dialog.user.clone() else {
                return;
            };
            let first = dialog.first.value();
            if !dialog.second_focused && !first.is_empty() && dialog.second.value().is_empty() {
                // ⏎ after the first field goes on to the second, as in the forms.
                dialog.second_focused = true;
                dialog.error = None;
                model.mode = Mode::Password(dialog);
                return;
            }
            let problem = if first.is_empty() {
                Some("type the new password")
            } else if first != dialog.second.value() {
                Some("the two passwords differ")
            } else {
                None
            };
            if let Some(problem) = problem {
                dialog.error = Some(problem.to_string());
                dialog.second_focused = !first.is_empty();
                model.mode = Mode::Password(dialog);
                return;
            }
            let password = Secret::new(first);
            cmds.push(model.start_action(None, |request| Cmd::ChangePassword {
                request,
                user_id: user.id,
                username: user.username,
                password,
            }));
        }
        Mode::Form(form) if form.asking_discard => {
            // The admin chose to throw the changes away.
        }
        other => model.mode = other,
    }
}

/// The value a quick change would replace, for undoing it.
fn current_value(user: &User, change: &QuickChange) -> Option<QuickChange> {
    match change {
        QuickChange::Status(_) => user.status.clone().map(QuickChange::Status),
        QuickChange::Role(_) => user.role.clone().map(QuickChange::Role),
    }
}

fn names(targets: &[TargetUser]) -> String {
    targets
        .iter()
        .map(|target| target.username.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// "1 user", "3 users".
pub(crate) fn users_word(count: usize) -> String {
    if count == 1 {
        "1 user".to_string()
    } else {
        format!("{count} users")
    }
}

pub(super) fn change_words(change: &QuickChange) -> String {
    match change {
        QuickChange::Status(status) => format!("status {status}"),
        QuickChange::Role(role) => format!("role {role}"),
    }
}

pub(super) fn on_user_updated(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    change: QuickChange,
    done: Done<User>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "PUT users/{id}/", &done);
    model.users.in_flight_edits.remove(&user_id);
    match done.result {
        Ok(user) => {
            let mut text = format!("{}: {} set", user.username, change_words(&change));
            let written = match model.users.find(user_id) {
                Some((_, before)) => changed(before, &user),
                None => tried(user_id, None, Values::of_update(&change.to_update())),
            };
            record_user(model, env, Action::Update, written, Outcome::Ok, cmds);
            if let Some(row) = model.users.find_mut(user_id) {
                if model.progress.is_none() {
                    model.last_undo = Some(reverse(row, &change.to_update()));
                    text.push_str(" · u undo");
                }
                *row = user;
            }
            if !step_progress(model, env, None, cmds) {
                succeed(model, text, cmds);
            } else {
                cmds.push(Cmd::Log { line: text });
            }
        }
        Err(error) => {
            let before = model.users.find(user_id).map(|(_, user)| user);
            let written = tried(user_id, before, Values::of_update(&change.to_update()));
            record_user(model, env, Action::Update, written, failed(&error), cmds);
            let username = model.users.username_of(user_id);
            let what = format!("Setting {username}'s {}", change_words(&change));
            if let Some(progress) = &mut model.progress {
                // Nothing changed for this user, so nothing to put back.
                progress.undo.retain(|(target, _)| target.id != user_id);
            }
            if !step_progress(
                model,
                env,
                Some(format!("{username}: {}", explain(&error))),
                cmds,
            ) {
                report(model, &what, &error, cmds);
            }
        }
    }
}

pub(super) fn on_user_deleted(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    username: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "DELETE users/{id}/", &done);
    model.users.in_flight_edits.remove(&user_id);
    let lost = model
        .users
        .find(user_id)
        .map(|(_, user)| Values::of_user(user))
        .unwrap_or_default();
    let written = about(user_id, username.clone()).values(lost, Values::default());
    let outcome = Outcome::of(&done.result);
    record_user(model, env, Action::Delete, written, outcome, cmds);
    match done.result {
        Ok(()) => {
            model.users.marked.remove(&user_id);
            remove_row(model, user_id);
            succeed(model, format!("Deleted {username} (id {user_id})"), cmds);
            refresh_list(model, cmds);
            schedule_sessions(model, cmds);
        }
        Err(error) => report(model, &format!("Deleting {username}"), &error, cmds),
    }
}

pub(super) fn on_password_changed(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    username: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "POST change-password", &done);
    // Recorded as a change of password, never with the password.
    let written = about(user_id, username.clone());
    record_user(
        model,
        env,
        Action::SetPassword,
        written,
        Outcome::of(&done.result),
        cmds,
    );
    match done.result {
        Ok(()) => succeed(model, format!("Changed the password of {username}"), cmds),
        Err(error) => report(
            model,
            &format!("Changing the password of {username}"),
            &error,
            cmds,
        ),
    }
}

pub(super) fn on_plan_renewed(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    username: String,
    written: UserChange,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "POST renewPlan", &done);
    record_user(
        model,
        env,
        Action::RenewPlan,
        written,
        Outcome::of(&done.result),
        cmds,
    );
    match done.result {
        Ok(()) => {
            succeed(model, format!("Renewed the plan of {username}"), cmds);
            cmds.push(model.start_action(None, |request| Cmd::ReloadUser { request, user_id }));
        }
        Err(error) => report(
            model,
            &format!("Renewing the plan of {username}"),
            &error,
            cmds,
        ),
    }
}

/// A renewed user read again: the row shows the new expiration, and the banner says it.
pub(super) fn on_user_reloaded(
    model: &mut Model,
    user_id: i64,
    done: Done<User>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "GET users/{id}/", &done);
    match done.result {
        Ok(user) => {
            let expires = user.expiration_date.clone();
            let username = user.username.clone();
            if let Some(row) = model.users.find_mut(user_id) {
                *row = user;
            }
            if let Some(expires) = expires {
                model.inform(format!(
                    "{username}'s plan now runs until {}",
                    date_part(&expires)
                ));
            }
        }
        Err(error) => report(model, "Reading the user again", &error, cmds),
    }
}
