//! Marking users for a bulk action: one at a time, a range, or every user on screen.

use super::list::{table_rows, toggle_mark};
use crate::console::cmd::Cmd;
use crate::console::layout;
use crate::console::model::Model;

/// Space: marks or unmarks the selected user; a marked one becomes where a range starts.
pub(super) fn toggle(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let row = model.users.selected;
    let was_marked = model
        .users
        .selected_user()
        .is_some_and(|user| model.users.marked.contains(&user.id));
    toggle_mark(model, cmds);
    model.mark_anchor = (!was_marked).then_some(row);
}

/// `v`: marks every loaded user from the last one marked to the selected one (just the
/// selected one when nothing was marked yet), as lazygit's range select does.
pub(super) fn mark_range(model: &mut Model) {
    let here = model.users.selected;
    let from = model.mark_anchor.unwrap_or(here);
    let (start, end) = (from.min(here), from.max(here));
    let ids: Vec<i64> = (start..=end)
        .filter_map(|row| model.users.user_at(row).map(|user| user.id))
        .collect();
    let count = ids.len();
    model.users.marked.extend(ids);
    model.mark_anchor = Some(here);
    model.inform(format!(
        "Marked {count} in a range · {} marked",
        model.users.marked.len()
    ));
}

/// Ctrl-A: marks every user on screen.
pub(super) fn mark_all_visible(model: &mut Model) {
    let first = layout::first_shown_row(model);
    let last = first + table_rows(model);
    let ids: Vec<i64> = (first..last)
        .filter_map(|row| model.users.user_at(row).map(|user| user.id))
        .collect();
    model.users.marked.extend(ids);
    model.inform(format!(
        "Marked every user on screen · {} marked",
        model.users.marked.len()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::fixtures::loaded_model;

    #[test]
    fn a_range_marks_every_row_between_the_last_mark_and_the_selection() {
        let mut model = loaded_model(80, 24, 500);
        let mut cmds = Vec::new();
        model.users.selected = 2;
        toggle(&mut model, &mut cmds);
        model.users.selected = 6;
        mark_range(&mut model);
        assert_eq!(model.users.marked.len(), 5, "rows 2 to 6");
    }

    #[test]
    fn mark_all_marks_the_rows_on_screen_only() {
        let mut model = loaded_model(80, 24, 500);
        let on_screen = table_rows(&model) as usize;
        mark_all_visible(&mut model);
        assert_eq!(model.users.marked.len(), on_screen);
    }
}
