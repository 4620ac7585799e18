//! The parameters every list shares: `q`, `order_by`, `search`, `search_fields`,
//! `return_count`.

use std::sync::Arc;

use axum::Json;
use serde_json::{Value, json};

use super::MAX_SEARCH_WORDS;
use super::extract::Params;
use crate::cql;
use crate::error::{ServerError, ServerResult};
use crate::store::Store;

pub fn order_by(
    text: Option<&str>,
    fields: &[cql::Field],
) -> ServerResult<Vec<(&'static str, bool)>> {
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

pub fn cql_error(error: cql::CqlError) -> ServerError {
    ServerError::field("query", "q", error.to_string(), "value_error")
}

/// `search_fields`: the columns a keyword search looks in, each once; all of `allowed` when
/// none is named.
pub fn search_fields(
    text: Option<&str>,
    allowed: &[&'static str],
) -> ServerResult<Vec<&'static str>> {
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
pub fn search_words(params: &Params) -> ServerResult<Option<String>> {
    let Some(terms) = params.text("search") else {
        return Ok(None);
    };
    if terms.contains('\0') {
        // SQLite's full-text queries end at a NUL: it would cut the search short, or fail it.
        return Err(ServerError::field(
            "query",
            "search",
            "String should not contain a NUL character",
            "string_pattern_mismatch",
        ));
    }
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
pub fn keyword_search(
    params: &Params,
    allowed: &[&'static str],
) -> ServerResult<Option<(String, Vec<&'static str>)>> {
    search_words(params)?
        .map(|terms| Ok((terms, search_fields(params.text("search_fields"), allowed)?)))
        .transpose()
}

/// What any list answers with `return_count=true`: `{"count": N}`.
pub async fn count_answer(
    store: &Arc<Store>,
    count: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<u64> + Send + 'static,
) -> ServerResult<Json<Value>> {
    let count = store.read(move |conn| Ok(count(conn)?)).await?;
    Ok(Json(json!({ "count": count })))
}
