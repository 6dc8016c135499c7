//! From raw YAML documents to the checked model: the rules YAML's types cannot state, each broken
//! rule an error at the line of the offending key, and the defaults of Argo Rollouts
//! (`utils/defaults/defaults.go`) and Flagger (`pkg/apis/flagger/v1beta1/canary.go`).

use super::locate::{DocText, Seg};
use super::model::*;
use super::raw;
use super::{parse_go_duration, SpecError};
use super::{read, yaml};
use crate::analysis::parse_condition;
use crate::routing::{HeaderMatch, HeaderRoute, MatchBlock, MirrorRoute, StringMatch};
use crate::value::DurationMs;

/// Argo's default `scaleDownDelaySeconds` and `abortScaleDownDelaySeconds`.
const DEFAULT_SCALE_DOWN_DELAY_SECONDS: u64 = 30;
/// Argo's default `maxSurge`, a percentage of replicas.
const DEFAULT_MAX_SURGE_PERCENT: u64 = 25;
/// Flagger's default analysis interval and progress deadline.
const FLAGGER_DEFAULT_INTERVAL_MS: u64 = 60_000;
const FLAGGER_DEFAULT_PROGRESS_DEADLINE_SECONDS: u64 = 600;
/// Flagger's built-in metrics' default `interval` (the range of their rate()).
const FLAGGER_DEFAULT_METRIC_INTERVAL: &str = "1m";

/// Documents read so far, each with its text for locating later errors.
#[derive(Default)]
pub(crate) struct Loaded<'a> {
    rollouts: Vec<(raw::RolloutDoc, &'a DocText<'a>)>,
    templates: Vec<(raw::AnalysisTemplateDoc, &'a DocText<'a>)>,
    canaries: Vec<(raw::FlaggerCanaryDoc, &'a DocText<'a>)>,
    metric_templates: Vec<(raw::MetricTemplateDoc, &'a DocText<'a>)>,
}

/// The kinds the lab reads, for the error listing them.
const KINDS: &str = "Rollout, AnalysisTemplate, ClusterAnalysisTemplate (argoproj.io/v1alpha1), Canary, MetricTemplate (flagger.app/v1beta1)";

impl<'a> Loaded<'a> {
    pub fn is_empty(&self) -> bool {
        self.rollouts.is_empty()
            && self.templates.is_empty()
            && self.canaries.is_empty()
            && self.metric_templates.is_empty()
    }

    /// Reads one document by its kind.
    pub fn read(&mut self, doc: &'a DocText<'a>) -> Result<(), SpecError> {
        let tree = yaml::parse(&doc.lines.join("\n"));
        let probe: raw::KindProbe = read::document(&tree, doc)?;
        let kind = probe.kind.unwrap_or_default();
        let api_version = probe.api_version.unwrap_or_default();
        let expected_api = match kind.as_str() {
            "Rollout" | "AnalysisTemplate" | "ClusterAnalysisTemplate" => "argoproj.io/v1alpha1",
            "Canary" | "MetricTemplate" => "flagger.app/v1beta1",
            _ => {
                let (line, column) = doc.position_of(&[Seg::Key("kind")]);
                return Err(SpecError {
                    line,
                    column,
                    message: format!("kind `{kind}` is not one the lab reads"),
                    hint: format!("use one of: {KINDS}"),
                });
            }
        };
        if api_version != expected_api {
            let (line, column) = doc.position_of(&[Seg::Key("apiVersion")]);
            return Err(SpecError {
                line,
                column,
                message: format!("a {kind} has apiVersion {expected_api}, not `{api_version}`"),
                hint: format!("write `apiVersion: {expected_api}`"),
            });
        }
        match kind.as_str() {
            "Rollout" => self.rollouts.push((read::document(&tree, doc)?, doc)),
            "Canary" => self.canaries.push((read::document(&tree, doc)?, doc)),
            "MetricTemplate" => self
                .metric_templates
                .push((read::document(&tree, doc)?, doc)),
            _ => self.templates.push((read::document(&tree, doc)?, doc)),
        }
        Ok(())
    }

    /// Checks every document against the others and returns the model.
    pub fn check(self) -> Result<SpecSet, Vec<SpecError>> {
        let mut problems = Problems::default();
        let mut set = SpecSet::default();
        for (doc, text) in &self.templates {
            let at = At {
                doc: text,
                problems: &mut problems,
            };
            set.templates.push(analysis_template(doc, at));
        }
        for (doc, text) in &self.metric_templates {
            let sample = doc
                .spec
                .query
                .replace("{{ target }}", "canary")
                .replace("{{ interval }}", "1m")
                .replace("{{ namespace }}", "default");
            At {
                doc: text,
                problems: &mut problems,
            }
            .query(&[Seg::Key("spec"), Seg::Key("query")], &sample);
            set.metric_templates.push(FlaggerMetricTemplate {
                name: doc.metadata.name.clone(),
                query: doc.spec.query.clone(),
            });
            if doc.spec.provider.kind != "prometheus" {
                problems.push(
                    text,
                    &[Seg::Key("spec"), Seg::Key("provider"), Seg::Key("type")],
                    format!(
                        "metric provider `{}` is not supported by the lab",
                        doc.spec.provider.kind
                    ),
                    "use `type: prometheus`: the lab answers PromQL over its own metrics",
                );
            }
        }
        for (doc, text) in &self.rollouts {
            let mut at = At {
                doc: text,
                problems: &mut problems,
            };
            if let Some(rollout) = rollout(doc, &set.templates, &mut at) {
                set.rollouts.push(rollout);
            }
        }
        for (doc, text) in &self.canaries {
            let mut at = At {
                doc: text,
                problems: &mut problems,
            };
            if let Some(canary) = flagger_canary(doc, &set.metric_templates, &mut at) {
                set.canaries.push(canary);
            }
        }
        if problems.errors.is_empty() {
            Ok(set)
        } else {
            sim::sort::sort_by_key(&mut problems.errors, |e| (e.line, e.column));
            Err(problems.errors)
        }
    }
}

#[derive(Default)]
struct Problems {
    errors: Vec<SpecError>,
}

impl Problems {
    fn push(&mut self, doc: &DocText<'_>, path: &[Seg<'_>], message: String, hint: &str) {
        let (line, column) = doc.position_of(path);
        self.errors.push(SpecError {
            line,
            column,
            message,
            hint: hint.to_string(),
        });
    }
}

/// Errors of one document.
struct At<'d, 'p> {
    doc: &'d DocText<'d>,
    problems: &'p mut Problems,
}

impl At<'_, '_> {
    fn error(&mut self, path: &[Seg<'_>], message: String, hint: &str) {
        self.problems.push(self.doc, path, message, hint);
    }

    /// A percent in 0..=100, or an error.
    fn percent(&mut self, path: &[Seg<'_>], value: i64, what: &str) -> u8 {
        match u8::try_from(value) {
            Ok(percent) if percent <= 100 => percent,
            _ => {
                self.error(
                    path,
                    format!("{what} {value} is outside 0..100"),
                    "a weight is a percent of traffic, from 0 to 100",
                );
                0
            }
        }
    }

    /// A non-negative count, or an error.
    fn count(&mut self, path: &[Seg<'_>], value: i64, what: &str) -> u32 {
        u32::try_from(value).unwrap_or_else(|_| {
            self.error(
                path,
                format!("{what} {value} must be 0 or more"),
                "use a whole number of 0 or more",
            );
            0
        })
    }

    fn duration(&mut self, path: &[Seg<'_>], text: &str) -> DurationMs {
        parse_go_duration(text).unwrap_or_else(|why| {
            self.error(
                path,
                format!("duration {why}"),
                "write a Go duration such as 30s, 1m30s, 2h or 500ms",
            );
            DurationMs(0)
        })
    }

    /// A PromQL query the lab's engine must accept; templated ones are checked once substituted.
    fn query(&mut self, path: &[Seg<'_>], text: &str) {
        if text.contains("{{") {
            return;
        }
        if let Err(error) = crate::promql::parser::parse(text) {
            self.error(path, format!("query does not parse: {error}"), "the lab answers a PromQL subset: selectors, rate/irate/increase, sum/avg/min/max/count by, histogram_quantile, arithmetic and comparisons");
        }
    }

    fn condition(&mut self, path: &[Seg<'_>], text: &str) {
        if text.contains("{{") {
            return;
        }
        if let Err(error) = parse_condition(text) {
            self.error(
                path,
                format!("condition `{text}` does not parse: {error}"),
                "conditions are expr expressions over `result`, e.g. result[0] >= 0.95",
            );
        }
    }
}

fn seconds(value: Option<i64>, default: u64) -> DurationMs {
    DurationMs::from_seconds(value.map_or(default, |v| u64::try_from(v).unwrap_or(0)))
}

fn rollout(doc: &raw::RolloutDoc, templates: &[AnalysisTemplate], at: &mut At) -> Option<Rollout> {
    let spec = &doc.spec;
    let replicas = match spec.replicas {
        Some(r) => at.count(&[Seg::Key("spec"), Seg::Key("replicas")], r, "replicas"),
        None => 1,
    };
    let window = match &spec.rollback_window {
        Some(w) => at.count(
            &[
                Seg::Key("spec"),
                Seg::Key("rollbackWindow"),
                Seg::Key("revisions"),
            ],
            w.revisions,
            "rollbackWindow.revisions",
        ),
        None => 0,
    };
    let strategy_path = [Seg::Key("spec"), Seg::Key("strategy")];
    let strategy = match (&spec.strategy.canary, &spec.strategy.blue_green) {
        (Some(canary), None) => {
            RolloutStrategy::Canary(canary_strategy(canary, replicas, templates, at))
        }
        (None, Some(blue_green)) => {
            RolloutStrategy::BlueGreen(blue_green_strategy(blue_green, templates, at))
        }
        _ => {
            at.error(
                &strategy_path,
                "a strategy needs exactly one of `canary` and `blueGreen`".to_string(),
                "keep one of the two",
            );
            return None;
        }
    };
    Some(Rollout {
        name: doc.metadata.name.clone(),
        replicas,
        strategy,
        rollback_window_revisions: window,
    })
}

const CANARY: [Seg<'static>; 3] = [Seg::Key("spec"), Seg::Key("strategy"), Seg::Key("canary")];

fn canary_path<'s>(rest: &[Seg<'s>]) -> Vec<Seg<'s>> {
    let mut path: Vec<Seg<'s>> = CANARY.to_vec();
    path.extend_from_slice(rest);
    path
}

fn canary_strategy(
    canary: &raw::Canary,
    replicas: u32,
    templates: &[AnalysisTemplate],
    at: &mut At,
) -> CanaryStrategy {
    let traffic_routing = canary.traffic_routing.is_some();
    let raw_steps = canary.steps.as_deref().unwrap_or(&[]);
    let steps = raw_steps
        .iter()
        .enumerate()
        .filter_map(|(index, step)| canary_step(step, index, traffic_routing, templates, at))
        .collect::<Vec<_>>();
    let background = canary.analysis.as_ref().map(|analysis| {
        let path = canary_path(&[Seg::Key("analysis")]);
        let reference = analysis_ref(&analysis.templates, analysis.args.as_deref(), analysis.dry_run.as_deref(), &path, templates, at);
        let starting_step = match analysis.starting_step {
            None => 0,
            Some(step) => {
                let step_path = canary_path(&[Seg::Key("analysis"), Seg::Key("startingStep")]);
                match usize::try_from(step) {
                    Ok(s) if s < raw_steps.len() => s,
                    _ => {
                        at.error(&step_path, format!("startingStep {step} is not a step index (the rollout has {} steps)", raw_steps.len()), "startingStep counts steps from 0 and must be less than the number of steps");
                        0
                    }
                }
            }
        };
        BackgroundAnalysis { analysis: reference, starting_step }
    });
    let max_surge_replicas = match &canary.max_surge {
        None => ceil_percent(replicas, DEFAULT_MAX_SURGE_PERCENT),
        Some(raw::IntOrString::Int(n)) => {
            at.count(&canary_path(&[Seg::Key("maxSurge")]), *n, "maxSurge")
        }
        Some(raw::IntOrString::Str(text)) => {
            match text.strip_suffix('%').and_then(|p| p.parse::<u64>().ok()) {
                Some(percent) => ceil_percent(replicas, percent),
                None => {
                    at.error(
                        &canary_path(&[Seg::Key("maxSurge")]),
                        format!("maxSurge `{text}` is neither a number nor a percentage"),
                        "write a pod count (1) or a percentage (\"25%\")",
                    );
                    0
                }
            }
        }
    };
    CanaryStrategy {
        steps,
        background,
        traffic_routing,
        max_surge_replicas,
        abort_scale_down_delay: seconds(
            canary.abort_scale_down_delay_seconds,
            DEFAULT_SCALE_DOWN_DELAY_SECONDS,
        ),
    }
}

/// `percent` of `replicas`, rounded up as Kubernetes scales a surge.
fn ceil_percent(replicas: u32, percent: u64) -> u32 {
    let scaled = (u64::from(replicas) * percent).div_ceil(100);
    u32::try_from(scaled).unwrap_or(u32::MAX)
}

fn canary_step(
    step: &raw::Step,
    index: usize,
    traffic_routing: bool,
    templates: &[AnalysisTemplate],
    at: &mut At,
) -> Option<CanaryStep> {
    let here =
        |key: &'static str| canary_path(&[Seg::Key("steps"), Seg::Index(index), Seg::Key(key)]);
    let item = canary_path(&[Seg::Key("steps"), Seg::Index(index)]);
    let actions = [
        step.set_weight.is_some(),
        step.pause.is_some(),
        step.analysis.is_some(),
        step.set_header_route.is_some(),
        step.set_mirror_route.is_some(),
        step.experiment.is_some(),
    ];
    let count = actions.iter().filter(|&&a| a).count();
    if count != 1 {
        at.error(&item, format!("step {index} has {count} actions; a step has exactly one"), "split it: one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, experiment per `- ` item");
        return None;
    }
    if let Some(weight) = step.set_weight {
        return Some(CanaryStep::SetWeight(at.percent(
            &here("setWeight"),
            weight,
            "setWeight",
        )));
    }
    if let Some(pause) = &step.pause {
        let duration = pause.duration.as_ref().map(|d| match d {
            raw::IntOrString::Int(secs) => {
                DurationMs::from_seconds(u64::try_from(*secs).unwrap_or(0))
            }
            raw::IntOrString::Str(text) => at.duration(&here("pause"), text),
        });
        return Some(CanaryStep::Pause(duration));
    }
    if let Some(analysis) = &step.analysis {
        return Some(CanaryStep::Analysis(analysis_ref(
            &analysis.templates,
            analysis.args.as_deref(),
            analysis.dry_run.as_deref(),
            &here("analysis"),
            templates,
            at,
        )));
    }
    if !traffic_routing {
        at.error(&item, format!("step {index} needs `trafficRouting`"), "header routes, mirror routes and experiment weights are set on a service mesh: add trafficRouting to the canary strategy");
    }
    if let Some(route) = &step.set_header_route {
        // Each entry is a block of its own (Argo's `createHeaderRouteMatch`): either header matches.
        let matches = route
            .matches
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(i, m)| MatchBlock {
                conditions: vec![HeaderMatch {
                    header: m.header_name.to_ascii_lowercase(),
                    value: string_match(
                        &m.header_value,
                        &canary_path(&[
                            Seg::Key("steps"),
                            Seg::Index(index),
                            Seg::Key("setHeaderRoute"),
                            Seg::Key("match"),
                            Seg::Index(i),
                        ]),
                        at,
                    ),
                }],
            })
            .collect();
        return Some(CanaryStep::SetHeaderRoute(HeaderRoute {
            name: route.name.clone(),
            matches,
        }));
    }
    if let Some(route) = &step.set_mirror_route {
        let percentage = route.percentage.map_or(100, |p| {
            at.percent(&here("setMirrorRoute"), p, "mirror percentage")
        });
        // Without `match` the step removes the route of that name, as Argo's Istio router does;
        // each entry is a block of its own (Argo's `createMirrorRoute`).
        let matches = headers_matches(
            route.matches.as_deref().unwrap_or(&[]),
            &here("setMirrorRoute"),
            at,
        );
        return Some(CanaryStep::SetMirrorRoute(MirrorRoute {
            name: route.name.clone(),
            percentage,
            matches,
        }));
    }
    step.experiment.as_ref().map(|experiment| {
        CanaryStep::Experiment(experiment_step(
            experiment,
            &here("experiment"),
            templates,
            at,
        ))
    })
}

fn experiment_step(
    experiment: &raw::Experiment,
    path: &[Seg<'_>],
    templates: &[AnalysisTemplate],
    at: &mut At,
) -> ExperimentStep {
    let duration = experiment.duration.as_ref().map(|d| match d {
        raw::IntOrString::Int(secs) => DurationMs::from_seconds(u64::try_from(*secs).unwrap_or(0)),
        raw::IntOrString::Str(text) => at.duration(path, text),
    });
    let arms = experiment
        .templates
        .iter()
        .map(|arm| {
            let spec_ref = match arm.spec_ref.as_str() {
                "stable" => SpecRef::Stable,
                "canary" => SpecRef::Canary,
                other => {
                    at.error(
                        path,
                        format!("specRef `{other}` is neither stable nor canary"),
                        "an experiment arm copies the stable or the canary pod template",
                    );
                    SpecRef::Canary
                }
            };
            let weight_percent = arm.weight.map(|w| at.percent(path, w, "experiment weight"));
            ExperimentArm {
                name: arm.name.clone(),
                spec_ref,
                weight_percent,
            }
        })
        .collect::<Vec<_>>();
    let analyses: Vec<ExperimentAnalysis> = experiment
        .analyses
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|a| {
            let refs = [raw::TemplateRef {
                template_name: a.template_name.clone(),
                cluster_scope: a.cluster_scope,
            }];
            ExperimentAnalysis {
                name: a.name.clone(),
                analysis: analysis_ref(&refs, a.args.as_deref(), None, path, templates, at),
            }
        })
        .collect();
    for analysis in &analyses {
        for arg in &analysis.analysis.args {
            let ArgSource::Text(text) = &arg.value else {
                continue;
            };
            for name in super::experiment_hash_names(text) {
                if !arms.iter().any(|arm| arm.name == name) {
                    let known: Vec<&str> = arms.iter().map(|arm| arm.name.as_str()).collect();
                    at.error(
                        path,
                        format!("arg `{}` names the hash of `{name}`, which is not a template of this experiment", arg.name),
                        &format!("name one of the experiment's templates: {}", known.join(", ")),
                    );
                }
            }
        }
    }
    ExperimentStep {
        duration,
        arms,
        analyses,
    }
}

fn string_match(value: &raw::StringMatch, path: &[Seg<'_>], at: &mut At) -> StringMatch {
    match (&value.exact, &value.prefix, &value.regex) {
        (Some(v), None, None) => StringMatch::Exact(v.clone()),
        (None, Some(v), None) => StringMatch::Prefix(v.clone()),
        (None, None, Some(v)) => StringMatch::Regex(v.clone()),
        _ => {
            at.error(
                path,
                "a header value needs exactly one of exact, prefix, regex".to_string(),
                "e.g. `headerValue: {exact: \"true\"}`",
            );
            StringMatch::Exact(String::new())
        }
    }
}

/// Each `- headers: {...}` entry as a block of conditions that must all hold; a `method` or
/// `path` is matched as the pseudo-header `:method` or `:path`, as Envoy does.
fn headers_matches(
    entries: &[raw::HeadersMatch],
    path: &[Seg<'_>],
    at: &mut At,
) -> Vec<MatchBlock> {
    entries
        .iter()
        .map(|entry| {
            let pseudo = [(":method", &entry.method), (":path", &entry.path)];
            let pseudo = pseudo
                .into_iter()
                .filter_map(|(name, value)| value.as_ref().map(|v| (name.to_string(), v)));
            let headers = entry
                .headers
                .iter()
                .flatten()
                .map(|(name, value)| (name.to_ascii_lowercase(), value));
            let conditions = pseudo
                .chain(headers)
                .map(|(header, value)| HeaderMatch {
                    header,
                    value: string_match(value, path, at),
                })
                .collect();
            MatchBlock { conditions }
        })
        .collect()
}

/// An argument's `value`, or its `valueFrom: {podTemplateHashValue: Stable | Latest}`.
fn arg_source(arg: &raw::Arg, path: &[Seg<'_>], at: &mut At) -> ArgSource {
    let Some(from) = &arg.value_from else {
        return ArgSource::Text(arg.value.clone().unwrap_or_default());
    };
    if arg.value.is_some() {
        at.error(
            path,
            format!("arg `{}` has both value and valueFrom", arg.name),
            "keep one of them",
        );
    }
    match from.pod_template_hash_value.as_str() {
        "Stable" => ArgSource::PodTemplateHash(HashOf::Stable),
        "Latest" => ArgSource::PodTemplateHash(HashOf::Latest),
        other => {
            at.error(
                path,
                format!("podTemplateHashValue `{other}` is neither Stable nor Latest"),
                "Stable is the stable ReplicaSet's hash, Latest the newest one's (the canary)",
            );
            ArgSource::Text(String::new())
        }
    }
}

fn analysis_ref(
    refs: &[raw::TemplateRef],
    args: Option<&[raw::Arg]>,
    dry_run: Option<&[raw::DryRun]>,
    path: &[Seg<'_>],
    templates: &[AnalysisTemplate],
    at: &mut At,
) -> AnalysisRef {
    let args: Vec<ArgValue> = args
        .unwrap_or(&[])
        .iter()
        .map(|a| ArgValue {
            name: a.name.clone(),
            value: arg_source(a, path, at),
        })
        .collect();
    for reference in refs {
        let cluster = reference.cluster_scope.unwrap_or(false);
        let kind = if cluster {
            "ClusterAnalysisTemplate"
        } else {
            "AnalysisTemplate"
        };
        let Some(template) = templates
            .iter()
            .find(|t| t.name == reference.template_name && t.cluster_scoped == cluster)
        else {
            let known: Vec<&str> = templates
                .iter()
                .filter(|t| t.cluster_scoped == cluster)
                .map(|t| t.name.as_str())
                .collect();
            let hint =
                match sim::text::did_you_mean(&reference.template_name, known.iter().copied()) {
                    Some(name) => {
                        format!("did you mean `{name}`? Templates must be in the same file")
                    }
                    None => format!(
                        "add a `kind: {kind}` document named `{}` to the file (known: {})",
                        reference.template_name,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                };
            at.error(
                path,
                format!("{kind} `{}` is not in the file", reference.template_name),
                &hint,
            );
            continue;
        };
        for declared in &template.args {
            if declared.default.is_none() && !args.iter().any(|a| a.name == declared.name) {
                at.error(
                    path,
                    format!(
                        "template `{}` needs arg `{}`, which has no default and is not passed",
                        template.name, declared.name
                    ),
                    &format!(
                        "add `args: [{{name: {}, value: ...}}]` to the analysis",
                        declared.name
                    ),
                );
            }
        }
    }
    AnalysisRef {
        templates: refs.iter().map(|r| r.template_name.clone()).collect(),
        args,
        dry_run: dry_run
            .unwrap_or(&[])
            .iter()
            .map(|d| d.metric_name.clone())
            .collect(),
    }
}

fn blue_green_strategy(
    bg: &raw::BlueGreen,
    templates: &[AnalysisTemplate],
    at: &mut At,
) -> BlueGreenStrategy {
    let path = |key: &'static str| {
        vec![
            Seg::Key("spec"),
            Seg::Key("strategy"),
            Seg::Key("blueGreen"),
            Seg::Key(key),
        ]
    };
    let pre_promotion = bg.pre_promotion_analysis.as_ref().map(|a| {
        analysis_ref(
            &a.templates,
            a.args.as_deref(),
            a.dry_run.as_deref(),
            &path("prePromotionAnalysis"),
            templates,
            at,
        )
    });
    let post_promotion = bg.post_promotion_analysis.as_ref().map(|a| {
        analysis_ref(
            &a.templates,
            a.args.as_deref(),
            a.dry_run.as_deref(),
            &path("postPromotionAnalysis"),
            templates,
            at,
        )
    });
    let auto_promotion_after = bg.auto_promotion_seconds.map(|s| {
        DurationMs::from_seconds(u64::from(at.count(
            &path("autoPromotionSeconds"),
            s,
            "autoPromotionSeconds",
        )))
    });
    let preview_replica_count = bg
        .preview_replica_count
        .map(|n| at.count(&path("previewReplicaCount"), n, "previewReplicaCount"));
    if bg.preview_service.is_none() && bg.pre_promotion_analysis.is_some() {
        at.error(&path("prePromotionAnalysis"), "pre-promotion analysis needs a previewService".to_string(), "the analysis measures the new version through the preview service: add `previewService`");
    }
    BlueGreenStrategy {
        active_service: bg.active_service.clone(),
        preview_service: bg.preview_service.clone(),
        pre_promotion,
        post_promotion,
        auto_promotion_enabled: bg.auto_promotion_enabled.unwrap_or(true),
        auto_promotion_after,
        scale_down_delay: seconds(
            bg.scale_down_delay_seconds,
            DEFAULT_SCALE_DOWN_DELAY_SECONDS,
        ),
        preview_replica_count,
        abort_scale_down_delay: seconds(
            bg.abort_scale_down_delay_seconds,
            DEFAULT_SCALE_DOWN_DELAY_SECONDS,
        ),
    }
}

fn analysis_template(doc: &raw::AnalysisTemplateDoc, mut at: At) -> AnalysisTemplate {
    let metrics = doc
        .spec
        .metrics
        .iter()
        .enumerate()
        .map(|(index, metric)| {
            let here = |key: &'static str| {
                vec![
                    Seg::Key("spec"),
                    Seg::Key("metrics"),
                    Seg::Index(index),
                    Seg::Key(key),
                ]
            };
            for (key, value) in [
                ("interval", &metric.interval),
                ("initialDelay", &metric.initial_delay),
            ] {
                if let Some(text) = value.as_deref().filter(|t| !t.contains("{{")) {
                    at.duration(&here(key), text);
                }
            }
            let query_path = [
                Seg::Key("spec"),
                Seg::Key("metrics"),
                Seg::Index(index),
                Seg::Key("provider"),
                Seg::Key("prometheus"),
                Seg::Key("query"),
            ];
            at.query(&query_path, &metric.provider.prometheus.query);
            for (key, value) in [
                ("successCondition", &metric.success_condition),
                ("failureCondition", &metric.failure_condition),
            ] {
                if let Some(text) = value {
                    at.condition(&here(key), text);
                }
            }
            let mut number =
                |key: &'static str, value: &Option<raw::IntOrString>| -> Option<String> {
                    match value {
                        None => None,
                        Some(raw::IntOrString::Int(n)) => Some(n.to_string()),
                        Some(raw::IntOrString::Str(text)) => {
                            if !text.contains("{{") && text.trim().parse::<i64>().is_err() {
                                at.error(
                                    &here(key),
                                    format!("{key} `{text}` is not a whole number"),
                                    "write a number, or `{{args.NAME}}` to pass it as an argument",
                                );
                            }
                            Some(text.clone())
                        }
                    }
                };
            TemplateMetric {
                name: metric.name.clone(),
                interval: metric.interval.clone(),
                count: number("count", &metric.count),
                initial_delay: metric.initial_delay.clone(),
                success_condition: metric.success_condition.clone(),
                failure_condition: metric.failure_condition.clone(),
                failure_limit: number("failureLimit", &metric.failure_limit),
                inconclusive_limit: number("inconclusiveLimit", &metric.inconclusive_limit),
                consecutive_error_limit: number(
                    "consecutiveErrorLimit",
                    &metric.consecutive_error_limit,
                ),
                consecutive_success_limit: number(
                    "consecutiveSuccessLimit",
                    &metric.consecutive_success_limit,
                ),
                query: metric.provider.prometheus.query.clone(),
            }
        })
        .collect::<Vec<_>>();
    for (index, metric) in doc.spec.metrics.iter().enumerate() {
        if doc.spec.metrics[..index]
            .iter()
            .any(|m| m.name == metric.name)
        {
            at.error(
                &[
                    Seg::Key("spec"),
                    Seg::Key("metrics"),
                    Seg::Index(index),
                    Seg::Key("name"),
                ],
                format!("metric name `{}` is used twice", metric.name),
                "each metric of a template needs its own name",
            );
        }
    }
    let dry_run: Vec<String> = doc
        .spec
        .dry_run
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|d| d.metric_name.clone())
        .collect();
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    if let Err(why) = crate::analysis::dry_run::dry_run_metrics(&dry_run, &names) {
        at.error(
            &[Seg::Key("spec"), Seg::Key("dryRun")],
            format!("dryRun: {why}"),
            "dryRun metricName is a metric name or a pattern such as `.*`",
        );
    }
    AnalysisTemplate {
        name: doc.metadata.name.clone(),
        cluster_scoped: doc.kind == "ClusterAnalysisTemplate",
        args: doc
            .spec
            .args
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|a| {
                if a.value_from.is_some() {
                    at.error(
                        &[Seg::Key("spec"), Seg::Key("args")],
                        format!("template arg `{}` has valueFrom podTemplateHashValue", a.name),
                        "the Rollout passes podTemplateHashValue in its analysis args; the template only declares the name",
                    );
                }
                TemplateArg {
                    name: a.name.clone(),
                    default: a.value.clone(),
                }
            })
            .collect(),
        metrics,
        dry_run,
    }
}

const ANALYSIS: [Seg<'static>; 2] = [Seg::Key("spec"), Seg::Key("analysis")];

fn flagger_path<'s>(rest: &[Seg<'s>]) -> Vec<Seg<'s>> {
    let mut path: Vec<Seg<'s>> = ANALYSIS.to_vec();
    path.extend_from_slice(rest);
    path
}

fn flagger_canary(
    doc: &raw::FlaggerCanaryDoc,
    metric_templates: &[FlaggerMetricTemplate],
    at: &mut At,
) -> Option<FlaggerCanary> {
    let a = &doc.spec.analysis;
    let interval = a
        .interval
        .as_deref()
        .map_or(DurationMs(FLAGGER_DEFAULT_INTERVAL_MS), |t| {
            at.duration(&flagger_path(&[Seg::Key("interval")]), t)
        });
    let threshold = a
        .threshold
        .map_or(1, |t| {
            at.count(&flagger_path(&[Seg::Key("threshold")]), t, "threshold")
        })
        .max(1);
    let step_weights: Vec<u8> = a
        .step_weights
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|&w| {
            at.percent(
                &flagger_path(&[Seg::Key("stepWeights")]),
                w,
                "stepWeights entry",
            )
        })
        .collect();
    if a.step_weight.is_some() && !step_weights.is_empty() {
        at.error(
            &flagger_path(&[Seg::Key("stepWeights")]),
            "stepWeight and stepWeights are both set".to_string(),
            "use stepWeight for even steps or stepWeights for a list of weights, not both",
        );
    }
    if step_weights.windows(2).any(|w| w[0] >= w[1]) {
        at.error(
            &flagger_path(&[Seg::Key("stepWeights")]),
            "stepWeights must increase".to_string(),
            "list the weights in increasing order, e.g. [1, 10, 50]",
        );
    }
    let max_weight = a.max_weight.map_or(100, |w| {
        at.percent(&flagger_path(&[Seg::Key("maxWeight")]), w, "maxWeight")
    });
    let step_weight = a.step_weight.map_or(0, |w| {
        at.percent(&flagger_path(&[Seg::Key("stepWeight")]), w, "stepWeight")
    });
    let iterations = a
        .iterations
        .map(|n| at.count(&flagger_path(&[Seg::Key("iterations")]), n, "iterations"));
    let matches = headers_matches(
        a.matches.as_deref().unwrap_or(&[]),
        &flagger_path(&[Seg::Key("match")]),
        at,
    );
    let progressive = iterations.unwrap_or(0) == 0;
    if progressive
        && step_weight == 0
        && step_weights.is_empty()
        && !doc.spec.skip_analysis.unwrap_or(false)
    {
        at.error(&ANALYSIS, "the analysis has neither stepWeight, stepWeights nor iterations".to_string(), "a progressive canary needs stepWeight (or stepWeights); A/B testing and blue-green need iterations");
    }
    if !matches.is_empty() && iterations.unwrap_or(0) == 0 {
        at.error(
            &flagger_path(&[Seg::Key("match")]),
            "A/B testing (`match`) needs `iterations`".to_string(),
            "add iterations: how many intervals the matched users see the canary",
        );
    }
    let metrics = a.metrics.as_deref().unwrap_or(&[]).iter().enumerate().filter_map(|(index, m)| {
        let here = |key: &'static str| flagger_path(&[Seg::Key("metrics"), Seg::Index(index), Seg::Key(key)]);
        let interval_text = m.interval.clone().unwrap_or_else(|| FLAGGER_DEFAULT_METRIC_INTERVAL.to_string());
        let metric_interval = at.duration(&here("interval"), &interval_text);
        let template_query = match &m.template_ref {
            Some(reference) => match metric_templates.iter().find(|t| t.name == reference.name) {
                Some(t) => t.query.clone(),
                None => {
                    at.error(&here("templateRef"), format!("MetricTemplate `{}` is not in the file", reference.name), "add a `kind: MetricTemplate` document (flagger.app/v1beta1) with that name");
                    return None;
                }
            },
            None => match crate::flagger::builtin_query(&m.name) {
                Some(q) => q.to_string(),
                None => {
                    at.error(&here("name"), format!("`{}` is not a Flagger built-in metric", m.name), "built-ins are request-success-rate and request-duration; other metrics need a templateRef");
                    return None;
                }
            },
        };
        let range = m.threshold_range.as_ref();
        if range.is_none_or(|r| r.min.is_none() && r.max.is_none()) {
            at.error(&here("name"), format!("metric `{}` has no thresholdRange", m.name), "add thresholdRange with min and/or max: the check fails outside it");
        }
        Some(FlaggerMetric {
            name: m.name.clone(),
            query: template_query.replace("{{ interval }}", &interval_text).replace("{{interval}}", &interval_text),
            interval: metric_interval,
            min: range.and_then(|r| r.min),
            max: range.and_then(|r| r.max),
        })
    }).collect();
    let webhooks = a.webhooks.as_deref().unwrap_or(&[]).iter().enumerate().map(|(index, hook)| {
        let name = hook.kind.as_deref().unwrap_or("rollout");
        let kind = WebhookKind::ALL.iter().find(|(n, _)| *n == name).map_or_else(|| {
            at.error(&flagger_path(&[Seg::Key("webhooks"), Seg::Index(index), Seg::Key("type")]), format!("webhook type `{name}` is not one of Flagger's"), "types: confirm-rollout, pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, rollback, event");
            WebhookKind::Rollout
        }, |(_, kind)| *kind);
        FlaggerWebhook { name: hook.name.clone(), kind, url: hook.url.clone() }
    }).collect();
    Some(FlaggerCanary {
        name: doc.metadata.name.clone(),
        target: doc.spec.target_ref.name.clone(),
        skip_analysis: doc.spec.skip_analysis.unwrap_or(false),
        progress_deadline: seconds(
            doc.spec.progress_deadline_seconds,
            FLAGGER_DEFAULT_PROGRESS_DEADLINE_SECONDS,
        ),
        analysis: FlaggerAnalysis {
            interval,
            threshold,
            max_weight,
            step_weight,
            step_weights,
            step_weight_promotion: a.step_weight_promotion.map(|w| {
                at.percent(
                    &flagger_path(&[Seg::Key("stepWeightPromotion")]),
                    w,
                    "stepWeightPromotion",
                )
            }),
            iterations,
            matches,
            mirror: a.mirror.unwrap_or(false),
            mirror_weight_percent: a.mirror_weight.map(|w| {
                at.percent(
                    &flagger_path(&[Seg::Key("mirrorWeight")]),
                    w,
                    "mirrorWeight",
                )
            }),
            metrics,
            webhooks,
        },
    })
}
