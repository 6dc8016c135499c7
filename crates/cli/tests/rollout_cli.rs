//! `lab rollout run` end to end: the JSON contract (field names, the timeline's and the
//! measurements' fields), a healthy canary that promotes, an erroring one aborted by its analysis
//! with the weight back to 0, a Flagger canary, a spec that does not parse (exit 1, every error
//! with its line), a bad `--version` (exit 1 with a hint), and the same seed giving the same output.

mod common;

use common::run_lab;
use serde_json::Value as Json;
use std::path::PathBuf;

fn spec_path(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../rollouts/specs")
        .join(name)
        .display()
        .to_string()
}

fn temp_file(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lab-rollout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A spec with no pause waiting for a promote: 20%, an analysis, 50%, 100%.
const AUTO_CANARY: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: recommender
spec:
  replicas: 10
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService:
            name: recommender-vsvc
      steps:
      - setWeight: 20
      - pause: {duration: 2m}
      - analysis:
          templates:
          - templateName: success-rate
          args:
          - name: version
            value: v2
      - setWeight: 50
      - pause: {duration: 1m}
      - setWeight: 100
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: version
  metrics:
  - name: success-rate
    interval: 1m
    count: 3
    successCondition: result[0] >= 0.95
    provider:
      prometheus:
        address: http://prometheus.istio-system:9090
        query: |
          sum(rate(istio_requests_total{version=\"{{args.version}}\",response_code!~\"5.*\"}[1m]))
          /
          sum(rate(istio_requests_total{version=\"{{args.version}}\"}[1m]))
";

fn json_of(args: &[&str]) -> Json {
    let out = run_lab(args, "");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fails(args: &[&str], code: i32) -> String {
    let out = run_lab(args, "");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert_eq!(out.status.code(), Some(code), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn keys(json: &Json) -> Vec<String> {
    let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn a_healthy_canary_promotes_and_the_json_keeps_its_contract() {
    let spec = temp_file("auto.yaml", AUTO_CANARY);
    let out = json_of(&["rollout", "run", &spec, "--format", "json"]);
    for key in [
        "ticks",
        "tick_ms",
        "timeline",
        "measurements",
        "final_phase",
        "final_weight",
    ] {
        assert!(out.get(key).is_some(), "no {key} in {:?}", keys(&out));
    }
    assert_eq!(out["tick_ms"], 10_000);
    assert_eq!(out["final_phase"], "Healthy", "{out}");
    assert_eq!(out["stable"], "v1");
    assert_eq!(out["revision"], "v2");
    let timeline = out["timeline"].as_array().unwrap();
    for key in [
        "tick",
        "t_ms",
        "event",
        "step",
        "set_weight",
        "actual_weight",
        "phase",
    ] {
        assert!(
            timeline[0].get(key).is_some(),
            "timeline entries have {key}"
        );
    }
    // The weight each "canary weight set" event names (the columns hold the state after the
    // tick: by then a 100% step has completed the rollout).
    let weights: Vec<&str> = timeline
        .iter()
        .filter_map(|e| {
            e["event"]
                .as_str()
                .unwrap()
                .strip_prefix("canary weight set to ")
        })
        .collect();
    assert_eq!(weights, ["20%", "50%", "100%"]);
    assert!(timeline
        .iter()
        .any(|e| e["event"].as_str().unwrap() == "v2 is stable"));
    let measurements = out["measurements"].as_array().unwrap();
    assert_eq!(measurements.len(), 3);
    for m in measurements {
        assert_eq!(m["phase"], "Successful");
        assert_eq!(m["metric"], "success-rate");
        for key in ["t_ms", "run", "value", "message"] {
            assert!(m.get(key).is_some());
        }
    }
    // Finished early: 2 min pause, 2 min of analysis, 1 min pause, a few ticks of promotion.
    let ticks = out["ticks"].as_u64().unwrap();
    assert!((30..60).contains(&ticks), "{ticks} ticks");
}

#[test]
fn an_erroring_revision_is_aborted_with_the_weight_back_to_zero() {
    let spec = temp_file("auto-err.yaml", AUTO_CANARY);
    let out = json_of(&["rollout", "run", &spec, "--version", "v2=error:0.2"]);
    assert_eq!(out["final_phase"], "Degraded", "{out}");
    assert_eq!(out["final_weight"], 0);
    let failed: Vec<&Json> = out["measurements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["phase"] == "Failed")
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "Argo's default failureLimit 0: the first failure fails the run"
    );
    let timeline = out["timeline"].as_array().unwrap();
    let aborted = timeline
        .iter()
        .find(|e| e["event"].as_str().unwrap().starts_with("aborted"))
        .expect("an abort in the timeline");
    assert_eq!(aborted["actual_weight"], 0);
    assert_eq!(aborted["phase"], "Degraded");
    // The same with a percentage, and a named stable version.
    let again = json_of(&[
        "rollout",
        "run",
        &spec,
        "--version",
        "v1=p99_ms:300",
        "--version",
        "v2=error:20%",
    ]);
    assert_eq!(again["final_phase"], "Degraded");
}

#[test]
fn a_flagger_canary_walks_its_weights_to_the_promotion_gate() {
    let out = json_of(&[
        "rollout",
        "run",
        &spec_path("flagger-canary.yaml"),
        "--version",
        "v2=error:0",
    ]);
    assert_eq!(out["strategy"], "flagger-canary");
    // Nobody confirms the promotion gate here: the run stops Paused at maxWeight.
    assert_eq!(out["final_phase"], "Paused", "{out}");
    assert_eq!(out["final_weight"], 50);
    let measurements = out["measurements"].as_array().unwrap();
    assert!(measurements.len() >= 10);
    assert!(measurements
        .iter()
        .all(|m| m["run"] == "flagger" && m["phase"] == "Successful"));
    // An erroring canary: five failed checks roll it back.
    let bad = json_of(&[
        "rollout",
        "run",
        &spec_path("flagger-canary.yaml"),
        "--version",
        "v2=error:10%",
    ]);
    assert_eq!(bad["final_phase"], "Degraded", "{bad}");
    assert_eq!(bad["final_weight"], 0);
}

#[test]
fn a_bad_spec_exits_1_with_each_error_under_its_line() {
    let spec = temp_file(
        "bad.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: x\nspec:\n  strategy:\n    canary:\n      steps:\n      - setWeight: 140\n      - pause: {duration: 10 minutes}\n",
    );
    let err = fails(&["rollout", "run", &spec], 1);
    assert!(err.contains("bad.yaml:9:"), "{err}");
    assert!(err.contains("bad.yaml:10:"), "{err}");
    assert!(err.contains("hint"), "{err}");
}

#[test]
fn bad_options_are_named() {
    let spec = temp_file("auto-opt.yaml", AUTO_CANARY);
    let err = fails(&["rollout", "run", &spec, "--version", "v2=error:2"], 1);
    assert!(
        err.contains("outside 0 to 1") && err.contains("hint"),
        "{err}"
    );
    let err = fails(&["rollout", "run", &spec, "--version", "v2=latency:3"], 1);
    assert!(err.contains("unknown key"), "{err}");
    let err = fails(
        &[
            "rollout",
            "run",
            &spec,
            "--version",
            "v1",
            "--version",
            "v1",
        ],
        1,
    );
    assert!(err.contains("both v1"), "{err}");
    fails(&["rollout", "run", &spec, "--speed", "3"], 2);
    fails(&["rollout", "run"], 2);
    fails(&["rollout", "run", "/no/such/spec.yaml"], 2);
    let help = run_lab(&["rollout", "--help"], "");
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("--version NAME=KEY:VALUE"));
}

#[test]
fn the_same_seed_gives_the_same_output_and_table_reads() {
    let spec = spec_path("canary-steps-inline-analysis.yaml");
    let run = |seed: &str| {
        run_lab(
            &["rollout", "run", &spec, "--seed", seed, "--ticks", "30"],
            "",
        )
        .stdout
    };
    assert_eq!(run("4"), run("4"));
    assert_ne!(run("4"), run("5"));
    let out: Json = serde_json::from_slice(&run("4")).unwrap();
    assert_eq!(out["ticks"], 30);
    let table = run_lab(&["rollout", "run", &spec, "--format", "table"], "");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("TIME"), "{text}");
    assert!(text.contains("final phase"), "{text}");
}
