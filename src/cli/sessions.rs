//! `geobox-users sessions ...`

use clap::Subcommand;

use super::journal::{Written, record};
use serde_json::{Value, json};

use super::targets::{self, Failures, Target, parse_target};
use super::{CliError, ConnectionArgs, OutputArgs, connect, note};
use geobox_api::{Session, UserRef};
use geobox_ops::field_column;
use geobox_ops::journal::Action;
use geobox_ops::sessions_insight;
use geobox_ops::transfer::output::{self, Column, Format, Layout};

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List the signed-in sessions of users (ids, usernames or `me`). Several users: each
    /// session carries its user's id (`user_id`, the USER column).
    List {
        #[arg(value_name = "USER", required = true, value_parser = parse_target)]
        users: Vec<Target>,
        /// Grouped by client and address, newest first, marked `new` and idle.
        #[arg(long)]
        group: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Sign sessions of a user out.
    Close {
        #[arg(value_name = "USER", value_parser = parse_target)]
        user: Target,
        #[arg(value_name = "UUID", required = true)]
        uuids: Vec<String>,
    },
}

impl SessionsCommand {
    pub fn output_format(&self) -> Format {
        match self {
            SessionsCommand::List { output, .. } => output.format(),
            SessionsCommand::Close { .. } => Format::Table,
        }
    }
}

pub async fn run(command: SessionsCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        SessionsCommand::List {
            users,
            group,
            output,
        } => {
            let client = connect(connection)?;
            let several = users.len() > 1;
            let mut rows = Vec::new();
            for target in &users {
                let user = match target {
                    Target::Me if !several => UserRef::Me,
                    other => UserRef::Id(targets::id_of(&client, other).await?),
                };
                let listed = if group {
                    grouped_rows(&client.list_sessions(user).await?, chrono::Utc::now())
                } else {
                    client.list_sessions_raw(user).await?
                };
                match user {
                    UserRef::Id(id) if several => {
                        rows.extend(listed.into_iter().map(|s| of_user(s, id)))
                    }
                    _ => rows.extend(listed),
                }
            }
            let layout = match (group, several) {
                (true, false) => &GROUPED,
                (true, true) => &GROUPED_BY_USER,
                (false, false) => &output::SESSIONS,
                (false, true) => &SESSIONS_BY_USER,
            };
            output.list(&rows, layout)
        }
        SessionsCommand::Close { user, uuids } => {
            if uuids.iter().any(|uuid| uuid.trim().is_empty()) {
                return Err(CliError::Usage("a session UUID is empty".to_string()));
            }
            let client = connect(connection)?;
            let id = targets::id_of(&client, &user).await?;
            let mut failures = Failures::of(uuids.len());
            for uuid in &uuids {
                let closed = client.close_session(id, uuid).await;
                let written = Written::to_user(Action::CloseSession, id).detail(uuid);
                record(connection, written, &closed);
                match closed {
                    Ok(()) => note(&format!("closed session {uuid} of user {id}")),
                    Err(error) => {
                        failures.add(format_args!("session {uuid} of user {id}"), error.into())?;
                    }
                }
            }
            failures.end("session", "sessions", "could not be closed")
        }
    }
}

/// A session of one of several users, marked with its user's id (first, unless the server
/// sent one).
fn of_user(session: Value, user_id: i64) -> Value {
    match session {
        Value::Object(fields) if !fields.contains_key("user_id") => {
            let mut marked = serde_json::Map::with_capacity(fields.len() + 1);
            marked.insert("user_id".to_string(), json!(user_id));
            marked.extend(fields);
            Value::Object(marked)
        }
        other => other,
    }
}

/// One row per session, in the grouping's order, with its group's client and address.
fn grouped_rows(sessions: &[Session], now: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    sessions_insight::group(sessions, now, sessions_insight::DEFAULT_IDLE_AFTER)
        .iter()
        .flat_map(|group| {
            group.sessions.iter().map(|insight| {
                json!({
                    "client": group.family.to_string(),
                    "ip": group.ip,
                    "uuid": insight.session.uuid,
                    "last_seen": insight.session.last_seen,
                    "created_at": insight.session.created_at,
                    "marks": insight.marks().join(" "),
                })
            })
        })
        .collect()
}

const GROUPED_COLUMNS: &[Column] = &[
    field_column!("CLIENT", "client"),
    field_column!("IP", "ip"),
    field_column!("UUID", "uuid"),
    field_column!("LAST SEEN", "last_seen"),
    field_column!("CREATED", "created_at"),
    field_column!("MARKS", "marks"),
];

const GROUPED: Layout = Layout {
    table: GROUPED_COLUMNS,
    csv: GROUPED_COLUMNS,
};

const GROUPED_BY_USER_COLUMNS: &[Column] = &[
    field_column!("USER", "user_id"),
    field_column!("CLIENT", "client"),
    field_column!("IP", "ip"),
    field_column!("UUID", "uuid"),
    field_column!("LAST SEEN", "last_seen"),
    field_column!("CREATED", "created_at"),
    field_column!("MARKS", "marks"),
];

const GROUPED_BY_USER: Layout = Layout {
    table: GROUPED_BY_USER_COLUMNS,
    csv: GROUPED_BY_USER_COLUMNS,
};

const SESSIONS_BY_USER_COLUMNS: &[Column] = &[
    field_column!("USER", "user_id"),
    field_column!("UUID", "uuid"),
    field_column!("AGENT", "agent"),
    field_column!("IP", "ip"),
    field_column!("CREATED", "created_at"),
    field_column!("LAST SEEN", "last_seen"),
    field_column!("CURRENT", "current"),
];

const SESSIONS_BY_USER: Layout = Layout {
    table: SESSIONS_BY_USER_COLUMNS,
    csv: SESSIONS_BY_USER_COLUMNS,
};
