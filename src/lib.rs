//! geobox-users: a terminal console, a scriptable CLI and an embedded demo server for
//! administering Geobox users. The modules are public so the integration tests can reach them.

pub mod api;
pub mod bulk;
pub mod cli;
pub mod config;
pub mod console;
pub mod journal;
pub mod lockdown;
pub mod paths;
pub mod server;
pub mod sessions_insight;
pub mod token_cache;
pub mod transfer;
pub mod views;
