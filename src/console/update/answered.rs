//! What the server answered to an action on one user: the row takes the server's copy, the
//! banner and the activity log say what happened, the journal records it, and a quick edit
//! leaves its undo.

use super::actions::change_words;
use super::feedback::{action_answered, explain, report, step_progress, succeed};
use super::list::{refresh_list, remove_row};
use super::record::{about, changed, failed, record_user, tried};
use super::sessions::{reload_sessions_if_disabled, schedule_sessions};
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::Model;
use crate::console::msg::{Done, QuickChange};
use geobox_api::date_part;
use geobox_api::{User, UserStatus};
use geobox_ops::journal::{Action, Outcome, UserChange, Values};

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
            if model.progress.is_none() {
                text.push_str(" · u undo");
            }
            model.users.put(&user);
            let disabled = change == QuickChange::Status(UserStatus::Disabled);
            reload_sessions_if_disabled(model, user_id, disabled, cmds);
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
            if user.id == user_id {
                model.users.put(&user);
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
