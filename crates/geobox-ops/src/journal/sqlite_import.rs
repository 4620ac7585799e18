//! Importing the JSON-lines journal of earlier versions into the local store, once, on first
//! use: every entry of `journal.jsonl` and its rotated files, read as strictly as ever (a torn
//! or edited line is passed over and counted), with what reading them knew: whether each
//! verifies (an entry that did not stays unverified, however it is kept now) and which were
//! undone. The files stay where they are, untouched, as a backup.
//!
//! Importing again is harmless (an id already kept is left as it is), and happens only when a
//! file changed since (an older version still writing to it): its new entries come in too.

use std::io;
use std::ops::ControlFlow;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::entry::Entry;
use super::filter::Filter;
use super::jsonl::{DEFAULT_KEEP, JsonLines};
use super::provenance::{Seal, Undone};
use super::rows::EntryRow;
use super::seal;
use super::sqlite_write::{FILE, insert, set_undone, sql_error};
use super::undo::counted;

/// One file of the old journal, as it was when imported.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    file: String,
    size: i64,
    modified_ns: i64,
}

fn fingerprints(journal: &JsonLines) -> Vec<Fingerprint> {
    (0..=DEFAULT_KEEP)
        .filter_map(|generation| {
            let path = journal.path(generation);
            let metadata = std::fs::symlink_metadata(&path).ok()?;
            if !metadata.file_type().is_file() {
                return None;
            }
            let modified_ns = metadata
                .modified()
                .ok()
                .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |since| {
                    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
                });
            Some(Fingerprint {
                file: path.file_name()?.to_string_lossy().into_owned(),
                size: i64::try_from(metadata.len()).unwrap_or(i64::MAX),
                modified_ns,
            })
        })
        .collect()
}

fn already_imported(connection: &Connection, files: &[Fingerprint]) -> io::Result<bool> {
    for file in files {
        let recorded = connection
            .query_row(
                "SELECT size, modified_ns FROM imported_files WHERE file = ?1",
                [&file.file],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(sql_error)?;
        if recorded != Some((file.size, file.modified_ns)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Imports the old journal in `dir` if there is one not imported yet (or changed since); what
/// to tell people about it.
pub(super) fn import_old_journal(
    connection: &mut Connection,
    dir: &Path,
) -> io::Result<Option<String>> {
    let journal = JsonLines::new(dir);
    let files = fingerprints(&journal);
    if files.is_empty() || already_imported(connection, &files)? {
        return Ok(None);
    }
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error)?;
    // Another process may have imported it while this one waited for the lock.
    if already_imported(&tx, &files)? {
        return Ok(None);
    }
    let key = seal::key_for_writing(dir)?;
    let mut imported = 0;
    let mut failed: Option<io::Error> = None;
    let scanned = journal.scan::<Vec<_>>(&Filter::default(), |entry: Entry| {
        match import_one(&tx, &key, &entry) {
            Ok(true) => imported += 1,
            Ok(false) => {}
            Err(error) => {
                failed = Some(error);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    })?;
    if let Some(error) = failed {
        return Err(error);
    }
    for file in &files {
        tx.execute(
            "INSERT INTO imported_files (file, size, modified_ns, entries, skipped)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (file) DO UPDATE SET size = ?2, modified_ns = ?3, entries = ?4,
                 skipped = ?5",
            params![
                file.file,
                file.size,
                file.modified_ns,
                imported,
                scanned.skipped
            ],
        )
        .map_err(sql_error)?;
    }
    tx.commit().map_err(sql_error)?;
    let names: Vec<&str> = files.iter().map(|file| file.file.as_str()).collect();
    let mut notice = format!(
        "imported {} from {} into {FILE}; the old files stay as they were, as a backup",
        counted(imported, "journal entry", "journal entries"),
        names.join(", ")
    );
    if scanned.skipped > 0 {
        notice.push_str(&format!(
            "; {} skipped",
            counted(
                scanned.skipped,
                "unreadable journal line was",
                "unreadable journal lines were"
            )
        ));
    }
    Ok(Some(notice))
}

/// Imports one entry as the old journal read it; whether it was new here.
fn import_one(tx: &rusqlite::Transaction<'_>, key: &seal::Key, entry: &Entry) -> io::Result<bool> {
    let (file, seal) = match &entry.read_from {
        Some(from) => (from.store.as_str(), from.seal),
        None => ("journal.jsonl", Seal::Missing),
    };
    let row = EntryRow::of(entry, None)?;
    // Only an entry that verified where it was is sealed again here: one that did not stays
    // unverified, so moving it cannot make it look written by geobox-users.
    let (sealed, imported_seal) = match seal {
        Seal::Verified => (Some(seal::seal_parts(key, &row.parts())), None),
        other => (None, Some(other)),
    };
    let inserted = insert(
        tx,
        &row,
        sealed.as_deref(),
        None,
        Some((file, imported_seal)),
    )?;
    if let Some(undone) = &entry.undone {
        let known: Option<Option<String>> = tx
            .query_row(
                "SELECT undone FROM entries WHERE id = ?1",
                [&entry.id],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_error)?;
        // What the database learnt since the last import is newer than the old file.
        if matches!(known, Some(None)) {
            set_undone(tx, &entry.id, undone, None::<&Undone>)?;
        }
    }
    Ok(inserted.is_some())
}
