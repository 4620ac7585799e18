//! The query bar (`:`): the exact request behind the table (`model::request_url`), copied as
//! a CLI or curl command.

use crate::console::cmd::Cmd;
use crate::console::env::{ClipboardReach, Env};
use crate::console::model::{Copied, Mode, Model, current_query, public_base, request_url};
use crate::console::msg::Done;

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

/// A `geobox-users users list ...` command that lists the same users in the same order.
pub fn cli_command(model: &Model, env: &Env) -> Option<String> {
    let host = public_base(&env.api_base)?;
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
    // `--flag=value` as one word: a value that starts with `-` (`--search=-w2`) is then never
    // taken for a flag of its own.
    for (flag, value) in flags {
        if let Some(value) = value {
            words.push(format!("{flag}={value}"));
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
pub fn curl_command(model: &Model, env: &Env) -> Option<String> {
    let url = request_url(model, &env.api_base)?;
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

pub(super) fn copy_cli(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let text = cli_command(model, env);
    copy(model, env, "the CLI command", text, cmds);
}

pub(super) fn copy_curl(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let text = curl_command(model, env);
    copy(model, env, "the curl command", text, cmds);
}

fn copy(
    model: &mut Model,
    env: &Env,
    what: &'static str,
    text: Option<String>,
    cmds: &mut Vec<Cmd>,
) {
    let Some(text) = text else {
        model.fail("Nothing to copy: the server's address is unknown");
        return;
    };
    match &env.clipboard {
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
