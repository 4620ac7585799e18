//! One change applied to many users: the targets are collected first (so a change that takes
//! users out of the filter does not shift the pages), then written with bounded concurrency,
//! in batches, with progress; a cancel stops after the current batch. Shared by the CLI's
//! `users bulk-update` and the console.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::journal::{self, Outcome, UserChange, Values};
use crate::lockdown::{self, Lockdown, LockdownError};
use crate::safety::{SelfHarm, SignedIn, self_harm, self_harm_of_lockdown};
use geobox_api::{ApiError, GeoboxClient, User, UserRole, UserStatus, UserUpdate};

/// Writes in flight at once: enough to hide the round trip, few enough to be kind to a server.
pub const CONCURRENCY: usize = 8;
/// Users written between two looks at the cancel flag.
pub const BATCH: usize = 64;

/// Names a confirmation or a note shows before "and N more".
pub const FIRST_FEW: usize = 5;

/// `neda, omid, sara and 40 more`: the first few of many names.
pub fn first_few(names: impl ExactSizeIterator<Item = String>) -> String {
    let total = names.len();
    let shown: Vec<String> = names.take(FIRST_FEW).collect();
    match total.saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// What a bulk action does to each user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Status(UserStatus),
    Role(UserRole),
    RenewPlan,
    /// The shared lockdown without a new password: a password per user, each shown once,
    /// would help nobody across a whole view.
    Lockdown,
}

impl Change {
    /// `status → Disabled`, `role → Editor`, `renew plan`.
    pub fn describe(&self) -> String {
        match self {
            Change::Status(status) => format!("status → {status}"),
            Change::Role(role) => format!("role → {role}"),
            Change::RenewPlan => "renew plan".to_string(),
            Change::Lockdown => "lock down (disable, close every session)".to_string(),
        }
    }

    /// Whether the user is already as the change would leave them (then they are skipped).
    pub fn already_done(&self, user: &User) -> bool {
        match self {
            Change::Status(status) => user.status.as_ref() == Some(status),
            Change::Role(role) => user.role.as_ref() == Some(role),
            // A Disabled user may still hold sessions, which the lockdown closes.
            Change::RenewPlan | Change::Lockdown => false,
        }
    }

    /// What the change would cost the signed-in admin if `user` is themselves (then a run
    /// leaves them out: [`crate::safety::WithoutSelf`]).
    pub fn self_harm(&self, me: &SignedIn, user: &User) -> Option<SelfHarm> {
        match self {
            Change::Status(status) => self_harm(me, user.id, Some(status), None),
            Change::Role(role) => self_harm(me, user.id, None, Some(role)),
            Change::Lockdown => self_harm_of_lockdown(me, user.id),
            Change::RenewPlan => None,
        }
    }

    /// Whether the change could cost the signed-in admin anything at all, so that a run needs
    /// to know who they are.
    pub fn may_harm_oneself(&self) -> bool {
        !matches!(
            self,
            Change::RenewPlan
                | Change::Status(UserStatus::Active | UserStatus::Pending | UserStatus::New)
        )
    }

    fn update(&self) -> Option<UserUpdate> {
        match self {
            Change::Status(status) => Some(UserUpdate {
                status: Some(status.clone()),
                ..UserUpdate::default()
            }),
            Change::Role(role) => Some(UserUpdate {
                role: Some(role.clone()),
                ..UserUpdate::default()
            }),
            Change::RenewPlan | Change::Lockdown => None,
        }
    }
}

/// The users a change would write, and those it leaves alone because they are already so.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub to_change: Vec<User>,
    pub already: Vec<User>,
}

impl Targets {
    pub fn split(users: Vec<User>, change: &Change) -> Targets {
        let (already, to_change) = users
            .into_iter()
            .partition(|user| change.already_done(user));
        Targets { to_change, already }
    }
}

/// How far a run is: counts, rate and time left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub elapsed: Duration,
}

impl Progress {
    /// Writes per second so far.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the rate so far; `None` before the first write.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        (rate > 0.0)
            .then(|| Duration::from_secs_f64(self.total.saturating_sub(self.done) as f64 / rate))
    }

    /// `120/500  35/s  ETA 11s`
    pub fn line(&self) -> String {
        let eta = match self.eta() {
            Some(eta) => format!("ETA {}s", eta.as_secs()),
            None => "ETA -".to_string(),
        };
        format!("{}/{}  {:.0}/s  {eta}", self.done, self.total, self.rate())
    }
}

/// Why a write of a bulk run failed: one user's, or (from [`Summary::outcome`]) the run's.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BulkError {
    /// The user's write failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The user's lockdown did not happen, or not wholly.
    #[error(transparent)]
    Lockdown(#[from] LockdownError),
    /// Some writes of the run failed; `unreachable` of them because the server could not be
    /// reached.
    #[error("{failed} of {attempted} writes failed")]
    SomeFailed {
        failed: usize,
        attempted: usize,
        unreachable: usize,
    },
}

impl BulkError {
    /// Whether the server went away or timed out (rather than refusing a write): a run
    /// that failed so may succeed when tried again.
    pub fn is_unreachable(&self) -> bool {
        match self {
            BulkError::Api(error) => error.is_unreachable(),
            BulkError::Lockdown(error) => error.is_unreachable(),
            BulkError::SomeFailed { unreachable, .. } => *unreachable > 0,
        }
    }
}

/// What one user's write came to, and how the journal keeps it.
#[derive(Clone, Debug)]
pub struct Written {
    pub user: User,
    pub result: Result<(), BulkError>,
    pub journal: UserChange,
}

/// The end of a run: who was changed, who failed and why, who was already so, and whether it
/// was stopped before the end (then `not_reached` were never written).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub done: Vec<User>,
    pub failed: Vec<(User, BulkError)>,
    pub skipped: Vec<User>,
    pub not_reached: Vec<User>,
    /// One journal change per user written, with its outcome.
    pub changes: Vec<UserChange>,
}

impl Summary {
    /// `done 40, failed 2, skipped 3 (already so)`, and what a cancel left out.
    pub fn line(&self) -> String {
        let mut line = format!(
            "done {}, failed {}, skipped {} (already so)",
            self.done.len(),
            self.failed.len(),
            self.skipped.len()
        );
        if !self.not_reached.is_empty() {
            line.push_str(&format!(
                ", stopped before {} users",
                self.not_reached.len()
            ));
        }
        line
    }

    /// The journal's overall outcome: ok when every write went through.
    pub fn outcome(&self) -> Result<(), BulkError> {
        match self.failed.len() {
            0 => Ok(()),
            failed => Err(BulkError::SomeFailed {
                failed,
                attempted: self.done.len() + failed,
                unreachable: self
                    .failed
                    .iter()
                    .filter(|(_, error)| error.is_unreachable())
                    .count(),
            }),
        }
    }
}

/// Writes `change` to every target, [`CONCURRENCY`] at a time, in batches of [`BATCH`];
/// `cancel` is looked at between batches. `on_progress` hears after each write.
pub async fn run(
    client: &GeoboxClient,
    targets: Targets,
    change: &Change,
    cancel: &AtomicBool,
    mut on_progress: impl FnMut(Progress),
) -> Summary {
    let mut summary = Summary {
        skipped: targets.already,
        ..Summary::default()
    };
    summary.not_reached = in_batches(
        targets.to_change,
        cancel,
        |user| write_one(client, user, change),
        |written: Written| {
            summary.changes.push(written.journal);
            match written.result {
                Ok(()) => summary.done.push(written.user),
                Err(reason) => summary.failed.push((written.user, reason)),
            }
        },
        &mut on_progress,
    )
    .await;
    summary
}

/// Runs `write` on every item, [`CONCURRENCY`] at a time, in batches of [`BATCH`], handing
/// each result to `on_done` and then the progress to `on_progress`. `cancel` is looked at
/// between batches; the items a cancel left unwritten are returned.
pub async fn in_batches<T, R, Fut>(
    items: Vec<T>,
    cancel: &AtomicBool,
    write: impl Fn(T) -> Fut,
    mut on_done: impl FnMut(R),
    on_progress: &mut impl FnMut(Progress),
) -> Vec<T>
where
    Fut: Future<Output = R>,
{
    let started = Instant::now();
    let total = items.len();
    let mut done = 0;
    let mut pending = items.into_iter();
    loop {
        if cancel.load(Ordering::Relaxed) {
            return pending.collect();
        }
        let batch: Vec<T> = pending.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            return Vec::new();
        }
        let mut writes = futures_util::stream::iter(batch)
            .map(&write)
            .buffer_unordered(CONCURRENCY);
        while let Some(result) = writes.next().await {
            on_done(result);
            done += 1;
            on_progress(Progress {
                done,
                total,
                elapsed: started.elapsed(),
            });
        }
    }
}

async fn write_one(client: &GeoboxClient, user: User, change: &Change) -> Written {
    if *change == Change::Lockdown {
        return lock_down(client, user).await;
    }
    let Some(update) = change.update() else {
        return renew(client, user).await;
    };
    let result = client
        .update_user(user.id, &update)
        .await
        .map(drop)
        .map_err(BulkError::from);
    let journal = journal_change(&user, &result, change);
    Written {
        user,
        result,
        journal,
    }
}

fn journal_change(user: &User, result: &Result<(), BulkError>, change: &Change) -> UserChange {
    let mut journal = UserChange::new(Some(user.id), Some(user.username.clone()));
    if let Some(update) = change.update() {
        let after = Values::of_update(&update);
        journal = journal.values(after.read_from(user), after);
    }
    journal.outcome = Some(Outcome::of(result));
    journal
}

/// One user's plan renewed through the journal's renewal, which records the expiration date
/// before and after so that the undo can put it back.
async fn renew(client: &GeoboxClient, user: User) -> Written {
    let renewal = journal::renew_plan(client, user.id).await;
    let result = renewal.result.map_err(BulkError::from);
    Written {
        journal: UserChange {
            outcome: Some(Outcome::of(&result)),
            ..renewal.change
        },
        user,
        result,
    }
}

/// One user through the shared lockdown. Any step it reports as not done makes the user a
/// failure, with those steps as the reason; the journal keeps the status it put back on undo.
async fn lock_down(client: &GeoboxClient, user: User) -> Written {
    let lockdown = Lockdown {
        user_id: user.id,
        reset_password: false,
    };
    let (result, journal) = match lockdown::run(client, lockdown, |_| {}).await {
        Ok(report) => (
            report
                .incomplete()
                .map_or(Ok(()), |missed| Err(missed.into())),
            report.user_change(),
        ),
        Err(error) => (
            Err(LockdownError::NothingDone(error).into()),
            UserChange::new(Some(user.id), Some(user.username.clone())),
        ),
    };
    Written {
        journal: UserChange {
            outcome: Some(Outcome::of(&result)),
            ..journal
        },
        user,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, status: UserStatus) -> User {
        serde_json::from_value(serde_json::json!({
            "id": id, "username": format!("u{id}"), "status": status.as_str()
        }))
        .expect("a user")
    }

    #[test]
    fn users_already_so_are_skipped_not_written() {
        let change = Change::Status(UserStatus::Active);
        let targets = Targets::split(
            vec![user(1, UserStatus::Pending), user(2, UserStatus::Active)],
            &change,
        );
        assert_eq!(targets.to_change.len(), 1);
        assert_eq!(targets.already[0].id, 2);
        assert!(!Change::RenewPlan.already_done(&user(3, UserStatus::Active)));
    }

    #[test]
    fn a_change_knows_what_it_costs_the_admin_and_what_it_grants() {
        let me = SignedIn {
            id: 2,
            username: "u2".to_string(),
            role: UserRole::SystemAdmin,
        };
        let admin = user(2, UserStatus::Active);
        let other = user(3, UserStatus::Active);
        let disable = Change::Status(UserStatus::Disabled);
        assert_eq!(disable.self_harm(&me, &admin), Some(SelfHarm::Disable));
        assert_eq!(disable.self_harm(&me, &other), None);
        assert!(
            Change::Role(UserRole::Viewer)
                .self_harm(&me, &admin)
                .is_some()
        );
        assert_eq!(Change::RenewPlan.self_harm(&me, &admin), None);
        assert_eq!(
            Change::Lockdown.self_harm(&me, &admin),
            Some(SelfHarm::LockDown)
        );
        assert!(disable.may_harm_oneself() && Change::Lockdown.may_harm_oneself());
        assert!(!Change::Status(UserStatus::Active).may_harm_oneself());
        assert!(!Change::RenewPlan.may_harm_oneself());
    }

    #[test]
    fn many_names_show_the_first_few() {
        let names = |count: usize| (1..=count).map(|n| format!("u{n}")).collect::<Vec<_>>();
        assert_eq!(first_few(names(2).into_iter()), "u1, u2");
        assert_eq!(
            first_few(names(8).into_iter()),
            "u1, u2, u3, u4, u5 and 3 more"
        );
    }

    #[test]
    fn progress_has_a_rate_and_time_left() {
        let progress = Progress {
            done: 50,
            total: 150,
            elapsed: Duration::from_secs(5),
        };
        assert_eq!(progress.line(), "50/150  10/s  ETA 10s");
        let start = Progress {
            done: 0,
            total: 9,
            elapsed: Duration::ZERO,
        };
        assert_eq!(start.eta(), None);
    }

    #[test]
    fn a_lockdown_is_described_and_never_already_done() {
        assert_eq!(
            Change::Lockdown.describe(),
            "lock down (disable, close every session)"
        );
        let disabled = user(5, UserStatus::Disabled);
        assert!(
            !Change::Lockdown.already_done(&disabled),
            "a Disabled user may still hold sessions"
        );
        let targets = Targets::split(
            vec![disabled, user(6, UserStatus::Active)],
            &Change::Lockdown,
        );
        assert_eq!(targets.to_change.len(), 2);
        assert!(targets.already.is_empty());
        assert_eq!(
            Change::Lockdown.update(),
            None,
            "no plain update: the lockdown runs"
        );
    }

    #[test]
    fn the_journal_keeps_each_users_before_and_outcome() {
        let result = Err(BulkError::from(ApiError::from_response(
            403,
            br#"{"detail":"no"}"#,
        )));
        assert_eq!(
            result.as_ref().map_err(ToString::to_string),
            Err("not allowed (403): no".to_string())
        );
        let pending = user(4, UserStatus::Pending);
        let change = journal_change(&pending, &result, &Change::Status(UserStatus::Active));
        let json = serde_json::to_value(&change).expect("serializes");
        assert_eq!(json["before"]["status"], "Pending");
        assert_eq!(json["after"]["status"], "Active");
        assert!(!change.outcome.as_ref().is_some_and(Outcome::is_ok));
    }

    fn refused_connection() -> ApiError {
        ApiError::Connection {
            url: "http://127.0.0.1:1/v1/".to_string(),
            reason: "connection refused".to_string(),
        }
    }

    #[test]
    fn a_write_the_server_did_not_answer_is_told_from_one_it_refused() {
        assert!(BulkError::from(refused_connection()).is_unreachable());
        assert!(
            BulkError::from(ApiError::Timeout {
                after: Duration::from_secs(15)
            })
            .is_unreachable()
        );
        let refused = BulkError::from(ApiError::from_response(403, br#"{"detail":"no"}"#));
        assert!(!refused.is_unreachable());
        assert!(BulkError::from(LockdownError::NothingDone(refused_connection())).is_unreachable());
        assert!(
            !BulkError::from(LockdownError::NothingDone(ApiError::from_response(
                403, b""
            )))
            .is_unreachable()
        );
    }

    #[test]
    fn a_run_with_unreachable_failures_says_so_in_its_outcome() {
        let mut summary = Summary {
            done: vec![user(1, UserStatus::Active)],
            ..Summary::default()
        };
        assert_eq!(summary.outcome(), Ok(()));
        summary.failed.push((
            user(2, UserStatus::Active),
            BulkError::from(ApiError::from_response(404, b"")),
        ));
        let refused_only = summary.outcome().expect_err("one failed");
        assert_eq!(refused_only.to_string(), "1 of 2 writes failed");
        assert!(!refused_only.is_unreachable());
        summary
            .failed
            .push((user(3, UserStatus::Active), refused_connection().into()));
        let outcome = summary.outcome().expect_err("two failed");
        assert_eq!(outcome.to_string(), "2 of 3 writes failed");
        assert_eq!(
            outcome,
            BulkError::SomeFailed {
                failed: 2,
                attempted: 3,
                unreachable: 1
            }
        );
        assert!(outcome.is_unreachable());
    }

    #[tokio::test]
    async fn every_write_to_a_server_that_went_away_fails_as_unreachable() {
        use crate::testing::client_of_a_gone_server;
        let client = client_of_a_gone_server();
        for change in [Change::Status(UserStatus::Disabled), Change::Lockdown] {
            let targets = Targets::split(
                vec![user(1, UserStatus::Active), user(2, UserStatus::Active)],
                &change,
            );
            let summary = run(&client, targets, &change, &AtomicBool::new(false), |_| {}).await;
            assert!(summary.done.is_empty(), "{change:?}");
            assert_eq!(summary.failed.len(), 2, "{change:?}");
            for (_, error) in &summary.failed {
                assert!(error.is_unreachable(), "{change:?}: {error:?}");
            }
            let outcome = summary.outcome().expect_err("every write failed");
            assert!(outcome.is_unreachable(), "{outcome:?}");
        }
    }
}
