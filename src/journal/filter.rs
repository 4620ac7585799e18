//! Which entries a listing shows: since a time, about a user, on a host, how many.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::entry::{Entry, UserKey};
use crate::api::api_base_url;

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since: Option<DateTime<Utc>>,
    pub user: Option<UserKey>,
    /// Compared as the API base URL, so `host`, `host/` and `host/v1/` are one host.
    pub host: Option<String>,
    pub limit: Option<usize>,
}

impl Filter {
    /// Whether the entry passes every condition but the limit.
    pub fn accepts(&self, entry: &Entry) -> bool {
        !self.is_before_window(entry)
            && self.user.as_ref().is_none_or(|user| entry.concerns(user))
            && self
                .host
                .as_deref()
                .is_none_or(|host| same_host(host, &entry.host))
    }

    /// Whether the entry is older than `since`: reading newest first, the rest are too.
    pub fn is_before_window(&self, entry: &Entry) -> bool {
        self.since.is_some_and(|since| entry.time < since)
    }
}

/// Whether two spellings of a host name the same API.
pub fn same_host(a: &str, b: &str) -> bool {
    match (api_base_url(a), api_base_url(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// `--since`: a span back from `now` (`30m`, `2h`, `3d`, `2w`) or a day (`2026-12-01`, from its
/// start in UTC).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = day
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| format!("'{text}' has no start of day"))?;
        return Ok(Utc.from_utc_datetime(&start));
    }
    let wrong =
        || format!("'{text}' is neither a span like 30m, 2h, 3d, 2w nor a date like 2026-12-01");
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .filter(|at| *at > 0)
        .ok_or_else(wrong)?;
    let amount: i64 = text[..unit_at].parse().map_err(|_| wrong())?;
    let span = match &text[unit_at..] {
        "s" => Duration::try_seconds(amount),
        "m" | "min" => Duration::try_minutes(amount),
        "h" => Duration::try_hours(amount),
        "d" => Duration::try_days(amount),
        "w" => Duration::try_weeks(amount),
        _ => None,
    }
    .ok_or_else(wrong)?;
    now.checked_sub_signed(span).ok_or_else(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn since_takes_spans_and_days() {
        let now = at("2026-12-03T12:00:00Z");
        assert_eq!(parse_since("2h", now), Ok(at("2026-12-03T10:00:00Z")));
        assert_eq!(parse_since("3d", now), Ok(at("2026-11-30T12:00:00Z")));
        assert_eq!(parse_since("30m", now), Ok(at("2026-12-03T11:30:00Z")));
        assert_eq!(parse_since("1w", now), Ok(at("2026-11-26T12:00:00Z")));
        assert_eq!(
            parse_since("2026-12-01", now),
            Ok(at("2026-12-01T00:00:00Z"))
        );
        for bad in ["", "h", "2y", "yesterday", "2026-13-01", "-2h"] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_match_whatever_their_spelling() {
        assert!(same_host(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/v1/"
        ));
        assert!(!same_host("http://127.0.0.1:8080", "http://127.0.0.1:9090"));
    }
}
