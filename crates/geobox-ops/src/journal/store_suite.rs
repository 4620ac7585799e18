//! One suite for every store: each test is a function over [`JournalStore`], run against the
//! local store and against the team store on a throwaway PostgreSQL server.

use std::ops::ControlFlow;
use std::sync::Barrier;

use chrono::{Duration, Utc};

use super::*;
use crate::test_postgres;

const HOST: &str = "http://127.0.0.1:8080";

fn entry(user_id: i64, username: &str, minutes_ago: i64) -> Entry {
    let mut entry = Entry::new("", Tool::Cli, Action::Update, Outcome::Ok);
    entry.place(&Deployment::server(HOST), HOST);
    entry.time = Utc::now() - Duration::minutes(minutes_ago);
    entry.by = Some("admin".to_string());
    entry
        .changes
        .push(UserChange::new(Some(user_id), Some(username.to_string())));
    entry
}

fn ids(store: &dyn JournalStore, filter: &Filter) -> Vec<String> {
    let mut ids = Vec::new();
    store
        .scan_briefs(filter, &mut |brief| {
            ids.push(brief.id);
            ControlFlow::Continue(())
        })
        .expect("scanned");
    ids
}

fn found(store: &dyn JournalStore, id: &str) -> Entry {
    match store.find(id).expect("looked up") {
        Lookup::Found(entry) => *entry,
        other => panic!("{id}: {other:?}"),
    }
}

/// Runs `test` on a local store, then on a team store (when PostgreSQL is here).
fn on_every_store(test: impl Fn(&dyn JournalStore)) {
    let dir = tempfile::tempdir().expect("tempdir");
    test(&LocalStore::new(dir.path().to_path_buf()));
    if let Some(server) = test_postgres::shared() {
        let dir = tempfile::tempdir().expect("tempdir");
        let team = TeamJournal::parse(&server.database(), None).expect("the test URL");
        let store = team::TeamStore::new(team, dir.path().to_path_buf()).expect("a team store");
        test(&store);
        assert_eq!(
            store.share().waiting,
            0,
            "everything reached the team journal"
        );
    }
}

#[test]
fn entries_come_back_newest_first_and_filtered() {
    on_every_store(|store| {
        let mut other = entry(2, "sara", 120);
        other.place(&Deployment::server("http://other:1"), "http://other:1");
        other.by = Some("Reza".to_string());
        let written = [
            entry(1, "neda", 300),
            other,
            entry(1, "Neda", 30),
            entry(3, "ali", 5),
        ];
        for each in &written {
            store.append(each).expect("appended");
        }
        let id = |index: usize| written[index].id.clone();
        assert_eq!(ids(store, &Filter::default()), [id(3), id(2), id(1), id(0)]);
        let about = |user: &str| Filter {
            user: Some(UserKey::parse(user)),
            ..Filter::default()
        };
        assert_eq!(ids(store, &about("NEDA")), [id(2), id(0)]);
        assert_eq!(ids(store, &about("2")), [id(1)]);
        assert!(ids(store, &about("4")).is_empty());
        let since = Filter {
            since: Some(Utc::now() - Duration::hours(1)),
            ..Filter::default()
        };
        assert_eq!(ids(store, &since), [id(3), id(2)]);
        let on_host = Filter {
            deployment: Some(Deployment::server(&format!("{HOST}/v1/"))),
            limit: Some(2),
            ..Filter::default()
        };
        assert_eq!(ids(store, &on_host), [id(3), id(2)]);
        let by_reza = Filter {
            by: Some("reza".to_string()),
            ..Filter::default()
        };
        assert_eq!(ids(store, &by_reza), [id(1)]);
    });
}

#[test]
fn an_entry_comes_back_whole_with_who_and_where() {
    on_every_store(|store| {
        let mut bulk = entry(1, "first", 2);
        bulk.action = Action::BulkUpdate;
        bulk.changes
            .extend((2..=5_000).map(|id| UserChange::new(Some(id), Some(format!("u{id}")))));
        store.append(&bulk).expect("appended");
        store.append(&bulk).expect("appended again, kept once");
        let back = found(store, &bulk.id);
        assert_eq!(back.changes, bulk.changes, "every user, in order");
        assert_eq!(back.by.as_deref(), Some("admin"));
        assert_eq!(back.machine, hostname(), "the machine is stamped when kept");
        assert!(back.read_from.expect("read from").seal.verified());

        let mut briefs = Vec::new();
        store
            .scan_briefs(&Filter::default(), &mut |brief| {
                briefs.push(brief);
                ControlFlow::Continue(())
            })
            .expect("scanned");
        assert_eq!(briefs.len(), 1);
        assert_eq!(briefs[0].changes.count, 5_000);
        assert_eq!(briefs[0].changes.first.as_ref(), bulk.changes.first());
        let about = Filter {
            user: Some(UserKey::parse("u4321")),
            ..Filter::default()
        };
        assert_eq!(ids(store, &about), [bulk.id.clone()]);
    });
}

#[test]
fn ids_are_found_whole_or_by_a_unique_start() {
    on_every_store(|store| {
        let mut first = entry(1, "neda", 2);
        first.id = "abc123xyz0".to_string();
        let mut second = entry(2, "sara", 1);
        second.id = "abd999xyz0".to_string();
        store.append(&first).expect("appended");
        store.append(&second).expect("appended");
        assert_eq!(found(store, "abc123xyz0").id, "abc123xyz0");
        assert_eq!(found(store, "abd").id, "abd999xyz0");
        assert!(
            matches!(store.find("ab").expect("read"), Lookup::Ambiguous(ids) if ids.len() == 2)
        );
        assert!(matches!(store.find("zzz").expect("read"), Lookup::Missing));
        assert!(matches!(store.find("a%").expect("read"), Lookup::Missing));
    });
}

#[test]
fn an_undo_marks_the_entry_it_undid_with_when_and_by_whom() {
    on_every_store(|store| {
        let target = entry(1, "neda", 5);
        store.append(&target).expect("appended");
        let mut partly = entry(1, "neda", 3);
        partly.undoes = Some(target.id.clone());
        partly.by = Some("reza".to_string());
        partly.skipped = vec![UserChange::new(Some(9), None)];
        store.append(&partly).expect("appended");
        let undone = found(store, &target.id).undone.expect("marked");
        assert_eq!(
            (undone.entry.as_str(), undone.whole),
            (partly.id.as_str(), false)
        );
        assert_eq!(undone.by.as_deref(), Some("reza"));

        let mut rest = entry(1, "neda", 1);
        rest.undoes = Some(target.id.clone());
        store.append(&rest).expect("appended");
        let undone = found(store, &target.id).undone.expect("marked");
        assert_eq!(
            (undone.entry.as_str(), undone.whole),
            (rest.id.as_str(), true)
        );
        assert_eq!(undone.time, rest.time);
        assert_eq!(
            found(store, &rest.id).undone,
            None,
            "the undo itself is not undone"
        );
    });
}

#[test]
fn of_two_undos_at_once_exactly_one_may_go_ahead() {
    on_every_store(|store| {
        let target = entry(1, "neda", 5);
        store.append(&target).expect("appended");
        let claims = [UndoClaim::new(Some("neda")), UndoClaim::new(Some("reza"))];
        let barrier = Barrier::new(2);
        let answers: Vec<Claimed> = std::thread::scope(|scope| {
            let racing: Vec<_> = claims
                .iter()
                .map(|claim| {
                    let barrier = &barrier;
                    let id = target.id.as_str();
                    scope.spawn(move || {
                        barrier.wait();
                        store.claim_undo(id, claim).expect("claimed or not")
                    })
                })
                .collect();
            racing
                .into_iter()
                .map(|one| one.join().expect("joined"))
                .collect()
        });
        let winners = answers
            .iter()
            .filter(|answer| **answer == Claimed::Yours)
            .count();
        assert_eq!(winners, 1, "{answers:?}");
        let loser = answers
            .iter()
            .find(|answer| **answer != Claimed::Yours)
            .expect("one lost");
        assert!(
            matches!(loser, Claimed::Busy { by, .. } if by.starts_with("neda@") || by.starts_with("reza@")),
            "{loser:?}"
        );
        let winner = &claims[usize::from(answers[0] != Claimed::Yours)];
        let loser_claim = &claims[usize::from(answers[0] == Claimed::Yours)];

        // The winner's writes all failed: it lets go, and the other may try.
        store.release_undo(&target.id, winner).expect("released");
        assert_eq!(
            store.claim_undo(&target.id, loser_claim).expect("claimed"),
            Claimed::Yours
        );
        let mut undo = entry(1, "neda", 0);
        undo.undoes = Some(target.id.clone());
        undo.by = Some("reza".to_string());
        store.append(&undo).expect("appended");
        match store.claim_undo(&target.id, winner).expect("answered") {
            Claimed::AlreadyUndone(undone) => {
                assert_eq!(undone.entry, undo.id);
                assert_eq!(undone.by.as_deref(), Some("reza"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            store.claim_undo("nosuchentry", winner).expect("answered"),
            Claimed::Missing
        );
    });
}

#[test]
fn a_claim_left_by_an_undo_that_never_finished_lapses() {
    on_every_store(|store| {
        let target = entry(1, "neda", 5);
        store.append(&target).expect("appended");
        let mut stale = UndoClaim::new(Some("gone"));
        stale.time -= Duration::minutes(CLAIM_LAPSES_AFTER_MINUTES + 1);
        assert_eq!(
            store.claim_undo(&target.id, &stale).expect("claimed"),
            Claimed::Yours
        );
        let fresh = UndoClaim::new(Some("reza"));
        assert_eq!(
            store.claim_undo(&target.id, &fresh).expect("claimed"),
            Claimed::Yours
        );
        let again = UndoClaim::new(Some("neda"));
        assert!(matches!(
            store.claim_undo(&target.id, &again).expect("answered"),
            Claimed::Busy { .. }
        ));
    });
}

#[test]
fn a_scan_stops_when_asked_and_reads_entries_one_by_one() {
    on_every_store(|store| {
        for index in 0..20 {
            store
                .append(&entry(index, "user", 30 - index))
                .expect("appended");
        }
        let mut seen = 0;
        store
            .scan_entries(&Filter::default(), &mut |_| {
                seen += 1;
                if seen == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .expect("scanned");
        assert_eq!(seen, 3);
        let limited = Filter {
            limit: Some(7),
            ..Filter::default()
        };
        assert_eq!(ids(store, &limited).len(), 7);
    });
}
