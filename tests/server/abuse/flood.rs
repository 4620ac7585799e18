//! A flood of failed sign-ins: each one an argon2 hash of about 19 MiB. The server must stay
//! small while it lasts and after, and keep answering everyone else.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{ADMIN_PASSWORD, ServeChild, loopback_address, rss_of};

const FLOOD: usize = 200;
const MAX_RSS: u64 = 300 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_failed_sign_ins_keeps_the_server_small_and_answering() {
    let server = ServeChild::start(&[], None);
    let api = server.api();
    let admin = api.token("admin", ADMIN_PASSWORD).await;

    let peak = Arc::new(AtomicU64::new(server.rss_bytes()));
    let flooding = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, flooding) = (Arc::clone(&peak), Arc::clone(&flooding));
        let pid = server.pid();
        std::thread::spawn(move || {
            while flooding.load(Ordering::SeqCst) {
                if let Some(rss) = rss_of(pid) {
                    peak.fetch_max(rss, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    let attackers: Vec<_> = (0..FLOOD)
        .map(|n| {
            let url = format!("{}auth/token/", server.base_url);
            tokio::spawn(async move {
                // A distinct address per attacker, so the per-address limit does not end the
                // flood early and the bound on hashing is what is tested.
                let http = reqwest::Client::builder()
                    .local_address(loopback_address(n))
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("client");
                let response = http
                    .post(url)
                    .form(&[
                        ("username", format!("nobody{n}")),
                        ("password", "wrong".into()),
                    ])
                    .send()
                    .await
                    .expect("the sign-in is answered");
                let status = response.status();
                let retry_after = response.headers().contains_key("retry-after");
                let body: Value = response.json().await.expect("a JSON answer");
                (status, retry_after, body)
            })
        })
        .collect();

    // Everyone else is still served while the flood lasts.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut list_ms = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let (status, users) = api.call(Method::GET, "users/?limit=10", &admin, None).await;
        list_ms.push(started.elapsed().as_millis());
        assert_eq!(status, StatusCode::OK, "{users}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for attacker in attackers {
        let (status, retry_after, body) = attacker.await.expect("the attacker finishes");
        assert!(
            [401, 429, 503].contains(&status.as_u16()),
            "{status}: {body}"
        );
        assert!(body["detail"].is_string(), "{body}");
        if status != StatusCode::UNAUTHORIZED {
            assert!(retry_after, "{status} says when to retry");
        }
        *answers.entry(status.as_u16()).or_default() += 1;
    }
    flooding.store(false, Ordering::SeqCst);
    sampler.join().expect("the sampler ends");
    let peak = peak.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = server.rss_bytes();
    eprintln!(
        "{FLOOD} failed sign-ins: answers {answers:?}, peak RSS {} MB, idle after {} MB, \
         list during the flood {list_ms:?} ms",
        peak >> 20,
        idle >> 20
    );
    assert!(peak < MAX_RSS, "peak RSS {} MB", peak >> 20);
    assert!(
        idle < MAX_RSS / 2,
        "RSS kept after the flood: {} MB",
        idle >> 20
    );
}
