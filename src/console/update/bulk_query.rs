//! Acting on every user the filter matches: with a filter on and nothing marked, `s`, `r`,
//! `P` and `!` offer "all N users matching this view"; under a plain search they act on the
//! selected user, and `a` in their dialog turns to every match. The users are collected first
//! (every page, by id), then a confirmation shows what would change and who is left out (the
//! signed-in admin when it would shut them out, users the signed-in role may not change); the
//! count is typed above a hundred. The runner writes in batches and reports progress; Esc
//! stops after the current batch.

use std::collections::BTreeMap;

use tui_input::{Input, InputRequest};

use super::actions::{open_role_picker, open_status_picker, request_renew, users_word};
use super::feedback::{action_allowed, explain, log_activity, refuse_write_offline};
use super::guards::harm_of_change;
use super::list::refresh_list;
use super::lockdown;
use super::record::record;
use super::sessions::load_sessions;
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{
    BulkAction, BulkQuery, BulkStage, Confirm, Mode, Model, PickerKind, needs_typed_count, view_of,
};
use crate::console::msg::{Done, RequestId};
use crate::console::wrap::step_wrapping;
use geobox_api::{User, UserRole, UserStatus};
use geobox_ops::bulk::{self, Change, Summary, Targets};
use geobox_ops::journal::{Action, Outcome};
use geobox_ops::safety::{SignedIn, WithoutSelf, grant_warning};

pub(super) fn offer(model: &mut Model, action: BulkAction) {
    if !action_allowed(model) {
        return;
    }
    model.mode = Mode::BulkQuery(query_at(model, action, BulkStage::Offer));
}

/// `a` in a dialog about the selected user (the status or role picker, the renewal, the
/// lockdown): the same change for every user the view matches instead.
pub(super) fn widen(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if !model.may_widen_to_view() {
        return;
    }
    let action = match &model.mode {
        Mode::Picker(picker) if picker.targets.len() == 1 => match picker.kind {
            PickerKind::Status => BulkAction::Status,
            PickerKind::Role => BulkAction::Role,
        },
        Mode::Confirm(confirm) if matches!(**confirm, Confirm::RenewPlan { .. }) => {
            BulkAction::Renew
        }
        Mode::Lockdown(dialog) if dialog.is_asking() => BulkAction::Lockdown,
        _ => return,
    };
    model.mode = Mode::BulkQuery(query_at(model, action, BulkStage::Offer));
    choose_whole_query(model, cmds);
}

/// `a` in the offer: every matching user. Renewing and locking down need no value, so they
/// collect at once.
pub(super) fn choose_whole_query(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let caller = model.my_role().cloned();
    // Who is signed in decides who is left out; without it known, they could be shut out.
    let known = model.signed_in().is_some();
    let Mode::BulkQuery(query) = &mut model.mode else {
        return;
    };
    if !matches!(query.stage, BulkStage::Offer) {
        return;
    }
    if !known {
        model.mode = Mode::Normal;
        model.fail(
            "Nothing changed: who is signed in is not known yet, so they could not be left \
             out (R reloads)"
                .to_string(),
        );
        return;
    }
    let choices: Vec<Change> = match query.action {
        BulkAction::Status => UserStatus::ALL
            .iter()
            .cloned()
            .map(Change::Status)
            .collect(),
        BulkAction::Role => UserRole::ALL
            .iter()
            .filter(|role| role.grantable_by(caller.as_ref()))
            .cloned()
            .map(Change::Role)
            .collect(),
        BulkAction::Renew => {
            collect(model, Change::RenewPlan, cmds);
            return;
        }
        BulkAction::Lockdown => {
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
            notes,
            warnings,
            ..
        } => {
            let count = targets.to_change.len();
            if count == 0 {
                // Everyone matching is already so, or left out: there is nothing to write.
                model.note(format!("Nothing changed: {}", notes.join("; ")));
                return;
            }
            if needs_typed_count(&targets) && typed.value().trim() != count.to_string() {
                let stage = BulkStage::Confirm {
                    change,
                    targets,
                    typed,
                    mismatch: true,
                    notes,
                    warnings,
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
    let change = match &model.mode {
        Mode::BulkQuery(query) => match &query.stage {
            BulkStage::Collecting {
                request: awaited,
                change,
            } if *awaited == request => change.clone(),
            _ => return,
        },
        _ => return,
    };
    let (users, me) = match (done.result, model.signed_in()) {
        (Ok(users), Some(me)) => (users, me),
        (Ok(_), None) => {
            model.mode = Mode::Normal;
            model.fail("Nothing changed: who is signed in is no longer known (R reloads)");
            return;
        }
        (Err(error), _) => {
            model.mode = Mode::Normal;
            let text = format!(
                "Reading the users matching this view failed: {}",
                explain(&error)
            );
            log_activity(model, text.clone(), false, cmds);
            model.fail(text);
            return;
        }
    };
    let (targets, notes, warnings) = weigh(&me, users, &change);
    if let Mode::BulkQuery(query) = &mut model.mode {
        query.stage = BulkStage::Confirm {
            change,
            targets,
            typed: Input::default(),
            mismatch: false,
            notes,
            warnings,
        };
    }
}

/// The users a whole-view change writes, with what the confirmation must say first: who is
/// left out (users the signed-in role may not change; the signed-in admin, when the change
/// would shut them out) and the `⚠` of admin rights granted.
fn weigh(me: &SignedIn, users: Vec<User>, change: &Change) -> (Targets, Vec<String>, Vec<String>) {
    let actor = me.actor();
    let mut denied: BTreeMap<&'static str, usize> = BTreeMap::new();
    let allowed: Vec<User> = users
        .into_iter()
        .filter(
            |user| match actor.may_administer(user.id, user.role.as_ref()) {
                Ok(()) => true,
                Err(why) => {
                    *denied.entry(why.reason()).or_default() += 1;
                    false
                }
            },
        )
        .collect();
    let mut notes: Vec<String> = denied
        .into_iter()
        .map(|(why, count)| format!("{} left out: {why}", users_word(count)))
        .collect();
    // A renewal adds a plan's days: users with no plan, or a plan that names no days (it
    // does not expire), would only be refused, so they are left out.
    let renewable = |user: &User| user.plan.as_ref().and_then(|plan| plan.number_of_days);
    let (allowed, planless): (Vec<User>, Vec<User>) = allowed
        .into_iter()
        .partition(|user| *change != Change::RenewPlan || renewable(user).is_some());
    let (no_plan, no_days) = planless
        .iter()
        .partition::<Vec<&User>, _>(|user| user.plan.is_none());
    if !no_plan.is_empty() {
        notes.push(format!(
            "{} left out: no plan to renew",
            users_word(no_plan.len())
        ));
    }
    if !no_days.is_empty() {
        notes.push(format!(
            "{} left out: their plan names no days, so it does not expire",
            users_word(no_days.len())
        ));
    }
    let split = WithoutSelf::of(allowed, me, |me, user| harm_of_change(me, user, change));
    notes.extend(split.note());
    let targets = Targets::split(split.users, change);
    let mut warnings = Vec::new();
    if let Change::Role(role) = change {
        let to_change = targets.to_change.iter();
        warnings.extend(grant_warning(
            role,
            to_change.map(|user| (user.role.as_ref(), user.username.as_str())),
        ));
    }
    (targets, notes, warnings)
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
    // Disabling closes a user's sessions on the server, as a lockdown does.
    let sessions_closed = locked_down || change == Some(Change::Status(UserStatus::Disabled));
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
            " · first failure {}: {reason} (A: the activity log lists each)",
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
    // The pane shows what is left open of the selected user (nothing, when they were shut).
    if sessions_closed && let Some(user_id) = model.sessions.user_id {
        load_sessions(model, user_id, cmds);
    }
}
