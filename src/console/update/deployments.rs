//! Switching deployment without leaving: `C` lists the deployments (the config file's profiles,
//! the demo, the one shown), `⏎` signs in to one (after its password, when its profile names
//! none) and the console reloads on it, with the filters and selection it had there before.
//! `/` in the picker searches every deployment at once; `⏎` on a match goes to that
//! deployment with the user selected.

use tui_input::{Input, InputRequest};

use super::feedback::{explain, log_activity, succeed};
use super::list::reset_list_at;
use super::me::load_me;
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{
    DeploymentPicker, Filters, Focus, FoundUser, LoadState, Loadable, Mode, Model, Parked,
    PickerStage, SearchAcross, Switching, later,
};
use crate::console::msg::{Arrived, Done, FoundIn, RequestId};
use geobox_api::Secret;

fn picker_mut(model: &mut Model) -> Option<&mut DeploymentPicker> {
    match &mut model.mode {
        Mode::Deployments(picker) => Some(picker),
        _ => None,
    }
}

/// `C`: the deployments, the one shown highlighted.
pub(super) fn open(model: &mut Model, env: &Env) {
    model.elsewhere.signed_in.insert(env.deployment.clone());
    let cursor = env
        .deployments
        .iter()
        .position(|deployment| deployment.name == env.deployment)
        .unwrap_or(0);
    model.mode = Mode::Deployments(Box::new(DeploymentPicker {
        cursor,
        ..DeploymentPicker::default()
    }));
}

pub(super) fn step(model: &mut Model, env: &Env, delta: i8) {
    let Some(picker) = picker_mut(model) else {
        return;
    };
    let count = match &picker.stage {
        PickerStage::List => env.deployments.len(),
        PickerStage::Search(search) if !search.typing => search.matches().len(),
        _ => return,
    };
    let cursor = match &mut picker.stage {
        PickerStage::Search(search) => &mut search.cursor,
        _ => &mut picker.cursor,
    };
    let last = count.saturating_sub(1) as i64;
    *cursor = (*cursor as i64 + i64::from(delta)).clamp(0, last) as usize;
}

/// `/` in the picker: a term to look for on every deployment.
pub(super) fn open_search(model: &mut Model) {
    if let Some(picker) = picker_mut(model) {
        picker.error = None;
        picker.stage = PickerStage::Search(SearchAcross {
            typing: true,
            ..SearchAcross::default()
        });
    }
}

pub(super) fn edit_input(model: &mut Model, request: InputRequest) {
    let Some(picker) = picker_mut(model) else {
        return;
    };
    let input = match &mut picker.stage {
        PickerStage::Password { input, .. } => input,
        PickerStage::Search(search) if search.typing => &mut search.input,
        PickerStage::Search(search) => {
            // Typing again on the matches starts a new search from the term.
            search.typing = true;
            &mut search.input
        }
        PickerStage::List | PickerStage::SigningIn { .. } => return,
    };
    input.handle(request);
}

/// Esc: back from the password or the search to the list; from the list, close.
pub(super) fn close(model: &mut Model) {
    let Some(picker) = picker_mut(model) else {
        return;
    };
    match picker.stage {
        PickerStage::Password { .. } | PickerStage::Search(_) => {
            picker.stage = PickerStage::List;
            picker.error = None;
        }
        PickerStage::List | PickerStage::SigningIn { .. } => {
            // An answer still awaited is no longer wanted: the admin stays where they are.
            model.elsewhere.switching = None;
            model.mode = Mode::Normal;
        }
    }
}

/// What ⏎ does in the picker, worked out before anything changes.
enum Next {
    GoTo(String, Option<FoundUser>),
    SignIn(String, Secret, Option<FoundUser>),
    Search(String),
    Nothing,
}

/// ⏎: go to the highlighted deployment, send the password typed, run the search typed, or
/// go to the highlighted match.
pub(super) fn choose(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let Some(picker) = picker_mut(model) else {
        return;
    };
    let next = match &mut picker.stage {
        PickerStage::List => env
            .deployments
            .get(picker.cursor)
            .map_or(Next::Nothing, |d| Next::GoTo(d.name.clone(), None)),
        // An empty password is not sent: the server would only refuse it.
        PickerStage::Password { input, .. } if input.value().is_empty() => Next::Nothing,
        PickerStage::Password {
            deployment,
            input,
            then,
        } => Next::SignIn(deployment.clone(), Secret::new(input.value()), then.take()),
        PickerStage::SigningIn { .. } => Next::Nothing,
        PickerStage::Search(search) if search.typing => {
            let term = search.input.value().trim().to_string();
            if term.is_empty() {
                Next::Nothing
            } else {
                Next::Search(term)
            }
        }
        PickerStage::Search(search) => {
            let term = search.input.value().trim().to_string();
            search
                .matches()
                .get(search.cursor)
                .map_or(Next::Nothing, |(deployment, user)| {
                    let found = FoundUser {
                        deployment: deployment.to_string(),
                        user_id: user.id,
                        term,
                    };
                    Next::GoTo(found.deployment.clone(), Some(found))
                })
        }
    };
    match next {
        Next::GoTo(name, then) => go_to(model, env, name, then, cmds),
        Next::SignIn(name, password, then) => sign_in(model, name, Some(password), then, cmds),
        Next::Search(term) => {
            let request = model.new_request();
            if let Some(PickerStage::Search(search)) = picker_mut(model).map(|p| &mut p.stage) {
                search.typing = false;
                search.cursor = 0;
                search.found.clear();
                search.request = Some(request);
            }
            cmds.push(Cmd::FindEverywhere { request, term });
        }
        Next::Nothing => {}
    }
}

/// Goes to `name` (with `then` selected once there): at once when it is the deployment shown,
/// after its password when it asks for one, else by signing in.
fn go_to(model: &mut Model, env: &Env, name: String, then: Option<FoundUser>, cmds: &mut Vec<Cmd>) {
    if name == env.deployment {
        model.mode = Mode::Normal;
        if let Some(found) = then {
            show_found(model, &found, cmds);
        }
        return;
    }
    let Some(deployment) = env.deployments.iter().find(|d| d.name == name) else {
        return;
    };
    let refusal = deployment.problem.clone().or_else(|| {
        (!model.actions_in_flight.is_empty() || model.progress.is_some()).then(|| {
            "changes are still being sent here: switching waits until they are answered".to_string()
        })
    });
    let asks = deployment.asks_password && !model.elsewhere.signed_in.contains(&name);
    let Some(picker) = picker_mut(model) else {
        return;
    };
    if let Some(why) = refusal {
        picker.error = Some(format!("{name}: {why}"));
        return;
    }
    picker.error = None;
    if asks {
        picker.stage = PickerStage::Password {
            deployment: name,
            input: Input::default(),
            then,
        };
        return;
    }
    sign_in(model, name, None, then, cmds);
}

fn sign_in(
    model: &mut Model,
    deployment: String,
    password: Option<Secret>,
    then: Option<FoundUser>,
    cmds: &mut Vec<Cmd>,
) {
    let request = model.new_request();
    if let Some(picker) = picker_mut(model) {
        picker.stage = PickerStage::SigningIn {
            deployment: deployment.clone(),
        };
    }
    model.elsewhere.switching = Some(Switching {
        request,
        deployment: deployment.clone(),
        then,
    });
    cmds.push(Cmd::SignIn {
        request,
        deployment,
        password,
    });
}

/// The sign-in came back: on success the console moves there; on failure the picker says why
/// (and asks for the password again when it was typed).
pub(super) fn on_signed_in(
    model: &mut Model,
    env: &Env,
    deployment: String,
    done: Done<Arrived>,
    cmds: &mut Vec<Cmd>,
) {
    let awaited = model
        .elsewhere
        .switching
        .as_ref()
        .is_some_and(|switching| switching.request == done.request);
    let Some(switching) = model.elsewhere.switching.take().filter(|_| awaited) else {
        return;
    };
    match done.result {
        Ok(arrived) => {
            model.elsewhere.signed_in.insert(deployment.clone());
            arrive(model, env, switching, arrived, cmds);
        }
        Err(error) => {
            let text = format!("Signing in to {deployment} failed: {}", explain(&error));
            log_activity(model, text.clone(), false, cmds);
            // A password is asked again only when it may be what failed, not when the
            // deployment could not be reached.
            let asks = env
                .deployments
                .iter()
                .any(|d| d.name == deployment && d.asks_password)
                && !matches!(
                    error,
                    geobox_api::ApiError::Connection { .. } | geobox_api::ApiError::Timeout { .. }
                );
            match picker_mut(model) {
                Some(picker) => {
                    picker.error = Some(text);
                    picker.stage = if asks {
                        PickerStage::Password {
                            deployment,
                            input: Input::default(),
                            then: switching.then,
                        }
                    } else {
                        PickerStage::List
                    };
                }
                None => model.fail(text),
            }
        }
    }
}

/// Leaves the deployment shown (what it shows is kept for later) and shows `switching`'s: as
/// it was left there, or fresh, with the found user selected when there is one.
fn arrive(
    model: &mut Model,
    env: &Env,
    switching: Switching,
    arrived: Arrived,
    cmds: &mut Vec<Cmd>,
) {
    let leaving = Parked {
        filters: std::mem::take(&mut model.filters),
        selected: model.users.selected,
        offset: model.users.offset,
        selected_id: model.users.selected_user().map(|user| user.id),
        activity: std::mem::take(&mut model.activity),
        this_run: std::mem::take(&mut model.journal.this_run),
    };
    model
        .elsewhere
        .parked
        .insert(env.deployment.clone(), leaving);
    let name = switching.deployment;
    let back = model.elsewhere.parked.remove(&name).unwrap_or_default();
    model.filters = back.filters;
    model.activity = back.activity;
    model.journal.this_run = back.this_run;
    model.mode = Mode::Normal;
    model.focus = Focus::Table;
    model.banner = None;
    model.last_request = None;
    model.progress = None;
    model.sessions = Default::default();
    model.plans = Loadable::default();
    model.connection = Default::default();
    model.query_bar = Default::default();
    model.cql_server_error = None;
    model.explained_forbidden = false;
    model.mark_anchor = None;
    model.address_sweep = None;
    model.settle_for = None;
    model.users.marked.clear();
    let username = arrived.me.username.clone();
    model.me = Loadable {
        state: LoadState::Loaded(arrived.me),
        request: None,
    };
    // The runner and the surroundings switch first, so every request below goes there.
    cmds.push(Cmd::UseDeployment {
        deployment: name.clone(),
        api_base: arrived.api_base.clone(),
    });
    model.pending_select = back.selected_id;
    let (selected, offset) = (back.selected, back.offset);
    match switching.then {
        Some(found) => {
            model.filters = Filters {
                search: found.term.clone(),
                ..Filters::default()
            };
            model.pending_select = Some(found.user_id);
            reset_list_at(model, cmds, 0, 0);
        }
        None => reset_list_at(model, cmds, selected, offset),
    }
    // Read again for what the role allows (a role that cannot list users sees itself).
    load_me(model, cmds);
    model.live.next_at = model.live.on.then(|| later(model.now, model.live.every));
    let host = env
        .deployments
        .iter()
        .find(|d| d.name == name)
        .map_or_else(String::new, |d| {
            if d.is_demo() {
                crate::console::env::demo_host(&arrived.api_base)
            } else {
                d.host.clone()
            }
        });
    succeed(model, format!("On {name} ({host}) as {username}"), cmds);
}

/// A match on the deployment shown: its table opens on the term, the user selected.
fn show_found(model: &mut Model, found: &FoundUser, cmds: &mut Vec<Cmd>) {
    model.filters = Filters {
        search: found.term.clone(),
        ..std::mem::take(&mut model.filters)
    };
    model.pending_select = Some(found.user_id);
    reset_list_at(model, cmds, 0, 0);
}

/// The search across deployments came back.
pub(super) fn on_found(model: &mut Model, request: RequestId, found: Vec<FoundIn>) {
    let Some(picker) = picker_mut(model) else {
        return;
    };
    if let PickerStage::Search(search) = &mut picker.stage
        && search.request == Some(request)
    {
        search.request = None;
        search.found = found;
        search.cursor = 0;
    }
}
