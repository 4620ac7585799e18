//! Tokens: they expire when unused, a user's sessions are capped (and so is what each one
//! keeps of the client's user agent), and a disabled account's sign-in tells nothing about
//! its password.

use std::time::Duration;

use geobox_server::{MAX_AGENT_CHARS, MAX_SESSIONS_PER_USER, ServerOptions};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ADMIN_PASSWORD, USER_PASSWORD, start_empty};

#[tokio::test]
async fn an_unused_token_expires_and_a_new_sign_in_works() {
    let (server, api) = start_empty(ServerOptions {
        session_idle: Duration::from_secs(2),
        ..ServerOptions::default()
    })
    .await;
    let token = api.token("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        api.call(Method::GET, "users/me/", &token, None).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, body) = api.call(Method::GET, "users/me/", &token, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let again = api.token("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        api.call(Method::GET, "users/me/", &again, None).await.0,
        StatusCode::OK
    );
    server.shutdown().await;
}

#[tokio::test]
async fn signing_in_past_the_cap_closes_the_oldest_session() {
    let (server, api) = start_empty(ServerOptions::default()).await;
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    let id = api.create_user(&admin, "many.sessions", "Viewer").await;
    let mut tokens = Vec::new();
    for _ in 0..=MAX_SESSIONS_PER_USER {
        tokens.push(api.token("many.sessions", USER_PASSWORD).await);
    }
    let (_, sessions) = api
        .call(Method::GET, &format!("users/{id}/sessions/"), &admin, None)
        .await;
    assert_eq!(
        sessions.as_array().map(Vec::len),
        Some(MAX_SESSIONS_PER_USER)
    );
    let me = |token: String| {
        let api = api.clone();
        async move { api.call(Method::GET, "users/me/", &token, None).await.0 }
    };
    assert_eq!(me(tokens[0].clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(tokens[1].clone()).await, StatusCode::OK);
    assert_eq!(
        me(tokens[MAX_SESSIONS_PER_USER].clone()).await,
        StatusCode::OK
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_disabled_account_answers_a_right_password_as_a_wrong_one() {
    let (server, api) = start_empty(ServerOptions::default()).await;
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    let id = api.create_user(&admin, "gone.quiet", "Viewer").await;
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("users/{id}/"),
            &admin,
            Some(json!({"status": "Disabled"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut answers = Vec::new();
    for password in [USER_PASSWORD, "not-the-password"] {
        let response = api.sign_in("gone.quiet", password).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        answers.push((status, body));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0], answers[1]);
    server.shutdown().await;
}

#[tokio::test]
async fn a_sessions_user_agent_is_kept_only_up_to_its_cap() {
    let (server, api) = start_empty(ServerOptions::default()).await;
    let admin = api.token("admin", ADMIN_PASSWORD).await;
    let id = api.create_user(&admin, "long.agent", "Viewer").await;
    let agent = "Mozilla/5.0 ".repeat(7_500);
    let response = api
        .http
        .post(format!("{}auth/token/", api.base_url))
        .header("user-agent", &agent)
        .form(&[("username", "long.agent"), ("password", USER_PASSWORD)])
        .send()
        .await
        .expect("the sign-in is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, sessions) = api
        .call(Method::GET, &format!("users/{id}/sessions/"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{sessions}");
    let kept = sessions[0]["agent"].as_str().expect("the agent is kept");
    assert_eq!(kept.chars().count(), MAX_AGENT_CHARS);
    assert!(agent.starts_with(kept), "the start of the agent is kept");
    server.shutdown().await;
}
