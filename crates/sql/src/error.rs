//! SQL errors as a learner sees them: what went wrong, where (line and column, drawn as a caret
//! under the query), and a hint (a did-you-mean for unknown names, both types for type errors,
//! the feature's name for unsupported syntax).

use std::fmt;

/// What kind of problem stopped a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not SQL the parser accepts.
    Syntax,
    UnknownTable,
    UnknownColumn,
    /// A column name more than one table in scope has.
    AmbiguousColumn,
    UnknownFunction,
    /// Two types that do not go together.
    Type,
    /// Valid SQL this engine does not run.
    Unsupported,
    /// The query would use more rows or work than a query may.
    Limit,
    /// The query nests deeper than the binder goes (expressions or subqueries); the syntax
    /// tree is then too deep to drop safely as well.
    TooDeep,
    /// Something failed while running (division by zero, overflow, a bad cast).
    Runtime,
    /// A write to a sample table, or a table that exists already.
    Catalog,
}

/// A 1-based line and column in the query text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Why a statement failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    pub position: Option<Position>,
}

impl SqlError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> SqlError {
        SqlError {
            kind,
            message: message.into(),
            hint: None,
            position: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> SqlError {
        self.hint = Some(hint.into());
        self
    }

    pub fn at(mut self, position: Option<Position>) -> SqlError {
        if self.position.is_none() {
            self.position = position;
        }
        self
    }

    pub fn unsupported(what: impl fmt::Display) -> SqlError {
        SqlError::new(
            ErrorKind::Unsupported,
            format!("{what} is not supported here"),
        )
        .with_hint("see the SQL lab's list of supported features")
    }

    /// The query's line with a caret under the error's column, as psql draws it.
    pub fn caret(&self, sql: &str) -> Option<String> {
        let p = self.position?;
        let line = sql.lines().nth(p.line.checked_sub(1)?)?;
        let pad: String = line
            .chars()
            .take(p.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        Some(format!("{line}\n{pad}^"))
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(p) = self.position {
            write!(f, " (line {}, column {})", p.line, p.column)?;
        }
        Ok(())
    }
}

pub use sim::text::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_point_at_the_column() {
        let e = SqlError::new(ErrorKind::Syntax, "bad").at(Some(Position { line: 2, column: 8 }));
        assert_eq!(
            e.caret("SELECT 1\nFROM t WHER x").unwrap(),
            "FROM t WHER x\n       ^"
        );
    }
}
