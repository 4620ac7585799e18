//! The journal panel with a team journal: who made each entry, narrowing to one admin, an
//! undo another admin got to first, and entries not shared yet in the title bar.

use super::journal::{
    answered, disabled, earlier_entry, journaled, model_with_one_write, open_and_ask_undo,
    read_request,
};
use super::*;
use crate::console::model::UndoAsk;
use geobox_ops::journal::{Sharing, UserKey};

#[test]
fn a_narrows_the_journal_to_the_highlighted_entrys_admin_and_back() {
    let (mut model, mine) = model_with_one_write();
    let cmds = type_keys(&mut model, "L");
    let (request, _) = read_request(&cmds);
    let mut theirs = earlier_entry(2);
    theirs.by = Some("Reza".to_string());
    theirs.machine = Some("reza-laptop".to_string());
    update(
        &mut model,
        Msg::JournalRead {
            request,
            result: Ok(vec![theirs.clone()]),
        },
    );
    // Down to the other admin's entry, then a.
    let cmds = type_keys(&mut model, "ja");
    let (request, filter) = read_request(&cmds);
    assert_eq!(
        filter.by.as_deref(),
        Some("Reza"),
        "read again for that admin"
    );
    update(
        &mut model,
        Msg::JournalRead {
            request,
            result: Ok(vec![theirs.clone()]),
        },
    );
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    let ids: Vec<&str> = view
        .rows(&model.journal.this_run)
        .iter()
        .map(|entry| entry.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [theirs.id.as_str()],
        "this run's entries were made by admin"
    );
    assert_eq!(view.only_admin.as_deref(), Some("Reza"));

    let cmds = type_keys(&mut model, "a");
    let (_, filter) = read_request(&cmds);
    assert_eq!(filter.by, None, "a again: every admin");
    assert_eq!(filter.user, None::<UserKey>);
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    assert_eq!(view.this_run_count(&model.journal.this_run), 1);
    assert!(view.rows(&model.journal.this_run)[0].id == mine.id);
}

#[test]
fn an_undo_another_admin_got_to_first_is_refused_and_nothing_is_journaled() {
    let (mut model, _) = model_with_one_write();
    let (request, entry) = open_and_ask_undo(&mut model);
    update(
        &mut model,
        Msg::UndoChecked {
            entry: Box::new(entry),
            done: answered(request, Ok(vec![Some(disabled(1))])),
        },
    );
    let cmds = type_keys(&mut model, "y");
    let [
        Cmd::ApplyUndo {
            request, claimant, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("y carries it out: {cmds:?}");
    };
    assert_eq!(
        claimant.as_deref(),
        Some("admin"),
        "the claim names who undoes it"
    );
    let reason = "k3v9 was already undone (by p0q1 (reza) at 2026-12-01 10:00:00 UTC)";
    let cmds = update(
        &mut model,
        Msg::UndoRefused {
            request: *request,
            reason: reason.to_string(),
        },
    );
    assert!(
        journaled(&cmds).is_empty(),
        "nothing was written, nothing journaled"
    );
    assert!(model.actions_in_flight.is_empty());
    let Mode::Journal(view) = &model.mode else {
        panic!("still open");
    };
    let UndoAsk::Refused { text } = &view.undo else {
        panic!("{:?}", view.undo);
    };
    assert!(
        text.contains("already undone") && text.contains("(reza)"),
        "{text}"
    );
    assert!(model.banner.as_ref().is_some_and(|banner| banner.error));
}

#[test]
fn entries_not_shared_yet_show_in_the_title_bar_until_they_are() {
    let mut model = loaded_model(160, 45, 1_204);
    update(
        &mut model,
        Msg::JournalShared(Sharing {
            waiting: 3,
            problem: Some("the team journal cannot be reached".to_string()),
        }),
    );
    assert_eq!(model.journal.sharing.waiting, 3);
    let title = |model: &Model| {
        let backend = ratatui::backend::TestBackend::new(160, 45);
        let mut terminal = ratatui::Terminal::new(backend).expect("a terminal");
        terminal
            .draw(|frame| crate::console::view::view(model, &env(), frame))
            .expect("drawn");
        let buffer = terminal.backend().buffer();
        (0..160)
            .map(|x| buffer[(x, 0)].symbol())
            .collect::<String>()
    };
    assert!(title(&model).contains("3 not shared"), "{}", title(&model));
    update(&mut model, Msg::JournalShared(Sharing::default()));
    assert!(!title(&model).contains("not shared"), "{}", title(&model));
}
