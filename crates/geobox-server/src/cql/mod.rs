//! A subset of OGC CQL2-text, parsed by hand (`parse`: lexer and parser, which also checks
//! fields and literals) and compiled to parameterized SQL (`compile`).
//!
//! Grammar (keywords case-insensitive, positions 1-based characters):
//!
//! ```text
//! expr      := and ( OR and )*
//! and       := not ( AND not )*
//! not       := NOT not | '(' expr ')' | predicate
//! predicate := field compop literal
//!            | field [NOT] LIKE string | field [NOT] ILIKE string
//!            | field [NOT] IN '(' literal ( ',' literal )* ')'
//!            | field [NOT] BETWEEN literal AND literal
//!            | field IS [NOT] NULL
//! compop    := = | <> | != | < | <= | > | >=
//! literal   := 'string' | number | TRUE | FALSE | DATE('…') | TIMESTAMP('…')
//! field     := name | "quoted name"   (only the whitelisted fields)
//! ```
//!
//! Nothing from the request ever reaches the SQL text: fields map to known column names and
//! every literal becomes a `?` parameter.
//!
//! A filter is bounded, so that no request can exhaust the parser's stack or SQLite's limits:
//! at most [`MAX_NESTING`] levels of parentheses and `NOT`, [`MAX_CONDITIONS`] conditions, and
//! [`MAX_IN_VALUES`] values in its `IN` lists together, patterns of [`MAX_PATTERN_CHARS`].

mod compile;
mod parse;
#[cfg(test)]
mod property_tests;

use std::fmt;

/// The deepest nesting of parentheses and `NOT` a filter may have.
pub const MAX_NESTING: usize = 32;
/// The most conditions (comparisons, LIKE, IN, BETWEEN, IS NULL) one filter may have.
pub const MAX_CONDITIONS: usize = 100;
/// The longest `LIKE`/`ILIKE` pattern, in characters (SQLite refuses very long ones).
pub const MAX_PATTERN_CHARS: usize = 1000;
/// The most values the `IN (...)` lists of one filter may hold together.
pub const MAX_IN_VALUES: usize = 1000;

use rusqlite::types::Value;

/// What a CQL field is, so literals can be checked before SQLite sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Integer,
    Text,
    /// Text searchable through the FTS index (substring LIKE can use it).
    FullText,
    /// Text limited to the given wire values.
    Enum(&'static [&'static str]),
    /// ISO dates or timestamps stored as text.
    Date,
}

/// One field a query may name: its CQL name, its SQL column and its kind.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: FieldKind,
}

/// Fields are told apart by name: a list names each once.
impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Field {
    /// A field stored in the column of the same name.
    pub const fn new(name: &'static str, kind: FieldKind) -> Field {
        Field {
            name,
            column: name,
            kind,
        }
    }
}

/// A parse or validation error, with the 1-based character position it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CqlError {
    pub position: usize,
    pub message: String,
    /// Said after the position, e.g. the list of known fields.
    pub hint: Option<String>,
}

impl fmt::Display for CqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// A compiled filter: an SQL boolean expression with `?` placeholders and their values in order.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlFilter {
    pub sql: String,
    pub params: Vec<Value>,
    /// When the whole filter is `column = literal` conditions joined by AND (nothing else),
    /// those conditions, so a list planner can treat them like the plain `status=` parameter.
    pub equalities: Option<Vec<(&'static str, Value)>>,
    /// When the whole filter is `column op literal` conditions joined by AND, with `op` one of
    /// `=`, `<`, `<=`, `>`, `>=`: those conditions as `(column, op, value)`, so a list planner
    /// can answer each from the column's sort order.
    pub comparisons: Option<Vec<(&'static str, &'static str, Value)>>,
}

/// How the compiler may use a full-text index for a substring match on `column`.
pub trait FullTextHint {
    /// SQL (with one `?`, and its value) selecting a superset of the rowids whose `column`
    /// contains `needle`, or `None` when no index helps.
    fn candidates(&self, column: &str, needle: &str) -> Option<(String, Value)>;
}

/// No full-text index available.
pub struct NoFullText;

impl FullTextHint for NoFullText {
    fn candidates(&self, _column: &str, _needle: &str) -> Option<(String, Value)> {
        None
    }
}

/// Parses `input` and compiles it against `fields`.
pub fn compile(
    input: &str,
    fields: &[Field],
    full_text: &dyn FullTextHint,
) -> Result<SqlFilter, CqlError> {
    let expr = parse::parse(input, fields)?;
    let mut out = SqlFilter {
        sql: String::new(),
        params: Vec::new(),
        equalities: None,
        comparisons: None,
    };
    compile::emit(&expr, true, full_text, &mut out);
    let mut comparisons = Vec::new();
    if top_level_comparisons(&expr, &mut comparisons) {
        let equalities: Vec<(&'static str, Value)> = comparisons
            .iter()
            .filter(|(_, op, _)| *op == "=")
            .map(|(column, _, value)| (*column, value.clone()))
            .collect();
        if equalities.len() == comparisons.len() {
            out.equalities = Some(equalities);
        }
        out.comparisons = Some(comparisons);
    }
    Ok(out)
}

/// Collects the conditions of a top-level AND of comparisons that keep to one stretch of the
/// column's sort order; false when anything else appears.
fn top_level_comparisons(
    expr: &parse::Expr,
    found: &mut Vec<(&'static str, &'static str, Value)>,
) -> bool {
    match expr {
        parse::Expr::And(left, right) => {
            top_level_comparisons(left, found) && top_level_comparisons(right, found)
        }
        parse::Expr::Compare(field, op @ ("=" | "<" | "<=" | ">" | ">="), literal) => {
            found.push((field.column, op, literal.to_value()));
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field {
            name: "id",
            column: "id",
            kind: FieldKind::Integer,
        },
        Field {
            name: "username",
            column: "username",
            kind: FieldKind::FullText,
        },
        Field {
            name: "status",
            column: "status",
            kind: FieldKind::Enum(&["Active", "Disabled"]),
        },
        Field {
            name: "created_at",
            column: "created_at",
            kind: FieldKind::Date,
        },
        Field {
            name: "mobile",
            column: "mobile",
            kind: FieldKind::Text,
        },
    ];

    struct Fts;
    impl FullTextHint for Fts {
        fn candidates(&self, column: &str, needle: &str) -> Option<(String, Value)> {
            Some((
                format!("SELECT rowid FROM fts WHERE {column} MATCH ?"),
                Value::Text(needle.to_string()),
            ))
        }
    }

    fn sql(input: &str) -> SqlFilter {
        compile(input, FIELDS, &NoFullText).expect("compiles")
    }

    fn error(input: &str) -> String {
        compile(input, FIELDS, &NoFullText)
            .expect_err("fails")
            .to_string()
    }

    #[test]
    fn comparisons_become_placeholders() {
        let filter = sql("username = 'ali' AND id >= 10");
        assert_eq!(filter.sql, "((username = ?) AND (id >= ?))");
        assert_eq!(
            filter.params,
            vec![Value::Text("ali".into()), Value::Integer(10)]
        );
        assert_eq!(sql("id != 3").sql, "(id <> ?)");
    }

    #[test]
    fn precedence_not_binds_tighter_than_and_than_or() {
        let filter = sql("NOT id = 1 OR id = 2 AND (id = 3 OR id = 4)");
        assert_eq!(
            filter.sql,
            "((NOT (id = ?)) OR ((id = ?) AND ((id = ?) OR (id = ?))))"
        );
    }

    #[test]
    fn like_is_case_sensitive_ilike_is_not() {
        let like = sql("username LIKE 'A_i%*'");
        assert_eq!(like.sql, "(username GLOB ?)");
        assert_eq!(like.params, vec![Value::Text("A?i*[*]".into())]);
        let ilike = sql(r"username NOT ILIKE '%50\%%'");
        assert_eq!(ilike.sql, "(NOT username LIKE ? ESCAPE '\\')");
        assert_eq!(ilike.params, vec![Value::Text(r"%50\%%".into())]);
    }

    #[test]
    fn like_on_full_text_fields_adds_an_index_superset() {
        let filter = compile("username LIKE '%reza%'", FIELDS, &Fts).expect("compiles");
        assert_eq!(
            filter.sql,
            "(username GLOB ? AND id IN (SELECT rowid FROM fts WHERE username MATCH ?))"
        );
        assert_eq!(filter.params[1], Value::Text("reza".into()));
        let negated = compile("NOT username LIKE '%reza%'", FIELDS, &Fts).expect("compiles");
        assert!(!negated.sql.contains("MATCH"), "{}", negated.sql);
        let short = compile("username LIKE '%re%'", FIELDS, &Fts).expect("compiles");
        assert!(!short.sql.contains("MATCH"));
    }

    #[test]
    fn a_conjunction_of_equalities_is_recognised_from_the_parse() {
        let both = sql("status = 'Active' AND (id = 3)");
        assert_eq!(
            both.equalities,
            Some(vec![
                ("status", Value::Text("Active".into())),
                ("id", Value::Integer(3))
            ])
        );
        assert_eq!(sql("status = 'Active' OR id = 3").equalities, None);
        assert_eq!(sql("status = 'Active' AND id > 3").equalities, None);
        assert_eq!(sql("NOT status = 'Active'").equalities, None);
    }

    #[test]
    fn a_conjunction_of_comparisons_is_recognised_from_the_parse() {
        let range = sql("created_at > DATE('2021-01-01') AND status = 'Active' AND id <= 9");
        assert_eq!(
            range.comparisons,
            Some(vec![
                ("created_at", ">", Value::Text("2021-01-01".into())),
                ("status", "=", Value::Text("Active".into())),
                ("id", "<=", Value::Integer(9)),
            ])
        );
        assert_eq!(range.equalities, None, "not only equalities");
        assert_eq!(
            sql("id <> 3").comparisons,
            None,
            "two stretches of the order"
        );
        assert_eq!(sql("id > 3 OR id < 1").comparisons, None);
        assert_eq!(sql("NOT id > 3").comparisons, None);
        assert!(sql("status = 'Active'").comparisons.is_some());
    }

    #[test]
    fn in_between_and_null() {
        let filter = sql(
            "status IN ('Active','Disabled') AND id NOT BETWEEN 2 AND 9 AND mobile IS NOT NULL",
        );
        assert_eq!(
            filter.sql,
            "(((status IN (?, ?)) AND (id NOT BETWEEN ? AND ?)) AND (mobile IS NOT NULL))"
        );
        assert_eq!(filter.params.len(), 4);
    }

    #[test]
    fn dates_and_quotes() {
        let filter = sql("created_at > DATE('2021-01-01') AND username = 'o''brien'");
        assert_eq!(
            filter.params,
            vec![
                Value::Text("2021-01-01".into()),
                Value::Text("o'brien".into())
            ]
        );
        assert_eq!(sql("\"Username\" = 'x'").sql, "(username = ?)");
        assert!(error("created_at > 'yesterday'").contains("is not a valid date"));
    }

    #[test]
    fn dates_must_be_real_days() {
        assert_eq!(
            error("created_at > '2021-13-45'"),
            "'2021-13-45' is not a valid date (YYYY-MM-DD[THH:MM:SS]) for field 'created_at' at position 14"
        );
        assert!(error("created_at > DATE('2021-02-29')").ends_with("at position 14"));
        assert!(error("created_at < '2021-01-01T25:00:00'").contains("not a valid date"));
        assert!(error("created_at < '+1000-01-01'").contains("not a valid date"));
        for valid in [
            "created_at > '2024-02-29'",
            "created_at > '2021-01-01T10:00:00Z'",
            "created_at > TIMESTAMP('2021-01-01 10:00:00.5')",
            "created_at BETWEEN '0001-01-01' AND '9999-12-31T23:59'",
        ] {
            assert!(compile(valid, FIELDS, &NoFullText).is_ok(), "{valid}");
        }
    }

    /// SQLite reads text up to a NUL: a value holding one would match on less than it says
    /// (and broke the full-text query), so it is refused where it is.
    #[test]
    fn a_nul_in_a_string_is_refused_at_its_position() {
        assert_eq!(
            error("username LIKE '%ab\0cd%'"),
            "a NUL character is not allowed in a string at position 19"
        );
        assert!(compile("username = 'a\0'", FIELDS, &Fts).is_err());
        // What the `cql` fuzz target found within a second with this check taken out.
        let found = "username LIKE '%r\0\0\0\0\0\0\0\u{3}D createD'";
        assert!(compile(found, FIELDS, &Fts).is_err());
    }

    #[test]
    fn errors_say_what_and_where() {
        let unknown = error("username = 'a' OR foo = 1");
        assert!(
            unknown.starts_with("unknown field 'foo' at position 19; known fields: id, username"),
            "{unknown}"
        );
        assert_eq!(
            error("username = "),
            "expected a value (a 'string', a number, TRUE, FALSE or DATE('…')), found the end of the filter at position 12"
        );
        assert_eq!(
            error("(id = 1"),
            "expected ')', found the end of the filter at position 8"
        );
        assert_eq!(error("id = 1 id"), "unexpected 'id' at position 8");
        assert_eq!(
            error("username = 'abc"),
            "unterminated single quote at position 12"
        );
        assert_eq!(
            error("id = 1; DROP"),
            "unexpected character ';' at position 7"
        );
        assert!(error("status = 'Actve'").contains("not a valid status"));
        assert!(error("id = 'abc'").contains("is a number"));
    }

    /// A request cannot overflow the parser's stack (it took down the whole server) or exceed
    /// SQLite's limits: the filter's size is bounded, and the answer says by what.
    #[test]
    fn filters_are_bounded() {
        let nested = |depth: usize| format!("{}id = 1{}", "(".repeat(depth), ")".repeat(depth));
        assert!(compile(&nested(MAX_NESTING), FIELDS, &NoFullText).is_ok());
        assert!(error(&nested(MAX_NESTING + 1)).starts_with("nested too deeply"));
        assert!(error(&nested(100_000)).starts_with("nested too deeply"));
        let nots = |count: usize| format!("{}id = 1", "NOT ".repeat(count));
        assert!(compile(&nots(MAX_NESTING), FIELDS, &NoFullText).is_ok());
        assert!(error(&nots(100_000)).starts_with("nested too deeply"));
        let chain = |count: usize| vec!["id = 1"; count].join(" OR ");
        assert!(compile(&chain(MAX_CONDITIONS), FIELDS, &NoFullText).is_ok());
        assert!(error(&chain(MAX_CONDITIONS + 1)).starts_with("too many conditions"));
        assert!(error(&chain(100_000)).starts_with("too many conditions"));
        let list = |count: usize| format!("id IN ({})", vec!["1"; count].join(", "));
        assert!(compile(&list(MAX_IN_VALUES), FIELDS, &NoFullText).is_ok());
        assert!(error(&list(MAX_IN_VALUES + 1)).starts_with("too many values in IN"));
        let pattern = |chars: usize| format!("username LIKE '{}'", "a".repeat(chars));
        assert!(compile(&pattern(MAX_PATTERN_CHARS), FIELDS, &NoFullText).is_ok());
        assert!(error(&pattern(MAX_PATTERN_CHARS + 1)).starts_with("the pattern is too long"));
        let lists = format!(
            "{} OR {}",
            list(MAX_IN_VALUES / 2),
            list(MAX_IN_VALUES / 2 + 1)
        );
        assert!(error(&lists).starts_with("too many values in IN"));
    }
}
