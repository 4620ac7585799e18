//! Shell completion, answered by the binary itself (clap_complete's dynamic completion): the
//! script that `completions SHELL` prints only registers a function that runs
//! `COMPLETE=SHELL geobox-users -- WORDS…`, and [`complete_if_asked`] answers it with every
//! subcommand, flag, profile name and view name. (The scripts clap_complete writes ahead of
//! time never complete past the first word for a binary whose name holds a dash: their case
//! labels spell the name with `__` where the words have `-`.)

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, Shells};

use super::{Cli, CliError, print_stdout};
use geobox_ops::config::{ConfigFile, Environment, Overrides, config_path};
use geobox_ops::views::{BUILT_IN, ViewStore};

/// The variable the registered function sets to ask for completions.
const VAR: &str = "COMPLETE";
const NAME: &str = "geobox-users";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_parser = shell_name)]
    pub shell: String,
}

fn shell_name(name: &str) -> Result<String, String> {
    let shells = Shells::builtins();
    match shells.completer(name) {
        Some(_) => Ok(name.to_string()),
        None => Err(format!(
            "no completion for '{name}': one of {}",
            shells.names().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Answers a completion request and exits, when the shell's function asked for one
/// (`COMPLETE` set); otherwise returns at once.
pub fn complete_if_asked() {
    CompleteEnv::with_factory(Cli::command).var(VAR).complete();
}

/// `completions SHELL`: the script that registers the completion function.
pub fn print_script(args: &CompletionsArgs) -> Result<(), CliError> {
    let shells = Shells::builtins();
    let Some(shell) = shells.completer(&args.shell) else {
        return Err(CliError::Usage(format!(
            "no completion for '{}'",
            args.shell
        )));
    };
    let completer = completer_path();
    let mut script = Vec::new();
    shell
        .write_registration(VAR, NAME, NAME, &completer, &mut script)
        .map_err(|error| CliError::Io(format!("cannot write the script: {error}")))?;
    print_stdout(&String::from_utf8_lossy(&script))
}

/// How the script calls this binary back: as it was called (`geobox-users` through `PATH`),
/// or by its absolute path when called by a relative one.
fn completer_path() -> String {
    let called = std::env::args_os()
        .next()
        .map_or_else(|| PathBuf::from(NAME), PathBuf::from);
    let absolute = if called.components().count() > 1 && called.is_relative() {
        std::env::current_dir()
            .map(|dir| dir.join(&called))
            .unwrap_or(called)
    } else {
        called
    };
    absolute.to_string_lossy().into_owned()
}

/// Candidates for `--profile`: the profiles of the config file.
pub fn profile_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        config_file()
            .map(|file| file.profiles.keys().map(CompletionCandidate::new).collect())
            .unwrap_or_default()
    })
}

/// Candidates for `--view` and the views commands: the saved views of the profile in effect
/// (`GEOBOX_PROFILE`), then the built-in ones.
pub fn view_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| {
        let mut names: Vec<CompletionCandidate> = ViewStore::for_overrides(&Overrides::default())
            .and_then(|store| store.list())
            .map(|views| {
                views
                    .into_keys()
                    .map(|name| CompletionCandidate::new(OsString::from(name)))
                    .collect()
            })
            .unwrap_or_default();
        names.extend(
            BUILT_IN
                .iter()
                .map(|name| CompletionCandidate::new(name).help(Some("built in".into()))),
        );
        names
    })
}

fn config_file() -> Option<ConfigFile> {
    let env = Environment::load().ok()?;
    let path = config_path(&env)?;
    ConfigFile::load(Path::new(&path)).ok().flatten()
}
