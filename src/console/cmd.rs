//! Commands `update` asks for, and the task that runs them against the client.
//!
//! The task owns the client; each request runs on its own tokio task so a slow one never
//! holds up another, file work runs off the task's loop (`files`), and every answer comes back
//! as a `Msg` through one channel. The task holds no policy: what to do with an answer is
//! `update`'s to decide.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::{AbortHandle, JoinHandle};

use super::bulk_runner::{self, BulkStops, ExportJob};
use super::connections::Connections;
use super::files::{JournalWriter, read_journal, view_file};
use super::msg::{Done, LockdownDone, Msg, QuickChange, RequestId, RowWindow};
use geobox_api::{
    ApiError, GeoboxClient, NewUser, PlanQuery, Secret, UserQuery, UserRef, UserUpdate,
};
use geobox_ops::bulk::{Change, Targets};
use geobox_ops::find;
use geobox_ops::journal::{
    Entry, Filter, Journal, Tool, UndoClaim, UndoPlan, apply_undo, renew_plan, users_now,
};
use geobox_ops::lockdown::{self, Lockdown};
use geobox_ops::transfer::export::Pager;
use geobox_ops::transfer::output::Format;
use geobox_ops::views::{View, ViewStore};

pub use super::files::ViewOp;

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
    /// `GET users/` for the rows around the screen, read again by the live table.
    RefreshRows {
        request: RequestId,
        window: RowWindow,
        query: UserQuery,
    },
    /// `GET users/?return_count=True`, read again by the live table.
    RefreshCount {
        request: RequestId,
        query: UserQuery,
    },
    /// Signs in to another deployment (`GET users/me/` there, after `auth/token/` for a
    /// password), with the password typed when its profile names none.
    SignIn {
        request: RequestId,
        deployment: String,
        password: Option<Secret>,
    },
    /// From now on, requests go to this deployment (signed in to before); the loop also
    /// switches its surroundings (`Env`) to it, at `api_base`.
    UseDeployment {
        deployment: String,
        api_base: String,
    },
    /// `GET users/?search=` on every deployment at once (`geobox_ops::find`).
    FindEverywhere { request: RequestId, term: String },
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
        /// The signed-in admin, named in the journal's claim on the entry while it is undone.
        claimant: Option<String>,
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
    /// Writes every user of the view to `path`, page by page, reporting progress: a new file,
    /// or, with `overwrite`, over a plain file the admin said yes to (never through a link).
    Export {
        request: RequestId,
        view: View,
        path: PathBuf,
        format: Format,
        overwrite: bool,
    },
    /// Stops a bulk run after its current batch, or an export after its current page.
    StopBulk { request: RequestId },
    /// Put text on the terminal's clipboard (OSC 52): the runner writes it between frames.
    CopyToClipboard { text: String },
}

/// Requests sent to the server at once at most; more wait their turn (and can still be
/// cancelled while they wait), so a slow server is never flooded by a fast scroll.
pub const MAX_REQUESTS_IN_FLIGHT: usize = 6;

/// The command task as the console's loop holds it: where commands go, and the task itself,
/// so that quitting can wait until the journal holds every write.
pub struct Runner {
    commands: mpsc::UnboundedSender<Cmd>,
    task: JoinHandle<()>,
}

impl Runner {
    /// Where to send commands.
    pub fn commands(&self) -> &mpsc::UnboundedSender<Cmd> {
        &self.commands
    }

    /// Takes no more commands and waits until those sent are started and every journal entry
    /// among them is written. Requests still running are left to finish or be dropped.
    pub async fn stop(self) {
        drop(self.commands);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "the command task stopped early");
        }
    }
}

/// Starts the command task: it runs every command sent to it against the deployment in use
/// among `connections`, sends the answers to `results`, and appends the console's writes to
/// `journal` (none: not kept).
pub fn start(
    connections: Connections,
    journal: Option<Journal>,
    results: mpsc::UnboundedSender<Msg>,
) -> Runner {
    let (commands, mut received) = mpsc::unbounded_channel::<Cmd>();
    let task = tokio::spawn(async move {
        let mut task = CommandTask {
            connections,
            writer: JournalWriter::start(journal.clone(), results.clone()),
            results,
            started_with: journal.clone(),
            journal,
            journal_owner: None,
            retired: Vec::new(),
            running: Arc::default(),
            permits: Arc::new(Semaphore::new(MAX_REQUESTS_IN_FLIGHT)),
            stops: BulkStops::default(),
        };
        while let Some(cmd) = received.recv().await {
            task.run(cmd);
        }
        task.writer.finish().await;
        for retired in task.retired {
            let _ = retired.await;
        }
    });
    Runner { commands, task }
}

/// [`start`] on one deployment, for a caller that only sends commands and never waits for
/// the task.
pub fn spawn(
    client: Arc<GeoboxClient>,
    journal: Option<Journal>,
    results: mpsc::UnboundedSender<Msg>,
) -> mpsc::UnboundedSender<Cmd> {
    let name = geobox_api::redact_host(client.base_url().as_str());
    start(Connections::new(&name, client), journal, results).commands
}

/// What the command task keeps between commands.
struct CommandTask {
    connections: Connections,
    results: mpsc::UnboundedSender<Msg>,
    journal: Option<Journal>,
    /// The journal of the deployment the console started on.
    started_with: Option<Journal>,
    /// The deployment whose own journal `journal` is; `None`: the one started with.
    journal_owner: Option<String>,
    writer: JournalWriter,
    /// The writers of journals left behind by a switch, finishing what they were handed.
    retired: Vec<JoinHandle<()>>,
    /// Requests still running, so a cancel can stop them; each removes itself when done.
    running: Arc<Mutex<HashMap<RequestId, AbortHandle>>>,
    permits: Arc<Semaphore>,
    stops: BulkStops,
}

impl CommandTask {
    /// Starts one command; nothing here waits for a request, a timer or a file.
    fn run(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Log { line } => {
                tracing::info!(target: "geobox_users::console", "{line}");
            }
            Cmd::AppendJournal { entry } => self.writer.append(entry),
            Cmd::ReadJournal { request, filter } => {
                let (journal, results) = (self.journal.clone(), self.results.clone());
                tokio::task::spawn_blocking(move || {
                    let result = read_journal(journal.as_ref(), &filter);
                    let _ = results.send(Msg::JournalRead { request, result });
                });
            }
            Cmd::ViewFile { request, store, op } => {
                let results = self.results.clone();
                tokio::spawn(async move {
                    if let Some(msg) = views_loaded(request, store, op).await {
                        let _ = results.send(msg);
                    }
                });
            }
            Cmd::RunBulk {
                request,
                targets,
                change,
            } => {
                self.stops.start(request);
                let (client, results) = (self.connections.current(), self.results.clone());
                let stops = self.stops.clone();
                tokio::spawn(bulk_runner::run(
                    client, results, request, targets, change, stops,
                ));
            }
            Cmd::Export {
                request,
                view,
                path,
                format,
                overwrite,
            } => {
                self.stops.start(request);
                let (client, results) = (self.connections.current(), self.results.clone());
                let job = ExportJob {
                    request,
                    view,
                    path,
                    format,
                    overwrite,
                };
                tokio::spawn(bulk_runner::export(
                    client,
                    results,
                    job,
                    self.stops.clone(),
                ));
            }
            Cmd::StopBulk { request } => self.stops.stop(request),
            Cmd::CancelRequest { request } => {
                if let Some(handle) = lock(&self.running).remove(&request) {
                    handle.abort();
                }
            }
            Cmd::After { delay, msg } => {
                let results = self.results.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = results.send(*msg);
                });
            }
            // The loop writes it to the terminal itself, between frames; it never comes here.
            Cmd::CopyToClipboard { .. } => {}
            Cmd::UseDeployment { deployment, .. } => {
                if self.connections.use_deployment(&deployment) {
                    self.use_journal_of(&deployment);
                } else {
                    tracing::warn!(%deployment, "asked to use a deployment not signed in to");
                }
            }
            Cmd::SignIn {
                request,
                deployment,
                password,
            } => {
                let (connections, results) = (self.connections.clone(), self.results.clone());
                tokio::spawn(async move {
                    let _ =
                        results.send(sign_in(&connections, request, deployment, password).await);
                });
            }
            Cmd::FindEverywhere { request, term } => {
                let (connections, results) = (self.connections.clone(), self.results.clone());
                tokio::spawn(async move {
                    let found = connections.find(&term, find::DEFAULT_LIMIT).await;
                    let _ = results.send(Msg::FoundEverywhere { request, found });
                });
            }
            request @ (Cmd::LoadMe { .. }
            | Cmd::LoadUsers { .. }
            | Cmd::CountUsers { .. }
            | Cmd::RefreshRows { .. }
            | Cmd::RefreshCount { .. }
            | Cmd::LoadSessions { .. }
            | Cmd::LoadPlans { .. }
            | Cmd::CloseSession { .. }
            | Cmd::ListSessionsToClose { .. }
            | Cmd::QuickEdit { .. }
            | Cmd::DeleteUser { .. }
            | Cmd::ChangePassword { .. }
            | Cmd::RenewPlan { .. }
            | Cmd::ReadBeforeSave { .. }
            | Cmd::SaveUser { .. }
            | Cmd::CreateUser { .. }
            | Cmd::Probe { .. }
            | Cmd::ReloadUser { .. }
            | Cmd::CheckUndo { .. }
            | Cmd::Lockdown { .. }
            | Cmd::CollectMatching { .. }) => self.send_request(request),
            undo @ Cmd::ApplyUndo { .. } => self.claim_then_undo(undo),
        }
    }

    /// From now on, writes are journaled, and the journal read, where `deployment` keeps its
    /// journal; what the previous one was handed is still written there.
    fn use_journal_of(&mut self, deployment: &str) {
        let own = self.connections.journal_of(deployment);
        let owner = own.as_ref().map(|_| deployment.to_string());
        // The same journal as now: its writer goes on (a new one would reach the team
        // journal again for nothing).
        if owner == self.journal_owner {
            return;
        }
        self.journal_owner = owner;
        let journal = own.or_else(|| self.started_with.clone());
        self.journal = journal.clone();
        let previous = std::mem::replace(
            &mut self.writer,
            JournalWriter::start(journal, self.results.clone()),
        );
        self.retired.push(tokio::spawn(previous.finish()));
    }

    /// Claims the undo in the journal first, so that of two admins undoing one entry at once
    /// only one writes (the team journal decides); the other is told who is undoing it, or
    /// who did. Without a journal there is nothing to claim with.
    fn claim_then_undo(&self, undo: Cmd) {
        let Cmd::ApplyUndo {
            request,
            entry,
            claimant,
            ..
        } = &undo
        else {
            return;
        };
        let Some(journal) = self.journal.clone() else {
            self.send_request(undo);
            return;
        };
        let (request, id) = (*request, entry.id.clone());
        let claim = UndoClaim::new(claimant.as_deref());
        let (client, results) = (self.connections.current(), self.results.clone());
        let permits = Arc::clone(&self.permits);
        tokio::spawn(async move {
            let target = id.clone();
            let claimed =
                tokio::task::spawn_blocking(move || journal.claim_undo(&target, &claim)).await;
            let refusal = match claimed {
                Ok(Ok(answer)) => answer.refusal(&id),
                Ok(Err(error)) => Some(format!("the journal could not claim the undo: {error}")),
                Err(stopped) => Some(format!("the journal could not claim the undo: {stopped}")),
            };
            let msg = match refusal {
                Some(reason) => Some(Msg::UndoRefused { request, reason }),
                None => {
                    let _permit = permits.acquire_owned().await.ok();
                    execute(&client, undo).await
                }
            };
            if let Some(msg) = msg {
                let _ = results.send(msg);
            }
        });
    }

    /// Sends a request on a task of its own once a permit is free; a request that can be
    /// cancelled is tracked until it ends.
    fn send_request(&self, cmd: Cmd) {
        let request = cmd.cancellable();
        let client = self.connections.current();
        let results = self.results.clone();
        let finished = Arc::clone(&self.running);
        let permits = Arc::clone(&self.permits);
        // Held while spawning, so a task that ends at once removes its entry only after it
        // was put there.
        let mut tracked = lock(&self.running);
        let task = tokio::spawn(async move {
            // A closed semaphore cannot happen (it is never closed), and would only lift the
            // bound.
            let _permit = permits.acquire_owned().await.ok();
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
}

/// Does `op` to the saved views on a blocking thread and answers with what the file holds.
async fn views_loaded(request: RequestId, store: ViewStore, op: ViewOp) -> Option<Msg> {
    match tokio::task::spawn_blocking(move || view_file(&store, op)).await {
        Ok((said, result)) => Some(Msg::ViewsLoaded {
            request,
            said,
            result,
        }),
        Err(error) => {
            // Only a panic or a runtime shutting down ends it so: nobody waits for an answer.
            tracing::error!(%error, "the saved views were not read");
            None
        }
    }
}

/// Signs in to another deployment and answers with who the console is there.
pub async fn sign_in(
    connections: &Connections,
    request: RequestId,
    deployment: String,
    password: Option<Secret>,
) -> Msg {
    let done = timed(request, connections.sign_in(&deployment, password)).await;
    Msg::SignedIn {
        request,
        deployment,
        done,
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

/// The map stays usable even if a task panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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

/// Runs one command and returns the message that answers it: what the command task does for a
/// request, and what tests use to run commands one at a time.
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
        Cmd::RefreshRows {
            request,
            window,
            query,
        } => Msg::LiveRowsRead {
            window,
            done: timed(request, client.list_users(&query)).await,
        },
        Cmd::RefreshCount { request, query } => {
            Msg::LiveCounted(timed(request, client.count_users(&query)).await)
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
        } => {
            let started = Instant::now();
            let renewal = renew_plan(client, user_id).await;
            Msg::PlanRenewed {
                user_id,
                username,
                written: renewal.change,
                done: Done {
                    request,
                    took: started.elapsed(),
                    result: renewal.result,
                },
            }
        }
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
            claimant: _,
        } => {
            let applied = apply_undo(client, &plan).await;
            let new_passwords = applied.new_passwords.clone();
            let unreachable = applied.server_unreachable();
            // Host, signed-in admin and time are stamped by update, like every console entry.
            let undo_entry = applied.into_entry(&entry, "", Tool::Console);
            Msg::UndoApplied {
                request,
                entry: Box::new(undo_entry),
                new_passwords,
                unreachable,
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
        Cmd::ViewFile { request, store, op } => return views_loaded(request, store, op).await,
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
        // Deployments are the command task's: one client alone knows of no other.
        Cmd::SignIn { .. } | Cmd::UseDeployment { .. } | Cmd::FindEverywhere { .. } => {
            return None;
        }
    };
    Some(msg)
}

#[cfg(test)]
mod tests {
    use geobox_api::Auth;
    use geobox_ops::journal::{Action, Outcome};

    use super::*;
    use crate::console::files::read_journal;

    #[tokio::test]
    async fn stopping_waits_until_every_write_sent_is_journaled() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let journal = Journal::new(dir.path());
        // Nothing here reaches a server: journal entries and log lines only.
        let client = GeoboxClient::new(
            "http://127.0.0.1:9",
            Auth::Anonymous,
            Duration::from_secs(1),
        )
        .expect("a client");
        let (results, _answers) = mpsc::unbounded_channel();
        let connections = Connections::new("local", Arc::new(client));
        let runner = start(connections, Some(journal.clone()), results);
        for n in 0..20 {
            let mut entry = Entry::new(
                "http://127.0.0.1:9/v1/",
                Tool::Console,
                Action::Delete,
                Outcome::Ok,
            );
            entry.id = format!("quit{n:02}");
            let sent = runner.commands().send(Cmd::AppendJournal {
                entry: Box::new(entry),
            });
            assert!(sent.is_ok(), "the command task takes commands");
            let _ = runner.commands().send(Cmd::Log {
                line: format!("deleted {n}"),
            });
        }
        runner.stop().await;
        let written = read_journal(Some(&journal), &Filter::default()).expect("the journal reads");
        assert_eq!(
            written.len(),
            20,
            "every entry is on disk once stop returns"
        );
        assert_eq!(written[0].id, "quit19");
        assert_eq!(written[19].id, "quit00");
    }
}
