//! Alerting rules with `for:` as Prometheus evaluates them: pending, firing, resolved, a blip that
//! never fires, `for: 0`, no data resolving an alert, and the serving world's error spike and a
//! drift gauge the lab feeds in.

use rollouts::alerts::{AlertManager, AlertRule, AlertState, CompareOp};
use rollouts::metrics::{Labels, MetricStore};
use rollouts::routing::TrafficPlan;
use rollouts::serving::{Behaviour, BehaviourChange, LatencyModel, ScheduledChange};
use rollouts::value::{DurationMs, TimeMs, VersionName};
use rollouts::world::{World, WorldConfig};
use sim::rng::Seed;

fn rule(expr: &str, threshold: f64, for_ms: u64) -> AlertRule {
    AlertRule {
        name: "HighErrorRate".into(),
        expr: expr.into(),
        op: CompareOp::Above,
        threshold,
        for_ms: DurationMs(for_ms),
    }
}

/// A gauge recorded every 5 s up to `until_s`, with `value_at(t_s)`.
fn gauge_store(until_s: u64, value_at: impl Fn(u64) -> f64) -> MetricStore {
    let mut store = MetricStore::new(DurationMs(5_000), DurationMs(3_600_000));
    let labels = Labels::new([("__name__", "error_ratio"), ("version", "v2")]);
    for t in (5..=until_s).step_by(5) {
        store.record(&labels, TimeMs(t * 1000), value_at(t));
    }
    store
}

fn transitions(manager: &AlertManager) -> Vec<(u64, AlertState, AlertState)> {
    manager
        .history()
        .iter()
        .map(|t| (t.at.0 / 1000, t.from, t.to))
        .collect()
}

/// Above threshold from 105 s to 300 s, evaluated every 15 s with `for: 1m`: pending at the
/// first evaluation that sees it (105 s), firing once it has held 60 s (165 s), resolved at the
/// first evaluation that no longer sees it (315 s).
#[test]
fn pending_then_firing_then_resolved() {
    let store = gauge_store(600, |t| if (105..=300).contains(&t) { 0.1 } else { 0.0 });
    let mut manager =
        AlertManager::new(DurationMs(15_000), vec![rule("error_ratio", 0.05, 60_000)]).unwrap();
    let mut states = Vec::new();
    for t in (15..=600).step_by(15) {
        assert!(manager.evaluate_until(&store, TimeMs(t * 1000)).is_empty());
        states.push((t, manager.state("HighErrorRate")));
    }
    use AlertState::*;
    assert_eq!(
        transitions(&manager),
        vec![
            (105, Inactive, Pending),
            (165, Pending, Firing),
            (315, Firing, Inactive)
        ]
    );
    assert!(manager.history()[2].is_resolved());
    assert!(
        states.contains(&(150, Pending))
            && states.contains(&(300, Firing))
            && states.contains(&(330, Inactive))
    );
    let firing = &manager.history()[1];
    assert_eq!(firing.labels.render(), "error_ratio{version=\"v2\"}");
    assert_eq!(firing.value, 0.1);
}

/// Held for 30 s only, with `for: 1m`: pending, then dropped without ever firing (not resolved).
#[test]
fn a_blip_shorter_than_for_never_fires() {
    let store = gauge_store(600, |t| if (500..=525).contains(&t) { 0.1 } else { 0.0 });
    let mut manager =
        AlertManager::new(DurationMs(15_000), vec![rule("error_ratio", 0.05, 60_000)]).unwrap();
    manager.evaluate_until(&store, TimeMs(600_000));
    use AlertState::*;
    assert_eq!(
        transitions(&manager),
        vec![(510, Inactive, Pending), (540, Pending, Inactive)]
    );
    assert!(!manager.history().iter().any(|t| t.is_resolved()));
}

/// `for: 0` fires at the first evaluation that sees the condition.
#[test]
fn for_zero_fires_at_once() {
    let store = gauge_store(600, |t| if t >= 200 { 0.1 } else { 0.0 });
    let mut manager =
        AlertManager::new(DurationMs(15_000), vec![rule("error_ratio", 0.05, 0)]).unwrap();
    manager.evaluate_until(&store, TimeMs(300_000));
    use AlertState::*;
    assert_eq!(
        transitions(&manager),
        vec![(210, Inactive, Pending), (210, Pending, Firing)]
    );
}

/// The series stops at 200 s while firing: the instant selector still sees its last sample for
/// the 5-minute lookback, then there is no data and the alert resolves (at 510 s, the first
/// evaluation after 200 s + 300 s).
#[test]
fn no_data_resolves_a_firing_alert() {
    let store = gauge_store(200, |_| 0.1);
    let mut manager =
        AlertManager::new(DurationMs(15_000), vec![rule("error_ratio", 0.05, 30_000)]).unwrap();
    manager.evaluate_until(&store, TimeMs(900_000));
    use AlertState::*;
    assert_eq!(
        transitions(&manager),
        vec![
            (15, Inactive, Pending),
            (45, Pending, Firing),
            (510, Firing, Inactive)
        ]
    );
}

/// A manager made while the lab runs starts evaluating at the next interval, not from time 0.
#[test]
fn rules_added_later_start_at_the_next_interval() {
    let store = gauge_store(600, |_| 0.1);
    let mut manager = AlertManager::new(DurationMs(15_000), vec![rule("error_ratio", 0.05, 0)])
        .unwrap()
        .starting_after(TimeMs(400_000));
    manager.evaluate_until(&store, TimeMs(600_000));
    assert_eq!(manager.history()[0].at, TimeMs(405_000));
}

#[test]
fn a_rule_that_does_not_parse_is_refused_with_its_name() {
    let err = AlertManager::new(DurationMs(15_000), vec![rule("rate(x[5m]", 1.0, 0)]).unwrap_err();
    assert!(
        err.contains("HighErrorRate") && err.contains("character"),
        "{err}"
    );
}

fn serving_world() -> World {
    let mut world = World::new(WorldConfig::new(Seed(21)), VersionName("v1".into()));
    let latency = LatencyModel::new(40.0, 200.0).unwrap();
    world.deploy(
        VersionName("v1".into()),
        Behaviour::steady(latency, 0.0, 90.0),
    );
    world
        .set_plan(TrafficPlan::all_to(VersionName("v1".into())))
        .unwrap();
    world
}

/// A 5xx spike from 10 to 20 minutes at 30%: the 1-minute error ratio crosses 10% within the
/// minute after 10m, so the alert is pending by the first evaluation after that, fires exactly
/// 2 minutes (the `for`) later, and resolves within the minute (plus one 30 s evaluation) after
/// the spike ends; before the spike the numerator has no series, so the rule sees no data.
#[test]
fn an_error_spike_fires_and_resolves_on_the_timeline() {
    let mut world = serving_world();
    for (at_min, percent) in [(10, 30.0), (20, 0.0)] {
        world.schedule(ScheduledChange {
            at: TimeMs(at_min * 60_000),
            version: VersionName("v1".into()),
            change: BehaviourChange::ErrorRatePercent(percent),
        });
    }
    let expr = "sum(rate(istio_requests_total{response_code=~\"5..\"}[1m])) / sum(rate(istio_requests_total[1m]))";
    let mut manager =
        AlertManager::new(DurationMs(30_000), vec![rule(expr, 0.1, 120_000)]).unwrap();
    for _ in 0..30 * 60 {
        world.tick(DurationMs(1_000));
        assert!(manager
            .evaluate_until(world.store(), world.now())
            .is_empty());
    }
    let history = manager.history();
    assert_eq!(history.len(), 3, "{:?}", transitions(&manager));
    let (pending, firing, resolved) = (history[0].at.0, history[1].at.0, history[2].at.0);
    assert!((600_000..=660_000).contains(&pending), "{pending}");
    assert_eq!(firing, pending + 120_000);
    assert!(history[2].is_resolved());
    assert!((1_200_000..=1_290_000).contains(&resolved), "{resolved}");
}

/// Drift is alerted on as a value the lab feeds in: a gauge set on the world, scraped like the
/// rest.
#[test]
fn a_drift_gauge_fed_by_the_lab_alerts_too() {
    let mut world = serving_world();
    let psi = Labels::new([("__name__", "model_drift_psi"), ("version", "v1")]);
    world.set_gauge(psi.clone(), 0.05);
    let drift = AlertRule {
        name: "FeatureDrift".into(),
        expr: "model_drift_psi".into(),
        op: CompareOp::AtLeast,
        threshold: 0.2,
        for_ms: DurationMs(300_000),
    };
    let mut manager = AlertManager::new(DurationMs(60_000), vec![drift]).unwrap();
    for minute in 1..=20u64 {
        if minute == 5 {
            world.set_gauge(psi.clone(), 0.31);
        }
        world.tick(DurationMs(60_000));
        manager.evaluate_until(world.store(), world.now());
    }
    // Set during minute 5, scraped within it; pending at 5m, firing 5 minutes later.
    use AlertState::*;
    assert_eq!(
        transitions(&manager),
        vec![(300, Inactive, Pending), (600, Pending, Firing)]
    );
    assert_eq!(manager.state("FeatureDrift"), Firing);
}

/// A p99 regression (to 2 s from 200 ms) at 10 minutes: a latency rule on the 1-minute p99 with
/// `for: 1m` stays inactive before and fires within the two minutes after (one minute for the
/// window to fill enough, one for the `for`, rounded to 30 s evaluations).
#[test]
fn a_latency_regression_fires_a_p99_alert() {
    let mut world = serving_world();
    world.schedule(ScheduledChange {
        at: TimeMs(10 * 60_000),
        version: VersionName("v1".into()),
        change: BehaviourChange::P99Ms(2_000.0),
    });
    let expr = "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket[1m])) by (le))";
    let mut latency = rule(expr, 1_000.0, 60_000);
    latency.name = "HighLatency".into();
    let mut manager = AlertManager::new(DurationMs(30_000), vec![latency]).unwrap();
    for _ in 0..15 * 60 {
        world.tick(DurationMs(1_000));
        manager.evaluate_until(world.store(), world.now());
    }
    let history = manager.history();
    assert_eq!(history.len(), 2, "{:?}", transitions(&manager));
    assert!(history[0].at.0 >= 600_000 && history[1].at.0 <= 600_000 + 150_000);
    assert_eq!(manager.state("HighLatency"), AlertState::Firing);
}
