//! Renewing plans and managing members (sub-users).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::{Call, Harness, Shape, SharedServer, row};

/// Each test works on users of its own.
static PLANS: SharedServer = SharedServer::new(0);

#[tokio::test]
async fn renew_plan_extends_from_the_later_of_today_and_expiration() {
    let h = Harness::shared(&PLANS);
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
    h.stop().await;
}

/// Renewals at the same moment each count: none is lost by reading the old date before
/// another renewal has written its new one.
#[tokio::test]
async fn concurrent_renewals_all_count() {
    let h = Harness::shared(&PLANS);
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
    h.stop().await;
}

/// Sets a plan and an expiration, renews, and answers the new expiration.
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
async fn members_are_sub_users_without_cycles() {
    let h = Harness::shared(&PLANS);
    let t = Some(h.admin_token.as_str());
    let parent = h
        .create("parent.user", "Account Admin", "Active", "parent-pass")
        .await;
    let child = h
        .create("child.user", "Viewer", "Active", "child-pass-1")
        .await;
    let child_token = h.login("child.user", "child-pass-1").await;
    let parent_token = h.login("parent.user", "parent-pass").await;
    let add = |id: i64, member: i64| Call::post(format!("users/{id}/members/{member}"));
    let rows = [
        row("a member", t, add(parent, child), 200).shape(Shape::Has("/parent_id", json!(parent))),
        row("a cycle", t, add(child, parent), 422),
        row("oneself", t, add(parent, parent), 422),
        row("an unknown member", t, add(parent, 999), 404),
        row(
            "a member reads their parent's members",
            Some(&child_token),
            Call::get(format!("users/{parent}/members")),
            403,
        ),
        row(
            "the parent reads their members",
            Some(&parent_token),
            Call::get(format!("users/{parent}/members")),
            200,
        )
        .shape(Shape::Has("/0/id", json!(child))),
        row(
            "not a member of user 1",
            t,
            Call::delete(format!("users/1/members/{child}")),
            404,
        ),
        // Deleting the parent frees its members.
        row(
            "the parent deleted",
            t,
            Call::delete(format!("users/{parent}/")),
            200,
        ),
        row(
            "the member freed",
            t,
            Call::get(format!("users/{child}/?f=json")),
            200,
        )
        .shape(Shape::Has("/parent_id", Value::Null)),
    ];
    h.check_rows(&rows).await.assert_none();
}
