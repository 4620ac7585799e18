//! A stand-in Geobox whose every text is hostile: each string it answers with (every field
//! of every user, session and plan, every error message) carries a terminal escape that would
//! clear the screen, an OSC 52 clipboard write, a C1 CSI, DEL, a right-to-left override and a
//! bidi mark. What a test finds on the CLI's stdout and stderr must hold none of them raw.

use serde_json::Value;

use super::{Recorded, Reply, fake_geobox};

/// What every string of the hostile stand-in ends with.
pub const PAYLOAD: &str =
    "\u{1b}[2J\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{9b}31m\u{85}\u{7f}\u{202e}gpj.exe\u{200f}\u{8}";

/// The text a test writes into a file (a CSV row, a config value, a cached sign-in) to see
/// that file-supplied text is cleaned the same way.
pub fn hostile(text: &str) -> String {
    format!("{text}{PAYLOAD}")
}

/// [`fake_geobox`]'s answers, with every string made hostile (the sign-in's token excepted:
/// a client could not send it back). `POST users/{id}/sessions/{uuid}` fails with a hostile
/// 500, for the error paths that print what the server said. A list asked past its first
/// page (`skip`, or `id > N` as `--all` pages) is empty, so paging ends.
pub fn hostile_geobox(request: &Recorded) -> Reply {
    if request.method == "POST" && request.path.contains("/sessions/") {
        return Reply::json(
            500,
            serde_json::json!({"detail": hostile("session store down")}),
        );
    }
    let past_first_page = request.param("skip").is_some_and(|skip| skip != "0")
        || request.param("q").is_some_and(|q| q.contains("id > "));
    if request.method == "GET" && request.path == "/v1/users/" && past_first_page {
        return Reply::json(200, serde_json::json!([]));
    }
    let reply = fake_geobox(request);
    let Ok(mut body) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    poison(&mut body, None);
    Reply {
        body: body.to_string().into_bytes(),
        ..reply
    }
}

fn poison(value: &mut Value, key: Option<&str>) {
    match value {
        Value::String(text) if key != Some("access_token") && key != Some("token_type") => {
            text.push_str(PAYLOAD);
        }
        Value::Array(items) => items.iter_mut().for_each(|item| poison(item, None)),
        Value::Object(fields) => fields
            .iter_mut()
            .for_each(|(name, field)| poison(field, Some(name))),
        _ => {}
    }
}

/// The raw control characters (C0 but the line feed, DEL, C1) and bidi controls in `text`,
/// as `U+XXXX`, for an assertion that there are none.
pub fn raw_controls(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || matches!(
                    c,
                    '\u{061C}'
                        | '\u{200E}'
                        | '\u{200F}'
                        | '\u{202A}'..='\u{202E}'
                        | '\u{2066}'..='\u{2069}'
                )
        })
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect()
}

/// [`hostile_geobox`] that keeps what a `PUT users/{id}/` wrote: a later `GET` of that user
/// answers the changed user, so a journal entry can be undone against it.
pub fn remembering_hostile_geobox() -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let written: std::sync::Mutex<std::collections::HashMap<String, Reply>> =
        std::sync::Mutex::default();
    move |request: &Recorded| {
        let mut written = written.lock().expect("written users");
        if request.method == "GET"
            && let Some(user) = written.get(&request.path)
        {
            return user.clone();
        }
        let reply = hostile_geobox(request);
        if request.method == "PUT" && reply.status == 200 {
            written.insert(request.path.clone(), reply.clone());
        }
        reply
    }
}
