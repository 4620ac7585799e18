//! `geobox-users journal undo ENTRY`: find the entry, fetch its users, plan with the shared
//! planner, show old → new, ask, carry it out, and journal the undo itself.

use serde_json::Value;

use super::{Context, UndoArgs, append, open_journal};
use crate::api::{
    ApiError, GeoboxClient, NewUser, Patch, Secret, User, UserRef, UserRole, UserStatus, UserUpdate,
};
use crate::cli::{
    CliError, ConnectionArgs, at_terminal, block_on, confirm, connect, note, print_stdout,
};
use crate::journal::{
    Action, Entry, Field, Lookup, Outcome, Tool, UndoPlan, UndoStep, UserChange, Values, plan_undo,
    random_text, same_host,
};

pub(super) fn undo(args: &UndoArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    if !args.yes && !at_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to undo {} without confirmation: no terminal to ask on; pass --yes",
            args.entry
        )));
    }
    let entry = match open_journal()?
        .find(&args.entry)
        .map_err(|error| CliError::Io(format!("cannot read the journal: {error}")))?
    {
        Lookup::Found(entry) => *entry,
        Lookup::Missing => {
            return Err(CliError::Usage(format!(
                "no journal entry '{}' (see `geobox-users journal`)",
                args.entry
            )));
        }
        Lookup::Ambiguous(ids) => {
            return Err(CliError::Usage(format!(
                "'{}' starts several entries: {}",
                args.entry,
                ids.join(", ")
            )));
        }
    };
    let context = Context::load(connection);
    if !same_host(&context.host, &entry.host) {
        return Err(CliError::Usage(format!(
            "entry {} was made on {}, but this run is connected to {}: pass --host {}",
            entry.id, entry.host, context.host, entry.host
        )));
    }
    let client = connect(connection)?;
    let now = block_on(users_now(&client, &entry))??;
    let plan = plan_undo(&entry, &now, args.force)
        .map_err(|refusal| CliError::Declined(format!("cannot undo {}: {refusal}", entry.id)))?;
    print_stdout(&describe(&entry, &plan))?;
    if !args.yes && !confirm(&format!("Undo {}?", entry.id))? {
        return Err(CliError::Declined(format!(
            "entry {} was not undone",
            entry.id
        )));
    }
    let (changes, failures) = block_on(carry_out(&client, &plan))?;
    let action = match &plan.steps[..] {
        [only] => step_action(only),
        _ => Action::BulkUpdate,
    };
    let outcome = if failures.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error(failures.join("; "))
    };
    let mut undo_entry = Entry::new(&context.host, Tool::Cli, action, outcome.clone());
    undo_entry.profile = context.profile;
    undo_entry.by = context.by;
    undo_entry.changes = changes;
    undo_entry.undoes = Some(entry.id.clone());
    if let [UndoStep::AddMember { member_id, .. } | UndoStep::RemoveMember { member_id, .. }] =
        &plan.steps[..]
    {
        undo_entry.detail = Some(member_id.to_string());
    }
    append(&undo_entry);
    match outcome {
        Outcome::Ok => {
            note(&format!(
                "undid {} (journaled as {})",
                entry.id, undo_entry.id
            ));
            Ok(())
        }
        Outcome::Error(message) => Err(CliError::Io(format!(
            "the undo of {} failed (journaled as {}): {message}",
            entry.id, undo_entry.id
        ))),
    }
}

/// The entry's users as they are now; `None` for one that no longer exists.
async fn users_now(client: &GeoboxClient, entry: &Entry) -> Result<Vec<Option<User>>, CliError> {
    let mut users = Vec::with_capacity(entry.changes.len());
    for change in &entry.changes {
        let user = match change.user_id {
            Some(id) if entry.action != Action::Delete => {
                match client.get_user(UserRef::Id(id)).await {
                    Ok(user) => Some(user),
                    Err(ApiError::NotFound { .. }) => None,
                    Err(error) => return Err(error.into()),
                }
            }
            _ => None,
        };
        users.push(user);
    }
    Ok(users)
}

fn describe(entry: &Entry, plan: &UndoPlan) -> String {
    let mut text = format!(
        "Undo {} ({} by {} at {}):\n",
        entry.id,
        entry.action,
        entry.by.as_deref().unwrap_or("?"),
        entry.time.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for step in &plan.steps {
        text.push_str(&format!("{step}\n"));
    }
    for line in &plan.notes {
        text.push_str(&format!("note: {line}\n"));
    }
    text
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

/// Runs every step, each recorded with its own outcome; the failures, for people.
async fn carry_out(client: &GeoboxClient, plan: &UndoPlan) -> (Vec<UserChange>, Vec<String>) {
    let mut changes = Vec::new();
    let mut failures = Vec::new();
    for step in &plan.steps {
        let (mut change, result) = carry_out_step(client, step).await;
        if let Err(error) = &result {
            failures.push(format!("{}: {error}", step_headline(step)));
        }
        if plan.steps.len() > 1 {
            change.outcome = Some(Outcome::of(&result));
        }
        changes.push(change);
    }
    (changes, failures)
}

fn step_headline(step: &UndoStep) -> String {
    step.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches(':')
        .to_string()
}

async fn carry_out_step(
    client: &GeoboxClient,
    step: &UndoStep,
) -> (UserChange, Result<(), ApiError>) {
    match step {
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
        UndoStep::Create { fields } => recreate(client, fields).await,
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
    }
}

/// Creates a deleted user again: the fields it had, a new random password shown once here
/// (never journaled), then its plan and expiry, which a create cannot set.
async fn recreate(client: &GeoboxClient, fields: &Values) -> (UserChange, Result<(), ApiError>) {
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
        Err(error) => return (UserChange::new(None, Some(username)), Err(error)),
    };
    let _ = print_stdout(&format!(
        "new password of {username} (shown once, not journaled): {password}\n"
    ));
    let mut later = Values::default();
    for field in [Field::PlanId, Field::ExpirationDate] {
        if let Some(value) = fields.get(field).filter(|value| !value.is_null()) {
            later.0.insert(field, value.clone());
        }
    }
    let result = if later.is_empty() {
        Ok(())
    } else {
        client
            .update_user(created.id, &update_setting(&later))
            .await
            .map(drop)
    };
    let change = UserChange::new(Some(created.id), Some(created.username.clone()))
        .values(Values::default(), Values::of_user(&created));
    (change, result)
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

/// A readable random password for a user created again.
fn new_password() -> String {
    random_text(
        b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789",
        18,
    )
}
