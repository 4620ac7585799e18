//! SIGTERM, as cron's `timeout`, systemd and job runners send it, stops `bulk-update`,
//! `import` and `list --all` the way Ctrl-C does: after the current batch or page, with a
//! summary, and (for writes) the journal entry of what was written. A stand-in server holds
//! the first writes until the signal is sent, so the stop always lands in the first batch.
#![cfg(unix)]

use std::process::{Child, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{self, Recorded, Recorder, Reply};

/// Users of the stand-in: ids 2 to 1 + USERS (the signed-in admin is 1).
const USERS: i64 = 1500;
/// Writes or pages answered this late until the signal is sent, so that it arrives while
/// the first batch (or page) is still in flight.
const HELD: Duration = Duration::from_millis(400);

fn user(id: i64) -> Value {
    json!({
        "id": id, "username": format!("u{id}"), "email": format!("u{id}@example.ir"),
        "role": if id == 1 { "System Admin" } else { "Viewer" }, "status": "Active"
    })
}

/// The largest `id > N` of a CQL filter: where a page read by id starts.
fn after_id(q: &str) -> i64 {
    q.split("id > ")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// A Geobox with [`USERS`] users whose writes and pages are held while `signalled` is false.
fn stand_in(signalled: Arc<AtomicBool>) -> Recorder {
    let created = Arc::new(AtomicI64::new(10_000));
    Recorder::start(move |request: &Recorded| {
        let held = |reply: Reply| {
            if signalled.load(Ordering::SeqCst) {
                reply
            } else {
                reply.delayed(HELD)
            }
        };
        let path = request.path.as_str();
        match (request.method.as_str(), path) {
            ("GET", "/v1/users/me/") => Reply::json(200, user(1)),
            ("GET", "/v1/plans/") => Reply::json(200, support::sample_plans()),
            ("GET", "/v1/users/") => {
                let q = request.param("q").unwrap_or_default();
                if q.contains("username = '") {
                    // An import's look-up: nobody has the row's username or email.
                    return Reply::json(200, json!([]));
                }
                let limit: i64 = request
                    .param("limit")
                    .and_then(|limit| limit.parse().ok())
                    .unwrap_or(10);
                let first = after_id(&q).max(1) + 1;
                let page: Vec<Value> = (first..=(1 + USERS).min(first + limit - 1))
                    .map(user)
                    .collect();
                held(Reply::json(200, Value::Array(page)))
            }
            ("PUT", _) => {
                let id: i64 = path
                    .trim_start_matches("/v1/users/")
                    .trim_end_matches('/')
                    .parse()
                    .unwrap_or(2);
                let mut answer = user(id);
                for (key, value) in request.body_json().as_object().expect("a body") {
                    answer[key] = value.clone();
                }
                held(Reply::json(200, answer))
            }
            ("POST", "/v1/users/") => {
                let mut answer = request.body_json();
                answer["id"] = json!(created.fetch_add(1, Ordering::SeqCst));
                answer.as_object_mut().expect("a body").remove("password");
                held(Reply::json(201, answer))
            }
            _ => support::fake_geobox(request),
        }
    })
}

struct Run {
    dir: tempfile::TempDir,
    server: Recorder,
    signalled: Arc<AtomicBool>,
}

impl Run {
    fn new() -> Run {
        let signalled = Arc::new(AtomicBool::new(false));
        Run {
            dir: tempfile::tempdir().expect("tempdir"),
            server: stand_in(Arc::clone(&signalled)),
            signalled,
        }
    }

    fn spawn(&self, args: &[&str]) -> Child {
        support::isolated_cli(self.dir.path())
            .args(args)
            .env("GEOBOX_HOST", self.server.host())
            .env("GEOBOX_ACCESS_TOKEN", "tok-admin")
            .spawn()
            .expect("run geobox-users")
    }

    /// Sends SIGTERM once the stand-in has seen `first` (a request of the kind that is held),
    /// lets the held answers go, and waits for the run to end.
    fn terminate_after(&self, child: Child, first: impl Fn(&Recorded) -> bool) -> Output {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.server.requests().iter().any(&first) {
            assert!(Instant::now() < deadline, "the run never started writing");
            std::thread::sleep(Duration::from_millis(10));
        }
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        self.signalled.store(true, Ordering::SeqCst);
        child.wait_with_output().expect("the run ends")
    }

    fn journal(&self) -> Vec<Value> {
        support::journal_entries(&self.dir.path().join("data"))
    }

    fn writes(&self, method: &str) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|request| request.method == method && request.path.starts_with("/v1/users/"))
            .count()
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn sigterm_stops_a_bulk_update_after_its_batch_with_a_summary_and_a_journal_entry() {
    let run = Run::new();
    let child = run.spawn(&[
        "users",
        "bulk-update",
        "--q",
        "id > 1",
        "--set-status",
        "disabled",
        "--yes",
    ]);
    let output = run.terminate_after(child, |request| request.method == "PUT");
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    let batch = geobox_ops::bulk::BATCH;
    let left = USERS as usize - batch;
    assert!(said.contains(&format!("done {batch}, failed 0")), "{said}");
    assert!(
        said.contains(&format!(
            "stopped by SIGTERM: {left} users were not written"
        )),
        "{said}"
    );
    assert_eq!(run.writes("PUT"), batch, "nothing written after the batch");
    let journal = run.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0]["action"], "bulk_update");
    assert_eq!(journal[0]["changes"].as_array().map(Vec::len), Some(batch));
}

#[test]
fn sigterm_stops_an_import_and_its_passwords_file_keeps_only_who_was_created() {
    let run = Run::new();
    let mut file = String::from("username,email\n");
    for n in 0..200 {
        file.push_str(&format!("imp{n},imp{n}@example.ir\n"));
    }
    std::fs::write(run.dir.path().join("people.csv"), file).expect("written");
    let child = run.spawn(&["users", "import", "people.csv", "--passwords-out", "pw.csv"]);
    let output = run.terminate_after(child, |request| request.method == "POST");
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    let batch = geobox_ops::bulk::BATCH;
    assert!(said.contains(&format!("created {batch},")), "{said}");
    assert!(
        said.contains(&format!(
            "stopped by SIGTERM: {} rows were not written",
            200 - batch
        )),
        "{said}"
    );
    assert_eq!(run.writes("POST"), batch);
    let journal = run.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert_eq!(journal[0]["action"], "import");
    assert_eq!(journal[0]["changes"].as_array().map(Vec::len), Some(batch));
    let passwords = std::fs::read_to_string(run.dir.path().join("pw.csv")).expect("kept");
    assert_eq!(
        passwords.lines().count(),
        1 + batch,
        "the header and the users created, no one else"
    );
}

#[test]
fn sigterm_stops_an_export_after_its_page_with_the_list_still_ended() {
    let run = Run::new();
    let child = run.spawn(&["users", "list", "--all", "--output", "json"]);
    let output = run.terminate_after(child, |request| {
        request.method == "GET" && request.path == "/v1/users/"
    });
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    let users: Vec<Value> = serde_json::from_slice(&output.stdout).expect("one JSON array, closed");
    let page = geobox_ops::transfer::PAGE_SIZE as usize;
    assert_eq!(users.len(), page);
    assert!(
        said.contains(&format!(
            "stopped by SIGTERM: wrote the first {page} users only"
        )),
        "{said}"
    );
}
