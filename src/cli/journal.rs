//! `geobox-users journal [...]` and `journal undo`, and [`record`]: the one way the CLI's
//! writes reach the journal.

mod record;
mod table;
mod undo;

use std::ops::ControlFlow;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::{CliError, ConnectionArgs, note, print_stdout};
use geobox_ops::journal::{
    Brief, Deployment, Entry, Filter, Journal, Seal, UserKey, counted, parse_since,
};
use geobox_ops::transfer::output::{self, Column, Format, Layout};

pub use record::{Written, record, record_entry};
use record::{open, tell};

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
    /// Revert one entry: shows the change, checks the users did not change since, asks.
    Undo(UndoArgs),
}

/// Lists the journal, newest first. `--host` (the global flag) keeps one deployment's
/// entries: a host, or `demo` for the console's built-in demo.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries since a span back (30m, 2h, 3d, 2w) or a day (2026-12-01).
    #[arg(long, value_name = "SPAN|DATE")]
    pub since: Option<String>,
    /// Only entries about this user: an id or a username.
    #[arg(long, value_name = "ID|USERNAME")]
    pub user: Option<String>,
    /// Only entries this admin made (their username).
    #[arg(long, value_name = "ADMIN")]
    pub by: Option<String>,
    /// This machine's journal, even when a team journal is configured: what was written here
    /// before, and what waits to be sent.
    #[arg(long)]
    pub local: bool,
    /// How many entries at most; 0 for all.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t)]
    pub output: Format,
    /// Table: every cell whole, however wide the rows get (by default rows are cut to the
    /// terminal's width, or COLUMNS, or 160 columns when not printing to a terminal).
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The entry's id (or the start of it, when only one id starts so).
    #[arg(value_name = "ENTRY")]
    pub entry: String,
    /// Do not ask (an undo of more than 100 users, too).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Also undo the users changed since the entry, overwriting those changes (without it,
    /// one changed user stops the whole undo).
    #[arg(long, conflicts_with = "skip_changed")]
    pub force: bool,
    /// Undo the users that did not change since the entry, leave the changed ones as they
    /// are, and list them.
    #[arg(long)]
    pub skip_changed: bool,
    /// With --yes: undo an entry that does not verify (not written by geobox-users as it
    /// reads now) instead of refusing it.
    #[arg(long)]
    pub allow_unverified: bool,
}

pub async fn run(args: JournalArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    match args.command {
        Some(JournalCommand::Undo(undo_args)) => undo::undo(&undo_args, connection).await,
        None => list(&args.list, connection),
    }
}

fn unreadable(error: std::io::Error) -> CliError {
    CliError::Io(format!("cannot read the journal: {error}"))
}

/// Output is handed over in pieces about this big: what is kept is bounded by what is printed.
const FLUSH_AT: usize = 64 * 1024;
/// Table width when printing neither to a terminal nor with COLUMNS set.
const WIDTH_ELSEWHERE: usize = 160;

fn list(args: &ListArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, chrono::Utc::now()))
        .transpose()?;
    let filter = Filter {
        since,
        user: args.user.as_deref().map(UserKey::parse),
        deployment: connection.host.as_deref().map(Deployment::named),
        by: args.by.clone(),
        limit: (args.limit > 0).then_some(args.limit),
    };
    let journal = if args.local {
        Journal::open_default().ok_or(geobox_ops::journal::JournalError::NoDataDirectory)?
    } else {
        open(connection)?
    };
    let mut out = Pieces::default();
    let mut unverified = [0, 0];
    let scanned = match args.output {
        Format::Json | Format::Jsonl => {
            let pretty = args.output == Format::Json;
            let mut count = 0;
            let scanned = journal.scan_entries(&filter, &mut |entry: Entry| {
                count_unverified(&mut unverified, entry.read_from.as_ref().map(|f| f.seal));
                out.push(&json_item(&entry, pretty, count == 0));
                count += 1;
                out.flush_now()
            });
            out.push(match (pretty, count) {
                (false, _) => "",
                (true, 0) => "[]\n",
                (true, _) => "\n]\n",
            });
            scanned
        }
        Format::Csv => {
            let mut page: Vec<Value> = Vec::new();
            let mut pages = 0;
            let scanned = journal.scan_briefs(&filter, &mut |entry: Brief| {
                count_unverified(&mut unverified, table::seal_of(&entry));
                page.push(csv_row(&entry));
                if page.len() == CSV_PAGE {
                    out.push(&output::render_page(&page, &CSV, Format::Csv, pages == 0));
                    page.clear();
                    pages += 1;
                }
                out.flush_now()
            });
            if !page.is_empty() {
                out.push(&output::render_page(&page, &CSV, Format::Csv, pages == 0));
                pages += 1;
            }
            out.push(&output::list_end(&CSV, Format::Csv, pages));
            scanned
        }
        Format::Table => {
            let mut rows = table::Table::new(table_width(args.full));
            let scanned = journal.scan_briefs(&filter, &mut |entry: Brief| {
                count_unverified(&mut unverified, table::seal_of(&entry));
                rows.push_entry(&entry);
                ControlFlow::Continue(())
            });
            for line in rows.lines() {
                out.push(&line);
                if out.flush_now().is_break() {
                    break;
                }
            }
            scanned
        }
    }
    .map_err(unreadable)?;
    out.finish()?;
    tell(&journal);
    for line in &scanned.notes {
        note(&format!("note: {line}"));
    }
    let skipped = scanned.skipped;
    if skipped > 0 {
        let lines = counted(
            skipped,
            "unreadable journal line was",
            "unreadable journal lines were",
        );
        note(&format!("{lines} skipped"));
    }
    let [missing, broken] = unverified;
    if broken > 0 {
        let entries = counted(
            broken,
            "entry (⚠) does not match its seal",
            "entries (⚠) do not match their seal",
        );
        note(&format!(
            "warning: {entries}: changed after geobox-users wrote them, or from another data \
             directory"
        ));
    }
    if missing > 0 {
        let entries = counted(missing, "entry (⚠) carries", "entries (⚠) carry");
        note(&format!(
            "note: {entries} no seal: written by hand, by another program, or by a version from \
             before entries were sealed"
        ));
    }
    Ok(())
}

fn count_unverified(counts: &mut [usize; 2], seal: Option<Seal>) {
    match seal {
        Some(Seal::Missing) => counts[0] += 1,
        Some(Seal::Broken) => counts[1] += 1,
        Some(Seal::Verified | Seal::TeamDatabase) | None => {}
    }
}

/// The width rows are cut to: none with `--full`; else COLUMNS, the terminal's, or a default.
fn table_width(full: bool) -> Option<usize> {
    if full {
        return None;
    }
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
        .filter(|columns| *columns > 0);
    let from_terminal = || {
        std::io::IsTerminal::is_terminal(&std::io::stdout())
            .then(|| crossterm::terminal::size().ok())
            .flatten()
            .map(|(columns, _)| usize::from(columns))
    };
    Some(from_env.or_else(from_terminal).unwrap_or(WIDTH_ELSEWHERE))
}

/// One entry of a JSON array or a JSON-lines stream, as stored with what reading found.
fn json_item(entry: &Entry, pretty: bool, first: bool) -> String {
    // Serializing an entry cannot fail: its maps are keyed by strings.
    if pretty {
        let body = serde_json::to_string_pretty(entry).unwrap_or_default();
        let indented = body.replace('\n', "\n  ");
        format!("{}  {indented}", if first { "[\n" } else { ",\n" })
    } else {
        let mut line = serde_json::to_string(entry).unwrap_or_default();
        line.push('\n');
        line
    }
}

/// Output kept until there is enough of it to hand over, so a long listing is printed as it
/// is read rather than held whole.
#[derive(Default)]
struct Pieces {
    text: String,
    failed: Option<CliError>,
}

impl Pieces {
    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Hands the output over once there is enough; stops the read when it cannot be.
    fn flush_now(&mut self) -> ControlFlow<()> {
        if self.text.len() < FLUSH_AT {
            return ControlFlow::Continue(());
        }
        match print_stdout(&std::mem::take(&mut self.text)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => {
                self.failed = Some(error);
                ControlFlow::Break(())
            }
        }
    }

    fn finish(self) -> Result<(), CliError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        print_stdout(&self.text)
    }
}

/// CSV rows handed to the CSV writer at once.
const CSV_PAGE: usize = 500;

fn csv_row(entry: &Brief) -> Value {
    let cells = table::cells(entry);
    Value::Object(
        table::COLUMNS
            .iter()
            .zip(cells)
            .map(|((_, name), cell)| (name.to_string(), Value::String(cell)))
            .collect(),
    )
}

const CSV_COLUMNS: &[Column] = &[
    geobox_ops::field_column!("ID", "id"),
    geobox_ops::field_column!("TIME (UTC)", "time"),
    geobox_ops::field_column!("TOOL", "tool"),
    geobox_ops::field_column!("BY", "by"),
    geobox_ops::field_column!("ACTION", "action"),
    geobox_ops::field_column!("USER", "users"),
    geobox_ops::field_column!("CHANGE", "change"),
    geobox_ops::field_column!("OUTCOME", "outcome"),
    geobox_ops::field_column!("HOST", "host"),
];

const CSV: Layout = Layout {
    table: CSV_COLUMNS,
    csv: CSV_COLUMNS,
};
