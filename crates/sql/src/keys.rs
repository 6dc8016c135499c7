//! Row keys as dense ids. GROUP BY, COUNT(DISTINCT), DISTINCT, window partitions and hash joins
//! all ask which rows hold equal values in some columns. Each column is mapped to dense ids
//! (0, 1, 2, ... in order of first appearance) with a lookup typed for its values: a direct table
//! for integers in a narrow range, a hash map on an `i64`, a float's bits, a string (cached by its
//! shared pointer); multi-column keys then combine the per-column ids pairwise. No row builds a
//! [`Value`] unless the columns' types differ (a BIGINT joined with a DOUBLE), where values are
//! compared as SQL compares them. NULL is one more value here: callers that must not match NULLs
//! (joins) ask [`any_null`].
//!
//! Ids follow row order, never a map's iteration order, so everything built on them is
//! deterministic.

use super::column::{Column, ColumnData, NULL_ROW};
use super::value::Value;
use std::borrow::Cow;

// Lookups only; ids come from row order. The hasher is FxHash: fast and the same everywhere.
#[allow(clippy::disallowed_types)]
pub(super) type Map<K, V> =
    std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// FxHash (rustc's hasher): fast and deterministic; fine for keys an attacker does not choose.
#[derive(Default)]
pub struct FxHasher {
    hash: u64,
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.hash = (self.hash.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A key's id for each row, and the first row of each id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIds {
    /// `ids[row]`: the key's id, dense from 0 in order of first appearance.
    pub ids: Vec<u32>,
    /// `firsts[id]`: the first row with that key.
    pub firsts: Vec<usize>,
}

impl KeyIds {
    /// How many distinct keys.
    pub fn count(&self) -> usize {
        self.firsts.len()
    }

    /// Whether `row` is the first row with its key.
    pub fn is_first(&self, row: usize) -> bool {
        self.firsts[self.ids[row] as usize] == row
    }
}

/// Assigns dense ids in order of first appearance.
struct Assigner {
    /// One id per row, written in place (the per-row loops run without a call per row even in
    /// the size-optimized build, which does not inline `Vec::push`).
    ids: Box<[u32]>,
    /// How many rows have their id.
    len: usize,
    firsts: Vec<usize>,
}

impl Assigner {
    fn new(rows: usize) -> Assigner {
        Assigner {
            ids: vec![0; rows].into_boxed_slice(),
            len: 0,
            firsts: Vec::new(),
        }
    }

    /// The id for a slot that holds `u32::MAX` when unseen, assigning the next id if so.
    /// Inlined: it is the body of the per-row loops.
    #[inline(always)]
    fn slot(&mut self, slot: &mut u32) {
        if *slot == u32::MAX {
            *slot = self.firsts.len() as u32;
            self.firsts.push(self.len);
        }
        self.ids[self.len] = *slot;
        self.len += 1;
    }

    /// Records `id` for the next row: an id equal to the count so far is a new one.
    fn push(&mut self, id: u32) {
        if id as usize == self.firsts.len() {
            self.firsts.push(self.len);
        }
        self.ids[self.len] = id;
        self.len += 1;
    }

    fn finish(self) -> KeyIds {
        let mut ids = self.ids.into_vec();
        ids.truncate(self.len);
        KeyIds {
            ids,
            firsts: self.firsts,
        }
    }
}

/// The ids of the rows of `columns` taken as one key: equal values (NULLs alike) share an id.
pub fn key_ids(columns: &[&Column], rows: usize) -> KeyIds {
    let mut key = KeyIds {
        ids: vec![0; rows],
        firsts: if rows == 0 { Vec::new() } else { vec![0] },
    };
    for (k, c) in columns.iter().enumerate() {
        let ids = stacked_ids(&[c]);
        key = if k == 0 { ids } else { combine(&key, &ids) };
    }
    key
}

/// Ids that group rows with equal keys, and how many ids there may be, for callers that need
/// the groups but not their order (a window's partitions): one integer column without NULLs
/// over a narrow range is its value less the smallest (some ids then have no rows); other keys
/// get [`key_ids`].
pub fn group_ids(columns: &[&Column], rows: usize) -> (Vec<u32>, usize) {
    if let [column] = columns {
        if let (Some(values), None) = (as_integers(&column.data), &column.validity) {
            let lo = values.iter().copied().min().unwrap_or(0);
            let hi = values.iter().copied().max().unwrap_or(0);
            let span = hi as i128 - lo as i128 + 1;
            if span <= rows.max(1 << 16) as i128 {
                let ids = values.iter().map(|x| (x - lo) as u32).collect();
                return (ids, span as usize);
            }
        }
    }
    let ids = key_ids(columns, rows);
    let count = ids.count();
    (ids.ids, count)
}

/// The ids of the rows of several columns stacked end to end (the build and probe sides of a
/// join, so equal values on both sides share an id).
pub fn stacked_ids(parts: &[&Column]) -> KeyIds {
    let rows: usize = parts.iter().map(|c| c.len()).sum();
    let same = |f: fn(&ColumnData) -> bool| parts.iter().all(|c| f(&c.data));
    let one_type = parts
        .windows(2)
        .all(|w| std::mem::discriminant(&w[0].data) == std::mem::discriminant(&w[1].data));
    let mut out = Assigner::new(rows);
    let integers: Option<Vec<Cow<[i64]>>> = if one_type {
        parts.iter().map(|c| as_integers(&c.data)).collect()
    } else {
        None
    };
    if let Some(integers) = integers {
        let slices: Vec<&[i64]> = integers.iter().map(|c| &**c).collect();
        integer_ids(parts, &slices, &mut out);
    } else if same(|d| matches!(d, ColumnData::Double(_))) {
        let mut map: Map<u64, u32> = Map::default();
        let mut null = u32::MAX;
        for c in parts {
            let ColumnData::Double(v) = &c.data else {
                continue;
            };
            for (i, x) in v.iter().enumerate() {
                if !c.is_valid(i) {
                    out.slot(&mut null);
                } else {
                    out.slot(map.entry(float_bits(*x)).or_insert(u32::MAX));
                }
            }
        }
    } else if same(|d| matches!(d, ColumnData::Text(_))) {
        // Strings are shared: most repeats are the same pointer, found without hashing text.
        let mut by_text: Map<&str, u32> = Map::default();
        let mut by_pointer: Map<usize, u32> = Map::default();
        let mut null = u32::MAX;
        for c in parts {
            let ColumnData::Text(v) = &c.data else {
                continue;
            };
            for (i, s) in v.iter().enumerate() {
                if !c.is_valid(i) {
                    out.slot(&mut null);
                    continue;
                }
                let pointer = s.as_ptr() as usize;
                let id = match by_pointer.get(&pointer) {
                    Some(id) => *id,
                    None => {
                        let next = out.firsts.len() as u32;
                        let id = *by_text.entry(s).or_insert(next);
                        by_pointer.insert(pointer, id);
                        id
                    }
                };
                out.push(id);
            }
        }
    } else {
        // Mixed or rare types: by value, as SQL compares them.
        let mut map: Map<Value, u32> = Map::default();
        for c in parts {
            for i in 0..c.len() {
                out.slot(map.entry(c.get(i)).or_insert(u32::MAX));
            }
        }
    }
    out.finish()
}

/// A join's key ids: dense ids for the build side's rows, and for each probe row the id of the
/// build key equal to its own. [`NO_ID`] marks a NULL key, and a probe key no build row has.
pub struct JoinIds {
    pub build: Vec<u32>,
    pub probe: Vec<u32>,
    /// How many distinct build keys.
    pub count: usize,
}

/// In [`JoinIds`], no id.
pub const NO_ID: u32 = u32::MAX;

impl JoinIds {
    /// Ids over the build side's rows then the probe side's, equal keys sharing one (as
    /// [`stacked_ids`] gives them), split at `build_rows`.
    pub fn split(mut ids: KeyIds, build_rows: usize) -> JoinIds {
        let probe = ids.ids.split_off(build_rows);
        JoinIds {
            build: ids.ids,
            probe,
            count: ids.firsts.len(),
        }
    }
}

/// Join ids for one integer key of the same type on both sides (`None` for other keys): the
/// build side's values alone get ids (a direct table over their range when narrow, else a hash
/// map), and each probe row only looks its value up, so keys only the probe side has cost no id.
pub fn probe_ids(build: &Column, probe: &Column) -> Option<JoinIds> {
    if std::mem::discriminant(&build.data) != std::mem::discriminant(&probe.data) {
        return None;
    }
    let (b, p) = (as_integers(&build.data)?, as_integers(&probe.data)?);
    let valid = |c: &Column, i: usize| c.validity.as_ref().is_none_or(|v| v[i]);
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for (i, x) in b.iter().enumerate() {
        if valid(build, i) {
            lo = lo.min(*x);
            hi = hi.max(*x);
        }
    }
    let mut count = 0u32;
    let mut next_id = |slot: &mut u32| {
        if *slot == NO_ID {
            *slot = count;
            count += 1;
        }
        *slot
    };
    // Over 2^64 values when the keys reach both ends of i64: no direct table then.
    let span = (hi as i128 - lo as i128 + 1).max(0);
    let (build_ids, probe_ids) = if span <= b.len().max(1 << 16).saturating_mul(2) as i128 {
        let mut table = vec![NO_ID; span as usize];
        let build_ids = (0..b.len())
            .map(|i| match valid(build, i) {
                true => next_id(&mut table[(b[i] - lo) as usize]),
                false => NO_ID,
            })
            .collect();
        let probe_ids = (0..p.len())
            .map(|i| match p[i] >= lo && p[i] <= hi && valid(probe, i) {
                true => table[(p[i] - lo) as usize],
                false => NO_ID,
            })
            .collect();
        (build_ids, probe_ids)
    } else {
        let mut map: Map<i64, u32> = Map::default();
        let build_ids = (0..b.len())
            .map(|i| match valid(build, i) {
                true => next_id(map.entry(b[i]).or_insert(NO_ID)),
                false => NO_ID,
            })
            .collect();
        let probe_ids = (0..p.len())
            .map(|i| match valid(probe, i) {
                true => map.get(&p[i]).copied().unwrap_or(NO_ID),
                false => NO_ID,
            })
            .collect();
        (build_ids, probe_ids)
    };
    Some(JoinIds {
        build: build_ids,
        probe: probe_ids,
        count: count as usize,
    })
}

/// The values of an integer-like column as `i64`s (borrowed where they already are).
fn as_integers(data: &ColumnData) -> Option<Cow<'_, [i64]>> {
    Some(match data {
        ColumnData::BigInt(v) | ColumnData::Timestamp(v) => Cow::Borrowed(v.as_slice()),
        ColumnData::Date(v) => Cow::Owned(v.iter().map(|d| i64::from(*d)).collect()),
        ColumnData::Boolean(v) => Cow::Owned(v.iter().map(|b| i64::from(*b)).collect()),
        _ => return None,
    })
}

/// A float's bits with every NaN alike and -0 as 0 (the engine's equality).
fn float_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else if x == 0.0 {
        0
    } else {
        x.to_bits()
    }
}

/// Integer ids: a direct table when the values span a narrow range, else a hash map.
fn integer_ids(parts: &[&Column], slices: &[&[i64]], out: &mut Assigner) {
    let rows: usize = slices.iter().map(|s| s.len()).sum();
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for s in slices {
        for x in *s {
            lo = lo.min(*x);
            hi = hi.max(*x);
        }
    }
    let span = (hi as i128 - lo as i128 + 1).max(0) as usize;
    let mut null = u32::MAX;
    if span > 0 && span <= rows.max(1 << 16).saturating_mul(2) {
        let mut table = vec![u32::MAX; span];
        for (c, s) in parts.iter().zip(slices) {
            for (i, x) in s.iter().enumerate() {
                if c.validity.as_ref().is_some_and(|v| !v[i]) {
                    out.slot(&mut null);
                } else {
                    out.slot(&mut table[(x - lo) as usize]);
                }
            }
        }
    } else {
        let mut map: Map<i64, u32> = Map::default();
        for (c, s) in parts.iter().zip(slices) {
            for (i, x) in s.iter().enumerate() {
                if c.validity.as_ref().is_some_and(|v| !v[i]) {
                    out.slot(&mut null);
                } else {
                    out.slot(map.entry(*x).or_insert(u32::MAX));
                }
            }
        }
    }
}

/// The ids, in order of first appearance, of one side's key gathered through a join's row
/// numbers (`rows`, [`NULL_ROW`] for a row the side does not have): what [`key_ids`] gives on
/// the gathered column, without gathering it. `side` holds the ids of the side's own rows and
/// `null_id` the id of a NULL key (at most `side.count()`: a new one when no row is NULL).
pub fn gathered_ids(side: &KeyIds, null_id: u32, rows: &[u32]) -> KeyIds {
    let mut out = Assigner::new(rows.len());
    let mut table = vec![u32::MAX; side.count() + 1];
    let table = table.as_mut_slice();
    for row in rows {
        let id = match *row {
            NULL_ROW => null_id,
            row => side.ids[row as usize],
        };
        out.slot(&mut table[id as usize]);
    }
    out.finish()
}

/// The ids of the pairs (a, b) row by row.
pub fn combine(a: &KeyIds, b: &KeyIds) -> KeyIds {
    let mut out = Assigner::new(a.ids.len());
    let width = b.count().max(1);
    if a.count().saturating_mul(width) <= a.ids.len().max(1 << 16).saturating_mul(2) {
        let mut table = vec![u32::MAX; a.count() * width];
        for (x, y) in a.ids.iter().zip(&b.ids) {
            out.slot(&mut table[*x as usize * width + *y as usize]);
        }
    } else {
        let mut map: Map<u64, u32> = Map::default();
        for (x, y) in a.ids.iter().zip(&b.ids) {
            out.slot(
                map.entry(u64::from(*x) << 32 | u64::from(*y))
                    .or_insert(u32::MAX),
            );
        }
    }
    out.finish()
}

/// For each row, whether any of `columns` is NULL there.
pub fn any_null(columns: &[&Column], rows: usize) -> Option<Vec<bool>> {
    let mut out: Option<Vec<bool>> = None;
    for c in columns {
        if matches!(c.data, ColumnData::Null(_)) {
            return Some(vec![true; rows]);
        }
        if let Some(valid) = &c.validity {
            let o = out.get_or_insert_with(|| vec![false; rows]);
            for (n, ok) in o.iter_mut().zip(valid) {
                *n |= !ok;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::DataType;
    use std::rc::Rc;

    fn column(data_type: DataType, values: &[Value]) -> Column {
        Column::from_values(data_type, values.iter())
    }

    /// The ids a map of values would give: the reference the typed paths must agree with.
    fn by_values(columns: &[&Column], rows: usize) -> KeyIds {
        let mut map: Map<Vec<Value>, u32> = Map::default();
        let mut out = Assigner::new(rows);
        for i in 0..rows {
            let row: Vec<Value> = columns.iter().map(|c| c.get(i)).collect();
            out.slot(map.entry(row).or_insert(u32::MAX));
        }
        out.finish()
    }

    #[test]
    fn typed_paths_agree_with_values() {
        let ints = column(
            DataType::BigInt,
            &[5, 7, 5, -1, 7, 1 << 40, 5].map(Value::BigInt),
        );
        let mut nullable = ints.clone();
        nullable.push(&Value::Null);
        let mut ints8 = ints.clone();
        ints8.push(&Value::BigInt(5));
        let floats = column(
            DataType::Double,
            &[0.5, -0.0, 0.0, f64::NAN, 0.5, f64::NAN, 2.0, 1.5].map(Value::Double),
        );
        let shared: Rc<str> = Rc::from("a");
        let texts = column(
            DataType::Text,
            &[
                Value::Text(shared.clone()),
                Value::Text(Rc::from("a")),
                Value::Text(Rc::from("b")),
                Value::Null,
                Value::Text(shared),
                Value::Text(Rc::from("b")),
                Value::Null,
                Value::Text(Rc::from("")),
            ],
        );
        for cols in [
            vec![&nullable],
            vec![&floats],
            vec![&texts],
            vec![&nullable, &texts],
            vec![&texts, &floats, &ints8],
        ] {
            assert_eq!(key_ids(&cols, 8), by_values(&cols, 8));
        }
    }

    #[test]
    fn stacked_sides_share_ids_and_mixed_types_compare_as_sql() {
        let left = column(DataType::BigInt, &[1, 2, 3].map(Value::BigInt));
        let right = column(DataType::Double, &[3.0, 1.5, 1.0].map(Value::Double));
        let ids = stacked_ids(&[&left, &right]);
        assert_eq!(ids.ids, [0, 1, 2, 2, 3, 0]);
        let wide = column(DataType::BigInt, &[i64::MIN, i64::MAX].map(Value::BigInt));
        assert_eq!(stacked_ids(&[&wide, &left]).ids, [0, 1, 2, 3, 4]);
        assert_eq!(any_null(&[&left], 3), None);
    }

    /// A join's probe ids pair the same rows as ids over both sides stacked: each probe row's
    /// id names the build rows with its key (none for NULL, none for a key only the probe side
    /// has), on the direct table (narrow range) and the hash map (wide range).
    #[test]
    fn probe_ids_pair_the_rows_stacked_ids_pair() {
        let ints = |values: &[Option<i64>]| {
            let values: Vec<Value> = values
                .iter()
                .map(|v| v.map_or(Value::Null, Value::BigInt))
                .collect();
            column(DataType::BigInt, &values)
        };
        let narrow = ints(&[Some(3), Some(1), None, Some(3), Some(7)]);
        let wide = ints(&[Some(i64::MIN), Some(1), Some(i64::MAX), None, Some(1)]);
        let probe = ints(&[
            Some(1),
            None,
            Some(3),
            Some(9),
            Some(i64::MAX),
            Some(7),
            Some(-4),
        ]);
        for build in [&narrow, &wide] {
            let ids = probe_ids(build, &probe).unwrap();
            let stacked = stacked_ids(&[build, &probe]);
            let null = |c: &Column, i: usize| !c.is_valid(i);
            for i in 0..probe.len() {
                let want: Vec<usize> = (0..build.len())
                    .filter(|j| !null(build, *j) && !null(&probe, i))
                    .filter(|j| stacked.ids[*j] == stacked.ids[build.len() + i])
                    .collect();
                let got: Vec<usize> = (0..build.len())
                    .filter(|j| ids.probe[i] != NO_ID && ids.build[*j] == ids.probe[i])
                    .collect();
                assert_eq!(got, want, "probe row {i}");
            }
            assert!(ids
                .build
                .iter()
                .all(|id| *id == NO_ID || (*id as usize) < ids.count));
        }
        let dates = column(DataType::Date, &[Value::Date(3)]);
        assert!(probe_ids(&narrow, &dates).is_none());
    }
}
