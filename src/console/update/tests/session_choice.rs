//! The sessions pane in groups, session marks, and `X`'s three choices.

use super::sessions::focus_sessions;
use super::*;

fn uuids_of(sessions: &[geobox_api::Session]) -> Vec<String> {
    sessions
        .iter()
        .map(|session| session.uuid[..8].to_string())
        .collect()
}

#[test]
fn sessions_arrive_in_group_order_newest_first() {
    let mut model = loaded_model(160, 45, 50);
    // Without the console's own (so the answer is visibly the one taken), oldest first.
    let mut reversed = sessions();
    reversed.remove(0);
    reversed.reverse();
    let request = model.sessions.list.request.unwrap_or(RequestId(1));
    model.sessions.list.request = Some(request);
    update(
        &mut model,
        Msg::SessionsLoaded {
            user_id: 1,
            done: Done {
                request,
                took: Default::default(),
                result: Ok(reversed),
            },
        },
    );
    let list = model.sessions.list.loaded().expect("loaded");
    assert_eq!(uuids_of(list), vec!["7b1d2e3f", "c0ffee00"]);
}

#[test]
fn x_offers_all_others_the_marked_ones_or_one_address() {
    let mut model = loaded_model(160, 45, 50);
    focus_sessions(&mut model);
    // The python session: marked, and its address is the third choice.
    type_keys(&mut model, "j ");
    assert_eq!(model.sessions.marked.len(), 1);
    type_keys(&mut model, "X");
    let Mode::CloseChoice(choice) = &model.mode else {
        panic!("X offers a choice");
    };
    let offered: Vec<(String, Vec<String>)> = choice
        .options
        .iter()
        .map(|option| (option.label.clone(), uuids_of(&option.sessions)))
        .collect();
    assert_eq!(
        offered,
        vec![
            (
                "all but this console's".to_string(),
                vec!["7b1d2e3f".to_string(), "c0ffee00".to_string()]
            ),
            (
                "only the marked ones".to_string(),
                vec!["7b1d2e3f".to_string()]
            ),
            (
                "all from 10.0.4.7".to_string(),
                vec!["7b1d2e3f".to_string()]
            ),
        ]
    );
    // The marked ones: listed once more, then one close per session.
    type_keys(&mut model, "j");
    update(&mut model, key(KeyCode::Enter));
    let cmds = type_keys(&mut model, "y");
    let closed: Vec<&str> = cmds
        .iter()
        .filter_map(|cmd| match cmd {
            Cmd::CloseSession { uuid, .. } => Some(&uuid[..8]),
            _ => None,
        })
        .collect();
    assert_eq!(closed, vec!["7b1d2e3f"]);
}
