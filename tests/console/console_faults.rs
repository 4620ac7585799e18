//! The console's update loop when the server misbehaves: it goes away and comes back on the
//! same port, revokes the console's token, or answers garbage. Keys go through the real keymap,
//! commands through the real executor over loopback; timers are fired by the test, so nothing
//! here waits for a clock.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use geobox_api::{Auth, GeoboxClient, Secret, UserRef};
use geobox_server::{RunningServer, ServerOptions};
use geobox_users::console::cmd::{Cmd, execute};
use geobox_users::console::env::Env;
use geobox_users::console::form::Field;
use geobox_users::console::model::{Mode, Model};
use geobox_users::console::msg::Msg;
use geobox_users::console::update::{init, update};
use geobox_users::console::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ADMIN_PASSWORD: &str = "console-faults-admin";

async fn start_server(bind: SocketAddr, db: &Path) -> RunningServer {
    geobox_server::start(ServerOptions {
        bind,
        db: Some(db.to_path_buf()),
        seed_users: 150,
        admin_password: Some(Secret::new(ADMIN_PASSWORD)),
        ..ServerOptions::default()
    })
    .await
    .expect("the embedded server starts")
}

fn client(base_url: &str, auth: Auth) -> GeoboxClient {
    GeoboxClient::new(base_url, auth, Duration::from_secs(10)).expect("a client")
}

fn admin_auth(server: &RunningServer) -> Auth {
    Auth::Password {
        username: server.admin_username.clone(),
        password: Secret::new(ADMIN_PASSWORD),
    }
}

/// The console without a terminal. Debounces fire at once; the reconnect timers are kept for
/// the test to fire, so a server that stays away does not loop forever.
struct Console {
    model: Model,
    env: Env,
    client: GeoboxClient,
    queue: VecDeque<Cmd>,
    retry_timers: Vec<(Duration, Msg)>,
}

impl Console {
    async fn open(client: GeoboxClient) -> Console {
        let mut model = Model::new();
        model.width = 160;
        model.height = 45;
        model.now = chrono::Utc::now();
        let queue = init(&mut model).into();
        let mut console = Console {
            model,
            env: Env::new("test"),
            client,
            queue,
            retry_timers: Vec::new(),
        };
        console.settle().await;
        console
    }

    async fn settle(&mut self) {
        while let Some(cmd) = self.queue.pop_front() {
            let msg = match cmd {
                Cmd::After { delay, msg } if matches!(*msg, Msg::RetryConnection { .. }) => {
                    self.retry_timers.push((delay, *msg));
                    None
                }
                Cmd::After { msg, .. } => Some(*msg),
                other => execute(&self.client, other).await,
            };
            if let Some(msg) = msg {
                self.queue.extend(update(&mut self.model, &self.env, msg));
            }
        }
    }

    /// Fires the reconnect timer that is due, as the runner would after its delay.
    async fn fire_retry(&mut self) -> Duration {
        let (delay, msg) = self.retry_timers.pop().expect("a retry is scheduled");
        assert!(self.retry_timers.is_empty(), "one retry timer at a time");
        self.queue.extend(update(&mut self.model, &self.env, msg));
        self.settle().await;
        delay
    }

    async fn key(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        self.queue.extend(update(
            &mut self.model,
            &self.env,
            Msg::KeyPressed(KeyEvent::new(code, modifiers)),
        ));
        self.settle().await;
    }

    async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE).await;
        }
    }

    fn loaded_rows(&self) -> usize {
        self.model.users.pages.values().map(Vec::len).sum()
    }

    fn banner(&self) -> String {
        self.model
            .banner
            .as_ref()
            .map(|banner| banner.text.clone())
            .unwrap_or_default()
    }

    fn form_value(&self, field: Field) -> String {
        match &self.model.mode {
            Mode::Form(form) => form.value(field).to_string(),
            other => panic!("the form is open, not {other:?}"),
        }
    }

    fn screen(&self) -> String {
        let mut terminal =
            Terminal::new(TestBackend::new(self.model.width, self.model.height)).expect("a term");
        terminal
            .draw(|frame| view::view(&self.model, &self.env, frame))
            .expect("drawn");
        let buffer = terminal.backend().buffer();
        let width = usize::from(buffer.area.width);
        buffer
            .content
            .chunks(width)
            .map(|line| line.iter().map(|cell| cell.symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[tokio::test]
async fn a_server_that_goes_away_and_comes_back_on_the_same_port() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("faults.db");
    let server = start_server(SocketAddr::from(([127, 0, 0, 1], 0)), &db).await;
    let addr = server.addr;
    let base_url = server.base_url.clone();
    let auth = admin_auth(&server);
    let mut console = Console::open(client(&base_url, auth.clone())).await;
    let rows_before = console.loaded_rows();
    assert!(rows_before > 0, "the first pages are loaded");

    // An edit under way when the server goes away.
    console.type_text("e").await;
    for _ in 0..2 {
        console.key(KeyCode::Tab, KeyModifiers::NONE).await;
    }
    console.type_text("Offline").await;
    let typed = console.form_value(Field::FirstName);
    assert!(typed.ends_with("Offline"), "{typed}");
    server.shutdown().await;

    // The save cannot reach the server: it is not queued, the console is offline.
    console.key(KeyCode::Char('s'), KeyModifiers::CONTROL).await;
    assert!(
        console.model.connection.is_offline(),
        "offline after the save failed"
    );
    assert_eq!(console.form_value(Field::FirstName), typed);
    assert_eq!(console.loaded_rows(), rows_before, "loaded rows stay");
    // A second try is refused plainly without a request.
    let cmds = update(
        &mut console.model,
        &console.env,
        Msg::KeyPressed(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    assert!(cmds.is_empty(), "nothing sent or queued offline: {cmds:?}");
    assert_eq!(console.form_value(Field::FirstName), typed);

    // Retries back off: 1, 2, 4 ... seconds, each one a probe that fails.
    let mut delays = Vec::new();
    for _ in 0..4 {
        delays.push(console.fire_retry().await.as_secs());
    }
    assert_eq!(delays, vec![1, 2, 4, 8]);
    assert!(console.model.connection.is_offline());

    // The table and the title bar say what is going on; rows not loaded say so, no spinner.
    console.key(KeyCode::Esc, KeyModifiers::NONE).await;
    console.type_text("y").await;
    assert!(matches!(console.model.mode, Mode::Normal));
    // Writes are refused while offline (s: D is never offered on one's own row).
    console.type_text("s").await;
    assert!(
        matches!(console.model.mode, Mode::Normal),
        "no dialog opens"
    );
    assert!(console.banner().contains("Offline"), "{}", console.banner());

    console.type_text("G").await;
    console.model.now += chrono::Duration::seconds(12);
    let screen = console.screen();
    assert!(screen.contains("offline · 12 s"), "{screen}");
    assert!(screen.contains("stale"), "{screen}");
    assert!(screen.contains("✗ offline"), "{screen}");
    assert!(screen.contains("not loaded"), "{screen}");
    assert!(!screen.contains("loading…"), "{screen}");

    // The server comes back on the same port: the next retry finds it and the console
    // recovers by itself.
    let server = start_server(addr, &db).await;
    console.fire_retry().await;
    assert!(!console.model.connection.is_offline());
    assert_eq!(console.banner(), "reconnected");
    assert!(console.model.users.error.is_none());
    let last = console.model.users.total.map(|total| total - 1);
    assert_eq!(
        Some(console.model.users.selected),
        last,
        "G's row is still selected"
    );
    let screen = console.screen();
    assert!(!screen.contains("not loaded"), "{screen}");
    assert!(!screen.contains("✗"), "{screen}");
    assert!(!screen.contains("offline ·"), "{screen}");
    assert!(console.retry_timers.is_empty(), "no retry once back");
    server.shutdown().await;
}

#[tokio::test]
async fn a_revoked_token_signs_in_again_with_a_password_and_is_explained_without() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = start_server(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &dir.path().join("revoked.db"),
    )
    .await;
    let admin = client(&server.base_url, admin_auth(&server));
    let mut with_password = Console::open(client(&server.base_url, admin_auth(&server))).await;

    let token = sign_in(&server).await;
    let mut with_token = Console::open(client(
        &server.base_url,
        Auth::AccessToken(Secret::new(token)),
    ))
    .await;
    assert!(with_token.banner().is_empty(), "{}", with_token.banner());

    // Every session of the admin is closed elsewhere.
    let me = admin.get_user(UserRef::Me).await.expect("me").id;
    let other = client(&server.base_url, admin_auth(&server));
    for session in other
        .list_sessions(UserRef::Id(me))
        .await
        .expect("sessions")
    {
        let _ = other.close_session(me, &session.uuid).await;
    }

    with_password.type_text("R").await;
    assert!(
        with_password.model.banner.is_none(),
        "signed in again: {}",
        with_password.banner()
    );
    assert!(with_password.loaded_rows() > 0);

    with_token.type_text("R").await;
    let banner = with_token.banner();
    assert!(banner.contains("401"), "{banner}");
    assert!(
        banner.contains("GEOBOX_USERNAME"),
        "says how to fix it: {banner}"
    );
    assert!(
        !with_token.model.connection.is_offline(),
        "a 401 is an answer"
    );
    server.shutdown().await;
}

/// Signs the admin in over plain HTTP and returns the bearer token, like another app would.
async fn sign_in(server: &RunningServer) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}auth/token/", server.base_url))
        .form(&[
            ("username", server.admin_username.as_str()),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .expect("the sign-in request is answered");
    let body: serde_json::Value = response.json().await.expect("a JSON token");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// A server that answers every request with the same status and body.
async fn garbage_server(status: u16, content_type: &'static str, body: String) -> String {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let status = StatusCode::from_u16(status).expect("a status");
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { (status, [(header::CONTENT_TYPE, content_type)], body).into_response() }
    });
    serve(app).await
}

/// Serves `app` on a free loopback port until the test ends; returns its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/")
}

#[tokio::test]
async fn garbage_answers_are_clear_errors_and_show_no_rows() {
    let user = r#"{"id":1,"uuid":"u","username":"ali"}"#;
    let cases: Vec<(&str, u16, &'static str, String)> = vec![
        (
            "an HTML error page",
            502,
            "text/html",
            "<html><body><h1>502 Bad Gateway</h1></body></html>".to_string(),
        ),
        (
            "truncated JSON",
            200,
            "application/json",
            r#"[{"id":1,"username":"al"#.to_string(),
        ),
        (
            "wrong types",
            200,
            "application/json",
            r#"[{"id":"one","username":42}]"#.to_string(),
        ),
        ("an empty 200", 200, "application/json", String::new()),
        (
            "100,000 objects",
            200,
            "application/json",
            format!("[{}]", vec![user; 100_000].join(",")),
        ),
    ];
    for (what, status, content_type, body) in cases {
        let base_url = garbage_server(status, content_type, body).await;
        let console = Console::open(client(&base_url, Auth::ApiKey(Secret::new("key")))).await;
        let banner = console.banner();
        assert!(
            console
                .model
                .banner
                .as_ref()
                .is_some_and(|banner| banner.error),
            "{what}: an error is shown, got {banner:?}"
        );
        assert!(
            banner.contains("failed"),
            "{what}: the banner says what failed: {banner}"
        );
        assert_eq!(console.loaded_rows(), 0, "{what}: no rows shown");
        assert!(
            !console.model.connection.is_offline(),
            "{what}: the server answered, it is not offline"
        );
        let screen = console.screen();
        assert!(
            screen.contains('✗'),
            "{what}: the table says it failed\n{screen}"
        );
    }
}

#[tokio::test]
async fn a_slow_server_is_sent_a_bounded_number_of_requests_at_once() {
    use geobox_users::console::cmd::{MAX_REQUESTS_IN_FLIGHT, spawn};
    use geobox_users::console::msg::RequestId;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now_in, most_in) = (Arc::clone(&now), Arc::clone(&most));
    let app = axum::Router::new().fallback(move || {
        let (now, most) = (Arc::clone(&now_in), Arc::clone(&most_in));
        async move {
            let running = now.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(running, Ordering::SeqCst);
            // A slow answer, so requests pile up if nothing holds them back.
            tokio::time::sleep(Duration::from_millis(150)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            axum::Json(serde_json::json!([]))
        }
    });
    let client = client(&serve(app).await, Auth::ApiKey(Secret::new("key")));
    let (results_tx, mut results) = tokio::sync::mpsc::unbounded_channel();
    let commands = spawn(Arc::new(client), None, results_tx);
    let pages = 3 * MAX_REQUESTS_IN_FLIGHT as u64;
    for page in 0..pages {
        commands
            .send(Cmd::LoadUsers {
                request: RequestId(page + 1),
                page,
                query: geobox_api::UserQuery::new().skip(page * 10).limit(10),
            })
            .expect("the command task runs");
    }
    for _ in 0..pages {
        let answer = results.recv().await.expect("an answer");
        assert!(matches!(answer, Msg::UsersLoaded { .. }), "{answer:?}");
    }
    let most = most.load(Ordering::SeqCst);
    assert!(most <= MAX_REQUESTS_IN_FLIGHT, "{most} requests at once");
    assert!(most > 1, "requests still run side by side");
}
