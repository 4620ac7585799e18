//! The picker of saved and built-in views, each with the filters it sets.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::format::{fit, shown};
use super::theme::{Theme, hint_line};
use crate::console::model::{Naming, ViewPicker};

/// The widest the picker grows on a large screen.
const MAX_WIDTH: u16 = 120;

pub fn render(picker: &ViewPicker, theme: Theme, frame: &mut Frame) {
    let width = frame.area().width.saturating_sub(4).clamp(20, MAX_WIDTH);
    // Borders, cursor, the name column and " built in" leave the rest to the filters.
    let filters_room = usize::from(width).saturating_sub(2 + 2 + 18 + 9);
    let mut lines: Vec<Line> = Vec::new();
    for (index, entry) in picker.entries.iter().enumerate() {
        let chosen = index == picker.cursor;
        let name_style = if chosen {
            theme.selected_row()
        } else {
            theme.strong()
        };
        let kind = if entry.built_in { " built in" } else { "" };
        let filters = fit(&entry.view.describe(), filters_room);
        lines.push(Line::from(vec![
            Span::raw(if chosen { "▌ " } else { "  " }),
            Span::styled(format!("{:<18}", fit(&entry.name, 18)), name_style),
            Span::styled(format!("{filters:<filters_room$}"), theme.dim()),
            Span::styled(kind, theme.label()),
        ]));
    }
    if picker.awaiting.is_some() {
        lines.push(Line::styled("  reading the config file…", theme.dim()));
    }
    lines.push(Line::raw(""));
    if let Some((naming, input)) = &picker.naming {
        let what = match naming {
            Naming::Save => "Save the current view as".to_string(),
            Naming::Rename(from) => format!("Rename '{}' to", fit(from, 20)),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{what}: ")),
            Span::styled(format!("{}▏", shown(input.value())), theme.input()),
        ]));
    }
    if let Some(error) = &picker.error {
        lines.push(Line::styled(
            fit(error, usize::from(width).saturating_sub(4)),
            theme.error(),
        ));
    }
    let hints: &[(&str, &str)] = if picker.naming.is_some() {
        &[("⏎", "save"), ("Esc", "back")]
    } else {
        &[
            ("⏎", "apply"),
            ("d", "delete"),
            ("r", "rename"),
            ("Esc", "close"),
        ]
    };
    lines.push(hint_line(theme, hints));
    let area = dialog_area(frame, width, lines.len() as u16 + 2);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Views ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tui_input::Input;

    use crate::console::fixtures::loaded_model;
    use crate::console::model::{Mode, Naming, ViewEntry, ViewPicker};
    use geobox_api::UserStatus;
    use geobox_ops::views::{self, View};

    #[test]
    fn the_picker_shows_each_views_filters_and_the_name_line() {
        for (width, height) in [(80, 24), (160, 45)] {
            let mut model = loaded_model(width, height, 500);
            let today = model.now.date_naive();
            let mut entries = vec![ViewEntry {
                name: "gmail-pending".into(),
                view: View {
                    status: Some(UserStatus::Pending),
                    search: Some("gmail".into()),
                    order_by: Some("username A".into()),
                    ..View::default()
                },
                built_in: false,
            }];
            entries.extend(views::BUILT_IN.iter().filter_map(|name| {
                Some(ViewEntry {
                    name: (*name).to_string(),
                    view: views::built_in(name, today)?,
                    built_in: true,
                })
            }));
            model.mode = Mode::Views(Box::new(ViewPicker {
                entries,
                cursor: 1,
                naming: Some((Naming::Save, Input::new("weekly".into()))),
                ..ViewPicker::default()
            }));
            let mut terminal =
                Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
            terminal
                .draw(|frame| {
                    crate::console::view::view(&model, &crate::console::fixtures::env(), frame)
                })
                .expect("drawing works");
            insta::with_settings!({
                filters => vec![(r"\d+ ms", "N ms")],
                snapshot_suffix => format!("{width}x{height}"),
            }, {
                insta::assert_snapshot!("view_picker", terminal.backend());
            });
        }
    }
}
