//! `X`: which sessions to close, of one user or across users; and the sweep that lists every
//! session from one address across users before asking.

use std::collections::BTreeSet;

use super::TargetUser;
use crate::console::msg::RequestId;
use geobox_api::Session;

/// At most this many users of the current filter are searched for sessions from an address.
pub const SWEEP_FILTER_BOUND: usize = 200;

/// One way to choose sessions, with the sessions it would close (of the user the dialog is
/// about), or, across users, whose sessions it reaches.
#[derive(Clone, Debug)]
pub struct CloseOption {
    pub label: String,
    pub sessions: Vec<Session>,
    pub across: Option<CloseAcross>,
}

/// A choice that reaches beyond the one user whose sessions are listed.
#[derive(Clone, Debug)]
pub enum CloseAcross {
    /// Every session but this console's, of each of these users.
    EveryOther(Vec<TargetUser>),
    /// Every session from this address, of each of these users.
    FromAddress {
        address: String,
        users: Vec<TargetUser>,
        /// How many users the filter matches, when the users are the filter's (bounded).
        of_filter: Option<u64>,
    },
}

#[derive(Clone, Debug)]
pub struct CloseChoice {
    pub user: TargetUser,
    /// Whose sessions, for the title: a username or "3 marked users".
    pub who: String,
    pub options: Vec<CloseOption>,
    pub selected: usize,
}

/// The sessions from one address across users: listed user by user, then asked once.
#[derive(Clone, Debug, Default)]
pub struct AddressSweep {
    pub address: String,
    /// The listings still to come.
    pub pending: BTreeSet<RequestId>,
    /// How many users were searched.
    pub searched: usize,
    /// How many users the filter matches, when the users are the filter's.
    pub of_filter: Option<u64>,
    /// Each user with sessions from the address, in the order asked.
    pub found: Vec<(TargetUser, Vec<Session>)>,
    /// Users whose sessions could not be listed, with why.
    pub unlisted: Vec<(TargetUser, String)>,
}

impl AddressSweep {
    pub fn session_count(&self) -> usize {
        self.found.iter().map(|(_, sessions)| sessions.len()).sum()
    }
}
