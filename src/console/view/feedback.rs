//! What the admin is told, drawn: the title bar, the banner, the footer (keys and the last
//! request) and the activity log. `update/feedback.rs` decides what they say.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::format::{fit, shown, thousands};
use super::theme::{Theme, spinner_frame};
use crate::console::env::{Env, demo_host};
use crate::console::keys;
use crate::console::layout;
use crate::console::model::{Focus, Mode, Model, Paused, paused};

fn width_of(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Where you are, who you are, the filters, the window of rows and the sort.
pub fn title_bar(model: &Model, env: &Env, theme: Theme, frame: &mut Frame, area: Rect) {
    let bar = theme.title_bar();
    let sep = Span::styled(" │ ", bar);
    let mut left = vec![Span::styled(" geobox-users", theme.app_name()), sep.clone()];
    match &env.demo_url {
        Some(url) => {
            left.push(Span::styled("DEMO", theme.demo()));
            if model.width >= 120 {
                left.push(Span::styled(format!(" {}", shown(&demo_host(url))), bar));
            }
        }
        // A profile: its name always (in its colour, ⚠ when protected), its host when wide.
        None if env.deployment != env.host_label => {
            let name = shown(&env.deployment).into_owned();
            if env.protected {
                left.push(Span::styled(format!("⚠ {name}"), theme.deployment_name()));
                if model.width >= 100 {
                    left.push(Span::styled(" PROTECTED", theme.deployment_name()));
                }
            } else {
                left.push(Span::styled(name, theme.deployment_name()));
            }
            if model.width >= 120 {
                left.push(Span::styled(format!(" {}", shown(&env.host_label)), bar));
            }
        }
        None => left.push(Span::styled(shown(&env.host_label).into_owned(), bar)),
    }
    left.push(sep.clone());
    match model.me.loaded() {
        Some(me) => {
            left.push(Span::styled(shown(&me.username).into_owned(), bar));
            if model.width >= 100
                && let Some(role) = &me.role
            {
                left.push(Span::styled(format!(" · {}", shown(role.as_str())), bar));
            }
        }
        None if model.me.is_loading() => {
            left.push(Span::styled(spinner_frame(model.spinner), bar));
        }
        None => left.push(Span::styled("?", bar)),
    }
    if model.read_only {
        left.push(sep.clone());
        left.push(Span::styled("READ-ONLY", theme.read_only()));
    }
    if model.journal.sharing.waiting > 0 {
        left.push(sep.clone());
        let waiting = model.journal.sharing.waiting;
        let text = if model.width >= 120 {
            format!("journal: {waiting} not shared yet")
        } else {
            format!("{waiting} not shared")
        };
        left.push(Span::styled(text, theme.offline()));
    }
    if let Some(secs) = model.connection.offline_secs(model.now) {
        left.push(sep.clone());
        left.push(Span::styled(
            format!("offline · {}", age(secs)),
            theme.offline(),
        ));
    }
    if let Some((text, live)) = live_state(model) {
        left.push(sep.clone());
        left.push(Span::styled(
            text,
            if live {
                theme.live()
            } else {
                theme.dim().patch(bar)
            },
        ));
    }

    let list = &model.users;
    let rows = u64::from(layout::areas(model).table_rows());
    let window = match list.total {
        Some(0) => "0 of 0".to_string(),
        Some(total) => {
            let shown = layout::first_shown_row(model);
            let first = (shown + 1).min(total);
            let last = (shown + rows).min(total);
            format!(
                "{}–{} of {}",
                thousands(first),
                thousands(last),
                thousands(total)
            )
        }
        None => format!("{} of …", thousands(list.known_rows())),
    };
    let sort = format!(
        "{}{}",
        if model.filters.sort.descending {
            "▼"
        } else {
            "▲"
        },
        model.filters.sort.label()
    );
    let mut right = vec![Span::styled(window, theme.strong().patch(bar))];
    if model.width >= 100 {
        right.push(Span::styled(format!(" {sort}"), bar));
    }
    right.push(Span::styled("   ? help ", bar));

    let chips: Vec<Span> = model
        .filters
        .chips()
        .into_iter()
        .map(|chip| {
            let text = if model.width < 100 {
                chip.split_once(": ")
                    .map_or(chip.clone(), |(_, value)| value.to_string())
            } else {
                chip
            };
            Span::styled(format!(" [{}]", fit(&text, 30)), theme.chip())
        })
        .collect();

    let total_width = usize::from(area.width);
    let mut spans = left;
    let fixed = width_of(&spans) + width_of(&right);
    let mut used = fixed;
    spans.push(Span::styled("  ", bar));
    used += 2;
    for chip in chips {
        if used + chip.width() + 1 > total_width {
            spans.push(Span::styled(" …", theme.chip()));
            used += 2;
            break;
        }
        used += chip.width();
        spans.push(chip);
    }
    // Chosen from the picker among configured deployments, the demo needs no way out.
    if env.demo_url.is_some() && env.deployments.len() <= 1 {
        // The longest way of saying how to leave the demo that fits.
        let hint = [
            "  (set GEOBOX_HOST + credentials for a real Geobox)",
            "  (real Geobox: set GEOBOX_HOST)",
            "  (GEOBOX_HOST for real)",
        ]
        .into_iter()
        .find(|hint| used + hint.chars().count() <= total_width);
        if let Some(hint) = hint {
            used += hint.chars().count();
            spans.push(Span::styled(hint, theme.dim().patch(bar)));
        }
    }
    let pad = total_width.saturating_sub(used);
    spans.push(Span::styled(" ".repeat(pad), bar));
    spans.extend(right);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

/// Whether the table is live (and how often it refreshes), or else when it was last read;
/// `true` while live. Nothing while offline (the offline mark says it) or when live refresh
/// was never on.
fn live_state(model: &Model) -> Option<(String, bool)> {
    let live = &model.live;
    let wide = model.width >= 100;
    let as_of = live.read_at.map(|at| {
        if wide {
            format!("as of {} UTC", at.format("%H:%M:%S"))
        } else {
            at.format("%H:%M:%S").to_string()
        }
    });
    let every = live.every.as_secs_f64();
    match paused(model) {
        None if live.failures > 0 => Some((format!("⟳ live · ✗ failed, every {every}s+"), true)),
        None if wide => Some((format!("⟳ live {every}s"), true)),
        None => Some((format!("⟳ {every}s"), true)),
        Some(Paused::Offline) => None,
        Some(Paused::Off) => as_of.map(|as_of| {
            let text = if wide {
                format!("live off · {as_of}")
            } else {
                format!("⏸ {as_of}")
            };
            (text, false)
        }),
        Some(Paused::Dialog | Paused::Unfocused) => {
            let text = match (as_of, wide) {
                (Some(as_of), true) => format!("⏸ paused · {as_of}"),
                (Some(as_of), false) => format!("⏸ {as_of}"),
                (None, _) => "⏸ paused".to_string(),
            };
            Some((text, false))
        }
    }
}

/// The one-line banner: the last error or result, or the progress of a bulk action.
pub fn banner(model: &Model, theme: Theme, frame: &mut Frame, area: Rect) {
    let (text, style) = match (&model.progress, &model.banner) {
        (Some(progress), _) => (
            format!(
                " {} {}: {}/{}{}",
                spinner_frame(model.spinner),
                shown(&progress.what),
                progress.done,
                progress.total,
                if progress.failures.is_empty() {
                    String::new()
                } else {
                    format!(", {} failed", progress.failures.len())
                }
            ),
            theme.banner(false),
        ),
        (None, Some(banner)) => {
            let mark = match (banner.error, banner.note) {
                (true, _) => "✗",
                (false, true) => "·",
                (false, false) => "✓",
            };
            (
                format!(" {mark} {}", shown(&banner.text)),
                theme.banner(banner.error),
            )
        }
        (None, None) => return,
    };
    // Esc dismisses the banner only on the main screen; in a dialog or form Esc means cancel.
    let dismiss = if matches!(model.mode, Mode::Normal) {
        "  Esc dismiss"
    } else {
        ""
    };
    let line = Line::from(vec![
        Span::styled(text, style),
        Span::styled(dismiss, theme.dim().patch(style)),
    ]);
    frame.render_widget(
        Paragraph::new(line)
            .style(style)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        area,
    );
}

/// The keys that work here, and on the right the last request or a spinner.
pub fn footer(model: &Model, env: &Env, theme: Theme, frame: &mut Frame, area: Rect) {
    let right = if model.is_busy() {
        format!("{} loading… ", spinner_frame(model.spinner))
    } else if let Some(last) = &model.last_request {
        format!(
            "{} {} · {} ms ",
            last.label,
            last.outcome,
            last.took.as_millis()
        )
    } else {
        String::new()
    };
    let right_style = if model.is_busy() {
        theme.spinner()
    } else {
        theme.dim()
    };
    let right_width = right.chars().count();
    let room = usize::from(area.width).saturating_sub(right_width + 1);

    let show_right = if let Mode::Search(input) = &model.mode {
        let prompt = " / ";
        let hint = "  ⏎ keep  Esc clear";
        let field_width = room
            .saturating_sub(prompt.len() + hint.chars().count())
            .max(10);
        let scroll = input.visual_scroll(field_width);
        let visible: String = input
            .value()
            .chars()
            .skip(scroll)
            .take(field_width)
            .collect();
        let visible = shown(&visible);
        let line = Line::from(vec![
            Span::styled(prompt, theme.key_hint()),
            Span::styled(format!("{visible:<field_width$}"), theme.input()),
            Span::styled(hint, theme.dim()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        let cursor_x =
            area.x + prompt.len() as u16 + (input.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position(Position::new(
            cursor_x.min(area.right().saturating_sub(1)),
            area.y,
        ));
        true
    } else {
        // The keys come first: the request status gets only the room they leave.
        let (spans, used) = hint_spans(model, env, theme, usize::from(area.width));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        right_width < usize::from(area.width).saturating_sub(used)
    };
    if !show_right {
        return;
    }
    let right_area = Rect {
        x: area.right().saturating_sub(right_width as u16),
        width: (right_width as u16).min(area.width),
        ..area
    };
    frame.render_widget(Paragraph::new(Span::styled(right, right_style)), right_area);
}

/// The count of marked users, then as many key hints as fit in `room`, in keymap order, with
/// `? help` always kept; and the width they take.
fn hint_spans(model: &Model, env: &Env, theme: Theme, room: usize) -> (Vec<Span<'static>>, usize) {
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    if !model.users.marked.is_empty() && matches!(model.mode, Mode::Normal) {
        let count = format!("{} marked  ", model.users.marked.len());
        used += count.chars().count();
        spans.push(Span::styled(count, theme.marked()));
    }
    let mut hints = keys::footer_hints(model, &env.keymap);
    let help = hints
        .iter()
        .position(|hint| *hint == "? help")
        .map(|index| hints.remove(index));
    let reserved = help.map_or(0, |hint| hint.chars().count() + 2);
    let mut shown: Vec<&str> = Vec::new();
    for hint in hints {
        let width = hint.chars().count() + 2;
        if used + width + reserved <= room {
            used += width;
            shown.push(hint);
        }
    }
    if let Some(help) = help
        && used + reserved <= room
    {
        used += reserved;
        shown.push(help);
    }
    for hint in shown {
        let (keys, words) = hint.split_once(' ').unwrap_or((hint, ""));
        spans.push(Span::styled(keys.to_string(), theme.key_hint()));
        spans.push(Span::raw(format!(" {words}  ")));
    }
    (spans, used)
}

/// The activity log pane (`A`): what this console did, newest last.
pub fn activity_log(model: &Model, theme: Theme, frame: &mut Frame, area: Rect) {
    let focused = model.focus == Focus::Activity;
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(format!(
            " Activity ({}) · j/k scroll · A hide ",
            model.activity.len()
        ));
    let inner = usize::from(block.inner(area).height);
    // The newest entries at the bottom, unless scrolled up; entries wrap rather than lose
    // their end, so a screenful may show fewer entries than lines.
    let end = model
        .activity
        .len()
        .saturating_sub(usize::from(model.activity_scroll));
    let skip = end.saturating_sub(inner);
    let lines: Vec<Line> = if model.activity.is_empty() {
        vec![Line::styled("Nothing done yet.", theme.dim())]
    } else {
        model.activity[skip..end]
            .iter()
            .map(|entry| {
                let (mark, style) = if entry.ok {
                    ("✓", theme.ok())
                } else {
                    ("✗", theme.error())
                };
                Line::from(vec![
                    Span::styled(entry.at.format("%H:%M:%S ").to_string(), theme.dim()),
                    Span::styled(format!("{mark} "), style),
                    Span::styled(shown(&entry.text).into_owned(), Style::new()),
                ])
            })
            .collect()
    };
    // Lines past the pane's height once wrapped: scrolled off the top, so the newest shows.
    let room = usize::from(area.width.saturating_sub(2)).max(1);
    let wrapped_height: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(room).max(1))
        .sum();
    let overflow = wrapped_height.saturating_sub(inner);
    let wrapped = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(wrapped.block(block).scroll((overflow as u16, 0)), area);
}

/// A duration in words short enough for the title bar: `12 s`, `3 min`, `2 h`.
fn age(secs: i64) -> String {
    if secs < 120 {
        format!("{secs} s")
    } else if secs < 7200 {
        format!("{} min", secs / 60)
    } else {
        format!("{} h", secs / 3600)
    }
}
