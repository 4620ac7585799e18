//! The pickers, confirmations and the password dialog, and the undo a change leaves behind.

use tui_input::Input;

use chrono::NaiveDate;

use super::list::TargetUser;
use crate::console::form::UserForm;
use crate::console::msg::QuickChange;
use geobox_api::{Session, User, date_part};
use geobox_ops::safety::SelfHarm;

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
    /// Apply one status/role to these users (several, or one whose change asks first).
    BulkChange {
        targets: Vec<TargetUser>,
        change: QuickChange,
        /// Who is left alone and why (already so, the signed-in admin).
        notes: Vec<String>,
        /// What to weigh first (`⚠` admin rights granted, one's own account changed).
        warnings: Vec<String>,
    },
    /// A change that would disable or demote the signed-in admin: it names what it costs, and
    /// goes ahead only once their own username is typed.
    SelfHarm {
        harm: SelfHarm,
        typed: Input,
        mismatch: bool,
        then: AfterSelfHarm,
    },
    /// A form save that asks first (admin rights granted, one's own role or status changed);
    /// `n` goes back to the form with everything typed.
    SaveForm {
        form: Box<UserForm>,
        warnings: Vec<String>,
    },
    /// Delete a user: the username must be typed; `mismatch` once ⏎ was pressed on a wrong one.
    Delete {
        user: TargetUser,
        typed: Input,
        mismatch: bool,
    },
    /// Renew a user's plan.
    RenewPlan {
        user: TargetUser,
        plan: Option<String>,
        days: Option<i64>,
        /// The expiration now, and the one the renewal gives (`None`: the server decides).
        current: Option<String>,
        new_expiration: Option<String>,
    },
}

/// The expiration a renewal gives `user`: the plan's days added to the later of today and
/// the current expiration, as a Geobox computes it. `None` when the user has no plan, the plan
/// names no days (the server decides), or the date would pass the calendar.
pub fn renewed_expiration(user: &User, today: NaiveDate) -> Option<NaiveDate> {
    let days = user.plan.as_ref()?.number_of_days?;
    let current = user
        .expiration_date
        .as_deref()
        .and_then(|date| NaiveDate::parse_from_str(date_part(date), "%Y-%m-%d").ok());
    let start = current.map_or(today, |current| current.max(today));
    chrono::Duration::try_days(days).and_then(|days| start.checked_add_signed(days))
}

/// What a self-harming change does once confirmed.
#[derive(Clone, Debug)]
pub enum AfterSelfHarm {
    /// One status or role from a picker.
    Quick {
        target: TargetUser,
        change: QuickChange,
    },
    /// The edit form's save; cancelling goes back to it.
    Save(Box<UserForm>),
}

impl Confirm {
    /// The form a confirmation stands in front of, if it asks about a form's save.
    pub fn form(&self) -> Option<&UserForm> {
        match self {
            Confirm::SaveForm { form, .. }
            | Confirm::SelfHarm {
                then: AfterSelfHarm::Save(form),
                ..
            } => Some(form),
            _ => None,
        }
    }
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
