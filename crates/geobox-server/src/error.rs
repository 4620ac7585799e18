//! Errors as the Geobox API answers them: FastAPI-style JSON with the status the SDK expects.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Everything a request can end in besides success.
#[derive(Debug)]
pub enum ServerError {
    /// `{"detail": "text"}` with this status.
    Detail(StatusCode, String),
    /// 422 `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`.
    Validation(Vec<FieldIssue>),
    /// A bug or an I/O failure: logged in full, answered as 500 without internals.
    Internal(String),
    /// 429 or 503 `{"detail": "text"}` with `Retry-After` (whole seconds, rounded up).
    Throttled {
        status: StatusCode,
        message: String,
        retry_after: Duration,
    },
}

/// One entry of a 422 body.
#[derive(Debug, Clone)]
pub struct FieldIssue {
    pub loc: Vec<String>,
    pub msg: String,
    pub kind: &'static str,
}

pub type ServerResult<T> = Result<T, ServerError>;

impl ServerError {
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ServerError::Detail(StatusCode::UNAUTHORIZED, message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServerError::Detail(StatusCode::FORBIDDEN, message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ServerError::Detail(StatusCode::NOT_FOUND, message.into())
    }

    /// A 422 with a plain `detail` string (not tied to one field).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        ServerError::Detail(StatusCode::UNPROCESSABLE_ENTITY, message.into())
    }

    /// A 422 naming one field: `loc` is `[where, field]`, e.g. `["body", "email"]`.
    pub fn field(location: &str, field: &str, msg: impl Into<String>, kind: &'static str) -> Self {
        ServerError::Validation(vec![FieldIssue {
            loc: vec![location.to_string(), field.to_string()],
            msg: msg.into(),
            kind,
        }])
    }
}

/// What a request that met a busy database waits before asking again.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

impl From<rusqlite::Error> for ServerError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            // A lock held past the busy timeout: the request may well succeed in a moment.
            rusqlite::Error::SqliteFailure(failure, _)
                if matches!(
                    failure.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                tracing::warn!(%error, "the database is busy");
                ServerError::Throttled {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "the database is busy; try again in a moment".into(),
                    retry_after: BUSY_RETRY_AFTER,
                }
            }
            _ => ServerError::Internal(format!("database: {error}")),
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ServerError::Detail(status, message) => (status, json!({ "detail": message })),
            ServerError::Validation(issues) => {
                let detail: Vec<Value> = issues
                    .into_iter()
                    .map(|issue| json!({"loc": issue.loc, "msg": issue.msg, "type": issue.kind}))
                    .collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "detail": detail }),
                )
            }
            ServerError::Throttled {
                status,
                message,
                retry_after,
            } => {
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                let headers = [(RETRY_AFTER, seconds.max(1).to_string())];
                return (status, headers, Json(json!({ "detail": message }))).into_response();
            }
            ServerError::Internal(message) => {
                tracing::error!(%message, "internal server error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "detail": "internal server error" }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
