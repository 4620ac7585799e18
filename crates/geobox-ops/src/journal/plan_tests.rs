//! The planner on what the journal records: creations, renewals, undone entries, users
//! changed since, and the signed-in admin.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::undo_tests::user;
use super::*;
use crate::safety::SignedIn;
use geobox_api::{User, UserRole};

fn with(mut user: User, expiry: &str) -> User {
    user.expiration_date = Some(expiry.to_string());
    user
}

fn values(field: Field, value: &str) -> Values {
    Values([(field, json!(value))].into_iter().collect())
}

fn created(made: &User) -> UserChange {
    let mut change = UserChange::new(Some(made.id), Some(made.username.clone()))
        .values(Values::default(), Values::of_user(made));
    change.outcome = Some(Outcome::Ok);
    change
}

fn options(if_changed: IfChanged, me: Option<&SignedIn>) -> UndoOptions<'_> {
    UndoOptions { if_changed, me }
}

fn undone(whole: bool) -> Undone {
    Undone {
        entry: "undo000001".to_string(),
        time: Utc
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .single()
            .expect("a time"),
        by: Some("admin".to_string()),
        whole,
    }
}

#[test]
fn an_import_undo_deletes_the_users_it_created_and_restores_the_ones_it_updated() {
    let made = [
        user(11, "new.a", "Active", "Viewer"),
        user(12, "new.b", "Pending", "Editor"),
    ];
    let mut updated = UserChange::new(Some(5), Some("old.c".to_string())).values(
        values(Field::Status, "Active"),
        values(Field::Status, "Disabled"),
    );
    updated.outcome = Some(Outcome::Ok);
    let mut entry = Entry::new("http://h", Tool::Cli, Action::Import, Outcome::Ok);
    entry.changes = vec![created(&made[0]), created(&made[1]), updated];
    let now = [
        Some(made[0].clone()),
        Some(made[1].clone()),
        Some(user(5, "old.c", "Disabled", "Viewer")),
    ];
    let plan = plan_undo(&entry, &now, &UndoOptions::default()).expect("a plan");
    assert_eq!(
        plan.steps,
        vec![
            UndoStep::Delete {
                user_id: 11,
                username: Some("new.a".to_string())
            },
            UndoStep::Delete {
                user_id: 12,
                username: Some("new.b".to_string())
            },
            UndoStep::Update {
                user_id: 5,
                username: Some("old.c".to_string()),
                changes: vec![FieldChange {
                    field: Field::Status,
                    from: json!("Disabled"),
                    to: json!("Active"),
                }],
            },
        ],
        "the created users are deleted, never blanked"
    );
    assert!(
        plan.notes
            .iter()
            .any(|note| note.contains("deletes the user"))
    );
}

#[test]
fn a_created_user_who_is_gone_already_is_no_obstacle() {
    let made = user(11, "new.a", "Active", "Viewer");
    let mut entry = Entry::new("http://h", Tool::Cli, Action::Import, Outcome::Ok);
    entry.changes = vec![
        created(&made),
        created(&user(12, "new.b", "Active", "Viewer")),
    ];
    let plan = plan_undo(&entry, &[Some(made), None], &UndoOptions::default()).expect("a plan");
    assert_eq!(plan.steps.len(), 1);
}

#[test]
fn a_renewal_undo_puts_the_old_expiration_date_back() {
    let change = UserChange::new(Some(5), Some("neda".to_string())).values(
        values(Field::ExpirationDate, "2026-03-01"),
        values(Field::ExpirationDate, "2026-03-31"),
    );
    let mut entry = Entry::new("http://h", Tool::Cli, Action::RenewPlan, Outcome::Ok);
    entry.changes = vec![change];
    let now = with(user(5, "neda", "Active", "Viewer"), "2026-03-31T00:00:00Z");
    let plan = plan_undo(&entry, &[Some(now)], &UndoOptions::default()).expect("a plan");
    assert_eq!(
        plan.steps[0].to_string(),
        "update neda (5):\n  expiration_date: 2026-03-31 → 2026-03-01"
    );
}

#[test]
fn an_entry_undone_whole_says_so_and_by_whom_instead_of_changed_since() {
    let change = UserChange::new(Some(5), Some("neda".to_string())).values(
        values(Field::Status, "Active"),
        values(Field::Status, "Disabled"),
    );
    let mut entry = Entry::new("http://h", Tool::Cli, Action::Update, Outcome::Ok);
    entry.changes = vec![change];
    entry.undone = Some(undone(true));
    let back = user(5, "neda", "Active", "Viewer");
    for if_changed in [IfChanged::Refuse, IfChanged::Skip, IfChanged::Overwrite] {
        let refusal = plan_undo(&entry, &[Some(back.clone())], &options(if_changed, None))
            .expect_err("undone already");
        assert_eq!(
            refusal.to_string(),
            "already undone (by undo000001 (admin) at 2026-12-01 10:00:00 UTC)"
        );
    }
}

#[test]
fn a_partly_undone_entry_undoes_the_rest_and_leaves_those_back_alone() {
    let status = |id: i64, name: &str| {
        let mut change = UserChange::new(Some(id), Some(name.to_string())).values(
            values(Field::Status, "Active"),
            values(Field::Status, "Disabled"),
        );
        change.outcome = Some(Outcome::Ok);
        change
    };
    let mut entry = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
    entry.changes = vec![status(1, "a"), status(2, "b")];
    entry.undone = Some(undone(false));
    let now = [
        Some(user(1, "a", "Active", "Viewer")),
        Some(user(2, "b", "Disabled", "Viewer")),
    ];
    let plan = plan_undo(&entry, &now, &UndoOptions::default()).expect("the rest");
    assert!(matches!(
        &plan.steps[..],
        [UndoStep::Update { user_id: 2, .. }]
    ));
    assert!(
        plan.notes
            .iter()
            .any(|note| note.contains("1 user is back already")),
        "{:?}",
        plan.notes
    );
    let all_back = [
        Some(user(1, "a", "Active", "Viewer")),
        Some(user(2, "b", "Active", "Viewer")),
    ];
    assert!(matches!(
        plan_undo(&entry, &all_back, &UndoOptions::default()),
        Err(Refusal::AlreadyUndone(_))
    ));
}

#[test]
fn skip_changed_undoes_the_others_and_lists_who_was_skipped() {
    let mut entry = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
    entry.changes = (1..=3)
        .map(|id| {
            let mut change = UserChange::new(Some(id), Some(format!("u{id}")))
                .values(values(Field::Role, "Editor"), values(Field::Role, "Viewer"));
            change.outcome = Some(Outcome::Ok);
            change
        })
        .collect();
    let now = [
        Some(user(1, "u1", "Active", "Viewer")),
        Some(user(2, "u2", "Active", "Publisher")),
        None,
    ];
    assert!(matches!(
        plan_undo(&entry, &now, &UndoOptions::default()),
        Err(Refusal::ChangedSince { .. })
    ));
    let plan = plan_undo(&entry, &now, &options(IfChanged::Skip, None)).expect("the others");
    assert!(matches!(
        &plan.steps[..],
        [UndoStep::Update { user_id: 1, .. }]
    ));
    assert_eq!(
        plan.skipped.lines(),
        vec![
            "u2 (2) role: the entry set Viewer, it is now Publisher".to_string(),
            "u3 (3) no longer exists".to_string(),
        ]
    );
    let forced = plan_undo(&entry, &now, &options(IfChanged::Overwrite, None)).expect("all");
    let to: Vec<(i64, Value)> = forced
        .steps
        .iter()
        .map(|step| match step {
            UndoStep::Update {
                user_id, changes, ..
            } => (*user_id, changes[0].to.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(to, vec![(1, json!("Editor")), (2, json!("Editor"))]);
    assert!(forced.skipped.is_empty(), "--force overwrites instead");
}

#[test]
fn skipping_every_user_refuses_with_what_changed() {
    let mut change = UserChange::new(Some(2), Some("u2".to_string()))
        .values(values(Field::Role, "Editor"), values(Field::Role, "Viewer"));
    change.outcome = Some(Outcome::Ok);
    let mut entry = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
    entry.changes = vec![change];
    let now = [Some(user(2, "u2", "Active", "Publisher"))];
    let refusal =
        plan_undo(&entry, &now, &options(IfChanged::Skip, None)).expect_err("nothing left");
    assert!(
        refusal.to_string().contains("it is now Publisher"),
        "{refusal}"
    );
}

#[test]
fn a_user_put_back_by_someone_else_is_no_change_since() {
    let mut change = UserChange::new(Some(5), Some("neda".to_string())).values(
        Values(
            [
                (Field::Status, json!("Active")),
                (Field::Role, json!("Editor")),
            ]
            .into_iter()
            .collect(),
        ),
        Values(
            [
                (Field::Status, json!("Disabled")),
                (Field::Role, json!("Viewer")),
            ]
            .into_iter()
            .collect(),
        ),
    );
    change.outcome = Some(Outcome::Ok);
    let mut entry = Entry::new("http://h", Tool::Cli, Action::Update, Outcome::Ok);
    entry.changes = vec![change];
    // The status went back by hand; the role is still as the entry left it.
    let now = user(5, "neda", "Active", "Viewer");
    let plan = plan_undo(&entry, &[Some(now)], &UndoOptions::default()).expect("a plan");
    assert_eq!(
        plan.steps[0].to_string(),
        "update neda (5):\n  role: Viewer → Editor"
    );
}

#[test]
fn an_undo_never_disables_or_demotes_the_signed_in_admin() {
    let me = SignedIn {
        id: 1,
        username: "admin".to_string(),
        role: UserRole::SystemAdmin,
    };
    let mut entry = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
    entry.changes = [(1, "admin"), (2, "sara")]
        .into_iter()
        .map(|(id, name)| {
            let mut change = UserChange::new(Some(id), Some(name.to_string())).values(
                values(Field::Status, "Disabled"),
                values(Field::Status, "Active"),
            );
            change.outcome = Some(Outcome::Ok);
            change
        })
        .collect();
    let now = [
        Some(user(1, "admin", "Active", "System Admin")),
        Some(user(2, "sara", "Active", "Viewer")),
    ];
    let plan = plan_undo(&entry, &now, &options(IfChanged::Refuse, Some(&me))).expect("a plan");
    assert!(matches!(
        &plan.steps[..],
        [UndoStep::Update { user_id: 2, .. }]
    ));
    let left_out = plan.left_out.as_ref().expect("the admin is left out");
    assert_eq!(
        left_out.note(),
        "admin (1) (you) is left out: the undo would disable you"
    );

    entry.changes.truncate(1);
    let refusal = plan_undo(&entry, &now[..1], &options(IfChanged::Overwrite, Some(&me)))
        .expect_err("only the admin");
    assert!(
        refusal.to_string().contains("could not sign in again"),
        "{refusal}"
    );
}

#[test]
fn an_undo_that_grants_admin_rights_warns() {
    let mut change = UserChange::new(Some(4), Some("viewer.one".to_string())).values(
        values(Field::Role, "System Admin"),
        values(Field::Role, "Viewer"),
    );
    change.outcome = Some(Outcome::Ok);
    let mut entry = Entry::new("http://h", Tool::Cli, Action::Update, Outcome::Ok);
    entry.changes = vec![change];
    let now = user(4, "viewer.one", "Active", "Viewer");
    let plan = plan_undo(&entry, &[Some(now)], &UndoOptions::default()).expect("a plan");
    let warnings = plan.admin_grants();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("⚠ viewer.one (4) will be System Admin"),
        "{warnings:?}"
    );
}

#[test]
fn a_long_plan_is_previewed_in_a_screenful() {
    let plan = UndoPlan {
        steps: (1..=500)
            .map(|id| UndoStep::Delete {
                user_id: id,
                username: None,
            })
            .collect(),
        ..UndoPlan::default()
    };
    let preview = plan.preview(20);
    assert_eq!(preview.lines().count(), 21);
    assert!(preview.ends_with("… and 480 more users\n"), "{preview}");
}

#[tokio::test]
async fn the_undo_entry_records_each_users_outcome_and_who_was_skipped() {
    let plan = UndoPlan {
        skipped: ChangedUsers {
            drifts: Vec::new(),
            gone: vec![(9, Some("gone.one".to_string()))],
        },
        ..UndoPlan::default()
    };
    let client = crate::testing::client_of_a_gone_server();
    let applied = apply_undo(&client, &plan).await;
    let undone = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
    let entry = applied.into_entry(&undone, "http://h", Tool::Cli);
    assert_eq!(entry.skipped.len(), 1);
    let (target, record) = entry.undid().expect("an undo that went through");
    assert_eq!(target, undone.id);
    assert!(!record.whole, "a user was skipped, so only part went back");
}
