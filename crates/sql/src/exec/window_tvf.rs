//! Running a window table function: each input row repeated once per window it falls in, with
//! `window_start` and `window_end` appended. TUMBLE and HOP windows depend on the row alone;
//! SESSION windows on the rows around it, so the rows are sorted by (session key, time) and cut
//! where consecutive times are `gap` or more apart. Output rows keep the input's order (a HOP
//! row's windows oldest first); a row whose time is NULL is in no window.

use super::{limit_error, Executor};
use crate::column::{Column, Table};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::Plan;
use crate::value::{DataType, Value};
use crate::windowed::{tvf, WindowTvf};
use std::cmp::Ordering;

/// The event time of each row (`None` for NULL), as integers (microseconds for TIMESTAMP).
fn times(column: &Column) -> Vec<Option<i64>> {
    (0..column.len())
        .map(|i| match column.get(i) {
            Value::BigInt(v) | Value::Timestamp(v) => Some(v),
            _ => None,
        })
        .collect()
}

/// Each output row's input row and window `(start, end)`.
struct Assigned {
    rows: Vec<u32>,
    bounds: Vec<(i64, i64)>,
}

impl Executor {
    pub(super) fn window_tvf(
        &mut self,
        plan: &Plan,
        input: &Plan,
        time: usize,
        window: WindowTvf,
        session_keys: &[Expr],
    ) -> Result<Table, SqlError> {
        let input = self.input(input)?;
        let ts = times(&input.columns[time]);
        let Assigned { rows, bounds } = match window {
            WindowTvf::Session { gap_us } => {
                self.session_windows(&input, &ts, gap_us, session_keys)?
            }
            _ => self.time_windows(&ts, window, &plan.label)?,
        };
        let time_type = input.columns[time].data_type();
        let mut starts = Column::with_capacity(time_type, rows.len());
        let mut ends = Column::with_capacity(time_type, rows.len());
        let value = |v: i64| {
            if time_type == DataType::BigInt {
                Value::BigInt(v)
            } else {
                Value::Timestamp(v)
            }
        };
        for (start, end) in &bounds {
            starts.push(&value(*start));
            ends.push(&value(*end));
        }
        let mut table = input.take(&rows);
        table.columns.push(starts);
        table.columns.push(ends);
        Ok(table)
    }

    /// TUMBLE and HOP: each row's windows, refusing before it allocates a result larger than a
    /// step may have.
    fn time_windows(
        &mut self,
        ts: &[Option<i64>],
        window: WindowTvf,
        label: &str,
    ) -> Result<Assigned, SqlError> {
        let per_row = match window {
            WindowTvf::Hop {
                slide_us, size_us, ..
            } => (i128::from(size_us) + i128::from(slide_us) - 1) / i128::from(slide_us),
            _ => 1,
        };
        let valid = ts.iter().flatten().count() as i128;
        if valid * per_row > self.limits.rows_max as i128 {
            return Err(limit_error(format!(
                "\"{label}\" would produce about {} rows ({per_row} windows per row), more than the {} a step may have",
                valid * per_row,
                self.limits.rows_max
            )));
        }
        let mut rows = Vec::new();
        let mut bounds = Vec::new();
        for (i, t) in ts.iter().enumerate() {
            let Some(t) = t else { continue };
            for w in window.windows_of(*t) {
                rows.push(i as u32);
                bounds.push(w);
            }
        }
        Ok(Assigned { rows, bounds })
    }

    /// SESSION: rows sorted by key then time (ties in input order), cut into sessions per key,
    /// then put back in input order.
    fn session_windows(
        &mut self,
        input: &Table,
        ts: &[Option<i64>],
        gap: i64,
        session_keys: &[Expr],
    ) -> Result<Assigned, SqlError> {
        let mut key_columns = Vec::with_capacity(session_keys.len());
        for k in session_keys {
            key_columns.push(self.resolve(k, input)?.eval(input)?);
        }
        let key = |i: usize| -> Vec<Value> { key_columns.iter().map(|c| c.get(i)).collect() };
        let keys: Vec<Vec<Value>> = (0..input.rows).map(key).collect();
        let same_key = |a: usize, b: usize| key_order(&keys[a], &keys[b]) == Ordering::Equal;
        let mut order: Vec<usize> = (0..input.rows).filter(|i| ts[*i].is_some()).collect();
        order.sort_by(|a, b| {
            key_order(&keys[*a], &keys[*b])
                .then(ts[*a].cmp(&ts[*b]))
                .then(a.cmp(b))
        });
        let mut window_of: Vec<Option<(i64, i64)>> = vec![None; input.rows];
        let mut begin = 0;
        while begin < order.len() {
            let mut end = begin + 1;
            while end < order.len() && same_key(order[begin], order[end]) {
                end += 1;
            }
            let rows = &order[begin..end];
            let sorted: Vec<i64> = rows.iter().filter_map(|i| ts[*i]).collect();
            for (row, w) in rows.iter().zip(tvf::sessions(&sorted, gap)) {
                window_of[*row] = Some(w);
            }
            begin = end;
        }
        let mut rows = Vec::new();
        let mut bounds = Vec::new();
        for (i, w) in window_of.into_iter().enumerate() {
            if let Some(w) = w {
                rows.push(i as u32);
                bounds.push(w);
            }
        }
        Ok(Assigned { rows, bounds })
    }
}

/// GROUP BY's order on keys: value by value, NULLs equal to each other.
fn key_order(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}
