//! The query bar (`:`): the exact request behind the table, copied as a CLI or curl command.
//!
//! The request is built from the same `UserQuery` the table's pages are fetched with, and its
//! query string by the same encoder the client uses, so what is shown is what was sent.

use reqwest::Url;

use crate::console::cmd::Cmd;
use crate::console::model::{ClipboardReach, Copied, Mode, Model};
use crate::console::msg::Done;
use geobox_api::UserQuery;

/// Where a secret would go in a copied command: the reader's own variable, never a value.
const TOKEN_VARIABLE: &str = "$GEOBOX_ACCESS_TOKEN";

pub(super) fn open(model: &mut Model) {
    model.query_bar.copied = None;
    model.mode = Mode::QueryBar;
}

pub(super) fn close(model: &mut Model) {
    model.mode = Mode::Normal;
}

/// Remembers how long the table's current page took, for the bar.
pub(super) fn note_page_latency<T>(model: &mut Model, page: u64, done: &Done<T>) {
    if model.users.pending.get(&page) == Some(&done.request) {
        model.query_bar.page_latency = Some(done.took);
    }
}

/// The query of the page the selection is on: the request behind what the admin sees.
pub fn current_query(model: &Model) -> UserQuery {
    let size = model.users.page_size.max(1);
    let page = model.users.selected / size;
    model.filters.query(page * size, size)
}

/// The API base without any credentials a host may carry.
fn api_base(model: &Model) -> Option<Url> {
    let mut base = Url::parse(&model.query_bar.api_base).ok()?;
    let _ = base.set_password(None);
    let _ = base.set_username("");
    Some(base)
}

/// `GET` and the full URL of the page request, every parameter as the client sends it.
pub fn request_url(model: &Model) -> Option<Url> {
    let mut url = api_base(model)?.join("users/").ok()?;
    url.query_pairs_mut()
        .extend_pairs(current_query(model).to_params(false));
    Some(url)
}

/// A `geobox-users users list ...` command that lists the same users in the same order.
pub fn cli_command(model: &Model) -> Option<String> {
    let host = api_base(model)?;
    let query = current_query(model);
    let mut words = vec![
        "geobox-users".to_string(),
        "--host".to_string(),
        host.as_str().trim_end_matches('/').to_string(),
        "users".to_string(),
        "list".to_string(),
    ];
    let flags = [
        ("--status", query.status.as_ref().map(ToString::to_string)),
        ("--q", query.q.clone()),
        ("--search", query.search.clone()),
        ("--search-fields", query.search_fields.clone()),
        ("--order-by", query.order_by.clone()),
        ("--skip", (query.skip > 0).then(|| query.skip.to_string())),
        ("--limit", Some(query.limit.to_string())),
    ];
    for (flag, value) in flags {
        if let Some(value) = value {
            words.push(flag.to_string());
            words.push(value);
        }
    }
    Some(
        words
            .iter()
            .map(|word| shell_quote(word))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A `curl` command for the same request, signed with the reader's own token variable.
pub fn curl_command(model: &Model) -> Option<String> {
    let url = request_url(model)?;
    Some(format!(
        "curl -sS -H \"Authorization: Bearer {TOKEN_VARIABLE}\" {}",
        shell_quote(url.as_str())
    ))
}

/// A word as a POSIX shell reads it back: bare when it is plain, else in single quotes.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

pub(super) fn copy_cli(model: &mut Model, cmds: &mut Vec<Cmd>) {
    copy(model, "the CLI command", cli_command(model), cmds);
}

pub(super) fn copy_curl(model: &mut Model, cmds: &mut Vec<Cmd>) {
    copy(model, "the curl command", curl_command(model), cmds);
}

fn copy(model: &mut Model, what: &'static str, text: Option<String>, cmds: &mut Vec<Cmd>) {
    let Some(text) = text else {
        model.fail("Nothing to copy: the server's address is unknown");
        return;
    };
    match &model.query_bar.clipboard {
        ClipboardReach::Likely => {
            model.inform(format!("Copied {what} to the clipboard"));
        }
        ClipboardReach::Unlikely(why) => {
            model.inform(format!(
                "Sent {what} to the clipboard, which may not arrive ({why}); select it in the query bar"
            ));
        }
    }
    cmds.push(Cmd::CopyToClipboard { text: text.clone() });
    model.query_bar.copied = Some(Copied { what, text });
}
