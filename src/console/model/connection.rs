//! Whether the server answers: when it stopped, and when the console asks again.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::console::msg::RequestId;

/// The first wait before asking an unreachable server again; each failure doubles it.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two tries.
pub const RETRY_MAX: Duration = Duration::from_secs(30);

/// The console's view of the server's reachability.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// When the server stopped answering; `None` while it answers.
    pub offline_since: Option<DateTime<Utc>>,
    /// How long the next retry waits.
    pub retry_delay: Duration,
    /// Only the newest retry timer counts.
    pub retry_token: u64,
    /// A retry is waiting for its timer or for its probe's answer.
    pub retrying: bool,
    /// The probe request a retry sent, while it is unanswered.
    pub probe: Option<RequestId>,
    /// The newest request the server answered: a connection failure of an older request says
    /// nothing about the server now.
    pub last_answered: RequestId,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            offline_since: None,
            retry_delay: RETRY_FIRST,
            retry_token: 0,
            retrying: false,
            probe: None,
            last_answered: RequestId::default(),
        }
    }
}

impl Connection {
    pub fn is_offline(&self) -> bool {
        self.offline_since.is_some()
    }

    /// How long the server has not answered, in whole seconds, at `now`.
    pub fn offline_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        self.offline_since
            .map(|since| (now - since).num_seconds().max(0))
    }

    /// The wait after `delay`: doubled, never beyond [`RETRY_MAX`].
    pub fn backoff(delay: Duration) -> Duration {
        (delay * 2).min(RETRY_MAX)
    }
}
