//! The promises a write keeps whichever way it is made (the console's single change, marked
//! rows, whole view and forms; the CLI's commands, bulk-update and import; `journal undo`):
//!
//! - the signed-in admin never locks themselves out without being told what it costs;
//! - admin rights are never granted without a warning;
//! - a write that names no filter never reaches every user unless every user was asked for.
//!
//! Each promise is one function here, and every path calls it.

use std::fmt;

use geobox_api::{Actor, User, UserRole, UserStatus, UserUpdate};

use crate::views::View;

/// The signed-in user, as far as the rules need them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    pub id: i64,
    pub username: String,
    pub role: UserRole,
}

impl SignedIn {
    /// The signed-in user of a `users/me` answer; `None` when the server did not say the role.
    pub fn of(me: &User) -> Option<SignedIn> {
        Some(SignedIn {
            id: me.id,
            username: me.username.clone(),
            role: me.role.clone()?,
        })
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: self.id,
            role: &self.role,
        }
    }
}

/// What a change would cost the signed-in admin themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelfHarm {
    /// Status to Disabled: signed out at once, and no sign-in works.
    Disable,
    /// Disabled and every session closed.
    LockDown,
    /// A role that may do less.
    Demote { from: UserRole, to: UserRole },
}

impl SelfHarm {
    /// What it costs, in words an admin cannot misread.
    pub fn consequence(&self) -> String {
        match self {
            SelfHarm::Disable | SelfHarm::LockDown => "you would be signed out at once and \
                 could not sign in again, nor undo it: only another admin could enable you"
                .to_string(),
            SelfHarm::Demote { from, to } if from.manages_users() && !to.manages_users() => {
                format!(
                    "as {} you could no longer manage users, nor undo it: only another admin \
                     could make you {} again",
                    a(to),
                    a(from)
                )
            }
            SelfHarm::Demote { from, to } => format!(
                "as {} you would lose what {} may do, and could not undo it: only another \
                 admin could make you {} again",
                a(to),
                a(from),
                a(from)
            ),
        }
    }

    /// What the admin asks for, as a question's title puts it: `disable yourself`, `make
    /// yourself a Viewer`.
    pub fn asked(&self) -> String {
        match self {
            SelfHarm::Disable => "disable yourself".to_string(),
            SelfHarm::LockDown => "lock yourself down".to_string(),
            SelfHarm::Demote { to, .. } => format!("make yourself {}", a(to)),
        }
    }

    /// What the change would do, after "this would": `disable you`, `make you a Viewer`.
    pub fn what(&self) -> String {
        match self {
            SelfHarm::Disable => "disable you".to_string(),
            SelfHarm::LockDown => "lock you down".to_string(),
            SelfHarm::Demote { to, .. } => format!("make you {}", a(to)),
        }
    }
}

/// A role with its article: `an Account Admin`, `a Viewer`.
fn a(role: &UserRole) -> String {
    let name = role.to_string();
    let article = match name.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U') => "an",
        _ => "a",
    };
    format!("{article} {name}")
}

impl fmt::Display for SelfHarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "this would {}: {}", self.what(), self.consequence())
    }
}

/// How much a role may do, to tell a demotion from a promotion.
fn reach(role: &UserRole) -> u8 {
    match role {
        UserRole::SystemAdmin => 4,
        UserRole::AccountAdmin => 3,
        UserRole::Publisher => 2,
        UserRole::Editor => 1,
        UserRole::Viewer | UserRole::Other(_) => 0,
    }
}

/// What setting `status` and `role` on the user `target_id` would cost the signed-in admin:
/// nothing unless the target is themselves.
pub fn self_harm(
    me: &SignedIn,
    target_id: i64,
    status: Option<&UserStatus>,
    role: Option<&UserRole>,
) -> Option<SelfHarm> {
    if target_id != me.id {
        return None;
    }
    if status == Some(&UserStatus::Disabled) {
        return Some(SelfHarm::Disable);
    }
    match role {
        Some(role) if reach(role) < reach(&me.role) => Some(SelfHarm::Demote {
            from: me.role.clone(),
            to: role.clone(),
        }),
        _ => None,
    }
}

/// [`self_harm`] of an update.
pub fn self_harm_of_update(me: &SignedIn, target_id: i64, update: &UserUpdate) -> Option<SelfHarm> {
    self_harm(me, target_id, update.status.as_ref(), update.role.as_ref())
}

/// [`self_harm`] of a lockdown.
pub fn self_harm_of_lockdown(me: &SignedIn, target_id: i64) -> Option<SelfHarm> {
    (target_id == me.id).then_some(SelfHarm::LockDown)
}

/// A target of a change to many: a user as read from the server, or anything else that names
/// one by id and username (the console's marked rows).
pub trait Target {
    fn target_id(&self) -> i64;
    fn target_name(&self) -> &str;
}

impl Target for User {
    fn target_id(&self) -> i64 {
        self.id
    }

    fn target_name(&self) -> &str {
        &self.username
    }
}

/// The targets of a change to many users, with the signed-in admin left out when the change
/// would harm them: a change to many never shuts its own maker out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WithoutSelf<T = User> {
    pub users: Vec<T>,
    /// The signed-in admin, when they were among the targets, and why they were left out.
    pub left_out: Option<(T, SelfHarm)>,
}

impl<T: Target> WithoutSelf<T> {
    /// `users` without the signed-in admin when `harm` says the change would harm them.
    pub fn of(
        users: Vec<T>,
        me: &SignedIn,
        harm: impl Fn(&SignedIn, &T) -> Option<SelfHarm>,
    ) -> WithoutSelf<T> {
        let mut left_out = None;
        let users = users
            .into_iter()
            .filter_map(|user| match harm(me, &user) {
                Some(why) => {
                    left_out = Some((user, why));
                    None
                }
                None => Some(user),
            })
            .collect();
        WithoutSelf { users, left_out }
    }

    /// The line a confirmation shows when the admin was left out.
    pub fn note(&self) -> Option<String> {
        self.left_out.as_ref().map(|(user, why)| {
            format!(
                "{} (you) is left out: the change would {}",
                user.target_name(),
                why.what()
            )
        })
    }
}

/// A role that lets its holder manage users, given to someone who did not have it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminGrant {
    pub role: UserRole,
}

impl AdminGrant {
    /// The warning a confirmation shows, for `who` (a username, or "12 users").
    pub fn warning(&self, who: &str) -> String {
        match self.role {
            UserRole::SystemAdmin => format!(
                "⚠ {who} will be System Admin: full control of every user, System Admins \
                 included, and of who else becomes one"
            ),
            _ => format!(
                "⚠ {who} will be {}: may create, change, disable and delete users",
                self.role
            ),
        }
    }
}

/// Whether changing a role from `before` (unknown for a new user) to `after` grants admin
/// rights: System Admin or Account Admin, to someone who was not already that.
pub fn admin_grant(before: Option<&UserRole>, after: &UserRole) -> Option<AdminGrant> {
    (after.manages_users() && before != Some(after)).then(|| AdminGrant {
        role: after.clone(),
    })
}

/// The `⚠` line of giving `role` to `targets` (each one's role before, `None` when not known,
/// and name): it names the one who gains admin rights, or counts them (`3 users`). `None`
/// when nobody gains any.
pub fn grant_warning<'a>(
    role: &UserRole,
    targets: impl IntoIterator<Item = (Option<&'a UserRole>, &'a str)>,
) -> Option<String> {
    let mut granted = targets
        .into_iter()
        .filter(|(before, _)| admin_grant(*before, role).is_some());
    let (before, first) = granted.next()?;
    let grant = admin_grant(before, role)?;
    let who = match granted.count() {
        0 => first.to_string(),
        others => format!("{} users", others + 1),
    };
    Some(grant.warning(&who))
}

/// A write's filter that names nobody in particular, so it would reach every user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfiltered;

impl fmt::Display for Unfiltered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "no filter given: this would change every user. Name the users with a filter \
             (--q, --search, --status, --role, --view), or pass --all to mean every user",
        )
    }
}

impl std::error::Error for Unfiltered {}

/// Whether `view` narrows the users at all: a status, a role, a non-blank search or CQL, or
/// one user's members. A sort or the fields a search looks in narrow nothing.
pub fn narrows(view: &View) -> bool {
    let given = |text: &Option<String>| text.as_deref().is_some_and(|text| !text.trim().is_empty());
    view.status.is_some()
        || view.role.is_some()
        || given(&view.search)
        || given(&view.q)
        || view.user_id.is_some()
}

/// A write reaches every user only when that was asked for by name (`--all`, or the
/// console's typed count over an unfiltered list).
pub fn require_filter(view: &View, everyone_asked: bool) -> Result<(), Unfiltered> {
    if everyone_asked || narrows(view) {
        Ok(())
    } else {
        Err(Unfiltered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(role: UserRole) -> SignedIn {
        SignedIn {
            id: 7,
            username: "ops".to_string(),
            role,
        }
    }

    fn user(id: i64) -> User {
        serde_json::from_value(serde_json::json!({"id": id, "username": format!("u{id}")}))
            .expect("a user")
    }

    #[test]
    fn disabling_or_demoting_oneself_is_harm_and_others_are_not() {
        let admin = me(UserRole::SystemAdmin);
        let disabled = Some(&UserStatus::Disabled);
        assert_eq!(
            self_harm(&admin, 7, disabled, None),
            Some(SelfHarm::Disable)
        );
        assert_eq!(self_harm(&admin, 8, disabled, None), None);
        assert_eq!(self_harm(&admin, 7, Some(&UserStatus::Active), None), None);
        assert_eq!(
            self_harm(&admin, 7, None, Some(&UserRole::Viewer)),
            Some(SelfHarm::Demote {
                from: UserRole::SystemAdmin,
                to: UserRole::Viewer
            })
        );
        assert_eq!(
            self_harm(&admin, 7, None, Some(&UserRole::SystemAdmin)),
            None
        );
        let account = me(UserRole::AccountAdmin);
        assert_eq!(
            self_harm(&account, 7, None, Some(&UserRole::AccountAdmin)),
            None
        );
        assert!(self_harm(&account, 7, None, Some(&UserRole::Editor)).is_some());
        assert_eq!(self_harm_of_lockdown(&admin, 7), Some(SelfHarm::LockDown));
        assert_eq!(self_harm_of_lockdown(&admin, 8), None);
    }

    #[test]
    fn the_consequence_names_what_is_lost() {
        let demoted = SelfHarm::Demote {
            from: UserRole::AccountAdmin,
            to: UserRole::Viewer,
        };
        assert!(demoted.consequence().contains("no longer manage users"));
        assert!(
            demoted
                .consequence()
                .ends_with("could make you an Account Admin again"),
            "{}",
            demoted.consequence()
        );
        assert_eq!(
            SelfHarm::Demote {
                from: UserRole::SystemAdmin,
                to: UserRole::Editor
            }
            .what(),
            "make you an Editor"
        );
        assert!(SelfHarm::Disable.consequence().contains("signed out"));
        assert!(
            SelfHarm::Disable
                .to_string()
                .starts_with("this would disable you")
        );
    }

    #[test]
    fn many_targets_leave_the_signed_in_admin_out() {
        let admin = me(UserRole::SystemAdmin);
        let harm =
            |me: &SignedIn, user: &User| self_harm(me, user.id, Some(&UserStatus::Disabled), None);
        let split = WithoutSelf::of(vec![user(6), user(7), user(8)], &admin, harm);
        let ids: Vec<i64> = split.users.iter().map(|user| user.id).collect();
        assert_eq!(ids, [6, 8]);
        assert_eq!(split.left_out.as_ref().map(|(user, _)| user.id), Some(7));
        assert_eq!(
            split.note().as_deref(),
            Some("u7 (you) is left out: the change would disable you")
        );
        let harmless = WithoutSelf::of(vec![user(7)], &admin, |_, _| None);
        assert_eq!(harmless.users.len(), 1);
        assert_eq!(harmless.note(), None);
    }

    #[test]
    fn anything_naming_a_user_can_leave_the_admin_out() {
        struct Row(i64, &'static str);
        impl Target for Row {
            fn target_id(&self) -> i64 {
                self.0
            }
            fn target_name(&self) -> &str {
                self.1
            }
        }
        let admin = me(UserRole::AccountAdmin);
        let split = WithoutSelf::of(vec![Row(7, "ops"), Row(9, "neda")], &admin, |me, row| {
            self_harm(me, row.target_id(), None, Some(&UserRole::Viewer))
        });
        assert_eq!(split.users.len(), 1);
        assert_eq!(
            split.note().as_deref(),
            Some("ops (you) is left out: the change would make you a Viewer")
        );
    }

    #[test]
    fn admin_roles_given_anew_are_grants() {
        let system = UserRole::SystemAdmin;
        assert!(admin_grant(Some(&UserRole::Viewer), &system).is_some());
        assert!(admin_grant(None, &UserRole::AccountAdmin).is_some());
        assert_eq!(admin_grant(Some(&system), &system), None);
        assert_eq!(
            admin_grant(Some(&UserRole::Viewer), &UserRole::Editor),
            None
        );
        let warning = AdminGrant { role: system }.warning("neda_b");
        assert!(
            warning.starts_with("⚠ neda_b will be System Admin"),
            "{warning}"
        );
    }

    #[test]
    fn the_grant_warning_names_the_one_who_gains_rights_or_counts_them() {
        let (viewer, account) = (Some(&UserRole::Viewer), Some(&UserRole::AccountAdmin));
        let promote = UserRole::AccountAdmin;
        assert_eq!(
            grant_warning(&promote, [(viewer, "u4")]).as_deref(),
            Some("⚠ u4 will be Account Admin: may create, change, disable and delete users")
        );
        // Already one: only the other gains anything, and is named.
        let one = grant_warning(&promote, [(account, "maryam"), (viewer, "u4")]);
        assert!(one.is_some_and(|warning| warning.starts_with("⚠ u4 will be")));
        // Not known before: a grant is assumed, so the warning errs on the side of showing.
        let many = grant_warning(&UserRole::SystemAdmin, [(viewer, "u4"), (None, "u5")]);
        assert!(many.is_some_and(|warning| warning.starts_with("⚠ 2 users will be System Admin")));
        assert_eq!(grant_warning(&promote, [(account, "maryam")]), None);
        assert_eq!(grant_warning(&UserRole::Editor, [(viewer, "u4")]), None);
    }

    #[test]
    fn a_blank_filter_narrows_nothing() {
        let blank = View {
            q: Some("  ".to_string()),
            search: Some(String::new()),
            order_by: Some("username A".to_string()),
            ..View::default()
        };
        assert!(!narrows(&blank));
        assert_eq!(require_filter(&blank, false), Err(Unfiltered));
        assert_eq!(require_filter(&blank, true), Ok(()));
        let status = View {
            status: Some(UserStatus::Pending),
            ..View::default()
        };
        assert_eq!(require_filter(&status, false), Ok(()));
        let search = View {
            search: Some("ali".to_string()),
            ..View::default()
        };
        assert!(narrows(&search));
    }
}
