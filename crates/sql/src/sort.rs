//! ORDER BY: comparing rows by sort keys, sorting, and the first `k` rows of an ORDER BY ... LIMIT.
//! A key over numbers, dates, timestamps or booleans is turned once into an integer per row that
//! already encodes the direction and where NULLs go (an "ordinal"), so comparing two rows is one
//! integer comparison and a one-key sort is a sort of plain integers. Other keys (text,
//! intervals) compare values.

use super::column::{Column, ColumnData, Table};
use super::error::SqlError;
use super::plan::SortKey;
use super::value::cmp_f64;
use std::borrow::Cow;
use std::cmp::Ordering;

/// One ORDER BY key's values, ready to compare.
enum KeyColumn<'t> {
    /// Order-preserving integers: NULL placement in the high bits, the value (flipped when
    /// descending) in the low 64.
    Ordinal(Vec<u128>),
    /// Compared value by value.
    Values {
        column: Cow<'t, Column>,
        descending: bool,
        nulls_first: bool,
    },
}

/// The ORDER BY keys of a table's rows.
pub struct SortKeys<'t> {
    keys: Vec<KeyColumn<'t>>,
}

/// A value's order-preserving `u64`, for the types that have one.
fn ordinals(data: &ColumnData) -> Option<Vec<u64>> {
    let signed = |x: i64| (x as u64) ^ (1 << 63);
    Some(match data {
        ColumnData::BigInt(v) | ColumnData::Timestamp(v) => v.iter().map(|x| signed(*x)).collect(),
        ColumnData::Date(v) => v.iter().map(|x| signed(i64::from(*x))).collect(),
        ColumnData::Boolean(v) => v.iter().map(|x| u64::from(*x)).collect(),
        ColumnData::Double(v) => v
            .iter()
            .map(|x| {
                // Every NaN alike (above all numbers), -0 as 0: the engine's float order.
                let x = if x.is_nan() {
                    f64::NAN
                } else if *x == 0.0 {
                    0.0
                } else {
                    *x
                };
                let bits = x.to_bits();
                if bits >> 63 == 1 {
                    !bits
                } else {
                    bits | (1 << 63)
                }
            })
            .collect(),
        _ => return None,
    })
}

impl<'t> SortKeys<'t> {
    /// Evaluates the keys over `table`, as ordinals where the type has them (for sorting).
    pub fn new(table: &'t Table, keys: &[SortKey]) -> Result<SortKeys<'t>, SqlError> {
        SortKeys::build(table, keys, true)
    }

    /// Evaluates the keys over `table`, compared in place (for one pass over the rows, where
    /// building ordinals would cost more than it saves).
    pub fn in_place(table: &'t Table, keys: &[SortKey]) -> Result<SortKeys<'t>, SqlError> {
        SortKeys::build(table, keys, false)
    }

    fn build(
        table: &'t Table,
        keys: &[SortKey],
        with_ordinals: bool,
    ) -> Result<SortKeys<'t>, SqlError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let column = key.expr.eval_cow(table)?;
            let ordinals = if with_ordinals {
                ordinals(&column.data)
            } else {
                None
            };
            out.push(match ordinals {
                Some(values) => {
                    let (null, valid) = if key.nulls_first { (0, 1) } else { (2, 1) };
                    KeyColumn::Ordinal(
                        values
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| {
                                if column.is_valid(i) {
                                    let v = if key.descending { !v } else { v };
                                    (valid << 64) | u128::from(v)
                                } else {
                                    null << 64
                                }
                            })
                            .collect(),
                    )
                }
                None => KeyColumn::Values {
                    column,
                    descending: key.descending,
                    nulls_first: key.nulls_first,
                },
            });
        }
        Ok(SortKeys { keys: out })
    }

    /// Compares rows `a` and `b` by the keys.
    pub fn cmp(&self, a: usize, b: usize) -> Ordering {
        for key in &self.keys {
            let o = match key {
                KeyColumn::Ordinal(v) => v[a].cmp(&v[b]),
                KeyColumn::Values {
                    column,
                    descending,
                    nulls_first,
                } => match (column.is_valid(a), column.is_valid(b)) {
                    (false, false) => Ordering::Equal,
                    (false, true) => {
                        if *nulls_first {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (true, false) => {
                        if *nulls_first {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (true, true) => {
                        let o = cmp_values(column, a, b);
                        if *descending {
                            o.reverse()
                        } else {
                            o
                        }
                    }
                },
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// Sorts `rows` by the keys, stably (ties keep their order in `rows`).
    pub fn sort(&self, rows: &mut [usize]) {
        match self.keys.as_slice() {
            [] => {}
            [KeyColumn::Ordinal(v)] => {
                // Without NULLs among the rows every key has the same high half: sorting the
                // low 64 bits moves half the bytes.
                let high = rows.first().map_or(0, |r| v[*r] >> 64);
                if rows.iter().all(|r| v[*r] >> 64 == high) {
                    sort_by_key_stably(rows, |r| v[r] as u64);
                } else {
                    sort_by_key_stably(rows, |r| v[r]);
                }
            }
            _ => rows.sort_by(|a, b| self.cmp(*a, *b)),
        }
    }
}

/// Sorts `rows` by `key`, ties in their order: an unstable sort of (key, position) pairs, which
/// are all distinct.
fn sort_by_key_stably<K: Ord + Copy>(rows: &mut [usize], key: impl Fn(usize) -> K) {
    let mut keyed: Vec<(K, u32)> = rows
        .iter()
        .enumerate()
        .map(|(p, r)| (key(*r), p as u32))
        .collect();
    keyed.sort_unstable();
    let before = rows.to_vec();
    for (slot, (_, p)) in rows.iter_mut().zip(keyed) {
        *slot = before[p as usize];
    }
}

/// Compares rows `a` and `b` of one valid column by value.
fn cmp_values(c: &Column, a: usize, b: usize) -> Ordering {
    match &c.data {
        ColumnData::BigInt(v) => v[a].cmp(&v[b]),
        ColumnData::Double(v) => cmp_f64(v[a], v[b]),
        ColumnData::Text(v) => v[a].cmp(&v[b]),
        ColumnData::Date(v) => v[a].cmp(&v[b]),
        ColumnData::Timestamp(v) => v[a].cmp(&v[b]),
        ColumnData::Boolean(v) => v[a].cmp(&v[b]),
        _ => c.get(a).total_cmp(&c.get(b)),
    }
}

/// The row order ORDER BY gives (stable: ties keep their input order).
pub fn sort_indices(t: &Table, keys: &[SortKey]) -> Result<Vec<usize>, SqlError> {
    let keys = SortKeys::new(t, keys)?;
    let mut order: Vec<usize> = (0..t.rows).collect();
    keys.sort(&mut order);
    Ok(order)
}

/// The first `k` rows in ORDER BY order (stable), without sorting the rest: for a small `k`, one
/// pass keeping the best `k` so far in a heap (most rows lose to its worst on the first key).
pub fn top_k(t: &Table, keys: &[SortKey], k: usize) -> Result<Vec<usize>, SqlError> {
    let keys = if k.saturating_mul(16) >= t.rows {
        SortKeys::new(t, keys)?
    } else {
        SortKeys::in_place(t, keys)?
    };
    let cmp = |a: &usize, b: &usize| keys.cmp(*a, *b).then(a.cmp(b));
    if k == 0 {
        return Ok(Vec::new());
    }
    if k.saturating_mul(16) >= t.rows {
        let mut order: Vec<usize> = (0..t.rows).collect();
        if k < order.len() {
            order.select_nth_unstable_by(k - 1, cmp);
            order.truncate(k);
        }
        order.sort_by(cmp);
        return Ok(order);
    }
    // A max-heap on the ORDER BY order: its root is the worst of the best k.
    let mut heap: Vec<usize> = Vec::with_capacity(k);
    for row in 0..t.rows {
        if heap.len() < k {
            heap.push(row);
            let mut at = heap.len() - 1;
            while at > 0 {
                let parent = (at - 1) / 2;
                if cmp(&heap[at], &heap[parent]) != Ordering::Greater {
                    break;
                }
                heap.swap(at, parent);
                at = parent;
            }
        } else if cmp(&row, &heap[0]) == Ordering::Less {
            heap[0] = row;
            let mut at = 0;
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
                    break;
                }
                heap.swap(at, worst);
                at = worst;
            }
        }
    }
    heap.sort_by(cmp);
    Ok(heap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::Field;
    use crate::expr::Expr;
    use crate::value::{DataType, Value};

    fn table(values: &[Value], data_type: DataType) -> Table {
        Table::new(
            vec![Field {
                name: "x".into(),
                data_type,
            }],
            vec![Column::from_values(data_type, values.iter())],
        )
    }

    fn key(data_type: DataType, descending: bool, nulls_first: bool) -> SortKey {
        SortKey {
            expr: Expr::Column {
                index: 0,
                data_type,
            },
            descending,
            nulls_first,
        }
    }

    /// The ordinal path sorts as the value comparison does, in every direction and NULL
    /// placement, with ties in input order; top_k agrees with the full sort's prefix.
    #[test]
    fn ordinals_sort_like_values() {
        let floats = [
            Value::Double(0.5),
            Value::Null,
            Value::Double(-0.0),
            Value::Double(f64::NAN),
            Value::Double(-3.5),
            Value::Double(0.0),
            Value::Double(f64::INFINITY),
            Value::Null,
            Value::Double(0.5),
        ];
        let ints = [3, -1, i64::MIN, i64::MAX, 0, -1, 7].map(Value::BigInt);
        for (values, data_type) in [
            (&floats[..], DataType::Double),
            (&ints[..], DataType::BigInt),
        ] {
            let t = table(values, data_type);
            for (descending, nulls_first) in
                [(false, false), (false, true), (true, false), (true, true)]
            {
                let keys = [key(data_type, descending, nulls_first)];
                let got = sort_indices(&t, &keys).unwrap();
                let mut want: Vec<usize> = (0..t.rows).collect();
                want.sort_by(|a, b| {
                    let (x, y) = (&values[*a], &values[*b]);
                    match (x.is_null(), y.is_null()) {
                        (true, true) => Ordering::Equal,
                        (true, false) if nulls_first => Ordering::Less,
                        (true, false) => Ordering::Greater,
                        (false, true) if nulls_first => Ordering::Greater,
                        (false, true) => Ordering::Less,
                        _ if descending => y.total_cmp(x),
                        _ => x.total_cmp(y),
                    }
                });
                assert_eq!(
                    got, want,
                    "{data_type:?} desc={descending} nulls_first={nulls_first}"
                );
                for k in 0..=t.rows {
                    assert_eq!(top_k(&t, &keys, k).unwrap(), want[..k]);
                }
            }
        }
    }

    #[test]
    fn top_k_of_many_rows_uses_the_heap_and_stays_stable() {
        let values: Vec<Value> = (0..1000).map(|i| Value::BigInt(i % 7)).collect();
        let t = table(&values, DataType::BigInt);
        let keys = [key(DataType::BigInt, true, false)];
        let want: Vec<usize> = (0..1000).filter(|i| i % 7 == 6).take(20).collect();
        assert_eq!(top_k(&t, &keys, 20).unwrap(), want);
    }
}
