//! Turning values into the short texts the screen shows: counts, dates, relative times, and
//! text from a server, a file or the journal made safe to draw ([`shown`]).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Text from a server, a file or the journal as the screen shows it: control characters,
/// bidirectional marks and line breaks become visible (`␊`, `⟨U+202E⟩`), so they can neither
/// reach the terminal, stick to the cells beside them, nor hide the rest of a field. Every
/// widget draws such text through here (or through [`fit`], which does it too).
pub fn shown(text: &str) -> Cow<'_, str> {
    geobox_ops::clean::clean_cow(text)
}

/// `1204` → `1,204`
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Reads the timestamps servers send: RFC 3339, or naive (taken as UTC), or a bare date.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc());
        }
    }
    parse_date(text)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
}

/// The date at the start of a date or timestamp.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let head = text.trim().get(..10)?;
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// `2 h ago`, `3 d ago`, `now`.
pub fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    if seconds < 0 {
        return "in the future".to_string();
    }
    match seconds {
        0..60 => "now".to_string(),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..2_592_000 => format!("{} d ago", seconds / 86_400),
        2_592_000..31_536_000 => format!("{} mo ago", seconds / 2_592_000),
        _ => format!("{} y ago", seconds / 31_536_000),
    }
}

/// A timestamp as "2 h ago", or the raw text when it cannot be read.
pub fn ago_text(now: DateTime<Utc>, text: Option<&str>) -> String {
    match text {
        None => "—".to_string(),
        Some(text) => parse_time(text)
            .map(|time| ago(now, time))
            .unwrap_or_else(|| shown(text).into_owned()),
    }
}

/// Whether an expiration date has passed.
pub fn is_expired(now: DateTime<Utc>, expiration: Option<&str>) -> bool {
    expiration
        .and_then(parse_date)
        .is_some_and(|date| date < now.date_naive())
}

/// "in 12 days", "today", "expired 3 days ago".
pub fn expiry_words(now: DateTime<Utc>, expiration: &str) -> Option<String> {
    let date = parse_date(expiration)?;
    let days = (date - now.date_naive()).num_days();
    let plural = |n: i64| if n == 1 { "day" } else { "days" };
    Some(match days {
        0 => "expires today".to_string(),
        1.. => format!("in {days} {}", plural(days)),
        _ => format!("expired {} {} ago", -days, plural(-days)),
    })
}

/// Cuts text to `width` characters, ending in `…` when cut; the text is [`shown`] first, so
/// what is cut is what the screen shows.
pub fn fit(text: &str, width: usize) -> String {
    let text = shown(text);
    if text.chars().count() <= width {
        return text.into_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `text` in lines of at most `width` characters, broken between words; lines after the first
/// start with `indent` spaces, so a continued phrase stays under its column. A word longer
/// than a line is cut. The text is [`shown`] first.
pub fn wrap_hanging(text: &str, width: usize, indent: usize) -> Vec<String> {
    let text = shown(text);
    let width = width.max(indent + 8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let mut has_word = false;
    let mut continued = false;
    let mut break_line = |line: &mut String, used: &mut usize| {
        let done = std::mem::replace(line, " ".repeat(indent));
        lines.push(done.trim_end().to_string());
        *used = indent;
    };
    for token in text.split_inclusive(' ') {
        let word = token.trim_end_matches(' ');
        let trailing = token.len() - word.len();
        let length = word.chars().count();
        if has_word && length > 0 && used + length > width {
            break_line(&mut line, &mut used);
            (has_word, continued) = (false, true);
        }
        // Spaces that would start a continued line are the break itself.
        if continued && !has_word && length == 0 {
            continue;
        }
        let mut chars: Vec<char> = token.chars().collect();
        while used + chars.len() - trailing > width {
            let room = width - used;
            line.extend(chars.drain(..room));
            break_line(&mut line, &mut used);
            continued = true;
        }
        used += chars.len();
        line.extend(chars);
        has_word |= length > 0;
    }
    lines.push(line.trim_end().to_string());
    lines
}

/// "1 session", "3 sessions".
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_time(text).expect("a test timestamp")
    }

    #[test]
    fn counts_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_204), "1,204");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = at("2026-11-29T12:00:00Z");
        assert_eq!(ago(now, at("2026-11-29T11:59:30Z")), "now");
        assert_eq!(ago(now, at("2026-11-29T10:00:00")), "2 h ago");
        assert_eq!(ago(now, at("2026-11-26 12:00:00")), "3 d ago");
        assert_eq!(ago(now, at("2025-04-02T08:30:00")), "1 y ago");
        assert_eq!(ago(now, at("2019-01-07T02:49:05Z")), "7 y ago");
        assert_eq!(
            expiry_words(now, "2026-12-11").as_deref(),
            Some("in 12 days")
        );
        assert_eq!(
            expiry_words(now, "2026-11-26T00:00:00").as_deref(),
            Some("expired 3 days ago")
        );
        assert!(is_expired(now, Some("2026-11-28")));
        assert!(!is_expired(now, Some("2026-11-29")));
        assert_eq!(fit("abcdef", 4), "abc…");
    }

    #[test]
    fn wrapped_lines_break_between_words_under_their_column() {
        let step =
            "  close sessions  ok     closed 0 of 0 sessions (1 more ended with the disable)";
        let lines = wrap_hanging(step, 60, 25);
        assert_eq!(
            lines,
            [
                "  close sessions  ok     closed 0 of 0 sessions (1 more",
                "                         ended with the disable)",
            ]
        );
        assert!(lines.iter().all(|line| line.chars().count() <= 60));
        assert_eq!(wrap_hanging("short", 60, 4), ["short"]);
        let long = wrap_hanging(&"x".repeat(30), 20, 2);
        assert_eq!(
            long.concat().replace(' ', ""),
            "x".repeat(30),
            "nothing lost"
        );
        assert_eq!(wrap_hanging("a\u{202E}b", 20, 0), ["a⟨U+202E⟩b"]);
    }
}
