//! Paging, prefetch, selection, focus and the mouse.

use super::*;

#[test]
fn start_asks_for_me_the_count_and_the_first_page() {
    let mut model = Model::new();
    let cmds = init(&mut model);
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadMe { .. })));
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::CountUsers { .. })));
    assert_eq!(page_requests(&cmds), vec![(0, 0, PAGE_SIZE)]);
    assert!(model.is_busy(), "the spinner turns until answers arrive");
}

#[test]
fn j_and_k_move_through_the_keymap_and_prefetch_asks_once_for_the_next_page() {
    let mut model = loaded_model(160, 45, 1_000);
    assert_eq!(model.users.selected, 0);
    assert!(model.users.pages.contains_key(&0));
    let cmds = type_keys(&mut model, "jjjk");
    assert_eq!(model.users.selected, 2);
    assert!(
        page_requests(&cmds).is_empty(),
        "page 0 already covers these rows"
    );

    // Holding j: the next page is asked for once, well before the admin reaches it.
    let mut asked = Vec::new();
    for _ in 0..70 {
        asked.extend(page_requests(&update(&mut model, key(KeyCode::Char('j')))));
    }
    assert_eq!(asked, vec![(1, PAGE_SIZE, PAGE_SIZE)]);
    assert_eq!(model.users.selected, 72);
    assert!(
        model.users.selected < PAGE_SIZE,
        "asked before the end of page 0"
    );
}

#[test]
fn holding_j_through_10000_users_keeps_at_most_max_pages_in_memory() {
    let mut model = loaded_model(160, 45, 10_000);
    let server = FakeServer::new(10_000);
    for _ in 0..10_000 {
        let cmds = update(&mut model, key(KeyCode::Char('j')));
        settle(&mut model, &server, cmds);
        assert!(model.users.pages.len() <= MAX_PAGES, "memory stays bounded");
    }
    assert_eq!(model.users.selected, 9_999);
    assert_eq!(
        model.users.selected_user().map(|user| user.id),
        Some(10_000)
    );
}

#[test]
fn page_down_and_g_g_ask_for_the_right_pages() {
    let mut model = loaded_model(80, 24, 1_000_000);
    let rows = table_rows(&model);
    let cmds = update(&mut model, key(KeyCode::PageDown));
    assert_eq!(model.users.selected, rows);
    assert!(page_requests(&cmds).is_empty());

    let cmds = type_keys(&mut model, "G");
    assert_eq!(model.users.selected, 999_999);
    // The last page is read from the other end: skip 0 in the reversed order.
    assert_eq!(page_requests(&cmds), vec![(9_999, 0, PAGE_SIZE)]);
    assert!(model.users.offset + rows > 999_999);
    settle(&mut model, &FakeServer::new(1_000_000), cmds);
    assert_eq!(
        model.users.selected_user().map(|user| user.id),
        Some(1_000_000)
    );
    assert_eq!(
        model.users.user_at(999_900).map(|user| user.id),
        Some(999_901)
    );

    let cmds = type_keys(&mut model, "g");
    assert_eq!(model.users.selected, 0);
    assert!(page_requests(&cmds).is_empty(), "page 0 is still cached");
}

#[test]
fn big_g_before_the_count_waits_for_it() {
    let mut model = Model::new();
    model.now = now();
    let cmds = init(&mut model);
    let count_request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::CountUsers { request, .. } => Some(*request),
            _ => None,
        })
        .expect("a count request");
    type_keys(&mut model, "G");
    assert!(model.users.jump_to_end);
    let cmds = update(
        &mut model,
        Msg::UsersCounted(Done {
            request: count_request,
            took: Default::default(),
            result: Ok(250),
        }),
    );
    assert_eq!(model.users.selected, 249);
    assert!(page_requests(&cmds).contains(&(2, 0, 50)), "{cmds:?}");
}

#[test]
fn focus_help_and_quit_keys() {
    let mut model = loaded_model(160, 45, 50);
    update(&mut model, key(KeyCode::Tab));
    assert_eq!(model.focus, Focus::Detail);
    update(&mut model, key(KeyCode::Tab));
    assert_eq!(model.focus, Focus::Sessions);
    update(&mut model, key(KeyCode::BackTab));
    assert_eq!(model.focus, Focus::Detail);
    update(&mut model, key(KeyCode::Esc));
    assert_eq!(model.focus, Focus::Table);
    update(&mut model, key(KeyCode::Enter));
    assert_eq!(model.focus, Focus::Detail);
    type_keys(&mut model, "?");
    assert!(matches!(model.mode, Mode::Help));
    type_keys(&mut model, "q");
    assert!(
        matches!(model.mode, Mode::Normal),
        "q in the help closes it"
    );
    assert!(!model.quit);
    type_keys(&mut model, "q");
    assert!(model.quit);
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "/");
    update(&mut model, ctrl('c'));
    assert!(model.quit, "Ctrl-C quits from anywhere");
}

#[test]
fn the_mouse_selects_and_scrolls() {
    let mut model = loaded_model(160, 45, 500);
    let click = |row: u16| {
        Msg::MouseUsed(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Title bar, table border, header: the fourth user is on screen row 6.
    update(&mut model, click(6));
    assert_eq!(model.users.selected, 3);
    update(
        &mut model,
        Msg::MouseUsed(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: 10,
            row: 10,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(model.users.selected, 6);
}

#[test]
fn a_server_that_caps_the_page_size_is_paged_by_what_it_gives() {
    let mut server = FakeServer::new(1_000);
    server.cap = Some(30);
    let mut model = Model::new();
    model.width = 160;
    model.height = 45;
    model.now = now();
    let cmds = init(&mut model);
    settle(&mut model, &server, cmds);
    assert_eq!(model.users.page_size, 30);
    assert_eq!(model.users.total, Some(1_000));
    for _ in 0..250 {
        let cmds = update(&mut model, key(KeyCode::Char('j')));
        settle(&mut model, &server, cmds);
        assert!(
            model.users.selected_user().is_some(),
            "row {} is filled",
            model.users.selected
        );
    }
    assert_eq!(model.users.selected_user().map(|user| user.id), Some(251));
    let cmds = update(&mut model, key(KeyCode::Char('G')));
    assert_eq!(
        page_requests(&cmds),
        vec![(31, 40, 30), (32, 10, 30), (33, 0, 10)],
        "the screen of rows at the end, read from the other end"
    );
    settle(&mut model, &server, cmds);
    let ids: Vec<i64> = (930..1_000)
        .filter_map(|row| model.users.user_at(row).map(|user| user.id))
        .collect();
    assert_eq!(ids, (931..=1_000).collect::<Vec<_>>());
}

#[test]
fn a_count_that_grew_before_the_short_page_is_read_again_is_no_cap() {
    // One user left in the view, then the others come back (an undo) and the list reloads.
    let mut model = loaded_model(160, 45, 1);
    let cmds = type_keys(&mut model, "R");
    let count = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::CountUsers { request, .. } => Some(*request),
            _ => None,
        })
        .expect("counted again");
    let done = Done {
        request: count,
        took: Default::default(),
        result: Ok(329),
    };
    update(&mut model, Msg::UsersCounted(done));
    assert_eq!(
        model.users.page_size, PAGE_SIZE,
        "the stale short page is no cap"
    );
    let pages: Vec<Cmd> = cmds
        .into_iter()
        .filter(|cmd| matches!(cmd, Cmd::LoadUsers { .. }))
        .collect();
    settle(&mut model, &FakeServer::new(329), pages);
    let ids: Vec<i64> = (0..40)
        .filter_map(|row| model.users.user_at(row).map(|user| user.id))
        .collect();
    assert_eq!(
        ids,
        (1..=40).collect::<Vec<_>>(),
        "every row on screen filled"
    );
}

#[test]
fn pages_scrolled_far_past_are_cancelled_not_waited_for() {
    let mut model = loaded_model(160, 45, 1_000_000);
    let mut cancelled = 0;
    for _ in 0..500 {
        let cmds = update(&mut model, key(KeyCode::PageDown));
        cancelled += cmds
            .iter()
            .filter(|cmd| matches!(cmd, Cmd::CancelRequest { .. }))
            .count();
        assert!(model.users.pending.len() <= 4, "{:?}", model.users.pending);
    }
    assert!(
        cancelled > 100,
        "the pages passed were cancelled: {cancelled}"
    );
    // A late answer for a cancelled page is dropped.
    let before = model.users.pages.len();
    update(
        &mut model,
        Msg::UsersLoaded {
            page: 3,
            done: Done {
                request: RequestId(5),
                took: Default::default(),
                result: Ok(vec![crate::console::fixtures::user(301)]),
            },
        },
    );
    assert_eq!(model.users.pages.len(), before);
}

#[test]
fn a_server_capping_a_page_read_backwards_is_paged_by_what_it_gives() {
    let mut model = loaded_model(160, 45, 1_000);
    let mut capped = FakeServer::new(1_000);
    capped.cap = Some(40);
    let cmds = type_keys(&mut model, "G");
    settle(&mut model, &capped, cmds);
    assert_eq!(model.users.page_size, 40);
    assert_eq!(model.users.selected_user().map(|user| user.id), Some(1_000));
    let ids: Vec<i64> = (960..1_000)
        .filter_map(|row| model.users.user_at(row).map(|user| user.id))
        .collect();
    assert_eq!(
        ids,
        (961..=1_000).collect::<Vec<_>>(),
        "every row in its place"
    );
}
