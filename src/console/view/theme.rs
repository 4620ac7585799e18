//! Every style of the console. Each colour has a second cue (a symbol, bold, reverse video or
//! words) so the console reads the same with `NO_COLOR`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::console::palette::{Palette, Role};
use geobox_api::{UserRole, UserStatus};

/// The styles, with or without colour; the admin's `[theme]` colours replace the defaults,
/// and a deployment's own colour (`accent`) the title bar's and the borders'.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
    pub palette: Palette,
    pub accent: Option<Color>,
}

impl Theme {
    /// The role's colour: the admin's, else `default`.
    fn pick(self, role: Role, default: Color) -> Color {
        self.palette.get(role).unwrap_or(default)
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    fn role_fg(self, role: Role, default: Color) -> Style {
        self.fg(self.pick(role, default))
    }

    pub fn title_bar(self) -> Style {
        if self.color {
            let background = self
                .accent
                .unwrap_or_else(|| self.pick(Role::TitleBar, Color::Rgb(30, 40, 60)));
            Style::new().fg(Color::White).bg(background)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn app_name(self) -> Style {
        self.title_bar().add_modifier(Modifier::BOLD)
    }

    pub fn demo(self) -> Style {
        self.title_bar()
            .patch(self.role_fg(Role::Demo, Color::Yellow))
            .add_modifier(Modifier::BOLD)
    }

    pub fn chip(self) -> Style {
        self.title_bar()
            .patch(self.role_fg(Role::Chip, Color::Cyan))
    }

    /// The title bar's `offline` mark: the server does not answer.
    pub fn offline(self) -> Style {
        self.title_bar()
            .patch(self.fg(Color::LightRed))
            .add_modifier(Modifier::BOLD)
    }

    pub fn read_only(self) -> Style {
        self.title_bar()
            .patch(self.role_fg(Role::ReadOnly, Color::LightRed))
            .add_modifier(Modifier::BOLD)
    }

    pub fn border(self, focused: bool) -> Style {
        if let (Some(accent), true) = (self.accent, self.color) {
            let style = Style::new().fg(accent);
            return if focused {
                style.add_modifier(Modifier::BOLD)
            } else {
                style
            };
        }
        if focused {
            self.role_fg(Role::BorderFocused, Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            self.role_fg(Role::Border, Color::DarkGray)
        }
    }

    pub fn header(self) -> Style {
        self.role_fg(Role::Header, Color::Gray)
            .add_modifier(Modifier::BOLD)
    }

    pub fn selected_row(self) -> Style {
        // Reverse video with a colour as foreground makes that colour the bar's background.
        match self.palette.get(Role::Selected) {
            Some(color) if self.color => Style::new().fg(color).add_modifier(Modifier::REVERSED),
            _ => Style::new().add_modifier(Modifier::REVERSED),
        }
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(self.pick(Role::Dim, Color::DarkGray))
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn label(self) -> Style {
        self.role_fg(Role::Label, Color::Gray)
    }

    pub fn strong(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// A cell a live refresh found changed: a background with colour; bold and underlined
    /// either way, and the row's gutter says `~`.
    pub fn changed(self) -> Style {
        let cue = Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        if self.color {
            cue.fg(Color::Black).bg(Color::Yellow)
        } else {
            cue
        }
    }

    /// A user who newly matches the view: bold, green with colour (the gutter says `+`).
    pub fn new_row(self) -> Style {
        self.fg(Color::LightGreen).add_modifier(Modifier::BOLD)
    }

    /// A user who no longer matches the view, kept in place until the selection moves: dim
    /// and struck through (the gutter says `✗`).
    pub fn gone_row(self) -> Style {
        self.dim().add_modifier(Modifier::CROSSED_OUT)
    }

    /// A protected deployment's mark (`⚠ protected`, its name in the title bar): in its own
    /// colour, else red; bold either way, and the words say it without colour.
    pub fn protected(self, color: Option<Color>) -> Style {
        match color {
            Some(color) if self.color => Style::new().fg(color),
            _ => self.role_fg(Role::Error, Color::LightRed),
        }
        .add_modifier(Modifier::BOLD)
    }

    /// The deployment's name in the title bar: bold, on the bar (in the deployment's colour).
    pub fn deployment_name(self) -> Style {
        self.title_bar().add_modifier(Modifier::BOLD)
    }

    /// The title bar's `⟳ live` while the table refreshes by itself.
    pub fn live(self) -> Style {
        self.title_bar()
            .patch(self.fg(Color::LightGreen))
            .add_modifier(Modifier::BOLD)
    }

    /// A whole marked row: a background with colour, bold without (the gutter's `*` stays).
    pub fn marked_row(self) -> Style {
        if self.color {
            Style::new().bg(Color::Rgb(60, 30, 70))
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn marked(self) -> Style {
        self.role_fg(Role::Marked, Color::Magenta)
            .add_modifier(Modifier::BOLD)
    }

    pub fn expired(self) -> Style {
        self.role_fg(Role::Expired, Color::Red)
            .add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.role_fg(Role::Error, Color::Red)
    }

    pub fn ok(self) -> Style {
        self.role_fg(Role::Ok, Color::Green)
    }

    pub fn banner(self, error: bool) -> Style {
        match (self.color, error) {
            (true, true) => Style::new()
                .fg(Color::White)
                .bg(self.pick(Role::BannerError, Color::Red)),
            (true, false) => Style::new()
                .fg(Color::Black)
                .bg(self.pick(Role::BannerInfo, Color::Green)),
            (false, true) => Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            (false, false) => Style::new().add_modifier(Modifier::BOLD),
        }
    }

    pub fn key_hint(self) -> Style {
        self.role_fg(Role::KeyHint, Color::Cyan)
    }

    pub fn spinner(self) -> Style {
        self.role_fg(Role::Spinner, Color::Yellow)
    }

    pub fn input(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(self.pick(Role::Input, Color::Rgb(40, 40, 40)))
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn status(self, status: Option<&UserStatus>) -> Style {
        match status {
            Some(UserStatus::Active) => self.role_fg(Role::Active, Color::Green),
            Some(UserStatus::Pending) => self.role_fg(Role::Pending, Color::Yellow),
            Some(UserStatus::New) => self.role_fg(Role::New, Color::Cyan),
            Some(UserStatus::Disabled) => self
                .role_fg(Role::Disabled, Color::Red)
                .add_modifier(Modifier::DIM),
            _ => self.dim(),
        }
    }

    pub fn role(self, role: Option<&UserRole>) -> Style {
        match role {
            Some(UserRole::SystemAdmin) => self
                .role_fg(Role::SystemAdmin, Color::LightMagenta)
                .add_modifier(Modifier::BOLD),
            Some(UserRole::AccountAdmin) => self.role_fg(Role::AccountAdmin, Color::Magenta),
            Some(UserRole::Publisher) => self.role_fg(Role::Publisher, Color::LightBlue),
            Some(UserRole::Editor) => self.role_fg(Role::Editor, Color::Blue),
            Some(UserRole::Viewer) => self.role_fg(Role::Viewer, Color::Gray),
            _ => self.dim(),
        }
    }

    /// A plan's own colour (`#rrggbb`), when it has a readable one.
    pub fn plan(self, plan_color: Option<&str>) -> Style {
        match plan_color.and_then(parse_hex) {
            Some(color) if self.color => Style::new().fg(color),
            _ => Style::new(),
        }
    }
}

/// The symbol that says the status without colour.
pub fn status_symbol(status: Option<&UserStatus>) -> &'static str {
    match status {
        Some(UserStatus::Active) => "●",
        Some(UserStatus::Pending) => "◐",
        Some(UserStatus::New) => "◌",
        Some(UserStatus::Disabled) => "○",
        _ => "?",
    }
}

/// The status as a short cell: symbol and name.
pub fn status_text(status: Option<&UserStatus>) -> String {
    match status {
        Some(status) => format!(
            "{} {}",
            status_symbol(Some(status)),
            super::format::shown(status.as_str())
        ),
        None => "? —".to_string(),
    }
}

fn parse_hex(text: &str) -> Option<Color> {
    let hex = text.trim().strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let channel = |range: std::ops::Range<usize>| u8::from_str_radix(&hex[range], 16).ok();
    Some(Color::Rgb(channel(0..2)?, channel(2..4)?, channel(4..6)?))
}

/// Keys and what they do, in one line: `⏎ set   Esc cancel`.
pub fn hint_line(theme: Theme, hints: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (keys, words) in hints {
        spans.push(Span::styled(keys.to_string(), theme.key_hint()));
        spans.push(Span::raw(format!(" {words}   ")));
    }
    Line::from(spans)
}

/// The spinner's frames.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn spinner_frame(frame: usize) -> &'static str {
    SPINNER[frame % SPINNER.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_colours_parse() {
        assert_eq!(parse_hex("#1a2B3c"), Some(Color::Rgb(0x1a, 0x2b, 0x3c)));
        assert_eq!(parse_hex("1a2b3c"), None);
        assert_eq!(parse_hex("#ééé"), None);
    }
}
