//! `w`: every user matching the view written to a file, page by page.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::console::msg::RequestId;
use geobox_ops::bulk::Progress;
use geobox_ops::transfer::output::Format;

/// The export dialog: the path asked, then the pages being written.
#[derive(Clone, Debug)]
pub enum ExportDialog {
    Asking {
        path: Input,
    },
    /// Something is already at the path: writing over it waits for a yes that names it.
    Overwrite {
        path: PathBuf,
    },
    Running {
        request: RequestId,
        path: PathBuf,
        progress: Progress,
        stopping: bool,
    },
}

/// `users-20261201-221900.csv`, in the directory the console was started from.
pub fn default_export_name(now: DateTime<Utc>) -> String {
    format!("users-{}.csv", now.format("%Y%m%d-%H%M%S"))
}

/// JSON lines for `.jsonl` and `.json`, CSV otherwise.
pub fn export_format(path: &str) -> Format {
    let lower = path.trim().to_lowercase();
    if lower.ends_with(".jsonl") || lower.ends_with(".json") {
        Format::Jsonl
    } else {
        Format::Csv
    }
}

/// The same path with the other format's extension (Tab in the dialog).
pub fn toggle_extension(path: &str) -> String {
    let path = path.trim();
    let stem = path
        .rsplit_once('.')
        .filter(|(_, ext)| !ext.contains('/'))
        .map_or(path, |(stem, _)| stem);
    match export_format(path) {
        Format::Jsonl => format!("{stem}.csv"),
        _ => format!("{stem}.jsonl"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_picks_the_format_and_tab_swaps_it() {
        assert_eq!(export_format("a/users.csv"), Format::Csv);
        assert_eq!(export_format("users.JSONL"), Format::Jsonl);
        assert_eq!(toggle_extension("out/users-1.csv"), "out/users-1.jsonl");
        assert_eq!(toggle_extension("out/users-1.jsonl"), "out/users-1.csv");
        assert_eq!(toggle_extension("plain"), "plain.jsonl");
    }
}
