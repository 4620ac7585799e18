//! Everything the console knows, in one value. `update` changes it; `view` only reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::api::{Plan, Session, User, UserQuery, UserRole, UserStatus, combined_cql};

use super::cmd::Cmd;
use super::msg::{Done, QuickChange, RequestId};
use super::wrap::step_wrapping;

/// Users asked for per request (less when a server answers fewer: see `UserList::page_size`).
pub const PAGE_SIZE: u64 = 100;
/// Pages kept in memory at most: memory stays flat however many users the server has.
pub const MAX_PAGES: usize = 8;
/// The next page is asked for once the selection is this close to the end of what is loaded.
pub const PREFETCH_MARGIN: u64 = 40;
/// How long the admin must pause typing before a search is sent.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(150);
/// How long a user must stay selected before their sessions are loaded.
pub const SESSIONS_DEBOUNCE: Duration = Duration::from_millis(250);
/// How often the spinner turns while something loads.
pub const TICK: Duration = Duration::from_millis(100);

/// Something that is fetched from the server.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LoadState<T> {
    #[default]
    Idle,
    Loading,
    Loaded(T),
    Failed(String),
}

impl<T> LoadState<T> {
    pub fn loaded(&self) -> Option<&T> {
        match self {
            LoadState::Loaded(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, LoadState::Loading)
    }
}

/// Something fetched from the server, with the request whose answer it waits for: only that
/// answer is taken, so a slow answer to an older request never overwrites a newer one.
#[derive(Clone, Debug, PartialEq)]
pub struct Loadable<T> {
    pub state: LoadState<T>,
    pub request: Option<RequestId>,
}

impl<T> Default for Loadable<T> {
    fn default() -> Self {
        Loadable {
            state: LoadState::Idle,
            request: None,
        }
    }
}

impl<T> Loadable<T> {
    /// Asks for it (again); what is already loaded stays shown until the answer comes.
    pub fn start(&mut self, request: RequestId) {
        self.request = Some(request);
        if self.state.loaded().is_none() {
            self.state = LoadState::Loading;
        }
    }

    /// Whether `done` answers the request waited for (then it is no longer waited for).
    pub fn accept(&mut self, done: &Done<T>) -> bool {
        done.answers(&mut self.request)
    }

    pub fn loaded(&self) -> Option<&T> {
        self.state.loaded()
    }

    pub fn is_loading(&self) -> bool {
        self.state.is_loading()
    }
}

/// Which pane has the keyboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Table,
    Detail,
    Sessions,
}

impl Focus {
    pub fn next(self) -> Focus {
        match self {
            Focus::Table => Focus::Detail,
            Focus::Detail => Focus::Sessions,
            Focus::Sessions => Focus::Table,
        }
    }

    pub fn prev(self) -> Focus {
        match self {
            Focus::Table => Focus::Sessions,
            Focus::Detail => Focus::Table,
            Focus::Sessions => Focus::Detail,
        }
    }
}

/// The columns users can be sorted by, in the order `o` cycles through them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortColumn {
    #[default]
    Id,
    Username,
    LastName,
    Email,
    Role,
    Status,
    Expiration,
    Created,
}

impl SortColumn {
    pub const ALL: [SortColumn; 8] = [
        SortColumn::Id,
        SortColumn::Username,
        SortColumn::LastName,
        SortColumn::Email,
        SortColumn::Role,
        SortColumn::Status,
        SortColumn::Expiration,
        SortColumn::Created,
    ];

    /// The field name on the wire (`order_by`).
    pub fn field(self) -> &'static str {
        match self {
            SortColumn::Id => "id",
            SortColumn::Username => "username",
            SortColumn::LastName => "last_name",
            SortColumn::Email => "email",
            SortColumn::Role => "role",
            SortColumn::Status => "status",
            SortColumn::Expiration => "expiration_date",
            SortColumn::Created => "created_at",
        }
    }

    pub fn next(self) -> SortColumn {
        self.step(true)
    }

    pub fn prev(self) -> SortColumn {
        self.step(false)
    }

    fn step(self, forward: bool) -> SortColumn {
        let index = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[step_wrapping(index, SortColumn::ALL.len(), forward)]
    }
}

/// The sort order of the list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Sort {
    /// `username A`
    pub fn order_by(self) -> String {
        format!(
            "{} {}",
            self.column.field(),
            if self.descending { "D" } else { "A" }
        )
    }
}

/// What the list is filtered and sorted by: the applied state, not what is being typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub status: Option<UserStatus>,
    pub role: Option<UserRole>,
    /// The keyword search (`/`).
    pub search: String,
    /// Comma-separated fields the keyword search looks in; empty means all text fields.
    pub search_fields: String,
    /// The admin's own CQL filter.
    pub cql: String,
    pub sort: Sort,
}

impl Filters {
    /// The CQL sent as `q`, if any: see [`combined_cql`].
    pub fn combined_cql(&self) -> Option<String> {
        combined_cql(
            self.role.as_ref(),
            &self.cql,
            &self.search,
            &self.search_fields,
        )
    }

    /// The list query for one page.
    pub fn query(&self, skip: u64, limit: u64) -> UserQuery {
        let mut query = UserQuery::new()
            .order_by(self.sort.order_by())
            .skip(skip)
            .limit(limit);
        query.status = self.status.clone();
        if let Some(cql) = self.combined_cql() {
            query = query.q(cql);
        } else {
            query = query
                .search(self.search.trim())
                .search_fields(self.search_fields.trim());
        }
        query
    }

    /// The chips of the title bar: one per active filter.
    pub fn chips(&self) -> Vec<String> {
        let mut chips = Vec::new();
        if let Some(status) = &self.status {
            chips.push(format!("status: {status}"));
        }
        if let Some(role) = &self.role {
            chips.push(format!("role: {role}"));
        }
        if !self.search.trim().is_empty() {
            chips.push(format!("/{}", self.search.trim()));
        }
        if !self.search_fields.trim().is_empty() {
            chips.push(format!("in: {}", self.search_fields.trim()));
        }
        if !self.cql.trim().is_empty() {
            chips.push(format!("q: {}", self.cql.trim()));
        }
        chips
    }
}

/// The users of the current filters: a window of pages around the selection, plus the count.
#[derive(Clone, Debug)]
pub struct UserList {
    /// Users per page: [`PAGE_SIZE`], or what the server gives when it caps `limit` lower.
    pub page_size: u64,
    /// Loaded pages by page number; at most [`MAX_PAGES`].
    pub pages: BTreeMap<u64, Vec<User>>,
    /// Pages asked for and not yet answered, with the request that will answer them.
    pub pending: BTreeMap<u64, RequestId>,
    /// How many users match, once known.
    pub total: Option<u64>,
    pub count_request: Option<RequestId>,
    /// The selected row (absolute, across all pages).
    pub selected: u64,
    /// The first row on screen.
    pub offset: u64,
    /// Jump to the last row once the count arrives (`G` pressed before it did).
    pub jump_to_end: bool,
    /// Why the last page could not be loaded.
    pub error: Option<String>,
    /// Users waiting for a quick edit to be confirmed, shown as pending.
    pub in_flight_edits: BTreeSet<i64>,
    /// Users marked for a bulk action.
    pub marked: BTreeSet<i64>,
}

impl Default for UserList {
    fn default() -> Self {
        UserList {
            page_size: PAGE_SIZE,
            pages: BTreeMap::new(),
            pending: BTreeMap::new(),
            total: None,
            count_request: None,
            selected: 0,
            offset: 0,
            jump_to_end: false,
            error: None,
            in_flight_edits: BTreeSet::new(),
            marked: BTreeSet::new(),
        }
    }
}

impl UserList {
    /// The user on an absolute row, when its page is loaded.
    pub fn user_at(&self, row: u64) -> Option<&User> {
        self.pages
            .get(&(row / self.page_size))
            .and_then(|page| page.get((row % self.page_size) as usize))
    }

    pub fn selected_user(&self) -> Option<&User> {
        self.user_at(self.selected)
    }

    /// How many rows there are, as far as anyone knows: the count, or the rows seen so far.
    pub fn known_rows(&self) -> u64 {
        if let Some(total) = self.total {
            return total;
        }
        self.pages
            .iter()
            .next_back()
            .map(|(page, users)| page * self.page_size + users.len() as u64)
            .unwrap_or(0)
    }

    /// Whether the first page has arrived (or failed): before that the table shows a spinner.
    pub fn first_answer_in(&self) -> bool {
        !self.pages.is_empty() || self.total.is_some() || self.error.is_some()
    }

    pub fn is_loading(&self) -> bool {
        !self.pending.is_empty() || self.count_request.is_some()
    }

    /// Finds a loaded user by id, with its row.
    pub fn find(&self, user_id: i64) -> Option<(u64, &User)> {
        self.pages.iter().find_map(|(page, users)| {
            users
                .iter()
                .position(|user| user.id == user_id)
                .map(|index| (page * self.page_size + index as u64, &users[index]))
        })
    }

    /// A loaded user's name, or `user N` when their page is not in memory.
    pub fn username_of(&self, user_id: i64) -> String {
        self.find(user_id)
            .map(|(_, user)| user.username.clone())
            .unwrap_or_else(|| format!("user {user_id}"))
    }

    /// The user an action on this id applies to, named as well as the list knows.
    pub fn target(&self, user_id: i64) -> TargetUser {
        TargetUser {
            id: user_id,
            username: self.username_of(user_id),
        }
    }

    /// The selected user as the target of an action.
    pub fn selected_target(&self) -> Option<TargetUser> {
        self.selected_user().map(|user| TargetUser {
            id: user.id,
            username: user.username.clone(),
        })
    }

    pub fn find_mut(&mut self, user_id: i64) -> Option<&mut User> {
        self.pages
            .values_mut()
            .find_map(|users| users.iter_mut().find(|user| user.id == user_id))
    }
}

/// The sessions of the selected user.
#[derive(Clone, Debug, Default)]
pub struct SessionsPane {
    /// Whose sessions are (being) loaded.
    pub user_id: Option<i64>,
    pub list: Loadable<Vec<Session>>,
    pub selected: usize,
    /// Sessions being closed right now, shown as pending.
    pub closing: BTreeSet<String>,
}

/// The filter panel (`f`): fields being edited, applied only with Enter.
#[derive(Clone, Debug, Default)]
pub struct FilterPanel {
    pub field: FilterField,
    pub status: Option<UserStatus>,
    pub role: Option<UserRole>,
    pub search_fields: Input,
    pub cql: Input,
    pub sort: Sort,
    /// Why the CQL cannot be sent (checked locally, or the server's 422).
    pub cql_error: Option<String>,
}

/// The fields of the filter panel, top to bottom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FilterField {
    #[default]
    Status,
    Role,
    SearchFields,
    Cql,
    SortColumn,
    SortDirection,
}

impl FilterField {
    pub const ALL: [FilterField; 6] = [
        FilterField::Status,
        FilterField::Role,
        FilterField::SearchFields,
        FilterField::Cql,
        FilterField::SortColumn,
        FilterField::SortDirection,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FilterField::Status => "status",
            FilterField::Role => "role",
            FilterField::SearchFields => "search in",
            FilterField::Cql => "CQL q",
            FilterField::SortColumn => "sort by",
            FilterField::SortDirection => "direction",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, FilterField::SearchFields | FilterField::Cql)
    }

    pub fn step(self, forward: bool) -> FilterField {
        let index = FilterField::ALL
            .iter()
            .position(|f| *f == self)
            .unwrap_or(0);
        FilterField::ALL[step_wrapping(index, FilterField::ALL.len(), forward)]
    }
}

/// A user an action applies to: the id it is sent with, the name it is reported with.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetUser {
    pub id: i64,
    pub username: String,
}

/// A list picker (status or role).
#[derive(Clone, Debug, PartialEq)]
pub struct Picker {
    pub kind: PickerKind,
    pub targets: Vec<TargetUser>,
    pub choices: Vec<QuickChange>,
    pub cursor: usize,
    /// The value the (single) target has now, marked "(current)".
    pub current: Option<QuickChange>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerKind {
    Status,
    Role,
}

/// A dialog that asks before something is done.
#[derive(Clone, Debug)]
pub enum Confirm {
    /// Close one session.
    CloseSession { user: TargetUser, session: Session },
    /// Close these sessions (all but the console's own).
    CloseSessions {
        user: TargetUser,
        sessions: Vec<Session>,
        kept_own: bool,
    },
    /// Close every session but the console's own of each of these users.
    CloseSessionsOfUsers { targets: Vec<TargetUser> },
    /// Apply one status/role to several users.
    BulkChange {
        targets: Vec<TargetUser>,
        change: QuickChange,
    },
    /// Delete a user: the username must be typed.
    Delete { user: TargetUser, typed: Input },
    /// Undo the last quick edit or form save.
    Undo { undo: Undo },
    /// Renew a user's plan.
    RenewPlan {
        user: TargetUser,
        plan: Option<String>,
        days: Option<i64>,
        new_expiration: Option<String>,
    },
}

/// How to take back the last change: the update that restores the old values.
#[derive(Clone, Debug, PartialEq)]
pub struct Undo {
    pub user: TargetUser,
    pub update: crate::api::UserUpdate,
    /// What it restores, in words ("status Active, role Editor").
    pub description: String,
}

/// The change-password dialog. The inputs live only while the dialog is open.
#[derive(Clone, Default)]
pub struct PasswordDialog {
    pub user: Option<TargetUser>,
    pub first: Input,
    pub second: Input,
    pub second_focused: bool,
    pub error: Option<String>,
    pub sending: bool,
}

impl std::fmt::Debug for PasswordDialog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordDialog")
            .field("user", &self.user)
            .field("first", &"***")
            .field("second", &"***")
            .finish_non_exhaustive()
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
    Form(Box<super::form::UserForm>),
}

/// Progress of a bulk action: done/total and what failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub what: String,
    pub total: usize,
    pub done: usize,
    pub failures: Vec<String>,
}

/// The red one-line banner above the footer.
#[derive(Clone, Debug, PartialEq)]
pub struct Banner {
    pub text: String,
    pub error: bool,
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

/// The whole state of the console.
#[derive(Clone, Debug)]
pub struct Model {
    /// The host shown in the title bar.
    pub host_label: String,
    /// Set when connected to the embedded demo.
    pub demo_url: Option<String>,
    pub read_only: bool,
    /// Colours on (off with `NO_COLOR`): every colour also has a symbol or text.
    pub color: bool,
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
    /// How to undo the last quick edit or form save.
    pub last_undo: Option<Undo>,
}

impl Model {
    pub fn new(host_label: impl Into<String>, demo_url: Option<String>, read_only: bool) -> Self {
        Model {
            host_label: host_label.into(),
            demo_url,
            read_only,
            color: true,
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
            last_undo: None,
        }
    }

    /// A fresh request id.
    pub fn new_request(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    /// Starts an action: a fresh request, counted in flight until its answer comes, the user it
    /// edits (if any) shown as pending, and the command that sends it.
    pub fn start_action(
        &mut self,
        editing: Option<i64>,
        command: impl FnOnce(RequestId) -> Cmd,
    ) -> Cmd {
        let request = self.new_request();
        self.actions_in_flight.insert(request);
        if let Some(user_id) = editing {
            self.users.in_flight_edits.insert(user_id);
        }
        command(request)
    }

    /// Says something on the banner.
    pub fn inform(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: false,
        });
    }

    /// Shows a failure on the banner.
    pub fn fail(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: true,
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

    /// The signed-in user's role, once known.
    pub fn my_role(&self) -> Option<&UserRole> {
        self.me.loaded().and_then(|me| me.role.as_ref())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_and_cql_are_joined_and_search_folds_into_cql() {
        let mut filters = Filters {
            role: Some(UserRole::Editor),
            ..Filters::default()
        };
        assert_eq!(filters.combined_cql().as_deref(), Some("role = 'Editor'"));
        filters.cql = "username LIKE 'a%'".into();
        assert_eq!(
            filters.combined_cql().as_deref(),
            Some("role = 'Editor' AND (username LIKE 'a%')")
        );
        filters.search = "o'b".into();
        filters.search_fields = "username".into();
        let query = filters.query(0, 10);
        assert_eq!(
            query.q.as_deref(),
            Some("role = 'Editor' AND (username LIKE 'a%') AND (username LIKE '%o''b%')")
        );
        assert_eq!(query.search, None);
    }

    #[test]
    fn plain_search_uses_the_search_parameter() {
        let filters = Filters {
            search: "ali".into(),
            status: Some(UserStatus::Active),
            ..Filters::default()
        };
        let query = filters.query(100, 100);
        assert_eq!(query.search.as_deref(), Some("ali"));
        assert_eq!(query.q, None);
        assert_eq!(query.order_by.as_deref(), Some("id A"));
        assert_eq!((query.skip, query.limit), (100, 100));
        assert_eq!(filters.chips(), vec!["status: Active", "/ali"]);
    }
}
