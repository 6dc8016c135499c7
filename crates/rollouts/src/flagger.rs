//! Flagger's control loop (fluxcd/flagger `pkg/controller/scheduler.go`), one pass every
//! `analysis.interval`: a new revision waits for the `confirm-rollout` gates, then each pass runs
//! the checks (webhooks of type `rollout`, then every metric against its `thresholdRange`); a
//! failing pass adds one to `failedChecks` and leaves the weight alone, a passing one moves traffic
//! on: `stepWeight` more (or the next of `stepWeights`) for a progressive canary, one more
//! iteration for A/B testing (header `match`) and blue-green (mirroring when `mirror` is set).
//! Past `maxWeight` (or the iterations) the canary is promoted: its spec is copied to the primary,
//! traffic goes back to the primary (at once, or `stepWeightPromotion` at a time), then the canary
//! is scaled to zero. A pass that finds `failedChecks >= threshold` rolls back: all traffic to the
//! primary, phase Failed. Unlike Argo's `failureLimit` (failed when count > limit), Flagger's
//! threshold is reached at equality.
//!
//! Timing follows from this: with no gates and healthy checks, a canary detected at pass 0 starts
//! progressing then, reaches maxWeight after maxWeight/stepWeight more passes, is promoted at the
//! next one and succeeds two passes later; a canary failing every check from its first weighted
//! pass is rolled back `threshold` passes after the first failure.
//!
//! Metric checks run only while a canary is analysed (Progressing, WaitingPromotion): the passes
//! of Promoting, Finalising and a finished canary ask nothing of Prometheus, so "no values found"
//! can fail a check during the analysis only. Every check that ran is kept ([`FlaggerCheck`]), in
//! the order Flagger runs them: the first failing metric ends a pass's checks.
//!
//! Webhooks are the lab's business: the controller asks a [`WebhookGate`] whether a call
//! succeeds (a manual gate is approved, a load test ran) and records every call as an event.
//! Pods are always ready in the lab, so `progressDeadlineSeconds` never expires.

use crate::analysis::{MetricSource, Provider, QueryResult};
use crate::routing::{MirrorRoute, TrafficPlan};
use crate::spec::{FlaggerCanary, FlaggerMetric, FlaggerWebhook, WebhookKind};
use crate::value::{DurationMs, TimeMs, VersionName};

/// Flagger's built-in Istio metrics, as queries over the lab's metric families (Istio's names;
/// `version` stands for Istio's `destination_workload`). `{{ target }}` is the canary version and
/// `{{ interval }}` the metric's interval.
pub fn builtin_query(name: &str) -> Option<&'static str> {
    match name {
        "request-success-rate" => Some(concat!(
            "sum(rate(istio_requests_total{reporter=\"destination\",version=\"{{ target }}\",response_code!~\"5.*\"}[{{ interval }}]))",
            " / sum(rate(istio_requests_total{reporter=\"destination\",version=\"{{ target }}\"}[{{ interval }}])) * 100"
        )),
        "request-duration" => Some(concat!(
            "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket",
            "{reporter=\"destination\",version=\"{{ target }}\"}[{{ interval }}])) by (le))"
        )),
        _ => None,
    }
}

/// Answers webhook calls: a confirm gate returns true once the learner approved it, a load test
/// (`rollout`) returns true when it could run, a `rollback` hook returns true to ask for a rollback.
pub trait WebhookGate {
    fn call(&self, hook: &FlaggerWebhook, now: TimeMs) -> bool;
}

/// A canary's phase, as Flagger's status reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlaggerPhase {
    Initialized,
    Waiting,
    Progressing,
    WaitingPromotion,
    Promoting,
    Finalising,
    Succeeded,
    Failed,
}

impl FlaggerPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            FlaggerPhase::Initialized => "Initialized",
            FlaggerPhase::Waiting => "Waiting",
            FlaggerPhase::Progressing => "Progressing",
            FlaggerPhase::WaitingPromotion => "WaitingPromotion",
            FlaggerPhase::Promoting => "Promoting",
            FlaggerPhase::Finalising => "Finalising",
            FlaggerPhase::Succeeded => "Succeeded",
            FlaggerPhase::Failed => "Failed",
        }
    }
}

/// Which of Flagger's three deployment strategies the analysis describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlaggerStrategy {
    Canary,
    AbTesting,
    BlueGreen,
}

/// What happened, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum FlaggerEventKind {
    NewRevision(VersionName),
    Progressing,
    Webhook {
        name: String,
        kind: WebhookKind,
        ok: bool,
    },
    /// A check failed; the text says which and why.
    CheckFailed(String),
    WeightSet(u8),
    MirroringStarted,
    Iteration(u32),
    Promoting,
    Finalising,
    Succeeded,
    RolledBack(String),
    Restarted(VersionName),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerEvent {
    pub at: TimeMs,
    pub kind: FlaggerEventKind,
}

/// One metric check a pass ran: the value the query gave (None: no values, or the query failed)
/// and whether it was within the metric's `thresholdRange`.
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerCheck {
    pub at: TimeMs,
    pub metric: String,
    pub value: Option<f64>,
    pub ok: bool,
}

/// The status view.
#[derive(Clone, Debug, PartialEq)]
pub struct FlaggerStatus {
    pub phase: FlaggerPhase,
    pub canary_weight_percent: u8,
    pub failed_checks: u32,
    pub iterations: u32,
    pub mirrored: bool,
}

/// One Flagger Canary resource and its loop.
#[derive(Clone, Debug)]
pub struct FlaggerController {
    spec: FlaggerCanary,
    primary: VersionName,
    candidate: Option<VersionName>,
    status: FlaggerStatus,
    /// The header routes of an A/B test are in place.
    ab_routes: bool,
    next_pass: TimeMs,
    events: Vec<FlaggerEvent>,
    checks: Vec<FlaggerCheck>,
}

impl FlaggerController {
    /// A canary whose primary serves `primary`; passes run at `start`, `start + interval`, ...
    pub fn new(spec: FlaggerCanary, primary: VersionName, start: TimeMs) -> FlaggerController {
        FlaggerController {
            spec,
            primary,
            candidate: None,
            status: FlaggerStatus {
                phase: FlaggerPhase::Initialized,
                canary_weight_percent: 0,
                failed_checks: 0,
                iterations: 0,
                mirrored: false,
            },
            ab_routes: false,
            next_pass: start,
            events: Vec::new(),
            checks: Vec::new(),
        }
    }

    pub fn strategy(&self) -> FlaggerStrategy {
        let analysis = &self.spec.analysis;
        match (
            analysis.iterations.unwrap_or(0) > 0,
            analysis.matches.is_empty(),
        ) {
            (true, false) => FlaggerStrategy::AbTesting,
            (true, true) => FlaggerStrategy::BlueGreen,
            _ => FlaggerStrategy::Canary,
        }
    }

    pub fn status(&self) -> &FlaggerStatus {
        &self.status
    }

    pub fn events(&self) -> &[FlaggerEvent] {
        &self.events
    }

    /// Every metric check run so far, oldest first.
    pub fn checks(&self) -> &[FlaggerCheck] {
        &self.checks
    }

    pub fn primary(&self) -> &VersionName {
        &self.primary
    }

    pub fn spec(&self) -> &FlaggerCanary {
        &self.spec
    }

    /// Takes an edit of the Canary's metric thresholds (`thresholdRange`): Flagger reads the
    /// Canary at every pass, so the next check uses them; the analysis keeps its place.
    pub fn replace_metrics(&mut self, metrics: Vec<FlaggerMetric>) {
        self.spec.analysis.metrics = metrics;
    }

    /// The load tests the lab should be generating traffic for now: Flagger calls the `rollout`
    /// webhooks on every pass of an analysis under way, so the canary has requests to measure
    /// even at a small weight.
    pub fn active_load_tests(&self) -> Vec<&FlaggerWebhook> {
        let analysing = matches!(
            self.status.phase,
            FlaggerPhase::Progressing | FlaggerPhase::WaitingPromotion
        );
        if !analysing || self.candidate.is_none() {
            return Vec::new();
        }
        self.spec
            .analysis
            .webhooks
            .iter()
            .filter(|h| h.kind == WebhookKind::Rollout)
            .collect()
    }

    /// When the next pass runs.
    pub fn next_pass(&self) -> TimeMs {
        self.next_pass
    }

    /// The target deployment's template changed to `version`: the next pass starts a canary
    /// analysis, or restarts the one under way.
    pub fn deploy(&mut self, version: VersionName, now: TimeMs) {
        self.log(now, FlaggerEventKind::NewRevision(version.clone()));
        let analysing = matches!(
            self.status.phase,
            FlaggerPhase::Progressing | FlaggerPhase::WaitingPromotion
        );
        if analysing && self.candidate.is_some() {
            self.log(now, FlaggerEventKind::Restarted(version.clone()));
            self.status = FlaggerStatus {
                phase: FlaggerPhase::Progressing,
                canary_weight_percent: 0,
                failed_checks: 0,
                iterations: 0,
                mirrored: false,
            };
            self.ab_routes = false;
        } else {
            self.status.phase = FlaggerPhase::Initialized;
        }
        self.candidate = Some(version);
    }

    /// Runs every pass due up to `now`.
    pub fn advance(&mut self, now: TimeMs, metrics: &dyn MetricSource, hooks: &dyn WebhookGate) {
        while self.next_pass <= now {
            let at = self.next_pass;
            self.pass(at, metrics, hooks);
            self.next_pass = at.plus(self.interval());
        }
    }

    fn interval(&self) -> DurationMs {
        DurationMs(self.spec.analysis.interval.0.max(1))
    }

    /// What the mesh is told now.
    pub fn plan(&self) -> TrafficPlan {
        let mut plan = TrafficPlan::all_to(self.primary.clone());
        let Some(candidate) = &self.candidate else {
            return plan;
        };
        if matches!(
            self.status.phase,
            FlaggerPhase::Initialized
                | FlaggerPhase::Waiting
                | FlaggerPhase::Succeeded
                | FlaggerPhase::Failed
        ) {
            return plan;
        }
        plan.canary = Some(candidate.clone());
        plan.canary_weight_percent = self.status.canary_weight_percent;
        if self.ab_routes {
            plan.header_routes = self.spec.analysis.ab_header_routes();
        }
        if self.status.mirrored {
            let percentage = self.spec.analysis.mirror_weight_percent.unwrap_or(100);
            plan.mirror_routes = vec![MirrorRoute {
                name: "mirror".to_string(),
                percentage,
                matches: Vec::new(),
            }];
        }
        plan
    }

    fn log(&mut self, at: TimeMs, kind: FlaggerEventKind) {
        self.events.push(FlaggerEvent { at, kind });
    }

    /// Calls every webhook of `kind`; true when all succeeded.
    fn hooks_pass(&mut self, kind: WebhookKind, now: TimeMs, hooks: &dyn WebhookGate) -> bool {
        let mut all_ok = true;
        let selected: Vec<FlaggerWebhook> = self
            .spec
            .analysis
            .webhooks
            .iter()
            .filter(|h| h.kind == kind)
            .cloned()
            .collect();
        for hook in &selected {
            let ok = hooks.call(hook, now);
            self.log(
                now,
                FlaggerEventKind::Webhook {
                    name: hook.name.clone(),
                    kind,
                    ok,
                },
            );
            all_ok &= ok;
        }
        all_ok
    }

    fn pass(&mut self, now: TimeMs, metrics: &dyn MetricSource, hooks: &dyn WebhookGate) {
        if self.candidate.is_none() {
            return;
        }
        match self.status.phase {
            FlaggerPhase::Succeeded | FlaggerPhase::Failed => {}
            FlaggerPhase::Initialized | FlaggerPhase::Waiting => {
                self.start_if_confirmed(now, hooks)
            }
            FlaggerPhase::Promoting => self.shift_traffic_to_primary(now),
            FlaggerPhase::Finalising => self.finish(now, hooks),
            FlaggerPhase::Progressing | FlaggerPhase::WaitingPromotion => {
                self.analyse(now, metrics, hooks)
            }
        }
    }

    fn start_if_confirmed(&mut self, now: TimeMs, hooks: &dyn WebhookGate) {
        if !self.hooks_pass(WebhookKind::ConfirmRollout, now, hooks) {
            self.status.phase = FlaggerPhase::Waiting;
            return;
        }
        self.status = FlaggerStatus {
            phase: FlaggerPhase::Progressing,
            canary_weight_percent: 0,
            failed_checks: 0,
            iterations: 0,
            mirrored: false,
        };
        self.ab_routes = false;
        self.log(now, FlaggerEventKind::Progressing);
    }

    fn analyse(&mut self, now: TimeMs, metrics: &dyn MetricSource, hooks: &dyn WebhookGate) {
        if self.spec.skip_analysis {
            self.promote(now);
            self.status.canary_weight_percent = 0;
            self.finish(now, hooks);
            return;
        }
        let manual_rollback = self
            .spec
            .analysis
            .webhooks
            .iter()
            .any(|h| h.kind == WebhookKind::Rollback)
            && self.hooks_pass(WebhookKind::Rollback, now, hooks);
        if manual_rollback {
            self.roll_back(now, "a rollback webhook asked for it".to_string(), hooks);
            return;
        }
        if self.status.failed_checks >= self.spec.analysis.threshold {
            let reason = format!(
                "failed checks {} reached the threshold {}",
                self.status.failed_checks, self.spec.analysis.threshold
            );
            self.roll_back(now, reason, hooks);
            return;
        }
        let first_pass = self.status.canary_weight_percent == 0
            && self.status.iterations == 0
            && !(self.spec.analysis.mirror && self.status.mirrored);
        let checks_ok = if first_pass {
            let ok = self.hooks_pass(WebhookKind::PreRollout, now, hooks);
            if !ok {
                self.log(
                    now,
                    FlaggerEventKind::CheckFailed("a pre-rollout webhook failed".to_string()),
                );
            }
            ok
        } else {
            self.run_checks(now, metrics, hooks)
        };
        if !checks_ok {
            self.status.failed_checks += 1;
            return;
        }
        match self.strategy() {
            FlaggerStrategy::AbTesting => self.run_ab(now, hooks),
            FlaggerStrategy::BlueGreen => self.run_blue_green(now, hooks),
            FlaggerStrategy::Canary => {
                if self.next_step_weight() > 0 {
                    let gated =
                        !self.status.mirrored && self.status.phase == FlaggerPhase::Progressing;
                    if gated && !self.hooks_pass(WebhookKind::ConfirmTrafficIncrease, now, hooks) {
                        return;
                    }
                    self.run_canary(now, hooks);
                }
            }
        }
    }

    /// Load-test and other `rollout` webhooks, then every metric against its range.
    fn run_checks(
        &mut self,
        now: TimeMs,
        metrics: &dyn MetricSource,
        hooks: &dyn WebhookGate,
    ) -> bool {
        if !self.hooks_pass(WebhookKind::Rollout, now, hooks) {
            self.log(
                now,
                FlaggerEventKind::CheckFailed("a rollout webhook failed".to_string()),
            );
            return false;
        }
        let target = self
            .candidate
            .as_ref()
            .map_or(String::new(), |c| c.0.clone());
        let checks = self.spec.analysis.metrics.clone();
        for metric in &checks {
            let (value, verdict) = check_metric(metric, &target, now, metrics);
            self.checks.push(FlaggerCheck {
                at: now,
                metric: metric.name.clone(),
                value,
                ok: verdict.is_ok(),
            });
            if let Err(why) = verdict {
                self.log(now, FlaggerEventKind::CheckFailed(why));
                return false;
            }
        }
        true
    }

    fn max_weight(&self) -> u8 {
        match self.spec.analysis.step_weights.last() {
            Some(&last) => last.min(100),
            None => self.spec.analysis.max_weight,
        }
    }

    /// Flagger's `nextStepWeight`.
    fn next_step_weight(&self) -> u8 {
        let analysis = &self.spec.analysis;
        if analysis.step_weight > 0 || analysis.step_weights.is_empty() {
            return analysis.step_weight;
        }
        let weight = self.status.canary_weight_percent;
        let max_step = 100 - weight;
        if max_step == 0 {
            return 1;
        }
        if weight == 0 {
            return max_step.min(analysis.step_weights[0]);
        }
        analysis
            .step_weights
            .windows(2)
            .find(|pair| pair[0] == weight)
            .map_or(max_step, |pair| max_step.min(pair[1] - weight))
    }

    fn run_canary(&mut self, now: TimeMs, hooks: &dyn WebhookGate) {
        let weight = self.status.canary_weight_percent;
        if weight < self.max_weight() {
            let step = self.next_step_weight();
            if self.spec.analysis.mirror && weight == 0 && !self.status.mirrored {
                self.status.mirrored = true;
                self.log(now, FlaggerEventKind::MirroringStarted);
                return;
            }
            self.status.mirrored = false;
            self.status.canary_weight_percent = weight.saturating_add(step).min(100);
            self.log(
                now,
                FlaggerEventKind::WeightSet(self.status.canary_weight_percent),
            );
            return;
        }
        if self.confirm_promotion(now, hooks) {
            self.promote(now);
        }
    }

    fn run_ab(&mut self, now: TimeMs, hooks: &dyn WebhookGate) {
        let target = self.spec.analysis.iterations.unwrap_or(0);
        if target > self.status.iterations {
            self.ab_routes = true;
            self.status.iterations += 1;
            self.log(now, FlaggerEventKind::Iteration(self.status.iterations));
            return;
        }
        if self.confirm_promotion(now, hooks) && target == self.status.iterations {
            self.promote(now);
        }
    }

    fn run_blue_green(&mut self, now: TimeMs, hooks: &dyn WebhookGate) {
        let target = self.spec.analysis.iterations.unwrap_or(0);
        if target > self.status.iterations {
            if self.spec.analysis.mirror && !self.status.mirrored {
                self.status.mirrored = true;
                self.log(now, FlaggerEventKind::MirroringStarted);
            }
            self.status.iterations += 1;
            self.log(now, FlaggerEventKind::Iteration(self.status.iterations));
            return;
        }
        if !self.confirm_promotion(now, hooks) {
            return;
        }
        if target == self.status.iterations {
            self.status.mirrored = false;
            self.status.canary_weight_percent = 100;
            self.log(now, FlaggerEventKind::WeightSet(100));
            self.status.iterations += 1;
            return;
        }
        self.promote(now);
    }

    fn confirm_promotion(&mut self, now: TimeMs, hooks: &dyn WebhookGate) -> bool {
        let ok = self.hooks_pass(WebhookKind::ConfirmPromotion, now, hooks);
        self.status.phase = if ok {
            FlaggerPhase::Progressing
        } else {
            FlaggerPhase::WaitingPromotion
        };
        ok
    }

    /// The canary's spec is copied to the primary: from now on the primary serves it.
    fn promote(&mut self, now: TimeMs) {
        if let Some(candidate) = &self.candidate {
            self.primary = candidate.clone();
        }
        self.status.phase = FlaggerPhase::Promoting;
        self.log(now, FlaggerEventKind::Promoting);
    }

    fn shift_traffic_to_primary(&mut self, now: TimeMs) {
        let weight = self.status.canary_weight_percent;
        let next = match self.spec.analysis.step_weight_promotion {
            Some(step) if step > 0 => weight.saturating_sub(step),
            _ => 0,
        };
        self.status.canary_weight_percent = next;
        self.ab_routes = false;
        self.status.mirrored = false;
        if next != weight {
            self.log(now, FlaggerEventKind::WeightSet(next));
        }
        if next == 0 {
            self.status.phase = FlaggerPhase::Finalising;
            self.log(now, FlaggerEventKind::Finalising);
        }
    }

    fn finish(&mut self, now: TimeMs, hooks: &dyn WebhookGate) {
        self.status.phase = FlaggerPhase::Succeeded;
        self.status.canary_weight_percent = 0;
        self.log(now, FlaggerEventKind::Succeeded);
        self.hooks_pass(WebhookKind::PostRollout, now, hooks);
    }

    fn roll_back(&mut self, now: TimeMs, reason: String, hooks: &dyn WebhookGate) {
        self.status.phase = FlaggerPhase::Failed;
        self.status.canary_weight_percent = 0;
        self.status.mirrored = false;
        self.ab_routes = false;
        self.log(now, FlaggerEventKind::RolledBack(reason));
        self.hooks_pass(WebhookKind::PostRollout, now, hooks);
    }
}

/// One metric check: the query's first value, and whether it is within `thresholdRange`.
fn check_metric(
    metric: &FlaggerMetric,
    target: &str,
    now: TimeMs,
    source: &dyn MetricSource,
) -> (Option<f64>, Result<(), String>) {
    let query = metric
        .query
        .replace("{{ target }}", target)
        .replace("{{target}}", target);
    let value = match source.query(&Provider::Prometheus { query }, now) {
        QueryResult::Error(why) => {
            return (
                None,
                Err(format!("metric {} query failed: {why}", metric.name)),
            )
        }
        QueryResult::Vector(values) => match values.first() {
            Some(v) if !v.is_nan() => *v,
            _ => {
                return (
                    None,
                    Err(format!("metric {}: no values found", metric.name)),
                )
            }
        },
    };
    let verdict = if metric.min.is_some_and(|min| value < min) {
        Err(format!(
            "metric {} {value} is below the threshold range min {}",
            metric.name,
            metric.min.unwrap_or_default()
        ))
    } else if metric.max.is_some_and(|max| value > max) {
        Err(format!(
            "metric {} {value} is above the threshold range max {}",
            metric.name,
            metric.max.unwrap_or_default()
        ))
    } else {
        Ok(())
    };
    (Some(value), verdict)
}
