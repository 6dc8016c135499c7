//! Random differential testing of the SQL engine against DuckDB and SQLite (docs/testing.md,
//! "SQL: differential runs"), and a fuzz run over mutated queries.
//!
//! `random_queries_match_duckdb_and_sqlite`: a seeded generator makes "worlds" of three small
//! tables (BIGINT, DOUBLE and TEXT columns over small domains with about 20% NULLs, loaded with
//! CREATE TABLE and INSERT in all three engines) and, per world, queries from a grammar restricted
//! to what the engine supports: projections of columns and expressions, joins (inner, outer,
//! cross, comma, ON and USING), derived tables and CTEs, WHERE with comparisons, BETWEEN, IN
//! lists and subqueries, EXISTS, LIKE/ILIKE, IS [NOT] NULL, IS [NOT] DISTINCT FROM and AND/OR/NOT,
//! GROUP BY with count/sum/min/max/avg/count(DISTINCT) and HAVING, CASE, scalar functions,
//! window functions (ranking, lag/lead, first_value, aggregates with ROWS frames), set
//! operations, DISTINCT, and ORDER BY over every output column with explicit NULLS FIRST/LAST
//! plus LIMIT/OFFSET (so the order is total). Our engine runs in-process; every world and query
//! goes in one batch to `tests/oracles/sql_oracle.py` (one process), which runs them on DuckDB
//! (PyPI `duckdb`, pinned in tests/oracles/requirements.txt) and SQLite (Python's `sqlite3`).
//! Results are compared after the normalization of docs/testing.md: booleans as 0/1, numbers of either type by
//! value with a 1e-9 relative tolerance, rows as multisets unless the query orders them totally.
//! The generator steers clear of the documented semantic differences instead of excusing them:
//! integer `/` is rendered as DuckDB's `//` (which truncates like ours and SQLite's `/`), data and
//! LIKE patterns make case matter only where all three agree (SQLite runs with
//! `case_sensitive_like`), NULL placement is always explicit, and constructs SQLite lacks or
//! treats differently (greatest/least, INTERSECT/EXCEPT ALL) are compared with DuckDB only.
//! Every mismatch is shrunk (clauses, items, joins and sub-expressions dropped greedily while it
//! still mismatches) and printed with the seed, the world's tables and both results.
//!
//! `mutated_queries_never_panic`: thousands of generated queries mutated token by token (deleted,
//! duplicated, swapped, replaced by keywords and odd literals, random characters, truncation,
//! splices, moderate nesting) must each return rows or an error, never panic.
//!
//! `deep_nesting_never_overflows_the_stack`: very deep expressions and subqueries must be refused
//! or answered without overflowing the stack; each case runs in a child process, so an overflow
//! (which aborts, and cannot be caught) fails that case only.
//!
//! Environment: `FLOWLAB_SQL_SEED` (run another seed), `FLOWLAB_SQL_QUERIES` (queries per run),
//! `FLOWLAB_SQL_SHRINK` (how many mismatches to shrink and print in full),
//! `FLOWLAB_PYTHON` (a Python with the oracles' packages; scripts/test.sh sets it).

mod common;
use common::oracle::Oracle;
use serde_json::{json, Value as Json};
use sim::rng::{Rng, Seed};
use sql::exec::Limits;
use sql::{Outcome, Session, Value};
use std::cmp::Ordering;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::time::Instant;

/// The seed of a run unless `FLOWLAB_SQL_SEED` names another.
const DEFAULT_SEED: u64 = 20_260_501;
/// Queries per run unless `FLOWLAB_SQL_QUERIES` says otherwise (the issue asks for 5,000+).
const DEFAULT_QUERIES: usize = 5_500;
/// Queries per world (one set of random tables).
const QUERIES_PER_WORLD: usize = 110;
/// Mismatches shrunk and printed in full; the others are listed by query.
const SHRUNK_MAX: usize = 6;
/// Mutated inputs in the fuzz run.
const FUZZ_INPUTS: usize = 6_000;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

// ---------------------------------------------------------------------------------------------
// Schema and data
// ---------------------------------------------------------------------------------------------

/// The type of a generated expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Dbl,
    Text,
    Bool,
}

impl Ty {
    fn sql(self) -> &'static str {
        match self {
            Ty::Int => "BIGINT",
            Ty::Dbl => "DOUBLE",
            Ty::Text => "TEXT",
            Ty::Bool => "BOOLEAN",
        }
    }
}

struct TableDef {
    name: &'static str,
    cols: &'static [(&'static str, Ty)],
}

/// Every world has these tables; `id` is unique and never NULL, so it can make an order total.
const TABLES: [TableDef; 3] = [
    TableDef {
        name: "t0",
        cols: &[
            ("id", Ty::Int),
            ("i0", Ty::Int),
            ("i1", Ty::Int),
            ("d0", Ty::Dbl),
            ("d1", Ty::Dbl),
            ("s0", Ty::Text),
        ],
    },
    TableDef {
        name: "t1",
        cols: &[
            ("id", Ty::Int),
            ("i0", Ty::Int),
            ("i1", Ty::Int),
            ("d0", Ty::Dbl),
            ("s0", Ty::Text),
            ("s1", Ty::Text),
        ],
    },
    TableDef {
        name: "t2",
        cols: &[
            ("id", Ty::Int),
            ("i0", Ty::Int),
            ("d0", Ty::Dbl),
            ("s0", Ty::Text),
        ],
    },
];

/// Doubles are dyadic, so sums are exact whatever the order of addition.
const DOUBLES: [&str; 9] = [
    "-1.5", "-0.25", "0.0", "0.5", "1.0", "1.75", "2.5", "3.0", "4.25",
];
/// Lower-case text only: SQLite's LIKE and ours then agree (docs/testing.md).
const TEXTS: [&str; 11] = [
    "", "a", "ab", "abc", "b", "ba", "bab", "c", "a_c", "x%y", "aa",
];
const LIKE_PATTERNS: [&str; 14] = [
    "%", "a%", "%b", "_", "__", "%a%", "a_", "ab%", "%_c", "b%b", "A%", "%B%", "x%", "",
];

/// One world: the statements that create and fill its tables.
#[derive(Clone, Debug)]
struct World {
    setup: Vec<String>,
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn random_world(rng: &mut Rng) -> World {
    let int_hi = [3, 5, 8][rng.below(3) as usize] as u64;
    let text_n = [4, 7, TEXTS.len()][rng.below(3) as usize];
    let null_permille = [100, 200, 300][rng.below(3) as usize];
    let mut setup = Vec::new();
    for t in &TABLES {
        let cols: Vec<String> = t
            .cols
            .iter()
            .map(|(n, ty)| format!("{n} {}", ty.sql()))
            .collect();
        setup.push(format!("CREATE TABLE {} ({})", t.name, cols.join(", ")));
        let rows = if rng.chance_permille(60) {
            0
        } else {
            1 + rng.below(12)
        };
        let mut tuples = Vec::new();
        for id in 1..=rows {
            let mut values = vec![id.to_string()];
            for (_, ty) in &t.cols[1..] {
                if rng.chance_permille(null_permille) {
                    values.push("NULL".into());
                    continue;
                }
                values.push(match ty {
                    Ty::Int => (rng.below(int_hi + 3) as i64 - 2).to_string(),
                    Ty::Dbl => DOUBLES[rng.below(DOUBLES.len() as u64) as usize].to_string(),
                    _ => sql_quote(TEXTS[rng.below(text_n as u64) as usize]),
                });
            }
            tuples.push(format!("({})", values.join(", ")));
        }
        if !tuples.is_empty() {
            setup.push(format!(
                "INSERT INTO {} VALUES {}",
                t.name,
                tuples.join(", ")
            ));
        }
    }
    World { setup }
}

/// A session holding the world's tables, made by the same SQL the oracles run.
fn world_session(world: &World) -> Session {
    let mut session = Session::new();
    for statement in &world.setup {
        if let Err(e) = session.execute(statement) {
            panic!("our engine refused the world's setup: {e}\n{statement}");
        }
    }
    session
}

// ---------------------------------------------------------------------------------------------
// Queries as trees, so they can be rendered per dialect and shrunk
// ---------------------------------------------------------------------------------------------

/// Who a query is rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Ours,
    Duck,
    Lite,
}

#[derive(Clone, Debug)]
enum Expr {
    /// A qualified column, `a0.i0`.
    Col(String, Ty),
    /// A literal as written (negative numbers in parentheses).
    Lit(String, Ty),
    Neg(Box<Expr>),
    /// `+`, `-`, `*` (numbers) with the result type.
    Arith(Box<Expr>, &'static str, Box<Expr>, Ty),
    /// Integer division by a non-zero constant: `/` here and in SQLite, `//` in DuckDB.
    IntDiv(Box<Expr>, i64),
    /// Division of a double by a non-zero double constant.
    DblDiv(Box<Expr>, &'static str),
    Mod(Box<Expr>, i64),
    /// `a || b` on text.
    Concat(Box<Expr>, Box<Expr>),
    /// `concat(a, b)`: NULLs count as ''. SQLite 3.40 lacks it: rendered with coalesce there.
    ConcatFn(Vec<Expr>),
    /// A function spelled alike everywhere.
    Func(&'static str, Vec<Expr>, Ty),
    /// greatest/least: SQLite has no such functions (its two-argument max/min return NULL on
    /// any NULL), so these queries are compared with DuckDB only.
    Extreme(&'static str, Vec<Expr>, Ty),
    Case(Vec<(Expr, Expr)>, Option<Box<Expr>>, Ty),
    Cast(Box<Expr>, Ty),
    Cmp(Box<Expr>, &'static str, Box<Expr>),
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    InList(Box<Expr>, Vec<Expr>, bool),
    InSub(Box<Expr>, Box<Query>, bool),
    Exists(Box<Query>, bool),
    /// A scalar subquery (always one row: an aggregate without GROUP BY).
    Scalar(Box<Query>, Ty),
    /// `x [NOT] LIKE|ILIKE 'pattern'`; SQLite has no ILIKE: `lower(x) LIKE lower(pattern)`.
    Like(Box<Expr>, &'static str, bool, bool),
    IsNull(Box<Expr>, bool),
    Distinct(Box<Expr>, Box<Expr>, bool),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// An aggregate: `count(*)` when the argument is absent; DISTINCT flag; FILTER (WHERE ...).
    Agg(&'static str, Option<Box<Expr>>, bool, Ty, Option<Box<Expr>>),
    Window(Box<Window>),
}

#[derive(Clone, Debug)]
struct Window {
    func: &'static str,
    args: Vec<Expr>,
    partition: Vec<Expr>,
    /// (key, descending, nulls first)
    order: Vec<(Expr, bool, bool)>,
    frame: Option<&'static str>,
    ty: Ty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
    Comma,
}

#[derive(Clone, Debug)]
enum JoinCond {
    On(Expr),
    Using(&'static str),
    None,
}

#[derive(Clone, Debug)]
enum Source {
    Table(&'static str),
    /// A derived table; `true`: written as a CTE.
    Derived(Box<Query>, bool),
}

#[derive(Clone, Debug)]
struct FromItem {
    source: Source,
    alias: String,
    join: Option<(JoinKind, JoinCond)>,
}

/// ORDER BY every output column by position, plus LIMIT/OFFSET.
#[derive(Clone, Debug)]
struct OrderBy {
    /// (descending, nulls first), one per output column
    keys: Vec<(bool, bool)>,
    limit: Option<u64>,
    offset: Option<u64>,
}

#[derive(Clone, Debug)]
struct Select {
    distinct: bool,
    items: Vec<Expr>,
    from: Vec<FromItem>,
    filter: Option<Expr>,
    group_by: Vec<Expr>,
    /// Write a GROUP BY key as the position of the identical output column when there is one.
    group_by_position: bool,
    having: Option<Expr>,
    order: Option<OrderBy>,
}

#[derive(Clone, Debug)]
enum Query {
    Select(Select),
    SetOp {
        left: Box<Query>,
        op: &'static str,
        all: bool,
        right: Box<Query>,
        order: Option<OrderBy>,
    },
}

impl Expr {
    fn ty(&self) -> Ty {
        match self {
            Expr::Col(_, t) | Expr::Lit(_, t) => *t,
            Expr::Neg(e) => e.ty(),
            Expr::Arith(_, _, _, t)
            | Expr::Func(_, _, t)
            | Expr::Extreme(_, _, t)
            | Expr::Case(_, _, t)
            | Expr::Cast(_, t)
            | Expr::Scalar(_, t)
            | Expr::Agg(_, _, _, t, _) => *t,
            Expr::IntDiv(..) | Expr::Mod(..) => Ty::Int,
            Expr::DblDiv(..) => Ty::Dbl,
            Expr::Concat(..) | Expr::ConcatFn(_) => Ty::Text,
            Expr::Window(w) => w.ty,
            Expr::Cmp(..)
            | Expr::Between(..)
            | Expr::InList(..)
            | Expr::InSub(..)
            | Expr::Exists(..)
            | Expr::Like(..)
            | Expr::IsNull(..)
            | Expr::Distinct(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::Not(_) => Ty::Bool,
        }
    }

    fn is_leaf(&self) -> bool {
        matches!(self, Expr::Col(..) | Expr::Lit(..))
    }

    /// The direct sub-expressions (not those inside subqueries).
    fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Col(..) | Expr::Lit(..) | Expr::Exists(..) | Expr::Scalar(..) => vec![],
            Expr::Neg(e)
            | Expr::IntDiv(e, _)
            | Expr::DblDiv(e, _)
            | Expr::Mod(e, _)
            | Expr::Cast(e, _)
            | Expr::Like(e, ..)
            | Expr::IsNull(e, _)
            | Expr::Not(e)
            | Expr::InSub(e, ..) => vec![e.as_mut()],
            Expr::Arith(a, _, b, _)
            | Expr::Concat(a, b)
            | Expr::Cmp(a, _, b)
            | Expr::Distinct(a, b, _)
            | Expr::And(a, b)
            | Expr::Or(a, b) => vec![a.as_mut(), b.as_mut()],
            Expr::ConcatFn(args) | Expr::Func(_, args, _) | Expr::Extreme(_, args, _) => {
                args.iter_mut().collect()
            }
            Expr::Case(whens, otherwise, _) => {
                let mut out = Vec::new();
                for (c, v) in whens.iter_mut() {
                    out.push(c);
                    out.push(v);
                }
                if let Some(e) = otherwise {
                    out.push(e.as_mut());
                }
                out
            }
            Expr::Between(a, b, c, _) => vec![a.as_mut(), b.as_mut(), c.as_mut()],
            Expr::InList(e, list, _) => {
                let mut out = vec![e.as_mut()];
                out.extend(list.iter_mut());
                out
            }
            Expr::Agg(_, arg, _, _, filter) => arg
                .iter_mut()
                .chain(filter.iter_mut())
                .map(|b| b.as_mut())
                .collect(),
            Expr::Window(w) => {
                let mut out: Vec<&mut Expr> = w.args.iter_mut().collect();
                out.extend(w.partition.iter_mut());
                out.extend(w.order.iter_mut().map(|(e, _, _)| e));
                out
            }
        }
    }

    fn subquery_mut(&mut self) -> Option<&mut Query> {
        match self {
            Expr::InSub(_, q, _) | Expr::Exists(q, _) | Expr::Scalar(q, _) => Some(q.as_mut()),
            _ => None,
        }
    }

    fn has_window(&self) -> bool {
        matches!(self, Expr::Window(_))
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

struct Render {
    dialect: Dialect,
    /// False once the query uses something SQLite lacks or treats differently.
    lite_ok: bool,
    out: String,
}

impl Render {
    fn new(dialect: Dialect) -> Render {
        Render {
            dialect,
            lite_ok: true,
            out: String::new(),
        }
    }

    fn s(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn list(&mut self, items: &[Expr]) {
        for (i, e) in items.iter().enumerate() {
            if i > 0 {
                self.s(", ");
            }
            self.expr(e);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            // DuckDB reads 0.5 as a DECIMAL, whose rounding then differs from a double's.
            Expr::Lit(text, Ty::Dbl) if self.dialect == Dialect::Duck && !text.contains("NULL") => {
                self.s(&format!("CAST({text} AS DOUBLE)"))
            }
            Expr::Col(name, _) | Expr::Lit(name, _) => self.s(name),
            Expr::Neg(x) => {
                self.s("(- ");
                self.expr(x);
                self.s(")");
            }
            Expr::Arith(a, op, b, _) => self.binary(a, op, b),
            Expr::IntDiv(a, k) => {
                self.s("(");
                self.expr(a);
                self.s(if self.dialect == Dialect::Duck {
                    " // "
                } else {
                    " / "
                });
                self.s(&k.to_string());
                self.s(")");
            }
            Expr::DblDiv(a, k) => {
                self.s("(");
                self.expr(a);
                self.s(" / ");
                self.expr(&Expr::Lit(k.to_string(), Ty::Dbl));
                self.s(")");
            }
            Expr::Mod(a, k) => {
                self.s("(");
                self.expr(a);
                self.s(&format!(" % {k})"));
            }
            Expr::Concat(a, b) => self.binary(a, "||", b),
            Expr::ConcatFn(args) => {
                if self.dialect == Dialect::Lite {
                    self.s("(");
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            self.s(" || ");
                        }
                        self.s("coalesce(");
                        self.expr(a);
                        self.s(", '')");
                    }
                    self.s(")");
                } else {
                    self.s("concat(");
                    self.list(args);
                    self.s(")");
                }
            }
            Expr::Func(name, args, _) => {
                self.s(name);
                self.s("(");
                self.list(args);
                self.s(")");
            }
            Expr::Extreme(name, args, _) => {
                self.lite_ok = false;
                self.s(name);
                self.s("(");
                self.list(args);
                self.s(")");
            }
            Expr::Case(whens, otherwise, _) => {
                self.s("CASE");
                for (c, v) in whens {
                    self.s(" WHEN ");
                    self.expr(c);
                    self.s(" THEN ");
                    self.expr(v);
                }
                if let Some(e) = otherwise {
                    self.s(" ELSE ");
                    self.expr(e);
                }
                self.s(" END");
            }
            Expr::Cast(x, ty) => {
                self.s("CAST(");
                self.expr(x);
                self.s(" AS ");
                self.s(ty.sql());
                self.s(")");
            }
            Expr::Cmp(a, op, b) => self.binary(a, op, b),
            Expr::Between(x, lo, hi, not) => {
                self.s("(");
                self.expr(x);
                self.s(if *not { " NOT BETWEEN " } else { " BETWEEN " });
                self.expr(lo);
                self.s(" AND ");
                self.expr(hi);
                self.s(")");
            }
            Expr::InList(x, list, not) => {
                self.s("(");
                self.expr(x);
                self.s(if *not { " NOT IN (" } else { " IN (" });
                self.list(list);
                self.s("))");
            }
            Expr::InSub(x, q, not) => {
                self.s("(");
                self.expr(x);
                self.s(if *not { " NOT IN (" } else { " IN (" });
                self.query(q);
                self.s("))");
            }
            Expr::Exists(q, not) => {
                self.s(if *not { "(NOT EXISTS (" } else { "(EXISTS (" });
                self.query(q);
                self.s("))");
            }
            Expr::Scalar(q, _) => {
                self.s("(");
                self.query(q);
                self.s(")");
            }
            Expr::Like(x, pattern, not, ilike) => {
                self.s("(");
                let lower = *ilike && self.dialect == Dialect::Lite;
                if lower {
                    self.s("lower(");
                    self.expr(x);
                    self.s(")");
                } else {
                    self.expr(x);
                }
                self.s(if *not { " NOT" } else { "" });
                self.s(if *ilike && !lower {
                    " ILIKE "
                } else {
                    " LIKE "
                });
                if lower {
                    self.s(&format!("lower({})", sql_quote(pattern)));
                } else {
                    self.s(&sql_quote(pattern));
                }
                self.s(")");
            }
            Expr::IsNull(x, not) => {
                self.s("(");
                self.expr(x);
                self.s(if *not { " IS NOT NULL)" } else { " IS NULL)" });
            }
            Expr::Distinct(a, b, not) => self.binary(
                a,
                if *not {
                    "IS NOT DISTINCT FROM"
                } else {
                    "IS DISTINCT FROM"
                },
                b,
            ),
            Expr::And(a, b) => self.binary(a, "AND", b),
            Expr::Or(a, b) => self.binary(a, "OR", b),
            Expr::Not(x) => {
                self.s("(NOT ");
                self.expr(x);
                self.s(")");
            }
            Expr::Agg(name, arg, distinct, _, filter) => {
                self.s(name);
                self.s("(");
                match arg {
                    None => self.s("*"),
                    Some(a) => {
                        if *distinct {
                            self.s("DISTINCT ");
                        }
                        self.expr(a);
                    }
                }
                self.s(")");
                if let Some(f) = filter {
                    self.s(" FILTER (WHERE ");
                    self.expr(f);
                    self.s(")");
                }
            }
            Expr::Window(w) => {
                self.s(w.func);
                self.s("(");
                self.list(&w.args);
                self.s(") OVER (");
                if !w.partition.is_empty() {
                    self.s("PARTITION BY ");
                    self.list(&w.partition);
                }
                if !w.order.is_empty() {
                    if !w.partition.is_empty() {
                        self.s(" ");
                    }
                    self.s("ORDER BY ");
                    for (i, (k, desc, nulls_first)) in w.order.iter().enumerate() {
                        if i > 0 {
                            self.s(", ");
                        }
                        self.expr(k);
                        self.s(direction(*desc, *nulls_first));
                    }
                }
                if let Some(frame) = w.frame {
                    self.s(" ");
                    self.s(frame);
                }
                self.s(")");
            }
        }
    }

    fn binary(&mut self, a: &Expr, op: &str, b: &Expr) {
        self.s("(");
        self.expr(a);
        self.s(" ");
        self.s(op);
        self.s(" ");
        self.expr(b);
        self.s(")");
    }

    fn order_by(&mut self, order: &OrderBy) {
        self.s(" ORDER BY ");
        for (i, (desc, nulls_first)) in order.keys.iter().enumerate() {
            if i > 0 {
                self.s(", ");
            }
            self.s(&(i + 1).to_string());
            self.s(direction(*desc, *nulls_first));
        }
        if let Some(n) = order.limit {
            self.s(&format!(" LIMIT {n}"));
        }
        if let Some(n) = order.offset {
            if order.limit.is_none() && self.dialect == Dialect::Lite {
                // SQLite needs a LIMIT before OFFSET.
                self.s(" LIMIT -1");
            }
            self.s(&format!(" OFFSET {n}"));
        }
    }

    fn select(&mut self, s: &Select) {
        let ctes: Vec<(&Query, &str)> = s
            .from
            .iter()
            .filter_map(|f| match &f.source {
                Source::Derived(q, true) => Some((q.as_ref(), f.alias.as_str())),
                _ => None,
            })
            .collect();
        if !ctes.is_empty() {
            self.s("WITH ");
            for (i, (q, alias)) in ctes.iter().enumerate() {
                if i > 0 {
                    self.s(", ");
                }
                self.s(&format!("w_{alias} AS ("));
                self.query(q);
                self.s(")");
            }
            self.s(" ");
        }
        self.s("SELECT ");
        if s.distinct {
            self.s("DISTINCT ");
        }
        let mut item_texts = Vec::new();
        for (i, e) in s.items.iter().enumerate() {
            if i > 0 {
                self.s(", ");
            }
            let start = self.out.len();
            self.expr(e);
            item_texts.push(self.out[start..].to_string());
            self.s(&format!(" AS c{i}"));
        }
        self.s(" FROM ");
        for (i, f) in s.from.iter().enumerate() {
            if let Some((kind, _)) = &f.join {
                // SQLite 3.40 loses rows in `a JOIN b ON FALSE RIGHT JOIN c ON TRUE` (DuckDB and
                // PostgreSQL keep c's rows): no RIGHT or FULL join after another join for it.
                if i > 1 && matches!(kind, JoinKind::Right | JoinKind::Full) {
                    self.lite_ok = false;
                }
                self.s(match kind {
                    JoinKind::Inner => " JOIN ",
                    JoinKind::Left => " LEFT JOIN ",
                    JoinKind::Right => " RIGHT JOIN ",
                    JoinKind::Full => " FULL JOIN ",
                    JoinKind::Cross => " CROSS JOIN ",
                    JoinKind::Comma => ", ",
                });
            } else if i > 0 {
                self.s(", ");
            }
            match &f.source {
                Source::Table(t) => self.s(t),
                Source::Derived(_, true) => self.s(&format!("w_{}", f.alias)),
                Source::Derived(q, false) => {
                    self.s("(");
                    self.query(q);
                    self.s(")");
                }
            }
            self.s(" AS ");
            self.s(&f.alias);
            match &f.join {
                Some((_, JoinCond::On(e))) => {
                    self.s(" ON ");
                    self.expr(e);
                }
                Some((_, JoinCond::Using(c))) => self.s(&format!(" USING ({c})")),
                _ => {}
            }
        }
        if let Some(w) = &s.filter {
            self.s(" WHERE ");
            self.expr(w);
        }
        if !s.group_by.is_empty() {
            self.s(" GROUP BY ");
            for (i, k) in s.group_by.iter().enumerate() {
                if i > 0 {
                    self.s(", ");
                }
                let mut key = Render::new(self.dialect);
                key.expr(k);
                self.lite_ok &= key.lite_ok;
                match item_texts.iter().position(|t| *t == key.out) {
                    Some(p) if s.group_by_position => self.s(&(p + 1).to_string()),
                    _ => self.s(&key.out),
                }
            }
        }
        if let Some(h) = &s.having {
            // SQLite refuses HAVING without GROUP BY on a query without aggregates.
            self.lite_ok &= !s.group_by.is_empty();
            self.s(" HAVING ");
            self.expr(h);
        }
        if let Some(o) = &s.order {
            self.order_by(o);
        }
    }

    fn query(&mut self, q: &Query) {
        match q {
            Query::Select(s) => self.select(s),
            Query::SetOp {
                left,
                op,
                all,
                right,
                order,
            } => {
                if *all && *op != "UNION" {
                    // SQLite has no INTERSECT ALL / EXCEPT ALL.
                    self.lite_ok = false;
                }
                self.query(left);
                self.s(&format!(" {op}{} ", if *all { " ALL" } else { "" }));
                self.query(right);
                if let Some(o) = order {
                    self.order_by(o);
                }
            }
        }
    }
}

fn direction(desc: bool, nulls_first: bool) -> &'static str {
    match (desc, nulls_first) {
        (false, false) => " ASC NULLS LAST",
        (false, true) => " ASC NULLS FIRST",
        (true, false) => " DESC NULLS LAST",
        (true, true) => " DESC NULLS FIRST",
    }
}

/// The query's text for `dialect`, and whether SQLite may judge it.
fn render(q: &Query, dialect: Dialect) -> (String, bool) {
    let mut r = Render::new(dialect);
    r.query(q);
    (r.out, r.lite_ok)
}

impl Query {
    fn ordered(&self) -> bool {
        match self {
            Query::Select(s) => s.order.is_some(),
            Query::SetOp { order, .. } => order.is_some(),
        }
    }

    fn item_types(&self) -> Vec<Ty> {
        match self {
            Query::Select(s) => s.items.iter().map(Expr::ty).collect(),
            Query::SetOp { left, .. } => left.item_types(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

/// What an expression may refer to.
#[derive(Clone, Default)]
struct Scope {
    /// Qualified columns in reach.
    cols: Vec<(String, Ty)>,
    /// `Some`: a grouped query; bare columns only through these keys.
    keys: Option<Vec<Expr>>,
    /// Expressions that make a window's order total (the tables' ids, or the group keys).
    unique: Option<Vec<Expr>>,
}

impl Scope {
    fn ungrouped(&self) -> Scope {
        Scope {
            cols: self.cols.clone(),
            keys: None,
            unique: None,
        }
    }
}

struct Gen {
    rng: Rng,
    aliases: usize,
    /// Subqueries left for the current query.
    subqueries: u32,
    /// Whether a subquery generated now may read the enclosing query's row (in WHERE and in
    /// the SELECT list of an ungrouped query).
    correlate: bool,
    /// Correlations generated so far.
    correlated: usize,
}

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n as u64) as usize
    }

    fn chance(&mut self, percent: u16) -> bool {
        self.rng.chance_permille(percent * 10)
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    /// A literal of `ty`; a NULL is written `CAST(NULL AS type)`, because a bare NULL where
    /// nothing gives it a type is TEXT in PostgreSQL and here but an integer in DuckDB.
    fn literal(&mut self, ty: Ty) -> Expr {
        if self.chance(4) {
            return Expr::Lit(format!("CAST(NULL AS {})", ty.sql()), ty);
        }
        let text = match ty {
            Ty::Int => {
                let v = self.below(10) as i64 - 3;
                if v < 0 {
                    format!("({v})")
                } else {
                    v.to_string()
                }
            }
            Ty::Dbl => {
                let v = self.pick(&DOUBLES);
                if v.starts_with('-') {
                    format!("({v})")
                } else {
                    v.to_string()
                }
            }
            Ty::Text => sql_quote(self.pick(&["a", "ab", "b", "ba", "c", "", "zz", "a_c"])),
            Ty::Bool => self.pick(&["TRUE", "FALSE"]).to_string(),
        };
        Expr::Lit(text, ty)
    }

    /// A literal where the other operand gives a bare NULL its type.
    fn context_literal(&mut self, ty: Ty) -> Expr {
        if self.chance(5) {
            Expr::Lit("NULL".into(), ty)
        } else {
            self.literal(ty)
        }
    }

    fn column(&mut self, sc: &Scope, ty: Ty) -> Option<Expr> {
        let cols: Vec<&(String, Ty)> = sc.cols.iter().filter(|(_, t)| *t == ty).collect();
        if cols.is_empty() {
            return None;
        }
        let (name, t) = cols[self.below(cols.len())].clone();
        Some(Expr::Col(name, t))
    }

    fn leaf(&mut self, sc: &Scope, ty: Ty) -> Expr {
        if ty == Ty::Bool {
            return self.literal(Ty::Bool);
        }
        match &sc.keys {
            Some(keys) => {
                let matching: Vec<Expr> = keys.iter().filter(|k| k.ty() == ty).cloned().collect();
                if !matching.is_empty() && self.chance(45) {
                    return self.pick(&matching);
                }
                if self.chance(75) {
                    if let Some(a) = self.aggregate(sc, ty) {
                        return a;
                    }
                }
                self.literal(ty)
            }
            None => {
                if self.chance(80) {
                    if let Some(c) = self.column(sc, ty) {
                        return c;
                    }
                }
                self.literal(ty)
            }
        }
    }

    /// An aggregate's argument. Never a bare NULL: PostgreSQL, and we, type min/max/sum(NULL) as
    /// TEXT where DuckDB picks an integer (a documented difference).
    fn agg_arg(&mut self, inner: &Scope, t: Ty, count: bool) -> Box<Expr> {
        let mut a = self.expr(inner, t, 1);
        while matches!(&a, Expr::Lit(l, _) if l.contains("NULL")) && !count {
            a = self.expr(inner, t, 1);
        }
        Box::new(a)
    }

    fn aggregate(&mut self, sc: &Scope, ty: Ty) -> Option<Expr> {
        let inner = sc.ungrouped();
        let mut agg = self.plain_aggregate(&inner, ty)?;
        if self.chance(15) {
            // FILTER (WHERE ...): a predicate over the group's rows, without subqueries.
            let saved = (self.subqueries, self.correlate);
            (self.subqueries, self.correlate) = (0, false);
            let filter = self.pred(&inner, 1);
            (self.subqueries, self.correlate) = saved;
            if let Expr::Agg(_, _, _, _, f) = &mut agg {
                *f = Some(Box::new(filter));
            }
        }
        Some(agg)
    }

    fn plain_aggregate(&mut self, inner: &Scope, ty: Ty) -> Option<Expr> {
        let inner = inner.clone();
        Some(match ty {
            Ty::Int => match self.below(5) {
                0 => Expr::Agg("count", None, false, Ty::Int, None),
                1 | 2 => {
                    let t = self.pick(&[Ty::Int, Ty::Dbl, Ty::Text]);
                    let a = self.agg_arg(&inner, t, true);
                    Expr::Agg("count", Some(a), self.chance(50), Ty::Int, None)
                }
                3 => {
                    let a = self.agg_arg(&inner, Ty::Int, false);
                    Expr::Agg("sum", Some(a), self.chance(15), Ty::Int, None)
                }
                _ => {
                    let a = self.agg_arg(&inner, Ty::Int, false);
                    let f = self.pick(&["min", "max"]);
                    Expr::Agg(f, Some(a), self.chance(10), Ty::Int, None)
                }
            },
            Ty::Dbl => match self.below(3) {
                0 => {
                    let a = self.agg_arg(&inner, Ty::Dbl, false);
                    Expr::Agg("sum", Some(a), false, Ty::Dbl, None)
                }
                1 => {
                    let t = self.numeric();
                    let a = self.agg_arg(&inner, t, false);
                    Expr::Agg("avg", Some(a), self.chance(10), Ty::Dbl, None)
                }
                _ => {
                    let a = self.agg_arg(&inner, Ty::Dbl, false);
                    let f = self.pick(&["min", "max"]);
                    Expr::Agg(f, Some(a), false, Ty::Dbl, None)
                }
            },
            Ty::Text => {
                let a = self.agg_arg(&inner, Ty::Text, false);
                let f = self.pick(&["min", "max"]);
                Expr::Agg(f, Some(a), false, Ty::Text, None)
            }
            Ty::Bool => return None,
        })
    }

    fn numeric(&mut self) -> Ty {
        if self.chance(60) {
            Ty::Int
        } else {
            Ty::Dbl
        }
    }

    fn expr(&mut self, sc: &Scope, ty: Ty, depth: u32) -> Expr {
        if ty == Ty::Bool {
            return self.pred(sc, depth);
        }
        if depth == 0 || self.chance(40) {
            return self.leaf(sc, ty);
        }
        let d = depth - 1;
        let b = |e: Expr| Box::new(e);
        match ty {
            Ty::Int => match self.below(13) {
                0 | 1 => {
                    let op = self.pick(&["+", "-", "*"]);
                    Expr::Arith(
                        b(self.expr(sc, Ty::Int, d)),
                        op,
                        b(self.expr(sc, Ty::Int, d)),
                        Ty::Int,
                    )
                }
                2 => Expr::Neg(b(self.expr(sc, Ty::Int, d))),
                3 => {
                    let k = self.pick(&[2, 3, -2]);
                    Expr::IntDiv(b(self.expr(sc, Ty::Int, d)), k)
                }
                4 => {
                    let k = self.pick(&[2, 3, -3]);
                    Expr::Mod(b(self.expr(sc, Ty::Int, d)), k)
                }
                5 => Expr::Func("abs", vec![self.expr(sc, Ty::Int, d)], Ty::Int),
                6 => Expr::Func("length", vec![self.expr(sc, Ty::Text, d)], Ty::Int),
                7 => {
                    let f = self.pick(&["coalesce", "nullif"]);
                    Expr::Func(
                        f,
                        vec![self.expr(sc, Ty::Int, d), self.expr(sc, Ty::Int, d)],
                        Ty::Int,
                    )
                }
                8 => self.case(sc, Ty::Int, d),
                9 => {
                    let f = self.pick(&["greatest", "least"]);
                    Expr::Extreme(
                        f,
                        vec![self.expr(sc, Ty::Int, d), self.expr(sc, Ty::Int, d)],
                        Ty::Int,
                    )
                }
                10 => {
                    if self.chance(50) {
                        Expr::Cast(b(self.pred(sc, d)), Ty::Int)
                    } else {
                        // floor first: a double's cast rounds ties differently in DuckDB.
                        let f = self.pick(&["floor", "ceil"]);
                        let x = Expr::Func(f, vec![self.expr(sc, Ty::Dbl, d)], Ty::Dbl);
                        Expr::Cast(b(x), Ty::Int)
                    }
                }
                11 => self
                    .scalar(sc, Ty::Int)
                    .unwrap_or_else(|| self.leaf(sc, Ty::Int)),
                _ => self.leaf(sc, Ty::Int),
            },
            Ty::Dbl => match self.below(10) {
                0 | 1 => {
                    let op = self.pick(&["+", "-", "*"]);
                    let (l, r) = if self.chance(50) {
                        (Ty::Dbl, self.numeric())
                    } else {
                        (self.numeric(), Ty::Dbl)
                    };
                    Expr::Arith(b(self.expr(sc, l, d)), op, b(self.expr(sc, r, d)), Ty::Dbl)
                }
                2 => {
                    let k = self.pick(&["2.0", "0.5", "4.0", "(-2.0)"]);
                    Expr::DblDiv(b(self.expr(sc, Ty::Dbl, d)), k)
                }
                3 => Expr::Neg(b(self.expr(sc, Ty::Dbl, d))),
                4 => {
                    let f = self.pick(&["abs", "floor", "ceil"]);
                    Expr::Func(f, vec![self.expr(sc, Ty::Dbl, d)], Ty::Dbl)
                }
                5 => Expr::Func(
                    "coalesce",
                    vec![self.expr(sc, Ty::Dbl, d), self.expr(sc, Ty::Dbl, d)],
                    Ty::Dbl,
                ),
                6 => self.case(sc, Ty::Dbl, d),
                7 => Expr::Cast(b(self.expr(sc, Ty::Int, d)), Ty::Dbl),
                8 => self
                    .scalar(sc, Ty::Dbl)
                    .unwrap_or_else(|| self.leaf(sc, Ty::Dbl)),
                _ => self.leaf(sc, Ty::Dbl),
            },
            Ty::Text => match self.below(11) {
                0 => {
                    let f = self.pick(&["lower", "upper", "trim"]);
                    Expr::Func(f, vec![self.expr(sc, Ty::Text, d)], Ty::Text)
                }
                1 => {
                    let start = Expr::Lit((1 + self.below(3)).to_string(), Ty::Int);
                    let mut args = vec![self.expr(sc, Ty::Text, d), start];
                    if self.chance(70) {
                        args.push(Expr::Lit((self.below(3) + 1).to_string(), Ty::Int));
                    }
                    Expr::Func("substr", args, Ty::Text)
                }
                2 => {
                    let from = sql_quote(self.pick(&["a", "b", "ab"]));
                    let to = sql_quote(self.pick(&["x", "", "bb"]));
                    Expr::Func(
                        "replace",
                        vec![
                            self.expr(sc, Ty::Text, d),
                            Expr::Lit(from, Ty::Text),
                            Expr::Lit(to, Ty::Text),
                        ],
                        Ty::Text,
                    )
                }
                3 | 4 => Expr::Concat(b(self.expr(sc, Ty::Text, d)), b(self.expr(sc, Ty::Text, d))),
                5 => Expr::ConcatFn(vec![self.expr(sc, Ty::Text, d), self.expr(sc, Ty::Text, d)]),
                6 => {
                    let f = self.pick(&["coalesce", "nullif"]);
                    Expr::Func(
                        f,
                        vec![self.expr(sc, Ty::Text, d), self.expr(sc, Ty::Text, d)],
                        Ty::Text,
                    )
                }
                7 => self.case(sc, Ty::Text, d),
                8 => Expr::Cast(b(self.expr(sc, Ty::Int, d)), Ty::Text),
                9 => self
                    .scalar(sc, Ty::Text)
                    .unwrap_or_else(|| self.leaf(sc, Ty::Text)),
                _ => self.leaf(sc, Ty::Text),
            },
            Ty::Bool => unreachable!(),
        }
    }

    fn case(&mut self, sc: &Scope, ty: Ty, d: u32) -> Expr {
        let n = 1 + self.below(2);
        let whens = (0..n)
            .map(|_| (self.pred(sc, d), self.expr(sc, ty, d)))
            .collect();
        let otherwise = if self.chance(70) {
            Some(Box::new(self.expr(sc, ty, d)))
        } else {
            None
        };
        Expr::Case(whens, otherwise, ty)
    }

    fn pred(&mut self, sc: &Scope, depth: u32) -> Expr {
        if depth == 0 || self.chance(45) {
            return self.atom(sc, depth.saturating_sub(1));
        }
        let d = depth - 1;
        match self.below(5) {
            0 => Expr::And(Box::new(self.pred(sc, d)), Box::new(self.pred(sc, d))),
            1 | 2 => Expr::Or(Box::new(self.pred(sc, d)), Box::new(self.pred(sc, d))),
            3 => Expr::Not(Box::new(self.pred(sc, d))),
            _ => self.atom(sc, d),
        }
    }

    fn comparable(&mut self) -> (Ty, Ty) {
        match self.below(5) {
            0 | 1 => (Ty::Int, Ty::Int),
            2 => (Ty::Dbl, self.numeric()),
            3 => (Ty::Int, Ty::Dbl),
            _ => (Ty::Text, Ty::Text),
        }
    }

    fn atom(&mut self, sc: &Scope, d: u32) -> Expr {
        let b = |e: Expr| Box::new(e);
        match self.below(14) {
            0..=2 => {
                let (l, r) = self.comparable();
                let op = self.pick(&["=", "<>", "<", "<=", ">", ">="]);
                Expr::Cmp(b(self.expr(sc, l, d)), op, b(self.expr(sc, r, d)))
            }
            3 | 4 => {
                let (l, r) = self.comparable();
                let op = self.pick(&["=", "<", ">=", "<>"]);
                Expr::Cmp(b(self.leaf(sc, l)), op, b(self.context_literal(r)))
            }
            5 => {
                let (l, r) = self.comparable();
                Expr::Between(
                    b(self.expr(sc, l, d)),
                    b(self.context_literal(r)),
                    b(self.expr(sc, r, d.min(1))),
                    self.chance(25),
                )
            }
            6 => {
                let (l, r) = self.comparable();
                let n = 1 + self.below(4);
                let list = (0..n)
                    .map(|_| {
                        if self.chance(80) {
                            self.context_literal(r)
                        } else {
                            self.leaf(sc, r)
                        }
                    })
                    .collect();
                Expr::InList(b(self.expr(sc, l, d)), list, self.chance(30))
            }
            7 => {
                let pattern = self.pick(&LIKE_PATTERNS);
                Expr::Like(
                    b(self.expr(sc, Ty::Text, d)),
                    pattern,
                    self.chance(25),
                    self.chance(25),
                )
            }
            8 => {
                let t = self.pick(&[Ty::Int, Ty::Dbl, Ty::Text]);
                Expr::IsNull(b(self.expr(sc, t, d)), self.chance(50))
            }
            9 => {
                let (l, r) = self.comparable();
                Expr::Distinct(
                    b(self.expr(sc, l, d)),
                    b(self.expr(sc, r, d)),
                    self.chance(50),
                )
            }
            10 | 11 if self.subqueries > 0 => {
                self.subqueries -= 1;
                let (l, r) = self.comparable();
                let q = self.simple_select(&[r], true, sc);
                let x = self.expr(sc, l, d);
                Expr::InSub(b(x), Box::new(Query::Select(q)), self.chance(30))
            }
            12 if self.subqueries > 0 => {
                self.subqueries -= 1;
                let t = self.pick(&[Ty::Int, Ty::Text]);
                let q = self.simple_select(&[t], false, sc);
                Expr::Exists(Box::new(Query::Select(q)), self.chance(30))
            }
            13 => self.literal(Ty::Bool),
            _ => {
                let (l, r) = self.comparable();
                Expr::Cmp(b(self.leaf(sc, l)), "=", b(self.leaf(sc, r)))
            }
        }
    }

    /// A scalar subquery: one aggregate over one table, so always one row.
    fn scalar(&mut self, sc: &Scope, ty: Ty) -> Option<Expr> {
        if self.subqueries == 0 {
            return None;
        }
        self.subqueries -= 1;
        let (from, inner) = self.table_item(None);
        let correlation = self.correlation(&inner, sc);
        let grouped = Scope {
            keys: Some(vec![]),
            ..inner.clone()
        };
        let saved = self.correlate;
        self.correlate = false;
        let item = self.aggregate(&grouped, ty);
        let filter = if self.chance(50) {
            Some(self.pred(&inner, 1))
        } else {
            None
        };
        self.correlate = saved;
        let item = item?;
        let filter = match (filter, correlation) {
            (Some(f), Some(c)) => Some(Expr::And(Box::new(f), Box::new(c))),
            (f, c) => f.or(c),
        };
        let scalar = Expr::Scalar(
            Box::new(Query::Select(Select {
                distinct: false,
                items: vec![item],
                from: vec![from],
                filter,
                group_by: vec![],
                group_by_position: false,
                having: None,
                order: None,
            })),
            ty,
        );
        Some(scalar)
    }

    /// One table with a fresh alias, and the scope of its columns.
    fn table_item(&mut self, join: Option<(JoinKind, JoinCond)>) -> (FromItem, Scope) {
        let t = &TABLES[self.below(TABLES.len())];
        let alias = self.alias("a");
        let cols = t
            .cols
            .iter()
            .map(|(n, ty)| (format!("{alias}.{n}"), *ty))
            .collect();
        let unique = vec![Expr::Col(format!("{alias}.id"), Ty::Int)];
        (
            FromItem {
                source: Source::Table(t.name),
                alias,
                join,
            },
            Scope {
                cols,
                keys: None,
                unique: Some(unique),
            },
        )
    }

    /// A one-table query with items of the given types: for IN and EXISTS subqueries, derived
    /// tables and set operations.
    fn simple_select(&mut self, tys: &[Ty], allow_group: bool, outer: &Scope) -> Select {
        let (from, sc) = self.table_item(None);
        let correlation = self.correlation(&sc, outer);
        let saved = (self.subqueries, self.correlate);
        self.subqueries = 0;
        self.correlate = false;
        let filter = if self.chance(50) {
            Some(self.pred(&sc, 2))
        } else {
            None
        };
        let filter = match (filter, correlation) {
            (Some(f), Some(c)) => Some(Expr::And(Box::new(f), Box::new(c))),
            (f, c) => f.or(c),
        };
        let (items, group_by, having) = if allow_group && self.chance(30) {
            let key = self.key(&sc);
            let gsc = Scope {
                keys: Some(vec![key.clone()]),
                ..sc.clone()
            };
            let items = tys.iter().map(|t| self.expr(&gsc, *t, 1)).collect();
            let having = if self.chance(30) {
                Some(self.pred(&gsc, 1))
            } else {
                None
            };
            (items, vec![key], having)
        } else {
            (
                tys.iter().map(|t| self.expr(&sc, *t, 1)).collect(),
                vec![],
                None,
            )
        };
        (self.subqueries, self.correlate) = saved;
        Select {
            distinct: self.chance(15),
            items,
            from: vec![from],
            filter,
            group_by,
            group_by_position: false,
            having,
            order: None,
        }
    }

    /// Sometimes (when `correlate` allows it) a conjunct that ties a subquery over `inner` to
    /// the enclosing query's row: a correlated subquery.
    fn correlation(&mut self, inner: &Scope, outer: &Scope) -> Option<Expr> {
        if !self.correlate || outer.keys.is_some() || !self.chance(40) {
            return None;
        }
        let t = self.pick(&[Ty::Int, Ty::Int, Ty::Text, Ty::Dbl]);
        let a = self.column(inner, t)?;
        let b = self.column(outer, t)?;
        let op = self.pick(&["=", "=", "<", "<>"]);
        self.correlated += 1;
        Some(Expr::Cmp(Box::new(a), op, Box::new(b)))
    }

    /// A GROUP BY key: a column, sometimes an expression over columns (never a bare literal,
    /// which GROUP BY would read as a position).
    fn key(&mut self, sc: &Scope) -> Expr {
        let t = self.pick(&[Ty::Int, Ty::Int, Ty::Dbl, Ty::Text]);
        let col = self
            .column(sc, t)
            .or_else(|| self.column(sc, Ty::Int))
            .unwrap_or_else(|| {
                let (name, ty) = sc.cols[self.below(sc.cols.len())].clone();
                Expr::Col(name, ty)
            });
        if self.chance(25) {
            match col.ty() {
                Ty::Int => Expr::Mod(Box::new(col), 2),
                Ty::Dbl => Expr::Func("floor", vec![col], Ty::Dbl),
                _ => Expr::Func(
                    "substr",
                    vec![col, Expr::Lit("1".into(), Ty::Int)],
                    Ty::Text,
                ),
            }
        } else {
            col
        }
    }

    /// FROM: one to three items joined, and the scope they make.
    fn from(&mut self, allow_derived: bool, allow_cte: bool) -> (Vec<FromItem>, Scope) {
        let n = match self.below(20) {
            0..=8 => 1,
            9..=17 => 2,
            _ => 3,
        };
        let mut items: Vec<FromItem> = Vec::new();
        let mut scope = Scope {
            unique: Some(vec![]),
            ..Scope::default()
        };
        for i in 0..n {
            let kind = if i == 0 {
                None
            } else {
                Some(match self.below(20) {
                    0..=6 => JoinKind::Inner,
                    7..=11 => JoinKind::Left,
                    12 | 13 => JoinKind::Right,
                    14 | 15 => JoinKind::Full,
                    16 | 17 => JoinKind::Cross,
                    // JOIN binds tighter than a comma: a comma only as the last item, so that no
                    // ON refers across it.
                    _ if i == n - 1 => JoinKind::Comma,
                    _ => JoinKind::Inner,
                })
            };
            let (mut item, item_scope) = if allow_derived && self.chance(12) {
                let k = 1 + self.below(3);
                let tys: Vec<Ty> = (0..k)
                    .map(|_| self.pick(&[Ty::Int, Ty::Dbl, Ty::Text]))
                    .collect();
                let mut q = self.simple_select(&tys, true, &Scope::default());
                if self.chance(30) {
                    q.order = Some(self.order_by(tys.len(), true));
                }
                let alias = self.alias("a");
                let cols = tys
                    .iter()
                    .enumerate()
                    .map(|(j, t)| (format!("{alias}.c{j}"), *t))
                    .collect();
                (
                    FromItem {
                        source: Source::Derived(
                            Box::new(Query::Select(q)),
                            allow_cte && self.chance(50),
                        ),
                        alias,
                        join: None,
                    },
                    Scope {
                        cols,
                        keys: None,
                        unique: None,
                    },
                )
            } else {
                self.table_item(None)
            };
            if let Some(kind) = kind {
                let cond = match kind {
                    JoinKind::Cross | JoinKind::Comma => JoinCond::None,
                    _ => self.join_cond(&scope, &item_scope, &items, &item, i == 1),
                };
                item.join = Some((kind, cond));
            }
            scope.cols.extend(item_scope.cols.iter().cloned());
            scope.unique = match (scope.unique.take(), item_scope.unique) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
                _ => None,
            };
            items.push(item);
        }
        (items, scope)
    }

    fn join_cond(
        &mut self,
        left: &Scope,
        right: &Scope,
        left_items: &[FromItem],
        right_item: &FromItem,
        first_join: bool,
    ) -> JoinCond {
        // USING only for two tables that both have the column.
        if first_join && self.chance(20) {
            if let (Source::Table(l), Source::Table(r)) =
                (&left_items[0].source, &right_item.source)
            {
                let lt = TABLES.iter().find(|t| t.name == *l).unwrap();
                let rt = TABLES.iter().find(|t| t.name == *r).unwrap();
                let shared: Vec<&'static str> = lt
                    .cols
                    .iter()
                    .filter(|(n, ty)| *n != "id" && rt.cols.contains(&(*n, *ty)))
                    .map(|(n, _)| *n)
                    .collect();
                if !shared.is_empty() {
                    return JoinCond::Using(self.pick(&shared));
                }
            }
        }
        let t = self.pick(&[Ty::Int, Ty::Int, Ty::Text, Ty::Dbl]);
        let (l, r) = match (self.column(left, t), self.column(right, t)) {
            (Some(l), Some(r)) => (l, r),
            _ => {
                let l = self.column(left, Ty::Int);
                let r = self.column(right, Ty::Int);
                match (l, r) {
                    (Some(l), Some(r)) => (l, r),
                    _ => return JoinCond::On(self.literal(Ty::Bool)),
                }
            }
        };
        let mut on = Expr::Cmp(Box::new(l), "=", Box::new(r));
        if self.chance(25) {
            let both = Scope {
                cols: left.cols.iter().chain(&right.cols).cloned().collect(),
                keys: None,
                unique: None,
            };
            let saved = self.subqueries;
            self.subqueries = 0;
            let extra = self.pred(&both, 1);
            self.subqueries = saved;
            on = Expr::And(Box::new(on), Box::new(extra));
        }
        JoinCond::On(on)
    }

    fn order_by(&mut self, n: usize, with_limit: bool) -> OrderBy {
        let keys = (0..n).map(|_| (self.chance(40), self.chance(50))).collect();
        let limit = if with_limit && self.chance(60) {
            Some(self.below(6) as u64)
        } else {
            None
        };
        let offset = if with_limit && self.chance(20) {
            Some(self.below(4) as u64)
        } else {
            None
        };
        OrderBy {
            keys,
            limit,
            offset,
        }
    }

    /// A window function call; one whose result depends on the order of peers is given the
    /// scope's unique keys as tie-breakers, or is not chosen when there are none.
    fn window(&mut self, sc: &Scope) -> Expr {
        let total = sc.unique.is_some();
        let part = |g: &mut Gen| match &sc.keys {
            Some(keys) if !keys.is_empty() => g.pick(keys),
            Some(_) => g.leaf(sc, Ty::Int),
            None => g.key(sc),
        };
        let partition = if self.chance(50) {
            vec![part(self)]
        } else {
            vec![]
        };
        let n = 1 + self.below(2);
        let mut order: Vec<(Expr, bool, bool)> = (0..n)
            .map(|_| {
                let k = part(self);
                (k, self.chance(40), self.chance(50))
            })
            .collect();
        let choices: &[&str] = if total {
            &[
                "row_number",
                "rank",
                "dense_rank",
                "lag",
                "lead",
                "first_value",
                "sum",
                "count",
                "min",
                "avg",
                "sum_rows",
                "max_rows",
            ]
        } else {
            &["rank", "dense_rank", "sum", "count", "max", "avg"]
        };
        let choice = self.pick(choices);
        let needs_total = matches!(
            choice,
            "row_number" | "lag" | "lead" | "first_value" | "sum_rows" | "max_rows"
        );
        if needs_total {
            for u in sc.unique.clone().unwrap_or_default() {
                order.push((u, false, false));
            }
        }
        let arg = |g: &mut Gen, t: Ty| match &sc.keys {
            Some(_) => g.leaf(sc, t),
            None => g.expr(sc, t, 1),
        };
        let (func, args, frame, ty) = match choice {
            "row_number" | "rank" | "dense_rank" => (choice, vec![], None, Ty::Int),
            "lag" | "lead" => {
                let t = self.pick(&[Ty::Int, Ty::Dbl, Ty::Text]);
                let mut args = vec![arg(self, t)];
                if self.chance(40) {
                    args.push(Expr::Lit((1 + self.below(2)).to_string(), Ty::Int));
                }
                (choice, args, None, t)
            }
            "first_value" => {
                let t = self.pick(&[Ty::Int, Ty::Text]);
                (choice, vec![arg(self, t)], None, t)
            }
            "count" => {
                if self.chance(50) {
                    ("count", vec![], None, Ty::Int)
                } else {
                    ("count", vec![arg(self, Ty::Int)], None, Ty::Int)
                }
            }
            "sum" | "min" | "max" => {
                let t = self.numeric();
                (choice, vec![arg(self, t)], None, t)
            }
            "avg" => {
                let t = self.numeric();
                ("avg", vec![arg(self, t)], None, Ty::Dbl)
            }
            _ => {
                let frame = self.pick(&[
                    "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW",
                    "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
                    "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
                    "ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
                    "ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING",
                ]);
                let t = self.numeric();
                let f = if choice == "sum_rows" { "sum" } else { "max" };
                (f, vec![arg(self, t)], Some(frame), t)
            }
        };
        // An aggregate over the whole partition ignores ORDER BY only without one.
        if matches!(func, "sum" | "count" | "min" | "max" | "avg")
            && frame.is_none()
            && self.chance(25)
        {
            order.clear();
        }
        let (args, func) = if func == "count" && args.is_empty() {
            (vec![Expr::Lit("*".into(), Ty::Int)], "count")
        } else {
            (args, func)
        };
        Expr::Window(Box::new(Window {
            func,
            args,
            partition,
            order,
            frame,
            ty,
        }))
    }

    /// A whole SELECT; `tys` fixes the items' types (the right side of a set operation).
    fn select(&mut self, top: bool, tys: Option<&[Ty]>) -> Select {
        self.subqueries = 2;
        let saved_correlate = self.correlate;
        self.correlate = false;
        let (from, sc) = self.from(true, top);
        self.correlate = true;
        let n = tys.map_or(1 + self.below(4), <[Ty]>::len);
        let ty_at = |g: &mut Gen, i: usize| match tys {
            Some(t) => t[i],
            None => g.pick(&[Ty::Int, Ty::Int, Ty::Dbl, Ty::Text, Ty::Text, Ty::Bool]),
        };
        let filter = if self.chance(50) {
            Some(self.pred(&sc, 2))
        } else {
            None
        };
        let mode = self.below(20);
        self.correlate = mode >= 7;
        let mut s = if mode < 7 {
            // grouped (with no keys sometimes: one row)
            let k = self.below(3);
            let keys: Vec<Expr> = (0..k).map(|_| self.key(&sc)).collect();
            let gsc = Scope {
                cols: sc.cols.clone(),
                unique: Some(keys.clone()),
                keys: Some(keys.clone()),
            };
            let mut items = Vec::new();
            for i in 0..n {
                let t = ty_at(self, i);
                if tys.is_none() && t != Ty::Bool && self.chance(12) {
                    items.push(self.window(&gsc));
                } else if i < keys.len() && keys[i].ty() == t && self.chance(70) {
                    items.push(keys[i].clone());
                } else {
                    items.push(self.expr(&gsc, t, 2));
                }
            }
            let having = if self.chance(35) {
                Some(self.pred(&gsc, 1))
            } else {
                None
            };
            Select {
                distinct: self.chance(10),
                items,
                from,
                filter,
                group_by: keys,
                group_by_position: self.chance(30),
                having,
                order: None,
            }
        } else {
            let windows = tys.is_none() && mode >= 15;
            let mut items = Vec::new();
            for i in 0..n {
                let t = ty_at(self, i);
                if windows && t != Ty::Bool && (i == 0 || self.chance(40)) {
                    items.push(self.window(&sc));
                } else {
                    items.push(self.expr(&sc, t, 2));
                }
            }
            Select {
                distinct: self.chance(12),
                items,
                from,
                filter,
                group_by: vec![],
                group_by_position: false,
                having: None,
                order: None,
            }
        };
        if top && self.chance(50) {
            s.order = Some(self.order_by(s.items.len(), true));
        }
        self.correlate = saved_correlate;
        s
    }

    fn query(&mut self) -> Query {
        if self.chance(12) {
            let left = self.select(false, None);
            let tys: Vec<Ty> = left.items.iter().map(Expr::ty).collect();
            let right = self.select(false, Some(&tys));
            let op = self.pick(&["UNION", "UNION", "INTERSECT", "EXCEPT"]);
            let order = if self.chance(50) {
                Some(self.order_by(tys.len(), true))
            } else {
                None
            };
            Query::SetOp {
                left: Box::new(Query::Select(left)),
                op,
                all: self.chance(40),
                right: Box::new(Query::Select(right)),
                order,
            }
        } else {
            Query::Select(self.select(true, None))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Results and their comparison (normalized as docs/testing.md says)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Cell {
    Null,
    Num(f64),
    Text(String),
}

#[derive(Clone, Debug)]
enum Res {
    Rows(Vec<Vec<Cell>>),
    Err(String),
}

fn cell_of_value(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Boolean(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        Value::BigInt(i) => Cell::Num(*i as f64),
        // + 0.0 turns -0 into 0, which compare equal but sort apart.
        Value::Double(d) => Cell::Num(*d + 0.0),
        Value::Text(s) => Cell::Text(s.to_string()),
        other => Cell::Text(other.to_string()),
    }
}

fn cell_of_json(j: &Json) -> Cell {
    match j {
        Json::Null => Cell::Null,
        Json::Bool(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        Json::Number(n) => Cell::Num(n.as_f64().unwrap_or(f64::NAN) + 0.0),
        Json::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

fn res_of_json(j: &Json) -> Res {
    if let Some(e) = j.get("error") {
        return Res::Err(e.as_str().unwrap_or("?").to_string());
    }
    let rows = j["rows"]
        .as_array()
        .expect("oracle rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(cell_of_json)
                .collect()
        })
        .collect();
    Res::Rows(rows)
}

fn run_ours(session: &Session, sql: &str) -> Res {
    let mut session = session.clone();
    match catch_unwind(AssertUnwindSafe(|| session.execute(sql))) {
        Err(_) => Res::Err("PANIC".into()),
        Ok(Err(e)) => Res::Err(format!("{e}")),
        Ok(Ok(mut out)) => match out.pop() {
            Some(Outcome::Rows(r)) => Res::Rows(
                r.table
                    .to_rows()
                    .iter()
                    .map(|row| row.iter().map(cell_of_value).collect())
                    .collect(),
            ),
            other => Res::Err(format!("not rows: {other:?}")),
        },
    }
}

fn nums_eq(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn cells_eq(a: &Cell, b: &Cell) -> bool {
    match (a, b) {
        (Cell::Null, Cell::Null) => true,
        (Cell::Num(x), Cell::Num(y)) => nums_eq(*x, *y),
        (Cell::Text(x), Cell::Text(y)) => x == y,
        _ => false,
    }
}

fn cell_cmp(a: &Cell, b: &Cell) -> Ordering {
    let rank = |c: &Cell| match c {
        Cell::Null => 0,
        Cell::Num(_) => 1,
        Cell::Text(_) => 2,
    };
    match (a, b) {
        // Rounded, so that values equal within the tolerance sort alike on both sides.
        (Cell::Num(x), Cell::Num(y)) => (x * 1e6).round().total_cmp(&(y * 1e6).round()),
        (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn rows_eq(ordered: bool, a: &[Vec<Cell>], b: &[Vec<Cell>]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    if !ordered {
        let by_row = |x: &Vec<Cell>, y: &Vec<Cell>| {
            x.iter()
                .zip(y)
                .map(|(p, q)| cell_cmp(p, q))
                .find(|o| o.is_ne())
                .unwrap_or(x.len().cmp(&y.len()))
        };
        a.sort_by(by_row);
        b.sort_by(by_row);
    }
    a.iter()
        .zip(&b)
        .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| cells_eq(p, q)))
}

/// How our result differs from an oracle's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Differ,
    /// We fail where the oracle answers.
    OursErr,
    /// The oracle fails where we answer.
    TheirErr,
    /// Both fail: the generator wrote something invalid.
    BothErr,
}

fn verdict(ours: &Res, theirs: &Res, ordered: bool) -> Option<Verdict> {
    match (ours, theirs) {
        (Res::Rows(a), Res::Rows(b)) => (!rows_eq(ordered, a, b)).then_some(Verdict::Differ),
        (Res::Err(_), Res::Rows(_)) => Some(Verdict::OursErr),
        (Res::Rows(_), Res::Err(_)) => Some(Verdict::TheirErr),
        (Res::Err(_), Res::Err(_)) => Some(Verdict::BothErr),
    }
}

fn show(res: &Res) -> String {
    match res {
        Res::Err(e) => format!("ERROR {e}"),
        Res::Rows(rows) => {
            let mut out = format!("{} row(s)", rows.len());
            for r in rows.iter().take(25) {
                let cells: Vec<String> = r
                    .iter()
                    .map(|c| match c {
                        Cell::Null => "NULL".into(),
                        Cell::Num(x) => format!("{x}"),
                        Cell::Text(s) => format!("{s:?}"),
                    })
                    .collect();
                out.push_str(&format!("\n      {}", cells.join(" | ")));
            }
            if rows.len() > 25 {
                out.push_str("\n      ...");
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle process
// ---------------------------------------------------------------------------------------------

fn setup_request(world: &World) -> Json {
    json!({"op": "setup", "sql": world.setup})
}

fn query_request(q: &Query) -> (Json, String, bool) {
    let (ours, _) = render(q, Dialect::Ours);
    let (duck, _) = render(q, Dialect::Duck);
    let (lite, lite_ok) = render(q, Dialect::Lite);
    let req = json!({
        "op": "query",
        "duckdb": duck,
        "sqlite": if lite_ok { Json::String(lite) } else { Json::Null },
    });
    (req, ours, lite_ok)
}

// ---------------------------------------------------------------------------------------------
// Shrinking
// ---------------------------------------------------------------------------------------------

fn simple_literal(ty: Ty) -> Expr {
    match ty {
        Ty::Int => Expr::Lit("1".into(), ty),
        Ty::Dbl => Expr::Lit("0.5".into(), ty),
        Ty::Text => Expr::Lit("'a'".into(), ty),
        Ty::Bool => Expr::Lit("TRUE".into(), ty),
    }
}

/// One-step simplifications of an expression, each of the same type.
fn shrink_expr(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    let ty = e.ty();
    let mut copy = e.clone();
    for c in copy.children_mut() {
        // An aggregate's argument instead of the aggregate would change what the query means.
        if c.ty() == ty && !c.has_window() && !matches!(e, Expr::Agg(..)) {
            out.push(c.clone());
        }
    }
    if !e.is_leaf() && !e.has_window() && !matches!(e, Expr::Agg(..)) {
        out.push(simple_literal(ty));
    }
    let n = copy.children_mut().len();
    for i in 0..n {
        let child = e.clone().children_mut()[i].clone();
        for s in shrink_expr(&child) {
            let mut next = e.clone();
            *next.children_mut()[i] = s;
            out.push(next);
        }
    }
    if let Some(q) = copy.subquery_mut() {
        for s in shrink_query(q) {
            let mut next = e.clone();
            *next.subquery_mut().unwrap() = s;
            out.push(next);
        }
    }
    out
}

fn shrink_select(s: &Select) -> Vec<Select> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut Select)| {
        let mut next = s.clone();
        f(&mut next);
        next
    };
    if s.order.is_some() {
        out.push(with(&|n| n.order = None));
        if let Some(o) = &s.order {
            if o.limit.is_some() || o.offset.is_some() {
                out.push(with(&|n| {
                    let o = n.order.as_mut().unwrap();
                    o.limit = None;
                    o.offset = None;
                }));
            }
        }
    }
    if s.filter.is_some() {
        out.push(with(&|n| n.filter = None));
    }
    if s.having.is_some() {
        out.push(with(&|n| n.having = None));
    }
    if s.distinct {
        out.push(with(&|n| n.distinct = false));
    }
    if s.items.len() > 1 {
        for i in 0..s.items.len() {
            out.push(with(&|n| {
                n.items.remove(i);
                if let Some(o) = &mut n.order {
                    o.keys.remove(i);
                }
            }));
        }
    }
    for j in 0..s.group_by.len() {
        out.push(with(&|n| {
            n.group_by.remove(j);
        }));
    }
    if s.from.len() > 1 {
        for j in 1..s.from.len() {
            out.push(with(&|n| {
                n.from.remove(j);
            }));
        }
        for j in 1..s.from.len() {
            if let Some((kind, _)) = &s.from[j].join {
                if !matches!(kind, JoinKind::Inner | JoinKind::Cross | JoinKind::Comma) {
                    out.push(with(&|n| {
                        n.from[j].join.as_mut().unwrap().0 = JoinKind::Inner
                    }));
                }
            }
        }
    }
    for i in 0..s.items.len() {
        for e in shrink_expr(&s.items[i]) {
            let mut next = s.clone();
            next.items[i] = e;
            out.push(next);
        }
    }
    if let Some(f) = &s.filter {
        for e in shrink_expr(f) {
            let mut next = s.clone();
            next.filter = Some(e);
            out.push(next);
        }
    }
    if let Some(h) = &s.having {
        for e in shrink_expr(h) {
            let mut next = s.clone();
            next.having = Some(e);
            out.push(next);
        }
    }
    for j in 0..s.from.len() {
        if let Some((_, JoinCond::On(on))) = &s.from[j].join {
            for e in shrink_expr(on) {
                let mut next = s.clone();
                next.from[j].join.as_mut().unwrap().1 = JoinCond::On(e);
                out.push(next);
            }
        }
        if let Source::Derived(q, cte) = &s.from[j].source {
            for sq in shrink_query(q) {
                let mut next = s.clone();
                next.from[j].source = Source::Derived(Box::new(sq), *cte);
                out.push(next);
            }
        }
    }
    out
}

fn shrink_query(q: &Query) -> Vec<Query> {
    match q {
        Query::Select(s) => shrink_select(s).into_iter().map(Query::Select).collect(),
        Query::SetOp {
            left,
            op,
            all,
            right,
            order,
        } => {
            let mut out = Vec::new();
            for side in [left, right] {
                let mut s = side.as_ref().clone();
                if let Query::Select(sel) = &mut s {
                    sel.order.clone_from(order);
                }
                out.push(s);
            }
            if order.is_some() {
                out.push(Query::SetOp {
                    left: left.clone(),
                    op,
                    all: *all,
                    right: right.clone(),
                    order: None,
                });
            }
            for l in shrink_query(left) {
                if l.item_types() == left.item_types() {
                    out.push(Query::SetOp {
                        left: Box::new(l),
                        op,
                        all: *all,
                        right: right.clone(),
                        order: order.clone(),
                    });
                }
            }
            for r in shrink_query(right) {
                if r.item_types() == right.item_types() {
                    out.push(Query::SetOp {
                        left: left.clone(),
                        op,
                        all: *all,
                        right: Box::new(r),
                        order: order.clone(),
                    });
                }
            }
            out
        }
    }
}

/// Which oracle disagreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Duck,
    Lite,
}

struct Mismatch {
    world: usize,
    query: Query,
    which: Which,
    verdict: Verdict,
}

/// Greedily simplifies `q` while it still mismatches in the same way.
fn shrink(
    oracle: &mut Oracle,
    world: &World,
    session: &Session,
    q: &Query,
    which: Which,
    want: Verdict,
) -> Query {
    let mut current = q.clone();
    for _round in 0..300 {
        let candidates: Vec<Query> = shrink_query(&current)
            .into_iter()
            .filter(|c| which == Which::Duck || render(c, Dialect::Lite).1)
            .collect();
        if candidates.is_empty() {
            break;
        }
        let mut requests = vec![setup_request(world)];
        requests.extend(candidates.iter().map(|c| query_request(c).0));
        let answers = oracle.batch(&requests);
        let key = if which == Which::Duck {
            "duckdb"
        } else {
            "sqlite"
        };
        let next = candidates.iter().zip(&answers[1..]).find(|(c, a)| {
            let ours = run_ours(session, &render(c, Dialect::Ours).0);
            verdict(&ours, &res_of_json(&a[key]), c.ordered()) == Some(want)
        });
        match next {
            Some((c, _)) => current = c.clone(),
            None => break,
        }
    }
    current
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[test]
fn random_queries_match_duckdb_and_sqlite() {
    let seed = env_u64("FLOWLAB_SQL_SEED").unwrap_or(DEFAULT_SEED);
    let total = env_u64("FLOWLAB_SQL_QUERIES").map_or(DEFAULT_QUERIES, |n| n as usize);
    let worlds_n = total.div_ceil(QUERIES_PER_WORLD);
    // Wall-clock time for the run's report only; nothing the engine computes depends on it.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    let root = Rng::new(Seed(seed));
    let mut gen = Gen {
        rng: root.fork("sql-differential/queries"),
        aliases: 0,
        subqueries: 0,
        correlate: false,
        correlated: 0,
    };
    let mut data_rng = root.fork("sql-differential/data");

    let mut worlds = Vec::new();
    let mut sessions = Vec::new();
    let mut queries: Vec<(usize, Query)> = Vec::new();
    let mut correlated_queries = 0;
    let mut requests = Vec::new();
    let mut ours = Vec::new();
    for w in 0..worlds_n {
        let world = random_world(&mut data_rng);
        let session = world_session(&world);
        requests.push(setup_request(&world));
        for _ in 0..QUERIES_PER_WORLD.min(total - w * QUERIES_PER_WORLD) {
            gen.aliases = 0;
            let correlated_before = gen.correlated;
            let q = gen.query();
            correlated_queries += usize::from(gen.correlated > correlated_before);
            let (req, sql, _) = query_request(&q);
            requests.push(req);
            ours.push(run_ours(&session, &sql));
            queries.push((w, q));
        }
        worlds.push(world);
        sessions.push(session);
    }
    let ours_done = started.elapsed();

    let mut oracle =
        Oracle::start(&std::env::var("FLOWLAB_PYTHON").unwrap_or_else(|_| "python3".into()));
    let answers = oracle.batch(&requests);
    let oracle_done = started.elapsed();
    let answers: Vec<&Json> = answers
        .iter()
        .filter(|a| a.get("setup").is_none())
        .collect();
    assert_eq!(answers.len(), queries.len(), "one answer per query");

    let mut mismatches = Vec::new();
    let (mut lite_compared, mut ours_errors, mut empty) = (0, 0, 0);
    let mut duck_failures = Vec::new();
    for (((w, q), ours), answer) in queries.iter().zip(&ours).zip(&answers) {
        if matches!(ours, Res::Err(_)) {
            ours_errors += 1;
        }
        if matches!(ours, Res::Rows(r) if r.is_empty()) {
            empty += 1;
        }
        let duck = res_of_json(&answer["duckdb"]);
        let lite = (!answer["sqlite"].is_null()).then(|| res_of_json(&answer["sqlite"]));
        // DuckDB's own bugs ("INTERNAL Error: Failed to bind column reference", "
        // BindBuiltinScalarFunction did not return a BoundFunctionExpression") leave the query to
        // SQLite alone.
        let duck_failed = matches!(&duck, Res::Err(e) if e.contains("INTERNAL Error")
            || e.contains("BindBuiltinScalarFunction"));
        if duck_failed {
            duck_failures.push(render(q, Dialect::Duck).0);
        } else if let Some(v) = verdict(ours, &duck, q.ordered()) {
            mismatches.push(Mismatch {
                world: *w,
                query: q.clone(),
                which: Which::Duck,
                verdict: v,
            });
            continue;
        }
        if let Some(lite) = &lite {
            lite_compared += 1;
            if let Some(v) = verdict(ours, lite, q.ordered()) {
                mismatches.push(Mismatch {
                    world: *w,
                    query: q.clone(),
                    which: Which::Lite,
                    verdict: v,
                });
            }
        }
    }
    eprintln!(
        "sql differential: seed {seed}, {} worlds, {} queries ({} with a correlated subquery, {} \
         also against SQLite), {} empty results, {} errors of ours; engine {:.1?}, oracles {:.1?}; \
         {} mismatch(es)",
        worlds.len(),
        queries.len(),
        correlated_queries,
        lite_compared,
        empty,
        ours_errors,
        ours_done,
        oracle_done - ours_done,
        mismatches.len()
    );
    for sql in &duck_failures {
        eprintln!("DuckDB failed internally (compared with SQLite only): {sql}");
    }

    let shrunk_max = env_u64("FLOWLAB_SQL_SHRINK").map_or(SHRUNK_MAX, |n| n as usize);
    for (i, m) in mismatches.iter().enumerate() {
        let (sql, _) = render(&m.query, Dialect::Ours);
        if i >= shrunk_max {
            eprintln!(
                "\nmismatch {} ({:?} vs {:?}, world {}): {sql}",
                i + 1,
                m.verdict,
                m.which,
                m.world
            );
            continue;
        }
        let world = &worlds[m.world];
        let session = &sessions[m.world];
        let small = shrink(&mut oracle, world, session, &m.query, m.which, m.verdict);
        let (small_ours, _) = render(&small, Dialect::Ours);
        let (small_duck, _) = render(&small, Dialect::Duck);
        let (small_lite, _) = render(&small, Dialect::Lite);
        let answer = &oracle.batch(&[setup_request(world), query_request(&small).0])[1];
        let key = if m.which == Which::Duck {
            "duckdb"
        } else {
            "sqlite"
        };
        let oracle_sql = if m.which == Which::Duck {
            &small_duck
        } else {
            &small_lite
        };
        eprintln!(
            "\n=== mismatch {} of {}: {:?} against {:?} (seed {seed}, world {})\n-- tables:\n{};\n\
             -- query as generated:\n{sql};\n-- shrunk:\n{small_ours};\n-- as sent to {:?}:\n{oracle_sql};\n\
             -- ours:   {}\n-- oracle: {}",
            i + 1,
            mismatches.len(),
            m.verdict,
            m.which,
            m.world,
            world.setup.join(";\n"),
            m.which,
            show(&run_ours(session, &small_ours)),
            show(&res_of_json(&answer[key])),
        );
    }
    assert!(
        queries.len() >= total,
        "the run made fewer queries than asked"
    );
    assert_eq!(
        mismatches.len(),
        0,
        "{} of {} queries differ from DuckDB or SQLite (seed {seed}; details above)",
        mismatches.len(),
        queries.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------------------------

const VOCABULARY: [&str; 58] = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "FULL",
    "ON",
    "USING",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "ALL",
    "DISTINCT",
    "(",
    ")",
    ",",
    "*",
    "NULL",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "OVER",
    "PARTITION",
    "ROWS",
    "BETWEEN",
    "AND",
    "OR",
    "NOT",
    "IN",
    "EXISTS",
    "LIKE",
    "CAST",
    "AS",
    "::",
    "WITH",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "0",
    "-1",
    "''",
    "'x'",
    "\"t0\"",
    "INTERVAL '1 day'",
    "DATE '2024-02-30'",
    "count(*)",
    "sum(",
    "row_number()",
    ";",
    "EXPLAIN",
];

fn tokens(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in sql.chars() {
        if quoted {
            cur.push(c);
            if c == '\'' {
                quoted = false;
            }
            continue;
        }
        match c {
            '\'' => {
                cur.push(c);
                quoted = true;
            }
            ' ' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            '(' | ')' | ',' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn mutate(rng: &mut Rng, sql: &str, other: &str) -> String {
    let mut t = tokens(sql);
    let pos = |rng: &mut Rng, n: usize| rng.below(n.max(1) as u64) as usize;
    match rng.below(10) {
        0 if !t.is_empty() => {
            let i = pos(rng, t.len());
            t.remove(i);
        }
        1 if !t.is_empty() => {
            let i = pos(rng, t.len());
            let tok = t[i].clone();
            t.insert(i, tok);
        }
        2 if t.len() > 1 => {
            let (i, j) = (pos(rng, t.len()), pos(rng, t.len()));
            t.swap(i, j);
        }
        3 if !t.is_empty() => {
            let i = pos(rng, t.len());
            t[i] = VOCABULARY[pos(rng, VOCABULARY.len())].to_string();
        }
        4 => {
            let i = pos(rng, t.len() + 1).min(t.len());
            t.insert(i, VOCABULARY[pos(rng, VOCABULARY.len())].to_string());
        }
        5 => {
            // Random characters, controls and non-ASCII included, spliced into the text.
            let chars: Vec<char> = sql.chars().collect();
            let at = pos(rng, chars.len() + 1).min(chars.len());
            let odd = [
                '\0', '\'', '"', '\\', '\n', '\t', ';', '(', ')', '%', 'é', '€', '𝕏', '\u{202e}',
                '-', '/', '*', '$', '?', '[', '`',
            ];
            let mut s: String = chars[..at].iter().collect();
            for _ in 0..1 + rng.below(3) {
                if rng.chance_permille(500) {
                    s.push(odd[pos(rng, odd.len())]);
                } else {
                    s.push(char::from_u32(rng.below(0x2FF) as u32).unwrap_or('x'));
                }
            }
            s.extend(&chars[at..]);
            return s;
        }
        6 => {
            let chars: Vec<char> = sql.chars().collect();
            let at = pos(rng, chars.len());
            return chars[..at].iter().collect();
        }
        7 => {
            // Splice: the start of one query with the end of another.
            let a: Vec<char> = sql.chars().collect();
            let b: Vec<char> = other.chars().collect();
            let (i, j) = (pos(rng, a.len()), pos(rng, b.len()));
            return a[..i].iter().chain(&b[j..]).collect();
        }
        8 if !t.is_empty() => {
            // Moderate nesting around one token.
            let i = pos(rng, t.len());
            let depth = 1 + rng.below(25) as usize;
            let wrap = [("(", ")"), ("NOT (", ")"), ("abs(", ")"), ("- (", ")")][pos(rng, 4)];
            t[i] = format!("{}{}{}", wrap.0.repeat(depth), t[i], wrap.1.repeat(depth));
        }
        _ => {
            let depth = 1 + rng.below(8) as usize;
            return format!(
                "SELECT * FROM {}({sql}) AS s{}",
                "(SELECT * FROM ".repeat(depth),
                ") AS s".repeat(depth)
            );
        }
    }
    t.join(" ")
}

/// Constructs the generator does not write, mutated along with its queries.
const FUZZ_EXTRA: &[&str] = &[
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20) SELECT n, t0.s0 FROM r JOIN t0 ON t0.id = r.n",
    "WITH RECURSIVE r(id, depth) AS (SELECT id, 0 FROM t1 WHERE i0 > 2 UNION SELECT t1.id, r.depth + 1 FROM t1 JOIN r ON t1.i1 = r.id WHERE r.depth < 5) SELECT * FROM r",
    "SELECT * FROM t0 NATURAL JOIN t1 NATURAL LEFT JOIN t2",
    "SELECT s0 FROM t1 WHERE s0 LIKE 'a!%' ESCAPE '!' OR s1 NOT ILIKE '%\\_' ESCAPE ''",
    "SELECT i0, count(*) FILTER (WHERE d0 > 1), sum(i1) FILTER (WHERE s0 <> 'a') FROM t0 GROUP BY i0",
];

#[test]
fn mutated_queries_never_panic() {
    let seed = env_u64("FLOWLAB_SQL_SEED").unwrap_or(DEFAULT_SEED);
    // Debug builds use large stack frames: the run gets a big stack, so that this
    // test finds panics; stack depth itself is deep_nesting_never_overflows_the_stack's business.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            // Wall-clock time for the run's report only.
            #[allow(clippy::disallowed_methods)]
            let started = Instant::now();
            let root = Rng::new(Seed(seed));
            let mut gen = Gen {
                rng: root.fork("sql-fuzz/queries"),
                        aliases: 0,
                subqueries: 0,
                correlate: false,
                correlated: 0,
            };
            let mut data_rng = root.fork("sql-fuzz/data");
            let mut rng = root.fork("sql-fuzz/mutations");
            let mut panics = Vec::new();
            let (mut inputs, mut accepted) = (0, 0);
            while inputs < FUZZ_INPUTS {
                let world = random_world(&mut data_rng);
                let mut session = world_session(&world);
                session.limits = Limits {
                    rows_max: 50_000,
                    work_max: 2_000_000,
                };
                let mut base: Vec<String> = (0..100)
                    .map(|_| {
                        gen.aliases = 0;
                        render(&gen.query(), Dialect::Ours).0
                    })
                    .collect();
                base.extend(FUZZ_EXTRA.iter().map(|s| s.to_string()));
                for (i, sql) in base.iter().enumerate() {
                    let mut input = sql.clone();
                    let n = if rng.chance_permille(700) { 1 } else { 2 };
                    for _ in 0..n {
                        input = mutate(&mut rng, &input, &base[(i + 1) % base.len()]);
                    }
                    inputs += 1;
                    let mut s = session.clone();
                    match catch_unwind(AssertUnwindSafe(|| s.execute(&input))) {
                        Ok(Ok(_)) => accepted += 1,
                        Ok(Err(_)) => {}
                        Err(p) => {
                            let msg = p
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            panics.push(format!("{msg}\n  input: {input:?}"));
                        }
                    }
                }
            }
            eprintln!(
                "sql fuzz: seed {seed}, {inputs} mutated inputs, {accepted} ran, {} panicked, {:.1?}",
                panics.len(),
                started.elapsed()
            );
            panics
        })
        .expect("fuzz thread");
    let panics = worker.join().expect("the fuzz run itself");
    assert!(
        panics.is_empty(),
        "{} input(s) panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
}

/// Deep inputs; each must be answered or refused (a syntax or limit error), never overflow.
fn deep_cases() -> Vec<(&'static str, String)> {
    let mut cases = Vec::new();
    for n in [50, 100, 1_000, 20_000] {
        cases.push((
            "parentheses",
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
        ));
        cases.push(("NOT chain", format!("SELECT {}TRUE", "NOT ".repeat(n))));
        cases.push(("unary minus chain", format!("SELECT {}1", "- ".repeat(n))));
        cases.push((
            "function nesting",
            format!("SELECT {}1{}", "abs(".repeat(n), ")".repeat(n)),
        ));
        cases.push((
            "nested subqueries",
            format!(
                "SELECT * FROM {}(SELECT 1 AS x) AS s{}",
                "(SELECT * FROM ".repeat(n),
                ") AS s".repeat(n)
            ),
        ));
        cases.push(("left-deep +", format!("SELECT {}1", "1 + ".repeat(n))));
        cases.push((
            "AND chain",
            format!("SELECT 1 WHERE {}", vec!["1 = 1"; n].join(" AND ")),
        ));
        cases.push(("|| chain", format!("SELECT 'a'{}", " || 'a'".repeat(n))));
        cases.push((
            "UNION ALL chain",
            format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n)),
        ));
        cases.push((
            "CASE nesting",
            format!(
                "SELECT {}1{}",
                "CASE WHEN TRUE THEN ".repeat(n),
                " END".repeat(n)
            ),
        ));
    }
    cases
}

/// The stack a deep case gets: 1 MiB is a wasm32 program's default stack (the browser lab's
/// budget); debug builds use several times larger frames than release ones.
const DEEP_STACK: usize = if cfg!(debug_assertions) {
    16 << 20
} else {
    1 << 20
};

/// Runs one deep case (chosen by `FLOWLAB_SQL_DEEP_CASE`) when `deep_nesting_never_overflows_the_stack`
/// starts this test binary again; does nothing otherwise.
#[test]
fn deep_nesting_child() {
    let Some(i) = env_u64("FLOWLAB_SQL_DEEP_CASE") else {
        return;
    };
    let (_, sql) = deep_cases().swap_remove(i as usize);
    let answer = std::thread::Builder::new()
        .stack_size(DEEP_STACK)
        .spawn(move || match Session::new().execute(&sql) {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("error: {e}"),
        })
        .unwrap()
        .join()
        .expect("no panic");
    println!("DEEP-CASE-ANSWER {answer}");
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    let exe = std::env::current_exe().expect("test binary");
    let mut failures = Vec::new();
    let cases = deep_cases();
    for (i, (name, sql)) in cases.iter().enumerate() {
        let depth = sql.len();
        let out = Command::new(&exe)
            .args([
                "--exact",
                "deep_nesting_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FLOWLAB_SQL_DEEP_CASE", i.to_string())
            .output()
            .expect("test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let marker = "DEEP-CASE-ANSWER ";
        match stdout.lines().find_map(|l| l.split_once(marker)) {
            Some((_, answer)) if out.status.success() => {
                eprintln!(
                    "{name} ({depth} bytes): {}",
                    answer.chars().take(100).collect::<String>()
                );
            }
            _ => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let why = stderr
                    .lines()
                    .find(|l| l.contains("overflow") || l.contains("panicked"))
                    .unwrap_or("crashed")
                    .to_string();
                failures.push(format!("{name} ({depth} bytes of SQL): {why}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} deep inputs crashed with a {} KiB stack:\n{}",
        failures.len(),
        cases.len(),
        DEEP_STACK >> 10,
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions: the engine bugs the differential run found (all fixed), one minimal case each
// (expected results from DuckDB 2.0.0 and SQLite 3.40, which agree). The generator produces every
// one of these constructs, so a return of any of them also shows up as a mismatch.
// ---------------------------------------------------------------------------------------------

const BUG_TABLE: &str = "CREATE TABLE t (a BIGINT, d DOUBLE); \
    INSERT INTO t VALUES (1, 2.5), (2, NULL), (3, -1.5), (4, 1.0)";

/// Each result row's values joined by `|`, or the error.
fn result_rows(sql: &str) -> Result<Vec<String>, String> {
    let mut session = Session::new();
    session.execute(BUG_TABLE).map_err(|e| e.to_string())?;
    match session.execute(sql).map_err(|e| e.to_string())?.pop() {
        Some(Outcome::Rows(r)) => Ok(r
            .table
            .to_rows()
            .iter()
            .map(|row| {
                row.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()),
        other => Err(format!("not rows: {other:?}")),
    }
}

#[test]
fn regression_order_by_after_a_set_operation() {
    assert_eq!(
        result_rows("SELECT a FROM t UNION ALL SELECT a FROM t ORDER BY 1 DESC NULLS LAST LIMIT 3"),
        Ok(vec!["4".into(), "4".into(), "3".into()])
    );
}

#[test]
fn regression_count_of_a_constant_null() {
    assert_eq!(
        result_rows("SELECT count(NULL), count(CAST(NULL AS DOUBLE)) FROM t"),
        Ok(vec!["0|0".into()])
    );
}

#[test]
fn regression_a_typed_null_keeps_its_type() {
    assert_eq!(
        result_rows("SELECT CASE WHEN TRUE THEN CAST(NULL AS DOUBLE) END / 4.0"),
        Ok(vec!["NULL".into()])
    );
    assert_eq!(
        result_rows("SELECT max(CAST(NULL AS DOUBLE)) + 1.0"),
        Ok(vec!["NULL".into()])
    );
}

#[test]
fn regression_window_over_an_aggregate() {
    assert_eq!(
        result_rows("SELECT a, sum(min(d)) OVER (ORDER BY a) FROM t GROUP BY a ORDER BY a"),
        Ok(vec![
            "1|2.5".into(),
            "2|2.5".into(),
            "3|1.0".into(),
            "4|2.0".into()
        ])
    );
}

#[test]
fn regression_null_in_an_empty_subquery() {
    assert_eq!(
        result_rows(
            "SELECT NULL IN (SELECT a FROM t WHERE FALSE), NULL NOT IN (SELECT a FROM t WHERE FALSE)"
        ),
        Ok(vec!["false|true".into()])
    );
    assert_eq!(
        result_rows("SELECT count(*) FROM t WHERE d NOT IN (SELECT a FROM t WHERE a > 10)"),
        Ok(vec!["4".into()])
    );
}

#[test]
fn regression_scalar_subquery_type_when_it_returns_null() {
    assert_eq!(
        result_rows("SELECT CASE WHEN TRUE THEN (SELECT max(d) FROM t WHERE FALSE) END + 1.0"),
        Ok(vec!["NULL".into()])
    );
    let mut session = Session::new();
    session.execute(BUG_TABLE).unwrap();
    let Some(Outcome::Rows(r)) = session
        .execute("SELECT (SELECT d FROM t WHERE FALSE)")
        .unwrap()
        .pop()
    else {
        panic!("rows")
    };
    assert_eq!(r.table.fields[0].data_type, sql::DataType::Double);
}
