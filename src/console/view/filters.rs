//! The filter panel (`f`): status, role, search fields, CQL and sort, applied with Enter.

use ratatui::Frame;
use ratatui::layout::Position;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_input::Input;

use super::dialog_area;
use super::format::shown;
use super::theme::{Theme, status_symbol};
use crate::console::keys::{self, Context};
use crate::console::model::{FilterField, FilterPanel};

const LABEL_WIDTH: usize = 12;

/// The user fields a Geobox accepts in CQL, so a filter can be written without guessing.
const CQL_FIELDS: &str = "id, username, email, first_name, last_name, mobile, role, status, \
plan_id, expiration_date, parent_id, created_at, updated_at, last_login";

fn choice(text: String, focused: bool) -> String {
    if focused {
        format!("◂ {text} ▸")
    } else {
        text
    }
}

pub fn render(panel: &FilterPanel, theme: Theme, frame: &mut Frame) {
    let kept_search = !panel.search.trim().is_empty();
    let area = dialog_area(frame, 72, 16 + u16::from(kept_search));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Filters ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let field_width = usize::from(inner.width).saturating_sub(LABEL_WIDTH + 3);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (index, field) in FilterField::ALL.iter().enumerate() {
        let focused = panel.field == *field;
        let marker = if focused { "▌" } else { " " };
        let label = Span::styled(
            format!("{marker}{:<LABEL_WIDTH$} ", field.label()),
            if focused {
                theme.strong()
            } else {
                theme.label()
            },
        );
        let value: Span = match field {
            FilterField::Status => Span::styled(
                choice(
                    panel.status.as_ref().map_or("any".to_string(), |status| {
                        format!("{} {status}", status_symbol(Some(status)))
                    }),
                    focused,
                ),
                theme.status(panel.status.as_ref()),
            ),
            FilterField::Role => Span::styled(
                choice(
                    panel
                        .role
                        .as_ref()
                        .map_or("any".to_string(), ToString::to_string),
                    focused,
                ),
                theme.role(panel.role.as_ref()),
            ),
            FilterField::SearchFields | FilterField::Cql => {
                let input: &Input = if *field == FilterField::Cql {
                    &panel.cql
                } else {
                    &panel.search_fields
                };
                let scroll = input.visual_scroll(field_width.max(1));
                let visible: String = input
                    .value()
                    .chars()
                    .skip(scroll)
                    .take(field_width)
                    .collect();
                let visible = shown(&visible);
                if focused {
                    cursor = Some((
                        index,
                        LABEL_WIDTH + 2 + input.visual_cursor().saturating_sub(scroll),
                    ));
                }
                let shown = if visible.is_empty() && !focused {
                    if *field == FilterField::Cql {
                        "— (e.g. username LIKE '%gis%')".to_string()
                    } else {
                        "— (all text fields)".to_string()
                    }
                } else {
                    format!("{visible:<field_width$}")
                };
                Span::styled(shown, if focused { theme.input() } else { theme.dim() })
            }
            FilterField::SortColumn => {
                Span::raw(choice(panel.sort.column.field().to_string(), focused))
            }
            FilterField::SortDirection => Span::raw(choice(
                if panel.sort.descending {
                    "descending (D)".to_string()
                } else {
                    "ascending (A)".to_string()
                },
                focused,
            )),
        };
        lines.push(Line::from(vec![label, value]));
    }
    if kept_search {
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<LABEL_WIDTH$} ", "search"), theme.label()),
            Span::styled(format!("/{}", shown(panel.search.trim())), theme.dim()),
            Span::styled("  (from /; Ctrl-R clears it too)", theme.dim()),
        ]));
    }
    lines.push(Line::raw(""));
    // The server's complaint is shown whole (wrapped), since its end names what is wrong.
    match &panel.cql_error {
        Some(error) => lines.push(Line::styled(
            format!("✗ CQL: {}", shown(error)),
            theme.error(),
        )),
        None => lines.push(Line::styled(
            "Role is sent as CQL (role = '…') joined to yours with AND.",
            theme.dim(),
        )),
    }
    lines.push(Line::styled(
        format!("CQL fields: {CQL_FIELDS}"),
        theme.dim(),
    ));
    lines.push(Line::raw(""));
    let hints: Vec<Span> = keys::KEYMAP
        .iter()
        .filter(|binding| binding.context == Context::Filters && !binding.footer.is_empty())
        .flat_map(|binding| {
            let (keys, words) = binding
                .footer
                .split_once(' ')
                .unwrap_or((binding.footer, ""));
            [
                Span::styled(keys.to_string(), theme.key_hint()),
                Span::raw(format!(" {words}  ")),
            ]
        })
        .collect();
    lines.push(Line::from(hints));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if let Some((row, column)) = cursor {
        frame.set_cursor_position(Position::new(
            (inner.x + column as u16).min(inner.right().saturating_sub(1)),
            inner.y + row as u16,
        ));
    }
}
