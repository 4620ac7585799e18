//! Pages and counts answered from the in-memory columns ([`super::columns`]).
//!
//! A filter becomes a test on ids: status and role codes, a stretch of places in a sort
//! column's order for each range (found by asking SQLite about a few rows, never by reading
//! them all), and, for what the columns do not hold (a keyword search, a LIKE), the set of ids
//! SQLite gives for that part alone. A page either walks the sort order testing each id, or
//! sorts every match by its place; whichever visits fewer ids.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::columns::{Columns, Members, Ranked, code};
use super::listing::select_matching;
use super::shape::{Shape, Window};
use geobox_api::{UserRole, UserStatus};

/// Which ids a filter lets through, as the columns can tell.
pub(super) struct Predicate<'c> {
    columns: &'c Columns,
    status: Option<u8>,
    role: Option<u8>,
    /// A sort column and the stretch `[first, end)` of its order the filter keeps to.
    ranges: Vec<(&'c Ranked, u32, u32)>,
    /// The ids the rest of the filter lets through, as SQLite found them.
    members: Option<std::sync::Arc<Members>>,
    nothing: bool,
}

/// A column the columns hold as codes, tested by equality.
#[derive(Clone, Copy)]
enum Coded {
    Status,
    Role,
}

impl Coded {
    fn of(column: &str) -> Option<Coded> {
        match column {
            "status" => Some(Coded::Status),
            "role" => Some(Coded::Role),
            // Any other column is not held as codes.
            _ => None,
        }
    }
}

/// A comparison a stretch of a sort order answers.
#[derive(Clone, Copy)]
enum Op {
    Less,
    AtMost,
    Equal,
    AtLeast,
    Greater,
}

impl Op {
    fn of(op: &str) -> Option<Op> {
        match op {
            "<" => Some(Op::Less),
            "<=" => Some(Op::AtMost),
            "=" => Some(Op::Equal),
            ">=" => Some(Op::AtLeast),
            ">" => Some(Op::Greater),
            // Any other operator is left to SQLite.
            _ => None,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Op::Less => "< ?",
            Op::AtMost => "<= ?",
            Op::Equal => "= ?",
            Op::AtLeast => ">= ?",
            Op::Greater => "> ?",
        }
    }
}

/// What the columns hold of one comparison of a filter.
enum Held<'c> {
    Code(Coded),
    Stretch(&'c Ranked, Op),
}

impl<'c> Held<'c> {
    /// How the columns answer `column op`, if they do.
    fn of(columns: &'c Columns, column: &str, op: &str) -> Option<Held<'c>> {
        let op = Op::of(op)?;
        match (Coded::of(column), columns.ranked(column), op) {
            (Some(coded), _, Op::Equal) => Some(Held::Code(coded)),
            (Some(_), _, Op::Less | Op::AtMost | Op::AtLeast | Op::Greater) => None,
            (None, Some(ranked), op) => Some(Held::Stretch(ranked, op)),
            (None, None, _) => None,
        }
    }
}

/// Whether SQLite may be asked for the ids of the part of a filter the columns do not hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rest {
    ColumnsOnly,
    AskSqlite,
}

impl<'c> Predicate<'c> {
    /// The test for `shape`, or `None` when part of it is beyond the columns and `rest` says
    /// not to ask SQLite.
    pub(super) fn of(
        conn: &Connection,
        columns: &'c Columns,
        shape: &Shape,
        rest: Rest,
    ) -> rusqlite::Result<Option<Predicate<'c>>> {
        let mut predicate = Predicate {
            columns,
            status: None,
            role: None,
            ranges: Vec::new(),
            members: None,
            nothing: false,
        };
        for (column, value) in &shape.equal {
            let Some(coded) = Coded::of(column) else {
                return Ok(None);
            };
            predicate.equal(coded, value);
        }
        if !shape.has_rest() {
            return Ok(Some(predicate));
        }
        let held: Option<Vec<(Held, &str, &Value)>> =
            shape.comparisons.as_ref().and_then(|comparisons| {
                comparisons
                    .iter()
                    .map(|(column, op, value)| {
                        Held::of(columns, column, op).map(|held| (held, *column, value))
                    })
                    .collect()
            });
        if let Some(held) = held {
            for (held, column, value) in held {
                match held {
                    Held::Stretch(ranked, op) => {
                        let (first, end) = stretch(conn, columns, ranked, column, op, value)?;
                        predicate.ranges.push((ranked, first, end));
                    }
                    Held::Code(coded) => predicate.equal(coded, value),
                }
            }
            return Ok(Some(predicate));
        }
        if rest == Rest::ColumnsOnly {
            return Ok(None);
        }
        predicate.members = Some(members(conn, columns, shape)?);
        Ok(Some(predicate))
    }

    fn equal(&mut self, column: Coded, value: &Value) {
        // Only text equals a stored status or role (a number never does).
        let text = match value {
            Value::Text(text) => Some(text.as_str()),
            Value::Null | Value::Integer(_) | Value::Real(_) | Value::Blob(_) => None,
        };
        let (slot, known) = match column {
            Coded::Status => (&mut self.status, UserStatus::WIRE),
            Coded::Role => (&mut self.role, UserRole::WIRE),
        };
        let wanted = code(known, text);
        if slot.is_some_and(|already| already != wanted) {
            self.nothing = true;
        }
        *slot = Some(wanted);
    }

    fn test(&self, id: u32) -> bool {
        self.columns.exists(id)
            && self
                .status
                .is_none_or(|status| self.columns.status(id) == status)
            && self.role.is_none_or(|role| self.columns.role(id) == role)
            && self.ranges.iter().all(|(ranked, first, end)| {
                let place = ranked.rank(id);
                place >= *first && place < *end
            })
            && self
                .members
                .as_ref()
                .is_none_or(|members| members.contains(id))
    }

    /// How many ids [`Self::each_match`] visits.
    fn candidates(&self) -> usize {
        if self.nothing {
            return 0;
        }
        let narrowest = self
            .ranges
            .iter()
            .map(|(_, first, end)| end.saturating_sub(*first) as usize)
            .min();
        let members = self.members.as_ref().map(|members| members.ids.len());
        [narrowest, members]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.columns.id_limit() as usize)
    }

    /// Calls `visit` with every id the filter lets through, in no particular order: from the
    /// members, the narrowest range, or every id, whichever is fewest.
    fn each_match(&self, mut visit: impl FnMut(u32)) {
        if self.nothing {
            return;
        }
        let fewest = self.candidates();
        let check = |id: u32| {
            if self.test(id) {
                visit(id);
            }
        };
        if let Some(members) = &self.members
            && members.ids.len() == fewest
        {
            members.ids.iter().copied().for_each(check);
        } else if let Some((ranked, first, end)) = self
            .ranges
            .iter()
            .find(|(_, first, end)| end.saturating_sub(*first) as usize == fewest)
        {
            ranked.order[*first as usize..*end as usize]
                .iter()
                .copied()
                .for_each(check);
        } else {
            (0..self.columns.id_limit()).for_each(check);
        }
    }

    pub(super) fn count(&self) -> u64 {
        let mut count = 0;
        self.each_match(|_| count += 1);
        count
    }
}

/// The stretch of `ranked`'s order where `column op value` holds. The order runs NULL first,
/// then ascending in the column's collation, which is the order the comparison follows; so a
/// comparison holds over one stretch, and a binary search that asks SQLite about one row per
/// step finds its ends.
fn stretch(
    conn: &Connection,
    columns: &Columns,
    ranked: &Ranked,
    column: &str,
    op: Op,
    value: &Value,
) -> rusqlite::Result<(u32, u32)> {
    let end = ranked.order.len() as u32;
    let holds = |condition: &str, with_value: bool| {
        let sql = format!("SELECT {column} {condition} FROM users WHERE id = ?");
        // A deleted user's place answers as the next user still there, or past the last one
        // as the last: either way the answers stay in order along the places.
        move |place: u32| -> rusqlite::Result<bool> {
            let place = place as usize;
            let live = |id: &&u32| columns.exists(**id);
            let next = ranked.order[place..].iter().find(live);
            let Some(id) = next.or_else(|| ranked.order[..place].iter().rev().find(live)) else {
                return Ok(false);
            };
            let id = i64::from(*id);
            let mut statement = conn.prepare_cached(&sql)?;
            let answer: Option<Option<bool>> = if with_value {
                statement
                    .query_row(rusqlite::params![value, id], |row| row.get(0))
                    .optional()?
            } else {
                statement.query_row([id], |row| row.get(0)).optional()?
            };
            Ok(answer.flatten().unwrap_or(false))
        }
    };
    match op {
        Op::Greater | Op::AtLeast => Ok((first_place(0, end, holds(op.sql(), true))?, end)),
        Op::Equal => Ok((
            first_place(0, end, holds(Op::AtLeast.sql(), true))?,
            first_place(0, end, holds(Op::Greater.sql(), true))?,
        )),
        Op::Less | Op::AtMost => {
            // Past the NULLs, true and then false.
            let values = first_place(0, end, holds("IS NOT NULL", false))?;
            let below = holds(op.sql(), true);
            let past = first_place(values, end, |place| Ok(!below(place)?))?;
            Ok((values, past))
        }
    }
}

/// The first place in `[first, end)` where `holds`, which is false and then true; `end` when
/// it never holds.
fn first_place(
    mut first: u32,
    mut end: u32,
    holds: impl Fn(u32) -> rusqlite::Result<bool>,
) -> rusqlite::Result<u32> {
    while first < end {
        let middle = first + (end - first) / 2;
        if holds(middle)? {
            end = middle;
        } else {
            first = middle + 1;
        }
    }
    Ok(first)
}

/// The ids the part of `shape` beyond the columns lets through, from SQLite. With a keyword
/// search the status and role equalities are left to the columns, rather than costing a
/// lookup per match (a search alone then needs no row at all).
/// They are kept with the columns for the same data: a page asked right after its count
/// finds them made.
fn members(
    conn: &Connection,
    columns: &Columns,
    shape: &Shape,
) -> rusqlite::Result<std::sync::Arc<Members>> {
    let (sql, values) = if shape.rest.full_text.is_some() {
        select_matching("rowid", &shape.rest)
    } else {
        select_matching("rowid", &shape.conditions())
    };
    let key = format!("{sql}|{values:?}");
    if let Some(members) = columns.members(&key) {
        return Ok(members);
    }
    let mut statement = conn.prepare_cached(&sql)?;
    let ids = statement
        .query_map(rusqlite::params_from_iter(values), |row| {
            Ok(u32::try_from(row.get::<_, i64>(0)?).unwrap_or(u32::MAX))
        })?
        .collect::<rusqlite::Result<Vec<u32>>>()?;
    let members = std::sync::Arc::new(Members::of(ids, columns.id_limit()));
    columns.keep_members(key, std::sync::Arc::clone(&members));
    Ok(members)
}

/// The sort order of `shape` as the columns hold it: `Some(None)` for ids, `None` when the
/// columns do not hold the sort column.
fn sort_order<'c>(columns: &'c Columns, shape: &Shape) -> Option<Option<&'c Ranked>> {
    match shape.sort {
        "id" => Some(None),
        // A kept order, or none for a sort column the columns do not keep.
        column => columns.ranked(column).map(Some),
    }
}

/// The ids of `window`, in the window's direction, found by walking the sort order and
/// testing each id: when the columns hold the sort order, and the walk visits fewer ids than
/// sorting every match would (about `needed` ÷ the share of users that match, against the
/// candidates and then the matches ordered).
pub(super) fn walked_window(
    columns: &Columns,
    predicate: &Predicate,
    shape: &Shape,
    window: &Window,
    matches: u64,
) -> Option<Vec<i64>> {
    let ranked = sort_order(columns, shape)?;
    let needed = window.skip.saturating_add(window.limit);
    let walk = needed.saturating_mul(columns.users() as u64) / matches.max(1);
    let sort = predicate.candidates() as u64 + matches.saturating_mul(3);
    if walk > sort {
        return None;
    }
    let (skip, limit) = (
        usize::try_from(window.skip).unwrap_or(usize::MAX),
        usize::try_from(window.limit).unwrap_or(usize::MAX),
    );
    let backwards = shape.descending != window.reversed;
    Some(match (ranked, backwards) {
        (Some(ranked), false) => walk_ids(ranked.order.iter().copied(), predicate, skip, limit),
        (Some(ranked), true) => {
            walk_ids(ranked.order.iter().rev().copied(), predicate, skip, limit)
        }
        (None, false) => walk_ids(0..columns.id_limit(), predicate, skip, limit),
        (None, true) => walk_ids((0..columns.id_limit()).rev(), predicate, skip, limit),
    })
}

/// Every match in ascending order of the sort column (ties by id), when the columns hold it.
pub(super) fn sorted_matches(
    columns: &Columns,
    predicate: &Predicate,
    shape: &Shape,
) -> Option<Vec<i64>> {
    let ranked = sort_order(columns, shape)?;
    let mut keyed: Vec<u64> = Vec::new();
    predicate.each_match(|id| {
        let place = ranked.map_or(id, |ranked| ranked.rank(id));
        keyed.push((u64::from(place) << 32) | u64::from(id));
    });
    keyed.sort_unstable();
    Some(keyed.into_iter().map(|key| i64::from(key as u32)).collect())
}

fn walk_ids(
    order: impl Iterator<Item = u32>,
    predicate: &Predicate,
    skip: usize,
    limit: usize,
) -> Vec<i64> {
    order
        .filter(|id| predicate.test(*id))
        .skip(skip)
        .take(limit)
        .map(i64::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_operators_and_columns_are_answered_from_the_columns() {
        for op in ["<", "<=", "=", ">=", ">"] {
            assert!(Op::of(op).is_some(), "{op}");
        }
        for op in ["<>", "!=", "LIKE", "IN", ""] {
            assert!(Op::of(op).is_none(), "{op} is left to SQLite");
        }
        assert!(matches!(Coded::of("status"), Some(Coded::Status)));
        assert!(matches!(Coded::of("role"), Some(Coded::Role)));
        assert!(Coded::of("plan_id").is_none());
    }
}
