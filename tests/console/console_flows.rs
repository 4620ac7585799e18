//! The console's update loop against the embedded server over real HTTP: keys go through the
//! real keymap, commands run through the real command executor, answers come back as messages.
//! Only the terminal is missing.

use crate::support;

use std::collections::VecDeque;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use geobox_api::{
    ApiError, Auth, GeoboxClient, NewUser, Patch, PlanQuery, Secret, UserQuery, UserRef, UserRole,
    UserStatus, UserUpdate,
};
use geobox_server::RunningServer;
use geobox_users::console::cmd::{Cmd, execute};
use geobox_users::console::env::Env;
use geobox_users::console::model::{Focus, Mode, Model};
use geobox_users::console::msg::Msg;
use geobox_users::console::update::{init, update};

const ADMIN_PASSWORD: &str = "console-flows-admin";

async fn start_server(seed_users: u64) -> RunningServer {
    support::start_server(seed_users, ADMIN_PASSWORD).await
}

fn admin_client(server: &RunningServer) -> GeoboxClient {
    support::admin_client(server, ADMIN_PASSWORD)
}

/// The console without a terminal: a model, the real client, and commands run one by one.
struct Console {
    model: Model,
    env: Env,
    client: GeoboxClient,
    queue: VecDeque<Cmd>,
}

impl Console {
    async fn open(server: &RunningServer) -> Console {
        let mut model = Model::new();
        model.width = 160;
        model.height = 45;
        model.now = chrono::Utc::now();
        let queue = init(&mut model).into();
        let mut console = Console {
            model,
            env: Env {
                demo_url: Some(server.base_url.clone()),
                ..Env::new("test")
            },
            client: admin_client(server),
            queue,
        };
        console.settle().await;
        console
    }

    /// Runs every queued command (timers fire at once) until nothing is left.
    async fn settle(&mut self) {
        while let Some(cmd) = self.queue.pop_front() {
            let msg = match cmd {
                Cmd::After { msg, .. } => Some(*msg),
                other => execute(&self.client, other).await,
            };
            if let Some(msg) = msg {
                self.queue.extend(update(&mut self.model, &self.env, msg));
            }
        }
    }

    fn send(&mut self, msg: Msg) {
        self.queue.extend(update(&mut self.model, &self.env, msg));
    }

    async fn press(&mut self, code: KeyCode) {
        self.send(Msg::KeyPressed(KeyEvent::new(code, KeyModifiers::NONE)));
        self.settle().await;
    }

    async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(Msg::KeyPressed(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            )));
        }
        self.settle().await;
    }

    /// Searches for a username and keeps the search, leaving that user selected.
    async fn find_user(&mut self, username: &str) {
        self.type_text("/").await;
        self.type_text(username).await;
        self.press(KeyCode::Enter).await;
        let selected = self
            .model
            .users
            .selected_user()
            .map(|user| user.username.clone());
        assert_eq!(
            selected.as_deref(),
            Some(username),
            "the search found the user"
        );
    }

    fn loaded_rows(&self) -> Vec<geobox_api::User> {
        self.model
            .users
            .pages
            .values()
            .flat_map(|page| page.iter().cloned())
            .collect()
    }
}

async fn create_user(client: &GeoboxClient, username: &str, password: &str) -> i64 {
    client
        .create_user(&NewUser {
            username: username.to_string(),
            email: format!("{username}@example.ir"),
            password: Secret::new(password),
            role: UserRole::Viewer,
            first_name: "Flow".to_string(),
            last_name: "Tester".to_string(),
            mobile: String::new(),
            status: UserStatus::Active,
        })
        .await
        .expect("the user is created")
        .id
}

/// Signs in over plain HTTP and returns the bearer token, like another app would.
async fn sign_in(server: &RunningServer, username: &str, password: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}auth/token/", server.base_url))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("the sign-in request is answered");
    assert!(
        response.status().is_success(),
        "sign-in works: {}",
        response.status()
    );
    let body: serde_json::Value = response.json().await.expect("a JSON token");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

fn token_client(server: &RunningServer, token: &str) -> GeoboxClient {
    GeoboxClient::new(
        &server.base_url,
        Auth::AccessToken(Secret::new(token)),
        Duration::from_secs(10),
    )
    .expect("a client")
}

#[tokio::test]
async fn browse_search_filter_and_sort_against_the_server() {
    let server = start_server(120).await;
    let mut console = Console::open(&server).await;
    let admin = admin_client(&server);
    let total = admin.count_users(&UserQuery::new()).await.expect("a count");
    assert_eq!(console.model.users.total, Some(total));
    let me = console.model.me.loaded().expect("the signed-in user");
    assert_eq!(me.username, server.admin_username);
    assert!(console.model.users.user_at(0).is_some());
    assert!(console.model.banner.is_none(), "{:?}", console.model.banner);

    // The admin's own sessions include this console's, flagged as current.
    let admin_row = console
        .loaded_rows()
        .into_iter()
        .position(|user| user.username == server.admin_username)
        .expect("the admin is on the first page");
    console.send(Msg::SelectUserRow(admin_row as u64));
    console.settle().await;
    let sessions = console
        .model
        .sessions
        .list
        .loaded()
        .expect("sessions loaded");
    assert!(sessions.iter().any(|session| session.current == Some(true)));

    // Live search, kept with Enter.
    let someone = console
        .model
        .users
        .user_at(5)
        .expect("a sixth user")
        .username
        .clone();
    console.find_user(&someone).await;
    assert!(console.loaded_rows().iter().all(|user| {
        let haystack = format!(
            "{} {} {}",
            user.username,
            user.full_name(),
            user.email.clone().unwrap_or_default()
        )
        .to_lowercase();
        haystack.contains(&someone.to_lowercase())
    }));
    console.type_text("/").await;
    console.press(KeyCode::Esc).await;
    assert_eq!(
        console.model.users.total,
        Some(total),
        "Esc clears the search"
    );

    // Filter panel: status Disabled.
    console.type_text("f").await;
    for _ in 0..4 {
        console.press(KeyCode::Right).await;
    }
    console.press(KeyCode::Enter).await;
    let disabled = admin
        .count_users(&UserQuery::new().status(UserStatus::Disabled))
        .await
        .expect("a count");
    assert_eq!(console.model.users.total, Some(disabled));
    assert!(
        console
            .loaded_rows()
            .iter()
            .all(|user| user.status == Some(UserStatus::Disabled))
    );

    // Role travels as CQL: only Editors (and still Disabled).
    console.type_text("f").await;
    console.press(KeyCode::Tab).await;
    for _ in 0..4 {
        console.press(KeyCode::Right).await;
    }
    console.press(KeyCode::Enter).await;
    assert!(console.loaded_rows().iter().all(|user| {
        user.role == Some(UserRole::Editor) && user.status == Some(UserStatus::Disabled)
    }));

    // Sort by username, then flip it.
    console.type_text("f").await;
    console.send(Msg::ResetFilterFields);
    console.press(KeyCode::Enter).await;
    console.type_text("o").await;
    let names: Vec<String> = console
        .loaded_rows()
        .into_iter()
        .map(|user| user.username.to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by username");
    console.type_text("O").await;
    let first = console
        .model
        .users
        .user_at(0)
        .map(|user| user.username.to_lowercase());
    let last_of_all = admin
        .list_users(&UserQuery::new().order_by("username D").limit(1))
        .await
        .expect("a page")
        .first()
        .map(|user| user.username.to_lowercase());
    assert_eq!(first, last_of_all);

    // G jumps to the last user: its page is fetched.
    console.type_text("G").await;
    assert_eq!(console.model.users.selected, total - 1);
    assert!(console.model.users.selected_user().is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn a_bad_cql_filter_shows_the_servers_422_next_to_the_field() {
    let server = start_server(20).await;
    let mut console = Console::open(&server).await;
    console.type_text("f").await;
    for _ in 0..3 {
        console.press(KeyCode::Down).await;
    }
    console.type_text("no_such_field = 1").await;
    console.press(KeyCode::Enter).await;
    assert!(
        console.model.cql_server_error.is_some(),
        "{:?}",
        console.model.banner
    );
    assert!(
        console
            .model
            .banner
            .as_ref()
            .is_some_and(|banner| banner.error && banner.text.contains("422"))
    );
    console.type_text("f").await;
    let Mode::Filters(panel) = &console.model.mode else {
        panic!("the panel opens");
    };
    assert!(
        panel
            .cql_error
            .as_deref()
            .is_some_and(|error| error.contains("422"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_cql_error_position_counts_in_what_the_admin_typed() {
    let server = start_server(20).await;
    let mut console = Console::open(&server).await;
    // A role and a search wrap the CQL sent: `role = 'Editor' AND (id = 1 id) AND (…)`.
    console.model.filters.role = Some(UserRole::Editor);
    console.model.filters.search = "a".to_string();
    console.model.filters.cql = "id = 1 id".to_string();
    console.type_text("R").await;
    let said = console
        .model
        .cql_server_error
        .clone()
        .expect("the server's complaint");
    assert!(
        said.contains("found 'id' at position 8 of your CQL"),
        "the second `id` is the 8th character typed: {said}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn revoking_a_session_refuses_its_token() {
    let server = start_server(10).await;
    let admin = admin_client(&server);
    create_user(&admin, "flow.sessions", "Flow-pass-1").await;
    let token_a = sign_in(&server, "flow.sessions", "Flow-pass-1").await;
    let token_b = sign_in(&server, "flow.sessions", "Flow-pass-1").await;
    let app_a = token_client(&server, &token_a);
    let app_b = token_client(&server, &token_b);
    app_a.get_user(UserRef::Me).await.expect("token A works");

    let mut console = Console::open(&server).await;
    console.find_user("flow.sessions").await;
    console.press(KeyCode::Tab).await;
    console.press(KeyCode::Tab).await;
    assert_eq!(console.model.focus, Focus::Sessions);
    assert_eq!(console.model.sessions.list.loaded().map(Vec::len), Some(2));

    // x asks; n keeps; x then y closes.
    console.type_text("x").await;
    console.type_text("n").await;
    assert_eq!(console.model.sessions.list.loaded().map(Vec::len), Some(2));
    console.type_text("x").await;
    console.type_text("y").await;
    assert_eq!(console.model.sessions.list.loaded().map(Vec::len), Some(1));
    let answers = [
        app_a.get_user(UserRef::Me).await,
        app_b.get_user(UserRef::Me).await,
    ];
    assert_eq!(
        answers
            .iter()
            .filter(|result| matches!(result, Err(ApiError::Unauthorized { .. })))
            .count(),
        1,
        "exactly the closed session's token is refused"
    );

    // X offers a choice (all but the console's own first), then closes them after a yes.
    console.type_text("X").await;
    console.press(KeyCode::Enter).await;
    console.type_text("y").await;
    assert_eq!(console.model.sessions.list.loaded().map(Vec::len), Some(0));
    for app in [&app_a, &app_b] {
        assert!(matches!(
            app.get_user(UserRef::Me).await,
            Err(ApiError::Unauthorized { .. })
        ));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn quick_edits_password_renew_and_delete() {
    let server = start_server(10).await;
    let admin = admin_client(&server);
    let id = create_user(&admin, "flow.edits", "Flow-pass-1").await;
    let mut console = Console::open(&server).await;
    console.find_user("flow.edits").await;

    // Status: Active → Pending (one up in the picker).
    console.type_text("s").await;
    console.type_text("k").await;
    console.press(KeyCode::Enter).await;
    let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
    assert_eq!(user.status, Some(UserStatus::Pending));
    assert_eq!(
        console
            .model
            .users
            .selected_user()
            .and_then(|user| user.status.clone()),
        Some(UserStatus::Pending)
    );

    // Role: Viewer → Editor (one up).
    console.type_text("r").await;
    console.type_text("k").await;
    console.press(KeyCode::Enter).await;
    let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
    assert_eq!(user.role, Some(UserRole::Editor));

    // Back to Active so the user may sign in, then a new password, typed twice.
    console.type_text("s").await;
    console.type_text("j").await;
    console.press(KeyCode::Enter).await;
    console.type_text("p").await;
    console.type_text("New-pass-42!").await;
    console.press(KeyCode::Tab).await;
    console.type_text("New-pass-42!").await;
    console.press(KeyCode::Enter).await;
    assert!(matches!(console.model.mode, Mode::Normal));
    sign_in(&server, "flow.edits", "New-pass-42!").await;

    // Renew: give the user a plan that expired long ago, then P y.
    let plans = admin.list_plans(&PlanQuery::new()).await.expect("plans");
    let plan = plans
        .iter()
        .find(|plan| plan.number_of_days.unwrap_or(0) > 0)
        .expect("a plan with days");
    admin
        .update_user(
            id,
            &UserUpdate {
                plan_id: Patch::Set(plan.id),
                expiration_date: Patch::Set("2020-01-01".to_string()),
                ..UserUpdate::default()
            },
        )
        .await
        .expect("plan set");
    console.type_text("R").await;
    console.type_text("P").await;
    let expected = (chrono::Utc::now().date_naive()
        + chrono::Duration::days(plan.number_of_days.unwrap_or(0)))
    .to_string();
    match &console.model.mode {
        Mode::Confirm(confirm) => assert!(format!("{confirm:?}").contains(&expected)),
        other => panic!("P asks first, got {other:?}"),
    }
    console.type_text("y").await;
    let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
    let date = |text: Option<String>| text.map(|text| text.chars().take(10).collect::<String>());
    assert_eq!(date(user.expiration_date), Some(expected.clone()));
    let shown = console
        .model
        .users
        .selected_user()
        .and_then(|user| user.expiration_date.clone());
    assert_eq!(
        date(shown),
        Some(expected),
        "the row shows the new expiration"
    );

    // Delete: the username must be typed.
    console.type_text("D").await;
    console.type_text("flow.edit").await;
    console.press(KeyCode::Enter).await;
    assert!(
        admin.get_user(UserRef::Id(id)).await.is_ok(),
        "not yet: the name does not match"
    );
    console.type_text("s").await;
    console.press(KeyCode::Enter).await;
    assert!(matches!(
        admin.get_user(UserRef::Id(id)).await,
        Err(ApiError::NotFound { .. })
    ));
    assert!(console.model.users.find(id).is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn bulk_status_change_of_marked_users() {
    let server = start_server(10).await;
    let admin = admin_client(&server);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(create_user(&admin, &format!("flow.bulk{n}"), "Flow-pass-1").await);
    }
    let mut console = Console::open(&server).await;
    console.type_text("/").await;
    console.type_text("flow.bulk").await;
    console.press(KeyCode::Enter).await;
    assert_eq!(console.model.users.total, Some(3));
    console.type_text("   ").await;
    assert_eq!(console.model.users.marked.len(), 3);
    // Several users have no single current status: the cursor starts on New.
    console.type_text("s").await;
    for _ in 0..3 {
        console.press(KeyCode::Down).await;
    }
    console.press(KeyCode::Enter).await;
    assert!(
        matches!(console.model.mode, Mode::Confirm(_)),
        "one confirmation for all"
    );
    console.type_text("y").await;
    assert!(console.model.progress.is_none(), "every answer is in");
    for id in ids {
        let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
        assert_eq!(user.status, Some(UserStatus::Disabled));
    }
    assert!(
        console
            .model
            .banner
            .as_ref()
            .is_some_and(|banner| !banner.error && banner.text.contains("3/3"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn create_and_edit_through_the_forms() {
    let server = start_server(10).await;
    let admin = admin_client(&server);
    let mut console = Console::open(&server).await;

    // n: every field, the password twice; the new user ends up selected.
    console.type_text("n").await;
    console.type_text("flow.created").await;
    console.press(KeyCode::Tab).await;
    console.type_text("flow.created@example.ir").await;
    console.press(KeyCode::Tab).await;
    console.type_text("Flow").await;
    console.press(KeyCode::Tab).await;
    console.type_text("Created").await;
    for _ in 0..4 {
        console.press(KeyCode::Tab).await;
    }
    console.type_text("Created-pass-1").await;
    console.press(KeyCode::Tab).await;
    console.type_text("Created-pass-1").await;
    console.send(Msg::KeyPressed(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    console.settle().await;
    assert!(
        matches!(console.model.mode, Mode::Normal),
        "{:?}",
        console.model.mode
    );
    let selected = console
        .model
        .users
        .selected_user()
        .cloned()
        .expect("a selection");
    assert_eq!(selected.username, "flow.created");
    sign_in(&server, "flow.created", "Created-pass-1").await;
    let id = selected.id;

    // e: change the email and set a mobile; only those are sent.
    let ctrl = |c| Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    console.type_text("e").await;
    console.press(KeyCode::Tab).await;
    console.send(ctrl('u'));
    console.type_text("flow.new@example.ir").await;
    for _ in 0..3 {
        console.press(KeyCode::Tab).await;
    }
    console.type_text("+98 912 345 6789").await;
    console.send(ctrl('s'));
    console.settle().await;
    assert!(matches!(console.model.mode, Mode::Normal));
    let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
    assert_eq!(user.email.as_deref(), Some("flow.new@example.ir"));
    assert_eq!(user.mobile.as_deref(), Some("+98 912 345 6789"));
    assert_eq!(user.first_name.as_deref(), Some("Flow"));

    // A taken username: the server's 422 lands on the username field; the form stays.
    console.type_text("e").await;
    console.send(ctrl('u'));
    console.type_text(&server.admin_username.clone()).await;
    console.send(ctrl('s'));
    console.settle().await;
    let Mode::Form(form) = &console.model.mode else {
        panic!("the form stays open after a failed save");
    };
    let error = form
        .errors
        .get(&geobox_users::console::form::Field::Username)
        .cloned();
    assert!(
        error.as_deref().is_some_and(|e| e.contains("422")),
        "{form:?}"
    );
    console.press(KeyCode::Esc).await;
    console.type_text("y").await;
    assert!(matches!(console.model.mode, Mode::Normal));

    // Clearing the mobile sends null.
    console.type_text("e").await;
    for _ in 0..4 {
        console.press(KeyCode::Tab).await;
    }
    console.send(ctrl('u'));
    console.send(ctrl('s'));
    console.settle().await;
    let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
    assert_eq!(user.mobile, None);

    // u undoes that last save, after asking.
    console.type_text("u").await;
    console.type_text("y").await;
    let user = admin.get_user(UserRef::Id(id)).await.expect("the user");
    assert_eq!(user.mobile.as_deref(), Some("+98 912 345 6789"));
    server.shutdown().await;
}

#[tokio::test]
async fn big_g_reads_the_end_backwards_and_shows_the_same_rows_as_reading_forwards() {
    let server = start_server(450).await;
    let admin = admin_client(&server);
    let mut console = Console::open(&server).await;
    // Sorted by last name, a column many users share: ties must land the same either way.
    for (presses, order_by) in [
        ("", "id A"),
        ("o", "username A"),
        ("o", "last_name A, id A"),
        ("O", "last_name D, id D"),
    ] {
        console.type_text(presses).await;
        console.type_text("G").await;
        let total = console.model.users.total.expect("the count");
        let size = console.model.users.page_size;
        let start = (total - 1) / size * size;
        let shown: Vec<i64> = (start..total)
            .filter_map(|row| console.model.users.user_at(row).map(|user| user.id))
            .collect();
        let forwards: Vec<i64> = admin
            .list_users(
                &UserQuery::new()
                    .order_by(order_by)
                    .skip(start)
                    .limit(total - start),
            )
            .await
            .expect("the same rows read forwards")
            .iter()
            .map(|user| user.id)
            .collect();
        assert_eq!(
            shown.len() as u64,
            total - start,
            "{order_by}: the page is full"
        );
        assert_eq!(shown, forwards, "{order_by}");
        console.type_text("g").await;
    }
    server.shutdown().await;
}
