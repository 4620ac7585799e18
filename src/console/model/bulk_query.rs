//! Acting on every user the filter matches, not only the marked ones: what is being chosen,
//! collected, confirmed or written.

use tui_input::Input;

use super::Model;
use super::filters::Filters;
use super::views::view_from_filters;
use crate::console::msg::RequestId;
use geobox_ops::bulk::{Change, Progress, Targets};
use geobox_ops::safety::narrows;
use geobox_ops::views::View;

/// Above this many users the admin types the count to confirm, not just `y`.
pub const TYPE_COUNT_ABOVE: usize = 100;
/// Usernames the confirmation shows before "and N more".
pub const NAMES_SHOWN: usize = 5;

/// Which key started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkAction {
    Status,
    Role,
    Renew,
    Lockdown,
}

/// A change to every user matching the view, from offer to the last write.
#[derive(Clone, Debug)]
pub struct BulkQuery {
    pub action: BulkAction,
    /// The count the table showed when it was offered.
    pub matching: Option<u64>,
    /// The selected user, for "only this one".
    pub selected: Option<String>,
    pub stage: BulkStage,
}

#[derive(Clone, Debug)]
pub enum BulkStage {
    /// Only the selected user, or everyone matching?
    Offer,
    /// Which value to set (status or role).
    Choose { choices: Vec<Change>, cursor: usize },
    /// Reading every page of the view before anything is written.
    Collecting { request: RequestId, change: Change },
    /// What would change, and the count typed when there are many.
    Confirm {
        change: Change,
        targets: Targets,
        typed: Input,
        mismatch: bool,
        /// Who matched and is left out, and why (the signed-in admin, users the signed-in
        /// role may not change).
        notes: Vec<String>,
        /// What to weigh first (`⚠` admin rights granted).
        warnings: Vec<String>,
    },
    /// Writing; `stopping` once Esc asked to stop after the current batch.
    Running {
        request: RequestId,
        change: Change,
        progress: Progress,
        skipped: usize,
        stopping: bool,
    },
}

impl BulkQuery {
    /// Whether keys are typed into the count field.
    pub fn typing_count(&self) -> bool {
        matches!(&self.stage, BulkStage::Confirm { targets, .. } if needs_typed_count(targets))
    }
}

/// Whether the confirmation asks for the count to be typed.
pub fn needs_typed_count(targets: &Targets) -> bool {
    targets.to_change.len() > TYPE_COUNT_ABOVE
}

/// The filters of the table as a view, for reading every matching user. The sort is left out:
/// read by id, the pages cannot shift under writes.
pub fn view_of(filters: &Filters) -> View {
    View {
        order_by: None,
        ..view_from_filters(filters)
    }
}

/// Whether the table's view narrows the users at all (a status, a role, CQL or a search):
/// only then may a change reach every user it matches.
pub fn view_narrows(filters: &Filters) -> bool {
    narrows(&view_of(filters))
}

impl Model {
    /// Whether `s`, `r`, `P` and `!` first offer every user the view matches (`a`) besides the
    /// selected one (`⏎`): a filter beyond a plain search is on, nothing is marked (marks are
    /// the admin's own choice and win), and the view holds users. A plain search names whom
    /// the admin looks for, so it acts on the selected user unless `a` asks for all.
    pub fn offers_whole_view(&self) -> bool {
        let filters = &self.filters;
        let beyond_search =
            filters.status.is_some() || filters.role.is_some() || !filters.cql.trim().is_empty();
        self.users.marked.is_empty()
            && beyond_search
            && view_narrows(filters)
            && self.users.total != Some(0)
    }

    /// Whether a dialog about the selected user may turn to every user the view matches
    /// (`a`): the view narrows (a plain search too) and nothing is marked.
    pub fn may_widen_to_view(&self) -> bool {
        self.users.marked.is_empty() && view_narrows(&self.filters) && self.users.total != Some(0)
    }
}
