//! Every user of a view, a page at a time, so a million users never sit in memory at once.

use std::io::{self, Write};
use std::time::Instant;

use serde_json::Value;

use super::output::{self, Format, Style};
use crate::bulk::Progress;
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

/// How far writing a view got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exported {
    /// Users written.
    pub written: usize,
    /// Stopped before the last page, as `on_page` asked.
    pub stopped: bool,
}

/// Why writing a view stopped short.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A page could not be read.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The output could not be written; the caller knows where it went.
    #[error("{0}")]
    Write(io::Error),
}

impl ExportError {
    /// Whether the server went away or timed out (rather than refusing a page).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ExportError::Api(error) if error.is_unreachable())
    }
}

/// Writes every user of the view to `out` as `format` in `style`, a page at a time (constant
/// memory), and ends the list. After each page `on_page` hears the progress
/// against `total` (a count taken before, which only sizes a bar: the pages are read to their
/// end whatever it says) and answers whether to go on; a list stopped so is still ended.
pub async fn write_view(
    client: &GeoboxClient,
    view: View,
    (format, style): (Format, &Style),
    out: &mut impl Write,
    total: usize,
    mut on_page: impl FnMut(Progress) -> bool,
) -> Result<Exported, ExportError> {
    let mut pager = Pager::new(view);
    let started = Instant::now();
    let (mut pages, mut exported) = (0, Exported::default());
    while let Some(page) = pager.next_page(client).await? {
        let text = output::render_page_styled(&page, &output::USERS, format, style, pages == 0);
        out.write_all(text.as_bytes()).map_err(ExportError::Write)?;
        pages += 1;
        exported.written += page.len();
        let progress = Progress {
            done: exported.written,
            total: total.max(exported.written),
            elapsed: started.elapsed(),
        };
        if !on_page(progress) {
            exported.stopped = true;
            break;
        }
    }
    let end = output::list_end_styled(&output::USERS, format, style, pages);
    out.write_all(end.as_bytes()).map_err(ExportError::Write)?;
    out.flush().map_err(ExportError::Write)?;
    Ok(exported)
}

fn undecodable(reason: &str) -> ApiError {
    ApiError::Decode {
        status: 200,
        reason: reason.to_string(),
        body_start: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_export_from_a_server_that_went_away_is_unreachable_and_writes_nothing() {
        let client = crate::testing::client_of_a_gone_server();
        let mut out = Vec::new();
        let mut pages = 0;
        let csv = (Format::Csv, &Style::default());
        let error = write_view(&client, View::default(), csv, &mut out, 0, |_| {
            pages += 1;
            true
        })
        .await
        .expect_err("no server");
        assert!(error.is_unreachable(), "{error:?}");
        assert!(out.is_empty() && pages == 0);
        let refused = ExportError::from(ApiError::from_response(403, b""));
        assert!(!refused.is_unreachable());
        assert!(!ExportError::Write(io::ErrorKind::BrokenPipe.into()).is_unreachable());
    }
}
