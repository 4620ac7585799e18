//! The edit and create forms.

use super::*;
use crate::console::form::{Field, same_editable_fields};

fn form(model: &Model) -> &crate::console::form::UserForm {
    match &model.mode {
        Mode::Form(form) => form,
        other => panic!("a form is open, not {other:?}"),
    }
}

fn clear_field(model: &mut Model) {
    update(model, ctrl('u'));
}

#[test]
fn the_edit_form_checks_as_typed_and_sends_only_what_changed() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    let cmds = type_keys(&mut model, "j"); // user 2 has a mobile
    drop(cmds);
    assert!(
        type_keys(&mut model, "e").is_empty(),
        "plans are loaded already"
    );
    assert_eq!(form(&model).value(Field::Email), "reza.moradi2@example.ir");

    update(&mut model, key(KeyCode::Tab));
    clear_field(&mut model);
    type_keys(&mut model, "reza@");
    assert!(
        form(&model)
            .errors
            .get(&Field::Email)
            .is_some_and(|e| e.contains("not an email"))
    );
    // Saving with an invalid field sends nothing and focuses it.
    update(&mut model, key(KeyCode::Tab));
    assert!(update(&mut model, ctrl('s')).is_empty());
    assert_eq!(form(&model).focused(), Field::Email);
    type_keys(&mut model, "geobox.ir");
    assert!(form(&model).errors.is_empty());

    // Clear the mobile: it must go as null.
    for _ in 0..3 {
        update(&mut model, key(KeyCode::Tab));
    }
    assert_eq!(form(&model).focused(), Field::Mobile);
    clear_field(&mut model);
    let changes = form(&model).changes();
    assert_eq!(changes.len(), 2, "{changes:?}");

    let cmds = update(&mut model, ctrl('s'));
    match cmds.as_slice() {
        [
            Cmd::ReadBeforeSave {
                user_id: 2,
                request,
            },
        ] => {
            let request = *request;
            let unchanged = form(&model).original.clone().expect("an edit form");
            let cmds = update(&mut model, read_before_save(request, unchanged));
            match cmds.as_slice() {
                [
                    Cmd::SaveUser {
                        user_id: 2, update, ..
                    },
                ] => assert_eq!(
                    serde_json::Value::Object(update.to_json()),
                    serde_json::json!({"email": "reza@geobox.ir", "mobile": null})
                ),
                other => panic!("the save after the read, got {other:?}"),
            }
        }
        other => panic!("a read before the save expected, got {other:?}"),
    }
    assert!(form(&model).saving.is_some());
}

#[test]
fn a_422_lands_on_its_field_and_a_failed_save_keeps_the_form() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    type_keys(&mut model, "e");
    update(&mut model, key(KeyCode::Tab));
    clear_field(&mut model);
    type_keys(&mut model, "taken@example.ir");
    let cmds = update(&mut model, ctrl('s'));
    let Some(Cmd::ReadBeforeSave { request, .. }) = cmds.first() else {
        panic!("a save");
    };
    let request = *request;
    update(
        &mut model,
        Msg::UserSaved {
            created: false,
            done: Done {
                request,
                took: Default::default(),
                result: Err(ApiError::Validation {
                    errors: vec![geobox_api::FieldError {
                        field: Some("email".into()),
                        message: "already used by ali.rezaei".into(),
                    }],
                }),
            },
        },
    );
    let open = form(&model);
    assert_eq!(
        open.value(Field::Email),
        "taken@example.ir",
        "what was typed stays"
    );
    assert!(
        open.errors
            .get(&Field::Email)
            .is_some_and(|e| e.contains("already used"))
    );
    assert_eq!(open.focused(), Field::Email);
    assert!(open.saving.is_none());

    // A failure that names no field shows in the form, which stays.
    let cmds = update(&mut model, ctrl('s'));
    let Some(Cmd::ReadBeforeSave { request, .. }) = cmds.first() else {
        panic!("a second save");
    };
    let request = *request;
    update(
        &mut model,
        Msg::UserSaved {
            created: false,
            done: Done {
                request,
                took: Default::default(),
                result: Err(ApiError::Server {
                    status: 500,
                    message: "boom".into(),
                }),
            },
        },
    );
    assert!(
        form(&model)
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("500"))
    );
    assert_eq!(form(&model).value(Field::Email), "taken@example.ir");
}

#[test]
fn esc_on_a_changed_form_asks_and_cancel_sends_nothing() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    type_keys(&mut model, "e");
    assert!(update(&mut model, key(KeyCode::Esc)).is_empty());
    assert!(
        matches!(model.mode, Mode::Normal),
        "unchanged: closes at once"
    );

    type_keys(&mut model, "e");
    type_keys(&mut model, "x");
    assert!(update(&mut model, key(KeyCode::Esc)).is_empty());
    assert!(form(&model).asking_discard);
    update(&mut model, key(KeyCode::Char('n')));
    assert!(!form(&model).asking_discard, "n keeps editing");
    assert_eq!(form(&model).value(Field::Username), "ali.moradi1x");
    update(&mut model, key(KeyCode::Esc));
    let cmds = type_keys(&mut model, "y");
    assert!(cmds.is_empty());
    assert!(matches!(model.mode, Mode::Normal));
}

#[test]
fn a_save_held_back_by_a_newer_server_copy_keeps_the_typing() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    type_keys(&mut model, "e");
    for _ in 0..2 {
        update(&mut model, key(KeyCode::Tab));
    }
    type_keys(&mut model, "a");
    let cmds = update(&mut model, ctrl('s'));
    let Some(Cmd::ReadBeforeSave { request, .. }) = cmds.first() else {
        panic!("a save");
    };
    let mut newer = crate::console::fixtures::user(1);
    newer.email = Some("changed@elsewhere.ir".into());
    let cmds = update(&mut model, read_before_save(*request, newer));
    assert!(
        cmds.is_empty(),
        "nothing saved over the newer copy: {cmds:?}"
    );
    let open = form(&model);
    assert!(
        open.failure
            .as_deref()
            .is_some_and(|f| f.contains("Changed on the server"))
    );
    assert_eq!(open.value(Field::FirstName), "Alia");
    let cmds = update(&mut model, ctrl('s'));
    match cmds.as_slice() {
        [Cmd::ReadBeforeSave { .. }] => {
            let original = form(&model).original.clone().expect("an edit form");
            assert_eq!(original.email.as_deref(), Some("changed@elsewhere.ir"));
        }
        other => panic!("a second save against the newer copy, got {other:?}"),
    }
}

#[test]
fn the_create_form_needs_the_password_twice_and_selects_the_new_user() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "n");
    assert!(form(&model).is_create());
    type_keys(&mut model, "new.user");
    update(&mut model, key(KeyCode::Tab));
    type_keys(&mut model, "new.user@example.ir");
    for _ in 0..6 {
        update(&mut model, key(KeyCode::Tab));
    }
    assert_eq!(form(&model).focused(), Field::Password);
    type_keys(&mut model, "Long-enough-1");
    update(&mut model, key(KeyCode::Tab));
    type_keys(&mut model, "Long-enough-2");
    assert!(update(&mut model, ctrl('s')).is_empty());
    assert_eq!(form(&model).focused(), Field::PasswordAgain);
    assert!(
        !format!("{model:?}").contains("Long-enough"),
        "Debug hides passwords"
    );
    update(&mut model, key(KeyCode::Backspace));
    type_keys(&mut model, "1");
    let cmds = update(&mut model, ctrl('s'));
    let request = match cmds.as_slice() {
        [Cmd::CreateUser { request, new_user }] => {
            assert_eq!(new_user.username, "new.user");
            assert_eq!(new_user.password.expose(), "Long-enough-1");
            assert_eq!(new_user.status, UserStatus::Active);
            *request
        }
        other => panic!("one create expected, got {other:?}"),
    };
    let mut created = crate::console::fixtures::user(51);
    created.username = "new.user".into();
    let cmds = update(
        &mut model,
        Msg::UserSaved {
            created: true,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(created),
            },
        },
    );
    assert!(matches!(model.mode, Mode::Normal));
    assert_eq!(model.pending_select, Some(51));
    settle(&mut model, &FakeServer::new(51), cmds);
    assert_eq!(model.users.selected_user().map(|user| user.id), Some(51));
}

#[test]
fn the_form_offers_system_admin_only_to_system_admins() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    if let LoadState::Loaded(me) = &mut model.me.state {
        me.role = Some(UserRole::AccountAdmin);
    }
    type_keys(&mut model, "e");
    for _ in 0..5 {
        update(&mut model, key(KeyCode::Tab));
    }
    assert_eq!(form(&model).focused(), Field::Role);
    let mut seen = Vec::new();
    for _ in 0..6 {
        update(&mut model, key(KeyCode::Right));
        seen.extend(form(&model).role.clone());
    }
    assert!(!seen.contains(&UserRole::SystemAdmin), "{seen:?}");
    assert!(seen.contains(&UserRole::AccountAdmin));
}

#[test]
fn only_the_fields_the_form_edits_make_a_copy_stale() {
    let read = crate::console::fixtures::user(7);
    let mut again = read.clone();
    again
        .extra
        .insert("last_login".into(), serde_json::json!("2026-11-30"));
    assert!(same_editable_fields(&read, &again));
    again.email = Some("moved@example.ir".into());
    assert!(!same_editable_fields(&read, &again));
    let mut plan_dropped = read.clone();
    plan_dropped.plan = None;
    assert!(read.plan.is_some(), "the fixture user has a plan");
    assert!(!same_editable_fields(&read, &plan_dropped));
}

/// The server's copy of a user, read just before the save `request`.
fn read_before_save(request: crate::console::msg::RequestId, user: geobox_api::User) -> Msg {
    Msg::ReadBeforeSave(Done {
        request,
        took: Default::default(),
        result: Ok(user),
    })
}
