//! Turning values into the short texts the screen shows: counts, dates, relative times.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

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
            .unwrap_or_else(|| text.to_string()),
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

/// Cuts text to `width` characters, ending in `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
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
}
