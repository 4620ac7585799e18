//! Every user's status, role and place in each common sort order, held in memory.
//!
//! The first ask of a filter that no index serves in the asked order (users created after a
//! date sorted by name, a keyword search with a status sorted by anything) costs a row read
//! per match: hundreds of milliseconds at a million users. With these columns the common
//! shapes (status and role equalities, ranges on the sort columns, a keyword search's matches)
//! need no row at all: a page is a walk along an array of ids, a count is a loop.
//!
//! They are made from one generation of the data, on a thread of their own, once the writes
//! to users pause, and used only while that generation holds. A write that only updates or
//! deletes a few users without moving anyone in a sort order is patched into them before it
//! returns; after any other (a create, a rename out of place, a large write) they are made
//! anew. Until then (about half a second at a million users), and for a store too sparse in
//! ids to hold them, the listings read SQLite as before. At a million users they take about
//! 42 MB.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::orders::{Kept, SortKey};
use super::schema::single_index;
use super::{Source, connect};
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

#[derive(Clone, Debug)]
pub(super) struct Columns {
    pub(super) generation: u64,
    /// By id: the index of the user's status in [`UserStatus::WIRE`], or [`ABSENT`].
    status: Arc<Vec<u8>>,
    /// By id: the index of the user's role in [`UserRole::WIRE`], or [`ABSENT`].
    role: Arc<Vec<u8>>,
    /// One per [`RANKED`] column, in that order.
    ranked: Arc<Vec<Ranked>>,
    users: usize,
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

/// Users changed by one write, as the writer connection reported them.
#[derive(Debug, Default)]
pub(super) struct UserChanges {
    /// Ids updated and deleted, together at most [`MAX_PATCHED`].
    updated: Vec<i64>,
    deleted: Vec<i64>,
    /// A user was created, or more changed than a patch is worth.
    reshaped: bool,
}

/// Changed users at most that are patched into the columns in place; past it they are made
/// anew in the background.
const MAX_PATCHED: usize = 64;

impl UserChanges {
    pub(super) fn note(&mut self, action: rusqlite::hooks::Action, id: i64) {
        use rusqlite::hooks::Action;
        if self.updated.len() + self.deleted.len() >= MAX_PATCHED {
            self.reshaped = true;
            return;
        }
        match action {
            Action::SQLITE_UPDATE if !self.updated.contains(&id) => self.updated.push(id),
            Action::SQLITE_UPDATE => {}
            Action::SQLITE_DELETE => self.deleted.push(id),
            _ => self.reshaped = true,
        }
    }
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
            status: Arc::new(status),
            role: Arc::new(role),
            ranked: Arc::new(ranked),
            users,
            members: Arc::new(Kept::new(MAX_KEPT_MEMBERS, |_| 1)),
        }))
    }

    /// These columns with `changes` applied, for the data of `generation`: deleted users
    /// marked absent (their places in the orders stay, skipped), updated users' statuses and
    /// roles read again. `None` when an updated user is gone or has moved in a sort order (a
    /// rename, a new date), which only making them anew can follow. Each place in an order is
    /// checked against its neighbours: the order was sorted before and only these users
    /// changed, so it is still sorted exactly when each of them still sorts between the ids
    /// beside it.
    fn patched(
        &self,
        conn: &Connection,
        changes: &UserChanges,
        generation: u64,
    ) -> rusqlite::Result<Option<Columns>> {
        let mut next = self.clone();
        next.generation = generation;
        for id in &changes.deleted {
            let Some(user) = u32::try_from(*id).ok().filter(|id| self.exists(*id)) else {
                return Ok(None);
            };
            Arc::make_mut(&mut next.status)[user as usize] = ABSENT;
            Arc::make_mut(&mut next.role)[user as usize] = ABSENT;
            next.users = next.users.saturating_sub(1);
        }
        let updated = changes
            .updated
            .iter()
            .filter(|id| !changes.deleted.contains(id));
        let mut statement = conn.prepare_cached(&format!(
            "SELECT status, role, {} FROM users WHERE id = ?",
            RANKED.join(", ")
        ))?;
        for id in updated {
            let Some(user) = u32::try_from(*id).ok().filter(|id| next.exists(*id)) else {
                return Ok(None);
            };
            let row = statement
                .query_row([id], |row| {
                    let mut values = Vec::with_capacity(RANKED.len());
                    for at in 0..RANKED.len() {
                        values.push(row.get::<_, Value>(at + 2)?);
                    }
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, values))
                })
                .optional()?;
            let Some((status, role, values)) = row else {
                return Ok(None);
            };
            for ((column, ranked), value) in RANKED.iter().zip(self.ranked.iter()).zip(values) {
                if !still_in_place(conn, column, ranked, user, value)? {
                    return Ok(None);
                }
            }
            // Copied only when it changes: a sign-in touches neither.
            let status = code(UserStatus::WIRE, Some(&status));
            if next.status[user as usize] != status {
                Arc::make_mut(&mut next.status)[user as usize] = status;
            }
            let role = code(UserRole::WIRE, Some(&role));
            if next.role[user as usize] != role {
                Arc::make_mut(&mut next.role)[user as usize] = role;
            }
        }
        Ok(Some(next))
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
        self.ranked.get(at)
    }
}

/// Whether user `id`, whose `column` now holds `value`, still sorts between its neighbours in
/// `ranked`'s order (ties by id, NULL first, NOCASE for username, as SQLite orders them).
fn still_in_place(
    conn: &Connection,
    column: &str,
    ranked: &Ranked,
    id: u32,
    value: Value,
) -> rusqlite::Result<bool> {
    let nocase = column == "username";
    let key = |value: Value, id: u32| (SortKey::of(value, nocase), id);
    let place = ranked.rank(id) as usize;
    let mut neighbour = conn.prepare_cached(&format!("SELECT {column} FROM users WHERE id = ?"))?;
    // The nearest user still there on each side: places of deleted users stay in the order.
    let mut nearest =
        |ids: &mut dyn Iterator<Item = u32>| -> rusqlite::Result<Option<(SortKey, u32)>> {
            for id in ids {
                let value = neighbour
                    .query_row([id], |row| row.get::<_, Value>(0))
                    .optional()?;
                if let Some(value) = value {
                    return Ok(Some(key(value, id)));
                }
            }
            Ok(None)
        };
    let own = key(value, id);
    if let Some(before) = nearest(&mut ranked.order[..place].iter().rev().copied())?
        && before >= own
    {
        return Ok(false);
    }
    if let Some(after) = nearest(&mut ranked.order[place + 1..].iter().copied())?
        && own >= after
    {
        return Ok(false);
    }
    Ok(true)
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

    /// Whether the keeper has made the columns of `generation` (or found it could not).
    pub(super) fn settled(&self, generation: u64) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.tried == Some(generation)
    }

    /// After a write that moved the data from `before` to `after`: when the columns were
    /// those of `before` and the write only updated a few users without moving them in any
    /// sort order (a status or role change, a sign-in), they become those of `after` at once.
    /// Otherwise the keeper is asked to make them anew.
    pub(super) fn follow_write(
        &self,
        conn: &Connection,
        before: u64,
        after: u64,
        changes: &UserChanges,
    ) {
        let current = {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state
                .columns
                .as_ref()
                .filter(|columns| columns.generation == before)
                .cloned()
        };
        let patched = match current {
            Some(columns) if !changes.reshaped => columns
                .patched(conn, changes, after)
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "cannot patch the in-memory columns");
                    None
                }),
            _ => None,
        };
        match patched {
            Some(columns) => self.set(after, Some(columns)),
            None => self.wake(),
        }
    }

    pub(super) fn set(&self, generation: u64, columns: Option<Columns>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.tried.is_some_and(|tried| tried > generation) {
            // Made from older data than what is there (a patch landed meanwhile).
            return;
        }
        state.tried = Some(generation);
        state.columns = columns.map(Arc::new);
    }
}

/// Starts the thread that keeps `slot`'s columns up with the data whose writes move
/// `generation` on; it ends when the slot (the store) is dropped.
pub(super) fn keep_columns(source: Source, slot: &Arc<ColumnSlot>, generation: Arc<AtomicU64>) {
    let (wake, woken) = sync_channel(1);
    *slot.wake.lock().unwrap_or_else(PoisonError::into_inner) = Some(wake);
    let slot = Arc::downgrade(slot);
    let spawned = std::thread::Builder::new()
        .name("geobox-columns".into())
        .spawn(move || keeper(&source, &slot, &generation, &woken));
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the column keeper; listings read SQLite only");
    }
}

fn keeper(source: &Source, slot: &Weak<ColumnSlot>, generation: &AtomicU64, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        let Some(generation) = quiet_generation(slot, generation) else {
            return;
        };
        let Some(slot) = slot.upgrade() else {
            return;
        };
        if slot.settled(generation) {
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
                slot.set(generation, columns);
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the in-memory columns");
                slot.set(generation, None);
            }
        }
        while woken.try_recv().is_ok() {}
    }
}

/// The generation once no write has come for [`QUIET`]; `None` once the store is gone.
fn quiet_generation(slot: &Weak<ColumnSlot>, generation: &AtomicU64) -> Option<u64> {
    let mut seen = generation.load(Ordering::SeqCst);
    loop {
        std::thread::sleep(QUIET);
        slot.upgrade()?;
        let now = generation.load(Ordering::SeqCst);
        if now == seen {
            return Some(now);
        }
        seen = now;
    }
}
