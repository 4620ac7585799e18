//! Many clients at once, each signing in, reading, creating, updating and deleting: not one
//! request may fail, every acknowledged create must be there exactly once and every
//! acknowledged delete gone. The small run is part of `cargo test`; the large one prints the
//! figures of `docs/security.md`:
//! `cargo test --test server load_figures -- --ignored --nocapture`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{ADMIN_PASSWORD, Api, ServeChild, USER_PASSWORD};

/// What one client did.
#[derive(Default)]
struct Tally {
    /// Requests that hash a password (sign-ins, creates): they queue for the hashing threads.
    hashing: Vec<Duration>,
    /// Every other request.
    latencies: Vec<Duration>,
    failures: Vec<String>,
    /// Acknowledged creates still standing: id → username.
    alive: HashMap<i64, String>,
    deleted: Vec<i64>,
}

impl Tally {
    /// Runs one request, timing it; a status other than 200 is a failure.
    async fn time(
        &mut self,
        api: &Api,
        method: Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        let mut request = api
            .http
            .request(method.clone(), format!("{}{path}", api.base_url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let hashes = method == Method::POST;
        let started = Instant::now();
        let answer = match request.send().await {
            Ok(response) if response.status() == StatusCode::OK => response.json().await.ok(),
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                self.failures
                    .push(format!("{method} {path}: {status} {text}"));
                None
            }
            Err(error) => {
                self.failures.push(format!("{method} {path}: {error}"));
                None
            }
        };
        let took = started.elapsed();
        if hashes {
            self.hashing.push(took);
        } else {
            self.latencies.push(took);
        }
        answer
    }
}

/// One client's session: `operations` requests in a random mix.
async fn client(api: Api, number: usize, operations: usize) -> Tally {
    let mut rng = SmallRng::seed_from_u64(number as u64);
    let mut tally = Tally::default();
    let username = format!("load.client.{number}");
    let mut token = api.token(&username, USER_PASSWORD).await;
    for step in 0..operations {
        let roll = rng.random_range(0..100);
        let some_alive = tally.alive.keys().next().copied();
        match (roll, some_alive) {
            (0..5, _) => {
                let started = Instant::now();
                let response = api.sign_in(&username, USER_PASSWORD).await;
                tally.hashing.push(started.elapsed());
                if response.status() == StatusCode::OK {
                    let body: serde_json::Value = response.json().await.unwrap_or_default();
                    token = body["access_token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                } else {
                    tally
                        .failures
                        .push(format!("sign-in: {}", response.status()));
                }
            }
            (5..25, _) => {
                let name = format!("load.{number}.{step}");
                let body = json!({
                    "username": name, "email": format!("{name}@example.ir"),
                    "password": geobox_api::obfuscate_password(USER_PASSWORD),
                    "role": "Viewer", "status": "Active",
                });
                let created = tally
                    .time(&api, Method::POST, "users/", &token, Some(body))
                    .await;
                if let Some(id) = created.and_then(|user| user["id"].as_i64()) {
                    tally.alive.insert(id, name);
                }
            }
            (25..37, Some(id)) => {
                let body = json!({"first_name": format!("Step{step}")});
                let path = format!("users/{id}/");
                tally
                    .time(&api, Method::PUT, &path, &token, Some(body))
                    .await;
            }
            (37..49, Some(id)) => {
                let path = format!("users/{id}/");
                if tally
                    .time(&api, Method::DELETE, &path, &token, None)
                    .await
                    .is_some()
                {
                    tally.alive.remove(&id);
                    tally.deleted.push(id);
                }
            }
            (_, _) => {
                let path = if roll % 2 == 0 {
                    "users/?limit=50&order_by=username A".to_string()
                } else {
                    format!("users/?search=load&limit=20&skip={}", roll % 5)
                };
                tally.time(&api, Method::GET, &path, &token, None).await;
            }
        }
    }
    tally
}

/// Runs `clients` clients of `operations` requests each against a fresh `serve`, checks what
/// it promises, and answers the figures.
async fn run(clients: usize, operations: usize) -> Figures {
    let server = ServeChild::start(&[], None);
    let api = server.api();
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    for number in 0..clients {
        let name = format!("load.client.{number}");
        api.create_user(&admin, &name, "Account Admin").await;
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|number| tokio::spawn(client(api.clone(), number, operations)))
        .collect();
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.expect("the client finishes");
        all.latencies.extend(tally.latencies);
        all.hashing.extend(tally.hashing);
        all.failures.extend(tally.failures);
        all.alive.extend(tally.alive);
        all.deleted.extend(tally.deleted);
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        all.failures.is_empty(),
        "failed requests: {:#?}",
        all.failures
    );

    let mut listed: HashMap<String, usize> = HashMap::new();
    for skip in (0..).step_by(1000) {
        let path = format!("users/?limit=1000&skip={skip}&order_by=id A");
        let (status, page) = api.call(Method::GET, &path, &admin, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let page = page.as_array().cloned().unwrap_or_default();
        for user in &page {
            let name = user["username"].as_str().unwrap_or_default().to_string();
            *listed.entry(name).or_default() += 1;
        }
        if page.len() < 1000 {
            break;
        }
    }
    for name in all.alive.values() {
        assert_eq!(listed.get(name), Some(&1), "{name} listed once");
    }
    for id in &all.deleted {
        let (status, _) = api
            .call(Method::GET, &format!("users/{id}/"), &admin, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "deleted user {id} is gone");
    }

    Figures {
        requests: all.latencies.len() + all.hashing.len(),
        seconds: elapsed,
        plain: Percentiles::of(all.latencies),
        hashing: Percentiles::of(all.hashing),
    }
}

struct Figures {
    requests: usize,
    seconds: f64,
    plain: Percentiles,
    hashing: Percentiles,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests in {:.1} s = {:.0} requests/s; reads, updates, deletes: {}; \
             sign-ins and creates (a password hash each): {}",
            self.requests,
            self.seconds,
            self.requests as f64 / self.seconds,
            self.plain,
            self.hashing
        )
    }
}

struct Percentiles {
    p50: Duration,
    p99: Duration,
}

impl Percentiles {
    fn of(mut latencies: Vec<Duration>) -> Percentiles {
        latencies.sort();
        let at = |share: f64| {
            let index = ((latencies.len().saturating_sub(1)) as f64 * share) as usize;
            latencies.get(index).copied().unwrap_or_default()
        };
        Percentiles {
            p50: at(0.5),
            p99: at(0.99),
        }
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p50 {:.1?}, p99 {:.1?}", self.p50, self.p99)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_lose_no_acknowledged_write() {
    eprintln!("load, 8 clients: {}", run(8, 30).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the README's figures: run by hand"]
async fn load_figures() {
    println!("load, 16 clients: {}", run(16, 300).await);
}
