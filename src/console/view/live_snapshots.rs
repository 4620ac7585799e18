//! The live table drawn: the title bar saying it is live (or when it last read), a changed
//! cell, a user who newly matches, and a user who no longer matches kept in place. Colours
//! are checked on the buffer, and the cues that stay without colour too.

use ratatui::style::{Color, Modifier};

use super::snapshot_tests::{SIZES, find, keys, snapshot};
use crate::console::env::Env;
use crate::console::fixtures::{
    self, FakeServer, answer_refresh, loaded_model, now, settle, update,
};
use crate::console::model::{DEFAULT_REFRESH, Live, Model};
use crate::console::msg::Msg;
use geobox_api::UserStatus;

/// A console on 1,204 users with user 4 selected, after a refresh found user 2's status
/// changed (Pending to Disabled), user 5 gone (disabled elsewhere) and a newcomer between users 6 and 7.
fn refreshed(width: u16, height: u16) -> Model {
    let mut model = loaded_model(width, height, 1_204);
    model.live = Live::every(DEFAULT_REFRESH);
    model.live.next_at = Some(now());
    let mut cmds = Vec::new();
    for c in "jjj".chars() {
        cmds.extend(update(
            &mut model,
            Msg::KeyPressed(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            )),
        ));
    }
    settle(&mut model, &FakeServer::new(1_204), cmds);
    model.now = now() + chrono::Duration::seconds(5);
    let cmds = update(&mut model, Msg::LiveTick);
    answer_refresh(&mut model, &cmds, 1_204, |users| {
        users[1].status = Some(UserStatus::Disabled);
        users.retain(|user| user.id != 5);
        let mut newcomer = fixtures::user(1_300);
        newcomer.username = "new.comer".into();
        users.insert(5, newcomer);
    });
    model
}

fn line_with<'a>(screen: &'a [String], text: &str) -> Option<&'a String> {
    screen.iter().find(|line| line.contains(text))
}

fn lines(terminal: &ratatui::Terminal<ratatui::backend::TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

/// Where user 2's status cell starts.
fn changed_status(buffer: &ratatui::buffer::Buffer) -> (u16, u16) {
    let (_, y) = find(buffer, "reza.moradi2").expect("user 2's row");
    let row: String = (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect();
    let byte = row.find("○ Disabled").expect("the new status");
    (row[..byte].chars().count() as u16, y)
}

#[test]
fn a_live_table_with_a_changed_cell_a_newcomer_and_a_gone_row() {
    for (width, height) in SIZES {
        let model = refreshed(width, height);
        let terminal = snapshot("live_changes", &model);
        let screen = lines(&terminal);
        let title = &screen[0];
        assert!(
            title.contains("⟳"),
            "the title bar says it is live: {title}"
        );
        let changed = line_with(&screen, "reza.moradi2").expect("user 2's row");
        assert!(changed.contains("~"), "a changed row says ~: {changed}");
        let gone = line_with(&screen, "omid.rezaei5").expect("user 5 is still shown");
        assert!(gone.contains("✗"), "a gone row says ✗: {gone}");
        let newcomer = line_with(&screen, "new.comer").expect("the newcomer appears");
        assert!(newcomer.contains("+"), "a new row says +: {newcomer}");

        let buffer = terminal.backend().buffer();
        let (x, y) = changed_status(buffer);
        assert_eq!(
            buffer[(x, y)].bg,
            Color::Yellow,
            "a changed cell is highlighted"
        );
        assert!(buffer[(x, y)].modifier.contains(Modifier::UNDERLINED));
        let (x, y) = find(buffer, "omid.rezaei5").expect("the gone row");
        assert!(
            buffer[(x, y)].modifier.contains(Modifier::CROSSED_OUT),
            "a gone row is struck through"
        );
    }
}

#[test]
fn without_colour_a_changed_cell_is_still_bold_and_underlined() {
    let model = refreshed(160, 45);
    let env = Env {
        color: false,
        ..fixtures::env()
    };
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 45))
        .expect("a test terminal");
    terminal
        .draw(|frame| super::view(&model, &env, frame))
        .expect("drawing works");
    let buffer = terminal.backend().buffer();
    let (x, y) = changed_status(buffer);
    assert_eq!(buffer[(x, y)].bg, Color::Reset);
    assert!(
        buffer[(x, y)]
            .modifier
            .contains(Modifier::BOLD | Modifier::UNDERLINED)
    );
}

#[test]
fn a_paused_live_table_says_when_it_last_read() {
    for (width, height) in SIZES {
        let mut model = refreshed(width, height);
        model.now = now() + chrono::Duration::seconds(30);
        // Marks have faded, and the status picker pauses the refreshes.
        update(&mut model, Msg::LiveTick);
        keys(&mut model, "s");
        let terminal = snapshot("live_paused", &model);
        let title = &lines(&terminal)[0];
        assert!(title.contains("⏸"), "{title}");
        assert!(title.contains("12:00:05"), "when it last read: {title}");
    }
}
