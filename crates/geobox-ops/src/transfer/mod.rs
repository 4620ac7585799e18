//! Moving many users at once: every page of a view, read in constant memory ([`Pager`]), and
//! users created or updated from a CSV file ([`import`]).

pub mod export;
pub mod import;
pub mod output;

pub use export::{ExportError, Exported, PAGE_SIZE, Pager, write_view};
pub use output::LineEnds;
