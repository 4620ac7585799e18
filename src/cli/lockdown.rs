//! `geobox-users users lockdown ID [--reset-password] [--yes]`: one confirmation listing the
//! steps, then each step's outcome as it happens, journaled as one entry.

use clap::Args;

use super::journal::record_entry;
use super::{CliError, ConnectionArgs, at_terminal, confirm, connect, note, parse_id};
use geobox_api::UserRef;
use geobox_ops::journal::Tool;
use geobox_ops::lockdown::{self, Lockdown, Progress};

#[derive(Debug, Args)]
pub struct LockdownArgs {
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub id: i64,
    /// Also give the user a new random password (shown once, never logged or journaled).
    #[arg(long)]
    pub reset_password: bool,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub async fn run(args: &LockdownArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !args.yes && !at_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to lock down user {} without confirmation: no terminal to ask on; pass \
             --yes",
            args.id
        )));
    }
    let plan = Lockdown {
        user_id: args.id,
        reset_password: args.reset_password,
    };
    let client = connect(connection)?;
    let me = client.user_id(UserRef::Me).await;
    let target = client.get_user(UserRef::Id(args.id)).await;
    lockdown::refuse_self(args.id, me.ok())?;
    let target = target?;
    if !args.yes {
        note(&plan.describe(Some(&target.username)).join("\n"));
        if !confirm("Go ahead?")? {
            return Err(CliError::Declined(format!(
                "user {} was not locked down",
                args.id
            )));
        }
    }
    let report = lockdown::run(&client, plan, |progress| {
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
                target.username, args.id
            ));
            Ok(())
        }
        Some(missed) => Err(CliError::Io(missed)),
    }
}
