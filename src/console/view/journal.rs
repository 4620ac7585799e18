//! The journal panel (`L`): this run's entries on top, then earlier ones, one line each; below
//! them, an undo's change (old → new) or why it is refused.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::dialog_area;
use super::format::{fit, shown};
use super::theme::Theme;
use crate::console::model::{JournalView, LoadState, Model, UndoAsk};
use geobox_ops::journal::{Entry, Outcome, counted, show, who};

pub fn render(view: &JournalView, model: &Model, theme: Theme, frame: &mut Frame) {
    let screen = frame.area();
    let area = dialog_area(frame, screen.width, screen.height.saturating_sub(2));
    let this_run = &model.journal.this_run;
    let rows = view.rows(this_run);
    let mut whose = match &view.only_user {
        Some(user) => format!("only {}", shown(&who(user.id, Some(&user.username)))),
        None => "all users · f this user only".to_string(),
    };
    if let Some(admin) = &view.only_admin {
        whose.push_str(&format!(" · made by {}", shown(admin)));
    }
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(" Journal ({}) · {whose} ", rows.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let undo = undo_lines(&view.undo, theme);
    let undo_height = if undo.is_empty() {
        0
    } else {
        (undo.len() as u16 + 2).min(inner.height / 2)
    };
    let [list_area, undo_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(undo_height)]).areas(inner);
    render_rows(
        view,
        &rows,
        view.this_run_count(this_run),
        theme,
        frame,
        list_area,
    );
    if undo_height > 0 {
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(theme.border(true))
            .title(" Undo ");
        let paragraph = Paragraph::new(undo).wrap(Wrap { trim: false });
        frame.render_widget(paragraph.block(block), undo_area);
    }
}

fn render_rows(
    view: &JournalView,
    rows: &[&Entry],
    this_run: usize,
    theme: Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let width = usize::from(area.width);
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    if this_run == 0 {
        lines.push(Line::styled("This run: nothing written yet.", theme.dim()));
    } else {
        lines.push(Line::styled("This run", theme.strong()));
    }
    for (index, entry) in rows.iter().enumerate() {
        if index == this_run {
            lines.push(Line::styled("Earlier", theme.strong()));
        }
        if index == view.selected {
            selected_line = lines.len();
        }
        // Journal text (a teammate's entries included) must never drive the terminal.
        let text = fit(&shown(&entry_line(entry, width)), width.saturating_sub(2));
        let style = if entry.outcome.is_ok() {
            ratatui::style::Style::new()
        } else {
            theme.error()
        };
        let mut line = Line::from(vec![
            Span::raw(if index == view.selected { "▸ " } else { "  " }),
            Span::styled(text, style),
        ]);
        if index == view.selected {
            line = line.style(theme.selected_row());
        }
        lines.push(line);
    }
    match &view.earlier {
        LoadState::Loading => lines.push(Line::styled("Reading earlier entries…", theme.dim())),
        LoadState::Failed(error) => {
            lines.push(Line::styled(shown(error).into_owned(), theme.error()));
        }
        LoadState::Loaded(_) if rows.len() == this_run => {
            lines.push(Line::styled("Earlier: none.", theme.dim()));
        }
        _ => {}
    }
    // The highlighted row stays in sight.
    let height = usize::from(area.height).max(1);
    let skip = (selected_line + 1).saturating_sub(height);
    let shown: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(shown), area);
}

/// The undo steps listed before "… and N more users".
const STEPS_SHOWN: usize = 8;

/// The longest action name (`remove_member`), so the columns after it line up.
const ACTION_WIDTH: usize = 13;

/// `✓ 11-29 12:00 k3v9q2m1xa admin@laptop  console update  neda (3)  status: Active →
/// Disabled`: the mark, time, id and who (and from which machine) first, so a narrow screen
/// cuts only the change. `⇡` after the mark: kept here, not in the team journal yet.
fn entry_line(entry: &Entry, width: usize) -> String {
    let action = entry.action.to_string();
    // An undo says which entry it undoes in the change column, so the action column keeps
    // one width on every row.
    let undoes = entry
        .undoes
        .as_ref()
        .map_or_else(String::new, |undone| format!("undoes {undone}: "));
    let (mark, failure) = match &entry.outcome {
        Outcome::Ok => ("✓", String::new()),
        Outcome::Error(error) => ("✗", format!("  error: {error}")),
    };
    // An entry an undo took back says so first (↶) and, at the end, by what, whom and when.
    let (mark, undone) = match &entry.undone {
        Some(undone) if undone.whole => ("↶", format!("  · undone {undone}")),
        Some(undone) => ("↶", format!("  · partly undone {undone}")),
        None => (mark, String::new()),
    };
    let tool = match entry.tool {
        geobox_ops::journal::Tool::Console => "console",
        geobox_ops::journal::Tool::Cli => "cli",
    };
    let waiting = if entry.not_shared { "⇡" } else { "" };
    // Narrow screens keep the admin's name whole before the machine's.
    let who_width = if width >= 120 { WHO_WIDE } else { WHO_NARROW };
    let made_by = entry.made_by();
    let made_by = fit(if made_by.is_empty() { "?" } else { &made_by }, who_width);
    format!(
        "{mark}{waiting} {} {} {made_by:<who_width$} {tool:<7} {action:<ACTION_WIDTH$} {}  \
         {undoes}{}{failure}{undone}",
        entry.time.format("%m-%d %H:%M"),
        entry.id,
        users(entry),
        change(entry),
    )
}

/// How much of `admin@machine` a row shows, on wide and on narrow screens.
const WHO_WIDE: usize = 24;
const WHO_NARROW: usize = 12;

fn users(entry: &Entry) -> String {
    let Some(first) = entry.changes.first() else {
        return String::new();
    };
    let name = match first.user_id {
        Some(id) => who(id, first.username.as_deref()),
        None => first.username.clone().unwrap_or_default(),
    };
    match entry.changes.len() {
        1 => name,
        many => format!("{name} +{}", many - 1),
    }
}

/// The first user's fields, `old → new`; a count when a whole user was recorded.
fn change(entry: &Entry) -> String {
    let Some(first) = entry.changes.first() else {
        return entry.detail.clone().unwrap_or_default();
    };
    let whole = first.before.is_empty() || first.after.is_empty();
    let mut parts: Vec<String> = Vec::new();
    if whole {
        let recorded = first.before.0.len().max(first.after.0.len());
        if recorded > 0 {
            parts.push(format!("{recorded} fields recorded"));
        }
    } else {
        parts.extend(first.after.0.iter().map(|(field, new)| {
            let old = first.before.get(*field).map_or_else(String::new, show);
            format!("{field}: {old} → {}", show(new))
        }));
    }
    if let Some(detail) = &entry.detail {
        parts.push(detail.clone());
    }
    parts.join(", ")
}

fn undo_lines(undo: &UndoAsk, theme: Theme) -> Vec<Line<'static>> {
    match undo {
        UndoAsk::Idle => Vec::new(),
        UndoAsk::Checking { .. } => {
            vec![Line::styled("Reading the user as it is now…", theme.dim())]
        }
        UndoAsk::Running { .. } => vec![Line::styled("Undoing…", theme.dim())],
        UndoAsk::Refused { text } => {
            let mut lines: Vec<Line> = text
                .lines()
                .map(|line| Line::styled(shown(line).into_owned(), theme.error()))
                .collect();
            lines.push(Line::styled("Esc back", theme.dim()));
            lines
        }
        UndoAsk::Ready {
            entry,
            plan,
            typed,
            mismatch,
        } => {
            let mut lines = vec![Line::styled(
                shown(&format!(
                    "Undo {} ({}), {}:",
                    entry.id,
                    entry.action,
                    counted(plan.users(), "user", "users")
                ))
                .into_owned(),
                theme.strong(),
            )];
            // A screenful of the steps, then how many more: an undo of thousands of users
            // stays readable.
            lines.extend(
                plan.preview(STEPS_SHOWN)
                    .lines()
                    .map(|line| Line::raw(shown(line).into_owned())),
            );
            for note in &plan.notes {
                lines.push(Line::styled(format!("note: {}", shown(note)), theme.dim()));
            }
            if undo.typing_count() {
                let count = plan.users();
                lines.push(Line::from(vec![
                    Span::raw(format!("Type {count} to confirm: ")),
                    Span::styled(format!("{}▏", shown(typed.value())), theme.input()),
                ]));
                if *mismatch {
                    lines.push(Line::styled(format!("that is not {count}"), theme.error()));
                }
                lines.push(Line::styled("⏎ undo · Esc keep", theme.key_hint()));
            } else {
                lines.push(Line::styled("y undo · n/Esc keep", theme.key_hint()));
            }
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geobox_ops::journal::{Action, Tool, UserChange};

    fn written(action: Action) -> Entry {
        let mut entry = Entry::new("", Tool::Console, action, Outcome::Ok);
        entry.id = "k3v9q2m1xa".into();
        entry
            .changes
            .push(UserChange::new(Some(7), Some("neda".into())));
        entry
    }

    /// Where the user column starts: just after the action column.
    fn user_column(line: &str) -> Option<usize> {
        line.find("neda").map(|byte| line[..byte].chars().count())
    }

    #[test]
    fn an_undo_row_keeps_the_columns_of_the_rows_around_it() {
        let mut undo = written(Action::Update);
        undo.undoes = Some("p0q1r2s3t4".into());
        let rows = [written(Action::Update), undo, written(Action::RemoveMember)];
        let lines: Vec<String> = rows.iter().map(|entry| entry_line(entry, 160)).collect();
        let columns: Vec<Option<usize>> = lines.iter().map(|line| user_column(line)).collect();
        assert!(columns[0].is_some(), "{lines:?}");
        assert!(
            columns.iter().all(|column| *column == columns[0]),
            "{lines:#?}"
        );
        assert!(lines[1].contains("undoes p0q1r2s3t4"), "{}", lines[1]);
    }

    #[test]
    fn an_undone_entry_is_marked_and_says_by_what_and_whom() {
        let mut entry = written(Action::Update);
        entry.undone = Some(geobox_ops::journal::Undone {
            entry: "p0q1r2s3t4".into(),
            time: entry.time,
            by: Some("admin".into()),
            whole: true,
        });
        let line = entry_line(&entry, 160);
        assert!(line.starts_with("↶ "), "{line}");
        assert!(
            line.contains("· undone by p0q1r2s3t4 (admin) at "),
            "{line}"
        );
        entry.undone = entry.undone.map(|undone| geobox_ops::journal::Undone {
            whole: false,
            ..undone
        });
        assert!(entry_line(&entry, 160).contains("· partly undone by p0q1r2s3t4"));
        assert!(entry_line(&written(Action::Update), 160).starts_with("✓ "));
    }
}
