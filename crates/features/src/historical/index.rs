//! A view's rows grouped by join key and sorted by the pick order, built once per join.
//!
//! This is the build side of a sort-merge ASOF join: a map from each key to its group, and all
//! groups in one array (a group's rows are contiguous), each sorted by `(event_ts, created_ts
//! with NULL lowest, seq, row)`. Rows with a NULL key part or no event time are left out: they
//! match nothing. [`as_of`] answers one entity row from its key's group.

use super::NullReason;
use crate::model::{FeatureError, FeatureRow, FeatureView, ViewRows};
use crate::value::{DurationUs, FeatureValue, KeyTuple, TimestampUs};
use std::collections::BTreeMap;

/// One source row as the join orders it: its times, its ingestion order and its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Version {
    pub event_ts: TimestampUs,
    pub created_ts: Option<TimestampUs>,
    pub seq: u64,
    /// Position in the view's `ViewRows::rows`.
    pub row: u32,
}

impl Version {
    /// Whether the row had been written by `at` (no created time: known from its event time).
    fn known_by(&self, at: TimestampUs) -> bool {
        self.created_ts.unwrap_or(self.event_ts) <= at
    }
}

/// A join key as the index compares it: a key of one integer or text part (the common cases) as
/// that integer or text, any other key as its tuple. The encoding is canonical, so two keys are
/// equal exactly when their tuples are; a lone part only saves following pointers per comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum GroupKey<'k> {
    Int(i64),
    Text(&'k str),
    Tuple(&'k KeyTuple),
}

impl GroupKey<'_> {
    pub fn of(keys: &KeyTuple) -> GroupKey<'_> {
        match keys.0.as_slice() {
            [FeatureValue::Int(i)] => GroupKey::Int(*i),
            [FeatureValue::Str(text)] => GroupKey::Text(text),
            _ => GroupKey::Tuple(keys),
        }
    }
}

/// A view's joinable rows, grouped by key.
pub(super) struct ViewIndex<'a> {
    directory: KeyDirectory<'a>,
    /// Group `g` is `versions[bounds[g]..bounds[g + 1]]`.
    bounds: Vec<u32>,
    versions: Vec<Version>,
}

/// How a key finds its group.
enum KeyDirectory<'a> {
    /// Every key is one integer, in a range at most a few times wider than the row count: key
    /// `k`'s group is `group_of_offset[k - min]`, no comparison at all (the idea of DuckDB's
    /// perfect hash join for small integer domains).
    Dense { min: i64, group_of_offset: Vec<u32> },
    /// Any keys: an ordered map.
    Ordered(BTreeMap<GroupKey<'a>, u32>),
}

/// Marks a row that takes part in no join, and an unused slot of a dense directory.
const NOT_JOINED: u32 = u32::MAX;

/// A dense directory may have this many slots per joinable row (plus a small constant).
const DENSE_SLOTS_PER_ROW: u64 = 4;

impl<'a> KeyDirectory<'a> {
    /// Dense when every joinable key is one integer in a narrow enough range, else ordered.
    fn for_rows(rows: &ViewRows) -> KeyDirectory<'a> {
        let mut joinable = 0u64;
        let mut range: Option<(i64, i64)> = None;
        for row in rows.rows.iter().filter(|row| joins(row)) {
            let GroupKey::Int(k) = GroupKey::of(&row.keys) else {
                return KeyDirectory::Ordered(BTreeMap::new());
            };
            joinable += 1;
            range = Some(range.map_or((k, k), |(lo, hi)| (lo.min(k), hi.max(k))));
        }
        let (min, max) = range.unwrap_or((0, 0));
        let slots = (i128::from(max) - i128::from(min) + 1) as u128;
        if slots > u128::from(DENSE_SLOTS_PER_ROW * joinable + 1024) {
            return KeyDirectory::Ordered(BTreeMap::new());
        }
        KeyDirectory::Dense {
            min,
            group_of_offset: vec![NOT_JOINED; slots as usize],
        }
    }

    /// The group of `key`, a new one (numbered `*groups`) if it has none yet.
    fn group_or_insert(&mut self, key: GroupKey<'a>, groups: &mut u32) -> u32 {
        let mut next = || {
            *groups += 1;
            *groups - 1
        };
        match (self, key) {
            (
                KeyDirectory::Dense {
                    min,
                    group_of_offset,
                },
                GroupKey::Int(k),
            ) => {
                let slot = &mut group_of_offset[k.abs_diff(*min) as usize];
                if *slot == NOT_JOINED {
                    *slot = next();
                }
                *slot
            }
            // `for_rows` chose dense because every joinable key is one integer: no other key
            // comes here, and one that did would join nothing.
            (KeyDirectory::Dense { .. }, _) => NOT_JOINED,
            (KeyDirectory::Ordered(map), key) => *map.entry(key).or_insert_with(next),
        }
    }

    fn group(&self, key: GroupKey) -> Option<u32> {
        match (self, key) {
            (
                KeyDirectory::Dense {
                    min,
                    group_of_offset,
                },
                GroupKey::Int(k),
            ) => {
                let offset = usize::try_from(k.checked_sub(*min)?).ok()?;
                group_of_offset
                    .get(offset)
                    .copied()
                    .filter(|&g| g != NOT_JOINED)
            }
            (KeyDirectory::Dense { .. }, _) => None,
            (KeyDirectory::Ordered(map), key) => map.get(&key).copied(),
        }
    }
}

/// Whether a source row takes part in joins: it has an event time and no NULL key part.
fn joins(row: &FeatureRow) -> bool {
    row.event_ts.is_some() && !row.keys.has_null()
}

impl<'a> ViewIndex<'a> {
    /// Groups and sorts `rows`, after checking each row has `key_count` key parts and one value
    /// of the declared type (or NULL) per feature.
    pub fn build(
        view: &FeatureView,
        rows: &'a ViewRows,
        key_count: usize,
    ) -> Result<ViewIndex<'a>, FeatureError> {
        if rows.rows.len() >= NOT_JOINED as usize {
            return Err(FeatureError::new(
                format!("feature view `{}` has {} rows", view.name, rows.rows.len()),
                "the join handles fewer than 4,294,967,295 rows per view",
            ));
        }
        for (i, row) in rows.rows.iter().enumerate() {
            check_row(view, i, row, key_count)?;
        }
        let mut directory = KeyDirectory::for_rows(rows);
        let mut groups = 0u32;
        let group_of_row: Vec<u32> = rows
            .rows
            .iter()
            .map(|row| match joins(row) {
                true => directory.group_or_insert(GroupKey::of(&row.keys), &mut groups),
                false => NOT_JOINED,
            })
            .collect();
        let bounds = group_bounds(&group_of_row, groups as usize);
        let versions = grouped_versions(rows, &group_of_row, &bounds);
        Ok(ViewIndex {
            directory,
            bounds,
            versions,
        })
    }

    /// The group of `key`, if the view has joinable rows for it.
    pub fn group(&self, key: &KeyTuple) -> Option<u32> {
        self.directory.group(GroupKey::of(key))
    }

    /// A group's versions, in pick order.
    pub fn versions(&self, group: u32) -> &[Version] {
        let g = group as usize;
        &self.versions[self.bounds[g] as usize..self.bounds[g + 1] as usize]
    }
}

/// Where each group starts in the grouped array (a counting sort's prefix sums).
fn group_bounds(group_of_row: &[u32], groups: usize) -> Vec<u32> {
    let mut bounds = vec![0u32; groups + 1];
    for &g in group_of_row.iter().filter(|&&g| g != NOT_JOINED) {
        bounds[g as usize + 1] += 1;
    }
    let mut total = 0;
    for bound in &mut bounds {
        total += *bound;
        *bound = total;
    }
    bounds
}

/// The joinable rows placed by group, each group sorted by the pick order.
fn grouped_versions(rows: &ViewRows, group_of_row: &[u32], bounds: &[u32]) -> Vec<Version> {
    let placeholder = Version {
        event_ts: TimestampUs(0),
        created_ts: None,
        seq: 0,
        row: 0,
    };
    let total = bounds.last().copied().unwrap_or(0) as usize;
    let mut versions = vec![placeholder; total];
    let mut cursor: Vec<u32> = bounds.to_vec();
    for (i, (row, &g)) in rows.rows.iter().zip(group_of_row).enumerate() {
        let Some(event_ts) = row.event_ts.filter(|_| g != NOT_JOINED) else {
            continue;
        };
        versions[cursor[g as usize] as usize] = Version {
            event_ts,
            created_ts: row.created_ts,
            seq: row.seq,
            row: i as u32,
        };
        cursor[g as usize] += 1;
    }
    for group in bounds.windows(2) {
        sim::sort::sort_by_key(&mut versions[group[0] as usize..group[1] as usize], |v| {
            (v.event_ts, v.created_ts, v.seq, v.row)
        });
    }
    versions
}

/// A source row must have the view's shape: one value per join key and per feature, each
/// feature value of its declared type or NULL.
fn check_row(
    view: &FeatureView,
    i: usize,
    row: &FeatureRow,
    key_count: usize,
) -> Result<(), FeatureError> {
    if row.keys.0.len() != key_count || row.values.len() != view.features.len() {
        return Err(FeatureError::new(
            format!(
                "row {i} of feature view `{}` has {} key values and {} feature values",
                view.name,
                row.keys.0.len(),
                row.values.len()
            ),
            format!(
                "the view has {key_count} join keys and {} features; give each row one value per key and feature",
                view.features.len()
            ),
        ));
    }
    for (feature, value) in view.features.iter().zip(&row.values) {
        if let Some(dtype) = value.dtype().filter(|&dtype| dtype != feature.dtype) {
            return Err(FeatureError::new(
                format!(
                    "row {i} of feature view `{}`: feature `{}` is declared {} but holds the {dtype} value {value}",
                    view.name, feature.name, feature.dtype
                ),
                format!(
                    "declare `{}` as {dtype}, or convert the source column to {}",
                    feature.name, feature.dtype
                ),
            ));
        }
    }
    Ok(())
}

/// The point-in-time pick from one key's sorted group: the greatest version with `event_ts <= at`,
/// `event_ts >= at - ttl` (inclusive, when there is a TTL) and, under the created cutoff, written
/// by `at`; or why there is none.
pub(super) fn as_of(
    versions: &[Version],
    at: TimestampUs,
    ttl: Option<DurationUs>,
    created_cutoff: bool,
) -> Result<&Version, NullReason> {
    let at_or_before = &versions[..versions.partition_point(|v| v.event_ts <= at)];
    let latest = at_or_before.last().ok_or(NullReason::NothingBefore)?;
    let oldest_allowed = ttl.map(|ttl| at.minus(ttl));
    let fresh = |v: &Version| oldest_allowed.is_none_or(|oldest| v.event_ts >= oldest);
    if !fresh(latest) {
        return Err(NullReason::ExpiredByTtl);
    }
    if !created_cutoff {
        return Ok(latest);
    }
    at_or_before
        .iter()
        .rev()
        .take_while(|v| fresh(v))
        .find(|v| v.known_by(at))
        .ok_or(NullReason::NotKnownYet)
}
