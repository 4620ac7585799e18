use serde_json::{Value, json};

use super::*;
use geobox_api::{User, UserStatus};

/// A user as the server answers one, with the fields an undo reads.
pub(super) fn user(id: i64, username: &str, status: &str, role: &str) -> User {
    serde_json::from_value(json!({
        "id": id, "username": username, "email": format!("{username}@example.ir"),
        "first_name": "First", "last_name": "Last", "mobile": null,
        "role": role, "status": status,
    }))
    .expect("a user")
}

fn refuse() -> UndoOptions<'static> {
    UndoOptions::default()
}

fn overwrite() -> UndoOptions<'static> {
    UndoOptions {
        if_changed: IfChanged::Overwrite,
        me: None,
    }
}

fn single(action: Action, change: UserChange) -> Entry {
    let mut entry = Entry::new("http://h", Tool::Cli, action, Outcome::Ok);
    entry.changes.push(change);
    entry
}

fn status_change(id: i64, name: &str, from: &str, to: &str) -> UserChange {
    let values = |status: &str| Values([(Field::Status, json!(status))].into_iter().collect());
    UserChange::new(Some(id), Some(name.to_string())).values(values(from), values(to))
}

/// Each user an update plan puts back, with the first value it puts back.
fn restored(plan: &UndoPlan) -> Vec<(i64, Value)> {
    plan.steps
        .iter()
        .map(|step| match step {
            UndoStep::Update {
                user_id, changes, ..
            } => (*user_id, changes[0].to.clone()),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn an_update_goes_back_to_the_old_values() {
    let entry = single(
        Action::Update,
        status_change(5, "neda", "Active", "Disabled"),
    );
    let now = user(5, "neda", "Disabled", "Viewer");
    let plan = plan_undo(&entry, &[Some(now)], &refuse()).expect("a plan");
    assert_eq!(
        plan.steps,
        vec![UndoStep::Update {
            user_id: 5,
            username: Some("neda".to_string()),
            changes: vec![FieldChange {
                field: Field::Status,
                from: json!("Disabled"),
                to: json!("Active"),
            }],
        }]
    );
    assert_eq!(
        plan.steps[0].to_string(),
        "update neda (5):\n  status: Disabled → Active"
    );
}

#[test]
fn a_change_made_since_refuses_unless_forced() {
    let entry = single(
        Action::Update,
        status_change(5, "neda", "Active", "Disabled"),
    );
    let now = user(5, "neda", "Pending", "Viewer");
    let refusal = plan_undo(&entry, &[Some(now.clone())], &refuse()).expect_err("refused");
    assert_eq!(
        refusal,
        Refusal::ChangedSince {
            drifts: vec![Drift {
                user_id: 5,
                username: Some("neda".to_string()),
                field: Field::Status,
                recorded: json!("Disabled"),
                now: json!("Pending"),
            }],
            gone: Vec::new(),
        }
    );
    assert!(
        refusal
            .to_string()
            .contains("neda (5) status: the entry set Disabled, it is now Pending"),
        "{refusal}"
    );
    let forced = plan_undo(&entry, &[Some(now)], &overwrite()).expect("forced");
    assert!(matches!(&forced.steps[0], UndoStep::Update { changes, .. }
            if changes[0].from == json!("Pending") && changes[0].to == json!("Active")));
}

#[test]
fn a_user_gone_since_refuses_and_forcing_leaves_nothing_to_do() {
    let entry = single(
        Action::Update,
        status_change(5, "neda", "Active", "Disabled"),
    );
    let refusal = plan_undo(&entry, &[None], &refuse()).expect_err("refused");
    assert!(
        refusal.to_string().contains("neda (5) no longer exists"),
        "{refusal}"
    );
    assert_eq!(
        plan_undo(&entry, &[None], &overwrite()),
        Err(Refusal::NothingToUndo)
    );
}

#[test]
fn a_delete_comes_back_as_a_create_with_a_new_id_and_password() {
    let gone = user(9, "sara", "Active", "Editor");
    let change = UserChange::new(Some(9), Some("sara".to_string()))
        .values(Values::of_user(&gone), Values::default());
    let entry = single(Action::Delete, change);
    let plan = plan_undo(&entry, &[None], &refuse()).expect("a plan");
    assert_eq!(
        plan.steps,
        vec![UndoStep::Create {
            fields: Values::of_user(&gone)
        }]
    );
    let notes = plan.notes.join(" ");
    assert!(
        notes.contains("new id") && notes.contains("new password"),
        "{notes}"
    );
}

#[test]
fn closed_sessions_and_password_changes_cannot_be_undone_and_say_why() {
    for (action, why) in [
        (Action::CloseSession, "token is gone"),
        (Action::SetPassword, "never recorded"),
    ] {
        let entry = single(action, UserChange::new(Some(5), None));
        let now = user(5, "neda", "Active", "Viewer");
        match plan_undo(&entry, &[Some(now)], &overwrite()) {
            Err(Refusal::Impossible(reason)) => assert!(reason.contains(why), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_failed_write_has_nothing_to_undo() {
    let mut entry = single(
        Action::Update,
        status_change(5, "neda", "Active", "Disabled"),
    );
    entry.outcome = Outcome::Error("not allowed (403)".to_string());
    let now = user(5, "neda", "Active", "Viewer");
    match plan_undo(&entry, &[Some(now)], &overwrite()) {
        Err(Refusal::Impossible(reason)) => assert!(reason.contains("403"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_lockdown_undo_restores_the_status_only_and_says_so() {
    let mut entry = single(
        Action::Lockdown,
        status_change(5, "neda", "Active", "Disabled"),
    );
    entry.steps = vec![
        Step {
            name: "disable".to_string(),
            outcome: Outcome::Ok,
        },
        Step {
            name: "close sessions".to_string(),
            outcome: Outcome::Ok,
        },
    ];
    let now = user(5, "neda", "Disabled", "Viewer");
    let plan = plan_undo(&entry, &[Some(now)], &refuse()).expect("a plan");
    assert!(matches!(&plan.steps[..], [UndoStep::Update { changes, .. }]
            if changes.len() == 1 && changes[0].to == json!("Active")));
    assert!(
        plan.notes
            .iter()
            .any(|note| note.contains("only the status"))
    );
}

#[test]
fn a_bulk_undo_puts_each_user_back_to_their_own_value() {
    let mut entry = Entry::new("http://h", Tool::Console, Action::BulkUpdate, Outcome::Ok);
    let role = |value: &str| Values([(Field::Role, json!(value))].into_iter().collect());
    let change = |id: i64, name: &str, before: &str| {
        UserChange::new(Some(id), Some(name.to_string())).values(role(before), role("Viewer"))
    };
    entry.changes = vec![change(1, "a", "Editor"), change(2, "b", "Publisher")];
    let mut failed = change(3, "c", "Editor");
    failed.outcome = Some(Outcome::Error("server error (500)".to_string()));
    entry.changes.push(failed);
    let now = [
        Some(user(1, "a", "Active", "Viewer")),
        Some(user(2, "b", "Active", "Viewer")),
        Some(user(3, "c", "Active", "Editor")),
    ];
    let plan = plan_undo(&entry, &now, &refuse()).expect("a plan");
    assert_eq!(
        restored(&plan),
        vec![(1, json!("Editor")), (2, json!("Publisher"))],
        "the failed one is left alone"
    );
}

#[test]
fn a_create_is_undone_by_a_delete_unless_changed_since() {
    let made = user(7, "new.one", "Active", "Viewer");
    let change = UserChange::new(Some(7), Some("new.one".to_string()))
        .values(Values::default(), Values::of_user(&made));
    let entry = single(Action::Create, change);
    let plan = plan_undo(&entry, &[Some(made.clone())], &refuse()).expect("a plan");
    assert!(matches!(
        plan.steps[..],
        [UndoStep::Delete { user_id: 7, .. }]
    ));
    let mut edited = made;
    edited.status = Some(UserStatus::Disabled);
    assert!(matches!(
        plan_undo(&entry, &[Some(edited)], &refuse()),
        Err(Refusal::ChangedSince { .. })
    ));
}

#[test]
fn a_member_added_is_removed_again() {
    let mut entry = single(Action::AddMember, UserChange::new(Some(4), None));
    entry.detail = Some("8".to_string());
    let plan = plan_undo(&entry, &[None], &refuse()).expect("a plan");
    assert_eq!(
        plan.steps,
        vec![UndoStep::RemoveMember {
            user_id: 4,
            member_id: 8
        }]
    );
}

#[test]
fn values_record_exactly_what_changed() {
    let before = user(5, "neda", "Active", "Viewer");
    let mut after = before.clone();
    after.status = Some(UserStatus::Disabled);
    after.mobile = Some("+98 912".to_string());
    let (old, new) = diff(&before, &after);
    assert_eq!(
        serde_json::to_value(&old).expect("json"),
        json!({"mobile": null, "status": "Active"})
    );
    assert_eq!(
        serde_json::to_value(&new).expect("json"),
        json!({"mobile": "+98 912", "status": "Disabled"})
    );
}

#[test]
fn a_lockdown_of_a_user_already_disabled_has_nothing_to_undo_and_says_why() {
    let mut entry = single(Action::Lockdown, UserChange::new(Some(5), None));
    entry.steps = vec![Step {
        name: "close sessions".to_string(),
        outcome: Outcome::Ok,
    }];
    let now = user(5, "neda", "Disabled", "Viewer");
    match plan_undo(&entry, &[Some(now)], &refuse()) {
        Err(Refusal::Impossible(reason)) => {
            assert!(reason.contains("already Disabled"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_whole_view_lockdown_puts_back_every_status_it_disabled() {
    let mut entry = Entry::new(
        "http://h",
        Tool::Console,
        Action::Lockdown,
        Outcome::Error("1 of 3 writes failed".to_string()),
    );
    let mut disabled = status_change(1, "a", "Active", "Disabled");
    disabled.outcome = Some(Outcome::Ok);
    // Disabled, but a session stayed open: the user failed, yet the status went.
    let mut sessions_left = status_change(2, "b", "Pending", "Disabled");
    sessions_left.outcome = Some(Outcome::Error(
        "not done: close sessions (error: server error (500))".to_string(),
    ));
    // Already Disabled: nothing recorded to put back.
    let mut already = UserChange::new(Some(3), Some("c".to_string()));
    already.outcome = Some(Outcome::Ok);
    entry.changes = vec![disabled, sessions_left, already];
    let now = [
        Some(user(1, "a", "Disabled", "Viewer")),
        Some(user(2, "b", "Disabled", "Viewer")),
        Some(user(3, "c", "Disabled", "Viewer")),
    ];
    let plan = plan_undo(&entry, &now, &refuse()).expect("a plan");
    assert_eq!(
        restored(&plan),
        vec![(1, json!("Active")), (2, json!("Pending"))]
    );
    assert!(
        plan.notes
            .iter()
            .any(|note| note.contains("only the status"))
    );
}
