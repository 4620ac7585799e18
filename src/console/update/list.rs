//! The user list: paging, prefetch, eviction, selection, marks and what the mouse hits.

use std::collections::BTreeSet;

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::deep_pages;
use super::feedback::{explain, log_activity, note_request, report};
use super::help;
use super::me::load_me;
use super::sessions::{load_sessions, schedule_sessions};
use crate::console::cmd::Cmd;
use crate::console::layout;
use crate::console::model::{Focus, MAX_PAGES, Mode, Model, PREFETCH_MARGIN, UserList};
use crate::console::msg::Done;
use geobox_api::{ApiError, User};

pub(super) fn resize(model: &mut Model, width: u16, height: u16, cmds: &mut Vec<Cmd>) {
    model.width = width;
    model.height = height;
    keep_selection_visible(model);
    ensure_rows(model, cmds);
}

/// Moves the selection one screen down (`direction` 1) or up (-1).
pub(super) fn move_by_screen(model: &mut Model, direction: i64, cmds: &mut Vec<Cmd>) {
    let rows = table_rows(model) as i64;
    move_selection(model, direction * rows.max(1), cmds);
}

pub(super) fn select_last(model: &mut Model, cmds: &mut Vec<Cmd>) {
    match model.users.total {
        Some(total) => select_row(model, total.saturating_sub(1), cmds),
        None => model.users.jump_to_end = true,
    }
}

pub(super) fn select_user_row(model: &mut Model, row: u64, cmds: &mut Vec<Cmd>) {
    model.focus = Focus::Table;
    select_row(model, row, cmds);
}

/// Scrolls what has the keyboard: the help overlay, or the focused pane.
pub(super) fn scroll_focused(model: &mut Model, delta: i32, cmds: &mut Vec<Cmd>) {
    if matches!(model.mode, Mode::Help) {
        help::scroll_help(model, delta);
        return;
    }
    match model.focus {
        Focus::Table => move_selection(model, i64::from(delta), cmds),
        Focus::Detail => model.detail_scroll = layout::scrolled(model.detail_scroll, delta),
        Focus::Sessions => super::sessions::move_session(model, delta),
        Focus::Activity => super::feedback::scroll_activity(model, delta),
    }
}

pub(super) fn open_detail(model: &mut Model) {
    if model.users.selected_user().is_some() {
        model.focus = Focus::Detail;
    }
}

pub(super) fn toggle_mark(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if let Some(user) = model.users.selected_user() {
        let id = user.id;
        if !model.users.marked.remove(&id) {
            model.users.marked.insert(id);
        }
        move_selection(model, 1, cmds);
    }
}

/// Reads everything visible again: the signed-in user, the list and the sessions shown.
pub(super) fn reload(model: &mut Model, cmds: &mut Vec<Cmd>) {
    model.banner = None;
    load_me(model, cmds);
    // A role that cannot list users sees itself: reading `users/me/` again is its list.
    if model.my_role().is_none_or(|role| role.manages_users()) {
        refresh_list(model, cmds);
    }
    if let Some(user_id) = model.sessions.user_id {
        load_sessions(model, user_id, cmds);
    }
}

/// How many user rows the table shows at the current size.
pub fn table_rows(model: &Model) -> u64 {
    u64::from(layout::areas(model).table_rows())
}

/// Starts the list over (new filters or sort): drops every page and asks for the first ones.
pub(super) fn reset_list(model: &mut Model, cmds: &mut Vec<Cmd>, selected: u64) {
    reset_list_at(model, cmds, selected, 0);
}

/// Starts the list over with `selected` on row `selected` and row `offset` at the top, as far
/// as the screen allows (back on a deployment, as it was left).
pub(super) fn reset_list_at(model: &mut Model, cmds: &mut Vec<Cmd>, selected: u64, offset: u64) {
    super::live_rows::forget(model, cmds);
    let marked = std::mem::take(&mut model.users.marked);
    model.users = UserList {
        selected,
        offset,
        marked,
        ..UserList::default()
    };
    model.cql_server_error = None;
    keep_selection_visible(model);
    count_users(model, cmds);
    ensure_rows(model, cmds);
}

/// Asks again for every loaded page and the count, keeping what is shown until the answers
/// arrive (no flash of empty rows on reload or after a delete).
pub(super) fn refresh_list(model: &mut Model, cmds: &mut Vec<Cmd>) {
    super::live_rows::forget(model, cmds);
    model.users.pending.clear();
    model.users.error = None;
    let pages: Vec<u64> = model.users.pages.keys().copied().collect();
    for page in pages {
        request_page(model, page, cmds);
    }
    count_users(model, cmds);
    ensure_rows(model, cmds);
}

pub(super) fn count_users(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.users.count_request = Some(request);
    cmds.push(Cmd::CountUsers {
        request,
        query: model.filters.query(0, model.users.page_size),
    });
}

pub(super) fn request_page(model: &mut Model, page: u64, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.users.pending.insert(page, request);
    let (query, backwards) = deep_pages::page_query(model, page);
    if let Some(rows) = backwards {
        model.users.read_backwards.insert(request, rows);
    }
    cmds.push(Cmd::LoadUsers {
        request,
        page,
        query,
    });
}

/// Whether a page can hold users, as far as is known.
pub(super) fn page_may_exist(list: &UserList, page: u64) -> bool {
    if let Some(total) = list.total {
        return page * list.page_size < total;
    }
    // Without the count, a short page marks the end.
    !list
        .pages
        .iter()
        .any(|(loaded, users)| *loaded < page && (users.len() as u64) < list.page_size)
}

/// Asks for the pages on screen and the one the selection is heading to, then forgets the
/// pages farthest from the selection so memory stays bounded.
pub(super) fn ensure_rows(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let rows = table_rows(model).max(1);
    // Offline, pages not loaded say so; the retry reads them once the server answers.
    let offline = model.connection.is_offline();
    let list = &model.users;
    let first = list.offset;
    let last = list.offset + rows - 1;
    let mut wanted = BTreeSet::new();
    for row in [
        first,
        last,
        list.selected,
        list.selected + PREFETCH_MARGIN,
        list.selected.saturating_sub(PREFETCH_MARGIN),
        last + PREFETCH_MARGIN,
    ] {
        wanted.insert(row / list.page_size);
    }
    let missing: Vec<u64> = wanted
        .iter()
        .copied()
        .filter(|page| {
            !offline
                && !list.pages.contains_key(page)
                && !list.pending.contains_key(page)
                && page_may_exist(list, *page)
        })
        .collect();
    for page in missing {
        request_page(model, page, cmds);
    }
    cancel_unwanted_pages(model, &wanted, cmds);
    evict_pages(model, &wanted);
}

/// Pages asked for and scrolled far past are not waited for: holding PgDn through a large
/// list must not queue a request per page on the server.
pub(super) fn cancel_unwanted_pages(
    model: &mut Model,
    wanted: &BTreeSet<u64>,
    cmds: &mut Vec<Cmd>,
) {
    let near = |page: u64| {
        wanted
            .iter()
            .any(|wanted_page| wanted_page.abs_diff(page) <= 1)
    };
    let stale: Vec<u64> = model
        .users
        .pending
        .keys()
        .copied()
        .filter(|page| !near(*page))
        .collect();
    for page in stale {
        if let Some(request) = model.users.pending.remove(&page) {
            cmds.push(Cmd::CancelRequest { request });
        }
    }
}

pub(super) fn evict_pages(model: &mut Model, keep: &BTreeSet<u64>) {
    let center = model.users.selected / model.users.page_size;
    while model.users.pages.len() > MAX_PAGES {
        let farthest = model
            .users
            .pages
            .keys()
            .copied()
            .filter(|page| !keep.contains(page))
            .max_by_key(|page| page.abs_diff(center));
        match farthest {
            Some(page) => {
                model.users.pages.remove(&page);
            }
            None => break,
        }
    }
}

/// The last row the selection may reach now.
pub(super) fn last_row(model: &Model) -> u64 {
    model.users.known_rows().saturating_sub(1)
}

pub(super) fn move_selection(model: &mut Model, delta: i64, cmds: &mut Vec<Cmd>) {
    let current = model.users.selected as i64;
    let target = (current + delta).max(0) as u64;
    select_row(model, target, cmds);
}

pub(super) fn select_row(model: &mut Model, row: u64, cmds: &mut Vec<Cmd>) {
    // Moving off users who no longer match lets them go; the row is renumbered without them.
    let row = if row == model.users.selected {
        row
    } else {
        super::live_rows::settle_gone(model, row)
    };
    let row = row.min(last_row(model));
    model.users.selected = row;
    model.users.jump_to_end = false;
    keep_selection_visible(model);
    ensure_rows(model, cmds);
    schedule_sessions(model, cmds);
}

/// Scrolls so the selected row is on screen.
pub(super) fn keep_selection_visible(model: &mut Model) {
    let rows = table_rows(model).max(1);
    let list = &mut model.users;
    if list.selected < list.offset {
        list.offset = list.selected;
    } else if list.selected >= list.offset + rows {
        list.offset = list.selected + 1 - rows;
    }
    // After a shrink (new filter, smaller window) do not leave empty rows at the bottom.
    let known = list.known_rows();
    if known > 0 && list.offset + rows > known {
        list.offset = known.saturating_sub(rows).min(list.selected);
    }
}

pub(super) fn on_mouse(model: &mut Model, mouse: MouseEvent, cmds: &mut Vec<Cmd>) {
    if !matches!(model.mode, Mode::Normal) {
        return;
    }
    let areas = layout::areas(model);
    let (x, y) = (mouse.column, mouse.row);
    let pane = areas.pane_at(x, y);
    match mouse.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            if let Some(pane) = pane {
                model.focus = pane;
            }
            let step = if mouse.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            scroll_focused(model, step, cmds);
        }
        MouseEventKind::Down(MouseButton::Left) => match pane {
            Some(Focus::Table) => {
                // Two rows of border and header above the first user.
                let first_row_y = areas.table.y + 2;
                if y >= first_row_y && y < areas.table.bottom().saturating_sub(1) {
                    let row = model.users.offset + u64::from(y - first_row_y);
                    if row < model.users.known_rows() {
                        select_user_row(model, row, cmds);
                    }
                }
                model.focus = Focus::Table;
            }
            Some(Focus::Sessions) => {
                model.focus = Focus::Sessions;
                let first_row_y = areas.sessions.y + 1;
                if y >= first_row_y {
                    let index = usize::from(y - first_row_y);
                    if model
                        .sessions
                        .list
                        .loaded()
                        .is_some_and(|list| index < list.len())
                    {
                        model.sessions.selected = index;
                    }
                }
            }
            Some(pane) => model.focus = pane,
            None => {}
        },
        _ => {}
    }
}

pub(super) fn on_users_loaded(
    model: &mut Model,
    page: u64,
    done: Done<Vec<User>>,
    cmds: &mut Vec<Cmd>,
) {
    if model.users.pending.get(&page) != Some(&done.request) {
        // An answer for filters, a sort or a reload that is no longer current.
        model.users.read_backwards.remove(&done.request);
        return;
    }
    model.users.pending.remove(&page);
    note_request(model, "GET users/", &done);
    match done.result {
        Ok(mut users) => {
            if !deep_pages::arrange(&mut model.users, done.request, &mut users) {
                keep_selection_visible(model);
                ensure_rows(model, cmds);
                return;
            }
            let size = model.users.page_size;
            let len = users.len() as u64;
            // Until the count arrives, a short page marks the end.
            if len < size && model.users.total.is_none() {
                model.users.total = Some(page * size + len);
            }
            model.users.error = None;
            model.cql_server_error = None;
            if users.is_empty() && page > 0 {
                model.users.pages.remove(&page);
            } else {
                model.users.pages.insert(page, users);
            }
            let last = last_row(model);
            if model.users.selected > last {
                model.users.selected = last;
            }
            if adapt_to_capped_pages(model, cmds) {
                return;
            }
            if let Some(id) = model.pending_select
                && let Some((row, _)) = model.users.find(id)
            {
                model.pending_select = None;
                model.users.jump_to_end = false;
                model.users.selected = row;
            }
            keep_selection_visible(model);
            ensure_rows(model, cmds);
            schedule_sessions(model, cmds);
        }
        Err(error) => {
            let cql = matches!(error, ApiError::Validation { .. })
                && model.filters.combined_cql().is_some();
            if cql {
                // The server counts positions in the CQL the console sent; the admin reads
                // them in what they typed.
                let said = model.filters.cql_error_as_typed(&error.to_string());
                model.cql_server_error = Some(said.clone());
                model.users.error = Some(said.clone());
                let text = format!("Loading users failed: {said}");
                log_activity(model, text.clone(), false, cmds);
                model.fail(text);
            } else {
                model.users.error = Some(explain(&error));
                report(model, "Loading users", &error, cmds);
            }
        }
    }
}

/// A loaded page that is short although the count says more users follow means the server
/// caps `limit` below our page size: page by what it gives, starting the pages over on that
/// grid, so no row waits forever for users its page will never hold.
pub(super) fn adapt_to_capped_pages(model: &mut Model, cmds: &mut Vec<Cmd>) -> bool {
    let list = &model.users;
    let Some(total) = list.total else {
        return false;
    };
    // A page being read again may be short only because it was read before the count grew
    // (a reload after users came back into the filter): it says nothing about a cap.
    let capped = list
        .pages
        .iter()
        .filter(|(page, _)| !list.pending.contains_key(page))
        .filter(|(page, users)| {
            let len = users.len() as u64;
            len > 0 && len < list.page_size && **page * list.page_size + len < total
        })
        .map(|(_, users)| users.len() as u64)
        .min();
    let Some(size) = capped else {
        return false;
    };
    model.users.page_size = size;
    model.users.pages.clear();
    model.users.pending.clear();
    keep_selection_visible(model);
    ensure_rows(model, cmds);
    true
}

pub(super) fn on_users_counted(model: &mut Model, done: Done<u64>, cmds: &mut Vec<Cmd>) {
    if !done.answers(&mut model.users.count_request) {
        return;
    }
    note_request(model, "GET users/ count", &done);
    match done.result {
        Ok(total) => {
            model.users.total = Some(total);
            if adapt_to_capped_pages(model, cmds) {
                return;
            }
            if model.users.jump_to_end {
                select_row(model, total.saturating_sub(1), cmds);
            } else {
                let last = last_row(model);
                if model.users.selected > last {
                    select_row(model, last, cmds);
                } else {
                    keep_selection_visible(model);
                    ensure_rows(model, cmds);
                }
            }
        }
        Err(error) => {
            if model.users.jump_to_end {
                model.users.jump_to_end = false;
            }
            report(model, "Counting users", &error, cmds);
        }
    }
}

/// Takes a deleted user out of the loaded pages at once, so the selection lands on the
/// neighbour that took its row; the refresh that follows re-aligns the pages.
pub(super) fn remove_row(model: &mut Model, user_id: i64) {
    let Some((row, _)) = model.users.find(user_id) else {
        return;
    };
    if let Some(fresh) = &mut model.users.fresh {
        fresh.users.retain(|user| user.id != user_id);
    }
    let page = row / model.users.page_size;
    if let Some(users) = model.users.pages.get_mut(&page) {
        users.retain(|user| user.id != user_id);
    }
    // Later pages are now off by one row; drop them rather than show a wrong row.
    model.users.pages.retain(|loaded, _| *loaded <= page);
    if let Some(total) = &mut model.users.total {
        *total = total.saturating_sub(1);
    }
    let last = last_row(model);
    model.users.selected = model.users.selected.min(last);
    keep_selection_visible(model);
}
