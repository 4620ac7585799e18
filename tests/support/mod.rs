//! Helpers the integration tests share. Mainly a recording HTTP server for the wire and CLI
//! tests: it keeps every request it receives and answers with whatever the test's responder
//! says. It runs on its own thread and runtime, so synchronous tests (which run the binary)
//! and async ones can both use it. Also: the embedded server with a known admin password.

#![allow(dead_code)]

pub mod hostile;
pub mod terminal;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use geobox_api::{Auth, GeoboxClient, Secret};
use geobox_server::{RunningServer, ServerOptions};
use serde_json::{Value, json};

/// The embedded server on a free loopback port, with `seed_users` demo users and an admin
/// whose password the test knows.
pub async fn start_server(seed_users: u64, admin_password: &str) -> RunningServer {
    geobox_server::start(ServerOptions {
        seed_users,
        admin_password: Some(Secret::new(admin_password)),
        ..ServerOptions::default()
    })
    .await
    .expect("the embedded server starts")
}

/// A runtime for a synchronous test that drives the server and clients itself.
pub fn test_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The environment that signs the binary in to `server` as its admin.
pub fn admin_env(server: &RunningServer, admin_password: &str) -> Vec<(String, String)> {
    vec![
        ("GEOBOX_HOST".to_string(), server.base_url.clone()),
        ("GEOBOX_USERNAME".to_string(), server.admin_username.clone()),
        ("GEOBOX_PASSWORD".to_string(), admin_password.to_string()),
    ]
}

/// A client of `server` signed in as its admin with `admin_password`.
pub fn admin_client(server: &RunningServer, admin_password: &str) -> GeoboxClient {
    GeoboxClient::new(
        &server.base_url,
        Auth::Password {
            username: server.admin_username.clone(),
            password: Secret::new(admin_password),
        },
        Duration::from_secs(10),
    )
    .expect("a client")
}

/// Runs `task` on a thread and runtime of its own, which outlive the runtime of any one test
/// (a `#[tokio::test]`'s runtime, and every task on it, ends with the test).
pub fn spawn_on_own_runtime(task: impl Future<Output = ()> + Send + 'static) {
    std::thread::spawn(move || {
        test_runtime().block_on(task);
    });
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Always with the `/v1/` prefix, e.g. `/v1/users/5/`.
    pub path: String,
    /// The raw query string, as sent.
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub body: Vec<u8>,
    pub peer: SocketAddr,
}

impl Recorded {
    pub fn body_json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }

    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the request body is UTF-8")
    }

    /// A query parameter, decoded.
    pub fn param(&self, key: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name == key).then(|| {
                urlencoding::decode(&value.replace('+', " "))
                    .expect("valid percent-encoding")
                    .into_owned()
            })
        })
    }

    /// `METHOD /path`
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// What to answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            content_type: Some("application/json"),
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    pub fn raw(status: u16, content_type: Option<&'static str>, body: &str) -> Reply {
        Reply {
            status,
            content_type,
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Clone)]
struct Shared {
    responder: Responder,
    log: Arc<Mutex<Vec<Recorded>>>,
}

/// A running recording server. It lives until the test process ends.
pub struct Recorder {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    pub fn start(responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Recorder {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            responder: Arc::new(responder),
            log: Arc::clone(&log),
        };
        spawn_on_own_runtime(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let app = Router::new().fallback(record).with_state(shared);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        Recorder { addr, log }
    }

    /// `http://127.0.0.1:PORT` (the client adds `/v1/`).
    pub fn host(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("log").clone()
    }

    /// The requests other than sign-ins.
    pub fn api_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.path != "/v1/auth/token/")
            .collect()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|request| request.method == method && request.path == path)
            .count()
    }

    pub fn clear(&self) {
        self.log.lock().expect("log").clear();
    }
}

async fn record(
    State(shared): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        content_type: header_text(header::CONTENT_TYPE),
        authorization: header_text(header::AUTHORIZATION),
        user_agent: header_text(header::USER_AGENT),
        body: to_bytes(body, usize::MAX)
            .await
            .expect("request body")
            .to_vec(),
        peer,
    };
    shared.log.lock().expect("log").push(recorded.clone());
    let reply = (shared.responder)(&recorded);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("status");
    if let Some(content_type) = reply.content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// Two users as a newer server might send them: unknown fields, an unknown role, a user
/// without optional fields.
pub fn sample_users() -> Value {
    json!([
        {
            "id": 1, "username": "ali", "email": "ali@example.ir",
            "first_name": "Ali", "last_name": "Rezaei", "mobile": "+98 9120123456",
            "role": "Account Admin", "status": "Active",
            "plan": {"id": 2, "name": "pro", "display_name": "Pro Plan", "plan_color": "#123456"},
            "expiration_date": "2026-12-11", "parent_id": null,
            "created_at": "2025-01-02T03:04:05", "tenant_zone": "ir-1", "quota_used": 0.5
        },
        {
            "id": 12, "username": "sara", "first_name": null, "last_name": "Karimi, \"SK\"",
            "role": "Auditor", "status": "Suspended"
        }
    ])
}

pub fn sample_sessions() -> Value {
    json!([
        {"uuid": "6f1c-aa", "agent": "Mozilla/5.0", "ip": "10.0.0.7", "created_at": "2026-01-01T10:00:00", "geo": "Tehran"},
        {"uuid": "77b2-bb", "agent": "python-requests/2.32", "current": true}
    ])
}

pub fn sample_plans() -> Value {
    json!([
        {"id": 2, "name": "pro", "display_name": "Pro Plan", "plan_color": "#123456",
         "storage": 1_000_000_000_i64, "concurrent_tasks": 4, "daily_api_calls": 1000,
         "monthly_api_calls": 30000, "number_of_days": 365, "tier": "gold"}
    ])
}

/// A stand-in for a Geobox server, good enough for every CLI command: it signs in `admin`
/// with password `P@ssw0rd`, knows users 1..=99 (404 beyond), and rejects an email without
/// `@` with a FastAPI validation error.
pub fn fake_geobox(request: &Recorded) -> Reply {
    let path = request
        .path
        .strip_prefix("/v1/")
        .unwrap_or(&request.path)
        .to_string();
    let segments: Vec<&str> = path.split('/').collect();
    let user_of = |id: &str| -> Reply {
        match id.parse::<i64>() {
            Ok(id) if (1..100).contains(&id) => {
                let mut user = sample_users()[0].clone();
                user["id"] = json!(id);
                Reply::json(200, user)
            }
            _ => Reply::json(404, json!({"detail": "User not found"})),
        }
    };
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["auth", "token", ""]) => {
            let form = request.body_text();
            if form.contains("username=admin") && form.contains("password=P%40ssw0rd") {
                Reply::json(
                    200,
                    json!({"access_token": "tok-admin", "token_type": "bearer"}),
                )
            } else {
                Reply::json(401, json!({"detail": "Incorrect username or password"}))
            }
        }
        _ if request.authorization.is_none() && request.param("apikey").is_none() => {
            Reply::json(401, json!({"detail": "Not authenticated"}))
        }
        ("GET", ["users", ""]) if request.param("return_count").as_deref() == Some("True") => {
            Reply::json(200, json!({"count": 42}))
        }
        ("GET", ["users", ""]) | ("GET", ["users", "search", ""]) => {
            Reply::json(200, sample_users())
        }
        ("GET", ["users", "me", ""]) => user_of("1"),
        ("GET", ["users", id, ""]) => user_of(id),
        ("POST", ["users", ""]) => {
            let body = request.body_json();
            let email = body["email"].as_str().unwrap_or_default();
            if !email.contains('@') {
                return Reply::json(
                    422,
                    json!({"detail": [{"loc": ["body", "email"], "msg": "value is not a valid email address", "type": "value_error"}]}),
                );
            }
            let mut created = body.clone();
            created["id"] = json!(100);
            created.as_object_mut().expect("object").remove("password");
            created["created_at"] = json!("2026-11-29T00:00:00");
            Reply::json(201, created)
        }
        ("PUT", ["users", id, ""]) => {
            let reply = user_of(id);
            if reply.status != 200 {
                return reply;
            }
            let mut user: Value = serde_json::from_slice(&reply.body).expect("json");
            for (key, value) in request.body_json().as_object().expect("object") {
                user[key] = value.clone();
            }
            Reply::json(200, user)
        }
        ("DELETE", ["users", id, ""]) => {
            let reply = user_of(id);
            if reply.status != 200 {
                return reply;
            }
            Reply::raw(204, None, "")
        }
        ("GET", ["users", _, "sessions", ""]) => Reply::json(200, sample_sessions()),
        ("POST", ["users", _, "sessions", _uuid]) => Reply::json(200, json!({"ok": true})),
        ("POST", ["users", _, "change-password"]) | ("POST", ["users", _, "renewPlan"]) => {
            Reply::json(200, Value::Null)
        }
        ("GET", ["plans", ""]) => Reply::json(200, sample_plans()),
        ("GET", ["plans", _, ""]) => Reply::json(200, sample_plans()[0].clone()),
        ("GET", ["users", _, "members"]) => Reply::json(200, sample_users()),
        ("POST", ["users", _, "members", _]) | ("DELETE", ["users", _, "members", _]) => {
            Reply::json(200, json!({}))
        }
        _ => Reply::json(404, json!({"detail": "Not Found"})),
    }
}

/// The built binary with none of the caller's Geobox settings, its config file and data
/// directory inside `dir`, so a CLI test never reads or writes the real home. Output is
/// captured; standard input is empty unless the test pipes it.
pub fn isolated_cli(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_geobox-users"));
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if name.starts_with("GEOBOX") || name == "RUST_LOG" {
            command.env_remove(&key);
        }
    }
    command
        .current_dir(dir)
        .env("GEOBOX_USERS_CONFIG", dir.join("config.toml"))
        .env("GEOBOX_USERS_DATA_DIR", dir.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The built binary run in `dir` (as [`isolated_cli`]) against the stand-in `server`, signed
/// in with an access token.
pub fn cli_against(server: &Recorder, dir: &Path, args: &[&str]) -> Output {
    isolated_cli(dir)
        .args(args)
        .env("GEOBOX_HOST", server.host())
        .env("GEOBOX_ACCESS_TOKEN", "tok-cli")
        .output()
        .expect("run geobox-users")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

/// Every entry of the local journal in `data_dir`, oldest first, as JSON (what `journal
/// --output json` prints for each); none when nothing was ever journaled there.
pub fn journal_entries(data_dir: &Path) -> Vec<Value> {
    use geobox_ops::journal::{Filter, Journal, LOCAL_FILE};
    if !data_dir.join(LOCAL_FILE).exists() {
        return Vec::new();
    }
    let found = Journal::new(data_dir)
        .read(&Filter::default())
        .expect("the journal reads");
    found
        .entries
        .iter()
        .rev()
        .map(|entry| serde_json::to_value(entry).expect("an entry as JSON"))
        .collect()
}

/// The local journal's files in `data_dir` as text (the database and its log): what a test
/// searches for what must never be kept there.
pub fn journal_files_text(data_dir: &Path) -> String {
    ["journal.sqlite", "journal.sqlite-wal"]
        .iter()
        .filter_map(|name| std::fs::read(data_dir.join(name)).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}
