//! The edges an admin meets after the main path: the sessions pane after a disable, the
//! banners and their words, the filter panel's clear, the counts of a bulk change, and the
//! like.

use super::*;
use geobox_api::User;

fn loads_sessions_of(cmds: &[Cmd], id: i64) -> bool {
    cmds.iter()
        .any(|cmd| matches!(cmd, Cmd::LoadSessions { user_id, .. } if *user_id == id))
}

fn disabled(id: i64) -> User {
    let mut user = crate::console::fixtures::user(id);
    user.status = Some(UserStatus::Disabled);
    user
}

#[test]
fn after_a_disable_the_sessions_pane_is_read_again() {
    let mut model = loaded_model(160, 45, 50);
    // User 5 is Active; its sessions are in the pane once the selection rests.
    let cmds = type_keys(&mut model, "jjjj");
    settle(&mut model, &FakeServer::new(50), cmds);
    assert_eq!(model.sessions.user_id, Some(5));
    type_keys(&mut model, "sj");
    let cmds = update(&mut model, key(KeyCode::Enter));
    let Some(Cmd::QuickEdit { request, .. }) = cmds.first() else {
        panic!("an edit: {cmds:?}");
    };
    let cmds = update(
        &mut model,
        Msg::UserUpdated {
            user_id: 5,
            change: QuickChange::Status(UserStatus::Disabled),
            done: Done {
                request: *request,
                took: Default::default(),
                result: Ok(disabled(5)),
            },
        },
    );
    assert!(
        loads_sessions_of(&cmds, 5),
        "the server closed them: the pane asks again, {cmds:?}"
    );
    assert!(matches!(model.sessions.list.state, LoadState::Loading));
}

#[test]
fn a_form_save_that_disables_reads_the_sessions_again() {
    let mut model = loaded_model(160, 45, 50);
    model.plans.state = LoadState::Loaded(Vec::new());
    let cmds = type_keys(&mut model, "jjjj");
    settle(&mut model, &FakeServer::new(50), cmds);
    type_keys(&mut model, "e");
    let request = match update(&mut model, ctrl('s')).as_slice() {
        [] => {
            // Nothing changed yet: set the status.
            while !matches!(&model.mode, Mode::Form(form)
                if form.focused() == crate::console::form::Field::Status)
            {
                update(&mut model, key(KeyCode::Tab));
            }
            update(&mut model, key(KeyCode::Right));
            let cmds = update(&mut model, ctrl('s'));
            let Some(Cmd::ReadBeforeSave { request, .. }) = cmds.first() else {
                panic!("a save: {cmds:?}");
            };
            *request
        }
        other => panic!("nothing to save yet: {other:?}"),
    };
    let cmds = update(
        &mut model,
        Msg::UserSaved {
            created: false,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(disabled(5)),
            },
        },
    );
    assert!(loads_sessions_of(&cmds, 5), "{cmds:?}");
}
