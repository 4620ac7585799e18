//! The journal as the CLI meets it: an old JSON-lines journal imported past a torn line, a run
//! over 50,000 users, the demo's entries after a restart, and rows that fit a terminal.

use std::time::Instant;

use super::*;

use geobox_api::User;
use geobox_ops::journal::{
    Action, Deployment, Entry, Field, Journal, JsonLines, Outcome, Tool, UserChange, Values,
};

/// An old journal's entry for a first-name change the admin made on the server just now.
fn renamed(demo: &Demo, user: &User, from: &str, to: &str) -> Entry {
    let update = geobox_api::UserUpdate {
        first_name: Some(to.to_string()),
        ..geobox_api::UserUpdate::default()
    };
    demo.runtime
        .block_on(demo.admin.update_user(user.id, &update))
        .expect("renamed");
    let name = |value: &str| {
        Values(
            [(Field::FirstName, Value::from(value))]
                .into_iter()
                .collect(),
        )
    };
    let mut entry = Entry::new("", Tool::Cli, Action::Update, Outcome::Ok);
    entry.place(&demo_deployment(demo), demo_deployment(demo).key());
    entry.by = Some("admin".to_string());
    entry.changes = vec![
        UserChange::new(Some(user.id), Some(user.username.clone())).values(name(from), name(to)),
    ];
    entry
}

fn demo_deployment(demo: &Demo) -> Deployment {
    let host = demo
        .envs
        .iter()
        .find(|(name, _)| name == "GEOBOX_HOST")
        .map(|(_, host)| host.clone())
        .expect("the demo's host");
    Deployment::server(&host)
}

#[test]
fn an_old_journal_is_imported_past_a_torn_line_and_its_entries_undone() {
    let demo = Demo::start();
    let target = demo.create_user("journal.torn");
    let old = JsonLines::new(demo.data_dir());
    old.append(&renamed(&demo, &target, "Journal", "Before"))
        .expect("written the old way");
    // A crash (or a full disk) in the middle of a write: half a line, no newline.
    let path = demo.data_dir().join("journal.jsonl");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("the old journal");
    file.write_all(br#"{"id":"tornentry1","time":"2026-12-01T00:"#)
        .expect("torn");
    drop(file);
    old.append(&renamed(&demo, &target, "Before", "After"))
        .expect("written the old way");

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
    let said = text(&listed.stderr);
    assert!(
        said.contains("1 unreadable journal line was skipped"),
        "{said}"
    );
    assert_eq!(
        entries[0]["read_from"]["seal"], "verified",
        "{}",
        entries[0]
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
    let again = demo.run(&["journal", "undo", newest, "--yes"], None);
    assert_exit(&again, 1);
    assert!(
        text(&again.stderr).contains("already undone"),
        "{}",
        text(&again.stderr)
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

    let started = Instant::now();
    let listed = demo.run(&["journal", "--limit", "10"], None);
    let took = started.elapsed();
    assert_exit(&listed, 0);
    let shown = text(&listed.stdout);
    assert_eq!(shown.lines().count(), 11, "a header and ten rows: {shown}");
    assert!(shown.contains("imp1000 (1000) +49999"), "{shown}");
    assert!(shown.contains("from people.csv"), "{shown}");
    // Reported, not asserted: timings vary too much between machines to fail a test on.
    eprintln!("journal --limit 10 over a journal with one 50,000-user entry: {took:?}");
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
