//! The rules a user's fields must keep, field by field: what the embedded server answers a 422
//! for, and what `users import` checks before it writes anything. One set of rules, so that a
//! dry run accepts exactly what the server will.

use std::fmt;

use chrono::NaiveDate;

/// Shortest password accepted on create and change-password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest username.
pub const MAX_USERNAME_CHARS: usize = 50;
/// Shortest username.
pub const MIN_USERNAME_CHARS: usize = 3;
/// Longest email address (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest first or last name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest mobile number as typed (spaces and dashes included).
pub const MAX_MOBILE_CHARS: usize = 32;

/// What is wrong with one field's value. Its text is the server's 422 message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    ControlCharacters,
    TooLong {
        max_chars: usize,
    },
    UsernameLength,
    /// A character outside English letters, digits, `.`, `_` and `-` (its code point).
    UsernameCharacter(char),
    UsernameStart,
    Email,
    Mobile,
    PasswordTooShort,
    Date,
}

impl Problem {
    /// The FastAPI error type the server reports with the message.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::ControlCharacters => "string_pattern_mismatch",
            Problem::TooLong { .. } => "string_too_long",
            Problem::PasswordTooShort => "string_too_short",
            Problem::Date => "date_from_datetime_parsing",
            Problem::UsernameLength
            | Problem::UsernameCharacter(_)
            | Problem::UsernameStart
            | Problem::Email
            | Problem::Mobile => "value_error",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ControlCharacters => {
                f.write_str("String should not contain control characters")
            }
            Problem::TooLong { max_chars } => {
                write!(f, "String should have at most {max_chars} characters")
            }
            Problem::UsernameLength => write!(
                f,
                "username must be {MIN_USERNAME_CHARS} to {MAX_USERNAME_CHARS} characters"
            ),
            Problem::UsernameCharacter(c) => write!(
                f,
                "username may contain only English letters (a-z, A-Z), digits, '.', '_' and '-' \
                 (it has U+{:04X})",
                u32::from(*c)
            ),
            Problem::UsernameStart => f.write_str("username must start with a letter or digit"),
            Problem::Email => f.write_str("value is not a valid email address"),
            Problem::Mobile => {
                f.write_str("value is not a valid mobile number (e.g. +98 9120123456)")
            }
            Problem::PasswordTooShort => write!(
                f,
                "password must have at least {MIN_PASSWORD_CHARS} characters"
            ),
            Problem::Date => f.write_str("Input should be a valid date (YYYY-MM-DD)"),
        }
    }
}

impl std::error::Error for Problem {}

/// A text field's value (already trimmed): no control characters (escape sequences in a name
/// would reach every admin's terminal), and at most `max_chars` characters.
pub fn check_text(text: &str, max_chars: usize) -> Result<(), Problem> {
    if text.chars().any(char::is_control) {
        return Err(Problem::ControlCharacters);
    }
    if text.chars().count() > max_chars {
        return Err(Problem::TooLong { max_chars });
    }
    Ok(())
}

/// 3 to 50 English letters, digits, `.`, `_` and `-`, starting with a letter or digit.
pub fn check_username(username: &str) -> Result<(), Problem> {
    let length = username.chars().count();
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&length) {
        return Err(Problem::UsernameLength);
    }
    if let Some(other) = username
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(Problem::UsernameCharacter(other));
    }
    if !username
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Err(Problem::UsernameStart);
    }
    Ok(())
}

/// One `@`, something before it, a dotted domain after it, no white space, at most 254
/// characters.
pub fn check_email(email: &str) -> Result<(), Problem> {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(Problem::Email);
    };
    let valid = !local.is_empty()
        && email.len() <= MAX_EMAIL_CHARS
        && !email.chars().any(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if valid { Ok(()) } else { Err(Problem::Email) }
}

/// An optional `+`, then 7 to 15 digits with spaces or dashes between them.
pub fn check_mobile(mobile: &str) -> Result<(), Problem> {
    let rest = mobile.strip_prefix('+').unwrap_or(mobile);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    let valid = rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'))
        && (7..=15).contains(&digits);
    if valid { Ok(()) } else { Err(Problem::Mobile) }
}

/// At least [`MIN_PASSWORD_CHARS`] characters.
pub fn check_password(password: &str) -> Result<(), Problem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(Problem::PasswordTooShort)
    } else {
        Ok(())
    }
}

/// The date of `YYYY-MM-DD` or of an ISO timestamp (`YYYY-MM-DDTHH:MM[:SS[.fff]]`, a space
/// for the `T`, an offset or `Z`), when it names a real day of the years 0000 to 9999: what
/// is stored, and what a filter compares with, stays text that sorts as dates do.
pub fn iso_date(text: &str) -> Option<NaiveDate> {
    let day = text.get(..10)?;
    if !day.bytes().take(4).all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let valid = text.len() == 10
        || chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .any(|format| chrono::NaiveDateTime::parse_from_str(text, format).is_ok());
    valid.then_some(date)
}

/// An expiration date as it is stored: `YYYY-MM-DD` of a date or timestamp [`iso_date`] takes.
pub fn check_date(text: &str) -> Result<String, Problem> {
    iso_date(text)
        .map(|date| date.format("%Y-%m-%d").to_string())
        .ok_or(Problem::Date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("a.b@ut.ac.ir").is_ok());
        for bad in [
            "a@b", "a b@c.ir", "@c.ir", "a@.ir", "a@b.", "a@b..ir", "a@b@c.ir",
        ] {
            assert_eq!(check_email(bad), Err(Problem::Email), "{bad}");
        }
        let long = format!("{}@example.ir", "a".repeat(250));
        assert_eq!(check_email(&long), Err(Problem::Email));
    }

    #[test]
    fn mobiles() {
        assert!(check_mobile("+98 9120123456").is_ok());
        assert!(check_mobile("+98 912 012 3456").is_ok());
        assert!(check_mobile("0912-012-3456").is_ok());
        assert_eq!(check_mobile("+98 912abc"), Err(Problem::Mobile));
        assert_eq!(check_mobile("12"), Err(Problem::Mobile));
        assert_eq!(check_mobile("'+98 9120123456"), Err(Problem::Mobile));
    }

    #[test]
    fn usernames_say_what_is_wrong() {
        assert!(check_username("ali.rezaei_2").is_ok());
        assert_eq!(check_username("x"), Err(Problem::UsernameLength));
        assert_eq!(check_username(".ali"), Err(Problem::UsernameStart));
        assert_eq!(
            check_username("ali rezaei"),
            Err(Problem::UsernameCharacter(' '))
        );
        // A Persian name is refused for its letters, not for how it starts.
        let persian = check_username("نیما").expect_err("not ASCII");
        assert_eq!(persian, Problem::UsernameCharacter('ن'));
        assert!(persian.to_string().contains("English letters"), "{persian}");
        assert!(persian.to_string().contains("U+0646"), "{persian}");
    }

    #[test]
    fn text_fields_refuse_control_characters_and_length() {
        assert!(check_text("Sara", MAX_NAME_CHARS).is_ok());
        assert_eq!(
            check_text("a\u{1b}[2J", 100),
            Err(Problem::ControlCharacters)
        );
        assert_eq!(check_text("a\u{0}", 100), Err(Problem::ControlCharacters));
        assert_eq!(check_text("a\u{9b}", 100), Err(Problem::ControlCharacters));
        assert_eq!(
            check_text(&"x".repeat(101), MAX_NAME_CHARS),
            Err(Problem::TooLong { max_chars: 100 })
        );
        // Persian text with its zero-width non-joiner is a name like any other.
        assert!(check_text("می\u{200c}خواهم", MAX_NAME_CHARS).is_ok());
    }

    #[test]
    fn dates_keep_their_day() {
        assert_eq!(check_date("2026-12-11").as_deref(), Ok("2026-12-11"));
        assert_eq!(
            check_date("2026-12-11T10:00:00Z").as_deref(),
            Ok("2026-12-11")
        );
        assert_eq!(check_date("2026-13-11"), Err(Problem::Date));
        assert_eq!(check_date("tomorrow"), Err(Problem::Date));
        assert_eq!(check_date("+2026-12-11"), Err(Problem::Date));
    }

    #[test]
    fn passwords_have_a_floor() {
        assert_eq!(check_password("short"), Err(Problem::PasswordTooShort));
        assert!(check_password("long enough").is_ok());
    }
}
