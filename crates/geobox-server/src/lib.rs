//! The embedded Geobox-compatible server (axum + SQLite): the demo a new user sees and the
//! backbone of every integration test.
//!
//! - `routes/`: the HTTP surface of `docs/api.md`, one file per resource; every answer is
//!   JSON. `validate.rs` checks a user body once for create and update (`UserFields`).
//! - `state.rs`: what every handler shares. `auth.rs`: argon2 passwords, opaque bearer tokens
//!   bound to sessions, API keys.
//! - `store/`: schema and migrations, a writer connection plus a pool of readers (WAL), all
//!   run on tokio's blocking threads, never on the async workers; queries by concern (users,
//!   listing, plans, sessions).
//! - `cql/`: the CQL2-text subset of `q`, parsed and compiled to parameterized SQL.
//! - `seed.rs`: deterministic demo data.
//! - `listener.rs`: the accept loop (connections capped below the file limit);
//!   `request_head.rs`: every request head checked and timed before hyper reads it;
//!   `limits.rs`: password hashes a few at a time, failed sign-ins slowed down.
//!
//! Behaviour worth knowing (all of it tested in `tests/server/`):
//! - Lists answer at most [`MAX_LIMIT`] (1000) users; a larger `limit` is lowered to it.
//! - Bodies over [`MAX_BODY_BYTES`] (64 KiB) get 413; passwords need [`MIN_PASSWORD_CHARS`].
//! - Requests are bounded so that none can crash the server or reach SQLite's limits (a 422
//!   says which bound): `q` nests at most 32 deep with at most 100 conditions and 1000 `IN`
//!   values, LIKE patterns of 1000 characters; `search` has at most [`MAX_SEARCH_WORDS`]
//!   words; `order_by` names a field once; `search_fields` repeats are ignored.
//! - `user_id` on `GET users/` lists that user's members (sub-users); `shared` is accepted
//!   and changes nothing (there is no sharing of users).
//! - Only System Admins and Account Admins manage users; only a System Admin makes or changes
//!   a System Admin; nobody deletes themselves. Everyone reads and edits their own name,
//!   email and mobile, lists and closes their own sessions, and changes their own password.
//! - New, Pending and Active users sign in; Disabled ones cannot, and their tokens and keys
//!   stop working at once. Disabling closes their sessions, so enabling them again does not
//!   revive an old token.
//! - Tokens and API keys are stored as SHA-256 hashes; the admin gets a new API key at every
//!   start ([`RunningServer::admin_apikey`]), printed by `serve`.
//! - Failed sign-ins answer alike (unknown user, wrong password, disabled account); past a few
//!   per username at an address, per address, or per username (then only at the addresses
//!   that failed as it) they wait longer each time (429 with `Retry-After`), so failures from
//!   elsewhere never lock the owner out; a right password from a clean address hashes before
//!   failing ones, and hashes waiting too long answer 503. A token unused for
//!   [`ServerOptions::session_idle`] stops working; a user has at most
//!   [`MAX_SESSIONS_PER_USER`] sessions, the oldest closed first, each keeping at most
//!   [`MAX_AGENT_CHARS`] characters of the client's user agent.
//! - Seeded users all have the password [`SEED_PASSWORD`], except, when the server listens
//!   beyond loopback, the System Admins and Account Admins: they get a random one, not shown.
//! - `serve` prints the admin password only when it generated it; a database file it creates
//!   (and its `-wal`/`-shm`) can be read by its owner only.
//! - Without `--db` the database lives in memory, up to about 2 GB (1.5 million users).

mod auth;
mod cql;
mod error;
/// Entry points for the fuzz targets (`fuzz/`), built only by cargo-fuzz.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod listener;
mod request_head;
mod routes;
mod running;
mod seed;
mod state;
mod store;
mod validate;

pub use auth::{MAX_AGENT_CHARS, MAX_SESSIONS_PER_USER};
pub use request_head::MAX_URI_BYTES;
pub use routes::{DEFAULT_LIMIT, MAX_BODY_BYTES, MAX_LIMIT, MAX_SEARCH_WORDS};
pub use running::{
    DEFAULT_HEADER_TIMEOUT, DEFAULT_SESSION_IDLE, DEMO_ADMIN_PASSWORD, RunningServer,
    ServerOptions, serve_until_signal, start, start_demo,
};
pub use seed::SEED_PASSWORD;
pub use validate::MIN_PASSWORD_CHARS;
