//! Binding expressions: column names resolved against the columns in scope (or an enclosing
//! query's, which makes the subquery being bound correlated), literals typed, operators
//! type-checked with both types named in errors, and subqueries planned: each becomes an
//! [`Expr::Subquery`] that the executor runs, once per query when it is uncorrelated, once per
//! distinct outer row when it is correlated. One method per expression form; function calls,
//! aggregates and window functions are in `function.rs`.

use super::*;

/// What an expression is bound in: the columns in scope, the clause it is in (which functions it
/// allows), and where the SELECT's aggregates and window functions are collected.
pub(super) struct Scope<'s> {
    pub(super) fields: &'s [PlanField],
    pub(super) clause: Clause,
    pub(super) collected: &'s mut Collected,
}

impl<'a> Binder<'a> {
    /// Resolves a (possibly qualified) column name.
    pub(super) fn column(
        &self,
        parts: &[&ast::Ident],
        fields: &[PlanField],
    ) -> Result<Expr, SqlError> {
        let span = parts.last().map(|i| i.span).unwrap_or_default();
        let (qualifier, name) = match parts {
            [name] => (None, ident_name(name)),
            [q, name] => (Some(ident_name(q)), ident_name(name)),
            _ => {
                return Err(
                    SqlError::unsupported("names with more than two parts").at(position(span))
                )
            }
        };
        let matches: Vec<usize> = fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.name == name
                    && qualifier
                        .as_ref()
                        .is_none_or(|q| f.qualifier.as_deref() == Some(q.as_str()))
            })
            .map(|(i, _)| i)
            .collect();
        let visible: Vec<usize> = matches
            .iter()
            .copied()
            .filter(|i| !fields[*i].hidden)
            .collect();
        let chosen = match (matches.as_slice(), visible.as_slice()) {
            ([], _) => return Err(unknown_column(qualifier, &name, fields, span)),
            ([one], _) => *one,
            (_, [one]) => *one,
            _ => {
                let tables: Vec<String> = matches
                    .iter()
                    .filter_map(|i| fields[*i].qualifier.clone())
                    .collect();
                return Err(SqlError::new(
                    ErrorKind::AmbiguousColumn,
                    format!(
                        "column \"{name}\" is ambiguous: it is in {}",
                        tables.join(" and ")
                    ),
                )
                .with_hint(format!(
                    "qualify it, e.g. {}.{name}",
                    tables.first().cloned().unwrap_or_default()
                ))
                .at(position(span)));
            }
        };
        Ok(Expr::Column {
            index: chosen,
            data_type: fields[chosen].data_type,
        })
    }

    /// Binds an expression against `fields`.
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr,
        fields: &[PlanField],
        clause: Clause,
        collected: &mut Collected,
    ) -> Result<Expr, SqlError> {
        self.expr_in(
            e,
            &mut Scope {
                fields,
                clause,
                collected,
            },
        )
    }

    /// Binds an expression in `scope`, bounding how deep expressions nest.
    pub(super) fn expr_in(&mut self, e: &ast::Expr, scope: &mut Scope) -> Result<Expr, SqlError> {
        // Checked once from the top, without recursion: operator chains such as a + b + ...
        // are parsed without recursing, so they can be arbitrarily deep, and even asking for
        // their span recurses through all of them.
        if self.depth == 0 && deeper_than(e, EXPR_DEPTH_MAX) {
            return Err(too_deep("expression", EXPR_DEPTH_MAX));
        }
        self.depth += 1;
        let result = self.expr_form(e, scope);
        self.depth -= 1;
        result
    }

    /// One expression, by its form: names, literals, operators, CASE, CAST, scalar subqueries
    /// and function calls here; predicates and the SQL-standard function forms further on.
    fn expr_form(&mut self, e: &ast::Expr, scope: &mut Scope) -> Result<Expr, SqlError> {
        let span = e.span();
        match e {
            ast::Expr::Identifier(i) => self.column_or_outer(&[i], scope.fields),
            ast::Expr::CompoundIdentifier(parts) => {
                let refs: Vec<&ast::Ident> = parts.iter().collect();
                self.column_or_outer(&refs, scope.fields)
            }
            ast::Expr::Value(v) => Ok(Expr::Literal(literal(&v.value, v.span)?)),
            ast::Expr::Nested(inner) => self.expr_in(inner, scope),
            ast::Expr::TypedString {
                data_type: dt,
                value,
                ..
            } => typed_string(dt, value, span),
            ast::Expr::Interval {
                value,
                leading_field,
                ..
            } => interval(value, leading_field.as_deref(), span),
            ast::Expr::BinaryOp { left, op, right } => self.binary(left, *op, right, scope, span),
            ast::Expr::UnaryOp { op, expr, .. } => self.unary(*op, expr, scope, span),
            ast::Expr::Subquery(q, _) => self.scalar_subquery(q, scope, span),
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                scope,
            ),
            ast::Expr::Cast {
                expr,
                data_type: dt,
                ..
            } => self.cast(expr, dt, scope, span),
            ast::Expr::Function(f) => self.function(f, scope),
            _ => self.predicate(e, scope, span),
        }
    }

    /// The predicate forms: IS [NOT] NULL / TRUE / FALSE / DISTINCT FROM, BETWEEN, LIKE, IN
    /// (a list or a subquery), EXISTS.
    fn predicate(
        &mut self,
        e: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        match e {
            ast::Expr::IsNull(x) | ast::Expr::IsNotNull(x) => Ok(Expr::IsNull {
                expr: Box::new(self.expr_in(x, scope)?),
                negated: matches!(e, ast::Expr::IsNotNull(_)),
            }),
            ast::Expr::IsTrue(x)
            | ast::Expr::IsFalse(x)
            | ast::Expr::IsNotTrue(x)
            | ast::Expr::IsNotFalse(x) => self.is_truth(e, x, scope),
            ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => {
                let (l, r) = self.comparable(a, b, scope)?;
                Ok(Expr::IsDistinct {
                    left: Box::new(l),
                    right: Box::new(r),
                    negated: matches!(e, ast::Expr::IsNotDistinctFrom(..)),
                })
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => self.between(expr, *negated, low, high, scope, span),
            ast::Expr::Like {
                case_insensitive,
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                let like = LikeAst {
                    expr,
                    pattern,
                    escape_char: escape_char.as_deref(),
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                };
                self.like(like, scope, span)
            }
            ast::Expr::InList {
                expr,
                list,
                negated,
            } => self.in_list(expr, list, *negated, scope),
            ast::Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => self.in_subquery(expr, subquery, *negated, scope, span),
            ast::Expr::Exists {
                subquery, negated, ..
            } => {
                let kind = SubqueryKind::Exists { negated: *negated };
                let (pending, _) = self.subquery(subquery, scope.fields)?;
                Ok(pending.into_expr(kind, DataType::Boolean, None, span))
            }
            _ => self.special_function(e, scope, span),
        }
    }

    /// `x IS [NOT] TRUE`, `x IS [NOT] FALSE`: `x IS [NOT] DISTINCT FROM` the boolean.
    fn is_truth(
        &mut self,
        e: &ast::Expr,
        x: &ast::Expr,
        scope: &mut Scope,
    ) -> Result<Expr, SqlError> {
        let inner = self.expr_in(x, scope)?;
        let want = matches!(e, ast::Expr::IsTrue(_) | ast::Expr::IsNotTrue(_));
        let negated = matches!(e, ast::Expr::IsNotTrue(_) | ast::Expr::IsNotFalse(_));
        Ok(Expr::IsDistinct {
            left: Box::new(inner),
            right: Box::new(Expr::Literal(Value::Boolean(want))),
            negated: !negated,
        })
    }

    /// NOT, unary minus (a number literal is negated right away) and unary plus.
    fn unary(
        &mut self,
        op: ast::UnaryOperator,
        x: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let inner = self.expr_in(x, scope)?;
        match op {
            ast::UnaryOperator::Not => {
                if !matches!(inner.data_type(), DataType::Boolean | DataType::Null) {
                    return Err(type_error(
                        format!("NOT needs a BOOLEAN, not {}", inner.data_type()),
                        span,
                    ));
                }
                Ok(Expr::Not(Box::new(inner)))
            }
            ast::UnaryOperator::Minus => {
                if !matches!(
                    inner.data_type(),
                    DataType::BigInt | DataType::Double | DataType::Interval | DataType::Null
                ) {
                    return Err(type_error(
                        format!("cannot negate {}", inner.data_type()),
                        span,
                    ));
                }
                Ok(match inner {
                    Expr::Literal(Value::BigInt(i)) => Expr::Literal(Value::BigInt(-i)),
                    Expr::Literal(Value::Double(d)) => Expr::Literal(Value::Double(-d)),
                    other => Expr::Negate(Box::new(other)),
                })
            }
            ast::UnaryOperator::Plus => Ok(inner),
        }
    }

    /// `x [NOT] BETWEEN lo AND hi`: `x >= lo AND x <= hi`.
    fn between(
        &mut self,
        x: &ast::Expr,
        negated: bool,
        low: &ast::Expr,
        high: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let x = self.expr_in(x, scope)?;
        let t = Some(x.data_type());
        let lo = self
            .expr_in(low, scope)
            .map_err(|e| hint_to_quote(e, low, t))?;
        let hi = self
            .expr_in(high, scope)
            .map_err(|e| hint_to_quote(e, high, t))?;
        let ge = self.compare(BinOp::GtEq, x.clone(), lo, span)?;
        let le = self.compare(BinOp::LtEq, x, hi, span)?;
        let both = Expr::Binary {
            op: BinOp::And,
            left: Box::new(ge),
            right: Box::new(le),
            data_type: DataType::Boolean,
        };
        Ok(if negated {
            Expr::Not(Box::new(both))
        } else {
            both
        })
    }

    /// `x [NOT] LIKE p [ESCAPE c]` and ILIKE, on TEXT.
    fn like(&mut self, like: LikeAst, scope: &mut Scope, span: Span) -> Result<Expr, SqlError> {
        let escape = like_escape(like.escape_char)?;
        let (x, p) = self.compared(like.expr, like.pattern, scope)?;
        for (side, t) in [("value", x.data_type()), ("pattern", p.data_type())] {
            if !matches!(t, DataType::Text | DataType::Null) {
                return Err(
                    type_error(format!("LIKE needs TEXT, but the {side} is {t}"), span)
                        .with_hint("CAST it to TEXT"),
                );
            }
        }
        Ok(Expr::Like {
            expr: Box::new(x),
            pattern: Box::new(p),
            negated: like.negated,
            case_insensitive: like.case_insensitive,
            escape,
        })
    }

    /// `x [NOT] IN (a, b, ...)`, all compared in one common type.
    fn in_list(
        &mut self,
        x_ast: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
        scope: &mut Scope,
    ) -> Result<Expr, SqlError> {
        let x = match self.expr_in(x_ast, scope) {
            Ok(x) => x,
            Err(e) => {
                let listed = list.iter().find_map(|i| self.expr_in(i, scope).ok());
                return Err(hint_to_quote(e, x_ast, listed.map(|i| i.data_type())));
            }
        };
        let mut t = x.data_type();
        let mut items = Vec::new();
        for item in list {
            let b = self
                .expr_in(item, scope)
                .map_err(|e| hint_to_quote(e, item, Some(x.data_type())))?;
            t = DataType::common(t, b.data_type()).ok_or_else(|| {
                type_error(
                    format!("IN compares {} with {}", x.data_type(), b.data_type()),
                    item.span(),
                )
            })?;
            items.push(b);
        }
        Ok(Expr::InList {
            expr: Box::new(coerce(x, t)),
            list: items.into_iter().map(|i| coerce(i, t)).collect(),
            negated,
        })
    }

    /// `x [NOT] IN (SELECT ...)`: the subquery returns one column, compared with `x` in a
    /// common type.
    fn in_subquery(
        &mut self,
        x: &ast::Expr,
        subquery: &ast::Query,
        negated: bool,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let x = self.expr_in(x, scope)?;
        let (pending, sub_fields) = self.subquery(subquery, scope.fields)?;
        if sub_fields.len() != 1 {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!(
                    "the IN subquery returns {} columns; it must return one",
                    sub_fields.len()
                ),
            )
            .at(position(subquery.span())));
        }
        let t = DataType::common(x.data_type(), sub_fields[0].data_type).ok_or_else(|| {
            type_error(
                format!(
                    "IN compares {} with {}",
                    x.data_type(),
                    sub_fields[0].data_type
                ),
                span,
            )
        })?;
        let kind = SubqueryKind::In { negated };
        Ok(pending.into_expr(kind, t, Some(coerce(x, t)), span))
    }

    /// `(SELECT x ...)`: one column, at most one row (checked when it runs).
    fn scalar_subquery(
        &mut self,
        q: &ast::Query,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let (pending, sub_fields) = self.subquery(q, scope.fields)?;
        if sub_fields.len() != 1 {
            return Err(
                SqlError::new(ErrorKind::Type, "a scalar subquery must return one column")
                    .at(position(span)),
            );
        }
        let t = sub_fields[0].data_type;
        Ok(pending.into_expr(SubqueryKind::Scalar, t, None, span))
    }

    /// `CASE [operand] WHEN ... THEN ... [ELSE ...] END`, its results in one common type.
    fn case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        scope: &mut Scope,
    ) -> Result<Expr, SqlError> {
        let operand_b = match operand {
            Some(o) => Some(self.expr_in(o, scope)?),
            None => None,
        };
        let mut whens = Vec::new();
        let mut t = DataType::Null;
        for cw in conditions {
            let w = self.expr_in(&cw.condition, scope).map_err(|e| {
                hint_to_quote(e, &cw.condition, operand_b.as_ref().map(Expr::data_type))
            })?;
            if operand_b.is_none() && !matches!(w.data_type(), DataType::Boolean | DataType::Null) {
                return Err(type_error(
                    format!("CASE WHEN needs a BOOLEAN condition, not {}", w.data_type()),
                    cw.condition.span(),
                ));
            }
            let r = self.expr_in(&cw.result, scope)?;
            t = DataType::common(t, r.data_type()).ok_or_else(|| {
                type_error(
                    format!("CASE results mix {t} and {}", r.data_type()),
                    cw.result.span(),
                )
                .with_hint("CAST the results to one type")
            })?;
            whens.push((w, r));
        }
        let otherwise = match else_result {
            Some(x) => {
                let b = self.expr_in(x, scope)?;
                t = DataType::common(t, b.data_type()).ok_or_else(|| {
                    type_error(
                        format!("CASE results mix {t} and {}", b.data_type()),
                        x.span(),
                    )
                })?;
                Some(b)
            }
            None => None,
        };
        Ok(Expr::Case {
            operand: operand_b.map(Box::new),
            whens: whens.into_iter().map(|(w, r)| (w, coerce(r, t))).collect(),
            otherwise: otherwise.map(|o| Box::new(coerce(o, t))),
            data_type: if t == DataType::Null {
                DataType::Text
            } else {
                t
            },
        })
    }

    /// `CAST(x AS t)`; a literal is cast right away.
    fn cast(
        &mut self,
        x: &ast::Expr,
        dt: &ast::DataType,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let to = data_type(dt).map_err(|e| e.at(position(span)))?;
        let inner = self.expr_in(x, scope)?;
        Ok(match inner {
            Expr::Literal(v) if !v.is_null() => {
                Expr::Literal(crate::expr::cast(&v, to).map_err(|e| e.at(position(span)))?)
            }
            other => Expr::Cast {
                expr: Box::new(other),
                to,
            },
        })
    }

    /// The SQL-standard forms of functions: EXTRACT, SUBSTRING, TRIM, CEIL, FLOOR, POSITION.
    fn special_function(
        &mut self,
        e: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let (func, args) = match e {
            ast::Expr::Extract { field, expr, .. } => {
                let x = self.expr_in(expr, scope)?;
                let part = Expr::Literal(Value::text(&date_part_name(field)));
                (ScalarFn::DatePart, vec![part, x])
            }
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.expr_in(expr, scope)?];
                args.push(match substring_from {
                    Some(f) => self.expr_in(f, scope)?,
                    None => Expr::Literal(Value::BigInt(1)),
                });
                if let Some(f) = substring_for {
                    args.push(self.expr_in(f, scope)?);
                }
                (ScalarFn::Substr, args)
            }
            ast::Expr::Trim {
                trim_where,
                trim_what,
                expr,
                ..
            } => {
                let func = match trim_where {
                    Some(ast::TrimWhereField::Leading) => ScalarFn::Ltrim,
                    Some(ast::TrimWhereField::Trailing) => ScalarFn::Rtrim,
                    _ => ScalarFn::Trim,
                };
                let mut args = vec![self.expr_in(expr, scope)?];
                if let Some(w) = trim_what {
                    args.push(self.expr_in(w, scope)?);
                }
                (func, args)
            }
            ast::Expr::Ceil { expr, .. } | ast::Expr::Floor { expr, .. } => {
                let func = if matches!(e, ast::Expr::Ceil { .. }) {
                    ScalarFn::Ceil
                } else {
                    ScalarFn::Floor
                };
                (func, vec![self.expr_in(expr, scope)?])
            }
            ast::Expr::Position { expr, r#in, .. } => {
                let needle = self.expr_in(expr, scope)?;
                let hay = self.expr_in(r#in, scope)?;
                (ScalarFn::Strpos, vec![hay, needle])
            }
            other => {
                return Err(
                    SqlError::unsupported(format!("the expression {other}")).at(position(span))
                )
            }
        };
        self.function_call(func, args, span)
    }

    /// Resolves a column name in scope, else in the enclosing queries (innermost first): there
    /// it becomes a read of the outer row, and the subquery being bound is correlated.
    fn column_or_outer(
        &mut self,
        parts: &[&ast::Ident],
        fields: &[PlanField],
    ) -> Result<Expr, SqlError> {
        let err = match self.column(parts, fields) {
            Err(e) if e.kind == ErrorKind::UnknownColumn => e,
            other => return other,
        };
        for level in (0..self.outer.len()).rev() {
            let Ok(Expr::Column { index, data_type }) =
                self.column(parts, &self.outer[level].fields)
            else {
                continue;
            };
            let scope = &mut self.outer[level];
            scope.references += 1;
            let slot = match scope.used.iter().position(|u| *u == index) {
                Some(slot) => slot,
                None => {
                    scope.used.push(index);
                    scope.used.len() - 1
                }
            };
            return Ok(Expr::Outer {
                row: scope.row.clone(),
                index: slot,
                data_type,
            });
        }
        Err(err)
    }

    /// Plans a subquery in an expression over `outer`, and its visible columns. It is
    /// correlated when it reads the outer row or an enclosing query's; either way it only runs
    /// when the query does.
    pub(super) fn subquery(
        &mut self,
        q: &ast::Query,
        outer: &[PlanField],
    ) -> Result<(PendingSubquery, Vec<PlanField>), SqlError> {
        let row = Rc::new(OuterRow::default());
        let references_before: usize = self.outer.iter().map(|s| s.references).sum();
        self.outer.push(OuterScope {
            fields: outer.to_vec(),
            row: row.clone(),
            used: Vec::new(),
            references: 0,
        });
        let plan = self.query(q);
        let scope = self.outer.pop().expect("pushed above");
        let references_after: usize =
            self.outer.iter().map(|s| s.references).sum::<usize>() + scope.references;
        let plan = plan?;
        let fields: Vec<PlanField> = plan.fields.iter().filter(|f| !f.hidden).cloned().collect();
        let text = format!("({q})");
        if references_after == references_before {
            if self.working.iter().any(|w| plan.reads(w)) {
                // It would run once, before any round: PostgreSQL refuses it too.
                return Err(SqlError::unsupported(
                    "a recursive CTE's own name inside a subquery of its recursive part",
                )
                .with_hint("join it in the recursive part's FROM instead")
                .at(position(q.span())));
            }
            let pending = PendingSubquery {
                plan,
                row: None,
                args: Vec::new(),
                text,
            };
            return Ok((pending, fields));
        }
        let args = scope
            .used
            .iter()
            .map(|i| Expr::Column {
                index: *i,
                data_type: outer[*i].data_type,
            })
            .collect();
        let pending = PendingSubquery {
            plan,
            row: Some(row),
            args,
            text,
        };
        Ok((pending, fields))
    }

    /// The two sides of a comparison (`=`, `<>`, `<`, LIKE, IS DISTINCT FROM), bound; when one
    /// is a bare word that names no column and the other is TEXT, the error's hint says to quote
    /// the word.
    fn compared(
        &mut self,
        a: &ast::Expr,
        b: &ast::Expr,
        scope: &mut Scope,
    ) -> Result<(Expr, Expr), SqlError> {
        match (self.expr_in(a, scope), self.expr_in(b, scope)) {
            (Ok(l), Ok(r)) => Ok((l, r)),
            (Err(e), r) => Err(hint_to_quote(e, a, r.ok().map(|r| r.data_type()))),
            (Ok(l), Err(e)) => Err(hint_to_quote(e, b, Some(l.data_type()))),
        }
    }

    /// Two expressions cast to a type they can be compared in.
    pub(super) fn comparable(
        &mut self,
        a: &ast::Expr,
        b: &ast::Expr,
        scope: &mut Scope,
    ) -> Result<(Expr, Expr), SqlError> {
        let (l, r) = self.compared(a, b, scope)?;
        let t = DataType::common(l.data_type(), r.data_type()).ok_or_else(|| {
            type_error(
                format!("cannot compare {} with {}", l.data_type(), r.data_type()),
                a.span(),
            )
            .with_hint("CAST one side")
        })?;
        Ok((coerce(l, t), coerce(r, t)))
    }

    pub(super) fn compare(
        &self,
        op: BinOp,
        l: Expr,
        r: Expr,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let t = DataType::common(l.data_type(), r.data_type()).ok_or_else(|| {
            type_error(
                format!(
                    "cannot compare {} with {} ({})",
                    l.data_type(),
                    r.data_type(),
                    op.symbol()
                ),
                span,
            )
            .with_hint("CAST one side to the other's type, e.g. CAST(x AS TEXT)")
        })?;
        Ok(Expr::Binary {
            op,
            left: Box::new(coerce(l, t)),
            right: Box::new(coerce(r, t)),
            data_type: DataType::Boolean,
        })
    }

    /// A binary operator: a comparison, AND/OR, `||`, or arithmetic (on numbers, dates,
    /// timestamps and intervals).
    pub(super) fn binary(
        &mut self,
        left: &ast::Expr,
        op: ast::BinaryOperator,
        right: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        use ast::BinaryOperator as B;
        let bop = match op {
            B::Plus => BinOp::Plus,
            B::Minus => BinOp::Minus,
            B::Multiply => BinOp::Multiply,
            B::Divide => BinOp::Divide,
            B::Modulo => BinOp::Modulo,
            B::Eq => BinOp::Eq,
            B::NotEq => BinOp::NotEq,
            B::Lt => BinOp::Lt,
            B::LtEq => BinOp::LtEq,
            B::Gt => BinOp::Gt,
            B::GtEq => BinOp::GtEq,
            B::And => BinOp::And,
            B::Or => BinOp::Or,
            B::StringConcat => BinOp::Concat,
        };
        if bop.is_comparison() {
            let (l, r) = self.compared(left, right, scope)?;
            let l = as_date(l, r.data_type(), left)?;
            let r = as_date(r, l.data_type(), right)?;
            return self.compare(bop, l, r, span);
        }
        let l = self.expr_in(left, scope)?;
        let r = self.expr_in(right, scope)?;
        let (lt, rt) = (l.data_type(), r.data_type());
        let data_type = operator_type(bop, lt, rt).ok_or_else(|| {
            type_error(
                format!("cannot apply {} to {lt} and {rt}", bop.symbol()),
                span,
            )
            .with_hint("CAST one side to a type the operator takes")
        })?;
        Ok(Expr::Binary {
            op: bop,
            left: Box::new(l),
            right: Box::new(r),
            data_type,
        })
    }

    /// A scalar function call, its arguments that must share a type cast to it.
    pub(super) fn function_call(
        &self,
        func: ScalarFn,
        args: Vec<Expr>,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let data_type = func.result_type(&types).map_err(|e| e.at(position(span)))?;
        let args = match func {
            ScalarFn::Coalesce | ScalarFn::Greatest | ScalarFn::Least | ScalarFn::NullIf => {
                let t = types
                    .iter()
                    .fold(DataType::Null, |a, b| DataType::common(a, *b).unwrap_or(a));
                args.into_iter().map(|a| coerce(a, t)).collect()
            }
            _ => args,
        };
        Ok(Expr::Function {
            func,
            args,
            data_type,
        })
    }
}

/// A side of a comparison with a DATE or TIMESTAMP on the other (`other`): a TEXT literal reads
/// as one, and so does the TEXT a scalar subquery gives (cast when it has run).
fn as_date(e: Expr, other: DataType, ast: &ast::Expr) -> Result<Expr, SqlError> {
    if !matches!(other, DataType::Date | DataType::Timestamp) {
        return Ok(e);
    }
    match e {
        Expr::Literal(Value::Text(s)) => Ok(Expr::Literal(
            crate::expr::cast(&Value::Text(s), other).map_err(|e| e.at(position(ast.span())))?,
        )),
        Expr::Subquery { subquery, args }
            if subquery.kind == SubqueryKind::Scalar
                && !subquery.is_correlated()
                && subquery.data_type == DataType::Text =>
        {
            Ok(Expr::Cast {
                expr: Box::new(Expr::Subquery { subquery, args }),
                to: other,
            })
        }
        e => Ok(e),
    }
}

/// The type of an arithmetic, logical or `||` operator over `lt` and `rt`; `None` when it does
/// not take them.
fn operator_type(bop: BinOp, lt: DataType, rt: DataType) -> Option<DataType> {
    use DataType as T;
    Some(match bop {
        BinOp::And | BinOp::Or => {
            if !matches!(lt, T::Boolean | T::Null) || !matches!(rt, T::Boolean | T::Null) {
                return None;
            }
            T::Boolean
        }
        BinOp::Concat => T::Text,
        _ => match (bop, lt, rt) {
            (_, T::Null, _) | (_, _, T::Null) => {
                if lt == T::Null {
                    rt
                } else {
                    lt
                }
            }
            (_, T::BigInt, T::BigInt) => T::BigInt,
            (_, T::BigInt | T::Double, T::BigInt | T::Double) => T::Double,
            (BinOp::Plus, T::Date, T::BigInt)
            | (BinOp::Plus, T::BigInt, T::Date)
            | (BinOp::Minus, T::Date, T::BigInt) => T::Date,
            (BinOp::Minus, T::Date, T::Date) => T::BigInt,
            (BinOp::Plus | BinOp::Minus, T::Timestamp | T::Date, T::Interval)
            | (BinOp::Plus, T::Interval, T::Timestamp | T::Date) => T::Timestamp,
            (BinOp::Minus, T::Timestamp, T::Timestamp) => T::Interval,
            (BinOp::Plus | BinOp::Minus, T::Interval, T::Interval) => T::Interval,
            (BinOp::Multiply, T::Interval, T::BigInt)
            | (BinOp::Multiply, T::BigInt, T::Interval) => T::Interval,
            _ => return None,
        },
    })
}

/// The parts of `x [NOT] LIKE p [ESCAPE c]` (and ILIKE).
struct LikeAst<'e> {
    expr: &'e ast::Expr,
    pattern: &'e ast::Expr,
    escape_char: Option<&'e ast::Expr>,
    negated: bool,
    case_insensitive: bool,
}

/// LIKE's escape character, by PostgreSQL's rules: `\` by default, ESCAPE names another,
/// ESCAPE '' turns escaping off.
fn like_escape(escape_char: Option<&ast::Expr>) -> Result<Option<char>, SqlError> {
    let Some(e) = escape_char else {
        return Ok(Some('\\'));
    };
    let text = match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(t) => Some(t.clone()),
            _ => None,
        },
        _ => None,
    };
    let mut chars = text.as_deref().unwrap_or("xx").chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(SqlError::new(
            ErrorKind::Type,
            format!("the ESCAPE of LIKE must be one character, not {e}"),
        )
        .with_hint("write ESCAPE '!' (or ESCAPE '' for none)")
        .at(position(e.span()))),
    }
}

/// EXTRACT's field (lower-cased) as date_part() names it (`days` is `day`, `dayofweek` is
/// `dow`).
fn date_part_name(field: &str) -> String {
    let f = field.trim_end_matches('s').to_string();
    match f.as_str() {
        "dayofweek" => "dow".to_string(),
        "dayofyear" => "doy".to_string(),
        _ => f,
    }
}

/// `DATE '2024-01-15'`, `TIMESTAMP '...'`: the text cast to the type now.
fn typed_string(
    dt: &ast::DataType,
    value: &ast::ValueWithSpan,
    span: Span,
) -> Result<Expr, SqlError> {
    let t = data_type(dt)?;
    let text = match &value.value {
        ast::Value::SingleQuotedString(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(Expr::Literal(
        crate::expr::cast(&Value::text(&text), t).map_err(|e| e.at(position(span)))?,
    ))
}

/// `INTERVAL '5 minutes'`, `INTERVAL '2' HOUR`.
fn interval(value: &ast::Expr, leading_field: Option<&str>, span: Span) -> Result<Expr, SqlError> {
    let text = match value {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    };
    let text = match leading_field {
        Some(f) => format!("{text} {f}"),
        None => text,
    };
    let parsed = crate::expr::parse_interval(&text).ok_or_else(|| {
        SqlError::new(ErrorKind::Syntax, format!("\"{text}\" is not an interval"))
            .with_hint("write INTERVAL '5 minutes' or INTERVAL '1 day 2 hours'")
            .at(position(span))
    })?;
    Ok(Expr::Literal(Value::Interval(parsed)))
}

/// The error for a name no column in scope has, in PostgreSQL's words (`column "x" does not
/// exist`, `column t.x does not exist`), with a did-you-mean or the columns there are.
fn unknown_column(
    qualifier: Option<String>,
    name: &str,
    fields: &[PlanField],
    span: Span,
) -> SqlError {
    let full = match &qualifier {
        Some(q) => format!("{q}.{name}"),
        None => format!("\"{name}\""),
    };
    let mut err = SqlError::new(
        ErrorKind::UnknownColumn,
        format!("column {full} does not exist"),
    )
    .at(position(span));
    let candidates: Vec<String> = fields
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| f.name.clone())
        .collect();
    err.hint = did_you_mean(name, candidates.iter().map(String::as_str)).or_else(|| {
        if qualifier.is_some() && !fields.iter().any(|f| f.qualifier == qualifier) {
            Some(format!(
                "\"{}\" is not a table or alias in FROM",
                qualifier.clone().unwrap_or_default()
            ))
        } else if candidates.is_empty() {
            Some("this query has no FROM columns".into())
        } else {
            Some(format!("the columns are: {}", candidates.join(", ")))
        }
    });
    err
}

/// `err` with the hint to quote `word` when it is why the comparison failed: a bare word that
/// names no column, compared with TEXT (`event_type = click`), is most likely text missing its
/// single quotes. A close column name (a did-you-mean) stays in the hint as the other reading.
fn hint_to_quote(err: SqlError, word: &ast::Expr, other: Option<DataType>) -> SqlError {
    let ast::Expr::Identifier(ident) = word else {
        return err;
    };
    if err.kind != ErrorKind::UnknownColumn || other != Some(DataType::Text) {
        return err;
    }
    let text = &ident.value;
    let quoted = format!("'{}'", text.replace('\'', "''"));
    let mut hint = format!("to compare with the text {text}, write it in single quotes: {quoted}");
    if ident.quote_style == Some('"') {
        hint = format!("double quotes name a column; {hint}");
    }
    if let Some(close) = err
        .hint
        .as_deref()
        .filter(|h| h.starts_with("did you mean"))
    {
        hint = format!("{hint} (or, for a column, {close})");
    }
    err.with_hint(hint)
}

/// Whether operator nesting in `e` goes deeper than `max`, found with an explicit stack (other
/// nesting is bounded by the parser's recursion limit).
fn deeper_than(e: &ast::Expr, max: usize) -> bool {
    let mut stack = vec![(e, 1usize)];
    while let Some((e, depth)) = stack.pop() {
        if depth > max {
            return true;
        }
        match e {
            ast::Expr::BinaryOp { left, right, .. } => {
                stack.push((left, depth + 1));
                stack.push((right, depth + 1));
            }
            ast::Expr::UnaryOp { expr, .. }
            | ast::Expr::Nested(expr)
            | ast::Expr::IsNull(expr)
            | ast::Expr::IsNotNull(expr)
            | ast::Expr::IsTrue(expr)
            | ast::Expr::IsFalse(expr)
            | ast::Expr::Cast { expr, .. } => stack.push((expr, depth + 1)),
            ast::Expr::Like { expr, pattern, .. } => {
                stack.push((expr, depth + 1));
                stack.push((pattern, depth + 1));
            }
            _ => {}
        }
    }
    false
}

/// A planned subquery before its kind (EXISTS, IN, scalar) is known.
pub(super) struct PendingSubquery {
    plan: Plan,
    /// The outer row it reads, when it is correlated.
    row: Option<Rc<OuterRow>>,
    /// The outer row's values it reads, over the outer query's columns.
    args: Vec<Expr>,
    text: String,
}

impl PendingSubquery {
    fn into_expr(
        self,
        kind: SubqueryKind,
        data_type: DataType,
        operand: Option<Expr>,
        span: Span,
    ) -> Expr {
        let mut args = self.args;
        args.extend(operand);
        Expr::Subquery {
            subquery: Rc::new(Subquery {
                plan: self.plan,
                outer_row: self.row,
                kind,
                data_type,
                text: self.text,
                position: position(span),
            }),
            args,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Session, SqlError};

    fn error(sql: &str) -> SqlError {
        let mut s = Session::new();
        s.execute("CREATE TABLE t (kind TEXT, n BIGINT)").unwrap();
        s.execute(sql).unwrap_err()
    }

    fn hint(sql: &str) -> String {
        error(sql).hint.unwrap_or_default()
    }

    #[test]
    fn a_bare_word_compared_with_text_is_told_to_take_quotes() {
        let quote = "to compare with the text click, write it in single quotes: 'click'";
        for sql in [
            "SELECT * FROM t WHERE kind = click",
            "SELECT * FROM t WHERE click <> kind",
            "SELECT * FROM t WHERE lower(kind) = click",
            "SELECT * FROM t WHERE kind IN ('view', click)",
            "SELECT * FROM t WHERE click IN ('view', 'buy')",
            "SELECT * FROM t WHERE kind LIKE click",
            "SELECT * FROM t WHERE kind IS DISTINCT FROM click",
            "SELECT * FROM t WHERE kind BETWEEN 'a' AND click",
            "SELECT CASE kind WHEN click THEN 1 END FROM t",
        ] {
            assert_eq!(hint(sql), quote, "{sql}");
        }
        // The error itself is still the unknown column, where the word is.
        let e = error("SELECT * FROM t WHERE kind = click");
        assert_eq!(e.kind, ErrorKind::UnknownColumn);
        assert_eq!(e.message, "column \"click\" does not exist");
        assert_eq!(
            error("SELECT t.click FROM t").message,
            "column t.click does not exist"
        );
        assert_eq!(e.position.map(|p| p.column), Some(30));
    }

    #[test]
    fn the_quote_hint_keeps_the_words_case_and_escapes_its_quotes() {
        assert_eq!(
            hint("SELECT * FROM t WHERE kind = Click"),
            "to compare with the text Click, write it in single quotes: 'Click'"
        );
        assert_eq!(
            hint("SELECT * FROM t WHERE kind = \"it's\""),
            "double quotes name a column; to compare with the text it's, write it in single quotes: 'it''s'"
        );
        // A close column name is the other reading.
        assert_eq!(
            hint("SELECT * FROM t WHERE kind = kinds"),
            "to compare with the text kinds, write it in single quotes: 'kinds' (or, for a column, did you mean \"kind\"?)"
        );
    }

    #[test]
    fn no_quote_hint_where_text_is_not_what_is_compared() {
        for sql in [
            "SELECT * FROM t WHERE n = click",
            "SELECT * FROM t WHERE kind = t.click",
            "SELECT * FROM t WHERE click = missing",
            "SELECT kind || click FROM t",
            "SELECT CASE WHEN click THEN 1 END FROM t",
        ] {
            assert!(!hint(sql).contains("single quotes"), "{sql}: {}", hint(sql));
        }
        assert_eq!(
            hint("SELECT * FROM t WHERE n = click"),
            "the columns are: kind, n"
        );
    }
}
