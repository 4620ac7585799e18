//! Made-up users and a pretend server that answers commands from memory: the same data for
//! update tests, view snapshots and benchmarks, all without a network.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use geobox_api::{ApiError, Session, User};

use super::cmd::Cmd;
use super::deployment::Deployment;
use super::env::Env;
use super::model::Model;
use super::msg::{Done, Msg};

const FIRST: [&str; 8] = [
    "Sara", "Ali", "Reza", "Maryam", "Neda", "Omid", "Leila", "Kian",
];
const LAST: [&str; 6] = [
    "Moradi", "Rezaei", "Karimi", "Ahmadi", "Hosseini", "Tehrani",
];
const ROLES: [&str; 5] = ["Editor", "Viewer", "Publisher", "Account Admin", "Viewer"];
const STATUSES: [&str; 4] = ["Active", "Active", "Pending", "Disabled"];

/// The "now" of every fixture: screens that show relative times stay the same run to run.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The surroundings of every fixture: the built-in keys and colours, no API base, nowhere to
/// keep views.
pub fn env() -> Env {
    Env::new("geobox.example.ir")
}

/// A deployment of the config file: `https://{name}.example`, its password asked for when
/// `asks_password`, red and protected when `protected`.
pub fn deployment(name: &str, asks_password: bool, protected: bool) -> Deployment {
    Deployment {
        name: name.to_string(),
        host: format!("https://{name}.example"),
        api_base: format!("https://{name}.example/v1/"),
        demo_url: None,
        signs_in: if asks_password {
            "password (ops), asked for".into()
        } else {
            "API key".into()
        },
        asks_password,
        protected,
        color: protected.then_some(ratatui::style::Color::Red),
        problem: None,
        view_store: None,
    }
}

/// The fixtures' surroundings with three deployments, `shown` the one shown: `staging`,
/// `prod` (protected, red, its password asked for) and `lab`.
pub fn deployments_env(shown: &str) -> Env {
    let mut env = env();
    env.deployments = vec![
        deployment("staging", false, false),
        deployment("prod", true, true),
        deployment("lab", false, false),
    ];
    let base = format!("https://{shown}.example/v1/");
    assert!(env.switch_to(shown, &base), "{shown} is one of them");
    env
}

/// `update` in the fixtures' surroundings ([`env`]).
pub fn update(model: &mut Model, msg: Msg) -> Vec<Cmd> {
    super::update::update(model, &env(), msg)
}

/// The user with this id, always the same.
pub fn user(id: i64) -> User {
    let index = id.unsigned_abs() as usize;
    let first = FIRST[index % FIRST.len()];
    let last = LAST[(index / 3) % LAST.len()];
    let username = format!("{}.{}{id}", first.to_lowercase(), last.to_lowercase());
    let status = if id % 11 == 0 {
        "New"
    } else {
        STATUSES[index % STATUSES.len()]
    };
    let plan = if id % 3 == 0 {
        json!(null)
    } else {
        json!({"id": 1 + id % 2, "name": if id % 2 == 0 { "pro" } else { "basic" },
               "display_name": if id % 2 == 0 { "Pro" } else { "Basic" },
               "plan_color": if id % 2 == 0 { "#22aa55" } else { "#3366cc" }, "number_of_days": 30})
    };
    let expiration = if id % 3 == 0 {
        json!(null)
    } else if id % 4 == 0 {
        json!("2026-11-20")
    } else {
        json!("2026-12-11")
    };
    let value = json!({
        "id": id,
        "username": username,
        "email": format!("{username}@example.ir"),
        "first_name": first,
        "last_name": last,
        "mobile": if id % 2 == 0 { json!(format!("+98 912 000 {:04}", id % 10_000)) } else { json!(null) },
        "role": ROLES[index % ROLES.len()],
        "status": status,
        "plan": plan,
        "expiration_date": expiration,
        "parent_id": if id % 7 == 0 { json!(1) } else { json!(null) },
        "created_at": "2025-04-02T08:30:00",
        "tenant_zone": "ir-1",
    });
    serde_json::from_value(value).unwrap_or_else(|_| User {
        id,
        username: String::new(),
        email: None,
        first_name: None,
        last_name: None,
        mobile: None,
        role: None,
        status: None,
        plan: None,
        expiration_date: None,
        parent_id: None,
        created_at: None,
        extra: Default::default(),
    })
}

/// The signed-in admin.
/// A search across three deployments: `staging` and `lab` found these users, `prod` could
/// not be reached.
pub fn found_across(staging: &[i64], lab: &[i64]) -> Vec<super::msg::FoundIn> {
    let found = |deployment: &str, ids: &[i64]| super::msg::FoundIn {
        deployment: deployment.into(),
        result: Ok(ids.iter().copied().map(user).collect()),
    };
    vec![
        found("staging", staging),
        super::msg::FoundIn {
            deployment: "prod".into(),
            result: Err(ApiError::Connection {
                url: "https://prod.example/v1/".into(),
                reason: "connection refused".into(),
            }),
        },
        found("lab", lab),
    ]
}

pub fn admin() -> User {
    let mut admin = user(1);
    admin.username = "admin".to_string();
    admin.role = Some(geobox_api::UserRole::SystemAdmin);
    admin
}

/// Three sessions, the first of them this console's own.
pub fn sessions() -> Vec<Session> {
    let value = json!([
        {"uuid": "3f2a9c1e-0000-4000-8000-000000000001", "agent": "geobox-users/0.1.0", "ip": "127.0.0.1",
         "created_at": "2026-11-29T10:00:00Z", "last_seen": "2026-11-29T11:59:50Z", "current": true},
        {"uuid": "7b1d2e3f-0000-4000-8000-000000000002", "agent": "geobox-python/2.11", "ip": "10.0.4.7",
         "created_at": "2026-11-26T12:00:00Z", "last_seen": "2026-11-26T12:00:00Z", "current": false},
        {"uuid": "c0ffee00-0000-4000-8000-000000000003", "agent": "curl/8.5", "ip": "5.22.1.9",
         "created_at": "2026-11-20T12:00:00Z", "last_seen": "2026-11-20T12:00:00Z"},
    ]);
    serde_json::from_value(value).unwrap_or_default()
}

/// Answers commands from memory as a server with `total` users (ids 1..=total) would.
#[derive(Clone, Debug)]
pub struct FakeServer {
    pub total: u64,
    /// Answer every request with this error instead.
    pub fail_with: Option<ApiError>,
    /// Give at most this many users per page, as servers that cap `limit` do.
    pub cap: Option<u64>,
}

impl FakeServer {
    pub fn new(total: u64) -> Self {
        FakeServer {
            total,
            fail_with: None,
            cap: None,
        }
    }

    /// A server of `total` users that refuses connections, as after it was killed.
    pub fn gone(total: u64) -> Self {
        FakeServer {
            fail_with: Some(ApiError::Connection {
                url: "http://geobox.example.ir/v1/".into(),
                reason: "connection refused".into(),
            }),
            ..FakeServer::new(total)
        }
    }

    fn done<T>(&self, request: super::msg::RequestId, value: T) -> Done<T> {
        Done {
            request,
            took: Duration::from_millis(4),
            result: match &self.fail_with {
                Some(error) => Err(error.clone()),
                None => Ok(value),
            },
        }
    }

    /// The users a list query reads. Users sort by id here whatever the column; the
    /// direction is honoured, so pages read backwards come out right.
    pub fn rows(&self, query: &geobox_api::UserQuery) -> Vec<User> {
        let limit = self.cap.map_or(query.limit, |cap| query.limit.min(cap));
        let end = (query.skip + limit).min(self.total);
        let descending = query
            .order_by
            .as_deref()
            .and_then(|order| order.split(',').next())
            .is_some_and(|first| first.trim_end().ends_with('D'));
        (query.skip..end)
            .map(|row| {
                let id = if descending {
                    self.total - row
                } else {
                    row + 1
                };
                user(id as i64)
            })
            .collect()
    }

    /// The answer to one command; `None` for commands that have none (timers, logs).
    pub fn answer(&self, cmd: &Cmd) -> Option<Msg> {
        Some(match cmd {
            Cmd::LoadMe { request } => Msg::MeLoaded(self.done(*request, admin())),
            Cmd::LoadUsers {
                request,
                page,
                query,
            } => Msg::UsersLoaded {
                page: *page,
                done: self.done(*request, self.rows(query)),
            },
            Cmd::RefreshRows {
                request,
                window,
                query,
            } => Msg::LiveRowsRead {
                window: *window,
                done: self.done(*request, self.rows(query)),
            },
            Cmd::RefreshCount { request, .. } => Msg::LiveCounted(self.done(*request, self.total)),
            Cmd::CountUsers { request, .. } => Msg::UsersCounted(self.done(*request, self.total)),
            Cmd::LoadSessions { request, user_id } => Msg::SessionsLoaded {
                user_id: *user_id,
                done: self.done(*request, sessions()),
            },
            _ => return None,
        })
    }
}

/// A model of `width` x `height` with the first screen of a `total`-user server loaded and the
/// selected user's sessions in.
pub fn loaded_model(width: u16, height: u16, total: u64) -> Model {
    let mut model = Model {
        width,
        height,
        now: now(),
        ..Model::default()
    };
    let cmds = super::update::init(&mut model);
    settle(&mut model, &FakeServer::new(total), cmds);
    model
}

/// Answers commands (and fires timers at once) until nothing is left, like a very fast server.
pub fn settle(model: &mut Model, server: &FakeServer, cmds: Vec<Cmd>) {
    let mut queue = std::collections::VecDeque::from(cmds);
    while let Some(cmd) = queue.pop_front() {
        let msg = match cmd {
            Cmd::After { msg, .. } => Some(*msg),
            other => server.answer(&other),
        };
        if let Some(msg) = msg {
            queue.extend(update(model, msg));
        }
    }
}

/// Answers a live refresh among `cmds` as a server of `total` users whose list `edit`
/// changed (users gone, come or changed); the sessions and the count as [`FakeServer`] has
/// them. Returns what `update` asked for next.
pub fn answer_refresh(
    model: &mut Model,
    cmds: &[Cmd],
    total: u64,
    edit: impl Fn(&mut Vec<User>),
) -> Vec<Cmd> {
    let server = FakeServer::new(total);
    let mut all = server.rows(&geobox_api::UserQuery::new().skip(0).limit(total));
    edit(&mut all);
    let mut out = Vec::new();
    for cmd in cmds {
        let msg = match cmd {
            Cmd::RefreshRows {
                request,
                window,
                query,
            } => Msg::LiveRowsRead {
                window: *window,
                done: server.done(
                    *request,
                    all.iter()
                        .skip(query.skip as usize)
                        .take(query.limit as usize)
                        .cloned()
                        .collect(),
                ),
            },
            Cmd::RefreshCount { .. } | Cmd::LoadSessions { .. } => match server.answer(cmd) {
                Some(msg) => msg,
                None => continue,
            },
            _ => continue,
        };
        out.extend(update(model, msg));
    }
    out
}

/// What the lockdown library reports when the session step failed and a password was set.
pub fn partly_failed_lockdown(user_id: i64, username: &str) -> super::msg::LockdownDone {
    use geobox_ops::journal::{Action, Entry, Outcome, Tool};
    super::msg::LockdownDone {
        entry: Box::new(Entry::new(
            "",
            Tool::Console,
            Action::Lockdown,
            Outcome::Error("close sessions failed".into()),
        )),
        username: Some(username.to_string()),
        steps: vec![
            "disable         ok     status Active → Disabled".to_string(),
            "close sessions  FAILED closed 1 of 2 sessions".to_string(),
            "new password    ok     set (shown below, once)".to_string(),
        ],
        missed: Some(format!(
            "the lockdown of {username} ({user_id}) is incomplete: not done: close sessions \
             (error: not allowed (403))"
        )),
        new_password: Some(geobox_api::Secret::new("Zq8!rT2m#Lp4".to_string())),
    }
}

/// One key press, without modifiers, through `update`: the commands it gives.
pub fn press(model: &mut Model, code: crossterm::event::KeyCode) -> Vec<Cmd> {
    press_in(model, &env(), code)
}

/// One key press, without modifiers, through `update` in `env`: the commands it gives.
pub fn press_in(model: &mut Model, env: &Env, code: crossterm::event::KeyCode) -> Vec<Cmd> {
    super::update::update(
        model,
        env,
        Msg::KeyPressed(crossterm::event::KeyEvent::new(
            code,
            crossterm::event::KeyModifiers::NONE,
        )),
    )
}

/// Types each character as a key press and gathers the commands.
pub fn type_text(model: &mut Model, text: &str) -> Vec<Cmd> {
    type_text_in(model, &env(), text)
}

/// Types each character as a key press in `env` and gathers the commands.
pub fn type_text_in(model: &mut Model, env: &Env, text: &str) -> Vec<Cmd> {
    text.chars()
        .flat_map(|c| press_in(model, env, crossterm::event::KeyCode::Char(c)))
        .collect()
}
