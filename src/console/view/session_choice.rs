//! `X`: the ways to choose which sessions to close, each with its count (the confirmation of
//! every session from one address across users is drawn with the other confirmations).

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::format::{ago_text, fit, plural, shown};
use super::sessions::agent_text;
use super::theme::{Theme, hint_line};
use crate::console::model::{AddressSweep, CloseChoice, Confirm, Model};

pub fn render(choice: &CloseChoice, theme: Theme, frame: &mut Frame) {
    let mut lines: Vec<Line> = choice
        .options
        .iter()
        .enumerate()
        .map(|(index, option)| {
            let marker = if index == choice.selected { "▸" } else { " " };
            // A choice across users counts its sessions only once they are listed.
            let text = match option.across {
                Some(_) => format!("{marker} {}", shown(&option.label)),
                None => format!(
                    "{marker} {} ({})",
                    shown(&option.label),
                    plural(option.sessions.len(), "session")
                ),
            };
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
    // Choices across users name their users too, so they need more room.
    let width = if choice.options.iter().any(|option| option.across.is_some()) {
        72
    } else {
        60
    };
    let area = dialog_area(frame, width, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(" Close which sessions of {}? ", shown(&choice.who)));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The confirmations of closing sessions: one, a user's, every marked user's, or every one
/// from an address; their title, lines and width. `height` is the screen's.
pub fn confirm(
    model: &Model,
    confirm: &Confirm,
    theme: Theme,
    height: usize,
) -> (String, Vec<Line<'static>>, u16) {
    let yes_no = |yes: &'static str| hint_line(theme, &[("y", yes), ("n / Esc", "keep")]);
    match confirm {
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
            let room = height.saturating_sub(10).max(1);
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
            let room = height.saturating_sub(10).max(2);
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
        _ => (String::new(), Vec::new(), 40),
    }
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

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::super::snapshot_tests::{SIZES, find, keys, press, snapshot};
    use crate::console::cmd::Cmd;
    use crate::console::fixtures::update;
    use crate::console::fixtures::{loaded_model, sessions};
    use crate::console::model::{Focus, Mode};
    use crate::console::msg::{Done, Msg};

    #[test]
    fn the_sessions_from_one_address_grouped_by_user() {
        for (width, height) in SIZES {
            let mut model = loaded_model(width, height, 50);
            model.users.marked.extend([1, 2, 3]);
            model.focus = Focus::Sessions;
            keys(&mut model, "jXj");
            snapshot("close_across_choice", &model);
            let cmds = update(
                &mut model,
                Msg::KeyPressed(crossterm::event::KeyEvent::new(
                    KeyCode::Enter,
                    crossterm::event::KeyModifiers::NONE,
                )),
            );
            for cmd in cmds {
                let Cmd::ListSessionsToClose { request, user_id } = cmd else {
                    continue;
                };
                let mut listed = sessions();
                if user_id == 2 {
                    let mut second = listed[1].clone();
                    second.uuid = "d00d0000-0000-4000-8000-000000000004".into();
                    second.agent = Some(
                        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
                            .into(),
                    );
                    listed.push(second);
                }
                if user_id == 3 {
                    listed.truncate(1);
                }
                update(
                    &mut model,
                    Msg::SessionsToClose {
                        user_id,
                        done: Done {
                            request,
                            took: Default::default(),
                            result: Ok(listed),
                        },
                    },
                );
            }
            assert!(matches!(model.mode, Mode::Confirm(_)));
            let terminal = snapshot("close_from_address", &model);
            assert!(find(terminal.backend().buffer(), "ali.moradi1 (1)").is_some());
            press(&mut model, KeyCode::Esc);
            assert!(matches!(model.mode, Mode::Normal));
        }
    }
}
