//! The distributed execution lab (the `cluster` preset): SQL queries and Hadoop streaming jobs run
//! on a simulated Spark-style cluster, so a learner sees stages, shuffles, stragglers, lost
//! executors and cached tables on the lab's clock. One lab tick is 0.1 s of cluster time.
//!
//! The lab holds a SQL [`Session`] over its tables (the SQL lab's samples and the web logs), the
//! settings the learner changes ([`ClusterSettings`]), a [`Cluster`] and the jobs submitted to it.
//! A SQL query is planned and run by [`sql::distributed`] partition by partition; its stages
//! become a scheduler job ([`jobs::sql_job`]). A MapReduce job runs its Python mapper and reducer
//! over a table's lines with [`cluster::mapreduce::run`], and its map and reduce stages go to the
//! same scheduler. The scheduler then runs the tasks on executor slots as the clock ticks.
//!
//! The engines know nothing of each other: this module is their only meeting point. The UI codes
//! against the types below; [`glue`] holds the steps, journal wording and `cluster.*` metrics.

pub mod command;
pub mod glue;
pub mod jobs;
pub mod stats;

use cluster::mapreduce::{example_program, Partitioner, StreamingJob, StreamingRun, EXAMPLES};
use cluster::sched::{Cluster, ClusterConfig, ClusterEvent, ExecutorId, JobId, JobState};
use command::{
    BROADCAST_THRESHOLD_BYTES_MAX, CORES_MAX, EXECUTORS_MAX, KEY_FIELDS_MAX, NAME_BYTES_MAX,
    PARTITIONER_OPTIONS_BYTES_MAX, PARTITIONS_MAX, PROGRAM_BYTES_MAX, QUERY_BYTES_MAX,
    REDUCERS_MAX, SPEED_PERCENT_MAX, SPEED_PERCENT_MIN,
};
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use sql::datasets::Size;
use sql::distributed::{
    DistConfig, DistributedRun, SPARK_ADVISORY_PARTITION_BYTES, SPARK_BROADCAST_THRESHOLD_BYTES,
    SPARK_SKEW_THRESHOLD_BYTES,
};
use sql::{Outcome, Session, SqlError, Table};

/// A refused command: (message, hint).
pub type Refused = (String, String);

/// Spark's sizes scaled to the lab's small tables: a thousandth (1/1024) of each, so a 5,000-row
/// table crosses the same thresholds a few-gigabyte table crosses on a real cluster.
pub const LAB_SCALE: u64 = 1024;
/// Executors when the lab opens.
pub const START_EXECUTORS: u16 = 4;
/// Task slots per executor when the lab opens (`spark.executor.cores`).
pub const START_CORES: u16 = 2;
/// Scan and shuffle partitions when the lab opens (Spark's `spark.sql.shuffle.partitions` is 200
/// for clusters of hundreds of cores; 8 gives each of the 8 slots one task).
pub const START_PARTITIONS: u16 = 8;
/// Rows one core touches per tick (0.1 s): 2,500 rows a second. A GROUP BY over `page_views`
/// (20,000 rows in 8 partitions) then takes about four seconds of lab time, and a task holding
/// the hot page's rows (40% of them) without AQE's skew split is visibly the last one running.
pub const WORK_UNITS_PER_TICK: u64 = 250;
/// Bytes one executor fetches per tick: 1 Gbit/s (125 MB/s) scaled by [`LAB_SCALE`] is about
/// 122 KiB a second, 12 KiB a tick.
pub const NETWORK_BYTES_PER_TICK: u64 = 12 * 1024;
/// Storage memory per executor for cached blocks: Spark's default `spark.executor.memory` of 1 GiB
/// less 300 MiB reserved, times `spark.memory.fraction` 0.6 and `spark.memory.storageFraction`
/// 0.5 (about 217 MiB, Spark's configuration and tuning pages), scaled by [`LAB_SCALE`].
pub const STORAGE_BYTES_PER_EXECUTOR: u64 = 217 * 1024;
/// What a MapReduce job's input may name besides a table: the previous MapReduce job's output.
pub const PREVIOUS_OUTPUT: &str = "previous";

/// Adds the lab's tables to a session: the SQL lab's sample tables at `size` and the web logs
/// (`page_views` with a hot page, `pages`, `visitors`, `docs`). The cluster lab and `lab sql`
/// (with or without `--partitions`) load their tables here, so both see the same ones.
pub fn load_lab_tables(session: &mut Session, size: Size) {
    sql::datasets::load_samples(session, size);
    sql::datasets::web_logs::add_to(session, sql::datasets::SAMPLE_SEED);
}

/// The lab's settings, as its controls show them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterSettings {
    pub executors: u16,
    pub cores_per_executor: u16,
    /// The SQL planner's settings (partitions, broadcast threshold, AQE, cached tables).
    pub sql: DistConfig,
    pub speculation: bool,
}

impl ClusterSettings {
    /// The lab's defaults: Spark 3.5's defaults scaled by [`LAB_SCALE`] (Spark's configuration
    /// and SQL performance tuning pages): 4 executors of 2 cores, 8 partitions, a 10 KiB
    /// broadcast threshold (Spark: 10 MB), AQE on with a 64 KiB advisory partition size (64 MB)
    /// and a skew threshold of 256 KiB (256 MB) at factor 5, speculation off.
    pub fn lab_defaults() -> ClusterSettings {
        ClusterSettings {
            executors: START_EXECUTORS,
            cores_per_executor: START_CORES,
            sql: DistConfig {
                broadcast_threshold_bytes: Some(SPARK_BROADCAST_THRESHOLD_BYTES / LAB_SCALE),
                advisory_partition_bytes: SPARK_ADVISORY_PARTITION_BYTES / LAB_SCALE,
                skew_threshold_bytes: SPARK_SKEW_THRESHOLD_BYTES / LAB_SCALE,
                ..DistConfig::spark_defaults(START_PARTITIONS)
            },
            speculation: false,
        }
    }

    /// The scheduler's configuration for these settings.
    pub fn cluster_config(&self) -> ClusterConfig {
        ClusterConfig {
            executors: self.executors,
            cores_per_executor: self.cores_per_executor,
            storage_bytes_per_executor: STORAGE_BYTES_PER_EXECUTOR,
            work_units_per_tick: WORK_UNITS_PER_TICK,
            network_bytes_per_tick: NETWORK_BYTES_PER_TICK,
            speculation: self.speculation,
        }
    }
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
    /// What the job reads: a table's rows as tab-separated lines ("docs", "push_events"...), or
    /// [`PREVIOUS_OUTPUT`] for the previous MapReduce job's output lines (to chain jobs).
    pub input: String,
}

impl MapReduceSpec {
    /// The input a built-in example reads unless told otherwise: word count reads the documents,
    /// word frequencies the previous job's output (word count's), pv/uv the push log.
    pub fn default_input(example: &str) -> &'static str {
        match example {
            "wordcount" => "docs",
            "wordfreq" => PREVIOUS_OUTPUT,
            _ => "push_events",
        }
    }

    /// A built-in example set up as its program's comments say it runs, or None for an unknown
    /// name. Word count: Hadoop's defaults (one key field, the hash partitioner) with its
    /// combiner on. pv/uv: three key fields (event_type, source, cuid) and
    /// `KeyFieldBasedPartitioner -k1,2`, so each (event_type, source) group meets in one reducer.
    /// Both get two reducers, so partitioning matters.
    pub fn example(name: &str) -> Option<MapReduceSpec> {
        let program = example_program(name)?;
        let pvuv = name == "pvuv";
        Some(MapReduceSpec {
            example: name.to_string(),
            program: program.to_string(),
            reducers: 2,
            combiner: !pvuv,
            key_fields: if pvuv { 3 } else { 1 },
            partitioner: if pvuv {
                Partitioner::KeyFields {
                    options: "-k1,2".into(),
                }
            } else {
                Partitioner::Hash
            },
            input: MapReduceSpec::default_input(name).to_string(),
        })
    }
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

/// Which cluster a job ran on: 0 for the lab's first, one more after each rebuild (a change of
/// executors or cores). Job ids count from 0 on each cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterGeneration(pub u32);

/// A job the learner submitted, with the scheduler's id for it.
#[derive(Clone, Debug, PartialEq)]
pub struct LabJob {
    pub id: JobId,
    pub kind: JobKind,
    /// The cluster it was submitted to ([`ClusterLab::job_cluster`]).
    pub generation: ClusterGeneration,
    /// Stages the scheduler ran again after their map outputs were lost.
    pub resubmitted_stages: u64,
}

/// The lab: a SQL session over its tables, a cluster, and the jobs run on it.
#[derive(Clone, Debug)]
pub struct ClusterLab {
    /// The lab's tables, fixed when it opens (the same for every lab).
    session: Session,
    settings: ClusterSettings,
    cluster: Cluster,
    /// Clusters replaced by a change of executors or cores after they ran jobs, oldest first:
    /// `retired[g]` ran the jobs of generation `g`.
    retired: Vec<Cluster>,
    jobs: Vec<LabJob>,
}

/// The session is the same fixed tables in every lab, so labs compare by everything else.
impl PartialEq for ClusterLab {
    fn eq(&self, other: &ClusterLab) -> bool {
        self.settings == other.settings
            && self.cluster == other.cluster
            && self.retired == other.retired
            && self.jobs == other.jobs
    }
}

/// Tables hold doubles, but the lab's results are computed deterministically from the same inputs,
/// so a lab always equals its own clone (the lab's `Eq` needs this; the other labs do the same).
impl Eq for ClusterLab {}

fn refuse<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, Refused> {
    Err((message.into(), hint.into()))
}

fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    value: T,
    min: T,
    max: T,
    what: &str,
) -> Result<(), Refused> {
    if value < min || value > max {
        return refuse(
            format!("{value} {what} is outside what the lab simulates"),
            format!("use {min} to {max} {what}"),
        );
    }
    Ok(())
}

fn sql_refusal(error: &SqlError) -> Refused {
    (
        error.to_string(),
        error
            .hint
            .clone()
            .unwrap_or_else(|| "check the query against the lab's tables".into()),
    )
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

impl ClusterLab {
    /// The lab with its default settings and an idle cluster. The lab draws nothing at random
    /// (the scheduler is deterministic and the tables are the SQL lab's fixed samples), so the
    /// preset's generator is not used.
    pub fn new(_rng: Rng) -> ClusterLab {
        let mut session = Session::new();
        load_lab_tables(&mut session, Size::Small);
        let settings = ClusterSettings::lab_defaults();
        ClusterLab {
            session,
            cluster: Cluster::new(settings.cluster_config()),
            settings,
            retired: Vec::new(),
            jobs: Vec::new(),
        }
    }

    /// Whether a job of the current cluster is waiting or running.
    pub fn job_running(&self) -> bool {
        self.jobs
            .iter()
            .filter(|j| j.generation == self.generation())
            .any(|j| {
                matches!(
                    self.cluster.job_state(j.id),
                    Some(JobState::Waiting | JobState::Running)
                )
            })
    }

    /// The current cluster's generation.
    pub fn generation(&self) -> ClusterGeneration {
        ClusterGeneration(self.retired.len() as u32)
    }

    /// The cluster a job ran on.
    pub fn job_cluster(&self, job: &LabJob) -> &Cluster {
        self.retired
            .get(job.generation.0 as usize)
            .unwrap_or(&self.cluster)
    }

    /// The last job submitted.
    pub fn last_job(&self) -> Option<&LabJob> {
        self.jobs.last()
    }

    /// The last MapReduce job submitted.
    pub fn last_mapreduce(&self) -> Option<(&MapReduceSpec, &StreamingRun)> {
        self.jobs.iter().rev().find_map(|j| match &j.kind {
            JobKind::MapReduce { spec, run } => Some((spec, run)),
            JobKind::Sql { .. } => None,
        })
    }

    fn no_job_running(&self, what: &str) -> Result<(), Refused> {
        if self.job_running() {
            return refuse(
                format!("cannot change the {what} while a job runs on the cluster"),
                "wait for the job to end",
            );
        }
        Ok(())
    }

    fn known_table(&self, table: &str) -> Result<(), Refused> {
        if self.session.table(table).is_none() {
            return refuse(
                format!("there is no table \"{table}\""),
                format!("use one of {}", self.table_names().join(", ")),
            );
        }
        Ok(())
    }

    fn table_names(&self) -> Vec<String> {
        self.session.tables().keys().cloned().collect()
    }

    fn live_executor(&self, executor: ExecutorId) -> Result<(), Refused> {
        let views = self.cluster.executors();
        match views.iter().find(|v| v.id == executor) {
            Some(v) if v.alive => Ok(()),
            Some(_) => refuse(
                format!("{executor} is already lost"),
                "pick an executor that is still running",
            ),
            None => refuse(
                format!("there is no {executor}"),
                format!(
                    "executors are numbered 0 to {}",
                    views.len().saturating_sub(1)
                ),
            ),
        }
    }

    /// The one query a SQL command runs, planned (nothing runs).
    fn check_query(&self, query: &str) -> Result<(), Refused> {
        if query.len() > QUERY_BYTES_MAX {
            return refuse(
                format!("the query is {} bytes long", query.len()),
                format!("keep a query within {QUERY_BYTES_MAX} bytes"),
            );
        }
        let statements = Session::parse(query).map_err(|e| sql_refusal(&e))?;
        match statements.as_slice() {
            [sql::syntax::ast::Statement::Query(q)] => {
                self.session.plan(q).map_err(|e| sql_refusal(&e))?;
                Ok(())
            }
            [] => refuse("there is no query to run", "write a SELECT query"),
            [_] => refuse(
                "the cluster runs queries, not statements that change tables",
                "write a SELECT query",
            ),
            _ => refuse(
                "the cluster runs one query at a time",
                "submit the queries one by one",
            ),
        }
    }

    fn check_mapreduce(&self, spec: &MapReduceSpec) -> Result<(), Refused> {
        let known = spec.example == "custom" || example_program(&spec.example).is_some();
        if !known {
            let names: Vec<&str> = EXAMPLES.iter().map(|(n, _)| *n).collect();
            return refuse(
                format!("there is no example \"{}\"", spec.example),
                format!("use {} or custom", names.join(", ")),
            );
        }
        if spec.program.trim().is_empty() || spec.program.len() > PROGRAM_BYTES_MAX {
            return refuse(
                format!("the program is {} bytes long", spec.program.len()),
                format!("write a map function within {PROGRAM_BYTES_MAX} bytes"),
            );
        }
        in_range(spec.reducers, 0, REDUCERS_MAX, "reducers")?;
        in_range(spec.key_fields, 1, KEY_FIELDS_MAX, "key fields")?;
        if let Partitioner::KeyFields { options } = &spec.partitioner {
            if options.is_empty() || options.len() > PARTITIONER_OPTIONS_BYTES_MAX {
                return refuse(
                    format!("\"{options}\" is not a KeyFieldBasedPartitioner option"),
                    "write the fields to hash, such as -k1,2",
                );
            }
        }
        if spec.input == PREVIOUS_OUTPUT {
            if self.last_mapreduce().is_none() {
                return refuse(
                    "there is no previous MapReduce job to read the output of",
                    "run a job on a table first, such as input=docs",
                );
            }
            return Ok(());
        }
        if spec.input.len() > NAME_BYTES_MAX {
            return refuse("the input's name is too long", "name a table");
        }
        self.known_table(&spec.input)
    }

    pub fn validate(&self, command: &ClusterCommand) -> Result<(), Refused> {
        match command {
            ClusterCommand::Executors(n) => {
                in_range(*n, 1, EXECUTORS_MAX, "executors")?;
                self.no_job_running("executors")
            }
            ClusterCommand::Cores(n) => {
                in_range(*n, 1, CORES_MAX, "cores")?;
                self.no_job_running("cores")
            }
            ClusterCommand::Partitions(n) => in_range(*n, 1, PARTITIONS_MAX, "partitions"),
            ClusterCommand::BroadcastThreshold(Some(bytes)) => {
                in_range(*bytes, 0, BROADCAST_THRESHOLD_BYTES_MAX, "bytes")
            }
            ClusterCommand::BroadcastThreshold(None)
            | ClusterCommand::Aqe(_)
            | ClusterCommand::Speculation(_) => Ok(()),
            ClusterCommand::Cache(table) => {
                self.known_table(table)?;
                if self.settings.sql.cached.contains(table) {
                    return refuse(
                        format!("{table} is already cached"),
                        "run a query on it to fill the cache",
                    );
                }
                Ok(())
            }
            ClusterCommand::Uncache(table) => {
                if !self.settings.sql.cached.contains(table) {
                    return refuse(
                        format!("{table} is not cached"),
                        format!("cache it first: cluster cache {table}"),
                    );
                }
                Ok(())
            }
            ClusterCommand::Sql(query) => self.check_query(query),
            ClusterCommand::MapReduce(spec) => self.check_mapreduce(spec),
            ClusterCommand::Kill(executor) => self.live_executor(*executor),
            ClusterCommand::AddExecutor => {
                // Executor ids are never reused, so lost executors count towards the most a
                // lab cluster may start.
                if self.cluster.executors().len() >= usize::from(EXECUTORS_MAX) {
                    return refuse(
                        format!("this cluster has started {EXECUTORS_MAX} executors, the most a lab cluster may"),
                        "start a fresh cluster, such as: cluster executors 4",
                    );
                }
                Ok(())
            }
            ClusterCommand::Slow {
                executor,
                speed_percent,
            } => {
                in_range(
                    *speed_percent,
                    SPEED_PERCENT_MIN,
                    SPEED_PERCENT_MAX,
                    "percent of normal speed",
                )?;
                self.live_executor(*executor)
            }
        }
    }

    /// A new cluster with the current settings; the old one is kept when it ran jobs.
    fn rebuild_cluster(&mut self) {
        let fresh = Cluster::new(self.settings.cluster_config());
        let old = std::mem::replace(&mut self.cluster, fresh);
        if self.jobs.iter().any(|j| j.generation == self.generation()) {
            self.retired.push(old);
        }
    }

    fn changed(text: String) -> Vec<ClusterLabEvent> {
        vec![ClusterLabEvent::SettingsChanged(text)]
    }

    fn submit(&mut self, spec: cluster::sched::JobSpec, kind: JobKind) -> Vec<ClusterLabEvent> {
        let name = spec.name.clone();
        let id = self.cluster.submit(spec);
        self.jobs.push(LabJob {
            id,
            kind,
            generation: self.generation(),
            resubmitted_stages: 0,
        });
        vec![ClusterLabEvent::Submitted { job: id, name }]
    }

    fn run_sql(&mut self, query: &str) -> Result<Vec<ClusterLabEvent>, Refused> {
        let run = self
            .session
            .clone()
            .run_distributed(query, &self.settings.sql)
            .map_err(|e| sql_refusal(&e))?;
        let spec = jobs::sql_job(query, &run);
        Ok(self.submit(
            spec,
            JobKind::Sql {
                query: query.to_string(),
                run,
            },
        ))
    }

    /// The lines a MapReduce job reads.
    fn input_lines(&self, input: &str) -> Result<Vec<String>, Refused> {
        if input == PREVIOUS_OUTPUT {
            return match self.last_mapreduce() {
                Some((_, run)) => Ok(run.output_lines().map(str::to_string).collect()),
                None => refuse(
                    "there is no previous MapReduce job",
                    "run a job on a table first",
                ),
            };
        }
        match self.session.table(input) {
            Some(source) => Ok(jobs::table_lines(source.table())),
            None => refuse(
                format!("there is no table \"{input}\""),
                "name one of the lab's tables",
            ),
        }
    }

    /// Runs a streaming job over its input, cut into as many input splits (map tasks) as the
    /// partitions setting says, and submits its map and reduce stages.
    fn run_mapreduce(&mut self, spec: &MapReduceSpec) -> Result<Vec<ClusterLabEvent>, Refused> {
        let input = self.input_lines(&spec.input)?;
        let job = StreamingJob {
            lines_per_split: jobs::lines_per_split(input.len(), self.settings.sql.scan_partitions),
            input,
            program: spec.program.clone(),
            use_combiner: spec.combiner,
            reducers: spec.reducers,
            separator: '\t',
            key_fields: spec.key_fields,
            partitioner: spec.partitioner.clone(),
        };
        let run = cluster::mapreduce::run(&job).map_err(|e| {
            let message = match e.line {
                Some(line) => format!("line {line}: {}", e.message),
                None => e.message,
            };
            (message, e.hint)
        })?;
        let mut scheduled = run.job.clone();
        scheduled.name = format!("MapReduce: {} on {}", spec.example, spec.input);
        Ok(self.submit(
            scheduled,
            JobKind::MapReduce {
                spec: spec.clone(),
                run,
            },
        ))
    }

    pub fn apply(&mut self, command: &ClusterCommand) -> Result<Vec<ClusterLabEvent>, Refused> {
        self.validate(command)?;
        let cluster_error = |e: cluster::sched::ClusterError| (e.message, e.hint);
        Ok(match command {
            ClusterCommand::Executors(n) => {
                self.settings.executors = *n;
                self.rebuild_cluster();
                Self::changed(format!("a new cluster of {n} executors"))
            }
            ClusterCommand::Cores(n) => {
                self.settings.cores_per_executor = *n;
                self.rebuild_cluster();
                Self::changed(format!("a new cluster with {n} cores per executor"))
            }
            ClusterCommand::Partitions(n) => {
                self.settings.sql.scan_partitions = *n;
                self.settings.sql.shuffle_partitions = *n;
                Self::changed(format!("{n} partitions"))
            }
            ClusterCommand::BroadcastThreshold(bytes) => {
                self.settings.sql.broadcast_threshold_bytes = *bytes;
                Self::changed(match bytes {
                    Some(b) => format!("broadcast tables up to {} bytes", glue::grouped(*b)),
                    None => "broadcast joins off".into(),
                })
            }
            ClusterCommand::Aqe(on) => {
                self.settings.sql.aqe = *on;
                Self::changed(format!("adaptive query execution {}", on_off(*on)))
            }
            ClusterCommand::Speculation(on) => {
                self.settings.speculation = *on;
                self.cluster.set_speculation(*on);
                Self::changed(format!("speculation {}", on_off(*on)))
            }
            ClusterCommand::Cache(table) => {
                self.settings.sql.cached.push(table.clone());
                sim::sort::sort(&mut self.settings.sql.cached);
                Self::changed(format!("CACHE TABLE {table}"))
            }
            ClusterCommand::Uncache(table) => {
                self.settings.sql.cached.retain(|t| t != table);
                let dropped = self.cluster.drop_blocks(&jobs::table_blocks_prefix(table));
                Self::changed(format!(
                    "UNCACHE TABLE {table}: {dropped} cached blocks dropped"
                ))
            }
            ClusterCommand::Sql(query) => self.run_sql(query)?,
            ClusterCommand::MapReduce(spec) => self.run_mapreduce(spec)?,
            ClusterCommand::Kill(executor) => {
                let events = self
                    .cluster
                    .kill_executor(*executor)
                    .map_err(cluster_error)?;
                self.scheduler_events(events)
            }
            ClusterCommand::AddExecutor => {
                let events = self.cluster.add_executor().map_err(cluster_error)?;
                self.scheduler_events(events)
            }
            ClusterCommand::Slow {
                executor,
                speed_percent,
            } => {
                self.cluster
                    .set_speed(*executor, *speed_percent)
                    .map_err(cluster_error)?;
                Self::changed(format!("{executor} runs at {speed_percent}% speed"))
            }
        })
    }

    /// The scheduler's events as the lab's, counting the stages it resubmits (on a tick, or at
    /// once when an executor is killed).
    fn scheduler_events(&mut self, events: Vec<ClusterEvent>) -> Vec<ClusterLabEvent> {
        let generation = self.generation();
        for event in &events {
            if let ClusterEvent::StageResubmitted { job, .. } = event {
                if let Some(j) = self
                    .jobs
                    .iter_mut()
                    .find(|j| j.generation == generation && j.id == *job)
                {
                    j.resubmitted_stages += 1;
                }
            }
        }
        events.into_iter().map(ClusterLabEvent::Scheduler).collect()
    }

    /// One tick (0.1 s) of the cluster.
    pub fn tick(&mut self) -> Vec<ClusterLabEvent> {
        let events = self.cluster.tick();
        self.scheduler_events(events)
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Every job submitted, oldest first.
    pub fn jobs(&self) -> &[LabJob] {
        &self.jobs
    }

    /// The lab's tables (name, rows), for the query box's hints.
    pub fn tables(&self) -> Vec<(String, usize)> {
        self.session
            .tables()
            .iter()
            .map(|(name, source)| (name.clone(), source.table().rows))
            .collect()
    }

    /// A query's result on one machine (the reference the distributed result equals).
    pub fn single_machine(&self, query: &str) -> Result<Table, Refused> {
        self.check_query(query)?;
        let outcomes = self
            .session
            .clone()
            .execute(query)
            .map_err(|e| sql_refusal(&e))?;
        match outcomes.into_iter().next() {
            Some(Outcome::Rows(result)) => Ok(result.table),
            _ => refuse("the query returned no rows table", "write a SELECT query"),
        }
    }

    /// Feeds the lab's state to the lab's fingerprint: the settings, the clusters' attempts and
    /// clocks, and the jobs.
    pub fn hash_into(&self, hasher: &mut StateHasher) {
        stats::hash_settings(&self.settings, hasher);
        hasher.u64(self.retired.len() as u64);
        for cluster in self.retired.iter().chain([&self.cluster]) {
            stats::hash_cluster(cluster, hasher);
        }
        hasher.u64(self.jobs.len() as u64);
        for job in &self.jobs {
            hasher.u64(u64::from(job.id.0));
            hasher.u64(u64::from(job.generation.0));
            hasher.u64(job.resubmitted_stages);
            match &job.kind {
                JobKind::Sql { query, .. } => hasher.str(query),
                JobKind::MapReduce { spec, .. } => {
                    hasher.str(&spec.example);
                    hasher.str(&spec.program);
                    hasher.str(&spec.input);
                }
            }
        }
    }
}
