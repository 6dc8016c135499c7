//! Rewriting a windowed query's expressions for its two halves: the per-row half may read the
//! source's columns only (no aggregate, no window column), and the per-window half reads the
//! finished windows' table, where each grouping key is a column `__k{i}` and each aggregate
//! call a column `__g{i}`. Expressions are rebuilt node by node over the syntax tree;
//! a form not listed in [`children_mut`] is refused rather than guessed at.

use super::{refuse, same_expr, window_column, WindowAggFn, WindowAggregate};
use crate::bind::ident_name;
use crate::error::{ErrorKind, SqlError};
use crate::plan::AggFn;
use crate::syntax::ast;

/// The state of one query's rewrite: its keys, and the aggregates and arguments met so far.
pub(super) struct Rewriter {
    keys: Vec<ast::Expr>,
    /// The name columns may be qualified with (the TVF's alias, else the source table).
    qualifier: String,
    /// Select aliases HAVING and ORDER BY may use (set once the select list is rewritten).
    aliases: Vec<(String, ast::Expr)>,
    arguments: Vec<ast::Expr>,
    aggregates: Vec<WindowAggregate>,
}

impl Rewriter {
    pub(super) fn new(keys: &[ast::Expr], qualifier: &str) -> Rewriter {
        Rewriter {
            keys: keys.iter().map(|k| unqualified(k, qualifier)).collect(),
            qualifier: qualifier.to_string(),
            aliases: Vec::new(),
            arguments: Vec::new(),
            aggregates: Vec::new(),
        }
    }

    pub(super) fn set_aliases(&mut self, aliases: Vec<(String, ast::Expr)>) {
        self.aliases = aliases;
    }

    /// The aggregate arguments, in `__a{i}` order.
    pub(super) fn arguments(&self) -> &[ast::Expr] {
        &self.arguments
    }

    /// The aggregates, in `__g{i}` order.
    pub(super) fn aggregates(&self) -> Vec<WindowAggregate> {
        self.aggregates.clone()
    }

    /// Checks an expression evaluated per source row (WHERE, a key, an aggregate's argument):
    /// no aggregate, no window function, no window column, no subquery.
    pub(super) fn check_row_expr(&self, e: &ast::Expr, clause: &str) -> Result<(), SqlError> {
        if let Some(column) = window_column(e, &self.qualifier) {
            return Err(SqlError::new(
                ErrorKind::Unsupported,
                format!("{column} cannot be used in {clause} of a windowed query"),
            )
            .with_hint("the window is known once rows are grouped: use it in the SELECT list, HAVING or ORDER BY")
            .at(crate::bind::position(e.span())));
        }
        if let ast::Expr::Function(f) = e {
            if f.over.is_some() {
                return Err(refuse("a window function (OVER)", Some(e.span())));
            }
            if aggregate_fn(f).is_some() {
                return Err(SqlError::new(
                    ErrorKind::Unsupported,
                    format!("aggregate functions are not allowed in {clause}"),
                )
                .with_hint("aggregates go in the SELECT list, HAVING or ORDER BY")
                .at(crate::bind::position(e.span())));
            }
        }
        let mut copy = e.clone();
        for child in children_mut(&mut copy)? {
            self.check_row_expr(child, clause)?;
        }
        Ok(())
    }

    /// An expression of the SELECT list, HAVING or ORDER BY over the windows' table, as SQL.
    pub(super) fn output(&mut self, e: &ast::Expr) -> Result<String, SqlError> {
        Ok(self.rewrite(e, true)?.to_string())
    }

    /// An ORDER BY key over the windows' table: a bare name is a select item's alias first (as
    /// the batch engine, like PostgreSQL, reads it), then anything [`Rewriter::output`] reads.
    pub(super) fn order_key(&mut self, e: &ast::Expr) -> Result<String, SqlError> {
        if let ast::Expr::Identifier(i) = e {
            let name = ident_name(i);
            if let Some((_, item)) = self.aliases.iter().find(|(a, _)| *a == name).cloned() {
                return Ok(parenthesized(self.rewrite(&item, false)?).to_string());
            }
        }
        self.output(e)
    }

    fn rewrite(&mut self, e: &ast::Expr, aliases: bool) -> Result<ast::Expr, SqlError> {
        let plain = unqualified(e, &self.qualifier);
        if let Some(i) = self.keys.iter().position(|k| same_expr(k, &plain)) {
            return Ok(column(&format!("__k{i}")));
        }
        if let Some(name) = window_column(e, &self.qualifier) {
            return Ok(column(name));
        }
        match e {
            ast::Expr::Function(f) => {
                if f.over.is_some() {
                    return Err(refuse("a window function (OVER)", Some(e.span())));
                }
                if let Some(func) = aggregate_fn(f) {
                    return self.aggregate(f, func);
                }
            }
            ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) => {
                let name = match e {
                    ast::Expr::Identifier(i) => Some(ident_name(i)),
                    _ => None,
                };
                let alias = name.and_then(|n| {
                    self.aliases
                        .iter()
                        .find(|(a, _)| *a == n)
                        .map(|(_, expr)| expr.clone())
                });
                return match alias {
                    Some(expr) if aliases => Ok(parenthesized(self.rewrite(&expr, false)?)),
                    _ => Err(SqlError::new(
                        ErrorKind::Type,
                        format!(
                            "column {e} must appear in the GROUP BY clause or be used in an aggregate function"
                        ),
                    )
                    .with_hint("a windowed query's output reads window_start, window_end, the GROUP BY keys and aggregates")
                    .at(crate::bind::position(e.span()))),
                };
            }
            _ => {}
        }
        let mut out = e.clone();
        for child in children_mut(&mut out)? {
            *child = self.rewrite(child, aliases)?;
        }
        Ok(out)
    }

    /// An aggregate call: its column `__g{i}` (one per distinct call).
    fn aggregate(&mut self, f: &ast::Function, func: AggFn) -> Result<ast::Expr, SqlError> {
        let span = Some(f.span());
        if f.filter.is_some() {
            return Err(refuse(format!("{f} (FILTER, WITHIN GROUP)"), span));
        }
        let Some(args) = &f.args else {
            return Err(refuse(format!("the call {f}"), span));
        };
        if f.distinct {
            return Err(
                refuse(format!("the DISTINCT aggregate {f}"), span).with_hint(
                    "a window accumulates count/sum/min/max/avg of every row: drop DISTINCT",
                ),
            );
        }
        let aggregate = match (func, args.as_slice()) {
            (AggFn::Count, [ast::FunctionArg::Wildcard(_)]) => WindowAggregate {
                func: WindowAggFn::CountStar,
                input: None,
            },
            (_, [ast::FunctionArg::Expr(arg)]) => {
                self.check_row_expr(arg, "an aggregate's argument")?;
                let index = match self.arguments.iter().position(|a| same_expr(a, arg)) {
                    Some(i) => i,
                    None => {
                        self.arguments.push(arg.clone());
                        self.arguments.len() - 1
                    }
                };
                WindowAggregate {
                    func: WindowAggFn::from_plan(func),
                    input: Some(index),
                }
            }
            _ => {
                return Err(SqlError::new(
                    ErrorKind::Type,
                    format!("{} takes one argument: {f}", func.name()),
                )
                .with_hint("write e.g. sum(v) or count(*)")
                .at(span.and_then(crate::bind::position)))
            }
        };
        let index = match self.aggregates.iter().position(|a| *a == aggregate) {
            Some(i) => i,
            None => {
                self.aggregates.push(aggregate);
                self.aggregates.len() - 1
            }
        };
        Ok(column(&format!("__g{index}")))
    }
}

/// The aggregate a call is, if it is one (count, sum, min, max, avg).
fn aggregate_fn(f: &ast::Function) -> Option<AggFn> {
    match f.name.0.as_slice() {
        [i] => AggFn::from_name(&ident_name(i)),
        _ => None,
    }
}

/// An alias's expression in parentheses, where it stands for a name (a column needs none).
fn parenthesized(e: ast::Expr) -> ast::Expr {
    match e {
        ast::Expr::Identifier(_) => e,
        e => ast::Expr::Nested(Box::new(e)),
    }
}

/// A bare column reference.
fn column(name: &str) -> ast::Expr {
    ast::Expr::Identifier(ast::Ident::new(name))
}

/// `q.c` as `c` when `q` is the query's own qualifier, and unquoted names case-folded, so that
/// `t.k`, `k` and `K` are the same key.
fn unqualified(e: &ast::Expr, qualifier: &str) -> ast::Expr {
    match e {
        ast::Expr::Identifier(i) => column(&ident_name(i)),
        ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [q, c] if ident_name(q) == qualifier => column(&ident_name(c)),
            _ => e.clone(),
        },
        _ => e.clone(),
    }
}

/// The direct sub-expressions of the expression forms a windowed query may use; any other
/// form is refused.
fn children_mut(e: &mut ast::Expr) -> Result<Vec<&mut ast::Expr>, SqlError> {
    use ast::Expr as E;
    let span = Some(e.span());
    Ok(match e {
        E::Identifier(_)
        | E::CompoundIdentifier(_)
        | E::Value(_)
        | E::TypedString { .. }
        | E::Interval { .. } => Vec::new(),
        E::IsFalse(x)
        | E::IsNotFalse(x)
        | E::IsTrue(x)
        | E::IsNotTrue(x)
        | E::IsNull(x)
        | E::IsNotNull(x)
        | E::Nested(x)
        | E::UnaryOp { expr: x, .. }
        | E::Cast { expr: x, .. }
        | E::Extract { expr: x, .. } => vec![x.as_mut()],
        E::IsDistinctFrom(a, b)
        | E::IsNotDistinctFrom(a, b)
        | E::BinaryOp {
            left: a, right: b, ..
        }
        | E::Like {
            expr: a,
            pattern: b,
            ..
        } => vec![a.as_mut(), b.as_mut()],
        E::Between {
            expr, low, high, ..
        } => vec![expr.as_mut(), low.as_mut(), high.as_mut()],
        E::InList { expr, list, .. } => {
            let mut out = vec![expr.as_mut()];
            out.extend(list.iter_mut());
            out
        }
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            let mut out: Vec<&mut ast::Expr> = operand.iter_mut().map(|x| x.as_mut()).collect();
            for w in conditions.iter_mut() {
                out.push(&mut w.condition);
                out.push(&mut w.result);
            }
            out.extend(else_result.iter_mut().map(|x| x.as_mut()));
            out
        }
        E::Function(f) => f
            .args
            .iter_mut()
            .flatten()
            .filter_map(|a| match a {
                ast::FunctionArg::Expr(x) => Some(x),
                ast::FunctionArg::Wildcard(_) => None,
            })
            .collect(),
        E::Subquery(..) | E::Exists { .. } | E::InSubquery { .. } => {
            return Err(refuse("a subquery", span))
        }
        other => return Err(refuse(format!("the expression {other}"), span)),
    })
}
