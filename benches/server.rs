//! The embedded server at scale: seeds N users into a file database, then times the requests
//! the console makes, end to end over HTTP on loopback.
//!
//! ```text
//! cargo bench --bench server -- --users 10000,100000,1000000 [--runs 30] [--keep DIR | --in-memory]
//! ```
//!
//! Prints one table: median and 95th percentile per request and size.

use std::time::{Duration, Instant};

use geobox_users::api::Secret;
use geobox_users::server::{self, ServerOptions};
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    method: reqwest::Method,
    path: String,
    body: Option<Value>,
}

fn get(name: &'static str, path: &str) -> Case {
    Case {
        name,
        method: reqwest::Method::GET,
        path: path.to_string(),
        body: None,
    }
}

fn cases(users: u64) -> Vec<Case> {
    let q_role_status = "q=role+%3D+%27Editor%27+AND+status+%3D+%27Active%27";
    // Users are created in id order, so the first match sits ~40% into the table: the worst
    // case for an id-ordered page.
    let q_role = "q=role+%3D+%27Editor%27+AND+created_at+%3E+%272022-01-01%27";
    let q_like = "q=username+LIKE+%27%25reza%25%27";
    let middle = users / 2;
    vec![
        get(
            "first page (limit=50)",
            "users/?f=json&return_count=False&skip=0&limit=50",
        ),
        get("page 100 (skip=5000)", "users/?f=json&skip=5000&limit=50"),
        get(
            "sorted by last_name",
            "users/?f=json&order_by=last_name+A&limit=50",
        ),
        get(
            "status=Disabled page",
            "users/?f=json&status=Disabled&limit=50",
        ),
        get(
            "CQL role+status page",
            &format!("users/?f=json&{q_role_status}&limit=50"),
        ),
        get(
            "CQL role+date page",
            &format!("users/?f=json&{q_role}&limit=50"),
        ),
        get(
            "CQL LIKE '%reza%' page",
            &format!("users/?f=json&{q_like}&limit=50"),
        ),
        get("search 'reza' page", "users/?f=json&search=reza&limit=50"),
        get("search 'gmail' page", "users/?f=json&search=gmail&limit=50"),
        get(
            "search 'gmail' + status page",
            "users/?f=json&search=gmail&status=Disabled&limit=50",
        ),
        get(
            "users/search/ 'karimi'",
            "users/search/?search=karimi&skip=0&limit=50",
        ),
        get("count all", "users/?f=json&return_count=True"),
        get(
            "count status=Disabled",
            "users/?f=json&status=Disabled&return_count=True",
        ),
        get(
            "count CQL role+status",
            &format!("users/?f=json&{q_role_status}&return_count=True"),
        ),
        get(
            "count CQL role+date",
            &format!("users/?f=json&{q_role}&return_count=True"),
        ),
        get(
            "count CQL LIKE '%reza%'",
            &format!("users/?f=json&{q_like}&return_count=True"),
        ),
        get(
            "count search 'reza'",
            "users/?f=json&search=reza&return_count=True",
        ),
        get(
            "count search 'gmail'",
            "users/?f=json&search=gmail&return_count=True",
        ),
        get(
            "count search 'gmail' + status",
            "users/?f=json&search=gmail&status=Disabled&return_count=True",
        ),
        get("get one user", &format!("users/{middle}/?f=json")),
        get(
            "sessions of a user",
            &format!("users/{middle}/sessions/?f=json"),
        ),
        Case {
            name: "update one user (PUT)",
            method: reqwest::Method::PUT,
            path: format!("users/{middle}/"),
            body: Some(json!({"first_name": "Bench", "mobile": "+98 9120000000"})),
        },
    ]
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

struct Column {
    users: u64,
    seed_seconds: f64,
    timings: Vec<(Duration, Duration)>,
}

async fn measure(
    users: u64,
    runs: usize,
    keep: Option<&str>,
    in_memory: bool,
) -> Result<Column, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // `--keep DIR` leaves (and on the next run reuses) one database per size, for EXPLAIN work.
    let db = match keep {
        Some(keep) => std::path::Path::new(keep).join(format!("bench-{users}.sqlite")),
        None => dir.path().join("bench.sqlite"),
    };
    eprintln!("seeding {users} users…");
    let server = server::start(ServerOptions {
        db: (!in_memory).then_some(db),
        seed_users: users,
        admin_password: Some(Secret::new("bench-password")),
        ..ServerOptions::default()
    })
    .await?;
    let seed_seconds = server.startup.as_secs_f64();
    eprintln!("  seeded in {seed_seconds:.1}s");
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}auth/token/", server.base_url))
        .form(&[("username", "admin"), ("password", "bench-password")])
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut timings = Vec::new();
    for case in cases(users) {
        let mut samples = Vec::with_capacity(runs);
        for run in 0..runs + 3 {
            let mut request = http
                .request(
                    case.method.clone(),
                    format!("{}{}", server.base_url, case.path),
                )
                .bearer_auth(&token);
            if let Some(body) = &case.body {
                request = request.json(body);
            }
            let started = Instant::now();
            let response = request.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?;
            let elapsed = started.elapsed();
            if !status.is_success() {
                return Err(format!(
                    "{}: {status}: {}",
                    case.name,
                    String::from_utf8_lossy(&bytes)
                )
                .into());
            }
            // The first runs warm the connection and SQLite's page cache.
            if run >= 3 {
                samples.push(elapsed);
            }
        }
        samples.sort();
        timings.push((percentile(&samples, 0.5), percentile(&samples, 0.95)));
    }
    server.shutdown().await;
    Ok(Column {
        users,
        seed_seconds,
        timings,
    })
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
    let runs: usize = value_of("--runs").map_or(Ok(30), |runs| runs.parse())?;
    let keep = value_of("--keep");
    let in_memory = args.iter().any(|arg| arg == "--in-memory");
    // The seeding phases are logged: rows, indexes + full-text, commit.
    tracing_subscriber::fmt()
        .with_env_filter("geobox_users::server::seed=debug")
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut columns = Vec::new();
    for users in sizes {
        columns.push(runtime.block_on(measure(users, runs, keep.as_deref(), in_memory))?);
    }
    let names: Vec<&str> = cases(1).iter().map(|case| case.name).collect();
    let mut header = "| request (ms: median / p95) |".to_string();
    let mut rule = "|---|".to_string();
    for column in &columns {
        header.push_str(&format!(" {} users |", column.users));
        rule.push_str("---|");
    }
    println!("{header}\n{rule}");
    let mut seed_row = "| seeding (s, one transaction) |".to_string();
    for column in &columns {
        seed_row.push_str(&format!(" {:.1} |", column.seed_seconds));
    }
    println!("{seed_row}");
    for (index, name) in names.iter().enumerate() {
        let mut row = format!("| {name} |");
        for column in &columns {
            let (median, p95) = column.timings[index];
            row.push_str(&format!(" {} / {} |", ms(median), ms(p95)));
        }
        println!("{row}");
    }
    Ok(())
}
