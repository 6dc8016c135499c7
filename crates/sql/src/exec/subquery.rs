//! Subqueries at run time. Before a step evaluates an expression holding one, its results take
//! its place. An uncorrelated subquery runs once per query ([`Executor::execute`] runs them all
//! before the query's own steps, and the trace shows each one's result as a step); its value or
//! its hashed IN values are then kept for every later use. A correlated one runs once per
//! distinct outer row (the outer values it reads), untraced. Both count toward the query's work
//! budget.
//!
//! A filter inside a correlated subquery of the form `column = outer value` over a base table
//! looks the rows up in a hash index built once per query instead of scanning the table per
//! outer row: the common `EXISTS (... WHERE o.user_id = u.user_id)` costs one pass over each
//! table, as a join would.

use super::{shown_table, Executor, Map, TraceStep};
use crate::column::{Column, Table};
use crate::error::{ErrorKind, SqlError};
use crate::expr::{cast, coerce, BinOp, Expr, Subquery, SubqueryKind, ValueSet};
use crate::plan::{Node, Plan, SortKey};
use crate::value::{DataType, Value};
use std::borrow::Cow;
use std::rc::Rc;

/// A column's rows by value (NULLs left out).
pub(super) type ValueIndex = Map<Value, Vec<u32>>;

/// What an uncorrelated subquery computed, kept for the rest of the query.
#[derive(Clone)]
pub(super) enum Once {
    /// A scalar subquery's value, or whether EXISTS holds.
    Value(Value),
    /// An IN subquery's values, hashed.
    In { values: Rc<ValueSet>, negated: bool },
}

impl Executor {
    /// `e` with its subqueries replaced by their results over `table`'s rows.
    pub(super) fn resolve<'e>(
        &mut self,
        e: &'e Expr,
        table: &Table,
    ) -> Result<Cow<'e, Expr>, SqlError> {
        if !e.has_subquery() {
            return Ok(Cow::Borrowed(e));
        }
        let mut replace = |x: &Expr| -> Result<Option<Expr>, SqlError> {
            match x {
                Expr::Subquery { subquery, args } if subquery.is_correlated() => Ok(Some(
                    Expr::Computed(Rc::new(self.correlated(subquery, args, table)?)),
                )),
                Expr::Subquery { subquery, args } => {
                    Ok(Some(self.uncorrelated(subquery, args, table)?))
                }
                _ => Ok(None),
            }
        };
        Ok(Cow::Owned(e.transform(&mut replace)?))
    }

    /// Sort keys with their subqueries replaced by their results over `table`'s rows.
    pub(super) fn resolve_keys(
        &mut self,
        keys: &[SortKey],
        table: &Table,
    ) -> Result<Vec<SortKey>, SqlError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(SortKey {
                expr: self.resolve(&key.expr, table)?.into_owned(),
                descending: key.descending,
                nulls_first: key.nulls_first,
            });
        }
        Ok(out)
    }

    /// What takes an uncorrelated subquery's place: its value as a literal, or for IN the
    /// operand tested against its hashed values.
    fn uncorrelated(
        &mut self,
        subquery: &Rc<Subquery>,
        args: &[Expr],
        table: &Table,
    ) -> Result<Expr, SqlError> {
        Ok(match self.once(subquery)? {
            Once::Value(v) => coerce(Expr::Literal(v), subquery.data_type),
            Once::In { values, negated } => {
                let operand = match args.last() {
                    Some(operand) => self.resolve(operand, table)?.into_owned(),
                    None => Expr::Literal(Value::Null),
                };
                Expr::InValues {
                    expr: Box::new(operand),
                    values,
                    negated,
                }
            }
        })
    }

    /// An uncorrelated subquery's result: run the first time it is asked for (the trace shows
    /// its result as one step), kept for the rest of the query.
    pub(super) fn once(&mut self, subquery: &Rc<Subquery>) -> Result<Once, SqlError> {
        let key = Rc::as_ptr(subquery) as usize;
        if let Some(done) = self.once.get(&key) {
            return Ok(done.clone());
        }
        let rows = self.untraced(|ex| ex.run(&subquery.plan))?;
        if self.trace.is_some() {
            self.push_step(TraceStep {
                label: format!("{}: runs once, before the query", subquery.text),
                operator: "Subquery",
                table: shown_table(&rows, &subquery.plan.fields, false),
                rows: rows.rows,
                survivors: None,
                groups: None,
                asof: None,
            });
        }
        let done = match subquery.kind {
            SubqueryKind::Exists { negated } => {
                Once::Value(Value::Boolean((rows.rows > 0) != negated))
            }
            SubqueryKind::Scalar => {
                if rows.rows > 1 {
                    return Err(SqlError::new(
                        ErrorKind::Runtime,
                        format!(
                            "the scalar subquery returned {} rows; it may return at most one",
                            rows.rows
                        ),
                    )
                    .with_hint("add LIMIT 1 or an aggregate")
                    .at(subquery.position));
                }
                Once::Value(first_value(&rows, subquery.data_type)?)
            }
            SubqueryKind::In { negated } => Once::In {
                values: Rc::new(ValueSet::of_column(&rows.columns[0], subquery.data_type)?),
                negated,
            },
        };
        self.once.insert(key, done.clone());
        Ok(done)
    }

    /// A correlated subquery's result for each row of `table`: run once per distinct outer row
    /// (the values it reads), within the query's budget, untraced.
    fn correlated(
        &mut self,
        subquery: &Subquery,
        args: &[Expr],
        table: &Table,
    ) -> Result<Column, SqlError> {
        let mut arg_columns = Vec::with_capacity(args.len());
        for a in args {
            arg_columns.push(self.resolve(a, table)?.eval(table)?);
        }
        self.untraced(|ex| {
            let result_type = match subquery.kind {
                SubqueryKind::Scalar => subquery.data_type,
                _ => DataType::Boolean,
            };
            let mut out = Column::with_capacity(result_type, table.rows);
            let mut seen: Map<Vec<Value>, Value> = Map::default();
            for i in 0..table.rows {
                let key: Vec<Value> = arg_columns.iter().map(|c| c.get(i)).collect();
                let value = match seen.get(&key) {
                    Some(v) => v.clone(),
                    None => {
                        let v = ex.correlated_value(subquery, &key)?;
                        seen.insert(key, v.clone());
                        v
                    }
                };
                out.push(&value);
            }
            Ok(out)
        })
    }

    /// One run of a correlated subquery for the outer row `key` (for IN, then the operand).
    fn correlated_value(&mut self, subquery: &Subquery, key: &[Value]) -> Result<Value, SqlError> {
        let (outer, operand) = match subquery.kind {
            SubqueryKind::In { .. } => key.split_at(key.len().saturating_sub(1)),
            _ => (key, &[][..]),
        };
        if let Some(row) = &subquery.outer_row {
            *row.0.borrow_mut() = outer.to_vec();
        }
        let rows = self.run(&subquery.plan)?;
        Ok(match subquery.kind {
            SubqueryKind::Exists { negated } => Value::Boolean((rows.rows > 0) != negated),
            SubqueryKind::Scalar => {
                if rows.rows > 1 {
                    return Err(SqlError::new(
                        ErrorKind::Runtime,
                        format!(
                            "the correlated subquery {} returned {} rows for one outer row; it may return at most one",
                            subquery.text, rows.rows
                        ),
                    )
                    .with_hint("add LIMIT 1 or an aggregate"));
                }
                first_value(&rows, subquery.data_type)?
            }
            SubqueryKind::In { negated } => {
                let operand = operand.first().cloned().unwrap_or(Value::Null);
                ValueSet::of_column(&rows.columns[0], subquery.data_type)?.test(&operand, negated)
            }
        })
    }

    /// For a filter over a base table with a conjunct `column = outer value`: the table's rows
    /// holding that value (none for NULL), through the column's index.
    pub(super) fn outer_lookup(
        &mut self,
        input: &Plan,
        predicate: &Expr,
    ) -> Result<Option<Table>, SqlError> {
        // A table under an alias is the same columns under other names.
        let mut scan = input;
        while let Node::Rename { input } = &scan.node {
            scan = input;
        }
        let Node::Scan { table } = &scan.node else {
            return Ok(None);
        };
        if table.fields.len() != input.fields.len() {
            return Ok(None);
        }
        let Some((column, value)) = outer_equality(predicate) else {
            return Ok(None);
        };
        let key = (Rc::as_ptr(table) as usize, column);
        let index = match self.outer_indexes.get(&key) {
            Some(index) => index.clone(),
            None => {
                self.charge(table.rows, &input.label)?;
                let mut index = ValueIndex::default();
                let c = &table.columns[column];
                for row in 0..table.rows {
                    let v = c.get(row);
                    if !v.is_null() {
                        index.entry(v).or_default().push(row as u32);
                    }
                }
                let index = Rc::new(index);
                self.outer_indexes.insert(key, index.clone());
                index
            }
        };
        let rows: &[u32] = index.get(&value).map_or(&[], Vec::as_slice);
        self.charge(rows.len(), &input.label)?;
        Ok(Some(table.take(rows)))
    }
}

/// A scalar subquery's value: its one row's, or NULL without rows.
fn first_value(rows: &Table, data_type: DataType) -> Result<Value, SqlError> {
    if rows.rows == 1 {
        cast(&rows.columns[0].get(0), data_type)
    } else {
        Ok(Value::Null)
    }
}

/// A top-level conjunct `column = outer value` (either way round): the column and the value.
fn outer_equality(predicate: &Expr) -> Option<(usize, Value)> {
    match predicate {
        Expr::Binary {
            op: BinOp::And,
            left,
            right,
            ..
        } => outer_equality(left).or_else(|| outer_equality(right)),
        Expr::Binary {
            op: BinOp::Eq,
            left,
            right,
            ..
        } => match (&**left, &**right) {
            (Expr::Column { index, .. }, Expr::Outer { row, index: k, .. })
            | (Expr::Outer { row, index: k, .. }, Expr::Column { index, .. }) => {
                let value = row.0.borrow().get(*k).cloned().unwrap_or(Value::Null);
                Some((*index, value))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Outcome, QueryResult, Value};

    fn one_value(session: &mut crate::Session, sql: &str) -> Result<Value, String> {
        match session.execute(sql).map_err(|e| e.to_string())?.pop() {
            Some(Outcome::Rows(r)) => Ok(r.table.columns[0].get(0)),
            _ => Err("no rows".into()),
        }
    }

    fn result(session: &mut crate::Session, sql: &str) -> QueryResult {
        match session.execute_traced(sql).unwrap().pop() {
            Some(Outcome::Rows(r)) => r,
            other => panic!("{sql}: {other:?}"),
        }
    }

    /// `(SELECT max(g) FROM t)` is 999 over the benchmark's t: the same rows as the literal, so
    /// the work they differ by is the subquery's.
    const MAX_G: &str = "(SELECT max(g) FROM t)";

    #[test]
    fn an_uncorrelated_subquery_counts_toward_the_query_budget() {
        let mut session = crate::datasets::bench::session(1_000);
        let alone = result(&mut session, "SELECT max(g) FROM t").work;
        let literal = result(&mut session, "SELECT count(*) FROM t WHERE g < 999");
        let sql = format!("SELECT count(*) FROM t WHERE g < {MAX_G}");
        let with_subquery = result(&mut session, &sql);
        assert_eq!(with_subquery.table, literal.table);
        assert_eq!(with_subquery.work, literal.work + alone);
        // Each part fits the budget on its own; the query, subquery included, does not.
        session.limits.work_max = literal.work + alone - 1;
        assert!(literal.work <= session.limits.work_max && alone <= session.limits.work_max);
        let e = session.execute(&sql).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit, "{e}");
        assert!(e.message.contains("touched more than"), "{e}");
    }

    #[test]
    fn an_uncorrelated_subquery_runs_once_per_query_even_inside_a_correlated_one() {
        let mut session = crate::datasets::bench::session(1_000);
        let alone = result(&mut session, "SELECT max(g) FROM t").work;
        let correlated = |bound: &str| {
            format!(
                "SELECT count(*) FROM t a WHERE EXISTS \
                 (SELECT 1 FROM t b WHERE b.k = a.k AND b.g < {bound})"
            )
        };
        let literal = result(&mut session, &correlated("999"));
        let nested = result(&mut session, &correlated(MAX_G));
        assert_eq!(nested.table, literal.table);
        assert_eq!(nested.work, literal.work + alone);
        let steps = nested.trace.unwrap();
        let subqueries: Vec<&str> = steps
            .iter()
            .filter(|s| s.operator == "Subquery")
            .map(|s| s.label.as_str())
            .collect();
        assert_eq!(
            subqueries,
            [format!("{MAX_G}: runs once, before the query")]
        );
    }

    #[test]
    fn the_trace_shows_an_uncorrelated_subquery_before_the_steps_using_it() {
        let mut session = crate::datasets::bench::session(1_000);
        let sql = format!("SELECT count(*) FROM t WHERE g < {MAX_G}");
        let steps = result(&mut session, &sql).trace.unwrap();
        let labels: Vec<(&str, &str)> = steps
            .iter()
            .map(|s| (s.operator, s.label.as_str()))
            .collect();
        let subquery_label = format!("{MAX_G}: runs once, before the query");
        let filter_label = format!("WHERE g < {MAX_G}");
        assert_eq!(
            labels,
            [
                ("Subquery", subquery_label.as_str()),
                ("Scan", "FROM t"),
                ("Filter", filter_label.as_str()),
                ("HashAggregate", "aggregate over all rows"),
                ("Project", "SELECT count(*)"),
            ]
        );
        assert_eq!(steps[0].table.to_rows(), [[Value::BigInt(999)]]);
        // The filter's step still follows its input's (the trace view draws one against the
        // other).
        assert_eq!(steps[2].survivors.as_ref().unwrap().len(), 200);
    }

    #[test]
    fn explain_lists_an_uncorrelated_subquery_under_the_step_using_it() {
        let session = crate::datasets::bench::session(10);
        let plan = session
            .explain("SELECT k FROM t WHERE k IN (SELECT k FROM d WHERE cat = 'c1')")
            .unwrap();
        let lines: Vec<&str> = plan.lines().collect();
        assert_eq!(
            lines,
            [
                "Project: SELECT k  [k]",
                "  Filter: WHERE k IN (SELECT k FROM d WHERE cat = 'c1')  [k, g, v]",
                "    Subquery: runs once, before the query: (SELECT k FROM d WHERE cat = 'c1')",
                "      Project: SELECT k  [k]",
                "        Filter: WHERE cat = 'c1'  [k, cat]",
                "          Scan: FROM d  [k, cat]",
                "    Scan: FROM t  [k, g, v]",
            ],
            "{plan}"
        );
    }

    /// 20,000 outer rows against 100,000 inner ones: scanning per outer row would touch 2e9
    /// rows and stop at the budget; through the index it touches a few hundred thousand.
    #[test]
    fn an_equality_with_the_outer_row_is_looked_up_not_scanned() {
        let mut session = crate::datasets::bench::session(20_000);
        session.limits.work_max = 2_000_000;
        let indexed = "SELECT count(*) FROM t WHERE EXISTS (SELECT 1 FROM d WHERE d.k = t.k AND d.cat <> 'c3')";
        let want = one_value(
            &mut session,
            "SELECT count(*) FROM t WHERE k IN (SELECT k FROM d WHERE cat <> 'c3')",
        );
        assert_eq!(one_value(&mut session, indexed), want);
        assert!(matches!(want, Ok(Value::BigInt(n)) if n > 15_000 && n < 20_000));
        let scanned = "SELECT count(*) FROM t WHERE EXISTS (SELECT 1 FROM d WHERE d.k + 0 = t.k)";
        let err = one_value(&mut session, scanned).unwrap_err();
        assert!(err.contains("touched more than"), "{err}");
    }
}
