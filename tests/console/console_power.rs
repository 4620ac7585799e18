//! Acting on a whole query and exporting, from the console's keys through the real command
//! task (its bounded bulk runs and page-by-page export) to the embedded server and back.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use geobox_api::{GeoboxClient, User, UserQuery, UserRef, UserRole, UserStatus};
use geobox_ops::journal;
use geobox_ops::transfer::export::Pager;
use geobox_ops::views::View;
use geobox_server::RunningServer;
use geobox_users::console::cmd::{self, Cmd};
use geobox_users::console::env::Env;
use geobox_users::console::model::{BulkStage, Mode, Model};
use geobox_users::console::msg::Msg;
use geobox_users::console::update::{init, update};
use tokio::sync::mpsc;

const ADMIN_PASSWORD: &str = "console-power-admin";
/// Only a guard against a hang: no test waits this long when things work.
const GUARD: Duration = Duration::from_secs(60);

async fn start_server(seed_users: u64) -> RunningServer {
    support::start_server(seed_users, ADMIN_PASSWORD).await
}

fn admin_client(server: &RunningServer) -> GeoboxClient {
    support::admin_client(server, ADMIN_PASSWORD)
}

/// The console with its real command task; only the terminal is missing.
struct Live {
    model: Model,
    env: Env,
    commands: mpsc::UnboundedSender<Cmd>,
    results: mpsc::UnboundedReceiver<Msg>,
}

impl Live {
    async fn open(server: &RunningServer) -> Live {
        let (results_tx, results) = mpsc::unbounded_channel();
        let commands = cmd::spawn(Arc::new(admin_client(server)), None, results_tx);
        let mut model = Model::new();
        model.width = 160;
        model.height = 45;
        model.now = chrono::Utc::now();
        let mut live = Live {
            model,
            env: Env {
                demo_url: Some(server.base_url.clone()),
                ..Env::new("test")
            },
            commands,
            results,
        };
        let cmds = init(&mut live.model);
        live.send_all(cmds);
        live.until(|model, _| model.users.total.is_some() && model.me.loaded().is_some())
            .await;
        live
    }

    fn send_all(&mut self, cmds: Vec<Cmd>) {
        for cmd in cmds {
            self.commands.send(cmd).expect("the command task runs");
        }
    }

    fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        let cmds = update(
            &mut self.model,
            &self.env,
            Msg::KeyPressed(KeyEvent::new(code, mods)),
        );
        self.send_all(cmds);
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    /// Feeds answers to `update` until `done` holds for the model and the last message.
    async fn until(&mut self, done: impl Fn(&Model, &Msg) -> bool) {
        loop {
            let msg = tokio::time::timeout(GUARD, self.results.recv())
                .await
                .expect("an answer came")
                .expect("the command task runs");
            let probe = msg.clone();
            let cmds = update(&mut self.model, &self.env, msg);
            self.send_all(cmds);
            if done(&self.model, &probe) {
                return;
            }
        }
    }
}

async fn ids_with(client: &GeoboxClient, status: UserStatus) -> Vec<i64> {
    let view = View {
        status: Some(status),
        ..View::default()
    };
    users_in(client, view)
        .await
        .into_iter()
        .map(|user| user.id)
        .collect()
}

async fn users_in(client: &GeoboxClient, view: View) -> Vec<User> {
    Pager::new(view)
        .collect_users(client, |_| {})
        .await
        .expect("listed")
}

async fn open_sessions(client: &GeoboxClient, user_id: i64) -> usize {
    client
        .list_sessions(UserRef::Id(user_id))
        .await
        .expect("sessions listed")
        .len()
}

#[tokio::test]
async fn a_status_change_on_the_whole_view_changes_exactly_the_users_it_matched() {
    let server = start_server(1500).await;
    let client = admin_client(&server);
    let pending = ids_with(&client, UserStatus::Pending).await;
    assert!(pending.len() > 100, "enough to be typed: {}", pending.len());
    let mut live = Live::open(&server).await;
    live.model.filters.status = Some(UserStatus::Pending);

    live.type_text("sa");
    // The first value offered; they all leave the filter once written.
    let mut choice = None;
    if let Mode::BulkQuery(query) = &live.model.mode
        && let BulkStage::Choose { choices, cursor } = &query.stage
    {
        choice = choices.get(*cursor).cloned();
    }
    let Some(geobox_ops::bulk::Change::Status(new_status)) = choice else {
        panic!("no status choice: {:?}", live.model.mode);
    };
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until(|model, _| {
        matches!(&model.mode, Mode::BulkQuery(query) if matches!(query.stage, BulkStage::Confirm { .. }))
    })
    .await;
    live.type_text(&pending.len().to_string());
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until(|_, msg| matches!(msg, Msg::BulkFinished { .. }))
        .await;

    let banner = live.model.banner.clone().expect("a summary");
    assert!(
        banner.text.contains(&format!("done {}", pending.len())),
        "{}",
        banner.text
    );
    assert!(ids_with(&client, UserStatus::Pending).await.is_empty());
    let now = ids_with(&client, new_status).await;
    assert!(
        pending.iter().all(|id| now.contains(id)),
        "every matched user changed"
    );
}

#[tokio::test]
async fn w_writes_every_matching_user_once_to_the_file_it_names() {
    let server = start_server(1500).await;
    let client = admin_client(&server);
    let active = client
        .count_users(&UserQuery::new().status(UserStatus::Active))
        .await
        .expect("counted");
    assert!(active > 1000, "more than one export page: {active}");
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("active.jsonl");
    let mut live = Live::open(&server).await;
    live.model.filters.status = Some(UserStatus::Active);

    live.type_text("w");
    live.key(KeyCode::Char('u'), KeyModifiers::CONTROL);
    live.type_text(&path.display().to_string());
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until(|_, msg| matches!(msg, Msg::ExportFinished { .. }))
        .await;

    let text = std::fs::read_to_string(&path).expect("the file was written");
    let mut ids: Vec<i64> = text
        .lines()
        .map(|line| {
            let user: serde_json::Value = serde_json::from_str(line).expect("one object a line");
            assert_eq!(user["status"], "Active");
            user["id"].as_i64().expect("an id")
        })
        .collect();
    assert_eq!(ids.len() as u64, active);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, active, "nobody twice");
    let banner = live.model.banner.clone().expect("says where");
    assert!(banner.text.contains("active.jsonl"), "{}", banner.text);
}

#[tokio::test]
async fn a_lockdown_of_the_whole_view_shuts_exactly_its_users_and_leaves_the_admin_alone() {
    let server = start_server(400).await;
    let client = admin_client(&server);
    let everyone = |user: &User| (user.id, user.status.clone());
    let before: Vec<_> = users_in(&client, View::default())
        .await
        .iter()
        .map(everyone)
        .collect();
    let admins = View {
        role: Some(UserRole::SystemAdmin),
        ..View::default()
    };
    let matching = users_in(&client, admins).await;
    let admin = matching
        .iter()
        .find(|user| user.username == server.admin_username)
        .expect("the signed-in admin matches the view")
        .clone();
    let targets: Vec<i64> = matching
        .iter()
        .map(|user| user.id)
        .filter(|id| *id != admin.id)
        .collect();
    assert!(targets.len() > 1, "a view of several users: {targets:?}");
    let mut sessions_before = 0;
    for id in &targets {
        sessions_before += open_sessions(&client, *id).await;
    }
    assert!(sessions_before > 0, "sessions to close");

    let mut live = Live::open(&server).await;
    live.model.filters.role = Some(UserRole::SystemAdmin);
    live.type_text("!a");
    live.until(|model, _| {
        matches!(&model.mode, Mode::BulkQuery(query) if matches!(query.stage, BulkStage::Confirm { .. }))
    })
    .await;
    let Mode::BulkQuery(query) = &live.model.mode else {
        panic!("no confirmation: {:?}", live.model.mode);
    };
    let BulkStage::Confirm {
        targets: confirmed,
        notes,
        ..
    } = &query.stage
    else {
        panic!("no confirmation: {:?}", query.stage);
    };
    let left_out = format!(
        "{} (you) is left out: the change would lock you down",
        server.admin_username
    );
    assert!(notes.contains(&left_out), "{notes:?}");
    assert_eq!(confirmed.to_change.len(), targets.len());
    let typed = if targets.len() > 100 {
        targets.len().to_string()
    } else {
        "y".to_string()
    };
    live.type_text(&typed);
    live.key(KeyCode::Enter, KeyModifiers::NONE);
    live.until(|_, msg| matches!(msg, Msg::BulkFinished { .. }))
        .await;

    let banner = live.model.banner.clone().expect("a summary");
    assert!(
        banner
            .text
            .contains(&format!("done {}, failed 0", targets.len())),
        "{}",
        banner.text
    );
    let after: Vec<_> = users_in(&client, View::default())
        .await
        .iter()
        .map(everyone)
        .collect();
    assert_eq!(before.len(), after.len());
    for ((id, was), (_, now)) in before.iter().zip(&after) {
        if targets.contains(id) {
            assert_eq!(now, &Some(UserStatus::Disabled), "user {id} locked down");
            assert_eq!(
                open_sessions(&client, *id).await,
                0,
                "user {id}: sessions closed"
            );
        } else {
            assert_eq!(
                now, was,
                "user {id} outside the view (or the admin) unchanged"
            );
        }
    }
    assert!(
        open_sessions(&client, admin.id).await > 0,
        "the admin's own sessions stay open"
    );
    let entry = live
        .model
        .journal
        .this_run
        .last()
        .expect("the run is journaled");
    assert_eq!(entry.action, journal::Action::Lockdown);
    assert_eq!(entry.changes.len(), targets.len());

    // Its undo puts back every status it changed, as the console's `u` would.
    let now = journal::users_now(&client, entry).await.expect("read");
    let plan =
        journal::plan_undo(entry, &now, &journal::UndoOptions::default()).expect("an undo plan");
    let applied = journal::apply_undo(&client, &plan).await;
    assert!(applied.failures.is_empty(), "{:?}", applied.failures);
    let undone: Vec<_> = users_in(&client, View::default())
        .await
        .iter()
        .map(everyone)
        .collect();
    assert_eq!(undone, before, "every status is back");
}
