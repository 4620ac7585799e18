//! The signed-in user: who the console acts as, and what their role allows.

use super::feedback::{explain, note_request};
use super::sessions::schedule_sessions;
use crate::console::cmd::Cmd;
use crate::console::model::{LoadState, Model};
use crate::console::msg::Done;
use geobox_api::User;

pub(super) fn load_me(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.me.start(request);
    cmds.push(Cmd::LoadMe { request });
}

pub(super) fn on_me_loaded(model: &mut Model, done: Done<User>, cmds: &mut Vec<Cmd>) {
    if !model.me.accept(&done) {
        return;
    }
    note_request(model, "GET users/me/", &done);
    match done.result {
        Ok(me) => {
            let cannot_manage = me.role.as_ref().is_some_and(|role| !role.manages_users());
            let role = me.role.clone();
            if cannot_manage {
                show_only_me(model, &me, cmds);
            }
            model.me.state = LoadState::Loaded(me);
            // Said even when a refused list already explained itself: this replaces that error.
            if cannot_manage {
                model.explained_forbidden = true;
                let role = role.map(|role| role.to_string()).unwrap_or_default();
                model.note(format!(
                    "Signed in as a {role}: this role cannot list other users, so the table shows you and your sessions."
                ));
            }
        }
        Err(error) => {
            model.fail(format!(
                "Reading the signed-in user failed: {}",
                explain(&error)
            ));
            // A failed reload (offline, say) does not change who is signed in: the title bar
            // and the role's keys stay as they were.
            if model.me.loaded().is_none() {
                model.me.state = LoadState::Failed(error.to_string());
            }
        }
    }
}

/// A role that cannot list users sees itself (`users/me/`) and its own sessions, which the
/// API allows, instead of a list that never loads.
fn show_only_me(model: &mut Model, me: &User, cmds: &mut Vec<Cmd>) {
    let list = &mut model.users;
    list.pending.clear();
    list.count_request = None;
    list.error = None;
    list.pages.clear();
    list.pages.insert(0, vec![me.clone()]);
    list.total = Some(1);
    list.selected = 0;
    list.offset = 0;
    schedule_sessions(model, cmds);
}
