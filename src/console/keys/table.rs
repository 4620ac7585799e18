//! The keymap itself: every binding of the console, one per line.

use crossterm::event::KeyCode;

use super::{Binding, Context as C, Key, act, admin, bind, ch, ctrl, key, typing_in};
use crate::console::model::{BulkStage, Confirm, ExportDialog, Focus, Mode, Model, Needs, UndoAsk};
use crate::console::msg::Msg;

const UP: Key = key(KeyCode::Up);
const DOWN: Key = key(KeyCode::Down);
const LEFT: Key = key(KeyCode::Left);
const RIGHT: Key = key(KeyCode::Right);
const ENTER: Key = key(KeyCode::Enter);
const ESC: Key = key(KeyCode::Esc);
const TAB: Key = key(KeyCode::Tab);
const BACK_TAB: Key = key(KeyCode::BackTab);
const PAGE_DOWN: Key = key(KeyCode::PageDown);
const PAGE_UP: Key = key(KeyCode::PageUp);
const HOME: Key = key(KeyCode::Home);
const END: Key = key(KeyCode::End);
const SPACE: Key = ch(' ');

/// Space picks the next choice on a choice field of the filter panel, and types in a text one.
fn on_filter_choice(model: &Model) -> bool {
    matches!(&model.mode, Mode::Filters(panel) if !panel.field.is_text())
}

/// Space picks the next choice on role, status and plan, and types in a text field.
fn on_form_choice(model: &Model) -> bool {
    matches!(&model.mode, Mode::Form(form) if form.focused().is_choice())
}

fn banner_shown(model: &Model) -> bool {
    model.banner.is_some()
}

fn users_marked(model: &Model) -> bool {
    !model.users.marked.is_empty()
}

fn activity_shown(model: &Model) -> bool {
    model.show_activity
}

/// Esc on the table clears a kept search, as k9s clears its filter; elsewhere it goes back.
fn search_kept_on_table(model: &Model) -> bool {
    !model.filters.search.is_empty() && model.focus == Focus::Table
}

/// The footer offers `u` while the last change is not undone yet (pressed, `u` then says so).
fn undo_available(model: &Model) -> bool {
    model
        .journal
        .last_change()
        .is_some_and(|last| !last.undone.as_ref().is_some_and(|undone| undone.whole))
}

fn lockdown_asking(model: &Model) -> bool {
    matches!(&model.mode, Mode::Lockdown(dialog) if dialog.is_asking())
}

fn journal_undo_ready(model: &Model) -> bool {
    matches!(&model.mode, Mode::Journal(view)
        if matches!(view.undo, UndoAsk::Ready { .. }) && !view.undo.typing_count())
}

/// An undo of more than a hundred users: the count is typed, and ⏎ confirms it.
fn journal_undo_counting(model: &Model) -> bool {
    matches!(&model.mode, Mode::Journal(view) if view.undo.typing_count())
}

/// Ctrl-C in a form with unsaved changes asks first, like Esc; asked, it quits.
fn form_changed(model: &Model) -> bool {
    matches!(&model.mode, Mode::Form(form) if form.is_changed())
}

fn bulk_offering(model: &Model) -> bool {
    matches!(&model.mode, Mode::BulkQuery(query) if matches!(query.stage, BulkStage::Offer))
}

fn bulk_choosing(model: &Model) -> bool {
    matches!(&model.mode, Mode::BulkQuery(query) if matches!(query.stage, BulkStage::Choose { .. }))
}

/// `⏎` and `y` go on while something is asked; `y` is text while the count is typed.
fn bulk_asking(model: &Model) -> bool {
    matches!(&model.mode, Mode::BulkQuery(query) if !query.typing_count()
        && matches!(query.stage, BulkStage::Offer | BulkStage::Choose { .. } | BulkStage::Confirm { .. }))
}

fn bulk_typing(model: &Model) -> bool {
    matches!(&model.mode, Mode::BulkQuery(query) if query.typing_count())
}

/// `a` turns a status or role picker for the selected user to every user the view matches.
fn picker_widens(model: &Model) -> bool {
    matches!(&model.mode, Mode::Picker(picker) if picker.targets.len() == 1)
        && model.may_widen_to_view()
}

/// `a` turns the renewal of the selected user's plan to every user the view matches.
fn renewal_widens(model: &Model) -> bool {
    matches!(&model.mode, Mode::Confirm(confirm) if matches!(**confirm, Confirm::RenewPlan { .. }))
        && model.may_widen_to_view()
}

/// `a` turns the lockdown of the selected user to every user the view matches.
fn lockdown_widens(model: &Model) -> bool {
    matches!(&model.mode, Mode::Lockdown(dialog) if dialog.is_asking() && dialog.targets.len() == 1)
        && model.may_widen_to_view()
}

fn export_asking(model: &Model) -> bool {
    matches!(&model.mode, Mode::Export(dialog) if matches!(**dialog, ExportDialog::Asking { .. }))
}

/// Something is already at the export's path: `y` writes over it, `n` names another file.
fn export_overwriting(model: &Model) -> bool {
    matches!(&model.mode, Mode::Export(dialog) if matches!(**dialog, ExportDialog::Overwrite { .. }))
}

/// Keys move and act in the view picker unless a name is being typed.
fn views_listing(model: &Model) -> bool {
    matches!(&model.mode, Mode::Views(picker) if picker.naming.is_none())
}

/// Keys move and act in the deployment picker unless a password or a search is typed.
fn deployments_listing(model: &Model) -> bool {
    matches!(&model.mode, Mode::Deployments(picker) if !typing_in(&picker.stage))
}

/// Every binding, one per line: context, keys, how the keys are written, what the binding
/// does (help), its footer hint (empty: none), the intent it sends. `act` marks a binding that
/// changes something (hidden in read-only mode); `only_when` a binding that applies only in
/// some states. Within a context the first binding that applies wins; the focused pane's
/// context is looked at before `Global`, and `Always` last.
#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    // The table
    bind(C::Table, &[ch('j'), DOWN], "j/↓", "next user", "j/k move", || Msg::SelectNextUser),
    bind(C::Table, &[ch('k'), UP], "k/↑", "previous user", "", || Msg::SelectPrevUser),
    bind(C::Table, &[PAGE_DOWN, ctrl('d')], "PgDn", "one screen down", "", || Msg::PageDownUsers),
    bind(C::Table, &[PAGE_UP, ctrl('u')], "PgUp", "one screen up", "", || Msg::PageUpUsers),
    bind(C::Table, &[ch('g'), HOME], "g", "first user", "", || Msg::SelectFirstUser),
    bind(C::Table, &[ch('G'), END], "G", "last user", "", || Msg::SelectLastUser),
    bind(C::Table, &[ENTER], "⏎", "open the user's detail", "⏎ details", || Msg::OpenDetail),
    admin(C::Table, &[SPACE], "Space", "mark / unmark for a bulk action", "Space mark", || Msg::ToggleMark),
    admin(C::Table, &[ch('v'), ctrl(' ')], "v", "mark from the last marked user to here", "", || Msg::MarkRange),
    admin(C::Table, &[ctrl('a')], "Ctrl-A", "mark every user on screen", "", || Msg::MarkAllVisible),
    // The detail pane
    bind(C::Detail, &[ch('j'), DOWN], "j/↓", "scroll down", "j/k scroll", || Msg::ScrollFocused(1)),
    bind(C::Detail, &[ch('k'), UP], "k/↑", "scroll up", "", || Msg::ScrollFocused(-1)),
    // The sessions list
    bind(C::Sessions, &[ch('j'), DOWN], "j/↓", "next session", "j/k move", || Msg::SelectNextSession),
    bind(C::Sessions, &[ch('k'), UP], "k/↑", "previous session", "", || Msg::SelectPrevSession),
    act(C::Sessions, &[ch('x')], "x", "close the selected session (asks)", "x revoke", || Msg::RequestCloseSession).needs(Needs::Change, false),
    act(C::Sessions, &[SPACE], "Space", "mark / unmark the session for X", "", || Msg::ToggleSessionMark),
    // The activity log
    bind(C::Activity, &[ch('j'), DOWN], "j/↓", "newer entries", "j/k scroll", || Msg::ScrollFocused(1)),
    bind(C::Activity, &[ch('k'), UP], "k/↑", "older entries", "", || Msg::ScrollFocused(-1)),
    bind(C::Activity, &[ESC], "Esc", "close the log", "Esc close", || Msg::ToggleActivityLog),
    // Anywhere on the main screen; the footer shows these hints in this order, as many as fit
    admin(C::Global, &[ch('u')], "u", "undo the last change (asks first)", "u undo", || Msg::RequestUndo).only_when(undo_available),
    admin(C::Global, &[ch('u')], "u", "undo the last change (asks first)", "", || Msg::RequestUndo),
    bind(C::Global, &[ch('/')], "/", "search (live)", "/ search", || Msg::OpenSearch).lists(),
    admin(C::Global, &[ch('e')], "e", "edit the selected user (form)", "e edit", || Msg::OpenEditForm).needs(Needs::Change, false),
    admin(C::Global, &[ch('s')], "s", "set status (marked, selected, or all filtered)", "s status", || Msg::OpenStatusPicker).needs(Needs::Administer, true).offers_view(),
    admin(C::Global, &[ch('r')], "r", "set role (marked, selected, or all filtered)", "r role", || Msg::OpenRolePicker).needs(Needs::Administer, true).offers_view(),
    bind(C::Global, &[ch('f')], "f", "filters: status, role, CQL, sort", "f filter", || Msg::OpenFilters).lists(),
    admin(C::Global, &[ch('n')], "n", "create a new user (form)", "n new", || Msg::OpenCreateForm),
    admin(C::Global, &[ch('D')], "D", "delete the user (type its name)", "D delete", || Msg::RequestDeleteUser).needs(Needs::Delete, false),
    act(C::Global, &[ch('X')], "X", "close other sessions (marked too)", "X revoke others", || Msg::RequestCloseOtherSessions).needs(Needs::Change, true),
    admin(C::Global, &[ch('!')], "!", "lock down: disable, close every session (marked, selected, or all filtered)", "", || Msg::RequestLockdown).needs(Needs::Administer, true).offers_view(),
    admin(C::Global, &[ch('p')], "p", "change the selected user's password", "p password", || Msg::OpenPasswordDialog).needs(Needs::Change, false),
    admin(C::Global, &[ch('P')], "P", "renew the plan (selected, or all filtered)", "P renew", || Msg::RequestRenewPlan).needs(Needs::Administer, false).offers_view(),
    bind(C::Global, &[ch('o')], "o", "sort by the next column", "o/O sort", || Msg::CycleSortColumn).lists(),
    bind(C::Global, &[ch('O')], "O", "flip the sort direction", "", || Msg::FlipSortDirection).lists(),
    bind(C::Global, &[TAB], "Tab", "focus the next pane", "Tab pane", || Msg::FocusNext),
    bind(C::Global, &[BACK_TAB], "Shift-Tab", "focus the previous pane", "", || Msg::FocusPrev),
    bind(C::Global, &[ch('L')], "L", "the journal of writes (this run first)", "L journal", || Msg::ToggleJournal),
    bind(C::Global, &[ch('A')], "A", "show / hide the activity log", "", || Msg::ToggleActivityLog),
    bind(C::Global, &[ch('R')], "R", "reload", "R reload", || Msg::Reload),
    bind(C::Global, &[ch('C')], "C", "deployments: switch to another (each keeps its filters), / searches them all", "", || Msg::OpenDeployments),
    bind(C::Global, &[ch('t')], "t", "live refresh on / off (the title bar shows ⟳ live, or when it last read)", "", || Msg::ToggleLive),
    bind(C::Global, &[ch('F')], "F", "saved and built-in views: pick, delete, rename", "F views", || Msg::OpenViewPicker).lists(),
    bind(C::Global, &[ch('V')], "V", "save the current filters and sort as a view", "", || Msg::OpenSaveView).lists(),
    bind(C::Global, &[ch('w')], "w", "export every user matching the view (CSV or JSON lines)", "w export", || Msg::OpenExport).lists(),
    bind(C::Global, &[ch(':')], ":", "the request behind the table (y/Y copy it)", ": query", || Msg::OpenQueryBar),
    bind(C::Global, &[ESC], "Esc", "dismiss the banner", "", || Msg::DismissBanner).only_when(banner_shown),
    bind(C::Global, &[ESC], "Esc", "clear the marks", "Esc unmark", || Msg::ClearMarks).only_when(users_marked),
    bind(C::Global, &[ESC], "Esc", "clear the kept search", "", || Msg::ClearSearch).only_when(search_kept_on_table),
    bind(C::Global, &[ESC], "Esc", "back to the table", "", || Msg::FocusTable),
    bind(C::Global, &[ch('?')], "?", "this help", "? help", || Msg::ToggleHelp),
    bind(C::Global, &[ch('q')], "q", "close the activity log", "q close log", || Msg::ToggleActivityLog).only_when(activity_shown),
    bind(C::Global, &[ch('q')], "q", "quit", "q quit", || Msg::Quit),
    // The journal panel
    bind(C::Journal, &[ch('j'), DOWN], "j/↓", "next (older) entry", "j/k move", || Msg::StepJournal(1)),
    bind(C::Journal, &[ch('k'), UP], "k/↑", "previous (newer) entry", "", || Msg::StepJournal(-1)),
    bind(C::Journal, &[ch('f')], "f", "only the selected user's entries / all", "f this user", || Msg::ToggleJournalUser),
    bind(C::Journal, &[ch('a')], "a", "only the highlighted entry's admin / every admin", "a this admin", || Msg::ToggleJournalAdmin),
    admin(C::Journal, &[ch('u')], "u", "undo the entry (shows the change first)", "u undo", || Msg::RequestJournalUndo),
    bind(C::Journal, &[ESC, ch('q'), ch('L')], "Esc", "close the journal", "Esc close", || Msg::ToggleJournal),
    bind(C::JournalUndo, &[ch('y'), ENTER], "y / ⏎", "carry out the undo shown", "y undo", || Msg::ConfirmJournalUndo).only_when(journal_undo_ready),
    bind(C::JournalUndo, &[ENTER], "⏎", "undo, once the count of users typed matches", "⏎ undo", || Msg::ConfirmJournalUndo).only_when(journal_undo_counting),
    bind(C::JournalUndo, &[ch('n'), ESC, ch('q')], "n / Esc", "keep things as they are", "n/Esc no", || Msg::CancelJournalUndo),
    // X: which sessions to close
    bind(C::CloseChoice, &[ch('j'), DOWN], "j/↓", "next choice", "j/k move", || Msg::StepCloseChoice(1)),
    bind(C::CloseChoice, &[ch('k'), UP], "k/↑", "previous choice", "", || Msg::StepCloseChoice(-1)),
    bind(C::CloseChoice, &[ENTER], "⏎", "list those sessions (asks once more)", "⏎ choose", || Msg::ChooseSessionsToClose),
    bind(C::CloseChoice, &[ESC, ch('q')], "Esc", "cancel", "Esc cancel", || Msg::CancelDialog),
    // The lockdown dialog
    bind(C::Lockdown, &[ch('y'), ENTER], "y / ⏎", "lock down (once)", "y lock down", || Msg::ConfirmLockdown).only_when(lockdown_asking),
    bind(C::Lockdown, &[ch('p'), SPACE], "p", "also set a new random password (shown once)", "p new password", || Msg::ToggleLockdownPassword).only_when(lockdown_asking),
    admin(C::Lockdown, &[ch('a')], "a", "lock down every user the view matches instead", "a all matching", || Msg::WidenToWholeView).only_when(lockdown_widens),
    bind(C::Lockdown, &[ch('n'), ESC, ch('q')], "n / Esc", "close (a new password shown is forgotten)", "Esc close", || Msg::CloseLockdown),
    // The search line
    bind(C::Search, &[ENTER], "⏎", "keep the search", "⏎ keep", || Msg::KeepSearch),
    bind(C::Search, &[ESC], "Esc", "clear the search", "Esc clear", || Msg::ClearSearch),
    // The filter panel
    bind(C::Filters, &[TAB, DOWN], "Tab/↓", "next field", "Tab/↑↓ field", || Msg::FocusNextFilterField),
    bind(C::Filters, &[BACK_TAB, UP], "Shift-Tab/↑", "previous field", "", || Msg::FocusPrevFilterField),
    bind(C::Filters, &[RIGHT], "→", "next choice (on a choice field)", "←→ choose", || Msg::CycleFilterChoice(1)),
    bind(C::Filters, &[SPACE], "Space", "next choice (on a choice field)", "", || Msg::CycleFilterChoice(1)).only_when(on_filter_choice),
    bind(C::Filters, &[LEFT], "←", "previous choice (on a choice field)", "", || Msg::CycleFilterChoice(-1)),
    bind(C::Filters, &[ENTER], "⏎", "apply the filters", "⏎ apply", || Msg::ApplyFilters),
    bind(C::Filters, &[ctrl('r')], "Ctrl-R", "clear every field", "Ctrl-R clear", || Msg::ResetFilterFields),
    bind(C::Filters, &[ESC], "Esc", "close without applying", "Esc cancel", || Msg::CloseFilters),
    // The help overlay
    bind(C::Help, &[ch('j'), DOWN], "j/↓", "scroll down", "", || Msg::ScrollFocused(1)),
    bind(C::Help, &[ch('k'), UP], "k/↑", "scroll up", "", || Msg::ScrollFocused(-1)),
    bind(C::Help, &[ch('?'), ESC, ch('q')], "? / Esc", "close the help", "Esc close", || Msg::ToggleHelp),
    // Pickers
    bind(C::Picker, &[ch('j'), DOWN], "j/↓", "next choice", "j/k move", || Msg::PickerNext),
    bind(C::Picker, &[ch('k'), UP], "k/↑", "previous choice", "", || Msg::PickerPrev),
    bind(C::Picker, &[ENTER], "⏎", "set it", "⏎ set", || Msg::PickerChoose),
    admin(C::Picker, &[ch('a')], "a", "set it for every user the view matches instead", "a all matching", || Msg::WidenToWholeView).only_when(picker_widens),
    bind(C::Picker, &[ESC, ch('q')], "Esc", "cancel", "Esc cancel", || Msg::CancelDialog),
    // Yes/no confirmations
    bind(C::Confirm, &[ch('y'), ENTER], "y / ⏎", "yes, do it", "y yes", || Msg::ConfirmDialog),
    bind(C::Confirm, &[ch('n'), ESC, ch('q')], "n / Esc", "no, keep things as they are", "n/Esc no", || Msg::CancelDialog),
    admin(C::Confirm, &[ch('a')], "a", "renew every plan the view matches instead", "a all matching", || Msg::WidenToWholeView).only_when(renewal_widens),
    // Delete: the username is typed, so letters are text here
    bind(C::Delete, &[ENTER], "⏎", "delete once the name matches", "⏎ delete", || Msg::ConfirmDialog),
    bind(C::Delete, &[ESC], "Esc", "cancel", "Esc cancel", || Msg::CancelDialog),
    // Disabling or demoting yourself: your own username is typed, so letters are text here
    bind(C::SelfHarm, &[ENTER], "⏎", "go ahead once your username is typed", "⏎ go ahead", || Msg::ConfirmDialog),
    bind(C::SelfHarm, &[ESC], "Esc", "keep things as they are", "Esc keep", || Msg::CancelDialog),
    // Password
    bind(C::Password, &[TAB, BACK_TAB, DOWN, UP], "Tab", "the other field", "Tab field", || Msg::DialogNextField),
    bind(C::Password, &[ENTER], "⏎", "change it (when both match)", "⏎ change", || Msg::ConfirmDialog),
    bind(C::Password, &[ESC], "Esc", "cancel (forgets what was typed)", "Esc cancel", || Msg::CancelDialog),
    // The edit and create forms
    bind(C::Form, &[TAB, DOWN], "Tab/↓", "next field", "Tab field", || Msg::DialogNextField),
    bind(C::Form, &[BACK_TAB, UP], "Shift-Tab/↑", "previous field", "", || Msg::DialogPrevField),
    bind(C::Form, &[RIGHT], "→", "next choice (on role, status, plan)", "←→ choose", || Msg::CycleFormChoice(1)),
    bind(C::Form, &[SPACE], "Space", "next choice (on role, status, plan)", "", || Msg::CycleFormChoice(1)).only_when(on_form_choice),
    bind(C::Form, &[LEFT], "←", "previous choice", "", || Msg::CycleFormChoice(-1)),
    bind(C::Form, &[ENTER], "⏎", "next choice, or the next field", "", || Msg::AdvanceForm),
    bind(C::Form, &[ctrl('s')], "Ctrl-S", "save (changes shown on the right)", "Ctrl-S save", || Msg::SaveForm),
    bind(C::Form, &[ESC], "Esc", "close (asks when something changed)", "Esc close", || Msg::CancelDialog),
    bind(C::Form, &[ctrl('c')], "Ctrl-C", "close (asks when something changed; again quits)", "", || Msg::CancelDialog).only_when(form_changed),
    // The query bar
    bind(C::QueryBar, &[ch('y')], "y", "copy as a geobox-users command", "y copy CLI", || Msg::CopyQueryAsCli),
    bind(C::QueryBar, &[ch('Y')], "Y", "copy as a curl command", "Y copy curl", || Msg::CopyQueryAsCurl),
    bind(C::QueryBar, &[ESC, ch(':'), ch('q')], "Esc", "close the query bar", "Esc close", || Msg::CloseQueryBar),
    // Acting on every user the filter matches
    bind(C::BulkQuery, &[ch('a')], "a", "all users matching the view", "a all matching", || Msg::ChooseWholeQuery).only_when(bulk_offering),
    bind(C::BulkQuery, &[ch('j'), DOWN], "j/↓", "next value", "j/k move", || Msg::StepBulkQuery(1)).only_when(bulk_choosing),
    bind(C::BulkQuery, &[ch('k'), UP], "k/↑", "previous value", "", || Msg::StepBulkQuery(-1)).only_when(bulk_choosing),
    bind(C::BulkQuery, &[ENTER, ch('y')], "⏎", "go on: only the selected user, this value, or yes", "⏎ go on", || Msg::AdvanceBulkQuery).only_when(bulk_asking),
    bind(C::BulkQuery, &[ENTER], "⏎", "yes, once the count typed matches", "⏎ yes", || Msg::AdvanceBulkQuery).only_when(bulk_typing),
    bind(C::BulkQuery, &[ESC], "Esc", "close; while writing, stop after the current batch", "Esc stop/cancel", || Msg::BackOutOfBulkQuery),
    // The picker of saved views; a name being typed takes letters as text
    bind(C::Views, &[ch('j'), DOWN], "j/↓", "next view", "j/k move", || Msg::StepViewPicker(1)).only_when(views_listing),
    bind(C::Views, &[ch('k'), UP], "k/↑", "previous view", "", || Msg::StepViewPicker(-1)).only_when(views_listing),
    bind(C::Views, &[ENTER], "⏎", "apply the view (or save under the name typed)", "⏎ apply/save", || Msg::ChooseView),
    bind(C::Views, &[ch('d')], "d", "delete the saved view", "d delete", || Msg::DeleteSelectedView).only_when(views_listing),
    bind(C::Views, &[ch('r')], "r", "rename the saved view", "r rename", || Msg::RenameSelectedView).only_when(views_listing),
    bind(C::Views, &[ESC], "Esc", "drop the name typed, else close", "Esc close", || Msg::CloseViewPicker),
    // The export dialog: the path is text
    bind(C::Export, &[ENTER], "⏎", "write the file (asks before writing over one)", "⏎ write", || Msg::StartExport).only_when(export_asking),
    bind(C::Export, &[TAB], "Tab", "CSV ↔ JSON lines", "Tab format", || Msg::ToggleExportFormat).only_when(export_asking),
    bind(C::Export, &[ch('y')], "y", "write over the file named", "y write over it", || Msg::StartExport).only_when(export_overwriting),
    bind(C::Export, &[ch('n')], "n", "choose another name", "n/Esc another name", || Msg::BackOutOfExport).only_when(export_overwriting),
    bind(C::Export, &[ESC], "Esc", "close; while writing, stop after the current page", "Esc stop/cancel", || Msg::BackOutOfExport),
    // The picker of deployments; a password or a search being typed takes letters as text
    bind(C::Deployments, &[ch('j'), DOWN], "j/↓", "next deployment (or match)", "j/k move", || Msg::StepDeployments(1)).only_when(deployments_listing),
    bind(C::Deployments, &[ch('k'), UP], "k/↑", "previous deployment (or match)", "", || Msg::StepDeployments(-1)).only_when(deployments_listing),
    bind(C::Deployments, &[ENTER], "⏎", "switch to it (asks its password when its profile names none); on a match, go to the user there", "⏎ switch", || Msg::ChooseDeployment),
    bind(C::Deployments, &[ch('/')], "/", "search every deployment at once", "/ search all", || Msg::OpenDeploymentSearch).only_when(deployments_listing),
    bind(C::Deployments, &[ESC], "Esc", "back to the list, else close", "Esc back", || Msg::CloseDeployments),
    bind(C::Deployments, &[ch('q')], "q", "close", "", || Msg::CloseDeployments).only_when(deployments_listing),
    // A write to a protected deployment: its name is typed, so letters are text here
    bind(C::Gate, &[ENTER], "⏎", "send the change once the deployment's name matches", "⏎ send", || Msg::ConfirmGate),
    bind(C::Gate, &[ESC], "Esc", "send nothing: back to the dialog", "Esc back", || Msg::CancelGate),
    // Wherever the keyboard is, text fields included
    bind(C::Always, &[ctrl('c')], "Ctrl-C", "quit", "", || Msg::Quit),
];
