//! Which metrics run dry: Argo matches each `dryRun[].metricName` against metric names as a Go
//! regular expression with `regexp.MatchString`, which searches rather than matching the whole
//! name (`error` matches `error-rate`; `.*` matches every metric), and a rule that matches no
//! metric makes the run invalid.
//!
//! The pattern is read by the engine's small matcher (`promql::regex`, shared with label matchers
//! and header routes), which matches whole strings; wrapping a rule as `.*(?:rule).*` turns that
//! into Go's search.

use crate::promql::regex::Regex;

/// A compiled `metricName` rule.
pub struct NamePattern {
    searching: Regex,
}

impl NamePattern {
    /// Compiles a rule, or says which part of it the matcher does not support.
    pub fn compile(rule: &str) -> Result<NamePattern, String> {
        let searching = Regex::parse(&format!(".*(?:{rule}).*"))
            .map_err(|e| format!("metricName '{rule}' is not a supported regex: {e}"))?;
        Ok(NamePattern { searching })
    }

    /// Whether the rule matches somewhere in `name`.
    pub fn matches(&self, name: &str) -> bool {
        self.searching.is_match(name)
    }
}

/// For each metric name, whether some rule matches it; an error names the first rule that does not
/// compile or matches no metric (as Argo's `GetDryRunMetrics` rejects it).
pub fn dry_run_metrics(rules: &[String], metric_names: &[&str]) -> Result<Vec<bool>, String> {
    let mut dry = vec![false; metric_names.len()];
    for (index, rule) in rules.iter().enumerate() {
        let pattern = NamePattern::compile(rule).map_err(|e| format!("dryRun[{index}]: {e}"))?;
        let mut matched = 0;
        for (name, is_dry) in metric_names.iter().zip(dry.iter_mut()) {
            if pattern.matches(name) {
                *is_dry = true;
                matched += 1;
            }
        }
        if matched == 0 {
            return Err(format!(
                "dryRun[{index}]: Rule didn't match any metric name(s)"
            ));
        }
    }
    Ok(dry)
}
