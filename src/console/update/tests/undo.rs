//! `u` on the main screen undoes the last change this run made, whatever its kind (a quick
//! edit, a create, a delete, a renewal, marked users, a whole view), through the journal's
//! planner: shown first in the journal panel, typed for when it reaches more than a hundred
//! users, and marked once done, so a second `u` says it is already undone, and by whom.

use super::*;
use crate::console::model::UndoAsk;
use geobox_api::User;
use geobox_ops::bulk::Summary;
use geobox_ops::journal::{
    Action, Entry, Field, Outcome, Tool, UndoStep, UserChange, Values, show,
};

fn disabled(id: i64) -> User {
    let mut user = crate::console::fixtures::user(id);
    user.status = Some(UserStatus::Disabled);
    user
}

/// A quick status change of user 5 (Active → Disabled) answered: this run's only change.
fn model_after_a_quick_edit() -> Model {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "jjjjsj");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let Some(Cmd::QuickEdit { request, .. }) = cmds.first() else {
        panic!("an edit: {cmds:?}");
    };
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 5,
            change: QuickChange::Status(UserStatus::Disabled),
            done: Done {
                request: *request,
                took: Default::default(),
                result: Ok(disabled(5)),
            },
        },
    );
    model
}

fn plan_shown(model: &Model) -> &geobox_ops::journal::UndoPlan {
    match &model.mode {
        Mode::Journal(view) => match &view.undo {
            UndoAsk::Ready { plan, .. } => plan,
            other => panic!("no plan shown: {other:?}"),
        },
        other => panic!("not in the journal panel: {other:?}"),
    }
}

/// The undo entry the runner would hand back for `undone`, every write done.
fn undo_of(undone: &Entry) -> Entry {
    let mut undo = Entry::new("", Tool::Console, undone.action.clone(), Outcome::Ok);
    undo.id = "undo000001".to_string();
    undo.undoes = Some(undone.id.clone());
    undo.changes = undone
        .changes
        .iter()
        .map(|change| UserChange {
            outcome: Some(Outcome::Ok),
            ..change.clone()
        })
        .collect();
    undo
}

#[test]
fn u_shows_the_last_change_in_the_journal_and_a_second_u_says_already_undone() {
    let mut model = model_after_a_quick_edit();
    let entry = undo_asked(&mut model, |_| vec![Some(disabled(5))]);
    assert_eq!(entry.action, Action::Update);
    let step = plan_shown(&model).steps[0].to_string();
    assert!(step.contains("status: Disabled → Active"), "{step}");
    let cmds = type_keys(&mut model, "y");
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::ApplyUndo { request, .. } => Some(*request),
            _ => None,
        })
        .expect("y carries it out");
    update(
        &mut model,
        Msg::UndoApplied {
            request,
            entry: Box::new(undo_of(&entry)),
            new_passwords: Vec::new(),
            unreachable: false,
        },
    );
    update(&mut model, key(KeyCode::Esc));
    assert!(matches!(model.mode, Mode::Normal));
    let hints = crate::console::keys::footer_hints(&model, &Keymap::default());
    assert!(
        !hints.contains(&"u undo"),
        "nothing left to undo: {hints:?}"
    );

    // The change is marked undone: u says so, and by what and whom, and asks nothing.
    let cmds = type_keys(&mut model, "u");
    assert!(
        !cmds.iter().any(|cmd| matches!(cmd, Cmd::CheckUndo { .. })),
        "{cmds:?}"
    );
    let banner = model.banner.clone().expect("says so");
    assert!(
        banner.note
            && banner
                .text
                .contains("already undone (by undo000001 (admin)"),
        "{}",
        banner.text
    );
}

#[test]
fn nothing_changed_yet_is_nothing_to_undo() {
    let mut model = loaded_model(160, 45, 50);
    let cmds = type_keys(&mut model, "u");
    assert!(cmds.is_empty());
    assert!(matches!(model.mode, Mode::Normal));
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|banner| banner.note && banner.text.starts_with("Nothing to undo")),
        "{:?}",
        model.banner
    );
}

#[test]
fn u_takes_back_a_whole_view_run() {
    let mut model = loaded_model(80, 24, 500);
    model.filters.status = Some(UserStatus::Pending);
    let cmds = type_keys(&mut model, "sa");
    assert!(cmds.is_empty());
    // Disabled, the last status, one step up from New.
    type_keys(&mut model, "k");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let users: Vec<User> = [2, 6, 10].map(crate::console::fixtures::user).to_vec();
    collected_for(&mut model, &cmds, users.clone());
    let cmds = type_keys(&mut model, "y");
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::RunBulk { request, .. } => Some(*request),
            _ => None,
        })
        .expect("the run starts");
    let changes: Vec<UserChange> = users
        .iter()
        .map(|user| {
            let mut before = Values::default();
            before.0.insert(Field::Status, serde_json::json!("Pending"));
            let mut after = Values::default();
            after.0.insert(Field::Status, serde_json::json!("Disabled"));
            UserChange {
                outcome: Some(Outcome::Ok),
                ..UserChange::new(Some(user.id), Some(user.username.clone())).values(before, after)
            }
        })
        .collect();
    let summary = Summary {
        done: users.clone(),
        changes,
        ..Summary::default()
    };
    update(
        &mut model,
        Msg::BulkFinished {
            request,
            summary: Box::new(summary),
        },
    );
    let entry = undo_asked(&mut model, |entry| {
        entry
            .changes
            .iter()
            .map(|change| Some(disabled(change.user_id.unwrap_or(0))))
            .collect()
    });
    assert_eq!(entry.action, Action::BulkUpdate);
    assert_eq!(plan_shown(&model).users(), 3, "each user of the run");
}

#[test]
fn an_undo_of_more_than_a_hundred_users_takes_their_count_typed() {
    let mut model = loaded_model(160, 45, 500);
    let ids: Vec<i64> = (2..=151).collect();
    let mut entry = Entry::new("", Tool::Console, Action::BulkUpdate, Outcome::Ok);
    entry.id = "bulk000001".to_string();
    entry.changes = ids
        .iter()
        .map(|id| {
            let mut before = Values::default();
            before.0.insert(Field::Status, serde_json::json!("Active"));
            let mut after = Values::default();
            after.0.insert(Field::Status, serde_json::json!("Disabled"));
            UserChange {
                outcome: Some(Outcome::Ok),
                ..UserChange::new(Some(*id), None).values(before, after)
            }
        })
        .collect();
    model.journal.this_run.push(entry);
    undo_asked(&mut model, |entry| {
        entry
            .changes
            .iter()
            .map(|change| Some(disabled(change.user_id.unwrap_or(0))))
            .collect()
    });
    assert_eq!(plan_shown(&model).users(), 150);
    // y is no yes here; ⏎ on a wrong count says so.
    assert!(applied_plan(&type_keys(&mut model, "y")).is_none());
    assert!(applied_plan(&update(&mut model, key(KeyCode::Enter))).is_none());
    assert!(matches!(&model.mode, Mode::Journal(view)
        if matches!(view.undo, UndoAsk::Ready { mismatch: true, .. })));
    update(&mut model, key(KeyCode::Backspace));
    type_keys(&mut model, "150");
    let plan = applied_plan(&update(&mut model, key(KeyCode::Enter))).expect("the count typed");
    assert_eq!(plan.users(), 150);
}

#[test]
fn u_after_a_create_deletes_the_user_and_after_a_delete_creates_them_again() {
    let mut model = loaded_model(160, 45, 50);
    let created = crate::console::fixtures::user(77);
    let request = model.new_request();
    update(
        &mut model,
        Msg::UserSaved {
            created: true,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(created.clone()),
            },
        },
    );
    undo_asked(&mut model, |_| vec![Some(created.clone())]);
    assert!(
        matches!(
            &plan_shown(&model).steps[..],
            [UndoStep::Delete { user_id: 77, .. }]
        ),
        "{:?}",
        plan_shown(&model).steps
    );

    let mut model = loaded_model(160, 45, 50);
    let request = model.new_request();
    update(
        &mut model,
        Msg::UserDeleted {
            user_id: 4,
            username: "neda.rezaei4".to_string(),
            done: Done {
                request,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    undo_asked(&mut model, |_| vec![None]);
    let [UndoStep::Create { fields }] = &plan_shown(&model).steps[..] else {
        panic!("{:?}", plan_shown(&model).steps);
    };
    assert_eq!(
        fields.get(Field::Username).map(show).as_deref(),
        Some("neda.rezaei4")
    );
}

#[test]
fn u_after_a_renewal_puts_the_old_expiration_back() {
    let mut model = loaded_model(160, 45, 50);
    let mut before = Values::default();
    before
        .0
        .insert(Field::ExpirationDate, serde_json::json!("2026-12-11"));
    let mut after = Values::default();
    after
        .0
        .insert(Field::ExpirationDate, serde_json::json!("2027-01-10"));
    let written = UserChange::new(Some(2), Some("reza.moradi2".to_string())).values(before, after);
    let request = model.new_request();
    update(
        &mut model,
        Msg::PlanRenewed {
            user_id: 2,
            username: "reza.moradi2".to_string(),
            written,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    let mut renewed = crate::console::fixtures::user(2);
    renewed.expiration_date = Some("2027-01-10".to_string());
    undo_asked(&mut model, |_| vec![Some(renewed.clone())]);
    let step = plan_shown(&model).steps[0].to_string();
    assert!(
        step.contains("expiration_date: 2027-01-10 → 2026-12-11"),
        "{step}"
    );
}
