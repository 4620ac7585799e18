//! The CLI signs in once: the token of a password sign-in is kept per host and username in a
//! private file (0600) in the cache directory, reused until the server refuses it, and
//! removed by `logout`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::paths;
use geobox_api::{Secret, TokenStore};

/// One cached sign-in: which host and username it is for, and its token.
#[derive(Deserialize)]
pub struct CachedToken {
    pub host: String,
    pub username: String,
    pub token: Secret,
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("host", &geobox_api::redact_host(&self.host))
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The cached token of one host and username.
#[derive(Clone, Debug)]
pub struct TokenFile {
    path: PathBuf,
    host: String,
    username: String,
}

/// The directory of the cached tokens, when there is a cache directory.
pub fn tokens_dir() -> Option<PathBuf> {
    paths::cache_dir().map(|dir| dir.join("tokens"))
}

impl TokenFile {
    /// The cache file of `host` (the API's base URL) and `username` in `dir`. The name is a
    /// hash: a host may carry a password (`https://user:pass@host`), which must not become a
    /// file name.
    pub fn in_dir(dir: &Path, host: &str, username: &str) -> TokenFile {
        let digest = Sha256::digest(format!("{host}\n{username}").as_bytes());
        let name: String = digest
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        TokenFile {
            path: dir.join(format!("{name}.json")),
            host: host.to_string(),
            username: username.to_string(),
        }
    }

    /// The cache file in the default directory, when there is one.
    pub fn default_for(host: &str, username: &str) -> Option<TokenFile> {
        tokens_dir().map(|dir| TokenFile::in_dir(&dir, host, username))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached sign-in, when there is one for this host and username.
    pub fn read(&self) -> Option<CachedToken> {
        read_cached(&self.path)
            .filter(|cached| cached.host == self.host && cached.username == self.username)
    }

    /// Removes the file; a missing one is already removed.
    pub fn remove(&self) -> std::io::Result<()> {
        remove_quietly(&self.path)
    }
}

impl TokenStore for TokenFile {
    fn load(&self) -> Option<Secret> {
        self.read().map(|cached| cached.token)
    }

    fn save(&self, token: &Secret) {
        let body = serde_json::json!({
            "host": self.host,
            "username": self.username,
            "token": token.expose(),
        });
        let written = paths::create_private(&self.path)
            .and_then(|mut file| file.write_all(body.to_string().as_bytes()));
        if let Err(error) = written {
            // The run goes on signed in; the next one signs in again.
            tracing::warn!(%error, "cannot keep the sign-in token in the cache");
        }
    }

    fn forget(&self) {
        if let Err(error) = self.remove() {
            tracing::warn!(%error, "cannot remove a refused token from the cache");
        }
    }
}

/// Every cached sign-in in `dir` with the file it is in; unreadable files are skipped.
pub fn all_in(dir: &Path) -> Vec<(PathBuf, CachedToken)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, CachedToken)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| read_cached(&path).map(|cached| (path, cached)))
        .collect();
    found.sort_by(|a, b| (&a.1.host, &a.1.username).cmp(&(&b.1.host, &b.1.username)));
    found
}

fn read_cached(path: &Path) -> Option<CachedToken> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn remove_quietly(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_token_is_read_back_for_its_host_and_username_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = TokenFile::in_dir(dir.path(), "http://h.example/v1/", "ops");
        assert!(file.load().is_none());
        file.save(&Secret::new("tok-1"));
        assert_eq!(
            file.load().map(|t| t.expose().to_string()).as_deref(),
            Some("tok-1")
        );
        let other_user = TokenFile::in_dir(dir.path(), "http://h.example/v1/", "ana");
        let other_host = TokenFile::in_dir(dir.path(), "http://g.example/v1/", "ops");
        assert!(other_user.load().is_none() && other_host.load().is_none());
        assert_eq!(all_in(dir.path()).len(), 1);
        file.forget();
        assert!(file.load().is_none());
        assert!(all_in(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_for_the_owner_only_and_its_name_holds_no_host() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = TokenFile::in_dir(dir.path(), "http://ops:hunter2@h.example/v1/", "ops");
        file.save(&Secret::new("tok"));
        let mode = std::fs::metadata(file.path())
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let name = file.path().to_string_lossy().to_string();
        assert!(
            !name.contains("hunter2") && !name.contains("h.example"),
            "{name}"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let cached = CachedToken {
            host: "http://h".to_string(),
            username: "ops".to_string(),
            token: Secret::new("tok-secret"),
        };
        assert!(!format!("{cached:?}").contains("tok-secret"));
    }
}
