//! The typed async client for the Geobox users API (`../shared/geobox-api.md` is the contract).

mod answer;
mod client;
mod error;
mod obfuscate;
mod query;
mod secret;
mod types;

pub use answer::MAX_UNPAGED_ITEMS;
pub use client::{
    Auth, DEFAULT_HOST, DEFAULT_TIMEOUT, GeoboxClient, MAX_ANSWER_BYTES, TokenStore, UserRef,
    api_base_url, redact_host,
};
pub use error::{ApiError, FieldError, ParseError, body_start};
pub use obfuscate::{deobfuscate_password, obfuscate_password};
pub use query::{
    CqlError, DEFAULT_LIMIT, PlanQuery, UserQuery, check_cql, combined_cql, cql_escape, python_bool,
};
pub use secret::Secret;
pub use types::{
    NewUser, NewUserFields, Patch, Plan, Session, User, UserRole, UserStatus, UserUpdate, date_part,
};
