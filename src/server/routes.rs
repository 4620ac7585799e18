//! The HTTP surface: exactly the paths, methods and shapes of `geobox-api.md`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::path::ErrorKind as PathErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use chrono::NaiveDate;
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value, json};

use super::auth::{self, Caller};
use super::cql::{self, NoFullText};
use super::error::{FieldIssue, ServerError, ServerResult};
use super::state::AppState;
use super::store::{
    self, ColumnChange, NewSession, NewUserRecord, PLAN_FIELDS, PLAN_TEXT_FIELDS, PlanListing,
    Principal, ROLES, SEARCH_FIELDS, STATUSES, Store, USER_FIELDS, UserListing, UserRow,
    UsersFullText,
};
use crate::api::{UserRole, deobfuscate_password};

/// The largest page a list answers; a larger `limit` is lowered to it.
pub const MAX_LIMIT: u64 = 1000;
/// The default page size, as the SDK's.
pub const DEFAULT_LIMIT: u64 = 10;
/// Request bodies larger than this are refused (413) before any parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most words a keyword search (`search`) may have.
pub const MAX_SEARCH_WORDS: usize = 32;
/// Shortest password accepted on create and change-password.
pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/token/", post(login))
        .route("/users/", get(list_users).post(create_user))
        .route("/users/search/", get(search_users))
        .route(
            "/users/{user_id}/",
            get(get_user).put(update_user).delete(delete_user),
        )
        .route("/users/{user_id}/sessions/", get(list_sessions))
        .route(
            "/users/{user_id}/sessions/{session_uuid}",
            post(close_session),
        )
        .route("/users/{user_id}/change-password", post(change_password))
        .route("/users/{user_id}/renewPlan", post(renew_plan))
        .route("/users/{user_id}/members", get(list_members))
        .route(
            "/users/{user_id}/members/{member_id}",
            post(add_member).delete(remove_member),
        )
        .route("/plans/", get(list_plans))
        .route("/plans/{plan_id}/", get(get_plan));
    Router::new()
        .nest("/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(json_everywhere))
        .with_state(state)
}

async fn not_found() -> ServerError {
    ServerError::not_found("Not Found")
}

async fn method_not_allowed() -> ServerError {
    ServerError::Detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into())
}

/// The SDK reads a body only when it is labelled JSON, so every answer is: axum's own
/// rejections (too large, bad query encoding...) arrive as text and are wrapped here.
async fn json_everywhere(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let detail = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_string()
    } else {
        text
    };
    let body = if parts.status.is_success() {
        json!({})
    } else {
        json!({ "detail": detail })
    };
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

// ---- request helpers ----

/// The `{...}` segments of a path, as axum's `Path`, but a segment that cannot be read (bytes
/// that are not UTF-8) is a FastAPI-style 422 naming it, not axum's plain 400, which the SDK
/// takes for a success.
struct Segments<T>(T);

impl<T, S> FromRequestParts<S> for Segments<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(segments)) => Ok(Segments(segments)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => {
                let (field, msg) = match error.kind() {
                    PathErrorKind::InvalidUtf8InPathParam { key } => (
                        key.clone(),
                        "Input should be text: the percent-encoded bytes are not UTF-8".into(),
                    ),
                    _ => ("path".to_string(), error.body_text()),
                };
                Err(ServerError::field("path", &field, msg, "value_error"))
            }
            Err(other) => Err(ServerError::Detail(other.status(), other.body_text())),
        }
    }
}

/// Query parameters; an empty value counts as absent, as the SDK leaves out `None`s.
struct Params(HashMap<String, String>);

impl Params {
    fn from(Query(pairs): Query<Vec<(String, String)>>) -> Self {
        Params(
            pairs
                .into_iter()
                .filter(|(_, value)| !value.trim().is_empty())
                .collect(),
        )
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|value| value.trim())
    }

    fn number(&self, name: &str, default: u64) -> ServerResult<u64> {
        match self.text(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                ServerError::field(
                    "query",
                    name,
                    format!("Input should be a non-negative integer, got '{text}'"),
                    "int_parsing",
                )
            }),
        }
    }

    fn flag(&self, name: &str) -> ServerResult<bool> {
        match self.text(name) {
            None => Ok(false),
            Some("true" | "True" | "TRUE" | "1") => Ok(true),
            Some("false" | "False" | "FALSE" | "0") => Ok(false),
            Some(other) => Err(ServerError::field(
                "query",
                name,
                format!(
                    "Input should be a valid boolean (true/false/True/False/1/0), got '{other}'"
                ),
                "bool_parsing",
            )),
        }
    }

    fn page(&self) -> ServerResult<(u64, u64)> {
        Ok((
            self.number("skip", 0)?,
            self.number("limit", DEFAULT_LIMIT)?.min(MAX_LIMIT),
        ))
    }
}

/// `{id}` in a path: a positive integer, or `me` for the caller.
fn user_id(segment: &str, caller: &Principal) -> ServerResult<i64> {
    if segment.eq_ignore_ascii_case("me") {
        return Ok(caller.user.id);
    }
    segment.parse::<i64>().map_err(|_| {
        ServerError::field(
            "path",
            "user_id",
            format!("Input should be a valid integer or 'me', got '{segment}'"),
            "int_parsing",
        )
    })
}

fn parse_id(segment: &str, name: &str) -> ServerResult<i64> {
    segment.parse::<i64>().map_err(|_| {
        ServerError::field(
            "path",
            name,
            format!("Input should be a valid integer, got '{segment}'"),
            "int_parsing",
        )
    })
}

fn json_body(body: &Bytes) -> ServerResult<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ServerError::field(
            "body",
            "body",
            "Input should be a JSON object",
            "model_attributes_type",
        )),
        Err(error) => Err(ServerError::Validation(vec![FieldIssue {
            loc: vec!["body".into()],
            msg: format!("JSON decode error: {error}"),
            kind: "json_invalid",
        }])),
    }
}

/// A form body whatever its declared content type (the SDK and our client send forms); a
/// JSON object is accepted too.
fn form_body(body: &Bytes) -> ServerResult<HashMap<String, String>> {
    if body.first() == Some(&b'{') {
        return Ok(json_body(body)?
            .into_iter()
            .filter_map(|(key, value)| match value {
                Value::String(text) => Some((key, text)),
                _ => None,
            })
            .collect());
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|pairs| pairs.into_iter().collect())
        .map_err(|error| {
            ServerError::Validation(vec![FieldIssue {
                loc: vec!["body".into()],
                msg: format!("invalid form body: {error}"),
                kind: "value_error",
            }])
        })
}

fn manages_users(caller: &Principal) -> bool {
    caller.user.role().manages_users()
}

fn require_manager(caller: &Principal) -> ServerResult<()> {
    if manages_users(caller) {
        Ok(())
    } else {
        Err(ServerError::forbidden(
            "managing users needs the System Admin or Account Admin role",
        ))
    }
}

/// Reading a user's own things is always allowed; anyone else's needs a manager.
fn require_self_or_manager(caller: &Principal, id: i64) -> ServerResult<()> {
    if caller.user.id == id {
        Ok(())
    } else {
        require_manager(caller)
    }
}

/// Changing someone else: a manager, and only a System Admin touches a System Admin.
fn require_may_change(caller: &Principal, target: &UserRow) -> ServerResult<()> {
    if caller.user.id == target.id {
        return Ok(());
    }
    require_manager(caller)?;
    if target.role() == UserRole::SystemAdmin && caller.user.role() != UserRole::SystemAdmin {
        return Err(ServerError::forbidden(
            "only a System Admin may change a System Admin",
        ));
    }
    Ok(())
}

/// The user `{id}` (or `me`) names, when the caller may read it: their own, or anyone's for a
/// manager; 404 when absent.
async fn readable_user(
    state: &AppState,
    caller: &Principal,
    segment: &str,
) -> ServerResult<UserRow> {
    let id = user_id(segment, caller)?;
    require_self_or_manager(caller, id)?;
    load_user(&state.store, id).await
}

/// [`readable_user`], when the caller may also change it (see [`require_may_change`]).
async fn changeable_user(
    state: &AppState,
    caller: &Principal,
    segment: &str,
) -> ServerResult<UserRow> {
    let target = readable_user(state, caller, segment).await?;
    require_may_change(caller, &target)?;
    Ok(target)
}

async fn load_user(store: &Arc<Store>, id: i64) -> ServerResult<UserRow> {
    store
        .read(move |conn| Ok(store::find_user(conn, id)?))
        .await?
        .ok_or_else(|| ServerError::not_found(format!("user {id} not found")))
}

fn to_json(value: impl serde::Serialize) -> ServerResult<Json<Value>> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|error| ServerError::Internal(error.to_string()))
}

/// Users as the wire wants them, plans expanded.
async fn users_json(store: &Arc<Store>, rows: Vec<UserRow>) -> ServerResult<Json<Value>> {
    let plans = store.read(|conn| Ok(store::plans_by_id(conn)?)).await?;
    let users: Vec<_> = rows.iter().map(|row| row.to_api(&plans)).collect();
    to_json(users)
}

/// One user as the wire wants it.
async fn row_json(store: &Arc<Store>, row: UserRow) -> ServerResult<Json<Value>> {
    let Json(mut list) = users_json(store, vec![row]).await?;
    Ok(Json(
        list.get_mut(0).map(Value::take).unwrap_or(Value::Null),
    ))
}

/// A user as stored now (after a write), as the wire wants it.
async fn user_json(store: &Arc<Store>, id: i64) -> ServerResult<Json<Value>> {
    row_json(store, load_user(store, id).await?).await
}

/// An argon2 hash, made on a blocking thread (it is slow on purpose).
async fn hash_off_runtime(password: String) -> ServerResult<String> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|error| ServerError::Internal(error.to_string()))?
}

fn done(message: &str) -> Json<Value> {
    Json(json!({ "detail": message }))
}

// ---- auth ----

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ServerResult<Json<Value>> {
    let form = form_body(&body)?;
    let username = form.get("username").map(|name| name.trim().to_string());
    let password = form.get("password").cloned();
    let (Some(username), Some(password)) = (username, password) else {
        let missing = if form.contains_key("username") {
            "password"
        } else {
            "username"
        };
        return Err(ServerError::field(
            "body",
            missing,
            "Field required",
            "missing",
        ));
    };
    let agent = headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let dummy = Arc::clone(&state.dummy_hash);
    let token = auth::new_secret()?;
    let token_hash = auth::secret_hash(&token);
    let store = Arc::clone(&state.store);
    let user = state
        .store
        .read(move |conn| Ok(store::find_login(conn, &username)?))
        .await?;
    let verified = tokio::task::spawn_blocking(move || match user {
        Some((user, hash)) => auth::verify_password(&password, &hash).then_some(user),
        None => {
            auth::verify_password(&password, &dummy);
            None
        }
    })
    .await
    .map_err(|error| ServerError::Internal(error.to_string()))?;
    let Some(user) = verified else {
        return Err(ServerError::unauthorized("Incorrect username or password"));
    };
    if user.is_disabled() {
        return Err(ServerError::unauthorized("this user is disabled"));
    }
    let ip = peer.ip().to_string();
    store
        .transaction(move |tx| {
            let at = store::now();
            let uuid = uuid::Uuid::new_v4().to_string();
            store::insert_session(
                tx,
                &NewSession {
                    uuid: &uuid,
                    user_id: user.id,
                    token_hash: Some(&token_hash),
                    agent: agent.as_deref(),
                    ip: Some(&ip),
                    created_at: &at,
                    last_seen: &at,
                },
            )?;
            store::set_last_login(tx, user.id, &at)?;
            Ok(())
        })
        .await?;
    Ok(Json(json!({"access_token": token, "token_type": "bearer"})))
}

// ---- users ----

fn order_by(text: Option<&str>, fields: &[cql::Field]) -> ServerResult<Vec<(&'static str, bool)>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let mut order = Vec::new();
    for item in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let mut words = item.split_whitespace();
        let name = words.next().unwrap_or_default();
        let direction = words.next().unwrap_or("A");
        let field = fields
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<&str> = fields.iter().map(|field| field.name).collect();
                ServerError::field(
                    "query",
                    "order_by",
                    format!("unknown field '{name}'; known fields: {}", known.join(", ")),
                    "value_error",
                )
            })?;
        let descending = match direction {
            "A" | "a" | "ASC" | "asc" => false,
            "D" | "d" | "DESC" | "desc" => true,
            other => {
                return Err(ServerError::field(
                    "query",
                    "order_by",
                    format!("'{other}' after '{name}' should be A (ascending) or D (descending)"),
                    "value_error",
                ));
            }
        };
        if words.next().is_some() {
            return Err(ServerError::field(
                "query",
                "order_by",
                format!("'{item}' should be 'field A' or 'field D'"),
                "value_error",
            ));
        }
        if order.iter().any(|(column, _)| *column == field.column) {
            return Err(ServerError::field(
                "query",
                "order_by",
                format!("'{}' is given more than once", field.name),
                "value_error",
            ));
        }
        order.push((field.column, descending));
    }
    Ok(order)
}

fn cql_error(error: cql::CqlError) -> ServerError {
    ServerError::field("query", "q", error.to_string(), "value_error")
}

/// `search_fields`: the columns a keyword search looks in, each once; all of `allowed` when
/// none is named.
fn search_fields(text: Option<&str>, allowed: &[&'static str]) -> ServerResult<Vec<&'static str>> {
    let mut fields: Vec<&'static str> = Vec::new();
    for name in text
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let field = allowed
            .iter()
            .find(|field| field.eq_ignore_ascii_case(name))
            .copied()
            .ok_or_else(|| {
                ServerError::field(
                    "query",
                    "search_fields",
                    format!(
                        "'{name}' is not a searchable field; searchable: {}",
                        allowed.join(", ")
                    ),
                    "value_error",
                )
            })?;
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    Ok(if fields.is_empty() {
        allowed.to_vec()
    } else {
        fields
    })
}

/// `search`: the words of a keyword search, at most [`MAX_SEARCH_WORDS`] of them.
fn search_words(params: &Params) -> ServerResult<Option<String>> {
    let Some(terms) = params.text("search") else {
        return Ok(None);
    };
    let words = terms.split_whitespace().count();
    if words > MAX_SEARCH_WORDS {
        return Err(ServerError::field(
            "query",
            "search",
            format!("too many words ({words}): a search takes at most {MAX_SEARCH_WORDS}"),
            "value_error",
        ));
    }
    Ok(Some(terms.to_string()))
}

/// `search` and `search_fields`: the words and the columns they are looked for in.
fn keyword_search(
    params: &Params,
    allowed: &[&'static str],
) -> ServerResult<Option<(String, Vec<&'static str>)>> {
    search_words(params)?
        .map(|terms| Ok((terms, search_fields(params.text("search_fields"), allowed)?)))
        .transpose()
}

fn user_listing(params: &Params) -> ServerResult<UserListing> {
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

/// What any list answers with `return_count=true`: `{"count": N}`.
async fn count_answer(
    store: &Arc<Store>,
    count: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<u64> + Send + 'static,
) -> ServerResult<Json<Value>> {
    let count = store.read(move |conn| Ok(count(conn)?)).await?;
    Ok(Json(json!({ "count": count })))
}

async fn list_users(
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

async fn search_users(
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

async fn get_user(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let user = readable_user(&state, &caller, &id).await?;
    row_json(&state.store, user).await
}

fn quoted_choices(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|choice| format!("'{choice}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Collects every field problem of a body, FastAPI-style, instead of stopping at the first.
#[derive(Default)]
struct Issues(Vec<FieldIssue>);

impl Issues {
    fn add(&mut self, field: &str, msg: impl Into<String>, kind: &'static str) {
        self.0.push(FieldIssue {
            loc: vec!["body".into(), field.into()],
            msg: msg.into(),
            kind,
        });
    }

    fn finish(self) -> ServerResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServerError::Validation(self.0))
        }
    }

    /// A string field, trimmed: `None` when absent (or invalid, noted), `Some(None)` when null
    /// or blank, `Some(Some(text))` otherwise.
    fn string(
        &mut self,
        body: &Map<String, Value>,
        field: &str,
        max_chars: usize,
    ) -> Option<Option<String>> {
        match body.get(field) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(text)) => {
                let text = text.trim();
                if text.chars().any(char::is_control) {
                    // Escape sequences in a name would reach every admin's terminal.
                    self.add(
                        field,
                        "String should not contain control characters",
                        "string_pattern_mismatch",
                    );
                    return None;
                }
                if text.chars().count() > max_chars {
                    self.add(
                        field,
                        format!("String should have at most {max_chars} characters"),
                        "string_too_long",
                    );
                    return None;
                }
                Some((!text.is_empty()).then(|| text.to_string()))
            }
            Some(_) => {
                self.add(field, "Input should be a valid string", "string_type");
                None
            }
        }
    }
}

fn valid_username(username: &str) -> Result<(), String> {
    let length = username.chars().count();
    if !(3..=50).contains(&length) {
        return Err("username must be 3 to 50 characters".into());
    }
    if !username
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err("username must start with a letter or digit".into());
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("username may contain only letters, digits, '.', '_' and '-'".into());
    }
    Ok(())
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn valid_mobile(mobile: &str) -> bool {
    let rest = mobile.strip_prefix('+').unwrap_or(mobile);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    rest.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'))
        && (7..=15).contains(&digits)
}

/// `YYYY-MM-DD`, or a timestamp whose date part is kept.
fn parse_date(text: &str) -> Option<String> {
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    let valid = text.len() == 10
        || chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").is_ok();
    valid.then(|| date.format("%Y-%m-%d").to_string())
}

fn enum_value(
    issues: &mut Issues,
    body: &Map<String, Value>,
    field: &str,
    choices: &[&str],
) -> Option<String> {
    match body.get(field) {
        None => None,
        Some(Value::String(text)) if choices.contains(&text.as_str()) => Some(text.clone()),
        Some(_) => {
            issues.add(
                field,
                format!("Input should be {}", quoted_choices(choices)),
                "enum",
            );
            None
        }
    }
}

/// The decoded password of a create or change-password request.
fn obfuscated_password(issues: &mut Issues, field: &str, value: Option<&str>) -> Option<String> {
    let Some(encoded) = value else {
        issues.add(field, "Field required", "missing");
        return None;
    };
    let Some(password) = deobfuscate_password(encoded) else {
        issues.add(
            field,
            "password must be obfuscated (XOR 42, UTF-8, base64)",
            "value_error",
        );
        return None;
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        issues.add(
            field,
            format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
            "string_too_short",
        );
        return None;
    }
    Some(password)
}

fn only_system_admin_grants(caller: &Principal, role: Option<&str>) -> ServerResult<()> {
    if role == Some(UserRole::SystemAdmin.as_str()) && caller.user.role() != UserRole::SystemAdmin {
        return Err(ServerError::forbidden(
            "only a System Admin may make someone a System Admin",
        ));
    }
    Ok(())
}

async fn create_user(
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
    let hash = hash_off_runtime(password).await?;
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

async fn update_user(
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

async fn delete_user(
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

// ---- sessions, password, plan ----

async fn list_sessions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = readable_user(&state, &caller, &id).await?.id;
    let current = caller.session_uuid.clone();
    let sessions = state
        .store
        .read(move |conn| Ok(store::list_sessions(conn, id, current.as_deref())?))
        .await?;
    to_json(sessions)
}

async fn close_session(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, uuid)): Segments<(String, String)>,
) -> ServerResult<Json<Value>> {
    let id = changeable_user(&state, &caller, &id).await?.id;
    let closed = state
        .store
        .write(move |conn| Ok(store::delete_session(conn, id, &uuid)?))
        .await?;
    if closed {
        Ok(done("session closed"))
    } else {
        Err(ServerError::not_found("session not found"))
    }
}

async fn change_password(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
    body: Bytes,
) -> ServerResult<Json<Value>> {
    let id = changeable_user(&state, &caller, &id).await?.id;
    let form = form_body(&body)?;
    let mut issues = Issues::default();
    let password = obfuscated_password(
        &mut issues,
        "new_password",
        form.get("new_password").map(String::as_str),
    );
    issues.finish()?;
    let Some(password) = password else {
        return Err(ServerError::Internal("validated password missing".into()));
    };
    let hash = hash_off_runtime(password).await?;
    // The caller's own session survives changing their own password; every other goes.
    let keep = (caller.user.id == id)
        .then(|| caller.session_uuid.clone())
        .flatten();
    state
        .store
        .transaction(move |tx| {
            store::set_password_hash(tx, id, &hash)?;
            store::delete_sessions_except(tx, id, keep.as_deref())?;
            Ok(())
        })
        .await?;
    Ok(done("password changed"))
}

async fn renew_plan(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    let id = user_id(&id, &caller)?;
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
            let today = chrono::Utc::now().date_naive();
            let current = target.expiration_date.as_deref().and_then(|date| {
                NaiveDate::parse_from_str(date.get(..10).unwrap_or(date), "%Y-%m-%d").ok()
            });
            let start = current.map_or(today, |current| current.max(today));
            let renewed = start + chrono::Duration::days(days);
            store::update_user_columns(
                tx,
                id,
                &[(
                    "expiration_date",
                    SqlValue::Text(renewed.format("%Y-%m-%d").to_string()),
                )],
            )?;
            Ok(())
        })
        .await?;
    user_json(&state.store, id).await
}

// ---- members ----

async fn list_members(
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
fn membership(caller: &Principal, id: &str, member_id: &str) -> ServerResult<(i64, i64)> {
    let ids = (user_id(id, caller)?, parse_id(member_id, "member_id")?);
    require_manager(caller)?;
    Ok(ids)
}

async fn add_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, member_id)): Segments<(String, String)>,
) -> ServerResult<Json<Value>> {
    let (id, member_id) = membership(&caller, &id, &member_id)?;
    load_user(&state.store, id).await?;
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
            store::update_user_columns(tx, member_id, &[("parent_id", SqlValue::Integer(id))])?;
            Ok(())
        })
        .await?;
    user_json(&state.store, member_id).await
}

async fn remove_member(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments((id, member_id)): Segments<(String, String)>,
) -> ServerResult<Json<Value>> {
    let (id, member_id) = membership(&caller, &id, &member_id)?;
    let member = load_user(&state.store, member_id).await?;
    if member.parent_id != Some(id) {
        return Err(ServerError::not_found(format!(
            "user {member_id} is not a member of user {id}"
        )));
    }
    require_may_change(&caller, &member)?;
    state
        .store
        .write(move |conn| {
            Ok(store::update_user_columns(
                conn,
                member_id,
                &[("parent_id", SqlValue::Null)],
            )?)
        })
        .await?;
    user_json(&state.store, member_id).await
}

// ---- plans ----

async fn list_plans(
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

async fn get_plan(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(valid_email("a.b@ut.ac.ir"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.ir"));
        assert!(!valid_email("@c.ir"));
        assert!(valid_mobile("+98 9120123456"));
        assert!(valid_mobile("+98 912 012 3456"));
        assert!(!valid_mobile("+98 912abc"));
        assert!(!valid_mobile("12"));
        assert!(valid_username("ali.rezaei_2").is_ok());
        assert!(valid_username("x").is_err());
        assert!(valid_username(".ali").is_err());
        assert!(valid_username("ali rezaei").is_err());
        assert_eq!(parse_date("2026-12-11").as_deref(), Some("2026-12-11"));
        assert_eq!(
            parse_date("2026-12-11T10:00:00Z").as_deref(),
            Some("2026-12-11")
        );
        assert_eq!(parse_date("2026-13-11"), None);
        assert_eq!(parse_date("tomorrow"), None);
        assert_eq!(quoted_choices(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }
}
