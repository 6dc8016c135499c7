//! The YAML documents exactly as written: serde structs in the Kubernetes field names, every one
//! refusing fields the lab does not model (so a typo or an unsupported feature is an error on its
//! line rather than silently ignored). [`super::convert`] turns them into the checked model.
//!
//! Fields the lab accepts but has no use for (a Rollout's pod `template` and `selector`, a
//! Prometheus `address`, Flagger's `service`) are read as `_`-named [`IgnoredAny`] so examples
//! from the Argo Rollouts and Flagger docs paste in unchanged. `apiVersion` and `kind` were
//! checked before a document is read by kind.

use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The two fields every document is sorted by.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KindProbe {
    pub kind: Option<String>,
    pub api_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Metadata {
    pub name: String,
    #[serde(rename = "namespace")]
    _namespace: Option<IgnoredAny>,
    #[serde(rename = "labels")]
    _labels: Option<IgnoredAny>,
    #[serde(rename = "annotations")]
    _annotations: Option<IgnoredAny>,
}

/// A number or a string: Kubernetes' IntOrString (`maxSurge: 1` / `"25%"`, `count: "{{args.n}}"`).
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum IntOrString {
    Int(i64),
    Str(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RolloutDoc {
    #[serde(rename = "apiVersion")]
    _api_version: Option<IgnoredAny>,
    #[serde(rename = "kind")]
    _kind: Option<IgnoredAny>,
    pub metadata: Metadata,
    pub spec: RolloutSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RolloutSpec {
    pub replicas: Option<i64>,
    pub strategy: Strategy,
    pub rollback_window: Option<RollbackWindow>,
    #[serde(rename = "selector")]
    _selector: Option<IgnoredAny>,
    #[serde(rename = "template")]
    _template: Option<IgnoredAny>,
    #[serde(rename = "revisionHistoryLimit")]
    _revision_history_limit: Option<IgnoredAny>,
    #[serde(rename = "progressDeadlineSeconds")]
    _progress_deadline_seconds: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RollbackWindow {
    pub revisions: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Strategy {
    pub canary: Option<Canary>,
    pub blue_green: Option<BlueGreen>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Canary {
    pub steps: Option<Vec<Step>>,
    pub analysis: Option<BackgroundAnalysis>,
    pub traffic_routing: Option<IgnoredAny>,
    pub max_surge: Option<IntOrString>,
    #[serde(rename = "maxUnavailable")]
    _max_unavailable: Option<IgnoredAny>,
    pub abort_scale_down_delay_seconds: Option<i64>,
    #[serde(rename = "canaryService")]
    _canary_service: Option<IgnoredAny>,
    #[serde(rename = "stableService")]
    _stable_service: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Step {
    pub set_weight: Option<i64>,
    pub pause: Option<Pause>,
    pub analysis: Option<AnalysisRef>,
    pub set_header_route: Option<SetHeaderRoute>,
    pub set_mirror_route: Option<SetMirrorRoute>,
    pub experiment: Option<Experiment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pause {
    pub duration: Option<IntOrString>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AnalysisRef {
    pub templates: Vec<TemplateRef>,
    pub args: Option<Vec<Arg>>,
    pub dry_run: Option<Vec<DryRun>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BackgroundAnalysis {
    pub templates: Vec<TemplateRef>,
    pub args: Option<Vec<Arg>>,
    pub dry_run: Option<Vec<DryRun>>,
    pub starting_step: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TemplateRef {
    pub template_name: String,
    pub cluster_scope: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Arg {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<ArgValueFrom>,
}

/// An argument's `valueFrom` (the lab knows `podTemplateHashValue` only).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ArgValueFrom {
    pub pod_template_hash_value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct DryRun {
    pub metric_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetHeaderRoute {
    pub name: String,
    #[serde(rename = "match")]
    pub matches: Option<Vec<HeaderRouteMatch>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct HeaderRouteMatch {
    pub header_name: String,
    pub header_value: StringMatch,
}

/// Istio's string match: exactly one of the three.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StringMatch {
    pub exact: Option<String>,
    pub prefix: Option<String>,
    pub regex: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetMirrorRoute {
    pub name: String,
    pub percentage: Option<i64>,
    #[serde(rename = "match")]
    pub matches: Option<Vec<HeadersMatch>>,
}

/// A match on a request (Argo's mirror route match, Flagger's A/B `match`): its headers, and
/// (Argo's RouteMatch) its method and path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeadersMatch {
    pub headers: Option<BTreeMap<String, StringMatch>>,
    pub method: Option<StringMatch>,
    pub path: Option<StringMatch>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Experiment {
    pub duration: Option<IntOrString>,
    pub templates: Vec<ExperimentTemplate>,
    pub analyses: Option<Vec<ExperimentAnalysis>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ExperimentTemplate {
    pub name: String,
    pub spec_ref: String,
    pub weight: Option<i64>,
    #[serde(rename = "replicas")]
    _replicas: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ExperimentAnalysis {
    pub name: String,
    pub template_name: String,
    pub cluster_scope: Option<bool>,
    pub args: Option<Vec<Arg>>,
    #[serde(rename = "requiredForCompletion")]
    _required_for_completion: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BlueGreen {
    pub active_service: String,
    pub preview_service: Option<String>,
    pub pre_promotion_analysis: Option<AnalysisRef>,
    pub post_promotion_analysis: Option<AnalysisRef>,
    pub auto_promotion_enabled: Option<bool>,
    pub auto_promotion_seconds: Option<i64>,
    pub scale_down_delay_seconds: Option<i64>,
    pub preview_replica_count: Option<i64>,
    pub abort_scale_down_delay_seconds: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AnalysisTemplateDoc {
    #[serde(rename = "apiVersion")]
    _api_version: Option<IgnoredAny>,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: AnalysisTemplateSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AnalysisTemplateSpec {
    pub args: Option<Vec<Arg>>,
    pub metrics: Vec<Metric>,
    pub dry_run: Option<Vec<DryRun>>,
    #[serde(rename = "measurementRetention")]
    _measurement_retention: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Metric {
    pub name: String,
    pub interval: Option<String>,
    pub count: Option<IntOrString>,
    pub initial_delay: Option<String>,
    pub success_condition: Option<String>,
    pub failure_condition: Option<String>,
    pub failure_limit: Option<IntOrString>,
    pub inconclusive_limit: Option<IntOrString>,
    pub consecutive_error_limit: Option<IntOrString>,
    pub consecutive_success_limit: Option<IntOrString>,
    pub provider: MetricProvider,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricProvider {
    pub prometheus: Prometheus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Prometheus {
    #[serde(rename = "address")]
    _address: Option<IgnoredAny>,
    pub query: String,
    #[serde(rename = "timeout")]
    _timeout: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FlaggerCanaryDoc {
    #[serde(rename = "apiVersion")]
    _api_version: Option<IgnoredAny>,
    #[serde(rename = "kind")]
    _kind: Option<IgnoredAny>,
    pub metadata: Metadata,
    pub spec: FlaggerCanarySpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FlaggerCanarySpec {
    pub target_ref: TargetRef,
    #[serde(rename = "provider")]
    _provider: Option<IgnoredAny>,
    #[serde(rename = "service")]
    _service: Option<IgnoredAny>,
    pub progress_deadline_seconds: Option<i64>,
    pub skip_analysis: Option<bool>,
    pub analysis: FlaggerAnalysis,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TargetRef {
    #[serde(rename = "apiVersion")]
    _api_version: Option<IgnoredAny>,
    #[serde(rename = "kind")]
    _kind: Option<IgnoredAny>,
    pub name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FlaggerAnalysis {
    pub interval: Option<String>,
    pub threshold: Option<i64>,
    pub max_weight: Option<i64>,
    pub step_weight: Option<i64>,
    pub step_weights: Option<Vec<i64>>,
    pub step_weight_promotion: Option<i64>,
    pub iterations: Option<i64>,
    #[serde(rename = "match")]
    pub matches: Option<Vec<HeadersMatch>>,
    pub mirror: Option<bool>,
    pub mirror_weight: Option<i64>,
    pub metrics: Option<Vec<FlaggerMetric>>,
    pub webhooks: Option<Vec<Webhook>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FlaggerMetric {
    pub name: String,
    pub template_ref: Option<FlaggerTemplateRef>,
    pub interval: Option<String>,
    pub threshold_range: Option<ThresholdRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlaggerTemplateRef {
    pub name: String,
    #[serde(rename = "namespace")]
    _namespace: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThresholdRange {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Webhook {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
    #[serde(rename = "timeout")]
    _timeout: Option<IgnoredAny>,
    #[serde(rename = "metadata")]
    _metadata: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct MetricTemplateDoc {
    #[serde(rename = "apiVersion")]
    _api_version: Option<IgnoredAny>,
    #[serde(rename = "kind")]
    _kind: Option<IgnoredAny>,
    pub metadata: Metadata,
    pub spec: MetricTemplateSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricTemplateSpec {
    pub provider: MetricTemplateProvider,
    pub query: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricTemplateProvider {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "address")]
    _address: Option<IgnoredAny>,
}
