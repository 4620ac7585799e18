//! The server going away and coming back, at the depth of `update`.

use std::time::Duration;

use super::*;

fn gone() -> FakeServer {
    FakeServer::gone(500)
}

/// The retry timer among the commands: its delay and its message.
fn retry_timer(cmds: &[Cmd]) -> Option<(Duration, Msg)> {
    cmds.iter().find_map(|cmd| match cmd {
        Cmd::After { delay, msg } if matches!(**msg, Msg::RetryConnection { .. }) => {
            Some((*delay, (**msg).clone()))
        }
        _ => None,
    })
}

fn probe_of(cmds: &[Cmd]) -> RequestId {
    cmds.iter()
        .find_map(|cmd| match cmd {
            Cmd::Probe { request } => Some(*request),
            _ => None,
        })
        .expect("the retry sends a probe")
}

fn probe_answer(request: RequestId, result: Result<(), ApiError>) -> Msg {
    Msg::ProbeAnswered(Done {
        request,
        took: Duration::from_millis(3),
        result,
    })
}

/// Answers what can be answered by `server` and returns the commands left (timers, probes).
fn run(model: &mut Model, server: &FakeServer, cmds: Vec<Cmd>) -> Vec<Cmd> {
    let mut left = Vec::new();
    let mut queue = std::collections::VecDeque::from(cmds);
    while let Some(cmd) = queue.pop_front() {
        match server.answer(&cmd) {
            Some(msg) => queue.extend(update(model, msg)),
            None => left.push(cmd),
        }
    }
    left
}

#[test]
fn reads_are_retried_with_a_capped_backoff_and_recovery_refreshes_the_screen() {
    let mut model = loaded_model(160, 45, 500);
    let rows_before = model.users.pages.len();
    let cmds = type_keys(&mut model, "R");
    let mut left = run(&mut model, &gone(), cmds);
    assert!(model.connection.is_offline());
    assert_eq!(model.users.pages.len(), rows_before, "loaded rows stay");

    let mut delays = Vec::new();
    for _ in 0..8 {
        let (delay, timer) = retry_timer(&left).expect("one retry is scheduled");
        assert_eq!(
            left.iter()
                .filter(|cmd| matches!(cmd, Cmd::After { .. }))
                .count(),
            1,
            "one timer at a time: {left:?}"
        );
        delays.push(delay.as_secs());
        let probe = probe_of(&update(&mut model, timer));
        left = update(
            &mut model,
            probe_answer(probe, Err(gone().fail_with.expect("an error"))),
        );
    }
    assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30, 30]);

    // Keys still move and ask for nothing while offline.
    let cmds = type_keys(&mut model, "G");
    assert!(page_requests(&cmds).is_empty(), "{cmds:?}");

    let (_, timer) = retry_timer(&left).expect("a retry");
    let probe = probe_of(&update(&mut model, timer));
    let cmds = update(&mut model, probe_answer(probe, Ok(())));
    assert!(!model.connection.is_offline());
    assert_eq!(
        model.banner.as_ref().map(|banner| banner.text.as_str()),
        Some("reconnected")
    );
    assert!(
        cmds.iter().any(|cmd| matches!(cmd, Cmd::CountUsers { .. })),
        "the count is read again"
    );
    assert!(
        page_requests(&cmds).iter().any(|(page, _, _)| *page == 4),
        "the page on screen is read: {:?}",
        page_requests(&cmds)
    );
    // The timer of an older retry finds a newer token and does nothing.
    assert!(update(&mut model, Msg::RetryConnection { token: 1 }).is_empty());
}

#[test]
fn a_failure_older_than_an_answer_does_not_take_the_console_offline() {
    let mut model = loaded_model(160, 45, 500);
    let newest = model.connection.last_answered;
    assert!(newest > RequestId(1));
    update(
        &mut model,
        Msg::UsersCounted(Done {
            request: RequestId(1),
            took: Duration::ZERO,
            result: Err(gone().fail_with.expect("an error")),
        }),
    );
    assert!(!model.connection.is_offline());
}

#[test]
fn offline_the_console_still_knows_who_is_signed_in() {
    let mut model = loaded_model(160, 45, 500);
    let signed_in = model.me.loaded().map(|me| me.username.clone());
    assert!(signed_in.is_some());
    let cmds = type_keys(&mut model, "R");
    run(&mut model, &gone(), cmds);
    assert!(model.connection.is_offline());
    assert_eq!(
        model.me.loaded().map(|me| me.username.clone()),
        signed_in,
        "a failed reload keeps the user (and so the role's keys) known"
    );
}

#[test]
fn writes_are_refused_plainly_offline_and_nothing_is_queued() {
    let mut model = loaded_model(160, 45, 500);
    let cmds = type_keys(&mut model, "R");
    run(&mut model, &gone(), cmds);
    assert!(model.connection.is_offline());
    // Another user than the signed-in admin, whom D is never offered for.
    type_keys(&mut model, "j");
    for keys in ["D", "s", "r", "p", "n"] {
        let cmds = type_keys(&mut model, keys);
        assert_eq!(api_calls(&cmds), 0, "{keys}: {cmds:?}");
        assert!(matches!(model.mode, Mode::Normal), "{keys} opens nothing");
        assert!(
            model
                .banner
                .as_ref()
                .is_some_and(|banner| banner.text.starts_with("Offline")),
            "{keys}: {:?}",
            model.banner
        );
    }
}

fn export_finished(request: RequestId, result: Result<ExportDone, ExportError>) -> Msg {
    Msg::ExportFinished { request, result }
}

#[test]
fn an_export_whose_server_went_away_takes_the_console_offline() {
    let mut model = loaded_model(160, 45, 500);
    let request = model.new_request();
    let unreachable = ApiError::Connection {
        url: "http://geobox.example.ir/v1/".into(),
        reason: "connection refused".into(),
    };
    let cmds = update(
        &mut model,
        export_finished(request, Err(unreachable.into())),
    );
    assert!(model.connection.is_offline(), "offline after the export");
    assert!(retry_timer(&cmds).is_some(), "and retrying by itself");
    let banner = model
        .banner
        .clone()
        .expect("the export says why it stopped");
    assert!(
        banner.text.contains("connection refused"),
        "{}",
        banner.text
    );
}

#[test]
fn an_export_refused_by_the_server_or_the_disk_leaves_the_console_online() {
    let mut model = loaded_model(160, 45, 500);
    let refused = ApiError::Forbidden {
        message: "no".into(),
    };
    let request = model.new_request();
    update(&mut model, export_finished(request, Err(refused.into())));
    assert!(!model.connection.is_offline(), "the server answered");
    let request = model.new_request();
    let full = ExportError::Write {
        path: "/full/disk.csv".into(),
        source: std::sync::Arc::new(std::io::Error::other("no space left on device")),
    };
    update(&mut model, export_finished(request, Err(full)));
    assert!(
        !model.connection.is_offline(),
        "a disk says nothing of the server"
    );
    let banner = model
        .banner
        .clone()
        .expect("the export says why it stopped");
    assert_eq!(
        banner.text,
        "Export failed: writing /full/disk.csv failed: no space left on device"
    );
}

#[test]
fn a_whole_view_collection_that_cannot_reach_the_server_takes_the_console_offline() {
    let mut model = loaded_model(160, 45, 500);
    let request = model.new_request();
    let msg = Msg::MatchingCollected {
        request,
        done: Done {
            request,
            took: Duration::from_millis(3),
            result: Err(ApiError::Timeout {
                after: Duration::from_secs(30),
            }),
        },
    };
    update(&mut model, msg);
    assert!(model.connection.is_offline());
}

#[test]
fn a_bulk_run_or_an_undo_whose_server_went_away_takes_the_console_offline() {
    let gone = || ApiError::Connection {
        url: "http://geobox.example.ir/v1/".into(),
        reason: "connection refused".into(),
    };
    let user: geobox_api::User =
        serde_json::from_value(serde_json::json!({"id": 7, "username": "neda"})).expect("user");
    let mut model = loaded_model(160, 45, 500);
    let request = model.new_request();
    let summary = geobox_ops::bulk::Summary {
        done: Vec::new(),
        failed: vec![(user.clone(), gone().into())],
        skipped: Vec::new(),
        not_reached: Vec::new(),
        changes: Vec::new(),
    };
    let cmds = update(
        &mut model,
        Msg::BulkFinished {
            request,
            summary: Box::new(summary),
        },
    );
    assert!(model.connection.is_offline(), "offline after the bulk run");
    assert!(retry_timer(&cmds).is_some(), "and retrying by itself");

    let mut model = loaded_model(160, 45, 500);
    let refused = geobox_ops::bulk::Summary {
        done: Vec::new(),
        failed: vec![(
            user,
            ApiError::Forbidden {
                message: "no".into(),
            }
            .into(),
        )],
        skipped: Vec::new(),
        not_reached: Vec::new(),
        changes: Vec::new(),
    };
    let request = model.new_request();
    update(
        &mut model,
        Msg::BulkFinished {
            request,
            summary: Box::new(refused),
        },
    );
    assert!(!model.connection.is_offline(), "the server answered");

    let mut model = loaded_model(160, 45, 500);
    let request = model.new_request();
    let entry = geobox_ops::journal::Entry::new(
        "demo",
        geobox_ops::journal::Tool::Console,
        geobox_ops::journal::Action::Update,
        geobox_ops::journal::Outcome::Ok,
    );
    update(
        &mut model,
        Msg::UndoApplied {
            request,
            entry: Box::new(entry),
            new_passwords: Vec::new(),
            unreachable: true,
        },
    );
    assert!(model.connection.is_offline(), "offline after the undo");
}
