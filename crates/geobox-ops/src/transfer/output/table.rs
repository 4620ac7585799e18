//! Aligned columns for people: every cell cleaned (`crate::clean`), widths by what a terminal
//! shows (so Persian and CJK text line up), padding capped so that one huge cell cannot widen
//! every row, and, on a terminal, the widest columns cut (`…`) until the rows fit its width.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::clean::clean_cow;

/// The widest a column is padded to. A longer cell is printed whole (unless the table is cut
/// to a width) and pushes only its own row out of line.
pub const PAD_CAP: usize = 80;

/// Columns are never cut narrower than this (or their header, or their widest cell).
const NARROWEST: usize = 8;

/// Spaces between columns.
const GAP: usize = 2;

/// The rows laid out: headers first when given, two spaces between columns, the last column
/// not padded. `fit_to` cuts the widest columns until a row fits that many terminal columns.
pub fn align(headers: Option<&[String]>, rows: &[Vec<String>], fit_to: Option<usize>) -> String {
    let clean: Vec<Vec<Cow<'_, str>>> = headers
        .into_iter()
        .chain(rows.iter().map(Vec::as_slice))
        .map(|row| row.iter().map(|cell| clean_cow(cell)).collect())
        .collect();
    let columns = clean.iter().map(Vec::len).max().unwrap_or(0);
    let natural: Vec<usize> = (0..columns)
        .map(|index| {
            clean
                .iter()
                .filter_map(|row| row.get(index))
                .map(|cell| cell.width().min(PAD_CAP))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header_widths: Vec<usize> = (0..columns)
        .map(|index| {
            headers
                .and_then(|headers| headers.get(index))
                .map_or(0, |header| header.width())
        })
        .collect();
    let widths = match fit_to {
        Some(width) => fitted(&natural, &header_widths, width),
        None => natural,
    };
    let mut out = String::new();
    for row in &clean {
        let mut line = String::new();
        for (index, cell) in row.iter().enumerate() {
            let width = widths[index];
            let shown = match fit_to {
                Some(_) => cut(cell, width),
                None => Cow::Borrowed(cell.as_ref()),
            };
            line.push_str(&shown);
            if index + 1 < row.len() {
                let pad = width.saturating_sub(shown.width()) + GAP;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Column widths whose row fits `width`: the widest columns are narrowed first, never below
/// [`NARROWEST`] or their header. When even that does not fit, the narrowest it can be.
fn fitted(natural: &[usize], headers: &[usize], width: usize) -> Vec<usize> {
    let gaps = GAP * natural.len().saturating_sub(1);
    let floor: Vec<usize> = natural
        .iter()
        .zip(headers)
        .map(|(natural, header)| (*natural).min(NARROWEST.max(*header)))
        .collect();
    let total = |cap: usize| -> usize {
        natural
            .iter()
            .zip(&floor)
            .map(|(natural, floor)| (*natural).min(cap).max(*floor))
            .sum::<usize>()
            + gaps
    };
    let widest = natural.iter().copied().max().unwrap_or(0);
    if total(widest) <= width {
        return natural.to_vec();
    }
    // The largest cap on every column's width that still fits (total grows with the cap).
    let (mut low, mut high) = (0, widest);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if total(middle) <= width {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    natural
        .iter()
        .zip(&floor)
        .map(|(natural, floor)| (*natural).min(low).max(*floor))
        .collect()
}

/// `cell` cut to `width` terminal columns, ending in `…` when it was longer.
fn cut(cell: &str, width: usize) -> Cow<'_, str> {
    if cell.width() <= width {
        return Cow::Borrowed(cell);
    }
    let room = width.saturating_sub(1);
    let mut used = 0;
    let mut out = String::new();
    for c in cell.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|row| row.iter().map(|cell| (*cell).to_string()).collect())
            .collect()
    }

    #[test]
    fn wide_characters_align_by_display_width() {
        let out = align(None, &rows(&[&["名前", "a"], &["ab", "b"]]), None);
        assert_eq!(out, "名前  a\nab    b\n");
    }

    #[test]
    fn one_huge_cell_does_not_pad_every_row() {
        let huge = "x".repeat(100_000);
        let table = rows(&[&["1", &huge, "end"], &["2", "short", "end"]]);
        let out = align(None, &table, None);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].contains(&huge), "printed whole when not cut");
        assert_eq!(
            lines[1],
            format!("2  short{}end", " ".repeat(PAD_CAP - 5 + 2))
        );
    }

    #[test]
    fn rows_cut_to_fit_a_width_keep_their_columns() {
        let headers = ["UUID".to_string(), "AGENT".to_string(), "IP".to_string()];
        let agent =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)";
        let table = rows(&[
            &["6f1c-aa", agent, "10.0.0.7"],
            &["77b2-bb", "curl/8", "::1"],
        ]);
        let out = align(Some(&headers), &table, Some(40));
        for line in out.lines() {
            assert!(line.width() <= 40, "{line:?} is {} wide", line.width());
        }
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[1].contains("Mozilla/5.0") && lines[1].contains('…'),
            "{out}"
        );
        let ip_at = lines[0].find("IP").expect("IP");
        assert_eq!(&lines[1][lines[1].len() - 8..], "10.0.0.7", "{out}");
        assert_eq!(lines[2].find("::1"), Some(ip_at), "{out}");
        assert_eq!(
            align(Some(&headers), &table, Some(400)),
            align(Some(&headers), &table, None)
        );
    }

    #[test]
    fn cells_are_cleaned_before_they_are_measured() {
        let out = align(None, &rows(&[&["a\u{1b}[2J", "b\nc"], &["x", "y"]]), None);
        assert_eq!(out, "a⟨U+001B⟩[2J  b␊c\nx             y\n");
    }
}
