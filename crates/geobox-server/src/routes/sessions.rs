//! Signing in, a user's sessions, and changing a password (which closes sessions).

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use serde_json::{Value, json};

use super::access::changeable_user;
use super::answer::{done, to_json};
use super::extract::{Segments, form_body};
use crate::auth::{self, Caller, MAX_AGENT_CHARS, MAX_SESSIONS_PER_USER};
use crate::error::{ServerError, ServerResult};
use crate::state::AppState;
use crate::store::{self, NewSession};
use crate::validate::new_password;

pub async fn login(
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
    let agent = session_agent(&headers);
    let token = auth::new_secret()?;
    let token_hash = auth::secret_hash(&token);
    let user = auth::sign_in(&state, &username, password, peer.ip()).await?;
    let session_idle = state.session_idle;
    let ip = peer.ip().to_string();
    state
        .store
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
            store::prune_sessions(tx, user.id, session_idle, MAX_SESSIONS_PER_USER)?;
            Ok(())
        })
        .await?;
    Ok(Json(json!({"access_token": token, "token_type": "bearer"})))
}

/// The client's user agent as its session keeps it: at most [`MAX_AGENT_CHARS`] characters,
/// so that every sign-in stores a bounded row whatever the client sends.
fn session_agent(headers: &HeaderMap) -> Option<String> {
    let agent = headers.get(USER_AGENT)?.to_str().ok()?;
    let end = agent
        .char_indices()
        .nth(MAX_AGENT_CHARS)
        .map_or(agent.len(), |(at, _)| at);
    Some(agent[..end].to_string())
}

pub async fn list_sessions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
) -> ServerResult<Json<Value>> {
    // Sessions show where and from what someone signs in: read under the rule for changing them.
    let id = changeable_user(&state, &caller, &id).await?.id;
    let current = caller.session_uuid.clone();
    let sessions = state
        .store
        .read(move |conn| Ok(store::list_sessions(conn, id, current.as_deref())?))
        .await?;
    to_json(sessions)
}

pub async fn close_session(
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

pub async fn change_password(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Segments(id): Segments<String>,
    body: Bytes,
) -> ServerResult<Json<Value>> {
    let id = changeable_user(&state, &caller, &id).await?.id;
    let form = form_body(&body)?;
    let password = new_password(form.get("new_password").map(String::as_str))?;
    let hash = auth::hash_off_runtime(password.expose().to_string()).await?;
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn agent_of(value: &[u8]) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            USER_AGENT,
            HeaderValue::from_bytes(value).expect("a header"),
        );
        session_agent(&headers)
    }

    #[test]
    fn a_session_keeps_the_start_of_a_long_agent_and_all_of_a_short_one() {
        let long = "x".repeat(MAX_AGENT_CHARS * 200);
        assert_eq!(agent_of(long.as_bytes()), Some("x".repeat(MAX_AGENT_CHARS)));
        assert_eq!(
            agent_of(b"geobox-users/1.0"),
            Some("geobox-users/1.0".into())
        );
        assert_eq!(agent_of("caf\u{e9}".as_bytes()), None, "not text: not kept");
        assert_eq!(session_agent(&HeaderMap::new()), None);
    }
}
