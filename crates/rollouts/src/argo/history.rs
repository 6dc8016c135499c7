//! The revisions of a rollout, for `undo` and the rollback window (Argo's `rollout/sync.go`
//! `isRollbackWithinWindow`): ReplicaSets are ordered by revision (a redeployed template gets the
//! newest revision) and, separately, by when they were first created (which a redeploy keeps).
//! An undo to a version created before the stable one, with fewer than `rollbackWindow.revisions`
//! versions created between them, skips the steps.

use crate::value::VersionName;

#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    /// Oldest revision first; a version appears once, at its latest revision.
    by_revision: Vec<VersionName>,
    /// In order of first creation.
    by_creation: Vec<VersionName>,
}

impl History {
    pub fn record(&mut self, version: &VersionName) {
        self.by_revision.retain(|v| v != version);
        self.by_revision.push(version.clone());
        if !self.by_creation.contains(version) {
            self.by_creation.push(version.clone());
        }
    }

    /// The revision before the newest: what `undo` goes back to.
    pub fn previous(&self) -> Option<&VersionName> {
        self.by_revision.iter().rev().nth(1)
    }

    /// Going to `target` while `stable` is stable is a rollback inside the window.
    pub fn rollback_within_window(
        &self,
        target: &VersionName,
        stable: &VersionName,
        window: u32,
    ) -> bool {
        let position = |v: &VersionName| self.by_creation.iter().position(|c| c == v);
        let (Some(target_at), Some(stable_at)) = (position(target), position(stable)) else {
            return false;
        };
        if window == 0 || target_at >= stable_at {
            return false;
        }
        let between = stable_at - target_at - 1;
        between < window as usize
    }
}
