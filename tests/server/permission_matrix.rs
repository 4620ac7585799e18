//! The permission matrix: every role × every operation on users, sessions, plans and members
//! × target (the caller themselves, another ordinary user, a System Admin) → the status the
//! server answers, each mismatch reported on its own. Every row that names another user gets
//! one of its own, taken from the seeded users and given the role it needs, so no row depends
//! on what another row did; the callers are seeded users too, so the matrix costs five
//! sign-ins.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::harness::{Call, Harness, Mismatches, Shape, new_user};
use geobox_server::SEED_PASSWORD;

/// The roles of the contract, in the order of a [`MATRIX`] row's statuses.
const ROLES: [&str; 5] = [
    "System Admin",
    "Account Admin",
    "Publisher",
    "Editor",
    "Viewer",
];

/// What an ordinary target user is.
const ORDINARY: &str = "Viewer";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// The operation names no user.
    Nobody,
    /// The caller's own account.
    Own,
    /// Another user of an ordinary role.
    Ordinary,
    /// Another System Admin.
    SystemAdmin,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    ListUsers,
    CountUsers,
    SearchUsers,
    GetMe,
    CreateUser,
    CreateSystemAdmin,
    ListPlans,
    GetPlan,
    GetUser,
    Rename,
    /// Sets the role the target already has: a privileged change that changes nothing.
    SetRole,
    /// Sets the status the target already has (`Active`).
    SetStatus,
    GrantSystemAdmin,
    Delete,
    ListSessions,
    CloseSession,
    RenewPlan,
    ListMembers,
    /// Makes a fresh ordinary user a member of the target.
    AddMember,
    /// Takes a member the admin gave the target away from it.
    RemoveMember,
    ChangePassword,
}

use Op::*;
use Target::*;

/// Each operation on each target and the status a caller of each role gets today, in the
/// order of [`ROLES`]. Rows run in this order: changing one's own password closes one's other
/// sessions, so it comes after closing one.
#[rustfmt::skip]
const MATRIX: &[(Op, Target, [u16; 5])] = &[
    //                                  SA   AA   Pub  Edi  Vie
    (ListUsers,         Nobody,        [200, 200, 403, 403, 403]),
    (CountUsers,        Nobody,        [200, 200, 403, 403, 403]),
    (SearchUsers,       Nobody,        [200, 200, 403, 403, 403]),
    (GetMe,             Nobody,        [200, 200, 200, 200, 200]),
    (CreateUser,        Nobody,        [200, 200, 403, 403, 403]),
    (CreateSystemAdmin, Nobody,        [200, 403, 403, 403, 403]),
    (ListPlans,         Nobody,        [200, 200, 200, 200, 200]),
    (GetPlan,           Nobody,        [200, 200, 200, 200, 200]),

    (GetUser,           Own,           [200, 200, 200, 200, 200]),
    (GetUser,           Ordinary,      [200, 200, 403, 403, 403]),
    (GetUser,           SystemAdmin,   [200, 200, 403, 403, 403]),

    (Rename,            Own,           [200, 200, 200, 200, 200]),
    (Rename,            Ordinary,      [200, 200, 403, 403, 403]),
    (Rename,            SystemAdmin,   [200, 403, 403, 403, 403]),

    (SetRole,           Own,           [200, 200, 403, 403, 403]),
    (SetRole,           Ordinary,      [200, 200, 403, 403, 403]),
    (SetRole,           SystemAdmin,   [200, 403, 403, 403, 403]),

    (SetStatus,         Own,           [200, 200, 403, 403, 403]),
    (SetStatus,         Ordinary,      [200, 200, 403, 403, 403]),
    (SetStatus,         SystemAdmin,   [200, 403, 403, 403, 403]),

    (GrantSystemAdmin,  Own,           [200, 403, 403, 403, 403]),
    (GrantSystemAdmin,  Ordinary,      [200, 403, 403, 403, 403]),
    (GrantSystemAdmin,  SystemAdmin,   [200, 403, 403, 403, 403]),

    (Delete,            Own,           [403, 403, 403, 403, 403]),
    (Delete,            Ordinary,      [200, 200, 403, 403, 403]),
    (Delete,            SystemAdmin,   [200, 403, 403, 403, 403]),

    (ListSessions,      Own,           [200, 200, 200, 200, 200]),
    (ListSessions,      Ordinary,      [200, 200, 403, 403, 403]),
    (ListSessions,      SystemAdmin,   [200, 403, 403, 403, 403]),

    (CloseSession,      Own,           [200, 200, 200, 200, 200]),
    (CloseSession,      Ordinary,      [200, 200, 403, 403, 403]),
    (CloseSession,      SystemAdmin,   [200, 403, 403, 403, 403]),

    (RenewPlan,         Own,           [200, 200, 403, 403, 403]),
    (RenewPlan,         Ordinary,      [200, 200, 403, 403, 403]),
    (RenewPlan,         SystemAdmin,   [200, 403, 403, 403, 403]),

    (ListMembers,       Own,           [200, 200, 200, 200, 200]),
    (ListMembers,       Ordinary,      [200, 200, 403, 403, 403]),
    (ListMembers,       SystemAdmin,   [200, 200, 403, 403, 403]),

    (AddMember,         Own,           [200, 200, 403, 403, 403]),
    (AddMember,         Ordinary,      [200, 200, 403, 403, 403]),
    (AddMember,         SystemAdmin,   [200, 403, 403, 403, 403]),

    (RemoveMember,      Own,           [200, 200, 403, 403, 403]),
    (RemoveMember,      Ordinary,      [200, 200, 403, 403, 403]),
    (RemoveMember,      SystemAdmin,   [200, 403, 403, 403, 403]),

    (ChangePassword,    Own,           [200, 200, 200, 200, 200]),
    (ChangePassword,    Ordinary,      [200, 200, 403, 403, 403]),
    (ChangePassword,    SystemAdmin,   [200, 403, 403, 403, 403]),
];

#[tokio::test]
async fn every_role_every_operation_every_target() {
    let h = Harness::start(400).await;
    let mut pool = Pool::load(&h).await;
    let mut callers = Vec::new();
    for role in ROLES {
        let user = pool.take(&h, role, true).await;
        let token = h.login(&user.username, SEED_PASSWORD).await;
        callers.push((user, token));
    }

    let mut mismatches = Mismatches::default();
    for (row, (op, target, statuses)) in MATRIX.iter().enumerate() {
        for ((caller, token), status) in callers.iter().zip(statuses) {
            let subject = match target {
                Nobody | Own => caller.clone(),
                Ordinary => pool.take(&h, ORDINARY, *op == CloseSession).await,
                SystemAdmin => pool.take(&h, "System Admin", *op == CloseSession).await,
            };
            let call = call_for(&h, &mut pool, *op, &subject, row).await;
            let answer = h.send(&call, Some(token)).await;
            let label = format!("{} · {op:?} · {target:?}", caller.role);
            mismatches.check(&label, &answer, *status, &Shape::Json);
        }
    }
    mismatches.assert_none();
    h.stop().await;
}

/// The request for `op` on `subject`, after any setup it needs. `row` tells apart the users
/// the create rows make.
async fn call_for(h: &Harness, pool: &mut Pool, op: Op, subject: &Seeded, row: usize) -> Call {
    let id = subject.id;
    let user = format!("users/{id}/");
    match op {
        ListUsers => Call::get("users/?f=json"),
        CountUsers => Call::get("users/?f=json&return_count=True"),
        SearchUsers => Call::get("users/search/?search=a"),
        GetMe => Call::get("users/me/?f=json"),
        CreateUser | CreateSystemAdmin => {
            let role = if op == CreateUser {
                ORDINARY
            } else {
                "System Admin"
            };
            let username = format!("matrix.{row}.{id}");
            Call::post("users/").json(new_user(&username, role, "Active", "Matrix-pass-1"))
        }
        ListPlans => Call::get("plans/?f=json"),
        GetPlan => Call::get(format!("plans/{}/?f=json", pool.plan)),
        GetUser => Call::get(format!("{user}?f=json")),
        Rename => Call::put(user, json!({"first_name": "Renamed"})),
        SetRole => Call::put(user, json!({"role": subject.role})),
        SetStatus => Call::put(user, json!({"status": "Active"})),
        GrantSystemAdmin => Call::put(user, json!({"role": "System Admin"})),
        Delete => Call::delete(user),
        ListSessions => Call::get(format!("{user}sessions/?f=json")),
        CloseSession => {
            let uuid = subject.session.as_deref().expect("a target with a session");
            Call::post(format!("users/{id}/sessions/{uuid}"))
                .json(json!({"user_id": id, "session_uuid": uuid}))
        }
        RenewPlan => Call::post(format!("users/{id}/renewPlan")),
        ListMembers => Call::get(format!("users/{id}/members")),
        AddMember => {
            let member = pool.take(h, ORDINARY, false).await;
            Call::post(format!("users/{id}/members/{}", member.id))
        }
        RemoveMember => {
            let member = pool.take(h, ORDINARY, false).await;
            let path = format!("users/{id}/members/{}", member.id);
            let (code, body) = h.sdk(Method::POST, &path, &h.admin_token, None).await;
            assert_eq!(
                code,
                StatusCode::OK,
                "the admin adds a member to take away: {body}"
            );
            Call::delete(path)
        }
        ChangePassword => Call::change_password(id, "Matrix-pass-2"),
    }
}

/// A seeded user as a row needs it.
#[derive(Clone, Debug)]
struct Seeded {
    id: i64,
    username: String,
    role: &'static str,
    /// One of its sessions, when the row closes one (for a caller: not the one it signs in with).
    session: Option<String>,
}

/// The seeded users no row has used yet: active and nobody's member, so any of them can be
/// made a member of any other without a cycle.
struct Pool {
    users: std::vec::IntoIter<(i64, String)>,
    /// A plan that renews, given to every user taken, so renewing them can succeed.
    plan: i64,
}

impl Pool {
    async fn load(h: &Harness) -> Pool {
        let (code, users) = h
            .q("status = 'Active' AND parent_id IS NULL AND id > 1")
            .await;
        assert_eq!(code, StatusCode::OK, "{users}");
        let users: Vec<(i64, String)> = users
            .as_array()
            .expect("array")
            .iter()
            .map(|user| {
                let id = user["id"].as_i64().expect("id");
                (id, user["username"].as_str().expect("username").to_string())
            })
            .collect();
        let (_, plans) = h
            .get("plans/?f=json&q=number_of_days+%3E+0", &h.admin_token)
            .await;
        let plan = plans[0]["id"].as_i64().expect("a plan that renews");
        Pool {
            users: users.into_iter(),
            plan,
        }
    }

    /// The next unused seeded user, made an active `role` on the renewing plan by the admin;
    /// with one of its sessions when `with_session`.
    async fn take(&mut self, h: &Harness, role: &'static str, with_session: bool) -> Seeded {
        loop {
            let (id, username) = self
                .users
                .next()
                .expect("enough seeded users for every row: seed more");
            let session = if with_session {
                let (_, sessions) = h
                    .get(&format!("users/{id}/sessions/?f=json"), &h.admin_token)
                    .await;
                match sessions[0]["uuid"].as_str() {
                    Some(uuid) => Some(uuid.to_string()),
                    None => continue,
                }
            } else {
                None
            };
            let (code, body) = h
                .sdk(
                    Method::PUT,
                    &format!("users/{id}/"),
                    &h.admin_token,
                    Some(json!({"role": role, "status": "Active", "plan_id": self.plan})),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{body}");
            return Seeded {
                id,
                username,
                role,
                session,
            };
        }
    }
}
