//! Switching deployment inside the console, against two embedded servers: the real command
//! task signs in to the profile chosen with `C` and the table reloads there, and coming back
//! finds the first deployment's selection as it was left.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use geobox_ops::config::{ConfigFile, Environment, resolve_every};
use geobox_users::console::cmd::{self, Cmd, Runner};
use geobox_users::console::connections::{Connections, Reach};
use geobox_users::console::deployment::Deployment;
use geobox_users::console::env::Env;
use geobox_users::console::model::{Mode, Model};
use geobox_users::console::msg::Msg;
use geobox_users::console::update::{init, update};
use tokio::sync::mpsc;

const PASSWORD_A: &str = "Switch-a-admin-1";
const PASSWORD_B: &str = "Switch-b-admin-2";

/// The console without a terminal, on the real command task: what `app.rs` does, minus drawing.
struct Console {
    model: Model,
    env: Env,
    runner: Runner,
    results: mpsc::UnboundedReceiver<Msg>,
}

impl Console {
    fn dispatch(&mut self, cmds: Vec<Cmd>) {
        for cmd in cmds {
            // As the loop does: the surroundings follow the deployment `update` moved to.
            if let Cmd::UseDeployment {
                deployment,
                api_base,
            } = &cmd
            {
                assert!(self.env.switch_to(deployment, api_base));
            }
            let _ = self.runner.commands().send(cmd);
        }
    }

    fn send(&mut self, msg: Msg) {
        let cmds = update(&mut self.model, &self.env, msg);
        self.dispatch(cmds);
    }

    fn keys(&mut self, keys: &[KeyCode]) {
        for code in keys {
            self.send(Msg::KeyPressed(KeyEvent::new(*code, KeyModifiers::NONE)));
        }
    }

    /// Feeds answers to `update` until `done` holds (at most 20 s).
    async fn until(&mut self, what: &str, done: impl Fn(&Model, &Env) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.model, &self.env) {
            let msg = tokio::time::timeout_at(deadline, self.results.recv())
                .await
                .unwrap_or_else(|_| panic!("waited 20 s for {what}: {:?}", self.model.banner))
                .expect("the command task runs");
            self.model.now = chrono::Utc::now();
            self.send(msg);
        }
    }
}

fn deployment(name: &str, server: &geobox_server::RunningServer) -> Deployment {
    Deployment {
        name: name.to_string(),
        host: server.base_url.clone(),
        api_base: server.base_url.clone(),
        demo_url: None,
        signs_in: "password (admin)".to_string(),
        asks_password: false,
        protected: false,
        color: None,
        problem: None,
        view_store: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_switches_to_another_server_and_back_to_the_user_left_selected() {
    let a = support::start_server(30, PASSWORD_A).await;
    let b = support::start_server(8, PASSWORD_B).await;
    let file = ConfigFile::parse(&format!(
        "[profiles.b]\nhost = \"{}\"\nusername = \"admin\"\npassword_env = \"B_PW\"\n",
        b.base_url
    ))
    .expect("a valid file");
    let env_vars = Environment::from_pairs([("B_PW", PASSWORD_B)]);
    let profile_b = resolve_every(&env_vars, None, Some(file))
        .remove(0)
        .config
        .expect("b resolves");
    let connections = Connections::new("a", Arc::new(support::admin_client(&a, PASSWORD_A)))
        .with("b", Reach::Profile(Box::new(profile_b)));
    let (results_tx, results) = mpsc::unbounded_channel();
    let mut env = Env {
        deployments: vec![deployment("a", &a), deployment("b", &b)],
        ..Env::new("a")
    };
    assert!(env.switch_to("a", &a.base_url));
    let mut model = Model::new();
    model.width = 160;
    model.height = 45;
    model.now = chrono::Utc::now();
    let mut console = Console {
        model,
        env,
        runner: cmd::start(connections, None, results_tx),
        results,
    };
    let cmds = init(&mut console.model);
    console.dispatch(cmds);
    console
        .until("a's table", |model, _| {
            model.users.total.is_some() && model.users.selected_user().is_some()
        })
        .await;
    let total_a = console.model.users.total;
    console.keys(&[KeyCode::Char('j'); 4]);
    console
        .until("the fifth user", |model, _| model.users.selected == 4)
        .await;
    let left_on = console.model.users.selected_user().map(|user| user.id);
    assert!(left_on.is_some());

    // C, the second deployment, ⏎: signed in there, its table read.
    console.keys(&[KeyCode::Char('C'), KeyCode::Char('j'), KeyCode::Enter]);
    assert!(matches!(console.model.mode, Mode::Deployments(_)));
    console
        .until("b's table", |model, env| {
            env.deployment == "b" && model.users.total.is_some()
        })
        .await;
    assert_ne!(console.model.users.total, total_a, "b's users, not a's");
    assert_eq!(console.env.api_base, b.base_url);
    assert!(matches!(console.model.mode, Mode::Normal));

    // Back on a: the user left selected is selected again.
    console.keys(&[KeyCode::Char('C'), KeyCode::Char('k'), KeyCode::Enter]);
    console
        .until("a's table again", |model, env| {
            env.deployment == "a"
                && model.users.total == total_a
                && model.users.selected_user().map(|user| user.id) == left_on
        })
        .await;
    console.runner.stop().await;
}

/// A profile with a team journal of its own: once the console switches to it, its writes are
/// journaled there, and what the first deployment was handed stays in the first one's.
#[test]
fn a_deployment_with_a_journal_of_its_own_is_journaled_there() {
    use geobox_ops::journal::{Action, Entry, Journal, JournalPlace, Outcome, TeamJournal, Tool};
    use geobox_ops::test_postgres;
    use geobox_users::console::msg::RequestId;

    let Some(postgres) = test_postgres::shared() else {
        return;
    };
    let (url_a, url_b) = (postgres.database(), postgres.database());
    let queue = tempfile::tempdir().expect("tempdir");
    let journal_at = |url: &str| {
        let place = JournalPlace::Team(TeamJournal::parse(url, None).expect("the test URL"));
        Journal::open_in(&place, queue.path().to_path_buf()).expect("a team journal")
    };
    let entry = |host: &str| Box::new(Entry::new(host, Tool::Console, Action::Update, Outcome::Ok));
    let runtime = support::test_runtime();
    let (entry_a, entry_b, entry_a_again) = runtime.block_on(async {
        let a = support::start_server(3, PASSWORD_A).await;
        let b = support::start_server(3, PASSWORD_B).await;
        let file = ConfigFile::parse(&format!(
            "[profiles.b]\nhost = \"{}\"\nusername = \"admin\"\npassword_env = \"B_PW\"\n",
            b.base_url
        ))
        .expect("a valid file");
        let profile_b = resolve_every(
            &Environment::from_pairs([("B_PW", PASSWORD_B)]),
            None,
            Some(file),
        )
        .remove(0)
        .config
        .expect("b resolves");
        let connections = Connections::new("a", Arc::new(support::admin_client(&a, PASSWORD_A)))
            .with("b", Reach::Profile(Box::new(profile_b)))
            .with_journal("b", journal_at(&url_b));
        let (results_tx, mut results) = mpsc::unbounded_channel();
        let runner = cmd::start(connections, Some(journal_at(&url_a)), results_tx);
        let (entry_a, entry_b) = (entry(&a.base_url), entry(&b.base_url));
        let send = |cmd: Cmd| runner.commands().send(cmd).expect("the task runs");
        send(Cmd::AppendJournal {
            entry: entry_a.clone(),
        });
        send(Cmd::SignIn {
            request: RequestId(1),
            deployment: "b".to_string(),
            password: None,
        });
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), results.recv())
                .await
                .expect("signed in within 20 s")
                .expect("the task runs");
            if let Msg::SignedIn { done, .. } = msg {
                assert!(done.result.is_ok(), "signed in to b");
                break;
            }
        }
        send(Cmd::UseDeployment {
            deployment: "b".to_string(),
            api_base: b.base_url.clone(),
        });
        send(Cmd::AppendJournal {
            entry: entry_b.clone(),
        });
        // Back on a: its journal again.
        let entry_a_again = entry(&a.base_url);
        send(Cmd::UseDeployment {
            deployment: "a".to_string(),
            api_base: a.base_url.clone(),
        });
        send(Cmd::AppendJournal {
            entry: entry_a_again.clone(),
        });
        runner.stop().await;
        (entry_a.id, entry_b.id, entry_a_again.id)
    });
    let count = |url: &str, id: &str| {
        postgres.count(
            url,
            &format!("SELECT count(*) FROM geobox_journal_entries WHERE id = '{id}'"),
        )
    };
    assert_eq!((count(&url_a, &entry_a), count(&url_a, &entry_b)), (1, 0));
    assert_eq!((count(&url_b, &entry_a), count(&url_b, &entry_b)), (0, 1));
    assert_eq!(
        (count(&url_a, &entry_a_again), count(&url_b, &entry_a_again)),
        (1, 0)
    );
}
