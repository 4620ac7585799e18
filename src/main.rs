//! `geobox-users`: the console (no subcommand), the demo server (`serve`) and the CLI.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use color_eyre::eyre::{WrapErr, eyre};

use geobox_users::api::{Auth, GeoboxClient, redact_host};
use geobox_users::cli::{self, Cli, Command, ServeArgs};
use geobox_users::config::{Config, Credentials};
use geobox_users::console::{self, ConsoleOptions};
use geobox_users::server::{self, ServerOptions};
use geobox_users::views::ViewStore;

fn main() -> ExitCode {
    // Arguments first: `--help`, `completions` and usage errors need nothing else.
    let cli = Cli::parse();
    if let Err(error) = color_eyre::install() {
        eprintln!("warning: cannot install the error reporter: {error}");
    }
    match cli.command {
        Some(Command::Serve(args)) => report(serve(args)),
        Some(command) => {
            init_cli_logging();
            cli::run(command, &cli.connection)
        }
        None => report(open_console(&cli)),
    }
}

fn report(result: color_eyre::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:?}");
            ExitCode::FAILURE
        }
    }
}

/// CLI commands log only when asked (`RUST_LOG=geobox_users=debug`), to stderr.
fn init_cli_logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
}

fn multi_thread_runtime() -> color_eyre::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")
}

fn serve(args: ServeArgs) -> color_eyre::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("geobox_users=info"));
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
        .block_on(server::serve_until_signal(options))
        .wrap_err("the demo server failed")
}

fn open_console(cli: &Cli) -> color_eyre::Result<()> {
    let options = |demo_url: Option<String>, host_label: String| ConsoleOptions {
        demo_url,
        host_label,
        read_only: cli.read_only,
        log_file: cli.log_file.clone(),
        view_store: ViewStore::for_overrides(&cli.connection.overrides()).ok(),
    };
    let mut timeout = geobox_users::api::DEFAULT_TIMEOUT;
    if !cli.demo {
        // A broken configuration is reported, not silently replaced by the demo.
        let config = Config::load(&cli.connection.overrides())?;
        if config.credentials != Credentials::None {
            // Ask for a missing password now, before the console takes the terminal.
            let auth = config.auth(cli::prompt_login_password)?;
            let client = GeoboxClient::new(&config.host, auth, config.timeout)?;
            return multi_thread_runtime()?.block_on(console::run(
                Arc::new(client),
                options(None, redact_host(&config.host)),
            ));
        }
        timeout = config.timeout;
    } else if let Some(secs) = cli.connection.timeout {
        timeout =
            geobox_users::config::timeout_from_secs(secs).map_err(|message| eyre!(message))?;
    }
    let runtime = multi_thread_runtime()?;
    runtime.block_on(async {
        let demo = server::start_demo(cli.fresh)
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
