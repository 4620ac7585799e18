//! A build without the demo server (`--no-default-features`): the console needs a configured
//! Geobox.

use std::time::Duration;

use color_eyre::eyre::eyre;
use geobox_users::console::ConsoleOptions;

pub fn open_console(
    _fresh: bool,
    _timeout: Duration,
    _options: impl Fn(Option<String>, String) -> ConsoleOptions,
) -> color_eyre::Result<()> {
    Err(eyre!(
        "no Geobox is configured, and this build has no demo server (it was built without the \
         `demo` feature): set GEOBOX_HOST and a way to sign in, or choose a profile (see `geobox-users config`)"
    ))
}
