//! The journal file's seals: each line ends with an HMAC-SHA256 of the rest of it, keyed with
//! a random key kept in `journal.key` beside the journal (0600, like the journal). An entry
//! changed after it was written (by hand, or by another program that can write the file but
//! does not hold the key) no longer matches its seal, and `journal undo` says so before it
//! does anything.
//!
//! A line is the entry's JSON with one last member added: `{…,"mac":"<64 hex digits>"}`. The
//! seal covers the entry's JSON exactly as written, without that member.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand::TryRngCore;
use sha2::Sha256;

use super::provenance::Seal;
use crate::paths;

type HmacSha256 = Hmac<Sha256>;

const KEY_FILE: &str = "journal.key";
const KEY_BYTES: usize = 32;
/// What a sealed line ends with, around the seal's hex digits.
const OPEN: &[u8] = b",\"mac\":\"";
const CLOSE: &[u8] = b"\"}";
const HEX_DIGITS: usize = 64;
const SUFFIX: usize = OPEN.len() + HEX_DIGITS + CLOSE.len();

/// The key that seals and checks the journal's lines.
pub struct Key([u8; KEY_BYTES]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(hidden)")
    }
}

fn key_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}

/// The key of the journal in `dir`; `None` when there is none yet (nothing was sealed).
pub fn read_key(dir: &Path) -> io::Result<Option<Key>> {
    let path = key_path(dir);
    match std::fs::symlink_metadata(&path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
        Ok(metadata) if !metadata.file_type().is_file() => {
            return Err(io::Error::other(format!(
                "{} is not a plain file: the journal's entries cannot be checked",
                path.display()
            )));
        }
        Ok(_) => {}
    }
    let mut text = String::new();
    std::fs::File::open(&path)?
        .take(4 * KEY_BYTES as u64)
        .read_to_string(&mut text)?;
    decode(text.trim())
        .map(|bytes| Some(Key(bytes)))
        .ok_or_else(|| {
            io::Error::other(format!(
                "{} does not hold a journal key: the journal's entries cannot be checked",
                path.display()
            ))
        })
}

/// The key of the journal in `dir`, made (random, 0600) if there is none yet. Two writers
/// making one at once agree on the one that landed first.
pub fn key_for_writing(dir: &Path) -> io::Result<Key> {
    if let Some(key) = read_key(dir)? {
        return Ok(key);
    }
    let mut bytes = [0; KEY_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(io::Error::other)?;
    // Written whole under a name of its own, then linked into place: a reader never sees
    // half a key, and a link fails rather than replace a key another writer made.
    let draft = dir.join(format!(
        ".{KEY_FILE}.{}.{}",
        std::process::id(),
        encode(&bytes[..4])
    ));
    let written = paths::create_new_private(&draft).and_then(|mut file| {
        file.write_all(encode(&bytes).as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&draft, key_path(dir)));
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => Ok(Key(bytes)),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => read_key(dir)?
            .ok_or_else(|| io::Error::other("the journal key went away while it was made")),
        Err(error) => Err(error),
    }
}

fn mac_of(key: &Key, body_without_close: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&key.0)
        .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes a 32-byte key"));
    mac.update(body_without_close);
    mac.update(b"}");
    mac
}

/// `json` (one serialized entry, `{…}`) sealed as one line, with its newline.
pub fn sealed_line(mut json: Vec<u8>, key: &Key) -> io::Result<Vec<u8>> {
    if json.pop() != Some(b'}') {
        return Err(io::Error::other(
            "an entry did not serialize to a JSON object",
        ));
    }
    let tag = mac_of(key, &json).finalize().into_bytes();
    json.extend_from_slice(OPEN);
    json.extend_from_slice(encode(&tag).as_bytes());
    json.extend_from_slice(CLOSE);
    json.push(b'\n');
    Ok(json)
}

/// Whether a line read from the journal (without its newline) is sealed by `key`.
pub fn check(line: &[u8], key: Option<&Key>) -> Seal {
    let line = line.trim_ascii_end();
    let Some(body_end) = line.len().checked_sub(SUFFIX) else {
        return Seal::Missing;
    };
    let (body, suffix) = line.split_at(body_end);
    let hex = &suffix[OPEN.len()..OPEN.len() + HEX_DIGITS];
    if !suffix.starts_with(OPEN) || !suffix.ends_with(CLOSE) {
        return Seal::Missing;
    }
    let (Some(key), Some(tag)) = (key, decode::<{ HEX_DIGITS / 2 }>(hex_text(hex))) else {
        return Seal::Broken;
    };
    match mac_of(key, body).verify_slice(&tag) {
        Ok(()) => Seal::Verified,
        Err(_) => Seal::Broken,
    }
}

/// The parts of an entry kept in a database that its seal covers: its JSON without its users,
/// the digest of its users' rows ([`digest`]), and the first user's change, which listings
/// show (so a listing checks what it shows without reading every user).
pub struct Parts<'a> {
    pub head: &'a [u8],
    pub users_digest: &'a str,
    pub first_change: Option<&'a [u8]>,
}

/// The seal of an entry kept in a database, as 64 hex digits.
pub fn seal_parts(key: &Key, parts: &Parts<'_>) -> String {
    encode(&parts_mac(key, parts).finalize().into_bytes())
}

/// Whether a database row's seal matches its JSON and the digest of its users. Without a key
/// (none was ever made here) nothing can be shown.
pub fn check_parts(key: Option<&Key>, parts: &Parts<'_>, seal: Option<&str>) -> Seal {
    let Some(seal) = seal else {
        return Seal::Missing;
    };
    let (Some(key), Some(tag)) = (key, decode::<{ HEX_DIGITS / 2 }>(seal)) else {
        return Seal::Broken;
    };
    match parts_mac(key, parts).verify_slice(&tag) {
        Ok(()) => Seal::Verified,
        Err(_) => Seal::Broken,
    }
}

fn parts_mac(key: &Key, parts: &Parts<'_>) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&key.0)
        .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes a 32-byte key"));
    // Each part with its length first, so that no byte can move from one part to another.
    for part in [
        parts.head,
        parts.users_digest.as_bytes(),
        parts.first_change.unwrap_or_default(),
    ] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.update(&[u8::from(parts.first_change.is_some())]);
    mac
}

/// A SHA-256 of an entry's users, each user's JSON in order (with its length), as hex: what
/// the seal of a database row covers of its users, so that checking the seal of a listed
/// entry reads none of them, and undoing one checks all of them.
pub fn digest<'a>(users: impl IntoIterator<Item = &'a [u8]>) -> String {
    use sha2::Digest;
    let mut hasher = Sha256::new();
    for user in users {
        hasher.update((user.len() as u64).to_be_bytes());
        hasher.update(user);
    }
    encode(&hasher.finalize())
}

fn hex_text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut bytes = [0; N];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_verifies_and_any_change_breaks_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = key_for_writing(dir.path()).expect("a key");
        let line = sealed_line(br#"{"id":"a","role":"Viewer"}"#.to_vec(), &key).expect("sealed");
        let text = std::str::from_utf8(&line).expect("text");
        assert!(
            text.starts_with(r#"{"id":"a","role":"Viewer","mac":""#),
            "{text}"
        );
        assert!(text.ends_with("\"}\n"), "{text}");
        let parsed: serde_json::Value = serde_json::from_slice(&line).expect("still JSON");
        assert_eq!(parsed["role"], "Viewer");

        let unsent = &line[..line.len() - 1];
        assert_eq!(check(unsent, Some(&key)), Seal::Verified);
        let edited = text.replace("Viewer", "System Admin");
        assert_eq!(
            check(edited.trim_end().as_bytes(), Some(&key)),
            Seal::Broken
        );
        assert_eq!(
            check(br#"{"id":"a","role":"Viewer"}"#, Some(&key)),
            Seal::Missing
        );
        assert_eq!(check(unsent, None), Seal::Broken, "no key to check with");

        let other = tempfile::tempdir().expect("tempdir");
        let other_key = key_for_writing(other.path()).expect("another key");
        assert_eq!(check(unsent, Some(&other_key)), Seal::Broken);
    }

    #[test]
    fn the_key_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read_key(dir.path()).expect("read").is_none());
        let made = key_for_writing(dir.path()).expect("made");
        let again = key_for_writing(dir.path()).expect("read back");
        assert_eq!(made.0, again.0);
        assert_eq!(format!("{made:?}"), "Key(hidden)");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, [KEY_FILE], "no draft is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(key_path(dir.path()))
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn writers_making_the_key_at_once_agree_on_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys: Vec<[u8; KEY_BYTES]> = std::thread::scope(|scope| {
            let makers: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| key_for_writing(dir.path()).expect("a key").0))
                .collect();
            makers
                .into_iter()
                .map(|maker| maker.join().expect("joined"))
                .collect()
        });
        assert!(keys.windows(2).all(|pair| pair[0] == pair[1]));
    }
}
