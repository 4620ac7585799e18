//! `--contention`: lists while others write, over HTTP against the real server.
//!
//! ```text
//! cargo bench --bench server -- --contention --users 100000 [--seconds 60] [--writers 6]
//!     [--readers 4] [--write-rate 240]
//! ```
//!
//! Seeds a file database, waits for the in-memory columns, then runs writers (status and role
//! changes, renames that move users in the sort orders, last-name changes, deletes, a few
//! creates; `--write-rate` writes a second in all, 0 for as fast as they go) beside readers
//! (`status=…` or `role = '…'`, sorted by username, last_name, created_at or id, either way,
//! at any skip up to the last page, and counts). Every page must match its filter by its own
//! rows, be in the asked order and hold no id twice; no request may fail (a write to a user
//! deleted meanwhile may answer 404). Once the writers stop, every filter's count must equal
//! SQLite's `count(*)` on the database file. Prints the tallies and the list latencies.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use geobox_api::{Secret, obfuscate_password};
use geobox_server::ServerOptions;
use serde_json::{Value, json};

use super::{Client, ms, sign_in};

/// The run, as the command line gives it.
pub struct Settings {
    pub users: u64,
    pub seconds: u64,
    pub writers: usize,
    pub readers: usize,
    /// Writes a second in all; 0: as fast as the writers go.
    pub write_rate: u64,
}

/// A filter readers ask for: its label, its query (URL-encoded), and the same test on a row.
struct Filter {
    label: &'static str,
    query: &'static str,
    sql: &'static str,
    matches: fn(&Value) -> bool,
}

const FILTERS: &[Filter] = &[
    Filter {
        label: "status=Active",
        query: "status=Active",
        sql: "status = 'Active'",
        matches: |row| row["status"] == "Active",
    },
    Filter {
        label: "status=Disabled",
        query: "status=Disabled",
        sql: "status = 'Disabled'",
        matches: |row| row["status"] == "Disabled",
    },
    Filter {
        label: "status=Pending",
        query: "status=Pending",
        sql: "status = 'Pending'",
        matches: |row| row["status"] == "Pending",
    },
    Filter {
        label: "role = 'Viewer'",
        query: "q=role+%3D+%27Viewer%27",
        sql: "role = 'Viewer'",
        matches: |row| row["role"] == "Viewer",
    },
    Filter {
        label: "role = 'Publisher'",
        query: "q=role+%3D+%27Publisher%27",
        sql: "role = 'Publisher'",
        matches: |row| row["role"] == "Publisher",
    },
    Filter {
        label: "role = 'Editor' AND status = 'Active'",
        query: "q=role+%3D+%27Editor%27+AND+status+%3D+%27Active%27",
        sql: "role = 'Editor' AND status = 'Active'",
        matches: |row| row["role"] == "Editor" && row["status"] == "Active",
    },
];

const SORTS: &[&str] = &["username", "last_name", "created_at", "id"];
const STATUSES: &[&str] = &["New", "Pending", "Active", "Disabled"];
const ROLES: &[&str] = &[
    "System Admin",
    "Account Admin",
    "Publisher",
    "Editor",
    "Viewer",
];
const PAGE: u64 = 50;

/// What the run met.
#[derive(Default)]
struct Tally {
    writes: AtomicU64,
    /// Writes to a user another writer had deleted: 404, as it should be.
    vanished: AtomicU64,
    /// Writes the server refused with a 4xx other than 404.
    refused: AtomicU64,
    failed: AtomicU64,
    pages: AtomicU64,
    counts: AtomicU64,
    off_filter: AtomicU64,
    out_of_order: AtomicU64,
    repeated: AtomicU64,
    page_ms: Mutex<Vec<f64>>,
    count_ms: Mutex<Vec<f64>>,
    /// The first few problems, in words.
    seen: Mutex<Vec<String>>,
}

impl Tally {
    fn note(&self, problem: String) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() < 15 {
            seen.push(problem);
        }
    }
}

/// A small xorshift generator: the bench needs no cryptographic randomness, and each task
/// its own reproducible stream.
struct Dice(u64);

impl Dice {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn letter(&mut self) -> char {
        char::from(b'a' + self.below(26) as u8)
    }
}

pub async fn run(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("contention.sqlite");
    eprintln!("seeding {} users…", settings.users);
    let server = geobox_server::start(ServerOptions {
        db: Some(db.clone()),
        seed_users: settings.users,
        admin_password: Some(Secret::new("bench-password")),
        ..ServerOptions::default()
    })
    .await?;
    let client = Arc::new(sign_in(&server.base_url, "bench-password").await?);
    let (_, me) = client.send(reqwest::Method::GET, "users/me/", None).await?;
    let admin_id = me["id"].as_i64().unwrap_or(1);
    let started = Instant::now();
    while !server.columns_settled() && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "  in-memory columns made; {} writers, {} readers for {} s",
        settings.writers, settings.readers, settings.seconds
    );
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let highest = Arc::new(AtomicU64::new(settings.users + 1));
    let mut tasks = Vec::new();
    let per_writer = match settings.write_rate {
        0 => None,
        rate => Some(Duration::from_secs_f64(
            settings.writers as f64 / rate as f64,
        )),
    };
    for writer in 0..settings.writers {
        let (client, tally, stop, highest) = (
            Arc::clone(&client),
            Arc::clone(&tally),
            Arc::clone(&stop),
            Arc::clone(&highest),
        );
        tasks.push(tokio::spawn(async move {
            let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ (writer as u64 + 1));
            let mut next = Instant::now();
            let mut made = 0;
            while !stop.load(Ordering::Relaxed) {
                if let Some(every) = per_writer {
                    next += every;
                    tokio::time::sleep_until(next.into()).await;
                }
                made += 1;
                let unique = format!("{}-w{writer}-{made}", dice.letter());
                let write = random_write(&mut dice, &highest, admin_id, &unique);
                write_once(&client, &tally, &highest, write).await;
            }
        }));
    }
    for reader in 0..settings.readers {
        let (client, tally, stop) = (Arc::clone(&client), Arc::clone(&tally), Arc::clone(&stop));
        let users = settings.users;
        tasks.push(tokio::spawn(async move {
            let mut dice = Dice(0xD1B5_4A32_D192_ED03 ^ (reader as u64 + 1));
            let mut known = vec![users / 4; FILTERS.len()];
            while !stop.load(Ordering::Relaxed) {
                read_once(&client, &tally, &mut dice, &mut known).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(settings.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    let wrong_counts = counts_against_sql(&client, &db).await?;
    server.shutdown().await;
    print_tally(settings, &tally, &wrong_counts);
    Ok(())
}

/// A write of the mix: `(method, path, body)`.
fn random_write(
    dice: &mut Dice,
    highest: &AtomicU64,
    admin_id: i64,
    unique: &str,
) -> (reqwest::Method, String, Option<Value>) {
    let mut id = 1 + dice.below(highest.load(Ordering::Relaxed)) as i64;
    if id == admin_id {
        id += 1;
    }
    let put = |body: Value| (reqwest::Method::PUT, format!("users/{id}/"), Some(body));
    match dice.below(100) {
        0..30 => put(json!({ "status": dice.pick(STATUSES) })),
        30..50 => put(json!({ "role": dice.pick(ROLES) })),
        50..70 => put(json!({ "username": unique })),
        70..85 => {
            let last_name = format!("{}{}", dice.letter().to_ascii_uppercase(), dice.letter());
            put(json!({ "last_name": last_name }))
        }
        85..98 => (reqwest::Method::DELETE, format!("users/{id}/"), None),
        _ => (
            reqwest::Method::POST,
            "users/".to_string(),
            Some(json!({
                "username": unique,
                "email": format!("{unique}@example.ir"),
                "password": obfuscate_password("Contention-Pass-1"),
            })),
        ),
    }
}

async fn write_once(
    client: &Client,
    tally: &Tally,
    highest: &AtomicU64,
    (method, path, body): (reqwest::Method, String, Option<Value>),
) {
    let creates = method == reqwest::Method::POST;
    match client.request(method.clone(), &path, body.as_ref()).await {
        Ok((status, _, _)) if status.is_success() => {
            tally.writes.fetch_add(1, Ordering::Relaxed);
            if creates {
                highest.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok((status, _, _)) if status == reqwest::StatusCode::NOT_FOUND => {
            tally.vanished.fetch_add(1, Ordering::Relaxed);
        }
        Ok((status, _, answer)) if status.is_client_error() => {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            tally.note(format!("{method} {path}: {status} {answer}"));
        }
        Ok((status, _, answer)) => {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            tally.note(format!("{method} {path}: {status} {answer}"));
        }
        Err(error) => {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            tally.note(format!("{method} {path}: {error}"));
        }
    }
}

/// One list or count, checked.
async fn read_once(client: &Client, tally: &Tally, dice: &mut Dice, known: &mut [u64]) {
    let at = dice.below(FILTERS.len() as u64) as usize;
    let filter = &FILTERS[at];
    if dice.below(6) == 0 {
        let path = format!("users/?f=json&{}&return_count=True", filter.query);
        tally.counts.fetch_add(1, Ordering::Relaxed);
        match client.request(reqwest::Method::GET, &path, None).await {
            Ok((status, took, answer)) if status.is_success() => {
                known[at] = answer["count"].as_u64().unwrap_or(known[at]);
                push(&tally.count_ms, ms(took));
            }
            Ok((status, _, answer)) => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                tally.note(format!("count {}: {status} {answer}", filter.label));
            }
            Err(error) => {
                tally.failed.fetch_add(1, Ordering::Relaxed);
                tally.note(format!("count {}: {error}", filter.label));
            }
        }
        return;
    }
    let column = *dice.pick(SORTS);
    let descending = dice.below(2) == 0;
    let skip = match dice.below(4) {
        0 => 0,
        1 => dice.below(20_001.min(known[at] + 1)),
        _ => dice.below(known[at] + 1),
    };
    let path = format!(
        "users/?f=json&{}&order_by={column}+{}&skip={skip}&limit={PAGE}",
        filter.query,
        if descending { "D" } else { "A" }
    );
    tally.pages.fetch_add(1, Ordering::Relaxed);
    let what = format!(
        "{} by {column} {} skip {skip}",
        filter.label,
        if descending { "D" } else { "A" }
    );
    let rows = match client.request(reqwest::Method::GET, &path, None).await {
        Ok((status, took, Value::Array(rows))) if status.is_success() => {
            push(&tally.page_ms, ms(took));
            rows
        }
        Ok((status, _, answer)) => {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            tally.note(format!("{what}: {status} {answer}"));
            return;
        }
        Err(error) => {
            tally.failed.fetch_add(1, Ordering::Relaxed);
            tally.note(format!("{what}: {error}"));
            return;
        }
    };
    if let Some(row) = rows.iter().find(|row| !(filter.matches)(row)) {
        tally.off_filter.fetch_add(1, Ordering::Relaxed);
        tally.note(format!(
            "{what}: user {} is {} / {}",
            row["id"], row["status"], row["role"]
        ));
    }
    let mut ids: Vec<i64> = rows.iter().filter_map(|row| row["id"].as_i64()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|pair| pair[0] == pair[1]) {
        tally.repeated.fetch_add(1, Ordering::Relaxed);
        tally.note(format!("{what}: an id twice"));
    }
    let keys: Vec<(Option<String>, i64)> = rows.iter().map(|row| sort_key(row, column)).collect();
    if let Some(pair) = keys
        .windows(2)
        .find(|pair| (pair[0] < pair[1]) == descending)
    {
        tally.out_of_order.fetch_add(1, Ordering::Relaxed);
        tally.note(format!("{what}: {:?} then {:?}", pair[0], pair[1]));
    }
}

/// A row's place in `column`'s order as SQLite sorts it: NULL first, username without regard
/// to ASCII case, ties by id.
fn sort_key(row: &Value, column: &str) -> (Option<String>, i64) {
    let text = row[column].as_str().map(str::to_string);
    let key = match column {
        "username" => text.map(|name| name.to_ascii_lowercase()),
        "id" => None,
        _ => text,
    };
    (key, row["id"].as_i64().unwrap_or(0))
}

fn push(samples: &Mutex<Vec<f64>>, sample: f64) {
    samples
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(sample);
}

/// Each filter's count over HTTP against `count(*)` on the database file, once the writes
/// are over: the mismatches.
async fn counts_against_sql(
    client: &Client,
    db: &std::path::Path,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let sql =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut wrong = Vec::new();
    for filter in FILTERS {
        let path = format!("users/?f=json&{}&return_count=True", filter.query);
        let (_, answer) = client.send(reqwest::Method::GET, &path, None).await?;
        let counted = answer["count"].as_i64().unwrap_or(-1);
        let expected: i64 = sql.query_row(
            &format!("SELECT count(*) FROM users WHERE {}", filter.sql),
            [],
            |row| row.get(0),
        )?;
        if counted != expected {
            wrong.push(format!(
                "{}: answered {counted}, count(*) {expected}",
                filter.label
            ));
        }
    }
    Ok(wrong)
}

fn percentile(samples: &Mutex<Vec<f64>>, share: f64) -> f64 {
    let mut samples = samples
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    samples.sort_by(f64::total_cmp);
    let at = ((samples.len() as f64 - 1.0) * share).round() as usize;
    samples.get(at).copied().unwrap_or(0.0)
}

fn print_tally(settings: &Settings, tally: &Tally, wrong_counts: &[String]) {
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let writes = load(&tally.writes);
    let problems = [
        ("failed requests", load(&tally.failed)),
        ("rows off the filter (pages)", load(&tally.off_filter)),
        ("pages out of order", load(&tally.out_of_order)),
        ("pages with an id twice", load(&tally.repeated)),
    ];
    println!(
        "\n### contention: {} users, {} writers ({}), {} readers, {} s, file database\n",
        settings.users,
        settings.writers,
        match settings.write_rate {
            0 => "as fast as they go".to_string(),
            rate => format!("{rate} writes/s asked"),
        },
        settings.readers,
        settings.seconds
    );
    println!(
        "- writes: {writes} done ({:.0} a second), {} to users already deleted (404), {} refused",
        writes as f64 / settings.seconds as f64,
        load(&tally.vanished),
        load(&tally.refused)
    );
    println!(
        "- lists: {} pages, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} counts, p50 {:.1} ms, \
         p99 {:.1} ms",
        load(&tally.pages),
        percentile(&tally.page_ms, 0.5),
        percentile(&tally.page_ms, 0.99),
        percentile(&tally.page_ms, 1.0),
        load(&tally.counts),
        percentile(&tally.count_ms, 0.5),
        percentile(&tally.count_ms, 0.99)
    );
    for (name, number) in problems {
        println!("- {name}: {number}");
    }
    println!(
        "- counts afterwards equal to count(*): {} of {}",
        FILTERS.len() - wrong_counts.len(),
        FILTERS.len()
    );
    for wrong in wrong_counts {
        println!("  - {wrong}");
    }
    let seen = tally.seen.lock().unwrap_or_else(PoisonError::into_inner);
    if !seen.is_empty() {
        println!("- the first problems:");
        for problem in seen.iter() {
            println!("  - {problem}");
        }
    }
    let holds = problems.iter().all(|(_, number)| *number == 0) && wrong_counts.is_empty();
    println!(
        "- every answer consistent: {}",
        if holds { "holds" } else { "falls short" }
    );
}
