//! What a listing asks for, as the planner sees it: status and role equalities, everything
//! else, one sort key; and where a page sits once a deep one is read from the other end.

use rusqlite::types::Value;

use super::listing::{CountCache, UserListing, Where, listing_where};

/// A listing the planner knows: equalities on status and role, anything else, one sort key.
pub(super) struct Shape {
    /// `(column, value)`, each of `status` and `role` at most once.
    pub(super) equal: Vec<(&'static str, Value)>,
    /// Every other condition, and the keyword search.
    pub(super) rest: Where,
    /// When `rest` is only a filter of comparisons joined by AND: those comparisons.
    pub(super) comparisons: Option<Vec<(&'static str, &'static str, Value)>>,
    /// The terms of the keyword search and their columns, to test row by row in a walk.
    pub(super) search: Option<(Vec<String>, Vec<&'static str>)>,
    pub(super) sort: &'static str,
    pub(super) descending: bool,
}

impl Shape {
    pub(super) fn of(listing: &UserListing) -> Option<Shape> {
        let (sort, descending) = match listing.order_by.as_slice() {
            [] => ("id", false),
            [(column, descending)] => (*column, *descending),
            [(column, descending), ("id", id_descending)] if descending == id_descending => {
                (*column, *descending)
            }
            _ => return None,
        };
        let mut equal: Vec<(&'static str, Value)> = Vec::new();
        let mut others = listing.clone();
        if listing.filter.is_some() {
            // A filter wins over a keyword search, as in the general plan.
            others.search = None;
        }
        if let Some(status) = others.status.take() {
            equal.push(("status", Value::Text(status)));
        }
        if let Some(filter) = &listing.filter
            && let Some(equalities) = &filter.equalities
            && equalities
                .iter()
                .all(|(column, _)| matches!(*column, "status" | "role"))
        {
            equal.extend(equalities.iter().cloned());
            others.filter = None;
        }
        let mut seen = Vec::new();
        for (column, _) in &equal {
            if seen.contains(column) {
                return None;
            }
            seen.push(*column);
        }
        let search = match (&others.filter, &others.search) {
            (None, Some((terms, columns))) => Some((
                terms.split_whitespace().map(str::to_string).collect(),
                columns.clone(),
            )),
            _ => None,
        };
        let comparisons = match &others.filter {
            Some(filter) if others.parent_id.is_none() => filter.comparisons.clone(),
            _ => None,
        };
        Some(Shape {
            equal,
            rest: listing_where(&others),
            comparisons,
            search,
            sort,
            descending,
        })
    }

    pub(super) fn has_rest(&self) -> bool {
        self.rest.full_text.is_some() || !self.rest.conditions.is_empty()
    }

    /// The equalities and the other conditions (not the full-text match), with their values.
    pub(super) fn conditions(&self) -> Where {
        let mut clause = self.equal_where();
        clause
            .conditions
            .extend(self.rest.conditions.iter().cloned());
        clause.values.extend(self.rest.values.iter().cloned());
        clause
    }

    /// What names this filter's whole sort order among those kept: every condition, the
    /// full-text match, and the sort column (the direction is the same order read backwards).
    pub(super) fn order_key(&self) -> String {
        let mut clause = self.conditions();
        clause.full_text.clone_from(&self.rest.full_text);
        format!("{}|{}", self.sort, CountCache::key(&clause))
    }

    fn equal_where(&self) -> Where {
        Where {
            full_text: None,
            conditions: self
                .equal
                .iter()
                .map(|(column, _)| format!("{column} = ?"))
                .collect(),
            values: self.equal.iter().map(|(_, value)| value.clone()).collect(),
        }
    }
}

/// Where a page sits once a deep one is read from the other end.
pub(super) struct Window {
    pub(super) skip: u64,
    pub(super) limit: u64,
    pub(super) reversed: bool,
}

impl Window {
    pub(super) fn of(skip: u64, limit: u64, matches: Option<u64>) -> Window {
        match matches {
            Some(matches) if skip.saturating_mul(2).saturating_add(limit) > matches => Window {
                skip: matches.saturating_sub(skip.saturating_add(limit)),
                limit: limit.min(matches.saturating_sub(skip)),
                reversed: true,
            },
            _ => Window {
                skip,
                limit,
                reversed: false,
            },
        }
    }
}
