//! Validation and errors: each names its field, every answer is JSON, nothing panics.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::harness::{Body, Call, Harness, Shape, SharedServer, row};
use geobox_api::obfuscate_password;

/// Neither test here changes what the other reads.
static ERRORS: SharedServer = SharedServer::new(0);

#[tokio::test]
async fn validation_errors_name_the_field() {
    let h = Harness::shared(&ERRORS);
    let t = &h.admin_token;
    let good = json!({"username": "valid.user", "email": "v@ut.ac.ir", "password": obfuscate_password("P@ssw0rd"),
        "role": "Viewer", "first_name": "V", "last_name": "U", "mobile": "+98 9120123456", "status": "Active"});
    let (code, created) = h.sdk(Method::POST, "users/", t, Some(good.clone())).await;
    assert_eq!(code, StatusCode::OK);
    let id = created["id"].as_i64().expect("id");
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
    let mut rows = Vec::new();
    for (field, value, message) in cases {
        let label = format!("create with {field} {value}");
        let mut body = good.clone();
        body[field] = value;
        if field != "username" {
            body["username"] = json!(format!("other.{field}"));
        }
        let call = Call::post("users/").json(body);
        rows.push(row(label, Some(t), call, 422).shape(Shape::Invalid(field, message)));
    }
    let updates = [
        (json!({"plan_id": 99}), "plan_id"),
        (json!({"expiration_date": "31/12/2030"}), "expiration_date"),
        (json!({"email": "nope"}), "email"),
        (json!({"username": "admin"}), "username"),
        (json!({"role": 3}), "role"),
    ];
    for (body, field) in updates {
        let label = format!("update with {body}");
        let call = Call::put(format!("users/{id}/"), body);
        rows.push(row(label, Some(t), call, 422).shape(Shape::Names(field)));
    }
    let mismatches = h.check_rows(&rows).await;

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
    mismatches.assert_none();
}

#[tokio::test]
async fn every_error_is_json_and_nothing_panics() {
    let h = Harness::shared(&ERRORS);
    let t = Some(h.admin_token.as_str());
    let get =
        |path: &str, status: u16, shape: Shape| row(path, t, Call::get(path), status).shape(shape);
    let names = Shape::Names;
    let mut rows = vec![
        get("nowhere/", 404, Shape::Json),
        get("users/1/change-password", 405, Shape::Json),
        get("users/999/?f=json", 404, Shape::Json),
        get("users/abc/?f=json", 422, names("user_id")),
        // Percent-encoded bytes that are not text: axum's own 400 would read as a success to
        // the SDK, so it is a 422 naming the segment.
        get("users/%FF/?f=json", 422, names("user_id")),
        get("users/%FF/sessions/?f=json", 422, names("user_id")),
        get("plans/%FF/?f=json", 422, names("plan_id")),
        row(
            "POST users/1/sessions/%FF",
            t,
            Call::post("users/1/sessions/%FF"),
            422,
        )
        .shape(names("session_uuid")),
        row(
            "POST users/1/members/%FF",
            t,
            Call::post("users/1/members/%FF"),
            422,
        )
        .shape(names("member_id")),
    ];
    // A filter too deep or too long for the parser's stack or SQLite: a 422, not a crash.
    for (what, q) in [
        (
            "deep parentheses",
            format!("{}id+%3D+1{}", "%28".repeat(5000), "%29".repeat(5000)),
        ),
        ("deep NOTs", "NOT+".repeat(5000) + "id+%3D+1"),
        ("long OR chain", vec!["id+%3D+1"; 5000].join("+OR+")),
        (
            "long IN list",
            format!("id+IN+%28{}%29", vec!["1"; 5000].join("%2C")),
        ),
    ] {
        let path = format!("users/?f=json&q={q}");
        rows.push(row(format!("q: {what}"), t, Call::get(path), 422).shape(names("q")));
    }
    // So is a search with too many words, or a field sorted on twice.
    let many_words = "a+".repeat(geobox_server::MAX_SEARCH_WORDS + 1);
    for (what, path, field) in [
        (
            "too many words",
            format!("users/?f=json&search={many_words}"),
            "search",
        ),
        (
            "too many words",
            format!("users/search/?search={many_words}"),
            "search",
        ),
        (
            "too many words",
            format!("plans/?f=json&search={many_words}"),
            "search",
        ),
        (
            "a field sorted on 5000 times",
            format!("users/?f=json&order_by={}", "id+A%2C".repeat(5000)),
            "order_by",
        ),
        (
            "a field sorted on twice",
            "users/?f=json&order_by=id+A%2Cid+D".to_string(),
            "order_by",
        ),
    ] {
        let label = format!("{what}: {}", &path[..path.find('?').unwrap_or(path.len())]);
        rows.push(row(label, t, Call::get(path), 422).shape(names(field)));
    }
    rows.push(
        row(
            "a LIKE pattern too long for SQLite",
            t,
            Call::get(format!(
                "plans/?f=json&q=name+LIKE+%27{}%27",
                "a".repeat(50_010)
            )),
            422,
        )
        .shape(names("q")),
    );
    // Repeated or empty search fields: each searched once, or all of them.
    for query in [
        format!("search=ab&search_fields={}", "username%2C".repeat(5000)),
        "search=abc&search_fields=username%2CUSERNAME".to_string(),
        "search=ab&search_fields=%2C%2C".to_string(),
        "search=abc&search_fields=%2C".to_string(),
    ] {
        let label: String = query.chars().take(60).collect();
        rows.push(row(
            label,
            t,
            Call::get(format!("users/?f=json&{query}")),
            200,
        ));
    }
    rows.push(get(
        "plans/?f=json&search=ab&search_fields=%2C",
        200,
        Shape::Json,
    ));
    let words = "a+".repeat(geobox_server::MAX_SEARCH_WORDS);
    rows.push(row(
        "as many words as allowed",
        t,
        Call::get(format!("users/?f=json&search={words}")),
        200,
    ));
    rows.push(get("users/?return_count=maybe", 422, names("return_count")));
    for flag in ["true", "false", "True", "False", "1", "0"] {
        rows.push(get(
            &format!("users/?return_count={flag}&shared={flag}"),
            200,
            Shape::Json,
        ));
    }
    let huge = "x".repeat(geobox_server::MAX_BODY_BYTES + 10);
    rows.extend([
        row(
            "a body that is not JSON",
            t,
            Call::post("users/").with(Body::RawJson("{not json")),
            422,
        )
        .shape(Shape::Says("JSON")),
        row(
            "a JSON array for a user",
            t,
            Call::post("users/").json(json!([1, 2])),
            422,
        ),
        row(
            "a body over the limit",
            t,
            Call::post("users/").json(json!({"username": huge})),
            413,
        )
        .shape(Shape::Sentence),
        row(
            "signed out",
            None,
            Call::get("users/?f=json").with(Body::Nothing),
            401,
        ),
    ]);
    h.check_rows(&rows).await.assert_none();
}
