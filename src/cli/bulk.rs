//! `users list --all`, `users bulk-update` and `users import`: the commands that go through
//! every user of a view or every row of a file, with a progress bar on a terminal. Each stops
//! after its current batch or page on Ctrl-C or SIGTERM ([`stop`]).

mod import;
mod stop;

use std::io::{self, IsTerminal};

use clap::{ArgGroup, Args};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::journal::{Written, record};
use super::out::{CleanLines, confirm_count};
use super::show::OutputArgs;
use super::views::FilterArgs;
use super::{CliError, ConnectionArgs, at_terminal, connect, note};
use geobox_api::{GeoboxClient, User, UserRole, UserStatus};
use geobox_ops::bulk::{self, Change, Progress, Targets, first_few};
use geobox_ops::journal::Action;
use geobox_ops::safety::{WithoutSelf, grant_warning, narrows, require_filter};
use geobox_ops::transfer::output;
use geobox_ops::transfer::{ExportError, Pager, write_view};
use geobox_ops::views::View;

pub use import::{ImportArgs, import};
use stop::Stop;

/// Above this many users a confirmation asks for the count, not a yes.
const TYPE_THE_COUNT_ABOVE: usize = 100;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).args(["set_status", "set_role", "renew_plan"])))]
pub struct BulkUpdateArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Set every matching user's status.
    #[arg(long, value_name = "STATUS")]
    pub set_status: Option<UserStatus>,
    /// Set every matching user's role (giving System Admin or Account Admin always prints a ⚠
    /// line, and asks unless --yes).
    #[arg(long, value_name = "ROLE")]
    pub set_role: Option<UserRole>,
    /// Renew every matching user's plan.
    #[arg(long)]
    pub renew_plan: bool,
    /// Change every user: needed when no filter is given (an empty --q or --search is none).
    /// The count is still shown, and on a terminal typed to go ahead.
    #[arg(long)]
    pub all: bool,
    /// Print who would change and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask (the signed-in admin is still left out of a change that would lock them
    /// out).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How --dry-run prints the users that would change.
    #[command(flatten)]
    pub output: OutputArgs,
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

/// `users list --all`: every page of the view written to stdout as it arrives, in the output
/// flags' format and style. Ctrl-C or SIGTERM stops after the current page, with the list still
/// ended (a JSON array closed) and exit 1.
pub async fn list_all(
    client: &GeoboxClient,
    view: View,
    output: &OutputArgs,
) -> Result<(), CliError> {
    let stop = Stop::on_signals("the current page");
    let bar = match progress_bar(0, "users") {
        Some(bar) => {
            bar.set_length(client.count_users(&view.query()).await?);
            Some(bar)
        }
        None => None,
    };
    let total = bar.as_ref().and_then(ProgressBar::length).unwrap_or(0) as usize;
    let mut out = CleanLines::new(io::BufWriter::new(io::stdout().lock()));
    let exported = write_view(
        client,
        view,
        (output.format(), &output.style()),
        &mut out,
        total,
        |progress| {
            show(bar.as_ref(), progress);
            !stop.asked()
        },
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    match exported {
        Ok(exported) if exported.stopped => Err(CliError::Failed(format!(
            "stopped by {}: wrote the first {} users only",
            stop.by().map_or("a signal", stop::Signal::name),
            exported.written
        ))),
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
    let view = args.filters.view(connection)?;
    require_filter(&view, args.all)
        .map_err(|unfiltered| CliError::Usage(unfiltered.to_string()))?;
    if !args.dry_run && !args.yes && !at_terminal() {
        return Err(CliError::Usage(
            "refusing a bulk update without confirmation: no terminal to ask on; pass --yes \
             (or --dry-run to see who would change)"
                .to_string(),
        ));
    }
    let change = args.change();
    let client = connect(connection)?;
    let users = Pager::new(view.clone())
        .collect_users(&client, |_| {})
        .await?;
    let Targets { to_change, already } = Targets::split(users, &change);
    let split = without_self(&client, to_change, &change).await?;
    let warnings = warnings_of(&split, &change);
    let targets = Targets {
        to_change: split.users,
        already,
    };
    if args.dry_run {
        print_users(&targets.to_change, &args.output)?;
        for warning in &warnings {
            note(warning);
        }
        note(&format!(
            "dry run: {} users would change ({}), {} already so; nothing was written",
            targets.to_change.len(),
            change.describe(),
            targets.already.len()
        ));
        return Ok(());
    }
    if targets.to_change.is_empty() {
        for warning in &warnings {
            note(warning);
        }
        note(&format!(
            "nothing to change: {} matching users already so",
            targets.already.len()
        ));
        return Ok(());
    }
    let question = Question {
        users: &targets.to_change,
        change: &change,
        warnings: &warnings,
        everyone: !narrows(&view),
    };
    if args.yes {
        question.tell();
    } else {
        question.ask()?;
    }
    let bar = progress_bar(targets.to_change.len() as u64, "writing");
    let stop = Stop::on_signals("the current batch");
    let summary = bulk::run(&client, targets, &change, stop.flag(), |progress| {
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
    stopped_early(&stop, summary.not_reached.len(), "users")
}

/// The targets without the signed-in admin when the change would lock them out. Who is
/// signed in is asked only when the change could harm them, and a change that could is not
/// made when the server does not say (the check fails closed).
async fn without_self(
    client: &GeoboxClient,
    users: Vec<User>,
    change: &Change,
) -> Result<WithoutSelf, CliError> {
    if !change.may_harm_oneself() {
        return Ok(WithoutSelf {
            users,
            left_out: None,
        });
    }
    let me = super::signed_in(
        client,
        "this change cannot be made sure to leave you out; nothing was changed",
    )
    .await?;
    Ok(WithoutSelf::of(users, &me, |me, user| {
        change.self_harm(me, user)
    }))
}

/// What a confirmation says besides the change: the admin left out, and the ⚠ line of admin
/// rights given.
fn warnings_of(split: &WithoutSelf, change: &Change) -> Vec<String> {
    let mut warnings: Vec<String> = split.note().into_iter().collect();
    if let Change::Role(role) = change {
        let targets = split.users.iter();
        warnings.extend(grant_warning(
            role,
            targets.map(|user| (user.role.as_ref(), user.username.as_str())),
        ));
    }
    warnings
}

/// A run stopped by a signal did not do all it was asked: exit 1, after its summary.
fn stopped_early(stop: &Stop, not_reached: usize, what: &str) -> Result<(), CliError> {
    match (not_reached, stop.by()) {
        (0, _) => Ok(()),
        (left, by) => Err(CliError::Failed(format!(
            "stopped by {}: {left} {what} were not written",
            by.map_or("a signal", stop::Signal::name)
        ))),
    }
}

fn print_users(users: &[User], output: &OutputArgs) -> Result<(), CliError> {
    let values: Vec<Value> = users
        .iter()
        .filter_map(|user| serde_json::to_value(user).ok())
        .collect();
    output.list(&values, &output::USERS)
}

/// The confirmation of a change to many users.
struct Question<'a> {
    users: &'a [User],
    change: &'a Change,
    warnings: &'a [String],
    /// No filter (`--all`): the count is typed however few they are.
    everyone: bool,
}

impl Question<'_> {
    /// `status → Disabled for 40 users (neda, omid, … and 37 more)`, then the warnings.
    fn text(&self) -> String {
        let count = self.users.len();
        let who = first_few(self.users.iter().map(|user| user.username.clone()));
        let mut text = format!("{} for {count} users ({who})", self.change.describe());
        if self.everyone {
            text.push_str(", every user there is (--all)");
        }
        for warning in self.warnings {
            text.push('\n');
            text.push_str(warning);
        }
        text
    }

    /// With `--yes` nothing is asked, but what is done and its warnings are still said.
    fn tell(&self) {
        note(&self.text());
    }

    fn ask(&self) -> Result<(), CliError> {
        let count = self.users.len();
        let agreed = if count > TYPE_THE_COUNT_ABOVE || self.everyone {
            confirm_count(&self.text(), count)?
        } else {
            super::confirm(&format!("{}\nGo ahead?", self.text()))?
        };
        if agreed {
            Ok(())
        } else {
            Err(CliError::Declined("nothing was changed".to_string()))
        }
    }
}
