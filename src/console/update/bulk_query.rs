//! Acting on every user the filter matches: `s`, `r`, `P` or `!` with a filter on and nothing
//! marked offer "all N users matching this view". The users are collected first (every page,
//! by id), then a confirmation shows what would change (the count is typed above a hundred),
//! then the runner writes in batches and reports progress; Esc stops after the current batch.

use tui_input::{Input, InputRequest};

use super::actions::{open_role_picker, open_status_picker, request_renew, users_word};
use super::feedback::{action_allowed, explain, log_activity, refuse_write_offline};
use super::list::refresh_list;
use super::lockdown;
use super::record::record;
use super::sessions::load_sessions;
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{
    BulkAction, BulkQuery, BulkStage, Mode, Model, needs_typed_count, view_of,
};
use crate::console::msg::{Done, RequestId};
use crate::console::wrap::step_wrapping;
use geobox_api::{User, UserRole, UserStatus};
use geobox_ops::bulk::{self, Change, Summary, Targets};
use geobox_ops::journal::{Action, Outcome};
use geobox_ops::lockdown::refuse_self;

/// Whether `s`, `r`, `P` and `!` offer the whole query: a filter narrows the table, nothing is
/// marked (marks are the admin's own choice of users and win), and the view holds more than
/// the one user selected (a search that found one user acts on them at once, as before).
pub fn offered(model: &Model) -> bool {
    model.users.marked.is_empty()
        && !model.filters.chips().is_empty()
        && model.users.total.is_none_or(|total| total > 1)
}

pub(super) fn offer(model: &mut Model, action: BulkAction) {
    if !action_allowed(model) {
        return;
    }
    model.mode = Mode::BulkQuery(query_at(model, action, BulkStage::Offer));
}

/// `a` in the offer: every matching user. Renewing and locking down need no value, so they
/// collect at once.
pub(super) fn choose_whole_query(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::BulkQuery(query) = &mut model.mode else {
        return;
    };
    if !matches!(query.stage, BulkStage::Offer) {
        return;
    }
    let choices: Vec<Change> = match query.action {
        BulkAction::Status => UserStatus::ALL
            .iter()
            .cloned()
            .map(Change::Status)
            .collect(),
        BulkAction::Role => {
            let caller = model.me.loaded().and_then(|me| me.role.as_ref());
            UserRole::ALL
                .iter()
                .filter(|role| role.grantable_by(caller))
                .cloned()
                .map(Change::Role)
                .collect()
        }
        BulkAction::Renew => {
            collect(model, Change::RenewPlan, cmds);
            return;
        }
        BulkAction::Lockdown => {
            // The signed-in admin is left out by id; without it known, they could be shut out.
            if model.me.loaded().is_none() {
                model.mode = Mode::Normal;
                model.fail(
                    "Not locked down: who is signed in is not known yet, so they could not be \
                     left out (R reloads)"
                        .to_string(),
                );
                return;
            }
            collect(model, Change::Lockdown, cmds);
            return;
        }
    };
    // On the least privileged role, so a quick `⏎` never hands out admin rights to everyone.
    let cursor = match query.action {
        BulkAction::Role => choices.len().saturating_sub(1),
        _ => 0,
    };
    query.stage = BulkStage::Choose { choices, cursor };
}

pub(super) fn step(model: &mut Model, step: i8) {
    if let Mode::BulkQuery(query) = &mut model.mode
        && let BulkStage::Choose { choices, cursor } = &mut query.stage
    {
        *cursor = step_wrapping(*cursor, choices.len(), step >= 0);
    }
}

pub(super) fn edit_count(model: &mut Model, request: InputRequest) {
    if let Mode::BulkQuery(query) = &mut model.mode
        && let BulkStage::Confirm {
            typed, mismatch, ..
        } = &mut query.stage
    {
        typed.handle(request);
        *mismatch = false;
    }
}

/// ⏎: only the selected user (offer), this value (choice), go (confirmation).
pub(super) fn advance(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::BulkQuery(query) = std::mem::take(&mut model.mode) else {
        return;
    };
    let BulkQuery { action, stage, .. } = *query;
    match stage {
        BulkStage::Offer => match action {
            BulkAction::Status => open_status_picker(model),
            BulkAction::Role => open_role_picker(model),
            BulkAction::Renew => request_renew(model),
            BulkAction::Lockdown => lockdown::request(model),
        },
        BulkStage::Choose { choices, cursor } => match choices.get(cursor).cloned() {
            Some(change) => {
                model.mode = Mode::BulkQuery(query_at(model, action, BulkStage::Offer));
                collect(model, change, cmds);
            }
            None => model.mode = Mode::Normal,
        },
        BulkStage::Confirm {
            change,
            targets,
            typed,
            left_out,
            ..
        } => {
            let count = targets.to_change.len();
            if needs_typed_count(&targets) && typed.value().trim() != count.to_string() {
                let stage = BulkStage::Confirm {
                    change,
                    targets,
                    typed,
                    mismatch: true,
                    left_out,
                };
                model.mode = Mode::BulkQuery(query_at(model, action, stage));
                return;
            }
            start(model, action, change, targets, cmds);
        }
        stage @ (BulkStage::Collecting { .. } | BulkStage::Running { .. }) => {
            model.mode = Mode::BulkQuery(query_at(model, action, stage));
        }
    }
}

/// Esc: closes before anything is written (dropping a collection under way); while writing,
/// asks the runner to stop after the current batch.
pub(super) fn back_out(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::BulkQuery(query) = &mut model.mode else {
        return;
    };
    match &mut query.stage {
        BulkStage::Running {
            request, stopping, ..
        } => {
            if !*stopping {
                *stopping = true;
                cmds.push(Cmd::StopBulk { request: *request });
            }
        }
        BulkStage::Collecting { request, .. } => {
            cmds.push(Cmd::CancelRequest { request: *request });
            model.mode = Mode::Normal;
        }
        _ => model.mode = Mode::Normal,
    }
}

fn query_at(model: &Model, action: BulkAction, stage: BulkStage) -> Box<BulkQuery> {
    Box::new(BulkQuery {
        action,
        matching: model.users.total,
        selected: model
            .users
            .selected_user()
            .map(|user| user.username.clone()),
        stage,
    })
}

fn collect(model: &mut Model, change: Change, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    if let Mode::BulkQuery(query) = &mut model.mode {
        query.stage = BulkStage::Collecting { request, change };
    }
    cmds.push(Cmd::CollectMatching {
        request,
        view: view_of(&model.filters),
    });
}

pub(super) fn on_collected(
    model: &mut Model,
    request: RequestId,
    done: Done<Vec<User>>,
    cmds: &mut Vec<Cmd>,
) {
    let Mode::BulkQuery(query) = &mut model.mode else {
        return;
    };
    let BulkStage::Collecting {
        request: awaited,
        change,
    } = &query.stage
    else {
        return;
    };
    if *awaited != request {
        return;
    }
    match done.result {
        Ok(mut users) => {
            let change = change.clone();
            let mut left_out = None;
            if change == Change::Lockdown {
                // Locking the signed-in admin down would shut them out mid-run.
                let me = model.me.loaded();
                let signed_in = me.map(|me| me.id);
                let before = users.len();
                users.retain(|user| refuse_self(user.id, signed_in).is_ok());
                if users.len() < before {
                    left_out = me.map(|me| me.username.clone());
                }
            }
            let targets = Targets::split(users, &change);
            query.stage = BulkStage::Confirm {
                change,
                targets,
                typed: Input::default(),
                mismatch: false,
                left_out,
            };
        }
        Err(error) => {
            model.mode = Mode::Normal;
            let text = format!(
                "Reading the users matching this view failed: {}",
                explain(&error)
            );
            log_activity(model, text.clone(), false, cmds);
            model.fail(text);
        }
    }
}

fn start(
    model: &mut Model,
    action: BulkAction,
    change: Change,
    targets: Targets,
    cmds: &mut Vec<Cmd>,
) {
    if refuse_write_offline(model) {
        return;
    }
    let request = model.new_request();
    let total = targets.to_change.len();
    let skipped = targets.already.len();
    log_activity(
        model,
        format!(
            "{} of all {} matching this view ({skipped} already so)",
            change.describe(),
            users_word(total)
        ),
        true,
        cmds,
    );
    let stage = BulkStage::Running {
        request,
        change: change.clone(),
        progress: bulk::Progress {
            done: 0,
            total,
            elapsed: std::time::Duration::ZERO,
        },
        skipped,
        stopping: false,
    };
    model.mode = Mode::BulkQuery(query_at(model, action, stage));
    cmds.push(Cmd::RunBulk {
        request,
        targets,
        change,
    });
}

pub(super) fn on_progressed(model: &mut Model, request: RequestId, progress: bulk::Progress) {
    if let Mode::BulkQuery(query) = &mut model.mode
        && let BulkStage::Running {
            request: running,
            progress: shown,
            ..
        } = &mut query.stage
        && *running == request
    {
        *shown = progress;
    }
}

/// The end of a run: the dialog closes, the banner sums it up, the log names every failure,
/// and the table is read again (users may have left the filter).
pub(super) fn on_finished(
    model: &mut Model,
    env: &Env,
    request: RequestId,
    summary: Summary,
    cmds: &mut Vec<Cmd>,
) {
    let change = match &model.mode {
        Mode::BulkQuery(query) => match &query.stage {
            BulkStage::Running {
                request: running,
                change,
                ..
            } if *running == request => Some(change.clone()),
            _ => None,
        },
        _ => None,
    };
    if change.is_some() {
        model.mode = Mode::Normal;
    }
    let locked_down = change == Some(Change::Lockdown);
    let what = change.map_or_else(|| "Bulk change".to_string(), |change| change.describe());
    if !summary.changes.is_empty() {
        // One entry for the whole run, each user with their own outcome, as the CLI writes it.
        let outcome = match summary.outcome() {
            Ok(()) => Outcome::Ok,
            Err(error) => Outcome::Error(error.to_string()),
        };
        let changes = summary.changes.clone();
        // A lockdown keeps its own action, so its undo puts back the status only and says so.
        let action = if locked_down {
            Action::Lockdown
        } else {
            Action::BulkUpdate
        };
        record(
            model,
            env,
            action,
            changes,
            outcome,
            Some(what.clone()),
            cmds,
        );
    }
    for (user, reason) in &summary.failed {
        log_activity(
            model,
            format!("{what}: {} failed: {reason}", user.username),
            false,
            cmds,
        );
    }
    let mut text = format!("{what} on the whole view: {}", summary.line());
    if let Some((user, reason)) = summary.failed.first() {
        text.push_str(&format!(
            " · first failure {}: {reason} (L: the log)",
            user.username
        ));
    }
    log_activity(model, text.clone(), summary.failed.is_empty(), cmds);
    if summary.failed.is_empty() {
        model.inform(text);
    } else {
        model.fail(text);
    }
    refresh_list(model, cmds);
    // The pane shows what the lockdown left open of the selected user (nothing, when it went).
    if locked_down && let Some(user_id) = model.sessions.user_id {
        load_sessions(model, user_id, cmds);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;

    use super::*;
    use crate::console::fixtures::update;
    use crate::console::fixtures::{loaded_model, press, type_text, user};
    use crate::console::msg::Msg;

    fn filtered_model() -> Model {
        let mut model = loaded_model(80, 24, 500);
        model.filters.status = Some(UserStatus::Pending);
        model
    }

    fn stage(model: &Model) -> &BulkStage {
        match &model.mode {
            Mode::BulkQuery(query) => &query.stage,
            other => panic!("not acting on the whole query: {other:?}"),
        }
    }

    /// Keys `s a ⏎` and the collected users: the model waits at the confirmation.
    fn confirm_with(model: &mut Model, users: Vec<User>) -> Targets {
        type_text(model, "sa");
        let cmds = press(model, KeyCode::Enter);
        collected(model, &cmds, users)
    }

    /// The collection `cmds` asked for comes back with `users`: the model waits at the
    /// confirmation.
    fn collected(model: &mut Model, cmds: &[Cmd], users: Vec<User>) -> Targets {
        let request = cmds
            .iter()
            .find_map(|cmd| match cmd {
                Cmd::CollectMatching { request, view } => {
                    assert_eq!(view.status, Some(UserStatus::Pending), "the table's filter");
                    assert_eq!(
                        view.order_by, None,
                        "read by id, so writes cannot shift pages"
                    );
                    Some(*request)
                }
                _ => None,
            })
            .expect("the users are collected first");
        let done = Done {
            request,
            took: Duration::ZERO,
            result: Ok(users),
        };
        update(model, Msg::MatchingCollected { request, done });
        match stage(model) {
            BulkStage::Confirm { targets, .. } => targets.clone(),
            other => panic!("no confirmation: {other:?}"),
        }
    }

    fn run_request(cmds: &[Cmd]) -> Option<(RequestId, usize)> {
        cmds.iter().find_map(|cmd| match cmd {
            Cmd::RunBulk {
                request, targets, ..
            } => Some((*request, targets.to_change.len())),
            _ => None,
        })
    }

    /// The run ends with `summary`: what the model asks for, and the journal entries among it.
    fn finish(
        model: &mut Model,
        request: RequestId,
        summary: Summary,
    ) -> (Vec<Cmd>, Vec<geobox_ops::journal::Entry>) {
        let cmds = update(
            model,
            Msg::BulkFinished {
                request,
                summary: Box::new(summary),
            },
        );
        let entries = cmds
            .iter()
            .filter_map(|cmd| match cmd {
                Cmd::AppendJournal { entry } => Some((**entry).clone()),
                _ => None,
            })
            .collect();
        (cmds, entries)
    }

    #[test]
    fn with_marks_the_keys_act_on_the_marked_users_as_before() {
        let mut model = filtered_model();
        model.users.marked.insert(3);
        type_text(&mut model, "s");
        assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
    }

    #[test]
    fn a_view_of_one_user_acts_on_them_at_once() {
        let mut model = loaded_model(80, 24, 1);
        model.filters.search = "ali".into();
        type_text(&mut model, "s");
        assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
    }

    #[test]
    fn enter_on_the_offer_acts_on_the_selected_user_only() {
        let mut model = filtered_model();
        type_text(&mut model, "r");
        assert!(matches!(stage(&model), BulkStage::Offer));
        press(&mut model, KeyCode::Enter);
        assert!(matches!(model.mode, Mode::Picker(_)), "{:?}", model.mode);
    }

    #[test]
    fn many_users_take_the_typed_count_then_run_with_progress_and_stop() {
        let mut model = filtered_model();
        let users: Vec<User> = (1..=160).map(user).collect();
        let targets = confirm_with(&mut model, users);
        let count = targets.to_change.len();
        assert!(count > 100, "enough users to ask for the count: {count}");
        assert!(matches!(&model.mode, Mode::BulkQuery(query) if query.typing_count()));

        let cmds = press(&mut model, KeyCode::Enter);
        assert_eq!(
            run_request(&cmds),
            None,
            "nothing written before the count is typed"
        );
        type_text(&mut model, "99");
        assert_eq!(run_request(&press(&mut model, KeyCode::Enter)), None);
        assert!(matches!(
            stage(&model),
            BulkStage::Confirm { mismatch: true, .. }
        ));

        press(&mut model, KeyCode::Backspace);
        press(&mut model, KeyCode::Backspace);
        type_text(&mut model, &count.to_string());
        let (request, written) =
            run_request(&press(&mut model, KeyCode::Enter)).expect("the run starts");
        assert_eq!(written, count, "only the users not already so are written");

        let progress = bulk::Progress {
            done: 64,
            total: count,
            elapsed: Duration::from_secs(2),
        };
        update(&mut model, Msg::BulkProgressed { request, progress });
        assert!(
            matches!(stage(&model), BulkStage::Running { progress: shown, .. } if shown.done == 64)
        );

        let stop = press(&mut model, KeyCode::Esc);
        assert!(
            stop.iter()
                .any(|cmd| matches!(cmd, Cmd::StopBulk { request: r } if *r == request))
        );
        assert!(matches!(
            stage(&model),
            BulkStage::Running { stopping: true, .. }
        ));
        let again = press(&mut model, KeyCode::Esc);
        assert!(
            !again.iter().any(|cmd| matches!(cmd, Cmd::StopBulk { .. })),
            "asked once"
        );
    }

    #[test]
    fn a_few_users_are_confirmed_with_y_and_the_summary_names_failures() {
        let mut model = filtered_model();
        let targets = confirm_with(&mut model, (1..=6).map(user).collect());
        let (request, _) = run_request(&type_text(&mut model, "y")).expect("y says yes");
        let mut summary = Summary {
            done: targets.to_change.clone(),
            skipped: targets.already.clone(),
            ..Summary::default()
        };
        let failed = summary.done.pop().expect("one to fail");
        let failed_name = failed.username.clone();
        let refused = geobox_api::ApiError::Forbidden {
            message: "no".to_string(),
        };
        summary.failed.push((failed, refused.into()));
        let cmds = update(
            &mut model,
            Msg::BulkFinished {
                request,
                summary: Box::new(summary),
            },
        );
        assert!(matches!(model.mode, Mode::Normal));
        let banner = model.banner.clone().expect("a summary");
        assert!(banner.error);
        assert!(banner.text.contains("failed 1"), "{}", banner.text);
        assert!(banner.text.contains(&failed_name), "{}", banner.text);
        assert!(
            cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadUsers { .. })),
            "the table is read again"
        );
    }

    #[test]
    fn a_whole_view_change_is_one_journal_entry_with_a_change_per_user() {
        let mut model = filtered_model();
        let targets = confirm_with(&mut model, (1..=3).map(user).collect());
        let (request, _) = run_request(&type_text(&mut model, "y")).expect("y says yes");
        let changes: Vec<geobox_ops::journal::UserChange> = targets
            .to_change
            .iter()
            .map(|user| {
                geobox_ops::journal::UserChange::new(Some(user.id), Some(user.username.clone()))
            })
            .collect();
        let summary = Summary {
            done: targets.to_change.clone(),
            changes: changes.clone(),
            ..Summary::default()
        };
        let (cmds, entries) = finish(&mut model, request, summary);
        assert_eq!(entries.len(), 1, "one entry for the whole run: {cmds:?}");
        assert_eq!(entries[0].action, Action::BulkUpdate);
        assert_eq!(entries[0].changes, changes);
        assert_eq!(
            model.journal.this_run.len(),
            1,
            "shown in this run's journal"
        );
    }

    #[test]
    fn renewing_needs_no_value_and_esc_while_collecting_drops_the_read() {
        let mut model = filtered_model();
        type_text(&mut model, "P");
        let cmds = type_text(&mut model, "a");
        let request = cmds
            .iter()
            .find_map(|cmd| match cmd {
                Cmd::CollectMatching { request, .. } => Some(*request),
                _ => None,
            })
            .expect("renewing collects at once");
        let cmds = press(&mut model, KeyCode::Esc);
        assert!(matches!(model.mode, Mode::Normal));
        assert!(
            cmds.iter()
                .any(|cmd| matches!(cmd, Cmd::CancelRequest { request: r } if *r == request))
        );
    }

    // ---- `!` on the whole view ----

    fn lockdown_run(cmds: &[Cmd]) -> Option<(RequestId, Vec<i64>)> {
        cmds.iter().find_map(|cmd| match cmd {
            Cmd::RunBulk {
                request,
                targets,
                change: Change::Lockdown,
            } => Some((
                *request,
                targets.to_change.iter().map(|user| user.id).collect(),
            )),
            _ => None,
        })
    }

    #[test]
    fn bang_with_a_filter_offers_the_view_and_enter_keeps_to_the_selected_user() {
        let mut model = filtered_model();
        // User 1, selected first, is the signed-in admin.
        type_text(&mut model, "j!");
        assert!(
            matches!(&model.mode, Mode::BulkQuery(query)
                if query.action == BulkAction::Lockdown && matches!(query.stage, BulkStage::Offer)),
            "{:?}",
            model.mode
        );
        press(&mut model, KeyCode::Enter);
        assert!(
            matches!(&model.mode, Mode::Lockdown(dialog)
                if dialog.targets.len() == 1 && dialog.targets[0].id == 2),
            "the one-user dialog, as before: {:?}",
            model.mode
        );
    }

    #[test]
    fn bang_with_marks_locks_down_the_marked_users_as_before() {
        let mut model = filtered_model();
        model.users.marked.insert(3);
        type_text(&mut model, "!");
        assert!(matches!(model.mode, Mode::Lockdown(_)), "{:?}", model.mode);
    }

    #[test]
    fn a_whole_view_lockdown_collects_takes_the_typed_count_and_runs() {
        let mut model = filtered_model();
        let cmds = type_text(&mut model, "j!a");
        let targets = collected(&mut model, &cmds, (2..=161).map(user).collect());
        assert_eq!(
            targets.to_change.len(),
            160,
            "nobody is already locked down"
        );
        assert!(matches!(
            stage(&model),
            BulkStage::Confirm {
                change: Change::Lockdown,
                left_out: None,
                ..
            }
        ));
        assert!(
            lockdown_run(&press(&mut model, KeyCode::Enter)).is_none(),
            "above a hundred, the count is typed"
        );
        type_text(&mut model, "160");
        let (request, ids) =
            lockdown_run(&press(&mut model, KeyCode::Enter)).expect("the lockdown runs");
        assert_eq!(ids, (2..=161).collect::<Vec<i64>>());
        assert!(matches!(
            stage(&model),
            BulkStage::Running {
                change: Change::Lockdown,
                ..
            }
        ));

        let mut summary = Summary {
            done: targets.to_change.clone(),
            changes: targets
                .to_change
                .iter()
                .map(|user| geobox_ops::journal::UserChange::new(Some(user.id), None))
                .collect(),
            ..Summary::default()
        };
        let failed = summary.done.pop().expect("one to fail");
        let close_failed = geobox_ops::lockdown::StepDone {
            kind: geobox_ops::lockdown::StepKind::CloseSessions,
            outcome: Outcome::Error("server error (500)".to_string()),
            summary: String::new(),
            error: None,
        };
        let missed = geobox_ops::lockdown::LockdownError::Incomplete {
            failed: vec![close_failed],
        };
        assert_eq!(
            missed.to_string(),
            "not done: close sessions (error: server error (500))"
        );
        summary.failed.push((failed, missed.into()));
        let (cmds, entries) = finish(&mut model, request, summary);
        assert_eq!(entries.len(), 1, "one entry for the run");
        assert_eq!(entries[0].action, Action::Lockdown, "undone as a lockdown");
        assert_eq!(entries[0].changes.len(), 160);
        let banner = model.banner.clone().expect("a summary");
        assert!(
            banner.error && banner.text.contains("close sessions"),
            "{}",
            banner.text
        );
        assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadUsers { .. })));
    }

    #[test]
    fn the_signed_in_admin_is_left_out_of_a_whole_view_lockdown() {
        let mut model = filtered_model();
        let me = model.me.loaded().cloned().expect("signed in");
        let cmds = type_text(&mut model, "j!a");
        let targets = collected(&mut model, &cmds, vec![user(2), me.clone(), user(3)]);
        let ids: Vec<i64> = targets.to_change.iter().map(|user| user.id).collect();
        assert_eq!(ids, vec![2, 3]);
        assert!(
            matches!(stage(&model), BulkStage::Confirm { left_out: Some(name), .. } if *name == me.username),
            "the confirmation says so: {:?}",
            model.mode
        );
        let (_, ids) = lockdown_run(&type_text(&mut model, "y")).expect("a few: y is enough");
        assert!(!ids.contains(&me.id));
    }

    #[test]
    fn a_whole_view_lockdown_waits_to_know_who_is_signed_in() {
        let mut model = filtered_model();
        model.me = crate::console::model::Loadable::default();
        let cmds = type_text(&mut model, "j!a");
        assert!(
            !cmds
                .iter()
                .any(|cmd| matches!(cmd, Cmd::CollectMatching { .. })),
            "nothing collected"
        );
        assert!(matches!(model.mode, Mode::Normal));
        assert!(model.banner.as_ref().is_some_and(|banner| banner.error));
    }
}
