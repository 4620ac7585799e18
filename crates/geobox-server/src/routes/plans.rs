//! `plans/`, `plans/{id}/`, and renewing a user's plan.

use axum::Json;
use axum::extract::{Query, State};
use serde_json::Value;

use super::access::{require_manager, require_may_change};
use super::answer::{load_user, to_json, user_json};
use super::extract::{Params, Segments, parse_id, user_id};
use super::listing::{count_answer, cql_error, keyword_search, order_by};
use crate::auth::Caller;
use crate::cql::{self, NoFullText};
use crate::error::{ServerError, ServerResult};
use crate::state::AppState;
use crate::store::{self, PLAN_FIELDS, PLAN_TEXT_FIELDS, PlanListing};
use crate::validate::UserFields;

pub async fn renew_plan(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = user_id(&id)?;
    require_manager(&caller)?;
    require_may_change(&caller, &load_user(&state.store, id).await?)?;
    state
        .store
        .transaction(move |tx| {
            // Read in the writing transaction: a renewal that ran meanwhile counts.
            let target = store::find_user(tx, id)?
                .ok_or_else(|| ServerError::not_found(format!("user {id} not found")))?;
            let plan = match target.plan_id {
                Some(plan_id) => store::find_plan(tx, plan_id)?,
                None => None,
            }
            .ok_or_else(|| ServerError::unprocessable(format!("user {id} has no plan to renew")))?;
            let Some(days) = plan.number_of_days.filter(|days| *days > 0) else {
                return Err(ServerError::unprocessable(format!(
                    "plan '{}' has no number_of_days: it does not expire",
                    plan.label()
                )));
            };
            let renewed = store::renewed_expiration(
                target.expiration_date.as_deref(),
                chrono::Utc::now().date_naive(),
                days,
            )
            .map_err(ServerError::unprocessable)?;
            let renewed = UserFields {
                expiration_date: Some(Some(renewed.format("%Y-%m-%d").to_string())),
                ..UserFields::default()
            };
            store::update_user(tx, id, &renewed)?;
            Ok(())
        })
        .await?;
    user_json(&state.store, id).await
}

pub async fn list_plans(
    State(state): State<AppState>,
    Caller(_caller): Caller,
    query: Query<Vec<(String, String)>>,
) -> ServerResult<Json<Value>> {
    let params = Params::from(query);
    params.flag("shared")?;
    let (skip, limit) = params.page()?;
    let listing = PlanListing {
        filter: params
            .text("q")
            .map(|q| cql::compile(q, PLAN_FIELDS, &NoFullText).map_err(cql_error))
            .transpose()?,
        search: keyword_search(&params, PLAN_TEXT_FIELDS)?,
        order_by: order_by(params.text("order_by"), PLAN_FIELDS)?,
        skip,
        limit,
    };
    if params.flag("return_count")? {
        return count_answer(&state.store, move |conn| store::count_plans(conn, &listing)).await;
    }
    let plans = state
        .store
        .read(move |conn| Ok(store::list_plans(conn, &listing)?))
        .await?;
    to_json(plans)
}

pub async fn get_plan(
    State(state): State<AppState>,
    Caller(_caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = parse_id(&id, "plan_id")?;
    let plan = state
        .store
        .read(move |conn| Ok(store::find_plan(conn, id)?))
        .await?
        .ok_or_else(|| ServerError::not_found(format!("plan {id} not found")))?;
    to_json(plan)
}
