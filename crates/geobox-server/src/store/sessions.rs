//! Sessions (signed-in tokens) and API keys: who a request is from.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Map;

use super::now;
use super::users::{USER_COLUMNS, UserRow, user_from_row};
use geobox_api::Session;

/// Who a request is from: the user and, for a token, the session it is bound to.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserRow,
    pub session_uuid: Option<String>,
}

/// The session a token hash belongs to, with its user and when it was last seen.
pub fn principal_by_token(
    conn: &Connection,
    token_hash: &str,
) -> rusqlite::Result<Option<(Principal, String)>> {
    let columns: Vec<String> = USER_COLUMNS
        .split(", ")
        .map(|column| format!("u.{column}"))
        .collect();
    conn.prepare_cached(&format!(
        "SELECT {}, s.uuid, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ?",
        columns.join(", ")
    ))?
    .query_row([token_hash], |row| {
        Ok((
            Principal {
                user: user_from_row(row)?,
                session_uuid: Some(row.get(14)?),
            },
            row.get(15)?,
        ))
    })
    .optional()
}

pub fn principal_by_api_key(
    conn: &Connection,
    key_hash: &str,
) -> rusqlite::Result<Option<Principal>> {
    let columns: Vec<String> = USER_COLUMNS
        .split(", ")
        .map(|column| format!("u.{column}"))
        .collect();
    conn.prepare_cached(&format!(
        "SELECT {} FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?",
        columns.join(", ")
    ))?
    .query_row([key_hash], |row| {
        Ok(Principal {
            user: user_from_row(row)?,
            session_uuid: None,
        })
    })
    .optional()
}

/// The columns of a new session.
pub struct NewSession<'a> {
    pub uuid: &'a str,
    pub user_id: i64,
    pub token_hash: Option<&'a str>,
    pub agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub created_at: &'a str,
    pub last_seen: &'a str,
}

pub fn insert_session(conn: &Connection, session: &NewSession<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (uuid, user_id, token_hash, agent, ip, created_at, last_seen)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        session.uuid,
        session.user_id,
        session.token_hash,
        session.agent,
        session.ip,
        session.created_at,
        session.last_seen,
    ])?;
    Ok(())
}

/// Closes the user's sessions idle for longer than `idle` (those with a token: the demo's
/// seeded history has none and stays), then the oldest ones beyond the newest `keep`.
pub fn prune_sessions(
    conn: &Connection,
    user_id: i64,
    idle: Duration,
    keep: usize,
) -> rusqlite::Result<usize> {
    let idle_since = chrono::Duration::from_std(idle)
        .ok()
        .and_then(|idle| chrono::Utc::now().checked_sub_signed(idle))
        .map_or_else(String::new, |at| {
            at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        });
    let idle = conn
        .prepare_cached(
            "DELETE FROM sessions
             WHERE user_id = ? AND token_hash IS NOT NULL AND last_seen < ?",
        )?
        .execute(params![user_id, idle_since])?;
    let surplus = conn
        .prepare_cached(
            "DELETE FROM sessions WHERE id IN (
                 SELECT id FROM sessions WHERE user_id = ?
                 ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)",
        )?
        .execute(params![user_id, i64::try_from(keep).unwrap_or(i64::MAX)])?;
    Ok(idle + surplus)
}

/// Closes a session whatever its user (an expired one, found by its token).
pub fn delete_session_by_uuid(conn: &Connection, uuid: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM sessions WHERE uuid = ?", [uuid])?;
    Ok(())
}

pub fn touch_session(conn: &Connection, uuid: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen = ? WHERE uuid = ?",
        params![now(), uuid],
    )?;
    Ok(())
}

pub fn list_sessions(
    conn: &Connection,
    user_id: i64,
    current: Option<&str>,
) -> rusqlite::Result<Vec<Session>> {
    let mut statement = conn.prepare_cached(
        "SELECT uuid, agent, ip, created_at, last_seen FROM sessions WHERE user_id = ?
         ORDER BY last_seen DESC, uuid",
    )?;
    let sessions = statement.query_map([user_id], |row| {
        let uuid: String = row.get(0)?;
        Ok(Session {
            current: Some(current == Some(uuid.as_str())),
            uuid,
            agent: row.get(1)?,
            ip: row.get(2)?,
            created_at: row.get(3)?,
            last_seen: row.get(4)?,
            extra: Map::new(),
        })
    })?;
    sessions.collect()
}

pub fn delete_session(conn: &Connection, user_id: i64, uuid: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE user_id = ? AND uuid = ?",
        params![user_id, uuid],
    )? > 0)
}

/// Signs a user out everywhere but `keep`.
pub fn delete_sessions_except(
    conn: &Connection,
    user_id: i64,
    keep: Option<&str>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ? AND uuid IS NOT ?",
        params![user_id, keep],
    )
}

/// The user's API key called `name`, replaced by one with this hash.
pub fn replace_api_key(
    conn: &Connection,
    user_id: i64,
    name: &str,
    key_hash: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM api_keys WHERE user_id = ? AND name = ?",
        params![user_id, name],
    )?;
    conn.execute(
        "INSERT INTO api_keys (user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?)",
        params![user_id, name, key_hash, now()],
    )?;
    Ok(())
}
