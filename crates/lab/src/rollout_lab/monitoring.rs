//! Monitoring after (and during) a rollout: Prometheus alert rules with `for:` on each version's
//! error ratio and p99 latency, and on the drift scores the lab computes every five minutes of
//! rollout time and publishes as gauges (`model_drift_psi{what="feature"|"prediction"}`), so
//! drift alerts go through the same rule machinery as the serving ones.

use rollouts::alerts::{AlertManager, AlertRule, AlertState, AlertTransition, CompareOp};
use rollouts::drift::Bins;
use rollouts::metrics::Labels;
use rollouts::monitor::DriftCheck;
use rollouts::value::DurationMs;

/// Prometheus's default rule evaluation interval.
pub const EVALUATION_INTERVAL: DurationMs = DurationMs(60_000);
/// How often drift is computed.
pub const DRIFT_EVERY_MS: u64 = 5 * 60 * 1000;
/// Drift checks kept for the page's history.
pub const DRIFT_HISTORY_MAX: usize = 48;
/// The gauge the drift scores are published as.
pub const DRIFT_GAUGE: &str = "model_drift_psi";

/// The lab's alert rules.
pub fn rules() -> Vec<AlertRule> {
    let rule = |name: &str, expr: &str, threshold: f64, for_s: u64| AlertRule {
        name: name.to_string(),
        expr: expr.to_string(),
        op: CompareOp::Above,
        threshold,
        for_ms: DurationMs::from_seconds(for_s),
    };
    vec![
        rule(
            "HighErrorRate",
            "sum by (version) (rate(istio_requests_total{mirror!=\"true\",response_code=~\"5.*\"}[1m])) / sum by (version) (rate(istio_requests_total{mirror!=\"true\"}[1m]))",
            0.05,
            60,
        ),
        rule(
            "HighLatencyP99",
            "histogram_quantile(0.99, sum by (version, le) (rate(istio_request_duration_milliseconds_bucket{mirror!=\"true\"}[1m])))",
            1000.0,
            120,
        ),
        rule(
            "FeatureDrift",
            "model_drift_psi{what=\"feature\"}",
            0.2,
            300,
        ),
        rule(
            "PredictionDrift",
            "model_drift_psi{what=\"prediction\"}",
            0.2,
            300,
        ),
    ]
}

/// The manager of [`rules`] (fixed rules, checked to parse by this module's test).
pub fn manager() -> AlertManager {
    AlertManager::new(EVALUATION_INTERVAL, rules()).expect("the lab's alert rules parse")
}

/// The gauge labels for a drift score.
pub fn drift_gauge(what: &str) -> Labels {
    Labels::new([("__name__", DRIFT_GAUGE), ("what", what)])
}

/// A rule as the page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRow {
    pub name: String,
    pub expr: String,
    pub op: &'static str,
    pub threshold: f64,
    pub for_ms: u64,
    /// inactive, pending or firing.
    pub state: &'static str,
}

/// Every rule and its worst state now.
pub fn rows(manager: &AlertManager) -> Vec<AlertRow> {
    manager
        .rules()
        .map(|rule| AlertRow {
            name: rule.name.clone(),
            expr: rule.expr.clone(),
            op: rule.op.symbol(),
            threshold: rule.threshold,
            for_ms: rule.for_ms.0,
            state: manager.state(&rule.name).as_str(),
        })
        .collect()
}

/// Alerts firing now.
pub fn firing(manager: &AlertManager) -> usize {
    manager
        .rules()
        .map(|rule| {
            manager
                .active(&rule.name)
                .iter()
                .filter(|(_, a)| a.state == AlertState::Firing)
                .count()
        })
        .sum()
}

/// How a transition reads on the timeline.
pub fn narrate(transition: &AlertTransition) -> String {
    let labels = transition
        .labels
        .pairs()
        .iter()
        .filter(|(name, _)| name != "__name__")
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    let place = if labels.is_empty() {
        String::new()
    } else {
        format!(" {{{labels}}}")
    };
    let verb = if transition.is_resolved() {
        "resolved".to_string()
    } else {
        transition.to.as_str().to_string()
    };
    format!(
        "alert {}{place} {verb} (value {})",
        transition.rule,
        round3(transition.value)
    )
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One drift measure of one distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftMeasure {
    pub psi: f64,
    pub ks_statistic: f64,
    pub ks_p_value: f64,
    pub bins: Bins,
}

/// The latest drift check.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftView {
    pub t_ms: u64,
    pub feature: DriftMeasure,
    pub prediction: DriftMeasure,
    pub serving_values: usize,
}

/// One check in the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DriftPoint {
    pub t_ms: u64,
    pub feature_psi: f64,
    pub prediction_psi: f64,
    pub feature_ks: f64,
    pub prediction_ks: f64,
}

impl DriftView {
    pub fn new(t_ms: u64, check: DriftCheck) -> DriftView {
        let measure = |d: rollouts::drift::Drift| DriftMeasure {
            psi: d.psi,
            ks_statistic: d.ks.statistic,
            ks_p_value: d.ks.p_value,
            bins: d.bins,
        };
        DriftView {
            t_ms,
            serving_values: check.serving_values,
            feature: measure(check.feature),
            prediction: measure(check.prediction),
        }
    }

    pub fn point(&self) -> DriftPoint {
        DriftPoint {
            t_ms: self.t_ms,
            feature_psi: self.feature.psi,
            prediction_psi: self.prediction.psi,
            feature_ks: self.feature.ks_statistic,
            prediction_ks: self.prediction.ks_statistic,
        }
    }

    pub fn narrate(&self) -> String {
        format!(
            "drift check: feature PSI {} (KS {}, p {:.2e}), prediction PSI {} (KS {}, p {:.2e})",
            round3(self.feature.psi),
            round3(self.feature.ks_statistic),
            self.feature.ks_p_value,
            round3(self.prediction.psi),
            round3(self.prediction.ks_statistic),
            self.prediction.ks_p_value
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_parse_and_start_inactive() {
        let manager = AlertManager::new(EVALUATION_INTERVAL, rules()).unwrap();
        assert_eq!(rows(&manager).len(), 4);
        assert!(rows(&manager).iter().all(|r| r.state == "inactive"));
        assert_eq!(firing(&manager), 0);
    }
}
