//! A protected deployment (`protected = true` in its profile): every write asks for the
//! deployment's name typed, on top of the confirmation it already has. One rule for every
//! path: `update` tries each intent on a copy of the model first, and an intent that would
//! send a write (or the read a write starts with) is held here until the name matches. The
//! copy is thrown away, so nothing the intent would have done happens before that.

use tui_input::{Input, InputRequest};

use super::feedback::log_activity;
use crate::console::cmd::Cmd;
use crate::console::env::Env;
use crate::console::model::{Gate, Mode, Model};
use crate::console::msg::Msg;

/// Whether a message is one the gate must try: an intent or an answer that is not the
/// plumbing of input, timers and the gate itself (those never write, and come too often to
/// try each one on a copy).
pub(super) fn may_write(msg: &Msg) -> bool {
    !matches!(
        msg,
        Msg::KeyPressed(_)
            | Msg::MouseUsed(_)
            | Msg::Resized { .. }
            | Msg::Tick
            | Msg::LiveTick
            | Msg::FocusChanged(_)
            | Msg::Quit
            | Msg::RetryConnection { .. }
            | Msg::SelectionSettled { .. }
            | Msg::SearchSettled { .. }
            | Msg::EditGateName(_)
            | Msg::ConfirmGate
            | Msg::CancelGate
            // Answers that carry no API error (so `update` tries them here), none of which
            // writes: a run's progress and end, files read, another deployment's answers.
            | Msg::BulkProgressed { .. }
            | Msg::BulkFinished { .. }
            | Msg::ExportProgressed { .. }
            | Msg::UndoApplied { .. }
            | Msg::JournalRead { .. }
            | Msg::ViewsLoaded { .. }
            | Msg::SignedIn { .. }
            | Msg::FoundEverywhere { .. }
    )
}

/// Whether the commands an intent produced (on a copy of the model) would change something on
/// the server. Listing sessions to look for one address is not a write; listing them to close
/// them is its first step.
pub(super) fn commits(trial: &Model, planned: &[Cmd]) -> bool {
    planned.iter().any(|cmd| match cmd {
        Cmd::ListSessionsToClose { request, .. } => !trial
            .address_sweep
            .as_ref()
            .is_some_and(|sweep| sweep.pending.contains(request)),
        other => other.writes(),
    })
}

/// Holds `intent` and asks for the deployment's name.
pub(super) fn ask_name(model: &mut Model, env: &Env, intent: Msg, cmds: &mut Vec<Cmd>) {
    let back = std::mem::take(&mut model.mode);
    model.mode = Mode::Gate(Box::new(Gate {
        typed: Input::default(),
        mismatch: false,
        then: Box::new(intent),
        back: Box::new(back),
    }));
    cmds.push(Cmd::Log {
        line: format!(
            "A write to {} (protected) waits for its name typed",
            env.deployment
        ),
    });
}

pub(super) fn edit(model: &mut Model, request: InputRequest) {
    if let Mode::Gate(gate) = &mut model.mode {
        gate.typed.handle(request);
        gate.mismatch = false;
    }
}

/// ⏎: with the name typed right, the dialog the write came from is put back and the write is
/// handed back to be carried out; otherwise the gate stays and says the name does not match.
pub(super) fn confirm(model: &mut Model, env: &Env, cmds: &mut Vec<Cmd>) -> Option<Msg> {
    let Mode::Gate(gate) = &mut model.mode else {
        return None;
    };
    if gate.typed.value() != env.deployment {
        gate.mismatch = true;
        return None;
    }
    let gate = match std::mem::take(&mut model.mode) {
        Mode::Gate(gate) => gate,
        other => {
            model.mode = other;
            return None;
        }
    };
    model.mode = *gate.back;
    log_activity(
        model,
        format!("Confirmed a write to {} (protected)", env.deployment),
        true,
        cmds,
    );
    Some(*gate.then)
}

/// Esc: the write is not sent; the dialog it came from is back, to say no or change it.
pub(super) fn cancel(model: &mut Model) {
    if !matches!(model.mode, Mode::Gate(_)) {
        return;
    }
    if let Mode::Gate(gate) = std::mem::take(&mut model.mode) {
        model.mode = *gate.back;
        model.note("Nothing was sent: the deployment's name was not typed");
    }
}
