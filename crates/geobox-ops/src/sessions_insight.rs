//! Session insight: which client a session's agent names (a browser with its OS, the Python
//! SDK, curl, this tool, other), a user's sessions grouped by client and address newest
//! first, and the marks an admin looks for: `new` (an address or client no other session of
//! the user has) and idle (not seen for longer than a threshold). The CLI and the console's
//! sessions pane show the same grouping.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use geobox_api::Session;

/// Sessions not seen for this long are marked idle.
pub const DEFAULT_IDLE_AFTER: Duration = Duration::days(14);

/// The kind of program a session was opened from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClientFamily {
    Browser {
        name: String,
        os: String,
    },
    PythonSdk,
    Curl,
    /// geobox-users itself: this console or its CLI.
    ThisTool,
    /// Anything else, by the first product token of its agent (`QGIS`, `PostmanRuntime`).
    Other(String),
}

impl fmt::Display for ClientFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientFamily::Browser { name, os } => write!(f, "{name} on {os}"),
            ClientFamily::PythonSdk => f.write_str("Python SDK"),
            ClientFamily::Curl => f.write_str("curl"),
            ClientFamily::ThisTool => f.write_str("geobox-users"),
            ClientFamily::Other(product) if product.is_empty() => f.write_str("other (no agent)"),
            ClientFamily::Other(product) => write!(f, "other: {product}"),
        }
    }
}

/// The client family an agent string names.
pub fn classify(agent: Option<&str>) -> ClientFamily {
    let agent = agent.unwrap_or("").trim();
    let product = agent
        .split(['/', ' '])
        .next()
        .unwrap_or_default()
        .to_string();
    if agent.starts_with("geobox-python/") {
        return ClientFamily::PythonSdk;
    }
    if agent.starts_with("curl/") {
        return ClientFamily::Curl;
    }
    if agent.starts_with("geobox-users/") {
        return ClientFamily::ThisTool;
    }
    if let Some(name) = browser_name(agent).filter(|_| agent.starts_with("Mozilla/")) {
        return ClientFamily::Browser {
            name: name.to_string(),
            os: operating_system(agent).unwrap_or("unknown OS").to_string(),
        };
    }
    ClientFamily::Other(product)
}

/// The browser, by the tokens browsers add after the ones they copy from each other (Edge
/// says Chrome and Safari too, Chrome says Safari).
fn browser_name(agent: &str) -> Option<&'static str> {
    const BROWSERS: [(&str, &str); 6] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    BROWSERS
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map(|(_, name)| *name)
}

/// The system an agent names, if it names one the admin would recognise.
pub fn operating_system(agent: &str) -> Option<&'static str> {
    // Phones first: their agents also name the desktop system they derive from.
    const SYSTEMS: [(&str, &str); 7] = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map(|(_, name)| *name)
}

/// One session with what insight says about it.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionInsight {
    pub session: Session,
    pub family: ClientFamily,
    /// Its address or its client family is one no other session of the user has.
    pub is_new: bool,
    /// How long it has not been seen, when that is longer than the threshold.
    pub idle_for: Option<Duration>,
}

impl SessionInsight {
    /// The marks for people: `new`, `idle 21d`, `this` (the session asking).
    pub fn marks(&self) -> Vec<String> {
        let mut marks = Vec::new();
        if self.is_new {
            marks.push("new".to_string());
        }
        if let Some(idle) = self.idle_for {
            marks.push(format!("idle {}", short_span(idle)));
        }
        if self.session.current == Some(true) {
            marks.push("this".to_string());
        }
        marks
    }
}

/// Sessions from one client family at one address, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionGroup {
    pub family: ClientFamily,
    pub ip: String,
    pub sessions: Vec<SessionInsight>,
}

impl SessionGroup {
    /// `Chrome on Windows · 5.22.10.1`
    pub fn title(&self) -> String {
        format!("{} · {}", self.family, self.ip)
    }
}

/// A user's sessions grouped by client family and address: groups ordered by their newest
/// session, sessions newest first within a group.
pub fn group(sessions: &[Session], now: DateTime<Utc>, idle_after: Duration) -> Vec<SessionGroup> {
    let mut seen: Vec<(Option<DateTime<Utc>>, SessionInsight, String)> = sessions
        .iter()
        .map(|session| {
            let family = classify(session.agent.as_deref());
            let ip = session.ip.clone().unwrap_or_else(|| "?".to_string());
            let last = last_activity(session);
            let idle_for = last.map(|at| now - at).filter(|idle| *idle > idle_after);
            let is_new = sessions.len() > 1
                && (is_only(sessions, |other| {
                    other.ip.as_deref() == session.ip.as_deref()
                }) || is_only(sessions, |other| classify(other.agent.as_deref()) == family));
            let insight = SessionInsight {
                session: session.clone(),
                family,
                is_new,
                idle_for,
            };
            (last, insight, ip)
        })
        .collect();
    // Newest first; sessions with no time last.
    seen.sort_by_key(|(last, _, _)| std::cmp::Reverse(*last));
    let mut groups: Vec<SessionGroup> = Vec::new();
    for (_, insight, ip) in seen {
        match groups
            .iter_mut()
            .find(|group| group.family == insight.family && group.ip == ip)
        {
            Some(group) => group.sessions.push(insight),
            None => groups.push(SessionGroup {
                family: insight.family.clone(),
                ip,
                sessions: vec![insight],
            }),
        }
    }
    groups
}

/// Whether exactly one session (the one asked about) matches.
fn is_only(sessions: &[Session], matches: impl Fn(&Session) -> bool) -> bool {
    sessions.iter().filter(|session| matches(session)).count() == 1
}

/// When the session was last seen (or, failing that, opened).
pub fn last_activity(session: &Session) -> Option<DateTime<Utc>> {
    session
        .last_seen
        .as_deref()
        .and_then(parse_time)
        .or_else(|| session.created_at.as_deref().and_then(parse_time))
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                .map(|naive| naive.and_utc())
                .ok()
        })
}

/// `3d`, `5h`, `40m`: the largest whole unit.
pub fn short_span(span: Duration) -> String {
    if span.num_days() > 0 {
        format!("{}d", span.num_days())
    } else if span.num_hours() > 0 {
        format!("{}h", span.num_hours())
    } else {
        format!("{}m", span.num_minutes().max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENTS: &str = include_str!("../../geobox-server/assets/agents.txt");

    fn browser(name: &str, os: &str) -> ClientFamily {
        ClientFamily::Browser {
            name: name.to_string(),
            os: os.to_string(),
        }
    }

    #[test]
    fn every_seeded_agent_is_classified() {
        let families: Vec<String> = AGENTS
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|agent| classify(Some(agent)).to_string())
            .collect();
        assert_eq!(
            families,
            [
                "Chrome on Windows",
                "Edge on Windows",
                "Firefox on Windows",
                "Safari on macOS",
                "Chrome on macOS",
                "Chrome on Linux",
                "Firefox on Linux",
                "Safari on iOS",
                "Chrome on Android",
                "Chrome on Android",
                "Python SDK",
                "Python SDK",
                "Python SDK",
                "other: python-requests",
                "curl",
                "curl",
                "other: QGIS",
                "other: QGIS",
                "other: PostmanRuntime",
                "geobox-users",
            ]
        );
    }

    #[test]
    fn odd_agents_are_other() {
        assert_eq!(classify(None), ClientFamily::Other(String::new()));
        assert_eq!(classify(None).to_string(), "other (no agent)");
        assert_eq!(
            classify(Some("Mozilla/5.0 (compatible; Googlebot/2.1)")),
            ClientFamily::Other("Mozilla".to_string())
        );
        assert_eq!(
            classify(Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1"
            )),
            browser("Chrome", "iOS")
        );
    }

    fn session(uuid: &str, agent: &str, ip: &str, last_seen: &str) -> Session {
        Session {
            uuid: uuid.to_string(),
            agent: Some(agent.to_string()),
            ip: Some(ip.to_string()),
            created_at: Some("2026-11-01T08:00:00Z".to_string()),
            last_seen: Some(last_seen.to_string()),
            current: Some(false),
            extra: Default::default(),
        }
    }

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    #[test]
    fn sessions_group_by_client_and_address_newest_first_with_marks() {
        let now = "2026-12-01T12:00:00Z".parse().expect("time");
        let sessions = [
            session("a", CHROME, "5.22.10.1", "2026-11-30T10:00:00Z"),
            session("b", "curl/8.5.0", "91.98.3.7", "2026-12-01T11:00:00Z"),
            session("c", CHROME, "5.22.10.1", "2026-11-02T10:00:00Z"),
            session("d", CHROME, "5.22.10.1", "2026-12-01T09:00:00Z"),
        ];
        let groups = group(&sessions, now, DEFAULT_IDLE_AFTER);
        let shape: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|group| {
                let uuids = group
                    .sessions
                    .iter()
                    .map(|insight| insight.session.uuid.as_str())
                    .collect();
                (group.title(), uuids)
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("curl · 91.98.3.7".to_string(), vec!["b"]),
                (
                    "Chrome on Windows · 5.22.10.1".to_string(),
                    vec!["d", "a", "c"]
                ),
            ]
        );
        // curl from an address no other session uses: new. The old Chrome one: idle.
        assert_eq!(groups[0].sessions[0].marks(), ["new"]);
        assert_eq!(groups[1].sessions[0].marks(), Vec::<String>::new());
        assert_eq!(groups[1].sessions[2].marks(), ["idle 29d"]);
    }

    #[test]
    fn a_lone_session_is_not_new_and_a_new_client_at_a_known_address_is() {
        let now = "2026-12-01T12:00:00Z".parse().expect("time");
        let lone = [session("a", CHROME, "5.22.10.1", "2026-12-01T10:00:00Z")];
        assert!(!group(&lone, now, DEFAULT_IDLE_AFTER)[0].sessions[0].is_new);
        let same_address = [
            session("a", CHROME, "5.22.10.1", "2026-12-01T10:00:00Z"),
            session("b", CHROME, "5.22.10.1", "2026-12-01T10:00:00Z"),
            session(
                "c",
                "geobox-python/2.11.0 python-requests/2.32.3",
                "5.22.10.1",
                "2026-12-01T10:00:00Z",
            ),
        ];
        let groups = group(&same_address, now, DEFAULT_IDLE_AFTER);
        let new: Vec<&str> = groups
            .iter()
            .flat_map(|group| &group.sessions)
            .filter(|insight| insight.is_new)
            .map(|insight| insight.session.uuid.as_str())
            .collect();
        assert_eq!(new, ["c"]);
    }
}
