//! The team journal's schema and its migrations. The versions applied are rows of
//! `geobox_journal_schema`; the tool applies the ones it knows and has not been applied, one
//! tool at a time (an advisory lock), and refuses a database a newer version migrated further
//! than it knows: it neither reads nor writes it, so two versions of the tool never mix
//! their ideas of the tables. Migrations only ever add.

use std::io;

use tokio_postgres::{Client, GenericClient};

/// A database error in words that never carry the password (tokio-postgres's never do).
pub(super) fn db_error(error: tokio_postgres::Error) -> io::Error {
    let kind = if error.as_db_error().is_some() {
        io::ErrorKind::Other
    } else {
        io::ErrorKind::NotConnected
    };
    match error.as_db_error() {
        Some(db) => io::Error::new(kind, format!("the team journal: {}", db.message())),
        None => io::Error::new(kind, format!("the team journal cannot be reached: {error}")),
    }
}

pub const ENTRIES: &str = "geobox_journal_entries";
pub const USERS: &str = "geobox_journal_users";
const VERSIONS: &str = "geobox_journal_schema";
/// Taken while migrating, so two tools starting at once migrate one after the other.
const MIGRATION_LOCK: i64 = 0x6765_6f62_6f78_6a6e;

/// Every migration, in order: version `n` is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: entries (a row each, by id, time, deployment and admin) and their users (a row each).
    "CREATE TABLE geobox_journal_entries (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        id TEXT COLLATE \"C\" PRIMARY KEY,
        at_us BIGINT NOT NULL,
        deployment TEXT NOT NULL,
        by_lower TEXT,
        tool TEXT NOT NULL,
        action TEXT NOT NULL,
        undoes TEXT,
        user_count INTEGER NOT NULL,
        head TEXT NOT NULL,
        first_change TEXT,
        undone TEXT,
        undone_whole BOOLEAN NOT NULL DEFAULT FALSE,
        claim_token TEXT,
        claim_by TEXT,
        claim_at_us BIGINT,
        shared_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX geobox_journal_entries_by_time
        ON geobox_journal_entries (at_us DESC, seq DESC);
    CREATE INDEX geobox_journal_entries_by_deployment
        ON geobox_journal_entries (deployment, at_us DESC, seq DESC);
    CREATE INDEX geobox_journal_entries_by_admin
        ON geobox_journal_entries (by_lower, at_us DESC, seq DESC);
    CREATE TABLE geobox_journal_users (
        entry_id TEXT COLLATE \"C\" NOT NULL
            REFERENCES geobox_journal_entries (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        user_id BIGINT,
        username_lower TEXT,
        change TEXT NOT NULL,
        PRIMARY KEY (entry_id, position)
    );
    CREATE INDEX geobox_journal_users_by_id ON geobox_journal_users (user_id);
    CREATE INDEX geobox_journal_users_by_name ON geobox_journal_users (username_lower);",
];

/// The schema version this tool knows.
pub fn known_version() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

async fn applied_version(client: &impl GenericClient) -> io::Result<Option<i32>> {
    let exists: bool = client
        .query_one(
            &format!("SELECT to_regclass('{VERSIONS}') IS NOT NULL"),
            &[],
        )
        .await
        .map_err(db_error)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let version: Option<i32> = client
        .query_one(&format!("SELECT max(version) FROM {VERSIONS}"), &[])
        .await
        .map_err(db_error)?
        .get(0);
    Ok(Some(version.unwrap_or(0)))
}

fn newer(version: i32) -> io::Error {
    io::Error::other(format!(
        "the team journal's schema is version {version}, newer than this geobox-users knows \
         ({}): upgrade geobox-users to use it (nothing was read from it or written to it)",
        known_version()
    ))
}

/// Brings a new or older schema up to the version this tool knows; refuses a newer one.
pub async fn check_schema(client: &mut Client) -> io::Result<()> {
    match applied_version(client).await? {
        Some(version) if version == known_version() => return Ok(()),
        Some(version) if version > known_version() => return Err(newer(version)),
        _ => {}
    }
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {VERSIONS} (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            applied_by TEXT NOT NULL
        )"
    ))
    .await
    .map_err(db_error)?;
    // Another tool may have migrated while this one waited for the lock.
    let applied = applied_version(&tx).await?.unwrap_or(0);
    if applied > known_version() {
        return Err(newer(applied));
    }
    let by = format!("geobox-users {}", env!("CARGO_PKG_VERSION"));
    for (index, migration) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(applied).unwrap_or(0))
    {
        let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
        tx.batch_execute(migration).await.map_err(db_error)?;
        tx.execute(
            &format!("INSERT INTO {VERSIONS} (version, applied_by) VALUES ($1, $2)"),
            &[&version, &by],
        )
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

/// Inside a write: refuses when a newer tool migrated the schema since this one checked it.
pub async fn refuse_newer(client: &impl GenericClient) -> io::Result<()> {
    match applied_version(client).await? {
        Some(version) if version > known_version() => Err(newer(version)),
        _ => Ok(()),
    }
}
