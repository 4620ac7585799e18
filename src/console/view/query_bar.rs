//! The query bar (`:`): the request behind the table, the count and the last latency, and
//! the text last copied, whole, so it can be selected where the clipboard does not reach.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::dialog_area;
use super::format::{shown, thousands};
use super::theme::Theme;
use crate::console::env::Env;
use crate::console::model::{Model, current_query, request_url};

/// Cuts `text` into lines of at most `width` columns, anywhere: a URL has no spaces to break
/// at, and every character must stay on screen.
fn hard_wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            lines.push(String::new());
            used = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.push(c);
        }
        used += w;
    }
    lines
}

fn summary(model: &Model) -> String {
    let query = current_query(model);
    let count = match model.users.total {
        Some(total) => format!("{} users match", thousands(total)),
        None => "count not known yet".to_string(),
    };
    let latency = match model.query_bar.page_latency {
        Some(took) => format!("last page took {} ms", took.as_millis()),
        None => "no page answered yet".to_string(),
    };
    format!(
        "{count} · this page: skip {}, limit {} · {latency}",
        query.skip, query.limit
    )
}

pub fn render(model: &Model, env: &Env, theme: Theme, frame: &mut Frame) {
    let width = frame.area().width.saturating_sub(4).min(120);
    let inner = usize::from(width.saturating_sub(2));
    let url = request_url(model, &env.api_base).map_or_else(
        || "(the server's address is unknown)".to_string(),
        |url| url.to_string(),
    );
    let mut lines: Vec<Line> = hard_wrap(&format!("GET {url}"), inner)
        .into_iter()
        .map(|line| Line::styled(line, theme.strong()))
        .collect();
    lines.extend(
        hard_wrap(&summary(model), inner)
            .into_iter()
            .map(|line| Line::styled(line, theme.label())),
    );
    if let Some(copied) = &model.query_bar.copied {
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            format!("Copied {}:", copied.what),
            theme.ok(),
        )));
        lines.extend(
            hard_wrap(&shown(&copied.text), inner)
                .into_iter()
                .map(Line::raw),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "y copy as a geobox-users command · Y copy as curl · Esc close",
        theme.key_hint(),
    ));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let area = dialog_area(frame, width, height);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" The request behind the table ");
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::hard_wrap;

    #[test]
    fn long_words_are_cut_and_nothing_is_lost() {
        assert_eq!(hard_wrap("abcdefg", 3), ["abc", "def", "g"]);
        assert_eq!(hard_wrap("", 3), [""]);
    }
}
