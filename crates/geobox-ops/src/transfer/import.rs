//! Users from a CSV file: every row checked before anything is sent, then each row created,
//! updated (only the fields that differ) or skipped when its username exists.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::AtomicBool;

use futures_util::StreamExt;

use crate::bulk::{CONCURRENCY, Progress, in_batches};
use crate::journal::{Outcome, UserChange, Values};
use geobox_api::{
    ApiError, GeoboxClient, NewUserFields, ParseError, Patch, Secret, User, UserQuery, UserRole,
    UserStatus, UserUpdate, cql_escape,
};

/// The columns a file may have, in the order the docs list them.
pub const COLUMNS: [&str; 10] = [
    "username",
    "email",
    "first_name",
    "last_name",
    "mobile",
    "role",
    "status",
    "plan_id",
    "expiration_date",
    "password",
];

/// The role of a row that names none.
pub const DEFAULT_ROLE: UserRole = UserRole::Viewer;
/// Shortest password a row may carry (the server's rule, checked before sending).
const MIN_PASSWORD_CHARS: usize = 8;

/// One checked row. `line` is the file's line number, for messages.
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
    pub expiration_date: Option<String>,
    pub password: Option<Secret>,
}

/// Why a row (or the header, line 1) cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub message: String,
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
    #[error("{failed} rows failed")]
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

/// Reads and checks the whole file: every row, or every error (all of them, not the first).
pub fn parse(input: impl Read) -> Result<Vec<Row>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(input);
    let header_error = |field: &str, message: String| RowError {
        line: 1,
        field: field.to_string(),
        message,
    };
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(|h| h.to_lowercase()).collect(),
        Err(error) => return Err(vec![header_error("header", error.to_string())]),
    };
    let mut errors = Vec::new();
    for header in &headers {
        if !COLUMNS.contains(&header.as_str()) {
            errors.push(header_error(
                header,
                format!("unknown column (known: {})", COLUMNS.join(", ")),
            ));
        }
    }
    for required in ["username", "email"] {
        if !headers.iter().any(|header| header == required) {
            errors.push(header_error(
                required,
                "required column missing".to_string(),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                errors.push(RowError {
                    line,
                    field: "row".to_string(),
                    message: error.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let cells: HashMap<&str, &str> = headers
            .iter()
            .map(String::as_str)
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .collect();
        let mut row_errors = Vec::new();
        let row = check_row(line, &cells, &mut row_errors);
        if let Some(row) = &row {
            let key = row.username.to_lowercase();
            if let Some(first) = first_line_of.get(&key) {
                row_errors.push(RowError {
                    line,
                    field: "username".to_string(),
                    message: format!("'{}' is already on line {first}", row.username),
                });
            } else {
                first_line_of.insert(key, line);
            }
        }
        match row {
            Some(row) if row_errors.is_empty() => rows.push(row),
            _ => errors.extend(row_errors),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn check_row(line: u64, cells: &HashMap<&str, &str>, errors: &mut Vec<RowError>) -> Option<Row> {
    let mut fail = |field: &str, message: String| {
        errors.push(RowError {
            line,
            field: field.to_string(),
            message,
        });
    };
    let text = |field: &str| cells.get(field).map(|cell| cell.to_string());
    let username = text("username").unwrap_or_default();
    if let Some(problem) = username_problem(&username) {
        fail("username", problem);
    }
    let email = text("email").unwrap_or_default();
    if !plausible_email(&email) {
        fail("email", format!("'{email}' is not an email address"));
    }
    let mobile = text("mobile");
    if let Some(mobile) = &mobile {
        let digits = mobile.chars().filter(char::is_ascii_digit).count();
        let shape = mobile.trim_start_matches('+').chars();
        if !shape
            .clone()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'))
            || !(7..=15).contains(&digits)
        {
            fail("mobile", format!("'{mobile}' is not a phone number"));
        }
    }
    let role = parsed(text("role"), "role", &mut fail);
    let status = parsed(text("status"), "status", &mut fail);
    let plan_id = match text("plan_id") {
        None => None,
        Some(cell) => match cell.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                fail(
                    "plan_id",
                    format!("'{cell}' is not a plan id (a positive number)"),
                );
                None
            }
        },
    };
    let expiration_date = match text("expiration_date") {
        None => None,
        Some(cell) => match chrono::NaiveDate::parse_from_str(&cell, "%Y-%m-%d") {
            Ok(date) => Some(date.format("%Y-%m-%d").to_string()),
            Err(_) => {
                fail(
                    "expiration_date",
                    format!("'{cell}' is not a date (YYYY-MM-DD)"),
                );
                None
            }
        },
    };
    let password = text("password");
    if password
        .as_ref()
        .is_some_and(|password| password.chars().count() < MIN_PASSWORD_CHARS)
    {
        fail(
            "password",
            format!("shorter than {MIN_PASSWORD_CHARS} characters"),
        );
    }
    Some(Row {
        line,
        username,
        email,
        first_name: text("first_name"),
        last_name: text("last_name"),
        mobile,
        role,
        status,
        plan_id,
        expiration_date,
        password: password.map(Secret::from),
    })
}

fn parsed<T: std::str::FromStr<Err = ParseError>>(
    cell: Option<String>,
    field: &str,
    fail: &mut impl FnMut(&str, String),
) -> Option<T> {
    let cell = cell?;
    match cell.parse() {
        Ok(value) => Some(value),
        Err(error) => {
            fail(field, error.to_string());
            None
        }
    }
}

/// What is wrong with a username, if anything (the server's rule, checked before sending).
fn username_problem(username: &str) -> Option<String> {
    if username.is_empty() {
        return Some("required".to_string());
    }
    let length = username.chars().count();
    let allowed = username
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let starts_well = username.chars().next().is_some_and(char::is_alphanumeric);
    let fits = (3..=50).contains(&length) && allowed && starts_well;
    (!fits).then(|| {
        format!(
            "'{username}' must be 3 to 50 letters, digits, '.', '_' or '-', starting with a \
             letter or digit"
        )
    })
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !email.chars().any(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
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
}

impl Plan {
    pub fn row(&self) -> &Row {
        match self {
            Plan::Create(row) | Plan::Update { row, .. } | Plan::Skip { row, .. } => row,
        }
    }
}

/// Looks every username up (a few at a time) and decides what each row does.
pub async fn plan(
    client: &GeoboxClient,
    rows: Vec<Row>,
    update_existing: bool,
) -> Result<Vec<Plan>, ApiError> {
    let lookups = futures_util::stream::iter(rows)
        .map(|row| async move {
            let existing = find_by_username(client, &row.username).await?;
            Ok::<Plan, ApiError>(match existing {
                None => Plan::Create(row),
                Some(user) => {
                    let update = differing_fields(&row, &user);
                    let user = Box::new(user);
                    if update_existing && !update.is_empty() {
                        let update = Box::new(update);
                        Plan::Update { row, user, update }
                    } else {
                        Plan::Skip { row, user }
                    }
                }
            })
        })
        .buffered(CONCURRENCY);
    lookups.collect::<Vec<_>>().await.into_iter().collect()
}

async fn find_by_username(client: &GeoboxClient, username: &str) -> Result<Option<User>, ApiError> {
    let query = UserQuery::new()
        .q(format!("username = '{}'", cql_escape(username)))
        .limit(2);
    let users = client.list_users(&query).await?;
    Ok(users
        .into_iter()
        .find(|user| user.username.eq_ignore_ascii_case(username)))
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
    let (skips, writes): (Vec<Plan>, Vec<Plan>) = plans
        .into_iter()
        .partition(|plan| matches!(plan, Plan::Skip { .. }));
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
        Plan::Skip { .. } => (UserChange::new(None, None), Ok(())),
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
mod tests {
    use super::*;

    fn errors_of(text: &str) -> Vec<String> {
        match parse(text.as_bytes()) {
            Ok(rows) => panic!("parsed {} rows", rows.len()),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_good_file_gives_every_row() {
        let rows = parse(
            "username,email,role,plan_id,expiration_date,password\n\
             neda,neda@example.ir,editor,2,2027-01-31,longenough\n\
             omid,omid@example.ir,,,,\n"
                .as_bytes(),
        )
        .expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].role, Some(UserRole::Editor));
        assert_eq!(rows[0].plan_id, Some(2));
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].password, None);
    }

    #[test]
    fn every_bad_line_is_named_with_its_field() {
        let errors = errors_of(
            "username,email,role,status,expiration_date\n\
             neda,neda@example.ir,,,\n\
             x,not-an-email,boss,,\n\
             omid,omid@example.ir,,Sleeping,2027-02-30\n\
             NEDA,other@example.ir,,,\n",
        );
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors[0].starts_with("line 3: username:"), "{errors:#?}");
        assert!(errors[1].starts_with("line 3: email:"));
        assert!(errors[2].starts_with("line 3: role: unknown role 'boss'"));
        assert!(errors[3].starts_with("line 4: status:"));
        assert!(errors[4].starts_with("line 4: expiration_date:"));
        assert_eq!(errors[5], "line 5: username: 'NEDA' is already on line 2");
    }

    #[test]
    fn the_header_must_name_known_columns_and_the_required_ones() {
        let errors = errors_of("user,email,shoe_size\nneda,neda@example.ir,42\n");
        assert_eq!(
            errors,
            [
                "line 1: user: unknown column (known: username, email, first_name, last_name, \
                 mobile, role, status, plan_id, expiration_date, password)",
                "line 1: shoe_size: unknown column (known: username, email, first_name, \
                 last_name, mobile, role, status, plan_id, expiration_date, password)",
                "line 1: username: required column missing",
            ]
        );
    }

    #[test]
    fn only_differing_fields_are_updated() {
        let user: User = serde_json::from_value(serde_json::json!({
            "id": 7, "username": "neda", "email": "neda@example.ir", "first_name": "Neda",
            "role": "Editor", "status": "Active", "expiration_date": "2027-01-31T00:00:00"
        }))
        .expect("a user");
        let rows = parse(
            "username,email,first_name,role,status,expiration_date\n\
             neda,neda@example.ir,Neda,Viewer,Active,2027-01-31\n"
                .as_bytes(),
        )
        .expect("valid");
        let update = differing_fields(&rows[0], &user);
        assert_eq!(
            update,
            UserUpdate {
                role: Some(UserRole::Viewer),
                ..UserUpdate::default()
            }
        );
    }

    #[test]
    fn an_import_tells_rows_the_server_did_not_answer_from_rows_it_refused() {
        let gone = ApiError::Timeout {
            after: std::time::Duration::from_secs(15),
        };
        let refused = ApiError::from_response(422, br#"{"detail":"username taken"}"#);
        assert!(ImportError::from(gone.clone()).is_unreachable());
        assert!(ImportError::PlanNotSet(gone.clone()).is_unreachable());
        assert!(!ImportError::from(refused.clone()).is_unreachable());
        assert!(!ImportError::NoPassword.is_unreachable());

        let mut summary = Summary::default();
        assert_eq!(summary.outcome(), Ok(()));
        summary
            .failed
            .push((2, "neda".to_string(), ImportError::from(refused)));
        let refused_only = summary.outcome().expect_err("a row failed");
        assert_eq!(refused_only.to_string(), "1 rows failed");
        assert!(!refused_only.is_unreachable());
        summary
            .failed
            .push((3, "omid".to_string(), ImportError::PlanNotSet(gone)));
        assert!(summary.outcome().expect_err("rows failed").is_unreachable());
        assert_eq!(
            summary.failed[1].2.to_string(),
            "created, but the plan was not set: no answer within 15s"
        );
    }
}
