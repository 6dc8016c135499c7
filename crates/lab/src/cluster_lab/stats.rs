//! What a job did on the cluster, read from the scheduler's attempts and the engines' runs: the
//! numbers behind the `cluster.*` goal metrics and the lab's fingerprint.
//!
//! Spark's UI shows the same for a stage (its "Summary Metrics for Completed Tasks": the median
//! and max task duration, shuffle read and write) and Hadoop's job history its counters; these are
//! the lab's versions, in ticks and bytes.

use super::{ClusterSettings, JobKind, LabJob};
use cluster::mapreduce::StreamingRun;
use cluster::sched::{AttemptState, Cluster, FailureReason, JobSpec, TaskAttempt};
use sim::state_hash::StateHasher;
use sql::distributed::JoinStrategy;
use std::collections::BTreeMap;

/// One job's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobStats {
    pub stages: u64,
    pub tasks: u64,
    /// Bytes its tasks wrote to shuffles (map outputs), all stages.
    pub shuffle_bytes: u64,
    pub broadcast_joins: u64,
    pub sort_merge_joins: u64,
    /// Shuffle partitions AQE split for skew.
    pub skew_splits: u64,
    /// Shuffle partitions AQE coalesced away (partitions read before minus tasks after).
    pub coalesced_partitions: u64,
    /// The longest and the median successful attempt, in ticks.
    pub max_task_ticks: u64,
    pub median_task_ticks: u64,
    pub failed_attempts: u64,
    pub fetch_failures: u64,
    pub speculative_attempts: u64,
    /// Attempts of tasks reading a cached block that found it in memory, and that did not.
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// Ticks from its start to its end (to now while it runs; 0 before it starts).
    pub ticks: u64,
}

/// The attempts of one job, in launch order.
fn job_attempts<'a>(cluster: &'a Cluster, job: &LabJob) -> Vec<&'a TaskAttempt> {
    cluster
        .attempts()
        .iter()
        .filter(|a| a.job == job.id)
        .collect()
}

/// Whether the task an attempt runs reads a cached block.
fn reads_cache(spec: &JobSpec, attempt: &TaskAttempt) -> bool {
    spec.stages
        .get(usize::from(attempt.stage.0))
        .and_then(|s| s.tasks.iter().find(|t| t.partition == attempt.partition))
        .is_some_and(|t| t.cache.is_some())
}

/// The durations of successful attempts, sorted.
fn success_ticks(attempts: &[&TaskAttempt]) -> Vec<u64> {
    let mut ticks: Vec<u64> = attempts
        .iter()
        .filter(|a| a.state == AttemptState::Succeeded)
        .filter_map(|a| a.end_tick.map(|end| end.saturating_sub(a.start_tick)))
        .collect();
    ticks.sort_unstable();
    ticks
}

/// The lower median (a learner compares it with the max, so it is always a real task's time).
fn median(sorted: &[u64]) -> u64 {
    match sorted.len() {
        0 => 0,
        n => sorted[(n - 1) / 2],
    }
}

/// A job's figures on the cluster that ran it.
pub fn job_stats(cluster: &Cluster, job: &LabJob) -> JobStats {
    let spec = cluster.job_spec(job.id);
    let attempts = job_attempts(cluster, job);
    let durations = success_ticks(&attempts);
    let count =
        |pred: &dyn Fn(&TaskAttempt) -> bool| attempts.iter().filter(|a| pred(a)).count() as u64;
    let cached: Vec<&&TaskAttempt> = attempts
        .iter()
        .filter(|a| spec.is_some_and(|s| reads_cache(s, a)))
        .collect();
    let mut stats = JobStats {
        stages: spec.map_or(0, |s| s.stages.len() as u64),
        tasks: spec.map_or(0, |s| s.stages.iter().map(|st| st.tasks.len() as u64).sum()),
        shuffle_bytes: spec.map_or(0, |s| {
            s.stages
                .iter()
                .flat_map(|st| &st.tasks)
                .map(|t| t.shuffle_write_bytes)
                .sum()
        }),
        max_task_ticks: durations.last().copied().unwrap_or(0),
        median_task_ticks: median(&durations),
        failed_attempts: count(&|a| matches!(a.state, AttemptState::Failed(_))),
        fetch_failures: count(&|a| a.state == AttemptState::Failed(FailureReason::FetchFailed)),
        speculative_attempts: count(&|a| a.speculative),
        cache_hits: cached.iter().filter(|a| a.cache_hit).count() as u64,
        cache_misses: cached.iter().filter(|a| !a.cache_hit).count() as u64,
        ticks: cluster.job_span(job.id).map_or(0, |(start, end)| {
            end.unwrap_or(cluster.now_tick()).saturating_sub(start)
        }),
        ..JobStats::default()
    };
    if let JobKind::Sql { run, .. } = &job.kind {
        stats.broadcast_joins = run
            .joins
            .iter()
            .filter(|j| matches!(j, JoinStrategy::BroadcastHash { .. }))
            .count() as u64;
        stats.sort_merge_joins = run
            .joins
            .iter()
            .filter(|j| matches!(j, JoinStrategy::SortMerge))
            .count() as u64;
        stats.skew_splits = run.stages.iter().map(|s| s.skew_splits.len() as u64).sum();
        stats.coalesced_partitions = run
            .stages
            .iter()
            .filter_map(|s| {
                s.coalesced_from
                    .map(|from| u64::from(from).saturating_sub(s.tasks.len() as u64))
            })
            .sum();
    }
    stats
}

/// An output line's key: its tab-separated fields up to the last one that is not a number (at
/// least the first), so the counts a reducer appends are left out: word count's word, pv/uv's
/// (event_type, source).
fn output_key(line: &str) -> &str {
    let mut end = line.find('\t').unwrap_or(line.len());
    let mut at = end;
    for field in line[end..].split('\t').skip(1) {
        at += 1 + field.len();
        if field.parse::<f64>().is_err() {
            end = at;
        }
    }
    &line[..end]
}

/// Output lines whose key ([`output_key`]) is on another line too: 0 for a job whose reducers
/// each saw all of their keys' values (a pv/uv job partitioned on all three key fields instead of
/// `-k1,2` counts one (event_type, source) in several reducers, each writing a partial row).
pub fn repeated_keys(run: &StreamingRun) -> u64 {
    let mut lines_per_key: BTreeMap<&str, u64> = BTreeMap::new();
    for line in run.output_lines() {
        *lines_per_key.entry(output_key(line)).or_default() += 1;
    }
    lines_per_key.values().filter(|n| **n > 1).sum()
}

/// The settings, field by field.
pub fn hash_settings(settings: &ClusterSettings, hasher: &mut StateHasher) {
    hasher.u64(u64::from(settings.executors));
    hasher.u64(u64::from(settings.cores_per_executor));
    hasher.u64(u64::from(settings.speculation));
    let sql = &settings.sql;
    hasher.u64(u64::from(sql.scan_partitions));
    hasher.u64(u64::from(sql.shuffle_partitions));
    hasher.u64(sql.broadcast_threshold_bytes.map_or(u64::MAX, |b| b));
    hasher.u64(u64::from(sql.aqe));
    hasher.u64(sql.advisory_partition_bytes);
    hasher.u64(u64::from(sql.skew_factor));
    hasher.u64(sql.skew_threshold_bytes);
    hasher.u64(sql.cached.len() as u64);
    for table in &sql.cached {
        hasher.str(table);
    }
}

fn state_tag(state: AttemptState) -> u64 {
    match state {
        AttemptState::Running => 0,
        AttemptState::Succeeded => 1,
        AttemptState::Failed(FailureReason::ExecutorLost) => 2,
        AttemptState::Failed(FailureReason::FetchFailed) => 3,
        AttemptState::Killed => 4,
    }
}

/// A cluster's clock, executors and every attempt it launched.
pub fn hash_cluster(cluster: &Cluster, hasher: &mut StateHasher) {
    hasher.u64(cluster.now_tick());
    for executor in cluster.executors() {
        hasher.u64(u64::from(executor.id.0));
        hasher.u64(u64::from(executor.alive));
        hasher.u64(u64::from(executor.speed_percent));
        hasher.u64(executor.storage_used_bytes);
        hasher.u64(executor.map_outputs as u64);
    }
    hasher.u64(cluster.attempts().len() as u64);
    for a in cluster.attempts() {
        hasher.u64(u64::from(a.job.0));
        hasher.u64(u64::from(a.stage.0));
        hasher.u64(u64::from(a.partition));
        hasher.u64(u64::from(a.attempt));
        hasher.u64(u64::from(a.executor.0));
        hasher.u64(u64::from(a.slot));
        hasher.u64(a.start_tick);
        hasher.u64(a.end_tick.map_or(u64::MAX, |t| t));
        hasher.u64(state_tag(a.state));
        hasher.u64(u64::from(a.speculative));
        hasher.u64(u64::from(a.cache_hit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_leave_the_counts_out() {
        assert_eq!(output_key("the\t12"), "the");
        assert_eq!(output_key("42\t3"), "42");
        assert_eq!(
            output_key("push_show\texp_a_1\t120\t45"),
            "push_show\texp_a_1"
        );
        assert_eq!(output_key("app_open\t\\N\t7\t2"), "app_open\t\\N");
        assert_eq!(output_key("lonely"), "lonely");
        assert_eq!(output_key("a\t1\tb\t2"), "a\t1\tb");
    }

    #[test]
    fn the_median_is_a_real_tasks_time() {
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[4]), 4);
        assert_eq!(median(&[1, 2, 9, 10]), 2);
        assert_eq!(median(&[1, 2, 9]), 2);
    }
}
