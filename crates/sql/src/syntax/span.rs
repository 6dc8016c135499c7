//! Where a token or a node is in the SQL text: 1-based lines and columns (in characters), as an
//! error's caret needs them. Line 0 marks a node that was not parsed from text (made by a rewrite).

use super::ast::*;

/// A 1-based line and column; line 0 is "nowhere".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: u64,
    pub column: u64,
}

/// The text from `start` up to `end` (the position just past the last character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: Location,
    pub end: Location,
}

impl Span {
    /// The span of a node that has no text.
    pub fn empty() -> Span {
        Span::default()
    }

    pub fn is_empty(&self) -> bool {
        self.start.line == 0
    }

    /// The smallest span covering both (an empty span covers nothing).
    pub fn union(self, other: Span) -> Span {
        match (self.is_empty(), other.is_empty()) {
            (true, _) => other,
            (_, true) => self,
            _ => Span {
                start: self.start.min(other.start),
                end: self.end.max(other.end),
            },
        }
    }
}

// ---- the spans of the tree's nodes ------------------------------------------------------
//
// Each node's span covers its tokens and children, as sqlparser's `Spanned` gives it: the
// start is where an error's caret goes.

/// The union of the spans of `items`.
fn union_all<T>(items: &[T], span: impl Fn(&T) -> Span) -> Span {
    items
        .iter()
        .fold(Span::empty(), |acc, item| acc.union(span(item)))
}

impl ObjectName {
    pub fn span(&self) -> Span {
        union_all(&self.0, |i| i.span)
    }
}

impl Statement {
    pub fn span(&self) -> Span {
        match self {
            Statement::Query(q) => q.span,
            Statement::Explain { span, .. } | Statement::Drop { span, .. } => *span,
            Statement::CreateTable(ct) => ct.span,
            Statement::Insert(i) => i.span,
        }
    }
}

impl Query {
    pub fn span(&self) -> Span {
        self.span
    }
}

impl SetExpr {
    pub fn span(&self) -> Span {
        match self {
            SetExpr::Select(s) => s.span(),
            SetExpr::Query(q) => q.span,
            SetExpr::Values(v) => union_all(&v.rows, |r| r.span),
            SetExpr::SetOperation { left, right, .. } => left.span().union(right.span()),
        }
    }
}

impl Select {
    pub fn span(&self) -> Span {
        let mut span = self
            .select_span
            .union(union_all(&self.projection, SelectItem::span))
            .union(union_all(&self.from, |t| {
                t.relation
                    .span()
                    .union(union_all(&t.joins, |j| j.relation.span()))
            }))
            .union(union_all(&self.group_by, Expr::span));
        for e in [&self.selection, &self.having].into_iter().flatten() {
            span = span.union(e.span());
        }
        span
    }
}

impl SelectItem {
    pub fn span(&self) -> Span {
        match self {
            SelectItem::UnnamedExpr(e) => e.span(),
            SelectItem::ExprWithAlias { expr, alias } => expr.span().union(alias.span),
            SelectItem::QualifiedWildcard(name) => name.span(),
            SelectItem::Wildcard(span) => *span,
        }
    }
}

impl TableFactor {
    pub fn span(&self) -> Span {
        let (span, alias) = match self {
            TableFactor::Table { name, alias, .. } => (name.span(), alias),
            TableFactor::Derived { span, alias, .. }
            | TableFactor::NestedJoin { span, alias, .. } => (*span, alias),
        };
        match alias {
            Some(a) => span
                .union(a.name.span)
                .union(union_all(&a.columns, |c| c.span)),
            None => span,
        }
    }
}

impl OrderByExpr {
    pub fn span(&self) -> Span {
        self.expr.span()
    }
}

impl Function {
    pub fn span(&self) -> Span {
        self.span
    }
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Identifier(i) => i.span,
            Expr::CompoundIdentifier(parts) => union_all(parts, |i| i.span),
            Expr::Value(v) => v.span,
            Expr::BinaryOp { left, right, .. } => left.span().union(right.span()),
            Expr::UnaryOp { expr, span, .. } | Expr::Cast { expr, span, .. } => {
                span.union(expr.span())
            }
            Expr::Nested(e)
            | Expr::IsNull(e)
            | Expr::IsNotNull(e)
            | Expr::IsTrue(e)
            | Expr::IsNotTrue(e)
            | Expr::IsFalse(e)
            | Expr::IsNotFalse(e) => e.span(),
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => a.span().union(b.span()),
            Expr::Between {
                expr, low, high, ..
            } => expr.span().union(low.span()).union(high.span()),
            Expr::InList { expr, list, .. } => expr.span().union(union_all(list, Expr::span)),
            Expr::InSubquery { expr, subquery, .. } => expr.span().union(subquery.span),
            Expr::Like {
                expr,
                pattern,
                escape_char,
                ..
            } => {
                let span = expr.span().union(pattern.span());
                escape_char.as_ref().map_or(span, |e| span.union(e.span()))
            }
            Expr::Function(f) => f.span,
            Expr::Subquery(_, span)
            | Expr::Exists { span, .. }
            | Expr::Case { span, .. }
            | Expr::Extract { span, .. }
            | Expr::Substring { span, .. }
            | Expr::Trim { span, .. }
            | Expr::Position { span, .. }
            | Expr::Ceil { span, .. }
            | Expr::Floor { span, .. }
            | Expr::Interval { span, .. }
            | Expr::TypedString { span, .. } => *span,
        }
    }
}
