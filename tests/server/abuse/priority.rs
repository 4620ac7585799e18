//! A right password is not queued behind a flood of wrong ones: a sign-in from an address
//! with no recent failures hashes before the ones from addresses that keep failing. The test
//! asserts the order in which passwords are checked, never times; `priority_figures` prints
//! the times: `cargo test --test server priority_figures -- --ignored --nocapture`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;

use super::{ADMIN_PASSWORD, Api, ServeChild, loopback_address};

/// One wrong password as a made-up user; the answer's status.
async fn fail_once(api: &Api, n: usize) -> StatusCode {
    api.sign_in(&format!("nobody{n}"), "not-the-password")
        .await
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_password_is_checked_before_a_queue_of_failing_ones() {
    const ADDRESSES: usize = 10;
    const FLOOD: usize = 100;
    let server = ServeChild::start(&[], None);
    let attackers: Vec<Api> = (0..ADDRESSES)
        .map(|n| Api::from_address(&server.base_url, loopback_address(n)))
        .collect();
    // Each attacking address fails once first: from then on it is an address that fails.
    for (n, attacker) in attackers.iter().enumerate() {
        assert_eq!(fail_once(attacker, n).await, StatusCode::UNAUTHORIZED);
    }

    // Failing sign-ins whose password was checked (401), as their answers arrive; those that
    // waited too long for a check (503) say nothing of the order.
    let checked = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..FLOOD)
        .map(|n| {
            let (attacker, checked) = (attackers[n % ADDRESSES].clone(), Arc::clone(&checked));
            tokio::spawn(async move {
                let status = fail_once(&attacker, ADDRESSES + n).await;
                if status == StatusCode::UNAUTHORIZED {
                    checked.fetch_add(1, Ordering::SeqCst);
                }
                status
            })
        })
        .collect();
    // Once the first of the flood is checked the server is hashing and the rest queue.
    while checked.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let admin = server.api().sign_in("admin", ADMIN_PASSWORD).await;
    let checked_before_the_admin = checked.load(Ordering::SeqCst);
    assert_eq!(admin.status(), StatusCode::OK, "the admin signs in");

    let statuses = join_all(flood).await;
    for status in statuses {
        let status = status.expect("the attacker finishes");
        assert!([401, 429, 503].contains(&status.as_u16()), "{status}");
    }
    let checked = checked.load(Ordering::SeqCst);
    eprintln!(
        "the admin was answered after {checked_before_the_admin} of the {checked} failing \
         sign-ins checked"
    );
    assert!(
        checked_before_the_admin < checked / 2,
        "the admin's password was checked after {checked_before_the_admin} of {checked} \
         wrong ones queued before it"
    );
}

/// What a sustained flood of failing sign-ins does to the admin's: statuses and times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "figures for docs/security.md: run by hand"]
async fn priority_figures() {
    const ADDRESSES: usize = 1_000;
    const CONCURRENT: usize = 220;
    const FLOOD_FOR: Duration = Duration::from_secs(30);
    let server = ServeChild::start(&[], None);
    let clients: Arc<Vec<Api>> = Arc::new(
        (0..ADDRESSES)
            .map(|n| Api::from_address(&server.base_url, loopback_address(n)))
            .collect(),
    );
    let flooding = Arc::new(AtomicBool::new(true));
    let next = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (clients, flooding, next) = (clients.clone(), flooding.clone(), next.clone());
            tokio::spawn(async move {
                let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
                while flooding.load(Ordering::SeqCst) {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let status = fail_once(&clients[n % ADDRESSES], n).await;
                    *statuses.entry(status.as_u16()).or_default() += 1;
                }
                statuses
            })
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let admin = server.api();
    let mut sign_ins = Vec::new();
    while started.elapsed() < FLOOD_FOR {
        let began = Instant::now();
        let status = admin.sign_in("admin", ADMIN_PASSWORD).await.status();
        sign_ins.push((status.as_u16(), began.elapsed()));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    flooding.store(false, Ordering::SeqCst);
    let mut flood = std::collections::BTreeMap::<u16, usize>::new();
    for attacker in attackers {
        for (status, count) in attacker.await.expect("the attacker finishes") {
            *flood.entry(status).or_default() += count;
        }
    }
    let ok = sign_ins.iter().filter(|(status, _)| *status == 200).count();
    let mut times: Vec<Duration> = sign_ins.iter().map(|(_, took)| *took).collect();
    times.sort();
    println!(
        "{CONCURRENT} concurrent failing sign-ins from {ADDRESSES} addresses for {FLOOD_FOR:?}: \
         answers {flood:?}; the admin's sign-ins: {ok} of {} answered 200, median {:.2?}, \
         slowest {:.2?}; each: {sign_ins:?}",
        sign_ins.len(),
        times[times.len() / 2],
        times[times.len() - 1],
    );
}
