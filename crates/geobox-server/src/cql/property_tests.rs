//! The compiler's SQL against a reference: generated filters, rendered as CQL text, must
//! select exactly the users a plain Rust evaluation of the same filter selects, over a few
//! thousand generated users in the real schema (collations, full-text index and all).
//!
//! The evaluator spells out what a filter means on this server, SQLite's rules included:
//! SQL's three-valued logic with NULLs, `username` compared without regard to ASCII case (its
//! column is `COLLATE NOCASE`), numbers compared as text against text columns, `LIKE` that is
//! case-sensitive and `ILIKE` that folds ASCII letters only.

use std::cmp::Ordering;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rusqlite::params_from_iter;

use super::compile;
use crate::store::{self, NewUserRecord, Store, USER_FIELDS, UsersFullText};
use geobox_api::{UserRole, UserStatus};

/// How many users the filters run over.
const USERS: usize = 2_000;
/// How many filters are generated (each runs once in SQL, once in Rust).
const CASES: u32 = 300;

/// Pieces of text the users and the literals share, so comparisons and patterns hit.
const FRAGMENTS: &[&str] = &[
    "ali", "Ali", "ALI", "reza", "Reza", "o'brien", "a_b", "50%", "x\\y", "né", "NÉ", "رضا", "zz",
    "a b", "[x]", "*", "?",
];
const DATES: &[&str] = &[
    "2019-01-01",
    "2020-06-15",
    "2020-06-15T12:00:00Z",
    "2021-01-01",
    "2022-12-31T23:59:59Z",
    "2023-07-04",
    "2024-02-29",
    "2026-01-01",
];
const PATTERN_CHARS: &[&str] = &[
    "a", "A", "l", "i", "r", "e", "z", "%", "%", "_", "\\", "é", "É", "ر", "'", " ", "1", "*", "?",
    "[",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Integer,
    Text,
    /// `username`: text compared without regard to ASCII case.
    NoCase,
    Role,
    Status,
    Date,
}

/// The fields the filters name: `(name, kind)`, in the order of [`Person::cell`].
const FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::Integer),
    ("username", Kind::NoCase),
    ("email", Kind::Text),
    ("first_name", Kind::Text),
    ("last_name", Kind::Text),
    ("mobile", Kind::Text),
    ("role", Kind::Role),
    ("status", Kind::Status),
    ("plan_id", Kind::Integer),
    ("expiration_date", Kind::Date),
    ("parent_id", Kind::Integer),
    ("created_at", Kind::Date),
    ("last_login", Kind::Date),
];

#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Text(String),
}

#[derive(Clone, Debug)]
enum Lit {
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

#[derive(Clone, Debug)]
enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare(usize, &'static str, Lit),
    Like(usize, String, bool, bool),
    In(usize, Vec<Lit>, bool),
    Between(usize, Lit, Lit, bool),
    IsNull(usize, bool),
}

struct Person {
    cells: Vec<Cell>,
}

impl Person {
    fn cell(&self, field: usize) -> &Cell {
        &self.cells[field]
    }
}

fn text_or_null(value: &Option<String>) -> Cell {
    value.clone().map_or(Cell::Null, Cell::Text)
}

/// A random source for users: fragments, and fields left empty one time in five.
struct Dice(SmallRng);

impl Dice {
    fn fragment(&mut self) -> &'static str {
        FRAGMENTS[self.0.random_range(0..FRAGMENTS.len())]
    }

    fn maybe(&mut self, text: String) -> Option<String> {
        self.0.random_bool(0.8).then_some(text)
    }

    fn below(&mut self, end: usize) -> usize {
        self.0.random_range(0..end)
    }
}

/// A user made from the fragments, as the server stores it.
fn record(dice: &mut Dice, index: usize) -> NewUserRecord {
    let mut record = NewUserRecord::example(&format!("{}{index}", dice.fragment()));
    let email = format!("{}@{}.ir", dice.fragment(), dice.fragment());
    record.email = dice.maybe(email);
    let first = dice.fragment().to_string();
    record.first_name = dice.maybe(first);
    let last = format!("{} {}", dice.fragment(), dice.fragment());
    record.last_name = dice.maybe(last);
    let mobile = format!("+98 912 {:07}", dice.below(50));
    record.mobile = dice.maybe(mobile);
    record.role = UserRole::from_wire(UserRole::WIRE[dice.below(UserRole::WIRE.len())]);
    record.status = UserStatus::from_wire(UserStatus::WIRE[dice.below(UserStatus::WIRE.len())]);
    record.plan_id = (dice.below(10) < 7).then(|| 1 + dice.below(5) as i64);
    let expiration = DATES[dice.below(DATES.len())][..10].to_string();
    record.expiration_date = dice.maybe(expiration);
    record.parent_id = (index > 0 && dice.below(10) < 3).then(|| 1 + dice.below(index) as i64);
    record.created_at = format!(
        "{}-{:02}-{:02}T{:02}:00:00Z",
        2019 + dice.below(7),
        1 + dice.below(12),
        1 + dice.below(28),
        dice.below(24)
    );
    record
}

/// The users, stored through the server's own insert (triggers and indexes included), and
/// as cells for the evaluator.
fn people(store: &Store) -> Vec<Person> {
    let mut dice = Dice(SmallRng::seed_from_u64(7));
    store
        .transaction_blocking(|tx| {
            crate::seed::ensure_plans(tx)?;
            let mut people = Vec::with_capacity(USERS);
            for index in 0..USERS {
                let record = record(&mut dice, index);
                let id = store::insert_user(tx, &record)?;
                people.push(Person {
                    cells: vec![
                        Cell::Int(id),
                        Cell::Text(record.username.clone()),
                        text_or_null(&record.email),
                        text_or_null(&record.first_name),
                        text_or_null(&record.last_name),
                        text_or_null(&record.mobile),
                        Cell::Text(record.role.as_str().to_string()),
                        Cell::Text(record.status.as_str().to_string()),
                        record.plan_id.map_or(Cell::Null, Cell::Int),
                        text_or_null(&record.expiration_date),
                        record.parent_id.map_or(Cell::Null, Cell::Int),
                        Cell::Text(record.created_at.clone()),
                        Cell::Null,
                    ],
                });
            }
            Ok(people)
        })
        .expect("users stored")
}

// ---- generating filters ----

fn literal(kind: Kind) -> BoxedStrategy<Lit> {
    let text = prop::sample::select(FRAGMENTS.to_vec()).prop_flat_map(|fragment| {
        prop_oneof![
            Just(fragment.to_string()),
            (0..USERS).prop_map(move |index| format!("{fragment}{index}")),
        ]
    });
    match kind {
        Kind::Integer => prop_oneof![
            4 => (-2i64..2_100).prop_map(Lit::Int),
            1 => (-2i64..2_100).prop_map(|n| Lit::Text(n.to_string())),
            1 => (-2.0f64..2_100.0).prop_map(Lit::Real),
            1 => any::<bool>().prop_map(Lit::Bool),
        ]
        .boxed(),
        Kind::Text | Kind::NoCase => prop_oneof![
            6 => text.prop_map(Lit::Text),
            1 => (0i64..100).prop_map(Lit::Int),
            1 => any::<bool>().prop_map(Lit::Bool),
        ]
        .boxed(),
        Kind::Role => prop::sample::select(UserRole::WIRE.to_vec())
            .prop_map(|role| Lit::Text(role.to_string()))
            .boxed(),
        Kind::Status => prop::sample::select(UserStatus::WIRE.to_vec())
            .prop_map(|status| Lit::Text(status.to_string()))
            .boxed(),
        Kind::Date => prop::sample::select(DATES.to_vec())
            .prop_map(|date| Lit::Text(date.to_string()))
            .boxed(),
    }
}

fn field() -> impl Strategy<Value = usize> {
    0..FIELDS.len()
}

fn predicate() -> impl Strategy<Value = Filter> {
    let compare = field().prop_flat_map(|field| {
        let ops = prop::sample::select(vec!["=", "<>", "!=", "<", "<=", ">", ">="]);
        (ops, literal(FIELDS[field].1)).prop_map(move |(op, lit)| Filter::Compare(field, op, lit))
    });
    let pattern = prop::collection::vec(prop::sample::select(PATTERN_CHARS.to_vec()), 0..7)
        .prop_map(|chars| chars.concat());
    let like = (field(), pattern, any::<bool>(), any::<bool>())
        .prop_map(|(field, pattern, ilike, negated)| Filter::Like(field, pattern, ilike, negated));
    let list = field().prop_flat_map(|field| {
        (
            prop::collection::vec(literal(FIELDS[field].1), 1..5),
            any::<bool>(),
        )
            .prop_map(move |(values, negated)| Filter::In(field, values, negated))
    });
    let between = field().prop_flat_map(|field| {
        let kind = FIELDS[field].1;
        (literal(kind), literal(kind), any::<bool>())
            .prop_map(move |(low, high, negated)| Filter::Between(field, low, high, negated))
    });
    let null = (field(), any::<bool>()).prop_map(|(field, negated)| Filter::IsNull(field, negated));
    prop_oneof![4 => compare, 3 => like, 2 => list, 2 => between, 1 => null]
}

fn filter() -> impl Strategy<Value = Filter> {
    predicate().prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
}

// ---- rendering as CQL text ----

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn render_literal(lit: &Lit) -> String {
    match lit {
        Lit::Int(n) => n.to_string(),
        Lit::Real(f) => format!("{f:?}"),
        Lit::Text(text) => quoted(text),
        Lit::Bool(flag) => if *flag { "TRUE" } else { "false" }.to_string(),
    }
}

fn render(filter: &Filter) -> String {
    let name = |field: &usize| FIELDS[*field].0;
    let not = |negated: &bool| if *negated { "NOT " } else { "" };
    match filter {
        Filter::And(a, b) => format!("({} AND {})", render(a), render(b)),
        Filter::Or(a, b) => format!("({} or {})", render(a), render(b)),
        Filter::Not(a) => format!("NOT ({})", render(a)),
        Filter::Compare(field, op, lit) => format!("{} {op} {}", name(field), render_literal(lit)),
        Filter::Like(field, pattern, ilike, negated) => format!(
            "{} {}{} {}",
            name(field),
            not(negated),
            if *ilike { "ILIKE" } else { "LIKE" },
            quoted(pattern)
        ),
        Filter::In(field, values, negated) => {
            let values: Vec<String> = values.iter().map(render_literal).collect();
            format!("{} {}IN ({})", name(field), not(negated), values.join(", "))
        }
        Filter::Between(field, low, high, negated) => format!(
            "\"{}\" {}BETWEEN {} AND {}",
            name(field),
            not(negated),
            render_literal(low),
            render_literal(high)
        ),
        Filter::IsNull(field, negated) => format!("{} IS {}NULL", name(field), not(negated)),
    }
}

// ---- evaluating in Rust ----

/// A literal as SQLite sees it beside a column of this kind: numbers against text columns
/// are compared as their decimal text; text against integer columns as the number it spells.
fn operand(kind: Kind, lit: &Lit) -> Cell {
    let integer = kind == Kind::Integer;
    match lit {
        Lit::Int(n) if integer => Cell::Int(*n),
        Lit::Text(text) if integer => Cell::Int(text.parse().unwrap_or_default()),
        Lit::Bool(flag) if integer => Cell::Int(i64::from(*flag)),
        Lit::Bool(flag) => Cell::Text(if *flag { "1" } else { "0" }.to_string()),
        Lit::Int(n) => Cell::Text(n.to_string()),
        Lit::Text(text) => Cell::Text(text.clone()),
        // Reals meet integer columns only (see `order`); the parser refuses them elsewhere.
        Lit::Real(_) => Cell::Null,
    }
}

fn fold(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// `None` when either side is NULL, as in SQL.
fn order(kind: Kind, cell: &Cell, lit: &Lit) -> Option<Ordering> {
    if let (Cell::Int(n), Lit::Real(f)) = (cell, lit) {
        return (*n as f64).partial_cmp(f);
    }
    match (cell, &operand(kind, lit)) {
        (Cell::Int(a), Cell::Int(b)) => Some(a.cmp(b)),
        (Cell::Text(a), Cell::Text(b)) if kind == Kind::NoCase => Some(fold(a).cmp(&fold(b))),
        (Cell::Text(a), Cell::Text(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        _ => None,
    }
}

fn compare(kind: Kind, cell: &Cell, op: &str, lit: &Lit) -> Option<bool> {
    let ordering = order(kind, cell, lit)?;
    Some(match op {
        "=" => ordering == Ordering::Equal,
        "<>" | "!=" => ordering != Ordering::Equal,
        "<" => ordering == Ordering::Less,
        "<=" => ordering != Ordering::Greater,
        ">" => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    })
}

enum Part {
    Char(char),
    Many,
    One,
}

/// A CQL pattern: `%` any run, `_` one character, `\` makes the next character literal.
fn parts(pattern: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '\\' => Part::Char(chars.next().unwrap_or('\\')),
            '%' => Part::Many,
            '_' => Part::One,
            other => Part::Char(other),
        });
    }
    parts
}

fn matches(parts: &[Part], text: &[char], fold_ascii: bool) -> bool {
    match parts.split_first() {
        None => text.is_empty(),
        Some((Part::Many, rest)) => {
            (0..=text.len()).any(|skip| matches(rest, &text[skip..], fold_ascii))
        }
        Some((Part::One, rest)) => !text.is_empty() && matches(rest, &text[1..], fold_ascii),
        Some((Part::Char(c), rest)) => text.first().is_some_and(|first| {
            let same = if fold_ascii {
                first.eq_ignore_ascii_case(c)
            } else {
                first == c
            };
            same && matches(rest, &text[1..], fold_ascii)
        }),
    }
}

fn evaluate(filter: &Filter, person: &Person) -> Option<bool> {
    let kind = |field: &usize| FIELDS[*field].1;
    let negate = |value: Option<bool>, negated: bool| value.map(|value| value != negated);
    match filter {
        Filter::And(a, b) => match (evaluate(a, person), evaluate(b, person)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Filter::Or(a, b) => match (evaluate(a, person), evaluate(b, person)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Filter::Not(a) => evaluate(a, person).map(|value| !value),
        Filter::Compare(field, op, lit) => compare(kind(field), person.cell(*field), op, lit),
        Filter::Like(field, pattern, ilike, negated) => {
            let text = match person.cell(*field) {
                Cell::Null => return None,
                Cell::Int(n) => n.to_string(),
                Cell::Text(text) => text.clone(),
            };
            let chars: Vec<char> = text.chars().collect();
            negate(Some(matches(&parts(pattern), &chars, *ilike)), *negated)
        }
        Filter::In(field, values, negated) => {
            let cell = person.cell(*field);
            if *cell == Cell::Null {
                return None;
            }
            let found = values
                .iter()
                .any(|lit| compare(kind(field), cell, "=", lit) == Some(true));
            negate(Some(found), *negated)
        }
        Filter::Between(field, low, high, negated) => {
            let cell = person.cell(*field);
            let within = Filter::And(
                Box::new(Filter::Compare(*field, ">=", low.clone())),
                Box::new(Filter::Compare(*field, "<=", high.clone())),
            );
            if *cell == Cell::Null {
                return None;
            }
            negate(evaluate(&within, person), *negated)
        }
        Filter::IsNull(field, negated) => Some((*person.cell(*field) == Cell::Null) != *negated),
    }
}

#[test]
fn compiled_sql_selects_what_the_filter_means() {
    let store = Store::open(None).expect("opens");
    let people = people(&store);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&filter(), |filter| {
        let text = render(&filter);
        let compiled = compile(&text, USER_FIELDS, &UsersFullText)
            .map_err(|error| TestCaseError::fail(format!("{text}: {error}")))?;
        let selected: Vec<i64> = store
            .read_blocking(|conn| {
                let sql = format!("SELECT id FROM users WHERE {} ORDER BY id", compiled.sql);
                let mut statement = conn.prepare(&sql)?;
                let ids =
                    statement.query_map(params_from_iter(&compiled.params), |row| row.get(0))?;
                Ok(ids.collect::<rusqlite::Result<Vec<i64>>>()?)
            })
            .map_err(|error| TestCaseError::fail(format!("{text}: {error:?}")))?;
        let expected: Vec<i64> = people
            .iter()
            .filter(|person| evaluate(&filter, person) == Some(true))
            .filter_map(|person| match person.cell(0) {
                Cell::Int(id) => Some(*id),
                _ => None,
            })
            .collect();
        prop_assert_eq!(&selected, &expected, "{}", text);
        Ok(())
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
}
