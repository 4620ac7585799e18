//! Demo data that looks real, deterministic from a seed number: plans, users (Persian and
//! international names, Iranian mobiles, every role and status, sub-users, plans expiring in
//! the past and future) and their sessions.
//!
//! A million users load in one transaction: made on one thread (`generate.rs`), inserted many
//! rows to a statement on the connection's, with the secondary indexes and the full-text index
//! built once at the end.

mod generate;

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::store::Store;
use generate::{Generator, SeededSession, SeededUser, WeightedPlan};

/// The password of every seeded user (they share one precomputed hash).
pub const SEED_PASSWORD: &str = "Demo-Pass-1";

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
    seed_at(conn, users, seed, password_hash, Utc::now())
}

/// [`seed`] as if it were `now`: the dates of the demo data are spread around it.
fn seed_at(
    conn: &mut Connection,
    users: u64,
    seed: u64,
    password_hash: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let started = Instant::now();
    let settings = BulkSettings::enter(conn)?;
    let loaded = load(conn, users, seed, password_hash, now, started);
    let restored = settings.leave(conn);
    let times = loaded?;
    restored?;
    let committed = started.elapsed();
    // Without statistics the planner takes `role = ?` for selective and sorts a fifth of the
    // table.
    conn.execute_batch("ANALYZE;")?;
    tracing::debug!(
        users,
        rows_s = times.rows.as_secs_f64(),
        indexes_and_full_text_s = (times.indexes - times.rows).as_secs_f64(),
        commit_s = (committed - times.indexes).as_secs_f64(),
        analyze_s = (started.elapsed() - committed).as_secs_f64(),
        total_s = started.elapsed().as_secs_f64(),
        "seeded"
    );
    Ok(())
}

/// When each stage of a load was done, from its start.
struct LoadTimes {
    rows: std::time::Duration,
    indexes: std::time::Duration,
}

/// The rows, then the indexes, in one transaction; a failure leaves the database as it was.
fn load(
    conn: &mut Connection,
    users: u64,
    seed: u64,
    password_hash: &str,
    now: DateTime<Utc>,
    started: Instant,
) -> rusqlite::Result<LoadTimes> {
    let tx = conn.transaction()?;
    Store::begin_bulk_load(&tx)?;
    ensure_plans(&tx)?;
    let generator = generator_for(&tx, users, seed, now)?;
    insert_users(&tx, generator, users, password_hash, started)?;
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
    Ok(LoadTimes {
        rows: rows_done,
        indexes: indexes_done,
    })
}

/// The generator of this seed on this database: its plans, the usernames already taken, and
/// the ids that come next.
fn generator_for(
    conn: &Connection,
    users: u64,
    seed: u64,
    now: DateTime<Utc>,
) -> rusqlite::Result<Generator> {
    let plans: Vec<WeightedPlan> = {
        let mut statement =
            conn.prepare("SELECT id, name, number_of_days FROM plans ORDER BY id")?;
        let rows = statement.query_map([], |row| {
            let name: String = row.get(1)?;
            let weight = PLANS
                .iter()
                .find(|plan| plan.name == name)
                .map(|plan| plan.weight)
                .unwrap_or(5);
            Ok(((row.get(0)?, row.get(2)?), weight))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let first_id: i64 =
        conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM users", [], |row| {
            row.get(0)
        })?;
    let taken: HashSet<String> = {
        let mut statement = conn.prepare("SELECT lower(username) FROM users")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    Ok(Generator::new(seed, users, first_id, plans, taken, now))
}

/// Users made on one thread, bound and inserted on this one: making the strings costs about
/// what inserting them does, so the two halves run on two cores.
fn insert_users(
    conn: &Connection,
    mut generator: Generator,
    users: u64,
    password_hash: &str,
    started: Instant,
) -> rusqlite::Result<()> {
    let mut user_rows = RowInserter::new(
        conn,
        "INSERT INTO users (id, username, email, first_name, last_name, mobile, role, status,
             plan_id, expiration_date, parent_id, password_hash, created_at, updated_at,
             last_login)",
        15,
    )?;
    let mut session_rows = RowInserter::new(
        conn,
        "INSERT INTO sessions (uuid, user_id, agent, ip, created_at, last_seen)",
        6,
    )?;
    std::thread::scope(|scope| {
        let (batches, received) = mpsc::sync_channel::<Vec<SeededUser>>(BATCHES_IN_FLIGHT);
        // Inserted batches go back to be dropped where they were made: freeing memory that
        // another thread allocated is slow in the system allocator, and this thread is the
        // busier of the two.
        let (spent, to_drop) = mpsc::channel::<Vec<SeededUser>>();
        scope.spawn(move || {
            let mut next = 0;
            while next < users {
                let end = users.min(next + BATCH_USERS);
                let mut batch = match to_drop.try_recv() {
                    Ok(mut old) => {
                        old.clear();
                        old
                    }
                    Err(_) => Vec::with_capacity(BATCH_USERS as usize),
                };
                batch.extend((next..end).map(|index| generator.user(index)));
                if batches.send(batch).is_err() {
                    // The inserts stopped on an error; it is reported from there.
                    return;
                }
                next = end;
            }
        });
        let mut inserted: u64 = 0;
        for batch in received {
            user_rows.insert(&batch, |statement, at, user| {
                bind_values(
                    statement,
                    at,
                    &[
                        &user.id,
                        &user.username,
                        &user.email,
                        &user.first_name,
                        &user.last_name,
                        &user.mobile,
                        &user.role,
                        &user.status,
                        &user.plan_id,
                        &user.expiration_date,
                        &user.parent_id,
                        &password_hash,
                        &user.created_at,
                        &user.updated_at,
                        &user.last_login,
                    ],
                )
            })?;
            // Each user's sessions after the users, in the order they were made: the same
            // session ids as one insert after another.
            let sessions: Vec<(i64, &SeededSession)> = batch
                .iter()
                .flat_map(|user| user.sessions.iter().map(move |session| (user.id, session)))
                .collect();
            session_rows.insert(&sessions, |statement, at, (user_id, session)| {
                bind_values(
                    statement,
                    at,
                    &[
                        &session.uuid,
                        user_id,
                        &session.agent,
                        &session.ip,
                        &session.created_at,
                        &session.last_seen,
                    ],
                )
            })?;
            drop(sessions);
            let before = inserted;
            inserted += batch.len() as u64;
            if inserted / SEED_PROGRESS_EVERY > before / SEED_PROGRESS_EVERY && inserted < users {
                tracing::info!(
                    "seeding: {inserted} of {users} users ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
            // Once the generator has finished, nobody receives it and it drops here.
            let _ = spent.send(batch);
        }
        Ok(())
    })
}

/// Rows bound and inserted [`ROWS_PER_STATEMENT`] at a time through one multi-row `INSERT`
/// (each statement run has a fixed cost: cursors opened and closed, the program restarted),
/// the few left over one at a time.
struct RowInserter<'conn> {
    many: rusqlite::Statement<'conn>,
    one: rusqlite::Statement<'conn>,
    columns: usize,
}

const ROWS_PER_STATEMENT: usize = 32;

impl<'conn> RowInserter<'conn> {
    /// `head`: `INSERT INTO table (columns)`, without the values.
    fn new(conn: &'conn Connection, head: &str, columns: usize) -> rusqlite::Result<Self> {
        let row = format!("({})", vec!["?"; columns].join(", "));
        let rows = vec![row.as_str(); ROWS_PER_STATEMENT].join(", ");
        Ok(RowInserter {
            many: conn.prepare(&format!("{head} VALUES {rows}"))?,
            one: conn.prepare(&format!("{head} VALUES {row}"))?,
            columns,
        })
    }

    /// Inserts `rows` in order; `bind` binds one row's values from the parameter index given.
    fn insert<T>(
        &mut self,
        rows: &[T],
        bind: impl Fn(&mut rusqlite::Statement<'conn>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let mut chunks = rows.chunks_exact(ROWS_PER_STATEMENT);
        for chunk in &mut chunks {
            for (at, row) in chunk.iter().enumerate() {
                bind(&mut self.many, 1 + at * self.columns, row)?;
            }
            self.many.raw_execute()?;
        }
        for row in chunks.remainder() {
            bind(&mut self.one, 1, row)?;
            self.one.raw_execute()?;
        }
        Ok(())
    }
}

/// Binds `values` to the parameters from index `first` (1-based) on.
fn bind_values(
    statement: &mut rusqlite::Statement<'_>,
    first: usize,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<()> {
    for (offset, value) in values.iter().enumerate() {
        statement.raw_bind_parameter(first + offset, value)?;
    }
    Ok(())
}

/// Users a batch carries from the generating thread to the inserting one, and batches made
/// ahead of the inserts at most.
const BATCH_USERS: u64 = 512;
const BATCHES_IN_FLIGHT: usize = 8;

/// Connection settings for a bulk load; [`BulkSettings::leave`] puts back what was there.
struct BulkSettings {
    was_wal: bool,
    /// `(pragma, its value before)`.
    before: Vec<(&'static str, i64)>,
}

/// `(pragma, value while loading)`.
/// - Index builds sort a million keys each. SQLite's sorter hands sorted runs to helper
///   threads only when its temporary storage is a file (an in-memory temp store keeps the
///   whole sort on one thread); the files are small and short-lived.
/// - Each build scans the whole table: through a memory map, without a read call per page.
/// - Foreign keys and CHECK constraints hold by construction: the seeded rows name only plans
///   and users that exist (earlier ids), and roles and statuses from the schema's lists.
///   Checking costs a lookup per row for the keys, and for each `IN (...)` list a temporary
///   table built and dropped per row.
/// - No sync at the commit: with its journal in memory a seed that is cut off midway leaves
///   no usable database either way, and the operating system writes the pages out soon
///   after; the commit would otherwise wait for all of them (a second or more at a million).
///   A power cut in those seconds can cost the fresh demo data, which `--fresh` makes again.
const BULK_PRAGMAS: &[(&str, i64)] = &[
    ("synchronous", 0),
    ("temp_store", 1),
    ("threads", 4),
    ("mmap_size", 1 << 33),
    ("foreign_keys", 0),
    ("ignore_check_constraints", 1),
];

impl BulkSettings {
    fn enter(conn: &Connection) -> rusqlite::Result<BulkSettings> {
        // In WAL mode every page would be written twice (log, then checkpoint). Seeding
        // happens before any reader connects, into a new database: a rollback journal kept in
        // memory costs nothing for pages that did not exist before, and a failed seed still
        // rolls back.
        let journal: String = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        let was_wal = journal.eq_ignore_ascii_case("wal");
        if was_wal {
            conn.pragma_update_and_check(None, "journal_mode", "MEMORY", |row| {
                row.get::<_, String>(0)
            })?;
        }
        let mut before = Vec::new();
        for (pragma, value) in BULK_PRAGMAS {
            // An in-memory database has no memory map, and says nothing when asked.
            let old: Option<i64> = conn
                .pragma_query_value(None, pragma, |row| row.get(0))
                .optional()?;
            if let Some(old) = old {
                before.push((*pragma, old));
                conn.pragma_update(None, pragma, value)?;
            }
        }
        Ok(BulkSettings { was_wal, before })
    }

    fn leave(self, conn: &Connection) -> rusqlite::Result<()> {
        // Back to WAL while syncs are still off: the switch would otherwise wait for every
        // page of the seed to reach the disk.
        if self.was_wal {
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| {
                row.get::<_, String>(0)
            })?;
        }
        for (pragma, value) in &self.before {
            conn.pragma_update(None, pragma, value)?;
        }
        Ok(())
    }
}

/// A large seed says how far it got every this many users.
const SEED_PROGRESS_EVERY: u64 = 100_000;

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::types::Value;

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

    fn text(value: &str) -> Value {
        Value::Text(value.to_string())
    }

    fn maybe(value: Option<&str>) -> Value {
        value.map_or(Value::Null, text)
    }

    fn table(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
        let mut statement = conn.prepare(sql).expect("prepares");
        let width = statement.column_count();
        let rows = statement
            .query_map([], |row| (0..width).map(|at| row.get(at)).collect())
            .expect("queries");
        rows.collect::<rusqlite::Result<_>>().expect("reads")
    }

    #[test]
    fn the_threaded_load_writes_exactly_what_one_generator_makes_in_order() {
        let now = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .expect("parses")
            .with_timezone(&Utc);
        // Several batches and a partial last one.
        let users = BATCH_USERS * 5 + 77;
        let store = Store::open(None).expect("opens");
        let (written_users, written_sessions, mut serial) = store
            .write_blocking(|conn| {
                ensure_plans(conn)?;
                let serial = generator_for(conn, users, 9, now)?;
                seed_at(conn, users, 9, "hash", now)?;
                Ok((
                    table(
                        conn,
                        "SELECT id, username, email, first_name, last_name, mobile, role, status,
                             plan_id, expiration_date, parent_id, password_hash, created_at,
                             updated_at, last_login FROM users ORDER BY id",
                    ),
                    table(
                        conn,
                        "SELECT uuid, user_id, token_hash, agent, ip, created_at, last_seen
                         FROM sessions ORDER BY id",
                    ),
                    serial,
                ))
            })
            .expect("seeds");
        let mut expected_users = Vec::new();
        let mut expected_sessions = Vec::new();
        for index in 0..users {
            let user = serial.user(index);
            expected_users.push(vec![
                Value::Integer(user.id),
                text(&user.username),
                text(&user.email),
                maybe(user.first_name),
                maybe(user.last_name),
                maybe(user.mobile.as_deref()),
                text(user.role),
                text(user.status),
                user.plan_id.map_or(Value::Null, Value::Integer),
                maybe(user.expiration_date.as_deref()),
                user.parent_id.map_or(Value::Null, Value::Integer),
                text("hash"),
                text(&user.created_at),
                text(&user.updated_at),
                maybe(user.last_login.as_deref()),
            ]);
            for session in &user.sessions {
                expected_sessions.push(vec![
                    text(&session.uuid),
                    Value::Integer(user.id),
                    Value::Null,
                    text(session.agent),
                    text(&session.ip),
                    text(&session.created_at),
                    text(&session.last_seen),
                ]);
            }
        }
        assert_eq!(written_users.len() as u64, users);
        assert!(
            written_sessions.len() as u64 > users,
            "most users have sessions"
        );
        assert!(
            written_users == expected_users,
            "users differ from serial generation"
        );
        assert!(
            written_sessions == expected_sessions,
            "sessions differ from serial generation"
        );
    }

    #[test]
    fn a_seed_gives_the_connection_back_as_it_found_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(Some(&dir.path().join("x.sqlite"))).expect("opens");
        let settings = |conn: &Connection| -> rusqlite::Result<Vec<String>> {
            [
                "journal_mode",
                "synchronous",
                "temp_store",
                "threads",
                "mmap_size",
                "foreign_keys",
                "ignore_check_constraints",
                "cache_size",
            ]
            .iter()
            .map(|pragma| {
                conn.pragma_query_value(None, pragma, |row| row.get::<_, Value>(0))
                    .map(|value| format!("{pragma}={value:?}"))
            })
            .collect()
        };
        let (before, after) = store
            .write_blocking(|conn| {
                let before = settings(conn)?;
                seed(conn, 300, 2, "hash")?;
                Ok((before, settings(conn)?))
            })
            .expect("seeds");
        assert_eq!(before, after);
        assert!(before.contains(&"foreign_keys=Integer(1)".to_string()));
        let refused = store.write_blocking(|conn| {
            Ok(conn.execute(
                "UPDATE users SET role = 'Overlord' WHERE id = (SELECT max(id) FROM users)",
                [],
            )?)
        });
        assert!(
            refused.is_err(),
            "CHECK constraints hold again after a seed"
        );
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
