//! Stream joins: an interval join of two streams and a join of a stream with a changing table.
//!
//! A two-input operator reads both inputs as one job: partitions `0..left_partitions` carry the
//! left input (the stream) and the next `right_partitions` the right input (the other stream, or
//! the table's changelog). One watermark covers all of them (Flink's two-input operators take the
//! minimum of their inputs' watermarks), so a quiet input holds both sides back until its
//! partitions turn idle.
//!
//! - [`interval`]: Flink's `IntervalJoinOperator` (`a.ts BETWEEN b.ts - lower AND b.ts + upper`),
//!   with state bounded by the watermark.
//! - [`temporal`]: a stream row joined with the table's version as of its event time (Flink's
//!   `FOR SYSTEM_TIME AS OF` event-time temporal join, the feature store's point-in-time rule),
//!   or with the table's current value on processing time (a lookup join), which depends on arrival.
//!
//! Equality on the key follows SQL: a key holding NULL matches nothing.

pub mod interval;
pub mod temporal;

pub use interval::{IntervalJoin, IntervalJoinConfig, IntervalJoinStats};
pub use temporal::{
    JoinKind, JoinTime, StreamTableJoin, StreamTableJoinConfig, StreamTableJoinStats,
};

use crate::value::{DurationUs, Key, StreamError};
use crate::watermark::{validate_settings, PartitionId, WatermarkTracker};

/// The inputs of a two-input operator and their shared watermark's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinInputs {
    /// Partitions `0..left_partitions` carry the left input.
    pub left_partitions: u32,
    /// The next `right_partitions` partitions carry the right input.
    pub right_partitions: u32,
    /// The watermark is the maximum event time seen minus this delay (per partition).
    pub delay: DurationUs,
    /// A partition with no row for this long (processing time) stops holding the watermark back.
    pub idle_timeout: Option<DurationUs>,
}

/// Which input a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Left,
    Right,
}

impl JoinInputs {
    /// Refuses an input with no partition, a negative delay or a non-positive idle timeout.
    pub fn validate(&self) -> Result<(), StreamError> {
        if self.left_partitions == 0 || self.right_partitions == 0 {
            return Err(StreamError::new(
                "a join needs at least one partition on each input",
                "give both the left and the right input one partition or more",
            ));
        }
        if self
            .left_partitions
            .checked_add(self.right_partitions)
            .is_none()
        {
            return Err(StreamError::new(
                "a join's inputs have too many partitions",
                "use fewer partitions",
            ));
        }
        validate_settings(self.delay, self.idle_timeout)
    }

    /// All partitions of both inputs.
    pub fn partitions(&self) -> u32 {
        self.left_partitions.saturating_add(self.right_partitions)
    }

    /// The input a partition belongs to (partitions past the left ones are the right input's).
    pub fn side_of(&self, partition: PartitionId) -> Side {
        if partition.0 < self.left_partitions {
            Side::Left
        } else {
            Side::Right
        }
    }

    /// The shared watermark over both inputs.
    fn tracker(&self) -> WatermarkTracker {
        WatermarkTracker::new(self.partitions(), self.delay, self.idle_timeout)
    }
}

/// Whether a key can match under SQL equality (no NULL in it).
fn is_matchable(key: &Key) -> bool {
    !key.iter().any(|v| v.is_null())
}
