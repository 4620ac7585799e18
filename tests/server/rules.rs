//! The rules a review found missing: unique emails, a System Admin always left, dates that
//! stay ISO, NUL bytes as a 422, and paths exactly as strict as the contract.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::harness::{Call, Harness, Shape, SharedServer, new_user, row, urlencode};

/// Each test works on users of its own; none changes the admin.
static RULES: SharedServer = SharedServer::new(0);

/// The `loc` of each issue of a 422 body, joined with dots.
fn locations(body: &Value) -> Vec<String> {
    body["detail"]
        .as_array()
        .map(|issues| {
            issues
                .iter()
                .map(|issue| {
                    let loc = issue["loc"].as_array().cloned().unwrap_or_default();
                    let parts: Vec<&str> = loc.iter().filter_map(Value::as_str).collect();
                    parts.join(".")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_email_belongs_to_one_user_whatever_its_case() {
    let h = Harness::shared(&RULES);
    let t = &h.admin_token;
    let first = h
        .create("mail.one", "Viewer", "Active", "mail-pass-1")
        .await;
    let second = h
        .create("mail.two", "Viewer", "Active", "mail-pass-1")
        .await;
    let mut rows = Vec::new();
    for email in ["mail.one@example.ir", "Mail.One@EXAMPLE.ir"] {
        let mut body = new_user("mail.three", "Viewer", "Active", "mail-pass-1");
        body["email"] = json!(email);
        rows.push(
            row(
                format!("create with {email}"),
                Some(t),
                Call::post("users/").json(body),
                422,
            )
            .shape(Shape::Invalid("email", "already taken")),
        );
        rows.push(
            row(
                format!("update another to {email}"),
                Some(t),
                Call::put(format!("users/{second}/"), json!({"email": email})),
                422,
            )
            .shape(Shape::Invalid("email", "already taken")),
        );
    }
    rows.push(row(
        "a user keeps their own email in another case",
        Some(t),
        Call::put(
            format!("users/{first}/"),
            json!({"email": "MAIL.ONE@example.ir"}),
        ),
        200,
    ));
    h.check_rows(&rows).await.assert_none();

    let mut both = new_user("mail.one", "Viewer", "Active", "mail-pass-1");
    both["email"] = json!("mail.two@example.ir");
    let (code, body) = h.sdk(Method::POST, "users/", t, Some(both)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(locations(&body), ["body.username", "body.email"], "{body}");
}

#[tokio::test]
async fn the_last_active_system_admin_stays_one() {
    let h = Harness::start(0).await;
    let t = &h.admin_token;
    let mut rows = vec![
        row(
            "the only System Admin demotes themselves",
            Some(t),
            Call::put("users/1/", json!({"role": "Account Admin"})),
            422,
        )
        .shape(Shape::Invalid("role", "last active System Admin")),
        row(
            "the only System Admin disables themselves",
            Some(t),
            Call::put("users/1/", json!({"status": "Disabled"})),
            422,
        )
        .shape(Shape::Invalid("status", "last active System Admin")),
        row(
            "the only System Admin keeps their role and renames themselves",
            Some(t),
            Call::put(
                "users/1/",
                json!({"role": "System Admin", "first_name": "Still"}),
            ),
            200,
        ),
    ];
    let (_, me) = h.get("users/me/?f=json", t).await;
    assert_eq!(me["role"], "System Admin", "{me}");
    let other = h
        .create("second.admin", "System Admin", "Disabled", "admin-pass-2")
        .await;
    rows.push(
        row(
            "a disabled System Admin does not count",
            Some(t),
            Call::put("users/1/", json!({"role": "Viewer"})),
            422,
        )
        .shape(Shape::Invalid("role", "last active System Admin")),
    );
    h.check_rows(&rows).await.assert_none();

    let (code, body) = h
        .sdk(
            Method::PUT,
            &format!("users/{other}/"),
            t,
            Some(json!({"status": "Active"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = h
        .sdk(
            Method::PUT,
            "users/1/",
            t,
            Some(json!({"role": "Account Admin"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "with another System Admin: {body}");
    h.stop().await;
}

#[tokio::test]
async fn a_nul_byte_is_a_422_naming_its_parameter_never_a_500() {
    let h = Harness::shared(&RULES);
    let t = &h.admin_token;
    h.create("nul.target", "Viewer", "Active", "nul-pass-1")
        .await;
    let like = urlencode("username LIKE '%nul\0target%'");
    let rows = [
        ("users/?search=nul%00target", "search"),
        ("users/?search=ab%00", "search"),
        ("users/search/?search=nul%00target", "search"),
        ("plans/?search=pro%00", "search"),
        (&*format!("users/?q={like}"), "q"),
        (&*format!("users/?q={like}&return_count=true"), "q"),
        (&*format!("plans/?q={}", urlencode("name = 'a\0'")), "q"),
    ]
    .map(|(path, field)| {
        row(path, Some(t), Call::get(path), 422).shape(Shape::Invalid(field, "NUL"))
    });
    h.check_rows(&rows).await.assert_none();
}

#[tokio::test]
async fn dates_stay_iso_renewals_stop_at_year_9999() {
    let h = Harness::shared(&RULES);
    let t = &h.admin_token;
    let id = h
        .create("far.future", "Viewer", "Active", "far-pass-1")
        .await;
    let (_, plans) = h.get("plans/?f=json&q=number_of_days+%3E+0", t).await;
    let plan = plans[0]["id"].clone();
    let (code, body) = h
        .sdk(
            Method::PUT,
            &format!("users/{id}/"),
            t,
            Some(json!({"plan_id": plan, "expiration_date": "9999-12-30"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = h
        .sdk(Method::POST, &format!("users/{id}/renewPlan"), t, None)
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|text| text.contains("9999-12-31")),
        "{body}"
    );
    let (_, user) = h.get(&format!("users/{id}/?f=json"), t).await;
    assert_eq!(user["expiration_date"], "9999-12-30", "nothing stored");

    let rows = ["10000-01-01", "+10000-12-30", "-001-01-01"].map(|date| {
        row(
            format!("expiration_date {date}"),
            Some(t),
            Call::put(format!("users/{id}/"), json!({"expiration_date": date})),
            422,
        )
        .shape(Shape::Invalid("expiration_date", "valid date"))
    });
    h.check_rows(&rows).await.assert_none();
}

#[tokio::test]
async fn cql_dates_must_be_real_days_and_the_error_says_where() {
    let h = Harness::shared(&RULES);
    let (code, body) = h.q("created_at > '2021-13-45'").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["detail"][0]["msg"].as_str().unwrap_or_default();
    assert!(
        message.contains("'2021-13-45' is not a valid date") && message.contains("position 14"),
        "{body}"
    );
    let (code, body) = h.q("created_at > DATE('2021-02-29')").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (code, body) = h.q("created_at > '2021-02-28T23:59:59Z'").await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

/// A real Geobox types `{user_id}` as an integer and has `users/me/` as a path of its own for
/// reading: anything else is FastAPI's 422, and a client that relies on more must learn so here.
#[tokio::test]
async fn a_user_id_in_a_path_is_an_integer_except_in_get_users_me() {
    let h = Harness::shared(&RULES);
    let t = &h.admin_token;
    let invalid = |label: &str, call: Call| {
        row(label, Some(t), call, 422).shape(Shape::Invalid("user_id", "valid integer"))
    };
    let rows = [
        row("GET users/me/", Some(t), Call::get("users/me/?f=json"), 200),
        invalid(
            "GET users/me/sessions/",
            Call::get("users/me/sessions/?f=json"),
        ),
        invalid(
            "PUT users/me/",
            Call::put("users/me/", json!({"first_name": "Me"})),
        ),
        invalid("DELETE users/me/", Call::delete("users/me/")),
        invalid("GET users/ME/", Call::get("users/ME/?f=json")),
        invalid("GET users/abc/", Call::get("users/abc/?f=json")),
        invalid("GET users/1.5/", Call::get("users/1.5/?f=json")),
        invalid("GET users/me/members", Call::get("users/me/members")),
        invalid("POST users/me/renewPlan", Call::post("users/me/renewPlan")),
        invalid(
            "POST users/me/change-password",
            Call::post("users/me/change-password"),
        ),
        invalid("POST users/me/members/2", Call::post("users/me/members/2")),
    ];
    h.check_rows(&rows).await.assert_none();
}

#[tokio::test]
async fn a_username_outside_english_letters_is_refused_for_its_letters() {
    let h = Harness::shared(&RULES);
    let t = &h.admin_token;
    let rows = [
        row(
            "a Persian username",
            Some(t),
            Call::post("users/").json(new_user("نیما", "Viewer", "Active", "nima-pass-1")),
            422,
        )
        .shape(Shape::Invalid("username", "only English letters")),
        row(
            "a username that starts with a dot",
            Some(t),
            Call::post("users/").json(new_user(".nima", "Viewer", "Active", "nima-pass-1")),
            422,
        )
        .shape(Shape::Invalid(
            "username",
            "must start with a letter or digit",
        )),
    ];
    h.check_rows(&rows).await.assert_none();
}
