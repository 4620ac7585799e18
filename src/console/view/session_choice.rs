//! `X` on one user: the ways to choose which sessions to close, each with its count.

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::theme::Theme;
use crate::console::model::CloseChoice;

pub fn render(choice: &CloseChoice, theme: Theme, frame: &mut Frame) {
    let mut lines: Vec<Line> = choice
        .options
        .iter()
        .enumerate()
        .map(|(index, option)| {
            let text = format!(
                "{} {} ({} session{})",
                if index == choice.selected { "▸" } else { " " },
                option.label,
                option.sessions.len(),
                if option.sessions.len() == 1 { "" } else { "s" }
            );
            if index == choice.selected {
                Line::styled(text, theme.selected_row())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "⏎ list them (asks once more) · Esc cancel",
        theme.key_hint(),
    ));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let area = dialog_area(frame, 60, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(
            " Close which sessions of {}? ",
            choice.user.username
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
