//! Stepping through a list that wraps around at both ends: panes, fields, choices, cursors.

/// The index one step forward (or back) from `index` in a list of `len`, wrapping around.
/// An empty list stays at 0.
pub fn step_wrapping(index: usize, len: usize, forward: bool) -> usize {
    if len == 0 {
        return 0;
    }
    if forward {
        (index + 1) % len
    } else {
        (index + len - 1) % len
    }
}

#[cfg(test)]
mod tests {
    use super::step_wrapping;

    #[test]
    fn steps_wrap_at_both_ends() {
        assert_eq!(step_wrapping(0, 3, true), 1);
        assert_eq!(step_wrapping(2, 3, true), 0);
        assert_eq!(step_wrapping(0, 3, false), 2);
        assert_eq!(step_wrapping(1, 3, false), 0);
        assert_eq!(step_wrapping(0, 0, true), 0);
    }
}
