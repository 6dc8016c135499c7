//! The checks Argo Rollouts makes of a run's metrics before measuring (`ValidateMetrics`): an
//! invalid spec makes the run `Error` with "Analysis spec invalid: ...".
//!
//! One check is the lab's own: an interval of zero, which Argo would answer by measuring at every
//! reconcile, would measure without end at one lab instant, so it is rejected with a hint.

use super::MetricSpec;

/// Checks every metric; the error names the metric's index as Argo's message does.
pub fn validate_metrics(metrics: &[MetricSpec]) -> Result<(), String> {
    if metrics.is_empty() {
        return Err("no metrics specified".to_string());
    }
    for (index, metric) in metrics.iter().enumerate() {
        if metrics[..index]
            .iter()
            .any(|earlier| earlier.name == metric.name)
        {
            return Err(format!(
                "metrics[{index}]: duplicate name '{}'",
                metric.name
            ));
        }
        validate_metric(metric).map_err(|e| format!("metrics[{index}]: {e}"))?;
    }
    Ok(())
}

/// Argo's `ValidateMetric`: limits in range and consistent with the count.
pub fn validate_metric(metric: &MetricSpec) -> Result<(), String> {
    let count = i64::from(metric.count.unwrap_or(0));
    let failure_limit = i64::from(metric.failure_limit);
    let success_limit = i64::from(metric.consecutive_success_limit);
    let inconclusive_limit = i64::from(metric.inconclusive_limit);
    if success_limit < 0 {
        return Err("consecutiveSuccessLimit must be >= 0".to_string());
    }
    if failure_limit < -1 {
        return Err("failureLimit must be >= 0, or -1 to be disabled".to_string());
    }
    if success_limit == 0 && failure_limit == -1 {
        return Err("failureLimit and consecutiveSuccessLimit cannot both be disabled".to_string());
    }
    if inconclusive_limit < 0 {
        return Err("inconclusiveLimit must be >= 0".to_string());
    }
    if metric.consecutive_error_limit < 0 {
        return Err("consecutiveErrorLimit must be >= 0".to_string());
    }
    if count > 0 {
        if failure_limit >= 0 && count < failure_limit + success_limit {
            return Err(format!(
                "count ({count}) must be >= failureLimit + consecutiveSuccessLimit ({failure_limit} + {success_limit}) if both >= 0"
            ));
        }
        if failure_limit < 0 && count < success_limit {
            return Err("count must be >= consecutiveSuccessLimit".to_string());
        }
        if count < inconclusive_limit {
            return Err("count must be >= inconclusiveLimit".to_string());
        }
    }
    if count > 1 && metric.interval.is_none() {
        return Err("interval must be specified when count > 1".to_string());
    }
    if metric.interval.is_some_and(|interval| interval.0 == 0) {
        return Err(
            "interval must be longer than 0s (the lab cannot measure at every instant)".to_string(),
        );
    }
    Ok(())
}
