//! The import's check accepts exactly the rows the server accepts. Generated rows (good ones,
//! and ones with every kind of fault: Unicode usernames, control characters, NUL, over-long
//! fields, odd emails and mobiles, unknown roles, plans and dates, usernames and emails
//! already taken in another case) go two ways: as a CSV file through the import's check and
//! its look-ups against the embedded server, and as the body of a create (and of the update
//! that sets a plan) sent straight to that server. Both must say yes, or both no.

use std::cell::Cell;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::support;
use geobox_api::GeoboxClient;
use geobox_ops::transfer::import::{self, Plan, PlanError, ReadOptions};
use geobox_server::RunningServer;

const PASSWORD: &str = "Rules-admin-pass-1";
/// Each accepted case creates a user, whose password the server hashes: keep it bounded.
const CASES: u32 = 96;

/// One row as it is written in the file; an empty cell is a field not given.
#[derive(Clone, Debug)]
struct Cells {
    username: String,
    email: String,
    first_name: String,
    last_name: String,
    mobile: String,
    role: String,
    status: String,
    plan_id: String,
    expiration_date: String,
    password: String,
}

/// The columns of a generated file: every one an import sets, in this order.
const HEADER: [&str; 10] = import::COLUMNS;

impl Cells {
    fn values(&self) -> [&str; 10] {
        [
            &self.username,
            &self.email,
            &self.first_name,
            &self.last_name,
            &self.mobile,
            &self.role,
            &self.status,
            &self.plan_id,
            &self.expiration_date,
            &self.password,
        ]
    }

    fn csv(&self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER).expect("header");
        writer.write_record(self.values()).expect("row");
        writer.into_inner().expect("flushed")
    }
}

/// A field of a row, by its place in [`HEADER`].
type Field = usize;

fn valid(field: Field) -> BoxedStrategy<String> {
    match field {
        0 => "[a-z][a-z0-9._-]{2,14}".boxed(),
        1 => "[a-z]{1,8}(\\.[a-z]{1,4})?@[a-z]{2,8}\\.(ir|com)".boxed(),
        2 | 3 => prop_oneof![
            Just(String::new()),
            "[A-Za-z][a-z]{0,12}( [A-Z][a-z]{1,8})?",
            Just("می\u{200c}خواهم".to_string()),
            "  [A-Za-z]{1,8}  ",
            "=[A-Z]{3}\\(1\\)",
        ]
        .boxed(),
        4 => prop_oneof![
            Just(String::new()),
            "\\+98 9[0-9]{9}",
            "0912-[0-9]{3}-[0-9]{4}",
        ]
        .boxed(),
        5 => one_of(&[
            "",
            "Viewer",
            "Editor",
            "Publisher",
            "Account Admin",
            "System Admin",
        ]),
        6 => one_of(&["", "New", "Pending", "Active", "Disabled"]),
        7 => one_of(&["", "1", "3", "5"]),
        8 => one_of(&["", "2027-01-31", "2026-12-11T10:00:00Z", "9999-12-31"]),
        _ => prop_oneof![Just(String::new()), "[A-Za-z0-9!#%]{8,24}"].boxed(),
    }
}

/// Values the server refuses in `field`, or (for usernames and emails) ones another user has.
fn faulty(
    field: Field,
    taken_usernames: &[String],
    taken_emails: &[String],
) -> BoxedStrategy<String> {
    let control = "[a-z]{1,4}[\u{0}\u{7}\u{1b}\u{7f}\u{85}\u{9b}\t\r\n][a-z]{0,4}";
    match field {
        0 => prop_oneof![
            "[A-Za-z0-9]{1,2}",
            "[a-z]{51,53}",
            "[._-][a-z]{2,6}",
            "[a-z]{1,3}[نیماé ][a-z]{1,3}",
            control,
            proptest::sample::select(taken_usernames.to_vec()).prop_map(|name| name.to_uppercase()),
            Just(String::new()),
        ]
        .boxed(),
        1 => prop_oneof![
            one_of(&[
                "a@b", "a b@c.ir", "@c.ir", "a@.ir", "a@b.", "a@b..ir", "x@y@z.ir", "plain"
            ]),
            "[a-z]{250}@x\\.ir",
            "[a-z]{2,5}[\u{1b}\u{7f}]@x\\.ir",
            proptest::sample::select(taken_emails.to_vec()).prop_map(|email| email.to_uppercase()),
            Just(String::new()),
        ]
        .boxed(),
        2 | 3 => prop_oneof!["[a-z]{101,104}", control].boxed(),
        4 => prop_oneof![
            "[0-9]{1,6}",
            "\\+98 912[a-z]{3}",
            "[0-9]{3}( [0-9]{3}){10}",
            "[0-9]{16,18}",
            control,
        ]
        .boxed(),
        5 => one_of(&["King", "admin"]),
        6 => one_of(&["Sleeping", "active!"]),
        7 => one_of(&["999", "0", "-2", "two"]),
        8 => one_of(&["2027-02-30", "tomorrow", "31/01/2027"]),
        _ => "[a-z]{1,7}".boxed(),
    }
}

fn one_of(choices: &[&str]) -> BoxedStrategy<String> {
    proptest::sample::select(
        choices
            .iter()
            .map(|choice| choice.to_string())
            .collect::<Vec<_>>(),
    )
    .boxed()
}

/// Rows whose fields keep the rules, but for none, one or two faults.
fn cells(taken_usernames: Vec<String>, taken_emails: Vec<String>) -> impl Strategy<Value = Cells> {
    let fields: Vec<BoxedStrategy<String>> = (0..HEADER.len()).map(valid).collect();
    let faults = proptest::collection::vec(0..HEADER.len(), 0..=2).prop_flat_map(move |fields| {
        let values: Vec<BoxedStrategy<(Field, String)>> = fields
            .into_iter()
            .map(|field| {
                faulty(field, &taken_usernames, &taken_emails)
                    .prop_map(move |value| (field, value))
                    .boxed()
            })
            .collect();
        values
    });
    (fields, faults).prop_map(|(mut values, faults)| {
        for (field, value) in faults {
            values[field] = value;
        }
        let take = |field: Field| values[field].clone();
        Cells {
            username: take(0),
            email: take(1),
            first_name: take(2),
            last_name: take(3),
            mobile: take(4),
            role: take(5),
            status: take(6),
            plan_id: take(7),
            expiration_date: take(8),
            password: take(9),
        }
    })
}

/// Whether an import of the row would create its user: read, checked and planned as a
/// `Create` with no problem.
async fn import_creates(client: &GeoboxClient, cells: &Cells) -> Result<bool, TestCaseError> {
    let checked = match import::parse(&cells.csv(), ReadOptions::default()) {
        Ok(checked) if checked.problems.is_empty() => checked,
        Ok(_) | Err(_) => return Ok(false),
    };
    match import::plan(client, checked.rows, false).await {
        Ok(plans) => Ok(matches!(plans.as_slice(), [Plan::Create(_)])),
        Err(PlanError::Rows(_)) => Ok(false),
        Err(other) => Err(TestCaseError::fail(format!(
            "the import could not ask: {other}"
        ))),
    }
}

/// Whether the server creates the row's user (and sets its plan and expiry, which follow as
/// an update) when sent exactly what the row says.
async fn server_creates(
    http: &reqwest::Client,
    server: &RunningServer,
    cells: &Cells,
) -> Result<bool, TestCaseError> {
    let key = server.admin_apikey.expose();
    let mut body = Map::new();
    body.insert("username".into(), json!(cells.username));
    body.insert("email".into(), json!(cells.email));
    // A row without a password gets a generated one.
    let password = match cells.password.as_str() {
        "" => "Generated-pass-1",
        given => given,
    };
    body.insert(
        "password".into(),
        json!(geobox_api::obfuscate_password(password)),
    );
    let optional = [
        ("first_name", &cells.first_name),
        ("last_name", &cells.last_name),
        ("mobile", &cells.mobile),
        ("role", &cells.role),
        ("status", &cells.status),
    ];
    for (field, value) in optional {
        if !value.is_empty() {
            body.insert(field.into(), json!(value));
        }
    }
    let fail = |error: reqwest::Error| TestCaseError::fail(format!("no answer: {error}"));
    let created = http
        .post(format!("{}users/?apikey={key}", server.base_url))
        .json(&body)
        .send()
        .await
        .map_err(fail)?;
    if !created.status().is_success() {
        return Ok(false);
    }
    let user: Value = created.json().await.map_err(fail)?;
    let mut update = Map::new();
    if !cells.plan_id.trim().is_empty() {
        let plan = match cells.plan_id.trim().parse::<i64>() {
            Ok(id) => json!(id),
            Err(_) => json!(cells.plan_id),
        };
        update.insert("plan_id".into(), plan);
    }
    if !cells.expiration_date.is_empty() {
        update.insert("expiration_date".into(), json!(cells.expiration_date));
    }
    if update.is_empty() {
        return Ok(true);
    }
    let updated = http
        .put(format!(
            "{}users/{}/?apikey={key}",
            server.base_url, user["id"]
        ))
        .json(&update)
        .send()
        .await
        .map_err(fail)?;
    Ok(updated.status().is_success())
}

#[test]
fn the_import_accepts_exactly_the_rows_the_server_accepts() {
    let runtime = support::test_runtime();
    let server = runtime.block_on(support::start_server(30, PASSWORD));
    let client = support::admin_client(&server, PASSWORD);
    let seeded = runtime
        .block_on(client.list_users(&geobox_api::UserQuery::new().limit(30)))
        .expect("the seeded users");
    let usernames: Vec<String> = seeded.iter().map(|user| user.username.clone()).collect();
    let emails: Vec<String> = seeded
        .iter()
        .filter_map(|user| user.email.clone())
        .collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let (accepted, refused) = (Cell::new(0), Cell::new(0));
    let outcome = runner.run(&cells(usernames, emails), |cells| {
        // The import asks first: the server's create may take the username for good.
        let import = runtime.block_on(import_creates(&client, &cells))?;
        let server = runtime.block_on(server_creates(&http, &server, &cells))?;
        let tally = if server { &accepted } else { &refused };
        tally.set(tally.get() + 1);
        prop_assert_eq!(
            import,
            server,
            "the import says {} and the server {} to {:?}",
            import,
            server,
            cells
        );
        Ok(())
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    // Both kinds were tried, so the equality says something either way.
    let (accepted, refused) = (accepted.get(), refused.get());
    assert!(
        accepted > 5 && refused > 5,
        "{accepted} accepted, {refused} refused"
    );
}
