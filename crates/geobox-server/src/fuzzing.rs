//! Entry points for the fuzz targets in `fuzz/` (not an API: hidden from the docs). Each takes
//! arbitrary input the way a request would bring it and panics only on a bug: a check that
//! accepts what SQLite then refuses (a 500), or a panic inside.

use std::sync::OnceLock;

use super::cql::{self, NoFullText};
use super::error::ServerError;
use super::routes::listing;
use super::store::{self, PLAN_FIELDS, SEARCH_FIELDS, Store, USER_FIELDS, UsersFullText};
use super::validate::{UserFields, Writing};

/// A small seeded database, made once per fuzzing process.
fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = Store::open(None).expect("an in-memory database opens");
        store
            .write_blocking(|conn| Ok(super::seed::seed(conn, 50, 1, "hash")?))
            .expect("the database seeds");
        store
    })
}

/// `q`: parsed and compiled for users and plans; what compiles must run on SQLite (counting
/// users and plans), since a filter that passes the checks and then fails is a 500.
pub fn cql(input: &str) {
    if let Ok(filter) = cql::compile(input, USER_FIELDS, &UsersFullText) {
        let listing = store::UserListing {
            filter: Some(filter),
            ..Default::default()
        };
        let counted = store()
            .read_blocking(|conn| Ok(store::count_users(conn, &Default::default(), &listing)?));
        assert!(
            counted.is_ok(),
            "{input:?} compiled but failed: {counted:?}"
        );
    }
    if let Ok(filter) = cql::compile(input, PLAN_FIELDS, &NoFullText) {
        let listing = store::PlanListing {
            filter: Some(filter),
            ..Default::default()
        };
        let counted = store().read_blocking(|conn| Ok(store::count_plans(conn, &listing)?));
        assert!(
            counted.is_ok(),
            "{input:?} compiled but failed: {counted:?}"
        );
    }
}

/// `order_by` for users and plans: a 422 or columns that SQLite sorts by.
pub fn order_by(text: &str) {
    for fields in [USER_FIELDS, PLAN_FIELDS] {
        match listing::order_by(Some(text), fields) {
            Ok(order) => {
                for (column, _) in &order {
                    assert!(
                        fields.iter().any(|field| field.column == *column),
                        "{text:?} sorts by {column}"
                    );
                }
            }
            Err(error) => assert_validation(&error, text),
        }
    }
}

/// `search_fields` (and, with it, a `search` of the same text): a 422, or known columns each
/// once, searched without a 500.
pub fn search_fields(text: &str) {
    match listing::search_fields(Some(text), SEARCH_FIELDS) {
        Ok(fields) => {
            let mut unique = fields.clone();
            unique.dedup();
            assert_eq!(unique.len(), fields.len(), "{text:?} repeats a field");
            assert!(fields.iter().all(|field| SEARCH_FIELDS.contains(field)));
            if !text.contains('\0') && text.split_whitespace().count() <= super::MAX_SEARCH_WORDS {
                let listing = store::UserListing {
                    search: Some((text.to_string(), fields)),
                    ..Default::default()
                };
                let counted = store().read_blocking(|conn| {
                    Ok(store::count_users(conn, &Default::default(), &listing)?)
                });
                assert!(counted.is_ok(), "searching {text:?} failed: {counted:?}");
            }
        }
        Err(error) => assert_validation(&error, text),
    }
}

/// A create or update body: every problem is a 422, and nothing panics.
pub fn user_body(bytes: &[u8]) {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(bytes) else {
        return;
    };
    for writing in [Writing::Create, Writing::Update] {
        if let Err(error) = UserFields::parse(&body, writing) {
            assert_validation(&error, &String::from_utf8_lossy(bytes));
        }
    }
}

fn assert_validation(error: &ServerError, input: &str) {
    assert!(
        matches!(error, ServerError::Validation(_)),
        "{input:?} gave {error:?}"
    );
}
