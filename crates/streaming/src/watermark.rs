//! Event-time progress: a watermark per input partition and the job's watermark over them.
//!
//! Each partition's watermark is the largest event time it has delivered minus a bounded delay
//! (Flink's `BoundedOutOfOrdernessWatermarks`, Spark's `withWatermark`), emitted after every row
//! (a punctuated generator, so every row is a trigger). The job's watermark `W` is the minimum
//! over the active partitions, as Flink's `StatusWatermarkValve` merges its input channels, and it
//! never goes back. A partition that delivered nothing for `idle_timeout` of processing time is
//! idle and left out of the minimum (Flink's `WatermarksWithIdleness`); when every partition is
//! idle, `W` jumps to the largest partition watermark (the valve's flush). Without a timeout a
//! silent partition pins `W`, which is how Spark behaves. A partition that has delivered no row
//! yet counts as silent since the first moment the tracker saw (its first row or clock tick).

use std::collections::BTreeMap;

use crate::value::{DurationUs, StreamError, TimeUs};

/// An input partition of a stream (a topic partition, or 0 for a file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionId(pub u32);

/// One partition's progress, for the UI and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionWatermark {
    pub partition: PartitionId,
    /// The largest event time the partition delivered (None before its first row).
    pub max_ts: Option<TimeUs>,
    /// `max_ts - delay`, or `TimeUs::MIN` before the first row.
    pub watermark: TimeUs,
    /// Left out of the job's watermark after `idle_timeout` without a row.
    pub idle: bool,
    /// Processing time of its last row.
    pub last_arrival: Option<TimeUs>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct PartitionProgress {
    max_ts: Option<TimeUs>,
    idle: bool,
    last_arrival: Option<TimeUs>,
}

/// Refuses a negative delay and a timeout that is not positive.
pub fn validate_settings(
    delay: DurationUs,
    idle_timeout: Option<DurationUs>,
) -> Result<(), StreamError> {
    if delay.0 < 0 {
        return Err(StreamError::new(
            format!("the watermark delay must not be negative ({} µs)", delay.0),
            "the delay is how far behind the largest event time the watermark stays; use 0 for \
             in-order input",
        ));
    }
    if let Some(timeout) = idle_timeout {
        if timeout.0 <= 0 {
            return Err(StreamError::new(
                format!("the idle timeout must be positive ({} µs)", timeout.0),
                "leave the idle timeout off, or give the processing time after which a silent \
                 partition stops holding the watermark back",
            ));
        }
    }
    Ok(())
}

/// The watermark of a job over its input partitions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatermarkTracker {
    delay: DurationUs,
    idle_timeout: Option<DurationUs>,
    partitions: BTreeMap<PartitionId, PartitionProgress>,
    /// The job's watermark: monotone.
    current: TimeUs,
    /// The first processing time seen: partitions without rows are silent since then.
    clock_start: Option<TimeUs>,
}

impl WatermarkTracker {
    /// A tracker over `partitions` partitions (rows from a partition beyond them add it).
    /// `delay` should have passed [`validate_settings`].
    pub fn new(
        partitions: u32,
        delay: DurationUs,
        idle_timeout: Option<DurationUs>,
    ) -> WatermarkTracker {
        WatermarkTracker {
            delay,
            idle_timeout,
            partitions: sim::sort::collect_map(
                (0..partitions).map(|p| (PartitionId(p), PartitionProgress::default())),
            ),
            current: TimeUs::MIN,
            clock_start: None,
        }
    }

    /// A row of `partition` with event time `ts` arrived at processing time `arrival`: the
    /// partition is active again and its watermark may grow. Returns whether `W` changed.
    pub fn observe(&mut self, partition: PartitionId, ts: TimeUs, arrival: TimeUs) -> bool {
        self.clock_start.get_or_insert(arrival);
        let progress = self.partitions.entry(partition).or_default();
        progress.max_ts = Some(progress.max_ts.map_or(ts, |max| max.max(ts)));
        progress.idle = false;
        progress.last_arrival = Some(arrival);
        self.advance()
    }

    /// Processing time reached `now`: partitions silent for the idle timeout turn idle.
    /// Returns whether `W` changed.
    pub fn on_processing_time(&mut self, now: TimeUs) -> bool {
        let start = *self.clock_start.get_or_insert(now);
        if let Some(timeout) = self.idle_timeout {
            for progress in self.partitions.values_mut() {
                let silent_since = progress.last_arrival.unwrap_or(start);
                if now.0.saturating_sub(silent_since.0) >= timeout.0 {
                    progress.idle = true;
                }
            }
        }
        self.advance()
    }

    /// The job's watermark (`TimeUs::MIN` before any row).
    pub fn current(&self) -> TimeUs {
        self.current
    }

    /// The end of input: `W` goes to `TimeUs::MAX`, which fires everything.
    pub fn finish(&mut self) {
        self.current = TimeUs::MAX;
    }

    /// Each partition's progress, in partition order.
    pub fn partitions(&self) -> Vec<PartitionWatermark> {
        self.partitions
            .iter()
            .map(|(partition, progress)| PartitionWatermark {
                partition: *partition,
                max_ts: progress.max_ts,
                watermark: self.partition_watermark(progress),
                idle: progress.idle,
                last_arrival: progress.last_arrival,
            })
            .collect()
    }

    /// Feeds the tracker's state to a state hash.
    pub fn hash_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        hasher.u64(self.current.0 as u64);
        hasher.u64(self.partitions.len() as u64);
        for (partition, progress) in &self.partitions {
            hasher.u64(u64::from(partition.0));
            hasher.u64(progress.max_ts.map_or(0, |t| t.0 as u64 ^ 1 << 63));
            hasher.u64(u64::from(progress.idle));
            hasher.u64(progress.last_arrival.map_or(0, |t| t.0 as u64 ^ 1 << 63));
        }
    }

    fn partition_watermark(&self, progress: &PartitionProgress) -> TimeUs {
        progress
            .max_ts
            .map_or(TimeUs::MIN, |max| max.minus(self.delay))
    }

    /// `W := max(W, min over active partitions)`, or the max over all when every one is idle.
    fn advance(&mut self) -> bool {
        let active_min = self
            .partitions
            .values()
            .filter(|progress| !progress.idle)
            .map(|progress| self.partition_watermark(progress))
            .min();
        let candidate = active_min.unwrap_or_else(|| {
            self.partitions
                .values()
                .map(|progress| self.partition_watermark(progress))
                .max()
                .unwrap_or(TimeUs::MIN)
        });
        if candidate > self.current {
            self.current = candidate;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_is_the_max_event_time_minus_the_delay() {
        let mut tracker = WatermarkTracker::new(1, DurationUs(5), None);
        assert_eq!(tracker.current(), TimeUs::MIN);
        assert!(tracker.observe(PartitionId(0), TimeUs(20), TimeUs(0)));
        assert_eq!(tracker.current(), TimeUs(15));
        assert!(!tracker.observe(PartitionId(0), TimeUs(10), TimeUs(1)));
        assert_eq!(tracker.current(), TimeUs(15));
    }

    #[test]
    fn the_slowest_active_partition_holds_the_watermark() {
        let mut tracker = WatermarkTracker::new(2, DurationUs(0), Some(DurationUs(100)));
        tracker.observe(PartitionId(0), TimeUs(50), TimeUs(0));
        assert_eq!(tracker.current(), TimeUs::MIN);
        tracker.observe(PartitionId(1), TimeUs(10), TimeUs(1));
        assert_eq!(tracker.current(), TimeUs(10));
        assert!(!tracker.on_processing_time(TimeUs(100)));
        assert!(tracker.on_processing_time(TimeUs(101)));
        assert_eq!(tracker.current(), TimeUs(50));
        assert!(tracker.partitions()[1].idle);
    }

    #[test]
    fn negative_delays_and_timeouts_are_refused() {
        assert!(validate_settings(DurationUs(-1), None).is_err());
        assert!(validate_settings(DurationUs(0), Some(DurationUs(0))).is_err());
        assert!(validate_settings(DurationUs(0), Some(DurationUs(1))).is_ok());
    }
}
