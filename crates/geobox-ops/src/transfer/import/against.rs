//! An import checked against the server before anything is written: who exists already (by
//! username, and by email, which is unique too), which plans there are, and what the
//! signed-in admin may do. Whatever the server would refuse is found here, so an import is
//! never half applied.

use futures_util::StreamExt;

use super::read::quoted;
use super::{Plan, Row, RowError, differing_fields};
use crate::bulk::CONCURRENCY;
use crate::safety::{SignedIn, self_harm_of_update};
use geobox_api::{
    ApiError, GeoboxClient, Plan as ServerPlan, PlanQuery, User, UserQuery, UserRef, cql_escape,
};

/// Plans asked for at once: more than any deployment has.
const PLANS_LIMIT: u64 = 1000;

/// Why an import cannot go ahead.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The server could not be asked.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The signed-in user may not create or change users, or did not say their role.
    #[error("{0}")]
    NotAllowed(String),
    /// Rows the server would refuse, each named.
    #[error("{} problems", .0.len())]
    Rows(Vec<RowError>),
}

/// What the server knows that an import's rows are checked against.
#[derive(Clone, Debug)]
pub struct Known {
    pub me: SignedIn,
    pub plans: Vec<ServerPlan>,
    pub update_existing: bool,
}

/// Asks the server who is signed in, which plans there are and who exists (one request per
/// row, a few at a time), and decides what each row does; every row the server would refuse
/// is an error, and then nothing is planned.
pub async fn plan(
    client: &GeoboxClient,
    rows: Vec<Row>,
    update_existing: bool,
) -> Result<Vec<Plan>, PlanError> {
    let me = client.get_user(UserRef::Me).await?;
    let me = SignedIn::of(&me).ok_or_else(|| {
        PlanError::NotAllowed(
            "the server did not say the signed-in user's role, so what they may import cannot \
             be checked"
                .to_string(),
        )
    })?;
    if !me.role.manages_users() {
        return Err(PlanError::NotAllowed(format!(
            "{} is a {}: {}",
            me.username,
            me.role,
            geobox_api::Denied::NotAManager
        )));
    }
    let plans = client
        .list_plans(&PlanQuery {
            limit: PLANS_LIMIT,
            ..PlanQuery::new()
        })
        .await?;
    let known = Known {
        me,
        plans,
        update_existing,
    };
    let batches = batches(rows);
    let found: Vec<Result<Vec<Found>, ApiError>> = futures_util::stream::iter(batches)
        .map(|batch| who_has(client, batch))
        .buffered(LOOKUPS_AT_ONCE)
        .collect()
        .await;
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for batch in found {
        for (row, users) in batch? {
            match decide(&known, row, &users) {
                Ok(plan) => plans.push(plan),
                Err(errors) => problems.extend(errors),
            }
        }
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(PlanError::Rows(problems))
    }
}

/// A row and the users that have its username or its email.
type Found = (Row, Vec<User>);

/// Rows looked up together: few enough conditions for a server's CQL limits (100), and a
/// URL short enough for the proxies in front of a server (8 KiB is a common limit).
const BATCH_ROWS: usize = 40;
const BATCH_EMAIL_CHARS: usize = 2_000;
/// Batches looked up at once.
const LOOKUPS_AT_ONCE: usize = CONCURRENCY / 2;

fn batches(rows: Vec<Row>) -> Vec<Vec<Row>> {
    let mut batches: Vec<Vec<Row>> = Vec::new();
    let mut chars = 0;
    for row in rows {
        let full = batches.last().is_none_or(|batch| {
            batch.len() >= BATCH_ROWS || chars + row.email.len() > BATCH_EMAIL_CHARS
        });
        if full {
            batches.push(Vec::new());
            chars = 0;
        }
        chars += row.email.len();
        if let Some(batch) = batches.last_mut() {
            batch.push(row);
        }
    }
    batches
}

/// Each row of a batch with the users that have its username or its email (both compared
/// without regard to ASCII case, as the server compares them): two requests for the batch,
/// each answered from an index (a username or an email of a row, OR-ed in one filter, would
/// have the server read every user).
async fn who_has(client: &GeoboxClient, batch: Vec<Row>) -> Result<Vec<Found>, ApiError> {
    let usernames: Vec<String> = batch
        .iter()
        .map(|row| format!("'{}'", cql_escape(&row.username)))
        .collect();
    let emails: Vec<String> = batch
        .iter()
        .map(|row| format!("email ILIKE '{}'", cql_escape(&like_literal(&row.email))))
        .collect();
    let mut found = Vec::new();
    for q in [
        format!("username IN ({})", usernames.join(", ")),
        emails.join(" OR "),
    ] {
        // A username or an email belongs to one user: a page holds every match.
        let query = UserQuery::new().q(q).limit(crate::transfer::PAGE_SIZE);
        found.extend(client.list_users(&query).await?);
    }
    Ok(batch
        .into_iter()
        .map(|row| {
            let users = found
                .iter()
                .filter(|user| {
                    user.username.eq_ignore_ascii_case(&row.username)
                        || user
                            .email
                            .as_deref()
                            .is_some_and(|email| email.eq_ignore_ascii_case(&row.email))
                })
                .cloned()
                .collect();
            (row, users)
        })
        .collect())
}

/// `text` as a LIKE pattern that matches only itself.
fn like_literal(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern
}

/// What one row does, given the users that have its username or email: every reason the
/// server would refuse it, or its plan.
pub fn decide(known: &Known, mut row: Row, found: &[User]) -> Result<Plan, Vec<RowError>> {
    let mut errors = Vec::new();
    let line = row.line;
    let mut fail = |field: &str, message: String| {
        errors.push(RowError::new(line, field, message));
    };
    if let Some(problem) = resolve_plan(&known.plans, &mut row) {
        fail(problem.0, problem.1);
    }
    let existing = found
        .iter()
        .find(|user| user.username.eq_ignore_ascii_case(&row.username));
    let email_owner = found.iter().find(|user| {
        user.email
            .as_deref()
            .is_some_and(|email| email.eq_ignore_ascii_case(&row.email))
            && existing.is_none_or(|existing| existing.id != user.id)
    });
    let actor = known.me.actor();
    let plan = match existing {
        None => {
            if let Some(owner) = email_owner {
                fail("email", email_taken(&row.email, owner));
            }
            let role = row.role.clone().unwrap_or(super::DEFAULT_ROLE);
            if let Err(denied) = actor.may_grant(&role) {
                fail("role", denied.to_string());
            }
            Plan::Create(row)
        }
        Some(user) => {
            let update = differing_fields(&row, user);
            let user = Box::new(user.clone());
            if !known.update_existing || update.is_empty() {
                Plan::Skip { row, user }
            } else if let Some(harm) = self_harm_of_update(&known.me, user.id, &update) {
                Plan::LeftOut { row, user, harm }
            } else {
                if let Some(owner) = email_owner.filter(|_| update.email.is_some()) {
                    fail("email", email_taken(&row.email, owner));
                }
                let privileged = update.role.is_some()
                    || update.status.is_some()
                    || !update.plan_id.is_keep()
                    || !update.expiration_date.is_keep();
                let allowed = if privileged {
                    actor.may_administer(user.id, user.role.as_ref())
                } else {
                    actor.may_change(user.id, user.role.as_ref())
                };
                if let Err(denied) = allowed {
                    fail("row", format!("{} ({}): {denied}", user.username, user.id));
                }
                if let Some(Err(denied)) = update.role.as_ref().map(|role| actor.may_grant(role)) {
                    fail("role", denied.to_string());
                }
                let update = Box::new(update);
                Plan::Update { row, user, update }
            }
        }
    };
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn email_taken(email: &str, owner: &User) -> String {
    format!(
        "{} is already the email of {} ({})",
        quoted(email),
        crate::clean::clean(&owner.username),
        owner.id
    )
}

/// Checks the row's plan id against the server's plans, or finds the id of the plan the row
/// names (by name or display name, in any case) when it gives no id.
fn resolve_plan(plans: &[ServerPlan], row: &mut Row) -> Option<(&'static str, String)> {
    let known = || {
        let names: Vec<String> = plans
            .iter()
            .map(|plan| {
                let name = plan.display_name.as_deref().or(plan.name.as_deref());
                format!("{} {}", plan.id, name.unwrap_or_default())
                    .trim()
                    .to_string()
            })
            .collect();
        crate::clean::clean(&names.join(", ")).into_string()
    };
    if let Some(id) = row.plan_id {
        return (!plans.iter().any(|plan| plan.id == id)).then(|| {
            (
                "plan_id",
                format!("plan {id} does not exist (plans: {})", known()),
            )
        });
    }
    let name = row.plan_name.as_deref()?;
    let named =
        |text: Option<&str>| text.is_some_and(|text| text.trim().eq_ignore_ascii_case(name));
    match plans.iter().find(|plan| {
        named(plan.display_name.as_deref())
            || named(plan.name.as_deref())
            || plan.id.to_string() == name
    }) {
        Some(plan) => {
            row.plan_id = Some(plan.id);
            None
        }
        None => Some((
            "plan",
            format!("no plan is named {} (plans: {})", quoted(name), known()),
        )),
    }
}

#[cfg(test)]
#[path = "against_tests.rs"]
mod tests;
