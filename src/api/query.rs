//! `UserQuery`: the filters, sort and paging of a user list, and their query string.

use super::types::UserStatus;

/// The SDK's default page size.
pub const DEFAULT_LIMIT: u64 = 10;

/// Which users to list, in which order, which page. Built with chained setters:
/// `UserQuery::new().status(UserStatus::Active).search("ali").limit(50)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserQuery {
    pub status: Option<UserStatus>,
    /// An OGC CQL2-text filter; when set, servers ignore `search`.
    pub q: Option<String>,
    pub search: Option<String>,
    /// Comma-separated field names for `search`; empty means every text field.
    pub search_fields: Option<String>,
    /// Comma-separated `field A|D`.
    pub order_by: Option<String>,
    pub skip: u64,
    pub limit: u64,
    pub user_id: Option<i64>,
    pub shared: Option<bool>,
}

impl Default for UserQuery {
    fn default() -> Self {
        UserQuery {
            status: None,
            q: None,
            search: None,
            search_fields: None,
            order_by: None,
            skip: 0,
            limit: DEFAULT_LIMIT,
            user_id: None,
            shared: None,
        }
    }
}

fn non_empty(value: impl Into<String>) -> Option<String> {
    let value = value.into();
    (!value.trim().is_empty()).then_some(value)
}

impl UserQuery {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = Some(status);
        self
    }

    pub fn q(mut self, cql: impl Into<String>) -> Self {
        self.q = non_empty(cql);
        self
    }

    pub fn search(mut self, term: impl Into<String>) -> Self {
        self.search = non_empty(term);
        self
    }

    pub fn search_fields(mut self, fields: impl Into<String>) -> Self {
        self.search_fields = non_empty(fields);
        self
    }

    pub fn order_by(mut self, order: impl Into<String>) -> Self {
        self.order_by = non_empty(order);
        self
    }

    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = skip;
        self
    }

    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    pub fn user_id(mut self, user_id: i64) -> Self {
        self.user_id = Some(user_id);
        self
    }

    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = Some(shared);
        self
    }

    /// The query parameters in the official SDK's order, empty ones left out.
    pub fn to_params(&self, return_count: bool) -> Vec<(&'static str, String)> {
        let mut params = vec![("f", "json".to_string())];
        let optional = [
            ("status", self.status.as_ref().map(ToString::to_string)),
            ("q", self.q.clone()),
            ("search", self.search.clone()),
            ("search_fields", self.search_fields.clone()),
            ("order_by", self.order_by.clone()),
        ];
        params.extend(
            optional
                .into_iter()
                .filter_map(|(key, value)| value.map(|value| (key, value))),
        );
        params.push(("return_count", python_bool(return_count).to_string()));
        params.push(("skip", self.skip.to_string()));
        params.push(("limit", self.limit.to_string()));
        if let Some(user_id) = self.user_id {
            params.push(("user_id", user_id.to_string()));
        }
        if let Some(shared) = self.shared {
            params.push(("shared", python_bool(shared).to_string()));
        }
        params
    }
}

/// Booleans travel as Python prints them.
pub fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_query_matches_the_sdk() {
        let params = UserQuery::new().to_params(false);
        assert_eq!(
            params,
            vec![
                ("f", "json".to_string()),
                ("return_count", "False".to_string()),
                ("skip", "0".to_string()),
                ("limit", "10".to_string()),
            ]
        );
    }

    #[test]
    fn every_parameter_in_sdk_order_and_blanks_dropped() {
        let query = UserQuery::new()
            .status(UserStatus::Active)
            .q("username LIKE '%gis%'")
            .search("  ")
            .search_fields("username,email")
            .order_by("last_name A, created_at D")
            .skip(50)
            .limit(25)
            .user_id(3)
            .shared(true);
        let keys: Vec<&str> = query.to_params(true).iter().map(|(key, _)| *key).collect();
        assert_eq!(
            keys,
            [
                "f",
                "status",
                "q",
                "search_fields",
                "order_by",
                "return_count",
                "skip",
                "limit",
                "user_id",
                "shared"
            ]
        );
        assert_eq!(query.to_params(true)[5].1, "True");
    }
}
