//! The journal end to end: the built binary writes through the embedded server, with its
//! data directory (and so its journal) in a temporary directory.

mod asking;
mod moved;
mod store;
mod undo;

use crate::support;

use support::{assert_exit, text};

use std::io::Write;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use geobox_api::{GeoboxClient, NewUser, Secret, User, UserRef, UserRole, UserStatus, UserUpdate};
use geobox_ops::journal::{Action, Deployment, Entry, JsonLines, Outcome, Tool, UserChange};
use geobox_server::RunningServer;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "Journal-admin-pass-1";
const USER_PASSWORD: &str = "Target-pass-Secret-7";

struct Demo {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    admin: GeoboxClient,
    dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

impl Demo {
    fn start() -> Demo {
        Demo::seeded(3)
    }

    /// The server with `users` seeded users besides its admin.
    fn seeded(users: u64) -> Demo {
        let runtime = support::test_runtime();
        let server = runtime.block_on(support::start_server(users, ADMIN_PASSWORD));
        let admin = support::admin_client(&server, ADMIN_PASSWORD);
        let envs = support::admin_env(&server, ADMIN_PASSWORD);
        Demo {
            runtime,
            server: Some(server),
            admin,
            dir: tempfile::tempdir().expect("tempdir"),
            envs,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The local journal's files as text.
    fn journal_text(&self) -> String {
        support::journal_files_text(&self.data_dir())
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = support::isolated_cli(self.dir.path());
        command
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if stdin.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().expect("run geobox-users");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("stdin written");
        }
        child.wait_with_output().expect("wait")
    }

    fn create_user(&self, username: &str) -> User {
        self.runtime
            .block_on(self.admin.create_user(&NewUser {
                username: username.to_string(),
                email: format!("{username}@example.ir"),
                password: Secret::new(USER_PASSWORD),
                role: UserRole::Editor,
                first_name: "Journal".into(),
                last_name: "Target".into(),
                mobile: String::new(),
                status: UserStatus::Active,
            }))
            .expect("a user")
    }

    fn user(&self, id: i64) -> Option<User> {
        self.runtime
            .block_on(self.admin.get_user(UserRef::Id(id)))
            .ok()
    }

    fn set_status(&self, id: i64, status: UserStatus) {
        let update = UserUpdate {
            status: Some(status),
            ..UserUpdate::default()
        };
        self.runtime
            .block_on(self.admin.update_user(id, &update))
            .expect("updated");
    }

    /// The journal as `journal --output json` prints it, newest first.
    fn entries(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["journal", "--output", "json"];
        args.extend_from_slice(extra);
        let output = self.run(&args, None);
        assert_exit(&output, 0);
        match serde_json::from_slice(&output.stdout).expect("json") {
            Value::Array(entries) => entries,
            other => panic!("{other}"),
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

fn status_of(user: Option<User>) -> Option<UserStatus> {
    user.and_then(|user| user.status)
}

#[test]
fn an_update_is_journaled_and_its_undo_restores_the_old_value() {
    let demo = Demo::start();
    let target = demo.create_user("journal.undo");
    let id = target.id.to_string();
    assert_exit(
        &demo.run(&["users", "update", &id, "--status", "disabled"], None),
        0,
    );
    let entries = demo.entries(&[]);
    let entry = &entries[0];
    assert_eq!(entry["action"], "update");
    assert_eq!(entry["tool"], "cli");
    assert_eq!(entry["by"], "admin");
    let change = &entry["changes"][0];
    assert_eq!(change["user_id"], target.id);
    assert_eq!(change["username"], "journal.undo");
    assert_eq!(change["before"], serde_json::json!({"status": "Active"}));
    assert_eq!(change["after"], serde_json::json!({"status": "Disabled"}));
    let entry_id = entry["id"].as_str().expect("an id").to_string();

    let undone = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&undone, 0);
    assert!(
        text(&undone.stdout).contains("status: Disabled → Active"),
        "{}",
        text(&undone.stdout)
    );
    assert_eq!(status_of(demo.user(target.id)), Some(UserStatus::Active));
    let newest = &demo.entries(&[])[0];
    assert_eq!(newest["undoes"], entry_id.as_str());
    assert_eq!(newest["changes"][0]["after"]["status"], "Active");
}

#[test]
fn an_undo_is_refused_after_another_change_unless_forced() {
    let demo = Demo::start();
    let target = demo.create_user("journal.drift");
    let id = target.id.to_string();
    assert_exit(
        &demo.run(&["users", "update", &id, "--status", "disabled"], None),
        0,
    );
    let entry_id = demo.entries(&[])[0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    demo.set_status(target.id, UserStatus::Pending);

    let refused = demo.run(&["journal", "undo", &entry_id, "--yes"], None);
    assert_exit(&refused, 1);
    let said = text(&refused.stderr);
    assert!(
        said.contains("status: the entry set Disabled, it is now Pending"),
        "{said}"
    );
    assert_eq!(status_of(demo.user(target.id)), Some(UserStatus::Pending));

    let without_terminal = demo.run(&["journal", "undo", &entry_id, "--force"], None);
    assert_exit(&without_terminal, 2);
    assert!(text(&without_terminal.stderr).contains("--yes"));

    let forced = demo.run(&["journal", "undo", &entry_id, "--yes", "--force"], None);
    assert_exit(&forced, 0);
    assert!(text(&forced.stdout).contains("status: Pending → Active"));
    assert_eq!(status_of(demo.user(target.id)), Some(UserStatus::Active));
}

#[test]
fn the_journal_is_private_and_holds_no_secret() {
    let demo = Demo::start();
    let target = demo.create_user("journal.secret");
    let id = target.id.to_string();
    let new_password = "Brand-new-Secret-42";
    assert_exit(
        &demo.run(
            &["users", "set-password", &id],
            Some(&format!("{new_password}\n")),
        ),
        0,
    );
    let created_password = "Created-Secret-99";
    let created = demo.run(
        &[
            "users",
            "create",
            "--username",
            "journal.made",
            "--email",
            "made@example.ir",
            "--role",
            "viewer",
            "--first-name",
            "Made",
            "--last-name",
            "Here",
            "--mobile",
            "",
            "--status",
            "active",
        ],
        Some(&format!("{created_password}\n")),
    );
    assert_exit(&created, 0);
    assert_exit(&demo.run(&["users", "delete", &id, "--yes"], None), 0);
    let delete_id = demo.entries(&[])[0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let recreated = demo.run(&["journal", "undo", &delete_id, "--yes"], None);
    assert_exit(&recreated, 0);
    let shown = text(&recreated.stdout);
    assert!(shown.contains("new id and a new password"), "{shown}");
    let generated = shown
        .lines()
        .find_map(|line| line.split("not journaled): ").nth(1))
        .expect("the new password is shown once")
        .to_string();

    let journal = demo.journal_text();
    let server = demo.server.as_ref().expect("running");
    for secret in [
        ADMIN_PASSWORD,
        USER_PASSWORD,
        new_password,
        created_password,
        generated.as_str(),
        server.admin_apikey.expose(),
    ] {
        assert!(
            !journal.contains(secret),
            "a secret in the journal: {journal}"
        );
    }
    assert!(!journal.contains("password\":"), "{journal}");
    let actions: Vec<String> = demo
        .entries(&[])
        .iter()
        .map(|entry| entry["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(actions, ["create", "delete", "create", "set_password"]);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(demo.data_dir().join("journal.sqlite"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_failed_write_is_journaled_and_listings_filter() {
    let demo = Demo::start();
    let first = demo.create_user("journal.first");
    let second = demo.create_user("journal.second");
    for (user, name) in [(&first, "One"), (&second, "Two"), (&first, "Three")] {
        let id = user.id.to_string();
        assert_exit(
            &demo.run(&["users", "update", &id, "--first-name", name], None),
            0,
        );
    }
    let failed = demo.run(&["users", "update", "999999", "--first-name", "X"], None);
    assert_exit(&failed, 1);

    let all = demo.entries(&[]);
    assert_eq!(all.len(), 4);
    assert!(
        all[0]["outcome"]["error"]
            .as_str()
            .is_some_and(|error| error.contains("404")),
        "{}",
        all[0]
    );
    let about_first = demo.entries(&["--user", "journal.first"]);
    let names: Vec<&Value> = about_first
        .iter()
        .map(|entry| &entry["changes"][0]["after"]["first_name"])
        .collect();
    assert_eq!(names, ["Three", "One"]);
    assert_eq!(demo.entries(&["--limit", "1"]).len(), 1);
    assert_eq!(demo.entries(&["--since", "1h"]).len(), 4);
    assert!(demo.entries(&["--host", "http://127.0.0.1:1"]).is_empty());

    let table = demo.run(&["journal", "--user", &second.id.to_string()], None);
    assert_exit(&table, 0);
    let shown = text(&table.stdout);
    assert!(
        shown.contains("first_name: Journal → Two") && shown.contains("journal.second"),
        "{shown}"
    );
}

#[test]
fn an_old_rotated_journal_is_imported_once_and_its_files_are_kept_as_they_were() {
    let demo = Demo::start();
    let data = demo.data_dir();
    let old = JsonLines::new(&data).rotate_at(700, 3);
    for round in 0..14 {
        let mut entry = Entry::new("", Tool::Cli, Action::Update, Outcome::Ok);
        entry.place(
            &Deployment::server("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080",
        );
        entry.changes = vec![UserChange::new(Some(round), Some(format!("user{round}")))];
        old.append(&entry).expect("written the old way");
    }
    let names = [
        "journal.jsonl",
        "journal.1.jsonl",
        "journal.2.jsonl",
        "journal.3.jsonl",
    ];
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|name| std::fs::read(data.join(name)).expect("an old file"))
        .collect();
    let lines: usize = before
        .iter()
        .map(|bytes| bytes.iter().filter(|byte| **byte == b'\n').count())
        .sum();

    let first = demo.run(&["journal", "--output", "json", "--limit", "0"], None);
    assert_exit(&first, 0);
    let said = text(&first.stderr);
    assert!(
        said.contains(&format!(
            "imported {lines} journal entries from journal.jsonl, journal.1.jsonl"
        )),
        "{said}"
    );
    assert!(said.contains("as a backup"), "{said}");
    let entries: Vec<Value> = serde_json::from_slice(&first.stdout).expect("json");
    assert_eq!(entries.len(), lines, "every entry the old files held");
    assert_eq!(entries[0]["changes"][0]["user_id"], 13, "newest first");

    let again = demo.run(&["journal", "--output", "json", "--limit", "0"], None);
    assert!(
        !text(&again.stderr).contains("imported"),
        "{}",
        text(&again.stderr)
    );
    let listed: Vec<Value> = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(listed.len(), lines, "imported once");
    let after: Vec<Vec<u8>> = names
        .iter()
        .map(|name| std::fs::read(data.join(name)).expect("still there"))
        .collect();
    assert_eq!(before, after, "the old files are kept as they were");
}
