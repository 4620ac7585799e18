//! Where geobox-users keeps its files: the platform's data and cache directories (or one
//! directory named by `GEOBOX_USERS_DATA_DIR`), and the one way to create a private file.

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

/// Opens `path` for appending, creating it (and its directory) readable by the owner only. A
/// file that already exists is narrowed to 0600 too, in case something else created it wider.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    open_private(path, &mut options)
}

/// Creates or truncates `path` for writing, readable by the owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    open_private(path, &mut options)
}

fn open_private(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        create_private_dir(parent)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        let metadata = file.metadata()?;
        if metadata.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        options.open(path)
    }
}

/// Creates a directory (and its parents); a new one is for the owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

// Only Unix has the permission bits these check.
#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn private_files_are_for_the_owner_only_even_when_they_existed_wider() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let fresh = dir.path().join("nested/fresh.txt");
        open_private_append(&fresh).expect("created");
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&fresh), 0o600);

        let wide = dir.path().join("wide.txt");
        std::fs::write(&wide, "x").expect("written");
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        create_private(&wide).expect("opened");
        assert_eq!(mode(&wide), 0o600);
    }
}
