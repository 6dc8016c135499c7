//! The cluster lab's limits, the journal bytes of its commands (after the lab's tag 25), and how
//! its events hash into the lab's state fingerprint.
//!
//! The limits keep a learner's input within what the simulated cluster and the lab's small tables
//! make sense for; the commands check them before anything changes (see [`super::ClusterLab::validate`]).

use super::{ClusterCommand, ClusterLabEvent, MapReduceSpec};
use cluster::mapreduce::Partitioner;
use cluster::sched::{ClusterEvent, ExecutorId, FailureReason};
use sim::codec::{DecodeError, Reader, Writer};
use std::hash::{Hash, Hasher};

/// Executors a cluster may have (`spark.executor.instances`), as many as the scheduler runs.
pub const EXECUTORS_MAX: u16 = cluster::sched::MAX_EXECUTORS;
/// Task slots per executor (`spark.executor.cores`).
pub const CORES_MAX: u16 = cluster::sched::MAX_CORES_PER_EXECUTOR;
/// Scan and shuffle partitions (`spark.sql.shuffle.partitions`), as many as the SQL engine plans.
pub const PARTITIONS_MAX: u16 = sql::distributed::PARTITIONS_MAX;
/// The largest broadcast threshold: 1 GiB.
pub const BROADCAST_THRESHOLD_BYTES_MAX: u64 = 1 << 30;
/// Reducers of a MapReduce job (`mapreduce.job.reduces`; 0 is a map-only job).
pub const REDUCERS_MAX: u16 = 16;
/// Key fields of a MapReduce job's map output (`stream.num.map.output.key.fields`).
pub const KEY_FIELDS_MAX: u8 = 8;
/// Longest mapper/reducer program.
pub const PROGRAM_BYTES_MAX: usize = 8 * 1024;
/// Longest SQL query.
pub const QUERY_BYTES_MAX: usize = 4 * 1024;
/// Longest table, example or input name.
pub const NAME_BYTES_MAX: usize = 64;
/// Longest `KeyFieldBasedPartitioner` options text ("-k1,2").
pub const PARTITIONER_OPTIONS_BYTES_MAX: usize = 32;
/// The slowest a straggler may be, in percent of normal speed (100 is normal).
pub const SPEED_PERCENT_MIN: u16 = 1;
pub const SPEED_PERCENT_MAX: u16 = 100;

const TAG_EXECUTORS: u8 = 0;
const TAG_CORES: u8 = 1;
const TAG_PARTITIONS: u8 = 2;
const TAG_BROADCAST: u8 = 3;
const TAG_AQE: u8 = 4;
const TAG_SPECULATION: u8 = 5;
const TAG_CACHE: u8 = 6;
const TAG_UNCACHE: u8 = 7;
const TAG_SQL: u8 = 8;
const TAG_MAPREDUCE: u8 = 9;
const TAG_KILL: u8 = 10;
const TAG_ADD_EXECUTOR: u8 = 11;
const TAG_SLOW: u8 = 12;

fn bool_byte(r: &mut Reader<'_>, what: &'static str) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::Invalid(what)),
    }
}

fn u16_varint(r: &mut Reader<'_>, what: &'static str) -> Result<u16, DecodeError> {
    Ok(r.varint_at_most(u64::from(u16::MAX), what)? as u16)
}

fn encode_partitioner(w: &mut Writer, partitioner: &Partitioner) {
    match partitioner {
        Partitioner::Hash => w.u8(0),
        Partitioner::KeyFields { options } => {
            w.u8(1);
            w.str(options);
        }
    }
}

fn decode_partitioner(r: &mut Reader<'_>) -> Result<Partitioner, DecodeError> {
    Ok(match r.u8()? {
        0 => Partitioner::Hash,
        1 => Partitioner::KeyFields {
            options: r.str(PARTITIONER_OPTIONS_BYTES_MAX)?,
        },
        _ => return Err(DecodeError::Invalid("partitioner")),
    })
}

fn encode_spec(w: &mut Writer, spec: &MapReduceSpec) {
    w.str(&spec.example);
    w.str(&spec.program);
    w.varint(u64::from(spec.reducers));
    w.u8(u8::from(spec.combiner));
    w.u8(spec.key_fields);
    encode_partitioner(w, &spec.partitioner);
    w.str(&spec.input);
}

fn decode_spec(r: &mut Reader<'_>) -> Result<MapReduceSpec, DecodeError> {
    Ok(MapReduceSpec {
        example: r.str(NAME_BYTES_MAX)?,
        program: r.str(PROGRAM_BYTES_MAX)?,
        reducers: u16_varint(r, "reducers")?,
        combiner: bool_byte(r, "combiner flag")?,
        key_fields: r.u8()?,
        partitioner: decode_partitioner(r)?,
        input: r.str(NAME_BYTES_MAX)?,
    })
}

/// The journal bytes of a cluster command (after the lab's tag 25).
pub fn encode(w: &mut Writer, command: &ClusterCommand) {
    match command {
        ClusterCommand::Executors(n) => {
            w.u8(TAG_EXECUTORS);
            w.varint(u64::from(*n));
        }
        ClusterCommand::Cores(n) => {
            w.u8(TAG_CORES);
            w.varint(u64::from(*n));
        }
        ClusterCommand::Partitions(n) => {
            w.u8(TAG_PARTITIONS);
            w.varint(u64::from(*n));
        }
        ClusterCommand::BroadcastThreshold(bytes) => {
            w.u8(TAG_BROADCAST);
            match bytes {
                None => w.u8(0),
                Some(b) => {
                    w.u8(1);
                    w.varint(*b);
                }
            }
        }
        ClusterCommand::Aqe(on) => {
            w.u8(TAG_AQE);
            w.u8(u8::from(*on));
        }
        ClusterCommand::Speculation(on) => {
            w.u8(TAG_SPECULATION);
            w.u8(u8::from(*on));
        }
        ClusterCommand::Cache(table) => {
            w.u8(TAG_CACHE);
            w.str(table);
        }
        ClusterCommand::Uncache(table) => {
            w.u8(TAG_UNCACHE);
            w.str(table);
        }
        ClusterCommand::Sql(query) => {
            w.u8(TAG_SQL);
            w.str(query);
        }
        ClusterCommand::MapReduce(spec) => {
            w.u8(TAG_MAPREDUCE);
            encode_spec(w, spec);
        }
        ClusterCommand::Kill(executor) => {
            w.u8(TAG_KILL);
            w.varint(u64::from(executor.0));
        }
        ClusterCommand::AddExecutor => w.u8(TAG_ADD_EXECUTOR),
        ClusterCommand::Slow {
            executor,
            speed_percent,
        } => {
            w.u8(TAG_SLOW);
            w.varint(u64::from(executor.0));
            w.varint(u64::from(*speed_percent));
        }
    }
}

/// Reads what [`encode`] wrote.
pub fn decode(r: &mut Reader<'_>) -> Result<ClusterCommand, DecodeError> {
    Ok(match r.u8()? {
        TAG_EXECUTORS => ClusterCommand::Executors(u16_varint(r, "executors")?),
        TAG_CORES => ClusterCommand::Cores(u16_varint(r, "cores")?),
        TAG_PARTITIONS => ClusterCommand::Partitions(u16_varint(r, "partitions")?),
        TAG_BROADCAST => ClusterCommand::BroadcastThreshold(match r.u8()? {
            0 => None,
            1 => Some(r.varint()?),
            _ => return Err(DecodeError::Invalid("broadcast threshold flag")),
        }),
        TAG_AQE => ClusterCommand::Aqe(bool_byte(r, "aqe flag")?),
        TAG_SPECULATION => ClusterCommand::Speculation(bool_byte(r, "speculation flag")?),
        TAG_CACHE => ClusterCommand::Cache(r.str(NAME_BYTES_MAX)?),
        TAG_UNCACHE => ClusterCommand::Uncache(r.str(NAME_BYTES_MAX)?),
        TAG_SQL => ClusterCommand::Sql(r.str(QUERY_BYTES_MAX)?),
        TAG_MAPREDUCE => ClusterCommand::MapReduce(decode_spec(r)?),
        TAG_KILL => ClusterCommand::Kill(ExecutorId(u16_varint(r, "executor")?)),
        TAG_ADD_EXECUTOR => ClusterCommand::AddExecutor,
        TAG_SLOW => ClusterCommand::Slow {
            executor: ExecutorId(u16_varint(r, "executor")?),
            speed_percent: u16_varint(r, "speed")?,
        },
        _ => return Err(DecodeError::Invalid("cluster command")),
    })
}

fn reason_tag(reason: FailureReason) -> u8 {
    match reason {
        FailureReason::ExecutorLost => 0,
        FailureReason::FetchFailed => 1,
    }
}

/// The scheduler's events carry no `Hash` of their own; the lab's event trace is hashed into the
/// state fingerprint, so each variant hashes its tag and fields here.
fn hash_scheduler_event<H: Hasher>(event: &ClusterEvent, state: &mut H) {
    match event {
        ClusterEvent::JobStarted(job) => {
            0u8.hash(state);
            job.hash(state);
        }
        ClusterEvent::StageSubmitted { job, stage } => {
            1u8.hash(state);
            (job, stage).hash(state);
        }
        ClusterEvent::StageResubmitted {
            job,
            stage,
            partitions,
        } => {
            2u8.hash(state);
            (job, stage, partitions).hash(state);
        }
        ClusterEvent::StageCompleted { job, stage } => {
            3u8.hash(state);
            (job, stage).hash(state);
        }
        ClusterEvent::TaskFailed {
            job,
            stage,
            partition,
            reason,
        } => {
            4u8.hash(state);
            (job, stage, partition, reason_tag(*reason)).hash(state);
        }
        ClusterEvent::SpeculativeLaunched {
            job,
            stage,
            partition,
        } => {
            5u8.hash(state);
            (job, stage, partition).hash(state);
        }
        ClusterEvent::ExecutorLost {
            executor,
            blocks_lost,
            map_outputs_lost,
        } => {
            6u8.hash(state);
            (executor, blocks_lost, map_outputs_lost).hash(state);
        }
        ClusterEvent::ExecutorAdded(executor) => {
            7u8.hash(state);
            executor.hash(state);
        }
        ClusterEvent::JobSucceeded { job, ticks } => {
            8u8.hash(state);
            (job, ticks).hash(state);
        }
        ClusterEvent::JobFailed { job, reason } => {
            9u8.hash(state);
            (job, reason).hash(state);
        }
    }
}

impl Hash for ClusterLabEvent {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            ClusterLabEvent::SettingsChanged(text) => {
                0u8.hash(state);
                text.hash(state);
            }
            ClusterLabEvent::Submitted { job, name } => {
                1u8.hash(state);
                (job, name).hash(state);
            }
            ClusterLabEvent::Scheduler(event) => {
                2u8.hash(state);
                hash_scheduler_event(event, state);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_codec::codec_checks::{assert_refused, assert_round_trips};

    fn spec() -> MapReduceSpec {
        MapReduceSpec {
            example: "pvuv".into(),
            program: "def map(line):\n    emit(line, 1)\n".into(),
            reducers: 3,
            combiner: true,
            key_fields: 2,
            partitioner: Partitioner::KeyFields {
                options: "-k1,1".into(),
            },
            input: "push_events".into(),
        }
    }

    #[test]
    fn every_command_round_trips() {
        let commands = [
            ClusterCommand::Executors(4),
            ClusterCommand::Cores(2),
            ClusterCommand::Partitions(64),
            ClusterCommand::BroadcastThreshold(Some(10 * 1024)),
            ClusterCommand::BroadcastThreshold(None),
            ClusterCommand::Aqe(false),
            ClusterCommand::Speculation(true),
            ClusterCommand::Cache("page_views".into()),
            ClusterCommand::Uncache("page_views".into()),
            ClusterCommand::Sql("SELECT page, count(*) FROM page_views GROUP BY page".into()),
            ClusterCommand::MapReduce(spec()),
            ClusterCommand::MapReduce(MapReduceSpec {
                partitioner: Partitioner::Hash,
                combiner: false,
                reducers: 0,
                ..spec()
            }),
            ClusterCommand::Kill(ExecutorId(2)),
            ClusterCommand::AddExecutor,
            ClusterCommand::Slow {
                executor: ExecutorId(1),
                speed_percent: 25,
            },
        ];
        assert_round_trips(&commands, encode, decode);
    }

    #[test]
    fn unknown_tags_and_bad_flags_are_refused() {
        assert_refused(
            &[
                &[99u8],
                &[TAG_AQE, 2],
                &[TAG_BROADCAST, 5],
                &[TAG_MAPREDUCE, 0, 0, 0, 0, 0, 7],
            ],
            decode,
        );
    }

    #[test]
    fn events_hash_by_content() {
        use cluster::sched::{JobId, StageId};
        let hash = |e: &ClusterLabEvent| {
            let mut h = sim::state_hash::StateHasher::new();
            e.hash(&mut h);
            h.finish()
        };
        let failed = |reason| {
            ClusterLabEvent::Scheduler(ClusterEvent::TaskFailed {
                job: JobId(0),
                stage: StageId(1),
                partition: 2,
                reason,
            })
        };
        assert_eq!(
            hash(&failed(FailureReason::FetchFailed)),
            hash(&failed(FailureReason::FetchFailed))
        );
        assert_ne!(
            hash(&failed(FailureReason::FetchFailed)),
            hash(&failed(FailureReason::ExecutorLost))
        );
    }
}
