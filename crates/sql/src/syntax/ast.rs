//! The syntax tree of the SQL the lab runs: statements, queries and expressions as written, each
//! node with the span of text it came from (for the caret under an error).
//!
//! It holds only what the engine runs. Syntax a learner may type but the engine does not run
//! (DISTINCT ON, ROLLUP, FETCH, a named WINDOW, ...) is refused by the parser with an
//! "is not supported" error at its position, so it never reaches the binder. Node and field names
//! follow the `sqlparser` crate's, which the parser's differential test compares against.

use super::span::Span;

/// A whole statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Query(Box<Query>),
    /// `EXPLAIN [ANALYZE] statement`.
    Explain {
        analyze: bool,
        statement: Box<Statement>,
        span: Span,
    },
    /// `CREATE TABLE name (columns)` or `CREATE TABLE name AS query`.
    CreateTable(CreateTable),
    /// `INSERT INTO name [(columns)] query`.
    Insert(Insert),
    /// `DROP TABLE [IF EXISTS] a, b`.
    Drop {
        if_exists: bool,
        names: Vec<ObjectName>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    pub name: ObjectName,
    pub columns: Vec<ColumnDef>,
    pub query: Option<Box<Query>>,
    pub span: Span,
}

/// A column of `CREATE TABLE`: its name and type.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    pub name: Ident,
    pub data_type: DataType,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    pub table: ObjectName,
    pub columns: Vec<Ident>,
    pub source: Box<Query>,
    pub span: Span,
}

/// `[WITH ...] body [ORDER BY ...] [LIMIT ...] [OFFSET ...]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub with: Option<With>,
    pub body: Box<SetExpr>,
    pub order_by: Vec<OrderByExpr>,
    pub limit_clause: Option<LimitClause>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct With {
    pub recursive: bool,
    pub cte_tables: Vec<Cte>,
}

/// `name [(columns)] AS (query)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cte {
    pub alias: TableAlias,
    pub query: Box<Query>,
}

/// `LIMIT n [OFFSET m]`, `OFFSET m` alone, or MySQL's `LIMIT m, n`.
#[derive(Clone, Debug, PartialEq)]
pub enum LimitClause {
    LimitOffset {
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
    OffsetCommaLimit {
        offset: Expr,
        limit: Expr,
    },
}

/// A query body: a SELECT, a parenthesized query, VALUES, or a set operation.
#[derive(Clone, Debug, PartialEq)]
pub enum SetExpr {
    Select(Box<Select>),
    Query(Box<Query>),
    Values(Values),
    SetOperation {
        op: SetOperator,
        all: bool,
        left: Box<SetExpr>,
        right: Box<SetExpr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOperator {
    Union,
    Intersect,
    /// EXCEPT (and Oracle's MINUS).
    Except,
}

/// `VALUES (a, b), (c, d)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Values {
    pub rows: Vec<ValuesRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValuesRow {
    pub content: Vec<Expr>,
    /// The row's opening parenthesis to its closing one.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub projection: Vec<SelectItem>,
    pub from: Vec<TableWithJoins>,
    pub selection: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    /// The SELECT keyword.
    pub select_span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    UnnamedExpr(Expr),
    ExprWithAlias {
        expr: Expr,
        alias: Ident,
    },
    /// `t.*`
    QualifiedWildcard(ObjectName),
    /// `*`
    Wildcard(Span),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableWithJoins {
    pub relation: TableFactor,
    pub joins: Vec<Join>,
}

/// One item of FROM.
#[derive(Clone, Debug, PartialEq)]
pub enum TableFactor {
    /// A table by name, or a table function such as `TUMBLE(t, ts, INTERVAL '10' SECOND)`
    /// (`args` is `Some`).
    Table {
        name: ObjectName,
        args: Option<Vec<FunctionArg>>,
        alias: Option<TableAlias>,
    },
    /// `(query) [AS] alias`
    Derived {
        subquery: Box<Query>,
        alias: Option<TableAlias>,
        span: Span,
    },
    /// `(a JOIN b ...) [AS alias]`
    NestedJoin {
        table_with_joins: Box<TableWithJoins>,
        alias: Option<TableAlias>,
        span: Span,
    },
}

/// `[AS] name [(columns)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TableAlias {
    pub name: Ident,
    pub columns: Vec<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    pub relation: TableFactor,
    pub join_operator: JoinOperator,
}

/// The join kinds the engine runs. `JOIN` is `Inner`, `LEFT [OUTER] JOIN` is `Left`, and so on;
/// DuckDB's `ASOF [LEFT] JOIN` and `SEMI JOIN` are `AsOf` and `Semi`.
#[derive(Clone, Debug, PartialEq)]
pub enum JoinOperator {
    Inner(JoinConstraint),
    Left(JoinConstraint),
    Right(JoinConstraint),
    FullOuter(JoinConstraint),
    CrossJoin,
    Semi(JoinConstraint),
    AsOf {
        left: bool,
        constraint: JoinConstraint,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum JoinConstraint {
    On(Expr),
    Using(Vec<Ident>),
    Natural,
    None,
}

/// `expr [ASC | DESC] [NULLS FIRST | NULLS LAST]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderByExpr {
    pub expr: Expr,
    /// `Some(true)` for ASC, `Some(false)` for DESC, `None` when not written.
    pub asc: Option<bool>,
    pub nulls_first: Option<bool>,
}

/// An identifier; `quote_style` is `Some('"')` when it was written quoted (its case then kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub value: String,
    pub quote_style: Option<char>,
    pub span: Span,
}

impl Ident {
    /// An unquoted identifier with no place in a text (made by a rewrite, not parsed).
    pub fn new(value: impl Into<String>) -> Ident {
        Ident {
            value: value.into(),
            quote_style: None,
            span: Span::empty(),
        }
    }
}

/// A possibly qualified name: `t`, `s.t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectName(pub Vec<Ident>);

/// A literal as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A numeric literal's text (`42`, `1.5`, `1e3`).
    Number(String),
    SingleQuotedString(String),
    /// PostgreSQL's `E'...'`, its escapes already resolved.
    EscapedStringLiteral(String),
    Boolean(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueWithSpan {
    pub value: Value,
    pub span: Span,
}

/// A type name as written, upper-cased with single spaces (`DOUBLE PRECISION`), with its
/// parenthesized arguments (`VARCHAR(20)`, `DECIMAL(10, 2)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataType {
    pub name: String,
    pub args: Vec<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOperator {
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
    /// `||`
    StringConcat,
    Gt,
    Lt,
    GtEq,
    LtEq,
    Eq,
    NotEq,
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOperator {
    Plus,
    Minus,
    Not,
}

/// How a cast was written: `CAST(x AS t)`, `TRY_CAST(x AS t)` or `x::t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CastKind {
    Cast,
    TryCast,
    DoubleColon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimWhereField {
    Both,
    Leading,
    Trailing,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Identifier(Ident),
    /// `t.c`
    CompoundIdentifier(Vec<Ident>),
    Value(ValueWithSpan),
    BinaryOp {
        left: Box<Expr>,
        op: BinaryOperator,
        right: Box<Expr>,
    },
    UnaryOp {
        op: UnaryOperator,
        expr: Box<Expr>,
        /// The operator's own position.
        span: Span,
    },
    /// `(expr)`
    Nested(Box<Expr>),
    Cast {
        kind: CastKind,
        expr: Box<Expr>,
        data_type: DataType,
        span: Span,
    },
    IsNull(Box<Expr>),
    IsNotNull(Box<Expr>),
    IsTrue(Box<Expr>),
    IsNotTrue(Box<Expr>),
    IsFalse(Box<Expr>),
    IsNotFalse(Box<Expr>),
    IsDistinctFrom(Box<Expr>, Box<Expr>),
    IsNotDistinctFrom(Box<Expr>, Box<Expr>),
    Between {
        expr: Box<Expr>,
        negated: bool,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    InSubquery {
        expr: Box<Expr>,
        subquery: Box<Query>,
        negated: bool,
    },
    Exists {
        subquery: Box<Query>,
        negated: bool,
        span: Span,
    },
    /// A scalar subquery `(SELECT ...)`.
    Subquery(Box<Query>, Span),
    /// `LIKE` (`case_insensitive: false`) and `ILIKE`.
    Like {
        case_insensitive: bool,
        negated: bool,
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape_char: Option<Box<Expr>>,
    },
    Case {
        operand: Option<Box<Expr>>,
        conditions: Vec<CaseWhen>,
        else_result: Option<Box<Expr>>,
        span: Span,
    },
    Function(Function),
    /// `EXTRACT(field FROM expr)`; `field` as written, lower-cased.
    Extract {
        field: String,
        expr: Box<Expr>,
        span: Span,
    },
    /// `SUBSTRING(expr FROM a FOR b)` and `SUBSTRING(expr, a, b)`.
    Substring {
        expr: Box<Expr>,
        substring_from: Option<Box<Expr>>,
        substring_for: Option<Box<Expr>>,
        /// Written with commas rather than FROM/FOR.
        special: bool,
        span: Span,
    },
    /// `TRIM([BOTH | LEADING | TRAILING] [what FROM] expr)`.
    Trim {
        expr: Box<Expr>,
        trim_where: Option<TrimWhereField>,
        trim_what: Option<Box<Expr>>,
        span: Span,
    },
    /// `POSITION(expr IN in)`.
    Position {
        expr: Box<Expr>,
        r#in: Box<Expr>,
        span: Span,
    },
    Ceil {
        expr: Box<Expr>,
        span: Span,
    },
    Floor {
        expr: Box<Expr>,
        span: Span,
    },
    /// `INTERVAL '2' HOUR`, `INTERVAL '5 minutes'`.
    Interval {
        value: Box<Expr>,
        /// The unit after the text (`HOUR`), upper-cased.
        leading_field: Option<String>,
        span: Span,
    },
    /// `DATE '2024-01-15'`, `TIMESTAMP '...'`.
    TypedString {
        data_type: DataType,
        value: ValueWithSpan,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseWhen {
    pub condition: Expr,
    pub result: Expr,
}

/// A function call: `name([DISTINCT] args) [FILTER (WHERE ...)] [OVER (...)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: ObjectName,
    /// `None` for a call written without parentheses (`current_date`).
    pub args: Option<Vec<FunctionArg>>,
    pub distinct: bool,
    pub filter: Option<Box<Expr>>,
    pub over: Option<WindowSpec>,
    /// The name to the closing parenthesis (of OVER, when there is one).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FunctionArg {
    Expr(Expr),
    /// `*` as in `count(*)`.
    Wildcard(Span),
}

/// `OVER (PARTITION BY ... ORDER BY ... frame)`.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowSpec {
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<OrderByExpr>,
    pub window_frame: Option<WindowFrame>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WindowFrame {
    pub units: WindowFrameUnits,
    pub start_bound: WindowFrameBound,
    /// `None` when the frame was written without BETWEEN (it ends at the current row).
    pub end_bound: Option<WindowFrameBound>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowFrameUnits {
    Rows,
    Range,
}

/// `CURRENT ROW`, `n PRECEDING`, `UNBOUNDED PRECEDING` (`None`), and the FOLLOWING pair.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowFrameBound {
    CurrentRow,
    Preceding(Option<Box<Expr>>),
    Following(Option<Box<Expr>>),
}
