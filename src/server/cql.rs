//! A subset of OGC CQL2-text, parsed by hand and compiled to parameterized SQL.
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
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        index: 0,
        fields,
        end_position: input.chars().count() + 1,
        depth: 0,
        conditions: 0,
        in_values: 0,
    };
    let expr = parser.expr()?;
    if let Some(token) = parser.peek() {
        return Err(CqlError {
            position: token.position,
            message: format!("unexpected {}", token.kind.describe()),
            hint: None,
        });
    }
    let mut out = SqlFilter {
        sql: String::new(),
        params: Vec::new(),
    };
    emit(&expr, true, full_text, &mut out);
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Ident(String),
    Quoted(String),
    Str(String),
    Number(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

impl TokenKind {
    fn describe(&self) -> String {
        match self {
            TokenKind::Ident(word) => format!("'{word}'"),
            TokenKind::Quoted(word) => format!("\"{word}\""),
            TokenKind::Str(text) => format!("string '{text}'"),
            TokenKind::Number(number) => format!("number {number}"),
            TokenKind::Op(op) => format!("'{op}'"),
            TokenKind::LParen => "'('".to_string(),
            TokenKind::RParen => "')'".to_string(),
            TokenKind::Comma => "','".to_string(),
        }
    }

    fn is_keyword(&self, keyword: &str) -> bool {
        matches!(self, TokenKind::Ident(word) if word.eq_ignore_ascii_case(keyword))
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    position: usize,
}

fn tokenize(input: &str) -> Result<Vec<Token>, CqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let position = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = |kind| Token { kind, position };
        match c {
            '(' => {
                tokens.push(single(TokenKind::LParen));
                i += 1;
            }
            ')' => {
                tokens.push(single(TokenKind::RParen));
                i += 1;
            }
            ',' => {
                tokens.push(single(TokenKind::Comma));
                i += 1;
            }
            '=' => {
                tokens.push(single(TokenKind::Op("=")));
                i += 1;
            }
            '<' | '>' | '!' => {
                let next = chars.get(i + 1).copied();
                let (op, width) = match (c, next) {
                    ('<', Some('=')) => ("<=", 2),
                    ('<', Some('>')) => ("<>", 2),
                    ('>', Some('=')) => (">=", 2),
                    ('!', Some('=')) => ("!=", 2),
                    ('<', _) => ("<", 1),
                    ('>', _) => (">", 1),
                    _ => {
                        return Err(CqlError {
                            position,
                            message: "unexpected '!' (did you mean '!='?)".to_string(),
                            hint: None,
                        });
                    }
                };
                tokens.push(single(TokenKind::Op(op)));
                i += width;
            }
            '\'' | '"' => {
                // SQL-style quoting: a doubled quote inside stands for one quote.
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(CqlError {
                                position,
                                message: format!("unterminated {} quote", quote_name(c)),
                                hint: None,
                            });
                        }
                        Some(&q) if q == c => {
                            if chars.get(j + 1) == Some(&c) {
                                text.push(c);
                                j += 2;
                            } else {
                                j += 1;
                                break;
                            }
                        }
                        Some(&other) => {
                            text.push(other);
                            j += 1;
                        }
                    }
                }
                let kind = if c == '\'' {
                    TokenKind::Str(text)
                } else {
                    TokenKind::Quoted(text)
                };
                tokens.push(Token { kind, position });
                i = j;
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.')
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())) =>
            {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_digit()
                        || chars[j] == '.'
                        || chars[j] == 'e'
                        || chars[j] == 'E'
                        || ((chars[j] == '-' || chars[j] == '+')
                            && matches!(chars[j - 1], 'e' | 'E')))
                {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                tokens.push(Token {
                    kind: TokenKind::Number(text),
                    position,
                });
                i = j;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                tokens.push(Token {
                    kind: TokenKind::Ident(chars[i..j].iter().collect()),
                    position,
                });
                i = j;
            }
            other => {
                return Err(CqlError {
                    position,
                    message: format!("unexpected character '{other}'"),
                    hint: None,
                });
            }
        }
    }
    Ok(tokens)
}

fn quote_name(c: char) -> &'static str {
    if c == '\'' { "single" } else { "double" }
}

#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Text(String),
    Integer(i64),
    Real(f64),
    Bool(bool),
}

impl Literal {
    fn to_value(&self) -> Value {
        match self {
            Literal::Text(text) => Value::Text(text.clone()),
            Literal::Integer(number) => Value::Integer(*number),
            Literal::Real(number) => Value::Real(*number),
            Literal::Bool(flag) => Value::Integer(i64::from(*flag)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Field, &'static str, Literal),
    Like {
        field: Field,
        pattern: String,
        case_insensitive: bool,
        negated: bool,
    },
    In {
        field: Field,
        values: Vec<Literal>,
        negated: bool,
    },
    Between {
        field: Field,
        low: Literal,
        high: Literal,
        negated: bool,
    },
    IsNull {
        field: Field,
        negated: bool,
    },
}

impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

struct Parser<'a> {
    tokens: Vec<Token>,
    index: usize,
    fields: &'a [Field],
    end_position: usize,
    /// Parentheses and `NOT`s open around the current position.
    depth: usize,
    /// Conditions parsed so far.
    conditions: usize,
    /// Values of `IN` lists parsed so far.
    in_values: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.index)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.index).cloned();
        self.index += 1;
        token
    }

    fn position(&self) -> usize {
        self.peek()
            .map(|token| token.position)
            .unwrap_or(self.end_position)
    }

    fn error<T>(&self, message: String) -> Result<T, CqlError> {
        Err(CqlError {
            position: self.position(),
            message,
            hint: None,
        })
    }

    fn expected<T>(&self, what: &str) -> Result<T, CqlError> {
        match self.peek() {
            Some(token) => self.error(format!("expected {what}, found {}", token.kind.describe())),
            None => self.error(format!("expected {what}, found the end of the filter")),
        }
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        if self
            .peek()
            .is_some_and(|token| token.kind.is_keyword(keyword))
        {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr, CqlError> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, CqlError> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, CqlError> {
        let opens_paren = matches!(self.peek().map(|t| &t.kind), Some(TokenKind::LParen));
        if !opens_paren
            && !self
                .peek()
                .is_some_and(|token| token.kind.is_keyword("NOT"))
        {
            return self.predicate();
        }
        if self.depth == MAX_NESTING {
            return self.error(format!(
                "nested too deeply (at most {MAX_NESTING} levels of parentheses and NOT)"
            ));
        }
        self.index += 1;
        self.depth += 1;
        let inner = if opens_paren {
            let inner = self.expr()?;
            if !matches!(self.peek().map(|t| &t.kind), Some(TokenKind::RParen)) {
                return self.expected("')'");
            }
            self.index += 1;
            inner
        } else {
            Expr::Not(Box::new(self.not()?))
        };
        self.depth -= 1;
        Ok(inner)
    }

    fn field(&mut self) -> Result<Field, CqlError> {
        let position = self.position();
        let name = match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::Ident(name)) | Some(TokenKind::Quoted(name)) => name,
            _ => return self.expected("a field name"),
        };
        self.index += 1;
        self.fields
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(&name))
            .copied()
            .ok_or_else(|| {
                let known: Vec<&str> = self.fields.iter().map(|field| field.name).collect();
                CqlError {
                    position,
                    message: format!("unknown field '{name}'"),
                    hint: Some(format!("known fields: {}", known.join(", "))),
                }
            })
    }

    fn predicate(&mut self) -> Result<Expr, CqlError> {
        if self.conditions == MAX_CONDITIONS {
            return self.error(format!(
                "too many conditions (at most {MAX_CONDITIONS} in one filter)"
            ));
        }
        self.conditions += 1;
        let field = self.field()?;
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return self.expected("NULL");
            }
            return Ok(Expr::IsNull { field, negated });
        }
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("LIKE") || self.eat_keyword("ILIKE") {
            let case_insensitive = self
                .tokens
                .get(self.index - 1)
                .is_some_and(|token| token.kind.is_keyword("ILIKE"));
            let pattern = match self.next().map(|token| token.kind) {
                Some(TokenKind::Str(text)) => text,
                _ => {
                    self.index -= 1;
                    return self.expected("a quoted pattern");
                }
            };
            if pattern.chars().count() > MAX_PATTERN_CHARS {
                self.index -= 1;
                return self.error(format!(
                    "the pattern is too long (at most {MAX_PATTERN_CHARS} characters)"
                ));
            }
            return Ok(Expr::Like {
                field,
                pattern,
                case_insensitive,
                negated,
            });
        }
        if self.eat_keyword("IN") {
            if !matches!(self.peek().map(|t| &t.kind), Some(TokenKind::LParen)) {
                return self.expected("'(' after IN");
            }
            self.index += 1;
            let mut values = Vec::new();
            loop {
                if self.in_values == MAX_IN_VALUES {
                    return self.error(format!(
                        "too many values in IN (at most {MAX_IN_VALUES} in one filter)"
                    ));
                }
                self.in_values += 1;
                values.push(self.literal(&field)?);
                match self.peek().map(|t| &t.kind) {
                    Some(TokenKind::Comma) => {
                        self.index += 1;
                    }
                    Some(TokenKind::RParen) => {
                        self.index += 1;
                        break;
                    }
                    _ => return self.expected("',' or ')'"),
                }
            }
            return Ok(Expr::In {
                field,
                values,
                negated,
            });
        }
        if self.eat_keyword("BETWEEN") {
            let low = self.literal(&field)?;
            if !self.eat_keyword("AND") {
                return self.expected("AND");
            }
            let high = self.literal(&field)?;
            return Ok(Expr::Between {
                field,
                low,
                high,
                negated,
            });
        }
        if negated {
            return self.expected("LIKE, ILIKE, IN or BETWEEN after NOT");
        }
        let op = match self.peek().map(|t| &t.kind) {
            Some(TokenKind::Op(op)) => *op,
            _ => {
                return self.expected(
                    "an operator (=, <>, !=, <, <=, >, >=, LIKE, ILIKE, IN, BETWEEN, IS)",
                );
            }
        };
        self.index += 1;
        let literal = self.literal(&field)?;
        Ok(Expr::Compare(
            field,
            if op == "!=" { "<>" } else { op },
            literal,
        ))
    }

    fn literal(&mut self, field: &Field) -> Result<Literal, CqlError> {
        let position = self.position();
        let literal = match self.next().map(|token| token.kind) {
            Some(TokenKind::Str(text)) => Literal::Text(text),
            Some(TokenKind::Number(text)) => {
                if let Ok(number) = text.parse::<i64>() {
                    Literal::Integer(number)
                } else if let Ok(number) = text.parse::<f64>() {
                    Literal::Real(number)
                } else {
                    return Err(CqlError {
                        position,
                        message: format!("'{text}' is not a number"),
                        hint: None,
                    });
                }
            }
            Some(TokenKind::Ident(word)) if word.eq_ignore_ascii_case("TRUE") => {
                Literal::Bool(true)
            }
            Some(TokenKind::Ident(word)) if word.eq_ignore_ascii_case("FALSE") => {
                Literal::Bool(false)
            }
            Some(TokenKind::Ident(word))
                if word.eq_ignore_ascii_case("DATE") || word.eq_ignore_ascii_case("TIMESTAMP") =>
            {
                let text = match (self.next(), self.next(), self.next()) {
                    (
                        Some(Token {
                            kind: TokenKind::LParen,
                            ..
                        }),
                        Some(Token {
                            kind: TokenKind::Str(text),
                            ..
                        }),
                        Some(Token {
                            kind: TokenKind::RParen,
                            ..
                        }),
                    ) => text,
                    _ => {
                        return Err(CqlError {
                            position,
                            message: format!("expected {}('…')", word.to_uppercase()),
                            hint: None,
                        });
                    }
                };
                if !looks_like_date(&text) {
                    return Err(CqlError {
                        position,
                        message: format!("'{text}' is not a date (YYYY-MM-DD[THH:MM:SS])"),
                        hint: None,
                    });
                }
                Literal::Text(text)
            }
            _ => {
                self.index -= 1;
                return self.expected("a value (a 'string', a number, TRUE, FALSE or DATE('…'))");
            }
        };
        check_literal(field, &literal).map_err(|message| CqlError {
            position,
            message,
            hint: None,
        })?;
        Ok(literal)
    }
}

fn looks_like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
}

fn check_literal(field: &Field, literal: &Literal) -> Result<(), String> {
    match (field.kind, literal) {
        (FieldKind::Integer, Literal::Text(text)) if text.trim().parse::<i64>().is_err() => Err(
            format!("field '{}' is a number, '{text}' is not", field.name),
        ),
        (FieldKind::Enum(values), Literal::Text(text)) if !values.contains(&text.as_str()) => {
            Err(format!(
                "'{text}' is not a valid {}; expected one of: {}",
                field.name,
                values.join(", ")
            ))
        }
        (FieldKind::Enum(_) | FieldKind::Date, Literal::Integer(_) | Literal::Real(_))
        | (FieldKind::Text | FieldKind::FullText, Literal::Real(_)) => Err(format!(
            "field '{}' holds text: quote the value",
            field.name
        )),
        (FieldKind::Date, Literal::Text(text)) if !looks_like_date(text) => Err(format!(
            "'{text}' is not a date (YYYY-MM-DD[THH:MM:SS]) for field '{}'",
            field.name
        )),
        _ => Ok(()),
    }
}

fn emit(expr: &Expr, positive: bool, full_text: &dyn FullTextHint, out: &mut SqlFilter) {
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
        assert!(error("created_at > 'yesterday'").contains("is not a date"));
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
