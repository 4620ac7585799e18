//! Lockdown: a compromised account shut in one step. Its status goes to Disabled (so no new
//! sign-in works), every session is closed (so no token in the wrong hands works), and
//! optionally the password is replaced by a random one shown once. Each step is carried out
//! even when an earlier one failed, and each reports its own outcome, so a partial failure
//! says exactly what did not happen. The CLI and the console share this code.

use std::fmt;

use serde_json::Value;

use crate::journal::{Action, Entry, Field, Outcome, Step, Tool, UserChange, Values, who};
use geobox_api::{ApiError, GeoboxClient, Secret, User, UserRef, UserStatus, UserUpdate};

/// One step of a lockdown, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    Disable,
    CloseSessions,
    NewPassword,
}

impl StepKind {
    /// The step's name in the journal and in reports.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Disable => "disable",
            StepKind::CloseSessions => "close sessions",
            StepKind::NewPassword => "new password",
        }
    }

    /// What the step will do, for the confirmation.
    pub fn promise(self) -> &'static str {
        match self {
            StepKind::Disable => "status → Disabled (no new sign-in works)",
            StepKind::CloseSessions => {
                "every session closed (every token of the user stops working)"
            }
            StepKind::NewPassword => "a new random password, shown once here and never logged",
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to lock down, and how far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lockdown {
    pub user_id: i64,
    pub reset_password: bool,
}

impl Lockdown {
    pub fn steps(self) -> Vec<StepKind> {
        let mut steps = vec![StepKind::Disable, StepKind::CloseSessions];
        if self.reset_password {
            steps.push(StepKind::NewPassword);
        }
        steps
    }

    /// The confirmation's lines: who, then one line per step.
    pub fn describe(self, username: Option<&str>) -> Vec<String> {
        let mut lines = vec![format!("Lock down {}:", who(self.user_id, username))];
        lines.extend(
            self.steps()
                .iter()
                .enumerate()
                .map(|(index, step)| format!("  {}. {}", index + 1, step.promise())),
        );
        lines
    }
}

/// Why a lockdown was refused, or did not wholly happen.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LockdownError {
    /// The user could not be read first, so no step ran.
    #[error("nothing done: {0}")]
    NothingDone(ApiError),
    /// Some steps did not happen (the others did).
    #[error("{}", missed_steps(.failed))]
    Incomplete { failed: Vec<StepDone> },
}

impl LockdownError {
    /// Whether it failed because the server could not be reached (rather than saying no).
    pub fn is_unreachable(&self) -> bool {
        match self {
            LockdownError::NothingDone(error) => error.is_unreachable(),
            LockdownError::Incomplete { failed } => failed
                .iter()
                .any(|step| step.error.as_ref().is_some_and(ApiError::is_unreachable)),
        }
    }
}

/// How one step went.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDone {
    pub kind: StepKind,
    pub outcome: Outcome,
    /// For people: `closed 3 of 3 sessions`, `was already Disabled`.
    pub summary: String,
    /// What a failed step ended in (the first failure, when it made several requests).
    pub error: Option<ApiError>,
}

impl fmt::Display for StepDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.outcome.is_ok() { "ok" } else { "FAILED" };
        write!(f, "{:<15} {mark:<6} {}", self.kind.name(), self.summary)
    }
}

/// What a lockdown did. The new password is here to show once; it is in no `Debug`, log or
/// journal entry.
#[derive(Debug)]
pub struct LockdownReport {
    pub user_id: i64,
    pub username: Option<String>,
    /// The status before the lockdown, as fetched first.
    pub status_before: Value,
    pub steps: Vec<StepDone>,
    pub new_password: Option<Secret>,
}

impl LockdownReport {
    pub fn failed(&self) -> Vec<&StepDone> {
        self.steps
            .iter()
            .filter(|step| !step.outcome.is_ok())
            .collect()
    }

    /// One line saying which steps did not happen, or `None` when all did.
    pub fn missed(&self) -> Option<String> {
        self.missed_steps().map(|steps| {
            format!(
                "the lockdown of {} is incomplete: {steps}",
                who(self.user_id, self.username.as_deref())
            )
        })
    }

    /// `not done: close sessions (error: …)`, without naming the user (a list of many users
    /// names each one already), or `None` when every step happened.
    pub fn missed_steps(&self) -> Option<String> {
        self.incomplete().map(|error| error.to_string())
    }

    /// The steps that did not happen as an error, or `None` when every step happened.
    pub fn incomplete(&self) -> Option<LockdownError> {
        let failed: Vec<StepDone> = self.failed().into_iter().cloned().collect();
        (!failed.is_empty()).then_some(LockdownError::Incomplete { failed })
    }

    pub fn outcome(&self) -> Outcome {
        match self.missed() {
            None => Outcome::Ok,
            Some(missed) => Outcome::Error(missed),
        }
    }

    /// The user's change as the journal keeps it: the status, when the disable happened (so
    /// an undo puts back exactly that, whatever else failed).
    pub fn user_change(&self) -> UserChange {
        let disabled = self
            .steps
            .iter()
            .any(|step| step.kind == StepKind::Disable && step.outcome.is_ok());
        let change = UserChange::new(Some(self.user_id), self.username.clone());
        let status_changed = self.status_before != UserStatus::Disabled.as_str();
        if !disabled || !status_changed {
            return change;
        }
        let status = |value: Value| Values([(Field::Status, value)].into_iter().collect());
        let mut change = change.values(
            status(self.status_before.clone()),
            status(Value::from(UserStatus::Disabled.as_str())),
        );
        change.outcome = Some(Outcome::Ok);
        change
    }

    pub fn journal_steps(&self) -> Vec<Step> {
        self.steps
            .iter()
            .map(|step| Step {
                name: step.kind.name().to_string(),
                outcome: step.outcome.clone(),
            })
            .collect()
    }

    /// The one journal entry of the whole lockdown, with its steps.
    pub fn entry(&self, host: &str, tool: Tool) -> Entry {
        let mut entry = Entry::new(host, tool, Action::Lockdown, self.outcome());
        entry.changes = vec![self.user_change()];
        entry.steps = self.journal_steps();
        entry
    }
}

/// Locks the user down, calling `progress` as each step starts and once it is done. Fails
/// only when the user cannot be fetched first, in which case nothing was done.
pub async fn run(
    client: &GeoboxClient,
    lockdown: Lockdown,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<LockdownReport, ApiError> {
    let user = client.get_user(UserRef::Id(lockdown.user_id)).await?;
    let mut report = LockdownReport {
        user_id: lockdown.user_id,
        username: Some(user.username.clone()),
        status_before: Field::Status.read(&user),
        steps: Vec::new(),
        new_password: None,
    };
    // Listed first: a server may end the sessions itself when the user is disabled, and the
    // report should still say how many there were.
    let open_before: Vec<String> = client
        .list_sessions(UserRef::Id(lockdown.user_id))
        .await
        .map(|sessions| sessions.into_iter().map(|session| session.uuid).collect())
        .unwrap_or_default();
    for kind in lockdown.steps() {
        progress(Progress::Starting(kind));
        let done = match kind {
            StepKind::Disable => disable(client, &user).await,
            StepKind::CloseSessions => close_sessions(client, lockdown.user_id, &open_before).await,
            StepKind::NewPassword => {
                let password = Secret::new(crate::journal::new_password());
                let changed = client.change_password(lockdown.user_id, &password).await;
                if changed.is_ok() {
                    report.new_password = Some(password);
                }
                step_of(kind, &changed, "set (shown below, once)")
            }
        };
        progress(Progress::Done(&done));
        report.steps.push(done);
    }
    Ok(report)
}

/// `not done: close sessions (error: …); new password (error: …)`
fn missed_steps(failed: &[StepDone]) -> String {
    let names: Vec<String> = failed
        .iter()
        .map(|step| format!("{} ({})", step.kind.name(), step.outcome))
        .collect();
    format!("not done: {}", names.join("; "))
}

/// A lockdown's progress, for a screen or a terminal.
#[derive(Debug)]
pub enum Progress<'a> {
    Starting(StepKind),
    Done(&'a StepDone),
}

async fn disable(client: &GeoboxClient, user: &User) -> StepDone {
    if user.status == Some(UserStatus::Disabled) {
        return StepDone {
            kind: StepKind::Disable,
            outcome: Outcome::Ok,
            summary: "was already Disabled".to_string(),
            error: None,
        };
    }
    let update = UserUpdate {
        status: Some(UserStatus::Disabled),
        ..UserUpdate::default()
    };
    let updated = client.update_user(user.id, &update).await;
    let summary = format!(
        "status {} → Disabled",
        crate::journal::show(&Field::Status.read(user))
    );
    step_of(StepKind::Disable, &updated, &summary)
}

async fn close_sessions(client: &GeoboxClient, user_id: i64, open_before: &[String]) -> StepDone {
    let kind = StepKind::CloseSessions;
    let sessions = match client.list_sessions(UserRef::Id(user_id)).await {
        Ok(sessions) => sessions,
        Err(error) => {
            let listed: Result<(), ApiError> = Err(error);
            return step_of(kind, &listed, "");
        }
    };
    let mut failures = Vec::new();
    let mut first_error = None;
    for session in &sessions {
        match client.close_session(user_id, &session.uuid).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => {}
            Err(error) => {
                failures.push(format!("{}: {error}", short_uuid(&session.uuid)));
                first_error.get_or_insert(error);
            }
        }
    }
    let closed = sessions.len() - failures.len();
    let ended_with_disable = open_before
        .iter()
        .filter(|uuid| !sessions.iter().any(|session| &session.uuid == *uuid))
        .count();
    let mut summary = format!("closed {closed} of {} sessions", sessions.len());
    if ended_with_disable > 0 {
        summary.push_str(&format!(
            " ({ended_with_disable} more ended with the disable)"
        ));
    }
    if failures.is_empty() {
        StepDone {
            kind,
            outcome: Outcome::Ok,
            summary,
            error: None,
        }
    } else {
        StepDone {
            kind,
            outcome: Outcome::Error(format!("{summary}; still open: {}", failures.join("; "))),
            summary,
            error: first_error,
        }
    }
}

fn step_of<T>(kind: StepKind, result: &Result<T, ApiError>, summary: &str) -> StepDone {
    match result {
        Ok(_) => StepDone {
            kind,
            outcome: Outcome::Ok,
            summary: summary.to_string(),
            error: None,
        },
        Err(error) => StepDone {
            kind,
            outcome: Outcome::of(result),
            summary: error.to_string(),
            error: Some(error.clone()),
        },
    }
}

fn short_uuid(uuid: &str) -> &str {
    uuid.get(..8).unwrap_or(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcomes: &[(StepKind, Outcome)]) -> LockdownReport {
        LockdownReport {
            user_id: 5,
            username: Some("neda".to_string()),
            status_before: Value::from("Active"),
            steps: outcomes
                .iter()
                .map(|(kind, outcome)| StepDone {
                    kind: *kind,
                    outcome: outcome.clone(),
                    summary: String::new(),
                    error: None,
                })
                .collect(),
            new_password: None,
        }
    }

    #[test]
    fn the_confirmation_lists_every_step_and_the_password_only_when_asked() {
        let plain = Lockdown {
            user_id: 5,
            reset_password: false,
        };
        let lines = plain.describe(Some("neda"));
        assert_eq!(lines[0], "Lock down neda (5):");
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains("Disabled") && lines[2].contains("session"));
        let with_password = Lockdown {
            reset_password: true,
            ..plain
        };
        assert!(with_password.describe(None)[3].contains("shown once"));
    }

    #[test]
    fn a_step_the_server_did_not_answer_makes_the_lockdown_unreachable() {
        let gone = ApiError::Connection {
            url: "http://127.0.0.1:1/v1/".to_string(),
            reason: "connection refused".to_string(),
        };
        let mut partial = report(&[
            (StepKind::Disable, Outcome::Ok),
            (StepKind::CloseSessions, Outcome::of(&Err::<(), _>(&gone))),
        ]);
        partial.steps[1].error = Some(gone.clone());
        let incomplete = partial.incomplete().expect("incomplete");
        assert!(incomplete.is_unreachable());
        assert_eq!(Some(incomplete.to_string()), partial.missed_steps());
        assert!(
            incomplete
                .to_string()
                .starts_with("not done: close sessions")
        );

        let refused = ApiError::from_response(403, br#"{"detail":"no"}"#);
        partial.steps[1].error = Some(refused.clone());
        assert!(!partial.incomplete().expect("incomplete").is_unreachable());
        assert!(LockdownError::NothingDone(gone).is_unreachable());
        assert!(!LockdownError::NothingDone(refused).is_unreachable());
        assert_eq!(
            report(&[(StepKind::Disable, Outcome::Ok)]).incomplete(),
            None
        );
    }

    #[test]
    fn a_partial_failure_names_the_steps_that_did_not_happen() {
        let failed = Outcome::Error("server error (500)".to_string());
        let partial = report(&[
            (StepKind::Disable, Outcome::Ok),
            (StepKind::CloseSessions, failed.clone()),
            (StepKind::NewPassword, Outcome::Ok),
        ]);
        let missed = partial.missed().expect("incomplete");
        assert!(missed.contains("close sessions"), "{missed}");
        assert!(!missed.contains("disable") && !missed.contains("new password"));
        let entry = partial.entry("http://h", Tool::Cli);
        assert_eq!(entry.action, Action::Lockdown);
        assert_eq!(entry.steps.len(), 3);
        assert!(!entry.outcome.is_ok());
        // The disable happened, so the undo has its status to put back.
        assert_eq!(
            entry.changes[0].before.get(Field::Status),
            Some(&Value::from("Active"))
        );
        assert!(entry.changes[0].succeeded(&entry));
    }

    #[test]
    fn a_failed_disable_records_no_status_to_put_back() {
        let failed = Outcome::Error("not allowed (403)".to_string());
        let entry = report(&[
            (StepKind::Disable, failed),
            (StepKind::CloseSessions, Outcome::Ok),
        ])
        .entry("http://h", Tool::Console);
        assert!(entry.changes[0].after.is_empty());
        assert!(entry.outcome.to_string().contains("disable"));
    }

    #[test]
    fn a_full_lockdown_is_ok() {
        let done = report(&[
            (StepKind::Disable, Outcome::Ok),
            (StepKind::CloseSessions, Outcome::Ok),
        ]);
        assert_eq!(done.missed(), None);
        assert_eq!(done.outcome(), Outcome::Ok);
    }
}
