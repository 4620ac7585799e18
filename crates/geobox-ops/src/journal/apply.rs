//! Carrying out an undo planned by [`plan_undo`](super::plan_undo): the writes, each with its
//! outcome, and the entry that records the undo. The CLI and the console both run this.

use futures_util::StreamExt;
use serde_json::Value;

use super::entry::{Action, Entry, Field, Outcome, Tool, UserChange, Values, random_text};
use super::undo::{UndoPlan, UndoStep};
use geobox_api::{
    ApiError, GeoboxClient, NewUser, Patch, Secret, User, UserRef, UserRole, UserStatus, UserUpdate,
};

/// Requests in flight at once while reading an entry's users or undoing them: an undo of an
/// import of 50,000 users takes a minute, not ten, and a server is not flooded.
const AT_ONCE: usize = 8;
/// Failures an undo entry's outcome quotes; each user's own outcome is in the entry.
const FAILURES_QUOTED: usize = 3;

/// A step of an undo that did not happen, and the error it ended in.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{step}: {error}")]
pub struct StepFailed {
    /// The step's first line, as the plan shows it.
    pub step: String,
    pub error: ApiError,
}

/// What carrying out an undo did.
#[derive(Debug)]
pub struct Applied {
    action: Action,
    detail: Option<String>,
    pub changes: Vec<UserChange>,
    /// The users the plan left as they were (changed since, or the signed-in admin).
    pub skipped: Vec<UserChange>,
    /// Every step that failed.
    pub failures: Vec<StepFailed>,
    /// Users created again, with the password they got: to show once, never to journal.
    pub new_passwords: Vec<(String, Secret)>,
}

impl Applied {
    /// Whether a step failed because the server could not be reached (rather than saying no).
    pub fn server_unreachable(&self) -> bool {
        self.failures
            .iter()
            .any(|failed| failed.error.is_unreachable())
    }

    /// The journal entry of this undo of `undone`: each user's outcome, the users left out,
    /// and an outcome that counts the failures and quotes the first few.
    pub fn into_entry(self, undone: &Entry, host: &str, tool: Tool) -> Entry {
        let outcome = if self.failures.is_empty() {
            Outcome::Ok
        } else {
            let quoted: Vec<String> = self
                .failures
                .iter()
                .take(FAILURES_QUOTED)
                .map(ToString::to_string)
                .collect();
            let more = self.failures.len().saturating_sub(FAILURES_QUOTED);
            let mut text = format!(
                "{} of {} writes failed: {}",
                self.failures.len(),
                self.changes.len(),
                quoted.join("; ")
            );
            if more > 0 {
                text.push_str(&format!("; and {more} more"));
            }
            Outcome::Error(text)
        };
        let mut entry = Entry::new(host, tool, self.action, outcome);
        entry.changes = self.changes;
        entry.skipped = self.skipped;
        entry.detail = self.detail;
        entry.undoes = Some(undone.id.clone());
        entry
    }
}

/// The entry's users as they are now, a few read at once; `None` for one that no longer
/// exists (and for every user of a delete, who is gone by definition).
pub async fn users_now(
    client: &GeoboxClient,
    entry: &Entry,
) -> Result<Vec<Option<User>>, ApiError> {
    // By index, not by reference: a stream of futures borrowing from their items cannot be
    // sent to another task, which the console's runner does.
    let reads = futures_util::stream::iter(0..entry.changes.len())
        .map(|index| user_now(client, entry, index));
    let mut users = Vec::with_capacity(entry.changes.len());
    let mut in_order = reads.buffered(AT_ONCE);
    while let Some(user) = in_order.next().await {
        users.push(user?);
    }
    Ok(users)
}

async fn user_now(
    client: &GeoboxClient,
    entry: &Entry,
    index: usize,
) -> Result<Option<User>, ApiError> {
    match entry.changes[index].user_id {
        Some(id) if entry.action != Action::Delete => {
            match client.get_user(UserRef::Id(id)).await {
                Ok(user) => Ok(Some(user)),
                Err(ApiError::NotFound { .. }) => Ok(None),
                Err(error) => Err(error),
            }
        }
        _ => Ok(None),
    }
}

fn step_action(step: &UndoStep) -> Action {
    match step {
        UndoStep::Update { .. } => Action::Update,
        UndoStep::Create { .. } => Action::Create,
        UndoStep::Delete { .. } => Action::Delete,
        UndoStep::AddMember { .. } => Action::AddMember,
        UndoStep::RemoveMember { .. } => Action::RemoveMember,
    }
}

/// Carries out every step of a plan, a few at once, each recorded with its own outcome.
pub async fn apply_undo(client: &GeoboxClient, plan: &UndoPlan) -> Applied {
    let left_out = plan
        .left_out
        .iter()
        .map(|left_out| (left_out.user_id, left_out.username.clone()));
    let mut applied = Applied {
        action: match &plan.steps[..] {
            [only] => step_action(only),
            _ => Action::BulkUpdate,
        },
        detail: match &plan.steps[..] {
            [UndoStep::AddMember { member_id, .. } | UndoStep::RemoveMember { member_id, .. }] => {
                Some(member_id.to_string())
            }
            _ => None,
        },
        changes: Vec::with_capacity(plan.steps.len()),
        skipped: plan
            .skipped
            .users()
            .into_iter()
            .chain(left_out)
            .map(|(id, username)| UserChange::new(Some(id), username))
            .collect(),
        failures: Vec::new(),
        new_passwords: Vec::new(),
    };
    let many = plan.steps.len() > 1;
    let mut done = futures_util::stream::iter(0..plan.steps.len())
        .map(|index| apply_step(client, &plan.steps[index]))
        .buffered(AT_ONCE)
        .zip(futures_util::stream::iter(&plan.steps));
    while let Some(((mut change, result, password), step)) = done.next().await {
        if let Err(error) = &result {
            applied.failures.push(StepFailed {
                step: step_headline(step),
                error: error.clone(),
            });
        }
        applied.new_passwords.extend(password);
        if many {
            change.outcome = Some(Outcome::of(&result));
        }
        applied.changes.push(change);
    }
    applied
}

fn step_headline(step: &UndoStep) -> String {
    step.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches(':')
        .to_string()
}

/// One step's write: the user's part for the journal, how it went, and the password of a
/// user created again.
type StepDone = (UserChange, Result<(), ApiError>, Option<(String, Secret)>);

async fn apply_step(client: &GeoboxClient, step: &UndoStep) -> StepDone {
    let (change, result) = match step {
        UndoStep::Update {
            user_id,
            username,
            changes,
        } => {
            let mut before = Values::default();
            let mut after = Values::default();
            for change in changes {
                before.0.insert(change.field, change.from.clone());
                after.0.insert(change.field, change.to.clone());
            }
            let result = client
                .update_user(*user_id, &update_setting(&after))
                .await
                .map(drop);
            let change = UserChange::new(Some(*user_id), username.clone()).values(before, after);
            (change, result)
        }
        UndoStep::Create { fields } => return recreate(client, fields).await,
        UndoStep::Delete { user_id, username } => {
            let result = client.delete_user(*user_id).await;
            (UserChange::new(Some(*user_id), username.clone()), result)
        }
        UndoStep::AddMember { user_id, member_id } => (
            UserChange::new(Some(*user_id), None),
            client.add_member(*user_id, *member_id).await,
        ),
        UndoStep::RemoveMember { user_id, member_id } => (
            UserChange::new(Some(*user_id), None),
            client.remove_member(*user_id, *member_id).await,
        ),
    };
    (change, result, None)
}

/// Creates a deleted user again: the fields it had, a new random password (handed back to
/// be shown once, never journaled), then its plan and expiry, which a create cannot set.
async fn recreate(client: &GeoboxClient, fields: &Values) -> StepDone {
    let text = |field: Field| match fields.get(field) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let username = text(Field::Username);
    let password = new_password();
    let new_user = NewUser {
        username: username.clone(),
        email: text(Field::Email),
        password: Secret::from(password.clone()),
        role: text(Field::Role).parse().unwrap_or(UserRole::Viewer),
        first_name: text(Field::FirstName),
        last_name: text(Field::LastName),
        mobile: text(Field::Mobile),
        status: text(Field::Status).parse().unwrap_or(UserStatus::Pending),
    };
    let created = match client.create_user(&new_user).await {
        Ok(user) => user,
        Err(error) => return (UserChange::new(None, Some(username)), Err(error), None),
    };
    let password = Some((created.username.clone(), Secret::from(password)));
    let mut later = Values::default();
    for field in [Field::PlanId, Field::ExpirationDate] {
        if let Some(value) = fields.get(field).filter(|value| !value.is_null()) {
            later.0.insert(field, value.clone());
        }
    }
    let (user, result) = if later.is_empty() {
        (created, Ok(()))
    } else {
        match client
            .update_user(created.id, &update_setting(&later))
            .await
        {
            Ok(updated) => (updated, Ok(())),
            Err(error) => (created, Err(error)),
        }
    };
    let change = UserChange::new(Some(user.id), Some(user.username.clone()))
        .values(Values::default(), Values::of_user(&user));
    (change, result, password)
}

/// The update that sets these values (`null` clears).
fn update_setting(values: &Values) -> UserUpdate {
    let text = |field: Field| match values.get(field) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Null) => Some(String::new()),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    let patch_text = |field: Field| match values.get(field) {
        None => Patch::Keep,
        Some(Value::Null) => Patch::Clear,
        Some(Value::String(text)) if text.is_empty() => Patch::Clear,
        Some(Value::String(text)) => Patch::Set(text.clone()),
        Some(other) => Patch::Set(other.to_string()),
    };
    UserUpdate {
        username: text(Field::Username),
        email: text(Field::Email),
        first_name: text(Field::FirstName),
        last_name: text(Field::LastName),
        status: text(Field::Status).map(|status| UserStatus::from_wire(&status)),
        role: text(Field::Role).map(|role| UserRole::from_wire(&role)),
        mobile: patch_text(Field::Mobile),
        plan_id: match values.get(Field::PlanId) {
            None => Patch::Keep,
            Some(value) => value.as_i64().map_or(Patch::Clear, Patch::Set),
        },
        expiration_date: patch_text(Field::ExpirationDate),
    }
}

/// A readable random password for a user who gets one from this tool (a re-created user, a lockdown).
pub fn new_password() -> String {
    random_text(
        b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789",
        18,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_undo_on_a_server_that_went_away_fails_each_step_as_unreachable() {
        let client = crate::testing::client_of_a_gone_server();
        let plan = UndoPlan {
            steps: vec![
                UndoStep::Delete {
                    user_id: 7,
                    username: Some("neda".to_string()),
                },
                UndoStep::AddMember {
                    user_id: 7,
                    member_id: 9,
                },
            ],
            ..UndoPlan::default()
        };
        let applied = apply_undo(&client, &plan).await;
        assert_eq!(applied.failures.len(), 2);
        assert!(applied.server_unreachable());
        assert!(
            applied.failures[0]
                .to_string()
                .starts_with(&format!("{}: cannot reach", step_headline(&plan.steps[0]))),
            "{}",
            applied.failures[0]
        );
        let undone = Entry::new("http://h", Tool::Cli, Action::Create, Outcome::Ok);
        let entry = applied.into_entry(&undone, "http://h", Tool::Cli);
        assert!(!entry.outcome.is_ok());
        assert!(
            entry.outcome.to_string().contains("cannot reach"),
            "{}",
            entry.outcome
        );
    }
}
