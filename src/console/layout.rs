//! Where each part of the screen goes, from the model alone: `view` draws into these areas and
//! `update` uses them to know how many rows the table shows and what a click hit.

use ratatui::layout::{Constraint, Layout, Rect};

use super::model::{Focus, Model};

/// The areas of the main screen. An area of zero size is not shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub table: Rect,
    pub detail: Rect,
    pub sessions: Rect,
    pub activity: Rect,
    pub banner: Rect,
    pub footer: Rect,
}

impl Areas {
    /// User rows inside the table: minus two border lines and the header.
    pub fn table_rows(&self) -> u16 {
        self.table.height.saturating_sub(3)
    }

    /// The pane under a point of the screen, if any.
    pub fn pane_at(&self, x: u16, y: u16) -> Option<Focus> {
        let inside = |rect: Rect| {
            rect.width > 0 && x >= rect.x && x < rect.right() && y >= rect.y && y < rect.bottom()
        };
        if inside(self.table) {
            Some(Focus::Table)
        } else if inside(self.sessions) {
            Some(Focus::Sessions)
        } else if inside(self.detail) {
            Some(Focus::Detail)
        } else if inside(self.activity) {
            Some(Focus::Activity)
        } else {
            None
        }
    }
}

/// The height of the detail summary under the table on a narrow screen.
const NARROW_SUMMARY_HEIGHT: u16 = 5;

pub fn areas(model: &Model) -> Areas {
    let full = Rect::new(0, 0, model.width, model.height);
    let banner_height = banner_lines(model);
    let [title, body, banner, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(banner_height),
        Constraint::Length(1),
    ])
    .areas(full);
    let (body, activity) = if model.show_activity {
        let height = (body.height / 3).clamp(3, 10);
        let [body, activity] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(height)]).areas(body);
        (body, activity)
    } else {
        (body, Rect::default())
    };
    let mut areas = Areas {
        title,
        banner,
        footer,
        activity,
        ..Areas::default()
    };
    if model.is_wide() {
        let side = (model.width * 3 / 8).clamp(50, 72);
        let [table, side] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(side)]).areas(body);
        let [detail, sessions] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(side);
        areas.table = table;
        areas.detail = detail;
        areas.sessions = sessions;
    } else {
        let bottom = if matches!(model.focus, Focus::Table | Focus::Activity) {
            NARROW_SUMMARY_HEIGHT
        } else {
            body.height / 2
        };
        let [table, pane] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(bottom)]).areas(body);
        areas.table = table;
        if model.focus == Focus::Sessions {
            areas.sessions = pane;
        } else {
            areas.detail = pane;
        }
    }
    areas
}

/// The first user row on screen. The table keeps the selection in view when it shrinks (a
/// banner or the activity log appearing) without the model being told, so the title bar,
/// the table and marking all compute it here, the same way.
pub fn first_shown_row(model: &Model) -> u64 {
    let visible = u64::from(areas(model).table_rows()).max(1);
    let list = &model.users;
    if list.selected >= list.offset + visible {
        list.selected + 1 - visible
    } else {
        list.offset
    }
}

/// How many lines the banner takes: a long message wraps (up to a quarter of the screen)
/// rather than losing its end, which is where an error names what went wrong.
pub fn banner_lines(model: &Model) -> u16 {
    match (&model.progress, &model.banner) {
        (Some(_), _) => 1,
        (None, Some(banner)) => {
            // " ✗ " before the text and "  Esc dismiss " after it.
            let length = banner.text.chars().count() + 3 + 14;
            let lines = length.div_ceil(usize::from(model.width.max(1)));
            (lines as u16).clamp(1, (model.height / 4).max(1))
        }
        (None, None) => 0,
    }
}

/// A scroll position moved by `delta` rows, never below the top.
pub fn scrolled(position: u16, delta: i32) -> u16 {
    if delta < 0 {
        position.saturating_sub(delta.unsigned_abs() as u16)
    } else {
        position.saturating_add(delta as u16)
    }
}
