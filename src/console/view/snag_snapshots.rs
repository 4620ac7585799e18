//! Snapshots of the small edges an admin noticed: the form's change list keeps label and value
//! apart, the sessions pane names this console's session and does not cut agents it has room
//! for, and a lockdown's result wraps between words.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::snapshot_tests::{SIZES, find, keys, press, snapshot};
use crate::console::cmd::Cmd;
use crate::console::fixtures::{loaded_model, partly_failed_lockdown, update};
use crate::console::form::Field;
use crate::console::model::{Focus, LoadState, Mode};
use crate::console::msg::{Done, Msg};

#[test]
fn the_forms_change_list_keeps_a_gap_between_label_and_value() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        model.plans.state = LoadState::Loaded(Vec::new());
        keys(&mut model, "je");
        while !matches!(&model.mode, Mode::Form(form) if form.focused() == Field::FirstName) {
            press(&mut model, KeyCode::Tab);
        }
        update(
            &mut model,
            Msg::KeyPressed(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        );
        keys(&mut model, "Giulia");
        let terminal = snapshot("form_change_list", &model);
        let buffer = terminal.backend().buffer();
        assert!(
            find(buffer, "first name  Reza").is_some(),
            "label, gap, old value"
        );
        assert!(find(buffer, "→ Giulia").is_some());
    }
}

#[test]
fn the_sessions_pane_names_this_console_and_gives_agents_the_room_there_is() {
    let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 QGIS/3.34.4-Prizren";
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        if let LoadState::Loaded(sessions) = &mut model.sessions.list.state {
            // The console's own session as the demo records it, and a long agent.
            sessions[0].agent = Some("geobox-users console (demo)".to_string());
            sessions[1].agent = Some(agent.to_string());
        }
        model.focus = Focus::Sessions;
        let terminal = snapshot("sessions_this_console", &model);
        let buffer = terminal.backend().buffer();
        assert!(find(buffer, "this console · 127.0.0.1").is_some());
        assert!(find(buffer, "other: geobox-users").is_none());
        assert!(
            find(buffer, "geobox-users console (demo)").is_some(),
            "an agent that fits is shown whole"
        );
    }
}

#[test]
fn a_lockdowns_result_wraps_between_words() {
    let mut model = loaded_model(80, 24, 1_204);
    keys(&mut model, "j!");
    let cmds = update(
        &mut model,
        Msg::KeyPressed(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)),
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
    let terminal = snapshot("lockdown_result_wrapped", &model);
    let buffer = terminal.backend().buffer();
    // The missed steps' line goes on under its own indent, not back at the dialog's edge.
    let (x, _) = find(buffer, "(error: not allowed (403))").expect("the reason");
    let (edge, _) = find(buffer, "reza.moradi2 (2):").expect("the user's line");
    assert!(x > edge + 2, "continued under its column: {x} vs {edge}");
}
