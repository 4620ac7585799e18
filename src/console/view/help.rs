//! The help overlay, generated from the keymap so it always tells the truth.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::format::fit;
use super::theme::Theme;
use crate::console::keys::Context;
use crate::console::model::Model;

const KEY_WIDTH: usize = 12;

/// Every binding, grouped by context, as lines.
pub fn help_lines(model: &Model, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut context: Option<Context> = None;
    for binding in model.keymap.0 {
        if binding.action && model.read_only {
            continue;
        }
        if context != Some(binding.context) {
            if context.is_some() {
                lines.push(Line::raw(""));
            }
            context = Some(binding.context);
            lines.push(Line::styled(
                binding.context.title().to_string(),
                theme.strong(),
            ));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<KEY_WIDTH$}", binding.label), theme.key_hint()),
            Span::raw(fit(binding.help, width.saturating_sub(KEY_WIDTH + 2))),
        ]));
    }
    lines
}

pub fn render(model: &Model, theme: Theme, frame: &mut Frame) {
    let screen = frame.area();
    let area = dialog_area(
        frame,
        screen.width.saturating_sub(4),
        screen.height.saturating_sub(2),
    );
    let title = if model.read_only {
        " Keys (read-only: actions hidden) · j/k scroll · ? or Esc closes "
    } else {
        " Keys · j/k scroll · ? or Esc closes "
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // As few columns as fit every line, so descriptions stay whole; more only when needed.
    let height = usize::from(inner.height).max(1);
    let total = help_lines(model, theme, usize::MAX).len();
    let widest = (usize::from(inner.width) / 40).max(1);
    let columns = total.div_ceil(height).clamp(1, widest);
    let column_width = usize::from(inner.width) / columns;
    let lines = help_lines(model, theme, column_width.saturating_sub(1));
    let skip = usize::from(model.help_scroll).min(lines.len().saturating_sub(1));
    for (index, chunk) in lines[skip..].chunks(height).take(columns).enumerate() {
        let rect = ratatui::layout::Rect {
            x: inner.x + (index * column_width) as u16,
            width: column_width as u16,
            ..inner
        };
        frame.render_widget(Paragraph::new(chunk.to_vec()), rect);
    }
}
