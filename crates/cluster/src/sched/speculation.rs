//! Speculative execution (`spark.speculation`,
//! <https://spark.apache.org/docs/latest/configuration.html#scheduling>).
//!
//! Once `spark.speculation.quantile` (0.75) of a stage's tasks have succeeded, a task running
//! longer than `spark.speculation.multiplier` (1.5) times the median duration of the stage's
//! succeeded tasks, and at least [`MIN_SPECULATION_TICKS`] (Spark's
//! `spark.speculation.minTaskRuntime`), gets one speculative copy on a different live executor
//! with a free slot. Whichever attempt finishes first wins; the other is killed. As in Spark's
//! `TaskSetManager.checkSpeculatableTasks`, the quantile is floored and at least one task must
//! have succeeded.

use super::job_run::{StageRun, TaskState};
use super::launch::TaskRef;
use super::{Cluster, ClusterEvent, TaskAttempt};

/// `spark.speculation.quantile` as a fraction: 3/4.
const QUANTILE_NUMERATOR: usize = 3;
const QUANTILE_DENOMINATOR: usize = 4;

/// `spark.speculation.multiplier` as a fraction: 3/2.
const MULTIPLIER_NUMERATOR: u64 = 3;
const MULTIPLIER_DENOMINATOR: u64 = 2;

/// The least elapsed ticks before a task counts as a straggler.
pub(super) const MIN_SPECULATION_TICKS: u64 = 2;

/// How many of `tasks` must have succeeded before any is speculated: floor(0.75 x tasks), at
/// least 1.
pub(super) fn min_succeeded_for_speculation(tasks: usize) -> usize {
    (tasks * QUANTILE_NUMERATOR / QUANTILE_DENOMINATOR).max(1)
}

/// Twice the median of the durations (the mean of the middle two for an even count), kept
/// doubled so it stays an integer; None when empty.
pub(super) fn doubled_median_ticks(durations_ticks: &mut [u64]) -> Option<u64> {
    durations_ticks.sort_unstable();
    let n = durations_ticks.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(durations_ticks[n / 2] * 2),
        _ => Some(durations_ticks[n / 2 - 1] + durations_ticks[n / 2]),
    }
}

/// Whether a task running for `elapsed_ticks` is a straggler against the median duration
/// (given doubled): elapsed > 1.5 x median and elapsed >= [`MIN_SPECULATION_TICKS`].
pub(super) fn is_straggler(elapsed_ticks: u64, doubled_median_ticks: u64) -> bool {
    let elapsed_scaled = elapsed_ticks.saturating_mul(2 * MULTIPLIER_DENOMINATOR);
    let threshold_scaled = doubled_median_ticks.saturating_mul(MULTIPLIER_NUMERATOR);
    elapsed_ticks >= MIN_SPECULATION_TICKS && elapsed_scaled > threshold_scaled
}

impl Cluster {
    /// Launches one speculative copy of each straggler that finds a slot on another executor.
    pub(super) fn launch_speculative_copies(&mut self, events: &mut Vec<ClusterEvent>) {
        if !self.config.speculation {
            return;
        }
        let Some(job) = self.active_job else { return };
        let Some(run) = &self.jobs[job].run else {
            return;
        };
        let stragglers: Vec<(TaskRef, usize)> = (0..run.stages.len())
            .filter(|&stage| run.runnable(stage))
            .flat_map(|stage_index| {
                stragglers_of(&run.stages[stage_index], &self.attempts, self.now_tick)
                    .into_iter()
                    .map(move |(task_index, attempt)| {
                        let task = TaskRef {
                            stage_index,
                            task_index,
                        };
                        (task, attempt)
                    })
            })
            .collect();
        for (task, original) in stragglers {
            let original_executor = usize::from(self.attempts[original].executor.0);
            let Some(slot) = self.first_free_slot(Some(original_executor)) else {
                continue;
            };
            let copy = self.launch_attempt(job, task, slot, true);
            if let Some(run) = self.jobs[job].run.as_mut() {
                run.stages[task.stage_index].tasks[task.task_index].speculated = true;
            }
            let launched = &self.attempts[copy];
            events.push(ClusterEvent::SpeculativeLaunched {
                job: launched.job,
                stage: launched.stage,
                partition: launched.partition,
            });
        }
    }
}

/// The stage's tasks (index, their one running attempt) that deserve a speculative copy now.
fn stragglers_of(stage: &StageRun, attempts: &[TaskAttempt], now_tick: u64) -> Vec<(usize, usize)> {
    let mut succeeded_ticks: Vec<u64> = stage
        .tasks
        .iter()
        .filter_map(|task| match task.state {
            TaskState::Done { attempt, .. } => {
                let won = &attempts[attempt];
                Some(won.end_tick.unwrap_or(now_tick) - won.start_tick)
            }
            TaskState::Pending | TaskState::Running(_) => None,
        })
        .collect();
    if succeeded_ticks.len() < min_succeeded_for_speculation(stage.tasks.len()) {
        return Vec::new();
    }
    let Some(median_x2) = doubled_median_ticks(&mut succeeded_ticks) else {
        return Vec::new();
    };
    stage
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, task)| !task.speculated)
        .filter_map(|(index, task)| match &task.state {
            TaskState::Running(running) if running.len() == 1 => Some((index, running[0])),
            _ => None,
        })
        .filter(|&(_, attempt)| is_straggler(now_tick - attempts[attempt].start_tick, median_x2))
        .collect()
}
