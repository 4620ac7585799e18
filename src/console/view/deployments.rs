//! The picker of deployments (`C`): each with its host, how it signs in, and whether it is
//! protected (in its own colour, and in words); the password being typed, masked; and the
//! search across deployments, its matches grouped by deployment.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::dialog_area;
use super::format::{fit, shown};
use super::theme::{Theme, hint_line, spinner_frame, status_text};
use crate::console::deployment::Deployment;
use crate::console::env::Env;
use crate::console::model::{DeploymentPicker, Model, PickerStage, SearchAcross};

/// The widest the picker grows on a large screen.
const MAX_WIDTH: u16 = 110;

pub fn render(
    picker: &DeploymentPicker,
    model: &Model,
    env: &Env,
    theme: Theme,
    frame: &mut Frame,
) {
    let width = frame.area().width.saturating_sub(4).clamp(30, MAX_WIDTH);
    let room = usize::from(width).saturating_sub(4);
    let mut lines: Vec<Line> = Vec::new();
    match &picker.stage {
        PickerStage::Search(search) => search_lines(search, model, theme, room, &mut lines),
        stage => {
            list_lines(picker, env, theme, room, &mut lines);
            stage_lines(stage, model, theme, &mut lines);
        }
    }
    if let Some(error) = &picker.error {
        lines.push(Line::styled(
            format!("✗ {}", fit(error, room.saturating_sub(2))),
            theme.error(),
        ));
    }
    let hints: &[(&str, &str)] = match &picker.stage {
        PickerStage::List => &[("⏎", "switch"), ("/", "search all"), ("Esc", "close")],
        PickerStage::Password { .. } => &[("⏎", "sign in"), ("Esc", "back")],
        PickerStage::SigningIn { .. } => &[("Esc", "stay here")],
        PickerStage::Search(search) if search.typing => &[("⏎", "search"), ("Esc", "back")],
        PickerStage::Search(_) => &[
            ("⏎", "go to the user there"),
            ("j/k", "move"),
            ("Esc", "back"),
        ],
    };
    lines.push(hint_line(theme, hints));
    let height = (lines.len() as u16 + 2).min(frame.area().height.saturating_sub(2));
    let area = dialog_area(frame, width, height);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Deployments ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// One line per deployment: the one shown, protected ones, ones that cannot be chosen.
fn list_lines(
    picker: &DeploymentPicker,
    env: &Env,
    theme: Theme,
    room: usize,
    lines: &mut Vec<Line<'static>>,
) {
    // The name and the marks keep their room; how it signs in gives way before the host.
    let signs_room = (room / 3).min(30);
    let host_room = room.saturating_sub(2 + 14 + signs_room + 14).clamp(10, 40);
    for (index, deployment) in env.deployments.iter().enumerate() {
        let chosen = index == picker.cursor;
        let name_style = if chosen {
            theme.selected_row()
        } else {
            theme.strong()
        };
        let mut spans = vec![
            Span::raw(if chosen { "▌ " } else { "  " }),
            Span::styled(format!("{:<14}", fit(&deployment.name, 13)), name_style),
            Span::raw(format!(
                "{:<width$}",
                fit(short_host(&deployment.host), host_room - 1),
                width = host_room
            )),
            Span::styled(
                format!(
                    "{:<width$}",
                    fit(&deployment.signs_in, signs_room - 1),
                    width = signs_room
                ),
                theme.label(),
            ),
        ];
        spans.extend(marks(deployment, env, theme, room >= 100));
        lines.push(Line::from(spans));
        if let Some(problem) = &deployment.problem {
            lines.push(Line::styled(
                format!("    ✗ {}", fit(problem, room.saturating_sub(6))),
                theme.error(),
            ));
        }
    }
    if env.deployments.len() <= 1 {
        lines.push(Line::styled(
            "  Profiles of the config file appear here: see docs/configuration.md#profiles",
            theme.dim(),
        ));
    }
    lines.push(Line::raw(""));
}

/// A host as the picker lists it: `https://` goes without saying (plain `http://` stays).
fn short_host(host: &str) -> &str {
    host.strip_prefix("https://").unwrap_or(host)
}

/// Whether the deployment is the one shown, and protected: in its colour, and in words.
fn marks(deployment: &Deployment, env: &Env, theme: Theme, wide: bool) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if deployment.name == env.deployment {
        spans.push(Span::styled(
            if wide { "● shown " } else { "● " },
            theme.ok(),
        ));
    }
    if deployment.protected {
        spans.push(Span::styled(
            "⚠ protected",
            theme.protected(deployment.color),
        ));
    } else if deployment.color.is_some() {
        spans.push(Span::styled("■", theme.protected(deployment.color)));
    }
    spans
}

fn stage_lines(stage: &PickerStage, model: &Model, theme: Theme, lines: &mut Vec<Line<'static>>) {
    match stage {
        PickerStage::Password {
            deployment, input, ..
        } => {
            lines.push(Line::from(vec![
                Span::raw(format!("Password for {}: ", shown(deployment))),
                Span::styled(
                    format!("{}▏", "•".repeat(input.value().chars().count().min(30))),
                    theme.input(),
                ),
            ]));
        }
        PickerStage::SigningIn { deployment } => lines.push(Line::styled(
            format!(
                "{} Signing in to {}…",
                spinner_frame(model.spinner),
                shown(deployment)
            ),
            theme.spinner(),
        )),
        PickerStage::List | PickerStage::Search(_) => {}
    }
}

/// The term being typed, then each deployment's answer: its matches, none, or why it failed.
fn search_lines(
    search: &SearchAcross,
    model: &Model,
    theme: Theme,
    room: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let cursor = if search.typing { "▏" } else { "" };
    lines.push(Line::from(vec![
        Span::raw("Search every deployment: "),
        Span::styled(
            format!("{}{cursor}", shown(search.input.value())),
            theme.input(),
        ),
    ]));
    lines.push(Line::raw(""));
    if search.request.is_some() {
        lines.push(Line::styled(
            format!(
                "{} searching every deployment…",
                spinner_frame(model.spinner)
            ),
            theme.spinner(),
        ));
        return;
    }
    let mut index = 0;
    for found in &search.found {
        match &found.result {
            Ok(users) => {
                let count = match users.len() {
                    0 => "no match".to_string(),
                    1 => "1 match".to_string(),
                    n => format!("{n} matches"),
                };
                lines.push(Line::styled(
                    format!("{} · {count}", shown(&found.deployment)),
                    theme.header(),
                ));
                for user in users {
                    let chosen = !search.typing && index == search.cursor;
                    index += 1;
                    let text = format!(
                        "{:<7} {:<22} {:<22} {:<14}",
                        user.id,
                        fit(&user.username, 21),
                        fit(&user.full_name(), 21),
                        fit(user.role.as_ref().map_or("—", |role| role.as_str()), 13),
                    );
                    let mut spans = vec![
                        Span::raw(if chosen { "▌ " } else { "  " }),
                        Span::styled(
                            fit(&text, room.saturating_sub(14)),
                            if chosen {
                                theme.selected_row()
                            } else {
                                Default::default()
                            },
                        ),
                        Span::raw(" "),
                    ];
                    spans.push(Span::styled(
                        status_text(user.status.as_ref()),
                        theme.status(user.status.as_ref()),
                    ));
                    lines.push(Line::from(spans));
                }
            }
            Err(error) => lines.push(Line::styled(
                format!(
                    "{} · ✗ {}",
                    shown(&found.deployment),
                    fit(
                        &error.to_string(),
                        room.saturating_sub(found.deployment.chars().count() + 6)
                    )
                ),
                theme.error(),
            )),
        }
    }
    if !search.found.is_empty() {
        lines.push(Line::raw(""));
    }
}
