//! What the client puts on the wire, checked against a recording server: methods, paths (with
//! the contract's trailing slashes), queries, content types, bodies, authentication, and how
//! every kind of failure maps to an `ApiError`.

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use geobox_api::{
    ApiError, Auth, DEFAULT_TIMEOUT, GeoboxClient, NewUser, NewUserFields, Patch, PlanQuery,
    Secret, UserQuery, UserRef, UserRole, UserStatus, UserUpdate,
};
use serde_json::{Value, json};
use support::{Recorded, Recorder, Reply, fake_geobox, sample_users};

const USER_AGENT: &str = concat!("geobox-users/", env!("CARGO_PKG_VERSION"));

fn token_client(server: &Recorder) -> GeoboxClient {
    GeoboxClient::new(
        &server.host(),
        Auth::AccessToken(Secret::from("tok-xyz")),
        DEFAULT_TIMEOUT,
    )
    .expect("client")
}

fn only(server: &Recorder) -> Recorded {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    server.clear();
    requests.into_iter().next().expect("one request")
}

fn assert_request(
    request: &Recorded,
    method: &str,
    path: &str,
    query: Option<&str>,
    content_type: Option<&str>,
) {
    assert_eq!(request.line(), format!("{method} {path}"));
    assert_eq!(
        request.query.as_deref(),
        query,
        "query of {}",
        request.line()
    );
    assert_eq!(
        request.content_type.as_deref(),
        content_type,
        "content type of {}",
        request.line()
    );
    assert_eq!(request.authorization.as_deref(), Some("Bearer tok-xyz"));
    assert_eq!(request.user_agent.as_deref(), Some(USER_AGENT));
}

#[tokio::test]
async fn user_reads_send_the_contract_requests() {
    let server = Recorder::start(fake_geobox);
    let client = token_client(&server);

    let users = client
        .list_users(&UserQuery::new())
        .await
        .expect("list users");
    assert_eq!(users.len(), 2);
    assert_request(
        &only(&server),
        "GET",
        "/v1/users/",
        Some("f=json&return_count=False&skip=0&limit=10"),
        None,
    );

    let query = UserQuery::new()
        .status(UserStatus::Active)
        .q("username LIKE '%gis%'")
        .search("ali reza")
        .search_fields("username,email")
        .order_by("last_name A, created_at D")
        .skip(20)
        .limit(5)
        .user_id(3);
    client.list_users_raw(&query).await.expect("filtered list");
    let request = only(&server);
    assert_request(
        &request,
        "GET",
        "/v1/users/",
        Some(
            "f=json&status=Active&q=username+LIKE+%27%25gis%25%27&search=ali+reza\
             &search_fields=username%2Cemail&order_by=last_name+A%2C+created_at+D\
             &return_count=False&skip=20&limit=5&user_id=3",
        ),
        None,
    );
    assert_eq!(request.param("q").as_deref(), Some("username LIKE '%gis%'"));

    assert_eq!(client.count_users(&query).await, Ok(42));
    let request = only(&server);
    assert_eq!(request.param("return_count").as_deref(), Some("True"));
    assert_eq!(request.param("status").as_deref(), Some("Active"));

    client
        .search_users("ali", 10, 25)
        .await
        .expect("search users");
    assert_request(
        &only(&server),
        "GET",
        "/v1/users/search/",
        Some("search=ali&skip=10&limit=25"),
        None,
    );

    let user = client.get_user(UserRef::Id(7)).await.expect("get user");
    assert_eq!(user.id, 7);
    assert_request(&only(&server), "GET", "/v1/users/7/", Some("f=json"), None);

    client.get_user_raw(UserRef::Me).await.expect("get me");
    assert_request(&only(&server), "GET", "/v1/users/me/", Some("f=json"), None);
}

#[tokio::test]
async fn user_writes_send_the_contract_requests() {
    let server = Recorder::start(fake_geobox);
    let client = token_client(&server);

    let new_user = NewUser {
        username: "neda".into(),
        email: "neda@example.ir".into(),
        password: Secret::from("P@ssw0rd"),
        role: UserRole::AccountAdmin,
        first_name: "Neda".into(),
        last_name: "Ahmadi".into(),
        mobile: "+98 9120123456".into(),
        status: UserStatus::Active,
    };
    let created = client.create_user(&new_user).await.expect("create");
    assert_eq!(created.id, 100);
    let request = only(&server);
    assert_request(
        &request,
        "POST",
        "/v1/users/",
        None,
        Some("application/json"),
    );
    assert_eq!(
        request.body_json(),
        json!({
            "username": "neda", "email": "neda@example.ir", "password": "empZWV0aWE4=",
            "role": "Account Admin", "first_name": "Neda", "last_name": "Ahmadi",
            "mobile": "+98 9120123456", "status": "Active"
        })
    );

    let only_required = NewUserFields {
        username: "omid".into(),
        email: "omid@example.ir".into(),
        password: Secret::from("P@ssw0rd"),
        role: UserRole::Viewer,
        first_name: None,
        last_name: None,
        mobile: None,
        status: None,
    };
    client.create_user(only_required).await.expect("create");
    assert_eq!(
        only(&server).body_json(),
        json!({"username": "omid", "email": "omid@example.ir", "password": "empZWV0aWE4=",
               "role": "Viewer"}),
        "optional fields not given are not sent"
    );

    let update = UserUpdate {
        email: Some("new@example.ir".into()),
        role: Some(UserRole::Viewer),
        mobile: Patch::Clear,
        plan_id: Patch::Set(3),
        expiration_date: Patch::Clear,
        ..Default::default()
    };
    let updated = client.update_user(5, &update).await.expect("update");
    assert_eq!(updated.email.as_deref(), Some("new@example.ir"));
    let request = only(&server);
    assert_request(
        &request,
        "PUT",
        "/v1/users/5/",
        None,
        Some("application/json"),
    );
    assert_eq!(
        request.body_json(),
        json!({"email": "new@example.ir", "role": "Viewer", "mobile": null, "plan_id": 3, "expiration_date": null})
    );
    assert!(matches!(
        client.update_user(5, &UserUpdate::default()).await,
        Err(ApiError::InvalidInput(_))
    ));
    assert!(server.requests().is_empty(), "an empty update is not sent");

    client.delete_user(5).await.expect("delete");
    let request = only(&server);
    assert_request(&request, "DELETE", "/v1/users/5/", None, None);
    assert!(request.body.is_empty());

    client
        .change_password(5, &Secret::from("P@ssw0rd"))
        .await
        .expect("change password");
    let request = only(&server);
    assert_request(
        &request,
        "POST",
        "/v1/users/5/change-password",
        None,
        Some("application/x-www-form-urlencoded"),
    );
    assert_eq!(request.body_text(), "new_password=empZWV0aWE4%3D");

    client.renew_plan(5).await.expect("renew plan");
    let request = only(&server);
    assert_request(&request, "POST", "/v1/users/5/renewPlan", None, None);
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn sessions_plans_and_members_send_the_contract_requests() {
    let server = Recorder::start(fake_geobox);
    let client = token_client(&server);

    let sessions = client
        .list_sessions(UserRef::Id(5))
        .await
        .expect("sessions");
    assert_eq!(sessions[0].uuid, "6f1c-aa");
    assert_eq!(sessions[0].extra.get("geo"), Some(&json!("Tehran")));
    assert_request(
        &only(&server),
        "GET",
        "/v1/users/5/sessions/",
        Some("f=json"),
        None,
    );
    client
        .list_sessions_raw(UserRef::Me)
        .await
        .expect("my sessions");
    // The contract has `users/me/` but no `users/me/sessions/`: the id comes first.
    let requests = server.requests();
    server.clear();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_request(&requests[0], "GET", "/v1/users/me/", Some("f=json"), None);
    assert_request(
        &requests[1],
        "GET",
        "/v1/users/1/sessions/",
        Some("f=json"),
        None,
    );

    client
        .close_session(5, "6f1c-aa")
        .await
        .expect("close session");
    let request = only(&server);
    assert_request(
        &request,
        "POST",
        "/v1/users/5/sessions/6f1c-aa",
        None,
        Some("application/json"),
    );
    assert_eq!(
        request.body_json(),
        json!({"user_id": 5, "session_uuid": "6f1c-aa"})
    );

    let plans = client.list_plans(&PlanQuery::new()).await.expect("plans");
    assert_eq!(plans[0].label(), "Pro Plan");
    assert_eq!(plans[0].extra.get("tier"), Some(&json!("gold")));
    assert_request(
        &only(&server),
        "GET",
        "/v1/plans/",
        Some("f=json&return_count=False&skip=0&limit=10&shared=False"),
        None,
    );
    let plan = client.get_plan(2).await.expect("plan");
    assert_eq!(plan.number_of_days, Some(365));
    assert_request(&only(&server), "GET", "/v1/plans/2/", Some("f=json"), None);

    let members = client.list_members(5).await.expect("members");
    assert_eq!(members.len(), 2);
    assert_request(&only(&server), "GET", "/v1/users/5/members", None, None);
    client.add_member(5, 9).await.expect("add member");
    assert_request(&only(&server), "POST", "/v1/users/5/members/9", None, None);
    client.remove_member(5, 9).await.expect("remove member");
    assert_request(
        &only(&server),
        "DELETE",
        "/v1/users/5/members/9",
        None,
        None,
    );
}

#[tokio::test]
async fn unknown_fields_and_values_survive_and_missing_ones_are_fine() {
    let server = Recorder::start(fake_geobox);
    let client = token_client(&server);
    let users = client
        .list_users(&UserQuery::new())
        .await
        .expect("an unknown role or status never breaks a listing");
    assert_eq!(users[0].extra.get("tenant_zone"), Some(&json!("ir-1")));
    assert_eq!(users[0].plan.as_ref().map(|plan| plan.id), Some(2));
    assert_eq!(users[1].role, Some(UserRole::Other("Auditor".into())));
    assert_eq!(users[1].status, Some(UserStatus::Other("Suspended".into())));
    assert_eq!(users[1].email, None);
    let raw = client
        .list_users_raw(&UserQuery::new())
        .await
        .expect("raw list");
    assert_eq!(
        Value::Array(raw),
        sample_users(),
        "raw values are untouched"
    );
}

#[tokio::test]
async fn an_api_key_travels_as_a_query_parameter_and_nothing_else() {
    let server = Recorder::start(fake_geobox);
    let client = GeoboxClient::new(
        &server.host(),
        Auth::ApiKey(Secret::from("key 1&2")),
        DEFAULT_TIMEOUT,
    )
    .expect("client");
    client.get_user(UserRef::Me).await.expect("get me");
    client.renew_plan(3).await.expect("renew");
    let requests = server.requests();
    assert_eq!(
        requests[0].query.as_deref(),
        Some("f=json&apikey=key+1%262")
    );
    assert_eq!(requests[1].query.as_deref(), Some("apikey=key+1%262"));
    assert!(
        requests
            .iter()
            .all(|request| request.authorization.is_none())
    );
}

#[tokio::test]
async fn password_auth_signs_in_once_with_a_plain_form_and_reuses_the_connection() {
    let server = Recorder::start(fake_geobox);
    let client = GeoboxClient::new(
        &server.host(),
        Auth::Password {
            username: "admin".into(),
            password: Secret::from("P@ssw0rd"),
        },
        DEFAULT_TIMEOUT,
    )
    .expect("client");
    client.get_user(UserRef::Me).await.expect("get me");
    client.list_users(&UserQuery::new()).await.expect("list");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "{requests:#?}");
    let login = &requests[0];
    assert_eq!(login.line(), "POST /v1/auth/token/");
    assert_eq!(
        login.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(login.body_text(), "username=admin&password=P%40ssw0rd");
    assert_eq!(login.user_agent.as_deref(), Some(USER_AGENT));
    for request in &requests[1..] {
        assert_eq!(request.authorization.as_deref(), Some("Bearer tok-admin"));
    }
    assert!(
        requests.iter().all(|request| request.peer == login.peer),
        "one connection serves every request: {requests:#?}"
    );

    let wrong = GeoboxClient::new(
        &server.host(),
        Auth::Password {
            username: "admin".into(),
            password: Secret::from("nope"),
        },
        DEFAULT_TIMEOUT,
    )
    .expect("client");
    let error = wrong.get_user(UserRef::Me).await.expect_err("bad password");
    assert!(matches!(error, ApiError::Unauthorized { .. }), "{error:?}");
    assert!(
        error.to_string().contains("signing in as 'admin'"),
        "{error}"
    );
    assert!(!error.to_string().contains("nope"));
}

/// A server whose tokens expire: `tok-1` fails; later tokens work unless `always_401`.
fn expiring_server(always_401: bool) -> (Recorder, Arc<AtomicUsize>) {
    let logins = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&logins);
    let server = Recorder::start(move |request| {
        if request.path == "/v1/auth/token/" {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            return Reply::json(200, json!({"access_token": format!("tok-{n}")}));
        }
        if always_401 || request.authorization.as_deref() == Some("Bearer tok-1") {
            return Reply::json(401, json!({"detail": "Token expired"}));
        }
        Reply::json(200, json!({"id": 1, "username": "admin"}))
    });
    (server, logins)
}

fn password_client(server: &Recorder) -> GeoboxClient {
    GeoboxClient::new(
        &server.host(),
        Auth::Password {
            username: "admin".into(),
            password: Secret::from("pw"),
        },
        DEFAULT_TIMEOUT,
    )
    .expect("client")
}

#[tokio::test]
async fn a_401_signs_in_again_and_retries_once() {
    let (server, logins) = expiring_server(false);
    let client = password_client(&server);
    let user = client.get_user(UserRef::Me).await.expect("retried");
    assert_eq!(user.username, "admin");
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let lines: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.line(),
                r.authorization.clone().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "POST /v1/auth/token/ ",
            "GET /v1/users/me/ Bearer tok-1",
            "POST /v1/auth/token/ ",
            "GET /v1/users/me/ Bearer tok-2",
        ]
    );
}

#[tokio::test]
async fn concurrent_401s_share_one_new_sign_in() {
    let (server, logins) = expiring_server(false);
    let client = password_client(&server);
    let (first, second) = tokio::join!(
        client.get_user(UserRef::Me),
        client.get_user(UserRef::Id(1))
    );
    assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
    assert_eq!(
        logins.load(Ordering::SeqCst),
        2,
        "one sign-in at start, one after the expiry: {:#?}",
        server.requests()
    );
}

#[tokio::test]
async fn a_new_token_that_fails_too_does_not_loop() {
    let (server, logins) = expiring_server(true);
    let client = password_client(&server);
    let error = client.get_user(UserRef::Me).await.expect_err("still 401");
    assert_eq!(
        error,
        ApiError::Unauthorized {
            message: "Token expired".into()
        }
    );
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    assert_eq!(server.count("GET", "/v1/users/me/"), 2);

    // A fixed access token cannot be renewed: no retry at all.
    server.clear();
    let client = GeoboxClient::new(
        &server.host(),
        Auth::AccessToken(Secret::from("t")),
        DEFAULT_TIMEOUT,
    )
    .expect("client");
    assert!(matches!(
        client.get_user(UserRef::Me).await,
        Err(ApiError::Unauthorized { .. })
    ));
    assert_eq!(server.requests().len(), 1);
}

/// Answers every request with the same reply.
fn answering(reply: Reply) -> Recorder {
    Recorder::start(move |_| reply.clone())
}

async fn error_for(reply: Reply) -> ApiError {
    let server = answering(reply);
    token_client(&server)
        .get_user(UserRef::Id(1))
        .await
        .expect_err("an error answer")
}

#[tokio::test]
async fn error_statuses_map_to_clear_errors() {
    let detail = |text: &str| json!({ "detail": text });
    assert_eq!(
        error_for(Reply::json(401, detail("Not authenticated"))).await,
        ApiError::Unauthorized {
            message: "Not authenticated".into()
        }
    );
    assert_eq!(
        error_for(Reply::json(403, detail("Only admins"))).await,
        ApiError::Forbidden {
            message: "Only admins".into()
        }
    );
    assert_eq!(
        error_for(Reply::json(404, detail("User not found"))).await,
        ApiError::NotFound {
            message: "User not found".into()
        }
    );
    let validation = error_for(Reply::json(
        422,
        json!({"detail": [{"loc": ["body", "email"], "msg": "value is not a valid email address", "type": "value_error"}]}),
    ))
    .await;
    assert_eq!(
        validation.field_error("email"),
        Some("value is not a valid email address")
    );
    assert!(
        validation
            .to_string()
            .contains("email: value is not a valid email address")
    );
    let string_422 = error_for(Reply::json(422, detail("Invalid CQL near 'AND'"))).await;
    assert_eq!(string_422.status(), Some(422));
    assert!(string_422.to_string().contains("Invalid CQL near 'AND'"));
    assert_eq!(
        error_for(Reply::json(500, detail("boom"))).await,
        ApiError::Server {
            status: 500,
            message: "boom".into()
        }
    );
    let html = error_for(Reply::raw(
        502,
        Some("text/html"),
        "<html><head><title>502 Bad Gateway</title></head></html>",
    ))
    .await;
    assert_eq!(html.status(), Some(502));
    assert!(html.to_string().contains("502 Bad Gateway"), "{html}");
    let empty = error_for(Reply::raw(503, None, "")).await;
    assert_eq!(
        empty,
        ApiError::Server {
            status: 503,
            message: "empty answer".into()
        }
    );
    assert!(matches!(
        error_for(Reply::json(409, detail("duplicate"))).await,
        ApiError::Request { status: 409, .. }
    ));
    let not_json = error_for(Reply::raw(200, Some("text/plain"), "hello")).await;
    assert!(
        matches!(&not_json, ApiError::Decode { status: 200, body_start, .. } if body_start == "hello"),
        "{not_json:?}"
    );
}

#[tokio::test]
async fn an_empty_success_body_is_fine_only_where_no_body_is_expected() {
    let server = answering(Reply::raw(204, None, ""));
    let client = token_client(&server);
    client.delete_user(3).await.expect("204 delete");
    client.renew_plan(3).await.expect("204 renew");
    client.close_session(3, "u").await.expect("204 close");
    assert!(
        matches!(
            client.list_sessions(UserRef::Id(3)).await,
            Err(ApiError::Decode { .. })
        ),
        "an empty answer to a list is no list"
    );
    assert!(matches!(
        client.get_user(UserRef::Id(3)).await,
        Err(ApiError::Decode { .. })
    ));
}

/// Every read of the client against a server that answers `reply` to everything.
async fn every_read_against(reply: Reply) -> Vec<(&'static str, Result<String, ApiError>)> {
    let server = answering(reply);
    let client = token_client(&server);
    let page = UserQuery::new().limit(100);
    let shown = |value: Result<Vec<Value>, ApiError>| value.map(|items| format!("{items:?}"));
    vec![
        (
            "list users",
            client.list_users(&page).await.map(|u| format!("{u:?}")),
        ),
        ("list users raw", shown(client.list_users_raw(&page).await)),
        (
            "search raw",
            shown(client.search_users_raw("a", 0, 100).await),
        ),
        (
            "count",
            client.count_users(&page).await.map(|n| n.to_string()),
        ),
        (
            "get user",
            client
                .get_user(UserRef::Id(1))
                .await
                .map(|u| format!("{u:?}")),
        ),
        (
            "get me raw",
            client
                .get_user_raw(UserRef::Me)
                .await
                .map(|v| v.to_string()),
        ),
        (
            "sessions",
            client
                .list_sessions(UserRef::Id(1))
                .await
                .map(|s| format!("{s:?}")),
        ),
        (
            "my sessions raw",
            shown(client.list_sessions_raw(UserRef::Me).await),
        ),
        (
            "plans raw",
            shown(
                client
                    .list_plans_raw(&PlanQuery {
                        limit: 100,
                        ..PlanQuery::new()
                    })
                    .await,
            ),
        ),
        ("plan", client.get_plan(2).await.map(|p| format!("{p:?}"))),
        ("members raw", shown(client.list_members_raw(1).await)),
        (
            "update",
            client
                .update_user_raw(
                    1,
                    &UserUpdate {
                        email: Some("a@b.ir".into()),
                        ..Default::default()
                    },
                )
                .await
                .map(|v| v.to_string()),
        ),
    ]
}

#[tokio::test]
async fn garbage_answers_are_clear_errors_and_never_data() {
    let garbage = [
        (
            "an HTML error page",
            Reply::raw(
                200,
                Some("text/html"),
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            ),
        ),
        (
            "truncated JSON",
            Reply::raw(
                200,
                Some("application/json"),
                r#"[{"id": 1, "username": "al"#,
            ),
        ),
        (
            "an empty 200",
            Reply::raw(200, Some("application/json"), ""),
        ),
        (
            "an object of the wrong kind",
            Reply::json(200, json!({"users": [{"id": 1}]})),
        ),
        (
            "ids that are not numbers",
            Reply::json(200, json!([{"id": "seven", "uuid": 7}])),
        ),
        (
            "a list of scalars",
            Reply::json(200, json!([1, "two", null])),
        ),
        ("a bare string", Reply::json(200, json!("ok"))),
    ];
    for (what, reply) in garbage {
        for (read, result) in every_read_against(reply).await {
            match result {
                Err(ApiError::Decode { status: 200, .. }) => {}
                other => {
                    let shown: String = format!("{other:?}").chars().take(300).collect();
                    panic!("{what}, {read}: expected a decode error, got {shown}")
                }
            }
        }
    }
}

#[tokio::test]
async fn a_list_of_100_000_objects_is_refused() {
    let objects = format!("[{}]", vec![r#"{"id":1,"uuid":"u"}"#; 100_000].join(","));
    let server = answering(Reply::raw(200, Some("application/json"), &objects));
    let client = token_client(&server);
    let page = UserQuery::new().limit(100);
    let results = [
        client.list_users_raw(&page).await,
        client.search_users_raw("a", 0, 100).await,
        client
            .list_plans_raw(&PlanQuery {
                limit: 100,
                ..PlanQuery::new()
            })
            .await,
        client.list_sessions_raw(UserRef::Id(1)).await,
        client.list_members_raw(1).await,
    ];
    for result in results {
        match result {
            Err(ApiError::Decode { reason, .. }) => {
                assert!(reason.contains("100000 items"), "{reason}")
            }
            Err(other) => panic!("expected a decode error, got {other}"),
            Ok(items) => panic!("expected a decode error, got {} items", items.len()),
        }
    }
}

#[tokio::test]
async fn an_answer_too_large_to_be_real_is_refused_unread() {
    let huge = "x".repeat(geobox_api::MAX_ANSWER_BYTES + 1);
    let server = answering(Reply::raw(200, Some("application/json"), &huge));
    let error = token_client(&server)
        .list_users(&UserQuery::new())
        .await
        .expect_err("too large");
    assert!(
        matches!(&error, ApiError::Decode { reason, .. } if reason.contains("larger than 32 MiB")),
        "{error}"
    );
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = answering(Reply::json(200, json!([])).delayed(Duration::from_secs(3)));
    let client = GeoboxClient::new(
        &server.host(),
        Auth::AccessToken(Secret::from("t")),
        Duration::from_millis(300),
    )
    .expect("client");
    let started = std::time::Instant::now();
    let error = client
        .list_users(&UserQuery::new())
        .await
        .expect_err("timeout");
    assert_eq!(
        error,
        ApiError::Timeout {
            after: Duration::from_millis(300)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_refused_connection_is_an_error_that_hides_the_api_key() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = GeoboxClient::new(
        &format!("http://127.0.0.1:{port}"),
        Auth::ApiKey(Secret::from("SUPERSECRETKEY")),
        DEFAULT_TIMEOUT,
    )
    .expect("client");
    let error = client
        .list_users(&UserQuery::new())
        .await
        .expect_err("refused");
    assert!(matches!(error, ApiError::Connection { .. }), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains("SUPERSECRETKEY"), "{text}");

    let client = GeoboxClient::new(
        &format!("http://ops:hunter2@127.0.0.1:{port}"),
        Auth::Anonymous,
        DEFAULT_TIMEOUT,
    )
    .expect("client");
    let error = client
        .list_users(&UserQuery::new())
        .await
        .expect_err("refused");
    let text = format!("{error} {error:?} {client:?}");
    assert!(
        text.contains(&format!("http://***@127.0.0.1:{port}")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}
