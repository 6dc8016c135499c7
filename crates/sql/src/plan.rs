//! Logical plans: one node per step of a query's logical evaluation order (FROM and JOINs, WHERE,
//! GROUP BY, HAVING, window functions, SELECT, DISTINCT, ORDER BY, LIMIT), each with its output
//! columns and a label naming the clause it comes from. The executor runs them bottom-up; the
//! trace shows each node's output; EXPLAIN prints the tree, with the subqueries an expression
//! holds under the node that evaluates it.

use super::column::Table;
use super::expr::{BinOp, Expr, Subquery};
use super::value::DataType;
use std::rc::Rc;

/// An output column of a plan node: its name, the table or alias it belongs to, its type.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanField {
    pub qualifier: Option<String>,
    pub name: String,
    pub data_type: DataType,
    /// Not expanded by `*` and not matched by an unqualified name when another column also
    /// matches (the right side's columns of `JOIN ... USING`).
    pub hidden: bool,
}

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFn {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

impl AggFn {
    pub fn name(self) -> &'static str {
        match self {
            AggFn::CountStar | AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Avg => "avg",
            AggFn::Min => "min",
            AggFn::Max => "max",
        }
    }

    pub fn from_name(name: &str) -> Option<AggFn> {
        Some(match name {
            "count" => AggFn::Count,
            "sum" => AggFn::Sum,
            "avg" | "mean" => AggFn::Avg,
            "min" => AggFn::Min,
            "max" => AggFn::Max,
            _ => return None,
        })
    }
}

/// One aggregate in a GROUP BY (or a window's aggregate).
#[derive(Clone, Debug, PartialEq)]
pub struct AggCall {
    pub func: AggFn,
    pub arg: Option<Expr>,
    pub distinct: bool,
    pub data_type: DataType,
}

/// An ORDER BY key.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// A window function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowFn {
    RowNumber,
    Rank,
    DenseRank,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    Aggregate(AggFn),
}

/// A frame bound, in rows (ROWS) or peer groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    UnboundedPreceding,
    Preceding(u64),
    CurrentRow,
    Following(u64),
    UnboundedFollowing,
}

/// A window frame.
/// What a window frame's bounds count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    /// Physical rows: `CURRENT ROW` is this row alone.
    Rows,
    /// Peers by the ORDER BY value: `CURRENT ROW` reaches the row's last peer. Only UNBOUNDED
    /// and CURRENT ROW bounds are supported.
    Range,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: Bound,
    pub end: Bound,
}

/// A window function call: `func(args) OVER (PARTITION BY ... ORDER BY ... frame)`.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowCall {
    pub func: WindowFn,
    pub args: Vec<Expr>,
    pub distinct: bool,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub frame: Frame,
    pub data_type: DataType,
}

/// How two inputs are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
}

impl JoinKind {
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "INNER JOIN",
            JoinKind::Left => "LEFT JOIN",
            JoinKind::Right => "RIGHT JOIN",
            JoinKind::Full => "FULL JOIN",
            JoinKind::Cross => "CROSS JOIN",
        }
    }
}

/// An ASOF JOIN's inequality, normalized to `left op right`: `left` over the left input, `right`
/// over the right input, `op` one of `<`, `<=`, `>`, `>=`.
#[derive(Clone, Debug, PartialEq)]
pub struct AsofInequality {
    pub left: Expr,
    pub op: BinOp,
    pub right: Expr,
}

impl AsofInequality {
    /// Whether the match is the greatest right value below the left's (`>=`, `>`), rather than
    /// the least one above it (`<=`, `<`).
    pub fn looks_back(&self) -> bool {
        matches!(self.op, BinOp::Gt | BinOp::GtEq)
    }

    /// Whether a right value equal to the left's matches.
    pub fn inclusive(&self) -> bool {
        matches!(self.op, BinOp::GtEq | BinOp::LtEq)
    }
}

/// UNION, INTERSECT, EXCEPT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Intersect,
    Except,
}

/// The logical step a node performs.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Scan {
        table: Rc<Table>,
    },
    /// `VALUES` rows (and the one empty row of a SELECT without FROM), each cell of its column's
    /// type: constants folded to literals, subqueries and outer values evaluated when it runs.
    Values {
        rows: Vec<Vec<Expr>>,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        /// Equality keys: (expression over the left, expression over the right).
        keys: Vec<(Expr, Expr)>,
        /// The rest of the ON condition, over the left's columns then the right's.
        residual: Option<Expr>,
    },
    /// ASOF JOIN (DuckDB's): for each left row, the one right row with equal keys nearest to it
    /// in the inequality's direction; run as a sort-merge.
    AsofJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        /// ASOF LEFT JOIN: keep unmatched left rows, with NULLs for the right's columns.
        keep_unmatched: bool,
        /// Equality keys: (expression over the left, expression over the right).
        keys: Vec<(Expr, Expr)>,
        inequality: AsofInequality,
    },
    Aggregate {
        input: Box<Plan>,
        group_by: Vec<Expr>,
        aggregates: Vec<AggCall>,
    },
    Window {
        input: Box<Plan>,
        calls: Vec<WindowCall>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    Limit {
        input: Box<Plan>,
        limit: Option<u64>,
        offset: u64,
    },
    Distinct {
        input: Box<Plan>,
    },
    SetOperation {
        left: Box<Plan>,
        right: Box<Plan>,
        op: SetOp,
        all: bool,
    },
    /// A window table function in FROM (`TUMBLE`, `HOP`, `SESSION`): each input row once per
    /// window it falls in, with the window's `window_start` and `window_end` appended; a row
    /// whose time is NULL is in no window.
    WindowTvf {
        input: Box<Plan>,
        /// The event-time column among the input's.
        time: usize,
        window: crate::windowed::WindowTvf,
        /// SESSION only: the query's GROUP BY keys other than the window columns, over the
        /// input's columns; each key's rows are sessionized on their own.
        session_keys: Vec<Expr>,
    },
    /// A derived table or CTE reference: the same rows under new names.
    Rename {
        input: Box<Plan>,
    },
    /// `WITH RECURSIVE`: the anchor's rows, then the recursive part run again and again over
    /// the rows the previous round added (its [`Node::WorkingTable`]) until it adds none.
    RecursiveUnion {
        anchor: Box<Plan>,
        recursive: Box<Plan>,
        working: Rc<WorkingTable>,
        /// UNION ALL keeps duplicates; UNION drops rows already produced (which also ends
        /// cycles).
        all: bool,
    },
    /// Inside a recursive CTE's recursive part: the rows the previous round added.
    WorkingTable {
        working: Rc<WorkingTable>,
    },
}

/// The rows a recursive CTE's previous round added, set by the executor before each round.
/// Equal only to itself (two CTEs' working tables are different tables).
#[derive(Debug, Default)]
pub struct WorkingTable(pub std::cell::RefCell<Table>);

impl PartialEq for WorkingTable {
    fn eq(&self, other: &WorkingTable) -> bool {
        std::ptr::eq(self, other)
    }
}

/// A plan node with its output columns and the clause it comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub node: Node,
    pub fields: Vec<PlanField>,
    /// "FROM rides", "WHERE fare > 10", "GROUP BY city": shown by the trace and EXPLAIN.
    pub label: String,
}

impl Plan {
    pub fn children(&self) -> Vec<&Plan> {
        match &self.node {
            Node::Scan { .. } | Node::Values { .. } | Node::WorkingTable { .. } => Vec::new(),
            Node::Filter { input, .. }
            | Node::Project { input, .. }
            | Node::Aggregate { input, .. }
            | Node::Window { input, .. }
            | Node::Sort { input, .. }
            | Node::Limit { input, .. }
            | Node::Distinct { input }
            | Node::WindowTvf { input, .. }
            | Node::Rename { input } => vec![input],
            Node::Join { left, right, .. }
            | Node::AsofJoin { left, right, .. }
            | Node::SetOperation { left, right, .. } => {
                vec![left, right]
            }
            Node::RecursiveUnion {
                anchor, recursive, ..
            } => vec![anchor, recursive],
        }
    }

    /// Whether this plan reads `working` (a recursive CTE's previous round).
    pub fn reads(&self, working: &Rc<WorkingTable>) -> bool {
        match &self.node {
            Node::WorkingTable { working: w } => Rc::ptr_eq(w, working),
            _ => self.children().iter().any(|c| c.reads(working)),
        }
    }

    /// The operator's name for EXPLAIN.
    pub fn operator(&self) -> &'static str {
        match &self.node {
            Node::Scan { .. } => "Scan",
            Node::Values { .. } => "Values",
            Node::Filter { .. } => "Filter",
            Node::Project { .. } => "Project",
            Node::Join { keys, .. } if !keys.is_empty() => "HashJoin",
            Node::Join { .. } => "NestedLoopJoin",
            Node::AsofJoin { .. } => "AsofSortMergeJoin",
            Node::Aggregate { .. } => "HashAggregate",
            Node::Window { .. } => "Window",
            Node::Sort { .. } => "Sort",
            Node::Limit { .. } => "Limit",
            Node::Distinct { .. } => "Distinct",
            Node::SetOperation { .. } => "SetOperation",
            Node::WindowTvf { .. } => "WindowTableFunction",
            Node::Rename { .. } => "Alias",
            Node::RecursiveUnion { .. } => "RecursiveUnion",
            Node::WorkingTable { .. } => "WorkingTable",
        }
    }

    /// EXPLAIN: the tree, root first, one node per line, indented by depth.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        self.explain_into(0, &mut out);
        out
    }

    fn explain_into(&self, depth: usize, out: &mut String) {
        let columns: Vec<&str> = self
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .collect();
        out.push_str(&format!(
            "{}{}: {}  [{}]\n",
            "  ".repeat(depth),
            self.operator(),
            self.label,
            columns.join(", ")
        ));
        for subquery in self.expressions().iter().flat_map(|e| e.subqueries()) {
            let (operator, runs) = if subquery.is_correlated() {
                ("CorrelatedSubquery", "runs once per distinct outer row")
            } else {
                ("Subquery", "runs once, before the query")
            };
            out.push_str(&format!(
                "{}{operator}: {runs}: {}\n",
                "  ".repeat(depth + 1),
                subquery.text
            ));
            subquery.plan.explain_into(depth + 2, out);
        }
        for child in self.children() {
            child.explain_into(depth + 1, out);
        }
    }

    /// The uncorrelated subqueries in this plan, its subqueries' plans included, each once, in
    /// the order they are to run: inputs before the steps reading them, a subquery's own
    /// subqueries before it.
    pub fn uncorrelated_subqueries(&self) -> Vec<Rc<Subquery>> {
        let mut out = Vec::new();
        self.collect_uncorrelated(&mut out);
        out
    }

    fn collect_uncorrelated(&self, out: &mut Vec<Rc<Subquery>>) {
        for child in self.children() {
            child.collect_uncorrelated(out);
        }
        for subquery in self.expressions().iter().flat_map(|e| e.subqueries()) {
            subquery.plan.collect_uncorrelated(out);
            if !subquery.is_correlated() && !out.iter().any(|s| Rc::ptr_eq(s, &subquery)) {
                out.push(subquery);
            }
        }
    }

    /// The expressions this node evaluates.
    fn expressions(&self) -> Vec<&Expr> {
        match &self.node {
            Node::Values { rows } => rows.iter().flatten().collect(),
            Node::Filter { predicate, .. } => vec![predicate],
            Node::Project { exprs, .. } => exprs.iter().collect(),
            Node::Join { keys, residual, .. } => keys
                .iter()
                .flat_map(|(a, b)| [a, b])
                .chain(residual.as_ref())
                .collect(),
            Node::AsofJoin {
                keys, inequality, ..
            } => keys
                .iter()
                .flat_map(|(a, b)| [a, b])
                .chain([&inequality.left, &inequality.right])
                .collect(),
            Node::Aggregate {
                group_by,
                aggregates,
                ..
            } => group_by
                .iter()
                .chain(aggregates.iter().filter_map(|a| a.arg.as_ref()))
                .collect(),
            Node::Window { calls, .. } => calls
                .iter()
                .flat_map(|c| {
                    c.args
                        .iter()
                        .chain(&c.partition_by)
                        .chain(c.order_by.iter().map(|k| &k.expr))
                })
                .collect(),
            Node::Sort { keys, .. } => keys.iter().map(|k| &k.expr).collect(),
            Node::WindowTvf { session_keys, .. } => session_keys.iter().collect(),
            _ => Vec::new(),
        }
    }
}
