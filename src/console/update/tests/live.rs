//! The live table: refreshes come from the loop's wake-ups, mark what changed, keep the
//! selection and the scroll where they were, and stay out of the admin's way.

use std::time::Duration;

use super::*;
use crate::console::fixtures::answer_refresh;
use crate::console::model::{
    CHANGE_SHOWN, COUNT_EVERY, DEFAULT_REFRESH, Live, LiveField, QUIET_AFTER_KEY, next_wake,
};
use crate::console::msg::RowWindow;

/// A 160x45 console on 500 users with the live table on, its first refresh due now.
fn live_model() -> Model {
    let mut model = loaded_model(160, 45, 500);
    model.live = Live::every(DEFAULT_REFRESH);
    model.live.next_at = Some(model.now);
    model
}

/// The clock moves `secs` past the fixtures' now and the loop wakes the console.
fn tick_at(model: &mut Model, secs: f64) -> Vec<Cmd> {
    model.now = now() + chrono::Duration::milliseconds((secs * 1000.0) as i64);
    update(model, Msg::LiveTick)
}

/// The rows request of a refresh among `cmds`.
fn rows_request(cmds: &[Cmd]) -> Option<(RequestId, RowWindow)> {
    cmds.iter().find_map(|cmd| match cmd {
        Cmd::RefreshRows {
            request, window, ..
        } => Some((*request, *window)),
        _ => None,
    })
}

fn selected_id(model: &Model) -> Option<i64> {
    model.users.selected_user().map(|user| user.id)
}

/// Where the selected row is on screen.
fn screen_line(model: &Model) -> u64 {
    model.users.selected - crate::console::layout::first_shown_row(model)
}

#[test]
fn a_refresh_reads_the_rows_around_the_screen_once_and_marks_a_changed_cell() {
    let mut model = live_model();
    let moved = type_keys(&mut model, "jjjjj");
    // The selection rests: the selected user's sessions load.
    settle(&mut model, &FakeServer::new(500), moved);
    let cmds = tick_at(&mut model, 5.0);
    let (_, window) = rows_request(&cmds).expect("the rows are read again");
    let rows = table_rows(&model);
    assert_eq!(window.first, 0, "from the top: the screen starts at row 0");
    assert!(window.rows >= rows, "the whole screen in one request");
    assert_eq!(
        cmds.iter()
            .filter(|cmd| matches!(cmd, Cmd::RefreshRows { .. } | Cmd::LoadUsers { .. }))
            .count(),
        1,
        "one page request for the table"
    );
    assert!(
        cmds.iter()
            .any(|cmd| matches!(cmd, Cmd::LoadSessions { .. })),
        "and the sessions shown"
    );
    let before = (model.users.selected, model.users.offset);
    answer_refresh(&mut model, &cmds, 500, |users| {
        users[7].status = Some(UserStatus::Disabled);
        users[7].email = Some("moved@example.ir".into());
    });
    let marked = model.live.marks_of(8).expect("user 8 is marked changed");
    assert!(marked.fields.contains(&LiveField::Status));
    assert!(marked.fields.contains(&LiveField::Email));
    assert!(!marked.fields.contains(&LiveField::Role));
    assert_eq!(
        model.users.find(8).map(|(_, user)| user.status.clone()),
        Some(Some(UserStatus::Disabled)),
        "the row shows the new value"
    );
    assert!(
        model.live.marks_of(9).is_none(),
        "unchanged users are not marked"
    );
    assert_eq!((model.users.selected, model.users.offset), before);
    assert_eq!(selected_id(&model), Some(6));
}

#[test]
fn a_mark_fades_after_a_few_seconds_and_the_loop_is_woken_for_it() {
    let mut model = live_model();
    let cmds = tick_at(&mut model, 5.0);
    answer_refresh(&mut model, &cmds, 500, |users| {
        users[2].role = Some(UserRole::Viewer)
    });
    assert!(model.live.marks_of(3).is_some());
    let fade = now()
        + chrono::Duration::from_std(Duration::from_secs(5) + CHANGE_SHOWN).expect("a duration");
    assert_eq!(
        next_wake(&model),
        Some(fade),
        "woken when the mark fades, before the next refresh"
    );
    tick_at(&mut model, 5.0 + CHANGE_SHOWN.as_secs_f64());
    assert!(model.live.marks_of(3).is_none(), "faded");
}

#[test]
fn a_user_who_no_longer_matches_stays_dimmed_until_the_selection_moves_off() {
    let mut model = live_model();
    type_keys(&mut model, "jjjjj");
    assert_eq!(selected_id(&model), Some(6));
    let line = screen_line(&model);
    let cmds = tick_at(&mut model, 5.0);
    // Users 6 (selected) and 3 were disabled elsewhere and left the view.
    answer_refresh(&mut model, &cmds, 500, |users| {
        users.retain(|user| user.id != 6 && user.id != 3)
    });
    assert!(model.live.is_gone(6) && model.live.is_gone(3));
    assert_eq!(selected_id(&model), Some(6), "the selection never jumps");
    assert_eq!(screen_line(&model), line, "nor moves on screen");
    assert_eq!(
        model.users.user_at(2).map(|user| user.id),
        Some(3),
        "user 3 is still shown where it was"
    );

    type_keys(&mut model, "j");
    assert!(model.live.gone.is_empty(), "moving lets them go");
    assert_eq!(model.users.find(3), None);
    assert_eq!(
        selected_id(&model),
        Some(7),
        "j from a gone row lands on the user below it"
    );
    assert_eq!(model.users.user_at(2).map(|user| user.id), Some(4));
}

#[test]
fn a_user_who_newly_matches_appears_and_the_selected_user_keeps_their_line() {
    let mut model = live_model();
    type_keys(&mut model, "jjjjjjjjjj");
    assert_eq!(selected_id(&model), Some(11));
    let line = screen_line(&model);
    let cmds = tick_at(&mut model, 5.0);
    let newcomer = {
        let mut user = crate::console::fixtures::user(900);
        user.username = "newcomer".into();
        user
    };
    answer_refresh(&mut model, &cmds, 500, |users| {
        users.insert(4, newcomer.clone())
    });
    assert_eq!(model.users.user_at(4).map(|user| user.id), Some(900));
    assert!(model.live.marks_of(900).is_some_and(|marked| marked.new));
    assert_eq!(
        selected_id(&model),
        Some(11),
        "the same user stays selected"
    );
    assert_eq!(screen_line(&model), line, "on the same line of the screen");
    assert_eq!(model.users.selected, 11, "one row further down the list");
}

#[test]
fn no_refresh_while_a_dialog_is_open_and_one_once_it_closes() {
    let mut model = live_model();
    type_keys(&mut model, "j");
    type_keys(&mut model, "s");
    assert!(
        matches!(model.mode, Mode::Picker(_)),
        "the status picker is open"
    );
    let cmds = tick_at(&mut model, 10.0);
    assert!(rows_request(&cmds).is_none(), "nothing read under a picker");
    assert_eq!(next_wake(&model), None, "and no timer runs for it");
    update(&mut model, key(KeyCode::Esc));
    let cmds = tick_at(&mut model, 12.0);
    assert!(rows_request(&cmds).is_some(), "read once the picker closed");
}

#[test]
fn no_refresh_within_a_second_of_a_key() {
    let mut model = live_model();
    model.now = now() + chrono::Duration::seconds(5);
    type_keys(&mut model, "j");
    let cmds = tick_at(&mut model, 5.5);
    assert!(
        rows_request(&cmds).is_none(),
        "half a second after j: not yet"
    );
    let quiet = now()
        + chrono::Duration::seconds(5)
        + chrono::Duration::from_std(QUIET_AFTER_KEY).expect("a duration");
    assert_eq!(
        next_wake(&model),
        Some(quiet),
        "woken once the admin paused"
    );
    let cmds = tick_at(&mut model, 6.0);
    assert!(rows_request(&cmds).is_some());
}

#[test]
fn no_refresh_while_the_terminal_is_not_focused() {
    let mut model = live_model();
    update(&mut model, Msg::FocusChanged(false));
    let cmds = tick_at(&mut model, 30.0);
    assert!(rows_request(&cmds).is_none());
    assert_eq!(next_wake(&model), None, "an unfocused console sleeps");
    update(&mut model, Msg::FocusChanged(true));
    let cmds = tick_at(&mut model, 30.1);
    assert!(
        rows_request(&cmds).is_some(),
        "back in focus, it catches up"
    );
}

#[test]
fn never_more_than_one_refresh_in_flight() {
    let mut model = live_model();
    let first = tick_at(&mut model, 5.0);
    assert!(rows_request(&first).is_some());
    for secs in [10.0, 20.0, 60.0] {
        let cmds = tick_at(&mut model, secs);
        assert_eq!(
            api_calls(&cmds),
            0,
            "the first refresh is still out at {secs} s"
        );
    }
    answer_refresh(&mut model, &first, 500, |_| {});
    assert!(model.live.round.is_none());
    let next = tick_at(&mut model, 65.0);
    assert!(
        rows_request(&next).is_some(),
        "the next one follows the answer"
    );
}

#[test]
fn failed_refreshes_back_off_and_an_answer_brings_the_interval_back() {
    let mut model = live_model();
    let mut waits = Vec::new();
    let mut at = 5.0;
    for _ in 0..3 {
        let cmds = tick_at(&mut model, at);
        let (request, window) = rows_request(&cmds).expect("a refresh");
        update(
            &mut model,
            Msg::LiveRowsRead {
                window,
                done: Done {
                    request,
                    took: Default::default(),
                    result: Err(ApiError::Server {
                        status: 500,
                        message: "database is locked".into(),
                    }),
                },
            },
        );
        answer_refresh(&mut model, &cmds, 500, |_| {});
        let next = model.live.next_at.expect("another try is planned");
        waits.push((next - model.now).num_seconds());
        at = (next - now()).num_milliseconds() as f64 / 1000.0;
    }
    assert_eq!(
        waits,
        vec![10, 20, 30],
        "5 s doubled, up to the offline logic's cap"
    );
    assert_eq!(model.live.failures, 3);
    assert!(
        !model.connection.is_offline(),
        "the server answered: not offline"
    );
    let cmds = tick_at(&mut model, at);
    answer_refresh(&mut model, &cmds, 500, |_| {});
    assert_eq!(model.live.failures, 0);
    assert_eq!(
        model
            .live
            .next_at
            .map(|next| (next - model.now).num_seconds()),
        Some(5)
    );
}

#[test]
fn a_server_gone_away_pauses_the_live_table_for_the_offline_retries() {
    let mut model = live_model();
    let cmds = tick_at(&mut model, 5.0);
    let (request, window) = rows_request(&cmds).expect("a refresh");
    let offline = update(
        &mut model,
        Msg::LiveRowsRead {
            window,
            done: Done {
                request,
                took: Default::default(),
                result: Err(ApiError::Connection {
                    url: "http://geobox.example.ir/v1/".into(),
                    reason: "connection refused".into(),
                }),
            },
        },
    );
    assert!(model.connection.is_offline());
    assert!(
        timers(&offline)
            .iter()
            .any(|msg| matches!(msg, Msg::RetryConnection { .. })),
        "the offline retries take over"
    );
    answer_refresh(&mut model, &cmds, 500, |_| {});
    let cmds = tick_at(&mut model, 60.0);
    assert!(rows_request(&cmds).is_none(), "no refresh while offline");
}

#[test]
fn the_count_is_read_less_often_than_the_rows() {
    let mut model = live_model();
    let mut counts = 0;
    let mut at = 5.0;
    for _ in 0..COUNT_EVERY {
        let cmds = tick_at(&mut model, at);
        assert!(rows_request(&cmds).is_some());
        counts += cmds
            .iter()
            .filter(|cmd| matches!(cmd, Cmd::RefreshCount { .. }))
            .count();
        answer_refresh(&mut model, &cmds, 500, |_| {});
        at += 5.0;
    }
    assert_eq!(counts, 1, "one count in {COUNT_EVERY} refreshes");
}

#[test]
fn t_turns_the_live_table_off_and_on() {
    let mut model = live_model();
    type_keys(&mut model, "t");
    assert!(!model.live.on);
    let cmds = tick_at(&mut model, 30.0);
    assert!(rows_request(&cmds).is_none());
    assert_eq!(next_wake(&model), None);
    type_keys(&mut model, "t");
    assert!(model.live.on);
    let cmds = tick_at(&mut model, 31.5);
    assert!(rows_request(&cmds).is_some(), "on again: it reads at once");
}

#[test]
fn a_refresh_answered_after_the_filters_changed_is_dropped() {
    let mut model = live_model();
    let cmds = tick_at(&mut model, 5.0);
    let (request, window) = rows_request(&cmds).expect("a refresh");
    model.now = now() + chrono::Duration::seconds(7);
    let filtered = type_keys(&mut model, "o");
    assert!(
        filtered.iter().any(
            |cmd| matches!(cmd, Cmd::CancelRequest { request: cancelled } if *cancelled == request)
        ),
        "the refresh under way is stopped"
    );
    let rows = vec![crate::console::fixtures::user(42)];
    update(
        &mut model,
        Msg::LiveRowsRead {
            window,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(rows),
            },
        },
    );
    assert!(
        model.users.fresh.is_none(),
        "rows of the old sort are not shown"
    );
}
