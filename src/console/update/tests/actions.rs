//! Pickers, confirmations and their results.

use super::*;
use geobox_ops::journal::{Action, Entry, Field, UserChange, Values};

#[test]
fn the_status_picker_changes_the_row_only_when_the_server_confirms() {
    let mut model = loaded_model(160, 45, 50);
    // User 5 is Active (user 1, selected first, is the signed-in admin: see the self tests).
    type_keys(&mut model, "jjjj");
    assert!(type_keys(&mut model, "s").is_empty());
    let Mode::Picker(picker) = &model.mode else {
        panic!("s opens the status picker");
    };
    assert_eq!(
        picker.current,
        Some(QuickChange::Status(UserStatus::Active))
    );
    assert!(type_keys(&mut model, "j").is_empty());
    let cmds = update(&mut model, key(KeyCode::Enter));
    let request = match cmds.as_slice() {
        [
            Cmd::QuickEdit {
                request,
                user_id: 5,
                change: QuickChange::Status(UserStatus::Disabled),
            },
        ] => *request,
        other => panic!("one edit expected, got {other:?}"),
    };
    assert!(model.users.in_flight_edits.contains(&5));
    assert_eq!(
        model.users.selected_user().and_then(|u| u.status.clone()),
        Some(UserStatus::Active)
    );

    // Failure: the row stays as it was and the banner says why.
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 5,
            change: QuickChange::Status(UserStatus::Disabled),
            done: Done {
                request,
                took: Default::default(),
                result: Err(ApiError::Forbidden {
                    message: "nope".into(),
                }),
            },
        },
    );
    assert!(!model.users.in_flight_edits.contains(&5));
    assert_eq!(
        model.users.selected_user().and_then(|u| u.status.clone()),
        Some(UserStatus::Active)
    );
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|b| b.error && b.text.contains("status Disabled"))
    );

    // Success: the server's user replaces the row.
    let mut changed = crate::console::fixtures::user(5);
    changed.status = Some(UserStatus::Disabled);
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 5,
            change: QuickChange::Status(UserStatus::Disabled),
            done: Done {
                request: RequestId(999),
                took: Default::default(),
                result: Ok(changed),
            },
        },
    );
    assert_eq!(
        model.users.selected_user().and_then(|u| u.status.clone()),
        Some(UserStatus::Disabled)
    );
}

#[test]
fn the_role_picker_offers_system_admin_only_to_system_admins() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "r");
    let Mode::Picker(picker) = &model.mode else {
        panic!("r opens the role picker");
    };
    assert!(
        picker
            .choices
            .contains(&QuickChange::Role(UserRole::SystemAdmin))
    );
    type_keys(&mut model, "q");
    if let LoadState::Loaded(me) = &mut model.me.state {
        me.role = Some(UserRole::AccountAdmin);
    }
    type_keys(&mut model, "r");
    let Mode::Picker(picker) = &model.mode else {
        panic!("r opens the role picker");
    };
    assert!(
        !picker
            .choices
            .contains(&QuickChange::Role(UserRole::SystemAdmin))
    );
    // Esc sends nothing.
    assert!(update(&mut model, key(KeyCode::Esc)).is_empty());
}

#[test]
fn marked_users_change_together_after_one_confirmation() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "   ");
    assert_eq!(model.users.marked.len(), 3);
    type_keys(&mut model, "s");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(cmds.is_empty(), "several users: a confirmation first");
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::BulkChange { .. })));
    let cmds = type_keys(&mut model, "y");
    assert_eq!(
        cmds.iter()
            .filter(|cmd| matches!(cmd, Cmd::QuickEdit { .. }))
            .count(),
        3
    );
    assert_eq!(
        model.progress.as_ref().map(|p| (p.done, p.total)),
        Some((0, 3))
    );
}

#[test]
fn delete_needs_the_username_typed_and_selects_a_neighbour() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "jj");
    let victim = model.users.selected_user().cloned().expect("a user");
    type_keys(&mut model, "D");
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::Delete { .. })));
    type_keys(&mut model, "wrong");
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty());
    for _ in 0..5 {
        update(&mut model, key(KeyCode::Backspace));
    }
    type_keys(&mut model, &victim.username);
    let cmds = update(&mut model, key(KeyCode::Enter));
    let request = match cmds.as_slice() {
        [
            Cmd::DeleteUser {
                request, user_id, ..
            },
        ] if *user_id == victim.id => *request,
        other => panic!("one delete expected, got {other:?}"),
    };
    update(
        &mut model,
        Msg::UserDeleted {
            user_id: victim.id,
            username: victim.username.clone(),
            done: Done {
                request,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    assert_eq!(model.users.total, Some(49));
    assert!(model.users.find(victim.id).is_none());
    assert_eq!(model.users.selected, 2);
    assert_eq!(
        model.users.selected_user().map(|u| u.id),
        Some(victim.id + 1)
    );
}

#[test]
fn password_dialog_checks_both_fields_and_never_shows_the_password() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "p");
    assert!(matches!(model.mode, Mode::Password(_)));
    type_keys(&mut model, "S3cret!pass");
    update(&mut model, key(KeyCode::Tab));
    type_keys(&mut model, "S3cret!pas");
    assert!(update(&mut model, key(KeyCode::Enter)).is_empty());
    let Mode::Password(dialog) = &model.mode else {
        panic!("stays open on a mismatch");
    };
    assert_eq!(dialog.error.as_deref(), Some("the two passwords differ"));
    assert!(!format!("{model:?}").contains("S3cret"), "Debug hides it");
    type_keys(&mut model, "s");
    let cmds = update(&mut model, key(KeyCode::Enter));
    match cmds.as_slice() {
        [
            Cmd::ChangePassword {
                password,
                user_id: 1,
                ..
            },
        ] => {
            assert_eq!(password.expose(), "S3cret!pass");
        }
        other => panic!("one change expected, got {} commands", other.len()),
    }
    assert!(!format!("{cmds:?}").contains("S3cret"));
    assert!(
        matches!(model.mode, Mode::Normal),
        "the typed password is gone"
    );
}

#[test]
fn renew_plan_says_the_new_expiration_and_reads_the_user_again() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "j"); // user 2: Pro, expires 2026-12-11
    type_keys(&mut model, "P");
    let Mode::Confirm(confirm) = &model.mode else {
        panic!("P asks first");
    };
    let Confirm::RenewPlan {
        new_expiration,
        plan,
        ..
    } = &**confirm
    else {
        panic!("a renew confirmation");
    };
    assert_eq!(plan.as_deref(), Some("Pro"));
    assert_eq!(new_expiration.as_deref(), Some("2027-01-10"));
    let cmds = type_keys(&mut model, "y");
    let request = match cmds.as_slice() {
        [
            Cmd::RenewPlan {
                request,
                user_id: 2,
                ..
            },
        ] => *request,
        other => panic!("one renew expected, got {other:?}"),
    };
    let cmds = update(
        &mut model,
        Msg::PlanRenewed {
            user_id: 2,
            username: "x".into(),
            written: renewal_recorded(2, "2026-12-11", "2027-01-10"),
            done: Done {
                request,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    assert!(
        cmds.iter()
            .any(|cmd| matches!(cmd, Cmd::ReloadUser { user_id: 2, .. }))
    );
    let journaled: Vec<&Entry> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::AppendJournal { entry } => Some(&**entry),
            _ => None,
        })
        .collect();
    let [entry] = journaled[..] else {
        panic!("the renewal is journaled: {cmds:?}");
    };
    assert_eq!(entry.action, Action::RenewPlan);
    assert_eq!(
        entry.changes[0],
        renewal_recorded(2, "2026-12-11", "2027-01-10"),
        "the expiration before and after, for the undo"
    );
}

fn renewal_recorded(user_id: i64, before: &str, after: &str) -> UserChange {
    let date = |day: &str| {
        Values(
            [(Field::ExpirationDate, serde_json::json!(day))]
                .into_iter()
                .collect(),
        )
    };
    UserChange::new(Some(user_id), Some("x".to_string())).values(date(before), date(after))
}

#[test]
fn read_only_mode_turns_every_action_off() {
    let mut model = loaded_model(160, 45, 50);
    model.read_only = true;
    for keys in ["s", "r", "D", "p", "P", " "] {
        assert!(type_keys(&mut model, keys).is_empty());
        assert!(matches!(model.mode, Mode::Normal), "{keys} does nothing");
    }
    assert!(model.users.marked.is_empty());
    model.focus = Focus::Sessions;
    type_keys(&mut model, "xX");
    assert!(matches!(model.mode, Mode::Normal));
    let hints = keys::footer_hints(&model, &Keymap::default());
    assert!(!hints.iter().any(|hint| hint.contains("revoke")));
}
