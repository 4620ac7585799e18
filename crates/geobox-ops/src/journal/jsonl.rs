//! The journal as it was kept before it moved into a database: `journal.jsonl` in the data
//! directory, one JSON object a line, each sealed ([`seal`](super::seal)), appended with one
//! write per entry, rotated past a size into `journal.1.jsonl`, `journal.2.jsonl`, … and read
//! newest first, backwards. The local store imports these files once (and keeps them as they
//! are, as a backup); the reader stays for that import, and the writer for making such a
//! journal (the tests of the import make old journals with it).
//!
//! Every line is parsed as JSON, whatever its spacing; a line that is not an entry (torn by a
//! crash, or edited by hand) is passed over and counted. Reading knows more than any one line
//! says: an entry is undone when a later line undoes it, and it is read from a file, sealed or
//! not. The reader sets both on each entry it hands out.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::deployment::{Deployment, recorded_on};
use super::entry::{Entry, Outcome, Tool, UserKey};
use super::filter::Filter;
use super::lines::BackwardLines;
use super::provenance::{Provenance, Undone};
use super::reads::{Found, Lookup, Scanned};
use super::seal;
use crate::paths;

/// Rotate once the current file would pass this size.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Rotated files kept besides the current one.
pub const DEFAULT_KEEP: usize = 3;

const FILE_STEM: &str = "journal";

/// A journal directory with its rotation policy.
#[derive(Clone, Debug)]
pub struct JsonLines {
    dir: PathBuf,
    max_bytes: u64,
    keep: usize,
}

impl JsonLines {
    pub fn new(dir: impl Into<PathBuf>) -> JsonLines {
        JsonLines {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            keep: DEFAULT_KEEP,
        }
    }

    pub fn rotate_at(mut self, max_bytes: u64, keep: usize) -> JsonLines {
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

    /// Appends one entry as one sealed line, in one write. What only reading knows (undone,
    /// where it was read from) is not written.
    pub fn append(&self, entry: &Entry) -> io::Result<()> {
        let json = if entry.undone.is_some() || entry.read_from.is_some() {
            let mut bare = entry.clone();
            bare.undone = None;
            bare.read_from = None;
            serde_json::to_vec(&bare)
        } else {
            serde_json::to_vec(entry)
        }
        .map_err(io::Error::other)?;
        let line = seal::sealed_line(json, &seal::key_for_writing(&self.dir)?)?;
        let current = self.path(0);
        let size = std::fs::metadata(&current).map_or(0, |metadata| metadata.len());
        if size > 0 && size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let mut file = paths::open_private_append(&current)?;
        // A last line torn by a crash, a full disk or a hand edit has no newline: this entry
        // starts a line of its own rather than being glued to it (and lost with it).
        if ends_torn(&current)? {
            let mut whole = Vec::with_capacity(line.len() + 1);
            whole.push(b'\n');
            whole.extend_from_slice(&line);
            return file.write_all(&whole);
        }
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
        let mut found = Found::default();
        found.skipped = self
            .scan(filter, |entry| {
                found.entries.push(entry);
                ControlFlow::Continue(())
            })?
            .skipped;
        Ok(found)
    }

    /// Hands each entry that passes `filter` to `each` as soon as it is read, newest first,
    /// until `each` breaks or the filter's limit is reached; nothing is kept in between.
    /// `Changes` is how much of each entry's users to read: all ([`Entry`]) or the first
    /// ([`Brief`](super::Brief)).
    pub fn scan<Changes: DeserializeOwned + Default>(
        &self,
        filter: &Filter,
        mut each: impl FnMut(Entry<Changes>) -> ControlFlow<()>,
    ) -> io::Result<Scanned> {
        let mut passed = 0;
        let mut legacy = HashMap::new();
        let sieve = Sieve::of_user(filter.user.as_ref());
        self.walk(&sieve, |line| {
            if filter.is_before_window(line.head.time) {
                // Entries are appended in time order: everything further back is older.
                return Walk::Stop;
            }
            if !line.passes(filter, &mut legacy) {
                return Walk::Next;
            }
            let Some(entry) = line.entry() else {
                return Walk::Unreadable;
            };
            passed += 1;
            let full = filter.limit.is_some_and(|limit| passed >= limit);
            match each(entry) {
                ControlFlow::Continue(()) if !full => Walk::Next,
                _ => Walk::Stop,
            }
        })
    }

    /// The entry with this id, or the only one whose id starts with it.
    pub fn find(&self, id: &str) -> io::Result<Lookup> {
        let wanted = id.trim();
        if wanted.is_empty() {
            return Ok(Lookup::Missing);
        }
        let mut ids: Vec<String> = Vec::new();
        let mut first: Option<Entry> = None;
        let mut exact: Option<Entry> = None;
        self.walk(&Sieve::of_id(wanted), |line| {
            let this = line.head.id.as_str();
            if !this.starts_with(wanted) {
                return Walk::Next;
            }
            if !ids.iter().any(|seen| seen == this) {
                ids.push(this.to_string());
            }
            let is_exact = this == wanted;
            if (is_exact && exact.is_none()) || first.is_none() {
                let Some(entry) = line.entry() else {
                    return Walk::Unreadable;
                };
                if is_exact && exact.is_none() {
                    exact = Some(entry.clone());
                }
                first.get_or_insert(entry);
            }
            Walk::Next
        })?;
        Ok(match (exact, first) {
            (Some(entry), _) => Lookup::Found(Box::new(entry)),
            (None, Some(entry)) if ids.len() == 1 => Lookup::Found(Box::new(entry)),
            (None, Some(_)) => Lookup::Ambiguous(ids),
            (None, None) => Lookup::Missing,
        })
    }

    /// Goes through every line, newest first, with what is known of each: its head, whether
    /// a later line undid it, the file it is in and the key to check its seal with.
    fn walk(&self, sieve: &Sieve, mut visit: impl FnMut(&Line<'_>) -> Walk) -> io::Result<Scanned> {
        // A key that cannot be read leaves every seal unverified; the entries still read.
        let key = seal::read_key(&self.dir).ok().flatten();
        let mut undone: HashMap<String, Undone> = HashMap::new();
        let mut scanned = Scanned::default();
        for generation in 0..=self.keep {
            let path = self.path(generation);
            let file = match File::open(&path) {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            let store = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut lines = BackwardLines::new(file)?;
            while let Some(bytes) = lines.next_line()? {
                if bytes.iter().all(u8::is_ascii_whitespace) || !sieve.lets_through(&bytes) {
                    continue;
                }
                let Ok(head) = serde_json::from_slice::<Head>(&bytes) else {
                    scanned.skipped += 1;
                    continue;
                };
                let line = Line {
                    undone: undone.get(&head.id).cloned(),
                    bytes: &bytes,
                    store: &store,
                    key: key.as_ref(),
                    head,
                };
                if let Some((target, record)) = line.undid() {
                    match undone.entry(target) {
                        // Seen before: a newer undo of the same entry.
                        Slot::Occupied(mut newer) => {
                            let merged = newer.get().clone().and_earlier(&record);
                            newer.insert(merged);
                        }
                        Slot::Vacant(slot) => {
                            slot.insert(record);
                        }
                    }
                }
                match visit(&line) {
                    Walk::Next => {}
                    Walk::Unreadable => scanned.skipped += 1,
                    Walk::Stop => return Ok(scanned),
                }
            }
        }
        Ok(scanned)
    }
}

/// A look at a line's text before parsing it, to pass over lines that cannot be about what a
/// read looks for (one user, one id) nor undo anything. It looks only for text JSON cannot
/// spell another way (an id's letters and digits, a username without characters JSON may
/// escape) and lets every line with a `\u` escape through, so it never drops a line a parse
/// would have kept: it only saves parsing the rest.
struct Sieve {
    /// What a line must hold, ASCII letters in either case; `None` lets every line through.
    needle: Option<Vec<u8>>,
}

impl Sieve {
    fn of_user(user: Option<&UserKey>) -> Sieve {
        let needle = match user {
            None => None,
            Some(UserKey::Id(id)) => Some(id.to_string().into_bytes()),
            Some(UserKey::Username(name)) => {
                let escaped = |c: char| matches!(c, '"' | '\\' | '/') || c.is_control();
                (!name.is_empty() && !name.chars().any(escaped)).then(|| name.as_bytes().to_vec())
            }
        };
        Sieve { needle }
    }

    fn of_id(id: &str) -> Sieve {
        let plain = id.bytes().all(|byte| byte.is_ascii_alphanumeric());
        Sieve {
            needle: plain.then(|| id.as_bytes().to_vec()),
        }
    }

    fn lets_through(&self, line: &[u8]) -> bool {
        let Some(needle) = &self.needle else {
            return true;
        };
        holds_ignoring_case(line, needle)
            || memchr::memmem::find(line, b"undoes").is_some()
            || memchr::memmem::find(line, b"\\u").is_some()
    }
}

/// Whether `line` holds `needle`, its ASCII letters in either case.
fn holds_ignoring_case(line: &[u8], needle: &[u8]) -> bool {
    let Some(first) = needle.first() else {
        return true;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lower, upper, line).any(|at| {
        line.get(at..at + needle.len())
            .is_some_and(|window| window.eq_ignore_ascii_case(needle))
    })
}

enum Walk {
    Next,
    /// The line's head read, but the entry did not.
    Unreadable,
    Stop,
}

/// One line of the journal as a walk meets it.
struct Line<'a> {
    head: Head,
    bytes: &'a [u8],
    store: &'a str,
    key: Option<&'a seal::Key>,
    undone: Option<Undone>,
}

impl Line<'_> {
    /// The whole entry, with what reading it found out; `None` if the line is no entry.
    fn entry<Changes: DeserializeOwned + Default>(&self) -> Option<Entry<Changes>> {
        let mut entry: Entry<Changes> = serde_json::from_slice(self.bytes).ok()?;
        entry.undone.clone_from(&self.undone);
        entry.read_from = Some(Provenance {
            store: self.store.to_string(),
            seal: seal::check(self.bytes, self.key),
        });
        Some(entry)
    }
}

/// What a read decides by, taken from a line before the rest of it: the whole line is parsed
/// as JSON, but its users are passed over (a run over 50,000 users is read through, not
/// kept) until a filter or an undo needs them.
#[derive(Deserialize)]
struct Head {
    id: String,
    time: DateTime<Utc>,
    #[serde(default)]
    host: String,
    #[serde(default)]
    deployment: Option<Deployment>,
    #[serde(default)]
    by: Option<String>,
    tool: Tool,
    outcome: Outcome,
    #[serde(default)]
    undoes: Option<String>,
    #[serde(default)]
    skipped: Vec<IgnoredAny>,
}

/// The users of a line, by id and username, with their own outcomes.
#[derive(Deserialize)]
struct Users {
    #[serde(default)]
    changes: Vec<UserOfLine>,
}

#[derive(Deserialize)]
struct UserOfLine {
    #[serde(default)]
    user_id: Option<i64>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    outcome: Option<Outcome>,
}

impl Line<'_> {
    fn users(&self) -> Vec<UserOfLine> {
        serde_json::from_slice::<Users>(self.bytes)
            .map(|users| users.changes)
            .unwrap_or_default()
    }

    /// Whether the entry passes the filter's user and deployment. Older entries without a
    /// deployment are judged by their address, once per address and tool.
    fn passes(&self, filter: &Filter, legacy: &mut HashMap<(String, Tool), bool>) -> bool {
        let head = &self.head;
        if let Some(wanted) = &filter.deployment {
            let on = match &head.deployment {
                Some(recorded) => recorded == wanted,
                None => *legacy
                    .entry((head.host.clone(), head.tool))
                    .or_insert_with(|| recorded_on(None, &head.host, head.tool, wanted)),
            };
            if !on {
                return false;
            }
        }
        if !filter.made_by(head.by.as_deref()) {
            return false;
        }
        filter.user.as_ref().is_none_or(|user| {
            self.users()
                .iter()
                .any(|change| user.names(change.user_id, change.username.as_deref()))
        })
    }

    /// As [`Entry::undid`]: what this line, if an undo, says about the entry it undid.
    fn undid(&self) -> Option<(String, Undone)> {
        let head = &self.head;
        let target = head.undoes.clone()?;
        let users = self.users();
        let undone = Undone::by_undo(
            &head.id,
            head.time,
            head.by.as_deref(),
            &head.outcome,
            users.iter().map(|change| change.outcome.as_ref()),
            !head.skipped.is_empty(),
        )?;
        Some((target, undone))
    }
}

/// Whether the file's last byte is not a newline (a non-empty file only).
fn ends_torn(path: &std::path::Path) -> io::Result<bool> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error),
    };
    if file.seek(SeekFrom::End(0))? == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
