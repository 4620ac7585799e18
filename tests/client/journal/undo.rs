//! `journal undo` of what the journal records: an import's users deleted, a renewal's date put
//! back, an entry undone once, users changed since skipped, and the signed-in admin spared.

use super::*;

use geobox_api::{PlanQuery, UserRole, UserUpdate};
use geobox_ops::journal::{
    Action, Deployment, Entry, Field, Journal, Outcome, Tool, UserChange, Values,
};

fn newest_id(demo: &Demo) -> String {
    demo.entries(&[])[0]["id"]
        .as_str()
        .expect("an id")
        .to_string()
}

fn expiry_of(demo: &Demo, id: i64) -> Option<String> {
    demo.user(id)
        .and_then(|user| user.expiration_date)
        .map(|date| geobox_api::date_part(&date).to_string())
}

#[test]
fn an_import_undo_deletes_the_users_it_created_and_says_already_undone_after() {
    let demo = Demo::start();
    let file = demo.dir.path().join("people.csv");
    std::fs::write(
        &file,
        "username,email,first_name,role,status,password\n\
         imp.one,imp.one@example.ir,One,editor,active,Long-enough-1\n\
         imp.two,imp.two@example.ir,Two,viewer,pending,Long-enough-2\n\
         imp.three,imp.three@example.ir,Three,publisher,active,Long-enough-3\n",
    )
    .expect("written");
    assert_exit(&demo.run(&["users", "import", "people.csv"], None), 0);
    let entry = &demo.entries(&[])[0];
    assert_eq!(entry["action"], "import");
    let entry_id = entry["id"].as_str().expect("an id").to_string();
    let created: Vec<i64> = entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["user_id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|id| demo.user(*id).is_some()));

    let undone = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&undone, 0);
    let shown = text(&undone.stdout);
    assert!(shown.contains("delete imp.one ("), "{shown}");
    assert!(
        text(&undone.stderr).contains("3 of 3 users put back"),
        "{}",
        text(&undone.stderr)
    );
    for id in &created {
        assert!(
            demo.user(*id).is_none(),
            "user {id} is deleted, not blanked"
        );
    }
    let undo_entry = &demo.entries(&[])[0];
    assert_eq!(undo_entry["undoes"], entry_id.as_str());
    for change in undo_entry["changes"].as_array().expect("changes") {
        assert_eq!(change["outcome"], "ok");
        assert!(
            change.get("after").is_none(),
            "each user's outcome, no values"
        );
    }

    let again = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&again, 1);
    let said = text(&again.stderr);
    let undo_id = undo_entry["id"].as_str().expect("an id");
    assert!(
        said.contains(&format!("already undone (by {undo_id} (admin) at ")),
        "{said}"
    );
    assert!(!said.contains("changed since"), "{said}");
    assert_eq!(demo.entries(&[])[1]["undone"]["entry"], undo_id);
    let listed = demo.run(&["journal", "--limit", "2", "--full"], None);
    let shown = text(&listed.stdout);
    assert!(shown.contains(&format!("undone by {undo_id}")), "{shown}");
    assert!(shown.contains(&format!("undo of {entry_id}")), "{shown}");
}

#[test]
fn a_renewal_undo_puts_the_old_expiration_date_back_on_every_path() {
    let demo = Demo::start();
    let plans = demo
        .runtime
        .block_on(demo.admin.list_plans(&PlanQuery::new()))
        .expect("plans");
    let plan = plans
        .iter()
        .find(|plan| plan.number_of_days.is_some_and(|days| days > 0))
        .expect("a plan that runs for some days");
    let mut users = Vec::new();
    for name in ["renew.single", "renew.bulk"] {
        let user = demo.create_user(name);
        let update = UserUpdate {
            plan_id: geobox_api::Patch::Set(plan.id),
            expiration_date: geobox_api::Patch::Set("2030-01-15".to_string()),
            ..UserUpdate::default()
        };
        demo.runtime
            .block_on(demo.admin.update_user(user.id, &update))
            .expect("a plan");
        users.push(user.id);
    }

    assert_exit(
        &demo.run(&["users", "renew-plan", &users[0].to_string()], None),
        0,
    );
    let query = format!("id = {}", users[1]);
    assert_exit(
        &demo.run(
            &[
                "users",
                "bulk-update",
                "--q",
                &query,
                "--renew-plan",
                "--yes",
            ],
            None,
        ),
        0,
    );
    let entries = demo.entries(&[]);
    for (entry, id) in entries.iter().rev().zip(&users) {
        assert_ne!(expiry_of(&demo, *id).as_deref(), Some("2030-01-15"));
        let change = &entry["changes"][0];
        assert_eq!(change["before"]["expiration_date"], "2030-01-15", "{entry}");
        assert_eq!(
            change["after"]["expiration_date"].as_str(),
            expiry_of(&demo, *id).as_deref(),
            "{entry}"
        );
        let entry_id = entry["id"].as_str().expect("an id");
        let undone = demo.run(&["journal", "undo", entry_id, "--yes"], None);
        assert_exit(&undone, 0);
        assert!(
            text(&undone.stdout).contains("→ 2030-01-15"),
            "{}",
            text(&undone.stdout)
        );
        assert_eq!(expiry_of(&demo, *id).as_deref(), Some("2030-01-15"));
    }
}

#[test]
fn skip_changed_undoes_the_users_not_changed_since_and_lists_the_others() {
    let demo = Demo::start();
    let ids: Vec<i64> = ["skip.a", "skip.b", "skip.c"]
        .iter()
        .map(|name| demo.create_user(name).id)
        .collect();
    assert_exit(
        &demo.run(
            &[
                "users",
                "bulk-update",
                "--q",
                "username LIKE 'skip.%'",
                "--set-status",
                "disabled",
                "--yes",
            ],
            None,
        ),
        0,
    );
    let entry_id = newest_id(&demo);
    demo.set_status(ids[1], UserStatus::Pending);

    let refused = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&refused, 1);
    assert!(text(&refused.stderr).contains("--skip-changed"));
    assert_eq!(status_of(demo.user(ids[0])), Some(UserStatus::Disabled));

    let skipping = demo.run(
        &["journal", "undo", &entry_id, "--yes", "--skip-changed"],
        None,
    );
    assert_exit(&skipping, 0);
    let shown = text(&skipping.stdout);
    assert!(
        shown.contains(&format!(
            "skip.b ({}) status: the entry set Disabled, it is now Pending",
            ids[1]
        )),
        "{shown}"
    );
    assert!(
        text(&skipping.stderr).contains("2 of 2 users put back, 1 left as they are"),
        "{}",
        text(&skipping.stderr)
    );
    let statuses: Vec<Option<UserStatus>> =
        ids.iter().map(|id| status_of(demo.user(*id))).collect();
    assert_eq!(
        statuses,
        [
            Some(UserStatus::Active),
            Some(UserStatus::Pending),
            Some(UserStatus::Active)
        ]
    );
    assert_eq!(demo.entries(&[])[0]["skipped"][0]["user_id"], ids[1]);

    // The rest later: the users already back are no conflict, the changed one still is.
    let rest = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&rest, 1);
    let said = text(&rest.stderr);
    assert!(
        said.contains("it is now Pending") && !said.contains("skip.a"),
        "{said}"
    );
    assert_exit(
        &demo.run(&["journal", "undo", &entry_id, "--yes", "--force"], None),
        0,
    );
    assert_eq!(status_of(demo.user(ids[1])), Some(UserStatus::Active));
    let last = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&last, 1);
    assert!(text(&last.stderr).contains("already undone"));

    let help = demo.run(&["journal", "undo", "--help"], None);
    let help = text(&help.stdout);
    assert!(
        help.contains("--skip-changed") && help.contains("overwriting"),
        "{help}"
    );
}

/// Appends an entry as this data directory's own journal would, on the demo's server.
fn write_entry(demo: &Demo, mut entry: Entry) -> String {
    let server = demo.server.as_ref().expect("running");
    entry.place(&Deployment::server(&server.base_url), &server.base_url);
    Journal::new(demo.data_dir())
        .append(&entry)
        .expect("appended");
    entry.id
}

fn status_values(status: &str) -> Values {
    Values(
        [(Field::Status, serde_json::json!(status))]
            .into_iter()
            .collect(),
    )
}

#[test]
fn an_undo_leaves_the_signed_in_admin_out_and_says_so() {
    let demo = Demo::start();
    let admin = demo
        .runtime
        .block_on(demo.admin.get_user(UserRef::Me))
        .expect("me");
    let other = demo.create_user("enabled.with.me");
    // A run that enabled the admin and another user: undoing it would disable both.
    let mut entry = Entry::new("", Tool::Cli, Action::BulkUpdate, Outcome::Ok);
    entry.changes = [(admin.id, &admin.username), (other.id, &other.username)]
        .into_iter()
        .map(|(id, name)| {
            let mut change = UserChange::new(Some(id), Some(name.clone()))
                .values(status_values("Disabled"), status_values("Active"));
            change.outcome = Some(Outcome::Ok);
            change
        })
        .collect();
    let entry_id = write_entry(&demo, entry);

    let undone = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&undone, 0);
    let shown = text(&undone.stdout);
    assert!(
        shown.contains(&format!(
            "admin ({}) (you) is left out: the undo would disable you",
            admin.id
        )),
        "{shown}"
    );
    assert_eq!(status_of(demo.user(admin.id)), Some(UserStatus::Active));
    assert_eq!(status_of(demo.user(other.id)), Some(UserStatus::Disabled));
}

#[test]
fn a_hand_edited_entry_is_said_not_written_by_the_tool_and_undone_only_when_allowed() {
    let demo = Demo::start();
    let target = demo.create_user("journal.viewer");
    let id = target.id.to_string();
    assert_exit(
        &demo.run(&["users", "update", &id, "--role", "viewer"], None),
        0,
    );
    assert_exit(
        &demo.run(&["users", "update", &id, "--role", "publisher"], None),
        0,
    );
    let entry_id = newest_id(&demo);
    // Edited by hand in the database: the user's row (what an undo reads) first.
    let database = rusqlite::Connection::open(demo.data_dir().join("journal.sqlite"))
        .expect("the journal's database");
    let edit = |table: &str, column: &str| {
        database
            .execute(
                &format!(
                    "UPDATE {table} SET {column} = replace({column}, '\"before\":{{\"role\":\"Viewer\"}}',
                         '\"before\":{{\"role\":\"System Admin\"}}')
                     WHERE {column} LIKE '%\"before\":{{\"role\":\"Viewer\"}}%'"
                ),
                [],
            )
            .expect("edited")
    };
    assert_eq!(
        edit("entry_users", "change"),
        1,
        "the change back from Viewer"
    );
    let sneaky = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&sneaky, 1);
    assert!(
        text(&sneaky.stderr).contains("was not written by geobox-users as it reads now"),
        "an edited user's row alone breaks the seal: {}",
        text(&sneaky.stderr)
    );
    // Then the copy a listing shows too.
    assert_eq!(edit("entries", "first_change"), 1);
    drop(database);

    let listed = demo.run(&["journal"], None);
    assert!(
        text(&listed.stdout).contains(&format!("{entry_id} ⚠")),
        "{}",
        text(&listed.stdout)
    );
    assert!(text(&listed.stderr).contains("1 entry (⚠) does not match its seal"));

    let refused = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&refused, 1);
    let said = text(&refused.stderr);
    assert!(
        said.contains("was not written by geobox-users as it reads now"),
        "{said}"
    );
    assert!(said.contains("--allow-unverified"), "{said}");
    let role = |demo: &Demo| demo.user(target.id).and_then(|user| user.role);
    assert_eq!(role(&demo), Some(UserRole::Publisher), "nothing was undone");

    let allowed = demo.run(
        &["journal", "undo", &entry_id, "--yes", "--allow-unverified"],
        None,
    );
    assert_exit(&allowed, 0);
    let shown = text(&allowed.stdout);
    assert!(shown.contains("seal does not match"), "{shown}");
    assert!(
        shown.contains(&format!(
            "⚠ journal.viewer ({}) will be System Admin",
            target.id
        )),
        "{shown}"
    );
    assert_eq!(role(&demo), Some(UserRole::SystemAdmin));
}
