//! The serving world end to end: the router's split, header precedence, mirrors, sticky users,
//! scheduled regressions, how noisy a small canary's p99 honestly is, and determinism.
//!
//! Every statistical bound here is derived from the model (binomial or Poisson spreads, the
//! delta-method spread of a histogram quantile), with the margin stated next to it.

use proptest::prelude::*;
use rollouts::metrics::Audience;
use rollouts::routing::{
    ExperimentArmRoute, HeaderMatch, HeaderRoute, MatchBlock, MirrorRoute, RouteReason, Router,
    StringMatch, TrafficPlan,
};
use rollouts::serving::{Behaviour, BehaviourChange, LatencyModel, ScheduledChange, Status};
use rollouts::traffic::{Traffic, TrafficConfig, BETA_HEADER};
use rollouts::value::{DurationMs, PodTemplateHash, TimeMs, UserId, VersionName};
use rollouts::world::{World, WorldConfig};
use sim::rng::{Rng, Seed};
use sim::special::normal_cdf;

fn v(name: &str) -> VersionName {
    VersionName(name.to_string())
}

/// A route's `match` list with one block holding one condition.
fn one_block(header: &str, value: StringMatch) -> Vec<MatchBlock> {
    vec![MatchBlock {
        conditions: vec![HeaderMatch {
            header: header.into(),
            value,
        }],
    }]
}

fn behaviour(median_ms: f64, p99_ms: f64, error_rate_percent: f64) -> Behaviour {
    Behaviour::steady(
        LatencyModel::new(median_ms, p99_ms).unwrap(),
        error_rate_percent,
        90.0,
    )
}

fn canary_plan(weight: u8) -> TrafficPlan {
    TrafficPlan {
        canary: Some(v("v2")),
        canary_weight_percent: weight,
        ..TrafficPlan::all_to(v("v1"))
    }
}

fn world(seed: u64, requests_per_second: f64) -> World {
    let mut config = WorldConfig::new(Seed(seed));
    config.traffic.requests_per_second = requests_per_second;
    let mut world = World::new(config, v("v1"));
    world.deploy(v("v1"), behaviour(50.0, 400.0, 0.0));
    world.deploy(v("v2"), behaviour(50.0, 400.0, 0.0));
    world
}

fn run_minutes(world: &mut World, minutes: u64) {
    for _ in 0..minutes * 600 {
        world.tick(DurationMs(100));
    }
}

fn value(world: &World, query: &str) -> Option<f64> {
    let result = world.promql_query(query, world.now()).unwrap();
    assert!(result.len() <= 1, "{query}: {} series", result.len());
    result.first().map(|(_, v)| *v)
}

#[test]
fn weights_split_requests_within_binomial_bounds() {
    let traffic = Traffic::new(TrafficConfig::default(), &Rng::new(Seed(1)));
    let mut rng = Rng::new(Seed(2));
    for weight in [1u8, 20, 50, 99] {
        let router = Router::new(canary_plan(weight)).unwrap();
        let n = 100_000u64;
        let to_canary = (0..n)
            .filter(|i| {
                let user = &traffic.users()[(*i % 1000) as usize];
                router.route(user, &mut rng).serve == v("v2")
            })
            .count() as f64;
        let p = f64::from(weight) / 100.0;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        // Five binomial standard deviations: a false failure has probability below 1e-6.
        assert!(
            (to_canary - n as f64 * p).abs() < 5.0 * sd,
            "weight {weight}: {to_canary}"
        );
    }
    let none = Router::new(canary_plan(0)).unwrap();
    let all = Router::new(canary_plan(100)).unwrap();
    for user in traffic.users() {
        assert_eq!(none.route(user, &mut rng).serve, v("v1"));
        assert_eq!(all.route(user, &mut rng).serve, v("v2"));
    }
}

#[test]
fn header_routes_take_precedence_over_weights() {
    let traffic = Traffic::new(TrafficConfig::default(), &Rng::new(Seed(3)));
    let mut rng = Rng::new(Seed(4));
    let plan = TrafficPlan {
        header_routes: vec![HeaderRoute {
            name: "beta".into(),
            matches: one_block(BETA_HEADER, StringMatch::Exact("true".into())),
        }],
        ..canary_plan(0)
    };
    let router = Router::new(plan).unwrap();
    let mut beta_users = 0;
    for user in traffic.users() {
        let is_beta = user.header(BETA_HEADER) == Some("true");
        beta_users += usize::from(is_beta);
        for _ in 0..5 {
            let decision = router.route(user, &mut rng);
            if is_beta {
                assert_eq!(decision.serve, v("v2"));
                assert_eq!(decision.reason, RouteReason::HeaderRoute("beta".into()));
            } else {
                assert_eq!(decision.serve, v("v1"));
            }
        }
    }
    assert!(beta_users > 0);
    // A bad regex is refused when the plan is set, naming the route.
    let bad = TrafficPlan {
        header_routes: vec![HeaderRoute {
            name: "broken".into(),
            matches: one_block("cookie", StringMatch::Regex("(canary".into())),
        }],
        ..canary_plan(0)
    };
    assert!(Router::new(bad).unwrap_err().contains("broken"));
}

/// A user who set `canary=always` reaches the canary on every request, while weighted routing
/// sends everyone else there about 10% of the time; ids and headers never change.
#[test]
fn a_cookie_route_is_sticky_per_user() {
    let mut config = WorldConfig::new(Seed(5));
    config.traffic.requests_per_second = 50.0;
    config.recent_responses_kept = usize::MAX;
    let mut world = World::new(config, v("v1"));
    world.deploy(v("v1"), behaviour(50.0, 400.0, 0.0));
    world.deploy(v("v2"), behaviour(50.0, 400.0, 0.0));
    let opted_in = UserId(7);
    world
        .traffic_mut()
        .set_cookie(opted_in, "session", "abc")
        .unwrap();
    world
        .traffic_mut()
        .set_cookie(opted_in, "canary", "always")
        .unwrap();
    world
        .set_plan(TrafficPlan {
            header_routes: vec![HeaderRoute {
                name: "opt-in".into(),
                // Browsers join cookies with "; ": the optional space matters.
                matches: one_block(
                    "cookie",
                    StringMatch::Regex("^(.*?; ?)?(canary=always)(;.*)?$".into()),
                ),
            }],
            ..canary_plan(10)
        })
        .unwrap();
    let users_before = world.traffic().users().to_vec();
    for _ in 0..200 {
        world.tick(DurationMs(1_000));
    }
    assert_eq!(world.traffic().users(), users_before.as_slice());
    // 10,000 requests from 1,000 users: user 7 sends Poisson(10) of them (none: e^-10).
    let mine: Vec<_> = world.recent().filter(|r| r.user == opted_in).collect();
    assert!(!mine.is_empty());
    assert!(mine
        .iter()
        .all(|r| r.version == v("v2") && r.reason == RouteReason::HeaderRoute("opt-in".into())));
    let others_to_canary = world
        .recent()
        .filter(|r| r.user != opted_in && r.version == v("v2"))
        .count() as f64;
    let others = world.recent().filter(|r| r.user != opted_in).count() as f64;
    let sd = (others * 0.1 * 0.9).sqrt();
    assert!(
        (others_to_canary - others * 0.1).abs() < 5.0 * sd,
        "{others_to_canary} of {others}"
    );
}

#[test]
fn mirrored_copies_are_recorded_and_never_returned() {
    let mut world = world(6, 100.0);
    world
        .set_plan(TrafficPlan {
            mirror_routes: vec![MirrorRoute {
                name: "shadow".into(),
                percentage: 50,
                matches: Vec::new(),
            }],
            ..canary_plan(0)
        })
        .unwrap();
    run_minutes(&mut world, 2);
    let totals = world.totals();
    // Each user request has exactly one returned response; mirrors are extra and dropped.
    let user_records = world.recent().filter(|r| r.returned_to_user()).count();
    let mirror_records = world.recent().filter(|r| !r.returned_to_user()).count();
    assert!(world
        .recent()
        .filter(|r| !r.returned_to_user())
        .all(|r| r.version == v("v2") && r.audience == Audience::Mirror));
    assert!(world
        .recent()
        .filter(|r| r.returned_to_user())
        .all(|r| r.version == v("v1")));
    assert_eq!(world.recent().count(), user_records + mirror_records);
    // Half of ~12,000 requests are mirrored: Binomial sd ~55, five of them.
    let expected = totals.user_requests as f64 / 2.0;
    assert!((totals.mirrored_copies as f64 - expected).abs() < 5.0 * (expected / 2.0).sqrt());
    // The canary has shadow metrics only: user-facing queries see nothing for it.
    let user_facing = "sum(istio_requests_total{version=\"v2\",mirror!=\"true\"})";
    assert_eq!(value(&world, user_facing), None);
    let shadow = value(
        &world,
        "sum(istio_requests_total{version=\"v2\",mirror=\"true\"})",
    )
    .unwrap();
    let stable = value(
        &world,
        "sum(istio_requests_total{version=\"v1\",mirror!=\"true\"})",
    )
    .unwrap();
    assert!(shadow > 0.0 && stable >= shadow);
}

#[test]
fn scheduled_regressions_show_in_the_metrics() {
    let mut world = world(8, 100.0);
    world.set_plan(canary_plan(50)).unwrap();
    world.schedule(ScheduledChange {
        at: TimeMs(10 * 60_000),
        version: v("v2"),
        change: BehaviourChange::ErrorRatePercent(20.0),
    });
    world.schedule(ScheduledChange {
        at: TimeMs(10 * 60_000),
        version: v("v2"),
        change: BehaviourChange::P99Ms(4_000.0),
    });
    let errors = "sum(rate(istio_requests_total{version=\"v2\",response_code=~\"5..\"}[5m])) / sum(rate(istio_requests_total{version=\"v2\"}[5m]))";
    let p99 = "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{version=\"v2\"}[5m])) by (le))";
    run_minutes(&mut world, 10);
    // No 5xx has happened yet, so the numerator has no series at all: the ratio is no data, as
    // in Prometheus (not 0).
    assert_eq!(value(&world, errors), None);
    let p99_before = value(&world, p99).unwrap();
    run_minutes(&mut world, 6);
    // ~15,000 canary requests in the window at 20% errors: binomial sd 0.0033; 5 of them.
    let error_ratio = value(&world, errors).unwrap();
    assert!((error_ratio - 0.2).abs() < 0.017, "{error_ratio}");
    let p99_after = value(&world, p99).unwrap();
    assert!(
        p99_before < 500.0 && p99_after > 2_500.0,
        "{p99_before} -> {p99_after}"
    );
    // The stable version did not change.
    assert_eq!(value(&world, &errors.replace("v2", "v1")), None);
    // A version that is not deployed answers 503 to everything routed to it.
    world.remove(&v("v2"));
    world.tick(DurationMs(10_000));
    assert!(world
        .recent()
        .filter(|r| r.version == v("v2"))
        .all(|r| r.response.status == Status::Unavailable503));
}

fn sample_sd(values: &[f64]) -> f64 {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// A 1% canary's p99 over 5-minute windows swings widely; a 50% canary's holds steady.
///
/// Both versions: median 50 ms, p99 400 ms, so sigma = ln(8)/2.326. The 0.99 quantile falls in
/// Istio's (250, 500] bucket, where `histogram_quantile` interpolates linearly with the bucket's
/// density f = (F(500) - F(250))/250. By the delta method, the estimate's standard deviation with
/// n requests in the window is sqrt(0.99 * 0.01 / n) / f: at 100 rps over 300 s, n = 300 for 1%
/// (about 47 ms) and 15,000 for 50% (about 6.6 ms). Over 24 windows, a sample standard deviation
/// is within 0.15 of its true value (relative, one sd), so the bounds below (half the predicted
/// spread at 1%, twice it at 50%) are over three of those away.
#[test]
fn a_one_percent_canary_p99_is_honestly_noisy() {
    let sigma = 8f64.ln() / 2.326_347_874_040_840_8;
    let cdf = |ms: f64| normal_cdf((ms / 50.0).ln() / sigma);
    let density = (cdf(500.0) - cdf(250.0)) / 250.0;
    let limit = 250.0 + (0.99 - cdf(250.0)) / density;
    let predicted_sd = |n: f64| (0.99f64 * 0.01 / n).sqrt() / density;
    let p99 = "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{version=\"v2\",mirror!=\"true\"}[5m])) by (le))";
    let mut spreads = Vec::new();
    for (weight, n) in [(1u8, 300.0), (50, 15_000.0)] {
        let mut world = world(10 + u64::from(weight), 100.0);
        world.set_plan(canary_plan(weight)).unwrap();
        let mut windows = Vec::new();
        for _ in 0..24 {
            run_minutes(&mut world, 5);
            windows.push(value(&world, p99).unwrap());
        }
        let sd = sample_sd(&windows);
        eprintln!(
            "{weight}% canary: p99 sd {sd:.1} ms (predicted {:.1}), limit {limit:.1}, windows {windows:.0?}",
            predicted_sd(n)
        );
        if weight == 50 {
            assert!(sd < 2.0 * predicted_sd(n), "50%: sd {sd}");
            for estimate in &windows {
                assert!(
                    (estimate - limit).abs() < 5.0 * predicted_sd(n),
                    "50%: {estimate} vs {limit}"
                );
            }
        } else {
            assert!(sd > 0.5 * predicted_sd(n), "1%: sd {sd}");
        }
        spreads.push(sd);
    }
    assert!(spreads[0] > 3.0 * spreads[1], "{spreads:?}");
}

/// At 2 rps a 1% canary gets 0.02 rps: a 1-minute window is empty with probability
/// e^(-1.2) = 0.30, so among 60 windows some give no data (NaN or nothing) and some give a value
/// (all 60 empty or all 60 full has probability below 1e-9).
#[test]
fn a_tiny_canary_has_windows_with_no_data() {
    let mut world = world(12, 2.0);
    world.set_plan(canary_plan(1)).unwrap();
    let query = "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{version=\"v2\"}[1m])) by (le))";
    assert_eq!(world.promql_query(query, world.now()).unwrap(), Vec::new());
    let (mut empty, mut full) = (0, 0);
    for _ in 0..60 {
        run_minutes(&mut world, 1);
        match value(&world, query) {
            Some(v) if !v.is_nan() => full += 1,
            _ => empty += 1,
        }
    }
    assert!(empty > 0 && full > 0, "{empty} empty, {full} with data");
}

#[test]
fn an_hour_at_100_rps_keeps_memory_bounded() {
    let mut world = world(13, 100.0);
    world.set_plan(canary_plan(10)).unwrap();
    run_minutes(&mut world, 70);
    let requests = world.totals().user_requests as f64;
    // Poisson(420,000): sd 648; five of them.
    assert!(
        (requests - 420_000.0).abs() < 5.0 * 420_000f64.sqrt(),
        "{requests}"
    );
    // At most one sample per series per 5 s within the 65-minute horizon.
    let per_series = 65 * 60 / 5;
    for series in world.store().series() {
        assert!(series.len() <= per_series, "{}", series.labels.render());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Same seed, same calls: the same metrics, sample for sample.
    #[test]
    fn same_seed_same_metrics(seed in any::<u64>(), weight in 0u8..=100, ticks in 1usize..400, tick_ms in 1u64..2_000) {
        let make = || {
            let mut w = world(seed, 80.0);
            w.set_plan(canary_plan(weight)).unwrap();
            w.schedule(ScheduledChange { at: TimeMs(30_000), version: v("v2"), change: BehaviourChange::QualityDecayPercentPerHour(50.0) });
            for _ in 0..ticks {
                w.tick(DurationMs(tick_ms));
            }
            w
        };
        let (a, b) = (make(), make());
        prop_assert_eq!(a.store(), b.store());
        prop_assert_eq!(a.state_hash(), b.state_hash());
        prop_assert_eq!(a.totals(), b.totals());
        let q = "sum(rate(istio_requests_total[1m])) by (version)";
        prop_assert_eq!(a.promql_query(q, a.now()), b.promql_query(q, b.now()));
    }
}

/// Analysis reads the world through `MetricSource`: values in label order, or the error text.
#[test]
fn the_world_answers_analysis_queries() {
    use rollouts::analysis::{MetricSource, Provider, QueryResult};
    let mut world = world(14, 100.0);
    world.set_plan(canary_plan(50)).unwrap();
    run_minutes(&mut world, 2);
    let by_version = Provider::Prometheus {
        query: "sum(rate(istio_requests_total[1m])) by (version)".into(),
    };
    let QueryResult::Vector(values) = world.query(&by_version, world.now()) else {
        panic!("expected a vector");
    };
    // Two versions at about 50 rps each (Poisson over a minute: sd ~0.9 rps; five of them).
    assert_eq!(values.len(), 2);
    assert!(values.iter().all(|v| (v - 50.0).abs() < 4.6), "{values:?}");
    let nothing = Provider::Prometheus {
        query: "sum(rate(istio_requests_total{version=\"v3\"}[1m]))".into(),
    };
    assert_eq!(
        world.query(&nothing, world.now()),
        QueryResult::Vector(Vec::new())
    );
    let broken = Provider::Prometheus {
        query: "sum(rate(istio_requests_total[1m]) by (version)".into(),
    };
    let QueryResult::Error(message) = world.query(&broken, world.now()) else {
        panic!("expected an error");
    };
    assert!(message.starts_with("at character"), "{message}");
}

/// Experiment arms take their share after the canary's; a mirror route with a header condition
/// copies only matching requests.
#[test]
fn experiment_arms_and_conditional_mirrors() {
    let traffic = Traffic::new(TrafficConfig::default(), &Rng::new(Seed(15)));
    let mut rng = Rng::new(Seed(16));
    let plan = TrafficPlan {
        experiment_arms: ["v2-baseline", "v2-canary"]
            .into_iter()
            .map(|name| ExperimentArmRoute {
                name: name.into(),
                version: v(name),
                pod_template_hash: PodTemplateHash::of_experiment(&v(name), "exp"),
                weight_percent: 20,
            })
            .collect(),
        mirror_routes: vec![MirrorRoute {
            name: "beta-shadow".into(),
            percentage: 100,
            matches: one_block(BETA_HEADER, StringMatch::Prefix("tr".into())),
        }],
        ..canary_plan(10)
    };
    let router = Router::new(plan).unwrap();
    let n = 100_000u64;
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..n {
        let user = &traffic.users()[(i % 1000) as usize];
        let decision = router.route(user, &mut rng);
        let is_beta = user.header(BETA_HEADER).is_some();
        assert_eq!(decision.mirror.is_some(), is_beta);
        assert_eq!(
            decision.arm.is_some(),
            decision.reason == RouteReason::ExperimentArm
        );
        *counts.entry(decision.serve.0).or_insert(0u64) += 1;
    }
    for (version, share) in [
        ("v2", 0.1),
        ("v2-baseline", 0.2),
        ("v2-canary", 0.2),
        ("v1", 0.5),
    ] {
        let got = counts[version] as f64;
        let sd = (n as f64 * share * (1.0 - share)).sqrt();
        assert!(
            (got - n as f64 * share).abs() < 5.0 * sd,
            "{version}: {got}"
        );
    }
}

/// Quality decays linearly and `predictions_total` shows it: 90% decaying 30 points an hour is
/// 60% after an hour; over the last 5 minutes (about 30,000 predictions, mean quality 61.25%)
/// the accuracy is within five binomial standard deviations (0.0028 each) of it.
#[test]
fn quality_decay_shows_in_the_prediction_counters() {
    let mut world = world(17, 100.0);
    world.schedule(ScheduledChange {
        at: TimeMs(0),
        version: v("v1"),
        change: BehaviourChange::QualityDecayPercentPerHour(30.0),
    });
    let accuracy = "sum(rate(predictions_total{version=\"v1\",correct=\"true\"}[5m])) / sum(rate(predictions_total{version=\"v1\"}[5m]))";
    run_minutes(&mut world, 5);
    let early = value(&world, accuracy).unwrap();
    run_minutes(&mut world, 55);
    let late = value(&world, accuracy).unwrap();
    let sd = (0.6125f64 * 0.3875 / 30_000.0).sqrt();
    assert!((late - 0.6125).abs() < 5.0 * sd, "{late}");
    // The first window's mean quality is 88.75%.
    assert!(
        (early - 0.8875).abs() < 5.0 * (0.8875f64 * 0.1125 / 30_000.0).sqrt(),
        "{early}"
    );
}

#[test]
fn the_state_hash_sees_every_kind_of_change() {
    let base = world(18, 100.0);
    let mut cookie = base.clone();
    cookie
        .traffic_mut()
        .set_cookie(UserId(3), "canary", "always")
        .unwrap();
    let mut plan = base.clone();
    plan.set_plan(canary_plan(5)).unwrap();
    let mut ticked = base.clone();
    ticked.tick(DurationMs(1_000));
    let mut scheduled = base.clone();
    scheduled.schedule(ScheduledChange {
        at: TimeMs(60_000),
        version: v("v1"),
        change: BehaviourChange::ErrorRatePercent(1.0),
    });
    let hashes = [
        base.state_hash(),
        cookie.state_hash(),
        plan.state_hash(),
        ticked.state_hash(),
        scheduled.state_hash(),
    ];
    for (i, a) in hashes.iter().enumerate() {
        for b in &hashes[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(base.state_hash(), world(18, 100.0).state_hash());
}
