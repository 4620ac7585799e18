//! Dates as the server writes them, read the way every screen and form shows them.

/// The date in `2026-12-11T00:00:00` (or the whole text when it has no `T`).
pub fn date_part(text: &str) -> &str {
    text.split(['T', ' ']).next().unwrap_or(text)
}
