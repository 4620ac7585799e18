//! The typed async client for the Geobox users API (`docs/api.md` describes the contract as
//! this client and the embedded server implement it).

mod answer;
mod client;
mod error;
mod obfuscate;
mod permissions;
mod query;
pub mod rules;
mod secret;
mod types;

pub use answer::MAX_UNPAGED_ITEMS;
pub use client::{
    Auth, DEFAULT_HOST, DEFAULT_TIMEOUT, GeoboxClient, MAX_ANSWER_BYTES, TokenStore, UserRef,
    api_base_url, redact_host,
};
pub use error::{ApiError, FieldError, ParseError, body_start};
pub use obfuscate::{deobfuscate_password, obfuscate_password};
pub use permissions::{Actor, Denied};
pub use query::{
    CqlError, DEFAULT_LIMIT, PlanQuery, UserQuery, check_cql, combined_cql, cql_escape, python_bool,
};
pub use secret::Secret;
pub use types::{
    NewUser, NewUserFields, Patch, Plan, Session, User, UserRole, UserStatus, UserUpdate, date_part,
};
