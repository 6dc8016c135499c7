//! Hadoop streaming MapReduce (see the crate docs). INTERFACE: the helper fills in the bodies;
//! the public types and signatures are the contract other modules code against.

pub mod program;

use crate::sched::JobSpec;

/// How map output keys are assigned to reducers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partitioner {
    /// Hadoop's `HashPartitioner`: `(key.hashCode() & Integer.MAX_VALUE) % reducers`, over the
    /// whole key (the first `key_fields` fields).
    Hash,
    /// `KeyFieldBasedPartitioner` with `mapreduce.partition.keypartitioner.options`, e.g.
    /// "-k1,2": hash only the chosen fields of the key, split by the map output separator.
    KeyFields { options: String },
}

/// A streaming job: `hadoop jar hadoop-streaming.jar -input ... -mapper ... -reducer ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamingJob {
    /// The input's lines, split into `lines_per_split` per map task.
    pub input: Vec<String>,
    pub lines_per_split: usize,
    /// A Python program defining `map(line)` (and optionally `combine(key, values)` and
    /// `reduce(key, values)`, plus top-level state and `close()`), see [`program`].
    pub program: String,
    /// Run the program's `combine` on each map task's sorted output.
    pub use_combiner: bool,
    /// `mapreduce.job.reduces` (0: a map-only job).
    pub reducers: u16,
    /// `stream.map.output.field.separator` (default tab).
    pub separator: char,
    /// `stream.num.map.output.key.fields` (default 1).
    pub key_fields: u8,
    pub partitioner: Partitioner,
}

/// A refused job: a program that does not parse or fails at run time, or bad options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    pub hint: String,
    /// The program line (1-based) it points at, when it comes from the program.
    pub line: Option<u32>,
}

/// One map task: its split and what it wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapTask {
    pub split: u32,
    pub input_records: u64,
    pub output_records: u64,
    /// Records after the combiner (equal to `output_records` without one).
    pub combined_records: u64,
    /// Bytes of map output for each reducer (line bytes, key + separator + value + newline).
    pub bytes_per_reducer: Vec<u64>,
    /// Steps the program ran (the task's work).
    pub work_units: u64,
}

/// One reduce task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReduceTask {
    pub partition: u32,
    /// Distinct keys it received (`Reduce input groups`).
    pub input_groups: u64,
    pub input_records: u64,
    pub shuffle_bytes: u64,
    pub output_records: u64,
    pub work_units: u64,
    /// Its output file `part-0000N`: lines as the reducer wrote them.
    pub output: Vec<String>,
}

/// Hadoop's job counters, by their names in the job history.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Counters {
    pub map_input_records: u64,
    pub map_output_records: u64,
    pub map_output_bytes: u64,
    pub combine_input_records: u64,
    pub combine_output_records: u64,
    pub reduce_input_groups: u64,
    pub reduce_shuffle_bytes: u64,
    pub reduce_input_records: u64,
    pub reduce_output_records: u64,
    /// Map output records written to local disk (the spill), plus the reducers' merge input.
    pub spilled_records: u64,
    /// Bytes written to the distributed file system (HDFS): the job's output.
    pub hdfs_bytes_written: u64,
}

/// A finished streaming job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamingRun {
    pub maps: Vec<MapTask>,
    pub reduces: Vec<ReduceTask>,
    pub counters: Counters,
    /// The map stage then the reduce stage, for the cluster scheduler.
    pub job: JobSpec,
}

impl StreamingRun {
    /// Every output line, part file by part file.
    pub fn output_lines(&self) -> impl Iterator<Item = &str> {
        self.reduces
            .iter()
            .flat_map(|r| r.output.iter().map(String::as_str))
    }
}

/// Runs a job to its end.
pub fn run(job: &StreamingJob) -> Result<StreamingRun, JobError> {
    let _ = job;
    todo!()
}

/// Hadoop's `HashPartitioner` for a `Text` key.
pub fn hash_partition(key: &str, reducers: u16) -> u32 {
    let _ = (key, reducers);
    todo!()
}

/// `KeyFieldBasedPartitioner` for options like "-k1,2" and a separator.
pub fn key_field_partition(
    key: &str,
    options: &str,
    separator: char,
    reducers: u16,
) -> Result<u32, JobError> {
    let _ = (key, options, separator, reducers);
    todo!()
}

/// The classic examples, as (name, program) pairs: "wordcount" and "pvuv".
pub const EXAMPLES: &[(&str, &str)] = &[];
