//! The admin's own colours: `[theme]` in the config file sets a colour by role, the name of a
//! style of the theme. A role not set keeps the theme's colour.

use std::str::FromStr;

use ratatui::style::Color;

/// Every style a colour can be set for, with its name in `[theme]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    TitleBar,
    Demo,
    Chip,
    ReadOnly,
    Border,
    BorderFocused,
    Header,
    Selected,
    Dim,
    Label,
    Marked,
    Expired,
    Error,
    Ok,
    BannerError,
    BannerInfo,
    KeyHint,
    Spinner,
    Input,
    Active,
    Pending,
    New,
    Disabled,
    SystemAdmin,
    AccountAdmin,
    Publisher,
    Editor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 28] = [
        Role::TitleBar,
        Role::Demo,
        Role::Chip,
        Role::ReadOnly,
        Role::Border,
        Role::BorderFocused,
        Role::Header,
        Role::Selected,
        Role::Dim,
        Role::Label,
        Role::Marked,
        Role::Expired,
        Role::Error,
        Role::Ok,
        Role::BannerError,
        Role::BannerInfo,
        Role::KeyHint,
        Role::Spinner,
        Role::Input,
        Role::Active,
        Role::Pending,
        Role::New,
        Role::Disabled,
        Role::SystemAdmin,
        Role::AccountAdmin,
        Role::Publisher,
        Role::Editor,
        Role::Viewer,
    ];

    /// Its key in `[theme]`.
    pub fn name(self) -> &'static str {
        match self {
            Role::TitleBar => "title_bar",
            Role::Demo => "demo",
            Role::Chip => "chip",
            Role::ReadOnly => "read_only",
            Role::Border => "border",
            Role::BorderFocused => "border_focused",
            Role::Header => "header",
            Role::Selected => "selected",
            Role::Dim => "dim",
            Role::Label => "label",
            Role::Marked => "marked",
            Role::Expired => "expired",
            Role::Error => "error",
            Role::Ok => "ok",
            Role::BannerError => "banner_error",
            Role::BannerInfo => "banner_info",
            Role::KeyHint => "key_hint",
            Role::Spinner => "spinner",
            Role::Input => "input",
            Role::Active => "active",
            Role::Pending => "pending",
            Role::New => "new",
            Role::Disabled => "disabled",
            Role::SystemAdmin => "system_admin",
            Role::AccountAdmin => "account_admin",
            Role::Publisher => "publisher",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name() == name)
    }
}

/// The colours set by the admin, by role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Palette {
    colors: [Option<Color>; Role::ALL.len()],
}

impl Palette {
    pub fn get(&self, role: Role) -> Option<Color> {
        self.colors[role as usize]
    }

    pub fn set(&mut self, role: Role, color: Color) {
        self.colors[role as usize] = Some(color);
    }
}

/// A colour in `[theme]` that is no name, index or `#rrggbb`: the text as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the colour \"{0}\"")]
pub struct UnreadableColor(pub String);

/// Reads a colour: a name (`red`, `lightblue`, `darkgray`), an index (`208`) or `#rrggbb`.
pub fn parse_color(text: &str) -> Result<Color, UnreadableColor> {
    Color::from_str(text.trim()).map_err(|_| UnreadableColor(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_in_declaration_order_so_they_index_the_palette() {
        for (index, role) in Role::ALL.into_iter().enumerate() {
            assert_eq!(role as usize, index);
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
    }

    #[test]
    fn colours_by_name_index_or_hex() {
        assert_eq!(parse_color("red"), Ok(Color::Red));
        assert_eq!(parse_color("#1a2b3c"), Ok(Color::Rgb(0x1a, 0x2b, 0x3c)));
        assert_eq!(parse_color("208"), Ok(Color::Indexed(208)));
        assert!(parse_color("#12").is_err());
        assert!(parse_color("blurple").is_err());
    }
}
