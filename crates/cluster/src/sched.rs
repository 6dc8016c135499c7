//! The simulated cluster and its scheduler, after Spark's (see the crate docs), on a clock of ticks.
//!
//! A [`Cluster`] has executors, each with `cores_per_executor` task slots (Spark's
//! `spark.executor.cores`) and storage memory for cached blocks. Jobs run one after another
//! (FIFO, Spark's default `spark.scheduler.mode`); a job's stages wait for their parents, one task
//! per partition, and a stage with more tasks than free slots runs in waves. Each [`Cluster::tick`]
//! (1) advances the running attempts and finishes those whose fixed duration is up, (2) launches
//! pending tasks of runnable stages into free slots (stages in order, partitions in order,
//! executors by id, slots by index) and (3) launches speculative copies of stragglers.
//!
//! What is modelled, with the Spark settings it follows
//! (<https://spark.apache.org/docs/latest/configuration.html>):
//! - task duration (`sched/timing.rs`): compute over the executor's speed, plus the shuffle fetch over
//!   the network, fixed at launch;
//! - cached blocks (`sched/blocks.rs`): kept in executor storage memory, preferred by the tasks that read
//!   them with delay scheduling (`spark.locality.wait`, here [`LOCALITY_WAIT_TICKS`]);
//! - executor loss (`sched/recovery.rs`): running attempts fail, cached blocks and map outputs on it are
//!   gone, the stages whose lost outputs are still needed are resubmitted for exactly the lost
//!   partitions (lineage) and running readers fail with a fetch failure. Like Spark, neither kind
//!   of failure counts against `spark.task.maxFailures`, and no other failure exists here, so the
//!   model has no task failure limit;
//! - speculative execution (`sched/speculation.rs`): `spark.speculation` with
//!   `spark.speculation.quantile` 0.75 and `spark.speculation.multiplier` 1.5.
//!
//! What it leaves out: the external shuffle service (`spark.shuffle.service.enabled`) that would
//! keep map outputs readable after their executor dies; Spark's `MemoryStore` eviction of older
//! blocks (a block that does not fit is simply not cached); fetching a cached block from another
//! executor (a task away from its block recomputes it); locality levels other than the executor
//! holding a cached block; task failures from user code; fair scheduling and concurrent jobs.
//!
//! Deterministic: no clock, no randomness, no hash-ordered iteration; the same config, jobs and
//! commands at the same ticks give the same [`Cluster::attempts`].

mod blocks;
mod completion;
mod executor;
mod job_run;
mod launch;
mod queue;
mod recovery;
mod speculation;
mod timing;

#[cfg(test)]
mod tests;

use std::fmt;

use executor::Executor;
use job_run::{JobRecord, TaskState};

/// `spark.locality.wait` in ticks: how long a task whose cached block lives on a busy executor
/// waits for a slot there before it runs anywhere (and misses the cache).
pub const LOCALITY_WAIT_TICKS: u64 = 3;

/// The most executors the cluster manager ever starts (ids 0..16; a lost executor's id is not
/// reused, as Spark's are not).
pub const MAX_EXECUTORS: u16 = 16;

/// The most task slots per executor.
pub const MAX_CORES_PER_EXECUTOR: u16 = 8;

/// An executor, numbered from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExecutorId(pub u16);

/// A stage of a job, numbered from 0 in the order the job lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageId(pub u16);

/// A submitted job, numbered from 0 in submission order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u32);

impl fmt::Display for ExecutorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "executor {}", self.0)
    }
}

/// The cluster's shape and speeds. [`Cluster::new`] clamps each field into its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Executors at the start (1..=16).
    pub executors: u16,
    /// Task slots per executor (`spark.executor.cores`, 1..=8).
    pub cores_per_executor: u16,
    /// Storage memory per executor for cached blocks, in bytes.
    pub storage_bytes_per_executor: u64,
    /// Work units (rows touched) one core does per tick at full speed.
    pub work_units_per_tick: u64,
    /// Bytes one executor fetches over the network per tick.
    pub network_bytes_per_tick: u64,
    /// `spark.speculation`: launch a copy of a straggler on another executor.
    pub speculation: bool,
}

/// One task of a stage: the work and bytes of one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSpec {
    pub partition: u32,
    /// Rows touched computing the partition (its compute time is this over the executor's
    /// work rate).
    pub work_units: u64,
    /// Bytes fetched from the parent stages' map outputs (network time).
    pub shuffle_read_bytes: u64,
    /// Bytes written as map output for the next stage (kept on the executor that ran it).
    pub shuffle_write_bytes: u64,
    /// A cached block this task reads: when it is in some executor's memory the task prefers
    /// that executor and skips `source_work_units`; when not, the task computes it and the
    /// block is stored where it ran (if the memory holds it).
    pub cache: Option<CachedInput>,
}

/// A cached block a task reads (a cached table's partition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedInput {
    /// "page_views#3": the table and partition.
    pub block: String,
    pub bytes: u64,
    /// Work the task saves when the block is in memory.
    pub source_work_units: u64,
}

/// A stage: tasks that run the same steps on different partitions, after its parents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageSpec {
    pub id: StageId,
    /// "Stage 1: scan page_views, partial aggregate".
    pub name: String,
    pub parents: Vec<StageId>,
    pub tasks: Vec<TaskSpec>,
}

/// A job: its stages in an order where parents come first; the last is the result stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    pub name: String,
    pub stages: Vec<StageSpec>,
}

/// Why a task attempt ended without a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureReason {
    /// Its executor was lost while it ran.
    ExecutorLost,
    /// A map output it fetches was on a lost executor (the parent's task re-runs first).
    FetchFailed,
}

/// How a task attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptState {
    Running,
    Succeeded,
    Failed(FailureReason),
    /// A speculative race's loser, killed when the other copy finished.
    Killed,
}

/// One attempt of one task on one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskAttempt {
    pub job: JobId,
    pub stage: StageId,
    pub partition: u32,
    /// 0 for the first attempt; retries and speculative copies count up.
    pub attempt: u16,
    pub executor: ExecutorId,
    pub slot: u16,
    pub start_tick: u64,
    /// When it finished, failed or was killed.
    pub end_tick: Option<u64>,
    pub state: AttemptState,
    pub speculative: bool,
    /// Whether its cached input was found in memory.
    pub cache_hit: bool,
}

/// A job's progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Waiting,
    Running,
    Succeeded,
    /// Its spec cannot run: a stage listed out of order, or a parent that is not an earlier
    /// stage. (A job never fails for lack of executors: it waits for `add_executor`.)
    Failed,
}

/// What the cluster reports as time passes (the lab's narration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterEvent {
    JobStarted(JobId),
    StageSubmitted {
        job: JobId,
        stage: StageId,
    },
    /// A stage whose map outputs were lost runs again for the partitions it lost.
    StageResubmitted {
        job: JobId,
        stage: StageId,
        partitions: Vec<u32>,
    },
    StageCompleted {
        job: JobId,
        stage: StageId,
    },
    TaskFailed {
        job: JobId,
        stage: StageId,
        partition: u32,
        reason: FailureReason,
    },
    SpeculativeLaunched {
        job: JobId,
        stage: StageId,
        partition: u32,
    },
    ExecutorLost {
        executor: ExecutorId,
        blocks_lost: usize,
        map_outputs_lost: usize,
    },
    ExecutorAdded(ExecutorId),
    JobSucceeded {
        job: JobId,
        ticks: u64,
    },
    JobFailed {
        job: JobId,
        reason: String,
    },
}

/// A refused cluster command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterError {
    pub message: String,
    pub hint: String,
}

/// One executor as the cluster view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutorView {
    pub id: ExecutorId,
    pub alive: bool,
    /// Speed in percent of normal (100; a straggler node is slower; 1..=100).
    pub speed_percent: u16,
    pub slots: u16,
    /// Running attempts by slot (index into [`Cluster::attempts`]).
    pub running: Vec<Option<usize>>,
    /// Cached blocks held, and their bytes.
    pub blocks: Vec<(String, u64)>,
    pub storage_used_bytes: u64,
    pub map_outputs: usize,
}

impl ClusterError {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> ClusterError {
        ClusterError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// Where an attempt belongs and how long it takes: the scheduler's private half of a
/// [`TaskAttempt`] (same index in [`Cluster::attempts`]).
#[derive(Clone, Debug, PartialEq, Eq)]
struct AttemptPlan {
    /// Index of the stage in its job's spec.
    stage_index: usize,
    /// Index of the task in its stage's spec.
    task_index: usize,
    /// Fixed at launch from the executor's speed and whether the cached input was found.
    duration_ticks: u64,
}

/// The simulated cluster: executors, the jobs submitted to it, the attempts it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    config: ClusterConfig,
    now_tick: u64,
    executors: Vec<Executor>,
    /// Every job submitted, by [`JobId`].
    jobs: Vec<JobRecord>,
    /// The job running now (index into `jobs`); the others wait or have ended.
    active_job: Option<usize>,
    attempts: Vec<TaskAttempt>,
    /// Parallel to `attempts`.
    plans: Vec<AttemptPlan>,
}

impl Cluster {
    /// A cluster with `config.executors` executors (ids from 0), each with
    /// `cores_per_executor` slots at speed 100% and empty storage memory.
    pub fn new(config: ClusterConfig) -> Cluster {
        let config = clamped(config);
        let executors = (0..config.executors)
            .map(|id| Executor::new(ExecutorId(id), &config))
            .collect();
        Cluster {
            config,
            now_tick: 0,
            executors,
            jobs: Vec::new(),
            active_job: None,
            attempts: Vec::new(),
            plans: Vec::new(),
        }
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Queues a job; jobs run one after another (FIFO).
    pub fn submit(&mut self, job: JobSpec) -> JobId {
        let id = job_id(self.jobs.len());
        self.jobs.push(JobRecord::waiting(job));
        id
    }

    /// Advances the clock by one tick: finishes the attempts whose time is up, completes stages
    /// and jobs (starting the next job), launches pending tasks, then speculative copies.
    pub fn tick(&mut self) -> Vec<ClusterEvent> {
        let mut events = Vec::new();
        self.now_tick += 1;
        self.finish_due_attempts();
        self.settle_jobs(&mut events);
        self.launch_pending_tasks();
        self.launch_speculative_copies(&mut events);
        events
    }

    /// Ticks until every submitted job has ended (or `max_ticks` passed); returns the ticks run.
    pub fn run_until_idle(&mut self, max_ticks: u64) -> u64 {
        let mut ticks = 0;
        while ticks < max_ticks && self.has_unfinished_jobs() {
            self.tick();
            ticks += 1;
        }
        ticks
    }

    pub fn now_tick(&self) -> u64 {
        self.now_tick
    }

    /// Loses a live executor (a machine dies): its running attempts fail (`ExecutorLost`), its
    /// cached blocks and map outputs are gone, the stages whose lost outputs are still needed
    /// are resubmitted for those partitions and their running readers fail (`FetchFailed`).
    /// Refused for a dead or unknown executor.
    pub fn kill_executor(
        &mut self,
        executor: ExecutorId,
    ) -> Result<Vec<ClusterEvent>, ClusterError> {
        self.alive_executor_index(executor)?;
        Ok(self.lose_executor(executor))
    }

    /// Starts a new executor (the cluster manager replacing a lost one), with the next id.
    pub fn add_executor(&mut self) -> Result<Vec<ClusterEvent>, ClusterError> {
        let Some(id) = u16::try_from(self.executors.len())
            .ok()
            .filter(|&n| n < MAX_EXECUTORS)
        else {
            return Err(ClusterError::new(
                format!("the cluster manager has already started {MAX_EXECUTORS} executors"),
                "executor ids are never reused; kill fewer executors, or start a fresh cluster",
            ));
        };
        let id = ExecutorId(id);
        self.executors.push(Executor::new(id, &self.config));
        Ok(vec![ClusterEvent::ExecutorAdded(id)])
    }

    /// Makes an executor a straggler (or heals it): tasks launched on it from now on compute at
    /// `speed_percent` of normal speed.
    pub fn set_speed(
        &mut self,
        executor: ExecutorId,
        speed_percent: u16,
    ) -> Result<(), ClusterError> {
        if !(1..=100).contains(&speed_percent) {
            return Err(ClusterError::new(
                format!("speed {speed_percent}% is out of range"),
                "use 1..=100 percent of normal speed (25 makes a straggler 4x slower)",
            ));
        }
        let index = self.alive_executor_index(executor)?;
        self.executors[index].speed_percent = speed_percent;
        Ok(())
    }

    /// `spark.speculation` on or off, from the next tick.
    pub fn set_speculation(&mut self, on: bool) {
        self.config.speculation = on;
    }

    /// Drops cached blocks whose name starts with `prefix` (UNCACHE TABLE); returns how many.
    pub fn drop_blocks(&mut self, prefix: &str) -> usize {
        self.executors
            .iter_mut()
            .map(|executor| executor.blocks.drop_prefix(prefix))
            .sum()
    }

    pub fn executors(&self) -> Vec<ExecutorView> {
        self.executors
            .iter()
            .map(|executor| ExecutorView {
                id: executor.id,
                alive: executor.alive,
                speed_percent: executor.speed_percent,
                slots: executor.slot_count(),
                running: executor.slots.clone(),
                blocks: executor.blocks.list(),
                storage_used_bytes: executor.blocks.used_bytes(),
                map_outputs: self.map_outputs_on(executor.id),
            })
            .collect()
    }

    /// Every attempt so far, in launch order.
    pub fn attempts(&self) -> &[TaskAttempt] {
        &self.attempts
    }

    pub fn job_state(&self, job: JobId) -> Option<JobState> {
        self.job(job).map(|record| record.state)
    }

    pub fn job_spec(&self, job: JobId) -> Option<&JobSpec> {
        self.job(job).map(|record| &record.spec)
    }

    /// The job's start and end ticks (end None while it runs; None before it starts).
    pub fn job_span(&self, job: JobId) -> Option<(u64, Option<u64>)> {
        let record = self.job(job)?;
        Some((record.start_tick?, record.end_tick))
    }

    /// Whether each stage of the job has completed, by stage index (empty for an unknown job).
    pub fn stages_done(&self, job: JobId) -> Vec<bool> {
        let Some(record) = self.job(job) else {
            return Vec::new();
        };
        match &record.run {
            Some(run) => run.stages.iter().map(|stage| stage.completed).collect(),
            None => vec![false; record.spec.stages.len()],
        }
    }

    fn job(&self, job: JobId) -> Option<&JobRecord> {
        self.jobs.get(usize::try_from(job.0).ok()?)
    }

    /// The index of a live executor, or why a command cannot touch it.
    fn alive_executor_index(&self, executor: ExecutorId) -> Result<usize, ClusterError> {
        let index = usize::from(executor.0);
        match self.executors.get(index) {
            Some(found) if found.alive => Ok(index),
            Some(_) => Err(ClusterError::new(
                format!("{executor} is already dead"),
                "pick a live executor; add_executor starts a replacement with a new id",
            )),
            None => Err(ClusterError::new(
                format!("there is no {executor}"),
                format!(
                    "executors are numbered 0..{}",
                    self.executors.len().saturating_sub(1)
                ),
            )),
        }
    }

    /// Map outputs of the running job held on a live `executor` (finished jobs' outputs are
    /// cleaned; a dead executor's are gone even where no stage needed them again).
    fn map_outputs_on(&self, executor: ExecutorId) -> usize {
        let alive = self
            .executors
            .get(usize::from(executor.0))
            .is_some_and(|e| e.alive);
        let run = self.active_job.and_then(|j| self.jobs[j].run.as_ref());
        let Some(run) = run.filter(|_| alive) else {
            return 0;
        };
        run.stages
            .iter()
            .filter(|stage| stage.has_children())
            .flat_map(|stage| &stage.tasks)
            .filter(
                |task| matches!(task.state, TaskState::Done { executor: e, .. } if e == executor),
            )
            .count()
    }
}

/// The id of the job at `index` in submission order.
fn job_id(index: usize) -> JobId {
    JobId(u32::try_from(index).unwrap_or(u32::MAX))
}

/// The id of the stage at `index` in its job's spec.
fn stage_id(index: usize) -> StageId {
    StageId(u16::try_from(index).unwrap_or(u16::MAX))
}

/// The config with every field in its range (the constructor cannot refuse).
fn clamped(config: ClusterConfig) -> ClusterConfig {
    ClusterConfig {
        executors: config.executors.clamp(1, MAX_EXECUTORS),
        cores_per_executor: config.cores_per_executor.clamp(1, MAX_CORES_PER_EXECUTOR),
        work_units_per_tick: config.work_units_per_tick.max(1),
        network_bytes_per_tick: config.network_bytes_per_tick.max(1),
        ..config
    }
}
