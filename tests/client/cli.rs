//! The built binary run as scripts run it: against a recording stand-in server, in an empty
//! temporary directory (no `.env`), with the developer's GEOBOX_* variables removed and the
//! config file pointed at a temporary path.

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use support::{Recorder, Reply, fake_geobox, sample_plans, sample_sessions, sample_users};

struct Run {
    dir: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

impl Run {
    /// Signed in with an access token against `server`.
    fn against(server: &Recorder) -> Run {
        let mut run = Run::bare();
        run.env("GEOBOX_HOST", &server.host());
        run.env("GEOBOX_ACCESS_TOKEN", "tok-cli");
        run
    }

    /// No host, no credentials.
    fn bare() -> Run {
        Run {
            dir: tempfile::tempdir().expect("tempdir"),
            envs: Vec::new(),
        }
    }

    fn env(&mut self, key: &str, value: &str) -> &mut Run {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_geobox-users"));
        for key in leaking_variables() {
            command.env_remove(key);
        }
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("GEOBOX_USERS_CONFIG", self.config_path())
            .env("GEOBOX_USERS_DATA_DIR", self.dir.path().join("data"))
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run geobox-users");
        if let Some(input) = stdin {
            let written = child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes());
            // A usage error may end the process before it reads its input.
            if let Err(error) = written {
                assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
            }
        }
        child.wait_with_output().expect("wait")
    }
}

/// The caller's variables that could change what the binary does.
fn leaking_variables() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(key, _)| key)
        .filter(|key| {
            let key = key.to_string_lossy();
            key.starts_with("GEOBOX") || key == "RUST_LOG"
        })
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

#[test]
fn json_output_is_exactly_what_the_server_sent() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    let output = run.run(
        &["users", "list", "--limit", "100", "--output", "json"],
        None,
    );
    assert_exit(&output, 0);
    let printed: Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    assert_eq!(
        printed,
        sample_users(),
        "unknown fields and values included"
    );
    let request = &server.requests()[0];
    assert_eq!(request.line(), "GET /v1/users/");
    assert_eq!(request.param("limit").as_deref(), Some("100"));
    assert_eq!(request.authorization.as_deref(), Some("Bearer tok-cli"));

    let output = run.run(&["users", "get", "me", "--output", "json"], None);
    assert_exit(&output, 0);
    let printed: Value = serde_json::from_str(&stdout(&output)).expect("one object");
    assert_eq!(printed["tenant_zone"], "ir-1");

    for (args, expected) in [
        (
            vec!["sessions", "list", "7", "--output", "json"],
            sample_sessions(),
        ),
        (vec!["plans", "list", "--output", "json"], sample_plans()),
        (
            vec!["members", "list", "7", "--output", "json"],
            sample_users(),
        ),
        (
            vec!["users", "search", "ali", "--output", "json"],
            sample_users(),
        ),
    ] {
        let output = run.run(&args, None);
        assert_exit(&output, 0);
        let printed: Value = serde_json::from_str(&stdout(&output)).expect("json");
        assert_eq!(printed, expected, "{args:?}");
    }
}

#[test]
fn csv_has_a_header_and_quotes_fields() {
    let server = Recorder::start(fake_geobox);
    let output = Run::against(&server).run(&["users", "list", "--output", "csv"], None);
    assert_exit(&output, 0);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,username,email,first_name,last_name,mobile,role,status,plan_id,plan,expiration_date,parent_id,created_at"
    );
    // A mobile starting with `+` would start a spreadsheet formula: it opens as text.
    assert!(lines[1].starts_with("1,ali,ali@example.ir,Ali,Rezaei,'+98 9120123456,Account Admin,Active,2,Pro Plan,2026-12-11,"), "{text}");
    assert!(
        lines[2].starts_with("12,sara,,,\"Karimi, \"\"SK\"\"\",,Auditor,Suspended,"),
        "{text}"
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn stored_hostile_text_reaches_neither_the_terminal_nor_a_spreadsheet() {
    let server = Recorder::start(|_request: &support::Recorded| {
        Reply::json(
            200,
            json!([{"id": 3, "username": "eve", "first_name": "\u{1b}]52;c;ZXZpbA==\u{7}",
                    "last_name": "=HYPERLINK(\"http://evil.example\",\"x\")",
                    "role": "Viewer\r\u{1b}[2J", "status": "Active"}]),
        )
    });
    let run = Run::against(&server);
    for format in ["csv", "table"] {
        let output = run.run(&["users", "list", "--output", format], None);
        assert_exit(&output, 0);
        let text = stdout(&output).replace("\r\n", "\n");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: {text:?}"
        );
        if format == "csv" {
            assert!(text.contains(",\"'=HYPERLINK(\"\"http"), "{text}");
        }
    }
}

#[test]
fn a_password_in_the_host_is_never_printed_nor_used() {
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut run = Run::bare();
    run.env(
        "GEOBOX_HOST",
        &format!("http://ops:hunter2@127.0.0.1:{refused}"),
    );
    run.env("GEOBOX_ACCESS_TOKEN", "tok-cli");
    // Refused before any request: the client would send it as Basic auth, every sign-in
    // would be refused and leave a session behind, and the token cache would keep it.
    for args in [vec!["config"], vec!["users", "list"]] {
        let output = run.run(&args, None);
        assert_exit(&output, 2);
        assert!(
            stderr(&output).contains(&format!(
                "host 'http://***@127.0.0.1:{refused}' (environment GEOBOX_HOST) has a user name \
                 or password in it"
            )),
            "{}",
            stderr(&output)
        );
    }
    let output = run.run(
        &["users", "list", "--host", "ftp://ops:hunter2@h.example"],
        None,
    );
    assert_exit(&output, 2);
    for output in [&output, &run.run(&["config"], None)] {
        let all = format!("{}{}", stdout(output), stderr(output));
        assert!(!all.contains("hunter2"), "{all}");
    }
}

#[test]
fn tables_are_aligned_for_people() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    let output = run.run(&["users", "list"], None);
    assert_exit(&output, 0);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID  USERNAME  NAME"), "{text}");
    let role_at = lines[0].find("ROLE").expect("ROLE column");
    assert_eq!(&lines[1][role_at..role_at + 13], "Account Admin", "{text}");
    assert_eq!(&lines[2][role_at..role_at + 7], "Auditor", "{text}");

    let output = run.run(&["sessions", "list", "me"], None);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("6f1c-aa  Mozilla/5.0"),
        "{}",
        stdout(&output)
    );
    // The contract knows `me` only as `users/me/`: the id comes from there.
    let lines: Vec<String> = server.requests().iter().map(|r| r.line()).collect();
    assert_eq!(
        lines[lines.len() - 2..],
        ["GET /v1/users/me/", "GET /v1/users/1/sessions/"]
    );
    assert!(!lines.iter().any(|line| line.contains("/me/sessions")));
}

#[test]
fn count_prints_the_number() {
    let server = Recorder::start(fake_geobox);
    let output = Run::against(&server).run(
        &[
            "users",
            "list",
            "--count",
            "--status",
            "active",
            "--q",
            "username LIKE '%a%'",
        ],
        None,
    );
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "42\n");
    let request = &server.requests()[0];
    assert_eq!(request.param("return_count").as_deref(), Some("True"));
    assert_eq!(request.param("status").as_deref(), Some("Active"));
    assert_eq!(request.param("q").as_deref(), Some("username LIKE '%a%'"));
}

#[test]
fn usage_errors_exit_2_before_any_request() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    for args in [
        vec!["users", "get", " "],
        vec!["users", "get", "0"],
        vec!["users", "list", "--status", "sleeping"],
        vec!["users", "update", "5", "--role", "owner"],
        vec!["users", "update", "5", "--expiration-date", "2026-02-30"],
        vec!["users", "update", "5", "--mobile", "1", "--clear-mobile"],
        vec!["users", "update", "5"],
        vec!["users", "delete", "-4", "--yes"],
        vec!["members", "add", "5", "0"],
        vec!["users", "frobnicate"],
        vec!["users", "list", "--timeout", "0"],
    ] {
        let output = run.run(&args, None);
        assert_exit(&output, 2);
        assert!(
            stderr(&output).contains("error"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = run.run(
        &[
            "users",
            "create",
            "--username",
            "u",
            "--email",
            "u@x.ir",
            "--role",
            "owner",
            "--first-name",
            "U",
            "--last-name",
            "V",
            "--mobile",
            "1",
            "--status",
            "active",
        ],
        Some("pw\n"),
    );
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("unknown role 'owner'"),
        "{}",
        stderr(&output)
    );
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[test]
fn api_errors_exit_1_with_the_message_on_stderr() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    let output = run.run(&["users", "get", "404"], None);
    assert_exit(&output, 1);
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("not found (404): User not found"),
        "{}",
        stderr(&output)
    );

    let mut unauthenticated = Run::bare();
    unauthenticated.env("GEOBOX_HOST", &server.host());
    unauthenticated.env("GEOBOX_USERNAME", "admin");
    unauthenticated.env("GEOBOX_PASSWORD", "wrong-pw");
    let output = unauthenticated.run(&["users", "list"], None);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("401"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("wrong-pw"));

    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let output = run.run(
        &[
            "users",
            "list",
            "--host",
            &format!("http://127.0.0.1:{refused}"),
        ],
        None,
    );
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("cannot reach"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_validation_error_names_the_field() {
    let server = Recorder::start(fake_geobox);
    let output = Run::against(&server).run(
        &[
            "users",
            "create",
            "--username",
            "neda",
            "--email",
            "not-an-email",
            "--role",
            "account-admin",
            "--first-name",
            "Neda",
            "--last-name",
            "Ahmadi",
            "--mobile",
            "+98 9120123456",
            "--status",
            "Active",
        ],
        Some("P@ssw0rd\n"),
    );
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("email: value is not a valid email address"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn create_and_set_password_read_the_password_from_stdin() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    let output = run.run(
        &[
            "users",
            "create",
            "--username",
            "neda",
            "--email",
            "neda@example.ir",
            "--role",
            "\"Account Admin\"",
            "--first-name",
            "Neda",
            "--last-name",
            "Ahmadi",
            "--mobile",
            "+98 9120123456",
            "--status",
            "active",
            "--output",
            "json",
        ],
        Some("P@ssw0rd\n"),
    );
    assert_exit(&output, 0);
    let request = server.api_requests().pop().expect("create request");
    assert_eq!(request.line(), "POST /v1/users/");
    let body = request.body_json();
    assert_eq!(body["password"], "empZWV0aWE4=");
    assert_eq!(body["role"], "Account Admin");
    assert_eq!(body["status"], "Active");
    let printed: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(printed["id"], 100);

    server.clear();
    let output = run.run(
        &[
            "users",
            "create",
            "--username",
            "omid",
            "--email",
            "omid@example.ir",
            "--role",
            "viewer",
        ],
        Some("P@ssw0rd\n"),
    );
    assert_exit(&output, 0);
    let request = server.api_requests().pop().expect("create request");
    assert_eq!(
        request.body_json(),
        json!({"username": "omid", "email": "omid@example.ir", "password": "empZWV0aWE4=",
               "role": "Viewer"}),
        "only what was given is sent"
    );

    server.clear();
    let output = run.run(&["users", "set-password", "5"], Some("P@ssw0rd\r\n"));
    assert_exit(&output, 0);
    let request = &server.requests()[0];
    assert_eq!(request.line(), "POST /v1/users/5/change-password");
    assert_eq!(request.body_text(), "new_password=empZWV0aWE4%3D");

    server.clear();
    let output = run.run(&["users", "set-password", "5"], Some(""));
    assert_exit(&output, 2);
    assert!(server.requests().is_empty());
}

#[test]
fn delete_refuses_without_yes_and_without_a_terminal() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    let output = run.run(&["users", "delete", "5"], None);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert!(server.requests().is_empty());

    let output = run.run(&["users", "delete", "5", "--yes"], None);
    assert_exit(&output, 0);
    // The user is fetched first: the journal keeps what a delete loses.
    let lines: Vec<String> = server.requests().iter().map(|r| r.line()).collect();
    assert_eq!(lines, ["GET /v1/users/5/", "DELETE /v1/users/5/"]);
}

#[test]
fn writes_send_what_the_flags_say() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);
    let output = run.run(
        &[
            "users",
            "update",
            "5",
            "--email",
            "new@example.ir",
            "--clear-mobile",
            "--status",
            "DISABLED",
            "--plan-id",
            "3",
            "--expiration-date",
            "2027-01-31",
            "--output",
            "json",
        ],
        None,
    );
    assert_exit(&output, 0);
    // The user is fetched first: the journal records the values before.
    assert_eq!(server.requests()[0].line(), "GET /v1/users/5/");
    let request = &server.requests()[1];
    assert_eq!(request.line(), "PUT /v1/users/5/");
    assert_eq!(
        request.body_json(),
        json!({"email": "new@example.ir", "status": "Disabled", "mobile": null, "plan_id": 3, "expiration_date": "2027-01-31"})
    );
    let printed: Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert_eq!(printed["email"], "new@example.ir");

    server.clear();
    for args in [
        vec!["users", "update", "5", "--clear-plan", "--clear-expiration"],
        vec!["users", "renew-plan", "5"],
        vec!["sessions", "close", "5", "6f1c-aa"],
        vec!["members", "add", "5", "9"],
        vec!["members", "remove", "5", "9"],
    ] {
        assert_exit(&run.run(&args, None), 0);
    }
    let lines: Vec<String> = server.requests().iter().map(|r| r.line()).collect();
    assert_eq!(
        lines,
        [
            "GET /v1/users/5/",
            "PUT /v1/users/5/",
            // A renewal answers with no body: the user is read before and after it, so the
            // journal records the expiration date it replaced.
            "GET /v1/users/5/",
            "POST /v1/users/5/renewPlan",
            "GET /v1/users/5/",
            "POST /v1/users/5/sessions/6f1c-aa",
            "POST /v1/users/5/members/9",
            "DELETE /v1/users/5/members/9",
        ]
    );
    assert_eq!(
        server.requests()[1].body_json(),
        json!({"plan_id": null, "expiration_date": null})
    );
}

#[test]
fn credentials_come_from_dotenv_profiles_and_flags() {
    let server = Recorder::start(fake_geobox);

    // The SDK's variables in ./.env, username + password: signs in, then uses the token.
    let run = Run::bare();
    write_dotenv_signing_in(&run, &server);
    private(&run.dir().join(".env"));
    let output = run.run(&["users", "get", "me", "--output", "json"], None);
    assert_exit(&output, 0);
    let lines: Vec<String> = server.requests().iter().map(|r| r.line()).collect();
    assert_eq!(lines, ["POST /v1/auth/token/", "GET /v1/users/me/"]);
    assert_eq!(
        server.requests()[1].authorization.as_deref(),
        Some("Bearer tok-admin")
    );

    // A flag beats .env: an API key given on the command line wins.
    server.clear();
    let output = run.run(&["users", "get", "me", "--apikey", "K1"], None);
    assert_exit(&output, 0);
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.requests()[0].param("apikey").as_deref(), Some("K1"));

    // A profile with its password in a named variable.
    server.clear();
    let mut run = Run::bare();
    std::fs::write(
        run.config_path(),
        format!(
            "[profiles.local]\nhost = \"{}\"\nusername = \"admin\"\npassword_env = \"LOCAL_PW\"\n",
            server.host()
        ),
    )
    .expect("write config");
    run.env("LOCAL_PW", "P@ssw0rd");
    run.env("GEOBOX_ACCESS_TOKEN", "ignored-when-a-profile-is-chosen");
    let output = run.run(&["users", "list", "--profile", "local", "--count"], None);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "42\n");
    assert_eq!(server.count("POST", "/v1/auth/token/"), 1);
}

/// A `.env` with the SDK's variables that sign in to `server` as its admin.
fn write_dotenv_signing_in(run: &Run, server: &Recorder) {
    std::fs::write(
        run.dir().join(".env"),
        format!(
            "GEOBOX_HOST={}\nGEOBOX_USERNAME=admin\nGEOBOX_PASSWORD=P@ssw0rd\n",
            server.host()
        ),
    )
    .expect("write .env");
}

/// Readable by its owner only, as a file holding a secret must be.
fn private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[test]
fn config_shows_the_setup_and_redacts_secrets() {
    let mut run = Run::bare();
    run.env("GEOBOX_HOST", "https://geo.example.ir");
    run.env("GEOBOX_USERNAME", "bob");
    run.env("GEOBOX_PASSWORD", "hunter2-secret");
    let output = run.run(&["config"], None);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(&run.config_path().display().to_string()),
        "{text}"
    );
    assert!(text.contains("does not exist"), "{text}");
    assert!(text.contains("https://geo.example.ir"), "{text}");
    assert!(text.contains("username + password (bob)"), "{text}");
    assert!(text.contains("password:    ***"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    let mut run = Run::bare();
    std::fs::write(
        run.config_path(),
        "[profiles.prod]\nhost = \"https://prod.example\"\napikey = \"INLINE-KEY\"\n",
    )
    .expect("write config");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(run.config_path(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    run.env("GEOBOX_PROFILE", "prod");
    let output = run.run(&["config"], None);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("profile:     prod"), "{text}");
    assert!(text.contains("API key (profile 'prod')"), "{text}");
    assert!(!text.contains("INLINE-KEY"), "{text}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(run.config_path(), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let output = run.run(&["users", "list"], None);
        assert_exit(&output, 2);
        assert!(stderr(&output).contains("chmod 600"), "{}", stderr(&output));
        assert!(!stderr(&output).contains("INLINE-KEY"));
    }
}

#[test]
fn completions_need_no_configuration() {
    let mut run = Run::bare();
    run.env("GEOBOX_TIMEOUT", "not-a-number");
    run.env("GEOBOX_PROFILE", "missing");
    for shell in ["bash", "zsh", "fish"] {
        let output = run.run(&["completions", shell], None);
        assert_exit(&output, 0);
        assert!(stdout(&output).contains("geobox-users"), "{shell}");
    }
    let output = run.run(&["users", "list"], None);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("no profile 'missing'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn without_credentials_a_command_says_how_to_configure() {
    let output = Run::bare().run(&["users", "list"], None);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("GEOBOX_ACCESS_TOKEN"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_malformed_dotenv_is_reported_without_quoting_it() {
    let run = Run::bare();
    std::fs::write(
        run.dir().join(".env"),
        "GEOBOX_USERNAME=bob\nGEOBOX_PASSWORD='hunter2-secret\n",
    )
    .expect("write .env");
    let output = run.run(&["users", "list"], None);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains(".env"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("hunter2"), "{}", stderr(&output));
}

/// The binary on a pseudo-terminal, for the paths that only run when someone is there to
/// answer: confirmations and passwords typed without echo.
struct Terminal {
    writer: Box<dyn Write + Send>,
    screen: std::sync::Arc<std::sync::Mutex<String>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Terminal {
    fn start(run: &Run, args: &[&str]) -> Terminal {
        use portable_pty::{CommandBuilder, PtySize, native_pty_system};
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_geobox-users"));
        command.args(args);
        command.cwd(run.dir());
        for key in leaking_variables() {
            command.env_remove(key);
        }
        command.env("GEOBOX_USERS_CONFIG", run.config_path());
        command.env("GEOBOX_USERS_DATA_DIR", run.dir().join("data"));
        for (key, value) in &run.envs {
            command.env(key, value);
        }
        let child = pair.slave.spawn_command(command).expect("spawn on the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let screen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = std::sync::Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 1024];
            while let Ok(read) = std::io::Read::read(&mut reader, &mut buffer) {
                if read == 0 {
                    break;
                }
                sink.lock()
                    .expect("screen")
                    .push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        });
        // The master must outlive the child's writes; leaking it is fine in a test.
        std::mem::forget(pair.master);
        Terminal {
            writer,
            screen,
            child,
        }
    }

    fn screen(&self) -> String {
        self.screen.lock().expect("screen").clone()
    }

    #[track_caller]
    fn wait_for(&self, text: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while !self.screen().contains(text) {
            assert!(
                std::time::Instant::now() < deadline,
                "waited for {text:?}; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn type_line(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r").as_bytes())
            .expect("type");
        self.writer.flush().expect("flush");
    }

    fn exit_code(mut self) -> u32 {
        self.child.wait().expect("exit").exit_code()
    }
}

#[test]
fn on_a_terminal_delete_asks_first() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);

    let mut terminal = Terminal::start(&run, &["users", "delete", "7"]);
    terminal.wait_for("Delete user 7 (ali <ali@example.ir>)? [y/N]");
    terminal.type_line("n");
    assert_eq!(terminal.exit_code(), 1);
    assert_eq!(server.count("DELETE", "/v1/users/7/"), 0);

    let mut terminal = Terminal::start(&run, &["users", "delete", "7"]);
    terminal.wait_for("[y/N]");
    terminal.type_line("y");
    assert_eq!(terminal.exit_code(), 0);
    assert_eq!(server.count("DELETE", "/v1/users/7/"), 1);
}

#[test]
fn on_a_terminal_passwords_are_asked_twice_without_echo() {
    let server = Recorder::start(fake_geobox);
    let run = Run::against(&server);

    let mut terminal = Terminal::start(&run, &["users", "set-password", "5"]);
    terminal.wait_for("New password: ");
    terminal.type_line("P@ssw0rd");
    terminal.wait_for("Repeat the new password: ");
    terminal.type_line("P@ssw0rd");
    let shown = std::sync::Arc::clone(&terminal.screen);
    assert_eq!(terminal.exit_code(), 0);
    let screen = shown.lock().expect("screen").clone();
    assert!(!screen.contains("P@ssw0rd"), "echoed: {screen}");
    let request = &server.requests()[0];
    assert_eq!(request.body_text(), "new_password=empZWV0aWE4%3D");

    let mut terminal = Terminal::start(&run, &["users", "set-password", "5"]);
    terminal.wait_for("New password: ");
    terminal.type_line("one");
    terminal.wait_for("Repeat the new password: ");
    terminal.type_line("two");
    assert_eq!(terminal.exit_code(), 2);
    assert_eq!(server.requests().len(), 1, "a mismatch sends nothing");
}

#[test]
fn on_a_terminal_a_missing_sign_in_password_is_asked_for() {
    let server = Recorder::start(fake_geobox);
    let mut run = Run::bare();
    run.env("GEOBOX_HOST", &server.host());
    run.env("GEOBOX_USERNAME", "admin");
    let mut terminal = Terminal::start(&run, &["users", "list", "--count"]);
    terminal.wait_for("Password for admin: ");
    terminal.type_line("P@ssw0rd");
    terminal.wait_for("42");
    assert_eq!(terminal.exit_code(), 0);
    assert_eq!(server.count("POST", "/v1/auth/token/"), 1);
}

#[test]
fn on_a_terminal_tables_fit_its_width_unless_asked_whole() {
    let agent = format!(
        "Mozilla/5.0 {} Safari/537.36",
        "(KHTML, like Gecko) ".repeat(12)
    );
    let server = Recorder::start(move |request: &support::Recorded| {
        if request.path.ends_with("/sessions/") {
            return Reply::json(
                200,
                json!([{"uuid": "6f1c-aa", "agent": agent, "ip": "10.0.0.7",
                        "created_at": "2026-01-01T10:00:00", "last_seen": "2026-01-02T10:00:00"}]),
            );
        }
        fake_geobox(request)
    });
    let run = Run::against(&server);
    // The pseudo-terminal is 120 columns wide.
    let terminal = Terminal::start(&run, &["sessions", "list", "7"]);
    terminal.wait_for("10.0.0.7");
    let screen = terminal.screen();
    assert_eq!(terminal.exit_code(), 0);
    let lines: Vec<&str> = screen
        .lines()
        .filter(|line| line.contains("6f1c-aa"))
        .collect();
    assert_eq!(lines.len(), 1, "{screen}");
    let width = unicode_width::UnicodeWidthStr::width(lines[0].trim_end_matches('\r'));
    assert!(width <= 120, "{width} columns: {screen}");
    assert!(lines[0].contains('…'), "the agent is cut: {screen}");

    let terminal = Terminal::start(&run, &["sessions", "list", "7", "--no-trunc"]);
    terminal.wait_for("Safari/537.36");
    let screen = terminal.screen();
    assert_eq!(terminal.exit_code(), 0);
    assert!(!screen.contains('…'), "{screen}");

    // Piped, nothing is cut (scripts get the data), but one huge cell pads no other row.
    let huge = "x".repeat(200_000);
    let server = Recorder::start(move |_request: &support::Recorded| {
        Reply::json(
            200,
            json!([{"id": 1, "username": huge, "role": "Viewer"}, {"id": 2, "username": "sara", "role": "Viewer"}]),
        )
    });
    let output = Run::against(&server).run(&["users", "list"], None);
    assert_exit(&output, 0);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].len() > 200_000, "printed whole");
    assert!(
        lines[2].len() < 300,
        "{} bytes: padded to the huge cell",
        lines[2].len()
    );
}

#[test]
fn on_a_terminal_confirmations_show_server_text_cleaned() {
    use support::hostile::{hostile_geobox, raw_controls};
    let server = Recorder::start(hostile_geobox);
    let run = Run::against(&server);
    for (args, question) in [
        (vec!["users", "delete", "7"], "[y/N]"),
        (
            vec!["users", "lockdown", "7", "--reset-password"],
            "Go ahead? [y/N]",
        ),
    ] {
        let mut terminal = Terminal::start(&run, &args);
        terminal.wait_for(question);
        terminal.type_line("n");
        let screen = terminal.screen();
        assert_eq!(terminal.exit_code(), 1, "{args:?}");
        // The terminal ends its lines in CR LF and echoes what was typed; nothing else may be
        // a control character.
        let raw = raw_controls(&screen.replace("\r\n", "\n"));
        assert!(
            raw.is_empty(),
            "{args:?} put {raw:?} on the terminal:\n{screen}"
        );
        assert!(screen.contains("ali⟨U+001B⟩[2J"), "{args:?}: {screen}");
    }
    assert_eq!(server.count("DELETE", "/v1/users/7/"), 0);
    assert_eq!(server.count("PUT", "/v1/users/7/"), 0);
}

#[test]
fn without_a_terminal_and_a_command_it_says_so_in_one_line() {
    let run = Run::bare();
    for envs in [vec![], vec![("NO_COLOR", "1")]] {
        let mut run = Run::bare();
        for (key, value) in envs {
            run.env(key, value);
        }
        let output = run.run(&[], None);
        assert_exit(&output, 2);
        let stderr = stderr(&output);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: the console needs a terminal"),
            "{stderr}"
        );
        assert!(!stderr.contains('\u{1b}'), "no colour: {stderr:?}");
        assert!(stdout(&output).is_empty());
        assert!(
            !run.dir().join("data").join("demo.sqlite").exists(),
            "no demo database was seeded"
        );
    }
    let output = run.run(&["--demo"], None);
    assert_exit(&output, 2);
}

#[test]
fn a_dotenv_holding_a_secret_must_be_private() {
    let server = Recorder::start(fake_geobox);
    let run = Run::bare();
    write_dotenv_signing_in(&run, &server);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            run.dir().join(".env"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        let output = run.run(&["users", "list"], None);
        assert_exit(&output, 2);
        assert!(
            stderr(&output).contains("chmod 600 .env"),
            "{}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("GEOBOX_PASSWORD"),
            "{}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("P@ssw0rd"));
        assert!(server.requests().is_empty());
    }
    private(&run.dir().join(".env"));
    assert_exit(&run.run(&["users", "list"], None), 0);
    // Without a secret in it, a .env anyone may read is fine.
    let open = Run::bare();
    std::fs::write(
        open.dir().join(".env"),
        format!("GEOBOX_HOST={}\nGEOBOX_ACCESS_TOKEN=\n", server.host()),
    )
    .expect("write .env");
    let output = open.run(&["config"], None);
    assert_exit(&output, 0);
}
