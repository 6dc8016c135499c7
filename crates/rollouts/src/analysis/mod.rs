//! Analysis as Argo Rollouts runs it: measurements taken every interval from a metric provider,
//! each judged by its success and failure conditions, each metric assessed against its limits, and
//! the run's phase the worst of its metrics'.
//!
//! The types here are what a spec's AnalysisTemplate becomes ([`MetricSpec`]) and what a run asks
//! of the world ([`MetricSource`]); the rules live in the submodules.

pub mod assess;
pub mod condition;
pub mod dry_run;
pub mod evaluate;
pub mod run;
pub mod validate;

pub use assess::{
    assess_metric_status, assess_run_status, AnalysisPhase, Measurement, MetricCounts, MetricRun,
    RunPhase,
};
pub use condition::{parse_condition, Condition, ConditionError};
pub use evaluate::{evaluate_result, Value, Verdict};
pub use run::{AnalysisRun, MeasurementTaken, RunSpec};

use crate::value::DurationMs;

/// One metric of an AnalysisTemplate, its templated arguments already substituted.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSpec {
    pub name: String,
    /// Time between measurements; `None` takes one measurement only.
    pub interval: Option<DurationMs>,
    /// How many measurements; `None` (or 0 for a background run) measures until the run ends.
    pub count: Option<u32>,
    pub initial_delay: DurationMs,
    /// An expr-lang condition over `result`, e.g. `result[0] >= 0.95`.
    pub success_condition: Option<String>,
    pub failure_condition: Option<String>,
    /// Failed measurements tolerated (default 0; -1 never fails on failures).
    pub failure_limit: i32,
    /// Inconclusive measurements tolerated (default 0).
    pub inconclusive_limit: i32,
    /// Consecutive errors tolerated (default 4).
    pub consecutive_error_limit: i32,
    /// Consecutive successes that end the metric as Successful (default 0: disabled).
    pub consecutive_success_limit: i32,
    pub provider: Provider,
}

/// Where a metric's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Provider {
    /// A PromQL query against the lab's metrics.
    Prometheus { query: String },
}

/// What a provider returned: Prometheus's result vector (empty when there is no data), or an
/// error (a query that does not parse, a provider that is down).
#[derive(Clone, Debug, PartialEq)]
pub enum QueryResult {
    Vector(Vec<f64>),
    Error(String),
}

/// The world as analysis sees it: a query asked at an instant.
pub trait MetricSource {
    fn query(&self, provider: &Provider, now: crate::value::TimeMs) -> QueryResult;
}
