//! The team journal's schema: made by the first tool that uses the database, once even when
//! two start at once, and refused (neither read nor written) when a newer version migrated it
//! further than this one knows.

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
