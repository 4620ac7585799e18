//! Checking request bodies field by field, FastAPI-style: every problem of a body is
//! reported at once.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::api::deobfuscate_password;
use crate::server::error::{FieldIssue, ServerError, ServerResult};

/// Shortest password accepted on create and change-password.
pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn quoted_choices(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|choice| format!("'{choice}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Collects every field problem of a body, FastAPI-style, instead of stopping at the first.
#[derive(Default)]
pub struct Issues(Vec<FieldIssue>);

impl Issues {
    pub fn add(&mut self, field: &str, msg: impl Into<String>, kind: &'static str) {
        self.0.push(FieldIssue {
            loc: vec!["body".into(), field.into()],
            msg: msg.into(),
            kind,
        });
    }

    pub fn finish(self) -> ServerResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServerError::Validation(self.0))
        }
    }

    /// A string field, trimmed: `None` when absent (or invalid, noted), `Some(None)` when null
    /// or blank, `Some(Some(text))` otherwise.
    pub fn string(
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
                if text.chars().any(char::is_control) {
                    // Escape sequences in a name would reach every admin's terminal.
                    self.add(
                        field,
                        "String should not contain control characters",
                        "string_pattern_mismatch",
                    );
                    return None;
                }
                if text.chars().count() > max_chars {
                    self.add(
                        field,
                        format!("String should have at most {max_chars} characters"),
                        "string_too_long",
                    );
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

pub fn valid_username(username: &str) -> Result<(), String> {
    let length = username.chars().count();
    if !(3..=50).contains(&length) {
        return Err("username must be 3 to 50 characters".into());
    }
    if !username
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err("username must start with a letter or digit".into());
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("username may contain only letters, digits, '.', '_' and '-'".into());
    }
    Ok(())
}

pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

pub fn valid_mobile(mobile: &str) -> bool {
    let rest = mobile.strip_prefix('+').unwrap_or(mobile);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    rest.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'))
        && (7..=15).contains(&digits)
}

/// `YYYY-MM-DD`, or a timestamp whose date part is kept.
pub fn parse_date(text: &str) -> Option<String> {
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    let valid = text.len() == 10
        || chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").is_ok();
    valid.then(|| date.format("%Y-%m-%d").to_string())
}

pub fn enum_value(
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

/// The decoded password of a create or change-password request.
pub fn obfuscated_password(
    issues: &mut Issues,
    field: &str,
    value: Option<&str>,
) -> Option<String> {
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
    if password.chars().count() < MIN_PASSWORD_CHARS {
        issues.add(
            field,
            format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
            "string_too_short",
        );
        return None;
    }
    Some(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(valid_email("a.b@ut.ac.ir"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.ir"));
        assert!(!valid_email("@c.ir"));
        assert!(valid_mobile("+98 9120123456"));
        assert!(valid_mobile("+98 912 012 3456"));
        assert!(!valid_mobile("+98 912abc"));
        assert!(!valid_mobile("12"));
        assert!(valid_username("ali.rezaei_2").is_ok());
        assert!(valid_username("x").is_err());
        assert!(valid_username(".ali").is_err());
        assert!(valid_username("ali rezaei").is_err());
        assert_eq!(parse_date("2026-12-11").as_deref(), Some("2026-12-11"));
        assert_eq!(
            parse_date("2026-12-11T10:00:00Z").as_deref(),
            Some("2026-12-11")
        );
        assert_eq!(parse_date("2026-13-11"), None);
        assert_eq!(parse_date("tomorrow"), None);
        assert_eq!(quoted_choices(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }
}
