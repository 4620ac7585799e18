//! The selected user's every field: known ones formatted, unknown ones as the server sent them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use serde_json::Value;

use super::format::{ago_text, expiry_words, fit, is_expired, shown};
use super::sessions::session_summary;
use super::theme::{Theme, spinner_frame, status_text};
use crate::console::model::{Focus, Model};
use geobox_api::User;
use geobox_api::date_part;

const LABEL_WIDTH: usize = 11;

fn field<'a>(theme: Theme, label: &str, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("{label:<LABEL_WIDTH$}"),
        theme.label(),
    )];
    spans.extend(value);
    Line::from(spans)
}

fn or_dash(theme: Theme, value: Option<&str>) -> Vec<Span<'static>> {
    match value.filter(|value| !value.trim().is_empty()) {
        Some(value) => vec![Span::raw(shown(value).into_owned())],
        None => vec![Span::styled("—", theme.dim())],
    }
}

/// The plan with its colour, and when it expires.
fn plan_spans(model: &Model, theme: Theme, user: &User) -> Vec<Span<'static>> {
    let mut spans = match &user.plan {
        Some(plan) => vec![
            Span::styled("■ ", theme.plan(plan.plan_color.as_deref())),
            Span::styled(
                shown(&plan.label()).into_owned(),
                theme.plan(plan.plan_color.as_deref()),
            ),
        ],
        None => vec![Span::styled("no plan", theme.dim())],
    };
    if let Some(expiration) = user.expiration_date.as_deref() {
        let expired = is_expired(model.now, Some(expiration));
        let words = expiry_words(model.now, expiration).unwrap_or_default();
        let date = shown(date_part(expiration));
        let text = if expired {
            format!(" · ! {date} {words}")
        } else {
            format!(" · expires {date}, {words}")
        };
        spans.push(Span::styled(
            text,
            if expired {
                theme.expired()
            } else {
                ratatui::style::Style::new()
            },
        ));
    }
    spans
}

fn raw_value(value: &Value) -> String {
    match value {
        Value::String(text) => shown(text).into_owned(),
        Value::Null => "null".to_string(),
        other => shown(&other.to_string()).into_owned(),
    }
}

/// The detail lines of a user, for the pane and for tests.
pub fn detail_lines(model: &Model, theme: Theme, user: &User) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let name = user.full_name();
    let created = user
        .created_at
        .as_deref()
        .map(|created| format!(" · created {}", shown(date_part(created))))
        .unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled(
            shown(if name.is_empty() {
                &user.username
            } else {
                &name
            })
            .into_owned(),
            theme.strong(),
        ),
        Span::styled(format!("   id {}{created}", user.id), theme.dim()),
    ]));
    if model.live.is_gone(user.id) {
        lines.push(Line::from(Span::styled(
            "✗ no longer matches the view (as last shown; gone once you move)",
            theme.dim(),
        )));
    }
    lines.push(field(
        theme,
        "username",
        vec![Span::raw(shown(&user.username).into_owned())],
    ));
    lines.push(field(theme, "email", or_dash(theme, user.email.as_deref())));
    lines.push(field(
        theme,
        "mobile",
        or_dash(theme, user.mobile.as_deref()),
    ));
    lines.push(field(
        theme,
        "role",
        vec![Span::styled(
            shown(user.role.as_ref().map_or("—", |role| role.as_str())).into_owned(),
            theme.role(user.role.as_ref()),
        )],
    ));
    lines.push(field(
        theme,
        "status",
        vec![Span::styled(
            status_text(user.status.as_ref()),
            theme.status(user.status.as_ref()),
        )],
    ));
    lines.push(field(theme, "plan", plan_spans(model, theme, user)));
    let parent = match user.parent_id {
        Some(parent) => match model.users.find(parent) {
            Some((_, parent_user)) => format!("{} (id {parent})", shown(&parent_user.username)),
            None => format!("id {parent}"),
        },
        None => "—".to_string(),
    };
    lines.push(field(theme, "parent", vec![Span::raw(parent)]));
    if let Some(created) = user.created_at.as_deref() {
        lines.push(field(
            theme,
            "created",
            vec![Span::raw(format!(
                "{} ({})",
                shown(created),
                ago_text(model.now, Some(created))
            ))],
        ));
    }
    if !user.extra.is_empty() {
        lines.push(Line::styled("─ more from the server ─", theme.dim()));
        let width = user
            .extra
            .keys()
            .map(|key| shown(key).chars().count())
            .max()
            .unwrap_or(0)
            .max(LABEL_WIDTH - 1);
        for (key, value) in &user.extra {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<width$} ", shown(key)), theme.label()),
                Span::raw(raw_value(value)),
            ]));
        }
    }
    lines
}

pub fn render(model: &Model, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = model.focus == Focus::Detail;
    let user = model.users.selected_user();
    let title = match user {
        Some(user) => format!(" {} ", shown(&user.username)),
        None => " Detail ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title);
    let Some(user) = user else {
        let text = if model.users.first_answer_in() && model.users.known_rows() == 0 {
            Line::styled("No user selected.", theme.dim())
        } else if model.connection.is_offline() {
            Line::styled("✗ not loaded: the server does not answer", theme.dim())
        } else if model.users.error.is_some() && !model.users.row_pending(model.users.selected) {
            Line::styled("✗ not loaded: see the banner (R retries)", theme.dim())
        } else {
            Line::styled(
                format!("{} loading…", spinner_frame(model.spinner)),
                theme.spinner(),
            )
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    // Narrow screen with the table focused: a summary, sessions behind Tab.
    if !model.is_wide() && matches!(model.focus, Focus::Table | Focus::Activity) {
        let width = usize::from(area.width.saturating_sub(2));
        let mut first = vec![
            Span::raw(shown(user.email.as_deref().unwrap_or_default()).into_owned()),
            Span::styled(" · ", theme.dim()),
            Span::styled(
                shown(user.role.as_ref().map_or("—", |role| role.as_str())).into_owned(),
                theme.role(user.role.as_ref()),
            ),
            Span::styled(" · ", theme.dim()),
            Span::styled(
                status_text(user.status.as_ref()),
                theme.status(user.status.as_ref()),
            ),
            Span::styled(" · ", theme.dim()),
        ];
        first.extend(plan_spans(model, theme, user));
        let name = user.full_name();
        let lines = vec![
            Line::from(vec![
                Span::styled(
                    if name.is_empty() {
                        "—".to_string()
                    } else {
                        shown(&name).into_owned()
                    },
                    theme.strong(),
                ),
                Span::styled(format!("  id {}", user.id), theme.dim()),
            ]),
            Line::from(first),
            Line::from(vec![
                Span::raw(fit(&session_summary(model), width.saturating_sub(14))),
                Span::styled("  Tab to open", theme.dim()),
            ]),
        ];
        frame.render_widget(Paragraph::new(lines).block(block), area);
        return;
    }
    let lines = detail_lines(model, theme, user);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((model.detail_scroll, 0)),
        area,
    );
}
