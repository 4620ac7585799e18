//! Every CLI command that prints text a server, a file or the journal supplied, run against a
//! stand-in whose every string is hostile (escape sequences, OSC 52, C1, DEL, bidi controls):
//! no raw control character may reach stdout or stderr, whichever way the command prints
//! (results, notes, confirmations, step lines, errors, JSON).

use crate::support;

use std::process::Output;

use serde_json::Value;
use support::hostile::{
    PAYLOAD, hostile, hostile_geobox, raw_controls, remembering_hostile_geobox,
};
use support::{Recorder, cli_against as run, isolated_cli, text};

#[track_caller]
fn assert_clean(args: &[&str], output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let shown = text(bytes);
        let raw = raw_controls(&shown);
        assert!(
            raw.is_empty(),
            "{args:?} put {raw:?} raw on {stream}:\n{shown}"
        );
    }
}

/// That the hostile text did get printed (shown, not dropped): the visible form of ESC.
#[track_caller]
fn assert_shown(args: &[&str], output: &Output) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(
        all.contains("⟨U+001B⟩") || all.contains("\\u001b") || all.contains('\u{FFFD}'),
        "{args:?} printed nothing of the server's text:\n{all}"
    );
}

#[test]
fn no_command_lets_server_text_drive_the_terminal() {
    let server = Recorder::start(remembering_hostile_geobox());
    let dir = tempfile::tempdir().expect("tempdir");
    let reads: Vec<Vec<&str>> = vec![
        vec!["users", "list"],
        vec!["users", "list", "--no-trunc"],
        vec!["users", "list", "-o", "csv"],
        vec!["users", "list", "-o", "json"],
        vec!["users", "list", "-o", "jsonl"],
        vec!["users", "list", "--all"],
        vec!["users", "list", "--limit", "1500", "-o", "json"],
        vec!["users", "search", "ali"],
        vec!["users", "get", "me"],
        vec!["users", "get", "5", "6", "-o", "csv"],
        vec!["sessions", "list", "5"],
        vec!["sessions", "list", "5", "--group"],
        vec!["sessions", "list", "5", "6", "-o", "json"],
        vec!["plans", "list"],
        vec!["members", "list", "5"],
        vec!["users", "update", "5", "--status", "active"],
        vec![
            "users",
            "update",
            "5",
            "6",
            "--first-name",
            "X",
            "-o",
            "jsonl",
        ],
        vec!["users", "renew-plan", "5"],
        vec!["users", "lockdown", "7", "--reset-password", "--yes"],
        vec![
            "users",
            "bulk-update",
            "--status",
            "active",
            "--set-role",
            "editor",
            "--dry-run",
        ],
        // API errors whose message is the server's: a 404, a 422 naming fields, a 500.
        vec!["users", "get", "404"],
        vec!["users", "get", "404", "-o", "json"],
        vec!["sessions", "close", "5", "6f1c-aa"],
    ];
    for args in &reads {
        let output = run(&server, dir.path(), args);
        assert_clean(args, &output);
        assert_shown(args, &output);
    }
    // Says only what it did, in its own words.
    let args = ["users", "delete", "5", "--yes"];
    assert_clean(&args, &run(&server, dir.path(), &args));
    let create = [
        "users",
        "create",
        "--username",
        "eve",
        "--email",
        "bad",
        "--role",
        "viewer",
    ];
    let output = isolated_cli(dir.path())
        .args(create)
        .env("GEOBOX_HOST", server.host())
        .env("GEOBOX_ACCESS_TOKEN", "tok-cli")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"Passw0rd-1\n")?;
            child.wait_with_output()
        })
        .expect("run");
    assert_clean(&create, &output);
    assert!(
        text(&output.stderr).contains("422"),
        "{}",
        text(&output.stderr)
    );

    // The journal keeps what the server said; listing and undoing it print those values.
    let listed = run(&server, dir.path(), &["journal"]);
    assert_clean(&["journal"], &listed);
    let entries = run(&server, dir.path(), &["journal", "--output", "json"]);
    assert_clean(&["journal", "--output", "json"], &entries);
    let entries: Value = serde_json::from_slice(&entries.stdout).expect("journal as JSON");
    let update = entries
        .as_array()
        .expect("entries")
        .iter()
        .find(|entry| entry["action"] == "update")
        .expect("the update is journaled");
    let id = update["id"].as_str().expect("an id");
    let args = ["journal", "undo", id, "--yes", "--force"];
    let undone = run(&server, dir.path(), &args);
    assert_clean(&args, &undone);
    assert_shown(&args, &undone);
}

#[test]
fn file_supplied_text_is_cleaned_too() {
    let server = Recorder::start(hostile_geobox);
    let dir = tempfile::tempdir().expect("tempdir");

    // A cached sign-in whose username was planted in the file: `logout --all` names it, and
    // the server's refusal to close the session.
    let tokens = dir.path().join("data").join("cache").join("tokens");
    std::fs::create_dir_all(&tokens).expect("tokens dir");
    let planted = serde_json::json!({
        "host": format!("{}/v1/", server.host()),
        "username": hostile("admin"),
        "token": "tok-admin",
    });
    std::fs::write(tokens.join("planted.json"), planted.to_string()).expect("token file");
    let output = run(&server, dir.path(), &["logout", "--all"]);
    assert_clean(&["logout", "--all"], &output);
    assert!(
        text(&output.stderr).contains("could not close"),
        "{}",
        text(&output.stderr)
    );
    assert_shown(&["logout", "--all"], &output);

    // A saved view whose CQL holds the payload: `views list` prints it.
    let config = format!(
        "[views.planted]\nq = {}\n",
        toml_string(&hostile("username = 'x'"))
    );
    std::fs::write(dir.path().join("config.toml"), config).expect("config");
    for args in [vec!["views", "list"], vec!["views", "list", "-o", "json"]] {
        let output = run(&server, dir.path(), &args);
        assert_clean(&args, &output);
        assert_shown(&args, &output);
    }

    // An import file from a third party: its cells are quoted back in the errors.
    let csv = format!(
        "username,email,mobile\n{},{},{}\n",
        hostile("neda"),
        hostile("not-an-email"),
        hostile("+98")
    );
    std::fs::write(dir.path().join("people.csv"), csv).expect("csv");
    let args = ["users", "import", "people.csv", "--dry-run"];
    let output = run(&server, dir.path(), &args);
    assert_clean(&args, &output);
}

/// A TOML basic string holding `text`, control characters escaped as TOML wants them.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[test]
fn the_payload_holds_what_it_says() {
    let raw = raw_controls(PAYLOAD);
    for expected in [
        "U+001B", "U+0007", "U+009B", "U+0085", "U+007F", "U+202E", "U+200F",
    ] {
        assert!(raw.contains(&expected.to_string()), "{raw:?}");
    }
}
