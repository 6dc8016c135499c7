//! A window group limit (Spark 3.5's "WindowGroupLimit", SPARK-37099): when a WHERE keeps only
//! `rn <= k` (or `rn < k`, `k >= rn`, `k > rn`; `k` a whole-number literal) of a window step's
//! `row_number()` column, each partition needs only its first rows in window order, so the
//! window step picks those with a bounded insertion per partition instead of sorting every
//! partition. Only those rows get their true row number; every other row gets one past the last
//! kept, which the WHERE (which stays in place) drops: the query's rows are the same either way.
//! Between the WHERE and the window step there may be only aliases and SELECTs of bare columns,
//! and the WHERE's other conjuncts (ANDed) must not read the row number. The trace shows whole
//! tables, so a traced query is never limited; the rows and work counted are the same either
//! way.

use super::Executor;
use crate::expr::{BinOp, Expr};
use crate::plan::{Node, Plan, WindowCall, WindowFn};
use crate::sort::SortKeys;
use crate::value::Value;

/// Most rows per partition a limit keeps: each kept row is inserted into its partition's sorted
/// few, so a larger limit sorts partitions as usual.
pub(super) const LIMIT_ROWS_MAX: usize = 32;

/// Which window call's rows a WHERE keeps only the first of, and how many per partition.
#[derive(Clone, Copy)]
pub(super) struct WindowLimit {
    /// The address of the window step's calls (the step it applies to).
    calls_at: usize,
    /// The `row_number()` call, by its place among the step's calls.
    pub(super) call: usize,
    /// The rows each partition keeps.
    pub(super) rows: usize,
}

impl Executor {
    /// Notes, before a WHERE runs its input, the window limit its predicate allows (none when
    /// traced).
    pub(super) fn set_window_limit(&mut self, input: &Plan, predicate: &Expr) {
        self.window_limit = if self.trace.is_some() {
            None
        } else {
            window_limit(input, predicate)
        };
    }

    /// The limit noted for the window step with these calls, if any; any noted limit is used up.
    pub(super) fn take_window_limit(&mut self, calls: &[WindowCall]) -> Option<WindowLimit> {
        self.window_limit
            .take()
            .filter(|l| l.calls_at == calls.as_ptr() as usize)
    }
}

/// The limit `predicate`, a WHERE over `input`, allows.
fn window_limit(input: &Plan, predicate: &Expr) -> Option<WindowLimit> {
    let mut conjuncts = Vec::new();
    split_and(predicate, &mut conjuncts);
    conjuncts.iter().enumerate().find_map(|(i, c)| {
        let (column, rows) = row_cap(c)?;
        let others_read_it = conjuncts.iter().enumerate().any(|(j, other)| {
            let mut read = Vec::new();
            other.columns(&mut read);
            j != i && read.contains(&column)
        });
        if others_read_it {
            return None;
        }
        let (calls, call) = row_number_under(input, column)?;
        Some(WindowLimit {
            calls_at: calls.as_ptr() as usize,
            call,
            rows,
        })
    })
}

/// The conjuncts of `e` (itself when it is no AND).
fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary {
            op: BinOp::And,
            left,
            right,
            ..
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        _ => out.push(e),
    }
}

/// For `column <= k`, `column < k`, `k >= column` or `k > column`: the column and how many
/// row numbers (1, 2, ...) pass, capped at [`LIMIT_ROWS_MAX`] (none above it).
fn row_cap(e: &Expr) -> Option<(usize, usize)> {
    let Expr::Binary {
        op, left, right, ..
    } = e
    else {
        return None;
    };
    let (column, k, inclusive) = match (&**left, *op, &**right) {
        (Expr::Column { index, .. }, BinOp::LtEq, Expr::Literal(Value::BigInt(k)))
        | (Expr::Literal(Value::BigInt(k)), BinOp::GtEq, Expr::Column { index, .. }) => {
            (*index, *k, true)
        }
        (Expr::Column { index, .. }, BinOp::Lt, Expr::Literal(Value::BigInt(k)))
        | (Expr::Literal(Value::BigInt(k)), BinOp::Gt, Expr::Column { index, .. }) => {
            (*index, *k, false)
        }
        _ => return None,
    };
    let passing = if inclusive { k } else { k.saturating_sub(1) };
    let rows = usize::try_from(passing.max(0)).ok()?;
    (rows <= LIMIT_ROWS_MAX).then_some((column, rows))
}

/// When `column` of `plan` is, through aliases and SELECTs of bare columns, a window step's
/// `row_number()`: that step's calls and the call's place among them.
fn row_number_under(plan: &Plan, column: usize) -> Option<(&[WindowCall], usize)> {
    match &plan.node {
        Node::Rename { input } => row_number_under(input, column),
        Node::Project { input, exprs } => {
            let bare = exprs.iter().all(|e| matches!(e, Expr::Column { .. }));
            match exprs.get(column) {
                Some(Expr::Column { index, .. }) if bare => row_number_under(input, *index),
                _ => None,
            }
        }
        Node::Window { input, calls } => {
            let call = column.checked_sub(input.fields.len())?;
            (calls.get(call)?.func == WindowFn::RowNumber).then_some((calls.as_slice(), call))
        }
        _ => None,
    }
}

impl SortKeys<'_> {
    /// Each partition's first `keep` rows in key order, ties in row order (as
    /// [`SortKeys::sort_partitions`] orders them), for rows grouped by `ids[row]` (dense below
    /// `parts`): `keep` slots per partition, `lengths[p]` of partition `p`'s filled, in order.
    /// Rows come in row order and each enters its partition's sorted few after every row that
    /// is not after it, so ties stay in row order; most rows lose to the last slot at once.
    pub fn first_of_partitions(
        &self,
        ids: &[u32],
        parts: usize,
        keep: usize,
    ) -> (Vec<usize>, Vec<usize>) {
        let mut slots = vec![0usize; parts * keep];
        let mut lengths = vec![0usize; parts];
        if keep == 0 {
            return (slots, lengths);
        }
        match self.single_ordinal() {
            Some(values) => first_by_ordinal(values, ids, keep, &mut slots, &mut lengths),
            None => {
                let before = |a: usize, b: usize| self.cmp(a, b) == std::cmp::Ordering::Less;
                for (row, id) in ids.iter().enumerate() {
                    let p = *id as usize;
                    let best = &mut slots[p * keep..(p + 1) * keep];
                    insert_row(best, &mut lengths[p], row, &before);
                }
            }
        }
        (slots, lengths)
    }
}

/// [`SortKeys::first_of_partitions`] for one key without NULLs (`values`, its ordinals): each
/// partition's last kept ordinal is kept beside it, so most rows are turned away by one
/// comparison with no look-up of another row.
fn first_by_ordinal(
    values: &[u64],
    ids: &[u32],
    keep: usize,
    slots: &mut [usize],
    lengths: &mut [usize],
) {
    let mut last_kept = vec![u64::MAX; lengths.len()];
    let last_kept = last_kept.as_mut_slice();
    for ((row, id), value) in ids.iter().enumerate().zip(values) {
        let p = *id as usize;
        if lengths[p] == keep && *value >= last_kept[p] {
            continue;
        }
        let best = &mut slots[p * keep..(p + 1) * keep];
        insert_row(best, &mut lengths[p], row, &|a, b| values[a] < values[b]);
        if lengths[p] == keep {
            last_kept[p] = values[best[keep - 1]];
        }
    }
}

/// Puts `row` (later than every row in `best`) into `best`'s first `len` rows, sorted by
/// `before`, after every row it does not come before; the last drops out when `best` is full.
/// (`before` is a trait object: one copy of this code for every key kind, and on the one-key
/// path it runs only for the few rows that enter.)
fn insert_row(
    best: &mut [usize],
    len: &mut usize,
    row: usize,
    before: &dyn Fn(usize, usize) -> bool,
) {
    let keep = best.len();
    if *len == keep && !before(row, best[keep - 1]) {
        return;
    }
    let mut at = (*len).min(keep - 1);
    while at > 0 && before(row, best[at - 1]) {
        best[at] = best[at - 1];
        at -= 1;
    }
    best[at] = row;
    *len = (*len + 1).min(keep);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast;
    use crate::{Session, Table};

    /// The limit the first WHERE of `sql`'s plan allows its input (rows per partition).
    fn limit_of(s: &Session, sql: &str) -> Option<usize> {
        let statements = Session::parse(sql).unwrap();
        let Some(ast::Statement::Query(q)) = statements.first() else {
            panic!("{sql} is no query");
        };
        let plan = s.plan(q).unwrap();
        let mut stack = vec![&plan];
        while let Some(p) = stack.pop() {
            if let Node::Filter { input, predicate } = &p.node {
                return window_limit(input, predicate).map(|l| l.rows);
            }
            stack.extend(p.children());
        }
        None
    }

    fn rows(s: &mut Session, sql: &str, traced: bool) -> (Vec<String>, u64) {
        let (table, work) = super::super::result_and_work(s, sql, traced);
        (lines(&table), work)
    }

    fn lines(t: &Table) -> Vec<String> {
        t.to_rows()
            .iter()
            .map(|r| {
                r.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }

    fn session(cells: &[(Option<u8>, u8, Option<i8>, u8)]) -> Session {
        let mut s = Session::new();
        s.execute("CREATE TABLE t (id BIGINT, g BIGINT, h BIGINT, v BIGINT, w DOUBLE, name TEXT)")
            .unwrap();
        if cells.is_empty() {
            return s;
        }
        let values: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(id, (g, h, v, w))| {
                let g = g.map_or("NULL".into(), |g| g.to_string());
                let v = v.map_or("NULL".into(), |v| v.to_string());
                let name = ["'a'", "'b'", "NULL", "'c'"][usize::from(*w % 4)];
                format!("({id}, {g}, {h}, {v}, {}.5, {name})", w % 3)
            })
            .collect();
        s.execute(&format!("INSERT INTO t VALUES {}", values.join(", ")))
            .unwrap();
        s
    }

    /// Which WHEREs over which steps get a limit, and how many rows it keeps.
    #[test]
    fn only_exact_filters_over_row_number_are_limited() {
        let s = session(&[]);
        let inner = "SELECT id, v, row_number() OVER (PARTITION BY g ORDER BY v DESC) AS rn, \
                     rank() OVER (PARTITION BY g ORDER BY v) AS rk FROM t";
        let cases = [
            ("rn <= 3", Some(3)),
            ("rn < 3", Some(2)),
            ("3 >= rn", Some(3)),
            ("3 > rn", Some(2)),
            ("rn <= 0", Some(0)),
            ("rn < -4", Some(0)),
            ("rn <= 32", Some(32)),
            ("rn <= 33", None),
            ("rn <= 3 AND v > 1", Some(3)),
            ("v > 1 AND rn < 2 AND id < 7", Some(1)),
            ("rn <= 3 AND rn > 1", None),
            ("rn <= 3 OR v > 1", None),
            ("rn >= 3", None),
            ("rn = 1", None),
            ("rk <= 3", None),
            ("v <= 3", None),
            ("rn <= 2.5", None),
        ];
        for (filter, want) in cases {
            let sql = format!("SELECT id FROM ({inner}) x WHERE {filter}");
            assert_eq!(limit_of(&s, &sql), want, "{sql}");
        }
        // A SELECT that computes something between the window and the WHERE stops the limit.
        let computed = "SELECT id FROM (SELECT id, rn + 0 AS rn FROM \
                        (SELECT id, row_number() OVER (ORDER BY v) AS rn FROM t) a) b WHERE rn <= 2";
        assert_eq!(limit_of(&s, computed), None);
        let bare = "SELECT id FROM (SELECT rn, id FROM \
                    (SELECT id, row_number() OVER (ORDER BY v) AS rn FROM t) a) b WHERE rn <= 2";
        assert_eq!(limit_of(&s, bare), Some(2));
    }

    /// Each partition's first rows, as a full sort of the partitions puts them.
    #[test]
    fn first_of_partitions_matches_sorted_partitions() {
        let s = session(&[
            (Some(1), 0, Some(3), 0),
            (None, 1, Some(3), 1),
            (Some(1), 0, None, 2),
            (Some(2), 1, Some(-1), 0),
            (Some(1), 1, Some(3), 3),
            (Some(1), 0, Some(9), 1),
        ]);
        let table = match s.table("t") {
            Some(source) => source.table().clone(),
            None => panic!("no table t"),
        };
        let ids = [0u32, 1, 0, 2, 0, 0];
        // v has a NULL (keys compared with their NULL class); h has none (one ordinal).
        for (descending, column) in [(false, 3), (true, 3), (false, 2), (true, 2)] {
            let keys = [crate::plan::SortKey {
                expr: Expr::Column {
                    index: column,
                    data_type: crate::value::DataType::BigInt,
                },
                descending,
                nulls_first: descending,
            }];
            let order = SortKeys::new(&table, &keys).unwrap();
            let (rows, starts) = order.sort_partitions(&ids, 3);
            for keep in 0..6 {
                let (slots, lengths) = order.first_of_partitions(&ids, 3, keep);
                for p in 0..3 {
                    let sorted = &rows[starts[p]..starts[p + 1]];
                    let want = &sorted[..keep.min(sorted.len())];
                    let got = &slots[p * keep..p * keep + lengths[p]];
                    assert_eq!(got, want, "desc={descending} {column} keep={keep} p{p}");
                }
            }
        }
    }

    proptest::proptest! {
        /// A limited run (untraced) gives the rows and work a full one (traced: never limited)
        /// does: ties, NULLs in keys and partitions, limits from 0 past the partitions' sizes,
        /// both directions, one or several partition and order keys, other conjuncts.
        #[test]
        fn limited_runs_match_full_ones(
            cells in proptest::collection::vec(
                (proptest::option::of(0u8..4), 0u8..3, proptest::option::of(-3i8..4), 0u8..12),
                0..60,
            ),
            k in -1i64..12,
            form in 0usize..4,
            partition in 0usize..4,
            order in 0usize..7,
            extra in 0usize..4,
        ) {
            let mut s = session(&cells);
            let partition = ["", "PARTITION BY g", "PARTITION BY g, h", "PARTITION BY name"][partition];
            let order = [
                "",
                "ORDER BY v",
                "ORDER BY v DESC NULLS LAST",
                "ORDER BY v DESC, w",
                "ORDER BY name NULLS FIRST, w DESC",
                "ORDER BY w",
                "ORDER BY h DESC",
            ][order];
            let filter = [
                format!("rn <= {k}"),
                format!("rn < {k}"),
                format!("{k} >= rn"),
                format!("{k} > rn"),
            ][form].clone();
            let extra = ["", " AND v > 0", " AND id % 2 = 0 AND w < 2", " AND rn > 1"][extra];
            let sql = format!(
                "SELECT id, rn FROM (SELECT id, v, w, row_number() OVER ({partition} {order}) AS rn FROM t) x \
                 WHERE {filter}{extra} ORDER BY id"
            );
            proptest::prop_assert_eq!(rows(&mut s, &sql, false), rows(&mut s, &sql, true), "{}", sql);
        }
    }
}
