//! A route's `match` list read as Argo's Istio router writes it and Istio evaluates it.
//!
//! Argo's Istio router (`rollout/trafficrouting/istio/istio.go`: `createHeaderRouteMatch` for
//! `setHeaderRoute`, `createMirrorRoute` for `setMirrorRoute`) turns every entry of a step's
//! `match` into its own Istio `HTTPMatchRequest`, and Flagger's A/B `match` list goes into the
//! VirtualService the same way. Istio's VirtualService reference: a route applies when any of its
//! match requests holds, and a match request holds when all of its conditions (method, uri,
//! headers) do. Each test below names a request that the other reading (everything ANDed) would
//! route differently.

mod support;

use rollouts::argo::ArgoController;
use rollouts::routing::{HeaderRoute, MirrorRoute, RouteReason, Router, TrafficPlan};
use rollouts::spec::{parse_specs, CanaryStep, RolloutStrategy};
use rollouts::traffic::User;
use rollouts::value::{TimeMs, UserId, VersionName};
use sim::rng::{Rng, Seed};
use support::{secs, Scripted};

fn v(name: &str) -> VersionName {
    VersionName(name.to_string())
}

/// A user whose every request carries `headers` (names lowercase).
fn user(id: u64, headers: &[(&str, &str)]) -> User {
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    headers.sort();
    User {
        id: UserId(id),
        headers,
    }
}

/// A one-rollout spec with Istio traffic routing and these steps.
fn rollout_yaml(steps_yaml: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: app\nspec:\n  replicas: 4\n  strategy:\n    canary:\n      trafficRouting:\n        istio: {{}}\n      steps:\n{steps_yaml}"
    )
}

/// The steps of a one-rollout spec with Istio traffic routing.
fn steps(steps_yaml: &str) -> Vec<CanaryStep> {
    let yaml = rollout_yaml(steps_yaml);
    let set = parse_specs(&yaml).unwrap_or_else(|e| panic!("{e:?}"));
    match &set.rollouts[0].strategy {
        RolloutStrategy::Canary(canary) => canary.steps.clone(),
        RolloutStrategy::BlueGreen(_) => panic!("a canary spec"),
    }
}

fn header_route(step: &CanaryStep) -> HeaderRoute {
    match step {
        CanaryStep::SetHeaderRoute(route) => route.clone(),
        other => panic!("expected setHeaderRoute, got {}", other.key()),
    }
}

fn mirror_route(step: &CanaryStep) -> MirrorRoute {
    match step {
        CanaryStep::SetMirrorRoute(route) => route.clone(),
        other => panic!("expected setMirrorRoute, got {}", other.key()),
    }
}

/// v1 stable, v2 canary at weight 0: only a route sends a request to v2.
fn router(header_routes: Vec<HeaderRoute>, mirror_routes: Vec<MirrorRoute>) -> Router {
    Router::new(TrafficPlan {
        canary: Some(v("v2")),
        header_routes,
        mirror_routes,
        ..TrafficPlan::all_to(v("v1"))
    })
    .expect("routes compile")
}

/// Whether requests from `user` are served by the canary, and whether they are mirrored to it
/// (routes at 100%: the same answer on every draw; checked over 20 draws).
fn fate(router: &Router, user: &User) -> (bool, bool) {
    let mut rng = Rng::new(Seed(1));
    let first = router.route(user, &mut rng);
    let fate = (first.serve == v("v2"), first.mirror.is_some());
    for _ in 0..20 {
        let next = router.route(user, &mut rng);
        assert_eq!((next.serve == v("v2"), next.mirror.is_some()), fate);
    }
    fate
}

#[test]
fn a_header_route_with_two_entries_sends_either_headers_requests() {
    let route = header_route(&steps(
        "      - setHeaderRoute:\n          name: testers\n          match:\n          - headerName: x-beta\n            headerValue: {exact: \"true\"}\n          - headerName: X-Canary\n            headerValue: {prefix: insider}\n",
    )[0]);
    assert_eq!(route.matches.len(), 2, "one block per entry");
    let router = router(vec![route], Vec::new());
    let to_canary = |u: &User| fate(&router, u).0;
    // Either header alone is enough (ANDed, neither of these would reach the canary).
    assert!(to_canary(&user(1, &[("x-beta", "true")])));
    assert!(to_canary(&user(2, &[("x-canary", "insider-7")])));
    assert!(to_canary(&user(
        3,
        &[("x-beta", "true"), ("x-canary", "insider")]
    )));
    // A header with a value that matches no entry, or no header at all, stays on stable.
    assert!(!to_canary(&user(4, &[("x-beta", "false")])));
    assert!(!to_canary(&user(5, &[("x-canary", "outsider")])));
    assert!(!to_canary(&user(6, &[])));
    let mut rng = Rng::new(Seed(2));
    assert_eq!(
        router
            .route(&user(2, &[("x-canary", "insider")]), &mut rng)
            .reason,
        RouteReason::HeaderRoute("testers".into())
    );
}

#[test]
fn a_mirror_block_needs_its_method_path_and_header_all() {
    // Every lab request is `GET /predict`: the first block holds for beta users only; the other
    // two fail on their method or path whatever the headers.
    let block = |method: &str, path: &str| {
        format!("      - setMirrorRoute:\n          name: shadow\n          percentage: 100\n          match:\n          - method: {{exact: {method}}}\n            path: {{prefix: {path}}}\n            headers:\n              x-beta: {{exact: \"true\"}}\n")
    };
    let beta = user(1, &[("x-beta", "true")]);
    let other = user(2, &[("x-region", "eu")]);
    let all_hold = router(
        Vec::new(),
        vec![mirror_route(&steps(&block("GET", "/pred"))[0])],
    );
    assert_eq!(all_hold.plan().mirror_routes[0].matches.len(), 1);
    assert_eq!(
        all_hold.plan().mirror_routes[0].matches[0].conditions.len(),
        3
    );
    assert_eq!(fate(&all_hold, &beta), (false, true));
    assert_eq!(fate(&all_hold, &other), (false, false));
    for (method, path) in [("POST", "/pred"), ("GET", "/admin")] {
        let one_fails = router(
            Vec::new(),
            vec![mirror_route(&steps(&block(method, path))[0])],
        );
        assert_eq!(fate(&one_fails, &beta), (false, false), "{method} {path}");
    }
}

#[test]
fn two_mirror_blocks_mirror_requests_matching_either() {
    // A POST block no lab request satisfies, and a header block: beta users' GETs are mirrored
    // by the second block (ANDed into one block, nothing would ever be mirrored).
    let route = mirror_route(&steps(
        "      - setMirrorRoute:\n          name: shadow\n          percentage: 100\n          match:\n          - method: {exact: POST}\n          - headers:\n              x-beta: {exact: \"true\"}\n",
    )[0]);
    assert_eq!(route.matches.len(), 2);
    let post_or_beta = router(Vec::new(), vec![route]);
    assert_eq!(
        fate(&post_or_beta, &user(1, &[("x-beta", "true")])),
        (false, true)
    );
    assert_eq!(fate(&post_or_beta, &user(2, &[])), (false, false));
    // Two header blocks: either header is copied, neither is not.
    let route = mirror_route(&steps(
        "      - setMirrorRoute:\n          name: shadow\n          percentage: 100\n          match:\n          - headers:\n              x-beta: {exact: \"true\"}\n          - headers:\n              x-canary: {exact: insider}\n",
    )[0]);
    let either_header = router(Vec::new(), vec![route]);
    assert_eq!(
        fate(&either_header, &user(3, &[("x-beta", "true")])),
        (false, true)
    );
    assert_eq!(
        fate(&either_header, &user(4, &[("x-canary", "insider")])),
        (false, true)
    );
    assert_eq!(
        fate(&either_header, &user(5, &[("x-canary", "outsider")])),
        (false, false)
    );
}

/// An entry with no condition is an Istio match request that every request satisfies: the route
/// stays in the controller's plan and mirrors everything (only a step without `match` removes
/// the route).
#[test]
fn an_empty_mirror_block_mirrors_every_request() {
    let yaml = rollout_yaml(
        "      - setMirrorRoute:\n          name: shadow\n          percentage: 100\n          match:\n          - {}\n      - pause: {}\n",
    );
    let set = parse_specs(&yaml).unwrap_or_else(|e| panic!("{e:?}"));
    let mut argo = ArgoController::new(&set.rollouts[0], &set, v("v1"));
    argo.deploy(v("v2"), TimeMs(0));
    argo.advance(secs(0), &Scripted::constant(1.0));
    let plan = argo.plan();
    assert_eq!(plan.mirror_routes.len(), 1, "the route is set, not removed");
    let router = Router::new(plan).expect("routes compile");
    assert_eq!(fate(&router, &user(1, &[])), (false, true));
}

/// Flagger's A/B `match`: blocks ORed, the headers inside one block ANDed.
#[test]
fn flagger_ab_blocks_or_and_their_headers_and() {
    let yaml = "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: ranker\nspec:\n  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: ranker\n  analysis:\n    interval: 1m\n    threshold: 2\n    iterations: 5\n    match:\n    - headers:\n        x-canary: {exact: insider}\n        x-region: {exact: eu}\n    - headers:\n        x-beta: {exact: \"true\"}\n";
    let set = parse_specs(yaml).unwrap_or_else(|e| panic!("{e:?}"));
    let routes = set.canaries[0].analysis.ab_header_routes();
    let router = router(routes, Vec::new());
    let to_canary = |u: &User| fate(&router, u).0;
    assert!(to_canary(&user(
        1,
        &[("x-canary", "insider"), ("x-region", "eu")]
    )));
    assert!(!to_canary(&user(2, &[("x-canary", "insider")])));
    assert!(!to_canary(&user(3, &[("x-region", "eu")])));
    assert!(to_canary(&user(4, &[("x-beta", "true")])));
}
