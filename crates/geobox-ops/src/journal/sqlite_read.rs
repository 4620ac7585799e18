//! Reading the local store: the query a filter makes (fixed pieces, every value a parameter)
//! and a row as a read meets it, turned into a listing's entry or, with its users, a whole one.

use std::io;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use super::brief::Brief;
use super::deployment::Deployment;
use super::entry::{Entry, UserKey};
use super::filter::Filter;
use super::provenance::{Provenance, Seal, Undone};
use super::rows::{brief_of, entry_of, prefix_range};
use super::seal::{self, Key};
use super::sqlite_write::{FILE, sql_error};

/// The ids equal to `wanted` or starting with it (a few: enough to say which are meant).
pub(super) fn matching_ids(connection: &Connection, wanted: &str) -> io::Result<Vec<String>> {
    let ids = match prefix_range(wanted) {
        Some((from, to)) => {
            let mut statement = connection
                .prepare_cached(
                    "SELECT id FROM entries WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 10",
                )
                .map_err(sql_error)?;
            statement
                .query_map([from, to], |row| row.get::<_, String>(0))
                .and_then(Iterator::collect)
        }
        None => {
            let mut statement = connection
                .prepare_cached("SELECT id FROM entries WHERE id = ?1")
                .map_err(sql_error)?;
            statement
                .query_map([wanted], |row| row.get::<_, String>(0))
                .and_then(Iterator::collect)
        }
    };
    ids.map_err(sql_error)
}

pub(super) const SELECT_COLUMNS: &str =
    "SELECT seq, head, first_change, user_count, users_digest, seal,
    imported_from, imported_seal, undone, pending FROM entries";

/// Which rows a read looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rows {
    All,
    /// Those not in the team journal: waiting to be sent, or the demo's (never sent).
    Unshared,
}

pub(super) const UNSHARED: &str = "(pending = 1 OR deployment = 'demo' OR also_demo = 1)";

/// The query for a filter, made of fixed pieces; every value the filter holds is a parameter.
pub(super) fn select(filter: &Filter, rows: Rows) -> (String, Vec<SqlValue>) {
    let mut sql = format!("{SELECT_COLUMNS} WHERE 1 = 1");
    let mut values: Vec<SqlValue> = Vec::new();
    let mut bind = |sql: &mut String, piece: &str, value: SqlValue| {
        values.push(value);
        sql.push_str(&piece.replace('?', &format!("?{}", values.len())));
    };
    match &filter.deployment {
        Some(Deployment::Demo) => bind(
            &mut sql,
            " AND (deployment = ? OR also_demo = 1)",
            SqlValue::Text(Deployment::Demo.key().to_string()),
        ),
        Some(server) => bind(
            &mut sql,
            " AND deployment = ?",
            SqlValue::Text(server.key().to_string()),
        ),
        None => {}
    }
    if let Some(since) = filter.since {
        bind(
            &mut sql,
            " AND at_us >= ?",
            SqlValue::Integer(since.timestamp_micros()),
        );
    }
    if let Some(by) = &filter.by {
        bind(
            &mut sql,
            " AND by_lower = ?",
            SqlValue::Text(by.trim().to_lowercase()),
        );
    }
    match &filter.user {
        Some(UserKey::Id(id)) => bind(
            &mut sql,
            " AND seq IN (SELECT entry_seq FROM entry_users WHERE user_id = ?)",
            SqlValue::Integer(*id),
        ),
        Some(UserKey::Username(name)) => bind(
            &mut sql,
            " AND seq IN (SELECT entry_seq FROM entry_users WHERE username_lower = ?)",
            SqlValue::Text(name.to_lowercase()),
        ),
        None => {}
    }
    if rows == Rows::Unshared {
        sql.push_str(&format!(" AND {UNSHARED}"));
    }
    sql.push_str(" ORDER BY at_us DESC, seq DESC");
    if let Some(limit) = filter.limit {
        bind(
            &mut sql,
            " LIMIT ?",
            SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)),
        );
    }
    (sql, values)
}

/// One entry's row as a read meets it, before its users are read (if ever).
pub(super) struct Read {
    pub seq: i64,
    head: String,
    first_change: Option<String>,
    user_count: i64,
    users_digest: String,
    /// Whether the row's seal matches its head and digest (the users are checked by `whole`).
    seal: Seal,
    imported_from: Option<String>,
    undone: Option<Undone>,
    pending: bool,
}

impl Read {
    pub(super) fn of(row: &rusqlite::Row<'_>, key: Option<&Key>) -> rusqlite::Result<Read> {
        let head: String = row.get(1)?;
        let users_digest: String = row.get(4)?;
        let sealed: Option<String> = row.get(5)?;
        let imported_seal: Option<String> = row.get(7)?;
        let first_change: Option<String> = row.get(2)?;
        let seal = match imported_seal.as_deref() {
            Some("missing") => Seal::Missing,
            Some("broken") => Seal::Broken,
            _ => {
                let parts = seal::Parts {
                    head: head.as_bytes(),
                    users_digest: &users_digest,
                    first_change: first_change.as_deref().map(str::as_bytes),
                };
                seal::check_parts(key, &parts, sealed.as_deref())
            }
        };
        Ok(Read {
            seq: row.get(0)?,
            first_change,
            user_count: row.get(3)?,
            users_digest,
            seal,
            imported_from: row.get(6)?,
            undone: row
                .get::<_, Option<String>>(8)?
                .and_then(|text| serde_json::from_str(&text).ok()),
            pending: row.get(9)?,
            head,
        })
    }

    fn provenance(&self, seal: Seal) -> Provenance {
        Provenance {
            store: match &self.imported_from {
                Some(file) => format!("{FILE} (imported from {file})"),
                None => FILE.to_string(),
            },
            seal,
        }
    }

    /// The entry as a listing shows it.
    pub fn brief(&self) -> io::Result<Brief> {
        let mut brief = brief_of(&self.head, self.first_change.as_deref(), self.user_count)?;
        brief.undone.clone_from(&self.undone);
        brief.read_from = Some(self.provenance(self.seal));
        brief.not_shared = self.pending;
        Ok(brief)
    }

    /// The whole entry: every user's row, in order, checked against the seal.
    pub(super) fn whole(&self, connection: &Connection) -> io::Result<Entry> {
        let mut statement = connection
            .prepare_cached("SELECT change FROM entry_users WHERE entry_seq = ?1 ORDER BY position")
            .map_err(sql_error)?;
        let changes: Vec<String> = statement
            .query_map([self.seq], |row| row.get::<_, String>(0))
            .and_then(Iterator::collect)
            .map_err(sql_error)?;
        let digest = seal::digest(changes.iter().map(String::as_bytes));
        // Users' rows changed after the entry was sealed break it, whatever its own row says.
        let seal = if digest == self.users_digest || self.seal != Seal::Verified {
            self.seal
        } else {
            Seal::Broken
        };
        let mut entry = entry_of(&self.head, changes.iter().map(String::as_str))?;
        entry.undone.clone_from(&self.undone);
        entry.read_from = Some(self.provenance(seal));
        entry.not_shared = self.pending;
        Ok(entry)
    }
}
