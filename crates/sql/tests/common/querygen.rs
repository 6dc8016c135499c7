// The seeded SQL query generator shared by the differential test (`sql_differential.rs`, which
// compares the engine with DuckDB and SQLite) and the distributed equivalence test
// (`distributed_equivalence.rs`, which compares the engine's distributed runs with its
// single-machine runs): small worlds of three tables, and queries as trees rendered per dialect
// (docs/testing.md, "SQL: differential runs"). It is textually included (`include!`) by both, so
// its items keep the privacy of the test that includes it; the includer brings `Rng` and
// `Session` into scope.

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
