//! The controller the loaded spec asks for, behind one face: Argo Rollouts (canary or blue-green)
//! or Flagger. The lab's commands map onto each project's own: Argo takes `promote [--full]`,
//! `abort`, `retry` and `undo`; Flagger has none of these and is driven through its webhooks
//! instead (a manual gate is opened with `confirm`, a `rollback` webhook answers `abort`).
//! Phases are told in Argo's four words (Healthy, Progressing, Paused, Degraded) for both.

use super::command::{NarrationKind, RolloutEvent};
use rollouts::analysis::MetricSource;
use rollouts::argo::{ArgoController, ArgoEventKind, Refusal, RolloutPhase, RolloutStatus};
use rollouts::flagger::{
    FlaggerController, FlaggerEventKind, FlaggerPhase, FlaggerStrategy, WebhookGate,
};
use rollouts::routing::TrafficPlan;
use rollouts::spec::{FlaggerCanary, FlaggerWebhook, RolloutStrategy, SpecSet, WebhookKind};
use rollouts::value::{TimeMs, VersionName};

/// Why a command cannot be taken: a message and a hint.
pub type Refused = (String, String);

fn refused<T>(message: &str, hint: &str) -> Result<T, Refused> {
    Err((message.to_string(), hint.to_string()))
}

/// An engine refusal in the lab's terms.
fn refusal(r: Refusal) -> Refused {
    (r.message, r.hint)
}

/// Flagger's webhooks as the lab answers them: load tests and notifications succeed, manual gates
/// pass once the learner confirmed the current revision, a rollback hook once they aborted it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gates {
    pub confirmed: bool,
    pub rollback_requested: bool,
}

impl WebhookGate for Gates {
    fn call(&self, hook: &FlaggerWebhook, _now: TimeMs) -> bool {
        match hook.kind {
            WebhookKind::ConfirmRollout
            | WebhookKind::ConfirmTrafficIncrease
            | WebhookKind::ConfirmPromotion => self.confirmed,
            WebhookKind::Rollback => self.rollback_requested,
            WebhookKind::PreRollout
            | WebhookKind::Rollout
            | WebhookKind::PostRollout
            | WebhookKind::Event => true,
        }
    }
}

/// One controller for the spec loaded.
#[derive(Clone, Debug)]
pub enum Controller {
    Argo(Box<ArgoController>),
    Flagger {
        controller: Box<FlaggerController>,
        gates: Gates,
    },
}

/// The phase in Argo's words, and what qualifies it.
pub struct PhaseView {
    pub phase: &'static str,
    pub detail: String,
}

impl Controller {
    /// The controller for `specs` (which holds exactly one Rollout or one Canary), with `stable`
    /// serving everything.
    pub fn new(specs: &SpecSet, stable: VersionName, now: TimeMs) -> Result<Controller, Refused> {
        match (specs.rollouts.as_slice(), specs.canaries.as_slice()) {
            ([rollout], []) => Ok(Controller::Argo(Box::new(ArgoController::new(
                rollout, specs, stable,
            )))),
            ([], [canary]) => Ok(Controller::Flagger {
                controller: Box::new(FlaggerController::new(canary.clone(), stable, now)),
                gates: Gates::default(),
            }),
            ([], []) => refused(
                "the file holds no Rollout and no Canary",
                "add a `kind: Rollout` (Argo) or a `kind: Canary` (Flagger) document",
            ),
            _ => refused(
                "the lab runs one Rollout or one Canary at a time",
                "keep a single Rollout or Canary in the file (templates may be several)",
            ),
        }
    }

    /// "canary", "blueGreen", "flagger-canary", "flagger-ab" or "flagger-bluegreen".
    pub fn strategy(specs: &SpecSet) -> &'static str {
        if let Some(rollout) = specs.rollouts.first() {
            return match rollout.strategy {
                RolloutStrategy::Canary(_) => "canary",
                RolloutStrategy::BlueGreen(_) => "blueGreen",
            };
        }
        match specs.canaries.first().map(|c| {
            FlaggerController::new(c.clone(), VersionName(String::new()), TimeMs(0)).strategy()
        }) {
            Some(FlaggerStrategy::AbTesting) => "flagger-ab",
            Some(FlaggerStrategy::BlueGreen) => "flagger-bluegreen",
            _ => "flagger-canary",
        }
    }

    /// Whether an edit of the spec in the middle of a rollout changes only the analysis: Argo's
    /// AnalysisTemplates (the Rollout document itself unchanged) or Flagger's metric thresholds.
    /// As in the cluster, runs started after such an edit read the new templates, a run under way
    /// keeps its copy, and the rollout keeps its step, weight and pause. `Err` when the strategy
    /// changed too.
    pub fn check_analysis_edit(&self, old: &SpecSet, new: &SpecSet) -> Result<(), Refused> {
        const CHANGED: &str =
            "a rollout is in progress and the edit changes more than the analysis thresholds";
        match self {
            Controller::Argo(_) if old.rollouts == new.rollouts && new.canaries.is_empty() => Ok(()),
            Controller::Flagger { controller, .. } => match new.canaries.as_slice() {
                [canary] if new.rollouts.is_empty() && only_thresholds_differ(controller.spec(), canary) => Ok(()),
                _ => refused(
                    CHANGED,
                    "change only the metrics' thresholdRange (min, max) mid-rollout, or promote-full or abort first",
                ),
            },
            Controller::Argo(_) => refused(
                CHANGED,
                "keep the Rollout (steps, analysis refs, blue-green settings) as it is and edit only the AnalysisTemplates, or promote-full or abort first",
            ),
        }
    }

    /// Takes the edit [`Controller::check_analysis_edit`] allows: Argo's new AnalysisTemplates,
    /// or Flagger's new metric thresholds.
    pub fn take_analysis_edit(&mut self, old: &SpecSet, new: &SpecSet) -> Result<(), Refused> {
        self.check_analysis_edit(old, new)?;
        match self {
            Controller::Argo(c) => c.replace_templates(new.templates.clone()),
            Controller::Flagger { controller, .. } => {
                if let [canary] = new.canaries.as_slice() {
                    controller.replace_metrics(canary.analysis.metrics.clone());
                }
            }
        }
        Ok(())
    }

    pub fn deploy(&mut self, version: VersionName, now: TimeMs) {
        match self {
            Controller::Argo(c) => c.deploy(version, now),
            Controller::Flagger { controller, gates } => {
                *gates = Gates::default();
                controller.deploy(version, now);
            }
        }
    }

    pub fn advance(&mut self, now: TimeMs, source: &dyn MetricSource) {
        match self {
            Controller::Argo(c) => c.advance(now, source),
            Controller::Flagger { controller, gates } => controller.advance(now, source, gates),
        }
    }

    pub fn plan(&self) -> TrafficPlan {
        match self {
            Controller::Argo(c) => c.plan(),
            Controller::Flagger { controller, .. } => controller.plan(),
        }
    }

    /// Whether `promote` (`--full` with `full`) would be taken now, changing nothing.
    pub fn check_promote(&self, full: bool) -> Result<(), Refused> {
        match self {
            Controller::Argo(c) => c.check_promote(full).map_err(refusal),
            Controller::Flagger { .. } => refused(
                "Flagger has no promote command: it promotes by itself once the analysis passed maxWeight or its iterations",
                "if a confirm-promotion gate is waiting, open it with confirm",
            ),
        }
    }

    pub fn promote(&mut self, now: TimeMs, full: bool) -> Result<(), Refused> {
        self.check_promote(full)?;
        match self {
            Controller::Argo(c) => c.promote(now, full).map_err(refusal),
            Controller::Flagger { .. } => Ok(()),
        }
    }

    /// Whether `abort` would be taken now: Argo's rule, or for Flagger a rollback webhook to
    /// call during an analysis.
    pub fn check_abort(&self) -> Result<(), Refused> {
        match self {
            Controller::Argo(c) => c.check_abort().map_err(refusal),
            Controller::Flagger { controller, .. } => {
                let has_hook = controller
                    .spec()
                    .analysis
                    .webhooks
                    .iter()
                    .any(|h| h.kind == WebhookKind::Rollback);
                if !has_hook {
                    return refused(
                        "this Canary has no rollback webhook, so Flagger cannot be told to roll back",
                        "add a webhook of `type: rollback` to the analysis, or let failed checks reach the threshold",
                    );
                }
                if !analysing(controller.status().phase) {
                    return refused(
                        "no canary analysis is under way to roll back",
                        "deploy a new version first",
                    );
                }
                Ok(())
            }
        }
    }

    pub fn abort(&mut self, now: TimeMs) -> Result<(), Refused> {
        self.check_abort()?;
        match self {
            Controller::Argo(c) => c.abort(now).map_err(refusal),
            Controller::Flagger { gates, .. } => {
                gates.rollback_requested = true;
                Ok(())
            }
        }
    }

    /// Whether `retry` would be taken now.
    pub fn check_retry(&self) -> Result<(), Refused> {
        match self {
            Controller::Argo(c) => c.check_retry().map_err(refusal),
            Controller::Flagger { .. } => refused(
                "Flagger has no retry command: a failed canary is analysed again when its workload changes",
                "deploy the version again (deploy v2)",
            ),
        }
    }

    pub fn retry(&mut self, now: TimeMs) -> Result<(), Refused> {
        self.check_retry()?;
        match self {
            Controller::Argo(c) => c.retry(now).map_err(refusal),
            Controller::Flagger { .. } => Ok(()),
        }
    }

    /// Whether `undo` would be taken now.
    pub fn check_undo(&self) -> Result<(), Refused> {
        match self {
            Controller::Argo(c) => c.check_undo().map_err(refusal),
            Controller::Flagger { .. } => refused(
                "Flagger has no undo command: the primary keeps the last promoted version",
                "deploy the previous version as a new revision",
            ),
        }
    }

    pub fn undo(&mut self, now: TimeMs) -> Result<(), Refused> {
        self.check_undo()?;
        match self {
            Controller::Argo(c) => c.undo(now).map_err(refusal),
            Controller::Flagger { .. } => Ok(()),
        }
    }

    /// Whether `confirm` would be taken now: a Flagger Canary with a manual gate not opened yet.
    pub fn check_confirm(&self) -> Result<(), Refused> {
        match self {
            Controller::Argo(_) => refused(
                "Argo Rollouts has no gates to confirm: a pause waits for promote",
                "use promote",
            ),
            Controller::Flagger { controller, gates } => {
                let has_gate = controller.spec().analysis.webhooks.iter().any(|h| {
                    matches!(
                        h.kind,
                        WebhookKind::ConfirmRollout
                            | WebhookKind::ConfirmTrafficIncrease
                            | WebhookKind::ConfirmPromotion
                    )
                });
                if !has_gate {
                    return refused(
                        "this Canary has no manual gate",
                        "add a webhook of type confirm-rollout, confirm-traffic-increase or confirm-promotion",
                    );
                }
                if gates.confirmed {
                    return refused(
                        "the gates are already open for this revision",
                        "play on: Flagger goes through them at its next pass",
                    );
                }
                Ok(())
            }
        }
    }

    /// Opens Flagger's manual gates for the current revision.
    pub fn confirm(&mut self) -> Result<(), Refused> {
        self.check_confirm()?;
        if let Controller::Flagger { gates, .. } = self {
            gates.confirmed = true;
        }
        Ok(())
    }

    /// Argo's status view (None for Flagger).
    pub fn argo_status(&self, now: TimeMs) -> Option<RolloutStatus> {
        match self {
            Controller::Argo(c) => Some(c.status(now)),
            Controller::Flagger { .. } => None,
        }
    }

    pub fn flagger(&self) -> Option<&FlaggerController> {
        match self {
            Controller::Argo(_) => None,
            Controller::Flagger { controller, .. } => Some(controller),
        }
    }

    pub fn gates(&self) -> Option<Gates> {
        match self {
            Controller::Argo(_) => None,
            Controller::Flagger { gates, .. } => Some(*gates),
        }
    }

    pub fn phase(&self, now: TimeMs) -> PhaseView {
        match self {
            Controller::Argo(c) => {
                let status = c.status(now);
                let detail = match status.phase {
                    RolloutPhase::Paused(reason) => reason.as_str().to_string(),
                    _ => status.message,
                };
                PhaseView {
                    phase: status.phase.as_str(),
                    detail,
                }
            }
            Controller::Flagger { controller, .. } => {
                let flagger = controller.status().phase;
                let phase = match flagger {
                    FlaggerPhase::Initialized | FlaggerPhase::Succeeded => "Healthy",
                    FlaggerPhase::Failed => "Degraded",
                    FlaggerPhase::Waiting | FlaggerPhase::WaitingPromotion => "Paused",
                    FlaggerPhase::Progressing
                    | FlaggerPhase::Promoting
                    | FlaggerPhase::Finalising => "Progressing",
                };
                PhaseView {
                    phase,
                    detail: flagger.as_str().to_string(),
                }
            }
        }
    }

    /// The version being rolled out, if any.
    pub fn candidate(&self, now: TimeMs) -> Option<VersionName> {
        match self {
            Controller::Argo(c) => c.status(now).candidate,
            Controller::Flagger { controller, .. } => {
                let finished = matches!(
                    controller.status().phase,
                    FlaggerPhase::Succeeded | FlaggerPhase::Failed
                );
                candidate_of(controller).filter(|c| !finished && c != controller.primary())
            }
        }
    }

    /// The version serving all traffic outside the rollout.
    pub fn stable(&self, now: TimeMs) -> VersionName {
        match self {
            Controller::Argo(c) => c.status(now).stable,
            Controller::Flagger { controller, .. } => controller.primary().clone(),
        }
    }

    /// How many events the controller has logged.
    pub fn event_count(&self) -> usize {
        match self {
            Controller::Argo(c) => c.events().len(),
            Controller::Flagger { controller, .. } => controller.events().len(),
        }
    }

    /// The events from index `from` on, narrated.
    pub fn narrate_from(&self, from: usize) -> Vec<RolloutEvent> {
        match self {
            Controller::Argo(c) => c
                .events()
                .iter()
                .skip(from)
                .map(|e| {
                    let (kind, text) = narrate_argo(&e.kind);
                    RolloutEvent {
                        t_ms: e.at.0,
                        kind,
                        text,
                    }
                })
                .collect(),
            Controller::Flagger { controller, .. } => controller
                .events()
                .iter()
                .skip(from)
                .map(|e| {
                    let (kind, text) = narrate_flagger(&e.kind);
                    RolloutEvent {
                        t_ms: e.at.0,
                        kind,
                        text,
                    }
                })
                .collect(),
        }
    }
}

/// Whether Flagger is analysing a canary.
pub fn analysing(phase: FlaggerPhase) -> bool {
    matches!(
        phase,
        FlaggerPhase::Progressing | FlaggerPhase::WaitingPromotion
    )
}

/// Whether `new` is `old` with only some metrics' `thresholdRange` (min, max) changed.
fn only_thresholds_differ(old: &FlaggerCanary, new: &FlaggerCanary) -> bool {
    if old.analysis.metrics.len() != new.analysis.metrics.len() {
        return false;
    }
    let mut probe = new.clone();
    for (metric, before) in probe.analysis.metrics.iter_mut().zip(&old.analysis.metrics) {
        metric.min = before.min;
        metric.max = before.max;
    }
    probe == *old
}

/// The revision Flagger last saw, from its events.
fn candidate_of(controller: &FlaggerController) -> Option<VersionName> {
    controller
        .events()
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            FlaggerEventKind::NewRevision(v) => Some(v.clone()),
            _ => None,
        })
}

fn narrate_argo(kind: &ArgoEventKind) -> (NarrationKind, String) {
    match kind {
        ArgoEventKind::Deployed(v) => (NarrationKind::Deploy, format!("new revision {v}")),
        ArgoEventKind::StepStarted { index, key } => (
            NarrationKind::Step,
            format!("step {} ({key}) started", index + 1),
        ),
        ArgoEventKind::WeightSet {
            set_percent,
            actual_percent,
        } => (
            NarrationKind::Weight,
            if set_percent == actual_percent {
                format!("canary weight set to {set_percent}%")
            } else {
                format!("canary weight set to {set_percent}% (actual {actual_percent}%)")
            },
        ),
        ArgoEventKind::Paused(reason) => {
            (NarrationKind::Pause, format!("paused: {}", reason.as_str()))
        }
        ArgoEventKind::Resumed => (NarrationKind::Pause, "resumed".to_string()),
        ArgoEventKind::AnalysisStarted { name } => (
            NarrationKind::Analysis,
            format!("analysis run {name} started"),
        ),
        ArgoEventKind::AnalysisFinished { name, phase } => (
            NarrationKind::Analysis,
            format!("analysis run {name} finished: {}", phase.as_str()),
        ),
        ArgoEventKind::HeaderRouteSet(name) => {
            (NarrationKind::Step, format!("header route {name} set"))
        }
        ArgoEventKind::MirrorRouteSet(name) => {
            (NarrationKind::Step, format!("mirror route {name} set"))
        }
        ArgoEventKind::ExperimentStarted => (NarrationKind::Step, "experiment started".to_string()),
        ArgoEventKind::ExperimentFinished => {
            (NarrationKind::Step, "experiment finished".to_string())
        }
        ArgoEventKind::Aborted(reason) => (NarrationKind::Abort, format!("aborted: {reason}")),
        ArgoEventKind::Promoted => (NarrationKind::Promote, "promoted".to_string()),
        ArgoEventKind::FullyPromoted => (NarrationKind::Promote, "fully promoted".to_string()),
        ArgoEventKind::Retried => (NarrationKind::Step, "retried from step 1".to_string()),
        ArgoEventKind::ActiveSwitched(v) => (
            NarrationKind::Weight,
            format!("active service switched to {v}"),
        ),
        ArgoEventKind::ScaledDown(v) => (NarrationKind::Step, format!("{v} scaled down")),
        ArgoEventKind::StepsSkipped(why) => (NarrationKind::Step, format!("steps skipped: {why}")),
        ArgoEventKind::Completed(v) => (NarrationKind::Complete, format!("{v} is stable")),
    }
}

fn narrate_flagger(kind: &FlaggerEventKind) -> (NarrationKind, String) {
    match kind {
        FlaggerEventKind::NewRevision(v) => {
            (NarrationKind::Deploy, format!("new revision {v} detected"))
        }
        FlaggerEventKind::Progressing => {
            (NarrationKind::Step, "starting canary analysis".to_string())
        }
        FlaggerEventKind::Webhook { name, kind, ok } => (
            NarrationKind::Gate,
            format!(
                "webhook {name} ({}) {}",
                kind.name(),
                if *ok { "passed" } else { "not passed" }
            ),
        ),
        FlaggerEventKind::CheckFailed(why) => {
            (NarrationKind::Measurement, format!("check failed: {why}"))
        }
        FlaggerEventKind::WeightSet(w) => (NarrationKind::Weight, format!("canary weight {w}%")),
        FlaggerEventKind::MirroringStarted => {
            (NarrationKind::Weight, "mirroring started".to_string())
        }
        FlaggerEventKind::Iteration(n) => (NarrationKind::Step, format!("iteration {n}")),
        FlaggerEventKind::Promoting => (
            NarrationKind::Promote,
            "copying the canary spec to the primary".to_string(),
        ),
        FlaggerEventKind::Finalising => (NarrationKind::Promote, "finalising".to_string()),
        FlaggerEventKind::Succeeded => (NarrationKind::Complete, "promotion completed".to_string()),
        FlaggerEventKind::RolledBack(why) => (NarrationKind::Abort, format!("rolled back: {why}")),
        FlaggerEventKind::Restarted(v) => {
            (NarrationKind::Deploy, format!("analysis restarted for {v}"))
        }
    }
}
