//! `users update` and `users create` keep the promises bulk-update keeps: the signed-in admin
//! never shuts themselves out by a slip (alone: their username typed at a terminal; among
//! others: left out), and admin rights are never given without a ⚠ line and a yes.

use crate::bulk::{Demo, assert_success, stderr};
use crate::bulk_safety::on_terminal;
use geobox_api::{User, UserRef, UserRole, UserStatus, UserUpdate};

fn me(demo: &Demo) -> User {
    demo.runtime
        .block_on(demo.admin.get_user(UserRef::Me))
        .expect("me")
}

fn user(demo: &Demo, id: i64) -> User {
    demo.runtime
        .block_on(demo.admin.get_user(UserRef::Id(id)))
        .expect("the user")
}

/// A seeded user who manages nobody and is not the admin.
fn a_viewer_or_editor(demo: &Demo) -> User {
    let me = me(demo);
    demo.users()
        .into_iter()
        .find(|user| {
            user.id != me.id
                && user.status == Some(UserStatus::Active)
                && matches!(user.role, Some(UserRole::Viewer | UserRole::Editor))
        })
        .expect("a seeded viewer or editor")
}

#[test]
fn disabling_or_demoting_oneself_is_refused_without_a_terminal_even_with_yes() {
    let demo = Demo::start(10);
    for change in [["--status", "disabled"], ["--role", "viewer"]] {
        let mut args = vec!["users", "update", "me", "--yes"];
        args.extend_from_slice(&change);
        let refused = demo.run(&args);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{change:?}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("type your username"),
            "{}",
            stderr(&refused)
        );
    }
    let me = me(&demo);
    assert_eq!(me.status, Some(UserStatus::Active));
    assert_eq!(me.role, Some(UserRole::SystemAdmin));
    assert!(demo.journal().is_empty(), "nothing was written");
}

#[test]
fn the_signed_in_admin_named_among_others_is_left_out() {
    let demo = Demo::start(10);
    let other = a_viewer_or_editor(&demo);
    let other_id = other.id.to_string();
    let output = demo.run(&[
        "users", "update", "me", &other_id, "--status", "disabled", "--yes",
    ]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("admin (you) is left out: the change would disable you"),
        "{}",
        stderr(&output)
    );
    assert_eq!(me(&demo).status, Some(UserStatus::Active));
    assert_eq!(user(&demo, other.id).status, Some(UserStatus::Disabled));
}

#[cfg(unix)]
#[test]
fn at_a_terminal_only_ones_own_username_disables_oneself() {
    let demo = Demo::start(5);
    let admin_id = me(&demo).id;
    let (screen, code) = on_terminal(
        &demo,
        &["users", "update", "me", "--status", "disabled"],
        "to go ahead:",
        "y\r",
    );
    assert!(screen.contains("Type your username (admin)"), "{screen}");
    assert!(screen.contains("disable you"), "{screen}");
    assert_eq!(code, 1, "{screen}");
    assert_eq!(
        me(&demo).status,
        Some(UserStatus::Active),
        "a y is not the name"
    );

    // The server keeps one active System Admin: another one first.
    let other = a_viewer_or_editor(&demo);
    let promote = UserUpdate {
        role: Some(UserRole::SystemAdmin),
        ..UserUpdate::default()
    };
    demo.runtime
        .block_on(demo.admin.update_user(other.id, &promote))
        .expect("another System Admin");

    let (screen, code) = on_terminal(
        &demo,
        &["users", "update", "me", "--status", "disabled"],
        "to go ahead:",
        "admin\r",
    );
    assert_eq!(code, 0, "{screen}");
    // The admin is signed out at once, so the journal says what happened.
    let entries = demo.journal();
    assert_eq!(entries.len(), 1, "the change was journaled: {entries:?}");
    assert!(entries[0].to_string().contains("Disabled"), "{entries:?}");
    assert_eq!(
        entries[0]["changes"][0]["user_id"].as_i64(),
        Some(admin_id),
        "{entries:?}"
    );
}

#[test]
fn giving_admin_rights_needs_a_yes_and_always_says_so() {
    let demo = Demo::start(10);
    let target = a_viewer_or_editor(&demo);
    let id = target.id.to_string();

    let refused = demo.run(&["users", "update", &id, "--role", "system-admin"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("⚠ {} will be System Admin", target.username))
            && stderr(&refused).contains("pass --yes"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(user(&demo, target.id).role, target.role, "unchanged");

    let granted = demo.run(&["users", "update", &id, "--role", "account-admin", "--yes"]);
    assert_success(&granted);
    assert!(
        stderr(&granted).contains(&format!("⚠ {} will be Account Admin", target.username)),
        "{}",
        stderr(&granted)
    );
    assert_eq!(user(&demo, target.id).role, Some(UserRole::AccountAdmin));

    // A role that gives nothing new asks nothing.
    let same = demo.run(&["users", "update", &id, "--role", "account-admin"]);
    assert_success(&same);
    assert!(!stderr(&same).contains('⚠'), "{}", stderr(&same));
}

#[test]
fn creating_an_admin_needs_a_yes_and_always_says_so() {
    let new_admin = |username: &str, yes: bool| {
        let email = format!("{username}@example.org");
        let mut args = vec![
            "users",
            "create",
            "--username",
            username,
            "--email",
            &email,
            "--role",
            "system-admin",
        ];
        if yes {
            args.push("--yes");
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let demo = Demo::start(5);
    let before = demo.users().len();
    let args = new_admin("sara", false);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = demo.run_with_stdin(&args, b"Sara-pass-word-1\n");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("⚠ sara will be System Admin"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(demo.users().len(), before, "nobody was created");

    let args = new_admin("sara", true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let created = demo.run_with_stdin(&args, b"Sara-pass-word-1\n");
    assert_success(&created);
    assert!(
        stderr(&created).contains("⚠ sara will be System Admin"),
        "{}",
        stderr(&created)
    );
    assert_eq!(demo.users().len(), before + 1);
}

#[cfg(unix)]
#[test]
fn at_a_terminal_a_grant_is_asked_and_a_no_changes_nothing() {
    let demo = Demo::start(10);
    let target = a_viewer_or_editor(&demo);
    let id = target.id.to_string();
    let (screen, code) = on_terminal(
        &demo,
        &["users", "update", &id, "--role", "system-admin"],
        "[y/N]",
        "n\r",
    );
    assert!(
        screen.contains(&format!("⚠ {} will be System Admin", target.username)),
        "{screen}"
    );
    assert_eq!(code, 1, "{screen}");
    assert_eq!(user(&demo, target.id).role, target.role);
}
