//! The built binary on a pseudo-terminal, for the paths that run only when someone is there to
//! answer: confirmations, counts typed, passwords typed without echo.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Terminal {
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<String>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Terminal {
    /// Runs the binary with `args` on a 160x40 terminal, as [`super::isolated_cli`] runs it:
    /// none of the caller's Geobox settings, its config file and data directory inside `dir`,
    /// then `envs`.
    pub fn start(dir: &Path, envs: &[(String, String)], args: &[&str]) -> Terminal {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 160,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_geobox-users"));
        command.args(args);
        command.cwd(dir);
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name.starts_with("GEOBOX") || name == "RUST_LOG" {
                command.env_remove(&key);
            }
        }
        command.env("GEOBOX_USERS_CONFIG", dir.join("config.toml"));
        command.env("GEOBOX_USERS_DATA_DIR", dir.join("data"));
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = pair.slave.spawn_command(command).expect("spawn on the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let screen = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 1024];
            while let Ok(read) = reader.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                sink.lock().expect("screen").push_str(&text);
            }
        });
        // The master must outlive the child's writes; leaking it is fine in a test.
        std::mem::forget(pair.master);
        Terminal {
            writer,
            screen,
            child,
        }
    }

    /// Everything the binary wrote so far.
    pub fn screen(&self) -> String {
        self.screen.lock().expect("screen").clone()
    }

    /// Waits (up to 20 s) until the screen shows `text`.
    #[track_caller]
    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "waited for {text:?}; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types a line and Enter.
    pub fn type_line(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r").as_bytes())
            .expect("typed");
        self.writer.flush().expect("flushed");
    }

    pub fn exit_code(mut self) -> u32 {
        self.child.wait().expect("exited").exit_code()
    }
}
