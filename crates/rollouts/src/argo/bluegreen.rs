//! The blue-green strategy: the new version comes up behind the preview service while the active
//! service keeps the stable one; the pre-promotion analysis judges the preview; the rollout pauses
//! when `autoPromotionEnabled` is false (until promoted) or when `autoPromotionSeconds` is set
//! (until that many seconds have passed); then the active service switches to the new version and
//! the post-promotion analysis runs: its failure aborts, which switches the active service back
//! to the stable version. On success the new version is stable and the old one keeps its pods for
//! `scaleDownDelaySeconds` (so an instant switch back stays possible) before being scaled down.

use super::ledger::{DeployKind, Ledger};
use super::{
    ArgoEvent, ArgoEventKind, PauseReason, Refusal, RolloutPhase, RolloutStatus, RunPurpose,
    RunRecord,
};
use crate::analysis::{AnalysisPhase, MetricSource};
use crate::routing::TrafficPlan;
use crate::spec::{AnalysisRef, AnalysisTemplate, BlueGreenStrategy, Rollout, SpecSet};
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
    ledger: Ledger,
    strategy: BlueGreenStrategy,
    active: VersionName,
    stage: Stage,
    current_run: Option<usize>,
    /// The previous stable version keeps its pods until this instant.
    old_scaled_down_at: Option<(VersionName, TimeMs)>,
}

impl BlueGreenController {
    pub fn new(
        rollout: &Rollout,
        strategy: BlueGreenStrategy,
        specs: SpecSet,
        stable: VersionName,
    ) -> BlueGreenController {
        BlueGreenController {
            active: stable.clone(),
            ledger: Ledger::new(rollout, specs, stable),
            strategy,
            stage: Stage::PrePromotion,
            current_run: None,
            old_scaled_down_at: None,
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

    pub fn deploy(&mut self, version: VersionName, now: TimeMs) {
        let kind = self.ledger.deploy(version, now, self.current_run.take());
        self.stage = Stage::PrePromotion;
        self.active = self.ledger.stable.clone();
        if kind == DeployKind::WithinWindow {
            self.switch_active(now);
            self.complete(now);
        }
    }

    pub fn undo(&mut self, now: TimeMs) -> Result<(), Refusal> {
        let previous = self.ledger.previous_revision()?;
        self.deploy(previous, now);
        Ok(())
    }

    fn stop_run(&mut self, now: TimeMs) {
        if let Some(index) = self.current_run.take() {
            self.ledger.stop_run(index, now);
        }
    }

    /// Whether a promote would be taken now: a full one whenever an update is under way, a plain
    /// one only at the pause before the switch.
    pub fn check_promote(&self, full: bool) -> Result<(), Refusal> {
        self.ledger
            .check_can_promote("retry it, or deploy a new version")?;
        if !full && !matches!(self.stage, Stage::Paused { .. }) {
            return Err(Refusal::new(
                "the rollout is not paused",
                "promote --full skips the analysis; otherwise wait for it to finish",
            ));
        }
        Ok(())
    }

    /// Ends the pause (switching the active service); `full` also skips the analyses.
    pub fn promote(&mut self, now: TimeMs, full: bool) -> Result<(), Refusal> {
        self.check_promote(full)?;
        if full {
            self.ledger.log(now, ArgoEventKind::FullyPromoted);
            self.stop_run(now);
            if self.active != *self.ledger.candidate.as_ref().unwrap_or(&self.active) {
                self.switch_active(now);
            }
            self.complete(now);
            return Ok(());
        }
        self.ledger.log(now, ArgoEventKind::Promoted);
        self.ledger.log(now, ArgoEventKind::Resumed);
        self.switch_active(now);
        Ok(())
    }

    /// The active service goes back to (or stays on) the stable version; phase Degraded.
    pub fn abort(&mut self, now: TimeMs, reason: String) -> Result<(), Refusal> {
        self.ledger.check_can_abort()?;
        self.stop_run(now);
        if self.active != self.ledger.stable {
            self.active = self.ledger.stable.clone();
            self.ledger.log(
                now,
                ArgoEventKind::ActiveSwitched(self.ledger.stable.clone()),
            );
        }
        self.ledger.mark_aborted(now, reason);
        Ok(())
    }

    pub fn retry(&mut self, now: TimeMs) -> Result<(), Refusal> {
        self.ledger.retry(now)?;
        self.stage = Stage::PrePromotion;
        Ok(())
    }

    fn switch_active(&mut self, now: TimeMs) {
        if let Some(candidate) = &self.ledger.candidate {
            self.active = candidate.clone();
            self.ledger
                .log(now, ArgoEventKind::ActiveSwitched(candidate.clone()));
        }
        self.stage = Stage::PostPromotion;
    }

    fn complete(&mut self, now: TimeMs) {
        self.stop_run(now);
        if let Some(candidate) = self.ledger.candidate.take() {
            let old = std::mem::replace(&mut self.ledger.stable, candidate.clone());
            self.old_scaled_down_at = Some((old, now.plus(self.strategy.scale_down_delay)));
            self.ledger.log(now, ArgoEventKind::Completed(candidate));
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
                let index = self.ledger.start_run(reference, purpose, now, false, &[])?;
                self.current_run = Some(index);
                index
            }
        };
        let phase = self.ledger.advance_run(index, now, source);
        if phase.is_some() {
            self.current_run = None;
        }
        Ok(phase)
    }

    pub fn advance(&mut self, now: TimeMs, source: &dyn MetricSource) {
        while self.ledger.candidate.is_some() && self.ledger.aborted.is_none() {
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
                    self.ledger.log(until, ArgoEventKind::Resumed);
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
                self.ledger.log(at, ArgoEventKind::ScaledDown(old));
                self.old_scaled_down_at = None;
            }
        }
    }

    fn pause(&mut self, now: TimeMs, reason: PauseReason, until: Option<TimeMs>) {
        self.stage = Stage::Paused { reason, until };
        self.ledger.log(now, ArgoEventKind::Paused(reason));
    }

    fn abort_for(&mut self, now: TimeMs, reason: String) {
        // An update is under way here, so the abort is always accepted.
        let _ = self.abort(now, reason);
    }

    pub fn plan(&self) -> TrafficPlan {
        let mut plan = TrafficPlan::all_to(self.active.clone());
        if self.ledger.aborted.is_none() {
            plan.preview = self.ledger.candidate.clone();
        }
        plan
    }

    pub fn phase(&self) -> RolloutPhase {
        if self.ledger.aborted.is_some() {
            return RolloutPhase::Degraded;
        }
        match (&self.ledger.candidate, self.stage) {
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
        let mut replicas = vec![(self.ledger.stable.clone(), self.ledger.replicas)];
        if let Some((old, at)) = &self.old_scaled_down_at {
            if *at > now {
                replicas.push((old.clone(), self.ledger.replicas));
            }
        }
        if let Some(candidate) = &self.ledger.candidate {
            let pods = match (&self.ledger.aborted, self.stage) {
                (Some((at, _)), _) if now.since(*at) >= self.strategy.abort_scale_down_delay => 0,
                (None, Stage::PrePromotion | Stage::Paused { .. }) => self
                    .strategy
                    .preview_replica_count
                    .unwrap_or(self.ledger.replicas),
                _ => self.ledger.replicas,
            };
            replicas.push((candidate.clone(), pods));
        }
        let candidate_active = self.ledger.candidate.as_ref() == Some(&self.active);
        let message = match (&self.ledger.aborted, self.stage) {
            (Some((_, reason)), _) => format!("RolloutAborted: {reason}"),
            (None, Stage::Paused { reason, .. }) if self.ledger.candidate.is_some() => {
                reason.as_str().to_string()
            }
            _ => String::new(),
        };
        RolloutStatus {
            phase: self.phase(),
            message,
            stable: self.ledger.stable.clone(),
            candidate: self.ledger.candidate.clone(),
            step_index: None,
            step_count: 0,
            set_weight_percent: if candidate_active { 100 } else { 0 },
            actual_weight_percent: if candidate_active { 100 } else { 0 },
            pause_ends_at: match self.stage {
                Stage::Paused { until, .. } if self.ledger.candidate.is_some() => until,
                _ => None,
            },
            replicas,
        }
    }
}
