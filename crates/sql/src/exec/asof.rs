//! ASOF JOIN at run time, as a sort-merge: both sides' rows sorted by (equality key id,
//! inequality value, input order), then one pass with a pointer into the right's rows per left
//! row. For `>=` / `>` the left rows go in ascending order and the pointer moves forward past
//! every right row at or before (strictly before) the left's value; for `<=` / `<` they go in
//! descending order and it moves back. The match is the right row the pointer stopped at, if it
//! has the left row's key. Among right rows with equal values the last in input order wins
//! (DuckDB leaves the choice open; ours is fixed so a query answers the same everywhere).
//! Rows with a NULL key or a NULL inequality value match nothing. The output keeps the left's
//! order: one row per matched left row, and for ASOF LEFT JOIN the unmatched ones with NULLs.
//! A traced run also keeps, for the first [`TRACE_ROWS_MAX`] left rows, the right row each one
//! matched ([`AsofTrace`]): the trace draws every output row as "left row → right row".

use super::{combine, Executor, JoinKeys, Pairs, StepOutput, TRACE_ROWS_MAX};
use crate::column::{Table, NULL_ROW};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::AsofInequality;
use crate::value::Value;
use std::cmp::Ordering;

/// What the trace shows of an ASOF JOIN step: which right row each left row matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsofTrace {
    /// ASOF LEFT JOIN: a left row that matched nothing is kept, with NULLs; otherwise dropped.
    pub keep_unmatched: bool,
    /// For each of the first [`TRACE_ROWS_MAX`] left input rows, the right input row it matched.
    pub matches: Vec<Option<usize>>,
}

impl AsofTrace {
    /// The (left row, matched right row) behind each of the step's first output rows: the
    /// output keeps the left's order, and drops the unmatched left rows unless `keep_unmatched`.
    pub fn output_rows(&self) -> Vec<(usize, Option<usize>)> {
        self.matches
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_some() || self.keep_unmatched)
            .map(|(i, m)| (i, *m))
            .collect()
    }

    /// The left rows (of the first [`TRACE_ROWS_MAX`]) that matched nothing.
    pub fn unmatched(&self) -> Vec<usize> {
        (0..self.matches.len())
            .filter(|i| self.matches[*i].is_none())
            .collect()
    }
}

/// One side's rows that can match, sorted for the merge, with their key ids and values.
struct Sorted<'a> {
    rows: Vec<u32>,
    ids: &'a [u32],
    values: Vec<Value>,
}

impl<'a> Sorted<'a> {
    fn new(ids: &'a [u32], values: Vec<Value>, null_key: Option<&[bool]>) -> Sorted<'a> {
        let mut rows: Vec<u32> = (0..values.len() as u32)
            .filter(|&i| !null_key.is_some_and(|n| n[i as usize]) && !values[i as usize].is_null())
            .collect();
        rows.sort_by(|&a, &b| {
            ids[a as usize]
                .cmp(&ids[b as usize])
                .then_with(|| values[a as usize].total_cmp(&values[b as usize]))
                .then(a.cmp(&b))
        });
        Sorted { rows, ids, values }
    }

    /// Row `a` of this side against row `b` of `other`, by (key id, value).
    fn cmp_with(&self, a: u32, other: &Sorted, b: u32) -> Ordering {
        self.ids[a as usize]
            .cmp(&other.ids[b as usize])
            .then_with(|| self.values[a as usize].total_cmp(&other.values[b as usize]))
    }

    /// For each position, the last position of its run of equal (key id, value).
    fn run_ends(&self) -> Vec<usize> {
        let mut ends = vec![0; self.rows.len()];
        for k in (0..self.rows.len()).rev() {
            let same_as_next = k + 1 < self.rows.len()
                && self.cmp_with(self.rows[k], self, self.rows[k + 1]) == Ordering::Equal;
            ends[k] = if same_as_next { ends[k + 1] } else { k };
        }
        ends
    }
}

impl Executor {
    /// The joined table and, for the trace, the right row each of the first left rows matched.
    pub(super) fn asof_join(
        &mut self,
        l: &Table,
        r: &Table,
        keep_unmatched: bool,
        keys: &[(Expr, Expr)],
        inequality: &AsofInequality,
        label: &str,
    ) -> Result<StepOutput, SqlError> {
        let JoinKeys {
            ids,
            r_null,
            l_null,
        } = self.join_keys(l, r, keys)?;
        let left_values = self.resolve(&inequality.left, l)?.eval_cow(l)?;
        let right_values = self.resolve(&inequality.right, r)?.eval_cow(r)?;
        let right = Sorted::new(
            &ids.build,
            (0..r.rows).map(|j| right_values.get(j)).collect(),
            r_null.as_deref(),
        );
        let left = Sorted::new(
            &ids.probe,
            (0..l.rows).map(|i| left_values.get(i)).collect(),
            l_null.as_deref(),
        );
        let matches = merge(&left, &right, inequality, l.rows);
        let mut pairs = Pairs::with_capacity(l.rows);
        for (i, j) in matches.iter().enumerate() {
            if *j != NULL_ROW || keep_unmatched {
                pairs.push(i as u32, *j);
            }
        }
        self.charge(pairs.left.len(), label)?;
        let asof = self.trace.is_some().then(|| AsofTrace {
            keep_unmatched,
            matches: matches
                .iter()
                .take(TRACE_ROWS_MAX)
                .map(|&j| (j != NULL_ROW).then_some(j as usize))
                .collect(),
        });
        Ok(StepOutput {
            asof,
            ..combine(l, r, &pairs).into()
        })
    }
}

/// The matched right row of each left row (`NULL_ROW` for none), by the two-pointer merge.
fn merge(left: &Sorted, right: &Sorted, inequality: &AsofInequality, l_rows: usize) -> Vec<u32> {
    let mut matches = vec![NULL_ROW; l_rows];
    let n = right.rows.len();
    // Whether right row `j` lies on the matching side of left row `i` (key ids first, so the
    // pointer crosses whole keys).
    let passes = |i: u32, j: u32| match right.cmp_with(j, left, i) {
        Ordering::Equal => inequality.inclusive(),
        o if inequality.looks_back() => o == Ordering::Less,
        o => o == Ordering::Greater,
    };
    let same_key = |i: u32, j: u32| left.ids[i as usize] == right.ids[j as usize];
    if inequality.looks_back() {
        let mut p = 0;
        for &i in &left.rows {
            while p < n && passes(i, right.rows[p]) {
                p += 1;
            }
            // Sorted by input order within equal values: the run's last row is right.rows[p - 1].
            if p > 0 && same_key(i, right.rows[p - 1]) {
                matches[i as usize] = right.rows[p - 1];
            }
        }
    } else {
        let ends = right.run_ends();
        let mut q = n;
        for &i in left.rows.iter().rev() {
            while q > 0 && passes(i, right.rows[q - 1]) {
                q -= 1;
            }
            if q < n && same_key(i, right.rows[q]) {
                matches[i as usize] = right.rows[ends[q]];
            }
        }
    }
    matches
}

#[cfg(test)]
mod tests {
    use crate::session::{Outcome, QueryResult, Session};
    use crate::value::Value;

    /// `e(k, t, x)` and `f(k, t, v)`: key 1 has right rows at 4, 5 (twice: `b1` then `b2`) and
    /// 9; NULL keys and NULL times on both sides.
    fn session() -> Session {
        let mut s = Session::new();
        s.execute(
            "CREATE TABLE e (k BIGINT, t BIGINT, x BIGINT);
             INSERT INTO e VALUES (1, 5, 0), (1, 10, 1), (NULL, 5, 2), (1, NULL, 3), (2, 1, 4), (1, 3, 5);
             CREATE TABLE f (k BIGINT, t BIGINT, v TEXT);
             INSERT INTO f VALUES (1, 9, 'c'), (1, 5, 'b1'), (1, 4, 'a'), (1, 5, 'b2'),
                                  (NULL, 1, 'n'), (2, NULL, 'z')",
        )
        .unwrap();
        s
    }

    fn traced(sql: &str) -> QueryResult {
        match session().execute_traced(sql).unwrap().pop() {
            Some(Outcome::Rows(r)) => r,
            other => panic!("not rows: {other:?}"),
        }
    }

    /// `(x, v)` of each output row, `v` as text ("NULL" for none), in output order.
    fn x_and_v(sql: &str) -> Vec<(i64, String)> {
        traced(sql)
            .table
            .to_rows()
            .iter()
            .map(|row| {
                let Value::BigInt(x) = row[0] else {
                    panic!("x is {:?}", row[0])
                };
                let v = match &row[1] {
                    Value::Null => "NULL".to_string(),
                    other => other.to_string(),
                };
                (x, v)
            })
            .collect()
    }

    fn pairs(list: &[(i64, &str)]) -> Vec<(i64, String)> {
        list.iter().map(|(x, v)| (*x, v.to_string())).collect()
    }

    #[test]
    fn each_inequality_picks_its_interval_and_ties_take_the_last_right_row() {
        let on =
            |op: &str| format!("SELECT e.x, f.v FROM e ASOF JOIN f ON e.k = f.k AND e.t {op} f.t");
        // At or before: t=5 sees both 5s (the later one, b2, wins), t=10 sees 9, t=3 nothing.
        assert_eq!(x_and_v(&on(">=")), pairs(&[(0, "b2"), (1, "c")]));
        // Strictly before: t=5 sees 4.
        assert_eq!(x_and_v(&on(">")), pairs(&[(0, "a"), (1, "c")]));
        // At or after: t=5 sees b2, t=3 sees 4, t=10 nothing.
        assert_eq!(x_and_v(&on("<=")), pairs(&[(0, "b2"), (5, "a")]));
        // Strictly after: t=5 sees 9, t=3 sees 4.
        assert_eq!(x_and_v(&on("<")), pairs(&[(0, "c"), (5, "a")]));
    }

    #[test]
    fn left_keeps_every_left_row_in_order_and_nulls_never_match() {
        let sql = "SELECT e.x, f.v FROM e ASOF LEFT JOIN f ON e.k = f.k AND e.t >= f.t";
        assert_eq!(
            x_and_v(sql),
            pairs(&[
                (0, "b2"),
                (1, "c"),
                (2, "NULL"),
                (3, "NULL"),
                (4, "NULL"),
                (5, "NULL")
            ])
        );
        // Without equality keys, a NULL left key is no obstacle, but a NULL right time is.
        let sql = "SELECT e.x, f.v FROM e ASOF JOIN f ON e.t >= f.t";
        assert_eq!(
            x_and_v(sql),
            pairs(&[(0, "b2"), (1, "c"), (2, "b2"), (4, "n"), (5, "n")])
        );
    }

    #[test]
    fn the_trace_says_which_right_row_each_left_row_matched() {
        let r = traced("SELECT e.x, f.v FROM e ASOF JOIN f ON e.k = f.k AND e.t >= f.t");
        let trace = r.trace.unwrap();
        let join = trace
            .iter()
            .find(|s| s.operator == "AsofSortMergeJoin")
            .unwrap();
        let asof = join.asof.as_ref().unwrap();
        assert_eq!(asof.matches, [Some(3), Some(0), None, None, None, None]);
        assert_eq!(asof.output_rows(), [(0, Some(3)), (1, Some(0))]);
        assert_eq!(asof.unmatched(), [2, 3, 4, 5]);
        assert_eq!(join.rows, 2);
        assert!(trace
            .iter()
            .filter(|s| s.operator != "AsofSortMergeJoin")
            .all(|s| s.asof.is_none()));
    }

    #[test]
    fn explain_names_the_sort_merge_and_its_rule() {
        let plan = session()
            .explain("SELECT e.x FROM e ASOF LEFT JOIN f ON e.k = f.k AND f.t > e.t")
            .unwrap();
        let join = plan
            .lines()
            .find(|l| l.trim_start().starts_with("AsofSortMergeJoin"))
            .unwrap_or_else(|| panic!("{plan}"));
        assert!(
            join.contains("ASOF LEFT JOIN f ON e.k = f.k AND f.t > e.t"),
            "{join}"
        );
        assert!(join.contains("strictly after the left's"), "{join}");
        assert!(join.contains("the last in input order"), "{join}");
    }

    #[test]
    fn the_trace_of_many_left_rows_is_capped() {
        let mut s = Session::new();
        s.execute(
            "CREATE TABLE f AS SELECT 1 AS t, 'one' AS v;
             CREATE TABLE e AS WITH RECURSIVE g(t) AS (SELECT 1 UNION ALL SELECT t + 1 FROM g WHERE t < 500) SELECT t FROM g",
        )
        .unwrap();
        let Some(Outcome::Rows(r)) = s
            .execute_traced("SELECT e.t, f.v FROM e ASOF LEFT JOIN f ON e.t >= f.t")
            .unwrap()
            .pop()
        else {
            panic!("not rows")
        };
        assert_eq!(r.table.rows, 500);
        let trace = r.trace.unwrap();
        let asof = trace.iter().find_map(|s| s.asof.as_ref()).unwrap();
        assert!(asof.keep_unmatched);
        assert_eq!(asof.matches.len(), super::TRACE_ROWS_MAX);
        assert!(asof.matches.iter().all(|m| *m == Some(0)));
        assert_eq!(asof.output_rows().len(), super::TRACE_ROWS_MAX);
    }
}
