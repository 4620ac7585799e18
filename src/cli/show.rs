//! The output flags every command that prints a result shares (`-o`, `--no-headers`,
//! `--no-trunc`, `--crlf`), and printing a result with them through the one writer.

use std::io::IsTerminal;

use clap::Args;
use serde_json::Value;

use super::CliError;
use super::out::print_stdout;
use geobox_ops::transfer::output::{self, Format, Layout, LineEnds, Style};

/// How a command prints its result.
#[derive(Debug, Clone, Copy, Default, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// The format of the result.
    #[arg(short = 'o', long, value_enum, default_value_t, value_name = "FORMAT")]
    pub output: Format,
    /// Tables and CSV without their header row.
    #[arg(long)]
    pub no_headers: bool,
    /// Tables: every cell whole, even past the terminal's width (cells are cut to fit it
    /// when stdout is a terminal).
    #[arg(long)]
    pub no_trunc: bool,
    /// CSV: lines end in CRLF, as RFC 4180 has them (default: \n).
    #[arg(long)]
    pub crlf: bool,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        self.output
    }

    /// The style of this run: rows cut to the terminal's width only when stdout is one.
    pub fn style(&self) -> Style {
        Style {
            headers: !self.no_headers,
            fit_to: if self.no_trunc {
                None
            } else {
                terminal_width()
            },
            line_ends: LineEnds::crlf_if(self.crlf),
        }
    }

    /// Prints a list.
    pub fn list(&self, items: &[Value], layout: &Layout) -> Result<(), CliError> {
        print_stdout(&output::render_list_styled(
            items,
            layout,
            self.output,
            &self.style(),
        ))
    }

    /// Prints one object (every field, for a table).
    pub fn one(&self, item: &Value, layout: &Layout) -> Result<(), CliError> {
        print_stdout(&output::render_one_styled(
            item,
            layout,
            self.output,
            &self.style(),
        ))
    }

    /// One object when one was asked for, else a list: as `kubectl get` answers `a` and `a b`.
    pub fn one_or_list(&self, items: &[Value], layout: &Layout) -> Result<(), CliError> {
        match items {
            [one] => self.one(one, layout),
            several => self.list(several, layout),
        }
    }
}

/// The terminal's width when stdout is one (as the terminal says, else `COLUMNS`): what a
/// table is cut to fit ([`Style::fit_to`]).
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let from_terminal = crossterm::terminal::size()
        .ok()
        .map(|(columns, _)| usize::from(columns));
    from_terminal
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|columns| columns.trim().parse::<usize>().ok())
        })
        .filter(|columns| *columns > 0)
}
