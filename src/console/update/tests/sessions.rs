//! Loading sessions once the selection rests, and closing them.

use super::*;

pub(super) fn focus_sessions(model: &mut Model) {
    model.focus = Focus::Sessions;
    assert!(matches!(model.sessions.list.state, LoadState::Loaded(_)));
}

#[test]
fn sessions_load_only_for_a_user_that_stays_selected() {
    let mut model = loaded_model(160, 45, 500);
    assert_eq!(model.sessions.user_id, Some(1));
    let mut fired = Vec::new();
    for _ in 0..5 {
        let cmds = type_keys(&mut model, "j");
        assert_eq!(api_calls(&cmds), 0, "passing rows load nothing");
        fired.extend(timers(&cmds));
    }
    assert_eq!(fired.len(), 5);
    let mut loads = Vec::new();
    for timer in fired {
        loads.extend(update(&mut model, timer));
    }
    assert_eq!(loads.len(), 1);
    assert!(matches!(loads[0], Cmd::LoadSessions { user_id: 6, .. }));
    assert!(model.sessions.list.is_loading());

    // A late answer for a user no longer selected is dropped.
    update(
        &mut model,
        Msg::SessionsLoaded {
            user_id: 1,
            done: Done {
                request: RequestId(1),
                took: Default::default(),
                result: Ok(sessions()),
            },
        },
    );
    assert!(model.sessions.list.is_loading());
}

#[test]
fn x_asks_before_closing_one_session_and_n_sends_nothing() {
    let mut model = loaded_model(160, 45, 50);
    focus_sessions(&mut model);
    type_keys(&mut model, "j");
    assert!(type_keys(&mut model, "x").is_empty());
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::CloseSession { .. })));
    assert!(type_keys(&mut model, "n").is_empty());
    assert!(matches!(model.mode, Mode::Normal));

    type_keys(&mut model, "x");
    let cmds = type_keys(&mut model, "y");
    let (request, uuid) = match cmds.as_slice() {
        [
            Cmd::CloseSession {
                request,
                uuid,
                user_id: 1,
            },
        ] => (*request, uuid.clone()),
        other => panic!("one close expected, got {other:?}"),
    };
    assert!(uuid.starts_with("7b1d2e3f"));
    assert!(model.sessions.closing.contains(&uuid));
    update(
        &mut model,
        Msg::SessionClosed {
            user_id: 1,
            uuid: uuid.clone(),
            done: Done {
                request,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    let left = model.sessions.list.loaded().map(Vec::len);
    assert_eq!(left, Some(2));
    assert!(model.activity.iter().any(|entry| {
        entry
            .text
            .contains("Closed session 7b1d2e3f… of ali.moradi1")
    }));
}

#[test]
fn big_x_closes_all_but_the_consoles_own_and_reports_each_failure() {
    let mut model = loaded_model(160, 45, 50);
    focus_sessions(&mut model);
    type_keys(&mut model, "X");
    let Mode::CloseChoice(choice) = &model.mode else {
        panic!("X offers a choice first");
    };
    assert_eq!(choice.options[0].label, "all but this console's");
    update(&mut model, key(KeyCode::Enter));
    let Mode::Confirm(confirm) = &model.mode else {
        panic!("X asks first");
    };
    let Confirm::CloseSessions {
        sessions, kept_own, ..
    } = &**confirm
    else {
        panic!("a close-all confirmation");
    };
    assert_eq!(sessions.len(), 2);
    assert!(*kept_own);
    let cmds = update(&mut model, key(KeyCode::Enter));
    let closes: Vec<_> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::CloseSession { request, uuid, .. } => Some((*request, uuid.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(closes.len(), 2);
    assert!(
        closes.iter().all(|(_, uuid)| !uuid.starts_with("3f2a")),
        "own session kept"
    );
    assert_eq!(model.progress.as_ref().map(|p| p.total), Some(2));
    update(
        &mut model,
        Msg::SessionClosed {
            user_id: 1,
            uuid: closes[0].1.clone(),
            done: Done {
                request: closes[0].0,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    assert_eq!(model.progress.as_ref().map(|p| p.done), Some(1));
    update(
        &mut model,
        Msg::SessionClosed {
            user_id: 1,
            uuid: closes[1].1.clone(),
            done: Done {
                request: closes[1].0,
                took: Default::default(),
                result: Err(ApiError::Forbidden {
                    message: "no".into(),
                }),
            },
        },
    );
    assert!(model.progress.is_none());
    let banner = model.banner.clone().expect("a summary");
    assert!(banner.error);
    assert!(banner.text.contains("1/2 done"), "{}", banner.text);
    assert!(
        banner.text.contains("c0ffee00"),
        "names the failed session: {}",
        banner.text
    );
    assert_eq!(model.sessions.list.loaded().map(Vec::len), Some(2));
}

#[test]
fn big_x_on_marked_users_closes_their_sessions_after_one_confirmation() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "  ");
    assert!(type_keys(&mut model, "X").is_empty(), "asks first");
    assert!(
        matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::CloseSessionsOfUsers { ref targets } if targets.len() == 2))
    );
    let cmds = type_keys(&mut model, "y");
    let listings: Vec<(RequestId, i64)> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::ListSessionsToClose { request, user_id } => Some((*request, *user_id)),
            _ => None,
        })
        .collect();
    assert_eq!(
        listings.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    // Each listing becomes one close per session but the console's own, sent by update.
    let mut closes = Vec::new();
    for (request, user_id) in listings {
        let cmds = update(
            &mut model,
            Msg::SessionsToClose {
                user_id,
                done: Done {
                    request,
                    took: Default::default(),
                    result: Ok(sessions()),
                },
            },
        );
        closes.extend(cmds.into_iter().filter_map(|cmd| match cmd {
            Cmd::CloseSession {
                request,
                user_id,
                uuid,
            } => Some((request, user_id, uuid)),
            _ => None,
        }));
    }
    assert_eq!(closes.len(), 4);
    assert!(closes.iter().all(|(_, _, uuid)| !uuid.starts_with("3f2a")));
    assert_eq!(
        model.progress.as_ref().map(|p| (p.done, p.total)),
        Some((0, 4))
    );
    for (index, (request, user_id, uuid)) in closes.into_iter().enumerate() {
        let result = if index == 3 {
            Err(ApiError::Forbidden {
                message: "no".into(),
            })
        } else {
            Ok(())
        };
        update(
            &mut model,
            Msg::SessionClosed {
                user_id,
                uuid,
                done: Done {
                    request,
                    took: Default::default(),
                    result,
                },
            },
        );
    }
    let banner = model.banner.clone().expect("a summary");
    assert!(
        banner.error && banner.text.contains("3/4 done") && banner.text.contains("403"),
        "{}",
        banner.text
    );
}
