//! Snapshots of the small edges an admin noticed: the form's change list keeps label and value
//! apart, and the sessions pane names this console's session and does not cut agents it has
//! room for. (A lockdown's result wrapping between words is in `lockdown_snapshots`.)

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::snapshot_tests::{SIZES, find, keys, press, snapshot};
use crate::console::fixtures::{loaded_model, update};
use crate::console::form::Field;
use crate::console::model::{Focus, LoadState, Mode};
use crate::console::msg::Msg;

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
