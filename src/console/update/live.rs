//! The live table: every few seconds the rows around the screen, the selected user's sessions
//! and (less often) the count are read again. What changed is marked for a few seconds; a user
//! who no longer matches stays in place, dimmed, until the selection moves; a user who newly
//! matches appears. The selected user keeps their line on screen, so neither the selection
//! nor what is around it jumps. When to refresh is `model::live`'s to say; the loop wakes
//! `update` with `Msg::LiveTick` when it is time.

use std::collections::{BTreeMap, BTreeSet};

use super::connection::unreachable;
use super::deep_pages::rows_query;
use super::feedback::{explain, log_activity, note_request};
use super::list::{ensure_rows, table_rows};
use crate::console::cmd::Cmd;
use crate::console::layout;
use crate::console::model::{
    CHANGE_SHOWN, COUNT_EVERY, Connection, Due, FreshRows, LiveField, Marked, Model, RETRY_FIRST,
    Round, WINDOW_MARGIN, due, later,
};
use crate::console::msg::{Done, RequestId, RowWindow};
use geobox_api::User;

/// Starts the live table at the console's start, if it is on.
pub(super) fn start_clock(model: &mut Model) {
    if model.live.on {
        model.live.next_at = Some(later(model.now, model.live.every));
    }
}

/// The loop woke the console: marks whose time is up fade, and a refresh starts if one is due.
pub(super) fn on_tick(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let now = model.now;
    model.live.marks.retain(|_, marked| marked.until > now);
    if due(model) == Due::Now {
        start_round(model, cmds);
    }
}

/// A key or the mouse: the next refresh waits until the admin pauses.
pub(super) fn note_input(model: &mut Model) {
    model.live.last_key = Some(model.now);
}

/// The toggle key: refreshing on (at once, once the admin pauses) or off.
pub(super) fn toggle(model: &mut Model) {
    let live = &mut model.live;
    live.on = !live.on;
    live.failures = 0;
    if live.on {
        live.next_at = Some(model.now);
        let every = live.every.as_secs_f64();
        model.note(format!(
            "Live: the table refreshes every {every} s (and not while a dialog is open)"
        ));
    } else {
        live.next_at = None;
        model.note("Live refresh off: the table shows what was last read (R reads it again)");
    }
}

/// The terminal gained or lost focus: refreshing stops while nobody looks, and catches up
/// once the admin is back.
pub(super) fn focus_changed(model: &mut Model, focused: bool) {
    model.live.focused = focused;
    if focused
        && model.live.on
        && model
            .live
            .next_at
            .is_none_or(|next| next > later(model.now, model.live.every))
    {
        model.live.next_at = Some(model.now);
    }
}

/// Reads again what the admin sees: the rows around the screen (one request), every
/// [`COUNT_EVERY`]th time the count, and the selected user's sessions when their pane shows.
fn start_round(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let mut round = Round::default();
    let lists_users = model.my_role().is_none_or(|role| role.manages_users());
    if lists_users && model.users.known_rows() > 0 {
        let rows = table_rows(model).max(1);
        let first = layout::first_shown_row(model).saturating_sub(WINDOW_MARGIN);
        let wanted = rows + 2 * WINDOW_MARGIN;
        let limit = wanted.min(model.users.page_size.max(rows));
        let (query, backwards) = rows_query(model, first, limit);
        let request = model.new_request();
        round.rows = Some(request);
        cmds.push(Cmd::RefreshRows {
            request,
            window: RowWindow {
                first,
                rows: backwards.unwrap_or(limit),
                backwards: backwards.is_some(),
            },
            query,
        });
        model.live.rounds += 1;
        if model.live.count_next || model.live.rounds.is_multiple_of(COUNT_EVERY) {
            model.live.count_next = false;
            let request = model.new_request();
            round.count = Some(request);
            cmds.push(Cmd::RefreshCount {
                request,
                query: model.filters.query(0, model.users.page_size),
            });
        }
    }
    if let Some(request) = refresh_sessions(model, cmds) {
        round.sessions = Some(request);
    }
    model.live.next_at = None;
    if round.is_done() {
        // Nothing to read: look again after the usual wait.
        model.live.next_at = Some(later(model.now, model.live.every));
    } else {
        model.live.round = Some(round);
    }
}

/// Reads the selected user's sessions again when their pane is on screen, keeping the list
/// shown until the answer comes (no flash of a spinner).
fn refresh_sessions(model: &mut Model, cmds: &mut Vec<Cmd>) -> Option<RequestId> {
    let user_id = model.sessions.user_id?;
    let shown = layout::areas(model).sessions.height > 0;
    let selected = model.users.selected_user().map(|user| user.id) == Some(user_id);
    if !shown || !selected || model.sessions.list.loaded().is_none() {
        return None;
    }
    let request = model.new_request();
    model.sessions.list.start(request);
    cmds.push(Cmd::LoadSessions { request, user_id });
    Some(request)
}

/// An answer that may belong to the refresh under way; once all of its answers are in, the
/// next refresh is due after the interval (longer after failures).
pub(super) fn answered(model: &mut Model, request: RequestId) {
    let Some(round) = &mut model.live.round else {
        return;
    };
    if !round.answered(request) || !round.is_done() {
        return;
    }
    model.live.round = None;
    let mut wait = model.live.every;
    for _ in 0..model.live.failures {
        wait = Connection::backoff(wait.max(RETRY_FIRST));
    }
    model.live.next_at = Some(later(model.now, wait));
}

/// The count came back.
pub(super) fn on_counted(model: &mut Model, done: Done<u64>, cmds: &mut Vec<Cmd>) {
    let ours = model.live.round.as_ref().and_then(|round| round.count) == Some(done.request);
    if ours {
        note_request(model, "GET users/ count", &done);
        match &done.result {
            // The rows keep their place: only the count in the title bar changes.
            Ok(total) => model.users.total = Some(*total),
            Err(error) => failed(model, error, cmds),
        }
    }
    answered(model, done.request);
}

/// The rows around the screen came back: they replace what was shown there.
pub(super) fn on_rows_read(
    model: &mut Model,
    window: RowWindow,
    done: Done<Vec<User>>,
    cmds: &mut Vec<Cmd>,
) {
    let ours = model.live.round.as_ref().and_then(|round| round.rows) == Some(done.request);
    if ours {
        note_request(model, "GET users/", &done);
        match done.result {
            Ok(mut users) => {
                if window.backwards {
                    users.reverse();
                }
                model.live.failures = 0;
                model.live.read_at = Some(model.now);
                take_rows(model, window, users, cmds);
            }
            Err(ref error) => failed(model, error, cmds),
        }
    }
    answered(model, done.request);
}

/// A refresh that failed: the server not answering is the offline state's (it retries with
/// its own back-off); anything else makes the next refresh wait longer, and is said once.
fn failed(model: &mut Model, error: &geobox_api::ApiError, cmds: &mut Vec<Cmd>) {
    if unreachable(error) {
        return;
    }
    if model.live.failures == 0 {
        log_activity(
            model,
            format!(
                "Live refresh failed: {}; trying again later, less often",
                explain(error)
            ),
            false,
            cmds,
        );
    }
    model.live.failures = model.live.failures.saturating_add(1);
}

/// What a refresh found on screen, compared with what was shown.
struct Comparison {
    /// Users on screen before who are not among the rows read: they no longer match.
    gone: Vec<User>,
    /// Users read who were not among the rows shown before.
    new: BTreeSet<i64>,
    /// Changed cells of users shown before and read again.
    changed: BTreeMap<i64, BTreeSet<LiveField>>,
    /// Users came, went or changed places: the rows off screen may have moved too.
    moved: bool,
}

fn compare(model: &Model, window: RowWindow, fresh: &[User]) -> (Vec<(u64, User)>, Comparison) {
    let list = &model.users;
    let before: Vec<(u64, User)> = (window.first..window.first + window.rows.max(1))
        .filter_map(|row| list.user_at(row).map(|user| (row, user.clone())))
        .collect();
    let fresh_ids: BTreeSet<i64> = fresh.iter().map(|user| user.id).collect();
    let before_ids: BTreeSet<i64> = before.iter().map(|(_, user)| user.id).collect();
    let rows = table_rows(model).max(1);
    let first_shown = layout::first_shown_row(model);
    let on_screen = first_shown..first_shown + rows;
    let gone: Vec<User> = before
        .iter()
        .filter(|(row, user)| on_screen.contains(row) && !fresh_ids.contains(&user.id))
        .map(|(_, user)| user.clone())
        .collect();
    // A row not loaded before says nothing about who is new.
    let all_loaded = on_screen
        .clone()
        .take_while(|row| *row < list.known_rows())
        .all(|row| list.user_at(row).is_some());
    let new: BTreeSet<i64> = if all_loaded {
        fresh
            .iter()
            .filter(|user| !before_ids.contains(&user.id))
            .map(|user| user.id)
            .collect()
    } else {
        BTreeSet::new()
    };
    let mut changed = BTreeMap::new();
    for user in fresh {
        if let Some((_, old)) = before.iter().find(|(_, old)| old.id == user.id) {
            let fields: BTreeSet<LiveField> = LiveField::ALL
                .into_iter()
                .filter(|field| field.differs(old, user))
                .collect();
            if !fields.is_empty() {
                changed.insert(user.id, fields);
            }
        }
    }
    let kept: Vec<i64> = before
        .iter()
        .map(|(_, user)| user.id)
        .filter(|id| fresh_ids.contains(id))
        .collect();
    let read: Vec<i64> = fresh
        .iter()
        .map(|user| user.id)
        .filter(|id| before_ids.contains(id))
        .collect();
    let moved = !gone.is_empty() || !new.is_empty() || kept != read;
    (
        before,
        Comparison {
            gone,
            new,
            changed,
            moved,
        },
    )
}

/// Puts the rows read in place of the rows shown, keeping users who no longer match where
/// they were, and the selected user on their line of the screen.
fn take_rows(model: &mut Model, window: RowWindow, fresh: Vec<User>, cmds: &mut Vec<Cmd>) {
    let (before, found) = compare(model, window, &fresh);
    let until = later(model.now, CHANGE_SHOWN);
    for (id, fields) in found.changed {
        model.live.marks.insert(
            id,
            Marked {
                fields,
                new: false,
                until,
            },
        );
    }
    for id in &found.new {
        model.live.marks.insert(
            *id,
            Marked {
                fields: BTreeSet::new(),
                new: true,
                until,
            },
        );
    }
    if window.rows > fresh.len() as u64 && !window.backwards {
        // The list ends here: the count is known exactly.
        model.users.total = Some(window.first + fresh.len() as u64);
    }
    if !found.moved && model.users.fresh.is_none() {
        // The same users in the same places: only their cells change.
        for user in &fresh {
            model.users.put(user);
        }
        return;
    }
    let merged = keep_gone_in_place(&before, fresh, &found.gone);
    model.live.gone = found.gone.iter().map(|user| user.id).collect();
    let selected_id = model.users.selected_user().map(|user| user.id);
    model.users.fresh = Some(FreshRows {
        first: window.first,
        users: merged,
    });
    if let Some((row, _)) = selected_id.and_then(|id| model.users.find(id)) {
        // The selected user keeps their line on screen: the rows around them move instead.
        let list = &mut model.users;
        let shift = row as i64 - list.selected as i64;
        list.selected = row;
        list.offset = (list.offset as i64 + shift).max(0) as u64;
    }
    if found.moved {
        // The rows off screen moved too: their pages are read again, and the count with the
        // next refresh.
        model.live.count_next = true;
        model.users.pages.clear();
        for (_, request) in std::mem::take(&mut model.users.pending) {
            cmds.push(Cmd::CancelRequest { request });
        }
        model.users.read_backwards.clear();
    }
    ensure_rows(model, cmds);
}

/// The rows read, with each user who no longer matches put back after the user they followed.
fn keep_gone_in_place(before: &[(u64, User)], fresh: Vec<User>, gone: &[User]) -> Vec<User> {
    let mut merged = fresh;
    for user in gone {
        let Some(index) = before.iter().position(|(_, old)| old.id == user.id) else {
            continue;
        };
        let after = before[..index]
            .iter()
            .rev()
            .find_map(|(_, above)| merged.iter().position(|kept| kept.id == above.id));
        let at = after.map_or(0, |position| position + 1);
        merged.insert(at, user.clone());
    }
    merged
}
