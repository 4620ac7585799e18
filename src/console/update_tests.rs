//! `update` driven the way the admin drives it: keys through the real keymap, answers from a
//! pretend server, then the model and the commands are checked.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::cmd::Cmd;
use super::fixtures::{FakeServer, loaded_model, now, sessions, settle};
use super::model::{Confirm, FilterField, Focus, LoadState, MAX_PAGES, Mode, Model, PAGE_SIZE};
use super::msg::{Done, Msg, QuickChange, RequestId};
use super::update::update;
use crate::api::{ApiError, FieldError, UserRole, UserStatus};

fn key(code: KeyCode) -> Msg {
    Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Types each character as a key press and gathers the commands.
fn type_keys(model: &mut Model, keys: &str) -> Vec<Cmd> {
    keys.chars()
        .flat_map(|c| update(model, key(KeyCode::Char(c))))
        .collect()
}

fn page_requests(cmds: &[Cmd]) -> Vec<(u64, u64, u64)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::LoadUsers { page, query, .. } => Some((*page, query.skip, query.limit)),
            _ => None,
        })
        .collect()
}

fn timers(cmds: &[Cmd]) -> Vec<Msg> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::After { msg, .. } => Some((**msg).clone()),
            _ => None,
        })
        .collect()
}

fn api_calls(cmds: &[Cmd]) -> usize {
    cmds.iter()
        .filter(|cmd| !matches!(cmd, Cmd::After { .. } | Cmd::Log { .. }))
        .count()
}

#[test]
fn start_asks_for_me_the_count_and_the_first_page() {
    let mut model = Model::new("h", None, false);
    let cmds = super::update::init(&mut model);
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
    let rows = super::update::table_rows(&model);
    let cmds = update(&mut model, key(KeyCode::PageDown));
    assert_eq!(model.users.selected, rows);
    assert!(page_requests(&cmds).is_empty());

    let cmds = type_keys(&mut model, "G");
    assert_eq!(model.users.selected, 999_999);
    assert_eq!(page_requests(&cmds), vec![(9_999, 999_900, PAGE_SIZE)]);
    assert!(model.users.offset + rows > 999_999);

    let cmds = type_keys(&mut model, "g");
    assert_eq!(model.users.selected, 0);
    assert!(page_requests(&cmds).is_empty(), "page 0 is still cached");
}

#[test]
fn big_g_before_the_count_waits_for_it() {
    let mut model = Model::new("h", None, false);
    model.now = now();
    let cmds = super::update::init(&mut model);
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
    assert!(page_requests(&cmds).contains(&(2, 200, PAGE_SIZE)));
}

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
            result: Ok(vec![super::fixtures::user(42)]),
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

#[test]
fn sessions_load_only_for_a_user_that_stays_selected() {
    let mut model = loaded_model(160, 45, 500);
    assert_eq!(model.sessions.user_id, Some(1));
    let mut fired = Vec::new();
    for _ in 0..5 {
        let cmds = type_keys(&mut model, "j");
        assert_eq!(api_calls(&cmds), 0, "passing rows load nothing");
        fired.extend(timers(&cmds));
    }
    assert_eq!(fired.len(), 5);
    let mut loads = Vec::new();
    for timer in fired {
        loads.extend(update(&mut model, timer));
    }
    assert_eq!(loads.len(), 1);
    assert!(matches!(loads[0], Cmd::LoadSessions { user_id: 6, .. }));
    assert!(model.sessions.list.is_loading());

    // A late answer for a user no longer selected is dropped.
    update(
        &mut model,
        Msg::SessionsLoaded {
            user_id: 1,
            done: Done {
                request: RequestId(1),
                took: Default::default(),
                result: Ok(sessions()),
            },
        },
    );
    assert!(model.sessions.list.is_loading());
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
fn errors_show_on_a_banner_and_the_rest_keeps_working() {
    let mut model = Model::new("h", None, false);
    model.now = now();
    let mut server = FakeServer::new(100);
    server.fail_with = Some(ApiError::Forbidden {
        message: "not allowed".into(),
    });
    let cmds = super::update::init(&mut model);
    settle(&mut model, &server, cmds);
    let banner = model.banner.clone().expect("a banner");
    assert!(banner.error);
    assert!(banner.text.contains("403"), "{}", banner.text);
    assert!(model.users.error.is_some());
    // R retries; now the server answers.
    let cmds = type_keys(&mut model, "R");
    assert!(model.banner.is_none());
    settle(&mut model, &FakeServer::new(100), cmds);
    assert_eq!(model.users.total, Some(100));
    assert!(model.users.error.is_none());

    let mut offline = FakeServer::new(1);
    offline.fail_with = Some(ApiError::Connection {
        url: "http://x".into(),
        reason: "refused".into(),
    });
    let cmds = type_keys(&mut model, "R");
    settle(&mut model, &offline, cmds);
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|b| b.text.contains("offline"))
    );
    assert_eq!(model.users.total, Some(100), "what was loaded stays");
    update(&mut model, key(KeyCode::Esc));
    assert!(model.banner.is_none());
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

fn focus_sessions(model: &mut Model) {
    model.focus = Focus::Sessions;
    assert!(matches!(model.sessions.list, LoadState::Loaded(_)));
}

#[test]
fn x_asks_before_closing_one_session_and_n_sends_nothing() {
    let mut model = loaded_model(160, 45, 50);
    focus_sessions(&mut model);
    type_keys(&mut model, "j");
    assert!(type_keys(&mut model, "x").is_empty());
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::CloseSession { .. })));
    assert!(type_keys(&mut model, "n").is_empty());
    assert!(matches!(model.mode, Mode::Normal));

    type_keys(&mut model, "x");
    let cmds = type_keys(&mut model, "y");
    let (request, uuid) = match cmds.as_slice() {
        [
            Cmd::CloseSession {
                request,
                uuid,
                user_id: 1,
            },
        ] => (*request, uuid.clone()),
        other => panic!("one close expected, got {other:?}"),
    };
    assert!(uuid.starts_with("7b1d2e3f"));
    assert!(model.sessions.closing.contains(&uuid));
    update(
        &mut model,
        Msg::SessionClosed {
            user_id: 1,
            uuid: uuid.clone(),
            done: Done {
                request,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    let left = model.sessions.list.loaded().map(Vec::len);
    assert_eq!(left, Some(2));
    assert!(model.activity.iter().any(|entry| {
        entry
            .text
            .contains("Closed session 7b1d2e3f… of ali.moradi1")
    }));
}

#[test]
fn big_x_closes_all_but_the_consoles_own_and_reports_each_failure() {
    let mut model = loaded_model(160, 45, 50);
    focus_sessions(&mut model);
    type_keys(&mut model, "X");
    let Mode::Confirm(confirm) = &model.mode else {
        panic!("X asks first");
    };
    let Confirm::CloseSessions {
        sessions, kept_own, ..
    } = &**confirm
    else {
        panic!("a close-all confirmation");
    };
    assert_eq!(sessions.len(), 2);
    assert!(*kept_own);
    let cmds = update(&mut model, key(KeyCode::Enter));
    let closes: Vec<_> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::CloseSession { request, uuid, .. } => Some((*request, uuid.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(closes.len(), 2);
    assert!(
        closes.iter().all(|(_, uuid)| !uuid.starts_with("3f2a")),
        "own session kept"
    );
    assert_eq!(model.progress.as_ref().map(|p| p.total), Some(2));
    update(
        &mut model,
        Msg::SessionClosed {
            user_id: 1,
            uuid: closes[0].1.clone(),
            done: Done {
                request: closes[0].0,
                took: Default::default(),
                result: Ok(()),
            },
        },
    );
    assert_eq!(model.progress.as_ref().map(|p| p.done), Some(1));
    update(
        &mut model,
        Msg::SessionClosed {
            user_id: 1,
            uuid: closes[1].1.clone(),
            done: Done {
                request: closes[1].0,
                took: Default::default(),
                result: Err(ApiError::Forbidden {
                    message: "no".into(),
                }),
            },
        },
    );
    assert!(model.progress.is_none());
    let banner = model.banner.clone().expect("a summary");
    assert!(banner.error);
    assert!(banner.text.contains("1/2 done"), "{}", banner.text);
    assert!(
        banner.text.contains("c0ffee00"),
        "names the failed session: {}",
        banner.text
    );
    assert_eq!(model.sessions.list.loaded().map(Vec::len), Some(2));
}

#[test]
fn the_status_picker_changes_the_row_only_when_the_server_confirms() {
    let mut model = loaded_model(160, 45, 50);
    // user 1 is Active (index 1 of the statuses)
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
                user_id: 1,
                change: QuickChange::Status(UserStatus::Disabled),
            },
        ] => *request,
        other => panic!("one edit expected, got {other:?}"),
    };
    assert!(model.users.in_flight_edits.contains(&1));
    assert_eq!(
        model.users.selected_user().and_then(|u| u.status.clone()),
        Some(UserStatus::Active)
    );

    // Failure: the row stays as it was and the banner says why.
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 1,
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
    assert!(!model.users.in_flight_edits.contains(&1));
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
    let mut changed = super::fixtures::user(1);
    changed.status = Some(UserStatus::Disabled);
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 1,
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
    if let LoadState::Loaded(me) = &mut model.me {
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
    let hints = super::keys::footer_hints(&model);
    assert!(!hints.iter().any(|hint| hint.contains("revoke")));
}

// ---- forms ----

use super::form::Field;

fn form(model: &Model) -> &super::form::UserForm {
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
    model.plans = LoadState::Loaded(Vec::new());
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
            Cmd::SaveUser {
                user_id: 2,
                expected: Some(expected),
                update,
                ..
            },
        ] => {
            assert_eq!(expected.id, 2);
            assert_eq!(
                serde_json::Value::Object(update.to_json()),
                serde_json::json!({"email": "reza@geobox.ir", "mobile": null})
            );
        }
        other => panic!("one save expected, got {other:?}"),
    }
    assert!(form(&model).saving.is_some());
}

#[test]
fn a_422_lands_on_its_field_and_a_failed_save_keeps_the_form() {
    let mut model = loaded_model(160, 45, 50);
    model.plans = LoadState::Loaded(Vec::new());
    type_keys(&mut model, "e");
    update(&mut model, key(KeyCode::Tab));
    clear_field(&mut model);
    type_keys(&mut model, "taken@example.ir");
    let cmds = update(&mut model, ctrl('s'));
    let Some(Cmd::SaveUser { request, .. }) = cmds.first() else {
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
                    errors: vec![super::super::api::FieldError {
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
    let Some(Cmd::SaveUser { request, .. }) = cmds.first() else {
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
    model.plans = LoadState::Loaded(Vec::new());
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
    model.plans = LoadState::Loaded(Vec::new());
    type_keys(&mut model, "e");
    for _ in 0..2 {
        update(&mut model, key(KeyCode::Tab));
    }
    type_keys(&mut model, "a");
    let cmds = update(&mut model, ctrl('s'));
    let Some(Cmd::SaveUser { request, .. }) = cmds.first() else {
        panic!("a save");
    };
    let mut newer = super::fixtures::user(1);
    newer.email = Some("changed@elsewhere.ir".into());
    update(
        &mut model,
        Msg::SaveFoundStale {
            request: *request,
            current: Box::new(newer),
        },
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
        [
            Cmd::SaveUser {
                expected: Some(expected),
                ..
            },
        ] => {
            assert_eq!(expected.email.as_deref(), Some("changed@elsewhere.ir"));
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
    let mut created = super::fixtures::user(51);
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
fn u_undoes_the_last_quick_edit_after_asking() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "u");
    assert!(matches!(model.mode, Mode::Normal), "nothing to undo yet");
    type_keys(&mut model, "s");
    let cmds = type_keys(&mut model, "j");
    assert!(cmds.is_empty());
    let cmds = update(&mut model, key(KeyCode::Enter));
    let Some(Cmd::QuickEdit { request, .. }) = cmds.first() else {
        panic!("an edit");
    };
    let mut changed = super::fixtures::user(1);
    changed.status = Some(UserStatus::Disabled);
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 1,
            change: QuickChange::Status(UserStatus::Disabled),
            done: Done {
                request: *request,
                took: Default::default(),
                result: Ok(changed),
            },
        },
    );
    assert!(type_keys(&mut model, "u").is_empty(), "u asks first");
    let cmds = type_keys(&mut model, "y");
    match cmds.iter().find(|cmd| matches!(cmd, Cmd::SaveUser { .. })) {
        Some(Cmd::SaveUser {
            user_id: 1,
            expected: None,
            update,
            ..
        }) => {
            assert_eq!(update.status, Some(UserStatus::Active));
            assert!(update.role.is_none());
        }
        other => panic!("an undo save expected, got {other:?}"),
    }
    assert!(model.last_undo.is_none());
}

#[test]
fn big_x_on_marked_users_closes_their_sessions_after_one_confirmation() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "  ");
    assert!(type_keys(&mut model, "X").is_empty(), "asks first");
    assert!(
        matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::CloseSessionsOfUsers { ref targets } if targets.len() == 2))
    );
    let cmds = type_keys(&mut model, "y");
    let requests: Vec<(RequestId, i64)> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::CloseOtherSessions { request, user_id } => Some((*request, *user_id)),
            _ => None,
        })
        .collect();
    assert_eq!(
        requests.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    update(
        &mut model,
        Msg::OtherSessionsClosed {
            user_id: 1,
            done: Done {
                request: requests[0].0,
                took: Default::default(),
                result: Ok((2, Vec::new())),
            },
        },
    );
    assert_eq!(
        model.progress.as_ref().map(|p| (p.done, p.total)),
        Some((1, 2))
    );
    update(
        &mut model,
        Msg::OtherSessionsClosed {
            user_id: 2,
            done: Done {
                request: requests[1].0,
                took: Default::default(),
                result: Ok((1, vec!["c0ffee00…: not allowed (403): no".into()])),
            },
        },
    );
    let banner = model.banner.clone().expect("a summary");
    assert!(
        banner.error && banner.text.contains("1/2 done") && banner.text.contains("c0ffee00"),
        "{}",
        banner.text
    );
}

#[test]
fn a_server_that_caps_the_page_size_is_paged_by_what_it_gives() {
    let mut server = FakeServer::new(1_000);
    server.cap = Some(30);
    let mut model = Model::new("h", None, false);
    model.width = 160;
    model.height = 45;
    model.now = now();
    let cmds = super::update::init(&mut model);
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
        vec![(31, 930, 30), (32, 960, 30), (33, 990, 30)],
        "the screen of rows at the end"
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
                result: Ok(vec![super::fixtures::user(301)]),
            },
        },
    );
    assert_eq!(model.users.pages.len(), before);
}

#[test]
fn the_form_offers_system_admin_only_to_system_admins() {
    let mut model = loaded_model(160, 45, 50);
    model.plans = LoadState::Loaded(Vec::new());
    if let LoadState::Loaded(me) = &mut model.me {
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
