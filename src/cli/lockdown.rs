//! `geobox-users users lockdown USER… [--reset-password] [--yes]`: one confirmation listing
//! the steps, then each step's outcome as it happens, each user journaled as one entry.

use clap::Args;

use super::journal::record_entry;
use super::out::count;
use super::targets::{self, Failures, Target, parse_target};
use super::{CliError, ConnectionArgs, at_terminal, confirm, connect, note};
use geobox_api::{GeoboxClient, User, UserRef};
use geobox_ops::journal::Tool;
use geobox_ops::lockdown::{self, Lockdown, Progress};
use geobox_ops::safety::{SignedIn, self_harm_of_lockdown};

#[derive(Debug, Args)]
pub struct LockdownArgs {
    /// The users to lock down: ids, usernames (never yourself).
    #[arg(value_name = "USER", required = true, value_parser = parse_target)]
    pub users: Vec<Target>,
    /// Also give each user a new random password (shown once, never logged or journaled).
    #[arg(long)]
    pub reset_password: bool,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(args: &LockdownArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !args.yes && !at_terminal() {
        let named: Vec<String> = args.users.iter().map(ToString::to_string).collect();
        return Err(CliError::Usage(format!(
            "refusing to lock down {} without confirmation: no terminal to ask on; pass --yes",
            named.join(", ")
        )));
    }
    let client = connect(connection)?;
    // Who is signed in must be known before anything is done: a lockdown of oneself shuts
    // the admin out, so an unanswered `users/me/` stops it (never skips the check).
    let me = signed_in(&client).await?;
    let mut found = Vec::with_capacity(args.users.len());
    for id in targets::ids_of(&client, &args.users).await? {
        if let Some(harm) = self_harm_of_lockdown(&me, id) {
            return Err(CliError::Usage(format!(
                "user {id} ({}) is the signed-in user: {harm}",
                me.username
            )));
        }
        found.push(client.get_user(UserRef::Id(id)).await?);
    }
    if !args.yes {
        for user in &found {
            let plan = Lockdown {
                user_id: user.id,
                reset_password: args.reset_password,
            };
            note(&plan.describe(Some(&user.username)).join("\n"));
        }
        if !confirm("Go ahead?")? {
            return Err(CliError::Declined(format!(
                "{} not locked down",
                count(found.len(), "user was", "users were")
            )));
        }
    }
    let mut failures = Failures::of(found.len());
    for user in &found {
        if let Err(error) = lock_down(&client, user, args.reset_password, connection).await {
            failures.add(format_args!("{} ({})", user.username, user.id), error)?;
        }
    }
    failures.end("user was", "users were", "not wholly locked down")
}

async fn signed_in(client: &GeoboxClient) -> Result<SignedIn, CliError> {
    let refused = |why: String| {
        CliError::Failed(format!(
            "cannot tell who is signed in ({why}), so nothing was locked down"
        ))
    };
    let me = client
        .get_user(UserRef::Me)
        .await
        .map_err(|error| refused(error.to_string()))?;
    super::signed_in_of(&me, "nothing was locked down")
}

async fn lock_down(
    client: &GeoboxClient,
    target: &User,
    reset_password: bool,
    connection: &ConnectionArgs,
) -> Result<(), CliError> {
    let plan = Lockdown {
        user_id: target.id,
        reset_password,
    };
    let report = lockdown::run(client, plan, |progress| {
        if let Progress::Done(step) = progress {
            note(&step.to_string());
        }
    })
    .await?;
    record_entry(connection, report.entry("", Tool::Cli));
    if let Some(password) = &report.new_password {
        // On stdout, so a script can take it; the only place it ever appears.
        super::print_stdout(&format!(
            "new password of {} (shown once, not journaled): {}\n",
            target.username,
            password.expose()
        ))?;
    }
    match report.missed() {
        None => {
            note(&format!(
                "locked down {} ({}); `geobox-users journal undo` puts back the status only",
                target.username, target.id
            ));
            Ok(())
        }
        Some(missed) => Err(CliError::Io(missed)),
    }
}
