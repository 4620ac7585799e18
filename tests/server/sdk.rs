//! The server speaks the SDK's dialect: raw requests shaped exactly as the official Python
//! SDK sends them, and every operation of our own `GeoboxClient`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::Harness;
use geobox_api::{
    ApiError, Auth, NewUser, Patch, PlanQuery, Secret, UserQuery, UserRef, UserRole, UserStatus,
    UserUpdate, obfuscate_password,
};

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
    h.stop().await;
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

    let plans = client.list_plans(&PlanQuery::new()).await.expect("plans");
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
    h.stop().await;
}
