//! `geobox-users journal undo ENTRY`: find the entry, say where it came from (and warn when it
//! does not verify), fetch its users, plan with the shared planner, show old → new, ask,
//! carry it out, and journal the undo itself.

use super::record::{Context, append, open, tell};
use super::{UndoArgs, unreadable};
use crate::cli::{CliError, ConnectionArgs, at_terminal, confirm, connect, note, print_stdout};
use geobox_api::GeoboxClient;
use geobox_ops::journal::{
    Claimed, Deployment, Entry, IfChanged, Journal, Lookup, Outcome, Tool, UndoClaim, UndoOptions,
    UndoPlan, apply_undo, counted, plan_undo, users_now,
};
use geobox_ops::safety::SignedIn;

/// Above this many users an undo asks for the count, as `bulk-update` does, not a yes.
const TYPE_THE_COUNT_ABOVE: usize = 100;
/// Steps the plan shows before "… and N more users".
const STEPS_SHOWN: usize = 20;
/// Failures listed after an undo; every user's outcome is in its journal entry.
const FAILURES_SHOWN: usize = 20;

pub(super) async fn undo(args: &UndoArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !args.yes && !at_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to undo {} without confirmation: no terminal to ask on; pass --yes",
            args.entry
        )));
    }
    let journal = open(connection)?;
    let entry = find(&journal, &args.entry)?;
    tell(&journal);
    print_stdout(&origin(&entry))?;
    check_seal(&entry, args)?;
    let context = Context::load(connection);
    if !entry.is_on(&context.deployment) {
        return Err(CliError::Usage(elsewhere(&entry, &context.deployment)));
    }
    let client = connect(connection)?;
    // Without knowing who is signed in, an undo could shut them out: none is made.
    let me = crate::cli::signed_in(&client, "nothing was undone").await?;
    // Claimed in the journal before the users are read and anything is written: of two
    // admins undoing this entry at once, one goes ahead and the other is told who did.
    let claim = UndoClaim::new(context.by.as_deref());
    match journal.claim_undo(&entry.id, &claim) {
        Ok(Claimed::Yours) => {}
        Ok(other) => {
            let why = other.refusal(&entry.id).unwrap_or_default();
            return Err(CliError::Declined(format!("nothing was undone: {why}")));
        }
        Err(error) => {
            return Err(CliError::Io(format!(
                "nothing was undone: the journal could not claim the undo of {}: {error}",
                entry.id
            )));
        }
    }
    // Read again now that it is claimed: an undo that finished a moment ago marked it.
    let entry = find(&journal, &entry.id).unwrap_or(entry);
    let plan = match plan_and_ask(&client, &entry, &me, args).await {
        Ok(plan) => plan,
        Err(error) => {
            let _ = journal.release_undo(&entry.id, &claim);
            return Err(error);
        }
    };
    let applied = apply_undo(&client, &plan).await;
    let new_passwords = applied.new_passwords.clone();
    let failures: Vec<String> = applied.failures.iter().map(ToString::to_string).collect();
    let mut undo_entry = applied.into_entry(&entry, "", Tool::Cli);
    context.stamp(&mut undo_entry);
    // Appending the undo marks the entry and ends the claim; if it cannot be kept, the claim
    // is let go so that the entry can be undone again.
    if !append(&journal, &undo_entry) {
        let _ = journal.release_undo(&entry.id, &claim);
    }
    for (username, password) in &new_passwords {
        print_stdout(&format!(
            "new password of {username} (shown once, not journaled): {}\n",
            password.expose()
        ))?;
    }
    report(&entry, &undo_entry, &plan, &failures)
}

/// Reads the entry's users as they are now, plans the undo, shows it and asks.
async fn plan_and_ask(
    client: &GeoboxClient,
    entry: &Entry,
    me: &SignedIn,
    args: &UndoArgs,
) -> Result<UndoPlan, CliError> {
    let now = users_now(client, entry).await?;
    let options = UndoOptions {
        if_changed: match (args.force, args.skip_changed) {
            (true, _) => IfChanged::Overwrite,
            (false, true) => IfChanged::Skip,
            (false, false) => IfChanged::Refuse,
        },
        me: Some(me),
    };
    let plan = plan_undo(entry, &now, &options)
        .map_err(|refusal| CliError::Declined(format!("cannot undo {}: {refusal}", entry.id)))?;
    drop(now);
    print_stdout(&describe(entry, &plan))?;
    if !args.yes {
        ask(entry, &plan)?;
    }
    Ok(plan)
}

fn find(journal: &Journal, wanted: &str) -> Result<Entry, CliError> {
    match journal.find(wanted).map_err(unreadable)? {
        Lookup::Found(entry) => Ok(*entry),
        Lookup::Missing => Err(CliError::Usage(format!(
            "no journal entry '{wanted}' (see `geobox-users journal`)"
        ))),
        Lookup::Ambiguous(ids) => Err(CliError::Usage(format!(
            "'{wanted}' starts several entries: {}",
            ids.join(", ")
        ))),
    }
}

/// `Entry k3v9 (update by admin with the cli on https://h at …), from journal.jsonl: verified`
fn origin(entry: &Entry) -> String {
    let (store, seal) = match &entry.read_from {
        Some(from) => (from.store.as_str(), from.seal.to_string()),
        None => ("the journal", "not checked".to_string()),
    };
    let tool = match entry.tool {
        Tool::Cli => "the CLI",
        Tool::Console => "the console",
    };
    format!(
        "Entry {} ({} by {} with {tool} on {} at {}), from {store}: {seal}\n",
        entry.id,
        entry.action,
        Some(entry.made_by())
            .filter(|who| !who.is_empty())
            .unwrap_or_else(|| "?".to_string()),
        entry.deployment_label(),
        entry.time.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// An entry that does not verify is undone only when the admin says so knowing it: asked on
/// a terminal, or `--allow-unverified` with `--yes`.
fn check_seal(entry: &Entry, args: &UndoArgs) -> Result<(), CliError> {
    let seal = entry.read_from.as_ref().map(|from| from.seal);
    let Some(warning) = seal.and_then(|seal| seal.warning(&entry.id)) else {
        return Ok(());
    };
    note(&format!("WARNING: {warning}."));
    note(
        "Undoing it writes what it says as it reads now. Going on shows that first, and asks \
         again before anything is written (unless --yes).",
    );
    let allowed = if args.yes {
        args.allow_unverified
    } else {
        confirm(&format!("Go on with entry {} anyway?", entry.id))?
    };
    if allowed {
        return Ok(());
    }
    Err(CliError::Declined(format!(
        "entry {} was not undone: it does not verify{}",
        entry.id,
        if args.yes {
            " (pass --allow-unverified with --yes to undo it anyway)"
        } else {
            ""
        }
    )))
}

/// Why this run cannot undo an entry made on another deployment.
fn elsewhere(entry: &Entry, here: &Deployment) -> String {
    match &entry.deployment {
        Some(Deployment::Demo) => format!(
            "entry {} was made on the console's built-in demo, which only the console runs: \
             open it (geobox-users --demo) and undo the entry there (L, then u)",
            entry.id
        ),
        _ => {
            let there = entry.deployment_label();
            format!(
                "entry {} was made on {there}, but this run is connected to {}: pass --host \
                 {there}",
                entry.id,
                here.label()
            )
        }
    }
}

fn describe(entry: &Entry, plan: &UndoPlan) -> String {
    let mut text = format!(
        "Undo {}: {}\n",
        entry.id,
        counted(plan.users(), "user", "users")
    );
    text.push_str(&plan.preview(STEPS_SHOWN));
    for warning in plan.admin_grants() {
        text.push_str(&format!("{warning}\n"));
    }
    if let Some(left_out) = &plan.left_out {
        text.push_str(&format!("note: {}\n", left_out.note()));
    }
    let skipped = plan.skipped.lines();
    if !skipped.is_empty() {
        text.push_str(&format!(
            "left as they are, changed since the entry ({}):\n",
            counted(plan.skipped.users().len(), "user", "users")
        ));
        for line in skipped.iter().take(STEPS_SHOWN) {
            text.push_str(&format!("  {line}\n"));
        }
        if skipped.len() > STEPS_SHOWN {
            text.push_str(&format!("  … and {} more\n", skipped.len() - STEPS_SHOWN));
        }
    }
    for line in &plan.notes {
        text.push_str(&format!("note: {line}\n"));
    }
    text
}

/// A yes for a few users; the count typed for many, like `bulk-update`.
fn ask(entry: &Entry, plan: &UndoPlan) -> Result<(), CliError> {
    let count = plan.users();
    let agreed = if count > TYPE_THE_COUNT_ABOVE {
        crate::cli::out::confirm_count(&format!("Undo {} for {count} users?", entry.id), count)?
    } else {
        confirm(&format!("Undo {}?", entry.id))?
    };
    if agreed {
        Ok(())
    } else {
        Err(CliError::Declined(format!(
            "entry {} was not undone",
            entry.id
        )))
    }
}

/// A summary, who was left out, and the failures (the first few: every user's outcome is in
/// the undo's journal entry).
fn report(
    entry: &Entry,
    undo_entry: &Entry,
    plan: &UndoPlan,
    failures: &[String],
) -> Result<(), CliError> {
    let left = plan.skipped.users().len() + usize::from(plan.left_out.is_some());
    let mut summary = format!(
        "undid {}: {} of {} put back",
        entry.id,
        plan.users() - failures.len(),
        counted(plan.users(), "user", "users")
    );
    if left > 0 {
        summary.push_str(&format!(", {left} left as they are"));
    }
    summary.push_str(&format!(" (journaled as {})", undo_entry.id));
    note(&summary);
    for failure in failures.iter().take(FAILURES_SHOWN) {
        note(&format!("  failed: {failure}"));
    }
    if let Some(more) = failures
        .len()
        .checked_sub(FAILURES_SHOWN)
        .filter(|more| *more > 0)
    {
        let noun = if more == 1 { "failure" } else { "failures" };
        note(&format!(
            "  … and {more} more {noun} (each user's outcome: geobox-users journal --output json)"
        ));
    }
    match &undo_entry.outcome {
        Outcome::Ok => Ok(()),
        Outcome::Error(_) => Err(CliError::Io(format!(
            "the undo of {} failed for {} (journaled as {})",
            entry.id,
            counted(failures.len(), "user", "users"),
            undo_entry.id
        ))),
    }
}
