//! The files the binary keeps for its user alone (the journal, the cached sign-in token) are
//! never written through a link someone planted, and never kept in a directory others may
//! write in. The passwords file of an import has its own test in `import.rs`.
#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::bulk::{Demo, assert_success, stderr};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// A file an attacker wants written: a shell start-up file.
fn victim(demo: &Demo) -> PathBuf {
    let victim = demo.path("fake-bashrc");
    std::fs::write(&victim, "export PS1='$ '\n").expect("written");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    victim
}

#[track_caller]
fn assert_untouched(victim: &Path) {
    assert_eq!(
        std::fs::read_to_string(victim).expect("read"),
        "export PS1='$ '\n",
        "nothing written through the link"
    );
    assert_eq!(mode(victim), 0o644, "the link's target was not chmodded");
}

/// One write the journal records: a user created by an import.
fn a_journaled_write(demo: &Demo) -> std::process::Output {
    std::fs::write(
        demo.path("one.csv"),
        "username,email,password\nfile.one,file.one@example.ir,Long-enough-1\n",
    )
    .expect("written");
    demo.run(&["users", "import", "one.csv"])
}

#[test]
fn the_journal_is_never_written_through_a_planted_link() {
    // The database, or the log SQLite writes beside it.
    for planted in ["journal.sqlite", "journal.sqlite-wal"] {
        let demo = Demo::start(5);
        let data = demo.path("data");
        std::fs::create_dir_all(&data).expect("mkdir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        let victim = victim(&demo);
        symlink(&victim, data.join(planted)).expect("planted");
        let output = a_journaled_write(&demo);
        assert_success(&output);
        assert!(
            stderr(&output).contains("not journaled") && stderr(&output).contains("symbolic link"),
            "{planted}: {}",
            stderr(&output)
        );
        assert_untouched(&victim);
    }
}

#[test]
fn a_data_directory_others_may_write_in_is_refused_naming_it_and_the_fix() {
    let demo = Demo::start(5);
    let data = demo.path("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let output = a_journaled_write(&demo);
    let said = stderr(&output);
    assert!(said.contains(&data.display().to_string()), "{said}");
    assert!(said.contains("chmod go-w"), "{said}");
    assert!(!data.join("journal.sqlite").exists(), "nothing kept there");
    let cache_files = std::fs::read_dir(data.join("cache/tokens"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(
        cache_files, 0,
        "no token kept in a directory others may write in"
    );
}

#[test]
fn the_cached_token_is_never_written_through_a_planted_link() {
    let demo = Demo::start(5);
    assert_success(&demo.run(&["users", "list", "--count"]));
    let tokens = demo.path("data/cache/tokens");
    let cached: Vec<PathBuf> = std::fs::read_dir(&tokens)
        .expect("the token cache")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(cached.len(), 1, "{cached:?}");
    assert_eq!(mode(&tokens), 0o700);
    // Someone swaps the cached token for a link: the next sign-in must not write through it.
    std::fs::remove_file(&cached[0]).expect("removed");
    let victim = victim(&demo);
    symlink(&victim, &cached[0]).expect("planted");
    assert_success(&demo.run(&["users", "list", "--count"]));
    assert_untouched(&victim);
}
