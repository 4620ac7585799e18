//! One search across deployments: the same term is looked for on every deployment at once,
//! each within its own timeout, and every deployment's answer (its users, or why it failed) is
//! kept apart. The CLI's `users find` and the console's deployment picker both search here.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;

use geobox_api::{ApiError, GeoboxClient, UserQuery};

/// Users a search asks each deployment for, unless told otherwise.
pub const DEFAULT_LIMIT: u64 = 50;

/// A deployment to search: its name (a profile's, or `demo`), a client for it, and how long
/// it may take (its own timeout, signing in included).
#[derive(Clone, Debug)]
pub struct Target {
    pub deployment: String,
    pub client: Arc<GeoboxClient>,
    pub timeout: Duration,
}

/// What one deployment answered: the users it matched, as it sent them, or why not.
#[derive(Clone, Debug)]
pub struct Found {
    pub deployment: String,
    pub result: Result<Vec<Value>, ApiError>,
}

impl Found {
    /// The users matched, read into the client's type: a user that cannot be read makes the
    /// deployment's answer a failure rather than being left out unseen.
    pub fn users(&self) -> Result<Vec<geobox_api::User>, ApiError> {
        let values = self.result.as_ref().map_err(Clone::clone)?;
        values
            .iter()
            .map(|value| {
                serde_json::from_value(value.clone()).map_err(|error| ApiError::Decode {
                    status: 200,
                    reason: format!("a user of {} cannot be read: {error}", self.deployment),
                    body_start: String::new(),
                })
            })
            .collect()
    }
}

/// The query a search sends: the same keyword search as the console's `/`, by id.
pub fn query(term: &str, limit: u64) -> UserQuery {
    UserQuery::new()
        .search(term.trim())
        .order_by("id A")
        .skip(0)
        .limit(limit)
}

/// Looks for `term` on every target at once. Each answers within its own timeout, and a
/// deployment that fails (down, refused, slow) is reported in its place while the others
/// still answer. The answers come in the targets' order.
pub async fn find_users(targets: &[Target], term: &str, limit: u64) -> Vec<Found> {
    let query = query(term, limit);
    let searches = targets.iter().map(|target| {
        let query = query.clone();
        async move {
            let result =
                match tokio::time::timeout(target.timeout, target.client.list_users_raw(&query))
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(ApiError::Timeout {
                        after: target.timeout,
                    }),
                };
            Found {
                deployment: target.deployment.clone(),
                result,
            }
        }
    });
    join_all(searches).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_is_the_consoles_keyword_search_by_id() {
        let params = query("  sara ", 20).to_params(false);
        let get = |key: &str| {
            params
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| value.clone())
        };
        assert_eq!(get("search").as_deref(), Some("sara"));
        assert_eq!(get("order_by").as_deref(), Some("id A"));
        assert_eq!(get("limit").as_deref(), Some("20"));
    }

    #[tokio::test]
    async fn a_deployment_that_does_not_answer_is_reported_in_its_place() {
        // Nothing listens on port 9 of the loopback: the connection is refused at once.
        let down = Target {
            deployment: "down".into(),
            client: Arc::new(
                GeoboxClient::new(
                    "http://127.0.0.1:9",
                    geobox_api::Auth::Anonymous,
                    Duration::from_secs(2),
                )
                .expect("a client"),
            ),
            timeout: Duration::from_secs(2),
        };
        let found = find_users(&[down.clone(), down], "x", 5).await;
        assert_eq!(found.len(), 2);
        for found in found {
            assert_eq!(found.deployment, "down");
            assert!(
                matches!(
                    found.result,
                    Err(ApiError::Connection { .. } | ApiError::Timeout { .. })
                ),
                "{:?}",
                found.result
            );
        }
    }
}
