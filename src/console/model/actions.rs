//! The pickers, confirmations and the password dialog, and the undo a change leaves behind.

use tui_input::Input;

use super::list::TargetUser;
use crate::console::msg::QuickChange;
use geobox_api::{Session, UserUpdate};

/// A list picker (status or role).
#[derive(Clone, Debug, PartialEq)]
pub struct Picker {
    pub kind: PickerKind,
    pub targets: Vec<TargetUser>,
    pub choices: Vec<QuickChange>,
    pub cursor: usize,
    /// The value the (single) target has now, marked "(current)".
    pub current: Option<QuickChange>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerKind {
    Status,
    Role,
}

/// A dialog that asks before something is done.
#[derive(Clone, Debug)]
pub enum Confirm {
    /// Close one session.
    CloseSession { user: TargetUser, session: Session },
    /// Close these sessions (all but the console's own).
    CloseSessions {
        user: TargetUser,
        sessions: Vec<Session>,
        kept_own: bool,
    },
    /// Close every session but the console's own of each of these users.
    CloseSessionsOfUsers { targets: Vec<TargetUser> },
    /// Close every session from one address, listed user by user.
    CloseFromAddress { sweep: super::AddressSweep },
    /// Apply one status/role to several users.
    BulkChange {
        targets: Vec<TargetUser>,
        change: QuickChange,
    },
    /// Delete a user: the username must be typed; `mismatch` once ⏎ was pressed on a wrong one.
    Delete {
        user: TargetUser,
        typed: Input,
        mismatch: bool,
    },
    /// Undo the last quick edit or form save.
    Undo { undo: Undo },
    /// Undo the last bulk change: each user back to their own previous value.
    UndoBulk {
        changes: Vec<(TargetUser, QuickChange)>,
    },
    /// Renew a user's plan.
    RenewPlan {
        user: TargetUser,
        plan: Option<String>,
        days: Option<i64>,
        new_expiration: Option<String>,
    },
}

/// How to take back the last change: the update that restores the old values.
#[derive(Clone, Debug, PartialEq)]
pub struct Undo {
    pub user: TargetUser,
    pub update: UserUpdate,
    /// What it restores, in words ("status Active, role Editor").
    pub description: String,
}

/// The change-password dialog. The inputs live only while the dialog is open.
#[derive(Clone, Default)]
pub struct PasswordDialog {
    pub user: Option<TargetUser>,
    pub first: Input,
    pub second: Input,
    pub second_focused: bool,
    pub error: Option<String>,
    pub sending: bool,
}

impl std::fmt::Debug for PasswordDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordDialog")
            .field("user", &self.user)
            .field("first", &"***")
            .field("second", &"***")
            .finish_non_exhaustive()
    }
}
