//! From sqlparser's AST to a logical plan: names resolved with PostgreSQL/DataFusion rules
//! (qualified or unqualified columns, ambiguity errors, select aliases usable in GROUP BY,
//! HAVING and ORDER BY but not in WHERE, positional `GROUP BY 1` / `ORDER BY 1`), types checked,
//! aggregates and window functions pulled out of the expressions that use them, and a plan built
//! in the logical evaluation order (`query_to_plan` / `select_to_plan` in DataFusion).

use super::error::{did_you_mean, ErrorKind, Position, SqlError};
use super::expr::{BinOp, Correlated, Expr, OuterRow, SubqueryKind};
use super::functions::ScalarFn;
use super::plan::{
    AggCall, AggFn, Bound, Frame, JoinKind, Node, Plan, PlanField, SetOp, SortKey, WindowCall,
    WindowFn, WorkingTable,
};
use super::session::Session;
use super::value::{DataType, Value};
use sqlparser::ast::{self, Spanned};
use std::collections::BTreeMap;
use std::rc::Rc;

mod expr;

/// Column positions at or above this stand for the `n`-th aggregate of a SELECT being bound
/// (below 2^31, so it fits wasm32's 32-bit `usize`; no table has 2^28 columns).
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
const AGG_BASE: usize = 1 << 28;
/// Column positions at or above this stand for the `n`-th window function.
const WINDOW_BASE: usize = 1 << 29;

/// Runs an uncorrelated subquery while binding (for `IN (SELECT ...)`, `EXISTS`, scalar
/// subqueries); provided by the session so the binder stays free of execution.
pub type SubqueryRunner<'a> = dyn FnMut(&Plan) -> Result<super::column::Table, SqlError> + 'a;

/// [`position`] under another name, for closures that shadow it.
fn bind_position(span: sqlparser::tokenizer::Span) -> Option<Position> {
    position(span)
}

pub fn position(span: sqlparser::tokenizer::Span) -> Option<Position> {
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
    run: &'a mut SubqueryRunner<'a>,
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
        ErrorKind::Limit,
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
    /// Inside an aggregate's or window's arguments: no nesting.
    InsideAggregate,
}

fn ident_name(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_ascii_lowercase()
    }
}

fn object_name(name: &ast::ObjectName) -> Result<String, SqlError> {
    match name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(i)] => Ok(ident_name(i)),
        _ => Err(SqlError::unsupported(format!("the qualified name {name}"))
            .with_hint("tables live in one namespace here: drop the schema prefix")
            .at(position(name.span()))),
    }
}

fn type_error(message: String, span: sqlparser::tokenizer::Span) -> SqlError {
    SqlError::new(ErrorKind::Type, message).at(position(span))
}

/// Maps a SQL type name to ours.
pub fn data_type(t: &ast::DataType) -> Result<DataType, SqlError> {
    let name = t.to_string().to_ascii_uppercase();
    let base = name.split('(').next().unwrap_or("").trim();
    Ok(match base {
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

fn literal(v: &ast::Value, span: sqlparser::tokenizer::Span) -> Result<Value, SqlError> {
    Ok(match v {
        ast::Value::Number(n, _) => {
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
        other => {
            return Err(SqlError::unsupported(format!("the literal {other}")).at(position(span)))
        }
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

/// Casts `e` to `to` unless it already has that type.
fn coerce(e: Expr, to: DataType) -> Expr {
    if e.data_type() == to || to == DataType::Null {
        e
    } else {
        // A NULL literal too: CAST(NULL AS t) has type t.
        Expr::Cast {
            expr: Box::new(e),
            to,
        }
    }
}

impl<'a> Binder<'a> {
    pub fn new(session: &'a Session, run: &'a mut SubqueryRunner<'a>) -> Binder<'a> {
        Binder {
            session,
            ctes: Vec::new(),
            run,
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
            set_quantifier,
            right,
        } = cte.query.body.as_ref()
        else {
            return Ok(None);
        };
        let all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            other => return Err(SqlError::unsupported(format!("UNION {other}"))),
        };
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
        if anchor.fields.len() != recursive.fields.len() {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "the recursive CTE \"{name}\" has {} columns in its anchor and {} in its recursive part",
                    anchor.fields.len(),
                    recursive.fields.len()
                ),
            )
            .at(position(span)));
        }
        // The anchor fixes the types (as in PostgreSQL); the recursive part is cast to them.
        for (i, (a, b)) in anchor.fields.iter().zip(&recursive.fields).enumerate() {
            let column = cte
                .alias
                .columns
                .get(i)
                .map_or_else(|| a.name.clone(), |c| ident_name(&c.name));
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
        let recursive = cast_to(recursive, &anchor.fields);
        // The CTE's own column names (the trace shows this step's table under them).
        let mut fields = anchor.fields.clone();
        for (f, c) in fields.iter_mut().zip(&cte.alias.columns) {
            f.name = ident_name(&c.name);
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
        if q.fetch.is_some() || !q.locks.is_empty() || !q.pipe_operators.is_empty() {
            return Err(
                SqlError::unsupported("FETCH, FOR UPDATE and pipe operators")
                    .at(position(q.span())),
            );
        }
        let order_by: Vec<ast::OrderByExpr> = match &q.order_by {
            None => Vec::new(),
            Some(ob) => match &ob.kind {
                ast::OrderByKind::Expressions(e) => e.clone(),
                ast::OrderByKind::All(_) => {
                    return Err(SqlError::unsupported("ORDER BY ALL").at(position(ob.span())))
                }
            },
        };
        let mut plan = match q.body.as_ref() {
            ast::SetExpr::Select(select) => self.select(select, &order_by)?,
            body => {
                let plan = self.set_expr(body)?;
                if order_by.is_empty() {
                    plan
                } else {
                    self.order_output(plan, &order_by)?
                }
            }
        };
        if let Some(limit) = &q.limit_clause {
            let (limit, offset) = match limit {
                ast::LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                } => {
                    if !limit_by.is_empty() {
                        return Err(SqlError::unsupported("LIMIT BY"));
                    }
                    (limit.clone(), offset.as_ref().map(|o| o.value.clone()))
                }
                ast::LimitClause::OffsetCommaLimit { offset, limit } => {
                    (Some(limit.clone()), Some(offset.clone()))
                }
            };
            let count = |e: &ast::Expr, what: &str| -> Result<u64, SqlError> {
                match e {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::Number(n, _) => n.parse().map_err(|_| {
                            SqlError::new(
                                ErrorKind::Type,
                                format!("{what} must be a whole number, not {n}"),
                            )
                            .at(position(v.span))
                        }),
                        ast::Value::Null => Ok(u64::MAX),
                        _ => Err(SqlError::new(
                            ErrorKind::Type,
                            format!("{what} must be a whole number"),
                        )
                        .at(position(v.span))),
                    },
                    other => Err(SqlError::unsupported(format!("{what} {other}"))
                        .with_hint(format!("{what} takes a number"))
                        .at(position(other.span()))),
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
            let limit = limit_n.filter(|l| *l != u64::MAX);
            // LIMIT goes under the projection that drops hidden ORDER BY keys, so that it sits
            // right on the sort (which then only has to find the first rows).
            plan = match plan {
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
                            offset: offset_n,
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
                        offset: offset_n,
                    },
                    label,
                },
            };
        }
        Ok(plan)
    }

    fn set_expr(&mut self, body: &ast::SetExpr) -> Result<Plan, SqlError> {
        match body {
            ast::SetExpr::Select(select) => self.select(select, &[]),
            ast::SetExpr::Query(q) => self.query(q),
            ast::SetExpr::Values(values) => self.values(values),
            ast::SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let l = self.set_expr(left)?;
                let r = self.set_expr(right)?;
                let op_kind = match op {
                    ast::SetOperator::Union => SetOp::Union,
                    ast::SetOperator::Intersect => SetOp::Intersect,
                    ast::SetOperator::Except | ast::SetOperator::Minus => SetOp::Except,
                };
                let all = match set_quantifier {
                    ast::SetQuantifier::All => true,
                    ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
                    other => return Err(SqlError::unsupported(format!("{op} {other}"))),
                };
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
            other => Err(SqlError::unsupported(format!("{other}")).at(position(other.span()))),
        }
    }

    fn values(&mut self, values: &ast::Values) -> Result<Plan, SqlError> {
        let width = values.rows.first().map_or(0, |r| r.content.len());
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut types = vec![DataType::Null; width];
        let empty = super::column::Table::empty(Vec::new());
        for row in &values.rows {
            if row.content.len() != width {
                return Err(SqlError::new(
                    ErrorKind::Type,
                    "VALUES lists must all be the same length",
                )
                .at(position(row.opening_token.0.span)));
            }
            let mut out = Vec::with_capacity(width);
            for (i, e) in row.content.iter().enumerate() {
                let bound =
                    self.expr(e, &[], Clause::Plain("VALUES"), &mut Collected::default())?;
                let v = bound.eval_row(&empty_one(&empty), 0)?;
                types[i] = DataType::common(types[i], v.data_type()).ok_or_else(|| {
                    type_error(
                        format!(
                            "VALUES column {} mixes {} and {}",
                            i + 1,
                            types[i],
                            v.data_type()
                        ),
                        e.span(),
                    )
                })?;
                out.push(v);
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
        let rows: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .zip(&fields)
                    .map(|(v, f)| super::expr::cast(&v, f.data_type))
                    .collect::<Result<Vec<Value>, SqlError>>()
            })
            .collect::<Result<_, _>>()?;
        let table = super::column::Table::from_rows(
            fields
                .iter()
                .map(|f| super::column::Field {
                    name: f.name.clone(),
                    data_type: f.data_type,
                })
                .collect(),
            &rows,
        );
        Ok(Plan {
            node: Node::Values { table },
            fields,
            label: "VALUES".into(),
        })
    }

    /// FROM: one relation, or several (a comma is a CROSS JOIN).
    fn from(&mut self, from: &[ast::TableWithJoins]) -> Result<Plan, SqlError> {
        let mut plan: Option<Plan> = None;
        for twj in from {
            let mut p = self.table_factor(&twj.relation)?;
            for join in &twj.joins {
                let right = self.table_factor(&join.relation)?;
                p = self.join(p, right, &join.join_operator)?;
            }
            plan = Some(match plan {
                None => p,
                Some(left) => self.cross(left, p),
            });
        }
        Ok(plan.unwrap_or_else(|| {
            // SELECT without FROM: one row, no columns.
            let table = super::column::Table {
                fields: Vec::new(),
                columns: Vec::new(),
                rows: 1,
            };
            Plan {
                node: Node::Values { table },
                fields: Vec::new(),
                label: "(no FROM: one row)".into(),
            }
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

    fn table_factor(&mut self, tf: &ast::TableFactor) -> Result<Plan, SqlError> {
        match tf {
            ast::TableFactor::Table {
                name, alias, args, ..
            } => {
                if args.is_some() {
                    return Err(SqlError::unsupported("table functions").at(position(name.span())));
                }
                let table_name = object_name(name)?;
                let (plan, default_alias) =
                    if let Some(cte) = self.ctes.iter().rev().find_map(|c| c.get(&table_name)) {
                        (cte.clone(), table_name.clone())
                    } else if let Some(source) = self.session.table(&table_name) {
                        let table = source.table().clone();
                        let fields = table
                            .fields
                            .iter()
                            .map(|f| PlanField {
                                qualifier: Some(table_name.clone()),
                                name: f.name.clone(),
                                data_type: f.data_type,
                                hidden: false,
                            })
                            .collect();
                        (
                            Plan {
                                node: Node::Scan { table },
                                fields,
                                label: format!("FROM {table_name}"),
                            },
                            table_name.clone(),
                        )
                    } else {
                        let mut names: Vec<&str> =
                            self.session.tables().keys().map(String::as_str).collect();
                        names.extend(self.ctes.iter().flat_map(|c| c.keys().map(String::as_str)));
                        let mut e = SqlError::new(
                            ErrorKind::UnknownTable,
                            format!("there is no table \"{table_name}\""),
                        )
                        .at(position(name.span()));
                        e.hint = Some(
                            did_you_mean(&table_name, names.iter().copied())
                                .unwrap_or_else(|| format!("the tables are: {}", names.join(", "))),
                        );
                        return Err(e);
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
            } => {
                let plan = self.from(std::slice::from_ref(table_with_joins))?;
                match alias {
                    Some(a) => rename(plan, &ident_name(&a.name), &a.columns, a.name.span),
                    None => Ok(plan),
                }
            }
            other => {
                Err(SqlError::unsupported(format!("the FROM item {other}"))
                    .at(position(other.span())))
            }
        }
    }

    fn join(&mut self, left: Plan, right: Plan, op: &ast::JoinOperator) -> Result<Plan, SqlError> {
        use ast::JoinOperator as J;
        let (kind, constraint) = match op {
            J::Join(c) | J::Inner(c) => (JoinKind::Inner, c),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c),
            J::FullOuter(c) => (JoinKind::Full, c),
            J::CrossJoin(c) => (JoinKind::Cross, c),
            other => {
                return Err(SqlError::unsupported(format!("the join {other:?}"))
                    .with_hint("use INNER, LEFT, RIGHT, FULL or CROSS JOIN"))
            }
        };
        let n_left = left.fields.len();
        let mut fields = left.fields.clone();
        fields.extend(right.fields.clone());
        let mut predicate: Option<Expr> = None;
        let mut using_label = String::new();
        match constraint {
            ast::JoinConstraint::None => {
                if kind != JoinKind::Cross {
                    return Err(SqlError::new(
                        ErrorKind::Syntax,
                        format!("{} needs ON or USING", kind.name()),
                    )
                    .with_hint("add ON left.key = right.key, or write CROSS JOIN"));
                }
            }
            ast::JoinConstraint::On(e) => {
                predicate = Some(self.condition(e, &fields, "JOIN ... ON")?);
            }
            ast::JoinConstraint::Using(names) => {
                let mut named = Vec::new();
                for n in names {
                    named.push((object_name(n)?, n.span()));
                }
                predicate = using(&left, &right, &mut fields, &named)?;
                using_label = format!(" USING ({})", comma_list(names));
            }
            ast::JoinConstraint::Natural => {
                // Every visible column name the two sides share (none is refused, as DuckDB
                // does: PostgreSQL would pair every row, rarely what was meant).
                let mut named: Vec<(String, sqlparser::tokenizer::Span)> = Vec::new();
                for f in left.fields.iter().filter(|f| !f.hidden) {
                    let shared = right.fields.iter().any(|r| !r.hidden && r.name == f.name);
                    if shared && !named.iter().any(|(n, _)| *n == f.name) {
                        named.push((f.name.clone(), sqlparser::tokenizer::Span::empty()));
                    }
                }
                if named.is_empty() {
                    return Err(SqlError::new(
                        ErrorKind::UnknownColumn,
                        "NATURAL JOIN: the two sides share no column name",
                    )
                    .with_hint("write CROSS JOIN to pair every row, or JOIN ... ON a condition"));
                }
                predicate = using(&left, &right, &mut fields, &named)?;
                let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                using_label = format!(" (NATURAL: USING ({}))", names.join(", "));
            }
        }
        // Equality conditions between the two sides become hash-join keys.
        let mut keys = Vec::new();
        let mut residual = Vec::new();
        if let Some(p) = predicate.clone() {
            let mut parts = Vec::new();
            conjuncts(p, &mut parts);
            for part in parts {
                if let Expr::Binary {
                    op: BinOp::Eq,
                    left: a,
                    right: b,
                    ..
                } = &part
                {
                    let side = |e: &Expr| match (min_column(e), max_column(e)) {
                        (Some(_), Some(hi)) if hi < n_left => Some(true),
                        (Some(lo), Some(_)) if lo >= n_left => Some(false),
                        _ => None,
                    };
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
        }
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

    /// One SELECT, in the logical order FROM, WHERE, GROUP BY, HAVING, window functions, SELECT,
    /// DISTINCT, ORDER BY (LIMIT is the query's).
    fn select(&mut self, s: &ast::Select, order_by: &[ast::OrderByExpr]) -> Result<Plan, SqlError> {
        if s.top.is_some() {
            return Err(SqlError::unsupported("SELECT TOP n (SQL Server's way to limit rows)")
                .with_hint("write LIMIT n at the end of the query; a column named top is written \"top\"")
                .at(position(s.select_token.0.span)));
        }
        if s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.connect_by.is_empty()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || !s.named_window.is_empty()
            || s.qualify.is_some()
            || s.top.is_some()
        {
            return Err(SqlError::unsupported(
                "this SELECT clause (INTO, QUALIFY, WINDOW, TOP, LATERAL VIEW, ...)",
            )
            .at(position(s.select_token.0.span)));
        }
        let distinct = match &s.distinct {
            None | Some(ast::Distinct::All) => false,
            Some(ast::Distinct::Distinct) => true,
            Some(ast::Distinct::On(_)) => {
                return Err(SqlError::unsupported("DISTINCT ON")
                    .with_hint("use row_number() OVER (PARTITION BY ...) = 1 instead"))
            }
        };
        let mut plan = self.from(&s.from)?;
        if let Some(w) = &s.selection {
            let predicate = self.condition(w, &plan.fields, "WHERE")?;
            plan = Plan {
                fields: plan.fields.clone(),
                node: Node::Filter {
                    input: Box::new(plan),
                    predicate,
                },
                label: format!("WHERE {w}"),
            };
        }
        let from_fields = plan.fields.clone();

        // SELECT items, with aggregates and windows collected.
        let mut collected = Collected::default();
        let mut items: Vec<(Expr, String, Option<ast::Expr>)> = Vec::new();
        for item in &s.projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => {
                    let bound = self.expr(e, &from_fields, Clause::Collecting, &mut collected)?;
                    items.push((bound, output_name(e), Some(e.clone())));
                }
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    let bound =
                        self.expr(expr, &from_fields, Clause::Collecting, &mut collected)?;
                    items.push((bound, ident_name(alias), Some(expr.clone())));
                }
                ast::SelectItem::Wildcard(_) => {
                    if from_fields.iter().all(|f| f.hidden) {
                        return Err(SqlError::new(ErrorKind::Syntax, "SELECT * with no FROM")
                            .with_hint("name a table in FROM"));
                    }
                    for (i, f) in from_fields.iter().enumerate().filter(|(_, f)| !f.hidden) {
                        items.push((
                            Expr::Column {
                                index: i,
                                data_type: f.data_type,
                            },
                            f.name.clone(),
                            None,
                        ));
                    }
                }
                ast::SelectItem::QualifiedWildcard(kind, _) => {
                    let q = match kind {
                        ast::SelectItemQualifiedWildcardKind::ObjectName(n) => object_name(n)?,
                        ast::SelectItemQualifiedWildcardKind::Expr(e) => {
                            return Err(SqlError::unsupported(format!("{e}.*")))
                        }
                    };
                    let before = items.len();
                    for (i, f) in from_fields.iter().enumerate() {
                        if f.qualifier.as_deref() == Some(q.as_str()) {
                            items.push((
                                Expr::Column {
                                    index: i,
                                    data_type: f.data_type,
                                },
                                f.name.clone(),
                                None,
                            ));
                        }
                    }
                    if items.len() == before {
                        return Err(SqlError::new(
                            ErrorKind::UnknownTable,
                            format!("there is no table \"{q}\" in FROM"),
                        ));
                    }
                }
                other => return Err(SqlError::unsupported(format!("{other}"))),
            }
        }
        let aliases: BTreeMap<String, ast::Expr> = items
            .iter()
            .filter_map(|(_, name, ast)| ast.clone().map(|a| (name.clone(), a)))
            .collect();

        // GROUP BY.
        let group_asts: Vec<ast::Expr> = match &s.group_by {
            ast::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return Err(SqlError::unsupported("ROLLUP, CUBE and GROUPING SETS"));
                }
                exprs.clone()
            }
            ast::GroupByExpr::All(_) => {
                return Err(
                    SqlError::unsupported("GROUP BY ALL").with_hint("list the grouping columns")
                )
            }
        };
        let mut group_by = Vec::new();
        for g in &group_asts {
            let resolved = self.group_item(g, &items, &aliases, &from_fields)?;
            group_by.push(resolved);
        }
        let having = match &s.having {
            Some(h) => {
                let bound = self.expr_with_aliases(h, &from_fields, &aliases, &mut collected)?;
                Some((bound, h.clone()))
            }
            None => None,
        };
        // ORDER BY keys bound now too: they may add aggregates.
        let mut order_keys = Vec::new();
        for o in order_by {
            order_keys.push(self.order_key(o, &items, &aliases, &from_fields, &mut collected)?);
        }
        let aggregating =
            !group_by.is_empty() || !collected.aggregates.is_empty() || having.is_some();
        let mut pre_window_fields = from_fields.clone();
        if aggregating {
            let n_groups = group_by.len();
            let mut fields: Vec<PlanField> = group_by
                .iter()
                .zip(&group_asts)
                .map(|(e, ast)| {
                    let (qualifier, name) = match e {
                        Expr::Column { index, .. } => (
                            from_fields[*index].qualifier.clone(),
                            from_fields[*index].name.clone(),
                        ),
                        _ => (None, output_name(ast)),
                    };
                    PlanField {
                        qualifier,
                        name,
                        data_type: e.data_type(),
                        hidden: false,
                    }
                })
                .collect();
            for a in &collected.aggregates {
                fields.push(PlanField {
                    qualifier: None,
                    name: a.func.name().into(),
                    data_type: a.data_type,
                    hidden: false,
                });
            }
            let group_label = if group_asts.is_empty() {
                "aggregate over all rows".to_string()
            } else {
                format!("GROUP BY {}", comma_list(&group_asts))
            };
            plan = Plan {
                node: Node::Aggregate {
                    input: Box::new(plan),
                    group_by: group_by.clone(),
                    aggregates: collected.aggregates.clone(),
                },
                fields: fields.clone(),
                label: group_label,
            };
            let rewrite = |e: &Expr| post_aggregate(e, &group_by, n_groups, &from_fields);
            for item in &mut items {
                item.0 = rewrite(&item.0).map_err(|e| locate_ungrouped(e, item.2.as_ref()))?;
            }
            for key in &mut order_keys {
                key.expr = rewrite(&key.expr)?;
            }
            for w in &mut collected.windows {
                for a in &mut w.args {
                    *a = rewrite(a)?;
                }
                for p in &mut w.partition_by {
                    *p = rewrite(p)?;
                }
                for k in &mut w.order_by {
                    k.expr = rewrite(&k.expr)?;
                }
            }
            if let Some((h, h_ast)) = having {
                let predicate = rewrite(&h).map_err(|e| locate_ungrouped(e, Some(&h_ast)))?;
                if !matches!(predicate.data_type(), DataType::Boolean | DataType::Null) {
                    return Err(type_error(
                        format!("HAVING must be BOOLEAN, not {}", predicate.data_type()),
                        h_ast.span(),
                    ));
                }
                plan = Plan {
                    fields: plan.fields.clone(),
                    node: Node::Filter {
                        input: Box::new(plan),
                        predicate,
                    },
                    label: format!("HAVING {h_ast}"),
                };
            }
            pre_window_fields = fields;
        }
        // Window functions: computed over the rows so far, appended as columns.
        let n_pre = pre_window_fields.len();
        if !collected.windows.is_empty() {
            let mut fields = pre_window_fields.clone();
            for w in &collected.windows {
                fields.push(PlanField {
                    qualifier: None,
                    name: window_name(w.func).into(),
                    data_type: w.data_type,
                    hidden: true,
                });
            }
            plan = Plan {
                node: Node::Window {
                    input: Box::new(plan),
                    calls: collected.windows.clone(),
                },
                fields,
                label: "window functions".into(),
            };
        }
        let unplace = |e: &Expr| -> Expr {
            e.remap(&|i| {
                if i >= WINDOW_BASE {
                    n_pre + (i - WINDOW_BASE)
                } else {
                    i
                }
            })
        };
        // SELECT, with any ORDER BY keys not in the select list carried as hidden columns.
        let mut exprs: Vec<Expr> = items.iter().map(|(e, _, _)| unplace(e)).collect();
        let mut fields: Vec<PlanField> = items
            .iter()
            .zip(&exprs)
            .map(|((e, name, _), bound)| PlanField {
                qualifier: match e {
                    Expr::Column { index, .. } if *index < plan.fields.len() => {
                        plan.fields[*index].qualifier.clone()
                    }
                    _ => None,
                },
                name: name.clone(),
                data_type: bound.data_type(),
                hidden: false,
            })
            .collect();
        let visible = exprs.len();
        let mut sort_keys = Vec::new();
        for key in &order_keys {
            let e = unplace(&key.expr);
            let index = match exprs.iter().position(|x| *x == e) {
                Some(i) => i,
                None => {
                    if distinct {
                        return Err(SqlError::new(
                            ErrorKind::Type,
                            "for SELECT DISTINCT, ORDER BY expressions must appear in the select list",
                        )
                        .with_hint("add the expression to the SELECT list"));
                    }
                    exprs.push(e.clone());
                    fields.push(PlanField {
                        qualifier: None,
                        name: format!("(order key {})", sort_keys.len() + 1),
                        data_type: e.data_type(),
                        hidden: true,
                    });
                    exprs.len() - 1
                }
            };
            sort_keys.push(SortKey {
                expr: Expr::Column {
                    index,
                    data_type: e.data_type(),
                },
                descending: key.descending,
                nulls_first: key.nulls_first,
            });
        }
        let select_label = format!("SELECT {}", comma_list(&s.projection));
        plan = Plan {
            node: Node::Project {
                input: Box::new(plan),
                exprs,
            },
            fields: fields.clone(),
            label: select_label,
        };
        if distinct {
            plan = Plan {
                fields: plan.fields.clone(),
                node: Node::Distinct {
                    input: Box::new(plan),
                },
                label: "DISTINCT".into(),
            };
        }
        if !sort_keys.is_empty() {
            plan = Plan {
                fields: plan.fields.clone(),
                node: Node::Sort {
                    input: Box::new(plan),
                    keys: sort_keys,
                },
                label: format!("ORDER BY {}", comma_list(order_by)),
            };
        }
        if fields.len() > visible {
            let exprs = (0..visible)
                .map(|i| Expr::Column {
                    index: i,
                    data_type: fields[i].data_type,
                })
                .collect();
            plan = Plan {
                node: Node::Project {
                    input: Box::new(plan),
                    exprs,
                },
                fields: fields[..visible].to_vec(),
                label: DROP_KEYS_LABEL.into(),
            };
        }
        Ok(plan)
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
                    ast::Value::Number(n, _) => Some((n.parse::<usize>().unwrap_or(0), v.span)),
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
            let (descending, nulls_first) = sort_options(&o.options);
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

    fn group_item(
        &mut self,
        g: &ast::Expr,
        items: &[(Expr, String, Option<ast::Expr>)],
        aliases: &BTreeMap<String, ast::Expr>,
        fields: &[PlanField],
    ) -> Result<Expr, SqlError> {
        // GROUP BY 2: the second select item.
        if let ast::Expr::Value(v) = g {
            if let ast::Value::Number(n, _) = &v.value {
                let i: usize = n.parse().unwrap_or(0);
                let Some((_, _, Some(ast))) = items.get(i.wrapping_sub(1)) else {
                    return Err(SqlError::new(
                        ErrorKind::UnknownColumn,
                        format!("GROUP BY position {n} is not in the select list"),
                    )
                    .at(position(v.span)));
                };
                return self.expr(
                    ast,
                    fields,
                    Clause::Plain("GROUP BY"),
                    &mut Collected::default(),
                );
            }
        }
        match self.expr(
            g,
            fields,
            Clause::Plain("GROUP BY"),
            &mut Collected::default(),
        ) {
            Ok(e) => Ok(e),
            Err(e) if e.kind == ErrorKind::UnknownColumn => match g {
                // GROUP BY an output alias (PostgreSQL prefers input columns, as done above).
                ast::Expr::Identifier(i) => match aliases.get(&ident_name(i)) {
                    Some(ast) => self.expr(
                        ast,
                        fields,
                        Clause::Plain("GROUP BY"),
                        &mut Collected::default(),
                    ),
                    None => Err(e),
                },
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    fn order_key(
        &mut self,
        o: &ast::OrderByExpr,
        items: &[(Expr, String, Option<ast::Expr>)],
        aliases: &BTreeMap<String, ast::Expr>,
        fields: &[PlanField],
        collected: &mut Collected,
    ) -> Result<SortKey, SqlError> {
        let (descending, nulls_first) = sort_options(&o.options);
        let expr = match &o.expr {
            // ORDER BY 1: the first select item.
            ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                let ast::Value::Number(n, _) = &v.value else {
                    unreachable!()
                };
                let i: usize = n.parse().unwrap_or(0);
                items
                    .get(i.wrapping_sub(1))
                    .map(|(e, _, _)| e.clone())
                    .ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::UnknownColumn,
                            format!("ORDER BY position {n} is not in the select list"),
                        )
                        .at(position(v.span))
                    })?
            }
            // A bare name matches an output column first (PostgreSQL).
            ast::Expr::Identifier(i) if items.iter().any(|(_, n, _)| *n == ident_name(i)) => {
                let name = ident_name(i);
                items
                    .iter()
                    .find(|(_, n, _)| *n == name)
                    .map(|(e, _, _)| e.clone())
                    .expect("checked")
            }
            e => self.expr_with_aliases(e, fields, aliases, collected)?,
        };
        Ok(SortKey {
            expr,
            descending,
            nulls_first,
        })
    }

    /// Binds `e`, falling back to select aliases for names FROM does not have (HAVING, ORDER BY).
    fn expr_with_aliases(
        &mut self,
        e: &ast::Expr,
        fields: &[PlanField],
        aliases: &BTreeMap<String, ast::Expr>,
        collected: &mut Collected,
    ) -> Result<Expr, SqlError> {
        match self.expr(e, fields, Clause::Collecting, collected) {
            Err(err) if err.kind == ErrorKind::UnknownColumn && !aliases.is_empty() => {
                let substituted = substitute_aliases(e, aliases);
                if substituted == *e {
                    return Err(err);
                }
                self.expr(&substituted, fields, Clause::Collecting, collected)
            }
            other => other,
        }
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
fn sort_options(o: &ast::OrderByOptions) -> (bool, bool) {
    let descending = matches!(o.sort, Some(ast::OrderBySort::Desc));
    (descending, o.nulls_first.unwrap_or(false))
}

/// The name a SELECT item gets without an alias: the column's name, or the function's, or the
/// expression's text.
fn output_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(i) => ident_name(i),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(ident_name).unwrap_or_default(),
        ast::Expr::Function(f) => object_name(&f.name).unwrap_or_else(|_| f.name.to_string()),
        ast::Expr::Nested(inner) => output_name(inner),
        ast::Expr::Cast { expr, .. } => output_name(expr),
        other => other.to_string(),
    }
}

/// Replaces bare identifiers that name a select alias by the aliased expression.
fn substitute_aliases(e: &ast::Expr, aliases: &BTreeMap<String, ast::Expr>) -> ast::Expr {
    let mut out = e.clone();
    fn walk(e: &mut ast::Expr, aliases: &BTreeMap<String, ast::Expr>) {
        match e {
            ast::Expr::Identifier(i) => {
                if let Some(a) = aliases.get(&ident_name(i)) {
                    *e = ast::Expr::Nested(Box::new(a.clone()));
                }
            }
            ast::Expr::BinaryOp { left, right, .. } => {
                walk(left, aliases);
                walk(right, aliases);
            }
            ast::Expr::UnaryOp { expr, .. }
            | ast::Expr::Nested(expr)
            | ast::Expr::IsNull(expr)
            | ast::Expr::IsNotNull(expr) => walk(expr, aliases),
            ast::Expr::Between {
                expr, low, high, ..
            } => {
                walk(expr, aliases);
                walk(low, aliases);
                walk(high, aliases);
            }
            ast::Expr::InList { expr, list, .. } => {
                walk(expr, aliases);
                list.iter_mut().for_each(|x| walk(x, aliases));
            }
            _ => {}
        }
    }
    walk(&mut out, aliases);
    out
}

/// After GROUP BY: grouping expressions become the aggregate's output columns, aggregate
/// placeholders its aggregate columns; any other column reference is the classic error.
fn post_aggregate(
    e: &Expr,
    group_by: &[Expr],
    n_groups: usize,
    from: &[PlanField],
) -> Result<Expr, SqlError> {
    let mut f = |x: &Expr| -> Result<Option<Expr>, SqlError> {
        if let Some(i) = group_by.iter().position(|g| g == x) {
            return Ok(Some(Expr::Column {
                index: i,
                data_type: x.data_type(),
            }));
        }
        match x {
            Expr::Column { index, data_type } if *index >= WINDOW_BASE => Ok(Some(Expr::Column {
                index: *index,
                data_type: *data_type,
            })),
            Expr::Column { index, data_type } if *index >= AGG_BASE => Ok(Some(Expr::Column {
                index: n_groups + (index - AGG_BASE),
                data_type: *data_type,
            })),
            Expr::Column { index, .. } => {
                let f = &from[*index];
                let name = match &f.qualifier {
                    Some(q) => format!("{q}.{}", f.name),
                    None => f.name.clone(),
                };
                Err(SqlError::new(ErrorKind::Type, format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"))
                    .with_hint(format!("every output row stands for a group, and \"{}\" has many values per group: add it to GROUP BY, or wrap it in an aggregate such as max({})", f.name, f.name)))
            }
            _ => Ok(None),
        }
    };
    e.transform(&mut f)
}

/// `JOIN ... USING (names)`: the equalities between the sides' columns of those names (each
/// coerced to a common type), with the right side's copies hidden from `*` and unqualified names.
fn using(
    left: &Plan,
    right: &Plan,
    fields: &mut [PlanField],
    names: &[(String, sqlparser::tokenizer::Span)],
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

/// Puts the caret of an error about an ungrouped column (`column "x" must appear in the GROUP
/// BY clause ...`) under that column's first use outside an aggregate in `e`.
fn locate_ungrouped(err: SqlError, e: Option<&ast::Expr>) -> SqlError {
    let name = err.message.split('"').nth(1).unwrap_or_default();
    let name = name.rsplit('.').next().unwrap_or_default().to_string();
    match e.and_then(|e| column_use(e, &name)) {
        Some(span) if err.position.is_none() => err.at(position(span)),
        _ => err,
    }
}

/// Where `e` names column `name` outside an aggregate's arguments.
fn column_use(e: &ast::Expr, name: &str) -> Option<sqlparser::tokenizer::Span> {
    let find = |e: &ast::Expr| column_use(e, name);
    match e {
        ast::Expr::Identifier(i) => (ident_name(i) == name).then_some(i.span),
        ast::Expr::CompoundIdentifier(parts) => parts
            .last()
            .filter(|i| ident_name(i) == name)
            .map(|i| i.span),
        ast::Expr::BinaryOp { left, right, .. } => find(left).or_else(|| find(right)),
        ast::Expr::UnaryOp { expr, .. }
        | ast::Expr::Nested(expr)
        | ast::Expr::Cast { expr, .. }
        | ast::Expr::IsNull(expr)
        | ast::Expr::IsNotNull(expr)
        | ast::Expr::IsTrue(expr)
        | ast::Expr::IsFalse(expr) => find(expr),
        ast::Expr::Between {
            expr, low, high, ..
        } => find(expr).or_else(|| find(low)).or_else(|| find(high)),
        ast::Expr::InList { expr, list, .. } => find(expr).or_else(|| list.iter().find_map(find)),
        ast::Expr::Like { expr, pattern, .. } | ast::Expr::ILike { expr, pattern, .. } => {
            find(expr).or_else(|| find(pattern))
        }
        ast::Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => operand
            .as_deref()
            .and_then(find)
            .or_else(|| {
                conditions
                    .iter()
                    .find_map(|c| find(&c.condition).or_else(|| find(&c.result)))
            })
            .or_else(|| else_result.as_deref().and_then(find)),
        ast::Expr::Function(f) => {
            let fname = f.name.to_string().to_lowercase();
            if AggFn::from_name(&fname).is_some() || f.over.is_some() {
                return None;
            }
            match &f.args {
                ast::FunctionArguments::List(l) => l.args.iter().find_map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => find(e),
                    _ => None,
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The same plan under a new table alias (and optionally new column names).
fn rename(
    plan: Plan,
    alias: &str,
    columns: &[ast::TableAliasColumnDef],
    span: sqlparser::tokenizer::Span,
) -> Result<Plan, SqlError> {
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
        fields[*i].name = ident_name(&c.name);
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

/// A one-row, no-column table, to evaluate constant expressions on.
fn empty_one(_t: &super::column::Table) -> super::column::Table {
    super::column::Table {
        fields: Vec::new(),
        columns: Vec::new(),
        rows: 1,
    }
}
