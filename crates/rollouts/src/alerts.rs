//! Alerting rules as Prometheus evaluates them: each rule is a query compared with a threshold,
//! evaluated every evaluation interval; every series for which the comparison holds is an alert.
//!
//! States follow Prometheus's `AlertingRule.Eval` (`rules/alerting.go`): an alert that newly holds
//! becomes Pending at that evaluation; a Pending alert becomes Firing at the first evaluation at
//! which it has held for at least `for` (with `for: 0` it fires at once, in the same evaluation);
//! when the condition stops holding (or the query returns no data for it), a Pending alert is
//! dropped and a Firing one is resolved. Every transition is recorded with its time, for the
//! timeline. Drift is alerted on the same way: the lab feeds its drift score in as a gauge
//! (`MeshCounters::set_gauge`) and a rule queries it.

use crate::metrics::{Labels, MetricStore};
use crate::promql::{self, parser, PromqlError};
use crate::value::{DurationMs, TimeMs};
use std::collections::BTreeMap;

/// How a rule compares the query's value with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Above,
    AtLeast,
    Below,
    AtMost,
}

impl CompareOp {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            CompareOp::Above => value > threshold,
            CompareOp::AtLeast => value >= threshold,
            CompareOp::Below => value < threshold,
            CompareOp::AtMost => value <= threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Above => ">",
            CompareOp::AtLeast => ">=",
            CompareOp::Below => "<",
            CompareOp::AtMost => "<=",
        }
    }
}

/// An alerting rule: `expr op threshold` held `for_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    pub name: String,
    pub expr: String,
    pub op: CompareOp,
    pub threshold: f64,
    pub for_ms: DurationMs,
}

/// An alert's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One change of one alert's state.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertTransition {
    pub at: TimeMs,
    pub rule: String,
    pub labels: Labels,
    pub from: AlertState,
    pub to: AlertState,
    /// The value that made the transition (NaN when the series vanished).
    pub value: f64,
}

impl AlertTransition {
    /// Firing to inactive: Prometheus's "resolved".
    pub fn is_resolved(&self) -> bool {
        self.from == AlertState::Firing && self.to == AlertState::Inactive
    }
}

/// A live alert of a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ActiveAlert {
    pub state: AlertState,
    pub active_since: TimeMs,
    pub value: f64,
}

/// A rule, its parsed query, and its live alerts by labels.
#[derive(Clone, Debug, PartialEq)]
struct RuleState {
    rule: AlertRule,
    expr: parser::Expr,
    active: BTreeMap<Labels, ActiveAlert>,
}

/// Every rule, evaluated on a fixed interval.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertManager {
    interval: DurationMs,
    rules: Vec<RuleState>,
    last_evaluation: Option<TimeMs>,
    history: Vec<AlertTransition>,
}

impl AlertManager {
    /// Rules evaluated every `interval` (Prometheus's default `evaluation_interval` is 1m; the lab
    /// passes its own). `Err` names the rule whose query does not parse.
    pub fn new(interval: DurationMs, rules: Vec<AlertRule>) -> Result<AlertManager, String> {
        let rules = rules
            .into_iter()
            .map(|rule| {
                let expr = parser::parse(&rule.expr)
                    .map_err(|e: PromqlError| format!("alert {}: {e}", rule.name))?;
                Ok(RuleState {
                    rule,
                    expr,
                    active: BTreeMap::new(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(AlertManager {
            interval: DurationMs(interval.0.max(1)),
            rules,
            last_evaluation: None,
            history: Vec::new(),
        })
    }

    /// Rules added while the lab runs: the first evaluation is the first multiple of the interval
    /// after `start` (without this, evaluations start at the first interval of lab time).
    pub fn starting_after(mut self, start: TimeMs) -> AlertManager {
        self.last_evaluation = Some(TimeMs(start.0 - start.0 % self.interval.0));
        self
    }

    /// Evaluates every rule at each multiple of the interval in (last evaluation, now].
    /// A query that fails to evaluate leaves its rule's alerts as they were (Prometheus keeps
    /// the rule's state and reports the error); the errors are returned.
    pub fn evaluate_until(&mut self, store: &MetricStore, now: TimeMs) -> Vec<String> {
        let mut errors = Vec::new();
        let interval = self.interval.0;
        let mut next = self
            .last_evaluation
            .map_or(interval, |last| last.0 + interval);
        while next <= now.0 {
            errors.extend(self.evaluate_at(store, TimeMs(next)));
            self.last_evaluation = Some(TimeMs(next));
            next += interval;
        }
        errors
    }

    fn evaluate_at(&mut self, store: &MetricStore, at: TimeMs) -> Vec<String> {
        let mut errors = Vec::new();
        for state in &mut self.rules {
            match promql::eval::evaluate(store, &state.expr, at) {
                Ok(vector) => {
                    let holding: BTreeMap<Labels, f64> =
                        sim::sort::collect_map(vector.into_iter().filter(|(_, value)| {
                            state.rule.op.holds(*value, state.rule.threshold)
                        }));
                    step_rule(state, holding, at, &mut self.history);
                }
                Err(e) => errors.push(format!("alert {}: {e}", state.rule.name)),
            }
        }
        errors
    }

    /// Every transition so far, in time order.
    pub fn history(&self) -> &[AlertTransition] {
        &self.history
    }

    /// The live (pending or firing) alerts of the rule `name`.
    pub fn active(&self, name: &str) -> Vec<(Labels, ActiveAlert)> {
        self.rules
            .iter()
            .filter(|r| r.rule.name == name)
            .flat_map(|r| r.active.iter().map(|(l, a)| (l.clone(), *a)))
            .collect()
    }

    /// The worst state of the rule `name` now (Inactive when it has no live alert).
    pub fn state(&self, name: &str) -> AlertState {
        self.active(name)
            .iter()
            .map(|(_, a)| a.state)
            .max()
            .unwrap_or(AlertState::Inactive)
    }

    pub fn rules(&self) -> impl Iterator<Item = &AlertRule> {
        self.rules.iter().map(|r| &r.rule)
    }
}

/// One evaluation of one rule: `holding` are the series for which the condition holds now.
fn step_rule(
    state: &mut RuleState,
    holding: BTreeMap<Labels, f64>,
    at: TimeMs,
    history: &mut Vec<AlertTransition>,
) {
    let name = state.rule.name.clone();
    let mut record = |labels: &Labels, from, to, value| {
        history.push(AlertTransition {
            at,
            rule: name.clone(),
            labels: labels.clone(),
            from,
            to,
            value,
        });
    };
    for (labels, value) in &holding {
        match state.active.get_mut(labels) {
            Some(alert) => alert.value = *value,
            None => {
                state.active.insert(
                    labels.clone(),
                    ActiveAlert {
                        state: AlertState::Pending,
                        active_since: at,
                        value: *value,
                    },
                );
                record(labels, AlertState::Inactive, AlertState::Pending, *value);
            }
        }
    }
    let stopped: Vec<Labels> = state
        .active
        .keys()
        .filter(|labels| !holding.contains_key(*labels))
        .cloned()
        .collect();
    for labels in stopped {
        if let Some(alert) = state.active.remove(&labels) {
            record(&labels, alert.state, AlertState::Inactive, f64::NAN);
        }
    }
    for (labels, alert) in &mut state.active {
        if alert.state == AlertState::Pending && at.since(alert.active_since) >= state.rule.for_ms {
            alert.state = AlertState::Firing;
            record(labels, AlertState::Pending, AlertState::Firing, alert.value);
        }
    }
}
