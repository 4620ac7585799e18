//! The help overlay, generated from the keymap so it always tells the truth.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::format::{fit, shown};
use super::theme::Theme;
use crate::console::keys::{Context, Keymap};
use crate::console::model::Model;

const KEY_WIDTH: usize = 12;

/// Every binding, grouped by context, as lines, each with the context it belongs to. A binding
/// the signed-in role may not use is dimmed with the reason.
pub fn help_lines(
    model: &Model,
    keymap: &Keymap,
    theme: Theme,
    width: usize,
) -> Vec<(Context, Line<'static>)> {
    let mut lines = Vec::new();
    let mut context: Option<Context> = None;
    let mut listed: Vec<(Context, &str)> = Vec::new();
    for binding in keymap.0 {
        if binding.action && model.read_only {
            continue;
        }
        // A key bound twice (with and without a footer hint) is listed once.
        if listed.contains(&(binding.context, binding.help)) {
            continue;
        }
        listed.push((binding.context, binding.help));
        if context != Some(binding.context) {
            if let Some(previous) = context {
                lines.push((previous, Line::raw("")));
            }
            context = Some(binding.context);
            lines.push((
                binding.context,
                Line::styled(binding.context.title().to_string(), theme.strong()),
            ));
        }
        let room = width.saturating_sub(KEY_WIDTH + 2);
        let line = match binding.refusal(model) {
            Some(why) => Line::from(vec![
                Span::styled(
                    format!("  {:<KEY_WIDTH$}", shown(binding.label)),
                    theme.dim(),
                ),
                Span::styled(
                    fit(&format!("{}: {}", why.tag(), binding.help), room),
                    theme.dim(),
                ),
            ]),
            None => Line::from(vec![
                Span::styled(
                    format!("  {:<KEY_WIDTH$}", shown(binding.label)),
                    theme.key_hint(),
                ),
                Span::raw(fit(binding.help, room)),
            ]),
        };
        lines.push((binding.context, line));
    }
    lines
}

/// A column of the help that starts inside a context repeats its heading.
fn with_heading(
    chunk: &[(Context, Line<'static>)],
    previous: Option<Context>,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = chunk.iter().map(|(_, line)| line.clone()).collect();
    if lines.first().is_some_and(|line| line.width() == 0) {
        // The gap between two contexts needs no heading at the top of a column.
        lines.remove(0);
    } else if let Some((context, _)) = chunk.first()
        && previous == Some(*context)
    {
        lines.insert(
            0,
            Line::styled(format!("{} (continued)", context.title()), theme.strong()),
        );
    }
    lines
}

pub fn render(model: &Model, keymap: &Keymap, theme: Theme, frame: &mut Frame) {
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
    let total = help_lines(model, keymap, theme, usize::MAX).len();
    let widest = (usize::from(inner.width) / 40).max(1);
    // One line short of the height, so a column that continues a context has room for its heading.
    let per_column = height.saturating_sub(1).max(1);
    let columns = total.div_ceil(per_column).clamp(1, widest);
    let column_width = usize::from(inner.width) / columns;
    let lines = help_lines(model, keymap, theme, column_width.saturating_sub(1));
    let skip = usize::from(model.help_scroll).min(lines.len().saturating_sub(1));
    for (index, chunk) in lines[skip..].chunks(per_column).take(columns).enumerate() {
        let rect = ratatui::layout::Rect {
            x: inner.x + (index * column_width) as u16,
            width: column_width as u16,
            ..inner
        };
        let start = skip + index * per_column;
        let previous = start
            .checked_sub(1)
            .and_then(|before| lines.get(before))
            .map(|(context, _)| *context);
        frame.render_widget(Paragraph::new(with_heading(chunk, previous, theme)), rect);
    }
}
