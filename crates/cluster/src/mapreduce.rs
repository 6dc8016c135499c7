//! Hadoop streaming MapReduce: a job as `hadoop jar hadoop-streaming.jar -input ... -mapper ...
//! -combiner ... -reducer ...` runs it, with the mapper, combiner and reducer written as small
//! Python functions ([`program`]).
//!
//! The model, step by step (Hadoop's "MapReduce Tutorial" and "Hadoop Streaming" docs):
//!
//! 1. **Splits.** The input's lines are cut into splits of `lines_per_split` lines; one map task
//!    runs per split.
//! 2. **Map.** Each task runs the program fresh (its top level once), then `map(line)` once per
//!    line. `emit(key, value)` writes the line `key<sep>value`; a tuple key (or value) is written
//!    as its items joined by the separator. As streaming reads a mapper's stdout, the first
//!    `key_fields` fields of the line are the key (`stream.num.map.output.key.fields`) and the
//!    rest the value. On the wire everything is text: when a combiner or reducer receives a
//!    value that is a decimal integer it gets an `int`, anything else a `str` (so `sum(counts)`
//!    works, as with mrjob's JSON protocol).
//! 3. **Partition.** Each record goes to reducer `partition(key)`: Hadoop's `HashPartitioner` or
//!    `KeyFieldBasedPartitioner` with `mapreduce.partition.keypartitioner.options`, bit for bit
//!    ([`partition`]).
//! 4. **Sort and spill.** Each map task sorts its records by key, in byte order as the `Text`
//!    comparator does; with `use_combiner`, `combine(key, values)` runs once per key of each
//!    partition's sorted output (in a fresh run of the program), and its emits replace them.
//!    A map task's output bytes for a reducer are the bytes of its lines (key + separator +
//!    value + newline).
//! 5. **Shuffle, merge and reduce.** Each reduce task fetches its partition from every map task
//!    (its shuffle bytes), merges them by key, and calls `reduce(key, values)` once per distinct
//!    key, keys in sorted order. Top-level variables keep their values across calls within a
//!    task (each task runs the program fresh), and `close()`, when defined, runs after the
//!    task's last key: how a streaming reducer keeps state across keys, e.g. counting the
//!    distinct users of an (event, bucket) group whose keys arrive one after another. `close()`
//!    belongs to the reducer: map and combine tasks do not call it. The reducer's emits are its
//!    part file (`part-0000N`). With `reducers == 0` the map output, unsorted and uncombined, is
//!    the job's output (`part-m-0000N`, in [`MapTask::output`]).
//! 6. **Counters**, by Hadoop's names ([`Counters`]).
//! 7. **The scheduler's job** ([`StreamingRun::job`]): stage 0 holds the map tasks (work = the
//!    interpreter steps they ran, combiner included, plus the lines they read; shuffle write =
//!    their map output bytes after the combiner), stage 1 the reduce tasks (parent stage 0;
//!    shuffle read = their shuffle bytes; work = steps plus records). A map-only job has one
//!    stage, which writes no shuffle output.
//! 8. **Limits.** Every task's program has a budget of [`job::STEPS_PER_TASK_MAX`] steps and
//!    [`job::OUTPUT_BYTES_PER_TASK_MAX`] output bytes, so an endless loop or an emit loop ends
//!    in a [`JobError`] ("the mapper ran over 2,000,000 steps on split 3, ...") instead of
//!    hanging the page. Nothing depends on hash-map order: the output is a function of the job.

mod examples;
pub mod job;
pub mod partition;
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
    /// Steps the program ran plus lines read (the task's work).
    pub work_units: u64,
    /// A map-only job's output file (`part-m-0000N`): the lines as the mapper wrote them. Empty
    /// when the job has reducers.
    pub output: Vec<String>,
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
    /// Every output line, part file by part file (the map tasks' files in a map-only job).
    pub fn output_lines(&self) -> impl Iterator<Item = &str> {
        self.maps
            .iter()
            .flat_map(|m| m.output.iter())
            .chain(self.reduces.iter().flat_map(|r| r.output.iter()))
            .map(String::as_str)
    }
}

/// Runs a job to its end: every map task, then every reduce task (see the module docs).
pub fn run(job: &StreamingJob) -> Result<StreamingRun, JobError> {
    job::run(job)
}

/// Hadoop's `HashPartitioner` for a `Text` key (0 when there are no reducers).
pub fn hash_partition(key: &str, reducers: u16) -> u32 {
    partition::partition_of(partition::text_hash_code(key.as_bytes()), reducers)
}

/// `KeyFieldBasedPartitioner` for options like "-k1,2" and a separator (0 for an empty key, as
/// Hadoop does, and when there are no reducers).
pub fn key_field_partition(
    key: &str,
    options: &str,
    separator: char,
    reducers: u16,
) -> Result<u32, JobError> {
    let specs = partition::parse_options(options)?;
    Ok(partition::key_fields_partition(
        key, &specs, separator, reducers,
    ))
}

/// The classic examples, as (name, program) pairs: "wordcount", "wordfreq" (a second job over
/// word count's output) and "pvuv".
pub const EXAMPLES: &[(&str, &str)] = &[
    ("wordcount", examples::WORDCOUNT),
    ("wordfreq", examples::WORDFREQ),
    ("pvuv", examples::PVUV),
];

/// The program of the example named `name` in [`EXAMPLES`], or None for an unknown name.
pub fn example_program(name: &str) -> Option<&'static str> {
    EXAMPLES
        .iter()
        .find(|(example, _)| *example == name)
        .map(|(_, program)| *program)
}
