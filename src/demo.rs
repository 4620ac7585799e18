//! The built-in demo server: `serve`, and the console on the demo when nothing is configured.

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::{WrapErr, eyre};
use geobox_api::{Auth, GeoboxClient};
use geobox_server::ServerOptions;
use geobox_users::cli::serve::ServeArgs;
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

/// The console on the demo server, which runs in this process on a loopback port with its
/// database in the data directory (`fresh` reseeds it).
pub fn open_console(
    fresh: bool,
    timeout: Duration,
    options: impl Fn(Option<String>, String) -> ConsoleOptions,
) -> color_eyre::Result<()> {
    let dir = geobox_ops::paths::data_dir()
        .ok_or_else(|| eyre!("no home directory: cannot place the demo database"))?;
    // The demo's database sits beside the journal: a directory others may write in, or that
    // is not ours, is refused before anything is opened there.
    geobox_ops::paths::check_private_dir(&dir)
        .wrap_err("cannot keep the demo database in the data directory")?;
    let path = dir.join("demo.sqlite");
    multi_thread_runtime()?.block_on(async {
        let demo = geobox_server::start_demo(&path, fresh)
            .await
            .wrap_err("cannot start the demo server")?;
        // Signed in at start, in this process: no password check on the way to the table.
        let auth = match &demo.admin_token {
            Some(token) => Auth::AccessToken(token.clone()),
            None => Auth::Password {
                username: demo.admin_username.clone(),
                password: demo.admin_password.clone(),
            },
        };
        let client = GeoboxClient::new(&demo.base_url, auth, timeout)
            .map_err(|error| eyre!("cannot reach the demo server: {error}"))?;
        let base_url = demo.base_url.clone();
        let result =
            console::run(Arc::new(client), options(Some(base_url.clone()), base_url)).await;
        demo.shutdown().await;
        result
    })
}
