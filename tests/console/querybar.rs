//! The query bar's copied CLI command, run as is by a shell against the embedded server,
//! lists the same users, in the same order, as the console's table.

use crate::support;

use std::collections::VecDeque;
use std::path::Path;
use std::process::{Command, Stdio};

use geobox_api::{GeoboxClient, UserRole, UserStatus};
use geobox_server::RunningServer;
use geobox_users::console::cmd::{Cmd, execute};
use geobox_users::console::env::Env;
use geobox_users::console::model::{Model, SortColumn};
use geobox_users::console::msg::Msg;
use geobox_users::console::update::{cli_command, init, update};
use support::start_server;

const ADMIN_PASSWORD: &str = "querybar-admin";

/// Sets the filters, sort or selection of a fresh console.
type Narrowing = fn(&mut Model);

fn admin_client(server: &RunningServer) -> GeoboxClient {
    support::admin_client(server, ADMIN_PASSWORD)
}

/// Runs the console's commands against the server until nothing is left.
async fn settle(model: &mut Model, env: &Env, client: &GeoboxClient, cmds: Vec<Cmd>) {
    let mut queue: VecDeque<Cmd> = cmds.into();
    while let Some(cmd) = queue.pop_front() {
        let msg = match cmd {
            Cmd::After { msg, .. } => Some(*msg),
            other => execute(client, other).await,
        };
        if let Some(msg) = msg {
            queue.extend(update(model, env, msg));
        }
    }
}

/// The ids on the page the selection is on, as the table shows them.
fn table_ids(model: &Model) -> Vec<i64> {
    let page = model.users.selected / model.users.page_size;
    model.users.pages[&page]
        .iter()
        .map(|user| user.id)
        .collect()
}

/// Runs the copied text through `sh`, signed in through the environment as a reader would be,
/// and reads the ids from the table it prints.
fn run_copied(command: &str, server: &RunningServer, home: &Path) -> Vec<i64> {
    let binary = Path::new(env!("CARGO_BIN_EXE_geobox-users"));
    let bin_dir = binary.parent().expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut shell = Command::new("sh");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GEOBOX") {
            shell.env_remove(key);
        }
    }
    let output = shell
        .args(["-c", command])
        .current_dir(home)
        .env("PATH", path)
        .env("GEOBOX_USERS_CONFIG", home.join("config.toml"))
        .env("GEOBOX_USERS_DATA_DIR", home.join("data"))
        .env("GEOBOX_USERNAME", &server.admin_username)
        .env("GEOBOX_PASSWORD", ADMIN_PASSWORD)
        .stdin(Stdio::null())
        .output()
        .expect("sh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{command}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next()?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copied_cli_command_lists_the_same_users_in_the_same_order() {
    let server = start_server(400, ADMIN_PASSWORD).await;
    let client = admin_client(&server);
    // Users a search for `-w2` finds: a value that starts with a dash, which a shell command
    // must not hand to the CLI as a flag of its own.
    for name in ["ana-w2", "bob-w2x"] {
        let new_user = geobox_api::NewUser {
            username: name.to_string(),
            email: format!("{name}@example.ir"),
            password: geobox_api::Secret::new("Long-enough-1"),
            role: UserRole::Viewer,
            first_name: String::new(),
            last_name: String::new(),
            mobile: String::new(),
            status: UserStatus::Active,
        };
        client.create_user(&new_user).await.expect("created");
    }
    let home = tempfile::tempdir().expect("tempdir");
    let shapes: [(&str, Narrowing); 6] = [
        ("no filter", |_| {}),
        ("status, sorted by last name descending", |model| {
            model.filters.status = Some(UserStatus::Active);
            model.filters.sort.column = SortColumn::LastName;
            model.filters.sort.descending = true;
        }),
        ("a search in some fields, by username", |model| {
            model.filters.search = "ar".to_string();
            model.filters.search_fields = "username,email".to_string();
            model.filters.sort.column = SortColumn::Username;
        }),
        ("role and CQL with quotes, by expiration", |model| {
            model.filters.role = Some(UserRole::Viewer);
            model.filters.cql = "username LIKE '%a%' AND id > 20".to_string();
            model.filters.sort.column = SortColumn::Expiration;
        }),
        ("the second page", |model| model.users.selected = 150),
        ("a search that starts with a dash", |model| {
            model.filters.search = "-w2".to_string();
        }),
    ];
    for (shape, apply) in shapes {
        let env = Env {
            demo_url: Some(server.base_url.clone()),
            api_base: client.base_url().to_string(),
            ..Env::new("test")
        };
        let mut model = Model::new();
        model.width = 160;
        model.height = 45;
        apply(&mut model);
        let cmds = init(&mut model);
        settle(&mut model, &env, &client, cmds).await;
        if model.users.selected > 0 {
            let row = model.users.selected;
            let cmds = update(&mut model, &env, Msg::SelectUserRow(row));
            settle(&mut model, &env, &client, cmds).await;
        }
        let expected = table_ids(&model);
        assert!(!expected.is_empty(), "{shape}: the table shows users");
        let command = cli_command(&model, &env).expect("a command");
        let listed = tokio::task::block_in_place(|| run_copied(&command, &server, home.path()));
        assert_eq!(listed, expected, "{shape}: {command}");
    }
}
