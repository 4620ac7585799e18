//! Deep pages read from the other end: past the middle of a known count, a page is asked for
//! in the reversed order with a small skip, and its rows are flipped on arrival. Any Geobox
//! then answers `G` and pages near the end as fast as the first pages, since a database walks
//! an index from either end but must step over every skipped row.

use crate::api::{User, UserQuery};
use crate::console::cmd::Cmd;
use crate::console::model::{Filters, Model, Sort};
use crate::console::msg::RequestId;

/// The query for one page, and how many rows it reads backwards (`None`: read forwards).
pub(super) fn page_query(model: &Model, page: u64) -> (UserQuery, Option<u64>) {
    let size = model.users.page_size;
    let skip = page * size;
    match model.users.total {
        Some(total) if skip > total / 2 && skip < total => {
            let rows = size.min(total - skip);
            let backwards = Filters {
                sort: Sort {
                    descending: !model.filters.sort.descending,
                    ..model.filters.sort
                },
                ..model.filters.clone()
            };
            (backwards.query(total - skip - rows, rows), Some(rows))
        }
        _ => (model.filters.query(skip, size), None),
    }
}

/// Puts a page read backwards in the order of the list. A page read backwards that came back
/// short means the server caps `limit` (the rows are then the end of the page, not its
/// start): pages start over on the server's size and `false` tells the caller to stop.
pub(super) fn arrange(
    model: &mut Model,
    request: RequestId,
    users: &mut [User],
    cmds: &mut Vec<Cmd>,
) -> bool {
    let Some(asked) = model.users.read_backwards.remove(&request) else {
        return true;
    };
    users.reverse();
    let got = users.len() as u64;
    if got == 0 || got >= asked {
        return true;
    }
    model.users.page_size = got;
    model.users.pages.clear();
    model.users.pending.clear();
    model.users.read_backwards.clear();
    super::list::keep_selection_visible(model);
    super::list::ensure_rows(model, cmds);
    false
}
