//! The console as an admin meets it: safe bulk changes, refused keys explained, guards.

use super::*;
use geobox_api::User;

fn answer_role(model: &mut Model, cmds: &[Cmd]) {
    for cmd in cmds {
        if let Cmd::QuickEdit {
            request,
            user_id,
            change,
        } = cmd
        {
            let mut user: User = crate::console::fixtures::user(*user_id);
            if let QuickChange::Role(role) = change {
                user.role = Some(role.clone());
            }
            update(
                model,
                Msg::UserUpdated {
                    user_id: *user_id,
                    change: change.clone(),
                    done: Done {
                        request: *request,
                        took: Default::default(),
                        result: Ok(user),
                    },
                },
            );
        }
    }
}

fn banner_text(model: &Model) -> String {
    model
        .banner
        .as_ref()
        .map(|banner| banner.text.clone())
        .unwrap_or_default()
}

#[test]
fn a_bulk_role_change_starts_on_viewer_clears_the_marks_and_undoes_per_user() {
    let mut model = loaded_model(160, 45, 50);
    let before: Vec<Option<UserRole>> = (2..=3)
        .map(|id| crate::console::fixtures::user(id).role)
        .collect();
    type_keys(&mut model, "j  r");
    let Mode::Picker(picker) = &model.mode else {
        panic!("r opens the role picker");
    };
    assert_eq!(
        picker.choices.get(picker.cursor),
        Some(&QuickChange::Role(UserRole::Viewer)),
        "several users: the least privileged role first"
    );
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::BulkChange { .. })));
    let cmds = type_keys(&mut model, "y");
    assert_eq!(edits(&cmds).len(), 2);
    answer_role(&mut model, &cmds);
    assert!(model.users.marked.is_empty(), "marks cleared after success");
    let banner = banner_text(&model);
    assert!(
        banner.contains("marks cleared") && banner.contains("u undo"),
        "{banner}"
    );
    assert!(
        model
            .activity
            .iter()
            .any(|entry| entry.text.contains("reza.moradi2")),
        "the log names the users"
    );

    // u: the bulk change is the last change; its users, read as they are now, go back.
    let now = |entry: &geobox_ops::journal::Entry| -> Vec<Option<User>> {
        entry
            .changes
            .iter()
            .map(|change| {
                let mut user = crate::console::fixtures::user(change.user_id.unwrap_or(0));
                user.role = Some(UserRole::Viewer);
                Some(user)
            })
            .collect()
    };
    let entry = undo_asked(&mut model, now);
    assert_eq!(entry.action, geobox_ops::journal::Action::BulkUpdate);
    let plan = applied_plan(&type_keys(&mut model, "y")).expect("y carries the undo out");
    let restored: Vec<(i64, String)> = plan
        .steps
        .iter()
        .filter_map(|step| match step {
            geobox_ops::journal::UndoStep::Update {
                user_id, changes, ..
            } => Some((*user_id, geobox_ops::journal::show(&changes[0].to))),
            _ => None,
        })
        .collect();
    let expected: Vec<(i64, String)> = before
        .into_iter()
        .enumerate()
        .filter_map(|(index, role)| Some((index as i64 + 2, role?.to_string())))
        .collect();
    assert_eq!(restored, expected, "each user back to their own role");
}

#[test]
fn a_single_role_picker_starts_on_the_current_role() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "r");
    let Mode::Picker(picker) = &model.mode else {
        panic!("r opens the role picker");
    };
    assert_eq!(picker.choices.get(picker.cursor), picker.current.as_ref());
}

#[test]
fn changing_ones_own_role_asks_first() {
    let mut model = loaded_model(160, 45, 50);
    let mut me = crate::console::fixtures::admin();
    me.id = 1;
    model.me.state = LoadState::Loaded(me);
    type_keys(&mut model, "rj");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(edits(&cmds).is_empty());
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::BulkChange { .. })));
}

#[test]
fn a_viewer_sees_no_admin_keys_and_is_told_why_when_pressing_one() {
    let mut model = loaded_model(160, 45, 50);
    let mut me = crate::console::fixtures::admin();
    me.role = Some(UserRole::Viewer);
    model.me.state = LoadState::Loaded(me);
    model.banner = None;
    let hints = keys::footer_hints(&model, &Keymap::default());
    for admin_only in [
        "s status",
        "r role",
        "D delete",
        "e edit",
        "n new",
        "Space mark",
    ] {
        assert!(!hints.contains(&admin_only), "{admin_only} in {hints:?}");
    }
    // Searching, filtering, sorting, views and export list other users: a Viewer's list
    // is only themselves, so those would end in 403 (and an empty export file).
    for lists_users in ["/ search", "f filter", "F views", "w export", "o/O sort"] {
        assert!(!hints.contains(&lists_users), "{lists_users} in {hints:?}");
    }
    assert!(
        hints.contains(&"L journal") && hints.contains(&"? help"),
        "{hints:?}"
    );
    let cmds = type_keys(&mut model, "w");
    assert!(cmds.is_empty() && matches!(model.mode, Mode::Normal));
    assert!(
        banner_text(&model).contains("w (export every user matching the view) lists other users"),
        "{}",
        banner_text(&model)
    );
    type_keys(&mut model, "n");
    assert!(matches!(model.mode, Mode::Normal), "no form opens");
    let banner = banner_text(&model);
    assert!(
        banner.contains("n (create a new user) is for a System Admin"),
        "{banner}"
    );
    assert!(
        model.banner.as_ref().is_some_and(|banner| banner.error),
        "a refusal is not shown as done"
    );
}

#[test]
fn ctrl_c_in_a_changed_form_asks_and_a_second_one_quits() {
    let mut model = loaded_model(160, 45, 50);
    let cmds = type_keys(&mut model, "e");
    settle(&mut model, &FakeServer::new(50), cmds);
    type_keys(&mut model, "x");
    update(&mut model, ctrl('c'));
    assert!(!model.quit);
    assert!(matches!(&model.mode, Mode::Form(form) if form.asking_discard));
    update(&mut model, ctrl('c'));
    assert!(model.quit);
}

#[test]
fn q_closes_the_activity_log_and_esc_clears_a_kept_search() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "A");
    type_keys(&mut model, "q");
    assert!(!model.show_activity && !model.quit);
    model.filters.search = "rezaei".to_string();
    let cmds = update(&mut model, key(KeyCode::Esc));
    assert!(model.filters.search.is_empty());
    assert!(!page_requests(&cmds).is_empty(), "the list is read again");
}

#[test]
fn enter_on_the_first_password_field_moves_to_the_second() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "pSecret-1");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(cmds.is_empty());
    assert!(
        matches!(&model.mode, Mode::Password(dialog) if dialog.second_focused && dialog.error.is_none())
    );
}

#[test]
fn enter_with_a_wrong_name_in_the_delete_dialog_says_so() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "jjDnobody");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(api_calls(&cmds) == 0);
    assert!(
        matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::Delete { mismatch: true, .. }))
    );
}

#[test]
fn a_viewer_sees_themselves_and_their_own_sessions() {
    let mut model = Model::new();
    model.now = now();
    let cmds = init(&mut model);
    let me_request = cmds.iter().find_map(|cmd| match cmd {
        Cmd::LoadMe { request } => Some(*request),
        _ => None,
    });
    let mut me = crate::console::fixtures::user(7);
    me.role = Some(UserRole::Viewer);
    let cmds = update(
        &mut model,
        Msg::MeLoaded(Done {
            request: me_request.expect("init asks who is signed in"),
            took: Default::default(),
            result: Ok(me),
        }),
    );
    assert_eq!(model.users.total, Some(1));
    assert_eq!(model.users.selected_user().map(|user| user.id), Some(7));
    settle(&mut model, &FakeServer::new(0), cmds);
    assert_eq!(model.sessions.user_id, Some(7), "their own sessions load");
}

#[test]
fn the_activity_log_takes_the_keyboard_scrolls_and_closes_with_q() {
    let mut model = loaded_model(160, 45, 50);
    let mut cmds = Vec::new();
    for index in 0..30 {
        super::super::feedback::log_activity(&mut model, format!("entry {index}"), true, &mut cmds);
    }
    type_keys(&mut model, "A");
    assert_eq!(model.focus, Focus::Activity);
    type_keys(&mut model, "kkk");
    assert_eq!(model.activity_scroll, 3, "k goes to older entries");
    type_keys(&mut model, "j");
    assert_eq!(model.activity_scroll, 2);
    type_keys(&mut model, "q");
    assert!(!model.show_activity && !model.quit);
    assert_eq!(model.focus, Focus::Table);
}

#[test]
fn a_late_count_failure_for_an_outdated_filter_is_dropped() {
    let mut model = loaded_model(160, 45, 50);
    model.banner = None;
    model.filters.search = "bad".to_string();
    let outdated = update(&mut model, Msg::Reload);
    let old_count = outdated.iter().find_map(|cmd| match cmd {
        Cmd::CountUsers { request, .. } => Some(*request),
        _ => None,
    });
    let fixed = update(&mut model, key(KeyCode::Esc));
    assert!(
        !page_requests(&fixed).is_empty(),
        "the fixed list is asked for"
    );
    update(
        &mut model,
        Msg::UsersCounted(Done {
            request: old_count.expect("a reload counts again"),
            took: Default::default(),
            result: Err(ApiError::Forbidden {
                message: "late".into(),
            }),
        }),
    );
    assert!(model.banner.is_none(), "{:?}", model.banner);
}

#[test]
fn marking_all_on_screen_follows_the_table_when_the_log_shrinks_it() {
    let mut model = loaded_model(60, 20, 50);
    let rows = table_rows(&model);
    for _ in 1..rows {
        type_keys(&mut model, "j");
    }
    // The log shown without taking the keyboard: the table loses rows at its bottom.
    model.show_activity = true;
    update(&mut model, ctrl('a'));
    let selected = model.users.selected_user().map(|user| user.id);
    assert!(
        selected.is_some_and(|id| model.users.marked.contains(&id)),
        "the selected row is on screen, so it is marked"
    );
    assert_eq!(model.users.marked.len() as u64, table_rows(&model));
}
