//! Every row of a file checked field by field with the rules the server applies
//! (`geobox_api::rules`, in the order the server reads the fields), and against the other
//! rows: a username or email given twice. What needs the server (who exists, which plans)
//! is `against.rs`.

use std::collections::HashMap;
use std::str::FromStr;

use super::read::{Record, quoted};
use super::{Row, RowError};
use crate::clean::clean;
use geobox_api::rules::{
    self, MAX_EMAIL_CHARS, MAX_MOBILE_CHARS, MAX_NAME_CHARS, MAX_USERNAME_CHARS, Problem,
};
use geobox_api::{ParseError, Secret};

/// The rows without a problem, and every problem of the others (all of them, not the first).
pub fn check(records: &[Record]) -> (Vec<Row>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    // Both are unique on the server whatever their ASCII case, as the server compares them.
    let mut usernames: HashMap<String, u64> = HashMap::new();
    let mut emails: HashMap<String, u64> = HashMap::new();
    for record in records {
        let mut fields = Fields {
            record,
            errors: Vec::new(),
        };
        let row = fields.row();
        let Fields {
            errors: mut row_errors,
            ..
        } = fields;
        for (field, value, seen) in [
            ("username", row.username.as_str(), &mut usernames),
            ("email", row.email.as_str(), &mut emails),
        ] {
            if value.is_empty() {
                continue;
            }
            match seen.get(&value.to_ascii_lowercase()) {
                Some(first) => row_errors.push(RowError::new(
                    record.line,
                    field,
                    format!("{} is already on line {first}", quoted(value)),
                )),
                None => {
                    seen.insert(value.to_ascii_lowercase(), record.line);
                }
            }
        }
        if row_errors.is_empty() {
            rows.push(row);
        } else {
            errors.extend(row_errors);
        }
    }
    (rows, errors)
}

/// One record's fields as they are checked; a field with a problem is left empty in the row.
struct Fields<'a> {
    record: &'a Record,
    errors: Vec<RowError>,
}

impl Fields<'_> {
    fn row(&mut self) -> Row {
        let username = self.required("username", |text| {
            rules::check_text(text, MAX_USERNAME_CHARS)?;
            rules::check_username(text)
        });
        let email = self.required("email", |text| {
            rules::check_text(text, MAX_EMAIL_CHARS)?;
            rules::check_email(text)
        });
        let password = self.record.get("password").and_then(|password| {
            // Never quoted: a message must not show a password.
            match rules::check_password(password) {
                Ok(()) => Some(Secret::from(password)),
                Err(problem) => {
                    self.fail("password", problem.to_string());
                    None
                }
            }
        });
        let first_name = self.text("first_name", |text| rules::check_text(text, MAX_NAME_CHARS));
        let last_name = self.text("last_name", |text| rules::check_text(text, MAX_NAME_CHARS));
        let mobile = self.text("mobile", |text| {
            rules::check_text(text, MAX_MOBILE_CHARS)?;
            rules::check_mobile(text)
        });
        let role = self.parsed("role");
        let status = self.parsed("status");
        let plan_id = self
            .record
            .get("plan_id")
            .and_then(|cell| match cell.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    self.fail(
                        "plan_id",
                        format!("{} is not a plan id (a positive number)", quoted(cell)),
                    );
                    None
                }
            });
        let plan_name = self.record.get("plan").map(str::to_string);
        let expiration_date =
            self.record
                .get("expiration_date")
                .and_then(|cell| match rules::check_date(cell) {
                    Ok(date) => Some(date),
                    Err(problem) => {
                        self.fail("expiration_date", format!("{}: {problem}", quoted(cell)));
                        None
                    }
                });
        Row {
            line: self.record.line,
            username: username.unwrap_or_default(),
            email: email.unwrap_or_default(),
            first_name,
            last_name,
            mobile,
            role,
            status,
            plan_id,
            plan_name,
            expiration_date,
            password,
        }
    }

    fn fail(&mut self, field: &str, message: String) {
        self.errors
            .push(RowError::new(self.record.line, field, message));
    }

    /// A field every row must have.
    fn required(
        &mut self,
        field: &str,
        check: impl Fn(&str) -> Result<(), Problem>,
    ) -> Option<String> {
        if self.record.get(field).is_none() {
            self.fail(field, "required".to_string());
            return None;
        }
        self.text(field, check)
    }

    /// A text field, when the row has it and it keeps the rules.
    fn text(&mut self, field: &str, check: impl Fn(&str) -> Result<(), Problem>) -> Option<String> {
        let cell = self.record.get(field)?;
        match check(cell) {
            Ok(()) => Some(cell.to_string()),
            Err(problem) => {
                let message = format!("{}: {problem}", quoted(cell));
                self.fail(field, message);
                None
            }
        }
    }

    /// A role or status, in any case, with spaces or dashes.
    fn parsed<T: FromStr<Err = ParseError>>(&mut self, field: &str) -> Option<T> {
        let cell = self.record.get(field)?;
        match cell.parse() {
            Ok(value) => Some(value),
            Err(error) => {
                let message = match error {
                    ParseError::Unknown { what, expected, .. } => format!(
                        "unknown {what} {}: expected one of {}",
                        quoted(cell),
                        expected.join(", ")
                    ),
                    other => clean(&other.to_string()).into_string(),
                };
                self.fail(field, message);
                None
            }
        }
    }
}
