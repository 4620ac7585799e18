//! `w`: every user matching the view (all pages, not only those loaded) written to a CSV or
//! JSON-lines file. The path is asked (a timestamped name in the current directory by
//! default); the runner writes page by page with progress; Esc stops after the current page;
//! the banner says where it wrote.

use std::path::PathBuf;

use tui_input::{Input, InputRequest};

use super::feedback::log_activity;
use crate::console::cmd::Cmd;
use crate::console::model::{
    ExportDialog, Mode, Model, default_export_name, export_format, toggle_extension, view_of,
};
use crate::console::msg::{ExportDone, ExportError, RequestId};
use geobox_ops::bulk;

pub(super) fn open(model: &mut Model) {
    let path = Input::new(default_export_name(model.now));
    model.mode = Mode::Export(Box::new(ExportDialog::Asking { path }));
}

pub(super) fn edit_path(model: &mut Model, request: InputRequest) {
    if let Mode::Export(dialog) = &mut model.mode
        && let ExportDialog::Asking { path } = dialog.as_mut()
    {
        path.handle(request);
    }
}

pub(super) fn toggle_format(model: &mut Model) {
    if let Mode::Export(dialog) = &mut model.mode
        && let ExportDialog::Asking { path } = dialog.as_mut()
    {
        *path = Input::new(toggle_extension(path.value()));
    }
}

/// ⏎ on the path: writes a new file; `y` when asked about a file already there: writes over it.
pub(super) fn start(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::Export(dialog) = &model.mode else {
        return;
    };
    let (path, overwrite) = match dialog.as_ref() {
        ExportDialog::Asking { path } => {
            let typed = path.value().trim().to_string();
            if typed.is_empty() {
                return;
            }
            (PathBuf::from(typed), false)
        }
        ExportDialog::Overwrite { path } => (path.clone(), true),
        ExportDialog::Running { .. } => return,
    };
    let format = export_format(&path.to_string_lossy());
    let request = model.new_request();
    model.mode = Mode::Export(Box::new(ExportDialog::Running {
        request,
        path: path.clone(),
        progress: bulk::Progress {
            done: 0,
            total: model.users.total.unwrap_or(0) as usize,
            elapsed: std::time::Duration::ZERO,
        },
        stopping: false,
    }));
    cmds.push(Cmd::Export {
        request,
        view: view_of(&model.filters),
        path,
        format,
        overwrite,
    });
}

pub(super) fn back_out(model: &mut Model, cmds: &mut Vec<Cmd>) {
    let Mode::Export(dialog) = &mut model.mode else {
        return;
    };
    match dialog.as_mut() {
        ExportDialog::Running {
            request, stopping, ..
        } => {
            if !*stopping {
                *stopping = true;
                cmds.push(Cmd::StopBulk { request: *request });
            }
        }
        // Not over the file: back to the path, to name another one.
        ExportDialog::Overwrite { path } => {
            let path = Input::new(path.to_string_lossy().into_owned());
            **dialog = ExportDialog::Asking { path };
        }
        ExportDialog::Asking { .. } => model.mode = Mode::Normal,
    }
}

pub(super) fn on_progressed(model: &mut Model, request: RequestId, progress: bulk::Progress) {
    if let Mode::Export(dialog) = &mut model.mode
        && let ExportDialog::Running {
            request: running,
            progress: shown,
            ..
        } = dialog.as_mut()
        && *running == request
    {
        *shown = progress;
    }
}

pub(super) fn on_finished(
    model: &mut Model,
    request: RequestId,
    result: Result<ExportDone, ExportError>,
    cmds: &mut Vec<Cmd>,
) {
    let ours = matches!(&model.mode, Mode::Export(dialog)
        if matches!(dialog.as_ref(), ExportDialog::Running { request: running, .. } if *running == request));
    if ours {
        model.mode = Mode::Normal;
    }
    match result {
        // Nothing was written: the dialog asks before writing over what is there.
        Err(ExportError::Exists { path }) if ours => {
            model.mode = Mode::Export(Box::new(ExportDialog::Overwrite { path }));
        }
        Ok(done) => {
            let stopped = if done.stopped {
                " (stopped before the end)"
            } else {
                ""
            };
            let text = format!(
                "Exported {} users to {}{stopped}",
                done.written,
                done.path.display()
            );
            log_activity(model, text.clone(), true, cmds);
            model.inform(text);
        }
        Err(reason) => {
            let text = format!("Export failed: {reason}");
            log_activity(model, text.clone(), false, cmds);
            model.fail(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::KeyCode;

    use super::*;
    use crate::console::fixtures::update;
    use crate::console::fixtures::{loaded_model, press};
    use crate::console::msg::Msg;
    use geobox_api::UserStatus;
    use geobox_ops::transfer::output::Format;

    #[test]
    fn w_asks_a_timestamped_path_writes_the_view_and_says_where() {
        let mut model = loaded_model(80, 24, 500);
        model.filters.status = Some(UserStatus::Pending);
        press(&mut model, KeyCode::Char('w'));
        let Mode::Export(dialog) = &model.mode else {
            panic!("no export dialog: {:?}", model.mode);
        };
        let ExportDialog::Asking { path } = dialog.as_ref() else {
            panic!("not asking");
        };
        assert_eq!(path.value(), "users-20261129-120000.csv");
        press(&mut model, KeyCode::Tab);
        let cmds = press(&mut model, KeyCode::Enter);
        let (request, format, view) = cmds
            .iter()
            .find_map(|cmd| match cmd {
                Cmd::Export {
                    request,
                    format,
                    view,
                    path,
                    overwrite,
                } => {
                    assert_eq!(path, &PathBuf::from("users-20261129-120000.jsonl"));
                    assert!(!overwrite, "never over a file unasked");
                    Some((*request, *format, view.clone()))
                }
                _ => None,
            })
            .expect("the export starts");
        assert_eq!(format, Format::Jsonl);
        assert_eq!(view.status, Some(UserStatus::Pending), "the table's filter");

        let progress = bulk::Progress {
            done: 1000,
            total: 3000,
            elapsed: Duration::from_secs(1),
        };
        update(&mut model, Msg::ExportProgressed { request, progress });
        let stop = press(&mut model, KeyCode::Esc);
        assert!(
            stop.iter()
                .any(|cmd| matches!(cmd, Cmd::StopBulk { request: r } if *r == request))
        );
        assert!(
            matches!(model.mode, Mode::Export(_)),
            "stays until the page is written"
        );

        let done = ExportDone {
            path: PathBuf::from("/home/admin/users-20261129-120000.jsonl"),
            written: 1000,
            stopped: true,
        };
        update(
            &mut model,
            Msg::ExportFinished {
                request,
                result: Ok(done),
            },
        );
        assert!(matches!(model.mode, Mode::Normal));
        let banner = model.banner.clone().expect("says where");
        assert!(
            banner
                .text
                .contains("/home/admin/users-20261129-120000.jsonl")
                && banner.text.contains("1000 users")
                && banner.text.contains("stopped"),
            "{}",
            banner.text
        );
    }

    #[test]
    fn a_file_already_there_is_written_over_only_after_a_yes_that_names_it() {
        let mut model = loaded_model(80, 24, 500);
        press(&mut model, KeyCode::Char('w'));
        let cmds = press(&mut model, KeyCode::Enter);
        let Some(Cmd::Export { request, path, .. }) = cmds.first() else {
            panic!("the export starts: {cmds:?}");
        };
        let (request, path) = (*request, path.clone());
        update(
            &mut model,
            Msg::ExportFinished {
                request,
                result: Err(ExportError::Exists { path: path.clone() }),
            },
        );
        assert!(
            matches!(&model.mode, Mode::Export(dialog)
                if matches!(dialog.as_ref(), ExportDialog::Overwrite { path: asked } if *asked == path)),
            "{:?}",
            model.mode
        );
        // ⏎ is not a yes here; n goes back to the name, to change it.
        assert!(press(&mut model, KeyCode::Enter).is_empty());
        press(&mut model, KeyCode::Char('n'));
        let Mode::Export(dialog) = &model.mode else {
            panic!("the dialog stays: {:?}", model.mode);
        };
        assert!(
            matches!(dialog.as_ref(), ExportDialog::Asking { path: typed } if typed.value() == path.to_string_lossy()),
            "{dialog:?}"
        );
        let cmds = press(&mut model, KeyCode::Enter);
        let Some(Cmd::Export { request, .. }) = cmds.first() else {
            panic!("asked again: {cmds:?}");
        };
        update(
            &mut model,
            Msg::ExportFinished {
                request: *request,
                result: Err(ExportError::Exists { path: path.clone() }),
            },
        );
        let cmds = press(&mut model, KeyCode::Char('y'));
        assert!(
            matches!(cmds.as_slice(), [Cmd::Export { overwrite: true, path: written, .. }] if *written == path),
            "y writes over the file named: {cmds:?}"
        );
    }
}
