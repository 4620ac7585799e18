//! Lockdown (`!`): the selected or marked users shut in one step through the shared
//! `lockdown` library (status Disabled, every session closed, optionally a new random
//! password). One confirmation first; each user's steps are shown as they come back and
//! journaled as one entry; the signed-in admin is refused alone and left out among others.

use super::feedback::{action_allowed, action_answered, explain, log_activity};
use super::guards::{refused, signed_in_or_say};
use super::list::refresh_list;
use super::record::{append, record, stamp};
use super::sessions::load_sessions;
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{LockdownDialog, LockdownResult, Mode, Model, Needs};
use crate::console::msg::{Done, LockdownDone};
use geobox_ops::journal::{Action, Outcome, UserChange, who};
use geobox_ops::lockdown::Lockdown;
use geobox_ops::safety::{WithoutSelf, self_harm_of_lockdown};

/// `!`: the dialog for the selected or marked users. The signed-in admin is never locked down
/// here: alone, they are refused with what it would cost; among marked users, they are left
/// out and the dialog says so.
pub(super) fn request(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let targets = model.targets();
    if targets.is_empty() {
        return;
    }
    let ids: Vec<i64> = targets.iter().map(|target| target.id).collect();
    if refused(model, "Locking down", Needs::Administer, &ids) {
        return;
    }
    let Some(me) = signed_in_or_say(model, "Not locked down") else {
        return;
    };
    let split = WithoutSelf::of(targets, &me, |me, target| {
        self_harm_of_lockdown(me, target.id)
    });
    if split.users.is_empty() {
        if let Some((_, harm)) = &split.left_out {
            model.fail(format!("Not locked down: {harm}"));
        }
        return;
    }
    let mut dialog = LockdownDialog::new(split.users.clone());
    dialog.left_out = split.note();
    model.mode = Mode::Lockdown(Box::new(dialog));
}

fn dialog_mut(model: &mut Model) -> Option<&mut LockdownDialog> {
    match &mut model.mode {
        Mode::Lockdown(dialog) => Some(dialog),
        _ => None,
    }
}

pub(super) fn toggle_password(model: &mut Model) {
    if let Some(dialog) = dialog_mut(model)
        && dialog.is_asking()
    {
        dialog.reset_password = !dialog.reset_password;
    }
}

pub(super) fn confirm(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if !matches!(&model.mode, Mode::Lockdown(dialog) if dialog.is_asking()) {
        return;
    }
    if !action_allowed(model) {
        return;
    }
    let Mode::Lockdown(mut dialog) = std::mem::take(&mut model.mode) else {
        return;
    };
    dialog.started = true;
    let names: Vec<String> = dialog
        .targets
        .iter()
        .map(|target| who(target.id, Some(&target.username)))
        .collect();
    log_activity(
        model,
        format!("Locking down {}", names.join(", ")),
        true,
        cmds,
    );
    for target in &dialog.targets {
        let lockdown = Lockdown {
            user_id: target.id,
            reset_password: dialog.reset_password,
        };
        let cmd = model.start_action(Some(target.id), |request| Cmd::Lockdown {
            request,
            lockdown,
        });
        if let Cmd::Lockdown { request, .. } = &cmd {
            dialog.running.push(*request);
        }
        cmds.push(cmd);
    }
    model.mode = Mode::Lockdown(dialog);
}

/// Closing the dialog forgets any new password shown in it.
pub(super) fn close(model: &mut Model) {
    if matches!(model.mode, Mode::Lockdown(_)) {
        model.mode = Mode::Normal;
    }
}

/// One user's lockdown came back: journaled, said in the log without the password, shown in
/// the dialog with it.
pub(super) fn on_locked_down(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    done: Done<LockdownDone>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "lockdown", &done);
    model.users.in_flight_edits.remove(&user_id);
    let username = model.users.username_of(user_id);
    let result = match done.result {
        Ok(report) => {
            let mut entry = *report.entry;
            stamp(model, env, &mut entry);
            append(model, entry, cmds);
            let name = who(user_id, report.username.as_deref().or(Some(&username)));
            let text = match &report.missed {
                None => format!("Locked down {name}: {}", report.steps.join(", ")),
                Some(missed) => format!("Lockdown: {missed}"),
            };
            let ok = report.missed.is_none();
            log_activity(model, text.clone(), ok, cmds);
            if ok {
                model.inform(text);
            } else {
                model.fail(text);
            }
            LockdownResult {
                who: name,
                steps: report.steps,
                missed: report.missed,
                new_password: report.new_password,
            }
        }
        Err(error) => {
            // The user could not be read first: nothing was done.
            let change = UserChange::new(Some(user_id), Some(username.clone()));
            let outcome = Outcome::Error(error.to_string());
            record(
                model,
                env,
                Action::Lockdown,
                vec![change],
                outcome,
                None,
                cmds,
            );
            let text = format!(
                "Lockdown of {username} not done (nothing changed): {}",
                explain(&error)
            );
            log_activity(model, text.clone(), false, cmds);
            model.fail(text.clone());
            LockdownResult {
                who: who(user_id, Some(&username)),
                steps: Vec::new(),
                missed: Some(text),
                new_password: None,
            }
        }
    };
    if let Some(dialog) = dialog_mut(model) {
        dialog.running.retain(|request| *request != done.request);
        dialog.results.push(result);
    }
    refresh_list(model, cmds);
    // The pane shows what is left open (nothing, when every step went).
    if model.sessions.user_id == Some(user_id) {
        load_sessions(model, user_id, cmds);
    }
}
