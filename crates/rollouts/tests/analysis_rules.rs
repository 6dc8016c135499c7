//! Argo Rollouts' analysis rules, transcribed from the cases of its own tests: the evaluate
//! package's tests (conditions and a measurement's phase) and the analysis controller's tests
//! (metric assessment, run assessment, measurement scheduling, termination, dry run). Each test is
//! named after the Go test it transcribes; where Argo's case uses a provider the lab does not have
//! (a Job, a Web metric) the same situation is built from Prometheus measurements.

use rollouts::analysis::assess::{assess_metric_failure_inconclusive_or_error, MetricCounts};
use rollouts::analysis::{
    assess_metric_status, assess_run_status, evaluate_result, parse_condition, AnalysisPhase,
    AnalysisRun, Measurement, MetricRun, MetricSource, MetricSpec, Provider, QueryResult, RunSpec,
    Value,
};
use rollouts::value::{DurationMs, TimeMs};

use AnalysisPhase::{Error, Failed, Inconclusive, Pending, Running, Successful};

/// A metric as Argo's defaults leave it: no interval, no count, limits 0/0/4/0.
fn metric(name: &str) -> MetricSpec {
    MetricSpec {
        name: name.to_string(),
        interval: None,
        count: None,
        initial_delay: DurationMs(0),
        success_condition: None,
        failure_condition: None,
        failure_limit: 0,
        inconclusive_limit: 0,
        consecutive_error_limit: 4,
        consecutive_success_limit: 0,
        provider: Provider::Prometheus {
            query: name.to_string(),
        },
    }
}

fn with_interval(mut spec: MetricSpec, seconds: u64) -> MetricSpec {
    spec.interval = Some(DurationMs::from_seconds(seconds));
    spec
}

fn measurement(phase: AnalysisPhase) -> Measurement {
    Measurement {
        phase,
        started_at: TimeMs(0),
        value: "99".to_string(),
        message: String::new(),
    }
}

/// A metric's result as Argo's tests write one: tallies and the measurements' phases.
fn result(spec: MetricSpec, counts: MetricCounts, phases: &[AnalysisPhase]) -> MetricRun {
    let mut run = MetricRun::new(spec, false);
    run.counts = counts;
    run.measurements = phases.iter().map(|p| measurement(*p)).collect();
    run
}

fn both(metric: &MetricRun) -> (AnalysisPhase, AnalysisPhase) {
    (
        assess_metric_status(metric, false),
        assess_metric_status(metric, true),
    )
}

fn eval(result: &Value, condition: &str) -> Result<bool, String> {
    let parsed = parse_condition(condition).map_err(|e| e.to_string())?;
    parsed.evaluate(result).map_err(|e| e.message)
}

// ---- evaluate_test.go ----

/// `evaluateResult` on `true` with the two conditions: the phase, and whether an error came too.
fn verdict_on_true(success: Option<&str>, failure: Option<&str>) -> (AnalysisPhase, bool) {
    let verdict = evaluate_result(&Value::Bool(true), success, failure);
    (verdict.phase, verdict.error.is_some())
}

#[test]
fn evaluate_result_with_success() {
    assert_eq!(
        verdict_on_true(Some("true"), Some("false")),
        (Successful, false)
    );
}

#[test]
fn evaluate_result_with_failure() {
    assert_eq!(verdict_on_true(Some("true"), Some("true")), (Failed, false));
}

#[test]
fn evaluate_result_inconclusive() {
    assert_eq!(
        verdict_on_true(Some("false"), Some("false")),
        (Inconclusive, false)
    );
}

#[test]
fn evaluate_result_no_success_condition_and_not_failing() {
    assert_eq!(
        verdict_on_true(Some(""), Some("false")),
        (Successful, false)
    );
}

#[test]
fn evaluate_result_no_failure_condition_and_not_successful() {
    assert_eq!(verdict_on_true(Some("false"), Some("")), (Failed, false));
}

#[test]
fn evaluate_result_no_failure_condition_and_no_success_condition() {
    assert_eq!(verdict_on_true(None, None), (Successful, false));
}

#[test]
fn evaluate_result_with_error_on_success_condition() {
    assert_eq!(
        verdict_on_true(Some("a == true"), Some("true")),
        (Error, true)
    );
}

#[test]
fn evaluate_result_with_error_on_failure_condition() {
    assert_eq!(
        verdict_on_true(Some("true"), Some("a == true")),
        (Error, true)
    );
}

#[test]
fn evaluate_condition_with_success() {
    assert_eq!(eval(&Value::Bool(true), "result == true"), Ok(true));
}

#[test]
fn evaluate_condition_with_failure() {
    assert_eq!(eval(&Value::Bool(true), "result == false"), Ok(false));
}

#[test]
fn error_with_non_bool_return() {
    assert_eq!(
        eval(&Value::Bool(true), "1"),
        Err("expected bool, but got number".to_string())
    );
}

#[test]
fn error_with_invalid_reference() {
    let error = parse_condition("invalidVariable").unwrap_err();
    assert_eq!(error.message, "unknown name invalidVariable");
    assert_eq!(error.position, 0);
}

#[test]
fn evaluate_array() {
    let result = Value::from_samples(&[2.0, 2.0]);
    assert_eq!(eval(&result, "all(result, {# > 1})"), Ok(true));
    assert_eq!(eval(&result, "all(result, {# > 2})"), Ok(false));
    assert_eq!(eval(&result, "any(result, {# >= 2})"), Ok(true));
}

#[test]
fn evaluate_in_operator() {
    let result = Value::from_samples(&[2.0, 2.0]);
    assert_eq!(eval(&result, "2 in result"), Ok(true));
    assert_eq!(eval(&result, "3 in result"), Ok(false));
}

#[test]
fn evaluate_float64() {
    assert_eq!(eval(&Value::Number(5.0), "result > 1"), Ok(true));
}

#[test]
fn evaluate_invalid_struct() {
    let error = parse_condition("result.Name() == 'hi'").unwrap_err();
    assert_eq!(error.position, 6);
}

#[test]
fn evaluate_as_int_panic() {
    assert!(eval(&Value::Text("1.1".to_string()), "asInt(result) == 1.1").is_err());
}

#[test]
fn evaluate_as_int() {
    for input in [
        Value::Text("1".to_string()),
        Value::Number(1.0),
        Value::Number(1.123),
    ] {
        assert_eq!(eval(&input, "asInt(result) == 1"), Ok(true));
    }
}

#[test]
fn evaluate_as_float_error() {
    assert!(eval(
        &Value::Text("NotANum".to_string()),
        "asFloat(result) == 1.1"
    )
    .is_err());
    let mismatched = eval(
        &Value::Text("1.1".to_string()),
        "asFloat(result) == \"1.1\"",
    );
    assert!(mismatched
        .unwrap_err()
        .contains("invalid operation: == (mismatched types number and string)"));
}

#[test]
fn evaluate_as_float() {
    let text = Value::Text("1.1".to_string());
    for condition in [
        "asFloat(result) == 1.1",
        "asFloat(result) >= 1.1",
        "asFloat(result) <= 1.1",
    ] {
        assert_eq!(eval(&text, condition), Ok(true));
    }
    assert_eq!(
        eval(&Value::Number(1.1), "asFloat(result) == 1.1"),
        Ok(true)
    );
    assert_eq!(eval(&Value::Number(1.0), "asFloat(result) >= 1"), Ok(true));
}

#[test]
fn is_inf() {
    assert_eq!(
        eval(&Value::Number(f64::INFINITY), "isInf(result)"),
        Ok(true)
    );
    assert_eq!(eval(&Value::Number(0.0), "isInf(result)"), Ok(false));
    assert_eq!(
        eval(&Value::from_samples(&[f64::NAN]), "isNaN(result[0])"),
        Ok(true)
    );
}

#[test]
fn default_func() {
    for fallback in [0.0, 1.0, 2.0] {
        let condition = format!("default(result, {fallback}) == {fallback}");
        assert_eq!(eval(&Value::Nil, &condition), Ok(true));
    }
    assert_eq!(
        eval(&Value::Number(1.0), "default(result, 0) == 1"),
        Ok(true)
    );
    // An empty Prometheus vector is not nil: default() returns it, as Argo's does.
    assert_eq!(
        eval(&Value::from_samples(&[]), "len(default(result, 0)) == 0"),
        Ok(true)
    );
    // default() returns the provider's whole result, whatever its first argument.
    let vector = Value::from_samples(&[0.97]);
    assert!(eval(&vector, "default(result[0], 0) >= 0.95").is_err());
    assert!(eval(&Value::from_samples(&[]), "default(result[0], 0) >= 0.95").is_err());
}

#[test]
fn is_nil_func() {
    assert_eq!(eval(&Value::Nil, "isNil(result)"), Ok(true));
    assert_eq!(eval(&Value::Number(1.0), "isNil(result)"), Ok(false));
}

/// The message of a measurement `evaluateResult` turns into an Error, which must hold every one
/// of `needles`.
fn assert_error_message(
    result: &Value,
    success: Option<&str>,
    failure: Option<&str>,
    needles: &[&str],
) {
    let verdict = evaluate_result(result, success, failure);
    assert_eq!(verdict.phase, Error, "{success:?} / {failure:?}");
    let message = verdict.error.unwrap_or_default();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
}

#[test]
fn evaluate_result_error_message_with_nil_result() {
    assert_error_message(
        &Value::Nil,
        Some("result[0] >= 0.95"),
        None,
        &["metric result is nil or empty", "successCondition"],
    );
}

#[test]
fn evaluate_result_error_message_with_empty_slice() {
    assert_error_message(
        &Value::from_samples(&[]),
        Some("result[0] >= 0.95"),
        None,
        &["metric result is nil or empty", "successCondition"],
    );
}

#[test]
fn evaluate_result_error_message_with_invalid_expression() {
    assert_error_message(
        &Value::Bool(true),
        Some("a == true"),
        None,
        &["could not evaluate successCondition", "a == true"],
    );
}

#[test]
fn evaluate_result_error_message_on_failure_condition() {
    assert_error_message(
        &Value::Bool(true),
        Some("true"),
        Some("invalidVar == true"),
        &["could not evaluate failureCondition", "invalidVar == true"],
    );
}

// ---- the lab's Prometheus results and the expr-lang subset ----

#[test]
fn a_prometheus_vector_is_a_list_not_a_scalar() {
    let result = Value::from_samples(&[0.97]);
    assert_eq!(eval(&result, "result[0] >= 0.95"), Ok(true));
    assert_eq!(eval(&result, "len(result) == 1"), Ok(true));
    assert_eq!(eval(&result, "result[-1] == 0.97"), Ok(true));
    let direct = eval(&result, "result >= 0.95").unwrap_err();
    assert!(
        direct.contains("mismatched types list and number"),
        "{direct}"
    );
    let out_of_range = eval(&result, "result[1] > 0").unwrap_err();
    assert!(
        out_of_range.contains("index out of range"),
        "{out_of_range}"
    );
}

#[test]
fn operators_follow_expr_lang_precedence() {
    let r = Value::from_samples(&[2.0, 3.0]);
    assert_eq!(eval(&r, "1 + 2 * 3 == 7"), Ok(true));
    assert_eq!(eval(&r, "(1 + 2) * 3 == 9"), Ok(true));
    assert_eq!(eval(&r, "2 ** 3 ** 2 == 512"), Ok(true));
    assert_eq!(eval(&r, "-2 ** 2 == -4"), Ok(true));
    assert_eq!(eval(&r, "7 % 4 == 3 && 10 / 4 == 2.5"), Ok(true));
    assert_eq!(eval(&r, "true || false && false"), Ok(true));
    assert_eq!(eval(&r, "not false and !(1 > 2)"), Ok(true));
    assert_eq!(eval(&r, "result[0] < 1 or result[1] >= 3"), Ok(true));
    assert_eq!(eval(&r, "1 / 0 > 1e308"), Ok(true));
    assert_eq!(
        eval(&r, "false && result[9] > 0"),
        Ok(false),
        "&& short-circuits"
    );
    assert!(eval(&r, "1 && true").is_err());
    assert!(eval(&r, "5.5 % 2 == 1").is_err());
}

#[test]
fn parse_errors_say_where_and_how() {
    let cases = [
        ("result[0] >=", 12, "ends where a value was expected"),
        ("result[0 > 1", 12, "expected `]`"),
        ("(result[0] > 1", 14, "expected `)`"),
        ("result[0] > 1 1", 14, "unexpected number 1"),
        ("len(result, 1) > 0", 0, "len() takes 1 argument(s), got 2"),
        ("# > 1", 0, "`#` outside a predicate"),
        ("result[0] $ 1", 10, "unexpected character '$'"),
        ("rezult[0] > 1", 0, "unknown name rezult"),
    ];
    for (text, position, message) in cases {
        let error = parse_condition(text).unwrap_err();
        assert_eq!(error.position, position, "{text}: {error}");
        assert!(error.message.contains(message), "{text}: {error}");
        assert!(!error.hint.is_empty());
    }
}

// ---- analysis_test.go: assessMetricStatus ----

#[test]
fn assess_metric_status_no_measurements() {
    let metric = result(metric("success-rate"), MetricCounts::default(), &[]);
    assert_eq!(both(&metric), (Pending, Successful));
}

#[test]
fn assess_metric_status_in_flight_measurement() {
    let metric = result(
        metric("success-rate"),
        MetricCounts::default(),
        &[Successful, Running],
    );
    assert_eq!(both(&metric), (Running, Running));
}

/// One row of Argo's assessMetricStatus tables: a metric measured every 60s with `limits` set,
/// its tallies and its last measurement's phase, and the phases expected while the run goes on and
/// once it is terminating.
struct StatusCase {
    label: &'static str,
    limits: fn(&mut MetricSpec),
    counts: MetricCounts,
    last: AnalysisPhase,
    want: (AnalysisPhase, AnalysisPhase),
}

/// Runs each row; a failing row names itself.
fn assert_status_cases(test: &str, cases: &[StatusCase]) {
    for case in cases {
        let mut spec = with_interval(metric("success-rate"), 60);
        (case.limits)(&mut spec);
        let metric = result(spec, case.counts, &[case.last]);
        assert_eq!(both(&metric), case.want, "{test}: {}", case.label);
    }
}

#[test]
fn assess_metric_status_failure_limit() {
    let counts = MetricCounts {
        failed: 3,
        count: 3,
        ..MetricCounts::default()
    };
    assert_status_cases(
        "failure limit",
        &[
            StatusCase {
                label: "3 failures > failureLimit 2",
                limits: |spec| spec.failure_limit = 2,
                counts,
                last: Failed,
                want: (Failed, Failed),
            },
            StatusCase {
                label: "3 failures within failureLimit 3",
                limits: |spec| spec.failure_limit = 3,
                counts,
                last: Failed,
                want: (Running, Successful),
            },
        ],
    );
}

#[test]
fn assess_metric_status_consecutive_success_limit() {
    let counts = MetricCounts {
        failed: 3,
        successful: 4,
        consecutive_success: 3,
        count: 7,
        ..MetricCounts::default()
    };
    let row = |label, limits, want| StatusCase {
        label,
        limits,
        counts,
        last: Failed,
        want,
    };
    assert_status_cases(
        "consecutive success limit",
        &[
            row(
                "indefinite, limit 3 reached",
                |spec| {
                    spec.failure_limit = -1;
                    spec.consecutive_success_limit = 3;
                },
                (Successful, Successful),
            ),
            row(
                "indefinite, limit 5 not reached",
                |spec| {
                    spec.failure_limit = -1;
                    spec.consecutive_success_limit = 5;
                },
                (Running, Successful),
            ),
            row(
                "count 7 reached, limit 5 not reached",
                |spec| {
                    spec.failure_limit = -1;
                    spec.consecutive_success_limit = 5;
                    spec.count = Some(7);
                },
                (Failed, Failed),
            ),
            row(
                "count 7 reached, limit 3 reached",
                |spec| {
                    spec.failure_limit = -1;
                    spec.consecutive_success_limit = 3;
                    spec.count = Some(7);
                },
                (Successful, Successful),
            ),
            row(
                "count 9 not reached, limit 3 reached",
                |spec| {
                    spec.failure_limit = -1;
                    spec.consecutive_success_limit = 3;
                    spec.count = Some(9);
                },
                (Successful, Successful),
            ),
            row(
                "count 9 not reached, limit 5 not reached",
                |spec| {
                    spec.failure_limit = -1;
                    spec.consecutive_success_limit = 5;
                    spec.count = Some(9);
                },
                (Running, Successful),
            ),
        ],
    );
}

/// A row of Argo's table for both limits: the metric's count, its failed, successful and measured
/// tallies, its consecutive successes, and the phases expected.
type LimitsRow = (
    Option<u32>,
    u32,
    u32,
    u32,
    u32,
    (AnalysisPhase, AnalysisPhase),
);

#[test]
fn assess_metric_status_failure_limit_and_consecutive_success_limit() {
    let rows: [LimitsRow; 12] = [
        // Indefinite analysis.
        (None, 3, 4, 7, 3, (Running, Successful)),
        (None, 5, 9, 9, 0, (Failed, Failed)),
        (None, 3, 5, 8, 4, (Successful, Successful)),
        (None, 5, 5, 10, 4, (Failed, Failed)),
        // Count 10, reached.
        (Some(10), 4, 6, 10, 3, (Inconclusive, Inconclusive)),
        (Some(10), 5, 5, 10, 3, (Failed, Failed)),
        (Some(10), 4, 6, 10, 4, (Successful, Successful)),
        (Some(10), 5, 5, 10, 4, (Failed, Failed)),
        // Count 10, not reached.
        (Some(10), 3, 5, 8, 3, (Running, Successful)),
        (Some(10), 5, 3, 8, 3, (Failed, Failed)),
        (Some(10), 3, 5, 8, 4, (Successful, Successful)),
        (Some(10), 5, 4, 9, 4, (Failed, Failed)),
    ];
    for (row, (count, failed, successful, measured, consecutive_success, want)) in
        rows.into_iter().enumerate()
    {
        let mut spec = with_interval(metric("success-rate"), 60);
        spec.failure_limit = 4;
        spec.consecutive_success_limit = 4;
        spec.count = count;
        let counts = MetricCounts {
            failed,
            successful,
            count: measured,
            consecutive_success,
            ..MetricCounts::default()
        };
        let metric = result(spec, counts, &[Failed]);
        assert_eq!(both(&metric), want, "row {row}");
    }
}

#[test]
fn assess_metric_status_inconclusive_limit() {
    let counts = MetricCounts {
        inconclusive: 3,
        count: 3,
        ..MetricCounts::default()
    };
    assert_status_cases(
        "inconclusive limit",
        &[
            StatusCase {
                label: "3 inconclusive > inconclusiveLimit 2",
                limits: |spec| spec.inconclusive_limit = 2,
                counts,
                last: Inconclusive,
                want: (Inconclusive, Inconclusive),
            },
            StatusCase {
                label: "3 inconclusive within inconclusiveLimit 3",
                limits: |spec| spec.inconclusive_limit = 3,
                counts,
                last: Inconclusive,
                want: (Running, Successful),
            },
        ],
    );
}

#[test]
fn assess_metric_status_consecutive_errors() {
    let errors = |consecutive_error| MetricCounts {
        consecutive_error,
        count: 5,
        ..MetricCounts::default()
    };
    assert_status_cases(
        "consecutive errors",
        &[
            StatusCase {
                label: "5 consecutive errors > limit 4",
                limits: |_| {},
                counts: errors(5),
                last: Error,
                want: (Error, Error),
            },
            StatusCase {
                label: "4 consecutive errors within limit 4",
                limits: |_| {},
                counts: errors(4),
                last: Error,
                want: (Running, Successful),
            },
        ],
    );
}

#[test]
fn assess_metric_status_count_reached() {
    let mut spec = metric("success-rate");
    spec.count = Some(10);
    let mut counts = MetricCounts {
        successful: 10,
        count: 10,
        ..MetricCounts::default()
    };
    assert_eq!(
        assess_metric_status(&result(spec.clone(), counts, &[Successful]), false),
        Successful
    );
    counts.successful = 5;
    counts.inconclusive = 5;
    assert_eq!(
        assess_metric_status(&result(spec, counts, &[Successful]), false),
        Inconclusive
    );
}

#[test]
fn assess_metric_failure_inconclusive_or_error_messages() {
    let spec = metric("m");
    let cases = [
        (
            MetricCounts {
                failed: 1,
                ..MetricCounts::default()
            },
            Failed,
            "failed (1) > failureLimit (0)",
        ),
        (
            MetricCounts {
                inconclusive: 1,
                ..MetricCounts::default()
            },
            Inconclusive,
            "inconclusive (1) > inconclusiveLimit (0)",
        ),
        (
            MetricCounts {
                consecutive_error: 5,
                ..MetricCounts::default()
            },
            Error,
            "consecutiveErrors (5) > consecutiveErrorLimit (4)",
        ),
    ];
    for (counts, phase, message) in cases {
        let metric = result(spec.clone(), counts, &[phase]);
        let violated = assess_metric_failure_inconclusive_or_error(&metric).unwrap();
        assert_eq!((violated.phase, violated.reason.as_str()), (phase, message));
        assert_eq!(assess_metric_status(&metric, true), phase);
    }
    let disabled = MetricSpec {
        failure_limit: -1,
        consecutive_success_limit: 1,
        ..spec
    };
    let many_failures = MetricCounts {
        failed: 100,
        ..MetricCounts::default()
    };
    assert_eq!(
        assess_metric_failure_inconclusive_or_error(&result(disabled, many_failures, &[Failed])),
        None
    );
}

// ---- analysis_test.go: assessRunStatus ----

fn completed(name: &str, phase: AnalysisPhase) -> MetricRun {
    let mut metric = MetricRun::new(metric(name), false);
    metric.phase = phase;
    metric
}

#[test]
fn assess_run_status_takes_the_worst_completed_metric() {
    let mut metrics = vec![
        completed("latency", Successful),
        completed("success-rate", Running),
    ];
    assert_eq!(
        assess_run_status(&mut metrics, false),
        (Running, String::new())
    );
    let mut metrics = vec![
        completed("latency", Successful),
        completed("success-rate", Failed),
    ];
    assert_eq!(
        assess_run_status(&mut metrics, false),
        (Failed, String::new())
    );
}

#[test]
fn assess_run_status_update_result() {
    let running = result(
        metric("sleep-infinity"),
        MetricCounts::default(),
        &[Running],
    );
    let counts = MetricCounts {
        count: 1,
        failed: 1,
        ..MetricCounts::default()
    };
    let mut fail_after_30 = result(metric("fail-after-30"), counts, &[Failed]);
    fail_after_30.phase = Running;
    let mut metrics = vec![running, fail_after_30];
    // The failing metric flips to Failed; the run is still running its in-flight sibling... until
    // the next assessment sees a terminating run.
    let (phase, message) = assess_run_status(&mut metrics, false);
    assert_eq!(metrics[1].phase, Failed);
    assert_eq!((phase, message.as_str()), (Running, ""));
}

/// Argo's `newTerminatingRun`: "run-forever" still measuring, "failed-metric" finished `status`.
fn terminating_run(status: AnalysisPhase, dry_run: bool) -> Vec<MetricRun> {
    let mut run_forever = result(metric("run-forever"), MetricCounts::default(), &[Running]);
    run_forever.phase = Running;
    let mut counts = MetricCounts {
        count: 1,
        ..MetricCounts::default()
    };
    match status {
        Failed => counts.failed = 1,
        Inconclusive => counts.inconclusive = 1,
        Error => counts.error = 1,
        _ => {}
    }
    let mut failed_metric = result(metric("failed-metric"), counts, &[status]);
    failed_metric.phase = status;
    run_forever.dry_run = dry_run;
    failed_metric.dry_run = dry_run;
    vec![run_forever, failed_metric]
}

/// Assesses Argo's terminating run once "run-forever" has succeeded, the failed metric's
/// measurement carrying `provider_message`.
fn assess_after_the_sibling_succeeds(
    dry_run: bool,
    provider_message: &str,
) -> (AnalysisPhase, String) {
    let mut metrics = terminating_run(Failed, dry_run);
    metrics[0].phase = Successful;
    metrics[1].measurements[0].message = provider_message.to_string();
    assess_run_status(&mut metrics, false)
}

#[test]
fn assess_run_status_error_message_analysis_phase_fail() {
    assert_eq!(
        assess_after_the_sibling_succeeds(false, ""),
        (
            Failed,
            "Metric \"failed-metric\" assessed Failed due to failed (1) > failureLimit (0)"
                .to_string()
        )
    );
}

#[test]
fn assess_run_status_error_message_analysis_phase_fail_in_dry_run_mode() {
    assert_eq!(
        assess_after_the_sibling_succeeds(true, ""),
        (Successful, String::new())
    );
}

#[test]
fn assess_run_status_error_message_from_provider() {
    assert_eq!(
        assess_after_the_sibling_succeeds(false, "Provider Error"),
        (
            Failed,
            "Metric \"failed-metric\" assessed Failed due to failed (1) > failureLimit (0): \"Error Message: Provider Error\"".to_string()
        )
    );
}

#[test]
fn assess_run_status_error_message_from_provider_in_dry_run_mode() {
    assert_eq!(
        assess_after_the_sibling_succeeds(true, "Provider Error"),
        (Successful, String::new())
    );
}

#[test]
fn assess_run_status_multiple_failures() {
    let mut metrics = terminating_run(Failed, false);
    metrics[0].phase = Failed;
    metrics[0].counts.failed = 1;
    let (phase, message) = assess_run_status(&mut metrics, false);
    assert_eq!(phase, Failed);
    assert_eq!(
        message,
        "Metric \"run-forever\" assessed Failed due to failed (1) > failureLimit (0)"
    );
}

#[test]
fn assess_run_status_multiple_failures_in_dry_run_mode() {
    let mut metrics = terminating_run(Failed, true);
    metrics[0].phase = Failed;
    metrics[0].counts.failed = 1;
    assert_eq!(
        assess_run_status(&mut metrics, false),
        (Successful, String::new())
    );
    for metric in &metrics {
        assert_eq!(
            metric.message,
            "Metric assessed Failed due to failed (1) > failureLimit (0)"
        );
    }
}

#[test]
fn assess_run_status_with_only_dry_run_metrics() {
    let counts = MetricCounts {
        count: 1,
        successful: 1,
        ..MetricCounts::default()
    };
    let mut only = result(metric("success-metric"), counts, &[Successful]);
    only.dry_run = true;
    only.phase = Successful;
    assert_eq!(assess_run_status(&mut [only], false).0, Successful);
}

#[test]
fn assess_run_status_with_mixed_metrics() {
    let inconclusive = MetricCounts {
        inconclusive: 1,
        ..MetricCounts::default()
    };
    let mut run_forever = result(metric("run-forever"), inconclusive, &[Inconclusive]);
    run_forever.phase = Running;
    let failed = MetricCounts {
        count: 1,
        failed: 1,
        ..MetricCounts::default()
    };
    let mut dry = result(metric("success-metric"), failed, &[Failed]);
    dry.dry_run = true;
    dry.phase = Successful;
    let mut metrics = vec![run_forever, dry];
    // First assessment: run-forever turns Inconclusive, the run is terminating; the next reconcile
    // completes it.
    assess_run_status(&mut metrics, false);
    let (phase, message) = assess_run_status(&mut metrics, false);
    assert_eq!(phase, Inconclusive);
    assert_eq!(
        message,
        "Metric \"run-forever\" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)"
    );
}

// ---- analysis_test.go: the controller driving a run ----

/// A provider whose answer is a function of the query and the time.
struct Scripted<F: Fn(&str, TimeMs) -> QueryResult>(F);

impl<F: Fn(&str, TimeMs) -> QueryResult> MetricSource for Scripted<F> {
    fn query(&self, provider: &Provider, now: TimeMs) -> QueryResult {
        let Provider::Prometheus { query } = provider;
        (self.0)(query, now)
    }
}

fn constant(value: f64) -> Scripted<impl Fn(&str, TimeMs) -> QueryResult> {
    Scripted(move |_: &str, _: TimeMs| QueryResult::Vector(vec![value]))
}

fn spec(metrics: Vec<MetricSpec>, dry_run: &[&str]) -> RunSpec {
    RunSpec {
        name: "canary-analysis".to_string(),
        metrics,
        dry_run: dry_run.iter().map(|s| s.to_string()).collect(),
    }
}

fn success_rate(interval_s: Option<u64>, count: Option<u32>) -> MetricSpec {
    let mut spec = metric("success-rate");
    spec.interval = interval_s.map(DurationMs::from_seconds);
    spec.count = count;
    spec.success_condition = Some("result[0] >= 0.95".to_string());
    spec
}

fn times(run: &AnalysisRun, metric: usize) -> Vec<u64> {
    run.metrics()[metric]
        .measurements
        .iter()
        .map(|m| m.started_at.0 / 1000)
        .collect()
}

#[test]
fn generate_metric_tasks_interval() {
    let mut run = AnalysisRun::start(
        spec(vec![success_rate(Some(60), None)], &[]),
        TimeMs(0),
        true,
    );
    assert_eq!(run.phase(), Pending);
    run.advance(TimeMs(59_999), &constant(0.99));
    assert_eq!((times(&run, 0), run.phase()), (vec![0], Running));
    assert_eq!(run.next_due(), Some(TimeMs(60_000)));
    run.advance(TimeMs(180_000), &constant(0.99));
    assert_eq!(times(&run, 0), vec![0, 60, 120, 180]);
    assert_eq!(run.phase(), Running, "no count: measures until terminated");
}

#[test]
fn generate_metric_tasks_no_interval_or_count() {
    let mut run = AnalysisRun::start(
        spec(vec![success_rate(None, None)], &[]),
        TimeMs(5_000),
        false,
    );
    let taken = run.advance(TimeMs(100_000), &constant(0.99));
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].measurement.value, "[0.99]");
    assert_eq!((run.phase(), run.next_due()), (Successful, None));
    assert_eq!(run.metrics()[0].message, "count (1) reached");
    assert_eq!(run.completed_at(), Some(TimeMs(5_000)));
}

#[test]
fn generate_metric_tasks_honor_initial_delay() {
    let mut delayed = success_rate(Some(20), Some(2));
    delayed.initial_delay = DurationMs::from_seconds(20);
    let mut run = AnalysisRun::start(spec(vec![delayed], &[]), TimeMs(0), false);
    assert!(run.advance(TimeMs(19_999), &constant(0.99)).is_empty());
    assert_eq!(
        (run.phase(), run.next_due()),
        (Running, Some(TimeMs(20_000)))
    );
    run.advance(TimeMs(100_000), &constant(0.99));
    assert_eq!((times(&run, 0), run.phase()), (vec![20, 40], Successful));
}

#[test]
fn generate_metric_tasks_error() {
    // After an Error the metric is measured again 10s later, whatever its interval.
    let failing_then_ok = Scripted(|_: &str, now: TimeMs| {
        if now.0 < 10_000 {
            QueryResult::Error("prometheus is down".to_string())
        } else {
            QueryResult::Vector(vec![0.99])
        }
    });
    let mut run = AnalysisRun::start(
        spec(vec![success_rate(Some(300), Some(2))], &[]),
        TimeMs(0),
        false,
    );
    run.advance(TimeMs(400_000), &failing_then_ok);
    assert_eq!(times(&run, 0), vec![0, 10, 310]);
    let counts = run.metrics()[0].counts;
    assert_eq!((counts.count, counts.error, counts.successful), (2, 1, 2));
    assert_eq!(run.phase(), Successful);
}

#[test]
fn calculate_next_reconcile_earliest_metric() {
    let mut slow = success_rate(Some(60), None);
    slow.name = "slow".to_string();
    let mut fast = success_rate(Some(10), None);
    fast.name = "fast".to_string();
    fast.initial_delay = DurationMs::from_seconds(5);
    let mut run = AnalysisRun::start(spec(vec![slow, fast], &[]), TimeMs(0), true);
    run.advance(TimeMs(0), &constant(0.99));
    assert_eq!(run.next_due(), Some(TimeMs(5_000)));
    run.advance(TimeMs(30_000), &constant(0.99));
    assert_eq!((times(&run, 0), times(&run, 1)), (vec![0], vec![5, 15, 25]));
    assert_eq!(run.next_due(), Some(TimeMs(35_000)));
}

#[test]
fn reconcile_analysis_run_terminate_sibling_after_fail() {
    let mut latency = metric("latency");
    latency.interval = Some(DurationMs::from_seconds(10));
    latency.success_condition = Some("result[0] < 500".to_string());
    let source = Scripted(|query: &str, now: TimeMs| match query {
        "success-rate" => QueryResult::Vector(vec![if now.0 >= 20_000 { 0.5 } else { 0.99 }]),
        _ => QueryResult::Vector(vec![120.0]),
    });
    let mut run = AnalysisRun::start(
        spec(vec![latency, success_rate(Some(10), None)], &[]),
        TimeMs(0),
        true,
    );
    run.advance(TimeMs(100_000), &source);
    assert_eq!(run.phase(), Failed);
    assert_eq!(run.completed_at(), Some(TimeMs(20_000)));
    assert_eq!(
        times(&run, 0),
        vec![0, 10, 20],
        "the sibling stops with the failure"
    );
    assert_eq!(run.metrics()[0].phase, Successful);
    assert_eq!(run.metrics()[1].phase, Failed);
    assert_eq!(
        run.message(),
        "Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)"
    );
    assert!(
        run.advance(TimeMs(200_000), &source).is_empty(),
        "a completed run measures no more"
    );
}

#[test]
fn run_measurements_reset_consecutive_error_counter() {
    let mut counts = MetricCounts {
        consecutive_error: 4,
        count: 4,
        error: 4,
        ..MetricCounts::default()
    };
    counts.record(Error);
    assert_eq!(
        (counts.consecutive_error, counts.error, counts.count),
        (5, 5, 4)
    );
    for phase in [Successful, Inconclusive, Failed] {
        let mut counts = MetricCounts {
            consecutive_error: 4,
            count: 4,
            error: 4,
            ..MetricCounts::default()
        };
        counts.record(phase);
        assert_eq!(
            (counts.consecutive_error, counts.error, counts.count),
            (0, 4, 5)
        );
    }
}

#[test]
fn consecutive_error_limit_is_strict() {
    let down = Scripted(|_: &str, _: TimeMs| QueryResult::Error("connection refused".to_string()));
    let mut run = AnalysisRun::start(
        spec(vec![success_rate(Some(60), None)], &[]),
        TimeMs(0),
        false,
    );
    run.advance(TimeMs(1_000_000), &down);
    assert_eq!(
        times(&run, 0),
        vec![0, 10, 20, 30, 40],
        "the fifth consecutive error exceeds 4"
    );
    assert_eq!(run.phase(), Error);
    assert_eq!(
        run.message(),
        "Metric \"success-rate\" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): \"Error Message: connection refused\""
    );
}

#[test]
fn empty_result_is_an_error_measurement() {
    let no_data = Scripted(|_: &str, _: TimeMs| QueryResult::Vector(Vec::new()));
    let mut run = AnalysisRun::start(spec(vec![success_rate(None, None)], &[]), TimeMs(0), false);
    let taken = run.advance(TimeMs(0), &no_data);
    assert_eq!(taken[0].measurement.phase, Error);
    assert!(taken[0]
        .measurement
        .message
        .contains("metric result is nil or empty"));
    assert_eq!(
        run.next_due(),
        Some(TimeMs(10_000)),
        "an error is retried after 10s"
    );
}

#[test]
fn failure_limit_minus_one_never_fails() {
    let mut metric = success_rate(Some(10), Some(5));
    metric.failure_limit = -1;
    metric.consecutive_success_limit = 2;
    let mut run = AnalysisRun::start(spec(vec![metric], &[]), TimeMs(0), false);
    run.advance(TimeMs(100_000), &constant(0.5));
    assert_eq!(times(&run, 0), vec![0, 10, 20, 30, 40]);
    assert_eq!(
        run.phase(),
        Failed,
        "count reached without 2 consecutive successes"
    );
    assert_eq!(
        run.metrics()[0].message,
        "consecutiveSuccessLimit (2) not reached"
    );
}

#[test]
fn terminate_analysis_run() {
    let mut delayed = success_rate(Some(20), None);
    delayed.initial_delay = DurationMs::from_seconds(20);
    let mut run = AnalysisRun::start(spec(vec![delayed], &[]), TimeMs(0), true);
    run.advance(TimeMs(0), &constant(0.99));
    run.terminate(TimeMs(5_000));
    assert_eq!((run.phase(), run.message()), (Successful, "Run Terminated"));
    assert_eq!(run.completed_at(), Some(TimeMs(5_000)));
    assert!(run.advance(TimeMs(60_000), &constant(0.99)).is_empty());
}

#[test]
fn terminate_analysis_run_in_dry_run_mode() {
    let mut delayed = success_rate(Some(20), None);
    delayed.initial_delay = DurationMs::from_seconds(20);
    let mut run = AnalysisRun::start(spec(vec![delayed], &["success-rate"]), TimeMs(0), true);
    run.terminate(TimeMs(5_000));
    assert_eq!((run.phase(), run.message()), (Successful, "Run Terminated"));
    assert!(run.metrics()[0].dry_run);
}

#[test]
fn terminate_keeps_a_violated_limit() {
    let mut metric = success_rate(Some(10), None);
    metric.failure_limit = 1;
    let mut run = AnalysisRun::start(spec(vec![metric], &[]), TimeMs(0), true);
    run.advance(TimeMs(0), &constant(0.5));
    assert_eq!(run.phase(), Running, "1 failure is within failureLimit 1");
    run.terminate(TimeMs(5_000));
    assert_eq!(run.phase(), Successful);
    let mut metric = success_rate(Some(10), None);
    metric.inconclusive_limit = 0;
    metric.failure_condition = Some("result[0] < 0.5".to_string());
    let mut run = AnalysisRun::start(spec(vec![metric], &[]), TimeMs(0), true);
    run.advance(TimeMs(0), &constant(0.7));
    assert_eq!(run.phase(), Inconclusive, "neither condition holds");
}

#[test]
fn invalid_dry_run_config_throws_error() {
    let run = AnalysisRun::start(
        spec(vec![success_rate(Some(20), None)], &["error-rate"]),
        TimeMs(0),
        false,
    );
    assert_eq!(run.phase(), Error);
    assert_eq!(
        run.message(),
        "Analysis spec invalid: dryRun[0]: Rule didn't match any metric name(s)"
    );
    assert_eq!(run.next_due(), None);
}

#[test]
fn dry_run_rules_are_unanchored_regexes() {
    let mut error_rate = success_rate(Some(10), None);
    error_rate.name = "error-rate".to_string();
    let mut latency = success_rate(Some(10), None);
    latency.name = "latency-p99".to_string();
    for (rules, expected) in [
        (vec!["error"], [true, false]),
        (vec![".*"], [true, true]),
        (vec!["^latency-p9.$"], [false, true]),
        (vec!["rate$", "p99"], [true, true]),
    ] {
        let run = AnalysisRun::start(
            spec(vec![error_rate.clone(), latency.clone()], &rules),
            TimeMs(0),
            false,
        );
        let dry: Vec<bool> = run.metrics().iter().map(|m| m.dry_run).collect();
        assert_eq!(dry, expected, "{rules:?}");
    }
}

#[test]
fn dry_run_metric_failing_does_not_fail_the_run() {
    let mut latency = metric("latency");
    latency.success_condition = Some("result[0] < 500".to_string());
    let source = Scripted(|query: &str, _: TimeMs| match query {
        "latency" => QueryResult::Vector(vec![900.0]),
        _ => QueryResult::Vector(vec![0.99]),
    });
    let mut run = AnalysisRun::start(
        spec(vec![latency, success_rate(None, None)], &["latency"]),
        TimeMs(0),
        false,
    );
    run.advance(TimeMs(0), &source);
    assert_eq!((run.phase(), run.message()), (Successful, ""));
    assert_eq!(run.metrics()[0].phase, Failed, "still measured and shown");
    assert_eq!(
        run.metrics()[0].message,
        "Metric assessed Failed due to failed (1) > failureLimit (0)"
    );
}

#[test]
fn reconcile_analysis_run_invalid() {
    let mut bad = success_rate(None, Some(3));
    bad.interval = None;
    let run = AnalysisRun::start(spec(vec![bad], &[]), TimeMs(0), false);
    assert_eq!(run.phase(), Error);
    assert_eq!(
        run.message(),
        "Analysis spec invalid: metrics[0]: interval must be specified when count > 1"
    );
    let run = AnalysisRun::start(spec(vec![], &[]), TimeMs(0), false);
    assert_eq!(run.message(), "Analysis spec invalid: no metrics specified");
    let mut both_disabled = success_rate(Some(10), None);
    both_disabled.failure_limit = -1;
    let run = AnalysisRun::start(spec(vec![both_disabled], &[]), TimeMs(0), false);
    assert_eq!(
        run.message(),
        "Analysis spec invalid: metrics[0]: failureLimit and consecutiveSuccessLimit cannot both be disabled"
    );
}

#[test]
fn an_unparsable_condition_errors_each_measurement() {
    let mut metric = success_rate(Some(10), None);
    metric.success_condition = Some("result[0] >= ".to_string());
    let mut run = AnalysisRun::start(spec(vec![metric], &[]), TimeMs(0), false);
    run.advance(TimeMs(0), &constant(0.99));
    let message = &run.metrics()[0].measurements[0].message;
    assert!(
        message.starts_with("could not evaluate successCondition \"result[0] >=\": at column 13"),
        "{message}"
    );
}
