//! The pure heart of the console: `update(&mut Model, Msg) -> Vec<Cmd>`. No tokio, no client,
//! no terminal: everything it needs is in the model and the message, so tests replay keys and
//! answers and check the model and the commands.

use std::collections::BTreeSet;

use chrono::Duration as ChronoDuration;
use crossterm::event::{MouseButton, MouseEventKind};
use tui_input::{Input, InputRequest};

use crate::api::{ApiError, Patch, Secret, User, UserRole, UserStatus, UserUpdate};

use super::cmd::Cmd;
use super::form::UserForm;
use super::keys;
use super::model::{
    Activity, Banner, Confirm, FilterField, FilterPanel, Focus, LastRequest, LoadState, Mode,
    Model, PREFETCH_MARGIN, PasswordDialog, Picker, PickerKind, Progress, SEARCH_DEBOUNCE,
    SESSIONS_DEBOUNCE, SessionsPane, Target, Undo, UserList, check_cql,
};
use super::msg::{Done, Msg, QuickChange};
use super::view::layout::{self, Areas};

/// The commands to start the console with: who am I, the first page and the count.
pub fn init(model: &mut Model) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    load_me(model, &mut cmds);
    reset_list(model, &mut cmds, 0);
    cmds
}

/// Applies one message to the model and returns what must be done because of it.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    handle(model, msg, &mut cmds);
    cmds
}

fn handle(model: &mut Model, msg: Msg, cmds: &mut Vec<Cmd>) {
    match msg {
        Msg::KeyPressed(key) => {
            if let Some(intent) = keys::translate(model, &key) {
                handle(model, intent, cmds);
            }
        }
        Msg::MouseUsed(mouse) => on_mouse(model, mouse, cmds),
        Msg::Resized { width, height } => {
            model.width = width;
            model.height = height;
            keep_selection_visible(model);
            ensure_rows(model, cmds);
        }
        Msg::Tick => {
            if model.is_busy() {
                model.spinner = model.spinner.wrapping_add(1);
            }
        }
        Msg::Quit => model.quit = true,

        Msg::SelectNextUser => move_selection(model, 1, cmds),
        Msg::SelectPrevUser => move_selection(model, -1, cmds),
        Msg::PageDownUsers => {
            let rows = table_rows(model) as i64;
            move_selection(model, rows.max(1), cmds);
        }
        Msg::PageUpUsers => {
            let rows = table_rows(model) as i64;
            move_selection(model, -rows.max(1), cmds);
        }
        Msg::SelectFirstUser => select_row(model, 0, cmds),
        Msg::SelectLastUser => match model.users.total {
            Some(total) => select_row(model, total.saturating_sub(1), cmds),
            None => model.users.jump_to_end = true,
        },
        Msg::SelectUserRow(row) => {
            model.focus = Focus::Table;
            select_row(model, row, cmds);
        }
        Msg::ScrollFocused(delta) if matches!(model.mode, Mode::Help) => {
            model.help_scroll = if delta < 0 {
                model
                    .help_scroll
                    .saturating_sub(delta.unsigned_abs() as u16)
            } else {
                model.help_scroll.saturating_add(delta as u16)
            };
        }
        Msg::ScrollFocused(delta) => match model.focus {
            Focus::Table => move_selection(model, i64::from(delta), cmds),
            Focus::Detail => {
                model.detail_scroll = if delta < 0 {
                    model
                        .detail_scroll
                        .saturating_sub(delta.unsigned_abs() as u16)
                } else {
                    model.detail_scroll.saturating_add(delta as u16)
                };
            }
            Focus::Sessions => move_session(model, delta),
        },
        Msg::FocusNext => model.focus = model.focus.next(),
        Msg::FocusPrev => model.focus = model.focus.prev(),
        Msg::OpenDetail => {
            if model.users.selected_user().is_some() {
                model.focus = Focus::Detail;
            }
        }
        Msg::SelectionSettled { token } => on_selection_settled(model, token, cmds),
        Msg::SelectNextSession => move_session(model, 1),
        Msg::SelectPrevSession => move_session(model, -1),

        Msg::OpenSearch => {
            model.mode = Mode::Search(Input::new(model.filters.search.clone()));
        }
        Msg::EditSearch(request) => {
            if let Mode::Search(input) = &mut model.mode
                && input.handle(request).is_some_and(|changed| changed.value)
            {
                model.search_token += 1;
                cmds.push(Cmd::After {
                    delay: SEARCH_DEBOUNCE,
                    msg: Box::new(Msg::SearchSettled {
                        token: model.search_token,
                    }),
                });
            }
        }
        Msg::SearchSettled { token } => {
            if token == model.search_token
                && let Mode::Search(input) = &model.mode
            {
                let typed = input.value().to_string();
                apply_search(model, typed, cmds);
            }
        }
        Msg::KeepSearch => {
            if let Mode::Search(input) = &model.mode {
                let typed = input.value().to_string();
                // The debounce timer still running is now moot.
                model.search_token += 1;
                model.mode = Mode::Normal;
                apply_search(model, typed, cmds);
            }
        }
        Msg::ClearSearch => {
            if matches!(model.mode, Mode::Search(_)) {
                model.search_token += 1;
                model.mode = Mode::Normal;
                apply_search(model, String::new(), cmds);
            }
        }

        Msg::OpenFilters => {
            let filters = &model.filters;
            model.mode = Mode::Filters(Box::new(FilterPanel {
                field: if model.cql_server_error.is_some() {
                    FilterField::Cql
                } else {
                    FilterField::Status
                },
                status: filters.status.clone(),
                role: filters.role.clone(),
                search_fields: Input::new(filters.search_fields.clone()),
                cql: Input::new(filters.cql.clone()),
                sort: filters.sort,
                cql_error: model.cql_server_error.clone(),
            }));
        }
        Msg::FocusNextFilterField | Msg::FocusPrevFilterField => {
            if let Mode::Filters(panel) = &mut model.mode {
                panel.field = panel.field.step(matches!(msg, Msg::FocusNextFilterField));
            }
        }
        Msg::CycleFilterChoice(step) => {
            if let Mode::Filters(panel) = &mut model.mode {
                cycle_filter_choice(panel, step);
            }
        }
        Msg::EditFilterField(request) => {
            if let Mode::Filters(panel) = &mut model.mode {
                edit_filter_text(panel, request);
            }
        }
        Msg::ApplyFilters => apply_filters(model, cmds),
        Msg::CloseFilters => {
            if matches!(model.mode, Mode::Filters(_)) {
                model.mode = Mode::Normal;
            }
        }
        Msg::ResetFilterFields => {
            if let Mode::Filters(panel) = &mut model.mode {
                **panel = FilterPanel {
                    field: panel.field,
                    ..FilterPanel::default()
                };
            }
        }
        Msg::CycleSortColumn => {
            model.filters.sort.column = model.filters.sort.column.next();
            reset_list(model, cmds, 0);
        }
        Msg::FlipSortDirection => {
            model.filters.sort.descending = !model.filters.sort.descending;
            reset_list(model, cmds, 0);
        }
        Msg::Reload => {
            model.banner = None;
            load_me(model, cmds);
            refresh_list(model, cmds);
            if let Some(user_id) = model.sessions.user_id {
                load_sessions(model, user_id, cmds);
            }
        }
        Msg::DismissBanner => {
            if model.banner.is_some() {
                model.banner = None;
            } else if !model.users.marked.is_empty() {
                model.users.marked.clear();
            } else {
                model.focus = Focus::Table;
            }
        }
        Msg::ToggleHelp => {
            model.help_scroll = 0;
            model.mode = match model.mode {
                Mode::Help => Mode::Normal,
                _ => Mode::Help,
            };
        }

        Msg::RequestCloseSession => request_close_session(model),
        Msg::RequestCloseOtherSessions => request_close_other_sessions(model),
        Msg::OpenStatusPicker => open_picker(model, PickerKind::Status),
        Msg::OpenRolePicker => open_picker(model, PickerKind::Role),
        Msg::PickerNext | Msg::PickerPrev => {
            if let Mode::Picker(picker) = &mut model.mode {
                let len = picker.choices.len().max(1);
                picker.cursor = if matches!(msg, Msg::PickerNext) {
                    (picker.cursor + 1) % len
                } else {
                    (picker.cursor + len - 1) % len
                };
            }
        }
        Msg::PickerChoose => picker_choose(model, cmds),
        Msg::RequestDeleteUser => request_delete(model),
        Msg::EditDialogInput(request) => edit_dialog_input(model, request),
        Msg::RequestRenewPlan => request_renew(model),
        Msg::OpenPasswordDialog => {
            if action_allowed(model)
                && let Some(target) = selected_target(model)
            {
                model.mode = Mode::Password(Box::new(PasswordDialog {
                    user: Some(target),
                    ..PasswordDialog::default()
                }));
            }
        }
        Msg::DialogNextField | Msg::DialogPrevField => match &mut model.mode {
            Mode::Password(dialog) => dialog.second_focused = !dialog.second_focused,
            Mode::Form(form) => form.step_focus(matches!(msg, Msg::DialogNextField)),
            _ => {}
        },
        Msg::OpenEditForm => open_edit_form(model, cmds),
        Msg::OpenCreateForm => {
            if action_allowed(model) {
                let mut form = UserForm::create();
                form.may_grant_system_admin = model.my_role() == Some(&UserRole::SystemAdmin);
                model.mode = Mode::Form(Box::new(form));
            }
        }
        Msg::CycleFormChoice(step) => {
            if let Mode::Form(form) = &mut model.mode {
                if form.focused().is_choice() {
                    form.cycle(step);
                } else {
                    form.edit_text(if step >= 0 {
                        InputRequest::GoToNextChar
                    } else {
                        InputRequest::GoToPrevChar
                    });
                }
            }
        }
        Msg::PressEnterInForm => {
            if let Mode::Form(form) = &mut model.mode {
                if form.focused().is_choice() {
                    form.cycle(1);
                } else {
                    form.step_focus(true);
                }
            }
        }
        Msg::SaveForm => save_form(model, cmds),
        Msg::RequestUndo => {
            if action_allowed(model) {
                match model.last_undo.clone() {
                    Some(undo) => model.mode = Mode::Confirm(Box::new(Confirm::Undo { undo })),
                    None => {
                        model.banner = Some(Banner {
                            text: "Nothing to undo".to_string(),
                            error: false,
                        });
                    }
                }
            }
        }
        Msg::ToggleMark => {
            if let Some(user) = model.users.selected_user() {
                let id = user.id;
                if !model.users.marked.remove(&id) {
                    model.users.marked.insert(id);
                }
                move_selection(model, 1, cmds);
            }
        }
        Msg::ConfirmDialog => confirm_dialog(model, cmds),
        Msg::CancelDialog => match &mut model.mode {
            Mode::Form(form) if form.asking_discard => form.asking_discard = false,
            Mode::Form(form) if form.is_changed() => form.asking_discard = true,
            // Dropping the mode drops whatever was typed in it (passwords included).
            _ => model.mode = Mode::Normal,
        },
        Msg::ToggleActivityLog => model.show_activity = !model.show_activity,

        Msg::MeLoaded(done) => on_me_loaded(model, done),
        Msg::UsersLoaded { page, done } => on_users_loaded(model, page, done, cmds),
        Msg::UsersCounted(done) => on_users_counted(model, done, cmds),
        Msg::SessionsLoaded { user_id, done } => on_sessions_loaded(model, user_id, done),
        Msg::PlansLoaded(done) => {
            if model.plans_request != Some(done.request) {
                return;
            }
            model.plans_request = None;
            note_request(model, "GET plans/", &done);
            model.plans = match done.result {
                Ok(plans) => {
                    if let Mode::Form(form) = &mut model.mode {
                        form.set_plans(&plans);
                    }
                    LoadState::Loaded(plans)
                }
                Err(error) => {
                    report(model, "Loading plans", &error, cmds);
                    LoadState::Failed(error.to_string())
                }
            };
        }
        Msg::SessionClosed {
            user_id,
            uuid,
            done,
        } => on_session_closed(model, user_id, uuid, done, cmds),
        Msg::UserUpdated {
            user_id,
            change,
            done,
        } => on_user_updated(model, user_id, change, done, cmds),
        Msg::UserDeleted {
            user_id,
            username,
            done,
        } => on_user_deleted(model, user_id, username, done, cmds),
        Msg::PasswordChanged {
            user_id: _,
            username,
            done,
        } => {
            finish_action(model, &done);
            note_request(model, "POST change-password", &done);
            match done.result {
                Ok(()) => succeed(model, format!("Changed the password of {username}"), cmds),
                Err(error) => report(
                    model,
                    &format!("Changing the password of {username}"),
                    &error,
                    cmds,
                ),
            }
        }
        Msg::PlanRenewed {
            user_id,
            username,
            done,
        } => {
            finish_action(model, &done);
            note_request(model, "POST renewPlan", &done);
            match done.result {
                Ok(()) => {
                    succeed(model, format!("Renewed the plan of {username}"), cmds);
                    let request = model.new_request();
                    model.actions_in_flight.insert(request);
                    cmds.push(Cmd::ReloadUser { request, user_id });
                }
                Err(error) => report(
                    model,
                    &format!("Renewing the plan of {username}"),
                    &error,
                    cmds,
                ),
            }
        }
        Msg::OtherSessionsClosed { user_id, done } => {
            finish_action(model, &done);
            note_request(model, "POST sessions/{uuid}", &done);
            model.users.in_flight_edits.remove(&user_id);
            let username = model
                .users
                .find(user_id)
                .map(|(_, user)| user.username.clone())
                .unwrap_or_else(|| format!("user {user_id}"));
            let failure = match done.result {
                Ok((closed, failures)) => {
                    cmds.push(Cmd::Log {
                        line: format!("Closed {closed} session(s) of {username}"),
                    });
                    (!failures.is_empty()).then(|| format!("{username}: {}", failures.join(", ")))
                }
                Err(error) => Some(format!("{username}: {}", explain(&error))),
            };
            step_progress(model, failure, cmds);
            if model.sessions.user_id == Some(user_id) {
                load_sessions(model, user_id, cmds);
            }
        }
        Msg::UserSaved { created, done } => on_user_saved(model, created, done, cmds),
        Msg::SaveFoundStale { request, current } => {
            finish_action(
                model,
                &Done::<()> {
                    request,
                    took: Default::default(),
                    result: Ok(()),
                },
            );
            if let Mode::Form(form) = &mut model.mode
                && form.saving == Some(request)
            {
                form.saving = None;
                form.original = Some(*current);
                form.failure = Some(
                    "Changed on the server since the form opened: the changes shown are now against its values. Ctrl-S again saves yours."
                        .to_string(),
                );
            }
        }
        Msg::UserReloaded { user_id, done } => {
            finish_action(model, &done);
            note_request(model, "GET users/{id}/", &done);
            match done.result {
                Ok(user) => {
                    let expires = user.expiration_date.clone();
                    let username = user.username.clone();
                    if let Some(row) = model.users.find_mut(user_id) {
                        *row = user;
                    }
                    if let Some(expires) = expires {
                        model.banner = Some(Banner {
                            text: format!(
                                "{username}'s plan now runs until {}",
                                date_part(&expires)
                            ),
                            error: false,
                        });
                    }
                }
                Err(error) => report(model, "Reading the user again", &error, cmds),
            }
        }
    }
}

// ---- the user list: paging, prefetch, selection ----

/// How many user rows the table shows at the current size.
pub fn table_rows(model: &Model) -> u64 {
    u64::from(layout::areas(model).table_rows())
}

/// Starts the list over (new filters or sort): drops every page and asks for the first ones.
fn reset_list(model: &mut Model, cmds: &mut Vec<Cmd>, selected: u64) {
    let marked = std::mem::take(&mut model.users.marked);
    model.users = UserList {
        selected,
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
fn refresh_list(model: &mut Model, cmds: &mut Vec<Cmd>) {
    model.users.pending.clear();
    model.users.error = None;
    let pages: Vec<u64> = model.users.pages.keys().copied().collect();
    for page in pages {
        request_page(model, page, cmds);
    }
    count_users(model, cmds);
    ensure_rows(model, cmds);
}

fn count_users(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.users.count_request = Some(request);
    cmds.push(Cmd::CountUsers {
        request,
        query: model.filters.query(0, model.users.page_size),
    });
}

fn request_page(model: &mut Model, page: u64, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.users.pending.insert(page, request);
    cmds.push(Cmd::LoadUsers {
        request,
        page,
        query: model
            .filters
            .query(page * model.users.page_size, model.users.page_size),
    });
}

/// Whether a page can hold users, as far as is known.
fn page_may_exist(list: &UserList, page: u64) -> bool {
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
fn ensure_rows(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let rows = table_rows(model).max(1);
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
            !list.pages.contains_key(page)
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
fn cancel_unwanted_pages(model: &mut Model, wanted: &BTreeSet<u64>, cmds: &mut Vec<Cmd>) {
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

fn evict_pages(model: &mut Model, keep: &BTreeSet<u64>) {
    let center = model.users.selected / model.users.page_size;
    while model.users.pages.len() > super::model::MAX_PAGES {
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
fn last_row(model: &Model) -> u64 {
    model.users.known_rows().saturating_sub(1)
}

fn move_selection(model: &mut Model, delta: i64, cmds: &mut Vec<Cmd>) {
    let current = model.users.selected as i64;
    let target = (current + delta).max(0) as u64;
    select_row(model, target, cmds);
}

fn select_row(model: &mut Model, row: u64, cmds: &mut Vec<Cmd>) {
    let row = row.min(last_row(model));
    model.users.selected = row;
    model.users.jump_to_end = false;
    keep_selection_visible(model);
    ensure_rows(model, cmds);
    schedule_sessions(model, cmds);
}

/// Scrolls so the selected row is on screen.
fn keep_selection_visible(model: &mut Model) {
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

/// When the selected user changed, forget the old sessions and load the new user's once the
/// selection stays put.
fn schedule_sessions(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Some(id) = model.users.selected_user().map(|user| user.id) else {
        return;
    };
    if model.sessions.user_id == Some(id) || model.settle_for == Some(id) {
        return;
    }
    model.sessions = SessionsPane::default();
    model.detail_scroll = 0;
    model.settle_token += 1;
    model.settle_for = Some(id);
    cmds.push(Cmd::After {
        delay: SESSIONS_DEBOUNCE,
        msg: Box::new(Msg::SelectionSettled {
            token: model.settle_token,
        }),
    });
}

fn on_selection_settled(model: &mut Model, token: u64, cmds: &mut Vec<Cmd>) {
    if token != model.settle_token {
        return;
    }
    let Some(id) = model.settle_for.take() else {
        return;
    };
    if model.users.selected_user().map(|user| user.id) == Some(id) {
        load_sessions(model, id, cmds);
    }
}

fn load_sessions(model: &mut Model, user_id: i64, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.sessions.user_id = Some(user_id);
    model.sessions.request = Some(request);
    model.sessions.list = LoadState::Loading;
    cmds.push(Cmd::LoadSessions { request, user_id });
}

fn load_me(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.me_request = Some(request);
    if model.me.loaded().is_none() {
        model.me = LoadState::Loading;
    }
    cmds.push(Cmd::LoadMe { request });
}

fn move_session(model: &mut Model, delta: i32) {
    let Some(sessions) = model.sessions.list.loaded() else {
        return;
    };
    if sessions.is_empty() {
        return;
    }
    let last = sessions.len() - 1;
    let current = model.sessions.selected as i64;
    model.sessions.selected = (current + i64::from(delta)).clamp(0, last as i64) as usize;
}

fn on_mouse(model: &mut Model, mouse: crossterm::event::MouseEvent, cmds: &mut Vec<Cmd>) {
    if !matches!(model.mode, Mode::Normal) {
        return;
    }
    let areas = layout::areas(model);
    let (x, y) = (mouse.column, mouse.row);
    let pane = pane_at(&areas, x, y);
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
            handle(model, Msg::ScrollFocused(step), cmds);
        }
        MouseEventKind::Down(MouseButton::Left) => match pane {
            Some(Focus::Table) => {
                // Two rows of border and header above the first user.
                let first_row_y = areas.table.y + 2;
                if y >= first_row_y && y < areas.table.bottom().saturating_sub(1) {
                    let row = model.users.offset + u64::from(y - first_row_y);
                    if row < model.users.known_rows() {
                        handle(model, Msg::SelectUserRow(row), cmds);
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

fn pane_at(areas: &Areas, x: u16, y: u16) -> Option<Focus> {
    let inside = |rect: ratatui::layout::Rect| {
        rect.width > 0 && x >= rect.x && x < rect.right() && y >= rect.y && y < rect.bottom()
    };
    if inside(areas.table) {
        Some(Focus::Table)
    } else if inside(areas.sessions) {
        Some(Focus::Sessions)
    } else if inside(areas.detail) {
        Some(Focus::Detail)
    } else {
        None
    }
}

// ---- search and filters ----

fn apply_search(model: &mut Model, typed: String, cmds: &mut Vec<Cmd>) {
    if model.filters.search == typed {
        return;
    }
    model.filters.search = typed;
    reset_list(model, cmds, 0);
}

fn cycle<T: Clone + PartialEq>(all: &[T], current: &Option<T>, step: i8) -> Option<T> {
    // Positions: 0 is "any", then each value.
    let len = all.len() + 1;
    let index = current
        .as_ref()
        .and_then(|value| all.iter().position(|known| known == value))
        .map_or(0, |position| position + 1);
    let next = if step >= 0 {
        (index + 1) % len
    } else {
        (index + len - 1) % len
    };
    if next == 0 {
        None
    } else {
        Some(all[next - 1].clone())
    }
}

fn cycle_filter_choice(panel: &mut FilterPanel, step: i8) {
    match panel.field {
        FilterField::Status => panel.status = cycle(UserStatus::ALL, &panel.status, step),
        FilterField::Role => panel.role = cycle(UserRole::ALL, &panel.role, step),
        FilterField::SortColumn => {
            panel.sort.column = if step >= 0 {
                panel.sort.column.next()
            } else {
                panel.sort.column.prev()
            };
        }
        FilterField::SortDirection => panel.sort.descending = !panel.sort.descending,
        FilterField::SearchFields | FilterField::Cql => {
            let request = if step >= 0 {
                InputRequest::GoToNextChar
            } else {
                InputRequest::GoToPrevChar
            };
            edit_filter_text(panel, request);
        }
    }
}

fn edit_filter_text(panel: &mut FilterPanel, request: InputRequest) {
    match panel.field {
        FilterField::SearchFields => {
            panel.search_fields.handle(request);
        }
        // Typing replaces the server's complaint with the local check.
        FilterField::Cql
            if panel
                .cql
                .handle(request)
                .is_some_and(|changed| changed.value) =>
        {
            panel.cql_error = check_cql(panel.cql.value()).err();
        }
        _ => {}
    }
}

fn apply_filters(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::Filters(panel) = &mut model.mode else {
        return;
    };
    if let Err(reason) = check_cql(panel.cql.value()) {
        panel.cql_error = Some(reason);
        panel.field = FilterField::Cql;
        return;
    }
    let mut filters = model.filters.clone();
    filters.status = panel.status.clone();
    filters.role = panel.role.clone();
    filters.search_fields = panel.search_fields.value().trim().to_string();
    filters.cql = panel.cql.value().trim().to_string();
    filters.sort = panel.sort;
    model.mode = Mode::Normal;
    if filters != model.filters {
        model.filters = filters;
        reset_list(model, cmds, 0);
    }
}

// ---- results ----

fn note_request<T>(model: &mut Model, label: &'static str, done: &Done<T>) {
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
            format!("{error}; check the credentials (GEOBOX_USERNAME/PASSWORD or token)")
        }
        ApiError::Connection { .. } | ApiError::Timeout { .. } => {
            format!("{error}; offline or the server is down? R retries")
        }
        _ => error.to_string(),
    }
}

/// Shows a failure on the banner and in the activity log.
fn report(model: &mut Model, what: &str, error: &ApiError, cmds: &mut Vec<Cmd>) {
    let mut text = format!("{what} failed: {}", explain(error));
    if matches!(error, ApiError::Forbidden { .. }) && !model.explained_forbidden {
        model.explained_forbidden = true;
        text.push_str(&forbidden_hint(model));
    }
    log_activity(model, text.clone(), false, cmds);
    model.banner = Some(Banner { text, error: true });
}

fn forbidden_hint(model: &Model) -> String {
    match model.my_role() {
        Some(role) if !role.manages_users() => format!(
            ". Your role ({role}) cannot manage users: a System Admin or Account Admin can."
        ),
        _ => ". Your account is not allowed to do this to that user.".to_string(),
    }
}

fn succeed(model: &mut Model, text: String, cmds: &mut Vec<Cmd>) {
    log_activity(model, text.clone(), true, cmds);
    model.banner = Some(Banner { text, error: false });
}

/// How many entries the activity log keeps on screen (the log file keeps all).
const ACTIVITY_KEPT: usize = 200;

fn log_activity(model: &mut Model, text: String, ok: bool, cmds: &mut Vec<Cmd>) {
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

fn on_me_loaded(model: &mut Model, done: Done<crate::api::User>) {
    if model.me_request != Some(done.request) {
        return;
    }
    model.me_request = None;
    note_request(model, "GET users/me/", &done);
    match done.result {
        Ok(me) => {
            let cannot_manage = me.role.as_ref().is_some_and(|role| !role.manages_users());
            let role = me.role.clone();
            model.me = LoadState::Loaded(me);
            if cannot_manage && !model.explained_forbidden {
                model.explained_forbidden = true;
                let role = role.map(|role| role.to_string()).unwrap_or_default();
                model.banner = Some(Banner {
                    text: format!(
                        "Signed in as a {role}: this role cannot manage users, so lists may be short and changes refused."
                    ),
                    error: false,
                });
            }
        }
        Err(error) => {
            model.banner = Some(Banner {
                text: format!("Reading the signed-in user failed: {}", explain(&error)),
                error: true,
            });
            model.me = LoadState::Failed(error.to_string());
        }
    }
}

fn on_users_loaded(
    model: &mut Model,
    page: u64,
    done: Done<Vec<crate::api::User>>,
    cmds: &mut Vec<Cmd>,
) {
    if model.users.pending.get(&page) != Some(&done.request) {
        // An answer for filters, a sort or a reload that is no longer current.
        return;
    }
    model.users.pending.remove(&page);
    note_request(model, "GET users/", &done);
    match done.result {
        Ok(users) => {
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
            if let ApiError::Validation { .. } = &error
                && model.filters.combined_cql().is_some()
            {
                model.cql_server_error = Some(error.to_string());
            }
            model.users.error = Some(explain(&error));
            report(model, "Loading users", &error, cmds);
        }
    }
}

/// A loaded page that is short although the count says more users follow means the server
/// caps `limit` below our page size: page by what it gives, starting the pages over on that
/// grid, so no row waits forever for users its page will never hold.
fn adapt_to_capped_pages(model: &mut Model, cmds: &mut Vec<Cmd>) -> bool {
    let list = &model.users;
    let Some(total) = list.total else {
        return false;
    };
    let capped = list
        .pages
        .iter()
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

fn on_users_counted(model: &mut Model, done: Done<u64>, cmds: &mut Vec<Cmd>) {
    if model.users.count_request != Some(done.request) {
        return;
    }
    model.users.count_request = None;
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

fn on_sessions_loaded(model: &mut Model, user_id: i64, done: Done<Vec<crate::api::Session>>) {
    if model.sessions.request != Some(done.request) || model.sessions.user_id != Some(user_id) {
        return;
    }
    model.sessions.request = None;
    note_request(model, "GET sessions/", &done);
    model.sessions.list = match done.result {
        Ok(sessions) => {
            model.sessions.selected = model
                .sessions
                .selected
                .min(sessions.len().saturating_sub(1));
            LoadState::Loaded(sessions)
        }
        Err(error) => LoadState::Failed(explain(&error)),
    };
}

// ---- actions (issue 6) ----

/// Whether an action may start now; says why not on the banner.
fn action_allowed(model: &mut Model) -> bool {
    if model.read_only {
        model.banner = Some(Banner {
            text: "Read-only mode: actions are off".to_string(),
            error: false,
        });
        return false;
    }
    if model.progress.is_some() {
        model.banner = Some(Banner {
            text: "Wait for the running bulk action to finish".to_string(),
            error: false,
        });
        return false;
    }
    true
}

fn selected_target(model: &Model) -> Option<Target> {
    model.users.selected_user().map(|user| Target {
        id: user.id,
        username: user.username.clone(),
    })
}

fn short_uuid(uuid: &str) -> String {
    let head: String = uuid.chars().take(8).collect();
    if head.len() < uuid.len() {
        format!("{head}…")
    } else {
        head
    }
}

fn request_close_session(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Some(user_id) = model.sessions.user_id else {
        return;
    };
    let Some(session) = model
        .sessions
        .list
        .loaded()
        .and_then(|list| list.get(model.sessions.selected))
        .cloned()
    else {
        return;
    };
    let username = model
        .users
        .find(user_id)
        .map(|(_, user)| user.username.clone())
        .unwrap_or_else(|| format!("user {user_id}"));
    model.mode = Mode::Confirm(Box::new(Confirm::CloseSession {
        user: Target {
            id: user_id,
            username,
        },
        session,
    }));
}

fn request_close_other_sessions(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    if !model.users.marked.is_empty() {
        model.mode = Mode::Confirm(Box::new(Confirm::CloseSessionsOfUsers {
            targets: model.targets(),
        }));
        return;
    }
    let Some(user_id) = model.sessions.user_id else {
        return;
    };
    let Some(all) = model.sessions.list.loaded() else {
        return;
    };
    let kept_own = all.iter().any(|session| session.current == Some(true));
    let sessions: Vec<_> = all
        .iter()
        .filter(|session| session.current != Some(true))
        .cloned()
        .collect();
    let username = model
        .users
        .find(user_id)
        .map(|(_, user)| user.username.clone())
        .unwrap_or_else(|| format!("user {user_id}"));
    if sessions.is_empty() {
        model.banner = Some(Banner {
            text: format!("{username} has no other sessions to close"),
            error: false,
        });
        return;
    }
    model.mode = Mode::Confirm(Box::new(Confirm::CloseSessions {
        user: Target {
            id: user_id,
            username,
        },
        sessions,
        kept_own,
    }));
}

fn open_picker(model: &mut Model, kind: PickerKind) {
    if !action_allowed(model) {
        return;
    }
    let targets = model.targets();
    if targets.is_empty() {
        return;
    }
    let single = if targets.len() == 1 {
        model
            .users
            .find(targets[0].id)
            .map(|(_, user)| user.clone())
    } else {
        None
    };
    let (choices, current): (Vec<QuickChange>, Option<QuickChange>) = match kind {
        PickerKind::Status => (
            UserStatus::ALL
                .iter()
                .cloned()
                .map(QuickChange::Status)
                .collect(),
            single.and_then(|user| user.status).map(QuickChange::Status),
        ),
        PickerKind::Role => {
            // Only a System Admin may make someone a System Admin.
            let may_grant_system_admin = model.my_role() == Some(&UserRole::SystemAdmin);
            (
                UserRole::ALL
                    .iter()
                    .filter(|role| may_grant_system_admin || **role != UserRole::SystemAdmin)
                    .cloned()
                    .map(QuickChange::Role)
                    .collect(),
                single.and_then(|user| user.role).map(QuickChange::Role),
            )
        }
    };
    let cursor = current
        .as_ref()
        .and_then(|current| choices.iter().position(|choice| choice == current))
        .unwrap_or(0);
    model.mode = Mode::Picker(Picker {
        kind,
        targets,
        choices,
        cursor,
        current,
    });
}

fn picker_choose(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::Picker(picker) = &model.mode else {
        return;
    };
    let Some(change) = picker.choices.get(picker.cursor).cloned() else {
        return;
    };
    let targets = picker.targets.clone();
    if targets.len() > 1 {
        model.mode = Mode::Confirm(Box::new(Confirm::BulkChange { targets, change }));
        return;
    }
    let unchanged = picker.current.as_ref() == Some(&change);
    model.mode = Mode::Normal;
    if unchanged {
        return;
    }
    for target in targets {
        send_quick_edit(model, target.id, change.clone(), cmds);
    }
}

fn send_quick_edit(model: &mut Model, user_id: i64, change: QuickChange, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.actions_in_flight.insert(request);
    model.users.in_flight_edits.insert(user_id);
    cmds.push(Cmd::QuickEdit {
        request,
        user_id,
        change,
    });
}

fn request_delete(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Some(target) = selected_target(model) else {
        return;
    };
    if model.me.loaded().is_some_and(|me| me.id == target.id) {
        model.banner = Some(Banner {
            text: "You cannot delete the account you are signed in with".to_string(),
            error: false,
        });
        return;
    }
    model.mode = Mode::Confirm(Box::new(Confirm::Delete {
        user: target,
        typed: Input::default(),
    }));
}

fn request_renew(model: &mut Model) {
    if !action_allowed(model) {
        return;
    }
    let Some(user) = model.users.selected_user() else {
        return;
    };
    let Some(plan) = user.plan.as_ref() else {
        model.banner = Some(Banner {
            text: format!("{} has no plan to renew", user.username),
            error: false,
        });
        return;
    };
    let plan = Some(plan);
    let days = plan.and_then(|plan| plan.number_of_days);
    let today = model.now.date_naive();
    // A renewal adds the plan's days from today or from the current expiry if that is later.
    let start = user
        .expiration_date
        .as_deref()
        .and_then(|date| chrono::NaiveDate::parse_from_str(date_part(date), "%Y-%m-%d").ok())
        .filter(|date| *date > today)
        .unwrap_or(today);
    let new_expiration = days.map(|days| (start + ChronoDuration::days(days)).to_string());
    let confirm = Confirm::RenewPlan {
        user: Target {
            id: user.id,
            username: user.username.clone(),
        },
        plan: plan.map(|plan| plan.label()),
        days,
        new_expiration,
    };
    model.mode = Mode::Confirm(Box::new(confirm));
}

/// The date in `2026-12-11T00:00:00` (or the whole text when it has no `T`).
pub fn date_part(text: &str) -> &str {
    text.split(['T', ' ']).next().unwrap_or(text)
}

fn edit_dialog_input(model: &mut Model, request: InputRequest) {
    match &mut model.mode {
        Mode::Confirm(confirm) => {
            if let Confirm::Delete { typed, .. } = confirm.as_mut() {
                typed.handle(request);
            }
        }
        Mode::Form(form) => form.edit_text(request),
        Mode::Password(dialog) => {
            let field = if dialog.second_focused {
                &mut dialog.second
            } else {
                &mut dialog.first
            };
            field.handle(request);
            dialog.error = None;
        }
        _ => {}
    }
}

fn confirm_dialog(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let mode = std::mem::take(&mut model.mode);
    match mode {
        Mode::Confirm(confirm) => match *confirm {
            Confirm::CloseSession { user, session } => {
                close_sessions(model, user, vec![session], cmds);
            }
            Confirm::CloseSessions { user, sessions, .. } => {
                close_sessions(model, user, sessions, cmds);
            }
            Confirm::CloseSessionsOfUsers { targets } => {
                model.progress = Some(Progress {
                    what: "Closing other sessions".to_string(),
                    total: targets.len(),
                    done: 0,
                    failures: Vec::new(),
                });
                for target in targets {
                    let request = model.new_request();
                    model.actions_in_flight.insert(request);
                    model.users.in_flight_edits.insert(target.id);
                    cmds.push(Cmd::CloseOtherSessions {
                        request,
                        user_id: target.id,
                    });
                }
            }
            Confirm::BulkChange { targets, change } => {
                model.progress = Some(Progress {
                    what: match &change {
                        QuickChange::Status(status) => format!("Setting status {status}"),
                        QuickChange::Role(role) => format!("Setting role {role}"),
                    },
                    total: targets.len(),
                    done: 0,
                    failures: Vec::new(),
                });
                for target in targets {
                    send_quick_edit(model, target.id, change.clone(), cmds);
                }
            }
            Confirm::Delete { user, typed } => {
                if typed.value() != user.username {
                    // Not yet: the dialog stays until the name matches or Esc.
                    model.mode = Mode::Confirm(Box::new(Confirm::Delete { user, typed }));
                    return;
                }
                let request = model.new_request();
                model.actions_in_flight.insert(request);
                model.users.in_flight_edits.insert(user.id);
                cmds.push(Cmd::DeleteUser {
                    request,
                    user_id: user.id,
                    username: user.username,
                });
            }
            Confirm::Undo { undo } => {
                model.last_undo = None;
                let request = model.new_request();
                model.actions_in_flight.insert(request);
                model.users.in_flight_edits.insert(undo.user.id);
                log_activity(
                    model,
                    format!(
                        "Undoing: {} back to {}",
                        undo.user.username, undo.description
                    ),
                    true,
                    cmds,
                );
                cmds.push(Cmd::SaveUser {
                    request,
                    user_id: undo.user.id,
                    expected: None,
                    update: undo.update,
                });
            }
            Confirm::RenewPlan { user, .. } => {
                let request = model.new_request();
                model.actions_in_flight.insert(request);
                cmds.push(Cmd::RenewPlan {
                    request,
                    user_id: user.id,
                    username: user.username,
                });
            }
        },
        Mode::Password(mut dialog) => {
            let Some(user) = dialog.user.clone() else {
                return;
            };
            let first = dialog.first.value();
            let problem = if first.is_empty() {
                Some("type the new password")
            } else if first != dialog.second.value() {
                Some("the two passwords differ")
            } else {
                None
            };
            if let Some(problem) = problem {
                dialog.error = Some(problem.to_string());
                dialog.second_focused = !first.is_empty();
                model.mode = Mode::Password(dialog);
                return;
            }
            let password = Secret::new(first);
            let request = model.new_request();
            model.actions_in_flight.insert(request);
            cmds.push(Cmd::ChangePassword {
                request,
                user_id: user.id,
                username: user.username,
                password,
            });
        }
        Mode::Form(form) if form.asking_discard => {
            // The admin chose to throw the changes away.
        }
        other => model.mode = other,
    }
}

fn close_sessions(
    model: &mut Model,
    user: Target,
    sessions: Vec<crate::api::Session>,
    cmds: &mut Vec<Cmd>,
) {
    if sessions.len() > 1 {
        model.progress = Some(Progress {
            what: format!("Closing sessions of {}", user.username),
            total: sessions.len(),
            done: 0,
            failures: Vec::new(),
        });
    }
    for session in sessions {
        let request = model.new_request();
        model.actions_in_flight.insert(request);
        model.sessions.closing.insert(session.uuid.clone());
        cmds.push(Cmd::CloseSession {
            request,
            user_id: user.id,
            uuid: session.uuid,
        });
    }
}

fn finish_action<T>(model: &mut Model, done: &Done<T>) {
    model.actions_in_flight.remove(&done.request);
}

/// Counts one answer of a bulk action; when the last is in, sums it up on the banner.
fn step_progress(model: &mut Model, failure: Option<String>, cmds: &mut Vec<Cmd>) -> bool {
    let Some(progress) = &mut model.progress else {
        return false;
    };
    progress.done += 1;
    if let Some(failure) = failure {
        progress.failures.push(failure);
    }
    if progress.done >= progress.total {
        let progress = model.progress.take().unwrap_or_default();
        let ok = progress.total - progress.failures.len();
        let mut text = format!("{}: {ok}/{} done", progress.what, progress.total);
        if !progress.failures.is_empty() {
            text.push_str(&format!(
                ", {} failed: {}",
                progress.failures.len(),
                progress.failures.join("; ")
            ));
        }
        let error = !progress.failures.is_empty();
        log_activity(model, text.clone(), !error, cmds);
        model.banner = Some(Banner { text, error });
    }
    true
}

fn on_session_closed(
    model: &mut Model,
    user_id: i64,
    uuid: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    finish_action(model, &done);
    note_request(model, "POST sessions/{uuid}", &done);
    model.sessions.closing.remove(&uuid);
    let short = short_uuid(&uuid);
    let username = model
        .users
        .find(user_id)
        .map(|(_, user)| user.username.clone())
        .unwrap_or_else(|| format!("user {user_id}"));
    match done.result {
        Ok(()) => {
            if model.sessions.user_id == Some(user_id)
                && let LoadState::Loaded(list) = &mut model.sessions.list
            {
                list.retain(|session| session.uuid != uuid);
                model.sessions.selected = model.sessions.selected.min(list.len().saturating_sub(1));
            }
            if !step_progress(model, None, cmds) {
                succeed(model, format!("Closed session {short} of {username}"), cmds);
            } else {
                cmds.push(Cmd::Log {
                    line: format!("Closed session {short} of {username}"),
                });
            }
        }
        Err(error) => {
            let what = format!("Closing session {short} of {username}");
            if !step_progress(model, Some(format!("{short}: {}", explain(&error))), cmds) {
                report(model, &what, &error, cmds);
            }
        }
    }
}

fn change_words(change: &QuickChange) -> String {
    match change {
        QuickChange::Status(status) => format!("status {status}"),
        QuickChange::Role(role) => format!("role {role}"),
    }
}

fn on_user_updated(
    model: &mut Model,
    user_id: i64,
    change: QuickChange,
    done: Done<crate::api::User>,
    cmds: &mut Vec<Cmd>,
) {
    finish_action(model, &done);
    note_request(model, "PUT users/{id}/", &done);
    model.users.in_flight_edits.remove(&user_id);
    match done.result {
        Ok(user) => {
            let text = format!("{}: {} set", user.username, change_words(&change));
            if let Some(row) = model.users.find_mut(user_id) {
                if model.progress.is_none() {
                    model.last_undo = Some(reverse(row, &change.to_update()));
                }
                *row = user;
            }
            if !step_progress(model, None, cmds) {
                succeed(model, text, cmds);
            } else {
                cmds.push(Cmd::Log { line: text });
            }
        }
        Err(error) => {
            let username = model
                .users
                .find(user_id)
                .map(|(_, user)| user.username.clone())
                .unwrap_or_else(|| format!("user {user_id}"));
            let what = format!("Setting {username}'s {}", change_words(&change));
            if !step_progress(
                model,
                Some(format!("{username}: {}", explain(&error))),
                cmds,
            ) {
                report(model, &what, &error, cmds);
            }
        }
    }
}

fn on_user_deleted(
    model: &mut Model,
    user_id: i64,
    username: String,
    done: Done<()>,
    cmds: &mut Vec<Cmd>,
) {
    finish_action(model, &done);
    note_request(model, "DELETE users/{id}/", &done);
    model.users.in_flight_edits.remove(&user_id);
    match done.result {
        Ok(()) => {
            model.users.marked.remove(&user_id);
            remove_row(model, user_id);
            succeed(model, format!("Deleted {username} (id {user_id})"), cmds);
            refresh_list(model, cmds);
            schedule_sessions(model, cmds);
        }
        Err(error) => report(model, &format!("Deleting {username}"), &error, cmds),
    }
}

/// Takes a deleted user out of the loaded pages at once, so the selection lands on the
/// neighbour that took its row; the refresh that follows re-aligns the pages.
fn remove_row(model: &mut Model, user_id: i64) {
    let Some((row, _)) = model.users.find(user_id) else {
        return;
    };
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

// ---- forms (issue 6) ----

/// The undo of `update` applied to `original`: the same fields, with their old values.
pub fn reverse(original: &User, update: &UserUpdate) -> Undo {
    fn back(changed: &Patch<impl Sized>, old: Option<String>) -> Patch<String> {
        match (changed.is_keep(), old) {
            (true, _) => Patch::Keep,
            (false, Some(old)) if !old.is_empty() => Patch::Set(old),
            (false, _) => Patch::Clear,
        }
    }
    let old_plan = original.plan.as_ref().map(|plan| plan.id);
    let restore = UserUpdate {
        username: update.username.as_ref().map(|_| original.username.clone()),
        email: update
            .email
            .as_ref()
            .map(|_| original.email.clone().unwrap_or_default()),
        first_name: update
            .first_name
            .as_ref()
            .map(|_| original.first_name.clone().unwrap_or_default()),
        last_name: update
            .last_name
            .as_ref()
            .map(|_| original.last_name.clone().unwrap_or_default()),
        status: update.status.as_ref().and(original.status.clone()),
        role: update.role.as_ref().and(original.role.clone()),
        mobile: back(&update.mobile, original.mobile.clone()),
        plan_id: match (update.plan_id.is_keep(), old_plan) {
            (true, _) => Patch::Keep,
            (false, Some(id)) => Patch::Set(id),
            (false, None) => Patch::Clear,
        },
        expiration_date: back(
            &update.expiration_date,
            original
                .expiration_date
                .as_deref()
                .map(|date| date_part(date).to_string()),
        ),
    };
    let description = restore
        .to_json()
        .iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => format!("{key} {text}"),
            other => format!("{key} {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Undo {
        user: Target {
            id: original.id,
            username: original.username.clone(),
        },
        update: restore,
        description,
    }
}

fn open_edit_form(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if !action_allowed(model) {
        return;
    }
    let Some(user) = model.users.selected_user().cloned() else {
        return;
    };
    let plans = model.plans.loaded().cloned().unwrap_or_default();
    let mut form = UserForm::edit(&user, &plans);
    form.may_grant_system_admin = model.my_role() == Some(&UserRole::SystemAdmin);
    model.mode = Mode::Form(Box::new(form));
    if model.plans.loaded().is_none() && !model.plans.is_loading() {
        let request = model.new_request();
        model.plans_request = Some(request);
        model.plans = LoadState::Loading;
        cmds.push(Cmd::LoadPlans { request });
    }
}

fn save_form(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let request = RequestIdSource::peek(model);
    let Mode::Form(form) = &mut model.mode else {
        return;
    };
    if form.saving.is_some() {
        return;
    }
    if !form.check_all() {
        form.failure = Some("Fix the marked fields first".to_string());
        return;
    }
    let cmd = match &form.original {
        Some(original) => {
            let update = form.update();
            if update.is_empty() {
                form.failure = Some("Nothing changed".to_string());
                return;
            }
            Cmd::SaveUser {
                request,
                user_id: original.id,
                expected: Some(Box::new(original.clone())),
                update,
            }
        }
        None => Cmd::CreateUser {
            request,
            new_user: form.new_user(),
        },
    };
    form.saving = Some(request);
    form.failure = None;
    RequestIdSource::take(model, request);
    model.actions_in_flight.insert(request);
    cmds.push(cmd);
}

/// Request ids come from the model; a form borrows the model's mode while it builds its
/// command, so the id is read first and claimed once the command is certain.
struct RequestIdSource;

impl RequestIdSource {
    fn peek(model: &Model) -> super::msg::RequestId {
        super::msg::RequestId(model.next_request + 1)
    }

    fn take(model: &mut Model, request: super::msg::RequestId) {
        model.next_request = request.0;
    }
}

fn on_user_saved(model: &mut Model, created: bool, done: Done<User>, cmds: &mut Vec<Cmd>) {
    finish_action(model, &done);
    note_request(
        model,
        if created {
            "POST users/"
        } else {
            "PUT users/{id}/"
        },
        &done,
    );
    let ours = matches!(&model.mode, Mode::Form(form) if form.saving == Some(done.request));
    match done.result {
        Ok(user) => {
            model.users.in_flight_edits.remove(&user.id);
            let mut changed = String::new();
            if ours && let Mode::Form(form) = std::mem::take(&mut model.mode) {
                changed = form
                    .changes()
                    .iter()
                    .map(|(field, _, _)| field.label())
                    .collect::<Vec<_>>()
                    .join(", ");
                if let Some(original) = &form.original {
                    model.last_undo = Some(reverse(original, &form.update()));
                }
            }
            if created {
                succeed(
                    model,
                    format!("Created {} (id {})", user.username, user.id),
                    cmds,
                );
                model.pending_select = Some(user.id);
                // In the default order a new user is the last one.
                let default_order = model.filters.chips().is_empty()
                    && model.filters.sort == super::model::Sort::default();
                refresh_list(model, cmds);
                if default_order {
                    model.users.jump_to_end = true;
                }
            } else {
                let text = if changed.is_empty() {
                    format!("Saved {}", user.username)
                } else {
                    format!("Saved {}: {changed}", user.username)
                };
                if let Some(row) = model.users.find_mut(user.id) {
                    *row = user;
                }
                succeed(model, text, cmds);
            }
        }
        Err(error) => {
            if ours && let Mode::Form(form) = &mut model.mode {
                form.saving = None;
                if !form.place_server_errors(&error) {
                    form.failure = Some(explain(&error));
                }
            }
            let what = if created {
                "Creating the user"
            } else {
                "Saving the user"
            };
            report(model, what, &error, cmds);
        }
    }
}
