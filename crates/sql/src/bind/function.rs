//! Binding function calls: scalar functions type-checked, aggregates collected for the SELECT
//! being planned (an [`Expr::Aggregate`] stands for one until its GROUP BY is planned), window
//! functions likewise ([`Expr::Window`]), each with its partitions, order and frame. Kept apart
//! from `expr.rs` because what a call may contain depends on the clause: no aggregates in WHERE,
//! no aggregate inside another, no window function inside another.

use super::expr::Scope;
use super::*;

/// A call's arguments as written: `FILTER (WHERE c)` folded into the one argument, `*` noted.
struct CallArgs {
    args: Vec<ast::Expr>,
    distinct: bool,
    star: bool,
}

impl<'a> Binder<'a> {
    /// A function call: a window function (with OVER), an aggregate, or a scalar function.
    pub(super) fn function(
        &mut self,
        f: &ast::Function,
        scope: &mut Scope,
    ) -> Result<Expr, SqlError> {
        let span = f.span();
        let name = object_name(&f.name)?;
        if matches!(
            name.as_str(),
            "now" | "current_date" | "current_timestamp" | "random" | "today"
        ) {
            return Err(SqlError::unsupported(format!("{name}()")).with_hint("a lab query means the same thing whenever it runs: write the date as a literal, e.g. DATE '2024-01-15'").at(position(span)));
        }
        let call = call_args(f, &name, span)?;
        let args: Vec<&ast::Expr> = call.args.iter().collect();
        let agg = AggFn::from_name(&name);
        let win = window_fn(&name);
        if let Some(over) = &f.over {
            let func = match (win, agg) {
                (Some(w), _) => w,
                (None, Some(a)) => {
                    WindowFn::Aggregate(if call.star { AggFn::CountStar } else { a })
                }
                _ => {
                    return Err(
                        SqlError::unsupported(format!("{name}() as a window function"))
                            .at(position(span)),
                    )
                }
            };
            return self.window(func, &args, call.distinct, over, scope, span);
        }
        if win.is_some() {
            return Err(
                SqlError::new(ErrorKind::Syntax, format!("{name}() needs an OVER clause"))
                    .with_hint(format!(
                        "write {name}() OVER (PARTITION BY ... ORDER BY ...)"
                    ))
                    .at(position(span)),
            );
        }
        if let Some(a) = agg {
            let a = if call.star { AggFn::CountStar } else { a };
            return self.aggregate(a, call.distinct, &args, scope, span);
        }
        self.scalar_function(&name, &args, call.star, scope, span)
    }

    /// A scalar function by name (or its error: an unknown name, `f(*)`).
    fn scalar_function(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        star: bool,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        let func = match name {
            "date_part" | "datepart" => Some(ScalarFn::DatePart),
            _ => ScalarFn::from_name(name),
        };
        let Some(func) = func else {
            return Err(SqlError::new(
                ErrorKind::UnknownFunction,
                format!("there is no function {name}()"),
            )
            .with_hint(
                did_you_mean(name, ScalarFn::NAMES.iter().copied())
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
        let mut bound = Vec::new();
        for a in args {
            bound.push(self.expr_in(a, scope)?);
        }
        self.function_call(func, bound, span)
    }

    /// An aggregate outside OVER: collected for the SELECT, and referred to by its place there.
    fn aggregate(
        &mut self,
        a: AggFn,
        distinct: bool,
        args: &[&ast::Expr],
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        match scope.clause {
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
            Clause::Collecting | Clause::InsideWindow => {}
        }
        let mut nothing = Collected::default();
        let mut inside = Scope {
            fields: scope.fields,
            clause: Clause::InsideAggregate,
            collected: &mut nothing,
        };
        let call = self.aggregate_call(a, distinct, args, &mut inside, span)?;
        Ok(Expr::Aggregate {
            data_type: call.data_type,
            index: collect(&mut scope.collected.aggregates, call),
        })
    }

    /// An aggregate call, its argument bound in `inside`: inside a plain aggregate nothing may
    /// nest; inside a window aggregate of a grouped query, the group's aggregates may
    /// (`sum(count(*)) OVER ()`).
    pub(super) fn aggregate_call(
        &mut self,
        a: AggFn,
        distinct: bool,
        args: &[&ast::Expr],
        inside: &mut Scope,
        span: Span,
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
        let bound = self.expr_in(arg, inside)?;
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

    /// `func(args) OVER (PARTITION BY ... ORDER BY ... frame)`: collected for the SELECT, and
    /// referred to by its place there.
    fn window(
        &mut self,
        func: WindowFn,
        args: &[&ast::Expr],
        distinct: bool,
        spec: &ast::WindowSpec,
        scope: &mut Scope,
        span: Span,
    ) -> Result<Expr, SqlError> {
        if scope.clause != Clause::Collecting {
            return Err(SqlError::new(
                ErrorKind::Type,
                match scope.clause {
                    Clause::Plain(c) => format!("window functions are not allowed in {c}"),
                    _ => "window functions cannot be nested".into(),
                },
            )
            .with_hint("compute it in a subquery, then filter the subquery's result")
            .at(position(span)));
        }
        // Inside OVER, aggregates of the grouped query may appear (rank() OVER (ORDER BY
        // count(*))), but no other window function.
        let mut inside = Scope {
            fields: scope.fields,
            clause: Clause::InsideWindow,
            collected: &mut *scope.collected,
        };
        let mut bound_args = Vec::new();
        if !matches!(func, WindowFn::Aggregate(_)) {
            for a in args {
                bound_args.push(self.expr_in(a, &mut inside)?);
            }
        }
        let mut partition_by = Vec::new();
        for p in &spec.partition_by {
            partition_by.push(self.expr_in(p, &mut inside)?);
        }
        let mut order_by = Vec::new();
        for o in &spec.order_by {
            let (descending, nulls_first) = sort_options(o);
            order_by.push(SortKey {
                expr: self.expr_in(&o.expr, &mut inside)?,
                descending,
                nulls_first,
            });
        }
        let frame = window_frame(spec.window_frame.as_ref(), !order_by.is_empty(), span)?;
        let data_type = match func {
            WindowFn::Aggregate(a) => {
                let call = self.aggregate_call(a, distinct, args, &mut inside, span)?;
                if distinct {
                    return Err(
                        SqlError::unsupported("DISTINCT in a window aggregate").at(position(span))
                    );
                }
                bound_args = call.arg.clone().into_iter().collect();
                call.data_type
            }
            _ => window_type(func, &mut bound_args, span)?,
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
        Ok(Expr::Window {
            index: collect(&mut scope.collected.windows, call),
            data_type,
        })
    }
}

/// `call`'s place among the calls collected so far, added unless an equal one is there.
fn collect<T: PartialEq>(calls: &mut Vec<T>, call: T) -> usize {
    match calls.iter().position(|c| *c == call) {
        Some(i) => i,
        None => {
            calls.push(call);
            calls.len() - 1
        }
    }
}

/// The window function of that name (aggregates aside).
fn window_fn(name: &str) -> Option<WindowFn> {
    Some(match name {
        "row_number" => WindowFn::RowNumber,
        "rank" => WindowFn::Rank,
        "dense_rank" => WindowFn::DenseRank,
        "lag" => WindowFn::Lag,
        "lead" => WindowFn::Lead,
        "first_value" => WindowFn::FirstValue,
        "last_value" => WindowFn::LastValue,
        _ => return None,
    })
}

/// A call's arguments, DISTINCT and `*`; `agg(x) FILTER (WHERE c)` becomes
/// `agg(CASE WHEN c THEN x END)`: aggregates skip NULLs, so only the rows where c holds count
/// (`count(*)` counts `CASE WHEN c THEN 1 END`).
fn call_args(f: &ast::Function, name: &str, span: Span) -> Result<CallArgs, SqlError> {
    let arg_list = f.args.as_deref().unwrap_or_default();
    let distinct = f.distinct;
    let star = matches!(arg_list, [ast::FunctionArg::Wildcard(_)]);
    let Some(condition) = &f.filter else {
        let args = if star {
            Vec::new()
        } else {
            arg_list
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Expr(e) => Ok(e.clone()),
                    ast::FunctionArg::Wildcard(_) => {
                        Err(SqlError::unsupported("the argument *").at(position(span)))
                    }
                })
                .collect::<Result<_, _>>()?
        };
        return Ok(CallArgs {
            args,
            distinct,
            star,
        });
    };
    let argument = match arg_list {
        _ if star => ast::Expr::Value(ast::ValueWithSpan {
            value: ast::Value::Number("1".into()),
            span: Span::empty(),
        }),
        [ast::FunctionArg::Expr(e)] if AggFn::from_name(name).is_some() => e.clone(),
        _ => {
            return Err(SqlError::new(
                ErrorKind::Type,
                format!("FILTER applies to aggregates of one argument, not {name}()"),
            )
            .with_hint("write count(x) FILTER (WHERE ...), sum(x) FILTER (WHERE ...), ...")
            .at(position(span)))
        }
    };
    let filtered = ast::Expr::Case {
        operand: None,
        conditions: vec![ast::CaseWhen {
            condition: (**condition).clone(),
            result: argument,
        }],
        else_result: None,
        span: Span::empty(),
    };
    Ok(CallArgs {
        args: vec![filtered],
        distinct,
        star: false,
    })
}

/// A window frame: the default without ORDER BY is the whole partition; with it, up to the
/// current row's last peer.
fn window_frame(
    frame: Option<&ast::WindowFrame>,
    ordered: bool,
    span: Span,
) -> Result<Frame, SqlError> {
    let Some(wf) = frame else {
        return Ok(Frame {
            units: FrameUnits::Range,
            start: Bound::UnboundedPreceding,
            end: if ordered {
                Bound::CurrentRow
            } else {
                Bound::UnboundedFollowing
            },
        });
    };
    let units = match wf.units {
        ast::WindowFrameUnits::Rows => FrameUnits::Rows,
        ast::WindowFrameUnits::Range => FrameUnits::Range,
    };
    let start = frame_bound(&wf.start_bound, span)?;
    let end = match &wf.end_bound {
        Some(b) => frame_bound(b, span)?,
        None => Bound::CurrentRow,
    };
    if units == FrameUnits::Range
        && (matches!(start, Bound::Preceding(_) | Bound::Following(_))
            || matches!(end, Bound::Preceding(_) | Bound::Following(_)))
    {
        return Err(SqlError::unsupported("RANGE frames with offsets")
            .with_hint("use ROWS BETWEEN n PRECEDING AND CURRENT ROW")
            .at(position(span)));
    }
    Ok(Frame { units, start, end })
}

/// One end of a frame: `n PRECEDING` and `n FOLLOWING` take a whole-number literal.
fn frame_bound(b: &ast::WindowFrameBound, span: Span) -> Result<Bound, SqlError> {
    let n = |e: &Option<Box<ast::Expr>>| -> Result<Option<u64>, SqlError> {
        match e.as_deref() {
            None => Ok(None),
            Some(ast::Expr::Value(v)) => match &v.value {
                ast::Value::Number(n) => n.parse().map(Some).map_err(|_| {
                    SqlError::new(ErrorKind::Type, "a frame offset is a whole number")
                        .at(position(v.span))
                }),
                _ => Err(SqlError::unsupported("this frame offset").at(position(span))),
            },
            Some(other) => {
                Err(SqlError::unsupported(format!("the frame offset {other}")).at(position(span)))
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
}

/// The type of a ranking or value window function (not an aggregate), its arguments checked (and lag's or lead's
/// default cast to the value's type).
fn window_type(func: WindowFn, args: &mut [Expr], span: Span) -> Result<DataType, SqlError> {
    let arity = |lo: usize, hi: usize| -> Result<(), SqlError> {
        if args.len() < lo || args.len() > hi {
            Err(SqlError::new(
                ErrorKind::Type,
                format!("{}() takes {lo} to {hi} arguments", window_name(func)),
            )
            .at(position(span)))
        } else {
            Ok(())
        }
    };
    match func {
        WindowFn::RowNumber | WindowFn::Rank | WindowFn::DenseRank => {
            arity(0, 0)?;
            Ok(DataType::BigInt)
        }
        WindowFn::Lag | WindowFn::Lead => {
            arity(1, 3)?;
            if args.len() >= 2 && !is_offset(&args[1]) {
                return Err(SqlError::new(
                    ErrorKind::Type,
                    "the offset of lag()/lead() must be a whole-number literal",
                )
                .at(position(span)));
            }
            let t = args[0].data_type();
            let Some(d) = args.get(2) else {
                return Ok(t);
            };
            let common = DataType::common(t, d.data_type()).ok_or_else(|| {
                type_error(
                    format!(
                        "the default ({}) does not match the value ({t})",
                        d.data_type()
                    ),
                    span,
                )
            })?;
            args[2] = coerce(args[2].clone(), common);
            args[0] = coerce(args[0].clone(), common);
            Ok(common)
        }
        // first_value(), last_value().
        _ => {
            arity(1, 1)?;
            Ok(args[0].data_type())
        }
    }
}

/// Whether lag's or lead's offset is a whole-number literal, or a BIGINT scalar subquery that
/// runs before the query (the executor checks it gave a number).
fn is_offset(e: &Expr) -> bool {
    match e {
        Expr::Literal(Value::BigInt(_)) => true,
        Expr::Subquery { subquery, .. } => {
            !subquery.is_correlated()
                && subquery.kind == SubqueryKind::Scalar
                && subquery.data_type == DataType::BigInt
        }
        _ => false,
    }
}
