//! A build without the demo server (`--no-default-features`): the console needs a configured
//! Geobox.

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::eyre;
use futures_util::future::BoxFuture;
use geobox_api::Auth;
use geobox_users::console::ConsoleOptions;
use geobox_users::console::connections::DemoLauncher;
use geobox_users::console::deployment::Deployment;

/// No demo in this build: nothing of this type exists.
pub enum LazyDemo {}

impl DemoLauncher for LazyDemo {
    fn launch(&self) -> BoxFuture<'_, Result<(String, Auth), String>> {
        match *self {}
    }
}

/// This build has no demo to switch to.
pub fn lazy(_fresh: bool) -> Option<Arc<LazyDemo>> {
    None
}

pub async fn stop(_lazy: Option<Arc<LazyDemo>>) {}

pub fn open_console(
    _fresh: bool,
    _timeout: Duration,
    _options: impl FnOnce(Deployment) -> ConsoleOptions,
) -> color_eyre::Result<()> {
    Err(eyre!(
        "no Geobox is configured, and this build has no demo server (it was built without the \
         `demo` feature): set GEOBOX_HOST and a way to sign in, or choose a profile (see `geobox-users config`)"
    ))
}
