//! Deep pages read from the other end: past the middle of a known count, a page is asked for
//! in the reversed order with a small skip, and its rows are flipped on arrival. Any Geobox
//! then answers `G` and pages near the end as fast as the first pages, since a database walks
//! an index from either end but must step over every skipped row.

use crate::console::model::{Filters, Model, Sort, UserList};
use crate::console::msg::RequestId;
use geobox_api::{User, UserQuery};

/// The query for one page, and how many rows it reads backwards (`None`: read forwards).
pub(super) fn page_query(model: &Model, page: u64) -> (UserQuery, Option<u64>) {
    let size = model.users.page_size;
    rows_query(model, page * size, size)
}

/// The query for `limit` rows from row `skip` (a page, or the rows a live refresh reads), and
/// how many rows it reads backwards (`None`: read forwards).
pub(super) fn rows_query(model: &Model, skip: u64, limit: u64) -> (UserQuery, Option<u64>) {
    match model.users.total {
        Some(total) if skip > total / 2 && skip < total => {
            let rows = limit.min(total - skip);
            let backwards = Filters {
                sort: Sort {
                    descending: !model.filters.sort.descending,
                    ..model.filters.sort
                },
                ..model.filters.clone()
            };
            (backwards.query(total - skip - rows, rows), Some(rows))
        }
        _ => (model.filters.query(skip, limit), None),
    }
}

/// Puts a page read backwards in the order of the list. A page read backwards that came back
/// short means the server caps `limit` (the rows are then the end of the page, not its
/// start): the list then pages by the server's size, every page to be asked for again, and
/// `false` says so.
pub(super) fn arrange(list: &mut UserList, request: RequestId, users: &mut [User]) -> bool {
    let Some(asked) = list.read_backwards.remove(&request) else {
        return true;
    };
    users.reverse();
    let got = users.len() as u64;
    if got == 0 || got >= asked {
        return true;
    }
    list.page_size = got;
    list.pages.clear();
    list.pending.clear();
    list.read_backwards.clear();
    false
}
