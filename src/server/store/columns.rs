//! Every user's status, role and place in each common sort order, held in memory.
//!
//! The first ask of a filter that no index serves in the asked order (users created after a
//! date sorted by name, a keyword search with a status sorted by anything) costs a row read
//! per match: hundreds of milliseconds at a million users. With these columns the common
//! shapes (status and role equalities, ranges on the sort columns, a keyword search's matches)
//! need no row at all: a page is a walk along an array of ids, a count is a loop.
//!
//! They are made from one generation of the data, on a thread of their own, once the writes
//! to users pause, and used only while that generation holds. Until then (about half a second
//! at a million users), and for a store too sparse in ids to hold them, the listings read
//! SQLite as before.
//! At a million users they take about 42 MB and half a second to make.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use rusqlite::Connection;

use super::listing::CountCache;
use super::planner::{COMPOSITE_SORTS, single_index};
use super::{Source, connect};
use crate::api::{UserRole, UserStatus};

/// The sort columns whose order is kept: the ones the console offers.
pub(super) const RANKED: &[&str] = COMPOSITE_SORTS;

/// No user has this id.
pub(super) const ABSENT: u8 = u8::MAX;

/// A value outside the known statuses or roles (the schema's CHECK forbids it): the user is
/// there but no equality matches them.
const UNKNOWN: u8 = u8::MAX - 1;

/// How long the writes must pause before the columns are made: a bulk change or an import
/// writes in bursts, and columns made in the middle of one are stale at once.
const QUIET: Duration = Duration::from_millis(150);

/// A store whose ids are this much sparser than its users is left to SQLite: the arrays are
/// indexed by id.
const MAX_IDS_PER_USER: u64 = 4;

/// One sort column: the ids in its ascending order (ties by id, NULL first, as SQLite orders
/// them), and each id's place in that order.
#[derive(Debug)]
pub(super) struct Ranked {
    pub(super) order: Vec<u32>,
    rank: Vec<u32>,
}

impl Ranked {
    pub(super) fn rank(&self, id: u32) -> u32 {
        self.rank[id as usize]
    }
}

#[derive(Debug)]
pub(super) struct Columns {
    pub(super) generation: u64,
    /// By id: the index of the user's status in [`UserStatus::WIRE`], or [`ABSENT`].
    status: Vec<u8>,
    /// By id: the index of the user's role in [`UserRole::WIRE`], or [`ABSENT`].
    role: Vec<u8>,
    /// One per [`RANKED`] column, in that order.
    ranked: Vec<Ranked>,
    users: usize,
}

impl Columns {
    /// Reads every column from one snapshot of the data of `generation`; `None` when the ids
    /// are too sparse for arrays indexed by id.
    pub(super) fn read(conn: &Connection, generation: u64) -> rusqlite::Result<Option<Columns>> {
        conn.execute_batch("BEGIN")?;
        let columns = Self::read_in_snapshot(conn, generation);
        let ended = conn.execute_batch("COMMIT");
        let columns = columns?;
        ended?;
        Ok(columns)
    }

    fn read_in_snapshot(conn: &Connection, generation: u64) -> rusqlite::Result<Option<Columns>> {
        let (highest, users): (Option<i64>, i64) =
            conn.query_row("SELECT max(id), count(*) FROM users", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        let highest = u64::try_from(highest.unwrap_or(0)).unwrap_or(u64::MAX);
        let users = usize::try_from(users).unwrap_or(0);
        let fits = highest < u64::from(u32::MAX)
            && highest <= (users as u64).saturating_mul(MAX_IDS_PER_USER) + 1024;
        if !fits {
            return Ok(None);
        }
        let len = highest as usize + 1;
        let mut status = vec![ABSENT; len];
        let mut role = vec![ABSENT; len];
        let mut statement =
            conn.prepare("SELECT id, status, role FROM users INDEXED BY users_status_role")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id = row.get::<_, i64>(0)? as usize;
            status[id] = code(UserStatus::WIRE, row.get_ref(1)?.as_str().ok());
            role[id] = code(UserRole::WIRE, row.get_ref(2)?.as_str().ok());
        }
        let mut ranked = Vec::with_capacity(RANKED.len());
        for column in RANKED {
            let mut statement = conn.prepare(&format!(
                "SELECT id FROM users INDEXED BY {} ORDER BY {column}, id",
                single_index(column)
            ))?;
            let order = statement
                .query_map([], |row| Ok(row.get::<_, i64>(0)? as u32))?
                .collect::<rusqlite::Result<Vec<u32>>>()?;
            let mut rank = vec![u32::MAX; len];
            for (place, id) in order.iter().enumerate() {
                rank[*id as usize] = place as u32;
            }
            ranked.push(Ranked { order, rank });
        }
        Ok(Some(Columns {
            generation,
            status,
            role,
            ranked,
            users,
        }))
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
        self.ranked.get(at)
    }
}

/// The code of a status or role value: its index among the known ones.
pub(super) fn code(known: &[&str], value: Option<&str>) -> u8 {
    value
        .and_then(|value| known.iter().position(|known| *known == value))
        .map_or(UNKNOWN, |at| at as u8)
}

/// The columns of the current data, and the thread that makes them.
#[derive(Debug, Default)]
pub(super) struct ColumnSlot {
    state: Mutex<SlotState>,
    /// Wakes the keeper; absent when the store keeps no columns.
    wake: Mutex<Option<SyncSender<()>>>,
}

#[derive(Debug, Default)]
struct SlotState {
    columns: Option<Arc<Columns>>,
    /// The generation the keeper last made columns for, or found it could not.
    tried: Option<u64>,
}

impl ColumnSlot {
    /// The columns, when they were made from the data of `generation`. Otherwise asks the
    /// keeper to make them, and the caller reads SQLite meanwhile.
    pub(super) fn current(&self, generation: u64) -> Option<Arc<Columns>> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(columns) = &state.columns
            && columns.generation == generation
        {
            return Some(Arc::clone(columns));
        }
        if state.tried != Some(generation) {
            self.wake();
        }
        None
    }

    /// Asks the keeper to make the columns of the data as it is once the writes pause.
    pub(super) fn wake(&self) {
        if let Some(wake) = &*self.wake.lock().unwrap_or_else(PoisonError::into_inner) {
            // A full channel means the keeper is already asked.
            let _ = wake.try_send(());
        }
    }

    pub(super) fn settled(&self, generation: u64) -> bool {
        self.tried(generation)
    }

    fn tried(&self, generation: u64) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.tried == Some(generation)
    }

    pub(super) fn set(&self, generation: u64, columns: Option<Columns>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.tried = Some(generation);
        state.columns = columns.map(Arc::new);
    }
}

/// Starts the thread that keeps `counts`' columns up with the data; it ends when the counts
/// cache (the store) is dropped.
pub(super) fn keep_columns(source: Source, counts: &Arc<CountCache>) {
    let (wake, woken) = sync_channel(1);
    *counts
        .columns()
        .wake
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(wake);
    let counts = Arc::downgrade(counts);
    let spawned = std::thread::Builder::new()
        .name("geobox-columns".into())
        .spawn(move || keeper(&source, &counts, &woken));
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the column keeper; listings read SQLite only");
    }
}

fn keeper(source: &Source, counts: &Weak<CountCache>, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        let Some(generation) = quiet_generation(counts) else {
            return;
        };
        let Some(cache) = counts.upgrade() else {
            return;
        };
        if cache.columns().tried(generation) {
            continue;
        }
        let started = std::time::Instant::now();
        match connect(source).and_then(|conn| Columns::read(&conn, generation)) {
            Ok(columns) => {
                tracing::debug!(
                    users = columns.as_ref().map_or(0, Columns::users),
                    made = columns.is_some(),
                    ms = started.elapsed().as_millis() as u64,
                    "in-memory columns"
                );
                cache.columns().set(generation, columns);
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the in-memory columns");
                cache.columns().set(generation, None);
            }
        }
        while woken.try_recv().is_ok() {}
    }
}

/// The generation once no write has come for [`QUIET`]; `None` once the store is gone.
fn quiet_generation(counts: &Weak<CountCache>) -> Option<u64> {
    let mut seen = counts.upgrade()?.now();
    loop {
        std::thread::sleep(QUIET);
        let now = counts.upgrade()?.now();
        if now == seen {
            return Some(now);
        }
        seen = now;
    }
}
