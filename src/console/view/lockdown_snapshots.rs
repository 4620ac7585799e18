//! Snapshots of the lockdown dialog: the confirmation, and a partial failure.

use ratatui::style::Color;

use super::snapshot_tests::{SIZES, find, keys, snapshot};
use crate::console::cmd::Cmd;
use crate::console::fixtures::update;
use crate::console::fixtures::{loaded_model, partly_failed_lockdown};
use crate::console::msg::{Done, Msg};

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
                    result: Ok(partly_failed_lockdown(2, "reza.moradi2")),
                },
            },
        );
        let terminal = snapshot("lockdown_partial", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "close sessions  FAILED").expect("the failed step is listed");
        assert_eq!(buffer[(x, y)].fg, Color::Red);
        // A line too long for the dialog goes on under its own indent, between words, not
        // back at the dialog's edge mid-phrase.
        let (reason, _) = find(buffer, "(error: not allowed (403))").expect("the reason");
        let (edge, _) = find(buffer, "reza.moradi2 (2):").expect("the user's line");
        assert!(
            reason > edge + 2,
            "continued under its column: {reason} vs {edge}"
        );
        keys(&mut model, "q");
    }
}
