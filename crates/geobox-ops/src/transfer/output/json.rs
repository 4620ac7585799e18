//! JSON that is safe on a terminal and still exactly the data: serde_json escapes the C0
//! controls itself, and this escapes the rest of what `crate::clean` would show (DEL, the C1
//! controls such as CSI `U+009B`, bidi controls, line and paragraph separators) as `\u00XX`,
//! which every JSON reader turns back into the same character.

use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter, Serializer};

use crate::clean::needs_showing;

/// `value` as one line of JSON.
pub fn compact(value: &Value) -> String {
    write(value, CompactFormatter)
}

/// `value` as indented JSON, as `serde_json::to_string_pretty` lays it out.
pub fn pretty(value: &Value) -> String {
    write(value, PrettyFormatter::new())
}

fn write(value: &Value, formatter: impl Formatter) -> String {
    let mut bytes = Vec::new();
    let mut serializer = Serializer::with_formatter(&mut bytes, TerminalSafe(formatter));
    // Writing a `Value` to memory cannot fail: its keys are strings and a Vec takes any write.
    if value.serialize(&mut serializer).is_err() {
        return value.to_string();
    }
    // The formatter writes only what serde_json gives it and ASCII escapes: valid UTF-8.
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// A formatter that escapes, inside strings, every character a terminal must not receive.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if needs_showing(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn c1_controls_del_and_bidi_are_escaped_and_read_back_the_same() {
        let value =
            json!({"name": "eve\u{9b}2J\u{7f}\u{85}x\u{202e}gpj\u{2028}", "esc": "\u{1b}]52;"});
        for text in [compact(&value), pretty(&value)] {
            assert!(
                !text
                    .chars()
                    .any(|c| c != '\n' && (c.is_control() || needs_showing(c))),
                "{text:?}"
            );
            assert!(
                text.contains(r"eve\u009b2J\u007f\u0085x\u202egpj\u2028"),
                "{text}"
            );
            let back: Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(back, value);
        }
    }

    #[test]
    fn ordinary_json_is_what_serde_json_writes() {
        let value = json!([{"id": 1, "name": "نیما", "plan": {"id": 2}, "x": null}]);
        assert_eq!(compact(&value), value.to_string());
        assert_eq!(
            pretty(&value),
            serde_json::to_string_pretty(&value).expect("json")
        );
    }
}
