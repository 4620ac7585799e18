//! The export dialog: the path and format asked, then a bar with rate and time left.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::bulk_query::progress_bar;
use super::dialog_area;
use super::format::fit;
use super::theme::{Theme, hint_line};
use crate::console::model::{ExportDialog, Model, export_format};
use geobox_ops::transfer::output::Format;

const WIDTH: u16 = 70;

pub fn render(dialog: &ExportDialog, model: &Model, theme: Theme, frame: &mut Frame) {
    let area = dialog_area(frame, WIDTH, 7);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Export every user matching the view ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows: [_; 5] = Layout::vertical([Constraint::Length(1); 5]).areas(inner);
    let room = usize::from(WIDTH).saturating_sub(12);
    let filter = model.filters.chips().join(" · ");
    let filter = if filter.is_empty() {
        "every user".to_string()
    } else {
        filter
    };
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&filter, room + 8), theme.dim())),
        rows[0],
    );
    match dialog {
        ExportDialog::Asking { path } => {
            let format = match export_format(path.value()) {
                Format::Jsonl => "JSON lines",
                _ => "CSV",
            };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::raw("File: "),
                    Span::styled(format!("{}▏", fit(path.value(), room)), theme.input()),
                ])),
                rows[1],
            );
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("Format: {format} (from the extension)"),
                    theme.label(),
                )),
                rows[2],
            );
            let hints = hint_line(
                theme,
                &[
                    ("⏎", "write"),
                    ("Tab", "CSV ↔ JSON lines"),
                    ("Esc", "cancel"),
                ],
            );
            frame.render_widget(Paragraph::new(hints), rows[4]);
        }
        ExportDialog::Overwrite { path } => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("{} already exists.", fit(&path.display().to_string(), room)),
                    theme.error(),
                )),
                rows[1],
            );
            frame.render_widget(
                Paragraph::new(Line::raw(
                    "Write over it? The file is replaced, not added to.",
                )),
                rows[2],
            );
            let hints = hint_line(
                theme,
                &[("y", "write over it"), ("n / Esc", "choose another name")],
            );
            frame.render_widget(Paragraph::new(hints), rows[4]);
        }
        ExportDialog::Running {
            path,
            progress,
            stopping,
            ..
        } => {
            frame.render_widget(
                Paragraph::new(format!(
                    "Writing {}",
                    fit(&path.display().to_string(), room)
                )),
                rows[1],
            );
            frame.render_widget(progress_bar(progress, theme), rows[2]);
            let state = if *stopping {
                "stopping after the current page…"
            } else {
                "a page at a time"
            };
            frame.render_widget(Paragraph::new(Line::styled(state, theme.dim())), rows[3]);
            let hints = hint_line(theme, &[("Esc", "stop after this page")]);
            frame.render_widget(Paragraph::new(hints), rows[4]);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::console::fixtures::loaded_model;
    use crate::console::model::{ExportDialog, Mode};
    use crate::console::msg::RequestId;
    use geobox_api::UserStatus;
    use geobox_ops::bulk::Progress;

    #[test]
    fn the_export_shows_the_file_and_a_bar_with_rate_and_time_left() {
        for (width, height) in [(80, 24), (160, 45)] {
            let mut model = loaded_model(width, height, 500);
            model.filters.status = Some(UserStatus::Pending);
            model.mode = Mode::Export(Box::new(ExportDialog::Running {
                request: RequestId(4),
                path: PathBuf::from("users-20261129-120000.csv"),
                progress: Progress {
                    done: 2000,
                    total: 5000,
                    elapsed: Duration::from_secs(2),
                },
                stopping: false,
            }));
            let mut terminal =
                Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
            terminal
                .draw(|frame| {
                    crate::console::view::view(&model, &crate::console::fixtures::env(), frame)
                })
                .expect("drawing works");
            insta::with_settings!({
                filters => vec![(r"\d+ ms", "N ms")],
                snapshot_suffix => format!("{width}x{height}"),
            }, {
                insta::assert_snapshot!("export_progress", terminal.backend());
            });
        }
    }

    #[test]
    fn a_file_already_there_is_named_before_it_is_written_over() {
        for (width, height) in [(80, 24), (160, 45)] {
            let mut model = loaded_model(width, height, 500);
            model.mode = Mode::Export(Box::new(ExportDialog::Overwrite {
                path: PathBuf::from("users-20261129-120000.csv"),
            }));
            let mut terminal =
                Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
            terminal
                .draw(|frame| {
                    crate::console::view::view(&model, &crate::console::fixtures::env(), frame)
                })
                .expect("drawing works");
            let text = format!("{:?}", terminal.backend());
            assert!(
                text.contains("users-20261129-120000.csv already exists."),
                "{text}"
            );
            insta::with_settings!({
                filters => vec![(r"\d+ ms", "N ms")],
                snapshot_suffix => format!("{width}x{height}"),
            }, {
                insta::assert_snapshot!("export_overwrite", terminal.backend());
            });
        }
    }
}
