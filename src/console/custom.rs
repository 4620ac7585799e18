//! The admin's own colours and keys, from the `[theme]` and `[keys]` tables of the config
//! file. Every bad entry is described once, with its line, and skipped: a typo in a colour
//! never keeps the console from starting.

use geobox_ops::config::{ConfigFile, Environment, Setting, config_path};

use super::env::Env;
use super::keys::{KeyEntry, Keymap, remap};
use super::model::{Activity, Model};
use super::palette::{Palette, Role, parse_color};

/// What the config file asks for, and what was wrong with it.
#[derive(Clone, Debug, Default)]
pub struct Customization {
    pub palette: Palette,
    pub keymap: Keymap,
    /// `[console] refresh`, when the file says.
    pub refresh: Option<std::time::Duration>,
    pub problems: Vec<String>,
}

/// The colours of `[theme]`, each bad entry described.
pub fn palette(file: &ConfigFile) -> (Palette, Vec<String>) {
    let mut palette = Palette::default();
    let mut problems = Vec::new();
    for (name, setting) in ConfigFile::in_file_order(&file.theme) {
        let at = format!("line {}: [theme] {name}", setting.line);
        let Some(role) = Role::from_name(name) else {
            let known: Vec<&str> = Role::ALL.iter().map(|role| role.name()).collect();
            problems.push(format!(
                "{at}: no such colour role (known: {}); ignored",
                known.join(", ")
            ));
            continue;
        };
        match setting.value.as_str().map(parse_color) {
            Some(Ok(color)) => palette.set(role, color),
            Some(Err(why)) => problems.push(format!("{at}: {why}; ignored")),
            None => problems.push(format!("{at}: a colour is a string; ignored")),
        }
    }
    (palette, problems)
}

/// The `[keys]` entries: one key (`"Q"`) or several (`["Q", "ctrl-q"]`) per action.
pub fn key_entries(file: &ConfigFile) -> (Vec<KeyEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (name, setting) in ConfigFile::in_file_order(&file.keys) {
        match key_texts(setting) {
            Some(keys) => entries.push(KeyEntry {
                action: name.clone(),
                keys,
                line: setting.line,
            }),
            None => problems.push(format!(
                "line {}: [keys] {name}: a key is a string or a list of strings; ignored",
                setting.line
            )),
        }
    }
    (entries, problems)
}

fn key_texts(setting: &Setting) -> Option<Vec<String>> {
    match &setting.value {
        toml::Value::String(key) => Some(vec![key.clone()]),
        toml::Value::Array(keys) => keys
            .iter()
            .map(|key| key.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// The colours and keys of a parsed config file.
pub fn from_file(file: &ConfigFile) -> Customization {
    let (palette, mut problems) = palette(file);
    let (entries, key_problems) = key_entries(file);
    problems.extend(key_problems);
    let (keymap, remap_problems) = remap(&entries);
    problems.extend(remap_problems);
    Customization {
        palette,
        keymap,
        refresh: file.console.refresh.map(std::time::Duration::from_secs),
        problems,
    }
}

/// Reads the config file for the console. A file that cannot be read at all is one problem.
pub fn load() -> Customization {
    let path = Environment::load()
        .ok()
        .and_then(|environment| config_path(&environment));
    let Some(path) = path else {
        return Customization::default();
    };
    match ConfigFile::load(&path) {
        Ok(Some(file)) => {
            let mut custom = from_file(&file);
            for problem in &mut custom.problems {
                *problem = format!("{}: {problem}", path.display());
            }
            custom
        }
        Ok(None) => Customization::default(),
        Err(error) => Customization {
            problems: vec![format!("colours and keys not read: {error}")],
            ..Customization::default()
        },
    }
}

/// Puts the colours and keys in force and reports each problem once: all of them in the
/// activity log, the first on the banner.
pub fn apply(model: &mut Model, env: &mut Env, custom: Customization) {
    env.palette = custom.palette;
    env.keymap = custom.keymap;
    for problem in &custom.problems {
        tracing::warn!("{problem}");
        model.activity.push(Activity {
            at: model.now,
            text: problem.clone(),
            ok: false,
        });
    }
    match custom.problems.len() {
        0 => {}
        1 => model.fail(custom.problems[0].clone()),
        more => model.fail(format!(
            "{more} config problems (L lists them); the first: {}",
            custom.problems[0]
        )),
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::Color;

    use super::*;
    use crate::console::keys::{footer_hints, translate};
    use crate::console::msg::Msg;
    use crate::console::view::help::help_lines;
    use crate::console::view::theme::Theme;

    fn customized(text: &str) -> Customization {
        from_file(&ConfigFile::parse(text).expect("the file parses"))
    }

    fn press(model: &Model, env: &Env, code: KeyCode, mods: KeyModifiers) -> Option<Msg> {
        translate(model, &env.keymap, &KeyEvent::new(code, mods))
    }

    fn help_text(model: &Model, env: &Env) -> String {
        let theme = Theme {
            color: true,
            palette: env.palette,
            accent: None,
        };
        help_lines(model, &env.keymap, theme, 100)
            .iter()
            .map(|(_, line)| line.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn colours_by_role_by_name_or_hex() {
        let custom = customized(
            "[profiles.x]\nhost = \"h\"\n\n[theme]\nselected = \"#3050a0\"\nactive = \"lightgreen\"\n",
        );
        assert!(custom.problems.is_empty(), "{:?}", custom.problems);
        assert_eq!(
            custom.palette.get(Role::Selected),
            Some(Color::Rgb(0x30, 0x50, 0xa0))
        );
        assert_eq!(custom.palette.get(Role::Active), Some(Color::LightGreen));
        assert_eq!(custom.palette.get(Role::Disabled), None);
    }

    #[test]
    fn each_bad_entry_is_reported_with_its_line_and_the_rest_still_applies() {
        let custom = customized(
            "[theme]\nselcted = \"red\"\nactive = \"blurple\"\ndisabled = 3\npending = \"yellow\"\n\
             \n[keys]\nfly = \"z\"\nquit = \"ctrl-?x\"\nstatus = \"j\"\nhelp = 7\nrole = \"ctrl-r\"\n",
        );
        let problems = custom.problems.join("\n");
        for expected in [
            "line 2: [theme] selcted: no such colour role",
            "line 3: [theme] active: cannot read the colour \"blurple\"",
            "line 4: [theme] disabled: a colour is a string",
            "line 8: [keys] fly: no such action",
            "line 9: [keys] quit: cannot read the key \"ctrl-?x\"",
            "line 10: [keys] status: j/↓ already does \"next user\"",
            "line 11: [keys] help: a key is a string",
        ] {
            assert!(problems.contains(expected), "{expected}\nin\n{problems}");
        }
        assert_eq!(custom.problems.len(), 7, "{problems}");
        assert_eq!(custom.palette.get(Role::Pending), Some(Color::Yellow));
        let (mut model, mut env) = (Model::new(), Env::new("h"));
        apply(&mut model, &mut env, custom);
        let ctrl_r = press(&model, &env, KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert!(matches!(ctrl_r, Some(Msg::OpenRolePicker)), "{ctrl_r:?}");
        assert_eq!(model.activity.len(), 7, "every problem is logged once");
        let banner = model.banner.expect("the first problem is on the banner");
        assert!(
            banner.error && banner.text.starts_with("7 config problems"),
            "{banner:?}"
        );
    }

    #[test]
    fn a_remapped_action_answers_to_its_new_key_and_help_and_footer_say_so() {
        let (mut model, mut env) = (Model::new(), Env::new("h"));
        apply(
            &mut model,
            &mut env,
            customized("[keys]\nquit = \"Q\"\nstatus = \"ctrl-s\"\nquery = [\"F2\", \"alt-q\"]\n"),
        );
        assert!(matches!(
            press(&model, &env, KeyCode::Char('Q'), KeyModifiers::SHIFT),
            Some(Msg::Quit)
        ));
        assert!(press(&model, &env, KeyCode::Char('q'), KeyModifiers::NONE).is_none());
        assert!(press(&model, &env, KeyCode::Char('s'), KeyModifiers::NONE).is_none());
        assert!(matches!(
            press(&model, &env, KeyCode::Char('s'), KeyModifiers::CONTROL),
            Some(Msg::OpenStatusPicker)
        ));
        assert!(matches!(
            press(&model, &env, KeyCode::F(2), KeyModifiers::NONE),
            Some(Msg::OpenQueryBar)
        ));
        assert!(matches!(
            press(&model, &env, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Msg::Quit)
        ));
        let hints = footer_hints(&model, &env.keymap);
        assert!(hints.contains(&"Q quit"), "{hints:?}");
        assert!(hints.contains(&"Ctrl-S status"), "{hints:?}");
        assert!(!hints.contains(&"q quit"), "{hints:?}");
        let help = help_text(&model, &env);
        assert!(help.contains("Ctrl-S      set status"), "{help}");
        assert!(help.contains("F2/Alt-q"), "{help}");
        assert!(help.contains("  Q           quit"), "{help}");
    }

    #[test]
    fn a_key_taken_in_the_same_context_is_refused_but_another_context_may_reuse_it() {
        let custom = customized("[keys]\nquit = \"s\"\ncopy_cli = \"c\"\n");
        assert_eq!(custom.problems.len(), 1, "{:?}", custom.problems);
        assert!(
            custom.problems[0].contains("already does \"set status"),
            "{:?}",
            custom.problems
        );
        let (mut model, mut env) = (Model::new(), Env::new("h"));
        apply(&mut model, &mut env, custom);
        model.mode = crate::console::model::Mode::QueryBar;
        assert!(matches!(
            press(&model, &env, KeyCode::Char('c'), KeyModifiers::NONE),
            Some(Msg::CopyQueryAsCli)
        ));
    }

    #[test]
    fn the_theme_colours_what_it_names() {
        let custom = customized("[theme]\nactive = \"#00ff00\"\nkey_hint = \"magenta\"\n");
        let theme = Theme {
            color: true,
            palette: custom.palette,
            accent: None,
        };
        let active = theme.status(Some(&geobox_api::UserStatus::Active));
        assert_eq!(active.fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(theme.key_hint().fg, Some(Color::Magenta));
        assert_eq!(theme.error().fg, Some(Color::Red), "others keep theirs");
        let plain = Theme {
            color: false,
            ..theme
        };
        assert_eq!(plain.key_hint().fg, None, "NO_COLOR still wins");
    }
}
