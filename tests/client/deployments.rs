//! Several deployments from one config file: `users find` across them (one of them down),
//! and a protected profile's writes, refused unless the deployment is named.

use crate::support;

use std::path::Path;
use std::process::Output;

use geobox_api::UserRef;
use geobox_server::RunningServer;
use serde_json::Value;
use support::{assert_exit, isolated_cli, text};

const PASSWORD_A: &str = "Deploy-a-admin-1";
const PASSWORD_B: &str = "Deploy-b-admin-2";

/// Two embedded servers (`a`, and `b` protected), and a profile `down` where nothing listens.
struct Two {
    runtime: tokio::runtime::Runtime,
    a: RunningServer,
    b: RunningServer,
    dir: tempfile::TempDir,
}

impl Two {
    fn start() -> Two {
        let runtime = support::test_runtime();
        let a = runtime.block_on(support::start_server(12, PASSWORD_A));
        let b = runtime.block_on(support::start_server(7, PASSWORD_B));
        let dir = tempfile::tempdir().expect("tempdir");
        // A port that was free a moment ago: connections to it are refused.
        let down = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        write_config(
            dir.path(),
            &format!(
                "[profiles.a]\nhost = \"{}\"\nusername = \"admin\"\npassword_env = \"A_PW\"\n\n\
                 [profiles.b]\nhost = \"{}\"\nusername = \"admin\"\npassword_env = \"B_PW\"\n\
                 protected = true\ncolor = \"red\"\n\n\
                 [profiles.down]\nhost = \"http://{down}\"\napikey_env = \"A_PW\"\ntimeout = 3\n",
                a.base_url, b.base_url
            ),
        );
        Two { runtime, a, b, dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        isolated_cli(self.dir.path())
            .args(args)
            .env("A_PW", PASSWORD_A)
            .env("B_PW", PASSWORD_B)
            .output()
            .expect("run geobox-users")
    }

    fn user_exists(&self, server: &RunningServer, password: &str, id: i64) -> bool {
        let admin = support::admin_client(server, password);
        self.runtime
            .block_on(admin.get_user(UserRef::Id(id)))
            .is_ok()
    }
}

fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join("config.toml"), text).expect("the config file is written");
}

fn profiles_of(output: &Output) -> Vec<(String, String)> {
    let found: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    found
        .as_array()
        .expect("a list")
        .iter()
        .map(|user| {
            (
                user["profile"].as_str().unwrap_or_default().to_string(),
                user["username"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn users_find_searches_every_profile_and_names_the_one_that_is_down() {
    let two = Two::start();
    let output = two.run(&["users", "find", "admin", "--all-profiles", "-o", "json"]);
    assert_exit(&output, 1);
    let found = profiles_of(&output);
    for profile in ["a", "b"] {
        assert!(
            found.contains(&(profile.to_string(), "admin".to_string())),
            "{profile}'s admin is found: {found:?}"
        );
    }
    let stderr = text(&output.stderr);
    assert!(stderr.contains("warning: down:"), "{stderr}");
    assert!(
        stderr.contains("1 deployment of 3 did not answer"),
        "{stderr}"
    );

    // The two that answer: exit 0, and a table with the profile first.
    let output = two.run(&["users", "find", "admin", "--profiles", "a,b"]);
    assert_exit(&output, 0);
    let table = text(&output.stdout);
    assert!(table.starts_with("PROFILE"), "{table}");
    assert!(table.lines().any(|line| line.starts_with("b ")), "{table}");

    let output = two.run(&["users", "find", "admin", "--profiles", "a,nope"]);
    assert_exit(&output, 2);
    assert!(text(&output.stderr).contains("no profile 'nope'"));
}

#[test]
fn a_protected_profile_refuses_a_write_that_does_not_name_it() {
    let two = Two::start();
    // No terminal and no --deployment: refused before anything is sent.
    let output = two.run(&["--profile", "b", "users", "delete", "3", "--yes"]);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("b is protected") && stderr.contains("--deployment b"),
        "{stderr}"
    );
    assert!(
        two.user_exists(&two.b, PASSWORD_B, 3),
        "nothing was deleted"
    );

    // Another deployment's name is refused too.
    let output = two.run(&[
        "--profile",
        "b",
        "users",
        "delete",
        "3",
        "--yes",
        "--deployment",
        "a",
    ]);
    assert_exit(&output, 2);
    assert!(two.user_exists(&two.b, PASSWORD_B, 3));

    // Named, and --yes: it goes through.
    let output = two.run(&[
        "--profile",
        "b",
        "users",
        "delete",
        "3",
        "--yes",
        "--deployment",
        "b",
    ]);
    assert_exit(&output, 0);
    assert!(!two.user_exists(&two.b, PASSWORD_B, 3));

    // A command that never asks (an update without an admin grant) still wants its --yes
    // beside the name, like any write there.
    let update = |extra: &[&str]| {
        let mut args = vec![
            "--profile",
            "b",
            "users",
            "update",
            "4",
            "--first-name",
            "Named",
            "--deployment",
            "b",
        ];
        args.extend_from_slice(extra);
        two.run(&args)
    };
    let output = update(&[]);
    assert_exit(&output, 2);
    assert!(
        text(&output.stderr).contains("needs --yes beside --deployment b"),
        "{}",
        text(&output.stderr)
    );
    assert_exit(&update(&["--yes"]), 0);

    // `config` says so.
    let output = two.run(&["--profile", "b", "config"]);
    assert_exit(&output, 0);
    assert!(
        text(&output.stdout).contains("profile:     b (protected"),
        "{}",
        text(&output.stdout)
    );

    // Reads ask nothing, and an unprotected profile's writes are as before.
    assert_exit(&two.run(&["--profile", "b", "users", "get", "4"]), 0);
    assert_exit(
        &two.run(&["--profile", "a", "users", "delete", "3", "--yes"]),
        0,
    );
    assert!(!two.user_exists(&two.a, PASSWORD_A, 3));
}
