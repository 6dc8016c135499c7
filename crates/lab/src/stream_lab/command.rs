//! What a learner can ask of the streaming lab, what happens, and the journal bytes of it.
//!
//! The job's settings are the knobs the real engines have: the watermark's out-of-orderness
//! bound (Flink's `forBoundedOutOfOrderness`, Spark's `withWatermark`), allowed lateness
//! (Flink's `allowedLateness`, Kafka Streams' grace), the idleness timeout (Flink's
//! `withIdleness`), the emit mode (Spark's output modes, ksqlDB's `EMIT`), the delivery guarantee
//! and the checkpoint interval. Changing one redeploys the job, which reads the topic again from
//! its earliest offset with empty state, as a new Flink job without a savepoint would.

use crate::streaming::aggregate::EmitMode;
use crate::streaming::delivery::Guarantee;
use crate::streaming::medallion::Action;
use crate::streaming::value::{DurationUs, TimeUs, US_PER_SECOND};
use sim::codec::{DecodeError, Reader, Writer};

/// The longest query text a command carries.
pub const QUERY_LEN_MAX: usize = 2_000;
/// The longest user id or page name of a hand-sent click.
pub const NAME_LEN_MAX: usize = 40;
/// The longest delay, lateness, timeout or checkpoint interval: one day.
pub const DURATION_US_MAX: i64 = 86_400 * US_PER_SECOND;
/// The generator's fastest rate.
pub const CLICKS_PER_SECOND_MAX: u32 = 200;

/// A command to the streaming lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamCommand {
    /// Sends one click by hand to a partition of the clicks topic, stamped with an event time of
    /// the learner's choosing (an old one makes a late row).
    SendClick {
        partition: u32,
        user: String,
        page: String,
        amount: i64,
        event_time: TimeUs,
    },
    /// The click generator's rate (0 stops it) and how far behind processing time an event's
    /// time may be (its disorder).
    SetGenerator {
        clicks_per_second: u32,
        max_delay: DurationUs,
    },
    /// Stops (or resumes) the generator's writes to one partition: an idle partition.
    SetPartitionPaused {
        partition: u32,
        paused: bool,
    },
    /// Redeploys the job with another windowed query.
    SetQuery {
        sql: String,
    },
    SetWatermarkDelay {
        delay: DurationUs,
    },
    SetAllowedLateness {
        lateness: DurationUs,
    },
    SetIdleTimeout {
        timeout: Option<DurationUs>,
    },
    SetEmitMode {
        mode: EmitMode,
    },
    SetGuarantee {
        guarantee: Guarantee,
    },
    SetCheckpointInterval {
        interval: DurationUs,
    },
    /// The job's task fails: its state and any open transaction are lost.
    CrashJob,
    /// The job restarts from its last completed checkpoint.
    RestartJob,
    /// How long the training-samples pipeline gathers an exposure's events before it fixes the
    /// label (`wait-positive-secs`; 900 s when the lab starts).
    SetSampleWait {
        wait: DurationUs,
    },
    /// What the medallion pipeline does with a row that violates one of its expectations
    /// (Delta Live Tables' warn, drop or fail), from the next update on.
    SetExpectationAction {
        expectation: String,
        action: Action,
    },
    /// The interval join's bounds: a product view meets the checkouts of its user whose event
    /// time lies in `[view.ts + lower, view.ts + upper]` (both inclusive).
    SetJoinBounds {
        lower: DurationUs,
        upper: DurationUs,
    },
    /// Which stream-table join the lab follows: as of each click's event time (true) or the
    /// version that arrived last (processing time).
    SetTableJoinTime {
        event_time: bool,
    },
    /// Whether the training-samples pipeline writes each sample it emits to the `samples`
    /// topic (the first `on` creates the topic).
    SamplesToTopic {
        on: bool,
    },
    /// Whether the order feed is produced to the `orders_bronze` topic, which the medallion
    /// then reads through its consumer group (the first `on` creates the topic, its producer
    /// and the group; from then on bronze is the topic).
    BronzeTopic {
        on: bool,
    },
}

/// What happened, for the lab's trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StreamEvent {
    ClickSent {
        partition: u32,
        user: String,
        event_time: TimeUs,
    },
    GeneratorSet {
        clicks_per_second: u32,
        max_delay: DurationUs,
    },
    PartitionPaused {
        partition: u32,
        paused: bool,
    },
    /// The job was redeployed (a new query or setting): it reads from the earliest offset again.
    JobRedeployed {
        what: String,
    },
    JobCrashed,
    /// Restored from the checkpoint `checkpoint`: the offsets it rewound to, summed over partitions.
    JobRestarted {
        checkpoint: u64,
        rewound_records: u64,
    },
    CheckpointCompleted {
        checkpoint: u64,
    },
    /// The samples pipeline's label wait changed.
    SampleWaitSet {
        wait: DurationUs,
    },
    /// An expectation's action changed (its name: warn, drop or fail).
    ExpectationActionSet {
        expectation: String,
        action: String,
    },
    JoinBoundsSet {
        lower: DurationUs,
        upper: DurationUs,
    },
    TableJoinTimeSet {
        event_time: bool,
    },
    SamplesToTopicSet {
        on: bool,
    },
    BronzeTopicSet {
        on: bool,
    },
}

/// The format these bytes are written in.
const FORMAT_VERSION: u8 = 1;

const TAG_SEND_CLICK: u8 = 0;
const TAG_SET_GENERATOR: u8 = 1;
const TAG_SET_PARTITION_PAUSED: u8 = 2;
const TAG_SET_QUERY: u8 = 3;
const TAG_SET_WATERMARK_DELAY: u8 = 4;
const TAG_SET_ALLOWED_LATENESS: u8 = 5;
const TAG_SET_IDLE_TIMEOUT: u8 = 6;
const TAG_SET_EMIT_MODE: u8 = 7;
const TAG_SET_GUARANTEE: u8 = 8;
const TAG_SET_CHECKPOINT_INTERVAL: u8 = 9;
const TAG_CRASH_JOB: u8 = 10;
const TAG_RESTART_JOB: u8 = 11;
const TAG_SET_JOIN_BOUNDS: u8 = 14;
const TAG_SET_TABLE_JOIN_TIME: u8 = 15;
const TAG_SET_SAMPLE_WAIT: u8 = 12;
const TAG_SET_EXPECTATION_ACTION: u8 = 13;
const TAG_SAMPLES_TO_TOPIC: u8 = 16;
const TAG_BRONZE_TOPIC: u8 = 17;

/// The longest expectation name a command carries.
pub const EXPECTATION_NAME_LEN_MAX: usize = 64;

/// The expectation actions in their journal order.
const ACTIONS: [Action; 3] = [Action::Warn, Action::Drop, Action::Fail];

const MODES: [EmitMode; 4] = [
    EmitMode::Final,
    EmitMode::OnClose,
    EmitMode::Changes,
    EmitMode::Complete,
];

fn duration(w: &mut Writer, d: DurationUs) {
    w.varint(d.0.max(0) as u64);
}

fn read_duration(r: &mut Reader<'_>) -> Result<DurationUs, DecodeError> {
    Ok(DurationUs(
        r.varint_at_most(DURATION_US_MAX as u64, "duration")? as i64,
    ))
}

pub(crate) fn encode(w: &mut Writer, command: &StreamCommand) {
    w.u8(FORMAT_VERSION);
    match command {
        StreamCommand::SendClick {
            partition,
            user,
            page,
            amount,
            event_time,
        } => {
            w.u8(TAG_SEND_CLICK);
            w.varint(u64::from(*partition));
            w.str(user);
            w.str(page);
            w.signed(*amount);
            w.signed(event_time.0);
        }
        StreamCommand::SetGenerator {
            clicks_per_second,
            max_delay,
        } => {
            w.u8(TAG_SET_GENERATOR);
            w.varint(u64::from(*clicks_per_second));
            duration(w, *max_delay);
        }
        StreamCommand::SetPartitionPaused { partition, paused } => {
            w.u8(TAG_SET_PARTITION_PAUSED);
            w.varint(u64::from(*partition));
            w.u8(u8::from(*paused));
        }
        StreamCommand::SetQuery { sql } => {
            w.u8(TAG_SET_QUERY);
            w.str(sql);
        }
        StreamCommand::SetWatermarkDelay { delay } => {
            w.u8(TAG_SET_WATERMARK_DELAY);
            duration(w, *delay);
        }
        StreamCommand::SetAllowedLateness { lateness } => {
            w.u8(TAG_SET_ALLOWED_LATENESS);
            duration(w, *lateness);
        }
        StreamCommand::SetIdleTimeout { timeout } => {
            w.u8(TAG_SET_IDLE_TIMEOUT);
            // 0 is "no timeout": a timeout is at least one microsecond.
            w.varint(timeout.map_or(0, |d| d.0.max(1) as u64));
        }
        StreamCommand::SetEmitMode { mode } => {
            w.u8(TAG_SET_EMIT_MODE);
            w.u8(MODES.iter().position(|m| m == mode).unwrap_or(0) as u8);
        }
        StreamCommand::SetGuarantee { guarantee } => {
            w.u8(TAG_SET_GUARANTEE);
            w.u8(u8::from(*guarantee == Guarantee::ExactlyOnce));
        }
        StreamCommand::SetCheckpointInterval { interval } => {
            w.u8(TAG_SET_CHECKPOINT_INTERVAL);
            duration(w, *interval);
        }
        StreamCommand::CrashJob => w.u8(TAG_CRASH_JOB),
        StreamCommand::RestartJob => w.u8(TAG_RESTART_JOB),
        StreamCommand::SetJoinBounds { lower, upper } => {
            w.u8(TAG_SET_JOIN_BOUNDS);
            w.signed(lower.0);
            w.signed(upper.0);
        }
        StreamCommand::SetTableJoinTime { event_time } => {
            w.u8(TAG_SET_TABLE_JOIN_TIME);
            w.u8(u8::from(*event_time));
        }
        StreamCommand::SetSampleWait { wait } => {
            w.u8(TAG_SET_SAMPLE_WAIT);
            duration(w, *wait);
        }
        StreamCommand::SetExpectationAction {
            expectation,
            action,
        } => {
            w.u8(TAG_SET_EXPECTATION_ACTION);
            w.str(expectation);
            w.u8(ACTIONS.iter().position(|a| a == action).unwrap_or(0) as u8);
        }
        StreamCommand::SamplesToTopic { on } => {
            w.u8(TAG_SAMPLES_TO_TOPIC);
            w.u8(u8::from(*on));
        }
        StreamCommand::BronzeTopic { on } => {
            w.u8(TAG_BRONZE_TOPIC);
            w.u8(u8::from(*on));
        }
    }
}

pub(crate) fn decode(r: &mut Reader<'_>) -> Result<StreamCommand, DecodeError> {
    if r.u8()? > FORMAT_VERSION {
        return Err(DecodeError::Invalid("stream command format"));
    }
    Ok(match r.u8()? {
        TAG_SEND_CLICK => StreamCommand::SendClick {
            partition: r.varint_at_most(u64::from(u32::MAX), "partition")? as u32,
            user: r.str(NAME_LEN_MAX)?,
            page: r.str(NAME_LEN_MAX)?,
            amount: r.signed()?,
            event_time: TimeUs(r.signed()?),
        },
        TAG_SET_GENERATOR => StreamCommand::SetGenerator {
            clicks_per_second: r.varint_at_most(u64::from(CLICKS_PER_SECOND_MAX), "rate")? as u32,
            max_delay: read_duration(r)?,
        },
        TAG_SET_PARTITION_PAUSED => StreamCommand::SetPartitionPaused {
            partition: r.varint_at_most(u64::from(u32::MAX), "partition")? as u32,
            paused: r.u8()? != 0,
        },
        TAG_SET_QUERY => StreamCommand::SetQuery {
            sql: r.str(QUERY_LEN_MAX)?,
        },
        TAG_SET_WATERMARK_DELAY => StreamCommand::SetWatermarkDelay {
            delay: read_duration(r)?,
        },
        TAG_SET_ALLOWED_LATENESS => StreamCommand::SetAllowedLateness {
            lateness: read_duration(r)?,
        },
        TAG_SET_IDLE_TIMEOUT => StreamCommand::SetIdleTimeout {
            timeout: match read_duration(r)? {
                DurationUs(0) => None,
                d => Some(d),
            },
        },
        TAG_SET_EMIT_MODE => StreamCommand::SetEmitMode {
            mode: *MODES
                .get(usize::from(r.u8()?))
                .ok_or(DecodeError::Invalid("emit mode"))?,
        },
        TAG_SET_GUARANTEE => StreamCommand::SetGuarantee {
            guarantee: if r.u8()? != 0 {
                Guarantee::ExactlyOnce
            } else {
                Guarantee::AtLeastOnce
            },
        },
        TAG_SET_CHECKPOINT_INTERVAL => StreamCommand::SetCheckpointInterval {
            interval: read_duration(r)?,
        },
        TAG_CRASH_JOB => StreamCommand::CrashJob,
        TAG_RESTART_JOB => StreamCommand::RestartJob,
        TAG_SET_JOIN_BOUNDS => StreamCommand::SetJoinBounds {
            lower: DurationUs(r.signed()?),
            upper: DurationUs(r.signed()?),
        },
        TAG_SET_TABLE_JOIN_TIME => StreamCommand::SetTableJoinTime {
            event_time: r.u8()? != 0,
        },
        TAG_SET_SAMPLE_WAIT => StreamCommand::SetSampleWait {
            wait: read_duration(r)?,
        },
        TAG_SET_EXPECTATION_ACTION => StreamCommand::SetExpectationAction {
            expectation: r.str(EXPECTATION_NAME_LEN_MAX)?,
            action: *ACTIONS
                .get(usize::from(r.u8()?))
                .ok_or(DecodeError::Invalid("expectation action"))?,
        },
        TAG_SAMPLES_TO_TOPIC => StreamCommand::SamplesToTopic { on: r.u8()? != 0 },
        TAG_BRONZE_TOPIC => StreamCommand::BronzeTopic {
            on: match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(DecodeError::Invalid("bronze topic switch")),
            },
        },
        _ => return Err(DecodeError::Invalid("stream command")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_codec::codec_checks::{assert_refused, assert_round_trips};

    #[test]
    fn every_command_round_trips() {
        let commands = [
            StreamCommand::SendClick {
                partition: 2,
                user: "u7".into(),
                page: "home".into(),
                amount: -3,
                event_time: TimeUs(1_704_067_212_000_000),
            },
            StreamCommand::SetGenerator {
                clicks_per_second: 20,
                max_delay: DurationUs::from_seconds(3),
            },
            StreamCommand::SetPartitionPaused {
                partition: 1,
                paused: true,
            },
            StreamCommand::SetQuery {
                sql: "SELECT 1".into(),
            },
            StreamCommand::SetWatermarkDelay {
                delay: DurationUs::from_seconds(2),
            },
            StreamCommand::SetAllowedLateness {
                lateness: DurationUs(0),
            },
            StreamCommand::SetIdleTimeout { timeout: None },
            StreamCommand::SetIdleTimeout {
                timeout: Some(DurationUs::from_seconds(5)),
            },
            StreamCommand::SetEmitMode {
                mode: EmitMode::Changes,
            },
            StreamCommand::SetGuarantee {
                guarantee: Guarantee::ExactlyOnce,
            },
            StreamCommand::SetCheckpointInterval {
                interval: DurationUs::from_seconds(10),
            },
            StreamCommand::CrashJob,
            StreamCommand::RestartJob,
            StreamCommand::SetJoinBounds {
                lower: DurationUs::from_seconds(-30),
                upper: DurationUs::from_seconds(300),
            },
            StreamCommand::SetTableJoinTime { event_time: true },
            StreamCommand::SetSampleWait {
                wait: DurationUs::from_seconds(300),
            },
            StreamCommand::SetExpectationAction {
                expectation: "non_negative_amount".into(),
                action: Action::Drop,
            },
            StreamCommand::SetExpectationAction {
                expectation: "known_status".into(),
                action: Action::Fail,
            },
            StreamCommand::SamplesToTopic { on: true },
            StreamCommand::SamplesToTopic { on: false },
            StreamCommand::BronzeTopic { on: true },
            StreamCommand::BronzeTopic { on: false },
        ];
        assert_round_trips(&commands, encode, decode);
    }

    #[test]
    fn unknown_tags_and_newer_formats_are_refused() {
        assert_refused(&[&[FORMAT_VERSION, 99], &[FORMAT_VERSION + 1, 0]], decode);
    }

    #[test]
    fn the_bronze_topic_switch_is_tag_17_and_takes_only_on_or_off() {
        let mut w = Writer::new();
        encode(&mut w, &StreamCommand::BronzeTopic { on: true });
        assert_eq!(w.into_bytes(), vec![FORMAT_VERSION, 17, 1]);
        assert_refused(&[&[FORMAT_VERSION, 17, 2], &[FORMAT_VERSION, 17]], decode);
    }
}
