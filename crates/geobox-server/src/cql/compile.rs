//! An [`Expr`] to SQL: known column names, every literal a `?` parameter, and a full-text
//! superset where an index can narrow a substring match.

use rusqlite::types::Value;

use super::parse::{Expr, Literal};
use super::{FieldKind, FullTextHint, SqlFilter};

pub(super) fn emit(expr: &Expr, positive: bool, full_text: &dyn FullTextHint, out: &mut SqlFilter) {
    match expr {
        Expr::And(left, right) | Expr::Or(left, right) => {
            let joiner = if matches!(expr, Expr::And(..)) {
                " AND "
            } else {
                " OR "
            };
            out.sql.push('(');
            emit(left, positive, full_text, out);
            out.sql.push_str(joiner);
            emit(right, positive, full_text, out);
            out.sql.push(')');
        }
        Expr::Not(inner) => {
            out.sql.push_str("(NOT ");
            emit(inner, !positive, full_text, out);
            out.sql.push(')');
        }
        Expr::Compare(field, op, literal) => {
            out.sql.push_str(&format!("({} {op} ?)", field.column));
            out.params.push(literal.to_value());
        }
        Expr::Like {
            field,
            pattern,
            case_insensitive,
            negated,
        } => {
            let not = if *negated { "NOT " } else { "" };
            if *case_insensitive {
                out.sql
                    .push_str(&format!("({not}{} LIKE ? ESCAPE '\\')", field.column));
                out.params.push(Value::Text(like_pattern(pattern)));
            } else {
                // SQLite's LIKE ignores ASCII case; CQL's LIKE does not, so GLOB does the work.
                out.sql.push_str(&format!("({not}{} GLOB ?)", field.column));
                out.params.push(Value::Text(glob_pattern(pattern)));
            }
            if positive
                && !negated
                && field.kind == FieldKind::FullText
                && let Some(needle) = longest_literal_run(pattern)
                && let Some((sql, value)) = full_text.candidates(field.column, &needle)
            {
                // A redundant, index-backed superset of the matches: same rows, far fewer visited.
                let at = out.sql.len() - 1;
                out.sql.insert_str(at, &format!(" AND id IN ({sql})"));
                out.params.push(value);
            }
        }
        Expr::In {
            field,
            values,
            negated,
        } => {
            let not = if *negated { "NOT " } else { "" };
            let marks = vec!["?"; values.len()].join(", ");
            out.sql
                .push_str(&format!("({} {not}IN ({marks}))", field.column));
            out.params.extend(values.iter().map(Literal::to_value));
        }
        Expr::Between {
            field,
            low,
            high,
            negated,
        } => {
            let not = if *negated { "NOT " } else { "" };
            out.sql
                .push_str(&format!("({} {not}BETWEEN ? AND ?)", field.column));
            out.params.push(low.to_value());
            out.params.push(high.to_value());
        }
        Expr::IsNull { field, negated } => {
            let not = if *negated { "NOT " } else { "" };
            out.sql
                .push_str(&format!("({} IS {not}NULL)", field.column));
        }
    }
}

/// Splits a CQL pattern into literal text and wildcards; `\` escapes the next character.
fn pattern_parts(pattern: &str) -> Vec<PatternPart> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '\\' => PatternPart::Literal(chars.next().unwrap_or('\\')),
            '%' => PatternPart::Many,
            '_' => PatternPart::One,
            other => PatternPart::Literal(other),
        });
    }
    parts
}

enum PatternPart {
    Literal(char),
    Many,
    One,
}

fn like_pattern(pattern: &str) -> String {
    pattern_parts(pattern)
        .into_iter()
        .map(|part| match part {
            PatternPart::Many => "%".to_string(),
            PatternPart::One => "_".to_string(),
            PatternPart::Literal(c @ ('%' | '_' | '\\')) => format!("\\{c}"),
            PatternPart::Literal(c) => c.to_string(),
        })
        .collect()
}

fn glob_pattern(pattern: &str) -> String {
    pattern_parts(pattern)
        .into_iter()
        .map(|part| match part {
            PatternPart::Many => "*".to_string(),
            PatternPart::One => "?".to_string(),
            PatternPart::Literal(c @ ('*' | '?' | '[')) => format!("[{c}]"),
            PatternPart::Literal(c) => c.to_string(),
        })
        .collect()
}

/// The longest run of literal characters, when long enough for the trigram index (3+).
fn longest_literal_run(pattern: &str) -> Option<String> {
    let mut best = String::new();
    let mut current = String::new();
    for part in pattern_parts(pattern) {
        match part {
            PatternPart::Literal(c) => current.push(c),
            PatternPart::Many | PatternPart::One => {
                if current.chars().count() > best.chars().count() {
                    best = std::mem::take(&mut current);
                }
                current.clear();
            }
        }
    }
    if current.chars().count() > best.chars().count() {
        best = current;
    }
    (best.chars().count() >= 3).then_some(best)
}
