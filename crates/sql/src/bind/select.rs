//! Planning one SELECT, clause by clause, in the logical evaluation order: FROM, WHERE, then
//! the select list, GROUP BY, HAVING and ORDER BY bound (collecting their aggregates and window
//! functions), then the steps built: the aggregate (with every expression above it rewritten
//! over its output), HAVING, the window functions, the projection (carrying ORDER BY keys not in
//! the select list as hidden columns), DISTINCT and the sort. Kept apart from the query-level
//! binding (WITH, set operations, LIMIT, FROM items) in `mod.rs`.

use super::*;

/// A select-list item once bound.
pub(super) struct Item {
    pub(super) expr: Expr,
    /// Its output name: the alias, else the column's or function's name, else the text.
    pub(super) name: String,
    /// What it was bound from (none for the columns of a `*`).
    pub(super) ast: Option<ast::Expr>,
}

/// A SELECT's expressions once bound, before its steps are planned.
struct Bound<'s> {
    /// The columns after FROM and WHERE, which the expressions read.
    from_fields: Vec<PlanField>,
    items: Vec<Item>,
    group_by: Vec<Expr>,
    group_asts: Vec<ast::Expr>,
    having: Option<(Expr, &'s ast::Expr)>,
    order_keys: Vec<SortKey>,
    collected: Collected,
}

impl Bound<'_> {
    fn aggregating(&self) -> bool {
        !self.group_by.is_empty() || !self.collected.aggregates.is_empty() || self.having.is_some()
    }
}

/// A column read outside an aggregate in a grouped query without being grouped by: its
/// position among the FROM columns.
struct Ungrouped(usize);

impl<'a> Binder<'a> {
    /// One SELECT, in the logical order FROM, WHERE, GROUP BY, HAVING, window functions, SELECT,
    /// DISTINCT, ORDER BY (LIMIT is the query's).
    pub(super) fn select(
        &mut self,
        s: &ast::Select,
        order_by: &[ast::OrderByExpr],
    ) -> Result<Plan, SqlError> {
        let distinct = s.distinct;
        let mut plan = self.from(&s.from)?;
        if let Some(w) = &s.selection {
            let predicate = self.condition(w, &plan.fields, "WHERE")?;
            plan = window_tvf::where_step(plan, predicate, format!("WHERE {w}"))?;
        }
        let mut bound = self.bind_select(s, order_by, plan.fields.clone())?;
        window_tvf::session_keys(&mut plan, &bound.group_by)?;
        if bound.aggregating() {
            plan = group(plan, &mut bound)?;
        }
        let n_pre = plan.fields.len();
        let plan = window_step(plan, &bound.collected.windows);
        select_step(plan, s, order_by, bound, n_pre, distinct)
    }

    /// Binds the select list, GROUP BY, HAVING and ORDER BY over `from_fields`.
    fn bind_select<'s>(
        &mut self,
        s: &'s ast::Select,
        order_by: &[ast::OrderByExpr],
        from_fields: Vec<PlanField>,
    ) -> Result<Bound<'s>, SqlError> {
        let mut collected = Collected::default();
        let items = self.select_items(&s.projection, &from_fields, &mut collected)?;
        let aliases: BTreeMap<String, ast::Expr> = sim::sort::collect_map(
            items
                .iter()
                .filter_map(|i| i.ast.clone().map(|a| (i.name.clone(), a))),
        );
        let group_asts = s.group_by.clone();
        let mut group_by = Vec::new();
        for g in &group_asts {
            group_by.push(self.group_item(g, &items, &aliases, &from_fields)?);
        }
        let having = match &s.having {
            Some(h) => {
                let bound = self.expr_with_aliases(h, &from_fields, &aliases, &mut collected)?;
                Some((bound, h))
            }
            None => None,
        };
        // ORDER BY keys bound now too: they may add aggregates.
        let mut order_keys = Vec::new();
        for o in order_by {
            order_keys.push(self.order_key(o, &items, &aliases, &from_fields, &mut collected)?);
        }
        Ok(Bound {
            from_fields,
            items,
            group_by,
            group_asts,
            having,
            order_keys,
            collected,
        })
    }

    /// The select list, with aggregates and windows collected and `*` expanded.
    fn select_items(
        &mut self,
        projection: &[ast::SelectItem],
        from_fields: &[PlanField],
        collected: &mut Collected,
    ) -> Result<Vec<Item>, SqlError> {
        let mut items: Vec<Item> = Vec::new();
        for item in projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) => items.push(Item {
                    expr: self.expr(e, from_fields, Clause::Collecting, collected)?,
                    name: output_name(e),
                    ast: Some(e.clone()),
                }),
                ast::SelectItem::ExprWithAlias { expr, alias } => items.push(Item {
                    expr: self.expr(expr, from_fields, Clause::Collecting, collected)?,
                    name: ident_name(alias),
                    ast: Some(expr.clone()),
                }),
                ast::SelectItem::Wildcard(_) => {
                    if from_fields.iter().all(|f| f.hidden) {
                        return Err(SqlError::new(ErrorKind::Syntax, "SELECT * with no FROM")
                            .with_hint("name a table in FROM"));
                    }
                    items.extend(columns_of(from_fields, |f| !f.hidden));
                }
                ast::SelectItem::QualifiedWildcard(n) => {
                    let q = object_name(n)?;
                    let before = items.len();
                    items.extend(columns_of(from_fields, |f| {
                        f.qualifier.as_deref() == Some(q.as_str())
                    }));
                    if items.len() == before {
                        return Err(SqlError::new(
                            ErrorKind::UnknownTable,
                            format!("there is no table \"{q}\" in FROM"),
                        ));
                    }
                }
            }
        }
        Ok(items)
    }

    /// A GROUP BY item: a position in the select list, an input column or expression, or else
    /// an output alias.
    fn group_item(
        &mut self,
        g: &ast::Expr,
        items: &[Item],
        aliases: &BTreeMap<String, ast::Expr>,
        fields: &[PlanField],
    ) -> Result<Expr, SqlError> {
        let plain = |b: &mut Self, e: &ast::Expr| {
            b.expr(
                e,
                fields,
                Clause::Plain("GROUP BY"),
                &mut Collected::default(),
            )
        };
        // GROUP BY 2: the second select item.
        if let ast::Expr::Value(v) = g {
            if let ast::Value::Number(n) = &v.value {
                let i: usize = n.parse().unwrap_or(0);
                let Some(Item { ast: Some(ast), .. }) = items.get(i.wrapping_sub(1)) else {
                    return Err(SqlError::new(
                        ErrorKind::UnknownColumn,
                        format!("GROUP BY position {n} is not in the select list"),
                    )
                    .at(position(v.span)));
                };
                return plain(self, ast);
            }
        }
        match plain(self, g) {
            // GROUP BY an output alias (PostgreSQL prefers input columns, as done above).
            Err(e) if is_unknown_column(&e) => match g {
                ast::Expr::Identifier(i) => match aliases.get(&ident_name(i)) {
                    Some(ast) => plain(self, ast),
                    None => Err(e),
                },
                _ => Err(e),
            },
            other => other,
        }
    }

    /// An ORDER BY key of a SELECT: a position in the select list, an output column's name, or
    /// an expression (over the input columns, else the aliases).
    fn order_key(
        &mut self,
        o: &ast::OrderByExpr,
        items: &[Item],
        aliases: &BTreeMap<String, ast::Expr>,
        fields: &[PlanField],
        collected: &mut Collected,
    ) -> Result<SortKey, SqlError> {
        let (descending, nulls_first) = sort_options(o);
        let expr = match &o.expr {
            // ORDER BY 1: the first select item.
            ast::Expr::Value(ast::ValueWithSpan {
                value: ast::Value::Number(n),
                span,
            }) => {
                let i: usize = n.parse().unwrap_or(0);
                items
                    .get(i.wrapping_sub(1))
                    .map(|item| item.expr.clone())
                    .ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::UnknownColumn,
                            format!("ORDER BY position {n} is not in the select list"),
                        )
                        .at(position(*span))
                    })?
            }
            // A bare name matches an output column first (PostgreSQL).
            ast::Expr::Identifier(i) if items.iter().any(|item| item.name == ident_name(i)) => {
                let name = ident_name(i);
                items
                    .iter()
                    .find(|item| item.name == name)
                    .map(|item| item.expr.clone())
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
            Err(err) if is_unknown_column(&err) && !aliases.is_empty() => {
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

/// Whether a name did not resolve to one input column (none has it, or several do): then an
/// output alias of that name is tried.
fn is_unknown_column(e: &SqlError) -> bool {
    matches!(
        e.kind,
        ErrorKind::UnknownColumn | ErrorKind::AmbiguousColumn
    )
}

/// The items a `*` stands for: the FROM columns `pick` keeps, under their names.
fn columns_of<'f>(
    fields: &'f [PlanField],
    pick: impl Fn(&PlanField) -> bool + 'f,
) -> impl Iterator<Item = Item> + 'f {
    fields
        .iter()
        .enumerate()
        .filter(move |(_, f)| pick(f))
        .map(|(i, f)| Item {
            expr: Expr::Column {
                index: i,
                data_type: f.data_type,
            },
            name: f.name.clone(),
            ast: None,
        })
}

/// GROUP BY (or an aggregate over all rows) and HAVING: the aggregate step, with every
/// expression above it rewritten over its output.
fn group(plan: Plan, bound: &mut Bound) -> Result<Plan, SqlError> {
    let from = &bound.from_fields;
    let mut fields: Vec<PlanField> = bound
        .group_by
        .iter()
        .zip(&bound.group_asts)
        .map(|(e, ast)| {
            let (qualifier, name) = match e {
                Expr::Column { index, .. } => {
                    (from[*index].qualifier.clone(), from[*index].name.clone())
                }
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
    fields.extend(bound.collected.aggregates.iter().map(|a| PlanField {
        qualifier: None,
        name: aggregate_name(a, from),
        data_type: a.data_type,
        hidden: false,
    }));
    let label = if bound.group_asts.is_empty() {
        "aggregate over all rows".to_string()
    } else {
        format!("GROUP BY {}", comma_list(&bound.group_asts))
    };
    let plan = Plan {
        node: Node::Aggregate {
            input: Box::new(plan),
            group_by: bound.group_by.clone(),
            aggregates: bound.collected.aggregates.clone(),
        },
        fields,
        label,
    };
    rewrite_grouped(bound)?;
    let Some((h, h_ast)) = bound.having.take() else {
        return Ok(plan);
    };
    let predicate = post_aggregate(&h, &bound.group_by)
        .map_err(|u| ungrouped_error(u, &bound.from_fields, Some(h_ast)))?;
    if !matches!(predicate.data_type(), DataType::Boolean | DataType::Null) {
        return Err(type_error(
            format!("HAVING must be BOOLEAN, not {}", predicate.data_type()),
            h_ast.span(),
        ));
    }
    Ok(Plan {
        fields: plan.fields.clone(),
        node: Node::Filter {
            input: Box::new(plan),
            predicate,
        },
        label: format!("HAVING {h_ast}"),
    })
}

/// The select items, ORDER BY keys and window functions rewritten over the aggregate's output.
fn rewrite_grouped(bound: &mut Bound) -> Result<(), SqlError> {
    let from = &bound.from_fields;
    let group_by = &bound.group_by;
    let rewrite =
        |e: &Expr| post_aggregate(e, group_by).map_err(|u| ungrouped_error(u, from, None));
    for item in &mut bound.items {
        item.expr = post_aggregate(&item.expr, group_by)
            .map_err(|u| ungrouped_error(u, from, item.ast.as_ref()))?;
    }
    for key in &mut bound.order_keys {
        key.expr = rewrite(&key.expr)?;
    }
    for w in &mut bound.collected.windows {
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
    Ok(())
}

/// After GROUP BY: grouping expressions become the aggregate's output columns, aggregates its
/// aggregate columns; any other column reference is [`Ungrouped`].
fn post_aggregate(e: &Expr, group_by: &[Expr]) -> Result<Expr, Ungrouped> {
    let n_groups = group_by.len();
    e.transform(&mut |x| {
        if let Some(i) = group_by.iter().position(|g| g == x) {
            return Ok(Some(Expr::Column {
                index: i,
                data_type: x.data_type(),
            }));
        }
        match x {
            Expr::Aggregate { index, data_type } => Ok(Some(Expr::Column {
                index: n_groups + index,
                data_type: *data_type,
            })),
            Expr::Column { index, .. } => Err(Ungrouped(*index)),
            _ => Ok(None),
        }
    })
}

/// An aggregate's column in the aggregate step, named by its call over `from` (the trace shows
/// `sum(fare)` and `sum(tip)`, not two columns named `sum`); an argument other than a column is
/// shown as `…`.
fn aggregate_name(a: &AggCall, from: &[PlanField]) -> String {
    let distinct = if a.distinct { "DISTINCT " } else { "" };
    let arg = match &a.arg {
        None => "*",
        Some(Expr::Column { index, .. }) => from.get(*index).map_or("…", |f| f.name.as_str()),
        Some(_) => "…",
    };
    format!("{}({distinct}{arg})", a.func.name())
}

/// The classic error for an ungrouped column, with the caret under its first use outside an
/// aggregate in `e` when it is given.
fn ungrouped_error(u: Ungrouped, from: &[PlanField], e: Option<&ast::Expr>) -> SqlError {
    let f = &from[u.0];
    let name = match &f.qualifier {
        Some(q) => format!("{q}.{}", f.name),
        None => f.name.clone(),
    };
    let err = SqlError::new(ErrorKind::Type, format!("column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"))
        .with_hint(format!("every output row stands for a group, and \"{}\" has many values per group: add it to GROUP BY, or wrap it in an aggregate such as max({})", f.name, f.name));
    match e.and_then(|e| column_use(e, &f.name)) {
        Some(span) => err.at(position(span)),
        None => err,
    }
}

/// Window functions: computed over the rows so far, appended as (hidden) columns.
fn window_step(plan: Plan, windows: &[WindowCall]) -> Plan {
    if windows.is_empty() {
        return plan;
    }
    let mut fields = plan.fields.clone();
    fields.extend(windows.iter().map(|w| PlanField {
        qualifier: None,
        name: window_name(w.func).into(),
        data_type: w.data_type,
        hidden: true,
    }));
    Plan {
        node: Node::Window {
            input: Box::new(plan),
            calls: windows.to_vec(),
        },
        fields,
        label: "window functions".into(),
    }
}

/// `e` with its window functions read from the window step's columns (after the `n_pre`
/// columns before it).
fn place_windows(e: &Expr, n_pre: usize) -> Expr {
    let placed = e.transform(&mut |x| -> Result<_, std::convert::Infallible> {
        Ok(match x {
            Expr::Window { index, data_type } => Some(Expr::Column {
                index: n_pre + index,
                data_type: *data_type,
            }),
            _ => None,
        })
    });
    match placed {
        Ok(e) => e,
        Err(never) => match never {},
    }
}

/// SELECT, DISTINCT and ORDER BY: the projection (with ORDER BY keys not in the select list
/// carried as hidden columns), DISTINCT, the sort, and the projection dropping those keys.
fn select_step(
    plan: Plan,
    s: &ast::Select,
    order_by: &[ast::OrderByExpr],
    bound: Bound,
    n_pre: usize,
    distinct: bool,
) -> Result<Plan, SqlError> {
    let mut exprs: Vec<Expr> = bound
        .items
        .iter()
        .map(|i| place_windows(&i.expr, n_pre))
        .collect();
    let mut fields: Vec<PlanField> = bound
        .items
        .iter()
        .zip(&exprs)
        .map(|(item, placed)| PlanField {
            qualifier: match &item.expr {
                Expr::Column { index, .. } => {
                    plan.fields.get(*index).and_then(|f| f.qualifier.clone())
                }
                _ => None,
            },
            name: item.name.clone(),
            data_type: placed.data_type(),
            hidden: false,
        })
        .collect();
    let visible = exprs.len();
    let mut sort_keys = Vec::new();
    for key in &bound.order_keys {
        let e = place_windows(&key.expr, n_pre);
        let index = match exprs.iter().position(|x| *x == e) {
            Some(i) => i,
            None if distinct => {
                return Err(SqlError::new(
                    ErrorKind::Type,
                    "for SELECT DISTINCT, ORDER BY expressions must appear in the select list",
                )
                .with_hint("add the expression to the SELECT list"))
            }
            None => {
                fields.push(PlanField {
                    qualifier: None,
                    name: format!("(order key {})", sort_keys.len() + 1),
                    data_type: e.data_type(),
                    hidden: true,
                });
                exprs.push(e.clone());
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
    let plan = Plan {
        node: Node::Project {
            input: Box::new(plan),
            exprs,
        },
        fields,
        label: format!("SELECT {}", comma_list(&s.projection)),
    };
    Ok(sort_step(plan, order_by, sort_keys, visible, distinct))
}

/// DISTINCT, the sort, and the projection dropping the hidden ORDER BY keys (the first
/// `visible` columns stay).
fn sort_step(
    mut plan: Plan,
    order_by: &[ast::OrderByExpr],
    sort_keys: Vec<SortKey>,
    visible: usize,
    distinct: bool,
) -> Plan {
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
    if plan.fields.len() == visible {
        return plan;
    }
    let fields = plan.fields[..visible].to_vec();
    let exprs = fields
        .iter()
        .enumerate()
        .map(|(i, f)| Expr::Column {
            index: i,
            data_type: f.data_type,
        })
        .collect();
    Plan {
        node: Node::Project {
            input: Box::new(plan),
            exprs,
        },
        fields,
        label: DROP_KEYS_LABEL.into(),
    }
}

/// The name a SELECT item gets without an alias: the column's name, or the function's, or the
/// expression's text.
pub(crate) fn output_name(e: &ast::Expr) -> String {
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

/// Where `e` names column `name` outside an aggregate's arguments.
fn column_use(e: &ast::Expr, name: &str) -> Option<Span> {
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
        ast::Expr::Like { expr, pattern, .. } => find(expr).or_else(|| find(pattern)),
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
            f.args.iter().flatten().find_map(|a| match a {
                ast::FunctionArg::Expr(e) => find(e),
                ast::FunctionArg::Wildcard(_) => None,
            })
        }
        _ => None,
    }
}
