//! Saved views in the console: the picker of saved and built-in views, and how a view and the
//! table's filters turn into each other.

use tui_input::Input;

use super::filters::{Filters, Sort, SortColumn};
use crate::console::msg::RequestId;
use geobox_ops::views::View;

/// One line of the picker.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewEntry {
    pub name: String,
    pub view: View,
    /// Built in: cannot be deleted or renamed.
    pub built_in: bool,
}

/// What the name typed in the picker is for.
#[derive(Clone, Debug, PartialEq)]
pub enum Naming {
    /// Save the table's current view under this name.
    Save,
    /// Rename the saved view of this name.
    Rename(String),
}

/// The picker of views (`F`), or the name line of `V`.
#[derive(Clone, Debug, Default)]
pub struct ViewPicker {
    pub entries: Vec<ViewEntry>,
    pub cursor: usize,
    /// The list (or a save, rename, delete) the picker waits for.
    pub awaiting: Option<RequestId>,
    /// A name being typed, and what for.
    pub naming: Option<(Naming, Input)>,
    /// What went wrong reading or writing the config file.
    pub error: Option<String>,
}

impl ViewPicker {
    pub fn selected(&self) -> Option<&ViewEntry> {
        self.entries.get(self.cursor)
    }
}

/// The table's filters and sort as a view to save.
pub fn view_from_filters(filters: &Filters) -> View {
    let text = |value: &str| Some(value.trim().to_string()).filter(|value| !value.is_empty());
    View {
        status: filters.status.clone(),
        role: filters.role.clone(),
        search: text(&filters.search),
        search_fields: text(&filters.search_fields),
        q: text(&filters.cql),
        order_by: Some(filters.sort.label()),
        ..View::default()
    }
}

/// The filters a view sets; a sort the table has no column for keeps the current one.
pub fn filters_from_view(view: &View, current: &Filters) -> Filters {
    Filters {
        status: view.status.clone(),
        role: view.role.clone(),
        search: view.search.clone().unwrap_or_default(),
        search_fields: view.search_fields.clone().unwrap_or_default(),
        cql: view.q.clone().unwrap_or_default(),
        sort: view
            .order_by
            .as_deref()
            .and_then(sort_of)
            .unwrap_or(current.sort),
    }
}

/// `expiration_date A` (the first clause of an order) as the table's sort.
fn sort_of(order_by: &str) -> Option<Sort> {
    let first = order_by.split(',').next()?.trim();
    let (field, direction) = first.split_once(' ').unwrap_or((first, "A"));
    let column = SortColumn::ALL
        .into_iter()
        .find(|column| column.field() == field.trim())?;
    Some(Sort {
        column,
        descending: direction.trim().eq_ignore_ascii_case("D"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geobox_api::UserStatus;

    #[test]
    fn a_saved_view_brings_back_the_same_filters_and_sort() {
        let filters = Filters {
            status: Some(UserStatus::Pending),
            search: "gmail".into(),
            cql: "plan_id = 2".into(),
            sort: Sort {
                column: SortColumn::ALL[2],
                descending: true,
            },
            ..Filters::default()
        };
        let view = view_from_filters(&filters);
        assert_eq!(filters_from_view(&view, &Filters::default()), filters);
    }
}
