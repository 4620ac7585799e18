//! Failed sign-ins slow the one guessing, not the account's owner: a flood of wrong passwords
//! as `admin`, from one address or from many, leaves the admin signing in from their own
//! address at once, while the guessing addresses keep waiting even with the right password.

use std::time::Duration;

use futures_util::future::join_all;
use geobox_server::ServerOptions;
use reqwest::StatusCode;

use super::{ADMIN_PASSWORD, Api, loopback_address, retry_after, start_empty};

async fn wrong_password(attacker: &Api) -> reqwest::Response {
    attacker.sign_in("admin", "not-the-password").await
}

/// Wrong passwords as `admin` from `attacker`, each `Retry-After` honoured, until the next try
/// must wait at least `seconds`.
async fn guess_until_the_wait_reaches(attacker: &Api, seconds: u64) {
    for _ in 0..30 {
        let response = wrong_password(attacker).await;
        match response.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = retry_after(&response).expect("a 429 says when to retry");
                if wait >= seconds {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            other => panic!("a wrong password answered {other}"),
        }
    }
    panic!("30 wrong passwords and no wait of {seconds} s");
}

#[tokio::test]
async fn a_flood_from_one_address_does_not_lock_the_admin_out() {
    let (server, api) = start_empty(ServerOptions::default()).await;
    let attacker = Api::from_address(&server.base_url, loopback_address(7));
    guess_until_the_wait_reaches(&attacker, 4).await;

    let own = api.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(own.status(), StatusCode::OK, "the admin from their address");
    let guessed = attacker.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        guessed.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address still waits, even with the right password"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_flood_from_many_addresses_does_not_lock_the_admin_out() {
    let (server, api) = start_empty(ServerOptions::default()).await;
    // Signed in once from home: that address is the admin's own from now on.
    api.token("admin", ADMIN_PASSWORD).await;
    let attackers: Vec<Api> = (0..40)
        .map(|n| Api::from_address(&server.base_url, loopback_address(n)))
        .collect();
    let mut failed = Vec::new();
    let answers = join_all(attackers.iter().map(wrong_password)).await;
    for (n, answer) in answers.iter().enumerate() {
        let mut status = answer.status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // The hashing threads are shared with the tests running alongside: try again.
            status = wrong_password(&attackers[n]).await.status();
        }
        assert!(
            [401, 429, 503].contains(&status.as_u16()),
            "a wrong password answered {status}"
        );
        if status == StatusCode::UNAUTHORIZED {
            failed.push(n);
        }
    }

    let own = api.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(own.status(), StatusCode::OK, "the admin from their address");
    let newcomer = Api::from_address(&server.base_url, loopback_address(900));
    let first = newcomer.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        first.status(),
        StatusCode::OK,
        "an address that never failed as admin"
    );
    // Failures as admin past what the username allows all addresses together: an address
    // that failed waits, whatever it sends now.
    assert!(
        failed.len() >= 30,
        "{} wrong passwords checked",
        failed.len()
    );
    let guessed = attackers[failed[0]].sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(guessed.status(), StatusCode::TOO_MANY_REQUESTS);
    server.shutdown().await;
}
