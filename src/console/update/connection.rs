//! A server that goes away: every answer says whether the server was reached. The first
//! failure to reach it takes the console offline (what is loaded stays, marked stale; writes
//! are refused), reads are retried with a growing wait, and the first answer brings it back:
//! what is on screen is read again and the banner says `reconnected`.

use super::feedback::{log_activity, succeed};
use super::list::reload;
use crate::console::cmd::Cmd;
use crate::console::model::{Connection, Model, RETRY_FIRST};
use crate::console::msg::{Done, ExportDone, ExportError, Msg, RequestId};
use geobox_api::ApiError;

/// What one answer says about the server.
#[derive(Clone, Copy, Debug)]
pub(super) struct Answer {
    request: RequestId,
    reached: bool,
}

/// Whether a failure means the server could not be reached (rather than that it said no).
pub fn unreachable(error: &ApiError) -> bool {
    error.is_unreachable()
}

fn answer<T>(done: &Done<T>) -> Option<Answer> {
    Some(Answer {
        request: done.request,
        reached: done
            .result
            .as_ref()
            .err()
            .is_none_or(|error| !unreachable(error)),
    })
}

/// The answer a message carries, if it is one. Every message is named, so a new one is
/// placed here on purpose: an answer the offline detection reads, or something that is not.
pub(super) fn answer_of(msg: &Msg) -> Option<Answer> {
    match msg {
        Msg::MeLoaded(done) | Msg::UserReloaded { done, .. } | Msg::ReadBeforeSave(done) => {
            answer(done)
        }
        Msg::UserUpdated { done, .. } | Msg::UserSaved { done, .. } => answer(done),
        Msg::UsersLoaded { done, .. } | Msg::MatchingCollected { done, .. } => answer(done),
        Msg::UsersCounted(done) | Msg::LiveCounted(done) => answer(done),
        Msg::LiveRowsRead { done, .. } => answer(done),
        Msg::SessionsLoaded { done, .. } | Msg::SessionsToClose { done, .. } => answer(done),
        Msg::PlansLoaded(done) => answer(done),
        Msg::SessionClosed { done, .. }
        | Msg::UserDeleted { done, .. }
        | Msg::PasswordChanged { done, .. }
        | Msg::PlanRenewed { done, .. }
        | Msg::ProbeAnswered(done) => answer(done),
        Msg::UndoChecked { done, .. } => answer(done),
        Msg::LockedDown { done, .. } => answer(done),
        // Another deployment's answers say nothing of the one shown.
        Msg::SignedIn { .. } | Msg::FoundEverywhere { .. } => None,
        Msg::ExportFinished { request, result } => exported(*request, result),
        Msg::BulkFinished { request, summary } => Some(Answer {
            request: *request,
            reached: !summary.outcome().is_err_and(|error| error.is_unreachable()),
        }),
        Msg::UndoApplied {
            request,
            unreachable,
            ..
        } => Some(Answer {
            request: *request,
            reached: !unreachable,
        }),
        // The journal's answers, not the server's.
        Msg::UndoRefused { .. } | Msg::JournalShared(_) => None,
        // Progress of a run, and the journal and config files, say nothing of the server.
        Msg::BulkProgressed { .. }
        | Msg::ExportProgressed { .. }
        | Msg::JournalRead { .. }
        | Msg::ViewsLoaded { .. } => None,
        // Terminal input, timers and intents are not answers.
        Msg::KeyPressed(_)
        | Msg::MouseUsed(_)
        | Msg::Resized { .. }
        | Msg::Tick
        | Msg::Quit
        | Msg::LiveTick
        | Msg::ToggleLive
        | Msg::FocusChanged(_)
        | Msg::RetryConnection { .. }
        | Msg::SelectionSettled { .. }
        | Msg::SearchSettled { .. }
        | Msg::SelectNextUser
        | Msg::SelectPrevUser
        | Msg::PageDownUsers
        | Msg::PageUpUsers
        | Msg::SelectFirstUser
        | Msg::SelectLastUser
        | Msg::SelectUserRow(_)
        | Msg::ScrollFocused(_)
        | Msg::FocusNext
        | Msg::FocusPrev
        | Msg::OpenDetail
        | Msg::SelectNextSession
        | Msg::SelectPrevSession
        | Msg::OpenSearch
        | Msg::EditSearch(_)
        | Msg::KeepSearch
        | Msg::ClearSearch
        | Msg::OpenFilters
        | Msg::FocusNextFilterField
        | Msg::FocusPrevFilterField
        | Msg::CycleFilterChoice(_)
        | Msg::EditFilterField(_)
        | Msg::ApplyFilters
        | Msg::CloseFilters
        | Msg::ResetFilterFields
        | Msg::CycleSortColumn
        | Msg::FlipSortDirection
        | Msg::Reload
        | Msg::DismissBanner
        | Msg::ClearMarks
        | Msg::MarkAllVisible
        | Msg::MarkRange
        | Msg::ExplainRefusal(_)
        | Msg::FocusTable
        | Msg::ToggleHelp
        | Msg::RequestCloseSession
        | Msg::RequestCloseOtherSessions
        | Msg::OpenStatusPicker
        | Msg::OpenRolePicker
        | Msg::PickerNext
        | Msg::PickerPrev
        | Msg::PickerChoose
        | Msg::RequestDeleteUser
        | Msg::EditDialogInput(_)
        | Msg::RequestRenewPlan
        | Msg::OpenPasswordDialog
        | Msg::DialogNextField
        | Msg::DialogPrevField
        | Msg::ToggleMark
        | Msg::ConfirmDialog
        | Msg::CancelDialog
        | Msg::ToggleActivityLog
        | Msg::OpenEditForm
        | Msg::OpenCreateForm
        | Msg::CycleFormChoice(_)
        | Msg::AdvanceForm
        | Msg::SaveForm
        | Msg::RequestUndo
        | Msg::ToggleJournal
        | Msg::StepJournal(_)
        | Msg::ToggleJournalUser
        | Msg::ToggleJournalAdmin
        | Msg::RequestJournalUndo
        | Msg::ConfirmJournalUndo
        | Msg::CancelJournalUndo
        | Msg::ToggleSessionMark
        | Msg::StepCloseChoice(_)
        | Msg::ChooseSessionsToClose
        | Msg::RequestLockdown
        | Msg::ToggleLockdownPassword
        | Msg::ConfirmLockdown
        | Msg::CloseLockdown
        | Msg::OpenQueryBar
        | Msg::CloseQueryBar
        | Msg::CopyQueryAsCli
        | Msg::CopyQueryAsCurl
        | Msg::ChooseWholeQuery
        | Msg::WidenToWholeView
        | Msg::EditJournalUndoCount(_)
        | Msg::AdvanceBulkQuery
        | Msg::StepBulkQuery(_)
        | Msg::EditBulkQueryCount(_)
        | Msg::BackOutOfBulkQuery
        | Msg::OpenViewPicker
        | Msg::OpenSaveView
        | Msg::StepViewPicker(_)
        | Msg::ChooseView
        | Msg::DeleteSelectedView
        | Msg::RenameSelectedView
        | Msg::EditViewName(_)
        | Msg::CloseViewPicker
        | Msg::OpenExport
        | Msg::EditExportPath(_)
        | Msg::ToggleExportFormat
        | Msg::StartExport
        | Msg::BackOutOfExport
        | Msg::OpenDeployments
        | Msg::StepDeployments(_)
        | Msg::ChooseDeployment
        | Msg::EditDeploymentInput(_)
        | Msg::OpenDeploymentSearch
        | Msg::CloseDeployments
        | Msg::EditGateName(_)
        | Msg::ConfirmGate
        | Msg::CancelGate => None,
    }
}

/// What an export's end says about the server: it was reached when the pages were read, and
/// a failed read keeps its error; a file that could not be written says nothing of it.
fn exported(request: RequestId, result: &Result<ExportDone, ExportError>) -> Option<Answer> {
    match result {
        Ok(_) => Some(Answer {
            request,
            reached: true,
        }),
        Err(ExportError::Api(error)) => Some(Answer {
            request,
            reached: !unreachable(error),
        }),
        Err(
            ExportError::Create { .. } | ExportError::Write { .. } | ExportError::Exists { .. },
        ) => None,
    }
}

/// Takes the console offline or back online after an answer was handled.
pub(super) fn observe(model: &mut Model, answer: Answer, cmds: &mut Vec<Cmd>) {
    let connection = &mut model.connection;
    if connection.probe == Some(answer.request) {
        connection.probe = None;
        connection.retrying = false;
    }
    if answer.reached {
        connection.last_answered = connection.last_answered.max(answer.request);
        if connection.is_offline() {
            reconnect(model, cmds);
        }
        return;
    }
    if answer.request < connection.last_answered {
        // The server answered a newer request since: this failure is old news.
        return;
    }
    if !connection.is_offline() {
        connection.offline_since = Some(model.now);
        connection.retry_delay = RETRY_FIRST;
        log_activity(
            model,
            "Offline: the server does not answer; retrying by itself".to_string(),
            false,
            cmds,
        );
    }
    if !model.connection.retrying {
        schedule_retry(model, cmds);
    }
}

fn schedule_retry(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let connection = &mut model.connection;
    connection.retry_token += 1;
    connection.retrying = true;
    cmds.push(Cmd::After {
        delay: connection.retry_delay,
        msg: Box::new(Msg::RetryConnection {
            token: connection.retry_token,
        }),
    });
    connection.retry_delay = Connection::backoff(connection.retry_delay);
}

/// The retry timer fired: ask the server whether it is back.
pub(super) fn on_retry(model: &mut Model, token: u64, cmds: &mut Vec<Cmd>) {
    if token != model.connection.retry_token || !model.connection.is_offline() {
        return;
    }
    let request = model.new_request();
    model.connection.probe = Some(request);
    cmds.push(Cmd::Probe { request });
}

fn reconnect(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let token = model.connection.retry_token + 1;
    model.connection = Connection {
        // A timer still pending finds a newer token and does nothing.
        retry_token: token,
        last_answered: model.connection.last_answered,
        ..Connection::default()
    };
    reload(model, cmds);
    succeed(model, "reconnected".to_string(), cmds);
}
