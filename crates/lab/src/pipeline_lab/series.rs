//! The pipeline's time series for the page's charts, bounded: one point per second (feature
//! age, stale users, job lag, clicks) and one per reconcile (each version's quality, the canary's
//! weight, the rollout's phase).

use super::model::ModelVersion;
use super::UserFreshness;
use crate::rollout_lab::RolloutLab;
use sim::clock::Tick;
use std::collections::{BTreeMap, VecDeque};

/// Per-second points kept (ten minutes).
pub const SECONDS_KEPT: usize = 600;
/// Per-reconcile points kept (an hour).
pub const RECONCILES_KEPT: usize = 360;

/// One second of the pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondPoint {
    /// Lab time at the end of the second.
    pub t_ms: u64,
    pub feature_age_max_ms: Option<u64>,
    pub feature_age_mean_ms: Option<u64>,
    pub stale_users: u32,
    pub job_lag_records: u64,
    pub clicks_per_second: u64,
}

/// One reconcile (ten seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconcilePoint {
    pub t_ms: u64,
    /// Each version's accuracy over the last ten seconds.
    pub quality_permille: Vec<(String, u16)>,
    pub canary_weight_percent: u8,
    pub phase: &'static str,
}

/// The bounded series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    pub seconds: VecDeque<SecondPoint>,
    pub reconciles: VecDeque<ReconcilePoint>,
    clicks_at_last_second: u64,
}

/// The ages of the users that have a value: (max, mean) in ms.
pub fn ages(freshness: &[UserFreshness]) -> (Option<u64>, Option<u64>) {
    let ages: Vec<u64> = freshness.iter().filter_map(|f| f.age_ms).collect();
    if ages.is_empty() {
        return (None, None);
    }
    let max = ages.iter().copied().max();
    (max, Some(ages.iter().sum::<u64>() / ages.len() as u64))
}

fn end_ms(now: Tick) -> u64 {
    (now.0 + 1) * 100
}

impl Series {
    /// The point of the second ending with tick `now`.
    pub fn second(
        &mut self,
        now: Tick,
        freshness: &[UserFreshness],
        job_lag_records: u64,
        clicks_sent: u64,
    ) {
        let (max, mean) = ages(freshness);
        if self.seconds.len() == SECONDS_KEPT {
            self.seconds.pop_front();
        }
        self.seconds.push_back(SecondPoint {
            t_ms: end_ms(now),
            feature_age_max_ms: max,
            feature_age_mean_ms: mean,
            stale_users: freshness.iter().filter(|f| f.stale).count() as u32,
            job_lag_records,
            clicks_per_second: clicks_sent.saturating_sub(self.clicks_at_last_second),
        });
        self.clicks_at_last_second = clicks_sent;
    }

    /// The point of the reconcile ending with tick `now`.
    pub fn reconcile(
        &mut self,
        now: Tick,
        models: &BTreeMap<String, ModelVersion>,
        rollouts: &RolloutLab,
    ) {
        if self.reconciles.len() == RECONCILES_KEPT {
            self.reconciles.pop_front();
        }
        self.reconciles.push_back(ReconcilePoint {
            t_ms: end_ms(now),
            quality_permille: models
                .values()
                .filter_map(|m| m.quality_permille.map(|q| (m.name.clone(), q)))
                .collect(),
            canary_weight_percent: rollouts.plan().canary_weight_percent,
            phase: rollouts.steps().phase,
        });
    }

    /// The clicks per second of the last full second.
    pub fn clicks_per_second(&self) -> u64 {
        self.seconds.back().map_or(0, |p| p.clicks_per_second)
    }
}
