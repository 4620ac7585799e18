//! Who may do what: the role checks every handler makes before touching a user.

use super::answer::load_user;
use super::extract::user_id;
use crate::error::{ServerError, ServerResult};
use crate::state::AppState;
use crate::store::{Principal, UserRow};
use geobox_api::{Actor, Denied, UserRole};

/// The caller as the shared rules see them.
fn actor(caller: &Principal) -> (i64, UserRole) {
    (caller.user.id, caller.user.role())
}

fn refused(denied: Denied) -> ServerError {
    ServerError::forbidden(denied.reason())
}

pub fn manages_users(caller: &Principal) -> bool {
    caller.user.role().manages_users()
}

pub fn require_manager(caller: &Principal) -> ServerResult<()> {
    if manages_users(caller) {
        Ok(())
    } else {
        Err(refused(Denied::NotAManager))
    }
}

/// Reading a user's own things is always allowed; anyone else's needs a manager.
pub fn require_self_or_manager(caller: &Principal, id: i64) -> ServerResult<()> {
    if caller.user.id == id {
        Ok(())
    } else {
        require_manager(caller)
    }
}

/// Changing someone else: a manager, and only a System Admin touches a System Admin.
pub fn require_may_change(caller: &Principal, target: &UserRow) -> ServerResult<()> {
    let (id, role) = actor(caller);
    Actor { id, role: &role }
        .may_change(target.id, Some(&target.role()))
        .map_err(refused)
}

/// Deleting someone: never oneself, else as [`require_may_change`].
pub fn require_may_delete(caller: &Principal, target: &UserRow) -> ServerResult<()> {
    let (id, role) = actor(caller);
    Actor { id, role: &role }
        .may_delete(target.id, Some(&target.role()))
        .map_err(refused)
}

/// Role, status, plan and expiry are changed by managers only, their own included.
pub fn require_may_administer(caller: &Principal, target_id: i64) -> ServerResult<()> {
    if manages_users(caller) {
        Ok(())
    } else {
        let (id, role) = actor(caller);
        Actor { id, role: &role }
            .may_administer(target_id, None)
            .map_err(refused)
    }
}

/// The user `{user_id}` names, when the caller may read it: their own, or anyone's for a
/// manager; 404 when absent.
pub async fn readable_user(
    state: &AppState,
    caller: &Principal,
    segment: &str,
) -> ServerResult<UserRow> {
    let id = user_id(segment)?;
    require_self_or_manager(caller, id)?;
    load_user(&state.store, id).await
}

/// [`readable_user`], when the caller may also change it (see [`require_may_change`]).
pub async fn changeable_user(
    state: &AppState,
    caller: &Principal,
    segment: &str,
) -> ServerResult<UserRow> {
    let target = readable_user(state, caller, segment).await?;
    require_may_change(caller, &target)?;
    Ok(target)
}

pub fn only_system_admin_grants(caller: &Principal, role: Option<&UserRole>) -> ServerResult<()> {
    let Some(role) = role else { return Ok(()) };
    let (id, own) = actor(caller);
    Actor { id, role: &own }.may_grant(role).map_err(refused)
}
