//! The console's writes become journal entries that the runner appends.

use super::*;
use crate::console::model::UndoAsk;
use geobox_ops::journal::{Action, Entry, Field, Outcome, Tool};

pub(super) fn journaled(cmds: &[Cmd]) -> Vec<Entry> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::AppendJournal { entry } => Some((**entry).clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn answered<T>(request: RequestId, result: Result<T, ApiError>) -> Done<T> {
    Done {
        request,
        took: Default::default(),
        result,
    }
}

fn quick_edit_requests(cmds: &[Cmd]) -> Vec<(RequestId, i64)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::QuickEdit {
                request, user_id, ..
            } => Some((*request, *user_id)),
            _ => None,
        })
        .collect()
}

pub(super) fn disabled(id: i64) -> geobox_api::User {
    let mut user = crate::console::fixtures::user(id);
    user.status = Some(UserStatus::Disabled);
    user
}

#[test]
fn a_quick_edit_is_journaled_with_the_old_and_new_value_and_a_failure_too() {
    let mut model = loaded_model(160, 45, 50);
    // User 5, Active.
    type_keys(&mut model, "jjjjs");
    type_keys(&mut model, "j");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let [(request, user_id)] = quick_edit_requests(&cmds)[..] else {
        panic!("one edit expected");
    };
    assert!(
        journaled(&cmds).is_empty(),
        "nothing is journaled before the answer"
    );
    let cmds = update(
        &mut model,
        Msg::UserUpdated {
            user_id,
            change: QuickChange::Status(UserStatus::Disabled),
            done: answered(request, Ok(disabled(user_id))),
        },
    );
    let [entry] = &journaled(&cmds)[..] else {
        panic!("one entry expected, got {cmds:?}");
    };
    assert_eq!(entry.tool, Tool::Console);
    assert_eq!(entry.action, Action::Update);
    assert_eq!(entry.outcome, Outcome::Ok);
    assert_eq!(entry.by.as_deref(), Some("admin"));
    let change = &entry.changes[0];
    assert_eq!(change.user_id, Some(user_id));
    assert_eq!(
        change.before.get(Field::Status),
        Some(&serde_json::json!("Active"))
    );
    assert_eq!(
        change.after.get(Field::Status),
        Some(&serde_json::json!("Disabled"))
    );
    assert_eq!(change.after.0.len(), 1, "exactly the field that changed");
    assert_eq!(model.journal.this_run, vec![entry.clone()]);

    let cmds = update(
        &mut model,
        Msg::UserUpdated {
            user_id: 2,
            change: QuickChange::Status(UserStatus::Disabled),
            done: answered(
                RequestId(77),
                Err(ApiError::Forbidden {
                    message: "nope".into(),
                }),
            ),
        },
    );
    let [entry] = &journaled(&cmds)[..] else {
        panic!("a failed write is journaled too");
    };
    assert!(matches!(&entry.outcome, Outcome::Error(text) if text.contains("nope")));
    assert_eq!(model.journal.this_run.len(), 2);
}

#[test]
fn a_bulk_change_is_one_entry_with_each_users_outcome() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "   ");
    type_keys(&mut model, "s");
    update(&mut model, key(KeyCode::Enter));
    let cmds = type_keys(&mut model, "y");
    let edits = quick_edit_requests(&cmds);
    assert_eq!(edits.len(), 3);
    let mut all = Vec::new();
    for (index, (request, user_id)) in edits.into_iter().enumerate() {
        let result = if index == 1 {
            Err(ApiError::Forbidden {
                message: "nope".into(),
            })
        } else {
            Ok(disabled(user_id))
        };
        all.extend(update(
            &mut model,
            Msg::UserUpdated {
                user_id,
                change: QuickChange::Status(UserStatus::Disabled),
                done: answered(request, result),
            },
        ));
    }
    let [entry] = &journaled(&all)[..] else {
        panic!("one entry for the whole bulk action, got {all:?}");
    };
    assert_eq!(entry.action, Action::BulkUpdate);
    assert_eq!(entry.changes.len(), 3);
    assert_eq!(entry.outcome, Outcome::Error("1 of 3 failed".to_string()));
    let failed = entry
        .changes
        .iter()
        .filter(|change| !change.outcome.as_ref().is_some_and(Outcome::is_ok))
        .count();
    assert_eq!(failed, 1);
}

#[test]
fn a_password_change_is_journaled_without_the_password() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "p");
    type_keys(&mut model, "S3cret!pass");
    update(&mut model, key(KeyCode::Tab));
    type_keys(&mut model, "S3cret!pass");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let request = match cmds.as_slice() {
        [Cmd::ChangePassword { request, .. }] => *request,
        other => panic!("one change expected, got {} commands", other.len()),
    };
    let cmds = update(
        &mut model,
        Msg::PasswordChanged {
            user_id: 1,
            username: "user1".into(),
            done: answered(request, Ok(())),
        },
    );
    let [entry] = &journaled(&cmds)[..] else {
        panic!("one entry expected");
    };
    assert_eq!(entry.action, Action::SetPassword);
    assert!(entry.changes[0].before.is_empty() && entry.changes[0].after.is_empty());
    let stored = serde_json::to_string(entry).expect("an entry serializes");
    assert!(!stored.contains("S3cret"));
}

#[test]
fn a_delete_keeps_every_field_so_it_can_be_created_again() {
    let mut model = loaded_model(160, 45, 50);
    let cmds = update(
        &mut model,
        Msg::UserDeleted {
            user_id: 1,
            username: "user1".into(),
            done: answered(RequestId(5), Ok(())),
        },
    );
    let [entry] = &journaled(&cmds)[..] else {
        panic!("one entry expected");
    };
    assert_eq!(entry.action, Action::Delete);
    assert_eq!(
        entry.changes[0].before.get(Field::Username),
        Some(&serde_json::json!(
            crate::console::fixtures::user(1).username
        ))
    );
}

/// A quick status change of user 1 answered, so this run has one entry.
pub(super) fn model_with_one_write() -> (Model, Entry) {
    let mut model = loaded_model(160, 45, 50);
    let cmds = update(
        &mut model,
        Msg::UserUpdated {
            user_id: 1,
            change: QuickChange::Status(UserStatus::Disabled),
            done: answered(RequestId(900), Ok(disabled(1))),
        },
    );
    let entry = journaled(&cmds).remove(0);
    (model, entry)
}

pub(super) fn earlier_entry(user_id: i64) -> Entry {
    let mut entry = Entry::new("", Tool::Cli, Action::RenewPlan, Outcome::Ok);
    entry.changes = vec![geobox_ops::journal::UserChange::new(
        Some(user_id),
        Some(format!("user{user_id}")),
    )];
    entry
}

pub(super) fn read_request(cmds: &[Cmd]) -> (RequestId, geobox_ops::journal::Filter) {
    cmds.iter()
        .find_map(|cmd| match cmd {
            Cmd::ReadJournal { request, filter } => Some((*request, filter.clone())),
            _ => None,
        })
        .expect("the runner is asked to read the journal")
}

#[test]
fn l_shows_this_runs_entries_first_then_earlier_ones_and_f_narrows_to_the_user() {
    let (mut model, mine) = model_with_one_write();
    let cmds = type_keys(&mut model, "L");
    let (request, filter) = read_request(&cmds);
    assert!(filter.user.is_none());
    update(
        &mut model,
        Msg::JournalRead {
            request,
            // The file holds this run's entry too: it is shown once, on top.
            result: Ok(vec![mine.clone(), earlier_entry(2)]),
        },
    );
    let Mode::Journal(view) = &model.mode else {
        panic!("L opens the journal");
    };
    let ids: Vec<&str> = view
        .rows(&model.journal.this_run)
        .iter()
        .map(|entry| entry.id.as_str())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], mine.id);

    // f: only the selected user (user 1), read again for that user.
    let cmds = type_keys(&mut model, "f");
    let (request, filter) = read_request(&cmds);
    assert_eq!(filter.user, Some(geobox_ops::journal::UserKey::Id(1)));
    update(
        &mut model,
        Msg::JournalRead {
            request,
            result: Ok(vec![mine.clone()]),
        },
    );
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    assert_eq!(view.rows(&model.journal.this_run).len(), 1);
    type_keys(&mut model, "q");
    assert!(matches!(model.mode, Mode::Normal), "q closes the journal");
}

pub(super) fn open_and_ask_undo(model: &mut Model) -> (RequestId, Entry) {
    let cmds = type_keys(model, "L");
    let (request, _) = read_request(&cmds);
    update(
        model,
        Msg::JournalRead {
            request,
            result: Ok(Vec::new()),
        },
    );
    let cmds = type_keys(model, "u");
    match cmds.as_slice() {
        [Cmd::CheckUndo { request, entry }] => (*request, (**entry).clone()),
        other => panic!("the entry's user is read first, got {other:?}"),
    }
}

#[test]
fn u_shows_the_change_then_undoes_it_and_the_undo_is_journaled() {
    let (mut model, mine) = model_with_one_write();
    let (request, entry) = open_and_ask_undo(&mut model);
    assert_eq!(entry.id, mine.id);
    update(
        &mut model,
        Msg::UndoChecked {
            entry: Box::new(entry.clone()),
            done: answered(request, Ok(vec![Some(disabled(1))])),
        },
    );
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    let UndoAsk::Ready { plan, .. } = &view.undo else {
        panic!("the change is shown first, got {:?}", view.undo);
    };
    let shown = plan.steps[0].to_string();
    assert!(shown.contains("status: Disabled → Active"), "{shown}");
    assert!(crate::console::keys::footer_hints(&model, &Keymap::default()).contains(&"y undo"));

    let cmds = type_keys(&mut model, "y");
    let request = match cmds.as_slice() {
        [Cmd::ApplyUndo { request, entry, .. }] => {
            assert_eq!(entry.id, mine.id);
            *request
        }
        other => panic!("y carries it out, got {other:?}"),
    };
    let mut undo = Entry::new("", Tool::Console, Action::Update, Outcome::Ok);
    undo.undoes = Some(mine.id.clone());
    let cmds = update(
        &mut model,
        Msg::UndoApplied {
            request,
            entry: Box::new(undo),
            new_passwords: Vec::new(),
            unreachable: false,
        },
    );
    let [journaled] = &journaled(&cmds)[..] else {
        panic!("the undo is journaled");
    };
    assert_eq!(journaled.undoes.as_deref(), Some(mine.id.as_str()));
    assert_eq!(journaled.by.as_deref(), Some("admin"));
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|banner| !banner.error && banner.text.contains("Undid"))
    );
}

#[test]
fn u_refuses_when_the_user_changed_since_and_says_what_changed() {
    let (mut model, _) = model_with_one_write();
    let (request, entry) = open_and_ask_undo(&mut model);
    let mut changed_since = disabled(1);
    changed_since.status = Some(UserStatus::Pending);
    let cmds = update(
        &mut model,
        Msg::UndoChecked {
            entry: Box::new(entry),
            done: answered(request, Ok(vec![Some(changed_since)])),
        },
    );
    assert!(cmds.is_empty());
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    let UndoAsk::Refused { text } = &view.undo else {
        panic!("refused, got {:?}", view.undo);
    };
    assert!(
        text.contains("the entry set Disabled, it is now Pending"),
        "{text}"
    );
    // y does nothing on a refusal, so the footer does not offer it; Esc puts it away.
    let hints = crate::console::keys::footer_hints(&model, &Keymap::default());
    assert!(!hints.contains(&"y undo"), "{hints:?}");
    assert!(hints.contains(&"n/Esc no"), "{hints:?}");
    assert!(type_keys(&mut model, "y").is_empty());
    update(&mut model, key(KeyCode::Esc));
    assert!(matches!(&model.mode, Mode::Journal(view) if matches!(view.undo, UndoAsk::Idle)));
}

#[test]
fn a_second_u_on_an_undone_entry_says_already_undone_and_by_whom() {
    let (mut model, mine) = model_with_one_write();
    let (request, entry) = open_and_ask_undo(&mut model);
    update(
        &mut model,
        Msg::UndoChecked {
            entry: Box::new(entry),
            done: answered(request, Ok(vec![Some(disabled(1))])),
        },
    );
    let cmds = type_keys(&mut model, "y");
    let [Cmd::ApplyUndo { request, .. }] = cmds.as_slice() else {
        panic!("y carries it out, got {cmds:?}");
    };
    let mut undo = Entry::new("", Tool::Console, Action::Update, Outcome::Ok);
    undo.undoes = Some(mine.id.clone());
    let cmds = update(
        &mut model,
        Msg::UndoApplied {
            request: *request,
            entry: Box::new(undo),
            new_passwords: Vec::new(),
            unreachable: false,
        },
    );
    let undo_id = journaled(&cmds)[0].id.clone();
    let undone = model
        .journal
        .this_run
        .iter()
        .find(|entry| entry.id == mine.id)
        .and_then(|entry| entry.undone.clone())
        .expect("this run's entry is marked undone");
    assert_eq!(undone.entry, undo_id);

    // u again on the same entry (now second, under its undo): the user is back as before.
    type_keys(&mut model, "j");
    let cmds = type_keys(&mut model, "u");
    let [Cmd::CheckUndo { request, entry }] = cmds.as_slice() else {
        panic!("the entry's user is read first, got {cmds:?}");
    };
    assert_eq!(entry.id, mine.id);
    update(
        &mut model,
        Msg::UndoChecked {
            entry: entry.clone(),
            done: answered(*request, Ok(vec![Some(crate::console::fixtures::user(1))])),
        },
    );
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    let UndoAsk::Refused { text } = &view.undo else {
        panic!("refused, got {:?}", view.undo);
    };
    assert!(
        text.contains(&format!("already undone (by {undo_id} (admin) at")),
        "{text}"
    );
    assert!(!text.contains("changed since"), "{text}");
}

#[test]
fn on_the_demo_entries_name_the_demo_and_l_reads_the_demos_whatever_its_port() {
    let mut env = crate::console::fixtures::env();
    env.demo_url = Some("http://127.0.0.1:41234".to_string());
    env.api_base = "http://127.0.0.1:41234/v1/".to_string();
    let mut model = loaded_model(160, 45, 50);
    // User 5, Active (user 1 is the signed-in admin, whom a disable asks about first).
    type_keys_in(&mut model, &env, "jjjjs");
    type_keys_in(&mut model, &env, "j");
    let cmds = super::super::update(&mut model, &env, key(KeyCode::Enter));
    let [(request, user_id)] = quick_edit_requests(&cmds)[..] else {
        panic!("one edit expected");
    };
    let cmds = super::super::update(
        &mut model,
        &env,
        Msg::UserUpdated {
            user_id,
            change: QuickChange::Status(UserStatus::Disabled),
            done: answered(request, Ok(disabled(user_id))),
        },
    );
    let entry = journaled(&cmds).remove(0);
    assert_eq!(
        entry.deployment,
        Some(geobox_ops::journal::Deployment::Demo)
    );
    let cmds = type_keys_in(&mut model, &env, "L");
    let (_, filter) = read_request(&cmds);
    assert_eq!(
        filter.deployment,
        Some(geobox_ops::journal::Deployment::Demo),
        "earlier entries are the demo's, not its address's"
    );
}

#[test]
fn u_on_an_entry_that_does_not_verify_warns_before_y() {
    let mut model = loaded_model(160, 45, 50);
    let cmds = type_keys(&mut model, "L");
    let (request, _) = read_request(&cmds);
    let mut forged = earlier_entry(1);
    forged.action = Action::Update;
    let role = |value: &str| {
        geobox_ops::journal::Values(
            [(Field::Role, serde_json::json!(value))]
                .into_iter()
                .collect(),
        )
    };
    forged.changes[0] = forged.changes[0]
        .clone()
        .values(role("System Admin"), role("Viewer"));
    forged.read_from = Some(geobox_ops::journal::Provenance {
        store: "journal.jsonl".to_string(),
        seal: geobox_ops::journal::Seal::Broken,
    });
    update(
        &mut model,
        Msg::JournalRead {
            request,
            result: Ok(vec![forged.clone()]),
        },
    );
    let cmds = type_keys(&mut model, "u");
    let [Cmd::CheckUndo { request, entry }] = cmds.as_slice() else {
        panic!("the entry's user is read first, got {cmds:?}");
    };
    let mut viewer = crate::console::fixtures::user(1);
    viewer.role = Some(UserRole::Viewer);
    update(
        &mut model,
        Msg::UndoChecked {
            entry: entry.clone(),
            done: answered(*request, Ok(vec![Some(viewer)])),
        },
    );
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    let UndoAsk::Ready { plan, .. } = &view.undo else {
        panic!("the change is shown, got {:?}", view.undo);
    };
    assert!(
        plan.notes[0].starts_with("WARNING: entry ")
            && plan.notes[0].contains("not written by geobox-users"),
        "{:?}",
        plan.notes
    );
    assert!(
        plan.notes
            .iter()
            .any(|note| note.contains("will be System Admin")),
        "{:?}",
        plan.notes
    );
}
