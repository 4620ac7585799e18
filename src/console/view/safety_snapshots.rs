//! Snapshots of the questions that keep an admin from shutting themselves out or granting
//! admin rights by accident: disabling oneself (the consequence, the username typed), a new
//! System Admin from the create form (its form behind the `⚠`), one grant from the picker,
//! and marked users with the admin left out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

use super::snapshot_tests::{SIZES, find, keys, press, snapshot};
use crate::console::fixtures::{loaded_model, update};
use crate::console::form::Field;
use crate::console::model::{LoadState, Mode, Model};
use crate::console::msg::Msg;

fn ctrl(model: &mut Model, c: char) {
    update(
        model,
        Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
}

#[test]
fn disabling_oneself_names_the_consequence_and_asks_for_the_username() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        // The first row is the signed-in admin: Active, one step down is Disabled.
        keys(&mut model, "sj");
        press(&mut model, KeyCode::Enter);
        keys(&mut model, "adm");
        let terminal = snapshot("self_harm_confirm", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "⚠ This would disable you").expect("the consequence");
        assert_eq!(buffer[(x, y)].fg, Color::Red);
        assert!(find(buffer, "not sign in again").is_some());
    }
}

#[test]
fn a_new_system_admin_asks_in_front_of_its_form() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "nomid");
        press(&mut model, KeyCode::Tab);
        keys(&mut model, "omid@example.ir");
        for field in [Field::Password, Field::PasswordAgain, Field::Role] {
            while !matches!(&model.mode, Mode::Form(form) if form.focused() == field) {
                press(&mut model, KeyCode::Tab);
            }
            if field != Field::Role {
                keys(&mut model, "Long-enough-1");
            }
        }
        press(&mut model, KeyCode::Right);
        ctrl(&mut model, 's');
        let terminal = snapshot("create_admin_confirm", &model);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "⚠ omid will be System Admin").expect("the warning");
        assert_eq!(buffer[(x, y)].fg, Color::Red);
    }
}

#[test]
fn one_grant_from_the_picker_and_marked_users_without_the_admin() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        model.plans.state = LoadState::Loaded(Vec::new());
        keys(&mut model, "jrkk");
        press(&mut model, KeyCode::Enter);
        let terminal = snapshot("single_grant_confirm", &model);
        assert!(
            find(
                terminal.backend().buffer(),
                "⚠ reza.moradi2 will be System Admin"
            )
            .is_some()
        );

        let mut model = loaded_model(width, height, 1_204);
        keys(&mut model, "   sk");
        press(&mut model, KeyCode::Enter);
        let terminal = snapshot("marked_without_admin", &model);
        assert!(find(terminal.backend().buffer(), "ali.moradi1 (you) is left out").is_some());
    }
}

#[test]
fn an_account_admin_on_a_system_admin_sees_only_what_they_may_do() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        if let LoadState::Loaded(me) = &mut model.me.state {
            me.role = Some(geobox_api::UserRole::AccountAdmin);
        }
        for users in model.users.pages.values_mut() {
            if let Some(user) = users.iter_mut().find(|user| user.id == 2) {
                user.role = Some(geobox_api::UserRole::SystemAdmin);
            }
        }
        keys(&mut model, "j");
        let terminal = snapshot("account_admin_on_system_admin", &model);
        assert!(find(terminal.backend().buffer(), "s status").is_none());
        keys(&mut model, "?");
        let terminal = snapshot("account_admin_on_system_admin_help", &model);
        let theme = super::theme::Theme {
            color: true,
            palette: Default::default(),
            accent: None,
        };
        let keymap = crate::console::keys::Keymap::default();
        let lines = super::help::help_lines(&model, &keymap, theme, 200);
        assert!(
            lines
                .iter()
                .any(|(_, line)| line.to_string().contains("not for this user: set status")),
            "s is dimmed with why"
        );
        if let Some((x, y)) = find(terminal.backend().buffer(), "not for this user: set status") {
            assert_ne!(
                terminal.backend().buffer()[(x, y)].fg,
                Color::Cyan,
                "not shown as a key to use"
            );
        }
    }
}

#[test]
fn many_marked_users_count_only_those_who_change() {
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        // Two screens of users: more than the dialog lists one by one, so it counts them.
        ctrl(&mut model, 'a');
        press(&mut model, KeyCode::PageDown);
        ctrl(&mut model, 'a');
        press(&mut model, KeyCode::PageDown);
        ctrl(&mut model, 'a');
        keys(&mut model, "r");
        press(&mut model, KeyCode::Enter);
        let terminal = snapshot("many_marked_role_confirm", &model);
        let buffer = terminal.backend().buffer();
        assert!(
            find(buffer, "Viewer → Viewer").is_none(),
            "no change is no line"
        );
        assert!(find(buffer, "already role Viewer: left alone").is_some());
    }
}
