//! Switching deployment (`C`), the search across deployments, and the name typed before a
//! write to a protected deployment.

use super::*;
use crate::console::fixtures::{deployments_env, press_in};
use crate::console::model::{FoundUser, PickerStage};
use crate::console::msg::Arrived;

fn three_deployments() -> Env {
    deployments_env("staging")
}

/// The same surroundings, showing `name` (as the loop does on `Cmd::UseDeployment`).
fn moved_to(env: &Env, name: &str) -> Env {
    let mut env = env.clone();
    let base = format!("https://{name}.example/v1/");
    assert!(env.switch_to(name, &base));
    env
}

fn sign_in_of(cmds: &[Cmd]) -> (RequestId, String, Option<String>) {
    cmds.iter()
        .find_map(|cmd| match cmd {
            Cmd::SignIn {
                request,
                deployment,
                password,
            } => Some((
                *request,
                deployment.clone(),
                password.as_ref().map(|p| p.expose().to_string()),
            )),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a sign-in expected: {cmds:?}"))
}

/// The sign-in to `name` (request `request`) answered with `result`, taken in `env`.
fn signed_in(
    model: &mut Model,
    env: &Env,
    request: RequestId,
    name: String,
    result: Result<Arrived, ApiError>,
) -> Vec<Cmd> {
    super::super::update(
        model,
        env,
        Msg::SignedIn {
            request,
            deployment: name,
            done: Done {
                request,
                took: Default::default(),
                result,
            },
        },
    )
}

/// Arrived at `api_base` as the fixtures' admin.
fn arrived(api_base: &str) -> Result<Arrived, ApiError> {
    Ok(Arrived {
        me: crate::console::fixtures::admin(),
        api_base: api_base.to_string(),
    })
}

/// The sign-in among `cmds` succeeds: the console arrives there (the loop switches `env`).
fn arrive(model: &mut Model, env: &Env, cmds: &[Cmd]) -> (Env, Vec<Cmd>) {
    let (request, name, _) = sign_in_of(cmds);
    let there = moved_to(env, &name);
    // The answer is taken on the deployment left; the loop then moves `env` there.
    let cmds = signed_in(model, env, request, name.clone(), arrived(&there.api_base));
    assert!(
        cmds.iter().any(|cmd| matches!(
            cmd,
            Cmd::UseDeployment { deployment, .. } if *deployment == name
        )),
        "the runner moves to {name}: {cmds:?}"
    );
    (there, cmds)
}

fn enter(model: &mut Model, env: &Env) -> Vec<Cmd> {
    press_in(model, env, KeyCode::Enter)
}

#[test]
fn c_lists_the_deployments_and_each_keeps_its_own_filters_and_selection() {
    let staging = three_deployments();
    let mut model = loaded_model(160, 45, 50);
    // On staging: a search and the sixth user.
    model.filters.search = "ali".into();
    type_keys_in(&mut model, &staging, "jjjjj");
    let left_on = model.users.selected_user().map(|user| user.id);

    type_keys_in(&mut model, &staging, "C");
    let Mode::Deployments(picker) = &model.mode else {
        panic!("C opens the picker: {:?}", model.mode);
    };
    assert_eq!(picker.cursor, 0, "the deployment shown is highlighted");
    // lab needs no password: ⏎ signs in at once, the rows are not touched yet.
    type_keys_in(&mut model, &staging, "jj");
    let cmds = enter(&mut model, &staging);
    let (_, name, password) = sign_in_of(&cmds);
    assert_eq!((name.as_str(), password), ("lab", None));
    assert!(page_requests(&cmds).is_empty(), "nothing reloads before");

    let (lab, cmds) = arrive(&mut model, &staging, &cmds);
    assert!(matches!(model.mode, Mode::Normal));
    assert_eq!(
        model.filters.search, "",
        "lab starts without staging's search"
    );
    assert!(!page_requests(&cmds).is_empty(), "lab's table is read");
    settle(&mut model, &FakeServer::new(50), cmds);
    type_keys_in(&mut model, &lab, "jj");

    // Back on staging: its search and selected user, as left.
    type_keys_in(&mut model, &lab, "C");
    assert!(
        matches!(&model.mode, Mode::Deployments(picker) if picker.cursor == 2),
        "lab is highlighted now"
    );
    type_keys_in(&mut model, &lab, "kk");
    let cmds = enter(&mut model, &lab);
    let (_, name, password) = sign_in_of(&cmds);
    assert_eq!((name.as_str(), password), ("staging", None));
    let (_, cmds) = arrive(&mut model, &lab, &cmds);
    assert_eq!(model.filters.search, "ali");
    settle(&mut model, &FakeServer::new(50), cmds);
    assert_eq!(model.users.selected_user().map(|user| user.id), left_on);
}

#[test]
fn a_profile_without_a_password_asks_for_it_masked_and_again_when_refused() {
    let staging = three_deployments();
    let mut model = loaded_model(160, 45, 50);
    type_keys_in(&mut model, &staging, "Cj");
    assert!(enter(&mut model, &staging).is_empty(), "nothing sent yet");
    assert!(matches!(
        &model.mode,
        Mode::Deployments(picker) if matches!(picker.stage, PickerStage::Password { .. })
    ));
    assert!(
        enter(&mut model, &staging).is_empty(),
        "an empty password is not sent"
    );
    // Letters are the password here, not keys: q does not close, j does not move.
    let cmds = type_keys_in(&mut model, &staging, "qj-s3cret");
    assert!(cmds.is_empty());
    assert!(!format!("{model:?}").contains("s3cret"), "Debug hides it");
    let cmds = enter(&mut model, &staging);
    let (request, name, password) = sign_in_of(&cmds);
    assert_eq!(name, "prod");
    assert_eq!(password.as_deref(), Some("qj-s3cret"));

    // Refused: the picker says why and asks again; the console stays on staging.
    signed_in(
        &mut model,
        &staging,
        request,
        name,
        Err(ApiError::Unauthorized {
            message: "bad credentials".into(),
        }),
    );
    let Mode::Deployments(picker) = &model.mode else {
        panic!("the picker stays open");
    };
    assert!(
        matches!(&picker.stage, PickerStage::Password { input, .. } if input.value().is_empty())
    );
    assert!(
        picker
            .error
            .as_deref()
            .is_some_and(|error| error.contains("Signing in to prod failed")),
        "{:?}",
        picker.error
    );
    // Prod cannot be reached: the list again, not the password (it was not what failed).
    type_keys_in(&mut model, &staging, "s3cret");
    let (request, name, _) = sign_in_of(&enter(&mut model, &staging));
    signed_in(
        &mut model,
        &staging,
        request,
        name,
        Err(ApiError::Connection {
            url: "https://prod.example/v1/".into(),
            reason: "connection refused".into(),
        }),
    );
    assert!(matches!(
        &model.mode,
        Mode::Deployments(picker) if matches!(picker.stage, PickerStage::List)
    ));
    // Esc closes: still on staging's table.
    press_in(&mut model, &staging, KeyCode::Esc);
    assert!(matches!(model.mode, Mode::Normal));
}

#[test]
fn an_answer_to_a_switch_given_up_is_dropped() {
    let staging = three_deployments();
    let mut model = loaded_model(160, 45, 50);
    type_keys_in(&mut model, &staging, "Cjj");
    let cmds = enter(&mut model, &staging);
    let (request, name, _) = sign_in_of(&cmds);
    press_in(&mut model, &staging, KeyCode::Esc);
    let cmds = signed_in(
        &mut model,
        &staging,
        request,
        name,
        arrived("https://lab.example/v1/"),
    );
    assert!(
        !cmds
            .iter()
            .any(|cmd| matches!(cmd, Cmd::UseDeployment { .. })),
        "the admin stayed where they were: {cmds:?}"
    );
}

#[test]
fn every_write_to_a_protected_deployment_waits_for_its_name() {
    let staging = three_deployments();
    let prod = moved_to(&staging, "prod");
    assert!(prod.protected);
    let mut model = loaded_model(160, 45, 50);
    // The status picker: choosing is the write; it is held.
    type_keys_in(&mut model, &prod, "jjjjs");
    assert!(
        matches!(model.mode, Mode::Picker(_)),
        "opening it is no write"
    );
    press_in(&mut model, &prod, KeyCode::Down);
    let cmds = enter(&mut model, &prod);
    assert!(edits(&cmds).is_empty(), "nothing sent: {cmds:?}");
    assert!(matches!(model.mode, Mode::Gate(_)));
    // A wrong name sends nothing and says so; letters are text here (q does not quit).
    type_keys_in(&mut model, &prod, "staging");
    let cmds = enter(&mut model, &prod);
    assert!(edits(&cmds).is_empty());
    assert!(matches!(&model.mode, Mode::Gate(gate) if gate.mismatch));
    assert!(!model.quit);
    for _ in 0.."staging".len() {
        press_in(&mut model, &prod, KeyCode::Backspace);
    }
    type_keys_in(&mut model, &prod, "prod");
    let cmds = enter(&mut model, &prod);
    assert_eq!(
        edits(&cmds),
        [(5, QuickChange::Status(UserStatus::Disabled))],
        "sent once the name matches"
    );

    // The delete dialog: the username typed, then the deployment's name.
    type_keys_in(&mut model, &prod, "jD");
    let victim = model.users.selected_user().cloned().expect("a user");
    type_keys_in(&mut model, &prod, &victim.username);
    let cmds = enter(&mut model, &prod);
    assert!(
        !cmds.iter().any(|cmd| matches!(cmd, Cmd::DeleteUser { .. })),
        "held: {cmds:?}"
    );
    // Esc: nothing sent, back in the delete dialog to say no.
    press_in(&mut model, &prod, KeyCode::Esc);
    assert!(matches!(&model.mode, Mode::Confirm(c) if matches!(**c, Confirm::Delete { .. })));

    // The same keys on an unprotected deployment send at once.
    let cmds = enter(&mut model, &staging);
    assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::DeleteUser { .. })));
}

#[test]
fn reading_on_a_protected_deployment_asks_nothing() {
    let prod = moved_to(&three_deployments(), "prod");
    let mut model = loaded_model(160, 45, 50);
    for keys in ["jj", "R", "/ali"] {
        type_keys_in(&mut model, &prod, keys);
        assert!(
            !matches!(model.mode, Mode::Gate(_)),
            "{keys} is no write: {:?}",
            model.mode
        );
    }
}

#[test]
fn the_search_across_deployments_goes_to_the_user_there() {
    let staging = three_deployments();
    let mut model = loaded_model(160, 45, 50);
    type_keys_in(&mut model, &staging, "C/");
    // `j` is text while the term is typed.
    let cmds = type_keys_in(&mut model, &staging, "ja");
    assert!(cmds.is_empty());
    let cmds = enter(&mut model, &staging);
    let request = match cmds.as_slice() {
        [Cmd::FindEverywhere { request, term }] if term == "ja" => *request,
        other => panic!("one search expected, got {other:?}"),
    };
    super::super::update(
        &mut model,
        &staging,
        Msg::FoundEverywhere {
            request,
            found: crate::console::fixtures::found_across(&[3], &[7, 9]),
        },
    );
    // The matches, across deployments: staging's 3, then lab's 7 and 9.
    type_keys_in(&mut model, &staging, "jj");
    let cmds = enter(&mut model, &staging);
    let (_, name, _) = sign_in_of(&cmds);
    assert_eq!(name, "lab");
    let Some(switching) = &model.elsewhere.switching else {
        panic!("a switch under way");
    };
    assert_eq!(
        switching.then,
        Some(FoundUser {
            deployment: "lab".into(),
            user_id: 9,
            term: "ja".into(),
        })
    );
    let (_, cmds) = arrive(&mut model, &staging, &cmds);
    assert_eq!(model.filters.search, "ja", "lab's table opens on the term");
    assert_eq!(model.pending_select, Some(9));
    assert!(!page_requests(&cmds).is_empty());
}
