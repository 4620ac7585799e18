//! The journal file as the CLI meets it: a torn last line, a run over 50,000 users, the demo's
//! entries after a restart, and rows that fit a terminal.

use std::time::Instant;

use super::*;

use geobox_ops::journal::{Action, Deployment, Entry, Journal, Outcome, Tool, UserChange, Values};

#[test]
fn a_torn_last_line_never_swallows_the_next_entry() {
    let demo = Demo::start();
    let target = demo.create_user("journal.torn");
    let id = target.id.to_string();
    assert_exit(
        &demo.run(&["users", "update", &id, "--first-name", "Before"], None),
        0,
    );
    // A crash (or a full disk) in the middle of a write: half a line, no newline.
    let path = demo.data_dir().join("journal.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("the journal");
    file.write_all(br#"{"id":"tornentry1","time":"2026-12-01T00:"#)
        .expect("torn");
    drop(file);
    assert_exit(
        &demo.run(&["users", "update", &id, "--first-name", "After"], None),
        0,
    );

    let listed = demo.run(&["journal", "--output", "json"], None);
    assert_exit(&listed, 0);
    let entries: Vec<Value> = serde_json::from_slice(&listed.stdout).expect("json");
    let names: Vec<&Value> = entries
        .iter()
        .map(|entry| &entry["changes"][0]["after"]["first_name"])
        .collect();
    assert_eq!(
        names,
        ["After", "Before"],
        "the entry after the torn line is kept"
    );
    assert!(
        text(&listed.stderr).contains("1 unreadable journal line was skipped"),
        "{}",
        text(&listed.stderr)
    );
    let newest = entries[0]["id"].as_str().expect("an id");
    let undone = demo.run(&["journal", "undo", newest, "--yes"], None);
    assert_exit(&undone, 0);
    assert_eq!(
        demo.user(target.id)
            .and_then(|user| user.first_name)
            .as_deref(),
        Some("Before")
    );
}

#[test]
fn a_journal_with_a_50000_user_entry_lists_the_newest_ten_quickly() {
    let demo = Demo::start();
    let journal = Journal::new(demo.data_dir());
    let place = |entry: &mut Entry| {
        entry.place(
            &Deployment::server("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080",
        );
    };
    for index in 0..200 {
        let mut entry = Entry::new("", Tool::Cli, Action::Update, Outcome::Ok);
        entry.changes = vec![UserChange::new(Some(index), Some(format!("u{index}")))];
        place(&mut entry);
        journal.append(&entry).expect("appended");
    }
    let mut import = Entry::new("", Tool::Cli, Action::Import, Outcome::Ok);
    let made = |id: i64| {
        let user: geobox_api::User = serde_json::from_value(serde_json::json!({
            "id": id, "username": format!("imp{id}"), "email": format!("imp{id}@example.ir"),
            "first_name": "First", "last_name": "Last", "role": "Viewer", "status": "Active",
        }))
        .expect("a user");
        let mut change = UserChange::new(Some(id), Some(user.username.clone()))
            .values(Values::default(), Values::of_user(&user));
        change.outcome = Some(Outcome::Ok);
        change
    };
    import.changes = (1_000..51_000).map(made).collect();
    import.detail = Some("people.csv".to_string());
    place(&mut import);
    journal.append(&import).expect("appended");
    for index in 0..5 {
        let mut entry = Entry::new("", Tool::Cli, Action::Update, Outcome::Ok);
        entry.changes = vec![UserChange::new(Some(index), Some(format!("u{index}")))];
        place(&mut entry);
        journal.append(&entry).expect("appended");
    }
    let bytes: u64 = (0..4)
        .filter_map(|generation| std::fs::metadata(journal.path(generation)).ok())
        .map(|metadata| metadata.len())
        .sum();

    let started = Instant::now();
    let listed = demo.run(&["journal", "--limit", "10"], None);
    let took = started.elapsed();
    assert_exit(&listed, 0);
    let shown = text(&listed.stdout);
    assert_eq!(shown.lines().count(), 11, "a header and ten rows: {shown}");
    assert!(shown.contains("imp1000 (1000) +49999"), "{shown}");
    assert!(shown.contains("from people.csv"), "{shown}");
    // Reported, not asserted: timings vary too much between machines to fail a test on.
    eprintln!(
        "journal --limit 10 over a {bytes}-byte journal with one 50,000-user entry: {took:?}"
    );
}

#[test]
fn the_demos_entries_stay_reachable_after_a_restart_and_the_cli_says_where_to_undo_them() {
    let demo = Demo::start();
    let journal = Journal::new(demo.data_dir());
    // One written before deployments were recorded (a console on the demo's port of the
    // time), one written on today's port: both are the demo's.
    let mut older = Entry::new(
        "http://127.0.0.1:41234/v1/",
        Tool::Console,
        Action::Update,
        Outcome::Ok,
    );
    older.changes = vec![UserChange::new(Some(5), Some("neda".to_string()))];
    journal.append(&older).expect("appended");
    let mut today = Entry::new("", Tool::Console, Action::Update, Outcome::Ok);
    today.changes = vec![UserChange::new(Some(6), Some("sara".to_string()))];
    today.place(&Deployment::Demo, "http://127.0.0.1:50123/v1/");
    journal.append(&today).expect("appended");

    let on_demo = demo.entries(&["--host", "demo"]);
    let ids: Vec<&str> = on_demo
        .iter()
        .map(|entry| entry["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, [today.id.as_str(), older.id.as_str()]);
    assert!(
        demo.entries(&["--host", "http://127.0.0.1:50123"])
            .is_empty()
    );

    let undo = demo.run(&["journal", "undo", &today.id, "--yes"], None);
    assert_exit(&undo, 2);
    let said = text(&undo.stderr);
    assert!(said.contains("built-in demo"), "{said}");
    assert!(!said.contains("--host http://127.0.0.1:50123"), "{said}");
    let table = demo.run(&["journal"], None);
    assert!(
        text(&table.stdout)
            .lines()
            .any(|line| line.starts_with(&today.id) && line.trim_end().ends_with("demo")),
        "{}",
        text(&table.stdout)
    );
}

#[test]
fn table_rows_fit_the_width_and_full_shows_every_cell_whole() {
    let mut demo = Demo::start();
    let target = demo.create_user("journal.wide");
    let long_name = "Wide".repeat(24);
    assert_exit(
        &demo.run(
            &[
                "users",
                "update",
                &target.id.to_string(),
                "--first-name",
                &long_name,
            ],
            None,
        ),
        0,
    );
    demo.envs.push(("COLUMNS".to_string(), "100".to_string()));
    let fitted = demo.run(&["journal"], None);
    assert_exit(&fitted, 0);
    let shown = text(&fitted.stdout);
    for line in shown.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} wide: {line}",
            line.chars().count()
        );
    }
    assert!(shown.contains('…'), "{shown}");
    let full = demo.run(&["journal", "--full"], None);
    assert!(text(&full.stdout).contains(&long_name));
}
