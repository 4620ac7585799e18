//! The console's writes become journal entries that the runner appends.

use super::*;
use crate::journal::{Action, Entry, Field, Outcome, Tool};

fn journaled(cmds: &[Cmd]) -> Vec<Entry> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::AppendJournal { entry } => Some((**entry).clone()),
            _ => None,
        })
        .collect()
}

fn answered<T>(request: RequestId, result: Result<T, ApiError>) -> Done<T> {
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

fn disabled(id: i64) -> crate::api::User {
    let mut user = crate::console::fixtures::user(id);
    user.status = Some(UserStatus::Disabled);
    user
}

#[test]
fn a_quick_edit_is_journaled_with_the_old_and_new_value_and_a_failure_too() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "s");
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
