//! Bound expressions: names resolved to column positions, types known, and their evaluation over
//! a table, column at a time, with three-valued logic. Comparisons and arithmetic on BIGINT and
//! DOUBLE columns run on the typed vectors; everything else goes value by value.
//!
//! A subquery is an expression too ([`Expr::Subquery`]) holding its own plan. An uncorrelated
//! one runs once per query; a correlated one reads the outer row through [`Expr::Outer`] and runs
//! once per distinct outer row. Either way the executor runs it before the expression is
//! evaluated and puts its results in its place ([`Expr::Literal`], [`Expr::InValues`],
//! [`Expr::Computed`]), so evaluation itself never runs a plan.

use super::column::{Column, ColumnData, Table};
use super::error::{ErrorKind, Position, SqlError};
use super::functions::{self, ScalarFn};
use super::plan::Plan;
use super::value::{cmp_f64, DataType, Interval, Value, MICROS_PER_DAY};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::convert::Infallible;
use std::rc::Rc;

mod true_rows;

/// The values of the outer row a correlated subquery is running for, set by the executor before
/// each run. Equal only to itself: two subqueries' rows are different rows.
#[derive(Debug, Default)]
pub struct OuterRow(pub RefCell<Vec<Value>>);

impl PartialEq for OuterRow {
    fn eq(&self, other: &OuterRow) -> bool {
        std::ptr::eq(self, other)
    }
}

/// What a subquery gives (for each outer row, when it is correlated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubqueryKind {
    /// `[NOT] EXISTS (...)`: whether it returns any row.
    Exists { negated: bool },
    /// `(SELECT x ...)`: its one value, NULL without rows, an error with more than one.
    Scalar,
    /// `operand [NOT] IN (SELECT x ...)`, the operand being the call's last argument.
    In { negated: bool },
}

/// A subquery in an expression: its plan, and what the expression takes from its rows.
#[derive(Debug)]
pub struct Subquery {
    pub plan: Plan,
    /// The outer row its plan reads (its [`Expr::Outer`]s) when it is correlated; `None` when it
    /// reads none, and then it runs once per query, however many rows use it.
    pub outer_row: Option<Rc<OuterRow>>,
    pub kind: SubqueryKind,
    /// The scalar's type, or for IN the type both sides are compared in.
    pub data_type: DataType,
    /// The subquery's text, for EXPLAIN, the trace and errors.
    pub text: String,
    /// Where it is in the query text, for its errors.
    pub position: Option<Position>,
}

impl Subquery {
    pub fn is_correlated(&self) -> bool {
        self.outer_row.is_some()
    }
}

/// Two bindings of the same uncorrelated subquery are equal (a select item and its repetition
/// in GROUP BY); a correlated one is equal only to itself, since its outer row is its own. The
/// cheap fields are compared first, the plans only when all those agree.
impl PartialEq for Subquery {
    fn eq(&self, other: &Subquery) -> bool {
        std::ptr::eq(self, other)
            || (self.text == other.text
                && self.kind == other.kind
                && self.data_type == other.data_type
                && self.outer_row == other.outer_row
                && self.plan == other.plan)
    }
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
    Concat,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Plus => "+",
            BinOp::Minus => "-",
            BinOp::Multiply => "*",
            BinOp::Divide => "/",
            BinOp::Modulo => "%",
            BinOp::Eq => "=",
            BinOp::NotEq => "<>",
            BinOp::Lt => "<",
            BinOp::LtEq => "<=",
            BinOp::Gt => ">",
            BinOp::GtEq => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
            BinOp::Concat => "||",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq
        )
    }
}

/// A bound expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Column {
        index: usize,
        data_type: DataType,
    },
    Literal(Value),
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        data_type: DataType,
    },
    Not(Box<Expr>),
    Negate(Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `a IS [NOT] DISTINCT FROM b`.
    IsDistinct {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
        /// The escape character (`\` unless `ESCAPE` names another; none after `ESCAPE ''`).
        escape: Option<char>,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `x IN (subquery)` with the subquery's values computed: what the executor puts in place of
    /// an uncorrelated IN [`Expr::Subquery`] once it has run.
    InValues {
        expr: Box<Expr>,
        values: Rc<ValueSet>,
        negated: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
        data_type: DataType,
    },
    Cast {
        expr: Box<Expr>,
        to: DataType,
    },
    Function {
        func: ScalarFn,
        args: Vec<Expr>,
        data_type: DataType,
    },
    /// Inside a correlated subquery: value `index` of the outer row it runs for.
    Outer {
        row: Rc<OuterRow>,
        index: usize,
        data_type: DataType,
    },
    /// A subquery; `args` are the outer row's values it reads when it is correlated, over the
    /// outer query's columns, then for IN the operand.
    Subquery {
        subquery: Rc<Subquery>,
        args: Vec<Expr>,
    },
    /// A correlated subquery's results, one per row of the table being evaluated.
    Computed(Rc<Column>),
    /// The `index`-th aggregate of the SELECT being bound: only between binding its expressions
    /// and planning its GROUP BY, which makes it a column of the aggregate's output.
    Aggregate {
        index: usize,
        data_type: DataType,
    },
    /// The `index`-th window function of the SELECT being bound: only until it is planned, which
    /// makes it a column of the window step's output.
    Window {
        index: usize,
        data_type: DataType,
    },
}

impl Expr {
    pub fn data_type(&self) -> DataType {
        match self {
            Expr::Column { data_type, .. }
            | Expr::Binary { data_type, .. }
            | Expr::Case { data_type, .. }
            | Expr::Function { data_type, .. }
            | Expr::Aggregate { data_type, .. }
            | Expr::Window { data_type, .. } => *data_type,
            Expr::Literal(v) => v.data_type(),
            Expr::Outer { data_type, .. } => *data_type,
            Expr::Subquery { subquery, .. } => match subquery.kind {
                SubqueryKind::Scalar => subquery.data_type,
                _ => DataType::Boolean,
            },
            Expr::Computed(c) => c.data_type(),
            Expr::Negate(e) => e.data_type(),
            Expr::Cast { to, .. } => *to,
            Expr::Not(_)
            | Expr::IsNull { .. }
            | Expr::IsDistinct { .. }
            | Expr::Like { .. }
            | Expr::InList { .. }
            | Expr::InValues { .. } => DataType::Boolean,
        }
    }

    /// Whether a subquery is in this expression.
    pub fn has_subquery(&self) -> bool {
        self.contains(&|e| matches!(e, Expr::Subquery { .. }))
    }

    /// Whether `found` holds for this expression or one inside it (a subquery's arguments
    /// included, its plan not).
    pub fn contains(&self, found: &dyn Fn(&Expr) -> bool) -> bool {
        found(self) || self.any_child(&mut |c| c.contains(found))
    }

    /// The subqueries in this expression, outermost first.
    pub fn subqueries(&self) -> Vec<Rc<Subquery>> {
        let mut out = Vec::new();
        self.collect_subqueries(&mut out);
        out
    }

    fn collect_subqueries(&self, out: &mut Vec<Rc<Subquery>>) {
        if let Expr::Subquery { subquery, .. } = self {
            out.push(subquery.clone());
        }
        self.any_child(&mut |c| {
            c.collect_subqueries(out);
            false
        });
    }

    /// Whether `f` holds for one of the expressions directly inside this one, tried in order
    /// until it does (a walk without the copy [`Expr::transform`] makes).
    fn any_child(&self, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
        match self {
            Expr::Column { .. }
            | Expr::Literal(_)
            | Expr::Outer { .. }
            | Expr::Computed(_)
            | Expr::Aggregate { .. }
            | Expr::Window { .. } => false,
            Expr::Subquery { args, .. } | Expr::Function { args, .. } => args.iter().any(f),
            Expr::Binary { left, right, .. } | Expr::IsDistinct { left, right, .. } => {
                f(left) || f(right)
            }
            Expr::Like { expr, pattern, .. } => f(expr) || f(pattern),
            Expr::Not(e)
            | Expr::Negate(e)
            | Expr::Cast { expr: e, .. }
            | Expr::IsNull { expr: e, .. }
            | Expr::InValues { expr: e, .. } => f(e),
            Expr::InList { expr, list, .. } => f(expr) || list.iter().any(f),
            Expr::Case {
                operand,
                whens,
                otherwise,
                ..
            } => {
                operand.as_deref().is_some_and(&mut *f)
                    || whens.iter().any(|(w, t)| f(w) || f(t))
                    || otherwise.as_deref().is_some_and(f)
            }
        }
    }

    /// Every column this expression reads.
    pub fn columns(&self, out: &mut Vec<usize>) {
        match self {
            Expr::Column { index, .. } => out.push(*index),
            Expr::Literal(_)
            | Expr::Outer { .. }
            | Expr::Computed(_)
            | Expr::Aggregate { .. }
            | Expr::Window { .. } => {}
            Expr::Subquery { args, .. } => args.iter().for_each(|e| e.columns(out)),
            Expr::Binary { left, right, .. } | Expr::IsDistinct { left, right, .. } => {
                left.columns(out);
                right.columns(out);
            }
            Expr::Not(e) | Expr::Negate(e) | Expr::Cast { expr: e, .. } => e.columns(out),
            Expr::IsNull { expr, .. } | Expr::InValues { expr, .. } => expr.columns(out),
            Expr::Like { expr, pattern, .. } => {
                expr.columns(out);
                pattern.columns(out);
            }
            Expr::InList { expr, list, .. } => {
                expr.columns(out);
                list.iter().for_each(|e| e.columns(out));
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
                ..
            } => {
                operand.iter().for_each(|e| e.columns(out));
                for (w, t) in whens {
                    w.columns(out);
                    t.columns(out);
                }
                otherwise.iter().for_each(|e| e.columns(out));
            }
            Expr::Function { args, .. } => args.iter().for_each(|e| e.columns(out)),
        }
    }

    /// Rewrites column positions (`map(i)` is column i's new position).
    pub fn remap(&self, map: &dyn Fn(usize) -> usize) -> Expr {
        let mut f = |e: &Expr| -> Result<_, Infallible> {
            Ok(match e {
                Expr::Column { index, data_type } => Some(Expr::Column {
                    index: map(*index),
                    data_type: *data_type,
                }),
                _ => None,
            })
        };
        match self.transform(&mut f) {
            Ok(e) => e,
            Err(never) => match never {},
        }
    }

    /// Rebuilds the expression top-down: where `f` returns a replacement it is used as is,
    /// elsewhere the node is kept and its children are transformed. The first error `f` returns
    /// stops the walk.
    pub fn transform<E>(
        &self,
        f: &mut dyn FnMut(&Expr) -> Result<Option<Expr>, E>,
    ) -> Result<Expr, E> {
        if let Some(replaced) = f(self)? {
            return Ok(replaced);
        }
        let mut t = |e: &Expr| -> Result<Box<Expr>, E> { Ok(Box::new(e.transform(f)?)) };
        Ok(match self {
            Expr::Column { .. }
            | Expr::Literal(_)
            | Expr::Outer { .. }
            | Expr::Computed(_)
            | Expr::Aggregate { .. }
            | Expr::Window { .. } => self.clone(),
            Expr::Subquery { subquery, args } => {
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    out.push(a.transform(f)?);
                }
                Expr::Subquery {
                    subquery: subquery.clone(),
                    args: out,
                }
            }
            Expr::Binary {
                op,
                left,
                right,
                data_type,
            } => Expr::Binary {
                op: *op,
                left: t(left)?,
                right: t(right)?,
                data_type: *data_type,
            },
            Expr::Not(e) => Expr::Not(t(e)?),
            Expr::Negate(e) => Expr::Negate(t(e)?),
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: t(expr)?,
                negated: *negated,
            },
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => Expr::IsDistinct {
                left: t(left)?,
                right: t(right)?,
                negated: *negated,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                escape,
            } => Expr::Like {
                expr: t(expr)?,
                pattern: t(pattern)?,
                negated: *negated,
                case_insensitive: *case_insensitive,
                escape: *escape,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let expr = t(expr)?;
                let mut out = Vec::with_capacity(list.len());
                for e in list {
                    out.push(e.transform(f)?);
                }
                Expr::InList {
                    expr,
                    list: out,
                    negated: *negated,
                }
            }
            Expr::InValues {
                expr,
                values,
                negated,
            } => Expr::InValues {
                expr: t(expr)?,
                values: values.clone(),
                negated: *negated,
            },
            Expr::Case {
                operand,
                whens,
                otherwise,
                data_type,
            } => {
                let operand = match operand {
                    Some(e) => Some(Box::new(e.transform(f)?)),
                    None => None,
                };
                let mut ws = Vec::with_capacity(whens.len());
                for (w, th) in whens {
                    ws.push((w.transform(f)?, th.transform(f)?));
                }
                let otherwise = match otherwise {
                    Some(e) => Some(Box::new(e.transform(f)?)),
                    None => None,
                };
                Expr::Case {
                    operand,
                    whens: ws,
                    otherwise,
                    data_type: *data_type,
                }
            }
            Expr::Cast { expr, to } => Expr::Cast {
                expr: t(expr)?,
                to: *to,
            },
            Expr::Function {
                func,
                args,
                data_type,
            } => {
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    out.push(a.transform(f)?);
                }
                Expr::Function {
                    func: *func,
                    args: out,
                    data_type: *data_type,
                }
            }
        })
    }

    /// Evaluates the expression for every row of `table`.
    pub fn eval(&self, table: &Table) -> Result<Column, SqlError> {
        if let Some(column) = self.eval_fast(table)? {
            return Ok(column);
        }
        let n = table.rows;
        let mut out = Column::with_capacity(self.data_type(), n);
        for i in 0..n {
            out.push(&self.eval_row(table, i)?);
        }
        Ok(out)
    }

    /// Like [`Expr::eval`], but a bare column is borrowed from `table` instead of copied.
    pub fn eval_cow<'t>(&self, table: &'t Table) -> Result<std::borrow::Cow<'t, Column>, SqlError> {
        match self {
            Expr::Column { index, .. } => Ok(std::borrow::Cow::Borrowed(&table.columns[*index])),
            _ => Ok(std::borrow::Cow::Owned(self.eval(table)?)),
        }
    }

    /// Typed-vector paths for the common shapes: a column, a literal, a comparison or arithmetic
    /// between numeric columns and literals, AND/OR of booleans.
    fn eval_fast(&self, table: &Table) -> Result<Option<Column>, SqlError> {
        match self {
            Expr::Column { index, .. } => Ok(Some(table.columns[*index].clone())),
            Expr::Computed(c) => Ok(Some((**c).clone())),
            Expr::Literal(v) => Ok(Some(Column::constant(v, self.data_type(), table.rows))),
            Expr::Outer {
                row,
                index,
                data_type,
            } => {
                let v = row.0.borrow().get(*index).cloned().unwrap_or(Value::Null);
                Ok(Some(Column::constant(&v, *data_type, table.rows)))
            }
            Expr::Binary {
                op, left, right, ..
            } if op.is_comparison() => {
                let (Some(l), Some(r)) = (numeric(left, table)?, numeric(right, table)?) else {
                    return Ok(None);
                };
                Ok(Some(compare_numeric(*op, &l, &r, table.rows)))
            }
            Expr::Binary {
                op: op @ (BinOp::And | BinOp::Or),
                left,
                right,
                ..
            } => {
                let l = left.eval(table)?;
                let r = right.eval(table)?;
                Ok(Some(logic(*op, &l, &r)))
            }
            _ => Ok(None),
        }
    }

    /// Evaluates the expression for row `i` of `table`.
    pub fn eval_row(&self, table: &Table, i: usize) -> Result<Value, SqlError> {
        Ok(match self {
            Expr::Column { index, .. } => table.columns[*index].get(i),
            Expr::Computed(c) => c.get(i),
            Expr::Outer { row, index, .. } => {
                row.0.borrow().get(*index).cloned().unwrap_or(Value::Null)
            }
            Expr::Subquery { subquery, .. } => {
                return Err(SqlError::unsupported(format!(
                    "the correlated subquery {} here",
                    subquery.text
                ))
                .with_hint("use it in WHERE, HAVING or the SELECT list, or rewrite it as a JOIN"))
            }
            Expr::Aggregate { .. } | Expr::Window { .. } => {
                return Err(
                    SqlError::unsupported("an aggregate or window function here")
                        .with_hint("use it in the SELECT list, HAVING or ORDER BY"),
                )
            }
            Expr::Literal(v) => v.clone(),
            Expr::Binary {
                op, left, right, ..
            } => {
                let l = left.eval_row(table, i)?;
                match (op, &l) {
                    (BinOp::And, Value::Boolean(false)) => return Ok(Value::Boolean(false)),
                    (BinOp::Or, Value::Boolean(true)) => return Ok(Value::Boolean(true)),
                    _ => {}
                }
                let r = right.eval_row(table, i)?;
                binary(*op, &l, &r)?
            }
            Expr::Not(e) => match e.eval_row(table, i)? {
                Value::Boolean(b) => Value::Boolean(!b),
                _ => Value::Null,
            },
            Expr::Negate(e) => match e.eval_row(table, i)? {
                Value::BigInt(x) => Value::BigInt(x.checked_neg().ok_or_else(overflow)?),
                Value::Double(x) => Value::Double(-x),
                Value::Interval(v) => Value::Interval(Interval {
                    months: -v.months,
                    days: -v.days,
                    micros: -v.micros,
                }),
                _ => Value::Null,
            },
            Expr::IsNull { expr, negated } => {
                Value::Boolean(expr.eval_row(table, i)?.is_null() != *negated)
            }
            Expr::IsDistinct {
                left,
                right,
                negated,
            } => {
                let (l, r) = (left.eval_row(table, i)?, right.eval_row(table, i)?);
                Value::Boolean((l.total_cmp(&r) != Ordering::Equal) != *negated)
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                escape,
            } => match (expr.eval_row(table, i)?, pattern.eval_row(table, i)?) {
                (Value::Text(s), Value::Text(p)) => {
                    Value::Boolean(like(&s, &p, *case_insensitive, *escape) != *negated)
                }
                _ => Value::Null,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval_row(table, i)?;
                let mut values = Vec::with_capacity(list.len());
                for e in list {
                    values.push(e.eval_row(table, i)?);
                }
                in_values(&v, &values, *negated)
            }
            Expr::InValues {
                expr,
                values,
                negated,
            } => values.test(&expr.eval_row(table, i)?, *negated),
            Expr::Case {
                operand,
                whens,
                otherwise,
                ..
            } => {
                let subject = match operand {
                    Some(e) => Some(e.eval_row(table, i)?),
                    None => None,
                };
                for (when, then) in whens {
                    let w = when.eval_row(table, i)?;
                    let hit = match &subject {
                        Some(s) => s.sql_cmp(&w) == Some(Ordering::Equal),
                        None => matches!(w, Value::Boolean(true)),
                    };
                    if hit {
                        return then.eval_row(table, i);
                    }
                }
                match otherwise {
                    Some(e) => e.eval_row(table, i)?,
                    None => Value::Null,
                }
            }
            Expr::Cast { expr, to } => cast(&expr.eval_row(table, i)?, *to)?,
            Expr::Function { func, args, .. } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(a.eval_row(table, i)?);
                }
                functions::call(*func, &values)?
            }
        })
    }
}

/// `e` cast to `to` unless it already has that type (a NULL literal too: CAST(NULL AS t) has
/// type t).
pub fn coerce(e: Expr, to: DataType) -> Expr {
    if e.data_type() == to || to == DataType::Null {
        e
    } else {
        Expr::Cast {
            expr: Box::new(e),
            to,
        }
    }
}

fn overflow() -> SqlError {
    SqlError::new(ErrorKind::Runtime, "BIGINT out of range")
        .with_hint("cast to DOUBLE before the arithmetic")
}

/// A numeric operand as f64 or i64 vectors, when the expression is a numeric column or literal.
enum Numeric<'a> {
    Ints(&'a [i64], Option<&'a [bool]>),
    Floats(&'a [f64], Option<&'a [bool]>),
    Int(i64),
    Float(f64),
    Null,
}

fn numeric<'a>(e: &'a Expr, table: &'a Table) -> Result<Option<Numeric<'a>>, SqlError> {
    Ok(match e {
        Expr::Column { index, .. } => {
            let c = &table.columns[*index];
            let validity = c.validity.as_deref();
            match &c.data {
                ColumnData::BigInt(v) => Some(Numeric::Ints(v, validity)),
                ColumnData::Double(v) => Some(Numeric::Floats(v, validity)),
                _ => None,
            }
        }
        Expr::Literal(Value::BigInt(x)) => Some(Numeric::Int(*x)),
        Expr::Literal(Value::Double(x)) => Some(Numeric::Float(*x)),
        Expr::Literal(Value::Null) => Some(Numeric::Null),
        _ => None,
    })
}

impl Numeric<'_> {
    fn valid(&self, i: usize) -> bool {
        match self {
            Numeric::Ints(_, v) | Numeric::Floats(_, v) => v.is_none_or(|v| v[i]),
            Numeric::Null => false,
            _ => true,
        }
    }

    fn int(&self, i: usize) -> Option<i64> {
        match self {
            Numeric::Ints(v, _) => Some(v[i]),
            Numeric::Int(x) => Some(*x),
            _ => None,
        }
    }

    fn float(&self, i: usize) -> f64 {
        match self {
            Numeric::Ints(v, _) => v[i] as f64,
            Numeric::Floats(v, _) => v[i],
            Numeric::Int(x) => *x as f64,
            Numeric::Float(x) => *x,
            Numeric::Null => 0.0,
        }
    }
}

fn compare_numeric(op: BinOp, l: &Numeric<'_>, r: &Numeric<'_>, n: usize) -> Column {
    // Which orderings pass, indexed by `Ordering as i8 + 1` (Less, Equal, Greater).
    let accept = true_rows::accepted_orderings(op);
    let test = |o: Ordering| accept[(o as i8 + 1) as usize];
    // A column with no NULLs against a literal: one tight loop without branches on the data.
    let bools = |out: Vec<bool>| Column {
        data: ColumnData::Boolean(out),
        validity: None,
    };
    match (l, r) {
        (Numeric::Floats(v, None), Numeric::Float(_) | Numeric::Int(_)) => {
            let test = true_rows::FloatTest::new(r.float(0), accept);
            return bools(v.iter().map(|a| test.passes(*a)).collect());
        }
        (Numeric::Ints(v, None), Numeric::Int(x)) => {
            let [lt_ok, eq_ok, gt_ok] = accept;
            return bools(
                v.iter()
                    .map(|a| (*a < *x) & lt_ok | (a == x) & eq_ok | (*a > *x) & gt_ok)
                    .collect(),
            );
        }
        (Numeric::Ints(v, None), Numeric::Float(x)) => {
            let test = true_rows::FloatTest::new(*x, accept);
            return bools(v.iter().map(|a| test.passes(*a as f64)).collect());
        }
        _ => {}
    }
    let mut out = Vec::with_capacity(n);
    let mut validity: Option<Vec<bool>> = None;
    for i in 0..n {
        if !(l.valid(i) && r.valid(i)) {
            validity.get_or_insert_with(|| vec![true; n])[i] = false;
            out.push(false);
            continue;
        }
        let o = match (l.int(i), r.int(i)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => cmp_f64(l.float(i), r.float(i)),
        };
        out.push(test(o));
    }
    Column {
        data: ColumnData::Boolean(out),
        validity,
    }
}

fn logic(op: BinOp, l: &Column, r: &Column) -> Column {
    let n = l.len();
    let mut out = Vec::with_capacity(n);
    let mut validity: Option<Vec<bool>> = None;
    // Straight from the boolean vectors: no values built.
    let truth = |c: &Column, i: usize| match &c.data {
        ColumnData::Boolean(v) if c.validity.as_ref().is_none_or(|ok| ok[i]) => Some(v[i]),
        _ => None,
    };
    if let (ColumnData::Boolean(a), ColumnData::Boolean(b), None, None) =
        (&l.data, &r.data, &l.validity, &r.validity)
    {
        let out = a
            .iter()
            .zip(b)
            .map(|(x, y)| if op == BinOp::And { *x && *y } else { *x || *y })
            .collect();
        return Column {
            data: ColumnData::Boolean(out),
            validity: None,
        };
    }
    for i in 0..n {
        let v = match (op, truth(l, i), truth(r, i)) {
            (BinOp::And, Some(false), _) | (BinOp::And, _, Some(false)) => Some(false),
            (BinOp::And, Some(true), Some(true)) => Some(true),
            (BinOp::Or, Some(true), _) | (BinOp::Or, _, Some(true)) => Some(true),
            (BinOp::Or, Some(false), Some(false)) => Some(false),
            _ => None,
        };
        match v {
            Some(b) => out.push(b),
            None => {
                validity.get_or_insert_with(|| vec![true; n])[i] = false;
                out.push(false);
            }
        }
    }
    Column {
        data: ColumnData::Boolean(out),
        validity,
    }
}

/// The values of an `IN (subquery)`, hashed: membership costs one lookup, not a pass.
#[derive(Debug, PartialEq)]
pub struct ValueSet {
    /// Lookups only: nothing iterates it.
    members: super::keys::Map<Value, ()>,
    has_null: bool,
}

impl ValueSet {
    fn new(values: Vec<Value>) -> ValueSet {
        let has_null = values.iter().any(Value::is_null);
        ValueSet {
            members: values
                .into_iter()
                .filter(|v| !v.is_null())
                .map(|v| (v, ()))
                .collect(),
            has_null,
        }
    }

    /// The values of an IN subquery's one column, cast to the type both sides compare in.
    pub fn of_column(column: &Column, to: DataType) -> Result<ValueSet, SqlError> {
        let values = (0..column.len())
            .map(|i| cast(&column.get(i), to))
            .collect::<Result<_, _>>()?;
        Ok(ValueSet::new(values))
    }

    /// `v [NOT] IN (the values)` with SQL's NULL rules (as [`in_values`]).
    pub fn test(&self, v: &Value, negated: bool) -> Value {
        if self.members.is_empty() && !self.has_null {
            Value::Boolean(negated)
        } else if v.is_null() {
            Value::Null
        } else if self.members.contains_key(v) {
            Value::Boolean(!negated)
        } else if self.has_null {
            Value::Null
        } else {
            Value::Boolean(negated)
        }
    }
}

/// `v [NOT] IN (values)` with SQL's NULL rules.
fn in_values(v: &Value, values: &[Value], negated: bool) -> Value {
    // Nothing is in an empty list, not even NULL.
    if values.is_empty() {
        return Value::Boolean(negated);
    }
    if v.is_null() {
        return Value::Null;
    }
    let mut saw_null = false;
    for x in values {
        match v.sql_cmp(x) {
            Some(Ordering::Equal) => return Value::Boolean(!negated),
            None => saw_null = true,
            _ => {}
        }
    }
    if saw_null {
        Value::Null
    } else {
        Value::Boolean(negated)
    }
}

/// `LIKE` with `%` and `_` (and `\` escaping either), case-sensitive unless `ILIKE`.
pub fn like(s: &str, pattern: &str, case_insensitive: bool, escape: Option<char>) -> bool {
    let (s, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            s.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (s.chars().collect(), pattern.chars().collect())
    };
    // Iterative matching with backtracking to the last `%`.
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                '%' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                c if Some(c) == escape && pi + 1 < p.len() && p[pi + 1] == s[si] => {
                    pi += 2;
                    si += 1;
                    continue;
                }
                '_' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                c if Some(c) != escape && c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

/// Evaluates a binary operator on two values (NULL in, NULL out, except AND/OR).
pub fn binary(op: BinOp, l: &Value, r: &Value) -> Result<Value, SqlError> {
    use Value::*;
    if op == BinOp::And || op == BinOp::Or {
        let t = |v: &Value| match v {
            Boolean(b) => Some(*b),
            _ => None,
        };
        return Ok(match (op, t(l), t(r)) {
            (BinOp::And, Some(false), _) | (BinOp::And, _, Some(false)) => Boolean(false),
            (BinOp::And, Some(true), Some(true)) => Boolean(true),
            (BinOp::Or, Some(true), _) | (BinOp::Or, _, Some(true)) => Boolean(true),
            (BinOp::Or, Some(false), Some(false)) => Boolean(false),
            _ => Null,
        });
    }
    if l.is_null() || r.is_null() {
        return Ok(Null);
    }
    if op.is_comparison() {
        let o = l.total_cmp(r);
        return Ok(Boolean(match op {
            BinOp::Eq => o == Ordering::Equal,
            BinOp::NotEq => o != Ordering::Equal,
            BinOp::Lt => o == Ordering::Less,
            BinOp::LtEq => o != Ordering::Greater,
            BinOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }));
    }
    let division_by_zero = || {
        SqlError::new(ErrorKind::Runtime, "division by zero").with_hint("guard with NULLIF(x, 0)")
    };
    Ok(match (op, l, r) {
        (BinOp::Concat, a, b) => Value::text(&format!("{a}{b}")),
        (BinOp::Plus, BigInt(a), BigInt(b)) => BigInt(a.checked_add(*b).ok_or_else(overflow)?),
        (BinOp::Minus, BigInt(a), BigInt(b)) => BigInt(a.checked_sub(*b).ok_or_else(overflow)?),
        (BinOp::Multiply, BigInt(a), BigInt(b)) => BigInt(a.checked_mul(*b).ok_or_else(overflow)?),
        (BinOp::Divide, BigInt(_), BigInt(0)) | (BinOp::Modulo, BigInt(_), BigInt(0)) => {
            return Err(division_by_zero())
        }
        (BinOp::Divide, BigInt(a), BigInt(b)) => BigInt(a.checked_div(*b).ok_or_else(overflow)?),
        (BinOp::Modulo, BigInt(a), BigInt(b)) => BigInt(a.checked_rem(*b).ok_or_else(overflow)?),
        (op, BigInt(_) | Double(_), BigInt(_) | Double(_)) => {
            let (a, b) = (as_f64(l), as_f64(r));
            Double(match op {
                BinOp::Plus => a + b,
                BinOp::Minus => a - b,
                BinOp::Multiply => a * b,
                BinOp::Divide if b == 0.0 => return Err(division_by_zero()),
                BinOp::Divide => a / b,
                BinOp::Modulo if b == 0.0 => return Err(division_by_zero()),
                _ => a % b,
            })
        }
        (BinOp::Plus, Date(d), BigInt(n)) | (BinOp::Plus, BigInt(n), Date(d)) => {
            Date(add_days(*d, *n)?)
        }
        (BinOp::Minus, Date(d), BigInt(n)) => {
            Date(add_days(*d, n.checked_neg().ok_or_else(overflow)?)?)
        }
        (BinOp::Minus, Date(a), Date(b)) => BigInt(i64::from(*a) - i64::from(*b)),
        (BinOp::Plus, Timestamp(t), Interval(i)) | (BinOp::Plus, Interval(i), Timestamp(t)) => {
            Timestamp(add_interval(*t, *i, 1)?)
        }
        (BinOp::Minus, Timestamp(t), Interval(i)) => Timestamp(add_interval(*t, *i, -1)?),
        (BinOp::Plus, Date(d), Interval(i)) | (BinOp::Plus, Interval(i), Date(d)) => {
            Timestamp(add_interval(i64::from(*d) * MICROS_PER_DAY, *i, 1)?)
        }
        (BinOp::Minus, Date(d), Interval(i)) => {
            Timestamp(add_interval(i64::from(*d) * MICROS_PER_DAY, *i, -1)?)
        }
        (BinOp::Minus, Timestamp(a), Timestamp(b)) => {
            let micros = a.checked_sub(*b).ok_or_else(overflow)?;
            Interval(super::value::Interval {
                months: 0,
                days: (micros / MICROS_PER_DAY) as i32,
                micros: micros % MICROS_PER_DAY,
            })
        }
        (BinOp::Plus, Interval(a), Interval(b)) => Interval(super::value::Interval {
            months: a.months + b.months,
            days: a.days + b.days,
            micros: a.micros + b.micros,
        }),
        (BinOp::Minus, Interval(a), Interval(b)) => Interval(super::value::Interval {
            months: a.months - b.months,
            days: a.days - b.days,
            micros: a.micros - b.micros,
        }),
        (BinOp::Multiply, Interval(a), BigInt(n)) | (BinOp::Multiply, BigInt(n), Interval(a)) => {
            let n = i32::try_from(*n).map_err(|_| overflow())?;
            Interval(super::value::Interval {
                months: a.months * n,
                days: a.days * n,
                micros: a.micros * i64::from(n),
            })
        }
        _ => {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "cannot apply {} to {} and {}",
                    op.symbol(),
                    l.data_type(),
                    r.data_type()
                ),
            ))
        }
    })
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::BigInt(i) => *i as f64,
        Value::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn add_days(d: i32, n: i64) -> Result<i32, SqlError> {
    i32::try_from(i64::from(d) + n).map_err(|_| overflow())
}

/// A timestamp plus `sign` times an interval: months first (clamping the day to the month's
/// length, as PostgreSQL does), then days, then microseconds.
pub fn add_interval(t: i64, i: Interval, sign: i64) -> Result<i64, SqlError> {
    let days = t.div_euclid(MICROS_PER_DAY);
    let time = t.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = super::value::civil_from_days(days);
    let total = y * 12 + i64::from(m) - 1 + sign * i64::from(i.months);
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let nd = d.min(super::value::days_in_month(ny, nm));
    let days = super::value::days_from_civil(ny, nm, nd) + sign * i64::from(i.days);
    days.checked_mul(MICROS_PER_DAY)
        .and_then(|x| x.checked_add(time))
        .and_then(|x| x.checked_add(sign * i.micros))
        .ok_or_else(overflow)
}

/// `CAST(v AS to)`, PostgreSQL-style: text parses, doubles round to integers, bad input errors.
pub fn cast(v: &Value, to: DataType) -> Result<Value, SqlError> {
    use Value::*;
    let bad = || {
        SqlError::new(
            ErrorKind::Runtime,
            format!("cannot cast {} '{v}' to {to}", v.data_type()),
        )
        .with_hint("check the value, or filter it out first")
    };
    Ok(match (v, to) {
        (Null, _) => Null,
        (v, to) if v.data_type() == to => v.clone(),
        (_, DataType::Text) => Value::text(&v.to_string()),
        (BigInt(i), DataType::Double) => Double(*i as f64),
        (Double(d), DataType::BigInt) => {
            let r = d.round_ties_even();
            if !r.is_finite() || r.abs() >= 9.2e18 {
                return Err(overflow());
            }
            BigInt(r as i64)
        }
        (Boolean(b), DataType::BigInt) => BigInt(i64::from(*b)),
        (BigInt(i), DataType::Boolean) => Boolean(*i != 0),
        (Text(s), DataType::BigInt) => BigInt(s.trim().parse().map_err(|_| bad())?),
        (Text(s), DataType::Double) => Double(s.trim().parse().map_err(|_| bad())?),
        (Text(s), DataType::Boolean) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "on" => Boolean(true),
            "false" | "f" | "no" | "n" | "0" | "off" => Boolean(false),
            _ => return Err(bad()),
        },
        (Text(s), DataType::Date) => Date(super::value::parse_date(s).ok_or_else(bad)?),
        (Text(s), DataType::Timestamp) => {
            Timestamp(super::value::parse_timestamp(s).ok_or_else(bad)?)
        }
        (Text(s), DataType::Interval) => Interval(parse_interval(s).ok_or_else(bad)?),
        (Date(d), DataType::Timestamp) => Timestamp(i64::from(*d) * MICROS_PER_DAY),
        (Timestamp(t), DataType::Date) => Date(t.div_euclid(MICROS_PER_DAY) as i32),
        _ => return Err(bad()),
    })
}

/// Parses an interval such as `5 minutes`, `1 day 2 hours`, `3 months`, `1:30:00`.
pub fn parse_interval(text: &str) -> Option<Interval> {
    let mut out = Interval::default();
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    let mut any = false;
    while i < words.len() {
        let w = words[i];
        if w.contains(':') {
            let t = super::value::parse_timestamp(&format!("1970-01-01 {w}"))?;
            out.micros += t;
            i += 1;
            any = true;
            continue;
        }
        let n: f64 = w.parse().ok()?;
        let unit = words.get(i + 1)?.to_ascii_lowercase();
        let unit = unit.trim_end_matches('s');
        match unit {
            "year" => out.months += (n * 12.0) as i32,
            "month" | "mon" => out.months += n as i32,
            "week" => out.days += (n * 7.0) as i32,
            "day" => out.days += n as i32,
            "hour" => out.micros += (n * 3_600_000_000.0) as i64,
            "minute" | "min" => out.micros += (n * 60_000_000.0) as i64,
            "second" | "sec" => out.micros += (n * 1_000_000.0) as i64,
            "millisecond" | "ms" | "msec" => out.micros += (n * 1000.0) as i64,
            _ => return None,
        }
        i += 2;
        any = true;
    }
    any.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_follows_postgres() {
        assert!(like("apple", "a%", false, Some('\\')));
        assert!(!like("Apple", "a%", false, Some('\\')));
        assert!(like("Apple", "a%", true, Some('\\')));
        assert!(like("exp_a_1", "exp\\_a%", false, Some('\\')));
        assert!(!like("expXa_1", "exp\\_a%", false, Some('\\')));
        assert!(like("abc", "_b_", false, Some('\\')));
        assert!(like("", "%", false, Some('\\')));
        assert!(!like("ab", "a", false, Some('\\')));
        assert!(like("aXbXc", "%b%c", false, Some('\\')));
        assert!(like("100%", "100!%", false, Some('!')));
        assert!(!like("1000", "100!%", false, Some('!')));
        assert!(like("a\\b", "a\\b", false, None));
    }

    #[test]
    fn three_valued_logic() {
        let t = Value::Boolean(true);
        let f = Value::Boolean(false);
        assert_eq!(binary(BinOp::And, &Value::Null, &f).unwrap(), f);
        assert!(binary(BinOp::And, &Value::Null, &t).unwrap().is_null());
        assert_eq!(binary(BinOp::Or, &Value::Null, &t).unwrap(), t);
        assert!(in_values(&Value::BigInt(1), &[Value::BigInt(2), Value::Null], false).is_null());
        assert!(in_values(&Value::BigInt(1), &[Value::BigInt(2), Value::Null], true).is_null());
        assert_eq!(
            binary(BinOp::Divide, &Value::BigInt(-7), &Value::BigInt(2)).unwrap(),
            Value::BigInt(-3)
        );
        assert!(binary(BinOp::Divide, &Value::BigInt(1), &Value::BigInt(0)).is_err());
        assert!(binary(BinOp::Plus, &Value::BigInt(i64::MAX), &Value::BigInt(1)).is_err());
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        let jan31 = super::super::value::parse_timestamp("2024-01-31").unwrap();
        let month = parse_interval("1 month").unwrap();
        let feb = add_interval(jan31, month, 1).unwrap();
        assert_eq!(
            super::super::value::format_timestamp(feb),
            "2024-02-29 00:00:00"
        );
        assert_eq!(
            parse_interval("1 day 2 hours").unwrap(),
            Interval {
                months: 0,
                days: 1,
                micros: 7_200_000_000
            }
        );
    }
}
