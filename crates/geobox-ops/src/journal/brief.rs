//! An entry as a listing shows it: its first user's change and how many users it wrote. A run
//! over 50,000 users is one entry; a listing of the newest ten reads one of its users, not all.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};

use super::entry::{Entry, UserChange};

/// An entry with only its first user's change kept.
pub type Brief = Entry<Sample>;

/// The users of an entry, as a listing needs them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub first: Option<UserChange>,
    /// How many users the entry wrote, the first included.
    pub count: usize,
}

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstOfAll;

        impl<'de> Visitor<'de> for FirstOfAll {
            type Value = Sample;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of user changes")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sample, A::Error> {
                let first = seq.next_element::<UserChange>()?;
                let mut count = usize::from(first.is_some());
                // The rest are read through (the JSON must still be whole), not kept.
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    count += 1;
                }
                Ok(Sample { first, count })
            }
        }

        deserializer.deserialize_seq(FirstOfAll)
    }
}

impl From<&Entry> for Brief {
    fn from(entry: &Entry) -> Brief {
        Brief {
            id: entry.id.clone(),
            time: entry.time,
            host: entry.host.clone(),
            deployment: entry.deployment.clone(),
            profile: entry.profile.clone(),
            by: entry.by.clone(),
            machine: entry.machine.clone(),
            tool: entry.tool,
            action: entry.action.clone(),
            changes: Sample {
                first: entry.changes.first().cloned(),
                count: entry.changes.len(),
            },
            detail: entry.detail.clone(),
            steps: entry.steps.clone(),
            outcome: entry.outcome.clone(),
            undoes: entry.undoes.clone(),
            skipped: entry.skipped.clone(),
            undone: entry.undone.clone(),
            read_from: entry.read_from.clone(),
            not_shared: entry.not_shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Action, Outcome, Tool};

    #[test]
    fn a_brief_keeps_the_first_user_and_counts_the_rest() {
        let mut entry = Entry::new("http://h", Tool::Cli, Action::Import, Outcome::Ok);
        entry.changes = (1..=1000)
            .map(|id| UserChange::new(Some(id), Some(format!("u{id}"))))
            .collect();
        let line = serde_json::to_string(&entry).expect("json");
        let brief: Brief = serde_json::from_str(&line).expect("a brief");
        assert_eq!(brief.changes.count, 1000);
        assert_eq!(
            brief.changes.first.as_ref().and_then(|c| c.user_id),
            Some(1)
        );
        assert_eq!(brief, Brief::from(&entry));
        let none: Brief = serde_json::from_str(
            r#"{"id":"a","time":"2026-12-01T00:00:00Z","host":"h","tool":"cli","action":"update","outcome":"ok"}"#,
        )
        .expect("no changes");
        assert_eq!(none.changes, Sample::default());
    }

    #[test]
    fn a_brief_is_read_as_strictly_as_an_entry() {
        let broken = r#"{"id":"a","time":"2026-12-01T00:00:00Z","host":"h","tool":"cli","action":"update","changes":[{"user_id":1},{"user_id":],"outcome":"ok"}"#;
        assert!(serde_json::from_str::<Brief>(broken).is_err());
    }
}
