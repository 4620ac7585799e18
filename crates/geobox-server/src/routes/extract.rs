//! Reading a request: path segments, query parameters, JSON and form bodies.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::path::ErrorKind as PathErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde_json::{Map, Value};

use super::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::{FieldIssue, ServerError, ServerResult};

/// The `{...}` segments of a path, as axum's `Path`, but a segment that cannot be read (bytes
/// that are not UTF-8) is a FastAPI-style 422 naming it, not axum's plain 400, which the SDK
/// takes for a success.
pub struct Segments<T>(pub T);

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
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn from(Query(pairs): Query<Vec<(String, String)>>) -> Self {
        Params(
            pairs
                .into_iter()
                .filter(|(_, value)| !value.trim().is_empty())
                .collect(),
        )
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|value| value.trim())
    }

    pub fn number(&self, name: &str, default: u64) -> ServerResult<u64> {
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

    pub fn flag(&self, name: &str) -> ServerResult<bool> {
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

    pub fn page(&self) -> ServerResult<(u64, u64)> {
        Ok((
            self.number("skip", 0)?,
            self.number("limit", DEFAULT_LIMIT)?.min(MAX_LIMIT),
        ))
    }
}

/// `{user_id}` in a path: an integer, as the contract types it. Only `GET users/me/` is a
/// path of its own (see `users::get_user`); `me` anywhere else is a 422, as on a real Geobox,
/// so a client that sends it learns so here rather than in production.
pub fn user_id(segment: &str) -> ServerResult<i64> {
    parse_id(segment, "user_id")
}

/// An integer path segment, or FastAPI's 422 for it.
pub fn parse_id(segment: &str, name: &str) -> ServerResult<i64> {
    segment.parse::<i64>().map_err(|_| {
        ServerError::field(
            "path",
            name,
            format!("Input should be a valid integer, unable to parse string as an integer, got '{segment}'"),
            "int_parsing",
        )
    })
}

pub fn json_body(body: &Bytes) -> ServerResult<Map<String, Value>> {
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
pub fn form_body(body: &Bytes) -> ServerResult<HashMap<String, String>> {
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
