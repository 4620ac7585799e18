//! The signed-in admin never locks themselves out without being told what it costs, and admin
//! rights are never granted without a `⚠`, on every path: a single `s`/`r`, marked users, the
//! whole view, the edit and create forms, and lockdown. In the fixtures the signed-in admin is
//! user 1, the first row.

use super::*;
use crate::console::form::Field;
use crate::console::model::{AfterSelfHarm, BulkStage};
use geobox_api::User;
use geobox_ops::bulk::Change;
use geobox_ops::safety::SelfHarm;

fn confirmation(model: &Model) -> &Confirm {
    match &model.mode {
        Mode::Confirm(confirm) => confirm,
        other => panic!("no confirmation: {other:?}"),
    }
}

/// The status picker on the selected user, moved `steps` down, then ⏎.
fn pick_status(model: &mut Model, steps: &str) -> Vec<Cmd> {
    type_keys(model, "s");
    type_keys(model, steps);
    update(model, key(KeyCode::Enter))
}

#[test]
fn disabling_oneself_takes_the_typed_username_after_the_consequence() {
    let mut model = loaded_model(160, 45, 50);
    // User 1 (the admin) is Active: one step down is Disabled.
    let cmds = pick_status(&mut model, "j");
    assert!(edits(&cmds).is_empty(), "nothing sent: {cmds:?}");
    let Confirm::SelfHarm { harm, then, .. } = confirmation(&model) else {
        panic!("not the self-harm confirmation: {:?}", model.mode);
    };
    assert_eq!(*harm, SelfHarm::Disable);
    assert!(matches!(then, AfterSelfHarm::Quick { target, .. } if target.id == 1));

    // y is a letter of the name here, not a yes; a wrong name says so.
    type_keys(&mut model, "y");
    assert!(edits(&update(&mut model, key(KeyCode::Enter))).is_empty());
    assert!(matches!(
        confirmation(&model),
        Confirm::SelfHarm { mismatch: true, .. }
    ));
    update(&mut model, ctrl('u'));
    type_keys(&mut model, "admin");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert_eq!(
        edits(&cmds),
        [(1, QuickChange::Status(UserStatus::Disabled))],
        "the admin's own username typed: it goes ahead"
    );
}

#[test]
fn demoting_oneself_asks_the_same_way_and_esc_keeps_everything() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "r");
    // The role picker starts on the current role; Viewer is the last choice.
    type_keys(&mut model, "k");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(edits(&cmds).is_empty());
    assert!(matches!(
        confirmation(&model),
        Confirm::SelfHarm {
            harm: SelfHarm::Demote { .. },
            ..
        }
    ));
    assert!(update(&mut model, key(KeyCode::Esc)).is_empty());
    assert!(matches!(model.mode, Mode::Normal));
}

#[test]
fn any_other_change_to_oneself_asks_with_a_warning() {
    let mut model = loaded_model(160, 45, 50);
    // Active → Pending: no harm by the rules, but still one's own account.
    let cmds = pick_status(&mut model, "k");
    assert!(edits(&cmds).is_empty());
    let Confirm::BulkChange { warnings, .. } = confirmation(&model) else {
        panic!("not a confirmation with a warning: {:?}", model.mode);
    };
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("the account you are signed in with")),
        "{warnings:?}"
    );
    let cmds = type_keys(&mut model, "y");
    assert_eq!(
        edits(&cmds),
        [(1, QuickChange::Status(UserStatus::Pending))]
    );
}

#[test]
fn marked_users_leave_the_admin_out_of_a_disable_and_say_so() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "   ");
    type_keys(&mut model, "s");
    // With several marked the picker starts on New; Disabled is the last choice.
    type_keys(&mut model, "k");
    update(&mut model, key(KeyCode::Enter));
    let Confirm::BulkChange { targets, notes, .. } = confirmation(&model) else {
        panic!("no confirmation: {:?}", model.mode);
    };
    let ids: Vec<i64> = targets.iter().map(|target| target.id).collect();
    // User 3 is Disabled already: left alone too, and counted as such.
    assert_eq!(ids, [2]);
    assert!(
        notes.contains(&"ali.moradi1 (you) is left out: the change would disable you".into()),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|note| note.starts_with("1 user already status Disabled"))
    );
    let cmds = type_keys(&mut model, "y");
    assert_eq!(
        edits(&cmds),
        [(2, QuickChange::Status(UserStatus::Disabled))]
    );
}

#[test]
fn the_whole_view_leaves_the_admin_out_of_a_demotion() {
    let mut model = loaded_model(80, 24, 500);
    model.filters.status = Some(UserStatus::Active);
    let cmds = type_keys(&mut model, "ra");
    assert!(cmds.is_empty(), "a value first");
    // The role choice starts on Viewer.
    let cmds = update(&mut model, key(KeyCode::Enter));
    let me: User = crate::console::fixtures::admin();
    collected_for(
        &mut model,
        &cmds,
        vec![me, crate::console::fixtures::user(2)],
    );
    let Mode::BulkQuery(query) = &model.mode else {
        panic!("no confirmation: {:?}", model.mode);
    };
    let BulkStage::Confirm { targets, notes, .. } = &query.stage else {
        panic!("no confirmation: {:?}", query.stage);
    };
    let ids: Vec<i64> = targets.to_change.iter().map(|user| user.id).collect();
    assert_eq!(ids, [2]);
    assert!(
        notes.contains(&"admin (you) is left out: the change would make you a Viewer".into()),
        "{notes:?}"
    );
}

#[test]
fn the_whole_view_warns_of_admin_rights_for_those_who_gain_them() {
    let mut model = loaded_model(80, 24, 500);
    model.filters.status = Some(UserStatus::Active);
    type_keys(&mut model, "ra");
    // From Viewer, one up is Account Admin.
    type_keys(&mut model, "kkk");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let users: Vec<User> = (2..=6).map(crate::console::fixtures::user).collect();
    collected_for(&mut model, &cmds, users);
    let Mode::BulkQuery(query) = &model.mode else {
        panic!("no confirmation: {:?}", model.mode);
    };
    let BulkStage::Confirm {
        change, warnings, ..
    } = &query.stage
    else {
        panic!("no confirmation: {:?}", query.stage);
    };
    assert_eq!(*change, Change::Role(UserRole::AccountAdmin));
    // User 3 is an Account Admin already: four gain the rights.
    assert_eq!(
        warnings,
        &["⚠ 4 users will be Account Admin: may create, change, disable and delete users"]
    );
}

#[test]
fn making_someone_an_admin_from_the_picker_asks_with_a_warning() {
    let mut model = loaded_model(160, 45, 50);
    // User 2 is a Publisher; two up is System Admin.
    type_keys(&mut model, "jr");
    type_keys(&mut model, "kk");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(edits(&cmds).is_empty(), "asked first: {cmds:?}");
    let Confirm::BulkChange {
        targets, warnings, ..
    } = confirmation(&model)
    else {
        panic!("no confirmation: {:?}", model.mode);
    };
    assert_eq!(targets.len(), 1);
    assert!(
        warnings
            .iter()
            .any(|warning| warning.starts_with("⚠ reza.moradi2 will be System Admin")),
        "{warnings:?}"
    );
    let cmds = type_keys(&mut model, "y");
    assert_eq!(
        edits(&cmds),
        [(2, QuickChange::Role(UserRole::SystemAdmin))]
    );
    assert!(
        model.progress.is_none(),
        "one user: a quick edit, with its own undo"
    );
}

/// The create form with a username, an email and the password twice, focused on its role.
fn create_form_on_role(model: &mut Model) {
    type_keys(model, "n");
    type_keys(model, "omid");
    update(model, key(KeyCode::Tab));
    type_keys(model, "omid@example.ir");
    for field in [Field::Password, Field::PasswordAgain] {
        while !matches!(&model.mode, Mode::Form(form) if form.focused() == field) {
            update(model, key(KeyCode::Tab));
        }
        type_keys(model, "Long-enough-1");
    }
    while !matches!(&model.mode, Mode::Form(form) if form.focused() == Field::Role) {
        update(model, key(KeyCode::Tab));
    }
}

#[test]
fn one_step_on_the_new_users_role_then_save_does_not_create_an_admin_unasked() {
    let mut model = loaded_model(160, 45, 50);
    create_form_on_role(&mut model);
    // Viewer is the last role: one → wraps to System Admin.
    update(&mut model, key(KeyCode::Right));
    let cmds = update(&mut model, ctrl('s'));
    assert!(
        !cmds.iter().any(|cmd| matches!(cmd, Cmd::CreateUser { .. })),
        "nothing created yet: {cmds:?}"
    );
    let Confirm::SaveForm { warnings, .. } = confirmation(&model) else {
        panic!("no confirmation: {:?}", model.mode);
    };
    assert!(
        warnings
            .iter()
            .any(|warning| warning.starts_with("⚠ omid will be System Admin")),
        "{warnings:?}"
    );
    // n goes back to the form with everything typed.
    type_keys(&mut model, "n");
    let Mode::Form(form) = &model.mode else {
        panic!("back to the form: {:?}", model.mode);
    };
    assert_eq!(form.value(Field::Username), "omid");
    assert_eq!(form.role, Some(UserRole::SystemAdmin));
    update(&mut model, ctrl('s'));
    let cmds = type_keys(&mut model, "y");
    assert!(
        cmds.iter().any(|cmd| matches!(
            cmd,
            Cmd::CreateUser { new_user, .. } if new_user.role == UserRole::SystemAdmin
        )),
        "y creates it: {cmds:?}"
    );
    assert!(
        matches!(model.mode, Mode::Form(_)),
        "the form shows it saving"
    );
}

#[test]
fn disabling_oneself_in_the_edit_form_asks_and_esc_goes_back_to_the_form() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    type_keys(&mut model, "e");
    focus_field(&mut model, Field::Status);
    // Active → Disabled.
    update(&mut model, key(KeyCode::Right));
    let cmds = update(&mut model, ctrl('s'));
    assert!(cmds.is_empty(), "nothing read or sent: {cmds:?}");
    assert!(matches!(
        confirmation(&model),
        Confirm::SelfHarm {
            harm: SelfHarm::Disable,
            then: AfterSelfHarm::Save(_),
            ..
        }
    ));
    update(&mut model, key(KeyCode::Esc));
    let Mode::Form(form) = &model.mode else {
        panic!("back to the form: {:?}", model.mode);
    };
    assert_eq!(
        form.status,
        Some(UserStatus::Disabled),
        "the choice is kept"
    );
    update(&mut model, ctrl('s'));
    type_keys(&mut model, "admin");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(
        cmds.iter()
            .any(|cmd| matches!(cmd, Cmd::ReadBeforeSave { user_id: 1, .. })),
        "{cmds:?}"
    );
    assert!(
        model
            .activity
            .iter()
            .any(|entry| entry.text.starts_with("Confirmed: this would disable you")),
        "the log says it was asked and confirmed"
    );
}

#[test]
fn an_account_admin_made_from_the_edit_form_asks_with_a_warning() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    // User 2, a Publisher; one ← on role is Account Admin.
    type_keys(&mut model, "je");
    focus_field(&mut model, Field::Role);
    update(&mut model, key(KeyCode::Left));
    let cmds = update(&mut model, ctrl('s'));
    assert!(cmds.is_empty(), "{cmds:?}");
    let Confirm::SaveForm { warnings, .. } = confirmation(&model) else {
        panic!("no confirmation: {:?}", model.mode);
    };
    assert!(
        warnings
            .iter()
            .any(|warning| warning.starts_with("⚠ reza.moradi2 will be Account Admin")),
        "{warnings:?}"
    );
    let cmds = type_keys(&mut model, "y");
    assert!(matches!(
        cmds.as_slice(),
        [Cmd::ReadBeforeSave { user_id: 2, .. }]
    ));
}

#[test]
fn a_marked_lockdown_leaves_the_admin_out_and_says_so() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "  !");
    let Mode::Lockdown(dialog) = &model.mode else {
        panic!("no lockdown dialog: {:?}", model.mode);
    };
    let ids: Vec<i64> = dialog.targets.iter().map(|target| target.id).collect();
    assert_eq!(ids, [2]);
    assert_eq!(
        dialog.left_out.as_deref(),
        Some("ali.moradi1 (you) is left out: the change would lock you down")
    );
}

// ---- what the signed-in role may not do to this user is not offered ----

/// Signed in as an Account Admin, with user 2 a System Admin and selected.
fn account_admin_on_a_system_admin() -> Model {
    let mut model = loaded_model(160, 45, 50);
    if let LoadState::Loaded(me) = &mut model.me.state {
        me.role = Some(UserRole::AccountAdmin);
    }
    for users in model.users.pages.values_mut() {
        if let Some(user) = users.iter_mut().find(|user| user.id == 2) {
            user.role = Some(UserRole::SystemAdmin);
        }
    }
    type_keys(&mut model, "j");
    model.banner = None;
    model
}

#[test]
fn an_account_admin_is_not_offered_what_only_a_system_admin_may_do_to_one() {
    let mut model = account_admin_on_a_system_admin();
    let hints = keys::footer_hints(&model, &Keymap::default());
    for refused in [
        "s status",
        "r role",
        "e edit",
        "D delete",
        "p password",
        "P renew",
        "X revoke others",
    ] {
        assert!(!hints.contains(&refused), "{refused} offered: {hints:?}");
    }
    assert!(hints.contains(&"n new"), "creating users stays: {hints:?}");
    for key in ["s", "r", "e", "D", "p", "P", "!", "X"] {
        let cmds = type_keys(&mut model, key);
        assert_eq!(api_calls(&cmds), 0, "{key}: {cmds:?}");
        assert!(matches!(model.mode, Mode::Normal), "{key} opens nothing");
        let banner = model.banner.clone().expect("says why");
        assert!(
            banner.error
                && banner.text.contains("not for reza.moradi2 (System Admin)")
                && banner
                    .text
                    .contains("only a System Admin may change a System Admin"),
            "{key}: {}",
            banner.text
        );
    }
    // Another row is theirs to change again.
    type_keys(&mut model, "j");
    let hints = keys::footer_hints(&model, &Keymap::default());
    assert!(hints.contains(&"s status") && hints.contains(&"e edit"));
}

#[test]
fn a_session_of_a_system_admin_is_not_the_account_admins_to_close() {
    let mut model = account_admin_on_a_system_admin();
    let cmds = type_keys(&mut model, "jk");
    settle(&mut model, &FakeServer::new(50), cmds);
    model.focus = Focus::Sessions;
    model.banner = None;
    let hints = keys::footer_hints(&model, &Keymap::default());
    assert!(!hints.contains(&"x revoke"), "{hints:?}");
    let cmds = type_keys(&mut model, "x");
    assert_eq!(api_calls(&cmds), 0);
    assert!(matches!(model.mode, Mode::Normal));
}

#[test]
fn marked_users_with_one_the_role_may_not_change_are_refused_with_the_count() {
    let mut model = account_admin_on_a_system_admin();
    type_keys(&mut model, "k  ");
    let cmds = type_keys(&mut model, "s");
    assert!(cmds.is_empty());
    assert!(matches!(model.mode, Mode::Normal));
    let banner = model.banner.clone().expect("says why");
    assert!(
        banner
            .text
            .contains("not for 1 of the marked users (reza.moradi2 first)"),
        "{}",
        banner.text
    );
}

#[test]
fn with_a_filter_the_offer_stays_and_only_the_selected_system_admin_is_refused() {
    let mut model = account_admin_on_a_system_admin();
    model.filters.status = Some(UserStatus::Pending);
    type_keys(&mut model, "s");
    assert!(
        matches!(model.mode, Mode::BulkQuery(_)),
        "the whole view is offered: {:?}",
        model.mode
    );
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.mode, Mode::Normal), "{:?}", model.mode);
    assert!(
        model.banner.as_ref().is_some_and(|banner| banner
            .text
            .starts_with("Setting the status is not for reza.moradi2")),
        "{:?}",
        model.banner
    );
}

#[test]
fn a_whole_view_of_users_the_role_may_not_change_writes_nothing() {
    let mut model = account_admin_on_a_system_admin();
    model.filters.role = Some(UserRole::SystemAdmin);
    let cmds = type_keys(&mut model, "sa");
    assert!(cmds.is_empty());
    let cmds = update(&mut model, key(KeyCode::Enter));
    let mut system_admin = crate::console::fixtures::user(2);
    system_admin.role = Some(UserRole::SystemAdmin);
    collected_for(&mut model, &cmds, vec![system_admin]);
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(
        !cmds.iter().any(|cmd| matches!(cmd, Cmd::RunBulk { .. })),
        "nothing to write: {cmds:?}"
    );
    assert!(matches!(model.mode, Mode::Normal));
    let banner = model.banner.clone().expect("says so");
    assert!(
        banner.note && banner.text.starts_with("Nothing changed: 1 user left out"),
        "{banner:?}"
    );
}

#[test]
fn an_account_admin_is_told_why_a_system_admins_sessions_are_not_shown_without_asking() {
    let mut model = account_admin_on_a_system_admin();
    let mut cmds = Vec::new();
    for timer in timers(&type_keys(&mut model, "jk")) {
        cmds.extend(update(&mut model, timer));
    }
    assert!(
        !cmds
            .iter()
            .any(|cmd| matches!(cmd, Cmd::LoadSessions { user_id: 2, .. })),
        "nothing is asked that the server would refuse: {cmds:?}"
    );
    assert_eq!(model.sessions.user_id, Some(2));
    let LoadState::Failed(why) = &model.sessions.list.state else {
        panic!("the pane says why: {:?}", model.sessions.list.state);
    };
    assert!(
        why.contains("only a System Admin may change a System Admin"),
        "{why}"
    );
    // Their own sessions, and any other user's, are read as before.
    let mut cmds = Vec::new();
    for timer in timers(&type_keys(&mut model, "j")) {
        cmds.extend(update(&mut model, timer));
    }
    assert!(
        cmds.iter()
            .any(|cmd| matches!(cmd, Cmd::LoadSessions { user_id: 3, .. })),
        "{cmds:?}"
    );
}
