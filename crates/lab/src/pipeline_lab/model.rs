//! The model versions the pipeline serves, with their own arithmetic: `v1` reads no real-time
//! feature and predicts the base rate (nobody is buying), `v2` and every version the learner
//! trains are logistic regressions (`features::train`) over the user's real-time features, read
//! from the online store at request time (a value past the TTL reads as NULL and is imputed as the
//! trainer does).
//!
//! `v2` was trained before the lab starts, on a point-in-time log of the same world: a simulated
//! ten minutes of the population with each request's features as serving would have read them
//! (the latest closed ten-second window with a click, once the watermark passed it). It is the
//! same artifact on every seed, as a model file would be, and is fitted once per thread.

use super::command::TrainJoin;
use super::users::{Users, USERS};
use features::train::{LogisticModel, TrainOptions};
use sim::rng::{Rng, Seed};
use sim::state_hash::StateHasher;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The features every logistic version reads, in order.
pub const FEATURES: [&str; 2] = ["clicks", "amount"];
/// A request's feature values (None: NULL).
pub type FeatureRow = [Option<f64>; 2];
/// The window the job aggregates over.
pub const WINDOW_US: i64 = 10_000_000;
/// The base rate `v1` predicts: the share of users buying, in permille.
pub const BASE_RATE_PERMILLE: u16 = 200;
/// Ticks of the simulated log `v2` is trained on (ten minutes).
const PRETRAIN_TICKS: u64 = 6_000;
/// The simulated log's seed: the same for every lab.
const PRETRAIN_SEED: Seed = Seed(20_240_101);

/// How a version predicts.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelKind {
    /// A constant probability: no feature read.
    BaseRate { permille: u16 },
    /// A logistic regression over [`FEATURES`].
    Logistic(Rc<LogisticModel>),
}

/// How a trained version scored offline, on the later part of its own training log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OfflineScore {
    pub accuracy_permille: u16,
    pub auc_permille: u16,
    pub train_rows: u32,
    pub test_rows: u32,
}

/// One model version and what it scored.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelVersion {
    pub name: String,
    pub kind: ModelKind,
    /// How its training set was joined (None: `v1`, and `v2` trained before the lab).
    pub trained_on: Option<TrainJoin>,
    pub offline: Option<OfflineScore>,
    /// Its accuracy over the requests of the last reconcile period (shadow scoring).
    pub quality_permille: Option<u16>,
    /// Right and all predictions in the current period.
    pub(crate) window: (u64, u64),
}

impl ModelVersion {
    fn new(name: &str, kind: ModelKind) -> ModelVersion {
        ModelVersion {
            name: name.into(),
            kind,
            trained_on: None,
            offline: None,
            quality_permille: None,
            window: (0, 0),
        }
    }

    /// A trained version.
    pub fn trained(
        name: &str,
        model: LogisticModel,
        join: TrainJoin,
        offline: OfflineScore,
    ) -> ModelVersion {
        ModelVersion {
            trained_on: Some(join),
            offline: Some(offline),
            ..ModelVersion::new(name, ModelKind::Logistic(Rc::new(model)))
        }
    }

    /// The probability that the user is buying, given the features served.
    pub fn probability(&self, row: &FeatureRow) -> f64 {
        match &self.kind {
            ModelKind::BaseRate { permille } => f64::from(*permille) / 1000.0,
            // The row always has the model's width and finite values, so predict cannot fail.
            ModelKind::Logistic(model) => model.predict(row).unwrap_or(0.0),
        }
    }

    /// The prediction: buying when the probability is at least one half.
    pub fn predicts_buying(&self, row: &FeatureRow) -> bool {
        self.probability(row) >= 0.5
    }

    /// Whether the version reads features at all.
    pub fn reads_features(&self) -> bool {
        matches!(self.kind, ModelKind::Logistic(_))
    }

    /// Counts one shadow-scored request.
    pub(crate) fn score(&mut self, row: &FeatureRow, buying: bool) {
        let right = self.predicts_buying(row) == buying;
        self.window.0 += u64::from(right);
        self.window.1 += 1;
    }

    /// Ends the period: the quality is the accuracy over its requests (kept when none came).
    pub(crate) fn close_window(&mut self) {
        let (right, all) = self.window;
        if let Some(permille) = (right * 1000 + all / 2).checked_div(all) {
            self.quality_permille = Some(permille as u16);
        }
        self.window = (0, 0);
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.str(&self.name);
        match &self.kind {
            ModelKind::BaseRate { permille } => hasher.u64(u64::from(*permille)),
            ModelKind::Logistic(model) => {
                hasher.u64(model.intercept.to_bits());
                for w in &model.weights {
                    hasher.u64(w.to_bits());
                }
            }
        }
        hasher.str(self.trained_on.map_or("", TrainJoin::name));
        std::hash::Hash::hash(&self.offline, hasher);
        hasher.u64(self.quality_permille.map_or(u64::MAX, u64::from));
        hasher.u64(self.window.0);
        hasher.u64(self.window.1);
    }
}

/// The versions the lab starts with: `v1` (base rate) and `v2` (real-time features).
pub fn starting_models() -> BTreeMap<String, ModelVersion> {
    let v1 = ModelVersion::new(
        "v1",
        ModelKind::BaseRate {
            permille: BASE_RATE_PERMILLE,
        },
    );
    let v2 = ModelVersion::new("v2", ModelKind::Logistic(pretrained_v2()));
    sim::sort::collect_map([("v1".to_string(), v1), ("v2".to_string(), v2)])
}

thread_local! {
    static V2: Rc<LogisticModel> = Rc::new(fit_v2());
}

fn pretrained_v2() -> Rc<LogisticModel> {
    V2.with(Rc::clone)
}

/// The features serving reads for a user at `now_us` from closed windows: the latest window
/// with a click that closed `delay_us` after its end, NULL when older than `ttl_us`.
pub fn served_from_windows(
    windows: &[(i64, i64, i64)],
    now_us: i64,
    delay_us: i64,
    ttl_us: i64,
) -> FeatureRow {
    match windows
        .iter()
        .rev()
        .find(|(end, _, _)| *end + delay_us <= now_us)
    {
        Some((end, clicks, amount)) if now_us - end <= ttl_us => {
            [Some(*clicks as f64), Some(*amount as f64)]
        }
        _ => [None, None],
    }
}

/// `v2`: fitted on a simulated ten minutes of the world, served as the pipeline serves.
fn fit_v2() -> LogisticModel {
    let mut users = Users::new(Rng::new(PRETRAIN_SEED).fork("pipeline/pretrain"));
    // Per user: finished windows with a click, as (end, clicks, amount), and the open one.
    let mut windows: Vec<Vec<(i64, i64, i64)>> = vec![Vec::new(); USERS];
    let mut open: Vec<(i64, i64, i64)> = (0..USERS).map(|_| (WINDOW_US, 0, 0)).collect();
    let (mut rows, mut labels) = (Vec::new(), Vec::new());
    for tick in 0..PRETRAIN_TICKS {
        let now_us = tick as i64 * 100_000;
        for (i, window) in open.iter_mut().enumerate() {
            if now_us >= window.0 {
                if window.1 > 0 {
                    windows[i].push(*window);
                }
                *window = (window.0 + WINDOW_US, 0, 0);
            }
        }
        let out = users.tick(tick);
        for click in &out.clicks {
            let window = &mut open[usize::from(click.user.0)];
            window.1 += 1;
            window.2 += click.amount;
        }
        for user in out.requests {
            let row =
                served_from_windows(&windows[usize::from(user.0)], now_us, 2_000_000, 60_000_000);
            rows.push(row.to_vec());
            labels.push(users.is_buying(user));
        }
    }
    // The simulated log has both classes and finite numbers by construction.
    LogisticModel::fit(&rows, &labels, TrainOptions::default()).unwrap_or(LogisticModel {
        scaling: Vec::new(),
        intercept: 0.0,
        weights: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_reads_clicks_as_buying() {
        let models = starting_models();
        let v2 = &models["v2"];
        assert!(v2.predicts_buying(&[Some(30.0), Some(0.0)]));
        assert!(!v2.predicts_buying(&[Some(4.0), Some(0.0)]));
        assert!(!models["v1"].predicts_buying(&[Some(30.0), Some(0.0)]));
    }

    #[test]
    fn a_window_past_the_ttl_reads_as_null() {
        let windows = [(10_000_000, 3, 0), (20_000_000, 25, 0)];
        assert_eq!(
            served_from_windows(&windows, 21_000_000, 2_000_000, 60_000_000),
            [Some(3.0), Some(0.0)]
        );
        assert_eq!(
            served_from_windows(&windows, 23_000_000, 2_000_000, 60_000_000),
            [Some(25.0), Some(0.0)]
        );
        assert_eq!(
            served_from_windows(&windows, 90_000_000, 2_000_000, 60_000_000),
            [None, None]
        );
    }
}
