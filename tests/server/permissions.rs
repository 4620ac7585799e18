//! What each role may do, told as scenarios: lesser roles keep to their own things, an
//! Account Admin manages everyone but System Admins, and nobody deletes themselves. Every row
//! is checked and every failing one reported; `permission_matrix` covers every operation.

use serde_json::json;

use super::harness::{Call, Harness, Row, Shape, row};
use geobox_api::obfuscate_password;

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
        lesser.push((name, id, h.login(name, "lesser-pass").await));
    }
    let acc = h.login("acc.admin", "account-pass").await;
    let admin = h.admin_token.as_str();

    let mut rows: Vec<Row> = Vec::new();
    for (name, id, token) in &lesser {
        let token = Some(token.as_str());
        let says = |what: &str| format!("{name} {what}");
        rows.extend([
            row(says("lists users"), token, Call::get("users/?f=json"), 403),
            row(says("searches users"), token, Call::get("users/search/?search=a"), 403),
            row(says("reads user 1"), token, Call::get("users/1/?f=json"), 403),
            row(
                says("creates a user"),
                token,
                Call::post("users/").json(json!({"username": "x.y.z", "email": "x@y.ir", "password": obfuscate_password("whatever-1")})),
                403,
            ),
            row(
                says("renames the Account Admin"),
                token,
                Call::put(format!("users/{account_admin}/"), json!({"first_name": "X"})),
                403,
            ),
            row(
                says("deletes the Account Admin"),
                token,
                Call::delete(format!("users/{account_admin}/")),
                403,
            ),
            row(says("reads user 1's sessions"), token, Call::get("users/1/sessions/?f=json"), 403),
            // Their own things are theirs.
            row(says("reads users/me/"), token, Call::get("users/me/?f=json"), 200)
                .shape(Shape::Has("/id", json!(id))),
            row(says("reads themselves"), token, Call::get(format!("users/{id}/?f=json")), 200),
            row(
                says("reads their sessions"),
                token,
                Call::get(format!("users/{id}/sessions/?f=json")),
                200,
            ),
            row(
                says("renames themselves"),
                token,
                Call::put(format!("users/{id}/"), json!({"first_name": "Own"})),
                200,
            )
            .shape(Shape::Has("/first_name", json!("Own"))),
            row(
                says("promotes themselves"),
                token,
                Call::put(format!("users/{id}/"), json!({"role": "Account Admin"})),
                403,
            ),
            row(
                says("changes their password"),
                token,
                Call::change_password(*id, "own-new-pass"),
                200,
            ),
            // Plans are readable by everyone signed in.
            row(says("lists plans"), token, Call::get("plans/?f=json"), 200),
        ]);
    }

    let (publisher, editor, viewer) = (lesser[0].1, lesser[1].1, lesser[2].1);
    let acc = Some(acc.as_str());
    rows.extend([
        row("the Account Admin lists users", acc, Call::get("users/?f=json"), 200),
        row(
            "only a System Admin makes System Admins",
            acc,
            Call::put(format!("users/{publisher}/"), json!({"role": "System Admin"})),
            403,
        ),
        row(
            "an Account Admin cannot create a System Admin",
            acc,
            Call::post("users/").json(json!({"username": "new.sysadmin", "email": "n@s.ir", "password": obfuscate_password("sysadmin-pass"), "role": "System Admin"})),
            403,
        ),
        row(
            "an Account Admin cannot change a System Admin",
            acc,
            Call::put("users/1/", json!({"first_name": "Hacked"})),
            403,
        ),
        row(
            "an Account Admin makes Account Admins",
            acc,
            Call::put(format!("users/{publisher}/"), json!({"role": "Account Admin"})),
            200,
        )
        .shape(Shape::Has("/role", json!("Account Admin"))),
        row(
            "a System Admin makes System Admins",
            Some(admin),
            Call::put(format!("users/{editor}/"), json!({"role": "System Admin"})),
            200,
        )
        .shape(Shape::Has("/role", json!("System Admin"))),
    ]);
    for (who, token, id) in [
        ("the Account Admin", acc, account_admin),
        ("the admin", Some(admin), 1),
    ] {
        rows.extend([
            // The status says "forbidden"; the detail says why, once.
            row(
                format!("nobody deletes themselves: {who}"),
                token,
                Call::delete(format!("users/{id}/")),
                403,
            )
            .shape(Shape::Has("/detail", json!("you cannot delete yourself"))),
            // `users/me/` is a path for reading only: elsewhere `me` is not an integer id.
            row(
                format!("nobody deletes users/me/: {who}"),
                token,
                Call::delete("users/me/"),
                422,
            ),
        ]);
    }
    rows.push(row(
        "an Account Admin deletes others",
        acc,
        Call::delete(format!("users/{viewer}/")),
        200,
    ));

    h.check_rows(&rows).await.assert_none();
    h.stop().await;
}
