//! `geobox-users logout [--all]`: closes the server session of a cached sign-in and removes
//! its token from the cache, so the next run signs in again.

use clap::Args;

use super::{CliError, ConnectionArgs, note};
use geobox_api::{ApiError, Auth, GeoboxClient, UserRef, api_base_url};
use geobox_ops::config::{Config, Credentials};
use geobox_ops::token_cache::{CachedToken, TokenFile, all_in, remove_quietly, tokens_dir};

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Every cached sign-in, of every host and username, not only the configured one.
    #[arg(long)]
    pub all: bool,
}

pub async fn run(args: &LogoutArgs, connection: &ConnectionArgs) -> Result<(), CliError> {
    let dir = tokens_dir().ok_or_else(|| {
        CliError::Io(format!(
            "no cache directory for tokens: set {}",
            geobox_ops::paths::DATA_DIR_VAR
        ))
    })?;
    let cached = if args.all {
        all_in(&dir)
    } else {
        let config = Config::load(&connection.overrides())?;
        let Credentials::Password { username, .. } = &config.credentials else {
            note("nothing to log out: only a username + password sign-in keeps a token");
            return Ok(());
        };
        let host = api_base_url(&config.host)?;
        let file = TokenFile::in_dir(&dir, host.as_str(), username);
        match file.read() {
            Some(token) => vec![(file.path().to_path_buf(), token)],
            None => Vec::new(),
        }
    };
    if cached.is_empty() {
        note("no cached sign-in: nothing to log out");
        return Ok(());
    }
    let timeout = connection
        .timeout
        .and_then(|secs| geobox_ops::config::timeout_from_secs(secs).ok())
        .unwrap_or(geobox_api::DEFAULT_TIMEOUT);
    let mut failures = 0;
    for (path, token) in cached {
        let who = format!(
            "{} on {}",
            token.username,
            geobox_api::redact_host(&token.host)
        );
        let closed = close_own_session(&token, timeout).await;
        match &closed {
            Ok(Closed::Session) => note(&format!("{who}: server session closed")),
            Ok(Closed::AlreadyGone) => {
                note(&format!("{who}: the server session had already ended"))
            }
            Ok(Closed::NotMarked) => note(&format!(
                "{who}: the server does not say which session is this one, so it stays open \
                 until it expires"
            )),
            Err(error) => {
                failures += 1;
                note(&format!(
                    "{who}: could not close the server session: {error}"
                ));
            }
        }
        remove_quietly(&path).map_err(|error| {
            CliError::Io(format!(
                "cannot remove the cached token {}: {error}",
                path.display()
            ))
        })?;
        note(&format!("{who}: cached token removed"));
    }
    if failures > 0 {
        return Err(CliError::Io(format!(
            "{failures} server session(s) could not be closed (their cached tokens are removed)"
        )));
    }
    Ok(())
}

enum Closed {
    Session,
    AlreadyGone,
    NotMarked,
}

/// Signs the cached token's own session out. The client is built on the token alone: a 401
/// means the session is already over, never a reason to sign in again.
async fn close_own_session(
    cached: &CachedToken,
    timeout: std::time::Duration,
) -> Result<Closed, ApiError> {
    let client = GeoboxClient::new(
        &cached.host,
        Auth::AccessToken(cached.token.clone()),
        timeout,
    )?;
    let closing = async {
        let me = client.user_id(UserRef::Me).await?;
        let sessions = client.list_sessions(UserRef::Id(me)).await?;
        let Some(own) = sessions
            .iter()
            .find(|session| session.current == Some(true))
        else {
            return Ok(Closed::NotMarked);
        };
        client.close_session(me, &own.uuid).await?;
        Ok(Closed::Session)
    };
    match closing.await {
        Err(ApiError::Unauthorized { .. }) => Ok(Closed::AlreadyGone),
        other => other,
    }
}
