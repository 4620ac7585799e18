//! The only impure part of the console: the terminal, the clock, signals and the loop that
//! feeds every event and answer through `update` and draws with `view`.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::{WrapErr, eyre};
use crossterm::event::{
    DisableFocusChange, DisableMouseCapture, EnableFocusChange, EnableMouseCapture, Event,
    EventStream, KeyEventKind, MouseEventKind,
};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use super::cmd::{self, Cmd};
use super::connections::{Connections, Reach};
use super::env::Env;
use super::model::{DEFAULT_REFRESH, JournalIds, Live, Model, TICK, next_wake};
use super::msg::Msg;
use super::{ConsoleOptions, clipboard, custom, log_file, update, view};
use geobox_api::GeoboxClient;
use geobox_ops::journal::{Journal, JournalPlace};

/// How long quitting waits for the journal and the log to hold what was written: they
/// normally already do, and a disk that hangs must not keep the admin from leaving.
const WRITES_PATIENCE: Duration = Duration::from_secs(2);

/// The journal a deployment keeps apart from the one the console started with: a profile's
/// own team journal, or this machine's for the demo (whose entries stay here anyway).
fn own_journal(reach: &Reach, started_with: &JournalPlace) -> Option<Journal> {
    let place = match reach {
        Reach::Profile(config) => &config.journal,
        Reach::Demo(_) => &JournalPlace::Local,
        Reach::Client(_) => return None,
    };
    if place == started_with {
        return None;
    }
    Journal::open(place)
        .inspect_err(|error| tracing::warn!(%error, "a deployment's journal cannot be opened"))
        .ok()
}

/// Whether colours are wanted (<https://no-color.org>).
fn color_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

pub async fn run(client: Arc<GeoboxClient>, options: ConsoleOptions) -> color_eyre::Result<()> {
    // color-eyre is installed by the caller (main) before this; installing it again would only
    // build an "already installed" report, and its backtrace costs megabytes to resolve.
    let log = log_file::init(options.log_file.clone());
    let start = options.start.name.clone();
    let mut connections = Connections::new(&start, Arc::clone(&client));
    let mut deployments = vec![options.start.clone()];
    for (deployment, reach) in &options.others {
        if let Some(reach) = reach {
            connections = connections.with(&deployment.name, reach.clone());
            if let Some(journal) = own_journal(reach, &options.journal) {
                connections = connections.with_journal(&deployment.name, journal);
            }
        }
        deployments.push(deployment.clone());
    }
    let mut env = Env {
        clipboard: clipboard::reach(),
        color: color_wanted(),
        deployments,
        ..Env::new(options.start.host.clone())
    };
    env.switch_to(&start, client.base_url().as_str());
    let mut custom = custom::load();
    custom.problems.extend(options.problems.iter().cloned());
    let refresh = options
        .refresh
        .or(custom.refresh)
        .unwrap_or(DEFAULT_REFRESH);
    let mut model = Model {
        read_only: options.read_only,
        now: Utc::now(),
        live: Live::every(refresh),
        ..Model::default()
    };
    model.journal.ids = JournalIds::seeded(journal_seed());
    custom::apply(&mut model, &mut env, custom);
    tracing::info!(host = %env.host_label, read_only = model.read_only, "console started");

    // ratatui::init chains a panic hook that restores the terminal before the report prints.
    let mut terminal = ratatui::try_init().wrap_err("cannot set up the terminal")?;
    // Focus reports let the live table rest while nobody looks at it.
    let _ = crossterm::execute!(std::io::stdout(), EnableMouseCapture, EnableFocusChange);
    // ratatui's hook restores the screen; mouse and focus reporting must be switched off too,
    // first.
    let restore_screen = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture, DisableFocusChange);
        restore_screen(info);
    }));
    let (results_tx, results) = mpsc::unbounded_channel();
    let journal = Journal::open(&options.journal)
        .inspect_err(|error| tracing::warn!(%error, "no journal: writes are not journaled"))
        .ok();
    let runner = cmd::start(connections, journal, results_tx);
    let result = event_loop(&mut terminal, model, env, runner.commands(), results).await;
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture, DisableFocusChange);
    if let Err(error) = ratatui::try_restore() {
        tracing::warn!(%error, "restoring the terminal failed");
    }
    if tokio::time::timeout(WRITES_PATIENCE, runner.stop())
        .await
        .is_err()
    {
        tracing::warn!("the journal was still being written when the console stopped");
    }
    tracing::info!("console stopped");
    if let Some(log) = log {
        log.flush(WRITES_PATIENCE);
    }
    result
}

/// Turns a terminal event into a message; mouse moves and other noise give none, so they
/// cause no redraw.
fn event_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => Some(Msg::KeyPressed(key)),
        Event::Mouse(mouse)
            if matches!(
                mouse.kind,
                MouseEventKind::Down(_) | MouseEventKind::ScrollDown | MouseEventKind::ScrollUp
            ) =>
        {
            Some(Msg::MouseUsed(mouse))
        }
        Event::Resize(width, height) => Some(Msg::Resized { width, height }),
        Event::FocusGained => Some(Msg::FocusChanged(true)),
        Event::FocusLost => Some(Msg::FocusChanged(false)),
        _ => None,
    }
}

fn send_all(
    commands: &mpsc::UnboundedSender<Cmd>,
    env: &mut Env,
    cmds: Vec<Cmd>,
) -> color_eyre::Result<()> {
    for cmd in cmds {
        // The terminal is written here, between frames, never from the command task.
        if let Cmd::CopyToClipboard { text } = &cmd {
            if let Err(error) = clipboard::copy(&mut std::io::stdout(), text) {
                tracing::warn!(%error, "copying to the clipboard failed");
            }
            continue;
        }
        // The surroundings follow the deployment `update` moved to; the runner does too.
        if let Cmd::UseDeployment {
            deployment,
            api_base,
        } = &cmd
            && !env.switch_to(deployment, api_base)
        {
            tracing::warn!(%deployment, "asked to show a deployment the console does not know");
        }
        commands
            .send(cmd)
            .map_err(|_| eyre!("the command task stopped"))?;
    }
    Ok(())
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    mut model: Model,
    mut env: Env,
    commands: &mpsc::UnboundedSender<Cmd>,
    mut results: mpsc::UnboundedReceiver<Msg>,
) -> color_eyre::Result<()> {
    let size = terminal.size()?;
    model.width = size.width;
    model.height = size.height;
    model.now = Utc::now();
    send_all(commands, &mut env, update::init(&mut model))?;
    terminal.draw(|frame| view::view(&model, &env, frame))?;

    let mut events = EventStream::new();
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut stop_signals = StopSignals::new()?;
    loop {
        let busy = model.wants_ticks();
        let wake = live_wait(&model);
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match event_msg(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(error)) => return Err(error).wrap_err("reading the terminal failed"),
                None => break,
            },
            Some(msg) = results.recv() => msg,
            _ = ticks.tick(), if busy => Msg::Tick,
            () = tokio::time::sleep(wake.unwrap_or_default()), if wake.is_some() => Msg::LiveTick,
            () = stop_signals.recv() => Msg::Quit,
        };
        model.now = Utc::now();
        let cmds = update::update(&mut model, &env, msg);
        send_all(commands, &mut env, cmds)?;
        // Answers that are already here are folded into the same frame.
        while let Ok(msg) = results.try_recv() {
            let cmds = update::update(&mut model, &env, msg);
            send_all(commands, &mut env, cmds)?;
        }
        if model.quit {
            break;
        }
        terminal.draw(|frame| view::view(&model, &env, frame))?;
    }
    Ok(())
}

/// A little past the time the live table asked to be woken at: the loop's timer and the wall
/// clock `update` reads may differ by a few milliseconds, and waking early would find nothing
/// due yet.
const WAKE_SLACK: Duration = Duration::from_millis(20);

/// How long to sleep before waking the live table (a refresh due, a mark to fade), if at all.
fn live_wait(model: &Model) -> Option<Duration> {
    let at = next_wake(model)?;
    let wait = (at - Utc::now()).to_std().unwrap_or_default();
    Some(wait + WAKE_SLACK)
}

/// What asks the console to stop besides `q`: Ctrl-C, and on Unix also SIGTERM (a terminal
/// closed, a service manager); both restore the terminal like any other way out.
struct StopSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        Ok(StopSignals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
        })
    }

    /// Waits for the next request to stop.
    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        #[cfg(not(unix))]
        {
            // Without a way to hear Ctrl-C, the console still stops with `q`.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A seed for this run's journal ids, from the OS's randomness; without it the clock and the
/// process id still keep runs apart.
fn journal_seed() -> u64 {
    use rand::TryRngCore;
    rand::rngs::OsRng.try_next_u64().unwrap_or_else(|_| {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        nanos.unsigned_abs() ^ u64::from(std::process::id())
    })
}
