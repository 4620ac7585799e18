//! The one keymap: which key does what in which context. `update` reads it to turn keys into
//! intents, the footer shows the bindings of the current context, and the help overlay lists
//! them all, so the three can never disagree. The table is in `table.rs`; this file finds a
//! key's binding and the footer's hints.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::InputRequest;

use super::model::{
    Confirm, ExportDialog, FilterField, Focus, Mode, Model, Needs, PickerStage, UndoAsk,
};
use super::msg::Msg;
use geobox_api::UserRole;

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The main screen, whatever pane has focus.
    Global,
    Table,
    Detail,
    Sessions,
    Activity,
    Search,
    Filters,
    Help,
    Picker,
    Confirm,
    Delete,
    /// A change that would shut the signed-in admin out: their username is typed.
    SelfHarm,
    Password,
    Form,
    QueryBar,
    Journal,
    /// The journal panel while an undo is shown.
    JournalUndo,
    /// The lockdown dialog.
    Lockdown,
    /// `X`: which sessions to close.
    CloseChoice,
    /// Acting on every user the filter matches.
    BulkQuery,
    /// The picker of saved views.
    Views,
    /// The export dialog.
    Export,
    /// The picker of deployments, and its search across them.
    Deployments,
    /// A write to a protected deployment: its name is typed.
    Gate,
    /// Wherever the keyboard is, text fields included.
    Always,
}

impl Context {
    /// The heading of this context in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Anywhere",
            Context::Table => "User table",
            Context::Detail => "Detail pane",
            Context::Sessions => "Sessions",
            Context::Activity => "Activity log",
            Context::Search => "Search line",
            Context::Filters => "Filter panel",
            Context::Help => "Help",
            Context::Picker => "Status / role picker",
            Context::Confirm => "Confirmations",
            Context::Delete => "Delete dialog",
            Context::SelfHarm => "Disabling or demoting yourself",
            Context::Password => "Password dialog",
            Context::Form => "Edit / create form",
            Context::QueryBar => "Query bar",
            Context::Journal => "Journal",
            Context::JournalUndo => "Journal: an undo shown",
            Context::Lockdown => "Lockdown dialog",
            Context::CloseChoice => "Which sessions to close",
            Context::BulkQuery => "All users matching the view",
            Context::Views => "Saved views",
            Context::Export => "Export",
            Context::Deployments => "Deployments",
            Context::Gate => "A write to a protected deployment",
            Context::Always => "Everywhere, even while typing",
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
    /// Changes other users: hidden from, and refused to, a role that cannot manage users.
    pub manages: bool,
    /// Lists other users (search, filters, sort, views, export): hidden from, and refused
    /// to, a role that cannot list them, whose table shows only themselves.
    pub lists: bool,
    /// The rule the action needs on its users (the selected one, or the marked ones when
    /// `on_marks`): hidden and refused when the signed-in role may not.
    pub needs: Option<Needs>,
    pub on_marks: bool,
    /// With a filter on, the key first offers every user of the view, so it is about no one
    /// user yet (`s r P !`).
    pub offers_view: bool,
    /// Whether the binding applies in this state (most always do).
    pub when: fn(&Model) -> bool,
    pub msg: fn() -> Msg,
}

fn always(_: &Model) -> bool {
    true
}

/// Why a key is not the signed-in admin's to use here.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    ReadOnly,
    /// The key manages users, which the signed-in role does not.
    NotAManager(UserRole),
    /// The key lists other users, which the signed-in role may not.
    CannotList(UserRole),
    /// The rules forbid it on the users it is about (`not for maryam (System Admin): …`).
    NotForTheseUsers(String),
}

impl Refusal {
    /// What pressing the key says, on the banner.
    pub fn text(&self, binding: &Binding) -> String {
        let what = binding.help.split(" (").next().unwrap_or(binding.help);
        match self {
            Refusal::ReadOnly => "Read-only mode: actions are off".to_string(),
            Refusal::NotAManager(role) => format!(
                "{} ({what}) is for a System Admin or Account Admin; you are a {role}",
                binding.label
            ),
            Refusal::CannotList(role) => format!(
                "{} ({what}) lists other users, which a {role} may not: the table shows you \
                 and your sessions",
                binding.label
            ),
            Refusal::NotForTheseUsers(why) => format!("{} ({what}) is {why}", binding.label),
        }
    }

    /// The words the help puts before a dimmed key.
    pub fn tag(&self) -> &'static str {
        match self {
            Refusal::ReadOnly => "read-only",
            Refusal::NotAManager(_) | Refusal::CannotList(_) => "admins only",
            Refusal::NotForTheseUsers(_) => "not for this user",
        }
    }
}

impl Binding {
    /// The same binding, applying only while `condition` holds.
    const fn only_when(self, condition: fn(&Model) -> bool) -> Binding {
        Binding {
            when: condition,
            ..self
        }
    }

    /// The same binding, offered only when the rules let the signed-in role do `needs` to its
    /// users: the selected one, or the marked ones when `on_marks` and some are marked.
    const fn needs(self, needs: Needs, on_marks: bool) -> Binding {
        Binding {
            needs: Some(needs),
            on_marks,
            ..self
        }
    }

    /// The same binding, for roles that may list other users only.
    const fn lists(self) -> Binding {
        Binding {
            lists: true,
            ..self
        }
    }

    /// The same binding, first offering every user of the view when a filter is on.
    const fn offers_view(self) -> Binding {
        Binding {
            offers_view: true,
            ..self
        }
    }

    /// Whether the binding is in force for the model: its condition holds, and it changes
    /// nothing or the console may change things.
    pub fn applies(&self, model: &Model) -> bool {
        (self.when)(model) && self.refusal(model).is_none()
    }

    /// Why the signed-in admin may not use this binding here, if they may not.
    pub fn refusal(&self, model: &Model) -> Option<Refusal> {
        if self.action && model.read_only {
            return Some(Refusal::ReadOnly);
        }
        match model.my_role() {
            Some(role) if self.manages && !role.manages_users() => {
                return Some(Refusal::NotAManager(role.clone()));
            }
            Some(role) if self.lists && !role.manages_users() => {
                return Some(Refusal::CannotList(role.clone()));
            }
            _ => {}
        }
        // A key that offers the whole view is about no one user until ⏎ picks the selected one,
        // which is then refused with the same words.
        let about_the_view = self.offers_view && model.offers_whole_view();
        let needs = self.needs.filter(|_| !about_the_view)?;
        model
            .denied(needs, &model.key_targets(self.on_marks))
            .map(Refusal::NotForTheseUsers)
    }
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
        manages: false,
        lists: false,
        needs: None,
        on_marks: false,
        offers_view: false,
        when: always,
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
        action: true,
        ..bind(context, keys, label, help, footer, msg)
    }
}

mod custom;
/// An action on other users: only roles that manage users have it.
const fn admin(
    context: Context,
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    footer: &'static str,
    msg: fn() -> Msg,
) -> Binding {
    Binding {
        manages: true,
        ..act(context, keys, label, help, footer, msg)
    }
}

mod table;

pub use custom::{KeyEntry, Keymap, UnreadableKey, action_name, key_label, parse_key, remap};
pub use table::KEYMAP;

/// The contexts in force for the model, most specific first.
pub fn contexts(model: &Model) -> &'static [Context] {
    use Context as C;
    match &model.mode {
        Mode::Normal => match model.focus {
            Focus::Table => &[C::Table, C::Global, C::Always],
            Focus::Detail => &[C::Detail, C::Global, C::Always],
            Focus::Sessions => &[C::Sessions, C::Global, C::Always],
            Focus::Activity => &[C::Activity, C::Global, C::Always],
        },
        Mode::Search(_) => &[C::Search, C::Always],
        Mode::Filters(_) => &[C::Filters, C::Always],
        Mode::Help => &[C::Help, C::Always],
        Mode::Picker(_) => &[C::Picker, C::Always],
        Mode::Confirm(confirm) => match **confirm {
            Confirm::Delete { .. } => &[C::Delete, C::Always],
            Confirm::SelfHarm { .. } => &[C::SelfHarm, C::Always],
            _ => &[C::Confirm, C::Always],
        },
        Mode::Password(_) => &[C::Password, C::Always],
        Mode::Form(form) if form.asking_discard => &[C::Confirm, C::Always],
        Mode::Form(_) => &[C::Form, C::Always],
        Mode::QueryBar => &[C::QueryBar, C::Always],
        Mode::Lockdown(_) => &[C::Lockdown, C::Always],
        Mode::CloseChoice(_) => &[C::CloseChoice, C::Always],
        Mode::Journal(view) => match view.undo {
            UndoAsk::Ready { .. } | UndoAsk::Refused { .. } => &[C::JournalUndo, C::Always],
            _ => &[C::Journal, C::Always],
        },
        Mode::BulkQuery(_) => &[C::BulkQuery, C::Always],
        Mode::Views(_) => &[C::Views, C::Always],
        Mode::Export(_) => &[C::Export, C::Always],
        Mode::Deployments(_) => &[C::Deployments, C::Always],
        Mode::Gate(_) => &[C::Gate, C::Always],
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
pub fn binding_for(model: &Model, keymap: &Keymap, event: &KeyEvent) -> Option<&'static Binding> {
    let pressed = normalize(event);
    contexts(model).iter().find_map(|context| {
        keymap.0.iter().find(|binding| {
            binding.context == *context && binding.keys.contains(&pressed) && binding.applies(model)
        })
    })
}

/// Why a key that would do something here is refused to the signed-in admin, if it is.
fn refusal_for(model: &Model, event: &KeyEvent) -> Option<String> {
    let pressed = normalize(event);
    contexts(model).iter().find_map(|context| {
        KEYMAP
            .iter()
            .filter(|binding| {
                binding.context == *context
                    && binding.keys.contains(&pressed)
                    && (binding.when)(model)
            })
            .find_map(|binding| binding.refusal(model).map(|why| why.text(binding)))
    })
}

/// Turns a key into an intent for the current mode under `keymap`; `None` for keys that mean
/// nothing here.
pub fn translate(model: &Model, keymap: &Keymap, event: &KeyEvent) -> Option<Msg> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if let Some(binding) = binding_for(model, keymap, event) {
        return Some((binding.msg)());
    }
    if let Some(reason) = refusal_for(model, event) {
        return Some(Msg::ExplainRefusal(reason));
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
        Mode::Confirm(confirm)
            if matches!(**confirm, Confirm::Delete { .. } | Confirm::SelfHarm { .. }) =>
        {
            Some(Msg::EditDialogInput(request))
        }
        Mode::Password(_) => Some(Msg::EditDialogInput(request)),
        Mode::Export(dialog) if matches!(**dialog, ExportDialog::Asking { .. }) => {
            Some(Msg::EditExportPath(request))
        }
        Mode::Views(picker) if picker.naming.is_some() => Some(Msg::EditViewName(request)),
        Mode::Deployments(picker) if typing_in(&picker.stage) => {
            Some(Msg::EditDeploymentInput(request))
        }
        Mode::Gate(_) => Some(Msg::EditGateName(request)),
        Mode::BulkQuery(query) if query.typing_count() => Some(Msg::EditBulkQueryCount(request)),
        Mode::Journal(view) if view.undo.typing_count() => Some(Msg::EditJournalUndoCount(request)),
        Mode::Form(form) if !form.asking_discard && !form.focused().is_choice() => {
            Some(Msg::EditDialogInput(request))
        }
        _ => None,
    }
}

/// Whether the deployment picker takes letters as text: a password or a search being typed.
pub fn typing_in(stage: &PickerStage) -> bool {
    match stage {
        PickerStage::Password { .. } => true,
        PickerStage::Search(search) => search.typing,
        PickerStage::List | PickerStage::SigningIn { .. } => false,
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
pub fn footer_hints(model: &Model, keymap: &Keymap) -> Vec<&'static str> {
    contexts(model)
        .iter()
        .flat_map(|context| {
            keymap.0.iter().filter(move |binding| {
                binding.context == *context && !binding.footer.is_empty() && binding.applies(model)
            })
        })
        .map(|binding| binding.footer)
        .collect()
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::{Keymap, translate};
    use crate::console::model::{Banner, FilterField, FilterPanel, Mode, Model};
    use crate::console::msg::Msg;

    fn press(model: &Model, code: KeyCode, mods: KeyModifiers) -> Option<Msg> {
        translate(model, &Keymap::default(), &KeyEvent::new(code, mods))
    }

    #[test]
    fn space_steps_a_choice_field_and_types_in_a_text_field() {
        let mut model = Model::new();
        model.mode = Mode::Filters(Box::default());
        let space = press(&model, KeyCode::Char(' '), KeyModifiers::NONE);
        assert!(
            matches!(space, Some(Msg::CycleFilterChoice(1))),
            "{space:?}"
        );
        model.mode = Mode::Filters(Box::new(FilterPanel {
            field: FilterField::Cql,
            ..FilterPanel::default()
        }));
        let space = press(&model, KeyCode::Char(' '), KeyModifiers::NONE);
        assert!(matches!(space, Some(Msg::EditFilterField(_))), "{space:?}");
    }

    #[test]
    fn ctrl_c_quits_even_while_typing() {
        let mut model = Model::new();
        model.mode = Mode::Search(Default::default());
        let quit = press(&model, KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(quit, Some(Msg::Quit)), "{quit:?}");
        let typed = press(&model, KeyCode::Char('q'), KeyModifiers::NONE);
        assert!(matches!(typed, Some(Msg::EditSearch(_))), "{typed:?}");
    }

    #[test]
    fn esc_dismisses_the_banner_then_the_marks_then_goes_back_to_the_table() {
        let mut model = Model::new();
        model.banner = Some(Banner {
            text: "hello".into(),
            error: false,
            note: false,
        });
        model.users.marked.insert(3);
        let esc = |model: &Model| press(model, KeyCode::Esc, KeyModifiers::NONE);
        assert!(matches!(esc(&model), Some(Msg::DismissBanner)));
        model.banner = None;
        assert!(matches!(esc(&model), Some(Msg::ClearMarks)));
        model.users.marked.clear();
        assert!(matches!(esc(&model), Some(Msg::FocusTable)));
    }

    /// The README's key table names every key of the main screen, so the two cannot drift
    /// apart when a key is added or moved.
    #[test]
    fn the_readme_key_table_names_every_key_of_the_main_screen() {
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("| key | does |")
            .nth(1)
            .expect("the README has a key table");
        let mut named = std::collections::BTreeSet::new();
        for row in table
            .lines()
            .skip(2)
            .take_while(|line| line.starts_with('|'))
        {
            let keys = row.split('|').nth(1).unwrap_or_default();
            named.extend(keys.split('`').skip(1).step_by(2).map(str::to_string));
        }
        for binding in super::KEYMAP {
            if !matches!(
                binding.context,
                super::Context::Table | super::Context::Global
            ) {
                continue;
            }
            let parts: Vec<&str> = match binding.label {
                "/" => vec!["/"],
                label => label.split('/').map(str::trim).collect(),
            };
            for part in parts {
                assert!(
                    named.contains(part),
                    "`{part}` ({}) is missing from the README's key table",
                    binding.help
                );
            }
        }
    }
}
