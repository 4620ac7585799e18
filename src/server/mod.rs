//! The embedded Geobox-compatible server (axum + SQLite): the demo a new user sees and the
//! backbone of every integration test.
//!
//! INTERFACE STUB written by the lead: the server helper replaces the bodies (keeping these
//! signatures, extending the structs if needed) and adds routes.rs, auth.rs, store.rs, cql.rs, seed.rs.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::api::Secret;

/// How to start a server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Loopback with port 0 (any free port) unless told otherwise.
    pub bind: SocketAddr,
    /// `None`: an in-memory database.
    pub db: Option<PathBuf>,
    /// Demo users to create when the database is new.
    pub seed_users: u64,
    /// The seed of the deterministic demo data.
    pub seed: u64,
    pub admin_username: String,
    /// `None`: a random password, generated at start and reported in [`RunningServer`].
    pub admin_password: Option<Secret>,
    /// Delete the database file first and seed anew.
    pub fresh: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            seed_users: 500,
            seed: 1,
            admin_username: "admin".to_string(),
            admin_password: None,
            fresh: false,
        }
    }
}

/// A server running on the current tokio runtime. Dropping it does not stop it; call `shutdown`.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT/v1/`
    pub base_url: String,
    pub admin_username: String,
    pub admin_password: Secret,
}

impl RunningServer {
    /// Stops accepting, finishes requests in flight, closes the database.
    pub async fn shutdown(self) {
        todo!("server helper")
    }
}

/// Starts a server in this process (returns once it listens).
pub async fn start(_options: ServerOptions) -> Result<RunningServer, std::io::Error> {
    todo!("server helper")
}

/// `geobox-users serve`: starts, prints the base URL and the admin's credentials, warns loudly
/// when bound beyond loopback, and runs until Ctrl-C or SIGTERM, then stops cleanly.
pub async fn serve_until_signal(_options: ServerOptions) -> Result<(), std::io::Error> {
    todo!("server helper")
}

/// The console's demo: a server on an ephemeral loopback port whose database is a file in the
/// user's data directory (`fresh` reseeds), signed in as the demo admin.
pub async fn start_demo(_fresh: bool) -> Result<RunningServer, std::io::Error> {
    todo!("server helper")
}
