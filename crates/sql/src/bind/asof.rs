//! Binding ASOF JOIN (DuckDB's semantics): `e ASOF [LEFT] JOIN f ON e.k = f.k [AND ...] AND
//! e.ts >= f.ts`, or `USING (k, ts)` (the last column is `e.ts >= f.ts`). The condition must be
//! equalities between the two sides plus exactly one inequality (`>=`, `>`, `<=`, `<`, either
//! operand order) joined by AND; anything else is refused, as DuckDB does.

use super::{and_all, comma_list, conjuncts, ident_name, max_column, min_column, using, Binder};
use crate::error::{ErrorKind, SqlError};
use crate::expr::{BinOp, Expr};
use crate::plan::{AsofInequality, Node, Plan};
use crate::syntax::ast;

/// Which side of the join an expression reads: the left, the right, or neither or both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
    Other,
}

fn side(e: &Expr, n_left: usize) -> Side {
    match (min_column(e), max_column(e)) {
        (Some(_), Some(hi)) if hi < n_left => Side::Left,
        (Some(lo), Some(_)) if lo >= n_left => Side::Right,
        _ => Side::Other,
    }
}

/// `op` with its operands swapped (`a < b` is `b > a`).
fn flipped(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::LtEq => BinOp::GtEq,
        BinOp::Gt => BinOp::Lt,
        BinOp::GtEq => BinOp::LtEq,
        other => other,
    }
}

fn refusal(message: impl Into<String>) -> SqlError {
    SqlError::new(ErrorKind::Unsupported, message).with_hint(
        "an ASOF JOIN's condition is equalities plus one inequality joined by AND, e.g. \
         ON e.k = f.k AND e.ts >= f.ts; filter either side in a CTE first",
    )
}

/// Splits a bound ASOF condition (over the left's fields then the right's) into equality keys
/// and the one inequality.
fn asof_parts(
    predicate: Expr,
    n_left: usize,
) -> Result<(Vec<(Expr, Expr)>, AsofInequality), SqlError> {
    let mut parts = Vec::new();
    conjuncts(predicate, &mut parts);
    let mut keys = Vec::new();
    let mut inequality: Option<AsofInequality> = None;
    for part in parts {
        let Expr::Binary {
            op,
            left: a,
            right: b,
            ..
        } = &part
        else {
            return Err(refusal(
                "ASOF JOIN: a condition part is not a comparison of the two sides",
            ));
        };
        let (l, r, op) = match (side(a, n_left), side(b, n_left)) {
            (Side::Left, Side::Right) => ((**a).clone(), b.remap(&|i| i - n_left), *op),
            (Side::Right, Side::Left) => ((**b).clone(), a.remap(&|i| i - n_left), flipped(*op)),
            _ => {
                return Err(refusal(format!(
                "ASOF JOIN: a condition part ({}) does not compare a left column with a right one",
                op.symbol()
            )))
            }
        };
        match op {
            BinOp::Eq => keys.push((l, r)),
            BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
                if inequality.is_some() {
                    return Err(refusal("ASOF JOIN takes exactly one inequality, not two"));
                }
                inequality = Some(AsofInequality {
                    left: l,
                    op,
                    right: r,
                });
            }
            other => {
                return Err(refusal(format!(
                    "ASOF JOIN cannot join on {}",
                    other.symbol()
                )))
            }
        }
    }
    let inequality = inequality.ok_or_else(|| {
        refusal("ASOF JOIN needs one inequality (>=, >, <=, <) between the two sides")
    })?;
    Ok((keys, inequality))
}

impl Binder<'_> {
    /// `left ASOF [LEFT] JOIN right` with `constraint`.
    pub(super) fn asof_join(
        &mut self,
        left: Plan,
        right: Plan,
        keep_unmatched: bool,
        constraint: &ast::JoinConstraint,
    ) -> Result<Plan, SqlError> {
        let n_left = left.fields.len();
        let mut fields = left.fields.clone();
        fields.extend(right.fields.clone());
        let mut parts = Vec::new();
        let on_text = match constraint {
            ast::JoinConstraint::On(e) => {
                parts.push(self.condition(e, &fields, "ASOF JOIN ... ON")?);
                format!(" ON {e}")
            }
            ast::JoinConstraint::Using(names) => {
                let named: Vec<_> = names.iter().map(|n| (ident_name(n), n.span)).collect();
                let mut equalities = Vec::new();
                if let Some(p) = using(&left, &right, &mut fields, &named)? {
                    conjuncts(p, &mut equalities);
                }
                // The last USING column is the inequality: left >= right.
                if let Some(Expr::Binary { op, .. }) = equalities.last_mut() {
                    *op = BinOp::GtEq;
                }
                parts.extend(equalities);
                format!(" USING ({})", comma_list(names))
            }
            ast::JoinConstraint::None | ast::JoinConstraint::Natural => {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    "ASOF JOIN needs ON (or USING) with one inequality",
                )
                .with_hint("write ASOF JOIN f ON e.k = f.k AND e.ts >= f.ts"))
            }
        };
        let predicate = and_all(parts).ok_or_else(|| {
            refusal("ASOF JOIN needs one inequality (>=, >, <=, <) between the two sides")
        })?;
        let (keys, inequality) = asof_parts(predicate, n_left)?;
        let kind = if keep_unmatched {
            "ASOF LEFT JOIN"
        } else {
            "ASOF JOIN"
        };
        let label = format!(
            "FROM {} {kind} {}{on_text} (sort-merge: each left row takes the nearest right row {}, the last in input order among equal values)",
            left.label.trim_start_matches("FROM "),
            right.label.trim_start_matches("FROM "),
            match inequality.op {
                BinOp::GtEq => "at or before the left's",
                BinOp::Gt => "strictly before the left's",
                BinOp::LtEq => "at or after the left's",
                _ => "strictly after the left's",
            }
        );
        Ok(Plan {
            node: Node::AsofJoin {
                left: Box::new(left),
                right: Box::new(right),
                keep_unmatched,
                keys,
                inequality,
            },
            fields,
            label,
        })
    }
}
