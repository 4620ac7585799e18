//! The in-memory columns of the current data (`columns.rs`), and the thread that makes them.
//!
//! The keeper sleeps until woken: by a reader that found no columns for its generation, or by
//! a write the columns could not follow by a patch. It then waits for the writes to users to
//! pause, reads the columns of that generation in short reads (abandoned, and tried again
//! after the next pause, when a write commits meanwhile), and files them. A wake-up while it
//! works is kept for after (the channel holds one). A keeper that died (its channel is closed)
//! is started again by the next wake-up; one that fails to read, or panics while reading,
//! files "none" for that generation, and the listings read SQLite.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::columns::{Columns, Reading};
use super::patch::UserChanges;
use super::snapshot::Generation;
use super::{Source, connect};

/// How long the writes must pause before the columns are made: a bulk change or an import
/// writes in bursts, and columns made in the middle of one are stale at once.
const QUIET: Duration = Duration::from_millis(150);

/// The columns of the current data, and the thread that makes them.
#[derive(Debug, Default)]
pub(super) struct ColumnSlot {
    state: Mutex<SlotState>,
    /// Absent when the store keeps no columns.
    keeper: Mutex<Option<Keeper>>,
}

#[derive(Debug, Default)]
struct SlotState {
    columns: Option<Arc<Columns>>,
    /// The newest generation the columns were made for, or found not to be possible for.
    tried: Option<u64>,
}

/// What starts the keeper thread, again if it dies, and wakes it.
#[derive(Debug)]
struct Keeper {
    wake: SyncSender<()>,
    slot: Weak<ColumnSlot>,
    source: Source,
    generation: Arc<Generation>,
}

impl ColumnSlot {
    /// From now on keeps the columns of the data of `source`, whose writes move `generation`
    /// on; starts making them now.
    pub(super) fn keep(self: &Arc<Self>, source: Source, generation: Arc<Generation>) {
        let wake = start_keeper(
            Arc::downgrade(self),
            source.clone(),
            Arc::clone(&generation),
        );
        *self.keeper.lock().unwrap_or_else(PoisonError::into_inner) = Some(Keeper {
            wake,
            slot: Arc::downgrade(self),
            source,
            generation,
        });
        self.wake();
    }

    /// The columns, when they were made from the data of `generation`. Otherwise, unless
    /// newer ones were made or tried, asks the keeper to make them; the caller reads SQLite
    /// meanwhile.
    pub(super) fn current(&self, generation: u64) -> Option<Arc<Columns>> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(columns) = &state.columns
            && columns.generation == generation
        {
            return Some(Arc::clone(columns));
        }
        let behind = state.tried.is_none_or(|tried| tried < generation);
        drop(state);
        if behind {
            self.wake();
        }
        None
    }

    /// Asks the keeper to make the columns of the data as it is once the writes pause; starts
    /// it again when it has died.
    pub(super) fn wake(&self) {
        let mut keeper = self.keeper.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(keeper) = keeper.as_mut() else {
            return;
        };
        match keeper.wake.try_send(()) {
            // A full channel: the keeper is asked already, and looks once more after its work.
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::error!("the in-memory column keeper had stopped; starting it again");
                keeper.wake = start_keeper(
                    keeper.slot.clone(),
                    keeper.source.clone(),
                    Arc::clone(&keeper.generation),
                );
                let _ = keeper.wake.try_send(());
            }
        }
    }

    /// Whether the keeper has made the columns of `generation` (or found it could not).
    pub(super) fn settled(&self, generation: u64) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.tried == Some(generation)
    }

    /// After a write that changed users, moving the data from `before` to `after` (not yet
    /// published): when it `committed`, the columns were those of `before`, and it changed a
    /// few users (`patch.rs`), they become those of `after`, read from `conn`, the writer's,
    /// which sees the committed data. Otherwise the keeper is asked to make them anew: a write
    /// that failed or rolled back may have changed nothing at all.
    pub(super) fn follow_write(
        &self,
        conn: &Connection,
        before: u64,
        after: u64,
        changes: &UserChanges,
        committed: bool,
    ) {
        // Taken out while they are patched, so that arrays no reader holds change in place.
        // Snapshots opening meanwhile wait for the write to end; one that opened before it
        // committed reads SQLite.
        let current = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            match &state.columns {
                Some(columns) if columns.generation == before && committed => state.columns.take(),
                _ => None,
            }
        };
        let patched = current.and_then(|columns| {
            Arc::unwrap_or_clone(columns)
                .patched(conn, changes, after)
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "cannot patch the in-memory columns");
                    None
                })
        });
        match patched {
            Some(columns) => self.set(after, Some(columns)),
            None => self.wake(),
        }
    }

    /// Files `columns` (or none) as those of `generation`, unless newer ones were filed.
    pub(super) fn set(&self, generation: u64, columns: Option<Columns>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.tried.is_some_and(|tried| tried > generation) {
            return;
        }
        state.tried = Some(generation);
        state.columns = columns.map(Arc::new);
    }

    /// Stops the keeper thread as if it had died, for tests of its restart.
    #[cfg(test)]
    pub(super) fn stop_keeper(&self) {
        if let Some(keeper) = self
            .keeper
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            // The thread's channel closes with its last sender; this one has no receiver.
            keeper.wake = sync_channel(1).0;
        }
    }
}

/// Starts a keeper thread for `slot`; answers what wakes it. The thread ends when the slot
/// (the store) is dropped.
fn start_keeper(
    slot: Weak<ColumnSlot>,
    source: Source,
    generation: Arc<Generation>,
) -> SyncSender<()> {
    let (wake, woken) = sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("geobox-columns".into())
        .spawn(move || keeper(&source, &slot, &generation, &woken));
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the column keeper; listings read SQLite only");
    }
    wake
}

fn keeper(source: &Source, slot: &Weak<ColumnSlot>, generation: &Generation, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        // Until the columns of a generation the writes paused at are filed.
        loop {
            let Some(quiet) = quiet_generation(slot, generation) else {
                return;
            };
            let Some(slot) = slot.upgrade() else {
                return;
            };
            if slot.settled(quiet) {
                break;
            }
            let started = Instant::now();
            let reading = std::panic::catch_unwind(AssertUnwindSafe(|| {
                connect(source).and_then(|conn| Columns::read(&conn, generation, quiet))
            }));
            match reading {
                Ok(Ok(Reading::Made(columns))) => {
                    tracing::debug!(
                        users = columns.users(),
                        ms = started.elapsed().as_millis() as u64,
                        "in-memory columns"
                    );
                    slot.set(quiet, Some(columns));
                }
                Ok(Ok(Reading::Unfit)) => slot.set(quiet, None),
                Ok(Ok(Reading::Changed)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "cannot read the in-memory columns");
                    slot.set(quiet, None);
                }
                Err(_) => {
                    tracing::error!("reading the in-memory columns panicked; listings read SQLite");
                    slot.set(quiet, None);
                }
            }
        }
    }
}

/// The generation once no write to users has come for [`QUIET`] (looked at a few times
/// within it); `None` once the store is gone.
fn quiet_generation(slot: &Weak<ColumnSlot>, generation: &Generation) -> Option<u64> {
    let mut seen = generation.now();
    let mut since = Instant::now();
    loop {
        std::thread::sleep(QUIET / 6);
        slot.upgrade()?;
        let now = generation.now();
        if now != seen {
            seen = now;
            since = Instant::now();
        } else if Generation::at_rest(now) && since.elapsed() >= QUIET {
            return Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::store::{NewUserRecord, Store, UserListing, insert_user, list_users, update_user};
    use crate::validate::UserFields;

    fn settle(store: &Store) {
        let started = Instant::now();
        while !store.columns_settled() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the columns are made (or found impossible) for the data as it is"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn rename(store: &Store, id: i64, username: &str) {
        let fields = UserFields {
            username: Some(username.into()),
            ..UserFields::default()
        };
        store
            .write_blocking(|conn| Ok(update_user(conn, id, &fields)?))
            .expect("renames");
    }

    fn has_columns(store: &Store) -> bool {
        let counts = store.counts();
        counts.columns().current(counts.now()).is_some()
    }

    #[test]
    fn negative_and_huge_ids_leave_the_columns_unmade_and_the_lists_right() {
        for id in [-5_i64, 1 << 40] {
            let store = Store::open(None).expect("opens");
            store
                .write_blocking(|conn| {
                    insert_user(conn, &NewUserRecord::example("sara"))?;
                    conn.execute(
                        "INSERT INTO users (id, username, role, status, password_hash, created_at)
                         VALUES (?, 'odd', 'Viewer', 'Active', 'x', '2024-01-01T00:00:00Z')",
                        [id],
                    )?;
                    Ok(())
                })
                .expect("writes");
            store.keep_columns_in_memory();
            settle(&store);
            assert!(!has_columns(&store), "id {id}: no arrays indexed by it");
            let counts = store.counts();
            let listing = UserListing {
                status: Some("Active".into()),
                order_by: vec![("username", false)],
                limit: 10,
                ..UserListing::default()
            };
            let names: Vec<String> = store
                .read_blocking(|conn| Ok(list_users(conn, &counts, &listing)?))
                .expect("lists")
                .into_iter()
                .map(|row| row.username)
                .collect();
            assert_eq!(names, ["odd", "sara"]);
            // The keeper is alive: a store with ordinary ids gets its columns again.
            store
                .write_blocking(|conn| Ok(conn.execute("DELETE FROM users WHERE id = ?", [id])?))
                .expect("deletes");
            settle(&store);
            assert!(has_columns(&store), "id {id}: made once the odd id is gone");
        }
    }

    #[test]
    fn a_keeper_that_stopped_is_started_again() {
        let store = Store::open(None).expect("opens");
        let id = store
            .write_blocking(|conn| Ok(insert_user(conn, &NewUserRecord::example("reza"))?))
            .expect("creates");
        store.keep_columns_in_memory();
        settle(&store);
        store.counts().columns().stop_keeper();
        rename(&store, id, "sara");
        settle(&store);
        assert!(has_columns(&store), "made again by a new keeper");
    }

    #[test]
    fn writes_during_a_making_are_followed_without_a_reader_asking() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(crate::seed::seed(conn, 20_000, 3, "hash")?))
            .expect("seeds");
        store.keep_columns_in_memory();
        settle(&store);
        // Renames a little more than the keeper's pause apart: some land while it reads.
        for (step, pause) in [150u64, 170, 190, 210, 230, 250].into_iter().enumerate() {
            rename(&store, 100 + step as i64, &format!("renamed-{step}"));
            std::thread::sleep(Duration::from_millis(pause));
        }
        settle(&store);
        assert!(
            has_columns(&store),
            "made for the data after the last rename"
        );
    }
}
