//! Operators and expressions as Spark's EXPLAIN prints them: `hashpartitioning(page, 8)`,
//! `count(1)`, `x ASC NULLS FIRST`, `LeftOuter`; columns by name.

use crate::expr::Expr;
use crate::plan::{AggCall, AggFn, JoinKind, Node, Plan, PlanField, SortKey};
use crate::value::Value;

/// Spark's join type names.
pub(super) fn join_kind_text(kind: JoinKind) -> &'static str {
    match kind {
        JoinKind::Inner => "Inner",
        JoinKind::Left => "LeftOuter",
        JoinKind::Right => "RightOuter",
        JoinKind::Full => "FullOuter",
        JoinKind::Cross => "Cross",
    }
}

/// A whole-subtree step's EXPLAIN text.
pub(super) fn whole_text(plan: &Plan) -> String {
    match &plan.node {
        Node::Values { rows } => format!("LocalTableScan [{} row(s)]", rows.len()),
        Node::RecursiveUnion { .. } => format!("UnionLoop {} (one task)", plan.label),
        _ => format!("{} (one task)", plan.operator()),
    }
}

/// ORDER BY keys as Spark prints them: `x ASC NULLS FIRST`.
pub(super) fn sort_text(keys: &[SortKey], fields: &[PlanField]) -> String {
    keys.iter()
        .map(|k| {
            format!(
                "{} {} NULLS {}",
                expr_text(&k.expr, fields),
                if k.descending { "DESC" } else { "ASC" },
                if k.nulls_first { "FIRST" } else { "LAST" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An aggregate call as Spark prints it: `count(1)`, `sum(ms)`, `count(distinct user_id)`.
pub(super) fn agg_text(call: &AggCall, fields: &[PlanField]) -> String {
    let arg = match (&call.arg, call.func) {
        (_, AggFn::CountStar) | (None, _) => "1".to_string(),
        (Some(e), _) => expr_text(e, fields),
    };
    let distinct = if call.distinct { "distinct " } else { "" };
    format!("{}({distinct}{arg})", call.func.name())
}

/// An expression for EXPLAIN, columns by name.
pub(super) fn expr_text(e: &Expr, fields: &[PlanField]) -> String {
    let text = |e: &Expr| expr_text(e, fields);
    match e {
        Expr::Column { index, .. } => fields
            .get(*index)
            .map_or_else(|| format!("#{index}"), |f| f.name.clone()),
        Expr::Literal(Value::Text(s)) => format!("'{s}'"),
        Expr::Literal(v) => v.to_string(),
        Expr::Binary {
            op, left, right, ..
        } => format!("({} {} {})", text(left), op.symbol(), text(right)),
        Expr::Not(inner) => format!("NOT {}", text(inner)),
        Expr::Negate(inner) => format!("-{}", text(inner)),
        Expr::IsNull { expr, negated } => {
            format!(
                "is{}null({})",
                if *negated { "not" } else { "" },
                text(expr)
            )
        }
        Expr::IsDistinct {
            left,
            right,
            negated,
        } => format!(
            "({} IS {}DISTINCT FROM {})",
            text(left),
            if *negated { "NOT " } else { "" },
            text(right)
        ),
        Expr::Like { expr, pattern, .. } => format!("{} LIKE {}", text(expr), text(pattern)),
        Expr::InList { expr, list, .. } => format!(
            "{} IN ({})",
            text(expr),
            list.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        Expr::InValues { expr, .. } => format!("{} IN (subquery)", text(expr)),
        Expr::Case { .. } => "CASE".into(),
        Expr::Cast { expr, to } => format!("cast({} as {})", text(expr), to.name()),
        Expr::Function { func, args, .. } => format!(
            "{}({})",
            func.name(),
            args.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        Expr::Outer { index, .. } => format!("outer(#{index})"),
        Expr::Subquery { subquery, .. } => format!("subquery({})", subquery.text),
        Expr::Computed(_) => "computed".into(),
        Expr::Aggregate { index, .. } => format!("aggregate#{index}"),
        Expr::Window { index, .. } => format!("window#{index}"),
    }
}
