//! `UserQuery`: the filters, sort and paging of a user list, and their query string; and the
//! CQL a filtered list sends as `q`, built and checked before it goes.

use super::types::{UserRole, UserStatus};

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

/// What a plan list asks for: the user list's parameters but `status` and `user_id`, which
/// plans do not have. `shared` always travels, `False` unless asked, as the SDK sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanQuery {
    pub q: Option<String>,
    pub search: Option<String>,
    pub search_fields: Option<String>,
    pub order_by: Option<String>,
    pub skip: u64,
    pub limit: u64,
    pub shared: bool,
}

impl Default for PlanQuery {
    fn default() -> Self {
        PlanQuery {
            q: None,
            search: None,
            search_fields: None,
            order_by: None,
            skip: 0,
            limit: DEFAULT_LIMIT,
            shared: false,
        }
    }
}

impl PlanQuery {
    pub fn new() -> Self {
        Self::default()
    }

    /// The parameters in the SDK's order: the same builder as a user list's.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        UserQuery {
            q: self.q.clone(),
            search: self.search.clone(),
            search_fields: self.search_fields.clone(),
            order_by: self.order_by.clone(),
            skip: self.skip,
            limit: self.limit,
            shared: Some(self.shared),
            ..UserQuery::default()
        }
        .to_params(false)
    }
}

/// Booleans travel as Python prints them.
pub fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// The text fields keyword search covers when it has to be written as CQL.
const DEFAULT_SEARCH_FIELDS: [&str; 4] = ["username", "first_name", "last_name", "email"];

/// The CQL sent as `q` for a filtered list: the role clause and the admin's CQL joined by AND.
/// A keyword search is folded in too when there is CQL, because servers ignore `search` once
/// `q` is set. `None` when there is nothing to say in CQL (a plain search then goes as `search`).
pub fn combined_cql(
    role: Option<&UserRole>,
    cql: &str,
    search: &str,
    search_fields: &str,
) -> Option<String> {
    let mut clauses = Vec::new();
    if let Some(role) = &role {
        clauses.push(format!("role = '{}'", cql_escape(role.as_str())));
    }
    let cql = cql.trim();
    if !cql.is_empty() {
        clauses.push(format!("({cql})"));
    }
    if clauses.is_empty() {
        return None;
    }
    let search = search.trim();
    if !search.is_empty() {
        let fields: Vec<&str> = if search_fields.trim().is_empty() {
            DEFAULT_SEARCH_FIELDS.to_vec()
        } else {
            search_fields
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect()
        };
        let pattern = cql_escape(search);
        let ors: Vec<String> = fields
            .iter()
            .map(|field| format!("{field} LIKE '%{pattern}%'"))
            .collect();
        clauses.push(format!("({})", ors.join(" OR ")));
    }
    if clauses.len() == 1 && role.is_some() {
        return clauses.pop();
    }
    if clauses.len() == 1 {
        return Some(cql.to_string());
    }
    Some(clauses.join(" AND "))
}

/// Doubles single quotes, the CQL way of writing one inside a string.
pub fn cql_escape(text: &str) -> String {
    text.replace('\'', "''")
}

/// Why a CQL filter cannot be sent as it is.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CqlError {
    #[error("a ')' closes nothing")]
    UnopenedParenthesis,
    #[error("a quote (') is not closed")]
    UnclosedQuote,
    #[error("{0} '(' not closed")]
    UnclosedParentheses(u32),
}

/// Checks what can be checked before the server sees a CQL filter: balanced quotes and
/// parentheses.
pub fn check_cql(cql: &str) -> Result<(), CqlError> {
    let mut depth: u32 = 0;
    let mut in_string = false;
    let mut chars = cql.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    in_string = false;
                }
            }
            continue;
        }
        match c {
            '\'' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1).ok_or(CqlError::UnopenedParenthesis)?;
            }
            _ => {}
        }
    }
    if in_string {
        return Err(CqlError::UnclosedQuote);
    }
    if depth > 0 {
        return Err(CqlError::UnclosedParentheses(depth));
    }
    Ok(())
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

    #[test]
    fn cql_balance_is_checked() {
        assert!(check_cql("username LIKE '%a%' AND (role = 'Editor')").is_ok());
        assert!(check_cql("name = 'O''Brien'").is_ok());
        assert_eq!(
            check_cql("username = 'x").map_err(|error| error.to_string()),
            Err("a quote (') is not closed".to_string())
        );
        assert!(check_cql("(a = 1").is_err());
        assert!(check_cql("a = 1)").is_err());
        assert_eq!(
            check_cql("((a = 1) OR (b = 2)").map_err(|error| error.to_string()),
            Err("1 '(' not closed".to_string())
        );
        assert_eq!(
            check_cql("a = 1) OR (b = 2"),
            Err(CqlError::UnopenedParenthesis)
        );
        assert!(check_cql("a = ')'").is_ok());
    }

    #[test]
    fn a_keyword_search_alone_is_not_cql() {
        assert_eq!(combined_cql(None, " ", "ali", ""), None);
        assert_eq!(
            combined_cql(None, "id > 3", "ali", "username").as_deref(),
            Some("(id > 3) AND (username LIKE '%ali%')")
        );
    }
}
