//! From templates to a run: `{{args.NAME}}` substituted with the rollout's arguments (falling
//! back to the template's defaults), the templates' metrics merged into one AnalysisRun as Argo
//! merges several `templates` of one analysis, and the text fields turned into numbers with
//! Argo's defaults (consecutiveErrorLimit 4, the other limits 0).

use super::model::{AnalysisRef, ArgValue, SpecSet, TemplateMetric};
use super::parse_go_duration;
use crate::analysis::{MetricSpec, Provider, RunSpec};
use crate::value::DurationMs;

/// Argo's default consecutiveErrorLimit.
const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i32 = 4;

/// `text` with every `{{args.NAME}}` (spaces inside the braces allowed) replaced by its value;
/// an argument with no value is an error naming it.
pub fn substitute_args(text: &str, args: &[ArgValue]) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(format!("`{{{{` without a closing `}}}}` in `{text}`"));
        };
        let tag = after[..close].trim();
        let Some(name) = tag.strip_prefix("args.") else {
            return Err(format!(
                "`{{{{{tag}}}}}` is not an argument; the lab substitutes `{{{{args.NAME}}}}` only"
            ));
        };
        let Some(arg) = args.iter().find(|a| a.name == name) else {
            return Err(format!("argument `{name}` has no value"));
        };
        out.push_str(&arg.value);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
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
                        value: default.clone(),
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
