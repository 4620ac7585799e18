//! Two admins, each with a CLI of their own (their own home and data directory, their own
//! username), sharing one team journal on a throwaway PostgreSQL server: one lists and undoes
//! what the other did, two undos of one entry at once give one success, and entries written
//! while the team journal is down wait and are sent later, in order, once.

use std::process::Output;

use geobox_api::{GeoboxClient, NewUser, Secret, User, UserRef, UserRole, UserStatus};
use geobox_ops::journal::JOURNAL_URL_VAR;
use geobox_ops::test_postgres::{self, TestPostgres};
use geobox_server::RunningServer;
use serde_json::Value;

use crate::support::{self, assert_exit, text};

const ADMIN_PASSWORD: &str = "Team-admin-pass-1";
const SECOND_ADMIN: &str = "second.admin";
const SECOND_PASSWORD: &str = "Second-admin-pass-2";

/// One admin's CLI: a home of its own, signed in as that admin, on the team journal.
struct Admin {
    dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

impl Admin {
    fn run(&self, args: &[&str]) -> Output {
        support::isolated_cli(self.dir.path())
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run geobox-users")
    }

    /// The journal as `journal --output json` prints it, newest first.
    fn entries(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["journal", "--output", "json", "--limit", "0"];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        assert_exit(&output, 0);
        match serde_json::from_slice(&output.stdout).expect("json") {
            Value::Array(entries) => entries,
            other => panic!("{other}"),
        }
    }
}

struct Team {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    client: GeoboxClient,
    first: Admin,
    second: Admin,
}

impl Team {
    /// The embedded Geobox with two System Admins, each with a CLI on the journal at `url`.
    fn start(url: &str) -> Team {
        let runtime = support::test_runtime();
        let server = runtime.block_on(support::start_server(3, ADMIN_PASSWORD));
        let client = support::admin_client(&server, ADMIN_PASSWORD);
        runtime
            .block_on(client.create_user(&NewUser {
                username: SECOND_ADMIN.to_string(),
                email: "second.admin@example.ir".to_string(),
                password: Secret::new(SECOND_PASSWORD),
                role: UserRole::SystemAdmin,
                first_name: "Second".into(),
                last_name: "Admin".into(),
                mobile: String::new(),
                status: UserStatus::Active,
            }))
            .expect("a second admin");
        let admin = |username: &str, password: &str| {
            let mut envs = support::admin_env(&server, ADMIN_PASSWORD);
            envs.retain(|(name, _)| name == "GEOBOX_HOST");
            envs.push(("GEOBOX_USERNAME".into(), username.into()));
            envs.push(("GEOBOX_PASSWORD".into(), password.into()));
            envs.push((JOURNAL_URL_VAR.into(), url.into()));
            Admin {
                dir: tempfile::tempdir().expect("a home"),
                envs,
            }
        };
        let first = admin(&server.admin_username, ADMIN_PASSWORD);
        let second = admin(SECOND_ADMIN, SECOND_PASSWORD);
        Team {
            runtime,
            server: Some(server),
            client,
            first,
            second,
        }
    }

    fn first_username(&self) -> String {
        self.server
            .as_ref()
            .expect("running")
            .admin_username
            .clone()
    }

    fn user_named(&self, username: &str, status: UserStatus) -> User {
        self.runtime
            .block_on(self.client.create_user(&NewUser {
                username: username.to_string(),
                email: format!("{username}@example.ir"),
                password: Secret::new("Team-user-pass-3"),
                role: UserRole::Editor,
                first_name: "Team".into(),
                last_name: "Member".into(),
                mobile: String::new(),
                status,
            }))
            .expect("a user")
    }

    fn status(&self, id: i64) -> Option<UserStatus> {
        self.runtime
            .block_on(self.client.get_user(UserRef::Id(id)))
            .ok()
            .and_then(|user| user.status)
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

fn id_of(entry: &Value) -> String {
    entry["id"].as_str().expect("an id").to_string()
}

#[test]
fn one_admins_bulk_change_is_listed_and_undone_by_another() {
    let Some(postgres) = test_postgres::shared() else {
        return;
    };
    let team = Team::start(&postgres.database());
    let users: Vec<User> = (1..=3)
        .map(|n| team.user_named(&format!("teamwork{n}"), UserStatus::Active))
        .collect();
    let changed = team.first.run(&[
        "users",
        "bulk-update",
        "--search",
        "teamwork",
        "--set-status",
        "disabled",
        "--yes",
    ]);
    assert_exit(&changed, 0);
    assert!(
        users
            .iter()
            .all(|user| team.status(user.id) == Some(UserStatus::Disabled))
    );

    // The other admin sees it, with who made it and from where.
    let listed = team.second.entries(&[]);
    let entry = listed
        .iter()
        .find(|entry| entry["action"] == "bulk_update")
        .expect("the first admin's bulk change");
    assert_eq!(entry["by"], team.first_username().as_str());
    assert_eq!(
        entry["machine"].as_str(),
        geobox_ops::journal::hostname().as_deref()
    );
    assert_eq!(entry["changes"].as_array().map(Vec::len), Some(3));
    assert_eq!(entry["read_from"]["seal"], "team_database");
    let by_first = team.second.entries(&["--by", &team.first_username()]);
    assert_eq!(by_first.len(), 1);
    assert!(team.second.entries(&["--by", SECOND_ADMIN]).is_empty());
    let table = team.second.run(&["journal"]);
    let shown = text(&table.stdout);
    assert!(
        shown.contains(&format!("{}@", team.first_username())),
        "who and from which machine: {shown}"
    );

    let id = id_of(entry);
    let undone = team.second.run(&["journal", "undo", &id, "--yes"]);
    assert_exit(&undone, 0);
    assert!(
        users
            .iter()
            .all(|user| team.status(user.id) == Some(UserStatus::Active))
    );

    // The first admin sees that it was undone, and by whom.
    let seen = team.first.entries(&[]);
    let marked = seen.iter().find(|e| id_of(e) == id).expect("still listed");
    assert_eq!(marked["undone"]["by"], SECOND_ADMIN);
    assert_eq!(marked["undone"]["whole"], true);
    let again = team.first.run(&["journal", "undo", &id, "--yes"]);
    assert_exit(&again, 1);
    let said = text(&again.stderr);
    assert!(
        said.contains("already undone") && said.contains(SECOND_ADMIN),
        "{said}"
    );
}

#[test]
fn of_two_admins_undoing_one_entry_at_once_exactly_one_succeeds() {
    let Some(postgres) = test_postgres::shared() else {
        return;
    };
    let team = Team::start(&postgres.database());
    let user = team.user_named("raced.user", UserStatus::Active);
    let id = user.id.to_string();
    assert_exit(
        &team
            .first
            .run(&["users", "update", &id, "--status", "disabled"]),
        0,
    );
    let entry = id_of(&team.first.entries(&[])[0]);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| team.first.run(&["journal", "undo", &entry, "--yes"]));
        let second = scope.spawn(|| team.second.run(&["journal", "undo", &entry, "--yes"]));
        (
            first.join().expect("the first undo"),
            second.join().expect("the second undo"),
        )
    });
    let codes = [first.status.code(), second.status.code()];
    assert!(
        codes == [Some(0), Some(1)] || codes == [Some(1), Some(0)],
        "{codes:?}\n{}\n{}",
        text(&first.stderr),
        text(&second.stderr)
    );
    let loser = if codes[0] == Some(1) { &first } else { &second };
    let said = text(&loser.stderr);
    assert!(
        said.contains("already undone") || said.contains("is being undone by"),
        "{said}"
    );
    assert_eq!(team.status(user.id), Some(UserStatus::Active));
    let undos = team
        .second
        .entries(&[])
        .iter()
        .filter(|e| e["undoes"].as_str() == Some(entry.as_str()))
        .count();
    assert_eq!(undos, 1, "one undo, journaled once");
}

#[test]
fn entries_written_while_the_team_journal_is_down_are_sent_later_in_order_and_once() {
    let Some(postgres) = TestPostgres::start() else {
        return;
    };
    let url = postgres.database();
    let team = Team::start(&url);
    let user = team.user_named("while.down", UserStatus::Active);
    let id = user.id.to_string();
    let rename =
        |admin: &Admin, name: &str| admin.run(&["users", "update", &id, "--first-name", name]);
    assert_exit(&rename(&team.first, "Shared"), 0);

    postgres.pause();
    for name in ["Queued1", "Queued2"] {
        let written = rename(&team.first, name);
        assert_exit(&written, 0);
        let said = text(&written.stderr);
        assert!(said.contains("not shared yet"), "{said}");
    }
    let listed = team.first.run(&["journal", "--output", "json"]);
    assert_exit(&listed, 0);
    assert!(
        text(&listed.stderr).contains("cannot be reached"),
        "{}",
        text(&listed.stderr)
    );
    let here: Vec<Value> = serde_json::from_slice(&listed.stdout).expect("json");
    let waiting: Vec<bool> = here.iter().map(|e| e["not_shared"] == true).collect();
    assert_eq!(waiting, [true, true, false], "newest first: two wait here");

    postgres.resume();
    let before_sending = team.second.entries(&[]);
    assert_eq!(
        before_sending.len(),
        1,
        "only what reached the team journal"
    );
    // Any run of the first admin's CLI sends what waits, oldest first.
    assert_exit(&team.first.run(&["journal"]), 0);
    let names = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                e["changes"][0]["after"]["first_name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    let everyone = team.second.entries(&[]);
    assert_eq!(names(&everyone), ["Queued2", "Queued1", "Shared"]);
    assert!(everyone.iter().all(|e| e["not_shared"] != true));

    // Sent again (an answer lost on the way): still once.
    let local = rusqlite::Connection::open(team.first.dir.path().join("data/journal.sqlite"))
        .expect("the first admin's local journal");
    let requeued = local
        .execute("UPDATE entries SET pending = 1", [])
        .expect("queued again");
    assert_eq!(requeued, 3);
    drop(local);
    assert_exit(&team.first.run(&["journal"]), 0);
    assert_eq!(
        names(&team.second.entries(&[])),
        ["Queued2", "Queued1", "Shared"]
    );
}
