//! `users bulk-update` keeps its promises at the edges: no filter means no target unless every
//! user is asked for (and then the count is typed), the signed-in admin is left out of a
//! change that would lock them out, admin rights always carry the ⚠ line, and a dry run
//! prints JSON for scripts.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::bulk::{Demo, assert_success, stderr, stdout, table_ids};
use geobox_api::UserStatus;

#[test]
fn bulk_update_without_a_filter_changes_nobody_unless_every_user_was_asked_for() {
    let demo = Demo::start(60);
    let before = demo.statuses();
    // An empty shell variable is no filter either.
    for filter in [
        &[][..],
        &["--q", ""],
        &["--search", ""],
        &["--q", "  ", "--order-by", "id D"],
    ] {
        let mut args = vec!["users", "bulk-update", "--set-status", "disabled", "--yes"];
        args.extend_from_slice(filter);
        let refused = demo.run(&args);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{filter:?}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("no filter given") && stderr(&refused).contains("--all"),
            "{}",
            stderr(&refused)
        );
    }
    assert_eq!(demo.statuses(), before, "nobody changed");
    assert!(demo.journal().is_empty());

    // --all names every user: a dry run counts them, and without a terminal it needs --yes.
    let dry = demo.run(&[
        "users",
        "bulk-update",
        "--set-status",
        "pending",
        "--all",
        "--dry-run",
    ]);
    assert_success(&dry);
    let not_pending = before
        .values()
        .filter(|status| **status != Some(UserStatus::Pending))
        .count();
    assert!(
        stderr(&dry).contains(&format!(
            "{not_pending} users would change (status → Pending)"
        )),
        "{}",
        stderr(&dry)
    );
    let unasked = demo.run(&["users", "bulk-update", "--set-status", "pending", "--all"]);
    assert_eq!(unasked.status.code(), Some(2), "{}", stderr(&unasked));
    assert_eq!(demo.statuses(), before);
}

#[cfg(unix)]
#[test]
fn all_still_shows_the_count_and_asks_for_it_on_a_terminal() {
    let demo = Demo::start(30);
    let before = demo.statuses();
    let to_change = before
        .values()
        .filter(|status| **status != Some(UserStatus::Pending))
        .count();
    // Few users, but every user: the count is typed, and a yes by habit changes nobody.
    let (screen, code) = on_terminal(
        &demo,
        &["users", "bulk-update", "--set-status", "pending", "--all"],
        "to go ahead:",
        "y\r",
    );
    assert!(
        screen.contains(&format!("for {to_change} users")) && screen.contains("every user"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("Type {to_change} to go ahead")),
        "{screen}"
    );
    assert_eq!(code, 1, "{screen}");
    assert_eq!(demo.statuses(), before, "a y is not the count");
}

#[test]
fn bulk_update_leaves_the_signed_in_admin_out_of_what_would_lock_them_out() {
    let demo = Demo::start(80);
    let admin_id = demo
        .runtime
        .block_on(demo.admin.user_id(geobox_api::UserRef::Me))
        .expect("me");
    let disabled = demo.run(&[
        "users",
        "bulk-update",
        "--q",
        "id <= 60",
        "--set-status",
        "disabled",
        "--yes",
    ]);
    assert_success(&disabled);
    let said = stderr(&disabled);
    assert!(
        said.contains("admin (you) is left out: the change would disable you"),
        "{said}"
    );
    let statuses = demo.statuses();
    assert_eq!(statuses[&admin_id], Some(UserStatus::Active));
    assert!(
        statuses
            .iter()
            .filter(|(id, _)| **id != admin_id && **id <= 60)
            .all(|(_, status)| *status == Some(UserStatus::Disabled))
    );
    let entry = &demo.journal()[0];
    let changed: Vec<i64> = entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| change["user_id"].as_i64())
        .collect();
    assert!(!changed.contains(&admin_id), "{changed:?}");
    // The admin can still act: the next run signs in and works.
    assert_success(&demo.run(&["users", "list", "--count"]));

    let demoted = demo.run(&[
        "users",
        "bulk-update",
        "--q",
        "id <= 5",
        "--set-role",
        "viewer",
        "--yes",
    ]);
    assert_success(&demoted);
    assert!(
        stderr(&demoted).contains("(you) is left out: the change would make you a Viewer"),
        "{}",
        stderr(&demoted)
    );
    let me = demo
        .runtime
        .block_on(demo.admin.get_user(geobox_api::UserRef::Me))
        .expect("me");
    assert_eq!(me.role, Some(geobox_api::UserRole::SystemAdmin));
}

#[test]
fn granting_admin_rights_in_bulk_always_prints_the_warning() {
    let demo = Demo::start(40);
    let filter = ["--q", "id > 1 AND id <= 6", "--set-role", "account-admin"];
    let mut dry = vec!["users", "bulk-update", "--dry-run"];
    dry.extend_from_slice(&filter);
    let dry = demo.run(&dry);
    assert_success(&dry);
    assert!(
        stderr(&dry)
            .contains("will be Account Admin: may create, change, disable and delete users"),
        "{}",
        stderr(&dry)
    );
    let mut unasked = vec!["users", "bulk-update"];
    unasked.extend_from_slice(&filter);
    assert_eq!(demo.run(&unasked).status.code(), Some(2));
    let mut yes = unasked.clone();
    yes.push("--yes");
    let granted = demo.run(&yes);
    assert_success(&granted);
    assert!(
        stderr(&granted).contains("⚠ ") && stderr(&granted).contains("will be Account Admin"),
        "the ⚠ line even with --yes: {}",
        stderr(&granted)
    );
    assert_eq!(
        demo.count(&["--q", "id > 1 AND id <= 6", "--role", "account-admin"]),
        5
    );
}

#[test]
fn a_dry_run_prints_json_for_scripts() {
    let demo = Demo::start(50);
    let args = [
        "users",
        "bulk-update",
        "--status",
        "pending",
        "--set-status",
        "active",
        "--dry-run",
    ];
    let table = demo.run(&args);
    assert_success(&table);
    let mut json_args = args.to_vec();
    json_args.extend_from_slice(&["-o", "json"]);
    let json = demo.run(&json_args);
    assert_success(&json);
    let users: Vec<Value> = serde_json::from_str(&stdout(&json)).expect("a JSON array");
    let ids: BTreeSet<i64> = users
        .iter()
        .filter_map(|user| user["id"].as_i64())
        .collect();
    assert_eq!(ids, table_ids(&stdout(&table)));
    assert!(!ids.is_empty());
    assert!(users.iter().all(|user| user["status"] == "Pending"));
}

/// Runs the binary on a pseudo-terminal (so it may ask), answers `answer` once `prompt` shows,
/// and returns everything it printed and its exit code.
#[cfg(unix)]
pub(crate) fn on_terminal(demo: &Demo, args: &[&str], prompt: &str, answer: &str) -> (String, u32) {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_geobox-users"));
    command.args(args);
    command.cwd(demo.dir.path());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GEOBOX") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command.env("GEOBOX_USERS_CONFIG", demo.path("config.toml"));
    command.env("GEOBOX_USERS_DATA_DIR", demo.path("data"));
    for (key, value) in &demo.envs {
        command.env(key, value);
    }
    let mut child = pair
        .slave
        .spawn_command(command)
        .expect("spawned on the pty");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("a reader");
    let mut writer = pair.master.take_writer().expect("a writer");
    let printed = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&printed);
    std::thread::spawn(move || {
        let mut buffer = [0_u8; 4096];
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0 {
                break;
            }
            sink.lock()
                .expect("output")
                .extend_from_slice(&buffer[..read]);
        }
    });
    let text = || String::from_utf8_lossy(&printed.lock().expect("output")).into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !text().contains(prompt) {
        assert!(Instant::now() < deadline, "no prompt; printed:\n{}", text());
        std::thread::sleep(Duration::from_millis(20));
    }
    writer.write_all(answer.as_bytes()).expect("answered");
    writer.flush().expect("flushed");
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "did not end; printed:\n{}",
            text()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // The last output may still be on its way from the pty.
    std::thread::sleep(Duration::from_millis(100));
    std::mem::forget(pair.master);
    (text(), status.exit_code())
}
