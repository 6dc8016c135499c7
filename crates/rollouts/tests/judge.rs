//! The judge on cases worked by hand: U and exact p-values from counting arrangements, a tied
//! case through the normal approximation, Kayenta's classifier (Pass within tolerance, High, Low,
//! identical samples, two constant samples, the mean-ratio guard) and the weighted score against
//! Argo's thresholds.

use rollouts::judge::{
    classify, mann_whitney_u, score, Classifier, MetricVerdict, PValueMethod, ScoreOutcome,
    ScoreThresholds, Verdict,
};
use rollouts::stats::SampleError;

#[test]
fn separated_samples_have_the_extreme_u_and_p_one_in_ten() {
    // 3 against 3: C(6, 3) = 20 orderings, one with U = 0 and one with U = 9, so the two-sided
    // p-value is 2/20.
    let low = mann_whitney_u(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
    assert_eq!((low.u, low.method), (0.0, PValueMethod::Exact));
    assert!((low.p_value - 0.1).abs() < 1e-15);
    let high = mann_whitney_u(&[4.0, 5.0, 6.0], &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(high.u, 9.0);
    assert!((high.p_value - 0.1).abs() < 1e-15);
}

#[test]
fn a_middle_u_counts_both_tails_and_is_capped_at_one() {
    // Canary [1, 3] against [2]: U = 1 of 2; U is 0, 1 or 2 with chance 1/3 each, so
    // 2 · P(U ≤ 1) = 4/3, capped at 1.
    let t = mann_whitney_u(&[1.0, 3.0], &[2.0]).unwrap();
    assert_eq!((t.u, t.p_value), (1.0, 1.0));
    // Canary [1.5, 2.5, 7, 8, 9] against [3, 4, 5, 6]: 7, 8 and 9 beat all four, U = 12 of 20;
    // P(U ≤ 8) = 46/126 for sizes 4 and 5.
    let t = mann_whitney_u(&[1.5, 2.5, 7.0, 8.0, 9.0], &[3.0, 4.0, 5.0, 6.0]).unwrap();
    assert_eq!(t.u, 12.0);
    assert!((t.p_value - 2.0 * 46.0 / 126.0).abs() < 1e-15);
}

#[test]
fn ties_take_the_normal_approximation_with_both_corrections() {
    // Pooled 1, 1, 1 share rank 2 and 2, 2, 2 rank 5: the canary's ranks sum to 9, U = 3.
    // σ² = 3·3/12 · (7 − (24 + 24)/30) = 4.05; z = (6 − 4.5 − 0.5)/√4.05.
    let t = mann_whitney_u(&[1.0, 1.0, 2.0], &[1.0, 2.0, 2.0]).unwrap();
    assert_eq!((t.u, t.method), (3.0, PValueMethod::Asymptotic));
    assert!(
        (t.p_value - 0.6192567541768621).abs() < 1e-15,
        "{}",
        t.p_value
    );
    // Every value the same: σ = 0, p = 1.
    let t = mann_whitney_u(&[2.0, 2.0], &[2.0, 2.0, 2.0]).unwrap();
    assert_eq!((t.u, t.p_value), (3.0, 1.0));
}

#[test]
fn empty_and_nan_samples_are_refused() {
    let e = mann_whitney_u(&[], &[1.0]).unwrap_err();
    assert_eq!((e.sample, e.error), ("canary", SampleError::Empty));
    let e = classify(&[1.0, f64::NAN], &[1.0], Classifier::default()).unwrap_err();
    assert_eq!(
        (e.sample, e.error),
        ("baseline", SampleError::NotFinite { index: 1 })
    );
}

fn verdict(baseline: &[f64], canary: &[f64]) -> Verdict {
    classify(baseline, canary, Classifier::default())
        .unwrap()
        .verdict
}

#[test]
fn a_clear_shift_is_high_or_low() {
    let baseline: Vec<f64> = (1..=20).map(f64::from).collect();
    let canary: Vec<f64> = (101..=120).map(f64::from).collect();
    let high = classify(&baseline, &canary, Classifier::default()).unwrap();
    assert_eq!(high.verdict, Verdict::High);
    // The shift is 100 for every pair: the interval and the estimate sit at it (within Brent's
    // 1e-4), far above a quarter of it.
    let (low_end, high_end) = high.interval.unwrap();
    assert!((high.estimate.unwrap() - 100.0).abs() < 1e-3);
    assert!(low_end > 25.0 && high_end >= low_end);
    assert_eq!(verdict(&canary, &baseline), Verdict::Low);
}

#[test]
fn the_interval_and_estimate_agree_with_kayenta_and_r() {
    // Kayenta's own MannWhitney test case (its values tie out with R's wilcox.test): canary
    // [10, 20, 30, 40] against [1, 2, 3, 4] at 95% has the interval [6, 39] and estimate 22.5.
    let classifier = Classifier {
        tolerance: 0.25,
        confidence_level: 0.95,
    };
    let c = classify(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0], classifier).unwrap();
    let (low_end, high_end) = c.interval.unwrap();
    assert!((low_end - 6.0).abs() < 1e-6, "{low_end}");
    assert!((high_end - 39.0).abs() < 1e-6, "{high_end}");
    assert!((c.estimate.unwrap() - 22.5).abs() < 1e-6);
    // 6 > 0.25 · 22.5 and the mean ratio is 10: High.
    assert_eq!(c.verdict, Verdict::High);
}

#[test]
fn a_shift_lost_in_the_noise_passes() {
    // Shifted by 2 while the values spread over 40: the interval straddles 0.
    let baseline = [10.0, 20.0, 30.0, 40.0, 50.0];
    let canary = [12.0, 22.0, 32.0, 42.0, 52.0];
    let c = classify(&baseline, &canary, Classifier::default()).unwrap();
    assert_eq!(c.verdict, Verdict::Pass);
    let (low_end, high_end) = c.interval.unwrap();
    assert!(low_end < 0.0 && high_end > 0.0, "{low_end}..{high_end}");
}

#[test]
fn the_tolerance_decides_a_borderline_shift() {
    // Interval about [1, 3] for an estimated shift of 2: clear of 0.25 · 2 = 0.5, not of 0.6 · 2.
    let baseline: Vec<f64> = (0..30).map(|i| f64::from(i % 3)).collect();
    let canary: Vec<f64> = baseline.iter().map(|v| v + 2.0).collect();
    let strict = Classifier {
        tolerance: 0.6,
        ..Classifier::default()
    };
    let default = classify(&baseline, &canary, Classifier::default()).unwrap();
    let (low_end, _) = default.interval.unwrap();
    assert_eq!(default.verdict, Verdict::High, "{:?}", default.interval);
    assert!(low_end < 0.6 * default.estimate.unwrap().abs());
    assert_eq!(
        classify(&baseline, &canary, strict).unwrap().verdict,
        Verdict::Pass
    );
}

#[test]
fn identical_and_single_valued_samples_pass_without_a_test() {
    let sample = [3.0, 1.0, 2.0, 2.0];
    let c = classify(&sample, &[2.0, 3.0, 2.0, 1.0], Classifier::default()).unwrap();
    assert_eq!((c.verdict, c.interval), (Verdict::Pass, None));
    assert_eq!(verdict(&[5.0, 5.0], &[5.0]), Verdict::Pass);
}

#[test]
fn two_different_constants_are_judged_by_their_difference() {
    assert_eq!(verdict(&[5.0; 10], &[7.0; 10]), Verdict::High);
    assert_eq!(verdict(&[5.0; 10], &[3.0; 4]), Verdict::Low);
}

#[test]
fn the_mean_ratio_must_agree_with_the_direction() {
    // Negative values: the canary is higher (−5 against −10) but its mean is half the
    // baseline's, a ratio below 1, so Kayenta's effect-size check keeps it from High.
    let baseline: Vec<f64> = (0..20).map(|i| -10.0 - f64::from(i % 4) * 0.1).collect();
    let canary: Vec<f64> = (0..20).map(|i| -5.0 - f64::from(i % 4) * 0.1).collect();
    let c = classify(&baseline, &canary, Classifier::default()).unwrap();
    assert!(c.interval.unwrap().0 > 0.0 && c.mean_ratio < 1.0);
    assert_eq!(c.verdict, Verdict::Pass);
}

fn metric(name: &str, weight: f64, verdict: Verdict, critical: bool) -> MetricVerdict {
    MetricVerdict {
        name: name.to_string(),
        weight,
        verdict,
        critical,
    }
}

#[test]
fn the_score_is_the_weighted_share_of_pass() {
    let thresholds = ScoreThresholds::default();
    let metrics = [
        metric("latency", 50.0, Verdict::Pass, false),
        metric("errors", 30.0, Verdict::Pass, false),
        metric("cpu", 20.0, Verdict::High, false),
    ];
    let s = score(&metrics, thresholds);
    assert_eq!(
        (s.score_percent, s.outcome),
        (80.0, ScoreOutcome::Inconclusive)
    );
    let s = score(&metrics[..2], thresholds);
    assert_eq!(
        (s.score_percent, s.outcome),
        (100.0, ScoreOutcome::Successful)
    );
    let s = score(
        &[metrics[0].clone(), metric("cpu", 60.0, Verdict::Low, false)],
        thresholds,
    );
    assert_eq!((s.score_percent, s.outcome), (45.45, ScoreOutcome::Failed));
    // 89.99 is truncated to 89 by Argo: below pass.
    let s = score(
        &[
            metric("a", 8999.0, Verdict::Pass, false),
            metric("b", 1001.0, Verdict::High, false),
        ],
        thresholds,
    );
    assert_eq!(
        (s.score_percent, s.outcome),
        (89.99, ScoreOutcome::Inconclusive)
    );
}

#[test]
fn a_critical_metric_that_fails_zeroes_the_score() {
    let metrics = [
        metric("latency", 90.0, Verdict::Pass, false),
        metric("errors", 10.0, Verdict::High, true),
    ];
    let s = score(&metrics, ScoreThresholds::default());
    assert_eq!(s.score_percent, 0.0);
    assert_eq!(s.outcome, ScoreOutcome::Failed);
    assert_eq!(s.critical_failure.as_deref(), Some("errors"));
}

#[test]
fn interval_ends_sit_on_pairwise_differences() {
    // Without ties the rank statistic only changes where canary − shift meets a baseline value,
    // so each end of the interval is one of the differences canary_i − baseline_j, found to
    // Brent's tolerance (1e-4); and the interval holds the estimate (which may fall anywhere in
    // a stretch where the centred statistic is exactly 0, as in R and Kayenta).
    let mut rng = sim::rng::Rng::new(sim::rng::Seed(7)).fork("judge/interval");
    for _ in 0..200 {
        let mut sample = |n: u64| -> Vec<f64> {
            let n = 2 + rng.below(n);
            (0..n)
                .map(|_| rng.below(1_000_000) as f64 / 1000.0)
                .collect()
        };
        let (baseline, canary) = (sample(30), sample(30));
        let c = classify(&baseline, &canary, Classifier::default()).unwrap();
        let (low_end, high_end) = c.interval.unwrap();
        let estimate = c.estimate.unwrap();
        assert!(low_end <= estimate + 1e-4 && estimate <= high_end + 1e-4);
        let near_a_difference = |shift: f64| {
            canary.iter().any(|x| {
                baseline
                    .iter()
                    .any(|y| ((x - y) - shift).abs() <= 1e-4 + 1e-9)
            })
        };
        for shift in [low_end, high_end] {
            assert!(near_a_difference(shift), "{shift}: {baseline:?} {canary:?}");
        }
    }
}
