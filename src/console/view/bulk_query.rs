//! The dialog of a change to every user matching the view: the offer, the value, the
//! confirmation (with the typed count), and the progress of the writes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::dialog_area;
use chrono::NaiveDate;

use super::format::{fit, wrap_hanging};
use super::theme::{Theme, hint_line};
use crate::console::model::{
    BulkAction, BulkQuery, BulkStage, Model, NAMES_SHOWN, needs_typed_count, renewed_expiration,
};
use geobox_api::date_part;
use geobox_ops::bulk::{Change, Progress, Targets};

const WIDTH: u16 = 64;

fn title(action: BulkAction) -> &'static str {
    match action {
        BulkAction::Status => " Set status ",
        BulkAction::Role => " Set role ",
        BulkAction::Renew => " Renew plans ",
        BulkAction::Lockdown => " Lock down ",
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
                    Change::RenewPlan | Change::Lockdown => choice.describe(),
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
            notes,
            warnings,
        } => {
            lines.extend(what_changes(change, targets, theme));
            if *change == Change::RenewPlan {
                lines.extend(renewals(targets, model.now.date_naive(), theme));
            }
            lines.extend(
                notes
                    .iter()
                    .flat_map(|note| wrap_hanging(note, 60, 2))
                    .map(|line| Line::styled(line, theme.strong())),
            );
            lines.extend(
                warnings
                    .iter()
                    .flat_map(|warning| wrap_hanging(warning, 60, 2))
                    .map(|line| Line::styled(line, theme.error())),
            );
            lines.push(Line::raw(""));
            let count = targets.to_change.len();
            if count == 0 {
                lines.push(Line::styled("Nothing to change.", theme.strong()));
                lines.push(hint_line(theme, &[("⏎/Esc", "close")]));
            } else if needs_typed_count(targets) {
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
            // A lockdown is never already done, so its skipped count says nothing.
            let head_text = match change {
                Change::Lockdown => change.describe(),
                _ => format!("{} · {skipped} already so", change.describe()),
            };
            frame.render_widget(Paragraph::new(head_text), head);
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

/// The confirmation's account of the change: what, how many, the first names, and what is
/// left alone. Each line fits the dialog unwrapped, so the dialog's height holds.
fn what_changes(change: &Change, targets: &Targets, theme: Theme) -> Vec<Line<'static>> {
    let count = targets.to_change.len();
    let mut lines = Vec::new();
    let all = format!(" all {} matching this view", users(count as u64));
    lines.push(match change {
        Change::Lockdown => Line::from(vec![
            Span::styled("Lock down", theme.strong()),
            Span::raw(all),
        ]),
        _ => Line::from(vec![
            Span::styled(change.describe(), theme.strong()),
            Span::raw(format!(" for{all}")),
        ]),
    });
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
    match change {
        Change::Lockdown => {
            lines.push(Line::raw("Each: status → Disabled, every session closed."));
            lines.push(Line::styled(
                "No new passwords: one each, shown once, would help nobody.",
                theme.dim(),
            ));
        }
        Change::RenewPlan => {}
        _ => lines.push(Line::styled(
            format!(
                "{} already so: skipped",
                users(targets.already.len() as u64)
            ),
            theme.dim(),
        )),
    }
    lines
}

/// The new expiration of the first users, and the range of all of them: what a renewal of
/// the whole view will set, before it is set.
fn renewals(targets: &Targets, today: NaiveDate, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        "New expiration: the plan's days from today or a later one",
        theme.label(),
    )];
    let shown_users = targets.to_change.iter().take(3);
    for user in shown_users {
        let now = user
            .expiration_date
            .as_deref()
            .map_or_else(|| "none".to_string(), |date| fit(date_part(date), 10));
        let new = renewed_expiration(user, today)
            .map_or_else(|| "the server decides".to_string(), |date| date.to_string());
        lines.push(Line::raw(format!(
            "  {:<22} {now} → {new}",
            fit(&user.username, 22)
        )));
    }
    let rest = targets.to_change.len().saturating_sub(3);
    if rest > 0 {
        let dates: Vec<NaiveDate> = targets
            .to_change
            .iter()
            .filter_map(|user| renewed_expiration(user, today))
            .collect();
        let range = match (dates.iter().min(), dates.iter().max()) {
            (Some(first), Some(last)) if first != last => format!(", new dates {first} to {last}"),
            (Some(only), _) => format!(", new date {only}"),
            _ => String::new(),
        };
        lines.push(Line::styled(
            format!("  and {rest} more{range}"),
            theme.dim(),
        ));
    }
    lines
}

/// `a  all 12 users matching this view instead`: in a dialog about the selected user, when the
/// view narrows the users and nothing is marked.
pub fn widen_hint(model: &Model, theme: Theme) -> Option<Line<'static>> {
    if !model.may_widen_to_view() {
        return None;
    }
    let matching = model.users.total.map_or("all users".to_string(), |total| {
        format!("all {}", users(total))
    });
    Some(Line::from(vec![
        Span::styled("a", theme.key_hint()),
        Span::raw(format!(" {matching} matching this view instead")),
    ]))
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

    use crate::console::fixtures::{loaded_model, user};
    use crate::console::model::{BulkAction, BulkQuery, BulkStage, Mode, Model};
    use crate::console::msg::RequestId;
    use geobox_api::UserStatus;
    use geobox_ops::bulk::{Change, Progress, Targets};

    fn draw(model: &Model) -> Terminal<TestBackend> {
        let mut terminal =
            Terminal::new(TestBackend::new(model.width, model.height)).expect("a test terminal");
        terminal
            .draw(|frame| {
                crate::console::view::view(model, &crate::console::fixtures::env(), frame)
            })
            .expect("drawing works");
        terminal
    }

    fn snapshot(name: &str, model: &Model) {
        let terminal = draw(model);
        insta::with_settings!({
            filters => vec![(r"\d+ ms", "N ms")],
            snapshot_suffix => format!("{}x{}", model.width, model.height),
        }, {
            insta::assert_snapshot!(name, terminal.backend());
        });
    }

    fn with_stage(width: u16, height: u16, stage: BulkStage) -> Model {
        with_action(width, height, BulkAction::Status, stage)
    }

    fn with_action(width: u16, height: u16, action: BulkAction, stage: BulkStage) -> Model {
        let mut model = loaded_model(width, height, 500);
        model.filters.status = Some(UserStatus::Pending);
        model.mode = Mode::BulkQuery(Box::new(BulkQuery {
            action,
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
                notes: Vec::new(),
                warnings: Vec::new(),
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

    #[test]
    fn a_whole_view_renewal_shows_each_new_expiration_before_it_is_set() {
        for (width, height) in [(80, 24), (160, 45)] {
            let stage = BulkStage::Confirm {
                change: Change::RenewPlan,
                targets: Targets::split((1..=8).map(user).collect(), &Change::RenewPlan),
                typed: Input::default(),
                mismatch: false,
                notes: vec![
                    "2 users left out: only a System Admin may change a System Admin".into(),
                ],
                warnings: Vec::new(),
            };
            let model = with_action(width, height, BulkAction::Renew, stage);
            snapshot("bulk_query_renew_confirm", &model);
            let text = format!("{:?}", draw(&model).backend());
            // User 1 expires 2026-12-11: thirty days on. User 4 expired: thirty days from today.
            assert!(text.contains("2026-12-11 → 2027-01-10"), "{text}");
            assert!(text.contains("and 5 more, new dates"), "{text}");
        }
    }

    #[test]
    fn under_a_plain_search_the_dialogs_offer_a_for_every_match() {
        for (width, height) in [(80, 24), (160, 45)] {
            let mut model = loaded_model(width, height, 12);
            model.filters.search = "ali".into();
            crate::console::fixtures::type_text(&mut model, "js");
            snapshot("widen_hint_picker", &model);
            let text = format!("{:?}", draw(&model).backend());
            assert!(
                text.contains("a all 12 users matching this view instead"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_whole_view_lockdown_offers_then_says_no_passwords_and_who_is_left_out() {
        for (width, height) in [(80, 24), (160, 45)] {
            snapshot(
                "bulk_query_lockdown_offer",
                &with_action(width, height, BulkAction::Lockdown, BulkStage::Offer),
            );
            let stage = BulkStage::Confirm {
                change: Change::Lockdown,
                targets: Targets::split((2..=241).map(user).collect(), &Change::Lockdown),
                typed: Input::new("240".to_string()),
                mismatch: false,
                notes: vec!["admin (you) is left out: the change would lock you down".to_string()],
                warnings: Vec::new(),
            };
            snapshot(
                "bulk_query_lockdown_confirm",
                &with_action(width, height, BulkAction::Lockdown, stage),
            );
        }
    }
}
