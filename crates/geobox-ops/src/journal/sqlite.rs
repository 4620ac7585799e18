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
//! marked `pending`, with the team journal they wait for (`pending_for`, its identity: no
//! password), until that journal has them. Profiles with journals of their own share this
//! queue, and none sends another's entries.

use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

use super::brief::Brief;
use super::entry::Entry;
use super::filter::Filter;
use super::machine::hostname;

use super::reads::{Claimed, Lookup, Scanned, Sharing, UndoClaim};
use super::rows::EntryRow;
use super::seal::{self, Key};
use super::sqlite_import::import_old_journal;
use super::sqlite_read::{Read, Rows, SELECT_COLUMNS, UNSHARED, matching_ids, select};
use super::sqlite_write::{FILE, insert, mark_undone, sql_error};
use super::store::JournalStore;
use crate::paths;

/// The schema this version writes; a newer one is refused, never written to.
const SCHEMA_VERSION: i64 = 2;
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
    pending INTEGER NOT NULL DEFAULT 0,
    pending_for TEXT
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
    connection: Mutex<Option<Connection>>,
    notices: Mutex<Vec<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding it leaves nothing half-written: SQLite's transactions see to that.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl LocalStore {
    pub fn new(dir: PathBuf) -> LocalStore {
        LocalStore {
            dir,
            connection: Mutex::new(None),
            notices: Mutex::new(Vec::new()),
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

    /// Keeps `entry`, waiting to be sent to the team journal `pending_for` names, if any.
    pub(super) fn keep(&self, entry: &Entry, pending_for: Option<&str>) -> io::Result<()> {
        let row = EntryRow::of(entry, hostname().as_deref())?;
        let key = seal::key_for_writing(&self.dir)?;
        let seal = seal::seal_parts(&key, &row.parts());
        self.with(|connection, _| {
            let tx = immediate(connection)?;
            if insert(&tx, &row, Some(&seal), pending_for, None)?.is_some() {
                mark_undone(&tx, entry)?;
            }
            tx.commit().map_err(sql_error)
        })
    }

    /// Keeps many entries in one transaction (a journal made for a measurement).
    #[cfg(test)]
    pub(super) fn keep_many(&self, entries: &[Entry]) -> io::Result<()> {
        let key = seal::key_for_writing(&self.dir)?;
        self.with(|connection, _| {
            let tx = immediate(connection)?;
            for entry in entries {
                let row = EntryRow::of(entry, None)?;
                let seal = seal::seal_parts(&key, &row.parts());
                if insert(&tx, &row, Some(&seal), None, None)?.is_some() {
                    mark_undone(&tx, entry)?;
                }
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

    /// The next entry after `after_seq` that waits to be sent to the team journal `team`
    /// (its [identity](super::place::TeamJournal::identity)), whole.
    pub(super) fn next_pending(
        &self,
        after_seq: i64,
        team: &str,
    ) -> io::Result<Option<(i64, Entry)>> {
        self.with(|connection, key| {
            let read = connection
                .query_row(
                    &format!(
                        "{SELECT_COLUMNS} WHERE pending = 1 AND seq > ?1 \
                         AND (pending_for IS NULL OR pending_for = ?2) ORDER BY seq LIMIT 1"
                    ),
                    params![after_seq, team],
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

    /// How many entries wait to be sent to the team journal `team` (none named: to any).
    pub(super) fn pending_count(&self, team: Option<&str>) -> io::Result<usize> {
        self.with(|connection, _| {
            connection
                .query_row(
                    "SELECT count(*) FROM entries WHERE pending = 1 \
                     AND (?1 IS NULL OR pending_for IS NULL OR pending_for = ?1)",
                    [team],
                    |row| row.get::<_, i64>(0),
                )
                .map(|count| usize::try_from(count).unwrap_or_default())
                .map_err(sql_error)
        })
    }
}

impl JournalStore for LocalStore {
    fn append(&self, entry: &Entry) -> io::Result<()> {
        self.keep(entry, None)
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
            waiting: self.pending_count(None).unwrap_or_default(),
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
    } else if version < 2 {
        // Entries that waited before are for whichever team journal is reached first, as
        // they were; new ones name the journal they wait for.
        tx.execute_batch("ALTER TABLE entries ADD COLUMN pending_for TEXT")
            .map_err(sql_error)?;
    }
    if version < SCHEMA_VERSION {
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(sql_error)?;
    }
    tx.commit().map_err(sql_error)
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
