//! What the admin is told: the banner, the activity log, the progress of bulk actions, the
//! last request in the footer, and errors explained in words they can act on.

use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::layout::scrolled;
use crate::console::model::{Activity, Focus, LastRequest, Model, Progress};
use crate::console::msg::Done;
use geobox_api::ApiError;

pub(super) fn tick(model: &mut Model) {
    if model.is_busy() {
        model.spinner = model.spinner.wrapping_add(1);
    }
}

/// `A`: shows the activity log with the keyboard on it (j/k scroll, q or Esc close), or hides it.
pub(super) fn toggle_activity_log(model: &mut Model) {
    model.show_activity = !model.show_activity;
    model.activity_scroll = 0;
    if model.show_activity {
        model.focus = Focus::Activity;
    } else if model.focus == Focus::Activity {
        model.focus = Focus::Table;
    }
}

/// Scrolls the log: down (j) toward the newest entry, up (k) toward older ones.
pub(super) fn scroll_activity(model: &mut Model, delta: i32) {
    let older = u16::try_from(model.activity.len()).unwrap_or(u16::MAX);
    model.activity_scroll = scrolled(model.activity_scroll, -delta).min(older);
}

pub(super) fn note_request<T>(model: &mut Model, label: &'static str, done: &Done<T>) {
    let outcome = match &done.result {
        Ok(_) => "ok".to_string(),
        Err(error) => match error.status() {
            Some(status) => status.to_string(),
            None => match error {
                ApiError::Timeout { .. } => "timeout".to_string(),
                ApiError::Connection { .. } => "offline".to_string(),
                _ => "error".to_string(),
            },
        },
    };
    model.last_request = Some(LastRequest {
        label,
        outcome,
        took: done.took,
    });
}

/// Why something failed, in words an admin can act on.
pub fn explain(error: &ApiError) -> String {
    match error {
        ApiError::Unauthorized { .. } => {
            format!(
                "{error}; the token was revoked or has expired, or the credentials are wrong: with GEOBOX_USERNAME and GEOBOX_PASSWORD the console signs in again by itself, or give a fresh GEOBOX_ACCESS_TOKEN"
            )
        }
        ApiError::Connection { .. } | ApiError::Timeout { .. } => {
            format!(
                "{error}; the server does not answer: the console retries by itself (R tries now)"
            )
        }
        _ => error.to_string(),
    }
}

/// Shows a failure on the banner and in the activity log.
pub(super) fn report(model: &mut Model, what: &str, error: &ApiError, cmds: &mut Vec<Cmd>) {
    let mut text = format!("{what} failed: {}", explain(error));
    if matches!(error, ApiError::Forbidden { .. }) && !model.explained_forbidden {
        model.explained_forbidden = true;
        text.push_str(&forbidden_hint(model));
    }
    log_activity(model, text.clone(), false, cmds);
    model.fail(text);
}

pub(super) fn forbidden_hint(model: &Model) -> String {
    match model.my_role() {
        Some(role) if !role.manages_users() => format!(
            ". Your role ({role}) cannot manage users: a System Admin or Account Admin can."
        ),
        _ => ". Your account is not allowed to do this to that user.".to_string(),
    }
}

pub(super) fn succeed(model: &mut Model, text: String, cmds: &mut Vec<Cmd>) {
    log_activity(model, text.clone(), true, cmds);
    model.inform(text);
}

/// How many entries the activity log keeps on screen (the log file keeps all).
const ACTIVITY_KEPT: usize = 200;

pub(super) fn log_activity(model: &mut Model, text: String, ok: bool, cmds: &mut Vec<Cmd>) {
    cmds.push(Cmd::Log { line: text.clone() });
    model.activity.push(Activity {
        at: model.now,
        text,
        ok,
    });
    if model.activity.len() > ACTIVITY_KEPT {
        let excess = model.activity.len() - ACTIVITY_KEPT;
        model.activity.drain(..excess);
    }
}

/// An action's answer came: it is no longer in flight, and the footer shows how it went.
pub(super) fn action_answered<T>(model: &mut Model, label: &'static str, done: &Done<T>) {
    finish_action(model, done);
    note_request(model, label, done);
}

pub(super) fn finish_action<T>(model: &mut Model, done: &Done<T>) {
    model.actions_in_flight.remove(&done.request);
}

/// Counts one answer of a bulk action; when the last is in, sums it up on the banner.
pub(super) fn step_progress(
    model: &mut Model,
    env: &Env,
    failure: Option<String>,
    cmds: &mut Vec<Cmd>,
) -> bool {
    let Some(progress) = &mut model.progress else {
        return false;
    };
    progress.done += 1;
    if let Some(failure) = failure {
        // Each failure has its line in the activity log; the banner only sums them up.
        let line = format!("{}: {failure}", progress.what);
        progress.failures.push(failure);
        log_activity(model, line, false, cmds);
    }
    let Some(progress) = &mut model.progress else {
        return false;
    };
    if progress.done >= progress.total {
        let progress = model.progress.take().unwrap_or_default();
        super::record::finish_bulk(model, env, cmds);
        let ok = progress.total - progress.failures.len();
        let mut text = format!("{}: {ok}/{} done", progress.what, progress.total);
        if let Some(first) = progress.failures.first() {
            text.push_str(&format!(
                ", {} failed (first: {first}; A lists each)",
                progress.failures.len()
            ));
        }
        let error = !progress.failures.is_empty();
        text.push_str(&after_bulk(model, progress));
        log_activity(model, text.clone(), !error, cmds);
        if error {
            model.fail(text);
        } else {
            model.inform(text);
        }
    }
    true
}

/// What a finished bulk action leaves: its undo (the journal entry it made is the last
/// change `u` undoes), and the marks cleared when every user succeeded (kept otherwise, for
/// another try). Returns what to add to the summary.
fn after_bulk(model: &mut Model, progress: Progress) -> String {
    let mut said = String::new();
    if progress.failures.len() < progress.total {
        said.push_str(" · u undo");
    }
    if progress.on_marked {
        if progress.failures.is_empty() {
            model.users.marked.clear();
            model.mark_anchor = None;
            said.push_str(" · marks cleared");
        } else {
            said.push_str(" · marks kept");
        }
    }
    said
}

/// Whether an action may start now; says why not on the banner.
pub(super) fn action_allowed(model: &mut Model) -> bool {
    if refuse_write_offline(model) {
        return false;
    }
    if model.read_only {
        model.note("Read-only mode: actions are off".to_string());
        return false;
    }
    if model.progress.is_some() {
        model.note("Wait for the running bulk action to finish".to_string());
        return false;
    }
    true
}

/// Refuses a write while offline, saying so plainly: nothing is sent, nothing is queued.
pub(super) fn refuse_write_offline(model: &mut Model) -> bool {
    if !model.connection.is_offline() {
        return false;
    }
    model.fail(OFFLINE_WRITE);
    true
}

/// What a write attempted while offline is told.
pub(super) const OFFLINE_WRITE: &str =
    "Offline: nothing was sent and nothing is queued; try again once the server answers";
