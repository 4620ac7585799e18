//! `users/{id}/members`: a user's sub-users.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::MAX_LIMIT;
use super::access::{readable_user, require_manager, require_may_change};
use super::answer::{load_user, user_json, users_json};
use super::extract::{Segments, parse_id, user_id};
use crate::auth::Caller;
use crate::error::{ServerError, ServerResult};
use crate::state::AppState;
use crate::store::{self, Principal};

pub async fn list_members(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = readable_user(&state, &caller, &id).await?.id;
    let rows = state
        .store
        .read(move |conn| Ok(store::list_members(conn, id, MAX_LIMIT)?))
        .await?;
    users_json(&state.store, rows).await
}

/// `users/{user_id}/members/{member_id}`: both ids, when the caller manages users.
pub fn membership(caller: &Principal, id: &str, member_id: &str) -> ServerResult<(i64, i64)> {
    let ids = (user_id(id)?, parse_id(member_id, "member_id")?);
    require_manager(caller)?;
    Ok(ids)
}

pub async fn add_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, member_id)): Segments<(String, String)>,
) -> ServerResult<Json<Value>> {
    let (id, member_id) = membership(&caller, &id, &member_id)?;
    // Giving someone a member changes them as much as it changes the member.
    require_may_change(&caller, &load_user(&state.store, id).await?)?;
    let member = load_user(&state.store, member_id).await?;
    require_may_change(&caller, &member)?;
    state
        .store
        .transaction(move |tx| {
            if store::is_ancestor_or_self(tx, member_id, id)? {
                return Err(ServerError::field(
                    "path",
                    "member_id",
                    format!(
                        "user {member_id} cannot be a member of user {id}: that would make a cycle"
                    ),
                    "value_error",
                ));
            }
            store::set_parent(tx, member_id, Some(id))?;
            Ok(())
        })
        .await?;
    user_json(&state.store, member_id).await
}

pub async fn remove_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, member_id)): Segments<(String, String)>,
) -> ServerResult<Json<Value>> {
    let (id, member_id) = membership(&caller, &id, &member_id)?;
    // Taking a member away changes the parent as much as adding one does.
    require_may_change(&caller, &load_user(&state.store, id).await?)?;
    let member = load_user(&state.store, member_id).await?;
    if member.parent_id != Some(id) {
        return Err(ServerError::not_found(format!(
            "user {member_id} is not a member of user {id}"
        )));
    }
    require_may_change(&caller, &member)?;
    state
        .store
        .write(move |conn| Ok(store::set_parent(conn, member_id, None)?))
        .await?;
    user_json(&state.store, member_id).await
}
