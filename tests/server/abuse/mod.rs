//! The server as an attacker and a crowd meet it: floods of failed sign-ins, half-sent
//! requests, heads hyper would answer bare, token expiry, and many clients writing at once.
//! Everything runs on loopback, bounded in count and time. Where memory or the file limit is
//! the subject, the server is the built binary (`geobox-users serve`) in a child process, so
//! what is measured is the server and nothing of the test.

mod flood;
mod heads;
mod load;
mod lockout;
mod priority;
mod sessions;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use geobox_api::obfuscate_password;
use geobox_server::{RunningServer, ServerOptions};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_PASSWORD: &str = "admin-pass-1";
pub const USER_PASSWORD: &str = "user-pass-1";

/// `geobox-users serve` in a child process, killed when dropped.
pub struct ServeChild {
    child: Child,
    pub base_url: String,
}

impl ServeChild {
    /// Starts the binary with these extra arguments; `file_limit` lowers its open-file limit.
    pub fn start(extra: &[&str], file_limit: Option<u32>) -> ServeChild {
        let binary = env!("CARGO_BIN_EXE_geobox-users");
        let mut command = match file_limit {
            Some(limit) => {
                let mut shell = Command::new("sh");
                shell
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(binary);
                shell
            }
            None => Command::new(binary),
        };
        command
            .args([
                "serve",
                "--seed-users",
                "50",
                "--admin-password",
                ADMIN_PASSWORD,
            ])
            .args(extra)
            .env_remove("GEOBOX_SERVE_ADMIN_PASSWORD")
            .env("RUST_LOG", "geobox_users=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("geobox-users serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base_url = loop {
            let line = lines
                .next()
                .expect("serve prints its base URL")
                .expect("stdout is text");
            if let Some(url) = line.trim().strip_prefix("base URL:") {
                break url.trim().to_string();
            }
        };
        // Keep reading so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServeChild { child, base_url }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child's resident memory, from `/proc`.
    pub fn rss_bytes(&self) -> u64 {
        rss_of(self.pid()).expect("the server is running")
    }

    pub fn api(&self) -> Api {
        Api::new(&self.base_url)
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A distinct loopback address per client number (127.0.1.x, 127.0.2.x, ...; Linux answers
/// every 127.0.0.0/8 address), so the server sees as many clients as there are numbers.
pub fn loopback_address(n: usize) -> IpAddr {
    let host = u8::try_from(2 + n % 250).expect("below 256");
    let block = u8::try_from(1 + n / 250).expect("a few blocks");
    IpAddr::V4(Ipv4Addr::new(127, 0, block, host))
}

/// A 429's or 503's `Retry-After`, in whole seconds.
pub fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A process's resident memory (`VmRSS` in `/proc/PID/status`).
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

/// The embedded server in this process with no demo users, and an API for it.
pub async fn start_empty(options: ServerOptions) -> (RunningServer, Api) {
    let server = start_in_process(ServerOptions {
        seed_users: 0,
        ..options
    })
    .await;
    let api = Api::new(&server.base_url);
    (server, api)
}

/// The embedded server in this process with these options (admin password known).
pub async fn start_in_process(options: ServerOptions) -> RunningServer {
    geobox_server::start(ServerOptions {
        admin_password: Some(geobox_api::Secret::new(ADMIN_PASSWORD)),
        ..options
    })
    .await
    .expect("the embedded server starts")
}

/// Requests as the SDK sends them.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base_url: String,
}

impl Api {
    pub fn new(base_url: &str) -> Api {
        Api::from(base_url, None)
    }

    /// Requests sent from this local address (a distinct client address to the server).
    pub fn from_address(base_url: &str, address: IpAddr) -> Api {
        Api::from(base_url, Some(address))
    }

    fn from(base_url: &str, address: Option<IpAddr>) -> Api {
        let http = reqwest::Client::builder()
            .local_address(address)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Api {
            http,
            base_url: base_url.to_string(),
        }
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}auth/token/", self.base_url))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("the sign-in is answered")
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let response = self.sign_in(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "sign in as {username}");
        let body: Value = response.json().await.expect("JSON");
        body["access_token"].as_str().expect("a token").to_string()
    }

    /// Any call; the answer's status and JSON body (a body that is not JSON fails the test).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the call is answered");
        let status = response.status();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{status}: the body is not JSON: {text:?}"));
        (status, body)
    }

    /// Creates a user with [`USER_PASSWORD`] and answers its id.
    pub async fn create_user(&self, token: &str, username: &str, role: &str) -> i64 {
        let body = json!({
            "username": username, "email": format!("{username}@example.ir"),
            "password": obfuscate_password(USER_PASSWORD), "role": role,
            "first_name": "Load", "last_name": "Test", "mobile": "+98 9120123456",
            "status": "Active",
        });
        let (status, user) = self.call(Method::POST, "users/", token, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        user["id"].as_i64().expect("an id")
    }
}
