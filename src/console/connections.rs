//! How the command task reaches each deployment: the one it talks to now, the clients signed
//! in so far (coming back to a deployment signs in again only if its token was refused), and
//! how to sign in to the others. It decides nothing: `update` says which deployment to sign in
//! to and when to use it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::future::BoxFuture;

use super::msg::{Arrived, FoundIn};
use geobox_api::{ApiError, Auth, GeoboxClient, Secret, UserRef};
use geobox_ops::config::Config;
use geobox_ops::find::{self, Target};
use geobox_ops::journal::Journal;

/// Starts the built-in demo when it is chosen (the binary has it only with the `demo`
/// feature, so the console asks through this).
pub trait DemoLauncher: Send + Sync {
    /// Starts the demo server (once; later calls find it running) and says where it runs and
    /// how its admin signs in.
    fn launch(&self) -> BoxFuture<'_, Result<(String, Auth), String>>;
}

/// How to reach one deployment.
#[derive(Clone)]
pub enum Reach {
    /// Signed in already: the deployment the console started on.
    Client(Arc<GeoboxClient>),
    /// A profile of the config file: signed in when chosen, with a password typed when it
    /// names none.
    Profile(Box<Config>),
    /// The built-in demo, started when chosen.
    Demo(Arc<dyn DemoLauncher>),
}

struct Inner {
    current: Arc<GeoboxClient>,
    /// Each deployment's journal where it is not the one the console started with (a
    /// profile's own team journal, or the demo's on this machine).
    journals: HashMap<String, Journal>,
    order: Vec<String>,
    reach: HashMap<String, Reach>,
    signed_in: HashMap<String, Arc<GeoboxClient>>,
}

/// The deployments the command task can reach; cheap to clone (one shared state).
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("Connections")
            .field("deployments", &inner.order)
            .field("signed_in", &inner.signed_in.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Connections {
    /// Talking to `client`, the deployment `name` the console starts on.
    pub fn new(name: &str, client: Arc<GeoboxClient>) -> Connections {
        let inner = Inner {
            current: Arc::clone(&client),
            journals: HashMap::new(),
            order: vec![name.to_string()],
            reach: HashMap::from([(name.to_string(), Reach::Client(Arc::clone(&client)))]),
            signed_in: HashMap::from([(name.to_string(), client)]),
        };
        Connections {
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    /// Another deployment that can be chosen.
    pub fn with(self, name: &str, reach: Reach) -> Connections {
        {
            let mut inner = self.lock();
            if !inner.reach.contains_key(name) {
                inner.order.push(name.to_string());
            }
            inner.reach.insert(name.to_string(), reach);
        }
        self
    }

    /// `name` keeps its journal in `journal`, not in the one the console started with.
    pub fn with_journal(self, name: &str, journal: Journal) -> Connections {
        self.lock().journals.insert(name.to_string(), journal);
        self
    }

    /// The journal of `name`: its own, or `None` for the one the console started with.
    pub fn journal_of(&self, name: &str) -> Option<Journal> {
        self.lock().journals.get(name).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client requests go through now.
    pub fn current(&self) -> Arc<GeoboxClient> {
        Arc::clone(&self.lock().current)
    }

    /// From now on, requests go to `name`, signed in to before; `false` if it was not.
    pub fn use_deployment(&self, name: &str) -> bool {
        let mut inner = self.lock();
        match inner.signed_in.get(name).cloned() {
            Some(client) => {
                inner.current = client;
                true
            }
            None => false,
        }
    }

    /// Signs in to `name` (again, if it was before) and reads who is signed in, so a wrong
    /// password is said at once; the client is kept for [`Connections::use_deployment`].
    pub async fn sign_in(&self, name: &str, password: Option<Secret>) -> Result<Arrived, ApiError> {
        let (known, reach) = {
            let inner = self.lock();
            (
                inner.signed_in.get(name).cloned(),
                inner.reach.get(name).cloned(),
            )
        };
        let client = match (known, reach, password) {
            // A password typed again replaces the client that had one (it may have changed).
            (Some(client), _, None) => client,
            (_, Some(Reach::Client(client)), _) => client,
            (_, Some(Reach::Profile(config)), password) => {
                Arc::new(profile_client(&config, password)?)
            }
            (_, Some(Reach::Demo(launcher)), _) => {
                let (base_url, auth) = launcher.launch().await.map_err(ApiError::InvalidInput)?;
                Arc::new(GeoboxClient::new(
                    &base_url,
                    auth,
                    geobox_api::DEFAULT_TIMEOUT,
                )?)
            }
            (Some(client), None, Some(_)) => client,
            (None, None, _) => {
                return Err(ApiError::InvalidInput(format!(
                    "no deployment named '{name}'"
                )));
            }
        };
        client.login().await?;
        let me = client.get_user(UserRef::Me).await?;
        let api_base = client.base_url().to_string();
        self.lock().signed_in.insert(name.to_string(), client);
        Ok(Arrived { me, api_base })
    }

    /// Looks for `term` on every deployment that can be reached without asking anything:
    /// those signed in to, and profiles that name their secret. The others are reported as
    /// not searched, in their place.
    pub async fn find(&self, term: &str, limit: u64) -> Vec<FoundIn> {
        let mut targets = Vec::new();
        let mut skipped = Vec::new();
        {
            let inner = self.lock();
            for name in &inner.order {
                let reached = match (inner.signed_in.get(name), inner.reach.get(name)) {
                    (Some(client), _) => {
                        Ok((Arc::clone(client), client_timeout(inner.reach.get(name))))
                    }
                    (None, Some(Reach::Profile(config))) => profile_client(config, None)
                        .map(|client| (Arc::new(client), config.timeout))
                        .map_err(|_| {
                            "not searched: it asks for a password; choose it first".to_string()
                        }),
                    (None, Some(Reach::Demo(_))) => {
                        Err("not searched: the demo starts when chosen".to_string())
                    }
                    (None, _) => Err("not searched: not signed in".to_string()),
                };
                match reached {
                    Ok((client, timeout)) => targets.push(Target {
                        deployment: name.clone(),
                        client,
                        timeout,
                    }),
                    Err(why) => skipped.push((name.clone(), why)),
                }
            }
        }
        let found = find::find_users(&targets, term, limit).await;
        let mut answers: Vec<FoundIn> = found
            .iter()
            .map(|found| FoundIn {
                deployment: found.deployment.clone(),
                result: found.users(),
            })
            .collect();
        answers.extend(skipped.into_iter().map(|(deployment, why)| FoundIn {
            deployment,
            result: Err(ApiError::InvalidInput(why)),
        }));
        let order = self.lock().order.clone();
        answers.sort_by_key(|found| order.iter().position(|name| *name == found.deployment));
        answers
    }
}

/// How long a search of this deployment may take: its profile's timeout, else the default.
fn client_timeout(reach: Option<&Reach>) -> std::time::Duration {
    match reach {
        Some(Reach::Profile(config)) => config.timeout,
        _ => geobox_api::DEFAULT_TIMEOUT,
    }
}

/// A client for a profile, with `password` when the profile names none; refused when it
/// needs one and none was typed.
fn profile_client(config: &Config, password: Option<Secret>) -> Result<GeoboxClient, ApiError> {
    let auth = config
        .auth(|_| Ok(password))
        .map_err(|error| ApiError::InvalidInput(error.to_string()))?;
    GeoboxClient::new(&config.host, auth, config.timeout)
}
