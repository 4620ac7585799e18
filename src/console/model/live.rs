//! The live table: the rows on screen, the selected user's sessions and (less often) the count
//! are read again every few seconds, and what changed since the last look is marked. It never
//! gets in the way: no refresh while a dialog is open, right after a key, while the terminal
//! is not focused, while offline, or while the previous refresh is still out.
//!
//! `update` never reads the clock: the loop asks [`next_wake`] when to wake it, sends
//! `Msg::LiveTick` then, and `update` asks [`due`] whether a refresh should start now.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Mode, Model};
use crate::console::msg::RequestId;
use geobox_api::User;

/// How often the table refreshes unless `--refresh` or `[console] refresh` says otherwise.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);
/// A refresh waits this long after the admin's last key, so rows never move under a finger.
pub const QUIET_AFTER_KEY: Duration = Duration::from_secs(1);
/// How long a changed cell, or a user who newly matches, stays highlighted.
pub const CHANGE_SHOWN: Duration = Duration::from_secs(4);
/// The count (a heavier request) is read again every this many refreshes of the rows.
pub const COUNT_EVERY: u64 = 6;
/// Rows read above and below the screen, so a user who moved a few rows is not taken for gone.
pub const WINDOW_MARGIN: u64 = 10;

/// A cell of a user row that a refresh can find changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LiveField {
    Username,
    Name,
    Email,
    Mobile,
    Role,
    Status,
    Plan,
    Expires,
}

impl LiveField {
    pub const ALL: [LiveField; 8] = [
        LiveField::Username,
        LiveField::Name,
        LiveField::Email,
        LiveField::Mobile,
        LiveField::Role,
        LiveField::Status,
        LiveField::Plan,
        LiveField::Expires,
    ];

    /// Whether the field differs between two copies of a user.
    pub fn differs(self, before: &User, after: &User) -> bool {
        match self {
            LiveField::Username => before.username != after.username,
            LiveField::Name => before.full_name() != after.full_name(),
            LiveField::Email => before.email != after.email,
            LiveField::Mobile => before.mobile != after.mobile,
            LiveField::Role => before.role != after.role,
            LiveField::Status => before.status != after.status,
            LiveField::Plan => {
                before.plan.as_ref().map(|plan| plan.label())
                    != after.plan.as_ref().map(|plan| plan.label())
            }
            LiveField::Expires => before.expiration_date != after.expiration_date,
        }
    }
}

/// What a refresh found about one user, shown until `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    /// The cells that changed (empty for a user who newly matches).
    pub fields: BTreeSet<LiveField>,
    /// The user was not on screen before this refresh: they newly match the view.
    pub new: bool,
    pub until: DateTime<Utc>,
}

/// The requests of the refresh under way; the next one starts once all have answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub rows: Option<RequestId>,
    pub count: Option<RequestId>,
    pub sessions: Option<RequestId>,
}

impl Round {
    pub fn is_done(&self) -> bool {
        self.rows.is_none() && self.count.is_none() && self.sessions.is_none()
    }

    /// Takes `request` off the round, if it is one of its requests.
    pub fn answered(&mut self, request: RequestId) -> bool {
        for part in [&mut self.rows, &mut self.count, &mut self.sessions] {
            if *part == Some(request) {
                *part = None;
                return true;
            }
        }
        false
    }
}

/// The state of the live table.
#[derive(Clone, Debug, PartialEq)]
pub struct Live {
    /// Refreshing (the admin's choice: `--refresh`, the config, or the toggle key).
    pub on: bool,
    /// How long between two refreshes.
    pub every: Duration,
    /// Whether the terminal has focus (it says so when it reports focus; assumed until then).
    pub focused: bool,
    /// When the admin last pressed a key or used the mouse.
    pub last_key: Option<DateTime<Utc>>,
    /// When the next refresh is due.
    pub next_at: Option<DateTime<Utc>>,
    /// When the rows on screen were last read (by a refresh or any page load).
    pub read_at: Option<DateTime<Utc>>,
    /// The refresh under way.
    pub round: Option<Round>,
    /// Refreshes of the rows started so far: every [`COUNT_EVERY`]th reads the count too.
    pub rounds: u64,
    /// Failed refreshes in a row; each one doubles the wait (the server said no, or garbage).
    pub failures: u32,
    /// The count is read with the next refresh (users came or went).
    pub count_next: bool,
    /// Users marked by the last refreshes: changed cells and users who newly match.
    pub marks: BTreeMap<i64, Marked>,
    /// Users who no longer match the view, kept dimmed in place until the selection moves.
    pub gone: BTreeSet<i64>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            on: false,
            every: DEFAULT_REFRESH,
            focused: true,
            last_key: None,
            next_at: None,
            read_at: None,
            round: None,
            rounds: 0,
            failures: 0,
            count_next: false,
            marks: BTreeMap::new(),
            gone: BTreeSet::new(),
        }
    }
}

impl Live {
    /// Live with this interval; zero turns it off.
    pub fn every(interval: Duration) -> Live {
        Live {
            on: !interval.is_zero(),
            every: if interval.is_zero() {
                DEFAULT_REFRESH
            } else {
                interval
            },
            ..Live::default()
        }
    }

    /// The cells of this user marked changed, and whether they newly match.
    pub fn marks_of(&self, user_id: i64) -> Option<&Marked> {
        self.marks.get(&user_id)
    }

    pub fn is_gone(&self, user_id: i64) -> bool {
        self.gone.contains(&user_id)
    }

    /// The earliest time a mark fades.
    fn first_fade(&self) -> Option<DateTime<Utc>> {
        self.marks.values().map(|marked| marked.until).min()
    }
}

/// Why the live table is not refreshing right now, for the title bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paused {
    /// Turned off by the admin (or by `refresh = 0`).
    Off,
    /// A dialog, form, picker or line has the keyboard.
    Dialog,
    /// The terminal is not focused.
    Unfocused,
    /// The server does not answer: the offline retries take over.
    Offline,
}

/// Whether a refresh should start, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Now,
    At(DateTime<Utc>),
    /// Not until something else happens (an answer, a key, focus, the dialog closing).
    Later,
}

/// Why the live table is paused, if it is.
pub fn paused(model: &Model) -> Option<Paused> {
    if !model.live.on {
        Some(Paused::Off)
    } else if model.connection.is_offline() {
        Some(Paused::Offline)
    } else if !model.live.focused {
        Some(Paused::Unfocused)
    } else if !matches!(model.mode, Mode::Normal) {
        Some(Paused::Dialog)
    } else {
        None
    }
}

/// Whether a refresh of the rows should start at `model.now`.
pub fn due(model: &Model) -> Due {
    let live = &model.live;
    // A refresh still out, a page or the count still loading, a change in flight: the answer
    // comes first (it may well change the rows), and the next look follows it.
    let busy = live.round.is_some()
        || model.users.is_loading()
        || !model.actions_in_flight.is_empty()
        || model.progress.is_some();
    if paused(model).is_some() || busy || !model.users.first_answer_in() {
        return Due::Later;
    }
    let Some(next) = live.next_at else {
        return Due::Later;
    };
    let quiet = live.last_key.and_then(|key| {
        chrono::Duration::from_std(QUIET_AFTER_KEY)
            .ok()
            .map(|wait| key + wait)
    });
    let at = quiet.map_or(next, |quiet| quiet.max(next));
    if at <= model.now {
        Due::Now
    } else {
        Due::At(at)
    }
}

/// When the loop should wake the console for the live table: the next refresh, or the next
/// mark that fades. `None`: nothing to wake for (no timer runs, so an idle console sleeps).
pub fn next_wake(model: &Model) -> Option<DateTime<Utc>> {
    let refresh = match due(model) {
        Due::Now => Some(model.now),
        Due::At(at) => Some(at),
        Due::Later => None,
    };
    [refresh, model.live.first_fade()]
        .into_iter()
        .flatten()
        .min()
}

/// `now` plus a `Duration` (saturating far in the future).
pub fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
