//! What the live table keeps about the rows between refreshes, and how it lets go of it: when
//! the list starts over or is read again, and when the selection moves off users who no
//! longer match. The list calls these; the refreshing itself is in `live`.

use crate::console::cmd::Cmd;
use crate::console::model::{Model, later};

/// Forgets what the live table knows about the rows (new filters, a reload): the requests
/// under way are stopped, their answers would be about other rows.
pub(super) fn forget(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if let Some(round) = model.live.round.take() {
        // A sessions answer still out is the sessions pane's to take or drop as stale.
        for request in [round.rows, round.count].into_iter().flatten() {
            cmds.push(Cmd::CancelRequest { request });
        }
    }
    if model.live.on && model.live.next_at.is_none() {
        model.live.next_at = Some(later(model.now, model.live.every));
    }
    model.live.marks.clear();
    model.live.gone.clear();
    model.users.fresh = None;
}

/// The selection is about to move to `target` (a row as the screen shows it now): users kept
/// in place after they stopped matching leave, and the rows, the selection and the scroll
/// are renumbered so that the same users stay where the admin sees them. Returns `target`
/// renumbered (a row that was gone lands on the user after it).
pub(super) fn settle_gone(model: &mut Model, target: u64) -> u64 {
    if model.live.gone.is_empty() {
        return target;
    }
    let gone = std::mem::take(&mut model.live.gone);
    let Some(fresh) = &mut model.users.fresh else {
        return target;
    };
    let first = fresh.first;
    let removed_rows: Vec<u64> = fresh
        .users
        .iter()
        .enumerate()
        .filter(|(_, user)| gone.contains(&user.id))
        .map(|(index, _)| first + index as u64)
        .collect();
    fresh.users.retain(|user| !gone.contains(&user.id));
    let renumber = |row: u64| row - removed_rows.iter().filter(|gone| **gone < row).count() as u64;
    let list = &mut model.users;
    list.selected = renumber(list.selected);
    list.offset = renumber(list.offset);
    for id in gone {
        model.live.marks.remove(&id);
    }
    renumber(target)
}
