//! An AnalysisRun: the driver that takes each metric's measurements when they are due, judges them
//! and keeps the run's phase, as Argo Rollouts' analysis controller reconciles a run.
//!
//! Timing follows Argo's `generateMetricTasks`: a metric's first measurement is at start +
//! `initialDelay`, the next ones every `interval` after the previous one, and 10 s after a
//! measurement that was an `Error` (Argo's `DefaultErrorRetryInterval`), until the metric's
//! effective count is reached (a metric without interval measures once; `count` 0 or absent with
//! an interval measures until the run ends, whether the run is inline or background). In lab time
//! a measurement due at `t` is taken at exactly `t` (Argo takes it at the first reconcile after
//! `t`). Measurements due at the same instant are taken together, then the run is assessed, as one
//! reconcile does; so a metric that fails at `t` stops its siblings' measurements after `t`, and
//! the run completes at `t` (Argo's status update triggers the reconcile that completes it).
//!
//! Argo keeps only the last 10 measurements of a metric (`measurementRetention` changes that);
//! the lab keeps them all, so the page can show the whole history.

use super::assess::{
    assess_run_status, is_terminating, AnalysisPhase, Measurement, MetricRun, RunPhase,
};
use super::dry_run::dry_run_metrics;
use super::evaluate::Value;
use super::validate::validate_metrics;
use super::{MetricSource, MetricSpec, QueryResult};
use crate::value::{DurationMs, TimeMs};

/// Argo's `DefaultErrorRetryInterval`: how soon a metric is measured again after an error.
pub const ERROR_RETRY_INTERVAL: DurationMs = DurationMs(10_000);

/// What a run measures: its metrics (templated arguments already substituted) and which of them
/// run dry (`dryRun[].metricName` rules, Go regexes searched in the name; `.*` for all).
#[derive(Clone, Debug, PartialEq)]
pub struct RunSpec {
    pub name: String,
    pub metrics: Vec<MetricSpec>,
    pub dry_run: Vec<String>,
}

/// A measurement just taken, for the caller's event log.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasurementTaken {
    pub metric: String,
    pub measurement: Measurement,
}

/// A running (or finished) analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisRun {
    name: String,
    started_at: TimeMs,
    background: bool,
    metrics: Vec<MetricRun>,
    phase: RunPhase,
    message: String,
    terminate_requested: bool,
    completed_at: Option<TimeMs>,
}

impl AnalysisRun {
    /// Creates the run at `now`. An invalid spec (Argo's metric validation, or a dryRun rule that
    /// matches no metric) gives a run that is already `Error`, its message saying why.
    pub fn start(spec: RunSpec, now: TimeMs, background: bool) -> AnalysisRun {
        let names: Vec<&str> = spec.metrics.iter().map(|m| m.name.as_str()).collect();
        let checked =
            validate_metrics(&spec.metrics).and_then(|()| dry_run_metrics(&spec.dry_run, &names));
        let (dry, phase, message) = match checked {
            Ok(dry) => (dry, AnalysisPhase::Pending, String::new()),
            Err(error) => (
                vec![false; spec.metrics.len()],
                AnalysisPhase::Error,
                format!("Analysis spec invalid: {error}"),
            ),
        };
        let metrics = spec
            .metrics
            .into_iter()
            .zip(dry)
            .map(|(metric_spec, dry_run)| {
                let first_due = now.plus(metric_spec.initial_delay);
                let mut metric = MetricRun::new(metric_spec, dry_run);
                metric.next_due = (!phase.is_completed()).then_some(first_due);
                metric
            })
            .collect();
        AnalysisRun {
            name: spec.name,
            started_at: now,
            background,
            metrics,
            phase,
            message,
            terminate_requested: false,
            completed_at: phase.is_completed().then_some(now),
        }
    }

    /// Takes every measurement due up to and including `now`, in time order, assessing the run
    /// after each instant; returns them. Does nothing once the run is completed.
    pub fn advance(&mut self, now: TimeMs, source: &dyn MetricSource) -> Vec<MeasurementTaken> {
        let mut taken = Vec::new();
        if self.phase.is_completed() {
            return taken;
        }
        while let Some(instant) = self.next_due().filter(|due| *due <= now) {
            for metric in self
                .metrics
                .iter_mut()
                .filter(|m| m.next_due == Some(instant))
            {
                let measurement = measure(metric, instant, source);
                metric.record(measurement.clone());
                taken.push(MeasurementTaken {
                    metric: metric.spec.name.clone(),
                    measurement,
                });
            }
            self.assess(instant);
            if self.phase.is_completed() {
                break;
            }
        }
        if taken.is_empty() {
            self.assess(now);
        }
        taken
    }

    /// The rollout no longer needs the run (it completed, was aborted, or moved on): Argo's
    /// `terminate`. Every unfinished metric ends Successful unless one of its limits is already
    /// violated, and the run takes the worst of them ("Run Terminated"). Measurements due at `now`
    /// are not taken: advance to `now` first if they should count.
    pub fn terminate(&mut self, now: TimeMs) {
        if self.phase.is_completed() {
            return;
        }
        self.terminate_requested = true;
        self.assess(now);
    }

    /// Re-assesses every metric and the run at `now`, and schedules the next measurements.
    fn assess(&mut self, now: TimeMs) {
        let (mut phase, mut message) =
            assess_run_status(&mut self.metrics, self.terminate_requested);
        if !phase.is_completed() && is_terminating(&self.metrics, self.terminate_requested) {
            // A metric has just ended the run; Argo's status update triggers another reconcile at
            // once, which sees the run terminating and completes it.
            (phase, message) = assess_run_status(&mut self.metrics, self.terminate_requested);
        }
        if phase != self.phase {
            self.phase = phase;
            self.message = message;
            if phase.is_completed() {
                self.completed_at = Some(now);
            }
        }
        for metric in &mut self.metrics {
            metric.next_due = next_due(metric, self.phase);
        }
    }

    pub fn phase(&self) -> RunPhase {
        self.phase
    }

    pub fn metrics(&self) -> &[MetricRun] {
        &self.metrics
    }

    /// Why the run has its phase (empty while it runs).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn started_at(&self) -> TimeMs {
        self.started_at
    }

    /// A background run measures alongside the rollout's steps and is terminated by it.
    pub fn is_background(&self) -> bool {
        self.background
    }

    /// When the run reached its final phase.
    pub fn completed_at(&self) -> Option<TimeMs> {
        self.completed_at
    }

    pub fn is_completed(&self) -> bool {
        self.phase.is_completed()
    }

    /// The earliest instant a measurement is due; `None` when nothing more will be measured.
    pub fn next_due(&self) -> Option<TimeMs> {
        self.metrics.iter().filter_map(|m| m.next_due).min()
    }
}

/// When the metric's next measurement is due, after its latest one, as `generateMetricTasks`
/// decides; `None` when the metric or the run is finished or the count is reached.
fn next_due(metric: &MetricRun, run_phase: RunPhase) -> Option<TimeMs> {
    if run_phase.is_completed() || metric.phase.is_completed() {
        return None;
    }
    let Some(last) = metric.measurements.last() else {
        return metric.next_due;
    };
    if metric.count_reached() {
        return None;
    }
    let wait = if last.phase == AnalysisPhase::Error {
        ERROR_RETRY_INTERVAL
    } else {
        metric.spec.interval?
    };
    Some(last.started_at.plus(wait))
}

/// Asks the provider and judges its answer.
fn measure(metric: &MetricRun, at: TimeMs, source: &dyn MetricSource) -> Measurement {
    match source.query(&metric.spec.provider, at) {
        QueryResult::Vector(samples) => {
            let verdict = metric
                .conditions
                .evaluate_result(&Value::from_samples(&samples));
            Measurement {
                phase: verdict.phase,
                started_at: at,
                value: format_samples(&samples),
                message: verdict.error.unwrap_or_default(),
            }
        }
        QueryResult::Error(message) => Measurement {
            phase: AnalysisPhase::Error,
            started_at: at,
            value: String::new(),
            message,
        },
    }
}

/// A vector as Argo's Prometheus provider writes it: `[0.97,1]`, `+Inf`, `NaN`.
pub fn format_samples(samples: &[f64]) -> String {
    let shown: Vec<String> = samples
        .iter()
        .map(|s| match *s {
            s if s == f64::INFINITY => "+Inf".to_string(),
            s if s == f64::NEG_INFINITY => "-Inf".to_string(),
            s => format!("{s}"),
        })
        .collect();
    format!("[{}]", shown.join(","))
}
