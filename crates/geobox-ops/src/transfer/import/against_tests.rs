use super::*;
use crate::safety::SelfHarm;
use geobox_api::{UserRole, UserStatus};

fn user(id: i64, username: &str, email: &str, role: &str) -> User {
    serde_json::from_value(serde_json::json!({
        "id": id, "username": username, "email": email, "role": role, "status": "Active"
    }))
    .expect("a user")
}

fn plan(id: i64, name: &str) -> ServerPlan {
    serde_json::from_value(
        serde_json::json!({"id": id, "name": name.to_lowercase(), "display_name": name}),
    )
    .expect("a plan")
}

fn known(role: UserRole, update_existing: bool) -> Known {
    Known {
        me: SignedIn {
            id: 1,
            username: "ops".to_string(),
            role,
        },
        plans: vec![plan(1, "Free"), plan(2, "Pro Plan")],
        update_existing,
    }
}

fn row(line: u64, username: &str, email: &str) -> Row {
    Row {
        line,
        username: username.to_string(),
        email: email.to_string(),
        first_name: None,
        last_name: None,
        mobile: None,
        role: None,
        status: None,
        plan_id: None,
        plan_name: None,
        expiration_date: None,
        password: None,
    }
}

fn problems(result: Result<Plan, Vec<RowError>>) -> Vec<String> {
    match result {
        Ok(plan) => panic!("planned {plan:?}"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn an_email_another_user_has_in_any_case_is_refused() {
    let admin = known(UserRole::SystemAdmin, false);
    let owner = user(2, "hadi1971", "Hadi1971@gmail.com", "Viewer");
    let found = [owner];
    let refused = problems(decide(
        &admin,
        row(4, "h.three", "hadi1971@gmail.com"),
        &found,
    ));
    assert_eq!(
        refused,
        ["line 4: email: 'hadi1971@gmail.com' is already the email of hadi1971 (2)"]
    );
    let fresh = decide(&admin, row(5, "h.four", "h.four@example.ir"), &[]).expect("new");
    assert!(matches!(fresh, Plan::Create(_)));
}

#[test]
fn plans_are_checked_by_id_and_found_by_name() {
    let admin = known(UserRole::SystemAdmin, false);
    let mut unknown = row(2, "p.one", "p.one@example.ir");
    unknown.plan_id = Some(999);
    let refused = problems(decide(&admin, unknown, &[]));
    assert_eq!(
        refused,
        ["line 2: plan_id: plan 999 does not exist (plans: 1 Free, 2 Pro Plan)"]
    );
    let mut named = row(3, "p.two", "p.two@example.ir");
    named.plan_name = Some("pro plan".to_string());
    match decide(&admin, named, &[]).expect("found by name") {
        Plan::Create(row) => assert_eq!(row.plan_id, Some(2)),
        other => panic!("{other:?}"),
    }
    let mut misnamed = row(4, "p.three", "p.three@example.ir");
    misnamed.plan_name = Some("Gold".to_string());
    assert!(
        problems(decide(&admin, misnamed, &[]))[0]
            .starts_with("line 4: plan: no plan is named 'Gold'")
    );
}

#[test]
fn only_a_system_admin_makes_system_admins() {
    let account = known(UserRole::AccountAdmin, true);
    let mut grant = row(2, "s.one", "s.one@example.ir");
    grant.role = Some(UserRole::SystemAdmin);
    assert_eq!(
        problems(decide(&account, grant.clone(), &[])),
        ["line 2: role: only a System Admin may make someone a System Admin"]
    );
    // Nor changes one, even in a field anyone may change of their own.
    let boss = user(3, "boss", "boss@example.ir", "System Admin");
    let mut rename = row(3, "boss", "boss@example.ir");
    rename.first_name = Some("Big".to_string());
    assert_eq!(
        problems(decide(&account, rename, &[boss])),
        ["line 3: row: boss (3): only a System Admin may change a System Admin"]
    );
    let system = known(UserRole::SystemAdmin, true);
    assert!(decide(&system, grant, &[]).is_ok());
}

#[test]
fn the_signed_in_admins_own_row_is_left_out_when_it_would_shut_them_out() {
    let admin = known(UserRole::SystemAdmin, true);
    let me = user(1, "ops", "ops@example.ir", "System Admin");
    let mut disable = row(2, "ops", "ops@example.ir");
    disable.status = Some(UserStatus::Disabled);
    match decide(&admin, disable, std::slice::from_ref(&me)).expect("planned") {
        Plan::LeftOut { harm, .. } => assert_eq!(harm, SelfHarm::Disable),
        other => panic!("{other:?}"),
    }
    let mut rename = row(2, "ops", "ops@example.ir");
    rename.first_name = Some("Ops".to_string());
    assert!(matches!(
        decide(&admin, rename, &[me]).expect("planned"),
        Plan::Update { .. }
    ));
}

#[test]
fn an_existing_user_is_skipped_unless_updates_were_asked_for() {
    let existing = user(7, "neda", "neda@example.ir", "Editor");
    let mut changed = row(2, "NEDA", "neda@example.ir");
    changed.role = Some(UserRole::Viewer);
    let skip = known(UserRole::SystemAdmin, false);
    assert!(matches!(
        decide(&skip, changed.clone(), std::slice::from_ref(&existing)).expect("planned"),
        Plan::Skip { .. }
    ));
    let update = known(UserRole::SystemAdmin, true);
    assert!(matches!(
        decide(&update, changed, &[existing]).expect("planned"),
        Plan::Update { .. }
    ));
}

#[test]
fn like_literals_match_only_themselves() {
    assert_eq!(like_literal("a_b%c\\d@x.ir"), "a\\_b\\%c\\\\d@x.ir");
}

#[test]
fn rows_are_looked_up_in_batches_a_server_and_its_proxies_take() {
    let rows = |count: usize, email_chars: usize| -> Vec<Row> {
        (0..count)
            .map(|n| row(n as u64 + 2, &format!("u{n}"), &"e".repeat(email_chars)))
            .collect()
    };
    let sizes = |rows: Vec<Row>| -> Vec<usize> { batches(rows).iter().map(Vec::len).collect() };
    assert_eq!(
        sizes(rows(100, 20)),
        [BATCH_ROWS, BATCH_ROWS, 100 - 2 * BATCH_ROWS]
    );
    // Long emails make shorter batches, and one too long for any batch still gets its own.
    assert_eq!(sizes(rows(3, BATCH_EMAIL_CHARS / 2)), [2, 1]);
    assert_eq!(sizes(rows(2, BATCH_EMAIL_CHARS + 1)), [1, 1]);
    assert!(batches(Vec::new()).is_empty());
}
