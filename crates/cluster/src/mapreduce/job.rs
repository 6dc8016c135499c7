//! Running a [`StreamingJob`]: splits, map tasks (map, partition, sort, combine), the shuffle
//! and merge, reduce tasks, the counters and the scheduler's [`JobSpec`] (the model is in the
//! [`super`] module docs).

use super::partition::{
    key_fields_partition, parse_options, partition_of, text_hash_code, KeySpec,
};
use super::program::{parse, ErrorKind, Limits, Program, ProgramError, Session, Value};
use super::{Counters, JobError, MapTask, Partitioner, ReduceTask, StreamingJob, StreamingRun};
use crate::sched::{JobSpec, StageId, StageSpec, TaskSpec};
use sim::text::group_thousands;

/// Interpreter steps one task may run (its map or reduce calls, its combiner's calls apart).
pub const STEPS_PER_TASK_MAX: u64 = 2_000_000;
/// Bytes of output lines one task's program may emit.
pub const OUTPUT_BYTES_PER_TASK_MAX: u64 = 8_000_000;
/// Most reduce tasks a job may ask for.
pub const REDUCERS_MAX: u16 = 1_000;

/// One map output record, as text on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    key: String,
    value: String,
}

impl Record {
    /// Hadoop streaming's reading of an output line: the first `key_fields` fields are the key,
    /// the rest the value; a line with fewer fields is all key, with an empty value.
    fn parse(line: &str, separator: char, key_fields: u8) -> Record {
        let cut = line
            .match_indices(separator)
            .nth(usize::from(key_fields) - 1)
            .map(|(at, _)| at);
        match cut {
            Some(at) => Record {
                key: line[..at].to_string(),
                value: line[at + separator.len_utf8()..].to_string(),
            },
            None => Record {
                key: line.to_string(),
                value: String::new(),
            },
        }
    }

    /// Bytes of its line: key, separator, value and newline.
    fn wire_bytes(&self, separator: char) -> u64 {
        (self.key.len() + separator.len_utf8() + self.value.len() + 1) as u64
    }
}

/// What a combiner or reducer receives for a value: an `int` when the text is a decimal
/// integer (as mrjob's JSON protocol gives numbers), otherwise the `str`.
fn received_value(text: &str) -> Value {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let decimal = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    match text.parse::<i64>() {
        Ok(n) if decimal => Value::Int(n),
        _ => Value::str(text),
    }
}

/// Sorts by key bytes (the `Text` comparator's order), keeping equal keys in arrival order.
fn sort_by_key(records: &mut [Record]) {
    sim::sort::sort_by(records, |a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
}

/// Consecutive runs of records with the same key.
fn key_groups(records: &[Record]) -> impl Iterator<Item = &[Record]> {
    records.chunk_by(|a, b| a.key == b.key)
}

fn line_bytes(lines: &[String]) -> u64 {
    lines.iter().map(|l| l.len() as u64 + 1).sum()
}

/// Where in the job a program stopped, for the message.
enum Place<'a> {
    /// The top level, run at the start of a map task (`reduce_side` false) or a reduce task.
    TopLevel {
        reduce_side: bool,
        task: u32,
    },
    MapLine {
        split: u32,
        input_line: usize,
    },
    CombineKey {
        split: u32,
        key: &'a str,
    },
    ReduceKey {
        partition: u32,
        key: &'a str,
    },
    Close {
        partition: u32,
    },
}

impl Place<'_> {
    fn role(&self) -> &'static str {
        match self {
            Place::TopLevel { .. } => "program's top level",
            Place::MapLine { .. } => "mapper",
            Place::CombineKey { .. } => "combiner",
            Place::ReduceKey { .. } | Place::Close { .. } => "reducer",
        }
    }

    fn describe(&self) -> String {
        let key_text = |key: &str| {
            let shown: String = key.chars().take(60).collect();
            Value::str(&shown).repr()
        };
        match self {
            Place::TopLevel {
                reduce_side: false,
                task,
            } => format!("on split {task}"),
            Place::TopLevel {
                reduce_side: true,
                task,
            } => format!("in partition {task}"),
            Place::MapLine { split, input_line } => {
                format!("on split {split}, at input line {input_line}")
            }
            Place::CombineKey { split, key } => {
                format!("on split {split}, at key {}", key_text(key))
            }
            Place::ReduceKey { partition, key } => {
                format!("in partition {partition}, at key {}", key_text(key))
            }
            Place::Close { partition } => format!("in partition {partition}, in close()"),
        }
    }

    fn error(&self, e: ProgramError) -> JobError {
        let (role, place) = (self.role(), self.describe());
        let message = match e.kind {
            ErrorKind::StepBudget => format!(
                "the {role} ran over {} steps {place}",
                group_thousands(STEPS_PER_TASK_MAX)
            ),
            ErrorKind::OutputCap => format!(
                "the {role} emitted over {} bytes {place}",
                group_thousands(OUTPUT_BYTES_PER_TASK_MAX)
            ),
            ErrorKind::Syntax | ErrorKind::Runtime => {
                format!("the {role} failed {place}: {}", e.message)
            }
        };
        JobError {
            message,
            hint: e.hint,
            line: Some(e.line),
        }
    }
}

/// A map task's results beyond its [`MapTask`] row.
struct MapOutcome {
    task: MapTask,
    /// Its sorted (and combined) records for each reducer.
    partitions: Vec<Vec<Record>>,
    /// Map output bytes before the combiner (`Map output bytes`).
    output_bytes: u64,
}

/// A validated job, ready to run.
struct Plan<'a> {
    job: &'a StreamingJob,
    program: Program,
    /// `Some` for `KeyFieldBasedPartitioner`.
    key_specs: Option<Vec<KeySpec>>,
    limits: Limits,
}

/// Runs a job (see [`super::run`]).
pub fn run(job: &StreamingJob) -> Result<StreamingRun, JobError> {
    let plan = Plan::new(job)?;
    let mut outcomes = Vec::new();
    for (split, lines) in job.input.chunks(job.lines_per_split).enumerate() {
        let first_input_line = split * job.lines_per_split + 1;
        outcomes.push(plan.map_task(split as u32, lines, first_input_line)?);
    }
    let reduces = (0..u32::from(job.reducers))
        .map(|partition| plan.reduce_task(partition, &outcomes))
        .collect::<Result<Vec<_>, _>>()?;
    let counters = counters(job, &outcomes, &reduces);
    let maps: Vec<MapTask> = outcomes.into_iter().map(|o| o.task).collect();
    let spec = job_spec(job, &maps, &reduces);
    Ok(StreamingRun {
        maps,
        reduces,
        counters,
        job: spec,
    })
}

fn option_error(message: &str, hint: &str) -> JobError {
    JobError {
        message: message.to_string(),
        hint: hint.to_string(),
        line: None,
    }
}

fn program_error(e: ProgramError) -> JobError {
    JobError {
        message: e.message,
        hint: e.hint,
        line: Some(e.line),
    }
}

impl<'a> Plan<'a> {
    fn new(job: &'a StreamingJob) -> Result<Plan<'a>, JobError> {
        if job.lines_per_split == 0 {
            return Err(option_error(
                "lines per split must be at least 1",
                "each map task reads one split: 1,000 lines per split makes one map per 1,000 lines",
            ));
        }
        if job.key_fields == 0 {
            return Err(option_error(
                "stream.num.map.output.key.fields must be at least 1",
                "the key is the first N fields of each output line: 1 for word count, 3 for (event_type, source, cuid)",
            ));
        }
        if job.separator == '\n' || job.separator == '\r' {
            return Err(option_error(
                "the field separator cannot be a line break",
                "lines end at line breaks: separate fields with a tab ('\\t') or a comma",
            ));
        }
        if job.reducers > REDUCERS_MAX {
            return Err(option_error(
                &format!(
                    "{} reducers is more than this lab runs ({REDUCERS_MAX})",
                    job.reducers
                ),
                "a few reducers per executor core is plenty here",
            ));
        }
        let key_specs = match &job.partitioner {
            Partitioner::Hash => None,
            Partitioner::KeyFields { options } => Some(parse_options(options)?),
        };
        let program = parse(&job.program).map_err(program_error)?;
        let plan = Plan {
            job,
            program,
            key_specs,
            limits: Limits {
                steps_max: STEPS_PER_TASK_MAX,
                output_bytes_max: OUTPUT_BYTES_PER_TASK_MAX,
            },
        };
        plan.require(
            "map",
            "def map(line): runs once per input line and emits (key, value) pairs",
            true,
        )?;
        plan.require(
            "reduce",
            "def reduce(key, values): runs once per distinct key; or set reducers to 0 for a map-only job",
            job.reducers > 0,
        )?;
        plan.require(
            "combine",
            "def combine(key, values): runs on each map task's sorted output; or turn the combiner off",
            job.use_combiner && job.reducers > 0,
        )?;
        Ok(plan)
    }

    /// A function the job needs: missing, it is an error naming it, with a suggestion.
    fn require(&self, name: &str, usage: &str, needed: bool) -> Result<(), JobError> {
        if !needed || self.program.defines(name) {
            return Ok(());
        }
        let defined: Vec<&str> = self.program.functions().map(|f| &*f.name).collect();
        // "mapper" and "reducer" are the usual near misses: longer names, not typos.
        let near = defined
            .iter()
            .find(|d| d.starts_with(name))
            .map(|d| format!("did you mean \"{d}\"?"))
            .or_else(|| sim::text::did_you_mean(name, defined.iter().copied()));
        let hint = match near {
            Some(suggestion) => format!("{suggestion} The job calls {name}(): {usage}"),
            None => usage.to_string(),
        };
        Err(JobError {
            message: format!("the program defines no {name}() function"),
            hint,
            line: None,
        })
    }

    /// A fresh run of the program for one task (split `task` or partition `task`).
    fn session(&self, task: u32, reduce_side: bool) -> Result<Session, JobError> {
        Session::start(&self.program, self.limits, self.job.separator)
            .map_err(|e| Place::TopLevel { reduce_side, task }.error(e))
    }

    fn partition(&self, key: &str) -> u32 {
        match &self.key_specs {
            None => partition_of(text_hash_code(key.as_bytes()), self.job.reducers),
            Some(specs) => key_fields_partition(key, specs, self.job.separator, self.job.reducers),
        }
    }

    fn map_task(
        &self,
        split: u32,
        lines: &[String],
        first_input_line: usize,
    ) -> Result<MapOutcome, JobError> {
        let job = self.job;
        let mut session = self.session(split, false)?;
        let mut written = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            session.call("map", vec![Value::str(line)]).map_err(|e| {
                Place::MapLine {
                    split,
                    input_line: first_input_line + i,
                }
                .error(e)
            })?;
            written.extend(session.take_output());
        }
        let mut steps = session.steps();
        let output_records = written.len() as u64;
        let mut task = MapTask {
            split,
            input_records: lines.len() as u64,
            output_records,
            combined_records: output_records,
            bytes_per_reducer: vec![0; usize::from(job.reducers)],
            work_units: 0,
            output: Vec::new(),
        };
        if job.reducers == 0 {
            task.work_units = steps + task.input_records;
            let output_bytes = line_bytes(&written);
            task.output = written;
            return Ok(MapOutcome {
                task,
                partitions: Vec::new(),
                output_bytes,
            });
        }
        let mut partitions = vec![Vec::new(); usize::from(job.reducers)];
        let mut output_bytes = 0;
        for line in &written {
            let record = Record::parse(line, job.separator, job.key_fields);
            output_bytes += record.wire_bytes(job.separator);
            partitions[self.partition(&record.key) as usize].push(record);
        }
        partitions.iter_mut().for_each(|p| sort_by_key(p));
        if job.use_combiner {
            let mut combiner = self.session(split, false)?;
            for records in &mut partitions {
                *records = self.combine(&mut combiner, split, records)?;
            }
            steps += combiner.steps();
            task.combined_records = partitions.iter().map(|p| p.len() as u64).sum();
        }
        for (bytes, records) in task.bytes_per_reducer.iter_mut().zip(&partitions) {
            *bytes = records.iter().map(|r| r.wire_bytes(job.separator)).sum();
        }
        task.work_units = steps + task.input_records;
        Ok(MapOutcome {
            task,
            partitions,
            output_bytes,
        })
    }

    /// Runs `combine` per key over one partition's sorted records; its output, sorted again,
    /// replaces them (it stays in the partition, as Hadoop's combiner output does).
    fn combine(
        &self,
        combiner: &mut Session,
        split: u32,
        records: &[Record],
    ) -> Result<Vec<Record>, JobError> {
        let mut lines = Vec::new();
        for group in key_groups(records) {
            let key = &group[0].key;
            let values = group.iter().map(|r| received_value(&r.value)).collect();
            combiner
                .call("combine", vec![Value::str(key), Value::list(values)])
                .map_err(|e| Place::CombineKey { split, key }.error(e))?;
            lines.extend(combiner.take_output());
        }
        let mut combined: Vec<Record> = lines
            .iter()
            .map(|l| Record::parse(l, self.job.separator, self.job.key_fields))
            .collect();
        sort_by_key(&mut combined);
        Ok(combined)
    }

    fn reduce_task(&self, partition: u32, maps: &[MapOutcome]) -> Result<ReduceTask, JobError> {
        let at = partition as usize;
        let mut records: Vec<Record> = maps
            .iter()
            .flat_map(|m| m.partitions[at].iter().cloned())
            .collect();
        let shuffle_bytes = maps.iter().map(|m| m.task.bytes_per_reducer[at]).sum();
        sort_by_key(&mut records);
        let mut session = self.session(partition, true)?;
        let mut input_groups = 0;
        for group in key_groups(&records) {
            input_groups += 1;
            let key = &group[0].key;
            let values = group.iter().map(|r| received_value(&r.value)).collect();
            session
                .call("reduce", vec![Value::str(key), Value::list(values)])
                .map_err(|e| Place::ReduceKey { partition, key }.error(e))?;
        }
        if session.has_function("close") {
            session
                .call("close", Vec::new())
                .map_err(|e| Place::Close { partition }.error(e))?;
        }
        let output = session.take_output();
        Ok(ReduceTask {
            partition,
            input_groups,
            input_records: records.len() as u64,
            shuffle_bytes,
            output_records: output.len() as u64,
            work_units: session.steps() + records.len() as u64,
            output,
        })
    }
}

fn counters(job: &StreamingJob, maps: &[MapOutcome], reduces: &[ReduceTask]) -> Counters {
    let sum_maps = |f: fn(&MapOutcome) -> u64| maps.iter().map(f).sum::<u64>();
    let sum_reduces = |f: fn(&ReduceTask) -> u64| reduces.iter().map(f).sum::<u64>();
    let combining = job.use_combiner && job.reducers > 0;
    let map_only = job.reducers == 0;
    Counters {
        map_input_records: sum_maps(|m| m.task.input_records),
        map_output_records: sum_maps(|m| m.task.output_records),
        map_output_bytes: sum_maps(|m| m.output_bytes),
        combine_input_records: if combining {
            sum_maps(|m| m.task.output_records)
        } else {
            0
        },
        combine_output_records: if combining {
            sum_maps(|m| m.task.combined_records)
        } else {
            0
        },
        reduce_input_groups: sum_reduces(|r| r.input_groups),
        reduce_shuffle_bytes: sum_reduces(|r| r.shuffle_bytes),
        reduce_input_records: sum_reduces(|r| r.input_records),
        reduce_output_records: sum_reduces(|r| r.output_records),
        spilled_records: if map_only {
            0
        } else {
            sum_maps(|m| m.task.combined_records) + sum_reduces(|r| r.input_records)
        },
        hdfs_bytes_written: if map_only {
            sum_maps(|m| line_bytes(&m.task.output))
        } else {
            sum_reduces(|r| line_bytes(&r.output))
        },
    }
}

fn job_spec(job: &StreamingJob, maps: &[MapTask], reduces: &[ReduceTask]) -> JobSpec {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let map_stage = StageSpec {
        id: StageId(0),
        name: format!(
            "Stage 0: map {} split{}{}",
            maps.len(),
            plural(maps.len()),
            match (job.reducers, job.use_combiner) {
                (0, _) => ", write the output",
                (_, true) => ", sort, combine and spill",
                (_, false) => ", sort and spill",
            }
        ),
        parents: Vec::new(),
        tasks: maps
            .iter()
            .map(|m| TaskSpec {
                partition: m.split,
                work_units: m.work_units,
                shuffle_read_bytes: 0,
                shuffle_write_bytes: m.bytes_per_reducer.iter().sum(),
                cache: None,
            })
            .collect(),
    };
    let mut stages = vec![map_stage];
    if job.reducers > 0 {
        stages.push(StageSpec {
            id: StageId(1),
            name: format!(
                "Stage 1: shuffle, merge and reduce into {} part file{}",
                reduces.len(),
                plural(reduces.len())
            ),
            parents: vec![StageId(0)],
            tasks: reduces
                .iter()
                .map(|r| TaskSpec {
                    partition: r.partition,
                    work_units: r.work_units,
                    shuffle_read_bytes: r.shuffle_bytes,
                    shuffle_write_bytes: 0,
                    cache: None,
                })
                .collect(),
        });
    }
    JobSpec {
        name: format!(
            "streaming job: {} map{}, {} reduce{}",
            maps.len(),
            plural(maps.len()),
            reduces.len(),
            plural(reduces.len())
        ),
        stages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_split_into_key_fields_and_value() {
        let r = Record::parse("a\tb\tc\td", '\t', 3);
        assert_eq!((r.key.as_str(), r.value.as_str()), ("a\tb\tc", "d"));
        let r = Record::parse("a\t1", '\t', 1);
        assert_eq!((r.key.as_str(), r.value.as_str()), ("a", "1"));
        let r = Record::parse("a\t1", '\t', 3);
        assert_eq!((r.key.as_str(), r.value.as_str()), ("a\t1", ""));
        assert_eq!(Record::parse("é,1", ',', 1).wire_bytes(','), 5);
    }

    #[test]
    fn decimal_integers_arrive_as_ints_and_everything_else_as_text() {
        assert!(matches!(received_value("42"), Value::Int(42)));
        assert!(matches!(received_value("-7"), Value::Int(-7)));
        assert!(matches!(received_value("0"), Value::Int(0)));
        for text in [
            "007",
            "-0",
            "1.5",
            "",
            "-",
            "\\N",
            "12a",
            "99999999999999999999",
        ] {
            assert!(matches!(received_value(text), Value::Str(_)), "{text}");
        }
    }
}
