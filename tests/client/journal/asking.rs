//! `journal undo` at a terminal: the count typed for an undo of more than 100 users, as
//! `bulk-update` asks for it.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use super::*;

/// The binary on a pseudo-terminal, answering what it asks.
struct Terminal {
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<String>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Terminal {
    fn start(demo: &Demo, args: &[&str]) -> Terminal {
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
        command.cwd(demo.dir.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GEOBOX") {
                command.env_remove(key);
            }
        }
        command.env("GEOBOX_USERS_CONFIG", demo.dir.path().join("config.toml"));
        command.env("GEOBOX_USERS_DATA_DIR", demo.data_dir());
        for (key, value) in &demo.envs {
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

    fn screen(&self) -> String {
        self.screen.lock().expect("screen").clone()
    }

    #[track_caller]
    fn wait_for(&self, text: &str) {
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

    fn answer(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r").as_bytes())
            .expect("typed");
        self.writer.flush().expect("flushed");
    }

    fn exit_code(mut self) -> u32 {
        self.child.wait().expect("exited").exit_code()
    }
}

#[test]
fn an_undo_of_more_than_100_users_asks_for_the_count_typed() {
    let demo = Demo::seeded(160);
    assert_exit(
        &demo.run(
            &[
                "users",
                "bulk-update",
                "--q",
                "id > 1",
                "--set-status",
                "disabled",
                "--yes",
            ],
            None,
        ),
        0,
    );
    let entry = &demo.entries(&[])[0];
    let entry_id = entry["id"].as_str().expect("an id").to_string();
    let changed: Vec<i64> = entry["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["user_id"].as_i64().expect("an id"))
        .collect();
    let count = changed.len();
    assert!(count > 100, "only {count} users changed");
    let disabled = |demo: &Demo| {
        changed
            .iter()
            .filter(|id| status_of(demo.user(**id)) == Some(UserStatus::Disabled))
            .count()
    };

    let mut wrong = Terminal::start(&demo, &["journal", "undo", &entry_id]);
    wrong.wait_for(&format!("type {count} to go ahead"));
    wrong.answer("y");
    assert_eq!(wrong.exit_code(), 1, "a yes is not the count");
    assert_eq!(disabled(&demo), count, "nothing was undone");

    let mut right = Terminal::start(&demo, &["journal", "undo", &entry_id]);
    right.wait_for(&format!("type {count} to go ahead"));
    right.answer(&count.to_string());
    right.wait_for("put back");
    let shown = right.screen();
    assert_eq!(right.exit_code(), 0, "{shown}");
    assert_eq!(disabled(&demo), 0, "every user is back");
}
