//! The list planner: how one page of a user listing is found, chosen by cost.
//!
//! A page is a list of ids first (every plan reads only indexes where it can), then the 50
//! rows those ids name. For a filter and a sort there are two ways to the ids:
//! - **walk** the sort column's index (in id order, the index of the filter's status or role)
//!   and test the filter on each entry: cost ≈ rows needed ÷ selectivity;
//! - **collect** every match through whatever index serves the filter best, then sort them
//!   all: cost ≈ matches. The order is kept until the next write (`orders.rs`).
//!
//! The choice uses counts (cached until the next write), so it follows the data rather than a
//! fixed rule. A page past the middle of the matches is read from the other end, in the
//! reversed order with a small skip, and flipped. Shapes this planner does not know (several
//! sort keys) go to [`super::listing`]'s general plan.
//!
//! When the in-memory columns of the current data are made (`columns.rs`), the filters they
//! hold (status and role equalities, ranges on the sort columns) never reach SQLite but for
//! the page's rows, and a collect asks SQLite only for what they do not hold
//! (`memory_plan.rs`).
//!
//! A page or a count is one read snapshot (`snapshot.rs`): its counts, ids and rows all come
//! from the same data, and counts, kept orders and columns answer only when they were made
//! from the generation that snapshot reads.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::columns::Columns;
use super::listing::{
    CountCache, IN_FTS, PLAN_BUDGET, UserListing, Where, is_interrupt, list_users_within,
    listing_where, with_budget,
};
use super::memory_plan::{Predicate, Rest, sorted_matches, walked_window};
use super::orders::{SortKey, ascending, slice};
use super::schema::single_index;
use super::shape::{Shape, Window};
use super::snapshot::{Snapshot, in_snapshot};
use super::users::{USER_COLUMNS, UserRow, user_from_row};

/// A walk is chosen only when it steps over this many times fewer entries than there are
/// matches: past the first pages a walk reads a row for each entry it steps over (the rest of
/// the filter needs it), as a collect does for each match, and a collect's order is kept for
/// every page after it.
const WALK_MARGIN: u64 = 4;

/// How long any walk may look for its page, however short it is expected to be.
const SHORT_WALK: std::time::Duration = std::time::Duration::from_millis(25);

impl Shape {
    /// The index a walk reads, led by `lead` (one of the equalities) when given.
    fn walk_index(&self, lead: Option<&str>) -> Option<String> {
        match (lead, self.sort) {
            // Nothing to test: the narrow id index. Otherwise the rows are read anyway.
            (None, "id") if !self.has_rest() => Some("users_id".into()),
            (None, "id") => None,
            (Some(_), "id") if self.equal.len() == 2 => Some("users_status_role".into()),
            (Some(lead), "id") => Some(format!("users_{lead}")),
            (_, column) => Some(single_index(column).to_string()),
        }
    }

    /// Which equality leads a walk in id order: the one with fewer rows, so the fewest
    /// entries of its index (which holds the ids in order) are stepped over. Other sorts walk
    /// the sort column's index and read each row to test the equalities.
    fn lead(&self, snapshot: &Snapshot<'_>, counts: &CountCache) -> rusqlite::Result<Option<&str>> {
        if self.sort != "id" {
            return Ok(None);
        }
        let mut best: Option<(&str, u64)> = None;
        for (column, value) in &self.equal {
            let rows = equality_count(snapshot, counts, column, value)?;
            if best.is_none_or(|(_, fewest)| rows < fewest) {
                best = Some((column, rows));
            }
        }
        Ok(best.map(|(column, _)| column))
    }
}

fn equality_count(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    column: &str,
    value: &Value,
) -> rusqlite::Result<u64> {
    let clause = Where {
        full_text: None,
        conditions: vec![format!("{column} = ?")],
        values: vec![value.clone()],
    };
    counts.count(snapshot, &clause)
}

/// How many users `listing` matches, in one snapshot: known already, from the columns (with
/// the full-text index for a keyword search with a status or role, which SQLite would check
/// match by match), or counted by SQLite.
pub fn count_users(
    conn: &Connection,
    counts: &CountCache,
    listing: &UserListing,
) -> rusqlite::Result<u64> {
    in_snapshot(conn, counts.generation(), |snapshot| {
        let whole = listing_where(listing);
        match Shape::of(listing) {
            Some(shape) => counted(snapshot, counts, &shape, &whole),
            None => counts.count(snapshot, &whole),
        }
    })
}

fn counted(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    shape: &Shape,
    whole: &Where,
) -> rusqlite::Result<u64> {
    if let Some(count) = counts.cached(snapshot, whole) {
        return Ok(count);
    }
    if let Some(columns) = counts.columns_of(snapshot) {
        let rest = if shape.rest.full_text.is_some() && !shape.equal.is_empty() {
            Rest::AskSqlite
        } else {
            Rest::ColumnsOnly
        };
        if let Some(predicate) = Predicate::of(snapshot, &columns, shape, rest)? {
            return Ok(count_of(snapshot, counts, whole, &predicate));
        }
    }
    counts.count(snapshot, whole)
}

/// The count of `whole` from `predicate` (made from the columns of `snapshot`'s data), kept.
fn count_of(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    whole: &Where,
    predicate: &Predicate,
) -> u64 {
    counts.cached(snapshot, whole).unwrap_or_else(|| {
        let count = predicate.count();
        counts.remember(snapshot, whole, count);
        count
    })
}

/// One page of a listing, in one snapshot: planned here when the shape is known, otherwise
/// the general plan.
pub fn list_users(
    conn: &Connection,
    counts: &CountCache,
    listing: &UserListing,
) -> rusqlite::Result<Vec<UserRow>> {
    in_snapshot(conn, counts.generation(), |snapshot| {
        match planned_page(snapshot, counts, listing)? {
            Some(rows) => Ok(rows),
            None => list_users_within(snapshot, listing, PLAN_BUDGET),
        }
    })
}

/// How the ids of a page are found: by cost, or (for tests) one way only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    ByCost,
    #[cfg(test)]
    Walk,
    #[cfg(test)]
    Collect,
    /// The in-memory columns, never a kept order.
    #[cfg(test)]
    Columns,
}

/// One page of `listing`, or `None` when the planner does not know its shape.
fn planned_page(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    listing: &UserListing,
) -> rusqlite::Result<Option<Vec<UserRow>>> {
    planned_page_by(snapshot, counts, listing, Choice::ByCost)
}

fn planned_page_by(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    listing: &UserListing,
    choice: Choice,
) -> rusqlite::Result<Option<Vec<UserRow>>> {
    let Some(shape) = Shape::of(listing) else {
        return Ok(None);
    };
    if listing.limit == 0 {
        return Ok(Some(Vec::new()));
    }
    let whole = listing_where(listing);
    let columns = match choice {
        Choice::ByCost => counts.columns_of(snapshot),
        #[cfg(test)]
        Choice::Columns => counts.columns_of(snapshot),
        #[cfg(test)]
        Choice::Walk | Choice::Collect => None,
    };
    let held = match &columns {
        Some(columns) => Predicate::of(snapshot, columns, &shape, Rest::ColumnsOnly)?,
        None => None,
    };
    let matches = match &held {
        Some(predicate) => Some(count_of(snapshot, counts, &whole, predicate)),
        None if !shape.has_rest() || listing.skip > 0 => {
            Some(counted(snapshot, counts, &shape, &whole)?)
        }
        None => counts.cached(snapshot, &whole),
    };
    if matches.is_some_and(|matches| listing.skip >= matches) {
        return Ok(Some(Vec::new()));
    }
    if choice == Choice::ByCost
        && let Some(generation) = snapshot.generation
        && let Some(order) = counts.orders().get(&shape.order_key(), generation)
    {
        let ids = slice(&order, listing.skip, listing.limit, shape.descending);
        return Ok(Some(rows_by_id(snapshot, &ids)?));
    }
    let window = Window::of(listing.skip, listing.limit, matches);
    if let (Some(columns), Some(predicate)) = (&columns, &held)
        && let Some(mut ids) = from_columns(counts, columns, predicate, &shape, &window, matches)
    {
        if window.reversed {
            ids.reverse();
        }
        return Ok(Some(rows_by_id(snapshot, &ids)?));
    }
    let lead = shape.lead(snapshot, counts)?;
    // Without a condition to test, or with equalities whose index holds the ids in order, a
    // walk steps over index entries only; otherwise it reads rows, and the cost decides.
    let mut ids = if !shape.has_rest() && (shape.sort == "id" || shape.equal.is_empty()) {
        walk(snapshot, &shape, lead, &window)?
    } else {
        let within = match lead {
            Some(lead) => shape
                .equal
                .iter()
                .find(|(column, _)| *column == lead)
                .map_or(Ok(0), |(column, value)| {
                    equality_count(snapshot, counts, column, value)
                })?,
            None => counts.count(snapshot, &Where::default())?,
        };
        match choice {
            Choice::ByCost => {
                choose_and_run(snapshot, counts, &shape, lead, &window, matches, within)?
            }
            #[cfg(test)]
            Choice::Walk => walk(snapshot, &shape, lead, &window)?,
            #[cfg(test)]
            Choice::Collect | Choice::Columns => collect(snapshot, counts, &shape, &window)?,
        }
    };
    if window.reversed {
        ids.reverse();
    }
    Ok(Some(rows_by_id(snapshot, &ids)?))
}

/// Walks or collects, by their estimated costs; a walk that runs far past its estimate (the
/// matches bunch up late in the sort order) hands over to collecting.
fn choose_and_run(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    shape: &Shape,
    lead: Option<&str>,
    window: &Window,
    matches: Option<u64>,
    within: u64,
) -> rusqlite::Result<Vec<i64>> {
    let needed = window.skip.saturating_add(window.limit);
    let (walk_cost, collect_cost) = match matches {
        Some(matches) => (
            needed.saturating_mul(within) / matches.max(1),
            matches / WALK_MARGIN,
        ),
        // Unknown selectivity: a short walk is the sample.
        None => (0, 1),
    };
    let key = shape.order_key();
    let walked_slowly = snapshot
        .generation
        .is_some_and(|generation| counts.orders().walked_slowly(&key, generation));
    if walk_cost > collect_cost || walked_slowly {
        return collect(snapshot, counts, shape, window);
    }
    // About 2 µs an entry, with room for a poor estimate. Never less than the first page's
    // target (pages cold in the cache make a short walk slow, and a walk that finds the page
    // within the target beats collecting every match), nor than half of what collecting would
    // take (matches bunched late in the sort order make a walk long but still cheaper).
    let collect_time = std::time::Duration::from_micros(matches.unwrap_or(0) * 7 / 10);
    let budget = std::time::Duration::from_micros(walk_cost.saturating_mul(6))
        .max(SHORT_WALK)
        .max(collect_time / 2);
    let started = std::time::Instant::now();
    match with_budget(snapshot, budget, || walk(snapshot, shape, lead, window)) {
        Err(error) if is_interrupt(&error) => collect(snapshot, counts, shape, window),
        Ok(ids) => {
            // It found the page, but slowly: the next ask of this filter and sort collects
            // once and keeps the order, rather than paying for a long walk every time.
            if started.elapsed() > SHORT_WALK
                && let Some(generation) = snapshot.generation
            {
                counts.orders().note_slow_walk(key, generation);
            }
            Ok(ids)
        }
        other => other,
    }
}

fn direction(descending: bool) -> &'static str {
    if descending { "DESC" } else { "ASC" }
}

/// The ORDER BY of a shape, in the window's direction.
fn order_sql(shape: &Shape, window: &Window) -> String {
    let descending = shape.descending != window.reversed;
    let dir = direction(descending);
    if shape.sort == "id" {
        format!("id {dir}")
    } else {
        format!("{} {dir}, id {dir}", shape.sort)
    }
}

fn page_values(mut values: Vec<Value>, window: &Window) -> Vec<Value> {
    values.push(Value::Integer(
        i64::try_from(window.limit).unwrap_or(i64::MAX),
    ));
    values.push(Value::Integer(
        i64::try_from(window.skip).unwrap_or(i64::MAX),
    ));
    values
}

/// Steps through the sort order on an index, testing the filter on each entry.
fn walk(
    conn: &Connection,
    shape: &Shape,
    lead: Option<&str>,
    window: &Window,
) -> rusqlite::Result<Vec<i64>> {
    let mut clause = shape.conditions();
    if let Some(full_text) = &shape.rest.full_text {
        match &shape.search {
            // A trigram match of ASCII terms is a case-insensitive substring test, which the
            // row at hand answers without building the whole match set first.
            Some((terms, columns)) if terms.iter().all(|term| term.is_ascii()) => {
                for term in terms.iter().filter(|term| term.chars().count() >= 3) {
                    clause.contains_in_any(term, columns);
                }
            }
            _ if shape.sort == "id" => return walk_full_text_by_id(conn, shape, window),
            _ => {
                clause.conditions.push(IN_FTS.to_string());
                clause.values.push(Value::Text(full_text.clone()));
            }
        }
    }
    let access = match shape.walk_index(lead) {
        Some(index) => format!("INDEXED BY {index}"),
        None => "NOT INDEXED".to_string(),
    };
    let sql = format!(
        "SELECT id FROM users {access}{} ORDER BY {} LIMIT ? OFFSET ?",
        clause.sql(&[]),
        order_sql(shape, window)
    );
    query_ids(conn, &sql, page_values(clause.values, window))
}

/// Walks the full-text matches in id order (the index yields them so) and stops at the page.
fn walk_full_text_by_id(
    conn: &Connection,
    shape: &Shape,
    window: &Window,
) -> rusqlite::Result<Vec<i64>> {
    let clause = shape.conditions();
    let mut values = vec![Value::Text(
        shape.rest.full_text.clone().unwrap_or_default(),
    )];
    values.extend(clause.values.iter().cloned());
    let dir = direction(shape.descending != window.reversed);
    let sql = format!(
        "SELECT users.id FROM (SELECT rowid AS match_id FROM users_fts \
         WHERE users_fts MATCH ? ORDER BY rowid {dir}) AS matches \
         CROSS JOIN users ON users.id = matches.match_id{} \
         ORDER BY matches.match_id {dir} LIMIT ? OFFSET ?",
        clause.sql(&[])
    );
    query_ids(conn, &sql, page_values(values, window))
}

/// The window's ids from the columns: by a walk when `matches` is known and the walk is the
/// cheaper, otherwise from a full sort of the matches, which is kept.
fn from_columns(
    counts: &CountCache,
    columns: &Columns,
    predicate: &Predicate,
    shape: &Shape,
    window: &Window,
    matches: Option<u64>,
) -> Option<Vec<i64>> {
    if let Some(matches) = matches
        && let Some(ids) = walked_window(columns, predicate, shape, window, matches)
    {
        return Some(ids);
    }
    let order = sorted_matches(columns, predicate, shape)?;
    Some(keep_and_slice(
        counts,
        shape,
        window,
        Some(columns.generation),
        order,
    ))
}

/// Keeps `order`, every match of `shape` ascending, as made from the data of `generation`
/// (when that is known), and answers the window from it.
fn keep_and_slice(
    counts: &CountCache,
    shape: &Shape,
    window: &Window,
    generation: Option<u64>,
    order: Vec<i64>,
) -> Vec<i64> {
    let backwards = shape.descending != window.reversed;
    let ids = slice(&order, window.skip, window.limit, backwards);
    if let Some(generation) = generation {
        counts
            .orders()
            .keep(shape.order_key(), generation, std::sync::Arc::new(order));
    }
    ids
}

/// Finds every match through the index that serves the filter best (or the columns, with
/// SQLite asked only for what they do not hold), sorts them all, keeps that order for the
/// pages after this one, and answers the window from it.
fn collect(
    snapshot: &Snapshot<'_>,
    counts: &CountCache,
    shape: &Shape,
    window: &Window,
) -> rusqlite::Result<Vec<i64>> {
    if let Some(columns) = counts.columns_of(snapshot)
        && let Some(predicate) = Predicate::of(snapshot, &columns, shape, Rest::AskSqlite)?
        && let Some(ids) = from_columns(counts, &columns, &predicate, shape, window, None)
    {
        return Ok(ids);
    }
    let clause = shape.conditions();
    let mut values = Vec::new();
    let mut extra = Vec::new();
    if let Some(full_text) = &shape.rest.full_text {
        extra.push(IN_FTS);
        values.push(Value::Text(full_text.clone()));
    }
    values.extend(clause.values.iter().cloned());
    let key_column = if shape.sort == "id" {
        "NULL"
    } else {
        shape.sort
    };
    let sql = format!("SELECT id, {key_column} FROM users{}", clause.sql(&extra));
    // Only username is declared COLLATE NOCASE.
    let nocase = shape.sort == "username";
    let mut statement = snapshot.prepare_cached(&sql)?;
    let keyed = statement
        .query_map(rusqlite::params_from_iter(values), |row| {
            Ok((SortKey::of(row.get(1)?, nocase), row.get(0)?))
        })?
        .collect::<rusqlite::Result<Vec<(SortKey, i64)>>>()?;
    Ok(keep_and_slice(
        counts,
        shape,
        window,
        snapshot.generation,
        ascending(keyed),
    ))
}

fn query_ids(conn: &Connection, sql: &str, values: Vec<Value>) -> rusqlite::Result<Vec<i64>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(rusqlite::params_from_iter(values), |row| row.get(0))?;
    rows.collect()
}

/// The rows of `ids`, in that order; an id whose user is gone is left out. (In one snapshot
/// with the ids, none is: the ids come from the same data, or from what was made from it.)
fn rows_by_id(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<UserRow>> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = statement.query_row([id], user_from_row).optional()? {
            rows.push(row);
        }
    }
    Ok(rows)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::cql;
    use crate::store::columns::Reading;
    use crate::store::{
        NewUserRecord, SEARCH_FIELDS, Store, USER_FIELDS, UsersFullText, count_users, delete_user,
        insert_user, update_user,
    };
    use crate::validate::UserFields;

    /// The filters of the bench's matrix, as listings.
    pub(in crate::store) fn filters() -> Vec<(&'static str, UserListing)> {
        let cql = |text: &str| UserListing {
            filter: Some(cql::compile(text, USER_FIELDS, &UsersFullText).expect("compiles")),
            ..UserListing::default()
        };
        let status = |status: &str| UserListing {
            status: Some(status.to_string()),
            ..UserListing::default()
        };
        let search = |terms: &str, status: Option<&str>| UserListing {
            search: Some((terms.to_string(), SEARCH_FIELDS.to_vec())),
            status: status.map(str::to_string),
            ..UserListing::default()
        };
        vec![
            ("none", UserListing::default()),
            ("status=Disabled", status("Disabled")),
            ("status=Active", status("Active")),
            ("role = 'Viewer'", cql("role = 'Viewer'")),
            (
                "role = 'Editor' AND status = 'Active'",
                cql("role = 'Editor' AND status = 'Active'"),
            ),
            (
                "created_at > DATE('2024-01-01')",
                cql("created_at > DATE('2024-01-01')"),
            ),
            ("username LIKE '%reza%'", cql("username LIKE '%reza%'")),
            ("search=ali", search("ali", None)),
            (
                "search=gmail&status=Active",
                search("gmail", Some("Active")),
            ),
            ("search=qqxqq", search("qqxqq", None)),
            (
                "expiration_date < DATE('2026-06-01')",
                cql("expiration_date < DATE('2026-06-01')"),
            ),
            ("last_name = 'Patel'", cql("last_name = 'Patel'")),
            (
                "two ranges on one column, ends included",
                cql("last_name >= 'Patel' AND last_name <= 'Wang'"),
            ),
            (
                "three ranges and a role",
                cql("username >= 'm' AND created_at <= DATE('2025-06-01') \
                     AND role = 'Editor' AND first_name <= 'N'"),
            ),
            (
                "id > 4000 AND role = 'Editor'",
                cql("id > 4000 AND role = 'Editor'"),
            ),
            ("search=al gm (a short term)", search("al gmail", None)),
            (
                "status=Pending and a q that is not only equalities",
                UserListing {
                    status: Some("Pending".into()),
                    ..cql("role = 'Viewer' OR username LIKE '%ali%'")
                },
            ),
        ]
    }

    pub(in crate::store) const SORTS: &[(&str, bool)] = &[
        ("id", false),
        ("username", false),
        ("last_name", true),
        ("created_at", true),
        ("expiration_date", false),
    ];

    /// The plain query: the whole filter, ORDER BY, LIMIT and OFFSET.
    fn naive(conn: &Connection, listing: &UserListing) -> (Vec<i64>, u64) {
        let clause = listing_where(listing);
        let mut values = Vec::new();
        let mut extra = Vec::new();
        if let Some(full_text) = &clause.full_text {
            extra.push("id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?)");
            values.push(Value::Text(full_text.clone()));
        }
        values.extend(clause.values.iter().cloned());
        let where_sql = clause.sql(&extra);
        let count: u64 = conn
            .query_row(
                &format!("SELECT count(*) FROM users{where_sql}"),
                rusqlite::params_from_iter(values.clone()),
                |row| row.get(0),
            )
            .expect("counts");
        let order: Vec<String> = listing
            .order_by
            .iter()
            .chain([&("id", listing.order_by.first().is_some_and(|(_, d)| *d))])
            .map(|(column, descending)| format!("{column} {}", direction(*descending)))
            .collect();
        let sql = format!(
            "SELECT id FROM users{where_sql} ORDER BY {} LIMIT {} OFFSET {}",
            order.join(", "),
            listing.limit,
            listing.skip
        );
        (query_ids(conn, &sql, values).expect("lists"), count)
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

    #[test]
    fn every_shape_of_the_matrix_gives_the_rows_and_counts_of_the_plain_query() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(crate::seed::seed(conn, 10_000, 1, "hash")?))
            .expect("seeds");
        let counts = store.counts();
        let mut failures = Vec::new();
        let mut pages = 0;
        // Once reading SQLite only, once with the in-memory columns of fresh data (nothing
        // counted or sorted in the first pass is reused).
        for with_columns in [false, true] {
            let choices: &[Choice] = if with_columns {
                let generation = counts.generation().advance();
                let reading = store
                    .read_blocking(|conn| Ok(Columns::read(conn, counts.generation(), generation)?))
                    .expect("reads the columns");
                let Reading::Made(columns) = reading else {
                    panic!("dense ids, and no write meanwhile");
                };
                counts.columns().set(generation, Some(columns));
                // Deleted users keep their places in the columns' orders, marked absent: the
                // ends of each order, a scattering in between, and every user created in the
                // year around a bound the filters use, so that searches for it meet them.
                let doomed: Vec<i64> = store
                    .read_blocking(|conn| {
                        let mut ids: Vec<i64> = (1..=10_000).step_by(331).collect();
                        ids.extend(query_ids(
                            conn,
                            "SELECT id FROM users \
                             WHERE created_at BETWEEN '2023-07-01' AND '2024-07-01'",
                            Vec::new(),
                        )?);
                        for column in ["username", "last_name", "created_at", "expiration_date"] {
                            for direction in ["ASC", "DESC"] {
                                ids.extend(query_ids(
                                    conn,
                                    &format!(
                                        "SELECT id FROM users ORDER BY {column} {direction}, \
                                         id {direction} LIMIT 3"
                                    ),
                                    Vec::new(),
                                )?);
                            }
                        }
                        ids.sort_unstable();
                        ids.dedup();
                        Ok(ids)
                    })
                    .expect("picks");
                for id in doomed {
                    store
                        .write_blocking(|conn| Ok(delete_user(conn, id)?))
                        .expect("deletes");
                }
                assert!(
                    counts.columns().current(counts.now()).is_some(),
                    "deletes are patched in"
                );
                &[
                    Choice::ByCost,
                    Choice::Walk,
                    Choice::Collect,
                    Choice::Columns,
                ]
            } else {
                &[Choice::ByCost, Choice::Walk, Choice::Collect]
            };
            store
                .read_blocking(|conn| {
                    for (name, filter) in filters() {
                        let (_, matches) = naive(conn, &filter);
                        let counted = count_users(conn, &counts, &filter)?;
                        if counted != matches {
                            failures.push(format!(
                            "{name} (columns: {with_columns}): count {counted}, plainly {matches}"
                        ));
                        }
                        for (sort, descending) in SORTS {
                            let middle = matches / 2;
                            for skip in [0, 7, middle, matches.saturating_sub(60), matches] {
                                let listing = UserListing {
                                    order_by: vec![(sort, *descending)],
                                    skip,
                                    limit: 50,
                                    ..filter.clone()
                                };
                                let (expected, _) = naive(conn, &listing);
                                for choice in choices.iter().copied() {
                                    pages += 1;
                                    let rows =
                                        in_snapshot(conn, counts.generation(), |snapshot| {
                                            planned_page_by(snapshot, &counts, &listing, choice)
                                        })?
                                        .expect("a shape the planner knows");
                                    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
                                    if ids != expected {
                                        failures.push(format!(
                                            "{name}, {sort} {descending}, skip {skip}, {choice:?} \
                                         (columns: {with_columns}): \
                                         {} rows {:?}.., plainly {} {:?}..",
                                            ids.len(),
                                            ids.iter().take(3).collect::<Vec<_>>(),
                                            expected.len(),
                                            expected.iter().take(3).collect::<Vec<_>>()
                                        ));
                                    }
                                }
                            }
                        }
                    }
                    Ok(())
                })
                .expect("lists");
        }
        assert!(pages > 1000);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn cached_counts_follow_creates_updates_and_deletes() {
        let store = Store::open(None).expect("opens");
        let counts = store.counts();
        let disabled = UserListing {
            status: Some("Disabled".into()),
            ..UserListing::default()
        };
        let count = |listing: &UserListing| {
            store
                .read_blocking(|conn| Ok(count_users(conn, &counts, listing)?))
                .expect("counts")
        };
        assert_eq!(count(&disabled), 0);
        let id = store
            .write_blocking(|conn| {
                let mut user = NewUserRecord::example("sara");
                user.status = geobox_api::UserStatus::Disabled;
                Ok(insert_user(conn, &user)?)
            })
            .expect("creates");
        assert_eq!(count(&disabled), 1, "after a create");
        let enable = UserFields {
            status: Some(geobox_api::UserStatus::Active),
            ..UserFields::default()
        };
        store
            .write_blocking(|conn| Ok(update_user(conn, id, &enable)?))
            .expect("updates");
        assert_eq!(count(&disabled), 0, "after an update");
        assert_eq!(count(&UserListing::default()), 1);
        store
            .write_blocking(|conn| Ok(delete_user(conn, id)?))
            .expect("deletes");
        assert_eq!(count(&UserListing::default()), 0, "after a delete");
    }

    #[test]
    fn the_in_memory_columns_follow_writes() {
        let store = Store::open(None).expect("opens");
        let ids: Vec<i64> = store
            .write_blocking(|conn| {
                ["reza.b", "reza.c", "reza.a", "sara"]
                    .iter()
                    .map(|name| Ok(insert_user(conn, &NewUserRecord::example(name))?))
                    .collect()
            })
            .expect("creates");
        store.keep_columns_in_memory();
        let settle = || {
            let started = std::time::Instant::now();
            while !store.columns_settled() {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(30),
                    "the columns are made"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        };
        let counts = store.counts();
        let page = |cql_text: &str| {
            let listing = UserListing {
                filter: Some(
                    cql::compile(cql_text, USER_FIELDS, &UsersFullText).expect("compiles"),
                ),
                order_by: vec![("username", false)],
                limit: 10,
                ..UserListing::default()
            };
            store
                .read_blocking(|conn| {
                    let rows = in_snapshot(conn, counts.generation(), |snapshot| {
                        planned_page_by(snapshot, &counts, &listing, Choice::ByCost)
                    })?
                    .expect("known");
                    Ok(rows.iter().map(|row| row.id).collect::<Vec<i64>>())
                })
                .expect("lists")
        };
        settle();
        assert!(
            counts.columns().current(counts.now()).is_some(),
            "made for the data as it is"
        );
        assert_eq!(page("username < 'reza.c'"), vec![ids[2], ids[0]]);
        rename(&store, ids[1], "reza.0");
        assert_eq!(
            page("username < 'reza.c'"),
            vec![ids[1], ids[2], ids[0]],
            "the rename shows before the columns are made again"
        );
        settle();
        assert!(
            counts.columns().current(counts.now()).is_some(),
            "made again"
        );
        assert_eq!(page("username < 'reza.b'"), vec![ids[1], ids[2]]);
    }

    #[test]
    fn updates_creates_and_deletes_are_patched_into_the_columns() {
        let store = Store::open(None).expect("opens");
        let ids: Vec<i64> = store
            .write_blocking(|conn| {
                ["reza.a", "reza.c", "reza.e"]
                    .iter()
                    .map(|name| Ok(insert_user(conn, &NewUserRecord::example(name))?))
                    .collect()
            })
            .expect("creates");
        store.keep_columns_in_memory();
        let started = std::time::Instant::now();
        while !store.columns_settled() {
            assert!(started.elapsed() < std::time::Duration::from_secs(30));
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let counts = store.counts();
        let update = |id: i64, fields: UserFields| {
            store
                .write_blocking(|conn| Ok(update_user(conn, id, &fields)?))
                .expect("updates");
            counts.columns().current(counts.now()).is_some()
        };
        let disable = UserFields {
            status: Some(geobox_api::UserStatus::Disabled),
            ..UserFields::default()
        };
        assert!(update(ids[1], disable), "a status change is patched in");
        let disabled = UserListing {
            status: Some("Disabled".into()),
            order_by: vec![("username", false)],
            limit: 10,
            ..UserListing::default()
        };
        let listed = |listing: &UserListing| {
            store
                .read_blocking(|conn| {
                    let rows = in_snapshot(conn, counts.generation(), |snapshot| {
                        planned_page_by(snapshot, &counts, listing, Choice::Columns)
                    })?
                    .expect("known");
                    Ok(rows.iter().map(|row| row.id).collect::<Vec<i64>>())
                })
                .expect("lists")
        };
        assert_eq!(listed(&disabled), vec![ids[1]], "from the patched columns");
        let rename = |name: &str| UserFields {
            username: Some(name.into()),
            ..UserFields::default()
        };
        assert!(
            update(ids[1], rename("reza.d")),
            "a rename that keeps its place between reza.a and reza.e"
        );
        // reza.f sorts after reza.e: moved to its new place in the username order.
        assert!(update(ids[1], rename("reza.f")), "a rename out of place");
        let after_a = UserListing {
            filter: Some(
                cql::compile("username > 'reza.a'", USER_FIELDS, &UsersFullText).expect("compiles"),
            ),
            order_by: vec![("username", false)],
            limit: 10,
            ..UserListing::default()
        };
        assert_eq!(listed(&after_a), vec![ids[2], ids[1]]);
        // A create is put in its place in every order; a delete leaves an absent place.
        let created = store
            .write_blocking(|conn| Ok(insert_user(conn, &NewUserRecord::example("reza.b"))?))
            .expect("creates");
        assert!(
            counts.columns().current(counts.now()).is_some(),
            "a create is patched in"
        );
        assert_eq!(listed(&after_a), vec![created, ids[2], ids[1]]);
        store
            .write_blocking(|conn| Ok(delete_user(conn, ids[2])?))
            .expect("deletes");
        assert!(counts.columns().current(counts.now()).is_some());
        assert_eq!(listed(&after_a), vec![created, ids[1]]);
    }

    #[test]
    fn a_write_that_rolled_back_changes_nothing_in_the_columns() {
        let store = Store::open(None).expect("opens");
        let ids: Vec<i64> = store
            .write_blocking(|conn| {
                ["reza.a", "reza.b", "reza.c"]
                    .iter()
                    .map(|name| Ok(insert_user(conn, &NewUserRecord::example(name))?))
                    .collect()
            })
            .expect("creates");
        store.keep_columns_in_memory();
        let settle = || {
            let started = std::time::Instant::now();
            while !store.columns_settled() {
                assert!(started.elapsed() < std::time::Duration::from_secs(30));
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        };
        settle();
        let counts = store.counts();
        let refused = store.transaction_blocking(|tx| {
            delete_user(tx, ids[1])?;
            Err::<(), _>(crate::error::ServerError::unprocessable("changed its mind"))
        });
        assert!(refused.is_err());
        let active = UserListing {
            status: Some("Active".into()),
            order_by: vec![("username", false)],
            limit: 10,
            ..UserListing::default()
        };
        let listed = || {
            store
                .read_blocking(|conn| {
                    let rows = in_snapshot(conn, counts.generation(), |snapshot| {
                        planned_page_by(snapshot, &counts, &active, Choice::Columns)
                    })?
                    .expect("known");
                    Ok(rows.iter().map(|row| row.id).collect::<Vec<i64>>())
                })
                .expect("lists")
        };
        assert_eq!(listed(), ids, "the delete was rolled back");
        settle();
        assert!(
            counts.columns().current(counts.now()).is_some(),
            "made anew after the failed write"
        );
        assert_eq!(listed(), ids);
    }

    #[test]
    fn a_kept_order_follows_writes() {
        let store = Store::open(None).expect("opens");
        let names = ["reza.b", "reza.c", "reza.a"];
        let ids: Vec<i64> = store
            .write_blocking(|conn| {
                names
                    .iter()
                    .map(|name| Ok(insert_user(conn, &NewUserRecord::example(name))?))
                    .collect()
            })
            .expect("creates");
        let counts = store.counts();
        let by_username = |skip: u64, choice: Choice| {
            let listing = UserListing {
                order_by: vec![("username", false)],
                skip,
                limit: 2,
                ..UserListing {
                    filter: Some(
                        cql::compile("username LIKE '%reza%'", USER_FIELDS, &UsersFullText)
                            .expect("compiles"),
                    ),
                    ..UserListing::default()
                }
            };
            store
                .read_blocking(|conn| {
                    let rows = in_snapshot(conn, counts.generation(), |snapshot| {
                        planned_page_by(snapshot, &counts, &listing, choice)
                    })?
                    .expect("known");
                    Ok(rows.iter().map(|row| row.id).collect::<Vec<i64>>())
                })
                .expect("lists")
        };
        assert_eq!(by_username(0, Choice::Collect), vec![ids[2], ids[0]]);
        assert_eq!(
            by_username(1, Choice::ByCost),
            vec![ids[0], ids[1]],
            "from the kept order"
        );
        rename(&store, ids[1], "reza.0");
        assert_eq!(
            by_username(0, Choice::ByCost),
            vec![ids[1], ids[2]],
            "the order kept before the rename is not used"
        );
    }
}
