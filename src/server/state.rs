//! What every handler and the request extractors share.

use std::sync::Arc;

use super::auth::DummyHash;
use super::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Verified against when a username is unknown, so a login takes as long either way.
    pub dummy_hash: Arc<DummyHash>,
}
