//! Everything the console knows, in one value. `update` changes it; `view` only reads it.
//!
//! The parts live next to the feature they serve: `list` (the user list and sessions),
//! `filters` (filters, sort, the filter panel), `actions` (pickers, confirmations, undo),
//! `loadable` (what is fetched and the request it waits for).

mod actions;
mod allowed;
mod bulk_query;
mod connection;
mod deployments;
mod export;
mod filters;
mod journal;
mod list;
mod live;
mod loadable;
mod lockdown;
mod query_bar;
mod session_choice;
mod views;

pub use actions::{AfterSelfHarm, Confirm, PasswordDialog, Picker, PickerKind, renewed_expiration};
pub use allowed::Needs;
pub use bulk_query::{
    BulkAction, BulkQuery, BulkStage, NAMES_SHOWN, TYPE_COUNT_ABOVE, needs_typed_count,
    view_narrows, view_of,
};
pub use connection::{Connection, RETRY_FIRST, RETRY_MAX};
pub use deployments::{
    DeploymentPicker, Elsewhere, FoundUser, Gate, Parked, PickerStage, SearchAcross, Switching,
};
pub use export::{ExportDialog, default_export_name, export_format, toggle_extension};
pub use filters::{FilterField, FilterPanel, Filters, Sort, SortColumn};
pub use journal::{ConsoleJournal, JournalIds, JournalView, UndoAsk};
pub use list::{
    FreshRows, MAX_PAGES, PAGE_SIZE, PREFETCH_MARGIN, SessionsPane, TargetUser, UserList,
};
pub use live::{
    CHANGE_SHOWN, COUNT_EVERY, DEFAULT_REFRESH, Due, Live, LiveField, Marked, Paused,
    QUIET_AFTER_KEY, Round, WINDOW_MARGIN, due, later, next_wake, paused,
};
pub use loadable::{LoadState, Loadable};
pub use lockdown::{LockdownDialog, LockdownResult};
pub use query_bar::{Copied, QueryBar, current_query, public_base, request_url};
pub use session_choice::{AddressSweep, CloseAcross, CloseChoice, CloseOption, SWEEP_FILTER_BOUND};
pub use views::{Naming, ViewEntry, ViewPicker, filters_from_view, view_from_filters};

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tui_input::Input;

use geobox_api::{Plan, User, UserRole};
use geobox_ops::safety::SignedIn;

use super::form::UserForm;
use super::msg::RequestId;

/// How long the admin must pause typing before a search is sent.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(150);
/// How long a user must stay selected before their sessions are loaded.
pub const SESSIONS_DEBOUNCE: Duration = Duration::from_millis(250);
/// How often the spinner turns while something loads.
pub const TICK: Duration = Duration::from_millis(100);

/// Which pane has the keyboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Table,
    Detail,
    Sessions,
    /// The activity log, while it is shown.
    Activity,
}

impl Focus {
    pub fn next(self) -> Focus {
        match self {
            Focus::Table => Focus::Detail,
            Focus::Detail => Focus::Sessions,
            Focus::Sessions | Focus::Activity => Focus::Table,
        }
    }

    pub fn prev(self) -> Focus {
        match self {
            Focus::Table => Focus::Sessions,
            Focus::Detail => Focus::Table,
            Focus::Sessions => Focus::Detail,
            Focus::Activity => Focus::Sessions,
        }
    }
}

/// What has the keyboard besides the panes: a line, a panel, an overlay or a dialog.
#[derive(Clone, Debug, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// The live search line (`/`).
    Search(Input),
    /// The filter panel (`f`).
    Filters(Box<FilterPanel>),
    /// The help overlay (`?`).
    Help,
    /// A status or role picker.
    Picker(Picker),
    /// A confirmation dialog.
    Confirm(Box<Confirm>),
    /// The change-password dialog.
    Password(Box<PasswordDialog>),
    /// The edit or create form.
    Form(Box<UserForm>),
    /// The query bar (`:`): the request behind the table.
    QueryBar,
    /// The journal panel (`L`).
    Journal(Box<JournalView>),
    /// The lockdown dialog (`!`).
    Lockdown(Box<LockdownDialog>),
    /// `X` on one user: which sessions to close.
    CloseChoice(Box<CloseChoice>),
    /// A change to every user matching the view.
    BulkQuery(Box<BulkQuery>),
    /// The picker of saved and built-in views.
    Views(Box<ViewPicker>),
    /// Writing every user matching the view to a file.
    Export(Box<ExportDialog>),
    /// The picker of deployments (`C`), with its search across them.
    Deployments(Box<DeploymentPicker>),
    /// A write to a protected deployment waits for the deployment's name typed.
    Gate(Box<Gate>),
}

/// Progress of a bulk action: done/total and what failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub what: String,
    pub total: usize,
    pub done: usize,
    pub failures: Vec<String>,
    /// The targets were the marked users: the marks are cleared once every one succeeded.
    pub on_marked: bool,
}

/// The red one-line banner above the footer.
#[derive(Clone, Debug, PartialEq)]
pub struct Banner {
    pub text: String,
    pub error: bool,
    /// Neither done nor failed: something the admin should know (nothing to do, a key's
    /// limits), shown without the ✓ of a success.
    pub note: bool,
}

/// The last request answered: shown at the right of the footer.
#[derive(Clone, Debug, PartialEq)]
pub struct LastRequest {
    pub label: &'static str,
    pub outcome: String,
    pub took: Duration,
}

/// One line of the activity log.
#[derive(Clone, Debug, PartialEq)]
pub struct Activity {
    pub at: DateTime<Utc>,
    pub text: String,
    pub ok: bool,
}

/// The whole state of the console: what changes while it runs. What does not (the
/// deployment, the keymap, the colours, where views are kept) is in `Env`.
#[derive(Clone, Debug)]
pub struct Model {
    /// Started read-only: every action is off, and the screen says so.
    pub read_only: bool,
    /// The terminal size: the layout, and so the number of table rows, follows from it.
    pub width: u16,
    pub height: u16,
    /// "Now" for relative times; set by the loop, fixed in tests so screens are stable.
    pub now: DateTime<Utc>,
    pub me: Loadable<User>,
    pub filters: Filters,
    pub users: UserList,
    pub sessions: SessionsPane,
    pub plans: Loadable<Vec<Plan>>,
    pub focus: Focus,
    pub mode: Mode,
    pub detail_scroll: u16,
    pub help_scroll: u16,
    pub banner: Option<Banner>,
    pub last_request: Option<LastRequest>,
    pub progress: Option<Progress>,
    pub activity: Vec<Activity>,
    pub show_activity: bool,
    /// How many lines the activity log is scrolled up from its newest entry.
    pub activity_scroll: u16,
    /// The spinner's frame.
    pub spinner: usize,
    /// Debounce tokens: only the newest scheduled timer counts.
    pub search_token: u64,
    pub settle_token: u64,
    /// The user whose sessions the pending settle timer will load.
    pub settle_for: Option<i64>,
    /// The server's complaint about the CQL filter (a 422), shown next to the field.
    pub cql_server_error: Option<String>,
    /// Requests for actions (closes, edits...) still in flight.
    pub actions_in_flight: BTreeSet<RequestId>,
    /// The 403 explanation has been shown once.
    pub explained_forbidden: bool,
    pub next_request: u64,
    pub quit: bool,
    /// Select this user once a page with them arrives (a user just created).
    pub pending_select: Option<i64>,
    /// Whether the server answers, and when to ask again when it does not.
    pub connection: Connection,
    pub query_bar: QueryBar,
    /// The row a range of marks starts from: the last one marked.
    pub mark_anchor: Option<u64>,
    /// This run's journal entries and the running bulk action's steps.
    pub journal: ConsoleJournal,
    /// Sessions from one address being listed across users, before the confirmation.
    pub address_sweep: Option<AddressSweep>,
    /// The live table: when it refreshes, and what the last refreshes found changed.
    pub live: Live,
    /// The other deployments: what each one left shows again, and a switch under way.
    pub elsewhere: Elsewhere,
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}

impl Model {
    /// The console before anything is loaded: nothing selected, nothing asked yet.
    pub fn new() -> Self {
        Model {
            read_only: false,
            width: 80,
            height: 24,
            now: DateTime::<Utc>::UNIX_EPOCH,
            me: Loadable::default(),
            filters: Filters::default(),
            users: UserList::default(),
            sessions: SessionsPane::default(),
            plans: Loadable::default(),
            focus: Focus::Table,
            mode: Mode::Normal,
            detail_scroll: 0,
            help_scroll: 0,
            banner: None,
            last_request: None,
            progress: None,
            activity: Vec::new(),
            show_activity: false,
            activity_scroll: 0,
            spinner: 0,
            search_token: 0,
            settle_token: 0,
            settle_for: None,
            cql_server_error: None,
            actions_in_flight: BTreeSet::new(),
            explained_forbidden: false,
            next_request: 0,
            quit: false,
            pending_select: None,
            connection: Connection::default(),
            query_bar: QueryBar::default(),
            mark_anchor: None,
            journal: ConsoleJournal::default(),
            address_sweep: None,
            live: Live::default(),
            elsewhere: Elsewhere::default(),
        }
    }

    /// A fresh request id.
    pub fn new_request(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    /// Starts an action: a fresh request, counted in flight until its answer comes, the user it
    /// edits (if any) shown as pending, and the command that sends it.
    pub fn start_action<C>(
        &mut self,
        editing: Option<i64>,
        command: impl FnOnce(RequestId) -> C,
    ) -> C {
        let request = self.new_request();
        self.actions_in_flight.insert(request);
        if let Some(user_id) = editing {
            self.users.in_flight_edits.insert(user_id);
        }
        command(request)
    }

    /// Says on the banner that something was done.
    pub fn inform(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: false,
            note: false,
        });
    }

    /// Says on the banner something that was neither done nor failed.
    pub fn note(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: false,
            note: true,
        });
    }

    /// Shows a failure on the banner.
    pub fn fail(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: true,
            note: false,
        });
    }

    /// Whether anything is loading: the spinner turns (and ticks arrive) only then.
    pub fn is_busy(&self) -> bool {
        self.users.is_loading()
            || self.me.is_loading()
            || self.sessions.list.is_loading()
            || self.plans.is_loading()
            || !self.actions_in_flight.is_empty()
    }

    /// Whether the loop should send ticks: while something loads, and while offline so the
    /// title bar's offline age keeps counting.
    pub fn wants_ticks(&self) -> bool {
        self.is_busy() || self.connection.is_offline()
    }

    /// The signed-in user's role, once known.
    pub fn my_role(&self) -> Option<&UserRole> {
        self.me.loaded().and_then(|me| me.role.as_ref())
    }

    /// The signed-in user as the safety rules see them, once their id and role are known.
    pub fn signed_in(&self) -> Option<SignedIn> {
        self.me.loaded().and_then(SignedIn::of)
    }

    /// Whether the screen is wide enough for the table and the detail side by side.
    pub fn is_wide(&self) -> bool {
        self.width >= 120
    }

    /// The users a quick edit applies to: the marked ones, or the selected one.
    pub fn targets(&self) -> Vec<TargetUser> {
        if !self.users.marked.is_empty() {
            return self
                .users
                .marked
                .iter()
                .map(|id| self.users.target(*id))
                .collect();
        }
        self.users.selected_target().into_iter().collect()
    }
}
