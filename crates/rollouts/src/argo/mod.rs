//! Argo Rollouts' controller for one Rollout: the canary strategy (`rollout/canary.go`: steps in
//! order, inline and background analysis, header and mirror routes, experiments) and the
//! blue-green strategy (`rollout/bluegreen.go`: preview, pre-promotion analysis, switch of the
//! active service, post-promotion analysis, delayed scale-down), with the learner's commands
//! (`kubectl argo rollouts promote [--full] | abort | retry | undo`).
//!
//! A controller is advanced with the lab's clock and a [`MetricSource`]; it answers with the
//! [`TrafficPlan`] of the moment, a log of timed [`ArgoEvent`]s, and a status view. Phases are
//! Argo's: Progressing, Paused (with the reason Argo shows), Degraded once aborted, Healthy once
//! the new version is stable.

mod bluegreen;
mod canary;
mod history;
mod ledger;
pub mod replicas;

pub use bluegreen::BlueGreenController;
pub use canary::CanaryController;

use crate::analysis::{AnalysisRun, MetricSource, RunPhase};
use crate::routing::TrafficPlan;
use crate::spec::{AnalysisTemplate, Rollout, RolloutStrategy, SpecSet};
use crate::value::{TimeMs, VersionName};

/// A rollout's phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutPhase {
    Progressing,
    Paused(PauseReason),
    /// Aborted: the stable version has all traffic again.
    Degraded,
    Healthy,
}

impl RolloutPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutPhase::Progressing => "Progressing",
            RolloutPhase::Paused(_) => "Paused",
            RolloutPhase::Degraded => "Degraded",
            RolloutPhase::Healthy => "Healthy",
        }
    }
}

/// Why a rollout is paused, in Argo's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseReason {
    CanaryPauseStep,
    InconclusiveAnalysis,
    BlueGreenPause,
}

impl PauseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PauseReason::CanaryPauseStep => "CanaryPauseStep",
            PauseReason::InconclusiveAnalysis => "InconclusiveAnalysis",
            PauseReason::BlueGreenPause => "BlueGreenPause",
        }
    }
}

/// What an analysis run is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunPurpose {
    /// An `analysis` step, by step index.
    Step(usize),
    Background,
    PrePromotion,
    PostPromotion,
    /// An experiment step's analysis: step index and analysis name.
    Experiment(usize, String),
}

/// A run with what it is for; finished runs stay for the status view.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub purpose: RunPurpose,
    pub run: AnalysisRun,
}

/// What happened, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgoEventKind {
    Deployed(VersionName),
    StepStarted {
        index: usize,
        key: &'static str,
    },
    WeightSet {
        set_percent: u8,
        actual_percent: u8,
    },
    Paused(PauseReason),
    Resumed,
    AnalysisStarted {
        name: String,
    },
    AnalysisFinished {
        name: String,
        phase: RunPhase,
    },
    HeaderRouteSet(String),
    MirrorRouteSet(String),
    ExperimentStarted,
    ExperimentFinished,
    Aborted(String),
    Promoted,
    FullyPromoted,
    Retried,
    /// Blue-green: the active service now selects this version.
    ActiveSwitched(VersionName),
    ScaledDown(VersionName),
    /// Undo within the rollback window, or back to the stable version: no steps.
    StepsSkipped(String),
    Completed(VersionName),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ArgoEvent {
    pub at: TimeMs,
    pub kind: ArgoEventKind,
}

/// A command the rollout cannot take now, and what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub hint: String,
}

impl Refusal {
    pub(crate) fn new(message: &str, hint: &str) -> Refusal {
        Refusal {
            message: message.to_string(),
            hint: hint.to_string(),
        }
    }
}

/// The status view `kubectl argo rollouts get rollout` gives, in the lab's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct RolloutStatus {
    pub phase: RolloutPhase,
    pub message: String,
    pub stable: VersionName,
    pub candidate: Option<VersionName>,
    /// Index of the current step (None for blue-green, or when there are no steps left).
    pub step_index: Option<usize>,
    pub step_count: usize,
    pub set_weight_percent: u8,
    pub actual_weight_percent: u8,
    /// When the current pause ends by itself (None: not paused, or waiting for a promote).
    pub pause_ends_at: Option<TimeMs>,
    /// Pods per version.
    pub replicas: Vec<(VersionName, u32)>,
}

/// The controller of one Rollout, by strategy.
#[derive(Clone, Debug)]
pub enum ArgoController {
    Canary(CanaryController),
    BlueGreen(BlueGreenController),
}

impl ArgoController {
    /// A rollout whose first revision `stable` is already running, as after its first deploy.
    pub fn new(rollout: &Rollout, specs: &SpecSet, stable: VersionName) -> ArgoController {
        match &rollout.strategy {
            RolloutStrategy::Canary(strategy) => ArgoController::Canary(CanaryController::new(
                rollout,
                strategy.clone(),
                specs.clone(),
                stable,
            )),
            RolloutStrategy::BlueGreen(strategy) => ArgoController::BlueGreen(
                BlueGreenController::new(rollout, strategy.clone(), specs.clone(), stable),
            ),
        }
    }

    pub fn deploy(&mut self, version: VersionName, now: TimeMs) {
        match self {
            ArgoController::Canary(c) => c.deploy(version, now),
            ArgoController::BlueGreen(c) => c.deploy(version, now),
        }
    }

    pub fn advance(&mut self, now: TimeMs, source: &dyn MetricSource) {
        match self {
            ArgoController::Canary(c) => c.advance(now, source),
            ArgoController::BlueGreen(c) => c.advance(now, source),
        }
    }

    pub fn promote(&mut self, now: TimeMs, full: bool) -> Result<(), Refusal> {
        match self {
            ArgoController::Canary(c) => c.promote(now, full),
            ArgoController::BlueGreen(c) => c.promote(now, full),
        }
    }

    pub fn abort(&mut self, now: TimeMs) -> Result<(), Refusal> {
        match self {
            ArgoController::Canary(c) => c.abort(now, "aborted by the user".to_string()),
            ArgoController::BlueGreen(c) => c.abort(now, "aborted by the user".to_string()),
        }
    }

    /// Whether `promote` (`--full` with `full`) would be taken now, changing nothing.
    pub fn check_promote(&self, full: bool) -> Result<(), Refusal> {
        match self {
            ArgoController::Canary(c) => c.check_promote(),
            ArgoController::BlueGreen(c) => c.check_promote(full),
        }
    }

    /// Whether `abort` would be taken now.
    pub fn check_abort(&self) -> Result<(), Refusal> {
        self.ledger().check_can_abort()
    }

    /// Whether `retry` would be taken now.
    pub fn check_retry(&self) -> Result<(), Refusal> {
        self.ledger().check_can_retry()
    }

    /// Whether `undo` would be taken now: there is a revision to go back to.
    pub fn check_undo(&self) -> Result<(), Refusal> {
        self.ledger().previous_revision().map(|_| ())
    }

    fn ledger(&self) -> &ledger::Ledger {
        match self {
            ArgoController::Canary(c) => c.ledger(),
            ArgoController::BlueGreen(c) => c.ledger(),
        }
    }

    pub fn retry(&mut self, now: TimeMs) -> Result<(), Refusal> {
        match self {
            ArgoController::Canary(c) => c.retry(now),
            ArgoController::BlueGreen(c) => c.retry(now),
        }
    }

    pub fn undo(&mut self, now: TimeMs) -> Result<(), Refusal> {
        match self {
            ArgoController::Canary(c) => c.undo(now),
            ArgoController::BlueGreen(c) => c.undo(now),
        }
    }

    pub fn plan(&self) -> TrafficPlan {
        match self {
            ArgoController::Canary(c) => c.plan(),
            ArgoController::BlueGreen(c) => c.plan(),
        }
    }

    pub fn status(&self, now: TimeMs) -> RolloutStatus {
        match self {
            ArgoController::Canary(c) => c.status(now),
            ArgoController::BlueGreen(c) => c.status(now),
        }
    }

    pub fn events(&self) -> &[ArgoEvent] {
        match self {
            ArgoController::Canary(c) => c.events(),
            ArgoController::BlueGreen(c) => c.events(),
        }
    }

    pub fn runs(&self) -> &[RunRecord] {
        match self {
            ArgoController::Canary(c) => c.runs(),
            ArgoController::BlueGreen(c) => c.runs(),
        }
    }

    /// Swaps the AnalysisTemplates for those of an edit; runs started afterwards use them.
    pub fn replace_templates(&mut self, templates: Vec<AnalysisTemplate>) {
        match self {
            ArgoController::Canary(c) => c.replace_templates(templates),
            ArgoController::BlueGreen(c) => c.replace_templates(templates),
        }
    }
}
