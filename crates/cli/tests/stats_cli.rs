//! `lab stats` and `lab hash` end to end: the JSON fields of each test, gbstats' defaults (a
//! relative lift, alpha 0.05) and default results (a zero control mean), bad input exiting 1
//! with the field named, and hash buckets as GrowthBook's SDK prints them.

mod common;

use common::run_lab;
use serde_json::Value as Json;

fn stats(test: &str, input: &str) -> Json {
    let out = run_lab(&["stats", test], input);
    assert!(
        out.status.success(),
        "{test}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
    serde_json::from_str(&text).unwrap()
}

fn keys(json: &Json) -> Vec<&str> {
    json.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

const MEANS: &str = r#"{"control": {"n": 100, "sum": 1000, "sum_squares": 10396},
  "treatment": {"n": 100, "sum": 1050, "sum_squares": 11421}, "difference_type": "absolute"}"#;

#[test]
fn ttest_prints_expected_ci_and_p_value() {
    let out = stats("ttest", MEANS);
    assert_eq!(keys(&out), ["ci", "expected", "p_value"]);
    // Means 10 and 10.5, both sd 2, 100 users each: 2 * scipy.stats.t.sf(0.5 / sqrt(0.08), 198).
    assert_eq!(out["expected"], 0.5);
    assert!((out["p_value"].as_f64().unwrap() - 0.078_640_053_213_964_7).abs() < 1e-13);
    // Relative is the default, as in gbstats: the lift is 5%.
    let relative = stats(
        "ttest",
        &MEANS.replace(r#", "difference_type": "absolute""#, ""),
    );
    assert!((relative["expected"].as_f64().unwrap() - 0.05).abs() < 1e-15);
    let sequential = stats("sequential", MEANS);
    assert!(sequential["p_value"].as_f64() > out["p_value"].as_f64());
}

#[test]
fn bayes_srm_cuped_and_ratio_print_their_fields() {
    let bayes = stats("bayes", MEANS);
    assert_eq!(keys(&bayes), ["chance_to_win", "ci", "expected", "risk"]);
    assert!(bayes["chance_to_win"].as_f64().unwrap() > 0.9);
    let srm = stats("srm", r#"{"users": [5050, 4950], "weights": [0.5, 0.5]}"#);
    assert!((srm["p_value"].as_f64().unwrap() - 0.317_310_507_862_914_1).abs() < 1e-13);
    let arm = |n: u32, post: f64| {
        format!(
            r#"{{"n": {n}, "post": {{"sum": {post}, "sum_squares": {}}}, "pre": {{"sum": 100, "sum_squares": 1200}}, "post_pre_sum_of_products": 1100}}"#,
            post * post / f64::from(n) + 300.0
        )
    };
    let cuped = stats(
        "cuped",
        &format!(
            r#"{{"control": {}, "treatment": {}}}"#,
            arm(10, 110.0),
            arm(10, 120.0)
        ),
    );
    assert_eq!(keys(&cuped), ["ci", "expected", "p_value"]);
    let ratio = stats(
        "ratio",
        r#"{"kind": "ratio", "control": {"n": 50, "m": {"sum": 100, "sum_squares": 300}, "d": {"sum": 50, "sum_squares": 60}, "m_d_sum_of_products": 110},
            "treatment": {"n": 50, "m": {"sum": 120, "sum_squares": 400}, "d": {"sum": 50, "sum_squares": 60}, "m_d_sum_of_products": 130}}"#,
    );
    assert!((ratio["expected"].as_f64().unwrap() - 0.2).abs() < 1e-12);
}

#[test]
fn default_results_for_a_zero_control_mean() {
    let zero = r#"{"kind": "proportion", "control": {"n": 100, "sum": 0}, "treatment": {"n": 100, "sum": 5}}"#;
    let out = stats("ttest", zero);
    assert_eq!(
        (out["expected"].as_f64(), out["p_value"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    assert_eq!(out["ci"], serde_json::json!([0.0, 0.0]));
    let bayes = stats("bayes", zero);
    assert_eq!(bayes["chance_to_win"].as_f64(), Some(0.5));
    assert_eq!(bayes["risk"], serde_json::json!([0.0, 0.0]));
}

#[test]
fn bad_input_exits_1_naming_the_field() {
    for (test, input, field) in [
        ("ttest", "not json", "standard input"),
        (
            "ttest",
            r#"{"control": {"n": 10, "sum": 1}}"#,
            "control.sum_squares",
        ),
        (
            "ttest",
            r#"{"control": {"n": 1.5, "sum": 1, "sum_squares": 1}}"#,
            "control.n",
        ),
        (
            "bayes",
            &MEANS.replace('}', r#", "prior": {"variance": 0}}"#),
            "prior.variance",
        ),
        (
            "srm",
            r#"{"users": [10, 20], "weights": [0.5]}"#,
            "users/weights",
        ),
        (
            "sequential",
            &MEANS.replace("\"absolute\"", "\"scaled\""),
            "difference_type",
        ),
    ] {
        let out = run_lab(&["stats", test], input);
        assert_eq!(out.status.code(), Some(1), "{test} {input}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(field), "{stderr}");
    }
    assert_eq!(run_lab(&["stats", "anova"], "{}").status.code(), Some(2));
}

#[test]
fn hash_prints_id_and_bucket() {
    let out = run_lab(
        &[
            "hash",
            "--seed",
            "abc",
            "--version",
            "2",
            "user-1",
            "user-2",
        ],
        "",
    );
    assert!(out.status.success());
    // growthbook.core.gbhash("abc", "user-1", 2) and ("abc", "user-2", 2).
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "user-1 0.7241\nuser-2 0.3748\n"
    );
    assert_eq!(run_lab(&["hash", "user-1"], "").status.code(), Some(2));
}
