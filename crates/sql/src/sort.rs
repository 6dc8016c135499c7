//! ORDER BY: comparing rows by sort keys, and sorting (the first `k` rows of an ORDER BY ...
//! LIMIT are `exec/top_k`'s).
//! A key over numbers, dates, timestamps or booleans is turned once into an integer per row that
//! already encodes the direction and where NULLs go (an "ordinal"), so comparing two rows is one
//! integer comparison and a one-key sort is a sort of plain integers. Other keys (text,
//! intervals) compare values.

use super::column::{Column, ColumnData, Table};
use super::error::SqlError;
use super::plan::SortKey;
use super::value::{cmp_f64, f64_ordinal};
use std::borrow::Cow;
use std::cmp::Ordering;

/// One ORDER BY key's values, ready to compare.
enum KeyColumn<'t> {
    /// Order-preserving integers: the value (flipped when descending; 0 for NULL), and when
    /// the column has NULLs each row's class (NULLs first 0, values 1, NULLs last 2), compared
    /// before the value.
    Ordinal {
        values: Vec<u64>,
        class: Option<Vec<u8>>,
    },
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
        ColumnData::Double(v) => v.iter().map(|x| f64_ordinal(*x)).collect(),
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
                Some(mut values) => {
                    if key.descending {
                        values.iter_mut().for_each(|v| *v = !*v);
                    }
                    let null_class = if key.nulls_first { 0 } else { 2 };
                    let class = column.validity.as_ref().map(|valid| {
                        valid
                            .iter()
                            .zip(&mut values)
                            .map(|(ok, v)| {
                                if *ok {
                                    1
                                } else {
                                    *v = 0;
                                    null_class
                                }
                            })
                            .collect()
                    });
                    KeyColumn::Ordinal { values, class }
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
                KeyColumn::Ordinal { values, class } => class
                    .as_ref()
                    .map_or(Ordering::Equal, |c| c[a].cmp(&c[b]))
                    .then(values[a].cmp(&values[b])),
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

    /// The one key's ordinals when the order is a single key without NULLs: comparing two
    /// rows is then comparing these.
    pub fn single_ordinal(&self) -> Option<&[u64]> {
        match self.keys.as_slice() {
            [KeyColumn::Ordinal {
                values,
                class: None,
            }] => Some(values),
            _ => None,
        }
    }

    /// Sorts `rows` by the keys, stably (ties keep their order in `rows`).
    pub fn sort(&self, rows: &mut [usize]) {
        self.sort_runs(rows, &[0, rows.len()]);
    }

    /// Sorts each run `rows[starts[p]..starts[p + 1]]` by the keys, stably.
    fn sort_runs(&self, rows: &mut [usize], starts: &[usize]) {
        let runs = starts.windows(2).map(|run| run[0]..run[1]);
        match self.keys.as_slice() {
            [KeyColumn::Ordinal {
                values,
                class: None,
            }] => {
                let keys: Vec<u64> = rows.iter().map(|r| values[*r]).collect();
                sort_runs_packed(rows, &keys, starts);
            }
            [KeyColumn::Ordinal {
                values,
                class: Some(class),
            }] => {
                for run in runs {
                    sort_by_key_stably(&mut rows[run], |r| (class[r], values[r]));
                }
            }
            _ => {
                for run in runs {
                    rows[run].sort_by(|a, b| self.cmp(*a, *b));
                }
            }
        }
    }

    /// A window's rows grouped by partition (`ids[row]`, dense below `parts`; partitions in id
    /// order) and each partition sorted by the keys, ties in row order; and where each partition
    /// starts (`parts + 1` entries, the last the row count). A single ordinal key travels with
    /// its row as the rows are grouped, so each partition's keys lie together when it is sorted.
    pub fn sort_partitions(&self, ids: &[u32], parts: usize) -> (Vec<usize>, Vec<usize>) {
        // The loops index slices, not vectors: a slice's index is built in, where a vector's
        // is a call the size-optimized build does not inline.
        let mut starts = vec![0usize; parts + 1];
        let counts = starts.as_mut_slice();
        for id in ids {
            counts[*id as usize + 1] += 1;
        }
        for p in 1..counts.len() {
            counts[p] += counts[p - 1];
        }
        let mut fill = starts.clone();
        let fill = fill.as_mut_slice();
        let mut rows = vec![0usize; ids.len()];
        let grouped = rows.as_mut_slice();
        if let [KeyColumn::Ordinal {
            values,
            class: None,
        }] = self.keys.as_slice()
        {
            let mut keys = vec![0u64; ids.len()];
            let grouped_keys = keys.as_mut_slice();
            for ((row, id), key) in ids.iter().enumerate().zip(values) {
                let at = &mut fill[*id as usize];
                grouped[*at] = row;
                grouped_keys[*at] = *key;
                *at += 1;
            }
            sort_runs_packed(grouped, &keys, &starts);
        } else {
            for (row, id) in ids.iter().enumerate() {
                let at = &mut fill[*id as usize];
                grouped[*at] = row;
                *at += 1;
            }
            self.sort_runs(grouped, &starts);
        }
        (rows, starts)
    }
}

/// Sorts each run `rows[starts[p]..starts[p + 1]]` by one ordinal key without NULLs (`keys[i]`
/// is `rows[i]`'s), stably. Each run sorts plain `u64`s: the key less the run's smallest in the
/// high bits and the row's position in the run in the low bits (as many as the run's length
/// needs), so equal keys keep their order. When the keys' range leaves too few high bits, their
/// low bits are dropped, and the rows that then tie are sorted again by the whole key.
fn sort_runs_packed(rows: &mut [usize], keys: &[u64], starts: &[usize]) {
    let (mut packed, mut before): (Vec<u64>, Vec<usize>) = (Vec::new(), Vec::new());
    for run in starts.windows(2) {
        let (part, keys) = (&mut rows[run[0]..run[1]], &keys[run[0]..run[1]]);
        let lo = keys.iter().copied().min().unwrap_or(0);
        let hi = keys.iter().copied().max().unwrap_or(0);
        let position_bits = usize::BITS - part.len().leading_zeros();
        let dropped_bits =
            (u64::BITS - (hi - lo).leading_zeros() + position_bits).saturating_sub(u64::BITS);
        packed.clear();
        packed.extend(
            keys.iter()
                .enumerate()
                .map(|(p, k)| ((k - lo) >> dropped_bits << position_bits) | p as u64),
        );
        let packed = packed.as_mut_slice();
        packed.sort_unstable();
        let position = (1u64 << position_bits) - 1;
        if dropped_bits > 0 {
            // Rows whose kept bits tie (in their order in the run): by the whole key.
            let mut g = 0;
            while g < packed.len() {
                let kept = packed[g] >> position_bits;
                let mut h = g + 1;
                while h < packed.len() && packed[h] >> position_bits == kept {
                    h += 1;
                }
                if h - g > 1 {
                    packed[g..h].sort_by_key(|x| keys[(x & position) as usize]);
                }
                g = h;
            }
        }
        before.clear();
        before.extend_from_slice(part);
        let before = before.as_slice();
        for (slot, x) in part.iter_mut().zip(packed.iter()) {
            *slot = before[(x & position) as usize];
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
    /// placement, with ties in input order.
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
                    reference_order(&values[*a], &values[*b], descending, nulls_first)
                });
                assert_eq!(
                    got, want,
                    "{data_type:?} desc={descending} nulls_first={nulls_first}"
                );
            }
        }
    }

    /// The reference order of two values: NULLs first or last, then by value.
    fn reference_order(x: &Value, y: &Value, descending: bool, nulls_first: bool) -> Ordering {
        match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) if nulls_first => Ordering::Less,
            (true, false) => Ordering::Greater,
            (false, true) if nulls_first => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ if descending => y.total_cmp(x),
            _ => x.total_cmp(y),
        }
    }

    /// The reference for a window's sorted partitions: each partition's rows in input order,
    /// stably sorted by comparing values.
    fn partitions_by_values(
        values: &[Value],
        ids: &[u32],
        parts: usize,
        descending: bool,
        nulls_first: bool,
    ) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); parts];
        for (row, id) in ids.iter().enumerate() {
            out[*id as usize].push(row);
        }
        for part in &mut out {
            part.sort_by(|a, b| reference_order(&values[*a], &values[*b], descending, nulls_first));
        }
        out
    }

    proptest::proptest! {
        /// Partitions sorted by one key (packed integers without NULLs, pairs with NULLs) come
        /// out as the value comparison sorts them, ties in input order: small ranges (many
        /// ties), ranges too wide to pack whole (the tie pass), floats with NaN and -0.
        #[test]
        fn sorted_partitions_match_a_sort_by_values(
            codes in proptest::collection::vec((0u8..12, 0u32..5), 0..400),
            spread in 0usize..3,
            nulls in proptest::bool::ANY,
            descending in proptest::bool::ANY,
            nulls_first in proptest::bool::ANY,
        ) {
            let value = |code: u8| -> Value {
                let x = i64::from(code) - 5;
                match spread {
                    _ if nulls && code == 0 => Value::Null,
                    0 => Value::BigInt(x),
                    1 => Value::BigInt(x.saturating_mul(i64::MAX / 5)),
                    _ => Value::Double(match code {
                        1 => f64::NAN,
                        2 => -0.0,
                        3 => 0.0,
                        _ => x as f64 * 1e-7 + 0.25,
                    }),
                }
            };
            let values: Vec<Value> = codes.iter().map(|(c, _)| value(*c)).collect();
            let data_type = if spread == 2 { DataType::Double } else { DataType::BigInt };
            let ids: Vec<u32> = codes.iter().map(|(_, p)| *p).collect();
            let t = table(&values, data_type);
            let keys = SortKeys::new(&t, &[key(data_type, descending, nulls_first)]).unwrap();
            let (rows, starts) = keys.sort_partitions(&ids, 5);
            let got: Vec<Vec<usize>> = starts.windows(2).map(|r| rows[r[0]..r[1]].to_vec()).collect();
            let want = partitions_by_values(&values, &ids, 5, descending, nulls_first);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
