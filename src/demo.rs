//! The built-in demo server: `serve`, and the console on the demo when nothing is configured.

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{WrapErr, eyre};
use futures_util::future::BoxFuture;
use geobox_api::{Auth, GeoboxClient};
use geobox_server::{RunningServer, ServerOptions};
use geobox_users::cli::serve::ServeArgs;
use geobox_users::console::connections::DemoLauncher;
use geobox_users::console::deployment::{self, Deployment};
use geobox_users::console::{self, ConsoleOptions};

use crate::multi_thread_runtime;

pub fn serve(args: ServeArgs) -> color_eyre::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("geobox_server=info,geobox_users=info")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let defaults = ServerOptions::default();
    let options = ServerOptions {
        bind: args.bind.unwrap_or(defaults.bind),
        db: args.db,
        seed_users: args.seed_users,
        seed: args.seed.unwrap_or(defaults.seed),
        admin_username: args.admin_username,
        admin_password: args.admin_password,
        fresh: args.fresh,
        header_timeout: Duration::from_secs_f64(args.header_timeout),
        session_idle: Duration::from_secs_f64(args.session_idle),
        demo: false,
        memory_columns: !args.no_memory_columns,
    };
    multi_thread_runtime()?
        .block_on(geobox_server::serve_until_signal(options))
        .wrap_err("the demo server failed")
}

/// Where the demo's database lives.
fn demo_database() -> color_eyre::Result<std::path::PathBuf> {
    let dir = geobox_ops::paths::data_dir()
        .ok_or_else(|| eyre!("no home directory: cannot place the demo database"))?;
    // The demo's database sits beside the journal: a directory others may write in, or that
    // is not ours, is refused before anything is opened there.
    geobox_ops::paths::check_private_dir(&dir)
        .wrap_err("cannot keep the demo database in the data directory")?;
    Ok(dir.join("demo.sqlite"))
}

/// How the console signs in to the demo: as its admin, with the token the server made at
/// start when it has one (no password check on the way to the table).
fn admin_auth(demo: &RunningServer) -> Auth {
    match &demo.admin_token {
        Some(token) => Auth::AccessToken(token.clone()),
        None => Auth::Password {
            username: demo.admin_username.clone(),
            password: demo.admin_password.clone(),
        },
    }
}

/// The console on the demo server, which runs in this process on a loopback port with its
/// database in the data directory (`fresh` reseeds it).
pub fn open_console(
    fresh: bool,
    timeout: Duration,
    options: impl FnOnce(Deployment) -> ConsoleOptions,
) -> color_eyre::Result<()> {
    let path = demo_database()?;
    multi_thread_runtime()?.block_on(async {
        let demo = geobox_server::start_demo(&path, fresh)
            .await
            .wrap_err("cannot start the demo server")?;
        let client = GeoboxClient::new(&demo.base_url, admin_auth(&demo), timeout)
            .map_err(|error| eyre!("cannot reach the demo server: {error}"))?;
        let start = Deployment::demo(Some(&demo.base_url), deployment::view_store(None));
        let result = console::run(Arc::new(client), options(start)).await;
        demo.shutdown().await;
        result
    })
}

/// The demo as a deployment to switch to from another one: started the first time it is
/// chosen, stopped when the console quits.
pub struct LazyDemo {
    fresh: bool,
    running: tokio::sync::Mutex<Option<RunningServer>>,
}

impl DemoLauncher for LazyDemo {
    fn launch(&self) -> BoxFuture<'_, Result<(String, Auth), String>> {
        Box::pin(async move {
            let mut running = self.running.lock().await;
            if let Some(demo) = running.as_ref() {
                return Ok((demo.base_url.clone(), admin_auth(demo)));
            }
            let path = demo_database().map_err(|error| error.to_string())?;
            let demo = geobox_server::start_demo(&path, self.fresh)
                .await
                .map_err(|error| format!("cannot start the demo server: {error}"))?;
            let reached = (demo.base_url.clone(), admin_auth(&demo));
            *running = Some(demo);
            Ok(reached)
        })
    }
}

/// The demo, to start when chosen (this build has it).
pub fn lazy(fresh: bool) -> Option<Arc<LazyDemo>> {
    Some(Arc::new(LazyDemo {
        fresh,
        running: tokio::sync::Mutex::new(None),
    }))
}

/// Stops the demo if it was started.
pub async fn stop(lazy: Option<Arc<LazyDemo>>) {
    if let Some(lazy) = lazy
        && let Some(demo) = lazy.running.lock().await.take()
    {
        demo.shutdown().await;
    }
}
