//! The journal of an earlier version (JSON lines) moved into the database: an old journal with
//! an entry of every kind of write, each describing a change really made on the server, is
//! listed after the move and each entry is undone as it would have been before.

use super::*;

use geobox_ops::journal::{
    Action, Deployment, Entry, Field, JsonLines, Outcome, Step, Tool, UserChange, Values,
};

fn status(value: &str) -> Values {
    Values([(Field::Status, Value::from(value))].into_iter().collect())
}

fn set_status(demo: &Demo, user: &User, to: UserStatus) {
    demo.set_status(user.id, to);
}

/// An old entry of `action`, on the demo's server, by its admin.
fn old_entry(demo: &Demo, action: Action, changes: Vec<UserChange>) -> Entry {
    let host = demo
        .envs
        .iter()
        .find(|(name, _)| name == "GEOBOX_HOST")
        .map(|(_, host)| host.clone())
        .expect("the demo's host");
    let mut entry = Entry::new("", Tool::Cli, action, Outcome::Ok);
    let deployment = Deployment::server(&host);
    entry.place(&deployment, deployment.key());
    entry.by = Some("admin".to_string());
    entry.changes = changes;
    entry
}

fn change_of(user: &User) -> UserChange {
    UserChange::new(Some(user.id), Some(user.username.clone()))
}

#[test]
fn an_old_journal_with_every_kind_of_write_is_listed_and_undone_after_the_move() {
    let demo = Demo::start();
    let old = JsonLines::new(demo.data_dir());
    let mut written: Vec<(Action, String)> = Vec::new();
    let mut keep = |entry: Entry| {
        old.append(&entry).expect("written the old way");
        written.push((entry.action.clone(), entry.id.clone()));
        entry.id
    };

    // create: the user it made is deleted by its undo.
    let created = demo.create_user("old.created");
    let create = keep(old_entry(
        &demo,
        Action::Create,
        vec![change_of(&created).values(Values::default(), Values::of_user(&created))],
    ));
    // update: the status goes back.
    let updated = demo.create_user("old.updated");
    set_status(&demo, &updated, UserStatus::Disabled);
    let update = keep(old_entry(
        &demo,
        Action::Update,
        vec![change_of(&updated).values(status("Active"), status("Disabled"))],
    ));
    // delete: the user is made again, under the same username.
    let deleted = demo.create_user("old.deleted");
    demo.runtime
        .block_on(demo.admin.delete_user(deleted.id))
        .expect("deleted");
    let delete = keep(old_entry(
        &demo,
        Action::Delete,
        vec![change_of(&deleted).values(Values::of_user(&deleted), Values::default())],
    ));
    // a bulk change to two users: each goes back.
    let bulk_users = [demo.create_user("old.bulk1"), demo.create_user("old.bulk2")];
    for user in &bulk_users {
        set_status(&demo, user, UserStatus::Disabled);
    }
    let mut bulk = old_entry(
        &demo,
        Action::BulkUpdate,
        bulk_users
            .iter()
            .map(|user| {
                let mut change = change_of(user).values(status("Active"), status("Disabled"));
                change.outcome = Some(Outcome::Ok);
                change
            })
            .collect(),
    );
    bulk.detail = Some("status → Disabled".to_string());
    let bulk = keep(bulk);
    // an import that created two users: both are deleted.
    let imported = [
        demo.create_user("old.import1"),
        demo.create_user("old.import2"),
    ];
    let mut import = old_entry(
        &demo,
        Action::Import,
        imported
            .iter()
            .map(|user| {
                let mut change = change_of(user).values(Values::default(), Values::of_user(user));
                change.outcome = Some(Outcome::Ok);
                change
            })
            .collect(),
    );
    import.detail = Some("people.csv".to_string());
    let import = keep(import);
    // a lockdown: the status goes back, and it says what stays.
    let locked = demo.create_user("old.locked");
    set_status(&demo, &locked, UserStatus::Disabled);
    let mut lockdown = old_entry(
        &demo,
        Action::Lockdown,
        vec![change_of(&locked).values(status("Active"), status("Disabled"))],
    );
    lockdown.steps = vec![
        Step {
            name: "disable".to_string(),
            outcome: Outcome::Ok,
        },
        Step {
            name: "close sessions".to_string(),
            outcome: Outcome::Ok,
        },
    ];
    let lockdown = keep(lockdown);
    // a member added: removed again.
    let (owner, member) = (
        demo.create_user("old.owner"),
        demo.create_user("old.member"),
    );
    demo.runtime
        .block_on(demo.admin.add_member(owner.id, member.id))
        .expect("a member");
    let mut added = old_entry(&demo, Action::AddMember, vec![change_of(&owner)]);
    added.detail = Some(member.id.to_string());
    let added = keep(added);
    // a password change and a closed session: listed, and said to be beyond undoing.
    let password = keep(old_entry(
        &demo,
        Action::SetPassword,
        vec![change_of(&updated)],
    ));
    let mut session = old_entry(&demo, Action::CloseSession, vec![change_of(&updated)]);
    session.detail = Some("6f1c0000-0000-4000-8000-000000000000".to_string());
    let session = keep(session);

    // The move: every entry listed, newest first, each still verifying.
    let listed = demo.run(&["journal", "--output", "json", "--limit", "0"], None);
    assert_exit(&listed, 0);
    assert!(
        text(&listed.stderr).contains("imported 9 journal entries"),
        "{}",
        text(&listed.stderr)
    );
    let entries: Vec<Value> = serde_json::from_slice(&listed.stdout).expect("json");
    let ids: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry["id"].as_str())
        .collect();
    let expected: Vec<&str> = written.iter().rev().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, expected);
    assert!(
        entries
            .iter()
            .all(|entry| entry["read_from"]["seal"] == "verified")
    );
    assert_eq!(
        entries[4]["changes"].as_array().map(Vec::len),
        Some(2),
        "the bulk's users"
    );

    let undo = |id: &str| demo.run(&["journal", "undo", id, "--yes"], None);
    let gone = |user: &User| demo.user(user.id).is_none();
    assert_exit(&undo(&create), 0);
    assert!(gone(&created), "an undone create deletes the user");
    assert_exit(&undo(&update), 0);
    assert_eq!(status_of(demo.user(updated.id)), Some(UserStatus::Active));
    let recreated = undo(&delete);
    assert_exit(&recreated, 0);
    assert!(
        text(&recreated.stdout).contains("new password of old.deleted"),
        "an undone delete makes the user again: {}",
        text(&recreated.stdout)
    );
    assert_exit(&undo(&bulk), 0);
    for user in &bulk_users {
        assert_eq!(status_of(demo.user(user.id)), Some(UserStatus::Active));
    }
    assert_exit(&undo(&import), 0);
    assert!(
        imported.iter().all(gone),
        "an undone import deletes who it made"
    );
    let unlocked = undo(&lockdown);
    assert_exit(&unlocked, 0);
    assert!(text(&unlocked.stdout).contains("only the status goes back"));
    assert_eq!(status_of(demo.user(locked.id)), Some(UserStatus::Active));
    assert_exit(&undo(&added), 0);
    let members = demo
        .runtime
        .block_on(demo.admin.list_members(owner.id))
        .expect("the members");
    assert!(
        members.iter().all(|user| user.id != member.id),
        "the member is removed"
    );
    for (id, why) in [
        (password, "password change cannot be undone"),
        (session, "cannot be reopened"),
    ] {
        let refused = undo(&id);
        assert_exit(&refused, 1);
        assert!(
            text(&refused.stderr).contains(why),
            "{}",
            text(&refused.stderr)
        );
    }
    // Each undone entry is marked undone after the move, as before it.
    let marked = demo.entries(&["--limit", "0"]);
    let undone = marked
        .iter()
        .filter(|entry| entry["undone"]["whole"] == true)
        .count();
    assert_eq!(undone, 7);
}
