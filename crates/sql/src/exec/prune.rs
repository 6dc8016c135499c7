//! Column pruning while a query runs. A step that reads only some of its input's columns (a
//! SELECT's expressions, a GROUP BY's keys and arguments) asks its input for those alone: a join
//! then gathers only them (and asks its own inputs for them plus its keys), a window step copies
//! only them, a table under an alias copies only them. Every other column stays in its place as a
//! placeholder of NULLs that holds no values, so the table keeps its shape and every column
//! position in the plan still holds. The trace shows whole tables, so a traced query is not
//! pruned; the rows and work counted are the same either way.

use super::Executor;
use crate::column::{Column, ColumnData, Table};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::{Node, Plan};
use std::borrow::Cow;

impl Executor {
    /// `plan`'s output, where the step asking reads only the columns marked in `needed`: the
    /// others may be placeholders.
    pub(super) fn pruned_input<'p>(
        &mut self,
        plan: &'p Plan,
        needed: &[bool],
    ) -> Result<Cow<'p, Table>, SqlError> {
        if self.trace.is_some() || needed.iter().all(|n| *n) {
            return self.input(plan);
        }
        let table = match &plan.node {
            Node::Join {
                left,
                right,
                kind,
                keys,
                residual,
            } => self.join_step(
                left,
                right,
                *kind,
                keys,
                residual.as_ref(),
                &plan.label,
                Some(needed),
            )?,
            Node::Window { input, calls } => self.windows(input, calls, Some(needed))?,
            Node::Filter { input, predicate } => self.filter(input, predicate, Some(needed))?.table,
            Node::Rename { input } => {
                let renamed = self.pruned_input(input, needed)?;
                let rows = renamed.rows;
                Table {
                    fields: Vec::new(),
                    columns: kept_columns(renamed, Some(needed)),
                    rows,
                }
            }
            _ => return self.input(plan),
        };
        Ok(Cow::Owned(self.finish_step(plan, table.into())?))
    }
}

/// Which of an input's `width` columns `exprs` read (a subquery's outer values included).
pub(super) fn needed_columns<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    width: usize,
) -> Vec<bool> {
    let mut read = Vec::new();
    for e in exprs {
        e.columns(&mut read);
    }
    let mut needed = vec![false; width];
    for i in read {
        if let Some(n) = needed.get_mut(i) {
            *n = true;
        }
    }
    needed
}

/// Marks in `needed` the columns `also` marks.
pub(super) fn mark(needed: &mut [bool], also: &[bool]) {
    for (n, a) in needed.iter_mut().zip(also) {
        *n |= *a;
    }
}

/// A column no step reads: `rows` NULLs, holding no values.
pub(super) fn placeholder(rows: usize) -> Column {
    Column {
        data: ColumnData::Null(rows),
        validity: None,
    }
}

/// `table`'s columns, moved when the table is owned and copied when borrowed; with `needed`,
/// those it does not mark are placeholders instead.
pub(super) fn kept_columns(table: Cow<Table>, needed: Option<&[bool]>) -> Vec<Column> {
    let kept = |i: usize| needed.is_none_or(|n| n.get(i).copied().unwrap_or(true));
    let rows = table.rows;
    match table {
        Cow::Owned(t) => t
            .columns
            .into_iter()
            .enumerate()
            .map(|(i, c)| if kept(i) { c } else { placeholder(rows) })
            .collect(),
        Cow::Borrowed(t) => (0..t.columns.len())
            .map(|i| {
                if kept(i) {
                    t.columns[i].clone()
                } else {
                    placeholder(rows)
                }
            })
            .collect(),
    }
}

/// For each of a SELECT's expressions, the input column it may take as it is (moved, not
/// copied): a bare column that no other expression reads.
pub(super) fn movable_columns(exprs: &[Expr], width: usize) -> Vec<Option<usize>> {
    let mut reads = vec![0usize; width];
    let mut read = Vec::new();
    for e in exprs {
        e.columns(&mut read);
    }
    for i in read {
        if let Some(n) = reads.get_mut(i) {
            *n += 1;
        }
    }
    exprs
        .iter()
        .map(|e| match e {
            Expr::Column { index, .. } if reads.get(*index) == Some(&1) => Some(*index),
            _ => None,
        })
        .collect()
}

/// Moves column `index` out of `table`, leaving a placeholder.
pub(super) fn take_column(table: &mut Table, index: usize) -> Column {
    let rows = table.rows;
    std::mem::replace(&mut table.columns[index], placeholder(rows))
}

#[cfg(test)]
mod tests {
    use crate::{Session, Table};

    fn session() -> Session {
        let mut s = Session::new();
        s.execute(
            "CREATE TABLE a (id BIGINT, name TEXT, w DOUBLE);
             CREATE TABLE b (id BIGINT, a_id BIGINT, fare DOUBLE, tip DOUBLE);
             INSERT INTO a VALUES (1, 'x', 0.5), (2, 'y', NULL), (3, NULL, 2.0), (NULL, 'z', 1.0);
             INSERT INTO b VALUES (7, 1, 10.0, 1.0), (8, 1, 12.0, NULL), (9, 2, 3.5, 0.5),
               (10, NULL, 4.0, 0.0), (11, 5, 8.0, 2.0), (12, 3, 1.0, 1.0)",
        )
        .unwrap();
        s
    }

    fn rows(s: &mut Session, sql: &str, traced: bool) -> (Table, u64) {
        super::super::result_and_work(s, sql, traced)
    }

    /// A traced run is never pruned: every query gives the same table, and counts the same
    /// work, pruned or not.
    #[test]
    fn pruned_runs_match_unpruned_ones() {
        let queries = [
            "SELECT b.fare FROM a JOIN b ON a.id = b.a_id",
            "SELECT name, count(*), sum(fare) FROM a JOIN b ON b.a_id = a.id GROUP BY name",
            "SELECT a.name, b.tip FROM a LEFT JOIN b ON a.id = b.a_id AND b.fare > 3.6",
            "SELECT a.w, b.id FROM a RIGHT JOIN b ON a.id = b.a_id",
            "SELECT a.name, b.fare FROM a FULL JOIN b ON a.id = b.a_id WHERE b.tip IS NULL OR a.w > 0",
            "SELECT id, fare FROM a JOIN (SELECT a_id AS id, fare FROM b) c USING (id)",
            "SELECT * FROM a JOIN (SELECT a_id AS id, tip FROM b) c USING (id)",
            "SELECT name, tip FROM a NATURAL JOIN (SELECT a_id AS id, tip FROM b) c",
            "SELECT x.name, y.name FROM a x CROSS JOIN a y WHERE x.w < y.w",
            "SELECT a.name, (SELECT max(fare) FROM b WHERE b.a_id = a.id) FROM a",
            "SELECT a.name FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id AND b.tip > 0.2)",
            "SELECT name, fare FROM a JOIN b ON a.id = b.a_id AND b.fare > a.w * 10",
            "SELECT c.n, b.tip FROM (SELECT id, name AS n FROM a) c JOIN b ON c.id = b.a_id",
            "SELECT name, rn FROM (SELECT name, row_number() OVER (PARTITION BY a_id ORDER BY fare DESC) AS rn FROM a JOIN b ON a.id = b.a_id) x WHERE rn <= 1",
            "SELECT fare, rank() OVER (ORDER BY tip NULLS FIRST), sum(fare) OVER (PARTITION BY a_id) FROM b",
            "SELECT t.fare, t.fare AS again FROM (SELECT fare, tip FROM b) t",
            "SELECT count(*) FROM a JOIN b ON a.id = b.a_id JOIN a a2 ON a2.id = b.a_id",
            "SELECT DISTINCT a.name FROM a JOIN b ON a.id = b.a_id",
            "SELECT c.n, b.fare FROM (SELECT id, name AS n, w FROM a) c JOIN b ON c.id = b.a_id AND b.fare > c.w * 10",
            "SELECT c.n FROM (SELECT id, name AS n, w FROM a) c LEFT JOIN (SELECT a_id, tip FROM b) d ON c.id = d.a_id AND d.tip < c.w",
            "SELECT a2.name, count(*) FROM a JOIN b ON a.id = b.a_id AND b.tip < a.w JOIN a a2 ON a2.w > b.tip GROUP BY a2.name",
            "SELECT y.fare FROM (SELECT * FROM b) y JOIN (SELECT * FROM a) x ON x.id = y.a_id WHERE y.tip > 0",
        ];
        let mut s = session();
        for sql in queries {
            assert_eq!(rows(&mut s, sql, false), rows(&mut s, sql, true), "{sql}");
        }
    }

    /// Pruning answers what the query asks: spot checks against hand-worked results.
    #[test]
    fn pruned_joins_answer_correctly() {
        let mut s = session();
        let (t, _) = rows(
            &mut s,
            "SELECT name, count(*), sum(fare) FROM a JOIN b ON b.a_id = a.id GROUP BY name ORDER BY name",
            false,
        );
        assert_eq!(
            t.to_rows()
                .iter()
                .map(|r| r
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("|"))
                .collect::<Vec<_>>(),
            ["x|2|22.0", "y|1|3.5", "NULL|1|1.0"]
        );
        let (t, _) = rows(
            &mut s,
            "SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY a_id ORDER BY fare DESC) AS rn FROM b) x WHERE rn <= 1",
            false,
        );
        assert_eq!(t.row(0)[0].to_string(), "5");
    }
}
