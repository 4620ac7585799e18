//! The query bar (`:`): the request behind the table, and what was last copied from it.
//!
//! The request is built from the same `UserQuery` the table's pages are fetched with, and its
//! query string by the same encoder the client uses, so what is shown is what was sent.

use std::time::Duration;

use reqwest::Url;

use super::Model;
use geobox_api::UserQuery;

/// Something copied from the query bar: what it was and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub what: &'static str,
    pub text: String,
}

/// What the query bar shows besides the filters: how long the table's last page took, and
/// the last copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryBar {
    /// How long the page the table last received took.
    pub page_latency: Option<Duration>,
    pub copied: Option<Copied>,
}

/// The query of the page the selection is on: the request behind what the admin sees.
pub fn current_query(model: &Model) -> UserQuery {
    let size = model.users.page_size.max(1);
    let page = model.users.selected / size;
    model.filters.query(page * size, size)
}

/// The API base (`{host}/v1/`) without any credentials a host may carry.
pub fn public_base(api_base: &str) -> Option<Url> {
    let mut base = Url::parse(api_base).ok()?;
    let _ = base.set_password(None);
    let _ = base.set_username("");
    Some(base)
}

/// `GET` and the full URL of the page request, every parameter as the client sends it.
pub fn request_url(model: &Model, api_base: &str) -> Option<Url> {
    let mut url = public_base(api_base)?.join("users/").ok()?;
    url.query_pairs_mut()
        .extend_pairs(current_query(model).to_params(false));
    Some(url)
}
