//! The edit and create forms: fields on the left (invalid ones say why), and on the right what
//! a save would change (old → new) or, for a new user, how strong the password is.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::actions::strength;
use super::dialog_area;
use super::format::{fit, shown};
use super::theme::{Theme, spinner_frame, status_symbol};
use crate::console::form::{Field, UserForm};
use crate::console::keys::{self, Context};
use crate::console::model::Model;

const LABEL_WIDTH: usize = 12;

fn hints(theme: Theme, form: &UserForm) -> Line<'static> {
    if form.asking_discard {
        return Line::from(vec![
            Span::styled("Discard your changes?  ", theme.error()),
            Span::styled("y", theme.key_hint()),
            Span::raw(" discard   "),
            Span::styled("n / Esc", theme.key_hint()),
            Span::raw(" keep editing   "),
            Span::styled("Ctrl-C", theme.key_hint()),
            Span::raw(" quit"),
        ]);
    }
    let mut spans = Vec::new();
    for binding in keys::KEYMAP
        .iter()
        .filter(|binding| binding.context == Context::Form && !binding.footer.is_empty())
    {
        let (keys, words) = binding
            .footer
            .split_once(' ')
            .unwrap_or((binding.footer, ""));
        spans.push(Span::styled(keys.to_string(), theme.key_hint()));
        spans.push(Span::raw(format!(" {words}  ")));
    }
    Line::from(spans)
}

pub fn render(form: &UserForm, model: &Model, theme: Theme, frame: &mut Frame) {
    let screen = frame.area();
    let wide = screen.width >= 100;
    let fields = form.fields();
    let changes = form.changes();
    let side_lines = if form.is_create() {
        4
    } else {
        changes.len().max(1) * 2 + 1
    };
    let body = if wide {
        fields.len().max(side_lines)
    } else {
        fields.len() + side_lines + 1
    };
    let height = (body + 5) as u16;
    let width = if wide {
        96
    } else {
        screen.width.saturating_sub(2)
    };
    let area = dialog_area(frame, width, height);
    let title = match &form.original {
        Some(user) => format!(" Edit {} ", shown(&user.username)),
        None => " New user ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [main, status, footer] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(2),
        Constraint::Length(1),
    ])
    .areas(inner);
    let (left, right) = if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(main);
        (left, right)
    } else {
        let [left, right] =
            Layout::vertical([Constraint::Length(fields.len() as u16), Constraint::Fill(1)])
                .areas(main);
        (left, right)
    };

    let value_width = usize::from(left.width).saturating_sub(LABEL_WIDTH + 2);
    // On a small screen the fields scroll with the focus, and a last line says what is hidden.
    let rows = usize::from(left.height);
    let (first, shown_rows) = if fields.len() > rows {
        let shown_rows = rows.saturating_sub(1).max(1);
        (form.focus.saturating_sub(shown_rows - 1), shown_rows)
    } else {
        (0, fields.len())
    };
    let mut lines = Vec::new();
    let mut cursor = None;
    for (index, field) in fields.iter().enumerate() {
        let focused = index == form.focus && !form.asking_discard;
        let marker = if focused { "▌" } else { " " };
        let mut spans = vec![Span::styled(
            format!("{marker}{:<LABEL_WIDTH$}", field.label()),
            if focused {
                theme.strong()
            } else {
                theme.label()
            },
        )];
        let value = form.shown(*field);
        let value = shown(&value);
        let error = form.errors.get(field);
        let room = if error.is_some() {
            value_width / 2
        } else {
            value_width
        };
        if field.is_choice() {
            let text = match field {
                Field::Status => format!("{} {value}", status_symbol(form.status.as_ref())),
                _ => value.into_owned(),
            };
            let style = match field {
                Field::Status => theme.status(form.status.as_ref()),
                Field::Role => theme.role(form.role.as_ref()),
                _ => ratatui::style::Style::new(),
            };
            spans.push(Span::styled(
                if focused {
                    format!("◂ {text} ▸")
                } else {
                    format!("▸ {text}")
                },
                style,
            ));
        } else {
            let input = form.inputs.get(field);
            let scroll = input.map_or(0, |input| input.visual_scroll(room.max(1)));
            let visible: String = value.chars().skip(scroll).take(room).collect();
            if focused && let Some(input) = input {
                cursor = Some((
                    left.x
                        + 1
                        + LABEL_WIDTH as u16
                        + input.visual_cursor().saturating_sub(scroll) as u16,
                    left.y + index.saturating_sub(first) as u16,
                ));
            }
            spans.push(Span::styled(
                format!("{visible:<room$}"),
                if focused {
                    theme.input()
                } else {
                    ratatui::style::Style::new()
                },
            ));
        }
        if let Some(error) = error {
            spans.push(Span::styled(
                format!(" ✗ {}", fit(error, value_width.saturating_sub(room + 3))),
                theme.error(),
            ));
        }
        lines.push(Line::from(spans));
    }
    let mut lines: Vec<Line> = lines.into_iter().skip(first).take(shown_rows).collect();
    let below = fields.len().saturating_sub(first + shown_rows);
    if first > 0 || below > 0 {
        let mut more = Vec::new();
        if first > 0 {
            more.push(format!("↑ {first} more above"));
        }
        if below > 0 {
            more.push(format!("↓ {below} more below"));
        }
        lines.push(Line::styled(format!(" {}", more.join(" · ")), theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), left);

    let mut side = Vec::new();
    if form.is_create() {
        let (word, fine) = strength(form.value(Field::Password));
        side.push(Line::styled("Password", theme.strong()));
        side.push(Line::styled(
            if word.is_empty() {
                "type it twice; it is never shown or logged"
            } else {
                word
            },
            if fine || word.is_empty() {
                theme.dim()
            } else {
                theme.error()
            },
        ));
    } else {
        side.push(Line::styled("Changes", theme.strong()));
        if changes.is_empty() {
            side.push(Line::styled("  nothing yet", theme.dim()));
        }
        // The labels' column is as wide as the longest label and a gap, so a label never runs
        // into its value ("first name  Giulia").
        let label_width = changes
            .iter()
            .map(|(field, _, _)| field.label().chars().count())
            .max()
            .unwrap_or(0)
            + 2;
        let room = usize::from(right.width).saturating_sub(label_width + 4);
        for (field, old, new) in &changes {
            side.push(Line::from(vec![
                Span::styled(format!("  {:<label_width$}", field.label()), theme.label()),
                Span::styled(fit(old, room), theme.dim()),
            ]));
            side.push(Line::from(vec![
                Span::raw(format!("  {:>label_width$}", "→ ")),
                Span::styled(fit(new, room), theme.ok()),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(side), right);

    let status_line = if form.saving.is_some() {
        Line::styled(
            format!("{} saving…", spinner_frame(model.spinner)),
            theme.spinner(),
        )
    } else {
        // The field column cuts long reasons short; the focused field's reason is given whole.
        let focused_problem = form
            .fields()
            .get(form.focus)
            .and_then(|field| form.errors.get(field).map(|reason| (field, reason)))
            .map(|(field, reason)| format!("{}: {reason}", field.label()));
        let text = match (&form.failure, focused_problem) {
            (Some(failure), Some(problem)) if !failure.contains(&problem) => {
                format!("✗ {failure} · {problem}")
            }
            (Some(failure), _) => format!("✗ {failure}"),
            (None, Some(problem)) => format!("✗ {problem}"),
            (None, None) => String::new(),
        };
        Line::styled(shown(&text).into_owned(), theme.error())
    };
    frame.render_widget(
        Paragraph::new(status_line).wrap(Wrap { trim: true }),
        status,
    );
    frame.render_widget(Paragraph::new(hints(theme, form)), footer);
    if let Some((x, y)) = cursor {
        frame.set_cursor_position(Position::new(x.min(left.right().saturating_sub(1)), y));
    }
}
