//! The sessions pane in groups (client family and address, newest first), session marks, and
//! `X`'s choice on one user: all but this console's, only the marked ones, or all from the
//! highlighted session's address. The choice ends in the usual confirmation listing the
//! sessions; update then sends one close per session.

use super::feedback::action_allowed;
use crate::api::Session;
use crate::console::model::{CloseChoice, CloseOption, Confirm, Mode, Model};
use crate::sessions_insight::{DEFAULT_IDLE_AFTER, group};

/// The sessions in the order the pane shows them: group by group, newest first.
pub(super) fn in_group_order(sessions: Vec<Session>, model: &Model) -> Vec<Session> {
    group(&sessions, model.now, DEFAULT_IDLE_AFTER)
        .into_iter()
        .flat_map(|group| group.sessions.into_iter().map(|insight| insight.session))
        .collect()
}

pub(super) fn toggle_mark(model: &mut Model) {
    let Some(uuid) = model
        .sessions
        .list
        .loaded()
        .and_then(|list| list.get(model.sessions.selected))
        .map(|session| session.uuid.clone())
    else {
        return;
    };
    if !model.sessions.marked.remove(&uuid) {
        model.sessions.marked.insert(uuid);
    }
}

/// `X` on one user: the choices, each with the sessions it closes (the console's own never).
pub(super) fn open(model: &mut Model) {
    let Some(user_id) = model.sessions.user_id else {
        return;
    };
    let Some(all) = model.sessions.list.loaded() else {
        return;
    };
    let others: Vec<Session> = all
        .iter()
        .filter(|session| session.current != Some(true))
        .cloned()
        .collect();
    let user = model.users.target(user_id);
    if others.is_empty() {
        model.inform(format!("{} has no other sessions to close", user.username));
        return;
    }
    let mut options = vec![CloseOption {
        label: "all but this console's".to_string(),
        sessions: others.clone(),
    }];
    let marked: Vec<Session> = others
        .iter()
        .filter(|session| model.sessions.marked.contains(&session.uuid))
        .cloned()
        .collect();
    if !marked.is_empty() {
        options.push(CloseOption {
            label: "only the marked ones".to_string(),
            sessions: marked,
        });
    }
    if let Some(ip) = all
        .get(model.sessions.selected)
        .and_then(|session| session.ip.clone())
    {
        let from_address: Vec<Session> = others
            .iter()
            .filter(|session| session.ip.as_deref() == Some(ip.as_str()))
            .cloned()
            .collect();
        if !from_address.is_empty() {
            options.push(CloseOption {
                label: format!("all from {ip}"),
                sessions: from_address,
            });
        }
    }
    model.mode = Mode::CloseChoice(Box::new(CloseChoice {
        user,
        options,
        selected: 0,
    }));
}

pub(super) fn step(model: &mut Model, delta: i32) {
    if let Mode::CloseChoice(choice) = &mut model.mode {
        let last = choice.options.len().saturating_sub(1);
        let moved = i64::try_from(choice.selected).unwrap_or(0) + i64::from(delta);
        choice.selected = usize::try_from(moved.max(0)).unwrap_or(0).min(last);
    }
}

/// The chosen sessions go to the confirmation that lists them.
pub(super) fn choose(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Mode::CloseChoice(choice) = std::mem::take(&mut model.mode) else {
        return;
    };
    let CloseChoice {
        user,
        mut options,
        selected,
    } = *choice;
    if selected >= options.len() {
        return;
    }
    let option = options.swap_remove(selected);
    let kept_own = model
        .sessions
        .list
        .loaded()
        .is_some_and(|all| all.iter().any(|session| session.current == Some(true)));
    model.mode = Mode::Confirm(Box::new(Confirm::CloseSessions {
        user,
        sessions: option.sessions,
        kept_own,
    }));
}
