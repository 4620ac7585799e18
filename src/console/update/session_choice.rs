//! The sessions pane in groups (client family and address, newest first), session marks, and
//! `X`'s choice on one user: all but this console's, only the marked ones, or all from the
//! highlighted session's address. With users marked (or, with none marked, across the current
//! filter's users up to a bound) it also offers every session from that address across them:
//! their sessions are listed first, grouped by user in one confirmation. The choice ends in a
//! confirmation listing the sessions; update then sends one close per session.

use super::feedback::{action_allowed, action_answered, explain, log_activity};
use crate::console::cmd::Cmd;
use crate::console::model::{
    AddressSweep, CloseAcross, CloseChoice, CloseOption, Confirm, Mode, Model, Progress,
    SWEEP_FILTER_BOUND, TargetUser,
};
use crate::console::msg::Done;
use geobox_api::Session;
use geobox_ops::sessions_insight::{DEFAULT_IDLE_AFTER, group};

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
        model.note(format!("{} has no other sessions to close", user.username));
        return;
    }
    let mut options = vec![CloseOption {
        label: "all but this console's".to_string(),
        sessions: others.clone(),
        across: None,
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
            across: None,
        });
    }
    if let Some(ip) = selected_address(model) {
        let from_address: Vec<Session> = others
            .iter()
            .filter(|session| session.ip.as_deref() == Some(ip.as_str()))
            .cloned()
            .collect();
        if !from_address.is_empty() {
            options.push(CloseOption {
                label: format!("all from {ip}"),
                sessions: from_address,
                across: None,
            });
        }
        if !model.filters.chips().is_empty() {
            options.push(across_filter(model, ip));
        }
    }
    model.mode = Mode::CloseChoice(Box::new(CloseChoice {
        who: user.username.clone(),
        user,
        options,
        selected: 0,
    }));
}

/// The address of the session highlighted in the pane.
fn selected_address(model: &Model) -> Option<String> {
    model
        .sessions
        .list
        .loaded()?
        .get(model.sessions.selected)?
        .ip
        .clone()
}

/// Every session from `address` across the users of the current filter, at most the bound of
/// them (those the table holds, in its order).
fn across_filter(model: &Model, address: String) -> CloseOption {
    let users: Vec<TargetUser> = model
        .users
        .pages
        .values()
        .flatten()
        .take(SWEEP_FILTER_BOUND)
        .map(|user| model.users.target(user.id))
        .collect();
    let matching = model.users.total.unwrap_or(users.len() as u64);
    let label = if matching > users.len() as u64 {
        format!(
            "all from {address}, across the filter's first {} of {matching} users",
            users.len()
        )
    } else {
        format!("all from {address}, across the filter's {matching} users")
    };
    CloseOption {
        label,
        sessions: Vec::new(),
        across: Some(CloseAcross::FromAddress {
            address,
            users,
            of_filter: Some(matching),
        }),
    }
}

/// `X` with users marked: every session but this console's of each, or, when a session with an
/// address is highlighted, every session from that address across them.
pub(super) fn open_across(model: &mut Model) {
    let targets = model.targets();
    let Some(address) = selected_address(model) else {
        model.mode = Mode::Confirm(Box::new(Confirm::CloseSessionsOfUsers { targets }));
        return;
    };
    let who = format!(
        "{} marked user{}",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" }
    );
    let options = vec![
        CloseOption {
            label: format!("every session but this console's, of the {who}"),
            sessions: Vec::new(),
            across: Some(CloseAcross::EveryOther(targets.clone())),
        },
        CloseOption {
            label: format!("all from {address}, across the {who}"),
            sessions: Vec::new(),
            across: Some(CloseAcross::FromAddress {
                address,
                users: targets.clone(),
                of_filter: None,
            }),
        },
    ];
    let Some(user) = targets.first().cloned() else {
        return;
    };
    model.mode = Mode::CloseChoice(Box::new(CloseChoice {
        user,
        who,
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
pub(super) fn choose(model: &mut Model, cmds: &mut Vec<Cmd>) {
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
        ..
    } = *choice;
    if selected >= options.len() {
        return;
    }
    let option = options.swap_remove(selected);
    match option.across {
        Some(CloseAcross::EveryOther(targets)) => {
            model.mode = Mode::Confirm(Box::new(Confirm::CloseSessionsOfUsers { targets }));
            return;
        }
        Some(CloseAcross::FromAddress {
            address,
            users,
            of_filter,
        }) => {
            start_sweep(model, address, users, of_filter, cmds);
            return;
        }
        None => {}
    }
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

/// Lists each user's sessions; the confirmation opens once every listing is in.
fn start_sweep(
    model: &mut Model,
    address: String,
    users: Vec<TargetUser>,
    of_filter: Option<u64>,
    cmds: &mut Vec<Cmd>,
) {
    let mut sweep = AddressSweep {
        searched: users.len(),
        of_filter,
        address,
        ..AddressSweep::default()
    };
    for user in users {
        let cmd = model.start_action(None, |request| Cmd::ListSessionsToClose {
            request,
            user_id: user.id,
        });
        if let Cmd::ListSessionsToClose { request, .. } = &cmd {
            sweep.pending.insert(*request);
        }
        cmds.push(cmd);
    }
    model.note(format!(
        "Looking for sessions from {} among {}…",
        sweep.address,
        counted(sweep.searched, "user")
    ));
    model.address_sweep = Some(sweep);
}

/// Whether this listing belongs to the sweep under way.
pub(super) fn sweeping(model: &Model, done: &Done<Vec<Session>>) -> bool {
    model
        .address_sweep
        .as_ref()
        .is_some_and(|sweep| sweep.pending.contains(&done.request))
}

/// One user's sessions came: keep those from the address (never this console's own); when
/// the last listing is in, ask once with every session grouped by user.
pub(super) fn on_listed(model: &mut Model, user_id: i64, done: Done<Vec<Session>>) {
    action_answered(model, "GET sessions/", &done);
    let user = model.users.target(user_id);
    let Some(sweep) = &mut model.address_sweep else {
        return;
    };
    sweep.pending.remove(&done.request);
    match done.result {
        Ok(sessions) => {
            let from_address: Vec<Session> = sessions
                .into_iter()
                .filter(|session| {
                    session.current != Some(true)
                        && session.ip.as_deref() == Some(sweep.address.as_str())
                })
                .collect();
            if !from_address.is_empty() {
                sweep.found.push((user, from_address));
            }
        }
        Err(error) => sweep.unlisted.push((user, explain(&error))),
    }
    if !sweep.pending.is_empty() {
        return;
    }
    let Some(sweep) = model.address_sweep.take() else {
        return;
    };
    if sweep.found.is_empty() {
        let mut text = format!(
            "No sessions from {} among {}",
            sweep.address,
            counted(sweep.searched, "user")
        );
        if !sweep.unlisted.is_empty() {
            text.push_str(&format!(
                " ({} could not be listed)",
                counted(sweep.unlisted.len(), "user")
            ));
        }
        model.inform(text);
        return;
    }
    model.banner = None;
    model.mode = Mode::Confirm(Box::new(Confirm::CloseFromAddress { sweep }));
}

/// Confirmed: one close per session, counted in one progress and journaled as one bulk entry.
pub(super) fn close_swept(model: &mut Model, sweep: AddressSweep, cmds: &mut Vec<Cmd>) {
    let line = format!(
        "Closing {} from {} of {}",
        counted(sweep.session_count(), "session"),
        sweep.address,
        sweep
            .found
            .iter()
            .map(|(user, _)| user.username.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    log_activity(model, line, true, cmds);
    model.progress = Some(Progress {
        what: format!("Closing sessions from {}", sweep.address),
        total: sweep.session_count(),
        on_marked: !model.users.marked.is_empty(),
        ..Progress::default()
    });
    for (user, sessions) in sweep.found {
        for session in sessions {
            if model.sessions.user_id == Some(user.id) {
                model.sessions.closing.insert(session.uuid.clone());
            }
            cmds.push(model.start_action(None, |request| Cmd::CloseSession {
                request,
                user_id: user.id,
                uuid: session.uuid,
            }));
        }
    }
}

/// "1 user", "3 sessions".
fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
