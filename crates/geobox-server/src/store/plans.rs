//! Plans: reading them, listing and counting them.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};
use serde_json::Map;

use super::listing::like_escape;
use crate::cql::{Field, FieldKind, SqlFilter};
use crate::validate::{iso_date, latest_date};
use geobox_api::Plan;

/// The plan fields a filter or a sort may name (a handful of rows: no indexes needed).
pub const PLAN_FIELDS: &[Field] = &[
    Field::new("id", FieldKind::Integer),
    Field::new("name", FieldKind::Text),
    Field::new("display_name", FieldKind::Text),
    Field::new("description", FieldKind::Text),
    Field::new("plan_color", FieldKind::Text),
    Field::new("storage", FieldKind::Integer),
    Field::new("concurrent_tasks", FieldKind::Integer),
    Field::new("daily_api_calls", FieldKind::Integer),
    Field::new("monthly_api_calls", FieldKind::Integer),
    Field::new("daily_traffic", FieldKind::Integer),
    Field::new("monthly_traffic", FieldKind::Integer),
    Field::new("daily_process", FieldKind::Integer),
    Field::new("monthly_process", FieldKind::Integer),
    Field::new("number_of_days", FieldKind::Integer),
    Field::new("created_at", FieldKind::Date),
];

/// The text fields of a plan that `search` looks at.
pub const PLAN_TEXT_FIELDS: &[&str] = &["name", "display_name", "description"];

const PLAN_COLUMNS: &str = "id, name, display_name, description, plan_color, storage, \
     concurrent_tasks, daily_api_calls, monthly_api_calls, daily_traffic, monthly_traffic, \
     daily_process, monthly_process, number_of_days, created_at";

fn plan_from_row(row: &Row<'_>) -> rusqlite::Result<Plan> {
    let mut extra = Map::new();
    extra.insert(
        "description".into(),
        row.get::<_, Option<String>>(3)?.into(),
    );
    extra.insert("created_at".into(), row.get::<_, String>(14)?.into());
    Ok(Plan {
        id: row.get(0)?,
        name: row.get(1)?,
        display_name: row.get(2)?,
        plan_color: row.get(4)?,
        storage: row.get(5)?,
        concurrent_tasks: row.get(6)?,
        daily_api_calls: row.get(7)?,
        monthly_api_calls: row.get(8)?,
        daily_traffic: row.get(9)?,
        monthly_traffic: row.get(10)?,
        daily_process: row.get(11)?,
        monthly_process: row.get(12)?,
        number_of_days: row.get(13)?,
        extra,
    })
}

/// Every plan by id (a handful: read whole for each answer that embeds plans).
pub fn plans_by_id(conn: &Connection) -> rusqlite::Result<HashMap<i64, Plan>> {
    let mut statement = conn.prepare_cached(&format!("SELECT {PLAN_COLUMNS} FROM plans"))?;
    let plans = statement.query_map([], plan_from_row)?;
    plans.map(|plan| plan.map(|plan| (plan.id, plan))).collect()
}

pub fn find_plan(conn: &Connection, id: i64) -> rusqlite::Result<Option<Plan>> {
    conn.prepare_cached(&format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?"))?
        .query_row([id], plan_from_row)
        .optional()
}

/// The expiration a renewal by `days` gives: from the current one when it is still ahead,
/// from today otherwise. Past 9999-12-31 is an error saying so: a five-digit year would not
/// be an ISO date, and the renewal after it would start again from today.
pub fn renewed_expiration(
    current: Option<&str>,
    today: NaiveDate,
    days: i64,
) -> Result<NaiveDate, String> {
    let current = current.and_then(iso_date);
    let start = current.map_or(today, |current| current.max(today));
    let latest = latest_date();
    chrono::Duration::try_days(days)
        .and_then(|days| start.checked_add_signed(days))
        .filter(|renewed| *renewed <= latest)
        .ok_or_else(|| {
            format!(
                "renewing by {days} days from {start} would pass {latest}, the latest date stored"
            )
        })
}

/// A validated plan listing.
#[derive(Clone, Debug, Default)]
pub struct PlanListing {
    pub filter: Option<SqlFilter>,
    pub search: Option<(String, Vec<&'static str>)>,
    pub order_by: Vec<(&'static str, bool)>,
    pub skip: u64,
    pub limit: u64,
}

fn plan_where(listing: &PlanListing) -> (String, Vec<Value>) {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(filter) = &listing.filter {
        conditions.push(filter.sql.clone());
        values.extend(filter.params.iter().cloned());
    } else if let Some((terms, columns)) = &listing.search {
        for term in terms.split_whitespace() {
            let ors: Vec<String> = columns
                .iter()
                .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
                .collect();
            conditions.push(format!("({})", ors.join(" OR ")));
            values.extend(columns.iter().map(|_| Value::Text(like_escape(term))));
        }
    }
    if conditions.is_empty() {
        (String::new(), values)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), values)
    }
}

pub fn list_plans(conn: &Connection, listing: &PlanListing) -> rusqlite::Result<Vec<Plan>> {
    let (where_sql, mut values) = plan_where(listing);
    let mut order: Vec<String> = listing
        .order_by
        .iter()
        .map(|(column, descending)| {
            format!("{column} {}", if *descending { "DESC" } else { "ASC" })
        })
        .collect();
    order.push("id ASC".to_string());
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM plans{where_sql} ORDER BY {} LIMIT ? OFFSET ?",
        order.join(", ")
    );
    values.push(Value::Integer(
        i64::try_from(listing.limit).unwrap_or(i64::MAX),
    ));
    values.push(Value::Integer(
        i64::try_from(listing.skip).unwrap_or(i64::MAX),
    ));
    let mut statement = conn.prepare(&sql)?;
    let plans = statement.query_map(params_from_iter(values), plan_from_row)?;
    plans.collect()
}

pub fn count_plans(conn: &Connection, listing: &PlanListing) -> rusqlite::Result<u64> {
    let (where_sql, values) = plan_where(listing);
    conn.prepare(&format!("SELECT count(*) FROM plans{where_sql}"))?
        .query_row(params_from_iter(values), |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        iso_date(text).expect("a date")
    }

    #[test]
    fn a_renewal_counts_from_the_later_of_today_and_the_current_expiration() {
        let today = date("2026-01-10");
        assert_eq!(
            renewed_expiration(Some("2026-03-01"), today, 30),
            Ok(date("2026-03-31"))
        );
        assert_eq!(
            renewed_expiration(Some("2025-03-01"), today, 30),
            Ok(date("2026-02-09"))
        );
        assert_eq!(renewed_expiration(None, today, 1), Ok(date("2026-01-11")));
    }

    #[test]
    fn a_renewal_past_year_9999_is_refused_not_stored() {
        let today = date("2026-01-10");
        assert_eq!(
            renewed_expiration(Some("9999-12-01"), today, 30),
            Ok(date("9999-12-31"))
        );
        let error = renewed_expiration(Some("9999-12-01"), today, 31).expect_err("too far");
        assert!(error.contains("9999-12-31"), "{error}");
        assert!(renewed_expiration(None, today, i64::MAX).is_err());
    }
}
