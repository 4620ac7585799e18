//! One error type for everything a Geobox request can end in.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// One entry of a FastAPI validation error: the field (last element of `loc`) and its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// `None` when the server named no field.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What went wrong with a request, specific enough to tell an admin what to do about it.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ApiError {
    #[error("authentication failed (401): {message}")]
    Unauthorized { message: String },
    #[error("not allowed (403): {message}")]
    Forbidden { message: String },
    #[error("not found (404): {message}")]
    NotFound { message: String },
    #[error("invalid input (422): {}", join_field_errors(.errors))]
    Validation { errors: Vec<FieldError> },
    #[error("server error ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("request rejected ({status}): {message}")]
    Request { status: u16, message: String },
    #[error("no answer within {}s", .after.as_secs_f32())]
    Timeout { after: Duration },
    #[error("cannot reach {url}: {reason}")]
    Connection { url: String, reason: String },
    #[error("unexpected answer ({status}): {reason}; body starts with: {body_start:?}")]
    Decode {
        status: u16,
        reason: String,
        body_start: String,
    },
    #[error("{0}")]
    InvalidInput(String),
}

/// Text a person typed that names no value of the API: a role, a status, a user.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("unknown {what} '{input}': expected one of {}", .expected.join(", "))]
    Unknown {
        /// `role`, `status`.
        what: String,
        input: String,
        expected: &'static [&'static str],
    },
    #[error("'{0}' is not a user id (a positive number) or 'me'")]
    NotAUser(String),
}

fn join_field_errors(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return "the server gave no details".to_string();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// How much of an unreadable body an error quotes.
const BODY_START_CHARS: usize = 200;

/// The first characters of a body, for error messages.
pub fn body_start(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_START_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

impl ApiError {
    /// Whether the server could not be reached or did not answer in time (rather than
    /// answering no): what takes a tool offline, and what a retry may cure.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ApiError::Connection { .. } | ApiError::Timeout { .. })
    }

    /// The HTTP status the server answered with, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::Validation { .. } => Some(422),
            ApiError::Server { status, .. }
            | ApiError::Request { status, .. }
            | ApiError::Decode { status, .. } => Some(*status),
            ApiError::Timeout { .. } | ApiError::Connection { .. } | ApiError::InvalidInput(_) => {
                None
            }
        }
    }

    /// The validation message for one field, if the server named it.
    pub fn field_error(&self, field: &str) -> Option<&str> {
        match self {
            ApiError::Validation { errors } => errors
                .iter()
                .find(|error| error.field.as_deref() == Some(field))
                .map(|error| error.message.as_str()),
            _ => None,
        }
    }

    /// Maps an error answer (status ≥ 400) and its body to an error.
    pub fn from_response(status: u16, body: &[u8]) -> ApiError {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let detail = json.as_ref().and_then(|json| json.get("detail"));
        let message = match detail {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(entries)) => entries
                .iter()
                .map(|entry| parse_field_error(entry).to_string())
                .collect::<Vec<_>>()
                .join("; "),
            Some(other) => other.to_string(),
            None if json.is_some() => body_start(body),
            None if body.is_empty() => "empty answer".to_string(),
            None => format!("non-JSON answer: {}", body_start(body)),
        };
        match status {
            401 => ApiError::Unauthorized { message },
            403 => ApiError::Forbidden { message },
            404 => ApiError::NotFound { message },
            422 => ApiError::Validation {
                errors: match detail {
                    Some(Value::Array(entries)) => entries.iter().map(parse_field_error).collect(),
                    _ => vec![FieldError {
                        field: None,
                        message,
                    }],
                },
            },
            500..=599 => ApiError::Server { status, message },
            _ => ApiError::Request { status, message },
        }
    }
}

fn parse_field_error(entry: &Value) -> FieldError {
    let field = entry
        .get("loc")
        .and_then(Value::as_array)
        .and_then(|loc| loc.last())
        .map(|last| match last {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        });
    let message = entry
        .get("msg")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| entry.to_string());
    FieldError { field, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_fastapi_validation_lists_to_fields() {
        let body = br#"{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address","type":"value_error"},{"loc":["body","username"],"msg":"already taken"}]}"#;
        let error = ApiError::from_response(422, body);
        assert_eq!(
            error.field_error("email"),
            Some("value is not a valid email address")
        );
        assert_eq!(error.field_error("username"), Some("already taken"));
        assert_eq!(
            error.to_string(),
            "invalid input (422): email: value is not a valid email address; username: already taken"
        );
    }

    #[test]
    fn only_a_server_that_did_not_answer_is_unreachable() {
        let unreachable = [
            ApiError::Connection {
                url: "http://127.0.0.1:1/v1/".into(),
                reason: "connection refused".into(),
            },
            ApiError::Timeout {
                after: Duration::from_secs(15),
            },
        ];
        assert!(unreachable.iter().all(ApiError::is_unreachable));
        let answered = [
            ApiError::from_response(401, br#"{"detail":"expired"}"#),
            ApiError::from_response(404, b""),
            ApiError::from_response(422, br#"{"detail":"bad q"}"#),
            ApiError::from_response(500, b""),
            ApiError::from_response(503, b"<html>busy</html>"),
            ApiError::InvalidInput("nothing to update".into()),
            ApiError::Decode {
                status: 200,
                reason: "not JSON".into(),
                body_start: String::new(),
            },
        ];
        for error in answered {
            assert!(!error.is_unreachable(), "{error:?}");
        }
    }

    #[test]
    fn maps_string_details_html_and_empty_bodies() {
        assert_eq!(
            ApiError::from_response(422, br#"{"detail":"bad q"}"#).to_string(),
            "invalid input (422): bad q"
        );
        let html = ApiError::from_response(502, b"<html><body>Bad Gateway</body></html>");
        assert_eq!(
            html,
            ApiError::Server {
                status: 502,
                message: "non-JSON answer: <html><body>Bad Gateway</body></html>".into()
            }
        );
        assert_eq!(
            ApiError::from_response(500, b""),
            ApiError::Server {
                status: 500,
                message: "empty answer".into()
            }
        );
        assert_eq!(
            ApiError::from_response(409, br#"{"detail":"x"}"#).status(),
            Some(409)
        );
    }
}
