//! The users of the current filters, a window of pages at a time, and the selected user's
//! sessions.

use std::collections::{BTreeMap, BTreeSet};

use super::loadable::Loadable;
use crate::console::msg::RequestId;
use geobox_api::{Session, User};

/// Users asked for per request (less when a server answers fewer: see `UserList::page_size`).
pub const PAGE_SIZE: u64 = 100;
/// Pages kept in memory at most: memory stays flat however many users the server has.
pub const MAX_PAGES: usize = 8;
/// The next page is asked for once the selection is this close to the end of what is loaded.
pub const PREFETCH_MARGIN: u64 = 40;
/// The users of the current filters: a window of pages around the selection, plus the count.
#[derive(Clone, Debug)]
pub struct UserList {
    /// Users per page: [`PAGE_SIZE`], or what the server gives when it caps `limit` lower.
    pub page_size: u64,
    /// Loaded pages by page number; at most [`MAX_PAGES`].
    pub pages: BTreeMap<u64, Vec<User>>,
    /// Pages asked for and not yet answered, with the request that will answer them.
    pub pending: BTreeMap<u64, RequestId>,
    /// Page requests that read from the end of the list, with the rows each asked for.
    pub read_backwards: BTreeMap<RequestId, u64>,
    /// How many users match, once known.
    pub total: Option<u64>,
    pub count_request: Option<RequestId>,
    /// The selected row (absolute, across all pages).
    pub selected: u64,
    /// The first row on screen.
    pub offset: u64,
    /// Jump to the last row once the count arrives (`G` pressed before it did).
    pub jump_to_end: bool,
    /// Why the last page could not be loaded.
    pub error: Option<String>,
    /// Users waiting for a quick edit to be confirmed, shown as pending.
    pub in_flight_edits: BTreeSet<i64>,
    /// Users marked for a bulk action.
    pub marked: BTreeSet<i64>,
    /// The rows around the screen as the last live refresh read them, shown over the pages
    /// (they are newer), with users who no longer match kept in place until the selection
    /// moves.
    pub fresh: Option<FreshRows>,
}

/// Rows read by a live refresh: `users[0]` is on row `first`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FreshRows {
    pub first: u64,
    pub users: Vec<User>,
}

impl FreshRows {
    /// The row after the last one.
    pub fn end(&self) -> u64 {
        self.first + self.users.len() as u64
    }

    fn get(&self, row: u64) -> Option<&User> {
        row.checked_sub(self.first)
            .and_then(|index| self.users.get(usize::try_from(index).ok()?))
    }
}

impl Default for UserList {
    fn default() -> Self {
        UserList {
            page_size: PAGE_SIZE,
            pages: BTreeMap::new(),
            pending: BTreeMap::new(),
            read_backwards: BTreeMap::new(),
            total: None,
            count_request: None,
            selected: 0,
            offset: 0,
            jump_to_end: false,
            error: None,
            in_flight_edits: BTreeSet::new(),
            marked: BTreeSet::new(),
            fresh: None,
        }
    }
}

impl UserList {
    /// The user on an absolute row, when its page is loaded.
    pub fn user_at(&self, row: u64) -> Option<&User> {
        if let Some(fresh) = &self.fresh
            && (fresh.first..fresh.end()).contains(&row)
        {
            return fresh.get(row);
        }
        self.pages
            .get(&(row / self.page_size))
            .and_then(|page| page.get((row % self.page_size) as usize))
    }

    /// Whether the page holding an absolute row is asked for and not yet answered.
    pub fn row_pending(&self, row: u64) -> bool {
        self.pending.contains_key(&(row / self.page_size))
    }

    pub fn selected_user(&self) -> Option<&User> {
        self.user_at(self.selected)
    }

    /// How many rows there are, as far as anyone knows: the count, or the rows seen so far.
    pub fn known_rows(&self) -> u64 {
        // Users kept in place after they stopped matching may reach past the count.
        let fresh_end = self.fresh.as_ref().map_or(0, FreshRows::end);
        if let Some(total) = self.total {
            return total.max(fresh_end);
        }
        self.pages
            .iter()
            .next_back()
            .map(|(page, users)| page * self.page_size + users.len() as u64)
            .unwrap_or(0)
            .max(fresh_end)
    }

    /// Whether the first page has arrived (or failed): before that the table shows a spinner.
    pub fn first_answer_in(&self) -> bool {
        !self.pages.is_empty() || self.total.is_some() || self.error.is_some()
    }

    pub fn is_loading(&self) -> bool {
        !self.pending.is_empty() || self.count_request.is_some()
    }

    /// Finds a loaded user by id, with its row.
    pub fn find(&self, user_id: i64) -> Option<(u64, &User)> {
        if let Some(fresh) = &self.fresh
            && let Some(index) = fresh.users.iter().position(|user| user.id == user_id)
        {
            return Some((fresh.first + index as u64, &fresh.users[index]));
        }
        self.pages.iter().find_map(|(page, users)| {
            users
                .iter()
                .position(|user| user.id == user_id)
                .map(|index| (page * self.page_size + index as u64, &users[index]))
        })
    }

    /// A loaded user's name, or `user N` when their page is not in memory.
    pub fn username_of(&self, user_id: i64) -> String {
        self.find(user_id)
            .map(|(_, user)| user.username.clone())
            .unwrap_or_else(|| format!("user {user_id}"))
    }

    /// The user an action on this id applies to, named as well as the list knows.
    pub fn target(&self, user_id: i64) -> TargetUser {
        TargetUser {
            id: user_id,
            username: self.username_of(user_id),
        }
    }

    /// The selected user as the target of an action.
    pub fn selected_target(&self) -> Option<TargetUser> {
        self.selected_user().map(|user| TargetUser {
            id: user.id,
            username: user.username.clone(),
        })
    }

    /// Puts the server's copy of a user in place of every loaded copy (the pages and the
    /// fresh rows).
    pub fn put(&mut self, user: &User) {
        let fresh = self
            .fresh
            .iter_mut()
            .flat_map(|fresh| fresh.users.iter_mut());
        for row in fresh.chain(self.pages.values_mut().flatten()) {
            if row.id == user.id {
                *row = user.clone();
            }
        }
    }
}

/// The sessions of the selected user.
#[derive(Clone, Debug, Default)]
pub struct SessionsPane {
    /// Whose sessions are (being) loaded.
    pub user_id: Option<i64>,
    pub list: Loadable<Vec<Session>>,
    pub selected: usize,
    /// Sessions being closed right now, shown as pending.
    pub closing: BTreeSet<String>,
    /// Sessions marked (Space in the pane) for `X`'s "only the marked ones".
    pub marked: BTreeSet<String>,
}

/// A user an action applies to: the id it is sent with, the name it is reported with.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetUser {
    pub id: i64,
    pub username: String,
}

impl geobox_ops::safety::Target for TargetUser {
    fn target_id(&self) -> i64 {
        self.id
    }

    fn target_name(&self) -> &str {
        &self.username
    }
}
