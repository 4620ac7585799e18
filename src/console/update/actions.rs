//! Actions on users: the pickers and the confirmations that send them (`answered` takes the
//! server's answers).

use tui_input::{Input, InputRequest};

use super::feedback::{action_allowed, log_activity, refuse_write_offline};
use super::guards::{OWN_ACCOUNT, harm_of_quick, refused, role_of, signed_in_or_say};
use super::sessions::close_sessions;
use crate::console::cmd::Cmd;
use crate::console::model::{
    AfterSelfHarm, Confirm, Mode, Model, Needs, PasswordDialog, Picker, PickerKind, Progress,
    TargetUser, renewed_expiration,
};
use crate::console::msg::QuickChange;
use crate::console::wrap::step_wrapping;
use geobox_api::date_part;
use geobox_api::{Secret, User, UserRole, UserStatus};
use geobox_ops::safety::{SignedIn, WithoutSelf, grant_warning};

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
        && !refused(model, "Changing the password", Needs::Change, &[target.id])
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

pub(super) fn cancel_dialog(model: &mut Model) {
    match &mut model.mode {
        Mode::Form(form) if form.asking_discard => form.asking_discard = false,
        Mode::Form(form) if form.is_changed() => form.asking_discard = true,
        // A save that asked first goes back to its form, with everything typed.
        Mode::Confirm(confirm) if confirm.form().is_some() => {
            if let Mode::Confirm(confirm) = std::mem::take(&mut model.mode)
                && let Confirm::SaveForm { form, .. }
                | Confirm::SelfHarm {
                    then: AfterSelfHarm::Save(form),
                    ..
                } = *confirm
            {
                model.mode = Mode::Form(form);
            }
        }
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
    let what = match kind {
        PickerKind::Status => "Setting the status",
        PickerKind::Role => "Setting the role",
    };
    let ids: Vec<i64> = targets.iter().map(|target| target.id).collect();
    if refused(model, what, Needs::Administer, &ids) {
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
    let unchanged = targets.len() == 1 && picker.current.as_ref() == Some(&change);
    model.mode = Mode::Normal;
    if unchanged {
        return;
    }
    let Some(me) = signed_in_or_say(model, &format!("Not set: {}", change_words(&change))) else {
        return;
    };
    match <[TargetUser; 1]>::try_from(targets) {
        Ok([target]) => ask_one(model, &me, target, change, cmds),
        Err(targets) => ask_many(model, &me, targets, change),
    }
}

/// One user: the picker's choice is the confirmation, unless the change is to the admin's own
/// account (asked, and typed for when it would shut them out) or grants admin rights.
fn ask_one(
    model: &mut Model,
    me: &SignedIn,
    target: TargetUser,
    change: QuickChange,
    cmds: &mut Vec<Cmd>,
) {
    if let Some(harm) = harm_of_quick(me, target.id, &change) {
        model.mode = Mode::Confirm(Box::new(Confirm::SelfHarm {
            harm,
            typed: Input::default(),
            mismatch: false,
            then: AfterSelfHarm::Quick { target, change },
        }));
        return;
    }
    let mut warnings = Vec::new();
    if target.id == me.id {
        warnings.push(OWN_ACCOUNT.to_string());
    }
    if let QuickChange::Role(role) = &change {
        let before = role_of(model, target.id);
        warnings.extend(grant_warning(role, [(before, target.username.as_str())]));
    }
    if warnings.is_empty() {
        send_quick_edit(model, target.id, change, cmds);
        return;
    }
    model.mode = Mode::Confirm(Box::new(Confirm::BulkChange {
        targets: vec![target],
        change,
        notes: Vec::new(),
        warnings,
    }));
}

/// Several users: one confirmation listing each change. Users already so are left alone, and
/// the signed-in admin is left out of a change that would shut them out; both are said.
fn ask_many(model: &mut Model, me: &SignedIn, targets: Vec<TargetUser>, change: QuickChange) {
    let (already, to_change): (Vec<TargetUser>, Vec<TargetUser>) =
        targets.into_iter().partition(|target| {
            model
                .users
                .find(target.id)
                .and_then(|(_, user)| current_value(user, &change))
                .is_some_and(|current| current == change)
        });
    let split = WithoutSelf::of(to_change, me, |me, target| {
        harm_of_quick(me, target.id, &change)
    });
    let mut notes = Vec::new();
    if !already.is_empty() {
        notes.push(format!(
            "{} already {}: left alone",
            users_word(already.len()),
            change_words(&change)
        ));
    }
    notes.extend(split.note());
    if split.users.is_empty() {
        model.note(format!("Nothing to change: {}", notes.join("; ")));
        return;
    }
    let mut warnings = Vec::new();
    if let QuickChange::Role(role) = &change {
        let targets = split
            .users
            .iter()
            .map(|target| (role_of(model, target.id), target.username.as_str()));
        warnings.extend(grant_warning(role, targets));
    }
    model.mode = Mode::Confirm(Box::new(Confirm::BulkChange {
        targets: split.users,
        change,
        notes,
        warnings,
    }));
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
        model.note("You cannot delete the account you are signed in with".to_string());
        return;
    }
    if refused(model, "Deleting", Needs::Delete, &[target.id]) {
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
    let Some(id) = model.users.selected_user().map(|user| user.id) else {
        return;
    };
    if refused(model, "Renewing the plan", Needs::Administer, &[id]) {
        return;
    }
    let Some(user) = model.users.selected_user() else {
        return;
    };
    let Some(plan) = user.plan.as_ref() else {
        let text = format!("{} has no plan to renew", user.username);
        model.note(text);
        return;
    };
    if plan.number_of_days.is_none() {
        let text = format!(
            "{}'s plan ({}) names no days, so it does not expire: there is nothing to renew",
            user.username,
            plan.label()
        );
        model.note(text);
        return;
    }
    let confirm = Confirm::RenewPlan {
        user: TargetUser {
            id: user.id,
            username: user.username.clone(),
        },
        plan: Some(plan.label()),
        days: plan.number_of_days,
        current: user
            .expiration_date
            .as_deref()
            .map(|date| date_part(date).to_string()),
        new_expiration: renewed_expiration(user, model.now.date_naive())
            .map(|date| date.to_string()),
    };
    model.mode = Mode::Confirm(Box::new(confirm));
}

pub(super) fn edit_dialog_input(model: &mut Model, request: InputRequest) {
    match &mut model.mode {
        Mode::Confirm(confirm) => {
            if let Confirm::Delete {
                typed, mismatch, ..
            }
            | Confirm::SelfHarm {
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
            Confirm::SelfHarm {
                harm, typed, then, ..
            } => {
                let me = model.me.loaded().map(|me| me.username.clone());
                if me.as_deref() != Some(typed.value()) {
                    // Not yet: the dialog stays, and says the name does not match, until it does.
                    model.mode = Mode::Confirm(Box::new(Confirm::SelfHarm {
                        harm,
                        typed,
                        mismatch: true,
                        then,
                    }));
                    return;
                }
                log_activity(model, format!("Confirmed: {harm}"), true, cmds);
                match then {
                    AfterSelfHarm::Quick { target, change } => {
                        send_quick_edit(model, target.id, change, cmds);
                    }
                    AfterSelfHarm::Save(form) => super::form::resume_save(model, form, cmds),
                }
            }
            Confirm::SaveForm { form, .. } => super::form::resume_save(model, form, cmds),
            Confirm::BulkChange {
                targets, change, ..
            } if targets.len() == 1 && model.users.marked.is_empty() => {
                // One user asked about: sent as the picker would have, with its own undo.
                for target in targets {
                    send_quick_edit(model, target.id, change.clone(), cmds);
                }
            }
            Confirm::BulkChange {
                targets, change, ..
            } => {
                let what = match &change {
                    QuickChange::Status(status) => format!("Setting status {status}"),
                    QuickChange::Role(role) => format!("Setting role {role}"),
                };
                // The log names every user, so the summary's "3/3 done" can be traced.
                log_activity(model, format!("{what} of {}", names(&targets)), true, cmds);
                model.progress = Some(Progress {
                    what,
                    total: targets.len(),
                    on_marked: !model.users.marked.is_empty(),
                    ..Progress::default()
                });
                for target in targets {
                    send_quick_edit(model, target.id, change.clone(), cmds);
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
