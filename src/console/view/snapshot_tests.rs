//! Whole screens drawn with `TestBackend` at 80x24 and 160x45, compared with insta snapshots,
//! plus the colours that snapshots cannot record, checked on the buffer.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::fixtures::update;
use crate::console::fixtures::{self, FakeServer, loaded_model, now, settle};
use crate::console::model::Model;
use crate::console::msg::Msg;
use crate::console::update::init;
use geobox_api::ApiError;

pub(super) const SIZES: [(u16, u16); 2] = [(80, 24), (160, 45)];

fn draw(model: &Model) -> Terminal<TestBackend> {
    draw_in(model, &fixtures::env())
}

fn draw_in(model: &Model, env: &Env) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(model.width, model.height)).expect("a test terminal");
    terminal
        .draw(|frame| super::view(model, env, frame))
        .expect("drawing works");
    terminal
}

pub(super) fn snapshot(name: &str, model: &Model) -> Terminal<TestBackend> {
    snapshot_in(name, model, &fixtures::env())
}

pub(super) fn snapshot_in(name: &str, model: &Model, env: &Env) -> Terminal<TestBackend> {
    let terminal = draw_in(model, env);
    insta::with_settings!({
        // Latency is the only text that may change between machines.
        filters => vec![(r"\d+ ms", "N ms")],
        snapshot_suffix => format!("{}x{}", model.width, model.height),
    }, {
        insta::assert_snapshot!(name, terminal.backend());
    });
    terminal
}

pub(super) fn keys(model: &mut Model, keys: &str) {
    keys_in(model, &fixtures::env(), keys);
}

pub(super) fn keys_in(model: &mut Model, env: &Env, keys: &str) {
    for c in keys.chars() {
        crate::console::update::update(
            model,
            env,
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        );
    }
}

pub(super) fn press(model: &mut Model, code: KeyCode) {
    update(
        model,
        Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE)),
    );
}

/// Finds the first cell where `text` starts, row by row.
pub(super) fn find(buffer: &Buffer, text: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return Some((x, y));
        }
    }
    None
}

/// Answers only the first `answers` commands: the rest stay in flight.
fn model_answering(width: u16, height: u16, server: &FakeServer) -> Model {
    let mut model = Model::new();
    model.width = width;
    model.height = height;
    model.now = now();
    let mut queue = init(&mut model);
    while let Some(cmd) = queue.pop() {
        let msg = match cmd {
            Cmd::After { msg, .. } => Some(*msg),
            other => server.answer(&other),
        };
        if let Some(msg) = msg {
            queue.extend(update(&mut model, msg));
        }
    }
    model
}

#[test]
fn table_with_data() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        let mut cmds = Vec::new();
        for c in "j  ".chars() {
            cmds.extend(update(
                &mut model,
                Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            ));
        }
        settle(&mut model, &FakeServer::new(1_204), cmds);
        let terminal = snapshot("table_with_data", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "● Active").expect("an active user is on screen");
        assert_eq!(buffer[(x, y)].fg, Color::Green, "Active is green");
        let (x, y) = find(buffer, "○ Disabled").expect("a disabled user is on screen");
        assert_eq!(buffer[(x, y)].fg, Color::Red, "Disabled is red");
        let (x, y) = find(buffer, "◐ Pending").expect("a pending user is on screen");
        assert_eq!(buffer[(x, y)].fg, Color::Yellow);
        // The selected row (user 4 after j, Space, Space) is in reverse video with its bar.
        let (_, y) = find(buffer, "▌ 4 ").expect("the selected row has the bar");
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        let byte = row.find("neda.rezaei4").expect("the selected user");
        let x = row[..byte].chars().count() as u16;
        assert!(
            buffer[(x, y)].modifier.contains(Modifier::REVERSED),
            "{:?} at {x},{y}",
            buffer[(x, y)]
        );
        assert!(find(buffer, "*").is_some(), "marked rows show a star");
        // An expired account is red with a `!`.
        if width >= 120 {
            let (x, y) = find(buffer, "2026-11-20!").expect("an expired date");
            assert_eq!(buffer[(x, y)].fg, Color::Red);
        }
    }
}

#[test]
fn no_color_keeps_the_symbols() {
    let model = loaded_model(160, 45, 50);
    let env = Env {
        color: false,
        ..fixtures::env()
    };
    let terminal = draw_in(&model, &env);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "● Active").expect("the symbol is there without colour");
    assert_eq!(buffer[(x, y)].fg, Color::Reset);
    assert!(find(buffer, "○ Disabled").is_some());
    assert!(find(buffer, "◐ Pending").is_some());
}

#[test]
fn loading() {
    for (width, height) in SIZES {
        let mut model = Model::new();
        model.width = width;
        model.height = height;
        model.now = now();
        init(&mut model);
        let terminal = snapshot("loading", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "loading users").expect("a spinner where the users will be");
        assert_eq!(buffer[(x, y)].fg, Color::Yellow);
    }
}

#[test]
fn empty_result() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 0);
        model.filters.search = "zzz".into();
        snapshot("empty_result", &model);
    }
}

#[test]
fn an_error() {
    for (width, height) in SIZES {
        let mut server = FakeServer::new(10);
        server.fail_with = Some(ApiError::Unauthorized {
            message: "token expired".into(),
        });
        let model = model_answering(width, height, &server);
        let terminal = snapshot("an_error", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "✗ Reading the signed-in user")
            .or_else(|| find(buffer, "✗ Loading users"))
            .expect("a banner");
        assert_eq!(buffer[(x, y)].bg, Color::Red, "errors are on red");
    }
}

#[test]
fn the_filter_panel() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "f");
        press(&mut model, KeyCode::Right);
        press(&mut model, KeyCode::Down);
        press(&mut model, KeyCode::Down);
        press(&mut model, KeyCode::Down);
        keys(&mut model, "username LIKE 'a%");
        snapshot("filter_panel", &model);

        // A kept search shows in the panel, and Ctrl-R clears it with the rest.
        let mut model = loaded_model(width, height, 1_204);
        model.filters.search = "rezaei".into();
        keys(&mut model, "f");
        let terminal = snapshot("filter_panel_kept_search", &model);
        assert!(
            find(
                terminal.backend().buffer(),
                "/rezaei  (from /; Ctrl-R clears it too)"
            )
            .is_some()
        );
    }
}

#[test]
fn the_help_overlay() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "?");
        let terminal = snapshot("help", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "PgDn").expect("keys are listed");
        assert_eq!(buffer[(x, y)].fg, Color::Cyan, "keys are cyan");
    }
}

#[test]
fn filters_as_chips_in_the_title_bar() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        model.filters.status = Some(geobox_api::UserStatus::Active);
        model.filters.role = Some(geobox_api::UserRole::Editor);
        model.filters.search = "ali".into();
        let env = Env {
            demo_url: Some("http://127.0.0.1:41235/v1/".into()),
            ..fixtures::env()
        };
        snapshot_in("chips_and_demo", &model, &env);
    }
}

#[test]
fn sessions_focused_on_a_narrow_screen() {
    let mut model = loaded_model(80, 24, 1_204);
    press(&mut model, KeyCode::Tab);
    press(&mut model, KeyCode::Tab);
    snapshot("sessions_focused", &model);
}

#[test]
fn dialogs() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "s");
        snapshot("status_picker", &model);
        press(&mut model, KeyCode::Esc);

        model.focus = crate::console::model::Focus::Sessions;
        keys(&mut model, "j X");
        snapshot("close_sessions_choice", &model);
        press(&mut model, KeyCode::Enter);
        snapshot("close_sessions", &model);
        press(&mut model, KeyCode::Esc);
        model.focus = crate::console::model::Focus::Table;

        // Not the signed-in admin (user 1): the dialog itself, and ⏎ on a wrong name.
        keys(&mut model, "jD");
        keys(&mut model, "sara");
        press(&mut model, KeyCode::Enter);
        let terminal = snapshot("delete", &model);
        assert!(find(terminal.backend().buffer(), "That is not the username").is_some());
        press(&mut model, KeyCode::Esc);
        keys(&mut model, "k");

        keys(&mut model, "p");
        keys(&mut model, "hunter2");
        let terminal = snapshot("password", &model);
        assert!(
            find(terminal.backend().buffer(), "hunter2").is_none(),
            "masked"
        );
        press(&mut model, KeyCode::Esc);

        keys(&mut model, "jP");
        snapshot("renew_plan", &model);
    }
}

#[test]
fn forms() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        model.plans.state = crate::console::model::LoadState::Loaded(Vec::new());
        keys(&mut model, "je");
        press(&mut model, KeyCode::Tab);
        update(
            &mut model,
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        );
        keys(&mut model, "reza@geobox");
        let terminal = draw(&model);
        assert!(
            find(
                terminal.backend().buffer(),
                "✗ email: not an email (name@host.tld)"
            )
            .is_some(),
            "the focused field's reason is given whole under the fields"
        );
        press(&mut model, KeyCode::Down);
        press(&mut model, KeyCode::Down);
        press(&mut model, KeyCode::Down);
        press(&mut model, KeyCode::Down);
        press(&mut model, KeyCode::Right);
        let terminal = snapshot("edit_form", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "✗ not an email").expect("the invalid email says why");
        assert_eq!(buffer[(x, y)].fg, Color::Red);
        assert!(find(buffer, "Changes").is_some());
        press(&mut model, KeyCode::Esc);
        snapshot("edit_form_discard", &model);
        keys(&mut model, "y");

        keys(&mut model, "n");
        keys(&mut model, "new.user");
        for _ in 0..7 {
            press(&mut model, KeyCode::Tab);
        }
        keys(&mut model, "secret-pass");
        let terminal = snapshot("create_form", &model);
        assert!(
            find(terminal.backend().buffer(), "secret-pass").is_none(),
            "masked"
        );
    }
}

#[test]
fn more_dialogs_and_panes() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "r");
        snapshot("role_picker", &model);
        press(&mut model, KeyCode::Esc);

        model.focus = crate::console::model::Focus::Sessions;
        keys(&mut model, "jx");
        snapshot("close_one_session", &model);
        press(&mut model, KeyCode::Esc);
        model.focus = crate::console::model::Focus::Table;

        keys(&mut model, "  s");
        press(&mut model, KeyCode::Enter);
        snapshot("bulk_confirm", &model);
        press(&mut model, KeyCode::Esc);

        // u: the last change (user 5 disabled), its undo shown in the journal panel.
        let mut disabled = crate::console::fixtures::user(5);
        disabled.status = Some(geobox_api::UserStatus::Disabled);
        update(
            &mut model,
            Msg::UserUpdated {
                user_id: 5,
                change: crate::console::msg::QuickChange::Status(geobox_api::UserStatus::Disabled),
                done: crate::console::msg::Done {
                    request: crate::console::msg::RequestId(800),
                    took: Default::default(),
                    result: Ok(disabled.clone()),
                },
            },
        );
        let cmds = update(
            &mut model,
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::NONE)),
        );
        let Some((request, entry)) = cmds.iter().find_map(|cmd| match cmd {
            Cmd::CheckUndo { request, entry } => Some((*request, entry.clone())),
            _ => None,
        }) else {
            panic!("u reads the user of the last change: {cmds:?}");
        };
        update(
            &mut model,
            Msg::UndoChecked {
                entry,
                done: crate::console::msg::Done {
                    request,
                    took: Default::default(),
                    result: Ok(vec![Some(disabled)]),
                },
            },
        );
        let terminal = snapshot("undo_confirm", &model);
        assert!(find(terminal.backend().buffer(), "status: Disabled → Active").is_some());
        press(&mut model, KeyCode::Esc);
        press(&mut model, KeyCode::Esc);

        model.activity.push(crate::console::model::Activity {
            at: now(),
            text: "ali.moradi1: status Disabled set".into(),
            ok: true,
        });
        model.activity.push(crate::console::model::Activity {
            at: now(),
            text: "Closing session 7b1d2e3f… failed: not allowed (403)".into(),
            ok: false,
        });
        keys(&mut model, "A");
        let terminal = snapshot("activity_log", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "✗ Closing session").expect("the failure is listed");
        assert_eq!(buffer[(x, y)].fg, Color::Red);
    }
}

#[test]
fn read_only_says_so_and_hides_actions() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        model.read_only = true;
        let terminal = snapshot("read_only", &model);
        let buffer = terminal.backend().buffer();
        assert!(find(buffer, "READ-ONLY").is_some());
        assert!(find(buffer, "s status").is_none());
        assert!(find(buffer, "D delete").is_none());
    }
}

#[test]
fn any_terminal_size_draws_without_panicking() {
    let sizes = [
        (1, 1),
        (10, 3),
        (24, 6),
        (40, 10),
        (79, 23),
        (119, 30),
        (121, 30),
        (300, 100),
    ];
    let openers = [
        "", "?", "f", "/ab", "s", "r", "D", "p", "e", "n", "P", "L", "A",
    ];
    for (width, height) in sizes {
        for opener in openers {
            let mut model = loaded_model(width, height, 1_204);
            model.plans.state = crate::console::model::LoadState::Loaded(Vec::new());
            model.banner = Some(crate::console::model::Banner {
                text: "a long banner that will not fit on a small screen at all".into(),
                error: true,
                note: false,
            });
            keys(&mut model, opener);
            draw(&model);
        }
    }
}

#[test]
fn offline_with_stale_rows() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        let cmds = update(
            &mut model,
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE)),
        );
        settle(&mut model, &FakeServer::gone(1_204), cmds);
        model.now += chrono::Duration::seconds(12);
        let terminal = snapshot("offline", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "offline · 12 s").expect("the title bar says offline");
        assert_eq!(buffer[(x, y)].fg, Color::LightRed, "offline is said in red");
        find(buffer, "✗ offline").expect("rows not loaded say why");
    }
}

#[test]
fn a_page_that_failed() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        let mut server = FakeServer::new(1_204);
        server.fail_with = Some(ApiError::Server {
            status: 500,
            message: "database is locked".into(),
        });
        let cmds = update(
            &mut model,
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE)),
        );
        settle(&mut model, &server, cmds);
        let terminal = snapshot("failed_page", &model);
        let buffer = terminal.backend().buffer();
        find(buffer, "✗ failed").expect("rows not loaded say so");
        assert!(
            find(buffer, "loading…").is_none(),
            "no spinner for a failed page"
        );
    }
}

#[test]
fn query_bar() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        let env = Env {
            api_base: "https://geobox.example.ir/v1/".to_string(),
            ..fixtures::env()
        };
        model.query_bar.page_latency = Some(std::time::Duration::from_millis(42));
        model.filters.cql = "username LIKE '%gis%'".to_string();
        keys_in(&mut model, &env, ":y");
        snapshot_in("query_bar", &model, &env);
    }
}

#[test]
fn a_form_on_a_tiny_screen_scrolls_and_says_more_fields_exist() {
    let mut model = loaded_model(40, 12, 50);
    model.plans.state = crate::console::model::LoadState::Loaded(Vec::new());
    keys(&mut model, "je");
    let terminal = draw(&model);
    assert!(
        find(terminal.backend().buffer(), "more below").is_some(),
        "the hidden fields are announced"
    );
    for _ in 0..8 {
        press(&mut model, KeyCode::Tab);
    }
    snapshot("form_scrolled", &model);
}

#[test]
fn a_bulk_grant_warns_and_a_viewer_is_offered_only_their_keys() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "  r");
        // The picker starts on Viewer, the last choice; one step on wraps to System Admin.
        keys(&mut model, "j");
        press(&mut model, KeyCode::Enter);
        let terminal = snapshot("bulk_role_confirm", &model);
        assert!(
            find(
                terminal.backend().buffer(),
                "⚠ 2 users will be System Admin"
            )
            .is_some()
        );

        let mut viewer = loaded_model(width, height, 1_204);
        if let crate::console::model::LoadState::Loaded(me) = &mut viewer.me.state {
            me.role = Some(geobox_api::UserRole::Viewer);
        }
        viewer.banner = None;
        let terminal = snapshot("viewer_footer", &viewer);
        assert!(find(terminal.backend().buffer(), "s status").is_none());
    }
}
