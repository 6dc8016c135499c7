//! The YAML documents exactly as written: structs in the Kubernetes field names, every one
//! refusing fields the lab does not model (so a typo or an unsupported feature is an error on its
//! line rather than silently ignored). [`super::convert`] turns them into the checked model.
//!
//! Fields the lab accepts but has no use for (a Rollout's pod `template` and `selector`, a
//! Prometheus `address`, Flagger's `service`) are read as `_`-named [`Ignored`] so examples
//! from the Argo Rollouts and Flagger docs paste in unchanged. `apiVersion` and `kind` were
//! checked before a document is read by kind.

use super::read::{set, Fault, Ignored, Read, Reader, SYNTAX_HINT};
use super::yaml::{resolve, Node, Resolved, Value};
use std::collections::BTreeMap;

/// Declares a raw struct and its reader: each field with the YAML key it is read from, in the
/// order the error for an unknown field lists them. A field of a non-`Option` type is required
/// (the struct starts from its `Default`, and leaving a required field out is an error).
macro_rules! raw_struct {
    (
        $(#[$meta:meta])*
        struct $name:ident, deny_unknown_fields: $deny:literal {
            $($(#[$field_meta:meta])* $vis:vis $field:ident: $ty:ty = $key:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        pub(crate) struct $name {
            $($(#[$field_meta])* $vis $field: $ty,)*
        }

        impl Read for $name {
            fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
                let mut read = $name::default();
                reader.fields(
                    node,
                    concat!("struct ", stringify!($name)),
                    &[$(($key, <$ty as Read>::OPTIONAL)),*],
                    $deny,
                    &mut |index, value, reader| {
                        let mut slot = 0;
                        $(
                            if index == slot {
                                set(&mut read.$field, value, reader)?;
                            }
                            slot += 1;
                        )*
                        debug_assert!(index < slot);
                        Ok(())
                    },
                )?;
                Ok(read)
            }
        }
    };
}

raw_struct! {
    /// The two fields every document is sorted by.
    struct KindProbe, deny_unknown_fields: false {
        pub kind: Option<String> = "kind",
        pub api_version: Option<String> = "apiVersion",
    }
}

raw_struct! {
    struct Metadata, deny_unknown_fields: true {
        pub name: String = "name",
        _namespace: Option<Ignored> = "namespace",
        _labels: Option<Ignored> = "labels",
        _annotations: Option<Ignored> = "annotations",
    }
}

/// A number or a string: Kubernetes' IntOrString (`maxSurge: 1` / `"25%"`, `count: "{{args.n}}"`).
#[derive(Clone)]
pub(crate) enum IntOrString {
    Int(i64),
    Str(String),
}

/// As serde's untagged enum: a plain integer that fits i64 is `Int`, any other scalar that is not
/// null, a boolean, a float or a wider integer is `Str`; anything else matches neither.
impl Read for IntOrString {
    fn read<'n>(node: &'n Node, reader: &mut Reader<'n>) -> Result<Self, Fault> {
        let unmatched = || {
            Fault::unplaced(
                "data did not match any variant of untagged enum IntOrString".to_string(),
                SYNTAX_HINT,
            )
        };
        match &node.value {
            Value::Scalar { text, plain: false } => Ok(IntOrString::Str(text.clone())),
            Value::Scalar { text, plain: true } => match resolve(text) {
                Resolved::Unsigned(n) => i64::try_from(n)
                    .map(IntOrString::Int)
                    .map_err(|_| unmatched()),
                Resolved::Signed(n) => Ok(IntOrString::Int(n)),
                Resolved::Str => Ok(IntOrString::Str(text.clone())),
                // serde's untagged enums buffer a value first and cannot hold one beyond 64 bits.
                Resolved::Wide(..) => Err(reader.invalid(node, "any value")),
                _ => Err(unmatched()),
            },
            _ => reader.ignore(node).and_then(|()| Err(unmatched())),
        }
    }
}

raw_struct! {
    struct RolloutDoc, deny_unknown_fields: true {
        _api_version: Option<Ignored> = "apiVersion",
        _kind: Option<Ignored> = "kind",
        pub metadata: Metadata = "metadata",
        pub spec: RolloutSpec = "spec",
    }
}

raw_struct! {
    struct RolloutSpec, deny_unknown_fields: true {
        pub replicas: Option<i64> = "replicas",
        pub strategy: Strategy = "strategy",
        pub rollback_window: Option<RollbackWindow> = "rollbackWindow",
        _selector: Option<Ignored> = "selector",
        _template: Option<Ignored> = "template",
        _revision_history_limit: Option<Ignored> = "revisionHistoryLimit",
        _progress_deadline_seconds: Option<Ignored> = "progressDeadlineSeconds",
    }
}

raw_struct! {
    struct RollbackWindow, deny_unknown_fields: true {
        pub revisions: i64 = "revisions",
    }
}

raw_struct! {
    struct Strategy, deny_unknown_fields: true {
        pub canary: Option<Canary> = "canary",
        pub blue_green: Option<BlueGreen> = "blueGreen",
    }
}

raw_struct! {
    struct Canary, deny_unknown_fields: true {
        pub steps: Option<Vec<Step>> = "steps",
        pub analysis: Option<BackgroundAnalysis> = "analysis",
        pub traffic_routing: Option<Ignored> = "trafficRouting",
        pub max_surge: Option<IntOrString> = "maxSurge",
        _max_unavailable: Option<Ignored> = "maxUnavailable",
        pub abort_scale_down_delay_seconds: Option<i64> = "abortScaleDownDelaySeconds",
        _canary_service: Option<Ignored> = "canaryService",
        _stable_service: Option<Ignored> = "stableService",
    }
}

raw_struct! {
    struct Step, deny_unknown_fields: true {
        pub set_weight: Option<i64> = "setWeight",
        pub pause: Option<Pause> = "pause",
        pub analysis: Option<AnalysisRef> = "analysis",
        pub set_header_route: Option<SetHeaderRoute> = "setHeaderRoute",
        pub set_mirror_route: Option<SetMirrorRoute> = "setMirrorRoute",
        pub experiment: Option<Experiment> = "experiment",
    }
}

raw_struct! {
    struct Pause, deny_unknown_fields: true {
        pub duration: Option<IntOrString> = "duration",
    }
}

raw_struct! {
    struct AnalysisRef, deny_unknown_fields: true {
        pub templates: Vec<TemplateRef> = "templates",
        pub args: Option<Vec<Arg>> = "args",
        pub dry_run: Option<Vec<DryRun>> = "dryRun",
    }
}

raw_struct! {
    struct BackgroundAnalysis, deny_unknown_fields: true {
        pub templates: Vec<TemplateRef> = "templates",
        pub args: Option<Vec<Arg>> = "args",
        pub dry_run: Option<Vec<DryRun>> = "dryRun",
        pub starting_step: Option<i64> = "startingStep",
    }
}

raw_struct! {
    struct TemplateRef, deny_unknown_fields: true {
        pub template_name: String = "templateName",
        pub cluster_scope: Option<bool> = "clusterScope",
    }
}

raw_struct! {
    struct Arg, deny_unknown_fields: true {
        pub name: String = "name",
        pub value: Option<String> = "value",
        pub value_from: Option<ArgValueFrom> = "valueFrom",
    }
}

raw_struct! {
    /// An argument's `valueFrom` (the lab knows `podTemplateHashValue` only).
    struct ArgValueFrom, deny_unknown_fields: true {
        pub pod_template_hash_value: String = "podTemplateHashValue",
    }
}

raw_struct! {
    struct DryRun, deny_unknown_fields: true {
        pub metric_name: String = "metricName",
    }
}

raw_struct! {
    struct SetHeaderRoute, deny_unknown_fields: true {
        pub name: String = "name",
        pub matches: Option<Vec<HeaderRouteMatch>> = "match",
    }
}

raw_struct! {
    struct HeaderRouteMatch, deny_unknown_fields: true {
        pub header_name: String = "headerName",
        pub header_value: StringMatch = "headerValue",
    }
}

raw_struct! {
    /// Istio's string match: exactly one of the three.
    struct StringMatch, deny_unknown_fields: true {
        pub exact: Option<String> = "exact",
        pub prefix: Option<String> = "prefix",
        pub regex: Option<String> = "regex",
    }
}

raw_struct! {
    struct SetMirrorRoute, deny_unknown_fields: true {
        pub name: String = "name",
        pub percentage: Option<i64> = "percentage",
        pub matches: Option<Vec<HeadersMatch>> = "match",
    }
}

raw_struct! {
    /// A match on a request (Argo's mirror route match, Flagger's A/B `match`): its headers, and
    /// (Argo's RouteMatch) its method and path.
    struct HeadersMatch, deny_unknown_fields: true {
        pub headers: Option<BTreeMap<String, StringMatch>> = "headers",
        pub method: Option<StringMatch> = "method",
        pub path: Option<StringMatch> = "path",
    }
}

raw_struct! {
    struct Experiment, deny_unknown_fields: true {
        pub duration: Option<IntOrString> = "duration",
        pub templates: Vec<ExperimentTemplate> = "templates",
        pub analyses: Option<Vec<ExperimentAnalysis>> = "analyses",
    }
}

raw_struct! {
    struct ExperimentTemplate, deny_unknown_fields: true {
        pub name: String = "name",
        pub spec_ref: String = "specRef",
        pub weight: Option<i64> = "weight",
        _replicas: Option<Ignored> = "replicas",
    }
}

raw_struct! {
    struct ExperimentAnalysis, deny_unknown_fields: true {
        pub name: String = "name",
        pub template_name: String = "templateName",
        pub cluster_scope: Option<bool> = "clusterScope",
        pub args: Option<Vec<Arg>> = "args",
        _required_for_completion: Option<Ignored> = "requiredForCompletion",
    }
}

raw_struct! {
    struct BlueGreen, deny_unknown_fields: true {
        pub active_service: String = "activeService",
        pub preview_service: Option<String> = "previewService",
        pub pre_promotion_analysis: Option<AnalysisRef> = "prePromotionAnalysis",
        pub post_promotion_analysis: Option<AnalysisRef> = "postPromotionAnalysis",
        pub auto_promotion_enabled: Option<bool> = "autoPromotionEnabled",
        pub auto_promotion_seconds: Option<i64> = "autoPromotionSeconds",
        pub scale_down_delay_seconds: Option<i64> = "scaleDownDelaySeconds",
        pub preview_replica_count: Option<i64> = "previewReplicaCount",
        pub abort_scale_down_delay_seconds: Option<i64> = "abortScaleDownDelaySeconds",
    }
}

raw_struct! {
    struct AnalysisTemplateDoc, deny_unknown_fields: true {
        _api_version: Option<Ignored> = "apiVersion",
        pub kind: String = "kind",
        pub metadata: Metadata = "metadata",
        pub spec: AnalysisTemplateSpec = "spec",
    }
}

raw_struct! {
    struct AnalysisTemplateSpec, deny_unknown_fields: true {
        pub args: Option<Vec<Arg>> = "args",
        pub metrics: Vec<Metric> = "metrics",
        pub dry_run: Option<Vec<DryRun>> = "dryRun",
        _measurement_retention: Option<Ignored> = "measurementRetention",
    }
}

raw_struct! {
    struct Metric, deny_unknown_fields: true {
        pub name: String = "name",
        pub interval: Option<String> = "interval",
        pub count: Option<IntOrString> = "count",
        pub initial_delay: Option<String> = "initialDelay",
        pub success_condition: Option<String> = "successCondition",
        pub failure_condition: Option<String> = "failureCondition",
        pub failure_limit: Option<IntOrString> = "failureLimit",
        pub inconclusive_limit: Option<IntOrString> = "inconclusiveLimit",
        pub consecutive_error_limit: Option<IntOrString> = "consecutiveErrorLimit",
        pub consecutive_success_limit: Option<IntOrString> = "consecutiveSuccessLimit",
        pub provider: MetricProvider = "provider",
    }
}

raw_struct! {
    struct MetricProvider, deny_unknown_fields: true {
        pub prometheus: Prometheus = "prometheus",
    }
}

raw_struct! {
    struct Prometheus, deny_unknown_fields: true {
        _address: Option<Ignored> = "address",
        pub query: String = "query",
        _timeout: Option<Ignored> = "timeout",
    }
}

raw_struct! {
    struct FlaggerCanaryDoc, deny_unknown_fields: true {
        _api_version: Option<Ignored> = "apiVersion",
        _kind: Option<Ignored> = "kind",
        pub metadata: Metadata = "metadata",
        pub spec: FlaggerCanarySpec = "spec",
    }
}

raw_struct! {
    struct FlaggerCanarySpec, deny_unknown_fields: true {
        pub target_ref: TargetRef = "targetRef",
        _provider: Option<Ignored> = "provider",
        _service: Option<Ignored> = "service",
        pub progress_deadline_seconds: Option<i64> = "progressDeadlineSeconds",
        pub skip_analysis: Option<bool> = "skipAnalysis",
        pub analysis: FlaggerAnalysis = "analysis",
    }
}

raw_struct! {
    struct TargetRef, deny_unknown_fields: true {
        _api_version: Option<Ignored> = "apiVersion",
        _kind: Option<Ignored> = "kind",
        pub name: String = "name",
    }
}

raw_struct! {
    struct FlaggerAnalysis, deny_unknown_fields: true {
        pub interval: Option<String> = "interval",
        pub threshold: Option<i64> = "threshold",
        pub max_weight: Option<i64> = "maxWeight",
        pub step_weight: Option<i64> = "stepWeight",
        pub step_weights: Option<Vec<i64>> = "stepWeights",
        pub step_weight_promotion: Option<i64> = "stepWeightPromotion",
        pub iterations: Option<i64> = "iterations",
        pub matches: Option<Vec<HeadersMatch>> = "match",
        pub mirror: Option<bool> = "mirror",
        pub mirror_weight: Option<i64> = "mirrorWeight",
        pub metrics: Option<Vec<FlaggerMetric>> = "metrics",
        pub webhooks: Option<Vec<Webhook>> = "webhooks",
    }
}

raw_struct! {
    struct FlaggerMetric, deny_unknown_fields: true {
        pub name: String = "name",
        pub template_ref: Option<FlaggerTemplateRef> = "templateRef",
        pub interval: Option<String> = "interval",
        pub threshold_range: Option<ThresholdRange> = "thresholdRange",
    }
}

raw_struct! {
    struct FlaggerTemplateRef, deny_unknown_fields: true {
        pub name: String = "name",
        _namespace: Option<Ignored> = "namespace",
    }
}

raw_struct! {
    struct ThresholdRange, deny_unknown_fields: true {
        pub min: Option<f64> = "min",
        pub max: Option<f64> = "max",
    }
}

raw_struct! {
    struct Webhook, deny_unknown_fields: true {
        pub name: String = "name",
        pub kind: Option<String> = "type",
        pub url: Option<String> = "url",
        _timeout: Option<Ignored> = "timeout",
        _metadata: Option<Ignored> = "metadata",
    }
}

raw_struct! {
    struct MetricTemplateDoc, deny_unknown_fields: true {
        _api_version: Option<Ignored> = "apiVersion",
        _kind: Option<Ignored> = "kind",
        pub metadata: Metadata = "metadata",
        pub spec: MetricTemplateSpec = "spec",
    }
}

raw_struct! {
    struct MetricTemplateSpec, deny_unknown_fields: true {
        pub provider: MetricTemplateProvider = "provider",
        pub query: String = "query",
    }
}

raw_struct! {
    struct MetricTemplateProvider, deny_unknown_fields: true {
        pub kind: String = "type",
        _address: Option<Ignored> = "address",
    }
}
