//! Pickers and confirmations: each says what will happen before it happens.

use ratatui::Frame;
use ratatui::layout::Position;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::dialog_area;
use super::format::{ago_text, fit, plural, shown};
use super::sessions::agent_text;
use super::theme::{Theme, status_symbol};
use crate::console::model::{
    AddressSweep, Confirm, Model, PasswordDialog, Picker, PickerKind, TargetUser,
};
use crate::console::msg::QuickChange;
use geobox_api::UserRole;

/// Keys and what they do, in one line: `⏎ set   Esc cancel`.
pub(super) fn hint_line(theme: Theme, hints: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (keys, words) in hints {
        spans.push(Span::styled(keys.to_string(), theme.key_hint()));
        spans.push(Span::raw(format!(" {words}   ")));
    }
    Line::from(spans)
}

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

pub fn picker(picker: &Picker, theme: Theme, frame: &mut Frame) {
    let what = match picker.kind {
        PickerKind::Status => "Status",
        PickerKind::Role => "Role",
    };
    let title = format!(" {what} of {} ", fit(&who(&picker.targets), 30));
    let height = picker.choices.len() as u16 + 4;
    let area = dialog_area(frame, (title.chars().count() as u16 + 6).max(34), height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
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
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn session_words(model: &Model, session: &geobox_api::Session) -> String {
    format!(
        "{} · {} · {}",
        agent_text(session),
        shown(session.ip.as_deref().unwrap_or("—")),
        ago_text(
            model.now,
            session
                .last_seen
                .as_deref()
                .or(session.created_at.as_deref())
        )
    )
}

pub fn confirm(model: &Model, confirm: &Confirm, theme: Theme, frame: &mut Frame) {
    let yes_no = |yes: &'static str| hint_line(theme, &[("y", yes), ("n / Esc", "keep")]);
    let (title, mut lines, width): (String, Vec<Line>, u16) = match confirm {
        Confirm::CloseSession { user, session } => (
            format!(" Close a session of {}? ", shown(&user.username)),
            vec![
                Line::raw(fit(&session_words(model, session), 60)),
                Line::styled(format!("session {}", shown(&session.uuid)), theme.dim()),
                Line::raw(""),
                yes_no("close it"),
            ],
            66,
        ),
        Confirm::CloseSessions {
            user,
            sessions,
            kept_own,
        } => {
            let mut lines = vec![Line::raw(format!(
                "This closes {}, signing out wherever {} open:",
                plural(sessions.len(), "session"),
                if sessions.len() == 1 {
                    "it is"
                } else {
                    "they are"
                }
            ))];
            let room = usize::from(frame.area().height).saturating_sub(10).max(1);
            for session in sessions.iter().take(room) {
                lines.push(Line::raw(format!(
                    "  {}",
                    fit(&session_words(model, session), 58)
                )));
            }
            if sessions.len() > room {
                lines.push(Line::styled(
                    format!("  … and {} more", sessions.len() - room),
                    theme.dim(),
                ));
            }
            if *kept_own {
                lines.push(Line::styled(
                    "This console's own session stays open.",
                    theme.ok(),
                ));
            }
            lines.push(Line::raw(""));
            lines.push(yes_no(if sessions.len() == 1 {
                "close it"
            } else {
                "close them"
            }));
            let title = if *kept_own {
                format!(" Close your other sessions of {}? ", shown(&user.username))
            } else {
                format!(" Close every session of {}? ", shown(&user.username))
            };
            (title, lines, 66)
        }
        Confirm::CloseFromAddress { sweep } => {
            let room = usize::from(frame.area().height).saturating_sub(10).max(2);
            sweep_confirm(model, sweep, theme, room)
        }
        Confirm::CloseSessionsOfUsers { targets } => {
            let names: Vec<&str> = targets
                .iter()
                .map(|target| target.username.as_str())
                .collect();
            (
                format!(" Close the sessions of {}? ", plural(targets.len(), "user")),
                vec![
                    Line::raw("Every session of these users is closed, signing them out:"),
                    Line::raw(fit(&names.join(", "), 120)),
                    Line::styled("This console's own session stays open.", theme.ok()),
                    Line::raw(""),
                    yes_no("close them"),
                ],
                66,
            )
        }
        Confirm::BulkChange { targets, change } => {
            let own =
                targets.len() == 1 && model.me.loaded().is_some_and(|me| me.id == targets[0].id);
            let what = match change {
                QuickChange::Status(_) => "status",
                QuickChange::Role(_) => "role",
            };
            let title = if own {
                format!(" Change your own {what}? ")
            } else {
                format!(" Change the {what} of {}? ", plural(targets.len(), "user"))
            };
            let room = usize::from(frame.area().height).saturating_sub(12).max(1);
            let pairs: Vec<(TargetUser, QuickChange)> = targets
                .iter()
                .map(|target| (target.clone(), change.clone()))
                .collect();
            let mut lines = change_lines(model, &pairs, room);
            if let QuickChange::Role(role @ (UserRole::SystemAdmin | UserRole::AccountAdmin)) =
                change
            {
                lines.push(Line::styled(
                    format!("⚠ Grants {role} rights: managing users, and changing them."),
                    theme.error(),
                ));
            }
            if own {
                lines.push(Line::styled(
                    "⚠ You are signed in as this user: you may lose the rights to change it back.",
                    theme.error(),
                ));
            }
            lines.push(Line::raw(""));
            lines.push(yes_no(if targets.len() == 1 {
                "change it"
            } else {
                "change them all"
            }));
            (title, lines, 72)
        }
        Confirm::UndoBulk { changes } => {
            let room = usize::from(frame.area().height).saturating_sub(10).max(1);
            let mut lines = vec![Line::raw(
                "Each user goes back to their own previous value:",
            )];
            lines.extend(change_lines(model, changes, room));
            lines.push(Line::raw(""));
            lines.push(yes_no("undo it"));
            (
                format!(
                    " Undo the last change to {}? ",
                    plural(changes.len(), "user")
                ),
                lines,
                72,
            )
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
                    "This deletes {} (id {}) and cannot be undone.",
                    shown(&user.username),
                    user.id
                )),
                Line::from(vec![
                    Span::raw("Type the username to confirm: "),
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
        Confirm::Undo { undo } => (
            format!(" Undo the last change to {}? ", shown(&undo.user.username)),
            vec![
                Line::raw(fit(&format!("Restores {}", undo.description), 70)),
                Line::raw(""),
                yes_no("undo it"),
            ],
            76,
        ),
        Confirm::RenewPlan {
            user,
            plan,
            days,
            new_expiration,
        } => {
            let plan_text = plan
                .as_deref()
                .map_or_else(|| "no plan".to_string(), |plan| shown(plan).into_owned());
            let mut lines = vec![Line::raw(format!("Plan: {plan_text}"))];
            match (days, new_expiration) {
                (Some(days), Some(date)) => lines.push(Line::raw(format!(
                    "Adds {days} days: expires {date} once renewed."
                ))),
                _ => lines.push(Line::styled(
                    "The server decides the new expiration.",
                    theme.dim(),
                )),
            }
            lines.push(Line::raw(""));
            lines.push(yes_no("renew"));
            (
                format!(" Renew the plan of {}? ", shown(&user.username)),
                lines,
                60,
            )
        }
    };
    let height = lines.len() as u16 + 2;
    let area = dialog_area(frame, width, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title);
    if let Confirm::Delete { typed, .. } = confirm {
        let inner = block.inner(area);
        let x = inner.x + 30 + typed.visual_cursor().min(40) as u16;
        frame.set_cursor_position(Position::new(
            x.min(inner.right().saturating_sub(1)),
            inner.y + 1,
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

/// The title, lines and width of the confirmation: the count of users searched first, then
/// each user with their sessions from the address, as many as `room` lines allow.
fn sweep_confirm(
    model: &Model,
    sweep: &AddressSweep,
    theme: Theme,
    room: usize,
) -> (String, Vec<Line<'static>>, u16) {
    let count = sweep.session_count();
    let searched = match sweep.of_filter {
        Some(matching) if matching > sweep.searched as u64 => format!(
            "the first {} of the {matching} users the filter matches",
            sweep.searched
        ),
        Some(_) => format!("the {} of the filter", plural(sweep.searched, "user")),
        None => format!("the {} marked", plural(sweep.searched, "user")),
    };
    let mut lines = vec![
        Line::raw(format!("Searched {searched}.")),
        Line::raw(format!(
            "This closes {} from {} of {}, signing them out there:",
            plural(count, "session"),
            shown(&sweep.address),
            plural(sweep.found.len(), "user")
        )),
    ];
    let mut used = 0;
    let mut hidden = 0;
    for (user, sessions) in &sweep.found {
        if used + 1 >= room {
            hidden += sessions.len();
            continue;
        }
        lines.push(Line::styled(
            format!("{} ({})", shown(&user.username), sessions.len()),
            theme.strong(),
        ));
        used += 1;
        for session in sessions {
            if used >= room {
                hidden += 1;
                continue;
            }
            lines.push(Line::raw(format!(
                "  {}",
                fit(&session_words(model, session), 66)
            )));
            used += 1;
        }
    }
    if hidden > 0 {
        lines.push(Line::styled(
            format!("… and {} more", plural(hidden, "session")),
            theme.dim(),
        ));
    }
    for (user, why) in &sweep.unlisted {
        lines.push(Line::styled(
            fit(&format!("✗ {}: not listed, {why}", user.username), 70),
            theme.error(),
        ));
    }
    lines.push(Line::styled(
        "This console's own session stays open.",
        theme.ok(),
    ));
    lines.push(Line::raw(""));
    lines.push(hint_line(
        theme,
        &[("y", "close them"), ("n / Esc", "keep")],
    ));
    (
        format!(" Close every session from {}? ", shown(&sweep.address)),
        lines,
        76,
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
