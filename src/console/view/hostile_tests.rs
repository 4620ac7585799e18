//! Every view and dialog drawn with hostile text in every field a server, a file or the
//! journal fills in: escape sequences (a cleared screen, a window title, an OSC 52 clipboard
//! write), C1 controls, bidirectional overrides and marks, and line breaks. Nothing of it may
//! reach a cell as it is; it shows as `⟨U+202E⟩`, `␊` and the like instead.

use std::path::PathBuf;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use serde_json::{Value, json};
use tui_input::Input;

use super::snapshot_tests::keys;
use crate::console::env::Env;
use crate::console::fixtures::loaded_model;
use crate::console::model::{
    Activity, AddressSweep, AfterSelfHarm, Banner, BulkAction, BulkQuery, BulkStage, Confirm,
    ExportDialog, FilterPanel, Focus, JournalView, LoadState, LockdownDialog, LockdownResult, Mode,
    Model, Naming, TargetUser, UndoAsk, ViewEntry, ViewPicker,
};
use crate::console::msg::{QuickChange, RequestId};
use geobox_api::{Session, User, UserStatus};
use geobox_ops::bulk::{Change, Progress, Targets};
use geobox_ops::clean::is_clean;
use geobox_ops::journal::{
    Action, Entry, Field, FieldChange, Outcome, Tool, UndoPlan, UndoStep, UserChange, Values,
};
use geobox_ops::safety::SelfHarm;
use geobox_ops::views::View;

/// A clear screen, a window title, a clipboard write, a C1 CSI, NEL, a right-to-left
/// override, an isolate, a right-to-left mark, a line break, a carriage return and a tab.
const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{85}\
                       \u{202E}gpj.exe\u{2066}x\u{2069}\u{200F}\nline2\r\t";

fn hostile(text: &str) -> String {
    format!("{text}{HOSTILE}end")
}

/// The user `id` with hostile text in every field the server fills in.
fn hostile_user(id: i64) -> User {
    let value = json!({
        "id": id,
        "username": hostile(&format!("u{id}")),
        "email": hostile("mail@x"),
        "first_name": hostile("first"),
        "last_name": hostile("last"),
        "mobile": hostile("+98"),
        "role": if id % 2 == 0 { json!(hostile("Auditor")) } else { json!("Viewer") },
        "status": if id % 3 == 0 { json!(hostile("Frozen")) } else { json!("Active") },
        "plan": {"id": 2, "name": hostile("pro"), "display_name": hostile("Pro"),
                 "plan_color": hostile("#22aa55"), "number_of_days": 30},
        "expiration_date": hostile("2026-12-11"),
        "parent_id": 1,
        "created_at": hostile("2025-04-02"),
        hostile("tenant_zone"): hostile("ir-1"),
        "nested": {"note": hostile("deep")},
    });
    serde_json::from_value(value).expect("a hostile user")
}

fn hostile_sessions() -> Vec<Session> {
    let value = json!([
        {"uuid": hostile("3f2a"), "agent": hostile("geobox-users/0.1.0"), "ip": hostile("127.0.0.1"),
         "created_at": hostile("then"), "last_seen": "2026-11-29T11:59:50Z", "current": true},
        {"uuid": "7b1d", "agent": hostile("Mozilla/5.0 (Windows NT 10.0) Firefox/128.0"),
         "ip": hostile("10.0.4.7"), "created_at": "2026-11-26T12:00:00Z",
         "last_seen": hostile("later")},
    ]);
    serde_json::from_value(value).expect("hostile sessions")
}

fn hostile_values() -> Values {
    let mut values = Values::default();
    values
        .0
        .insert(Field::Username, Value::from(hostile("old")));
    values.0.insert(Field::Email, Value::from(hostile("a@b")));
    values
}

fn hostile_entry(id: &str) -> Entry {
    let mut entry = Entry::new(
        &hostile("http://h/v1/"),
        Tool::Console,
        Action::Update,
        Outcome::Error(hostile("server said")),
    );
    entry.id = id.to_string();
    entry.by = Some(hostile("admin"));
    entry.detail = Some(hostile("detail"));
    entry.changes.push(
        UserChange::new(Some(4), Some(hostile("neda"))).values(hostile_values(), hostile_values()),
    );
    entry
}

fn target(id: i64) -> TargetUser {
    TargetUser {
        id,
        username: hostile(&format!("u{id}")),
    }
}

/// A loaded console whose every user, session, name and message is hostile.
fn hostile_model(width: u16, height: u16) -> Model {
    let mut model = loaded_model(width, height, 50);
    for users in model.users.pages.values_mut() {
        for user in users.iter_mut() {
            *user = hostile_user(user.id);
        }
    }
    if let LoadState::Loaded(me) = &mut model.me.state {
        me.username = hostile("admin");
    }
    model.sessions.list.state = LoadState::Loaded(hostile_sessions());
    model.banner = Some(Banner {
        text: hostile("Saving failed: 422"),
        error: true,
        note: false,
    });
    model.filters.search = hostile("find");
    model.cql_server_error = Some(hostile("unknown field"));
    model.users.error = Some(hostile("list failed"));
    model.activity.push(Activity {
        at: model.now,
        text: hostile("did something"),
        ok: false,
    });
    model
}

fn hostile_env() -> Env {
    Env {
        demo_url: None,
        ..Env::new(hostile("geobox.example.ir"))
    }
}

/// Every cell of `buffer` that holds a control character or a bidirectional control.
fn unclean_cells(buffer: &Buffer) -> Vec<(u16, u16, String)> {
    let area = buffer.area;
    let mut found = Vec::new();
    for y in 0..area.height {
        for x in 0..area.width {
            let symbol = buffer[(x, y)].symbol();
            if !is_clean(symbol) {
                found.push((x, y, symbol.escape_unicode().to_string()));
            }
        }
    }
    found
}

fn screen_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Draws `model` and asserts no cell holds a control or a bidirectional control; returns the
/// screen's text.
fn drawn_clean(what: &str, model: &Model, env: &Env) -> String {
    let mut terminal =
        Terminal::new(TestBackend::new(model.width, model.height)).expect("a test terminal");
    terminal
        .draw(|frame| super::view(model, env, frame))
        .expect("drawing works");
    let buffer = terminal.backend().buffer();
    let unclean = unclean_cells(buffer);
    assert!(
        unclean.is_empty(),
        "{what} at {}x{}: raw controls in {unclean:?}\n{}",
        model.width,
        model.height,
        screen_text(buffer)
    );
    screen_text(buffer)
}

fn with_mode(model: &Model, mode: Mode) -> Model {
    let mut model = model.clone();
    model.mode = mode;
    model
}

fn confirm(model: &Model, confirm: Confirm) -> Model {
    with_mode(model, Mode::Confirm(Box::new(confirm)))
}

/// Each dialog a confirmation can be, with hostile names, sessions and values.
fn confirmations() -> Vec<Confirm> {
    let session = hostile_sessions().remove(0);
    let mut sweep = AddressSweep {
        address: hostile("5.22.1.9"),
        searched: 3,
        of_filter: Some(40),
        ..AddressSweep::default()
    };
    sweep.found.push((target(2), hostile_sessions()));
    sweep.unlisted.push((target(3), hostile("403 from server")));
    vec![
        Confirm::CloseSession {
            user: target(2),
            session: session.clone(),
        },
        Confirm::CloseSessions {
            user: target(2),
            sessions: hostile_sessions(),
            kept_own: true,
        },
        Confirm::CloseSessionsOfUsers {
            targets: vec![target(2), target(3)],
        },
        Confirm::CloseFromAddress { sweep },
        Confirm::BulkChange {
            targets: vec![target(2), target(3)],
            change: QuickChange::Role(geobox_api::UserRole::AccountAdmin),
            notes: vec![hostile("1 user already so")],
            warnings: vec![hostile("⚠ u2 will be Account Admin")],
        },
        Confirm::SelfHarm {
            harm: SelfHarm::Disable,
            typed: Input::new(hostile("adm")),
            mismatch: true,
            then: AfterSelfHarm::Quick {
                target: target(1),
                change: QuickChange::Status(UserStatus::Disabled),
            },
        },
        Confirm::Delete {
            user: target(2),
            typed: Input::new(hostile("typed")),
            mismatch: true,
        },
        Confirm::RenewPlan {
            user: target(2),
            plan: Some(hostile("Pro")),
            days: Some(30),
            current: Some(hostile("2026-12-11")),
            new_expiration: Some("2027-01-10".to_string()),
        },
    ]
}

fn journal_views() -> Vec<JournalView> {
    let earlier = LoadState::Loaded(vec![hostile_entry("earlier001")]);
    let plan = UndoPlan {
        steps: vec![
            UndoStep::Update {
                user_id: 4,
                username: Some(hostile("neda")),
                changes: vec![FieldChange {
                    field: Field::Email,
                    from: Value::from(hostile("now")),
                    to: Value::from(hostile("then")),
                }],
            },
            UndoStep::Create {
                fields: hostile_values(),
            },
        ],
        notes: vec![hostile("note")],
        ..UndoPlan::default()
    };
    vec![
        JournalView {
            earlier: earlier.clone(),
            only_user: Some(target(4)),
            undo: UndoAsk::Ready {
                entry: Box::new(hostile_entry("thisrun001")),
                plan: Box::new(plan),
                typed: Input::new(hostile("12")),
                mismatch: true,
            },
            ..JournalView::default()
        },
        JournalView {
            earlier,
            undo: UndoAsk::Refused {
                text: hostile("Not undone: changed since the entry"),
            },
            ..JournalView::default()
        },
        JournalView {
            earlier: LoadState::Failed(hostile("cannot read the journal")),
            ..JournalView::default()
        },
    ]
}

fn bulk_stages() -> Vec<BulkStage> {
    let targets = Targets::split(
        (2..=8).map(hostile_user).collect(),
        &Change::Status(UserStatus::Disabled),
    );
    vec![
        BulkStage::Offer,
        BulkStage::Choose {
            choices: vec![Change::Status(UserStatus::Active)],
            cursor: 0,
        },
        BulkStage::Confirm {
            change: Change::Status(UserStatus::Disabled),
            targets,
            typed: Input::new(hostile("7")),
            mismatch: true,
            notes: vec![hostile("admin (you) is left out")],
            warnings: vec![hostile("⚠ 7 users will be System Admin")],
        },
        BulkStage::Running {
            request: RequestId(9),
            change: Change::Status(UserStatus::Disabled),
            progress: Progress {
                done: 3,
                total: 7,
                elapsed: Duration::from_secs(1),
            },
            skipped: 0,
            stopping: true,
        },
    ]
}

/// Every screen of the console, each drawn from the same hostile data.
fn every_screen(base: &Model, env: &Env) -> Vec<(String, Model)> {
    let mut screens = vec![("main".to_string(), base.clone())];
    for focus in [Focus::Detail, Focus::Sessions, Focus::Activity] {
        let mut model = base.clone();
        model.focus = focus;
        model.show_activity = focus == Focus::Activity;
        screens.push((format!("{focus:?}"), model));
    }
    for keys_typed in ["s", "r", "e", "n", "p", "X", "?", ":", "w", "f"] {
        let mut model = base.clone();
        keys(&mut model, keys_typed);
        if let Mode::Form(form) = &mut model.mode
            && form.is_create()
        {
            keys(&mut model, &hostile("typed"));
        }
        assert!(
            !matches!(model.mode, Mode::Normal),
            "{keys_typed} opens its dialog: {:?}",
            model.banner
        );
        screens.push((format!("keys {keys_typed}"), model));
    }
    let mut searching = base.clone();
    keys(&mut searching, "/");
    searching.mode = Mode::Search(Input::new(hostile("typed")));
    screens.push(("search".to_string(), searching));
    for (index, confirmation) in confirmations().into_iter().enumerate() {
        screens.push((format!("confirmation {index}"), confirm(base, confirmation)));
    }
    for (index, view) in journal_views().into_iter().enumerate() {
        let mut model = with_mode(base, Mode::Journal(Box::new(view)));
        model.journal.this_run.push(hostile_entry("thisrun001"));
        screens.push((format!("journal {index}"), model));
    }
    let mut asking = LockdownDialog::new(vec![target(2), target(3)]);
    asking.reset_password = true;
    screens.push((
        "lockdown asking".to_string(),
        with_mode(base, Mode::Lockdown(Box::new(asking))),
    ));
    let mut outcome = LockdownDialog::new(vec![target(2)]);
    outcome.started = true;
    outcome.results.push(LockdownResult {
        who: hostile("u2 (2)"),
        steps: vec![hostile("disable         ok     status")],
        missed: Some(hostile("not done: close sessions")),
        new_password: None,
    });
    screens.push((
        "lockdown outcome".to_string(),
        with_mode(base, Mode::Lockdown(Box::new(outcome))),
    ));
    screens.push((
        "export asking".to_string(),
        with_mode(
            base,
            Mode::Export(Box::new(ExportDialog::Asking {
                path: Input::new(hostile("users.csv")),
            })),
        ),
    ));
    screens.push((
        "export overwrite".to_string(),
        with_mode(
            base,
            Mode::Export(Box::new(ExportDialog::Overwrite {
                path: PathBuf::from(hostile("users.csv")),
            })),
        ),
    ));
    screens.push((
        "export running".to_string(),
        with_mode(
            base,
            Mode::Export(Box::new(ExportDialog::Running {
                request: RequestId(3),
                path: PathBuf::from(hostile("users.csv")),
                progress: Progress {
                    done: 1,
                    total: 2,
                    elapsed: Duration::from_secs(1),
                },
                stopping: false,
            })),
        ),
    ));
    let mut copied = base.clone();
    crate::console::update::update(&mut copied, env, crate::console::msg::Msg::OpenQueryBar);
    copied.query_bar.copied = Some(crate::console::model::Copied {
        what: "the CLI command",
        text: hostile("geobox-users users list --search"),
    });
    screens.push(("query bar copied".to_string(), copied));
    let panel = FilterPanel {
        cql: Input::new(hostile("username LIKE 'a'")),
        search_fields: Input::new(hostile("email")),
        cql_error: Some(hostile("unexpected")),
        ..FilterPanel::default()
    };
    screens.push((
        "filters".to_string(),
        with_mode(base, Mode::Filters(Box::new(panel))),
    ));
    let picker = ViewPicker {
        entries: vec![ViewEntry {
            name: hostile("mine"),
            view: View {
                search: Some(hostile("gmail")),
                q: Some(hostile("id > 1")),
                ..View::default()
            },
            built_in: false,
        }],
        naming: Some((Naming::Rename(hostile("mine")), Input::new(hostile("new")))),
        error: Some(hostile("config file unreadable")),
        ..ViewPicker::default()
    };
    screens.push((
        "views".to_string(),
        with_mode(base, Mode::Views(Box::new(picker))),
    ));
    for (index, stage) in bulk_stages().into_iter().enumerate() {
        let query = BulkQuery {
            action: BulkAction::Status,
            matching: Some(7),
            selected: Some(hostile("u1")),
            stage,
        };
        screens.push((
            format!("bulk stage {index}"),
            with_mode(base, Mode::BulkQuery(Box::new(query))),
        ));
    }
    screens
}

#[test]
fn hostile_text_reaches_no_cell_as_it_is_in_any_view_or_dialog() {
    let env = hostile_env();
    for (width, height) in [(80, 24), (160, 45)] {
        let base = hostile_model(width, height);
        for (what, model) in every_screen(&base, &env) {
            drawn_clean(&what, &model, &env);
        }
    }
}

#[test]
fn hostile_text_is_shown_for_what_it_is() {
    let env = hostile_env();
    let model = hostile_model(160, 45);
    let main = drawn_clean("main", &model, &env);
    // The table's cells, the detail pane and the sessions pane show the marks, not nothing:
    // a line break no longer hides the rest of a field.
    assert!(main.contains("u2⟨U+001B⟩[2J"), "{main}");
    assert!(main.contains("⟨U+202E⟩gpj.exe"), "{main}");
    assert!(main.contains("␊line2"), "{main}");
    let mut detail = model.clone();
    detail.focus = Focus::Detail;
    let detail = drawn_clean("detail", &detail, &env);
    assert!(detail.contains("⟨U+200F⟩"), "{detail}");
}
