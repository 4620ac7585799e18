//! The scriptable CLI: argument definitions, exit codes, and the runner of the commands that
//! talk to a Geobox server. Each command group lives in its own file.
//!
//! Exit codes: 0 success; 1 the request failed (API, network, timeout) or a confirmation was
//! declined; 2 usage or configuration error (clap's own usage errors exit 2 as well).

pub mod bulk;
pub mod completion;
pub mod find;
pub mod journal;
pub mod lockdown;
pub mod logout;
pub mod members;
pub mod out;
pub mod paging;
pub mod plans;
pub mod protected;
#[cfg(feature = "demo")]
pub mod serve;
pub mod sessions;
pub mod show;
pub mod targets;
pub mod user_writes;
pub mod users;
pub mod views;

use std::io::{self, BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use geobox_api::{ApiError, Auth, GeoboxClient, Secret, User, UserRef};
use geobox_ops::bulk::BulkError;
use geobox_ops::config::{Config, ConfigError, Credentials, Overrides, timeout_from_secs};
use geobox_ops::journal::JournalError;
use geobox_ops::lockdown::LockdownError;
use geobox_ops::safety::SignedIn;
use geobox_ops::transfer::import::ImportError;

pub use geobox_ops::transfer::output::Format;
pub use out::{at_terminal, confirm, note, print_stdout, warn};
pub use paging::PageArgs;
pub use show::OutputArgs;

/// A fast terminal console and CLI for administering Geobox users.
///
/// Without a subcommand it opens the console: against the configured host when credentials
/// are configured, else against a built-in demo server.
#[derive(Debug, Parser)]
#[command(name = "geobox-users", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Open the console on the built-in demo server even when credentials are configured.
    #[arg(long)]
    pub demo: bool,

    /// Reseed the demo server's database before opening it.
    #[arg(long)]
    pub fresh: bool,

    /// Console: hide every action that changes something.
    #[arg(long)]
    pub read_only: bool,

    /// Console: write logs to this file (never to the screen).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Console: read the table again every SECONDS (0: never) [config: [console] refresh]
    /// [default: 5]
    #[arg(long, value_name = "SECONDS")]
    pub refresh: Option<u64>,

    /// Print no notes on stderr (what was done, what was left out); results, warnings,
    /// questions and errors still show.
    #[arg(long, global = true, help_heading = "Output")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where to connect and how to sign in. Each flag beats the selected profile, which beats the
/// Python SDK's environment variables (also read from `./.env`). `Debug` shows what
/// [`Overrides`] shows: secrets hidden, a password in the host redacted.
#[derive(Default, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Geobox host, with or without /v1 [env: GEOBOX_HOST] [default: https://api.geobox.ir]
    #[arg(long, global = true, value_name = "URL")]
    pub host: Option<String>,

    /// Profile of the config file to use [env: GEOBOX_PROFILE]
    #[arg(long, global = true, value_name = "NAME", add = completion::profile_names())]
    pub profile: Option<String>,

    // Not global, unlike the rest: `users create/update --username` name the user being
    // written, so the sign-in username goes before the subcommand.
    /// Sign in with this username; give it before the subcommand [env: GEOBOX_USERNAME]
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,

    /// Password for --username, before the subcommand; prefer GEOBOX_PASSWORD (flags show in
    /// `ps`) [env: GEOBOX_PASSWORD]
    #[arg(long, value_name = "PASSWORD", value_parser = parse_secret)]
    pub password: Option<Secret>,

    /// Bearer access token [env: GEOBOX_ACCESS_TOKEN]
    #[arg(long, global = true, value_name = "TOKEN", value_parser = parse_secret)]
    pub access_token: Option<Secret>,

    /// API key, sent as ?apikey= [env: GEOBOX_APIKEY]
    #[arg(long, global = true, value_name = "KEY", value_parser = parse_secret)]
    pub apikey: Option<Secret>,

    /// Seconds a request may take [env: GEOBOX_TIMEOUT] [default: 15]
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,

    /// The deployment a write goes to, named: a protected profile's writes need it (with
    /// --yes where the command asks first) when no one is at a terminal to type it
    #[arg(long, global = true, value_name = "NAME")]
    pub deployment: Option<String>,
}

impl std::fmt::Debug for ConnectionArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.overrides().fmt(f)
    }
}

impl ConnectionArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            host: self.host.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            access_token: self.access_token.clone(),
            apikey: self.apikey.clone(),
            timeout_secs: self.timeout,
            profile: self.profile.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, search, show, create, change and delete users.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// List and close a user's signed-in sessions.
    #[command(subcommand)]
    Sessions(sessions::SessionsCommand),
    /// List subscription plans.
    #[command(subcommand)]
    Plans(plans::PlansCommand),
    /// List, add and remove the members (sub-users) of a user.
    #[command(subcommand)]
    Members(members::MembersCommand),
    /// List, save and delete saved views (named filters, per profile, in the config file).
    #[command(subcommand)]
    Views(views::ViewsCommand),
    /// List the journal of writes made here (newest first), or undo one entry.
    Journal(journal::JournalArgs),
    /// Print a shell's completion script: subcommands, flags, profile and view names.
    Completions(completion::CompletionsArgs),
    /// Show the config file, the profile, the host and the way of signing in (secrets hidden).
    Config,
    /// Close the server session of the cached sign-in and forget its token.
    Logout(logout::LogoutArgs),
    /// Run the built-in Geobox-compatible demo server until Ctrl-C.
    #[cfg(feature = "demo")]
    Serve(serve::ServeArgs),
}

/// Why a value on the command line cannot be used; clap shows it after the argument's name
/// and exits 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArgError {
    #[error("must not be empty")]
    Empty,
    #[error("'{0}' is not a number of seconds")]
    NotSeconds(String),
    #[error(transparent)]
    Timeout(#[from] ConfigError),
    #[error("'{value}' is not a {what} id (a positive number)")]
    NotAnId { value: String, what: &'static str },
    #[error("'{0}' is not a date in the form YYYY-MM-DD")]
    NotADate(String),
}

pub(crate) fn parse_secret(value: &str) -> Result<Secret, ArgError> {
    if value.is_empty() {
        return Err(ArgError::Empty);
    }
    Ok(Secret::from(value))
}

pub(crate) fn parse_timeout(value: &str) -> Result<f64, ArgError> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|_| ArgError::NotSeconds(value.to_string()))?;
    timeout_from_secs(secs)?;
    Ok(secs)
}

/// A user id: a positive integer (the API's ids start at 1).
pub fn parse_id(value: &str) -> Result<i64, ArgError> {
    positive_id(value, "user")
}

/// A plan id: a positive integer.
pub fn parse_plan_id(value: &str) -> Result<i64, ArgError> {
    positive_id(value, "plan")
}

fn positive_id(value: &str, what: &'static str) -> Result<i64, ArgError> {
    match value.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ArgError::NotAnId {
            value: value.to_string(),
            what,
        }),
    }
}

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input that clap could not catch (a password mismatch, nothing to update...).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Some writes of a bulk update failed (each was listed).
    #[error(transparent)]
    Bulk(#[from] BulkError),
    /// Some rows of an import failed (each was listed).
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Lockdown(#[from] LockdownError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A username that names nobody.
    #[error("{0}")]
    NoSuchUser(String),
    /// The admin said no at a confirmation.
    #[error("{0}")]
    Declined(String),
    #[error("{0}")]
    Io(String),
    /// A command that goes through many users was stopped before the end.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Config(_)
            | CliError::Api(ApiError::InvalidInput(_))
            | CliError::Journal(JournalError::BadSince(_)) => 2,
            CliError::Api(_)
            | CliError::Bulk(_)
            | CliError::Import(_)
            | CliError::Lockdown(_)
            | CliError::Journal(_)
            | CliError::NoSuchUser(_)
            | CliError::Declined(_)
            | CliError::Io(_)
            | CliError::Failed(_) => 1,
        }
    }
}

impl Command {
    /// The format the command prints in, which its errors follow (`-o json`: a JSON object).
    pub fn output_format(&self) -> Format {
        match self {
            Command::Users(command) => command.output_format(),
            Command::Sessions(command) => command.output_format(),
            Command::Plans(command) => command.output_format(),
            Command::Members(command) => command.output_format(),
            Command::Views(command) => command.output_format(),
            Command::Journal(args) => args.list.output,
            Command::Completions(_) | Command::Config | Command::Logout(_) => Format::Table,
            #[cfg(feature = "demo")]
            Command::Serve(_) => Format::Table,
        }
    }
}

/// Runs a CLI command (not `serve`, which needs the server's runtime) and returns its exit code.
pub fn run(command: Command, connection: &ConnectionArgs) -> ExitCode {
    let format = command.output_format();
    let result = runtime().and_then(|runtime| runtime.block_on(run_command(command, connection)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            out::report_error(&error, format);
            ExitCode::from(error.exit_code())
        }
    }
}

/// The one runtime of a CLI process: every request of a command runs on it, so the client's
/// pooled connections (and the tasks that drive them) outlive no runtime they were made on.
/// One thread: a command's requests wait on the network, not on each other.
fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::Io(format!("cannot start the async runtime: {error}")))
}

async fn run_command(command: Command, connection: &ConnectionArgs) -> Result<(), CliError> {
    protected::allow(&command, connection)?;
    match command {
        Command::Completions(args) => completion::print_script(&args),
        Command::Config => Config::load_for_display(&connection.overrides())
            .map_err(CliError::from)
            .and_then(|config| print_stdout(&config.report())),
        Command::Users(command) => users::run(command, connection).await,
        Command::Sessions(command) => sessions::run(command, connection).await,
        Command::Plans(command) => plans::run(command, connection).await,
        Command::Members(command) => members::run(command, connection).await,
        Command::Journal(args) => journal::run(args, connection).await,
        Command::Views(command) => views::run(command, connection),
        Command::Logout(args) => logout::run(&args, connection).await,
        #[cfg(feature = "demo")]
        Command::Serve(_) => Err(CliError::Usage(
            "serve is run by the binary's main, not the CLI runner".to_string(),
        )),
    }
}

/// Who is signed in, as the safety rules need them. Without their role a change cannot be
/// made sure not to shut them out, so it is not made: the error ends with `nothing_done`.
pub async fn signed_in(client: &GeoboxClient, nothing_done: &str) -> Result<SignedIn, CliError> {
    let me = client.get_user(UserRef::Me).await?;
    signed_in_of(&me, nothing_done)
}

/// [`signed_in`] from a `users/me/` answer already read.
pub fn signed_in_of(me: &User, nothing_done: &str) -> Result<SignedIn, CliError> {
    SignedIn::of(me).ok_or_else(|| {
        CliError::Failed(format!(
            "the server did not say the role of {} (you), so {nothing_done}",
            me.username
        ))
    })
}

/// Resolves the configuration and builds a client, asking for a missing password on a terminal.
pub fn connect(connection: &ConnectionArgs) -> Result<GeoboxClient, CliError> {
    let config = Config::load(&connection.overrides())?;
    if config.credentials == Credentials::None {
        return Err(CliError::Config(ConfigError(
            "no credentials configured: set GEOBOX_ACCESS_TOKEN, GEOBOX_APIKEY, or \
             GEOBOX_USERNAME and GEOBOX_PASSWORD (or use --profile / flags; see \
             `geobox-users config`)"
                .to_string(),
        )));
    }
    let auth = config.auth(prompt_login_password)?;
    let client = GeoboxClient::new(&config.host, auth, config.timeout)?;
    // A password run keeps its token for the next run: one sign-in, one server session.
    // It is kept for the password that made it: a different password signs in (and fails
    // when wrong) instead of riding on the token.
    let token_file = match client.auth() {
        Auth::Password { username, password } => {
            geobox_ops::token_cache::TokenFile::default_for(client.base_url().as_str(), username)
                .map(|file| file.for_password(password))
        }
        _ => None,
    };
    Ok(match token_file {
        Some(file) => client.with_token_store(Box::new(file)),
        None => client,
    })
}

/// Asks for the sign-in password without echo, only when someone is at a terminal.
pub fn prompt_login_password(username: &str) -> Result<Option<Secret>, ConfigError> {
    if !io::stdin().is_terminal() {
        return Ok(None);
    }
    out::ask_secret(&format!("Password for {username}: "))
        .map(|password| Some(Secret::from(password)))
        .map_err(|error| ConfigError(format!("cannot read the password: {error}")))
}

/// A new password: the first line of stdin, or typed twice without echo on a terminal.
pub fn read_new_password() -> Result<Secret, CliError> {
    let stdin = io::stdin();
    let password = if stdin.is_terminal() {
        let first = out::ask_secret("New password: ")
            .map_err(|error| CliError::Io(format!("cannot read the password: {error}")))?;
        let second = out::ask_secret("Repeat the new password: ")
            .map_err(|error| CliError::Io(format!("cannot read the password: {error}")))?;
        if first != second {
            return Err(CliError::Usage("the passwords differ".to_string()));
        }
        first
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|error| {
            CliError::Io(format!("cannot read the password from stdin: {error}"))
        })?;
        let without_newline = line.strip_suffix('\n').unwrap_or(&line);
        without_newline
            .strip_suffix('\r')
            .unwrap_or(without_newline)
            .to_string()
    };
    if password.is_empty() {
        return Err(CliError::Usage(
            "no password given: pipe it on stdin (one line) or type it on a terminal".to_string(),
        ));
    }
    Ok(Secret::from(password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ids_must_be_positive() {
        assert_eq!(parse_id("12"), Ok(12));
        assert!(parse_id("0").is_err());
        assert!(parse_id("-3").is_err());
        assert!(parse_id("abc").is_err());
        assert_eq!(
            parse_plan_id("0").map_err(|error| error.to_string()),
            Err("'0' is not a plan id (a positive number)".to_string())
        );
    }

    #[test]
    fn several_field_errors_are_each_said_once() {
        use geobox_api::FieldError;
        let field = |name: &str, message: &str| FieldError {
            field: Some(name.to_string()),
            message: message.to_string(),
        };
        let several = CliError::Api(ApiError::Validation {
            errors: vec![
                field("email", "value is not a valid email address"),
                field("mobile", "value is not a valid mobile number"),
            ],
        });
        assert_eq!(
            out::error_text(&several),
            "error: invalid input (422) in 2 fields:\n  \
             email: value is not a valid email address\n  \
             mobile: value is not a valid mobile number\n"
        );
        let one = CliError::Api(ApiError::Validation {
            errors: vec![field("email", "value is not a valid email address")],
        });
        assert_eq!(
            out::error_text(&one),
            "error: invalid input (422): email: value is not a valid email address\n"
        );
    }

    #[test]
    fn create_username_is_the_new_users_not_the_sign_in() {
        let cli = Cli::try_parse_from([
            "geobox-users",
            "--username",
            "admin",
            "users",
            "update",
            "5",
            "--username",
            "neda",
        ])
        .expect("parses");
        assert_eq!(cli.connection.username.as_deref(), Some("admin"));
        match cli.command {
            Some(Command::Users(users::UsersCommand::Update(args))) => {
                assert_eq!(args.username.as_deref(), Some("neda"));
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn debug_of_parsed_arguments_hides_secrets() {
        let cli = Cli::try_parse_from([
            "geobox-users",
            "--password",
            "hunter2",
            "--apikey",
            "KEY9",
            "--host",
            "http://ops:pass77@h.example",
            "users",
            "list",
        ])
        .expect("parses");
        let debug = format!("{cli:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("KEY9") && !debug.contains("pass77"),
            "{debug}"
        );
    }
}
