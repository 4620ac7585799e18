//! Which entries a listing shows: since a time, about a user, on a host, how many.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::deployment::Deployment;
use super::entry::{Entry, UserKey};

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since: Option<DateTime<Utc>>,
    pub user: Option<UserKey>,
    /// Only entries written to this deployment.
    pub deployment: Option<Deployment>,
    /// Only entries this admin made (their username, in any case).
    pub by: Option<String>,
    pub limit: Option<usize>,
}

impl Filter {
    /// Whether the entry passes every condition but the limit.
    pub fn accepts(&self, entry: &Entry) -> bool {
        !self.is_before_window(entry.time)
            && self.user.as_ref().is_none_or(|user| entry.concerns(user))
            && self
                .deployment
                .as_ref()
                .is_none_or(|deployment| entry.is_on(deployment))
            && self.made_by(entry.by.as_deref())
    }

    /// Whether an entry signed by `by` passes the admin asked for.
    pub fn made_by(&self, by: Option<&str>) -> bool {
        self.by
            .as_deref()
            .is_none_or(|wanted| by.is_some_and(|by| by.trim().eq_ignore_ascii_case(wanted.trim())))
    }

    /// Whether an entry of this time is older than `since`: reading newest first, the rest
    /// are too.
    pub fn is_before_window(&self, time: DateTime<Utc>) -> bool {
        self.since.is_some_and(|since| time < since)
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
    /// A team journal's URL that cannot be used (shown without its password).
    #[error("the team journal {0}")]
    BadTeamUrl(String),
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
    fn a_filter_takes_a_user_a_deployment_and_a_window() {
        use crate::journal::{Action, Outcome, Tool, UserChange};
        let mut entry = Entry::new(
            "http://127.0.0.1:8080",
            Tool::Cli,
            Action::Update,
            Outcome::Ok,
        );
        entry.time = at("2026-12-03T12:00:00Z");
        entry.changes = vec![UserChange::new(Some(42), Some("Neda.A".to_string()))];
        let about = |user: &str| Filter {
            user: Some(UserKey::parse(user)),
            ..Filter::default()
        };
        assert!(about("42").accepts(&entry));
        assert!(about("neda.a").accepts(&entry));
        assert!(!about("4").accepts(&entry), "42 is not 4");
        assert!(!about("sara").accepts(&entry));
        let on = |host: &str| Filter {
            deployment: Some(Deployment::named(host)),
            ..Filter::default()
        };
        assert!(on("http://127.0.0.1:8080/v1/").accepts(&entry));
        assert!(!on("http://127.0.0.1:9090").accepts(&entry));
        assert!(
            !on("demo").accepts(&entry),
            "the CLI never wrote to the demo"
        );
        let since = |time: &str| Filter {
            since: Some(at(time)),
            ..Filter::default()
        };
        assert!(since("2026-12-03T11:00:00Z").accepts(&entry));
        assert!(!since("2026-12-03T13:00:00Z").accepts(&entry));
    }
}
