//! Argo's canary controller over a scripted metric source: steps, pauses, inline and background
//! analysis outcomes, abort, promote, retry and undo; and the basic canary's replica
//! approximation, transcribed from Argo's `TestApproximateWeightedNewStableReplicaCounts`.

mod support;

use rollouts::analysis::AnalysisPhase;
use rollouts::argo::replicas::{approximate_canary_stable_replicas, ReplicaSplit};
use rollouts::argo::{ArgoController, ArgoEventKind, PauseReason, RolloutPhase};
use rollouts::spec::{parse_specs, SpecSet};
use rollouts::value::{TimeMs, VersionName};
use support::{secs, Scripted};

#[test]
fn approximate_weighted_new_stable_replica_counts() {
    // (replicas, weight, maxSurge, canary, stable), maxWeight 100, as in Argo's table.
    let cases: [(u32, u8, u32, u32, u32); 61] = [
        (0, 0, 0, 0, 0),
        (0, 50, 0, 0, 0),
        (0, 100, 0, 0, 0),
        (0, 0, 1, 0, 0),
        (0, 50, 1, 0, 0),
        (0, 100, 1, 0, 0),
        (1, 0, 0, 0, 1),
        (1, 1, 0, 0, 1),
        (1, 49, 0, 0, 1),
        (1, 50, 0, 1, 0),
        (1, 99, 0, 1, 0),
        (1, 100, 0, 1, 0),
        (1, 0, 1, 0, 1),
        (1, 1, 1, 1, 1),
        (1, 49, 1, 1, 1),
        (1, 50, 1, 1, 1),
        (1, 99, 1, 1, 1),
        (1, 100, 1, 1, 0),
        (2, 0, 0, 0, 2),
        (2, 1, 0, 1, 1),
        (2, 50, 0, 1, 1),
        (2, 99, 0, 1, 1),
        (2, 100, 0, 2, 0),
        (2, 0, 1, 0, 2),
        (2, 1, 1, 1, 2),
        (2, 50, 1, 1, 1),
        (2, 99, 1, 2, 1),
        (2, 100, 1, 2, 0),
        (3, 10, 0, 1, 2),
        (3, 25, 0, 1, 2),
        (3, 33, 0, 1, 2),
        (3, 34, 0, 1, 2),
        (3, 49, 0, 1, 2),
        (3, 50, 0, 2, 1),
        (3, 10, 1, 1, 3),
        (3, 25, 1, 1, 3),
        (3, 33, 1, 1, 2),
        (3, 34, 1, 1, 2),
        (3, 49, 1, 2, 2),
        (3, 50, 1, 2, 2),
        (10, 0, 1, 0, 10),
        (10, 1, 0, 1, 9),
        (10, 14, 0, 1, 9),
        (10, 15, 0, 2, 8),
        (10, 16, 0, 2, 8),
        (10, 99, 0, 9, 1),
        (10, 100, 1, 10, 0),
        (10, 0, 1, 0, 10),
        (10, 1, 1, 1, 10),
        (10, 18, 1, 2, 9),
        (10, 19, 1, 2, 9),
        (10, 20, 1, 2, 8),
        (10, 23, 1, 2, 8),
        (10, 24, 1, 3, 8),
        (10, 25, 1, 3, 8),
        (10, 99, 1, 10, 1),
        (10, 100, 1, 10, 0),
        // The docs' example and a few more with a larger surge.
        (10, 41, 0, 4, 6),
        (4, 50, 2, 2, 2),
        (5, 10, 2, 1, 5),
        (20, 5, 5, 1, 19),
    ];
    for (replicas, weight, surge, canary, stable) in cases {
        assert_eq!(
            approximate_canary_stable_replicas(replicas, weight, surge),
            ReplicaSplit { canary, stable },
            "replicas {replicas} weight {weight} maxSurge {surge}"
        );
    }
    assert_eq!(
        ReplicaSplit {
            canary: 4,
            stable: 6
        }
        .actual_weight_percent(),
        40
    );
}

fn v(name: &str) -> VersionName {
    VersionName(name.to_string())
}

const TEMPLATE: &str = "---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  metrics:
  - name: success-rate
    interval: 30s
    count: 3
    successCondition: result[0] >= 0.95
    failureCondition: result[0] < 0.5
    provider:
      prometheus:
        query: sum(rate(istio_requests_total[1m]))
";

fn rollout_yaml(canary_body: &str, extra_spec: &str) -> String {
    format!("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\nspec:\n  replicas: 10\n{extra_spec}  strategy:\n    canary:\n{canary_body}{TEMPLATE}")
}

const ROUTED_STEPS: &str = "      trafficRouting:
        istio: {}
      steps:
      - setWeight: 20
      - pause: {duration: 1m}
      - analysis:
          templates:
          - templateName: success-rate
      - setWeight: 50
      - pause: {}
";

fn controller(yaml: &str) -> ArgoController {
    let set: SpecSet = parse_specs(yaml).unwrap_or_else(|e| panic!("{e:?}"));
    ArgoController::new(&set.rollouts[0], &set, v("v1"))
}

fn deployed(yaml: &str) -> ArgoController {
    let mut argo = controller(yaml);
    argo.deploy(v("v2"), secs(0));
    argo
}

#[test]
fn healthy_canary_walks_its_steps_and_waits_for_promote_at_an_empty_pause() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    let good = Scripted::constant(0.99);
    argo.advance(secs(0), &good);
    assert_eq!(argo.plan().canary_weight_percent, 20);
    assert_eq!(
        argo.status(secs(0)).phase,
        RolloutPhase::Paused(PauseReason::CanaryPauseStep)
    );
    assert_eq!(argo.status(secs(0)).pause_ends_at, Some(secs(60)));
    argo.advance(secs(59), &good);
    assert_eq!(
        argo.status(secs(59)).step_index,
        Some(1),
        "the 1m pause is not over"
    );
    argo.advance(secs(60), &good);
    assert_eq!(
        argo.status(secs(60)).step_index,
        Some(2),
        "the analysis step blocks"
    );
    assert_eq!(argo.status(secs(60)).phase, RolloutPhase::Progressing);
    argo.advance(secs(119), &good);
    assert_eq!(
        argo.plan().canary_weight_percent,
        20,
        "two of three measurements taken"
    );
    argo.advance(secs(120), &good);
    assert_eq!(argo.plan().canary_weight_percent, 50);
    assert_eq!(
        argo.status(secs(120)).phase,
        RolloutPhase::Paused(PauseReason::CanaryPauseStep)
    );
    argo.advance(secs(3600), &good);
    assert_eq!(
        argo.plan().canary_weight_percent,
        50,
        "an empty pause waits for a promote"
    );
    argo.promote(secs(3600), false).expect("promote");
    argo.advance(secs(3600), &good);
    let status = argo.status(secs(3600));
    assert_eq!(status.phase, RolloutPhase::Healthy);
    assert_eq!(status.stable, v("v2"));
    assert_eq!(argo.plan().canary, None);
    let finished: Vec<AnalysisPhase> = argo
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            ArgoEventKind::AnalysisFinished { phase, .. } => Some(*phase),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![AnalysisPhase::Successful]);
    let resumed_at: Vec<TimeMs> = argo
        .events()
        .iter()
        .filter(|e| e.kind == ArgoEventKind::Resumed)
        .map(|e| e.at)
        .collect();
    assert_eq!(
        resumed_at[0],
        secs(60),
        "the timed pause resumes at its end, whenever reconciled"
    );
}

#[test]
fn a_failed_inline_analysis_aborts_with_zero_weight_in_the_same_tick() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    let bad = Scripted::constant(0.2);
    argo.advance(secs(0), &bad);
    argo.advance(secs(60), &bad);
    let status = argo.status(secs(60));
    assert_eq!(status.phase, RolloutPhase::Degraded, "{}", status.message);
    assert_eq!(argo.plan().canary_weight_percent, 0);
    assert!(argo
        .events()
        .iter()
        .any(|e| e.at == secs(60) && matches!(&e.kind, ArgoEventKind::Aborted(_))));
    // The aborted canary keeps its pods for abortScaleDownDelaySeconds (30 s by default).
    let pods = |t: u64| {
        argo.status(secs(t))
            .replicas
            .iter()
            .find(|(ver, _)| *ver == v("v2"))
            .map(|(_, n)| *n)
    };
    assert_eq!(pods(89), Some(10));
    assert_eq!(pods(90), Some(0));
}

#[test]
fn an_inconclusive_analysis_pauses_for_a_human_and_promote_moves_on() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    let unsure = Scripted::switch_at(0.99, secs(60), 0.7);
    argo.advance(secs(0), &unsure);
    argo.advance(secs(60), &unsure);
    assert_eq!(
        argo.status(secs(60)).phase,
        RolloutPhase::Paused(PauseReason::InconclusiveAnalysis)
    );
    assert_eq!(
        argo.plan().canary_weight_percent,
        20,
        "the weight stays while a human decides"
    );
    argo.promote(secs(100), false).expect("promote");
    argo.advance(secs(100), &unsure);
    assert_eq!(argo.plan().canary_weight_percent, 50);
}

#[test]
fn retry_starts_the_steps_again_from_the_first() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    let source = Scripted::switch_at(0.2, secs(200), 0.99);
    argo.advance(secs(0), &source);
    argo.advance(secs(60), &source);
    assert_eq!(argo.status(secs(60)).phase, RolloutPhase::Degraded);
    assert!(argo.retry(secs(30)).is_ok());
    argo.advance(secs(200), &source);
    let status = argo.status(secs(200));
    assert_eq!(status.step_index, Some(1), "back at the first pause");
    assert_eq!(argo.plan().canary_weight_percent, 20);
    assert!(
        argo.retry(secs(201)).is_err(),
        "only an aborted rollout can be retried"
    );
}

#[test]
fn full_promote_skips_every_step_and_analysis() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    let good = Scripted::constant(0.99);
    argo.advance(secs(0), &good);
    argo.promote(secs(10), true).expect("full promote");
    argo.advance(secs(10), &good);
    assert_eq!(argo.status(secs(10)).phase, RolloutPhase::Healthy);
    assert_eq!(argo.plan().stable, v("v2"));
}

#[test]
fn a_manual_abort_sends_everything_back_to_stable_and_removes_routes() {
    let body = "      trafficRouting:
        managedRoutes:
        - name: beta
        istio: {}
      steps:
      - setHeaderRoute:
          name: beta
          match:
          - headerName: x-beta
            headerValue: {exact: \"true\"}
      - setMirrorRoute:
          name: shadow
          percentage: 20
          match:
          - method: {exact: GET}
      - setWeight: 10
      - pause: {}
";
    let mut argo = deployed(&rollout_yaml(body, ""));
    let good = Scripted::constant(0.99);
    argo.advance(secs(0), &good);
    let plan = argo.plan();
    assert_eq!(plan.header_routes.len(), 1);
    assert_eq!(plan.mirror_routes[0].percentage, 20);
    assert_eq!(plan.canary_weight_percent, 10);
    argo.abort(secs(5)).expect("abort");
    let plan = argo.plan();
    assert_eq!(
        (
            plan.canary_weight_percent,
            plan.header_routes.len(),
            plan.mirror_routes.len()
        ),
        (0, 0, 0)
    );
    assert_eq!(argo.status(secs(5)).phase, RolloutPhase::Degraded);
    assert!(
        argo.promote(secs(6), false).is_err(),
        "an aborted rollout is not promoted"
    );
}

#[test]
fn background_analysis_starts_at_its_starting_step_and_its_failure_aborts() {
    let body = "      trafficRouting:
        istio: {}
      analysis:
        templates:
        - templateName: success-rate
        startingStep: 2
      steps:
      - setWeight: 10
      - pause: {duration: 1m}
      - setWeight: 30
      - pause: {duration: 10m}
";
    let mut argo = deployed(&rollout_yaml(body, ""));
    let source = Scripted::switch_at(0.99, secs(100), 0.1);
    argo.advance(secs(0), &source);
    assert!(argo.runs().is_empty(), "step 0 is before startingStep");
    argo.advance(secs(60), &source);
    assert_eq!(argo.runs().len(), 1, "the background run starts at step 2");
    assert_eq!(argo.plan().canary_weight_percent, 30);
    argo.advance(secs(119), &source);
    assert_eq!(
        argo.status(secs(119)).phase,
        RolloutPhase::Paused(PauseReason::CanaryPauseStep)
    );
    // Measurements at 60 s and 90 s pass; the one at 120 s fails (failureLimit 0).
    argo.advance(secs(120), &source);
    assert_eq!(argo.status(secs(120)).phase, RolloutPhase::Degraded);
    assert_eq!(argo.plan().canary_weight_percent, 0);
}

#[test]
fn background_analysis_is_terminated_when_the_rollout_completes() {
    let body = "      trafficRouting:
        istio: {}
      analysis:
        templates:
        - templateName: success-rate
      steps:
      - setWeight: 10
      - pause: {duration: 30s}
";
    let mut argo = deployed(&rollout_yaml(body, ""));
    let good = Scripted::constant(0.99);
    argo.advance(secs(0), &good);
    argo.advance(secs(30), &good);
    assert_eq!(argo.status(secs(30)).phase, RolloutPhase::Healthy);
    assert!(argo.runs()[0].run.is_completed());
    assert_eq!(argo.runs()[0].run.phase(), AnalysisPhase::Successful);
}

#[test]
fn the_basic_canary_approximates_weights_with_pods() {
    let body = "      maxSurge: 0
      steps:
      - setWeight: 41
      - pause: {}
";
    let mut argo = deployed(&rollout_yaml(body, ""));
    argo.advance(secs(0), &Scripted::constant(1.0));
    let status = argo.status(secs(0));
    assert_eq!(
        (status.set_weight_percent, status.actual_weight_percent),
        (41, 40)
    );
    assert_eq!(status.replicas, vec![(v("v1"), 6), (v("v2"), 4)]);
    assert_eq!(argo.plan().canary_weight_percent, 40);
}

fn complete_to_v2(argo: &mut ArgoController) {
    let good = Scripted::constant(0.99);
    argo.advance(secs(0), &good);
    argo.promote(secs(1), true).expect("promote");
    argo.advance(secs(1), &good);
    assert_eq!(argo.plan().stable, v("v2"));
}

#[test]
fn undo_redeploys_the_previous_revision_through_the_steps() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    complete_to_v2(&mut argo);
    argo.undo(secs(10)).expect("undo");
    argo.advance(secs(10), &Scripted::constant(0.99));
    let plan = argo.plan();
    assert_eq!(
        (
            plan.stable.clone(),
            plan.canary.clone(),
            plan.canary_weight_percent
        ),
        (v("v2"), Some(v("v1")), 20)
    );
}

#[test]
fn undo_inside_the_rollback_window_skips_the_steps() {
    let mut argo = deployed(&rollout_yaml(
        ROUTED_STEPS,
        "  rollbackWindow:\n    revisions: 1\n",
    ));
    complete_to_v2(&mut argo);
    argo.undo(secs(10)).expect("undo");
    argo.advance(secs(10), &Scripted::constant(0.99));
    assert_eq!(argo.plan().stable, v("v1"));
    assert_eq!(argo.status(secs(10)).phase, RolloutPhase::Healthy);
}

#[test]
fn undo_during_an_update_goes_back_to_stable_at_once() {
    let mut argo = deployed(&rollout_yaml(ROUTED_STEPS, ""));
    argo.advance(secs(0), &Scripted::constant(0.99));
    argo.undo(secs(5)).expect("undo");
    assert_eq!(argo.plan(), rollouts::routing::TrafficPlan::all_to(v("v1")));
    assert_eq!(argo.status(secs(5)).phase, RolloutPhase::Healthy);
}

#[test]
fn an_experiment_step_gives_its_arms_traffic_for_its_duration() {
    let set = parse_specs(include_str!("../specs/canary-experiment.yaml")).expect("parses");
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), secs(0));
    let good = Scripted::constant(0.0);
    argo.advance(secs(0), &good);
    let arms: Vec<(VersionName, u8)> = argo
        .plan()
        .experiment_arms
        .iter()
        .map(|arm| (arm.version.clone(), arm.weight_percent))
        .collect();
    assert_eq!(arms, vec![(v("v1"), 10), (v("v2"), 10)]);
    argo.advance(secs(599), &good);
    assert_eq!(argo.plan().experiment_arms.len(), 2);
    argo.advance(secs(600), &good);
    let plan = argo.plan();
    assert!(plan.experiment_arms.is_empty());
    assert_eq!(plan.canary_weight_percent, 25);
}
