//! Listing users: which fields a filter, sort or search may name, the list planner, keyword
//! search, and counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::columns::Columns;
use super::keeper::ColumnSlot;
use super::orders::OrderCache;
use super::snapshot::{Generation, Snapshot};
use super::users::{USER_COLUMNS, UserRow, user_from_row};
use crate::cql::{Field, FieldKind, FullTextHint, SqlFilter};
use geobox_api::{UserRole, UserStatus};

/// The user fields a filter, a sort or `search_fields` may name. Each has an index.
pub const USER_FIELDS: &[Field] = &[
    Field::new("id", FieldKind::Integer),
    Field::new("username", FieldKind::FullText),
    Field::new("email", FieldKind::FullText),
    Field::new("first_name", FieldKind::FullText),
    Field::new("last_name", FieldKind::FullText),
    Field::new("mobile", FieldKind::FullText),
    Field::new("role", FieldKind::Enum(UserRole::WIRE)),
    Field::new("status", FieldKind::Enum(UserStatus::WIRE)),
    Field::new("plan_id", FieldKind::Integer),
    Field::new("expiration_date", FieldKind::Date),
    Field::new("parent_id", FieldKind::Integer),
    Field::new("created_at", FieldKind::Date),
    Field::new("updated_at", FieldKind::Date),
    Field::new("last_login", FieldKind::Date),
];

/// The user fields keyword search covers (the columns of the FTS index).
pub const SEARCH_FIELDS: &[&str] = &["username", "email", "first_name", "last_name", "mobile"];

/// A validated user listing: which rows, in which order, which page.
#[derive(Clone, Debug, Default)]
pub struct UserListing {
    pub status: Option<String>,
    pub filter: Option<SqlFilter>,
    /// Keyword search terms and the columns they look at.
    pub search: Option<(String, Vec<&'static str>)>,
    pub parent_id: Option<i64>,
    /// `(column, descending)`
    pub order_by: Vec<(&'static str, bool)>,
    pub skip: u64,
    pub limit: u64,
}

/// The FTS index as a CQL hint: substring LIKEs on text columns can use it.
pub struct UsersFullText;

impl FullTextHint for UsersFullText {
    fn candidates(&self, column: &str, needle: &str) -> Option<(String, Value)> {
        SEARCH_FIELDS.contains(&column).then(|| {
            (
                FTS_ROWIDS.to_string(),
                Value::Text(format!("{{{column}}} : {}", fts_phrase(needle))),
            )
        })
    }
}

/// A string as one FTS5 phrase: quoted, inner quotes doubled.
pub(super) fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

pub(super) fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// The WHERE of a listing, with the full-text match kept apart: how it joins depends on the
/// query (see [`list_users`] and [`count_users`]).
#[derive(Default)]
pub(super) struct Where {
    /// An FTS5 query every row must match.
    pub(super) full_text: Option<String>,
    pub(super) conditions: Vec<String>,
    pub(super) values: Vec<Value>,
}

impl Where {
    /// One more condition: `term` is a substring (ASCII case ignored) of one of `columns`.
    pub(super) fn contains_in_any(&mut self, term: &str, columns: &[&'static str]) {
        let ors: Vec<String> = columns
            .iter()
            .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
            .collect();
        self.conditions.push(format!("({})", ors.join(" OR ")));
        self.values
            .extend(columns.iter().map(|_| Value::Text(like_escape(term))));
    }

    /// `" WHERE a AND b"` (or nothing), with extra leading conditions.
    pub(super) fn sql(&self, extra: &[&str]) -> String {
        let all: Vec<&str> = extra
            .iter()
            .copied()
            .chain(self.conditions.iter().map(String::as_str))
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", all.join(" AND "))
        }
    }
}

/// The keyword search: every term must appear in one of `columns`. Terms of three characters
/// or more go through the trigram index; shorter ones, which a trigram index cannot answer,
/// through LIKE.
fn add_search(terms: &str, columns: &[&'static str], clause: &mut Where) {
    let mut phrases = Vec::new();
    for term in terms.split_whitespace() {
        if term.chars().count() >= 3 {
            phrases.push(fts_phrase(term));
        } else {
            clause.contains_in_any(term, columns);
        }
    }
    if !phrases.is_empty() {
        let phrases = phrases.join(" AND ");
        // A filter naming every column of the index costs a third more than none at all.
        let every_column = SEARCH_FIELDS.iter().all(|field| columns.contains(field));
        clause.full_text = Some(if every_column {
            format!("({phrases})")
        } else {
            format!("{{{}}} : ({phrases})", columns.join(" "))
        });
    }
}

pub(super) fn listing_where(listing: &UserListing) -> Where {
    let mut clause = Where::default();
    if let Some(status) = &listing.status {
        clause.conditions.push("status = ?".to_string());
        clause.values.push(Value::Text(status.clone()));
    }
    if let Some(parent_id) = listing.parent_id {
        clause.conditions.push("parent_id = ?".to_string());
        clause.values.push(Value::Integer(parent_id));
    }
    if let Some(filter) = &listing.filter {
        clause.conditions.push(filter.sql.clone());
        clause.values.extend(filter.params.iter().cloned());
    } else if let Some((terms, columns)) = &listing.search {
        add_search(terms, columns, &mut clause);
    }
    clause
}

/// The ids of the users a full-text query (the one `?`) matches: every user has one row there.
macro_rules! fts_rowids {
    () => {
        "SELECT rowid FROM users_fts WHERE users_fts MATCH ?"
    };
}
pub(super) const FTS_ROWIDS: &str = fts_rowids!();
/// The full-text match as a condition on `users`.
pub(super) const IN_FTS: &str = concat!("id IN (", fts_rowids!(), ")");

/// The general plan, for shapes the planner (`planner.rs`) does not know: SQLite's own choice
/// within `budget`, then finding every match and sorting.
pub(super) fn list_users_within(
    conn: &Connection,
    listing: &UserListing,
    budget: std::time::Duration,
) -> rusqlite::Result<Vec<UserRow>> {
    let clause = listing_where(listing);
    let by_id_only = listing.order_by.iter().all(|(column, _)| *column == "id");
    let first_descending = listing
        .order_by
        .first()
        .is_some_and(|(_, descending)| *descending);
    let direction = |descending: bool| if descending { "DESC" } else { "ASC" };
    let mut values = Vec::new();
    let sql = match &clause.full_text {
        Some(query) if by_id_only => {
            // Walk the full-text matches in id order and stop at the page: a common word
            // (thousands of matches) costs what a rare one does.
            values.push(Value::Text(query.clone()));
            values.extend(clause.values.iter().cloned());
            format!(
                "SELECT {USER_COLUMNS} FROM (SELECT rowid AS match_id FROM users_fts \
                 WHERE users_fts MATCH ? ORDER BY rowid) AS matches \
                 CROSS JOIN users ON users.id = matches.match_id{} \
                 ORDER BY matches.match_id {} LIMIT ? OFFSET ?",
                clause.sql(&[]),
                direction(first_descending)
            )
        }
        _ => {
            let mut extra: Vec<&str> = Vec::new();
            if let Some(query) = &clause.full_text {
                values.push(Value::Text(query.clone()));
                extra.push(IN_FTS);
            }
            values.extend(clause.values.iter().cloned());
            let mut order: Vec<(&str, bool)> = listing.order_by.clone();
            if !order.iter().any(|(column, _)| *column == "id") {
                // A stable tie-breaker in the first key's direction keeps index order usable.
                order.push(("id", first_descending));
            }
            let order_sql = |prefix: &str| -> String {
                order
                    .iter()
                    .map(|(column, descending)| {
                        format!("{prefix}{column} {}", direction(*descending))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let where_sql = clause.sql(&extra);
            values.push(Value::Integer(
                i64::try_from(listing.limit).unwrap_or(i64::MAX),
            ));
            values.push(Value::Integer(
                i64::try_from(listing.skip).unwrap_or(i64::MAX),
            ));
            let natural = format!(
                "SELECT {USER_COLUMNS} FROM users{where_sql} ORDER BY {} LIMIT ? OFFSET ?",
                order_sql("")
            );
            if where_sql.is_empty() {
                return query_users(conn, &natural, values);
            }
            // SQLite prefers walking an index in the requested order and filtering as it goes:
            // instant when matches come early, slow when they sit deep in that order (say,
            // users created after 2022 when ids follow creation). The other way, finding
            // every match through the best index for the filter and sorting their ids (the
            // `+` hides the order from the planner), has the opposite profile. Give the first
            // a small budget, then fall back to the second.
            match with_budget(conn, budget, || query_users(conn, &natural, values.clone())) {
                Err(error) if is_interrupt(&error) => {
                    let sorted = format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE id IN (\
                         SELECT id FROM users{where_sql} ORDER BY {} LIMIT ? OFFSET ?) \
                         ORDER BY {}",
                        order_sql("+"),
                        order_sql("")
                    );
                    return query_users(conn, &sorted, values);
                }
                other => return other,
            }
        }
    };
    values.push(Value::Integer(
        i64::try_from(listing.limit).unwrap_or(i64::MAX),
    ));
    values.push(Value::Integer(
        i64::try_from(listing.skip).unwrap_or(i64::MAX),
    ));
    query_users(conn, &sql, values)
}

/// How long an id-ordered walk may try before the sort-based plan takes over.
pub(super) const PLAN_BUDGET: std::time::Duration = std::time::Duration::from_millis(6);

fn query_users(conn: &Connection, sql: &str, values: Vec<Value>) -> rusqlite::Result<Vec<UserRow>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params_from_iter(values), user_from_row)?;
    rows.collect()
}

/// Runs `work`, interrupting its statement once `budget` has passed.
pub(super) fn with_budget<T>(
    conn: &Connection,
    budget: std::time::Duration,
    work: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + budget;
    conn.progress_handler(1_000, Some(move || std::time::Instant::now() > deadline));
    let result = work();
    conn.progress_handler(0, None::<fn() -> bool>);
    result
}

pub(super) fn is_interrupt(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == rusqlite::ErrorCode::OperationInterrupted
    )
}

/// Counts already made, each good for the generation of the data it was counted from (see
/// `snapshot.rs`), with the other things made from one generation: kept sort orders and the
/// in-memory columns.
#[derive(Debug, Default)]
pub struct CountCache {
    generation: Arc<Generation>,
    /// The filter's SQL and values -> (generation it was counted in, count).
    counts: Mutex<HashMap<String, (u64, u64)>>,
    /// Whole sort orders of filters' matches, good for the same generations.
    orders: OrderCache,
    /// Every user's status, role and sort places, made from one generation.
    columns: Arc<ColumnSlot>,
}

/// Different filters remembered at most; the whole cache is dropped past it.
const MAX_CACHED_COUNTS: usize = 256;

impl CountCache {
    /// The counter every write to `users` moves on.
    pub(super) fn generation(&self) -> &Arc<Generation> {
        &self.generation
    }

    /// The data's generation now (odd while a write is under way).
    pub(super) fn now(&self) -> u64 {
        self.generation.now()
    }

    pub(super) fn orders(&self) -> &OrderCache {
        &self.orders
    }

    pub(super) fn columns(&self) -> &Arc<ColumnSlot> {
        &self.columns
    }

    /// The in-memory columns of the data `snapshot` reads, when they are made.
    pub(super) fn columns_of(&self, snapshot: &Snapshot<'_>) -> Option<Arc<Columns>> {
        snapshot
            .generation
            .and_then(|generation| self.columns.current(generation))
    }

    pub(super) fn key(clause: &Where) -> String {
        format!(
            "{:?}|{:?}|{:?}",
            clause.full_text, clause.conditions, clause.values
        )
    }

    /// The count of `clause` when one is known for the data `snapshot` reads.
    pub(super) fn cached(&self, snapshot: &Snapshot<'_>, clause: &Where) -> Option<u64> {
        let generation = snapshot.generation?;
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts
            .get(&Self::key(clause))
            .filter(|(counted_in, _)| *counted_in == generation)
            .map(|(_, count)| *count)
    }

    /// The count of `clause` in `snapshot`, counted only when not known for its data.
    pub(super) fn count(&self, snapshot: &Snapshot<'_>, clause: &Where) -> rusqlite::Result<u64> {
        if let Some(count) = self.cached(snapshot, clause) {
            return Ok(count);
        }
        let count = count_where(snapshot, clause)?;
        self.remember(snapshot, clause, count);
        Ok(count)
    }

    /// Files `count` for `clause` as counted in `snapshot`, unless its generation is unknown or
    /// a count of newer data is filed already.
    pub(super) fn remember(&self, snapshot: &Snapshot<'_>, clause: &Where, count: u64) {
        let Some(generation) = snapshot.generation else {
            return;
        };
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let key = Self::key(clause);
        if counts
            .get(&key)
            .is_some_and(|(counted_in, _)| *counted_in > generation)
        {
            return;
        }
        if counts.len() >= MAX_CACHED_COUNTS {
            counts.clear();
        }
        counts.insert(key, (generation, count));
    }
}

fn count_where(conn: &Connection, clause: &Where) -> rusqlite::Result<u64> {
    let (sql, values) = select_matching("count(*)", clause);
    conn.prepare_cached(&sql)?
        .query_row(params_from_iter(values), |row| row.get(0))
}

/// `SELECT what` over the users `clause` matches (`rowid` is each user's id), and its values.
/// A full-text match alone is answered by the index without touching a row: every user has
/// exactly one row there.
pub(super) fn select_matching(what: &str, clause: &Where) -> (String, Vec<Value>) {
    match &clause.full_text {
        Some(query) if clause.conditions.is_empty() => (
            format!("SELECT {what} FROM users_fts WHERE users_fts MATCH ?"),
            vec![Value::Text(query.clone())],
        ),
        Some(query) => {
            let mut values = vec![Value::Text(query.clone())];
            values.extend(clause.values.iter().cloned());
            (
                format!("SELECT {what} FROM users{}", clause.sql(&[IN_FTS])),
                values,
            )
        }
        None => (
            format!("SELECT {what} FROM users{}", clause.sql(&[])),
            clause.values.clone(),
        ),
    }
}

pub fn list_members(
    conn: &Connection,
    parent_id: i64,
    limit: u64,
) -> rusqlite::Result<Vec<UserRow>> {
    let members = UserListing {
        parent_id: Some(parent_id),
        limit,
        ..Default::default()
    };
    list_users_within(conn, &members, PLAN_BUDGET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewUserRecord, Store, insert_user, update_user};
    use crate::validate::UserFields;

    #[test]
    fn keyword_search_follows_updates_through_the_triggers() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| {
                let id = insert_user(conn, &NewUserRecord::example("ali.rezaei"))?;
                insert_user(conn, &NewUserRecord::example("sara"))?;
                let renamed = UserFields {
                    last_name: Some(Some("Karimi".into())),
                    ..UserFields::default()
                };
                update_user(conn, id, &renamed)?;
                Ok(())
            })
            .expect("writes");
        let listing = |terms: &str, columns: Vec<&'static str>| UserListing {
            search: Some((terms.to_string(), columns)),
            limit: 10,
            ..Default::default()
        };
        let names = |listing: UserListing| -> Vec<String> {
            store
                .read_blocking(|conn| Ok(list_users_within(conn, &listing, PLAN_BUDGET)?))
                .expect("lists")
                .into_iter()
                .map(|user| user.username)
                .collect()
        };
        assert_eq!(
            names(listing("KARIM", SEARCH_FIELDS.to_vec())),
            ["ali.rezaei"]
        );
        assert!(names(listing("ahmadi", vec!["last_name"])).contains(&"sara".to_string()));
        assert_eq!(names(listing("ahmadi", vec!["last_name"])).len(), 1);
        assert_eq!(names(listing("sa", vec!["username"])), ["sara"]);
        assert_eq!(names(listing("ali", vec!["email"])), ["ali.rezaei"]);
    }

    #[test]
    fn both_plans_give_the_same_pages() {
        let store = Store::open(None).expect("opens");
        store
            .write_blocking(|conn| Ok(crate::seed::seed(conn, 600, 3, "hash")?))
            .expect("seeds");
        let filter = |cql: &str| {
            Some(crate::cql::compile(cql, USER_FIELDS, &UsersFullText).expect("compiles"))
        };
        let listings = [
            UserListing {
                filter: filter("role = 'Editor' AND created_at > '2022-01-01'"),
                skip: 5,
                limit: 20,
                ..Default::default()
            },
            UserListing {
                status: Some("Active".into()),
                order_by: vec![("last_name", true), ("first_name", false)],
                skip: 0,
                limit: 30,
                ..Default::default()
            },
            UserListing {
                filter: filter("username LIKE '%a%' OR mobile IS NULL"),
                order_by: vec![("created_at", true)],
                skip: 40,
                limit: 25,
                ..Default::default()
            },
        ];
        for listing in listings {
            let (natural, sorted) = store
                .read_blocking(|conn| {
                    Ok((
                        list_users_within(conn, &listing, std::time::Duration::from_secs(60))?,
                        list_users_within(conn, &listing, std::time::Duration::ZERO)?,
                    ))
                })
                .expect("lists");
            assert!(!natural.is_empty(), "{listing:?}");
            assert_eq!(natural, sorted, "{listing:?}");
        }
    }
}
