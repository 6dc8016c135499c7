//! The cluster lab in lessons: its steps (lines of the steps language), the `cluster.FIELD` goal
//! metrics, and how the journal and the trace tell its commands and events.
//!
//! ```text
//! cluster executors 4            # rebuilds the cluster (only while no job runs)
//! cluster cores 2                # task slots per executor (spark.executor.cores)
//! cluster partitions 8           # scan and shuffle partitions (spark.sql.shuffle.partitions)
//! cluster broadcast 10KiB        # spark.sql.autoBroadcastJoinThreshold (or: cluster broadcast off)
//! cluster aqe on                 # spark.sql.adaptive.enabled (or off)
//! cluster speculation on         # spark.speculation (or off)
//! cluster cache page_views       # CACHE TABLE (cluster uncache page_views: UNCACHE TABLE)
//! cluster kill 2                 # executor 2 is lost
//! cluster add-executor           # the cluster manager starts a replacement
//! cluster slow 1 25%             # executor 1 runs at a quarter of normal speed
//! cluster sql SELECT page, count(*) FROM page_views GROUP BY page
//! cluster mapreduce pvuv reducers=4 partitioner=-k1,2 key-fields=3 input=push_events
//! cluster mapreduce wordcount combiner=off input=docs   # input=previous: the last job's output
//! cluster mapreduce wordfreq      # word frequencies of the last job's output (input=previous)
//! ```
//!
//! `cluster sql` takes the rest of the line as the query, so it cannot hold `#` (a comment) or
//! `;` (lessons' step links separate steps with it). A `cluster` line whose first word is none of
//! the above is the broker lab's `cluster lag=...` step.

use super::command::PARTITIONS_MAX;
use super::stats::{job_stats, repeated_keys, JobStats};
use super::{ClusterCommand, ClusterLab, ClusterLabEvent, MapReduceSpec};
use crate::metric::{field, flag, plain, things, Field, Unit, Words};
use crate::state::{Command, Lab};
use crate::steps::Step;
use cluster::mapreduce::Partitioner;
use cluster::sched::{ClusterEvent, ExecutorId, FailureReason};

/// The first words of the cluster lab's `cluster` steps.
pub const SUBCOMMANDS: [&str; 13] = [
    "executors",
    "cores",
    "partitions",
    "broadcast",
    "aqe",
    "speculation",
    "cache",
    "uncache",
    "kill",
    "add-executor",
    "slow",
    "sql",
    "mapreduce",
];

/// A number with thousands separators.
pub fn grouped(n: u64) -> String {
    sim::text::group_thousands(n)
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// A size as steps write it: "10KiB", "1GiB", or bytes.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        0 => "0".into(),
        b if b % GIB == 0 => format!("{}GiB", b / GIB),
        b if b % MIB == 0 => format!("{}MiB", b / MIB),
        b if b % KIB == 0 => format!("{}KiB", b / KIB),
        b => b.to_string(),
    }
}

/// A size such as `10KiB`, `64MB` or `4096`, read as Spark reads byte sizes (a `KB` or `k` is 1024
/// bytes, like `KiB`).
fn parse_size(text: &str) -> Result<u64, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a size, such as 10KiB or 4096"))?;
    let multiplier = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KIB,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        _ => {
            return Err(format!(
                "\"{unit}\" is not a size unit: use KiB, MiB or GiB"
            ))
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("\"{text}\" is too large"))
}

fn on_off(word: &str, verb: &str) -> Result<bool, String> {
    match word {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("cluster {verb} takes on or off")),
    }
}

fn one<'a>(words: &[&'a str], verb: &str, usage: &str) -> Result<&'a str, String> {
    match words {
        [word] => Ok(word),
        _ => Err(format!("cluster {verb} takes one value, {usage}")),
    }
}

fn whole<T: std::str::FromStr>(word: &str, what: &str) -> Result<T, String> {
    word.parse()
        .map_err(|_| format!("{what} takes a whole number, not \"{word}\""))
}

fn executor(word: &str) -> Result<ExecutorId, String> {
    whole(word, "an executor").map(ExecutorId)
}

fn partitioner(word: &str) -> Result<Partitioner, String> {
    match word {
        "hash" => Ok(Partitioner::Hash),
        options if options.starts_with("-k") => Ok(Partitioner::KeyFields {
            options: options.to_string(),
        }),
        other => Err(format!(
            "\"{other}\" is not a partitioner: use hash or the fields to hash, such as -k1,2"
        )),
    }
}

fn mapreduce_command(words: &[&str]) -> Result<ClusterCommand, String> {
    let usage = "such as cluster mapreduce wordcount reducers=2 combiner=on";
    let (name, options) = words
        .split_first()
        .ok_or_else(|| format!("cluster mapreduce needs an example, {usage}"))?;
    let mut spec = MapReduceSpec::example(name).ok_or_else(|| {
        let names: Vec<&str> = cluster::mapreduce::EXAMPLES
            .iter()
            .map(|(n, _)| *n)
            .collect();
        format!("\"{name}\" is not an example: use {}", names.join(" or "))
    })?;
    let mut seen: Vec<&str> = Vec::new();
    for option in options {
        let (key, value) = option
            .split_once('=')
            .ok_or_else(|| format!("\"{option}\" is not key=value, {usage}"))?;
        if seen.contains(&key) {
            return Err(format!("\"{key}\" is given twice"));
        }
        seen.push(key);
        match key {
            "reducers" => spec.reducers = whole(value, "reducers")?,
            "combiner" => spec.combiner = on_off(value, "mapreduce combiner")?,
            "partitioner" => spec.partitioner = partitioner(value)?,
            "key-fields" => spec.key_fields = whole(value, "key-fields")?,
            "input" => spec.input = value.to_string(),
            _ => {
                return Err(format!(
                    "cluster mapreduce has no option \"{key}\"; use reducers, combiner, partitioner, key-fields or input"
                ))
            }
        }
    }
    Ok(ClusterCommand::MapReduce(spec))
}

fn command_for(sub: &str, rest: &str) -> Result<ClusterCommand, String> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let bare = |command: ClusterCommand| {
        if words.is_empty() {
            Ok(command)
        } else {
            Err(format!("cluster {sub} takes nothing more"))
        }
    };
    Ok(match sub {
        "executors" => ClusterCommand::Executors(whole(
            one(&words, sub, "such as cluster executors 4")?,
            "executors",
        )?),
        "cores" => ClusterCommand::Cores(whole(
            one(&words, sub, "such as cluster cores 2")?,
            "cores",
        )?),
        "partitions" => ClusterCommand::Partitions(whole(
            one(&words, sub, &format!("1 to {PARTITIONS_MAX}"))?,
            "partitions",
        )?),
        "broadcast" => ClusterCommand::BroadcastThreshold(
            match one(&words, sub, "such as cluster broadcast 10KiB, or off")? {
                "off" => None,
                size => Some(parse_size(size)?),
            },
        ),
        "aqe" => ClusterCommand::Aqe(on_off(one(&words, sub, "on or off")?, sub)?),
        "speculation" => ClusterCommand::Speculation(on_off(one(&words, sub, "on or off")?, sub)?),
        "cache" => ClusterCommand::Cache(one(&words, sub, "a table")?.to_string()),
        "uncache" => ClusterCommand::Uncache(one(&words, sub, "a table")?.to_string()),
        "kill" => ClusterCommand::Kill(executor(one(&words, sub, "an executor, such as 2")?)?),
        "add-executor" => bare(ClusterCommand::AddExecutor)?,
        "slow" => match words.as_slice() {
            [id, speed] => ClusterCommand::Slow {
                executor: executor(id)?,
                speed_percent: whole(speed.trim_end_matches('%'), "a speed in percent")?,
            },
            _ => {
                return Err(
                    "cluster slow takes an executor and its speed, such as cluster slow 1 25%"
                        .into(),
                )
            }
        },
        "sql" => {
            let query = rest.trim();
            if query.is_empty() {
                return Err("cluster sql takes a query, such as cluster sql SELECT 1".into());
            }
            ClusterCommand::Sql(query.to_string())
        }
        "mapreduce" => mapreduce_command(&words)?,
        other => {
            return Err(format!(
                "\"{other}\" is not a cluster step: use {}",
                SUBCOMMANDS.join(", ")
            ))
        }
    })
}

/// Parses a cluster lab step (`verb` and the rest of its line), or `None` when it is not one (the
/// broker lab's `cluster lag=...` is not).
pub(crate) fn parse_step(verb: &str, rest: &str) -> Option<Result<Step, String>> {
    if verb != "cluster" {
        return None;
    }
    let rest = rest.trim_start();
    let (sub, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if sub.is_empty() || sub.contains('=') {
        return None;
    }
    Some(command_for(sub, after).map(|c| Step::Lab(Command::Cluster(c))))
}

/// A whole step line as a lab command, or None when the line is not a cluster lab step.
pub fn parse_step_line(line: &str) -> Option<Result<Command, String>> {
    let line = line.trim();
    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    parse_step(verb, rest).map(|parsed| {
        parsed.and_then(|step| match step {
            Step::Lab(command) => Ok(command),
            other => Err(format!("not a cluster lab step: {other:?}")),
        })
    })
}

fn flag_word(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn partitioner_word(partitioner: &Partitioner) -> &str {
    match partitioner {
        Partitioner::Hash => "hash",
        Partitioner::KeyFields { options } => options,
    }
}

/// The step line that gives `command` back, or None for what steps cannot write: a MapReduce job
/// whose program was edited (steps run the examples as written), a query holding `;`, `#` or a
/// line break.
pub fn step_text(command: &ClusterCommand) -> Option<String> {
    Some(match command {
        ClusterCommand::Executors(n) => format!("cluster executors {n}"),
        ClusterCommand::Cores(n) => format!("cluster cores {n}"),
        ClusterCommand::Partitions(n) => format!("cluster partitions {n}"),
        ClusterCommand::BroadcastThreshold(Some(bytes)) => {
            format!("cluster broadcast {}", size_text(*bytes))
        }
        ClusterCommand::BroadcastThreshold(None) => "cluster broadcast off".into(),
        ClusterCommand::Aqe(on) => format!("cluster aqe {}", flag_word(*on)),
        ClusterCommand::Speculation(on) => format!("cluster speculation {}", flag_word(*on)),
        ClusterCommand::Cache(table) => format!("cluster cache {table}"),
        ClusterCommand::Uncache(table) => format!("cluster uncache {table}"),
        ClusterCommand::Kill(executor) => format!("cluster kill {}", executor.0),
        ClusterCommand::AddExecutor => "cluster add-executor".into(),
        ClusterCommand::Slow {
            executor,
            speed_percent,
        } => format!("cluster slow {} {speed_percent}%", executor.0),
        ClusterCommand::Sql(query) => {
            let writable = query.trim() == query
                && !query.is_empty()
                && !query.contains([';', '#', '\n', '\r']);
            if !writable {
                return None;
            }
            format!("cluster sql {query}")
        }
        ClusterCommand::MapReduce(spec) => {
            let example = MapReduceSpec::example(&spec.example)?;
            if example.program != spec.program {
                return None;
            }
            format!(
                "cluster mapreduce {} reducers={} combiner={} partitioner={} key-fields={} input={}",
                spec.example,
                spec.reducers,
                flag_word(spec.combiner),
                partitioner_word(&spec.partitioner),
                spec.key_fields,
                spec.input
            )
        }
    })
}

/// How the journal tells a command.
pub fn describe_command(command: &ClusterCommand) -> String {
    match command {
        ClusterCommand::Executors(n) => format!("a cluster of {n} executors"),
        ClusterCommand::Cores(n) => format!("{n} cores per executor"),
        ClusterCommand::Partitions(n) => format!("{n} partitions"),
        ClusterCommand::BroadcastThreshold(Some(bytes)) => {
            format!("broadcast threshold {}", size_text(*bytes))
        }
        ClusterCommand::BroadcastThreshold(None) => "broadcast joins off".into(),
        ClusterCommand::Aqe(on) => format!("adaptive query execution {}", flag_word(*on)),
        ClusterCommand::Speculation(on) => format!("speculation {}", flag_word(*on)),
        ClusterCommand::Cache(table) => format!("CACHE TABLE {table}"),
        ClusterCommand::Uncache(table) => format!("UNCACHE TABLE {table}"),
        ClusterCommand::Sql(query) => super::jobs::sql_job_name(query),
        ClusterCommand::MapReduce(spec) => format!(
            "MapReduce {} on {}: {} reducers, combiner {}, partitioner {}",
            spec.example,
            spec.input,
            spec.reducers,
            flag_word(spec.combiner),
            partitioner_word(&spec.partitioner)
        ),
        ClusterCommand::Kill(executor) => format!("kill {executor}"),
        ClusterCommand::AddExecutor => "add an executor".into(),
        ClusterCommand::Slow {
            executor,
            speed_percent,
        } => format!("{executor} slowed to {speed_percent}%"),
    }
}

fn reason_text(reason: FailureReason) -> &'static str {
    match reason {
        FailureReason::ExecutorLost => "its executor was lost",
        FailureReason::FetchFailed => "a shuffle fetch failed",
    }
}

/// How the trace tells an event.
pub fn describe_event(event: &ClusterLabEvent) -> String {
    match event {
        ClusterLabEvent::SettingsChanged(text) => text.clone(),
        ClusterLabEvent::Submitted { job, name } => format!("job {} submitted: {name}", job.0),
        ClusterLabEvent::Scheduler(e) => match e {
            ClusterEvent::JobStarted(job) => format!("job {} started", job.0),
            ClusterEvent::StageSubmitted { job, stage } => {
                format!("job {} stage {} submitted", job.0, stage.0)
            }
            ClusterEvent::StageResubmitted {
                job,
                stage,
                partitions,
            } => format!(
                "job {} stage {} resubmitted for {} lost partitions",
                job.0,
                stage.0,
                partitions.len()
            ),
            ClusterEvent::StageCompleted { job, stage } => {
                format!("job {} stage {} completed", job.0, stage.0)
            }
            ClusterEvent::TaskFailed {
                job,
                stage,
                partition,
                reason,
            } => format!(
                "job {} stage {} task {partition} failed: {}",
                job.0,
                stage.0,
                reason_text(*reason)
            ),
            ClusterEvent::SpeculativeLaunched {
                job,
                stage,
                partition,
            } => format!(
                "job {} stage {} task {partition}: a speculative copy launched",
                job.0, stage.0
            ),
            ClusterEvent::ExecutorLost {
                executor,
                blocks_lost,
                map_outputs_lost,
            } => format!(
                "{executor} lost with {blocks_lost} cached blocks and {map_outputs_lost} map outputs"
            ),
            ClusterEvent::ExecutorAdded(executor) => format!("{executor} added"),
            ClusterEvent::JobSucceeded { job, ticks } => {
                format!("job {} succeeded in {ticks} ticks", job.0)
            }
            ClusterEvent::JobFailed { job, reason } => format!("job {} failed: {reason}", job.0),
        },
    }
}

const fn bytes(noun: &'static str) -> Words {
    Words::Level {
        noun,
        unit: Unit::Bytes,
    }
}

const fn ticks(noun: &'static str) -> Words {
    things(noun, "tick", "ticks")
}

/// Fields of `cluster.FIELD`: the settings, then the last job's figures (0 before any job), then
/// the last MapReduce job's counters (0 before any).
pub const CLUSTER_FIELDS: &[Field] = &[
    field(
        "executors",
        things("the executors set", "executor", "executors"),
    ),
    field(
        "executors_alive",
        things("the executors running", "executor", "executors"),
    ),
    field(
        "partitions",
        things("the scan and shuffle partitions", "partition", "partitions"),
    ),
    field(
        "aqe",
        flag(
            "adaptive query execution is on",
            "adaptive query execution is off",
        ),
    ),
    field(
        "speculation",
        flag("speculation is on", "speculation is off"),
    ),
    field(
        "broadcast_threshold_bytes",
        plain("the broadcast join threshold in bytes (-1: broadcast joins off)"),
    ),
    field(
        "cached_tables",
        things("the cached tables", "table", "tables"),
    ),
    field("jobs", things("the jobs submitted", "job", "jobs")),
    field(
        "jobs_done",
        things("the jobs that succeeded", "job", "jobs"),
    ),
    field("job_running", flag("a job is running", "no job is running")),
    field("job_ticks", ticks("the last job's run time")),
    field("stages", things("the last job's stages", "stage", "stages")),
    field("tasks", things("the last job's tasks", "task", "tasks")),
    field(
        "shuffle_bytes",
        bytes("the bytes the last job wrote to shuffles"),
    ),
    field(
        "broadcast_joins",
        things("the last query's broadcast hash joins", "join", "joins"),
    ),
    field(
        "sort_merge_joins",
        things("the last query's sort-merge joins", "join", "joins"),
    ),
    field(
        "skew_splits",
        things(
            "the last query's partitions AQE split for skew",
            "partition",
            "partitions",
        ),
    ),
    field(
        "coalesced_partitions",
        things(
            "the last query's shuffle partitions AQE coalesced away",
            "partition",
            "partitions",
        ),
    ),
    field("max_task_ticks", ticks("the last job's longest task")),
    field("median_task_ticks", ticks("the last job's median task")),
    field(
        "failed_attempts",
        things("the last job's failed task attempts", "attempt", "attempts"),
    ),
    field(
        "fetch_failures",
        things(
            "the last job's shuffle fetch failures",
            "failure",
            "failures",
        ),
    ),
    field(
        "resubmitted_stages",
        things(
            "the last job's stages run again for lost map outputs",
            "stage",
            "stages",
        ),
    ),
    field(
        "speculative_attempts",
        things("the last job's speculative task copies", "copy", "copies"),
    ),
    field(
        "cache_hits",
        things(
            "the last job's task attempts that found their cached block",
            "attempt",
            "attempts",
        ),
    ),
    field(
        "cache_misses",
        things(
            "the last job's task attempts that computed their cached block",
            "attempt",
            "attempts",
        ),
    ),
    // Spark lessons
    field(
        "slots",
        things("the task slots of the running executors", "slot", "slots"),
    ),
    field(
        "waves",
        things(
            "the waves the last job's widest stage needed on the slots running now",
            "wave",
            "waves",
        ),
    ),
    field(
        "mr_jobs",
        things("the MapReduce jobs submitted", "job", "jobs"),
    ),
    field(
        "mr_map_tasks",
        things("the last MapReduce job's map tasks", "task", "tasks"),
    ),
    field(
        "mr_reducers",
        things("the last MapReduce job's reducers", "reducer", "reducers"),
    ),
    field(
        "mr_output_records",
        things("the last MapReduce job's output lines", "line", "lines"),
    ),
    field(
        "mr_shuffle_bytes",
        bytes("the last MapReduce job's reduce shuffle bytes"),
    ),
    field(
        "mr_combine_output_records",
        things(
            "the records the last MapReduce job's combiner wrote",
            "record",
            "records",
        ),
    ),
    field(
        "mr_spilled_records",
        things(
            "the last MapReduce job's spilled records",
            "record",
            "records",
        ),
    ),
    field(
        "mr_hdfs_bytes_written",
        bytes("the bytes the last MapReduce job wrote to HDFS"),
    ),
    field(
        "mr_repeated_keys",
        things(
            "the last MapReduce job's output lines whose key is on another line too",
            "line",
            "lines",
        ),
    ),
    // MapReduce lessons: the record counts of each phase (Hadoop's "Map input records", "Map
    // output records" and "Reduce input records" counters), so a lesson can show the mapper's
    // (word, 1) lines and what the combiner leaves of them for the reducers.
    field(
        "mr_map_input_records",
        things(
            "the lines the last MapReduce job's mappers read",
            "line",
            "lines",
        ),
    ),
    field(
        "mr_map_output_records",
        things(
            "the records the last MapReduce job's mappers wrote",
            "record",
            "records",
        ),
    ),
    field(
        "mr_reduce_input_records",
        things(
            "the records the last MapReduce job's reducers read",
            "record",
            "records",
        ),
    ),
];

fn settings_value(c: &ClusterLab, name: &str) -> Option<i64> {
    let s = c.settings();
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Some(match name {
        "executors" => i64::from(s.executors),
        "executors_alive" => c.cluster().executors().iter().filter(|e| e.alive).count() as i64,
        "partitions" => i64::from(s.sql.shuffle_partitions),
        "aqe" => i64::from(s.sql.aqe),
        "speculation" => i64::from(s.speculation),
        "broadcast_threshold_bytes" => s.sql.broadcast_threshold_bytes.map_or(-1, n),
        "cached_tables" => s.sql.cached.len() as i64,
        "jobs" => c.jobs().len() as i64,
        "jobs_done" => c
            .jobs()
            .iter()
            .filter(|j| {
                c.job_cluster(j).job_state(j.id) == Some(cluster::sched::JobState::Succeeded)
            })
            .count() as i64,
        "job_running" => i64::from(c.job_running()),
        _ => return None,
    })
}

/// The task slots of the live executors (`spark.executor.cores` each): how many tasks run at once.
fn live_slots(c: &ClusterLab) -> u64 {
    let alive = c.cluster().executors().iter().filter(|e| e.alive).count() as u64;
    alive * u64::from(c.settings().cores_per_executor)
}

/// The waves the last job's widest stage needs: its tasks over the slots, rounded up (Spark runs
/// a stage's tasks as slots free up, so 16 tasks on 8 slots run as two waves). 0 before any job.
fn widest_stage_waves(c: &ClusterLab) -> u64 {
    let widest = c
        .last_job()
        .and_then(|job| c.job_cluster(job).job_spec(job.id))
        .and_then(|spec| spec.stages.iter().map(|s| s.tasks.len() as u64).max())
        .unwrap_or(0);
    widest.div_ceil(live_slots(c).max(1))
}

/// The Spark lessons' figures of the cluster's shape against the last job.
fn spark_lesson_value(c: &ClusterLab, name: &str) -> Option<u64> {
    Some(match name {
        "slots" => live_slots(c),
        "waves" => widest_stage_waves(c),
        _ => return None,
    })
}

fn job_value(stats: &JobStats, resubmitted_stages: u64, name: &str) -> Option<u64> {
    Some(match name {
        "job_ticks" => stats.ticks,
        "stages" => stats.stages,
        "tasks" => stats.tasks,
        "shuffle_bytes" => stats.shuffle_bytes,
        "broadcast_joins" => stats.broadcast_joins,
        "sort_merge_joins" => stats.sort_merge_joins,
        "skew_splits" => stats.skew_splits,
        "coalesced_partitions" => stats.coalesced_partitions,
        "max_task_ticks" => stats.max_task_ticks,
        "median_task_ticks" => stats.median_task_ticks,
        "failed_attempts" => stats.failed_attempts,
        "fetch_failures" => stats.fetch_failures,
        "resubmitted_stages" => resubmitted_stages,
        "speculative_attempts" => stats.speculative_attempts,
        "cache_hits" => stats.cache_hits,
        "cache_misses" => stats.cache_misses,
        _ => return None,
    })
}

fn mapreduce_value(c: &ClusterLab, name: &str) -> Option<u64> {
    let last = c.last_mapreduce().map(|(_, run)| run);
    let counters = last.map(|r| r.counters.clone()).unwrap_or_default();
    Some(match name {
        "mr_jobs" => c
            .jobs()
            .iter()
            .filter(|j| matches!(j.kind, super::JobKind::MapReduce { .. }))
            .count() as u64,
        "mr_map_tasks" => last.map_or(0, |r| r.maps.len() as u64),
        "mr_reducers" => last.map_or(0, |r| r.reduces.len() as u64),
        "mr_output_records" => last.map_or(0, |r| r.output_lines().count() as u64),
        "mr_shuffle_bytes" => counters.reduce_shuffle_bytes,
        "mr_combine_output_records" => counters.combine_output_records,
        "mr_spilled_records" => counters.spilled_records,
        "mr_hdfs_bytes_written" => counters.hdfs_bytes_written,
        "mr_repeated_keys" => last.map_or(0, repeated_keys),
        // MapReduce lessons
        "mr_map_input_records" => counters.map_input_records,
        "mr_map_output_records" => counters.map_output_records,
        "mr_reduce_input_records" => counters.reduce_input_records,
        _ => return None,
    })
}

/// The value of `cluster.FIELD` for the lab's cluster lab, or None outside the cluster preset.
pub fn cluster_value(lab: &Lab, name: &str) -> Option<i64> {
    let c = lab.cluster_lab()?;
    lab_value(c, name)
}

/// The value of `cluster.FIELD` for a cluster lab (every field of [`CLUSTER_FIELDS`] has one).
pub fn lab_value(c: &ClusterLab, name: &str) -> Option<i64> {
    if let Some(value) = settings_value(c, name) {
        return Some(value);
    }
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    if let Some(value) = spark_lesson_value(c, name) {
        return Some(n(value));
    }
    if let Some(value) = mapreduce_value(c, name) {
        return Some(n(value));
    }
    let (stats, resubmitted) = match c.last_job() {
        Some(job) => (job_stats(c.job_cluster(job), job), job.resubmitted_stages),
        None => (JobStats::default(), 0),
    };
    job_value(&stats, resubmitted, name).map(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(line: &str) -> ClusterCommand {
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        match parse_step(verb, rest).unwrap().unwrap() {
            Step::Lab(Command::Cluster(c)) => c,
            other => panic!("not a cluster step: {other:?}"),
        }
    }

    #[test]
    fn steps_read_as_lessons_write_them() {
        assert_eq!(command("cluster executors 4"), ClusterCommand::Executors(4));
        assert_eq!(
            command("cluster broadcast 10KiB"),
            ClusterCommand::BroadcastThreshold(Some(10 * 1024))
        );
        assert_eq!(
            command("cluster broadcast 10MB"),
            ClusterCommand::BroadcastThreshold(Some(10 * 1024 * 1024))
        );
        assert_eq!(
            command("cluster broadcast off"),
            ClusterCommand::BroadcastThreshold(None)
        );
        assert_eq!(
            command("cluster slow 1 25%"),
            ClusterCommand::Slow {
                executor: ExecutorId(1),
                speed_percent: 25
            }
        );
        assert_eq!(
            command("cluster sql SELECT a,  b FROM t"),
            ClusterCommand::Sql("SELECT a,  b FROM t".into())
        );
        assert_eq!(command("cluster add-executor"), ClusterCommand::AddExecutor);
    }

    #[test]
    fn the_brokers_cluster_step_is_left_alone() {
        assert!(parse_step("cluster", "lag=100 session=90").is_none());
        assert!(parse_step("cluster", "").is_none());
        assert!(parse_step("executors", "4").is_none());
    }

    #[test]
    fn mistakes_are_named() {
        for (rest, words) in [
            ("executors many", "whole number"),
            ("aqe maybe", "on or off"),
            ("broadcast 10XB", "size unit"),
            ("slow 1", "an executor and its speed"),
            ("add-executor now", "nothing more"),
            ("sql   ", "takes a query"),
            ("teleport 3", "not a cluster step"),
            ("mapreduce", "needs an example"),
            ("mapreduce nosuch", "not an example"),
        ] {
            let error = parse_step("cluster", rest).unwrap().unwrap_err();
            assert!(error.contains(words), "{rest}: {error}");
        }
    }

    #[test]
    fn settings_steps_write_back_to_themselves() {
        for line in [
            "cluster executors 4",
            "cluster cores 2",
            "cluster partitions 8",
            "cluster broadcast 10KiB",
            "cluster broadcast 1000",
            "cluster broadcast off",
            "cluster aqe on",
            "cluster speculation off",
            "cluster cache page_views",
            "cluster uncache page_views",
            "cluster kill 2",
            "cluster add-executor",
            "cluster slow 1 25%",
            "cluster sql SELECT count(*) FROM push_events",
        ] {
            assert_eq!(step_text(&command(line)).as_deref(), Some(line));
        }
        assert_eq!(
            step_text(&ClusterCommand::Sql("SELECT 1; SELECT 2".into())),
            None
        );
    }

    #[test]
    fn every_field_is_answered_from_the_first_tick() {
        let lab = Lab::new(&crate::state::LabConfig {
            seed: sim::rng::Seed(1),
            preset: crate::state::Preset::Cluster,
        });
        for f in CLUSTER_FIELDS {
            assert!(cluster_value(&lab, f.name).is_some(), "{}", f.name);
            let metric = crate::metric::Metric::parse(&format!("cluster.{}", f.name)).unwrap();
            assert_eq!(metric.name(), format!("cluster.{}", f.name));
        }
        assert_eq!(cluster_value(&lab, "executors"), Some(4));
        assert_eq!(cluster_value(&lab, "jobs"), Some(0));
        assert_eq!(cluster_value(&lab, "nope"), None);
        assert!(crate::metric::Metric::parse("cluster.nope")
            .unwrap_err()
            .contains("executors_alive"));
        let other = Lab::new(&crate::state::LabConfig::default());
        assert_eq!(cluster_value(&other, "jobs"), None);
    }

    #[test]
    fn waves_are_the_widest_stages_tasks_over_the_live_slots() {
        let mut lab = ClusterLab::new(sim::rng::Rng::new(sim::rng::Seed(1)));
        assert_eq!(
            (lab_value(&lab, "slots"), lab_value(&lab, "waves")),
            (Some(8), Some(0))
        );
        let apply = |lab: &mut ClusterLab, command: ClusterCommand| {
            lab.apply(&command).map_err(|(m, _)| m).unwrap();
        };
        apply(&mut lab, ClusterCommand::Partitions(16));
        apply(
            &mut lab,
            ClusterCommand::Sql("SELECT page, count(*) FROM page_views GROUP BY page".into()),
        );
        assert_eq!(lab_value(&lab, "waves"), Some(2), "16 tasks on 8 slots");
        apply(&mut lab, ClusterCommand::Kill(ExecutorId(0)));
        assert_eq!(lab_value(&lab, "slots"), Some(6));
        assert_eq!(lab_value(&lab, "waves"), Some(3), "16 tasks on 6 slots");
    }

    #[test]
    fn the_brokers_cluster_line_still_parses_as_the_brokers() {
        let steps =
            crate::steps::parse_steps("cluster lag=100 session=90\ncluster aqe off").unwrap();
        assert!(matches!(steps[0], Step::Broker(_)));
        assert_eq!(
            steps[1],
            Step::Lab(Command::Cluster(ClusterCommand::Aqe(false)))
        );
    }

    #[test]
    fn sizes_read_and_write() {
        for bytes in [0, 1, 1000, 1024, 10 * 1024, 3 * 1024 * 1024, 1 << 30] {
            assert_eq!(parse_size(&size_text(bytes)), Ok(bytes));
        }
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("18446744073709551615GiB").is_err());
    }
}
