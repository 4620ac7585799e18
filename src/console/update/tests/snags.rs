//! The edges an admin meets after the main path: the sessions pane after a disable, the
//! banners and their words, the filter panel's clear, the counts of a bulk change, and the
//! like.

use super::*;
use geobox_api::User;

fn loads_sessions_of(cmds: &[Cmd], id: i64) -> bool {
    cmds.iter()
        .any(|cmd| matches!(cmd, Cmd::LoadSessions { user_id, .. } if *user_id == id))
}

fn disabled(id: i64) -> User {
    let mut user = crate::console::fixtures::user(id);
    user.status = Some(UserStatus::Disabled);
    user
}

#[test]
fn after_a_disable_the_sessions_pane_is_read_again() {
    let mut model = loaded_model(160, 45, 50);
    // User 5 is Active; its sessions are in the pane once the selection rests.
    let cmds = type_keys(&mut model, "jjjj");
    settle(&mut model, &FakeServer::new(50), cmds);
    assert_eq!(model.sessions.user_id, Some(5));
    type_keys(&mut model, "sj");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let Some(Cmd::QuickEdit { request, .. }) = cmds.first() else {
        panic!("an edit: {cmds:?}");
    };
    let cmds = update(
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
    assert!(
        loads_sessions_of(&cmds, 5),
        "the server closed them: the pane asks again, {cmds:?}"
    );
    assert!(matches!(model.sessions.list.state, LoadState::Loading));
}

#[test]
fn a_form_save_that_disables_reads_the_sessions_again() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    let cmds = type_keys(&mut model, "jjjj");
    settle(&mut model, &FakeServer::new(50), cmds);
    type_keys(&mut model, "e");
    let request = match update(&mut model, ctrl('s')).as_slice() {
        [] => {
            // Nothing changed yet: set the status.
            focus_field(&mut model, crate::console::form::Field::Status);
            update(&mut model, key(KeyCode::Right));
            let cmds = update(&mut model, ctrl('s'));
            let Some(Cmd::ReadBeforeSave { request, .. }) = cmds.first() else {
                panic!("a save: {cmds:?}");
            };
            *request
        }
        other => panic!("nothing to save yet: {other:?}"),
    };
    let cmds = update(
        &mut model,
        Msg::UserSaved {
            created: false,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(disabled(5)),
            },
        },
    );
    assert!(loads_sessions_of(&cmds, 5), "{cmds:?}");
}

#[test]
fn clear_all_in_the_filter_panel_clears_a_kept_search_too() {
    let mut model = loaded_model(160, 45, 50);
    model.filters.search = "rezaei".into();
    model.filters.status = Some(UserStatus::Active);
    type_keys(&mut model, "f");
    update(&mut model, ctrl('r'));
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.filters, crate::console::model::Filters::default());
    assert!(!page_requests(&cmds).is_empty(), "the list is read again");
}

#[test]
fn a_cql_error_points_into_what_the_admin_typed() {
    let mut model = loaded_model(160, 45, 50);
    model.filters.role = Some(UserRole::Editor);
    model.filters.cql = "id = 1 id".into();
    let cmds = update(&mut model, Msg::Reload);
    let (request, page) = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::LoadUsers { request, page, .. } => Some((*request, *page)),
            _ => None,
        })
        .expect("a page is read");
    update(
        &mut model,
        Msg::UsersLoaded {
            page,
            done: Done {
                request,
                took: Default::default(),
                result: Err(ApiError::Validation {
                    errors: vec![FieldError {
                        field: Some("q".into()),
                        message: "unexpected 'id' at position 29".into(),
                    }],
                }),
            },
        },
    );
    let said = model
        .cql_server_error
        .clone()
        .expect("shown by the CQL field");
    assert!(said.contains("at position 8 of your CQL"), "{said}");
    let banner = model.banner.clone().expect("a banner");
    assert!(
        banner.text.contains("at position 8 of your CQL"),
        "{}",
        banner.text
    );
    assert!(!banner.text.contains("29"), "{}", banner.text);
}

#[test]
fn a_bulk_failure_banner_sums_up_and_points_to_the_activity_log() {
    let mut model = loaded_model(160, 45, 50);
    // Users 2 to 5, then the role picker on Viewer.
    type_keys(&mut model, "j    r");
    update(&mut model, key(KeyCode::Enter));
    let cmds = type_keys(&mut model, "y");
    let edits: Vec<(RequestId, i64)> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::QuickEdit {
                request, user_id, ..
            } => Some((*request, *user_id)),
            _ => None,
        })
        .collect();
    assert!(edits.len() >= 3, "{edits:?}");
    for (request, user_id) in edits {
        update(
            &mut model,
            Msg::UserUpdated {
                user_id,
                change: QuickChange::Role(UserRole::Viewer),
                done: Done {
                    request,
                    took: Default::default(),
                    result: Err(ApiError::Forbidden {
                        message: format!("no for {user_id}"),
                    }),
                },
            },
        );
    }
    let banner = model.banner.clone().expect("a summary");
    assert!(banner.error);
    assert!(
        banner.text.contains("failed (first: ") && banner.text.contains("A lists each"),
        "{}",
        banner.text
    );
    assert_eq!(
        banner.text.matches("no for").count(),
        1,
        "only the first reason: {}",
        banner.text
    );
    let logged = model
        .activity
        .iter()
        .filter(|entry| entry.text.contains("no for"))
        .count();
    assert!(logged >= 3, "each failure in the activity log");
}

#[test]
fn a_user_with_no_plan_is_a_note_not_a_success() {
    let mut model = loaded_model(160, 45, 50);
    // User 3 has no plan.
    type_keys(&mut model, "jjP");
    let banner = model.banner.clone().expect("says so");
    assert!(banner.text.contains("has no plan to renew"));
    assert!(banner.note && !banner.error, "{banner:?}");
}

#[test]
fn reload_for_a_viewer_reads_themselves_not_the_list() {
    let mut model = loaded_model(160, 45, 50);
    if let LoadState::Loaded(me) = &mut model.me.state {
        me.role = Some(UserRole::Viewer);
    }
    let cmds = type_keys(&mut model, "R");
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadMe { .. })));
    assert!(
        page_requests(&cmds).is_empty(),
        "no list that ends in 403: {cmds:?}"
    );
    assert!(!cmds.iter().any(|cmd| matches!(cmd, Cmd::CountUsers { .. })));
}

#[test]
fn a_plan_that_names_no_days_is_not_offered_a_renewal_that_would_be_refused() {
    let mut model = loaded_model(160, 45, 50);
    for users in model.users.pages.values_mut() {
        if let Some(user) = users.iter_mut().find(|user| user.id == 2)
            && let Some(plan) = &mut user.plan
        {
            plan.number_of_days = None;
        }
    }
    type_keys(&mut model, "jP");
    assert!(matches!(model.mode, Mode::Normal), "{:?}", model.mode);
    let banner = model.banner.clone().expect("says why");
    assert!(
        banner.note && banner.text.contains("does not expire"),
        "{banner:?}"
    );

    let mut model = loaded_model(160, 45, 50);
    model.filters.status = Some(UserStatus::Pending);
    let cmds = type_keys(&mut model, "Pa");
    let mut endless = crate::console::fixtures::user(2);
    if let Some(plan) = &mut endless.plan {
        plan.number_of_days = None;
    }
    collected_for(
        &mut model,
        &cmds,
        vec![endless, crate::console::fixtures::user(4)],
    );
    let Mode::BulkQuery(query) = &model.mode else {
        panic!("no confirmation: {:?}", model.mode);
    };
    let crate::console::model::BulkStage::Confirm { targets, notes, .. } = &query.stage else {
        panic!("no confirmation: {:?}", query.stage);
    };
    let ids: Vec<i64> = targets.to_change.iter().map(|user| user.id).collect();
    assert_eq!(ids, [4]);
    assert!(
        notes.contains(&"1 user left out: their plan names no days, so it does not expire".into()),
        "{notes:?}"
    );
}
