//! The CLI signs in once: the token of a password sign-in is kept per host and username in a
//! private file (0600) in the cache directory, reused until the server refuses it, and
//! removed by `logout`. The token is bound to the password that signed in: the file keeps a
//! salted, stretched hash of it (never the password), and a run given another password does
//! not ride on the token but signs in, so a wrong password fails at once and leaves the
//! cached sign-in as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::paths;
use geobox_api::{Secret, TokenStore};

/// Rounds of SHA-256 over the salted password. The file also holds the token, a credential
/// itself, so the hash guards the password against being read back, not a session; a hundred
/// rounds keep a cached run as fast as before even on a CPU without SHA instructions (2,000
/// cost 4 ms there, most of the run).
const HASH_ROUNDS: u32 = 100;

/// One cached sign-in: which host and username it is for, its token, and the check of the
/// password that made it (absent in files written before the check existed).
#[derive(Deserialize)]
pub struct CachedToken {
    pub host: String,
    pub username: String,
    pub token: Secret,
    #[serde(default)]
    password_check: Option<PasswordCheck>,
}

/// A salted, stretched hash of a password, hex-encoded.
#[derive(Clone, Deserialize, PartialEq, Eq)]
struct PasswordCheck {
    salt: String,
    hash: String,
}

impl PasswordCheck {
    fn new(password: &Secret) -> PasswordCheck {
        let mut salt = [0_u8; 16];
        // Without an OS generator the salt still differs from file to file and run to run.
        let mut rng = rand::rngs::StdRng::try_from_os_rng().unwrap_or_else(|_| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos());
            rand::rngs::StdRng::seed_from_u64(nanos as u64 ^ u64::from(std::process::id()))
        });
        rng.fill_bytes(&mut salt);
        let salt = hex(&salt);
        let hash = stretched_hash(&salt, password);
        PasswordCheck { salt, hash }
    }

    fn matches(&self, password: &Secret) -> bool {
        let hash = stretched_hash(&self.salt, password);
        // Same length by construction; compared without an early exit all the same.
        hash.len() == self.hash.len()
            && hash
                .bytes()
                .zip(self.hash.bytes())
                .fold(0_u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

fn stretched_hash(salt: &str, password: &Secret) -> String {
    let mut digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update([0])
        .chain_update(password.expose().as_bytes())
        .finalize();
    for _ in 1..HASH_ROUNDS {
        digest = Sha256::new()
            .chain_update(digest)
            .chain_update(salt.as_bytes())
            .finalize();
    }
    hex(&digest)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("host", &geobox_api::redact_host(&self.host))
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The cached token of one host and username, and of one password when it is given
/// ([`TokenFile::for_password`]): then only a token that password made is used.
#[derive(Clone)]
pub struct TokenFile {
    path: PathBuf,
    host: String,
    username: String,
    password: Option<Secret>,
}

impl std::fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenFile")
            .field("path", &self.path)
            .field("host", &geobox_api::redact_host(&self.host))
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
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
            password: None,
        }
    }

    /// This file for a sign-in with `password`: a token made with another password is not
    /// loaded (the run signs in with this one), and a token saved keeps a check of it.
    pub fn for_password(mut self, password: &Secret) -> TokenFile {
        self.password = Some(password.clone());
        self
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
        let cached = self.read()?;
        match (&self.password, &cached.password_check) {
            (None, _) => Some(cached.token),
            (Some(password), Some(check)) if check.matches(password) => Some(cached.token),
            // Another password, or a file from before the check: sign in afresh.
            (Some(_), _) => None,
        }
    }

    fn save(&self, token: &Secret) {
        let mut body = serde_json::json!({
            "host": self.host,
            "username": self.username,
            "token": token.expose(),
        });
        if let Some(password) = &self.password {
            let check = PasswordCheck::new(password);
            body["password_check"] = serde_json::json!({"salt": check.salt, "hash": check.hash});
        }
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
            password_check: None,
        };
        assert!(!format!("{cached:?}").contains("tok-secret"));
        let file = TokenFile::in_dir(Path::new("/tmp"), "http://h", "ops")
            .for_password(&Secret::new("pw-secret"));
        assert!(!format!("{file:?}").contains("pw-secret"));
    }

    #[test]
    fn a_token_serves_only_the_password_that_made_it_which_is_never_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |password: &str| {
            TokenFile::in_dir(dir.path(), "http://h.example/v1/", "ops")
                .for_password(&Secret::new(password))
        };
        file("right-pw-1").save(&Secret::new("tok-1"));
        let text = std::fs::read_to_string(file("x").path()).expect("written");
        assert!(!text.contains("right-pw-1"), "{text}");
        assert_eq!(
            file("right-pw-1")
                .load()
                .map(|t| t.expose().to_string())
                .as_deref(),
            Some("tok-1")
        );
        assert!(
            file("wrong-pw").load().is_none(),
            "another password signs in"
        );
        assert!(
            file("wrong-pw").read().is_some(),
            "and the file is left alone"
        );
        // The same password hashes differently in another file: the salt is random.
        let other = tempfile::tempdir().expect("tempdir");
        let again = TokenFile::in_dir(other.path(), "http://h.example/v1/", "ops")
            .for_password(&Secret::new("right-pw-1"));
        again.save(&Secret::new("tok-1"));
        let other_text = std::fs::read_to_string(again.path()).expect("written");
        let hash_of = |text: &str| -> String {
            let json: serde_json::Value = serde_json::from_str(text).expect("json");
            json["password_check"]["hash"]
                .as_str()
                .expect("a hash")
                .to_string()
        };
        assert_ne!(hash_of(&text), hash_of(&other_text));
        // A file from before the check serves a password run no more.
        let old = TokenFile::in_dir(dir.path(), "http://h.example/v1/", "old");
        old.save(&Secret::new("tok-old"));
        assert!(old.load().is_some());
        let bound = TokenFile::in_dir(dir.path(), "http://h.example/v1/", "old")
            .for_password(&Secret::new("pw"));
        assert!(bound.load().is_none());
    }
}
