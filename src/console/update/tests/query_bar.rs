//! The query bar: the request behind the table, copied as a CLI or curl command.

use super::*;
use crate::console::env::ClipboardReach;
use crate::console::model::{SortColumn, request_url};

/// The fixtures' surroundings with an API base that carries credentials.
fn with_base() -> Env {
    Env {
        api_base: "http://ops:hunter2@127.0.0.1:8080/v1/".to_string(),
        ..env()
    }
}

fn copied(cmds: &[Cmd]) -> Vec<String> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::CopyToClipboard { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn colon_shows_the_request_with_every_parameter_the_client_sends() {
    let env = with_base();
    let mut model = loaded_model(160, 45, 500);
    model.filters.status = Some(UserStatus::Active);
    model.filters.search = "ali".to_string();
    model.filters.sort.column = SortColumn::LastName;
    model.filters.sort.descending = true;
    assert!(type_keys_in(&mut model, &env, ":").is_empty());
    assert!(matches!(model.mode, Mode::QueryBar));
    let url = request_url(&model, &env.api_base).expect("a URL");
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:8080/v1/users/?f=json&status=Active&search=ali&order_by=last_name+D%2C+id+D\
         &return_count=False&skip=0&limit=100",
        "no credentials from the host, parameters in the client's order and encoding"
    );
    type_keys_in(&mut model, &env, ":");
    assert!(matches!(model.mode, Mode::Normal), "`:` closes it again");
}

#[test]
fn the_request_is_for_the_page_the_selection_is_on() {
    let env = with_base();
    let mut model = loaded_model(160, 45, 500);
    let server = FakeServer::new(500);
    let cmds = update(&mut model, Msg::SelectUserRow(130));
    settle(&mut model, &server, cmds);
    let url = request_url(&model, &env.api_base).expect("a URL");
    assert!(url.as_str().ends_with("skip=100&limit=100"), "{url}");
}

#[test]
fn y_copies_a_cli_command_and_big_y_a_curl_command_without_secrets() {
    let env = with_base();
    let mut model = loaded_model(160, 45, 500);
    model.filters.cql = "username LIKE '%gis%'".to_string();
    type_keys_in(&mut model, &env, ":");
    let cmds = type_keys_in(&mut model, &env, "y");
    assert_eq!(
        copied(&cmds),
        ["geobox-users --host http://127.0.0.1:8080/v1 users list \
             '--q=username LIKE '\\''%gis%'\\''' '--order-by=id A' --limit=100"]
    );
    let banner = model.banner.clone().expect("a message");
    assert_eq!(banner.text, "Copied the CLI command to the clipboard");
    assert!(matches!(model.mode, Mode::QueryBar), "the bar stays open");

    let cmds = type_keys_in(&mut model, &env, "Y");
    let curl = copied(&cmds).pop().expect("a curl command");
    assert!(
        curl.starts_with("curl -sS -H \"Authorization: Bearer $GEOBOX_ACCESS_TOKEN\" 'http://127.0.0.1:8080/v1/users/?f=json&q=username+LIKE+%27%25gis%25%27"),
        "{curl}"
    );
    assert!(
        !curl.contains("hunter2") && !curl.contains("ops@"),
        "{curl}"
    );
    assert_eq!(
        model.query_bar.copied.as_ref().map(|c| c.text.as_str()),
        Some(curl.as_str())
    );
}

#[test]
fn where_the_clipboard_may_not_reach_the_message_says_to_select_the_text() {
    let env = Env {
        clipboard: ClipboardReach::Unlikely("no TERM".to_string()),
        ..with_base()
    };
    let mut model = loaded_model(80, 24, 50);
    type_keys_in(&mut model, &env, ":");
    let cmds = type_keys_in(&mut model, &env, "y");
    assert_eq!(copied(&cmds).len(), 1, "it is still sent, in case it works");
    let banner = model.banner.clone().expect("a message");
    assert!(banner.text.contains("no TERM"), "{}", banner.text);
    assert!(banner.text.contains("select it"), "{}", banner.text);
}

#[test]
fn the_bar_remembers_the_latency_of_the_current_page_only() {
    let mut model = loaded_model(160, 45, 500);
    let request = model.new_request();
    model.users.pending.insert(0, request);
    let answer = |request, millis| Msg::UsersLoaded {
        page: 0,
        done: Done {
            request,
            took: std::time::Duration::from_millis(millis),
            result: Ok(vec![crate::console::fixtures::user(1)]),
        },
    };
    update(&mut model, answer(RequestId(9_999), 700));
    assert_ne!(
        model.query_bar.page_latency,
        Some(std::time::Duration::from_millis(700)),
        "a stale answer does not count"
    );
    update(&mut model, answer(request, 12));
    assert_eq!(
        model.query_bar.page_latency,
        Some(std::time::Duration::from_millis(12))
    );
}

#[test]
fn a_value_starting_with_a_dash_stays_the_value_of_its_flag() {
    let env = with_base();
    let mut model = loaded_model(160, 45, 500);
    model.filters.search = "-w2".to_string();
    let command = crate::console::update::cli_command(&model, &env).expect("a command");
    assert!(command.contains(" --search=-w2 "), "{command}");
    assert!(!command.contains("--search -w2"), "{command}");
}
