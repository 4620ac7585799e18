//! Table, JSON and CSV output of what the server sent.
//!
//! Everything works on the raw JSON values: `json` passes them through (unknown fields
//! included, with the characters a terminal must not receive escaped), and `table`/`csv`
//! pick columns leniently, so an object of an unexpected shape still prints instead of
//! failing the command.

mod json;
mod table;

use serde_json::Value;

pub use table::PAD_CAP;

/// How a command prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// Exactly what the server sent: one JSON array or object.
    Json,
    /// A header row, then one row per object (cells that would start a spreadsheet formula
    /// begin with `'`).
    Csv,
    /// One compact JSON object per line, exactly as the server sent it.
    Jsonl,
}

/// What a table or CSV looks like beyond its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// The header row of a table or CSV.
    pub headers: bool,
    /// Cut a table's widest columns (`…`) until a row fits this many terminal columns.
    pub fit_to: Option<usize>,
    /// How CSV lines end.
    pub line_ends: LineEnds,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            headers: true,
            fit_to: None,
            line_ends: LineEnds::default(),
        }
    }
}

/// How CSV lines end. Scripts on Unix (awk, cut, `read`) expect `\n`, which is the default
/// there; RFC 4180 and Windows programs expect `\r\n`, which is the default on Windows and
/// an option everywhere (`--crlf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnds {
    Lf,
    CrLf,
}

impl Default for LineEnds {
    fn default() -> LineEnds {
        if cfg!(windows) {
            LineEnds::CrLf
        } else {
            LineEnds::Lf
        }
    }
}

impl LineEnds {
    /// `\r\n` when `crlf`, else the platform's default.
    pub fn crlf_if(crlf: bool) -> LineEnds {
        if crlf {
            LineEnds::CrLf
        } else {
            LineEnds::default()
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LineEnds::Lf => "\n",
            LineEnds::CrLf => "\r\n",
        }
    }
}

/// One column: its table header, its CSV header, and how to read it from an object.
pub struct Column {
    pub header: &'static str,
    pub csv: &'static str,
    pub cell: fn(&Value) -> String,
}

/// A column that shows one field of the object as text.
#[macro_export]
macro_rules! field_column {
    ($header:literal, $key:literal) => {
        $crate::transfer::output::Column {
            header: $header,
            csv: $key,
            cell: |object| $crate::transfer::output::text(object.get($key)),
        }
    };
}

/// Columns people scan a user list by.
pub const USER_TABLE: &[Column] = &[
    field_column!("ID", "id"),
    field_column!("USERNAME", "username"),
    Column {
        header: "NAME",
        csv: "name",
        cell: full_name,
    },
    field_column!("EMAIL", "email"),
    field_column!("ROLE", "role"),
    field_column!("STATUS", "status"),
    Column {
        header: "PLAN",
        csv: "plan",
        cell: |object| plan_label(object.get("plan")),
    },
    field_column!("EXPIRES", "expiration_date"),
];

/// Every known user field, one per column, for spreadsheets and scripts.
pub const USER_CSV: &[Column] = &[
    field_column!("ID", "id"),
    field_column!("USERNAME", "username"),
    field_column!("EMAIL", "email"),
    field_column!("FIRST NAME", "first_name"),
    field_column!("LAST NAME", "last_name"),
    field_column!("MOBILE", "mobile"),
    field_column!("ROLE", "role"),
    field_column!("STATUS", "status"),
    Column {
        header: "PLAN ID",
        csv: "plan_id",
        cell: |object| {
            let from_plan = object.get("plan").and_then(|plan| plan.get("id"));
            text(from_plan.or_else(|| object.get("plan_id")))
        },
    },
    Column {
        header: "PLAN",
        csv: "plan",
        cell: |object| plan_label(object.get("plan")),
    },
    field_column!("EXPIRES", "expiration_date"),
    field_column!("PARENT", "parent_id"),
    field_column!("CREATED", "created_at"),
];

pub const SESSION_COLUMNS: &[Column] = &[
    field_column!("UUID", "uuid"),
    field_column!("AGENT", "agent"),
    field_column!("IP", "ip"),
    field_column!("CREATED", "created_at"),
    field_column!("LAST SEEN", "last_seen"),
    field_column!("CURRENT", "current"),
];

pub const PLAN_TABLE: &[Column] = &[
    field_column!("ID", "id"),
    field_column!("NAME", "name"),
    field_column!("DISPLAY NAME", "display_name"),
    field_column!("DAYS", "number_of_days"),
    Column {
        header: "STORAGE",
        csv: "storage",
        cell: |object| bytes(object.get("storage")),
    },
    field_column!("TASKS", "concurrent_tasks"),
    field_column!("API/DAY", "daily_api_calls"),
    field_column!("API/MONTH", "monthly_api_calls"),
    field_column!("COLOR", "plan_color"),
];

pub const PLAN_CSV: &[Column] = &[
    field_column!("ID", "id"),
    field_column!("NAME", "name"),
    field_column!("DISPLAY NAME", "display_name"),
    field_column!("COLOR", "plan_color"),
    field_column!("DAYS", "number_of_days"),
    field_column!("STORAGE", "storage"),
    field_column!("TASKS", "concurrent_tasks"),
    field_column!("API/DAY", "daily_api_calls"),
    field_column!("API/MONTH", "monthly_api_calls"),
    field_column!("TRAFFIC/DAY", "daily_traffic"),
    field_column!("TRAFFIC/MONTH", "monthly_traffic"),
    field_column!("PROCESS/DAY", "daily_process"),
    field_column!("PROCESS/MONTH", "monthly_process"),
];

/// What a kind of object prints as.
pub struct Layout {
    pub table: &'static [Column],
    pub csv: &'static [Column],
}

pub const USERS: Layout = Layout {
    table: USER_TABLE,
    csv: USER_CSV,
};
pub const SESSIONS: Layout = Layout {
    table: SESSION_COLUMNS,
    csv: SESSION_COLUMNS,
};
pub const PLANS: Layout = Layout {
    table: PLAN_TABLE,
    csv: PLAN_CSV,
};

/// A list of objects, in the default style.
pub fn render_list(items: &[Value], layout: &Layout, format: Format) -> String {
    render_list_styled(items, layout, format, &Style::default())
}

/// A list of objects.
pub fn render_list_styled(
    items: &[Value],
    layout: &Layout,
    format: Format,
    style: &Style,
) -> String {
    match format {
        Format::Json => json_pretty(&Value::Array(items.to_vec())),
        Format::Csv => csv(items, layout.csv, style),
        Format::Table => table(items, layout.table, style),
        Format::Jsonl => jsonl(items),
    }
}

/// One page of a list streamed page by page, in the default style.
pub fn render_page(items: &[Value], layout: &Layout, format: Format, first: bool) -> String {
    render_page_styled(items, layout, format, &Style::default(), first)
}

/// One page of a list streamed page by page: the header (CSV, table) or the opening bracket
/// (JSON) only on the first page, so the pages together read as one list. Table columns are
/// aligned within each page. [`list_end`] closes the list.
pub fn render_page_styled(
    items: &[Value],
    layout: &Layout,
    format: Format,
    style: &Style,
    first: bool,
) -> String {
    match format {
        Format::Jsonl => jsonl(items),
        Format::Json => {
            let mut text = String::from(if first { "[\n" } else { ",\n" });
            let objects: Vec<String> = items.iter().map(json_line).collect();
            text.push_str(&objects.join(",\n"));
            text
        }
        Format::Csv | Format::Table => {
            let headers_here = Style {
                headers: style.headers && first,
                ..*style
            };
            render_list_styled(items, layout, format, &headers_here)
        }
    }
}

/// What ends a list streamed with [`render_page`] (`pages` of them).
pub fn list_end(layout: &Layout, format: Format, pages: usize) -> String {
    list_end_styled(layout, format, &Style::default(), pages)
}

/// [`list_end`] in `style`: a list of no pages is an empty list with its header.
pub fn list_end_styled(layout: &Layout, format: Format, style: &Style, pages: usize) -> String {
    match (format, pages) {
        (Format::Json, 0) => "[]\n".to_string(),
        (Format::Json, _) => "\n]\n".to_string(),
        (_, 0) => render_list_styled(&[], layout, format, style),
        _ => String::new(),
    }
}

/// One object, in the default style.
pub fn render_one(item: &Value, layout: &Layout, format: Format) -> String {
    render_one_styled(item, layout, format, &Style::default())
}

/// One object: every field it has, in the server's order, for the table; otherwise as a list
/// of one.
pub fn render_one_styled(item: &Value, layout: &Layout, format: Format, style: &Style) -> String {
    match format {
        Format::Json => json_pretty(item),
        Format::Jsonl => jsonl(std::slice::from_ref(item)),
        Format::Csv => csv(std::slice::from_ref(item), layout.csv, style),
        Format::Table => match item.as_object() {
            Some(object) => {
                let rows: Vec<Vec<String>> = object
                    .iter()
                    .map(|(key, value)| {
                        let shown = if key == "plan" {
                            plan_label(Some(value))
                        } else {
                            text(Some(value))
                        };
                        vec![key.clone(), shown]
                    })
                    .collect();
                table::align(None, &rows, style.fit_to)
            }
            None => json_pretty(item),
        },
    }
}

/// `value` as indented JSON ending in a newline; characters a terminal must not receive are
/// escaped (`\u009b`), so the text is safe to print and reads back as the same value.
pub fn json_pretty(value: &Value) -> String {
    let mut text = json::pretty(value);
    text.push('\n');
    text
}

/// `value` as one line of JSON (no newline), escaped like [`json_pretty`].
pub fn json_line(value: &Value) -> String {
    json::compact(value)
}

fn jsonl(items: &[Value]) -> String {
    let mut text = String::new();
    for item in items {
        text.push_str(&json_line(item));
        text.push('\n');
    }
    text
}

/// A cell's text: strings as they are, numbers and booleans as JSON, null and absent as
/// empty, anything nested as compact JSON.
pub fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

fn full_name(object: &Value) -> String {
    let parts: Vec<String> = ["first_name", "last_name"]
        .into_iter()
        .map(|key| text(object.get(key)).trim().to_string())
        .filter(|part| !part.is_empty())
        .collect();
    parts.join(" ")
}

/// A plan object by its display name, else its name, else its id.
pub fn plan_label(plan: Option<&Value>) -> String {
    match plan {
        Some(Value::Object(object)) => ["display_name", "name", "id"]
            .into_iter()
            .map(|key| text(object.get(key)))
            .find(|label| !label.is_empty())
            .unwrap_or_default(),
        other => text(other),
    }
}

/// A number of bytes in the largest binary unit it fills: `10 GiB`, `1.5 MiB`, `512 B`.
/// Anything that is not a whole number of bytes is shown as it came.
pub fn bytes(value: Option<&Value>) -> String {
    let Some(count) = value.and_then(Value::as_u64) else {
        return text(value);
    };
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut unit = 0;
    let mut scaled = count as f64;
    while scaled >= 1024.0 && unit + 1 < UNITS.len() {
        scaled /= 1024.0;
        unit += 1;
    }
    if unit == 0 || scaled.fract() == 0.0 {
        format!("{scaled:.0} {}", UNITS[unit])
    } else {
        let shown = format!("{scaled:.1}");
        format!("{} {}", shown.trim_end_matches(".0"), UNITS[unit])
    }
}

fn table(items: &[Value], columns: &[Column], style: &Style) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| columns.iter().map(|column| (column.cell)(item)).collect())
        .collect();
    let headers: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
    let headers = style.headers.then_some(headers.as_slice());
    table::align(headers, &rows, style.fit_to)
}

/// A CSV cell as one line of plain text: line breaks and tabs become spaces (one record is one
/// line for every tool), other control characters `\u{FFFD}`, and the rest is cleaned like any
/// text (`crate::clean`: bidi controls shown as `⟨U+202E⟩`).
fn one_line(cell: &str) -> String {
    let flat: String = cell
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect();
    crate::clean::clean(&flat).into_string()
}

/// A cell a spreadsheet could run as a formula (`=HYPERLINK(...)`, `+`, `-`, `@`) gets a
/// leading single quote, the OWASP advice for CSV injection, so it opens as text. A plain
/// number (`-3`, `+1.5`) cannot be a formula and is left as it is.
fn inert_in_spreadsheets(cell: String) -> String {
    let starts_a_formula = cell.starts_with(['=', '+', '-', '@']);
    if starts_a_formula && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

fn csv_cell(cell: &str) -> String {
    inert_in_spreadsheets(one_line(cell))
}

/// Quotes where needed by the `csv` crate; lines end as `style` says.
fn csv(items: &[Value], columns: &[Column], style: &Style) -> String {
    match write_csv(items, columns, style) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        // Writing to memory cannot fail on I/O; should the writer fail anyway, say so in
        // the output rather than panic.
        Err(error) => format!("cannot write CSV: {error}\n"),
    }
}

fn write_csv(items: &[Value], columns: &[Column], style: &Style) -> Result<Vec<u8>, csv::Error> {
    let terminator = match style.line_ends {
        LineEnds::CrLf => csv::Terminator::CRLF,
        LineEnds::Lf => csv::Terminator::Any(b'\n'),
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(Vec::new());
    if style.headers {
        writer.write_record(columns.iter().map(|column| column.csv))?;
    }
    for item in items {
        writer.write_record(columns.iter().map(|column| csv_cell(&(column.cell)(item))))?;
    }
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

#[cfg(test)]
mod tests;
