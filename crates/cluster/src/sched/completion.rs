//! Attempts that finish: the first to reach its duration wins its task (a speculative race's
//! loser is killed, as Spark's `TaskSetManager` kills the other attempts of a task that
//! succeeded), frees its slot, and a computed cached block is kept where it ran if memory allows.

use super::job_run::TaskState;
use super::{AttemptPlan, AttemptState, Cluster, ExecutorId, TaskAttempt};

impl Cluster {
    /// Frees the slot an attempt holds.
    fn release_slot(&mut self, attempt: usize) {
        let TaskAttempt { executor, slot, .. } = self.attempts[attempt];
        self.executors[usize::from(executor.0)].slots[usize::from(slot)] = None;
    }

    /// Ends a running attempt in `state` now and frees its slot (the task's bookkeeping is the
    /// caller's).
    pub(super) fn end_attempt(&mut self, attempt: usize, state: AttemptState) {
        self.attempts[attempt].state = state;
        self.attempts[attempt].end_tick = Some(self.now_tick);
        self.release_slot(attempt);
    }

    /// Succeeds the attempts whose duration is up, in launch order; a speculative race's loser
    /// is killed.
    pub(super) fn finish_due_attempts(&mut self) {
        let mut due: Vec<usize> = self
            .executors
            .iter()
            .flat_map(|executor| executor.slots.iter().flatten().copied())
            .filter(|&a| {
                self.attempts[a].start_tick + self.plans[a].duration_ticks <= self.now_tick
            })
            .collect();
        sim::sort::sort(&mut due);
        for attempt in due {
            if self.attempts[attempt].state == AttemptState::Running {
                self.succeed_attempt(attempt);
            }
        }
    }

    fn succeed_attempt(&mut self, attempt: usize) {
        self.end_attempt(attempt, AttemptState::Succeeded);
        let AttemptPlan {
            stage_index,
            task_index,
            ..
        } = self.plans[attempt];
        let executor = self.attempts[attempt].executor;
        let Some(job) = self.active_job else { return };
        let Some(run) = self.jobs[job].run.as_mut() else {
            return;
        };
        let task = &mut run.stages[stage_index].tasks[task_index];
        let losers = match std::mem::replace(&mut task.state, TaskState::Done { attempt, executor })
        {
            TaskState::Running(attempts) => attempts,
            TaskState::Pending | TaskState::Done { .. } => Vec::new(),
        };
        for loser in losers.into_iter().filter(|&l| l != attempt) {
            self.end_attempt(loser, AttemptState::Killed);
        }
        if !self.attempts[attempt].cache_hit {
            self.cache_computed_block(job, stage_index, task_index, executor);
        }
    }

    /// After a cache miss, keeps the block where it was computed, if no live executor holds it
    /// already and that executor's storage memory has room.
    fn cache_computed_block(
        &mut self,
        job: usize,
        stage_index: usize,
        task_index: usize,
        executor: ExecutorId,
    ) {
        let Some(input) = &self.jobs[job].spec.stages[stage_index].tasks[task_index].cache else {
            return;
        };
        if self.block_holder(&input.block).is_none() {
            self.executors[usize::from(executor.0)]
                .blocks
                .try_store(&input.block, input.bytes);
        }
    }

    /// The live executor holding a cached block (the lowest id, if several).
    pub(super) fn block_holder(&self, block: &str) -> Option<usize> {
        self.executors
            .iter()
            .position(|executor| executor.alive && executor.blocks.holds(block))
    }
}
