//! Acting on whole queries end to end: the built binary against the embedded server, with its
//! config file and data directory (and so its journal) in a temporary directory.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use geobox_api::{Auth, GeoboxClient, Secret, User, UserStatus};
use geobox_ops::bulk::{self, Change, Targets};
use geobox_ops::transfer::Pager;
use geobox_ops::views::View;
use geobox_server::RunningServer;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "Bulk-admin-pass-1";

/// The embedded server, a client signed in as its admin, and a temporary directory where
/// the binary keeps its config file and data (and so its journal).
pub(crate) struct Demo {
    pub runtime: tokio::runtime::Runtime,
    _server: RunningServer,
    pub admin: GeoboxClient,
    pub dir: tempfile::TempDir,
    pub envs: Vec<(String, String)>,
}

impl Demo {
    pub fn start(seed_users: u64) -> Demo {
        let runtime = support::test_runtime();
        let server = runtime.block_on(support::start_server(seed_users, ADMIN_PASSWORD));
        let admin = support::admin_client(&server, ADMIN_PASSWORD);
        let envs = support::admin_env(&server, ADMIN_PASSWORD);
        Demo {
            runtime,
            _server: server,
            admin,
            dir: tempfile::tempdir().expect("tempdir"),
            envs,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let mut command = support::isolated_cli(self.dir.path());
        command
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command.output().expect("run geobox-users")
    }

    /// The binary with `stdin` piped to it.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        use std::io::Write;
        let mut command = support::isolated_cli(self.dir.path());
        command
            .args(args)
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::piped());
        let mut child = command.spawn().expect("run geobox-users");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin).expect("written to stdin");
        drop(input);
        child.wait_with_output().expect("its output")
    }

    /// Every user, read straight from the server.
    pub fn users(&self) -> Vec<User> {
        self.runtime
            .block_on(Pager::new(View::default()).collect_users(&self.admin, |_| {}))
            .expect("every user")
    }

    /// The journal's entries, oldest first.
    pub fn journal(&self) -> Vec<Value> {
        support::journal_entries(&self.path("data"))
    }

    /// Every user's status, by id, read straight from the server.
    pub fn statuses(&self) -> BTreeMap<i64, Option<UserStatus>> {
        let users = self
            .runtime
            .block_on(Pager::new(View::default()).collect_users(&self.admin, |_| {}))
            .expect("every user");
        users
            .into_iter()
            .map(|user| (user.id, user.status))
            .collect()
    }

    pub fn count(&self, args: &[&str]) -> u64 {
        let mut all = vec!["users", "list", "--count"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        assert_success(&output);
        stdout(&output).trim().parse().expect("a count")
    }
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
pub(crate) fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

/// The ids in the first column of a table (its header skipped).
pub(crate) fn table_ids(text: &str) -> BTreeSet<i64> {
    text.lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn all_gives_every_user_exactly_once_in_every_format() {
    let demo = Demo::start(2500);
    let total = demo.count(&[]);
    assert_eq!(total, 2501, "the seeded users and the admin");

    let jsonl = demo.run(&["users", "list", "--all", "--output", "jsonl"]);
    assert_success(&jsonl);
    let ids: Vec<i64> = stdout(&jsonl)
        .lines()
        .map(|line| {
            let user: Value = serde_json::from_str(line).expect("one object per line");
            user["id"].as_i64().expect("an id")
        })
        .collect();
    let unique: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(ids.len() as u64, total);
    assert_eq!(unique.len(), ids.len(), "no user twice");

    // With a sort of its own the listing pages by skip: still each user once.
    let sorted = demo.run(&[
        "users",
        "list",
        "--all",
        "--order-by",
        "username A",
        "--output",
        "csv",
    ]);
    assert_success(&sorted);
    let rows: Vec<String> = stdout(&sorted)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    let sorted_ids: BTreeSet<&str> = rows
        .iter()
        .filter_map(|row| row.split(',').next())
        .collect();
    assert_eq!(rows.len() as u64, total);
    assert_eq!(sorted_ids.len(), rows.len());

    let json = demo.run(&[
        "users", "list", "--all", "--status", "pending", "--output", "json",
    ]);
    assert_success(&json);
    let pending: Vec<Value> = serde_json::from_str(&stdout(&json)).expect("one JSON array");
    assert_eq!(pending.len() as u64, demo.count(&["--status", "pending"]));
    assert!(pending.iter().all(|user| user["status"] == "Pending"));
}

#[test]
fn bulk_update_dry_run_writes_nothing_and_the_run_writes_exactly_what_it_listed() {
    let demo = Demo::start(300);
    let filter = ["--status", "pending", "--q", "id < 200"];
    let before = demo.statuses();

    let mut refused = vec!["users", "bulk-update", "--set-status", "active"];
    refused.extend_from_slice(&filter);
    let no_terminal = demo.run(&refused);
    assert_eq!(
        no_terminal.status.code(),
        Some(2),
        "{}",
        stderr(&no_terminal)
    );

    let mut dry = refused.clone();
    dry.push("--dry-run");
    let dry_run = demo.run(&dry);
    assert_success(&dry_run);
    let listed = table_ids(&stdout(&dry_run));
    assert!(!listed.is_empty(), "{}", stdout(&dry_run));
    assert!(
        stderr(&dry_run).contains(&format!("{} users would change", listed.len())),
        "{}",
        stderr(&dry_run)
    );
    assert_eq!(demo.statuses(), before, "a dry run changes nothing");

    // The change takes every user out of the filter: the pages must not shift under it.
    let mut real = refused.clone();
    real.push("--yes");
    let run = demo.run(&real);
    assert_success(&run);
    let after = demo.statuses();
    let changed: BTreeSet<i64> = after
        .iter()
        .filter(|(id, status)| before.get(id) != Some(status))
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(changed, listed);
    assert!(
        changed
            .iter()
            .all(|id| after[id] == Some(UserStatus::Active))
    );

    // One journal entry for the whole change, a change per user.
    let entries: Vec<Value> = demo.journal();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "bulk_update");
    assert_eq!(
        entries[0]["changes"].as_array().map(Vec::len),
        Some(listed.len())
    );

    let again = demo.run(&real);
    assert_success(&again);
    assert!(
        stderr(&again).contains("nothing to change"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn import_refuses_a_file_with_bad_rows_creates_a_good_one_and_a_rerun_creates_none() {
    let demo = Demo::start(20);
    let total = demo.count(&[]);
    let bad = demo.path("bad.csv");
    std::fs::write(
        &bad,
        "username,email,role,status,plan_id,password\n\
         imp.one,imp.one@example.ir,editor,active,,Long-enough-1\n\
         x,not-an-email,,,,\n\
         imp.two,imp.two@example.ir,boss,,,\n\
         imp.three,imp.three@example.ir,,,-4,short\n",
    )
    .expect("written");
    let refused = demo.run(&["users", "import", "bad.csv"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let said = stderr(&refused);
    for named in [
        "line 3: username",
        "line 3: email",
        "line 4: role",
        "line 5: plan_id",
        "line 5: password",
    ] {
        assert!(said.contains(named), "{named} not in {said}");
    }
    assert!(!said.contains("line 2"), "{said}");
    assert_eq!(demo.count(&[]), total, "nothing created");

    let good = demo.path("good.csv");
    std::fs::write(
        &good,
        "username,email,first_name,role,status,password\n\
         imp.one,imp.one@example.ir,One,editor,active,Long-enough-1\n\
         imp.two,imp.two@example.ir,Two,,pending,\n\
         imp.three,imp.three@example.ir,Three,publisher,,\n",
    )
    .expect("written");
    let without_out = demo.run(&["users", "import", "good.csv"]);
    assert_eq!(without_out.status.code(), Some(2));
    assert_eq!(demo.count(&[]), total, "refused before creating anyone");

    let created = demo.run(&["users", "import", "good.csv", "--passwords-out", "pw.csv"]);
    assert_success(&created);
    assert!(
        stderr(&created).contains("created 3,"),
        "{}",
        stderr(&created)
    );
    assert_eq!(demo.count(&[]), total + 3);
    assert_eq!(
        demo.count(&["--q", "username LIKE 'imp.%'", "--status", "pending"]),
        1
    );
    let passwords = std::fs::read_to_string(demo.path("pw.csv")).expect("passwords");
    assert_eq!(passwords.lines().count(), 3, "a header and two generated");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(demo.path("pw.csv"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let rerun = demo.run(&["users", "import", "good.csv", "--passwords-out", "pw2.csv"]);
    assert_success(&rerun);
    assert!(
        stderr(&rerun).contains("created 0, updated 0, skipped 3"),
        "{}",
        stderr(&rerun)
    );
    assert_eq!(demo.count(&[]), total + 3);
    assert!(!demo.path("pw2.csv").exists(), "no password generated");
}

#[test]
fn views_are_saved_used_and_deleted_keeping_the_config_files_comments() {
    let demo = Demo::start(200);
    let config =
        "# written by hand\n[profiles.other] # another server\nhost = \"http://other.example\"\n";
    std::fs::write(demo.path("config.toml"), config).expect("written");

    let saved = demo.run(&[
        "views", "save", "editors", "--role", "editor", "--status", "active",
    ]);
    assert_success(&saved);
    let text = std::fs::read_to_string(demo.path("config.toml")).expect("config");
    assert!(text.starts_with(config), "{text}");
    assert!(text.contains("[views.editors]"), "{text}");

    let listed = demo.run(&["views", "list"]);
    assert_success(&listed);
    let row = |name: &str| -> Vec<String> {
        let text = stdout(&listed);
        let line = text
            .lines()
            .find(|line| line.starts_with(&format!("{name} ")));
        let line = line.unwrap_or_else(|| panic!("no row for {name}: {text}"));
        line.split("  ")
            .filter(|cell| !cell.is_empty())
            .map(|cell| cell.trim().to_string())
            .collect()
    };
    assert_eq!(
        row("editors"),
        ["editors", "saved", "status=Active role=Editor"]
    );
    assert_eq!(row("expiring-soon")[1], "built in");

    let by_view = demo.count(&["--view", "editors"]);
    let by_flags = demo.count(&["--q", "role = 'Editor'", "--status", "active"]);
    assert_eq!(by_view, by_flags);
    assert!(by_view > 0);
    let overridden = demo.count(&["--view", "editors", "--status", "pending"]);
    assert_eq!(
        overridden,
        demo.count(&["--q", "role = 'Editor'", "--status", "pending"])
    );
    assert_eq!(
        demo.count(&["--view", "pending"]),
        demo.count(&["--status", "pending"])
    );

    let deleted = demo.run(&["views", "delete", "editors"]);
    assert_success(&deleted);
    assert_eq!(
        std::fs::read_to_string(demo.path("config.toml")).expect("config"),
        config
    );
    let unknown = demo.run(&["users", "list", "--view", "editors"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
}

/// A whole-query lockdown through the shared runner, against a stand-in server: a step the
/// lockdown reports as not done makes that user a failure with the step as the reason, a user
/// that cannot be read is left untouched, and no password is ever set.
#[tokio::test]
async fn a_lockdown_run_counts_missed_steps_as_failures_and_sets_no_password() {
    let server = support::Recorder::start(|request| {
        let closing_for_5 =
            request.method != "GET" && request.path.starts_with("/v1/users/5/sessions/");
        if closing_for_5 {
            return support::Reply::json(500, json!({"detail": "the session store is down"}));
        }
        support::fake_geobox(request)
    });
    let client = GeoboxClient::new(
        &server.host(),
        Auth::AccessToken(Secret::from("tok-admin")),
        Duration::from_secs(10),
    )
    .expect("a client");
    let user = |id: i64| -> User {
        serde_json::from_value(json!({"id": id, "username": format!("u{id}"), "status": "Active"}))
            .expect("a user")
    };
    // User 150 does not exist on the stand-in: it cannot be read first.
    let targets = Targets::split(vec![user(4), user(5), user(150)], &Change::Lockdown);
    let stop = AtomicBool::new(false);
    let summary = bulk::run(&client, targets, &Change::Lockdown, &stop, |_| {}).await;

    let done: Vec<i64> = summary.done.iter().map(|user| user.id).collect();
    assert_eq!(done, vec![4]);
    let reasons: BTreeMap<i64, String> = summary
        .failed
        .iter()
        .map(|(user, reason)| (user.id, reason.to_string()))
        .collect();
    assert!(
        reasons[&5].starts_with("not done: close sessions"),
        "{reasons:?}"
    );
    assert!(reasons[&150].starts_with("nothing done"), "{reasons:?}");
    let change_of = |id: i64| {
        summary
            .changes
            .iter()
            .find(|change| change.user_id == Some(id))
            .expect("journaled")
    };
    // User 5 was disabled before the sessions failed: the journal keeps the status to put back.
    assert_eq!(change_of(5).after.0.len(), 1);
    assert!(!change_of(5).outcome.as_ref().is_some_and(|o| o.is_ok()));
    assert!(change_of(150).after.is_empty());
    let requests = server.requests();
    assert!(
        !requests.iter().any(|r| r.path.contains("change-password")),
        "no password set on a whole query"
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "PUT" && r.path.starts_with("/v1/users/150/")),
        "the user that could not be read is not written"
    );
}
