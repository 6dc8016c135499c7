//! A model version as a server: how slow it answers, how often it fails, how often its predictions
//! are right, and how each of those changes at scheduled instants.
//!
//! Latency is log-normal, given by its median and its 99th percentile: request latencies are
//! positive and right-skewed, a log-normal is the usual first model of them, and a median plus a
//! p99 are the two numbers an operator reads off a dashboard. With `z99` the standard normal's
//! 0.99 quantile (2.3263...), `ln(latency) ~ Normal(mu, sigma)` with `mu = ln(median_ms)` and
//! `sigma = ln(p99_ms / median_ms) / z99`, so that both given percentiles are exact.
//!
//! A response fails with status 500 with the version's error rate; a request routed to a version
//! that is not deployed gets Envoy's 503 ("no healthy upstream") instead, in no time. A successful
//! response carries a prediction that is right with the version's quality; quality may decay
//! linearly from an instant on (a model going stale), which is what drift monitoring is for.

use crate::sampling::{bernoulli, standard_normal};
use crate::value::{TimeMs, VersionName};
use sim::rng::Rng;

/// The standard normal distribution's 0.99 quantile.
const Z_99: f64 = 2.326_347_874_040_840_8;

/// Milliseconds in an hour, for quality decay given per hour.
const MS_PER_HOUR: f64 = 3_600_000.0;

/// A log-normal latency distribution given by two of its percentiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LatencyModel {
    pub median_ms: f64,
    pub p99_ms: f64,
}

impl LatencyModel {
    /// `Err` with a hint when the percentiles cannot describe a log-normal.
    pub fn new(median_ms: f64, p99_ms: f64) -> Result<LatencyModel, String> {
        if !(median_ms.is_finite() && median_ms > 0.0) {
            return Err(format!(
                "a median latency of {median_ms} ms is not possible: give a positive number of milliseconds"
            ));
        }
        if !(p99_ms.is_finite() && p99_ms >= median_ms) {
            return Err(format!(
                "a p99 of {p99_ms} ms below the median of {median_ms} ms is not possible: the 99th percentile is at least the median"
            ));
        }
        Ok(LatencyModel { median_ms, p99_ms })
    }

    /// The log-normal's `sigma` (0 when p99 equals the median: every request takes the median).
    pub fn sigma(&self) -> f64 {
        (self.p99_ms / self.median_ms).ln() / Z_99
    }

    /// One latency draw in milliseconds.
    pub fn draw_ms(&self, rng: &mut Rng) -> f64 {
        let z = standard_normal(rng);
        self.median_ms * (self.sigma() * z).exp()
    }

    /// The latency at standard score `z_score` (0 gives the median, 2.326 the p99), exactly.
    pub fn quantile_ms(&self, z_score: f64) -> f64 {
        self.median_ms * (self.sigma() * z_score).exp()
    }
}

/// How a version behaves at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Behaviour {
    pub latency: LatencyModel,
    /// Percent of responses that fail with a 500.
    pub error_rate_percent: f64,
    /// Percent of predictions that are right, at `quality_since`.
    pub quality_percent: f64,
    /// Percentage points of quality lost per hour of lab time from `quality_since` on.
    pub quality_decay_percent_per_hour: f64,
    /// When `quality_percent` was last set (the decay runs from here).
    pub quality_since: TimeMs,
}

impl Behaviour {
    /// A version answering with the given latency, error rate and quality, not decaying.
    pub fn steady(
        latency: LatencyModel,
        error_rate_percent: f64,
        quality_percent: f64,
    ) -> Behaviour {
        Behaviour {
            latency,
            error_rate_percent,
            quality_percent,
            quality_decay_percent_per_hour: 0.0,
            quality_since: TimeMs(0),
        }
    }

    /// The quality at `now`, after the decay so far, never below 0.
    pub fn quality_at(&self, now: TimeMs) -> f64 {
        let hours = now.since(self.quality_since).0 as f64 / MS_PER_HOUR;
        (self.quality_percent - self.quality_decay_percent_per_hour * hours).clamp(0.0, 100.0)
    }
}

/// A change to a version's behaviour, applied at a scheduled instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BehaviourChange {
    /// The latency's 99th percentile becomes this (the median stays; clamped up to it).
    P99Ms(f64),
    /// The latency's median becomes this (the p99 is raised to it if it was lower).
    MedianMs(f64),
    /// The error rate becomes this percent.
    ErrorRatePercent(f64),
    /// Quality starts decaying by this many percentage points per hour (from its current value).
    QualityDecayPercentPerHour(f64),
    /// Quality is set to this percent, decay stopped.
    QualityPercent(f64),
}

impl BehaviourChange {
    /// Applies the change at `now`.
    pub fn apply(&self, behaviour: &mut Behaviour, now: TimeMs) {
        match *self {
            BehaviourChange::P99Ms(p99_ms) => {
                behaviour.latency.p99_ms = p99_ms.max(behaviour.latency.median_ms);
            }
            BehaviourChange::MedianMs(median_ms) => {
                behaviour.latency.median_ms = median_ms.max(f64::MIN_POSITIVE);
                behaviour.latency.p99_ms = behaviour.latency.p99_ms.max(median_ms);
            }
            BehaviourChange::ErrorRatePercent(percent) => {
                behaviour.error_rate_percent = percent.clamp(0.0, 100.0);
            }
            BehaviourChange::QualityDecayPercentPerHour(rate) => {
                behaviour.quality_percent = behaviour.quality_at(now);
                behaviour.quality_since = now;
                behaviour.quality_decay_percent_per_hour = rate.max(0.0);
            }
            BehaviourChange::QualityPercent(percent) => {
                behaviour.quality_percent = percent.clamp(0.0, 100.0);
                behaviour.quality_since = now;
                behaviour.quality_decay_percent_per_hour = 0.0;
            }
        }
    }
}

/// A behaviour change for one version at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledChange {
    pub at: TimeMs,
    pub version: VersionName,
    pub change: BehaviourChange,
}

/// An HTTP status as the mesh reports it in `response_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok200,
    ServerError500,
    Unavailable503,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Ok200 => "200",
            Status::ServerError500 => "500",
            Status::Unavailable503 => "503",
        }
    }

    pub fn is_server_error(self) -> bool {
        !matches!(self, Status::Ok200)
    }
}

/// One response: its status, how long it took, and (for a 200) whether the prediction was right.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    pub status: Status,
    pub latency_ms: f64,
    pub prediction_correct: Option<bool>,
}

/// A deployed version: its name, its behaviour now, and its own random stream.
#[derive(Clone, Debug, PartialEq)]
pub struct ServedVersion {
    pub name: VersionName,
    pub behaviour: Behaviour,
    rng: Rng,
}

impl ServedVersion {
    /// A version whose draws come from `root.fork("rollouts/serving/<name>")`, so that deploying
    /// another version never shifts this one's story.
    pub fn new(name: VersionName, behaviour: Behaviour, root: &Rng) -> ServedVersion {
        let rng = root.fork(&format!("rollouts/serving/{}", name.0));
        ServedVersion {
            name,
            behaviour,
            rng,
        }
    }

    /// Answers one request at `now`.
    pub fn serve(&mut self, now: TimeMs) -> Response {
        let latency_ms = self.behaviour.latency.draw_ms(&mut self.rng);
        if bernoulli(&mut self.rng, self.behaviour.error_rate_percent / 100.0) {
            return Response {
                status: Status::ServerError500,
                latency_ms,
                prediction_correct: None,
            };
        }
        let quality = self.behaviour.quality_at(now) / 100.0;
        Response {
            status: Status::Ok200,
            latency_ms,
            prediction_correct: Some(bernoulli(&mut self.rng, quality)),
        }
    }

    /// The random stream's state, for the world's fingerprint.
    pub fn rng_words(&self) -> [u64; 4] {
        self.rng.state_words()
    }
}

/// What a request routed to a version that is not deployed gets: Envoy's 503, at once.
pub fn no_healthy_upstream() -> Response {
    Response {
        status: Status::Unavailable503,
        latency_ms: 0.0,
        prediction_correct: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn lognormal_hits_both_percentiles() {
        let model = LatencyModel::new(40.0, 250.0).unwrap();
        assert!((model.quantile_ms(0.0) - 40.0).abs() < 1e-9);
        assert!((model.quantile_ms(Z_99) - 250.0).abs() < 1e-9);
        let mut rng = Rng::new(Seed(9));
        let mut draws: Vec<f64> = (0..50_000).map(|_| model.draw_ms(&mut rng)).collect();
        draws.sort_by(f64::total_cmp);
        let median = draws[25_000];
        let p99 = draws[49_500];
        assert!((median / 40.0 - 1.0).abs() < 0.03, "{median}");
        assert!((p99 / 250.0 - 1.0).abs() < 0.08, "{p99}");
    }

    #[test]
    fn impossible_percentiles_are_refused() {
        assert!(LatencyModel::new(0.0, 10.0).is_err());
        assert!(LatencyModel::new(50.0, 10.0).is_err());
    }

    #[test]
    fn quality_decays_linearly_from_the_change() {
        let latency = LatencyModel::new(10.0, 20.0).unwrap();
        let mut b = Behaviour::steady(latency, 0.0, 90.0);
        BehaviourChange::QualityDecayPercentPerHour(6.0).apply(&mut b, TimeMs(3_600_000));
        assert_eq!(b.quality_at(TimeMs(3_600_000)), 90.0);
        assert!((b.quality_at(TimeMs(5_400_000)) - 87.0).abs() < 1e-9);
        assert_eq!(b.quality_at(TimeMs(3_600_000 * 100)), 0.0);
    }
}
