//! An entry as the databases keep it, the same in both stores: one row for the entry (its JSON
//! without its users, and the first user's change, so that a listing reads one short row
//! whatever the entry's size) and one row a user (so that one user's entries are found through
//! an index, and a run over 50,000 users is 50,000 small rows, not one giant line).

use std::io;

use super::brief::{Brief, Sample};
use super::deployment::{Deployment, is_loopback};
use super::entry::{Entry, Tool, UserChange};

/// What an entry's row holds besides its JSON: the columns reads filter and order by.
pub(super) struct EntryRow {
    pub id: String,
    /// Microseconds since 1970 (UTC): the order of the journal.
    pub at_us: i64,
    /// The deployment's key; an entry from before deployments were recorded counts as the
    /// server of its address.
    pub deployment: String,
    /// An entry from before deployments were recorded that the console wrote to a loopback
    /// address: it counts as the demo's too (see `recorded_on`).
    pub also_demo: bool,
    /// The signed-in admin, in lower case (admins are filtered by name in any case).
    pub by_lower: Option<String>,
    pub tool: &'static str,
    pub action: String,
    pub undoes: Option<String>,
    pub user_count: i64,
    /// The entry as JSON, without its users and without what only reading knows.
    pub head: String,
    /// The first user's change as JSON, for listings.
    pub first_change: Option<String>,
    pub users: Vec<UserRow>,
    /// The digest of the users' JSON, in order ([`seal::digest`](super::seal::digest)).
    pub users_digest: String,
}

/// One user of an entry.
pub(super) struct UserRow {
    pub position: i64,
    pub user_id: Option<i64>,
    /// The username in lower case, as `--user NAME` looks it up.
    pub username_lower: Option<String>,
    pub change: String,
}

fn json_error(error: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

pub(super) fn tool_name(tool: Tool) -> &'static str {
    match tool {
        Tool::Console => "console",
        Tool::Cli => "cli",
    }
}

impl EntryRow {
    /// What the row's seal covers.
    pub fn parts(&self) -> super::seal::Parts<'_> {
        super::seal::Parts {
            head: self.head.as_bytes(),
            users_digest: &self.users_digest,
            first_change: self.first_change.as_deref().map(str::as_bytes),
        }
    }

    /// The rows of `entry`; one that does not say which machine made it is from `machine`.
    pub fn of(entry: &Entry, machine: Option<&str>) -> io::Result<EntryRow> {
        let head = serde_json::to_string(&head_of(entry, machine)).map_err(json_error)?;
        let users = entry
            .changes
            .iter()
            .enumerate()
            .map(|(position, change)| {
                Ok(UserRow {
                    position: position as i64,
                    user_id: change.user_id,
                    username_lower: change.username.as_deref().map(str::to_lowercase),
                    change: serde_json::to_string(change).map_err(json_error)?,
                })
            })
            .collect::<io::Result<Vec<UserRow>>>()?;
        let users_digest = super::seal::digest(users.iter().map(|user| user.change.as_bytes()));
        let (deployment, also_demo) = match &entry.deployment {
            Some(deployment) => (deployment.key().to_string(), false),
            None => (
                Deployment::server(&entry.host).key().to_string(),
                entry.tool == Tool::Console && is_loopback(&entry.host),
            ),
        };
        Ok(EntryRow {
            id: entry.id.clone(),
            at_us: micros(entry.time),
            deployment,
            also_demo,
            by_lower: entry.by.as_deref().map(|by| by.trim().to_lowercase()),
            tool: tool_name(entry.tool),
            action: entry.action.name().to_string(),
            undoes: entry.undoes.clone(),
            user_count: entry.changes.len() as i64,
            head,
            first_change: users.first().map(|user| user.change.clone()),
            users,
            users_digest,
        })
    }
}

/// Microseconds since 1970: the order both stores keep (with the order of writing after it).
pub(super) fn micros(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_micros()
}

/// The entry without its users, and without what only reading knows.
fn head_of(entry: &Entry, machine: Option<&str>) -> Entry {
    Entry {
        id: entry.id.clone(),
        time: entry.time,
        host: entry.host.clone(),
        deployment: entry.deployment.clone(),
        profile: entry.profile.clone(),
        by: entry.by.clone(),
        machine: entry.machine.clone().or(machine.map(str::to_string)),
        tool: entry.tool,
        action: entry.action.clone(),
        changes: Vec::new(),
        detail: entry.detail.clone(),
        steps: entry.steps.clone(),
        outcome: entry.outcome.clone(),
        undoes: entry.undoes.clone(),
        skipped: entry.skipped.clone(),
        undone: None,
        read_from: None,
        not_shared: false,
    }
}

/// A listing's entry from its row: the head, the first user and how many.
pub(super) fn brief_of(head: &str, first_change: Option<&str>, count: i64) -> io::Result<Brief> {
    let mut brief: Brief = serde_json::from_str(head).map_err(json_error)?;
    let first = first_change
        .map(serde_json::from_str::<UserChange>)
        .transpose()
        .map_err(json_error)?;
    brief.changes = Sample {
        first,
        count: usize::try_from(count).unwrap_or_default(),
    };
    Ok(brief)
}

/// A whole entry from its head and its users' rows, in order.
pub(super) fn entry_of<'a>(
    head: &str,
    changes: impl IntoIterator<Item = &'a str>,
) -> io::Result<Entry> {
    let mut entry: Entry = serde_json::from_str(head).map_err(json_error)?;
    entry.changes = changes
        .into_iter()
        .map(serde_json::from_str::<UserChange>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(json_error)?;
    Ok(entry)
}

/// The ids that start with `prefix`, as a range `[prefix, end)` an index can read: `None`
/// when the prefix is not made of the letters and digits ids are made of (then only an exact
/// id can match).
pub(super) fn prefix_range(prefix: &str) -> Option<(String, String)> {
    if prefix.is_empty() || !prefix.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return None;
    }
    let mut end = prefix.as_bytes().to_vec();
    // The last byte is an ASCII letter or digit, so one more is still ASCII.
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    Some((prefix.to_string(), String::from_utf8(end).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Action, Outcome};

    #[test]
    fn an_entry_goes_into_rows_and_comes_back_whole() {
        let mut entry = Entry::new("http://h", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
        entry.by = Some("Admin".into());
        entry.changes = (1..=3)
            .map(|id| UserChange::new(Some(id), Some(format!("User{id}"))))
            .collect();
        let row = EntryRow::of(&entry, None).expect("rows");
        assert_eq!(row.user_count, 3);
        assert_eq!(row.users[1].username_lower.as_deref(), Some("user2"));
        assert_eq!(row.by_lower.as_deref(), Some("admin"));
        assert!(!row.head.contains("User1"), "{}", row.head);
        let back = entry_of(&row.head, row.users.iter().map(|u| u.change.as_str())).expect("back");
        assert_eq!(back, entry);
        let brief =
            brief_of(&row.head, row.first_change.as_deref(), row.user_count).expect("brief");
        assert_eq!(brief, Brief::from(&entry));
    }

    #[test]
    fn an_older_console_entry_on_loopback_counts_as_the_demos_too() {
        let older = Entry::new(
            "http://127.0.0.1:41234/v1/",
            Tool::Console,
            Action::Update,
            Outcome::Ok,
        );
        let row = EntryRow::of(&older, None).expect("rows");
        assert!(row.also_demo);
        assert_eq!(row.deployment, "http://127.0.0.1:41234/v1/");
    }

    #[test]
    fn prefixes_become_ranges_of_ids() {
        assert_eq!(
            prefix_range("k3v9"),
            Some(("k3v9".to_string(), "k3v:".to_string()))
        );
        assert_eq!(prefix_range("ab%"), None);
        assert_eq!(prefix_range(""), None);
    }
}
