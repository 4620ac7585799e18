//! Generations of the data, and one read snapshot per request that knows its generation.
//!
//! **A generation** names one state of the `users` table as committed. The counter is even
//! while no write to users is under way and odd while one is: the writer connection's update
//! hook makes it odd at a write's first change to a user (before anything is committed), and
//! the writer makes it even again, two past where it started, once the write has ended
//! (committed or rolled back). So while the counter reads the same even number, the committed
//! users are the same; every count, kept order, member set and in-memory column is filed under
//! the generation it was made from, and is good for that generation only.
//!
//! **A snapshot** is a read transaction. The generation is read before it opens and again
//! once it has started reading; when both are the same even number, the snapshot reads exactly
//! the data of that generation, and whatever was made from it may answer in place of SQLite.
//! Otherwise (a write was under way or landed meanwhile) the snapshot answers from SQLite
//! alone, and keeps nothing it makes. Either way every statement of one request reads the same
//! data: a page never mixes its ids with rows of another moment.
//!
//! Ids are never reused (`AUTOINCREMENT`): an id kept in an order made from an older
//! generation never names another user.

use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OptionalExtension};

/// The counter of generations (see the module documentation).
#[derive(Debug, Default)]
pub struct Generation(AtomicU64);

impl Generation {
    /// The counter now: odd while a write to users is under way.
    pub(super) fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// Whether the counter read `value` while a write to users was under way.
    pub(super) fn under_way(value: u64) -> bool {
        !value.is_multiple_of(2)
    }

    /// A write is changing users (the update hook, before the change is committed).
    pub(super) fn note_change(&self) {
        self.0.fetch_or(1, Ordering::SeqCst);
    }

    /// The write that began at `before` has ended: the data is now `before + 2` when it
    /// changed users, and `None` when it did not. Only the writer calls this, one write at a
    /// time.
    pub(super) fn end_write(&self, before: u64) -> Option<u64> {
        (self.now() != before).then(|| {
            let after = before + 2;
            self.0.store(after, Ordering::SeqCst);
            after
        })
    }

    /// Moves on as a write would, without one: whatever was made from the data so far is
    /// stale.
    #[cfg(test)]
    pub(super) fn advance(&self) -> u64 {
        self.0.fetch_add(2, Ordering::SeqCst) + 2
    }
}

/// A request's read transaction, and the generation of the data it reads when that is known.
pub(super) struct Snapshot<'c> {
    pub(super) conn: &'c Connection,
    /// `None` when a write was under way or landed while the snapshot opened, or when the
    /// caller's own transaction holds an older snapshot: then nothing made from a generation
    /// answers, and nothing is kept.
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
    let before = generation.now();
    conn.execute_batch("BEGIN")?;
    let result = begin_reading(conn).and_then(|()| {
        let known =
            (generation.now() == before && !Generation::under_way(before)).then_some(before);
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
    fn a_snapshot_knows_its_generation_only_while_no_write_is_under_way() {
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
        assert_eq!(known(&generation), None, "a write is under way");
        assert_eq!(generation.end_write(0), Some(2));
        assert_eq!(known(&generation), Some(2));
        assert_eq!(
            generation.end_write(2),
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
