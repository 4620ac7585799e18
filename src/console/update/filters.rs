//! Search, the filter panel and the sort: what the list shows, applied only when settled.

use tui_input::{Input, InputRequest};

use super::list::reset_list;
use crate::console::cmd::Cmd;
use crate::console::model::{FilterField, FilterPanel, Mode, Model, SEARCH_DEBOUNCE};
use crate::console::msg::Msg;
use crate::console::wrap::step_wrapping;
use geobox_api::check_cql;
use geobox_api::{UserRole, UserStatus};

pub(super) fn open_search(model: &mut Model) {
    model.mode = Mode::Search(Input::new(model.filters.search.clone()));
}

pub(super) fn edit_search(model: &mut Model, request: InputRequest, cmds: &mut Vec<Cmd>) {
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

pub(super) fn on_search_settled(model: &mut Model, token: u64, cmds: &mut Vec<Cmd>) {
    if token == model.search_token
        && let Mode::Search(input) = &model.mode
    {
        let typed = input.value().to_string();
        apply_search(model, typed, cmds);
    }
}

pub(super) fn keep_search(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if let Mode::Search(input) = &model.mode {
        let typed = input.value().to_string();
        // The debounce timer still running is now moot.
        model.search_token += 1;
        model.mode = Mode::Normal;
        apply_search(model, typed, cmds);
    }
}

/// Esc in the search line, or on the table while a search is kept (as k9s clears its filter).
pub(super) fn clear_search(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let kept = matches!(model.mode, Mode::Normal) && !model.filters.search.is_empty();
    if matches!(model.mode, Mode::Search(_)) || kept {
        model.search_token += 1;
        model.mode = Mode::Normal;
        apply_search(model, String::new(), cmds);
    }
}

pub(super) fn open_filters(model: &mut Model) {
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
        search: filters.search.clone(),
    }));
}

pub(super) fn step_filter_field(model: &mut Model, forward: bool) {
    if let Mode::Filters(panel) = &mut model.mode {
        panel.field = panel.field.step(forward);
    }
}

pub(super) fn cycle_filter_choice(model: &mut Model, step: i8) {
    if let Mode::Filters(panel) = &mut model.mode {
        cycle_panel_choice(panel, step);
    }
}

pub(super) fn edit_filter_field(model: &mut Model, request: InputRequest) {
    if let Mode::Filters(panel) = &mut model.mode {
        edit_filter_text(panel, request);
    }
}

pub(super) fn close_filters(model: &mut Model) {
    if matches!(model.mode, Mode::Filters(_)) {
        model.mode = Mode::Normal;
    }
}

pub(super) fn reset_filter_fields(model: &mut Model) {
    if let Mode::Filters(panel) = &mut model.mode {
        **panel = FilterPanel {
            field: panel.field,
            ..FilterPanel::default()
        };
    }
}

pub(super) fn cycle_sort_column(model: &mut Model, cmds: &mut Vec<Cmd>) {
    model.filters.sort.column = model.filters.sort.column.next();
    reset_list(model, cmds, 0);
}

pub(super) fn flip_sort_direction(model: &mut Model, cmds: &mut Vec<Cmd>) {
    model.filters.sort.descending = !model.filters.sort.descending;
    reset_list(model, cmds, 0);
}

pub(super) fn apply_search(model: &mut Model, typed: String, cmds: &mut Vec<Cmd>) {
    if model.filters.search == typed {
        return;
    }
    model.filters.search = typed;
    reset_list(model, cmds, 0);
}

fn cycle<T: Clone + PartialEq>(all: &[T], current: &Option<T>, step: i8) -> Option<T> {
    // Positions: 0 is "any", then each value.
    let index = current
        .as_ref()
        .and_then(|value| all.iter().position(|known| known == value))
        .map_or(0, |position| position + 1);
    let next = step_wrapping(index, all.len() + 1, step >= 0);
    if next == 0 {
        None
    } else {
        Some(all[next - 1].clone())
    }
}

fn cycle_panel_choice(panel: &mut FilterPanel, step: i8) {
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

pub(super) fn edit_filter_text(panel: &mut FilterPanel, request: InputRequest) {
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
            panel.cql_error = check_cql(panel.cql.value())
                .err()
                .map(|error| error.to_string());
        }
        _ => {}
    }
}

pub(super) fn apply_filters(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::Filters(panel) = &mut model.mode else {
        return;
    };
    if let Err(reason) = check_cql(panel.cql.value()) {
        panel.cql_error = Some(reason.to_string());
        panel.field = FilterField::Cql;
        return;
    }
    let mut filters = model.filters.clone();
    filters.status = panel.status.clone();
    filters.role = panel.role.clone();
    filters.search_fields = panel.search_fields.value().trim().to_string();
    filters.cql = panel.cql.value().trim().to_string();
    filters.sort = panel.sort;
    filters.search = panel.search.clone();
    model.mode = Mode::Normal;
    if filters != model.filters {
        model.filters = filters;
        reset_list(model, cmds, 0);
    }
}
