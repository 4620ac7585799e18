//! Every user's status, role and place in each common sort order, held in memory.
//!
//! The first ask of a filter that no index serves in the asked order (users created after a
//! date sorted by name, a keyword search with a status sorted by anything) costs a row read
//! per match: hundreds of milliseconds at a million users. With these columns the common
//! shapes (status and role equalities, ranges on the sort columns, a keyword search's matches)
//! need no row at all: a page is a walk along an array of ids, a count is a loop.
//!
//! Columns belong to one generation of the data (see `snapshot.rs`) and answer only a
//! snapshot known to read that generation. They are made by a thread of their own
//! (`keeper.rs`) once the writes to users pause, in short reads (a writer waits for one at
//! most, even in memory, where a write cannot commit while a read is under way), and kept only
//! when no write to users committed before the last read ended. A write of a few users
//! (updates, deletes, creates) is patched in after it has committed, and before its generation
//! is published (`patch.rs`); a write that failed or rolled back, or a large one, leaves them
//! to be made anew. Until then (about a second at a million users), and for a store whose ids
//! are too sparse to index arrays by, the listings read SQLite. Ids are never reused, so a
//! deleted user's places stay in the orders, marked absent. At a million users they take
//! about 42 MB.

use std::sync::Arc;

use rusqlite::Connection;
use rusqlite::types::Value;

use super::orders::Kept;
use super::schema::single_index;
use super::snapshot::Generation;
use geobox_api::{UserRole, UserStatus};

/// The sort columns whose order is kept: the ones the console offers.
pub(super) const RANKED: &[&str] = &[
    "username",
    "last_name",
    "first_name",
    "created_at",
    "expiration_date",
];

/// No user has this id.
pub(super) const ABSENT: u8 = u8::MAX;

/// A value outside the known statuses or roles (the schema's CHECK forbids it): the user is
/// there but no equality matches them.
const UNKNOWN: u8 = u8::MAX - 1;

/// A store whose ids are this much sparser than its users is left to SQLite: the arrays are
/// indexed by id.
const MAX_IDS_PER_USER: u64 = 4;

/// Rows one statement reads at most while the columns are made: a write waits for one such
/// read at most. (Tests read small stores, in many chunks too.)
const CHUNK: usize = if cfg!(test) { 700 } else { 32_768 };

/// One sort column: the ids in its ascending order (ties by id, NULL first, as SQLite orders
/// them), and each id's place in that order.
#[derive(Clone, Debug)]
pub(super) struct Ranked {
    pub(super) order: Vec<u32>,
    pub(super) rank: Vec<u32>,
}

impl Ranked {
    /// The place of `id` in the order; `u32::MAX` for an id past the columns.
    pub(super) fn rank(&self, id: u32) -> u32 {
        self.rank.get(id as usize).copied().unwrap_or(u32::MAX)
    }
}

#[derive(Clone, Debug)]
pub(super) struct Columns {
    pub(super) generation: u64,
    /// By id: the index of the user's status in [`UserStatus::WIRE`], or [`ABSENT`].
    pub(super) status: Arc<Vec<u8>>,
    /// By id: the index of the user's role in [`UserRole::WIRE`], or [`ABSENT`].
    pub(super) role: Arc<Vec<u8>>,
    /// One per [`RANKED`] column, in that order (each shared apart: a patch that moves users
    /// in one order copies that one only).
    pub(super) ranked: Vec<Arc<Ranked>>,
    pub(super) users: usize,
    /// Shared by the columns patched from these; each set names its generation.
    members: Arc<Kept<Members>>,
}

/// The ids SQLite gave for the part of a filter the columns do not hold (a keyword search, a
/// LIKE), as a list and a bit per id.
#[derive(Debug)]
pub(super) struct Members {
    pub(super) ids: Vec<u32>,
    bits: Vec<u64>,
}

impl Members {
    pub(super) fn of(ids: Vec<u32>, id_limit: u32) -> Members {
        let mut bits = vec![0u64; id_limit as usize / 64 + 1];
        for id in &ids {
            if let Some(word) = bits.get_mut(*id as usize / 64) {
                *word |= 1 << (id % 64);
            }
        }
        Members { ids, bits }
    }

    pub(super) fn contains(&self, id: u32) -> bool {
        self.bits
            .get(id as usize / 64)
            .is_some_and(|word| word & (1 << (id % 64)) != 0)
    }
}

/// Member sets kept at most (each about 4 bytes a member plus a bit per user).
const MAX_KEPT_MEMBERS: usize = 4;

/// What reading the columns came to.
pub(super) enum Reading {
    Made(Columns),
    /// The ids are too sparse, or not all positive, for arrays indexed by id (or a status or
    /// role is one the columns do not know): the listings read SQLite.
    Unfit,
    /// A write to users committed before the last read ended: the columns would mix two
    /// generations.
    Changed,
}

impl Columns {
    /// Reads every column of the data of generation `at` in short reads, each checked to have
    /// read that generation still (see the module documentation).
    pub(super) fn read(
        conn: &Connection,
        generation: &Generation,
        at: u64,
    ) -> rusqlite::Result<Reading> {
        let reader = ChunkReader {
            conn,
            generation,
            at,
        };
        let Some((lowest, highest, users)) = reader
            .read("SELECT min(id), max(id), count(*) FROM users", &[], |row| {
                Ok((
                    row.get::<_, Option<i64>>(0)?.unwrap_or(0),
                    row.get::<_, Option<i64>>(1)?.unwrap_or(0),
                    row.get::<_, i64>(2)?,
                ))
            })?
            .and_then(|mut rows| rows.pop())
        else {
            return Ok(Reading::Changed);
        };
        let users = usize::try_from(users).unwrap_or(0);
        let fits = lowest >= 0
            && u32::try_from(highest).is_ok_and(|highest| highest < u32::MAX)
            && highest as u64 <= (users as u64).saturating_mul(MAX_IDS_PER_USER) + 1024;
        if !fits {
            return Ok(Reading::Unfit);
        }
        let len = highest as usize + 1;
        let mut status = vec![ABSENT; len];
        let mut role = vec![ABSENT; len];
        let mut found = 0;
        for (status_code, status_value) in UserStatus::WIRE.iter().enumerate() {
            for (role_code, role_value) in UserRole::WIRE.iter().enumerate() {
                let group = [
                    Value::from(status_value.to_string()),
                    Value::from(role_value.to_string()),
                ];
                let Some(ids) = reader.ids_after(
                    "SELECT id FROM users INDEXED BY users_status_role \
                     WHERE status = ?1 AND role = ?2 AND id > ?3 ORDER BY id LIMIT ?4",
                    &group,
                )?
                else {
                    return Ok(Reading::Changed);
                };
                for id in ids {
                    let Some(slot) = status.get_mut(id as usize) else {
                        return Ok(Reading::Unfit);
                    };
                    *slot = status_code as u8;
                    role[id as usize] = role_code as u8;
                    found += 1;
                }
            }
        }
        if found != users {
            return Ok(Reading::Unfit);
        }
        let mut ranked = Vec::with_capacity(RANKED.len());
        for column in RANKED {
            let Some(order) = reader.order(column)? else {
                return Ok(Reading::Changed);
            };
            if order.len() != users {
                return Ok(Reading::Unfit);
            }
            let mut rank = vec![u32::MAX; len];
            for (place, id) in order.iter().enumerate() {
                let Some(slot) = rank.get_mut(*id as usize) else {
                    return Ok(Reading::Unfit);
                };
                *slot = place as u32;
            }
            ranked.push(Arc::new(Ranked { order, rank }));
        }
        Ok(Reading::Made(Columns {
            generation: at,
            status: Arc::new(status),
            role: Arc::new(role),
            ranked,
            users,
            members: Arc::new(Kept::new(MAX_KEPT_MEMBERS, |_| 1)),
        }))
    }

    /// The member set kept under `key` for this data.
    pub(super) fn members(&self, key: &str) -> Option<Arc<Members>> {
        self.members.get(key, self.generation)
    }

    pub(super) fn keep_members(&self, key: String, members: Arc<Members>) {
        self.members.keep(key, self.generation, members);
    }

    pub(super) fn users(&self) -> usize {
        self.users
    }

    /// One past the highest id.
    pub(super) fn id_limit(&self) -> u32 {
        self.status.len() as u32
    }

    pub(super) fn exists(&self, id: u32) -> bool {
        self.status
            .get(id as usize)
            .is_some_and(|code| *code != ABSENT)
    }

    pub(super) fn status(&self, id: u32) -> u8 {
        self.status.get(id as usize).copied().unwrap_or(ABSENT)
    }

    pub(super) fn role(&self, id: u32) -> u8 {
        self.role.get(id as usize).copied().unwrap_or(ABSENT)
    }

    /// The kept order of a sort column, when it is one of [`RANKED`].
    pub(super) fn ranked(&self, column: &str) -> Option<&Ranked> {
        let at = RANKED.iter().position(|ranked| *ranked == column)?;
        self.ranked.get(at).map(|ranked| &**ranked)
    }
}

/// The code of a status or role value: its index among the known ones.
pub(super) fn code(known: &[&str], value: Option<&str>) -> u8 {
    value
        .and_then(|value| known.iter().position(|known| *known == value))
        .map_or(UNKNOWN, |at| at as u8)
}

/// Reads of the data of one generation, [`CHUNK`] rows at a time, each checked to have read
/// that generation: `None` once a write to users has committed.
struct ChunkReader<'c> {
    conn: &'c Connection,
    generation: &'c Generation,
    at: u64,
}

impl ChunkReader<'_> {
    /// The rows of one statement, when it read the data of generation `at`.
    fn read<T>(
        &self,
        sql: &str,
        values: &[Value],
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<Vec<T>>> {
        if !self.unchanged() {
            return Ok(None);
        }
        // Each statement is a read transaction of its own, ended before the next begins.
        let rows = self
            .conn
            .prepare_cached(sql)?
            .query_map(rusqlite::params_from_iter(values), row)?
            .collect::<rusqlite::Result<Vec<T>>>()?;
        Ok(self.unchanged().then_some(rows))
    }

    /// Whether reads see the data of generation `at` still: no write to users has committed
    /// since (one may have changed users without committing yet).
    fn unchanged(&self) -> bool {
        Generation::data_of(self.generation.now()) == Some(self.at)
    }

    /// Every id `sql` selects, in its order, read a chunk at a time: `sql` takes `values`,
    /// then the id to start after and the chunk's size.
    fn ids_after(&self, sql: &str, values: &[Value]) -> rusqlite::Result<Option<Vec<u32>>> {
        let mut ids = Vec::new();
        let mut after = -1;
        loop {
            let mut bound = values.to_vec();
            bound.extend([Value::Integer(after), Value::Integer(CHUNK as i64)]);
            let Some(chunk) = self.read(sql, &bound, |row| row.get::<_, i64>(0))? else {
                return Ok(None);
            };
            after = chunk.last().copied().unwrap_or(after);
            let done = chunk.len() < CHUNK;
            ids.extend(
                chunk
                    .into_iter()
                    .map(|id| u32::try_from(id).unwrap_or(u32::MAX)),
            );
            if done {
                return Ok(Some(ids));
            }
        }
    }

    /// The ids in `column`'s order (NULL first, then the values in the column's collation,
    /// ties by id), read along its index a chunk at a time: after the NULLs, each chunk
    /// finishes the last value's ties, then reads on past that value.
    fn order(&self, column: &str) -> rusqlite::Result<Option<Vec<u32>>> {
        let index = single_index(column);
        let Some(mut order) = self.ids_after(
            &format!(
                "SELECT id FROM users INDEXED BY {index} \
                 WHERE {column} IS NULL AND id > ?1 ORDER BY id LIMIT ?2"
            ),
            &[],
        )?
        else {
            return Ok(None);
        };
        let key_and_id =
            |row: &rusqlite::Row<'_>| Ok((row.get::<_, Value>(0)?, row.get::<_, i64>(1)?));
        let mut last: Option<(Value, i64)> = None;
        loop {
            let mut chunk = Vec::new();
            if let Some((value, id)) = &last {
                let Some(ties) = self.read(
                    &format!(
                        "SELECT {column}, id FROM users INDEXED BY {index} \
                         WHERE {column} = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                    ),
                    &[
                        value.clone(),
                        Value::Integer(*id),
                        Value::Integer(CHUNK as i64),
                    ],
                    key_and_id,
                )?
                else {
                    return Ok(None);
                };
                chunk = ties;
            }
            if chunk.len() < CHUNK {
                let wanted = Value::Integer((CHUNK - chunk.len()) as i64);
                let past = match &last {
                    Some((value, _)) => self.read(
                        &format!(
                            "SELECT {column}, id FROM users INDEXED BY {index} \
                             WHERE {column} > ?1 ORDER BY {column}, id LIMIT ?2"
                        ),
                        &[value.clone(), wanted],
                        key_and_id,
                    )?,
                    None => self.read(
                        &format!(
                            "SELECT {column}, id FROM users INDEXED BY {index} \
                             WHERE {column} IS NOT NULL ORDER BY {column}, id LIMIT ?1"
                        ),
                        &[wanted],
                        key_and_id,
                    )?,
                };
                let Some(past) = past else {
                    return Ok(None);
                };
                chunk.extend(past);
            }
            let done = chunk.len() < CHUNK;
            order.extend(
                chunk
                    .iter()
                    .map(|(_, id)| u32::try_from(*id).unwrap_or(u32::MAX)),
            );
            if let Some(end) = chunk.pop() {
                last = Some(end);
            }
            if done {
                return Ok(Some(order));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::store::{Store, delete_user};

    #[test]
    fn in_memory_a_write_stops_a_reading_of_the_columns_rather_than_wait_for_it() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(crate::seed::seed(conn, 20 * CHUNK as u64, 5, "hash")?))
            .expect("seeds");
        let counts = store.counts();
        let at = counts.now();
        let reading = AtomicBool::new(false);
        let read = std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                store
                    .read_blocking(|conn| {
                        reading.store(true, Ordering::SeqCst);
                        Ok(Columns::read(conn, counts.generation(), at)?)
                    })
                    .expect("reads")
            });
            while !reading.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            // In memory a write cannot commit while a read is under way: it waits for the
            // reading's current chunk only; the next one sees it committed and stops.
            store
                .write_blocking(|conn| Ok(delete_user(conn, 7)?))
                .expect("deletes");
            reader.join().expect("no panic")
        });
        assert!(
            matches!(read, Reading::Changed),
            "columns read across a write are not kept"
        );
    }

    #[test]
    fn columns_read_in_chunks_hold_every_user_in_sqlite_order() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(crate::seed::seed(conn, 3 * CHUNK as u64 / 2, 5, "hash")?))
            .expect("seeds");
        let counts = store.counts();
        let (read, expected) = store
            .read_blocking(|conn| {
                let read = Columns::read(conn, counts.generation(), counts.now())?;
                let mut expected = Vec::new();
                for column in RANKED {
                    let mut statement =
                        conn.prepare(&format!("SELECT id FROM users ORDER BY {column}, id"))?;
                    let ids = statement
                        .query_map([], |row| Ok(row.get::<_, i64>(0)? as u32))?
                        .collect::<rusqlite::Result<Vec<u32>>>()?;
                    expected.push(ids);
                }
                Ok((read, expected))
            })
            .expect("reads");
        let Reading::Made(columns) = read else {
            panic!("no write meanwhile");
        };
        for (column, ids) in RANKED.iter().zip(expected) {
            let ranked = columns.ranked(column).expect("kept");
            assert_eq!(ranked.order, ids, "{column}");
            assert!(
                ids.iter()
                    .enumerate()
                    .all(|(place, id)| ranked.rank(*id) == place as u32)
            );
        }
        assert_eq!(columns.users(), 3 * CHUNK / 2);
    }
}
