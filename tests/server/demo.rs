//! The demo database, the generated admin password, and `serve` from start to SIGTERM.

use std::time::Duration;

use geobox_api::{Auth, GeoboxClient, Secret, UserQuery, UserRef};
use geobox_server::ServerOptions;
use reqwest::StatusCode;

#[tokio::test]
async fn the_demo_keeps_its_database_and_reseeds_when_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("data").join("demo.sqlite");
    let demo = geobox_server::start_demo(&path, false)
        .await
        .expect("demo starts");
    assert_eq!(demo.seeded_users, 500);
    assert!(demo.addr.ip().is_loopback());
    assert_eq!(
        demo.admin_password.expose(),
        geobox_server::DEMO_ADMIN_PASSWORD
    );
    let client = GeoboxClient::new(
        &demo.base_url,
        Auth::Password {
            username: "admin".into(),
            password: demo.admin_password.clone(),
        },
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        501
    );
    let victim = client
        .list_users(&UserQuery::new().skip(1).limit(1))
        .await
        .expect("list")[0]
        .id;
    client.delete_user(victim).await.expect("delete");
    demo.shutdown().await;
    assert!(path.exists());

    let again = geobox_server::start_demo(&path, false)
        .await
        .expect("restarts");
    assert_eq!(again.seeded_users, 0, "an existing demo is kept");
    let client = GeoboxClient::new(
        &again.base_url,
        Auth::ApiKey(again.admin_apikey.clone()),
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        500
    );
    // The previous run's sign-in is gone: the admin's sessions do not pile up per start. The
    // one left is this run's, opened at start for the console.
    let sessions = client.list_sessions(UserRef::Me).await.expect("sessions");
    assert_eq!(
        sessions.len(),
        1,
        "a restart signs the demo admin out of the previous run: {sessions:?}"
    );
    let token = again.admin_token.clone().expect("the demo opens a session");
    let console = GeoboxClient::new(
        &again.base_url,
        Auth::AccessToken(token),
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        console.get_user(UserRef::Me).await.expect("me").username,
        "admin"
    );
    // Seeded users share a known password.
    let seeded = client
        .list_users(&UserQuery::new().q("status = 'Active' AND id > 1").limit(1))
        .await
        .expect("list");
    let as_seeded = GeoboxClient::new(
        &again.base_url,
        Auth::Password {
            username: seeded[0].username.clone(),
            password: Secret::new(geobox_server::SEED_PASSWORD),
        },
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        as_seeded.get_user(UserRef::Me).await.expect("me").id,
        seeded[0].id
    );
    again.shutdown().await;

    let fresh = geobox_server::start_demo(&path, true).await.expect("fresh");
    assert_eq!(fresh.seeded_users, 500);
    let client = GeoboxClient::new(
        &fresh.base_url,
        Auth::ApiKey(fresh.admin_apikey.clone()),
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        501
    );
    fresh.shutdown().await;
}

#[tokio::test]
async fn a_random_admin_password_is_generated_when_none_is_given() {
    let server = geobox_server::start(ServerOptions {
        seed_users: 0,
        ..ServerOptions::default()
    })
    .await
    .expect("starts");
    assert!(server.admin_password.expose().len() >= 16);
    let client = GeoboxClient::new(
        &server.base_url,
        Auth::Password {
            username: server.admin_username.clone(),
            password: server.admin_password.clone(),
        },
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(client.get_user(UserRef::Me).await.expect("me").id, 1);
    assert!(server.base_url.starts_with("http://127.0.0.1:") && server.base_url.ends_with("/v1/"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_busy_address_is_named_in_the_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let error = geobox_server::start(ServerOptions {
        bind: addr,
        seed_users: 0,
        ..ServerOptions::default()
    })
    .await
    .expect_err("the address is taken");
    assert!(
        error
            .to_string()
            .contains(&format!("cannot listen on {addr}")),
        "{error}"
    );
}

/// The official Python SDK against the server: `scripts/sdk-smoke.py`. Needs the SDK, so it
/// runs only when asked:
/// `GEOBOX_SDK_PYTHON=/tmp/sdkvenv/bin/python cargo test --test server -- --ignored sdk`
#[tokio::test]
#[ignore = "needs the geobox Python SDK; set GEOBOX_SDK_PYTHON"]
async fn the_official_python_sdk_works_against_it() {
    let python = std::env::var("GEOBOX_SDK_PYTHON")
        .expect("GEOBOX_SDK_PYTHON: a python with geobox installed");
    let server = geobox_server::start(ServerOptions {
        admin_password: Some(Secret::new("admin-pass-1")),
        ..ServerOptions::default()
    })
    .await
    .expect("starts");
    let host = server.base_url.trim_end_matches("v1/").to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sdk-smoke.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .env("GEOBOX_HOST", host)
        .env("GEOBOX_USERNAME", "admin")
        .env("GEOBOX_PASSWORD", "admin-pass-1")
        .env_remove("GEOBOX_ACCESS_TOKEN")
        .env_remove("GEOBOX_APIKEY")
        .output()
        .await
        .expect("runs python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("checks passed"));
    server.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn serve_runs_until_sigterm_and_then_stops_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let serving = tokio::spawn(geobox_server::serve_until_signal(ServerOptions {
        bind: ([127, 0, 0, 1], port).into(),
        seed_users: 0,
        ..ServerOptions::default()
    }));
    let url = format!("http://127.0.0.1:{port}/v1/plans/");
    let mut answered = false;
    for _ in 0..250 {
        if let Ok(response) = reqwest::get(&url).await {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered, "serve answers");
    // The handlers are in place before serve listens, so this reaches serve, not the default
    // action that would end the test process.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let result = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve stops within 10 s")
        .expect("serve task");
    assert!(result.is_ok(), "{result:?}");
    assert!(reqwest::get(&url).await.is_err(), "the port is closed");
}

/// What `geobox-users serve` prints up to "Stop with Ctrl-C.", run with `env` (then stopped).
fn serve_banner(env: &[(&str, &str)], args: &[&str]) -> String {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_geobox-users"))
        .args(["serve", "--bind", "127.0.0.1:0", "--seed-users", "0"])
        .args(args)
        .env_remove("GEOBOX_SERVE_ADMIN_PASSWORD")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut banner = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Stop with Ctrl-C") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    banner
}

/// A password the operator chose is theirs already: printing it would only put it in
/// terminal scrollback and logs. A generated one must be shown, or nobody could sign in.
#[test]
fn serve_prints_the_admin_password_only_when_it_generated_it() {
    let chosen = "Chosen-Admin-Pass-77";
    let from_env = serve_banner(&[("GEOBOX_SERVE_ADMIN_PASSWORD", chosen)], &[]);
    assert!(from_env.contains("Stop with Ctrl-C"), "{from_env}");
    assert!(!from_env.contains(chosen), "{from_env}");
    assert!(from_env.contains("password:  the one given"), "{from_env}");
    let from_flag = serve_banner(&[], &["--admin-password", chosen]);
    assert!(!from_flag.contains(chosen), "{from_flag}");

    let generated = serve_banner(&[], &[]);
    let line = generated
        .lines()
        .find(|line| line.trim_start().starts_with("password:"))
        .expect("a password line");
    let password = line.trim_start().trim_start_matches("password:").trim();
    assert!(
        password.len() >= 16 && !password.contains(' '),
        "{generated}"
    );
}

/// A link planted where the demo keeps its database is refused, and what it points at is left
/// as it was (neither opened by SQLite nor narrowed by a chmod).
#[cfg(unix)]
#[tokio::test]
async fn the_demo_refuses_a_planted_link_in_place_of_its_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("someone-elses.txt");
    std::fs::write(&victim, "not a database\n").expect("write");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let path = dir.path().join("demo.sqlite");
    std::os::unix::fs::symlink(&victim, &path).expect("symlink");
    let error = geobox_server::start_demo(&path, false)
        .await
        .expect_err("a planted link is refused");
    assert!(error.to_string().contains("symbolic link"), "{error}");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "not a database\n"
    );
    let mode = std::fs::metadata(&victim)
        .expect("stat")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o644);
}
