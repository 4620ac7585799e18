//! The admin's own keys: `[keys]` in the config file remaps actions of the keymap. The result
//! is a keymap like the built-in one, so `update`, the footer and the help read it the same way.

use std::fmt;

use crossterm::event::{KeyCode, KeyModifiers};

use super::{Binding, Context, KEYMAP, Key};

/// The keymap in force: the built-in one, or a copy with the admin's keys.
#[derive(Clone, Copy)]
pub struct Keymap(pub &'static [Binding]);

impl Default for Keymap {
    fn default() -> Self {
        Keymap(KEYMAP)
    }
}

impl fmt::Debug for Keymap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keymap({} bindings)", self.0.len())
    }
}

/// Short names for the actions admins remap most; every action also answers to its own name
/// (`open_status_picker`, `scroll_focused_next`).
const ALIASES: &[(&str, &str)] = &[
    ("status", "open_status_picker"),
    ("role", "open_role_picker"),
    ("delete", "request_delete_user"),
    ("edit", "open_edit_form"),
    ("new", "open_create_form"),
    ("search", "open_search"),
    ("filters", "open_filters"),
    ("sort", "cycle_sort_column"),
    ("flip_sort", "flip_sort_direction"),
    ("help", "toggle_help"),
    ("undo", "request_undo"),
    ("password", "open_password_dialog"),
    ("renew", "request_renew_plan"),
    ("mark", "toggle_mark"),
    ("log", "toggle_activity_log"),
    ("query", "open_query_bar"),
    ("details", "open_detail"),
    ("revoke", "request_close_session"),
    ("revoke_others", "request_close_other_sessions"),
    ("down", "select_next_user"),
    ("up", "select_prev_user"),
    ("top", "select_first_user"),
    ("bottom", "select_last_user"),
    ("save", "save_form"),
    ("yes", "confirm_dialog"),
    ("cancel", "cancel_dialog"),
    ("copy_cli", "copy_query_as_cli"),
    ("copy_curl", "copy_query_as_curl"),
    ("live", "toggle_live"),
    ("deployments", "open_deployments"),
];

/// The name of a binding's action: its intent in snake case, `_next`/`_prev` for a step.
pub fn action_name(binding: &Binding) -> String {
    let intent = format!("{:?}", (binding.msg)());
    let (variant, argument) = match intent.split_once('(') {
        Some((variant, rest)) => (variant.to_string(), rest.trim_end_matches(')').to_string()),
        None => (intent, String::new()),
    };
    let mut name = String::new();
    for (index, c) in variant.chars().enumerate() {
        if c.is_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    match argument.as_str() {
        "" => {}
        step if step.starts_with('-') => name.push_str("_prev"),
        _ => name.push_str("_next"),
    }
    name
}

fn resolve_alias(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, action)| action)
}

/// A key in `[keys]` that names no key: the text as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the key \"{0}\"")]
pub struct UnreadableKey(pub String);

/// Reads a key as written in the config file: `Q`, `ctrl-s`, `alt-x`, `f2`, `enter`, `space`.
pub fn parse_key(text: &str) -> Result<Key, UnreadableKey> {
    let mut mods = KeyModifiers::NONE;
    let mut rest = text.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(tail) = lower.strip_prefix("ctrl-").or(lower.strip_prefix("ctrl+")) {
            mods |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - tail.len()..];
        } else if let Some(tail) = lower.strip_prefix("alt-").or(lower.strip_prefix("alt+")) {
            mods |= KeyModifiers::ALT;
            rest = &rest[rest.len() - tail.len()..];
        } else {
            break;
        }
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() => {
            if mods.contains(KeyModifiers::CONTROL) {
                KeyCode::Char(c.to_ascii_lowercase())
            } else {
                KeyCode::Char(c)
            }
        }
        _ => {
            named_key(&rest.to_ascii_lowercase()).ok_or_else(|| UnreadableKey(text.to_string()))?
        }
    };
    Ok(Key { code, mods })
}

fn named_key(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" | "shift-tab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "delete" | "del" => KeyCode::Delete,
        "backspace" => KeyCode::Backspace,
        "insert" => KeyCode::Insert,
        _ => {
            let number: u8 = name.strip_prefix('f')?.parse().ok()?;
            (1..=12).contains(&number).then_some(KeyCode::F(number))?
        }
    })
}

/// How a key is written in the help and footer, in the keymap's own style (`Ctrl-S`).
pub fn key_label(key: Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) if key.mods.contains(KeyModifiers::CONTROL) => {
            c.to_ascii_uppercase().to_string()
        }
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "⏎".to_string(),
        KeyCode::BackTab => "Shift-Tab".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        other => other.to_string(),
    };
    let mut label = String::new();
    if key.mods.contains(KeyModifiers::CONTROL) {
        label.push_str("Ctrl-");
    }
    if key.mods.contains(KeyModifiers::ALT) {
        label.push_str("Alt-");
    }
    label + &base
}

/// Whether two contexts are ever in force together, so one key cannot mean both.
fn share_keys(a: Context, b: Context) -> bool {
    use Context as C;
    let panes = [C::Table, C::Detail, C::Sessions];
    a == b
        || a == C::Always
        || b == C::Always
        || (a == C::Global && panes.contains(&b))
        || (b == C::Global && panes.contains(&a))
}

/// One `[keys]` entry: the action, its keys as written, and its line in the file.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub action: String,
    pub keys: Vec<String>,
    pub line: usize,
}

fn copy_with(binding: &Binding, keys: &[Key]) -> Binding {
    let label = keys
        .iter()
        .map(|key| key_label(*key))
        .collect::<Vec<_>>()
        .join("/");
    let footer = match binding.footer.split_once(' ') {
        Some((_, words)) => format!("{label} {words}"),
        None if binding.footer.is_empty() => String::new(),
        None => label.clone(),
    };
    // Built once at start and used until the console quits.
    Binding {
        context: binding.context,
        keys: Vec::leak(keys.to_vec()),
        label: String::leak(label),
        help: binding.help,
        footer: String::leak(footer),
        action: binding.action,
        manages: binding.manages,
        lists: binding.lists,
        needs: binding.needs,
        on_marks: binding.on_marks,
        offers_view: binding.offers_view,
        when: binding.when,
        msg: binding.msg,
    }
}

/// The keymap with the entries applied in order. An entry naming no action, holding a key
/// that cannot be read, or taking a key another binding uses where it applies, is left out
/// and described (with its line) in the returned problems.
pub fn remap(entries: &[KeyEntry]) -> (Keymap, Vec<String>) {
    let mut problems = Vec::new();
    if entries.is_empty() {
        return (Keymap::default(), problems);
    }
    // Which keys each binding has so far; Ctrl-C in `Always` stays the way out whatever is remapped.
    let mut keys: Vec<Vec<Key>> = KEYMAP.iter().map(|b| b.keys.to_vec()).collect();
    for entry in entries {
        let action = resolve_alias(&entry.action);
        let targets: Vec<usize> = KEYMAP
            .iter()
            .enumerate()
            .filter(|(_, b)| b.context != Context::Always && action_name(b) == action)
            .map(|(index, _)| index)
            .collect();
        let at = format!("line {}: [keys] {}", entry.line, entry.action);
        if targets.is_empty() {
            problems.push(format!("{at}: no such action; ignored"));
            continue;
        }
        let parsed: Result<Vec<Key>, UnreadableKey> =
            entry.keys.iter().map(|k| parse_key(k)).collect();
        let new_keys = match parsed {
            Ok(new_keys) if !new_keys.is_empty() => new_keys,
            Ok(_) => {
                problems.push(format!("{at}: no key given; ignored"));
                continue;
            }
            Err(why) => {
                problems.push(format!("{at}: {why}; ignored"));
                continue;
            }
        };
        let clash = targets.iter().find_map(|&target| {
            KEYMAP.iter().enumerate().find_map(|(other, binding)| {
                let taken = !targets.contains(&other)
                    && share_keys(binding.context, KEYMAP[target].context)
                    && keys[other].iter().any(|key| new_keys.contains(key));
                taken.then(|| {
                    format!(
                        "{at}: {} already does \"{}\" ({}); ignored",
                        binding.label,
                        binding.help,
                        binding.context.title()
                    )
                })
            })
        });
        if let Some(clash) = clash {
            problems.push(clash);
            continue;
        }
        for target in targets {
            keys[target] = new_keys.clone();
        }
    }
    let keymap: Vec<Binding> = KEYMAP
        .iter()
        .zip(&keys)
        .map(|(binding, keys)| {
            if binding.keys == keys.as_slice() {
                Binding { ..*binding }
            } else {
                copy_with(binding, keys)
            }
        })
        .collect();
    (Keymap(Vec::leak(keymap)), problems)
}
