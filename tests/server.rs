//! The embedded server through real HTTP: raw requests shaped exactly as the official Python
//! SDK sends them, and our own `GeoboxClient`.

use std::time::Duration;

use geobox_users::api::{
    ApiError, Auth, GeoboxClient, NewUser, Patch, Secret, UserQuery, UserRef, UserRole, UserStatus,
    UserUpdate, obfuscate_password,
};
use geobox_users::server::{self, RunningServer, ServerOptions};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SDK_AGENT: &str = "python-requests/2.32.3";

struct Harness {
    server: RunningServer,
    http: reqwest::Client,
    admin_token: String,
}

impl Harness {
    async fn start(seed_users: u64) -> Harness {
        let server = server::start(ServerOptions {
            seed_users,
            admin_password: Some(Secret::new("admin-pass-1")),
            ..ServerOptions::default()
        })
        .await
        .expect("server starts");
        let http = reqwest::Client::builder()
            .user_agent(SDK_AGENT)
            .build()
            .expect("client");
        let mut harness = Harness {
            server,
            http,
            admin_token: String::new(),
        };
        harness.admin_token = harness.login("admin", "admin-pass-1").await;
        harness
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url)
    }

    async fn login_response(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("auth/token/"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("login request")
    }

    async fn login(&self, username: &str, password: &str) -> String {
        let response = self.login_response(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["token_type"], "bearer");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A request as the SDK sends it: `Content-Type: application/json` even without a body.
    async fn sdk(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("Content-Type", "application/json")
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: every answer is JSON, got {content_type:?}"
        );
        (status, response.json().await.expect("json body"))
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.sdk(Method::GET, path, token, None).await
    }

    /// Creates a user through the API and returns its id.
    async fn create(&self, username: &str, role: &str, status: &str, password: &str) -> i64 {
        let (code, body) = self
            .sdk(
                Method::POST,
                "users/",
                &self.admin_token,
                Some(json!({
                    "username": username, "email": format!("{username}@example.ir"),
                    "password": obfuscate_password(password), "role": role,
                    "first_name": "Test", "last_name": "User", "mobile": "+98 9120123456",
                    "status": status,
                })),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        body["id"].as_i64().expect("id")
    }

    /// `GET users/?q=...` with the filter URL-encoded.
    async fn q(&self, q: &str) -> (StatusCode, Value) {
        let url = format!("users/?q={}&limit=1000", urlencode(q));
        self.get(&url, &self.admin_token).await
    }

    fn client(&self, auth: Auth) -> GeoboxClient {
        GeoboxClient::new(&self.server.base_url, auth, Duration::from_secs(10)).expect("client")
    }

    fn admin_client(&self) -> GeoboxClient {
        self.client(Auth::Password {
            username: "admin".into(),
            password: Secret::new("admin-pass-1"),
        })
    }
}

fn field_of(body: &Value) -> String {
    body["detail"][0]["loc"]
        .as_array()
        .and_then(|loc| loc.last())
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn login_creates_a_session_bound_to_the_token() {
    let h = Harness::start(0).await;
    let (code, sessions) = h.get("users/me/sessions/?f=json", &h.admin_token).await;
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
    let (_, sessions) = h.get("users/me/sessions/?f=json", &other).await;
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
    h.server.shutdown().await;
}

#[tokio::test]
async fn sdk_shaped_requests_work() {
    let h = Harness::start(30).await;
    let t = &h.admin_token;
    let (code, users) = h
        .get("users/?f=json&return_count=False&skip=0&limit=10", t)
        .await;
    assert_eq!(code, StatusCode::OK);
    let users = users.as_array().expect("array");
    assert_eq!(users.len(), 10);
    assert_eq!(users[0]["id"], 1, "ids start at 1");
    for user in users {
        let object = user.as_object().expect("object");
        for key in [
            "first_name",
            "last_name",
            "plan",
            "expiration_date",
            "parent_id",
        ] {
            assert!(object.contains_key(key), "{key} is always sent: {user}");
        }
    }
    let (_, count) = h
        .get("users/?f=json&return_count=True&skip=0&limit=10", t)
        .await;
    assert_eq!(count, json!({"count": 31}));
    let (_, me) = h.get("users/me/?f=json", t).await;
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "System Admin");
    let (_, by_id) = h.get("users/1/?f=json", t).await;
    assert_eq!(by_id, me);

    let (_, plans) = h
        .get(
            "plans/?f=json&return_count=False&skip=0&limit=10&shared=False",
            t,
        )
        .await;
    let plans = plans.as_array().expect("array");
    assert!((3..=5).contains(&plans.len()));
    assert!(
        plans[0]["plan_color"]
            .as_str()
            .expect("color")
            .starts_with('#')
    );
    // The SDK's get_plan_by_name.
    let (_, by_name) = h
        .get(
            "plans/?f=json&q=name+%3D+%27pro%27&return_count=False&skip=0&limit=10&shared=False",
            t,
        )
        .await;
    assert_eq!(by_name[0]["name"], "pro");
    let (_, one) = h.get("plans/1/?f=json", t).await;
    assert_eq!(one["id"], 1);
    assert!(one["number_of_days"].is_number());
    let (code, _) = h.get("plans/99/?f=json", t).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // Body-less POST and DELETE carrying a JSON content type.
    let member = h
        .create("member.one", "Viewer", "Active", "Passw0rd!")
        .await;
    let (code, _) = h
        .sdk(Method::POST, &format!("users/2/members/{member}"), t, None)
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, members) = h.get("users/2/members", t).await;
    assert!(
        members
            .as_array()
            .expect("array")
            .iter()
            .any(|u| u["id"] == member)
    );
    let (code, _) = h
        .sdk(
            Method::DELETE,
            &format!("users/2/members/{member}"),
            t,
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, members) = h.get("users/2/members", t).await;
    assert!(
        !members
            .as_array()
            .expect("array")
            .iter()
            .any(|u| u["id"] == member)
    );

    // users/search/ carries no f=json.
    let (_, found) = h
        .get("users/search/?search=member.one&skip=0&limit=10", t)
        .await;
    assert_eq!(found[0]["username"], "member.one");

    // PUT with the SDK's clearing nulls.
    let (code, updated) = h
        .sdk(
            Method::PUT,
            &format!("users/{member}/"),
            t,
            Some(json!({"first_name": "Sara", "mobile": null, "plan_id": 2, "expiration_date": "2030-01-31"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    assert_eq!(updated["first_name"], "Sara");
    assert_eq!(updated["mobile"], Value::Null);
    assert_eq!(updated["plan"]["id"], 2);
    assert_eq!(updated["expiration_date"], "2030-01-31");
    let (_, cleared) = h
        .sdk(
            Method::PUT,
            &format!("users/{member}/"),
            t,
            Some(json!({"plan_id": null, "expiration_date": null})),
        )
        .await;
    assert_eq!(cleared["plan"], Value::Null);
    assert_eq!(cleared["expiration_date"], Value::Null);

    // change-password is a form, even though the session's default type is JSON.
    let response = h
        .http
        .post(h.url(&format!("users/{member}/change-password")))
        .bearer_auth(t)
        .form(&[("new_password", obfuscate_password("An0ther-pass"))])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    h.login("member.one", "An0ther-pass").await;

    let (code, _) = h
        .sdk(Method::DELETE, &format!("users/{member}/"), t, None)
        .await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = h.get(&format!("users/{member}/?f=json"), t).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    h.server.shutdown().await;
}

#[tokio::test]
async fn our_client_does_everything_against_it() {
    let h = Harness::start(40).await;
    let client = h.admin_client();
    let me = client.get_user(UserRef::Me).await.expect("me");
    assert_eq!(me.username, "admin");
    let page = client
        .list_users(&UserQuery::new().limit(5).order_by("id D"))
        .await
        .expect("list");
    assert_eq!(page.len(), 5);
    assert!(page.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        41
    );
    let active = client
        .count_users(&UserQuery::new().status(UserStatus::Active))
        .await
        .expect("count");
    assert!(active > 0 && active < 41);

    let created = client
        .create_user(&NewUser {
            username: "neda.karimi".into(),
            email: "neda@ut.ac.ir".into(),
            password: Secret::new("نگار-رمز-۱۲۳"),
            role: UserRole::Editor,
            first_name: "ندا".into(),
            last_name: "کریمی".into(),
            mobile: "+98 9351234567".into(),
            status: UserStatus::Active,
        })
        .await
        .expect("create");
    assert_eq!(created.first_name.as_deref(), Some("ندا"));
    assert_eq!(created.role, Some(UserRole::Editor));

    let updated = client
        .update_user(
            created.id,
            &UserUpdate {
                status: Some(UserStatus::Pending),
                plan_id: Patch::Set(1),
                mobile: Patch::Clear,
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(updated.status, Some(UserStatus::Pending));
    assert_eq!(updated.plan.as_ref().map(|plan| plan.id), Some(1));
    assert_eq!(updated.mobile, None);

    let found = client.search_users("neda", 0, 10).await.expect("search");
    assert_eq!(found.len(), 1);
    let by_cql = client
        .list_users(&UserQuery::new().q("username LIKE 'neda%' AND status = 'Pending'"))
        .await
        .expect("cql");
    assert_eq!(by_cql.len(), 1);

    client.renew_plan(created.id).await.expect("renew");
    let renewed = client.get_user(UserRef::Id(created.id)).await.expect("get");
    assert!(renewed.expiration_date.is_some());

    // Sign in as the new user and look at their own sessions.
    let editor = h.client(Auth::Password {
        username: "neda.karimi".into(),
        password: Secret::new("نگار-رمز-۱۲۳"),
    });
    editor
        .update_user(
            created.id,
            &UserUpdate {
                status: Some(UserStatus::Active),
                ..Default::default()
            },
        )
        .await
        .expect_err("an editor cannot change their own status");
    let sessions = editor.list_sessions(UserRef::Me).await.expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].current, Some(true));
    assert!(
        sessions[0]
            .agent
            .as_deref()
            .is_some_and(|a| a.starts_with("geobox-users/"))
    );
    // The admin closes it: the editor's token dies, and our client signs in again by itself.
    client
        .close_session(created.id, &sessions[0].uuid)
        .await
        .expect("close");
    let again = editor
        .list_sessions(UserRef::Me)
        .await
        .expect("re-signed in");
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].uuid, sessions[0].uuid);

    let plans = client.list_plans(&UserQuery::new()).await.expect("plans");
    let plan = client.get_plan(plans[0].id).await.expect("plan");
    assert_eq!(plan, plans[0]);

    client.add_member(1, created.id).await.expect("add member");
    let members = client.list_members(1).await.expect("members");
    assert!(
        members
            .iter()
            .any(|m| m.id == created.id && m.parent_id == Some(1))
    );
    client
        .remove_member(1, created.id)
        .await
        .expect("remove member");

    client
        .change_password(created.id, &Secret::new("brand-new-pass"))
        .await
        .expect("change password");
    client.delete_user(created.id).await.expect("delete");
    assert!(matches!(
        client.get_user(UserRef::Id(created.id)).await,
        Err(ApiError::NotFound { .. })
    ));
    h.server.shutdown().await;
}

#[tokio::test]
async fn api_keys_authenticate_through_the_query() {
    let h = Harness::start(0).await;
    let key = h.server.admin_apikey.expose().to_string();
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
    h.server.shutdown().await;
}

#[tokio::test]
async fn closing_a_session_revokes_its_token_at_once() {
    let h = Harness::start(0).await;
    let id = h
        .create("viewer.one", "Viewer", "Active", "viewer-pass")
        .await;
    let token = h.login("viewer.one", "viewer-pass").await;
    let (_, sessions) = h.get("users/me/sessions/?f=json", &token).await;
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
    h.server.shutdown().await;
}

#[tokio::test]
async fn changing_a_password_signs_out_everywhere_else() {
    let h = Harness::start(0).await;
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
    h.server.shutdown().await;
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_and_their_tokens_stop() {
    let h = Harness::start(0).await;
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
    h.server.shutdown().await;
}

#[tokio::test]
async fn permissions_follow_roles() {
    let h = Harness::start(0).await;
    let account_admin = h
        .create("acc.admin", "Account Admin", "Active", "account-pass")
        .await;
    let mut lesser = Vec::new();
    for (name, role) in [
        ("pub.one", "Publisher"),
        ("edi.one", "Editor"),
        ("vie.one", "Viewer"),
    ] {
        let id = h.create(name, role, "Active", "lesser-pass").await;
        lesser.push((id, h.login(name, "lesser-pass").await));
    }
    for (id, token) in &lesser {
        assert_eq!(h.get("users/?f=json", token).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            h.get("users/search/?search=a", token).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            h.get("users/1/?f=json", token).await.0,
            StatusCode::FORBIDDEN
        );
        let create = h
            .sdk(Method::POST, "users/", token, Some(json!({"username": "x.y.z", "email": "x@y.ir", "password": obfuscate_password("whatever-1")})))
            .await;
        assert_eq!(create.0, StatusCode::FORBIDDEN);
        let update = h
            .sdk(
                Method::PUT,
                &format!("users/{account_admin}/"),
                token,
                Some(json!({"first_name": "X"})),
            )
            .await;
        assert_eq!(update.0, StatusCode::FORBIDDEN);
        let delete = h
            .sdk(
                Method::DELETE,
                &format!("users/{account_admin}/"),
                token,
                None,
            )
            .await;
        assert_eq!(delete.0, StatusCode::FORBIDDEN);
        assert_eq!(
            h.get("users/1/sessions/?f=json", token).await.0,
            StatusCode::FORBIDDEN
        );
        // Their own things are theirs.
        let (code, me) = h.get("users/me/?f=json", token).await;
        assert_eq!((code, me["id"].as_i64()), (StatusCode::OK, Some(*id)));
        assert_eq!(
            h.get(&format!("users/{id}/?f=json"), token).await.0,
            StatusCode::OK
        );
        assert_eq!(
            h.get(&format!("users/{id}/sessions/?f=json"), token)
                .await
                .0,
            StatusCode::OK
        );
        let (code, renamed) = h
            .sdk(
                Method::PUT,
                &format!("users/{id}/"),
                token,
                Some(json!({"first_name": "Own"})),
            )
            .await;
        assert_eq!(
            (code, renamed["first_name"].as_str()),
            (StatusCode::OK, Some("Own"))
        );
        let promote = h
            .sdk(
                Method::PUT,
                &format!("users/{id}/"),
                token,
                Some(json!({"role": "Account Admin"})),
            )
            .await;
        assert_eq!(promote.0, StatusCode::FORBIDDEN);
        let response = h
            .http
            .post(h.url(&format!("users/{id}/change-password")))
            .bearer_auth(token)
            .form(&[("new_password", obfuscate_password("own-new-pass"))])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        // Plans are readable by everyone signed in.
        assert_eq!(h.get("plans/?f=json", token).await.0, StatusCode::OK);
    }

    let acc = h.login("acc.admin", "account-pass").await;
    assert_eq!(h.get("users/?f=json", &acc).await.0, StatusCode::OK);
    let (code, _) = h
        .sdk(
            Method::PUT,
            &format!("users/{}/", lesser[0].0),
            &acc,
            Some(json!({"role": "System Admin"})),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "only a System Admin makes System Admins"
    );
    let (code, body) = h
        .sdk(Method::POST, "users/", &acc, Some(json!({"username": "new.sysadmin", "email": "n@s.ir", "password": obfuscate_password("sysadmin-pass"), "role": "System Admin"})))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
    let (code, _) = h
        .sdk(
            Method::PUT,
            "users/1/",
            &acc,
            Some(json!({"first_name": "Hacked"})),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::FORBIDDEN,
        "an Account Admin cannot change a System Admin"
    );
    let (code, promoted) = h
        .sdk(
            Method::PUT,
            &format!("users/{}/", lesser[0].0),
            &acc,
            Some(json!({"role": "Account Admin"})),
        )
        .await;
    assert_eq!(
        (code, promoted["role"].as_str()),
        (StatusCode::OK, Some("Account Admin"))
    );
    let (code, promoted) = h
        .sdk(
            Method::PUT,
            &format!("users/{}/", lesser[1].0),
            &h.admin_token,
            Some(json!({"role": "System Admin"})),
        )
        .await;
    assert_eq!(
        (code, promoted["role"].as_str()),
        (StatusCode::OK, Some("System Admin"))
    );

    for (token, id) in [(&acc, account_admin), (&h.admin_token, 1)] {
        let (code, body) = h
            .sdk(Method::DELETE, &format!("users/{id}/"), token, None)
            .await;
        assert_eq!(
            code,
            StatusCode::FORBIDDEN,
            "nobody deletes themselves: {body}"
        );
        // The status says "forbidden"; the detail says why, once.
        assert_eq!(body["detail"], "you cannot delete yourself");
        let (code, body) = h.sdk(Method::DELETE, "users/me/", token, None).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{body}");
    }
    let (code, _) = h
        .sdk(
            Method::DELETE,
            &format!("users/{}/", lesser[2].0),
            &acc,
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "an Account Admin deletes others");
    h.server.shutdown().await;
}

#[tokio::test]
async fn listing_filters_sorts_pages_and_counts() {
    let h = Harness::start(300).await;
    let t = &h.admin_token;
    let ids = |body: &Value| -> Vec<i64> {
        body.as_array()
            .expect("array")
            .iter()
            .map(|u| u["id"].as_i64().expect("id"))
            .collect()
    };
    let count = |body: &Value| body["count"].as_u64().expect("count");

    let (_, disabled) = h.get("users/?f=json&status=Disabled&limit=1000", t).await;
    assert!(!disabled.as_array().expect("array").is_empty());
    assert!(
        disabled
            .as_array()
            .expect("array")
            .iter()
            .all(|u| u["status"] == "Disabled")
    );
    let (_, n) = h.get("users/?status=Disabled&return_count=true", t).await;
    assert_eq!(
        count(&n) as usize,
        disabled.as_array().expect("array").len()
    );
    let (code, body) = h.get("users/?status=Sleeping", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "status")
    );

    // Paging: skip/limit cut one ordering consistently; limit is capped.
    let (_, all) = h
        .get("users/?order_by=last_name+A,+created_at+D&limit=1000", t)
        .await;
    let all = ids(&all);
    assert_eq!(all.len(), 301, "the cap (1000) is above 301");
    let (_, page) = h
        .get(
            "users/?order_by=last_name+A,+created_at+D&skip=20&limit=7",
            t,
        )
        .await;
    assert_eq!(ids(&page), all[20..27]);
    let (_, capped) = h.get("users/?limit=5000", t).await;
    assert_eq!(ids(&capped).len(), 301);
    let (_, by_created) = h.get("users/?order_by=created_at+D&limit=50", t).await;
    let created: Vec<&str> = by_created
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["created_at"].as_str().expect("created_at"))
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));
    let (code, body) = h.get("users/?order_by=password_hash+A", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "order_by")
    );
    let (code, _) = h.get("users/?limit=-1", t).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    // Keyword search: substring, case-insensitive, over the chosen fields.
    h.create("zz.searchable", "Viewer", "Active", "search-pass")
        .await;
    let (_, found) = h.get("users/?search=SEARCHAB", t).await;
    assert_eq!(found[0]["username"], "zz.searchable");
    let (_, in_email) = h
        .get("users/?search=searchable%40example&search_fields=email", t)
        .await;
    assert_eq!(ids(&in_email).len(), 1);
    let (_, not_in_names) = h
        .get(
            "users/?search=searchable&search_fields=first_name,last_name",
            t,
        )
        .await;
    assert!(ids(&not_in_names).is_empty());
    let (_, short) = h
        .get(
            "users/?search=zz&search_fields=username&return_count=True",
            t,
        )
        .await;
    assert!(count(&short) >= 1);
    let (code, body) = h.get("users/?search=x&search_fields=password", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "search_fields")
    );
    // q wins over search.
    let (_, q_wins) = h.get("users/?q=id+%3D+1&search=searchable", t).await;
    assert_eq!(ids(&q_wins), [1]);

    // user_id: the members of that user.
    let (_, subs) = h.get("users/?q=parent_id+IS+NOT+NULL&limit=1", t).await;
    let parent = subs[0]["parent_id"].as_i64().expect("a seeded sub-user");
    let (_, members) = h
        .get(&format!("users/?user_id={parent}&limit=1000"), t)
        .await;
    assert!(
        members
            .as_array()
            .expect("array")
            .iter()
            .all(|u| u["parent_id"] == parent)
    );
    assert!(ids(&members).contains(&subs[0]["id"].as_i64().expect("id")));
    h.server.shutdown().await;
}

#[tokio::test]
async fn cql_filters_compile_and_errors_say_where() {
    let h = Harness::start(300).await;
    let t = &h.admin_token;

    let (code, editors) = h
        .q("role = 'Editor' AND (status = 'Active' OR status = 'New')")
        .await;
    assert_eq!(code, StatusCode::OK);
    let editors = editors.as_array().expect("array");
    assert!(!editors.is_empty());
    assert!(
        editors
            .iter()
            .all(|u| u["role"] == "Editor" && (u["status"] == "Active" || u["status"] == "New"))
    );

    let (_, range) = h.q("id BETWEEN 10 AND 19 AND NOT id IN (12, 13)").await;
    let ids: Vec<i64> = range
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [10, 11, 14, 15, 16, 17, 18, 19]);

    let (_, old) = h
        .q("created_at < DATE('2020-06-01') AND plan_id IS NULL")
        .await;
    assert!(old.as_array().expect("array").iter().all(|u| {
        u["created_at"].as_str().expect("created_at") < "2020-06-01" && u["plan"].is_null()
    }));

    h.create("Case.Sensitive", "Viewer", "Active", "case-pass")
        .await;
    let (_, like) = h.q("username LIKE 'case.%'").await;
    assert!(
        like.as_array().expect("array").is_empty(),
        "LIKE is case-sensitive"
    );
    let (_, ilike) = h.q("username ILIKE 'case.%'").await;
    assert_eq!(ilike[0]["username"], "Case.Sensitive");
    let (_, contains) = h.q("username LIKE '%se.Sens%'").await;
    assert_eq!(contains.as_array().expect("array").len(), 1);
    let (_, underscore) = h.q("username LIKE 'Case_Sensitiv_'").await;
    assert_eq!(underscore.as_array().expect("array").len(), 1);
    let (_, persian) = h
        .get(
            &format!(
                "users/?q={}&return_count=True",
                urlencode("last_name = 'احمدی' OR last_name = 'Ahmadi'")
            ),
            t,
        )
        .await;
    assert!(persian["count"].as_u64().expect("count") > 0);

    let (code, body) = h.q("username = 'a' OR foo = 1").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&body), "q");
    let msg = body["detail"][0]["msg"].as_str().expect("msg");
    assert!(
        msg.starts_with("unknown field 'foo' at position 19; known fields: id, username"),
        "{msg}"
    );
    let (code, body) = h.q("username = 'x' AND").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .expect("msg")
            .contains("position 19"),
        "{body}"
    );
    let (code, _) = h.q("username = 'x'; DROP TABLE users; --").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, survived) = h.get("users/?return_count=True", t).await;
    assert_eq!(survived["count"], 302);
    let (code, body) = h.q("username = 'x'' OR ''1''=''1'").await;
    assert_eq!(
        code,
        StatusCode::OK,
        "quotes stay inside the literal: {body}"
    );
    assert!(body.as_array().expect("array").is_empty());
    h.server.shutdown().await;
}

fn urlencode(text: &str) -> String {
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

#[tokio::test]
async fn renew_plan_extends_from_the_later_of_today_and_expiration() {
    let h = Harness::start(0).await;
    let t = &h.admin_token;
    let id = h
        .create("plan.user", "Viewer", "Active", "plan-pass-1")
        .await;
    let (code, body) = h
        .sdk(Method::POST, &format!("users/{id}/renewPlan"), t, None)
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "no plan: {body}");

    let (_, plans) = h
        .get(
            "plans/?f=json&q=number_of_days+%3E+0&order_by=number_of_days+A",
            t,
        )
        .await;
    let plan = &plans[0];
    let days = plan["number_of_days"].as_i64().expect("days");
    let today = chrono::Utc::now().date_naive();
    let expired = today - chrono::Duration::days(100);
    assert_eq!(
        renew_from(&h, id, &plan["id"], json!(expired.to_string())).await,
        today + chrono::Duration::days(days)
    );
    let running = today + chrono::Duration::days(10);
    assert_eq!(
        renew_from(&h, id, &plan["id"], json!(running.to_string())).await,
        running + chrono::Duration::days(days)
    );
    assert_eq!(
        renew_from(&h, id, &plan["id"], Value::Null).await,
        today + chrono::Duration::days(days)
    );
    h.server.shutdown().await;
}

/// Sets a plan and an expiration, renews, and answers the new expiration.
/// Renewals at the same moment each count: none is lost by reading the old date before
/// another renewal has written its new one.
#[tokio::test]
async fn concurrent_renewals_all_count() {
    let h = Harness::start(0).await;
    let t = &h.admin_token;
    let id = h
        .create("renew.often", "Viewer", "Active", "plan-pass-1")
        .await;
    let (_, plans) = h
        .get(
            "plans/?f=json&q=number_of_days+%3E+0&order_by=number_of_days+A",
            t,
        )
        .await;
    let plan = &plans[0];
    let days = plan["number_of_days"].as_i64().expect("days");
    let start = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    h.sdk(
        Method::PUT,
        &format!("users/{id}/"),
        t,
        Some(json!({"plan_id": plan["id"], "expiration_date": start.to_string()})),
    )
    .await;
    const RENEWALS: i64 = 8;
    let path = format!("users/{id}/renewPlan");
    let answers =
        futures_util::future::join_all((0..RENEWALS).map(|_| h.sdk(Method::POST, &path, t, None)))
            .await;
    assert!(answers.iter().all(|(code, _)| *code == StatusCode::OK));
    let (_, user) = h.get(&format!("users/{id}/?f=json"), t).await;
    assert_eq!(
        user["expiration_date"].as_str(),
        Some(
            (start + chrono::Duration::days(days * RENEWALS))
                .to_string()
                .as_str()
        )
    );
    h.server.shutdown().await;
}

async fn renew_from(h: &Harness, id: i64, plan_id: &Value, expiration: Value) -> chrono::NaiveDate {
    let t = &h.admin_token;
    h.sdk(
        Method::PUT,
        &format!("users/{id}/"),
        t,
        Some(json!({"plan_id": plan_id, "expiration_date": expiration})),
    )
    .await;
    let (code, _) = h
        .sdk(Method::POST, &format!("users/{id}/renewPlan"), t, None)
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, user) = h.get(&format!("users/{id}/?f=json"), t).await;
    chrono::NaiveDate::parse_from_str(user["expiration_date"].as_str().expect("date"), "%Y-%m-%d")
        .expect("date")
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let h = Harness::start(0).await;
    let t = &h.admin_token;
    let good = json!({"username": "valid.user", "email": "v@ut.ac.ir", "password": obfuscate_password("P@ssw0rd"),
        "role": "Viewer", "first_name": "V", "last_name": "U", "mobile": "+98 9120123456", "status": "Active"});
    let (code, _) = h.sdk(Method::POST, "users/", t, Some(good.clone())).await;
    assert_eq!(code, StatusCode::OK);
    let cases = [
        ("username", json!("valid.user"), "already taken"),
        ("username", json!("VALID.USER"), "already taken"),
        ("username", json!("a b"), "username"),
        ("email", json!("not-an-email"), "email"),
        ("password", json!("P@ssw0rd"), "obfuscated"),
        ("password", json!(obfuscate_password("short")), "at least 8"),
        ("role", json!("Owner"), "'System Admin'"),
        ("status", json!("Sleeping"), "'Active'"),
        ("mobile", json!("call me"), "mobile"),
        (
            "first_name",
            json!("Evil\u{1b}[31mRed"),
            "control characters",
        ),
        ("last_name", json!("Two\r\nLines"), "control characters"),
        ("email", json!("a\u{7}@ut.ac.ir"), "control characters"),
    ];
    for (field, value, message) in cases {
        let mut body = good.clone();
        body[field] = value;
        if field != "username" {
            body["username"] = json!(format!("other.{field}"));
        }
        let (code, answer) = h.sdk(Method::POST, "users/", t, Some(body)).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {answer}");
        assert_eq!(field_of(&answer), field, "{answer}");
        assert!(
            answer["detail"][0]["msg"]
                .as_str()
                .expect("msg")
                .contains(message),
            "{answer}"
        );
        assert!(answer["detail"][0]["type"].is_string());
    }
    let (code, answer) = h
        .sdk(Method::POST, "users/", t, Some(json!({"email": "x@y.ir"})))
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = answer["detail"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["loc"][1].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["username", "password"], "every problem at once");

    let updates = [
        (json!({"plan_id": 99}), "plan_id"),
        (json!({"expiration_date": "31/12/2030"}), "expiration_date"),
        (json!({"email": "nope"}), "email"),
        (json!({"username": "admin"}), "username"),
        (json!({"role": 3}), "role"),
    ];
    for (body, field) in updates {
        let (code, answer) = h.sdk(Method::PUT, "users/2/", t, Some(body)).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(field_of(&answer), field, "{answer}");
    }
    h.server.shutdown().await;
}

#[tokio::test]
async fn every_error_is_json_and_nothing_panics() {
    let h = Harness::start(0).await;
    let t = &h.admin_token;
    assert_eq!(h.get("nowhere/", t).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        h.get("users/1/change-password", t).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(h.get("users/999/?f=json", t).await.0, StatusCode::NOT_FOUND);
    let (code, body) = h.get("users/abc/?f=json", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "user_id")
    );
    // Percent-encoded bytes that are not text: axum's own 400 would read as a success to the
    // SDK, so it is a 422 naming the segment.
    for (path, field) in [
        ("users/%FF/?f=json", "user_id"),
        ("users/%FF/sessions/?f=json", "user_id"),
        ("plans/%FF/?f=json", "plan_id"),
    ] {
        let (code, body) = h.get(path, t).await;
        assert_eq!(
            (code, field_of(&body).as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{path}: {body}"
        );
    }
    for (path, field) in [
        ("users/1/sessions/%FF", "session_uuid"),
        ("users/1/members/%FF", "member_id"),
    ] {
        let (code, body) = h.sdk(Method::POST, path, t, None).await;
        assert_eq!(
            (code, field_of(&body).as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{path}: {body}"
        );
    }
    // A filter too deep or too long for the parser's stack or SQLite: a 422, not a crash.
    for q in [
        format!("{}id+%3D+1{}", "%28".repeat(5000), "%29".repeat(5000)),
        "NOT+".repeat(5000) + "id+%3D+1",
        vec!["id+%3D+1"; 5000].join("+OR+"),
        format!("id+IN+%28{}%29", vec!["1"; 5000].join("%2C")),
    ] {
        let (code, body) = h.get(&format!("users/?f=json&q={q}"), t).await;
        assert_eq!(
            (code, field_of(&body).as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "q"),
            "{body}"
        );
    }
    // So is a search with too many words, or a field sorted on twice.
    let many_words = "a+".repeat(server::MAX_SEARCH_WORDS + 1);
    for (path, field) in [
        (format!("users/?f=json&search={many_words}"), "search"),
        (format!("users/search/?search={many_words}"), "search"),
        (format!("plans/?f=json&search={many_words}"), "search"),
        (
            format!("users/?f=json&order_by={}", "id+A%2C".repeat(5000)),
            "order_by",
        ),
        ("users/?f=json&order_by=id+A%2Cid+D".to_string(), "order_by"),
    ] {
        let (code, body) = h.get(&path, t).await;
        assert_eq!(
            (code, field_of(&body).as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, field),
            "{path}: {body}"
        );
    }
    let (code, body) = h
        .get(
            &format!("plans/?f=json&q=name+LIKE+%27{}%27", "a".repeat(50_010)),
            t,
        )
        .await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "q"),
        "a LIKE pattern too long for SQLite: {body}"
    );
    // Repeated or empty search fields: each searched once, or all of them.
    for query in [
        format!("search=ab&search_fields={}", "username%2C".repeat(5000)),
        "search=abc&search_fields=username%2CUSERNAME".to_string(),
        "search=ab&search_fields=%2C%2C".to_string(),
        "search=abc&search_fields=%2C".to_string(),
    ] {
        let (code, body) = h.get(&format!("users/?f=json&{query}"), t).await;
        assert_eq!(code, StatusCode::OK, "{query}: {body}");
    }
    let (code, body) = h.get("plans/?f=json&search=ab&search_fields=%2C", t).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let words = "a+".repeat(server::MAX_SEARCH_WORDS);
    assert_eq!(
        h.get(&format!("users/?f=json&search={words}"), t).await.0,
        StatusCode::OK
    );
    let (code, body) = h.get("users/?return_count=maybe", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "return_count")
    );
    for flag in ["true", "false", "True", "False", "1", "0"] {
        assert_eq!(
            h.get(&format!("users/?return_count={flag}&shared={flag}"), t)
                .await
                .0,
            StatusCode::OK
        );
    }
    let response = h
        .http
        .post(h.url("users/"))
        .bearer_auth(t)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .expect("msg")
            .contains("JSON")
    );
    let (code, _) = h.sdk(Method::POST, "users/", t, Some(json!([1, 2]))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let huge = "x".repeat(server::MAX_BODY_BYTES + 10);
    let (code, body) = h
        .sdk(Method::POST, "users/", t, Some(json!({"username": huge})))
        .await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["detail"].is_string());
    let response = h
        .http
        .get(h.url("users/?f=json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/json")
    );
    h.server.shutdown().await;
}

#[tokio::test]
async fn members_are_sub_users_without_cycles() {
    let h = Harness::start(0).await;
    let t = &h.admin_token;
    let parent = h
        .create("parent.user", "Account Admin", "Active", "parent-pass")
        .await;
    let child = h
        .create("child.user", "Viewer", "Active", "child-pass-1")
        .await;
    let (code, member) = h
        .sdk(
            Method::POST,
            &format!("users/{parent}/members/{child}"),
            t,
            None,
        )
        .await;
    assert_eq!(
        (code, member["parent_id"].as_i64()),
        (StatusCode::OK, Some(parent))
    );
    let (code, _) = h
        .sdk(
            Method::POST,
            &format!("users/{child}/members/{parent}"),
            t,
            None,
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "a cycle");
    let (code, _) = h
        .sdk(
            Method::POST,
            &format!("users/{parent}/members/{parent}"),
            t,
            None,
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "oneself");
    let (code, _) = h
        .sdk(
            Method::POST,
            &format!("users/{parent}/members/999"),
            t,
            None,
        )
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let child_token = h.login("child.user", "child-pass-1").await;
    let (code, _) = h
        .get(&format!("users/{parent}/members"), &child_token)
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let parent_token = h.login("parent.user", "parent-pass").await;
    let (_, members) = h
        .get(&format!("users/{parent}/members"), &parent_token)
        .await;
    assert_eq!(members[0]["id"], child);
    let (code, _) = h
        .sdk(Method::DELETE, &format!("users/1/members/{child}"), t, None)
        .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "not a member of user 1");
    // Deleting the parent frees its members.
    let (code, _) = h
        .sdk(Method::DELETE, &format!("users/{parent}/"), t, None)
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, orphan) = h.get(&format!("users/{child}/?f=json"), t).await;
    assert_eq!(orphan["parent_id"], Value::Null);
    h.server.shutdown().await;
}

#[tokio::test]
async fn the_demo_keeps_its_database_and_reseeds_when_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("data").join("demo.sqlite");
    let demo = server::start_demo_at(&path, false)
        .await
        .expect("demo starts");
    assert_eq!(demo.seeded_users, 500);
    assert!(demo.addr.ip().is_loopback());
    assert_eq!(demo.admin_password.expose(), server::DEMO_ADMIN_PASSWORD);
    let client = GeoboxClient::new(
        &demo.base_url,
        Auth::Password {
            username: "admin".into(),
            password: demo.admin_password.clone(),
        },
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        501
    );
    let victim = client
        .list_users(&UserQuery::new().skip(1).limit(1))
        .await
        .expect("list")[0]
        .id;
    client.delete_user(victim).await.expect("delete");
    demo.shutdown().await;
    assert!(path.exists());

    let again = server::start_demo_at(&path, false).await.expect("restarts");
    assert_eq!(again.seeded_users, 0, "an existing demo is kept");
    let client = GeoboxClient::new(
        &again.base_url,
        Auth::ApiKey(again.admin_apikey.clone()),
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        500
    );
    // The previous run's sign-in is gone: the admin's sessions do not pile up per start.
    assert!(
        client
            .list_sessions(UserRef::Me)
            .await
            .expect("sessions")
            .is_empty(),
        "a restart signs the demo admin out of the previous run"
    );
    // Seeded users share a known password.
    let seeded = client
        .list_users(&UserQuery::new().q("status = 'Active' AND id > 1").limit(1))
        .await
        .expect("list");
    let as_seeded = GeoboxClient::new(
        &again.base_url,
        Auth::Password {
            username: seeded[0].username.clone(),
            password: Secret::new(server::SEED_PASSWORD),
        },
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        as_seeded.get_user(UserRef::Me).await.expect("me").id,
        seeded[0].id
    );
    again.shutdown().await;

    let fresh = server::start_demo_at(&path, true).await.expect("fresh");
    assert_eq!(fresh.seeded_users, 500);
    let client = GeoboxClient::new(
        &fresh.base_url,
        Auth::ApiKey(fresh.admin_apikey.clone()),
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(
        client.count_users(&UserQuery::new()).await.expect("count"),
        501
    );
    fresh.shutdown().await;
}

#[tokio::test]
async fn a_random_admin_password_is_generated_when_none_is_given() {
    let server = server::start(ServerOptions {
        seed_users: 0,
        ..ServerOptions::default()
    })
    .await
    .expect("starts");
    assert!(server.admin_password.expose().len() >= 16);
    let client = GeoboxClient::new(
        &server.base_url,
        Auth::Password {
            username: server.admin_username.clone(),
            password: server.admin_password.clone(),
        },
        Duration::from_secs(10),
    )
    .expect("client");
    assert_eq!(client.get_user(UserRef::Me).await.expect("me").id, 1);
    assert!(server.base_url.starts_with("http://127.0.0.1:") && server.base_url.ends_with("/v1/"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_busy_address_is_named_in_the_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let error = server::start(ServerOptions {
        bind: addr,
        seed_users: 0,
        ..ServerOptions::default()
    })
    .await
    .expect_err("the address is taken");
    assert!(
        error
            .to_string()
            .contains(&format!("cannot listen on {addr}")),
        "{error}"
    );
}

/// The official Python SDK against the server: `scripts/sdk-smoke.py`. Needs the SDK, so it
/// runs only when asked:
/// `GEOBOX_SDK_PYTHON=/tmp/sdkvenv/bin/python cargo test --test server -- --ignored sdk`
#[tokio::test]
#[ignore = "needs the geobox Python SDK; set GEOBOX_SDK_PYTHON"]
async fn the_official_python_sdk_works_against_it() {
    let python = std::env::var("GEOBOX_SDK_PYTHON")
        .expect("GEOBOX_SDK_PYTHON: a python with geobox installed");
    let server = server::start(ServerOptions {
        admin_password: Some(Secret::new("admin-pass-1")),
        ..ServerOptions::default()
    })
    .await
    .expect("starts");
    let host = server.base_url.trim_end_matches("v1/").to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sdk-smoke.py");
    let output = tokio::process::Command::new(python)
        .arg(script)
        .env("GEOBOX_HOST", host)
        .env("GEOBOX_USERNAME", "admin")
        .env("GEOBOX_PASSWORD", "admin-pass-1")
        .env_remove("GEOBOX_ACCESS_TOKEN")
        .env_remove("GEOBOX_APIKEY")
        .output()
        .await
        .expect("runs python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("checks passed"));
    server.shutdown().await;
}

#[tokio::test]
async fn odd_search_terms_are_searched_for_not_parsed() {
    let h = Harness::start(50).await;
    let t = &h.admin_token;
    for term in [
        "\"",
        "a\"b\"c",
        "NEAR(x",
        "{username}",
        "*",
        "%_\\",
        "OR AND NOT",
        "رضا",
        "' OR 1=1 --",
        "x:y",
        "^abc",
        "-",
        "\u{0}",
    ] {
        for path in ["users/?search=", "users/search/?search="] {
            let url = format!("{path}{}&search_fields=", urlencode(term));
            let (code, body) = h.get(&url, t).await;
            assert_eq!(code, StatusCode::OK, "{term:?}: {body}");
            assert!(body.is_array(), "{term:?}: {body}");
        }
    }
    let (_, percent) = h.get("users/?search=%25&return_count=True", t).await;
    assert_eq!(percent["count"], 0, "% is a character, not a wildcard");
    h.server.shutdown().await;
}

#[tokio::test]
async fn search_pages_and_counts_agree_whatever_the_plan() {
    let h = Harness::start(400).await;
    let t = &h.admin_token;
    let ids = |body: &Value| -> Vec<i64> {
        body.as_array()
            .expect("array")
            .iter()
            .map(|u| u["id"].as_i64().expect("id"))
            .collect()
    };
    for term in ["reza", "gmail", "ka", "ali rez", "+98 91"] {
        for status in ["", "&status=Active"] {
            let base = format!("users/?search={}{status}", urlencode(term));
            let (_, up) = h.get(&format!("{base}&limit=1000"), t).await;
            let (_, down) = h.get(&format!("{base}&limit=1000&order_by=id+D"), t).await;
            let (_, by_name) = h
                .get(&format!("{base}&limit=1000&order_by=last_name+A"), t)
                .await;
            let (_, count) = h.get(&format!("{base}&return_count=True"), t).await;
            let up = ids(&up);
            assert!(up.windows(2).all(|w| w[0] < w[1]), "{term}: ascending ids");
            let mut reversed = ids(&down);
            reversed.reverse();
            assert_eq!(up, reversed, "{term}{status}: same rows either way");
            let mut sorted = ids(&by_name);
            sorted.sort_unstable();
            assert_eq!(up, sorted, "{term}{status}: same rows by name");
            assert_eq!(
                count["count"].as_u64(),
                Some(up.len() as u64),
                "{term}{status}"
            );
            let (_, page) = h.get(&format!("{base}&skip=3&limit=4"), t).await;
            assert_eq!(
                ids(&page),
                up.iter().skip(3).take(4).copied().collect::<Vec<_>>()
            );
        }
    }
    let (_, gmail) = h.get("users/?search=gmail&return_count=True", t).await;
    assert!(
        gmail["count"].as_u64().expect("count") > 50,
        "a common term: {gmail}"
    );
    h.server.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn serve_runs_until_sigterm_and_then_stops_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let serving = tokio::spawn(server::serve_until_signal(ServerOptions {
        bind: ([127, 0, 0, 1], port).into(),
        seed_users: 0,
        ..ServerOptions::default()
    }));
    let url = format!("http://127.0.0.1:{port}/v1/plans/");
    let mut answered = false;
    for _ in 0..250 {
        if let Ok(response) = reqwest::get(&url).await {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered, "serve answers");
    // The handlers are in place before serve listens, so this reaches serve, not the default
    // action that would end the test process.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let result = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve stops within 10 s")
        .expect("serve task");
    assert!(result.is_ok(), "{result:?}");
    assert!(reqwest::get(&url).await.is_err(), "the port is closed");
}
