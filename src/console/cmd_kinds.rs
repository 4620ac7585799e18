//! What each command is, for those who must tell them apart: whether it writes (what a
//! protected deployment asks its name for), and which request it can be cancelled by.

use super::cmd::Cmd;
use super::msg::RequestId;

impl Cmd {
    /// Whether the command changes something on the server, or is the read a change starts
    /// with (a form save reads the user first; closing marked users' sessions lists them
    /// first): what a protected deployment asks its name for.
    pub fn writes(&self) -> bool {
        match self {
            Cmd::CloseSession { .. }
            | Cmd::ListSessionsToClose { .. }
            | Cmd::QuickEdit { .. }
            | Cmd::DeleteUser { .. }
            | Cmd::ChangePassword { .. }
            | Cmd::RenewPlan { .. }
            | Cmd::ReadBeforeSave { .. }
            | Cmd::SaveUser { .. }
            | Cmd::CreateUser { .. }
            | Cmd::ApplyUndo { .. }
            | Cmd::Lockdown { .. }
            | Cmd::RunBulk { .. } => true,
            Cmd::LoadMe { .. }
            | Cmd::LoadUsers { .. }
            | Cmd::CountUsers { .. }
            | Cmd::RefreshRows { .. }
            | Cmd::RefreshCount { .. }
            | Cmd::LoadSessions { .. }
            | Cmd::LoadPlans { .. }
            | Cmd::SignIn { .. }
            | Cmd::UseDeployment { .. }
            | Cmd::FindEverywhere { .. }
            | Cmd::Probe { .. }
            | Cmd::ReloadUser { .. }
            | Cmd::CancelRequest { .. }
            | Cmd::After { .. }
            | Cmd::AppendJournal { .. }
            | Cmd::ReadJournal { .. }
            | Cmd::CheckUndo { .. }
            | Cmd::Log { .. }
            | Cmd::CollectMatching { .. }
            | Cmd::ViewFile { .. }
            | Cmd::Export { .. }
            | Cmd::StopBulk { .. }
            | Cmd::CopyToClipboard { .. } => false,
        }
    }

    /// The request a command starts, for those that can be cancelled.
    pub(super) fn cancellable(&self) -> Option<RequestId> {
        match self {
            Cmd::LoadUsers { request, .. }
            | Cmd::CountUsers { request, .. }
            | Cmd::RefreshRows { request, .. }
            | Cmd::RefreshCount { request, .. }
            | Cmd::CollectMatching { request, .. } => Some(*request),
            Cmd::LoadMe { .. }
            | Cmd::LoadSessions { .. }
            | Cmd::LoadPlans { .. }
            | Cmd::CloseSession { .. }
            | Cmd::ListSessionsToClose { .. }
            | Cmd::QuickEdit { .. }
            | Cmd::DeleteUser { .. }
            | Cmd::ChangePassword { .. }
            | Cmd::RenewPlan { .. }
            | Cmd::ReadBeforeSave { .. }
            | Cmd::SaveUser { .. }
            | Cmd::CreateUser { .. }
            | Cmd::Probe { .. }
            | Cmd::ReloadUser { .. }
            | Cmd::CancelRequest { .. }
            | Cmd::After { .. }
            | Cmd::AppendJournal { .. }
            | Cmd::ReadJournal { .. }
            | Cmd::CheckUndo { .. }
            | Cmd::ApplyUndo { .. }
            | Cmd::Lockdown { .. }
            | Cmd::Log { .. }
            | Cmd::RunBulk { .. }
            | Cmd::ViewFile { .. }
            | Cmd::Export { .. }
            | Cmd::StopBulk { .. }
            | Cmd::CopyToClipboard { .. }
            | Cmd::SignIn { .. }
            | Cmd::UseDeployment { .. }
            | Cmd::FindEverywhere { .. } => None,
        }
    }
}
