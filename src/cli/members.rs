//! `geobox-users members ...`: the sub-users of a user.

use clap::Subcommand;

use super::journal::{Written, record};
use super::targets::{self, Failures, Target, parse_target};
use super::{CliError, ConnectionArgs, OutputArgs, connect, note};
use geobox_api::GeoboxClient;
use geobox_ops::journal::Action;
use geobox_ops::transfer::output::{self, Format};

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List the members of a user (an id, a username or `me`).
    List {
        #[arg(value_name = "USER", value_parser = parse_target)]
        user: Target,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Make users members of another.
    Add {
        #[arg(value_name = "USER", value_parser = parse_target)]
        user: Target,
        #[arg(value_name = "MEMBER", required = true, value_parser = parse_target)]
        members: Vec<Target>,
    },
    /// Remove members from a user.
    Remove {
        #[arg(value_name = "USER", value_parser = parse_target)]
        user: Target,
        #[arg(value_name = "MEMBER", required = true, value_parser = parse_target)]
        members: Vec<Target>,
    },
}

impl MembersCommand {
    pub fn output_format(&self) -> Format {
        match self {
            MembersCommand::List { output, .. } => output.format(),
            MembersCommand::Add { .. } | MembersCommand::Remove { .. } => Format::Table,
        }
    }
}

/// Adding or removing.
#[derive(Clone, Copy)]
enum Membership {
    Add,
    Remove,
}

pub async fn run(command: MembersCommand, connection: &ConnectionArgs) -> Result<(), CliError> {
    match command {
        MembersCommand::List { user, output } => {
            let client = connect(connection)?;
            let id = targets::id_of(&client, &user).await?;
            let members = client.list_members_raw(id).await?;
            output.list(&members, &output::USERS)
        }
        MembersCommand::Add { user, members } => {
            change(Membership::Add, &user, &members, connection).await
        }
        MembersCommand::Remove { user, members } => {
            change(Membership::Remove, &user, &members, connection).await
        }
    }
}

async fn change(
    membership: Membership,
    user: &Target,
    members: &[Target],
    connection: &ConnectionArgs,
) -> Result<(), CliError> {
    let client = connect(connection)?;
    let id = targets::id_of(&client, user).await?;
    let member_ids = targets::ids_of(&client, members).await?;
    let mut failures = Failures::of(member_ids.len());
    for member_id in &member_ids {
        if let Err(error) = one(&client, membership, id, *member_id, connection).await {
            failures.add(format_args!("user {member_id}"), error)?;
        }
    }
    failures.end("membership", "memberships", "could not be changed")
}

async fn one(
    client: &GeoboxClient,
    membership: Membership,
    id: i64,
    member_id: i64,
    connection: &ConnectionArgs,
) -> Result<(), CliError> {
    let (action, result, done) = match membership {
        Membership::Add => (
            Action::AddMember,
            client.add_member(id, member_id).await,
            format!("user {member_id} is now a member of user {id}"),
        ),
        Membership::Remove => (
            Action::RemoveMember,
            client.remove_member(id, member_id).await,
            format!("user {member_id} is no longer a member of user {id}"),
        ),
    };
    record(
        connection,
        Written::to_user(action, id).detail(member_id),
        &result,
    );
    result?;
    note(&done);
    Ok(())
}
