//! Flagger's loop over a scripted metric source and scripted webhooks: the timing of promotion
//! and rollback follows from the interval, the weights and the threshold; manual gates hold the
//! canary; A/B testing routes by header for its iterations; blue-green mirrors then switches.

mod support;

use rollouts::analysis::QueryResult;
use rollouts::flagger::{FlaggerController, FlaggerEventKind, FlaggerPhase, WebhookGate};
use rollouts::spec::{parse_specs, FlaggerCanary, FlaggerWebhook};
use rollouts::value::{TimeMs, VersionName};
use support::{secs, Scripted};

fn v(name: &str) -> VersionName {
    VersionName(name.to_string())
}

/// Webhooks answer by name: `rejected` ones fail; a gate named in `approved_at` succeeds from then.
struct Hooks {
    rejected: Vec<&'static str>,
    approved_at: Vec<(&'static str, TimeMs)>,
}

impl Hooks {
    fn all_pass() -> Hooks {
        Hooks {
            rejected: Vec::new(),
            approved_at: Vec::new(),
        }
    }
}

impl WebhookGate for Hooks {
    fn call(&self, hook: &FlaggerWebhook, now: TimeMs) -> bool {
        if self.rejected.contains(&hook.name.as_str()) {
            return false;
        }
        match self.approved_at.iter().find(|(name, _)| *name == hook.name) {
            Some((_, from)) => now >= *from,
            None => true,
        }
    }
}

fn canary(analysis: &str) -> FlaggerCanary {
    let yaml = format!("apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: app\nspec:\n  targetRef:\n    name: app\n  analysis:\n{analysis}");
    parse_specs(&yaml)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .canaries
        .remove(0)
}

const PROGRESSIVE: &str = "    interval: 1m\n    threshold: 3\n    maxWeight: 50\n    stepWeight: 10\n    metrics:\n    - name: request-success-rate\n      thresholdRange:\n        min: 99\n";

/// Runs passes until `until`, returning when each phase was first entered.
fn run(
    controller: &mut FlaggerController,
    until: u64,
    source: &Scripted,
    hooks: &Hooks,
) -> Vec<(TimeMs, FlaggerPhase, u8)> {
    let mut seen = Vec::new();
    for t in (0..=until).step_by(10) {
        controller.advance(secs(t), source, hooks);
        let status = controller.status();
        if seen.last().is_none_or(|(_, phase, weight)| {
            *phase != status.phase || *weight != status.canary_weight_percent
        }) {
            seen.push((secs(t), status.phase, status.canary_weight_percent));
        }
    }
    seen
}

/// When the run `seen` first entered `phase`.
fn first_entered(seen: &[(TimeMs, FlaggerPhase, u8)], phase: FlaggerPhase) -> Option<TimeMs> {
    seen.iter()
        .find(|(_, p, _)| *p == phase)
        .map(|(t, _, _)| *t)
}

/// The canary weights the controller set, in order.
fn weights_set(controller: &FlaggerController) -> Vec<u8> {
    controller
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            FlaggerEventKind::WeightSet(w) => Some(w),
            _ => None,
        })
        .collect()
}

/// The weights set over `until_s` seconds for a canary with `analysis` whose metrics all pass.
fn weights_of_a_healthy_canary(analysis: &str, until_s: u64) -> Vec<u8> {
    let mut controller = started(canary(analysis));
    run(
        &mut controller,
        until_s,
        &Scripted::constant(100.0),
        &Hooks::all_pass(),
    );
    weights_set(&controller)
}

fn started(spec: FlaggerCanary) -> FlaggerController {
    let mut controller = FlaggerController::new(spec, v("v1"), TimeMs(0));
    controller.deploy(v("v2"), TimeMs(0));
    controller
}

#[test]
fn promotion_takes_interval_times_max_weight_over_step_weight_plus_the_promotion_passes() {
    let spec = canary(PROGRESSIVE);
    let interval_s = 60;
    let steps = u64::from(spec.analysis.max_weight / spec.analysis.step_weight);
    let mut controller = started(spec);
    let seen = run(
        &mut controller,
        900,
        &Scripted::constant(100.0),
        &Hooks::all_pass(),
    );
    // Pass 0 starts the analysis; passes 1..=steps raise the weight; the next promotes.
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Progressing),
        Some(secs(0))
    );
    assert!(
        seen.contains(&(secs(interval_s * steps), FlaggerPhase::Progressing, 50)),
        "{seen:?}"
    );
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Promoting),
        Some(secs(interval_s * (steps + 1)))
    );
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Finalising),
        Some(secs(interval_s * (steps + 2)))
    );
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Succeeded),
        Some(secs(interval_s * (steps + 3)))
    );
    assert_eq!(controller.primary(), &v("v2"));
    assert_eq!(
        controller.plan(),
        rollouts::routing::TrafficPlan::all_to(v("v2"))
    );
    assert_eq!(weights_set(&controller), vec![10, 20, 30, 40, 50, 0]);
}

#[test]
fn rollback_comes_threshold_intervals_after_the_first_failed_check() {
    let spec = canary(PROGRESSIVE);
    let threshold = u64::from(spec.analysis.threshold);
    let mut controller = started(spec);
    let seen = run(
        &mut controller,
        900,
        &Scripted::constant(90.0),
        &Hooks::all_pass(),
    );
    // Pass 1 runs the pre-rollout hooks only; metrics are checked from pass 2 on.
    let first_failure = controller
        .events()
        .iter()
        .find(|e| matches!(e.kind, FlaggerEventKind::CheckFailed(_)))
        .map(|e| e.at);
    assert_eq!(first_failure, Some(secs(120)));
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Failed),
        Some(secs(120 + 60 * threshold)),
        "failedChecks >= threshold, not >: {seen:?}"
    );
    assert_eq!(controller.status().canary_weight_percent, 0);
    assert_eq!(
        controller.plan(),
        rollouts::routing::TrafficPlan::all_to(v("v1"))
    );
    assert!(
        seen.iter().all(|(_, _, w)| *w <= 10),
        "the weight stays while checks fail: {seen:?}"
    );
}

#[test]
fn no_values_found_is_a_failed_check() {
    let mut controller = started(canary(PROGRESSIVE));
    let empty = Scripted {
        schedule: vec![(TimeMs(0), QueryResult::Vector(Vec::new()))],
    };
    run(&mut controller, 120, &empty, &Hooks::all_pass());
    assert_eq!(controller.status().failed_checks, 1);
    assert!(controller.events().iter().any(
        |e| matches!(&e.kind, FlaggerEventKind::CheckFailed(why) if why.contains("no values found"))
    ));
}

#[test]
fn a_failing_load_test_webhook_is_a_failed_check() {
    let analysis =
        format!("{PROGRESSIVE}    webhooks:\n    - name: load-test\n      type: rollout\n");
    let mut controller = started(canary(&analysis));
    let hooks = Hooks {
        rejected: vec!["load-test"],
        approved_at: Vec::new(),
    };
    run(&mut controller, 120, &Scripted::constant(100.0), &hooks);
    assert_eq!(controller.status().failed_checks, 1);
}

#[test]
fn manual_gates_hold_the_rollout_until_approved() {
    let analysis = format!("{PROGRESSIVE}    webhooks:\n    - name: start-gate\n      type: confirm-rollout\n    - name: promote-gate\n      type: confirm-promotion\n");
    let mut controller = started(canary(&analysis));
    let hooks = Hooks {
        rejected: Vec::new(),
        approved_at: vec![("start-gate", secs(200)), ("promote-gate", secs(1000))],
    };
    let seen = run(&mut controller, 1200, &Scripted::constant(100.0), &hooks);
    assert_eq!(seen[0].1, FlaggerPhase::Waiting);
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Progressing),
        Some(secs(240)),
        "the first pass after approval"
    );
    assert_eq!(
        first_entered(&seen, FlaggerPhase::WaitingPromotion),
        Some(secs(240 + 6 * 60))
    );
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Promoting),
        Some(secs(1020))
    );
}

#[test]
fn step_weights_are_followed_in_order() {
    let analysis = "    interval: 30s\n    stepWeights: [1, 5, 25, 60]\n";
    assert_eq!(
        weights_of_a_healthy_canary(analysis, 600),
        vec![1, 5, 25, 60, 0]
    );
}

#[test]
fn step_weight_promotion_shifts_traffic_back_in_steps() {
    let analysis =
        "    interval: 1m\n    maxWeight: 50\n    stepWeight: 25\n    stepWeightPromotion: 20\n";
    assert_eq!(
        weights_of_a_healthy_canary(analysis, 900),
        vec![25, 50, 30, 10, 0]
    );
}

#[test]
fn ab_testing_routes_matching_users_for_its_iterations_then_promotes() {
    let set = parse_specs(include_str!("../specs/flagger-ab.yaml")).expect("parses");
    let mut controller = FlaggerController::new(set.canaries[0].clone(), v("v1"), TimeMs(0));
    controller.deploy(v("v2"), TimeMs(0));
    let good = Scripted::constant(100.0);
    controller.advance(secs(60), &good, &Hooks::all_pass());
    let plan = controller.plan();
    assert_eq!(plan.canary_weight_percent, 0, "A/B moves no weight");
    assert_eq!(plan.header_routes.len(), 2);
    // The success rate is 100 (>= 99) but the latency query returns 100 too (<= 500): all pass.
    let seen = run(&mut controller, 900, &good, &Hooks::all_pass());
    assert_eq!(controller.status().iterations, 10);
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Promoting),
        Some(secs(11 * 60))
    );
    assert_eq!(
        first_entered(&seen, FlaggerPhase::Succeeded),
        Some(secs(13 * 60))
    );
}

#[test]
fn blue_green_mirroring_shadows_then_switches_then_promotes() {
    let analysis = "    interval: 1m\n    iterations: 3\n    mirror: true\n    mirrorWeight: 50\n";
    let mut controller = started(canary(analysis));
    let good = Scripted::constant(100.0);
    controller.advance(secs(60), &good, &Hooks::all_pass());
    let plan = controller.plan();
    assert_eq!(
        (plan.canary_weight_percent, plan.mirror_routes.len()),
        (0, 1)
    );
    assert_eq!(plan.mirror_routes[0].percentage, 50);
    controller.advance(secs(180), &good, &Hooks::all_pass());
    assert_eq!(controller.status().iterations, 3);
    controller.advance(secs(240), &good, &Hooks::all_pass());
    let plan = controller.plan();
    assert_eq!(
        (plan.canary_weight_percent, plan.mirror_routes.len()),
        (100, 0),
        "all traffic to the canary"
    );
    controller.advance(secs(300), &good, &Hooks::all_pass());
    assert_eq!(controller.status().phase, FlaggerPhase::Promoting);
}

#[test]
fn a_new_revision_during_analysis_restarts_it() {
    let mut controller = started(canary(PROGRESSIVE));
    let good = Scripted::constant(100.0);
    controller.advance(secs(180), &good, &Hooks::all_pass());
    assert_eq!(controller.status().canary_weight_percent, 30);
    controller.deploy(v("v3"), secs(190));
    assert_eq!(controller.status().canary_weight_percent, 0);
    controller.advance(secs(240), &good, &Hooks::all_pass());
    assert_eq!(controller.plan().canary, Some(v("v3")));
    assert_eq!(controller.status().canary_weight_percent, 10);
}

/// Checks run only while the canary is analysed: once it is promoted (Promoting, Finalising,
/// Succeeded) no query is asked, so a metric with no data then fails nothing; and a pass stops at
/// its first failing metric, as Flagger's does.
#[test]
fn metric_checks_run_only_during_the_analysis() {
    let mut controller = started(canary(PROGRESSIVE));
    let data_until_promotion = Scripted {
        schedule: vec![
            (secs(0), QueryResult::Vector(vec![100.0])),
            (secs(370), QueryResult::Vector(Vec::new())),
        ],
    };
    let seen = run(
        &mut controller,
        900,
        &data_until_promotion,
        &Hooks::all_pass(),
    );
    let promoted_at = first_entered(&seen, FlaggerPhase::Promoting).expect("promoted");
    assert_eq!(controller.status().phase, FlaggerPhase::Succeeded);
    assert_eq!(controller.status().failed_checks, 0);
    let checks = controller.checks();
    // Weights 10 to 50 are each checked once, the last check deciding the promotion.
    assert_eq!(checks.len(), 5, "{checks:?}");
    assert!(
        checks.iter().all(|c| c.ok && c.at <= promoted_at),
        "{checks:?}"
    );

    let two_metrics = format!(
        "{PROGRESSIVE}    - name: request-duration\n      thresholdRange:\n        max: 500\n"
    );
    let mut failing = started(canary(&two_metrics));
    run(
        &mut failing,
        300,
        &Scripted::constant(50.0),
        &Hooks::all_pass(),
    );
    let checks = failing.checks();
    assert!(!checks.is_empty());
    assert!(
        checks
            .iter()
            .all(|c| c.metric == "request-success-rate" && !c.ok && c.value == Some(50.0)),
        "the failing first metric ends each pass: {checks:?}"
    );
}
