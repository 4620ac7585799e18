//! The journal as a table and as CSV: one row an entry, read from its [`Brief`] (the first
//! user and how many), so a run over 50,000 users is one short row. Table rows are cut to a
//! width (each cell ends in `…` where it was cut) unless the whole of each cell is asked for.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use geobox_ops::clean::clean_cow;
use geobox_ops::journal::{Action, Brief, Outcome, Seal, UserChange, show, who};

/// The columns: table header and CSV name.
pub(super) const COLUMNS: [(&str, &str); 9] = [
    ("ID", "id"),
    ("TIME (UTC)", "time"),
    ("TOOL", "tool"),
    ("BY", "by"),
    ("ACTION", "action"),
    ("USER", "users"),
    ("CHANGE", "change"),
    ("OUTCOME", "outcome"),
    ("HOST", "host"),
];

/// Columns that give way when a row is too wide; the others are short already.
const GIVES_WAY: [bool; 9] = [false, false, false, true, false, true, true, true, true];
/// Narrower than this a column that gives way is not cut.
const NARROWEST: usize = 8;
const GAP: usize = 2;
/// What a cell that was cut ends with.
const CUT: char = '…';

/// The cells of one entry's row, in the order of [`COLUMNS`].
pub(super) fn cells(entry: &Brief) -> [String; 9] {
    [
        entry.id.clone(),
        entry.time.format("%Y-%m-%d %H:%M:%S").to_string(),
        match entry.tool {
            geobox_ops::journal::Tool::Cli => "cli".to_string(),
            geobox_ops::journal::Tool::Console => "console".to_string(),
        },
        entry.made_by(),
        match &entry.undoes {
            Some(undone) => format!("undo of {undone}"),
            None => entry.action.to_string(),
        },
        users_cell(entry),
        change_cell(entry),
        outcome_cell(entry),
        entry.deployment_label(),
    ]
}

/// `neda (5)`, or the first user and how many more.
fn users_cell(entry: &Brief) -> String {
    let Some(first) = &entry.changes.first else {
        return String::new();
    };
    let name = match (first.user_id, first.username.as_deref()) {
        (Some(id), username) => who(id, username),
        (None, Some(username)) => username.to_string(),
        (None, None) => String::new(),
    };
    match entry.changes.count {
        0 | 1 => name,
        many => format!("{name} +{}", many - 1),
    }
}

/// What changed, said once: a bulk change by what it did to every user (`status →
/// Disabled`), anything else by its first user's fields (`status: Active → Disabled`), with
/// what it was about besides (a session, a member, the file of an import).
fn change_cell(entry: &Brief) -> String {
    let bulk_said = entry.action == Action::BulkUpdate && entry.detail.is_some();
    let mut parts: Vec<String> = Vec::new();
    if !bulk_said && let Some(first) = &entry.changes.first {
        parts.extend(fields_changed(first));
    }
    if let Some(detail) = &entry.detail {
        parts.push(match entry.action {
            Action::Import => format!("from {detail}"),
            _ => detail.clone(),
        });
    }
    parts.join(", ")
}

fn fields_changed(change: &UserChange) -> Option<String> {
    if change.is_creation() {
        return Some("created".to_string());
    }
    if change.after.is_empty() {
        return (!change.before.is_empty())
            .then(|| format!("{} fields recorded", change.before.0.len()));
    }
    let fields: Vec<String> = change
        .after
        .0
        .iter()
        .map(|(field, new)| match change.before.get(*field) {
            Some(old) => format!("{field}: {} → {}", show(old), show(new)),
            None => format!("{field}: {}", show(new)),
        })
        .collect();
    Some(fields.join(", "))
}

fn outcome_cell(entry: &Brief) -> String {
    let mut outcome = match &entry.outcome {
        Outcome::Ok => "ok".to_string(),
        Outcome::Error(error) => format!("error: {error}"),
    };
    let failed_steps = entry
        .steps
        .iter()
        .filter(|step| !step.outcome.is_ok())
        .count();
    if failed_steps > 0 {
        outcome.push_str(&format!(" ({failed_steps} steps failed)"));
    }
    if let Some(undone) = &entry.undone {
        let how = if undone.whole {
            "undone"
        } else {
            "partly undone"
        };
        outcome.push_str(&format!(", {how} by {}", undone.entry));
    }
    if entry.not_shared {
        outcome.push_str(", not shared yet");
    }
    outcome
}

/// Whether the entry verifies; `None` when the store did not say.
pub(super) fn seal_of(entry: &Brief) -> Option<Seal> {
    entry.read_from.as_ref().map(|from| from.seal)
}

/// Table rows gathered as they are read, then aligned. Each row is kept as one string of
/// cells cut to the width at most (a row can never be wider), so what is kept is about what is
/// printed, however many entries.
pub(super) struct Table {
    width: Option<usize>,
    rows: Vec<String>,
}

const SEPARATOR: char = '\u{1f}';

impl Table {
    /// A table cut to `width` columns, or with every cell whole (`None`).
    pub fn new(width: Option<usize>) -> Table {
        Table {
            width,
            rows: Vec::new(),
        }
    }

    /// A row for the entry; one that does not verify is marked `⚠` after its id.
    pub fn push_entry(&mut self, entry: &Brief) {
        let mut row = cells(entry);
        if seal_of(entry).is_some_and(|seal| !seal.verified()) {
            row[0].push_str(" ⚠");
        }
        self.push(row);
    }

    fn push(&mut self, cells: [String; 9]) {
        let mut row = String::new();
        for (index, cell) in cells.iter().enumerate() {
            if index > 0 {
                row.push(SEPARATOR);
            }
            // Text from the journal must not drive the terminal, nor split the row.
            let clean = clean_cow(cell);
            match self.width {
                Some(width) => row.push_str(&cut(&clean, width)),
                None => row.push_str(&clean),
            }
        }
        self.rows.push(row);
    }

    /// The aligned table, header first, a line at a time (each with its newline): the
    /// widths are known once every row is in, and the lines are made as they are printed.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        let header = COLUMNS
            .iter()
            .map(|(header, _)| *header)
            .collect::<Vec<_>>()
            .join(&SEPARATOR.to_string());
        let mut widths = [0; 9];
        for row in std::iter::once(header.as_str()).chain(self.rows.iter().map(String::as_str)) {
            for (index, cell) in row.split(SEPARATOR).enumerate() {
                widths[index] = widths[index].max(cell.width());
            }
        }
        if let Some(width) = self.width {
            fit(&mut widths, width);
        }
        let header_line = aligned(&header, &widths);
        std::iter::once(header_line).chain(self.rows.iter().map(move |row| aligned(row, &widths)))
    }
}

/// One row's cells, each cut to its column and padded to the next, two spaces apart; the
/// last one is not padded.
fn aligned(row: &str, widths: &[usize; 9]) -> String {
    let mut line = String::new();
    for (index, cell) in row.split(SEPARATOR).enumerate() {
        let cell = cut(cell, widths[index]);
        line.push_str(&cell);
        if index + 1 < widths.len() {
            let pad = widths[index].saturating_sub(cell.width()) + GAP;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    let mut line = line.trim_end().to_string();
    line.push('\n');
    line
}

/// Narrows the columns that give way, widest first, until a row fits in `width` (or each is
/// down to [`NARROWEST`]).
fn fit(widths: &mut [usize; 9], width: usize) {
    let total = |widths: &[usize; 9]| widths.iter().sum::<usize>() + GAP * (widths.len() - 1);
    if total(widths) <= width {
        return;
    }
    let natural = *widths;
    let capped = |cap: usize| {
        let mut capped = natural;
        for (index, gives) in GIVES_WAY.iter().enumerate() {
            if *gives {
                capped[index] = natural[index].min(cap.max(NARROWEST));
            }
        }
        capped
    };
    // The widest cap under which the row fits: the columns that give way share the room left.
    let (mut low, mut high) = (0, natural.iter().copied().max().unwrap_or(0));
    while low < high {
        let middle = (low + high).div_ceil(2);
        if total(&capped(middle)) <= width {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    *widths = capped(low);
}

/// `text` cut to `width` terminal columns, ending in `…` where it was cut.
fn cut(text: &str, width: usize) -> std::borrow::Cow<'_, str> {
    if text.width() <= width {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let wide = c.width().unwrap_or(0);
        if used + wide + 1 > width {
            break;
        }
        kept.push(c);
        used += wide;
    }
    if width > 0 {
        kept.push(CUT);
    }
    std::borrow::Cow::Owned(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geobox_ops::journal::{Entry, Field, Tool, Values};
    use serde_json::json;

    fn bulk_entry() -> Entry {
        let mut entry = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
        let status = |value: &str| Values([(Field::Status, json!(value))].into_iter().collect());
        entry.changes = (1..=160)
            .map(|id| {
                UserChange::new(Some(id), Some(format!("u{id}")))
                    .values(status("Active"), status("Disabled"))
            })
            .collect();
        entry.detail = Some("status → Disabled".to_string());
        entry
    }

    #[test]
    fn a_bulk_change_is_said_once() {
        let row = cells(&Brief::from(&bulk_entry()));
        assert_eq!(row[5], "u1 (1) +159");
        assert_eq!(row[6], "status → Disabled");
        let mut single = bulk_entry();
        single.action = Action::Update;
        single.changes.truncate(1);
        single.detail = None;
        assert_eq!(cells(&Brief::from(&single))[6], "status: Active → Disabled");
    }

    #[test]
    fn rows_fit_the_width_and_cut_cells_say_so() {
        let mut long = bulk_entry();
        long.changes[0].username = Some("x".repeat(500));
        long.detail = Some("y".repeat(500));
        let mut table = Table::new(Some(100));
        table.push(cells(&Brief::from(&long)));
        table.push(cells(&Brief::from(&bulk_entry())));
        let shown: String = table.lines().collect();
        for line in shown.lines() {
            assert!(line.width() <= 100, "{} wide: {line}", line.width());
        }
        assert!(shown.contains('…'), "{shown}");
        assert!(
            shown
                .lines()
                .next()
                .is_some_and(|header| header.starts_with("ID "))
        );

        let mut whole = Table::new(None);
        whole.push(cells(&Brief::from(&long)));
        assert!(whole.lines().collect::<String>().contains(&"y".repeat(500)));
    }

    #[test]
    fn cutting_counts_terminal_columns() {
        assert_eq!(cut("سلام دنیا", 20), "سلام دنیا");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("日本語テキスト", 5), "日本…");
    }
}
