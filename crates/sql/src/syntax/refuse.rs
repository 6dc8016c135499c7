//! The refusals of valid SQL the lab does not run, in the words and with the hints the binder
//! gave when the parser still accepted it: the parser now stops at the first such word, so
//! the learner's caret lands on it and the binder never sees it.

use crate::error::{ErrorKind, SqlError};

/// A statement other than the five the lab runs: `words` are its first two, upper-cased.
pub fn statement(words: &str) -> SqlError {
    SqlError::unsupported(format!("the statement {words}"))
        .with_hint("the lab runs SELECT, EXPLAIN, CREATE TABLE [AS], INSERT and DROP TABLE")
}

pub fn column_constraints() -> SqlError {
    SqlError::unsupported("column constraints (NOT NULL, PRIMARY KEY, DEFAULT, ...)")
        .with_hint("the lab's tables hold no constraints: write each column's name and type only")
}

pub fn create_if_not_exists() -> SqlError {
    SqlError::unsupported("CREATE TABLE IF NOT EXISTS")
        .with_hint("DROP TABLE IF EXISTS first, then CREATE TABLE")
}

pub fn select_top() -> SqlError {
    SqlError::unsupported("SELECT TOP n (SQL Server's way to limit rows)")
        .with_hint("write LIMIT n at the end of the query; a column named top is written \"top\"")
}

/// INTO, QUALIFY, WINDOW, LATERAL VIEW, ... after SELECT.
pub fn select_clause() -> SqlError {
    SqlError::unsupported("this SELECT clause (INTO, QUALIFY, WINDOW, TOP, LATERAL VIEW, ...)")
}

pub fn distinct_on() -> SqlError {
    SqlError::unsupported("DISTINCT ON")
        .with_hint("use row_number() OVER (PARTITION BY ...) = 1 instead")
}

pub fn grouping_sets() -> SqlError {
    SqlError::unsupported("ROLLUP, CUBE and GROUPING SETS")
}

pub fn group_by_all() -> SqlError {
    SqlError::unsupported("GROUP BY ALL").with_hint("list the grouping columns")
}

pub fn order_by_all() -> SqlError {
    SqlError::unsupported("ORDER BY ALL")
}

/// FETCH FIRST, FOR UPDATE and the like after a query.
pub fn fetch_or_lock() -> SqlError {
    SqlError::unsupported("FETCH, FOR UPDATE and pipe operators")
}

pub fn limit_by() -> SqlError {
    SqlError::unsupported("LIMIT BY")
}

pub fn named_windows() -> SqlError {
    SqlError::unsupported("named windows")
}

pub fn groups_frames() -> SqlError {
    SqlError::unsupported("GROUPS frames")
}

pub fn frame_exclusion() -> SqlError {
    SqlError::unsupported("EXCLUDE in a window frame")
}

/// A join the engine does not run (`name` as SQL writes it: "RIGHT SEMI JOIN").
pub fn join(name: &str) -> SqlError {
    SqlError::unsupported(format!("the join {name}"))
        .with_hint("use INNER, LEFT, RIGHT, FULL, CROSS or ASOF [LEFT] JOIN")
}

pub fn asof_right_or_full() -> SqlError {
    SqlError::new(
        ErrorKind::Unsupported,
        "ASOF RIGHT and ASOF FULL JOIN are not supported",
    )
    .with_hint(
        "swap the two tables and write ASOF LEFT JOIN, turning the inequality around \
         (e.ts >= f.ts becomes f.ts <= e.ts)",
    )
}

pub fn lateral() -> SqlError {
    SqlError::unsupported("LATERAL")
        .with_hint("join the subquery, or use a correlated subquery in SELECT")
}

pub fn subquery_argument() -> SqlError {
    SqlError::unsupported("a subquery as a function argument")
}

pub fn named_argument(name: &str) -> SqlError {
    SqlError::unsupported(format!("the named argument {name} =>"))
        .with_hint("pass the arguments by position")
}

pub fn within_group_or_nulls() -> SqlError {
    SqlError::unsupported("WITHIN GROUP and IGNORE NULLS")
}

pub fn argument_order_by() -> SqlError {
    SqlError::unsupported("ORDER BY inside a function's arguments")
        .with_hint("order the rows in a subquery first")
}

pub fn like_any() -> SqlError {
    SqlError::unsupported("LIKE ANY").with_hint("combine several LIKE tests with OR")
}

pub fn trim_characters() -> SqlError {
    SqlError::unsupported("TRIM with a character list")
}

/// An operator the parser reads only to refuse: `^`, `&`, `SIMILAR TO`, `AT TIME ZONE`, ...
pub fn operator(op: &str) -> SqlError {
    SqlError::unsupported(format!("the operator {op}"))
}

/// An expression form the engine does not run (`IS UNKNOWN`, a row value, ...).
pub fn expression(what: &str) -> SqlError {
    SqlError::unsupported(format!("the expression {what}"))
}

pub fn set_by_name() -> SqlError {
    SqlError::unsupported("UNION BY NAME")
        .with_hint("list the columns in the same order on both sides")
}

pub fn materialized_cte() -> SqlError {
    SqlError::unsupported("MATERIALIZED in a WITH clause")
}
