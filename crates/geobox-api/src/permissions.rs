//! Who may do what to whom. A Geobox server enforces these rules; the embedded server enforces
//! them with this code, and the console uses the same code to offer only what will be allowed
//! (the server's refusal stays the last word).
//!
//! - Only a System Admin or an Account Admin manages other users.
//! - Only a System Admin changes a System Admin, or makes someone one.
//! - Everyone may change their own name, email and mobile, and close their own sessions.
//! - Nobody deletes themselves.

use std::fmt;

use crate::types::UserRole;

/// Why a write is refused. Its text is what the embedded server answers with its 403.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// The signed-in role does not manage users.
    NotAManager,
    /// Only a System Admin changes a System Admin.
    SystemAdminsOnly,
    /// Only a System Admin makes someone a System Admin.
    SystemAdminGrant,
    /// Role, status, plan or expiry changed by someone who does not manage users (their own
    /// included).
    PrivilegedFields,
    /// Deleting the signed-in user.
    DeleteSelf,
}

impl Denied {
    pub fn reason(self) -> &'static str {
        match self {
            Denied::NotAManager => "managing users needs the System Admin or Account Admin role",
            Denied::SystemAdminsOnly => "only a System Admin may change a System Admin",
            Denied::SystemAdminGrant => "only a System Admin may make someone a System Admin",
            Denied::PrivilegedFields => {
                "changing role, status, plan or expiration needs the System Admin or Account Admin role"
            }
            Denied::DeleteSelf => "you cannot delete yourself",
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for Denied {}

/// Who is acting: the signed-in user's id and role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor<'a> {
    pub id: i64,
    pub role: &'a UserRole,
}

impl Actor<'_> {
    /// Whether the actor may manage users other than themselves at all.
    pub fn manages_users(&self) -> bool {
        self.role.manages_users()
    }

    /// Whether the actor may change the user `target_id`, whose role is `target_role` (when
    /// known): themselves always; anyone else as a manager, and a System Admin only as one.
    pub fn may_change(&self, target_id: i64, target_role: Option<&UserRole>) -> Result<(), Denied> {
        if self.id == target_id {
            return Ok(());
        }
        if !self.manages_users() {
            return Err(Denied::NotAManager);
        }
        if target_role == Some(&UserRole::SystemAdmin) && *self.role != UserRole::SystemAdmin {
            return Err(Denied::SystemAdminsOnly);
        }
        Ok(())
    }

    /// Whether the actor may give `role` to someone (themselves included).
    pub fn may_grant(&self, role: &UserRole) -> Result<(), Denied> {
        if role.grantable_by(Some(self.role)) {
            Ok(())
        } else {
            Err(Denied::SystemAdminGrant)
        }
    }

    /// Whether the actor may delete the user `target_id`: never themselves, else as
    /// [`may_change`](Actor::may_change).
    pub fn may_delete(&self, target_id: i64, target_role: Option<&UserRole>) -> Result<(), Denied> {
        if self.id == target_id {
            return Err(Denied::DeleteSelf);
        }
        self.may_change(target_id, target_role)
    }

    /// Whether the actor may change a user's role, status, plan or expiry: only a manager
    /// (even for themselves), and a System Admin's only as one.
    pub fn may_administer(
        &self,
        target_id: i64,
        target_role: Option<&UserRole>,
    ) -> Result<(), Denied> {
        if !self.manages_users() {
            return Err(Denied::PrivilegedFields);
        }
        self.may_change(target_id, target_role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: UserRole = UserRole::SystemAdmin;
    const ACCOUNT: UserRole = UserRole::AccountAdmin;
    const VIEWER: UserRole = UserRole::Viewer;

    fn actor(role: &UserRole) -> Actor<'_> {
        Actor { id: 1, role }
    }

    #[test]
    fn everyone_may_change_themselves() {
        for role in UserRole::ALL {
            assert_eq!(actor(role).may_change(1, Some(role)), Ok(()));
        }
    }

    #[test]
    fn only_managers_change_others_and_only_system_admins_change_system_admins() {
        assert_eq!(
            actor(&VIEWER).may_change(2, Some(&VIEWER)),
            Err(Denied::NotAManager)
        );
        assert_eq!(actor(&ACCOUNT).may_change(2, Some(&VIEWER)), Ok(()));
        assert_eq!(actor(&ACCOUNT).may_change(2, Some(&ACCOUNT)), Ok(()));
        assert_eq!(
            actor(&ACCOUNT).may_change(2, Some(&SYSTEM)),
            Err(Denied::SystemAdminsOnly)
        );
        assert_eq!(actor(&SYSTEM).may_change(2, Some(&SYSTEM)), Ok(()));
        // An unknown role is not assumed to be a System Admin: the server has the last word.
        assert_eq!(actor(&ACCOUNT).may_change(2, None), Ok(()));
    }

    #[test]
    fn only_a_system_admin_grants_system_admin() {
        assert_eq!(
            actor(&ACCOUNT).may_grant(&SYSTEM),
            Err(Denied::SystemAdminGrant)
        );
        assert_eq!(actor(&ACCOUNT).may_grant(&ACCOUNT), Ok(()));
        assert_eq!(actor(&SYSTEM).may_grant(&SYSTEM), Ok(()));
    }

    #[test]
    fn nobody_deletes_themselves() {
        assert_eq!(
            actor(&SYSTEM).may_delete(1, Some(&SYSTEM)),
            Err(Denied::DeleteSelf)
        );
        assert_eq!(actor(&SYSTEM).may_delete(2, Some(&SYSTEM)), Ok(()));
        assert_eq!(
            actor(&ACCOUNT).may_delete(2, Some(&SYSTEM)),
            Err(Denied::SystemAdminsOnly)
        );
    }

    #[test]
    fn administering_needs_a_manager_even_for_oneself() {
        assert_eq!(
            actor(&VIEWER).may_administer(1, Some(&VIEWER)),
            Err(Denied::PrivilegedFields)
        );
        assert_eq!(actor(&ACCOUNT).may_administer(1, Some(&ACCOUNT)), Ok(()));
        assert_eq!(
            actor(&ACCOUNT).may_administer(2, Some(&SYSTEM)),
            Err(Denied::SystemAdminsOnly)
        );
    }
}
