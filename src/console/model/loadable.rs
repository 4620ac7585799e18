//! What is fetched from the server, and the request whose answer it waits for.

use crate::console::msg::{Done, RequestId};

/// Something that is fetched from the server.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LoadState<T> {
    #[default]
    Idle,
    Loading,
    Loaded(T),
    Failed(String),
}

impl<T> LoadState<T> {
    pub fn loaded(&self) -> Option<&T> {
        match self {
            LoadState::Loaded(value) => Some(value),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self, LoadState::Loading)
    }
}

/// Something fetched from the server, with the request whose answer it waits for: only that
/// answer is taken, so a slow answer to an older request never overwrites a newer one.
#[derive(Clone, Debug, PartialEq)]
pub struct Loadable<T> {
    pub state: LoadState<T>,
    pub request: Option<RequestId>,
}

impl<T> Default for Loadable<T> {
    fn default() -> Self {
        Loadable {
            state: LoadState::Idle,
            request: None,
        }
    }
}

impl<T> Loadable<T> {
    /// Asks for it (again); what is already loaded stays shown until the answer comes.
    pub fn start(&mut self, request: RequestId) {
        self.request = Some(request);
        if self.state.loaded().is_none() {
            self.state = LoadState::Loading;
        }
    }

    /// Whether `done` answers the request waited for (then it is no longer waited for).
    pub fn accept(&mut self, done: &Done<T>) -> bool {
        done.answers(&mut self.request)
    }

    pub fn loaded(&self) -> Option<&T> {
        self.state.loaded()
    }

    pub fn is_loading(&self) -> bool {
        self.state.is_loading()
    }
}
