//! Where geobox-users keeps its files: the platform's data and cache directories (or one
//! directory named by `GEOBOX_USERS_DATA_DIR`), and the only ways to open a private file.
//!
//! Private files hold what others must not read or change: cached sign-in tokens, the journal,
//! generated passwords, exports of every user. A file planted where one of them goes must not
//! be written through: a symbolic link is never followed (`O_NOFOLLOW`), a new file is created
//! only if nothing is there (`O_EXCL`), an existing one is narrowed to 0600 through its own
//! handle (never the target of a link), and a directory of ours that someone else owns or may
//! write in is refused, since they could plant files in it between two runs.
//!
//! - [`open_private_append`], [`create_private`]: files in our own directories (the journal,
//!   the console's log, the token cache, the views' temporary file); the directory is checked.
//! - [`create_new_private`], [`replace_private`]: files the user names (`--passwords-out`, an
//!   export); never an existing one, unless replacing it was asked for (`--force`).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Names a directory that replaces both the data and the cache directory: tests and
/// portable setups point it anywhere, so nothing they do touches the real home.
pub const DATA_DIR_VAR: &str = "GEOBOX_USERS_DATA_DIR";

/// The data directory (`~/.local/share/geobox-users` on Linux): the demo database, the journal.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = override_dir() {
        return Some(dir);
    }
    project_dirs().map(|dirs| dirs.data_dir().to_path_buf())
}

/// The cache directory (`~/.cache/geobox-users` on Linux): logs, cached tokens. Under the
/// override it is its `cache` subdirectory.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = override_dir() {
        return Some(dir.join("cache"));
    }
    project_dirs().map(|dirs| dirs.cache_dir().to_path_buf())
}

/// The config directory (`~/.config/geobox-users` on Linux), where `config.toml` lives.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().to_path_buf())
}

fn override_dir() -> Option<PathBuf> {
    std::env::var_os(DATA_DIR_VAR)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "geobox-users")
}

/// Opens a file of our own directories for appending, creating it (and its directory)
/// readable by the owner only. A file that already exists is narrowed to 0600 too, in case
/// something else created it wider.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    own_directory_of(path)?;
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    open_no_follow(path, &mut options).and_then(|file| narrowed(path, file))
}

/// Creates or truncates a file of our own directories for writing, readable by the owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    own_directory_of(path)?;
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    let file = open_no_follow(path, &mut options).and_then(|file| narrowed(path, file))?;
    file.set_len(0)?;
    Ok(file)
}

/// Creates a file the user named, readable by the owner only, when nothing is at `path`
/// yet: an existing file (or link) is an [`io::ErrorKind::AlreadyExists`] error saying so.
/// A missing directory is created for the owner only.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    create_missing_dir_of(path)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    open_no_follow(path, &mut options).map_err(|error| match error.kind() {
        io::ErrorKind::AlreadyExists => io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists; nothing is written over it (choose another name, or \
                 replace it with --force)",
                path.display()
            ),
        ),
        _ => error,
    })
}

/// Replaces a file the user named (asked for with `--force`), or creates it, readable by the
/// owner only. Only a regular file of the user's own, with no other name (hard link), is
/// written over: never a link's target.
pub fn replace_private(path: &Path) -> io::Result<File> {
    create_missing_dir_of(path)?;
    let mut options = OpenOptions::new();
    options.write(true).create(true);
    let file = open_no_follow(path, &mut options)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let metadata = file.metadata()?;
        if metadata.nlink() > 1 {
            return Err(refused(format!(
                "{} has other names (hard links); it is not written over",
                path.display()
            )));
        }
    }
    let file = narrowed(path, file)?;
    file.set_len(0)?;
    Ok(file)
}

/// Whether two paths name the same file (both existing).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

/// Checks that `dir`, one of our own directories, is the user's and that nobody else may
/// write in it; creates it (and missing parents) for the owner only when it is missing.
pub fn check_private_dir(dir: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(dir).is_err() {
        return create_dir_for_owner(dir);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // Followed: a link to a directory of the user's own is fine, its target is checked.
        let metadata = std::fs::metadata(dir)?;
        if !metadata.is_dir() {
            return Err(refused(format!("{} is not a directory", dir.display())));
        }
        let mode = metadata.permissions().mode() & 0o777;
        let me = current_uid();
        if metadata.uid() != me {
            return Err(refused(format!(
                "refusing to keep private files in {}: it belongs to user {}, not to you ({me}). \
                 Use a directory of your own (set {DATA_DIR_VAR}), or `chown {me} {}`",
                dir.display(),
                metadata.uid(),
                dir.display()
            )));
        }
        if mode & 0o022 != 0 {
            return Err(refused(format!(
                "refusing to keep private files in {}: other users may write in it (mode \
                 {mode:03o}), so they could plant files there. Fix it with `chmod go-w {}` \
                 (or `chmod 700 {}`)",
                dir.display(),
                dir.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The directory of a file in our own directories, checked, and the data or cache directory
/// above it too when the file lies deeper (the token cache's `tokens/`).
fn own_directory_of(path: &Path) -> io::Result<()> {
    let Some(dir) = parent_of(path) else {
        return Ok(());
    };
    for root in [data_dir(), cache_dir()].into_iter().flatten() {
        if dir != root && dir.starts_with(&root) {
            check_private_dir(&root)?;
        }
    }
    check_private_dir(dir)
}

fn create_missing_dir_of(path: &Path) -> io::Result<()> {
    match parent_of(path) {
        Some(dir) if std::fs::symlink_metadata(dir).is_err() => create_dir_for_owner(dir),
        _ => Ok(()),
    }
}

fn parent_of(path: &Path) -> Option<&Path> {
    path.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
}

/// Creates a directory (and its parents); a new one is for the owner only.
fn create_dir_for_owner(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Opens without following a link at `path` itself; a new file is 0600.
fn open_no_follow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        options.open(path).map_err(|error| {
            // Linux says ELOOP for a link met with O_NOFOLLOW, the BSDs EMLINK.
            let link = matches!(error.raw_os_error(), Some(libc::ELOOP | libc::EMLINK))
                || std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if link {
                refused(format!(
                    "{} is a symbolic link; refusing to write through it (someone may have \
                     planted it): remove it, or choose another path",
                    path.display()
                ))
            } else {
                error
            }
        })
    }
    #[cfg(not(unix))]
    {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refused(format!(
                "{} is a symbolic link; refusing to write through it",
                path.display()
            )));
        }
        options.open(path)
    }
}

/// An opened file that must be a regular file of the user's own, narrowed to 0600 through its
/// handle (so never a link's target).
fn narrowed(path: &Path, file: File) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(refused(format!("{} is not a regular file", path.display())));
        }
        if metadata.uid() != current_uid() {
            return Err(refused(format!(
                "{} belongs to user {}, not to you; it is not written",
                path.display(),
                metadata.uid()
            )));
        }
        if metadata.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(file)
}

#[cfg(unix)]
fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

// Only Unix has the permission bits, owners and O_NOFOLLOW these check.
#[cfg(all(test, unix))]
#[path = "paths_tests.rs"]
mod tests;
