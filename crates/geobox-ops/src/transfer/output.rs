//! Table, JSON and CSV output of what the server sent.
//!
//! Everything works on the raw JSON values: `json` passes them through untouched (unknown
//! fields included), and `table`/`csv` pick columns leniently, so an object of an unexpected
//! shape still prints instead of failing the command.

use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// How a command prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Aligned columns for people.
    #[default]
    Table,
    /// Exactly what the server sent: one JSON array or object.
    Json,
    /// A header row, then one row per object (RFC 4180 quoting; cells that would start a
    /// spreadsheet formula begin with `'`).
    Csv,
    /// One compact JSON object per line, exactly as the server sent it.
    Jsonl,
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
    field_column!("STORAGE", "storage"),
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

/// A list of objects.
pub fn render_list(items: &[Value], layout: &Layout, format: Format) -> String {
    match format {
        Format::Json => json(&Value::Array(items.to_vec())),
        Format::Csv => csv(items, layout.csv),
        Format::Table => table(items, layout.table),
        Format::Jsonl => jsonl(items),
    }
}

/// One page of a list streamed page by page: the header (CSV, table) or the opening bracket
/// (JSON) only on the first page, so the pages together read as one list. Table columns are
/// aligned within each page. [`list_end`] closes the list.
pub fn render_page(items: &[Value], layout: &Layout, format: Format, first: bool) -> String {
    match format {
        Format::Jsonl => jsonl(items),
        Format::Json => {
            let mut text = String::from(if first { "[\n" } else { ",\n" });
            let objects: Vec<String> = items.iter().map(Value::to_string).collect();
            text.push_str(&objects.join(",\n"));
            text
        }
        Format::Csv | Format::Table => {
            let whole = render_list(items, layout, format);
            if first {
                whole
            } else {
                let header_end = whole.find('\n').map_or(whole.len(), |end| end + 1);
                whole[header_end..].to_string()
            }
        }
    }
}

/// What ends a list streamed with [`render_page`] (`pages` of them).
pub fn list_end(layout: &Layout, format: Format, pages: usize) -> String {
    match (format, pages) {
        (Format::Json, 0) => "[]\n".to_string(),
        (Format::Json, _) => "\n]\n".to_string(),
        (_, 0) => render_list(&[], layout, format),
        _ => String::new(),
    }
}

fn jsonl(items: &[Value]) -> String {
    let mut text = String::new();
    for item in items {
        text.push_str(&item.to_string());
        text.push('\n');
    }
    text
}

/// One object: every field it has, in the server's order, for the table; otherwise as a list
/// of one.
pub fn render_one(item: &Value, layout: &Layout, format: Format) -> String {
    match format {
        Format::Json => json(item),
        Format::Jsonl => jsonl(std::slice::from_ref(item)),
        Format::Csv => csv(std::slice::from_ref(item), layout.csv),
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
                align(None, &rows)
            }
            None => json(item),
        },
    }
}

fn json(value: &Value) -> String {
    // Serializing a `Value` cannot fail: its keys are strings.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
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
fn plan_label(plan: Option<&Value>) -> String {
    match plan {
        Some(Value::Object(object)) => ["display_name", "name", "id"]
            .into_iter()
            .map(|key| text(object.get(key)))
            .find(|label| !label.is_empty())
            .unwrap_or_default(),
        other => text(other),
    }
}

fn table(items: &[Value], columns: &[Column]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| columns.iter().map(|column| (column.cell)(item)).collect())
        .collect();
    let headers: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
    align(Some(&headers), &rows)
}

/// Pads columns to their widest cell (terminal width, so Persian and CJK text line up), two
/// spaces apart; the last column is not padded.
fn align(headers: Option<&[String]>, rows: &[Vec<String>]) -> String {
    let clean: Vec<Vec<String>> = headers
        .into_iter()
        .map(<[String]>::to_vec)
        .chain(rows.iter().cloned())
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let columns = clean.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|index| {
            clean
                .iter()
                .filter_map(|row| row.get(index))
                .map(|cell| cell.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &clean {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if index + 1 < row.len() {
                let pad = widths[index].saturating_sub(cell.width()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Text from a server must not move the cursor, recolour the terminal or write the clipboard
/// (`ESC ]52;`): control characters, C1 ones included, become visible replacements, and line
/// breaks and tabs become spaces so that one record stays one line.
fn printable(cell: &str) -> String {
    cell.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Several lines of text from a server (an error message) made safe for a terminal: each line
/// as [`printable`], the line breaks kept.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
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
    inert_in_spreadsheets(printable(cell))
}

/// RFC 4180 (CRLF line ends, quotes where needed) by the `csv` crate.
fn csv(items: &[Value], columns: &[Column]) -> String {
    match write_csv(items, columns) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        // Writing to memory cannot fail on I/O; should the writer fail anyway, say so in
        // the output rather than panic.
        Err(error) => format!("cannot write CSV: {error}\r\n"),
    }
}

fn write_csv(items: &[Value], columns: &[Column]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(columns.iter().map(|column| column.csv))?;
    for item in items {
        writer.write_record(columns.iter().map(|column| csv_cell(&(column.cell)(item))))?;
    }
    writer
        .into_inner()
        .map_err(|error| csv::Error::from(error.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn users() -> Vec<Value> {
        vec![
            json!({"id": 1, "username": "ali", "first_name": "Ali", "last_name": "Rezaei",
                   "email": "ali@example.ir", "role": "Account Admin", "status": "Active",
                   "plan": {"id": 2, "name": "pro", "display_name": "Pro"}, "zone": "x"}),
            json!({"id": 12, "username": "sara", "first_name": null, "last_name": "Karimi, \"SK\"",
                   "role": "Auditor", "status": "New", "plan": null}),
        ]
    }

    #[test]
    fn tables_align_and_show_plan_names() {
        let out = render_list(&users(), &USERS, Format::Table);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID  USERNAME  NAME "), "{out}");
        assert!(lines[1].starts_with("1   ali       Ali Rezaei "), "{out}");
        assert!(lines[1].contains("Pro"), "{out}");
        assert!(lines[2].contains("Auditor"), "{out}");
        let status_at = lines[0].find("STATUS").expect("header");
        assert_eq!(&lines[1][status_at..status_at + 6], "Active");
    }

    #[test]
    fn csv_has_a_header_and_quotes_properly() {
        let out = render_list(&users(), &USERS, Format::Csv);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "id,username,email,first_name,last_name,mobile,role,status,plan_id,plan,expiration_date,parent_id,created_at"
        );
        assert!(
            lines[1].starts_with("1,ali,ali@example.ir,Ali,Rezaei,,Account Admin,Active,2,Pro,")
        );
        assert!(
            lines[2].contains(",\"Karimi, \"\"SK\"\"\","),
            "{}",
            lines[2]
        );
    }

    fn hostile_user() -> Value {
        json!({"id": 5, "username": "eve\u{7}", "first_name": "\u{1b}]52;c;ZXZpbA==\u{7}",
               "last_name": "=HYPERLINK(\"http://evil.example\",\"click\")",
               "email": "@SUM(1+1)", "mobile": "+98 9120123456", "role": "-2+3",
               "status": "Active\r\u{9b}31m", "parent_id": -3})
    }

    #[test]
    fn csv_carries_no_control_characters() {
        let out = render_list(&[hostile_user()], &USERS, Format::Csv);
        let body = out.replace("\r\n", "\n");
        assert!(
            !body.chars().any(|c| c.is_control() && c != '\n'),
            "{out:?}"
        );
        assert!(out.contains("\u{FFFD}]52;c;ZXZpbA==\u{FFFD}"), "{out:?}");
        assert_eq!(
            out.matches("\r\n").count(),
            2,
            "one header, one record: {out:?}"
        );
    }

    #[test]
    fn csv_cells_that_start_a_formula_open_as_text() {
        let out = render_list(&[hostile_user()], &USERS, Format::Csv);
        let mut reader = csv::ReaderBuilder::new().from_reader(out.as_bytes());
        let headers = reader.headers().expect("header").clone();
        let record = reader
            .records()
            .next()
            .expect("a record")
            .expect("valid csv");
        let cell = |name: &str| {
            let index = headers.iter().position(|h| h == name).expect(name);
            record.get(index).expect("cell").to_string()
        };
        assert_eq!(
            cell("last_name"),
            "'=HYPERLINK(\"http://evil.example\",\"click\")"
        );
        assert_eq!(cell("email"), "'@SUM(1+1)");
        assert_eq!(cell("mobile"), "'+98 9120123456");
        assert_eq!(cell("role"), "'-2+3");
        assert_eq!(cell("parent_id"), "-3", "a plain number is no formula");
        assert_eq!(cell("username"), "eve\u{FFFD}");
    }

    #[test]
    fn error_messages_keep_their_lines_but_no_escape_codes() {
        assert_eq!(
            printable_lines("bad\u{1b}[2J name\n  email: \u{7}x"),
            "bad\u{FFFD}[2J name\n  email: \u{FFFD}x"
        );
    }

    #[test]
    fn tables_carry_no_control_characters() {
        for out in [
            render_list(&[hostile_user()], &USERS, Format::Table),
            render_one(&hostile_user(), &USERS, Format::Table),
            render_list(&[hostile_user()], &SESSIONS, Format::Table),
        ] {
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        }
    }

    #[test]
    fn json_passes_everything_through() {
        let out = render_list(&users(), &USERS, Format::Json);
        let back: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(back, Value::Array(users()));
    }

    #[test]
    fn one_object_shows_every_field_and_no_escape_codes() {
        let user =
            json!({"id": 3, "username": "x\u{1b}[2J", "plan": {"name": "basic"}, "new_field": [1]});
        let out = render_one(&user, &USERS, Format::Table);
        assert!(out.contains("new_field  [1]"), "{out}");
        assert!(out.contains("plan       basic"), "{out}");
        assert!(!out.contains('\u{1b}'));
    }

    #[test]
    fn wide_characters_align_by_display_width() {
        let rows = vec![
            vec!["名前".to_string(), "a".to_string()],
            vec!["ab".to_string(), "b".to_string()],
        ];
        let out = align(None, &rows);
        assert_eq!(out, "名前  a\nab    b\n");
    }

    #[test]
    fn pages_streamed_read_as_one_list() {
        for format in [Format::Csv, Format::Table, Format::Json, Format::Jsonl] {
            let pages = users();
            let mut streamed = render_page(&pages[..1], &USERS, format, true);
            streamed.push_str(&render_page(&pages[1..], &USERS, format, false));
            streamed.push_str(&list_end(&USERS, format, 2));
            match format {
                Format::Json => {
                    let parsed: Value = serde_json::from_str(&streamed).expect("one array");
                    assert_eq!(parsed, Value::Array(pages.clone()));
                }
                Format::Jsonl => {
                    let lines: Vec<Value> = streamed
                        .lines()
                        .map(|line| serde_json::from_str(line).expect("an object a line"))
                        .collect();
                    assert_eq!(lines, pages);
                }
                _ => {
                    let lines: Vec<&str> = streamed.lines().collect();
                    assert_eq!(lines.len(), 3, "{streamed}");
                    let headers = lines
                        .iter()
                        .filter(|line| line.starts_with("ID ") || line.starts_with("id,"));
                    assert_eq!(headers.count(), 1, "{streamed}");
                    assert!(lines[2].contains("sara"), "{streamed}");
                }
            }
        }
        assert_eq!(list_end(&USERS, Format::Json, 0), "[]\n");
    }
}
