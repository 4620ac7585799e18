//! Writing the local store's rows: an entry and its users, and the marks an undo leaves on the
//! entry it undid. The local store and the import of the old journal both write through here.

use std::io;

use rusqlite::{OptionalExtension, Transaction, params};

use super::entry::Entry;
use super::provenance::{Seal, Undone};
use super::rows::EntryRow;

/// The database's file in the data directory.
pub const FILE: &str = "journal.sqlite";

pub(super) fn sql_error(error: rusqlite::Error) -> io::Error {
    io::Error::other(format!("the journal database: {error}"))
}

/// Inserts an entry's rows unless its id is there already; its `seq` when inserted. An
/// imported entry names the file it came from and, when it did not verify there, why.
pub(super) fn insert(
    tx: &Transaction<'_>,
    row: &EntryRow,
    seal: Option<&str>,
    pending_for: Option<&str>,
    imported: Option<(&str, Option<Seal>)>,
) -> io::Result<Option<i64>> {
    let (imported_from, imported_seal) = match imported {
        Some((file, seal)) => (Some(file), seal.map(seal_name)),
        None => (None, None),
    };
    let inserted = tx
        .prepare_cached(
            "INSERT INTO entries (id, at_us, deployment, also_demo, by_lower, tool, action,
                 undoes, user_count, head, first_change, users_digest, seal, imported_from,
                 imported_seal, pending, pending_for)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (id) DO NOTHING",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                row.id,
                row.at_us,
                row.deployment,
                row.also_demo,
                row.by_lower,
                row.tool,
                row.action,
                row.undoes,
                row.user_count,
                row.head,
                row.first_change,
                row.users_digest,
                seal,
                imported_from,
                imported_seal,
                pending_for.is_some(),
                pending_for,
            ])
        })
        .map_err(sql_error)?;
    if inserted == 0 {
        return Ok(None);
    }
    let seq = tx.last_insert_rowid();
    let mut statement = tx
        .prepare_cached(
            "INSERT INTO entry_users (entry_seq, position, user_id, username_lower, change)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sql_error)?;
    for user in &row.users {
        statement
            .execute(params![
                seq,
                user.position,
                user.user_id,
                user.username_lower,
                user.change
            ])
            .map_err(sql_error)?;
    }
    Ok(Some(seq))
}

fn seal_name(seal: Seal) -> &'static str {
    match seal {
        Seal::Missing => "missing",
        Seal::Broken => "broken",
        Seal::Verified | Seal::TeamDatabase => "verified",
    }
}

/// When `entry` is an undo, marks the entry it undid (the newest undo names it; it is whole
/// once any undo was) and ends the claim on it.
pub(super) fn mark_undone(tx: &Transaction<'_>, entry: &Entry) -> io::Result<()> {
    let Some(target) = entry.undoes.as_deref() else {
        return Ok(());
    };
    if let Some((_, undone)) = entry.undid() {
        let earlier: Option<String> = tx
            .query_row(
                "SELECT undone FROM entries WHERE id = ?1",
                [target],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_error)?
            .flatten();
        let earlier = earlier.and_then(|text| serde_json::from_str::<Undone>(&text).ok());
        set_undone(tx, target, &undone, earlier.as_ref())?;
    }
    tx.execute(
        "UPDATE entries SET claim_token = NULL, claim_by = NULL, claim_at_us = NULL WHERE id = ?1",
        [target],
    )
    .map_err(sql_error)?;
    Ok(())
}

/// Records that `target` was undone, merged with what was known of an earlier undo.
pub(super) fn set_undone(
    tx: &Transaction<'_>,
    target: &str,
    undone: &Undone,
    earlier: Option<&Undone>,
) -> io::Result<()> {
    let merged = match earlier {
        Some(earlier) => undone.clone().and_earlier(earlier),
        None => undone.clone(),
    };
    let text = serde_json::to_string(&merged).map_err(io::Error::other)?;
    tx.execute(
        "UPDATE entries SET undone = ?1, undone_whole = ?2 WHERE id = ?3",
        params![text, merged.whole, target],
    )
    .map_err(sql_error)?;
    Ok(())
}
