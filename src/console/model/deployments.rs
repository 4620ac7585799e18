//! Other deployments: the picker (`C`) with its search across deployments, what the console
//! keeps of each deployment it left (to show it again as it was), and the gate every write to
//! a protected deployment passes (its name typed).

use std::collections::{BTreeMap, BTreeSet};

use tui_input::Input;

use super::{Activity, Filters, Mode};
use crate::console::msg::{FoundIn, Msg, RequestId};
use geobox_ops::journal::Entry;

/// A user found by the search across deployments, to show once there.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundUser {
    pub deployment: String,
    pub user_id: i64,
    /// The term searched: the table opens on it, so the user is among its rows.
    pub term: String,
}

/// The search across deployments (`/` in the picker).
#[derive(Clone, Debug, Default)]
pub struct SearchAcross {
    pub input: Input,
    /// The term is being typed (⏎ searches); otherwise the cursor is on the matches.
    pub typing: bool,
    /// The search whose answer is awaited.
    pub request: Option<RequestId>,
    /// Each deployment's answer, in the picker's order.
    pub found: Vec<FoundIn>,
    /// The highlighted match, counted across deployments.
    pub cursor: usize,
}

impl SearchAcross {
    /// Every match, in order: the deployment and the user.
    pub fn matches(&self) -> Vec<(&str, &geobox_api::User)> {
        self.found
            .iter()
            .filter_map(|found| {
                let users = found.result.as_ref().ok()?;
                Some(users.iter().map(|user| (found.deployment.as_str(), user)))
            })
            .flatten()
            .collect()
    }
}

/// What the picker is doing.
#[derive(Clone, Default)]
pub enum PickerStage {
    /// Listing the deployments.
    #[default]
    List,
    /// Typing the password of a deployment whose profile names none (masked).
    Password {
        deployment: String,
        input: Input,
        then: Option<FoundUser>,
    },
    /// Signing in, waiting for the answer.
    SigningIn { deployment: String },
    /// Searching every deployment.
    Search(SearchAcross),
}

impl std::fmt::Debug for PickerStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PickerStage::List => f.write_str("List"),
            PickerStage::Password {
                deployment, then, ..
            } => f
                .debug_struct("Password")
                .field("deployment", deployment)
                .field("input", &"***")
                .field("then", then)
                .finish(),
            PickerStage::SigningIn { deployment } => f
                .debug_struct("SigningIn")
                .field("deployment", deployment)
                .finish(),
            PickerStage::Search(search) => f.debug_tuple("Search").field(search).finish(),
        }
    }
}

/// The picker of deployments (`C`).
#[derive(Clone, Debug, Default)]
pub struct DeploymentPicker {
    /// The highlighted deployment.
    pub cursor: usize,
    pub stage: PickerStage,
    /// Why the last choice did not go through (a wrong password, an incomplete profile).
    pub error: Option<String>,
}

/// What the console keeps of a deployment it left, to show it again as it was.
#[derive(Clone, Debug, Default)]
pub struct Parked {
    pub filters: Filters,
    pub selected: u64,
    pub offset: u64,
    pub selected_id: Option<i64>,
    pub activity: Vec<Activity>,
    /// This run's journal entries there: `u` and the journal panel stay per deployment.
    pub this_run: Vec<Entry>,
}

/// A switch under way: the sign-in awaited, and the user to show once there.
#[derive(Clone, Debug, PartialEq)]
pub struct Switching {
    pub request: RequestId,
    pub deployment: String,
    pub then: Option<FoundUser>,
}

/// The deployments besides the one shown.
#[derive(Clone, Debug, Default)]
pub struct Elsewhere {
    /// What each deployment left shows again when the admin comes back.
    pub parked: BTreeMap<String, Parked>,
    /// Deployments signed in to in this run: coming back asks for no password.
    pub signed_in: BTreeSet<String>,
    pub switching: Option<Switching>,
}

/// A write to a protected deployment, held until its name is typed.
#[derive(Clone, Debug)]
pub struct Gate {
    pub typed: Input,
    /// ⏎ was pressed on a name that does not match.
    pub mismatch: bool,
    /// What the admin did that writes (a confirmation's yes, a picker's choice, a save):
    /// carried out once the name matches.
    pub then: Box<Msg>,
    /// The dialog it was done in, shown again on Esc (and before carrying it out).
    pub back: Box<Mode>,
}
