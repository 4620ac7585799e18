//! Search, the filter panel and the sort.

use super::*;

#[test]
fn search_is_debounced_and_older_results_are_dropped() {
    let mut model = loaded_model(160, 45, 500);
    let server = FakeServer::new(500);
    assert!(type_keys(&mut model, "/").is_empty());
    assert!(matches!(model.mode, Mode::Search(_)));

    // Each key schedules a timer and sends nothing.
    let cmds = type_keys(&mut model, "al");
    assert_eq!(api_calls(&cmds), 0);
    let fired = timers(&cmds);
    assert_eq!(fired.len(), 2);
    // The first timer is stale: the admin kept typing.
    assert_eq!(api_calls(&update(&mut model, fired[0].clone())), 0);
    let cmds = update(&mut model, fired[1].clone());
    let sent = cmds.iter().find_map(|cmd| match cmd {
        Cmd::LoadUsers { request, query, .. } => Some((*request, query.clone())),
        _ => None,
    });
    let (first_request, query) = sent.expect("the search is sent once the typing pauses");
    assert_eq!(query.search.as_deref(), Some("al"));
    assert_eq!(model.filters.search, "al");

    // The admin types more before the answer comes; the answer to "al" must not show.
    let cmds = type_keys(&mut model, "i");
    let cmds = update(&mut model, timers(&cmds)[0].clone());
    let stale = Msg::UsersLoaded {
        page: 0,
        done: Done {
            request: first_request,
            took: Default::default(),
            result: Ok(vec![crate::console::fixtures::user(42)]),
        },
    };
    update(&mut model, stale);
    assert!(model.users.pages.is_empty(), "the stale page was dropped");
    settle(&mut model, &server, cmds);
    assert!(model.users.pages.contains_key(&0));

    // Enter keeps the search, Esc (reopened) clears it.
    update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.mode, Mode::Normal));
    assert_eq!(model.filters.search, "ali");
    assert_eq!(model.filters.chips(), vec!["/ali"]);
    type_keys(&mut model, "/");
    let cmds = update(&mut model, key(KeyCode::Esc));
    assert_eq!(model.filters.search, "");
    assert_eq!(page_requests(&cmds), vec![(0, 0, PAGE_SIZE)]);
}

#[test]
fn the_filter_panel_checks_cql_and_sends_role_as_cql() {
    let mut model = loaded_model(160, 45, 500);
    type_keys(&mut model, "f");
    let Mode::Filters(panel) = &model.mode else {
        panic!("f opens the filter panel");
    };
    assert_eq!(panel.field, FilterField::Status);
    // status: any → New → Pending → Active
    for _ in 0..3 {
        update(&mut model, key(KeyCode::Right));
    }
    update(&mut model, key(KeyCode::Tab));
    // role: any → System Admin → Account Admin → Publisher → Editor
    for _ in 0..4 {
        update(&mut model, key(KeyCode::Char(' ')));
    }
    update(&mut model, key(KeyCode::Tab));
    update(&mut model, key(KeyCode::Tab));
    let cmds = type_keys(&mut model, "username LIKE 'a%");
    assert!(cmds.is_empty());
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(cmds.is_empty(), "unbalanced CQL is never sent");
    let Mode::Filters(panel) = &model.mode else {
        panic!("the panel stays open");
    };
    assert_eq!(
        panel.cql_error.as_deref(),
        Some("a quote (') is not closed")
    );

    type_keys(&mut model, "'");
    let cmds = update(&mut model, key(KeyCode::Enter));
    assert!(matches!(model.mode, Mode::Normal));
    let query = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::LoadUsers { query, .. } => Some(query.clone()),
            _ => None,
        })
        .expect("the new filters are loaded");
    assert_eq!(query.status, Some(UserStatus::Active));
    assert_eq!(
        query.q.as_deref(),
        Some("role = 'Editor' AND (username LIKE 'a%')")
    );
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::CountUsers { query, .. } if query.status == Some(UserStatus::Active))));
    assert_eq!(
        model.filters.chips(),
        vec!["status: Active", "role: Editor", "q: username LIKE 'a%'"]
    );
}

#[test]
fn a_422_on_the_cql_lands_next_to_the_field() {
    let mut model = loaded_model(160, 45, 500);
    type_keys(&mut model, "f");
    for _ in 0..3 {
        update(&mut model, key(KeyCode::Down));
    }
    type_keys(&mut model, "nme = 1");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::LoadUsers { request, .. } => Some(*request),
            _ => None,
        })
        .expect("a page request");
    let error = ApiError::Validation {
        errors: vec![FieldError {
            field: Some("q".into()),
            message: "unknown field 'nme'".into(),
        }],
    };
    update(
        &mut model,
        Msg::UsersLoaded {
            page: 0,
            done: Done {
                request,
                took: Default::default(),
                result: Err(error),
            },
        },
    );
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|b| b.error && b.text.contains("unknown field 'nme'"))
    );
    type_keys(&mut model, "f");
    let Mode::Filters(panel) = &model.mode else {
        panic!("f opens the filter panel");
    };
    assert_eq!(panel.field, FilterField::Cql);
    assert!(
        panel
            .cql_error
            .as_deref()
            .is_some_and(|e| e.contains("unknown field 'nme'"))
    );
    update(&mut model, key(KeyCode::Esc));
    assert!(matches!(model.mode, Mode::Normal));
}

#[test]
fn o_cycles_the_sort_and_big_o_flips_it() {
    let mut model = loaded_model(160, 45, 500);
    let cmds = type_keys(&mut model, "o");
    let orders: Vec<_> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::LoadUsers { query, .. } | Cmd::CountUsers { query, .. } => query.order_by.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(orders, vec!["username A", "username A"]);
    let cmds = type_keys(&mut model, "O");
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadUsers { query, .. } if query.order_by.as_deref() == Some("username D"))));
}
