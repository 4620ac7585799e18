//! What the geobox-users CLI and console both do, above the API client: the journal and undo,
//! bulk runs, lockdown, saved views, session insight, import and export with every output
//! format, the token cache, the configuration and where files live.

pub mod bulk;
pub mod clean;
pub mod config;
pub mod find;
pub mod journal;
pub mod lockdown;
pub mod paths;
pub mod safety;
pub mod sessions_insight;
pub mod token_cache;
pub mod transfer;
pub mod views;

#[cfg(any(test, feature = "test-support"))]
pub mod test_postgres;
#[cfg(test)]
mod testing;
