//! What both of Argo's controllers keep about one Rollout, whatever its strategy: the revision
//! history (for `undo` and the rollback window), the stable and candidate versions, whether the
//! update is aborted, the AnalysisRuns it started and the timed event log. The canary and
//! blue-green controllers each own one and keep only their strategy's own progress beside it.

use super::history::History;
use super::{ArgoEvent, ArgoEventKind, Refusal, RunPurpose, RunRecord};
use crate::analysis::{AnalysisPhase, AnalysisRun, MetricSource};
use crate::spec::{run_spec, AnalysisRef, AnalysisTemplate, PodHashes, Rollout, SpecSet};
use crate::value::{PodTemplateHash, TimeMs, VersionName};

/// What a deploy turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DeployKind {
    /// The stable version again: there is no update.
    StableAgain,
    /// A rollback inside the window: the update completes without its steps.
    WithinWindow,
    /// An update that walks the strategy.
    Update,
}

/// The shared record of one Rollout.
#[derive(Clone, Debug)]
pub(super) struct Ledger {
    name: String,
    pub(super) replicas: u32,
    rollback_window: u32,
    specs: SpecSet,
    history: History,
    pub(super) stable: VersionName,
    /// The version being rolled out, if an update is under way.
    pub(super) candidate: Option<VersionName>,
    /// When and why the update was aborted.
    pub(super) aborted: Option<(TimeMs, String)>,
    pub(super) runs: Vec<RunRecord>,
    events: Vec<ArgoEvent>,
}

impl Ledger {
    /// The record of a rollout whose first revision `stable` is already running.
    pub(super) fn new(rollout: &Rollout, specs: SpecSet, stable: VersionName) -> Ledger {
        let mut history = History::default();
        history.record(&stable);
        Ledger {
            name: rollout.name.clone(),
            replicas: rollout.replicas,
            rollback_window: rollout.rollback_window_revisions,
            specs,
            history,
            stable,
            candidate: None,
            aborted: None,
            runs: Vec::new(),
            events: Vec::new(),
        }
    }

    pub(super) fn events(&self) -> &[ArgoEvent] {
        &self.events
    }

    pub(super) fn runs(&self) -> &[RunRecord] {
        &self.runs
    }

    /// Runs started from now on (after a retry, at the next analysis step) read these templates;
    /// a run already under way keeps the copy it was created with, and the rollout keeps its place.
    pub(super) fn replace_templates(&mut self, templates: Vec<AnalysisTemplate>) {
        self.specs.templates = templates;
    }

    pub(super) fn log(&mut self, at: TimeMs, kind: ArgoEventKind) {
        self.events.push(ArgoEvent { at, kind });
    }

    /// A new pod template: logs it, terminates the `live_runs`, records the revision and makes
    /// `version` the candidate (none when it is the stable version again).
    pub(super) fn deploy(
        &mut self,
        version: VersionName,
        now: TimeMs,
        live_runs: impl IntoIterator<Item = usize>,
    ) -> DeployKind {
        self.log(now, ArgoEventKind::Deployed(version.clone()));
        for index in live_runs {
            self.stop_run(index, now);
        }
        let within_window =
            self.history
                .rollback_within_window(&version, &self.stable, self.rollback_window);
        self.history.record(&version);
        self.aborted = None;
        if version == self.stable {
            self.candidate = None;
            self.log(
                now,
                ArgoEventKind::StepsSkipped("the stable version was deployed again".to_string()),
            );
            return DeployKind::StableAgain;
        }
        let kind = if within_window {
            self.log(
                now,
                ArgoEventKind::StepsSkipped(format!("{version} is inside the rollback window")),
            );
            DeployKind::WithinWindow
        } else {
            DeployKind::Update
        };
        self.candidate = Some(version);
        kind
    }

    /// The revision `kubectl argo rollouts undo` goes back to.
    pub(super) fn previous_revision(&self) -> Result<VersionName, Refusal> {
        self.history.previous().cloned().ok_or_else(|| {
            Refusal::new(
                "there is no previous revision to go back to",
                "deploy a second version first",
            )
        })
    }

    /// A promote needs an update under way that is not aborted (`aborted_hint` says what then).
    pub(super) fn check_can_promote(&self, aborted_hint: &str) -> Result<(), Refusal> {
        if self.candidate.is_none() {
            return Err(Refusal::new(
                "there is no update to promote",
                "deploy a new version first",
            ));
        }
        if self.aborted.is_some() {
            return Err(Refusal::new("the rollout is aborted", aborted_hint));
        }
        Ok(())
    }

    /// An abort needs an update under way that is not aborted yet.
    pub(super) fn check_can_abort(&self) -> Result<(), Refusal> {
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
        Ok(())
    }

    pub(super) fn mark_aborted(&mut self, now: TimeMs, reason: String) {
        self.log(now, ArgoEventKind::Aborted(reason.clone()));
        self.aborted = Some((now, reason));
    }

    /// A retry needs an aborted rollout.
    pub(super) fn check_can_retry(&self) -> Result<(), Refusal> {
        if self.aborted.is_none() {
            return Err(Refusal::new(
                "only an aborted rollout can be retried",
                "abort it first, or promote it",
            ));
        }
        Ok(())
    }

    /// Clears the abort of an aborted rollout, logging the retry.
    pub(super) fn retry(&mut self, now: TimeMs) -> Result<(), Refusal> {
        self.check_can_retry()?;
        self.aborted = None;
        self.log(now, ArgoEventKind::Retried);
        Ok(())
    }

    /// The pod-template-hash of the experiment ReplicaSet `template` started at step `step` of
    /// the current update, running `version` (Argo names it `<rollout>-<revision>-<step>-<template>`).
    pub(super) fn experiment_hash(
        &self,
        step: usize,
        template: &str,
        version: &VersionName,
    ) -> PodTemplateHash {
        let revision = self.candidate.as_ref().map_or("", |c| c.0.as_str());
        let replica_set = format!("{}-{revision}-{step}-{template}", self.name);
        PodTemplateHash::of_experiment(version, &replica_set)
    }

    /// Starts a run of `reference` for the candidate, named `<rollout>-<revision>-<n>`, its
    /// arguments resolved against the stable and newest ReplicaSets' hashes and those of the
    /// `experiment` ReplicaSets running (by template name).
    pub(super) fn start_run(
        &mut self,
        reference: &AnalysisRef,
        purpose: RunPurpose,
        now: TimeMs,
        background: bool,
        experiment: &[(String, PodTemplateHash)],
    ) -> Result<usize, String> {
        let revision = self
            .candidate
            .as_ref()
            .map_or("", |c| c.0.as_str())
            .to_string();
        let name = format!("{}-{}-{}", self.name, revision, self.runs.len() + 1);
        let hashes = PodHashes {
            stable: PodTemplateHash::of_version(&self.stable),
            latest: PodTemplateHash::of_version(self.candidate.as_ref().unwrap_or(&self.stable)),
            templates: experiment.to_vec(),
        };
        let spec = run_spec(&self.specs, &reference.resolved(&hashes)?, &name)?;
        self.runs.push(RunRecord {
            purpose,
            run: AnalysisRun::start(spec, now, background),
        });
        self.log(now, ArgoEventKind::AnalysisStarted { name });
        Ok(self.runs.len() - 1)
    }

    /// Advances a run to `now`; once it has ended, logs the end and returns its phase. A run that
    /// had already ended is logged again, so callers forget a run once it has ended.
    pub(super) fn advance_run(
        &mut self,
        index: usize,
        now: TimeMs,
        source: &dyn MetricSource,
    ) -> Option<AnalysisPhase> {
        let run = &mut self.runs[index].run;
        run.advance(now, source);
        if !run.is_completed() {
            return None;
        }
        let (name, phase, ended) = (
            run.name().to_string(),
            run.phase(),
            run.completed_at().unwrap_or(now),
        );
        self.log(ended, ArgoEventKind::AnalysisFinished { name, phase });
        Some(phase)
    }

    /// Terminates a run still going (Argo's `terminate: true`), logging its end.
    pub(super) fn stop_run(&mut self, index: usize, now: TimeMs) {
        let run = &mut self.runs[index].run;
        if run.is_completed() {
            return;
        }
        run.terminate(now);
        let (name, phase) = (run.name().to_string(), run.phase());
        self.log(now, ArgoEventKind::AnalysisFinished { name, phase });
    }
}
