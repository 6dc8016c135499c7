//! `lab judge` and `lab drift` end to end: the JSON each prints (field names, U and p-values of
//! cases worked by hand, the verdict, the bins with null outer edges and fractions that agree with
//! them), and bad input (a missing file, a non-number on a line, NaN, an empty file) with the
//! message naming the file and line and the exit code (1 for bad input, 2 for a usage error).

mod common;

use common::run_lab;
use serde_json::Value as Json;
use std::path::PathBuf;
use std::process::Output;

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lab-judge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn lines(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// The one JSON line of a run that must succeed.
fn json_of(args: &[&str]) -> Json {
    let out = run_lab(args, "");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Standard error of a run that must fail with `code` and print nothing on standard output.
fn fails(args: &[&str], code: i32) -> String {
    let out: Output = run_lab(args, "");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert_eq!(out.status.code(), Some(code), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn keys(json: &Json) -> Vec<&str> {
    json.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn judge_prints_u_p_value_and_verdict() {
    let baseline = temp_file("baseline.txt", &lines(&[1.0, 2.0, 3.0]));
    let canary = temp_file("canary.txt", &lines(&[4.0, 5.0, 6.0]));
    let out = json_of(&["judge", "--baseline", &baseline, "--canary", &canary]);
    let mut fields = keys(&out);
    fields.sort();
    assert_eq!(fields, ["p_value", "u", "verdict"]);
    // Every canary value beats every baseline value: U = 9, exact p = 2/20.
    assert_eq!(out["u"], 9.0);
    assert!((out["p_value"].as_f64().unwrap() - 0.1).abs() < 1e-15);
    assert_eq!(out["verdict"], "High");
    let reversed = json_of(&["judge", "--baseline", &canary, "--canary", &baseline]);
    assert_eq!(
        (reversed["u"].as_f64(), reversed["verdict"].as_str()),
        (Some(0.0), Some("Low"))
    );
}

#[test]
fn judge_tolerance_and_identical_samples() {
    let noisy = temp_file("noisy.txt", &lines(&[10.0, 20.0, 30.0, 40.0, 50.0]));
    let shifted = temp_file("shifted.txt", "12\n22\n\n32\n42\n52\n");
    let out = json_of(&["judge", "--baseline", &noisy, "--canary", &shifted]);
    assert_eq!(out["verdict"], "Pass");
    let out = json_of(&[
        "judge",
        "--baseline",
        &noisy,
        "--canary",
        &noisy,
        "--tolerance=0",
    ]);
    assert_eq!(
        (out["verdict"].as_str(), out["p_value"].as_f64()),
        (Some("Pass"), Some(1.0))
    );
}

#[test]
fn drift_prints_psi_bins_and_ks() {
    let reference: Vec<f64> = (0..100).map(f64::from).collect();
    let current: Vec<f64> = (0..100).map(|i| f64::from(i) + 50.0).collect();
    let reference = temp_file("reference.txt", &lines(&reference));
    let current = temp_file("current.txt", &lines(&current));
    let out = json_of(&["drift", "--reference", &reference, "--current", &current]);
    let mut fields = keys(&out);
    fields.sort();
    assert_eq!(fields, ["bins", "ks", "psi"]);
    let edges = out["bins"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 11);
    assert!(edges[0].is_null() && edges[10].is_null());
    assert_eq!(edges[1], 10.0);
    let reference_fractions = out["bins"]["reference"].as_array().unwrap();
    assert_eq!(reference_fractions.len(), 10);
    assert!(reference_fractions.iter().all(|f| f == 0.1));
    // The current sample: 50..149, so bins [50, 60) .. [80, 90) hold 10 each and [90, +∞) 60.
    let current_fractions: Vec<f64> = out["bins"]["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_f64().unwrap())
        .collect();
    assert_eq!(
        current_fractions,
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.1, 0.1, 0.1, 0.1, 0.6]
    );
    assert!(out["psi"].as_f64().unwrap() > 0.25);
    assert_eq!(out["ks"]["statistic"], 0.5);
    assert!(out["ks"]["p_value"].as_f64().unwrap() < 1e-9);
}

#[test]
fn bad_files_name_the_file_and_line() {
    let good = temp_file("good.txt", "1\n2\n3\n");
    let word = temp_file("word.txt", "1\n2\nfast\n");
    let nan = temp_file("nan.txt", "1\nNaN\n");
    let empty = temp_file("empty.txt", "\n\n");
    let stderr = fails(&["judge", "--baseline", &good, "--canary", &word], 1);
    assert!(
        stderr.contains(&format!("{word}:3: \"fast\" is not a number")),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    let stderr = fails(&["drift", "--reference", &nan, "--current", &good], 1);
    assert!(
        stderr.contains(&format!("{nan}:2: NaN is not a measurement")),
        "{stderr}"
    );
    let stderr = fails(&["drift", "--reference", &good, "--current", &empty], 1);
    assert!(
        stderr.contains(&format!("{empty}: the sample is empty")),
        "{stderr}"
    );
    let missing = format!("{good}.missing");
    let stderr = fails(&["judge", "--baseline", &missing, "--canary", &good], 2);
    assert!(
        stderr.contains(&format!("cannot read {missing}")),
        "{stderr}"
    );
    let stderr = fails(&["judge", "--canary", &good], 2);
    assert!(stderr.contains("--baseline FILE is required"), "{stderr}");
    let stderr = fails(
        &[
            "drift",
            "--reference",
            &good,
            "--current",
            &good,
            "--bins",
            "5",
        ],
        2,
    );
    assert!(stderr.contains("unknown argument --bins"), "{stderr}");
}
