//! Users: reading, creating, changing, deleting, and the member (parent) chain.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde_json::Map;

use super::now;
use crate::validate::UserFields;
use geobox_api::{Plan, User, UserRole, UserStatus};

/// A user as stored, without the password hash.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub role: String,
    pub status: String,
    pub plan_id: Option<i64>,
    pub expiration_date: Option<String>,
    pub parent_id: Option<i64>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub last_login: Option<String>,
}

impl UserRow {
    pub fn role(&self) -> UserRole {
        UserRole::from_wire(&self.role)
    }

    pub fn is_disabled(&self) -> bool {
        UserStatus::from_wire(&self.status) == UserStatus::Disabled
    }

    /// The wire object, with the plan expanded.
    pub fn to_api(&self, plans: &HashMap<i64, Plan>) -> User {
        let mut extra = Map::new();
        extra.insert("plan_id".into(), self.plan_id.into());
        extra.insert("updated_at".into(), self.updated_at.clone().into());
        extra.insert("last_login".into(), self.last_login.clone().into());
        User {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            mobile: self.mobile.clone(),
            role: Some(UserRole::from_wire(&self.role)),
            status: Some(UserStatus::from_wire(&self.status)),
            plan: self.plan_id.and_then(|id| plans.get(&id).cloned()),
            expiration_date: self.expiration_date.clone(),
            parent_id: self.parent_id,
            created_at: Some(self.created_at.clone()),
            extra,
        }
    }
}

pub(super) const USER_COLUMNS: &str = "id, username, email, first_name, last_name, mobile, role, status, \
     plan_id, expiration_date, parent_id, created_at, updated_at, last_login";

pub(super) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        username: row.get(1)?,
        email: row.get(2)?,
        first_name: row.get(3)?,
        last_name: row.get(4)?,
        mobile: row.get(5)?,
        role: row.get(6)?,
        status: row.get(7)?,
        plan_id: row.get(8)?,
        expiration_date: row.get(9)?,
        parent_id: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        last_login: row.get(13)?,
    })
}

pub fn find_user(conn: &Connection, id: i64) -> rusqlite::Result<Option<UserRow>> {
    conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))?
        .query_row([id], user_from_row)
        .optional()
}

/// A user and their password hash, by username (case-insensitive).
pub fn find_login(
    conn: &Connection,
    username: &str,
) -> rusqlite::Result<Option<(UserRow, String)>> {
    conn.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = ?"
    ))?
    .query_row([username], |row| Ok((user_from_row(row)?, row.get(14)?)))
    .optional()
}

pub fn username_taken(
    conn: &Connection,
    username: &str,
    except: Option<i64>,
) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE username = ? AND id IS NOT ?")?
        .exists(params![username, except])
}

/// Emails are compared without regard to ASCII case, as mail servers treat them in practice;
/// `users_email_nocase` answers this.
pub fn email_taken(conn: &Connection, email: &str, except: Option<i64>) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM users WHERE email = ? COLLATE NOCASE AND id IS NOT ?")?
        .exists(params![email, except])
}

/// The columns of a new user.
#[derive(Clone, Debug)]
pub struct NewUserRecord {
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub role: UserRole,
    pub status: UserStatus,
    pub plan_id: Option<i64>,
    pub expiration_date: Option<String>,
    pub parent_id: Option<i64>,
    pub password_hash: String,
    pub created_at: String,
}

pub fn insert_user(conn: &Connection, user: &NewUserRecord) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO users (username, email, first_name, last_name, mobile, role, status, plan_id,
             expiration_date, parent_id, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        user.username,
        user.email,
        user.first_name,
        user.last_name,
        user.mobile,
        user.role.as_str(),
        user.status.as_str(),
        user.plan_id,
        user.expiration_date,
        user.parent_id,
        user.password_hash,
        user.created_at,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Writes the fields given (and `updated_at`); nothing at all when none is.
pub fn update_user(conn: &Connection, id: i64, fields: &UserFields) -> rusqlite::Result<()> {
    let text = |value: &Option<String>| value.clone().map_or(Value::Null, Value::Text);
    let mut changes: Vec<(&str, Value)> = Vec::new();
    if let Some(username) = &fields.username {
        changes.push(("username", Value::Text(username.clone())));
    }
    if let Some(email) = &fields.email {
        changes.push(("email", Value::Text(email.clone())));
    }
    for (column, value) in [
        ("first_name", &fields.first_name),
        ("last_name", &fields.last_name),
        ("mobile", &fields.mobile),
        ("expiration_date", &fields.expiration_date),
    ] {
        if let Some(value) = value {
            changes.push((column, text(value)));
        }
    }
    if let Some(role) = &fields.role {
        changes.push(("role", Value::Text(role.as_str().to_string())));
    }
    if let Some(status) = &fields.status {
        changes.push(("status", Value::Text(status.as_str().to_string())));
    }
    if let Some(plan_id) = fields.plan_id {
        changes.push(("plan_id", plan_id.map_or(Value::Null, Value::Integer)));
    }
    set_columns(conn, id, &changes)
}

/// Makes `member` a member of `parent`, or of nobody.
pub fn set_parent(conn: &Connection, member: i64, parent: Option<i64>) -> rusqlite::Result<()> {
    set_columns(
        conn,
        member,
        &[("parent_id", parent.map_or(Value::Null, Value::Integer))],
    )
}

/// The column names come from this file only, never from a request.
fn set_columns(conn: &Connection, id: i64, changes: &[(&str, Value)]) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = changes
        .iter()
        .map(|(column, _)| format!("{column} = ?"))
        .collect();
    let sql = format!(
        "UPDATE users SET {}, updated_at = ? WHERE id = ?",
        sets.join(", ")
    );
    let mut values: Vec<Value> = changes.iter().map(|(_, value)| value.clone()).collect();
    values.push(Value::Text(now()));
    values.push(Value::Integer(id));
    conn.execute(&sql, params_from_iter(values))?;
    Ok(())
}

pub fn set_password_hash(conn: &Connection, id: i64, hash: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
        params![hash, now(), id],
    )?;
    Ok(())
}

pub fn delete_user(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?", [id])? > 0)
}

/// Whether `ancestor` is `id` itself or above it in the parent chain.
pub fn is_ancestor_or_self(conn: &Connection, ancestor: i64, id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "WITH RECURSIVE chain(id) AS (
             SELECT ? UNION SELECT users.parent_id FROM users JOIN chain ON users.id = chain.id
             WHERE users.parent_id IS NOT NULL
         ) SELECT 1 FROM chain WHERE id = ?",
    )?
    .exists(params![id, ancestor])
}

pub fn set_last_login(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET last_login = ? WHERE id = ?",
        params![at, id],
    )?;
    Ok(())
}

/// The SQL condition "a System Admin or an Account Admin" (the names are the wire's, fixed).
fn privileged() -> String {
    format!(
        "role IN ('{}', '{}')",
        UserRole::SystemAdmin.as_str(),
        UserRole::AccountAdmin.as_str()
    )
}

/// The password hashes of System Admins and Account Admins other than `except`, the most
/// shared first (seeded users share one), at most `limit` of them.
pub fn privileged_password_hashes(
    conn: &Connection,
    except: i64,
    limit: usize,
) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(&format!(
        "SELECT password_hash FROM users WHERE {} AND id <> ?
         GROUP BY password_hash ORDER BY count(*) DESC LIMIT ?",
        privileged()
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let hashes = statement.query_map(params![except, limit], |row| row.get(0))?;
    hashes.collect()
}

/// Gives every System Admin and Account Admin (but `except`) whose hash is `old` the hash
/// `new`, and closes their sessions. Returns how many.
pub fn replace_privileged_password(
    conn: &Connection,
    old: &str,
    new: &str,
    except: i64,
) -> rusqlite::Result<u64> {
    let condition = format!("{} AND password_hash = ?1 AND id <> ?2", privileged());
    conn.execute(
        &format!("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE {condition})"),
        params![old, except],
    )?;
    let changed = conn.execute(
        &format!("UPDATE users SET password_hash = ?3 WHERE {condition}"),
        params![old, except, new],
    )?;
    Ok(changed as u64)
}

/// System Admins who can sign in (any status but Disabled).
pub fn active_system_admins(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT count(*) FROM users WHERE role = ? AND status <> ?")?
        .query_row(
            params![
                UserRole::SystemAdmin.as_str(),
                UserStatus::Disabled.as_str()
            ],
            |row| row.get(0),
        )
}

/// How many users the database holds (an empty one gets seeded).
pub fn user_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM users", [], |row| row.get(0))
}

#[cfg(test)]
impl NewUserRecord {
    /// An active Viewer with every text field filled.
    pub fn example(username: &str) -> NewUserRecord {
        NewUserRecord {
            username: username.into(),
            email: Some(format!("{username}@example.ir")),
            first_name: Some("Reza".into()),
            last_name: Some("Ahmadi".into()),
            mobile: Some("+98 912 000 0000".into()),
            role: UserRole::Viewer,
            status: UserStatus::Active,
            plan_id: None,
            expiration_date: None,
            parent_id: None,
            password_hash: "x".into(),
            created_at: now(),
        }
    }
}
