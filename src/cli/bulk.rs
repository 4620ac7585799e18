//! `users list --all`, `users bulk-update` and `users import`: the commands that go through
//! every user of a view or every row of a file, with a progress bar on a terminal.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{ArgGroup, Args};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::journal::{Written, record};
use super::views::FilterArgs;
use super::{CliError, ConnectionArgs, at_terminal, connect, note, print_stdout};
use geobox_api::{GeoboxClient, Secret, User, UserRole, UserStatus};
use geobox_ops::bulk::{self, Change, Progress, Targets};
use geobox_ops::journal::{Action, random_text};
use geobox_ops::transfer::import::{self, Plan};
use geobox_ops::transfer::output::{self, Format};
use geobox_ops::transfer::{ExportError, Pager, write_view};
use geobox_ops::views::View;

/// Above this many users a confirmation asks for the count, not a yes.
const TYPE_THE_COUNT_ABOVE: usize = 100;
/// Usernames a confirmation or a dry run's note names before "and N more".
const FIRST_FEW: usize = 5;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).args(["set_status", "set_role", "renew_plan"])))]
pub struct BulkUpdateArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Set every matching user's status.
    #[arg(long, value_name = "STATUS")]
    pub set_status: Option<UserStatus>,
    /// Set every matching user's role.
    #[arg(long, value_name = "ROLE")]
    pub set_role: Option<UserRole>,
    /// Renew every matching user's plan.
    #[arg(long)]
    pub renew_plan: bool,
    /// Print who would change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl BulkUpdateArgs {
    fn change(&self) -> Change {
        match (&self.set_status, &self.set_role) {
            (Some(status), _) => Change::Status(status.clone()),
            (None, Some(role)) => Change::Role(role.clone()),
            (None, None) => Change::RenewPlan,
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A CSV file whose header names the columns: username,email (required), first_name,
    /// last_name, mobile, role, status, plan_id, expiration_date, password.
    #[arg(value_name = "FILE.csv")]
    pub file: PathBuf,
    /// Check the file and say what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Update users that exist (only the fields that differ) instead of skipping them.
    #[arg(long)]
    pub update_existing: bool,
    /// Where the passwords generated for rows without one are written (created 0600).
    #[arg(long, value_name = "FILE")]
    pub passwords_out: Option<PathBuf>,
}

/// A bar on stderr when someone watches it; `None` when stderr is a file or a pipe.
fn progress_bar(total: u64, what: &str) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    // The counts, rate and ETA come from `Progress::line` (whole numbers), not indicatif's.
    let template = format!("{what} {{bar:30}} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    Some(bar)
}

fn show(bar: Option<&ProgressBar>, progress: Progress) {
    if let Some(bar) = bar {
        bar.set_position(progress.done as u64);
        bar.set_message(progress.line());
    }
}

/// Ctrl-C stops after the current batch instead of killing the process mid-write.
fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::Relaxed);
        }
    });
    cancel
}

/// `users list --all`: every page of the view, written as it arrives.
pub async fn list_all(client: &GeoboxClient, view: View, format: Format) -> Result<(), CliError> {
    let bar = match progress_bar(0, "users") {
        Some(bar) => {
            bar.set_length(client.count_users(&view.query()).await?);
            Some(bar)
        }
        None => None,
    };
    let total = bar.as_ref().and_then(ProgressBar::length).unwrap_or(0) as usize;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let exported = write_view(client, view, format, &mut out, total, |progress| {
        show(bar.as_ref(), progress);
        true
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match exported {
        Ok(_) => Ok(()),
        Err(ExportError::Api(error)) => Err(error.into()),
        // The reader went away (`| head`): stop quietly.
        Err(ExportError::Write(error)) => broken_pipe_is_fine(&error),
    }
}

fn broken_pipe_is_fine(error: &io::Error) -> Result<(), CliError> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(CliError::Io(format!("cannot write the output: {error}")))
    }
}

pub async fn bulk_update(
    args: &BulkUpdateArgs,
    connection: &ConnectionArgs,
) -> Result<(), CliError> {
    if !args.dry_run && !args.yes && !at_terminal() {
        return Err(CliError::Usage(
            "refusing a bulk update without confirmation: no terminal to ask on; pass --yes \
             (or --dry-run to see who would change)"
                .to_string(),
        ));
    }
    let view = args.filters.view(connection)?;
    let change = args.change();
    let client = connect(connection)?;
    let users = Pager::new(view).collect_users(&client, |_| {}).await?;
    let targets = Targets::split(users, &change);
    if args.dry_run {
        print_users(&targets.to_change)?;
        note(&format!(
            "dry run: {} users would change ({}), {} already so; nothing was written",
            targets.to_change.len(),
            change.describe(),
            targets.already.len()
        ));
        return Ok(());
    }
    if targets.to_change.is_empty() {
        note(&format!(
            "nothing to change: {} matching users already so",
            targets.already.len()
        ));
        return Ok(());
    }
    if !args.yes {
        confirm_many(&targets.to_change, &change)?;
    }
    let bar = progress_bar(targets.to_change.len() as u64, "writing");
    let cancel = cancel_on_ctrl_c();
    let summary = bulk::run(&client, targets, &change, &cancel, |progress| {
        show(bar.as_ref(), progress);
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = summary.outcome();
    let written =
        Written::bulk(Action::BulkUpdate, summary.changes.clone()).detail(change.describe());
    record(connection, written, &outcome);
    note(&summary.line());
    for (user, reason) in &summary.failed {
        note(&format!(
            "  failed: {} ({}): {reason}",
            user.username, user.id
        ));
    }
    outcome?;
    stopped_early(summary.not_reached.len(), "users")
}

/// A run stopped by Ctrl-C did not do all it was asked: exit 1, after its summary.
fn stopped_early(not_reached: usize, what: &str) -> Result<(), CliError> {
    match not_reached {
        0 => Ok(()),
        left => Err(CliError::Failed(format!(
            "stopped by Ctrl-C: {left} {what} were not written"
        ))),
    }
}

fn print_users(users: &[User]) -> Result<(), CliError> {
    let values: Vec<Value> = users
        .iter()
        .filter_map(|user| serde_json::to_value(user).ok())
        .collect();
    print_stdout(&output::render_list(&values, &output::USERS, Format::Table))
}

/// `neda, omid, sara and 40 more`
fn first_few(usernames: impl ExactSizeIterator<Item = String>) -> String {
    let total = usernames.len();
    let shown: Vec<String> = usernames.take(FIRST_FEW).collect();
    match total.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

fn confirm_many(users: &[User], change: &Change) -> Result<(), CliError> {
    let count = users.len();
    let who = first_few(users.iter().map(|user| user.username.clone()));
    let question = format!("{} for {count} users ({who})", change.describe());
    let agreed = if count > TYPE_THE_COUNT_ABOVE {
        let mut stderr = io::stderr();
        let _ = write!(stderr, "{question}.\nType {count} to go ahead: ");
        let _ = stderr.flush();
        let mut answer = String::new();
        io::stdin()
            .read_line(&mut answer)
            .map_err(|error| CliError::Io(format!("cannot read the answer: {error}")))?;
        answer.trim() == count.to_string()
    } else {
        super::confirm(&format!("{question}?"))?
    };
    if agreed {
        Ok(())
    } else {
        Err(CliError::Declined("nothing was changed".to_string()))
    }
}

pub async fn import(args: &ImportArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    let file = std::fs::File::open(&args.file).map_err(|error| {
        CliError::Usage(format!("cannot open {}: {error}", args.file.display()))
    })?;
    let rows = import::parse(io::BufReader::new(file)).map_err(|errors| {
        for error in &errors {
            note(&format!("{}: {error}", args.file.display()));
        }
        CliError::Usage(format!(
            "{} problems in {}; nothing was imported",
            errors.len(),
            args.file.display()
        ))
    })?;
    let client = connect(connection)?;
    let plans = import::plan(&client, rows, args.update_existing).await?;
    let needing_password: Vec<&str> = plans
        .iter()
        .filter_map(|plan| match plan {
            Plan::Create(row) if row.password.is_none() => Some(row.username.as_str()),
            _ => None,
        })
        .collect();
    if args.dry_run {
        print_stdout(&describe_plans(&plans))?;
        if !needing_password.is_empty() && args.passwords_out.is_none() {
            note(&format!(
                "note: {} new users have no password: the real run needs --passwords-out",
                needing_password.len()
            ));
        }
        note("dry run: nothing was written");
        return Ok(());
    }
    let passwords = generated_passwords(&needing_password, args.passwords_out.as_ref())?;
    let writes = plans
        .iter()
        .filter(|plan| !matches!(plan, Plan::Skip { .. }))
        .count();
    let bar = progress_bar(writes as u64, "importing");
    let cancel = cancel_on_ctrl_c();
    let summary = import::apply(&client, plans, &passwords, &cancel, |progress| {
        show(bar.as_ref(), progress);
    })
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = summary.outcome();
    if !summary.changes.is_empty() {
        let written =
            Written::bulk(Action::Import, summary.changes.clone()).detail(args.file.display());
        record(connection, written, &outcome);
    }
    note(&summary.line());
    for (line, username, reason) in &summary.failed {
        note(&format!("  failed: line {line}: {username}: {reason}"));
    }
    outcome?;
    stopped_early(summary.not_reached, "rows")
}

fn describe_plans(plans: &[Plan]) -> String {
    let mut text = String::new();
    for plan in plans {
        let row = plan.row();
        let what = match plan {
            Plan::Create(_) => format!("create {}", row.username),
            Plan::Update { update, user, .. } => {
                let fields: Vec<String> = update.to_json().keys().cloned().collect();
                format!(
                    "update {} ({}): {}",
                    row.username,
                    user.id,
                    fields.join(", ")
                )
            }
            Plan::Skip { user, .. } => format!("skip {} ({}): exists", row.username, user.id),
        };
        text.push_str(&format!("line {}: {what}\n", row.line));
    }
    text
}

/// A password for each new user without one, written (username,password) to `out` before
/// any user is created, so none is created with a password nobody knows.
fn generated_passwords(
    usernames: &[&str],
    out: Option<&PathBuf>,
) -> Result<HashMap<String, Secret>, CliError> {
    if usernames.is_empty() {
        return Ok(HashMap::new());
    }
    let Some(path) = out else {
        return Err(CliError::Usage(format!(
            "{} new users have no password ({}): give --passwords-out FILE to generate them",
            usernames.len(),
            first_few(usernames.iter().map(|name| name.to_string()))
        )));
    };
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let passwords: HashMap<String, Secret> = usernames
        .iter()
        .map(|username| {
            (
                username.to_string(),
                Secret::from(random_text(ALPHABET, 16)),
            )
        })
        .collect();
    let mut text = String::from("username,password\n");
    for username in usernames {
        if let Some(password) = passwords.get(*username) {
            text.push_str(&format!("{username},{}\n", password.expose()));
        }
    }
    let written = geobox_ops::paths::create_private(path).and_then(|mut file| {
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
    });
    written.map_err(|error| {
        CliError::Io(format!(
            "cannot write {}: {error}; nothing was imported",
            path.display()
        ))
    })?;
    note(&format!(
        "wrote {} generated passwords to {}",
        usernames.len(),
        path.display()
    ));
    Ok(passwords)
}
