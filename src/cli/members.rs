//! `geobox-users members ...`: the sub-users of a user.

use clap::Subcommand;

use super::journal::{Written, record};
use super::{CliError, ConnectionArgs, connect, note, parse_id, print_stdout};
use geobox_ops::journal::Action;
use geobox_ops::transfer::output::{self, Format};

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List the members of a user.
    List {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        output: Format,
    },
    /// Make a user a member of another.
    Add {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
        #[arg(value_name = "MEMBER_ID", value_parser = parse_id)]
        member_id: i64,
    },
    /// Remove a member from a user.
    Remove {
        #[arg(value_name = "ID", value_parser = parse_id)]
        id: i64,
        #[arg(value_name = "MEMBER_ID", value_parser = parse_id)]
        member_id: i64,
    },
}

pub async fn run(command: MembersCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        MembersCommand::List { id, output: format } => {
            let client = connect(connection)?;
            let members = client.list_members_raw(id).await?;
            print_stdout(&output::render_list(&members, &output::USERS, format))
        }
        MembersCommand::Add { id, member_id } => {
            let client = connect(connection)?;
            let written = Written::to_user(Action::AddMember, id).detail(member_id);
            let result = client.add_member(id, member_id).await;
            record(connection, written, &result);
            result?;
            note(&format!("user {member_id} is now a member of user {id}"));
            Ok(())
        }
        MembersCommand::Remove { id, member_id } => {
            let client = connect(connection)?;
            let written = Written::to_user(Action::RemoveMember, id).detail(member_id);
            let result = client.remove_member(id, member_id).await;
            record(connection, written, &result);
            result?;
            note(&format!(
                "user {member_id} is no longer a member of user {id}"
            ));
            Ok(())
        }
    }
}
