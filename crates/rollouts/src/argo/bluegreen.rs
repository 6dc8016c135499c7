//! The blue-green strategy: the new version comes up behind the preview service while the active
//! service keeps the stable one; the pre-promotion analysis judges the preview; the rollout pauses
//! when `autoPromotionEnabled` is false (until promoted) or when `autoPromotionSeconds` is set
//! (until that many seconds have passed); then the active service switches to the new version and
//! the post-promotion analysis runs: its failure aborts, which switches the active service back
//! to the stable version. On success the new version is stable and the old one keeps its pods for
//! `scaleDownDelaySeconds` (so an instant switch back stays possible) before being scaled down.

use super::history::History;
use super::{
    ArgoEvent, ArgoEventKind, PauseReason, Refusal, RolloutPhase, RolloutStatus, RunPurpose,
    RunRecord,
};
use crate::analysis::{AnalysisPhase, AnalysisRun, MetricSource};
use crate::routing::TrafficPlan;
use crate::spec::{run_spec, AnalysisRef, AnalysisTemplate, BlueGreenStrategy, Rollout, SpecSet};
use crate::value::{TimeMs, VersionName};

/// Where the update stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The preview is up; the pre-promotion analysis (if any) runs.
    PrePromotion,
    /// Waiting for a promote, or for the auto-promotion time.
    Paused {
        reason: PauseReason,
        until: Option<TimeMs>,
    },
    /// The active service has switched; the post-promotion analysis (if any) runs.
    PostPromotion,
}

/// The controller of one blue-green Rollout.
#[derive(Clone, Debug)]
pub struct BlueGreenController {
    name: String,
    replicas: u32,
    rollback_window: u32,
    strategy: BlueGreenStrategy,
    specs: SpecSet,
    history: History,
    stable: VersionName,
    active: VersionName,
    candidate: Option<VersionName>,
    stage: Stage,
    current_run: Option<usize>,
    aborted: Option<(TimeMs, String)>,
    /// The previous stable version keeps its pods until this instant.
    old_scaled_down_at: Option<(VersionName, TimeMs)>,
    runs: Vec<RunRecord>,
    events: Vec<ArgoEvent>,
}

impl BlueGreenController {
    pub fn new(
        rollout: &Rollout,
        strategy: BlueGreenStrategy,
        specs: SpecSet,
        stable: VersionName,
    ) -> BlueGreenController {
        let mut history = History::default();
        history.record(&stable);
        BlueGreenController {
            name: rollout.name.clone(),
            replicas: rollout.replicas,
            rollback_window: rollout.rollback_window_revisions,
            strategy,
            specs,
            history,
            active: stable.clone(),
            stable,
            candidate: None,
            stage: Stage::PrePromotion,
            current_run: None,
            aborted: None,
            old_scaled_down_at: None,
            runs: Vec::new(),
            events: Vec::new(),
        }
    }

    pub fn events(&self) -> &[ArgoEvent] {
        &self.events
    }

    pub fn runs(&self) -> &[RunRecord] {
        &self.runs
    }

    /// Replaces the AnalysisTemplates, as editing them in the cluster does: runs started from now
    /// on (after a retry, at the next analysis step) read the new ones; a run already under way
    /// keeps the copy it was created with, and the rollout keeps its place.
    pub fn replace_templates(&mut self, templates: Vec<AnalysisTemplate>) {
        self.specs.templates = templates;
    }

    fn log(&mut self, at: TimeMs, kind: ArgoEventKind) {
        self.events.push(ArgoEvent { at, kind });
    }

    pub fn deploy(&mut self, version: VersionName, now: TimeMs) {
        self.log(now, ArgoEventKind::Deployed(version.clone()));
        self.stop_run(now);
        let within_window =
            self.history
                .rollback_within_window(&version, &self.stable, self.rollback_window);
        self.history.record(&version);
        self.aborted = None;
        self.stage = Stage::PrePromotion;
        self.active = self.stable.clone();
        if version == self.stable {
            self.candidate = None;
            self.log(
                now,
                ArgoEventKind::StepsSkipped("the stable version was deployed again".to_string()),
            );
            return;
        }
        self.candidate = Some(version.clone());
        if within_window {
            self.log(
                now,
                ArgoEventKind::StepsSkipped(format!("{version} is inside the rollback window")),
            );
            self.switch_active(now);
            self.complete(now);
        }
    }

    pub fn undo(&mut self, now: TimeMs) -> Result<(), Refusal> {
        let Some(previous) = self.history.previous().cloned() else {
            return Err(Refusal::new(
                "there is no previous revision to go back to",
                "deploy a second version first",
            ));
        };
        self.deploy(previous, now);
        Ok(())
    }

    fn stop_run(&mut self, now: TimeMs) {
        if let Some(index) = self.current_run.take() {
            if !self.runs[index].run.is_completed() {
                self.runs[index].run.terminate(now);
                let name = self.runs[index].run.name().to_string();
                let phase = self.runs[index].run.phase();
                self.log(now, ArgoEventKind::AnalysisFinished { name, phase });
            }
        }
    }

    /// Ends the pause (switching the active service); `full` also skips the analyses.
    pub fn promote(&mut self, now: TimeMs, full: bool) -> Result<(), Refusal> {
        if self.candidate.is_none() {
            return Err(Refusal::new(
                "there is no update to promote",
                "deploy a new version first",
            ));
        }
        if self.aborted.is_some() {
            return Err(Refusal::new(
                "the rollout is aborted",
                "retry it, or deploy a new version",
            ));
        }
        if full {
            self.log(now, ArgoEventKind::FullyPromoted);
            self.stop_run(now);
            if self.active != *self.candidate.as_ref().unwrap_or(&self.active) {
                self.switch_active(now);
            }
            self.complete(now);
            return Ok(());
        }
        if !matches!(self.stage, Stage::Paused { .. }) {
            return Err(Refusal::new(
                "the rollout is not paused",
                "promote --full skips the analysis; otherwise wait for it to finish",
            ));
        }
        self.log(now, ArgoEventKind::Promoted);
        self.log(now, ArgoEventKind::Resumed);
        self.switch_active(now);
        Ok(())
    }

    /// The active service goes back to (or stays on) the stable version; phase Degraded.
    pub fn abort(&mut self, now: TimeMs, reason: String) -> Result<(), Refusal> {
        if self.candidate.is_none() {
            return Err(Refusal::new(
                "there is no update to abort",
                "abort stops a rollout under way",
            ));
        }
        if self.aborted.is_some() {
            return Err(Refusal::new(
                "the rollout is already aborted",
                "retry it or deploy a new version",
            ));
        }
        self.stop_run(now);
        if self.active != self.stable {
            self.active = self.stable.clone();
            self.log(now, ArgoEventKind::ActiveSwitched(self.stable.clone()));
        }
        self.log(now, ArgoEventKind::Aborted(reason.clone()));
        self.aborted = Some((now, reason));
        Ok(())
    }

    pub fn retry(&mut self, now: TimeMs) -> Result<(), Refusal> {
        if self.aborted.is_none() {
            return Err(Refusal::new(
                "only an aborted rollout can be retried",
                "abort it first, or promote it",
            ));
        }
        self.aborted = None;
        self.stage = Stage::PrePromotion;
        self.log(now, ArgoEventKind::Retried);
        Ok(())
    }

    fn switch_active(&mut self, now: TimeMs) {
        if let Some(candidate) = &self.candidate {
            self.active = candidate.clone();
            self.log(now, ArgoEventKind::ActiveSwitched(candidate.clone()));
        }
        self.stage = Stage::PostPromotion;
    }

    fn complete(&mut self, now: TimeMs) {
        self.stop_run(now);
        if let Some(candidate) = self.candidate.take() {
            let old = std::mem::replace(&mut self.stable, candidate.clone());
            self.old_scaled_down_at = Some((old, now.plus(self.strategy.scale_down_delay)));
            self.log(now, ArgoEventKind::Completed(candidate));
        }
        self.stage = Stage::PrePromotion;
    }

    /// Runs (starting it first) the analysis of the current stage; Some(phase) once it ended.
    fn watch_analysis(
        &mut self,
        reference: &AnalysisRef,
        purpose: RunPurpose,
        now: TimeMs,
        source: &dyn MetricSource,
    ) -> Result<Option<AnalysisPhase>, String> {
        let index = match self.current_run {
            Some(index) => index,
            None => {
                let revision = self
                    .candidate
                    .as_ref()
                    .map_or("", |c| c.0.as_str())
                    .to_string();
                let name = format!("{}-{}-{}", self.name, revision, self.runs.len() + 1);
                let spec = run_spec(&self.specs, reference, &name)?;
                self.runs.push(RunRecord {
                    purpose,
                    run: AnalysisRun::start(spec, now, false),
                });
                self.log(now, ArgoEventKind::AnalysisStarted { name });
                self.current_run = Some(self.runs.len() - 1);
                self.runs.len() - 1
            }
        };
        let run = &mut self.runs[index].run;
        run.advance(now, source);
        if !run.is_completed() {
            return Ok(None);
        }
        let (name, phase, ended) = (
            run.name().to_string(),
            run.phase(),
            run.completed_at().unwrap_or(now),
        );
        self.current_run = None;
        self.log(ended, ArgoEventKind::AnalysisFinished { name, phase });
        Ok(Some(phase))
    }

    pub fn advance(&mut self, now: TimeMs, source: &dyn MetricSource) {
        while self.candidate.is_some() && self.aborted.is_none() {
            match self.stage {
                Stage::PrePromotion => {
                    if let Some(reference) = self.strategy.pre_promotion.clone() {
                        match self.watch_analysis(&reference, RunPurpose::PrePromotion, now, source)
                        {
                            Ok(None) => return,
                            Ok(Some(AnalysisPhase::Successful)) => {}
                            Ok(Some(AnalysisPhase::Inconclusive)) => {
                                self.pause(now, PauseReason::InconclusiveAnalysis, None);
                                return;
                            }
                            Ok(Some(phase)) => {
                                return self.abort_for(
                                    now,
                                    format!("pre-promotion analysis ended {}", phase.as_str()),
                                )
                            }
                            Err(why) => return self.abort_for(now, why),
                        }
                    }
                    if !self.strategy.auto_promotion_enabled {
                        self.pause(now, PauseReason::BlueGreenPause, None);
                    } else if let Some(after) = self.strategy.auto_promotion_after {
                        self.pause(now, PauseReason::BlueGreenPause, Some(now.plus(after)));
                    } else {
                        self.switch_active(now);
                    }
                }
                Stage::Paused {
                    until: Some(until), ..
                } if until <= now => {
                    self.log(until, ArgoEventKind::Resumed);
                    self.switch_active(until);
                }
                Stage::Paused { .. } => return,
                Stage::PostPromotion => {
                    if let Some(reference) = self.strategy.post_promotion.clone() {
                        match self.watch_analysis(
                            &reference,
                            RunPurpose::PostPromotion,
                            now,
                            source,
                        ) {
                            Ok(None) => return,
                            Ok(Some(AnalysisPhase::Successful)) => {}
                            Ok(Some(phase)) => {
                                return self.abort_for(
                                    now,
                                    format!("post-promotion analysis ended {}", phase.as_str()),
                                )
                            }
                            Err(why) => return self.abort_for(now, why),
                        }
                    }
                    self.complete(now);
                }
            }
        }
        if let Some((old, at)) = self.old_scaled_down_at.clone() {
            if at <= now {
                self.log(at, ArgoEventKind::ScaledDown(old));
                self.old_scaled_down_at = None;
            }
        }
    }

    fn pause(&mut self, now: TimeMs, reason: PauseReason, until: Option<TimeMs>) {
        self.stage = Stage::Paused { reason, until };
        self.log(now, ArgoEventKind::Paused(reason));
    }

    fn abort_for(&mut self, now: TimeMs, reason: String) {
        // An update is under way here, so the abort is always accepted.
        let _ = self.abort(now, reason);
    }

    pub fn plan(&self) -> TrafficPlan {
        let mut plan = TrafficPlan::all_to(self.active.clone());
        if self.aborted.is_none() {
            plan.preview = self.candidate.clone();
        }
        plan
    }

    pub fn phase(&self) -> RolloutPhase {
        if self.aborted.is_some() {
            return RolloutPhase::Degraded;
        }
        match (&self.candidate, self.stage) {
            (None, _) => RolloutPhase::Healthy,
            (Some(_), Stage::Paused { reason, .. }) => RolloutPhase::Paused(reason),
            (Some(_), _) => RolloutPhase::Progressing,
        }
    }

    /// The active service's version.
    pub fn active(&self) -> &VersionName {
        &self.active
    }

    pub fn status(&self, now: TimeMs) -> RolloutStatus {
        let mut replicas = vec![(self.stable.clone(), self.replicas)];
        if let Some((old, at)) = &self.old_scaled_down_at {
            if *at > now {
                replicas.push((old.clone(), self.replicas));
            }
        }
        if let Some(candidate) = &self.candidate {
            let pods = match (&self.aborted, self.stage) {
                (Some((at, _)), _) if now.since(*at) >= self.strategy.abort_scale_down_delay => 0,
                (None, Stage::PrePromotion | Stage::Paused { .. }) => {
                    self.strategy.preview_replica_count.unwrap_or(self.replicas)
                }
                _ => self.replicas,
            };
            replicas.push((candidate.clone(), pods));
        }
        let candidate_active = self.candidate.as_ref() == Some(&self.active);
        let message = match (&self.aborted, self.stage) {
            (Some((_, reason)), _) => format!("RolloutAborted: {reason}"),
            (None, Stage::Paused { reason, .. }) if self.candidate.is_some() => {
                reason.as_str().to_string()
            }
            _ => String::new(),
        };
        RolloutStatus {
            phase: self.phase(),
            message,
            stable: self.stable.clone(),
            candidate: self.candidate.clone(),
            step_index: None,
            step_count: 0,
            set_weight_percent: if candidate_active { 100 } else { 0 },
            actual_weight_percent: if candidate_active { 100 } else { 0 },
            pause_ends_at: match self.stage {
                Stage::Paused { until, .. } if self.candidate.is_some() => until,
                _ => None,
            },
            replicas,
        }
    }
}
