//! Users from a CSV file, never half applied: the file is read as people make it
//! ([`read`]), every row checked with the server's own rules ([`check`]), then against the
//! server ([`plan`]: who exists, which plans there are, what the signed-in admin may do).
//! Only a file with no problem at all is written: each row created, updated (only the fields
//! that differ) or skipped when its username exists.

mod against;
mod check;
mod read;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use crate::bulk::{Progress, in_batches};
use crate::journal::{Outcome, UserChange, Values};
use crate::safety::{AdminGrant, SelfHarm, admin_grant};
use geobox_api::{
    ApiError, GeoboxClient, NewUserFields, Patch, Secret, User, UserRole, UserStatus, UserUpdate,
};

pub use against::{Known, PlanError, decide, plan};
pub use read::{
    COLUMNS, EXPORT_ONLY, ReadError, ReadOptions, Sheet, quoted, separator_name,
    without_formula_guard,
};

/// The role of a row that names none.
pub const DEFAULT_ROLE: UserRole = UserRole::Viewer;

/// One checked row. `line` is the file's physical line, for messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub line: u64,
    pub username: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub role: Option<UserRole>,
    pub status: Option<UserStatus>,
    pub plan_id: Option<i64>,
    /// The plan by its name (the `plan` column of our export), for a row without `plan_id`.
    pub plan_name: Option<String>,
    pub expiration_date: Option<String>,
    pub password: Option<Secret>,
}

/// Why a row (or the header) cannot be imported. Values from the file are quoted cleaned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, field: &str, message: impl Into<String>) -> RowError {
        RowError {
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Why a checked row was not written: one row's failure, or (from [`Summary::outcome`]) the
/// import's.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// The server refused the row's write, or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A new user without a password in the file, and none generated.
    #[error("no password for this user")]
    NoPassword,
    /// The user was created, but the plan and expiry that follow as an update were not set.
    #[error("created, but the plan was not set: {0}")]
    PlanNotSet(ApiError),
    /// Some rows failed; `unreachable` of them because the server could not be reached.
    #[error("{failed} {} failed", if *failed == 1 { "row" } else { "rows" })]
    SomeFailed { failed: usize, unreachable: usize },
}

impl ImportError {
    /// Whether the server went away or timed out (rather than refusing a row).
    pub fn is_unreachable(&self) -> bool {
        match self {
            ImportError::Api(error) | ImportError::PlanNotSet(error) => error.is_unreachable(),
            ImportError::NoPassword => false,
            ImportError::SomeFailed { unreachable, .. } => *unreachable > 0,
        }
    }
}

/// A file read and every row checked, before the server is asked anything.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The rows without a problem.
    pub rows: Vec<Row>,
    /// Every problem of the other rows: with any, nothing may be written.
    pub problems: Vec<RowError>,
    /// The separator found on the header line.
    pub separator: u8,
    /// Unknown columns left out (as asked).
    pub ignored: Vec<String>,
}

/// Reads and checks the whole file: the file itself (its encoding, its header) or else every
/// row, each with every problem it has (all of them, not the first). The rows without a
/// problem can still be checked against the server, so that every problem is told at once.
pub fn parse(bytes: &[u8], options: ReadOptions) -> Result<Checked, ReadError> {
    let sheet = read::read(bytes, options)?;
    let (rows, problems) = check::check(&sheet.records);
    Ok(Checked {
        rows,
        problems,
        separator: sheet.separator,
        ignored: sheet.ignored,
    })
}

/// What a row will do.
#[derive(Clone, Debug)]
pub enum Plan {
    Create(Row),
    /// The user exists and `update` holds the fields of the row that differ.
    Update {
        row: Row,
        user: Box<User>,
        update: Box<UserUpdate>,
    },
    /// The user exists (and is not to be updated, or already matches the row).
    Skip {
        row: Row,
        user: Box<User>,
    },
    /// The row is the signed-in admin's own, and its update would shut them out: left alone.
    LeftOut {
        row: Row,
        user: Box<User>,
        harm: SelfHarm,
    },
}

impl Plan {
    pub fn row(&self) -> &Row {
        match self {
            Plan::Create(row)
            | Plan::Update { row, .. }
            | Plan::Skip { row, .. }
            | Plan::LeftOut { row, .. } => row,
        }
    }

    /// Whether the plan sends anything.
    pub fn writes(&self) -> bool {
        matches!(self, Plan::Create(_) | Plan::Update { .. })
    }

    /// The admin rights the plan would give, if any.
    pub fn grant(&self) -> Option<AdminGrant> {
        match self {
            Plan::Create(row) => admin_grant(None, row.role.as_ref().unwrap_or(&DEFAULT_ROLE)),
            Plan::Update { user, update, .. } => update
                .role
                .as_ref()
                .and_then(|role| admin_grant(user.role.as_ref(), role)),
            Plan::Skip { .. } | Plan::LeftOut { .. } => None,
        }
    }
}

/// The admin rights an import gives, one role at a time, with the users who get it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub grant: AdminGrant,
    pub usernames: Vec<String>,
}

impl Grant {
    /// The ⚠ line a confirmation shows.
    pub fn warning(&self) -> String {
        let who = match self.usernames.as_slice() {
            [one] => one.clone(),
            many => format!(
                "{} users ({})",
                many.len(),
                crate::bulk::first_few(many.iter().cloned())
            ),
        };
        self.grant.warning(&who)
    }
}

/// Every admin right the plans give, System Admin first.
pub fn grants(plans: &[Plan]) -> Vec<Grant> {
    let mut grants: Vec<Grant> = Vec::new();
    for plan in plans {
        let Some(grant) = plan.grant() else { continue };
        let username = plan.row().username.clone();
        match grants.iter_mut().find(|known| known.grant == grant) {
            Some(known) => known.usernames.push(username),
            None => grants.push(Grant {
                grant,
                usernames: vec![username],
            }),
        }
    }
    grants.sort_by_key(|grant| grant.grant.role != UserRole::SystemAdmin);
    grants
}

/// The row's fields that the user does not already have (a password is never compared).
pub fn differing_fields(row: &Row, user: &User) -> UserUpdate {
    fn differs(wanted: &Option<String>, have: &Option<String>) -> Option<String> {
        wanted
            .clone()
            .filter(|wanted| have.as_deref() != Some(wanted.as_str()))
    }
    let have_date = user
        .expiration_date
        .as_deref()
        .map(|date| date.get(..10).unwrap_or(date));
    let have_plan = user.plan.as_ref().map(|plan| plan.id);
    UserUpdate {
        email: differs(&Some(row.email.clone()), &user.email),
        first_name: differs(&row.first_name, &user.first_name),
        last_name: differs(&row.last_name, &user.last_name),
        status: row
            .status
            .clone()
            .filter(|status| user.status.as_ref() != Some(status)),
        role: row
            .role
            .clone()
            .filter(|role| user.role.as_ref() != Some(role)),
        mobile: match differs(&row.mobile, &user.mobile) {
            Some(mobile) => Patch::Set(mobile),
            None => Patch::Keep,
        },
        plan_id: match row.plan_id {
            Some(id) if have_plan != Some(id) => Patch::Set(id),
            _ => Patch::Keep,
        },
        expiration_date: match &row.expiration_date {
            Some(date) if have_date != Some(date.as_str()) => Patch::Set(date.clone()),
            _ => Patch::Keep,
        },
        username: None,
    }
}

/// The end of an import.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub skipped: Vec<String>,
    /// Username and why, with the row's line.
    pub failed: Vec<(u64, String, ImportError)>,
    /// Rows a cancel left out.
    pub not_reached: usize,
    pub changes: Vec<UserChange>,
}

impl Summary {
    pub fn line(&self) -> String {
        let mut line = format!(
            "created {}, updated {}, skipped {}, failed {}",
            self.created.len(),
            self.updated.len(),
            self.skipped.len(),
            self.failed.len()
        );
        if self.not_reached > 0 {
            line.push_str(&format!(", stopped before {} rows", self.not_reached));
        }
        line
    }

    /// The journal's overall outcome: ok when every row written went through.
    pub fn outcome(&self) -> Result<(), ImportError> {
        match self.failed.len() {
            0 => Ok(()),
            failed => Err(ImportError::SomeFailed {
                failed,
                unreachable: self
                    .failed
                    .iter()
                    .filter(|(_, _, error)| error.is_unreachable())
                    .count(),
            }),
        }
    }
}

/// Carries out the plans a few at a time; `passwords` holds each new user's password by
/// username (the row's own, or one generated). A cancel stops after the current batch.
pub async fn apply(
    client: &GeoboxClient,
    plans: Vec<Plan>,
    passwords: &HashMap<String, Secret>,
    cancel: &AtomicBool,
    mut on_progress: impl FnMut(Progress),
) -> Summary {
    let mut summary = Summary::default();
    let (writes, skips): (Vec<Plan>, Vec<Plan>) = plans.into_iter().partition(Plan::writes);
    summary.skipped = skips
        .iter()
        .map(|plan| plan.row().username.clone())
        .collect();
    let not_reached = in_batches(
        writes,
        cancel,
        |plan| carry_out(client, plan, passwords),
        |(plan, mut change, result): (Plan, UserChange, Result<(), ImportError>)| {
            let row = plan.row();
            match (&plan, &result) {
                (_, Err(reason)) => {
                    summary
                        .failed
                        .push((row.line, row.username.clone(), reason.clone()));
                }
                (Plan::Create(_), Ok(())) => summary.created.push(row.username.clone()),
                _ => summary.updated.push(row.username.clone()),
            }
            change.outcome = Some(Outcome::of(&result));
            summary.changes.push(change);
        },
        &mut on_progress,
    )
    .await;
    summary.not_reached = not_reached.len();
    summary
}

async fn carry_out(
    client: &GeoboxClient,
    plan: Plan,
    passwords: &HashMap<String, Secret>,
) -> (Plan, UserChange, Result<(), ImportError>) {
    let (change, result) = match &plan {
        Plan::Create(row) => create(client, row, passwords.get(&row.username)).await,
        Plan::Update { row, user, update } => {
            let after = Values::of_update(update);
            let change = UserChange::new(Some(user.id), Some(row.username.clone()))
                .values(after.read_from(user), after);
            let result = client.update_user(user.id, update).await.map(drop);
            (change, result.map_err(ImportError::from))
        }
        Plan::Skip { .. } | Plan::LeftOut { .. } => (UserChange::new(None, None), Ok(())),
    };
    (plan, change, result)
}

async fn create(
    client: &GeoboxClient,
    row: &Row,
    password: Option<&Secret>,
) -> (UserChange, Result<(), ImportError>) {
    let failed = |error: ImportError| {
        (
            UserChange::new(None, Some(row.username.clone())),
            Err(error),
        )
    };
    let Some(password) = password.or(row.password.as_ref()) else {
        return failed(ImportError::NoPassword);
    };
    let fields = NewUserFields {
        username: row.username.clone(),
        email: row.email.clone(),
        password: password.clone(),
        role: row.role.clone().unwrap_or(DEFAULT_ROLE),
        first_name: row.first_name.clone(),
        last_name: row.last_name.clone(),
        mobile: row.mobile.clone(),
        status: row.status.clone(),
    };
    let created = match client.create_user(fields).await {
        Ok(user) => user,
        Err(error) => return failed(error.into()),
    };
    // A plan and an expiry are not fields of a create: they follow as an update.
    let plan = UserUpdate {
        plan_id: row.plan_id.map_or(Patch::Keep, Patch::Set),
        expiration_date: row.expiration_date.clone().map_or(Patch::Keep, Patch::Set),
        ..UserUpdate::default()
    };
    let (user, result) = if plan.is_empty() {
        (created, Ok(()))
    } else {
        match client.update_user(created.id, &plan).await {
            Ok(user) => (user, Ok(())),
            Err(error) => (created, Err(ImportError::PlanNotSet(error))),
        }
    };
    let change = UserChange::new(Some(user.id), Some(user.username.clone()))
        .values(Values::default(), Values::of_user(&user));
    (change, result)
}

#[cfg(test)]
#[path = "import/tests.rs"]
mod tests;
