//! What the list is filtered and sorted by, and the filter panel that edits it.

use tui_input::Input;

use crate::console::wrap::step_wrapping;
use geobox_api::{UserQuery, UserRole, UserStatus, combined_cql};

/// The columns users can be sorted by, in the order `o` cycles through them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortColumn {
    #[default]
    Id,
    Username,
    LastName,
    Email,
    Role,
    Status,
    Expiration,
    Created,
}

impl SortColumn {
    pub const ALL: [SortColumn; 8] = [
        SortColumn::Id,
        SortColumn::Username,
        SortColumn::LastName,
        SortColumn::Email,
        SortColumn::Role,
        SortColumn::Status,
        SortColumn::Expiration,
        SortColumn::Created,
    ];

    /// The field name on the wire (`order_by`).
    pub fn field(self) -> &'static str {
        match self {
            SortColumn::Id => "id",
            SortColumn::Username => "username",
            SortColumn::LastName => "last_name",
            SortColumn::Email => "email",
            SortColumn::Role => "role",
            SortColumn::Status => "status",
            SortColumn::Expiration => "expiration_date",
            SortColumn::Created => "created_at",
        }
    }

    pub fn next(self) -> SortColumn {
        self.step(true)
    }

    pub fn prev(self) -> SortColumn {
        self.step(false)
    }

    fn step(self, forward: bool) -> SortColumn {
        let index = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[step_wrapping(index, SortColumn::ALL.len(), forward)]
    }
}

/// The sort order of the list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sort {
    pub column: SortColumn,
    pub descending: bool,
}

impl Sort {
    /// `username A`, as the title bar shows it.
    pub fn label(self) -> String {
        let direction = if self.descending { "D" } else { "A" };
        format!("{} {direction}", self.column.field())
    }

    /// `username A`; a column that several users may share gets `id` as a tie-breaker in the
    /// same direction (`last_name A, id A`), so the reversed order is exactly the order read
    /// backwards, whatever a server does with ties.
    pub fn order_by(self) -> String {
        let direction = if self.descending { "D" } else { "A" };
        let column = self.column.field();
        match self.column {
            SortColumn::Id | SortColumn::Username => format!("{column} {direction}"),
            _ => format!("{column} {direction}, id {direction}"),
        }
    }
}

/// What the list is filtered and sorted by: the applied state, not what is being typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    pub status: Option<UserStatus>,
    pub role: Option<UserRole>,
    /// The keyword search (`/`).
    pub search: String,
    /// Comma-separated fields the keyword search looks in; empty means all text fields.
    pub search_fields: String,
    /// The admin's own CQL filter.
    pub cql: String,
    pub sort: Sort,
}

impl Filters {
    /// The CQL sent as `q`, if any: see [`combined_cql`].
    pub fn combined_cql(&self) -> Option<String> {
        combined_cql(
            self.role.as_ref(),
            &self.cql,
            &self.search,
            &self.search_fields,
        )
    }

    /// The list query for one page.
    pub fn query(&self, skip: u64, limit: u64) -> UserQuery {
        let mut query = UserQuery::new()
            .order_by(self.sort.order_by())
            .skip(skip)
            .limit(limit);
        query.status = self.status.clone();
        if let Some(cql) = self.combined_cql() {
            query = query.q(cql);
        } else {
            query = query
                .search(self.search.trim())
                .search_fields(self.search_fields.trim());
        }
        query
    }

    /// A server's complaint about the CQL sent, with its positions counted in what the admin
    /// typed: the console wraps their CQL (`role = 'Editor' AND (…)`), so the server counts
    /// in the wrapped text. A position outside their CQL names the part the console added.
    pub fn cql_error_as_typed(&self, message: &str) -> String {
        const AT: &str = "at position ";
        let typed = self.cql.trim();
        let Some(sent) = self.combined_cql() else {
            return message.to_string();
        };
        let start = if sent == typed {
            Some(0)
        } else {
            sent.find(&format!("({typed})"))
                .filter(|_| !typed.is_empty())
                .map(|byte| sent[..byte].chars().count() + 1)
        };
        let typed_len = typed.chars().count();
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        while let Some(found) = rest.find(AT) {
            let digits: String = rest[found + AT.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            out.push_str(&rest[..found]);
            rest = &rest[found + AT.len() + digits.len()..];
            let position: Option<usize> = digits.parse().ok();
            match (position, start) {
                // Positions count from 1; the end of the CQL is one past its last character.
                (Some(position), Some(start))
                    if position > start && position <= start + typed_len + 1 =>
                {
                    out.push_str(&format!("{AT}{} of your CQL", position - start));
                }
                (Some(_), _) => {
                    out.push_str("in the part the console adds for the role or the search");
                }
                (None, _) => out.push_str(AT),
            }
        }
        out.push_str(rest);
        out
    }

    /// The chips of the title bar: one per active filter.
    pub fn chips(&self) -> Vec<String> {
        let mut chips = Vec::new();
        if let Some(status) = &self.status {
            chips.push(format!("status: {status}"));
        }
        if let Some(role) = &self.role {
            chips.push(format!("role: {role}"));
        }
        if !self.search.trim().is_empty() {
            chips.push(format!("/{}", self.search.trim()));
        }
        if !self.search_fields.trim().is_empty() {
            chips.push(format!("in: {}", self.search_fields.trim()));
        }
        if !self.cql.trim().is_empty() {
            chips.push(format!("q: {}", self.cql.trim()));
        }
        chips
    }
}

/// The filter panel (`f`): fields being edited, applied only with Enter.
#[derive(Clone, Debug, Default)]
pub struct FilterPanel {
    pub field: FilterField,
    pub status: Option<UserStatus>,
    pub role: Option<UserRole>,
    pub search_fields: Input,
    pub cql: Input,
    pub sort: Sort,
    /// Why the CQL cannot be sent (checked locally, or the server's 422).
    pub cql_error: Option<String>,
    /// The search kept from `/`: shown, cleared by clear-all, applied with the rest.
    pub search: String,
}

/// The fields of the filter panel, top to bottom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FilterField {
    #[default]
    Status,
    Role,
    SearchFields,
    Cql,
    SortColumn,
    SortDirection,
}

impl FilterField {
    pub const ALL: [FilterField; 6] = [
        FilterField::Status,
        FilterField::Role,
        FilterField::SearchFields,
        FilterField::Cql,
        FilterField::SortColumn,
        FilterField::SortDirection,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FilterField::Status => "status",
            FilterField::Role => "role",
            FilterField::SearchFields => "search in",
            FilterField::Cql => "CQL q",
            FilterField::SortColumn => "sort by",
            FilterField::SortDirection => "direction",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, FilterField::SearchFields | FilterField::Cql)
    }

    pub fn step(self, forward: bool) -> FilterField {
        let index = FilterField::ALL
            .iter()
            .position(|f| *f == self)
            .unwrap_or(0);
        FilterField::ALL[step_wrapping(index, FilterField::ALL.len(), forward)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_and_cql_are_joined_and_search_folds_into_cql() {
        let mut filters = Filters {
            role: Some(UserRole::Editor),
            ..Filters::default()
        };
        assert_eq!(filters.combined_cql().as_deref(), Some("role = 'Editor'"));
        filters.cql = "username LIKE 'a%'".into();
        assert_eq!(
            filters.combined_cql().as_deref(),
            Some("role = 'Editor' AND (username LIKE 'a%')")
        );
        filters.search = "o'b".into();
        filters.search_fields = "username".into();
        let query = filters.query(0, 10);
        assert_eq!(
            query.q.as_deref(),
            Some("role = 'Editor' AND (username LIKE 'a%') AND (username LIKE '%o''b%')")
        );
        assert_eq!(query.search, None);
    }

    #[test]
    fn a_servers_cql_position_counts_in_what_the_admin_typed() {
        let mut filters = Filters {
            role: Some(UserRole::Editor),
            cql: "id = 1 id".into(),
            ..Filters::default()
        };
        // Sent: `role = 'Editor' AND (id = 1 id)`: the second `id` is at 29 there, 8 as typed.
        assert_eq!(
            filters.cql_error_as_typed("invalid (422): unexpected 'id' at position 29"),
            "invalid (422): unexpected 'id' at position 8 of your CQL"
        );
        assert_eq!(
            filters.cql_error_as_typed("unexpected 'x' at position 3"),
            "unexpected 'x' in the part the console adds for the role or the search"
        );
        filters.role = None;
        assert_eq!(
            filters.cql_error_as_typed("unexpected 'id' at position 8"),
            "unexpected 'id' at position 8 of your CQL"
        );
        filters.search = "ali".into();
        filters.search_fields = "username".into();
        // Sent: `(id = 1 id) AND (username LIKE '%ali%')`.
        assert_eq!(
            filters.cql_error_as_typed("expected ')' at position 9"),
            "expected ')' at position 8 of your CQL"
        );
        assert_eq!(filters.cql_error_as_typed("no position"), "no position");
    }

    #[test]
    fn plain_search_uses_the_search_parameter() {
        let filters = Filters {
            search: "ali".into(),
            status: Some(UserStatus::Active),
            ..Filters::default()
        };
        let query = filters.query(100, 100);
        assert_eq!(query.search.as_deref(), Some("ali"));
        assert_eq!(query.q, None);
        assert_eq!(query.order_by.as_deref(), Some("id A"));
        assert_eq!((query.skip, query.limit), (100, 100));
        assert_eq!(filters.chips(), vec!["status: Active", "/ali"]);
    }
}
