//! Where the journal is kept: on this machine (the default), or in a team's PostgreSQL
//! database, named by a URL (`journal = "postgres://…"` in a profile, or `GEOBOX_JOURNAL_URL`).
//!
//! The URL's password is a secret: it is taken out of the URL when it is read, shown nowhere
//! (the URL is always shown without it), and may come instead from `PGPASSWORD` or from the
//! variable a profile's `journal_password_env` names.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use geobox_api::Secret;
use url::Url;

use super::filter::JournalError;

/// Names the team journal's URL when no profile does.
pub const JOURNAL_URL_VAR: &str = "GEOBOX_JOURNAL_URL";
/// PostgreSQL's own variable for the password, as `psql` reads it.
pub const PGPASSWORD_VAR: &str = "PGPASSWORD";
/// How long reaching the team journal may take before an entry waits on this machine instead.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the journal is kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum JournalPlace {
    /// `journal.sqlite` in the data directory.
    #[default]
    Local,
    /// A team's PostgreSQL database (this machine keeps what it cannot send yet).
    Team(TeamJournal),
}

impl JournalPlace {
    /// The place `url` names (`None` or empty: this machine), with the password from the
    /// URL, else `password` (from the variable a profile names, or `PGPASSWORD`).
    pub fn parse(
        url: Option<&str>,
        password: Option<Secret>,
    ) -> Result<JournalPlace, JournalError> {
        match url.map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(JournalPlace::Local),
            Some(url) => TeamJournal::parse(url, password).map(JournalPlace::Team),
        }
    }

    /// What to show: `this machine (journal.sqlite)` or the team journal's URL without its
    /// password.
    pub fn label(&self) -> String {
        match self {
            JournalPlace::Local => {
                "this machine (journal.sqlite in the data directory)".to_string()
            }
            JournalPlace::Team(team) => format!("team: {}", team.redacted()),
        }
    }
}

/// How the connection to the team journal is protected, as libpq's `sslmode` says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, unverified (libpq's default).
    #[default]
    Prefer,
    /// TLS or nothing; the certificate is checked only when `sslrootcert` names a CA.
    Require,
    /// TLS, the certificate signed by a CA trusted here (any name).
    VerifyCa,
    /// TLS, the certificate signed by a trusted CA and naming the host.
    VerifyFull,
}

/// A team journal: a PostgreSQL database, the password kept apart from its URL.
#[derive(Clone, PartialEq)]
pub struct TeamJournal {
    /// The URL without its password, and without the options read below.
    url: Url,
    pub password: Option<Secret>,
    pub tls: TlsMode,
    /// A PEM file of CAs to trust instead of the usual public ones (`sslrootcert`).
    pub root_certificates: Option<PathBuf>,
    pub connect_timeout: Duration,
}

impl fmt::Debug for TeamJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TeamJournal({})", self.redacted())
    }
}

impl TeamJournal {
    /// Reads `postgres://user[:password]@host[:port]/database[?sslmode=…]`. A password in the
    /// URL wins over `password`.
    pub fn parse(text: &str, password: Option<Secret>) -> Result<TeamJournal, JournalError> {
        let bad = |why: &str| JournalError::BadTeamUrl(format!("{}: {why}", redact(text)));
        let mut url = Url::parse(text.trim()).map_err(|error| bad(&error.to_string()))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(bad(
                "a team journal is a PostgreSQL URL, postgres://user@host/database",
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it names no host"));
        }
        if url.path().trim_matches('/').is_empty() {
            return Err(bad("it names no database (postgres://user@host/database)"));
        }
        let in_url = url
            .password()
            .map(|password| percent_decoded(password).map(Secret::from))
            .transpose()
            .map_err(|()| bad("its password is not valid percent-encoded UTF-8"))?;
        let _ = url.set_password(None);
        let mut team = TeamJournal {
            url: url.clone(),
            password: in_url.or(password),
            tls: TlsMode::default(),
            root_certificates: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        };
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "sslmode" => {
                    team.tls = match value.as_ref() {
                        "disable" => TlsMode::Disable,
                        "allow" | "prefer" => TlsMode::Prefer,
                        "require" => TlsMode::Require,
                        "verify-ca" => TlsMode::VerifyCa,
                        "verify-full" => TlsMode::VerifyFull,
                        other => {
                            return Err(bad(&format!(
                                "sslmode={other} is not one of disable, prefer, require, \
                                 verify-ca, verify-full"
                            )));
                        }
                    };
                }
                "sslrootcert" => team.root_certificates = Some(PathBuf::from(value.as_ref())),
                "connect_timeout" => {
                    let seconds: u64 = value
                        .parse()
                        .ok()
                        .filter(|seconds| *seconds > 0)
                        .ok_or_else(|| bad("connect_timeout is a number of seconds"))?;
                    team.connect_timeout = Duration::from_secs(seconds);
                }
                "application_name" => {}
                other => {
                    return Err(bad(&format!(
                        "the option '{other}' is not understood (sslmode, sslrootcert and \
                         connect_timeout are)"
                    )));
                }
            }
        }
        if team.root_certificates.is_some() && team.tls == TlsMode::Prefer {
            // As libpq: a CA named means it is to be used.
            team.tls = TlsMode::VerifyCa;
        }
        Ok(team)
    }

    /// Which team journal this is, for the entries that wait to be sent to it: the URL
    /// without its password and options, so two spellings of its TLS options are one journal.
    pub fn identity(&self) -> String {
        let mut identity = self.url.clone();
        let _ = identity.set_password(None);
        identity.set_query(None);
        identity.to_string()
    }

    /// The URL as it may be shown anywhere: no password, ever.
    pub fn redacted(&self) -> String {
        let mut shown = self.url.clone();
        if self.password.is_some() && !shown.username().is_empty() {
            let _ = shown.set_password(Some("***"));
        }
        shown.to_string()
    }

    /// The host to connect to (a name, an address, or a socket directory).
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        percent_decoded(host).unwrap_or_else(|()| host.to_string())
    }

    pub fn port(&self) -> u16 {
        self.url.port().unwrap_or(5432)
    }

    /// The user to sign in as; the system user's name when the URL names none.
    pub fn user(&self) -> String {
        let user = self.url.username();
        if user.is_empty() {
            return std::env::var("USER").unwrap_or_else(|_| "postgres".to_string());
        }
        percent_decoded(user).unwrap_or_else(|()| user.to_string())
    }

    pub fn database(&self) -> String {
        let name = self.url.path().trim_matches('/');
        percent_decoded(name).unwrap_or_else(|()| name.to_string())
    }
}

fn percent_decoded(text: &str) -> Result<String, ()> {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .ok_or(())
}

/// A URL as text with any password replaced by `***`, for errors about a URL that did not
/// even parse.
pub fn redact(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        // Whatever sits between `//` and the last `@` may hold a password.
        Err(_) => match (text.find("//"), text.rfind('@')) {
            (Some(start), Some(end)) if end > start => {
                format!("{}//***{}", &text[..start], &text[end..])
            }
            _ => text.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_url_is_read_and_never_shown_with_its_password() {
        let team = TeamJournal::parse(
            "postgres://ops:s%40cret@db.example.ir:6432/journal?sslmode=verify-full",
            None,
        )
        .expect("a URL");
        assert_eq!(team.password.as_ref().map(Secret::expose), Some("s@cret"));
        assert_eq!(team.host(), "db.example.ir");
        assert_eq!(team.port(), 6432);
        assert_eq!(team.user(), "ops");
        assert_eq!(team.database(), "journal");
        assert_eq!(team.tls, TlsMode::VerifyFull);
        let shown = team.redacted();
        assert!(!shown.contains("cret"), "{shown}");
        assert!(
            shown.contains("ops:***@db.example.ir:6432/journal"),
            "{shown}"
        );
        assert!(!format!("{team:?}").contains("cret"));
    }

    #[test]
    fn the_password_comes_from_the_url_first_then_the_variable() {
        let from_env = TeamJournal::parse("postgres://ops@db/journal", Some(Secret::from("env")))
            .expect("a URL");
        assert_eq!(from_env.password.as_ref().map(Secret::expose), Some("env"));
        let from_url =
            TeamJournal::parse("postgres://ops:url@db/journal", Some(Secret::from("env")))
                .expect("a URL");
        assert_eq!(from_url.password.as_ref().map(Secret::expose), Some("url"));
    }

    #[test]
    fn bad_urls_are_refused_without_showing_their_password() {
        for (url, said) in [
            ("mysql://ops:hunter2@db/journal", "PostgreSQL URL"),
            ("postgres://ops:hunter2@db", "names no database"),
            ("postgres://ops:hunter2@db/j?sslmode=maybe", "sslmode=maybe"),
            (
                "postgres://ops:hunter2@db/j?target_session_attrs=any",
                "not understood",
            ),
        ] {
            let error = TeamJournal::parse(url, None).expect_err(url).to_string();
            assert!(error.contains(said), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
        assert_eq!(
            redact("postgres://a:hunter2@@bad url"),
            "postgres://***@bad url"
        );
    }

    #[test]
    fn no_url_is_this_machine() {
        assert_eq!(JournalPlace::parse(None, None), Ok(JournalPlace::Local));
        assert_eq!(
            JournalPlace::parse(Some("  "), None),
            Ok(JournalPlace::Local)
        );
    }
}
