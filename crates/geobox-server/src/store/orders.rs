//! Whole sort orders of a filter's matches, each good for the generation of the data it was
//! made from (see `snapshot.rs`).
//!
//! A filter that no index serves in the asked order (a date range sorted by name, a keyword
//! search sorted by anything) costs reading every match once. Reading them once is what a
//! deep page costs anyway; keeping the order they sort into makes every later page of the same
//! filter and sort, in either direction, a slice. The admin paging through a filtered, sorted
//! table, or jumping to its end and back, pays for the first deep page only.

use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::Value;

/// Ids remembered at most, over every order kept (8 bytes each); the least recently used
/// order goes first.
const MAX_KEPT_IDS: usize = 4_000_000;

/// Things made from the data of one generation, each under a key: good while the data stays
/// that generation. Past `max_weight` in all (each weighing what `weigh` says) the least
/// recently used go first, and one heavier than that is not kept.
#[derive(Debug)]
pub(super) struct Kept<T> {
    /// Least recently used first.
    entries: Mutex<Vec<KeptEntry<T>>>,
    max_weight: usize,
    weigh: fn(&T) -> usize,
}

#[derive(Debug)]
struct KeptEntry<T> {
    key: String,
    generation: u64,
    value: Arc<T>,
}

impl<T> Kept<T> {
    pub(super) fn new(max_weight: usize, weigh: fn(&T) -> usize) -> Kept<T> {
        Kept {
            entries: Mutex::new(Vec::new()),
            max_weight,
            weigh,
        }
    }

    /// What is kept under `key`, when it was made from the data of `generation`. What was
    /// made from older data goes (generations only move on); what was made from newer data
    /// stays for the readers of that data.
    pub(super) fn get(&self, key: &str, generation: u64) -> Option<Arc<T>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let at = entries.iter().position(|entry| entry.key == key)?;
        if entries[at].generation != generation {
            if entries[at].generation < generation {
                entries.remove(at);
            }
            return None;
        }
        let entry = entries.remove(at);
        let value = Arc::clone(&entry.value);
        entries.push(entry);
        Some(value)
    }

    /// Keeps `value`, made from the data of `generation`; whatever was kept from older data
    /// goes. Nothing is kept when something was made from newer data already: a reader of an
    /// older snapshot never pushes out what the readers of the newer data use.
    pub(super) fn keep(&self, key: String, generation: u64, value: Arc<T>) {
        let weight = (self.weigh)(&value);
        if weight > self.max_weight {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.iter().any(|entry| entry.generation > generation) {
            return;
        }
        entries.retain(|entry| entry.key != key && entry.generation == generation);
        let mut total: usize = entries.iter().map(|entry| (self.weigh)(&entry.value)).sum();
        while total + weight > self.max_weight && !entries.is_empty() {
            total -= (self.weigh)(&entries.remove(0).value);
        }
        entries.push(KeptEntry {
            key,
            generation,
            value,
        });
    }
}

/// Sort orders already made. Keys name the filter and the sort column; the order is
/// ascending (the descending one is the same read backwards, ids and all).
#[derive(Debug)]
pub struct OrderCache {
    orders: Kept<Vec<i64>>,
    /// Keys whose walk found its page only slowly, with the generation it was in.
    slow_walks: Mutex<Vec<(String, u64)>>,
}

impl Default for OrderCache {
    fn default() -> Self {
        OrderCache {
            orders: Kept::new(MAX_KEPT_IDS, Vec::len),
            slow_walks: Mutex::default(),
        }
    }
}

/// Slow walks remembered at most; the oldest is forgotten first.
const MAX_SLOW_WALKS: usize = 64;

impl OrderCache {
    /// The order kept under `key` when it was made from the data of `generation`.
    pub(super) fn get(&self, key: &str, generation: u64) -> Option<Arc<Vec<i64>>> {
        self.orders.get(key, generation)
    }

    /// Keeps an order made from the data of `generation`.
    pub(super) fn keep(&self, key: String, generation: u64, ids: Arc<Vec<i64>>) {
        self.orders.keep(key, generation, ids);
    }

    /// Remembers that walking `key`'s sort order was slow for the data of `generation`.
    pub(super) fn note_slow_walk(&self, key: String, generation: u64) {
        let mut slow = self
            .slow_walks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slow
            .iter()
            .any(|(_, in_generation)| *in_generation > generation)
        {
            return;
        }
        slow.retain(|(noted, in_generation)| *noted != key && *in_generation == generation);
        if slow.len() >= MAX_SLOW_WALKS {
            slow.remove(0);
        }
        slow.push((key, generation));
    }

    /// Whether a walk of `key`'s sort order was slow on the data of `generation`.
    pub(super) fn walked_slowly(&self, key: &str, generation: u64) -> bool {
        let slow = self
            .slow_walks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slow.iter()
            .any(|(noted, in_generation)| noted == key && *in_generation == generation)
    }
}

/// A sort key as SQLite orders a column's values: NULL first, then numbers, then text (byte
/// by byte, which is the BINARY collation; NOCASE columns are folded first). The users table
/// holds no REAL or BLOB values in a sortable column.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SortKey {
    Null,
    Integer(i64),
    /// `prefix` is the first eight bytes, big-endian and zero-padded: most comparisons end
    /// there without following the pointer to the text. Text holds no NUL bytes, so the
    /// padding sorts a shorter text first, as the bytes would.
    Text {
        prefix: u64,
        text: Box<str>,
    },
}

impl SortKey {
    /// `nocase`: the column is declared `COLLATE NOCASE`, which folds ASCII letters only.
    pub(super) fn of(value: Value, nocase: bool) -> SortKey {
        match value {
            Value::Null => SortKey::Null,
            Value::Integer(number) => SortKey::Integer(number),
            // Never stored; ordered among the integers rather than lost.
            Value::Real(number) => SortKey::Integer(number as i64),
            Value::Text(mut text) => {
                if nocase {
                    text.make_ascii_lowercase();
                }
                let mut head = [0u8; 8];
                let length = text.len().min(8);
                head[..length].copy_from_slice(&text.as_bytes()[..length]);
                SortKey::Text {
                    prefix: u64::from_be_bytes(head),
                    text: text.into_boxed_str(),
                }
            }
            Value::Blob(bytes) => SortKey::of(
                Value::Text(String::from_utf8_lossy(&bytes).into_owned()),
                nocase,
            ),
        }
    }
}

/// The ids of `keyed` in ascending `(key, id)` order.
pub(super) fn ascending(mut keyed: Vec<(SortKey, i64)>) -> Vec<i64> {
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// `limit` ids from `skip` of `order` read forwards, or backwards when `backwards`.
pub(super) fn slice(order: &[i64], skip: u64, limit: u64, backwards: bool) -> Vec<i64> {
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if backwards {
        order.iter().rev().skip(skip).take(limit).copied().collect()
    } else {
        order.iter().skip(skip).take(limit).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(range: std::ops::Range<i64>) -> Arc<Vec<i64>> {
        Arc::new(range.collect())
    }

    #[test]
    fn an_order_is_good_only_for_the_data_it_was_made_from() {
        let cache = OrderCache::default();
        cache.keep("a".into(), 7, ids(0..3));
        assert_eq!(cache.get("a", 7).as_deref(), Some(&vec![0, 1, 2]));
        assert_eq!(cache.get("a", 8), None, "a write came after it");
        assert_eq!(cache.get("a", 7), None, "and a stale order is dropped");
        assert_eq!(cache.get("b", 7), None);
    }

    #[test]
    fn a_reader_of_older_data_never_pushes_out_an_order_of_newer_data() {
        let cache = OrderCache::default();
        cache.keep("a".into(), 8, ids(0..3));
        assert_eq!(cache.get("a", 6), None, "made from newer data");
        cache.keep("b".into(), 6, ids(0..2));
        assert_eq!(
            cache.get("b", 6),
            None,
            "an order of older data is not kept"
        );
        assert_eq!(
            cache.get("a", 8).as_deref(),
            Some(&vec![0, 1, 2]),
            "still there for the readers of the newer data"
        );
        cache.keep("c".into(), 10, ids(0..1));
        assert_eq!(cache.get("a", 8), None, "older than the newest kept");
        cache.note_slow_walk("a".into(), 10);
        cache.note_slow_walk("a".into(), 8);
        assert!(
            cache.walked_slowly("a", 10),
            "an older reader's note changes nothing"
        );
        assert!(!cache.walked_slowly("a", 8));
    }

    #[test]
    fn the_least_recently_used_order_goes_first_past_the_limit() {
        let cache = OrderCache::default();
        let half = i64::try_from(MAX_KEPT_IDS / 2).expect("fits");
        cache.keep("a".into(), 1, ids(0..half));
        cache.keep("b".into(), 1, ids(0..half));
        assert!(cache.get("a", 1).is_some(), "a is now the most recent");
        cache.keep("c".into(), 1, ids(0..10));
        assert!(cache.get("b", 1).is_none(), "b was the least recently used");
        assert!(cache.get("a", 1).is_some() && cache.get("c", 1).is_some());
        cache.keep("huge".into(), 1, ids(0..half * 2 + 1));
        assert!(
            cache.get("huge", 1).is_none(),
            "an order past the limit is not kept"
        );
    }

    #[test]
    fn a_slow_walk_is_remembered_for_the_data_it_walked() {
        let cache = OrderCache::default();
        cache.note_slow_walk("a".into(), 3);
        assert!(cache.walked_slowly("a", 3));
        assert!(!cache.walked_slowly("a", 4), "a write came after it");
        assert!(!cache.walked_slowly("b", 3));
        for index in 0..MAX_SLOW_WALKS {
            cache.note_slow_walk(format!("k{index}"), 3);
        }
        assert!(
            !cache.walked_slowly("a", 3),
            "the oldest is forgotten past the limit"
        );
    }

    #[test]
    fn keys_sort_as_sqlite_sorts_them() {
        let keyed = vec![
            (SortKey::of(Value::Text("beta".into()), true), 1),
            (SortKey::of(Value::Text("Alpha".into()), true), 2),
            (SortKey::of(Value::Null, true), 3),
            (SortKey::of(Value::Text("Ärzte".into()), true), 4),
            (SortKey::of(Value::Text("alpha".into()), false), 5),
            (SortKey::of(Value::Text("alphabet-soup".into()), false), 6),
            (SortKey::of(Value::Text("alphabet".into()), false), 7),
            (SortKey::of(Value::Integer(9), false), 8),
        ];
        // NULL, then numbers, then text; NOCASE folds ASCII only, so "Ä" sorts after every
        // ASCII letter; past the first eight bytes the rest of the text decides.
        assert_eq!(ascending(keyed), vec![3, 8, 2, 5, 7, 6, 1, 4]);
        let order = [1, 2, 3, 4, 5];
        assert_eq!(slice(&order, 1, 2, false), vec![2, 3]);
        assert_eq!(slice(&order, 1, 2, true), vec![4, 3]);
        assert_eq!(slice(&order, 4, 50, true), vec![1]);
        assert!(slice(&order, 9, 50, false).is_empty());
    }
}
