//! Renewing a plan, as every path does it (the console's `P`, whole-view `P`, `users
//! renew-plan`, `bulk-update --renew-plan`): the renewal answers with no body, so the user is
//! read before and after it, and the journal records the expiration date it replaced. Undoing
//! the renewal puts that date back.

use super::entry::{Field, UserChange, Values};
use geobox_api::{ApiError, GeoboxClient, User, UserRef};

/// What a renewal did.
#[derive(Clone, Debug)]
pub struct Renewal {
    /// The user's part for the journal: the expiration date before and after.
    pub change: UserChange,
    /// Whether the plan was renewed.
    pub result: Result<(), ApiError>,
    /// The user as read after the renewal; `None` when it failed, or that read did.
    pub after: Option<User>,
}

/// Renews `user_id`'s plan, reading the user before and after.
pub async fn renew_plan(client: &GeoboxClient, user_id: i64) -> Renewal {
    let failed = |change: UserChange, error: ApiError| Renewal {
        change,
        result: Err(error),
        after: None,
    };
    // Not renewed without the date before: a renewal the journal cannot undo is not made.
    let before = match client.get_user(UserRef::Id(user_id)).await {
        Ok(user) => user,
        Err(error) => return failed(UserChange::new(Some(user_id), None), error),
    };
    let change = UserChange::new(Some(user_id), Some(before.username.clone()));
    if let Err(error) = client.renew_plan(user_id).await {
        return failed(change, error);
    }
    match client.get_user(UserRef::Id(user_id)).await {
        Ok(after) => Renewal {
            change: change.values(expiry_of(&before), expiry_of(&after)),
            result: Ok(()),
            after: Some(after),
        },
        // Renewed, but the new date is unknown: the old one is kept, and nothing to undo to.
        Err(_) => Renewal {
            change: UserChange {
                before: expiry_of(&before),
                ..change
            },
            result: Ok(()),
            after: None,
        },
    }
}

fn expiry_of(user: &User) -> Values {
    Values(
        [(Field::ExpirationDate, Field::ExpirationDate.read(user))]
            .into_iter()
            .collect(),
    )
}
