//! Assessment: a metric's phase from its measurements and limits, and a run's phase from its
//! metrics', by Argo Rollouts' rules (`assessMetricStatus`, `assessMetricFailureInconclusiveOrError`
//! and `assessRunStatus` in Argo's analysis controller).
//!
//! Limits are strict: a metric fails when `failed > failureLimit` (a limit of -1 disables it), is
//! inconclusive when `inconclusive > inconclusiveLimit`, errors when `consecutiveError >
//! consecutiveErrorLimit`; if several hold, Error beats Inconclusive beats Failed. A metric whose
//! count is reached is Successful, unless a `consecutiveSuccessLimit` was asked for and not met
//! (then Inconclusive, or Failed when the failure limit is disabled). A terminated run ends each
//! unfinished metric Successful unless a limit already holds. The run is Running until every
//! metric is done (or some non-dry-run metric ended Failed/Error/Inconclusive, which terminates it)
//! and then takes the worst phase of its non-dry-run metrics, in Argo's order Successful <
//! Running < Pending < Inconclusive < Error < Failed.

use super::evaluate::MetricConditions;
use super::MetricSpec;
use crate::value::TimeMs;

/// The phase of a measurement, a metric or a run. Ordered from best to worst as Argo's
/// `IsWorse` orders them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnalysisPhase {
    Successful,
    Running,
    Pending,
    Inconclusive,
    Error,
    Failed,
}

/// A run's phase has the same values as a metric's.
pub type RunPhase = AnalysisPhase;

impl AnalysisPhase {
    /// Successful, Inconclusive, Error and Failed are final.
    pub fn is_completed(self) -> bool {
        !matches!(self, AnalysisPhase::Pending | AnalysisPhase::Running)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnalysisPhase::Successful => "Successful",
            AnalysisPhase::Running => "Running",
            AnalysisPhase::Pending => "Pending",
            AnalysisPhase::Inconclusive => "Inconclusive",
            AnalysisPhase::Error => "Error",
            AnalysisPhase::Failed => "Failed",
        }
    }
}

/// One measurement: when it was taken, what the provider returned, how it was judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    pub phase: AnalysisPhase,
    pub started_at: TimeMs,
    /// The provider's value as Argo shows it, e.g. `[0.97]`; empty when the query failed.
    pub value: String,
    /// Why the measurement is `Error` (empty otherwise).
    pub message: String,
}

/// A metric's tallies, as Argo's MetricResult keeps them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricCounts {
    /// Measurements that were not errors (Argo's `count`; what `count:` in the spec limits).
    pub count: u32,
    pub successful: u32,
    pub failed: u32,
    pub inconclusive: u32,
    pub error: u32,
    pub consecutive_error: u32,
    pub consecutive_success: u32,
}

impl MetricCounts {
    /// Tallies one more measurement, as Argo's `runMeasurements` does.
    pub fn record(&mut self, phase: AnalysisPhase) {
        match phase {
            AnalysisPhase::Successful => {
                self.successful += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success += 1;
            }
            AnalysisPhase::Failed | AnalysisPhase::Inconclusive => {
                if phase == AnalysisPhase::Failed {
                    self.failed += 1;
                } else {
                    self.inconclusive += 1;
                }
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success = 0;
            }
            AnalysisPhase::Error => {
                self.error += 1;
                self.consecutive_error += 1;
                self.consecutive_success = 0;
            }
            AnalysisPhase::Pending | AnalysisPhase::Running => {}
        }
    }
}

/// One metric of a run: its spec, its measurements and tallies, its phase and why.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRun {
    pub spec: MetricSpec,
    /// Matched by the run's `dryRun` rules: measured and shown, never deciding the run.
    pub dry_run: bool,
    pub measurements: Vec<Measurement>,
    pub counts: MetricCounts,
    pub phase: AnalysisPhase,
    /// Why the metric has its phase, for the page.
    pub message: String,
    pub(crate) conditions: MetricConditions,
    pub(crate) next_due: Option<TimeMs>,
}

impl MetricRun {
    /// A metric not measured yet.
    pub fn new(spec: MetricSpec, dry_run: bool) -> MetricRun {
        let conditions = MetricConditions::parse(
            spec.success_condition.as_deref(),
            spec.failure_condition.as_deref(),
        );
        MetricRun {
            spec,
            dry_run,
            measurements: Vec::new(),
            counts: MetricCounts::default(),
            phase: AnalysisPhase::Pending,
            message: String::new(),
            conditions,
            next_due: None,
        }
    }

    /// Appends a measurement and tallies it.
    pub fn record(&mut self, measurement: Measurement) {
        self.counts.record(measurement.phase);
        self.measurements.push(measurement);
    }

    /// Argo's effective count: `count` if positive; else 1 without an interval; else unbounded.
    pub fn effective_count(&self) -> Option<u32> {
        match (self.spec.count, self.spec.interval) {
            (Some(count), _) if count > 0 => Some(count),
            (_, None) => Some(1),
            (_, Some(_)) => None,
        }
    }

    /// Whether the metric has measured as many times as its count asks.
    pub fn count_reached(&self) -> bool {
        self.effective_count()
            .is_some_and(|count| self.counts.count >= count)
    }
}

/// A phase and the reason for it, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    pub phase: AnalysisPhase,
    pub reason: String,
}

/// Which limit a metric has violated, if any (Argo's `assessMetricFailureInconclusiveOrError`).
pub fn assess_metric_failure_inconclusive_or_error(metric: &MetricRun) -> Option<Assessment> {
    let spec = &metric.spec;
    let counts = &metric.counts;
    let mut violated = None;
    if spec.failure_limit >= 0 && i64::from(counts.failed) > i64::from(spec.failure_limit) {
        violated = Some(Assessment {
            phase: AnalysisPhase::Failed,
            reason: format!(
                "failed ({}) > failureLimit ({})",
                counts.failed, spec.failure_limit
            ),
        });
    }
    if i64::from(counts.inconclusive) > i64::from(spec.inconclusive_limit) {
        violated = Some(Assessment {
            phase: AnalysisPhase::Inconclusive,
            reason: format!(
                "inconclusive ({}) > inconclusiveLimit ({})",
                counts.inconclusive, spec.inconclusive_limit
            ),
        });
    }
    if i64::from(counts.consecutive_error) > i64::from(spec.consecutive_error_limit) {
        violated = Some(Assessment {
            phase: AnalysisPhase::Error,
            reason: format!(
                "consecutiveErrors ({}) > consecutiveErrorLimit ({})",
                counts.consecutive_error, spec.consecutive_error_limit
            ),
        });
    }
    violated
}

/// A metric's phase (Argo's `assessMetricStatus`).
pub fn assess_metric_status(metric: &MetricRun, terminating: bool) -> AnalysisPhase {
    assess_metric(metric, terminating).phase
}

/// A metric's phase with the reason for it.
pub fn assess_metric(metric: &MetricRun, terminating: bool) -> Assessment {
    let phase = |phase: AnalysisPhase, reason: String| Assessment { phase, reason };
    if metric.phase.is_completed() {
        return phase(metric.phase, metric.message.clone());
    }
    let Some(last) = metric.measurements.last() else {
        return if terminating {
            phase(
                AnalysisPhase::Successful,
                "run terminated before the first measurement".to_string(),
            )
        } else {
            phase(
                AnalysisPhase::Pending,
                "waiting for the first measurement".to_string(),
            )
        };
    };
    if !last.phase.is_completed() {
        return phase(
            AnalysisPhase::Running,
            "a measurement is in flight".to_string(),
        );
    }
    if let Some(violated) = assess_metric_failure_inconclusive_or_error(metric) {
        return violated;
    }
    let spec = &metric.spec;
    let success_limit = spec.consecutive_success_limit;
    if success_limit > 0 && i64::from(metric.counts.consecutive_success) >= i64::from(success_limit)
    {
        return phase(
            AnalysisPhase::Successful,
            format!("consecutiveSuccessLimit ({success_limit}) reached"),
        );
    }
    if let Some(count) = metric.effective_count().filter(|_| metric.count_reached()) {
        return count_reached(spec, count);
    }
    if terminating {
        return phase(AnalysisPhase::Successful, "run terminated".to_string());
    }
    phase(AnalysisPhase::Running, "measuring".to_string())
}

/// The three outcomes of a reached count: the failure limit alone decides (Successful, as it was
/// not violated), or an unmet consecutiveSuccessLimit makes it Inconclusive (failure limit in
/// force) or Failed (failure limit disabled).
fn count_reached(spec: &MetricSpec, count: u32) -> Assessment {
    let failure_applies = spec.failure_limit >= 0;
    let success_applies = spec.consecutive_success_limit > 0;
    match (failure_applies, success_applies) {
        (true, true) => Assessment {
            phase: AnalysisPhase::Inconclusive,
            reason: format!(
                "consecutiveSuccessLimit ({}) not reached and failureLimit ({}) not violated",
                spec.consecutive_success_limit, spec.failure_limit
            ),
        },
        (false, true) => Assessment {
            phase: AnalysisPhase::Failed,
            reason: format!(
                "consecutiveSuccessLimit ({}) not reached",
                spec.consecutive_success_limit
            ),
        },
        _ => Assessment {
            phase: AnalysisPhase::Successful,
            reason: format!("count ({count}) reached"),
        },
    }
}

/// Whether the run is ending: terminated by its owner, or a non-dry-run metric has ended badly.
pub fn is_terminating(metrics: &[MetricRun], terminate_requested: bool) -> bool {
    terminate_requested
        || metrics.iter().any(|m| {
            !m.dry_run
                && matches!(
                    m.phase,
                    AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
                )
        })
}

/// Updates every metric's phase and message and returns the run's phase and message (Argo's
/// `assessRunStatus`).
pub fn assess_run_status(
    metrics: &mut [MetricRun],
    terminate_requested: bool,
) -> (AnalysisPhase, String) {
    let terminating = is_terminating(metrics, terminate_requested);
    let mut worst: Option<AnalysisPhase> = None;
    let mut worst_message = if terminate_requested {
        "Run Terminated".to_string()
    } else {
        String::new()
    };
    let mut everything_completed = true;
    for metric in metrics.iter_mut() {
        let assessment = assess_metric(metric, terminating);
        if assessment.phase != metric.phase {
            metric.phase = assessment.phase;
            metric.message = metric_message(metric, &assessment.reason);
        }
        if !metric.phase.is_completed() {
            everything_completed = false;
            continue;
        }
        let violated = assess_metric_failure_inconclusive_or_error(metric);
        if metric.dry_run {
            worst.get_or_insert(AnalysisPhase::Successful);
            if let Some(violated) = violated {
                metric.message = format!(
                    "Metric assessed {} due to {}",
                    metric.phase.as_str(),
                    violated.reason
                );
            }
            continue;
        }
        if worst.is_none_or(|w| metric.phase > w) {
            worst = Some(metric.phase);
            if let Some(violated) = violated {
                worst_message = format!(
                    "Metric \"{}\" assessed {} due to {}",
                    metric.spec.name,
                    metric.phase.as_str(),
                    violated.reason
                );
                if let Some(error) = last_error_message(metric) {
                    worst_message.push_str(&format!(": \"Error Message: {error}\""));
                }
            }
        }
    }
    if terminating {
        return (worst.unwrap_or(AnalysisPhase::Successful), worst_message);
    }
    match worst {
        Some(phase) if everything_completed => (phase, worst_message),
        _ => (AnalysisPhase::Running, String::new()),
    }
}

/// The metric's message on a phase change: its reason, and the last measurement's error if any.
fn metric_message(metric: &MetricRun, reason: &str) -> String {
    match last_error_message(metric) {
        Some(error) => format!("{reason}: {error}"),
        None => reason.to_string(),
    }
}

fn last_error_message(metric: &MetricRun) -> Option<&str> {
    metric
        .measurements
        .last()
        .map(|m| m.message.as_str())
        .filter(|message| !message.is_empty())
}
