//! ORDER BY ... LIMIT k: the first `k` rows in ORDER BY order (stable: ties keep their input
//! order), without sorting the rest. A small `k` keeps the best `k` rows seen so far in a
//! max-heap; most rows lose to its root on the first key alone, so that test runs on the first
//! key's order-preserving integer ("ordinal", in the order [`SortKeys`] compares), computed
//! a block of rows at a time in a tight loop, and only the few rows that may enter the heap are
//! compared on every key. A large `k` selects then sorts.

use super::{Executor, StepOutput};
use crate::column::{Column, ColumnData, Field, Table};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::plan::{Node, Plan, SortKey};
use crate::sort::SortKeys;
use crate::value::f64_ordinal;
use std::cmp::Ordering;

/// Rows whose first-key ordinals are computed together before they are tested.
const BLOCK_ROWS: usize = 1024;

impl Executor {
    /// The first `k` rows of the ORDER BY step `sort` (whose input is `sorted`), as that step's
    /// output. Over a SELECT of bare columns (`SELECT k, v FROM t ORDER BY v LIMIT 10`) the
    /// SELECT's table is never built: the keys are read from its input and only the rows kept
    /// are gathered. The trace shows every step, so a traced query builds it; the rows and work
    /// counted are the same either way.
    pub(super) fn top_rows(
        &mut self,
        sort: &Plan,
        sorted: &Plan,
        keys: &[SortKey],
        k: u64,
    ) -> Result<Table, SqlError> {
        let table = match selected_columns(sorted, keys) {
            Some((below, columns)) if self.trace.is_none() => {
                let mut needed = vec![false; below.fields.len()];
                for c in &columns {
                    if let Some(n) = needed.get_mut(*c) {
                        *n = true;
                    }
                }
                let rows = self.pruned_input(below, &needed)?;
                // What the SELECT step would have counted.
                self.charge(rows.rows, &sorted.label)?;
                let keys: Vec<SortKey> = keys
                    .iter()
                    .map(|key| SortKey {
                        expr: key.expr.remap(&|i| columns[i]),
                        descending: key.descending,
                        nulls_first: key.nulls_first,
                    })
                    .collect();
                let indices = top_indices(&rows, &keys, k)?;
                Table {
                    fields: sorted
                        .fields
                        .iter()
                        .map(|f| Field {
                            name: f.name.clone(),
                            data_type: f.data_type,
                        })
                        .collect(),
                    columns: columns
                        .iter()
                        .map(|c| rows.columns[*c].take(&indices))
                        .collect(),
                    rows: indices.len(),
                }
            }
            _ => {
                let rows = self.input(sorted)?;
                let keys = self.resolve_keys(keys, &rows)?;
                let indices = top_indices(&rows, &keys, k)?;
                rows.take(&indices)
            }
        };
        let step = StepOutput::from(table);
        self.charge(step.table.rows, &sort.label)?;
        self.record(sort, &step);
        Ok(step.table)
    }
}

/// When `sorted` is a SELECT of bare columns and no key runs a subquery: the SELECT's input and
/// the input column each output column is.
fn selected_columns<'p>(sorted: &'p Plan, keys: &[SortKey]) -> Option<(&'p Plan, Vec<usize>)> {
    let Node::Project { input, exprs } = &sorted.node else {
        return None;
    };
    if keys.iter().any(|key| key.expr.has_subquery()) {
        return None;
    }
    let columns = exprs
        .iter()
        .map(|e| match e {
            Expr::Column { index, .. } => Some(*index),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()?;
    Some((input, columns))
}

/// [`top_k`]'s rows as gather indices, `k` capped at the table's rows.
fn top_indices(t: &Table, keys: &[SortKey], k: u64) -> Result<Vec<u32>, SqlError> {
    let k = k.min(t.rows as u64) as usize;
    Ok(top_k(t, keys, k)?.into_iter().map(|i| i as u32).collect())
}

/// The first `k` rows of `t` in the order of `keys`, ties in input order. (A computed first key
/// is evaluated twice, for its ordinals and for the full comparisons: still far cheaper than
/// comparing every row on every key.)
fn top_k(t: &Table, keys: &[SortKey], k: usize) -> Result<Vec<usize>, SqlError> {
    if k == 0 {
        return Ok(Vec::new());
    }
    // Few rows kept: keys compared in place, and the first one's ordinals block by block. Most
    // rows kept: ordinals for every key, then a selection.
    let few = k.saturating_mul(16) < t.rows;
    let lead = match keys.first() {
        Some(key) if few => Some((key.expr.eval_cow(t)?, key)),
        _ => None,
    };
    let lead = lead
        .as_ref()
        .and_then(|(column, key)| LeadKey::new(column, key));
    let sort_keys = if few {
        SortKeys::in_place(t, keys)?
    } else {
        SortKeys::new(t, keys)?
    };
    // Ties broken by row number. One comparator for the heap and the selection: each closure
    // type would compile one more copy of the standard library's algorithm into the bundle.
    let cmp: &dyn Fn(&usize, &usize) -> Ordering = &|a, b| sort_keys.cmp(*a, *b).then(a.cmp(b));
    let mut order = if few {
        heap_top_k(t.rows, k, cmp, lead.as_ref())
    } else {
        let mut order: Vec<usize> = (0..t.rows).collect();
        if k < order.len() {
            order.select_nth_unstable_by(k - 1, cmp);
            order.truncate(k);
        }
        order
    };
    // The kept rows in row order (the shared sort: a standard one would add its own copy to the
    // bundle), then ORDER BY's own stable sort, which keeps ties in that order.
    sim::sort::sort(&mut order);
    sort_keys.sort(&mut order);
    Ok(order)
}

/// The first ORDER BY key's ordinals, for the types that have them: NULL placement in the high
/// bits, the value (flipped when descending) in the low 64, in the order [`SortKeys`] compares.
struct LeadKey<'c> {
    values: LeadValues<'c>,
    validity: Option<&'c [bool]>,
    descending: bool,
    /// The high bits of a NULL: below every value (NULLS FIRST) or above.
    null_class: u128,
}

enum LeadValues<'c> {
    Signed(&'c [i64]),
    Date(&'c [i32]),
    Boolean(&'c [bool]),
    Double(&'c [f64]),
}

impl<'c> LeadKey<'c> {
    fn new(column: &'c Column, key: &SortKey) -> Option<LeadKey<'c>> {
        let values = match &column.data {
            ColumnData::BigInt(v) | ColumnData::Timestamp(v) => LeadValues::Signed(v),
            ColumnData::Date(v) => LeadValues::Date(v),
            ColumnData::Boolean(v) => LeadValues::Boolean(v),
            ColumnData::Double(v) => LeadValues::Double(v),
            _ => return None,
        };
        Some(LeadKey {
            values,
            validity: column.validity.as_deref(),
            descending: key.descending,
            null_class: if key.nulls_first { 0 } else { 2 },
        })
    }

    /// The ordinals of rows `start..start + out.len()`.
    fn ordinals(&self, start: usize, out: &mut [u128]) {
        let rows = start..start + out.len();
        let signed = |x: i64| (x as u64) ^ (1 << 63);
        // Descending: every value bit flipped (XOR with all ones), so larger comes first.
        let flip = if self.descending { u64::MAX } else { 0 };
        let valid = |o: u64| (1u128 << 64) | u128::from(o ^ flip);
        match &self.values {
            LeadValues::Signed(v) => {
                for (o, x) in out.iter_mut().zip(&v[rows.clone()]) {
                    *o = valid(signed(*x));
                }
            }
            LeadValues::Date(v) => {
                for (o, x) in out.iter_mut().zip(&v[rows.clone()]) {
                    *o = valid(signed(i64::from(*x)));
                }
            }
            LeadValues::Boolean(v) => {
                for (o, x) in out.iter_mut().zip(&v[rows.clone()]) {
                    *o = valid(u64::from(*x));
                }
            }
            LeadValues::Double(v) => {
                for (o, x) in out.iter_mut().zip(&v[rows.clone()]) {
                    *o = valid(f64_ordinal(*x));
                }
            }
        }
        if let Some(validity) = self.validity {
            for (o, ok) in out.iter_mut().zip(&validity[rows]) {
                if !ok {
                    *o = self.null_class << 64;
                }
            }
        }
    }

    fn ordinal(&self, row: usize) -> u128 {
        let mut out = [0u128; 1];
        self.ordinals(row, &mut out);
        out[0]
    }
}

/// One pass over `rows` rows keeping the best `k` (`0 < k < rows`) by `cmp` in a max-heap, whose
/// root is the worst of them (returned in heap order). With a lead key, a row whose first key is
/// already worse than the root's is dropped on that integer test.
fn heap_top_k(
    rows: usize,
    k: usize,
    cmp: &dyn Fn(&usize, &usize) -> Ordering,
    lead: Option<&LeadKey>,
) -> Vec<usize> {
    let mut heap: Vec<usize> = (0..k).collect();
    for at in (0..k / 2).rev() {
        sift_down(&mut heap, at, cmp);
    }
    // The root's first-key ordinal: a row above it cannot enter the heap.
    let mut bound = lead.map_or(u128::MAX, |l| l.ordinal(heap[0]));
    let mut block = [0u128; BLOCK_ROWS];
    let mut start = k;
    while start < rows {
        let len = (rows - start).min(BLOCK_ROWS);
        let ordinals = &mut block[..len];
        match lead {
            Some(l) => l.ordinals(start, ordinals),
            None => ordinals.fill(0),
        }
        for (offset, ordinal) in ordinals.iter().enumerate() {
            let row = start + offset;
            if *ordinal > bound || cmp(&row, &heap[0]) != Ordering::Less {
                continue;
            }
            heap[0] = row;
            sift_down(&mut heap, 0, cmp);
            if let Some(l) = lead {
                bound = l.ordinal(heap[0]);
            }
        }
        start += len;
    }
    heap
}

/// Moves `heap[at]` down until both its children order before it.
fn sift_down(heap: &mut [usize], mut at: usize, cmp: &dyn Fn(&usize, &usize) -> Ordering) {
    loop {
        let (l, r) = (2 * at + 1, 2 * at + 2);
        let mut worst = at;
        if l < heap.len() && cmp(&heap[l], &heap[worst]) == Ordering::Greater {
            worst = l;
        }
        if r < heap.len() && cmp(&heap[r], &heap[worst]) == Ordering::Greater {
            worst = r;
        }
        if worst == at {
            return;
        }
        heap.swap(at, worst);
        at = worst;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sort::sort_indices;
    use crate::value::{DataType, Value};
    use proptest::prelude::*;

    /// A column of `data_type` from small codes, so that ties are common: 0 is NULL, the rest
    /// map to values (for doubles NaN, -0 and 0 among them).
    fn column(data_type: DataType, codes: &[u8]) -> Column {
        let value = |code: u8| -> Value {
            let x = i64::from(code) - 4;
            match (code, data_type) {
                (0, _) => Value::Null,
                (1, DataType::Double) => Value::Double(f64::NAN),
                (2, DataType::Double) => Value::Double(-0.0),
                (_, DataType::Double) => Value::Double(x as f64 / 2.0),
                (_, DataType::Boolean) => Value::Boolean(code.is_multiple_of(2)),
                (_, DataType::Date) => Value::Date(x as i32),
                (_, DataType::Text) => Value::Text(format!("t{}", code % 5).into()),
                _ => Value::BigInt(x),
            }
        };
        Column::from_values(
            data_type,
            codes.iter().map(|c| value(*c)).collect::<Vec<_>>().iter(),
        )
    }

    const TYPES: [DataType; 5] = [
        DataType::Double,
        DataType::BigInt,
        DataType::Boolean,
        DataType::Date,
        DataType::Text,
    ];

    proptest! {
        /// The first k rows are the full stable sort's first k, whatever the types, directions,
        /// NULL placements and ties, on both the heap path (small k) and the selection path.
        #[test]
        fn top_k_is_the_full_sorts_prefix(
            rows in 0usize..300,
            seed_codes in proptest::collection::vec(0u8..9, 900),
            types in proptest::collection::vec(0usize..5, 1..4),
            directions in proptest::collection::vec((any::<bool>(), any::<bool>()), 3),
            k in 0usize..40,
        ) {
            let columns: Vec<Column> = types
                .iter()
                .enumerate()
                .map(|(i, t)| column(TYPES[*t], &seed_codes[i * 300..i * 300 + rows]))
                .collect();
            let fields = types
                .iter()
                .enumerate()
                .map(|(i, t)| Field { name: format!("c{i}"), data_type: TYPES[*t] })
                .collect();
            let t = Table::new(fields, columns);
            let keys: Vec<SortKey> = types
                .iter()
                .enumerate()
                .map(|(i, t)| SortKey {
                    expr: Expr::Column { index: i, data_type: TYPES[*t] },
                    descending: directions[i].0,
                    nulls_first: directions[i].1,
                })
                .collect();
            let full = sort_indices(&t, &keys).unwrap();
            let k = k.min(rows);
            prop_assert_eq!(top_k(&t, &keys, k).unwrap(), full[..k].to_vec());
        }
    }

    #[test]
    fn many_ties_keep_their_input_order() {
        let codes: Vec<u8> = (0..1000).map(|i| (i % 7) as u8).collect();
        let t = Table::new(
            vec![Field {
                name: "x".into(),
                data_type: DataType::BigInt,
            }],
            vec![column(DataType::BigInt, &codes)],
        );
        let key = |descending, nulls_first| SortKey {
            expr: Expr::Column {
                index: 0,
                data_type: DataType::BigInt,
            },
            descending,
            nulls_first,
        };
        // Code 6 is the largest value; code 0 is NULL, last unless NULLS FIRST.
        let largest: Vec<usize> = (0..1000).filter(|i| i % 7 == 6).take(20).collect();
        assert_eq!(top_k(&t, &[key(true, false)], 20).unwrap(), largest);
        let nulls: Vec<usize> = (0..1000).filter(|i| i % 7 == 0).take(20).collect();
        assert_eq!(top_k(&t, &[key(true, true)], 20).unwrap(), nulls);
        assert_eq!(top_k(&t, &[key(false, true)], 20).unwrap(), nulls);
    }
}
