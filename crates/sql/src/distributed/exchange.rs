//! Partitioners and AQE's partition arithmetic, as pure functions over key tables and byte
//! counts, so each can be tested on its own:
//! - [`hash_partition`]: Spark's `HashPartitioning` (Spark uses Murmur3 of the key values; here
//!   FxHash of the engine's `Value` hash, which hashes equal values alike whatever their numeric
//!   type, NULL included, then a 64-bit finalizer so that small integers spread);
//! - [`range_bounds`] and [`range_partition`]: Spark's `RangePartitioner` (bounds from a sample
//!   of the sort keys; a row goes to the first range whose upper bound is not below it);
//! - [`coalesce_groups`]: `CoalesceShufflePartitions` (adjacent partitions merged up to the
//!   advisory size);
//! - [`skewed_partitions`] and [`skew_pieces`]: `OptimizeSkewedJoin` (a partition above both
//!   `skewedPartitionFactor` times the median and `skewedPartitionThresholdInBytes` is split into
//!   pieces of about the advisory size).

use crate::column::{Column, ColumnData, Table};
use crate::error::SqlError;
use crate::expr::Expr;
use crate::keys::FxHasher;
use crate::plan::SortKey;
use crate::sort::{sort_indices, SortKeys};
use crate::value::DataType;
use std::hash::{Hash, Hasher};
use std::ops::Range;

/// Sampled rows per output partition when choosing range bounds (Spark samples about 20 per
/// partition: `spark.sql.execution.rangeExchange.sampleSizePerPartition` is 100 by default; a
/// smaller sample is enough for the lab's tables).
pub const RANGE_SAMPLES_PER_PARTITION: usize = 20;

/// The partition of each row of `keys` (one column per key): equal key values, NULLs included,
/// always go to the same partition.
pub fn hash_partition(keys: &Table, partitions: u32) -> Vec<u32> {
    let partitions = u64::from(partitions.max(1));
    (0..keys.rows)
        .map(|row| {
            let mut hasher = FxHasher::default();
            for column in &keys.columns {
                column.get(row).hash(&mut hasher);
            }
            (mix(hasher.finish()) % partitions) as u32
        })
        .collect()
}

/// SplitMix64's finalizer: every input bit moves every output bit.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The sort keys as column references over a key table (key `i` is column `i`).
pub fn key_order(keys: &[SortKey]) -> Vec<SortKey> {
    keys.iter()
        .enumerate()
        .map(|(index, k)| SortKey {
            expr: Expr::Column {
                index,
                data_type: k.expr.data_type(),
            },
            descending: k.descending,
            nulls_first: k.nulls_first,
        })
        .collect()
}

/// Every `k`-th row of the key tables (`k` chosen so about [`RANGE_SAMPLES_PER_PARTITION`] per
/// output partition are kept), as one table.
pub fn sample_keys(parts: &[Table], partitions: u32) -> Table {
    let total: usize = parts.iter().map(|p| p.rows).sum();
    let wanted = (partitions as usize * RANGE_SAMPLES_PER_PARTITION).max(1);
    let every = (total / wanted).max(1);
    let mut seen = 0usize;
    let picked: Vec<Table> = parts
        .iter()
        .map(|p| {
            let rows: Vec<u32> = (0..p.rows)
                .filter(|r| (seen + r).is_multiple_of(every))
                .map(|r| r as u32)
                .collect();
            seen += p.rows;
            p.take(&rows)
        })
        .collect();
    concat(&picked)
}

/// Up to `partitions - 1` distinct upper bounds, in sort order, from sampled key rows: the
/// sample sorted, then the rows at even steps through it.
pub fn range_bounds(
    samples: &Table,
    order: &[SortKey],
    partitions: u32,
) -> Result<Table, SqlError> {
    let sorted = sort_indices(samples, order)?;
    let n = partitions.max(1) as usize;
    let keys = SortKeys::new(samples, order)?;
    let mut picked: Vec<usize> = Vec::new();
    for j in 1..n {
        let Some(&row) = sorted.get(j * sorted.len() / n) else {
            continue;
        };
        let repeats = picked
            .last()
            .is_some_and(|last| keys.cmp(*last, row) == std::cmp::Ordering::Equal);
        if !repeats {
            picked.push(row);
        }
    }
    let indices: Vec<u32> = picked.iter().map(|r| *r as u32).collect();
    Ok(samples.take(&indices))
}

/// The range of each row of `keys`: the number of bounds that sort strictly before it. Rows
/// with equal keys share a range, and every row of range `i` sorts before every row of range
/// `i + 1`.
pub fn range_partition(
    keys: &Table,
    bounds: &Table,
    order: &[SortKey],
) -> Result<Vec<u32>, SqlError> {
    let both = concat(&[bounds.clone(), keys.clone()]);
    let cmp = SortKeys::new(&both, order)?;
    let bound_rows: Vec<usize> = (0..bounds.rows).collect();
    Ok((0..keys.rows)
        .map(|row| {
            let at = bounds.rows + row;
            bound_rows.partition_point(|b| cmp.cmp(*b, at) == std::cmp::Ordering::Less) as u32
        })
        .collect())
}

/// Adjacent partitions grouped so that each group holds at most `target_bytes` (a partition
/// larger than the target alone): a partition is never split, and the groups cover every
/// partition in order.
pub fn coalesce_groups(bytes: &[u64], target_bytes: u64) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut sum = 0u64;
    for (i, b) in bytes.iter().enumerate() {
        if i > start && sum.saturating_add(*b) > target_bytes {
            groups.push(start..i);
            start = i;
            sum = 0;
        }
        sum = sum.saturating_add(*b);
    }
    if start < bytes.len() || groups.is_empty() {
        groups.push(start..bytes.len());
    }
    groups
}

/// The median of the partitions' sizes (the lower middle one for an even count), as Spark's
/// `OptimizeSkewedJoin` takes it.
pub fn median_bytes(bytes: &[u64]) -> u64 {
    let mut sorted = bytes.to_vec();
    sorted.sort_unstable();
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

/// Which partitions are skewed: larger than `factor` times the median and than
/// `threshold_bytes`.
pub fn skewed_partitions(bytes: &[u64], factor: u32, threshold_bytes: u64) -> Vec<bool> {
    let median = median_bytes(bytes);
    bytes
        .iter()
        .map(|b| *b > median.saturating_mul(u64::from(factor)) && *b > threshold_bytes)
        .collect()
}

/// A skewed partition's rows (their sizes in order) cut into contiguous pieces of about
/// `target_bytes` each.
pub fn skew_pieces(row_bytes: &[u64], target_bytes: u64) -> Vec<Range<usize>> {
    coalesce_groups(row_bytes, target_bytes.max(1))
}

/// The rows of several tables of one schema, one after the other. Each column takes the type of
/// the first part where it is not NULL-typed (a column of NULLs only has no type of its own).
pub fn concat(parts: &[Table]) -> Table {
    let Some(first) = parts.first() else {
        return Table::default();
    };
    let columns = (0..first.columns.len())
        .map(|i| {
            let data_type = parts
                .iter()
                .map(|p| p.columns[i].data_type())
                .find(|t| *t != DataType::Null)
                .unwrap_or(DataType::Null);
            let rows = parts.iter().map(|p| p.rows).sum();
            let mut column = Column::with_capacity(data_type, rows);
            for part in parts {
                append(&mut column, &part.columns[i]);
            }
            column
        })
        .collect();
    Table {
        fields: first.fields.clone(),
        columns,
        rows: parts.iter().map(|p| p.rows).sum(),
    }
}

/// Appends `other`'s rows to `out`: vector to vector when both hold the same type, value by
/// value otherwise (a NULL-typed column on either side).
fn append(out: &mut Column, other: &Column) {
    let before = out.len();
    match (&mut out.data, &other.data) {
        (ColumnData::Boolean(a), ColumnData::Boolean(b)) => a.extend_from_slice(b),
        (ColumnData::BigInt(a), ColumnData::BigInt(b)) => a.extend_from_slice(b),
        (ColumnData::Double(a), ColumnData::Double(b)) => a.extend_from_slice(b),
        (ColumnData::Text(a), ColumnData::Text(b)) => a.extend_from_slice(b),
        (ColumnData::Date(a), ColumnData::Date(b)) => a.extend_from_slice(b),
        (ColumnData::Timestamp(a), ColumnData::Timestamp(b)) => a.extend_from_slice(b),
        (ColumnData::Interval(a), ColumnData::Interval(b)) => a.extend_from_slice(b),
        _ => {
            out.extend(other);
            return;
        }
    }
    match (&mut out.validity, &other.validity) {
        (None, None) => {}
        (Some(valid), None) => valid.resize(before + other.len(), true),
        (None, Some(theirs)) => {
            let mut valid = vec![true; before];
            valid.extend_from_slice(theirs);
            out.validity = Some(valid);
        }
        (Some(valid), Some(theirs)) => valid.extend_from_slice(theirs),
    }
}
