//! Where each request goes: the traffic plan a controller sets, and the router that applies it.
//!
//! A [`TrafficPlan`] is what a service mesh would be told at one moment of a rollout: the share of
//! user traffic weighted to the canary, header routes that send matching requests to the canary
//! whatever the weight (Argo's `setHeaderRoute`, Flagger's A/B `match`), mirror routes that copy a
//! share of matching requests to the canary whose answers are recorded and never returned (Argo's
//! `setMirrorRoute`, Flagger's `mirror`), a blue-green preview, and experiment arms.

use crate::promql::regex::Regex;
use crate::traffic::User;
use crate::value::{PodTemplateHash, VersionName};
use sim::rng::Rng;

/// What the mesh is told: every request goes to `stable` unless a rule below sends it elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficPlan {
    /// The version serving everything not routed elsewhere (Argo's stable, Flagger's primary,
    /// blue-green's active service).
    pub stable: VersionName,
    /// The version being released, when there is one.
    pub canary: Option<VersionName>,
    /// Percent (0 to 100) of user traffic sent to the canary by weight.
    pub canary_weight_percent: u8,
    /// Requests matching one of these go to the canary whatever the weight, in this order of
    /// precedence (Argo's `managedRoutes` order).
    pub header_routes: Vec<HeaderRoute>,
    /// A matching request is also copied to the canary, with this probability.
    pub mirror_routes: Vec<MirrorRoute>,
    /// Blue-green's preview service: the new version, reachable by test traffic only.
    pub preview: Option<VersionName>,
    /// Experiment arms (an Argo `experiment` step's baseline and canary), each with the percent of
    /// user traffic it receives.
    pub experiment_arms: Vec<ExperimentArmRoute>,
}

/// One ReplicaSet of an experiment: the version it runs, the pod-template-hash its pods carry
/// (its own, not the version's: a baseline of the stable version is a separate ReplicaSet) and its
/// weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExperimentArmRoute {
    /// The experiment template's name (`baseline`, `canary`).
    pub name: String,
    pub version: VersionName,
    pub pod_template_hash: PodTemplateHash,
    pub weight_percent: u8,
}

impl TrafficPlan {
    /// Everything to `stable`, nothing else.
    pub fn all_to(stable: VersionName) -> TrafficPlan {
        TrafficPlan {
            stable,
            canary: None,
            canary_weight_percent: 0,
            header_routes: Vec::new(),
            mirror_routes: Vec::new(),
            preview: None,
            experiment_arms: Vec::new(),
        }
    }
}

/// A named route that sends requests matching any of `matches` (all when empty) to the canary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderRoute {
    pub name: String,
    pub matches: Vec<MatchBlock>,
}

/// A named route that copies `percentage` percent of requests matching any of `matches` (all when
/// empty) to the canary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorRoute {
    pub name: String,
    pub percentage: u8,
    pub matches: Vec<MatchBlock>,
}

/// One entry of a route's `match` list, Istio's `HTTPMatchRequest`: it holds when every one of
/// its conditions does (no condition: every request). A route holds when any of its blocks does:
/// Argo's Istio router turns each entry of a `setHeaderRoute` or `setMirrorRoute` step's `match`
/// into its own block, and Flagger passes its A/B `match` list through the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchBlock {
    pub conditions: Vec<HeaderMatch>,
}

/// One header (or cookie) condition, as Istio matches a header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMatch {
    /// The header's name, lowercase ("x-canary", or "cookie" for a cookie match).
    pub header: String,
    pub value: StringMatch,
}

/// How a value is matched: Istio's `exact`, `prefix` and `regex`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StringMatch {
    Exact(String),
    Prefix(String),
    Regex(String),
}

/// Why a request went where it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteReason {
    /// No rule sent it elsewhere.
    Stable,
    /// The weighted draw picked the canary.
    CanaryWeight,
    /// It matched the header route with this name.
    HeaderRoute(String),
    /// The weighted draw picked this experiment arm.
    ExperimentArm,
}

/// Where one request goes: the version whose answer the user gets, and the version that gets a
/// shadow copy whose answer is recorded and dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteDecision {
    pub serve: VersionName,
    /// The experiment ReplicaSet that serves it (None: the rollout's ReplicaSet of `serve`).
    pub arm: Option<PodTemplateHash>,
    pub mirror: Option<VersionName>,
    pub reason: RouteReason,
}

impl StringMatch {
    /// Compiles the match (a regex is parsed once); `Err` says what in the regex is unsupported.
    fn compile(&self) -> Result<CompiledMatch, String> {
        Ok(match self {
            StringMatch::Exact(value) => CompiledMatch::Exact(value.clone()),
            StringMatch::Prefix(value) => CompiledMatch::Prefix(value.clone()),
            StringMatch::Regex(pattern) => CompiledMatch::Regex(Regex::parse(pattern)?),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CompiledMatch {
    Exact(String),
    Prefix(String),
    Regex(Regex),
}

impl CompiledMatch {
    fn matches(&self, value: &str) -> bool {
        match self {
            CompiledMatch::Exact(expected) => value == expected,
            CompiledMatch::Prefix(prefix) => value.starts_with(prefix.as_str()),
            CompiledMatch::Regex(regex) => regex.is_match(value),
        }
    }
}

/// A route's match blocks, compiled: a request matches when the conditions of any block all hold
/// (Istio ORs the entries of a route's `match` and ANDs what is inside one), and every request
/// matches a route without blocks. A missing header never matches.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CompiledBlocks(Vec<Vec<(String, CompiledMatch)>>);

impl CompiledBlocks {
    fn compile(route: &str, blocks: &[MatchBlock]) -> Result<CompiledBlocks, String> {
        blocks
            .iter()
            .map(|block| compile_block(route, block))
            .collect::<Result<Vec<_>, String>>()
            .map(CompiledBlocks)
    }

    fn hold_for(&self, user: &User) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|block| {
                block.iter().all(|(header, value)| {
                    request_header(user, header).is_some_and(|v| value.matches(v))
                })
            })
    }
}

/// The conditions of one block, each header name lowercase and its value compiled.
fn compile_block(route: &str, block: &MatchBlock) -> Result<Vec<(String, CompiledMatch)>, String> {
    block
        .conditions
        .iter()
        .map(|m| {
            m.value
                .compile()
                .map(|value| (m.header.to_ascii_lowercase(), value))
                .map_err(|e| format!("route {route}, header {}: {e}", m.header))
        })
        .collect()
}

/// The method of every lab request: a prediction is a read, so Argo's and Istio's examples'
/// `method: {exact: GET}` match holds for all of them.
pub const REQUEST_METHOD: &str = "GET";
/// The path of every lab request.
pub const REQUEST_PATH: &str = "/predict";

/// A header of a request from `user`, the pseudo-headers `:method` and `:path` included (Istio
/// matches a route's `method` and `uri` on them).
fn request_header<'a>(user: &'a User, header: &str) -> Option<&'a str> {
    match header {
        ":method" => Some(REQUEST_METHOD),
        ":path" => Some(REQUEST_PATH),
        _ => user.header(header),
    }
}

/// A [`TrafficPlan`] ready to route requests: its regexes parsed once.
///
/// The order of decisions: with no canary everything goes to `stable`. Otherwise the first header
/// route that matches sends the request to the canary (header routes take precedence over
/// weights, as Argo places managed routes before the weighted route). Else one draw in
/// 0..100 picks the canary (below its weight), then each experiment arm (below the running sum of
/// weights), else stable. Independently, the first mirror route that matches (no blocks: every
/// request) copies the request to the canary with its percentage; the copy's
/// answer is recorded, never returned.
#[derive(Clone, Debug, PartialEq)]
pub struct Router {
    plan: TrafficPlan,
    header_routes: Vec<(String, CompiledBlocks)>,
    mirror_routes: Vec<(u8, CompiledBlocks)>,
}

impl Router {
    /// `Err` names the route whose regex is not supported.
    pub fn new(plan: TrafficPlan) -> Result<Router, String> {
        let header_routes = plan
            .header_routes
            .iter()
            .map(|r| {
                Ok((
                    r.name.clone(),
                    CompiledBlocks::compile(&r.name, &r.matches)?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mirror_routes = plan
            .mirror_routes
            .iter()
            .map(|r| {
                Ok((
                    r.percentage.min(100),
                    CompiledBlocks::compile(&r.name, &r.matches)?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Router {
            plan,
            header_routes,
            mirror_routes,
        })
    }

    /// Everything to `stable` (a plan with no routes to compile).
    pub fn all_to(stable: VersionName) -> Router {
        Router {
            plan: TrafficPlan::all_to(stable),
            header_routes: Vec::new(),
            mirror_routes: Vec::new(),
        }
    }

    pub fn plan(&self) -> &TrafficPlan {
        &self.plan
    }

    /// Routes one request from `user`, drawing from `rng`.
    pub fn route(&self, user: &User, rng: &mut Rng) -> RouteDecision {
        let Some(canary) = &self.plan.canary else {
            return RouteDecision {
                serve: self.plan.stable.clone(),
                arm: None,
                mirror: None,
                reason: RouteReason::Stable,
            };
        };
        let weight_draw = rng.below(100);
        let mirror_draw = rng.below(100);
        let mirror = self
            .mirror_routes
            .iter()
            .find(|(_, blocks)| blocks.hold_for(user))
            .filter(|(percentage, _)| mirror_draw < u64::from(*percentage))
            .map(|_| canary.clone());
        if let Some((name, _)) = self.header_routes.iter().find(|(_, c)| c.hold_for(user)) {
            return RouteDecision {
                serve: canary.clone(),
                arm: None,
                mirror,
                reason: RouteReason::HeaderRoute(name.clone()),
            };
        }
        let (serve, arm, reason) = self.weighted(canary, weight_draw);
        RouteDecision {
            serve,
            arm,
            mirror,
            reason,
        }
    }

    /// The weighted choice for a draw in 0..100: the version, the experiment ReplicaSet if an arm
    /// was drawn, and why.
    fn weighted(
        &self,
        canary: &VersionName,
        draw: u64,
    ) -> (VersionName, Option<PodTemplateHash>, RouteReason) {
        let mut bound = u64::from(self.plan.canary_weight_percent.min(100));
        if draw < bound {
            return (canary.clone(), None, RouteReason::CanaryWeight);
        }
        for arm in &self.plan.experiment_arms {
            bound += u64::from(arm.weight_percent);
            if draw < bound {
                return (
                    arm.version.clone(),
                    Some(arm.pod_template_hash.clone()),
                    RouteReason::ExperimentArm,
                );
            }
        }
        (self.plan.stable.clone(), None, RouteReason::Stable)
    }
}
