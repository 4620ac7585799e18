//! Text from a server, a file or the journal, made safe to put on a terminal. Such text must
//! not move the cursor, recolour the screen, set the window title or write the clipboard
//! (`ESC ]52;`), and must not hide or reorder what stands beside it: a newline that cuts a
//! cell short, or a right-to-left override that turns `gpj.exe` around. Every character that
//! could do that is shown as what it is instead (`␊`, `⟨U+202E⟩`), so an admin sees that
//! the value holds it. Everything a terminal shows of such text passes through [`clean`] or
//! [`clean_lines`]; [`Clean`] is text that did.

use std::borrow::Cow;
use std::fmt;

/// Text that went through [`clean`] or [`clean_lines`].
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clean(String);

impl Clean {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Clean {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// How a character that must not reach a terminal as it is is shown; `None` for every
/// other character.
fn shown_as(c: char) -> Option<Cow<'static, str>> {
    match c {
        '\n' => Some(Cow::Borrowed("␊")),
        '\r' => Some(Cow::Borrowed("␍")),
        '\t' => Some(Cow::Borrowed("␉")),
        // C0, DEL and C1 controls (ESC, CSI, OSC...), the bidirectional marks, embeddings,
        // overrides and isolates, and the line and paragraph separators.
        c if c.is_control()
            || matches!(
                c,
                '\u{061C}'
                    | '\u{200E}'
                    | '\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{FEFF}'
            ) =>
        {
            Some(Cow::Owned(format!("⟨U+{:04X}⟩", u32::from(c))))
        }
        _ => None,
    }
}

/// One line of text, safe for a terminal: every character [`shown_as`] names is replaced by
/// its visible form, line breaks included.
pub fn clean(text: &str) -> Clean {
    Clean(clean_cow(text).into_owned())
}

/// [`clean`] without a copy when nothing needs replacing: for drawing, where most text is
/// already clean.
pub fn clean_cow(text: &str) -> Cow<'_, str> {
    let Some(first) = text.char_indices().find(|(_, c)| shown_as(*c).is_some()) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first.0]);
    for c in text[first.0..].chars() {
        match shown_as(c) {
            Some(shown) => out.push_str(&shown),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Several lines (a message, a report), safe for a terminal: each line as [`clean`], the
/// line breaks kept (a `\r\n` counts as one).
pub fn clean_lines(text: &str) -> Clean {
    let lines: Vec<Cow<'_, str>> = text
        .split('\n')
        .map(|line| clean_cow(line.strip_suffix('\r').unwrap_or(line)))
        .collect();
    Clean(lines.join("\n"))
}

/// Whether `text` holds anything [`clean`] would replace.
pub fn is_clean(text: &str) -> bool {
    !text.chars().any(|c| shown_as(c).is_some())
}

/// Whether `c` is one of the characters [`clean`] shows instead of passing on (controls, bidi
/// controls, line breaks): for writers that escape them their own way, such as JSON's
/// `\u009b`.
pub fn needs_showing(c: char) -> bool {
    shown_as(c).is_some()
}

/// Text laid out in lines (a table, a CSV file, a report), safe for a terminal: each line as
/// [`clean`], and its line end, `\n` or `\r\n`, kept as it is. Without a copy when nothing
/// needs replacing, which is how every rendered result arrives.
pub fn clean_lines_keeping_ends(text: &str) -> Cow<'_, str> {
    let safe = |line: &str| is_clean(line.strip_suffix('\r').unwrap_or(line));
    if text.split('\n').all(safe) {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text
        .split('\n')
        .map(|line| match line.strip_suffix('\r') {
            Some(body) => Cow::Owned(format!("{}\r", clean_cow(body))),
            None => clean_cow(line),
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_become_visible() {
        let hostile = "eve\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}2J\u{7f}";
        let cleaned = clean(hostile);
        assert_eq!(
            cleaned.as_str(),
            "eve⟨U+001B⟩]52;c;ZXZpbA==⟨U+0007⟩⟨U+009B⟩2J⟨U+007F⟩"
        );
        assert!(is_clean(cleaned.as_str()));
    }

    #[test]
    fn line_breaks_and_bidi_controls_cannot_hide_or_turn_text() {
        assert_eq!(
            clean("nl11@xline1\nline2.ir").as_str(),
            "nl11@xline1␊line2.ir"
        );
        assert_eq!(clean("a\r\tb").as_str(), "a␍␉b");
        assert_eq!(
            clean("invoice\u{202E}gpj.exe").as_str(),
            "invoice⟨U+202E⟩gpj.exe"
        );
        assert_eq!(clean("x\u{2066}y\u{200F}").as_str(), "x⟨U+2066⟩y⟨U+200F⟩");
    }

    #[test]
    fn ordinary_text_of_every_script_is_left_alone() {
        for text in [
            "Sara Moradi",
            "نیما رضایی",
            "می\u{200c}خواهم",
            "李雷",
            "émile",
            "👩‍💻",
        ] {
            assert!(matches!(clean_cow(text), Cow::Borrowed(_)), "{text}");
            assert_eq!(clean(text).as_str(), text);
        }
    }

    #[test]
    fn lines_keep_their_breaks_and_lose_their_carriage_returns() {
        assert_eq!(
            clean_lines("first\r\nsecond \u{1b}[2J\nthird").as_str(),
            "first\nsecond ⟨U+001B⟩[2J\nthird"
        );
        assert_eq!(clean_lines("bare\rreturn").as_str(), "bare␍return");
    }
    #[test]
    fn laid_out_text_keeps_its_line_ends_and_loses_its_controls() {
        let csv = "id,name\r\n1,eve\u{1b}]52;\u{7}\r\n2,\u{9b}x\n";
        assert_eq!(
            clean_lines_keeping_ends(csv),
            "id,name\r\n1,eve⟨U+001B⟩]52;⟨U+0007⟩\r\n2,⟨U+009B⟩x\n"
        );
        let plain = "ID  NAME\n1   نیما\r\n";
        assert!(matches!(clean_lines_keeping_ends(plain), Cow::Borrowed(_)));
        assert_eq!(clean_lines_keeping_ends("a\rb\n"), "a␍b\n");
        assert!(needs_showing('\u{7f}') && needs_showing('\u{202e}'));
        assert!(!needs_showing('ی') && !needs_showing(' '));
    }
}
