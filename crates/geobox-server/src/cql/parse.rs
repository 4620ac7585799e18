//! The lexer and the recursive-descent parser: CQL text to an [`Expr`], with every field
//! and literal checked and every bound enforced.

use rusqlite::types::Value;

use super::{
    CqlError, Field, FieldKind, MAX_CONDITIONS, MAX_IN_VALUES, MAX_NESTING, MAX_PATTERN_CHARS,
};

/// The expression `input` says, checked against `fields`.
pub(super) fn parse(input: &str, fields: &[Field]) -> Result<Expr, CqlError> {
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
    Ok(expr)
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
                        Some('\0') => {
                            // SQLite compares text up to a NUL: the value would mean less
                            // than it says.
                            return Err(CqlError {
                                position: j + 1,
                                message: "a NUL character is not allowed in a string".into(),
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
pub(super) enum Literal {
    Text(String),
    Integer(i64),
    Real(f64),
    Bool(bool),
}

impl Literal {
    pub(super) fn to_value(&self) -> Value {
        match self {
            Literal::Text(text) => Value::Text(text.clone()),
            Literal::Integer(number) => Value::Integer(*number),
            Literal::Real(number) => Value::Real(*number),
            Literal::Bool(flag) => Value::Integer(i64::from(*flag)),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
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
                if !is_real_date(&text) {
                    return Err(CqlError {
                        position,
                        message: format!("'{text}' is not a valid date (YYYY-MM-DD[THH:MM:SS])"),
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

/// A real calendar day (or a timestamp on one), not only the shape of one: a filter on
/// `'2021-13-45'` is a mistake to point at, not a silent empty list.
fn is_real_date(text: &str) -> bool {
    crate::validate::iso_date(text).is_some()
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
        (FieldKind::Date, Literal::Text(text)) if !is_real_date(text) => Err(format!(
            "'{text}' is not a valid date (YYYY-MM-DD[THH:MM:SS]) for field '{}'",
            field.name
        )),
        _ => Ok(()),
    }
}
