//! The HTTP surface: exactly the paths, methods and shapes of `docs/api.md`.
//!
//! One file per resource (users, sessions, plans, members); `extract` reads requests,
//! `access` says who may do what, `listing` reads the parameters every list shares.

mod access;
mod answer;
mod extract;
pub(super) mod listing;
mod members;
mod plans;
mod sessions;
mod users;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Router, middleware};
use serde_json::json;

use crate::error::ServerError;
use crate::state::AppState;

/// The largest page a list answers; a larger `limit` is lowered to it.
pub const MAX_LIMIT: u64 = 1000;
/// The default page size, as the SDK's.
pub const DEFAULT_LIMIT: u64 = 10;
/// Request bodies larger than this are refused (413) before any parsing.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most words a keyword search (`search`) may have.
pub const MAX_SEARCH_WORDS: usize = 32;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/token/", post(sessions::login))
        .route("/users/", get(users::list_users).post(users::create_user))
        .route("/users/search/", get(users::search_users))
        .route(
            "/users/{user_id}/",
            get(users::get_user)
                .put(users::update_user)
                .delete(users::delete_user),
        )
        .route("/users/{user_id}/sessions/", get(sessions::list_sessions))
        .route(
            "/users/{user_id}/sessions/{session_uuid}",
            post(sessions::close_session),
        )
        .route(
            "/users/{user_id}/change-password",
            post(sessions::change_password),
        )
        .route("/users/{user_id}/renewPlan", post(plans::renew_plan))
        .route("/users/{user_id}/members", get(members::list_members))
        .route(
            "/users/{user_id}/members/{member_id}",
            post(members::add_member).delete(members::remove_member),
        )
        .route("/plans/", get(plans::list_plans))
        .route("/plans/{plan_id}/", get(plans::get_plan));
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
