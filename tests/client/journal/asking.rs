//! `journal undo` at a terminal: the count typed for an undo of more than 100 users, as
//! `bulk-update` asks for it.

use super::*;
use support::terminal::Terminal;

#[test]
fn an_undo_of_more_than_100_users_asks_for_the_count_typed() {
    let demo = Demo::seeded(160);
    assert_exit(
        &demo.run(
            &[
                "users",
                "bulk-update",
                "--q",
                "id > 1",
                "--set-status",
                "disabled",
                "--yes",
            ],
            None,
        ),
        0,
    );
    let entry = &demo.entries(&[])[0];
    let entry_id = entry["id"].as_str().expect("an id").to_string();
    let changed: Vec<i64> = entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["user_id"].as_i64().expect("an id"))
        .collect();
    let count = changed.len();
    assert!(count > 100, "only {count} users changed");
    let disabled = |demo: &Demo| {
        changed
            .iter()
            .filter(|id| status_of(demo.user(**id)) == Some(UserStatus::Disabled))
            .count()
    };

    let mut wrong = Terminal::start(demo.dir.path(), &demo.envs, &["journal", "undo", &entry_id]);
    wrong.wait_for(&format!("Type {count} to go ahead"));
    wrong.type_line("y");
    assert_eq!(wrong.exit_code(), 1, "a yes is not the count");
    assert_eq!(disabled(&demo), count, "nothing was undone");

    let mut right = Terminal::start(demo.dir.path(), &demo.envs, &["journal", "undo", &entry_id]);
    right.wait_for(&format!("Type {count} to go ahead"));
    right.type_line(&count.to_string());
    right.wait_for("put back");
    let shown = right.screen();
    assert_eq!(right.exit_code(), 0, "{shown}");
    assert_eq!(disabled(&demo), 0, "every user is back");
}
