//! What the signed-in role may do to the users an action is about, by the rules a Geobox
//! enforces (`geobox_api::Actor`): the keymap leaves out what would only end in a 403, and
//! the actions refuse it with the same words. The server's answer stays the last word.

use super::Model;
use geobox_api::{Actor, Denied};

/// The rule an action needs on each of its users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Change them at all: edit, change the password, close sessions.
    Change,
    /// Change their role, status, plan or expiration: `s`, `r`, `P`, `!`.
    Administer,
    /// Delete them.
    Delete,
}

impl Needs {
    fn check(
        self,
        actor: Actor<'_>,
        id: i64,
        role: Option<&geobox_api::UserRole>,
    ) -> Result<(), Denied> {
        match self {
            Needs::Change => actor.may_change(id, role),
            Needs::Administer => actor.may_administer(id, role),
            Needs::Delete => actor.may_delete(id, role),
        }
    }
}

impl Model {
    /// The users a key acts on: the marked ones when it acts on marks and some are marked,
    /// else the selected one.
    pub fn key_targets(&self, on_marks: bool) -> Vec<i64> {
        if on_marks && !self.users.marked.is_empty() {
            return self.users.marked.iter().copied().collect();
        }
        self.users
            .selected_user()
            .map(|user| user.id)
            .into_iter()
            .collect()
    }

    /// Why the signed-in role may not do `needs` to the users `ids`, in words that name them;
    /// `None` when it may, or when the signed-in role is not known yet (the server decides).
    pub fn denied(&self, needs: Needs, ids: &[i64]) -> Option<String> {
        let me = self.me.loaded()?;
        let actor = Actor {
            id: me.id,
            role: me.role.as_ref()?,
        };
        let mut refused = ids.iter().filter_map(|id| {
            let user = self.users.find(*id).map(|(_, user)| user);
            let role = user.and_then(|user| user.role.as_ref());
            let why = needs.check(actor, *id, role).err()?;
            let name = user.map_or_else(|| format!("user {id}"), |user| user.username.clone());
            Some((name, role.cloned(), why))
        });
        let (name, role, why) = refused.next()?;
        let others = refused.count();
        Some(match (ids.len(), role) {
            (1, Some(role)) => format!("not for {name} ({role}): {why}"),
            (1, None) => format!("not for {name}: {why}"),
            (_, _) => format!(
                "not for {} of the marked users ({name} first): {why}",
                others + 1
            ),
        })
    }
}
