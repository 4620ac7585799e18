//! The real binary on a pseudo-terminal: keys in, screen read back with vt100, against the
//! embedded server. Nothing here needs tmux or a human.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use geobox_api::{Auth, GeoboxClient, NewUser, Secret, UserQuery, UserRole, UserStatus};
use geobox_server::ServerOptions;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::support;

const ROWS: u16 = 45;
const COLS: u16 = 160;

/// The console running on a pty, its screen kept up to date by a reader thread.
struct Screen {
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _home: tempfile::TempDir,
}

impl Screen {
    fn start(args: &[&str], envs: &[(&str, String)]) -> Screen {
        let home = tempfile::tempdir().expect("a temporary home");
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_geobox-users"));
        command.args(args);
        command.cwd(home.path());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GEOBOX") || key == "RUST_LOG" || key == "NO_COLOR"
            {
                command.env_remove(key);
            }
        }
        let path = home.path();
        command.env("HOME", path);
        command.env("XDG_DATA_HOME", path.join("data"));
        command.env("XDG_CACHE_HOME", path.join("cache"));
        command.env("XDG_CONFIG_HOME", path.join("config"));
        command.env("GEOBOX_USERS_CONFIG", path.join("config.toml"));
        command.env("TERM", "xterm-256color");
        for (key, value) in envs {
            command.env(key, value);
        }
        let child = pair.slave.spawn_command(command).expect("spawn on the pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("a reader");
        let writer = pair.master.take_writer().expect("a writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let sink = Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 8192];
            while let Ok(read) = std::io::Read::read(&mut reader, &mut buffer) {
                if read == 0 {
                    break;
                }
                sink.lock().expect("the screen").process(&buffer[..read]);
            }
        });
        // The master must outlive the child's writes; leaking it is fine in a test.
        std::mem::forget(pair.master);
        Screen {
            writer,
            parser,
            child,
            _home: home,
        }
    }

    fn contents(&self) -> String {
        self.parser.lock().expect("the screen").screen().contents()
    }

    #[track_caller]
    fn wait_until(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.contents();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    fn keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("typing");
        self.writer.flush().expect("flush");
        // Let the console read keys one burst at a time, as a person types.
        std::thread::sleep(Duration::from_millis(30));
    }

    fn exit_status(mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("the child") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the console did not quit; the screen shows:\n{}",
                    self.contents()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The row of the user table that shows `username`, if any.
fn table_row<'a>(screen: &'a str, username: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|line| line.starts_with('│') && line.contains(username))
}

#[test]
fn the_demo_console_searches_as_you_type_and_quits_cleanly() {
    let mut screen = Screen::start(&["--demo"], &[]);
    let first = screen.wait_until("the first full table", |screen| {
        screen.contains("DEMO")
            && screen.contains(" of ")
            && screen.contains("USERNAME")
            && screen.contains("● Active")
    });
    assert!(first.contains("admin"), "{first}");

    screen.keys("/");
    screen.keys("admin");
    // The count and the page arrive separately: wait for both on screen.
    let found = screen.wait_until("the search result", |screen| {
        screen.contains("[/admin]")
            && screen.contains("of 1 ")
            && table_row(screen, "System Admin").is_some()
    });
    let row = table_row(&found, "admin").expect("the admin row");
    assert!(row.contains("System Admin"), "{row}");
    screen.keys("\r");
    screen.wait_for("Sessions (");
    // The console's own session, alone in its group, is headed "this console".
    let detail = screen.wait_for("this console · ");
    assert!(detail.contains("role       System Admin"), "{detail}");

    screen.keys("q");
    let status = screen.exit_status();
    assert!(status.success(), "quits with success: {status:?}");
}

#[test]
fn revoke_a_session_and_change_a_status_with_keys_only() {
    let runtime = support::test_runtime();
    let password = "pty-admin-password";
    let server = runtime.block_on(support::start_server(5, password));
    let admin = support::admin_client(&server, password);
    let id = runtime
        .block_on(admin.create_user(&NewUser {
            username: "pty.target".into(),
            email: "pty.target@example.ir".into(),
            password: Secret::new("Target-pass-1"),
            role: UserRole::Viewer,
            first_name: "Pty".into(),
            last_name: "Target".into(),
            mobile: String::new(),
            status: UserStatus::Active,
        }))
        .expect("a user")
        .id;
    // Two sign-ins of the user: two sessions to see and close.
    for _ in 0..2 {
        let user = GeoboxClient::new(
            &server.base_url,
            Auth::Password {
                username: "pty.target".into(),
                password: Secret::new("Target-pass-1"),
            },
            Duration::from_secs(10),
        )
        .expect("a client");
        runtime.block_on(user.login()).expect("the user signs in");
    }

    let mut screen = Screen::start(
        &[],
        &[
            ("GEOBOX_HOST", server.base_url.clone()),
            ("GEOBOX_USERNAME", server.admin_username.clone()),
            ("GEOBOX_PASSWORD", password.to_string()),
        ],
    );
    screen.wait_for("USERNAME");
    screen.keys("/");
    screen.keys("pty.target");
    screen.wait_until("the target alone", |screen| {
        screen.contains("of 1 ") && table_row(screen, "pty.target").is_some()
    });
    screen.keys("\r"); // keep the search
    screen.wait_for("Sessions (2)");

    // Sessions: Tab twice, x, y.
    screen.keys("\t\t");
    screen.keys("x");
    screen.wait_for("Close a session of pty.target?");
    screen.keys("y");
    screen.wait_for("Sessions (1)");
    let sessions = runtime
        .block_on(admin.list_sessions(geobox_api::UserRef::Id(id)))
        .expect("sessions");
    assert_eq!(sessions.len(), 1, "the server closed the session too");

    // Back to the table: status picker, one down (Active → Disabled), Enter.
    screen.keys("\t");
    screen.keys("s");
    screen.wait_for("Status of pty.target");
    screen.keys("j\r");
    let done = screen.wait_for("pty.target: status Disabled set");
    let row = table_row(&done, "pty.target").expect("the row");
    assert!(row.contains("○ Disabled"), "{row}");

    let user = runtime
        .block_on(admin.get_user(geobox_api::UserRef::Id(id)))
        .expect("the user");
    assert_eq!(user.status, Some(UserStatus::Disabled));
    let sessions = runtime
        .block_on(admin.list_sessions(geobox_api::UserRef::Id(id)))
        .expect("sessions");
    assert!(sessions.is_empty(), "disabling closes the rest");
    let count = runtime
        .block_on(admin.count_users(&UserQuery::new()))
        .expect("a count");
    assert!(count > 5);

    screen.keys("q");
    assert!(screen.exit_status().success());
    runtime.block_on(server.shutdown());
}

#[test]
fn the_console_survives_its_server_going_away_and_recovers_by_itself() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let password = "pty-offline-password";
    let dir = tempfile::tempdir().expect("a temp dir");
    let options = ServerOptions {
        seed_users: 60,
        db: Some(dir.path().join("offline.db")),
        admin_password: Some(Secret::new(password)),
        ..ServerOptions::default()
    };
    let server = runtime
        .block_on(geobox_server::start(options.clone()))
        .expect("the server starts");
    let addr = server.addr;
    let mut screen = Screen::start(
        &[],
        &[
            ("GEOBOX_HOST", server.base_url.clone()),
            ("GEOBOX_USERNAME", server.admin_username.clone()),
            ("GEOBOX_PASSWORD", password.to_string()),
        ],
    );
    let first = screen.wait_until("the first full table", |screen| {
        screen.contains("USERNAME") && screen.contains("● Active")
    });
    let admin_row = table_row(&first, "admin")
        .expect("the admin row")
        .to_string();

    runtime.block_on(server.shutdown());
    screen.keys("R");
    let offline = screen.wait_for("offline · ");
    assert!(offline.contains("stale"), "{offline}");
    assert!(
        table_row(&offline, "admin").is_some(),
        "loaded rows stay: {offline}"
    );
    // Keys still work offline; a write is refused plainly (s: the admin's own row is
    // selected, where D is never offered).
    screen.keys("jk");
    screen.keys("s");
    screen.wait_for("Offline: nothing was sent");

    let server = runtime
        .block_on(geobox_server::start(ServerOptions {
            bind: addr,
            ..options
        }))
        .expect("the server starts again on the same port");
    // No key pressed: the console finds the server by itself.
    let back = screen.wait_for("reconnected");
    assert!(!back.contains("offline · "), "{back}");
    assert!(!back.contains("stale"), "{back}");
    assert_eq!(
        table_row(&back, "admin").map(str::to_string),
        Some(admin_row),
        "the same rows, fresh"
    );

    screen.keys("q");
    assert!(screen.exit_status().success());
    runtime.block_on(server.shutdown());
}

#[test]
fn a_bulk_role_picker_starts_on_viewer_and_q_closes_the_log_before_quitting() {
    let mut screen = Screen::start(&["--demo"], &[]);
    screen.wait_until("the first full table", |screen| {
        screen.contains("USERNAME") && screen.contains("● Active")
    });
    screen.keys("j");
    screen.keys(" ");
    screen.keys(" ");
    screen.wait_for("2 marked");
    screen.keys("r");
    // The frame may arrive in pieces: wait for the picker with its cursor on Viewer.
    screen.wait_until("the role picker on Viewer", |screen| {
        screen.contains("Role of 2 users") && screen.contains("▌ Viewer")
    });
    screen.keys("\x1b");
    screen.wait_until("the picker closed", |screen| !screen.contains("Role of 2"));

    screen.keys("A");
    screen.wait_for("Activity (");
    screen.keys("q");
    screen.wait_until("the log closed", |screen| !screen.contains("Activity ("));
    screen.keys("q");
    let status = screen.exit_status();
    assert!(status.success(), "the second q quits: {status:?}");
}

#[test]
fn a_change_made_through_the_api_appears_on_screen_without_a_key() {
    let runtime = support::test_runtime();
    let password = "pty-live-password";
    let server = runtime.block_on(support::start_server(5, password));
    let admin = support::admin_client(&server, password);
    let id = runtime
        .block_on(admin.create_user(&NewUser {
            username: "live.watch".into(),
            email: "live.watch@example.ir".into(),
            password: Secret::new("Watch-pass-1"),
            role: UserRole::Viewer,
            first_name: "Live".into(),
            last_name: "Watch".into(),
            mobile: String::new(),
            status: UserStatus::Active,
        }))
        .expect("a user")
        .id;
    let screen = Screen::start(
        &["--refresh", "1"],
        &[
            ("GEOBOX_HOST", server.base_url.clone()),
            ("GEOBOX_USERNAME", server.admin_username.clone()),
            ("GEOBOX_PASSWORD", password.to_string()),
        ],
    );
    let first = screen.wait_until("live.watch, active", |screen| {
        table_row(screen, "live.watch").is_some_and(|row| row.contains("● Active"))
    });
    assert!(
        first
            .lines()
            .next()
            .is_some_and(|title| title.contains("⟳")),
        "{first}"
    );

    // Another admin disables the user; nobody touches the console.
    runtime
        .block_on(admin.update_user(
            id,
            &geobox_api::UserUpdate {
                status: Some(UserStatus::Disabled),
                ..geobox_api::UserUpdate::default()
            },
        ))
        .expect("the change is made");
    let changed = screen.wait_until("the row to change by itself", |screen| {
        table_row(screen, "live.watch").is_some_and(|row| row.contains("○ Disabled"))
    });
    let row = table_row(&changed, "live.watch").unwrap_or_default();
    assert!(row.contains('~'), "the changed row is marked: {row}");

    drop(screen);
    runtime.block_on(server.shutdown());
}
