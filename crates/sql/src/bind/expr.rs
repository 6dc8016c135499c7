//! Binding expressions: column names resolved against the columns in scope, literals typed,
//! operators and functions type-checked with both types named in errors, aggregates and window
//! functions collected for the SELECT being planned, uncorrelated subqueries run, correlated ones
//! planned to run per outer row.

use super::*;

impl<'a> Binder<'a> {
    /// Resolves a (possibly qualified) column name.
    pub(super) fn column(
        &self,
        parts: &[&ast::Ident],
        fields: &[PlanField],
    ) -> Result<Expr, SqlError> {
        let span = parts
            .last()
            .map(|i| i.span)
            .unwrap_or(sqlparser::tokenizer::Span::empty());
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
            ([], _) => {
                let full = match &qualifier {
                    Some(q) => format!("{q}.{name}"),
                    None => name.clone(),
                };
                let mut err = SqlError::new(
                    ErrorKind::UnknownColumn,
                    format!("there is no column \"{full}\""),
                )
                .at(position(span));
                let candidates: Vec<String> = fields
                    .iter()
                    .filter(|f| !f.hidden)
                    .map(|f| f.name.clone())
                    .collect();
                err.hint =
                    did_you_mean(&name, candidates.iter().map(String::as_str)).or_else(|| {
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
                return Err(err);
            }
            ([one], _) => *one,
            (_, [one]) => *one,
            _ => {
                let tables: Vec<String> = matches
                    .iter()
                    .filter_map(|i| fields[*i].qualifier.clone())
                    .collect();
                return Err(SqlError::new(
                    ErrorKind::UnknownColumn,
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
        // Checked once from the top, without recursion: operator chains such as a + b + ...
        // are parsed without recursing, so they can be arbitrarily deep, and even asking for
        // their span recurses through all of them.
        if self.depth == 0 && deeper_than(e, EXPR_DEPTH_MAX) {
            return Err(too_deep("expression", EXPR_DEPTH_MAX));
        }
        self.depth += 1;
        let result = self.expr_nested(e, fields, clause, collected);
        self.depth -= 1;
        result
    }

    fn expr_nested(
        &mut self,
        e: &ast::Expr,
        fields: &[PlanField],
        clause: Clause,
        collected: &mut Collected,
    ) -> Result<Expr, SqlError> {
        let span = e.span();
        let sub = |b: &mut Self, e: &ast::Expr, c: &mut Collected| b.expr(e, fields, clause, c);
        Ok(match e {
            ast::Expr::Identifier(i) => self.column_or_outer(&[i], fields)?,
            ast::Expr::CompoundIdentifier(parts) => {
                let refs: Vec<&ast::Ident> = parts.iter().collect();
                self.column_or_outer(&refs, fields)?
            }
            ast::Expr::Value(v) => Expr::Literal(literal(&v.value, v.span)?),
            ast::Expr::Nested(inner) => sub(self, inner, collected)?,
            ast::Expr::TypedString(ts) => {
                let t = data_type(&ts.data_type)?;
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                };
                Expr::Literal(
                    crate::expr::cast(&Value::text(&text), t)
                        .map_err(|e| e.at(position(span)))?,
                )
            }
            ast::Expr::Interval(iv) => {
                let text = match iv.value.as_ref() {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => s.clone(),
                        other => other.to_string(),
                    },
                    other => other.to_string(),
                };
                let text = match &iv.leading_field {
                    Some(f) => format!("{text} {f}"),
                    None => text,
                };
                Expr::Literal(Value::Interval(
                    crate::expr::parse_interval(&text).ok_or_else(|| {
                        SqlError::new(ErrorKind::Syntax, format!("\"{text}\" is not an interval"))
                            .with_hint("write INTERVAL '5 minutes' or INTERVAL '1 day 2 hours'")
                            .at(position(span))
                    })?,
                ))
            }
            ast::Expr::IsNull(x) | ast::Expr::IsNotNull(x) => Expr::IsNull {
                expr: Box::new(sub(self, x, collected)?),
                negated: matches!(e, ast::Expr::IsNotNull(_)),
            },
            ast::Expr::IsTrue(x)
            | ast::Expr::IsFalse(x)
            | ast::Expr::IsNotTrue(x)
            | ast::Expr::IsNotFalse(x) => {
                let inner = sub(self, x, collected)?;
                let want = matches!(e, ast::Expr::IsTrue(_) | ast::Expr::IsNotTrue(_));
                let negated = matches!(e, ast::Expr::IsNotTrue(_) | ast::Expr::IsNotFalse(_));
                Expr::IsDistinct {
                    left: Box::new(inner),
                    right: Box::new(Expr::Literal(Value::Boolean(want))),
                    negated: !negated,
                }
            }
            ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => {
                let (l, r) = self.comparable(a, b, fields, clause, collected)?;
                Expr::IsDistinct {
                    left: Box::new(l),
                    right: Box::new(r),
                    negated: matches!(e, ast::Expr::IsNotDistinctFrom(..)),
                }
            }
            ast::Expr::BinaryOp { left, op, right } => {
                self.binary(left, op, right, fields, clause, collected, span)?
            }
            ast::Expr::UnaryOp { op, expr } => {
                let inner = sub(self, expr, collected)?;
                match op {
                    ast::UnaryOperator::Not => {
                        if !matches!(inner.data_type(), DataType::Boolean | DataType::Null) {
                            return Err(type_error(
                                format!("NOT needs a BOOLEAN, not {}", inner.data_type()),
                                span,
                            ));
                        }
                        Expr::Not(Box::new(inner))
                    }
                    ast::UnaryOperator::Minus => {
                        if !matches!(
                            inner.data_type(),
                            DataType::BigInt
                                | DataType::Double
                                | DataType::Interval
                                | DataType::Null
                        ) {
                            return Err(type_error(
                                format!("cannot negate {}", inner.data_type()),
                                span,
                            ));
                        }
                        match inner {
                            Expr::Literal(Value::BigInt(i)) => Expr::Literal(Value::BigInt(-i)),
                            Expr::Literal(Value::Double(d)) => Expr::Literal(Value::Double(-d)),
                            other => Expr::Negate(Box::new(other)),
                        }
                    }
                    ast::UnaryOperator::Plus => inner,
                    other => {
                        return Err(SqlError::unsupported(format!("the operator {other}"))
                            .at(position(span)))
                    }
                }
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = sub(self, expr, collected)?;
                let lo = sub(self, low, collected)?;
                let hi = sub(self, high, collected)?;
                let ge = self.compare(BinOp::GtEq, x.clone(), lo, span)?;
                let le = self.compare(BinOp::LtEq, x, hi, span)?;
                let both = Expr::Binary {
                    op: BinOp::And,
                    left: Box::new(ge),
                    right: Box::new(le),
                    data_type: DataType::Boolean,
                };
                if *negated {
                    Expr::Not(Box::new(both))
                } else {
                    both
                }
            }
            ast::Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | ast::Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any {
                    return Err(SqlError::unsupported("LIKE ANY")
                        .with_hint("combine several LIKE tests with OR")
                        .at(position(span)));
                }
                // PostgreSQL's rules: `\` escapes by default, ESCAPE names another character,
                // ESCAPE '' turns escaping off.
                let escape = match escape_char.as_deref() {
                    None => Some('\\'),
                    Some(e) => {
                        let text = match e {
                            ast::Expr::Value(v) => match &v.value {
                                ast::Value::SingleQuotedString(t) => Some(t.clone()),
                                _ => None,
                            },
                            _ => None,
                        };
                        let mut chars = text.as_deref().unwrap_or("xx").chars();
                        match (chars.next(), chars.next()) {
                            (None, _) => None,
                            (Some(c), None) => Some(c),
                            _ => {
                                return Err(SqlError::new(
                                    ErrorKind::Type,
                                    format!("the ESCAPE of LIKE must be one character, not {e}"),
                                )
                                .with_hint("write ESCAPE '!' (or ESCAPE '' for none)")
                                .at(position(e.span())))
                            }
                        }
                    }
                };
                let x = sub(self, expr, collected)?;
                let p = sub(self, pattern, collected)?;
                for (side, t) in [("value", x.data_type()), ("pattern", p.data_type())] {
                    if !matches!(t, DataType::Text | DataType::Null) {
                        return Err(type_error(
                            format!("LIKE needs TEXT, but the {side} is {t}"),
                            span,
                        )
                        .with_hint("CAST it to TEXT"));
                    }
                }
                Expr::Like {
                    expr: Box::new(x),
                    pattern: Box::new(p),
                    negated: *negated,
                    case_insensitive: matches!(e, ast::Expr::ILike { .. }),
                    escape,
                }
            }
            ast::Expr::InList {
                expr,
                list,
                negated,
            } => {
                let x = sub(self, expr, collected)?;
                let mut t = x.data_type();
                let mut items = Vec::new();
                for item in list {
                    let b = sub(self, item, collected)?;
                    t = DataType::common(t, b.data_type()).ok_or_else(|| {
                        type_error(
                            format!("IN compares {} with {}", x.data_type(), b.data_type()),
                            item.span(),
                        )
                    })?;
                    items.push(b);
                }
                Expr::InList {
                    expr: Box::new(coerce(x, t)),
                    list: items.into_iter().map(|i| coerce(i, t)).collect(),
                    negated: *negated,
                }
            }
            ast::Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let x = sub(self, expr, collected)?;
                let (bound, sub_fields) = self.subquery(subquery, fields)?;
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
                let t =
                    DataType::common(x.data_type(), sub_fields[0].data_type).ok_or_else(|| {
                        type_error(
                            format!(
                                "IN compares {} with {}",
                                x.data_type(),
                                sub_fields[0].data_type
                            ),
                            span,
                        )
                    })?;
                let kind = SubqueryKind::In { negated: *negated };
                match bound {
                    BoundSubquery::Rows(table) => Expr::InValues {
                        expr: Box::new(coerce(x, t)),
                        values: Rc::new(crate::expr::ValueSet::of_column(
                            &table.columns[0],
                            t,
                        )?),
                        negated: *negated,
                    },
                    BoundSubquery::Correlated(c) => c.into_expr(kind, t, Some(coerce(x, t))),
                }
            }
            ast::Expr::Exists { subquery, negated } => {
                let kind = SubqueryKind::Exists { negated: *negated };
                match self.subquery(subquery, fields)?.0 {
                    BoundSubquery::Rows(table) => {
                        Expr::Literal(Value::Boolean((table.rows > 0) != *negated))
                    }
                    BoundSubquery::Correlated(c) => c.into_expr(kind, DataType::Boolean, None),
                }
            }
            ast::Expr::Subquery(q) => {
                let (bound, sub_fields) = self.subquery(q, fields)?;
                if sub_fields.len() != 1 {
                    return Err(SqlError::new(
                        ErrorKind::Type,
                        "a scalar subquery must return one column",
                    )
                    .at(position(span)));
                }
                let t = sub_fields[0].data_type;
                let table = match bound {
                    BoundSubquery::Rows(table) => table,
                    BoundSubquery::Correlated(c) => {
                        return Ok(c.into_expr(SubqueryKind::Scalar, t, None));
                    }
                };
                if table.rows > 1 {
                    return Err(SqlError::new(
                        ErrorKind::Runtime,
                        format!(
                            "the scalar subquery returned {} rows; it may return at most one",
                            table.rows
                        ),
                    )
                    .with_hint("add LIMIT 1 or an aggregate")
                    .at(position(span)));
                }
                let v = if table.rows == 1 {
                    table.columns[0].get(0)
                } else {
                    Value::Null
                };
                coerce(Expr::Literal(crate::expr::cast(&v, t)?), t)
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                let operand_b = match operand {
                    Some(o) => Some(sub(self, o, collected)?),
                    None => None,
                };
                let mut whens = Vec::new();
                let mut t = DataType::Null;
                for cw in conditions {
                    let w = sub(self, &cw.condition, collected)?;
                    if operand_b.is_none()
                        && !matches!(w.data_type(), DataType::Boolean | DataType::Null)
                    {
                        return Err(type_error(
                            format!("CASE WHEN needs a BOOLEAN condition, not {}", w.data_type()),
                            cw.condition.span(),
                        ));
                    }
                    let r = sub(self, &cw.result, collected)?;
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
                        let b = sub(self, x, collected)?;
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
                Expr::Case {
                    operand: operand_b.map(Box::new),
                    whens: whens.into_iter().map(|(w, r)| (w, coerce(r, t))).collect(),
                    otherwise: otherwise.map(|o| Box::new(coerce(o, t))),
                    data_type: if t == DataType::Null {
                        DataType::Text
                    } else {
                        t
                    },
                }
            }
            ast::Expr::Cast {
                expr,
                data_type: dt,
                ..
            } => {
                let to = data_type(dt).map_err(|e| e.at(position(span)))?;
                let inner = sub(self, expr, collected)?;
                match inner {
                    Expr::Literal(v) if !v.is_null() => Expr::Literal(
                        crate::expr::cast(&v, to).map_err(|e| e.at(position(span)))?,
                    ),
                    other => Expr::Cast {
                        expr: Box::new(other),
                        to,
                    },
                }
            }
            ast::Expr::Extract { field, expr, .. } => {
                let x = sub(self, expr, collected)?;
                let f = field.to_string().to_ascii_lowercase();
                let f = f.trim_end_matches('s').to_string();
                let f = match f.as_str() {
                    "dayofweek" => "dow".to_string(),
                    "dayofyear" => "doy".to_string(),
                    _ => f,
                };
                self.function_call(
                    ScalarFn::DatePart,
                    vec![Expr::Literal(Value::text(&f)), x],
                    span,
                )?
            }
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![sub(self, expr, collected)?];
                args.push(match substring_from {
                    Some(f) => sub(self, f, collected)?,
                    None => Expr::Literal(Value::BigInt(1)),
                });
                if let Some(f) = substring_for {
                    args.push(sub(self, f, collected)?);
                }
                self.function_call(ScalarFn::Substr, args, span)?
            }
            ast::Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_characters.is_some() {
                    return Err(
                        SqlError::unsupported("TRIM with a character list").at(position(span))
                    );
                }
                let func = match trim_where {
                    Some(ast::TrimWhereField::Leading) => ScalarFn::Ltrim,
                    Some(ast::TrimWhereField::Trailing) => ScalarFn::Rtrim,
                    _ => ScalarFn::Trim,
                };
                let mut args = vec![sub(self, expr, collected)?];
                if let Some(w) = trim_what {
                    args.push(sub(self, w, collected)?);
                }
                self.function_call(func, args, span)?
            }
            ast::Expr::Ceil { expr, .. } | ast::Expr::Floor { expr, .. } => {
                let func = if matches!(e, ast::Expr::Ceil { .. }) {
                    ScalarFn::Ceil
                } else {
                    ScalarFn::Floor
                };
                let x = sub(self, expr, collected)?;
                self.function_call(func, vec![x], span)?
            }
            ast::Expr::Position { expr, r#in } => {
                let needle = sub(self, expr, collected)?;
                let hay = sub(self, r#in, collected)?;
                self.function_call(ScalarFn::Strpos, vec![hay, needle], span)?
            }
            ast::Expr::Function(f) => self.function(f, fields, clause, collected)?,
            other => {
                return Err(
                    SqlError::unsupported(format!("the expression {other}")).at(position(span))
                )
            }
        })
    }

    /// Resolves a column name in scope, else in the enclosing queries (innermost first): there
    /// it becomes a read of the outer row, and the subquery being bound is correlated.
    fn column_or_outer(
        &mut self,
        parts: &[&ast::Ident],
        fields: &[PlanField],
    ) -> Result<Expr, SqlError> {
        let err = match self.column(parts, fields) {
            Err(e) if e.kind == ErrorKind::UnknownColumn && !e.message.contains("ambiguous") => e,
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

    /// Binds a subquery in an expression over `outer`. Uncorrelated, it runs now; correlated
    /// (it reads the outer row, or an enclosing query's), it is kept to run per outer row.
    pub(super) fn subquery(
        &mut self,
        q: &ast::Query,
        outer: &[PlanField],
    ) -> Result<(BoundSubquery, Vec<PlanField>), SqlError> {
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
        if references_after == references_before {
            if self.working.iter().any(|w| plan.reads(w)) {
                // It would run now, before any round: PostgreSQL refuses it too.
                return Err(SqlError::unsupported(
                    "a recursive CTE's own name inside a subquery of its recursive part",
                )
                .with_hint("join it in the recursive part's FROM instead")
                .at(position(q.span())));
            }
            let table = (self.run)(&plan)?;
            return Ok((BoundSubquery::Rows(table), fields));
        }
        let args = scope
            .used
            .iter()
            .map(|i| Expr::Column {
                index: *i,
                data_type: outer[*i].data_type,
            })
            .collect();
        Ok((
            BoundSubquery::Correlated(PendingSubquery {
                plan,
                row,
                args,
                text: format!("({q})"),
            }),
            fields,
        ))
    }

    pub(super) fn comparable(
        &mut self,
        a: &ast::Expr,
        b: &ast::Expr,
        fields: &[PlanField],
        clause: Clause,
        collected: &mut Collected,
    ) -> Result<(Expr, Expr), SqlError> {
        let l = self.expr(a, fields, clause, collected)?;
        let r = self.expr(b, fields, clause, collected)?;
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
        span: sqlparser::tokenizer::Span,
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

    #[allow(clippy::too_many_arguments)]
    pub(super) fn binary(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        fields: &[PlanField],
        clause: Clause,
        collected: &mut Collected,
        span: sqlparser::tokenizer::Span,
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
            other => {
                return Err(
                    SqlError::unsupported(format!("the operator {other}")).at(position(span))
                )
            }
        };
        let l = self.expr(left, fields, clause, collected)?;
        let r = self.expr(right, fields, clause, collected)?;
        let (lt, rt) = (l.data_type(), r.data_type());
        use DataType as T;
        if bop.is_comparison() {
            // A text literal compared with a date or timestamp reads as one.
            let (l, r) = match (&l, &r, lt, rt) {
                (_, Expr::Literal(Value::Text(s)), T::Date | T::Timestamp, T::Text) => (
                    l.clone(),
                    Expr::Literal(
                        crate::expr::cast(&Value::Text(s.clone()), lt)
                            .map_err(|e| e.at(position(right.span())))?,
                    ),
                ),
                (Expr::Literal(Value::Text(s)), _, T::Text, T::Date | T::Timestamp) => (
                    Expr::Literal(
                        crate::expr::cast(&Value::Text(s.clone()), rt)
                            .map_err(|e| e.at(position(left.span())))?,
                    ),
                    r.clone(),
                ),
                _ => (l, r),
            };
            return self.compare(bop, l, r, span);
        }
        let bad = || {
            type_error(
                format!("cannot apply {} to {lt} and {rt}", bop.symbol()),
                span,
            )
            .with_hint("CAST one side to a type the operator takes")
        };
        let data_type = match bop {
            BinOp::And | BinOp::Or => {
                if !matches!(lt, T::Boolean | T::Null) || !matches!(rt, T::Boolean | T::Null) {
                    return Err(bad());
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
                _ => return Err(bad()),
            },
        };
        Ok(Expr::Binary {
            op: bop,
            left: Box::new(l),
            right: Box::new(r),
            data_type,
        })
    }

    pub(super) fn function_call(
        &self,
        func: ScalarFn,
        args: Vec<Expr>,
        span: sqlparser::tokenizer::Span,
    ) -> Result<Expr, SqlError> {
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let data_type = func.result_type(&types).map_err(|e| e.at(position(span)))?;
        // Arguments that must share a type are cast to it.
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

    pub(super) fn function(
        &mut self,
        f: &ast::Function,
        fields: &[PlanField],
        clause: Clause,
        collected: &mut Collected,
    ) -> Result<Expr, SqlError> {
        let span = f.span();
        let name = object_name(&f.name)?;
        if matches!(
            name.as_str(),
            "now" | "current_date" | "current_timestamp" | "random" | "today"
        ) {
            return Err(SqlError::unsupported(format!("{name}()")).with_hint("a lab query means the same thing whenever it runs: write the date as a literal, e.g. DATE '2024-01-15'").at(position(span)));
        }
        let (arg_list, distinct) = match &f.args {
            ast::FunctionArguments::None => (Vec::new(), false),
            ast::FunctionArguments::List(l) => (
                l.args.clone(),
                matches!(
                    l.duplicate_treatment,
                    Some(ast::DuplicateTreatment::Distinct)
                ),
            ),
            ast::FunctionArguments::Subquery(_) => {
                return Err(
                    SqlError::unsupported("a subquery as a function argument").at(position(span))
                )
            }
        };
        if !f.within_group.is_empty() || f.null_treatment.is_some() {
            return Err(SqlError::unsupported("WITHIN GROUP and IGNORE NULLS").at(position(span)));
        }
        let mut star = matches!(
            arg_list.as_slice(),
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
        );
        // agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END): aggregates skip NULLs, so
        // only the rows where c holds count (count(*) counts CASE WHEN c THEN 1 END).
        let filtered: Option<ast::Expr> = match &f.filter {
            None => None,
            Some(condition) => {
                let argument = match arg_list.as_slice() {
                    _ if star => ast::Expr::value(ast::Value::Number("1".into(), false)),
                    [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))]
                        if AggFn::from_name(&name).is_some() =>
                    {
                        e.clone()
                    }
                    _ => {
                        return Err(SqlError::new(
                            ErrorKind::Type,
                            format!("FILTER applies to aggregates of one argument, not {name}()"),
                        )
                        .with_hint(
                            "write count(x) FILTER (WHERE ...), sum(x) FILTER (WHERE ...), ...",
                        )
                        .at(position(span)))
                    }
                };
                star = false;
                Some(ast::Expr::Case {
                    case_token: ast::helpers::attached_token::AttachedToken::empty(),
                    end_token: ast::helpers::attached_token::AttachedToken::empty(),
                    operand: None,
                    conditions: vec![ast::CaseWhen {
                        condition: (**condition).clone(),
                        result: argument,
                    }],
                    else_result: None,
                })
            }
        };
        let arg_exprs: Vec<&ast::Expr> =
            if let Some(arg) = &filtered {
                vec![arg]
            } else if star {
                Vec::new()
            } else {
                arg_list
                    .iter()
                    .map(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
                        other => Err(SqlError::unsupported(format!("the argument {other}"))
                            .at(position(span))),
                    })
                    .collect::<Result<_, _>>()?
            };
        let agg = AggFn::from_name(&name);
        let win = match name.as_str() {
            "row_number" => Some(WindowFn::RowNumber),
            "rank" => Some(WindowFn::Rank),
            "dense_rank" => Some(WindowFn::DenseRank),
            "lag" => Some(WindowFn::Lag),
            "lead" => Some(WindowFn::Lead),
            "first_value" => Some(WindowFn::FirstValue),
            "last_value" => Some(WindowFn::LastValue),
            _ => None,
        };
        if let Some(over) = &f.over {
            let func = match (win, agg) {
                (Some(w), _) => w,
                (None, Some(a)) => WindowFn::Aggregate(if star { AggFn::CountStar } else { a }),
                _ => {
                    return Err(
                        SqlError::unsupported(format!("{name}() as a window function"))
                            .at(position(span)),
                    )
                }
            };
            return self.window(
                func, &arg_exprs, distinct, over, fields, clause, collected, span,
            );
        }
        if let Some(w) = win {
            let _ = w;
            return Err(
                SqlError::new(ErrorKind::Syntax, format!("{name}() needs an OVER clause"))
                    .with_hint(format!(
                        "write {name}() OVER (PARTITION BY ... ORDER BY ...)"
                    ))
                    .at(position(span)),
            );
        }
        if let Some(a) = agg {
            match clause {
                Clause::Plain(where_) => {
                    return Err(SqlError::new(
                        ErrorKind::Type,
                        format!("aggregate functions are not allowed in {where_}"),
                    )
                    .with_hint(if where_ == "WHERE" {
                        "filter groups with HAVING instead"
                    } else {
                        "compute the aggregate in a subquery"
                    })
                    .at(position(span)))
                }
                Clause::InsideAggregate => {
                    return Err(SqlError::new(
                        ErrorKind::Type,
                        "aggregate function calls cannot be nested",
                    )
                    .at(position(span)))
                }
                Clause::Collecting => {}
            }
            let mut nothing = Collected::default();
            let inner = (Clause::InsideAggregate, &mut nothing);
            let call = self.aggregate_call(
                if star { AggFn::CountStar } else { a },
                distinct,
                &arg_exprs,
                fields,
                span,
                inner,
            )?;
            let index = match collected.aggregates.iter().position(|c| *c == call) {
                Some(i) => i,
                None => {
                    collected.aggregates.push(call.clone());
                    collected.aggregates.len() - 1
                }
            };
            return Ok(Expr::Column {
                index: AGG_BASE + index,
                data_type: call.data_type,
            });
        }
        let func = match name.as_str() {
            "date_part" | "datepart" => Some(ScalarFn::DatePart),
            _ => ScalarFn::from_name(&name),
        };
        let Some(func) = func else {
            return Err(SqlError::new(
                ErrorKind::UnknownFunction,
                format!("there is no function {name}()"),
            )
            .with_hint(
                did_you_mean(&name, ScalarFn::NAMES.iter().copied())
                    .unwrap_or_else(|| "see the SQL lab's function list".into()),
            )
            .at(position(span)));
        };
        if star {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!("{name}(*) is not a thing; only count(*) is"),
            )
            .at(position(span)));
        }
        let mut args = Vec::new();
        for a in arg_exprs {
            args.push(self.expr(a, fields, clause, collected)?);
        }
        self.function_call(func, args, span)
    }

    pub(super) fn aggregate_call(
        &mut self,
        a: AggFn,
        distinct: bool,
        args: &[&ast::Expr],
        fields: &[PlanField],
        span: sqlparser::tokenizer::Span,
        // Where the argument is bound: inside a plain aggregate nothing may nest; inside a window
        // aggregate of a grouped query, the group's aggregates may (sum(count(*)) OVER ()).
        inner: (Clause, &mut Collected),
    ) -> Result<AggCall, SqlError> {
        if a == AggFn::CountStar {
            return Ok(AggCall {
                func: AggFn::CountStar,
                arg: None,
                distinct: false,
                data_type: DataType::BigInt,
            });
        }
        let [arg] = args else {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!("{}() takes one argument", a.name()),
            )
            .at(position(span)));
        };
        let bound = self.expr(arg, fields, inner.0, inner.1)?;
        let t = bound.data_type();
        let data_type = match a {
            AggFn::Count | AggFn::CountStar => DataType::BigInt,
            AggFn::Sum => match t {
                DataType::BigInt | DataType::Null => DataType::BigInt,
                DataType::Double => DataType::Double,
                DataType::Interval => DataType::Interval,
                other => {
                    return Err(
                        type_error(format!("sum() takes numbers, not {other}"), span)
                            .with_hint("sum a numeric column, or count() rows"),
                    )
                }
            },
            AggFn::Avg => match t {
                DataType::BigInt | DataType::Double | DataType::Null => DataType::Double,
                other => {
                    return Err(type_error(
                        format!("avg() takes numbers, not {other}"),
                        span,
                    ))
                }
            },
            AggFn::Min | AggFn::Max => {
                if t == DataType::Null {
                    DataType::Text
                } else {
                    t
                }
            }
        };
        Ok(AggCall {
            func: a,
            arg: Some(bound),
            distinct,
            data_type,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn window(
        &mut self,
        func: WindowFn,
        args: &[&ast::Expr],
        distinct: bool,
        over: &ast::WindowType,
        fields: &[PlanField],
        clause: Clause,
        collected: &mut Collected,
        span: sqlparser::tokenizer::Span,
    ) -> Result<Expr, SqlError> {
        if clause != Clause::Collecting {
            return Err(SqlError::new(
                ErrorKind::Type,
                match clause {
                    Clause::Plain(c) => format!("window functions are not allowed in {c}"),
                    _ => "window functions cannot be nested".into(),
                },
            )
            .with_hint("compute it in a subquery, then filter the subquery's result")
            .at(position(span)));
        }
        let spec = match over {
            ast::WindowType::WindowSpec(s) => s,
            ast::WindowType::NamedWindow(_) => {
                return Err(SqlError::unsupported("named windows").at(position(span)))
            }
        };
        if spec.window_name.is_some() {
            return Err(SqlError::unsupported("named windows").at(position(span)));
        }
        // Inside OVER, aggregates of the grouped query may appear (rank() OVER (ORDER BY count(*))).
        let grouped = |b: &mut Self, e: &ast::Expr, c: &mut Collected| {
            b.expr(e, fields, Clause::Collecting, c)
        };
        let mut bound_args = Vec::new();
        if !matches!(func, WindowFn::Aggregate(_)) {
            for a in args {
                bound_args.push(grouped(self, a, collected)?);
            }
        }
        let mut partition_by = Vec::new();
        for p in &spec.partition_by {
            partition_by.push(grouped(self, p, collected)?);
        }
        let mut order_by = Vec::new();
        for o in &spec.order_by {
            let (descending, nulls_first) = sort_options(&o.options);
            order_by.push(SortKey {
                expr: grouped(self, &o.expr, collected)?,
                descending,
                nulls_first,
            });
        }
        let frame = match &spec.window_frame {
            None if order_by.is_empty() => Frame {
                rows: false,
                start: Bound::UnboundedPreceding,
                end: Bound::UnboundedFollowing,
            },
            None => Frame {
                rows: false,
                start: Bound::UnboundedPreceding,
                end: Bound::CurrentRow,
            },
            Some(wf) => {
                let bound = |b: &ast::WindowFrameBound| -> Result<Bound, SqlError> {
                    let n =
                        |e: &Option<Box<ast::Expr>>| -> Result<Option<u64>, SqlError> {
                            match e.as_deref() {
                                None => Ok(None),
                                Some(ast::Expr::Value(v)) => match &v.value {
                                    ast::Value::Number(n, _) => n.parse().map(Some).map_err(|_| {
                                        SqlError::new(
                                            ErrorKind::Type,
                                            "a frame offset is a whole number",
                                        )
                                        .at(position(v.span))
                                    }),
                                    _ => Err(SqlError::unsupported("this frame offset")
                                        .at(position(span))),
                                },
                                Some(other) => {
                                    Err(SqlError::unsupported(format!("the frame offset {other}"))
                                        .at(position(span)))
                                }
                            }
                        };
                    Ok(match b {
                        ast::WindowFrameBound::CurrentRow => Bound::CurrentRow,
                        ast::WindowFrameBound::Preceding(e) => {
                            n(e)?.map_or(Bound::UnboundedPreceding, Bound::Preceding)
                        }
                        ast::WindowFrameBound::Following(e) => {
                            n(e)?.map_or(Bound::UnboundedFollowing, Bound::Following)
                        }
                    })
                };
                let rows = match wf.units {
                    ast::WindowFrameUnits::Rows => true,
                    ast::WindowFrameUnits::Range => false,
                    ast::WindowFrameUnits::Groups => {
                        return Err(SqlError::unsupported("GROUPS frames").at(position(span)))
                    }
                };
                let start = bound(&wf.start_bound)?;
                let end = match &wf.end_bound {
                    Some(b) => bound(b)?,
                    None => Bound::CurrentRow,
                };
                if !rows
                    && (matches!(start, Bound::Preceding(_) | Bound::Following(_))
                        || matches!(end, Bound::Preceding(_) | Bound::Following(_)))
                {
                    return Err(SqlError::unsupported("RANGE frames with offsets")
                        .with_hint("use ROWS BETWEEN n PRECEDING AND CURRENT ROW")
                        .at(position(span)));
                }
                Frame { rows, start, end }
            }
        };
        let arity = |lo: usize, hi: usize| -> Result<(), SqlError> {
            if bound_args.len() < lo || bound_args.len() > hi {
                Err(SqlError::new(
                    ErrorKind::Type,
                    format!("{}() takes {lo} to {hi} arguments", window_name(func)),
                )
                .at(position(span)))
            } else {
                Ok(())
            }
        };
        let data_type = match func {
            WindowFn::RowNumber | WindowFn::Rank | WindowFn::DenseRank => {
                arity(0, 0)?;
                DataType::BigInt
            }
            WindowFn::Lag | WindowFn::Lead => {
                arity(1, 3)?;
                if bound_args.len() >= 2
                    && !matches!(bound_args[1], Expr::Literal(Value::BigInt(_)))
                {
                    return Err(SqlError::new(
                        ErrorKind::Type,
                        "the offset of lag()/lead() must be a whole-number literal",
                    )
                    .at(position(span)));
                }
                let t = bound_args[0].data_type();
                if let Some(d) = bound_args.get(2) {
                    let common = DataType::common(t, d.data_type()).ok_or_else(|| {
                        type_error(
                            format!(
                                "the default ({}) does not match the value ({t})",
                                d.data_type()
                            ),
                            span,
                        )
                    })?;
                    bound_args[2] = coerce(bound_args[2].clone(), common);
                    bound_args[0] = coerce(bound_args[0].clone(), common);
                    common
                } else {
                    t
                }
            }
            WindowFn::FirstValue | WindowFn::LastValue => {
                arity(1, 1)?;
                bound_args[0].data_type()
            }
            WindowFn::Aggregate(a) => {
                let call = self.aggregate_call(
                    a,
                    distinct,
                    args,
                    fields,
                    span,
                    (Clause::Collecting, collected),
                )?;
                if distinct {
                    return Err(
                        SqlError::unsupported("DISTINCT in a window aggregate").at(position(span))
                    );
                }
                bound_args = call.arg.clone().into_iter().collect();
                call.data_type
            }
        };
        let call = WindowCall {
            func,
            args: bound_args,
            distinct,
            partition_by,
            order_by,
            frame,
            data_type,
        };
        let index = match collected.windows.iter().position(|c| *c == call) {
            Some(i) => i,
            None => {
                collected.windows.push(call);
                collected.windows.len() - 1
            }
        };
        Ok(Expr::Column {
            index: WINDOW_BASE + index,
            data_type,
        })
    }
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
            ast::Expr::Like { expr, pattern, .. } | ast::Expr::ILike { expr, pattern, .. } => {
                stack.push((expr, depth + 1));
                stack.push((pattern, depth + 1));
            }
            _ => {}
        }
    }
    false
}

/// A subquery bound in an expression: run already, or correlated.
pub(super) enum BoundSubquery {
    Rows(crate::column::Table),
    Correlated(PendingSubquery),
}

/// A correlated subquery before its kind (EXISTS, IN, scalar) is known.
pub(super) struct PendingSubquery {
    plan: Plan,
    row: Rc<OuterRow>,
    args: Vec<Expr>,
    text: String,
}

impl PendingSubquery {
    fn into_expr(self, kind: SubqueryKind, data_type: DataType, operand: Option<Expr>) -> Expr {
        let mut args = self.args;
        args.extend(operand);
        Expr::Subquery {
            subquery: Rc::new(Correlated {
                plan: self.plan,
                outer_row: self.row,
                kind,
                data_type,
                text: self.text,
            }),
            args,
        }
    }
}
