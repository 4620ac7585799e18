//! Following a committed write in the in-memory columns (`columns.rs`), rather than making
//! them anew: so that lists keep answering from memory while admins and scripts write.
//!
//! The writer's update hook notes which users a write created, updated and deleted. Once the
//! write has committed, these are applied to the columns of the generation before it, giving
//! those of the generation after it:
//! - a deleted user is marked absent (their places stay in the orders, skipped);
//! - a created or updated user's status and role are read again;
//! - in each sort order, when every changed user still sorts between the users beside it (a
//!   status change, a sign-in), nothing moves; otherwise the changed users are taken out and
//!   each put back where a binary search over the order, asking SQLite for one user's value
//!   per step, says it belongs (a rename, a create).
//!
//! A write of more than [`MAX_PATCHED`] users, or one the columns cannot follow (an id far past
//! the arrays, a user the columns do not know), leaves them to be made anew.

use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::columns::{ABSENT, Columns, RANKED, Ranked, code};
use super::orders::SortKey;
use geobox_api::{UserRole, UserStatus};

/// Changed users at most that are patched in; past it the columns are made anew.
const MAX_PATCHED: usize = 64;

/// Ids a create may add past the end of the arrays; past it the columns are made anew.
const MAX_GROWTH: usize = 1024;

/// Users changed by one write, as the writer connection reported them.
#[derive(Debug, Default)]
pub(super) struct UserChanges {
    created: Vec<i64>,
    updated: Vec<i64>,
    deleted: Vec<i64>,
    /// More changed than a patch is worth.
    pub(super) reshaped: bool,
}

impl UserChanges {
    pub(super) fn note(&mut self, action: rusqlite::hooks::Action, id: i64) {
        use rusqlite::hooks::Action;
        if self.created.len() + self.updated.len() + self.deleted.len() >= MAX_PATCHED {
            self.reshaped = true;
            return;
        }
        let noted = match action {
            Action::SQLITE_INSERT => &mut self.created,
            Action::SQLITE_UPDATE => &mut self.updated,
            Action::SQLITE_DELETE => &mut self.deleted,
            // An action SQLite may add: nothing to follow it by.
            _ => {
                self.reshaped = true;
                return;
            }
        };
        if !noted.contains(&id) {
            noted.push(id);
        }
    }
}

/// A changed user still there: their id, whether the write created them, and their values in
/// each [`RANKED`] column.
struct Changed {
    id: u32,
    created: bool,
    values: Vec<Value>,
}

impl Columns {
    /// These columns with the committed `changes` applied, as those of the data of
    /// `generation`, reading the changed users through `conn` (the writer's, which sees the
    /// committed data); `None` when only making them anew can follow the write. An array
    /// still shared with older columns (a reader's) is copied before it changes; one that is
    /// not changes in place.
    pub(super) fn patched(
        self,
        conn: &Connection,
        changes: &UserChanges,
        generation: u64,
    ) -> rusqlite::Result<Option<Columns>> {
        if changes.reshaped {
            return Ok(None);
        }
        let mut next = self;
        next.generation = generation;
        if !next.grow_for(&changes.created) {
            return Ok(None);
        }
        for id in &changes.deleted {
            let Some(user) = index(*id) else {
                return Ok(None);
            };
            if next.exists(user) {
                Arc::make_mut(&mut next.status)[user as usize] = ABSENT;
                Arc::make_mut(&mut next.role)[user as usize] = ABSENT;
                next.users = next.users.saturating_sub(1);
            } else if !changes.created.contains(id) {
                // Deleted, yet unknown to the columns (and not created by this write).
                return Ok(None);
            }
        }
        let Some(changed) = next.read_changed(conn, changes)? else {
            return Ok(None);
        };
        for (at, column) in RANKED.iter().enumerate() {
            let mut moved = false;
            for user in &changed {
                moved = user.created
                    || !still_in_place(conn, column, &next.ranked[at], user.id, &user.values[at])?;
                if moved {
                    break;
                }
            }
            if moved {
                let placed: Vec<(u32, &Value)> = changed
                    .iter()
                    .map(|user| (user.id, &user.values[at]))
                    .collect();
                let ranked = Arc::make_mut(&mut next.ranked[at]);
                if !ranked.place_again(conn, column, &placed, &next.status)? {
                    return Ok(None);
                }
            }
        }
        Ok(Some(next))
    }

    /// Makes room in the arrays for the ids `created` adds; false when one is negative or too
    /// far past them.
    fn grow_for(&mut self, created: &[i64]) -> bool {
        let Some(highest) = created.iter().max() else {
            return true;
        };
        let Some(highest) = index(*highest).map(|id| id as usize) else {
            return false;
        };
        let len = self.status.len();
        if highest < len {
            return true;
        }
        if highest >= len + MAX_GROWTH {
            return false;
        }
        Arc::make_mut(&mut self.status).resize(highest + 1, ABSENT);
        Arc::make_mut(&mut self.role).resize(highest + 1, ABSENT);
        true
    }

    /// Reads the created and updated users still there, filing their statuses and roles;
    /// `None` when one is not as the columns expect.
    fn read_changed(
        &mut self,
        conn: &Connection,
        changes: &UserChanges,
    ) -> rusqlite::Result<Option<Vec<Changed>>> {
        let mut statement = conn.prepare_cached(&format!(
            "SELECT status, role, {} FROM users WHERE id = ?",
            RANKED.join(", ")
        ))?;
        let mut changed = Vec::new();
        let updated = changes
            .updated
            .iter()
            .filter(|id| !changes.created.contains(id));
        let writes = changes
            .created
            .iter()
            .map(|id| (id, true))
            .chain(updated.map(|id| (id, false)))
            .filter(|(id, _)| !changes.deleted.contains(id));
        for (id, created) in writes {
            let Some(user) = index(*id) else {
                return Ok(None);
            };
            if self.exists(user) == created {
                // A create of a user the columns hold, or an update of one they do not.
                return Ok(None);
            }
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
            // Copied only when it changes: a sign-in touches neither.
            let status = code(UserStatus::WIRE, Some(&status));
            if self.status[user as usize] != status {
                Arc::make_mut(&mut self.status)[user as usize] = status;
            }
            let role = code(UserRole::WIRE, Some(&role));
            if self.role[user as usize] != role {
                Arc::make_mut(&mut self.role)[user as usize] = role;
            }
            if created {
                self.users += 1;
            }
            changed.push(Changed {
                id: user,
                created,
                values,
            });
        }
        Ok(Some(changed))
    }
}

impl Ranked {
    /// Takes `users` out of the order and puts each back where its value in `column` now
    /// sorts: a binary search over the order without them (which the write left sorted),
    /// asking SQLite for one user's value per step. `status` tells which ids are still there.
    /// Only the places between the first and the last one that moved get new ranks (all past
    /// the first, when a user was created). False when a user the columns hold has no row.
    fn place_again(
        &mut self,
        conn: &Connection,
        column: &str,
        users: &[(u32, &Value)],
        status: &[u8],
    ) -> rusqlite::Result<bool> {
        let nocase = column == "username";
        let places: Vec<usize> = users
            .iter()
            .map(|(id, _)| self.rank(*id) as usize)
            .filter(|place| *place < self.order.len())
            .collect();
        // A created user had no place: every place after theirs moves on by one.
        let grows = places.len() < users.len();
        let (mut lowest, mut highest) = (
            places.iter().copied().min().unwrap_or(usize::MAX),
            places.iter().copied().max().unwrap_or(0),
        );
        match (places.as_slice(), users) {
            ([place], [_]) => {
                self.order.remove(*place);
            }
            _ => {
                let mut moving: Vec<u32> = users.iter().map(|(id, _)| *id).collect();
                moving.sort_unstable();
                self.order.retain(|id| moving.binary_search(id).is_err());
            }
        }
        let mut value_of =
            conn.prepare_cached(&format!("SELECT {column} FROM users WHERE id = ?"))?;
        for (id, value) in users {
            let own = (SortKey::of((*value).clone(), nocase), *id);
            // The first place whose user (or, for a deleted user's place, the next user still
            // there) sorts after this one: the answers are false and then true along the order.
            let (mut first, mut end) = (0, self.order.len());
            while first < end {
                let middle = first + (end - first) / 2;
                let Some((place, other)) = self.order[middle..]
                    .iter()
                    .position(|other| {
                        status
                            .get(*other as usize)
                            .is_some_and(|code| *code != ABSENT)
                    })
                    .map(|offset| (middle + offset, self.order[middle + offset]))
                else {
                    end = middle;
                    continue;
                };
                let Some(value) = value_of
                    .query_row([other], |row| row.get::<_, Value>(0))
                    .optional()?
                else {
                    return Ok(false);
                };
                if (SortKey::of(value, nocase), other) > own {
                    end = middle;
                } else {
                    first = place + 1;
                }
            }
            self.order.insert(first, *id);
            lowest = lowest.min(first);
            // Later insertions move this one on by one at most each.
            highest = highest.max(first + users.len());
        }
        self.rank.resize(status.len(), u32::MAX);
        let end = if grows {
            self.order.len()
        } else {
            (highest + 1).min(self.order.len())
        };
        for place in lowest.min(end)..end {
            if let Some(rank) = self.rank.get_mut(self.order[place] as usize) {
                *rank = place as u32;
            }
        }
        Ok(true)
    }
}

/// An id as the arrays index it, when it can be one.
fn index(id: i64) -> Option<u32> {
    u32::try_from(id).ok().filter(|id| *id < u32::MAX)
}

/// Whether user `id`, whose `column` now holds `value`, still sorts between its neighbours in
/// `ranked`'s order (ties by id, NULL first, NOCASE for username, as SQLite orders them). The
/// order was sorted before the write and only the write's users changed, so it is still
/// sorted exactly when each of them still sorts between the users beside it.
fn still_in_place(
    conn: &Connection,
    column: &str,
    ranked: &Ranked,
    id: u32,
    value: &Value,
) -> rusqlite::Result<bool> {
    let nocase = column == "username";
    let key = |value: Value, id: u32| (SortKey::of(value, nocase), id);
    let place = ranked.rank(id) as usize;
    if place >= ranked.order.len() {
        return Ok(false);
    }
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
    let own = key(value.clone(), id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::columns::Reading;
    use crate::store::{NewUserRecord, Store, delete_user, insert_user, update_user};
    use crate::validate::UserFields;

    /// Applies `write` to `store` with columns of the data before it, and compares every order
    /// the patch gives with SQLite's.
    fn patch_matches_sqlite(
        store: &Store,
        write: impl FnOnce(&Connection) -> rusqlite::Result<()>,
    ) {
        let counts = store.counts();
        let before = counts.generation().advance();
        let Reading::Made(columns) = store
            .read_blocking(|conn| Ok(Columns::read(conn, counts.generation(), before)?))
            .expect("reads")
        else {
            panic!("dense ids");
        };
        counts.columns().set(before, Some(columns));
        store
            .transaction_blocking(|tx| Ok(write(tx)?))
            .expect("writes");
        let patched = counts
            .columns()
            .current(counts.now())
            .expect("the write is patched in");
        store
            .read_blocking(|conn| {
                for column in RANKED {
                    let mut statement =
                        conn.prepare(&format!("SELECT id FROM users ORDER BY {column}, id"))?;
                    let expected = statement
                        .query_map([], |row| Ok(row.get::<_, i64>(0)? as u32))?
                        .collect::<rusqlite::Result<Vec<u32>>>()?;
                    let ranked = patched.ranked(column).expect("kept");
                    let live: Vec<u32> = ranked
                        .order
                        .iter()
                        .copied()
                        .filter(|id| patched.exists(*id))
                        .collect();
                    assert_eq!(live, expected, "{column}");
                    for (place, id) in ranked.order.iter().enumerate() {
                        assert_eq!(ranked.rank(*id), place as u32, "{column}: rank of {id}");
                    }
                }
                Ok(())
            })
            .expect("reads");
    }

    #[test]
    fn several_users_moved_created_and_deleted_in_one_write_are_placed_as_sqlite_sorts_them() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(crate::seed::seed(conn, 400, 9, "hash")?))
            .expect("seeds");
        let rename = |conn: &Connection, id: i64, username: &str, last_name: Option<&str>| {
            let fields = UserFields {
                username: Some(username.into()),
                last_name: Some(last_name.map(str::to_string)),
                ..UserFields::default()
            };
            update_user(conn, id, &fields)
        };
        patch_matches_sqlite(&store, |conn| {
            rename(conn, 5, "zz-last", Some("Aaa"))?;
            rename(conn, 300, "aa-first", None)?;
            rename(conn, 301, "mm-middle", Some("Zzz"))?;
            delete_user(conn, 17)?;
            insert_user(conn, &NewUserRecord::example("bb-new"))?;
            insert_user(conn, &NewUserRecord::example("yy-new"))?;
            Ok(())
        });
        // One user, moved to the very start and to the very end.
        patch_matches_sqlite(&store, |conn| rename(conn, 200, "0-first", Some("A")));
        patch_matches_sqlite(&store, |conn| rename(conn, 200, "~last", Some("~")));
        patch_matches_sqlite(&store, |conn| {
            insert_user(conn, &NewUserRecord::example("cc-new"))?;
            Ok(())
        });
    }
}
