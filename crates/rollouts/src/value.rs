//! The rollout engine's time, versions and users.
//!
//! Time is [`TimeMs`], milliseconds of lab time since the lab started; intervals, pauses, delays
//! and windows are [`DurationMs`]. A model version is named by a [`VersionName`] and a user by a
//! [`UserId`] that stays the same across requests (so sticky routing and per-user assignment can
//! be shown).

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
