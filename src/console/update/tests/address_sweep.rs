//! `X` across users: every session from the highlighted session's address, listed user by
//! user, asked once grouped by user, closed with one progress and journaled as one entry.

use super::sessions::focus_sessions;
use super::*;
use crate::console::model::{CloseAcross, SWEEP_FILTER_BOUND};

const ADDRESS: &str = "10.0.4.7";

fn answered<T>(request: RequestId, result: Result<T, ApiError>) -> Done<T> {
    Done {
        request,
        took: Default::default(),
        result,
    }
}

fn listings(cmds: &[Cmd]) -> Vec<(RequestId, i64)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::ListSessionsToClose { request, user_id } => Some((*request, *user_id)),
            _ => None,
        })
        .collect()
}

/// Users 1 and 2 marked, the python session (from `ADDRESS`) highlighted in the pane.
fn marked_with_address_highlighted() -> Model {
    let mut model = loaded_model(160, 45, 50);
    model.users.marked.extend([1, 2]);
    focus_sessions(&mut model);
    type_keys(&mut model, "j");
    model
}

/// User 2 has two sessions from the address, one of them this console's own.
fn sessions_of_user_two() -> Vec<geobox_api::Session> {
    let mut list = sessions();
    list[0].ip = Some(ADDRESS.to_string());
    let mut second = list[1].clone();
    second.uuid = "d00d0000-0000-4000-8000-000000000004".into();
    list.push(second);
    list
}

#[test]
fn x_on_marked_users_lists_the_sessions_from_the_address_by_user_then_closes_them() {
    let mut model = marked_with_address_highlighted();
    assert!(type_keys(&mut model, "X").is_empty());
    let Mode::CloseChoice(choice) = &model.mode else {
        panic!("X offers a choice");
    };
    assert_eq!(choice.who, "2 marked users");
    assert!(matches!(
        choice.options[0].across,
        Some(CloseAcross::EveryOther(_))
    ));
    assert_eq!(
        choice.options[1].label,
        format!("all from {ADDRESS}, across the 2 marked users")
    );

    let cmds = type_keys(&mut model, "j");
    assert!(cmds.is_empty());
    let cmds = update(&mut model, key(KeyCode::Enter));
    let listed = listings(&cmds);
    assert_eq!(
        listed.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(matches!(model.mode, Mode::Normal), "nothing asked yet");

    update(
        &mut model,
        Msg::SessionsToClose {
            user_id: 2,
            done: answered(listed[1].0, Ok(sessions_of_user_two())),
        },
    );
    assert!(
        matches!(model.mode, Mode::Normal),
        "one listing is still out"
    );
    update(
        &mut model,
        Msg::SessionsToClose {
            user_id: 1,
            done: answered(listed[0].0, Ok(sessions())),
        },
    );
    let Mode::Confirm(confirm) = &model.mode else {
        panic!("asked once every listing is in");
    };
    let Confirm::CloseFromAddress { sweep } = &**confirm else {
        panic!("the grouped confirmation, got {confirm:?}");
    };
    let grouped: Vec<(i64, usize)> = sweep
        .found
        .iter()
        .map(|(user, sessions)| (user.id, sessions.len()))
        .collect();
    // In the order the answers came; the console's own session is never among them.
    assert_eq!(grouped, vec![(2, 2), (1, 1)]);
    assert_eq!(sweep.searched, 2);

    let cmds = type_keys(&mut model, "y");
    let closes: Vec<(RequestId, i64, String)> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::CloseSession {
                request,
                user_id,
                uuid,
            } => Some((*request, *user_id, uuid.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(closes.len(), 3);
    assert!(closes.iter().all(|(_, _, uuid)| !uuid.starts_with("3f2a")));
    assert_eq!(
        model.progress.as_ref().map(|p| (p.done, p.total)),
        Some((0, 3))
    );
    let mut journaled = Vec::new();
    for (request, user_id, uuid) in closes {
        let cmds = update(
            &mut model,
            Msg::SessionClosed {
                user_id,
                uuid,
                done: answered(request, Ok(())),
            },
        );
        journaled.extend(cmds.into_iter().filter_map(|cmd| match cmd {
            Cmd::AppendJournal { entry } => Some(entry),
            _ => None,
        }));
    }
    assert!(model.progress.is_none());
    let banner = model.banner.clone().expect("a summary");
    assert!(
        !banner.error && banner.text.contains("3/3"),
        "{}",
        banner.text
    );
    let [entry] = &journaled[..] else {
        panic!("one journal entry for the whole close, got {journaled:?}");
    };
    assert_eq!(entry.changes.len(), 3);
}

#[test]
fn a_listing_that_fails_is_named_and_no_sessions_found_asks_nothing() {
    let mut model = marked_with_address_highlighted();
    type_keys(&mut model, "Xj");
    let listed = listings(&update(&mut model, key(KeyCode::Enter)));
    let mut elsewhere = sessions();
    elsewhere.retain(|session| session.ip.as_deref() != Some(ADDRESS));
    update(
        &mut model,
        Msg::SessionsToClose {
            user_id: 1,
            done: answered(listed[0].0, Ok(elsewhere)),
        },
    );
    update(
        &mut model,
        Msg::SessionsToClose {
            user_id: 2,
            done: answered(
                listed[1].0,
                Err(ApiError::Forbidden {
                    message: "no".into(),
                }),
            ),
        },
    );
    assert!(matches!(model.mode, Mode::Normal));
    let banner = model.banner.clone().expect("says so");
    assert!(
        banner
            .text
            .contains("No sessions from 10.0.4.7 among 2 users")
            && banner.text.contains("1 user could not be listed"),
        "{}",
        banner.text
    );
}

#[test]
fn with_nothing_marked_a_filter_offers_its_users_up_to_the_bound_with_their_count() {
    let mut model = loaded_model(160, 45, 500);
    model.filters.status = Some(UserStatus::Active);
    focus_sessions(&mut model);
    type_keys(&mut model, "jX");
    let Mode::CloseChoice(choice) = &model.mode else {
        panic!("X offers a choice");
    };
    let Some(option) = choice.options.last() else {
        panic!("choices");
    };
    let Some(CloseAcross::FromAddress {
        users, of_filter, ..
    }) = &option.across
    else {
        panic!("the last choice reaches the filter's users, got {option:?}");
    };
    assert!(users.len() <= SWEEP_FILTER_BOUND && !users.is_empty());
    assert_eq!(*of_filter, Some(500));
    assert!(option.label.contains("of 500 users"), "{}", option.label);
    let searched = users.len();
    type_keys(&mut model, "jjj");
    let listed = listings(&update(&mut model, key(KeyCode::Enter)));
    assert_eq!(listed.len(), searched);
}

#[test]
fn without_a_filter_or_marks_x_stays_with_the_one_user() {
    let mut model = loaded_model(160, 45, 50);
    focus_sessions(&mut model);
    type_keys(&mut model, "jX");
    let Mode::CloseChoice(choice) = &model.mode else {
        panic!("X offers a choice");
    };
    assert!(choice.options.iter().all(|option| option.across.is_none()));
}
