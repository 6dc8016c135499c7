//! COUNT(DISTINCT x) per group without a key per (group, value) pair. The general DISTINCT path
//! gives every (group, value) pair an id (a hash map as large as the pairs) and feeds each pair's
//! first row to the aggregate; a count needs neither the rows nor their order. Here the rows'
//! value ids are bucketed by group (a counting sort), then each group's bucket is read once,
//! marking each value with the group that last saw it: a value is counted the first time its
//! group sees it. Three passes over the rows and one array as wide as the distinct values.

use super::Acc;
use crate::column::{Column, ColumnData};
use crate::keys::KeyIds;

/// Adds to each group's count (`counts[g]`, an [`Acc::Count`]) how many distinct non-NULL values
/// of `column` its rows hold, `values` being the column's key ids.
pub(super) fn count_distinct(
    counts: &mut [Acc],
    groups: &KeyIds,
    values: &KeyIds,
    column: &Column,
) {
    // NULL has an id of its own among the values; it is never counted.
    let null_row = match (&column.data, &column.validity) {
        (ColumnData::Null(_), _) => Some(0),
        (_, Some(valid)) => valid.iter().position(|ok| !ok),
        (_, None) => None,
    };
    let null_id = null_row.map_or(u32::MAX, |row| values.ids[row]);
    let (starts, bucketed) = by_group(&groups.ids, &values.ids, counts.len());
    let mut seen = vec![u32::MAX; values.count()];
    let seen = seen.as_mut_slice();
    for (group, acc) in counts.iter_mut().enumerate() {
        let group_id = group as u32;
        let mut distinct = 0i64;
        for value in &bucketed[starts[group]..starts[group + 1]] {
            let first = (seen[*value as usize] != group_id) & (*value != null_id);
            seen[*value as usize] = group_id;
            distinct += i64::from(first);
        }
        if let Acc::Count(n) = acc {
            *n += distinct;
        }
    }
}

/// The value ids of each group's rows, group after group, and where each group's start
/// (`starts[g]..starts[g + 1]`).
fn by_group(group_of: &[u32], values: &[u32], groups: usize) -> (Vec<usize>, Vec<u32>) {
    let mut starts = vec![0usize; groups + 1];
    let counts = starts.as_mut_slice();
    for g in group_of {
        counts[*g as usize + 1] += 1;
    }
    for g in 1..counts.len() {
        counts[g] += counts[g - 1];
    }
    let mut next = starts.clone();
    let next_slot = next.as_mut_slice();
    let mut bucketed = vec![0u32; group_of.len()];
    let out = bucketed.as_mut_slice();
    for (g, value) in group_of.iter().zip(values) {
        let at = &mut next_slot[*g as usize];
        out[*at] = *value;
        *at += 1;
    }
    (starts, bucketed)
}
