use chrono::{Duration, Utc};

use super::*;

fn entry(user_id: i64, username: &str, host: &str, minutes_ago: i64) -> Entry {
    let mut entry = Entry::new(host, Tool::Cli, Action::Update, Outcome::Ok);
    entry.time = Utc::now() - Duration::minutes(minutes_ago);
    entry
        .changes
        .push(UserChange::new(Some(user_id), Some(username.to_string())));
    entry
}

const HOST: &str = "http://127.0.0.1:8080";

#[test]
fn entries_come_back_newest_first_and_filtered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::new(dir.path());
    let written = [
        entry(1, "neda", HOST, 300),
        entry(2, "sara", "http://other:1", 120),
        entry(1, "neda", HOST, 30),
        entry(3, "ali", HOST, 5),
    ];
    for each in &written {
        journal.append(each).expect("appended");
    }
    let ids = |filter: Filter| -> Vec<String> {
        journal
            .read(&filter)
            .expect("read")
            .entries
            .into_iter()
            .map(|entry| entry.id)
            .collect()
    };
    let id = |index: usize| written[index].id.clone();
    assert_eq!(ids(Filter::default()), vec![id(3), id(2), id(1), id(0)]);
    assert_eq!(
        ids(Filter {
            user: Some(UserKey::parse("NEDA")),
            ..Filter::default()
        }),
        vec![id(2), id(0)]
    );
    assert_eq!(
        ids(Filter {
            user: Some(UserKey::parse("2")),
            ..Filter::default()
        }),
        vec![id(1)]
    );
    assert_eq!(
        ids(Filter {
            since: Some(Utc::now() - Duration::hours(1)),
            ..Filter::default()
        }),
        vec![id(3), id(2)]
    );
    assert_eq!(
        ids(Filter {
            host: Some(format!("{HOST}/v1/")),
            limit: Some(2),
            ..Filter::default()
        }),
        vec![id(3), id(2)]
    );
}

#[test]
fn corrupt_lines_are_skipped_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::new(dir.path());
    let first = entry(1, "neda", HOST, 2);
    journal.append(&first).expect("appended");
    let mut file = crate::paths::open_private_append(&journal.path(0)).expect("open");
    std::io::Write::write_all(&mut file, b"{\"id\":\"torn\",\"ti\n\nnot json at all\n")
        .expect("written");
    let last = entry(2, "sara", HOST, 1);
    journal.append(&last).expect("appended");

    let found = journal.read(&Filter::default()).expect("read");
    let ids: Vec<&str> = found
        .entries
        .iter()
        .map(|entry| entry.id.as_str())
        .collect();
    assert_eq!(ids, vec![last.id.as_str(), first.id.as_str()]);
    assert_eq!(found.skipped, 2);
}

#[test]
fn rotation_keeps_the_last_files_and_reads_across_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::new(dir.path()).rotate_at(2_000, 2);
    let written: Vec<Entry> = (0..60)
        .map(|index| entry(index, "user", HOST, 60 - index))
        .collect();
    for each in &written {
        journal.append(each).expect("appended");
    }
    assert!(journal.path(1).exists() && journal.path(2).exists());
    assert!(!journal.path(3).exists(), "only two rotated files are kept");
    for generation in 0..=2 {
        let size = std::fs::metadata(journal.path(generation))
            .expect("metadata")
            .len();
        assert!(size <= 2_000, "file {generation} has {size} bytes");
    }
    let found = journal.read(&Filter::default()).expect("read");
    assert!(
        found.entries.len() < written.len(),
        "the oldest were dropped"
    );
    let newest: Vec<&str> = written
        .iter()
        .rev()
        .take(found.entries.len())
        .map(|entry| entry.id.as_str())
        .collect();
    let read: Vec<&str> = found
        .entries
        .iter()
        .map(|entry| entry.id.as_str())
        .collect();
    assert_eq!(read, newest, "newest first, none missing between files");
}

#[test]
fn an_id_is_found_whole_or_by_a_unique_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::new(dir.path());
    let mut first = entry(1, "neda", HOST, 2);
    first.id = "abc123xyz0".to_string();
    let mut second = entry(2, "sara", HOST, 1);
    second.id = "abd999xyz0".to_string();
    journal.append(&first).expect("appended");
    journal.append(&second).expect("appended");
    let found_id = |wanted: &str| match journal.find(wanted).expect("read") {
        Lookup::Found(entry) => Some(entry.id),
        _ => None,
    };
    assert_eq!(found_id("abc123xyz0").as_deref(), Some("abc123xyz0"));
    assert_eq!(found_id("abd").as_deref(), Some("abd999xyz0"));
    assert!(matches!(journal.find("ab").expect("read"), Lookup::Ambiguous(ids) if ids.len() == 2));
    assert!(matches!(
        journal.find("zzz").expect("read"),
        Lookup::Missing
    ));
}

#[test]
fn writers_at_once_never_mix_their_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::new(dir.path());
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let journal = &journal;
            scope.spawn(move || {
                for index in 0..200 {
                    let mut each = entry(writer * 1000 + index, "writer", HOST, 0);
                    each.detail = Some("x".repeat(2_000));
                    journal.append(&each).expect("appended");
                }
            });
        }
    });
    let found = journal.read(&Filter::default()).expect("read");
    assert_eq!(found.entries.len(), 800);
    assert_eq!(found.skipped, 0);
}

#[test]
fn a_secret_has_nowhere_to_go() {
    // Values are keyed by the field enumeration: a password key is not a field.
    let parsed: Result<Values, _> = serde_json::from_str(r#"{"password":"hunter2"}"#);
    assert!(parsed.is_err());
    let line = r#"{"id":"a","time":"2026-12-01T00:00:00Z","host":"h","tool":"cli","action":"set_password","changes":[{"user_id":1}],"outcome":"ok"}"#;
    let entry: Entry = serde_json::from_str(line).expect("a password change without values");
    assert_eq!(entry.action, Action::SetPassword);
}
