//! `users/`, `users/search/` and `users/{id}/`: list, search, read, create, update, delete.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde_json::Value;

use super::access::{
    changeable_user, only_system_admin_grants, readable_user, require_manager,
    require_may_administer, require_may_delete,
};
use super::answer::{done, load_user, row_json, user_json, users_json};
use super::extract::{Params, Segments, json_body, user_id};
use super::listing::{count_answer, cql_error, keyword_search, order_by, search_words};
use crate::auth::{self, Caller};
use crate::cql;
use crate::error::{FieldIssue, ServerError, ServerResult};
use crate::state::AppState;
use crate::store::{
    self, NewUserRecord, SEARCH_FIELDS, Store, USER_FIELDS, UserListing, UsersFullText,
};
use crate::validate::{UserFields, Writing, quoted_choices};
use geobox_api::Denied;
use geobox_api::{UserRole, UserStatus};

pub fn user_listing(params: &Params) -> ServerResult<UserListing> {
    let status = params
        .text("status")
        .map(|status| {
            UserStatus::WIRE
                .iter()
                .find(|known| **known == status)
                .map(|known| known.to_string())
                .ok_or_else(|| {
                    ServerError::field(
                        "query",
                        "status",
                        format!("Input should be {}", quoted_choices(UserStatus::WIRE)),
                        "enum",
                    )
                })
        })
        .transpose()?;
    let filter = params
        .text("q")
        .map(|q| cql::compile(q, USER_FIELDS, &UsersFullText).map_err(cql_error))
        .transpose()?;
    let search = keyword_search(params, SEARCH_FIELDS)?;
    let parent_id = match params.text("user_id") {
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ServerError::field(
                "query",
                "user_id",
                "Input should be a valid integer",
                "int_parsing",
            )
        })?),
        None => None,
    };
    let (skip, limit) = params.page()?;
    Ok(UserListing {
        status,
        filter,
        search,
        parent_id,
        order_by: order_by(params.text("order_by"), USER_FIELDS)?,
        skip,
        limit,
    })
}

pub async fn list_users(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Query<Vec<(String, String)>>,
) -> ServerResult<Json<Value>> {
    require_manager(&caller)?;
    let params = Params::from(query);
    params.flag("shared")?;
    let listing = user_listing(&params)?;
    if params.flag("return_count")? {
        let counts = state.store.counts();
        return count_answer(&state.store, move |conn| {
            store::count_users(conn, &counts, &listing)
        })
        .await;
    }
    listed_users(&state.store, listing).await
}

pub async fn search_users(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Query<Vec<(String, String)>>,
) -> ServerResult<Json<Value>> {
    require_manager(&caller)?;
    let params = Params::from(query);
    let (skip, limit) = params.page()?;
    let listing = UserListing {
        search: search_words(&params)?.map(|terms| (terms, SEARCH_FIELDS.to_vec())),
        skip,
        limit,
        ..Default::default()
    };
    listed_users(&state.store, listing).await
}

/// One page of a user listing, as the wire wants it.
async fn listed_users(store: &Arc<Store>, listing: UserListing) -> ServerResult<Json<Value>> {
    let rows = store
        .read({
            let counts = store.counts();
            move |conn| Ok(store::list_users(conn, &counts, &listing)?)
        })
        .await?;
    users_json(store, rows).await
}

pub async fn get_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    // `users/me/` is a path of its own in the contract; every other path takes an integer.
    let user = if id == "me" {
        load_user(&state.store, caller.user.id).await?
    } else {
        readable_user(&state, &caller, &id).await?
    };
    row_json(&state.store, user).await
}

pub async fn create_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ServerResult<Json<Value>> {
    require_manager(&caller)?;
    let fields = UserFields::parse(&json_body(&body)?, Writing::Create)?;
    let role = fields.role.unwrap_or(UserRole::Viewer);
    only_system_admin_grants(&caller, Some(&role))?;
    let (Some(username), Some(password)) = (fields.username, fields.password) else {
        return Err(ServerError::Internal("validated fields missing".into()));
    };
    let hash = auth::hash_off_runtime(password.expose().to_string()).await?;
    let record = NewUserRecord {
        username,
        email: fields.email,
        first_name: fields.first_name.flatten(),
        last_name: fields.last_name.flatten(),
        mobile: fields.mobile.flatten(),
        role,
        status: fields.status.unwrap_or(UserStatus::Active),
        plan_id: None,
        expiration_date: None,
        parent_id: None,
        password_hash: hash,
        created_at: store::now(),
    };
    let id = state
        .store
        .transaction(move |tx| {
            unique_fields(tx, Some(&record.username), record.email.as_deref(), None)?;
            let id = store::insert_user(tx, &record)?;
            Ok(id)
        })
        .await?;
    user_json(&state.store, id).await
}

pub async fn update_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
    body: Bytes,
) -> ServerResult<Json<Value>> {
    let id = changeable_user(&state, &caller, &id).await?.id;
    let fields = UserFields::parse(&json_body(&body)?, Writing::Update)?;
    if fields.are_privileged() {
        require_may_administer(&caller, id)?;
    }
    only_system_admin_grants(&caller, fields.role.as_ref())?;
    state
        .store
        .transaction(move |tx| {
            unique_fields(
                tx,
                fields.username.as_deref(),
                fields.email.as_deref(),
                Some(id),
            )?;
            keeps_an_active_system_admin(tx, id, &fields)?;
            if let Some(Some(plan_id)) = fields.plan_id
                && store::find_plan(tx, plan_id)?.is_none()
            {
                return Err(ServerError::field(
                    "body",
                    "plan_id",
                    format!("plan {plan_id} does not exist"),
                    "value_error",
                ));
            }
            store::update_user(tx, id, &fields)?;
            // Disabling signs the user out everywhere, so enabling them again later does not
            // bring a stolen token back to life.
            if fields.status == Some(UserStatus::Disabled) {
                store::delete_sessions_except(tx, id, None)?;
            }
            Ok(())
        })
        .await?;
    user_json(&state.store, id).await
}

/// A username or email another user has already is a 422 naming the field (both at once when
/// both are taken); emails are compared without regard to case.
fn unique_fields(
    conn: &rusqlite::Connection,
    username: Option<&str>,
    email: Option<&str>,
    except: Option<i64>,
) -> ServerResult<()> {
    let mut issues = Vec::new();
    if let Some(name) = username
        && store::username_taken(conn, name, except)?
    {
        issues.push(taken("username", name));
    }
    if let Some(email) = email
        && store::email_taken(conn, email, except)?
    {
        issues.push(taken("email", email));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ServerError::Validation(issues))
    }
}

fn taken(field: &str, value: &str) -> FieldIssue {
    FieldIssue {
        loc: vec!["body".into(), field.into()],
        msg: format!("{field} '{value}' is already taken"),
        kind: "value_error",
    }
}

/// A deployment without an active System Admin cannot get one back through the API: the last
/// one may not demote or disable themselves (or be demoted or disabled).
fn keeps_an_active_system_admin(
    conn: &rusqlite::Connection,
    id: i64,
    fields: &UserFields,
) -> ServerResult<()> {
    let demoted = fields
        .role
        .as_ref()
        .is_some_and(|role| *role != UserRole::SystemAdmin);
    let disabled = fields.status == Some(UserStatus::Disabled);
    if !demoted && !disabled {
        return Ok(());
    }
    let Some(target) = store::find_user(conn, id)? else {
        return Ok(());
    };
    if target.role() != UserRole::SystemAdmin
        || target.is_disabled()
        || store::active_system_admins(conn)? > 1
    {
        return Ok(());
    }
    let (field, change) = if demoted {
        ("role", "take the System Admin role from")
    } else {
        ("status", "disable")
    };
    Err(ServerError::field(
        "body",
        field,
        format!(
            "cannot {change} the last active System Admin: make another user a System Admin first"
        ),
        "value_error",
    ))
}

pub async fn delete_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = user_id(&id)?;
    require_manager(&caller)?;
    if id == caller.user.id {
        return Err(ServerError::forbidden(Denied::DeleteSelf.reason()));
    }
    let target = load_user(&state.store, id).await?;
    require_may_delete(&caller, &target)?;
    state
        .store
        .write(move |conn| Ok(store::delete_user(conn, id)?))
        .await?;
    Ok(done("user deleted"))
}
