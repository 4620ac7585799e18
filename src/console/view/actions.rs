//! Pickers and confirmations: each says what will happen before it happens.

use ratatui::Frame;
use ratatui::layout::Position;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::dialog_area;
use super::format::{fit, plural, shown, wrap_hanging};
use super::theme::{Theme, hint_line, status_symbol};
use crate::console::form::Field;
use crate::console::model::{Confirm, Model, PasswordDialog, Picker, PickerKind, TargetUser};
use crate::console::msg::QuickChange;
use geobox_ops::safety::SelfHarm;

fn who(targets: &[TargetUser]) -> String {
    match targets {
        [one] => shown(&one.username).into_owned(),
        many => plural(many.len(), "user"),
    }
}

fn change_text(change: &QuickChange) -> String {
    match change {
        QuickChange::Status(status) => {
            format!("{} {}", status_symbol(Some(status)), shown(status.as_str()))
        }
        QuickChange::Role(role) => shown(role.as_str()).into_owned(),
    }
}

/// The value a change replaces for a user on screen ("?" when the row is not loaded).
fn current_text(model: &Model, user_id: i64, change: &QuickChange) -> String {
    let user = model.users.find(user_id).map(|(_, user)| user);
    let current = match change {
        QuickChange::Status(_) => user
            .and_then(|user| user.status.clone())
            .map(QuickChange::Status),
        QuickChange::Role(_) => user
            .and_then(|user| user.role.clone())
            .map(QuickChange::Role),
    };
    current.map_or("?".to_string(), |current| change_text(&current))
}

/// Each user's current value → the new one; past `room` lines, a count per change instead.
fn change_lines(
    model: &Model,
    targets: &[(TargetUser, QuickChange)],
    room: usize,
) -> Vec<Line<'static>> {
    if targets.len() <= room {
        return targets
            .iter()
            .map(|(target, change)| {
                let current = current_text(model, target.id, change);
                let new = change_text(change);
                let what = if current == new {
                    format!("{current} (no change)")
                } else {
                    format!("{current} → {new}")
                };
                Line::raw(format!("  {:<20} {what}", fit(&target.username, 20)))
            })
            .collect();
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (target, change) in targets {
        let key = format!(
            "{} → {}",
            current_text(model, target.id, change),
            change_text(change)
        );
        match counts.iter_mut().find(|(known, _)| *known == key) {
            Some((_, count)) => *count += 1,
            None => counts.push((key, 1)),
        }
    }
    counts
        .into_iter()
        .map(|(key, count)| Line::raw(format!("  {key}: {}", plural(count, "user"))))
        .collect()
}

pub fn picker(picker: &Picker, model: &Model, theme: Theme, frame: &mut Frame) {
    let what = match picker.kind {
        PickerKind::Status => "Status",
        PickerKind::Role => "Role",
    };
    let title = format!(" {what} of {} ", fit(&who(&picker.targets), 30));
    let mut lines: Vec<Line> = picker
        .choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            let (text, style) = match choice {
                QuickChange::Status(status) => (
                    format!("{} {status}", status_symbol(Some(status))),
                    theme.status(Some(status)),
                ),
                QuickChange::Role(role) => (role.to_string(), theme.role(Some(role))),
            };
            let cursor = index == picker.cursor;
            let current = if picker.current.as_ref() == Some(choice) {
                "  (current)"
            } else {
                ""
            };
            let style = if cursor {
                style.patch(theme.selected_row())
            } else {
                style
            };
            Line::from(vec![
                Span::raw(if cursor { "▌ " } else { "  " }),
                Span::styled(text, style),
                Span::styled(current, theme.dim()),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(hint_line(theme, &[("⏎", "set"), ("Esc", "cancel")]));
    if picker.targets.len() == 1 {
        lines.extend(super::bulk_query::widen_hint(model, theme));
    }
    let widest = lines.iter().map(Line::width).max().unwrap_or(0) + 2;
    let width = (title.chars().count() + 6).max(34).max(widest);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let area = dialog_area(frame, u16::try_from(width).unwrap_or(u16::MAX), height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn confirm(model: &Model, confirm: &Confirm, theme: Theme, frame: &mut Frame) {
    let yes_no = |yes: &'static str| hint_line(theme, &[("y", yes), ("n / Esc", "keep")]);
    let (title, mut lines, width): (String, Vec<Line>, u16) = match confirm {
        Confirm::CloseSession { .. }
        | Confirm::CloseSessions { .. }
        | Confirm::CloseFromAddress { .. }
        | Confirm::CloseSessionsOfUsers { .. } => {
            let height = usize::from(frame.area().height);
            super::session_choice::confirm(model, confirm, theme, height)
        }
        Confirm::BulkChange {
            targets,
            change,
            notes,
            warnings,
        } => {
            let what = match change {
                QuickChange::Status(_) => "status",
                QuickChange::Role(_) => "role",
            };
            let title = format!(" Change the {what} of {}? ", who(targets));
            let room = usize::from(frame.area().height).saturating_sub(12).max(1);
            let pairs: Vec<(TargetUser, QuickChange)> = targets
                .iter()
                .map(|target| (target.clone(), change.clone()))
                .collect();
            let mut lines = change_lines(model, &pairs, room);
            lines.extend(
                notes
                    .iter()
                    .map(|note| Line::styled(shown(note).into_owned(), theme.dim())),
            );
            lines.extend(warning_lines(warnings, theme));
            lines.push(Line::raw(""));
            lines.push(yes_no(if targets.len() == 1 {
                "change it"
            } else {
                "change them all"
            }));
            (title, lines, 76)
        }
        Confirm::SelfHarm {
            harm,
            typed,
            mismatch,
            ..
        } => self_harm(model, harm, typed, *mismatch, theme),
        Confirm::SaveForm { form, warnings } => {
            let name = shown(form.value(Field::Username).trim()).into_owned();
            let (title, first) = match &form.original {
                Some(_) => (format!(" Save {name}? "), "The save changes:".to_string()),
                None => (
                    format!(" Create {name}? "),
                    format!(
                        "A new user, {} and {}.",
                        form.shown(Field::Role),
                        form.shown(Field::Status)
                    ),
                ),
            };
            let mut lines = vec![Line::raw(first)];
            for (field, old, new) in form.changes() {
                lines.push(Line::raw(format!(
                    "  {:<11}{} → {}",
                    field.label(),
                    fit(&old, 28),
                    fit(&new, 28)
                )));
            }
            lines.extend(warning_lines(warnings, theme));
            lines.push(Line::raw(""));
            lines.push(hint_line(
                theme,
                &[("y", "save"), ("n / Esc", "back to the form")],
            ));
            (title, lines, 76)
        }
        Confirm::Delete {
            user,
            typed,
            mismatch,
        } => {
            let matches = typed.value() == user.username;
            let warning = if *mismatch && !matches {
                Line::styled(
                    format!(
                        "✗ That is not the username: type {} exactly",
                        shown(&user.username)
                    ),
                    theme.error(),
                )
            } else {
                Line::raw("")
            };
            let lines = vec![
                Line::raw(format!(
                    "This deletes {} (id {}).",
                    shown(&user.username),
                    user.id
                )),
                Line::styled(
                    "Undo (u, or in the journal L) creates the user again with the same \
                     fields, but a new id and a new password; the sessions stay closed.",
                    theme.dim(),
                ),
                Line::raw(""),
                Line::from(vec![
                    Span::raw(TYPE_THEIRS),
                    Span::styled(format!("{:<24}", shown(typed.value())), theme.input()),
                ]),
                warning,
                if matches {
                    hint_line(theme, &[("⏎", "delete"), ("Esc", "cancel")])
                } else {
                    Line::from(vec![
                        Span::styled("⏎ delete (when it matches)", theme.dim()),
                        Span::raw("   "),
                        Span::styled("Esc", theme.key_hint()),
                        Span::raw(" cancel"),
                    ])
                },
            ];
            (" Delete user ".to_string(), lines, 62)
        }
        Confirm::RenewPlan {
            user,
            plan,
            days,
            current,
            new_expiration,
        } => {
            let plan_text = plan
                .as_deref()
                .map_or_else(|| "no plan".to_string(), |plan| shown(plan).into_owned());
            let mut lines = vec![Line::raw(format!("Plan: {plan_text}"))];
            let now = current
                .as_deref()
                .map_or_else(|| "none".to_string(), |date| shown(date).into_owned());
            match (days, new_expiration) {
                (Some(days), Some(date)) => {
                    lines.push(Line::from(vec![
                        Span::raw(format!("Expires: {now} → ")),
                        Span::styled(date.clone(), theme.strong()),
                    ]));
                    lines.push(Line::styled(
                        format!("(adds {days} days to the later of today and the expiration)"),
                        theme.dim(),
                    ));
                }
                _ => lines.push(Line::styled(
                    format!("Expires: {now} → the server decides the new date."),
                    theme.dim(),
                )),
            }
            lines.push(Line::raw(""));
            lines.push(yes_no("renew"));
            lines.extend(super::bulk_query::widen_hint(model, theme));
            (
                format!(" Renew the plan of {}? ", shown(&user.username)),
                lines,
                60,
            )
        }
    };
    // Long lines wrap: the dialog is as tall as the wrapped text, so its last line shows.
    let room = usize::from(width.min(frame.area().width).saturating_sub(2)).max(1);
    let wrapped: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(room).max(1))
        .sum();
    let height = u16::try_from(wrapped + 2).unwrap_or(u16::MAX);
    let area = dialog_area(frame, width, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
    // The typed name's line: the second in the delete dialog, after the words in the other.
    let typed_at = match confirm {
        Confirm::Delete { typed, .. } => Some((typed, TYPE_THEIRS)),
        Confirm::SelfHarm { typed, .. } => Some((typed, TYPE_YOURS)),
        _ => None,
    }
    .map(|(typed, words)| {
        // The row of the typed line once the lines above it wrap.
        let row: usize = lines
            .iter()
            .take_while(|line| line.spans.first().is_none_or(|span| span.content != words))
            .map(|line| line.width().div_ceil(room).max(1))
            .sum();
        (typed, words.chars().count(), row)
    });
    if let Some((typed, column, row)) = typed_at {
        let inner = block.inner(area);
        let x = inner.x + column as u16 + typed.visual_cursor().min(40) as u16;
        frame.set_cursor_position(Position::new(
            x.min(inner.right().saturating_sub(1)),
            inner.y + row as u16,
        ));
    }
    lines.truncate(usize::from(area.height.saturating_sub(2)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// `⚠` lines, in the colour of what must be weighed first.
fn warning_lines(warnings: &[String], theme: Theme) -> Vec<Line<'static>> {
    warnings
        .iter()
        .map(|warning| Line::styled(shown(warning).into_owned(), theme.error()))
        .collect()
}

/// The words before the field where the signed-in admin types their username.
const TYPE_YOURS: &str = "Type your username to go ahead: ";
/// The words before the field where the username of the user to delete is typed.
const TYPE_THEIRS: &str = "Type the username to confirm: ";

/// A change that would disable or demote the signed-in admin: what it costs, and their own
/// username typed to go ahead.
fn self_harm(
    model: &Model,
    harm: &SelfHarm,
    typed: &tui_input::Input,
    mismatch: bool,
    theme: Theme,
) -> (String, Vec<Line<'static>>, u16) {
    let me = model
        .me
        .loaded()
        .map_or(String::new(), |me| shown(&me.username).into_owned());
    let what = harm.asked();
    let mut title: Vec<char> = what.chars().collect();
    if let Some(first) = title.first_mut() {
        *first = first.to_ascii_uppercase();
    }
    let matches = typed.value() == me;
    let mut lines = vec![Line::raw(format!(
        "You are signed in as {me}: this changes your own account."
    ))];
    // Wrapped here, so the typed line's row is known for the cursor.
    let warning = format!("⚠ This would {}: {}.", harm.what(), harm.consequence());
    lines.extend(
        wrap_hanging(&warning, 70, 2)
            .into_iter()
            .map(|line| Line::styled(line, theme.error())),
    );
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw(TYPE_YOURS),
        Span::styled(format!("{:<20}", shown(typed.value())), theme.input()),
    ]));
    if mismatch && !matches {
        lines.push(Line::styled(
            format!("✗ That is not your username: type {me} exactly"),
            theme.error(),
        ));
    }
    lines.push(if matches {
        hint_line(
            theme,
            &[("⏎", "go ahead"), ("Esc", "keep things as they are")],
        )
    } else {
        Line::from(vec![
            Span::styled("⏎ go ahead (when it matches)", theme.dim()),
            Span::raw("   "),
            Span::styled("Esc", theme.key_hint()),
            Span::raw(" keep things as they are"),
        ])
    });
    (
        format!(" {}? ", title.into_iter().collect::<String>()),
        lines,
        72,
    )
}

/// A rough strength word: length and kinds of characters.
pub fn strength(password: &str) -> (&'static str, bool) {
    let length = password.chars().count();
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|kind| **kind)
    .count();
    match (length, kinds) {
        (0, _) => ("", false),
        (0..8, _) => ("weak: under 8 characters", false),
        (8..12, 0..3) => ("fair: mix cases, digits and symbols", true),
        (8..12, _) => ("good", true),
        (_, 0..2) => ("fair: long, but one kind of character", true),
        _ => ("strong", true),
    }
}

pub fn password(dialog: &PasswordDialog, theme: Theme, frame: &mut Frame) {
    let username = dialog
        .user
        .as_ref()
        .map_or("", |user| user.username.as_str());
    let area = dialog_area(frame, 60, 8);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(" New password for {} ", shown(username)));
    let inner = block.inner(area);
    let masked = |text: &str| "•".repeat(text.chars().count().min(30));
    let field = |label: &str, text: &str, focused: bool| {
        Line::from(vec![
            Span::styled(if focused { "▌" } else { " " }, theme.key_hint()),
            Span::styled(
                format!("{label:<9}"),
                if focused {
                    theme.strong()
                } else {
                    theme.label()
                },
            ),
            Span::styled(
                format!("{:<32}", masked(text)),
                if focused { theme.input() } else { theme.dim() },
            ),
        ])
    };
    let (word, fine) = strength(dialog.first.value());
    let mut lines = vec![
        field("password", dialog.first.value(), !dialog.second_focused),
        field("again", dialog.second.value(), dialog.second_focused),
        Line::styled(word, if fine { theme.ok() } else { theme.error() }),
    ];
    match &dialog.error {
        Some(error) => lines.push(Line::styled(format!("✗ {error}"), theme.error())),
        None => lines.push(Line::raw("")),
    }
    lines.push(Line::raw(""));
    lines.push(hint_line(
        theme,
        &[("Tab", "field"), ("⏎", "change"), ("Esc", "cancel")],
    ));
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines), inner);
    let focused = if dialog.second_focused {
        &dialog.second
    } else {
        &dialog.first
    };
    let x = inner.x + 10 + focused.visual_cursor().min(30) as u16;
    let y = inner.y + u16::from(dialog.second_focused);
    frame.set_cursor_position(Position::new(x.min(inner.right().saturating_sub(1)), y));
}
