//! The online side of the lab's feature store: materialization runs, single reads, and serving a
//! stretch of entity rows the way a model server would.
//!
//! Serving replays the entity rows with time in `[from, to)` in time order. A materialization job
//! runs every `materialize_every` (an incremental run ending at its scheduled time), and each row
//! reads the requested features online at its own time, so every read lands in the feature log.
//! The skew report then compares those reads with the point-in-time join of the same rows: what
//! the model saw against what it was trained on.

use super::command::{FeatureEvent, MATERIALIZE_EVERY_US_MIN, TEXT_LEN_MAX};
use super::FeatureStore;
use crate::model::FeatureError;
use crate::online::{
    FieldStatus, MaterializationRun, OnlineEntityRows, OnlineReadOptions, OnlineResponse,
};
use crate::value::{DurationUs, FeatureValue, TimestampUs};

/// Most materialization runs one `Serve` may schedule.
pub const SERVE_RUNS_MAX: i64 = 10_000;

/// Refuses an interval shorter than a minute, or one that schedules more than
/// [`SERVE_RUNS_MAX`] runs over `[from, to)`.
pub(super) fn check_interval(
    from: TimestampUs,
    to: TimestampUs,
    every: DurationUs,
) -> Result<(), FeatureError> {
    if every.0 < MATERIALIZE_EVERY_US_MIN {
        return Err(FeatureError::new(
            "the materialization interval must be at least one minute",
            "materialize every 1m, 15m, 1h or 1d, for example",
        ));
    }
    if to.0.saturating_sub(from.0) / every.0 > SERVE_RUNS_MAX {
        return Err(FeatureError::new(
            format!("that schedules more than {SERVE_RUNS_MAX} materialization runs"),
            "serve a shorter stretch, or materialize less often",
        ));
    }
    Ok(())
}

impl FeatureStore {
    /// The join-key columns an online read of the requested features needs, in first-use order.
    pub fn online_key_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = Vec::new();
        for feature in &self.requested {
            let keys = self
                .repo
                .view(&feature.view)
                .and_then(|v| self.repo.join_keys(v));
            for key in keys.unwrap_or_default() {
                if !columns.contains(&key) {
                    columns.push(key);
                }
            }
        }
        columns
    }

    /// The views of the requested features, in first-use order.
    pub(super) fn requested_views(&self) -> Vec<String> {
        let mut views: Vec<String> = Vec::new();
        for feature in &self.requested {
            if !views.contains(&feature.view) {
                views.push(feature.view.clone());
            }
        }
        views
    }

    pub(super) fn materialize(
        &mut self,
        views: &[String],
        start: TimestampUs,
        end: TimestampUs,
    ) -> Result<FeatureEvent, FeatureError> {
        let run = self
            .online
            .materialize(&self.repo, &self.sources, views, start, end)?;
        Ok(materialized(&run))
    }

    pub(super) fn materialize_incremental(
        &mut self,
        end: TimestampUs,
    ) -> Result<FeatureEvent, FeatureError> {
        let run = self
            .online
            .materialize_incremental(&self.repo, &self.sources, end)?;
        Ok(materialized(&run))
    }

    fn read_options(&self) -> OnlineReadOptions {
        OnlineReadOptions {
            full_feature_names: self.options.full_feature_names,
            enforce_ttl: self.enforce_ttl_online,
        }
    }

    /// Checks a read's key values against the key columns the request needs.
    pub(super) fn check_online_keys(&self, keys: &[FeatureValue]) -> Result<(), FeatureError> {
        let columns = self.online_key_columns();
        if keys
            .iter()
            .any(|k| matches!(k, FeatureValue::Str(t) if t.len() > TEXT_LEN_MAX))
        {
            return Err(FeatureError::new(
                "a key value is too long",
                format!("key values have at most {TEXT_LEN_MAX} characters"),
            ));
        }
        if keys.len() != columns.len() {
            return Err(FeatureError::new(
                format!(
                    "an online read of these features needs {} key value(s), not {}",
                    columns.len(),
                    keys.len()
                ),
                format!("give a value for each of {}", columns.join(", ")),
            ));
        }
        Ok(())
    }

    pub(super) fn read_online(
        &mut self,
        keys: &[FeatureValue],
        at: TimestampUs,
    ) -> Result<FeatureEvent, FeatureError> {
        let rows = OnlineEntityRows {
            columns: self.online_key_columns(),
            rows: vec![keys.to_vec()],
        };
        let response = self.online.get_online_features(
            &self.repo,
            &self.requested,
            &rows,
            at,
            self.read_options(),
        )?;
        Ok(read_event(&response))
    }

    pub(super) fn serve(
        &mut self,
        from: TimestampUs,
        to: TimestampUs,
        every: DurationUs,
    ) -> Result<FeatureEvent, FeatureError> {
        let frame = self.current_frame()?;
        let mut due: Vec<(TimestampUs, usize)> = frame
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| match row.get(frame.timestamp_column) {
                Some(FeatureValue::Timestamp(ts)) if *ts >= from && *ts < to => Some((*ts, i)),
                _ => None,
            })
            .collect();
        sim::sort::sort(&mut due);
        let (columns, rows) = (frame.columns.clone(), frame.rows.clone());
        // Serve on a copy and keep it only when everything succeeded: a refused serve changes nothing.
        let mut online = self.online.clone();
        let options = self.read_options();
        let (mut reads, mut runs, mut rows_written) = (0u64, 0u64, 0u64);
        // The job materializes the views the model reads.
        let views = self.requested_views();
        let mut next_run = from;
        for (ts, i) in due {
            while next_run <= ts {
                let run = online.materialize_incremental_views(
                    &self.repo,
                    &self.sources,
                    &views,
                    next_run,
                )?;
                runs += 1;
                rows_written += run.views.iter().map(|v| v.keys_written).sum::<u64>();
                next_run = next_run.plus(every);
            }
            let row = OnlineEntityRows {
                columns: columns.clone(),
                rows: vec![rows[i].clone()],
            };
            online.get_online_features(&self.repo, &self.requested, &row, ts, options)?;
            reads += 1;
        }
        self.online = online;
        Ok(FeatureEvent::Served {
            reads,
            materializations: runs,
            rows_written,
        })
    }
}

fn materialized(run: &MaterializationRun) -> FeatureEvent {
    FeatureEvent::Materialized {
        views: run.views.len() as u64,
        rows_written: run.views.iter().map(|v| v.keys_written).sum(),
        writes_skipped: run.views.iter().map(|v| v.keys_skipped).sum(),
    }
}

fn read_event(response: &OnlineResponse) -> FeatureEvent {
    let count = |status: FieldStatus| {
        response
            .rows
            .iter()
            .flat_map(|row| &row.features)
            .filter(|f| f.status == status)
            .count() as u64
    };
    FeatureEvent::ReadOnline {
        present: count(FieldStatus::Present),
        not_found: count(FieldStatus::NotFound),
        outside_max_age: count(FieldStatus::OutsideMaxAge),
    }
}
