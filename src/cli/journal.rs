//! `geobox-users journal [...]` and `journal undo`, and [`record`]: the one way the CLI's
//! writes reach the journal.

use std::fmt;

mod undo;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::{CliError, ConnectionArgs, note, print_stdout};
use geobox_api::{ApiError, User, UserUpdate};
use geobox_ops::config::{Config, Credentials};
use geobox_ops::journal::{
    Action, Entry, Filter, Journal, JournalError, Outcome, Tool, UserChange, UserKey, Values, diff,
    parse_since, show, who,
};
use geobox_ops::transfer::output::{self, Column, Format, Layout};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JournalArgs {
    #[command(subcommand)]
    pub command: Option<JournalCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Revert one entry: shows the change, checks the user did not change since, asks.
    Undo(UndoArgs),
}

/// Lists the journal, newest first. `--host` (the global flag) keeps one host's entries.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries since a span back (30m, 2h, 3d, 2w) or a day (2026-12-01).
    #[arg(long, value_name = "SPAN|DATE")]
    pub since: Option<String>,
    /// Only entries about this user: an id or a username.
    #[arg(long, value_name = "ID|USERNAME")]
    pub user: Option<String>,
    /// How many entries at most; 0 for all.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t)]
    pub output: Format,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The entry's id (or the start of it, when only one id starts so).
    #[arg(value_name = "ENTRY")]
    pub entry: String,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Undo even when the user changed since the entry (those changes are overwritten).
    #[arg(long)]
    pub force: bool,
}

pub async fn run(args: JournalArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    match args.command {
        Some(JournalCommand::Undo(undo_args)) => undo::undo(&undo_args, connection).await,
        None => list(&args.list, connection),
    }
}

fn open_journal() -> Result<Journal, JournalError> {
    Journal::open_default().ok_or(JournalError::NoDataDirectory)
}

fn list(args: &ListArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, chrono::Utc::now()))
        .transpose()?;
    let filter = Filter {
        since,
        user: args.user.as_deref().map(UserKey::parse),
        host: connection.host.clone(),
        limit: (args.limit > 0).then_some(args.limit),
    };
    let found = open_journal()?
        .read(&filter)
        .map_err(|error| CliError::Io(format!("cannot read the journal: {error}")))?;
    if found.skipped > 0 {
        note(&format!(
            "{} unreadable journal lines were skipped",
            found.skipped
        ));
    }
    if args.output == Format::Json {
        // The entries as they are stored, straight to text: no detour through JSON values,
        // which for a whole journal costs seconds and a gigabyte.
        let mut text = serde_json::to_string_pretty(&found.entries)
            .map_err(|error| CliError::Io(format!("cannot print the journal: {error}")))?;
        text.push('\n');
        return print_stdout(&text);
    }
    let rows: Vec<Value> = found
        .entries
        .iter()
        .filter_map(|entry| serde_json::to_value(entry).ok())
        .collect();
    print_stdout(&output::render_list(&rows, &JOURNAL, args.output))
}

const JOURNAL_COLUMNS: &[Column] = &[
    Column {
        header: "ID",
        csv: "id",
        cell: |entry| output::text(entry.get("id")),
    },
    Column {
        header: "TIME (UTC)",
        csv: "time",
        cell: |entry| {
            let time = output::text(entry.get("time"));
            time.get(..19).unwrap_or(&time).replace('T', " ")
        },
    },
    Column {
        header: "TOOL",
        csv: "tool",
        cell: |entry| output::text(entry.get("tool")),
    },
    Column {
        header: "BY",
        csv: "by",
        cell: |entry| output::text(entry.get("by")),
    },
    Column {
        header: "ACTION",
        csv: "action",
        cell: |entry| {
            let action = output::text(entry.get("action"));
            match entry.get("undoes").and_then(Value::as_str) {
                Some(undone) => format!("{action} (undoes {undone})"),
                None => action,
            }
        },
    },
    Column {
        header: "USER",
        csv: "users",
        cell: users_cell,
    },
    Column {
        header: "CHANGE",
        csv: "change",
        cell: change_cell,
    },
    Column {
        header: "OUTCOME",
        csv: "outcome",
        cell: outcome_cell,
    },
    Column {
        header: "HOST",
        csv: "host",
        cell: |entry| output::text(entry.get("host")),
    },
];

const JOURNAL: Layout = Layout {
    table: JOURNAL_COLUMNS,
    csv: JOURNAL_COLUMNS,
};

fn changes_of(entry: &Value) -> &[Value] {
    entry
        .get("changes")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `neda (5)`, or the first user and how many more.
fn users_cell(entry: &Value) -> String {
    let changes = changes_of(entry);
    let Some(first) = changes.first() else {
        return String::new();
    };
    let name = match (first["user_id"].as_i64(), first["username"].as_str()) {
        (Some(id), username) => who(id, username),
        (None, Some(username)) => username.to_string(),
        (None, None) => String::new(),
    };
    match changes.len() {
        1 => name,
        many => format!("{name} +{}", many - 1),
    }
}

/// `status: Active → Disabled`, every field of the first user; the detail otherwise.
fn change_cell(entry: &Value) -> String {
    let first = changes_of(entry).first();
    let before = first.and_then(|change| change.get("before"));
    let after = first.and_then(|change| change.get("after"));
    let mut parts: Vec<String> = Vec::new();
    let created = before.is_none() && entry.get("action").and_then(Value::as_str) == Some("create");
    if let (true, Some(after)) = (created, after.and_then(Value::as_object)) {
        parts.push(format!("{} fields recorded", after.len()));
    } else if let Some(after) = after.and_then(Value::as_object) {
        for (field, new) in after {
            let old = before.and_then(|before| before.get(field));
            parts.push(match old {
                Some(old) => format!("{field}: {} → {}", show(old), show(new)),
                None => format!("{field}: {}", show(new)),
            });
        }
    } else if let Some(before) = before.and_then(Value::as_object) {
        parts.push(format!("{} fields recorded", before.len()));
    }
    if let Some(detail) = entry.get("detail").and_then(Value::as_str) {
        parts.push(detail.to_string());
    }
    parts.join(", ")
}

fn outcome_cell(entry: &Value) -> String {
    let outcome = match entry.get("outcome") {
        Some(Value::String(ok)) => ok.clone(),
        Some(Value::Object(error)) => format!("error: {}", output::text(error.get("error"))),
        other => output::text(other),
    };
    let steps = entry.get("steps").and_then(Value::as_array);
    let failed_steps = steps.map_or(0, |steps| {
        steps.iter().filter(|step| step["outcome"] != "ok").count()
    });
    if failed_steps > 0 {
        format!("{outcome} ({failed_steps} steps failed)")
    } else {
        outcome
    }
}

/// Where and as whom the CLI is working: what an entry records besides the change.
struct Context {
    host: String,
    profile: Option<String>,
    by: Option<String>,
}

impl Context {
    fn load(connection: &ConnectionArgs) -> Context {
        match Config::load(&connection.overrides()) {
            Ok(config) => Context {
                host: config.host,
                profile: config.profile,
                by: match config.credentials {
                    Credentials::Password { username, .. } => Some(username),
                    _ => None,
                },
            },
            Err(_) => Context {
                host: connection.host.clone().unwrap_or_default(),
                profile: connection.profile.clone(),
                by: None,
            },
        }
    }
}

/// What a command wrote, described for the journal before it knows the outcome.
#[derive(Debug)]
pub struct Written {
    action: Action,
    changes: Vec<UserChange>,
    detail: Option<String>,
}

impl Written {
    /// A write to one user known by id, with no values (a password change, a renewal).
    pub fn to_user(action: Action, user_id: i64) -> Written {
        Written {
            action,
            changes: vec![UserChange::new(Some(user_id), None)],
            detail: None,
        }
    }

    /// One write to many users (a bulk change, an import): a change per user, each with its
    /// own outcome.
    pub fn bulk(action: Action, changes: Vec<UserChange>) -> Written {
        Written {
            action,
            changes,
            detail: None,
        }
    }

    /// What the write was about besides the user: a session uuid, a member id.
    pub fn detail(mut self, detail: impl fmt::Display) -> Written {
        self.detail = Some(detail.to_string());
        self
    }

    /// An update: the fields that changed from `before` to the answer, or, when the write
    /// failed, the fields it tried to set.
    pub fn update(
        user_id: i64,
        before: Option<&User>,
        update: &UserUpdate,
        answer: &Result<Value, ApiError>,
    ) -> Written {
        let after = answer
            .as_ref()
            .ok()
            .and_then(|value| serde_json::from_value::<User>(value.clone()).ok());
        let (old, new) = match (before, &after) {
            (Some(before), Some(after)) => diff(before, after),
            _ => {
                let tried = Values::of_update(update);
                let old = before.map(|user| tried.read_from(user)).unwrap_or_default();
                (old, tried)
            }
        };
        let username = after.or(before.cloned()).map(|user| user.username);
        Written {
            action: Action::Update,
            changes: vec![UserChange::new(Some(user_id), username).values(old, new)],
            detail: None,
        }
    }

    /// A create: every field of the created user, or the username it tried.
    pub fn create(username: &str, answer: &Result<Value, ApiError>) -> Written {
        let created = answer
            .as_ref()
            .ok()
            .and_then(|value| serde_json::from_value::<User>(value.clone()).ok());
        let change = match created {
            Some(user) => UserChange::new(Some(user.id), Some(user.username.clone()))
                .values(Values::default(), Values::of_user(&user)),
            None => UserChange::new(None, Some(username.to_string())),
        };
        Written {
            action: Action::Create,
            changes: vec![change],
            detail: None,
        }
    }

    /// A delete: every field the user had, so an undo can create them again.
    pub fn delete(user: &User) -> Written {
        Written {
            action: Action::Delete,
            changes: vec![
                UserChange::new(Some(user.id), Some(user.username.clone()))
                    .values(Values::of_user(user), Values::default()),
            ],
            detail: None,
        }
    }

    fn into_entry(self, context: &Context, outcome: Outcome) -> Entry {
        let mut entry = Entry::new(&context.host, Tool::Cli, self.action, outcome);
        entry.profile.clone_from(&context.profile);
        entry.by.clone_from(&context.by);
        entry.changes = self.changes;
        entry.detail = self.detail;
        entry
    }
}

/// Appends what a command wrote, and how it went, to the journal. Never fails the command:
/// the write has happened either way, so a journal that cannot be written is a warning.
pub fn record<T, E: fmt::Display>(
    connection: &ConnectionArgs,
    written: Written,
    result: &Result<T, E>,
) {
    let entry = written.into_entry(&Context::load(connection), Outcome::of(result));
    append(&entry);
}

/// Appends an entry a shared library built (a lockdown with its steps), stamped with this
/// run's host, profile and signed-in user.
pub fn record_entry(connection: &ConnectionArgs, mut entry: Entry) {
    let context = Context::load(connection);
    entry.host = context.host;
    entry.profile = context.profile;
    entry.by = context.by;
    append(&entry);
}

fn append(entry: &Entry) {
    let Some(journal) = Journal::open_default() else {
        note("warning: no data directory, so this write was not journaled");
        return;
    };
    if let Err(error) = journal.append(entry) {
        note(&format!("warning: this write was not journaled: {error}"));
    }
}
