//! The promises of `geobox_ops::safety` on the console's paths: what a change would cost the
//! signed-in admin (left out of many targets, asked about when alone), and the warning an
//! admin grant carries. The rules themselves are the shared ones; this file only asks them
//! about the console's own kinds of change.

use crate::console::model::{Model, Needs};
use crate::console::msg::QuickChange;
use geobox_api::{User, UserRole, UserStatus};
use geobox_ops::bulk::Change;
use geobox_ops::safety::{SelfHarm, SignedIn, self_harm, self_harm_of_lockdown};

/// What a change to one's own account is told, when it costs nothing the rules call harm.
pub(super) const OWN_ACCOUNT: &str =
    "⚠ This is the account you are signed in with: the change applies to you.";

/// The signed-in admin, when who they are and their role are known: without both, a change
/// could not tell whether it shuts them out, so it is refused and the banner says why.
pub(super) fn signed_in_or_say(model: &mut Model, what: &str) -> Option<SignedIn> {
    let signed_in = model.signed_in();
    if signed_in.is_none() {
        model.fail(format!(
            "{what}: who is signed in is not known yet, so the console cannot tell whether it \
             would shut you out (R reloads)"
        ));
    }
    signed_in
}

/// Refuses an action the rules forbid the signed-in role on its users, saying why on the
/// banner (`Setting the status is not for maryam (System Admin): only a System Admin may
/// change a System Admin`). The keymap already leaves such keys out; this holds whichever
/// way the action was reached (⏎ in an offer, a remapped key).
pub(super) fn refused(model: &mut Model, what: &str, needs: Needs, ids: &[i64]) -> bool {
    match model.denied(needs, ids) {
        Some(why) => {
            model.fail(format!("{what} is {why}"));
            true
        }
        None => false,
    }
}

/// The status and the role a quick change sets.
fn parts(change: &QuickChange) -> (Option<&UserStatus>, Option<&UserRole>) {
    match change {
        QuickChange::Status(status) => (Some(status), None),
        QuickChange::Role(role) => (None, Some(role)),
    }
}

/// What setting `change` on the user `target_id` would cost the signed-in admin.
pub(super) fn harm_of_quick(
    me: &SignedIn,
    target_id: i64,
    change: &QuickChange,
) -> Option<SelfHarm> {
    let (status, role) = parts(change);
    self_harm(me, target_id, status, role)
}

/// What a whole-view change would cost the signed-in admin, were they among its users.
pub(super) fn harm_of_change(me: &SignedIn, user: &User, change: &Change) -> Option<SelfHarm> {
    match change {
        Change::Status(status) => self_harm(me, user.id, Some(status), None),
        Change::Role(role) => self_harm(me, user.id, None, Some(role)),
        Change::Lockdown => self_harm_of_lockdown(me, user.id),
        Change::RenewPlan => None,
    }
}

/// The current role of a loaded user (`None` when the row is not in memory: a grant is then
/// assumed, so the warning errs on the side of showing).
pub(super) fn role_of(model: &Model, user_id: i64) -> Option<&UserRole> {
    model
        .users
        .find(user_id)
        .and_then(|(_, user)| user.role.as_ref())
}
