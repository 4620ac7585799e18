//! A journal of 1,000,000 entries, one of them a bulk change to 50,000 users, made in a data
//! directory (and, given a URL, in a team journal) to measure the CLI's listings against:
//!
//! ```sh
//! GEOBOX_USERS_SCALE_DIR=/tmp/journal-1m \
//! GEOBOX_USERS_SCALE_URL=postgres://user:password@127.0.0.1:5432/journal \
//!   cargo test --release -p geobox-ops --lib -- --ignored --nocapture a_journal_of_a_million_entries
//! ```
//!
//! then, for example, `GEOBOX_USERS_DATA_DIR=/tmp/journal-1m geobox-users journal --limit 10`
//! (add `GEOBOX_JOURNAL_URL=…` for the team journal). The entries are the same every time
//! (a fixed seed): 5 admins, 200,000 users, a minute apart, the bulk change among the newest.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};

use super::*;

/// How many entries, and how many users the bulk change writes.
const ENTRIES: usize = 1_000_000;
const BULK_USERS: i64 = 50_000;
/// Entries made and kept at a time.
const BATCH: usize = 20_000;
/// The user `journal --user` is measured with: in the bulk change, and in a few others.
pub const MEASURED_USER: &str = "user4242";

fn entry_at(index: usize, rng: &mut rand::rngs::StdRng) -> Entry {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut entry = Entry::at(
        format!("e{index:09}"),
        start + Duration::minutes(index as i64),
        "https://api.geobox.ir/v1/",
        if index.is_multiple_of(3) {
            Tool::Console
        } else {
            Tool::Cli
        },
        Action::Update,
        Outcome::Ok,
    );
    entry.place(
        &Deployment::server("https://api.geobox.ir"),
        "https://api.geobox.ir/v1/",
    );
    entry.by = Some(format!("admin{}", index % 5));
    entry.machine = Some(format!("laptop{}", index % 5));
    let user = if index % 200_000 == 4_242 {
        4_242
    } else {
        rng.random_range(1..200_000)
    };
    let status = |value: &str| {
        Values(
            [(Field::Status, serde_json::json!(value))]
                .into_iter()
                .collect(),
        )
    };
    entry.changes = vec![
        UserChange::new(Some(user), Some(format!("user{user}")))
            .values(status("Active"), status("Disabled")),
    ];
    if index == ENTRIES - 3 {
        entry.action = Action::BulkUpdate;
        entry.detail = Some("status → Disabled".to_string());
        entry.changes = (1..=BULK_USERS)
            .map(|user| {
                let mut change = UserChange::new(Some(user), Some(format!("user{user}")))
                    .values(status("Active"), status("Disabled"));
                change.outcome = Some(Outcome::Ok);
                change
            })
            .collect();
    }
    entry
}

#[test]
#[ignore = "makes a journal of 1,000,000 entries for a measurement (see the module's doc)"]
fn a_journal_of_a_million_entries() {
    let dir =
        std::env::var("GEOBOX_USERS_SCALE_DIR").expect("GEOBOX_USERS_SCALE_DIR: where to make it");
    let local = LocalStore::new(dir.clone().into());
    let team = std::env::var("GEOBOX_USERS_SCALE_URL").ok().map(|url| {
        let team = TeamJournal::parse(&url, None).expect("a team journal URL");
        team::TeamStore::new(team, std::env::temp_dir()).expect("a team store")
    });
    let mut rng = rand::rngs::StdRng::seed_from_u64(24);
    let started = Instant::now();
    for first in (0..ENTRIES).step_by(BATCH) {
        let batch: Vec<Entry> = (first..(first + BATCH).min(ENTRIES))
            .map(|index| entry_at(index, &mut rng))
            .collect();
        local.keep_many(&batch).expect("kept here");
        if let Some(team) = &team {
            team.database()
                .insert_many(&batch)
                .expect("kept in the team journal");
        }
    }
    #[allow(
        clippy::disallowed_macros,
        reason = "the figures a measurement run reads; nothing from a server is printed"
    )]
    {
        eprintln!(
            "made {ENTRIES} entries (one of {BULK_USERS} users) in {dir}{} in {:?}",
            if team.is_some() {
                " and the team journal"
            } else {
                ""
            },
            started.elapsed()
        );
    }
    let about = Filter {
        user: Some(UserKey::parse(MEASURED_USER)),
        ..Filter::default()
    };
    let found = local.scan_briefs(&about, &mut |_| std::ops::ControlFlow::Continue(()));
    assert!(found.is_ok());
}
