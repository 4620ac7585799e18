//! The one keymap: which key does what in which context. `update` reads it to turn keys into
//! intents, the footer shows the bindings of the current context, and the help overlay lists
//! them all, so the three can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::InputRequest;

use super::model::{FilterField, Focus, Mode, Model};
use super::msg::Msg;

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The main screen, whatever pane has focus.
    Global,
    Table,
    Detail,
    Sessions,
    Search,
    Filters,
    Help,
    Picker,
    Confirm,
    Delete,
    Password,
    Form,
}

impl Context {
    /// The heading of this context in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Anywhere",
            Context::Table => "User table",
            Context::Detail => "Detail pane",
            Context::Sessions => "Sessions",
            Context::Search => "Search line",
            Context::Filters => "Filter panel",
            Context::Help => "Help",
            Context::Picker => "Status / role picker",
            Context::Confirm => "Confirmations",
            Context::Delete => "Delete dialog",
            Context::Password => "Password dialog",
            Context::Form => "Edit / create form",
        }
    }
}

/// A key with its modifiers (Shift is ignored: it is part of the character).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

/// One line of the keymap.
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    /// How the keys are written in the help and footer (`j/↓`).
    pub label: &'static str,
    /// What the binding does, for the help overlay.
    pub help: &'static str,
    /// The short word in the footer; empty keeps it out of the footer.
    pub footer: &'static str,
    /// Changes users or sessions: hidden and disabled in read-only mode.
    pub action: bool,
    pub msg: fn() -> Msg,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    footer: &'static str,
    msg: fn() -> Msg,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        help,
        footer,
        action: false,
        msg,
    }
}

const fn act(
    context: Context,
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    footer: &'static str,
    msg: fn() -> Msg,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        help,
        footer,
        action: true,
        msg,
    }
}

use Context as C;

/// Every binding, one per line like a table. Within a mode, the focused pane's bindings are looked at before Global's.
#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    // The table
    bind(
        C::Table,
        &[ch('j'), key(KeyCode::Down)],
        "j/↓",
        "next user",
        "j/k move",
        || Msg::SelectNextUser,
    ),
    bind(
        C::Table,
        &[ch('k'), key(KeyCode::Up)],
        "k/↑",
        "previous user",
        "",
        || Msg::SelectPrevUser,
    ),
    bind(
        C::Table,
        &[key(KeyCode::PageDown), ctrl('d')],
        "PgDn",
        "one screen down",
        "",
        || Msg::PageDownUsers,
    ),
    bind(
        C::Table,
        &[key(KeyCode::PageUp), ctrl('u')],
        "PgUp",
        "one screen up",
        "",
        || Msg::PageUpUsers,
    ),
    bind(
        C::Table,
        &[ch('g'), key(KeyCode::Home)],
        "g",
        "first user",
        "",
        || Msg::SelectFirstUser,
    ),
    bind(
        C::Table,
        &[ch('G'), key(KeyCode::End)],
        "G",
        "last user",
        "",
        || Msg::SelectLastUser,
    ),
    bind(
        C::Table,
        &[key(KeyCode::Enter)],
        "⏎",
        "open the user's detail",
        "⏎ details",
        || Msg::OpenDetail,
    ),
    act(
        C::Table,
        &[ch(' ')],
        "Space",
        "mark / unmark for a bulk action",
        "Space mark",
        || Msg::ToggleMark,
    ),
    // The detail pane
    bind(
        C::Detail,
        &[ch('j'), key(KeyCode::Down)],
        "j/↓",
        "scroll down",
        "j/k scroll",
        || Msg::ScrollFocused(1),
    ),
    bind(
        C::Detail,
        &[ch('k'), key(KeyCode::Up)],
        "k/↑",
        "scroll up",
        "",
        || Msg::ScrollFocused(-1),
    ),
    // The sessions list
    bind(
        C::Sessions,
        &[ch('j'), key(KeyCode::Down)],
        "j/↓",
        "next session",
        "j/k move",
        || Msg::SelectNextSession,
    ),
    bind(
        C::Sessions,
        &[ch('k'), key(KeyCode::Up)],
        "k/↑",
        "previous session",
        "",
        || Msg::SelectPrevSession,
    ),
    act(
        C::Sessions,
        &[ch('x')],
        "x",
        "close the selected session (asks)",
        "x revoke",
        || Msg::RequestCloseSession,
    ),
    // Anywhere on the main screen
    bind(
        C::Global,
        &[ch('/')],
        "/",
        "search (live)",
        "/ search",
        || Msg::OpenSearch,
    ),
    bind(
        C::Global,
        &[ch('f')],
        "f",
        "filters: status, role, CQL, sort",
        "f filter",
        || Msg::OpenFilters,
    ),
    bind(
        C::Global,
        &[ch('o')],
        "o",
        "sort by the next column",
        "o/O sort",
        || Msg::CycleSortColumn,
    ),
    bind(
        C::Global,
        &[ch('O')],
        "O",
        "flip the sort direction",
        "",
        || Msg::FlipSortDirection,
    ),
    bind(
        C::Global,
        &[key(KeyCode::Tab)],
        "Tab",
        "focus the next pane",
        "Tab pane",
        || Msg::FocusNext,
    ),
    bind(
        C::Global,
        &[key(KeyCode::BackTab)],
        "Shift-Tab",
        "focus the previous pane",
        "",
        || Msg::FocusPrev,
    ),
    act(
        C::Global,
        &[ch('s')],
        "s",
        "set status (marked or selected)",
        "s status",
        || Msg::OpenStatusPicker,
    ),
    act(
        C::Global,
        &[ch('r')],
        "r",
        "set role (marked or selected)",
        "r role",
        || Msg::OpenRolePicker,
    ),
    act(
        C::Global,
        &[ch('D')],
        "D",
        "delete the user (type its name)",
        "D delete",
        || Msg::RequestDeleteUser,
    ),
    act(C::Global, &[ch('X')], "X", "close other sessions (marked too)", "X revoke others", || Msg::RequestCloseOtherSessions),
    act(
        C::Global,
        &[ch('e')],
        "e",
        "edit the selected user (form)",
        "e edit",
        || Msg::OpenEditForm,
    ),
    act(
        C::Global,
        &[ch('n')],
        "n",
        "create a new user (form)",
        "n new",
        || Msg::OpenCreateForm,
    ),
    act(
        C::Global,
        &[ch('u')],
        "u",
        "undo the last edit (asks first)",
        "",
        || Msg::RequestUndo,
    ),
    act(
        C::Global,
        &[ch('p')],
        "p",
        "change the selected user's password",
        "",
        || Msg::OpenPasswordDialog,
    ),
    act(
        C::Global,
        &[ch('P')],
        "P",
        "renew the selected user's plan",
        "",
        || Msg::RequestRenewPlan,
    ),
    bind(
        C::Global,
        &[ch('L')],
        "L",
        "show / hide the activity log",
        "",
        || Msg::ToggleActivityLog,
    ),
    bind(C::Global, &[ch('R')], "R", "reload", "", || Msg::Reload),
    bind(
        C::Global,
        &[key(KeyCode::Esc)],
        "Esc",
        "dismiss banner, clear marks",
        "",
        || Msg::DismissBanner,
    ),
    bind(C::Global, &[ch('?')], "?", "this help", "? help", || {
        Msg::ToggleHelp
    }),
    bind(
        C::Global,
        &[ch('q'), ctrl('c')],
        "q / Ctrl-C",
        "quit",
        "q quit",
        || Msg::Quit,
    ),
    // The search line
    bind(
        C::Search,
        &[key(KeyCode::Enter)],
        "⏎",
        "keep the search",
        "⏎ keep",
        || Msg::KeepSearch,
    ),
    bind(
        C::Search,
        &[key(KeyCode::Esc)],
        "Esc",
        "clear the search",
        "Esc clear",
        || Msg::ClearSearch,
    ),
    // The filter panel
    bind(
        C::Filters,
        &[key(KeyCode::Tab), key(KeyCode::Down)],
        "Tab/↓",
        "next field",
        "Tab/↑↓ field",
        || Msg::FocusNextFilterField,
    ),
    bind(
        C::Filters,
        &[key(KeyCode::BackTab), key(KeyCode::Up)],
        "Shift-Tab/↑",
        "previous field",
        "",
        || Msg::FocusPrevFilterField,
    ),
    bind(
        C::Filters,
        &[key(KeyCode::Right)],
        "→/Space",
        "next choice (on a choice field)",
        "←→ choose",
        || Msg::CycleFilterChoice(1),
    ),
    bind(
        C::Filters,
        &[key(KeyCode::Left)],
        "←",
        "previous choice (on a choice field)",
        "",
        || Msg::CycleFilterChoice(-1),
    ),
    bind(
        C::Filters,
        &[key(KeyCode::Enter)],
        "⏎",
        "apply the filters",
        "⏎ apply",
        || Msg::ApplyFilters,
    ),
    bind(
        C::Filters,
        &[ctrl('r')],
        "Ctrl-R",
        "clear every field",
        "Ctrl-R clear",
        || Msg::ResetFilterFields,
    ),
    bind(
        C::Filters,
        &[key(KeyCode::Esc)],
        "Esc",
        "close without applying",
        "Esc cancel",
        || Msg::CloseFilters,
    ),
    // The help overlay
    bind(
        C::Help,
        &[ch('j'), key(KeyCode::Down)],
        "j/↓",
        "scroll down",
        "",
        || Msg::ScrollFocused(1),
    ),
    bind(
        C::Help,
        &[ch('k'), key(KeyCode::Up)],
        "k/↑",
        "scroll up",
        "",
        || Msg::ScrollFocused(-1),
    ),
    bind(
        C::Help,
        &[ch('?'), key(KeyCode::Esc), ch('q')],
        "? / Esc",
        "close the help",
        "Esc close",
        || Msg::ToggleHelp,
    ),
    // Pickers
    bind(
        C::Picker,
        &[ch('j'), key(KeyCode::Down)],
        "j/↓",
        "next choice",
        "j/k move",
        || Msg::PickerNext,
    ),
    bind(
        C::Picker,
        &[ch('k'), key(KeyCode::Up)],
        "k/↑",
        "previous choice",
        "",
        || Msg::PickerPrev,
    ),
    bind(
        C::Picker,
        &[key(KeyCode::Enter)],
        "⏎",
        "set it",
        "⏎ set",
        || Msg::PickerChoose,
    ),
    bind(
        C::Picker,
        &[key(KeyCode::Esc), ch('q')],
        "Esc",
        "cancel",
        "Esc cancel",
        || Msg::CancelDialog,
    ),
    // Yes/no confirmations
    bind(
        C::Confirm,
        &[ch('y'), key(KeyCode::Enter)],
        "y / ⏎",
        "yes, do it",
        "y yes",
        || Msg::ConfirmDialog,
    ),
    bind(
        C::Confirm,
        &[ch('n'), key(KeyCode::Esc), ch('q')],
        "n / Esc",
        "no, keep things as they are",
        "n/Esc no",
        || Msg::CancelDialog,
    ),
    // Delete: the username is typed, so letters are text here
    bind(
        C::Delete,
        &[key(KeyCode::Enter)],
        "⏎",
        "delete once the name matches",
        "⏎ delete",
        || Msg::ConfirmDialog,
    ),
    bind(
        C::Delete,
        &[key(KeyCode::Esc)],
        "Esc",
        "cancel",
        "Esc cancel",
        || Msg::CancelDialog,
    ),
    // Password
    bind(
        C::Password,
        &[
            key(KeyCode::Tab),
            key(KeyCode::BackTab),
            key(KeyCode::Down),
            key(KeyCode::Up),
        ],
        "Tab",
        "the other field",
        "Tab field",
        || Msg::DialogNextField,
    ),
    bind(
        C::Password,
        &[key(KeyCode::Enter)],
        "⏎",
        "change it (when both match)",
        "⏎ change",
        || Msg::ConfirmDialog,
    ),
    bind(
        C::Password,
        &[key(KeyCode::Esc)],
        "Esc",
        "cancel (forgets what was typed)",
        "Esc cancel",
        || Msg::CancelDialog,
    ),
    // The edit and create forms
    bind(
        C::Form,
        &[key(KeyCode::Tab), key(KeyCode::Down)],
        "Tab/↓",
        "next field",
        "Tab field",
        || Msg::DialogNextField,
    ),
    bind(
        C::Form,
        &[key(KeyCode::BackTab), key(KeyCode::Up)],
        "Shift-Tab/↑",
        "previous field",
        "",
        || Msg::DialogPrevField,
    ),
    bind(
        C::Form,
        &[key(KeyCode::Right)],
        "→/Space",
        "next choice (on role, status, plan)",
        "←→ choose",
        || Msg::CycleFormChoice(1),
    ),
    bind(
        C::Form,
        &[key(KeyCode::Left)],
        "←",
        "previous choice",
        "",
        || Msg::CycleFormChoice(-1),
    ),
    bind(
        C::Form,
        &[key(KeyCode::Enter)],
        "⏎",
        "next choice, or the next field",
        "",
        || Msg::PressEnterInForm,
    ),
    bind(
        C::Form,
        &[ctrl('s')],
        "Ctrl-S",
        "save (changes shown on the right)",
        "Ctrl-S save",
        || Msg::SaveForm,
    ),
    bind(
        C::Form,
        &[key(KeyCode::Esc)],
        "Esc",
        "close (asks when something changed)",
        "Esc close",
        || Msg::CancelDialog,
    ),
];

/// The contexts in force for the model, most specific first.
pub fn contexts(model: &Model) -> &'static [Context] {
    match &model.mode {
        Mode::Normal => match model.focus {
            Focus::Table => &[C::Table, C::Global],
            Focus::Detail => &[C::Detail, C::Global],
            Focus::Sessions => &[C::Sessions, C::Global],
        },
        Mode::Search(_) => &[C::Search],
        Mode::Filters(_) => &[C::Filters],
        Mode::Help => &[C::Help],
        Mode::Picker(_) => &[C::Picker],
        Mode::Confirm(confirm) => match **confirm {
            super::model::Confirm::Delete { .. } => &[C::Delete],
            _ => &[C::Confirm],
        },
        Mode::Password(_) => &[C::Password],
        Mode::Form(form) if form.asking_discard => &[C::Confirm],
        Mode::Form(_) => &[C::Form],
    }
}

fn normalize(event: &KeyEvent) -> Key {
    let mut mods = event.modifiers;
    mods.remove(KeyModifiers::SHIFT);
    Key {
        code: event.code,
        mods,
    }
}

/// The binding a key triggers in the model's current mode and focus, if any.
pub fn binding_for(model: &Model, event: &KeyEvent) -> Option<&'static Binding> {
    let pressed = normalize(event);
    contexts(model).iter().find_map(|context| {
        KEYMAP.iter().find(|binding| {
            binding.context == *context
                && binding.keys.contains(&pressed)
                && !(binding.action && model.read_only)
        })
    })
}

/// Turns a key into an intent for the current mode; `None` for keys that mean nothing here.
pub fn translate(model: &Model, event: &KeyEvent) -> Option<Msg> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Msg::Quit);
    }
    // In a text field, Space cycles a choice field of the filter panel but types elsewhere.
    if let Mode::Filters(panel) = &model.mode
        && !panel.field.is_text()
        && event.code == KeyCode::Char(' ')
    {
        return Some(Msg::CycleFilterChoice(1));
    }
    if let Mode::Form(form) = &model.mode
        && !form.asking_discard
        && form.focused().is_choice()
        && event.code == KeyCode::Char(' ')
    {
        return Some(Msg::CycleFormChoice(1));
    }
    if let Some(binding) = binding_for(model, event) {
        return Some((binding.msg)());
    }
    let request = input_request(event)?;
    match &model.mode {
        Mode::Search(_) => Some(Msg::EditSearch(request)),
        Mode::Filters(panel) if panel.field.is_text() => Some(Msg::EditFilterField(request)),
        Mode::Filters(panel)
            if panel.field == FilterField::Status || panel.field == FilterField::Role =>
        {
            None
        }
        Mode::Confirm(confirm) if matches!(**confirm, super::model::Confirm::Delete { .. }) => {
            Some(Msg::EditDialogInput(request))
        }
        Mode::Password(_) => Some(Msg::EditDialogInput(request)),
        Mode::Form(form) if !form.asking_discard && !form.focused().is_choice() => {
            Some(Msg::EditDialogInput(request))
        }
        _ => None,
    }
}

/// Editing keys of a one-line text field.
pub fn input_request(event: &KeyEvent) -> Option<InputRequest> {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let alt = event.modifiers.contains(KeyModifiers::ALT);
    Some(match event.code {
        KeyCode::Char('w') | KeyCode::Backspace if ctrl => InputRequest::DeletePrevWord,
        KeyCode::Char('u') if ctrl => InputRequest::DeleteLine,
        KeyCode::Char('k') if ctrl => InputRequest::DeleteTillEnd,
        KeyCode::Char('a') if ctrl => InputRequest::GoToStart,
        KeyCode::Char('e') if ctrl => InputRequest::GoToEnd,
        KeyCode::Left if ctrl || alt => InputRequest::GoToPrevWord,
        KeyCode::Right if ctrl || alt => InputRequest::GoToNextWord,
        KeyCode::Char(c) if !ctrl && !alt && !c.is_control() => InputRequest::InsertChar(c),
        KeyCode::Backspace => InputRequest::DeletePrevChar,
        KeyCode::Delete => InputRequest::DeleteNextChar,
        KeyCode::Left => InputRequest::GoToPrevChar,
        KeyCode::Right => InputRequest::GoToNextChar,
        KeyCode::Home => InputRequest::GoToStart,
        KeyCode::End => InputRequest::GoToEnd,
        _ => return None,
    })
}

/// The footer's hints for the current mode and focus, in keymap order.
pub fn footer_hints(model: &Model) -> Vec<&'static str> {
    contexts(model)
        .iter()
        .flat_map(|context| {
            KEYMAP.iter().filter(move |binding| {
                binding.context == *context
                    && !binding.footer.is_empty()
                    && !(binding.action && model.read_only)
            })
        })
        .map(|binding| binding.footer)
        .collect()
}
