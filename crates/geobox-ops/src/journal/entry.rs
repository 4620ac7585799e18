//! One journal entry: who changed what on which host, the values before and after, and how
//! it went. Values are kept per [`Field`], an enumeration of the user fields that are not
//! secrets, so a password, token or API key has no place to be written.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::action::{Action, Outcome, Tool};
use super::deployment::{Deployment, recorded_on};
use super::provenance::{Provenance, Undone};
use geobox_api::{Patch, User, UserRole, UserStatus, UserUpdate, date_part};

/// A user field the journal may record. There is no variant for a password.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Username,
    Email,
    FirstName,
    LastName,
    Mobile,
    Role,
    Status,
    PlanId,
    ExpirationDate,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Username,
        Field::Email,
        Field::FirstName,
        Field::LastName,
        Field::Mobile,
        Field::Role,
        Field::Status,
        Field::PlanId,
        Field::ExpirationDate,
    ];

    /// The API's name of the field.
    pub fn name(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Email => "email",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Mobile => "mobile",
            Field::Role => "role",
            Field::Status => "status",
            Field::PlanId => "plan_id",
            Field::ExpirationDate => "expiration_date",
        }
    }

    /// The field's value in a user; empty text and absence are both `null`.
    pub fn read(self, user: &User) -> Value {
        let text = |value: Option<&str>| match value.map(str::trim) {
            Some(text) if !text.is_empty() => Value::String(text.to_string()),
            _ => Value::Null,
        };
        match self {
            Field::Username => text(Some(&user.username)),
            Field::Email => text(user.email.as_deref()),
            Field::FirstName => text(user.first_name.as_deref()),
            Field::LastName => text(user.last_name.as_deref()),
            Field::Mobile => text(user.mobile.as_deref()),
            Field::Role => text(user.role.as_ref().map(UserRole::as_str)),
            Field::Status => text(user.status.as_ref().map(UserStatus::as_str)),
            Field::PlanId => user
                .plan
                .as_ref()
                .map_or(Value::Null, |plan| Value::from(plan.id)),
            // The API takes dates only, and an undo must send back what the API takes.
            Field::ExpirationDate => text(user.expiration_date.as_deref().map(date_part)),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Values of some fields of one user; `null` is empty (a cleared mobile, no plan).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Values(pub BTreeMap<Field, Value>);

impl Values {
    /// Every recordable field of a user: what a delete loses, what a create made.
    pub fn of_user(user: &User) -> Values {
        Values(
            Field::ALL
                .iter()
                .map(|field| (*field, field.read(user)))
                .collect(),
        )
    }

    /// The fields an update would set, with the values it sends.
    pub fn of_update(update: &UserUpdate) -> Values {
        let mut values = BTreeMap::new();
        let mut text = |field: Field, value: &Option<String>| {
            if let Some(value) = value {
                values.insert(field, Value::String(value.clone()));
            }
        };
        text(Field::Username, &update.username);
        text(Field::Email, &update.email);
        text(Field::FirstName, &update.first_name);
        text(Field::LastName, &update.last_name);
        text(
            Field::Status,
            &update.status.as_ref().map(|s| s.as_str().to_string()),
        );
        text(
            Field::Role,
            &update.role.as_ref().map(|r| r.as_str().to_string()),
        );
        let mut patch = |field: Field, value: &Patch<Value>| match value {
            Patch::Keep => {}
            Patch::Set(value) => {
                values.insert(field, value.clone());
            }
            Patch::Clear => {
                values.insert(field, Value::Null);
            }
        };
        patch(Field::Mobile, &map_patch(&update.mobile, Value::from));
        patch(Field::PlanId, &map_patch(&update.plan_id, Value::from));
        patch(
            Field::ExpirationDate,
            &map_patch(&update.expiration_date, Value::from),
        );
        Values(values)
    }

    /// The same fields, as they are in `user`.
    pub fn read_from(&self, user: &User) -> Values {
        Values(
            self.0
                .keys()
                .map(|field| (*field, field.read(user)))
                .collect(),
        )
    }

    pub fn get(&self, field: Field) -> Option<&Value> {
        self.0.get(&field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn map_patch<T: Clone>(patch: &Patch<T>, to_value: impl Fn(T) -> Value) -> Patch<Value> {
    match patch {
        Patch::Keep => Patch::Keep,
        Patch::Set(value) => Patch::Set(to_value(value.clone())),
        Patch::Clear => Patch::Clear,
    }
}

/// Exactly the fields that differ between two states of a user, as (before, after).
pub fn diff(before: &User, after: &User) -> (Values, Values) {
    let mut old = BTreeMap::new();
    let mut new = BTreeMap::new();
    for field in Field::ALL {
        let (was, is) = (field.read(before), field.read(after));
        if was != is {
            old.insert(field, was);
            new.insert(field, is);
        }
    }
    (Values(old), Values(new))
}

/// What one write did to one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserChange {
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Values::is_empty")]
    pub before: Values,
    #[serde(default, skip_serializing_if = "Values::is_empty")]
    pub after: Values,
    /// For one user of a bulk write; a single write's outcome is the entry's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl UserChange {
    pub fn new(user_id: Option<i64>, username: Option<String>) -> UserChange {
        UserChange {
            user_id,
            username,
            before: Values::default(),
            after: Values::default(),
            outcome: None,
        }
    }

    pub fn values(mut self, before: Values, after: Values) -> UserChange {
        self.before = before;
        self.after = after;
        self
    }

    /// Whether this user's part of the write happened.
    pub fn succeeded<C>(&self, entry: &Entry<C>) -> bool {
        self.outcome.as_ref().unwrap_or(&entry.outcome).is_ok()
    }

    /// Whether the write made this user: nothing before, their fields after (a create, or a
    /// row of an import that created someone).
    pub fn is_creation(&self) -> bool {
        self.user_id.is_some()
            && self.before.is_empty()
            && self.after.get(Field::Username).is_some()
    }
}

/// One step of a multi-step write (a lockdown: disable, close sessions, new password).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub outcome: Outcome,
}

/// One write, as the journal keeps it. `Changes` is every user's change; a listing reads a
/// [`Brief`](super::Brief) instead, with only the first user's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "Changes: Deserialize<'de> + Default"))]
pub struct Entry<Changes = Vec<UserChange>> {
    /// Short and unique: what `journal undo` takes.
    pub id: String,
    pub time: DateTime<Utc>,
    /// The address written to, as shown at the time (the demo's changes at every start).
    pub host: String,
    /// Which Geobox was written to; absent only in entries written before it was recorded
    /// (see [`Entry::is_on`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<Deployment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The signed-in username, when the tool knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The hostname of the machine the write was made from; the store sets it when it keeps
    /// the entry, if the tool did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
    pub tool: Tool,
    pub action: Action,
    /// The users written: one for a single write, many for a bulk one.
    #[serde(default)]
    pub changes: Changes,
    /// What the write was about besides the user: a session's uuid, a member's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    pub outcome: Outcome,
    /// The entry this one reverted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// An undo's users it left as they were: changed since the entry it undid
    /// (`--skip-changed`), or the signed-in admin, whom it would have shut out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<UserChange>,
    /// Whether, when and by what this entry was undone: the store knows it from later entries
    /// when it reads this one. Never written as part of the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undone: Option<Undone>,
    /// Where the entry was read from and whether it verifies, as the store found when it read
    /// it. Never written as part of the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_from: Option<Provenance>,
    /// Kept on this machine and not yet in the team journal (which could not be reached), as
    /// the store found when it read it. Never written as part of the entry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_shared: bool,
}

impl Entry {
    /// A new entry with a fresh id, stamped now.
    pub fn new(host: &str, tool: Tool, action: Action, outcome: Outcome) -> Entry {
        Entry::at(new_id(), Utc::now(), host, tool, action, outcome)
    }

    /// A new entry with the id and time given (the console's `update` reads no clock).
    pub fn at(
        id: String,
        time: DateTime<Utc>,
        host: &str,
        tool: Tool,
        action: Action,
        outcome: Outcome,
    ) -> Entry {
        Entry {
            id,
            time,
            host: host.to_string(),
            deployment: None,
            profile: None,
            by: None,
            machine: None,
            tool,
            action,
            changes: Vec::new(),
            detail: None,
            steps: Vec::new(),
            outcome,
            undoes: None,
            skipped: Vec::new(),
            undone: None,
            read_from: None,
            not_shared: false,
        }
    }

    /// Whether the entry wrote to this user (by id, or by username without regard to case).
    pub fn concerns(&self, user: &UserKey) -> bool {
        self.changes
            .iter()
            .any(|change| user.names(change.user_id, change.username.as_deref()))
    }

    /// What this entry, an undo, tells about the entry it undid (its id, and how it was
    /// undone): `None` when it is no undo or none of its writes went through.
    pub fn undid(&self) -> Option<(&str, Undone)> {
        let target = self.undoes.as_deref()?;
        let undone = Undone::by_undo(
            &self.id,
            self.time,
            self.by.as_deref(),
            &self.outcome,
            self.changes.iter().map(|change| change.outcome.as_ref()),
            !self.skipped.is_empty(),
        )?;
        Some((target, undone))
    }

    /// Marks the entries `undo` undid as undone (the console's own, once its undo is done).
    pub fn mark_undone_by(entries: &mut [Entry], undo: &Entry) {
        let Some((target, undone)) = undo.undid() else {
            return;
        };
        for entry in entries.iter_mut().filter(|entry| entry.id == target) {
            entry.undone = Some(match &entry.undone {
                Some(earlier) => undone.clone().and_earlier(earlier),
                None => undone.clone(),
            });
        }
    }
}

impl<Changes> Entry<Changes> {
    /// `admin@laptop`, `admin`, `@laptop`: who made the write and from where, as far as known.
    pub fn made_by(&self) -> String {
        match (&self.by, &self.machine) {
            (Some(by), Some(machine)) => format!("{by}@{machine}"),
            (Some(by), None) => by.clone(),
            (None, Some(machine)) => format!("@{machine}"),
            (None, None) => String::new(),
        }
    }

    /// Records where the write went: the deployment, and the address it had then.
    pub fn place(&mut self, deployment: &Deployment, host: &str) {
        self.deployment = Some(deployment.clone());
        self.host = host.to_string();
    }

    /// Whether the write went to `deployment` (older entries by their address, see
    /// [`recorded_on`]).
    pub fn is_on(&self, deployment: &Deployment) -> bool {
        recorded_on(self.deployment.as_ref(), &self.host, self.tool, deployment)
    }

    /// The deployment to show: the recorded one, or for an older entry its address.
    pub fn deployment_label(&self) -> String {
        match &self.deployment {
            Some(deployment) => deployment.label(),
            None => Deployment::server(&self.host).label(),
        }
    }
}

/// A user as people name one on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserKey {
    Id(i64),
    Username(String),
}

impl UserKey {
    pub fn parse(text: &str) -> UserKey {
        match text.trim().parse::<i64>() {
            Ok(id) => UserKey::Id(id),
            Err(_) => UserKey::Username(text.trim().to_string()),
        }
    }

    /// Whether a change to the user with this id and username is about this user.
    pub fn names(&self, user_id: Option<i64>, username: Option<&str>) -> bool {
        match self {
            UserKey::Id(id) => user_id == Some(*id),
            UserKey::Username(name) => {
                username.is_some_and(|username| username.eq_ignore_ascii_case(name))
            }
        }
    }
}

/// Ten lowercase letters and digits: 36^10 ids, so a journal of millions of entries does not
/// repeat one, and short enough to type.
fn new_id() -> String {
    random_text(b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
}

/// `length` characters drawn from `alphabet` (ASCII).
pub fn random_text(alphabet: &[u8], length: usize) -> String {
    // Without the OS's randomness the clock and the process id still keep texts apart.
    let mut rng = rand::rngs::StdRng::try_from_os_rng().unwrap_or_else(|_| {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        rand::rngs::StdRng::seed_from_u64(nanos as u64 ^ u64::from(std::process::id()))
    });
    (0..length)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}
