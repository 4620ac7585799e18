//! The selected user's sessions: loading them once the selection rests, moving through them,
//! and closing one, all others, or all others of every marked user.

use super::feedback::{
    action_allowed, action_answered, explain, note_request, report, step_progress, succeed,
};
use super::guards::refused;
use super::record::{about, record, record_user};
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{
    Confirm, LoadState, Mode, Model, Needs, Progress, SESSIONS_DEBOUNCE, SessionsPane, TargetUser,
};
use crate::console::msg::{Done, Msg};
use geobox_api::Session;
use geobox_ops::journal::{Action, Outcome};

/// When the selected user changed, forget the old sessions and load the new user's once the
/// selection stays put.
pub(super) fn schedule_sessions(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Some(id) = model.users.selected_user().map(|user| user.id) else {
        return;
    };
    if model.sessions.user_id == Some(id) || model.settle_for == Some(id) {
        return;
    }
    model.sessions = SessionsPane::default();
    model.detail_scroll = 0;
    model.settle_token += 1;
    model.settle_for = Some(id);
    cmds.push(Cmd::After {
        delay: SESSIONS_DEBOUNCE,
        msg: Box::new(Msg::SelectionSettled {
            token: model.settle_token,
        }),
    });
}

pub(super) fn on_selection_settled(model: &mut Model, token: u64, cmds: &mut Vec<Cmd>) {
    if token != model.settle_token {
        return;
    }
    let Some(id) = model.settle_for.take() else {
        return;
    };
    if model.users.selected_user().map(|user| user.id) == Some(id) {
        load_sessions(model, id, cmds);
    }
}

pub(super) fn load_sessions(model: &mut Model, user_id: i64, cmds: &mut Vec<Cmd>) {
    model.sessions.user_id = Some(user_id);
    // The server lets only those who may change a user read their sessions: the console
    // knows both roles, so it says why without asking.
    if let Some(why) = model.denied(Needs::Change, &[user_id]) {
        model.sessions.list.state = LoadState::Failed(format!("Their sessions are {why}"));
        return;
    }
    let request = model.new_request();
    // Another user's sessions, or a reload: nothing old stays on screen.
    model.sessions.list.state = LoadState::Loading;
    model.sessions.list.start(request);
    cmds.push(Cmd::LoadSessions { request, user_id });
}

/// A user just set Disabled loses every session on the server: the pane, when it shows theirs,
/// is read again, so it lists none that are gone (and `X` finds none to close twice).
pub(super) fn reload_sessions_if_disabled(
    model: &mut Model,
    user_id: i64,
    disabled: bool,
    cmds: &mut Vec<Cmd>,
) {
    if disabled && model.sessions.user_id == Some(user_id) {
        load_sessions(model, user_id, cmds);
    }
}

pub(super) fn move_session(model: &mut Model, delta: i32) {
    let Some(sessions) = model.sessions.list.loaded() else {
        return;
    };
    if sessions.is_empty() {
        return;
    }
    let last = sessions.len() - 1;
    let current = model.sessions.selected as i64;
    model.sessions.selected = (current + i64::from(delta)).clamp(0, last as i64) as usize;
}

pub(super) fn on_sessions_loaded(model: &mut Model, user_id: i64, done: Done<Vec<Session>>) {
    if model.sessions.user_id != Some(user_id) || !model.sessions.list.accept(&done) {
        return;
    }
    note_request(model, "GET sessions/", &done);
    model.sessions.list.state = match done.result {
        Ok(sessions) => {
            let sessions = super::session_choice::in_group_order(sessions, model);
            model
                .sessions
                .marked
                .retain(|uuid| sessions.iter().any(|session| &session.uuid == uuid));
            model.sessions.selected = model
                .sessions
                .selected
                .min(sessions.len().saturating_sub(1));
            LoadState::Loaded(sessions)
        }
        Err(error) => LoadState::Failed(explain(&error)),
    };
}

pub(super) fn short_uuid(uuid: &str) -> String {
    let head: String = uuid.chars().take(8).collect();
    if head.len() < uuid.len() {
        format!("{head}…")
    } else {
        head
    }
}

pub(super) fn request_close_session(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Some(user_id) = model.sessions.user_id else {
        return;
    };
    if refused(model, "Closing a session", Needs::Change, &[user_id]) {
        return;
    }
    let Some(session) = model
        .sessions
        .list
        .loaded()
        .and_then(|list| list.get(model.sessions.selected))
        .cloned()
    else {
        return;
    };
    model.mode = Mode::Confirm(Box::new(Confirm::CloseSession {
        user: model.users.target(user_id),
        session,
    }));
}

pub(super) fn request_close_other_sessions(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let ids = model.key_targets(true);
    if refused(model, "Closing sessions", Needs::Change, &ids) {
        return;
    }
    if !model.users.marked.is_empty() {
        super::session_choice::open_across(model);
        return;
    }
    super::session_choice::open(model);
}

pub(super) fn close_sessions(
    model: &mut Model,
    user: TargetUser,
    sessions: Vec<Session>,
    cmds: &mut Vec<Cmd>,
) {
    if sessions.len() > 1 {
        model.progress = Some(Progress {
            what: format!("Closing sessions of {}", user.username),
            total: sessions.len(),
            ..Progress::default()
        });
    }
    for session in sessions {
        model.sessions.closing.insert(session.uuid.clone());
        cmds.push(model.start_action(None, |request| Cmd::CloseSession {
            request,
            user_id: user.id,
            uuid: session.uuid,
        }));
    }
}

pub(super) fn on_session_closed(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    uuid: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "POST sessions/{uuid}", &done);
    model.sessions.closing.remove(&uuid);
    let short = short_uuid(&uuid);
    let username = model.users.username_of(user_id);
    let written = about(user_id, username.clone());
    let outcome = Outcome::of(&done.result);
    if model.progress.is_some() {
        record_user(model, env, Action::CloseSession, written, outcome, cmds);
    } else {
        record(
            model,
            env,
            Action::CloseSession,
            vec![written],
            outcome,
            Some(uuid.clone()),
            cmds,
        );
    }
    match done.result {
        Ok(()) => {
            if model.sessions.user_id == Some(user_id)
                && let LoadState::Loaded(list) = &mut model.sessions.list.state
            {
                list.retain(|session| session.uuid != uuid);
                model.sessions.selected = model.sessions.selected.min(list.len().saturating_sub(1));
            }
            if !step_progress(model, env, None, cmds) {
                succeed(model, format!("Closed session {short} of {username}"), cmds);
            } else {
                cmds.push(Cmd::Log {
                    line: format!("Closed session {short} of {username}"),
                });
            }
        }
        Err(error) => {
            let what = format!("Closing session {short} of {username}");
            if !step_progress(
                model,
                env,
                Some(format!("{short}: {}", explain(&error))),
                cmds,
            ) {
                report(model, &what, &error, cmds);
            }
        }
    }
}

/// A marked user's sessions came: one close per session but the console's own, each
/// counted in the running bulk action (which counted this user's listing as one step).
pub(super) fn on_sessions_to_close(
    model: &mut Model,
    env: &Env,
    user_id: i64,
    done: Done<Vec<Session>>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(model, "GET sessions/", &done);
    model.users.in_flight_edits.remove(&user_id);
    let username = model.users.username_of(user_id);
    let others: Vec<Session> = match done.result {
        Ok(sessions) => sessions
            .into_iter()
            .filter(|session| session.current != Some(true))
            .collect(),
        Err(error) => {
            step_progress(
                model,
                env,
                Some(format!("{username}: {}", explain(&error))),
                cmds,
            );
            return;
        }
    };
    if others.is_empty() {
        step_progress(model, env, None, cmds);
        return;
    }
    if let Some(progress) = &mut model.progress {
        progress.total += others.len() - 1;
    }
    for session in others {
        if model.sessions.user_id == Some(user_id) {
            model.sessions.closing.insert(session.uuid.clone());
        }
        cmds.push(model.start_action(None, |request| Cmd::CloseSession {
            request,
            user_id,
            uuid: session.uuid,
        }));
    }
}
