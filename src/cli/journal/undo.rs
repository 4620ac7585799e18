//! `geobox-users journal undo ENTRY`: find the entry, fetch its users, plan with the shared
//! planner, show old → new, ask, carry it out, and journal the undo itself.

use super::{Context, UndoArgs, append, open_journal};
use crate::cli::{CliError, ConnectionArgs, at_terminal, confirm, connect, note, print_stdout};
use geobox_ops::journal::{
    Entry, Lookup, Outcome, Tool, UndoPlan, apply_undo, plan_undo, same_host, users_now,
};

pub(super) async fn undo(args: &UndoArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !args.yes && !at_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to undo {} without confirmation: no terminal to ask on; pass --yes",
            args.entry
        )));
    }
    let entry = match open_journal()?
        .find(&args.entry)
        .map_err(|error| CliError::Io(format!("cannot read the journal: {error}")))?
    {
        Lookup::Found(entry) => *entry,
        Lookup::Missing => {
            return Err(CliError::Usage(format!(
                "no journal entry '{}' (see `geobox-users journal`)",
                args.entry
            )));
        }
        Lookup::Ambiguous(ids) => {
            return Err(CliError::Usage(format!(
                "'{}' starts several entries: {}",
                args.entry,
                ids.join(", ")
            )));
        }
    };
    let context = Context::load(connection);
    if !same_host(&context.host, &entry.host) {
        return Err(CliError::Usage(format!(
            "entry {} was made on {}, but this run is connected to {}: pass --host {}",
            entry.id, entry.host, context.host, entry.host
        )));
    }
    let client = connect(connection)?;
    let now = users_now(&client, &entry).await?;
    let plan = plan_undo(&entry, &now, args.force)
        .map_err(|refusal| CliError::Declined(format!("cannot undo {}: {refusal}", entry.id)))?;
    print_stdout(&describe(&entry, &plan))?;
    if !args.yes && !confirm(&format!("Undo {}?", entry.id))? {
        return Err(CliError::Declined(format!(
            "entry {} was not undone",
            entry.id
        )));
    }
    let applied = apply_undo(&client, &plan).await;
    let new_passwords = applied.new_passwords.clone();
    let mut undo_entry = applied.into_entry(&entry, &context.host, Tool::Cli);
    undo_entry.profile = context.profile;
    undo_entry.by = context.by;
    append(&undo_entry);
    for (username, password) in &new_passwords {
        print_stdout(&format!(
            "new password of {username} (shown once, not journaled): {}\n",
            password.expose()
        ))?;
    }
    let outcome = undo_entry.outcome.clone();
    match outcome {
        Outcome::Ok => {
            note(&format!(
                "undid {} (journaled as {})",
                entry.id, undo_entry.id
            ));
            Ok(())
        }
        Outcome::Error(message) => Err(CliError::Io(format!(
            "the undo of {} failed (journaled as {}): {message}",
            entry.id, undo_entry.id
        ))),
    }
}

fn describe(entry: &Entry, plan: &UndoPlan) -> String {
    let mut text = format!(
        "Undo {} ({} by {} at {}):\n",
        entry.id,
        entry.action,
        entry.by.as_deref().unwrap_or("?"),
        entry.time.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for step in &plan.steps {
        text.push_str(&format!("{step}\n"));
    }
    for line in &plan.notes {
        text.push_str(&format!("note: {line}\n"));
    }
    text
}
