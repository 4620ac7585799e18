//! The gate of a protected deployment: before a write is sent, the deployment's name is typed.

use ratatui::Frame;
use ratatui::layout::Position;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::dialog_area;
use super::format::shown;
use super::theme::{Theme, hint_line};
use crate::console::env::Env;
use crate::console::model::Gate;

pub fn render(gate: &Gate, env: &Env, theme: Theme, frame: &mut Frame) {
    let name = shown(&env.deployment).into_owned();
    let width = frame.area().width.saturating_sub(4).clamp(30, 70);
    let area = dialog_area(frame, width, 8);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.protected(env.accent))
        .title(Span::styled(
            format!(" ⚠ {name} is protected "),
            theme.protected(env.accent),
        ));
    let inner = block.inner(area);
    let prompt = "Type its name to send it: ";
    let mut lines = vec![
        Line::raw(format!(
            "This change goes to {name} ({}).",
            shown(&env.host_label)
        )),
        Line::from(vec![
            Span::raw(prompt),
            Span::styled(format!("{}▏", shown(gate.typed.value())), theme.input()),
        ]),
    ];
    if gate.mismatch {
        lines.push(Line::styled(
            format!("✗ that is not {name}: nothing was sent"),
            theme.error(),
        ));
    } else {
        lines.push(Line::raw(""));
    }
    lines.push(Line::raw(""));
    lines.push(hint_line(
        theme,
        &[
            ("⏎", "send (when the name matches)"),
            ("Esc", "back, nothing sent"),
        ],
    ));
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    let x = inner.x + prompt.chars().count() as u16 + gate.typed.visual_cursor() as u16;
    frame.set_cursor_position(Position::new(
        x.min(inner.right().saturating_sub(1)),
        inner.y + 1,
    ));
}
