//! What every handler and the request extractors share.

use std::sync::{Arc, OnceLock};

use super::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Verified against when a username is unknown, so a login takes as long either way.
    /// Made on first use (see `auth::dummy_hash`).
    pub dummy_hash: Arc<OnceLock<String>>,
}
