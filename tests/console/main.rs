//! The console end to end: its update loop against the embedded server over real HTTP (keys
//! through the real keymap, commands through the real executor), the query bar's copied
//! command run by a shell, and the real binary on a pseudo-terminal. One test binary, one
//! module per subject.

mod console_faults;
mod console_flows;
mod console_power;
mod deployments;
mod pty;
mod querybar;
#[path = "../support/mod.rs"]
mod support;
