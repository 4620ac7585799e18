//! `users/`, `users/search/` and `users/{id}/`: list, search, read, create, update, delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use rusqlite::types::Value as SqlValue;
use serde_json::Value;

use super::access::{
    changeable_user, manages_users, only_system_admin_grants, readable_user, require_manager,
    require_may_change,
};
use super::answer::{done, load_user, row_json, user_json, users_json};
use super::extract::{Params, Segments, json_body, user_id};
use super::listing::{count_answer, cql_error, keyword_search, order_by, search_words};
use crate::server::auth::{self, Caller};
use crate::server::cql;
use crate::server::error::{ServerError, ServerResult};
use crate::server::state::AppState;
use crate::server::store::{
    self, ColumnChange, NewUserRecord, ROLES, SEARCH_FIELDS, STATUSES, USER_FIELDS, UserListing,
    UsersFullText,
};
use crate::server::validate::{
    Issues, enum_value, obfuscated_password, parse_date, quoted_choices, valid_email, valid_mobile,
    valid_username,
};

pub fn user_listing(params: &Params) -> ServerResult<UserListing> {
    let status = params
        .text("status")
        .map(|status| {
            STATUSES
                .iter()
                .find(|known| **known == status)
                .map(|known| known.to_string())
                .ok_or_else(|| {
                    ServerError::field(
                        "query",
                        "status",
                        format!("Input should be {}", quoted_choices(STATUSES)),
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
        return count_answer(&state.store, move |conn| store::count_users(conn, &listing)).await;
    }
    let rows = state
        .store
        .read(move |conn| Ok(store::list_users(conn, &listing)?))
        .await?;
    users_json(&state.store, rows).await
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
    let rows = state
        .store
        .read(move |conn| Ok(store::list_users(conn, &listing)?))
        .await?;
    users_json(&state.store, rows).await
}

pub async fn get_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let user = readable_user(&state, &caller, &id).await?;
    row_json(&state.store, user).await
}

pub async fn create_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Bytes,
) -> ServerResult<Json<Value>> {
    require_manager(&caller)?;
    let body = json_body(&body)?;
    let mut issues = Issues::default();
    let username = match issues.string(&body, "username", 50).flatten() {
        Some(username) => match valid_username(&username) {
            Ok(()) => Some(username),
            Err(message) => {
                issues.add("username", message, "value_error");
                None
            }
        },
        None => {
            issues.add("username", "Field required", "missing");
            None
        }
    };
    let email = match issues.string(&body, "email", 254).flatten() {
        Some(email) if valid_email(&email) => Some(email),
        Some(_) => {
            issues.add("email", "value is not a valid email address", "value_error");
            None
        }
        None => {
            issues.add("email", "Field required", "missing");
            None
        }
    };
    let password = obfuscated_password(
        &mut issues,
        "password",
        body.get("password").and_then(Value::as_str),
    );
    let role = enum_value(&mut issues, &body, "role", ROLES).unwrap_or_else(|| "Viewer".into());
    let status =
        enum_value(&mut issues, &body, "status", STATUSES).unwrap_or_else(|| "Active".into());
    let first_name = issues.string(&body, "first_name", 100).flatten();
    let last_name = issues.string(&body, "last_name", 100).flatten();
    let mobile = issues.string(&body, "mobile", 32).flatten();
    if let Some(mobile) = &mobile
        && !valid_mobile(mobile)
    {
        issues.add(
            "mobile",
            "value is not a valid mobile number (e.g. +98 9120123456)",
            "value_error",
        );
    }
    issues.finish()?;
    only_system_admin_grants(&caller, Some(&role))?;
    let (Some(username), Some(password)) = (username, password) else {
        return Err(ServerError::Internal("validated fields missing".into()));
    };
    let hash = auth::hash_off_runtime(password).await?;
    let record = NewUserRecord {
        username,
        email,
        first_name,
        last_name,
        mobile,
        role,
        status,
        plan_id: None,
        expiration_date: None,
        parent_id: None,
        password_hash: hash,
        created_at: store::now(),
    };
    let id = state
        .store
        .transaction(move |tx| {
            if store::username_taken(tx, &record.username, None)? {
                return Err(ServerError::field(
                    "body",
                    "username",
                    format!("username '{}' is already taken", record.username),
                    "value_error",
                ));
            }
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
    let body = json_body(&body)?;
    let mut issues = Issues::default();
    let mut changes: Vec<ColumnChange> = Vec::new();
    let text = |value: Option<String>| value.map_or(SqlValue::Null, SqlValue::Text);
    if let Some(username) = issues.string(&body, "username", 50) {
        match username {
            Some(username) => match valid_username(&username) {
                Ok(()) => changes.push(("username", SqlValue::Text(username))),
                Err(message) => issues.add("username", message, "value_error"),
            },
            None => issues.add("username", "username cannot be empty", "value_error"),
        }
    }
    if let Some(email) = issues.string(&body, "email", 254) {
        match email {
            Some(email) if valid_email(&email) => changes.push(("email", SqlValue::Text(email))),
            _ => issues.add("email", "value is not a valid email address", "value_error"),
        }
    }
    for field in ["first_name", "last_name"] {
        if let Some(value) = issues.string(&body, field, 100) {
            changes.push((field, text(value)));
        }
    }
    if let Some(mobile) = issues.string(&body, "mobile", 32) {
        match &mobile {
            Some(number) if !valid_mobile(number) => issues.add(
                "mobile",
                "value is not a valid mobile number (e.g. +98 9120123456)",
                "value_error",
            ),
            _ => changes.push(("mobile", text(mobile))),
        }
    }
    let role = enum_value(&mut issues, &body, "role", ROLES);
    let status = enum_value(&mut issues, &body, "status", STATUSES);
    let plan_id = match body.get("plan_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => match value.as_i64() {
            Some(plan_id) => Some(Some(plan_id)),
            None => {
                issues.add("plan_id", "Input should be a valid integer", "int_type");
                None
            }
        },
    };
    if let Some(value) = body.get("expiration_date") {
        match value {
            Value::Null => changes.push(("expiration_date", SqlValue::Null)),
            Value::String(date) if date.trim().is_empty() => {
                changes.push(("expiration_date", SqlValue::Null))
            }
            Value::String(date) => match parse_date(date.trim()) {
                Some(date) => changes.push(("expiration_date", SqlValue::Text(date))),
                None => issues.add(
                    "expiration_date",
                    "Input should be a valid date (YYYY-MM-DD)",
                    "date_from_datetime_parsing",
                ),
            },
            _ => issues.add(
                "expiration_date",
                "Input should be a valid date (YYYY-MM-DD)",
                "date_type",
            ),
        }
    }
    issues.finish()?;
    let privileged = role.is_some()
        || status.is_some()
        || plan_id.is_some()
        || body.contains_key("expiration_date");
    if privileged && !manages_users(&caller) {
        return Err(ServerError::forbidden(
            "changing role, status, plan or expiration needs the System Admin or Account Admin role",
        ));
    }
    only_system_admin_grants(&caller, role.as_deref())?;
    if let Some(role) = role {
        changes.push(("role", SqlValue::Text(role)));
    }
    if let Some(status) = status {
        changes.push(("status", SqlValue::Text(status)));
    }
    if let Some(plan_id) = plan_id {
        changes.push(("plan_id", plan_id.map_or(SqlValue::Null, SqlValue::Integer)));
    }
    state
        .store
        .transaction(move |tx| {
            for (column, value) in &changes {
                match (*column, value) {
                    ("username", SqlValue::Text(name))
                        if store::username_taken(tx, name, Some(id))? =>
                    {
                        return Err(ServerError::field(
                            "body",
                            "username",
                            format!("username '{name}' is already taken"),
                            "value_error",
                        ));
                    }
                    ("plan_id", SqlValue::Integer(plan_id))
                        if store::find_plan(tx, *plan_id)?.is_none() =>
                    {
                        return Err(ServerError::field(
                            "body",
                            "plan_id",
                            format!("plan {plan_id} does not exist"),
                            "value_error",
                        ));
                    }
                    _ => {}
                }
            }
            store::update_user_columns(tx, id, &changes)?;
            // Disabling signs the user out everywhere, so enabling them again later does not
            // bring a stolen token back to life.
            let disables = changes.iter().any(|(column, value)| {
                *column == "status"
                    && matches!(value, SqlValue::Text(status) if status == "Disabled")
            });
            if disables {
                store::delete_sessions_except(tx, id, None)?;
            }
            Ok(())
        })
        .await?;
    user_json(&state.store, id).await
}

pub async fn delete_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = user_id(&id, &caller)?;
    require_manager(&caller)?;
    if id == caller.user.id {
        return Err(ServerError::forbidden("you cannot delete yourself"));
    }
    let target = load_user(&state.store, id).await?;
    require_may_change(&caller, &target)?;
    state
        .store
        .write(move |conn| Ok(store::delete_user(conn, id)?))
        .await?;
    Ok(done("user deleted"))
}
