//! The rollouts lab end to end, driven as lessons drive it (steps through the journal): a healthy
//! canary walks its steps and waits for a promote, a failing one is aborted by its analysis with
//! the weight back to 0 in the same tick, Flagger's loop with its gate, refusals that leave no
//! trace, the monitoring (alerts firing and resolving, drift), the views the page reads.

mod common;

use common::labs::{command, fresh_lab, refused, run, step};
use lab::rng::Seed;
use lab::rollout_lab::glue::rollout_value;
use lab::state::{Command, Lab, LabConfig, Preset};
use lab::timeline::Timeline;

fn value(lab: &Lab, field: &str) -> i64 {
    rollout_value(lab, field).unwrap_or_else(|| panic!("rollout.{field} has no value"))
}

fn story(lab: &Lab) -> String {
    lab.rollouts()
        .unwrap()
        .timeline()
        .map(lab::rollout_lab::glue::describe_event)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_healthy_canary_walks_its_steps_and_waits_for_a_promote() {
    let mut t = fresh_lab(Preset::Rollouts, 1);
    step(&mut t, "deploy v2");
    run(&mut t, 1);
    assert_eq!(value(t.head(), "canary_weight"), 20);
    assert_eq!(value(t.head(), "phase_paused"), 1, "{}", story(t.head()));
    // The 5-minute pause (30 ticks), then three measurements a minute apart.
    run(&mut t, 60);
    let lab = t.head();
    assert_eq!(value(lab, "measurements_successful"), 3, "{}", story(lab));
    assert_eq!(value(lab, "analysis_runs_successful"), 1);
    assert_eq!(value(lab, "canary_weight"), 50);
    let strip = lab.rollouts().unwrap().steps();
    assert_eq!(strip.phase, "Paused");
    assert!(strip.waiting_for_promote);
    assert_eq!(strip.current, Some(4));
    assert_eq!(strip.steps[4].label, "pause (until promoted)");
    step(&mut t, "promote");
    run(&mut t, 2);
    let lab = t.head();
    assert_eq!(value(lab, "phase_healthy"), 1, "{}", story(lab));
    assert_eq!(value(lab, "completed"), 1);
    assert_eq!(value(lab, "promotions"), 1);
    let r = lab.rollouts().unwrap();
    assert_eq!(r.plan().stable.0, "v2");
    assert!(value(lab, "canary_requests") > 0);
}

#[test]
fn an_erroring_canary_is_aborted_by_its_analysis() {
    let mut t = fresh_lab(Preset::Rollouts, 2);
    step(&mut t, "deploy v2 error:20%");
    run(&mut t, 45);
    let lab = t.head();
    assert_eq!(value(lab, "phase_degraded"), 1, "{}", story(lab));
    assert_eq!(value(lab, "actual_weight"), 0);
    assert_eq!(value(lab, "aborts"), 1);
    assert!(value(lab, "measurements_failed") >= 1);
    assert_eq!(value(lab, "analysis_runs_failed"), 1);
    let r = lab.rollouts().unwrap();
    assert_eq!(r.plan().canary_weight_percent, 0);
    let failed = r
        .analysis_runs()
        .iter()
        .flat_map(|run| run.run.metrics())
        .flat_map(|m| &m.measurements)
        .find(|m| m.phase.as_str() == "Failed")
        .expect("a failed measurement");
    // The success rate measured is about 80%, under the spec's 95%.
    assert!(
        failed.value.starts_with("[0.7") || failed.value.starts_with("[0.8"),
        "{}",
        failed.value
    );
    // Retry starts the steps over; a fixed v2 then passes.
    step(&mut t, "inject v2 error:0.5%");
    step(&mut t, "retry");
    run(&mut t, 1);
    assert_eq!(value(t.head(), "canary_weight"), 20);
    assert_eq!(value(t.head(), "phase_paused"), 1);
}

#[test]
fn abort_puts_all_traffic_back_on_stable_in_the_same_tick() {
    let mut t = fresh_lab(Preset::Rollouts, 3);
    step(&mut t, "deploy v2");
    run(&mut t, 5);
    assert_eq!(
        t.head().rollouts().unwrap().plan().canary_weight_percent,
        20
    );
    step(&mut t, "abort");
    let lab = t.head();
    assert_eq!(lab.rollouts().unwrap().plan().canary_weight_percent, 0);
    assert_eq!(value(lab, "phase_degraded"), 1);
    let served_before = value(lab, "canary_requests");
    run(&mut t, 6);
    assert_eq!(value(t.head(), "canary_requests"), served_before);
    // Undo is the engine's: back to the previous revision without steps.
    assert!(refused(&mut t, "confirm").contains("no gates"));
}

#[test]
fn a_bad_spec_is_refused_with_its_line_and_a_spec_cannot_change_mid_rollout() {
    let mut t = fresh_lab(Preset::Rollouts, 4);
    let bad = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: x\nspec:\n  strategy:\n    canary:\n      steps:\n      - setWeight: 140\n";
    let end = t.end();
    let before = t.journal().entries().len();
    let rejection = t
        .apply_at(
            end,
            Command::Rollout(lab::rollout_lab::command::RolloutCommand::ApplySpec {
                yaml: bad.into(),
            }),
        )
        .unwrap_err();
    assert!(rejection.to_string().contains("line 9"), "{rejection}");
    let lab::sim::timeline::TimelineError::Rejected(rejection) = rejection else {
        panic!("not a rejection: {rejection}");
    };
    assert!(rejection.hint().contains("0 to 100") || !rejection.hint().is_empty());
    assert_eq!(t.journal().entries().len(), before);
    let errors = lab::rollout_lab::parse_spec(bad).unwrap_err();
    assert_eq!(errors[0].line, 9);
    step(&mut t, "deploy v2");
    run(&mut t, 2);
    assert!(refused(&mut t, "rollout-spec flagger-canary").contains("in progress"));
    assert!(refused(&mut t, "deploy v2").contains("already"));
    assert!(refused(&mut t, "inject v9 p99:900").contains("not deployed"));
    assert!(refused(&mut t, "traffic 5000").contains("more than"));
}

#[test]
fn refused_commands_leave_the_lab_exactly_as_it_was() {
    let mut lab = Lab::new(&LabConfig {
        seed: Seed(5),
        preset: Preset::Rollouts,
    });
    lab.advance();
    let before = lab.clone();
    for line in [
        "promote",
        "retry",
        "confirm",
        "deploy v1",
        "cookie u9999 a=b",
    ] {
        assert!(lab.apply(&command(line)).is_err(), "{line}");
        assert_eq!(lab, before, "{line}");
    }
}

#[test]
fn flagger_walks_its_weights_waits_at_its_gate_and_promotes_once_confirmed() {
    let mut t = fresh_lab(Preset::Rollouts, 6);
    step(&mut t, "rollout-spec flagger-canary");
    assert_eq!(t.head().rollouts().unwrap().strategy(), "flagger-canary");
    // Without errors every check passes (at 0.5% errors, a 10% canary's 120 requests a minute
    // often fall under the spec's 99%: an honest small-sample failure, not this test's point).
    step(&mut t, "deploy v2 error:0%");
    // One pass a minute: 10% more per passing pass up to 50%, then the promotion gate.
    run(&mut t, 6 * 8);
    let lab = t.head();
    assert_eq!(value(lab, "canary_weight"), 50, "{}", story(lab));
    assert_eq!(value(lab, "phase_paused"), 1, "{}", story(lab));
    assert!(value(lab, "measurements_successful") >= 8);
    assert!(refused(&mut t, "promote").contains("Flagger"));
    step(&mut t, "confirm");
    run(&mut t, 6 * 4);
    let lab = t.head();
    assert_eq!(value(lab, "phase_healthy"), 1, "{}", story(lab));
    assert_eq!(lab.rollouts().unwrap().plan().stable.0, "v2");
    assert_eq!(value(lab, "completed"), 1);
}

#[test]
fn flagger_rolls_back_an_erroring_canary_after_threshold_failed_checks() {
    let mut t = fresh_lab(Preset::Rollouts, 7);
    step(&mut t, "rollout-spec flagger-canary");
    step(&mut t, "deploy v2 error:10%");
    run(&mut t, 6 * 10);
    let lab = t.head();
    assert_eq!(value(lab, "phase_degraded"), 1, "{}", story(lab));
    assert_eq!(value(lab, "actual_weight"), 0);
    assert_eq!(value(lab, "aborts"), 1);
    assert_eq!(value(lab, "failed_checks"), 5);
    assert!(value(lab, "measurements_failed") >= 5);
}

#[test]
fn a_latency_regression_fires_an_alert_that_resolves_when_it_is_fixed() {
    let mut t = fresh_lab(Preset::Rollouts, 8);
    step(&mut t, "inject v1 p99:4000");
    run(&mut t, 6 * 6);
    let lab = t.head();
    assert!(value(lab, "alerts_fired") >= 1, "{}", story(lab));
    assert!(value(lab, "alerts_firing") >= 1);
    let r = lab.rollouts().unwrap();
    let latency = r
        .alert_rules()
        .into_iter()
        .find(|a| a.name == "HighLatencyP99")
        .unwrap();
    assert_eq!(latency.state, "firing");
    step(&mut t, "inject v1 p99:300");
    run(&mut t, 6 * 4);
    let lab = t.head();
    assert!(value(lab, "alerts_resolved") >= 1, "{}", story(lab));
    assert_eq!(value(lab, "alerts_firing"), 0);
}

#[test]
fn a_shifted_feature_shows_as_drift_and_fires_its_alert() {
    let mut t = fresh_lab(Preset::Rollouts, 9);
    run(&mut t, 30);
    let calm = value(t.head(), "feature_psi_x1000");
    assert!(calm < 100, "an unshifted window scores PSI {calm}/1000");
    step(&mut t, "shift-drift feature 1.5");
    run(&mut t, 30);
    let lab = t.head();
    assert!(value(lab, "feature_psi_x1000") > 200, "{}", story(lab));
    assert!(value(lab, "ks_x1000") > 300);
    // Above 0.2 for 5 minutes: at the next check the alert has held long enough.
    run(&mut t, 6 * 7);
    let lab = t.head();
    let r = lab.rollouts().unwrap();
    let drift = r
        .alert_rules()
        .into_iter()
        .find(|a| a.name == "FeatureDrift")
        .unwrap();
    assert_eq!(drift.state, "firing", "{}", story(lab));
    let view = r.drift().unwrap();
    assert_eq!(
        view.feature.bins.reference.len(),
        view.feature.bins.current.len()
    );
    assert!(r.drift_history().len() >= 3);
}

#[test]
fn the_page_views_follow_the_rollout() {
    let mut t = fresh_lab(Preset::Rollouts, 10);
    step(&mut t, "deploy v2 p99:2000");
    run(&mut t, 30);
    let lab = t.head();
    let r = lab.rollouts().unwrap();
    let versions: Vec<&str> = r.series().iter().map(|s| s.version.as_str()).collect();
    assert_eq!(versions, ["v1", "v2"]);
    let v2 = &r.series()[1];
    assert!(v2.points.len() >= 4);
    let p99 = v2.points.last().unwrap().p99_ms.unwrap();
    assert!(
        p99 > 1000.0,
        "v2's p99 was given as 2000 ms, measured {p99}"
    );
    let split: Vec<(&str, u64)> = r
        .split()
        .iter()
        .map(|s| (s.version.as_str(), s.user_requests))
        .collect();
    let total: u64 = split.iter().map(|s| s.1).sum();
    let canary = split.iter().find(|s| s.0 == "v2").unwrap().1;
    // About 20% of about 1,200 requests a minute.
    assert!((150..=350).contains(&canary) && total > 1_000, "{split:?}");
    let judge = r.judge().expect("a judgement after five minutes of both");
    let p99_row = judge
        .rows
        .iter()
        .find(|row| row.metric == "p99_ms")
        .unwrap();
    assert_eq!(p99_row.verdict, "High");
    assert!(judge.score_percent < 90.0);
    assert!(r
        .thresholds()
        .iter()
        .any(|th| th.metric == "success_rate" && (th.value - 0.95).abs() < 1e-9));
    assert!(r.timeline().len() > 3);
}

#[test]
fn a_mirror_route_shadows_requests_that_users_never_see() {
    let mut t = fresh_lab(Preset::Rollouts, 11);
    step(&mut t, "rollout-spec canary-background-header-mirror");
    step(&mut t, "deploy v2");
    run(&mut t, 6);
    let lab = t.head();
    let mirrored = value(lab, "mirrored_requests");
    assert!(mirrored > 0, "{}", story(lab));
    assert_eq!(value(lab, "actual_weight"), 0);
    let r = lab.rollouts().unwrap();
    assert!(r
        .recent()
        .filter(|rec| rec.version.0 == "v2")
        .all(|rec| !rec.returned_to_user()));
}

#[test]
fn the_same_journal_replays_to_the_same_state() {
    let play = |seed| {
        let mut t = fresh_lab(Preset::Rollouts, seed);
        step(&mut t, "deploy v2 error:3% decay:20%/h");
        run(&mut t, 20);
        step(&mut t, "shift-drift prediction 0.8");
        run(&mut t, 40);
        t
    };
    let (a, b) = (play(12), play(12));
    assert_eq!(a.head().state_hash(), b.head().state_hash());
    assert_eq!(a.head(), b.head());
    assert_ne!(a.head().state_hash(), play(13).head().state_hash());
    let link = lab::share_link::encode(a.journal());
    let reopened = lab::share_link::open(&link).unwrap();
    assert_eq!(reopened.head().state_hash(), a.head().state_hash());
}

#[test]
fn every_bundled_spec_loads_and_takes_v2_somewhere() {
    for example in lab::rollout_lab::specs::EXAMPLES {
        let mut t = fresh_lab(Preset::Rollouts, 14);
        // The A/B example routes users with this cookie (first in their cookie header).
        step(&mut t, "cookie u1-u200 canary=always");
        step(&mut t, &format!("rollout-spec {}", example.name));
        step(&mut t, "deploy v2 error:0%");
        run(&mut t, 6 * 20);
        let lab = t.head();
        let strip = lab.rollouts().unwrap().steps();
        assert!(
            ["Healthy", "Paused", "Progressing", "Degraded"].contains(&strip.phase),
            "{}: {}",
            example.name,
            strip.phase
        );
        // Twenty minutes in, v2 served users, shadow copies or test traffic (a preview smoke test).
        let reached = value(lab, "canary_requests")
            + value(lab, "mirrored_requests")
            + value(lab, "test_requests");
        assert!(reached > 0, "{}: {}", example.name, story(lab));
    }
}

#[test]
fn undo_after_a_promotion_goes_back_to_the_previous_version() {
    let mut t = fresh_lab(Preset::Rollouts, 15);
    step(&mut t, "deploy v2");
    run(&mut t, 1);
    step(&mut t, "promote-full");
    run(&mut t, 2);
    assert_eq!(t.head().rollouts().unwrap().plan().stable.0, "v2");
    step(&mut t, "undo");
    run(&mut t, 3);
    // Without a rollbackWindow, Argo's undo is a new rollout of the previous revision: steps again.
    let lab = t.head();
    let r = lab.rollouts().unwrap();
    assert_eq!(r.plan().stable.0, "v2", "{}", story(lab));
    assert_eq!(r.steps().candidate.as_deref(), Some("v1"));
    assert_eq!(value(lab, "canary_weight"), 20);
}

#[test]
fn a_small_shift_passes_psi_but_not_the_ks_test() {
    for seed in 1..=3 {
        let mut t = fresh_lab(Preset::Rollouts, seed);
        step(&mut t, "shift-drift feature 0.2");
        run(&mut t, 30);
        let lab = t.head();
        // PSI under 0.1 reads "no significant change"; KS on 1,000 vs 1,200 values sees it.
        assert!(value(lab, "feature_psi_x1000") < 100, "seed {seed}");
        assert!(value(lab, "feature_ks_p_permille") < 10, "seed {seed}");
        assert!(value(lab, "prediction_ks_x1000") > 0);
    }
}

#[test]
fn p99_fields_follow_the_candidate_and_the_stable_version() {
    let mut t = fresh_lab(Preset::Rollouts, 16);
    assert_eq!(rollout_value(t.head(), "canary_p99_ms"), None);
    step(&mut t, "deploy v2 p99:2000");
    run(&mut t, 30);
    let lab = t.head();
    let canary = value(lab, "canary_p99_ms");
    assert!(canary > 1_000, "{canary}");
    let stable_max = value(lab, "stable_p99_max_ms");
    assert!(value(lab, "stable_p99_min_ms") <= stable_max && stable_max < 600);
    assert!(value(lab, "canary_p99_min_ms") <= canary && canary <= value(lab, "canary_p99_max_ms"));
    assert_eq!(value(lab, "judge_high"), 1);
}

#[test]
fn a_preview_gets_smoke_tests_and_no_user_requests() {
    let mut t = fresh_lab(Preset::Rollouts, 17);
    step(&mut t, "rollout-spec bluegreen-pre-post");
    step(&mut t, "deploy v2");
    run(&mut t, 12);
    let lab = t.head();
    let r = lab.rollouts().unwrap();
    let v2 = r.split().iter().find(|row| row.version == "v2").unwrap();
    assert_eq!(v2.user_requests, 0, "{:?}", r.split());
    assert_eq!(
        v2.test_requests,
        6 * lab::rollout_lab::SMOKE_TEST_REQUESTS_PER_TICK
    );
    assert_eq!(value(lab, "canary_requests"), 0);
    assert!(value(lab, "measurements_successful") >= 3, "{}", story(lab));
}

/// The values the analysis runs measured, run by run: (run phase, [(measurement phase, value)]).
fn measured(lab: &Lab) -> Vec<(String, Vec<(String, String)>)> {
    lab.rollouts()
        .unwrap()
        .analysis_runs()
        .iter()
        .map(|record| {
            let values = record
                .run
                .metrics()
                .iter()
                .flat_map(|m| &m.measurements)
                .map(|m| (m.phase.as_str().to_string(), m.value.clone()))
                .collect();
            (record.run.phase().as_str().to_string(), values)
        })
        .collect()
}

fn apply_spec(t: &mut Timeline, at: lab::sim::clock::Tick, yaml: String) -> Result<usize, String> {
    t.apply_at(
        at,
        Command::Rollout(lab::rollout_lab::command::RolloutCommand::ApplySpec { yaml }),
    )
    .map(|applied| applied.dropped_commands)
    .map_err(|e| e.to_string())
}

/// Deploys a v2 at 7% errors under the default spec (`result[0] >= 0.95`) and plays until its
/// analysis aborts the rollout; returns the tick of the abort.
fn abort_on_the_default_threshold(t: &mut Timeline) -> lab::sim::clock::Tick {
    step(t, "deploy v2 error:7%");
    while value(t.head(), "phase_degraded") == 0 {
        assert!(t.end().0 < 60, "no abort: {}", story(t.head()));
        run(t, 1);
    }
    t.end()
}

fn values(run: &[(String, String)]) -> Vec<f64> {
    run.iter()
        .map(|(_, v)| v.trim_matches(['[', ']']).parse().unwrap())
        .collect()
}

#[test]
fn fork_at_a_failed_analysis_and_retry_with_a_looser_threshold() {
    let mut t = fresh_lab(Preset::Rollouts, 21);
    let abort_tick = abort_on_the_default_threshold(&mut t);
    assert_eq!(abort_tick.0, 31, "{}", story(t.head()));
    let first = measured(t.head());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, "Failed");
    let failed = values(&first[0].1);
    assert!(failed[0] >= 0.90 && failed[0] < 0.95, "{failed:?}");
    // Play on, then fork at the abort: the later command is dropped, the rollout keeps its place.
    run(&mut t, 10);
    step(&mut t, "inject v2 error:0.5%");
    let looser = lab::rollout_lab::specs::DEFAULT.replace("result[0] >= 0.95", "result[0] >= 0.90");
    assert_eq!(apply_spec(&mut t, abort_tick, looser), Ok(1));
    assert_eq!(t.end(), abort_tick);
    let lab = t.head();
    assert_eq!(value(lab, "phase_degraded"), 1);
    assert!(lab.rollouts().unwrap().spec_text().contains(">= 0.90"));
    assert_eq!(measured(lab), first, "the finished run keeps its result");
    step(&mut t, "retry");
    run(&mut t, 50);
    let lab = t.head();
    let runs = measured(lab);
    assert_eq!(runs.len(), 2, "{}", story(lab));
    assert_eq!(runs[1].0, "Successful", "{}", story(lab));
    let retried = values(&runs[1].1);
    assert_eq!(retried.len(), 3);
    // Every measurement of the new run would have failed the old threshold.
    assert!(
        retried.iter().all(|v| (0.90..0.95).contains(v)),
        "{retried:?}"
    );
    assert_eq!(value(lab, "canary_weight"), 50);
    assert_eq!(
        value(lab, "step"),
        4,
        "past the analysis step, at the pause"
    );
    assert_eq!(value(lab, "phase_paused"), 1);
    // The same retry without the edit fails again on the same seed.
    let mut control = fresh_lab(Preset::Rollouts, 21);
    assert_eq!(abort_on_the_default_threshold(&mut control), abort_tick);
    step(&mut control, "retry");
    run(&mut control, 50);
    let runs = measured(control.head());
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].0, "Failed", "{}", story(control.head()));
    assert_eq!(value(control.head(), "phase_degraded"), 1);
}

#[test]
fn mid_rollout_a_spec_may_change_its_templates_but_not_its_steps() {
    let mut t = fresh_lab(Preset::Rollouts, 22);
    step(&mut t, "deploy v2");
    run(&mut t, 3);
    assert_eq!(value(t.head(), "phase_paused"), 1);
    let default = lab::rollout_lab::specs::DEFAULT;
    let other_steps = default.replace("setWeight: 20", "setWeight: 30");
    let end = t.end();
    let refusal = t
        .apply_at(
            end,
            Command::Rollout(lab::rollout_lab::command::RolloutCommand::ApplySpec {
                yaml: other_steps.clone(),
            }),
        )
        .unwrap_err();
    let lab::sim::timeline::TimelineError::Rejected(refusal) = refusal else {
        panic!("not a rejection: {refusal}");
    };
    assert!(
        refusal.to_string().contains("more than the analysis"),
        "{refusal}"
    );
    assert!(
        refusal.hint().contains("AnalysisTemplates"),
        "{}",
        refusal.hint()
    );
    let end = t.end();
    let looser = default.replace("result[0] >= 0.95", "result[0] >= 0.90");
    assert_eq!(apply_spec(&mut t, end, looser), Ok(0));
    let lab = t.head();
    assert_eq!(value(lab, "phase_paused"), 1, "the pause goes on");
    assert_eq!(value(lab, "canary_weight"), 20);
    assert_eq!(value(lab, "step"), 1);
    assert!(lab
        .rollouts()
        .unwrap()
        .thresholds()
        .iter()
        .any(|th| (th.value - 0.90).abs() < 1e-9));
    // Once aborted, a spec with other steps starts afresh, as before.
    step(&mut t, "abort");
    let end = t.end();
    assert_eq!(apply_spec(&mut t, end, other_steps), Ok(0));
    assert_eq!(value(t.head(), "phase_healthy"), 1);
}

#[test]
fn mid_analysis_flagger_takes_new_thresholds_but_not_new_weights() {
    let mut t = fresh_lab(Preset::Rollouts, 23);
    step(&mut t, "rollout-spec flagger-canary");
    step(&mut t, "deploy v2");
    run(&mut t, 15);
    assert_eq!(
        value(t.head(), "phase_progressing"),
        1,
        "{}",
        story(t.head())
    );
    let weight = value(t.head(), "canary_weight");
    let flagger = lab::rollout_lab::specs::example("flagger-canary")
        .unwrap()
        .yaml;
    let end = t.end();
    let wider = flagger.replace("maxWeight: 50", "maxWeight: 60");
    let refusal = apply_spec(&mut t, end, wider).unwrap_err();
    assert!(refusal.contains("more than the analysis"), "{refusal}");
    let looser = flagger.replace("min: 99", "min: 95");
    assert_eq!(apply_spec(&mut t, end, looser), Ok(0));
    let lab = t.head();
    assert_eq!(value(lab, "phase_progressing"), 1, "the analysis goes on");
    assert_eq!(value(lab, "canary_weight"), weight);
    let r = lab.rollouts().unwrap();
    assert_eq!(r.strategy(), "flagger-canary");
    assert!(r.thresholds().iter().any(|th| th.label.contains("min 95")));
    assert!(!r.thresholds().iter().any(|th| th.label.contains("min 99")));
}

/// Flagger runs no metric check once it has promoted (Promoting, Finalising, Succeeded), so a
/// healthy canary ends with no failed check, though its queries have no data after the promotion;
/// and the checks the page lists are the ones Flagger ran.
#[test]
fn flagger_checks_stop_when_the_canary_is_promoted() {
    let mut t = fresh_lab(Preset::Rollouts, 16);
    step(&mut t, "rollout-spec flagger-canary");
    // Without errors, every check during the analysis passes.
    step(&mut t, "deploy v2 error:0%");
    step(&mut t, "confirm");
    run(&mut t, 6 * 20);
    let lab = t.head();
    let r = lab.rollouts().unwrap();
    let flagger = r.flagger().expect("a Flagger canary");
    assert_eq!(
        flagger.status().phase.as_str(),
        "Succeeded",
        "{}",
        story(lab)
    );
    assert_eq!(value(lab, "measurements_failed"), 0, "{}", story(lab));
    assert_eq!(value(lab, "failed_checks"), 0);
    let ran: Vec<(u64, String)> = flagger
        .checks()
        .iter()
        .map(|c| (c.at.0, c.metric.clone()))
        .collect();
    let listed: Vec<(u64, String)> = r
        .flagger_checks()
        .iter()
        .map(|c| (c.t_ms, c.metric.clone()))
        .collect();
    assert!(!ran.is_empty());
    assert_eq!(listed, ran);
}
