//! GROUP BY straight over a join, without gathering the joined table. A join's output row is a
//! pair (left row, right row); a GROUP BY key column comes from one side, so the side's own
//! rows get key ids once (a dimension table's 100k rows, not the fact table's millions) and each
//! output row takes its side row's id: no key value is copied, hashed or dropped per output
//! row. Only the aggregates' argument columns are gathered, and an argument on a side whose rows
//! all come out once and in order (a join on the other side's unique key) is read in place.
//! The groups, their order, the NULL group (an outer join's missing side included) and every
//! sum's order are what the general path gives; the rows and work counted are the same too.
//! A traced run takes the general path, which shows the joined table as a step.

use super::{aggregate_groups, prune, Executor, Pairs, StepOutput};
use crate::column::{Column, Table};
use crate::error::{ErrorKind, SqlError};
use crate::expr::Expr;
use crate::keys::{self, KeyIds};
use crate::plan::{AggCall, Node, Plan};
use std::borrow::Cow;

/// Where one of a join's output columns comes from: a side's table, its column there, and
/// each output row's row on that side.
struct Source<'a> {
    column: &'a Column,
    rows: &'a [u32],
    side_rows: usize,
}

impl Executor {
    /// GROUP BY over a join whose keys and arguments are plain columns of it: the aggregate's
    /// output, or `None` when the general path must run (a traced run, other shapes).
    pub(super) fn grouped_join(
        &mut self,
        input: &Plan,
        group_by: &[Expr],
        aggregates: &[AggCall],
    ) -> Result<Option<StepOutput>, SqlError> {
        let Node::Join {
            left,
            right,
            kind,
            keys,
            residual,
        } = &input.node
        else {
            return Ok(None);
        };
        let read = group_by
            .iter()
            .chain(aggregates.iter().filter_map(|a| a.arg.as_ref()));
        let plain = |e: &Expr| matches!(e, Expr::Column { .. });
        if self.trace.is_some() || group_by.is_empty() || !read.clone().all(plain) {
            return Ok(None);
        }
        let needed = prune::needed_columns(read, input.fields.len());
        let residual = residual.as_ref();
        let (l, r) = self.join_inputs(left, right, keys, residual, &needed)?;
        let pairs = self.join_pairs(&l, &r, *kind, keys, residual, &input.label)?;
        // The joined table's rows, as the join step counts them when it outputs them.
        self.charge(pairs.left.len(), &input.label)?;
        let source = |e: &Expr| source_of(e, &l, &r, &pairs).ok_or_else(missing_column);
        let sources: Vec<Source> = group_by.iter().map(source).collect::<Result<_, _>>()?;
        let groups = group_ids(&sources, pairs.left.len());
        let key_columns = sources
            .iter()
            .map(|s| key_column(s, &groups.firsts))
            .collect();
        let key_types: Vec<_> = group_by.iter().map(|e| e.data_type()).collect();
        let args: Vec<Option<Cow<Column>>> = aggregates
            .iter()
            .map(|a| a.arg.as_ref().map(|e| source(e).map(gathered)).transpose())
            .collect::<Result<_, _>>()?;
        let (table, groups) = aggregate_groups(
            pairs.left.len(),
            &groups,
            key_columns,
            &key_types,
            aggregates,
            &args,
        )?;
        Ok(Some(StepOutput {
            table,
            survivors: None,
            groups: Some(groups),
            asof: None,
        }))
    }
}

/// A plan whose columns do not line up with its join's inputs (a bug, not the query's fault).
fn missing_column() -> SqlError {
    SqlError::new(
        ErrorKind::Runtime,
        "GROUP BY read a column its join does not output",
    )
    .with_hint("report the query: it should run")
}

/// The side a join output column `e` (a plain column) comes from.
fn source_of<'a>(e: &Expr, l: &'a Table, r: &'a Table, pairs: &'a Pairs) -> Option<Source<'a>> {
    let Expr::Column { index, .. } = e else {
        return None;
    };
    let (table, rows, at) = match index.checked_sub(l.columns.len()) {
        None => (l, &pairs.left, *index),
        Some(at) => (r, &pairs.right, at),
    };
    Some(Source {
        column: table.columns.get(at)?,
        rows,
        side_rows: table.rows,
    })
}

/// The group of each output row, in order of first appearance: each key column's ids on its
/// side, taken through the pairs, then combined as [`keys::key_ids`] combines columns.
fn group_ids(sources: &[Source], rows: usize) -> KeyIds {
    let mut key = KeyIds {
        ids: vec![0; rows],
        firsts: if rows == 0 { Vec::new() } else { vec![0] },
    };
    for (k, s) in sources.iter().enumerate() {
        let side = keys::key_ids(&[s.column], s.side_rows);
        // A missing side row is NULL, in the group of the side's own NULLs.
        let null_id = (0..s.side_rows)
            .find(|i| !s.column.is_valid(*i))
            .map_or(side.count(), |i| side.ids[i] as usize);
        let ids = keys::gathered_ids(&side, null_id as u32, s.rows);
        key = if k == 0 {
            ids
        } else {
            keys::combine(&key, &ids)
        };
    }
    key
}

/// A group key's column: the side's value at each group's first output row. When some output
/// rows miss the side, so does one group's first row (theirs is the NULL group, or the side's
/// own NULLs give the column a validity already), so the column has a validity exactly when
/// the general path's, taken from the gathered column, has.
fn key_column(s: &Source, firsts: &[usize]) -> Column {
    if s.rows.is_empty() {
        return Column::empty(s.column.data_type());
    }
    let at: Vec<u32> = firsts.iter().map(|i| s.rows[*i]).collect();
    s.column.take(&at)
}

/// An aggregate's argument column over the output rows: the side's own column when each of its
/// rows comes out once, in order; else gathered.
fn gathered(s: Source) -> Cow<Column> {
    let in_place =
        s.rows.len() == s.side_rows && s.rows.iter().enumerate().all(|(i, row)| *row as usize == i);
    if in_place {
        Cow::Borrowed(s.column)
    } else {
        Cow::Owned(s.column.take(s.rows))
    }
}

#[cfg(test)]
mod tests {
    use crate::exec::{Executor, Limits};
    use crate::plan::{Node, Plan};
    use crate::syntax::ast;
    use crate::{Session, Table};
    use sim::rng::{Rng, Seed};

    /// A fact table `f` and two dimensions, `d` (keys repeat, some NULL) and `u` (each key once,
    /// every key `f` has), filled from `seed`: NULL keys, values and groups, and keys only one
    /// side has.
    fn session(seed: u64) -> Session {
        let mut rng = Rng::new(Seed(seed)).fork("sql/join_groups/test");
        let mut pick = |n: u64| rng.below(n);
        let text = |i: u64| match i {
            0 => "NULL".to_string(),
            i => format!("'c{i}'"),
        };
        let number = |i: u64, scale: f64| match i {
            0 => "NULL".to_string(),
            i => format!("{}", i as f64 * scale),
        };
        let mut sql = String::from(
            "CREATE TABLE f (k BIGINT, v DOUBLE, g TEXT, n BIGINT);
             CREATE TABLE d (k BIGINT, cat TEXT, w DOUBLE, b BOOLEAN);
             CREATE TABLE u (k BIGINT, cat TEXT);
             CREATE TABLE p (k BIGINT, g TEXT);",
        );
        let nullable_keys = seed.is_multiple_of(2);
        for _ in 0..60 {
            let k = match pick(10) {
                0 if nullable_keys => "NULL".to_string(),
                _ => pick(12).to_string(),
            };
            let (v, g, n) = (number(pick(8), 0.1), text(pick(4)), number(pick(6), 1.0));
            sql += &format!("INSERT INTO f VALUES ({k}, {v}, {g}, {n});");
        }
        for _ in 0..14 {
            let k = match pick(8) {
                0 => "NULL".to_string(),
                _ => (pick(16) as i64 - 2).to_string(),
            };
            let (cat, w, b) = (text(pick(5)), number(pick(5), 0.3), pick(2) == 0);
            sql += &format!("INSERT INTO d VALUES ({k}, {cat}, {w}, {b});");
        }
        for k in (0..12).rev() {
            sql += &format!("INSERT INTO u VALUES ({k}, {});", text(pick(4)));
            sql += &format!("INSERT INTO p VALUES ({}, {});", 11 - k, text(pick(4)));
        }
        let mut s = Session::new();
        s.execute(&sql).unwrap();
        s
    }

    fn result(s: &mut Session, sql: &str, traced: bool) -> (Table, u64) {
        super::super::result_and_work(s, sql, traced)
    }

    /// The GROUP BY step in `plan`, under the steps a SELECT puts above it.
    fn aggregate_of(plan: &Plan) -> &Plan {
        match &plan.node {
            Node::Project { input, .. } | Node::Sort { input, .. } | Node::Rename { input } => {
                aggregate_of(input)
            }
            _ => plan,
        }
    }

    /// Whether the untraced run of `sql` groups over its join without gathering it.
    fn takes_grouped_join(s: &Session, sql: &str) -> bool {
        let statements = Session::parse(sql).unwrap();
        let Some(ast::Statement::Query(q)) = statements.first() else {
            panic!("{sql} is not a query")
        };
        let plan = s.plan(q).unwrap();
        let Node::Aggregate {
            input,
            group_by,
            aggregates,
        } = &aggregate_of(&plan).node
        else {
            panic!("{sql} has no GROUP BY step")
        };
        let mut executor = Executor::new(Limits::default(), false);
        executor
            .grouped_join(input, group_by, aggregates)
            .unwrap()
            .is_some()
    }

    /// Grouping over the pairs gives what grouping the gathered join gives (the traced run's
    /// path): the same table, NULL groups, group order, float sums bit for bit, and work, for
    /// every join kind, keys from either side or both, repeated and missing keys.
    #[test]
    fn grouping_over_pairs_matches_grouping_the_joined_table() {
        let joins = [
            "f JOIN d ON f.k = d.k",
            "f LEFT JOIN d ON f.k = d.k",
            "f RIGHT JOIN d ON f.k = d.k",
            "f FULL JOIN d ON f.k = d.k",
            "f JOIN u AS d ON f.k = d.k",
            "f LEFT JOIN u AS d ON d.k = f.k",
            "f FULL JOIN u AS d ON d.k = f.k",
            "f JOIN d ON f.k = d.k AND f.v > d.w",
            "f LEFT JOIN d ON f.k = d.k AND f.g = d.cat",
            "f JOIN d ON f.v < d.w",
            "d JOIN f ON f.k = d.k",
            "f FULL JOIN d USING (k)",
            "f NATURAL LEFT JOIN d",
            "p AS f JOIN u AS d ON f.k = d.k",
            "p AS f RIGHT JOIN d ON f.k = d.k",
        ];
        let selects_all = [
            ("d.cat", "count(*), sum(f.v)"),
            ("f.g", "count(*), sum(f.v), count(d.cat)"),
            ("d.cat, f.g", "sum(f.n), max(f.v), min(d.cat)"),
            (
                "f.g, d.cat",
                "avg(f.v), count(DISTINCT d.cat), sum(DISTINCT f.n)",
            ),
            ("f.k", "count(*), sum(f.v)"),
            ("d.k, f.k", "count(f.v)"),
            ("d.k", "sum(f.v), count(*)"),
            ("f.v", "count(*)"),
        ];
        // What the table `p` (as `f`) has not, and what `u` (as `d`) has not.
        let fact_only = [("f.g", "sum(f.v), max(f.n)"), ("d.cat", "sum(f.n)")];
        let dim_only = [("d.w, d.b", "count(*), sum(f.k)")];
        let any = [
            ("f.g", "sum(d.k), count(f.k)"),
            ("d.cat", "sum(f.k), min(f.g)"),
        ];
        for seed in 0..6 {
            let mut s = session(seed);
            for join in joins {
                let (p, u) = (join.starts_with("p "), join.contains(" u "));
                let selects = any.iter();
                let selects = selects.chain(fact_only.iter().filter(|_| !p));
                let selects = selects.chain(selects_all.iter().filter(|_| !p));
                let selects = selects.chain(dim_only.iter().filter(|_| !u));
                for (keys, aggs) in selects {
                    let sql = format!("SELECT {keys}, {aggs} FROM {join} GROUP BY {keys}");
                    assert!(takes_grouped_join(&s, &sql), "{sql}");
                    let (fast, fast_work) = result(&mut s, &sql, false);
                    let (general, general_work) = result(&mut s, &sql, true);
                    assert_eq!(fast, general, "seed {seed}: {sql}");
                    assert_eq!(fast_work, general_work, "seed {seed}: {sql}");
                }
            }
        }
    }

    /// Keys or arguments that are expressions, and traced runs, take the general path.
    #[test]
    fn other_shapes_take_the_general_path() {
        let s = session(1);
        for sql in [
            "SELECT d.cat || 'x', count(*) FROM f JOIN d ON f.k = d.k GROUP BY d.cat || 'x'",
            "SELECT d.cat, sum(f.v * 2) FROM f JOIN d ON f.k = d.k GROUP BY d.cat",
            "SELECT count(*) FROM f JOIN d ON f.k = d.k",
            "SELECT f.g, count(*) FROM f GROUP BY f.g",
        ] {
            assert!(!takes_grouped_join(&s, sql), "{sql}");
        }
    }
}
