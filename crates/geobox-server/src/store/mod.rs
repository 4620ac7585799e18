//! SQLite storage: a writer connection and a small pool of readers, and every query the
//! routes need, by concern: `schema` (migrations, indexes), `users`, `listing` (the list
//! planner, keyword search, counts), `plans`, `sessions` (and API keys). All of it is blocking;
//! the async side reaches it through [`Store::read`] and [`Store::write`], which run on tokio's
//! blocking threads.
//!
//! What the listings rely on:
//! - **Ids are never reused** (`AUTOINCREMENT`), so an id kept from older data names the same
//!   user or nobody.
//! - **Generations** (`snapshot.rs`): every write to users moves a counter on, through "changed,
//!   nothing committed", "committing" and "ended"; counts, kept orders and the in-memory
//!   columns are each good for the one generation they were made from.
//! - **One snapshot per list or count**: its ids, rows and count come from one read
//!   transaction, and what was made from a generation answers only when the snapshot is known
//!   to read that generation.
//! - **The in-memory columns change only with committed writes** (`columns.rs`): a write's
//!   changes are patched in after it committed, before its generation is published; a write
//!   that failed or rolled back leaves them to be made anew.
//! - **A busy database waits, then answers 503**: every connection waits up to
//!   [`BUSY_TIMEOUT`] for a lock; past it the request answers 503 with `Retry-After`.

mod columns;
#[cfg(test)]
mod consistency_tests;
mod keeper;
mod listing;
mod memory_plan;
mod orders;
mod patch;
mod planner;
mod plans;
mod schema;
mod sessions;
mod shape;
mod snapshot;
mod users;

pub use listing::*;
pub use planner::{count_users, list_users};
pub use plans::*;
pub use sessions::*;
pub use users::*;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction};

use super::error::{ServerError, ServerResult};
use super::validate::UserFields;
use geobox_api::{UserRole, UserStatus};

/// Where the database lives.
#[derive(Clone, Debug)]
enum Source {
    File(PathBuf),
    /// A `memdb` VFS name: shared by every connection of this process while one stays open.
    Memory(String),
}

/// Reader connections open at most; a read beyond them waits for one to be free. (tokio's
/// blocking threads are many more: each connection holds its own page cache.)
const MAX_READERS: usize = 8;

/// How long a statement waits for a lock another connection holds before it gives up with
/// "database is locked" (answered 503 with `Retry-After`).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The database: one writer connection (SQLite allows one writer at a time anyway) and a pool
/// of readers, which WAL lets run alongside the writer.
pub struct Store {
    source: Source,
    writer: Mutex<Connection>,
    readers: ReaderPool,
    counts: Arc<CountCache>,
    /// The users the write under way has changed, as the writer's update hook saw them.
    changes: Arc<Mutex<patch::UserChanges>>,
}

/// Reader connections: at most [`MAX_READERS`] open, idle ones kept for the next read.
#[derive(Default)]
struct ReaderPool {
    state: Mutex<Readers>,
    freed: Condvar,
}

#[derive(Default)]
struct Readers {
    idle: Vec<Connection>,
    open: usize,
}

impl ReaderPool {
    /// An idle connection, or a new one while fewer than [`MAX_READERS`] are open; otherwise
    /// waits for one to be given back.
    fn take(&self, source: &Source) -> rusqlite::Result<Connection> {
        let mut readers = self.lock();
        loop {
            if let Some(connection) = readers.idle.pop() {
                return Ok(connection);
            }
            if readers.open < MAX_READERS {
                readers.open += 1;
                drop(readers);
                let connection = connect(source);
                if connection.is_err() {
                    self.lock().open -= 1;
                    self.freed.notify_one();
                }
                return connection;
            }
            readers = self
                .freed
                .wait(readers)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn give_back(&self, connection: Connection) {
        self.lock().idle.push(connection);
        self.freed.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, Readers> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
        schema::bring_up_to_date(&mut writer)?;
        let counts = Arc::new(CountCache::default());
        let generation = Arc::clone(counts.generation());
        let committing = Arc::clone(&generation);
        writer.commit_hook(Some(move || {
            committing.note_commit();
            // Go on with the commit.
            false
        }));
        let changes = Arc::new(Mutex::new(patch::UserChanges::default()));
        let noted = Arc::clone(&changes);
        // Every write goes through this connection: a change to `users` marks the write under
        // way before anything is committed (see `snapshot.rs`).
        writer.update_hook(Some(
            move |action: rusqlite::hooks::Action, _: &str, table: &str, id: i64| {
                if table == "users" {
                    generation.note_change();
                    noted
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .note(action, id);
                }
            },
        ));
        Ok(Store {
            source,
            writer: Mutex::new(writer),
            readers: ReaderPool::default(),
            counts,
            changes,
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

    /// Runs `work` on a reader connection on the calling thread (waiting for one when
    /// [`MAX_READERS`] are busy).
    pub fn read_blocking<T>(
        &self,
        work: impl FnOnce(&Connection) -> ServerResult<T>,
    ) -> ServerResult<T> {
        let connection = self.readers.take(&self.source)?;
        let result = work(&connection);
        if connection.is_autocommit() {
            self.readers.give_back(connection);
        } else {
            // A transaction left open would pin its snapshot for the next reader.
            drop(connection);
            self.readers.lock().open -= 1;
            self.readers.freed.notify_one();
        }
        result
    }

    /// Runs `work` on the writer connection on the calling thread. When it changed users, the
    /// in-memory columns follow (patched in when it committed; otherwise made anew) before the
    /// write's generation is published.
    pub fn write_blocking<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> ServerResult<T>,
    ) -> ServerResult<T> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = self.counts.generation();
        let before = generation.now();
        debug_assert!(
            snapshot::Generation::at_rest(before),
            "the last write ended"
        );
        *self.changes.lock().unwrap_or_else(PoisonError::into_inner) = Default::default();
        // Ends the write however `work` ends, a panic included (its transaction is rolled back
        // on unwind, so the connection is sound).
        let _ending = WriteEnding {
            counts: &self.counts,
            before,
        };
        let result = work(&mut writer);
        if generation.now() != before {
            let committed = result.is_ok() && writer.is_autocommit();
            let changes =
                std::mem::take(&mut *self.changes.lock().unwrap_or_else(PoisonError::into_inner));
            self.counts
                .columns()
                .follow_write(&writer, before, before + 4, &changes, committed);
        }
        result
    }

    /// From now on keeps every user's status, role and sort places in memory, made on a
    /// thread of their own after each pause in the writes (see `columns`), starting now.
    pub fn keep_columns_in_memory(&self) {
        self.counts
            .columns()
            .keep(self.source.clone(), Arc::clone(self.counts.generation()));
    }

    /// Whether the in-memory columns are those of the current data (or cannot be made for
    /// it). Always false without [`Store::keep_columns_in_memory`].
    pub fn columns_settled(&self) -> bool {
        self.counts.columns().settled(self.counts.now())
    }

    /// The counts cache shared by every reader of this store.
    pub fn counts(&self) -> Arc<CountCache> {
        Arc::clone(&self.counts)
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

/// Publishes the end of a write: its generation (see `snapshot.rs`). After a panic in the
/// write, the columns are made anew.
struct WriteEnding<'s> {
    counts: &'s CountCache,
    before: u64,
}

impl Drop for WriteEnding<'_> {
    fn drop(&mut self) {
        let ended = self.counts.generation().end_write(self.before);
        if ended.is_some() && std::thread::panicking() {
            self.counts.columns().wake();
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

/// The most of a database file mapped into memory (address space, not memory: the pages are
/// the operating system's file cache). SQLite caps it at its own most, just under 2 GiB.
const MMAP_SIZE: i64 = 1 << 31;

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
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = NORMAL;
         PRAGMA cache_size = -65536;
         PRAGMA temp_store = MEMORY;",
    )?;
    if let Source::File(_) = source {
        // Pages read through a memory map cost a page fault the first time in this process
        // rather than a system call and a copy for every connection: a new reader's first
        // list, which reads rows all over a large file, is about twice as fast.
        connection.pragma_update(None, "mmap_size", MMAP_SIZE)?;
    }
    Ok(connection)
}

/// Now, as stored: UTC, second precision, ISO 8601.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The configured admin, made sure of at every start: created when absent; otherwise given
/// back their powers and this password (when one is given) whatever happened to the account
/// in the demo, and signed out everywhere, as a password change does, so the demo admin's
/// sessions do not pile up one per console start. An absent admin without a hash gets an
/// unusable one. Answers their id. (It spans users and sessions, hence here rather than in
/// either.)
pub fn ensure_admin(
    conn: &Connection,
    username: &str,
    password_hash: Option<&str>,
) -> rusqlite::Result<i64> {
    let powers = UserFields {
        role: Some(UserRole::SystemAdmin),
        status: Some(UserStatus::Active),
        ..UserFields::default()
    };
    match users::find_login(conn, username)? {
        Some((admin, _)) => {
            if let Some(password_hash) = password_hash {
                users::set_password_hash(conn, admin.id, password_hash)?;
            }
            sessions::delete_sessions_except(conn, admin.id, None)?;
            users::update_user(conn, admin.id, &powers)?;
            Ok(admin.id)
        }
        None => users::insert_user(
            conn,
            &NewUserRecord {
                username: username.to_string(),
                email: Some(format!("{username}@geobox.local")),
                first_name: Some("Geobox".into()),
                last_name: Some("Admin".into()),
                mobile: None,
                role: UserRole::SystemAdmin,
                status: UserStatus::Active,
                plan_id: None,
                expiration_date: None,
                parent_id: None,
                password_hash: password_hash.unwrap_or("!").to_string(),
                created_at: now(),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn a_write_that_meets_a_busy_database_waits_then_answers_503_with_retry_after() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("users.sqlite");
        let store = Store::open(Some(&path)).expect("opens");
        let other = Connection::open(&path).expect("opens");
        other
            .execute_batch("BEGIN IMMEDIATE")
            .expect("takes the write lock");
        // Held past the busy timeout (shortened here).
        let refused = store.write_blocking(|conn| {
            conn.busy_timeout(Duration::from_millis(50))?;
            let inserted = insert_user(conn, &NewUserRecord::example("ali"));
            conn.busy_timeout(BUSY_TIMEOUT)?;
            Ok(inserted?)
        });
        let Err(error) = refused else {
            panic!("the lock is held");
        };
        let answer = error.into_response();
        assert_eq!(answer.status(), axum::http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            answer.headers().get(axum::http::header::RETRY_AFTER),
            Some(&axum::http::HeaderValue::from_static("1"))
        );
        // Held for a moment: the write waits for it.
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            other.execute_batch("COMMIT")
        });
        store
            .write_blocking(|conn| Ok(insert_user(conn, &NewUserRecord::example("sara"))?))
            .expect("waits for the lock");
        release
            .join()
            .expect("no panic")
            .expect("gives the lock back");
        let users = store
            .read_blocking(|conn| Ok(user_count(conn)?))
            .expect("reads");
        assert_eq!(users, 1);
    }

    #[test]
    fn reader_connections_are_bounded_and_reused() {
        let store = Arc::new(Store::open(None).expect("opens"));
        let most = Arc::new(Mutex::new((0usize, 0usize)));
        let threads: Vec<_> = (0..MAX_READERS * 3)
            .map(|_| {
                let (store, most) = (Arc::clone(&store), Arc::clone(&most));
                std::thread::spawn(move || {
                    store
                        .read_blocking(|conn| {
                            {
                                let mut most = most.lock().unwrap_or_else(PoisonError::into_inner);
                                most.0 += 1;
                                most.1 = most.1.max(most.0);
                            }
                            std::thread::sleep(Duration::from_millis(20));
                            most.lock().unwrap_or_else(PoisonError::into_inner).0 -= 1;
                            Ok(user_count(conn)?)
                        })
                        .expect("reads")
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        let (_, most) = *most.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(most <= MAX_READERS, "{most} readers at once");
        let readers = store.readers.lock();
        assert_eq!(readers.open, readers.idle.len(), "every one given back");
        assert!(readers.open <= MAX_READERS);
    }

    #[test]
    fn in_memory_databases_are_shared_by_the_pool_and_private_to_the_store() {
        let store = Store::open(None).expect("opens");
        let other = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(insert_user(conn, &NewUserRecord::example("ali"))?))
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
}
