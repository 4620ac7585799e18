//! SQLite storage: a writer connection and a small pool of readers, and every query the
//! routes need, by concern: `schema` (migrations, indexes), `users`, `listing` (the list
//! planner, keyword search, counts), `plans`, `sessions` (and API keys). All of it is blocking;
//! the async side reaches it through [`Store::read`] and [`Store::write`], which run on tokio's
//! blocking threads.

mod columns;
#[cfg(test)]
mod consistency_tests;
mod listing;
mod memory_plan;
mod orders;
mod planner;
mod plans;
mod schema;
mod sessions;
mod shape;
mod users;

pub use listing::*;
pub use planner::{count_users, list_users};
pub use plans::*;
pub use sessions::*;
pub use users::*;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

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

/// Connections beyond this many idle readers are closed after use.
const MAX_IDLE_READERS: usize = 4;

/// The database: one writer connection (SQLite allows one writer at a time anyway) and a pool
/// of readers, which WAL lets run alongside the writer.
pub struct Store {
    source: Source,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    counts: Arc<CountCache>,
    /// The users the write under way has changed, as the writer's update hook saw them.
    changes: Arc<Mutex<columns::UserChanges>>,
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
        let generation = counts.generation();
        let changes = Arc::new(Mutex::new(columns::UserChanges::default()));
        let noted = Arc::clone(&changes);
        // Every write goes through this connection: a change to `users` makes cached counts stale.
        writer.update_hook(Some(
            move |action: rusqlite::hooks::Action, _: &str, table: &str, id: i64| {
                if table == "users" {
                    generation.fetch_add(1, Ordering::SeqCst);
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
            readers: Mutex::new(Vec::new()),
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
        let generation = self.counts.generation();
        let before = generation.load(Ordering::SeqCst);
        *self.changes.lock().unwrap_or_else(PoisonError::into_inner) = Default::default();
        let result = work(&mut writer);
        // Once more after the commit: a count made from a snapshot taken between the change and
        // the commit was filed under the hook's generation, and is stale now.
        if generation.load(Ordering::SeqCst) != before {
            let after = generation.fetch_add(1, Ordering::SeqCst) + 1;
            let changes =
                std::mem::take(&mut *self.changes.lock().unwrap_or_else(PoisonError::into_inner));
            self.counts
                .columns()
                .follow_write(&writer, before, after, &changes);
        }
        result
    }

    /// From now on keeps every user's status, role and sort places in memory, made on a
    /// thread of their own after each pause in the writes (see `columns`), starting now.
    pub fn keep_columns_in_memory(&self) {
        columns::keep_columns(
            self.source.clone(),
            self.counts.columns(),
            self.counts.generation(),
        );
        self.counts.columns().wake();
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
    connection.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
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
