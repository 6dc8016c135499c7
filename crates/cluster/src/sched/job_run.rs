//! A job's progress: which stages were submitted and completed, and where each task stands.
//!
//! Spark's `DAGScheduler` submits a stage once its parents have completed
//! (<https://spark.apache.org/docs/latest/job-scheduling.html>); a stage completes when every
//! partition has a successful task, and becomes incomplete again when map outputs it produced
//! are lost and still needed ([`super::recovery`]).

use super::{ClusterEvent, ExecutorId, JobId, JobSpec, JobState};

/// A submitted job: its spec, its state and, once started, its progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct JobRecord {
    pub(super) spec: JobSpec,
    pub(super) state: JobState,
    pub(super) start_tick: Option<u64>,
    pub(super) end_tick: Option<u64>,
    pub(super) run: Option<JobRun>,
}

impl JobRecord {
    pub(super) fn waiting(spec: JobSpec) -> JobRecord {
        JobRecord {
            spec,
            state: JobState::Waiting,
            start_tick: None,
            end_tick: None,
            run: None,
        }
    }
}

/// The progress of a started job, stage by stage in the spec's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct JobRun {
    pub(super) stages: Vec<StageRun>,
}

/// One stage's progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct StageRun {
    /// Indices of the parent stages (all earlier in the spec).
    pub(super) parents: Vec<usize>,
    /// Indices of the stages that read this one's map outputs.
    pub(super) children: Vec<usize>,
    pub(super) submitted: bool,
    pub(super) completed: bool,
    /// By task index in the spec.
    pub(super) tasks: Vec<TaskRun>,
}

/// One task (partition) of a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TaskRun {
    pub(super) state: TaskState,
    /// Attempts launched so far (the next attempt's number).
    pub(super) attempts_launched: u16,
    /// When the task first waited for a slot since it became pending (delay scheduling).
    pub(super) waiting_since_tick: Option<u64>,
    /// Whether a speculative copy was launched since it became pending.
    pub(super) speculated: bool,
}

/// Where a task stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TaskState {
    Pending,
    /// Its running attempts (two during a speculative race), in launch order.
    Running(Vec<usize>),
    /// Its winning attempt and where its output lives.
    Done {
        attempt: usize,
        executor: ExecutorId,
    },
}

impl TaskRun {
    fn pending() -> TaskRun {
        TaskRun {
            state: TaskState::Pending,
            attempts_launched: 0,
            waiting_since_tick: None,
            speculated: false,
        }
    }

    /// Back to pending (its output or its last attempt was lost); attempt numbers keep counting.
    pub(super) fn reset(&mut self) {
        self.state = TaskState::Pending;
        self.waiting_since_tick = None;
        self.speculated = false;
    }

    pub(super) fn is_done(&self) -> bool {
        matches!(self.state, TaskState::Done { .. })
    }
}

impl StageRun {
    /// Whether some stage reads it: then its tasks' outputs are shuffle files kept on the
    /// executor that ran them; a stage nobody reads sends its results to the driver.
    pub(super) fn has_children(&self) -> bool {
        !self.children.is_empty()
    }
}

impl JobRun {
    /// The progress of a job about to start, or why its spec cannot run.
    pub(super) fn plan(spec: &JobSpec) -> Result<JobRun, String> {
        let mut stages: Vec<StageRun> = Vec::with_capacity(spec.stages.len());
        for (index, stage) in spec.stages.iter().enumerate() {
            if usize::from(stage.id.0) != index {
                return Err(format!(
                    "stage {} is listed at position {index}: stages must be numbered 0, 1, ... in the order the job lists them",
                    stage.id.0
                ));
            }
            let parents: Vec<usize> = stage.parents.iter().map(|p| usize::from(p.0)).collect();
            if let Some(bad) = parents.iter().find(|&&p| p >= index) {
                return Err(format!(
                    "stage {index} names stage {bad} as a parent: parents must come before their children"
                ));
            }
            for &parent in &parents {
                if !stages[parent].children.contains(&index) {
                    stages[parent].children.push(index);
                }
            }
            stages.push(StageRun {
                parents,
                children: Vec::new(),
                submitted: false,
                completed: false,
                tasks: stage.tasks.iter().map(|_| TaskRun::pending()).collect(),
            });
        }
        Ok(JobRun { stages })
    }

    /// Whether every parent of the stage has completed.
    pub(super) fn parents_completed(&self, stage: usize) -> bool {
        self.stages[stage]
            .parents
            .iter()
            .all(|&p| self.stages[p].completed)
    }

    /// Whether the stage's tasks may launch: submitted, not completed, parents completed.
    pub(super) fn runnable(&self, stage: usize) -> bool {
        let run = &self.stages[stage];
        run.submitted && !run.completed && self.parents_completed(stage)
    }

    pub(super) fn all_completed(&self) -> bool {
        self.stages.iter().all(|stage| stage.completed)
    }

    /// Submits the stages whose parents have completed and completes those whose tasks are all
    /// done, in stage order (so a chain of empty stages settles in one pass).
    pub(super) fn settle(&mut self, job: JobId, events: &mut Vec<ClusterEvent>) {
        for index in 0..self.stages.len() {
            if self.stages[index].completed || !self.parents_completed(index) {
                continue;
            }
            let stage_id = super::stage_id(index);
            let stage = &mut self.stages[index];
            if !stage.submitted {
                stage.submitted = true;
                events.push(ClusterEvent::StageSubmitted {
                    job,
                    stage: stage_id,
                });
            }
            if stage.tasks.iter().all(TaskRun::is_done) {
                stage.completed = true;
                events.push(ClusterEvent::StageCompleted {
                    job,
                    stage: stage_id,
                });
            }
        }
    }
}
