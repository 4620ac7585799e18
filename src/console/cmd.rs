//! Commands `update` asks for, and the task that runs them against the client.
//!
//! The task owns the client; each command runs on its own tokio task so a slow request never
//! holds up another, and every answer comes back as a `Msg` through one channel.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

use geobox_api::{
    ApiError, GeoboxClient, NewUser, PlanQuery, Secret, UserQuery, UserRef, UserUpdate,
};
use geobox_ops::journal::{Entry, Filter, Journal, Tool, UndoPlan, apply_undo, users_now};

use super::msg::{Done, LockdownDone, Msg, QuickChange, RequestId, SavedViews};
use geobox_ops::lockdown::{self, Lockdown};
use std::path::PathBuf;

use super::bulk_runner::{self, BulkStops, ExportJob};
use geobox_ops::bulk::{Change, Targets};
use geobox_ops::transfer::export::Pager;
use geobox_ops::transfer::output::Format;
use geobox_ops::views::{View, ViewStore};

/// Something for the command task to do.
#[derive(Clone, Debug)]
pub enum Cmd {
    /// `GET users/me/`
    LoadMe { request: RequestId },
    /// `GET users/` for one page.
    LoadUsers {
        request: RequestId,
        page: u64,
        query: UserQuery,
    },
    /// `GET users/?return_count=True`
    CountUsers {
        request: RequestId,
        query: UserQuery,
    },
    /// `GET users/{id}/sessions/`
    LoadSessions { request: RequestId, user_id: i64 },
    /// `GET plans/`
    LoadPlans { request: RequestId },
    /// `POST users/{id}/sessions/{uuid}`
    CloseSession {
        request: RequestId,
        user_id: i64,
        uuid: String,
    },
    /// `GET users/{id}/sessions/` for a bulk close: update then sends one close per session.
    ListSessionsToClose { request: RequestId, user_id: i64 },
    /// `PUT users/{id}/` with one field.
    QuickEdit {
        request: RequestId,
        user_id: i64,
        change: QuickChange,
    },
    /// `DELETE users/{id}/`
    DeleteUser {
        request: RequestId,
        user_id: i64,
        username: String,
    },
    /// `POST users/{id}/change-password`
    ChangePassword {
        request: RequestId,
        user_id: i64,
        username: String,
        password: Secret,
    },
    /// `POST users/{id}/renewPlan`
    RenewPlan {
        request: RequestId,
        user_id: i64,
        username: String,
    },
    /// `GET users/{id}/` before a form save, so update can tell whether somebody else changed
    /// the user since the form opened.
    ReadBeforeSave { request: RequestId, user_id: i64 },
    /// `PUT users/{id}/` with the changed fields.
    SaveUser {
        request: RequestId,
        user_id: i64,
        update: UserUpdate,
    },
    /// `POST users/`
    CreateUser {
        request: RequestId,
        new_user: NewUser,
    },
    /// `GET users/me/`, only to learn whether the server answers again.
    Probe { request: RequestId },
    /// `GET users/{id}/` to refresh one row.
    ReloadUser { request: RequestId, user_id: i64 },
    /// Stop a request whose answer is no longer wanted (a page scrolled far past), so a
    /// slow server is not kept busy with it.
    CancelRequest { request: RequestId },
    /// Send `msg` back after `delay` (debounces).
    After { delay: Duration, msg: Box<Msg> },
    /// Append a write's entry to the journal (only the runner touches the file).
    AppendJournal { entry: Box<Entry> },
    /// Read earlier journal entries (only the runner touches the file).
    ReadJournal { request: RequestId, filter: Filter },
    /// Read an entry's users as they are now, to plan its undo.
    CheckUndo {
        request: RequestId,
        entry: Box<Entry>,
    },
    /// Carry out a planned undo of `entry`.
    ApplyUndo {
        request: RequestId,
        entry: Box<Entry>,
        plan: UndoPlan,
    },
    /// Lock a user down: status Disabled, every session closed, maybe a new password.
    Lockdown {
        request: RequestId,
        lockdown: Lockdown,
    },
    /// Append a line to the log file.
    Log { line: String },
    /// Reads every page of the view (by id, so writes cannot shift them).
    CollectMatching { request: RequestId, view: View },
    /// Writes one change to every target in batches, reporting progress as it goes.
    RunBulk {
        request: RequestId,
        targets: Targets,
        change: Change,
    },
    /// Reads or writes the saved views of the config file, then reads them back.
    ViewFile {
        request: RequestId,
        store: ViewStore,
        op: ViewOp,
    },
    /// Writes every user of the view to `path`, page by page, reporting progress.
    Export {
        request: RequestId,
        view: View,
        path: PathBuf,
        format: Format,
    },
    /// Stops a bulk run after its current batch, or an export after its current page.
    StopBulk { request: RequestId },
    /// Put text on the terminal's clipboard (OSC 52): the runner writes it between frames.
    CopyToClipboard { text: String },
}

/// What to do to the saved views.
#[derive(Clone, Debug)]
pub enum ViewOp {
    List,
    Save { name: String, view: View },
    Delete { name: String },
    Rename { from: String, to: String },
}

/// Requests sent to the server at once at most; more wait their turn (and can still be
/// cancelled while they wait), so a slow server is never flooded by a fast scroll.
pub const MAX_REQUESTS_IN_FLIGHT: usize = 6;

/// Starts the command task: it runs every command received on the returned sender and sends
/// the answers to `results`, and appends the console's writes to `journal` (none: not kept).
pub fn spawn(
    client: Arc<GeoboxClient>,
    journal: Option<Journal>,
    results: mpsc::UnboundedSender<Msg>,
) -> mpsc::UnboundedSender<Cmd> {
    let (sender, mut commands) = mpsc::unbounded_channel::<Cmd>();
    tokio::spawn(async move {
        // Requests still running, so a cancel can stop them; each removes itself when done.
        let running: Arc<Mutex<HashMap<RequestId, AbortHandle>>> = Arc::default();
        let permits = Arc::new(Semaphore::new(MAX_REQUESTS_IN_FLIGHT));
        let stops = BulkStops::default();
        while let Some(cmd) = commands.recv().await {
            match cmd {
                Cmd::Log { line } => {
                    tracing::info!(target: "geobox_users::console", "{line}");
                    continue;
                }
                Cmd::AppendJournal { entry } => {
                    append_journal(journal.as_ref(), &entry);
                    continue;
                }
                Cmd::ReadJournal { request, filter } => {
                    let journal = journal.clone();
                    let results = results.clone();
                    // A long journal takes a moment to read: off the loop, like a request.
                    tokio::task::spawn_blocking(move || {
                        let result = read_journal(journal.as_ref(), &filter);
                        let _ = results.send(Msg::JournalRead { request, result });
                    });
                    continue;
                }
                Cmd::RunBulk {
                    request,
                    targets,
                    change,
                } => {
                    stops.start(request);
                    let (client, results) = (Arc::clone(&client), results.clone());
                    let run =
                        bulk_runner::run(client, results, request, targets, change, stops.clone());
                    tokio::spawn(run);
                    continue;
                }
                Cmd::Export {
                    request,
                    view,
                    path,
                    format,
                } => {
                    stops.start(request);
                    let (client, results) = (Arc::clone(&client), results.clone());
                    let job = ExportJob {
                        request,
                        view,
                        path,
                        format,
                    };
                    tokio::spawn(bulk_runner::export(client, results, job, stops.clone()));
                    continue;
                }
                Cmd::StopBulk { request } => {
                    stops.stop(request);
                    continue;
                }
                Cmd::CancelRequest { request } => {
                    if let Some(handle) = lock(&running).remove(&request) {
                        handle.abort();
                    }
                    continue;
                }
                _ => {}
            }
            let request = cmd.request();
            let client = Arc::clone(&client);
            let results = results.clone();
            let finished = Arc::clone(&running);
            let permits = Arc::clone(&permits);
            // Held while spawning, so a task that ends at once removes its entry only after
            // it was put there.
            let mut tracked = lock(&running);
            let task = tokio::spawn(async move {
                // Timers wait without a permit; a closed semaphore cannot happen (it is never
                // closed), and would only lift the bound.
                let _permit = match cmd {
                    Cmd::After { .. } => None,
                    _ => permits.acquire_owned().await.ok(),
                };
                let msg = execute(&client, cmd).await;
                if let Some(request) = request {
                    lock(&finished).remove(&request);
                }
                if let Some(msg) = msg {
                    // The loop is gone when the console quits; the answer is then unwanted.
                    let _ = results.send(msg);
                }
            });
            if let Some(request) = request {
                tracked.insert(request, task.abort_handle());
            }
        }
    });
    sender
}

/// A journal that cannot be written costs the entry, never the write: it is logged.
fn append_journal(journal: Option<&Journal>, entry: &Entry) {
    let Some(journal) = journal else {
        tracing::warn!(id = %entry.id, "no data directory, so a write was not journaled");
        return;
    };
    if let Err(error) = journal.append(entry) {
        tracing::warn!(id = %entry.id, %error, "a write was not journaled");
    }
}

/// Runs the shared lockdown and keeps what the console shows and journals.
async fn lock_down(client: &GeoboxClient, lockdown: Lockdown) -> Result<LockdownDone, ApiError> {
    let report = lockdown::run(client, lockdown, |_| {}).await?;
    Ok(LockdownDone {
        entry: Box::new(report.entry("", Tool::Console)),
        username: report.username.clone(),
        steps: report.steps.iter().map(ToString::to_string).collect(),
        missed: report.missed(),
        new_password: report.new_password,
    })
}

fn read_journal(journal: Option<&Journal>, filter: &Filter) -> Result<Vec<Entry>, String> {
    let Some(journal) = journal else {
        return Err(format!(
            "no data directory for the journal: set {}",
            geobox_ops::paths::DATA_DIR_VAR
        ));
    };
    journal
        .read(filter)
        .map(|found| found.entries)
        .map_err(|error| format!("cannot read the journal: {error}"))
}

/// The map stays usable even if a task panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Cmd {
    /// The request a command starts, for those that can be cancelled.
    fn request(&self) -> Option<RequestId> {
        match self {
            Cmd::LoadUsers { request, .. }
            | Cmd::CountUsers { request, .. }
            | Cmd::CollectMatching { request, .. } => Some(*request),
            _ => None,
        }
    }
}

async fn timed<T>(
    request: RequestId,
    call: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Done<T> {
    let started = Instant::now();
    let result = call.await;
    Done {
        request,
        took: started.elapsed(),
        result,
    }
}

/// Runs one command and returns the message that answers it.
pub async fn execute(client: &GeoboxClient, cmd: Cmd) -> Option<Msg> {
    let msg = match cmd {
        Cmd::LoadMe { request } => {
            Msg::MeLoaded(timed(request, client.get_user(UserRef::Me)).await)
        }
        Cmd::LoadUsers {
            request,
            page,
            query,
        } => Msg::UsersLoaded {
            page,
            done: timed(request, client.list_users(&query)).await,
        },
        Cmd::CountUsers { request, query } => {
            Msg::UsersCounted(timed(request, client.count_users(&query)).await)
        }
        Cmd::LoadSessions { request, user_id } => Msg::SessionsLoaded {
            user_id,
            done: timed(request, client.list_sessions(UserRef::Id(user_id))).await,
        },
        Cmd::LoadPlans { request } => {
            let query = PlanQuery {
                limit: 1000,
                ..PlanQuery::default()
            };
            Msg::PlansLoaded(timed(request, client.list_plans(&query)).await)
        }
        Cmd::CloseSession {
            request,
            user_id,
            uuid,
        } => {
            let done = timed(request, client.close_session(user_id, &uuid)).await;
            Msg::SessionClosed {
                user_id,
                uuid,
                done,
            }
        }
        Cmd::ListSessionsToClose { request, user_id } => Msg::SessionsToClose {
            user_id,
            done: timed(request, client.list_sessions(UserRef::Id(user_id))).await,
        },
        Cmd::QuickEdit {
            request,
            user_id,
            change,
        } => {
            let done = timed(request, client.update_user(user_id, &change.to_update())).await;
            Msg::UserUpdated {
                user_id,
                change,
                done,
            }
        }
        Cmd::DeleteUser {
            request,
            user_id,
            username,
        } => Msg::UserDeleted {
            user_id,
            username,
            done: timed(request, client.delete_user(user_id)).await,
        },
        Cmd::ChangePassword {
            request,
            user_id,
            username,
            password,
        } => Msg::PasswordChanged {
            user_id,
            username,
            done: timed(request, client.change_password(user_id, &password)).await,
        },
        Cmd::RenewPlan {
            request,
            user_id,
            username,
        } => Msg::PlanRenewed {
            user_id,
            username,
            done: timed(request, client.renew_plan(user_id)).await,
        },
        Cmd::ReadBeforeSave { request, user_id } => {
            Msg::ReadBeforeSave(timed(request, client.get_user(UserRef::Id(user_id))).await)
        }
        Cmd::SaveUser {
            request,
            user_id,
            update,
        } => Msg::UserSaved {
            created: false,
            done: timed(request, client.update_user(user_id, &update)).await,
        },
        Cmd::CreateUser { request, new_user } => Msg::UserSaved {
            created: true,
            done: timed(request, client.create_user(&new_user)).await,
        },
        Cmd::Probe { request } => Msg::ProbeAnswered(
            timed(request, async {
                client.get_user(UserRef::Me).await.map(|_| ())
            })
            .await,
        ),
        Cmd::ReloadUser { request, user_id } => Msg::UserReloaded {
            user_id,
            done: timed(request, client.get_user(UserRef::Id(user_id))).await,
        },
        Cmd::CheckUndo { request, entry } => {
            let done = timed(request, users_now(client, &entry)).await;
            Msg::UndoChecked { entry, done }
        }
        Cmd::ApplyUndo {
            request,
            entry,
            plan,
        } => {
            let applied = apply_undo(client, &plan).await;
            let new_passwords = applied.new_passwords.clone();
            // Host, signed-in admin and time are stamped by update, like every console entry.
            let undo_entry = applied.into_entry(&entry, "", Tool::Console);
            Msg::UndoApplied {
                request,
                entry: Box::new(undo_entry),
                new_passwords,
            }
        }
        Cmd::Lockdown { request, lockdown } => Msg::LockedDown {
            user_id: lockdown.user_id,
            done: timed(request, lock_down(client, lockdown)).await,
        },
        Cmd::After { delay, msg } => {
            tokio::time::sleep(delay).await;
            *msg
        }
        Cmd::Log { line } => {
            tracing::info!(target: "geobox_users::console", "{line}");
            return None;
        }
        Cmd::CollectMatching { request, view } => Msg::MatchingCollected {
            request,
            done: timed(request, Pager::new(view).collect_users(client, |_| {})).await,
        },
        Cmd::ViewFile { request, store, op } => {
            let (said, result) = view_file(&store, op);
            Msg::ViewsLoaded {
                request,
                said,
                result,
            }
        }
        // Bulk runs report progress as they go, so only the command task runs them.
        Cmd::RunBulk { .. } | Cmd::StopBulk { .. } | Cmd::Export { .. } => return None,
        // Only the command task can stop a running request; run alone there is nothing to stop.
        Cmd::CancelRequest { .. } => return None,
        // Only the command task holds the journal; run alone (in tests) nothing is appended.
        Cmd::AppendJournal { .. } => return None,
        Cmd::ReadJournal { request, .. } => Msg::JournalRead {
            request,
            result: Ok(Vec::new()),
        },
        // The runner writes to the terminal itself; the command task has no terminal.
        Cmd::CopyToClipboard { .. } => return None,
    };
    Some(msg)
}

/// Does `op` to the config file's views (a small file: read and written in place) and reads
/// them back; what was done is said when it went through.
pub fn view_file(store: &ViewStore, op: ViewOp) -> (Option<String>, Result<SavedViews, String>) {
    let done = match op {
        ViewOp::List => Ok(None),
        ViewOp::Save { name, view } => store
            .save(&name, &view)
            .map(|()| Some(format!("Saved the view '{name}'"))),
        ViewOp::Delete { name } => store
            .delete(&name)
            .map(|_| Some(format!("Deleted the view '{name}'"))),
        ViewOp::Rename { from, to } => store.list().and_then(|views| {
            let Some(view) = views.get(&from) else {
                return Ok(Some(format!("No saved view '{from}' to rename")));
            };
            store.save(&to, view)?;
            store.delete(&from)?;
            Ok(Some(format!("Renamed the view '{from}' to '{to}'")))
        }),
    };
    let listed = store.list().map(|views| views.into_iter().collect());
    match done {
        Ok(said) => (said, listed.map_err(|error| error.to_string())),
        Err(error) => (None, Err(error.to_string())),
    }
}
