//! Every user of a view, a page at a time, so a million users never sit in memory at once.

use serde_json::Value;

use crate::views::View;
use geobox_api::{ApiError, GeoboxClient, User};

/// Users asked for per request: the built-in server's cap, and few enough round trips.
pub const PAGE_SIZE: u64 = 1000;

/// Walks a view's pages. Without a sort of its own the view is read by id (`id > last`, in id
/// order), which stays fast at any depth and is not shifted by users the caller changes or
/// deletes meanwhile; with a sort it pages by `skip`. Stops at the first empty page, so a
/// server that caps pages below [`PAGE_SIZE`] is still read to the end.
#[derive(Clone, Debug)]
pub struct Pager {
    view: View,
    page_size: u64,
    after_id: Option<i64>,
    skip: u64,
    finished: bool,
}

impl Pager {
    pub fn new(view: View) -> Pager {
        Pager {
            view,
            page_size: PAGE_SIZE,
            after_id: None,
            skip: 0,
            finished: false,
        }
    }

    pub fn page_size(mut self, page_size: u64) -> Pager {
        self.page_size = page_size.max(1);
        self
    }

    /// Whether pages go by id (and so cannot be shifted by writes made while reading).
    pub fn by_id(&self) -> bool {
        self.view.order_by.is_none()
    }

    /// The next page as the server sent it; `None` after the last.
    pub async fn next_page(
        &mut self,
        client: &GeoboxClient,
    ) -> Result<Option<Vec<Value>>, ApiError> {
        if self.finished {
            return Ok(None);
        }
        let query = if self.by_id() {
            let after = self.after_id.map(|id| format!("id > {id}"));
            self.view
                .query_with_cql(after.as_deref())
                .order_by("id A")
                .limit(self.page_size)
        } else {
            self.view.query().skip(self.skip).limit(self.page_size)
        };
        let page = client.list_users_raw(&query).await?;
        if page.is_empty() {
            self.finished = true;
            return Ok(None);
        }
        if self.by_id() {
            let last = page
                .last()
                .and_then(|user| user.get("id"))
                .and_then(Value::as_i64);
            match last {
                Some(id) => self.after_id = Some(id),
                None => {
                    return Err(undecodable("a user without an id; cannot page by id"));
                }
            }
        } else {
            self.skip += page.len() as u64;
        }
        Ok(Some(page))
    }

    /// Every user of the view, read into memory (for a bulk change, which needs them all
    /// before its first write). `on_page` hears how many have been read so far.
    pub async fn collect_users(
        mut self,
        client: &GeoboxClient,
        mut on_page: impl FnMut(usize),
    ) -> Result<Vec<User>, ApiError> {
        let mut users = Vec::new();
        while let Some(page) = self.next_page(client).await? {
            for value in page {
                let user: User = serde_json::from_value(value).map_err(|error| {
                    undecodable(&format!("a user this tool cannot read: {error}"))
                })?;
                users.push(user);
            }
            on_page(users.len());
        }
        Ok(users)
    }
}

fn undecodable(reason: &str) -> ApiError {
    ApiError::Decode {
        status: 200,
        reason: reason.to_string(),
        body_start: String::new(),
    }
}
