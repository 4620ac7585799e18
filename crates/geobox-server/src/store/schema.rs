//! The schema: its migrations, the secondary indexes, and the triggers that keep the
//! keyword-search index in step; dropped and rebuilt around a bulk load.

use rusqlite::Connection;

use super::Store;

/// Each entry moves the schema one version up; `PRAGMA user_version` remembers where it stands.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT,
    description TEXT,
    plan_color TEXT NOT NULL,
    storage INTEGER NOT NULL,
    concurrent_tasks INTEGER NOT NULL,
    daily_api_calls INTEGER NOT NULL,
    monthly_api_calls INTEGER NOT NULL,
    daily_traffic INTEGER NOT NULL,
    monthly_traffic INTEGER NOT NULL,
    daily_process INTEGER NOT NULL,
    monthly_process INTEGER NOT NULL,
    number_of_days INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL COLLATE NOCASE,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    mobile TEXT,
    role TEXT NOT NULL CHECK (role IN ('System Admin','Account Admin','Publisher','Editor','Viewer')),
    status TEXT NOT NULL CHECK (status IN ('New','Pending','Active','Disabled')),
    plan_id INTEGER REFERENCES plans(id) ON DELETE SET NULL,
    expiration_date TEXT,
    parent_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT,
    last_login TEXT
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT UNIQUE,
    agent TEXT,
    ip TEXT,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id);
CREATE VIRTUAL TABLE users_fts USING fts5(
    username, email, first_name, last_name, mobile,
    content='users', content_rowid='id', tokenize='trigram'
);
"#,
    // The in-memory columns (`columns.rs`) answer a status or role filter in any sort order;
    // these indexes did it in SQLite for ten seconds of every million-user seed and about 330 MB.
    r#"
DROP INDEX IF EXISTS users_status_by_username;
DROP INDEX IF EXISTS users_status_by_last_name;
DROP INDEX IF EXISTS users_status_by_first_name;
DROP INDEX IF EXISTS users_status_by_created_at;
DROP INDEX IF EXISTS users_status_by_expiration_date;
DROP INDEX IF EXISTS users_role_by_username;
DROP INDEX IF EXISTS users_role_by_last_name;
DROP INDEX IF EXISTS users_role_by_first_name;
DROP INDEX IF EXISTS users_role_by_created_at;
DROP INDEX IF EXISTS users_role_by_expiration_date;
"#,
];

/// Secondary indexes: one per filter and sort the API offers, and the unique keys. Kept apart
/// from the migrations so a bulk seed can drop them and build each once at the end, which is
/// far faster than updating fifteen B-trees row by row in random key order.
/// `(name, "UNIQUE " or "", target)`; unique ones are constraints the seeder keeps by itself.
const INDEXES: &[(&str, &str, &str)] = &[
    ("users_username", "UNIQUE ", "users(username)"),
    ("sessions_uuid", "UNIQUE ", "sessions(uuid)"),
    ("sessions_user", "", "sessions(user_id, last_seen)"),
    ("users_email", "", "users(email)"),
    ("users_email_nocase", "", "users(email COLLATE NOCASE)"),
    ("users_first_name", "", "users(first_name)"),
    ("users_last_name", "", "users(last_name)"),
    ("users_mobile", "", "users(mobile)"),
    ("users_role", "", "users(role)"),
    ("users_status", "", "users(status)"),
    ("users_plan", "", "users(plan_id)"),
    ("users_expiration", "", "users(expiration_date)"),
    ("users_parent", "", "users(parent_id)"),
    ("users_created", "", "users(created_at)"),
    ("users_updated", "", "users(updated_at)"),
    ("users_last_login", "", "users(last_login)"),
    // Ids alone: a deep page in id order steps over these small entries, not whole rows.
    ("users_id", "", "users(id)"),
    // The console's usual combinations: counts of these come from the index alone.
    ("users_status_role", "", "users(status, role)"),
];

/// Keeps the external-content FTS index in step with `users`.
const FTS_TRIGGERS: &str = r#"
CREATE TRIGGER IF NOT EXISTS users_fts_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts(rowid, username, email, first_name, last_name, mobile)
    VALUES (new.id, new.username, new.email, new.first_name, new.last_name, new.mobile);
END;
CREATE TRIGGER IF NOT EXISTS users_fts_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts(users_fts, rowid, username, email, first_name, last_name, mobile)
    VALUES ('delete', old.id, old.username, old.email, old.first_name, old.last_name, old.mobile);
END;
CREATE TRIGGER IF NOT EXISTS users_fts_update AFTER UPDATE OF username, email, first_name, last_name, mobile ON users BEGIN
    INSERT INTO users_fts(users_fts, rowid, username, email, first_name, last_name, mobile)
    VALUES ('delete', old.id, old.username, old.email, old.first_name, old.last_name, old.mobile);
    INSERT INTO users_fts(rowid, username, email, first_name, last_name, mobile)
    VALUES (new.id, new.username, new.email, new.first_name, new.last_name, new.mobile);
END;
"#;

/// Migrates, and builds the indexes and triggers added since the database was made.
pub(super) fn bring_up_to_date(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate(conn)?;
    create_indexes(conn)?;
    conn.execute_batch(FTS_TRIGGERS)
}

impl Store {
    /// Drops the indexes and triggers a bulk load would otherwise update row by row.
    pub fn begin_bulk_load(conn: &Connection) -> rusqlite::Result<()> {
        for (name, _, _) in INDEXES {
            conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
        }
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS users_fts_insert;
             DROP TRIGGER IF EXISTS users_fts_delete;
             DROP TRIGGER IF EXISTS users_fts_update;",
        )
    }

    /// Rebuilds what [`Store::begin_bulk_load`] dropped.
    pub fn end_bulk_load(conn: &Connection) -> rusqlite::Result<()> {
        // An index build sorts its keys in runs as large as the page cache, then merges them.
        // Small runs fit the processor's caches and, when the connection allows helper
        // threads, are sorted on the other cores while this one reads the table.
        let cache_size: i64 = conn.pragma_query_value(None, "cache_size", |row| row.get(0))?;
        conn.pragma_update(None, "cache_size", INDEX_BUILD_CACHE_SIZE)?;
        let built = build_indexes_timed(conn).and_then(|()| {
            let started = std::time::Instant::now();
            conn.execute_batch(FTS_REBUILD)?;
            tracing::debug!(seconds = started.elapsed().as_secs_f64(), "built users_fts");
            Ok(())
        });
        conn.pragma_update(None, "cache_size", cache_size)?;
        built?;
        conn.execute_batch(FTS_TRIGGERS)
    }
}

/// The page cache while indexes are built, in KiB (negative, as `PRAGMA cache_size` takes it).
const INDEX_BUILD_CACHE_SIZE: i64 = -2_048;

/// The full-text index holds new terms in memory and writes them out as a segment whenever
/// that fills: 1 MiB by default, which makes a rebuild of a million users write hundreds of
/// segments and merge them again and again. With 64 MiB and no merging the rebuild writes a
/// handful, few enough that a query reads them all at no visible cost; then everyday writes
/// get the defaults back.
const FTS_REBUILD: &str = "
INSERT INTO users_fts(users_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO users_fts(users_fts, rank) VALUES ('automerge', 0);
INSERT INTO users_fts(users_fts) VALUES ('rebuild');
INSERT INTO users_fts(users_fts, rank) VALUES ('automerge', 4);
INSERT INTO users_fts(users_fts, rank) VALUES ('hashsize', 1048576);
";

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        if index == 0 {
            create_indexes(&tx)?;
        }
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// The single-column index of a sort column.
pub(super) fn single_index(column: &str) -> &'static str {
    match column {
        "username" => "users_username",
        "email" => "users_email",
        "first_name" => "users_first_name",
        "last_name" => "users_last_name",
        "mobile" => "users_mobile",
        "role" => "users_role",
        "status" => "users_status",
        "plan_id" => "users_plan",
        "expiration_date" => "users_expiration",
        "parent_id" => "users_parent",
        "created_at" => "users_created",
        "updated_at" => "users_updated",
        _ => "users_last_login",
    }
}

/// [`create_indexes`], saying at debug level what each one cost: the numbers behind the
/// list of indexes in `docs/performance.md`.
fn build_indexes_timed(conn: &Connection) -> rusqlite::Result<()> {
    for (name, unique, target) in INDEXES {
        let started = std::time::Instant::now();
        conn.execute_batch(&format!(
            "CREATE {unique}INDEX IF NOT EXISTS {name} ON {target}"
        ))?;
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), "built {name}");
    }
    Ok(())
}

fn create_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (name, unique, target) in INDEXES {
        conn.execute_batch(&format!(
            "CREATE {unique}INDEX IF NOT EXISTS {name} ON {target}"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewUserRecord, insert_user};

    #[test]
    fn a_seeded_file_database_is_back_in_wal_with_its_unique_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(Some(&dir.path().join("x.sqlite"))).expect("opens");
        let journal: String = store
            .write_blocking(|conn| {
                crate::seed::seed(conn, 50, 1, "hash")?;
                Ok(conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?)
            })
            .expect("seeds");
        assert_eq!(journal, "wal");
        let full_text_settings: Vec<(String, i64)> = store
            .read_blocking(|conn| {
                let mut statement = conn.prepare(
                    "SELECT k, v FROM users_fts_config WHERE k IN ('automerge', 'hashsize')
                     ORDER BY k",
                )?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .expect("reads");
        assert_eq!(
            full_text_settings,
            [
                ("automerge".to_string(), 4),
                ("hashsize".to_string(), 1_048_576)
            ],
            "everyday writes to the full-text index get the defaults back"
        );
        let taken = store
            .read_blocking(|conn| {
                Ok(
                    conn.query_row("SELECT username FROM users LIMIT 1", [], |row| {
                        row.get::<_, String>(0)
                    })?,
                )
            })
            .expect("reads");
        let duplicate = store.write_blocking(|conn| {
            Ok(insert_user(
                conn,
                &NewUserRecord::example(&taken.to_uppercase()),
            )?)
        });
        assert!(
            duplicate.is_err(),
            "usernames stay unique, case-insensitively"
        );
    }

    #[test]
    fn a_database_from_before_the_in_memory_columns_loses_its_composite_indexes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.sqlite");
        Store::open(Some(&path)).expect("opens").close();
        {
            let old = Connection::open(&path).expect("opens");
            old.execute_batch(
                "CREATE INDEX users_status_by_username ON users(status, username, id, role);
                 CREATE INDEX users_role_by_created_at ON users(role, created_at, id, status);
                 PRAGMA user_version = 1;",
            )
            .expect("makes an old database");
        }
        let store = Store::open(Some(&path)).expect("migrates");
        let composites: i64 = store
            .read_blocking(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name LIKE '%\\_by\\_%' ESCAPE '\\'",
                    [],
                    |row| row.get(0),
                )?)
            })
            .expect("reads");
        assert_eq!(composites, 0);
    }

    #[test]
    fn migrations_run_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.sqlite");
        Store::open(Some(&path)).expect("opens").close();
        let store = Store::open(Some(&path)).expect("opens again");
        let version: i64 = store
            .read_blocking(|conn| Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?))
            .expect("reads");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
