//! What every handler and the request extractors share.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::limits::SignInLimits;
use super::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// Verified against when a username is unknown, so a login takes as long either way.
    /// Made on first use (see `auth::dummy_hash`).
    pub dummy_hash: Arc<OnceLock<String>>,
    /// Failed sign-ins per username and address.
    pub sign_ins: Arc<SignInLimits>,
    /// A token unused for this long stops working.
    pub session_idle: Duration,
}
