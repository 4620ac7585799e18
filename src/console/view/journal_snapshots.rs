//! Snapshots of the journal panel: this run's entries over earlier ones, an undo's change
//! shown before it runs, and the refusal when the user changed since.

use chrono::Duration;
use crossterm::event::KeyCode;
use ratatui::style::Color;

use super::snapshot_tests::{SIZES, find, keys, press, snapshot};
use crate::console::cmd::Cmd;
use crate::console::fixtures::update;
use crate::console::fixtures::{loaded_model, now, user};
use crate::console::model::Model;
use crate::console::msg::{Done, Msg, QuickChange, RequestId};
use geobox_api::UserStatus;
use geobox_ops::journal::{Action, Entry, Outcome, Tool, UserChange, Values};

fn answered<T>(request: RequestId, result: T) -> Done<T> {
    Done {
        request,
        took: Default::default(),
        result: Ok(result),
    }
}

fn disabled(id: i64) -> geobox_api::User {
    let mut changed = user(id);
    changed.status = Some(UserStatus::Disabled);
    changed
}

/// Ids are random; the screen is not.
fn earlier() -> Vec<Entry> {
    let mut renewal = Entry::new("", Tool::Cli, Action::RenewPlan, Outcome::Ok);
    renewal.id = "p0c7ayn2re".into();
    renewal.time = now() - Duration::hours(20);
    renewal.by = Some("admin".into());
    renewal.changes = vec![UserChange::new(Some(3), Some(user(3).username))];
    let mut failed = Entry::new(
        "",
        Tool::Cli,
        Action::Delete,
        Outcome::Error("not allowed (403)".into()),
    );
    failed.id = "d9x2l1m0qq".into();
    failed.time = now() - Duration::hours(26);
    failed.changes = vec![
        UserChange::new(Some(4), Some(user(4).username))
            .values(Values::of_user(&user(4)), Values::default()),
    ];
    vec![renewal, failed]
}

/// The journal open on a run that disabled user 1, with two earlier entries read.
fn journal_open(width: u16, height: u16) -> Model {
    let mut model = loaded_model(width, height, 1_204);
    update(
        &mut model,
        Msg::UserUpdated {
            user_id: 1,
            change: QuickChange::Status(UserStatus::Disabled),
            done: answered(RequestId(900), disabled(1)),
        },
    );
    model.journal.this_run[0].id = "k3v9q2m1xa".into();
    let cmds = update(&mut model, Msg::KeyPressed(key('L')));
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::ReadJournal { request, .. } => Some(*request),
            _ => None,
        })
        .expect("the runner reads the journal");
    update(
        &mut model,
        Msg::JournalRead {
            request,
            result: Ok(earlier()),
        },
    );
    model
}

fn key(c: char) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(KeyCode::Char(c), crossterm::event::KeyModifiers::NONE)
}

/// Presses `u` and answers the read of the entry's user with `now`.
fn ask_undo(model: &mut Model, now: geobox_api::User) {
    let cmds = update(model, Msg::KeyPressed(key('u')));
    let Some((request, entry)) = cmds.iter().find_map(|cmd| match cmd {
        Cmd::CheckUndo { request, entry } => Some((*request, entry.clone())),
        _ => None,
    }) else {
        panic!("u reads the user first");
    };
    update(
        model,
        Msg::UndoChecked {
            entry,
            done: answered(request, vec![Some(now)]),
        },
    );
}

#[test]
fn the_journal_with_an_undo_and_a_refusal() {
    for (width, height) in SIZES {
        let mut model = journal_open(width, height);
        let terminal = snapshot("journal", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "✗ 11-28").expect("the failed entry is listed");
        assert_eq!(buffer[(x, y)].fg, Color::Red);

        ask_undo(&mut model, disabled(1));
        snapshot("journal_undo", &model);
        press(&mut model, KeyCode::Esc);

        let mut changed_since = disabled(1);
        changed_since.status = Some(UserStatus::Pending);
        ask_undo(&mut model, changed_since);
        snapshot("journal_undo_refused", &model);
        press(&mut model, KeyCode::Esc);
        keys(&mut model, "q");
    }
}

#[test]
fn an_undone_entry_is_marked_in_the_journal() {
    for (width, height) in SIZES {
        let mut model = journal_open(width, height);
        ask_undo(&mut model, disabled(1));
        let cmds = update(&mut model, Msg::KeyPressed(key('y')));
        let Some(request) = cmds.iter().find_map(|cmd| match cmd {
            Cmd::ApplyUndo { request, .. } => Some(*request),
            _ => None,
        }) else {
            panic!("y carries the undo out");
        };
        let mut undo = Entry::new("", Tool::Console, Action::Update, Outcome::Ok);
        undo.id = "u7ndo0ne01".into();
        undo.undoes = Some("k3v9q2m1xa".into());
        update(
            &mut model,
            Msg::UndoApplied {
                request,
                entry: Box::new(undo),
                new_passwords: Vec::new(),
                unreachable: false,
            },
        );
        let terminal = snapshot("journal_undone", &model);
        assert!(find(terminal.backend().buffer(), "↶ 11-29").is_some());
    }
}
