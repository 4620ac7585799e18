//! Saved views: `V` saves the table's filters and sort under a name, `F` opens a picker of the
//! saved and built-in views (with their filters shown) where ⏎ applies one, `d` deletes and
//! `r` renames a saved one. The runner reads and writes the config file.

use tui_input::{Input, InputRequest};

use super::feedback::log_activity;
use super::list::reset_list;
use crate::console::cmd::{Cmd, ViewOp};
use crate::console::env::Env;
use crate::console::model::{
    Mode, Model, Naming, ViewEntry, ViewPicker, filters_from_view, view_from_filters,
};
use crate::console::msg::{RequestId, SavedViews};
use crate::console::wrap::step_wrapping;
use chrono::{Days, NaiveDate};

use geobox_ops::config::ConfigError;
use geobox_ops::views;

/// `F`: the picker, built-in views at once, the saved ones once the file is read.
pub(super) fn open_picker(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let mut picker = ViewPicker {
        entries: built_ins(model),
        ..ViewPicker::default()
    };
    picker.awaiting = send(model, env, ViewOp::List, cmds);
    if picker.awaiting.is_none() {
        picker.error = Some("No config directory: views cannot be saved here".to_string());
    }
    model.mode = Mode::Views(Box::new(picker));
}

/// `V`: the picker with the name line open.
pub(super) fn open_save(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    open_picker(model, env, cmds);
    if let Mode::Views(picker) = &mut model.mode {
        picker.naming = Some((Naming::Save, Input::default()));
    }
}

pub(super) fn step(model: &mut Model, step: i8) {
    if let Mode::Views(picker) = &mut model.mode {
        picker.cursor = step_wrapping(picker.cursor, picker.entries.len(), step >= 0);
    }
}

pub(super) fn edit_name(model: &mut Model, request: InputRequest) {
    if let Mode::Views(picker) = &mut model.mode
        && let Some((_, input)) = &mut picker.naming
    {
        input.handle(request);
        picker.error = None;
    }
}

pub(super) fn close(model: &mut Model) {
    match &mut model.mode {
        Mode::Views(picker) if picker.naming.is_some() => picker.naming = None,
        _ => model.mode = Mode::Normal,
    }
}

/// ⏎: with a name typed, saves or renames; otherwise applies the highlighted view.
pub(super) fn choose(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let today = model.now.date_naive();
    let Mode::Views(picker) = &mut model.mode else {
        return;
    };
    if let Some((naming, input)) = &picker.naming {
        let name = input.value().trim().to_string();
        if let Some(problem) = name_problem(&name, today) {
            picker.error = Some(problem);
            return;
        }
        let op = match naming {
            Naming::Save => ViewOp::Save {
                name,
                view: view_from_filters(&model.filters),
            },
            Naming::Rename(from) => ViewOp::Rename {
                from: from.clone(),
                to: name,
            },
        };
        picker.naming = None;
        let request = send(model, env, op, cmds);
        if let Mode::Views(picker) = &mut model.mode {
            picker.awaiting = request;
        }
        return;
    }
    let Some(entry) = picker.selected().cloned() else {
        return;
    };
    model.mode = Mode::Normal;
    let filters = filters_from_view(&entry.view, &model.filters);
    log_activity(
        model,
        format!("Applied the view '{}'", entry.name),
        true,
        cmds,
    );
    model.inform(format!("View '{}': {}", entry.name, entry.view.describe()));
    if filters != model.filters {
        model.filters = filters;
        reset_list(model, cmds, 0);
    }
}

pub(super) fn delete_selected(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) {
    let Some(name) = saved_selected(model) else {
        return;
    };
    let request = send(model, env, ViewOp::Delete { name }, cmds);
    if let Mode::Views(picker) = &mut model.mode {
        picker.awaiting = request;
    }
}

pub(super) fn rename_selected(model: &mut Model) {
    let Some(name) = saved_selected(model) else {
        return;
    };
    if let Mode::Views(picker) = &mut model.mode {
        picker.naming = Some((Naming::Rename(name.clone()), Input::new(name)));
    }
}

pub(super) fn on_loaded(
    model: &mut Model,
    request: RequestId,
    said: Option<String>,
    result: Result<SavedViews, ConfigError>,
    cmds: &mut Vec<Cmd>,
) {
    let built_ins = built_ins(model);
    let Mode::Views(picker) = &mut model.mode else {
        return;
    };
    if picker.awaiting != Some(request) {
        return;
    }
    picker.awaiting = None;
    match result {
        Ok(saved) => {
            let mut entries: Vec<ViewEntry> = saved
                .into_iter()
                .map(|(name, view)| ViewEntry {
                    name,
                    view,
                    built_in: false,
                })
                .collect();
            entries.extend(built_ins);
            picker.cursor = picker.cursor.min(entries.len().saturating_sub(1));
            picker.entries = entries;
            picker.error = None;
        }
        Err(error) => picker.error = Some(error.to_string()),
    }
    if let Some(said) = said {
        log_activity(model, said.clone(), true, cmds);
        model.inform(said);
    }
}

/// The highlighted view if it is a saved one; a built-in one says why not.
fn saved_selected(model: &mut Model) -> Option<String> {
    let Mode::Views(picker) = &mut model.mode else {
        return None;
    };
    let entry = picker.selected()?;
    if entry.built_in {
        picker.error = Some(format!(
            "'{}' is built in: it cannot be changed",
            entry.name
        ));
        return None;
    }
    Some(entry.name.clone())
}

fn name_problem(name: &str, today: NaiveDate) -> Option<String> {
    if name.is_empty() {
        return Some("type a name".to_string());
    }
    if let Some(problem) = days_past_the_calendar(name, today) {
        return Some(problem);
    }
    if views::is_built_in(name) {
        return Some(format!("'{name}' is a built-in view's name"));
    }
    None
}

/// A built-in view's name whose day count no date can hold (`expiring-soon:99999999`): the
/// shared view parser adds the days to a date unchecked, so such a name is answered here, with
/// a clear error, before it reaches the parser.
fn days_past_the_calendar(name: &str, today: NaiveDate) -> Option<String> {
    let (_, days) = name.split_once(':')?;
    let days: u64 = days.trim().parse().ok()?;
    // The parser takes the days as a u32 and adds them to 1970-01-01 or to today.
    let fits = |from: NaiveDate| from.checked_add_days(Days::new(days)).is_some();
    let readable = u32::try_from(days).is_ok();
    (readable && !(fits(NaiveDate::default()) && fits(today)))
        .then(|| format!("'{name}': {days} days ahead is past the last date a calendar holds"))
}

fn built_ins(model: &Model) -> Vec<ViewEntry> {
    let today = model.now.date_naive();
    views::BUILT_IN
        .iter()
        .filter_map(|name| {
            Some(ViewEntry {
                name: (*name).to_string(),
                view: views::built_in(name, today)?,
                built_in: true,
            })
        })
        .collect()
}

/// Sends `op` to the runner; `None` when there is no config file to keep views in.
fn send(model: &mut Model, env: &Env, op: ViewOp, cmds: &mut Vec<Cmd>) -> Option<RequestId> {
    let store = env.view_store.clone()?;
    let request = model.new_request();
    cmds.push(Cmd::ViewFile { request, store, op });
    Some(request)
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyCode;

    use super::*;
    use crate::console::files::view_file;
    use crate::console::fixtures::{self, loaded_model, press_in, type_text_in, update};
    use crate::console::msg::Msg;
    use geobox_api::UserStatus;
    use geobox_ops::views::ViewStore;

    /// The fixtures' surroundings with views kept in the config file at `path`.
    fn keeping_views_in(path: std::path::PathBuf) -> Env {
        Env {
            view_store: Some(ViewStore {
                path,
                profile: None,
            }),
            ..fixtures::env()
        }
    }

    /// Runs the config-file commands the way the runner does and feeds the answers back.
    fn run_files(model: &mut Model, cmds: Vec<Cmd>) {
        for cmd in cmds {
            if let Cmd::ViewFile { request, store, op } = cmd {
                let (said, result) = view_file(&store, op);
                let more = update(
                    model,
                    Msg::ViewsLoaded {
                        request,
                        said,
                        result,
                    },
                );
                run_files(model, more);
            }
        }
    }

    fn names(model: &Model) -> Vec<String> {
        match &model.mode {
            Mode::Views(picker) => picker.entries.iter().map(|e| e.name.clone()).collect(),
            other => panic!("no picker: {other:?}"),
        }
    }

    #[test]
    fn a_view_is_saved_picked_renamed_and_deleted_through_the_config_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# my settings\nhost = \"https://geobox.example\"\n")
            .expect("written");
        let env = keeping_views_in(path.clone());
        let mut model = loaded_model(80, 24, 500);
        model.filters.status = Some(UserStatus::Pending);
        model.filters.cql = "plan_id = 2".into();
        let saved_filters = model.filters.clone();

        let cmds = type_text_in(&mut model, &env, "V");
        run_files(&mut model, cmds);
        let cmds = type_text_in(&mut model, &env, "mine");
        assert!(cmds.is_empty(), "letters are the name, not keys");
        let cmds = press_in(&mut model, &env, KeyCode::Enter);
        run_files(&mut model, cmds);
        assert!(names(&model).contains(&"mine".to_string()));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("# my settings"),
            "the rest of the file is kept: {text}"
        );
        assert!(text.contains("[views.mine]"), "{text}");

        // Another filter, then the saved view brings the first back.
        press_in(&mut model, &env, KeyCode::Esc);
        model.filters = Default::default();
        let cmds = type_text_in(&mut model, &env, "F");
        run_files(&mut model, cmds);
        assert_eq!(
            names(&model)[0],
            "mine",
            "saved views first, then the built-in ones"
        );
        assert!(names(&model).contains(&"pending".to_string()));
        let cmds = press_in(&mut model, &env, KeyCode::Enter);
        assert!(matches!(model.mode, Mode::Normal));
        assert_eq!(model.filters, saved_filters);
        assert!(cmds.iter().any(|cmd| matches!(cmd, Cmd::LoadUsers { .. })));

        let cmds = type_text_in(&mut model, &env, "F");
        run_files(&mut model, cmds);
        type_text_in(&mut model, &env, "r");
        press_in(&mut model, &env, KeyCode::Backspace);
        let cmds = type_text_in(&mut model, &env, "e2");
        assert!(cmds.is_empty());
        let cmds = press_in(&mut model, &env, KeyCode::Enter);
        run_files(&mut model, cmds);
        assert_eq!(names(&model)[0], "mine2");

        let cmds = type_text_in(&mut model, &env, "d");
        run_files(&mut model, cmds);
        assert!(!names(&model).iter().any(|name| name.starts_with("mine")));
        assert!(
            !std::fs::read_to_string(&path)
                .expect("read")
                .contains("mine")
        );
    }

    #[test]
    fn a_day_count_past_the_calendar_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("config.toml");
        let env = keeping_views_in(path.clone());
        let mut model = loaded_model(80, 24, 500);
        for name in ["expiring-soon:99999999", "expiring-soon:4294967295"] {
            let cmds = type_text_in(&mut model, &env, "V");
            run_files(&mut model, cmds);
            type_text_in(&mut model, &env, name);
            let cmds = press_in(&mut model, &env, KeyCode::Enter);
            assert!(cmds.is_empty(), "nothing written: {cmds:?}");
            let Mode::Views(picker) = &model.mode else {
                panic!("the picker stays: {:?}", model.mode);
            };
            let error = picker.error.clone().expect("says why");
            assert!(
                error.contains("past the last date") || error.contains("built-in"),
                "{name}: {error}"
            );
            press_in(&mut model, &env, KeyCode::Esc);
            press_in(&mut model, &env, KeyCode::Esc);
        }
        assert!(
            !path.exists()
                || !std::fs::read_to_string(&path)
                    .expect("read")
                    .contains("expiring")
        );
    }

    #[test]
    fn built_in_views_cannot_be_deleted_or_shadowed() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let env = keeping_views_in(dir.path().join("config.toml"));
        let mut model = loaded_model(80, 24, 500);
        let cmds = type_text_in(&mut model, &env, "F");
        run_files(&mut model, cmds);
        let cmds = type_text_in(&mut model, &env, "d");
        assert!(cmds.is_empty());
        let Mode::Views(picker) = &model.mode else {
            panic!("no picker");
        };
        assert!(
            picker
                .error
                .as_deref()
                .is_some_and(|e| e.contains("built in"))
        );
        press_in(&mut model, &env, KeyCode::Esc);
        type_text_in(&mut model, &env, "V");
        type_text_in(&mut model, &env, "expired");
        let cmds = press_in(&mut model, &env, KeyCode::Enter);
        assert!(cmds.is_empty(), "nothing written under a built-in name");
    }
}
