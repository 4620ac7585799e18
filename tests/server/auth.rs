//! Signing in, sessions and their tokens: closing, password changes, disabling.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::{Harness, SDK_AGENT, SharedServer, field_of};
use geobox_api::{ApiError, Auth, Secret, UserQuery, UserRef, obfuscate_password};

/// For the tests that each sign in a user of their own; the others count sessions or users.
static AUTH: SharedServer = SharedServer::new(0);

#[tokio::test]
async fn login_creates_a_session_bound_to_the_token() {
    let h = Harness::start(0).await;
    let (code, sessions) = h.get("users/1/sessions/?f=json", &h.admin_token).await;
    assert_eq!(code, StatusCode::OK);
    let sessions = sessions.as_array().expect("array");
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!(session["agent"], SDK_AGENT);
    assert_eq!(session["ip"], "127.0.0.1");
    assert_eq!(session["current"], true);
    assert!(
        session["uuid"]
            .as_str()
            .is_some_and(|uuid| uuid.len() == 36)
    );
    assert!(session["created_at"].is_string() && session["last_seen"].is_string());

    let other = h.login("admin", "admin-pass-1").await;
    let (_, sessions) = h.get("users/1/sessions/?f=json", &other).await;
    let currents: Vec<bool> = sessions
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["current"].as_bool().expect("bool"))
        .collect();
    assert_eq!(currents.iter().filter(|c| **c).count(), 1);
    assert_eq!(currents.len(), 2);

    let wrong = h.login_response("admin", "nope").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = h.login_response("nobody", "admin-pass-1").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (code, _) = h.get("users/me/?f=json", "made-up-token").await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    h.stop().await;
}

#[tokio::test]
async fn api_keys_authenticate_through_the_query() {
    let h = Harness::start(0).await;
    let key = h.admin_apikey.expose().to_string();
    let response = h
        .http
        .get(h.url(&format!("users/me/?f=json&apikey={key}")))
        .header("Content-Type", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.expect("json");
    assert_eq!(me["username"], "admin");
    let client = h.client(Auth::ApiKey(Secret::new(key.clone())));
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        1
    );
    let wrong = h.client(Auth::ApiKey(Secret::new("wrong")));
    assert!(matches!(
        wrong.get_user(UserRef::Me).await,
        Err(ApiError::Unauthorized { .. })
    ));
    let anonymous = h.client(Auth::Anonymous);
    assert!(matches!(
        anonymous.get_user(UserRef::Me).await,
        Err(ApiError::Unauthorized { .. })
    ));
    h.stop().await;
}

#[tokio::test]
async fn closing_a_session_revokes_its_token_at_once() {
    let h = Harness::shared(&AUTH);
    let id = h
        .create("viewer.one", "Viewer", "Active", "viewer-pass")
        .await;
    let token = h.login("viewer.one", "viewer-pass").await;
    let (_, sessions) = h.get(&format!("users/{id}/sessions/?f=json"), &token).await;
    let uuid = sessions[0]["uuid"].as_str().expect("uuid").to_string();
    let (code, _) = h
        .sdk(
            Method::POST,
            &format!("users/{id}/sessions/{uuid}"),
            &token,
            Some(json!({"user_id": id, "session_uuid": uuid})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "a user closes their own session");
    let (code, body) = h.get("users/me/?f=json", &token).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    let (code, _) = h
        .sdk(
            Method::POST,
            &format!("users/{id}/sessions/{uuid}"),
            &h.admin_token,
            None,
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "already closed");
    h.stop().await;
}

#[tokio::test]
async fn changing_a_password_signs_out_everywhere_else() {
    let h = Harness::shared(&AUTH);
    let id = h
        .create("editor.one", "Editor", "Active", "first-pass")
        .await;
    let kept = h.login("editor.one", "first-pass").await;
    let dropped = h.login("editor.one", "first-pass").await;
    let response = h
        .http
        .post(h.url(&format!("users/{id}/change-password")))
        .bearer_auth(&kept)
        .form(&[("new_password", obfuscate_password("second-pass"))])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(h.get("users/me/?f=json", &kept).await.0, StatusCode::OK);
    assert_eq!(
        h.get("users/me/?f=json", &dropped).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.login_response("editor.one", "first-pass").await.status(),
        StatusCode::UNAUTHORIZED
    );
    h.login("editor.one", "second-pass").await;

    // An admin changing it signs the user out of every session.
    let response = h
        .http
        .post(h.url(&format!("users/{id}/change-password")))
        .bearer_auth(&h.admin_token)
        .form(&[("new_password", obfuscate_password("third-pass"))])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        h.get("users/me/?f=json", &kept).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (code, body) = h
        .sdk(
            Method::POST,
            &format!("users/{id}/change-password"),
            &h.admin_token,
            Some(json!({"new_password": "not base64!"})),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&body), "new_password");
    h.stop().await;
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_and_their_tokens_stop() {
    let h = Harness::shared(&AUTH);
    let id = h
        .create("soon.disabled", "Publisher", "Active", "publisher-pass")
        .await;
    let token = h.login("soon.disabled", "publisher-pass").await;
    let key_user = h.get("users/me/?f=json", &token).await;
    assert_eq!(key_user.0, StatusCode::OK);
    let (code, _) = h
        .sdk(
            Method::PUT,
            &format!("users/{id}/"),
            &h.admin_token,
            Some(json!({"status": "Disabled"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        h.get("users/me/?f=json", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.login_response("soon.disabled", "publisher-pass")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Enabled again, they sign in anew; the token from before stays dead.
    let (code, _) = h
        .sdk(
            Method::PUT,
            &format!("users/{id}/"),
            &h.admin_token,
            Some(json!({"status": "Active"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        h.get("users/me/?f=json", &token).await.0,
        StatusCode::UNAUTHORIZED,
        "re-enabling does not revive a token from before the disabling"
    );
    let fresh = h.login("soon.disabled", "publisher-pass").await;
    assert_eq!(h.get("users/me/?f=json", &fresh).await.0, StatusCode::OK);
    h.stop().await;
}
