//! Drawing: `view(&Model, &Env, &mut Frame)` reads the model and the environment and draws; it
//! never changes anything.

pub mod actions;
pub mod agent;
pub mod bulk_query;
pub mod deployments;
pub mod detail_pane;
pub mod export;
pub mod feedback;
pub mod filters;
pub mod form;
pub mod format;
pub mod help;
pub mod journal;
pub mod list;
pub mod lockdown;
pub mod protected;
pub mod query_bar;
pub mod session_choice;
pub mod sessions;
pub mod theme;
pub mod views;

#[cfg(test)]
mod deployment_snapshots;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod journal_snapshots;
#[cfg(test)]
mod live_snapshots;
#[cfg(test)]
mod lockdown_snapshots;
#[cfg(test)]
mod safety_snapshots;
#[cfg(test)]
mod snag_snapshots;
#[cfg(test)]
mod snapshot_tests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Clear;

use super::env::Env;
use super::layout;
use super::model::{Mode, Model};
use theme::Theme;

/// Draws the whole screen for the model.
pub fn view(model: &Model, env: &Env, frame: &mut Frame) {
    let theme = Theme {
        color: env.color,
        palette: env.palette,
        accent: env.accent,
    };
    let areas = layout::areas(model);
    feedback::title_bar(model, env, theme, frame, areas.title);
    list::render(model, theme, frame, areas.table);
    if areas.detail.height > 0 {
        detail_pane::render(model, theme, frame, areas.detail);
    }
    if areas.sessions.height > 0 {
        sessions::render(model, theme, frame, areas.sessions);
    }
    if areas.activity.height > 0 {
        feedback::activity_log(model, theme, frame, areas.activity);
    }
    if areas.banner.height > 0 {
        feedback::banner(model, theme, frame, areas.banner);
    }
    feedback::footer(model, env, theme, frame, areas.footer);
    draw_dialog(model, env, theme, frame);
}

/// Draws the dialog, panel or overlay of the model's mode over the main screen.
fn draw_dialog(model: &Model, env: &Env, theme: Theme, frame: &mut Frame) {
    match &model.mode {
        Mode::Normal | Mode::Search(_) => {}
        Mode::Filters(panel) => {
            dim_background(frame);
            filters::render(panel, theme, frame);
        }
        Mode::Help => {
            dim_background(frame);
            help::render(model, &env.keymap, theme, frame);
        }
        Mode::Picker(picker) => {
            dim_background(frame);
            actions::picker(picker, model, theme, frame);
        }
        Mode::Confirm(confirm) => {
            dim_background(frame);
            // A save that asks first keeps its form in sight behind the question.
            if let Some(form) = confirm.form() {
                form::render(form, model, theme, frame);
                dim_background(frame);
            }
            actions::confirm(model, confirm, theme, frame);
        }
        Mode::Password(dialog) => {
            dim_background(frame);
            actions::password(dialog, theme, frame);
        }
        Mode::Form(form) => {
            dim_background(frame);
            form::render(form, model, theme, frame);
        }
        Mode::QueryBar => query_bar::render(model, env, theme, frame),
        Mode::CloseChoice(choice) => {
            dim_background(frame);
            session_choice::render(choice, theme, frame);
        }
        Mode::Lockdown(dialog) => {
            dim_background(frame);
            lockdown::render(dialog, model, theme, frame);
        }
        Mode::Journal(journal_view) => {
            dim_background(frame);
            journal::render(journal_view, model, theme, frame);
        }
        Mode::BulkQuery(query) => {
            dim_background(frame);
            bulk_query::render(query, model, theme, frame);
        }
        Mode::Export(dialog) => {
            dim_background(frame);
            export::render(dialog, model, theme, frame);
        }
        Mode::Views(picker) => {
            dim_background(frame);
            views::render(picker, theme, frame);
        }
        Mode::Deployments(picker) => {
            dim_background(frame);
            deployments::render(picker, model, env, theme, frame);
        }
        Mode::Gate(gate) => {
            // The dialog the write came from stays in sight behind the question.
            dim_background(frame);
            let behind = Model {
                mode: (*gate.back).clone(),
                ..model.clone()
            };
            draw_dialog(&behind, env, theme, frame);
            dim_background(frame);
            protected::render(gate, env, theme, frame);
        }
    }
}

/// Dims what is behind a dialog so the dialog stands out.
fn dim_background(frame: &mut Frame) {
    let area = frame.area();
    frame
        .buffer_mut()
        .set_style(area, Style::new().add_modifier(Modifier::DIM));
}

/// A centered rectangle of at most `width` x `height`, cleared for a dialog.
pub fn dialog_area(frame: &mut Frame, width: u16, height: u16) -> Rect {
    let area = frame.area();
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, rect);
    rect
}
