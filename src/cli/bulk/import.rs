//! `users import FILE|-`: the whole file checked (against the server too) before anything is
//! written, admin rights confirmed, generated passwords kept where nothing is overwritten,
//! then every row written a few at a time and journaled as one entry.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Value, json};

use super::stop::Stop;
use super::{progress_bar, show, stopped_early};
use crate::cli::journal::{Written, record};
use crate::cli::out::count;
use crate::cli::show::OutputArgs;
use crate::cli::{CliError, ConnectionArgs, at_terminal, confirm, connect, note, print_stdout};
use geobox_api::Secret;
use geobox_ops::bulk::first_few;
use geobox_ops::field_column;
use geobox_ops::journal::{Action, random_text};
use geobox_ops::paths;
use geobox_ops::transfer::LineEnds;
use geobox_ops::transfer::import::{
    self, Plan, PlanError, ReadError, ReadOptions, RowError, separator_name,
};
use geobox_ops::transfer::output::{Column, Format, Layout};

/// Length of a generated password.
const GENERATED_PASSWORD_CHARS: usize = 16;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A CSV file (or - for stdin) whose header names the columns: username,email (required),
    /// first_name, last_name, mobile, role, status, plan_id (or plan, by name),
    /// expiration_date, password. Our own export imports as it is.
    #[arg(value_name = "FILE.csv|-")]
    pub file: PathBuf,
    /// Check the file and say what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Update users that exist (only the fields that differ) instead of skipping them.
    #[arg(long)]
    pub update_existing: bool,
    /// Where the passwords generated for rows without one are written (created 0600, never
    /// over an existing file); it ends up listing the users created, and only them.
    #[arg(long, value_name = "FILE")]
    pub passwords_out: Option<PathBuf>,
    /// Replace the --passwords-out file when it exists (never the file being imported).
    #[arg(long)]
    pub force: bool,
    /// Leave out columns this import does not know, instead of refusing the file.
    #[arg(long)]
    pub ignore_unknown_columns: bool,
    /// Do not ask before giving System Admin or Account Admin rights (the ⚠ lines are still
    /// printed).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How --dry-run prints what each row would do: lines for people, or json, jsonl and csv
    /// (line, action, username, id, fields) for scripts.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl ImportArgs {
    /// How the file is named in messages.
    fn name(&self) -> String {
        if self.reads_stdin() {
            "stdin".to_string()
        } else {
            self.file.display().to_string()
        }
    }

    fn reads_stdin(&self) -> bool {
        self.file.as_os_str() == "-"
    }
}

pub async fn import(args: &ImportArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    if let Some(out) = &args.passwords_out {
        passwords_out_allowed(args, out)?;
    }
    let name = args.name();
    let bytes = read_input(args)?;
    let options = ReadOptions {
        ignore_unknown_columns: args.ignore_unknown_columns,
    };
    let checked = import::parse(&bytes, options).map_err(|error| match error {
        ReadError::Rows(problems) => refused(&name, problems),
        whole => CliError::Usage(format!("{name}: {whole}; nothing was imported")),
    })?;
    drop(bytes);
    if checked.separator != b',' {
        note(&format!(
            "reading {name} as a {}-separated file",
            separator_name(checked.separator)
        ));
    }
    if !checked.ignored.is_empty() {
        note(&format!(
            "leaving out unknown columns: {}",
            checked.ignored.join(", ")
        ));
    }
    let mut problems = checked.problems;
    let client = match connect(connection) {
        Ok(client) => client,
        // A file already refused is told as it is, even without a server to ask.
        Err(_) if !problems.is_empty() => return Err(refused(&name, problems)),
        Err(error) => return Err(error),
    };
    let plans = match import::plan(&client, checked.rows, args.update_existing).await {
        Ok(plans) => plans,
        Err(PlanError::Rows(against_server)) => {
            problems.extend(against_server);
            Vec::new()
        }
        Err(_) if !problems.is_empty() => Vec::new(),
        Err(PlanError::NotAllowed(why)) => {
            return Err(CliError::Failed(format!("{why}; nothing was imported")));
        }
        Err(PlanError::Api(error)) => return Err(error.into()),
    };
    if !problems.is_empty() {
        // Each row's problems together, in the file's order.
        problems.sort_by_key(|problem| problem.line);
        return Err(refused(&name, problems));
    }
    let warnings = warnings_of(&plans);
    let needing_password: Vec<&str> = plans
        .iter()
        .filter_map(|plan| match plan {
            Plan::Create(row) if row.password.is_none() => Some(row.username.as_str()),
            _ => None,
        })
        .collect();
    if args.dry_run {
        print_plans(&plans, &args.output)?;
        for warning in &warnings {
            note(warning);
        }
        if !needing_password.is_empty() && args.passwords_out.is_none() {
            note(&format!(
                "note: {} no password: the real run needs --passwords-out",
                count(needing_password.len(), "new user has", "new users have")
            ));
        }
        note("dry run: nothing was written");
        return Ok(());
    }
    let grants = import::grants(&plans);
    for warning in &warnings {
        note(warning);
    }
    if !grants.is_empty() && !args.yes {
        if !at_terminal() {
            return Err(CliError::Usage(
                "refusing to give admin rights without confirmation: no terminal to ask on; \
                 pass --yes (or --dry-run to see every row); nothing was imported"
                    .to_string(),
            ));
        }
        if !confirm("Go ahead?")? {
            return Err(CliError::Declined("nothing was imported".to_string()));
        }
    }
    let mut passwords = Passwords::generate(&needing_password, args)?;
    let writes = plans.iter().filter(|plan| plan.writes()).count();
    let bar = progress_bar(writes as u64, "importing");
    let stop = Stop::on_signals("the current batch");
    let summary = import::apply(
        &client,
        plans,
        &passwords.by_user,
        stop.flag(),
        |progress| {
            show(bar.as_ref(), progress);
        },
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = summary.outcome();
    if !summary.changes.is_empty() {
        let written = Written::bulk(Action::Import, summary.changes.clone()).detail(&name);
        record(connection, written, &outcome);
    }
    passwords.keep_only(&summary.created);
    note(&summary.line());
    for (line, username, reason) in &summary.failed {
        note(&format!("  failed: line {line}: {username}: {reason}"));
    }
    outcome?;
    stopped_early(&stop, summary.not_reached, "rows")
}

/// Refuses, before anything else, a passwords file that would be written over: the file
/// being imported always, another existing file unless `--force`.
fn passwords_out_allowed(args: &ImportArgs, out: &Path) -> Result<(), CliError> {
    if !args.reads_stdin() && paths::same_file(&args.file, out) {
        return Err(CliError::Usage(format!(
            "--passwords-out {} is the file being imported; choose another file; nothing was \
             imported",
            out.display()
        )));
    }
    let exists = std::fs::symlink_metadata(out).is_ok();
    if exists && !args.force {
        return Err(CliError::Usage(format!(
            "--passwords-out {} already exists, and may hold passwords no one can see again: \
             choose another file, or pass --force to replace it; nothing was imported",
            out.display()
        )));
    }
    Ok(())
}

fn read_input(args: &ImportArgs) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    let read = if args.reads_stdin() {
        io::stdin().lock().read_to_end(&mut bytes)
    } else {
        File::open(&args.file).and_then(|mut file| file.read_to_end(&mut bytes))
    };
    read.map_err(|error| CliError::Usage(format!("cannot read {}: {error}", args.name())))?;
    Ok(bytes)
}

/// Every problem of a refused file, one line each, and the error that ends the command.
fn refused(name: &str, problems: Vec<RowError>) -> CliError {
    for problem in &problems {
        note(&format!("{name}: {problem}"));
    }
    let count = match problems.len() {
        1 => "1 problem".to_string(),
        many => format!("{many} problems"),
    };
    CliError::Usage(format!("{count} in {name}; nothing was imported"))
}

/// The signed-in admin left out of their own row, and the ⚠ lines of admin rights given.
fn warnings_of(plans: &[Plan]) -> Vec<String> {
    let mut warnings: Vec<String> = plans
        .iter()
        .filter_map(|plan| match plan {
            Plan::LeftOut { row, harm, .. } => Some(format!(
                "line {}: {} (you) is left out: the change would {}",
                row.line,
                row.username,
                harm.what()
            )),
            _ => None,
        })
        .collect();
    warnings.extend(import::grants(plans).iter().map(import::Grant::warning));
    warnings
}

/// What each row would do, for a dry run: lines for people, or one row an object for scripts.
fn print_plans(plans: &[Plan], output: &OutputArgs) -> Result<(), CliError> {
    if output.format() != Format::Table {
        let items: Vec<Value> = plans.iter().map(plan_json).collect();
        return output.list(&items, &PLAN_LAYOUT);
    }
    let mut text = String::new();
    for plan in plans {
        let row = plan.row();
        let what = match plan {
            Plan::Create(_) => format!("create {}", row.username),
            Plan::Update { update, user, .. } => format!(
                "update {} ({}): {}",
                row.username,
                user.id,
                changed_fields(update).join(", ")
            ),
            Plan::Skip { user, .. } => format!("skip {} ({}): exists", row.username, user.id),
            Plan::LeftOut { user, harm, .. } => format!(
                "skip {} ({}): you; the change would {}",
                row.username,
                user.id,
                harm.what()
            ),
        };
        text.push_str(&format!("line {}: {what}\n", row.line));
    }
    print_stdout(&text)
}

fn changed_fields(update: &geobox_api::UserUpdate) -> Vec<String> {
    update.to_json().keys().cloned().collect()
}

/// One row's plan for scripts: `{"line", "action", "username", "id", "fields"}`.
fn plan_json(plan: &Plan) -> Value {
    let row = plan.row();
    let (action, id, fields) = match plan {
        Plan::Create(_) => ("create", None, Vec::new()),
        Plan::Update { user, update, .. } => ("update", Some(user.id), changed_fields(update)),
        Plan::Skip { user, .. } => ("skip", Some(user.id), Vec::new()),
        Plan::LeftOut { user, .. } => ("left_out", Some(user.id), Vec::new()),
    };
    json!({"line": row.line, "action": action, "username": row.username, "id": id, "fields": fields})
}

/// A row's plan as scripts read it (`line,action,username,id,fields`, the fields separated by
/// spaces in CSV).
const PLAN_COLUMNS: &[Column] = &[
    field_column!("LINE", "line"),
    field_column!("ACTION", "action"),
    field_column!("USERNAME", "username"),
    field_column!("ID", "id"),
    Column {
        header: "FIELDS",
        csv: "fields",
        cell: |item| {
            let fields: Vec<&str> = item["fields"]
                .as_array()
                .map(|fields| fields.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            fields.join(" ")
        },
    },
];
const PLAN_LAYOUT: Layout = Layout {
    table: PLAN_COLUMNS,
    csv: PLAN_COLUMNS,
};

/// The passwords generated for new users without one, and the file that keeps them.
struct Passwords {
    by_user: HashMap<String, Secret>,
    file: Option<(PathBuf, File, LineEnds)>,
}

impl Passwords {
    /// A password for each new user without one, written (username,password) to
    /// `--passwords-out` before any user is created, so none is created with a password
    /// nobody knows.
    fn generate(usernames: &[&str], args: &ImportArgs) -> Result<Passwords, CliError> {
        if usernames.is_empty() {
            return Ok(Passwords {
                by_user: HashMap::new(),
                file: None,
            });
        }
        let Some(path) = &args.passwords_out else {
            return Err(CliError::Usage(format!(
                "{} no password ({}): give --passwords-out FILE to generate them; nothing was \
                 imported",
                count(usernames.len(), "new user has", "new users have"),
                first_few(usernames.iter().map(|name| name.to_string()))
            )));
        };
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let by_user: HashMap<String, Secret> = usernames
            .iter()
            .map(|username| {
                let password = random_text(ALPHABET, GENERATED_PASSWORD_CHARS);
                (username.to_string(), Secret::from(password))
            })
            .collect();
        let opened = if args.force {
            paths::replace_private(path)
        } else {
            paths::create_new_private(path)
        };
        let cannot = |error: io::Error| {
            CliError::Io(format!(
                "cannot write {}: {error}; nothing was imported",
                path.display()
            ))
        };
        let mut file = opened.map_err(cannot)?;
        let line_ends = args.output.style().line_ends;
        write_passwords(&mut file, usernames, &by_user, line_ends).map_err(cannot)?;
        note(&format!(
            "wrote {} generated passwords to {} before creating anyone",
            usernames.len(),
            path.display()
        ));
        Ok(Passwords {
            by_user,
            file: Some((path.clone(), file, line_ends)),
        })
    }

    /// Leaves in the file only the users that were created: a failed or unreached row's
    /// password belongs to nobody. A file left with nobody is removed.
    fn keep_only(&mut self, created: &[String]) {
        let Some((path, file, line_ends)) = &mut self.file else {
            return;
        };
        let kept: Vec<&str> = created
            .iter()
            .map(String::as_str)
            .filter(|username| self.by_user.contains_key(*username))
            .collect();
        if kept.len() == self.by_user.len() {
            return;
        }
        let rewritten = if kept.is_empty() {
            std::fs::remove_file(&*path)
        } else {
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| write_passwords(file, &kept, &self.by_user, *line_ends))
        };
        match (rewritten, kept.len()) {
            (Err(error), _) => note(&format!(
                "warning: cannot take the users that were not created out of {}: {error}",
                path.display()
            )),
            (Ok(()), 0) => note(&format!("nobody was created: removed {}", path.display())),
            (Ok(()), count) => note(&format!(
                "{} keeps the passwords of the {count} users created, and only theirs",
                path.display()
            )),
        }
    }
}

fn write_passwords(
    file: &mut File,
    usernames: &[&str],
    passwords: &HashMap<String, Secret>,
    line_ends: LineEnds,
) -> io::Result<()> {
    let terminator = match line_ends {
        LineEnds::CrLf => csv::Terminator::CRLF,
        LineEnds::Lf => csv::Terminator::Any(b'\n'),
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(&mut *file);
    writer.write_record(["username", "password"])?;
    for username in usernames {
        if let Some(password) = passwords.get(*username) {
            writer.write_record([*username, password.expose()])?;
        }
    }
    writer.flush()?;
    drop(writer);
    file.sync_all()
}
