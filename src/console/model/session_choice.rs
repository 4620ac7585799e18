//! `X` on one user: which of their sessions to close.

use super::TargetUser;
use crate::api::Session;

/// One way to choose sessions, with the sessions it would close.
#[derive(Clone, Debug)]
pub struct CloseOption {
    pub label: String,
    pub sessions: Vec<Session>,
}

#[derive(Clone, Debug)]
pub struct CloseChoice {
    pub user: TargetUser,
    pub options: Vec<CloseOption>,
    pub selected: usize,
}
