//! The terminal clipboard: OSC 52, written by the runner between frames, and whether the
//! terminal is likely to honour it.

use std::io::Write;

use base64::Engine;

use super::env::ClipboardReach;

/// The escape sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

/// Writes `text` to the clipboard through the terminal.
pub fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

/// Whether OSC 52 is likely to work here. Inside tmux the answer depends on its
/// `set-clipboard` option, asked only then.
pub fn reach() -> ClipboardReach {
    let term = std::env::var("TERM").unwrap_or_default();
    let tmux_clipboard = std::env::var_os("TMUX").map(|_| tmux_set_clipboard());
    judge(&term, tmux_clipboard.as_deref())
}

/// The pure part of [`reach`]: `tmux_clipboard` is tmux's `set-clipboard` value when inside
/// tmux (empty when it could not be read).
pub fn judge(term: &str, tmux_clipboard: Option<&str>) -> ClipboardReach {
    if term.is_empty() || term == "dumb" {
        return ClipboardReach::Unlikely("no TERM".to_string());
    }
    // With `external`, tmux ignores what applications send; only `on` takes it.
    match tmux_clipboard.map(str::trim) {
        Some("on") | None => ClipboardReach::Likely,
        Some(_) => ClipboardReach::Unlikely("tmux without set-clipboard".to_string()),
    }
}

fn tmux_set_clipboard() -> String {
    std::process::Command::new("tmux")
        .args(["show", "-gv", "set-clipboard"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_carries_the_text_in_base64() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn no_term_or_tmux_without_set_clipboard_is_unlikely() {
        assert_eq!(judge("xterm-256color", None), ClipboardReach::Likely);
        assert!(matches!(judge("", None), ClipboardReach::Unlikely(_)));
        assert!(matches!(judge("dumb", None), ClipboardReach::Unlikely(_)));
        assert_eq!(judge("tmux-256color", Some("on\n")), ClipboardReach::Likely);
        assert!(matches!(
            judge("screen", Some("external")),
            ClipboardReach::Unlikely(_)
        ));
        assert!(matches!(
            judge("screen", Some("off")),
            ClipboardReach::Unlikely(_)
        ));
        assert!(matches!(
            judge("screen", Some("")),
            ClipboardReach::Unlikely(_)
        ));
    }
}
