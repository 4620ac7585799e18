//! The selected user's sessions: agent, address, created, last seen, and which is this console's.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::agent::short_agent;
use super::format::{ago_text, fit};
use super::theme::{Theme, spinner_frame};
use crate::console::model::{Focus, LoadState, Model};
use geobox_ops::sessions_insight::{DEFAULT_IDLE_AFTER, SessionInsight, group};

/// One line about the sessions, for the narrow summary.
pub fn session_summary(model: &Model) -> String {
    match &model.sessions.list.state {
        LoadState::Loaded(sessions) if sessions.is_empty() => "Sessions: none".to_string(),
        LoadState::Loaded(sessions) => {
            let first = &sessions[0];
            let own = if first.current == Some(true) {
                " (this console)"
            } else {
                ""
            };
            format!(
                "Sessions ({}): {}, {}{own}{}",
                sessions.len(),
                first
                    .agent
                    .as_deref()
                    .map_or("unknown agent".to_string(), short_agent),
                ago_text(
                    model.now,
                    first.last_seen.as_deref().or(first.created_at.as_deref())
                ),
                if sessions.len() > 1 { " …" } else { "" }
            )
        }
        LoadState::Loading => format!("Sessions: {} loading…", spinner_frame(model.spinner)),
        LoadState::Failed(error) => format!("Sessions: ✗ {error}"),
        LoadState::Idle => "Sessions: …".to_string(),
    }
}

fn session_line(
    model: &Model,
    theme: Theme,
    insight: &SessionInsight,
    width: usize,
) -> Line<'static> {
    let session = &insight.session;
    // Narrow panes drop the creation time before squeezing the agent.
    let with_created = width >= 70;
    // The agent (browser · system) gets what the address, the ages and the marker leave.
    let own_marker = if with_created {
        " ◆ this console"
    } else {
        " ◆ this"
    };
    // `new` and `idle` say why a session deserves a look; `this` is already the marker.
    let marks: Vec<String> = insight
        .marks()
        .into_iter()
        .filter(|mark| mark != "this")
        .collect();
    let marks = if marks.is_empty() {
        String::new()
    } else {
        format!(" {}", marks.join(" "))
    };
    let fixed = 16
        + 11
        + own_marker.chars().count()
        + marks.chars().count()
        + if with_created { 11 } else { 0 };
    let agent_width = width.saturating_sub(fixed).clamp(10, 28);
    let mut spans = vec![
        Span::raw(format!(
            "{:<agent_width$} ",
            fit(
                &session
                    .agent
                    .as_deref()
                    .map_or("unknown agent".to_string(), short_agent),
                agent_width
            )
        )),
        Span::styled(
            format!("{:<15} ", fit(session.ip.as_deref().unwrap_or("—"), 15)),
            theme.label(),
        ),
    ];
    if with_created {
        spans.push(Span::raw(format!(
            "{:<10} ",
            ago_text(model.now, session.created_at.as_deref())
        )));
    }
    spans.push(Span::raw(format!(
        "{:<10}",
        ago_text(model.now, session.last_seen.as_deref())
    )));
    if model.sessions.closing.contains(&session.uuid) {
        spans.push(Span::styled(
            format!(" {} closing", spinner_frame(model.spinner)),
            theme.spinner(),
        ));
    } else if session.current == Some(true) {
        spans.push(Span::styled(own_marker, theme.ok()));
    }
    if !marks.is_empty() {
        spans.push(Span::styled(marks, theme.error()));
    }
    if model.sessions.marked.contains(&session.uuid) {
        spans.insert(0, Span::styled("● ", theme.marked()));
    }
    Line::from(spans)
}

pub fn render(model: &Model, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = model.focus == Focus::Sessions;
    let count = model.sessions.list.loaded().map(Vec::len);
    let title = match count {
        Some(count) => format!(" Sessions ({count}) "),
        None => " Sessions ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title);
    let width = usize::from(area.width.saturating_sub(4));
    // Sessions belong to the selected user: none selected (a failed list), none shown.
    let selected = model.users.selected_user().map(|user| user.id);
    let stale = selected.is_none() && model.sessions.user_id.is_some();
    let message = match &model.sessions.list.state {
        _ if stale => Some(Line::styled("", theme.dim())),
        LoadState::Loaded(sessions) if sessions.is_empty() => {
            Some(Line::styled("No open sessions.", theme.dim()))
        }
        LoadState::Loaded(_) => None,
        LoadState::Loading => Some(Line::styled(
            format!("{} loading sessions…", spinner_frame(model.spinner)),
            theme.spinner(),
        )),
        LoadState::Failed(error) => Some(Line::styled(format!("✗ {error}"), theme.error())),
        LoadState::Idle => Some(Line::styled(
            if model.users.selected_user().is_some() {
                "…"
            } else {
                ""
            },
            theme.dim(),
        )),
    };
    if let Some(message) = message {
        frame.render_widget(Paragraph::new(message).block(block), area);
        return;
    }
    // Sessions are kept in group order (update sorts them so), so the selection's index
    // among sessions plus the group headings above it is its row.
    let sessions = model.sessions.list.loaded().map_or(&[][..], Vec::as_slice);
    let mut items: Vec<ListItem> = Vec::new();
    let mut selected_row = 0;
    let mut index = 0;
    for group in group(sessions, model.now, DEFAULT_IDLE_AFTER) {
        items.push(ListItem::new(Line::styled(
            fit(&group.title(), width),
            theme.strong(),
        )));
        for insight in &group.sessions {
            if index == model.sessions.selected {
                selected_row = items.len();
            }
            items.push(ListItem::new(session_line(model, theme, insight, width)));
            index += 1;
        }
    }
    let mut state = ListState::default();
    if focused {
        state.select(Some(selected_row));
    }
    let list = List::new(items)
        .block(block)
        .highlight_style(theme.selected_row())
        .highlight_symbol("▌");
    frame.render_stateful_widget(list, area, &mut state);
}
