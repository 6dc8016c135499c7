//! The distributed execution lab. INTERFACE: the lab helper fills in the bodies; the public
//! types and signatures are the contract the UI codes against.

use cluster::mapreduce::{Partitioner, StreamingRun};
use cluster::sched::{Cluster, ExecutorId, JobId};
use sim::rng::Rng;
use sql::distributed::{DistConfig, DistributedRun};
use sql::Table;

/// A refused command: (message, hint).
pub type Refused = (String, String);

/// The lab's settings, as its controls show them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    pub executors: u16,
    pub cores_per_executor: u16,
    /// The SQL planner's settings (partitions, broadcast threshold, AQE, cached tables).
    pub sql: DistConfig,
    pub speculation: bool,
}

/// A MapReduce job as the lab's form sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapReduceSpec {
    /// "wordcount", "pvuv" or "custom".
    pub example: String,
    /// The Python program (the example's text unless edited).
    pub program: String,
    pub reducers: u16,
    pub combiner: bool,
    pub key_fields: u8,
    pub partitioner: Partitioner,
}

/// Everything a learner can do in the cluster lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterCommand {
    Executors(u16),
    Cores(u16),
    /// Scan and shuffle partitions together.
    Partitions(u16),
    BroadcastThreshold(Option<u64>),
    Aqe(bool),
    Speculation(bool),
    Cache(String),
    Uncache(String),
    /// Plan and submit a SQL query.
    Sql(String),
    /// Run and submit a MapReduce job.
    MapReduce(MapReduceSpec),
    Kill(ExecutorId),
    /// The cluster manager starts a replacement executor.
    AddExecutor,
    /// Make one executor a straggler (speed in percent of normal).
    Slow {
        executor: ExecutorId,
        speed_percent: u16,
    },
}

/// What happened (the journal's narration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterLabEvent {
    SettingsChanged(String),
    Submitted { job: JobId, name: String },
    Scheduler(cluster::sched::ClusterEvent),
}

/// What a submitted job is.
#[derive(Clone, Debug, PartialEq)]
pub enum JobKind {
    Sql {
        query: String,
        run: DistributedRun,
    },
    MapReduce {
        spec: MapReduceSpec,
        run: StreamingRun,
    },
}

/// A job the learner submitted, with the scheduler's id for it.
#[derive(Clone, Debug, PartialEq)]
pub struct LabJob {
    pub id: JobId,
    pub kind: JobKind,
}

/// The lab: a SQL session over its tables, a cluster, and the jobs run on it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterLab {
    _todo: (),
}

impl ClusterLab {
    pub fn new(rng: Rng) -> ClusterLab {
        let _ = rng;
        todo!()
    }
    pub fn validate(&self, command: &ClusterCommand) -> Result<(), Refused> {
        let _ = command;
        todo!()
    }
    pub fn apply(&mut self, command: &ClusterCommand) -> Result<Vec<ClusterLabEvent>, Refused> {
        let _ = command;
        todo!()
    }
    pub fn tick(&mut self) -> Vec<ClusterLabEvent> {
        todo!()
    }
    pub fn settings(&self) -> &ClusterSettings {
        todo!()
    }
    pub fn cluster(&self) -> &Cluster {
        todo!()
    }
    /// Every job submitted, oldest first.
    pub fn jobs(&self) -> &[LabJob] {
        todo!()
    }
    /// The lab's tables (name, rows), for the query box's hints.
    pub fn tables(&self) -> Vec<(String, usize)> {
        todo!()
    }
    /// A query's result on one machine (the reference the distributed result equals).
    pub fn single_machine(&self, query: &str) -> Result<Table, Refused> {
        let _ = query;
        todo!()
    }
}
