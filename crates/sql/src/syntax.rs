//! Flowlab's own SQL front end: a lexer, a recursive-descent parser, the syntax tree, its
//! `Display` (SQL text again) and the spans error carets use.
//!
//! Why not the `sqlparser` crate: the lab runs in the browser, and sqlparser's parser and the
//! Display, Clone and comparison code of its large tree (every dialect's syntax) were over a
//! megabyte of the WebAssembly bundle, for the small subset of SQL the engine runs. This one
//! reads that subset: SELECT [DISTINCT] with FROM (tables, subqueries, the window table
//! functions TUMBLE/HOP/SESSION, every join the engine runs including DuckDB's
//! `ASOF [LEFT] JOIN` and `SEMI JOIN`), WHERE, GROUP BY, HAVING, UNION/INTERSECT/EXCEPT,
//! VALUES, WITH [RECURSIVE], ORDER BY, LIMIT/OFFSET, PostgreSQL's expressions with their
//! precedence, window functions; and the statements EXPLAIN [ANALYZE], CREATE TABLE [AS],
//! INSERT INTO and DROP TABLE. Syntax a learner may know from another database but the lab does
//! not run (TOP n, DISTINCT ON, ROLLUP, FETCH, a WINDOW clause, UPDATE, ...) is refused where
//! it starts, with a hint. Syntax errors use sqlparser's words (`Expected: ), found: FROM`),
//! which the lab's tests and lessons show. Its differential test
//! (`tests/parser_differential.rs`) compares it with sqlparser on every query the lab ships.

pub mod ast;
mod call;
mod display;
mod expr;
mod hints;
mod lexer;
mod parser;
mod query;
mod refuse;
pub mod span;
#[cfg(test)]
mod tests;
mod types;

use crate::error::{ErrorKind, SqlError};

/// The statements of `sql`, separated by `;` (empty ones skipped).
pub fn parse(sql: &str) -> Result<Vec<ast::Statement>, SqlError> {
    let tokens = lexer::tokenize(sql)?;
    parser::Parser::new(tokens).statements().map_err(|e| {
        if e.kind == ErrorKind::Syntax && e.hint.is_none() {
            let hint = hints::syntax_hint(sql, &e.message, e.position);
            e.with_hint(hint)
        } else {
            e
        }
    })
}
