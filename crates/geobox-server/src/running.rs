//! Starting and stopping the server: options, the prepared database, the running server and
//! its shutdown, the demo.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use geobox_api::Secret;

use crate::error::{ServerError, ServerResult};
use crate::seed::{self, SEED_PASSWORD};
use crate::store::{self, Store};
use crate::{auth, listener, routes, state};

/// The demo admin's password: the demo binds loopback only, so a fixed one is harmless and
/// lets the console sign in without asking.
pub const DEMO_ADMIN_PASSWORD: &str = "geobox-demo";

/// How long `shutdown` waits for requests in flight before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// How long a client has to send a request head: long enough for any real client on a slow
/// link, short enough that half-sent requests cannot hold the connection slots for long.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an unused token of the demo and the tests lasts (`serve` sets its own).
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How to start a server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Loopback with port 0 (any free port) unless told otherwise.
    pub bind: SocketAddr,
    /// `None`: an in-memory database.
    pub db: Option<PathBuf>,
    /// Demo users to create when the database is new.
    pub seed_users: u64,
    /// The seed of the deterministic demo data.
    pub seed: u64,
    pub admin_username: String,
    /// `None`: a random password, generated at start and reported in [`RunningServer`].
    pub admin_password: Option<Secret>,
    /// Delete the database file first and seed anew.
    pub fresh: bool,
    /// A connection that has not sent a whole request head this long after opening (or after
    /// starting it) is closed.
    pub header_timeout: Duration,
    /// A token unused this long stops working.
    pub session_idle: Duration,
    /// The console's demo: an admin who exists already keeps their password (nothing is
    /// hashed at start), and a session is opened for them ([`RunningServer::admin_token`]),
    /// so the console signs in without a password check. `serve` leaves it off.
    pub demo: bool,
    /// Keep every user's status, role and place in each sort order in memory (about 42 bytes
    /// a user), so that first asks of filtered, sorted lists need no row reads.
    pub memory_columns: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            seed_users: 500,
            seed: 1,
            admin_username: "admin".to_string(),
            admin_password: None,
            fresh: false,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            session_idle: DEFAULT_SESSION_IDLE,
            demo: false,
            memory_columns: true,
        }
    }
}

/// A server running on the current tokio runtime. Dropping it does not stop it; call `shutdown`.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT/v1/`
    pub base_url: String,
    pub admin_username: String,
    pub admin_password: Secret,
    /// An API key of the admin (`?apikey=`), new at every start: keys are stored hashed, so
    /// an older one cannot be shown again (it keeps working until the next start).
    pub admin_apikey: Secret,
    /// Whether `admin_password` was generated here (not given by the caller).
    pub admin_password_generated: bool,
    /// With [`ServerOptions::demo`]: a bearer token of a session opened for the admin at start.
    pub admin_token: Option<Secret>,
    /// The users created by seeding this time (0 when the database already had users).
    pub seeded_users: u64,
    /// Privileged users (other than the admin) whose seed password was replaced by a random
    /// one because the server listens beyond loopback.
    pub locked_privileged: u64,
    /// How long opening, migrating and seeding took.
    pub startup: Duration,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    store: Arc<Store>,
}

impl fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .field("base_url", &self.base_url)
            .field("admin_username", &self.admin_username)
            .field("admin_password", &self.admin_password)
            .field("admin_apikey", &self.admin_apikey)
            .field("admin_token", &self.admin_token)
            .field("seeded_users", &self.seeded_users)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Whether the in-memory columns ([`ServerOptions::memory_columns`]) are made for the
    /// data as it is now: until then, first asks of filtered, sorted lists read rows.
    pub fn columns_settled(&self) -> bool {
        self.store.columns_settled()
    }

    /// Stops accepting, finishes requests in flight, closes the database.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => tracing::warn!(%error, "server stopped with an error"),
            Ok(Err(error)) => tracing::warn!(%error, "server task failed"),
            Err(_) => {
                tracing::warn!("requests still running after the grace period: dropping them");
                task.abort();
            }
        }
        tracing::debug!("server stopped; closing the database");
        match Arc::try_unwrap(self.store) {
            Ok(store) => {
                let _ = tokio::task::spawn_blocking(move || store.close()).await;
                tracing::debug!("database closed");
            }
            Err(_) => tracing::debug!("database still referenced: it closes with its last user"),
        }
    }
}

fn io_error(error: ServerError) -> std::io::Error {
    let message = match error {
        ServerError::Detail(_, message)
        | ServerError::Internal(message)
        | ServerError::Throttled { message, .. } => message,
        ServerError::Validation(issues) => issues
            .into_iter()
            .map(|issue| issue.msg)
            .collect::<Vec<_>>()
            .join("; "),
    };
    std::io::Error::other(message)
}

/// What the blocking half of `start` prepared.
struct Prepared {
    store: Store,
    password: Secret,
    password_generated: bool,
    apikey: Secret,
    token: Option<Secret>,
    seeded: u64,
    locked: u64,
}

/// Opens, migrates, seeds (when empty), and makes sure the admin exists with this password.
fn prepare(options: &ServerOptions) -> ServerResult<Prepared> {
    if options.fresh
        && let Some(path) = &options.db
    {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(ServerError::Internal(format!(
                        "cannot delete {}: {error}",
                        PathBuf::from(file).display()
                    )));
                }
            }
        }
    }
    if let Some(path) = &options.db {
        owner_only_database(path)?;
    }
    let store = Store::open(options.db.as_deref())?;
    let (password, password_generated) = match &options.admin_password {
        Some(password) if !password.is_empty() => (password.clone(), false),
        _ => (Secret::new(auth::new_password()?), true),
    };
    let apikey = auth::new_secret()?;
    let apikey_hash = auth::secret_hash(&apikey);
    let username = options.admin_username.trim().to_string();
    if username.is_empty() {
        return Err(ServerError::Internal("the admin username is empty".into()));
    }
    // Argon2 is the slowest step of a start on a kept database: the demo skips it when the
    // admin is there already.
    // On the writer: an idle reader would keep the seed from leaving WAL mode.
    let admin_exists =
        store.write_blocking(|conn| Ok(store::find_login(conn, &username)?.is_some()))?;
    let admin_hash = if options.demo && admin_exists {
        None
    } else {
        Some(auth::hash_password(password.expose())?)
    };
    let token = if options.demo {
        Some(auth::new_secret()?)
    } else {
        None
    };
    let token_hash = token.as_deref().map(auth::secret_hash);
    let (was_empty, admin_id) = store.transaction_blocking(|tx| {
        let was_empty = store::user_count(tx)? == 0;
        seed::ensure_plans(tx)?;
        let admin_id = store::ensure_admin(tx, &username, admin_hash.as_deref())?;
        store::replace_api_key(tx, admin_id, "serve", &apikey_hash)?;
        if let Some(token_hash) = &token_hash {
            let at = store::now();
            store::insert_session(
                tx,
                &store::NewSession {
                    uuid: &uuid::Uuid::new_v4().to_string(),
                    user_id: admin_id,
                    token_hash: Some(token_hash),
                    agent: Some("geobox-users console (demo)"),
                    ip: Some("127.0.0.1"),
                    created_at: &at,
                    last_seen: &at,
                },
            )?;
        }
        Ok((was_empty, admin_id))
    })?;
    let seeded = if was_empty && options.seed_users > 0 {
        let shared_hash = auth::hash_password(SEED_PASSWORD)?;
        store.write_blocking(|conn| {
            Ok(seed::seed(
                conn,
                options.seed_users,
                options.seed,
                &shared_hash,
            )?)
        })?;
        options.seed_users
    } else {
        0
    };
    let locked = if options.bind.ip().is_loopback() {
        0
    } else {
        lock_privileged_seed_passwords(&store, admin_id)?
    };
    Ok(Prepared {
        store,
        password,
        password_generated,
        apikey: Secret::new(apikey),
        token: token.map(Secret::new),
        seeded,
        locked,
    })
}

/// How many distinct password hashes of privileged users are checked against the seed
/// password at a start beyond loopback (seeded users share one hash, so one check covers them
/// all; the bound keeps a database with many hand-made admins from slowing the start).
const MAX_HASHES_CHECKED: usize = 16;

/// Off loopback, the public seed password must not open a privileged account: every System
/// Admin and Account Admin (but the configured admin) who still has it gets a random password
/// nobody is told, and their sessions are closed. Returns how many.
fn lock_privileged_seed_passwords(store: &Store, admin_id: i64) -> ServerResult<u64> {
    store.transaction_blocking(|tx| {
        let mut locked = 0;
        let mut random_hash = None;
        for hash in store::privileged_password_hashes(tx, admin_id, MAX_HASHES_CHECKED)? {
            if !auth::verify_password(SEED_PASSWORD, &hash) {
                continue;
            }
            let random_hash = match &random_hash {
                Some(random) => random,
                None => random_hash.insert(auth::hash_password(&auth::new_password()?)?),
            };
            locked += store::replace_privileged_password(tx, &hash, random_hash, admin_id)?;
        }
        Ok(locked)
    })
}

/// Creates the database file readable by its owner only (SQLite gives its `-wal` and `-shm`
/// the same mode): it holds password hashes. An existing file keeps the mode it has.
fn owner_only_database(path: &Path) -> ServerResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(ServerError::Internal(format!(
            "cannot create {}: {error}",
            path.display()
        ))),
    }
}

/// What `serve` says when it listens beyond loopback, or nothing on loopback.
fn exposure_warning(addr: SocketAddr, locked_privileged: u64) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    let mut warning = format!(
        "WARNING: listening on {addr} — reachable from other machines, over plain HTTP.\n\
         WARNING: anyone who can reach it and knows the admin password controls this demo."
    );
    if locked_privileged > 0 {
        warning.push_str(&format!(
            "\nWARNING: {locked_privileged} seeded System Admins and Account Admins were given \
             random passwords (not shown) instead of the public {SEED_PASSWORD}; set one with \
             change-password as the admin if you need them."
        ));
    }
    Some(warning)
}

/// Starts a server in this process (returns once it listens).
pub async fn start(options: ServerOptions) -> Result<RunningServer, std::io::Error> {
    let started = std::time::Instant::now();
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!("cannot listen on {}: {error}", options.bind),
            )
        })?;
    let addr = listener.local_addr()?;
    let admin_username = options.admin_username.trim().to_string();
    let (header_timeout, session_idle) = (options.header_timeout, options.session_idle);
    let memory_columns = options.memory_columns;
    let prepared = tokio::task::spawn_blocking(move || prepare(&options))
        .await
        .map_err(std::io::Error::other)?
        .map_err(io_error)?;
    let store = Arc::new(prepared.store);
    if memory_columns {
        store.keep_columns_in_memory();
    }
    let state = state::AppState {
        store: Arc::clone(&store),
        dummy_hash: Arc::default(),
        sign_ins: Arc::default(),
        session_idle,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let stopped = async {
        let _ = stopped.await;
    };
    let task = tokio::spawn(listener::serve(
        listener,
        routes::router(state),
        header_timeout,
        stopped,
    ));
    let host = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    Ok(RunningServer {
        addr,
        base_url: format!("http://{host}/v1/"),
        admin_username,
        admin_password: prepared.password,
        admin_password_generated: prepared.password_generated,
        admin_apikey: prepared.apikey,
        admin_token: prepared.token,
        seeded_users: prepared.seeded,
        locked_privileged: prepared.locked,
        startup: started.elapsed(),
        stop,
        task,
        store,
    })
}

/// `geobox-users serve`: starts, prints the base URL and the admin's credentials, warns loudly
/// when bound beyond loopback, and runs until Ctrl-C or SIGTERM, then stops cleanly.
#[allow(
    clippy::disallowed_macros,
    reason = "the banner is the server's own text: its address, paths and the operator's admin name"
)]
pub async fn serve_until_signal(options: ServerOptions) -> Result<(), std::io::Error> {
    let database = options.db.as_ref().map_or_else(
        || "in memory (gone when the server stops)".to_string(),
        |path| path.display().to_string(),
    );
    let stop = stop_signals()?;
    let server = start(options).await?;
    if let Some(warning) = exposure_warning(server.addr, server.locked_privileged) {
        eprintln!("{warning}");
    }
    println!("Geobox-compatible demo server listening on {}", server.addr);
    println!("  base URL:  {}", server.base_url);
    println!("  database:  {database}");
    if server.seeded_users > 0 {
        let except = if server.locked_privileged > 0 {
            ", but the System and Account Admins'"
        } else {
            ""
        };
        println!(
            "  seeded:    {} users in {:.1}s (their password: {SEED_PASSWORD}{except})",
            server.seeded_users,
            server.startup.as_secs_f64()
        );
    }
    println!("  admin:     {}", server.admin_username);
    // A password the operator chose stays off the screen (and out of terminal scrollback).
    if server.admin_password_generated {
        println!("  password:  {}", server.admin_password.expose());
    } else {
        println!("  password:  the one given (--admin-password or GEOBOX_SERVE_ADMIN_PASSWORD)");
    }
    println!(
        "  API key:   {} (new at every start)",
        server.admin_apikey.expose()
    );
    println!(
        "Point a client at it (ours or the Python SDK):\n  \
         GEOBOX_HOST={} GEOBOX_USERNAME={} GEOBOX_PASSWORD=<password above>",
        server.base_url.trim_end_matches("v1/"),
        server.admin_username
    );
    println!("Stop with Ctrl-C.");
    stop.await;
    println!("Stopping…");
    server.shutdown().await;
    Ok(())
}

/// Listens for Ctrl-C and SIGTERM from now on: registered before the server starts, so a
/// signal during a long seed is not lost (and does not kill the process half-way).
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The demo's files are ours: ones an older version created readable by others are narrowed.
#[cfg(unix)]
fn owner_only_demo_files(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        // Not followed: a link planted in place of the demo's database would hand SQLite, and
        // this chmod, a file of someone else's choosing.
        match std::fs::symlink_metadata(&file) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "refusing to open the demo database: {} is a symbolic link, which \
                         geobox-users never makes (remove it, or start with --fresh after \
                         removing it)",
                        std::path::Path::new(&file).display()
                    ),
                ));
            }
            Ok(metadata) if metadata.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Elsewhere the files take the permissions of the user's data directory, which is theirs.
#[cfg(not(unix))]
fn owner_only_demo_files(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The console's demo: a server on an ephemeral loopback port whose database is the file at
/// `path` (`fresh` reseeds), with the demo admin's known password.
pub async fn start_demo(path: &Path, fresh: bool) -> Result<RunningServer, std::io::Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    owner_only_demo_files(path)?;
    start(ServerOptions {
        db: Some(path.to_path_buf()),
        admin_password: Some(Secret::new(DEMO_ADMIN_PASSWORD)),
        fresh,
        demo: true,
        ..ServerOptions::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(role, password_hash)` of one seeded user of each role but the admin.
    fn hashes_by_role(store: &Store) -> Vec<(String, String)> {
        store
            .read_blocking(|conn| {
                let mut statement = conn.prepare(
                    "SELECT role, min(password_hash) FROM users WHERE id > 1 GROUP BY role",
                )?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .expect("reads")
    }

    fn prepared_at(bind: [u8; 4]) -> Prepared {
        prepare(&ServerOptions {
            bind: SocketAddr::from((bind, 0)),
            seed_users: 300,
            admin_password: Some(Secret::new("admin-pass-1")),
            ..ServerOptions::default()
        })
        .expect("prepares")
    }

    #[test]
    fn beyond_loopback_privileged_seeded_users_lose_the_public_password() {
        let exposed = prepared_at([0, 0, 0, 0]);
        let hashes = hashes_by_role(&exposed.store);
        assert_eq!(hashes.len(), 5, "{hashes:?}");
        for (role, hash) in &hashes {
            let privileged = role == "System Admin" || role == "Account Admin";
            assert_eq!(
                auth::verify_password(SEED_PASSWORD, hash),
                !privileged,
                "{role} keeps the seed password: {}",
                !privileged
            );
        }
        assert!(exposed.locked > 0);
        let warning = exposure_warning(SocketAddr::from(([0, 0, 0, 0], 80)), exposed.locked)
            .expect("a warning off loopback");
        assert!(
            warning.contains(&format!(
                "{} seeded System Admins and Account Admins were given random passwords",
                exposed.locked
            )),
            "{warning}"
        );
        let admin = exposed
            .store
            .read_blocking(|conn| Ok(store::find_login(conn, "admin")?))
            .expect("reads")
            .expect("the admin");
        assert!(auth::verify_password("admin-pass-1", &admin.1));
    }

    #[test]
    fn on_loopback_every_seeded_user_keeps_the_public_password() {
        let local = prepared_at([127, 0, 0, 1]);
        assert_eq!(local.locked, 0);
        for (role, hash) in hashes_by_role(&local.store) {
            assert!(auth::verify_password(SEED_PASSWORD, &hash), "{role}");
        }
        assert_eq!(
            exposure_warning(SocketAddr::from(([127, 0, 0, 1], 80)), 0),
            None
        );
    }

    #[test]
    fn only_a_generated_admin_password_is_reported_as_generated() {
        assert!(!prepared_at([127, 0, 0, 1]).password_generated);
        let generated = prepare(&ServerOptions {
            seed_users: 0,
            ..ServerOptions::default()
        })
        .expect("prepares");
        assert!(generated.password_generated);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_and_its_journal_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("demo.sqlite");
        let prepared = prepare(&ServerOptions {
            db: Some(path.clone()),
            seed_users: 10,
            ..ServerOptions::default()
        })
        .expect("prepares");
        prepared
            .store
            .write_blocking(|conn| Ok(store::set_last_login(conn, 1, "2026-01-01")?))
            .expect("writes");
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let mode = std::fs::metadata(&file)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{suffix}: {mode:o}");
        }
    }
}
