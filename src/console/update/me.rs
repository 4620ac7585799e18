//! The signed-in user: who the console acts as, and what their role allows.

use super::feedback::{explain, note_request};
use crate::api::User;
use crate::console::cmd::Cmd;
use crate::console::model::{LoadState, Model};
use crate::console::msg::Done;

pub(super) fn load_me(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let request = model.new_request();
    model.me.start(request);
    cmds.push(Cmd::LoadMe { request });
}

pub(super) fn on_me_loaded(model: &mut Model, done: Done<User>) {
    if !model.me.accept(&done) {
        return;
    }
    note_request(model, "GET users/me/", &done);
    match done.result {
        Ok(me) => {
            let cannot_manage = me.role.as_ref().is_some_and(|role| !role.manages_users());
            let role = me.role.clone();
            model.me.state = LoadState::Loaded(me);
            if cannot_manage && !model.explained_forbidden {
                model.explained_forbidden = true;
                let role = role.map(|role| role.to_string()).unwrap_or_default();
                model.inform(format!(
                        "Signed in as a {role}: this role cannot manage users, so lists may be short and changes refused."
                    ));
            }
        }
        Err(error) => {
            model.fail(format!(
                "Reading the signed-in user failed: {}",
                explain(&error)
            ));
            model.me.state = LoadState::Failed(error.to_string());
        }
    }
}
