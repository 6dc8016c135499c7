//! A checked spec: what the controllers run. Every value here has passed validation (weights in
//! 0..=100, durations parsed, templates found, conditions parsed), with Argo's and Flagger's
//! defaults filled in (Argo's `utils/defaults/defaults.go`: 1 replica, maxSurge 25%, 30 s
//! scale-down and abort scale-down delays, auto-promotion on, 4 consecutive errors; Flagger's
//! 1 minute interval, threshold 1, maxWeight 100, 600 s progress deadline).

use crate::routing::{HeaderRoute, MatchBlock, MirrorRoute};
use crate::value::DurationMs;

/// Everything a YAML file declared, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpecSet {
    pub rollouts: Vec<Rollout>,
    pub templates: Vec<AnalysisTemplate>,
    pub canaries: Vec<FlaggerCanary>,
    pub metric_templates: Vec<FlaggerMetricTemplate>,
}

/// An Argo `Rollout`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rollout {
    pub name: String,
    pub replicas: u32,
    pub strategy: RolloutStrategy,
    /// `rollbackWindow.revisions`: an undo to one of this many recent revisions skips the steps.
    pub rollback_window_revisions: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RolloutStrategy {
    Canary(CanaryStrategy),
    BlueGreen(BlueGreenStrategy),
}

/// `strategy.canary`.
#[derive(Clone, Debug, PartialEq)]
pub struct CanaryStrategy {
    pub steps: Vec<CanaryStep>,
    /// `canary.analysis`: a background run from `starting_step` until the rollout ends.
    pub background: Option<BackgroundAnalysis>,
    /// `trafficRouting` is present: weights are exact (a mesh splits requests); absent, the basic
    /// canary approximates the weight with replica counts.
    pub traffic_routing: bool,
    /// `maxSurge` resolved to pods (a percentage rounds up, as Kubernetes scales it).
    pub max_surge_replicas: u32,
    pub abort_scale_down_delay: DurationMs,
}

/// One entry of `canary.steps`.
#[derive(Clone, Debug, PartialEq)]
pub enum CanaryStep {
    SetWeight(u8),
    /// `pause: {}` (None: wait for a promote) or `pause: {duration}`.
    Pause(Option<DurationMs>),
    Analysis(AnalysisRef),
    /// A route with no matches removes the route of that name, as Argo does.
    SetHeaderRoute(HeaderRoute),
    /// A route with percentage 0 and no matches removes the route of that name.
    SetMirrorRoute(MirrorRoute),
    Experiment(ExperimentStep),
}

impl CanaryStep {
    /// The step's YAML key, for events and the status view.
    pub fn key(&self) -> &'static str {
        match self {
            CanaryStep::SetWeight(_) => "setWeight",
            CanaryStep::Pause(_) => "pause",
            CanaryStep::Analysis(_) => "analysis",
            CanaryStep::SetHeaderRoute(_) => "setHeaderRoute",
            CanaryStep::SetMirrorRoute(_) => "setMirrorRoute",
            CanaryStep::Experiment(_) => "experiment",
        }
    }
}

/// Templates to run together as one AnalysisRun, with the arguments the rollout passes.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisRef {
    pub templates: Vec<String>,
    pub args: Vec<ArgValue>,
    /// `dryRun` metric names added by the rollout to those of the templates.
    pub dry_run: Vec<String>,
}

/// A named argument value passed by a rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgValue {
    pub name: String,
    pub value: ArgSource,
}

/// Where an argument's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgSource {
    /// `value:` text; in an experiment's analysis it may name an experiment ReplicaSet's hash as
    /// `{{templates.NAME.podTemplateHash}}`.
    Text(String),
    /// `valueFrom: {podTemplateHashValue: Stable | Latest}`: the pod-template-hash of the stable
    /// ReplicaSet or of the newest one, known when the run starts.
    PodTemplateHash(HashOf),
}

/// Argo's `podTemplateHashValue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashOf {
    Stable,
    Latest,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BackgroundAnalysis {
    pub analysis: AnalysisRef,
    /// Step index from which the run starts (0 when not set).
    pub starting_step: usize,
}

/// An `experiment` step: extra ReplicaSets (a baseline of stable, a copy of the canary) given a
/// share of traffic for `duration`, with analyses comparing them.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentStep {
    /// None: the experiment runs until its analyses finish.
    pub duration: Option<DurationMs>,
    pub arms: Vec<ExperimentArm>,
    pub analyses: Vec<ExperimentAnalysis>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentArm {
    pub name: String,
    pub spec_ref: SpecRef,
    /// Percent of traffic (with trafficRouting); None gets no weighted traffic.
    pub weight_percent: Option<u8>,
}

/// Which pod template an experiment arm copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecRef {
    Stable,
    Canary,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentAnalysis {
    pub name: String,
    pub analysis: AnalysisRef,
}

/// `strategy.blueGreen`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlueGreenStrategy {
    pub active_service: String,
    pub preview_service: Option<String>,
    pub pre_promotion: Option<AnalysisRef>,
    pub post_promotion: Option<AnalysisRef>,
    pub auto_promotion_enabled: bool,
    /// Promote by itself this long after the preview is ready (with auto-promotion off).
    pub auto_promotion_after: Option<DurationMs>,
    pub scale_down_delay: DurationMs,
    /// Pods of the new version while it is only the preview (None: full size).
    pub preview_replica_count: Option<u32>,
    pub abort_scale_down_delay: DurationMs,
}

/// An `AnalysisTemplate` or `ClusterAnalysisTemplate`.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisTemplate {
    pub name: String,
    pub cluster_scoped: bool,
    pub args: Vec<TemplateArg>,
    pub metrics: Vec<TemplateMetric>,
    pub dry_run: Vec<String>,
}

/// A declared argument; a template with no default must be given a value by the rollout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateArg {
    pub name: String,
    pub default: Option<String>,
}

/// A template's metric before `{{args.NAME}}` substitution: the fields that may be templated stay
/// text until a run is created from them.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateMetric {
    pub name: String,
    pub interval: Option<String>,
    pub count: Option<String>,
    pub initial_delay: Option<String>,
    pub success_condition: Option<String>,
    pub failure_condition: Option<String>,
    pub failure_limit: Option<String>,
    pub inconclusive_limit: Option<String>,
    pub consecutive_error_limit: Option<String>,
    pub consecutive_success_limit: Option<String>,
    pub query: String,
}

/// A Flagger `Canary` (flagger.app/v1beta1).
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerCanary {
    pub name: String,
    pub target: String,
    pub skip_analysis: bool,
    pub progress_deadline: DurationMs,
    pub analysis: FlaggerAnalysis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerAnalysis {
    pub interval: DurationMs,
    /// Failed checks that trigger a rollback (`failedChecks >= threshold`).
    pub threshold: u32,
    pub max_weight: u8,
    pub step_weight: u8,
    pub step_weights: Vec<u8>,
    /// Promotion shifts traffic back to the primary in steps of this much (None: at once).
    pub step_weight_promotion: Option<u8>,
    /// A/B and blue-green: how many intervals the analysis runs.
    pub iterations: Option<u32>,
    /// A/B: the `match` list; a request whose headers satisfy any of its blocks goes to the canary.
    pub matches: Vec<MatchBlock>,
    pub mirror: bool,
    pub mirror_weight_percent: Option<u8>,
    pub metrics: Vec<FlaggerMetric>,
    pub webhooks: Vec<FlaggerWebhook>,
}

impl FlaggerAnalysis {
    /// The A/B header routes: one per block of `match`, named `match-0`, `match-1`... (a request
    /// matching any of them goes to the canary, as with Flagger's single route listing them all).
    pub fn ab_header_routes(&self) -> Vec<HeaderRoute> {
        self.matches
            .iter()
            .enumerate()
            .map(|(i, block)| HeaderRoute {
                name: format!("match-{i}"),
                matches: vec![block.clone()],
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerMetric {
    pub name: String,
    /// The PromQL asked every interval, `{{ target }}` and `{{ interval }}` already substituted
    /// except `{{ target }}`, which names the canary version and is filled in by the controller.
    pub query: String,
    pub interval: DurationMs,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A Flagger `MetricTemplate`: a custom query referenced by `templateRef`.
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerMetricTemplate {
    pub name: String,
    pub query: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerWebhook {
    pub name: String,
    pub kind: WebhookKind,
    pub url: Option<String>,
}

/// When Flagger calls a webhook (its `type`; `rollout` when unset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WebhookKind {
    ConfirmRollout,
    PreRollout,
    Rollout,
    ConfirmTrafficIncrease,
    ConfirmPromotion,
    PostRollout,
    Rollback,
    Event,
}

impl WebhookKind {
    pub const ALL: [(&'static str, WebhookKind); 8] = [
        ("confirm-rollout", WebhookKind::ConfirmRollout),
        ("pre-rollout", WebhookKind::PreRollout),
        ("rollout", WebhookKind::Rollout),
        (
            "confirm-traffic-increase",
            WebhookKind::ConfirmTrafficIncrease,
        ),
        ("confirm-promotion", WebhookKind::ConfirmPromotion),
        ("post-rollout", WebhookKind::PostRollout),
        ("rollback", WebhookKind::Rollback),
        ("event", WebhookKind::Event),
    ];

    /// The `type` as written in YAML.
    pub fn name(self) -> &'static str {
        WebhookKind::ALL
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("rollout", |(name, _)| name)
    }
}
