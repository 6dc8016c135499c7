//! The recursive-descent parser's core: the token cursor, the "Expected: ..., found: ..."
//! errors, the nesting guard, and the statements (EXPLAIN, CREATE TABLE, INSERT, DROP TABLE
//! and queries). Queries are read in `query.rs`, expressions in `expr.rs`.
//!
//! Nesting is bounded twice, so that no text can overflow the stack while it is parsed, and no
//! tree while it is dropped or displayed: 50 levels of recursion (parentheses, subqueries,
//! operands of NOT), as sqlparser's `with_recursion_limit(50)` gave, and a tree height of
//! [`TREE_HEIGHT_MAX`] that also counts each operator of a left-deep chain (`1 + 1 + ...`,
//! `... UNION ALL ...`), which the parser builds in a loop.

use super::ast::*;
use super::lexer::{Token, TokenKind};
use super::refuse;
use super::span::Location;
use crate::error::{ErrorKind, Position, SqlError};

/// Deepest recursion of the parser (sqlparser's recursion limit as the session set it).
pub const RECURSION_MAX: usize = 50;
/// Highest tree the parser builds, counting each operator of a left-deep chain.
pub const TREE_HEIGHT_MAX: usize = 1_000;

/// Statements the parser knows by their first word but the lab does not run.
const OTHER_STATEMENTS: &[&str] = &[
    "UPDATE",
    "DELETE",
    "MERGE",
    "ALTER",
    "TRUNCATE",
    "COPY",
    "GRANT",
    "REVOKE",
    "SET",
    "SHOW",
    "USE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "START",
    "DESCRIBE",
    "DESC",
    "ANALYZE",
    "VACUUM",
    "PRAGMA",
    "CALL",
    "DECLARE",
    "PREPARE",
    "EXECUTE",
    "ATTACH",
    "DETACH",
    "INSTALL",
    "LOAD",
    "COMMENT",
    "REPLACE",
    "UPSERT",
    "CACHE",
    "UNCACHE",
    "KILL",
    "FLUSH",
    "OPTIMIZE",
    "SAVEPOINT",
    "RELEASE",
    "DEALLOCATE",
    "LISTEN",
    "NOTIFY",
    "UNLOAD",
    "LOCK",
    "DISCARD",
    "RESET",
];

/// Words after CREATE, DROP, ALTER, ... that name a kind of object (upper-cased in messages;
/// a table's name is shown as written).
const OBJECT_KINDS: &[&str] = &[
    "TABLE",
    "VIEW",
    "INDEX",
    "SCHEMA",
    "DATABASE",
    "FUNCTION",
    "SEQUENCE",
    "TYPE",
    "TRIGGER",
    "MACRO",
    "SECRET",
    "ROLE",
    "USER",
    "TEMPORARY",
    "TEMP",
    "MATERIALIZED",
    "OR",
    "UNIQUE",
    "EXTENSION",
    "PROCEDURE",
    "TRANSACTION",
    "WORK",
];

pub struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Current recursion depth.
    depth: usize,
    /// Height of the tree being built along the current path (recursion plus chains).
    height: usize,
}

/// A place in the token stream to come back to (after a failed attempt).
#[derive(Clone)]
pub struct Mark {
    at: usize,
    depth: usize,
    height: usize,
}

/// What a guarded step restores when it ends.
pub struct Guard {
    depth: usize,
    height: usize,
}

impl Parser {
    pub fn new(tokens: Vec<Token>) -> Parser {
        Parser {
            tokens,
            at: 0,
            depth: 0,
            height: 0,
        }
    }

    // ---- the cursor -------------------------------------------------------------------

    pub fn peek(&self) -> &Token {
        self.peek_nth(0)
    }

    /// The token `n` places ahead (the end, past the last one).
    pub fn peek_nth(&self, n: usize) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[(self.at + n).min(last)]
    }

    /// The token just read.
    pub fn previous(&self) -> &Token {
        &self.tokens[self.at.saturating_sub(1)]
    }

    pub fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if t.kind != TokenKind::Eof {
            self.at += 1;
        }
        t
    }

    pub fn mark(&self) -> Mark {
        Mark {
            at: self.at,
            depth: self.depth,
            height: self.height,
        }
    }

    pub fn reset(&mut self, mark: Mark) {
        self.at = mark.at;
        self.depth = mark.depth;
        self.height = mark.height;
    }

    pub fn peek_keyword(&self, keyword: &str) -> bool {
        self.peek().is_keyword(keyword)
    }

    /// Whether the next tokens are these keywords.
    pub fn peek_keywords(&self, keywords: &[&str]) -> bool {
        keywords
            .iter()
            .enumerate()
            .all(|(i, k)| self.peek_nth(i).is_keyword(k))
    }

    /// Reads `keyword` if it is next.
    pub fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_keyword(keyword);
        if found {
            self.advance();
        }
        found
    }

    /// Reads these keywords if they are all next.
    pub fn eat_keywords(&mut self, keywords: &[&str]) -> bool {
        let found = self.peek_keywords(keywords);
        if found {
            self.at += keywords.len();
        }
        found
    }

    pub fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.peek().is_symbol(symbol);
        if found {
            self.advance();
        }
        found
    }

    pub fn expect_keyword(&mut self, keyword: &str) -> Result<Token, SqlError> {
        if self.peek_keyword(keyword) {
            Ok(self.advance())
        } else {
            Err(self.expected(keyword))
        }
    }

    pub fn expect_symbol(&mut self, symbol: &str) -> Result<Token, SqlError> {
        if self.peek().is_symbol(symbol) {
            Ok(self.advance())
        } else {
            Err(self.expected(symbol))
        }
    }

    // ---- errors -------------------------------------------------------------------------

    /// `Expected: <what>, found: <next token>`, at the next token (sqlparser's words).
    pub fn expected(&self, what: &str) -> SqlError {
        let found = self.peek();
        SqlError::new(
            ErrorKind::Syntax,
            format!("Expected: {what}, found: {}", found.describe()),
        )
        .at(location_position(found.span.start))
    }

    /// Refuses what the token `t` starts: valid SQL the lab does not run.
    pub fn refuse_at(&self, error: SqlError, t: &Token) -> SqlError {
        error.at(location_position(t.span.start))
    }

    // ---- nesting ------------------------------------------------------------------------

    /// Enters one level of recursion; [`Parser::leave`] with the guard when the step ends.
    pub fn enter(&mut self) -> Result<Guard, SqlError> {
        let guard = Guard {
            depth: self.depth,
            height: self.height,
        };
        self.depth += 1;
        self.height += 1;
        if self.depth > RECURSION_MAX {
            return Err(SqlError::new(ErrorKind::Syntax, "recursion limit exceeded")
                .with_hint("the query nests too deeply"));
        }
        self.check_height()?;
        Ok(guard)
    }

    pub fn leave(&mut self, guard: Guard) {
        self.depth = guard.depth;
        self.height = guard.height;
    }

    /// One more operator in a left-deep chain: the tree grows a level without recursion.
    pub fn grow_chain(&mut self) -> Result<(), SqlError> {
        self.height += 1;
        self.check_height()
    }

    fn check_height(&self) -> Result<(), SqlError> {
        if self.height > TREE_HEIGHT_MAX {
            return Err(SqlError::new(
                ErrorKind::TooDeep,
                format!("the query nests more than {TREE_HEIGHT_MAX} levels deep"),
            )
            .with_hint("split it up, e.g. with a WITH clause"));
        }
        Ok(())
    }

    // ---- statements ---------------------------------------------------------------------

    /// Every statement of the text, `;`-separated, empty ones skipped.
    pub fn statements(&mut self) -> Result<Vec<Statement>, SqlError> {
        let mut out = Vec::new();
        loop {
            while self.eat_symbol(";") {}
            if self.peek().kind == TokenKind::Eof {
                return Ok(out);
            }
            out.push(self.statement()?);
            if self.peek().kind != TokenKind::Eof && !self.peek().is_symbol(";") {
                return Err(self.expected("end of statement"));
            }
        }
    }

    pub fn statement(&mut self) -> Result<Statement, SqlError> {
        let guard = self.enter()?;
        let first = self.peek().clone();
        let statement = if first.is_keyword("EXPLAIN") {
            self.advance();
            let analyze = self.eat_keyword("ANALYZE");
            let statement = self.statement()?;
            Statement::Explain {
                analyze,
                span: first.span.union(statement.span()),
                statement: Box::new(statement),
            }
        } else if (first.is_keyword("CREATE") || first.is_keyword("DROP"))
            && !self.peek_nth(1).is_keyword("TABLE")
        {
            return Err(self.other_statement(&first));
        } else if first.is_keyword("CREATE") {
            self.create()?
        } else if first.is_keyword("INSERT") {
            self.insert()?
        } else if first.is_keyword("DROP") {
            self.drop()?
        } else if first.is_keyword("SELECT")
            || first.is_keyword("WITH")
            || first.is_keyword("VALUES")
            || first.is_symbol("(")
        {
            Statement::Query(Box::new(self.query()?))
        } else if first.kind == TokenKind::Word
            && OTHER_STATEMENTS.iter().any(|k| first.is_keyword(k))
        {
            return Err(self.other_statement(&first));
        } else {
            return Err(self.expected("an SQL statement"));
        };
        self.leave(guard);
        Ok(statement)
    }

    /// "the statement UPDATE t is not supported here", named by its first two words.
    fn other_statement(&self, first: &Token) -> SqlError {
        let words: Vec<String> = self.tokens[self.at..]
            .iter()
            .take_while(|t| t.kind != TokenKind::Eof && !t.is_symbol(";"))
            .take(2)
            .enumerate()
            .map(|(i, t)| {
                let keyword = t.kind == TokenKind::Word
                    && (i == 0
                        || is_reserved(&t.text)
                        || OBJECT_KINDS.iter().any(|k| t.is_keyword(k)));
                if keyword {
                    t.text.to_ascii_uppercase()
                } else {
                    t.describe()
                }
            })
            .collect();
        self.refuse_at(refuse::statement(&words.join(" ")), first)
    }

    /// `CREATE TABLE ...`, at CREATE.
    fn create(&mut self) -> Result<Statement, SqlError> {
        let create = self.advance();
        self.advance();
        if self.peek_keywords(&["IF", "NOT", "EXISTS"]) {
            return Err(self.refuse_at(refuse::create_if_not_exists(), self.peek()));
        }
        let name = self.object_name()?;
        if self.eat_keyword("AS") {
            let query = self.query()?;
            return Ok(Statement::CreateTable(CreateTable {
                span: create.span.union(query.span),
                name,
                columns: Vec::new(),
                query: Some(Box::new(query)),
            }));
        }
        self.expect_symbol("(")?;
        let mut columns = Vec::new();
        loop {
            let column = self.ident()?;
            let data_type = self.data_type()?;
            if self.peek().kind == TokenKind::Word {
                return Err(self.refuse_at(refuse::column_constraints(), self.peek()));
            }
            columns.push(ColumnDef {
                name: column,
                data_type,
            });
            if !self.eat_symbol(",") {
                break;
            }
        }
        let close = self.expect_symbol(")")?;
        Ok(Statement::CreateTable(CreateTable {
            span: create.span.union(close.span),
            name,
            columns,
            query: None,
        }))
    }

    fn insert(&mut self) -> Result<Statement, SqlError> {
        let insert = self.advance();
        self.expect_keyword("INTO")?;
        let table = self.object_name()?;
        let mut columns = Vec::new();
        let columns_follow = self.peek().is_symbol("(")
            && !(self.peek_nth(1).is_keyword("SELECT") || self.peek_nth(1).is_keyword("WITH"));
        if columns_follow {
            self.advance();
            columns = self.ident_list()?;
            self.expect_symbol(")")?;
        }
        let source = self.query()?;
        Ok(Statement::Insert(Insert {
            span: insert.span.union(source.span),
            table,
            columns,
            source: Box::new(source),
        }))
    }

    /// `DROP TABLE ...`, at DROP.
    fn drop(&mut self) -> Result<Statement, SqlError> {
        let drop = self.advance();
        self.advance();
        let if_exists = self.eat_keywords(&["IF", "EXISTS"]);
        let mut names = vec![self.object_name()?];
        while self.eat_symbol(",") {
            names.push(self.object_name()?);
        }
        if self.peek_keyword("CASCADE") || self.peek_keyword("RESTRICT") {
            return Err(self.refuse_at(
                SqlError::unsupported("DROP TABLE ... CASCADE or RESTRICT"),
                self.peek(),
            ));
        }
        let last = names.last().map_or(drop.span, ObjectName::span);
        Ok(Statement::Drop {
            if_exists,
            names,
            span: drop.span.union(last),
        })
    }

    // ---- names --------------------------------------------------------------------------

    /// A name: an unquoted word that is not a reserved keyword, or a quoted one.
    pub fn ident(&mut self) -> Result<Ident, SqlError> {
        let t = self.peek().clone();
        match t.kind {
            TokenKind::QuotedIdent => {
                self.advance();
                Ok(Ident {
                    value: t.text,
                    quote_style: Some('"'),
                    span: t.span,
                })
            }
            TokenKind::Word if !is_reserved_in_expr(&t.text) => {
                self.advance();
                Ok(Ident {
                    value: t.text,
                    quote_style: None,
                    span: t.span,
                })
            }
            _ => Err(self.expected("identifier")),
        }
    }

    /// `a, b, c`
    pub fn ident_list(&mut self) -> Result<Vec<Ident>, SqlError> {
        let mut out = vec![self.ident()?];
        while self.eat_symbol(",") {
            out.push(self.ident()?);
        }
        Ok(out)
    }

    /// `t` or `s.t`.
    pub fn object_name(&mut self) -> Result<ObjectName, SqlError> {
        let mut parts = vec![self.ident()?];
        while self.peek().is_symbol(".") {
            self.advance();
            parts.push(self.ident()?);
        }
        Ok(ObjectName(parts))
    }
}

/// Keywords that cannot be a name unquoted anywhere: they start or end a clause, or are part
/// of an expression's syntax.
const RESERVED_IN_EXPR: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "DESC",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "FALSE",
    "FETCH",
    "FOR",
    "FROM",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OVER",
    "QUALIFY",
    "SELECT",
    "THEN",
    "TRUE",
    "UNION",
    "USING",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Keywords that cannot be an alias written without AS: read as one, they would swallow the
/// clause they start (`FROM t LEFT JOIN u`, `FROM t OFFSET 5`). They can name a column
/// (`SELECT offset FROM topic`).
const RESERVED_AS_ALIAS: &[&str] = &[
    "ANTI",
    "APPLY",
    "ASOF",
    "CROSS",
    "FILTER",
    "FULL",
    "INNER",
    "LEFT",
    "MATCH_CONDITION",
    "MINUS",
    "NATURAL",
    "OFFSET",
    "OUTER",
    "RIGHT",
    "SEMI",
    "STRAIGHT_JOIN",
    "VALUES",
    "LATERAL",
    "ARRAY",
];

/// Whether `word` cannot be a name in an expression or after a table's dot.
pub fn is_reserved_in_expr(word: &str) -> bool {
    RESERVED_IN_EXPR
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether `word` cannot be an alias written without AS.
pub fn is_reserved(word: &str) -> bool {
    is_reserved_in_expr(word)
        || RESERVED_AS_ALIAS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(word))
}

/// An error position from a token's start (the end token's is just past the text).
pub fn location_position(at: Location) -> Option<Position> {
    Some(Position {
        line: at.line as usize,
        column: at.column as usize,
    })
}
