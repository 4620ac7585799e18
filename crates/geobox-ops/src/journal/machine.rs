//! The machine a write was made from, as the team's history names it: its hostname.

/// This machine's hostname; `None` when the system does not say.
pub fn hostname() -> Option<String> {
    let name = system_hostname()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(unix)]
fn system_hostname() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length, which is what gethostname is told;
    // the name is read up to its first NUL (or the buffer's end) below.
    let answered =
        unsafe { libc::gethostname(buffer.as_mut_ptr().cast::<libc::c_char>(), buffer.len()) };
    if answered != 0 {
        return None;
    }
    let end = buffer
        .iter()
        .position(|byte| *byte == 0)
        .unwrap_or(buffer.len());
    Some(String::from_utf8_lossy(&buffer[..end]).into_owned())
}

#[cfg(not(unix))]
fn system_hostname() -> Option<String> {
    std::env::var("COMPUTERNAME").ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_machine_has_a_name() {
        let name = super::hostname().expect("a hostname");
        assert!(!name.is_empty() && !name.contains('\0'), "{name:?}");
    }
}
