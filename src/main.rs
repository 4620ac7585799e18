//! `geobox-users`: the console (no subcommand), the demo server (`serve`) and the CLI.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use color_eyre::eyre::WrapErr;
use geobox_api::GeoboxClient;
use geobox_ops::config::{Config, Credentials};
use geobox_users::cli::{self, Cli};
use geobox_users::console::connections::Reach;
use geobox_users::console::deployment::{self, Deployment};
use geobox_users::console::{self, ConsoleOptions};

#[cfg(feature = "demo")]
mod demo;
#[cfg(not(feature = "demo"))]
#[path = "no_demo.rs"]
mod demo;

fn main() -> ExitCode {
    // Arguments first: `--help`, `completions` and usage errors need nothing else.
    let cli = Cli::parse();
    if let Err(error) = color_eyre::install() {
        eprintln!("warning: cannot install the error reporter: {error}");
    }
    match cli.command {
        #[cfg(feature = "demo")]
        Some(cli::Command::Serve(args)) => report(demo::serve(args)),
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

pub(crate) fn multi_thread_runtime() -> color_eyre::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")
}

fn open_console(cli: &Cli) -> color_eyre::Result<()> {
    let (mut others, problems) = deployment::profiles();
    let options = |start: Deployment, others, problems| ConsoleOptions {
        start,
        others,
        problems,
        read_only: cli.read_only,
        log_file: cli.log_file.clone(),
        refresh: cli.refresh.map(std::time::Duration::from_secs),
    };
    let mut timeout = geobox_api::DEFAULT_TIMEOUT;
    if !cli.demo {
        // A broken configuration is reported, not silently replaced by the demo.
        let config = Config::load(&cli.connection.overrides())?;
        if config.credentials != Credentials::None {
            // Ask for a missing password now, before the console takes the terminal.
            let auth = config.auth(cli::prompt_login_password)?;
            let client = GeoboxClient::new(&config.host, auth, config.timeout)?;
            // The profile started on is the deployment shown, not one more to switch to.
            let profile = config.profile.as_deref();
            let start = match others
                .iter()
                .position(|(d, _)| Some(d.name.as_str()) == profile)
            {
                Some(index) => others.remove(index).0,
                None => Deployment::started_on(&config, deployment::view_store(profile)),
            };
            let lazy = demo::lazy(cli.fresh);
            if let Some(launcher) = &lazy {
                let reach = Reach::Demo(launcher.clone());
                others.push((
                    Deployment::demo(None, deployment::view_store(None)),
                    Some(reach),
                ));
            }
            return multi_thread_runtime()?.block_on(async {
                let result = console::run(Arc::new(client), options(start, others, problems)).await;
                demo::stop(lazy).await;
                result
            });
        }
        timeout = config.timeout;
    } else if let Some(secs) = cli.connection.timeout {
        timeout = geobox_ops::config::timeout_from_secs(secs)?;
    }
    demo::open_console(cli.fresh, timeout, |start| options(start, others, problems))
}
