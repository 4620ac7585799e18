//! What every server test shares: a server with its admin signed in, requests shaped as the
//! official Python SDK sends them, and tables whose every row is checked and reported.

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::Duration;

use geobox_api::{Auth, GeoboxClient, Secret, obfuscate_password};
use geobox_server::RunningServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{spawn_on_own_runtime, start_server};

pub const SDK_AGENT: &str = "python-requests/2.32.3";
pub const ADMIN_PASSWORD: &str = "admin-pass-1";

pub struct Harness {
    /// `None` for a shared server: it lives as long as the test binary.
    running: Option<RunningServer>,
    pub base_url: String,
    pub admin_apikey: Secret,
    pub http: reqwest::Client,
    pub admin_token: String,
}

impl Harness {
    /// A server of this test's own, with `seed_users` demo users and the admin signed in.
    pub async fn start(seed_users: u64) -> Harness {
        let server = start_server(seed_users, ADMIN_PASSWORD).await;
        let mut harness = Harness {
            base_url: server.base_url.clone(),
            admin_apikey: server.admin_apikey.clone(),
            running: Some(server),
            http: sdk_http(),
            admin_token: String::new(),
        };
        harness.admin_token = harness.login("admin", ADMIN_PASSWORD).await;
        harness
    }

    /// The module's shared server, for tests that do not disturb each other: it is started
    /// and its admin signed in once, whichever test comes first.
    pub fn shared(server: &'static SharedServer) -> Harness {
        let started = server.get();
        Harness {
            running: None,
            base_url: started.base_url.clone(),
            admin_apikey: started.admin_apikey.clone(),
            http: sdk_http(),
            admin_token: started.admin_token.clone(),
        }
    }

    /// Stops a server of the test's own; a shared one keeps running for the other tests.
    pub async fn stop(self) {
        if let Some(server) = self.running {
            server.shutdown().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn login_response(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("auth/token/"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("login request")
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self.login_response(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["token_type"], "bearer");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// Sends `call` as the holder of `token` (`None`: signed out) and reads the answer,
    /// whatever it is: tables judge it, and only a failed connection panics.
    pub async fn send(&self, call: &Call, token: Option<&str>) -> Answer {
        let mut request = self.http.request(call.method.clone(), self.url(&call.path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match &call.body {
            Body::Nothing => request,
            Body::Empty => request.header("Content-Type", "application/json"),
            Body::Json(value) => request
                .header("Content-Type", "application/json")
                .body(value.to_string()),
            Body::RawJson(text) => request
                .header("Content-Type", "application/json")
                .body(*text),
            Body::Form(pairs) => request.form(pairs),
        };
        let response = request.send().await.expect("request");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = response.text().await.expect("body");
        let body = content_type
            .starts_with("application/json")
            .then(|| serde_json::from_str(&text).ok())
            .flatten();
        Answer {
            status,
            content_type,
            body,
            text,
        }
    }

    /// A request as the SDK sends it: `Content-Type: application/json` even without a body.
    /// Panics unless the answer is JSON.
    pub async fn sdk(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let call = Call {
            method,
            path: path.to_string(),
            body: body.map_or(Body::Empty, Body::Json),
        };
        let answer = self.send(&call, Some(token)).await;
        match answer.body {
            Some(body) => (answer.status, body),
            None => panic!(
                "{path}: every answer is JSON, got {:?}: {}",
                answer.content_type, answer.text
            ),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.sdk(Method::GET, path, token, None).await
    }

    /// Creates a user through the API and returns its id.
    pub async fn create(&self, username: &str, role: &str, status: &str, password: &str) -> i64 {
        let (code, body) = self
            .sdk(
                Method::POST,
                "users/",
                &self.admin_token,
                Some(new_user(username, role, status, password)),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        body["id"].as_i64().expect("id")
    }

    /// `GET users/?q=...` with the filter URL-encoded.
    pub async fn q(&self, q: &str) -> (StatusCode, Value) {
        let url = format!("users/?q={}&limit=1000", urlencode(q));
        self.get(&url, &self.admin_token).await
    }

    pub fn client(&self, auth: Auth) -> GeoboxClient {
        GeoboxClient::new(&self.base_url, auth, Duration::from_secs(10)).expect("client")
    }

    pub fn admin_client(&self) -> GeoboxClient {
        self.client(Auth::Password {
            username: "admin".into(),
            password: Secret::new(ADMIN_PASSWORD),
        })
    }

    /// Runs the rows in order and answers every mismatch among them.
    pub async fn check_rows(&self, rows: &[Row<'_>]) -> Mismatches {
        let mut mismatches = Mismatches::default();
        for row in rows {
            let answer = self.send(&row.call, row.token).await;
            mismatches.check(&row.label, &answer, row.status, &row.shape);
        }
        mismatches
    }
}

fn sdk_http() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(SDK_AGENT)
        .build()
        .expect("client")
}

/// The body of `POST users/` for a valid user.
pub fn new_user(username: &str, role: &str, status: &str, password: &str) -> Value {
    json!({
        "username": username, "email": format!("{username}@example.ir"),
        "password": obfuscate_password(password), "role": role,
        "first_name": "Test", "last_name": "User", "mobile": "+98 9120123456",
        "status": status,
    })
}

/// A server several tests of a module use at once, on a runtime of its own.
pub struct SharedServer {
    seed_users: u64,
    started: OnceLock<Started>,
}

struct Started {
    base_url: String,
    admin_apikey: Secret,
    admin_token: String,
}

impl SharedServer {
    pub const fn new(seed_users: u64) -> SharedServer {
        SharedServer {
            seed_users,
            started: OnceLock::new(),
        }
    }

    fn get(&'static self) -> &'static Started {
        self.started.get_or_init(|| {
            let (sender, receiver) = std::sync::mpsc::channel();
            let seed_users = self.seed_users;
            spawn_on_own_runtime(async move {
                let harness = Harness::start(seed_users).await;
                let started = Started {
                    base_url: harness.base_url.clone(),
                    admin_apikey: harness.admin_apikey.clone(),
                    admin_token: harness.admin_token.clone(),
                };
                sender.send(started).expect("the test waits for the server");
                // Serve (holding `harness`, which owns the server) until the binary ends.
                std::future::pending::<()>().await;
            });
            receiver.recv().expect("the shared server starts")
        })
    }
}

/// One request of a table.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub enum Body {
    /// Neither a body nor a content type: a plain HTTP client.
    Nothing,
    /// No body, but the SDK's `Content-Type: application/json` all the same.
    Empty,
    Json(Value),
    /// Sent as JSON just as written, to send what is not JSON.
    RawJson(&'static str),
    /// Form-encoded, as `change-password` takes it.
    Form(Vec<(String, String)>),
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            body: Body::Empty,
        }
    }

    pub fn get(path: impl Into<String>) -> Call {
        Call::new(Method::GET, path)
    }

    pub fn post(path: impl Into<String>) -> Call {
        Call::new(Method::POST, path)
    }

    pub fn delete(path: impl Into<String>) -> Call {
        Call::new(Method::DELETE, path)
    }

    pub fn put(path: impl Into<String>, body: Value) -> Call {
        Call::new(Method::PUT, path).json(body)
    }

    pub fn json(self, body: Value) -> Call {
        self.with(Body::Json(body))
    }

    pub fn with(mut self, body: Body) -> Call {
        self.body = body;
        self
    }

    /// `POST users/{id}/change-password`, a form even though the SDK's default type is JSON.
    pub fn change_password(id: i64, password: &str) -> Call {
        Call::post(format!("users/{id}/change-password")).with(Body::Form(vec![(
            "new_password".to_string(),
            obfuscate_password(password),
        )]))
    }
}

/// An answer as it came: tables judge it instead of panicking on the first surprise.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    /// `None` unless the answer says it is JSON and is.
    pub body: Option<Value>,
    pub text: String,
}

/// What a row expects of an answer besides its status. Every answer must be JSON.
#[derive(Clone, Debug)]
pub enum Shape {
    /// Any JSON.
    Json,
    /// `{"detail": "a sentence"}`.
    Sentence,
    /// A validation error whose first `loc` ends with this field.
    Names(&'static str),
    /// A validation error whose first message contains this.
    Says(&'static str),
    /// A validation error naming this field, with a type and a message containing this.
    Invalid(&'static str, &'static str),
    /// This JSON pointer holds this value.
    Has(&'static str, Value),
}

impl Shape {
    fn fits(&self, body: &Value) -> bool {
        match self {
            Shape::Json => true,
            Shape::Sentence => body["detail"].is_string(),
            Shape::Names(field) => field_of(body) == *field,
            Shape::Says(text) => body["detail"][0]["msg"]
                .as_str()
                .is_some_and(|msg| msg.contains(text)),
            Shape::Invalid(field, text) => {
                Shape::Names(field).fits(body)
                    && Shape::Says(text).fits(body)
                    && body["detail"][0]["type"].is_string()
            }
            Shape::Has(pointer, value) => body.pointer(pointer) == Some(value),
        }
    }
}

/// One row of a table: who sends what, and what comes back.
pub struct Row<'a> {
    pub label: String,
    pub token: Option<&'a str>,
    pub call: Call,
    pub status: u16,
    pub shape: Shape,
}

/// A row expecting `status` and any JSON; `.shape(...)` asks more of the body.
pub fn row<'a>(
    label: impl Into<String>,
    token: Option<&'a str>,
    call: Call,
    status: u16,
) -> Row<'a> {
    Row {
        label: label.into(),
        token,
        call,
        status,
        shape: Shape::Json,
    }
}

impl Row<'_> {
    pub fn shape(mut self, shape: Shape) -> Self {
        self.shape = shape;
        self
    }
}

/// Every way a table's rows differ from what they expect, so that one run names all the
/// failing rows rather than stopping at the first.
#[derive(Default)]
pub struct Mismatches {
    rows: usize,
    found: Vec<String>,
}

impl Mismatches {
    pub fn check(&mut self, label: &str, answer: &Answer, status: u16, shape: &Shape) {
        self.rows += 1;
        let mut problems = Vec::new();
        if answer.status.as_u16() != status {
            problems.push(format!("expected {status}, got {}", answer.status.as_u16()));
        }
        match &answer.body {
            None => problems.push(format!("not JSON ({:?})", answer.content_type)),
            Some(body) if !shape.fits(body) => problems.push(format!("not {shape:?}")),
            Some(_) => {}
        }
        if !problems.is_empty() {
            let body: String = answer.text.chars().take(160).collect();
            self.found
                .push(format!("{label}: {}: {body}", problems.join(", ")));
        }
    }

    /// Panics listing every mismatch, if there is any.
    #[track_caller]
    pub fn assert_none(self) {
        if self.found.is_empty() {
            return;
        }
        let mut report = format!("{} of {} rows failed:\n", self.found.len(), self.rows);
        for line in &self.found {
            let _ = writeln!(report, "  {line}");
        }
        panic!("{report}");
    }
}

/// The field the first validation error names (the last element of its `loc`).
pub fn field_of(body: &Value) -> String {
    body["detail"][0]["loc"]
        .as_array()
        .and_then(|loc| loc.last())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The ids of a list of users, in order.
pub fn ids(body: &Value) -> Vec<i64> {
    body.as_array()
        .expect("array")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect()
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
