//! The rollout engine's time, versions and users.
//!
//! Time is [`TimeMs`], milliseconds of lab time since the lab started; intervals, pauses, delays
//! and windows are [`DurationMs`]. A model version is named by a [`VersionName`] and a user by a
//! [`UserId`] that stays the same across requests (so sticky routing and per-user assignment can
//! be shown). A ReplicaSet's pods carry a [`PodTemplateHash`], as Argo labels them
//! `rollouts-pod-template-hash`, so metrics can tell two ReplicaSets of one version apart.

use std::fmt;

/// An instant of lab time: milliseconds since the lab started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeMs(pub u64);

/// A length of lab time in milliseconds (an interval, a pause, a delay, a query's range).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DurationMs(pub u64);

impl DurationMs {
    /// A duration of whole seconds, saturating.
    pub fn from_seconds(seconds: u64) -> DurationMs {
        DurationMs(seconds.saturating_mul(1000))
    }
}

impl TimeMs {
    /// This instant plus `duration`, saturating.
    pub fn plus(self, duration: DurationMs) -> TimeMs {
        TimeMs(self.0.saturating_add(duration.0))
    }

    /// The time from `earlier` to this instant (zero when `earlier` is later).
    pub fn since(self, earlier: TimeMs) -> DurationMs {
        DurationMs(self.0.saturating_sub(earlier.0))
    }
}

/// A model version's name, as its ReplicaSet or Deployment would be labelled ("v1", "v2").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VersionName(pub String);

impl fmt::Display for VersionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A simulated user; the same user sends many requests over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u64);

/// The `rollouts-pod-template-hash` label of one ReplicaSet's pods (Argo copies Kubernetes'
/// pod-template-hash: a 32-bit hash of the template written with Kubernetes' safe alphabet, so it
/// never spells a word). The rollout's own ReplicaSet of a version hashes the version's name; an
/// experiment's ReplicaSet hashes its own name as well, so a baseline of the stable version is told
/// apart from the stable ReplicaSet itself.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodTemplateHash(pub String);

/// The characters Kubernetes' `rand.SafeEncodeString` maps bytes onto (no vowels, no 0, 1 or 3).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl PodTemplateHash {
    /// The hash of the rollout's ReplicaSet running `version`.
    pub fn of_version(version: &VersionName) -> PodTemplateHash {
        PodTemplateHash::of_template(&version.0)
    }

    /// The hash of an experiment's ReplicaSet `replica_set` (named after the experiment and its
    /// template) running `version`.
    pub fn of_experiment(version: &VersionName, replica_set: &str) -> PodTemplateHash {
        PodTemplateHash::of_template(&format!("{}/{replica_set}", version.0))
    }

    /// FNV-1a 32 of the template's identity, its decimal digits mapped onto the safe alphabet as
    /// Kubernetes' `ComputeHash` does.
    fn of_template(identity: &str) -> PodTemplateHash {
        let hash = identity.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let text = hash
            .to_string()
            .bytes()
            .map(|b| char::from(SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()]))
            .collect();
        PodTemplateHash(text)
    }
}

impl fmt::Display for PodTemplateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
