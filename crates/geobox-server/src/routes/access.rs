//! Who may do what: the role checks every handler makes before touching a user.

use super::answer::load_user;
use super::extract::user_id;
use crate::error::{ServerError, ServerResult};
use crate::state::AppState;
use crate::store::{Principal, UserRow};
use geobox_api::UserRole;

pub fn manages_users(caller: &Principal) -> bool {
    caller.user.role().manages_users()
}

pub fn require_manager(caller: &Principal) -> ServerResult<()> {
    if manages_users(caller) {
        Ok(())
    } else {
        Err(ServerError::forbidden(
            "managing users needs the System Admin or Account Admin role",
        ))
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
    if caller.user.id == target.id {
        return Ok(());
    }
    require_manager(caller)?;
    if target.role() == UserRole::SystemAdmin && caller.user.role() != UserRole::SystemAdmin {
        return Err(ServerError::forbidden(
            "only a System Admin may change a System Admin",
        ));
    }
    Ok(())
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
    if role == Some(&UserRole::SystemAdmin) && caller.user.role() != UserRole::SystemAdmin {
        return Err(ServerError::forbidden(
            "only a System Admin may make someone a System Admin",
        ));
    }
    Ok(())
}
