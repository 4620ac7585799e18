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
    let journal = JsonLines::new(dir.path());
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
            deployment: Some(Deployment::server(&format!("{HOST}/v1/"))),
            limit: Some(2),
            ..Filter::default()
        }),
        vec![id(3), id(2)]
    );
}

#[test]
fn corrupt_lines_are_skipped_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
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
    let journal = JsonLines::new(dir.path()).rotate_at(2_000, 2);
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
    let journal = JsonLines::new(dir.path());
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
    let journal = JsonLines::new(dir.path());
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

fn ids_of(journal: &JsonLines, filter: &Filter) -> Vec<String> {
    journal
        .read(filter)
        .expect("read")
        .entries
        .into_iter()
        .map(|entry| entry.id)
        .collect()
}

#[test]
fn a_torn_last_line_never_swallows_the_next_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let first = entry(1, "neda", HOST, 3);
    journal.append(&first).expect("appended");
    // A crash (or a full disk) in the middle of the next write: half a line, no newline.
    let mut file = crate::paths::open_private_append(&journal.path(0)).expect("open");
    std::io::Write::write_all(&mut file, br#"{"id":"torn","time":"2026-12-01T00:0"#)
        .expect("written");
    let next = entry(2, "sara", HOST, 1);
    journal.append(&next).expect("appended");

    let found = journal.read(&Filter::default()).expect("read");
    let ids: Vec<&str> = found.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec![next.id.as_str(), first.id.as_str()]);
    assert_eq!(found.skipped, 1, "the torn line alone is passed over");
    assert!(matches!(
        journal.find(&next.id).expect("read"),
        Lookup::Found(_)
    ));
}

#[test]
fn entries_written_with_other_spacing_are_listed_and_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let mut spaced = entry(7, "neda", HOST, 2);
    spaced.id = "spaced0001".to_string();
    let text = serde_json::to_string_pretty(&spaced)
        .expect("json")
        .replace('\n', " ");
    std::fs::write(journal.path(0), format!("{text}\n")).expect("written");
    journal
        .append(&entry(8, "sara", HOST, 1))
        .expect("appended");

    let about = Filter {
        user: Some(UserKey::Id(7)),
        ..Filter::default()
    };
    assert_eq!(ids_of(&journal, &about), vec!["spaced0001".to_string()]);
    match journal.find("spaced").expect("read") {
        Lookup::Found(found) => {
            assert_eq!(found.changes[0].user_id, Some(7));
            let read_from = found.read_from.expect("where it was read");
            assert_eq!(read_from.store, "journal.jsonl");
            assert_eq!(read_from.seal, Seal::Missing, "not written by this tool");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_entry_changed_after_it_was_written_no_longer_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let mut promote = entry(4, "viewer.one", HOST, 2);
    promote.changes[0] = promote.changes[0].clone().values(
        Values(
            [(Field::Role, serde_json::json!("Viewer"))]
                .into_iter()
                .collect(),
        ),
        Values(
            [(Field::Role, serde_json::json!("Editor"))]
                .into_iter()
                .collect(),
        ),
    );
    journal.append(&promote).expect("appended");
    let seal_of = |id: &str| match journal.find(id).expect("read") {
        Lookup::Found(entry) => entry.read_from.expect("read from").seal,
        other => panic!("{other:?}"),
    };
    assert_eq!(seal_of(&promote.id), Seal::Verified);

    let text = std::fs::read_to_string(journal.path(0)).expect("the journal");
    let edited = text.replacen("\"Viewer\"", "\"System Admin\"", 1);
    assert_ne!(text, edited);
    std::fs::write(journal.path(0), edited).expect("edited by hand");
    assert_eq!(seal_of(&promote.id), Seal::Broken);
}

#[test]
fn an_undone_entry_is_known_as_undone_when_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let first = entry(1, "neda", HOST, 3);
    journal.append(&first).expect("appended");
    let mut undo = entry(1, "neda", HOST, 1);
    undo.undoes = Some(first.id.clone());
    undo.by = Some("admin".to_string());
    journal.append(&undo).expect("appended");

    let found = journal.read(&Filter::default()).expect("read").entries;
    assert_eq!(found[0].undone, None, "the undo itself is not undone");
    let undone = found[1].undone.as_ref().expect("marked");
    assert_eq!(undone.entry, undo.id);
    assert_eq!(undone.by.as_deref(), Some("admin"));
    assert!(undone.whole);
    match journal.find(&first.id).expect("read") {
        Lookup::Found(entry) => assert_eq!(entry.undone.as_ref(), Some(undone)),
        other => panic!("{other:?}"),
    }
    // What reading knows is never written back as part of an entry.
    let mut reread = found[1].clone();
    reread.id = "rewritten0".to_string();
    journal.append(&reread).expect("appended");
    let text = std::fs::read_to_string(journal.path(0)).expect("the journal");
    assert!(
        !text.contains("\"undone\"") && !text.contains("\"read_from\""),
        "{text}"
    );
}

#[test]
fn the_demos_entries_stay_its_own_across_restarts_and_older_ones_are_matched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let mut legacy = entry(1, "neda", "http://127.0.0.1:41234/v1/", 5);
    legacy.tool = Tool::Console;
    journal.append(&legacy).expect("appended");
    let mut today = entry(2, "sara", "http://127.0.0.1:50000/v1/", 1);
    today.tool = Tool::Console;
    today.place(&Deployment::Demo, "http://127.0.0.1:50000/v1/");
    journal.append(&today).expect("appended");
    journal.append(&entry(3, "ali", HOST, 0)).expect("appended");

    let on = |deployment: Deployment| Filter {
        deployment: Some(deployment),
        ..Filter::default()
    };
    assert_eq!(
        ids_of(&journal, &on(Deployment::Demo)),
        vec![today.id.clone(), legacy.id.clone()]
    );
    assert!(
        ids_of(&journal, &on(Deployment::server("http://127.0.0.1:50000"))).is_empty(),
        "today's demo entry names the demo, not its port"
    );
}

#[test]
fn a_brief_scan_hands_out_entries_one_by_one_and_stops_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let mut bulk = entry(1, "first", HOST, 2);
    bulk.changes
        .extend((2..=5_000).map(|id| UserChange::new(Some(id), None)));
    journal.append(&bulk).expect("appended");
    for index in 0..5 {
        journal
            .append(&entry(10 + index, "later", HOST, 1))
            .expect("appended");
    }
    let mut seen: Vec<(String, usize)> = Vec::new();
    let scanned = journal
        .scan::<Sample>(&Filter::default(), |brief| {
            seen.push((brief.id, brief.changes.count));
            if seen.len() == 6 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        })
        .expect("scanned");
    assert_eq!(scanned.skipped, 0);
    assert_eq!(seen.len(), 6);
    assert_eq!(seen[5], (bulk.id.clone(), 5_000));
}

#[test]
fn a_user_is_found_however_the_line_spells_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = JsonLines::new(dir.path());
    let lines = [
        r#"{"id":"escaped001","time":"2026-12-01T00:00:00Z","host":"h","tool":"cli","action":"update","changes":[{"user_id":5,"username":"ne\u0064a"}],"outcome":"ok"}"#,
        r#"{ "id" : "spaced0002" , "time" : "2026-12-01T00:00:01Z" , "host" : "h" , "tool" : "cli" , "action" : "update" , "changes" : [ { "user_id" : 42 , "username" : "Sara" } ] , "outcome" : "ok" }"#,
        r#"{"id":"other00003","time":"2026-12-01T00:00:02Z","host":"h","tool":"cli","action":"update","changes":[{"user_id":420,"username":"saran"}],"outcome":"ok"}"#,
    ];
    std::fs::write(journal.path(0), lines.join("\n")).expect("written");
    let about = |user: &str| Filter {
        user: Some(UserKey::parse(user)),
        ..Filter::default()
    };
    assert_eq!(
        ids_of(&journal, &about("NEDA")),
        vec!["escaped001".to_string()]
    );
    assert_eq!(
        ids_of(&journal, &about("42")),
        vec!["spaced0002".to_string()]
    );
    assert_eq!(
        ids_of(&journal, &about("sara")),
        vec!["spaced0002".to_string()]
    );
    assert!(matches!(
        journal.find("escaped").expect("read"),
        Lookup::Found(_)
    ));
    assert!(matches!(
        journal.find("spaced0002").expect("read"),
        Lookup::Found(_)
    ));
}
