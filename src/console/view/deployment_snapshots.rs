//! Other deployments drawn: the picker with a protected deployment, the title bar and borders
//! of a protected deployment in its colour, the name asked before a write, and the search
//! across deployments. Colours are checked on the buffer; the words say it without colour.

use crossterm::event::KeyCode;
use ratatui::style::Color;

use super::snapshot_tests::{SIZES, find, keys_in, snapshot_in};
use crate::console::fixtures::{deployments_env, loaded_model, press_in};
use crate::console::model::Model;
use crate::console::msg::Msg;

fn row(buffer: &ratatui::buffer::Buffer, y: u16) -> String {
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect()
}

#[test]
fn the_picker_shows_each_deployment_its_host_and_a_protected_one() {
    let env = deployments_env("staging");
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys_in(&mut model, &env, "Cj");
        let terminal = snapshot_in("deployment_picker", &model, &env);
        let buffer = terminal.backend().buffer();
        let (x, y) = find(buffer, "⚠ protected").expect("prod says it is protected");
        assert!(row(buffer, y).contains("prod"));
        assert_eq!(buffer[(x, y)].fg, Color::Red, "in prod's own colour");
        let (_, y) = find(buffer, "staging.example  ").expect("staging's row");
        let mark = if width >= 100 { "● shown" } else { "●" };
        assert!(
            row(buffer, y).contains(mark),
            "the deployment shown is marked"
        );
        assert!(find(buffer, "lab.example").is_some());
        assert!(
            find(buffer, "password (ops)").is_some(),
            "how prod signs in"
        );
    }
}

#[test]
fn a_protected_deployment_carries_its_name_and_colour_and_asks_it_before_a_write() {
    let env = deployments_env("prod");
    for (width, height) in SIZES {
        let mut model = loaded_model(width, height, 1_204);
        keys_in(&mut model, &env, "jjjjs");
        press_in(&mut model, &env, KeyCode::Down);
        press_in(&mut model, &env, KeyCode::Enter);
        keys_in(&mut model, &env, "pr");
        let terminal = snapshot_in("protected_gate", &model, &env);
        let buffer = terminal.backend().buffer();
        let title = row(buffer, 0);
        assert!(title.contains("⚠ prod"), "{title}");
        let (x, y) = find(buffer, "⚠ prod").expect("the name in the title bar");
        assert_eq!(
            buffer[(x, y)].bg,
            Color::Red,
            "the title bar is prod's colour"
        );
        assert_eq!(buffer[(0, 1)].fg, Color::Red, "so is the table's border");
        assert!(
            find(buffer, "prod is protected").is_some(),
            "the write waits for the name"
        );
        assert!(find(buffer, "Type its name to send it: pr").is_some());
    }
}

/// The search across deployments answered: matches on two, one down.
fn searched(width: u16, height: u16) -> Model {
    let env = deployments_env("staging");
    let mut model = loaded_model(width, height, 1_204);
    keys_in(&mut model, &env, "C/ne");
    let cmds = press_in(&mut model, &env, KeyCode::Enter);
    let request = cmds
        .iter()
        .find_map(|cmd| match cmd {
            crate::console::cmd::Cmd::FindEverywhere { request, .. } => Some(*request),
            _ => None,
        })
        .expect("the search is sent");
    crate::console::update::update(
        &mut model,
        &env,
        Msg::FoundEverywhere {
            request,
            found: crate::console::fixtures::found_across(&[4], &[12, 20]),
        },
    );
    keys_in(&mut model, &env, "j");
    model
}

#[test]
fn the_search_across_deployments_groups_matches_and_names_a_deployment_down() {
    let env = deployments_env("staging");
    for (width, height) in SIZES {
        let model = searched(width, height);
        let terminal = snapshot_in("deployment_search", &model, &env);
        let buffer = terminal.backend().buffer();
        assert!(find(buffer, "staging · 1 match").is_some());
        assert!(find(buffer, "lab · 2 matches").is_some());
        let (x, y) = find(buffer, "prod · ✗").expect("prod's failure in its place");
        assert_eq!(buffer[(x, y)].fg, Color::Red, "a failure is red");
        let (_, y) = find(buffer, "▌ 12").expect("the second match is highlighted");
        assert!(y > find(buffer, "lab ·").map_or(0, |(_, y)| y));
    }
}
