//! The embedded server through real HTTP: raw requests shaped exactly as the official Python
//! SDK sends them, and our own `GeoboxClient`; `abuse` meets it as an attacker and a crowd
//! would. One test binary, one module per subject; `harness` holds what they share.

#![allow(
    clippy::disallowed_macros,
    reason = "the load and flood tests print what they measured for the person running them"
)]

mod abuse;
mod auth;
mod demo;
mod errors;
mod harness;
mod listing;
mod permission_matrix;
mod permissions;
mod plans_members;
mod rules;
mod sdk;
#[path = "../support/mod.rs"]
mod support;
