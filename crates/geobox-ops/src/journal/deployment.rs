//! Which Geobox a journal entry is about: an identity that stays the same across restarts,
//! recorded by every journal write and used by every journal read.
//!
//! A server is its API base URL, normalized, and not the profile that names it: two profiles
//! that sign in to one server as different admins change the same users, and so share one
//! history; a profile renamed or pointed elsewhere would otherwise take history with it or
//! mix two servers'. The console's built-in demo is `demo`: its address is a new loopback port
//! at every start, but its database is the one in the data directory, beside the journal.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::action::Tool;
use geobox_api::api_base_url;

/// The key of the built-in demo, and what `--host demo` names.
const DEMO: &str = "demo";

/// Which Geobox a write went to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Deployment {
    /// The console's built-in demo server of this data directory.
    Demo,
    /// A Geobox server, by its API base URL (`https://api.geobox.ir/v1/`), without any user
    /// or password the configured host carried.
    Server(String),
}

impl Deployment {
    /// The server at `host`, however it is spelled (`host`, `https://host/`, `host/v1`).
    pub fn server(host: &str) -> Deployment {
        match api_base_url(host) {
            Ok(mut url) => {
                // Credentials in a host are a secret, and no part of which server it is.
                let _ = url.set_username("");
                let _ = url.set_password(None);
                Deployment::Server(url.to_string())
            }
            Err(_) => Deployment::Server(host.trim().to_ascii_lowercase()),
        }
    }

    /// What people name a deployment by on the command line: `demo`, or a host.
    pub fn named(text: &str) -> Deployment {
        if text.trim().eq_ignore_ascii_case(DEMO) {
            Deployment::Demo
        } else {
            Deployment::server(text)
        }
    }

    /// The stable key: `demo`, or the server's API base URL.
    pub fn key(&self) -> &str {
        match self {
            Deployment::Demo => DEMO,
            Deployment::Server(url) => url,
        }
    }

    /// What to show: `demo`, or the server without the API's `/v1/`.
    pub fn label(&self) -> String {
        match self {
            Deployment::Demo => DEMO.to_string(),
            Deployment::Server(url) => url
                .strip_suffix("/v1/")
                .unwrap_or(url.trim_end_matches('/'))
                .to_string(),
        }
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl Serialize for Deployment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Deployment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(if key == DEMO {
            Deployment::Demo
        } else {
            Deployment::Server(key.into_owned())
        })
    }
}

/// Whether a write recorded with `deployment` (absent in entries written before deployments
/// were recorded), `host` and `tool` went to `wanted`.
///
/// An older entry names only the address it wrote to. Its server is that address; and one the
/// console wrote to a loopback address may also be the demo's, whose port changed at every
/// start, so it is counted as the demo's too (a console pointed at a `serve` on loopback shares
/// those older entries with the demo).
pub fn recorded_on(
    deployment: Option<&Deployment>,
    host: &str,
    tool: Tool,
    wanted: &Deployment,
) -> bool {
    match (deployment, wanted) {
        (Some(recorded), _) => recorded == wanted,
        (None, Deployment::Demo) => tool == Tool::Console && is_loopback(host),
        (None, Deployment::Server(_)) => Deployment::server(host) == *wanted,
    }
}

pub(super) fn is_loopback(host: &str) -> bool {
    let Ok(url) = api_base_url(host) else {
        return false;
    };
    let name = url.host_str().unwrap_or_default();
    name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_one_deployment_however_its_host_is_spelled() {
        let canonical = Deployment::server("https://api.geobox.ir");
        for spelling in [
            "api.geobox.ir",
            "https://API.geobox.ir/",
            "https://api.geobox.ir/v1",
            " https://api.geobox.ir/v1/ ",
        ] {
            assert_eq!(Deployment::server(spelling), canonical, "{spelling}");
        }
        assert_eq!(canonical.key(), "https://api.geobox.ir/v1/");
        assert_eq!(canonical.label(), "https://api.geobox.ir");
        assert_ne!(Deployment::server("http://127.0.0.1:1"), canonical);
    }

    #[test]
    fn credentials_in_a_host_never_reach_the_key() {
        let with_password = Deployment::server("https://ops:hunter2@api.geobox.ir");
        assert_eq!(with_password, Deployment::server("https://api.geobox.ir"));
        assert!(!with_password.key().contains("hunter2"));
    }

    #[test]
    fn the_demo_is_one_deployment_whatever_its_port() {
        assert_eq!(Deployment::named("demo"), Deployment::Demo);
        assert_eq!(Deployment::named(" DEMO "), Deployment::Demo);
        let json = serde_json::to_string(&Deployment::Demo).expect("json");
        assert_eq!(json, "\"demo\"");
        let back: Deployment = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, Deployment::Demo);
        let server: Deployment =
            serde_json::from_str("\"http://127.0.0.1:8080/v1/\"").expect("a server");
        assert_eq!(server, Deployment::server("http://127.0.0.1:8080"));
    }

    #[test]
    fn older_entries_are_found_by_their_address_and_the_consoles_loopback_ones_as_the_demo() {
        let old_demo = "http://127.0.0.1:41234/v1/";
        assert!(recorded_on(
            None,
            old_demo,
            Tool::Console,
            &Deployment::Demo
        ));
        assert!(recorded_on(
            None,
            old_demo,
            Tool::Console,
            &Deployment::server("http://127.0.0.1:41234")
        ));
        assert!(!recorded_on(None, old_demo, Tool::Cli, &Deployment::Demo));
        assert!(!recorded_on(
            None,
            "https://api.geobox.ir",
            Tool::Console,
            &Deployment::Demo
        ));
        // An entry that names its deployment is on that one only.
        assert!(!recorded_on(
            Some(&Deployment::Demo),
            old_demo,
            Tool::Console,
            &Deployment::server(old_demo)
        ));
    }
}
