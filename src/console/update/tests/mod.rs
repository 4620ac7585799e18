//! `update` driven the way the admin drives it: keys through the real keymap, answers from a
//! pretend server, then the model and the commands are checked.

mod actions;
mod address_sweep;
mod bulk_query;
mod connection;
mod deployments;
mod feedback;
mod filters;
mod form;
mod journal;
mod list;
mod live;
mod lockdown;
mod query_bar;
mod safety;
mod session_choice;
mod sessions;
mod snags;
mod team_journal;
mod undo;
mod ux;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::{init, table_rows};
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::fixtures::update;
use crate::console::fixtures::{FakeServer, env, loaded_model, now, sessions, settle};
use crate::console::keys::{self, Keymap};
use crate::console::model::{
    Confirm, FilterField, Focus, LoadState, MAX_PAGES, Mode, Model, PAGE_SIZE,
};
use crate::console::msg::{Done, ExportDone, ExportError, Msg, QuickChange, RequestId};
use geobox_api::{ApiError, FieldError, UserRole, UserStatus};

fn key(code: KeyCode) -> Msg {
    Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Types each character as a key press and gathers the commands.
fn type_keys(model: &mut Model, keys: &str) -> Vec<Cmd> {
    type_keys_in(model, &env(), keys)
}

/// Types each character as a key press in `env` and gathers the commands.
fn type_keys_in(model: &mut Model, env: &Env, keys: &str) -> Vec<Cmd> {
    keys.chars()
        .flat_map(|c| super::update(model, env, key(KeyCode::Char(c))))
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

/// Tab until the open form's focus is on `field`.
fn focus_field(model: &mut Model, field: crate::console::form::Field) {
    while !matches!(&model.mode, Mode::Form(form) if form.focused() == field) {
        update(model, key(KeyCode::Tab));
    }
}

/// The users a whole-view read asked for (in `cmds`) come back: the model waits at the
/// confirmation.
fn collected_for(model: &mut Model, cmds: &[Cmd], users: Vec<geobox_api::User>) {
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::CollectMatching { request, .. } => Some(*request),
            _ => None,
        })
        .expect("the users are collected");
    update(
        model,
        Msg::MatchingCollected {
            request,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(users),
            },
        },
    );
}

/// The quick edits among `cmds`: whom, and what.
fn edits(cmds: &[Cmd]) -> Vec<(i64, QuickChange)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::QuickEdit {
                user_id, change, ..
            } => Some((*user_id, change.clone())),
            _ => None,
        })
        .collect()
}

/// `u` on the main screen: the read it asks for comes back with the users of the last change
/// as `now` says they are, so the journal panel shows the undo (or its refusal). Returns the
/// entry being undone.
fn undo_asked(
    model: &mut Model,
    now: impl Fn(&geobox_ops::journal::Entry) -> Vec<Option<geobox_api::User>>,
) -> geobox_ops::journal::Entry {
    let cmds = type_keys(model, "u");
    let (request, entry) = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::CheckUndo { request, entry } => Some((*request, (**entry).clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("u reads the users of the last change: {cmds:?}"));
    assert!(
        matches!(model.mode, Mode::Journal(_)),
        "shown in the journal panel"
    );
    let users = now(&entry);
    update(
        model,
        Msg::UndoChecked {
            entry: Box::new(entry.clone()),
            done: Done {
                request,
                took: Default::default(),
                result: Ok(users),
            },
        },
    );
    entry
}

/// The plan of the undo `cmds` carry out.
fn applied_plan(cmds: &[Cmd]) -> Option<geobox_ops::journal::UndoPlan> {
    cmds.iter().find_map(|cmd| match cmd {
        Cmd::ApplyUndo { plan, .. } => Some(plan.clone()),
        _ => None,
    })
}
