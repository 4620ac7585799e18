//! The lockdown dialog (`!`): who, what will happen, whether a new password is set, then each
//! user's steps as they come back.

use super::TargetUser;
use crate::console::msg::RequestId;
use geobox_api::Secret;

#[derive(Clone, Debug)]
pub struct LockdownDialog {
    pub targets: Vec<TargetUser>,
    /// Also replace the password by a random one, shown once here.
    pub reset_password: bool,
    /// Lockdowns sent and not yet answered; empty before `y` and once all are back.
    pub running: Vec<RequestId>,
    pub started: bool,
    pub results: Vec<LockdownResult>,
    /// The signed-in admin, marked too and left out, in words.
    pub left_out: Option<String>,
}

impl LockdownDialog {
    pub fn new(targets: Vec<TargetUser>) -> Self {
        LockdownDialog {
            targets,
            reset_password: false,
            running: Vec::new(),
            started: false,
            results: Vec::new(),
            left_out: None,
        }
    }

    pub fn is_asking(&self) -> bool {
        !self.started
    }
}

/// How one user's lockdown went.
#[derive(Clone, Debug)]
pub struct LockdownResult {
    pub who: String,
    /// One line per step: its name, ok or FAILED, and what it did.
    pub steps: Vec<String>,
    /// Which steps did not happen, when some did not.
    pub missed: Option<String>,
    /// Shown in this dialog only; its `Debug` is `***`.
    pub new_password: Option<Secret>,
}
