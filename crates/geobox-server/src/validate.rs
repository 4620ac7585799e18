//! Checking request bodies field by field, FastAPI-style: every problem of a body is
//! reported at once.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::error::{FieldIssue, ServerError, ServerResult};
use geobox_api::rules::{
    self, MAX_EMAIL_CHARS, MAX_MOBILE_CHARS, MAX_NAME_CHARS, MAX_USERNAME_CHARS,
};
use geobox_api::{Secret, UserRole, UserStatus, deobfuscate_password};

pub use geobox_api::rules::{MIN_PASSWORD_CHARS, iso_date};

pub fn quoted_choices(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|choice| format!("'{choice}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Collects every field problem of a body, FastAPI-style, instead of stopping at the first.
#[derive(Default)]
struct Issues(Vec<FieldIssue>);

impl Issues {
    fn add(&mut self, field: &str, msg: impl Into<String>, kind: &'static str) {
        self.0.push(FieldIssue {
            loc: vec!["body".into(), field.into()],
            msg: msg.into(),
            kind,
        });
    }

    fn problem(&mut self, field: &str, problem: &rules::Problem) {
        self.add(field, problem.to_string(), problem.kind());
    }

    fn finish(self) -> ServerResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServerError::Validation(self.0))
        }
    }

    /// A string field, trimmed: `None` when absent (or invalid, noted), `Some(None)` when null
    /// or blank, `Some(Some(text))` otherwise.
    fn string(
        &mut self,
        body: &Map<String, Value>,
        field: &str,
        max_chars: usize,
    ) -> Option<Option<String>> {
        match body.get(field) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(text)) => {
                let text = text.trim();
                if let Err(problem) = rules::check_text(text, max_chars) {
                    self.problem(field, &problem);
                    return None;
                }
                Some((!text.is_empty()).then(|| text.to_string()))
            }
            Some(_) => {
                self.add(field, "Input should be a valid string", "string_type");
                None
            }
        }
    }
}

/// The latest date stored: four-digit years keep every date ISO and sortable as text.
pub fn latest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

fn enum_value(
    issues: &mut Issues,
    body: &Map<String, Value>,
    field: &str,
    choices: &[&str],
) -> Option<String> {
    match body.get(field) {
        None => None,
        Some(Value::String(text)) if choices.contains(&text.as_str()) => Some(text.clone()),
        Some(_) => {
            issues.add(
                field,
                format!("Input should be {}", quoted_choices(choices)),
                "enum",
            );
            None
        }
    }
}

/// The decoded `new_password` of a change-password form.
pub fn new_password(value: Option<&str>) -> ServerResult<Secret> {
    let mut issues = Issues::default();
    let password = obfuscated_password(&mut issues, "new_password", value);
    issues.finish()?;
    password
        .map(Secret::new)
        .ok_or_else(|| ServerError::Internal("validated password missing".into()))
}

/// The decoded password of a create or change-password request.
fn obfuscated_password(issues: &mut Issues, field: &str, value: Option<&str>) -> Option<String> {
    let Some(encoded) = value else {
        issues.add(field, "Field required", "missing");
        return None;
    };
    let Some(password) = deobfuscate_password(encoded) else {
        issues.add(
            field,
            "password must be obfuscated (XOR 42, UTF-8, base64)",
            "value_error",
        );
        return None;
    };
    if let Err(problem) = rules::check_password(&password) {
        issues.problem(field, &problem);
        return None;
    }
    Some(password)
}

/// Which request a user body belongs to: a create requires what an update may leave out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writing {
    Create,
    Update,
}

/// The user fields of a create or update body, each checked once. `None`: not given;
/// `Some(None)`: given as null or blank (cleared, on an update).
#[derive(Debug, Default)]
pub struct UserFields {
    pub username: Option<String>,
    pub email: Option<String>,
    /// Create only, decoded.
    pub password: Option<Secret>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub mobile: Option<Option<String>>,
    pub role: Option<UserRole>,
    pub status: Option<UserStatus>,
    /// Update only (a new user has no plan).
    pub plan_id: Option<Option<i64>>,
    /// Update only, `YYYY-MM-DD`.
    pub expiration_date: Option<Option<String>>,
}

impl UserFields {
    /// Every problem of the body at once (a 422), in the order the fields are read.
    pub fn parse(body: &Map<String, Value>, writing: Writing) -> ServerResult<UserFields> {
        let mut issues = Issues::default();
        let mut fields = UserFields {
            username: username(&mut issues, body, writing),
            email: email(&mut issues, body, writing),
            ..UserFields::default()
        };
        match writing {
            Writing::Create => {
                fields.password = obfuscated_password(
                    &mut issues,
                    "password",
                    body.get("password").and_then(Value::as_str),
                )
                .map(Secret::new);
                fields.read_role_and_status(&mut issues, body);
                fields.read_names_and_mobile(&mut issues, body);
            }
            Writing::Update => {
                fields.read_names_and_mobile(&mut issues, body);
                fields.read_role_and_status(&mut issues, body);
                fields.plan_id = plan_id(&mut issues, body);
                fields.expiration_date = expiration_date(&mut issues, body);
            }
        }
        issues.finish()?;
        Ok(fields)
    }

    /// Whether these fields need a manager even on the caller's own account.
    pub fn are_privileged(&self) -> bool {
        self.role.is_some()
            || self.status.is_some()
            || self.plan_id.is_some()
            || self.expiration_date.is_some()
    }

    fn read_role_and_status(&mut self, issues: &mut Issues, body: &Map<String, Value>) {
        self.role =
            enum_value(issues, body, "role", UserRole::WIRE).map(|role| UserRole::from_wire(&role));
        self.status = enum_value(issues, body, "status", UserStatus::WIRE)
            .map(|status| UserStatus::from_wire(&status));
    }

    fn read_names_and_mobile(&mut self, issues: &mut Issues, body: &Map<String, Value>) {
        self.first_name = issues.string(body, "first_name", MAX_NAME_CHARS);
        self.last_name = issues.string(body, "last_name", MAX_NAME_CHARS);
        self.mobile = match issues.string(body, "mobile", MAX_MOBILE_CHARS) {
            Some(Some(number)) => match rules::check_mobile(&number) {
                Ok(()) => Some(Some(number)),
                Err(problem) => {
                    issues.problem("mobile", &problem);
                    None
                }
            },
            mobile => mobile,
        };
    }
}

/// Required on a create; on an update it may be left out but not emptied.
fn username(issues: &mut Issues, body: &Map<String, Value>, writing: Writing) -> Option<String> {
    match (issues.string(body, "username", MAX_USERNAME_CHARS), writing) {
        (Some(Some(username)), _) => match rules::check_username(&username) {
            Ok(()) => Some(username),
            Err(problem) => {
                issues.problem("username", &problem);
                None
            }
        },
        (Some(None), Writing::Update) => {
            issues.add("username", "username cannot be empty", "value_error");
            None
        }
        (_, Writing::Create) => {
            issues.add("username", "Field required", "missing");
            None
        }
        (None, Writing::Update) => None,
    }
}

/// Required on a create; on an update it may be left out but not emptied.
fn email(issues: &mut Issues, body: &Map<String, Value>, writing: Writing) -> Option<String> {
    match (issues.string(body, "email", MAX_EMAIL_CHARS), writing) {
        (Some(Some(email)), _) if rules::check_email(&email).is_ok() => Some(email),
        (Some(Some(_)), _) | (Some(None), Writing::Update) => {
            issues.problem("email", &rules::Problem::Email);
            None
        }
        (_, Writing::Create) => {
            issues.add("email", "Field required", "missing");
            None
        }
        (None, Writing::Update) => None,
    }
}

fn plan_id(issues: &mut Issues, body: &Map<String, Value>) -> Option<Option<i64>> {
    match body.get("plan_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => match value.as_i64() {
            Some(plan_id) => Some(Some(plan_id)),
            None => {
                issues.add("plan_id", "Input should be a valid integer", "int_type");
                None
            }
        },
    }
}

fn expiration_date(issues: &mut Issues, body: &Map<String, Value>) -> Option<Option<String>> {
    match body.get("expiration_date")? {
        Value::Null => Some(None),
        Value::String(date) if date.trim().is_empty() => Some(None),
        Value::String(date) => match rules::check_date(date.trim()) {
            Ok(date) => Some(Some(date)),
            Err(problem) => {
                issues.problem("expiration_date", &problem);
                None
            }
        },
        _ => {
            issues.add(
                "expiration_date",
                "Input should be a valid date (YYYY-MM-DD)",
                "date_type",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_as_a_sentence() {
        assert_eq!(quoted_choices(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }

    fn body(json: Value) -> Map<String, Value> {
        match json {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn problems(json: Value, writing: Writing) -> Vec<(String, String)> {
        match UserFields::parse(&body(json), writing) {
            Err(ServerError::Validation(issues)) => issues
                .into_iter()
                .map(|issue| (issue.loc.join("."), issue.msg))
                .collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_create_requires_what_an_update_may_leave_out() {
        let empty = problems(serde_json::json!({}), Writing::Create);
        let fields: Vec<&str> = empty.iter().map(|(loc, _)| loc.as_str()).collect();
        assert_eq!(fields, ["body.username", "body.email", "body.password"]);
        let update = UserFields::parse(&body(serde_json::json!({})), Writing::Update)
            .expect("an empty update is valid");
        assert!(update.username.is_none() && !update.are_privileged());
    }

    #[test]
    fn an_update_may_clear_names_but_not_the_username_or_email() {
        let cleared = problems(
            serde_json::json!({"username": " ", "email": null, "first_name": null}),
            Writing::Update,
        );
        assert_eq!(
            cleared,
            [
                ("body.username".into(), "username cannot be empty".into()),
                (
                    "body.email".into(),
                    "value is not a valid email address".into()
                ),
            ]
        );
        let fields = UserFields::parse(
            &body(serde_json::json!({"first_name": "", "status": "Disabled"})),
            Writing::Update,
        )
        .expect("valid");
        assert_eq!(fields.first_name, Some(None));
        assert_eq!(fields.status, Some(UserStatus::Disabled));
        assert!(fields.are_privileged());
    }

    #[test]
    fn each_writing_reports_its_fields_in_its_own_order() {
        let bad = serde_json::json!({
            "username": "ali", "email": "a@b.ir", "password": "x",
            "role": "King", "mobile": "12", "plan_id": "x"
        });
        let order = |writing| -> Vec<String> {
            problems(bad.clone(), writing)
                .into_iter()
                .map(|(loc, _)| loc)
                .collect()
        };
        assert_eq!(
            order(Writing::Create),
            ["body.password", "body.role", "body.mobile"]
        );
        assert_eq!(
            order(Writing::Update),
            ["body.mobile", "body.role", "body.plan_id"]
        );
    }
}
