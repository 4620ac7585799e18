//! The CLI as someone who knows gh, kubectl and the AWS CLI types it: `-o`, usernames and
//! several users wherever an id is taken, paging past the server's cap, refusals instead of
//! silently ignored flags, output for scripts (no headers, quiet, JSON errors), completion
//! that works at every level. Against the embedded server or the recording stand-in.

use crate::support;

use std::path::Path;
use std::process::Output;

use geobox_api::{NewUser, Secret, UserQuery, UserRef, UserRole, UserStatus};
use geobox_server::RunningServer;
use serde_json::Value;
use support::{Recorder, assert_exit, cli_against as against, fake_geobox, isolated_cli, text};

const ADMIN_PASSWORD: &str = "Habits-admin-pass-1";

/// The embedded server with `seed_users` users, and the binary signed in as its admin.
struct Embedded {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    dir: tempfile::TempDir,
}

impl Embedded {
    fn start(seed_users: u64) -> Embedded {
        let runtime = support::test_runtime();
        let server = runtime.block_on(support::start_server(seed_users, ADMIN_PASSWORD));
        Embedded {
            runtime,
            server: Some(server),
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn server(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    fn run(&self, args: &[&str]) -> Output {
        isolated_cli(self.dir.path())
            .args(args)
            .envs(support::admin_env(self.server(), ADMIN_PASSWORD))
            .output()
            .expect("run geobox-users")
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self.run(args);
        assert_exit(&output, 0);
        serde_json::from_slice(&output.stdout).expect("JSON on stdout")
    }

    fn create(&self, username: &str) -> i64 {
        let admin = support::admin_client(self.server(), ADMIN_PASSWORD);
        let new_user = NewUser {
            username: username.to_string(),
            email: format!("{username}@example.ir"),
            password: Secret::new("Habits-user-pass-2"),
            role: UserRole::Editor,
            first_name: "Habit".into(),
            last_name: "Tester".into(),
            mobile: String::new(),
            status: UserStatus::Active,
        };
        self.runtime
            .block_on(admin.create_user(&new_user))
            .expect("created")
            .id
    }

    fn count(&self) -> u64 {
        let admin = support::admin_client(self.server(), ADMIN_PASSWORD);
        self.runtime
            .block_on(admin.count_users(&UserQuery::new()))
            .expect("count")
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

fn usernames(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|user| user["username"].as_str().expect("a username").to_string())
        .collect()
}

#[test]
fn usernames_and_several_users_are_taken_wherever_an_id_is() {
    let demo = Embedded::start(3);
    let neda = demo.create("neda_b");
    let omid = demo.create("omid_k");
    demo.create("sara_m");
    demo.create("hadi_r");

    let got = demo.json(&["users", "get", "neda_b", "omid_k", "-o", "json"]);
    assert_eq!(usernames(&got), ["neda_b", "omid_k"]);
    let one = demo.json(&["users", "get", "neda_b", "-o", "json"]);
    assert_eq!(one["id"], neda, "one user is one object");
    assert_eq!(
        demo.json(&["users", "get", "me", "-o", "json"])["username"],
        "admin"
    );

    let missing = demo.run(&["users", "get", "nobody_here"]);
    assert_exit(&missing, 1);
    assert!(
        text(&missing.stderr).contains("no user named 'nobody_here'"),
        "{}",
        text(&missing.stderr)
    );

    let updated = demo.json(&[
        "users", "update", "neda_b", "omid_k", "--status", "pending", "-o", "json",
    ]);
    assert_eq!(usernames(&updated), ["neda_b", "omid_k"]);
    for id in [neda, omid] {
        let user = demo.json(&["users", "get", &id.to_string(), "-o", "json"]);
        assert_eq!(user["status"], "Pending");
    }

    let sessions = demo.json(&["sessions", "list", "admin", "neda_b", "-o", "json"]);
    assert!(
        sessions
            .as_array()
            .expect("sessions")
            .iter()
            .all(|session| session["user_id"] == 1),
        "only the admin is signed in, each session marked with its user: {sessions}"
    );

    let locked = demo.run(&["users", "lockdown", "sara_m", "hadi_r", "--yes"]);
    assert_exit(&locked, 0);
    for name in ["sara_m", "hadi_r"] {
        let user = demo.json(&["users", "get", name, "-o", "json"]);
        assert_eq!(user["status"], "Disabled", "{name}");
    }

    let deleted = demo.run(&["users", "delete", "neda_b", "omid_k", "--yes"]);
    assert_exit(&deleted, 0);
    assert_exit(&demo.run(&["users", "get", "neda_b"]), 1);
    assert_exit(&demo.run(&["users", "get", "omid_k"]), 1);
}

#[test]
fn renew_plan_prints_the_new_date_in_the_format_asked_for() {
    let demo = Embedded::start(3);
    let id = demo.create("renew_me");
    let admin = support::admin_client(demo.server(), ADMIN_PASSWORD);
    demo.runtime
        .block_on(admin.update_user(
            id,
            &geobox_api::UserUpdate {
                plan_id: geobox_api::Patch::Set(1),
                ..Default::default()
            },
        ))
        .expect("given a plan");
    let renewed = demo.json(&["users", "renew-plan", "renew_me", "-o", "json"]);
    let now = demo
        .runtime
        .block_on(admin.get_user(UserRef::Id(id)))
        .expect("the user");
    let expires = now.expiration_date.expect("an expiration date");
    assert_eq!(renewed["expiration_date"], expires.as_str());
    let table = demo.run(&["users", "renew-plan", "renew_me"]);
    assert_exit(&table, 0);
    let stdout = text(&table.stdout);
    assert!(stdout.starts_with("ID"), "{stdout}");
    assert!(stdout.contains("renew_me"), "{stdout}");
    assert!(stdout.contains("EXPIRES"), "{stdout}");
}

#[test]
fn a_limit_past_the_servers_cap_is_read_through_and_zero_means_every_match() {
    let demo = Embedded::start(1_150);
    let total = demo.count();
    assert!(total > 1_100, "{total}");
    let lines = |args: &[&str]| -> usize {
        let output = demo.run(args);
        assert_exit(&output, 0);
        text(&output.stdout).lines().count()
    };
    assert_eq!(
        lines(&["users", "list", "--limit", "1100", "-o", "jsonl"]),
        1_100
    );
    assert_eq!(
        lines(&[
            "users", "list", "--limit", "1100", "--skip", "100", "-o", "jsonl"
        ]),
        (total as usize - 100).min(1_100)
    );
    assert_eq!(
        lines(&["users", "list", "--limit", "0", "-o", "jsonl"]),
        total as usize
    );
    let json = demo.json(&["users", "list", "--limit", "1050", "-o", "json"]);
    assert_eq!(json.as_array().map(Vec::len), Some(1_050), "one JSON array");
    let plans = demo.json(&["plans", "list", "--limit", "0", "-o", "json"]);
    assert!(!plans.as_array().expect("plans").is_empty());
}

#[test]
fn flags_that_would_be_ignored_are_refused_before_any_request() {
    let server = Recorder::start(fake_geobox);
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, says) in [
        (vec!["users", "list", "--all", "--limit", "5"], "--limit"),
        (vec!["users", "list", "--all", "--skip", "5"], "--skip"),
        (
            vec!["users", "list", "--search-fields", "email"],
            "--search TERM",
        ),
        (
            vec!["users", "update", "5", "6", "--email", "x@example.ir"],
            "give one user",
        ),
        (
            vec!["users", "list", "--view", "expiring-soon:4294967295"],
            "0 to 36500 days",
        ),
        (
            vec!["users", "list", "--view", "expiring-soon:3000000"],
            "0 to 36500 days",
        ),
    ] {
        let output = against(&server, dir.path(), &args);
        assert_exit(&output, 2);
        assert!(
            text(&output.stderr).contains(says),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
    let searched = against(
        &server,
        dir.path(),
        &[
            "users",
            "list",
            "--search",
            "ali",
            "--search-fields",
            "email",
        ],
    );
    assert_exit(&searched, 0);
}

#[test]
fn a_search_too_long_to_send_says_so() {
    let server = Recorder::start(fake_geobox);
    let dir = tempfile::tempdir().expect("tempdir");
    let term = "a".repeat(70_000);
    let output = against(&server, dir.path(), &["users", "search", &term]);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the request is too long to send"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("builder error") && !stderr.contains("cannot reach"),
        "{stderr}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn a_name_that_is_not_unique_is_an_error_listing_the_matches() {
    // The stand-in answers every list with the same two users.
    let server = Recorder::start(fake_geobox);
    let dir = tempfile::tempdir().expect("tempdir");
    let output = against(&server, dir.path(), &["users", "delete", "ali", "--yes"]);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("'ali' names several users"), "{stderr}");
    assert!(
        stderr.contains("1  ali") && stderr.contains("12  sara"),
        "{stderr}"
    );
    assert_eq!(server.count("DELETE", "/v1/users/1/"), 0);
    let lookup = &server.requests()[0];
    assert_eq!(lookup.param("q").as_deref(), Some("username = 'ali'"));
}

#[test]
fn output_for_scripts_short_flags_no_headers_quiet_and_json_errors() {
    let server = Recorder::start(fake_geobox);
    let dir = tempfile::tempdir().expect("tempdir");
    let json = against(&server, dir.path(), &["users", "get", "me", "-o", "json"]);
    assert_exit(&json, 0);
    let me: Value = serde_json::from_slice(&json.stdout).expect("-o json");
    assert_eq!(me["username"], "ali");

    let table = against(&server, dir.path(), &["users", "list", "--no-headers"]);
    assert_exit(&table, 0);
    assert!(
        text(&table.stdout).starts_with("1 "),
        "{}",
        text(&table.stdout)
    );
    assert_eq!(text(&table.stdout).lines().count(), 2);
    let csv = against(
        &server,
        dir.path(),
        &["users", "list", "-o", "csv", "--no-headers"],
    );
    assert!(
        text(&csv.stdout).starts_with("1,ali,"),
        "{}",
        text(&csv.stdout)
    );
    assert!(!csv.stdout.contains(&b'\r'), "CSV lines end in \\n");
    let rfc = against(
        &server,
        dir.path(),
        &["users", "list", "-o", "csv", "--crlf"],
    );
    assert_eq!(text(&rfc.stdout).matches("\r\n").count(), 3);

    let loud = against(&server, dir.path(), &["users", "delete", "5", "--yes"]);
    assert!(text(&loud.stderr).contains("deleted user 5"));
    let quiet = against(
        &server,
        dir.path(),
        &["users", "delete", "5", "--yes", "--quiet"],
    );
    assert_exit(&quiet, 0);
    assert_eq!(text(&quiet.stderr), "", "--quiet: no notes");

    let failed = against(&server, dir.path(), &["users", "get", "404", "-o", "json"]);
    assert_exit(&failed, 1);
    let error: Value = serde_json::from_slice(&failed.stderr).expect("a JSON error on stderr");
    assert_eq!(error["error"]["status"], 404);
    assert_eq!(error["error"]["exit_code"], 1);
    assert_eq!(error["error"]["message"], "not found (404): User not found");
    let usage = against(
        &server,
        dir.path(),
        &["users", "update", "5", "-o", "jsonl"],
    );
    assert_exit(&usage, 2);
    let error: Value = serde_json::from_slice(&usage.stderr).expect("a JSON error on stderr");
    assert_eq!(error["error"]["exit_code"], 2);
}

#[test]
fn plans_show_storage_in_binary_units() {
    let server = Recorder::start(fake_geobox);
    let dir = tempfile::tempdir().expect("tempdir");
    let output = against(&server, dir.path(), &["plans", "list"]);
    assert_exit(&output, 0);
    assert!(
        text(&output.stdout).contains("953.7 MiB"),
        "{}",
        text(&output.stdout)
    );
    let csv = against(&server, dir.path(), &["plans", "list", "-o", "csv"]);
    assert!(
        text(&csv.stdout).contains(",1000000000,"),
        "CSV keeps the bytes"
    );
}

#[test]
fn views_are_not_overwritten_nor_saved_without_a_filter_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| -> Output {
        isolated_cli(dir.path())
            .args(args)
            .output()
            .expect("run geobox-users")
    };
    let unfiltered = run(&["views", "save", "everyone"]);
    assert_exit(&unfiltered, 2);
    assert!(
        text(&unfiltered.stderr).contains("--all"),
        "{}",
        text(&unfiltered.stderr)
    );
    let blank = run(&["views", "save", "everyone", "--q", "  "]);
    assert_exit(&blank, 2);
    assert_exit(&run(&["views", "save", "everyone", "--all"]), 0);

    assert_exit(&run(&["views", "save", "mine", "--status", "pending"]), 0);
    let again = run(&["views", "save", "mine", "--status", "active"]);
    assert_exit(&again, 2);
    assert!(
        text(&again.stderr).contains("--force"),
        "{}",
        text(&again.stderr)
    );
    assert_exit(
        &run(&["views", "save", "mine", "--status", "active", "--force"]),
        0,
    );

    let listed = run(&["views", "list", "-o", "json"]);
    assert_exit(&listed, 0);
    let views: Value = serde_json::from_slice(&listed.stdout).expect("json");
    let mine = views
        .as_array()
        .expect("views")
        .iter()
        .find(|view| view["name"] == "mine")
        .expect("saved");
    assert_eq!(mine["kind"], "saved");
    assert_eq!(mine["settings"]["status"], "Active");
    let everyone = views
        .as_array()
        .expect("views")
        .iter()
        .find(|view| view["name"] == "everyone")
        .expect("saved");
    assert_eq!(everyone["filter"], "every user");
    assert!(
        views
            .as_array()
            .expect("views")
            .iter()
            .any(|view| view["name"] == "expiring-soon" && view["kind"] == "built in")
    );
}

#[test]
fn serve_help_states_each_default_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = isolated_cli(dir.path())
        .args(["serve", "--help"])
        .output()
        .expect("run");
    assert_exit(&output, 0);
    let help = text(&output.stdout);
    let idle = help
        .split("--session-idle")
        .nth(1)
        .and_then(|rest| rest.split("\n      --").next())
        .expect("--session-idle is described");
    assert_eq!(idle.matches("[default:").count(), 1, "{idle}");
}

/// What bash offers after `words`, the last of which is being completed.
fn bash_completes(dir: &Path, words: &[&str]) -> Vec<String> {
    let script = isolated_cli(dir)
        .args(["completions", "bash"])
        .output()
        .expect("completions");
    assert_exit(&script, 0);
    std::fs::write(dir.join("completion.bash"), &script.stdout).expect("script");
    let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
    let current = words.last().copied().unwrap_or_default();
    let previous = words.len().checked_sub(2).map_or("", |at| words[at]);
    let program = format!(
        "source ./completion.bash\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={cword}\n\
         COMP_TYPE=9\n\
         _clap_complete_geobox_users geobox-users '{current}' '{previous}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = quoted.join(" "),
        cword = words.len() - 1,
    );
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(&program)
        .current_dir(dir)
        .env("GEOBOX_USERS_CONFIG", dir.join("config.toml"))
        .env("GEOBOX_USERS_DATA_DIR", dir.join("data"))
        .env_remove("GEOBOX_PROFILE")
        .env_remove("COMPLETE")
        .output()
        .expect("bash runs the completion function");
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|line| line.trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn bash_completion_completes_subcommands_flags_profiles_and_views() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config.toml"),
        "[profiles.prod]\nhost = \"https://prod.example\"\n\n[profiles.staging]\n\
         host = \"https://staging.example\"\n\n[views.gmail-pending]\nstatus = \"Pending\"\n",
    )
    .expect("config");
    let has = |offered: &[String], wanted: &[&str]| {
        for word in wanted {
            assert!(
                offered.iter().any(|o| o == word),
                "{word} not in {offered:?}"
            );
        }
    };
    let top = bash_completes(dir.path(), &["geobox-users", ""]);
    has(
        &top,
        &["users", "sessions", "views", "journal", "completions"],
    );
    let users = bash_completes(dir.path(), &["geobox-users", "users", ""]);
    has(
        &users,
        &["list", "get", "lockdown", "bulk-update", "renew-plan"],
    );
    let partial = bash_completes(dir.path(), &["geobox-users", "sessions", "cl"]);
    assert_eq!(partial, ["close"]);
    let flags = bash_completes(dir.path(), &["geobox-users", "users", "list", "--"]);
    has(
        &flags,
        &[
            "--output",
            "--no-headers",
            "--status",
            "--view",
            "--limit",
            "--all",
        ],
    );
    let formats = bash_completes(dir.path(), &["geobox-users", "users", "list", "-o", ""]);
    has(&formats, &["table", "json", "jsonl", "csv"]);
    let profiles = bash_completes(dir.path(), &["geobox-users", "--profile", ""]);
    has(&profiles, &["prod", "staging"]);
    let views = bash_completes(dir.path(), &["geobox-users", "users", "list", "--view", ""]);
    has(&views, &["gmail-pending", "expiring-soon", "pending"]);
    let delete = bash_completes(dir.path(), &["geobox-users", "views", "delete", ""]);
    has(&delete, &["gmail-pending"]);
}
