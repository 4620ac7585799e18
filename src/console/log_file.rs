//! The console's log: a file, never the screen, written by a thread of its own, so that
//! logging an action never makes the command task or the loop wait on the disk.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Where logs go when no file is given: the cache directory.
pub fn default_path() -> Option<PathBuf> {
    geobox_ops::paths::cache_dir().map(|dir| dir.join("console.log"))
}

/// What the writer thread is given: a formatted event, or a request to say when everything
/// before it is written.
enum Line {
    Event(Vec<u8>),
    Flush(mpsc::SyncSender<()>),
}

/// The log as the console holds it while it runs.
pub struct LogFile {
    lines: mpsc::Sender<Line>,
}

impl LogFile {
    /// Waits until every event logged so far is written, or `patience` has passed.
    pub fn flush(&self, patience: Duration) {
        let (done, written) = mpsc::sync_channel(1);
        if self.lines.send(Line::Flush(done)).is_ok() {
            let _ = written.recv_timeout(patience);
        }
    }
}

/// Sends logs to the file at `path` (the default one when none is given). When the process
/// already has a logger (set up by the caller), that one is kept and nothing is returned.
pub fn init(path: Option<PathBuf>) -> Option<LogFile> {
    let path = path.or_else(default_path)?;
    // It names the users the admin touched: for the owner's eyes only.
    let file = geobox_ops::paths::open_private_append(&path).ok()?;
    let (lines, queue) = mpsc::channel();
    std::thread::Builder::new()
        .name("console-log".to_string())
        .spawn(move || write_lines(file, &queue))
        .ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("GEOBOX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(ToWriter(lines.clone()))
        .finish();
    // On failure the subscriber and its sender are dropped, and the thread ends with them.
    tracing::subscriber::set_global_default(subscriber).ok()?;
    Some(LogFile { lines })
}

fn write_lines(mut file: File, queue: &mpsc::Receiver<Line>) {
    while let Ok(line) = queue.recv() {
        match line {
            // A log that cannot be written has nowhere to say so.
            Line::Event(text) => {
                let _ = file.write_all(&text);
            }
            Line::Flush(done) => {
                let _ = file.flush();
                let _ = done.send(());
            }
        }
    }
}

/// Gives the formatter a buffer per event, sent whole to the writer thread.
struct ToWriter(mpsc::Sender<Line>);

impl<'a> MakeWriter<'a> for ToWriter {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> EventBuffer {
        EventBuffer {
            text: Vec::new(),
            to: self.0.clone(),
        }
    }
}

/// One event being formatted; it goes to the writer thread when the formatter is done.
struct EventBuffer {
    text: Vec<u8>,
    to: mpsc::Sender<Line>,
}

impl Write for EventBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if !self.text.is_empty() {
            let _ = self.to.send(Line::Event(std::mem::take(&mut self.text)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_reach_the_file_whole_and_in_order_once_flushed() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("console.log");
        let file = geobox_ops::paths::open_private_append(&path).expect("opened");
        let (lines, queue) = mpsc::channel();
        let writer = std::thread::spawn(move || write_lines(file, &queue));
        let make = ToWriter(lines.clone());
        for event in ["first second\n", "third\n"] {
            let mut buffer = make.make_writer();
            for part in event.split_inclusive(' ') {
                buffer.write_all(part.as_bytes()).expect("buffered");
            }
        }
        let log = LogFile { lines };
        log.flush(Duration::from_secs(5));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "first second\nthird\n"
        );
        drop((log, make));
        writer.join().expect("the writer ends with its senders");
    }

    #[cfg(unix)]
    #[test]
    fn the_log_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().expect("a temp dir");
        let fresh = dir.path().join("console.log");
        geobox_ops::paths::open_private_append(&fresh).expect("opened");
        let older = dir.path().join("older.log");
        std::fs::write(&older, "kept\n").expect("written");
        std::fs::set_permissions(&older, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        geobox_ops::paths::open_private_append(&older).expect("opened");
        for path in [&fresh, &older] {
            let mode = std::fs::metadata(path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
        assert_eq!(std::fs::read_to_string(&older).expect("read"), "kept\n");
    }
}
