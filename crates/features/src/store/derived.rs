//! What follows from a feature store's state: the training set of the learner's choices, the
//! point-in-time set serving would give for the same rows, the model's AUC offline and later,
//! the skew report of the online log, and the counts lesson goals are written in.
//!
//! All of it is computed once per state, on first use, and kept beside the state in a cell that
//! [`super::FeatureStore::apply`] empties; equality and the state hash ignore it.

use super::command::JoinKind;
use super::FeatureStore;
use crate::evaluate::{evaluate, Evaluation};
use crate::historical::{
    get_historical_features, HistoricalOptions, Leak, NullReason, TrainingSet, ViewMatch,
};
use crate::model::{EntityFrame, FeatureError};
use crate::online::FieldStatus;
use crate::skew::{skew_report, SkewOptions, SkewReport, Verdict};
use crate::value::FeatureValue;

/// Everything derived from one state.
#[derive(Clone, Debug)]
pub struct Derived {
    /// The training set the current choices build.
    pub training: Result<TrainingSet, FeatureError>,
    /// Offline AUC of a model trained on it, and AUC on later rows with what serving gives;
    /// `None` when the entity rows have no label or the features are not numbers.
    pub evaluation: Option<Result<Evaluation, FeatureError>>,
    /// The online log against the point-in-time join.
    pub skew: Result<SkewReport, FeatureError>,
    pub counts: Counts,
}

/// The numbers goals name (`features.FIELD` in a lesson).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub rows: u64,
    /// (row, view) values taken from a source row whose event time is after the entity row's.
    pub future_values: u64,
    /// (row, view) values from a row created after the entity row's time (a later correction).
    pub unknown_yet_values: u64,
    pub null_no_key: u64,
    pub null_nothing_before: u64,
    pub null_expired: u64,
    pub null_not_known_yet: u64,
    /// Logged online reads, one per (request, view).
    pub reads: u64,
    pub reads_outside_max_age: u64,
    pub reads_not_found: u64,
    /// Present online values older than their view's TTL at the read (Feast serves them).
    pub stale_served: u64,
    /// The oldest present value served, in minutes before its read.
    pub served_age_max_minutes: u64,
    /// Logged feature values that differ from the point-in-time value.
    pub skewed_values: u64,
    pub compared_values: u64,
    pub materializations: u64,
    pub rows_written: u64,
}

/// Microseconds in a minute.
const US_PER_MINUTE: i64 = 60_000_000;

impl FeatureStore {
    /// The derived facts of this state (computed on first use).
    pub fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| self.derive())
    }

    fn derive(&self) -> Derived {
        let frame = self.current_frame().ok();
        let training = self.training_set();
        let served = frame.map(|frame| self.served_set(frame));
        let evaluation = match (frame, &training, served) {
            (Some(frame), Ok(trained), Some(Ok(served))) => {
                self.world.labels.get(&self.entity_frame).map(|label| {
                    evaluate(
                        frame,
                        &label.label_column,
                        label.later_data_from,
                        trained,
                        &served,
                    )
                })
            }
            _ => None,
        };
        let skew = skew_report(
            self.online.log().entries(),
            &self.repo,
            &self.sources,
            SkewOptions {
                created_cutoff: self.options.created_cutoff,
            },
        );
        let mut counts = Counts::default();
        if let (Some(frame), Ok(set)) = (frame, &training) {
            count_training(frame, set, &mut counts);
        }
        self.count_online(&mut counts);
        if let Ok(report) = &skew {
            counts.compared_values = report.comparisons.len() as u64;
            counts.skewed_values = report
                .comparisons
                .iter()
                .filter(|c| matches!(c.verdict, Verdict::Differs(_)))
                .count() as u64;
        }
        Derived {
            training,
            evaluation,
            skew,
            counts,
        }
    }

    /// What serving would have given the same rows: the point-in-time join of the requested
    /// features with only what was written by each row's time.
    fn served_set(&self, frame: &EntityFrame) -> Result<TrainingSet, FeatureError> {
        get_historical_features(
            &self.repo,
            &self.sources,
            frame,
            &self.requested,
            HistoricalOptions {
                created_cutoff: true,
                ..self.options
            },
        )
    }

    fn count_online(&self, counts: &mut Counts) {
        for entry in self.online.log().entries() {
            counts.reads += 1;
            let ttl = self.repo.view(&entry.view).ok().and_then(|v| v.ttl);
            for served in &entry.served {
                match served.status {
                    FieldStatus::OutsideMaxAge => counts.reads_outside_max_age += 1,
                    FieldStatus::NotFound => counts.reads_not_found += 1,
                    FieldStatus::Present => {
                        let Some(event_ts) = served.event_ts else {
                            continue;
                        };
                        let age_us = entry.request_ts.0.saturating_sub(event_ts.0);
                        let minutes = (age_us.max(0) / US_PER_MINUTE) as u64;
                        counts.served_age_max_minutes = counts.served_age_max_minutes.max(minutes);
                        if ttl.is_some_and(|ttl| age_us > ttl.0) {
                            counts.stale_served += 1;
                        }
                    }
                }
            }
        }
        counts.materializations = self.online.runs().len() as u64 + self.online.runs_dropped();
        counts.rows_written = self
            .online
            .runs()
            .iter()
            .flat_map(|run| &run.views)
            .map(|view| view.keys_written)
            .sum();
    }

    /// Whether training uses the point-in-time join.
    pub fn is_point_in_time(&self) -> bool {
        self.join == JoinKind::PointInTime
    }
}

/// The leak and NULL counts of a training set.
fn count_training(frame: &EntityFrame, set: &TrainingSet, counts: &mut Counts) {
    counts.rows = set.rows.len() as u64;
    for (row, matches) in frame.rows.iter().zip(&set.matches) {
        let entity_ts = match row.get(frame.timestamp_column) {
            Some(FeatureValue::Timestamp(ts)) => Some(*ts),
            _ => None,
        };
        for found in matches {
            match found {
                ViewMatch::Matched { .. } => match found.leak(entity_ts) {
                    Some(Leak::FromFuture) => counts.future_values += 1,
                    Some(Leak::WrittenLater) => counts.unknown_yet_values += 1,
                    None => {}
                },
                ViewMatch::Missing(reason) => match reason {
                    NullReason::NoSuchKey => counts.null_no_key += 1,
                    NullReason::NothingBefore => counts.null_nothing_before += 1,
                    NullReason::ExpiredByTtl => counts.null_expired += 1,
                    NullReason::NotKnownYet => counts.null_not_known_yet += 1,
                    NullReason::NullKey | NullReason::NullTimestamp => {}
                },
            }
        }
    }
}
