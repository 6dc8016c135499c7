//! ReplicaSets told apart by their pod-template-hash: an experiment's baseline of the stable
//! version is measured apart from the stable pods, the hashes reach the analysis through Argo's
//! `podTemplateHashValue` and `{{templates.NAME.podTemplateHash}}`, and the bundled examples
//! measure the canary by its hash. Also Argo's rule that a `setMirrorRoute` step without a
//! `match` removes the route.

mod support;

use rollouts::analysis::{AnalysisPhase, Provider};
use rollouts::argo::{ArgoController, ArgoEventKind, RolloutPhase, RunPurpose};
use rollouts::routing::TrafficPlan;
use rollouts::serving::{Behaviour, LatencyModel};
use rollouts::spec::{parse_specs, SpecSet};
use rollouts::value::{DurationMs, PodTemplateHash, TimeMs, VersionName};
use rollouts::world::{World, WorldConfig};
use sim::rng::Seed;
use support::{secs, Scripted};

fn v(name: &str) -> VersionName {
    VersionName(name.to_string())
}

fn behaviour(error_rate_percent: f64) -> Behaviour {
    let latency = LatencyModel::new(80.0, 300.0).expect("latency");
    Behaviour::steady(latency, error_rate_percent, 90.0)
}

/// A world serving v1 (0.5% errors) and v2 (`v2_errors`%) at 50 requests a second, and an Argo
/// controller of `yaml` that has just been told to roll out v2.
fn rollout(yaml: &str, v2_errors: f64) -> (World, ArgoController) {
    let set: SpecSet = parse_specs(yaml).unwrap_or_else(|e| panic!("{e:?}"));
    let mut config = WorldConfig::new(Seed(7));
    config.traffic.requests_per_second = 50.0;
    let mut world = World::new(config, v("v1"));
    world.deploy(v("v1"), behaviour(0.5));
    world.deploy(v("v2"), behaviour(v2_errors));
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), TimeMs(0));
    (world, argo)
}

/// Plays the rollout in 10 s ticks up to `until_s`.
fn play(world: &mut World, argo: &mut ArgoController, until_s: u64) {
    while world.now() < secs(until_s) {
        argo.advance(world.now(), world);
        world.set_plan(argo.plan()).expect("plan");
        world.tick(DurationMs(10_000));
    }
    argo.advance(world.now(), world);
}

fn requests(world: &World, selector: &str) -> f64 {
    let query = format!("sum(istio_requests_total{{{selector}}})");
    world
        .promql_query(&query, world.now())
        .expect("query")
        .first()
        .map_or(0.0, |(_, value)| *value)
}

fn experiment_query(argo: &ArgoController) -> String {
    let record = argo
        .runs()
        .iter()
        .find(|r| matches!(r.purpose, RunPurpose::Experiment(..)))
        .expect("an experiment run");
    let Provider::Prometheus { query } = &record.run.metrics()[0].spec.provider;
    query.clone()
}

#[test]
fn an_experiment_baseline_is_its_own_replica_set_in_the_metrics() {
    let (mut world, mut argo) = rollout(include_str!("../specs/canary-experiment.yaml"), 0.5);
    play(&mut world, &mut argo, 300);
    let arms = argo.plan().experiment_arms;
    assert_eq!(arms.len(), 2);
    let stable_hash = PodTemplateHash::of_version(&v("v1"));
    let baseline = &arms[0];
    assert_eq!(
        (baseline.name.as_str(), &baseline.version),
        ("baseline", &v("v1"))
    );
    assert_ne!(baseline.pod_template_hash, stable_hash);
    assert_ne!(
        arms[1].pod_template_hash,
        PodTemplateHash::of_version(&v("v2"))
    );

    let by_hash = |hash: &PodTemplateHash| {
        requests(&world, &format!("rollouts_pod_template_hash=\"{hash}\""))
    };
    let (stable, base, all_v1) = (
        by_hash(&stable_hash),
        by_hash(&baseline.pod_template_hash),
        requests(&world, "version=\"v1\""),
    );
    assert!(
        base > 1_000.0,
        "the baseline served 10% of 5 minutes: {base}"
    );
    assert!(
        stable > 5.0 * base,
        "stable kept the rest: {stable} vs {base}"
    );
    assert_eq!(all_v1, stable + base, "by version alone the two merge");

    let query = experiment_query(&argo);
    assert!(query.contains(&baseline.pod_template_hash.0), "{query}");
    assert!(query.contains(&arms[1].pod_template_hash.0), "{query}");
    assert!(!query.contains(&stable_hash.0), "{query}");
}

#[test]
fn the_experiment_analysis_compares_the_two_arms() {
    // An equal canary passes the 10-minute experiment and walks on to 25%.
    let (mut world, mut argo) = rollout(include_str!("../specs/canary-experiment.yaml"), 0.5);
    play(&mut world, &mut argo, 610);
    assert!(
        argo.events()
            .iter()
            .any(|e| e.kind == ArgoEventKind::ExperimentFinished),
        "{:?}",
        argo.events()
    );
    assert_eq!(argo.plan().canary_weight_percent, 25);

    // A canary with 10% errors shows a gap against its baseline and is aborted.
    let (mut world, mut argo) = rollout(include_str!("../specs/canary-experiment.yaml"), 10.0);
    play(&mut world, &mut argo, 300);
    assert_eq!(argo.status(world.now()).phase, RolloutPhase::Degraded);
    let failed = argo
        .runs()
        .iter()
        .any(|r| r.run.phase() == AnalysisPhase::Failed);
    assert!(failed, "the gap failed the analysis");
}

#[test]
fn pod_template_hash_value_latest_follows_the_version_rolled_out() {
    let yaml = include_str!("../specs/canary-steps-inline-analysis.yaml");
    let set = parse_specs(yaml).expect("parses");
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v3"), TimeMs(0));
    argo.advance(secs(0), &Scripted::constant(1.0));
    argo.advance(secs(60), &Scripted::constant(1.0));
    let record = argo.runs().first().expect("the analysis step started");
    let Provider::Prometheus { query } = &record.run.metrics()[0].spec.provider;
    let latest = PodTemplateHash::of_version(&v("v3"));
    assert!(
        query.contains(&format!("rollouts_pod_template_hash=\"{latest}\"")),
        "{query}"
    );
}

#[test]
fn hashes_look_like_kubernetes_and_differ_per_replica_set() {
    let hashes = [
        PodTemplateHash::of_version(&v("v1")),
        PodTemplateHash::of_version(&v("v2")),
        PodTemplateHash::of_experiment(&v("v1"), "app-v2-0-baseline"),
        PodTemplateHash::of_experiment(&v("v1"), "app-v3-0-baseline"),
    ];
    for (i, hash) in hashes.iter().enumerate() {
        assert!(
            (6..=10).contains(&hash.0.len())
                && hash
                    .0
                    .chars()
                    .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{hash}"
        );
        assert!(hashes[i + 1..].iter().all(|other| other != hash), "{hash}");
    }
    assert_eq!(hashes[0], PodTemplateHash::of_version(&v("v1")), "stable");
}

fn rollout_with(steps: &str, extra_docs: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\nspec:\n  replicas: 4\n  strategy:\n    canary:\n      trafficRouting:\n        istio: {{}}\n      steps:\n{steps}{extra_docs}"
    )
}

#[test]
fn spec_errors_name_bad_hash_arguments() {
    let template = "---\napiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  args:\n  - name: h\n  metrics:\n  - name: m\n    provider:\n      prometheus:\n        query: up{x=\"{{args.h}}\"}\n";
    let unknown_arm = rollout_with(
        "      - experiment:\n          templates:\n          - name: baseline\n            specRef: stable\n          analyses:\n          - name: a\n            templateName: t\n            args:\n            - name: h\n              value: \"{{templates.canary.podTemplateHash}}\"\n",
        template,
    );
    let errors = parse_specs(&unknown_arm).expect_err("unknown arm");
    assert!(
        errors[0].message.contains("`canary`") && errors[0].hint.contains("baseline"),
        "{errors:?}"
    );
    let bad_value = rollout_with(
        "      - analysis:\n          templates:\n          - templateName: t\n          args:\n          - name: h\n            valueFrom:\n              podTemplateHashValue: Canary\n",
        template,
    );
    let errors = parse_specs(&bad_value).expect_err("Canary is not a hash value");
    assert!(
        errors[0].message.contains("Stable nor Latest"),
        "{errors:?}"
    );
}

#[test]
fn a_mirror_route_step_without_match_removes_the_route() {
    let steps = "      - setMirrorRoute:\n          name: shadow\n          percentage: 30\n          match:\n          - method: {exact: GET}\n      - pause: {duration: 1m}\n      - setMirrorRoute:\n          name: shadow\n          percentage: 30\n      - pause: {}\n";
    let set = parse_specs(&rollout_with(steps, "")).unwrap_or_else(|e| panic!("{e:?}"));
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), TimeMs(0));
    let good = Scripted::constant(1.0);
    argo.advance(secs(0), &good);
    let plan: TrafficPlan = argo.plan();
    assert_eq!(plan.mirror_routes.len(), 1);
    assert_eq!(plan.mirror_routes[0].percentage, 30);
    argo.advance(secs(60), &good);
    assert!(
        argo.plan().mirror_routes.is_empty(),
        "a step with no match removes the route, whatever its percentage"
    );
}

#[test]
fn the_bundled_mirror_example_shadows_get_requests() {
    let (mut world, mut argo) = rollout(
        include_str!("../specs/canary-background-header-mirror.yaml"),
        0.5,
    );
    play(&mut world, &mut argo, 60);
    let mirrored = world.totals().mirrored_copies as f64;
    let users = world.totals().user_requests as f64;
    assert!(
        (mirrored / users - 0.2).abs() < 0.05,
        "20% of the GET requests are copied: {mirrored} of {users}"
    );
}
