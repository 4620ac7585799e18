//! The dialog of a change to every user matching the view: the offer, the value, the
//! confirmation (with the typed count), and the progress of the writes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::actions::hint_line;
use super::dialog_area;
use super::format::fit;
use super::theme::Theme;
use crate::bulk::{Change, Progress};
use crate::console::model::{
    BulkAction, BulkQuery, BulkStage, Model, NAMES_SHOWN, needs_typed_count,
};

const WIDTH: u16 = 64;

fn title(action: BulkAction) -> &'static str {
    match action {
        BulkAction::Status => " Set status ",
        BulkAction::Role => " Set role ",
        BulkAction::Renew => " Renew plans ",
    }
}

/// "3 users", "1 user".
fn users(count: impl std::fmt::Display + PartialEq<u64> + Copy) -> String {
    if count == 1 {
        "1 user".to_string()
    } else {
        format!("{count} users")
    }
}

pub fn render(query: &BulkQuery, model: &Model, theme: Theme, frame: &mut Frame) {
    let filter = model.filters.chips().join(" · ");
    let mut lines: Vec<Line> = Vec::new();
    match &query.stage {
        BulkStage::Offer => {
            let matching = query.matching.map_or("all users".to_string(), |count| {
                format!("all {}", users(count))
            });
            lines.push(Line::styled(
                "A filter is on and nothing is marked.",
                theme.dim(),
            ));
            lines.push(Line::raw(""));
            if let Some(selected) = &query.selected {
                lines.push(Line::from(vec![
                    Span::styled("⏎ ", theme.key_hint()),
                    Span::raw(format!("only {}", fit(selected, 40))),
                ]));
            }
            lines.push(Line::from(vec![
                Span::styled("a ", theme.key_hint()),
                Span::styled(format!("{matching} matching this view"), theme.strong()),
            ]));
            lines.push(Line::styled(format!("  {}", fit(&filter, 56)), theme.dim()));
            lines.push(Line::raw(""));
            lines.push(hint_line(theme, &[("Esc", "cancel")]));
        }
        BulkStage::Choose { choices, cursor } => {
            lines.push(Line::styled(
                format!("For every user matching {}", fit(&filter, 36)),
                theme.dim(),
            ));
            for (index, choice) in choices.iter().enumerate() {
                let text = match choice {
                    Change::Status(status) => status.to_string(),
                    Change::Role(role) => role.to_string(),
                    Change::RenewPlan => "renew plan".to_string(),
                };
                let chosen = index == *cursor;
                let style = if chosen {
                    theme.selected_row()
                } else {
                    theme.label()
                };
                lines.push(Line::from(vec![
                    Span::raw(if chosen { "▌ " } else { "  " }),
                    Span::styled(text, style),
                ]));
            }
            lines.push(Line::raw(""));
            lines.push(hint_line(theme, &[("⏎", "choose"), ("Esc", "cancel")]));
        }
        BulkStage::Collecting { change, .. } => {
            lines.push(Line::raw(format!(
                "{}: reading every user matching this view…",
                change.describe()
            )));
            lines.push(Line::styled(fit(&filter, 60), theme.dim()));
            lines.push(Line::raw(""));
            lines.push(hint_line(theme, &[("Esc", "cancel")]));
        }
        BulkStage::Confirm {
            change,
            targets,
            typed,
            mismatch,
        } => {
            let count = targets.to_change.len();
            lines.push(Line::from(vec![
                Span::styled(change.describe(), theme.strong()),
                Span::raw(format!(
                    " for all {} matching this view",
                    users(count as u64)
                )),
            ]));
            let mut names: Vec<&str> = targets
                .to_change
                .iter()
                .take(NAMES_SHOWN)
                .map(|user| user.username.as_str())
                .collect();
            let more = count.saturating_sub(NAMES_SHOWN);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            if names.is_empty() {
                names.push("(nobody to change)");
            }
            // The count of the rest stays whole; the names give way when they are long.
            let room = 60usize.saturating_sub(more.chars().count());
            lines.push(Line::raw(format!("{}{more}", fit(&names.join(", "), room))));
            lines.push(Line::styled(
                format!(
                    "{} already so: skipped",
                    users(targets.already.len() as u64)
                ),
                theme.dim(),
            ));
            lines.push(Line::raw(""));
            if needs_typed_count(targets) {
                lines.push(Line::from(vec![
                    Span::raw(format!("Type {count} to confirm: ")),
                    Span::styled(format!("{}▏", typed.value()), theme.input()),
                ]));
                if *mismatch {
                    lines.push(Line::styled(format!("that is not {count}"), theme.error()));
                }
                lines.push(hint_line(theme, &[("⏎", "yes"), ("Esc", "no")]));
            } else {
                lines.push(hint_line(theme, &[("y/⏎", "yes"), ("Esc", "no")]));
            }
        }
        BulkStage::Running {
            change,
            progress,
            skipped,
            stopping,
            ..
        } => {
            let area = dialog_area(frame, WIDTH, 6);
            let block = dialog_block(query, theme);
            let inner = block.inner(area);
            frame.render_widget(block, area);
            let [head, bar, foot, hint] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);
            frame.render_widget(
                Paragraph::new(format!("{} · {skipped} already so", change.describe())),
                head,
            );
            frame.render_widget(progress_bar(progress, theme), bar);
            let state = if *stopping {
                "stopping after the current batch…"
            } else {
                "writing in batches"
            };
            frame.render_widget(Paragraph::new(Line::styled(state, theme.dim())), foot);
            frame.render_widget(
                Paragraph::new(hint_line(theme, &[("Esc", "stop after this batch")])),
                hint,
            );
            return;
        }
    }
    let height = lines.len() as u16 + 2;
    let area = dialog_area(frame, WIDTH, height);
    let paragraph = Paragraph::new(lines)
        .block(dialog_block(query, theme))
        .wrap(Wrap { trim: false });
    frame.render_widget(paragraph, area);
}

/// A bar with `done/total  rate/s  ETA`, for every long run.
pub fn progress_bar(progress: &Progress, theme: Theme) -> Gauge<'static> {
    let ratio = if progress.total == 0 {
        0.0
    } else {
        progress.done as f64 / progress.total as f64
    };
    Gauge::default()
        .ratio(ratio.clamp(0.0, 1.0))
        .gauge_style(theme.ok())
        .label(progress.line())
}

fn dialog_block(query: &BulkQuery, theme: Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(title(query.action))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tui_input::Input;

    use crate::api::UserStatus;
    use crate::bulk::{Change, Progress, Targets};
    use crate::console::fixtures::{loaded_model, user};
    use crate::console::model::{BulkAction, BulkQuery, BulkStage, Mode, Model};
    use crate::console::msg::RequestId;

    fn snapshot(name: &str, model: &Model) {
        let mut terminal =
            Terminal::new(TestBackend::new(model.width, model.height)).expect("a test terminal");
        terminal
            .draw(|frame| crate::console::view::view(model, frame))
            .expect("drawing works");
        insta::with_settings!({
            filters => vec![(r"\d+ ms", "N ms")],
            snapshot_suffix => format!("{}x{}", model.width, model.height),
        }, {
            insta::assert_snapshot!(name, terminal.backend());
        });
    }

    fn with_stage(width: u16, height: u16, stage: BulkStage) -> Model {
        let mut model = loaded_model(width, height, 500);
        model.filters.status = Some(UserStatus::Pending);
        model.mode = Mode::BulkQuery(Box::new(BulkQuery {
            action: BulkAction::Status,
            matching: Some(240),
            selected: Some(user(1).username),
            stage,
        }));
        model
    }

    fn many_targets() -> Targets {
        Targets::split(
            (1..=240).map(user).collect(),
            &Change::Status(UserStatus::Active),
        )
    }

    #[test]
    fn the_offer_names_the_selected_user_and_the_whole_view() {
        for (width, height) in [(80, 24), (160, 45)] {
            snapshot(
                "bulk_query_offer",
                &with_stage(width, height, BulkStage::Offer),
            );
        }
    }

    #[test]
    fn many_users_ask_for_the_count_typed() {
        for (width, height) in [(80, 24), (160, 45)] {
            let stage = BulkStage::Confirm {
                change: Change::Status(UserStatus::Active),
                targets: many_targets(),
                typed: Input::new("12".to_string()),
                mismatch: true,
            };
            snapshot(
                "bulk_query_confirm_typed",
                &with_stage(width, height, stage),
            );
        }
    }

    #[test]
    fn the_run_shows_a_bar_with_rate_and_time_left() {
        for (width, height) in [(80, 24), (160, 45)] {
            let targets = many_targets();
            let stage = BulkStage::Running {
                request: RequestId(9),
                change: Change::Status(UserStatus::Active),
                progress: Progress {
                    done: 64,
                    total: targets.to_change.len(),
                    elapsed: Duration::from_secs(4),
                },
                skipped: targets.already.len(),
                stopping: false,
            };
            snapshot("bulk_query_running", &with_stage(width, height, stage));
        }
    }
}
