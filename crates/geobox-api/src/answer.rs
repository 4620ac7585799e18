//! Reading a successful answer: what the server sent must be what was asked for (a list of
//! users, one user, a count), or it is an [`ApiError::Decode`] naming what was wrong. Nothing
//! half-read is ever returned, and no answer, however broken, panics.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, body_start};

/// The most items a list the contract does not page (sessions, members) may have: more is no
/// real user's, and is refused rather than shown.
pub const MAX_UNPAGED_ITEMS: usize = 10_000;

/// A successful answer's body: JSON, or `Null` when empty (writes answer with nothing).
pub(super) fn parse_body(status: u16, bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|error| ApiError::Decode {
        status,
        reason: format!("not JSON ({error})"),
        body_start: body_start(bytes),
    })
}

fn unexpected(reason: impl Into<String>, value: &Value) -> ApiError {
    ApiError::Decode {
        status: 200,
        reason: reason.into(),
        body_start: value_start(value),
    }
}

/// The start of a value's JSON text, for an error message, without writing out all of a huge
/// answer: the writer stops taking bytes once it has enough.
fn value_start(value: &Value) -> String {
    struct Bounded(Vec<u8>);
    impl std::io::Write for Bounded {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.0.len() >= BODY_START_BYTES {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.0.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    const BODY_START_BYTES: usize = 1024;
    let mut writer = Bounded(Vec::new());
    // Stopping early is the point: the error it then returns is expected.
    let _ = serde_json::to_writer(&mut writer, value);
    body_start(&writer.0)
}

/// A list whose every item reads as a `T` (so a script never prints rows that are not users,
/// sessions or plans), kept as the server sent it.
pub(super) fn expect_list<T: DeserializeOwned>(value: Value) -> Result<Vec<Value>, ApiError> {
    let items = match value {
        Value::Array(items) => items,
        Value::Null => return Err(unexpected("an empty answer where a list belongs", &value)),
        other => return Err(unexpected("expected a JSON array", &other)),
    };
    if items.len() > MAX_UNPAGED_ITEMS {
        return Err(ApiError::Decode {
            status: 200,
            reason: format!(
                "{} items in one list, more than the {MAX_UNPAGED_ITEMS} any real one has",
                items.len()
            ),
            body_start: String::new(),
        });
    }
    for (index, item) in items.iter().enumerate() {
        if let Err(error) = T::deserialize(item) {
            return Err(unexpected(
                format!("item {index} of the list has an unexpected shape ({error})"),
                item,
            ));
        }
    }
    Ok(items)
}

/// A page of a list: more items than asked for means the server ignored the paging or is not
/// a Geobox, and is refused rather than shown.
pub(super) fn expect_page<T: DeserializeOwned>(
    value: Value,
    limit: u64,
) -> Result<Vec<Value>, ApiError> {
    if let Value::Array(items) = &value
        && items.len() as u64 > limit
    {
        return Err(ApiError::Decode {
            status: 200,
            reason: format!(
                "{} items in an answer to a page of at most {limit}",
                items.len()
            ),
            body_start: String::new(),
        });
    }
    expect_list::<T>(value)
}

/// One object that reads as a `T`, kept as the server sent it.
pub(super) fn expect_one<T: DeserializeOwned>(value: Value) -> Result<Value, ApiError> {
    match T::deserialize(&value) {
        Ok(_) => Ok(value),
        Err(_) if value.is_null() => Err(unexpected("an empty answer", &value)),
        Err(error) => Err(unexpected(format!("unexpected shape ({error})"), &value)),
    }
}

pub(super) fn decode<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    decode_ref(&value)
}

fn decode_ref<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    T::deserialize(value).map_err(|error| unexpected(format!("unexpected shape ({error})"), value))
}

pub(super) fn decode_all<T: DeserializeOwned>(values: Vec<Value>) -> Result<Vec<T>, ApiError> {
    values.iter().map(decode_ref).collect()
}

/// `{"count": N}` or a bare `N`.
pub(super) fn parse_count(value: &Value) -> Result<u64, ApiError> {
    value
        .get("count")
        .unwrap_or(value)
        .as_u64()
        .ok_or_else(|| ApiError::Decode {
            status: 200,
            reason: "expected a count".to_string(),
            body_start: value_start(value),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Plan, Session, User};
    use serde_json::json;

    #[test]
    fn counts_come_bare_or_wrapped() {
        assert_eq!(parse_count(&json!({"count": 12})), Ok(12));
        assert_eq!(parse_count(&json!(7)), Ok(7));
        assert!(parse_count(&json!([])).is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any JSON, with keys the decoders look for mixed in so that near-misses (an `id`
        /// that is a string, a `plan` that is a list) come up often.
        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                any::<String>().prop_map(Value::from),
            ];
            let key = prop_oneof![
                prop::sample::select(vec![
                    "id",
                    "uuid",
                    "username",
                    "email",
                    "role",
                    "status",
                    "plan",
                    "storage",
                    "count",
                    "detail",
                    "loc",
                    "msg",
                    "first_name",
                    "expiration_date",
                ])
                .prop_map(str::to_string),
                any::<String>(),
            ];
            leaf.prop_recursive(4, 48, 8, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                    prop::collection::vec((key.clone(), inner), 0..8)
                        .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
                ]
            })
        }

        /// Every way the client reads a successful answer; what is accepted decodes.
        fn read_every_way(value: &Value) -> Result<(), TestCaseError> {
            if let Ok(items) = expect_page::<User>(value.clone(), 50) {
                prop_assert!(items.len() <= 50);
                prop_assert!(decode_all::<User>(items).is_ok());
            }
            if let Ok(items) = expect_list::<Session>(value.clone()) {
                prop_assert!(decode_all::<Session>(items).is_ok());
            }
            if let Ok(items) = expect_list::<Plan>(value.clone()) {
                prop_assert!(decode_all::<Plan>(items).is_ok());
            }
            if let Ok(user) = expect_one::<User>(value.clone()) {
                prop_assert!(decode::<User>(user).is_ok());
            }
            let _ = parse_count(value);
            let _ = decode::<Plan>(value.clone());
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_json_answer_decodes_or_is_an_error(value in json_value()) {
                read_every_way(&value)?;
                let body = value.to_string();
                for status in [400, 401, 403, 404, 422, 500, 502] {
                    let error = ApiError::from_response(status, body.as_bytes());
                    prop_assert_eq!(error.status(), Some(status));
                }
            }

            #[test]
            fn a_truncated_answer_is_an_error(value in json_value(), cut in any::<prop::sample::Index>()) {
                let text = value.to_string();
                let bytes = &text.as_bytes()[..cut.index(text.len().max(1)).min(text.len())];
                match parse_body(200, bytes) {
                    Ok(parsed) => read_every_way(&parsed)?,
                    Err(error) => prop_assert_eq!(error.status(), Some(200)),
                }
            }

            #[test]
            fn any_bytes_answer_decodes_or_is_an_error(
                bytes in prop::collection::vec(any::<u8>(), 0..256),
                status in 100_u16..600,
            ) {
                if let Ok(value) = parse_body(200, &bytes) {
                    read_every_way(&value)?;
                }
                let _ = ApiError::from_response(status, &bytes).to_string();
            }
        }
    }
}
