//! How long a task attempt takes, in ticks, fixed when it launches.
//!
//! compute = ceil(work / (`work_units_per_tick` x speed% / 100)), where work is the task's
//! `work_units` less the cached input's `source_work_units` on a cache hit; fetch =
//! ceil(`shuffle_read_bytes` / `network_bytes_per_tick`) (the shuffle read of Spark's task
//! metrics, <https://spark.apache.org/docs/latest/monitoring.html#executor-task-metrics>). The
//! duration is compute + fetch, at least one tick. A straggler at 25% computes 4x longer; its
//! fetch time is the same.

use super::{ClusterConfig, TaskSpec};

/// The attempt's duration in ticks on an executor at `speed_percent` (1..=100).
pub(super) fn task_duration_ticks(
    task: &TaskSpec,
    cache_hit: bool,
    speed_percent: u16,
    config: &ClusterConfig,
) -> u64 {
    let saved = match (&task.cache, cache_hit) {
        (Some(input), true) => input.source_work_units,
        _ => 0,
    };
    let work_units = task.work_units.saturating_sub(saved);
    let compute = compute_ticks(work_units, config.work_units_per_tick, speed_percent);
    let fetch = task
        .shuffle_read_bytes
        .div_ceil(config.network_bytes_per_tick.max(1));
    compute.saturating_add(fetch).max(1)
}

/// ceil(work / (rate x speed / 100)), in integers (work x 100 / (rate x speed)).
fn compute_ticks(work_units: u64, work_units_per_tick: u64, speed_percent: u16) -> u64 {
    let numerator = u128::from(work_units) * 100;
    let denominator = u128::from(work_units_per_tick.max(1)) * u128::from(speed_percent.max(1));
    u64::try_from(numerator.div_ceil(denominator)).unwrap_or(u64::MAX)
}
