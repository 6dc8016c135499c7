//! Executor loss and lineage recomputation (Spark's `DAGScheduler.handleExecutorLost` and
//! fetch-failure handling, <https://spark.apache.org/docs/latest/rdd-programming-guide.html#rdd-persistence>
//! on lineage).
//!
//! When an executor dies: its running attempts fail (`ExecutorLost`); its cached blocks are
//! gone; its map outputs (shuffle files) are gone. A stage whose lost outputs some incomplete
//! child still needs is resubmitted for exactly the lost partitions, which it recomputes from
//! its own inputs; the child's running tasks, which fetch from every parent partition, fail with
//! `FetchFailed` and re-run once the parent's partitions are back. Stages are examined last to
//! first, so a resubmitted stage makes its own parents' lost outputs needed again (lineage runs
//! as far back as outputs are missing). Without the external shuffle service
//! (`spark.shuffle.service.enabled`, left out here) every map output on the executor is lost.
//! Spark counts neither failure against `spark.task.maxFailures`, and neither does the model.

use super::job_run::TaskState;
use super::{AttemptState, Cluster, ClusterEvent, ExecutorId, FailureReason};

impl Cluster {
    /// Loses a live executor and recovers its running job; the events in order: the loss, the
    /// attempts that failed with it, then each resubmitted stage and the fetch failures it caused.
    pub(super) fn lose_executor(&mut self, executor: ExecutorId) -> Vec<ClusterEvent> {
        let index = usize::from(executor.0);
        let map_outputs_lost = self.map_outputs_on(executor);
        let lost = &mut self.executors[index];
        lost.alive = false;
        let blocks_lost = lost.blocks.clear();
        let running = lost.running_attempts();
        let mut events = vec![ClusterEvent::ExecutorLost {
            executor,
            blocks_lost,
            map_outputs_lost,
        }];
        for attempt in running {
            self.fail_attempt(attempt, FailureReason::ExecutorLost, &mut events);
        }
        self.resubmit_lost_outputs(&mut events);
        events
    }

    /// Fails a running attempt; its task goes back to pending unless another copy still runs.
    fn fail_attempt(
        &mut self,
        attempt: usize,
        reason: FailureReason,
        events: &mut Vec<ClusterEvent>,
    ) {
        self.end_attempt(attempt, AttemptState::Failed(reason));
        let failed = &self.attempts[attempt];
        events.push(ClusterEvent::TaskFailed {
            job: failed.job,
            stage: failed.stage,
            partition: failed.partition,
            reason,
        });
        let plan = &self.plans[attempt];
        let (stage_index, task_index) = (plan.stage_index, plan.task_index);
        let Some(run) = self.active_job.and_then(|j| self.jobs[j].run.as_mut()) else {
            return;
        };
        let task = &mut run.stages[stage_index].tasks[task_index];
        if let TaskState::Running(attempts) = &mut task.state {
            attempts.retain(|&a| a != attempt);
            if attempts.is_empty() {
                task.reset();
            }
        }
    }

    /// Resubmits, last stage first, the partitions whose map outputs lived on dead executors
    /// and are still needed, failing the running readers of each.
    fn resubmit_lost_outputs(&mut self, events: &mut Vec<ClusterEvent>) {
        let Some(job) = self.active_job else { return };
        let job_id = super::job_id(job);
        let stage_count = self.jobs[job]
            .run
            .as_ref()
            .map_or(0, |run| run.stages.len());
        for stage_index in (0..stage_count).rev() {
            let lost_tasks = self.lost_needed_outputs(job, stage_index);
            if lost_tasks.is_empty() {
                continue;
            }
            let spec = &self.jobs[job].spec.stages[stage_index];
            let partitions = lost_tasks
                .iter()
                .map(|&task| spec.tasks[task].partition)
                .collect();
            let stage = super::stage_id(stage_index);
            let Some(run) = self.jobs[job].run.as_mut() else {
                return;
            };
            let stage_run = &mut run.stages[stage_index];
            stage_run.completed = false;
            for &task in &lost_tasks {
                stage_run.tasks[task].reset();
            }
            let children = stage_run.children.clone();
            let readers: Vec<usize> = children
                .iter()
                .flat_map(|&child| &run.stages[child].tasks)
                .filter_map(|task| match &task.state {
                    TaskState::Running(attempts) => Some(attempts.clone()),
                    TaskState::Pending | TaskState::Done { .. } => None,
                })
                .flatten()
                .collect();
            events.push(ClusterEvent::StageResubmitted {
                job: job_id,
                stage,
                partitions,
            });
            for reader in readers {
                self.fail_attempt(reader, FailureReason::FetchFailed, events);
            }
        }
    }

    /// Task indices of a stage whose outputs are on dead executors while an incomplete child
    /// still needs them.
    fn lost_needed_outputs(&self, job: usize, stage_index: usize) -> Vec<usize> {
        let Some(run) = &self.jobs[job].run else {
            return Vec::new();
        };
        let stage = &run.stages[stage_index];
        let needed = stage
            .children
            .iter()
            .any(|&child| !run.stages[child].completed);
        if !needed {
            return Vec::new();
        }
        stage
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(index, task)| match task.state {
                TaskState::Done { executor, .. }
                    if !self.executors[usize::from(executor.0)].alive =>
                {
                    Some(index)
                }
                _ => None,
            })
            .collect()
    }
}
