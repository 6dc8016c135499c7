//! A windowed aggregate query compiled for the stream engine. The batch engine runs
//! `SELECT window_start, k, count(*) FROM TUMBLE(t, ts, INTERVAL '10' SECOND) GROUP BY
//! window_start, window_end, k` over a whole table at once; a streaming run (Flink's window
//! aggregation over a window TVF, RisingWave's `EMIT ON WINDOW CLOSE`) sees the rows one at a
//! time and keeps one accumulator per (window, key). [`compile`] splits the query into the
//! three parts such a run needs:
//!
//! - `input_sql`, a per-row projection the SQL engine runs over arriving rows: the event time,
//!   the grouping keys and each aggregate's argument, after WHERE;
//! - the window and the aggregate functions, which the stream operator evaluates incrementally;
//! - `output_sql`, the query's SELECT list, HAVING and ORDER BY rewritten over a table of
//!   finished windows, so expressions such as `sum(v) / count(*)` give what the batch query
//!   gives.
//!
//! When no row is late, running the three parts gives exactly the batch query's rows. Anything
//! a per-window accumulator cannot compute (joins, subqueries, window functions, DISTINCT
//! aggregates, grouping without `window_start, window_end`) is refused with a hint saying what
//! is supported.

use crate::bind::{ident_name, output_name};
use crate::error::{ErrorKind, SqlError};
use crate::plan::AggFn;
use crate::session::Session;
use crate::syntax::ast;
use crate::syntax::span::Span;

mod rewrite;
pub mod tvf;

use rewrite::Rewriter;

/// The window of a windowed query, in the units of its time column: microseconds for a
/// TIMESTAMP column, the integers themselves for a BIGINT one (the `_us` fields then hold
/// plain integers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowTvf {
    Tumble {
        size_us: i64,
        offset_us: i64,
    },
    Hop {
        slide_us: i64,
        size_us: i64,
        offset_us: i64,
    },
    /// Per grouping key: a row less than `gap_us` after the previous one joins its session.
    Session {
        gap_us: i64,
    },
}

/// An aggregate function a window accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowAggFn {
    CountStar,
    Count,
    Sum,
    Min,
    Max,
    Avg,
}

impl WindowAggFn {
    /// The SQL name (`count`, `sum`, ...).
    pub fn name(self) -> &'static str {
        match self {
            WindowAggFn::CountStar | WindowAggFn::Count => "count",
            WindowAggFn::Sum => "sum",
            WindowAggFn::Min => "min",
            WindowAggFn::Max => "max",
            WindowAggFn::Avg => "avg",
        }
    }

    fn from_plan(f: AggFn) -> WindowAggFn {
        match f {
            AggFn::CountStar => WindowAggFn::CountStar,
            AggFn::Count => WindowAggFn::Count,
            AggFn::Sum => WindowAggFn::Sum,
            AggFn::Avg => WindowAggFn::Avg,
            AggFn::Min => WindowAggFn::Min,
            AggFn::Max => WindowAggFn::Max,
        }
    }
}

/// One aggregate of the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowAggregate {
    pub func: WindowAggFn,
    /// Which argument column it reads: `Some(i)` is `__a{i}` of `input_sql` (the `i`-th
    /// argument, counted among the arguments only); `None` for `count(*)`.
    pub input: Option<usize>,
}

/// A windowed aggregate query split for an incremental run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowedQuery {
    /// The table named in TUMBLE/HOP/SESSION.
    pub source: String,
    pub time_column: String,
    /// The time column is BIGINT (lengths are plain integers, in the column's own units).
    pub time_is_integer: bool,
    pub window: WindowTvf,
    /// Per-row projection, rows in source order: `SELECT <ts> AS __ts, <group keys> AS
    /// __k0.., <agg args> AS __a0.. FROM <source> [WHERE ...]`. Run it with the SQL engine over
    /// the arriving rows.
    pub input_sql: String,
    /// Output names of the non-window GROUP BY keys, in order.
    pub key_names: Vec<String>,
    pub aggregates: Vec<WindowAggregate>,
    /// Runs over a table named `__windows` with columns window_start, window_end, __k0..,
    /// __g0.. (aggregate values, in `aggregates` order): the query's SELECT list, HAVING as
    /// WHERE, ORDER BY (and LIMIT); gives the final columns.
    pub output_sql: String,
}

/// What a windowed query may be, for the hints.
const SUPPORTED: &str = "a windowed query is one SELECT ... FROM TUMBLE|HOP|SESSION(t, ts, ...) \
[WHERE over t's columns] GROUP BY window_start, window_end [, keys] [HAVING ...] [ORDER BY ...] \
[LIMIT n], selecting window_start, window_end, the keys, count(*), count/sum/min/max/avg(x) \
and expressions over those";

fn refuse(what: impl std::fmt::Display, span: Option<Span>) -> SqlError {
    SqlError::new(
        ErrorKind::Unsupported,
        format!("{what} is not supported in a windowed query"),
    )
    .with_hint(SUPPORTED)
    .at(span.and_then(crate::bind::position))
}

/// Compiles a windowed aggregate query (see the module docs), or says why it is not one.
pub fn compile(query: &str) -> Result<WindowedQuery, SqlError> {
    let statements = Session::parse(query)?;
    let q = match statements.as_slice() {
        [ast::Statement::Query(q)] => q,
        [other] => return Err(refuse(format!("the statement {other}"), Some(other.span()))),
        _ => {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                "a windowed query is exactly one statement",
            )
            .with_hint(SUPPORTED))
        }
    };
    if q.with.is_some() {
        return Err(refuse("WITH", Some(q.span())));
    }
    let ast::SetExpr::Select(select) = q.body.as_ref() else {
        return Err(refuse(
            "a set operation (UNION, INTERSECT, EXCEPT) or VALUES",
            Some(q.body.span()),
        ));
    };
    if select.distinct {
        return Err(refuse("SELECT DISTINCT", Some(select.select_span)));
    }
    let (call, alias) = window_call(select)?;
    let group_asts = &select.group_by;
    let items = select_items(select)?;
    // Columns are qualified by the alias, else by the source table's name.
    let qualifier = alias.clone().unwrap_or_else(|| call.source.clone());
    let grouping = split_group_by(group_asts, &items, &qualifier)?;
    let mut rewriter = Rewriter::new(&grouping.keys, &qualifier);
    for k in &grouping.keys {
        rewriter.check_row_expr(k, "GROUP BY")?;
    }
    if let Some(w) = &select.selection {
        rewriter.check_row_expr(w, "WHERE")?;
    }
    let mut select_list = Vec::new();
    for (expr, name) in &items {
        select_list.push(format!("{} AS {}", rewriter.output(expr)?, quoted(name)));
    }
    // HAVING and ORDER BY may name a select item by its alias.
    let aliases: Vec<(String, ast::Expr)> = items
        .iter()
        .map(|(e, name)| (name.clone(), e.clone()))
        .collect();
    rewriter.set_aliases(aliases);
    let having = match &select.having {
        Some(h) => Some(rewriter.output(h)?),
        None => None,
    };
    let order_by = order_by_text(q, &mut rewriter)?;
    let key_names = grouping.keys.iter().map(|k| key_name(k, &items)).collect();
    let input_sql = input_sql(&call, alias.as_deref(), select, &grouping.keys, &rewriter);
    let mut output_sql = format!("SELECT {} FROM __windows", select_list.join(", "));
    if let Some(h) = having {
        output_sql.push_str(&format!(" WHERE {h}"));
    }
    if !order_by.is_empty() {
        output_sql.push_str(&format!(" ORDER BY {}", order_by.join(", ")));
    }
    if let Some(limit) = &q.limit_clause {
        output_sql.push_str(&format!(" {}", limit.to_string().trim()));
    }
    Ok(WindowedQuery {
        source: call.source,
        time_column: call.time_column,
        time_is_integer: call.integer,
        window: call.window,
        input_sql,
        key_names,
        aggregates: rewriter.aggregates(),
        output_sql,
    })
}

/// The FROM clause: exactly one window TVF, no join; its call and its alias.
fn window_call(s: &ast::Select) -> Result<(tvf::TvfCall, Option<String>), SqlError> {
    let [from] = s.from.as_slice() else {
        return Err(refuse(
            if s.from.is_empty() {
                "a query without FROM".to_string()
            } else {
                "more than one FROM item".to_string()
            },
            Some(s.select_span),
        ));
    };
    if let Some(join) = from.joins.first() {
        return Err(refuse("a join", Some(join.relation.span())));
    }
    let ast::TableFactor::Table {
        name,
        alias,
        args: Some(args),
    } = &from.relation
    else {
        return Err(refuse(
            format!(
                "FROM {} (a windowed query reads a window table function)",
                from.relation
            ),
            Some(from.relation.span()),
        ));
    };
    let call = tvf::parse_call(name, args)?.ok_or_else(|| {
        refuse(
            format!("the table function {name}"),
            Some(from.relation.span()),
        )
    })?;
    let alias = match alias {
        Some(a) if !a.columns.is_empty() => {
            return Err(refuse("renaming the TVF's columns", Some(a.name.span)))
        }
        Some(a) => Some(ident_name(&a.name)),
        None => None,
    };
    Ok((call, alias))
}

/// The select list as (expression, output name) pairs; `*` is refused (the window's rows are
/// grouped, so it would name ungrouped columns).
fn select_items(s: &ast::Select) -> Result<Vec<(ast::Expr, String)>, SqlError> {
    s.projection
        .iter()
        .map(|item| match item {
            ast::SelectItem::UnnamedExpr(e) => Ok((e.clone(), output_name(e))),
            ast::SelectItem::ExprWithAlias { expr, alias } => Ok((expr.clone(), ident_name(alias))),
            other => Err(refuse(format!("SELECT {other}"), Some(other.span()))),
        })
        .collect()
}

/// GROUP BY split into the window columns and the keys.
struct Grouping {
    keys: Vec<ast::Expr>,
}

/// Which window column a GROUP BY item or an expression names, if it is one.
fn window_column(e: &ast::Expr, qualifier: &str) -> Option<&'static str> {
    let name = match e {
        ast::Expr::Identifier(i) => ident_name(i),
        ast::Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [q, c] if ident_name(q) == qualifier => ident_name(c),
            _ => return None,
        },
        _ => return None,
    };
    match name.as_str() {
        "window_start" => Some("window_start"),
        "window_end" => Some("window_end"),
        _ => None,
    }
}

fn split_group_by(
    group: &[ast::Expr],
    items: &[(ast::Expr, String)],
    qualifier: &str,
) -> Result<Grouping, SqlError> {
    let mut keys: Vec<ast::Expr> = Vec::new();
    let (mut start, mut end) = (false, false);
    for g in group {
        // GROUP BY 2: the second select item.
        let g = match g {
            ast::Expr::Value(
                v @ ast::ValueWithSpan {
                    value: ast::Value::Number(text),
                    ..
                },
            ) => {
                let n: usize = text.parse().unwrap_or(0);
                match items.get(n.wrapping_sub(1)) {
                    Some((e, _)) => e,
                    None => {
                        return Err(SqlError::new(
                            ErrorKind::UnknownColumn,
                            format!("GROUP BY position {n} is not in the select list"),
                        )
                        .with_hint(format!("the select list has {} items", items.len()))
                        .at(crate::bind::position(v.span)))
                    }
                }
            }
            g => g,
        };
        match window_column(g, qualifier) {
            Some("window_start") => start = true,
            Some(_) => end = true,
            None => {
                if !keys.iter().any(|k| same_expr(k, g)) {
                    keys.push(g.clone());
                }
            }
        }
    }
    if !(start && end) {
        return Err(SqlError::new(
            ErrorKind::Unsupported,
            "a windowed query must GROUP BY window_start and window_end",
        )
        .with_hint(format!(
            "add them to GROUP BY, e.g. GROUP BY window_start, window_end, key; {SUPPORTED}"
        ))
        .at(group.first().and_then(|g| crate::bind::position(g.span()))));
    }
    Ok(Grouping { keys })
}

/// Whether two expressions are written the same, wherever they are in the text (a node's
/// equality counts its place, which GROUP BY k and SELECT k do not share).
fn same_expr(a: &ast::Expr, b: &ast::Expr) -> bool {
    a.to_string() == b.to_string()
}

/// A key's output name: the select item that is the key names it, else its own name.
fn key_name(key: &ast::Expr, items: &[(ast::Expr, String)]) -> String {
    items
        .iter()
        .find(|(e, _)| same_expr(e, key))
        .map_or_else(|| output_name(key), |(_, name)| name.clone())
}

/// The ORDER BY items rewritten over `__windows`.
fn order_by_text(q: &ast::Query, rewriter: &mut Rewriter) -> Result<Vec<String>, SqlError> {
    q.order_by
        .iter()
        .map(|o| {
            let key = match &o.expr {
                // ORDER BY 1 is the output's first column there too.
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    o.expr.to_string()
                }
                e => rewriter.order_key(e)?,
            };
            Ok(format!("{key}{}", order_options(o)))
        })
        .collect()
}

/// An ORDER BY item's ASC/DESC and NULLS FIRST/LAST as written, each after a space.
fn order_options(o: &ast::OrderByExpr) -> String {
    let direction = match o.asc {
        Some(true) => " ASC",
        Some(false) => " DESC",
        None => "",
    };
    let nulls = match o.nulls_first {
        Some(true) => " NULLS FIRST",
        Some(false) => " NULLS LAST",
        None => "",
    };
    format!("{direction}{nulls}")
}

/// The per-row projection: event time, keys, aggregate arguments, after WHERE.
fn input_sql(
    call: &tvf::TvfCall,
    alias: Option<&str>,
    select: &ast::Select,
    keys: &[ast::Expr],
    rewriter: &Rewriter,
) -> String {
    let mut columns = vec![format!("{} AS __ts", quoted(&call.time_column))];
    columns.extend(
        keys.iter()
            .enumerate()
            .map(|(i, k)| format!("{k} AS __k{i}")),
    );
    columns.extend(
        rewriter
            .arguments()
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{a} AS __a{i}")),
    );
    let mut sql = format!(
        "SELECT {} FROM {}",
        columns.join(", "),
        quoted(&call.source)
    );
    if let Some(a) = alias {
        sql.push_str(&format!(" AS {}", quoted(a)));
    }
    if let Some(w) = &select.selection {
        sql.push_str(&format!(" WHERE {w}"));
    }
    sql
}

/// A name as a quoted identifier (names here are already case-folded).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests;
