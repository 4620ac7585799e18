//! Actions on users: the pickers, the confirmations that send them, and their results.

use chrono::Duration as ChronoDuration;
use tui_input::{Input, InputRequest};

use super::feedback::{
    action_allowed, action_answered, explain, log_activity, refuse_write_offline, report,
    step_progress, succeed,
};
use super::form::reverse;
use super::list::{refresh_list, remove_row};
use super::sessions::{close_sessions, schedule_sessions};
use crate::api::{Secret, User, UserRole, UserStatus};
use crate::console::cmd::Cmd;
use crate::console::dates::date_part;
use crate::console::model::{
    Confirm, Mode, Model, PasswordDialog, Picker, PickerKind, Progress, TargetUser,
};
use crate::console::msg::{Done, QuickChange};
use crate::console::wrap::step_wrapping;

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
        match model.last_undo.clone() {
            Some(undo) => model.mode = Mode::Confirm(Box::new(Confirm::Undo { undo })),
            None => {
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
    let cursor = current
        .as_ref()
        .and_then(|current| choices.iter().position(|choice| choice == current))
        .unwrap_or(0);
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
    if targets.len() > 1 {
        model.mode = Mode::Confirm(Box::new(Confirm::BulkChange { targets, change }));
        return;
    }
    let unchanged = picker.current.as_ref() == Some(&change);
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
            if let Confirm::Delete { typed, .. } = confirm.as_mut() {
                typed.handle(request);
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
            Confirm::CloseSessionsOfUsers { targets } => {
                model.progress = Some(Progress {
                    what: "Closing other sessions".to_string(),
                    total: targets.len(),
                    done: 0,
                    failures: Vec::new(),
                });
                for target in targets {
                    cmds.push(model.start_action(Some(target.id), |request| {
                        Cmd::CloseOtherSessions {
                            request,
                            user_id: target.id,
                        }
                    }));
                }
            }
            Confirm::BulkChange { targets, change } => {
                model.progress = Some(Progress {
                    what: match &change {
                        QuickChange::Status(status) => format!("Setting status {status}"),
                        QuickChange::Role(role) => format!("Setting role {role}"),
                    },
                    total: targets.len(),
                    done: 0,
                    failures: Vec::new(),
                });
                for target in targets {
                    send_quick_edit(model, target.id, change.clone(), cmds);
                }
            }
            Confirm::Delete { user, typed } => {
                if typed.value() != user.username {
                    // Not yet: the dialog stays until the name matches or Esc.
                    model.mode = Mode::Confirm(Box::new(Confirm::Delete { user, typed }));
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

pub(super) fn change_words(change: &QuickChange) -> String {
    match change {
        QuickChange::Status(status) => format!("status {status}"),
        QuickChange::Role(role) => format!("role {role}"),
    }
}

pub(super) fn on_user_updated(
    model: &mut Model,
    user_id: i64,
    change: QuickChange,
    done: Done<User>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "PUT users/{id}/", &done);
    model.users.in_flight_edits.remove(&user_id);
    match done.result {
        Ok(user) => {
            let text = format!("{}: {} set", user.username, change_words(&change));
            if let Some(row) = model.users.find_mut(user_id) {
                if model.progress.is_none() {
                    model.last_undo = Some(reverse(row, &change.to_update()));
                }
                *row = user;
            }
            if !step_progress(model, None, cmds) {
                succeed(model, text, cmds);
            } else {
                cmds.push(Cmd::Log { line: text });
            }
        }
        Err(error) => {
            let username = model.users.username_of(user_id);
            let what = format!("Setting {username}'s {}", change_words(&change));
            if !step_progress(
                model,
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
    user_id: i64,
    username: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "DELETE users/{id}/", &done);
    model.users.in_flight_edits.remove(&user_id);
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
    username: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "POST change-password", &done);
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
    user_id: i64,
    username: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "POST renewPlan", &done);
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
