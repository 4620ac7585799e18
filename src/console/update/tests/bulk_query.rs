//! Acting on every user the filter matches: the offer, the explicit `a` under a plain search,
//! the collection, the confirmation (who is left out, what is granted), the run and its end.

use std::time::Duration;

use super::*;
use crate::console::fixtures::{press, type_text, user};
use crate::console::model::{BulkAction, BulkStage};
use geobox_api::User;
use geobox_ops::bulk::{self, Change, Summary, Targets};
use geobox_ops::journal::{Action, Outcome};

fn filtered_model() -> Model {
    let mut model = loaded_model(80, 24, 500);
    model.filters.status = Some(UserStatus::Pending);
    model
}

fn stage(model: &Model) -> &BulkStage {
    match &model.mode {
        Mode::BulkQuery(query) => &query.stage,
        other => panic!("not acting on the whole query: {other:?}"),
    }
}

/// Keys `s a ⏎` and the collected users: the model waits at the confirmation.
fn confirm_with(model: &mut Model, users: Vec<User>) -> Targets {
    type_text(model, "sa");
    let cmds = press(model, KeyCode::Enter);
    collected(model, &cmds, users)
}

/// The collection `cmds` asked for comes back with `users`: the model waits at the
/// confirmation.
fn collected(model: &mut Model, cmds: &[Cmd], users: Vec<User>) -> Targets {
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::CollectMatching { request, view } => {
                assert_eq!(view.status, Some(UserStatus::Pending), "the table's filter");
                assert_eq!(
                    view.order_by, None,
                    "read by id, so writes cannot shift pages"
                );
                Some(*request)
            }
            _ => None,
        })
        .expect("the users are collected first");
    let done = Done {
        request,
        took: Duration::ZERO,
        result: Ok(users),
    };
    update(model, Msg::MatchingCollected { request, done });
    match stage(model) {
        BulkStage::Confirm { targets, .. } => targets.clone(),
        other => panic!("no confirmation: {other:?}"),
    }
}

fn run_request(cmds: &[Cmd]) -> Option<(RequestId, usize)> {
    cmds.iter().find_map(|cmd| match cmd {
        Cmd::RunBulk {
            request, targets, ..
        } => Some((*request, targets.to_change.len())),
        _ => None,
    })
}

/// The run ends with `summary`: what the model asks for, and the journal entries among it.
fn finish(
    model: &mut Model,
    request: RequestId,
    summary: Summary,
) -> (Vec<Cmd>, Vec<geobox_ops::journal::Entry>) {
    let cmds = update(
        model,
        Msg::BulkFinished {
            request,
            summary: Box::new(summary),
        },
    );
    let entries = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::AppendJournal { entry } => Some((**entry).clone()),
            _ => None,
        })
        .collect();
    (cmds, entries)
}

#[test]
fn with_marks_the_keys_act_on_the_marked_users_as_before() {
    let mut model = filtered_model();
    model.users.marked.insert(3);
    type_text(&mut model, "s");
    assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
}

#[test]
fn a_view_of_one_user_acts_on_them_at_once() {
    let mut model = loaded_model(80, 24, 1);
    model.filters.search = "ali".into();
    type_text(&mut model, "s");
    assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
}

#[test]
fn enter_on_the_offer_acts_on_the_selected_user_only() {
    let mut model = filtered_model();
    type_text(&mut model, "r");
    assert!(matches!(stage(&model), BulkStage::Offer));
    press(&mut model, KeyCode::Enter);
    assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
}

#[test]
fn many_users_take_the_typed_count_then_run_with_progress_and_stop() {
    let mut model = filtered_model();
    let users: Vec<User> = (1..=160).map(user).collect();
    let targets = confirm_with(&mut model, users);
    let count = targets.to_change.len();
    assert!(count > 100, "enough users to ask for the count: {count}");
    assert!(matches!(&model.mode, Mode::BulkQuery(query) if query.typing_count()));

    let cmds = press(&mut model, KeyCode::Enter);
    assert_eq!(
        run_request(&cmds),
        None,
        "nothing written before the count is typed"
    );
    type_text(&mut model, "99");
    assert_eq!(run_request(&press(&mut model, KeyCode::Enter)), None);
    assert!(matches!(
        stage(&model),
        BulkStage::Confirm { mismatch: true, .. }
    ));

    press(&mut model, KeyCode::Backspace);
    press(&mut model, KeyCode::Backspace);
    type_text(&mut model, &count.to_string());
    let (request, written) =
        run_request(&press(&mut model, KeyCode::Enter)).expect("the run starts");
    assert_eq!(written, count, "only the users not already so are written");

    let progress = bulk::Progress {
        done: 64,
        total: count,
        elapsed: Duration::from_secs(2),
    };
    update(&mut model, Msg::BulkProgressed { request, progress });
    assert!(
        matches!(stage(&model), BulkStage::Running { progress: shown, .. } if shown.done == 64)
    );

    let stop = press(&mut model, KeyCode::Esc);
    assert!(
        stop.iter()
            .any(|cmd| matches!(cmd, Cmd::StopBulk { request: r } if *r == request))
    );
    assert!(matches!(
        stage(&model),
        BulkStage::Running { stopping: true, .. }
    ));
    let again = press(&mut model, KeyCode::Esc);
    assert!(
        !again.iter().any(|cmd| matches!(cmd, Cmd::StopBulk { .. })),
        "asked once"
    );
}

#[test]
fn a_few_users_are_confirmed_with_y_and_the_summary_names_failures() {
    let mut model = filtered_model();
    let targets = confirm_with(&mut model, (1..=6).map(user).collect());
    let (request, _) = run_request(&type_text(&mut model, "y")).expect("y says yes");
    let mut summary = Summary {
        done: targets.to_change.clone(),
        skipped: targets.already.clone(),
        ..Summary::default()
    };
    let failed = summary.done.pop().expect("one to fail");
    let failed_name = failed.username.clone();
    let refused = geobox_api::ApiError::Forbidden {
        message: "no".to_string(),
    };
    summary.failed.push((failed, refused.into()));
    let cmds = update(
        &mut model,
        Msg::BulkFinished {
            request,
            summary: Box::new(summary),
        },
    );
    assert!(matches!(model.mode, Mode::Normal));
    let banner = model.banner.clone().expect("a summary");
    assert!(banner.error);
    assert!(banner.text.contains("failed 1"), "{}", banner.text);
    assert!(banner.text.contains(&failed_name), "{}", banner.text);
    assert!(
        cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadUsers { .. })),
        "the table is read again"
    );
}

#[test]
fn a_whole_view_change_is_one_journal_entry_with_a_change_per_user() {
    let mut model = filtered_model();
    let targets = confirm_with(&mut model, (1..=3).map(user).collect());
    let (request, _) = run_request(&type_text(&mut model, "y")).expect("y says yes");
    let changes: Vec<geobox_ops::journal::UserChange> = targets
        .to_change
        .iter()
        .map(|user| {
            geobox_ops::journal::UserChange::new(Some(user.id), Some(user.username.clone()))
        })
        .collect();
    let summary = Summary {
        done: targets.to_change.clone(),
        changes: changes.clone(),
        ..Summary::default()
    };
    let (cmds, entries) = finish(&mut model, request, summary);
    assert_eq!(entries.len(), 1, "one entry for the whole run: {cmds:?}");
    assert_eq!(entries[0].action, Action::BulkUpdate);
    assert_eq!(entries[0].changes, changes);
    assert_eq!(
        model.journal.this_run.len(),
        1,
        "shown in this run's journal"
    );
}

#[test]
fn renewing_needs_no_value_and_esc_while_collecting_drops_the_read() {
    let mut model = filtered_model();
    type_text(&mut model, "P");
    let cmds = type_text(&mut model, "a");
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::CollectMatching { request, .. } => Some(*request),
            _ => None,
        })
        .expect("renewing collects at once");
    let cmds = press(&mut model, KeyCode::Esc);
    assert!(matches!(model.mode, Mode::Normal));
    assert!(
        cmds.iter()
            .any(|cmd| matches!(cmd, Cmd::CancelRequest { request: r } if *r == request))
    );
}

// ---- `!` on the whole view ----

fn lockdown_run(cmds: &[Cmd]) -> Option<(RequestId, Vec<i64>)> {
    cmds.iter().find_map(|cmd| match cmd {
        Cmd::RunBulk {
            request,
            targets,
            change: Change::Lockdown,
        } => Some((
            *request,
            targets.to_change.iter().map(|user| user.id).collect(),
        )),
        _ => None,
    })
}

#[test]
fn bang_with_a_filter_offers_the_view_and_enter_keeps_to_the_selected_user() {
    let mut model = filtered_model();
    // User 1, selected first, is the signed-in admin.
    type_text(&mut model, "j!");
    assert!(
        matches!(&model.mode, Mode::BulkQuery(query)
            if query.action == BulkAction::Lockdown && matches!(query.stage, BulkStage::Offer)),
        "{:?}",
        model.mode
    );
    press(&mut model, KeyCode::Enter);
    assert!(
        matches!(&model.mode, Mode::Lockdown(dialog)
            if dialog.targets.len() == 1 && dialog.targets[0].id == 2),
        "the one-user dialog, as before: {:?}",
        model.mode
    );
}

#[test]
fn bang_with_marks_locks_down_the_marked_users_as_before() {
    let mut model = filtered_model();
    model.users.marked.insert(3);
    type_text(&mut model, "!");
    assert!(matches!(model.mode, Mode::Lockdown(_)), "{:?}", model.mode);
}

#[test]
fn a_whole_view_lockdown_collects_takes_the_typed_count_and_runs() {
    let mut model = filtered_model();
    let cmds = type_text(&mut model, "j!a");
    let targets = collected(&mut model, &cmds, (2..=161).map(user).collect());
    assert_eq!(
        targets.to_change.len(),
        160,
        "nobody is already locked down"
    );
    assert!(matches!(
        stage(&model),
        BulkStage::Confirm {
            change: Change::Lockdown,
            notes,
            ..
        } if notes.is_empty()
    ));
    assert!(
        lockdown_run(&press(&mut model, KeyCode::Enter)).is_none(),
        "above a hundred, the count is typed"
    );
    type_text(&mut model, "160");
    let (request, ids) =
        lockdown_run(&press(&mut model, KeyCode::Enter)).expect("the lockdown runs");
    assert_eq!(ids, (2..=161).collect::<Vec<i64>>());
    assert!(matches!(
        stage(&model),
        BulkStage::Running {
            change: Change::Lockdown,
            ..
        }
    ));

    let mut summary = Summary {
        done: targets.to_change.clone(),
        changes: targets
            .to_change
            .iter()
            .map(|user| geobox_ops::journal::UserChange::new(Some(user.id), None))
            .collect(),
        ..Summary::default()
    };
    let failed = summary.done.pop().expect("one to fail");
    let close_failed = geobox_ops::lockdown::StepDone {
        kind: geobox_ops::lockdown::StepKind::CloseSessions,
        outcome: Outcome::Error("server error (500)".to_string()),
        summary: String::new(),
        error: None,
    };
    let missed = geobox_ops::lockdown::LockdownError::Incomplete {
        failed: vec![close_failed],
    };
    assert_eq!(
        missed.to_string(),
        "not done: close sessions (error: server error (500))"
    );
    summary.failed.push((failed, missed.into()));
    let (cmds, entries) = finish(&mut model, request, summary);
    assert_eq!(entries.len(), 1, "one entry for the run");
    assert_eq!(entries[0].action, Action::Lockdown, "undone as a lockdown");
    assert_eq!(entries[0].changes.len(), 160);
    let banner = model.banner.clone().expect("a summary");
    assert!(
        banner.error && banner.text.contains("close sessions"),
        "{}",
        banner.text
    );
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadUsers { .. })));
}

#[test]
fn the_signed_in_admin_is_left_out_of_a_whole_view_lockdown() {
    let mut model = filtered_model();
    let me = model.me.loaded().cloned().expect("signed in");
    let cmds = type_text(&mut model, "j!a");
    let targets = collected(&mut model, &cmds, vec![user(2), me.clone(), user(3)]);
    let ids: Vec<i64> = targets.to_change.iter().map(|user| user.id).collect();
    assert_eq!(ids, vec![2, 3]);
    assert!(
        matches!(stage(&model), BulkStage::Confirm { notes, .. }
            if notes.contains(&format!("{} (you) is left out: the change would lock you down", me.username))),
        "the confirmation says so: {:?}",
        model.mode
    );
    let (_, ids) = lockdown_run(&type_text(&mut model, "y")).expect("a few: y is enough");
    assert!(!ids.contains(&me.id));
}

#[test]
fn a_whole_view_lockdown_waits_to_know_who_is_signed_in() {
    let mut model = filtered_model();
    model.me = crate::console::model::Loadable::default();
    let cmds = type_text(&mut model, "j!a");
    assert!(
        !cmds
            .iter()
            .any(|cmd| matches!(cmd, Cmd::CollectMatching { .. })),
        "nothing collected"
    );
    assert!(matches!(model.mode, Mode::Normal));
    assert!(model.banner.as_ref().is_some_and(|banner| banner.error));
}

// ---- a plain search, one match, no filter ----

/// The table under a kept plain search: 12 users match `/ali`.
fn searched_model() -> Model {
    let mut model = loaded_model(80, 24, 12);
    model.filters.search = "ali".into();
    model
}

#[test]
fn a_plain_search_acts_on_the_selected_user_and_a_asks_for_all() {
    let mut model = searched_model();
    type_text(&mut model, "j");
    type_text(&mut model, "s");
    assert!(
        matches!(&model.mode, Mode::Picker(picker) if picker.targets.len() == 1),
        "the selected user, no offer: {:?}",
        model.mode
    );
    // `a` turns the picker to every user the search matches: the value comes first.
    let cmds = type_text(&mut model, "a");
    assert!(cmds.is_empty());
    assert!(
        matches!(&model.mode, Mode::BulkQuery(query)
            if query.action == BulkAction::Status && matches!(query.stage, BulkStage::Choose { .. })),
        "{:?}",
        model.mode
    );
    let cmds = press(&mut model, KeyCode::Enter);
    assert!(
        cmds.iter().any(|cmd| matches!(
            cmd,
            Cmd::CollectMatching { view, .. } if view.search.as_deref() == Some("ali")
        )),
        "every user of the search is read: {cmds:?}"
    );
}

#[test]
fn a_plain_search_renews_or_locks_down_the_selected_user_unless_a_asks_for_all() {
    let mut model = searched_model();
    type_text(&mut model, "jP");
    assert!(
        matches!(&model.mode, Mode::Confirm(confirm) if matches!(**confirm, Confirm::RenewPlan { .. })),
        "{:?}",
        model.mode
    );
    let cmds = type_text(&mut model, "a");
    assert!(
        cmds.iter()
            .any(|cmd| matches!(cmd, Cmd::CollectMatching { .. })),
        "renewing needs no value: collected at once"
    );
    assert!(matches!(
        stage(&model),
        BulkStage::Collecting {
            change: Change::RenewPlan,
            ..
        }
    ));

    let mut model = searched_model();
    type_text(&mut model, "j!");
    assert!(matches!(model.mode, Mode::Lockdown(_)), "{:?}", model.mode);
    type_text(&mut model, "a");
    assert!(matches!(
        stage(&model),
        BulkStage::Collecting {
            change: Change::Lockdown,
            ..
        }
    ));
}

#[test]
fn without_a_filter_a_does_nothing_in_a_dialog() {
    let mut model = loaded_model(80, 24, 500);
    type_text(&mut model, "js");
    assert!(type_text(&mut model, "a").is_empty());
    assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
    // A blank CQL is no filter either.
    model.mode = Mode::Normal;
    model.filters.cql = "   ".into();
    type_text(&mut model, "s");
    assert!(
        matches!(model.mode, Mode::Picker(_)),
        "no offer: {:?}",
        model.mode
    );
    assert!(type_text(&mut model, "a").is_empty());
}

#[test]
fn one_match_offers_the_view_like_many_so_the_same_keys_do_the_same() {
    let mut model = loaded_model(80, 24, 1);
    model.filters.status = Some(UserStatus::Active);
    model.users.total = Some(1);
    type_text(&mut model, "!");
    assert!(
        matches!(stage(&model), BulkStage::Offer),
        "the offer, as with several matches"
    );
    // ⏎ keeps to the selected user (here the signed-in admin, refused with the reason).
    press(&mut model, KeyCode::Enter);
    assert!(matches!(model.mode, Mode::Normal));
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|banner| banner.text.contains("lock you down")),
        "{:?}",
        model.banner
    );
}

#[test]
fn a_whole_view_renewal_leaves_out_users_the_role_may_not_change() {
    let mut model = filtered_model();
    if let crate::console::model::LoadState::Loaded(me) = &mut model.me.state {
        me.role = Some(UserRole::AccountAdmin);
    }
    let cmds = type_text(&mut model, "Pa");
    let mut system_admin = user(4);
    system_admin.role = Some(UserRole::SystemAdmin);
    let targets = collected(&mut model, &cmds, vec![user(2), system_admin, user(5)]);
    let ids: Vec<i64> = targets.to_change.iter().map(|user| user.id).collect();
    assert_eq!(ids, [2, 5]);
    let BulkStage::Confirm { notes, .. } = stage(&model) else {
        panic!("no confirmation");
    };
    assert_eq!(
        notes,
        &["1 user left out: only a System Admin may change a System Admin"]
    );
}
