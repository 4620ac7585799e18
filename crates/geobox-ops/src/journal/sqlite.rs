//! The local store: `journal.sqlite` in the data directory, readable by its owner only. An
//! entry is a row (its JSON without its users, the first user's change, the columns reads
//! filter and order by) and one row a user; indexes by time, deployment, admin, user and id
//! mean that listing the newest entries, or one user's, reads about what it shows.
//!
//! Each entry's row is sealed with `journal.key` ([`seal`](super::seal)), so a row changed
//! by hand no longer verifies. The JSON-lines journal of earlier versions is imported once,
//! on first use ([`sqlite_import`](super::sqlite_import)), and left where it was as a backup.
//!
//! Working for a team journal, it is also the queue of entries not yet sent: those rows are
//! marked `pending` until the team journal has them.

use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::brief::Brief;
use super::deployment::Deployment;
use super::entry::{Entry, UserKey};
use super::filter::Filter;
use super::machine::hostname;
use super::provenance::{Provenance, Seal, Undone};
use super::rows::{EntryRow, brief_of, entry_of, prefix_range};
use super::seal::{self, Key};
use super::sqlite_import::import_old_journal;
use super::store::{Claimed, JournalStore, Lookup, Scanned, Sharing, UndoClaim};
use crate::paths;

/// The database's file in the data directory.
pub const FILE: &str = "journal.sqlite";
/// The schema this version writes; a newer one is refused, never written to.
const SCHEMA_VERSION: i64 = 1;
/// How long a write waits for another process's (a console and a CLI at once).
const BUSY_WAIT: Duration = Duration::from_secs(30);

const SCHEMA: &str = "
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at_us INTEGER NOT NULL,
    deployment TEXT NOT NULL,
    also_demo INTEGER NOT NULL DEFAULT 0,
    by_lower TEXT,
    tool TEXT NOT NULL,
    action TEXT NOT NULL,
    undoes TEXT,
    user_count INTEGER NOT NULL,
    head TEXT NOT NULL,
    first_change TEXT,
    users_digest TEXT NOT NULL,
    seal TEXT,
    imported_from TEXT,
    imported_seal TEXT,
    undone TEXT,
    undone_whole INTEGER NOT NULL DEFAULT 0,
    claim_token TEXT,
    claim_by TEXT,
    claim_at_us INTEGER,
    pending INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE entry_users (
    entry_seq INTEGER NOT NULL REFERENCES entries(seq) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    user_id INTEGER,
    username_lower TEXT,
    change TEXT NOT NULL,
    PRIMARY KEY (entry_seq, position)
) WITHOUT ROWID;
CREATE INDEX entries_by_time ON entries (at_us, seq);
CREATE INDEX entries_by_deployment ON entries (deployment, at_us, seq);
CREATE INDEX entries_by_admin ON entries (by_lower, at_us, seq);
CREATE INDEX entries_of_the_old_demo ON entries (at_us, seq) WHERE also_demo = 1;
CREATE INDEX entries_pending ON entries (seq) WHERE pending = 1;
CREATE INDEX entry_users_by_id ON entry_users (user_id, entry_seq);
CREATE INDEX entry_users_by_name ON entry_users (username_lower, entry_seq);
CREATE TABLE imported_files (
    file TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    skipped INTEGER NOT NULL
);
";

/// The local journal of a data directory. It opens (and imports an older journal) on first
/// use, so making one touches no file.
pub struct LocalStore {
    dir: PathBuf,
    /// Whether new entries wait to be sent to a team journal.
    queue_for_team: bool,
    connection: Mutex<Option<Connection>>,
    notices: Mutex<Vec<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding it leaves nothing half-written: SQLite's transactions see to that.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn sql_error(error: rusqlite::Error) -> io::Error {
    io::Error::other(format!("the journal database: {error}"))
}

impl LocalStore {
    pub fn new(dir: PathBuf) -> LocalStore {
        LocalStore {
            dir,
            queue_for_team: false,
            connection: Mutex::new(None),
            notices: Mutex::new(Vec::new()),
        }
    }

    /// The local journal as a team journal's queue: new entries wait to be sent.
    pub(super) fn queue_for_team(dir: PathBuf) -> LocalStore {
        LocalStore {
            queue_for_team: true,
            ..LocalStore::new(dir)
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// Runs `work` on the open database, opening it first if need be.
    pub(super) fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection, Option<&Key>) -> io::Result<T>,
    ) -> io::Result<T> {
        let mut slot = lock(&self.connection);
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => slot.insert(self.open()?),
        };
        // A key that cannot be read leaves every seal unverified; the entries still read.
        let key = seal::read_key(&self.dir).ok().flatten();
        work(connection, key.as_ref())
    }

    fn open(&self) -> io::Result<Connection> {
        let path = self.path();
        // Made here, readable by its owner only (SQLite gives its -wal and -shm the same
        // mode), and never through a link planted in its place.
        drop(paths::open_private_append(&path)?);
        for suffix in ["-wal", "-shm"] {
            let mut companion = path.clone().into_os_string();
            companion.push(suffix);
            if std::fs::symlink_metadata(&companion).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "refusing to open the journal: {} is a symbolic link, which \
                         geobox-users never makes",
                        PathBuf::from(companion).display()
                    ),
                ));
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let mut connection = Connection::open_with_flags(&path, flags).map_err(sql_error)?;
        connection.busy_timeout(BUSY_WAIT).map_err(sql_error)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(sql_error)?;
        migrate(&mut connection, &path)?;
        if let Some(notice) = import_old_journal(&mut connection, &self.dir)? {
            lock(&self.notices).push(notice);
        }
        Ok(connection)
    }

    /// Keeps `entry`, waiting to be sent when `pending`.
    pub(super) fn keep(&self, entry: &Entry, pending: bool) -> io::Result<()> {
        let row = EntryRow::of(entry, hostname().as_deref())?;
        let key = seal::key_for_writing(&self.dir)?;
        let seal = seal::seal_parts(&key, &row.parts());
        self.with(|connection, _| {
            let tx = immediate(connection)?;
            if insert(&tx, &row, Some(&seal), pending, None)?.is_some() {
                mark_undone(&tx, entry)?;
            }
            tx.commit().map_err(sql_error)
        })
    }

    /// Hands the briefs of the rows `rows` picks among those `filter` passes to `each`.
    pub(super) fn scan_briefs_of(
        &self,
        filter: &Filter,
        rows: Rows,
        each: &mut dyn FnMut(Brief) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let (sql, values) = select(filter, rows);
        self.with(|connection, key| {
            let mut statement = connection.prepare_cached(&sql).map_err(sql_error)?;
            let mut found = statement
                .query(rusqlite::params_from_iter(values))
                .map_err(sql_error)?;
            let mut scanned = Scanned::default();
            while let Some(row) = found.next().map_err(sql_error)? {
                match Read::of(row, key).map_err(sql_error)?.brief() {
                    Ok(brief) => {
                        if each(brief).is_break() {
                            break;
                        }
                    }
                    Err(_) => scanned.skipped += 1,
                }
            }
            Ok(scanned)
        })
    }

    /// As [`scan_briefs_of`](LocalStore::scan_briefs_of), each entry whole.
    pub(super) fn scan_entries_of(
        &self,
        filter: &Filter,
        rows: Rows,
        each: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let (sql, values) = select(filter, rows);
        self.with(|connection, key| {
            let connection = &*connection;
            let mut statement = connection.prepare_cached(&sql).map_err(sql_error)?;
            let mut found = statement
                .query(rusqlite::params_from_iter(values))
                .map_err(sql_error)?;
            let mut scanned = Scanned::default();
            while let Some(row) = found.next().map_err(sql_error)? {
                let read = Read::of(row, key).map_err(sql_error)?;
                match read.whole(connection) {
                    Ok(entry) => {
                        if each(entry).is_break() {
                            break;
                        }
                    }
                    Err(_) => scanned.skipped += 1,
                }
            }
            Ok(scanned)
        })
    }

    /// Whether the entry `id` is here and not in the team journal (waiting, or the demo's).
    pub(super) fn is_unshared(&self, id: &str) -> io::Result<bool> {
        self.with(|connection, _| {
            connection
                .query_row(
                    &format!("SELECT 1 FROM entries WHERE id = ?1 AND {UNSHARED}"),
                    [id],
                    |_| Ok(()),
                )
                .optional()
                .map(|found| found.is_some())
                .map_err(sql_error)
        })
    }

    /// The entries that wait to be sent to the team journal, oldest first, whole.
    pub(super) fn next_pending(&self, after_seq: i64) -> io::Result<Option<(i64, Entry)>> {
        self.with(|connection, key| {
            let read = connection
                .query_row(
                    &format!(
                        "{SELECT_COLUMNS} WHERE pending = 1 AND seq > ?1 ORDER BY seq LIMIT 1"
                    ),
                    [after_seq],
                    |row| Read::of(row, key),
                )
                .optional()
                .map_err(sql_error)?;
            read.map(|read| Ok((read.seq, read.whole(connection)?)))
                .transpose()
        })
    }

    /// The team journal has the entry: it no longer waits.
    pub(super) fn mark_shared(&self, seq: i64) -> io::Result<()> {
        self.with(|connection, _| {
            connection
                .execute("UPDATE entries SET pending = 0 WHERE seq = ?1", [seq])
                .map_err(sql_error)?;
            Ok(())
        })
    }

    /// How many entries wait to be sent.
    pub(super) fn pending_count(&self) -> io::Result<usize> {
        self.with(|connection, _| {
            connection
                .query_row(
                    "SELECT count(*) FROM entries WHERE pending = 1",
                    [],
                    |row| row.get::<_, i64>(0),
                )
                .map(|count| usize::try_from(count).unwrap_or_default())
                .map_err(sql_error)
        })
    }
}

impl JournalStore for LocalStore {
    fn append(&self, entry: &Entry) -> io::Result<()> {
        self.keep(entry, self.queue_for_team)
    }

    fn scan_briefs(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Brief) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        self.scan_briefs_of(filter, Rows::All, each)
    }

    fn scan_entries(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(Entry) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        self.scan_entries_of(filter, Rows::All, each)
    }

    fn find(&self, id: &str) -> io::Result<Lookup> {
        let wanted = id.trim();
        if wanted.is_empty() {
            return Ok(Lookup::Missing);
        }
        self.with(|connection, key| {
            let ids = matching_ids(connection, wanted)?;
            let chosen = if ids.iter().any(|id| id == wanted) {
                wanted.to_string()
            } else {
                match ids.as_slice() {
                    [] => return Ok(Lookup::Missing),
                    [only] => only.clone(),
                    _ => return Ok(Lookup::Ambiguous(ids)),
                }
            };
            let read = connection
                .query_row(
                    &format!("{SELECT_COLUMNS} WHERE id = ?1"),
                    [&chosen],
                    |row| Read::of(row, key),
                )
                .map_err(sql_error)?;
            Ok(Lookup::Found(Box::new(read.whole(connection)?)))
        })
    }

    fn claim_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<Claimed> {
        self.with(|connection, _| {
            let tx = immediate(connection)?;
            let claimed = tx
                .execute(
                    "UPDATE entries SET claim_token = ?1, claim_by = ?2, claim_at_us = ?3
                     WHERE id = ?4 AND undone_whole = 0
                       AND (claim_token IS NULL OR claim_token = ?1 OR claim_at_us < ?5)",
                    params![
                        claim.token,
                        claim.by,
                        claim.time.timestamp_micros(),
                        id,
                        claim.lapsed_before().timestamp_micros()
                    ],
                )
                .map_err(sql_error)?;
            let answer = if claimed == 1 {
                Claimed::Yours
            } else {
                why_not_claimed(&tx, id)?
            };
            tx.commit().map_err(sql_error)?;
            Ok(answer)
        })
    }

    fn release_undo(&self, id: &str, claim: &UndoClaim) -> io::Result<()> {
        self.with(|connection, _| {
            connection
                .execute(
                    "UPDATE entries SET claim_token = NULL, claim_by = NULL, claim_at_us = NULL
                     WHERE id = ?1 AND claim_token = ?2",
                    params![id, claim.token],
                )
                .map_err(sql_error)?;
            Ok(())
        })
    }

    fn describe(&self) -> String {
        self.path().display().to_string()
    }

    fn share(&self) -> Sharing {
        self.waiting()
    }

    fn waiting(&self) -> Sharing {
        Sharing {
            waiting: self.pending_count().unwrap_or_default(),
            problem: None,
        }
    }

    fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut lock(&self.notices))
    }
}

fn immediate(connection: &mut Connection) -> io::Result<Transaction<'_>> {
    connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error)
}

/// Creates the schema in a new database; refuses one a newer version made.
fn migrate(connection: &mut Connection, path: &Path) -> io::Result<()> {
    let tx = immediate(connection)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql_error)?;
    if version > SCHEMA_VERSION {
        return Err(io::Error::other(format!(
            "{} was written by a newer geobox-users (its schema is version {version}; this one \
             knows up to {SCHEMA_VERSION}): upgrade geobox-users to read it",
            path.display()
        )));
    }
    if version < 1 {
        tx.execute_batch(SCHEMA).map_err(sql_error)?;
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(sql_error)?;
    }
    tx.commit().map_err(sql_error)
}

/// Inserts an entry's rows unless its id is there already; its `seq` when inserted. An
/// imported entry names the file it came from and, when it did not verify there, why.
pub(super) fn insert(
    tx: &Transaction<'_>,
    row: &EntryRow,
    seal: Option<&str>,
    pending: bool,
    imported: Option<(&str, Option<Seal>)>,
) -> io::Result<Option<i64>> {
    let (imported_from, imported_seal) = match imported {
        Some((file, seal)) => (Some(file), seal.map(seal_name)),
        None => (None, None),
    };
    let inserted = tx
        .prepare_cached(
            "INSERT INTO entries (id, at_us, deployment, also_demo, by_lower, tool, action,
                 undoes, user_count, head, first_change, users_digest, seal, imported_from,
                 imported_seal, pending)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
             ON CONFLICT (id) DO NOTHING",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                row.id,
                row.at_us,
                row.deployment,
                row.also_demo,
                row.by_lower,
                row.tool,
                row.action,
                row.undoes,
                row.user_count,
                row.head,
                row.first_change,
                row.users_digest,
                seal,
                imported_from,
                imported_seal,
                pending,
            ])
        })
        .map_err(sql_error)?;
    if inserted == 0 {
        return Ok(None);
    }
    let seq = tx.last_insert_rowid();
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO entry_users (entry_seq, position, user_id, username_lower, change)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sql_error)?;
    for user in &row.users {
        statement
            .execute(params![
                seq,
                user.position,
                user.user_id,
                user.username_lower,
                user.change
            ])
            .map_err(sql_error)?;
    }
    Ok(Some(seq))
}

fn seal_name(seal: Seal) -> &'static str {
    match seal {
        Seal::Missing => "missing",
        Seal::Broken => "broken",
        Seal::Verified | Seal::TeamDatabase => "verified",
    }
}

/// When `entry` is an undo, marks the entry it undid (the newest undo names it; it is whole
/// once any undo was) and ends the claim on it.
pub(super) fn mark_undone(tx: &Transaction<'_>, entry: &Entry) -> io::Result<()> {
    let Some(target) = entry.undoes.as_deref() else {
        return Ok(());
    };
    if let Some((_, undone)) = entry.undid() {
        let earlier: Option<String> = tx
            .query_row(
                "SELECT undone FROM entries WHERE id = ?1",
                [target],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_error)?
            .flatten();
        let earlier = earlier.and_then(|text| serde_json::from_str::<Undone>(&text).ok());
        set_undone(tx, target, &undone, earlier.as_ref())?;
    }
    tx.execute(
        "UPDATE entries SET claim_token = NULL, claim_by = NULL, claim_at_us = NULL WHERE id = ?1",
        [target],
    )
    .map_err(sql_error)?;
    Ok(())
}

/// Records that `target` was undone, merged with what was known of an earlier undo.
pub(super) fn set_undone(
    tx: &Transaction<'_>,
    target: &str,
    undone: &Undone,
    earlier: Option<&Undone>,
) -> io::Result<()> {
    let merged = match earlier {
        Some(earlier) => undone.clone().and_earlier(earlier),
        None => undone.clone(),
    };
    let text = serde_json::to_string(&merged).map_err(io::Error::other)?;
    tx.execute(
        "UPDATE entries SET undone = ?1, undone_whole = ?2 WHERE id = ?3",
        params![text, merged.whole, target],
    )
    .map_err(sql_error)?;
    Ok(())
}

fn why_not_claimed(tx: &Transaction<'_>, id: &str) -> io::Result<Claimed> {
    let found = tx
        .query_row(
            "SELECT undone, undone_whole, claim_by, claim_at_us FROM entries WHERE id = ?1",
            [id],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, bool>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                ))
            },
        )
        .optional()
        .map_err(sql_error)?;
    Ok(match found {
        None => Claimed::Missing,
        Some((undone, true, _, _)) => {
            match undone.and_then(|text| serde_json::from_str(&text).ok()) {
                Some(undone) => Claimed::AlreadyUndone(undone),
                None => Claimed::Missing,
            }
        }
        Some((_, false, by, at_us)) => Claimed::Busy {
            by: by.unwrap_or_else(|| "someone".to_string()),
            since: chrono::DateTime::from_timestamp_micros(at_us.unwrap_or_default())
                .unwrap_or_default(),
        },
    })
}

/// The ids equal to `wanted` or starting with it (a few: enough to say which are meant).
fn matching_ids(connection: &Connection, wanted: &str) -> io::Result<Vec<String>> {
    let ids = match prefix_range(wanted) {
        Some((from, to)) => {
            let mut statement = connection
                .prepare_cached(
                    "SELECT id FROM entries WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 10",
                )
                .map_err(sql_error)?;
            statement
                .query_map([from, to], |row| row.get::<_, String>(0))
                .and_then(Iterator::collect)
        }
        None => {
            let mut statement = connection
                .prepare_cached("SELECT id FROM entries WHERE id = ?1")
                .map_err(sql_error)?;
            statement
                .query_map([wanted], |row| row.get::<_, String>(0))
                .and_then(Iterator::collect)
        }
    };
    ids.map_err(sql_error)
}

const SELECT_COLUMNS: &str = "SELECT seq, head, first_change, user_count, users_digest, seal,
    imported_from, imported_seal, undone, pending FROM entries";

/// Which rows a read looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    All,
    /// Those not in the team journal: waiting to be sent, or the demo's (never sent).
    Unshared,
}

const UNSHARED: &str = "(pending = 1 OR deployment = 'demo' OR also_demo = 1)";

/// The query for a filter, made of fixed pieces; every value the filter holds is a parameter.
fn select(filter: &Filter, rows: Rows) -> (String, Vec<SqlValue>) {
    let mut sql = format!("{SELECT_COLUMNS} WHERE 1 = 1");
    let mut values: Vec<SqlValue> = Vec::new();
    let mut bind = |sql: &mut String, piece: &str, value: SqlValue| {
        values.push(value);
        sql.push_str(&piece.replace('?', &format!("?{}", values.len())));
    };
    match &filter.deployment {
        Some(Deployment::Demo) => bind(
            &mut sql,
            " AND (deployment = ? OR also_demo = 1)",
            SqlValue::Text(Deployment::Demo.key().to_string()),
        ),
        Some(server) => bind(
            &mut sql,
            " AND deployment = ?",
            SqlValue::Text(server.key().to_string()),
        ),
        None => {}
    }
    if let Some(since) = filter.since {
        bind(
            &mut sql,
            " AND at_us >= ?",
            SqlValue::Integer(since.timestamp_micros()),
        );
    }
    if let Some(by) = &filter.by {
        bind(
            &mut sql,
            " AND by_lower = ?",
            SqlValue::Text(by.trim().to_lowercase()),
        );
    }
    match &filter.user {
        Some(UserKey::Id(id)) => bind(
            &mut sql,
            " AND seq IN (SELECT entry_seq FROM entry_users WHERE user_id = ?)",
            SqlValue::Integer(*id),
        ),
        Some(UserKey::Username(name)) => bind(
            &mut sql,
            " AND seq IN (SELECT entry_seq FROM entry_users WHERE username_lower = ?)",
            SqlValue::Text(name.to_lowercase()),
        ),
        None => {}
    }
    if rows == Rows::Unshared {
        sql.push_str(&format!(" AND {UNSHARED}"));
    }
    sql.push_str(" ORDER BY at_us DESC, seq DESC");
    if let Some(limit) = filter.limit {
        bind(
            &mut sql,
            " LIMIT ?",
            SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)),
        );
    }
    (sql, values)
}

/// One entry's row as a read meets it, before its users are read (if ever).
pub(super) struct Read {
    pub seq: i64,
    head: String,
    first_change: Option<String>,
    user_count: i64,
    users_digest: String,
    /// Whether the row's seal matches its head and digest (the users are checked by `whole`).
    seal: Seal,
    imported_from: Option<String>,
    undone: Option<Undone>,
    pending: bool,
}

impl Read {
    fn of(row: &rusqlite::Row<'_>, key: Option<&Key>) -> rusqlite::Result<Read> {
        let head: String = row.get(1)?;
        let users_digest: String = row.get(4)?;
        let sealed: Option<String> = row.get(5)?;
        let imported_seal: Option<String> = row.get(7)?;
        let first_change: Option<String> = row.get(2)?;
        let seal = match imported_seal.as_deref() {
            Some("missing") => Seal::Missing,
            Some("broken") => Seal::Broken,
            _ => {
                let parts = seal::Parts {
                    head: head.as_bytes(),
                    users_digest: &users_digest,
                    first_change: first_change.as_deref().map(str::as_bytes),
                };
                seal::check_parts(key, &parts, sealed.as_deref())
            }
        };
        Ok(Read {
            seq: row.get(0)?,
            first_change,
            user_count: row.get(3)?,
            users_digest,
            seal,
            imported_from: row.get(6)?,
            undone: row
                .get::<_, Option<String>>(8)?
                .and_then(|text| serde_json::from_str(&text).ok()),
            pending: row.get(9)?,
            head,
        })
    }

    fn provenance(&self, seal: Seal) -> Provenance {
        Provenance {
            store: match &self.imported_from {
                Some(file) => format!("{FILE} (imported from {file})"),
                None => FILE.to_string(),
            },
            seal,
        }
    }

    /// The entry as a listing shows it.
    pub fn brief(&self) -> io::Result<Brief> {
        let mut brief = brief_of(&self.head, self.first_change.as_deref(), self.user_count)?;
        brief.undone.clone_from(&self.undone);
        brief.read_from = Some(self.provenance(self.seal));
        brief.not_shared = self.pending;
        Ok(brief)
    }

    /// The whole entry: every user's row, in order, checked against the seal.
    fn whole(&self, connection: &Connection) -> io::Result<Entry> {
        let mut statement = connection
            .prepare_cached("SELECT change FROM entry_users WHERE entry_seq = ?1 ORDER BY position")
            .map_err(sql_error)?;
        let changes: Vec<String> = statement
            .query_map([self.seq], |row| row.get::<_, String>(0))
            .and_then(Iterator::collect)
            .map_err(sql_error)?;
        let digest = seal::digest(changes.iter().map(String::as_bytes));
        // Users' rows changed after the entry was sealed break it, whatever its own row says.
        let seal = if digest == self.users_digest || self.seal != Seal::Verified {
            self.seal
        } else {
            Seal::Broken
        };
        let mut entry = entry_of(&self.head, changes.iter().map(String::as_str))?;
        entry.undone.clone_from(&self.undone);
        entry.read_from = Some(self.provenance(seal));
        entry.not_shared = self.pending;
        Ok(entry)
    }
}
