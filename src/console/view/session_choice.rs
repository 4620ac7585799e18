//! `X`: the ways to choose which sessions to close, each with its count (the confirmation of
//! every session from one address across users is drawn with the other confirmations).

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::format::{plural, shown};
use super::theme::Theme;
use crate::console::model::CloseChoice;

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
