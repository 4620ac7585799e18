//! The lockdown dialog: what will happen before `y`, then each user's steps, what did not
//! happen, and a new password shown once.

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::dialog_area;
use super::format::{shown, wrap_hanging};
use super::theme::Theme;
use crate::console::model::{LockdownDialog, Model};
use geobox_ops::journal::who;
use geobox_ops::lockdown::Lockdown;

/// Where a step's outcome starts: `  close sessions  ok     ` (two spaces, the step's name in
/// 15, its mark in 6).
const OUTCOME_COLUMN: usize = 2 + 15 + 1 + 6 + 1;

pub fn render(dialog: &LockdownDialog, model: &Model, theme: Theme, frame: &mut Frame) {
    const WIDTH: u16 = 76;
    // Long lines wrap: the dialog is as tall as the wrapped text, so its last line shows.
    let room = usize::from(WIDTH.min(frame.area().width).saturating_sub(2)).max(1);
    let lines = if dialog.is_asking() {
        let mut lines = asking(dialog, theme);
        if dialog.targets.len() == 1 {
            lines.extend(super::bulk_query::widen_hint(model, theme));
        }
        lines
    } else {
        outcome(dialog, theme, room)
    };
    let wrapped: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(room).max(1))
        .sum();
    let height = u16::try_from(wrapped + 2).unwrap_or(u16::MAX);
    let area = dialog_area(frame, WIDTH, height);
    let whom = match dialog.targets.as_slice() {
        [one] => shown(&one.username).into_owned(),
        many => format!("{} users", many.len()),
    };
    let title = if dialog.is_asking() {
        format!(" Lock down {whom}? ")
    } else {
        format!(" Lockdown of {whom} ")
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.error())
        .title(title);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn asking(dialog: &LockdownDialog, theme: Theme) -> Vec<Line<'static>> {
    let names: Vec<String> = dialog
        .targets
        .iter()
        .map(|target| who(target.id, Some(&target.username)))
        .collect();
    let mut lines = vec![Line::raw(format!(
        "Lock down {}:",
        shown(&names.join(", "))
    ))];
    let steps = Lockdown {
        user_id: 0,
        reset_password: dialog.reset_password,
    }
    .steps();
    lines.extend(
        steps
            .iter()
            .enumerate()
            .map(|(index, step)| Line::raw(format!("  {}. {}", index + 1, step.promise()))),
    );
    if let Some(note) = &dialog.left_out {
        lines.push(Line::styled(shown(note).into_owned(), theme.strong()));
    }
    let mark = if dialog.reset_password { "x" } else { " " };
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        "[{mark}] new random password (p toggles)"
    )));
    lines.push(Line::styled(
        "Journaled as one entry per user; undo puts back the status only.",
        theme.dim(),
    ));
    lines.push(Line::styled("y lock down · n/Esc keep", theme.key_hint()));
    lines
}

fn outcome(dialog: &LockdownDialog, theme: Theme, room: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    // Each text is wrapped here, between words and under its own column, rather than by the
    // paragraph, which would break mid-phrase back at the dialog's edge.
    let mut wrapped = |text: &str, indent: usize, style| {
        for line in wrap_hanging(text, room, indent) {
            lines.push(Line::styled(line, style));
        }
    };
    for result in &dialog.results {
        wrapped(&format!("{}:", result.who), 2, theme.strong());
        for step in &result.steps {
            let style = if step.contains("FAILED") {
                theme.error()
            } else {
                theme.ok()
            };
            wrapped(&format!("  {step}"), OUTCOME_COLUMN, style);
        }
        if let Some(missed) = &result.missed {
            wrapped(&format!("  {missed}"), 4, theme.error());
        }
        if let Some(password) = &result.new_password {
            wrapped(
                &format!(
                    "  new password (shown once, not logged): {}",
                    password.expose()
                ),
                4,
                ratatui::style::Style::new(),
            );
        }
    }
    if !dialog.running.is_empty() {
        lines.push(Line::styled(
            format!(
                "Locking down… {} of {} done",
                dialog.results.len(),
                dialog.targets.len()
            ),
            theme.dim(),
        ));
    }
    lines.push(Line::styled("Esc close", theme.key_hint()));
    lines
}
