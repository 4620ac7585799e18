//! A throwaway PostgreSQL server for the tests of the team journal: a cluster made with the
//! machine's own `initdb` in a temporary directory, listening on a random loopback port, with
//! a password (so sign-in is tested too), run as an unprivileged user when the tests run as
//! root (PostgreSQL refuses root), and stopped when the test binary exits, also after a
//! failed test.
//!
//! One cluster serves a whole test binary ([`shared`]); each test takes a database of its
//! own ([`TestPostgres::database`]). A test that stops the server takes a cluster of its own
//! ([`TestPostgres::start`]).
//!
//! Without PostgreSQL on the machine these tests say loudly that they are skipped, unless
//! `GEOBOX_USERS_REQUIRE_POSTGRES=1` (CI sets it), where that fails them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// Set to 1 to fail, rather than skip, the PostgreSQL tests on a machine without PostgreSQL.
pub const REQUIRE_VAR: &str = "GEOBOX_USERS_REQUIRE_POSTGRES";
/// A directory holding `initdb` and `pg_ctl`, when they are not where Debian puts them.
pub const BIN_VAR: &str = "GEOBOX_USERS_PG_BIN";

const PASSWORD: &str = "journal-test-Password-1";

/// A running throwaway cluster.
pub struct TestPostgres {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    /// Who runs the server: `None` for the current user.
    run_as: Option<(String, u32, u32)>,
    /// Whether it takes only TLS connections (but to its `postgres` database).
    tls: bool,
}

/// The cluster every test of this binary shares; `None` (said loudly) without PostgreSQL.
pub fn shared() -> Option<&'static TestPostgres> {
    static SHARED: OnceLock<Option<TestPostgres>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let server = TestPostgres::start()?;
            remember_for_exit(&server);
            Some(server)
        })
        .as_ref()
}

/// Clusters to stop when the test binary exits (statics are never dropped).
static AT_EXIT: Mutex<Vec<(PathBuf, PathBuf, Option<String>)>> = Mutex::new(Vec::new());

fn remember_for_exit(server: &TestPostgres) {
    let mut clusters = AT_EXIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if clusters.is_empty() {
        // SAFETY: registers a plain function with no arguments to run at exit.
        unsafe {
            libc::atexit(stop_at_exit);
        }
    }
    clusters.push((server.bin.clone(), server.root.clone(), server.runner()));
}

extern "C" fn stop_at_exit() {
    let clusters = AT_EXIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (bin, root, run_as) in clusters.iter() {
        stop_cluster(bin, root, run_as.as_deref());
        let _ = std::fs::remove_dir_all(root);
    }
}

fn loudly(text: &str) {
    // Straight to the process's stderr: the test harness captures only what print macros say.
    let _ = writeln!(std::io::stderr(), "\n*** {text} ***\n");
}

/// Where `initdb` and `pg_ctl` are: `GEOBOX_USERS_PG_BIN`, the newest of Debian's versioned
/// directories, or the PATH.
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(BIN_VAR) {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A user PostgreSQL will run as, for tests run as root.
fn unprivileged_user() -> Option<(String, u32, u32)> {
    for name in ["postgres", "nobody"] {
        let output = Command::new("id").args(["-u", name]).output().ok()?;
        let group = Command::new("id").args(["-g", name]).output().ok()?;
        if output.status.success() && group.status.success() {
            let uid = String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .ok()?;
            let gid = String::from_utf8_lossy(&group.stdout).trim().parse().ok()?;
            return Some((name.to_string(), uid, gid));
        }
    }
    None
}

fn command(bin: &Path, program: &str, run_as: Option<&str>) -> Command {
    match run_as {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(bin.join(program));
            command
        }
        None => Command::new(bin.join(program)),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn stop_cluster(bin: &Path, root: &Path, run_as: Option<&str>) {
    let _ = command(bin, "pg_ctl", run_as)
        .arg("-D")
        .arg(root.join("data"))
        .args(["-m", "immediate", "-w", "stop"])
        .output();
}

impl TestPostgres {
    /// A new cluster of its own, started; `None` (said loudly, or a failure when required)
    /// without PostgreSQL on the machine. The caller stops it by dropping it.
    pub fn start() -> Option<TestPostgres> {
        let server = TestPostgres::init()?;
        server.resume();
        Some(server)
    }

    /// A new cluster of its own that takes only TLS connections to its databases (plain ones
    /// only to `postgres`, where [`database`](TestPostgres::database) makes them), with a
    /// certificate for `localhost` signed by a CA of its own; the cluster and the CA's PEM
    /// file. `None`, said loudly, without PostgreSQL or without the `openssl` tool that makes
    /// the certificates.
    pub fn start_tls() -> Option<(TestPostgres, PathBuf)> {
        let mut server = TestPostgres::init()?;
        let ca = match server.make_certificates() {
            Ok(ca) => ca,
            Err(why) => {
                loudly(&format!(
                    "SKIPPED: the TLS journal test needs the openssl tool: {why}"
                ));
                return None;
            }
        };
        let hba = "local all all trust\n\
                   hostnossl postgres postgres 127.0.0.1/32 scram-sha-256\n\
                   hostnossl all all 127.0.0.1/32 reject\n\
                   hostssl all all 127.0.0.1/32 scram-sha-256\n";
        std::fs::write(server.root.join("data/pg_hba.conf"), hba).expect("pg_hba.conf");
        server.tls = true;
        server.resume();
        Some((server, ca))
    }

    /// The CA and the server's certificate (for `localhost` only), in the cluster's directory.
    fn make_certificates(&self) -> Result<PathBuf, String> {
        let root = &self.root;
        let openssl = |args: &[&str]| -> Result<(), String> {
            let done = Command::new("openssl")
                .args(args)
                .current_dir(root)
                .output()
                .map_err(|error| error.to_string())?;
            if done.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&done.stderr).into_owned())
            }
        };
        std::fs::write(
            root.join("server.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|error| error.to_string())?;
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=geobox journal test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ])?;
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ])?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ])?;
        for file in ["server.key", "server.crt"] {
            let path = root.join(file);
            let _ = std::fs::set_permissions(
                &path,
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            );
            if let Some((_, uid, gid)) = &self.run_as {
                std::os::unix::fs::chown(&path, Some(*uid), Some(*gid))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(root.join("ca.pem"))
    }

    fn runner(&self) -> Option<String> {
        self.run_as.as_ref().map(|(name, ..)| name.clone())
    }

    fn init() -> Option<TestPostgres> {
        let required = std::env::var(REQUIRE_VAR).is_ok_and(|value| value.trim() == "1");
        let Some(bin) = find_bin() else {
            assert!(
                !required,
                "{REQUIRE_VAR}=1, but PostgreSQL's initdb and pg_ctl are nowhere \
                 (/usr/lib/postgresql/*/bin, {BIN_VAR} or the PATH): install the server package \
                 (Debian: postgresql)"
            );
            loudly(
                "SKIPPED: the PostgreSQL journal tests need PostgreSQL's initdb and pg_ctl \
                 (Debian: apt-get install postgresql); set GEOBOX_USERS_REQUIRE_POSTGRES=1 to \
                 fail instead",
            );
            return None;
        };
        let run_as = if is_root() {
            let (name, uid, gid) = unprivileged_user()
                .expect("tests run as root need a postgres or nobody user to run PostgreSQL as");
            Some((name, uid, gid))
        } else {
            None
        };
        let root = tempfile::Builder::new()
            .prefix("geobox-journal-pg-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        let password_file = root.join("password");
        std::fs::write(&password_file, PASSWORD).expect("the password file");
        if let Some((_, uid, gid)) = &run_as {
            for path in [&root, &password_file] {
                std::os::unix::fs::chown(path, Some(*uid), Some(*gid))
                    .expect("the cluster's directory given to the user running it");
            }
        }
        let user = run_as.as_ref().map(|(name, ..)| name.as_str());
        let initialized = command(&bin, "initdb", user)
            .arg("-D")
            .arg(root.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", password_file.display()))
            .args(["-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb runs");
        assert!(
            initialized.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initialized.stderr)
        );
        Some(TestPostgres {
            bin,
            root,
            port: free_port(),
            run_as,
            tls: false,
        })
    }

    /// Starts the cluster (again, after [`pause`](TestPostgres::pause)) on its port.
    pub fn resume(&self) {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            self.port
        );
        if self.tls {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key",
                self.root.display()
            ));
        }
        let started = command(&self.bin, "pg_ctl", self.runner().as_deref())
            .arg("-D")
            .arg(self.root.join("data"))
            .arg("-l")
            .arg(self.root.join("log"))
            .args(["-o", &options, "-w", "start"])
            .output()
            .expect("pg_ctl runs");
        assert!(
            started.status.success(),
            "PostgreSQL did not start: {}\n{}",
            String::from_utf8_lossy(&started.stderr),
            std::fs::read_to_string(self.root.join("log")).unwrap_or_default()
        );
    }

    /// Stops the cluster, keeping its data, as a database that went away does.
    pub fn pause(&self) {
        let stopped = command(&self.bin, "pg_ctl", self.runner().as_deref())
            .arg("-D")
            .arg(self.root.join("data"))
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .expect("pg_ctl runs");
        assert!(stopped.status.success(), "PostgreSQL did not stop");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new database of its own for one test; its URL (with the password).
    pub fn database(&self) -> String {
        self.url(&self.new_database())
    }

    /// A new database of its own for one test; its name.
    pub fn new_database(&self) -> String {
        let name = format!(
            "journal_{}",
            crate::journal::random_text(b"abcdefghijklmnopqrstuvwxyz0123456789", 12)
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                    .await
                    .expect("the test cluster answers");
            let connection = tokio::spawn(connection);
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("a database");
            drop(client);
            let _ = connection.await;
        });
        name
    }

    /// The URL of `database`, with the password (without TLS: the test's own connections).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// The URL of `database` on `host` (`localhost` or `127.0.0.1`) with these options.
    pub fn url_with(&self, host: &str, database: &str, options: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/{database}?{options}",
            self.port
        )
    }

    /// The number `sql` (one row, one bigint) answers, asked as the superuser at `url`.
    pub fn count(&self, url: &str, sql: &str) -> i64 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("the test cluster answers");
            let connection = tokio::spawn(connection);
            let count: i64 = client
                .query_one(sql, &[])
                .await
                .expect("the SQL runs")
                .get(0);
            drop(client);
            let _ = connection.await;
            count
        })
    }

    /// Runs `sql` as the superuser in `database` (to age a claim, or play a newer version).
    pub fn execute(&self, url: &str, sql: &str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .expect("the test cluster answers");
            let connection = tokio::spawn(connection);
            client.batch_execute(sql).await.expect("the SQL runs");
            drop(client);
            let _ = connection.await;
        });
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let shared_one = AT_EXIT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|(_, root, _)| *root == self.root);
        if !shared_one {
            stop_cluster(&self.bin, &self.root, self.runner().as_deref());
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}
