//! The one way the CLI writes to the terminal. Results go to stdout, and notes, warnings,
//! questions and errors to stderr, and every line of them is cleaned on its way out
//! (`geobox_ops::clean`): text from a server, a file or the journal can never move the
//! cursor, set the title or write the clipboard, whichever command prints it. clippy
//! (`clippy.toml`, `disallowed-macros`) refuses `println!` and its kin everywhere else.

use std::borrow::Cow;
use std::io::{self, BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use geobox_ops::clean::{clean_lines, clean_lines_keeping_ends};
use geobox_ops::transfer::output::{self, Format};

use super::CliError;

/// `--quiet`: notes are not printed (warnings, questions, errors and results still are).
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes a command's result on stdout, each line cleaned (line ends kept: a CSV asked for
/// with CRLF keeps them). A closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = CleanLines::new(io::stdout().lock());
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(CliError::Io(format!("cannot write the output: {error}"))),
    }
}

/// A note for people on stderr (what was done, what is left out); stdout stays for data.
/// `--quiet` drops notes, except one that starts with `warning` or `⚠`: that is a warning.
pub fn note(text: &str) {
    if quiet() && !is_warning(text) {
        return;
    }
    to_stderr(&format!("{text}\n"));
}

/// A warning on stderr, shown even with `--quiet`.
pub fn warn(text: &str) {
    to_stderr(&format!("{text}\n"));
}

fn is_warning(text: &str) -> bool {
    let start = text.trim_start();
    start.starts_with("warning") || start.starts_with('⚠')
}

fn to_stderr(text: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(clean_lines(text).as_str().as_bytes());
    let _ = stderr.flush();
}

/// Asks on stderr and reads one line of stdin (the answer, trimmed).
pub fn ask(prompt: &str) -> Result<String, CliError> {
    to_stderr(prompt);
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| CliError::Io(format!("cannot read the answer: {error}")))?;
    Ok(answer.trim().to_string())
}

/// Asks a yes/no question on the terminal; `Ok(false)` unless the answer is yes.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    let answer = ask(&format!("{question} [y/N] "))?;
    Ok(matches!(answer.to_lowercase().as_str(), "y" | "yes"))
}

/// Asks for the count itself: a `y` typed by habit does not change hundreds of users.
/// `Ok(true)` only when exactly `count` is typed.
pub fn confirm_count(question: &str, count: usize) -> Result<bool, CliError> {
    let answer = ask(&format!("{question}\nType {count} to go ahead: "))?;
    Ok(answer == count.to_string())
}

/// A secret typed without echo on the terminal, after `prompt` (cleaned like any line).
pub fn ask_secret(prompt: &str) -> io::Result<String> {
    rpassword::prompt_password(clean_lines(prompt).as_str())
}

/// Whether someone can answer a question.
pub fn at_terminal() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

/// A failed command on stderr: `error: …` lines, or with `-o json`/`jsonl` one JSON object
/// (`{"error": {"message", "exit_code", "status", "fields"}}`) a script can read.
pub fn report_error(error: &CliError, format: Format) {
    let text = match format {
        Format::Json | Format::Jsonl => {
            let mut line = output::json_line(&error_object(error));
            line.push('\n');
            line
        }
        Format::Table | Format::Csv => error_text(error),
    };
    to_stderr(&text);
}

fn error_object(error: &CliError) -> serde_json::Value {
    let mut object = serde_json::json!({
        "message": error.to_string(),
        "exit_code": error.exit_code(),
    });
    if let CliError::Api(api) = error {
        if let Some(status) = api.status() {
            object["status"] = status.into();
        }
        if let geobox_api::ApiError::Validation { errors } = api {
            object["fields"] = errors
                .iter()
                .map(|field| serde_json::json!({"field": field.field, "message": field.message}))
                .collect();
        }
    }
    serde_json::json!({ "error": object })
}

/// What stderr shows for a failed command: one line, or one line per field when a
/// validation error names several (each said once).
pub fn error_text(error: &CliError) -> String {
    match error {
        CliError::Api(geobox_api::ApiError::Validation { errors }) if errors.len() > 1 => {
            let mut text = format!("error: invalid input (422) in {} fields:\n", errors.len());
            for field_error in errors {
                text.push_str(&format!("  {field_error}\n"));
            }
            text
        }
        other => format!("error: {other}\n"),
    }
}

/// `1 user`, `3 users`: a count with its noun, singular for one.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// An `io::Write` whose bytes reach `inner` cleaned a line at a time: every result goes to
/// stdout through one (output streamed page by page too: `CleanLines::new(io::stdout())`).
/// What is left of the last line is cleaned and written on `flush`.
pub struct CleanLines<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> CleanLines<W> {
    pub fn new(inner: W) -> CleanLines<W> {
        CleanLines {
            inner,
            pending: Vec::new(),
        }
    }

    /// The writer, with what was written to it.
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn write_through(&mut self, upto: usize) -> io::Result<()> {
        let text: Cow<'_, str> = String::from_utf8_lossy(&self.pending[..upto]);
        self.inner
            .write_all(clean_lines_keeping_ends(&text).as_bytes())?;
        self.pending.drain(..upto);
        Ok(())
    }
}

impl<W: Write> Write for CleanLines<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        // A line end is never inside a UTF-8 character: whole lines are whole text.
        if let Some(last_end) = self.pending.iter().rposition(|byte| *byte == b'\n') {
            self.write_through(last_end + 1)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.write_through(self.pending.len())?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geobox_api::{ApiError, FieldError};

    #[test]
    fn errors_are_cleaned_and_keep_their_lines() {
        let hostile = CliError::Api(ApiError::Validation {
            errors: vec![
                FieldError {
                    field: Some("email".to_string()),
                    message: "bad\u{1b}[2J name".to_string(),
                },
                FieldError {
                    field: Some("mobile".to_string()),
                    message: "\u{9b}x\u{202e}".to_string(),
                },
            ],
        });
        assert_eq!(
            clean_lines(&error_text(&hostile)).as_str(),
            "error: invalid input (422) in 2 fields:\n  email: bad⟨U+001B⟩[2J name\n  \
             mobile: ⟨U+009B⟩x⟨U+202E⟩\n"
        );
        let object = error_object(&hostile);
        assert_eq!(object["error"]["status"], 422);
        assert_eq!(object["error"]["exit_code"], 1);
        assert_eq!(object["error"]["fields"][0]["field"], "email");
        let line = output::json_line(&object);
        assert!(
            line.contains(r"\u001b[2J") && line.contains(r"\u009bx\u202e"),
            "{line}"
        );
    }

    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count(1, "problem", "problems"), "1 problem");
        assert_eq!(count(0, "problem", "problems"), "0 problems");
        assert_eq!(count(3, "user was", "users were"), "3 users were");
    }

    #[test]
    fn warnings_show_even_when_notes_do_not() {
        assert!(is_warning("warning: this write was not journaled"));
        assert!(is_warning("⚠ neda will be System Admin"));
        assert!(!is_warning("deleted user 5"));
    }

    #[test]
    fn text_written_a_piece_at_a_time_is_cleaned_a_line_at_a_time() {
        let mut cleaned = CleanLines::new(Vec::new());
        for piece in ["id,name\n1,eve\u{1b}]5", "2;\u{7}\n2,", "sara\u{9b}"] {
            cleaned.write_all(piece.as_bytes()).expect("written");
        }
        cleaned.flush().expect("flushed");
        assert_eq!(
            String::from_utf8(cleaned.into_inner()).expect("utf-8"),
            "id,name\n1,eve⟨U+001B⟩]52;⟨U+0007⟩\n2,sara⟨U+009B⟩"
        );
    }
}
