//! The pure heart of the console: `update(&mut Model, &Env, Msg) -> Vec<Cmd>`. No tokio, no
//! client, no terminal, no clock: everything it needs is in the model, the environment and the
//! message, so tests replay keys and answers and check the model and the commands.
//!
//! One file per feature, named like its half in `view/` (and in `model/`): `list` (paging,
//! selection, mouse), `sessions`, `filters` (search, filter panel, sort), `actions` (pickers,
//! confirmations and their results), `form` (edit and create), `feedback` (banner, activity
//! log, progress, explaining errors), `help`, `journal` (the panel and its undo), `lockdown`,
//! `session_choice`, `bulk_query`, `views`, `export`, `query_bar`. Halves with no screen of
//! their own: `connection` (offline and back), `record` (the console's writes as journal
//! entries), `me` (the signed-in user), `marks`, `deep_pages`. This file only dispatches.

mod actions;
mod answered;
mod bulk_query;
mod connection;
mod deep_pages;
mod deployments;
mod export;
mod feedback;
mod filters;
mod form;
mod guards;
mod help;
mod journal;
mod list;
mod live;
mod live_rows;
mod lockdown;
mod marks;
mod me;
mod protected;
mod query_bar;
mod record;
mod session_choice;
mod sessions;
mod views;

#[cfg(test)]
mod tests;

pub use connection::unreachable;
pub use feedback::explain;
pub use list::table_rows;
pub use query_bar::{cli_command, curl_command};

use crossterm::event::KeyEvent;

use super::cmd::Cmd;
use super::env::Env;
use super::keys;
use super::model::{BulkAction, Focus, Model};
use super::msg::Msg;

/// The commands to start the console with: who am I, the first page and the count.
pub fn init(model: &mut Model) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    me::load_me(model, &mut cmds);
    list::reset_list(model, &mut cmds, 0);
    live::start_clock(model);
    cmds
}

/// Applies one message to the model and returns what must be done because of it.
pub fn update(model: &mut Model, env: &Env, msg: Msg) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    let answer = connection::answer_of(&msg);
    match answer {
        Some(answer) => {
            handle(model, env, msg, &mut cmds);
            connection::observe(model, answer, &mut cmds);
        }
        None => act(model, env, msg, &mut cmds),
    }
    cmds
}

/// Carries out an intent; on a protected deployment, one that would write is first tried on
/// a copy of the model, and held for the deployment's name typed (`protected`).
fn act(model: &mut Model, env: &Env, intent: Msg, cmds: &mut Vec<Cmd>) {
    if env.protected && protected::may_write(&intent) {
        let mut trial = model.clone();
        let mut planned = Vec::new();
        handle(&mut trial, env, intent.clone(), &mut planned);
        if protected::commits(&trial, &planned) {
            protected::ask_name(model, env, intent, cmds);
            return;
        }
    }
    handle(model, env, intent, cmds);
}

fn on_key(model: &mut Model, env: &Env, key: KeyEvent, cmds: &mut Vec<Cmd>) {
    if let Some(intent) = keys::translate(model, &env.keymap, &key) {
        act(model, env, intent, cmds);
    }
}

fn handle(model: &mut Model, env: &Env, msg: Msg, cmds: &mut Vec<Cmd>) {
    match msg {
        Msg::KeyPressed(key) => {
            live::note_input(model);
            on_key(model, env, key, cmds);
        }
        Msg::MouseUsed(mouse) => {
            live::note_input(model);
            list::on_mouse(model, mouse, cmds);
        }
        Msg::Resized { width, height } => list::resize(model, width, height, cmds),
        Msg::Tick => feedback::tick(model),
        Msg::Quit => model.quit = true,
        Msg::LiveTick => live::on_tick(model, cmds),
        Msg::ToggleLive => live::toggle(model),
        Msg::FocusChanged(focused) => live::focus_changed(model, focused),

        Msg::SelectNextUser => list::move_selection(model, 1, cmds),
        Msg::SelectPrevUser => list::move_selection(model, -1, cmds),
        Msg::PageDownUsers => list::move_by_screen(model, 1, cmds),
        Msg::PageUpUsers => list::move_by_screen(model, -1, cmds),
        Msg::SelectFirstUser => list::select_row(model, 0, cmds),
        Msg::SelectLastUser => list::select_last(model, cmds),
        Msg::SelectUserRow(row) => list::select_user_row(model, row, cmds),
        Msg::ScrollFocused(delta) => list::scroll_focused(model, delta, cmds),
        Msg::FocusNext => model.focus = model.focus.next(),
        Msg::FocusPrev => model.focus = model.focus.prev(),
        Msg::OpenDetail => list::open_detail(model),
        Msg::ToggleMark => marks::toggle(model, cmds),
        Msg::MarkRange => marks::mark_range(model),
        Msg::MarkAllVisible => marks::mark_all_visible(model),
        Msg::Reload => list::reload(model, cmds),
        Msg::SelectionSettled { token } => sessions::on_selection_settled(model, token, cmds),
        Msg::SelectNextSession => sessions::move_session(model, 1),
        Msg::SelectPrevSession => sessions::move_session(model, -1),

        Msg::OpenSearch => filters::open_search(model),
        Msg::EditSearch(request) => filters::edit_search(model, request, cmds),
        Msg::SearchSettled { token } => filters::on_search_settled(model, token, cmds),
        Msg::KeepSearch => filters::keep_search(model, cmds),
        Msg::ClearSearch => filters::clear_search(model, cmds),
        Msg::OpenFilters => filters::open_filters(model),
        Msg::FocusNextFilterField => filters::step_filter_field(model, true),
        Msg::FocusPrevFilterField => filters::step_filter_field(model, false),
        Msg::CycleFilterChoice(step) => filters::cycle_filter_choice(model, step),
        Msg::EditFilterField(request) => filters::edit_filter_field(model, request),
        Msg::ApplyFilters => filters::apply_filters(model, cmds),
        Msg::CloseFilters => filters::close_filters(model),
        Msg::ResetFilterFields => filters::reset_filter_fields(model),
        Msg::CycleSortColumn => filters::cycle_sort_column(model, cmds),
        Msg::FlipSortDirection => filters::flip_sort_direction(model, cmds),

        Msg::DismissBanner => model.banner = None,
        Msg::ClearMarks => model.users.marked.clear(),
        Msg::ExplainRefusal(reason) => model.fail(reason),
        Msg::FocusTable => model.focus = Focus::Table,
        Msg::ToggleHelp => help::toggle_help(model),
        Msg::ToggleActivityLog => feedback::toggle_activity_log(model),

        Msg::RequestCloseSession => sessions::request_close_session(model),
        Msg::RequestCloseOtherSessions => sessions::request_close_other_sessions(model),
        // With a filter on and nothing marked, these offer every user the filter matches.
        Msg::OpenStatusPicker if model.offers_whole_view() => {
            bulk_query::offer(model, BulkAction::Status)
        }
        Msg::OpenRolePicker if model.offers_whole_view() => {
            bulk_query::offer(model, BulkAction::Role)
        }
        Msg::RequestRenewPlan if model.offers_whole_view() => {
            bulk_query::offer(model, BulkAction::Renew)
        }
        Msg::RequestLockdown if model.offers_whole_view() => {
            bulk_query::offer(model, BulkAction::Lockdown)
        }
        Msg::OpenStatusPicker => actions::open_status_picker(model),
        Msg::OpenRolePicker => actions::open_role_picker(model),
        Msg::PickerNext => actions::step_picker(model, 1),
        Msg::PickerPrev => actions::step_picker(model, -1),
        Msg::PickerChoose => actions::picker_choose(model, cmds),
        Msg::RequestDeleteUser => actions::request_delete(model),
        Msg::EditDialogInput(request) => actions::edit_dialog_input(model, request),
        Msg::RequestRenewPlan => actions::request_renew(model),
        Msg::OpenPasswordDialog => actions::open_password_dialog(model),
        Msg::DialogNextField => actions::step_dialog_field(model, true),
        Msg::DialogPrevField => actions::step_dialog_field(model, false),
        Msg::RequestUndo => journal::undo_last(model, env, cmds),
        Msg::ConfirmDialog => actions::confirm_dialog(model, cmds),
        Msg::CancelDialog => actions::cancel_dialog(model),

        Msg::OpenEditForm => form::open_edit_form(model, cmds),
        Msg::OpenCreateForm => form::open_create_form(model),
        Msg::CycleFormChoice(step) => form::cycle_form_choice(model, step),
        Msg::AdvanceForm => form::advance(model),
        Msg::SaveForm => form::save_form(model, cmds),

        Msg::ToggleJournal => journal::toggle(model, env, cmds),
        Msg::StepJournal(delta) => journal::step(model, delta),
        Msg::ToggleJournalUser => journal::toggle_user(model, env, cmds),
        Msg::ToggleJournalAdmin => journal::toggle_admin(model, env, cmds),
        Msg::RequestJournalUndo => journal::request_undo(model, cmds),
        Msg::ConfirmJournalUndo => journal::confirm_undo(model, cmds),
        Msg::EditJournalUndoCount(request) => journal::edit_undo_count(model, request),
        Msg::CancelJournalUndo => journal::cancel_undo(model),

        Msg::ToggleSessionMark => session_choice::toggle_mark(model),
        Msg::StepCloseChoice(delta) => session_choice::step(model, delta),
        Msg::ChooseSessionsToClose => session_choice::choose(model, cmds),
        Msg::RequestLockdown => lockdown::request(model),
        Msg::ToggleLockdownPassword => lockdown::toggle_password(model),
        Msg::ConfirmLockdown => lockdown::confirm(model, cmds),
        Msg::CloseLockdown => lockdown::close(model),

        Msg::OpenQueryBar => query_bar::open(model),
        Msg::CloseQueryBar => query_bar::close(model),
        Msg::CopyQueryAsCli => query_bar::copy_cli(model, env, cmds),
        Msg::CopyQueryAsCurl => query_bar::copy_curl(model, env, cmds),

        Msg::ChooseWholeQuery => bulk_query::choose_whole_query(model, cmds),
        Msg::WidenToWholeView => bulk_query::widen(model, cmds),
        Msg::AdvanceBulkQuery => bulk_query::advance(model, cmds),
        Msg::StepBulkQuery(step) => bulk_query::step(model, step),
        Msg::EditBulkQueryCount(request) => bulk_query::edit_count(model, request),
        Msg::BackOutOfBulkQuery => bulk_query::back_out(model, cmds),

        Msg::OpenViewPicker => views::open_picker(model, env, cmds),
        Msg::OpenSaveView => views::open_save(model, env, cmds),
        Msg::StepViewPicker(step) => views::step(model, step),
        Msg::ChooseView => views::choose(model, env, cmds),
        Msg::DeleteSelectedView => views::delete_selected(model, env, cmds),
        Msg::RenameSelectedView => views::rename_selected(model),
        Msg::EditViewName(request) => views::edit_name(model, request),
        Msg::CloseViewPicker => views::close(model),

        Msg::OpenDeployments => deployments::open(model, env),
        Msg::StepDeployments(delta) => deployments::step(model, env, delta),
        Msg::ChooseDeployment => deployments::choose(model, env, cmds),
        Msg::EditDeploymentInput(request) => deployments::edit_input(model, request),
        Msg::OpenDeploymentSearch => deployments::open_search(model),
        Msg::CloseDeployments => deployments::close(model),
        Msg::EditGateName(request) => protected::edit(model, request),
        Msg::ConfirmGate => {
            if let Some(intent) = protected::confirm(model, env, cmds) {
                // Tried already: this time it is carried out.
                handle(model, env, intent, cmds);
            }
        }
        Msg::CancelGate => protected::cancel(model),

        Msg::OpenExport => export::open(model),
        Msg::EditExportPath(request) => export::edit_path(model, request),
        Msg::ToggleExportFormat => export::toggle_format(model),
        Msg::StartExport => export::start(model, cmds),
        Msg::BackOutOfExport => export::back_out(model, cmds),

        Msg::MeLoaded(done) => me::on_me_loaded(model, done, cmds),
        Msg::SignedIn {
            deployment, done, ..
        } => deployments::on_signed_in(model, env, deployment, done, cmds),
        Msg::FoundEverywhere { request, found } => deployments::on_found(model, request, found),
        Msg::UsersLoaded { page, done } => {
            query_bar::note_page_latency(model, page, &done);
            list::on_users_loaded(model, page, done, cmds)
        }
        Msg::UsersCounted(done) => list::on_users_counted(model, done, cmds),
        Msg::LiveRowsRead { window, done } => live::on_rows_read(model, window, done, cmds),
        Msg::LiveCounted(done) => live::on_counted(model, done, cmds),
        Msg::SessionsLoaded { user_id, done } => {
            let request = done.request;
            sessions::on_sessions_loaded(model, user_id, done);
            live::answered(model, request);
        }
        Msg::PlansLoaded(done) => form::on_plans_loaded(model, done, cmds),
        Msg::SessionClosed {
            user_id,
            uuid,
            done,
        } => sessions::on_session_closed(model, env, user_id, uuid, done, cmds),
        Msg::SessionsToClose { user_id, done } if session_choice::sweeping(model, &done) => {
            session_choice::on_listed(model, user_id, done)
        }
        Msg::SessionsToClose { user_id, done } => {
            sessions::on_sessions_to_close(model, env, user_id, done, cmds)
        }
        Msg::UserUpdated {
            user_id,
            change,
            done,
        } => answered::on_user_updated(model, env, user_id, change, done, cmds),
        Msg::UserDeleted {
            user_id,
            username,
            done,
        } => answered::on_user_deleted(model, env, user_id, username, done, cmds),
        Msg::PasswordChanged {
            user_id,
            username,
            done,
        } => answered::on_password_changed(model, env, user_id, username, done, cmds),
        Msg::PlanRenewed {
            user_id,
            username,
            written,
            done,
        } => answered::on_plan_renewed(model, env, user_id, username, written, done, cmds),
        Msg::UserReloaded { user_id, done } => {
            answered::on_user_reloaded(model, user_id, done, cmds)
        }
        Msg::UserSaved { created, done } => form::on_user_saved(model, env, created, done, cmds),
        Msg::RetryConnection { token } => connection::on_retry(model, token, cmds),
        // What a probe says is read by `connection::observe`, like every answer.
        Msg::ProbeAnswered(_) => {}
        Msg::ReadBeforeSave(done) => form::on_read_before_save(model, env, done, cmds),
        Msg::JournalRead { request, result } => journal::on_read(model, request, result),
        Msg::UndoChecked { entry, done } => journal::on_checked(model, *entry, done),
        Msg::UndoRefused { request, reason } => journal::on_refused(model, request, reason, cmds),
        Msg::JournalShared(sharing) => model.journal.sharing = sharing,
        Msg::LockedDown { user_id, done } => {
            lockdown::on_locked_down(model, env, user_id, done, cmds)
        }
        Msg::UndoApplied {
            request,
            entry,
            new_passwords,
            ..
        } => journal::on_applied(model, env, request, *entry, new_passwords, cmds),
        Msg::MatchingCollected { request, done } => {
            bulk_query::on_collected(model, request, done, cmds)
        }
        Msg::ViewsLoaded {
            request,
            said,
            result,
        } => views::on_loaded(model, request, said, result, cmds),
        Msg::ExportProgressed { request, progress } => {
            export::on_progressed(model, request, progress)
        }
        Msg::ExportFinished { request, result } => {
            export::on_finished(model, request, result, cmds)
        }
        Msg::BulkProgressed { request, progress } => {
            bulk_query::on_progressed(model, request, progress)
        }
        Msg::BulkFinished { request, summary } => {
            bulk_query::on_finished(model, env, request, *summary, cmds)
        }
    }
}
