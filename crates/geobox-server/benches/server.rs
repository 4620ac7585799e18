//! The embedded server at scale: seeds N users into a file database, then times every list
//! shape the console can ask for, end to end over HTTP on loopback.
//!
//! ```text
//! cargo bench --bench server -- --users 10000,100000,1000000 [--runs 5] [--keep DIR | --in-memory]
//!     [--no-memory-columns]
//! ```
//!
//! The server keeps users' statuses, roles and sort places in memory, made in the background
//! after a start and after each pause in the writes; the matrix starts once they are made, and
//! says how long that took. `--no-memory-columns` measures the server without them: what a
//! first ask costs in the half second after a write.
//!
//! `--contention` lists while others write instead (see `server/contention.rs`).
//!
//! Prints, per size: the matrix (filters x sorts x first / middle / last page of 50: the first
//! ask, then the median asked again, in ms), each filter's count (the same two), a few single
//! requests, the slowest shapes, and one line per target saying whether it holds, judged on
//! the first ask (what an admin meets), then on asking again.

#![allow(
    clippy::disallowed_macros,
    reason = "a bench prints its own figures for the person running it"
)]

// A module of this bench only: a directory without `main.rs` is not a bench target of its own.
#[path = "server/contention.rs"]
mod contention;

use std::time::{Duration, Instant};

use geobox_api::Secret;
use geobox_server::ServerOptions;
use serde_json::{Value, json};

/// The filters of the matrix: a label and the query parameters (already URL-encoded).
const FILTERS: &[(&str, &str)] = &[
    ("none", ""),
    ("status=Disabled", "status=Disabled"),
    ("status=Active", "status=Active"),
    ("q=role = 'Viewer'", "q=role+%3D+%27Viewer%27"),
    (
        "q=role = 'Editor' AND status = 'Active'",
        "q=role+%3D+%27Editor%27+AND+status+%3D+%27Active%27",
    ),
    (
        "q=created_at > DATE('2024-01-01')",
        "q=created_at+%3E+DATE%28%272024-01-01%27%29",
    ),
    (
        "q=username LIKE '%reza%'",
        "q=username+LIKE+%27%25reza%25%27",
    ),
    ("search=ali", "search=ali"),
    ("search=gmail&status=Active", "search=gmail&status=Active"),
    ("search=qqxqq (no match)", "search=qqxqq"),
];

const SORTS: &[(&str, &str)] = &[
    ("id A", "order_by=id+A"),
    ("username A", "order_by=username+A"),
    ("last_name D", "order_by=last_name+D"),
    ("created_at D", "order_by=created_at+D"),
    ("expiration_date A", "order_by=expiration_date+A"),
];

const PAGES: [&str; 3] = ["first", "middle", "last"];
const PAGE: u64 = 50;

/// Targets at a million users, in ms.
const FIRST_LAST_TARGET: f64 = 25.0;
const MIDDLE_TARGET: f64 = 100.0;
const COUNT_TARGET: f64 = 200.0;

struct Client {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl Client {
    /// The answer's status, how long it took, and its JSON (`Null` when it is none).
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(reqwest::StatusCode, Duration, Value), Box<dyn std::error::Error>> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let elapsed = started.elapsed();
        Ok((
            status,
            elapsed,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// A successful answer: how long it took and its JSON; any other status is an error.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(Duration, Value), Box<dyn std::error::Error>> {
        let (status, elapsed, answer) = self.request(method, path, body).await?;
        if !status.is_success() {
            return Err(format!("{path}: {status}: {answer}").into());
        }
        Ok((elapsed, answer))
    }

    /// The median of `runs` timings after one warm-up.
    async fn median(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        runs: usize,
    ) -> Result<Duration, Box<dyn std::error::Error>> {
        let mut samples = Vec::with_capacity(runs);
        for run in 0..=runs {
            let (elapsed, _) = self.send(method.clone(), path, body).await?;
            if run > 0 {
                samples.push(elapsed);
            }
        }
        samples.sort();
        Ok(samples[samples.len() / 2])
    }
}

/// A client signed in as the admin.
async fn sign_in(base_url: &str, password: &str) -> Result<Client, Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base_url}auth/token/"))
        .form(&[("username", "admin"), ("password", password)])
        .send()
        .await?
        .json()
        .await?;
    Ok(Client {
        http,
        base_url: base_url.to_string(),
        token: login["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// One measured shape: its label, its kind (first, middle, last or count), its first ask and
/// its median asked again.
struct Timing {
    label: String,
    kind: &'static str,
    ms: f64,
    again: f64,
}

struct Report {
    users: u64,
    seed_seconds: f64,
    /// Seconds from the sign-in until the in-memory columns were made (`None`: not kept).
    columns_seconds: Option<f64>,
    /// Users seeded by this run (0 when a kept database was reused).
    seeded: u64,
    /// Per filter: per sort: first, middle, last, each (first ask, median asked again).
    pages: Vec<Vec<[(f64, f64); 3]>>,
    /// Per filter: (matches, first count, count asked again).
    counts: Vec<(u64, f64, f64)>,
    singles: Vec<(&'static str, f64)>,
    /// Per write: what it was, and the first ask of each of [`AFTER_A_WRITE`] right after it.
    after_writes: Vec<(&'static str, Vec<f64>)>,
}

/// Deep pages asked right after a write, when nothing counted or sorted before is good any
/// more: `(label, query, skip per thousand users)`, the skip about the middle of the matches.
const AFTER_A_WRITE: &[(&str, &str, u64)] = &[
    (
        "status=Active, username A, middle",
        "status=Active&order_by=username+A",
        350,
    ),
    (
        "created_at > 2024, username A, middle",
        "q=created_at+%3E+DATE%28%272024-01-01%27%29&order_by=username+A",
        184,
    ),
    (
        "search=gmail&status=Active, created_at D, middle",
        "search=gmail&status=Active&order_by=created_at+D",
        75,
    ),
];

/// A status change (patched into the in-memory columns at once), then a delete (after which
/// they are made anew in the background, and lists read SQLite until then), each followed at
/// once by the first ask of every page of [`AFTER_A_WRITE`] (scaled to the size).
async fn after_writes(
    client: &Client,
    users: u64,
    middle: u64,
) -> Result<Vec<(&'static str, Vec<f64>)>, Box<dyn std::error::Error>> {
    let writes = [
        (
            "after a status change",
            reqwest::Method::PUT,
            format!("users/{middle}/"),
            Some(json!({"status": "Pending"})),
        ),
        (
            "after a delete",
            reqwest::Method::DELETE,
            format!("users/{}/", middle + 1),
            None,
        ),
    ];
    let mut measured = Vec::new();
    for (label, method, path, body) in writes {
        client.send(method, &path, body.as_ref()).await?;
        let mut times = Vec::new();
        for (_, query, per_thousand) in AFTER_A_WRITE {
            let skip = users * per_thousand / 1000;
            let path = format!("users/?f=json&{query}&skip={skip}&limit={PAGE}");
            let (took, _) = client.send(reqwest::Method::GET, &path, None).await?;
            times.push(ms(took));
        }
        measured.push((label, times));
    }
    Ok(measured)
}

async fn measure(
    users: u64,
    runs: usize,
    keep: Option<&str>,
    in_memory: bool,
    memory_columns: bool,
) -> Result<Report, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // `--keep DIR` leaves (and on the next run reuses) one database per size, for EXPLAIN work.
    let db = match keep {
        Some(keep) => std::path::Path::new(keep).join(format!("bench-{users}.sqlite")),
        None => dir.path().join("bench.sqlite"),
    };
    eprintln!("seeding {users} users…");
    let server = geobox_server::start(ServerOptions {
        db: (!in_memory).then_some(db),
        seed_users: users,
        admin_password: Some(Secret::new("bench-password")),
        memory_columns,
        ..ServerOptions::default()
    })
    .await?;
    let seed_seconds = server.startup.as_secs_f64();
    let seeded = server.seeded_users;
    eprintln!("  started in {seed_seconds:.1}s");
    let client = sign_in(&server.base_url, "bench-password").await?;
    // The sign-in wrote the admin's last login: the columns are made once the writes pause.
    let columns_seconds = if memory_columns {
        let started = Instant::now();
        while !server.columns_settled() && started.elapsed() < Duration::from_secs(120) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("  in-memory columns made {seconds:.2}s after the sign-in");
        Some(seconds)
    } else {
        None
    };
    let get = reqwest::Method::GET;
    let mut counts = Vec::new();
    let mut pages = Vec::new();
    for (label, filter) in FILTERS {
        let count_path = format!("users/?f=json&{filter}&return_count=True");
        let (first, answer) = client.send(get.clone(), &count_path, None).await?;
        let matches = answer["count"].as_u64().unwrap_or_default();
        let again = client.median(get.clone(), &count_path, None, runs).await?;
        counts.push((matches, ms(first), ms(again)));
        eprintln!("  {label}: {matches} matches");
        let mut by_sort = Vec::new();
        for (_, sort) in SORTS {
            let mut row = [(0.0, 0.0); 3];
            let skips = [0, matches / 2, matches.saturating_sub(PAGE)];
            for (slot, skip) in skips.iter().enumerate() {
                let path = format!("users/?f=json&{filter}&{sort}&skip={skip}&limit={PAGE}");
                let (first, _) = client.send(get.clone(), &path, None).await?;
                let again = client.median(get.clone(), &path, None, runs).await?;
                row[slot] = (ms(first), ms(again));
            }
            by_sort.push(row);
        }
        pages.push(by_sort);
    }
    let middle = users / 2;
    let after_writes = after_writes(&client, users, middle).await?;
    let mut singles = Vec::new();
    for (name, method, path, body) in [
        (
            "get one user",
            get.clone(),
            format!("users/{middle}/?f=json"),
            None,
        ),
        (
            "sessions of a user",
            get.clone(),
            format!("users/{middle}/sessions/?f=json"),
            None,
        ),
        (
            "users/search/ 'karimi'",
            get.clone(),
            "users/search/?search=karimi&skip=0&limit=50".to_string(),
            None,
        ),
        (
            "update one user (PUT)",
            reqwest::Method::PUT,
            format!("users/{middle}/"),
            Some(json!({"first_name": "Bench", "mobile": "+98 9120000000"})),
        ),
    ] {
        let median = client.median(method, &path, body.as_ref(), runs).await?;
        singles.push((name, ms(median)));
    }
    server.shutdown().await;
    Ok(Report {
        users,
        seed_seconds,
        columns_seconds,
        seeded,
        pages,
        counts,
        singles,
        after_writes,
    })
}

fn print_report(report: &Report) {
    let columns = match report.columns_seconds {
        Some(seconds) => format!("in-memory columns made {seconds:.2} s after the sign-in"),
        None => "no in-memory columns".to_string(),
    };
    println!(
        "\n### {} users (started in {:.1} s; {columns}; ms: the first ask / the median asked \
         again)\n",
        report.users, report.seed_seconds
    );
    println!("| filter | matches | count: first / again | sort | first | middle | last |");
    println!("|---|---|---|---|---|---|---|");
    let mut timings = Vec::new();
    for (index, (filter, _)) in FILTERS.iter().enumerate() {
        let (matches, first_count, again) = report.counts[index];
        timings.push(Timing {
            label: format!("count {filter}"),
            kind: "count",
            ms: first_count,
            again,
        });
        for (sort_index, (sort, _)) in SORTS.iter().enumerate() {
            let row = report.pages[index][sort_index];
            let lead = if sort_index == 0 {
                format!("| {filter} | {matches} | {first_count:.1} / {again:.1} |")
            } else {
                "| | | |".to_string()
            };
            let cells: Vec<String> = row
                .iter()
                .map(|(first, again)| format!("{first:.1} / {again:.1}"))
                .collect();
            println!("{lead} {sort} | {} |", cells.join(" | "));
            for (slot, kind) in PAGES.iter().enumerate() {
                timings.push(Timing {
                    label: format!("{filter}, {sort}, {kind} page"),
                    kind,
                    ms: row[slot].0,
                    again: row[slot].1,
                });
            }
        }
    }
    println!();
    for (write, times) in &report.after_writes {
        let pages: Vec<String> = AFTER_A_WRITE
            .iter()
            .zip(times)
            .map(|((label, _, _), ms)| format!("{label} {ms:.1} ms"))
            .collect();
        println!("- first ask {write}: {}", pages.join("; "));
    }
    for (name, median) in &report.singles {
        println!("- {name}: {median:.2} ms");
    }
    timings.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    println!("\nSlowest shapes (first ask):");
    for timing in timings.iter().take(12) {
        println!(
            "- {}: {:.1} ms (again {:.1} ms)",
            timing.label, timing.ms, timing.again
        );
    }
    println!();
    let target = |kinds: &[&str], limit: f64, what: &str| {
        let chosen: Vec<&Timing> = timings
            .iter()
            .filter(|timing| kinds.contains(&timing.kind))
            .collect();
        let verdict = |within: usize| {
            if within == chosen.len() {
                "holds"
            } else {
                "falls short"
            }
        };
        let within = chosen.iter().filter(|timing| timing.ms < limit).count();
        let worst = chosen.first().map_or(0.0, |timing| timing.ms);
        let again_within = chosen.iter().filter(|timing| timing.again < limit).count();
        let again_worst = chosen.iter().map(|timing| timing.again).fold(0.0, f64::max);
        println!(
            "- {what} < {limit} ms: first ask {} ({within} of {} within; worst {worst:.1} ms); \
             asked again {} ({again_within} within; worst {again_worst:.1} ms)",
            verdict(within),
            chosen.len(),
            verdict(again_within),
        );
    };
    target(
        &["first", "last"],
        FIRST_LAST_TARGET,
        "first and last pages",
    );
    target(&["middle"], MIDDLE_TARGET, "middle pages");
    target(&["count"], COUNT_TARGET, "counts");
    if report.seeded == 0 {
        println!("- seeding <= 30 s: not measured (the database was kept from an earlier run)");
    } else {
        let seeding = if report.seed_seconds <= 30.0 {
            "holds"
        } else {
            "falls short"
        };
        println!(
            "- seeding <= 30 s: {seeding} (start-up with seeding {:.1} s)",
            report.seed_seconds
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|index| args.get(index + 1))
            .cloned()
    };
    let sizes: Vec<u64> = value_of("--users")
        .unwrap_or_else(|| "10000,100000".to_string())
        .split(',')
        .map(|size| size.trim().replace('_', "").parse())
        .collect::<Result<_, _>>()?;
    let runs: usize = value_of("--runs").map_or(Ok(5), |runs| runs.parse())?;
    let keep = value_of("--keep");
    let in_memory = args.iter().any(|arg| arg == "--in-memory");
    let memory_columns = !args.iter().any(|arg| arg == "--no-memory-columns");
    // The seeding phases are logged: rows, indexes + full-text, commit.
    tracing_subscriber::fmt()
        .with_env_filter("geobox_server::seed=debug,geobox_server::store=debug")
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if args.iter().any(|arg| arg == "--contention") {
        let number = |flag: &str, default: u64| {
            value_of(flag).map_or(Ok(default), |value| value.replace('_', "").parse())
        };
        for users in sizes {
            runtime.block_on(contention::run(&contention::Settings {
                users,
                seconds: number("--seconds", 60)?,
                writers: number("--writers", 6)? as usize,
                readers: number("--readers", 4)? as usize,
                write_rate: number("--write-rate", 240)?,
            }))?;
        }
        return Ok(());
    }
    for users in sizes {
        let report = runtime.block_on(measure(
            users,
            runs.max(1),
            keep.as_deref(),
            in_memory,
            memory_columns,
        ))?;
        print_report(&report);
    }
    Ok(())
}
