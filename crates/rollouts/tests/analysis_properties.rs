//! Properties of analysis runs over generated specs and providers: dry-run metrics never decide a
//! run, a finished run's phase is the worst of its deciding metrics' phases, and measurements
//! are spaced by the metric's interval (10 s after an error).

use proptest::prelude::*;
use rollouts::analysis::{
    AnalysisPhase, AnalysisRun, MetricSource, MetricSpec, Provider, QueryResult, RunSpec,
};
use rollouts::value::{DurationMs, TimeMs};

/// A provider answering each metric from a script of values, one per lab second, cycling; `None`
/// is a failed query and `Some(None)` an empty vector.
#[derive(Debug)]
struct Script(Vec<Option<Option<f64>>>);

impl MetricSource for Script {
    fn query(&self, provider: &Provider, now: TimeMs) -> QueryResult {
        let Provider::Prometheus { query } = provider;
        let offset = query.len() * 7;
        match self.0[((now.0 / 1000) as usize + offset) % self.0.len()] {
            None => QueryResult::Error("provider down".to_string()),
            Some(None) => QueryResult::Vector(Vec::new()),
            Some(Some(value)) => QueryResult::Vector(vec![value]),
        }
    }
}

/// A metric spec Argo's validation accepts.
fn metric_spec(index: usize) -> impl Strategy<Value = MetricSpec> {
    (
        prop::option::of(1u64..60),
        0i32..3,
        0i32..3,
        0i32..5,
        0i32..3,
        0u32..4,
        0u64..30,
        any::<bool>(),
    )
        .prop_map(
            move |(interval_s, failure, inconclusive, errors, successes, extra, delay_s, both)| {
                let count = match interval_s {
                    Some(_) if extra > 0 => {
                        Some(failure.max(0) as u32 + successes as u32 + inconclusive as u32 + extra)
                    }
                    Some(_) => None,
                    None => None,
                };
                let failure_limit = if interval_s.is_some() && successes > 0 && extra == 3 {
                    -1
                } else {
                    failure
                };
                MetricSpec {
                    name: format!("metric-{index}"),
                    interval: interval_s.map(DurationMs::from_seconds),
                    count,
                    initial_delay: DurationMs::from_seconds(delay_s),
                    success_condition: Some("result[0] >= 0.9".to_string()),
                    failure_condition: both.then(|| "result[0] < 0.5".to_string()),
                    failure_limit,
                    inconclusive_limit: inconclusive,
                    consecutive_error_limit: errors,
                    consecutive_success_limit: successes,
                    provider: Provider::Prometheus {
                        query: "q".repeat(index + 1),
                    },
                }
            },
        )
}

fn run_spec() -> impl Strategy<Value = (RunSpec, Vec<bool>)> {
    (1usize..4)
        .prop_flat_map(|n| {
            let metrics: Vec<_> = (0..n).map(metric_spec).collect();
            (metrics, prop::collection::vec(any::<bool>(), n))
        })
        .prop_map(|(metrics, dry)| {
            let dry_run = metrics
                .iter()
                .zip(&dry)
                .filter(|(_, d)| **d)
                .map(|(m, _)| format!("^{}$", m.name))
                .collect();
            (
                RunSpec {
                    name: "run".to_string(),
                    metrics,
                    dry_run,
                },
                dry,
            )
        })
}

fn script() -> impl Strategy<Value = Script> {
    let sample = prop_oneof![
        6 => (0.0f64..1.0).prop_map(|v| Some(Some(v))),
        1 => Just(None),
        1 => Just(Some(None)),
    ];
    prop::collection::vec(sample, 1..40).prop_map(Script)
}

/// The worst phase among the deciding (non-dry-run) metrics; Successful when there are none.
fn worst_deciding(run: &AnalysisRun) -> AnalysisPhase {
    run.metrics()
        .iter()
        .filter(|m| !m.dry_run)
        .map(|m| m.phase)
        .max()
        .unwrap_or(AnalysisPhase::Successful)
}

proptest! {
    #[test]
    fn a_finished_run_has_the_worst_deciding_metric_phase(
        (spec, _) in run_spec(),
        script in script(),
        steps in prop::collection::vec(1u64..90_000, 1..8),
        terminate_at_end in any::<bool>(),
    ) {
        let mut run = AnalysisRun::start(spec, TimeMs(0), true);
        prop_assert_eq!(run.phase(), AnalysisPhase::Pending, "{}", run.message());
        let mut now = TimeMs(0);
        for step in steps {
            now = now.plus(DurationMs(step));
            run.advance(now, &script);
            if !run.is_completed() {
                prop_assert_eq!(run.phase(), AnalysisPhase::Running);
            }
        }
        if terminate_at_end {
            run.terminate(now);
            prop_assert!(run.is_completed());
        }
        if run.is_completed() {
            prop_assert_eq!(run.phase(), worst_deciding(&run));
            prop_assert!(run.next_due().is_none());
        }
    }

    #[test]
    fn dry_run_metrics_never_fail_the_run(
        (mut spec, dry) in run_spec(),
        script in script(),
        horizon_s in 1u64..600,
    ) {
        // Deciding metrics always see a healthy value; only dry-run metrics see the script.
        for (metric, is_dry) in spec.metrics.iter_mut().zip(&dry) {
            if !is_dry {
                metric.success_condition = Some("result[0] >= 0".to_string());
                metric.failure_condition = None;
                // An unmet consecutiveSuccessLimit at the count would end a deciding metric
                // Inconclusive or Failed even when every measurement succeeds.
                metric.consecutive_success_limit = 0;
                metric.failure_limit = metric.failure_limit.max(0);
            }
        }
        struct Mixed<'a> { script: &'a Script, healthy: Vec<String> }
        impl MetricSource for Mixed<'_> {
            fn query(&self, provider: &Provider, now: TimeMs) -> QueryResult {
                let Provider::Prometheus { query } = provider;
                if self.healthy.contains(query) {
                    QueryResult::Vector(vec![1.0])
                } else {
                    self.script.query(provider, now)
                }
            }
        }
        let healthy = spec
            .metrics
            .iter()
            .zip(&dry)
            .filter(|(_, d)| !**d)
            .map(|(m, _)| match &m.provider { Provider::Prometheus { query } => query.clone() })
            .collect();
        let source = Mixed { script: &script, healthy };
        let mut run = AnalysisRun::start(spec, TimeMs(0), true);
        run.advance(TimeMs(horizon_s * 1000), &source);
        prop_assert!(matches!(run.phase(), AnalysisPhase::Running | AnalysisPhase::Successful));
        run.terminate(TimeMs(horizon_s * 1000));
        prop_assert_eq!(run.phase(), AnalysisPhase::Successful);
    }

    #[test]
    fn measurements_are_spaced_by_the_interval(
        (spec, _) in run_spec(),
        script in script(),
        horizon_s in 1u64..900,
    ) {
        let mut run = AnalysisRun::start(spec, TimeMs(0), true);
        run.advance(TimeMs(horizon_s * 1000), &script);
        for metric in run.metrics() {
            let Some(first) = metric.measurements.first() else { continue };
            prop_assert_eq!(first.started_at, TimeMs(0).plus(metric.spec.initial_delay));
            for pair in metric.measurements.windows(2) {
                let expected = if pair[0].phase == AnalysisPhase::Error {
                    DurationMs(10_000)
                } else {
                    metric.spec.interval.unwrap_or(DurationMs(0))
                };
                prop_assert_eq!(pair[1].started_at.since(pair[0].started_at), expected);
            }
        }
    }
}

proptest! {
    #[test]
    fn any_text_parses_or_explains_itself(text in "[ -~]{0,40}|[()\\[\\]{}#!<>=&|+*/%^.0-9a-z ]{0,60}") {
        match rollouts::analysis::parse_condition(&text) {
            Ok(condition) => {
                let _ = condition.evaluate(&rollouts::analysis::Value::from_samples(&[0.5, 1.0]));
            }
            Err(error) => {
                prop_assert!(error.position <= text.len());
                prop_assert!(!error.message.is_empty() && !error.hint.is_empty());
            }
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("{}1{} > 0", "(".repeat(100), ")".repeat(100));
    let error = rollouts::analysis::parse_condition(&text).unwrap_err();
    assert!(
        error.message.contains("nests more than"),
        "{}",
        error.message
    );
    let negations = format!("{}true", "!".repeat(100));
    assert!(rollouts::analysis::parse_condition(&negations).is_err());
    let longest_chain = format!("{}1 > 0", "1+".repeat(997));
    let parsed = rollouts::analysis::parse_condition(&longest_chain).unwrap();
    assert_eq!(
        parsed
            .evaluate(&rollouts::analysis::Value::Nil)
            .map_err(|e| e.message),
        Ok(true)
    );
    let too_long = format!("{}1 > 0", "1+".repeat(1000));
    assert!(rollouts::analysis::parse_condition(&too_long).is_err());
}
