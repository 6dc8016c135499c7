//! The PromQL subset against hand-computed values and against cases transcribed from Prometheus's
//! own test data (`promql/promqltest/testdata/histograms.test` and `functions.test`, in the
//! prometheus/prometheus repository), loaded with the same `load 5m ... 0+5x10` series notation.

use rollouts::metrics::{Labels, MetricStore};
use rollouts::promql::query;
use rollouts::value::{DurationMs, TimeMs};

const MINUTE_MS: u64 = 60_000;

fn store() -> MetricStore {
    MetricStore::new(DurationMs(5_000), DurationMs(24 * 60 * MINUTE_MS))
}

/// Prometheus's test notation: `series{labels}` and values `a+bxN` (N+1 values from a by b),
/// `axN` (a, N+1 times) or a space-separated list, one sample every `step_ms` from 0.
fn load(store: &mut MetricStore, step_ms: u64, name: &str, labels: &[(&str, &str)], values: &str) {
    let mut pairs: Vec<(String, String)> = vec![("__name__".into(), name.into())];
    pairs.extend(labels.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let labels = Labels::new(pairs);
    let series: Vec<f64> = if let Some((start_step, times)) = values.split_once('x') {
        let times: usize = times.parse().unwrap();
        let (start, step) = match start_step.split_once('+') {
            Some((a, b)) => (a.parse::<f64>().unwrap(), b.parse::<f64>().unwrap()),
            None => (start_step.parse::<f64>().unwrap(), 0.0),
        };
        (0..=times).map(|i| start + step * i as f64).collect()
    } else {
        values
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect()
    };
    for (i, value) in series.into_iter().enumerate() {
        store.record(&labels, TimeMs(i as u64 * step_ms), value);
    }
}

fn eval(store: &MetricStore, at_ms: u64, text: &str) -> Vec<(String, f64)> {
    query(store, text, TimeMs(at_ms))
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .into_iter()
        .map(|(labels, value)| (labels.render(), value))
        .collect()
}

fn assert_close(got: &[(String, f64)], expected: &[(&str, f64)], tolerance: f64) {
    assert_eq!(got.len(), expected.len(), "{got:?} vs {expected:?}");
    for ((labels, value), (want_labels, want)) in got.iter().zip(expected) {
        assert_eq!(labels, want_labels);
        let same = (value.is_nan() && want.is_nan())
            || value == want
            || (value - want).abs() <= tolerance * want.abs().max(1e-300);
        assert!(same, "{labels}: got {value}, expected {want}");
    }
}

// ---- rate, increase, irate by hand ----

/// A counter rising 2/s sampled every 5 s from 5 s: at 300 s, `[5m]` holds 60 samples, the
/// first 5 s after the window's start (within 1.1 spacings, so extrapolated there), the zero
/// point exactly 5 s before the first sample: increase = 590 * 300/295 = 600, rate = 2.
#[test]
fn rate_extrapolates_to_both_edges_when_samples_reach_them() {
    let mut s = store();
    let labels = Labels::new([("__name__", "c")]);
    for n in 1..=60u64 {
        s.record(&labels, TimeMs(n * 5_000), 2.0 * (n * 5) as f64);
    }
    assert_close(
        &eval(&s, 300_000, "increase(c[5m])"),
        &[("{}", 600.0)],
        1e-12,
    );
    assert_close(&eval(&s, 300_000, "rate(c[5m])"), &[("{}", 2.0)], 1e-12);
    assert_close(&eval(&s, 300_000, "irate(c[5m])"), &[("{}", 2.0)], 1e-12);
}

/// A series that starts 200 s into a 300 s window: the gap to the start (200 s) is over 1.1
/// spacings, so extrapolation stops half a spacing (2.5 s) before the first sample:
/// increase = 200 * 102.5/100 = 205; rate = 205/300.
#[test]
fn rate_extrapolates_half_a_spacing_where_the_series_starts_late() {
    let mut s = store();
    let labels = Labels::new([("__name__", "c")]);
    for t in (200..=300u64).step_by(5) {
        s.record(&labels, TimeMs(t * 1000), 2.0 * (t - 195) as f64);
    }
    assert_close(
        &eval(&s, 300_000, "increase(c[5m])"),
        &[("{}", 205.0)],
        1e-12,
    );
    assert_close(
        &eval(&s, 300_000, "rate(c[5m])"),
        &[("{}", 205.0 / 300.0)],
        1e-12,
    );
}

/// The series ends 50 s before the evaluation: extrapolate 2.5 s past the last sample.
/// first 10 @ 5 s, last 500 @ 250 s: 490 * (245 + 5 + 2.5)/245 = 505.
#[test]
fn rate_extrapolates_half_a_spacing_where_the_series_ends_early() {
    let mut s = store();
    let labels = Labels::new([("__name__", "c")]);
    for t in (5..=250u64).step_by(5) {
        s.record(&labels, TimeMs(t * 1000), 2.0 * t as f64);
    }
    assert_close(
        &eval(&s, 300_000, "increase(c[5m])"),
        &[("{}", 505.0)],
        1e-12,
    );
}

/// A reset: 100, 160, 20, 80, 140 every 60 s; the value before the reset is added back:
/// 40 + 160 = 200 over 240 s, extrapolated 60 s back (within 66 s; the zero point is 120 s back):
/// increase = 250, rate = 250/300. irate: (140 - 80)/60 = 1; across the reset: 20/60.
#[test]
fn counter_resets_are_added_back() {
    let mut s = store();
    let labels = Labels::new([("__name__", "c")]);
    for (i, v) in [100.0, 160.0, 20.0, 80.0, 140.0].into_iter().enumerate() {
        s.record(&labels, TimeMs((i as u64 + 1) * MINUTE_MS), v);
    }
    assert_close(
        &eval(&s, 300_000, "increase(c[5m])"),
        &[("{}", 250.0)],
        1e-12,
    );
    assert_close(
        &eval(&s, 300_000, "rate(c[5m])"),
        &[("{}", 250.0 / 300.0)],
        1e-12,
    );
    assert_close(&eval(&s, 300_000, "irate(c[5m])"), &[("{}", 1.0)], 1e-12);
    assert_close(
        &eval(&s, 180_000, "irate(c[5m])"),
        &[("{}", 20.0 / 60.0)],
        1e-12,
    );
}

/// Backward extrapolation where the series starts late: half a spacing, or less when the counter
/// would reach zero sooner. 2, 3, 5 at 100, 110, 120 s in a 60 s window at 120 s: the gap to the
/// start (40 s) is over 11 s, so 5 s is used (the zero point, 20 * 2/3 = 13.3 s back, is
/// farther): increase = 3 * 25/20 = 3.75.
#[test]
fn extrapolation_stops_at_the_counters_zero_point() {
    let mut s = store();
    let labels = Labels::new([("__name__", "c")]);
    for (t, v) in [(100, 2.0), (110, 3.0), (120, 5.0)] {
        s.record(&labels, TimeMs(t * 1000), v);
    }
    assert_close(
        &eval(&s, 120_000, "increase(c[1m])"),
        &[("{}", 3.75)],
        1e-12,
    );
    // With a first value of 0.5 the zero point (20 s * 0.5/4.5 = 2.2 s back) is nearer than
    // half a spacing: extrapolating to it adds back exactly the first value, 4.5 + 0.5.
    let mut s = store();
    for (t, v) in [(100, 0.5), (110, 3.0), (120, 5.0)] {
        s.record(&labels, TimeMs(t * 1000), v);
    }
    assert_close(&eval(&s, 120_000, "increase(c[1m])"), &[("{}", 5.0)], 1e-12);
}

/// Transcribed from functions.test: `load 5m http_requests 0+10x10`, `increase(...[50m])` at
/// 50m is 100 (Prometheus 3's left-open range drops the sample at 0).
#[test]
fn increase_over_the_whole_load_as_prometheus_tests_it() {
    let mut s = store();
    load(
        &mut s,
        5 * MINUTE_MS,
        "http_requests",
        &[("path", "/foo")],
        "0+10x10",
    );
    assert_close(
        &eval(&s, 50 * MINUTE_MS, "increase(http_requests[50m])"),
        &[("{path=\"/foo\"}", 100.0)],
        1e-12,
    );
}

#[test]
fn no_data_is_an_empty_vector_not_an_error() {
    let mut s = store();
    assert!(eval(&s, 0, "rate(istio_requests_total[1m])").is_empty());
    let labels = Labels::new([("__name__", "c")]);
    s.record(&labels, TimeMs(10_000), 1.0);
    // One sample in the window: no rate.
    assert!(eval(&s, 20_000, "rate(c[1m])").is_empty());
    assert!(eval(&s, 20_000, "sum(rate(c[1m]))").is_empty());
    // The instant selector sees it for 5 minutes, then it is stale.
    assert_eq!(eval(&s, 20_000, "c").len(), 1);
    assert!(eval(&s, 10_000 + 5 * MINUTE_MS, "c").is_empty());
    let quantile = "histogram_quantile(0.99, sum(rate(c_bucket[1m])) by (le))";
    assert!(eval(&s, 20_000, quantile).is_empty());
}

// ---- selectors, aggregation, binary operators ----

fn requests_store() -> MetricStore {
    let mut s = store();
    for (version, code, per_step) in [
        ("v1", "200", "0+90x10"),
        ("v1", "500", "0+10x10"),
        ("v2", "200", "0+8x10"),
        ("v2", "503", "0+2x10"),
    ] {
        load(
            &mut s,
            MINUTE_MS,
            "istio_requests_total",
            &[
                ("version", version),
                ("response_code", code),
                ("reporter", "destination"),
            ],
            per_step,
        );
    }
    s
}

#[test]
fn matchers_aggregations_and_ratios() {
    let s = requests_store();
    let at = 10 * MINUTE_MS;
    assert_close(
        &eval(
            &s,
            at,
            "sum(istio_requests_total{response_code=~\"5.*\"}) by (version)",
        ),
        &[("{version=\"v1\"}", 100.0), ("{version=\"v2\"}", 20.0)],
        0.0,
    );
    assert_close(
        &eval(
            &s,
            at,
            "sum without (response_code, reporter) (istio_requests_total{response_code!~\"5..\"})",
        ),
        &[("{version=\"v1\"}", 900.0), ("{version=\"v2\"}", 80.0)],
        0.0,
    );
    let success_rate = "sum(rate(istio_requests_total{version=\"v2\",response_code!~\"5.*\"}[5m])) / sum(rate(istio_requests_total{version=\"v2\"}[5m]))";
    assert_close(&eval(&s, at, success_rate), &[("{}", 0.8)], 1e-12);
    assert_close(
        &eval(&s, at, "count(istio_requests_total)"),
        &[("{}", 4.0)],
        0.0,
    );
    assert_close(
        &eval(
            &s,
            at,
            "max(istio_requests_total) - min(istio_requests_total)",
        ),
        &[("{}", 880.0)],
        0.0,
    );
    assert_close(
        &eval(&s, at, "avg by (version) (istio_requests_total)"),
        &[("{version=\"v1\"}", 500.0), ("{version=\"v2\"}", 50.0)],
        0.0,
    );
    assert_close(&eval(&s, at, "(1 + 2) * 3 - 4 / 2"), &[("{}", 7.0)], 0.0);
    assert_close(&eval(&s, at, "-2 * -3 % 4"), &[("{}", 2.0)], 0.0);
}

#[test]
fn comparisons_filter_or_return_bool() {
    let s = requests_store();
    let at = 10 * MINUTE_MS;
    let filtered = eval(&s, at, "sum(istio_requests_total) by (version) > 500");
    assert_close(&filtered, &[("{version=\"v1\"}", 1000.0)], 0.0);
    let flags = eval(&s, at, "sum(istio_requests_total) by (version) > bool 500");
    assert_close(
        &flags,
        &[("{version=\"v1\"}", 1.0), ("{version=\"v2\"}", 0.0)],
        0.0,
    );
    // A scalar on the left keeps the vector's value.
    assert_close(
        &eval(&s, at, "500 < sum(istio_requests_total) by (version)"),
        &[("{version=\"v1\"}", 1000.0)],
        0.0,
    );
    assert_close(&eval(&s, at, "2 > bool 1"), &[("{}", 1.0)], 0.0);
    assert!(query(&s, "2 > 1", TimeMs(at)).is_err());
    // A comparison keeps the metric name; arithmetic drops it.
    assert_eq!(
        eval(
            &s,
            at,
            "istio_requests_total{version=\"v2\",response_code=\"503\"} > 1"
        )[0]
        .0,
        "istio_requests_total{reporter=\"destination\", response_code=\"503\", version=\"v2\"}"
    );
    assert_eq!(
        eval(
            &s,
            at,
            "istio_requests_total{version=\"v2\",response_code=\"503\"} * 1"
        )[0]
        .0,
        "{reporter=\"destination\", response_code=\"503\", version=\"v2\"}"
    );
}

#[test]
fn vector_matching_one_to_one_with_on_and_ignoring() {
    let s = requests_store();
    let at = 10 * MINUTE_MS;
    let errors_over_all = "sum by (version) (istio_requests_total{response_code=~\"5..\"}) / sum by (version) (istio_requests_total)";
    assert_close(
        &eval(&s, at, errors_over_all),
        &[("{version=\"v1\"}", 0.1), ("{version=\"v2\"}", 0.2)],
        1e-12,
    );
    let ignoring = "istio_requests_total{response_code=\"500\"} / ignoring(response_code) istio_requests_total{response_code=\"200\",version=\"v1\"}";
    assert_close(
        &eval(&s, at, ignoring),
        &[("{reporter=\"destination\", version=\"v1\"}", 100.0 / 900.0)],
        1e-12,
    );
    let on = "istio_requests_total{response_code=\"503\"} + on(version) istio_requests_total{response_code=\"200\"}";
    assert_close(&eval(&s, at, on), &[("{version=\"v2\"}", 100.0)], 1e-12);
    // Two series on the right for one match group: Prometheus refuses many-to-many.
    let err = query(
        &s,
        "sum(istio_requests_total) by (version) / on(version) istio_requests_total",
        TimeMs(at),
    )
    .unwrap_err();
    assert!(err.message.contains("many-to-many"), "{err}");
}

#[test]
fn errors_name_their_position_and_what_is_supported() {
    let s = store();
    let cases = [
        ("rate(x[5m]", 10),
        ("sum(x) by (le", 13),
        ("quantile_over_time(0.9, x[5m])", 0),
        ("x{version~\"v2\"}", 9),
        ("rate(x)", 0),
        ("histogram_quantile(x, y)", 19),
        ("x[5m]", 1),
        ("x{a=\"1\"} @ 100", 9),
    ];
    for (text, position) in cases {
        let err = query(&s, text, TimeMs(0)).expect_err(text);
        assert_eq!(err.position, position, "{text}: {err}");
        assert!(!err.message.is_empty());
    }
    assert!(query(&s, "topk(2, x)", TimeMs(0))
        .unwrap_err()
        .message
        .contains("supports"));
}

// ---- histogram_quantile, transcribed from histograms.test ----

fn histogram_store() -> MetricStore {
    let mut s = store();
    let step = 5 * MINUTE_MS;
    for (le, values) in [
        ("0.1", "0+5x10"),
        (".2", "0+7x10"),
        ("1e0", "0+11x10"),
        ("+Inf", "0+12x10"),
    ] {
        load(
            &mut s,
            step,
            "testhistogram_bucket",
            &[("le", le), ("start", "positive")],
            values,
        );
    }
    for (le, values) in [
        ("-.2", "0+1x10"),
        ("-0.1", "0+2x10"),
        ("0.3", "0+2x10"),
        ("+Inf", "0+3x10"),
    ] {
        load(
            &mut s,
            step,
            "testhistogram_bucket",
            &[("le", le), ("start", "negative")],
            values,
        );
    }
    for (le, values) in [
        ("0", "0+0x10"),
        ("2", "0+1x10"),
        ("4", "0+2x10"),
        ("6", "0+3x10"),
        ("+Inf", "0+3x10"),
    ] {
        load(&mut s, step, "testhistogram2_bucket", &[("le", le)], values);
    }
    for (le, values) in [
        ("0", "0+0x10"),
        ("0.1", "0+5x10"),
        (".2", "0+7x10"),
        ("1e0", "0+11x10"),
        ("+Inf", "0+11x10"),
    ] {
        load(
            &mut s,
            step,
            "testhistogram3_bucket",
            &[("le", le), ("start", "positive")],
            values,
        );
    }
    for (le, values) in [
        ("-.25", "0+0x10"),
        ("-.2", "0+1x10"),
        ("-0.1", "0+2x10"),
        ("0.3", "0+2x10"),
        ("+Inf", "0+2x10"),
    ] {
        load(
            &mut s,
            step,
            "testhistogram3_bucket",
            &[("le", le), ("start", "negative")],
            values,
        );
    }
    let request = [
        ("job1", "ins1", ["0+1x10", "0+3x10", "0+4x10"]),
        ("job1", "ins2", ["0+2x10", "0+5x10", "0+6x10"]),
        ("job2", "ins1", ["0+3x10", "0+4x10", "0+6x10"]),
        ("job2", "ins2", ["0+4x10", "0+7x10", "0+9x10"]),
    ];
    for (job, instance, values) in request {
        for (le, v) in ["0.1", "0.2", "+Inf"].into_iter().zip(values) {
            load(
                &mut s,
                step,
                "request_duration_seconds_bucket",
                &[("job", job), ("instance", instance), ("le", le)],
                v,
            );
        }
    }
    for (le, values) in [
        ("0.1", "0+2x10"),
        ("1", "0+1x10"),
        ("10", "0+5x10"),
        ("100", "0+4x10"),
        ("1000", "0+9x10"),
        ("+Inf", "0+8x10"),
    ] {
        load(&mut s, step, "nonmonotonic_bucket", &[("le", le)], values);
    }
    for (instance, le, values) in [
        ("ins1", "0.1", "0+1x10"),
        ("ins1", "0.2", "0+1x10"),
        ("ins1", "2e-1", "0+1x10"),
        ("ins1", "2.0e-1", "0+1x10"),
        ("ins1", "+Inf", "0+4x10"),
        ("ins2", "+inf", "0+0x10"),
        ("ins2", "+Inf", "0+0x10"),
    ] {
        load(
            &mut s,
            step,
            "mixed_bucket",
            &[("job", "job1"), ("instance", instance), ("le", le)],
            values,
        );
    }
    for le in ["0.1", "0.2", "+Inf"] {
        load(
            &mut s,
            step,
            "empty_bucket",
            &[("le", le), ("job", "job1"), ("instance", "ins1")],
            "0x10",
        );
    }
    for le in ["0.1", "0.2", "+Inf"] {
        let v = match le {
            "0.1" => "0+1x10",
            "0.2" => "0+3x10",
            _ => "0+4x10",
        };
        load(
            &mut s,
            step,
            "request_duration_seconds2_bucket",
            &[("job", "job1"), ("instance", "ins1"), ("le", le)],
            v,
        );
    }
    s
}

#[test]
fn histogram_quantile_cases_from_prometheus() {
    let s = histogram_store();
    let at = 50 * MINUTE_MS;
    let pos = "{start=\"positive\"}";
    let neg = "{start=\"negative\"}";
    let cases: [(&str, [f64; 2]); 11] = [
        ("histogram_quantile(0, testhistogram3_bucket)", [-0.25, 0.0]),
        (
            "histogram_quantile(0.25, testhistogram3_bucket)",
            [-0.225, 0.055],
        ),
        (
            "histogram_quantile(0.5, testhistogram3_bucket)",
            [-0.2, 0.125],
        ),
        (
            "histogram_quantile(0.75, testhistogram3_bucket)",
            [-0.15, 0.45],
        ),
        ("histogram_quantile(1, testhistogram3_bucket)", [-0.1, 1.0]),
        (
            "histogram_quantile(-0.1, testhistogram_bucket)",
            [f64::NEG_INFINITY, f64::NEG_INFINITY],
        ),
        (
            "histogram_quantile(1.01, testhistogram_bucket)",
            [f64::INFINITY, f64::INFINITY],
        ),
        (
            "histogram_quantile(NaN, testhistogram_bucket)",
            [f64::NAN, f64::NAN],
        ),
        ("histogram_quantile(0, testhistogram_bucket)", [-0.2, 0.0]),
        (
            "histogram_quantile(0.2, rate(testhistogram_bucket[10m]))",
            [-0.2, 0.048],
        ),
        (
            "histogram_quantile(0.8, rate(testhistogram_bucket[10m]))",
            [0.3, 0.72],
        ),
    ];
    for (text, [negative, positive]) in cases {
        assert_close(
            &eval(&s, at, text),
            &[(neg, negative), (pos, positive)],
            1e-9,
        );
    }
    for (text, value) in [
        ("histogram_quantile(1, testhistogram_bucket)", [0.3, 1.0]),
        (
            "histogram_quantile(0.5, testhistogram_bucket)",
            [-0.15, 0.15],
        ),
    ] {
        assert_close(
            &eval(&s, at, text),
            &[(neg, value[0]), (pos, value[1])],
            1e-9,
        );
    }
    for (phi, want) in [("1./6.", 1.0), ("0.5", 3.0), ("5./6.", 5.0)] {
        let instant = format!("histogram_quantile({phi}, testhistogram2_bucket)");
        assert_close(&eval(&s, 7 * MINUTE_MS, &instant), &[("{}", want)], 1e-9);
        let rated = format!("histogram_quantile({phi}, rate(testhistogram2_bucket[15m]))");
        assert_close(&eval(&s, 47 * MINUTE_MS, &rated), &[("{}", want)], 1e-9);
    }
}

#[test]
fn histogram_quantile_over_aggregations_from_prometheus() {
    let s = histogram_store();
    let at = 50 * MINUTE_MS;
    let q = |phi: &str, by: &str| {
        format!(
            "histogram_quantile({phi}, sum(rate(request_duration_seconds_bucket[10m])) by ({by}))"
        )
    };
    assert_close(&eval(&s, at, &q("0.3", "le")), &[("{}", 0.075)], 1e-9);
    assert_close(
        &eval(&s, at, &q("0.5", "le")),
        &[("{}", 0.1277777777777778)],
        1e-9,
    );
    let avg = "histogram_quantile(0.5, avg(rate(request_duration_seconds_bucket[10m])) by (le))";
    assert_close(&eval(&s, at, avg), &[("{}", 0.12777777777777778)], 1e-9);
    assert_close(
        &eval(&s, at, &q("0.5", "le, instance")),
        &[
            ("{instance=\"ins1\"}", 0.1333333333),
            ("{instance=\"ins2\"}", 0.125),
        ],
        1e-9,
    );
    assert_close(
        &eval(&s, at, &q("0.3", "le, job")),
        &[
            ("{job=\"job1\"}", 0.1),
            ("{job=\"job2\"}", 0.0642857142857143),
        ],
        1e-9,
    );
    assert_close(
        &eval(
            &s,
            at,
            "histogram_quantile(0.5, rate(request_duration_seconds_bucket[10m]))",
        ),
        &[
            ("{instance=\"ins1\", job=\"job1\"}", 0.15),
            ("{instance=\"ins1\", job=\"job2\"}", 0.1),
            ("{instance=\"ins2\", job=\"job1\"}", 0.13333333333333333),
            ("{instance=\"ins2\", job=\"job2\"}", 0.11666666666666667),
        ],
        1e-9,
    );
}

#[test]
fn histogram_quantile_edge_cases_from_prometheus() {
    let s = histogram_store();
    let at = 50 * MINUTE_MS;
    for (phi, want) in [("0.01", 0.0045), ("0.5", 8.5), ("0.99", 979.75)] {
        let text = format!("histogram_quantile({phi}, nonmonotonic_bucket)");
        assert_close(&eval(&s, at, &text), &[("{}", want)], 1e-9);
    }
    for (phi, want) in [("0.5", 0.15), ("0.75", 0.2), ("1", 0.2)] {
        let text = format!("histogram_quantile({phi}, rate(mixed_bucket[10m]))");
        assert_close(
            &eval(&s, at, &text),
            &[
                ("{instance=\"ins1\", job=\"job1\"}", want),
                ("{instance=\"ins2\", job=\"job1\"}", f64::NAN),
            ],
            1e-9,
        );
    }
    assert_close(
        &eval(&s, at, "histogram_quantile(0.2, rate(empty_bucket[10m]))"),
        &[("{instance=\"ins1\", job=\"job1\"}", f64::NAN)],
        0.0,
    );
    // Two histograms with the same labels once the name is dropped: an error.
    let duplicate =
        "histogram_quantile(0.99, {__name__=~\"request_duration_seconds\\\\d*_bucket\"})";
    assert!(query(&s, duplicate, TimeMs(at)).is_err());
}
