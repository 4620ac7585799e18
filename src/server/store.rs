//! SQLite storage: the schema and its migrations, a small connection pool, and every query the
//! routes need. All of it is blocking; the async side reaches it through [`Store::read`] and
//! [`Store::write`], which run on tokio's blocking threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::Value;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row, Transaction, params, params_from_iter,
};
use serde_json::Map;

use super::cql::{Field, FieldKind, FullTextHint, SqlFilter};
use super::error::{ServerError, ServerResult};
use super::validate::UserFields;
use crate::api::{Plan, Session, User, UserRole, UserStatus};

pub const ROLES: &[&str] = &[
    "System Admin",
    "Account Admin",
    "Publisher",
    "Editor",
    "Viewer",
];
pub const STATUSES: &[&str] = &["New", "Pending", "Active", "Disabled"];

/// The user fields a filter, a sort or `search_fields` may name. Each has an index.
pub const USER_FIELDS: &[Field] = &[
    field("id", FieldKind::Integer),
    field("username", FieldKind::FullText),
    field("email", FieldKind::FullText),
    field("first_name", FieldKind::FullText),
    field("last_name", FieldKind::FullText),
    field("mobile", FieldKind::FullText),
    field("role", FieldKind::Enum(ROLES)),
    field("status", FieldKind::Enum(STATUSES)),
    field("plan_id", FieldKind::Integer),
    field("expiration_date", FieldKind::Date),
    field("parent_id", FieldKind::Integer),
    field("created_at", FieldKind::Date),
    field("updated_at", FieldKind::Date),
    field("last_login", FieldKind::Date),
];

/// The plan fields a filter or a sort may name (a handful of rows: no indexes needed).
pub const PLAN_FIELDS: &[Field] = &[
    field("id", FieldKind::Integer),
    field("name", FieldKind::Text),
    field("display_name", FieldKind::Text),
    field("description", FieldKind::Text),
    field("plan_color", FieldKind::Text),
    field("storage", FieldKind::Integer),
    field("concurrent_tasks", FieldKind::Integer),
    field("daily_api_calls", FieldKind::Integer),
    field("monthly_api_calls", FieldKind::Integer),
    field("daily_traffic", FieldKind::Integer),
    field("monthly_traffic", FieldKind::Integer),
    field("daily_process", FieldKind::Integer),
    field("monthly_process", FieldKind::Integer),
    field("number_of_days", FieldKind::Integer),
    field("created_at", FieldKind::Date),
];

/// The text fields of a plan that `search` looks at.
pub const PLAN_TEXT_FIELDS: &[&str] = &["name", "display_name", "description"];

const fn field(name: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        column: name,
        kind,
    }
}

/// The user fields keyword search covers (the columns of the FTS index).
pub const SEARCH_FIELDS: &[&str] = &["username", "email", "first_name", "last_name", "mobile"];

/// Each entry moves the schema one version up; `PRAGMA user_version` remembers where it stands.
const MIGRATIONS: &[&str] = &[r#"
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
"#];

/// Secondary indexes: one per filter and sort the API offers, and the unique keys. Kept apart
/// from the migrations so a bulk seed can drop them and build each once at the end, which is
/// far faster than updating fifteen B-trees row by row in random key order.
/// `(name, "UNIQUE " or "", target)`; unique ones are constraints the seeder keeps by itself.
const INDEXES: &[(&str, &str, &str)] = &[
    ("users_username", "UNIQUE ", "users(username)"),
    ("sessions_uuid", "UNIQUE ", "sessions(uuid)"),
    ("sessions_user", "", "sessions(user_id, last_seen)"),
    ("users_email", "", "users(email)"),
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
    // The console's usual combinations: counts of these come from the index alone.
    ("users_status_role", "", "users(status, role)"),
    ("users_role_created", "", "users(role, created_at)"),
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

/// Where the database lives.
#[derive(Clone, Debug)]
enum Source {
    File(PathBuf),
    /// A `memdb` VFS name: shared by every connection of this process while one stays open.
    Memory(String),
}

/// Connections beyond this many idle readers are closed after use.
const MAX_IDLE_READERS: usize = 4;

/// The database: one writer connection (SQLite allows one writer at a time anyway) and a pool
/// of readers, which WAL lets run alongside the writer.
pub struct Store {
    source: Source,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database. Blocking.
    pub fn open(path: Option<&Path>) -> ServerResult<Store> {
        let source = match path {
            Some(path) => Source::File(path.to_path_buf()),
            None => Source::Memory(format!("/geobox-users-{}", uuid::Uuid::new_v4().simple())),
        };
        let mut writer = connect(&source)?;
        match &source {
            Source::File(_) => writer.pragma_update(None, "journal_mode", "WAL")?,
            Source::Memory(_) => {
                set_memory_limit(&writer, MEMORY_DB_LIMIT)?;
            }
        }
        migrate(&mut writer)?;
        // Indexes added since a database was made are built on its next start.
        create_indexes(&writer)?;
        writer.execute_batch(FTS_TRIGGERS)?;
        Ok(Store {
            source,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Runs `work` on a reader connection on a blocking thread.
    pub async fn read<T, F>(self: &Arc<Self>, work: F) -> ServerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ServerResult<T> + Send + 'static,
    {
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || store.read_blocking(work))
            .await
            .map_err(|error| ServerError::Internal(format!("database task failed: {error}")))?
    }

    /// Runs `work` on the writer connection on a blocking thread.
    pub async fn write<T, F>(self: &Arc<Self>, work: F) -> ServerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> ServerResult<T> + Send + 'static,
    {
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || store.write_blocking(work))
            .await
            .map_err(|error| ServerError::Internal(format!("database task failed: {error}")))?
    }

    /// Runs `work` in one transaction of the writer connection on a blocking thread: committed
    /// when it returns `Ok`, rolled back otherwise.
    pub async fn transaction<T, F>(self: &Arc<Self>, work: F) -> ServerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ServerResult<T> + Send + 'static,
    {
        let store = Arc::clone(self);
        tokio::task::spawn_blocking(move || store.transaction_blocking(work))
            .await
            .map_err(|error| ServerError::Internal(format!("database task failed: {error}")))?
    }

    /// [`Store::transaction`] on the calling thread.
    pub fn transaction_blocking<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> ServerResult<T>,
    ) -> ServerResult<T> {
        self.write_blocking(|conn| {
            let tx = conn.transaction()?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })
    }

    pub fn read_blocking<T>(
        &self,
        work: impl FnOnce(&Connection) -> ServerResult<T>,
    ) -> ServerResult<T> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => connect(&self.source)?,
        };
        let result = work(&connection);
        let mut readers = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if readers.len() < MAX_IDLE_READERS {
            readers.push(connection);
        }
        result
    }

    pub fn write_blocking<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> ServerResult<T>,
    ) -> ServerResult<T> {
        // A panic inside `work` rolls its transaction back on unwind, so the connection is sound.
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut writer)
    }

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
        create_indexes(conn)?;
        conn.execute_batch("INSERT INTO users_fts(users_fts) VALUES ('rebuild');")?;
        conn.execute_batch(FTS_TRIGGERS)
    }

    /// Closes every connection (checkpointing the WAL of a file database).
    pub fn close(self) {
        drop(self.readers);
        let writer = self
            .writer
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Err((_, error)) = writer.close() {
            tracing::warn!(%error, "closing the database");
        }
    }
}

/// An in-memory database stops growing at 1 GiB unless told otherwise, and a million demo
/// users take about 1.3 GB. It is one contiguous allocation, which SQLite caps just under
/// 2 GiB (SQLITE_MAX_ALLOCATION_SIZE), so that is the most it can be: about 1.5 million
/// users. Larger demos need `--db`.
const MEMORY_DB_LIMIT: i64 = 2_000_000_000;

/// Sets (or, with a negative `limit`, reads) the size limit of a `memdb` database; answers the
/// limit in effect.
fn set_memory_limit(conn: &Connection, limit: i64) -> rusqlite::Result<i64> {
    let mut value: i64 = limit;
    // SAFETY: the handle belongs to `conn`, which outlives the call; for SQLITE_FCNTL_SIZE_LIMIT
    // the memdb VFS reads and writes exactly one sqlite3_int64 through the pointer, and `value`
    // lives on this frame until the call returns. Nothing else touches it.
    let code = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_SIZE_LIMIT,
            (&raw mut value).cast(),
        )
    };
    if code == rusqlite::ffi::SQLITE_OK {
        Ok(value)
    } else {
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            Some("cannot raise the in-memory database size limit".into()),
        ))
    }
}

fn connect(source: &Source) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = match source {
        Source::File(path) => Connection::open_with_flags(path, flags)?,
        Source::Memory(name) => {
            Connection::open_with_flags(format!("file:{name}?vfs=memdb"), flags)?
        }
    };
    connection.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(connection)
}

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

fn create_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (name, unique, target) in INDEXES {
        conn.execute_batch(&format!(
            "CREATE {unique}INDEX IF NOT EXISTS {name} ON {target}"
        ))?;
    }
    Ok(())
}

/// Now, as stored: UTC, second precision, ISO 8601.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

// ---- users ----

/// A user as stored, without the password hash.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub role: String,
    pub status: String,
    pub plan_id: Option<i64>,
    pub expiration_date: Option<String>,
    pub parent_id: Option<i64>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub last_login: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> UserRole {
        UserRole::from_wire(&self.role)
    }

    pub fn is_disabled(&self) -> bool {
        UserStatus::from_wire(&self.status) == UserStatus::Disabled
    }

    /// The wire object, with the plan expanded.
    pub fn to_api(&self, plans: &HashMap<i64, Plan>) -> User {
        let mut extra = Map::new();
        extra.insert("plan_id".into(), self.plan_id.into());
        extra.insert("updated_at".into(), self.updated_at.clone().into());
        extra.insert("last_login".into(), self.last_login.clone().into());
        User {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            mobile: self.mobile.clone(),
            role: Some(UserRole::from_wire(&self.role)),
            status: Some(UserStatus::from_wire(&self.status)),
            plan: self.plan_id.and_then(|id| plans.get(&id).cloned()),
            expiration_date: self.expiration_date.clone(),
            parent_id: self.parent_id,
            created_at: Some(self.created_at.clone()),
            extra,
        }
    }
}

const USER_COLUMNS: &str = "id, username, email, first_name, last_name, mobile, role, status, \
     plan_id, expiration_date, parent_id, created_at, updated_at, last_login";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        username: row.get(1)?,
        email: row.get(2)?,
        first_name: row.get(3)?,
        last_name: row.get(4)?,
        mobile: row.get(5)?,
        role: row.get(6)?,
        status: row.get(7)?,
        plan_id: row.get(8)?,
        expiration_date: row.get(9)?,
        parent_id: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        last_login: row.get(13)?,
    })
}

pub fn find_user(conn: &Connection, id: i64) -> rusqlite::Result<Option<UserRow>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))?
        .query_row([id], user_from_row)
        .optional()
}

/// A user and their password hash, by username (case-insensitive).
pub fn find_login(
    conn: &Connection,
    username: &str,
) -> rusqlite::Result<Option<(UserRow, String)>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?"
    ))?
    .query_row([username], |row| Ok((user_from_row(row)?, row.get(14)?)))
    .optional()
}

pub fn username_taken(
    conn: &Connection,
    username: &str,
    except: Option<i64>,
) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE username = ? AND id IS NOT ?")?
        .exists(params![username, except])
}

/// The columns of a new user.
#[derive(Clone, Debug)]
pub struct NewUserRecord {
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub role: String,
    pub status: String,
    pub plan_id: Option<i64>,
    pub expiration_date: Option<String>,
    pub parent_id: Option<i64>,
    pub password_hash: String,
    pub created_at: String,
}

pub fn insert_user(conn: &Connection, user: &NewUserRecord) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO users (username, email, first_name, last_name, mobile, role, status, plan_id,
             expiration_date, parent_id, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        user.username,
        user.email,
        user.first_name,
        user.last_name,
        user.mobile,
        user.role,
        user.status,
        user.plan_id,
        user.expiration_date,
        user.parent_id,
        user.password_hash,
        user.created_at,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// One column to change: its (whitelisted) name and the new value.
/// Writes the fields given (and `updated_at`); nothing at all when none is.
pub fn update_user(conn: &Connection, id: i64, fields: &UserFields) -> rusqlite::Result<()> {
    let text = |value: &Option<String>| value.clone().map_or(Value::Null, Value::Text);
    let mut changes: Vec<(&str, Value)> = Vec::new();
    if let Some(username) = &fields.username {
        changes.push(("username", Value::Text(username.clone())));
    }
    if let Some(email) = &fields.email {
        changes.push(("email", Value::Text(email.clone())));
    }
    for (column, value) in [
        ("first_name", &fields.first_name),
        ("last_name", &fields.last_name),
        ("mobile", &fields.mobile),
        ("expiration_date", &fields.expiration_date),
    ] {
        if let Some(value) = value {
            changes.push((column, text(value)));
        }
    }
    if let Some(role) = &fields.role {
        changes.push(("role", Value::Text(role.as_str().to_string())));
    }
    if let Some(status) = &fields.status {
        changes.push(("status", Value::Text(status.as_str().to_string())));
    }
    if let Some(plan_id) = fields.plan_id {
        changes.push(("plan_id", plan_id.map_or(Value::Null, Value::Integer)));
    }
    set_columns(conn, id, &changes)
}

/// Makes `member` a member of `parent`, or of nobody.
pub fn set_parent(conn: &Connection, member: i64, parent: Option<i64>) -> rusqlite::Result<()> {
    set_columns(
        conn,
        member,
        &[("parent_id", parent.map_or(Value::Null, Value::Integer))],
    )
}

/// The column names come from this file only, never from a request.
fn set_columns(conn: &Connection, id: i64, changes: &[(&str, Value)]) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = changes
        .iter()
        .map(|(column, _)| format!("{column} = ?"))
        .collect();
    let sql = format!(
        "UPDATE users SET {}, updated_at = ? WHERE id = ?",
        sets.join(", ")
    );
    let mut values: Vec<Value> = changes.iter().map(|(_, value)| value.clone()).collect();
    values.push(Value::Text(now()));
    values.push(Value::Integer(id));
    conn.execute(&sql, params_from_iter(values))?;
    Ok(())
}

pub fn set_password_hash(conn: &Connection, id: i64, hash: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
        params![hash, now(), id],
    )?;
    Ok(())
}

pub fn delete_user(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?", [id])? > 0)
}

/// Whether `ancestor` is `id` itself or above it in the parent chain.
pub fn is_ancestor_or_self(conn: &Connection, ancestor: i64, id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "WITH RECURSIVE chain(id) AS (
             SELECT ? UNION SELECT users.parent_id FROM users JOIN chain ON users.id = chain.id
             WHERE users.parent_id IS NOT NULL
         ) SELECT 1 FROM chain WHERE id = ?",
    )?
    .exists(params![id, ancestor])
}

/// A validated user listing: which rows, in which order, which page.
#[derive(Clone, Debug, Default)]
pub struct UserListing {
    pub status: Option<String>,
    pub filter: Option<SqlFilter>,
    /// Keyword search terms and the columns they look at.
    pub search: Option<(String, Vec<&'static str>)>,
    pub parent_id: Option<i64>,
    /// `(column, descending)`
    pub order_by: Vec<(&'static str, bool)>,
    pub skip: u64,
    pub limit: u64,
}

/// The FTS index as a CQL hint: substring LIKEs on text columns can use it.
pub struct UsersFullText;

impl FullTextHint for UsersFullText {
    fn candidates(&self, column: &str, needle: &str) -> Option<(String, Value)> {
        SEARCH_FIELDS.contains(&column).then(|| {
            (
                "SELECT rowid FROM users_fts WHERE users_fts MATCH ?".to_string(),
                Value::Text(format!("{{{column}}} : {}", fts_phrase(needle))),
            )
        })
    }
}

/// A string as one FTS5 phrase: quoted, inner quotes doubled.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// The WHERE of a listing, with the full-text match kept apart: how it joins depends on the
/// query (see [`list_users`] and [`count_users`]).
#[derive(Default)]
struct Where {
    /// An FTS5 query every row must match.
    full_text: Option<String>,
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    /// `" WHERE a AND b"` (or nothing), with extra leading conditions.
    fn sql(&self, extra: &[&str]) -> String {
        let all: Vec<&str> = extra
            .iter()
            .copied()
            .chain(self.conditions.iter().map(String::as_str))
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", all.join(" AND "))
        }
    }
}

/// The keyword search: every term must appear in one of `columns`. Terms of three characters
/// or more go through the trigram index; shorter ones, which a trigram index cannot answer,
/// through LIKE.
fn add_search(terms: &str, columns: &[&'static str], clause: &mut Where) {
    let mut phrases = Vec::new();
    for term in terms.split_whitespace() {
        if term.chars().count() >= 3 {
            phrases.push(fts_phrase(term));
        } else {
            let ors: Vec<String> = columns
                .iter()
                .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
                .collect();
            clause.conditions.push(format!("({})", ors.join(" OR ")));
            clause
                .values
                .extend(columns.iter().map(|_| Value::Text(like_escape(term))));
        }
    }
    if !phrases.is_empty() {
        clause.full_text = Some(format!(
            "{{{}}} : ({})",
            columns.join(" "),
            phrases.join(" AND ")
        ));
    }
}

fn listing_where(listing: &UserListing) -> Where {
    let mut clause = Where::default();
    if let Some(status) = &listing.status {
        clause.conditions.push("status = ?".to_string());
        clause.values.push(Value::Text(status.clone()));
    }
    if let Some(parent_id) = listing.parent_id {
        clause.conditions.push("parent_id = ?".to_string());
        clause.values.push(Value::Integer(parent_id));
    }
    if let Some(filter) = &listing.filter {
        clause.conditions.push(filter.sql.clone());
        clause.values.extend(filter.params.iter().cloned());
    } else if let Some((terms, columns)) = &listing.search {
        add_search(terms, columns, &mut clause);
    }
    clause
}

const FTS_ROWIDS: &str = "SELECT rowid FROM users_fts WHERE users_fts MATCH ?";

pub fn list_users(conn: &Connection, listing: &UserListing) -> rusqlite::Result<Vec<UserRow>> {
    list_users_within(conn, listing, PLAN_BUDGET)
}

fn list_users_within(
    conn: &Connection,
    listing: &UserListing,
    budget: std::time::Duration,
) -> rusqlite::Result<Vec<UserRow>> {
    let clause = listing_where(listing);
    let by_id_only = listing.order_by.iter().all(|(column, _)| *column == "id");
    let first_descending = listing
        .order_by
        .first()
        .is_some_and(|(_, descending)| *descending);
    let direction = |descending: bool| if descending { "DESC" } else { "ASC" };
    let mut values = Vec::new();
    let sql = match &clause.full_text {
        Some(query) if by_id_only => {
            // Walk the full-text matches in id order and stop at the page: a common word
            // (thousands of matches) costs what a rare one does.
            values.push(Value::Text(query.clone()));
            values.extend(clause.values.iter().cloned());
            format!(
                "SELECT {USER_COLUMNS} FROM (SELECT rowid AS match_id FROM users_fts \
                 WHERE users_fts MATCH ? ORDER BY rowid) AS matches \
                 CROSS JOIN users ON users.id = matches.match_id{} \
                 ORDER BY matches.match_id {} LIMIT ? OFFSET ?",
                clause.sql(&[]),
                direction(first_descending)
            )
        }
        _ => {
            let mut extra: Vec<String> = Vec::new();
            if let Some(query) = &clause.full_text {
                values.push(Value::Text(query.clone()));
                extra.push(format!("id IN ({FTS_ROWIDS})"));
            }
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            values.extend(clause.values.iter().cloned());
            let mut order: Vec<(&str, bool)> = listing.order_by.clone();
            if !order.iter().any(|(column, _)| *column == "id") {
                // A stable tie-breaker in the first key's direction keeps index order usable.
                order.push(("id", first_descending));
            }
            let order_sql = |prefix: &str| -> String {
                order
                    .iter()
                    .map(|(column, descending)| {
                        format!("{prefix}{column} {}", direction(*descending))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let where_sql = clause.sql(&extra);
            values.push(Value::Integer(
                i64::try_from(listing.limit).unwrap_or(i64::MAX),
            ));
            values.push(Value::Integer(
                i64::try_from(listing.skip).unwrap_or(i64::MAX),
            ));
            let natural = format!(
                "SELECT {USER_COLUMNS} FROM users{where_sql} ORDER BY {} LIMIT ? OFFSET ?",
                order_sql("")
            );
            if where_sql.is_empty() {
                return query_users(conn, &natural, values);
            }
            // SQLite prefers walking an index in the requested order and filtering as it goes:
            // instant when matches come early, slow when they sit deep in that order (say,
            // users created after 2022 when ids follow creation). The other way, finding
            // every match through the best index for the filter and sorting their ids (the
            // `+` hides the order from the planner), has the opposite profile. Give the first
            // a small budget, then fall back to the second.
            match with_budget(conn, budget, || query_users(conn, &natural, values.clone())) {
                Err(error) if is_interrupt(&error) => {
                    let sorted = format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE id IN (\
                         SELECT id FROM users{where_sql} ORDER BY {} LIMIT ? OFFSET ?) \
                         ORDER BY {}",
                        order_sql("+"),
                        order_sql("")
                    );
                    return query_users(conn, &sorted, values);
                }
                other => return other,
            }
        }
    };
    values.push(Value::Integer(
        i64::try_from(listing.limit).unwrap_or(i64::MAX),
    ));
    values.push(Value::Integer(
        i64::try_from(listing.skip).unwrap_or(i64::MAX),
    ));
    query_users(conn, &sql, values)
}

/// How long an id-ordered walk may try before the sort-based plan takes over.
const PLAN_BUDGET: std::time::Duration = std::time::Duration::from_millis(6);

fn query_users(conn: &Connection, sql: &str, values: Vec<Value>) -> rusqlite::Result<Vec<UserRow>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params_from_iter(values), user_from_row)?;
    rows.collect()
}

/// Runs `work`, interrupting its statement once `budget` has passed.
fn with_budget<T>(
    conn: &Connection,
    budget: std::time::Duration,
    work: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + budget;
    conn.progress_handler(1_000, Some(move || std::time::Instant::now() > deadline));
    let result = work();
    conn.progress_handler(0, None::<fn() -> bool>);
    result
}

fn is_interrupt(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == rusqlite::ErrorCode::OperationInterrupted
    )
}

pub fn count_users(conn: &Connection, listing: &UserListing) -> rusqlite::Result<u64> {
    let clause = listing_where(listing);
    let (sql, values) = match &clause.full_text {
        // The index alone knows how many rows match: every user has exactly one FTS row.
        Some(query) if clause.conditions.is_empty() => (
            "SELECT count(*) FROM users_fts WHERE users_fts MATCH ?".to_string(),
            vec![Value::Text(query.clone())],
        ),
        Some(query) => {
            let mut values = vec![Value::Text(query.clone())];
            values.extend(clause.values.iter().cloned());
            let membership = format!("id IN ({FTS_ROWIDS})");
            (
                format!("SELECT count(*) FROM users{}", clause.sql(&[&membership])),
                values,
            )
        }
        None => (
            format!("SELECT count(*) FROM users{}", clause.sql(&[])),
            clause.values.clone(),
        ),
    };
    conn.prepare_cached(&sql)?
        .query_row(params_from_iter(values), |row| row.get(0))
}

pub fn list_members(
    conn: &Connection,
    parent_id: i64,
    limit: u64,
) -> rusqlite::Result<Vec<UserRow>> {
    list_users(
        conn,
        &UserListing {
            parent_id: Some(parent_id),
            limit,
            ..Default::default()
        },
    )
}

// ---- plans ----

const PLAN_COLUMNS: &str = "id, name, display_name, description, plan_color, storage, \
     concurrent_tasks, daily_api_calls, monthly_api_calls, daily_traffic, monthly_traffic, \
     daily_process, monthly_process, number_of_days, created_at";

fn plan_from_row(row: &Row<'_>) -> rusqlite::Result<Plan> {
    let mut extra = Map::new();
    extra.insert(
        "description".into(),
        row.get::<_, Option<String>>(3)?.into(),
    );
    extra.insert("created_at".into(), row.get::<_, String>(14)?.into());
    Ok(Plan {
        id: row.get(0)?,
        name: row.get(1)?,
        display_name: row.get(2)?,
        plan_color: row.get(4)?,
        storage: row.get(5)?,
        concurrent_tasks: row.get(6)?,
        daily_api_calls: row.get(7)?,
        monthly_api_calls: row.get(8)?,
        daily_traffic: row.get(9)?,
        monthly_traffic: row.get(10)?,
        daily_process: row.get(11)?,
        monthly_process: row.get(12)?,
        number_of_days: row.get(13)?,
        extra,
    })
}

/// Every plan by id (a handful: read whole for each answer that embeds plans).
pub fn plans_by_id(conn: &Connection) -> rusqlite::Result<HashMap<i64, Plan>> {
    let mut statement = conn.prepare_cached(&format!("SELECT {PLAN_COLUMNS} FROM plans"))?;
    let plans = statement.query_map([], plan_from_row)?;
    plans.map(|plan| plan.map(|plan| (plan.id, plan))).collect()
}

pub fn find_plan(conn: &Connection, id: i64) -> rusqlite::Result<Option<Plan>> {
    conn.prepare_cached(&format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?"))?
        .query_row([id], plan_from_row)
        .optional()
}

/// A validated plan listing.
#[derive(Clone, Debug, Default)]
pub struct PlanListing {
    pub filter: Option<SqlFilter>,
    pub search: Option<(String, Vec<&'static str>)>,
    pub order_by: Vec<(&'static str, bool)>,
    pub skip: u64,
    pub limit: u64,
}

fn plan_where(listing: &PlanListing) -> (String, Vec<Value>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(filter) = &listing.filter {
        conditions.push(filter.sql.clone());
        values.extend(filter.params.iter().cloned());
    } else if let Some((terms, columns)) = &listing.search {
        for term in terms.split_whitespace() {
            let ors: Vec<String> = columns
                .iter()
                .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
                .collect();
            conditions.push(format!("({})", ors.join(" OR ")));
            values.extend(columns.iter().map(|_| Value::Text(like_escape(term))));
        }
    }
    if conditions.is_empty() {
        (String::new(), values)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), values)
    }
}

pub fn list_plans(conn: &Connection, listing: &PlanListing) -> rusqlite::Result<Vec<Plan>> {
    let (where_sql, mut values) = plan_where(listing);
    let mut order: Vec<String> = listing
        .order_by
        .iter()
        .map(|(column, descending)| {
            format!("{column} {}", if *descending { "DESC" } else { "ASC" })
        })
        .collect();
    order.push("id ASC".to_string());
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM plans{where_sql} ORDER BY {} LIMIT ? OFFSET ?",
        order.join(", ")
    );
    values.push(Value::Integer(
        i64::try_from(listing.limit).unwrap_or(i64::MAX),
    ));
    values.push(Value::Integer(
        i64::try_from(listing.skip).unwrap_or(i64::MAX),
    ));
    let mut statement = conn.prepare(&sql)?;
    let plans = statement.query_map(params_from_iter(values), plan_from_row)?;
    plans.collect()
}

pub fn count_plans(conn: &Connection, listing: &PlanListing) -> rusqlite::Result<u64> {
    let (where_sql, values) = plan_where(listing);
    conn.prepare(&format!("SELECT count(*) FROM plans{where_sql}"))?
        .query_row(params_from_iter(values), |row| row.get(0))
}

// ---- sessions and keys ----

/// Who a request is from: the user and, for a token, the session it is bound to.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserRow,
    pub session_uuid: Option<String>,
}

/// The session a token hash belongs to, with its user and when it was last seen.
pub fn principal_by_token(
    conn: &Connection,
    token_hash: &str,
) -> rusqlite::Result<Option<(Principal, String)>> {
    let columns: Vec<String> = USER_COLUMNS
        .split(", ")
        .map(|column| format!("u.{column}"))
        .collect();
    conn.prepare_cached(&format!(
        "SELECT {}, s.uuid, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ?",
        columns.join(", ")
    ))?
    .query_row([token_hash], |row| {
        Ok((
            Principal {
                user: user_from_row(row)?,
                session_uuid: Some(row.get(14)?),
            },
            row.get(15)?,
        ))
    })
    .optional()
}

pub fn principal_by_api_key(
    conn: &Connection,
    key_hash: &str,
) -> rusqlite::Result<Option<Principal>> {
    let columns: Vec<String> = USER_COLUMNS
        .split(", ")
        .map(|column| format!("u.{column}"))
        .collect();
    conn.prepare_cached(&format!(
        "SELECT {} FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?",
        columns.join(", ")
    ))?
    .query_row([key_hash], |row| {
        Ok(Principal {
            user: user_from_row(row)?,
            session_uuid: None,
        })
    })
    .optional()
}

pub fn insert_api_key(
    conn: &Connection,
    user_id: i64,
    name: &str,
    key_hash: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO api_keys (user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?)",
        params![user_id, name, key_hash, now()],
    )?;
    Ok(())
}

/// The columns of a new session.
pub struct NewSession<'a> {
    pub uuid: &'a str,
    pub user_id: i64,
    pub token_hash: Option<&'a str>,
    pub agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub created_at: &'a str,
    pub last_seen: &'a str,
}

pub fn insert_session(conn: &Connection, session: &NewSession<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (uuid, user_id, token_hash, agent, ip, created_at, last_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        session.uuid,
        session.user_id,
        session.token_hash,
        session.agent,
        session.ip,
        session.created_at,
        session.last_seen,
    ])?;
    Ok(())
}

pub fn touch_session(conn: &Connection, uuid: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen = ? WHERE uuid = ?",
        params![now(), uuid],
    )?;
    Ok(())
}

pub fn list_sessions(
    conn: &Connection,
    user_id: i64,
    current: Option<&str>,
) -> rusqlite::Result<Vec<Session>> {
    let mut statement = conn.prepare_cached(
        "SELECT uuid, agent, ip, created_at, last_seen FROM sessions WHERE user_id = ?
         ORDER BY last_seen DESC, uuid",
    )?;
    let sessions = statement.query_map([user_id], |row| {
        let uuid: String = row.get(0)?;
        Ok(Session {
            current: Some(current == Some(uuid.as_str())),
            uuid,
            agent: row.get(1)?,
            ip: row.get(2)?,
            created_at: row.get(3)?,
            last_seen: row.get(4)?,
            extra: Map::new(),
        })
    })?;
    sessions.collect()
}

pub fn delete_session(conn: &Connection, user_id: i64, uuid: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE user_id = ? AND uuid = ?",
        params![user_id, uuid],
    )? > 0)
}

/// Signs a user out everywhere but `keep`.
pub fn delete_sessions_except(
    conn: &Connection,
    user_id: i64,
    keep: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ? AND uuid IS NOT ?",
        params![user_id, keep],
    )
}

pub fn set_last_login(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET last_login = ? WHERE id = ?",
        params![at, id],
    )?;
    Ok(())
}

/// How many users the database holds (an empty one gets seeded).
pub fn user_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(username: &str) -> NewUserRecord {
        NewUserRecord {
            username: username.into(),
            email: Some(format!("{username}@example.ir")),
            first_name: Some("Reza".into()),
            last_name: Some("Ahmadi".into()),
            mobile: Some("+98 912 000 0000".into()),
            role: "Viewer".into(),
            status: "Active".into(),
            plan_id: None,
            expiration_date: None,
            parent_id: None,
            password_hash: "x".into(),
            created_at: now(),
        }
    }

    #[test]
    fn in_memory_databases_are_shared_by_the_pool_and_private_to_the_store() {
        let store = Store::open(None).expect("opens");
        let other = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(insert_user(conn, &record("ali"))?))
            .expect("inserts");
        let seen = store
            .read_blocking(|conn| Ok(user_count(conn)?))
            .expect("reads");
        assert_eq!(seen, 1, "a reader sees what the writer wrote");
        let elsewhere = other
            .read_blocking(|conn| Ok(user_count(conn)?))
            .expect("reads");
        assert_eq!(elsewhere, 0);
        let limit = store
            .read_blocking(|conn| Ok(set_memory_limit(conn, -1)?))
            .expect("reads the limit");
        assert_eq!(limit, MEMORY_DB_LIMIT, "beyond memdb's default 1 GiB");
        assert!(limit > 1 << 30);
    }

    #[test]
    fn keyword_search_follows_updates_through_the_triggers() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| {
                let id = insert_user(conn, &record("ali.rezaei"))?;
                insert_user(conn, &record("sara"))?;
                let renamed = UserFields {
                    last_name: Some(Some("Karimi".into())),
                    ..UserFields::default()
                };
                update_user(conn, id, &renamed)?;
                Ok(())
            })
            .expect("writes");
        let listing = |terms: &str, columns: Vec<&'static str>| UserListing {
            search: Some((terms.to_string(), columns)),
            limit: 10,
            ..Default::default()
        };
        let names = |listing: UserListing| -> Vec<String> {
            store
                .read_blocking(|conn| Ok(list_users(conn, &listing)?))
                .expect("lists")
                .into_iter()
                .map(|user| user.username)
                .collect()
        };
        assert_eq!(
            names(listing("KARIM", SEARCH_FIELDS.to_vec())),
            ["ali.rezaei"]
        );
        assert!(names(listing("ahmadi", vec!["last_name"])).contains(&"sara".to_string()));
        assert_eq!(names(listing("ahmadi", vec!["last_name"])).len(), 1);
        assert_eq!(names(listing("sa", vec!["username"])), ["sara"]);
        assert_eq!(names(listing("ali", vec!["email"])), ["ali.rezaei"]);
    }

    #[test]
    fn both_plans_give_the_same_pages() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(super::super::seed::seed(conn, 600, 3, "hash")?))
            .expect("seeds");
        let filter = |cql: &str| {
            Some(super::super::cql::compile(cql, USER_FIELDS, &UsersFullText).expect("compiles"))
        };
        let listings = [
            UserListing {
                filter: filter("role = 'Editor' AND created_at > '2022-01-01'"),
                skip: 5,
                limit: 20,
                ..Default::default()
            },
            UserListing {
                status: Some("Active".into()),
                order_by: vec![("last_name", true), ("first_name", false)],
                skip: 0,
                limit: 30,
                ..Default::default()
            },
            UserListing {
                filter: filter("username LIKE '%a%' OR mobile IS NULL"),
                order_by: vec![("created_at", true)],
                skip: 40,
                limit: 25,
                ..Default::default()
            },
        ];
        for listing in listings {
            let (natural, sorted) = store
                .read_blocking(|conn| {
                    Ok((
                        list_users_within(conn, &listing, std::time::Duration::from_secs(60))?,
                        list_users_within(conn, &listing, std::time::Duration::ZERO)?,
                    ))
                })
                .expect("lists");
            assert!(!natural.is_empty(), "{listing:?}");
            assert_eq!(natural, sorted, "{listing:?}");
        }
    }

    #[test]
    fn a_seeded_file_database_is_back_in_wal_with_its_unique_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(Some(&dir.path().join("x.sqlite"))).expect("opens");
        let journal: String = store
            .write_blocking(|conn| {
                super::super::seed::seed(conn, 50, 1, "hash")?;
                Ok(conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))?)
            })
            .expect("seeds");
        assert_eq!(journal, "wal");
        let taken = store
            .read_blocking(|conn| {
                Ok(
                    conn.query_row("SELECT username FROM users LIMIT 1", [], |row| {
                        row.get::<_, String>(0)
                    })?,
                )
            })
            .expect("reads");
        let duplicate =
            store.write_blocking(|conn| Ok(insert_user(conn, &record(&taken.to_uppercase()))?));
        assert!(
            duplicate.is_err(),
            "usernames stay unique, case-insensitively"
        );
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
