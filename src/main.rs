//! `geobox-users`: the console (no subcommand), the demo server (`serve`) and the CLI.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use color_eyre::eyre::WrapErr;
use geobox_api::GeoboxClient;
use geobox_ops::config::{Config, Credentials};
use geobox_users::cli::{self, Cli, out};
use geobox_users::console::connections::Reach;
use geobox_users::console::deployment::{self, Deployment};
use geobox_users::console::{self, ConsoleOptions};

#[cfg(feature = "demo")]
mod demo;
#[cfg(not(feature = "demo"))]
#[path = "no_demo.rs"]
mod demo;

fn main() -> ExitCode {
    // A shell asking for completions is answered before anything else.
    cli::completion::complete_if_asked();
    // Arguments first: `--help`, `completions` and usage errors need nothing else.
    let cli = Cli::parse();
    out::set_quiet(cli.quiet);
    install_error_reporter();
    match cli.command {
        #[cfg(feature = "demo")]
        Some(cli::Command::Serve(args)) => report(demo::serve(args)),
        Some(command) => {
            init_cli_logging();
            cli::run(command, &cli.connection)
        }
        None if !at_a_terminal() => {
            // Said before anything is started or seeded: a script that forgot its
            // subcommand gets one line, not a demo database and a backtrace.
            out::warn(
                "error: the console needs a terminal, and stdin or stdout is not one; to run \
                 a command, give it (`geobox-users --help` lists them)",
            );
            ExitCode::from(2)
        }
        None => report(open_console(&cli)),
    }
}

/// Whether the console can take the terminal: it reads keys from stdin and draws on stdout.
fn at_a_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// color-eyre's reports, without colour: what they say passes through the CLI's writer,
/// which shows escape codes instead of sending them, and `NO_COLOR` users want none.
fn install_error_reporter() {
    let installed = color_eyre::config::HookBuilder::default()
        .theme(color_eyre::config::Theme::new())
        .install();
    if let Err(error) = installed {
        out::warn(&format!(
            "warning: cannot install the error reporter: {error}"
        ));
    }
}

fn report(result: color_eyre::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            out::warn(&format!("error: {error:?}"));
            ExitCode::FAILURE
        }
    }
}

/// CLI commands log only when asked (`RUST_LOG=geobox_api=debug,geobox_users=debug`), to
/// stderr.
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
    // The demo's entries stay on this machine whatever the journal, so a configuration the
    // demo does not need cannot keep it from opening.
    let journal = Config::load(&cli.connection.overrides())
        .map(|config| config.journal)
        .unwrap_or_default();
    let (mut others, problems) = deployment::profiles();
    let options = |start: Deployment, others, problems| ConsoleOptions {
        start,
        others,
        problems,
        read_only: cli.read_only,
        log_file: cli.log_file.clone(),
        refresh: cli.refresh.map(std::time::Duration::from_secs),
        journal: journal.clone(),
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
