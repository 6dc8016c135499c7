//! Launching attempts: pending tasks of runnable stages into free slots, with delay scheduling
//! for tasks whose cached block lives on an executor.
//!
//! Order: stages in order, partitions in order; a task takes the first free slot of the
//! executors by id, slots by index. A task whose cached block is in a live executor's memory
//! waits up to `spark.locality.wait` ([`LOCALITY_WAIT_TICKS`]) for a slot on that executor
//! (<https://spark.apache.org/docs/latest/tuning.html#data-locality>), then runs anywhere and
//! recomputes the block (a miss).

use super::job_run::TaskState;
use super::timing::task_duration_ticks;
use super::{AttemptPlan, AttemptState, Cluster, TaskAttempt, LOCALITY_WAIT_TICKS};

/// A task of the running job, by stage and task index in its spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TaskRef {
    pub(super) stage_index: usize,
    pub(super) task_index: usize,
}

/// A free slot: executor index and slot index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SlotRef {
    pub(super) executor_index: usize,
    pub(super) slot: u16,
}

impl Cluster {
    /// Launches every pending task of the running job's runnable stages that finds a slot.
    pub(super) fn launch_pending_tasks(&mut self) {
        let Some(job) = self.active_job else { return };
        let Some(run) = &self.jobs[job].run else {
            return;
        };
        let pending: Vec<TaskRef> = (0..run.stages.len())
            .filter(|&stage| run.runnable(stage))
            .flat_map(|stage_index| {
                run.stages[stage_index]
                    .tasks
                    .iter()
                    .enumerate()
                    .filter(|(_, task)| task.state == TaskState::Pending)
                    .map(move |(task_index, _)| TaskRef {
                        stage_index,
                        task_index,
                    })
            })
            .collect();
        for task in pending {
            if let Some(slot) = self.slot_for(job, task) {
                self.launch_attempt(job, task, slot, false);
            }
        }
    }

    /// Where a pending task launches now, if anywhere: its cached block's executor when that has
    /// a free slot; any free slot once it has waited `LOCALITY_WAIT_TICKS` (or has no block
    /// in memory); else it keeps waiting.
    fn slot_for(&mut self, job: usize, task: TaskRef) -> Option<SlotRef> {
        let now = self.now_tick;
        let spec = &self.jobs[job].spec.stages[task.stage_index].tasks[task.task_index];
        let holder = spec
            .cache
            .as_ref()
            .and_then(|input| self.block_holder(&input.block));
        let run = self.jobs[job].run.as_mut()?;
        let task_run = &mut run.stages[task.stage_index].tasks[task.task_index];
        let waiting_since = *task_run.waiting_since_tick.get_or_insert(now);
        if let Some(executor_index) = holder {
            if let Some(slot) = self.executors[executor_index].free_slot() {
                return Some(SlotRef {
                    executor_index,
                    slot,
                });
            }
            if now - waiting_since < LOCALITY_WAIT_TICKS {
                return None;
            }
        }
        self.first_free_slot(None)
    }

    /// The first free slot by executor id and slot index, skipping `except` (an executor index).
    pub(super) fn first_free_slot(&self, except: Option<usize>) -> Option<SlotRef> {
        self.executors
            .iter()
            .enumerate()
            .filter(|&(index, _)| Some(index) != except)
            .find_map(|(executor_index, executor)| {
                executor.free_slot().map(|slot| SlotRef {
                    executor_index,
                    slot,
                })
            })
    }

    /// Starts an attempt of a task of the running job in a free slot; returns its index.
    pub(super) fn launch_attempt(
        &mut self,
        job: usize,
        task: TaskRef,
        slot: SlotRef,
        speculative: bool,
    ) -> usize {
        let index = self.attempts.len();
        let executor = &mut self.executors[slot.executor_index];
        let record = &mut self.jobs[job];
        let spec = &record.spec.stages[task.stage_index];
        let task_spec = &spec.tasks[task.task_index];
        let cache_hit = task_spec
            .cache
            .as_ref()
            .is_some_and(|input| executor.blocks.holds(&input.block));
        let duration_ticks =
            task_duration_ticks(task_spec, cache_hit, executor.speed_percent, &self.config);
        let mut attempt_number = 0;
        if let Some(run) = record.run.as_mut() {
            let task_run = &mut run.stages[task.stage_index].tasks[task.task_index];
            attempt_number = task_run.attempts_launched;
            task_run.attempts_launched = task_run.attempts_launched.saturating_add(1);
            match &mut task_run.state {
                TaskState::Running(attempts) => attempts.push(index),
                state => *state = TaskState::Running(vec![index]),
            }
        }
        executor.slots[usize::from(slot.slot)] = Some(index);
        self.attempts.push(TaskAttempt {
            job: super::job_id(job),
            stage: spec.id,
            partition: task_spec.partition,
            attempt: attempt_number,
            executor: executor.id,
            slot: slot.slot,
            start_tick: self.now_tick,
            end_tick: None,
            state: AttemptState::Running,
            speculative,
            cache_hit,
        });
        self.plans.push(AttemptPlan {
            stage_index: task.stage_index,
            task_index: task.task_index,
            duration_ticks,
        });
        index
    }
}
