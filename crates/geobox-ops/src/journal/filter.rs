//! Which entries a listing shows: since a time, about a user, on a host, how many.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::entry::{Entry, UserKey};
use geobox_api::api_base_url;

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
        self.accepts_besides_host(entry)
            && self
                .host
                .as_deref()
                .is_none_or(|host| same_host(host, &entry.host))
    }

    /// [`Filter::accepts`] without the host, which a reader of many entries checks once per
    /// spelling of a host instead (parsing URLs is most of the cost of a long read).
    pub fn accepts_besides_host(&self, entry: &Entry) -> bool {
        !self.is_before_window(entry) && self.user.as_ref().is_none_or(|user| entry.concerns(user))
    }

    /// A cheap look at a line's text before decoding it: `false` only when the entry cannot
    /// pass the user condition, so a search for one user among 100,000 entries decodes few.
    pub fn line_may_match(&self, line: &[u8]) -> bool {
        match &self.user {
            None => true,
            Some(UserKey::Id(id)) => {
                let needle = format!("\"user_id\":{id}");
                find_all(line, needle.as_bytes(), |at| {
                    !line.get(at + needle.len()).is_some_and(u8::is_ascii_digit)
                })
            }
            // Text that JSON escapes is not looked for: decode and compare instead.
            Some(UserKey::Username(name))
                if name.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) =>
            {
                true
            }
            Some(UserKey::Username(name)) => {
                let needle = name.as_bytes();
                !needle.is_empty()
                    && line
                        .windows(needle.len())
                        .any(|window| window.eq_ignore_ascii_case(needle))
            }
        }
    }

    /// Whether the entry is older than `since`: reading newest first, the rest are too.
    pub fn is_before_window(&self, entry: &Entry) -> bool {
        self.since.is_some_and(|since| entry.time < since)
    }
}

/// Whether `needle` occurs in `haystack` at a place `accept` agrees to.
fn find_all(haystack: &[u8], needle: &[u8], accept: impl Fn(usize) -> bool) -> bool {
    haystack
        .windows(needle.len())
        .enumerate()
        .any(|(at, window)| window == needle && accept(at))
}

/// Whether two spellings of a host name the same API.
pub fn same_host(a: &str, b: &str) -> bool {
    match (api_base_url(a), api_base_url(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

/// What the journal cannot do or understand.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// A `--since` that is neither a span nor a day.
    #[error("'{0}' is neither a span like 30m, 2h, 3d, 2w nor a date like 2026-12-01")]
    BadSince(String),
    /// No data directory to keep the journal in.
    #[error(
        "no data directory for the journal: set {}",
        crate::paths::DATA_DIR_VAR
    )]
    NoDataDirectory,
}

/// `--since`: a span back from `now` (`30m`, `2h`, `3d`, `2w`) or a day (`2026-12-01`, from its
/// start in UTC).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, JournalError> {
    let text = text.trim();
    let wrong = || JournalError::BadSince(text.to_string());
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = day.and_hms_opt(0, 0, 0).ok_or_else(wrong)?;
        return Ok(Utc.from_utc_datetime(&start));
    }
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
        assert_eq!(
            parse_since(" 2y ", now).map_err(|error| error.to_string()),
            Err("'2y' is neither a span like 30m, 2h, 3d, 2w nor a date like 2026-12-01".into())
        );
    }

    #[test]
    fn the_line_look_never_drops_an_entry_about_the_user() {
        let line = br#"{"id":"a","changes":[{"user_id":42,"username":"Neda.A"}]}"#;
        let about = |user: &str| Filter {
            user: Some(UserKey::parse(user)),
            ..Filter::default()
        };
        assert!(about("42").line_may_match(line));
        assert!(about("neda.a").line_may_match(line));
        assert!(!about("4").line_may_match(line), "42 is not 4");
        assert!(!about("sara").line_may_match(line));
        assert!(
            about("odd\"name").line_may_match(line),
            "escaped names are decoded instead"
        );
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
