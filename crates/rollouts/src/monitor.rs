//! What a model monitor logs about the requests a version serves, and the drift it reports.
//!
//! Every served request carries one input feature and gets a prediction score. The monitor keeps
//! a sample of both: a reference window (the training data, drawn once) and a serving window (the
//! values of the most recent requests, a bounded sample of them). A check compares the serving
//! window with the reference with [`crate::drift`] (PSI over the reference's deciles, and the
//! two-sample Kolmogorov-Smirnov test), as monitoring tools do between a training window and the
//! last serving window.
//!
//! The model of the data: the feature is standard normal at training time; the score is the
//! logistic of a linear function of the feature plus noise, so a shift of the feature moves the
//! scores too (as it would for a real model), while a shift of the score alone (a change in the
//! model or its calibration) leaves the feature where it was. Shifts are in standard deviations
//! and are set, not accumulated.

use crate::drift::{drift, Drift, InputError};
use crate::sampling::standard_normal;
use crate::value::{DurationMs, TimeMs};
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::collections::VecDeque;

/// Training values drawn for the reference window.
pub const REFERENCE_VALUES: usize = 1_000;
/// Serving values kept at most (older ones are dropped first), whatever the traffic.
pub const SERVING_VALUES_MAX: usize = 2_000;
/// Requests sampled at most per observation (a monitor logs a sample of the traffic; with the
/// lab's 10 s ticks, 1,200 values per 5-minute window, which keeps the exact KS p-value cheap).
pub const SAMPLED_PER_OBSERVATION_MAX: u64 = 40;

/// How strongly the score follows the feature, and the noise besides it (logits).
const SCORE_FEATURE_WEIGHT: f64 = 0.8;
const SCORE_NOISE: f64 = 0.6;
const SCORE_BIAS: f64 = -1.0;

/// Which distribution a shift moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DriftTarget {
    Feature,
    Prediction,
}

impl DriftTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftTarget::Feature => "feature",
            DriftTarget::Prediction => "prediction",
        }
    }
}

/// One logged request.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Logged {
    at: TimeMs,
    feature: f64,
    score: f64,
}

/// Drift of both logged values from their reference.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftCheck {
    pub feature: Drift,
    pub prediction: Drift,
    /// Serving values compared.
    pub serving_values: usize,
}

/// The monitor: reference values, the serving window and the shifts in force.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftMonitor {
    rng: Rng,
    window: DurationMs,
    reference_features: Vec<f64>,
    reference_scores: Vec<f64>,
    serving: VecDeque<Logged>,
    feature_shift_sd: f64,
    prediction_shift_sd: f64,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl DriftMonitor {
    /// A monitor whose serving window spans `window`; the reference is drawn from `rng` at once.
    pub fn new(mut rng: Rng, window: DurationMs) -> DriftMonitor {
        let mut reference_features = Vec::with_capacity(REFERENCE_VALUES);
        let mut reference_scores = Vec::with_capacity(REFERENCE_VALUES);
        for _ in 0..REFERENCE_VALUES {
            let (feature, score) = draw(&mut rng, 0.0, 0.0);
            reference_features.push(feature);
            reference_scores.push(score);
        }
        DriftMonitor {
            rng,
            window,
            reference_features,
            reference_scores,
            serving: VecDeque::new(),
            feature_shift_sd: 0.0,
            prediction_shift_sd: 0.0,
        }
    }

    /// From now on the target's serving distribution is shifted by `sd` standard deviations
    /// (of the feature, or of the score's logit).
    pub fn set_shift(&mut self, target: DriftTarget, sd: f64) {
        match target {
            DriftTarget::Feature => self.feature_shift_sd = sd,
            DriftTarget::Prediction => self.prediction_shift_sd = sd,
        }
    }

    pub fn shift_sd(&self, target: DriftTarget) -> f64 {
        match target {
            DriftTarget::Feature => self.feature_shift_sd,
            DriftTarget::Prediction => self.prediction_shift_sd,
        }
    }

    /// Logs a sample of the `requests` served up to `at`, and forgets values older than the window.
    pub fn observe(&mut self, at: TimeMs, requests: u64) {
        for _ in 0..requests.min(SAMPLED_PER_OBSERVATION_MAX) {
            let (feature, score) = draw(
                &mut self.rng,
                self.feature_shift_sd,
                self.prediction_shift_sd,
            );
            self.serving.push_back(Logged { at, feature, score });
        }
        let start = TimeMs(at.0.saturating_sub(self.window.0));
        while self
            .serving
            .front()
            .is_some_and(|l| l.at <= start || self.serving.len() > SERVING_VALUES_MAX)
        {
            self.serving.pop_front();
        }
    }

    /// Serving values in the window now.
    pub fn serving_values(&self) -> usize {
        self.serving.len()
    }

    /// Drift of the serving window from the reference; `Err` when nothing was served in it.
    pub fn check(&self) -> Result<DriftCheck, InputError> {
        let features: Vec<f64> = self.serving.iter().map(|l| l.feature).collect();
        let scores: Vec<f64> = self.serving.iter().map(|l| l.score).collect();
        Ok(DriftCheck {
            feature: drift(&self.reference_features, &features)?,
            prediction: drift(&self.reference_scores, &scores)?,
            serving_values: features.len(),
        })
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        self.rng.state_words().iter().for_each(|w| hasher.u64(*w));
        hasher.u64(self.window.0);
        hasher.u64(self.feature_shift_sd.to_bits());
        hasher.u64(self.prediction_shift_sd.to_bits());
        hasher.u64(self.serving.len() as u64);
        if let Some(last) = self.serving.back() {
            hasher.u64(last.at.0);
            hasher.u64(last.feature.to_bits());
        }
    }
}

/// One request's feature and score under the given shifts.
fn draw(rng: &mut Rng, feature_shift_sd: f64, prediction_shift_sd: f64) -> (f64, f64) {
    let feature = standard_normal(rng) + feature_shift_sd;
    let noise = standard_normal(rng);
    // The logit's standard deviation at training time, so a prediction shift is in its units.
    let logit_sd = (SCORE_FEATURE_WEIGHT.powi(2) + SCORE_NOISE.powi(2)).sqrt();
    let logit = SCORE_BIAS
        + SCORE_FEATURE_WEIGHT * feature
        + SCORE_NOISE * noise
        + prediction_shift_sd * logit_sd;
    (feature, logistic(logit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    fn monitor() -> DriftMonitor {
        DriftMonitor::new(
            Rng::new(Seed(7)).fork("monitor"),
            DurationMs::from_seconds(300),
        )
    }

    #[test]
    fn an_unshifted_window_shows_little_drift_and_a_shifted_one_much() {
        let mut m = monitor();
        for tick in 1..=30u64 {
            m.observe(TimeMs(tick * 10_000), 200);
        }
        let calm = m.check().unwrap();
        // PSI under 0.1 is read as "no significant change"; 1,200 vs 1,000 draws of one law stay below.
        assert!(calm.feature.psi < 0.1, "{}", calm.feature.psi);
        assert!(calm.feature.ks.p_value > 0.001);
        m.set_shift(DriftTarget::Feature, 1.0);
        for tick in 31..=60u64 {
            m.observe(TimeMs(tick * 10_000), 200);
        }
        let shifted = m.check().unwrap();
        assert!(shifted.feature.psi > 0.25, "{}", shifted.feature.psi);
        assert!(shifted.feature.ks.p_value < 1e-6);
        // The feature moved the scores with it.
        assert!(shifted.prediction.psi > calm.prediction.psi);
    }

    #[test]
    fn a_prediction_shift_leaves_the_feature_alone() {
        let mut m = monitor();
        m.set_shift(DriftTarget::Prediction, 1.0);
        for tick in 1..=30u64 {
            m.observe(TimeMs(tick * 10_000), 200);
        }
        let check = m.check().unwrap();
        assert!(check.feature.psi < 0.1);
        assert!(check.prediction.psi > 0.25);
    }

    #[test]
    fn the_window_forgets_old_values_and_stays_bounded() {
        let mut m = monitor();
        m.observe(TimeMs(10_000), 50);
        m.observe(TimeMs(400_000), 10);
        assert_eq!(m.serving_values(), 10);
        for tick in 0..200u64 {
            m.observe(TimeMs(400_000 + tick), 1_000);
        }
        assert!(m.serving_values() <= SERVING_VALUES_MAX);
        assert!(monitor().check().is_err());
    }
}
