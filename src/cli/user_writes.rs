//! The promises of `geobox_ops::safety` on the CLI's writes to users named one by one
//! (`users update`, `users create`), as bulk-update, import and undo keep them: the signed-in
//! admin never shuts themselves out by a slip, and admin rights are never given without a `⚠`
//! line and a yes.

use geobox_api::{GeoboxClient, User, UserRole, UserStatus, UserUpdate};
use geobox_ops::safety::{Target, WithoutSelf, grant_warning, self_harm_of_update};

use super::out::{ask, at_terminal, confirm, note};
use super::{CliError, signed_in};

/// A user about to be changed, as read just before (`None` when it could not be read: the
/// write then says why).
pub struct Before {
    pub id: i64,
    pub user: Option<User>,
    name: String,
}

impl Before {
    pub fn new(id: i64, user: Option<User>) -> Before {
        let name = match &user {
            Some(user) => user.username.clone(),
            None => format!("user {id}"),
        };
        Before { id, user, name }
    }
}

impl Target for Before {
    fn target_id(&self) -> i64 {
        self.id
    }

    fn target_name(&self) -> &str {
        &self.name
    }
}

/// The users `update` is written to, once the rules have had their say:
/// - the signed-in admin named alone, with a change that shuts them out, types their own
///   username at a terminal (no terminal, no `--yes`, can stand in for it); named among others,
///   they are left out and told so;
/// - a role that gives admin rights shows its `⚠` line and asks, unless `--yes`; without a
///   terminal and without `--yes` it is refused.
pub async fn update_targets(
    client: &GeoboxClient,
    targets: Vec<Before>,
    update: &UserUpdate,
    yes: bool,
) -> Result<Vec<Before>, CliError> {
    let targets = without_self(client, targets, update).await?;
    if let Some(role) = &update.role {
        let befores = targets.iter().map(|target| {
            let before = target.user.as_ref().and_then(|user| user.role.as_ref());
            (before, target.name.as_str())
        });
        if let Some(warning) = grant_warning(role, befores) {
            warning_asked(warning, yes)?;
        }
    }
    Ok(targets)
}

/// A new user whose role gives admin rights: its `⚠` line, and a yes (or `--yes`).
pub fn create_asked(username: &str, role: &UserRole, yes: bool) -> Result<(), CliError> {
    match grant_warning(role, [(None, username)]) {
        Some(warning) => warning_asked(warning, yes),
        None => Ok(()),
    }
}

/// An admin grant's `⚠` line, said with `--yes`, else asked about on a terminal.
fn warning_asked(warning: String, yes: bool) -> Result<(), CliError> {
    if yes {
        note(&warning);
        return Ok(());
    }
    if !at_terminal() {
        return Err(CliError::Usage(format!(
            "{warning}\nrefusing to give admin rights without confirmation: no terminal to ask \
             on; pass --yes"
        )));
    }
    if confirm(&format!("{warning}\nGo ahead?"))? {
        Ok(())
    } else {
        Err(CliError::Declined("nothing was changed".to_string()))
    }
}

/// `targets` without the signed-in admin when the update would shut them out, or with them
/// when they typed their own username. Who is signed in is asked only when the update could
/// harm them, and the check fails closed when the server does not say their role.
async fn without_self(
    client: &GeoboxClient,
    targets: Vec<Before>,
    update: &UserUpdate,
) -> Result<Vec<Before>, CliError> {
    if update.status != Some(UserStatus::Disabled) && update.role.is_none() {
        return Ok(targets);
    }
    let me = signed_in(
        client,
        "this change cannot be made sure not to shut you out; nothing was changed",
    )
    .await?;
    let alone = targets.len() == 1;
    let split = WithoutSelf::of(targets, &me, |me, target| {
        self_harm_of_update(me, target.id, update)
    });
    let left_out = split.note();
    let Some((own, harm)) = split.left_out else {
        return Ok(split.users);
    };
    if !alone {
        if let Some(left_out) = left_out {
            note(&format!(
                "{left_out}; change your own account alone to do it"
            ));
        }
        return Ok(split.users);
    }
    if !at_terminal() {
        return Err(CliError::Usage(format!(
            "refusing: {harm}. To do it anyway, run it at a terminal and type your username \
             when asked (--yes does not stand in for that)"
        )));
    }
    let typed = ask(&format!(
        "⚠ {harm}.\nType your username ({}) to go ahead: ",
        me.username
    ))?;
    if typed == me.username {
        Ok(vec![own])
    } else {
        Err(CliError::Declined(
            "your username was not typed: nothing was changed".to_string(),
        ))
    }
}
