//! The simulated cluster and its scheduler (see the crate docs). INTERFACE: the helper fills in
//! the bodies; the public types and signatures are the contract other modules code against.

use std::fmt;

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

/// The cluster's shape and speeds.
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
    /// `spark.task.maxFailures`: attempts of one task before the job fails.
    pub task_max_failures: u16,
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
    /// A task failed `task_max_failures` times, or no executor is left.
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
    /// Speed in percent of normal (100; a straggler node is slower).
    pub speed_percent: u16,
    pub slots: u16,
    /// Running attempts by slot (index into [`Cluster::attempts`]).
    pub running: Vec<Option<usize>>,
    /// Cached blocks held, and their bytes.
    pub blocks: Vec<(String, u64)>,
    pub storage_used_bytes: u64,
    pub map_outputs: usize,
}

/// The simulated cluster: executors, the jobs submitted to it, the attempts it ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    _todo: (),
}

impl Cluster {
    pub fn new(config: ClusterConfig) -> Cluster {
        let _ = config;
        todo!()
    }
    pub fn config(&self) -> &ClusterConfig {
        todo!()
    }
    /// Queues a job; jobs run one after another (FIFO).
    pub fn submit(&mut self, job: JobSpec) -> JobId {
        let _ = job;
        todo!()
    }
    /// Advances the clock by one tick.
    pub fn tick(&mut self) -> Vec<ClusterEvent> {
        todo!()
    }
    /// Ticks until every submitted job has ended (or `max_ticks` passed); returns the ticks run.
    pub fn run_until_idle(&mut self, max_ticks: u64) -> u64 {
        let _ = max_ticks;
        todo!()
    }
    pub fn now_tick(&self) -> u64 {
        todo!()
    }
    pub fn kill_executor(
        &mut self,
        executor: ExecutorId,
    ) -> Result<Vec<ClusterEvent>, ClusterError> {
        let _ = executor;
        todo!()
    }
    /// Starts a new executor (the cluster manager replacing a lost one).
    pub fn add_executor(&mut self) -> Result<Vec<ClusterEvent>, ClusterError> {
        todo!()
    }
    pub fn set_speed(
        &mut self,
        executor: ExecutorId,
        speed_percent: u16,
    ) -> Result<(), ClusterError> {
        let _ = (executor, speed_percent);
        todo!()
    }
    pub fn set_speculation(&mut self, on: bool) {
        let _ = on;
        todo!()
    }
    /// Drops cached blocks whose name starts with `prefix` (UNCACHE TABLE).
    pub fn drop_blocks(&mut self, prefix: &str) -> usize {
        let _ = prefix;
        todo!()
    }
    pub fn executors(&self) -> Vec<ExecutorView> {
        todo!()
    }
    /// Every attempt so far, in launch order.
    pub fn attempts(&self) -> &[TaskAttempt] {
        todo!()
    }
    pub fn job_state(&self, job: JobId) -> Option<JobState> {
        let _ = job;
        todo!()
    }
    pub fn job_spec(&self, job: JobId) -> Option<&JobSpec> {
        let _ = job;
        todo!()
    }
    /// The job's start and end ticks (end None while it runs).
    pub fn job_span(&self, job: JobId) -> Option<(u64, Option<u64>)> {
        let _ = job;
        todo!()
    }
    /// Whether each stage of the job has completed, by stage index.
    pub fn stages_done(&self, job: JobId) -> Vec<bool> {
        let _ = job;
        todo!()
    }
}
