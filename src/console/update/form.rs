//! The edit and create forms: opening them, stepping choices, saving with the stale-data
//! guard, and the undo a save leaves behind.

use tui_input::InputRequest;

use super::feedback::{
    OFFLINE_WRITE, action_allowed, action_answered, explain, note_request, report, succeed,
};
use super::guards::{OWN_ACCOUNT, refused};
use super::list::refresh_list;
use super::record::{about, changed, record_user, tried};
use super::sessions::reload_sessions_if_disabled;
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::form::{Field, UserForm, same_editable_fields};
use crate::console::model::{AfterSelfHarm, Confirm, LoadState, Mode, Model, Needs, Sort};
use crate::console::msg::Done;
use geobox_api::{Plan, User, UserStatus};
use geobox_ops::journal::{Action, Outcome, UserChange, Values};
use geobox_ops::safety::{grant_warning, self_harm_of_update};

pub(super) fn open_create_form(model: &mut Model) {
    if action_allowed(model) {
        let mut form = UserForm::create();
        form.granter = model.my_role().cloned();
        model.mode = Mode::Form(Box::new(form));
    }
}

pub(super) fn cycle_form_choice(model: &mut Model, step: i8) {
    if let Mode::Form(form) = &mut model.mode {
        if form.focused().is_choice() {
            form.cycle(step);
        } else {
            form.edit_text(if step >= 0 {
                InputRequest::GoToNextChar
            } else {
                InputRequest::GoToPrevChar
            });
        }
    }
}

pub(super) fn advance(model: &mut Model) {
    if let Mode::Form(form) = &mut model.mode {
        if form.focused().is_choice() {
            form.cycle(1);
        } else {
            form.step_focus(true);
        }
    }
}

pub(super) fn on_plans_loaded(model: &mut Model, done: Done<Vec<Plan>>, cmds: &mut Vec<Cmd>) {
    if !model.plans.accept(&done) {
        return;
    }
    note_request(model, "GET plans/", &done);
    model.plans.state = match done.result {
        Ok(plans) => {
            if let Mode::Form(form) = &mut model.mode {
                form.set_plans(&plans);
            }
            LoadState::Loaded(plans)
        }
        Err(error) => {
            report(model, "Loading plans", &error, cmds);
            LoadState::Failed(error.to_string())
        }
    };
}

/// The server's copy arrived before a save: the save goes ahead when it still agrees with the
/// copy the form opened on; otherwise it is held back, the form now compares against the
/// server's values, and saving again overwrites them.
pub(super) fn on_read_before_save(
    model: &mut Model,
    env: &Env,
    done: Done<User>,
    cmds: &mut Vec<Cmd>,
) {
    let request = done.request;
    let Mode::Form(form) = &mut model.mode else {
        model.actions_in_flight.remove(&request);
        return;
    };
    if form.saving != Some(request) {
        model.actions_in_flight.remove(&request);
        return;
    }
    let current = match done.result {
        Ok(current) => current,
        Err(error) => {
            // Answered like a failed save: the form stays with everything typed.
            on_user_saved(
                model,
                env,
                false,
                Done {
                    request,
                    took: done.took,
                    result: Err(error),
                },
                cmds,
            );
            return;
        }
    };
    let unchanged = form
        .original
        .as_ref()
        .is_some_and(|original| same_editable_fields(original, &current));
    if unchanged {
        // The same request goes on: it stays in flight until the save answers.
        cmds.push(Cmd::SaveUser {
            request,
            user_id: current.id,
            update: form.update(),
        });
        return;
    }
    form.saving = None;
    form.original = Some(current);
    form.failure = Some(
        "Changed on the server since the form opened: the changes shown are now against its values. Ctrl-S again saves yours."
            .to_string(),
    );
    model.actions_in_flight.remove(&request);
}

pub(super) fn open_edit_form(model: &mut Model, cmds: &mut Vec<Cmd>) {
    if !action_allowed(model) {
        return;
    }
    let Some(user) = model.users.selected_user().cloned() else {
        return;
    };
    if refused(model, "Editing", Needs::Change, &[user.id]) {
        return;
    }
    let plans = model.plans.loaded().cloned().unwrap_or_default();
    let mut form = UserForm::edit(&user, &plans);
    form.granter = model.my_role().cloned();
    model.mode = Mode::Form(Box::new(form));
    if model.plans.loaded().is_none() && !model.plans.is_loading() {
        let request = model.new_request();
        model.plans.start(request);
        cmds.push(Cmd::LoadPlans { request });
    }
}

pub(super) fn save_form(model: &mut Model, cmds: &mut Vec<Cmd>) {
    // The form leaves the mode while its command is built, so the model is free to hand out
    // the request id; it goes back (or behind a confirmation) whatever happens.
    let mut form = match std::mem::take(&mut model.mode) {
        Mode::Form(form) => form,
        other => {
            model.mode = other;
            return;
        }
    };
    if !ready_to_save(model, &mut form) {
        model.mode = Mode::Form(form);
        return;
    }
    match ask_before_saving(model, &form) {
        Ok(None) => resume_save(model, form, cmds),
        Ok(Some(ask)) => model.mode = Mode::Confirm(Box::new(ask(form))),
        Err(why) => {
            form.failure = Some(why);
            model.mode = Mode::Form(form);
        }
    }
}

/// Saves a form that was asked about (or needed no asking): it goes back on screen, saving.
pub(super) fn resume_save(model: &mut Model, mut form: Box<UserForm>, cmds: &mut Vec<Cmd>) {
    if ready_to_save(model, &mut form) {
        cmds.push(start_save(model, &mut form));
    }
    model.mode = Mode::Form(form);
}

/// A confirmation in front of a form, once the form is handed to it.
type Ask = Box<dyn FnOnce(Box<UserForm>) -> Confirm>;

/// What a save must ask first: a typed confirmation when it would disable or demote the
/// signed-in admin, a warning when it gives admin rights or changes their own role or status.
/// An error when who is signed in is not known and the save changes a role or status.
fn ask_before_saving(model: &Model, form: &UserForm) -> Result<Option<Ask>, String> {
    let update = form.update();
    let (target, before_role) = match &form.original {
        Some(user) => (Some(user.id), user.role.as_ref()),
        None => (None, None),
    };
    let privileged = form.is_create() || update.role.is_some() || update.status.is_some();
    let me = match model.signed_in() {
        Some(me) => me,
        None if !privileged => return Ok(None),
        None => {
            return Err(
                "Not saved: who is signed in is not known yet, so the console cannot \
                        tell whether this shuts you out (R reloads). Everything typed stays here."
                    .to_string(),
            );
        }
    };
    if let Some(id) = target
        && let Some(harm) = self_harm_of_update(&me, id, &update)
    {
        return Ok(Some(Box::new(move |form| Confirm::SelfHarm {
            harm,
            typed: tui_input::Input::default(),
            mismatch: false,
            then: AfterSelfHarm::Save(form),
        })));
    }
    let mut warnings = Vec::new();
    if target == Some(me.id) && (update.role.is_some() || update.status.is_some()) {
        warnings.push(OWN_ACCOUNT.to_string());
    }
    let granted = if form.is_create() {
        form.role.clone()
    } else {
        update.role.clone()
    };
    if let Some(role) = granted {
        let name = form.value(Field::Username).trim().to_string();
        warnings.extend(grant_warning(&role, [(before_role, name.as_str())]));
    }
    if warnings.is_empty() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |form| Confirm::SaveForm {
        form,
        warnings,
    })))
}

/// Whether the form may be sent: every field checks out, something changed, nothing is in
/// flight, and the server answers; otherwise the form says why.
fn ready_to_save(model: &Model, form: &mut UserForm) -> bool {
    if form.saving.is_some() {
        return false;
    }
    if model.connection.is_offline() {
        form.failure = Some(format!("{OFFLINE_WRITE}. Everything typed stays here."));
        return false;
    }
    if !form.check_all() {
        form.failure = Some("Fix the marked fields first".to_string());
        return false;
    }
    if form.original.is_some() && form.update().is_empty() {
        form.failure = Some("Nothing changed".to_string());
        return false;
    }
    form.failure = None;
    true
}

/// The command that saves the form: a read first for an edit (to catch changes made since it
/// opened), the create itself for a new user.
fn start_save(model: &mut Model, form: &mut UserForm) -> Cmd {
    model.start_action(None, |request| {
        form.saving = Some(request);
        match &form.original {
            Some(original) => Cmd::ReadBeforeSave {
                request,
                user_id: original.id,
            },
            None => Cmd::CreateUser {
                request,
                new_user: form.new_user(),
            },
        }
    })
}

pub(super) fn on_user_saved(
    model: &mut Model,
    env: &Env,
    created: bool,
    done: Done<User>,
    cmds: &mut Vec<Cmd>,
) {
    action_answered(
        model,
        if created {
            "POST users/"
        } else {
            "PUT users/{id}/"
        },
        &done,
    );
    let ours = matches!(&model.mode, Mode::Form(form) if form.saving == Some(done.request));
    journal_save(model, env, created, ours, &done, cmds);
    match done.result {
        Ok(user) => {
            model.users.in_flight_edits.remove(&user.id);
            let mut changed = String::new();
            if ours && let Mode::Form(form) = std::mem::take(&mut model.mode) {
                changed = form
                    .changes()
                    .iter()
                    .map(|(field, _, _)| field.label())
                    .collect::<Vec<_>>()
                    .join(", ");
            }
            if created {
                succeed(
                    model,
                    format!("Created {} (id {})", user.username, user.id),
                    cmds,
                );
                model.pending_select = Some(user.id);
                // In the default order a new user is the last one.
                let default_order =
                    model.filters.chips().is_empty() && model.filters.sort == Sort::default();
                refresh_list(model, cmds);
                if default_order {
                    model.users.jump_to_end = true;
                }
            } else {
                let mut text = if changed.is_empty() {
                    format!("Saved {}", user.username)
                } else {
                    format!("Saved {}: {changed}", user.username)
                };
                text.push_str(" · u undo");
                let id = user.id;
                let disabled = user.status == Some(UserStatus::Disabled);
                let mut was_disabled = false;
                if let Some((_, row)) = model.users.find(id) {
                    was_disabled = row.status == Some(UserStatus::Disabled);
                }
                model.users.put(&user);
                reload_sessions_if_disabled(model, id, disabled && !was_disabled, cmds);
                succeed(model, text, cmds);
            }
        }
        Err(error) => {
            if ours && let Mode::Form(form) = &mut model.mode {
                form.saving = None;
                if !form.place_server_errors(&error) {
                    form.failure = Some(explain(&error));
                }
            }
            let what = if created {
                "Creating the user"
            } else {
                "Saving the user"
            };
            report(model, what, &error, cmds);
        }
    }
}

/// A save or create as a journal entry: every field of a created user, exactly the fields a
/// save changed (from the form's original, or the row when an undo saved), or what it tried.
fn journal_save(
    model: &mut Model,
    env: &Env,
    created: bool,
    ours: bool,
    done: &Done<User>,
    cmds: &mut Vec<Cmd>,
) {
    let form = match &model.mode {
        Mode::Form(form) if ours => Some(form.as_ref()),
        _ => None,
    };
    let original = form.and_then(|form| form.original.as_ref());
    let (action, written) = match (&done.result, created) {
        (Ok(user), true) => (
            Action::Create,
            about(user.id, user.username.clone()).values(Values::default(), Values::of_user(user)),
        ),
        (Ok(user), false) => {
            let before = original.or_else(|| model.users.find(user.id).map(|(_, row)| row));
            let written = match before {
                Some(before) => changed(before, user),
                None => about(user.id, user.username.clone()),
            };
            (Action::Update, written)
        }
        (Err(_), true) => (
            Action::Create,
            UserChange::new(None, form.map(|form| form.new_user().username)),
        ),
        (Err(_), false) => match (form, original) {
            (Some(form), Some(original)) => (
                Action::Update,
                tried(
                    original.id,
                    Some(original),
                    Values::of_update(&form.update()),
                ),
            ),
            _ => (Action::Update, UserChange::new(None, None)),
        },
    };
    let outcome = Outcome::of(&done.result);
    record_user(model, env, action, written, outcome, cmds);
}
