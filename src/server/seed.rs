//! Demo data that looks real, deterministic from a seed number: plans, users (Persian and
//! international names, Iranian mobiles, every role and status, sub-users, plans expiring in
//! the past and future) and their sessions.
//!
//! A million users load in one transaction through prepared statements, with the secondary
//! indexes and the full-text index built once at the end.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, params};

use super::store::Store;

/// The password of every seeded user (they share one precomputed hash).
pub const SEED_PASSWORD: &str = "Demo-Pass-1";

const FIRST_NAMES: &str = include_str!("../../assets/first_names.txt");
const LAST_NAMES: &str = include_str!("../../assets/last_names.txt");
const AGENTS: &str = include_str!("../../assets/agents.txt");

/// SplitMix64: tiny, fast, and its output never changes with a dependency upgrade, so a seed
/// number always gives the same demo data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks by weight: `(value, weight)`.
    fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, weight)| weight).sum();
        let mut roll = self.below(total.max(1));
        for (value, weight) in items {
            if roll < *weight {
                return value;
            }
            roll -= weight;
        }
        &items[items.len() - 1].0
    }
}

/// A name with its Persian spelling when it has one.
struct Name<'a> {
    latin: &'a str,
    persian: Option<&'a str>,
}

fn names(text: &str) -> Vec<Name<'_>> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| match line.split_once('|') {
            Some((latin, persian)) => Name {
                latin,
                persian: Some(persian),
            },
            None => Name {
                latin: line,
                persian: None,
            },
        })
        .collect()
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// An ASCII, lower-case form of a name for usernames and emails.
fn slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'é' | 'è' => Some('e'),
            'ü' => Some('u'),
            'ı' => Some('i'),
            'í' => Some('i'),
            'á' => Some('a'),
            _ => None,
        })
        .collect()
}

const ROLES: &[(&str, u64)] = &[
    ("System Admin", 5),
    ("Account Admin", 40),
    ("Publisher", 200),
    ("Editor", 250),
    ("Viewer", 505),
];
const STATUSES: &[(&str, u64)] = &[("Active", 70), ("New", 9), ("Pending", 8), ("Disabled", 13)];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "chmail.ir",
    "ut.ac.ir",
    "sharif.edu",
    "aut.ac.ir",
    "ncc.gov.ir",
    "tehran.ir",
    "mapsa.ir",
    "negareh.co",
    "example.org",
];
/// Iranian mobile operator prefixes (after +98).
const MOBILE_PREFIXES: &[&str] = &[
    "912", "913", "914", "915", "919", "935", "936", "937", "938", "939", "901", "902", "903",
    "990", "921", "922",
];
/// First octets of address blocks common in Iran, and a few abroad.
const IP_FIRST: &[u8] = &[
    2, 5, 31, 37, 46, 78, 85, 91, 94, 151, 178, 185, 188, 212, 217,
];

/// A demo plan; monthly quotas are thirty times the daily ones.
struct PlanSeed {
    name: &'static str,
    display_name: &'static str,
    color: &'static str,
    storage_gb: i64,
    concurrent_tasks: i64,
    daily_api_calls: i64,
    daily_traffic_gb: i64,
    daily_process: i64,
    /// `None`: the plan never expires.
    number_of_days: Option<i64>,
    /// How common the plan is among users.
    weight: u64,
}

const fn plan(
    name: &'static str,
    display_name: &'static str,
    color: &'static str,
    quotas: [i64; 5],
    number_of_days: Option<i64>,
    weight: u64,
) -> PlanSeed {
    PlanSeed {
        name,
        display_name,
        color,
        storage_gb: quotas[0],
        concurrent_tasks: quotas[1],
        daily_api_calls: quotas[2],
        daily_traffic_gb: quotas[3],
        daily_process: quotas[4],
        number_of_days,
        weight,
    }
}

/// Quotas: storage GB, concurrent tasks, daily API calls, daily traffic GB, daily processes.
const PLANS: &[PlanSeed] = &[
    plan(
        "free",
        "Free",
        "#9e9e9e",
        [1, 1, 1_000, 1, 10],
        Some(30),
        40,
    ),
    plan(
        "basic",
        "Basic",
        "#4caf50",
        [10, 2, 10_000, 5, 100],
        Some(30),
        25,
    ),
    plan(
        "pro",
        "Professional",
        "#2196f3",
        [100, 5, 100_000, 50, 1_000],
        Some(90),
        20,
    ),
    plan(
        "business",
        "Business",
        "#ff9800",
        [500, 10, 500_000, 200, 5_000],
        Some(365),
        10,
    ),
    plan(
        "enterprise",
        "Enterprise",
        "#9c27b0",
        [5_000, 50, 5_000_000, 2_000, 50_000],
        None,
        5,
    ),
];

const GB: i64 = 1024 * 1024 * 1024;

/// Creates the demo plans when there are none: even an unseeded server has plans to assign.
pub fn ensure_plans(conn: &Connection) -> rusqlite::Result<()> {
    let plan_count: i64 = conn.query_row("SELECT count(*) FROM plans", [], |row| row.get(0))?;
    if plan_count == 0 {
        insert_plans(conn, "2019-01-01T08:00:00Z")?;
    }
    Ok(())
}

fn insert_plans(conn: &Connection, created_at: &str) -> rusqlite::Result<()> {
    let mut statement = conn.prepare(
        "INSERT INTO plans (name, display_name, description, plan_color, storage, concurrent_tasks,
             daily_api_calls, monthly_api_calls, daily_traffic, monthly_traffic, daily_process,
             monthly_process, number_of_days, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    for plan in PLANS {
        statement.execute(params![
            plan.name,
            plan.display_name,
            format!(
                "{} plan: {} GB storage, {} concurrent tasks",
                plan.display_name, plan.storage_gb, plan.concurrent_tasks
            ),
            plan.color,
            plan.storage_gb * GB,
            plan.concurrent_tasks,
            plan.daily_api_calls,
            plan.daily_api_calls * 30,
            plan.daily_traffic_gb * GB,
            plan.daily_traffic_gb * GB * 30,
            plan.daily_process,
            plan.daily_process * 30,
            plan.number_of_days,
            created_at,
        ])?;
    }
    Ok(())
}

/// Seeds plans (when there are none) and `users` users with their sessions, in one
/// transaction. Existing users (the admin) keep their ids; seeded ids follow.
pub fn seed(
    conn: &mut Connection,
    users: u64,
    seed: u64,
    password_hash: &str,
) -> rusqlite::Result<()> {
    let first_names = names(FIRST_NAMES);
    let last_names = names(LAST_NAMES);
    let agents = lines(AGENTS);
    let mut rng = Rng(seed);
    let now = Utc::now();
    let today = now.date_naive();
    let epoch = NaiveDate::from_ymd_opt(2019, 1, 1)
        .and_then(|date| date.and_hms_opt(8, 0, 0))
        .map(|time| time.and_utc())
        .unwrap_or(now);
    let span_seconds = (now - epoch).num_seconds().max(1);

    let started = std::time::Instant::now();
    // In WAL mode every page would be written twice (log, then checkpoint). Seeding happens
    // before any reader connects, into a new database: a rollback journal kept in memory costs
    // nothing for pages that did not exist before, and a failed seed still rolls back.
    let journal: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    let was_wal = journal.eq_ignore_ascii_case("wal");
    if was_wal {
        conn.pragma_update_and_check(None, "journal_mode", "MEMORY", |row| {
            row.get::<_, String>(0)
        })?;
    }
    // Index builds sort a million keys each; helper threads share that work between cores.
    conn.pragma_update(None, "threads", 4)?;
    let tx = conn.transaction()?;
    Store::begin_bulk_load(&tx)?;
    ensure_plans(&tx)?;
    let plan_ids: Vec<(i64, u64, Option<i64>)> = {
        let mut statement = tx.prepare("SELECT id, name, number_of_days FROM plans ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            let name: String = row.get(1)?;
            let weight = PLANS
                .iter()
                .find(|plan| plan.name == name)
                .map(|plan| plan.weight)
                .unwrap_or(5);
            Ok((row.get(0)?, weight, row.get(2)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let weighted_plans: Vec<((i64, Option<i64>), u64)> = plan_ids
        .iter()
        .map(|(id, weight, days)| ((*id, *days), *weight))
        .collect();
    let first_id: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM users", [], |row| {
        row.get(0)
    })?;
    let mut taken: HashSet<String> = {
        let mut statement = tx.prepare("SELECT lower(username) FROM users")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };

    let mut insert_user = tx.prepare(
        "INSERT INTO users (id, username, email, first_name, last_name, mobile, role, status,
             plan_id, expiration_date, parent_id, password_hash, created_at, updated_at, last_login)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    let mut insert_session = tx.prepare(
        "INSERT INTO sessions (uuid, user_id, token_hash, agent, ip, created_at, last_seen)
         VALUES (?, ?, NULL, ?, ?, ?, ?)",
    )?;
    let mut username = String::new();
    for index in 0..users {
        if index > 0 && index % SEED_PROGRESS_EVERY == 0 {
            tracing::info!(
                "seeding: {index} of {users} users ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
        let id = first_id + index as i64;
        let first = rng.pick(&first_names);
        let last = rng.pick(&last_names);
        // Users created in order over the years, with some jitter around their slot.
        let slot = span_seconds * index as i64 / users.max(1) as i64;
        let jitter = rng.below(3_600) as i64;
        let created = epoch + Duration::seconds((slot + jitter).min(span_seconds));

        username.clear();
        let style = rng.below(4);
        let (first_slug, last_slug) = (slug(first.latin), slug(last.latin));
        match style {
            0 => username.push_str(&format!("{first_slug}.{last_slug}")),
            1 => username.push_str(&format!("{first_slug}_{last_slug}")),
            2 => username.push_str(&format!(
                "{}{last_slug}",
                first_slug.chars().next().unwrap_or('u')
            )),
            _ => username.push_str(&format!("{first_slug}{}", 1960 + rng.below(50))),
        }
        if !taken.insert(username.clone()) {
            username.push_str(&id.to_string());
            taken.insert(username.clone());
        }
        let email = format!("{username}@{}", rng.pick(DOMAINS));
        let persian = first.persian.is_some() && last.persian.is_some() && rng.chance(35);
        let (first_name, last_name) = if persian {
            (
                first.persian.unwrap_or(first.latin),
                last.persian.unwrap_or(last.latin),
            )
        } else {
            (first.latin, last.latin)
        };
        let first_name = (!rng.chance(2)).then_some(first_name);
        let last_name = (!rng.chance(2)).then_some(last_name);
        let mobile = match rng.below(100) {
            0..=79 => Some(format!(
                "+98 {}{:07}",
                rng.pick(MOBILE_PREFIXES),
                rng.below(10_000_000)
            )),
            80..=84 => Some(format!(
                "+1 {:010}",
                2_000_000_000 + rng.below(7_999_999_999)
            )),
            85..=87 => Some(format!("+49 15{:09}", rng.below(1_000_000_000))),
            _ => None,
        };
        let role = rng.weighted(ROLES);
        let status = rng.weighted(STATUSES);
        let plan = (!rng.chance(12)).then(|| *rng.weighted(&weighted_plans));
        let expiration = plan.map(|(_, days)| {
            // Around today: a third already expired, the rest running for up to two years.
            let offset = rng.below(1_095) as i64 - 365;
            let days = days.unwrap_or(365);
            let date = today + Duration::days(offset.min(days * 4));
            date.format("%Y-%m-%d").to_string()
        });
        let parent_id = (index > 20 && rng.chance(10)).then(|| first_id + rng.below(index) as i64);
        let updated = created
            + Duration::seconds(rng.below((now - created).num_seconds().max(1) as u64) as i64);
        let session_count = if *status == "Disabled" {
            0
        } else {
            rng.below(5)
        };
        let mut last_login: Option<DateTime<Utc>> = None;
        let mut sessions = Vec::new();
        for _ in 0..session_count {
            let age = rng.below(60 * 86_400) as i64;
            let started = (now - Duration::seconds(age)).max(created);
            let seen = started
                + Duration::seconds(rng.below((now - started).num_seconds().max(1) as u64) as i64);
            last_login = Some(last_login.map_or(started, |latest| latest.max(started)));
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&rng.next().to_le_bytes());
            bytes[8..].copy_from_slice(&rng.next().to_le_bytes());
            let uuid = uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string();
            let ip = format!(
                "{}.{}.{}.{}",
                rng.pick(IP_FIRST),
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            );
            sessions.push((
                uuid,
                *rng.pick(&agents),
                ip,
                format_time(started),
                format_time(seen),
            ));
        }
        insert_user.execute(params![
            id,
            username,
            email,
            first_name,
            last_name,
            mobile,
            role,
            status,
            plan.map(|(plan_id, _)| plan_id),
            expiration,
            parent_id,
            password_hash,
            format_time(created),
            format_time(updated),
            last_login.map(format_time),
        ])?;
        for (uuid, agent, ip, started, seen) in &sessions {
            insert_session.execute(params![uuid, id, agent, ip, started, seen])?;
        }
    }
    drop(insert_user);
    drop(insert_session);
    let rows_done = started.elapsed();
    if users >= SEED_PROGRESS_EVERY {
        tracing::info!(
            "seeding: {users} users written in {:.1} s; building indexes and the full-text index",
            rows_done.as_secs_f64()
        );
    }
    Store::end_bulk_load(&tx)?;
    let indexes_done = started.elapsed();
    tx.commit()?;
    tracing::debug!(
        users,
        rows_s = rows_done.as_secs_f64(),
        indexes_and_full_text_s = (indexes_done - rows_done).as_secs_f64(),
        commit_s = (started.elapsed() - indexes_done).as_secs_f64(),
        "seeded"
    );
    // Without statistics the planner takes `role = ?` for selective and sorts a fifth of the
    // table; ANALYZE costs well under a second at a million users.
    conn.execute_batch("ANALYZE;")?;
    if was_wal {
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
    }
    Ok(())
}

/// A large seed says how far it got every this many users.
const SEED_PROGRESS_EVERY: u64 = 100_000;

fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(users: u64, seed_number: u64) -> Store {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(seed(conn, users, seed_number, "hash")?))
            .expect("seeds");
        store
    }

    fn column(store: &Store, sql: &str) -> Vec<String> {
        store
            .read_blocking(|conn| {
                let mut statement = conn.prepare(sql)?;
                let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .expect("reads")
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let sql = "SELECT username || email || coalesce(mobile, '') FROM users ORDER BY id";
        assert_eq!(column(&seeded(50, 7), sql), column(&seeded(50, 7), sql));
        assert_ne!(column(&seeded(50, 7), sql), column(&seeded(50, 8), sql));
    }

    #[test]
    fn data_covers_every_role_status_and_shape() {
        let store = seeded(2_000, 1);
        let roles = column(&store, "SELECT DISTINCT role FROM users ORDER BY role");
        assert_eq!(roles.len(), 5, "{roles:?}");
        let statuses = column(&store, "SELECT DISTINCT status FROM users");
        assert_eq!(statuses.len(), 4);
        let plans = column(&store, "SELECT plan_color FROM plans");
        assert!((3..=5).contains(&plans.len()) && plans.iter().all(|c| c.starts_with('#')));
        let facts = column(
            &store,
            "SELECT (SELECT count(*) FROM users WHERE first_name GLOB '*[ا-ی]*') || ',' ||
                    (SELECT count(*) FROM users WHERE mobile LIKE '+98 9%') || ',' ||
                    (SELECT count(*) FROM users WHERE parent_id IS NOT NULL) || ',' ||
                    (SELECT count(*) FROM users WHERE expiration_date < date('now')) || ',' ||
                    (SELECT count(*) FROM users WHERE expiration_date > date('now')) || ',' ||
                    (SELECT count(DISTINCT substr(created_at, 1, 4)) FROM users) || ',' ||
                    (SELECT count(*) FROM sessions WHERE agent LIKE 'geobox-python/%') || ',' ||
                    (SELECT count(DISTINCT lower(username)) FROM users) || ',' ||
                    (SELECT count(DISTINCT lower(email)) FROM users)",
        );
        let counts: Vec<i64> = facts[0]
            .split(',')
            .map(|n| n.parse().expect("number"))
            .collect();
        assert!(counts[0] > 100, "Persian names: {counts:?}");
        assert!(counts[1] > 1_000, "Iranian mobiles: {counts:?}");
        assert!(counts[2] > 50, "sub-users: {counts:?}");
        assert!(
            counts[3] > 100 && counts[4] > 100,
            "expired and running plans: {counts:?}"
        );
        assert!(counts[5] >= 5, "created over years: {counts:?}");
        assert!(counts[6] > 10, "SDK sessions: {counts:?}");
        assert_eq!(counts[7], 2_000, "usernames are unique");
        assert_eq!(counts[8], 2_000, "emails are unique, whatever their case");
        let fts = column(
            &store,
            "SELECT CAST(count(*) AS TEXT) FROM users_fts WHERE users_fts MATCH '\"ahmadi\"'",
        );
        assert_ne!(fts[0], "0", "the full-text index is built");
    }
}
