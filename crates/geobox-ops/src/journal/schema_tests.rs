//! The team journal's schema: made by the first tool that uses the database, once even when
//! two start at once, and refused (neither read nor written) when a newer version migrated it
//! further than this one knows. This machine's own schema moves on too, and what waits here
//! waits for its own team journal.

use super::*;
use crate::test_postgres;

fn store(url: &str) -> (team::TeamStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let team = TeamJournal::parse(url, None).expect("the test URL");
    let store = team::TeamStore::new(team, dir.path().to_path_buf()).expect("a team store");
    (store, dir)
}

fn entry() -> Entry {
    Entry::new("http://h", Tool::Cli, Action::Update, Outcome::Ok)
}

#[test]
fn two_tools_starting_at_once_make_the_schema_once() {
    let Some(server) = test_postgres::shared() else {
        return;
    };
    let url = server.database();
    let stores = [store(&url), store(&url), store(&url)];
    std::thread::scope(|scope| {
        for (store, _) in &stores {
            scope.spawn(move || store.database().insert(&entry()).expect("kept"));
        }
    });
    let versions = server.count(&url, "SELECT count(*) FROM geobox_journal_schema");
    assert_eq!(versions, i64::from(pg_schema::known_version()));
    assert_eq!(
        server.count(&url, "SELECT count(*) FROM geobox_journal_entries"),
        3
    );
}

#[test]
fn a_schema_newer_than_this_tool_knows_is_refused_and_left_alone() {
    let Some(server) = test_postgres::shared() else {
        return;
    };
    let url = server.database();
    let (first, _dir) = store(&url);
    first.database().insert(&entry()).expect("kept");
    server.execute(
        &url,
        "INSERT INTO geobox_journal_schema (version, applied_by) VALUES (99, 'a newer one')",
    );
    let (later, _dir) = store(&url);
    let refused = later.database().insert(&entry()).expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("version 99, newer than this geobox-users knows"),
        "{refused}"
    );
    let read = later
        .database()
        .find("anything")
        .expect_err("not read either");
    assert!(read.to_string().contains("upgrade geobox-users"), "{read}");
    // A tool already connected refuses too, inside its next write.
    let refused = first.database().insert(&entry()).expect_err("refused");
    assert!(refused.to_string().contains("newer"), "{refused}");
    assert_eq!(
        server.count(&url, "SELECT count(*) FROM geobox_journal_entries"),
        1
    );
}

/// One data directory, two profiles with a team journal each: what waits for one is never
/// sent to the other, and reaches its own once that answers.
#[test]
fn entries_wait_for_their_own_team_journal_only() {
    let Some(server) = test_postgres::shared() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let team_store = |url: &str| {
        let team = TeamJournal::parse(url, None).expect("the test URL");
        team::TeamStore::new(team, dir.path().to_path_buf()).expect("a team store")
    };
    // A's database does not exist yet: its entry waits here.
    let a_name = format!(
        "journal_a_{}",
        random_text(b"abcdefghijklmnopqrstuvwxyz", 10)
    );
    let a_url = server.url(&a_name);
    let a = team_store(&a_url);
    let waiting = entry();
    a.append(&waiting).expect("kept here");
    assert_eq!(a.waiting().waiting, 1);

    let b_url = server.database();
    let b = team_store(&b_url);
    b.append(&entry()).expect("sent");
    assert_eq!(b.share().waiting, 0, "A's entry is not B's to send");
    assert_eq!(
        server.count(&b_url, "SELECT count(*) FROM geobox_journal_entries"),
        1,
        "only B's own entry reached B"
    );

    server.execute(
        &server.url("postgres"),
        &format!("CREATE DATABASE {a_name}"),
    );
    assert_eq!(a.share().waiting, 0, "A answers: its entry is sent");
    assert_eq!(
        server.count(
            &a_url,
            &format!(
                "SELECT count(*) FROM geobox_journal_entries WHERE id = '{}'",
                waiting.id
            )
        ),
        1
    );
}

/// A local journal made before entries named the team journal they wait for is moved on
/// once: what waited then is sent to the first team journal that answers, as before.
#[test]
fn a_local_journal_of_the_first_schema_is_moved_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let local = LocalStore::new(dir.path().to_path_buf());
    local.append(&entry()).expect("kept");
    let path = local.path();
    drop(local);
    let connection = rusqlite::Connection::open(&path).expect("opened");
    connection
        .execute_batch(
            "ALTER TABLE entries DROP COLUMN pending_for; UPDATE entries SET pending = 1; \
             PRAGMA user_version = 1",
        )
        .expect("made as the first schema had it");
    drop(connection);
    let local = LocalStore::new(dir.path().to_path_buf());
    local.append(&entry()).expect("kept after the move");
    assert_eq!(
        local.waiting().waiting,
        1,
        "the entry that waited still does"
    );
    let connection = rusqlite::Connection::open(&path).expect("opened");
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("its version");
    assert_eq!(version, 2);
}
