//! Properties of Argo's canary controller over random step lists, metric scripts and commands:
//! the canary's weight never exceeds the setWeight in force, an abort gives the canary 0% in the
//! same instant, and a dry-run metric never aborts a rollout however badly it measures.

mod support;

use proptest::prelude::*;
use rollouts::analysis::QueryResult;
use rollouts::argo::{ArgoController, RolloutPhase};
use rollouts::spec::parse_specs;
use rollouts::value::{TimeMs, VersionName};
use support::Scripted;

#[derive(Clone, Debug)]
enum StepChoice {
    Weight(u8),
    Pause(u8),
    Analysis,
}

fn step_yaml(step: &StepChoice) -> String {
    match step {
        StepChoice::Weight(w) => format!("      - setWeight: {w}\n"),
        StepChoice::Pause(s) => format!("      - pause: {{duration: {s}s}}\n"),
        StepChoice::Analysis => {
            "      - analysis:\n          templates:\n          - templateName: t\n".to_string()
        }
    }
}

fn yaml(steps: &[StepChoice], dry_run: bool) -> String {
    let steps: String = steps.iter().map(step_yaml).collect();
    let dry = if dry_run {
        "  dryRun:\n  - metricName: rate\n"
    } else {
        ""
    };
    format!("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec:\n  replicas: 4\n  strategy:\n    canary:\n      trafficRouting:\n        istio: {{}}\n      steps:\n{steps}---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n{dry}  metrics:\n  - name: rate\n    interval: 10s\n    count: 2\n    successCondition: result[0] >= 0.9\n    failureCondition: result[0] < 0.5\n    provider:\n      prometheus:\n        query: up\n")
}

fn step_strategy() -> impl Strategy<Value = StepChoice> {
    prop_oneof![
        (0u8..=100).prop_map(StepChoice::Weight),
        (0u8..=60).prop_map(StepChoice::Pause),
        Just(StepChoice::Analysis),
    ]
}

/// Metric values changing at random instants.
fn script_strategy() -> impl Strategy<Value = Scripted> {
    prop::collection::vec((0u64..400, 0.0f64..1.0), 1..6).prop_map(|mut points| {
        points.sort_by_key(|(t, _)| *t);
        Scripted {
            schedule: points
                .into_iter()
                .map(|(t, value)| (TimeMs(t * 1000), QueryResult::Vector(vec![value])))
                .collect(),
        }
    })
}

fn started(steps: &[StepChoice], dry_run: bool) -> ArgoController {
    let set = parse_specs(&yaml(steps, dry_run)).unwrap_or_else(|e| panic!("{e:?}"));
    let mut argo = ArgoController::new(&set.rollouts[0], &set, VersionName("v1".to_string()));
    argo.deploy(VersionName("v2".to_string()), TimeMs(0));
    argo
}

/// The largest setWeight among the steps before `index`.
fn highest_weight_before(steps: &[StepChoice], index: usize) -> u8 {
    steps[..index.min(steps.len())]
        .iter()
        .filter_map(|s| match s {
            StepChoice::Weight(w) => Some(*w),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #[test]
    fn the_weight_never_exceeds_the_set_weight_in_force(
        steps in prop::collection::vec(step_strategy(), 1..8),
        script in script_strategy(),
        promote_at in prop::collection::vec(0u64..400, 0..3),
    ) {
        let mut argo = started(&steps, false);
        for second in 0..400u64 {
            let now = TimeMs(second * 1000);
            if promote_at.contains(&second) {
                let _ = argo.promote(now, false);
            }
            argo.advance(now, &script);
            let status = argo.status(now);
            let plan = argo.plan();
            prop_assert!(plan.canary_weight_percent <= status.set_weight_percent);
            if let Some(index) = status.step_index {
                prop_assert!(plan.canary_weight_percent <= highest_weight_before(&steps, index));
            }
        }
    }

    #[test]
    fn an_abort_gives_the_canary_nothing_in_the_same_instant(
        steps in prop::collection::vec(step_strategy(), 1..8),
        script in script_strategy(),
        abort_second in 0u64..300,
    ) {
        let mut argo = started(&steps, false);
        for second in 0..=abort_second {
            argo.advance(TimeMs(second * 1000), &script);
        }
        let now = TimeMs(abort_second * 1000);
        if argo.abort(now).is_ok() {
            let plan = argo.plan();
            prop_assert_eq!(plan.canary_weight_percent, 0);
            prop_assert!(plan.header_routes.is_empty() && plan.mirror_routes.is_empty());
            prop_assert_eq!(argo.status(now).phase, RolloutPhase::Degraded);
            argo.advance(now, &script);
            prop_assert_eq!(argo.plan().canary_weight_percent, 0);
        }
    }

    #[test]
    fn a_dry_run_metric_never_aborts(
        steps in prop::collection::vec(step_strategy(), 1..8),
        script in script_strategy(),
    ) {
        let mut argo = started(&steps, true);
        for second in 0..600u64 {
            argo.advance(TimeMs(second * 1000), &script);
            prop_assert_ne!(argo.status(TimeMs(second * 1000)).phase, RolloutPhase::Degraded);
        }
        prop_assert_eq!(argo.status(TimeMs(600_000)).phase, RolloutPhase::Healthy);
    }
}
