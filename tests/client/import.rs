//! `users import` as people use it, the built binary against the embedded server: our own
//! export imported back, files from spreadsheets (CRLF, blank lines, `;`, Latin-1), stdin,
//! the passwords file, and a file the server would refuse in part, which is refused whole.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::bulk::{Demo, assert_success, stderr, stdout};
use geobox_api::{User, UserRef, UserRole, UserStatus};

/// What an import can set of a user, to compare a user before an export and after its import.
fn importable(user: &User) -> Value {
    let mut value = serde_json::to_value(user).expect("a user");
    let object = value.as_object_mut().expect("an object");
    for generated in ["id", "created_at", "updated_at", "last_login", "parent_id"] {
        object.remove(generated);
    }
    value
}

#[track_caller]
fn assert_refused(output: &std::process::Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    let said = stderr(output);
    assert!(said.contains("nothing was imported"), "{said}");
    said
}

#[test]
fn our_own_export_imports_back_as_it_was() {
    let demo = Demo::start(60);
    let filter = "id > 40";
    let exported = demo.run(&["users", "list", "--all", "--q", filter, "--output", "csv"]);
    assert_success(&exported);
    let csv = stdout(&exported);
    assert!(!csv.contains('\r'), "\\n line ends by default on Unix");
    assert!(
        csv.contains(",'+"),
        "mobiles carry the formula guard: {csv}"
    );
    std::fs::write(demo.path("export.csv"), &csv).expect("written");
    let gone: BTreeMap<String, Value> = demo
        .users()
        .into_iter()
        .filter(|user| user.id > 40)
        .map(|user| (user.username.clone(), importable(&user)))
        .collect();
    assert!(gone.len() >= 20, "{}", gone.len());

    // Read back on the same server, every row is a user that exists, with nothing to update.
    let same = demo.run(&[
        "users",
        "import",
        "export.csv",
        "--update-existing",
        "--dry-run",
    ]);
    assert_success(&same);
    assert!(
        stdout(&same).lines().all(|line| line.contains(": skip ")),
        "{}",
        stdout(&same)
    );

    for user in demo.users().into_iter().filter(|user| user.id > 40) {
        demo.runtime
            .block_on(demo.admin.delete_user(user.id))
            .expect("deleted");
    }
    let imported = demo.run(&["users", "import", "export.csv", "--passwords-out", "pw.csv"]);
    assert_success(&imported);
    assert!(
        stderr(&imported).contains(&format!("created {},", gone.len())),
        "{}",
        stderr(&imported)
    );
    let back: BTreeMap<String, Value> = demo
        .users()
        .into_iter()
        .filter(|user| gone.contains_key(&user.username))
        .map(|user| (user.username.clone(), importable(&user)))
        .collect();
    assert_eq!(back, gone, "every field an import sets came back as it was");
}

#[test]
fn line_numbers_are_the_files_own_with_crlf_and_blank_lines() {
    let demo = Demo::start(5);
    std::fs::write(
        demo.path("excel.csv"),
        "username,email\r\nl.one,l.one@example.ir\r\n\r\nl.two,l.two@example.ir\r\nl.bad,bad-email\r\n",
    )
    .expect("written");
    let said = assert_refused(&demo.run(&["users", "import", "excel.csv", "--dry-run"]));
    assert!(
        said.contains("excel.csv: line 5: email: 'bad-email'"),
        "the bad row is on the file's line 5: {said}"
    );
}

#[test]
fn a_semicolon_file_is_read_and_a_latin1_file_asks_for_utf8_once() {
    let demo = Demo::start(5);
    std::fs::write(
        demo.path("libre.csv"),
        "username;email;role\nsemi.one;semi.one@example.ir;editor\n",
    )
    .expect("written");
    let semi = demo.run(&["users", "import", "libre.csv", "--dry-run"]);
    assert_success(&semi);
    assert!(
        stderr(&semi).contains("as a ;-separated file"),
        "{}",
        stderr(&semi)
    );
    assert_eq!(stdout(&semi), "line 2: create semi.one\n");

    std::fs::write(demo.path("unknowable.csv"), "user;mail\nx;y\n").expect("written");
    let hint = assert_refused(&demo.run(&["users", "import", "unknowable.csv", "--dry-run"]));
    assert!(
        hint.contains("this looks like a ;-separated file"),
        "{hint}"
    );

    std::fs::write(
        demo.path("latin1.csv"),
        b"username,email,first_name\nl.one,l.one@example.ir,Jos\xe9\nl.two,l.two@example.ir,Andr\xe9\n",
    )
    .expect("written");
    let latin1 = assert_refused(&demo.run(&["users", "import", "latin1.csv", "--dry-run"]));
    assert_eq!(
        latin1.lines().count(),
        1,
        "one error, not one per row: {latin1}"
    );
    assert!(
        latin1.contains("not UTF-8") && latin1.contains("Save it as UTF-8"),
        "{latin1}"
    );
    assert!(latin1.contains("line 2"), "{latin1}");
}

#[test]
fn a_dash_reads_the_file_from_stdin() {
    let demo = Demo::start(5);
    let total = demo.count(&[]);
    let file = b"username,email,password\nstdin.one,stdin.one@example.ir,Long-enough-1\n";
    let dry = demo.run_with_stdin(&["users", "import", "-", "--dry-run"], file);
    assert_success(&dry);
    assert_eq!(stdout(&dry), "line 2: create stdin.one\n");
    let json = demo.run_with_stdin(&["users", "import", "-", "--dry-run", "-o", "json"], file);
    assert_success(&json);
    let plans: Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(
        plans,
        serde_json::json!([{"line": 2, "action": "create", "username": "stdin.one", "id": null, "fields": []}])
    );
    let csv = demo.run_with_stdin(&["users", "import", "-", "--dry-run", "-o", "csv"], file);
    assert_eq!(
        stdout(&csv),
        "line,action,username,id,fields\n2,create,stdin.one,,\n"
    );
    let done = demo.run_with_stdin(&["users", "import", "-"], file);
    assert_success(&done);
    assert_eq!(demo.count(&[]), total + 1);
    assert_eq!(demo.journal()[0]["detail"], "stdin");
}

#[test]
fn a_file_the_server_would_refuse_in_part_is_refused_whole() {
    let demo = Demo::start(20);
    let total = demo.count(&[]);
    let taken = demo
        .users()
        .into_iter()
        .find(|user| user.id > 1)
        .and_then(|user| user.email)
        .expect("a seeded email");
    let file = format!(
        "username,email,first_name,plan_id,password\n\
         half.one,half.one@example.ir,Good,,Long-enough-1\n\
         half.two,HALF.ONE@example.ir,Same email,,Long-enough-1\n\
         half.three,{},Taken email,,Long-enough-1\n\
         half.four,half.four@example.ir,No such plan,999,Long-enough-1\n\
         نیما,nima@example.ir,Persian username,,Long-enough-1\n\
         half.five,half.five@example.ir,\u{1b}]52;c;cm0gLXJmIH4=\u{7},,Long-enough-1\n\
         half.six,half.six@example.ir,{},,Long-enough-1\n",
        taken.to_uppercase(),
        "x".repeat(101)
    );
    std::fs::write(demo.path("half.csv"), file).expect("written");
    for dry_run in [true, false] {
        let mut args = vec!["users", "import", "half.csv", "--passwords-out", "pw.csv"];
        if dry_run {
            args.push("--dry-run");
        }
        let output = demo.run(&args);
        let said = assert_refused(&output);
        for named in [
            "line 3: email: 'HALF.ONE@example.ir' is already on line 2",
            "line 4: email:",
            "is already the email of",
            "line 5: plan_id: plan 999 does not exist",
            "line 6: username: 'نیما': username may contain only English letters",
            "line 7: first_name: '⟨U+001B⟩]52;c;cm0gLXJmIH4=⟨U+0007⟩': String should not contain control characters",
            "line 8: first_name:",
        ] {
            assert!(said.contains(named), "{named} not in {said}");
        }
        assert!(!said.contains("half.csv: line 2:"), "{said}");
        assert!(
            !output
                .stderr
                .iter()
                .any(|byte| *byte == 0x1b || *byte == 0x07),
            "no raw control byte from the file reaches the terminal"
        );
        assert_eq!(demo.count(&[]), total, "nothing created");
        assert!(!demo.path("pw.csv").exists(), "no passwords file");
    }
    assert!(demo.journal().is_empty());
}

#[test]
fn a_passwords_file_is_never_written_over_unless_forced_and_never_the_input() {
    let demo = Demo::start(5);
    std::fs::write(
        demo.path("people.csv"),
        "username,email\npw.one,pw.one@example.ir\npw.two,pw.two@example.ir\n",
    )
    .expect("written");
    std::fs::write(
        demo.path("pw.csv"),
        "username,password\nold,Kept-forever-1\n",
    )
    .expect("written");
    let refused =
        assert_refused(&demo.run(&["users", "import", "people.csv", "--passwords-out", "pw.csv"]));
    assert!(
        refused.contains("already exists") && refused.contains("--force"),
        "{refused}"
    );
    assert!(
        std::fs::read_to_string(demo.path("pw.csv"))
            .expect("kept")
            .contains("Kept-forever-1")
    );
    let input = assert_refused(&demo.run(&[
        "users",
        "import",
        "people.csv",
        "--passwords-out",
        "./people.csv",
        "--force",
    ]));
    assert!(input.contains("is the file being imported"), "{input}");
    assert!(
        std::fs::read_to_string(demo.path("people.csv"))
            .expect("kept")
            .starts_with("username,email\n")
    );

    #[cfg(unix)]
    {
        std::fs::write(demo.path("victim.txt"), "kept\n").expect("written");
        std::os::unix::fs::symlink(demo.path("victim.txt"), demo.path("planted.csv"))
            .expect("symlink");
        let planted = demo.run(&[
            "users",
            "import",
            "people.csv",
            "--passwords-out",
            "planted.csv",
            "--force",
        ]);
        assert_eq!(planted.status.code(), Some(1), "{}", stderr(&planted));
        assert!(
            stderr(&planted).contains("symbolic link"),
            "{}",
            stderr(&planted)
        );
        assert_eq!(
            std::fs::read_to_string(demo.path("victim.txt")).expect("kept"),
            "kept\n"
        );
        assert_eq!(demo.count(&["--q", "username LIKE 'pw.%'"]), 0);
    }

    let forced = demo.run(&[
        "users",
        "import",
        "people.csv",
        "--passwords-out",
        "pw.csv",
        "--force",
    ]);
    assert_success(&forced);
    let passwords = std::fs::read_to_string(demo.path("pw.csv")).expect("passwords");
    assert!(!passwords.contains("Kept-forever-1"));
    assert_eq!(passwords.lines().count(), 3, "{passwords}");
}

#[test]
fn admin_rights_from_a_file_are_confirmed_and_warned_about() {
    let demo = Demo::start(5);
    std::fs::write(
        demo.path("admins.csv"),
        "username,email,role,password\n\
         boss.one,boss.one@example.ir,System Admin,Long-enough-1\n\
         acct.one,acct.one@example.ir,account-admin,Long-enough-1\n\
         plain.one,plain.one@example.ir,viewer,Long-enough-1\n",
    )
    .expect("written");
    let total = demo.count(&[]);
    let unasked = demo.run(&["users", "import", "admins.csv"]);
    let said = assert_refused(&unasked);
    assert!(said.contains("⚠ boss.one will be System Admin"), "{said}");
    assert!(said.contains("⚠ acct.one will be Account Admin"), "{said}");
    assert_eq!(demo.count(&[]), total);
    let yes = demo.run(&["users", "import", "admins.csv", "--yes"]);
    assert_success(&yes);
    assert!(
        stderr(&yes).contains("⚠ boss.one will be System Admin"),
        "{}",
        stderr(&yes)
    );
    assert_eq!(
        demo.count(&["--role", "system-admin", "--q", "username = 'boss.one'"]),
        1
    );
}

#[test]
fn an_import_never_disables_or_demotes_the_signed_in_admin() {
    let demo = Demo::start(5);
    let me = demo
        .runtime
        .block_on(demo.admin.get_user(UserRef::Me))
        .expect("me");
    std::fs::write(
        demo.path("self.csv"),
        format!(
            "username,email,status,role\n{},{},disabled,viewer\n",
            me.username,
            me.email.clone().unwrap_or_default()
        ),
    )
    .expect("written");
    let output = demo.run(&["users", "import", "self.csv", "--update-existing", "--yes"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("(you) is left out: the change would disable you"),
        "{}",
        stderr(&output)
    );
    let after = demo
        .runtime
        .block_on(demo.admin.get_user(UserRef::Me))
        .expect("me");
    assert_eq!(after.status, Some(UserStatus::Active));
    assert_eq!(after.role, Some(UserRole::SystemAdmin));
}
