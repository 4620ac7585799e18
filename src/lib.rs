//! geobox-users: the terminal console and the scriptable CLI for administering Geobox users.
//! The modules are public so the integration tests can reach them.

pub mod cli;
pub mod console;
