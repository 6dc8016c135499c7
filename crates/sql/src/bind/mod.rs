//! From the syntax tree to a logical plan: names resolved with PostgreSQL/DataFusion rules
//! (qualified or unqualified columns, ambiguity errors, select aliases usable in GROUP BY,
//! HAVING and ORDER BY but not in WHERE, positional `GROUP BY 1` / `ORDER BY 1`), types checked,
//! aggregates and window functions pulled out of the expressions that use them, and a plan built
//! in the logical evaluation order (`query_to_plan` / `select_to_plan` in DataFusion). Binding
//! runs nothing: subqueries become plans inside expressions, which the executor runs.

use super::error::{did_you_mean, ErrorKind, Position, SqlError};
use super::expr::{coerce, BinOp, Expr, OuterRow, Subquery, SubqueryKind};
use super::functions::ScalarFn;
use super::plan::{
    AggCall, AggFn, Bound, Frame, FrameUnits, JoinKind, Node, Plan, PlanField, SetOp, SortKey,
    WindowCall, WindowFn, WorkingTable,
};
use super::session::Session;
use super::value::{DataType, Value};
use crate::syntax::ast;
use crate::syntax::span::Span;
use std::collections::BTreeMap;
use std::rc::Rc;

mod asof;
mod expr;
mod function;
mod select;
mod window_tvf;
pub(crate) use select::output_name;

/// Items as SQL prints them, separated by commas (for step labels).
fn comma_list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The label of the projection that drops ORDER BY keys not in the select list.
const DROP_KEYS_LABEL: &str = "drop the ORDER BY keys";

/// [`position`] under another name, for closures that shadow it.
fn bind_position(span: Span) -> Option<Position> {
    position(span)
}

pub fn position(span: Span) -> Option<Position> {
    let start = span.start;
    (start.line > 0).then_some(Position {
        line: start.line as usize,
        column: start.column as usize,
    })
}

/// Binds statements of one session.
pub struct Binder<'a> {
    session: &'a Session,
    /// Visible CTEs, innermost last.
    ctes: Vec<BTreeMap<String, Plan>>,
    /// How deep the expression and query being bound nest (bounded so the stack is too).
    depth: usize,
    query_depth: usize,
    /// The queries enclosing the subquery being bound, innermost last: names not found in the
    /// subquery's own FROM are looked up there (a correlated subquery).
    outer: Vec<OuterScope>,
    /// The working tables of the recursive CTEs whose recursive part is being bound.
    working: Vec<Rc<WorkingTable>>,
}

/// An enclosing query's columns as a subquery sees them.
struct OuterScope {
    fields: Vec<PlanField>,
    row: Rc<OuterRow>,
    /// The outer columns read so far, in the order of the outer row's values.
    used: Vec<usize>,
    /// How many references were bound to this scope (a subquery that adds any is correlated).
    references: usize,
}

/// Deepest expression nesting bound (a left-deep `a + b + ...` chain counts each operator).
pub const EXPR_DEPTH_MAX: usize = 128;
/// Deepest subquery nesting bound.
pub const QUERY_DEPTH_MAX: usize = 16;

fn too_deep(what: &str, max: usize) -> SqlError {
    SqlError::new(
        ErrorKind::TooDeep,
        format!("the {what} nests more than {max} levels deep"),
    )
    .with_hint("split it up, e.g. with a WITH clause")
}

/// Aggregates and window functions met while binding one SELECT's expressions.
#[derive(Default)]
struct Collected {
    aggregates: Vec<AggCall>,
    windows: Vec<WindowCall>,
}

/// Where an expression is being bound: which functions are allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clause {
    /// WHERE, ON, GROUP BY: no aggregates, no windows.
    Plain(&'static str),
    /// SELECT, HAVING, ORDER BY: aggregates and windows are collected.
    Collecting,
    /// Inside an aggregate's arguments: no nesting.
    InsideAggregate,
    /// Inside a window function's arguments and OVER: the grouped query's aggregates are
    /// collected, no window function nests.
    InsideWindow,
}

pub(crate) fn ident_name(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

fn object_name(name: &ast::ObjectName) -> Result<String, SqlError> {
    match name.0.as_slice() {
        [i] => Ok(ident_name(i)),
        _ => Err(SqlError::unsupported(format!("the qualified name {name}"))
            .with_hint("tables live in one namespace here: drop the schema prefix")
            .at(position(name.span()))),
    }
}

fn type_error(message: String, span: Span) -> SqlError {
    SqlError::new(ErrorKind::Type, message).at(position(span))
}

/// Maps a SQL type name to ours (its arguments, as in `VARCHAR(20)`, do not matter).
pub fn data_type(t: &ast::DataType) -> Result<DataType, SqlError> {
    Ok(match t.name.as_str() {
        "BOOLEAN" | "BOOL" => DataType::Boolean,
        "BIGINT" | "INT" | "INTEGER" | "INT8" | "INT4" | "INT2" | "SMALLINT" | "TINYINT"
        | "HUGEINT" | "INT64" => DataType::BigInt,
        "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "FLOAT8" | "FLOAT4" | "REAL" | "DECIMAL"
        | "NUMERIC" | "FLOAT64" => DataType::Double,
        "TEXT" | "VARCHAR" | "CHAR" | "CHARACTER VARYING" | "CHARACTER" | "STRING" => {
            DataType::Text
        }
        "DATE" => DataType::Date,
        "TIMESTAMP" | "DATETIME" | "TIMESTAMP WITHOUT TIME ZONE" => DataType::Timestamp,
        "INTERVAL" => DataType::Interval,
        _ => {
            return Err(SqlError::unsupported(format!("the type {t}"))
                .with_hint("use BOOLEAN, BIGINT, DOUBLE, TEXT, DATE, TIMESTAMP or INTERVAL"))
        }
    })
}

fn literal(v: &ast::Value, span: Span) -> Result<Value, SqlError> {
    Ok(match v {
        ast::Value::Number(n) => {
            if let Ok(i) = n.parse::<i64>() {
                Value::BigInt(i)
            } else {
                Value::Double(n.parse().map_err(|_| {
                    SqlError::new(ErrorKind::Syntax, format!("\"{n}\" is not a number"))
                        .at(position(span))
                })?)
            }
        }
        ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => Value::text(s),
        ast::Value::Boolean(b) => Value::Boolean(*b),
        ast::Value::Null => Value::Null,
    })
}

/// Splits `a AND b AND c` into its parts.
fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Binary {
            op: BinOp::And,
            left,
            right,
            ..
        } => {
            conjuncts(*left, out);
            conjuncts(*right, out);
        }
        other => out.push(other),
    }
}

/// Checks that a recursive CTE's recursive part has its anchor's columns, each of a type that
/// casts to the anchor's: the anchor fixes the types (as in PostgreSQL).
fn recursive_types(
    cte: &ast::Cte,
    name: &str,
    anchor: &[PlanField],
    recursive: &[PlanField],
) -> Result<(), SqlError> {
    let span = cte.alias.name.span;
    if anchor.len() != recursive.len() {
        return Err(SqlError::new(
            ErrorKind::Type,
            format!(
                "the recursive CTE \"{name}\" has {} columns in its anchor and {} in its recursive part",
                anchor.len(),
                recursive.len()
            ),
        )
        .at(position(span)));
    }
    for (i, (a, b)) in anchor.iter().zip(recursive).enumerate() {
        let column = cte
            .alias
            .columns
            .get(i)
            .map_or_else(|| a.name.clone(), ident_name);
        if a.data_type != b.data_type
            && (a.data_type == DataType::Null
                || DataType::common(a.data_type, b.data_type) != Some(a.data_type))
        {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "column \"{column}\" of the recursive CTE \"{name}\" is {} in its anchor but {} in its recursive part",
                    a.data_type, b.data_type
                ),
            )
            .with_hint(format!("CAST it in the anchor, e.g. CAST(... AS {})", b.data_type))
            .at(position(span)));
        }
    }
    Ok(())
}

/// A join condition split into hash-join keys (equalities between an expression over the
/// left side and one over the right, the right's renumbered over its own columns) and the rest.
fn hash_keys(predicate: Option<Expr>, n_left: usize) -> (Vec<(Expr, Expr)>, Vec<Expr>) {
    let mut keys = Vec::new();
    let mut residual = Vec::new();
    let mut parts = Vec::new();
    if let Some(p) = predicate {
        conjuncts(p, &mut parts);
    }
    let side = |e: &Expr| match (min_column(e), max_column(e)) {
        (Some(_), Some(hi)) if hi < n_left => Some(true),
        (Some(lo), Some(_)) if lo >= n_left => Some(false),
        _ => None,
    };
    for part in parts {
        if let Expr::Binary {
            op: BinOp::Eq,
            left: a,
            right: b,
            ..
        } = &part
        {
            match (side(a), side(b)) {
                (Some(true), Some(false)) => {
                    keys.push(((**a).clone(), b.remap(&|i| i - n_left)));
                    continue;
                }
                (Some(false), Some(true)) => {
                    keys.push(((**b).clone(), a.remap(&|i| i - n_left)));
                    continue;
                }
                _ => {}
            }
        }
        residual.push(part);
    }
    (keys, residual)
}

fn and_all(mut parts: Vec<Expr>) -> Option<Expr> {
    let first = parts.pop()?;
    Some(parts.into_iter().rev().fold(first, |acc, e| Expr::Binary {
        op: BinOp::And,
        left: Box::new(e),
        right: Box::new(acc),
        data_type: DataType::Boolean,
    }))
}

fn max_column(e: &Expr) -> Option<usize> {
    let mut cols = Vec::new();
    e.columns(&mut cols);
    cols.into_iter().max()
}

fn min_column(e: &Expr) -> Option<usize> {
    let mut cols = Vec::new();
    e.columns(&mut cols);
    cols.into_iter().min()
}

impl<'a> Binder<'a> {
    pub fn new(session: &'a Session) -> Binder<'a> {
        Binder {
            session,
            ctes: Vec::new(),
            depth: 0,
            query_depth: 0,
            outer: Vec::new(),
            working: Vec::new(),
        }
    }

    /// Plans a query (WITH, set operations, ORDER BY, LIMIT).
    pub fn query(&mut self, q: &ast::Query) -> Result<Plan, SqlError> {
        if self.query_depth >= QUERY_DEPTH_MAX {
            return Err(too_deep("query", QUERY_DEPTH_MAX));
        }
        self.query_depth += 1;
        let result = self.query_nested(q);
        self.query_depth -= 1;
        result
    }

    fn query_nested(&mut self, q: &ast::Query) -> Result<Plan, SqlError> {
        let mut pushed = false;
        if let Some(with) = &q.with {
            self.ctes.push(BTreeMap::new());
            pushed = true;
            for cte in &with.cte_tables {
                let name = ident_name(&cte.alias.name);
                let recursive = if with.recursive {
                    self.recursive_cte(cte, &name)?
                } else {
                    None
                };
                let mut plan = match recursive {
                    Some(plan) => plan,
                    None => {
                        let plan = self.query(&cte.query)?;
                        rename(plan, &name, &cte.alias.columns, cte.alias.name.span)?
                    }
                };
                // A reference reads as the FROM clause wrote it: "FROM x AS c JOIN ...".
                plan.label = format!("FROM {name}");
                self.ctes.last_mut().expect("pushed").insert(name, plan);
            }
        }
        let result = self.query_body(q);
        if pushed {
            self.ctes.pop();
        }
        result
    }

    /// A CTE of `WITH RECURSIVE` written `anchor UNION [ALL] recursive part` whose recursive
    /// part reads the CTE itself; `None` when it does not (then it is an ordinary CTE).
    fn recursive_cte(&mut self, cte: &ast::Cte, name: &str) -> Result<Option<Plan>, SqlError> {
        let ast::SetExpr::SetOperation {
            left,
            op: ast::SetOperator::Union,
            all,
            right,
        } = cte.query.body.as_ref()
        else {
            return Ok(None);
        };
        let all = *all;
        let span = cte.alias.name.span;
        let anchor = self.set_expr(left)?;
        let working = Rc::new(WorkingTable::default());
        let previous = Plan {
            node: Node::WorkingTable {
                working: working.clone(),
            },
            fields: anchor.fields.clone(),
            label: format!("the rows the previous round of {name} added"),
        };
        let mut previous = rename(previous, name, &cte.alias.columns, span)?;
        previous.label = format!("FROM {name} (the rows the previous round added)");
        let scope = self.ctes.last_mut().expect("pushed by the caller");
        scope.insert(name.to_string(), previous);
        self.working.push(working.clone());
        let recursive = self.set_expr(right);
        self.working.pop();
        self.ctes
            .last_mut()
            .expect("pushed by the caller")
            .remove(name);
        let recursive = recursive?;
        if !recursive.reads(&working) {
            return Ok(None);
        }
        recursive_types(cte, name, &anchor.fields, &recursive.fields)?;
        let recursive = cast_to(recursive, &anchor.fields);
        // The CTE's own column names (the trace shows this step's table under them).
        let mut fields = anchor.fields.clone();
        for (f, c) in fields.iter_mut().zip(&cte.alias.columns) {
            f.name = ident_name(c);
        }
        let plan = Plan {
            node: Node::RecursiveUnion {
                anchor: Box::new(anchor),
                recursive: Box::new(recursive),
                working,
                all,
            },
            fields,
            label: format!("WITH RECURSIVE {name}"),
        };
        Ok(Some(rename(plan, name, &cte.alias.columns, span)?))
    }

    fn query_body(&mut self, q: &ast::Query) -> Result<Plan, SqlError> {
        let order_by = &q.order_by;
        let plan = match q.body.as_ref() {
            ast::SetExpr::Select(select) => self.select(select, order_by)?,
            body => {
                let plan = self.set_expr(body)?;
                if order_by.is_empty() {
                    plan
                } else {
                    self.order_output(plan, order_by)?
                }
            }
        };
        match &q.limit_clause {
            Some(clause) => limit(plan, clause),
            None => Ok(plan),
        }
    }

    fn set_expr(&mut self, body: &ast::SetExpr) -> Result<Plan, SqlError> {
        match body {
            ast::SetExpr::Select(select) => self.select(select, &[]),
            ast::SetExpr::Query(q) => self.query(q),
            ast::SetExpr::Values(values) => self.values(values),
            ast::SetExpr::SetOperation {
                left,
                op,
                all,
                right,
            } => {
                let l = self.set_expr(left)?;
                let r = self.set_expr(right)?;
                let op_kind = match op {
                    ast::SetOperator::Union => SetOp::Union,
                    ast::SetOperator::Intersect => SetOp::Intersect,
                    ast::SetOperator::Except => SetOp::Except,
                };
                let all = *all;
                if l.fields.len() != r.fields.len() {
                    return Err(SqlError::new(
                        ErrorKind::Type,
                        format!(
                            "each {op} query must have the same number of columns ({} and {})",
                            l.fields.len(),
                            r.fields.len()
                        ),
                    ));
                }
                let mut fields = Vec::new();
                for (a, b) in l.fields.iter().zip(&r.fields) {
                    let t = DataType::common(a.data_type, b.data_type).ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::Type,
                            format!(
                                "{op} types {} and {} cannot be matched (column \"{}\")",
                                a.data_type, b.data_type, a.name
                            ),
                        )
                        .with_hint("CAST one side to the other's type")
                    })?;
                    fields.push(PlanField {
                        qualifier: None,
                        name: a.name.clone(),
                        data_type: t,
                        hidden: false,
                    });
                }
                let l = cast_to(l, &fields);
                let r = cast_to(r, &fields);
                let label = format!("{op}{}", if all { " ALL" } else { "" });
                Ok(Plan {
                    node: Node::SetOperation {
                        left: Box::new(l),
                        right: Box::new(r),
                        op: op_kind,
                        all,
                    },
                    fields,
                    label,
                })
            }
        }
    }

    /// VALUES: each column's type is the common type of its cells, each cell cast to it.
    fn values(&mut self, values: &ast::Values) -> Result<Plan, SqlError> {
        let width = values.rows.first().map_or(0, |r| r.content.len());
        let mut rows: Vec<Vec<Expr>> = Vec::new();
        let mut types = vec![DataType::Null; width];
        for row in &values.rows {
            if row.content.len() != width {
                return Err(SqlError::new(
                    ErrorKind::Type,
                    "VALUES lists must all be the same length",
                )
                .at(position(row.span)));
            }
            let mut out = Vec::with_capacity(width);
            for (i, e) in row.content.iter().enumerate() {
                let cell = self.values_cell(e)?;
                types[i] = DataType::common(types[i], cell.data_type()).ok_or_else(|| {
                    type_error(
                        format!(
                            "VALUES column {} mixes {} and {}",
                            i + 1,
                            types[i],
                            cell.data_type()
                        ),
                        e.span(),
                    )
                })?;
                out.push(cell);
            }
            rows.push(out);
        }
        let fields: Vec<PlanField> = types
            .iter()
            .enumerate()
            .map(|(i, t)| PlanField {
                qualifier: None,
                name: format!("column{}", i + 1),
                data_type: if *t == DataType::Null {
                    DataType::Text
                } else {
                    *t
                },
                hidden: false,
            })
            .collect();
        let rows: Vec<Vec<Expr>> = rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .zip(&fields)
                    .map(|(cell, f)| match cell {
                        Expr::Literal(v) => Ok(Expr::Literal(super::expr::cast(&v, f.data_type)?)),
                        cell => Ok(coerce(cell, f.data_type)),
                    })
                    .collect::<Result<Vec<Expr>, SqlError>>()
            })
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            node: Node::Values { rows },
            fields,
            label: "VALUES".into(),
        })
    }

    /// One VALUES cell. A constant is evaluated now, and its value's type is its column's
    /// (`VALUES (NULL)` is TEXT); a cell with a subquery or an outer query's value is evaluated
    /// when the plan runs, and its expression's type is its column's.
    fn values_cell(&mut self, e: &ast::Expr) -> Result<Expr, SqlError> {
        let bound = self.expr(e, &[], Clause::Plain("VALUES"), &mut Collected::default())?;
        if bound.contains(&|x| matches!(x, Expr::Subquery { .. } | Expr::Outer { .. })) {
            return Ok(bound);
        }
        let one_row = super::column::Table {
            fields: Vec::new(),
            columns: Vec::new(),
            rows: 1,
        };
        Ok(Expr::Literal(bound.eval_row(&one_row, 0)?))
    }

    /// FROM: one relation, or several (a comma is a CROSS JOIN).
    fn from(&mut self, from: &[ast::TableWithJoins]) -> Result<Plan, SqlError> {
        let mut plan: Option<Plan> = None;
        for twj in from {
            let mut p = self.table_factor(&twj.relation)?;
            let alone = from.len() == 1 && twj.joins.is_empty();
            if !alone && window_tvf::is_session(&p) {
                return Err(window_tvf::session_not_alone().at(position(twj.relation.span())));
            }
            for join in &twj.joins {
                let right = self.table_factor(&join.relation)?;
                if window_tvf::is_session(&right) {
                    return Err(window_tvf::session_not_alone().at(position(join.relation.span())));
                }
                p = self.join(p, right, join)?;
            }
            plan = Some(match plan {
                None => p,
                Some(left) => self.cross(left, p),
            });
        }
        // SELECT without FROM: one row, no columns.
        Ok(plan.unwrap_or_else(|| Plan {
            node: Node::Values {
                rows: vec![Vec::new()],
            },
            fields: Vec::new(),
            label: "(no FROM: one row)".into(),
        }))
    }

    fn cross(&self, left: Plan, right: Plan) -> Plan {
        let mut fields = left.fields.clone();
        fields.extend(right.fields.clone());
        let label = format!(
            "FROM {} CROSS JOIN {}",
            left.label.trim_start_matches("FROM "),
            right.label.trim_start_matches("FROM ")
        );
        Plan {
            node: Node::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind: JoinKind::Cross,
                keys: Vec::new(),
                residual: None,
            },
            fields,
            label,
        }
    }

    /// A table by name: a CTE in scope, else a table of the session.
    fn named_table(&self, table_name: &str, span: Span) -> Result<Plan, SqlError> {
        if let Some(cte) = self.ctes.iter().rev().find_map(|c| c.get(table_name)) {
            Ok(cte.clone())
        } else if let Some(source) = self.session.table(table_name) {
            let table = source.table().clone();
            let fields = table
                .fields
                .iter()
                .map(|f| PlanField {
                    qualifier: Some(table_name.to_string()),
                    name: f.name.clone(),
                    data_type: f.data_type,
                    hidden: false,
                })
                .collect();
            Ok(Plan {
                node: Node::Scan { table },
                fields,
                label: format!("FROM {table_name}"),
            })
        } else {
            let mut names: Vec<&str> = self.session.tables().keys().map(String::as_str).collect();
            names.extend(self.ctes.iter().flat_map(|c| c.keys().map(String::as_str)));
            let mut e = SqlError::new(
                ErrorKind::UnknownTable,
                format!("there is no table \"{table_name}\""),
            )
            .at(position(span));
            e.hint = Some(
                did_you_mean(table_name, names.iter().copied())
                    .unwrap_or_else(|| format!("the tables are: {}", names.join(", "))),
            );
            Err(e)
        }
    }

    fn table_factor(&mut self, tf: &ast::TableFactor) -> Result<Plan, SqlError> {
        match tf {
            ast::TableFactor::Table {
                name, alias, args, ..
            } => {
                let (plan, default_alias) = match args {
                    Some(args) => self.window_tvf(name, args)?,
                    None => {
                        let table_name = object_name(name)?;
                        (self.named_table(&table_name, name.span())?, table_name)
                    }
                };
                match alias {
                    Some(a) => rename(plan, &ident_name(&a.name), &a.columns, a.name.span),
                    None => Ok(requalify(plan, &default_alias)),
                }
            }
            ast::TableFactor::Derived {
                subquery, alias, ..
            } => {
                let plan = self.query(subquery)?;
                match alias {
                    Some(a) => rename(plan, &ident_name(&a.name), &a.columns, a.name.span),
                    None => Ok(requalify(plan, "subquery")),
                }
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias,
                ..
            } => {
                let plan = self.from(std::slice::from_ref(table_with_joins))?;
                match alias {
                    Some(a) => rename(plan, &ident_name(&a.name), &a.columns, a.name.span),
                    None => Ok(plan),
                }
            }
        }
    }

    /// `left` joined with `right`, the relation `join` names.
    fn join(&mut self, left: Plan, right: Plan, join: &ast::Join) -> Result<Plan, SqlError> {
        use ast::JoinOperator as J;
        let (kind, constraint) = match &join.join_operator {
            J::Inner(c) => (JoinKind::Inner, c),
            J::Left(c) => (JoinKind::Left, c),
            J::Right(c) => (JoinKind::Right, c),
            J::FullOuter(c) => (JoinKind::Full, c),
            J::CrossJoin => (JoinKind::Cross, &ast::JoinConstraint::None),
            J::AsOf {
                left: keep,
                constraint,
            } => return self.asof_join(left, right, *keep, constraint),
            J::Semi(_) => {
                return Err(
                    SqlError::new(ErrorKind::Unsupported, "SEMI JOIN is not supported")
                        .with_hint("write WHERE EXISTS (SELECT ... WHERE ...) instead")
                        .at(position(join.relation.span())),
                )
            }
        };
        let n_left = left.fields.len();
        let mut fields = left.fields.clone();
        fields.extend(right.fields.clone());
        let (predicate, using_label) =
            self.join_condition(kind, constraint, &left, &right, &mut fields)?;
        let (keys, residual) = hash_keys(predicate, n_left);
        let on_text = match constraint {
            ast::JoinConstraint::On(e) => format!(" ON {e}"),
            _ => using_label,
        };
        let label = format!(
            "{} {} {}{on_text}",
            left.label.trim_start_matches("FROM "),
            kind.name(),
            right.label.trim_start_matches("FROM ")
        );
        Ok(Plan {
            node: Node::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                keys,
                residual: and_all(residual),
            },
            fields,
            label: format!("FROM {label}"),
        })
    }

    /// A join's condition over both sides' `fields` (ON, USING or NATURAL; none for CROSS
    /// JOIN), and for USING and NATURAL the label's words for it. USING hides the right side's
    /// copies of its columns.
    fn join_condition(
        &mut self,
        kind: JoinKind,
        constraint: &ast::JoinConstraint,
        left: &Plan,
        right: &Plan,
        fields: &mut [PlanField],
    ) -> Result<(Option<Expr>, String), SqlError> {
        match constraint {
            ast::JoinConstraint::None => {
                if kind != JoinKind::Cross {
                    return Err(SqlError::new(
                        ErrorKind::Syntax,
                        format!("{} needs ON or USING", kind.name()),
                    )
                    .with_hint("add ON left.key = right.key, or write CROSS JOIN"));
                }
                Ok((None, String::new()))
            }
            ast::JoinConstraint::On(e) => Ok((
                Some(self.condition(e, fields, "JOIN ... ON")?),
                String::new(),
            )),
            ast::JoinConstraint::Using(names) => {
                let named: Vec<(String, Span)> =
                    names.iter().map(|n| (ident_name(n), n.span)).collect();
                let predicate = using(left, right, fields, &named)?;
                Ok((predicate, format!(" USING ({})", comma_list(names))))
            }
            ast::JoinConstraint::Natural => {
                // Every visible column name the two sides share (none is refused, as DuckDB
                // does: PostgreSQL would pair every row, rarely what was meant).
                let mut named: Vec<(String, Span)> = Vec::new();
                for f in left.fields.iter().filter(|f| !f.hidden) {
                    let shared = right.fields.iter().any(|r| !r.hidden && r.name == f.name);
                    if shared && !named.iter().any(|(n, _)| *n == f.name) {
                        named.push((f.name.clone(), Span::empty()));
                    }
                }
                if named.is_empty() {
                    return Err(SqlError::new(
                        ErrorKind::UnknownColumn,
                        "NATURAL JOIN: the two sides share no column name",
                    )
                    .with_hint("write CROSS JOIN to pair every row, or JOIN ... ON a condition"));
                }
                let predicate = using(left, right, fields, &named)?;
                let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                Ok((
                    predicate,
                    format!(" (NATURAL: USING ({}))", names.join(", ")),
                ))
            }
        }
    }

    /// A boolean condition (WHERE, ON) over `fields`.
    fn condition(
        &mut self,
        e: &ast::Expr,
        fields: &[PlanField],
        clause: &'static str,
    ) -> Result<Expr, SqlError> {
        let bound = self.expr(e, fields, Clause::Plain(clause), &mut Collected::default())?;
        match bound.data_type() {
            DataType::Boolean | DataType::Null => Ok(bound),
            t => Err(type_error(
                format!("the {clause} condition must be BOOLEAN, not {t}"),
                e.span(),
            )
            .with_hint("compare it with something, e.g. x = 1")),
        }
    }

    /// ORDER BY over a set operation's output columns (by name or position).
    fn order_output(
        &mut self,
        plan: Plan,
        order_by: &[ast::OrderByExpr],
    ) -> Result<Plan, SqlError> {
        let mut keys = Vec::new();
        for o in order_by {
            // ORDER BY 2: the second output column.
            let position = match &o.expr {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(n) => Some((n.parse::<usize>().unwrap_or(0), v.span)),
                    _ => None,
                },
                _ => None,
            };
            let expr = match position {
                Some((i, span)) => plan
                    .fields
                    .get(i.wrapping_sub(1))
                    .map(|f| Expr::Column {
                        index: i - 1,
                        data_type: f.data_type,
                    })
                    .ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::UnknownColumn,
                            format!("ORDER BY position {i} is not in the select list"),
                        )
                        .at(bind_position(span))
                    })?,
                None => self.expr(
                    &o.expr,
                    &plan.fields,
                    Clause::Plain("ORDER BY"),
                    &mut Collected::default(),
                )?,
            };
            let (descending, nulls_first) = sort_options(o);
            keys.push(SortKey {
                expr,
                descending,
                nulls_first,
            });
        }
        Ok(Plan {
            fields: plan.fields.clone(),
            label: format!("ORDER BY {}", comma_list(order_by)),
            node: Node::Sort {
                input: Box::new(plan),
                keys,
            },
        })
    }
}

/// LIMIT and OFFSET over `plan`. Over ORDER BY they go under the projection that drops hidden
/// ORDER BY keys, right on the sort (which then only has to find the first rows).
fn limit(plan: Plan, clause: &ast::LimitClause) -> Result<Plan, SqlError> {
    let (limit, offset, label) = limit_offset(clause)?;
    Ok(match plan {
        Plan {
            node: Node::Project { input, exprs },
            fields,
            label: drop_label,
        } if matches!(input.node, Node::Sort { .. }) && drop_label == DROP_KEYS_LABEL => {
            let limited = Plan {
                fields: input.fields.clone(),
                node: Node::Limit {
                    input,
                    limit,
                    offset,
                },
                label,
            };
            Plan {
                node: Node::Project {
                    input: Box::new(limited),
                    exprs,
                },
                fields,
                label: drop_label,
            }
        }
        plan => Plan {
            fields: plan.fields.clone(),
            node: Node::Limit {
                input: Box::new(plan),
                limit,
                offset,
            },
            label,
        },
    })
}

/// LIMIT's count (none for no LIMIT or LIMIT NULL), OFFSET's (0 without one), and the step's
/// label.
fn limit_offset(clause: &ast::LimitClause) -> Result<(Option<u64>, u64, String), SqlError> {
    let (limit, offset) = match clause {
        ast::LimitClause::LimitOffset { limit, offset } => (limit.clone(), offset.clone()),
        ast::LimitClause::OffsetCommaLimit { offset, limit } => {
            (Some(limit.clone()), Some(offset.clone()))
        }
    };
    let limit_n = limit.as_ref().map(|l| count(l, "LIMIT")).transpose()?;
    let offset_n = offset
        .as_ref()
        .map(|o| count(o, "OFFSET"))
        .transpose()?
        .unwrap_or(0);
    let mut label = String::new();
    if let Some(l) = &limit {
        label.push_str(&format!("LIMIT {l}"));
    }
    if let Some(o) = &offset {
        label.push_str(&format!(
            "{}OFFSET {o}",
            if label.is_empty() { "" } else { " " }
        ));
    }
    Ok((limit_n.filter(|l| *l != u64::MAX), offset_n, label))
}

/// LIMIT's or OFFSET's number (`u64::MAX` for NULL).
fn count(e: &ast::Expr, what: &str) -> Result<u64, SqlError> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n) => n.parse().map_err(|_| {
                SqlError::new(
                    ErrorKind::Type,
                    format!("{what} must be a whole number, not {n}"),
                )
                .at(position(v.span))
            }),
            ast::Value::Null => Ok(u64::MAX),
            _ => Err(
                SqlError::new(ErrorKind::Type, format!("{what} must be a whole number"))
                    .at(position(v.span)),
            ),
        },
        other => Err(SqlError::unsupported(format!("{what} {other}"))
            .with_hint(format!("{what} takes a number"))
            .at(position(other.span()))),
    }
}

pub fn window_name(f: WindowFn) -> &'static str {
    match f {
        WindowFn::RowNumber => "row_number",
        WindowFn::Rank => "rank",
        WindowFn::DenseRank => "dense_rank",
        WindowFn::Lag => "lag",
        WindowFn::Lead => "lead",
        WindowFn::FirstValue => "first_value",
        WindowFn::LastValue => "last_value",
        WindowFn::Aggregate(a) => a.name(),
    }
}

/// (descending, nulls first): NULLs sort last by default in both directions, as in DuckDB
/// (PostgreSQL puts them first for DESC).
fn sort_options(o: &ast::OrderByExpr) -> (bool, bool) {
    (o.asc == Some(false), o.nulls_first.unwrap_or(false))
}

/// `JOIN ... USING (names)`: the equalities between the sides' columns of those names (each
/// coerced to a common type), with the right side's copies hidden from `*` and unqualified names.
fn using(
    left: &Plan,
    right: &Plan,
    fields: &mut [PlanField],
    names: &[(String, Span)],
) -> Result<Option<Expr>, SqlError> {
    let n_left = left.fields.len();
    let mut parts = Vec::new();
    for (name, span) in names {
        let find = |fs: &[PlanField]| fs.iter().position(|f| f.name == *name && !f.hidden);
        let (Some(l), Some(r)) = (find(&left.fields), find(&right.fields)) else {
            return Err(SqlError::new(
                ErrorKind::UnknownColumn,
                format!("column \"{name}\" of USING is not on both sides of the join"),
            )
            .at(position(*span)));
        };
        fields[n_left + r].hidden = true;
        let (lt, rt) = (left.fields[l].data_type, right.fields[r].data_type);
        let t = DataType::common(lt, rt).ok_or_else(|| {
            type_error(
                format!("USING column \"{name}\" is {lt} on the left and {rt} on the right"),
                *span,
            )
        })?;
        parts.push(Expr::Binary {
            op: BinOp::Eq,
            left: Box::new(coerce(
                Expr::Column {
                    index: l,
                    data_type: lt,
                },
                t,
            )),
            right: Box::new(coerce(
                Expr::Column {
                    index: n_left + r,
                    data_type: rt,
                },
                t,
            )),
            data_type: DataType::Boolean,
        });
    }
    Ok(and_all(parts))
}

/// The same plan under a new table alias (and optionally new column names).
fn rename(plan: Plan, alias: &str, columns: &[ast::Ident], span: Span) -> Result<Plan, SqlError> {
    let mut fields = plan.fields.clone();
    let visible: Vec<usize> = (0..fields.len()).filter(|i| !fields[*i].hidden).collect();
    if columns.len() > visible.len() {
        return Err(SqlError::new(
            ErrorKind::Type,
            format!(
                "\"{alias}\" has {} columns but {} names were given",
                visible.len(),
                columns.len()
            ),
        )
        .at(position(span)));
    }
    for (c, i) in columns.iter().zip(&visible) {
        fields[*i].name = ident_name(c);
    }
    for f in &mut fields {
        f.qualifier = Some(alias.to_string());
    }
    let label = plan.label.clone();
    Ok(Plan {
        node: Node::Rename {
            input: Box::new(plan),
        },
        fields,
        label: format!("{label} AS {alias}"),
    })
}

fn requalify(mut plan: Plan, alias: &str) -> Plan {
    for f in &mut plan.fields {
        f.qualifier = Some(alias.to_string());
    }
    plan
}

fn cast_to(plan: Plan, fields: &[PlanField]) -> Plan {
    if plan
        .fields
        .iter()
        .zip(fields)
        .all(|(a, b)| a.data_type == b.data_type)
    {
        return plan;
    }
    let exprs = plan
        .fields
        .iter()
        .enumerate()
        .zip(fields)
        .map(|((i, f), to)| {
            coerce(
                Expr::Column {
                    index: i,
                    data_type: f.data_type,
                },
                to.data_type,
            )
        })
        .collect();
    let label = plan.label.clone();
    Plan {
        node: Node::Project {
            input: Box::new(plan),
            exprs,
        },
        fields: fields.to_vec(),
        label,
    }
}
