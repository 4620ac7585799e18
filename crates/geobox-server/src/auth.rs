//! Who is asking: password hashing (argon2), opaque tokens bound to sessions, API keys, and
//! the extractor that turns a request into a [`Caller`].

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Query};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use super::error::{ServerError, ServerResult};
use super::limits::{self, Precedence};
use super::state::AppState;
use super::store::{self, Principal, UserRow};

/// A session's `last_seen` is rewritten at most this often, so reads stay reads.
const TOUCH_AFTER_SECONDS: f64 = 60.0;
/// The sessions a user may have open; signing in once more closes the oldest.
pub const MAX_SESSIONS_PER_USER: usize = 20;
/// How much of a client's user agent a session keeps, in characters.
pub const MAX_AGENT_CHARS: usize = 512;

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> ServerResult<[u8; N]> {
    let mut bytes = [0u8; N];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|error| ServerError::Internal(format!("no randomness: {error}")))?;
    Ok(bytes)
}

/// A fresh secret for a token or an API key: 256 random bits, URL-safe.
pub fn new_secret() -> ServerResult<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// A readable random password (letters and digits, no look-alikes).
pub fn new_password() -> ServerResult<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    Ok(random_bytes::<18>()?
        .iter()
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect())
}

/// Tokens and keys are stored hashed: a leaked database file opens no session.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An argon2id PHC string. Slow on purpose: call it on a blocking thread.
pub fn hash_password(password: &str) -> ServerResult<String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|error| ServerError::Internal(format!("salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ServerError::Internal(format!("hashing: {error}")))
}

/// An argon2 hash, made on a hashing thread (it is slow on purpose) once a permit is free
/// (see `limits`). The caller is signed in: the hash goes before failing sign-ins.
pub async fn hash_off_runtime(password: String) -> ServerResult<String> {
    limits::hash_permit(Precedence::CLEAN)
        .await?
        .run(move || hash_password(&password))
        .await?
}

/// Checks a sign-in: the user, if the password is theirs and they may sign in. Every failure
/// answers the same (unknown user, wrong password, disabled account) and takes as long, so
/// the answer tells nothing about the account; failures are counted against the username at
/// the address, the address and the username, which wait longer and longer (429) once past a
/// few (see `limits::sign_ins` for who waits, and why the owner is not among them).
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: String,
    address: IpAddr,
) -> ServerResult<UserRow> {
    let precedence = state.sign_ins.check(username, address)?;
    let permit = limits::hash_permit(precedence).await?;
    // Failures may have piled up while this one waited for its permit.
    state.sign_ins.check(username, address)?;
    let name = username.to_string();
    let found = state
        .store
        .read(move |conn| Ok(store::find_login(conn, &name)?))
        .await?;
    let dummy = Arc::clone(&state.dummy_hash);
    let verified = permit
        .run(move || match found {
            Some((user, hash)) => verify_password(&password, &hash).then_some(user),
            None => {
                if let Ok(dummy) = dummy_hash(&dummy) {
                    verify_password(&password, dummy);
                }
                None
            }
        })
        .await?;
    match verified {
        Some(user) if !user.is_disabled() => {
            state.sign_ins.succeeded(username, address);
            Ok(user)
        }
        _ => {
            state.sign_ins.failed(username, address);
            Err(ServerError::unauthorized("Incorrect username or password"))
        }
    }
}

/// The hash an unknown username's sign-in is verified against (kept in `cell`), so that it
/// takes as long as a known one's. Made on the first such sign-in, not at start: most runs
/// never need it. Slow the first time: call it on a blocking thread.
pub fn dummy_hash(cell: &OnceLock<String>) -> ServerResult<&str> {
    if let Some(hash) = cell.get() {
        return Ok(hash);
    }
    let hash = hash_password(&new_password()?)?;
    Ok(cell.get_or_init(|| hash))
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The signed-in user behind a request.
#[derive(Clone, Debug)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_string())
            });
        let principal = if let Some(token) = bearer {
            let hash = secret_hash(&token);
            let found = state
                .store
                .read(move |conn| Ok(store::principal_by_token(conn, &hash)?))
                .await?;
            let expired = || ServerError::unauthorized("invalid or expired token: sign in again");
            let Some((principal, last_seen)) = found else {
                return Err(expired());
            };
            let idle = seconds_since(&last_seen);
            if let Some(uuid) = principal.session_uuid.clone() {
                if idle > state.session_idle.as_secs_f64() {
                    state
                        .store
                        .write(move |conn| Ok(store::delete_session_by_uuid(conn, &uuid)?))
                        .await?;
                    return Err(expired());
                }
                if idle > touch_after(state.session_idle) {
                    state
                        .store
                        .write(move |conn| Ok(store::touch_session(conn, &uuid)?))
                        .await?;
                }
            }
            principal
        } else {
            let key = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|Query(pairs)| {
                    pairs
                        .into_iter()
                        .find(|(name, value)| name == "apikey" && !value.is_empty())
                        .map(|(_, value)| value)
                });
            let Some(key) = key else {
                return Err(ServerError::unauthorized("not authenticated"));
            };
            let hash = secret_hash(&key);
            state
                .store
                .read(move |conn| Ok(store::principal_by_api_key(conn, &hash)?))
                .await?
                .ok_or_else(|| ServerError::unauthorized("invalid API key"))?
        };
        if principal.user.is_disabled() {
            return Err(ServerError::unauthorized("this user is disabled"));
        }
        Ok(Caller(principal))
    }
}

/// Seconds since a stored time; a time that does not parse counts as long ago.
fn seconds_since(stored: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(stored).map_or(f64::INFINITY, |seen| {
        let age = chrono::Utc::now() - seen.with_timezone(&chrono::Utc);
        age.num_milliseconds() as f64 / 1000.0
    })
}

/// After how many idle seconds a request rewrites `last_seen`: rarely, so reads stay reads,
/// but often enough that a session in use never reaches its idle expiry.
fn touch_after(session_idle: Duration) -> f64 {
    (session_idle.as_secs_f64() / 4.0).min(TOUCH_AFTER_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("P@ssw0rd").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("P@ssw0rd", &hash));
        assert!(!verify_password("p@ssw0rd", &hash));
        assert!(!verify_password("P@ssw0rd", "not a hash"));
    }

    #[test]
    fn a_session_in_use_is_touched_well_before_it_expires() {
        assert_eq!(touch_after(Duration::from_secs(3600)), 60.0);
        assert_eq!(touch_after(Duration::from_secs(8)), 2.0);
        assert!(seconds_since(&store::now()) < 2.0);
        assert!(seconds_since("2020-01-01T00:00:00Z") > 1e8);
        assert_eq!(seconds_since("garbage"), f64::INFINITY);
    }

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let (a, b) = (new_secret().expect("a"), new_secret().expect("b"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_eq!(secret_hash("abc").len(), 64);
        assert_eq!(new_password().expect("password").len(), 18);
    }
}
