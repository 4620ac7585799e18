//! `geobox-users sessions ...`

use clap::Subcommand;

use super::journal::{Written, record};
use super::output::{self, Format};
use super::{CliError, ConnectionArgs, block_on, connect, note, parse_id, print_stdout};
use crate::api::UserRef;
use crate::journal::Action;

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List the signed-in sessions of a user (an id, or `me`).
    List {
        #[arg(value_name = "ID|me")]
        user: UserRef,
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

pub fn run(command: SessionsCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        SessionsCommand::List {
            user,
            output: format,
        } => {
            let client = connect(connection)?;
            let sessions = block_on(client.list_sessions_raw(user))??;
            print_stdout(&output::render_list(&sessions, &output::SESSIONS, format))
        }
        SessionsCommand::Close { id, uuid } => {
            if uuid.trim().is_empty() {
                return Err(CliError::Usage("the session UUID is empty".to_string()));
            }
            let client = connect(connection)?;
            let closed = block_on(client.close_session(id, &uuid))?;
            let written = Written::to_user(Action::CloseSession, id).detail(&uuid);
            record(connection, written, &closed);
            closed?;
            note(&format!("closed session {uuid} of user {id}"));
            Ok(())
        }
    }
}
