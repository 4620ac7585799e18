//! What handlers answer with: users and plans as JSON, short confirmations.

use std::sync::Arc;

use axum::Json;
use serde_json::{Value, json};

use crate::error::{ServerError, ServerResult};
use crate::store::{self, Store, UserRow};

/// The user `id`, or 404.
pub async fn load_user(store: &Arc<Store>, id: i64) -> ServerResult<UserRow> {
    store
        .read(move |conn| Ok(store::find_user(conn, id)?))
        .await?
        .ok_or_else(|| ServerError::not_found(format!("user {id} not found")))
}

pub fn to_json(value: impl serde::Serialize) -> ServerResult<Json<Value>> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|error| ServerError::Internal(error.to_string()))
}

/// Users as the wire wants them, plans expanded.
pub async fn users_json(store: &Arc<Store>, rows: Vec<UserRow>) -> ServerResult<Json<Value>> {
    let plans = store.read(|conn| Ok(store::plans_by_id(conn)?)).await?;
    let users: Vec<_> = rows.iter().map(|row| row.to_api(&plans)).collect();
    to_json(users)
}

/// One user as the wire wants it.
pub async fn row_json(store: &Arc<Store>, row: UserRow) -> ServerResult<Json<Value>> {
    let Json(mut list) = users_json(store, vec![row]).await?;
    Ok(Json(
        list.get_mut(0).map(Value::take).unwrap_or(Value::Null),
    ))
}

/// A user as stored now (after a write), as the wire wants it.
pub async fn user_json(store: &Arc<Store>, id: i64) -> ServerResult<Json<Value>> {
    row_json(store, load_user(store, id).await?).await
}

pub fn done(message: &str) -> Json<Value> {
    Json(json!({ "detail": message }))
}
