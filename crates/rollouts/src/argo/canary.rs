//! The canary strategy: a new revision walks `steps` in order. `setWeight` moves traffic (exactly
//! with trafficRouting, by pod counts without); `pause` waits for its duration or, empty, for a
//! promote; an `analysis` step blocks until its run ends (Successful: next step; Failed or Error:
//! abort; Inconclusive: paused for a human); `setHeaderRoute` and `setMirrorRoute` add or remove
//! routes; an `experiment` runs its arms and analyses. The background analysis starts when the
//! step index reaches `startingStep` and runs beside the steps until the rollout ends; its failure
//! aborts too. An abort sends all traffic back to stable in the same instant and removes the
//! routes; after the last step the canary becomes stable.

use super::ledger::{DeployKind, Ledger};
use super::replicas::{approximate_canary_stable_replicas, ReplicaSplit};
use super::{
    ArgoEvent, ArgoEventKind, PauseReason, Refusal, RolloutPhase, RolloutStatus, RunPurpose,
    RunRecord,
};
use crate::analysis::{AnalysisPhase, MetricSource};
use crate::routing::{ExperimentArmRoute, HeaderRoute, MirrorRoute, TrafficPlan};
use crate::spec::{
    AnalysisRef, AnalysisTemplate, CanaryStep, CanaryStrategy, ExperimentStep, Rollout, SpecRef,
    SpecSet,
};
use crate::value::{PodTemplateHash, TimeMs, VersionName};

/// A pause in force: since when, and until when (None: until promoted).
#[derive(Clone, Debug, PartialEq)]
struct Pause {
    reason: PauseReason,
    until: Option<TimeMs>,
}

/// An experiment step under way.
#[derive(Clone, Debug, PartialEq)]
struct RunningExperiment {
    until: Option<TimeMs>,
    /// Indices into `runs` of the experiment's analyses.
    runs: Vec<usize>,
}

/// The controller of one canary Rollout.
#[derive(Clone, Debug)]
pub struct CanaryController {
    ledger: Ledger,
    strategy: CanaryStrategy,
    step_index: usize,
    set_weight: u8,
    header_routes: Vec<HeaderRoute>,
    mirror_routes: Vec<MirrorRoute>,
    pause: Option<Pause>,
    step_run: Option<usize>,
    background_run: Option<usize>,
    experiment: Option<RunningExperiment>,
}

impl CanaryController {
    pub fn new(
        rollout: &Rollout,
        strategy: CanaryStrategy,
        specs: SpecSet,
        stable: VersionName,
    ) -> CanaryController {
        CanaryController {
            ledger: Ledger::new(rollout, specs, stable),
            strategy,
            step_index: 0,
            set_weight: 0,
            header_routes: Vec::new(),
            mirror_routes: Vec::new(),
            pause: None,
            step_run: None,
            background_run: None,
            experiment: None,
        }
    }

    pub fn events(&self) -> &[ArgoEvent] {
        self.ledger.events()
    }

    pub(super) fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn runs(&self) -> &[RunRecord] {
        self.ledger.runs()
    }

    /// Replaces the AnalysisTemplates, as editing them in the cluster does: runs started from
    /// now on read the new ones; a run already under way keeps its copy.
    pub fn replace_templates(&mut self, templates: Vec<AnalysisTemplate>) {
        self.ledger.replace_templates(templates);
    }

    /// A new pod template: the steps start over for `version`. Going back to the stable version,
    /// or to a recent one inside the rollback window, skips the steps.
    pub fn deploy(&mut self, version: VersionName, now: TimeMs) {
        let kind = self.ledger.deploy(version, now, self.live_runs());
        self.reset_progress();
        if kind == DeployKind::WithinWindow {
            self.complete(now);
        }
    }

    /// `kubectl argo rollouts undo`: deploy the previous revision again.
    pub fn undo(&mut self, now: TimeMs) -> Result<(), Refusal> {
        let previous = self.ledger.previous_revision()?;
        self.deploy(previous, now);
        Ok(())
    }

    fn reset_progress(&mut self) {
        self.step_index = 0;
        self.set_weight = 0;
        self.header_routes.clear();
        self.mirror_routes.clear();
        self.pause = None;
        self.ledger.aborted = None;
        self.step_run = None;
        self.background_run = None;
        self.experiment = None;
    }

    /// The runs the update holds: the step's, the background one and the experiment's.
    fn live_runs(&self) -> Vec<usize> {
        self.step_run
            .into_iter()
            .chain(self.background_run)
            .chain(self.experiment.iter().flat_map(|e| e.runs.clone()))
            .collect()
    }

    /// Terminates every run still going (Argo's `terminate: true`).
    fn stop_runs(&mut self, now: TimeMs) {
        for index in self.live_runs() {
            self.ledger.stop_run(index, now);
        }
    }

    /// Whether a promote (plain or full: the same rule) would be taken now.
    pub fn check_promote(&self) -> Result<(), Refusal> {
        self.ledger
            .check_can_promote("retry it to start the steps again, or deploy a new version")
    }

    /// `promote` skips the current step (or ends the pause); `promote --full` skips every step
    /// and analysis left.
    pub fn promote(&mut self, now: TimeMs, full: bool) -> Result<(), Refusal> {
        self.check_promote()?;
        if full {
            self.ledger.log(now, ArgoEventKind::FullyPromoted);
            self.complete(now);
            return Ok(());
        }
        self.ledger.log(now, ArgoEventKind::Promoted);
        if let Some(index) = self.step_run.take() {
            if !self.ledger.runs[index].run.is_completed() {
                self.ledger.runs[index].run.terminate(now);
            }
        }
        if let Some(experiment) = self.experiment.take() {
            for index in experiment.runs {
                self.ledger.runs[index].run.terminate(now);
            }
        }
        if self.pause.take().is_some() {
            self.ledger.log(now, ArgoEventKind::Resumed);
        }
        self.step_index += 1;
        Ok(())
    }

    /// Back to stable at once: weight 0, routes removed, runs terminated; phase Degraded.
    pub fn abort(&mut self, now: TimeMs, reason: String) -> Result<(), Refusal> {
        self.ledger.check_can_abort()?;
        self.stop_runs(now);
        self.step_run = None;
        self.background_run = None;
        self.experiment = None;
        self.pause = None;
        self.header_routes.clear();
        self.mirror_routes.clear();
        self.ledger.mark_aborted(now, reason);
        Ok(())
    }

    /// An aborted rollout starts its steps again from the first.
    pub fn retry(&mut self, now: TimeMs) -> Result<(), Refusal> {
        self.ledger.retry(now)?;
        self.reset_progress();
        Ok(())
    }

    /// The canary is the new stable; everything of the update ends.
    fn complete(&mut self, now: TimeMs) {
        self.stop_runs(now);
        if let Some(canary) = self.ledger.candidate.take() {
            self.ledger
                .log(now, ArgoEventKind::Completed(canary.clone()));
            self.ledger.stable = canary;
        }
        self.reset_progress();
    }

    /// Advances a run to `now`; returns its phase once it has ended (logging the end once: the
    /// background run stays held after it ended, and a run that started ended is not logged).
    fn advance_run(
        &mut self,
        index: usize,
        now: TimeMs,
        source: &dyn MetricSource,
    ) -> Option<AnalysisPhase> {
        let run = &self.ledger.runs[index].run;
        if run.is_completed() {
            return Some(run.phase());
        }
        self.ledger.advance_run(index, now, source)
    }

    /// Reconciles up to `now`: as many steps as can complete, in order.
    pub fn advance(&mut self, now: TimeMs, source: &dyn MetricSource) {
        let mut at = now;
        if let Some(until) = self.pause.as_ref().and_then(|p| p.until) {
            at = until.min(now);
        }
        while self.ledger.candidate.is_some() && self.ledger.aborted.is_none() {
            if !self.reconcile_background(now, source) {
                return;
            }
            if let Some(pause) = &self.pause {
                match pause.until {
                    Some(until) if until <= now => {
                        at = until;
                        self.pause = None;
                        self.ledger.log(at, ArgoEventKind::Resumed);
                        self.step_index += 1;
                        continue;
                    }
                    _ => return,
                }
            }
            let Some(step) = self.strategy.steps.get(self.step_index).cloned() else {
                self.complete(at);
                return;
            };
            if !self.run_step(&step, at, now, source) {
                return;
            }
        }
    }

    /// Starts and watches the background run; false when it aborted the rollout.
    fn reconcile_background(&mut self, now: TimeMs, source: &dyn MetricSource) -> bool {
        let Some(background) = self.strategy.background.clone() else {
            return true;
        };
        if self.background_run.is_none() && self.step_index >= background.starting_step {
            match self.ledger.start_run(
                &background.analysis,
                RunPurpose::Background,
                now,
                true,
                &[],
            ) {
                Ok(index) => self.background_run = Some(index),
                Err(why) => return self.abort_for(now, why),
            }
        }
        let Some(index) = self.background_run else {
            return true;
        };
        match self.advance_run(index, now, source) {
            Some(AnalysisPhase::Failed | AnalysisPhase::Error) => {
                let message = format!(
                    "background analysis {} ended {}",
                    self.ledger.runs[index].run.name(),
                    self.ledger.runs[index].run.phase().as_str()
                );
                self.abort_for(now, message)
            }
            Some(AnalysisPhase::Inconclusive) => {
                self.pause_for_inconclusive(now);
                true
            }
            _ => true,
        }
    }

    /// An inconclusive run waits for a human: paused until promoted (unless paused already).
    fn pause_for_inconclusive(&mut self, now: TimeMs) {
        if self.pause.is_some() {
            return;
        }
        self.pause = Some(Pause {
            reason: PauseReason::InconclusiveAnalysis,
            until: None,
        });
        self.ledger.log(
            now,
            ArgoEventKind::Paused(PauseReason::InconclusiveAnalysis),
        );
    }

    fn abort_for(&mut self, now: TimeMs, reason: String) -> bool {
        // An update is under way here, so the abort is always accepted.
        let _ = self.abort(now, reason);
        false
    }

    /// Runs the current step at `at`; true when it completed and the next may start.
    fn run_step(
        &mut self,
        step: &CanaryStep,
        at: TimeMs,
        now: TimeMs,
        source: &dyn MetricSource,
    ) -> bool {
        let fresh = self.step_run.is_none() && self.experiment.is_none();
        if fresh {
            self.ledger.log(
                at,
                ArgoEventKind::StepStarted {
                    index: self.step_index,
                    key: step.key(),
                },
            );
        }
        match step {
            CanaryStep::SetWeight(weight) => {
                self.set_weight = *weight;
                let actual = self.actual_weight();
                self.ledger.log(
                    at,
                    ArgoEventKind::WeightSet {
                        set_percent: *weight,
                        actual_percent: actual,
                    },
                );
                self.step_index += 1;
                true
            }
            CanaryStep::Pause(duration) => {
                self.pause = Some(Pause {
                    reason: PauseReason::CanaryPauseStep,
                    until: duration.map(|d| at.plus(d)),
                });
                self.ledger
                    .log(at, ArgoEventKind::Paused(PauseReason::CanaryPauseStep));
                duration.is_some_and(|d| at.plus(d) <= now)
            }
            CanaryStep::SetHeaderRoute(route) => {
                self.header_routes.retain(|r| r.name != route.name);
                if !route.matches.is_empty() {
                    self.header_routes.push(route.clone());
                }
                self.ledger
                    .log(at, ArgoEventKind::HeaderRouteSet(route.name.clone()));
                self.step_index += 1;
                true
            }
            CanaryStep::SetMirrorRoute(route) => {
                self.mirror_routes.retain(|r| r.name != route.name);
                if !route.matches.is_empty() {
                    self.mirror_routes.push(route.clone());
                }
                self.ledger
                    .log(at, ArgoEventKind::MirrorRouteSet(route.name.clone()));
                self.step_index += 1;
                true
            }
            CanaryStep::Analysis(reference) => self.run_analysis_step(reference, at, now, source),
            CanaryStep::Experiment(experiment) => {
                self.run_experiment_step(experiment, at, now, source)
            }
        }
    }

    fn run_analysis_step(
        &mut self,
        reference: &AnalysisRef,
        at: TimeMs,
        now: TimeMs,
        source: &dyn MetricSource,
    ) -> bool {
        let index = match self.step_run {
            Some(index) => index,
            None => {
                match self.ledger.start_run(
                    reference,
                    RunPurpose::Step(self.step_index),
                    at,
                    false,
                    &[],
                ) {
                    Ok(index) => {
                        self.step_run = Some(index);
                        index
                    }
                    Err(why) => return self.abort_for(at, why),
                }
            }
        };
        match self.advance_run(index, now, source) {
            None => false,
            Some(AnalysisPhase::Successful) => {
                self.step_run = None;
                self.step_index += 1;
                true
            }
            Some(AnalysisPhase::Inconclusive) => {
                self.pause_for_inconclusive(now);
                false
            }
            Some(phase) => {
                let message = format!(
                    "analysis {} ended {}",
                    self.ledger.runs[index].run.name(),
                    phase.as_str()
                );
                self.abort_for(now, message)
            }
        }
    }

    fn run_experiment_step(
        &mut self,
        experiment: &ExperimentStep,
        at: TimeMs,
        now: TimeMs,
        source: &dyn MetricSource,
    ) -> bool {
        if self.experiment.is_none() {
            let hashes: Vec<(String, PodTemplateHash)> = self
                .experiment_arms(experiment)
                .into_iter()
                .map(|arm| (arm.name, arm.pod_template_hash))
                .collect();
            let mut runs = Vec::new();
            for analysis in &experiment.analyses {
                match self.ledger.start_run(
                    &analysis.analysis,
                    RunPurpose::Experiment(self.step_index, analysis.name.clone()),
                    at,
                    false,
                    &hashes,
                ) {
                    Ok(index) => runs.push(index),
                    Err(why) => return self.abort_for(at, why),
                }
            }
            self.experiment = Some(RunningExperiment {
                until: experiment.duration.map(|d| at.plus(d)),
                runs,
            });
            self.ledger.log(at, ArgoEventKind::ExperimentStarted);
        }
        let Some(running) = self.experiment.clone() else {
            return false;
        };
        let mut all_done = true;
        for &index in &running.runs {
            match self.advance_run(index, now, source) {
                None => all_done = false,
                Some(AnalysisPhase::Successful) => {}
                Some(phase) => {
                    let message = format!(
                        "experiment analysis {} ended {}",
                        self.ledger.runs[index].run.name(),
                        phase.as_str()
                    );
                    return self.abort_for(now, message);
                }
            }
        }
        let finished = match running.until {
            Some(until) => until <= now,
            None => all_done,
        };
        if !finished {
            return false;
        }
        for &index in &running.runs {
            if !self.ledger.runs[index].run.is_completed() {
                self.ledger.runs[index].run.terminate(now);
            }
        }
        self.experiment = None;
        self.ledger.log(now, ArgoEventKind::ExperimentFinished);
        self.step_index += 1;
        true
    }

    /// Pods of each version with the current weight (the basic canary's approximation, or with
    /// trafficRouting the canary scaled to the weight, rounded up).
    fn split(&self) -> ReplicaSplit {
        if self.ledger.candidate.is_none() || self.ledger.aborted.is_some() {
            return ReplicaSplit {
                canary: 0,
                stable: self.ledger.replicas,
            };
        }
        if self.strategy.traffic_routing {
            let canary =
                (u64::from(self.ledger.replicas) * u64::from(self.set_weight)).div_ceil(100);
            return ReplicaSplit {
                canary: u32::try_from(canary).unwrap_or(u32::MAX),
                stable: self.ledger.replicas,
            };
        }
        approximate_canary_stable_replicas(
            self.ledger.replicas,
            self.set_weight,
            self.strategy.max_surge_replicas,
        )
    }

    /// The share of traffic the canary really gets.
    fn actual_weight(&self) -> u8 {
        if self.ledger.candidate.is_none() || self.ledger.aborted.is_some() {
            return 0;
        }
        if self.strategy.traffic_routing {
            return self.set_weight;
        }
        self.split().actual_weight_percent()
    }

    pub fn plan(&self) -> TrafficPlan {
        let mut plan = TrafficPlan::all_to(self.ledger.stable.clone());
        let Some(canary) = &self.ledger.candidate else {
            return plan;
        };
        plan.canary = Some(canary.clone());
        plan.canary_weight_percent = self.actual_weight();
        plan.header_routes = self.header_routes.clone();
        plan.mirror_routes = self.mirror_routes.clone();
        if self.experiment.is_some() {
            if let Some(CanaryStep::Experiment(experiment)) =
                self.strategy.steps.get(self.step_index)
            {
                plan.experiment_arms = self
                    .experiment_arms(experiment)
                    .into_iter()
                    .filter(|arm| arm.weight_percent > 0)
                    .collect();
            }
        }
        plan
    }

    /// The ReplicaSets of the experiment at the current step: each template's version, its own
    /// pod-template-hash and its weight (0 without one).
    fn experiment_arms(&self, experiment: &ExperimentStep) -> Vec<ExperimentArmRoute> {
        let canary = self
            .ledger
            .candidate
            .as_ref()
            .unwrap_or(&self.ledger.stable);
        experiment
            .arms
            .iter()
            .map(|arm| {
                let version = match arm.spec_ref {
                    SpecRef::Stable => self.ledger.stable.clone(),
                    SpecRef::Canary => canary.clone(),
                };
                ExperimentArmRoute {
                    name: arm.name.clone(),
                    pod_template_hash: self.ledger.experiment_hash(
                        self.step_index,
                        &arm.name,
                        &version,
                    ),
                    version,
                    weight_percent: arm.weight_percent.unwrap_or(0),
                }
            })
            .collect()
    }

    pub fn phase(&self) -> RolloutPhase {
        if self.ledger.aborted.is_some() {
            return RolloutPhase::Degraded;
        }
        if let Some(pause) = &self.pause {
            return RolloutPhase::Paused(pause.reason);
        }
        if self.ledger.candidate.is_some() {
            RolloutPhase::Progressing
        } else {
            RolloutPhase::Healthy
        }
    }

    pub fn status(&self, now: TimeMs) -> RolloutStatus {
        let split = self.split();
        let mut replicas = vec![(self.ledger.stable.clone(), split.stable)];
        if let Some(canary) = &self.ledger.candidate {
            let canary_pods = match &self.ledger.aborted {
                Some((at, _)) if now.since(*at) >= self.strategy.abort_scale_down_delay => 0,
                Some(_) => self.ledger.replicas,
                None => split.canary,
            };
            replicas.push((canary.clone(), canary_pods));
        }
        let message = match (&self.ledger.aborted, &self.pause) {
            (Some((_, reason)), _) => format!("RolloutAborted: {reason}"),
            (None, Some(pause)) => pause.reason.as_str().to_string(),
            (None, None) if self.ledger.candidate.is_some() => format!(
                "step {} of {}",
                self.step_index + 1,
                self.strategy.steps.len().max(1)
            ),
            _ => String::new(),
        };
        RolloutStatus {
            phase: self.phase(),
            message,
            stable: self.ledger.stable.clone(),
            candidate: self.ledger.candidate.clone(),
            step_index: (self.ledger.candidate.is_some()
                && self.step_index < self.strategy.steps.len())
            .then_some(self.step_index),
            step_count: self.strategy.steps.len(),
            set_weight_percent: if self.ledger.candidate.is_some() && self.ledger.aborted.is_none()
            {
                self.set_weight
            } else {
                0
            },
            actual_weight_percent: self.actual_weight(),
            pause_ends_at: self.pause.as_ref().and_then(|p| p.until),
            replicas,
        }
    }
}
