//! The selected user's sessions: agent, address, created, last seen, and which is this console's.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};

use super::agent::short_agent;
use super::format::{ago_text, fit, shown};
use super::theme::{Theme, spinner_frame};
use crate::console::model::{Focus, LoadState, Model};
use geobox_api::Session;
use geobox_ops::sessions_insight::{DEFAULT_IDLE_AFTER, SessionGroup, SessionInsight, group};

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
                agent_text(first),
                ago_text(
                    model.now,
                    first.last_seen.as_deref().or(first.created_at.as_deref())
                ),
                if sessions.len() > 1 { " …" } else { "" }
            )
        }
        LoadState::Loading => format!("Sessions: {} loading…", spinner_frame(model.spinner)),
        LoadState::Failed(error) => format!("Sessions: ✗ {}", shown(error)),
        LoadState::Idle => "Sessions: …".to_string(),
    }
}

/// The agent in the words an admin checks a laptop by, as the screen shows it.
pub fn agent_text(session: &Session) -> String {
    session.agent.as_deref().map_or_else(
        || "unknown agent".to_string(),
        |agent| shown(&short_agent(agent)).into_owned(),
    )
}

/// `new`, `idle 21d`: why a session deserves a look (`this` is the marker instead).
fn marks_text(insight: &SessionInsight) -> String {
    let marks: Vec<String> = insight
        .marks()
        .into_iter()
        .filter(|mark| mark != "this")
        .collect();
    if marks.is_empty() {
        String::new()
    } else {
        format!(" {}", marks.join(" "))
    }
}

/// How wide each column of the session lines is: the address and the ages as wide as the
/// widest one shown, so the agent gets every cell they leave.
struct Columns {
    agent: usize,
    ip: usize,
    created: Option<usize>,
    seen: usize,
    own_marker: &'static str,
    /// Room for `● ` in front of marked sessions.
    marked: usize,
}

impl Columns {
    /// The narrowest the agent is cut to before the creation time gives way.
    const AGENT_MIN: usize = 24;

    /// `marked_own`: the console's own session needs its marker (its group, headed "this
    /// console", holds others too).
    fn for_sessions(
        model: &Model,
        insights: &[&SessionInsight],
        marked_own: bool,
        width: usize,
    ) -> Columns {
        let widest = |text: &dyn Fn(&SessionInsight) -> String| {
            insights
                .iter()
                .map(|insight| text(insight).chars().count())
                .max()
                .unwrap_or(0)
        };
        let ip = widest(&|insight| ip_text(&insight.session)).max(2);
        let seen = widest(&|insight| ago_text(model.now, insight.session.last_seen.as_deref()));
        let created = widest(&|insight| ago_text(model.now, insight.session.created_at.as_deref()));
        let marks = widest(&marks_text);
        let has_own = marked_own;
        let marked = if model.sessions.marked.is_empty() {
            0
        } else {
            2
        };
        let agent_with = |created: usize, own: &str| {
            let own = if has_own { own.chars().count() } else { 0 };
            width.saturating_sub(marked + GAP + ip + GAP + created + seen + own + marks)
        };
        // The creation time and the long marker go first when the agent would be cut short.
        let (created, own_marker) = [
            (Some(created), " ◆ this console"),
            (None, " ◆ this console"),
            (None, " ◆ this"),
        ]
        .into_iter()
        .find(|(created, own)| {
            agent_with(created.map_or(0, |width| width + GAP), own) >= Self::AGENT_MIN
        })
        .unwrap_or((None, " ◆ this"));
        let agent = agent_with(created.map_or(0, |width| width + GAP), own_marker).max(10);
        Columns {
            agent,
            ip,
            created,
            seen,
            own_marker: if has_own { own_marker } else { "" },
            marked,
        }
    }
}

/// The space between two columns.
const GAP: usize = 2;

fn ip_text(session: &Session) -> String {
    shown(session.ip.as_deref().unwrap_or("—")).into_owned()
}

fn session_line(
    model: &Model,
    theme: Theme,
    insight: &SessionInsight,
    columns: &Columns,
) -> Line<'static> {
    let session = &insight.session;
    let Columns {
        agent, ip, seen, ..
    } = *columns;
    let mut spans = Vec::new();
    if model.sessions.marked.contains(&session.uuid) {
        spans.push(Span::styled("● ", theme.marked()));
    } else if columns.marked > 0 {
        spans.push(Span::raw("  "));
    }
    let gap = " ".repeat(GAP);
    spans.push(Span::raw(format!(
        "{:<agent$}{gap}",
        fit(&agent_text(session), agent)
    )));
    spans.push(Span::styled(
        format!("{:<ip$}{gap}", ip_text(session)),
        theme.label(),
    ));
    if let Some(created) = columns.created {
        spans.push(Span::raw(format!(
            "{:<created$}{gap}",
            ago_text(model.now, session.created_at.as_deref())
        )));
    }
    spans.push(Span::raw(format!(
        "{:<seen$}",
        ago_text(model.now, session.last_seen.as_deref())
    )));
    if model.sessions.closing.contains(&session.uuid) {
        spans.push(Span::styled(
            format!(" {} closing", spinner_frame(model.spinner)),
            theme.spinner(),
        ));
    } else if session.current == Some(true) {
        spans.push(Span::styled(columns.own_marker, theme.ok()));
    }
    let marks = marks_text(insight);
    if !marks.is_empty() {
        spans.push(Span::styled(marks, theme.error()));
    }
    Line::from(spans)
}

/// A group's heading: its client and address, and "this console" for the group holding the
/// console's own session (whatever agent the server recorded for it).
fn group_title(group: &SessionGroup) -> String {
    let own = group
        .sessions
        .iter()
        .any(|insight| insight.session.current == Some(true));
    if own {
        format!("this console · {}", group.ip)
    } else {
        group.title()
    }
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
        LoadState::Failed(error) => {
            Some(Line::styled(format!("✗ {}", shown(error)), theme.error()))
        }
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
        // Wrapped: a refusal's end says why.
        frame.render_widget(
            Paragraph::new(message)
                .wrap(ratatui::widgets::Wrap { trim: false })
                .block(block),
            area,
        );
        return;
    }
    // Sessions are kept in group order (update sorts them so), so the selection's index
    // among sessions plus the group headings above it is its row.
    let sessions = model.sessions.list.loaded().map_or(&[][..], Vec::as_slice);
    let mut items: Vec<ListItem> = Vec::new();
    let mut selected_row = 0;
    let mut index = 0;
    let groups = group(sessions, model.now, DEFAULT_IDLE_AFTER);
    let insights: Vec<&SessionInsight> = groups.iter().flat_map(|group| &group.sessions).collect();
    // The heading "this console" names a group of one; among others, the session is marked.
    let marked_own = groups.iter().any(|group| {
        group.sessions.len() > 1
            && group
                .sessions
                .iter()
                .any(|insight| insight.session.current == Some(true))
    });
    let columns = Columns::for_sessions(model, &insights, marked_own, width);
    for group in &groups {
        items.push(ListItem::new(Line::styled(
            fit(&group_title(group), width),
            theme.strong(),
        )));
        for insight in &group.sessions {
            if index == model.sessions.selected {
                selected_row = items.len();
            }
            items.push(ListItem::new(session_line(model, theme, insight, &columns)));
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
