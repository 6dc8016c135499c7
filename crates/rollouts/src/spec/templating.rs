//! From templates to a run: the rollout's arguments resolved when the run starts (a
//! `podTemplateHashValue` becomes the stable or newest ReplicaSet's hash, an experiment's
//! `{{templates.NAME.podTemplateHash}}` the hash of its ReplicaSet NAME), `{{args.NAME}}`
//! substituted with them (falling back to the template's defaults), the templates' metrics merged
//! into one AnalysisRun as Argo merges several `templates` of one analysis, and the text fields
//! turned into numbers with Argo's defaults (consecutiveErrorLimit 4, the other limits 0).

use super::model::{AnalysisRef, ArgSource, ArgValue, HashOf, SpecSet, TemplateMetric};
use super::parse_go_duration;
use crate::analysis::{MetricSpec, Provider, RunSpec};
use crate::value::{DurationMs, PodTemplateHash};

/// Argo's default consecutiveErrorLimit.
const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i32 = 4;

/// The pod-template-hashes an analysis may name when its run starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodHashes {
    /// The stable ReplicaSet's.
    pub stable: PodTemplateHash,
    /// The newest ReplicaSet's (the canary, or blue-green's preview).
    pub latest: PodTemplateHash,
    /// An experiment's ReplicaSets', by template name.
    pub templates: Vec<(String, PodTemplateHash)>,
}

/// `text` with every `{{TAG}}` (spaces inside the braces allowed) replaced by `value(TAG)`.
fn substitute(
    text: &str,
    mut value: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(format!("`{{{{` without a closing `}}}}` in `{text}`"));
        };
        out.push_str(&value(after[..close].trim())?);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The template name in `{{templates.NAME.podTemplateHash}}`'s tag, if the tag is one.
pub fn experiment_hash_tag(tag: &str) -> Option<&str> {
    tag.strip_prefix("templates.")?
        .strip_suffix(".podTemplateHash")
}

/// Every experiment template `text` names as `{{templates.NAME.podTemplateHash}}`.
pub fn experiment_hash_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    // Collecting through the substitution finds every tag; the text it builds is dropped.
    let _ = substitute(text, |tag| {
        if let Some(name) = experiment_hash_tag(tag) {
            names.push(name.to_string());
        }
        Ok(String::new())
    });
    names
}

/// `text` with every `{{args.NAME}}` (spaces inside the braces allowed) replaced by its value;
/// an argument with no value, or one whose pod-template-hash is not resolved yet, is an error
/// naming it.
pub fn substitute_args(text: &str, args: &[ArgValue]) -> Result<String, String> {
    substitute(text, |tag| {
        let Some(name) = tag.strip_prefix("args.") else {
            return Err(format!(
                "`{{{{{tag}}}}}` is not an argument; the lab substitutes `{{{{args.NAME}}}}` only"
            ));
        };
        match args.iter().find(|a| a.name == name).map(|a| &a.value) {
            None => Err(format!("argument `{name}` has no value")),
            Some(ArgSource::Text(value)) => Ok(value.clone()),
            Some(ArgSource::PodTemplateHash(_)) => Err(format!(
                "argument `{name}` is a pod-template-hash, known only once a rollout starts the run"
            )),
        }
    })
}

impl AnalysisRef {
    /// This reference with every argument's value known: `podTemplateHashValue` and
    /// `{{templates.NAME.podTemplateHash}}` replaced by the hashes of the moment.
    pub fn resolved(&self, hashes: &PodHashes) -> Result<AnalysisRef, String> {
        let args = self
            .args
            .iter()
            .map(|arg| {
                let value = match &arg.value {
                    ArgSource::PodTemplateHash(HashOf::Stable) => hashes.stable.0.clone(),
                    ArgSource::PodTemplateHash(HashOf::Latest) => hashes.latest.0.clone(),
                    ArgSource::Text(text) => substitute(text, |tag| {
                        let name = experiment_hash_tag(tag).ok_or_else(|| {
                            format!(
                                "arg `{}`: `{{{{{tag}}}}}` is not something Argo fills in",
                                arg.name
                            )
                        })?;
                        hashes
                            .templates
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, hash)| hash.0.clone())
                            .ok_or_else(|| {
                                format!(
                                    "arg `{}`: `{name}` is not a template of a running experiment",
                                    arg.name
                                )
                            })
                    })?,
                };
                Ok(ArgValue {
                    name: arg.name.clone(),
                    value: ArgSource::Text(value),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(AnalysisRef {
            args,
            ..self.clone()
        })
    }
}

/// The run an analysis reference starts: its templates' metrics with the arguments substituted.
pub fn run_spec(set: &SpecSet, reference: &AnalysisRef, run_name: &str) -> Result<RunSpec, String> {
    let mut metrics = Vec::new();
    let mut dry_run = reference.dry_run.clone();
    for name in &reference.templates {
        let template = set
            .templates
            .iter()
            .find(|t| &t.name == name)
            .ok_or_else(|| format!("AnalysisTemplate `{name}` is not loaded"))?;
        let mut args: Vec<ArgValue> = reference.args.clone();
        for declared in &template.args {
            if !args.iter().any(|a| a.name == declared.name) {
                if let Some(default) = &declared.default {
                    args.push(ArgValue {
                        name: declared.name.clone(),
                        value: ArgSource::Text(default.clone()),
                    });
                }
            }
        }
        for metric in &template.metrics {
            metrics
                .push(metric_spec(metric, &args).map_err(|why| {
                    format!("template `{name}`, metric `{}`: {why}", metric.name)
                })?);
        }
        dry_run.extend(template.dry_run.iter().cloned());
    }
    Ok(RunSpec {
        name: run_name.to_string(),
        metrics,
        dry_run,
    })
}

fn metric_spec(metric: &TemplateMetric, args: &[ArgValue]) -> Result<MetricSpec, String> {
    let text = |value: &Option<String>| -> Result<Option<String>, String> {
        value
            .as_deref()
            .map(|v| substitute_args(v, args))
            .transpose()
    };
    let duration = |value: &Option<String>| -> Result<Option<DurationMs>, String> {
        text(value)?.map(|t| parse_go_duration(&t)).transpose()
    };
    let number = |value: &Option<String>, default: i32| -> Result<i32, String> {
        match text(value)? {
            None => Ok(default),
            Some(t) => t
                .trim()
                .parse::<i32>()
                .map_err(|_| format!("`{t}` is not a whole number")),
        }
    };
    let count = match text(&metric.count)? {
        None => None,
        Some(t) => Some(
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("count `{t}` is not a whole number"))?,
        ),
    };
    Ok(MetricSpec {
        name: metric.name.clone(),
        interval: duration(&metric.interval)?,
        count,
        initial_delay: duration(&metric.initial_delay)?.unwrap_or_default(),
        success_condition: text(&metric.success_condition)?,
        failure_condition: text(&metric.failure_condition)?,
        failure_limit: number(&metric.failure_limit, 0)?,
        inconclusive_limit: number(&metric.inconclusive_limit, 0)?,
        consecutive_error_limit: number(
            &metric.consecutive_error_limit,
            DEFAULT_CONSECUTIVE_ERROR_LIMIT,
        )?,
        consecutive_success_limit: number(&metric.consecutive_success_limit, 0)?,
        provider: Provider::Prometheus {
            query: substitute_args(&metric.query, args)?,
        },
    })
}
