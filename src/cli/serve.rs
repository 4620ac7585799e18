//! `serve`: the built-in demo server's options.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use geobox_api::Secret;

use super::{parse_secret, parse_timeout};

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1 on a free port]
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<SocketAddr>,

    /// SQLite database file [default: in memory]
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Demo users to create in a new database.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub seed_users: u64,

    /// Seed of the generated demo data.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Username of the System Admin.
    #[arg(long, value_name = "NAME", default_value = "admin")]
    pub admin_username: String,

    /// The admin's password [default: random, printed at start]
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "GEOBOX_SERVE_ADMIN_PASSWORD",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub admin_password: Option<Secret>,

    /// Delete the database file first and seed anew.
    #[arg(long)]
    pub fresh: bool,

    /// Seconds a client has to send a whole request head before its connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_timeout)]
    pub header_timeout: f64,

    /// Seconds a token may go unused before it stops working [default: 28800, 8 hours]
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 8.0 * 3600.0,
        hide_default_value = true,
        value_parser = parse_timeout
    )]
    pub session_idle: f64,

    /// Do not keep users' statuses, roles and sort places in memory (about 42 MB a million
    /// users); the first ask of a filtered, sorted list then reads the matching rows.
    #[arg(long)]
    pub no_memory_columns: bool,
}
