//! The help overlay: opening, closing and scrolling it.

use crate::console::layout::scrolled;
use crate::console::model::{Mode, Model};

pub(super) fn toggle_help(model: &mut Model) {
    model.help_scroll = 0;
    model.mode = match model.mode {
        Mode::Help => Mode::Normal,
        _ => Mode::Help,
    };
}

pub(super) fn scroll_help(model: &mut Model, delta: i32) {
    model.help_scroll = scrolled(model.help_scroll, delta);
}
