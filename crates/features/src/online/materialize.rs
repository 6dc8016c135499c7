//! Materialization: copying the latest source row per key of an interval into the online store.
//!
//! Feast's `materialize(start, end)` asks the offline store for
//! `pull_latest_from_table_or_query`: the rows with `start <= event_ts <= end` (both ends
//! inclusive), and of those the first per key by `ROW_NUMBER() OVER (PARTITION BY join keys ORDER
//! BY event_ts DESC, created DESC)`. Here the last tie-break is the ingestion order `seq`, so the
//! pick is deterministic. Each picked row is written under the store's [`WritePolicy`].
//!
//! `materialize_incremental(end)` starts each view where its previous materialization ended
//! (Feast's `most_recent_end_time`, inclusive again) or, the first time, at `end - ttl`. For a view
//! with a TTL of 0 (unbounded) Feast starts 52 weeks before now; the lab starts at the beginning
//! of time instead, so a first incremental run loads everything up to `end`.

use super::{bounded_ttl, OnlineStore, StoredRow, ViewTable, WritePolicy, RUN_HISTORY_LIMIT};
use crate::model::{FeatureError, FeatureRepo, FeatureRow, FeatureView, ViewRows};
use crate::value::{KeyTuple, TimestampUs};
use sim::state_hash::StateHasher;
use std::collections::BTreeMap;

/// How a run chose its intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MaterializeKind {
    /// `materialize(start, end)`: the same interval for every view.
    Range,
    /// `materialize_incremental(end)`: each view from where it was last materialized.
    Incremental,
}

/// What one run did for one view: its interval, what it read (its cost) and what it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewMaterialization {
    pub view: String,
    pub start: TimestampUs,
    pub end: TimestampUs,
    /// Source rows with an event time inside the interval: what the offline query scanned.
    pub rows_read: u64,
    /// Rows of the interval with a NULL join key: no read can ever find them, so none is written.
    pub null_key_rows: u64,
    /// Keys whose stored row the run replaced or created.
    pub keys_written: u64,
    /// Keys the event-time guard refused because the stored row was as new or newer.
    pub keys_skipped: u64,
    /// Whether the view's definition (join keys, features) had changed since the table was laid
    /// out, so its stored rows were dropped before writing.
    pub table_reset: bool,
    /// The newest event time stored for the view after the run.
    pub newest_event_ts: Option<TimestampUs>,
}

/// One materialization run, in the order runs happened. A run's `end` is, in the usual use of
/// Feast (`materialize-incremental $(date)`), the time it ran at; an out-of-order backfill has
/// an older `end` than the runs before it, and `run` keeps the true order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaterializationRun {
    /// 0 for the store's first run, then 1, 2, ...
    pub run: u64,
    pub kind: MaterializeKind,
    pub views: Vec<ViewMaterialization>,
}

impl MaterializationRun {
    /// Source rows read by the whole run.
    pub fn rows_read(&self) -> u64 {
        self.views.iter().map(|view| view.rows_read).sum()
    }

    pub(super) fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.run);
        hasher.u64(match self.kind {
            MaterializeKind::Range => 0,
            MaterializeKind::Incremental => 1,
        });
        hasher.u64(self.views.len() as u64);
        for view in &self.views {
            hasher.str(&view.view);
            hasher.u64(view.start.0 as u64);
            hasher.u64(view.end.0 as u64);
            hasher.u64(view.rows_read);
            hasher.u64(view.null_key_rows);
            hasher.u64(view.keys_written);
            hasher.u64(view.keys_skipped);
            hasher.u64(u64::from(view.table_reset));
            super::hash_timestamp(view.newest_event_ts, hasher);
        }
    }
}

/// One view's share of a run, checked before anything is written.
struct ViewPlan<'a> {
    view: &'a FeatureView,
    join_keys: Vec<String>,
    rows: &'a ViewRows,
    start: TimestampUs,
    end: TimestampUs,
}

impl OnlineStore {
    /// Materializes `[start, end]` (inclusive) of `views` (empty: every view, in repo order).
    /// Nothing is written when any view or row is invalid.
    pub fn materialize(
        &mut self,
        repo: &FeatureRepo,
        sources: &BTreeMap<String, ViewRows>,
        views: &[String],
        start: TimestampUs,
        end: TimestampUs,
    ) -> Result<MaterializationRun, FeatureError> {
        if start > end {
            return Err(FeatureError::new(
                format!(
                    "materialization interval starts at {} after its end {}",
                    start.format(),
                    end.format()
                ),
                "give the start first: materialize START END",
            ));
        }
        let plans = selected_views(repo, views)?
            .into_iter()
            .map(|view| plan_view(repo, sources, view, start, end))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.run(plans, MaterializeKind::Range))
    }

    /// Materializes every view from where it was last materialized up to `end`: the first time
    /// from `end - ttl`, or from the beginning for a view without a TTL.
    pub fn materialize_incremental(
        &mut self,
        repo: &FeatureRepo,
        sources: &BTreeMap<String, ViewRows>,
        end: TimestampUs,
    ) -> Result<MaterializationRun, FeatureError> {
        self.materialize_incremental_views(repo, sources, &[], end)
    }

    /// [`OnlineStore::materialize_incremental`] for `views` only (empty: every view), as a job
    /// that feeds one model materializes just the views it reads.
    pub fn materialize_incremental_views(
        &mut self,
        repo: &FeatureRepo,
        sources: &BTreeMap<String, ViewRows>,
        views: &[String],
        end: TimestampUs,
    ) -> Result<MaterializationRun, FeatureError> {
        let plans = selected_views(repo, views)?
            .into_iter()
            .map(|view| {
                let start = self.incremental_start(view, end)?;
                plan_view(repo, sources, view, start, end)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.run(plans, MaterializeKind::Incremental))
    }

    /// Refuses an incremental run of `views` (empty: every view) ending before where one of
    /// them was last materialized, without changing anything.
    pub fn check_incremental(
        &self,
        repo: &FeatureRepo,
        views: &[String],
        end: TimestampUs,
    ) -> Result<(), FeatureError> {
        for view in selected_views(repo, views)? {
            self.incremental_start(view, end)?;
        }
        Ok(())
    }

    fn incremental_start(
        &self,
        view: &FeatureView,
        end: TimestampUs,
    ) -> Result<TimestampUs, FeatureError> {
        match self.most_recent_end(&view.name) {
            Some(last_end) if last_end > end => Err(FeatureError::new(
                format!(
                    "feature view `{}` is already materialized up to {}, after {}",
                    view.name,
                    last_end.format(),
                    end.format()
                ),
                "give an end at or after the last one, or materialize an explicit START END",
            )),
            Some(last_end) => Ok(last_end),
            None => Ok(bounded_ttl(view).map_or(TimestampUs(i64::MIN), |ttl| end.minus(ttl))),
        }
    }

    fn run(&mut self, plans: Vec<ViewPlan<'_>>, kind: MaterializeKind) -> MaterializationRun {
        let views = plans
            .into_iter()
            .map(|plan| self.write_view(plan))
            .collect();
        let run = MaterializationRun {
            run: self.runs_dropped + self.runs.len() as u64,
            kind,
            views,
        };
        self.record(run.clone());
        run
    }

    /// Keeps the run in the bounded history and each view's latest end.
    fn record(&mut self, run: MaterializationRun) {
        for view in &run.views {
            let end = self
                .most_recent_ends
                .entry(view.view.clone())
                .or_insert(view.end);
            *end = (*end).max(view.end);
        }
        self.runs.push(run);
        if self.runs.len() > RUN_HISTORY_LIMIT {
            self.runs.remove(0);
            self.runs_dropped += 1;
        }
    }

    fn write_view(&mut self, plan: ViewPlan<'_>) -> ViewMaterialization {
        let policy = self.policy;
        let table = self.tables.entry(plan.view.name.clone()).or_default();
        let laid_out = table.matches_layout(&plan.join_keys, plan.view);
        let table_reset = !laid_out && !table.rows.is_empty();
        if !laid_out {
            *table = ViewTable {
                join_keys: plan.join_keys.clone(),
                features: plan.view.features.iter().map(|f| f.name.clone()).collect(),
                rows: BTreeMap::new(),
            };
        }
        let in_interval = rows_in_interval(plan.rows, plan.start, plan.end);
        let rows_read = in_interval.len() as u64;
        let null_key_rows = in_interval
            .iter()
            .filter(|(_, row)| row.keys.has_null())
            .count() as u64;
        let mut keys_written = 0;
        let mut keys_skipped = 0;
        for (keys, (event_ts, row)) in latest_per_key(&in_interval) {
            if write_row(table, policy, keys, event_ts, row) {
                keys_written += 1;
            } else {
                keys_skipped += 1;
            }
        }
        ViewMaterialization {
            view: plan.view.name.clone(),
            start: plan.start,
            end: plan.end,
            rows_read,
            null_key_rows,
            keys_written,
            keys_skipped,
            table_reset,
            newest_event_ts: table.newest_event_ts(),
        }
    }
}

/// The views a run covers: the named ones (each once), or all of them in repo order.
fn selected_views<'r>(
    repo: &'r FeatureRepo,
    names: &[String],
) -> Result<Vec<&'r FeatureView>, FeatureError> {
    if names.is_empty() {
        return Ok(repo.views.iter().collect());
    }
    let mut views: Vec<&FeatureView> = Vec::new();
    for name in names {
        let view = repo.view(name)?;
        if !views.iter().any(|chosen| chosen.name == view.name) {
            views.push(view);
        }
    }
    Ok(views)
}

/// Checks a view's source and the shape of the rows the interval will read.
fn plan_view<'a>(
    repo: &'a FeatureRepo,
    sources: &'a BTreeMap<String, ViewRows>,
    view: &'a FeatureView,
    start: TimestampUs,
    end: TimestampUs,
) -> Result<ViewPlan<'a>, FeatureError> {
    let join_keys = repo.join_keys(view)?;
    let rows = sources.get(&view.name).ok_or_else(|| {
        FeatureError::new(
            format!("feature view `{}` has no source rows loaded", view.name),
            format!("load its source table `{}` first", view.source.table),
        )
    })?;
    for (_, row) in rows_in_interval(rows, start, end) {
        check_row_shape(view, join_keys.len(), row)?;
    }
    Ok(ViewPlan {
        view,
        join_keys,
        rows,
        start,
        end,
    })
}

fn check_row_shape(
    view: &FeatureView,
    key_count: usize,
    row: &FeatureRow,
) -> Result<(), FeatureError> {
    if row.keys.0.len() != key_count || row.values.len() != view.features.len() {
        return Err(FeatureError::new(
            format!(
                "source row {} of feature view `{}` has {} key parts and {} values; the view has {} join keys and {} features",
                row.seq,
                view.name,
                row.keys.0.len(),
                row.values.len(),
                key_count,
                view.features.len()
            ),
            "reload the source so its columns match the view's definition",
        ));
    }
    Ok(())
}

/// Rows with an event time in `[start, end]`, with that time; a NULL event time is in no interval.
fn rows_in_interval(
    rows: &ViewRows,
    start: TimestampUs,
    end: TimestampUs,
) -> Vec<(TimestampUs, &FeatureRow)> {
    rows.rows
        .iter()
        .filter_map(|row| row.event_ts.map(|ts| (ts, row)))
        .filter(|(ts, _)| start <= *ts && *ts <= end)
        .collect()
}

/// Per non-NULL key, the row that sorts last by (event time, created time with NULL lowest,
/// seq): the `ROW_NUMBER() ... = 1` row of Feast's query, made deterministic.
fn latest_per_key<'a>(
    rows: &[(TimestampUs, &'a FeatureRow)],
) -> BTreeMap<&'a KeyTuple, (TimestampUs, &'a FeatureRow)> {
    let mut latest: BTreeMap<&KeyTuple, (TimestampUs, &FeatureRow)> = BTreeMap::new();
    for &(event_ts, row) in rows.iter().filter(|(_, row)| !row.keys.has_null()) {
        let newer = latest
            .get(&row.keys)
            .is_none_or(|&(kept_ts, kept)| recency(event_ts, row) > recency(kept_ts, kept));
        if newer {
            latest.insert(&row.keys, (event_ts, row));
        }
    }
    latest
}

fn recency(event_ts: TimestampUs, row: &FeatureRow) -> (TimestampUs, Option<TimestampUs>, u64) {
    (event_ts, row.created_ts, row.seq)
}

/// Writes `row` for `keys` under `policy`; false when the guard refused it.
pub(super) fn write_row(
    table: &mut ViewTable,
    policy: WritePolicy,
    keys: &KeyTuple,
    event_ts: TimestampUs,
    row: &FeatureRow,
) -> bool {
    let newest_written_ts = match table.rows.get(keys) {
        Some(stored) if !policy.replaces(stored.event_ts, event_ts) => return false,
        Some(stored) => stored.newest_written_ts.max(event_ts),
        None => event_ts,
    };
    table.rows.insert(
        keys.clone(),
        StoredRow {
            values: row.values.clone(),
            event_ts,
            created_ts: row.created_ts,
            seq: row.seq,
            newest_written_ts,
        },
    );
    true
}
