//! The journal on disk: `journal.jsonl` in the data directory, one JSON object a line,
//! appended with one write per entry (so a console and a CLI writing at once never interleave
//! a line), rotated past a size into `journal.1.jsonl`, `journal.2.jsonl`, … and read newest
//! first, backwards, so the latest entries come without reading the whole history.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use super::entry::Entry;
use super::filter::{Filter, same_host};
use crate::paths;

/// Rotate once the current file would pass this size.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Rotated files kept besides the current one.
pub const DEFAULT_KEEP: usize = 3;
/// Names the rotation size in bytes, for tests and for people who want a longer history.
pub const MAX_BYTES_VAR: &str = "GEOBOX_USERS_JOURNAL_MAX_BYTES";

const FILE_STEM: &str = "journal";

/// A journal directory with its rotation policy.
#[derive(Clone, Debug)]
pub struct Journal {
    dir: PathBuf,
    max_bytes: u64,
    keep: usize,
}

/// What a read found: the matching entries, newest first, and how many lines could not be
/// read (a torn write, a hand edit).
#[derive(Clone, Debug, Default)]
pub struct Found {
    pub entries: Vec<Entry>,
    pub skipped: usize,
}

impl Journal {
    pub fn new(dir: impl Into<PathBuf>) -> Journal {
        Journal {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            keep: DEFAULT_KEEP,
        }
    }

    /// The journal of the data directory, rotating at `GEOBOX_USERS_JOURNAL_MAX_BYTES` if set.
    pub fn open_default() -> Option<Journal> {
        let journal = Journal::new(paths::data_dir()?);
        let max_bytes = std::env::var(MAX_BYTES_VAR)
            .ok()
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|bytes| *bytes > 0);
        Some(match max_bytes {
            Some(bytes) => journal.rotate_at(bytes, DEFAULT_KEEP),
            None => journal,
        })
    }

    pub fn rotate_at(mut self, max_bytes: u64, keep: usize) -> Journal {
        self.max_bytes = max_bytes;
        self.keep = keep;
        self
    }

    /// `journal.jsonl`, then `journal.1.jsonl` (older), ….
    pub fn path(&self, generation: usize) -> PathBuf {
        if generation == 0 {
            self.dir.join(format!("{FILE_STEM}.jsonl"))
        } else {
            self.dir.join(format!("{FILE_STEM}.{generation}.jsonl"))
        }
    }

    /// Appends one entry as one line, in one write.
    pub fn append(&self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let current = self.path(0);
        let size = std::fs::metadata(&current).map_or(0, |metadata| metadata.len());
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let mut file = paths::open_private_append(&current)?;
        file.write_all(&line)
    }

    /// Shifts every file one generation older, dropping the oldest beyond `keep`.
    fn rotate(&self) -> io::Result<()> {
        let oldest = self.path(self.keep);
        if self.keep == 0 {
            return ignore_missing(std::fs::remove_file(self.path(0)));
        }
        ignore_missing(std::fs::remove_file(&oldest))?;
        for generation in (0..self.keep).rev() {
            // Another writer may have rotated a moment ago: a file already moved is no error.
            ignore_missing(std::fs::rename(
                self.path(generation),
                self.path(generation + 1),
            ))?;
        }
        Ok(())
    }

    /// The entries that pass `filter`, newest first, up to its limit.
    pub fn read(&self, filter: &Filter) -> io::Result<Found> {
        self.read_lines_where(filter, |line| filter.line_may_match(line))
    }

    /// As [`Journal::read`], parsing only the lines `worth_parsing` lets through: a cheap
    /// look at the text saves decoding a hundred thousand entries to find one.
    fn read_lines_where(
        &self,
        filter: &Filter,
        worth_parsing: impl Fn(&[u8]) -> bool,
    ) -> io::Result<Found> {
        let mut found = Found::default();
        let mut hosts: HashMap<String, bool> = HashMap::new();
        for generation in 0..=self.keep {
            let file = match File::open(self.path(generation)) {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            let mut lines = BackwardLines::new(file)?;
            while let Some(line) = lines.next_line()? {
                if line.iter().all(u8::is_ascii_whitespace) || !worth_parsing(&line) {
                    continue;
                }
                let Ok(entry) = serde_json::from_slice::<Entry>(&line) else {
                    found.skipped += 1;
                    continue;
                };
                if filter.is_before_window(&entry) {
                    // Entries are appended in time order: everything further back is older.
                    return Ok(found);
                }
                if filter.accepts_besides_host(&entry) && on_host(filter, &mut hosts, &entry) {
                    found.entries.push(entry);
                    if filter
                        .limit
                        .is_some_and(|limit| found.entries.len() >= limit)
                    {
                        return Ok(found);
                    }
                }
            }
        }
        Ok(found)
    }

    /// The entry with this id, or the only one whose id starts with it.
    pub fn find(&self, id: &str) -> io::Result<Lookup> {
        let wanted = id.trim();
        if wanted.is_empty() {
            return Ok(Lookup::Missing);
        }
        // Ids are letters and digits, so the id key followed by the prefix can only be it.
        let needle = format!("\"id\":\"{wanted}");
        let candidates = self.read_lines_where(&Filter::default(), |line| {
            line.windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })?;
        let mut matches = candidates
            .entries
            .into_iter()
            .filter(|entry| entry.id.starts_with(wanted));
        let Some(first) = matches.next() else {
            return Ok(Lookup::Missing);
        };
        if first.id == wanted {
            return Ok(Lookup::Found(Box::new(first)));
        }
        let rest: Vec<String> = matches.map(|entry| entry.id).collect();
        if rest.is_empty() {
            Ok(Lookup::Found(Box::new(first)))
        } else {
            let mut ids = vec![first.id];
            ids.extend(rest);
            Ok(Lookup::Ambiguous(ids))
        }
    }
}

/// The answer of [`Journal::find`].
#[derive(Debug)]
pub enum Lookup {
    Found(Box<Entry>),
    Missing,
    /// A prefix that several ids share.
    Ambiguous(Vec<String>),
}

/// Whether the entry is on the filter's host, deciding once per spelling of a host.
fn on_host(filter: &Filter, seen: &mut HashMap<String, bool>, entry: &Entry) -> bool {
    let Some(wanted) = filter.host.as_deref() else {
        return true;
    };
    if let Some(same) = seen.get(&entry.host) {
        return *same;
    }
    let same = same_host(wanted, &entry.host);
    seen.insert(entry.host.clone(), same);
    same
}

fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Reads a file's lines from the last to the first, a block at a time.
struct BackwardLines {
    file: File,
    /// Where the part not yet read ends.
    position: u64,
    /// Read but not yet returned: the start of a line whose beginning is further back.
    pending: Vec<u8>,
}

const BLOCK: u64 = 64 * 1024;

impl BackwardLines {
    fn new(mut file: File) -> io::Result<BackwardLines> {
        let position = file.seek(SeekFrom::End(0))?;
        Ok(BackwardLines {
            file,
            position,
            pending: Vec::new(),
        })
    }

    fn next_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            // The end of `pending` is always the end of a line, and text after a newline starts
            // one: so what follows the last newline is a whole line.
            if let Some(newline) = self.pending.iter().rposition(|byte| *byte == b'\n') {
                let line = self.pending.split_off(newline + 1);
                self.pending.truncate(newline);
                if line.is_empty() {
                    continue;
                }
                return Ok(Some(line));
            }
            if self.position == 0 {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.pending)));
            }
            let start = self.position.saturating_sub(BLOCK);
            let length = usize::try_from(self.position - start).map_err(io::Error::other)?;
            let mut block = vec![0; length];
            self.file.seek(SeekFrom::Start(start))?;
            self.file.read_exact(&mut block)?;
            block.extend_from_slice(&self.pending);
            self.pending = block;
            self.position = start;
        }
    }
}
