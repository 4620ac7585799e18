//! Reading an import file as people make them: our own export (its extra columns and the `'`
//! it puts before cells a spreadsheet would run as formulas), Excel's CRLF lines and byte
//! order mark, LibreOffice's `;` separators, blank lines, headers in any case. Line numbers
//! are the file's own physical lines, counted here: the `csv` crate's differ after CRLF ends
//! and blank lines.

use std::collections::HashMap;

use super::RowError;
use crate::clean::clean;

/// The columns an import sets, in the order the docs list them.
pub const COLUMNS: [&str; 10] = [
    "username",
    "email",
    "first_name",
    "last_name",
    "mobile",
    "role",
    "status",
    "plan_id",
    "expiration_date",
    "password",
];

/// Columns our export writes that are not fields of a new user: recognised and left alone,
/// except `plan` (a plan's name), which names the plan when `plan_id` is empty.
pub const EXPORT_ONLY: [&str; 7] = [
    "id",
    "plan",
    "parent_id",
    "created_at",
    "updated_at",
    "last_login",
    "name",
];

/// Separators tried on the header line; the one that finds the most known columns wins.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];

/// How a file is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Leave columns nobody knows out instead of refusing the file.
    pub ignore_unknown_columns: bool,
}

/// A file read into rows of cells, not yet checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// The separator found on the header line.
    pub separator: u8,
    /// Columns nobody knows, left out because [`ReadOptions::ignore_unknown_columns`] said so.
    pub ignored: Vec<String>,
    pub records: Vec<Record>,
}

/// One row of a file: its physical line and its non-empty cells by column, trimmed, with the
/// formula guard taken off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub line: u64,
    pub cells: HashMap<&'static str, String>,
}

impl Record {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str)
    }
}

/// Why a file cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error(
        "the file is not UTF-8 text: line {line} has the byte 0x{byte:02X} ({latin1} in Latin-1 \
         or Windows-1252). Save it as UTF-8 and import it again (Excel: Save As, \"CSV UTF-8\"; \
         LibreOffice: Save As, Character set \"Unicode (UTF-8)\")",
        latin1 = latin1_of(*byte)
    )]
    NotUtf8 { line: u64, byte: u8 },
    #[error(
        "the file is UTF-16 text (Excel's \"Unicode Text\"). Save it as UTF-8 CSV and import it \
         again (Excel: Save As, \"CSV UTF-8\")"
    )]
    Utf16,
    #[error("the file is empty: it needs a header line naming the columns")]
    Empty,
    /// The header or some rows are wrong; each is named.
    #[error("{} problems", .0.len())]
    Rows(Vec<RowError>),
}

fn latin1_of(byte: u8) -> String {
    match char::from(byte) {
        c if c.is_control() => format!("U+{byte:04X}"),
        c => format!("'{c}'"),
    }
}

/// Reads the whole file: the header (its separator found), then every row with its line.
pub fn read(bytes: &[u8], options: ReadOptions) -> Result<Sheet, ReadError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(ReadError::Utf16);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let lines = Lines::of(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        let at = error.valid_up_to();
        return Err(ReadError::NotUtf8 {
            line: lines.line_at(at),
            byte: bytes.get(at).copied().unwrap_or_default(),
        });
    }
    let separator = separator_of(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .from_reader(bytes);
    let mut rows = reader.records();
    let header = match rows.next() {
        None => return Err(ReadError::Empty),
        Some(Err(error)) => return Err(unreadable(1, &error)),
        Some(Ok(header)) => header,
    };
    let header_line = lines.record_line(bytes, &header);
    let header = Header::of(&header, header_line, separator, options)?;
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let line = error
                    .position()
                    .map_or(0, |position| lines.line_at(position.byte() as usize));
                problems.push(unreadable_row(line, &error));
                continue;
            }
        };
        let line = lines.record_line(bytes, &row);
        if row.len() > header.width {
            problems.push(RowError::new(
                line,
                "row",
                format!(
                    "{} cells, but the header names {} columns (a value holding a '{}' needs \
                     double quotes around it)",
                    row.len(),
                    header.width,
                    char::from(separator)
                ),
            ));
            continue;
        }
        let cells: HashMap<&'static str, String> = header
            .columns
            .iter()
            .zip(row.iter())
            .filter_map(|(column, cell)| {
                let cell = without_formula_guard(cell.trim());
                column
                    .filter(|_| !cell.is_empty())
                    .map(|column| (column, cell.to_string()))
            })
            .collect();
        let blank = row.iter().all(|cell| cell.trim().is_empty());
        if !blank {
            records.push(Record { line, cells });
        }
    }
    if problems.is_empty() {
        Ok(Sheet {
            separator,
            ignored: header.ignored,
            records,
        })
    } else {
        Err(ReadError::Rows(problems))
    }
}

/// What each column of the file is: an importable column, or `None` for one left alone.
struct Header {
    columns: Vec<Option<&'static str>>,
    width: usize,
    ignored: Vec<String>,
}

impl Header {
    fn of(
        record: &csv::StringRecord,
        line: u64,
        separator: u8,
        options: ReadOptions,
    ) -> Result<Header, ReadError> {
        let mut problems = Vec::new();
        let mut columns = Vec::new();
        let mut ignored = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, raw) in record.iter().enumerate() {
            let name = column_name(raw);
            if let Some(first) = seen.insert(name.clone(), index)
                && !name.is_empty()
            {
                problems.push(RowError::new(
                    line,
                    &shown(&name),
                    format!("named twice (columns {} and {})", first + 1, index + 1),
                ));
            }
            let known = COLUMNS
                .iter()
                .find(|column| same_column(column, &name))
                .copied();
            let export_only = EXPORT_ONLY.iter().any(|column| same_column(column, &name));
            if known.is_none() && !export_only && !name.is_empty() {
                if options.ignore_unknown_columns {
                    ignored.push(shown(raw.trim()));
                } else {
                    problems.push(unknown_column(line, raw, separator));
                }
            }
            // `plan` (the name a plan is shown by) is read, to name the plan without an id.
            columns.push(known.or(same_column("plan", &name).then_some("plan")));
        }
        for required in ["username", "email"] {
            if !columns.contains(&Some(required)) {
                problems.push(RowError::new(line, required, "required column missing"));
            }
        }
        if problems.is_empty() {
            Ok(Header {
                width: columns.len(),
                columns,
                ignored,
            })
        } else {
            Err(ReadError::Rows(problems))
        }
    }
}

/// A header cell as it is compared: `First Name`, `first-name` and `FIRST_NAME` alike.
fn column_name(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .map(|c| if matches!(c, ' ' | '-') { '_' } else { c })
        .collect()
}

/// Whether a header cell ([`column_name`]) names `column`, with or without its underscores:
/// `FirstName` and `E-Mail` too.
fn same_column(column: &str, name: &str) -> bool {
    column == name || column.replace('_', "") == name.replace('_', "")
}

fn unknown_column(line: u64, raw: &str, separator: u8) -> RowError {
    let mut message = format!(
        "unknown column (known: {}; columns of our export such as {} are left alone; \
         --ignore-unknown-columns leaves any other out)",
        COLUMNS.join(", "),
        EXPORT_ONLY[..4].join(", ")
    );
    let other = SEPARATORS
        .iter()
        .find(|other| **other != separator && raw.contains(char::from(**other)));
    if let Some(other) = other {
        message = format!(
            "unknown column: this looks like a {}-separated file, but its header names no \
             column this import knows either way ({message})",
            separator_name(*other)
        );
    }
    RowError::new(line, &shown(raw.trim()), message)
}

/// `;`, or `tab`.
pub fn separator_name(separator: u8) -> String {
    match separator {
        b'\t' => "tab".to_string(),
        other => char::from(other).to_string(),
    }
}

/// The separator that splits the first non-blank line into the most known columns (a
/// comma when none finds any).
fn separator_of(bytes: &[u8]) -> u8 {
    let text = String::from_utf8_lossy(bytes);
    let first = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    let known = |separator: u8| {
        first
            .split(char::from(separator))
            .map(|name| column_name(name.trim_matches('"')))
            .filter(|name| {
                COLUMNS
                    .iter()
                    .chain(EXPORT_ONLY.iter())
                    .any(|column| same_column(column, name))
            })
            .count()
    };
    let mut best = (0, b',');
    for separator in SEPARATORS {
        let found = known(separator);
        if found > best.0 {
            best = (found, separator);
        }
    }
    best.1
}

/// A cell our export guarded with a leading `'` (a spreadsheet would run `=…`, `+…`, `-…`,
/// `@…` as a formula), as it was before: the exact reverse of the guard in
/// [`crate::transfer::output`], so a mobile exported as `'+98 912…` imports as `+98 912…`.
pub fn without_formula_guard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) && rest.parse::<f64>().is_err() => {
            rest
        }
        _ => cell,
    }
}

/// A value from the file as a message shows it: cleaned for a terminal, and cut short.
pub fn shown(cell: &str) -> String {
    const SHOWN_CHARS: usize = 40;
    let cleaned = clean(cell).into_string();
    match cleaned.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &cleaned[..cut]),
        None => cleaned,
    }
}

/// [`shown`], in quotes.
pub fn quoted(cell: &str) -> String {
    format!("'{}'", shown(cell))
}

fn unreadable(line: u64, error: &csv::Error) -> ReadError {
    ReadError::Rows(vec![unreadable_row(line, error)])
}

fn unreadable_row(line: u64, error: &csv::Error) -> RowError {
    RowError::new(
        line,
        "row",
        format!("cannot be read: {}", clean(&error.to_string())),
    )
}

/// Where each physical line of the file starts: `\n`, `\r\n` and a lone `\r` each end one.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn of(bytes: &[u8]) -> Lines {
        let mut starts = vec![0];
        for (index, byte) in bytes.iter().enumerate() {
            let ends_line =
                *byte == b'\n' || (*byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(index + 1);
            }
        }
        Lines { starts }
    }

    /// The 1-based line holding the byte at `offset`.
    fn line_at(&self, offset: usize) -> u64 {
        self.starts.partition_point(|start| *start <= offset) as u64
    }

    /// The line a record starts on. The reader gives the record the position where it began
    /// to look for it, which is before any blank lines it skipped.
    fn record_line(&self, bytes: &[u8], record: &csv::StringRecord) -> u64 {
        let mut offset = record
            .position()
            .map_or(0, |position| position.byte() as usize);
        while matches!(bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        self.line_at(offset)
    }
}
