use super::*;

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

/// One of the ways to open a private file.
type Opener = fn(&Path) -> io::Result<File>;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A file someone else wants written over: its text and mode must stay as they are.
fn victim(dir: &Path) -> PathBuf {
    let victim = dir.join("fake-bashrc");
    std::fs::write(&victim, "echo kept\n").expect("written");
    chmod(&victim, 0o644);
    victim
}

fn assert_untouched(victim: &Path) {
    assert_eq!(
        std::fs::read_to_string(victim).expect("read"),
        "echo kept\n"
    );
    assert_eq!(
        mode(victim),
        0o644,
        "the target of a link is never chmodded"
    );
}

#[test]
fn private_files_are_for_the_owner_only_even_when_they_existed_wider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("nested/fresh.txt");
    open_private_append(&fresh).expect("created");
    assert_eq!(mode(&fresh), 0o600);
    assert_eq!(mode(&dir.path().join("nested")), 0o700);

    let wide = dir.path().join("wide.txt");
    std::fs::write(&wide, "x").expect("written");
    chmod(&wide, 0o644);
    create_private(&wide).expect("opened");
    assert_eq!(mode(&wide), 0o600);
    assert_eq!(std::fs::read(&wide).expect("read"), b"", "truncated");
}

#[test]
fn a_planted_link_is_never_written_through_nor_its_target_chmodded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = victim(dir.path());
    let openers: [(&str, Opener); 4] = [
        ("append (journal, console log)", open_private_append),
        ("create (token cache)", create_private),
        ("create new (passwords, export)", create_new_private),
        ("replace (--force)", replace_private),
    ];
    for (what, open) in openers {
        let link = dir.path().join("planted");
        symlink(&victim, &link).expect("symlink");
        let error = open(&link).expect_err(what);
        let text = error.to_string();
        assert!(
            text.contains("symbolic link") || text.contains("already exists"),
            "{what}: {text}"
        );
        assert_untouched(&victim);
        std::fs::remove_file(&link).expect("removed");
    }
    // A dangling link is no way in either: O_EXCL and O_NOFOLLOW refuse it alike.
    let dangling = dir.path().join("dangling");
    symlink(dir.path().join("not-yet"), &dangling).expect("symlink");
    assert!(create_new_private(&dangling).is_err());
    assert!(replace_private(&dangling).is_err());
    assert!(!dir.path().join("not-yet").exists());
}

#[test]
fn a_new_file_is_never_one_that_exists_and_replacing_takes_only_a_plain_own_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("passwords.csv");
    create_new_private(&path).expect("created");
    assert_eq!(mode(&path), 0o600);
    std::fs::write(&path, "username,password\nneda,kept\n").expect("written");
    let exists = create_new_private(&path).expect_err("exists");
    assert_eq!(exists.kind(), io::ErrorKind::AlreadyExists);
    assert!(exists.to_string().contains("--force"), "{exists}");
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .contains("kept")
    );

    chmod(&path, 0o644);
    replace_private(&path).expect("replaced");
    assert_eq!(std::fs::read(&path).expect("read"), b"");
    assert_eq!(mode(&path), 0o600);

    let victim = victim(dir.path());
    let hard = dir.path().join("hard-link");
    std::fs::hard_link(&victim, &hard).expect("hard link");
    let error = replace_private(&hard).expect_err("another name of a file");
    assert!(error.to_string().contains("hard link"), "{error}");
    assert_untouched(&victim);
}

#[test]
fn a_directory_others_may_write_in_is_refused_naming_it_and_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    for wide in [0o777, 0o775, 0o1777] {
        chmod(&shared, wide);
        for open in [open_private_append, create_private] {
            let error = open(&shared.join("journal.jsonl")).expect_err("refused");
            let text = error.to_string();
            assert!(text.contains(&shared.display().to_string()), "{text}");
            assert!(text.contains("chmod go-w"), "{text}");
            assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        }
        assert!(!shared.join("journal.jsonl").exists());
    }
    chmod(&shared, 0o755);
    open_private_append(&shared.join("journal.jsonl")).expect("a directory of one's own");
    // Files the user names may go anywhere they may write: O_EXCL and O_NOFOLLOW guard them.
    chmod(&shared, 0o1777);
    create_new_private(&shared.join("export.csv")).expect("in a shared directory");
}

#[test]
fn a_directory_of_someone_else_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let theirs = dir.path().join("theirs");
    std::fs::create_dir(&theirs).expect("mkdir");
    chmod(&theirs, 0o755);
    let owner = std::fs::metadata(&theirs).expect("metadata").uid();
    if current_uid() == 0 {
        // Only root can give a directory away; elsewhere the owner check is the one above.
        std::os::unix::fs::chown(&theirs, Some(4242), None).expect("chown");
        let error = create_private(&theirs.join("token.json")).expect_err("refused");
        assert!(
            error.to_string().contains("belongs to user 4242"),
            "{error}"
        );
    } else {
        assert_eq!(owner, current_uid());
    }
}

#[test]
fn same_file_sees_through_other_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "x").expect("written");
    let via_dot = dir.path().join(".").join("people.csv");
    assert!(same_file(&file, &via_dot));
    assert!(!same_file(&file, &dir.path().join("other.csv")));
}
