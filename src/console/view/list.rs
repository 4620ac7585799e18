//! The user table: only the rows on screen are built, whatever the number of users.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::format::{is_expired, shown};
use super::theme::{Theme, spinner_frame, status_text};
use crate::console::model::{Focus, LiveField, Model, Sort, SortColumn};
use geobox_api::User;

/// The columns, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Id,
    Mark,
    Username,
    Name,
    Email,
    Role,
    Status,
    Plan,
    Expires,
    /// Shown only while the list is sorted by it.
    Created,
}

impl Column {
    const ALL: [Column; 9] = [
        Column::Id,
        Column::Mark,
        Column::Username,
        Column::Name,
        Column::Email,
        Column::Role,
        Column::Status,
        Column::Plan,
        Column::Expires,
    ];

    /// The order in which columns give way as the terminal narrows.
    const DROP_ORDER: [Column; 4] = [Column::Email, Column::Name, Column::Plan, Column::Expires];

    fn title(self) -> &'static str {
        match self {
            Column::Id => "ID",
            Column::Mark => "",
            Column::Username => "USERNAME",
            Column::Name => "NAME",
            Column::Email => "EMAIL",
            Column::Role => "ROLE",
            Column::Status => "STATUS",
            Column::Plan => "PLAN",
            Column::Expires => "EXPIRES",
            Column::Created => "CREATED",
        }
    }

    /// The field a live refresh compares for this column.
    fn live_field(self) -> Option<LiveField> {
        match self {
            Column::Username => Some(LiveField::Username),
            Column::Name => Some(LiveField::Name),
            Column::Email => Some(LiveField::Email),
            Column::Role => Some(LiveField::Role),
            Column::Status => Some(LiveField::Status),
            Column::Plan => Some(LiveField::Plan),
            Column::Expires => Some(LiveField::Expires),
            Column::Id | Column::Mark | Column::Created => None,
        }
    }

    /// The column that shows a sort field.
    fn of_sort(column: SortColumn) -> Column {
        match column {
            SortColumn::Id => Column::Id,
            SortColumn::Username => Column::Username,
            SortColumn::LastName => Column::Name,
            SortColumn::Email => Column::Email,
            SortColumn::Role => Column::Role,
            SortColumn::Status => Column::Status,
            SortColumn::Expiration => Column::Expires,
            SortColumn::Created => Column::Created,
        }
    }

    /// How wide the column's text is, for one user, as the screen shows it.
    fn content_width(self, user: &User) -> usize {
        let width = |text: &str| shown(text).chars().count();
        let text = |text: Option<&str>| text.map_or(1, width);
        match self {
            Column::Id => user.id.to_string().len(),
            Column::Mark => 1,
            Column::Username => width(&user.username) + 2,
            Column::Name => width(&user.full_name()),
            Column::Email => text(user.email.as_deref()),
            Column::Role => text(user.role.as_ref().map(|role| role.as_str())),
            Column::Status => 10,
            Column::Plan => user.plan.as_ref().map_or(1, |plan| width(&plan.label())),
            Column::Expires | Column::Created => 11,
        }
    }

    fn width(self) -> u16 {
        match self {
            Column::Id => 6,
            Column::Mark => 1,
            Column::Username => 16,
            Column::Name => 18,
            Column::Email => 24,
            Column::Role => 13,
            Column::Status => 10,
            Column::Plan => 12,
            Column::Expires => 11,
            Column::Created => 10,
        }
    }

    /// The width for these users (the usual one when there are none): as wide as the widest title or value on screen, never wider
    /// than the column's usual width (longer text is cut with `…`).
    fn width_for(self, users: &[&User]) -> u16 {
        if users.is_empty() {
            return self.width();
        }
        let widest = users
            .iter()
            .map(|user| self.content_width(user))
            .max()
            .unwrap_or(0)
            .max(self.title().chars().count() + 2);
        (widest as u16).min(self.width())
    }
}

/// The columns that fit in `width`, each with its width for the users on screen. The sorted
/// column is never dropped (and `CREATED` appears only while sorted by it), so the order the
/// rows are in is always visible.
pub fn columns_fitting(width: u16, sort: Sort, users: &[&User]) -> Vec<(Column, u16)> {
    let sorted = Column::of_sort(sort.column);
    let mut columns: Vec<(Column, u16)> = Column::ALL
        .iter()
        .copied()
        .chain((sorted == Column::Created).then_some(Column::Created))
        .map(|column| (column, column.width_for(users)))
        .collect();
    let needed = |columns: &[(Column, u16)]| -> u16 {
        columns.iter().map(|(_, width)| width + 1).sum::<u16>() + 2
    };
    for drop in Column::DROP_ORDER {
        if needed(&columns) <= width {
            break;
        }
        if drop != sorted {
            columns.retain(|(column, _)| *column != drop);
        }
    }
    columns
}

/// The columns that fit in `width` cells at their usual widths (one cell between columns, two
/// for the cursor bar), sorted by id.
pub fn columns_for(width: u16) -> Vec<Column> {
    columns_fitting(width, Sort::default(), &[])
        .into_iter()
        .map(|(column, _)| column)
        .collect()
}

/// A cell, highlighted when the last live refresh found it changed.
fn cell<'a>(
    model: &Model,
    theme: Theme,
    user: &'a User,
    column: Column,
    show_expiry: bool,
) -> Cell<'a> {
    let cell = plain_cell(model, theme, user, column, show_expiry);
    let changed = model.live.marks_of(user.id).is_some_and(|marked| {
        column
            .live_field()
            .is_some_and(|field| marked.fields.contains(&field))
    });
    if changed && !model.live.is_gone(user.id) {
        cell.style(theme.changed())
    } else {
        cell
    }
}

/// The gutter: a change in flight, a mark, or what the last live refresh found.
fn gutter(model: &Model, theme: Theme, user: &User) -> Cell<'static> {
    let live = &model.live;
    if model.users.in_flight_edits.contains(&user.id) {
        Cell::from(Span::styled(spinner_frame(model.spinner), theme.spinner()))
    } else if live.is_gone(user.id) {
        Cell::from(Span::styled("✗", theme.gone_row()))
    } else if model.users.marked.contains(&user.id) {
        Cell::from(Span::styled("*", theme.marked()))
    } else if let Some(marked) = live.marks_of(user.id) {
        let (sign, style) = if marked.new {
            ("+", theme.new_row())
        } else {
            ("~", theme.changed())
        };
        Cell::from(Span::styled(sign, style))
    } else {
        Cell::from("")
    }
}

fn plain_cell<'a>(
    model: &Model,
    theme: Theme,
    user: &'a User,
    column: Column,
    show_expiry: bool,
) -> Cell<'a> {
    let expired = is_expired(model.now, user.expiration_date.as_deref());
    match column {
        Column::Id => Cell::from(user.id.to_string()),
        Column::Mark => gutter(model, theme, user),
        Column::Username => {
            if expired && !show_expiry {
                Cell::from(Line::from(vec![
                    Span::raw(shown(&user.username)),
                    Span::styled(" !", theme.expired()),
                ]))
            } else {
                Cell::from(shown(&user.username))
            }
        }
        Column::Name => Cell::from(shown(&user.full_name()).into_owned()),
        Column::Email => Cell::from(shown(user.email.as_deref().unwrap_or(""))),
        Column::Role => Cell::from(Span::styled(
            shown(user.role.as_ref().map_or("—", |role| role.as_str())),
            theme.role(user.role.as_ref()),
        )),
        Column::Status => {
            if model.users.in_flight_edits.contains(&user.id) {
                Cell::from(Span::styled("saving…", theme.spinner()))
            } else {
                Cell::from(Span::styled(
                    status_text(user.status.as_ref()),
                    theme.status(user.status.as_ref()),
                ))
            }
        }
        Column::Plan => match &user.plan {
            Some(plan) => Cell::from(Span::styled(
                shown(&plan.label()).into_owned(),
                theme.plan(plan.plan_color.as_deref()),
            )),
            None => Cell::from(Span::styled("—", theme.dim())),
        },
        Column::Expires => match user.expiration_date.as_deref() {
            Some(date) if expired => Cell::from(Span::styled(
                format!("{}!", shown(geobox_api::date_part(date))),
                theme.expired(),
            )),
            Some(date) => Cell::from(shown(geobox_api::date_part(date)).into_owned()),
            None => Cell::from(Span::styled("—", theme.dim())),
        },
        Column::Created => Cell::from(
            shown(
                user.created_at
                    .as_deref()
                    .map_or("—", geobox_api::date_part),
            )
            .into_owned(),
        ),
    }
}

pub fn render(model: &Model, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = model.focus == Focus::Table;
    let list = &model.users;
    let offline = model.connection.is_offline();
    let mut title = if list.marked.is_empty() {
        " Users ".to_string()
    } else {
        format!(" Users · {} marked ", list.marked.len())
    };
    if offline && !list.pages.is_empty() {
        title.push_str("· stale: last loaded before going offline ");
    }
    match model.live.gone.len() {
        0 => {}
        1 => title.push_str("· ✗ 1 no longer matches (until you move) "),
        gone => title.push_str(&format!("· ✗ {gone} no longer match (until you move) ")),
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title);
    let inner = block.inner(area);
    let visible = u64::from(inner.height.saturating_sub(1));
    let offset = crate::console::layout::first_shown_row(model);
    let end = (offset + visible).min(list.known_rows());
    let on_screen: Vec<&User> = (offset..end).filter_map(|row| list.user_at(row)).collect();
    let sized = columns_fitting(inner.width, model.filters.sort, &on_screen);
    let columns: Vec<Column> = sized.iter().map(|(column, _)| *column).collect();
    let show_expiry = columns.contains(&Column::Expires);

    // Before the first answer, and for empty or failed lists, a message says why there are no rows.
    let message: Option<(String, ratatui::style::Style)> = if !list.first_answer_in() {
        Some((
            format!("{} loading users…", spinner_frame(model.spinner)),
            theme.spinner(),
        ))
    } else if let (Some(error), true) = (&list.error, list.pages.is_empty()) {
        Some((format!("✗ {}", shown(error)), theme.error()))
    } else if list.known_rows() == 0 {
        let filtered = !model.filters.chips().is_empty();
        Some((
            if filtered {
                "No users match these filters. / or f to change them, Esc in the search to clear it.".to_string()
            } else {
                "No users.".to_string()
            },
            theme.dim(),
        ))
    } else {
        None
    };

    let sorted = Column::of_sort(model.filters.sort.column);
    let arrow = if model.filters.sort.descending {
        " ▼"
    } else {
        " ▲"
    };
    let header = Row::new(columns.iter().map(|column| {
        if *column == sorted {
            Cell::from(format!("{}{arrow}", column.title()))
        } else {
            Cell::from(column.title())
        }
    }))
    .style(theme.header());
    let widths: Vec<Constraint> = sized
        .iter()
        .map(|(column, width)| match column {
            Column::Username | Column::Email | Column::Name => Constraint::Min(*width),
            _ => Constraint::Length(*width),
        })
        .collect();

    let mut rows = Vec::new();
    let mut state = TableState::default();
    if message.is_none() {
        for row in offset..end {
            let built = match list.user_at(row) {
                Some(user) => {
                    let row = Row::new(
                        columns
                            .iter()
                            .map(|column| cell(model, theme, user, *column, show_expiry)),
                    );
                    if offline {
                        row.style(theme.dim())
                    } else if model.live.is_gone(user.id) {
                        row.style(theme.gone_row())
                    } else if list.marked.contains(&user.id) {
                        row.style(theme.marked_row())
                    } else if model
                        .live
                        .marks_of(user.id)
                        .is_some_and(|marked| marked.new)
                    {
                        row.style(theme.new_row())
                    } else {
                        row
                    }
                }
                None => Row::new(columns.iter().map(|column| match column {
                    Column::Username => {
                        Cell::from(Span::styled(missing_row_text(model, row), theme.dim()))
                    }
                    Column::Id => Cell::from(Span::styled((row + 1).to_string(), theme.dim())),
                    _ => Cell::from(""),
                })),
            };
            rows.push(built);
        }
        if list.selected >= offset && list.selected < end {
            state.select(Some((list.selected - offset) as usize));
        }
    }
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selected_row())
        .highlight_symbol("▌ ")
        .highlight_spacing(HighlightSpacing::Always);
    frame.render_stateful_widget(table, area, &mut state);

    if let Some((text, style)) = message {
        // Wrapped: an error's end (the known fields, the position) is what the admin needs.
        let message_area = Rect {
            y: inner.y + 2,
            height: inner.height.saturating_sub(2),
            x: inner.x + 2,
            width: inner.width.saturating_sub(4),
        };
        if inner.height > 2 {
            frame.render_widget(
                Paragraph::new(Span::styled(text, style))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                message_area,
            );
        }
    }
}

/// What a row whose page is not loaded says: loading while its page is asked for, otherwise
/// why it is not.
fn missing_row_text(model: &Model, row: u64) -> String {
    let list = &model.users;
    if list.row_pending(row) {
        format!("{} loading…", spinner_frame(model.spinner))
    } else if model.connection.is_offline() {
        "✗ offline".to_string()
    } else if list.error.is_some() {
        "✗ failed".to_string()
    } else {
        format!("{} loading…", spinner_frame(model.spinner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_give_way_in_priority_order() {
        let wide = columns_for(200);
        assert!(wide.contains(&Column::Email) && wide.contains(&Column::Name));
        let medium = columns_for(100);
        assert!(!medium.contains(&Column::Email));
        assert!(medium.contains(&Column::Name));
        let narrow = columns_for(78);
        assert!(!narrow.contains(&Column::Email));
        for kept in [Column::Id, Column::Username, Column::Role, Column::Status] {
            assert!(columns_for(40).contains(&kept));
        }
    }

    #[test]
    fn the_sorted_column_stays_and_ids_take_their_width() {
        let by_email = Sort {
            column: SortColumn::Email,
            descending: false,
        };
        let user = crate::console::fixtures::user(123);
        let columns = columns_fitting(90, by_email, &[&user]);
        assert!(columns.iter().any(|(column, _)| *column == Column::Email));
        let id_width = columns
            .iter()
            .find(|(column, _)| *column == Column::Id)
            .map(|(_, width)| *width);
        assert_eq!(id_width, Some(4), "ID and 3 digits, not 9 cells");
        let by_created = Sort {
            column: SortColumn::Created,
            descending: true,
        };
        let columns = columns_fitting(160, by_created, &[&user]);
        assert!(columns.iter().any(|(column, _)| *column == Column::Created));
    }
}
