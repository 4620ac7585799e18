//! `geobox-users sessions ...`

use clap::Subcommand;

use super::journal::{Written, record};
use serde_json::{Value, json};

use super::{CliError, ConnectionArgs, connect, note, parse_id, print_stdout};
use geobox_api::{Session, UserRef};
use geobox_ops::field_column;
use geobox_ops::journal::Action;
use geobox_ops::sessions_insight;
use geobox_ops::transfer::output::{self, Column, Format, Layout};

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List the signed-in sessions of a user (an id, or `me`).
    List {
        #[arg(value_name = "ID|me")]
        user: UserRef,
        /// Grouped by client and address, newest first, marked `new` and idle.
        #[arg(long)]
        group: bool,
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// Sign one session of a user out.
    Close {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
        #[arg(value_name = "UUID")]
        uuid: String,
    },
}

pub async fn run(command: SessionsCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        SessionsCommand::List {
            user,
            group,
            output: format,
        } => {
            let client = connect(connection)?;
            if group {
                let sessions = client.list_sessions(user).await?;
                let rows = grouped_rows(&sessions, chrono::Utc::now());
                return print_stdout(&output::render_list(&rows, &GROUPED, format));
            }
            let sessions = client.list_sessions_raw(user).await?;
            print_stdout(&output::render_list(&sessions, &output::SESSIONS, format))
        }
        SessionsCommand::Close { id, uuid } => {
            if uuid.trim().is_empty() {
                return Err(CliError::Usage("the session UUID is empty".to_string()));
            }
            let client = connect(connection)?;
            let closed = client.close_session(id, &uuid).await;
            let written = Written::to_user(Action::CloseSession, id).detail(&uuid);
            record(connection, written, &closed);
            closed?;
            note(&format!("closed session {uuid} of user {id}"));
            Ok(())
        }
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
