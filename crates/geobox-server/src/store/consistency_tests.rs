//! Lists and counts while others write: every page is one consistent answer.
//!
//! Writer threads change statuses and roles, rename users (which moves them in the sort
//! orders), delete and create users; reader threads list and count meanwhile. The writers
//! keep a rhythm so that every way of answering is met all through the run: writes with now
//! and then a bulk change of a hundred users (the in-memory columns go stale, lists read
//! SQLite), a pause (the columns are made), then writes the columns follow by a patch (lists
//! read the columns). Every page must hold only users matching its filter by their own fields,
//! in the asked order, no id twice, and no request may fail; once the writers stop, every
//! count equals SQLite's `count(*)`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{
    NewUserRecord, Store, USER_FIELDS, UserListing, UserRow, UsersFullText, count_users,
    delete_user, insert_user, list_users, update_user,
};
use crate::cql;
use crate::error::ServerResult;
use crate::validate::UserFields;
use geobox_api::{UserRole, UserStatus};

/// One write, as the routes make it.
#[derive(Clone, Debug)]
pub(super) enum Write {
    Status(i64, UserStatus),
    Role(i64, UserRole),
    Rename(i64, String),
    LastName(i64, Option<String>),
    Delete(i64),
    /// A username and a creation date.
    Create(String, String),
    /// The status of a hundred users from this id on, in one transaction.
    Bulk(i64, UserStatus),
}

const STATUSES: [UserStatus; 4] = [
    UserStatus::New,
    UserStatus::Pending,
    UserStatus::Active,
    UserStatus::Disabled,
];
const ROLES: [UserRole; 5] = [
    UserRole::SystemAdmin,
    UserRole::AccountAdmin,
    UserRole::Publisher,
    UserRole::Editor,
    UserRole::Viewer,
];

impl Write {
    /// A write of the mix admins make: mostly status and role changes and renames, some
    /// deletes, a few creates; with `bulk`, now and then a change of a hundred users at once
    /// (too many for the in-memory columns to follow by a patch). `unique` makes names no
    /// other write uses.
    pub(super) fn random(rng: &mut SmallRng, highest_id: i64, unique: &str, bulk: bool) -> Write {
        let id = rng.random_range(1..=highest_id.max(1));
        let letter = |rng: &mut SmallRng| char::from(b'a' + rng.random_range(0..26u8));
        let status = |rng: &mut SmallRng| STATUSES[rng.random_range(0..STATUSES.len())].clone();
        if bulk && rng.random_range(0..50) == 0 {
            return Write::Bulk(id, status(rng));
        }
        match rng.random_range(0..100) {
            0..30 => Write::Status(id, status(rng)),
            30..50 => Write::Role(id, ROLES[rng.random_range(0..ROLES.len())].clone()),
            50..70 => Write::Rename(id, format!("{}{unique}", letter(rng))),
            70..85 => Write::LastName(
                id,
                (rng.random_range(0..8) > 0)
                    .then(|| format!("{}{}", letter(rng).to_ascii_uppercase(), letter(rng))),
            ),
            85..95 => Write::Delete(id),
            _ => Write::Create(
                format!("{}{unique}", letter(rng)),
                format!(
                    "20{:02}-{:02}-{:02}T12:00:00Z",
                    rng.random_range(20..27),
                    rng.random_range(1..13),
                    rng.random_range(1..29)
                ),
            ),
        }
    }

    /// Applies the write as its route does (a create and an update in one transaction).
    pub(super) fn apply(&self, store: &Store) -> ServerResult<()> {
        let update = |id: i64, fields: UserFields| {
            store.transaction_blocking(|tx| Ok(update_user(tx, id, &fields)?))
        };
        match self {
            Write::Status(id, status) => update(
                *id,
                UserFields {
                    status: Some(status.clone()),
                    ..UserFields::default()
                },
            ),
            Write::Role(id, role) => update(
                *id,
                UserFields {
                    role: Some(role.clone()),
                    ..UserFields::default()
                },
            ),
            Write::Rename(id, username) => update(
                *id,
                UserFields {
                    username: Some(username.clone()),
                    ..UserFields::default()
                },
            ),
            Write::LastName(id, last_name) => update(
                *id,
                UserFields {
                    last_name: Some(last_name.clone()),
                    ..UserFields::default()
                },
            ),
            Write::Delete(id) => store.write_blocking(|conn| Ok(delete_user(conn, *id).map(drop)?)),
            Write::Create(username, created_at) => store.transaction_blocking(|tx| {
                let user = NewUserRecord {
                    created_at: created_at.clone(),
                    ..NewUserRecord::example(username)
                };
                insert_user(tx, &user)?;
                Ok(())
            }),
            Write::Bulk(first, status) => store.transaction_blocking(|tx| {
                let fields = UserFields {
                    status: Some(status.clone()),
                    ..UserFields::default()
                };
                for id in *first..*first + 100 {
                    update_user(tx, id, &fields)?;
                }
                Ok(())
            }),
        }
    }
}

/// A filter readers ask for, and the same test on a row's own fields.
pub(super) struct Filter {
    pub(super) label: &'static str,
    pub(super) listing: UserListing,
    pub(super) matches: fn(&UserRow) -> bool,
}

pub(super) fn filters() -> Vec<Filter> {
    let cql = |text: &str| UserListing {
        filter: Some(cql::compile(text, USER_FIELDS, &UsersFullText).expect("compiles")),
        ..UserListing::default()
    };
    let status = |status: &str| UserListing {
        status: Some(status.to_string()),
        ..UserListing::default()
    };
    vec![
        Filter {
            label: "none",
            listing: UserListing::default(),
            matches: |_| true,
        },
        Filter {
            label: "status=Active",
            listing: status("Active"),
            matches: |row| row.status == "Active",
        },
        Filter {
            label: "status=Disabled",
            listing: status("Disabled"),
            matches: |row| row.status == "Disabled",
        },
        Filter {
            label: "role = 'Viewer'",
            listing: cql("role = 'Viewer'"),
            matches: |row| row.role == "Viewer",
        },
        Filter {
            label: "role = 'Publisher'",
            listing: cql("role = 'Publisher'"),
            matches: |row| row.role == "Publisher",
        },
        Filter {
            label: "role = 'Editor' AND status = 'Pending'",
            listing: cql("role = 'Editor' AND status = 'Pending'"),
            matches: |row| row.role == "Editor" && row.status == "Pending",
        },
    ]
}

/// The sorts readers ask for.
pub(super) const SORTS: &[&str] = &["id", "username", "last_name", "created_at"];

/// A row's place in `column`'s order as SQLite sorts it: NULL first, username without regard
/// to ASCII case, ties by id.
fn sort_key(row: &UserRow, column: &str) -> (Option<String>, i64) {
    let key = match column {
        "username" => Some(row.username.to_ascii_lowercase()),
        "last_name" => row.last_name.clone(),
        "created_at" => Some(row.created_at.clone()),
        _ => None,
    };
    (key, row.id)
}

/// What is wrong with `rows` as a page of `filter` sorted by `column`, if anything.
pub(super) fn page_faults(
    rows: &[UserRow],
    filter: &Filter,
    column: &str,
    descending: bool,
) -> Vec<String> {
    let mut faults = Vec::new();
    for row in rows {
        if !(filter.matches)(row) {
            faults.push(format!(
                "off the filter: user {} ({}, {})",
                row.id, row.status, row.role
            ));
        }
    }
    let mut ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        faults.push("an id twice".to_string());
    }
    for pair in rows.windows(2) {
        let (a, b) = (sort_key(&pair[0], column), sort_key(&pair[1], column));
        let in_order = if descending { a > b } else { a < b };
        if !in_order {
            faults.push(format!("out of order: {a:?} then {b:?}"));
        }
    }
    faults
}

/// Tallies of what readers met.
#[derive(Default)]
struct Tally {
    pages: AtomicU64,
    counts: AtomicU64,
    writes: AtomicU64,
    failed: AtomicU64,
    off_filter: AtomicU64,
    out_of_order: AtomicU64,
    repeated: AtomicU64,
    /// The first few problems, in words.
    seen: Mutex<Vec<String>>,
}

impl Tally {
    fn note(&self, problem: String) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() < 12 {
            seen.push(problem);
        }
    }
}

/// `writers` and `readers` threads on `store` for `run`; answers what went wrong.
fn contend(store: &Arc<Store>, writers: usize, readers: usize, run: Duration) -> Tally {
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let highest = store
        .read_blocking(
            |conn| Ok(conn.query_row("SELECT max(id) FROM users", [], |row| row.get(0))?),
        )
        .expect("reads");
    let highest = Arc::new(AtomicU64::new(highest));
    let started = Instant::now();
    let mut threads = Vec::new();
    for writer in 0..writers {
        let (store, tally, stop, highest) = (
            Arc::clone(store),
            Arc::clone(&tally),
            Arc::clone(&stop),
            Arc::clone(&highest),
        );
        threads.push(std::thread::spawn(move || {
            let mut rng = SmallRng::seed_from_u64(writer as u64 + 1);
            let mut made = 0;
            while !stop.load(Ordering::Relaxed) {
                let bulk = match started.elapsed().as_millis() % 1200 {
                    0..300 => true,
                    300..700 => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    _ => false,
                };
                made += 1;
                let highest_id = highest.load(Ordering::Relaxed) as i64;
                let unique = format!("-w{writer}-{made}");
                let write = Write::random(&mut rng, highest_id, &unique, bulk);
                match write.apply(&store) {
                    Ok(()) => {
                        if let Write::Create(..) = write {
                            highest.fetch_add(1, Ordering::Relaxed);
                        }
                        tally.writes.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(error) => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                        tally.note(format!("{write:?} failed: {error:?}"));
                    }
                }
            }
        }));
    }
    for reader in 0..readers {
        let (store, tally, stop) = (Arc::clone(store), Arc::clone(&tally), Arc::clone(&stop));
        threads.push(std::thread::spawn(move || {
            let mut rng = SmallRng::seed_from_u64(1000 + reader as u64);
            let filters = filters();
            let counts = store.counts();
            let mut known: Vec<u64> = vec![1000; filters.len()];
            while !stop.load(Ordering::Relaxed) {
                let at = rng.random_range(0..filters.len());
                let filter = &filters[at];
                if rng.random_range(0..5) == 0 {
                    let listing = filter.listing.clone();
                    match store.read_blocking(|conn| Ok(count_users(conn, &counts, &listing)?)) {
                        Ok(count) => known[at] = count,
                        Err(error) => {
                            tally.failed.fetch_add(1, Ordering::Relaxed);
                            tally.note(format!("count {} failed: {error:?}", filter.label));
                        }
                    }
                    tally.counts.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let column = SORTS[rng.random_range(0..SORTS.len())];
                let descending = rng.random_bool(0.5);
                let skip = match rng.random_range(0..4) {
                    0 => 0,
                    1 => rng.random_range(0..=known[at].min(200)),
                    _ => rng.random_range(0..=known[at]),
                };
                let listing = UserListing {
                    order_by: vec![(column, descending)],
                    skip,
                    limit: 50,
                    ..filter.listing.clone()
                };
                let page = store.read_blocking(|conn| Ok(list_users(conn, &counts, &listing)?));
                tally.pages.fetch_add(1, Ordering::Relaxed);
                let rows = match page {
                    Ok(rows) => rows,
                    Err(error) => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                        tally.note(format!(
                            "{} by {column} (descending: {descending}) skip {skip} failed: \
                             {error:?}",
                            filter.label
                        ));
                        continue;
                    }
                };
                for fault in page_faults(&rows, filter, column, descending) {
                    let counter = if fault.starts_with("off") {
                        &tally.off_filter
                    } else if fault.starts_with("out") {
                        &tally.out_of_order
                    } else {
                        &tally.repeated
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tally.note(format!(
                        "{} by {column} (descending: {descending}) skip {skip}: {fault}",
                        filter.label
                    ));
                }
            }
        }));
    }
    std::thread::sleep(run);
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().expect("no thread panics");
    }
    Arc::into_inner(tally).expect("every thread is done")
}

/// Every filter's count as the store answers it, against SQLite's `count(*)` of the same
/// test made on each row.
fn counts_against_sql(store: &Store) -> Vec<String> {
    let counts = store.counts();
    let rows = store
        .read_blocking(|conn| {
            let mut statement =
                conn.prepare(&format!("SELECT {} FROM users", super::users::USER_COLUMNS))?;
            let rows = statement.query_map([], super::users::user_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<UserRow>>>()?)
        })
        .expect("reads every user");
    let mut wrong = Vec::new();
    for filter in filters() {
        let expected = rows.iter().filter(|row| (filter.matches)(row)).count() as u64;
        let listing = filter.listing.clone();
        let counted = store
            .read_blocking(|conn| Ok(count_users(conn, &counts, &listing)?))
            .expect("counts");
        if counted != expected {
            wrong.push(format!(
                "{}: counted {counted}, count(*) {expected}",
                filter.label
            ));
        }
    }
    wrong
}

fn seeded(path: Option<&std::path::Path>, users: u64) -> Arc<Store> {
    let store = Store::open(path).expect("opens");
    store
        .write_blocking(|conn| Ok(crate::seed::seed(conn, users, 7, "hash")?))
        .expect("seeds");
    store.keep_columns_in_memory();
    let started = Instant::now();
    while !store.columns_settled() {
        assert!(started.elapsed() < Duration::from_secs(60), "columns made");
        std::thread::sleep(Duration::from_millis(5));
    }
    Arc::new(store)
}

fn assert_consistent(store: &Arc<Store>, what: &str) {
    let tally = contend(store, 4, 4, Duration::from_secs(3));
    let pages = tally.pages.load(Ordering::Relaxed);
    let writes = tally.writes.load(Ordering::Relaxed);
    let problems = [
        ("failed requests", tally.failed.load(Ordering::Relaxed)),
        (
            "rows off the filter",
            tally.off_filter.load(Ordering::Relaxed),
        ),
        (
            "pages out of order",
            tally.out_of_order.load(Ordering::Relaxed),
        ),
        ("ids repeated", tally.repeated.load(Ordering::Relaxed)),
    ];
    let wrong_counts = counts_against_sql(store);
    let seen = tally
        .seen
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let summary = format!(
        "{what}: {pages} pages, {} counts, {writes} writes; {}",
        tally.counts.load(Ordering::Relaxed),
        problems
            .iter()
            .map(|(name, number)| format!("{number} {name}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    #[allow(
        clippy::disallowed_macros,
        reason = "the tallies of a passing run, for whoever runs it with --nocapture"
    )]
    {
        eprintln!("{summary}");
    }
    assert!(pages > 100 && writes > 100, "{summary}");
    assert!(
        problems.iter().all(|(_, number)| *number == 0) && wrong_counts.is_empty(),
        "{summary}\n{}\n{}",
        seen.join("\n"),
        wrong_counts.join("\n")
    );
}

#[test]
fn every_page_is_one_consistent_answer_while_others_write_to_a_file_database() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = seeded(Some(&dir.path().join("users.sqlite")), 5_000);
    assert_consistent(&store, "file database");
}

#[test]
fn every_page_is_one_consistent_answer_while_others_write_in_memory() {
    let store = seeded(None, 5_000);
    assert_consistent(&store, "in-memory database");
}

/// The same random writes to a store whose lists use the in-memory columns (patched by each
/// write, or made anew at once when one could not be) and to one that reads SQLite only: after each
/// write every filter's count, and a page of every filter in every sort at a random skip,
/// are the same in both.
#[test]
fn the_columns_answer_as_sqlite_does_after_every_write() {
    use super::planner::tests::{SORTS, filters};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (plain_path, columned_path) = (
        dir.path().join("plain.sqlite"),
        dir.path().join("columned.sqlite"),
    );
    let seeded = Store::open(Some(&plain_path)).expect("opens");
    seeded
        .write_blocking(|conn| Ok(crate::seed::seed(conn, 3_000, 11, "hash")?))
        .expect("seeds");
    seeded.close();
    std::fs::copy(&plain_path, &columned_path).expect("copies");
    let plain = Store::open(Some(&plain_path)).expect("opens");
    let columned = Store::open(Some(&columned_path)).expect("opens");
    let (plain_counts, columned_counts) = (plain.counts(), columned.counts());
    let filters = filters();
    let mut rng = SmallRng::seed_from_u64(20);
    let mut highest: i64 = 3_000;
    let mut failures = Vec::new();
    let mut patched = 0;
    for step in 0..60 {
        let write = Write::random(&mut rng, highest, &format!("-d{step}"), true);
        if let Write::Create(..) = write {
            highest += 1;
        }
        write.apply(&plain).expect("writes");
        write.apply(&columned).expect("writes");
        // Columns for the data as it is: patched in by the write, or made now.
        let generation = columned_counts.now();
        if columned_counts.columns().current(generation).is_none() {
            let reading = columned
                .read_blocking(|conn| {
                    Ok(super::columns::Columns::read(
                        conn,
                        columned_counts.generation(),
                        generation,
                    )?)
                })
                .expect("reads the columns");
            let super::columns::Reading::Made(columns) = reading else {
                panic!("dense ids, and no other writer");
            };
            columned_counts.columns().set(generation, Some(columns));
        } else {
            patched += 1;
        }
        for (label, filter) in &filters {
            let counted = |store: &Store, counts: &Arc<super::CountCache>| {
                store
                    .read_blocking(|conn| Ok(count_users(conn, counts, filter)?))
                    .expect("counts")
            };
            let matches = counted(&plain, &plain_counts);
            let columned_matches = counted(&columned, &columned_counts);
            if matches != columned_matches {
                failures.push(format!(
                    "after {write:?}: {label}: count {columned_matches}, SQLite {matches}"
                ));
            }
            for (sort, descending) in SORTS {
                let listing = UserListing {
                    order_by: vec![(sort, *descending)],
                    skip: rng.random_range(0..=matches),
                    limit: 40,
                    ..filter.clone()
                };
                let ids = |store: &Store, counts: &Arc<super::CountCache>| -> Vec<i64> {
                    store
                        .read_blocking(|conn| Ok(list_users(conn, counts, &listing)?))
                        .expect("lists")
                        .iter()
                        .map(|row| row.id)
                        .collect()
                };
                let (expected, got) =
                    (ids(&plain, &plain_counts), ids(&columned, &columned_counts));
                if expected != got {
                    failures.push(format!(
                        "after {write:?}: {label} by {sort} (descending: {descending}) skip {}: \
                         {:?}.., SQLite {:?}..",
                        listing.skip,
                        &got[..got.len().min(4)],
                        &expected[..expected.len().min(4)]
                    ));
                }
            }
        }
    }
    assert!(patched >= 40, "writes patched in: {patched} of 60");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
