//! `!`: one confirmation, one lockdown per user through the shared library, each user's steps
//! shown and journaled, and the signed-in user refused.

use super::*;
use geobox_ops::journal::{Action, Entry};

fn lockdowns(cmds: &[Cmd]) -> Vec<(RequestId, i64, bool)> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::Lockdown { request, lockdown } => {
                Some((*request, lockdown.user_id, lockdown.reset_password))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_signed_in_user_is_refused() {
    let mut model = loaded_model(160, 45, 50);
    // User 1 is the signed-in admin.
    let cmds = type_keys(&mut model, "!");
    assert!(cmds.is_empty());
    assert!(matches!(model.mode, Mode::Normal));
    assert!(model.banner.as_ref().is_some_and(|banner| banner.error
        && banner.text.contains("this would lock you down")
        && banner.text.contains("could not sign in again")));
}

#[test]
fn marked_users_are_locked_down_after_one_confirmation_with_a_new_password() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "j  ");
    assert_eq!(model.users.marked.len(), 2);
    assert!(
        type_keys(&mut model, "!").is_empty(),
        "a confirmation first"
    );
    assert!(matches!(&model.mode, Mode::Lockdown(d) if d.targets.len() == 2 && !d.reset_password));
    type_keys(&mut model, "p");
    let cmds = type_keys(&mut model, "y");
    let sent = lockdowns(&cmds);
    assert_eq!(
        sent.iter()
            .map(|(_, id, reset)| (*id, *reset))
            .collect::<Vec<_>>(),
        vec![(2, true), (3, true)]
    );
    // y again does not lock down twice.
    assert!(lockdowns(&type_keys(&mut model, "y")).is_empty());

    let (request, user_id, _) = sent[0];
    let cmds = update(
        &mut model,
        Msg::LockedDown {
            user_id,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(crate::console::fixtures::partly_failed_lockdown(
                    user_id, "user2",
                )),
            },
        },
    );
    let entries: Vec<&Entry> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::AppendJournal { entry } => Some(&**entry),
            _ => None,
        })
        .collect();
    assert_eq!(entries.len(), 1, "one entry for the whole lockdown");
    assert_eq!(entries[0].action, Action::Lockdown);
    assert_eq!(entries[0].by.as_deref(), Some("admin"));
    let Mode::Lockdown(dialog) = &model.mode else {
        panic!("the dialog stays with the outcome");
    };
    assert_eq!(dialog.results.len(), 1);
    assert_eq!(dialog.running.len(), 1, "the second user is still running");
    let banner = model.banner.as_ref().expect("the banner says it");
    assert!(banner.error && banner.text.contains("not done: close sessions"));
    let said = format!("{cmds:?} {banner:?} {:?}", model.activity);
    assert!(!said.contains("Zq8!rT2m"), "the password is never logged");
    type_keys(&mut model, "q");
    assert!(matches!(model.mode, Mode::Normal));
}

#[test]
fn a_lockdown_that_could_not_start_is_journaled_as_failed() {
    let mut model = loaded_model(160, 45, 50);
    type_keys(&mut model, "j!y");
    let cmds = update(
        &mut model,
        Msg::LockedDown {
            user_id: 2,
            done: Done {
                request: RequestId(1),
                took: Default::default(),
                result: Err(ApiError::Forbidden {
                    message: "nope".into(),
                }),
            },
        },
    );
    let failed = cmds.iter().any(|cmd| {
        matches!(cmd, Cmd::AppendJournal { entry }
            if entry.action == Action::Lockdown && !entry.outcome.is_ok())
    });
    assert!(failed);
}
