//! Generations of the data, and one read snapshot per request that knows its generation.
//!
//! **A generation** names one state of the `users` table as committed. The counter moves on by
//! four with every write that changes users, through three steps:
//! - `4k`: the data of generation `4k`; no write to users is under way;
//! - `4k + 1`: a write has changed users (the writer's update hook) but committed nothing yet,
//!   so other connections still read the data of `4k`;
//! - `4k + 2`: that write is committing or has committed (the writer's commit hook, just before
//!   the commit): a read may see either state;
//! - `4k + 4`: the write has ended (committed or rolled back) and what follows it (the
//!   in-memory columns' patch) is done.
//!
//! Every count, kept order, member set and in-memory column is filed under the generation it
//! was made from, and is good for that generation only.
//!
//! **A snapshot** is a read transaction. The counter is read before it opens and again once it
//! has started reading; when both name the same generation (`4k` or `4k + 1`), the snapshot
//! reads exactly the data of that generation, and whatever was made from it may answer in
//! place of SQLite. A snapshot about to open while a write commits waits a moment for it to
//! end. Otherwise the snapshot answers from SQLite alone, and keeps nothing it makes. Either
//! way every statement of one request reads the same data: a page never mixes its ids with
//! rows of another moment.
//!
//! Ids are never reused (`AUTOINCREMENT`): an id kept in an order made from an older
//! generation never names another user.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension};

/// How long a snapshot about to open waits, at most, for a write that is committing to end.
const COMMIT_WAIT: Duration = Duration::from_millis(20);

/// The counter of generations (see the module documentation).
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

impl Generation {
    /// The counter now.
    pub(super) fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// The generation whose data a read sees while the counter reads `value`: `None` while a
    /// write is committing.
    pub(super) fn data_of(value: u64) -> Option<u64> {
        match value % 4 {
            0 => Some(value),
            1 => Some(value - 1),
            _ => None,
        }
    }

    /// Whether the counter read `value` while no write to users was under way.
    pub(super) fn at_rest(value: u64) -> bool {
        value.is_multiple_of(4)
    }

    /// A write is changing users (the update hook, before the change is committed).
    pub(super) fn note_change(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |value| {
                Self::at_rest(value).then_some(value + 1)
            });
    }

    /// The writer is about to commit (the commit hook): when the write changed users, their
    /// new data may be seen from now on.
    pub(super) fn note_commit(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |value| {
                (value % 4 == 1).then_some(value + 1)
            });
    }

    /// The write that began at `before` has ended: the data is now `before + 4` when it
    /// changed users, and `None` when it did not. Only the writer calls this, one write at a
    /// time.
    pub(super) fn end_write(&self, before: u64) -> Option<u64> {
        (self.now() != before).then(|| {
            let after = before + 4;
            self.0.store(after, Ordering::SeqCst);
            after
        })
    }

    /// Moves on as a write would, without one: whatever was made from the data so far is
    /// stale.
    #[cfg(test)]
    pub(super) fn advance(&self) -> u64 {
        self.0.fetch_add(4, Ordering::SeqCst) + 4
    }

    /// The counter, once no write is committing (or [`COMMIT_WAIT`] has passed).
    fn past_commits(&self) -> u64 {
        let deadline = Instant::now() + COMMIT_WAIT;
        loop {
            let now = self.now();
            if Self::data_of(now).is_some() || Instant::now() >= deadline {
                return now;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// A request's read transaction, and the generation of the data it reads when that is known.
pub(super) struct Snapshot<'c> {
    pub(super) conn: &'c Connection,
    /// `None` when a write committed while the snapshot opened, or when the caller's own
    /// transaction holds an older snapshot: then nothing made from a generation answers, and
    /// nothing is kept.
    pub(super) generation: Option<u64>,
}

impl std::ops::Deref for Snapshot<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

/// Runs `work` in one read transaction of `conn` that knows its generation (see the module
/// documentation). Inside a transaction the caller began, `work` runs in it, with no
/// generation.
pub(super) fn in_snapshot<T>(
    conn: &Connection,
    generation: &Generation,
    work: impl FnOnce(&Snapshot<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    if !conn.is_autocommit() {
        return work(&Snapshot {
            conn,
            generation: None,
        });
    }
    let before = Generation::data_of(generation.past_commits());
    conn.execute_batch("BEGIN")?;
    let result = begin_reading(conn).and_then(|()| {
        let known = before.filter(|before| Generation::data_of(generation.now()) == Some(*before));
        work(&Snapshot {
            conn,
            generation: known,
        })
    });
    // A read ends the same whether it went well or not; an error may have ended it already.
    let ended = if conn.is_autocommit() {
        Ok(())
    } else {
        conn.execute_batch("COMMIT")
    };
    let value = result?;
    ended?;
    Ok(value)
}

/// Starts the read transaction's snapshot: SQLite takes it at the first read of the database,
/// not at `BEGIN`.
fn begin_reading(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("SELECT 1 FROM users LIMIT 1")?
        .query_row([], |_| Ok(()))
        .optional()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewUserRecord, Store, insert_user};

    #[test]
    fn a_snapshot_knows_its_generation_unless_a_write_commits_meanwhile() {
        let generation = Generation::default();
        let store = Store::open(None).expect("opens");
        let known = |generation: &Generation| {
            store
                .read_blocking(|conn| {
                    Ok(in_snapshot(conn, generation, |snapshot| {
                        Ok(snapshot.generation)
                    })?)
                })
                .expect("reads")
        };
        assert_eq!(known(&generation), Some(0));
        generation.note_change();
        assert_eq!(
            known(&generation),
            Some(0),
            "changed, but nothing committed"
        );
        generation.note_change();
        generation.note_commit();
        assert_eq!(known(&generation), None, "committing, past the wait");
        generation.note_commit();
        assert_eq!(generation.end_write(0), Some(4));
        assert_eq!(known(&generation), Some(4));
        generation.note_commit();
        assert_eq!(
            generation.end_write(4),
            None,
            "a write that changed no user"
        );
    }

    #[test]
    fn every_statement_of_a_snapshot_reads_the_same_data() {
        let dir = tempfile::tempdir().expect("a directory");
        let store = Store::open(Some(&dir.path().join("users.sqlite"))).expect("opens");
        let generation = Generation::default();
        let count = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))
        };
        let (first, second) = store
            .read_blocking(|conn| {
                Ok(in_snapshot(conn, &generation, |snapshot| {
                    let first = count(snapshot)?;
                    store
                        .write_blocking(|conn| {
                            Ok(insert_user(conn, &NewUserRecord::example("ali"))?)
                        })
                        .expect("a file database takes a write beside a read");
                    Ok((first, count(snapshot)?))
                })?)
            })
            .expect("reads");
        assert_eq!(first, second, "one snapshot, one answer");
        let after = store.read_blocking(|conn| Ok(count(conn)?)).expect("reads");
        assert_eq!(after, first + 1, "the write is there for the next snapshot");
    }
}
