//! Snapshots of the lockdown dialog: the confirmation, and a partial failure.

use ratatui::style::Color;

use super::snapshot_tests::{SIZES, find, keys, snapshot};
use crate::api::Secret;
use crate::console::cmd::Cmd;
use crate::console::fixtures::loaded_model;
use crate::console::msg::{Done, LockdownDone, Msg};
use crate::console::update::update;
use crate::journal::{Action, Entry, Outcome, Tool};

fn partly_failed() -> LockdownDone {
    LockdownDone {
        entry: Box::new(Entry::new(
            "",
            Tool::Console,
            Action::Lockdown,
            Outcome::Error("close sessions failed".into()),
        )),
        username: Some("reza.moradi2".to_string()),
        steps: vec![
            "disable         ok     status Active → Disabled".to_string(),
            "close sessions  FAILED closed 1 of 2 sessions".to_string(),
            "new password    ok     set (shown below, once)".to_string(),
        ],
        missed: Some(
            "the lockdown of reza.moradi2 (2) is incomplete: not done: close sessions (error: not allowed (403))"
                .to_string(),
        ),
        new_password: Some(Secret::new("Zq8!rT2m#Lp4".to_string())),
    }
}

#[test]
fn lockdown_confirmation_and_partial_failure() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "j!p");
        snapshot("lockdown_confirm", &model);
        let cmds = update(
            &mut model,
            Msg::KeyPressed(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char('y'),
                crossterm::event::KeyModifiers::NONE,
            )),
        );
        let Some(request) = cmds.iter().find_map(|cmd| match cmd {
            Cmd::Lockdown { request, .. } => Some(*request),
            _ => None,
        }) else {
            panic!("y sends the lockdown");
        };
        update(
            &mut model,
            Msg::LockedDown {
                user_id: 2,
                done: Done {
                    request,
                    took: Default::default(),
                    result: Ok(partly_failed()),
                },
            },
        );
        let terminal = snapshot("lockdown_partial", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "close sessions  FAILED").expect("the failed step is listed");
        assert_eq!(buffer[(x, y)].fg, Color::Red);
        keys(&mut model, "q");
    }
}
