//! Lockdown, session insight and the CLI's cached sign-in, end to end: the built binary
//! against the embedded server, with its data and cache directories in a temporary directory.

use crate::support;

use support::{assert_exit, text};

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use geobox_api::{
    ApiError, Auth, GeoboxClient, NewUser, Secret, Session, User, UserRef, UserRole, UserStatus,
};
use geobox_server::RunningServer;
use serde_json::Value;

const ADMIN_PASSWORD: &str = "Trust-admin-pass-1";
const VICTIM_PASSWORD: &str = "Victim-pass-Secret-7";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

struct Demo {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    base_url: String,
    admin: GeoboxClient,
    dir: tempfile::TempDir,
}

impl Demo {
    fn start() -> Demo {
        let runtime = support::test_runtime();
        let server = runtime.block_on(support::start_server(2, ADMIN_PASSWORD));
        let admin = support::admin_client(&server, ADMIN_PASSWORD);
        Demo {
            runtime,
            base_url: server.base_url.clone(),
            server: Some(server),
            admin,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tokens_dir(&self) -> PathBuf {
        self.data_dir().join("cache").join("tokens")
    }

    /// Runs the binary signed in as the admin with username and password.
    fn run(&self, args: &[&str]) -> Output {
        self.run_as_admin_with(ADMIN_PASSWORD, &self.base_url, args)
    }

    /// Runs the binary as the admin with this password, on this host.
    fn run_as_admin_with(&self, password: &str, host: &str, args: &[&str]) -> Output {
        let mut command = support::isolated_cli(self.dir.path());
        command
            .args(args)
            .env("GEOBOX_HOST", host)
            .env("GEOBOX_USERNAME", "admin")
            .env("GEOBOX_PASSWORD", password)
            .output()
            .expect("run geobox-users")
    }

    fn create_user(&self, username: &str) -> User {
        self.runtime
            .block_on(self.admin.create_user(&NewUser {
                username: username.to_string(),
                email: format!("{username}@example.ir"),
                password: Secret::new(VICTIM_PASSWORD),
                role: UserRole::Editor,
                first_name: "Trust".into(),
                last_name: "Target".into(),
                mobile: String::new(),
                status: UserStatus::Active,
            }))
            .expect("a user")
    }

    /// Signs `username` in as a client with this agent would, and returns its token.
    fn sign_in(&self, username: &str, password: &str, agent: &str) -> Secret {
        self.runtime.block_on(async {
            let answer: Value = reqwest::Client::new()
                .post(format!("{}auth/token/", self.base_url))
                .header("User-Agent", agent)
                .form(&[("username", username), ("password", password)])
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            Secret::new(answer["access_token"].as_str().expect("a token"))
        })
    }

    fn me_with_token(&self, token: &Secret) -> Result<User, ApiError> {
        let client = GeoboxClient::new(
            &self.base_url,
            Auth::AccessToken(token.clone()),
            Duration::from_secs(10),
        )
        .expect("a client");
        self.runtime.block_on(client.get_user(UserRef::Me))
    }

    fn sessions(&self, user_id: i64) -> Vec<Session> {
        self.runtime
            .block_on(self.admin.list_sessions(UserRef::Id(user_id)))
            .expect("sessions")
    }

    /// The admin's sessions opened by the CLI (not the test's own client, whose is `current`).
    fn cli_sessions(&self) -> Vec<Session> {
        self.sessions(1)
            .into_iter()
            .filter(|session| session.current != Some(true))
            .collect()
    }

    fn status(&self, id: i64) -> Option<UserStatus> {
        self.runtime
            .block_on(self.admin.get_user(UserRef::Id(id)))
            .expect("the user")
            .status
    }

    fn journal(&self) -> Vec<Value> {
        let output = self.run(&["journal", "--output", "json"]);
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

#[test]
fn lockdown_shuts_the_account_and_its_undo_restores_the_status_only() {
    let demo = Demo::start();
    let victim = demo.create_user("trust.victim");
    let stolen = demo.sign_in("trust.victim", VICTIM_PASSWORD, "curl/8.5.0");
    assert!(demo.me_with_token(&stolen).is_ok());
    let id = victim.id.to_string();

    // No terminal to ask on and no --yes: nothing happens.
    assert_exit(&demo.run(&["users", "lockdown", &id]), 2);
    assert_eq!(demo.status(victim.id), Some(UserStatus::Active));

    let locked = demo.run(&["users", "lockdown", &id, "--reset-password", "--yes"]);
    assert_exit(&locked, 0);
    let stderr = text(&locked.stderr);
    for step in ["disable", "close sessions", "new password"] {
        assert!(stderr.contains(step), "{stderr}");
    }
    let stdout = text(&locked.stdout);
    let new_password = stdout
        .trim()
        .rsplit(' ')
        .next()
        .expect("the new password")
        .to_string();
    assert!(stdout.contains("shown once"), "{stdout}");
    assert_eq!(demo.status(victim.id), Some(UserStatus::Disabled));
    assert!(matches!(
        demo.me_with_token(&stolen),
        Err(ApiError::Unauthorized { .. })
    ));
    assert!(demo.sessions(victim.id).is_empty());

    let entries = demo.journal();
    let lockdowns: Vec<&Value> = entries
        .iter()
        .filter(|entry| entry["action"] == "lockdown")
        .collect();
    assert_eq!(lockdowns.len(), 1, "{entries:?}");
    let entry = lockdowns[0];
    assert_eq!(entry["outcome"], "ok");
    let steps: Vec<&str> = entry["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|step| step["name"].as_str())
        .collect();
    assert_eq!(steps, ["disable", "close sessions", "new password"]);
    let journal_text = support::journal_files_text(&demo.data_dir());
    assert!(!journal_text.is_empty(), "the journal holds the lockdown");
    assert!(!journal_text.contains(&new_password), "{journal_text}");

    let entry_id = entry["id"].as_str().expect("an id");
    let undone = demo.run(&["journal", "undo", entry_id, "--yes"]);
    assert_exit(&undone, 0);
    assert!(
        text(&undone.stdout).contains("only the status goes back"),
        "{}",
        text(&undone.stdout)
    );
    assert_eq!(demo.status(victim.id), Some(UserStatus::Active));
    // The sessions stay closed; the password the lockdown set is the one that works now.
    assert!(demo.me_with_token(&stolen).is_err());
    assert!(demo.sessions(victim.id).is_empty());
    let fresh = demo.sign_in("trust.victim", &new_password, "curl/8.5.0");
    assert!(demo.me_with_token(&fresh).is_ok());
}

#[test]
fn lockdown_refuses_the_signed_in_user() {
    let demo = Demo::start();
    let refused = demo.run(&["users", "lockdown", "1", "--yes"]);
    assert_exit(&refused, 2);
    assert!(text(&refused.stderr).contains("signed-in user"));
    assert_eq!(demo.status(1), Some(UserStatus::Active));
}

#[test]
fn the_cli_signs_in_once_recovers_when_its_session_is_closed_and_logs_out() {
    let demo = Demo::start();
    for _ in 0..3 {
        assert_exit(&demo.run(&["users", "get", "me"]), 0);
    }
    let opened = demo.cli_sessions();
    assert_eq!(opened.len(), 1, "{opened:?}");
    let cached: Vec<PathBuf> = std::fs::read_dir(demo.tokens_dir())
        .expect("the token cache")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    assert_eq!(cached.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cached[0])
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Closed elsewhere: the next run is refused once, signs in again, and goes on.
    demo.runtime
        .block_on(demo.admin.close_session(1, &opened[0].uuid))
        .expect("closed");
    assert_exit(&demo.run(&["users", "get", "me"]), 0);
    assert_exit(&demo.run(&["users", "get", "me"]), 0);
    let reopened = demo.cli_sessions();
    assert_eq!(reopened.len(), 1, "{reopened:?}");
    assert_ne!(reopened[0].uuid, opened[0].uuid);

    let logout = demo.run(&["logout"]);
    assert_exit(&logout, 0);
    assert!(text(&logout.stderr).contains("server session closed"));
    assert!(demo.cli_sessions().is_empty());
    assert!(!cached[0].exists());
    let again = demo.run(&["logout"]);
    assert_exit(&again, 0);
    assert!(text(&again.stderr).contains("nothing to log out"));
}

#[test]
fn sessions_list_groups_by_client_and_address_and_marks_the_odd_one() {
    let demo = Demo::start();
    let user = demo.create_user("trust.sessions");
    for agent in ["curl/8.5.0", CHROME, "curl/7.81.0"] {
        demo.sign_in("trust.sessions", VICTIM_PASSWORD, agent);
    }
    let id = user.id.to_string();
    let listed = demo.run(&["sessions", "list", &id, "--group", "--output", "csv"]);
    assert_exit(&listed, 0);
    let csv = text(&listed.stdout);
    let rows: Vec<Vec<&str>> = csv.lines().map(|line| line.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        ["client", "ip", "uuid", "last_seen", "created_at", "marks"]
    );
    let clients: Vec<&str> = rows[1..].iter().map(|row| row[0]).collect();
    // Two groups: the curl sessions together, Chrome alone.
    assert_eq!(clients.len(), 3, "{csv}");
    assert!(
        clients == ["curl", "curl", "Chrome on Windows"]
            || clients == ["Chrome on Windows", "curl", "curl"],
        "{csv}"
    );
    for row in &rows[1..] {
        let marks = row[5];
        if row[0] == "curl" {
            assert_eq!(marks, "", "{csv}");
        } else {
            assert_eq!(marks, "new", "{csv}");
        }
        assert_eq!(row[1], "127.0.0.1");
    }
    let table = demo.run(&["sessions", "list", &id, "--group"]);
    assert_exit(&table, 0);
    assert!(text(&table.stdout).starts_with("CLIENT"));
}

#[test]
fn a_password_given_is_checked_even_with_a_token_cached() {
    let demo = Demo::start();
    assert_exit(&demo.run(&["users", "get", "me"]), 0);
    let cached: Vec<PathBuf> = std::fs::read_dir(demo.tokens_dir())
        .expect("the token cache")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    assert_eq!(cached.len(), 1);
    let before = std::fs::read_to_string(&cached[0]).expect("cached");
    assert!(
        !before.contains(ADMIN_PASSWORD),
        "the password is never stored"
    );

    for wrong in ["totally-wrong", "Trust-admin-pass-2"] {
        let refused = demo.run_as_admin_with(wrong, &demo.base_url, &["users", "list"]);
        assert_exit(&refused, 1);
        assert!(
            text(&refused.stderr).contains("401"),
            "{}",
            text(&refused.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&cached[0]).expect("still cached"),
            before,
            "a wrong password leaves the cached sign-in alone"
        );
    }
    // The right password goes on with the cached token: no new sign-in, no new session.
    assert_exit(&demo.run(&["users", "get", "me"]), 0);
    assert_eq!(demo.cli_sessions().len(), 1);
}

#[test]
fn a_host_with_a_password_in_it_is_refused_and_leaves_nothing_behind() {
    let demo = Demo::start();
    let with_password =
        demo.base_url
            .replacen("http://", &format!("http://admin:{ADMIN_PASSWORD}@"), 1);
    let output = demo.run_as_admin_with(ADMIN_PASSWORD, &with_password, &["users", "list"]);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("has a user name or password in it"),
        "{stderr}"
    );
    assert!(!stderr.contains(ADMIN_PASSWORD), "{stderr}");
    assert!(demo.cli_sessions().is_empty(), "no session was opened");
    let cached = std::fs::read_dir(demo.tokens_dir()).map_or(0, Iterator::count);
    assert_eq!(cached, 0, "no token was cached");
}

#[test]
fn lockdown_stops_when_it_cannot_tell_who_is_signed_in() {
    // users/me/ fails: the check that keeps an admin from locking themselves out cannot be
    // made, so nothing is done (it used to go ahead).
    let server = support::Recorder::start(|request: &support::Recorded| {
        if request.path == "/v1/users/me/" {
            return support::Reply::json(503, serde_json::json!({"detail": "try later"}));
        }
        support::fake_geobox(request)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let output = support::cli_against(&server, dir.path(), &["users", "lockdown", "5", "--yes"]);
    assert_exit(&output, 1);
    assert!(
        text(&output.stderr).contains("cannot tell who is signed in"),
        "{}",
        text(&output.stderr)
    );
    let writes: Vec<String> = server
        .requests()
        .iter()
        .filter(|request| request.method != "GET")
        .map(|request| request.line())
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}
