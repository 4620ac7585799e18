//! Every message the console reacts to: terminal input, timers, and API results.
//!
//! Intents are verbs (`SelectNextUser`); results are past tense and carry their data
//! (`UsersLoaded`). Results name the request they answer so stale ones can be dropped.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};
use tui_input::InputRequest;

use geobox_api::{ApiError, Plan, Secret, Session, User, UserRole, UserStatus, UserUpdate};
use geobox_ops::bulk;
use geobox_ops::config::ConfigError;
use geobox_ops::journal::{Entry, Sharing, UserChange};
use geobox_ops::paths::DATA_DIR_VAR;
use geobox_ops::views::View;

/// Identifies one request sent to the command task; its answer carries the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RequestId(pub u64);

/// The answer to one request: which request, how long it took, and what came back.
#[derive(Clone, Debug)]
pub struct Done<T> {
    pub request: RequestId,
    pub took: Duration,
    pub result: Result<T, ApiError>,
}

impl<T> Done<T> {
    /// Whether this is the answer `awaited` waits for; if so, it is no longer awaited. Any
    /// other answer is stale (filters, a sort or a selection moved on) and is dropped.
    pub fn answers(&self, awaited: &mut Option<RequestId>) -> bool {
        if *awaited != Some(self.request) {
            return false;
        }
        *awaited = None;
        true
    }
}

#[derive(Clone, Debug)]
pub enum Msg {
    // ---- terminal and timers ----
    /// A key was pressed; the keymap turns it into an intent for the current mode.
    KeyPressed(KeyEvent),
    /// The mouse scrolled or clicked.
    MouseUsed(MouseEvent),
    /// The terminal changed size.
    Resized { width: u16, height: u16 },
    /// The spinner advances one frame (only sent while something is loading).
    Tick,
    /// Leave the console.
    Quit,
    /// The clock reached a time the live table asked to be woken at: a refresh is due, or a
    /// change mark fades (sent by the loop, never on a fixed tick).
    LiveTick,
    /// Turn the live table's refresh on or off.
    ToggleLive,
    /// The terminal gained (`true`) or lost (`false`) focus, where it reports focus.
    FocusChanged(bool),

    // ---- moving around ----
    /// Move the selection one user down.
    SelectNextUser,
    /// Move the selection one user up.
    SelectPrevUser,
    /// Move the selection one screen down.
    PageDownUsers,
    /// Move the selection one screen up.
    PageUpUsers,
    /// Jump to the first user.
    SelectFirstUser,
    /// Jump to the last user (waits for the count when it is not known yet).
    SelectLastUser,
    /// Select the user on this absolute row (a mouse click).
    SelectUserRow(u64),
    /// Scroll the focused pane by this many rows (mouse wheel; negative is up).
    ScrollFocused(i32),
    /// Focus the next pane (table → detail → sessions).
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Focus the selected user's detail pane.
    OpenDetail,
    /// A user stayed selected long enough to load their sessions (debounce fired).
    SelectionSettled { token: u64 },
    /// Move the session cursor one down.
    SelectNextSession,
    /// Move the session cursor one up.
    SelectPrevSession,

    // ---- search, filters, sort ----
    /// Open the live keyword search line.
    OpenSearch,
    /// Edit the search text.
    EditSearch(InputRequest),
    /// The admin paused typing long enough to send the search (debounce fired).
    SearchSettled { token: u64 },
    /// Close the search line and keep the search.
    KeepSearch,
    /// Close the search line and clear the search.
    ClearSearch,
    /// Open the filter panel.
    OpenFilters,
    /// Move to the next field of the filter panel.
    FocusNextFilterField,
    /// Move to the previous field of the filter panel.
    FocusPrevFilterField,
    /// Step the choice of the focused picker field forward (+1) or back (-1).
    CycleFilterChoice(i8),
    /// Edit the focused text field of the filter panel.
    EditFilterField(InputRequest),
    /// Apply the filter panel's fields and close it.
    ApplyFilters,
    /// Close the filter panel without applying.
    CloseFilters,
    /// Clear every filter field of the panel (applied with Enter).
    ResetFilterFields,
    /// Sort by the next column.
    CycleSortColumn,
    /// Flip the sort direction.
    FlipSortDirection,
    /// Reload everything visible.
    Reload,
    /// Hide the banner.
    DismissBanner,
    /// Unmark every marked user.
    ClearMarks,
    /// Mark every user on screen.
    MarkAllVisible,
    /// Mark every user between the last one marked and the selected one.
    MarkRange,
    /// Say why a key the signed-in admin pressed is not theirs to use.
    ExplainRefusal(String),
    /// Give the keyboard back to the user table.
    FocusTable,
    /// Show or hide the help overlay.
    ToggleHelp,

    // ---- actions on users ----
    /// Ask to close the selected session.
    RequestCloseSession,
    /// Ask to close every session of the user except the console's own.
    RequestCloseOtherSessions,
    /// Open the status picker for the selected (or marked) users.
    OpenStatusPicker,
    /// Open the role picker for the selected (or marked) users.
    OpenRolePicker,
    /// Move the picker cursor down.
    PickerNext,
    /// Move the picker cursor up.
    PickerPrev,
    /// Choose the picker's highlighted value (opens the confirmation when several users are marked).
    PickerChoose,
    /// Ask to delete the selected user.
    RequestDeleteUser,
    /// Edit the text typed into the open dialog.
    EditDialogInput(InputRequest),
    /// Ask to renew the selected user's plan.
    RequestRenewPlan,
    /// Open the change-password dialog for the selected user.
    OpenPasswordDialog,
    /// Move to the next field of the open dialog or form.
    DialogNextField,
    /// Move to the previous field of the open dialog or form.
    DialogPrevField,
    /// Mark or unmark the selected user for a bulk action.
    ToggleMark,
    /// Confirm the open dialog (y / Enter): this is what sends the command.
    ConfirmDialog,
    /// Close the open dialog without doing anything.
    CancelDialog,
    /// Show or hide the activity log pane.
    ToggleActivityLog,
    /// Open the edit form for the selected user.
    OpenEditForm,
    /// Open the form for a new user.
    OpenCreateForm,
    /// Step the focused choice field of the form forward (+1) or back (-1).
    CycleFormChoice(i8),
    /// Go on in the form: the next choice on a choice field, the next field after a text one.
    AdvanceForm,
    /// Save the form (checks every field first; only changed fields are sent).
    SaveForm,
    /// Ask to undo the last quick edit or form save.
    RequestUndo,

    // ---- the journal ----
    /// Show or hide the journal panel.
    ToggleJournal,
    /// Highlight the next (+1) or previous (-1) entry.
    StepJournal(i32),
    /// Show only the selected user's entries, or every entry again.
    ToggleJournalUser,
    /// Narrow the journal to the highlighted entry's admin (the team's entries by one admin),
    /// or widen it again.
    ToggleJournalAdmin,
    /// Ask to undo the highlighted entry: the change, or why not, is shown first.
    RequestJournalUndo,
    /// Carry out the undo shown.
    ConfirmJournalUndo,
    /// Edit the count typed to confirm an undo of more than a hundred users.
    EditJournalUndoCount(InputRequest),
    /// Put the undo question away.
    CancelJournalUndo,

    // ---- sessions ----
    /// Mark or unmark the highlighted session for `X`.
    ToggleSessionMark,
    /// Move the choice of sessions to close.
    StepCloseChoice(i32),
    /// Take the highlighted choice: its sessions are listed for a last yes.
    ChooseSessionsToClose,

    // ---- lockdown ----
    /// Open the lockdown dialog for the selected (or marked) users.
    RequestLockdown,
    /// Whether the lockdown also sets a new random password.
    ToggleLockdownPassword,
    /// Carry out the lockdown shown.
    ConfirmLockdown,
    /// Close the lockdown dialog.
    CloseLockdown,

    // ---- the query bar ----
    /// Show the request behind the table.
    OpenQueryBar,
    /// Hide the query bar.
    CloseQueryBar,
    /// Copy the request as a `geobox-users users list` command.
    CopyQueryAsCli,
    /// Copy the request as a `curl` command.
    CopyQueryAsCurl,

    // ---- acting on everyone the filter matches ----
    /// Act on every user matching the view, not only the selected one.
    ChooseWholeQuery,
    /// In a dialog about the selected user, turn to every user the view matches instead.
    WidenToWholeView,
    /// Go on: only the selected user (offer), this value (choice), yes (confirmation).
    AdvanceBulkQuery,
    /// Move the value cursor of the whole-query choice.
    StepBulkQuery(i8),
    /// Edit the count typed to confirm many users.
    EditBulkQueryCount(InputRequest),
    /// Esc: close before writing, or stop after the current batch while writing.
    BackOutOfBulkQuery,

    // ---- saved views ----
    /// Open the picker of saved and built-in views.
    OpenViewPicker,
    /// Ask for a name to save the table's current view under.
    OpenSaveView,
    /// Move the view picker's cursor.
    StepViewPicker(i8),
    /// ⏎ in the picker: apply the highlighted view, or save / rename under the name typed.
    ChooseView,
    /// Delete the highlighted saved view.
    DeleteSelectedView,
    /// Type a new name for the highlighted saved view.
    RenameSelectedView,
    /// Edit the name being typed in the view picker.
    EditViewName(InputRequest),
    /// Esc in the picker: drop the name being typed, else close.
    CloseViewPicker,

    // ---- deployments ----
    /// Open the picker of deployments (`C`).
    OpenDeployments,
    /// Move the picker's cursor (over deployments, or over the matches of a search).
    StepDeployments(i8),
    /// ⏎ in the picker: sign in to the highlighted deployment (after its password, when it
    /// asks for one), run the search typed, or go to the highlighted match.
    ChooseDeployment,
    /// Edit what is typed in the picker: a password, or the search.
    EditDeploymentInput(InputRequest),
    /// Search every deployment (`/` in the picker).
    OpenDeploymentSearch,
    /// Esc in the picker: back from the password or the search, else close.
    CloseDeployments,
    /// Edit the deployment's name typed to let a write through to a protected deployment.
    EditGateName(InputRequest),
    /// Let the write through once the name typed matches.
    ConfirmGate,
    /// Keep the write from being sent: back to its confirmation.
    CancelGate,

    // ---- export ----
    /// Ask where to write every user matching the view.
    OpenExport,
    /// Edit the path of the export.
    EditExportPath(InputRequest),
    /// Swap the export between CSV and JSON lines.
    ToggleExportFormat,
    /// Start writing the export.
    StartExport,
    /// Esc: close before writing, or stop after the current page while writing.
    BackOutOfExport,

    // ---- results ----
    /// The console signed in to another deployment (or could not): who it is there, and
    /// the address it reached.
    SignedIn {
        request: RequestId,
        deployment: String,
        done: Done<Arrived>,
    },
    /// A search across every deployment came back, each deployment's answer in its place.
    FoundEverywhere {
        request: RequestId,
        found: Vec<FoundIn>,
    },
    /// The signed-in user arrived (`users/me/`).
    MeLoaded(Done<User>),
    /// One page of users arrived.
    UsersLoaded { page: u64, done: Done<Vec<User>> },
    /// The number of users matching the filters arrived.
    UsersCounted(Done<u64>),
    /// A live refresh read the rows around the screen again.
    LiveRowsRead {
        window: RowWindow,
        done: Done<Vec<User>>,
    },
    /// A live refresh read the number of users matching the filters again.
    LiveCounted(Done<u64>),
    /// A user's sessions arrived.
    SessionsLoaded {
        user_id: i64,
        done: Done<Vec<Session>>,
    },
    /// The plans arrived.
    PlansLoaded(Done<Vec<Plan>>),
    /// A session was closed (or failed to be).
    SessionClosed {
        user_id: i64,
        uuid: String,
        done: Done<()>,
    },
    /// A user's status or role was changed (or failed to be).
    UserUpdated {
        user_id: i64,
        change: QuickChange,
        done: Done<User>,
    },
    /// A user was deleted (or failed to be).
    UserDeleted {
        user_id: i64,
        username: String,
        done: Done<()>,
    },
    /// A user's password was changed (or failed to be).
    PasswordChanged {
        user_id: i64,
        username: String,
        done: Done<()>,
    },
    /// A user's plan was renewed (or failed to be), with its expiration before and after.
    PlanRenewed {
        user_id: i64,
        username: String,
        written: UserChange,
        done: Done<()>,
    },
    /// A renewed user was read again to show the new expiration.
    UserReloaded { user_id: i64, done: Done<User> },
    /// A marked user's sessions, listed to close every one but the console's own.
    SessionsToClose {
        user_id: i64,
        done: Done<Vec<Session>>,
    },
    /// A form save (or an undo) came back: the user as the server now has it.
    UserSaved { created: bool, done: Done<User> },
    /// The server did not answer a while ago: time to ask it again (backoff fired).
    RetryConnection { token: u64 },
    /// The server answered a retry's probe (or still did not).
    ProbeAnswered(Done<()>),
    /// The user as the server has it, read just before a form save.
    ReadBeforeSave(Done<User>),
    /// Every user matching the view, read before a whole-query change.
    MatchingCollected {
        request: RequestId,
        done: Done<Vec<User>>,
    },
    /// The config file's views were read (or written, then read): `said` tells what was done.
    ViewsLoaded {
        request: RequestId,
        said: Option<String>,
        result: Result<SavedViews, ConfigError>,
    },
    /// An export wrote another page.
    ExportProgressed {
        request: RequestId,
        progress: bulk::Progress,
    },
    /// An export ended: where it wrote and how many users, whether it was stopped, or why it
    /// failed.
    ExportFinished {
        request: RequestId,
        result: Result<ExportDone, ExportError>,
    },
    /// A whole-query change moved on.
    BulkProgressed {
        request: RequestId,
        progress: bulk::Progress,
    },
    /// A whole-query change ended (or was stopped): who changed, failed, was skipped.
    BulkFinished {
        request: RequestId,
        summary: Box<bulk::Summary>,
    },
    /// Earlier journal entries, newest first, as the runner read them.
    JournalRead {
        request: RequestId,
        result: Result<Vec<Entry>, JournalReadError>,
    },
    /// An entry's users as they are now, to plan its undo.
    UndoChecked {
        entry: Box<Entry>,
        done: Done<Vec<Option<User>>>,
    },
    /// One user's lockdown came back: every step's outcome, or why nothing was done.
    LockedDown {
        user_id: i64,
        done: Done<LockdownDone>,
    },
    /// An undo was not carried out: another admin is undoing the entry, or did, or the
    /// journal could not claim it (nothing was written).
    UndoRefused { request: RequestId, reason: String },
    /// How many journal entries wait to be sent to the team journal, and why, when that
    /// changed.
    JournalShared(Sharing),
    /// An undo ran: its entry (stamped by update) and the passwords of users created again,
    /// to show once.
    UndoApplied {
        request: RequestId,
        entry: Box<Entry>,
        new_passwords: Vec<(String, Secret)>,
        /// Whether some write of the undo could not reach the server.
        unreachable: bool,
    },
}

/// What a lockdown did, as the runner hands it back: the journal entry (stamped by update),
/// each step in words, and the new password to show once.
#[derive(Clone, Debug)]
pub struct LockdownDone {
    pub entry: Box<Entry>,
    pub username: Option<String>,
    pub steps: Vec<String>,
    pub missed: Option<String>,
    pub new_password: Option<Secret>,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportDone {
    pub path: PathBuf,
    pub written: usize,
    /// Stopped before the last page (Esc).
    pub stopped: bool,
}

/// Why an export stopped short. A failed read keeps the API's error, so the console can tell
/// a server that went away from one that said no.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Api(#[from] ApiError),
    /// Something is already at the path: a file (written over only once the admin says so),
    /// or a link (never followed).
    #[error("{} already exists", .path.display())]
    Exists { path: PathBuf },
    #[error("cannot write {}: {source}", .path.display())]
    Create {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
    #[error("writing {} failed: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
}

/// Why earlier journal entries could not be read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum JournalReadError {
    #[error("no data directory for the journal: set {DATA_DIR_VAR}")]
    NoDataDirectory,
    #[error("cannot read the journal: {0}")]
    Unreadable(#[source] Arc<std::io::Error>),
}

/// The saved views of the config file, by name.
pub type SavedViews = Vec<(String, View)>;

/// A deployment signed in to: who the console is there, and the API base it reached.
#[derive(Clone, Debug)]
pub struct Arrived {
    pub me: User,
    pub api_base: String,
}

/// One deployment's answer to a search across deployments.
#[derive(Clone, Debug)]
pub struct FoundIn {
    pub deployment: String,
    pub result: Result<Vec<User>, ApiError>,
}

/// The rows a live refresh reads: `rows` rows from row `first`, read from the other end of
/// the list (and flipped on arrival) when `backwards`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowWindow {
    pub first: u64,
    pub rows: u64,
    pub backwards: bool,
}

/// A one-field change made from a picker.
#[derive(Clone, Debug, PartialEq)]
pub enum QuickChange {
    Status(UserStatus),
    Role(UserRole),
}

impl QuickChange {
    /// The update it sends.
    pub fn to_update(&self) -> UserUpdate {
        match self {
            QuickChange::Status(status) => UserUpdate {
                status: Some(status.clone()),
                ..UserUpdate::default()
            },
            QuickChange::Role(role) => UserUpdate {
                role: Some(role.clone()),
                ..UserUpdate::default()
            },
        }
    }
}
