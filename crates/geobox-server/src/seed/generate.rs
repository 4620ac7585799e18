//! The made-up users and sessions themselves: every string and number of a seeded user,
//! drawn from one SplitMix64 stream, so a seed number and a clock always give the same rows.
//! Nothing here touches SQLite, which lets generation run on its own thread beside the
//! inserts.

use std::collections::HashSet;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};

const FIRST_NAMES: &str = include_str!("../../assets/first_names.txt");
const LAST_NAMES: &str = include_str!("../../assets/last_names.txt");
const AGENTS: &str = include_str!("../../assets/agents.txt");

/// SplitMix64: tiny, fast, and its output never changes with a dependency upgrade, so a seed
/// number always gives the same demo data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks by weight: `(value, weight)`.
    fn weighted<'a, T>(&mut self, items: &'a [(T, u64)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, weight)| weight).sum();
        let mut roll = self.below(total.max(1));
        for (value, weight) in items {
            if roll < *weight {
                return value;
            }
            roll -= weight;
        }
        &items[items.len() - 1].0
    }
}

/// A name with its Persian spelling when it has one.
struct Name {
    latin: &'static str,
    persian: Option<&'static str>,
    /// The ASCII, lower-case form for usernames, made once rather than per user.
    slug: String,
}

fn names(text: &'static str) -> Vec<Name> {
    lines(text)
        .into_iter()
        .map(|line| {
            let (latin, persian) = match line.split_once('|') {
                Some((latin, persian)) => (latin, Some(persian)),
                None => (line, None),
            };
            Name {
                latin,
                persian,
                slug: slug(latin),
            }
        })
        .collect()
}

fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// An ASCII, lower-case form of a name for usernames and emails.
fn slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'é' | 'è' => Some('e'),
            'ü' => Some('u'),
            'ı' => Some('i'),
            'í' => Some('i'),
            'á' => Some('a'),
            _ => None,
        })
        .collect()
}

const ROLES: &[(&str, u64)] = &[
    ("System Admin", 5),
    ("Account Admin", 40),
    ("Publisher", 200),
    ("Editor", 250),
    ("Viewer", 505),
];
const STATUSES: &[(&str, u64)] = &[("Active", 70), ("New", 9), ("Pending", 8), ("Disabled", 13)];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "chmail.ir",
    "ut.ac.ir",
    "sharif.edu",
    "aut.ac.ir",
    "ncc.gov.ir",
    "tehran.ir",
    "mapsa.ir",
    "negareh.co",
    "example.org",
];
/// Iranian mobile operator prefixes (after +98).
const MOBILE_PREFIXES: &[&str] = &[
    "912", "913", "914", "915", "919", "935", "936", "937", "938", "939", "901", "902", "903",
    "990", "921", "922",
];
/// First octets of address blocks common in Iran, and a few abroad.
const IP_FIRST: &[u8] = &[
    2, 5, 31, 37, 46, 78, 85, 91, 94, 151, 178, 185, 188, 212, 217,
];

/// One seeded user, ready to bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SeededUser {
    pub(super) id: i64,
    pub(super) username: String,
    pub(super) email: String,
    pub(super) first_name: Option<&'static str>,
    pub(super) last_name: Option<&'static str>,
    pub(super) mobile: Option<String>,
    pub(super) role: &'static str,
    pub(super) status: &'static str,
    pub(super) plan_id: Option<i64>,
    pub(super) expiration_date: Option<String>,
    pub(super) parent_id: Option<i64>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) last_login: Option<String>,
    pub(super) sessions: Vec<SeededSession>,
}

/// One session of a seeded user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SeededSession {
    pub(super) uuid: String,
    pub(super) agent: &'static str,
    pub(super) ip: String,
    pub(super) created_at: String,
    pub(super) last_seen: String,
}

/// A plan users may get: `((id, number_of_days), weight)`.
pub(super) type WeightedPlan = ((i64, Option<i64>), u64);

/// Makes the users of one seed, in id order.
pub(super) struct Generator {
    rng: Rng,
    first_names: Vec<Name>,
    last_names: Vec<Name>,
    agents: Vec<&'static str>,
    plans: Vec<WeightedPlan>,
    /// Lower-case usernames in use, the existing users' among them.
    taken: HashSet<String>,
    first_id: i64,
    users: u64,
    now: DateTime<Utc>,
    epoch: DateTime<Utc>,
    span_seconds: i64,
}

impl Generator {
    /// `users` users with ids from `first_id`, as if made at `now`.
    pub(super) fn new(
        seed: u64,
        users: u64,
        first_id: i64,
        plans: Vec<WeightedPlan>,
        taken: HashSet<String>,
        now: DateTime<Utc>,
    ) -> Generator {
        let epoch = NaiveDate::from_ymd_opt(2019, 1, 1)
            .and_then(|date| date.and_hms_opt(8, 0, 0))
            .map(|time| time.and_utc())
            .unwrap_or(now);
        let mut taken = taken;
        taken.reserve(usize::try_from(users).unwrap_or(0));
        Generator {
            rng: Rng(seed),
            first_names: names(FIRST_NAMES),
            last_names: names(LAST_NAMES),
            agents: lines(AGENTS),
            plans,
            taken,
            first_id,
            users,
            now,
            epoch,
            span_seconds: (now - epoch).num_seconds().max(1),
        }
    }

    /// The user at `index` (0-based); users must be asked for in order, each once.
    pub(super) fn user(&mut self, index: u64) -> SeededUser {
        let Generator {
            rng,
            first_names,
            last_names,
            agents,
            plans,
            taken,
            first_id,
            users,
            now,
            epoch,
            span_seconds,
        } = self;
        let (first_id, now, epoch, span_seconds) = (*first_id, *now, *epoch, *span_seconds);
        let today = now.date_naive();
        let id = first_id + index as i64;
        let first = rng.pick(first_names);
        let last = rng.pick(last_names);
        // Users created in order over the years, with some jitter around their slot.
        let slot = span_seconds * index as i64 / (*users).max(1) as i64;
        let jitter = rng.below(3_600) as i64;
        let created = epoch + Duration::seconds((slot + jitter).min(span_seconds));

        let (first_slug, last_slug) = (first.slug.as_str(), last.slug.as_str());
        let mut username = String::with_capacity(first_slug.len() + last_slug.len() + 8);
        match rng.below(4) {
            style @ (0 | 1) => {
                username.push_str(first_slug);
                username.push(if style == 0 { '.' } else { '_' });
                username.push_str(last_slug);
            }
            2 => {
                username.push(first_slug.chars().next().unwrap_or('u'));
                username.push_str(last_slug);
            }
            _ => {
                username.push_str(first_slug);
                push_number(&mut username, 1960 + rng.below(50));
            }
        }
        if !taken.insert(username.clone()) {
            push_number(&mut username, id as u64);
            taken.insert(username.clone());
        }
        let domain = rng.pick(DOMAINS);
        let mut email = String::with_capacity(username.len() + 1 + domain.len());
        email.push_str(&username);
        email.push('@');
        email.push_str(domain);
        let persian = first.persian.is_some() && last.persian.is_some() && rng.chance(35);
        let (first_name, last_name) = if persian {
            (
                first.persian.unwrap_or(first.latin),
                last.persian.unwrap_or(last.latin),
            )
        } else {
            (first.latin, last.latin)
        };
        let first_name = (!rng.chance(2)).then_some(first_name);
        let last_name = (!rng.chance(2)).then_some(last_name);
        let mobile = match rng.below(100) {
            0..=79 => Some(format!(
                "+98 {}{:07}",
                rng.pick(MOBILE_PREFIXES),
                rng.below(10_000_000)
            )),
            80..=84 => Some(format!(
                "+1 {:010}",
                2_000_000_000 + rng.below(7_999_999_999)
            )),
            85..=87 => Some(format!("+49 15{:09}", rng.below(1_000_000_000))),
            _ => None,
        };
        let role = rng.weighted(ROLES);
        let status = rng.weighted(STATUSES);
        let plan = (!rng.chance(12)).then(|| *rng.weighted(plans));
        let expiration_date = plan.map(|(_, days)| {
            // Around today: a third already expired, the rest running for up to two years.
            let offset = rng.below(1_095) as i64 - 365;
            let days = days.unwrap_or(365);
            let date = today + Duration::days(offset.min(days * 4));
            format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
        });
        let parent_id = (index > 20 && rng.chance(10)).then(|| first_id + rng.below(index) as i64);
        let updated = created
            + Duration::seconds(rng.below((now - created).num_seconds().max(1) as u64) as i64);
        let session_count = if *status == "Disabled" {
            0
        } else {
            rng.below(5)
        };
        let mut last_login: Option<DateTime<Utc>> = None;
        let mut sessions = Vec::with_capacity(session_count as usize);
        for _ in 0..session_count {
            let age = rng.below(60 * 86_400) as i64;
            let started = (now - Duration::seconds(age)).max(created);
            let seen = started
                + Duration::seconds(rng.below((now - started).num_seconds().max(1) as u64) as i64);
            last_login = Some(last_login.map_or(started, |latest| latest.max(started)));
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&rng.next().to_le_bytes());
            bytes[8..].copy_from_slice(&rng.next().to_le_bytes());
            let uuid = uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string();
            let ip = format!(
                "{}.{}.{}.{}",
                rng.pick(IP_FIRST),
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            );
            let agent = *rng.pick::<&'static str>(agents);
            sessions.push(SeededSession {
                uuid,
                agent,
                ip,
                created_at: format_time(started),
                last_seen: format_time(seen),
            });
        }
        SeededUser {
            id,
            username,
            email,
            first_name,
            last_name,
            mobile,
            role,
            status,
            plan_id: plan.map(|(plan_id, _)| plan_id),
            expiration_date,
            parent_id,
            created_at: format_time(created),
            updated_at: format_time(updated),
            last_login: last_login.map(format_time),
            sessions,
        }
    }
}

fn push_number(text: &mut String, number: u64) {
    // Writing into a String cannot fail.
    let _ = write!(text, "{number}");
}

/// `2024-05-01T08:00:00Z`, as the store keeps times. Written field by field: chrono's
/// `format` parses its pattern on every call, a cost seeding would pay several million times.
pub(super) fn format_time(time: DateTime<Utc>) -> String {
    let mut text = String::with_capacity(20);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_the_store_writes_them() {
        for text in [
            "2019-01-01T08:00:00Z",
            "2026-12-31T23:59:59Z",
            "2024-02-29T00:05:09Z",
        ] {
            let time = DateTime::parse_from_rfc3339(text)
                .expect("parses")
                .with_timezone(&Utc);
            assert_eq!(format_time(time), text);
            assert_eq!(
                format_time(time),
                time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
        }
    }

    #[test]
    fn slugs_are_made_once_per_name_and_stay_ascii() {
        let first = names(FIRST_NAMES);
        assert!(first.iter().all(|name| name.slug.is_ascii()));
        assert!(first.iter().all(|name| name.slug == slug(name.latin)));
    }
}
