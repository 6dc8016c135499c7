//! The journal bytes of a [`Command`]: one stable tag per variant, then the variant's fields.
//! These bytes are the body of every share link, so a tag is never reused or renumbered; a new
//! command takes the next free tag (`tests/pinned_links.rs` fails when an old link changes meaning).

use crate::state::{Command, LabConfig, Preset};
use crate::stream::{SourceId, SOURCE_NAME_LEN_MAX};
use sim::codec::{DecodeError, Reader, Writer};
use sim::rng::Seed;

/// The seed, then the preset's tag.
pub(crate) fn encode_config(w: &mut Writer, config: &LabConfig) {
    w.varint(config.seed.0);
    w.u8(config.preset.tag());
}

pub(crate) fn decode_config(r: &mut Reader<'_>) -> Result<LabConfig, DecodeError> {
    let seed = Seed(r.varint()?);
    let preset = Preset::from_tag(r.u8()?).ok_or(DecodeError::Invalid("preset"))?;
    Ok(LabConfig { seed, preset })
}

const TAG_EMIT: u8 = 0;
const TAG_SET_CHANCE: u8 = 1;
const TAG_ADD_SOURCE: u8 = 2;
const TAG_BROKER: u8 = 3;
const TAG_QUEUE: u8 = 4;
// Tags 10 to 19: the Schema Registry.
const TAG_REGISTRY: u8 = 10;
const TAG_PRODUCE_AVRO: u8 = 11;
const TAG_READ_WITH: u8 = 12;
// Tag 20: the feature store.
const TAG_FEATURES: u8 = 20;
// Tag 21: the streaming lab.
const TAG_STREAM: u8 = 21;
// Tag 22: the rollouts lab.
const TAG_ROLLOUT: u8 = 22;
// Tag 23: the experiments lab.
const TAG_EXPERIMENT: u8 = 23;
// Tag 24: the pipeline world.
const TAG_PIPELINE: u8 = 24;
// Tag 25: the cluster lab.
const TAG_CLUSTER: u8 = 25;

pub(crate) fn encode_command(w: &mut Writer, command: &Command) {
    match command {
        Command::Emit { source, count } => {
            w.u8(TAG_EMIT);
            w.u8(source.0);
            w.varint(u64::from(*count));
        }
        Command::SetChance {
            source,
            chance_per_tick_permille,
        } => {
            w.u8(TAG_SET_CHANCE);
            w.u8(source.0);
            w.varint(u64::from(*chance_per_tick_permille));
        }
        Command::AddSource { name } => {
            w.u8(TAG_ADD_SOURCE);
            w.str(name);
        }
        Command::Broker(command) => {
            w.u8(TAG_BROKER);
            broker::command_codec::encode(w, command);
        }
        Command::Queue(command) => {
            w.u8(TAG_QUEUE);
            match command {
                broker::queue::QueueCommand::Publish { count } => {
                    w.u8(0);
                    w.varint(u64::from(*count));
                }
                broker::queue::QueueCommand::AddConsumer {
                    prefetch,
                    processing_ticks,
                } => {
                    w.u8(1);
                    w.varint(u64::from(*prefetch));
                    w.varint(*processing_ticks);
                }
                broker::queue::QueueCommand::CrashConsumer { consumer } => {
                    w.u8(2);
                    w.varint(u64::from(consumer.0));
                }
            }
        }
        Command::Registry(command) => {
            w.u8(TAG_REGISTRY);
            registry::command_codec::encode(w, command);
        }
        Command::ProduceAvro {
            producer,
            topic,
            schema,
            value,
        } => {
            w.u8(TAG_PRODUCE_AVRO);
            w.varint(u64::from(producer.0));
            w.str(topic);
            w.str(schema);
            w.str(value);
        }
        Command::ReadWith { subject, version } => {
            w.u8(TAG_READ_WITH);
            w.str(subject);
            w.varint(version.map_or(0, |v| u64::from(v.0)));
        }
        Command::Features(command) => {
            w.u8(TAG_FEATURES);
            features::store::command_codec::encode(w, command);
        }
        Command::Stream(command) => {
            w.u8(TAG_STREAM);
            crate::stream_lab::command::encode(w, command);
        }
        Command::Rollout(command) => {
            w.u8(TAG_ROLLOUT);
            crate::rollout_lab::command::encode(w, command);
        }
        Command::Experiment(command) => {
            w.u8(TAG_EXPERIMENT);
            crate::experiment_lab::command::encode(w, command);
        }
        Command::Pipeline(command) => {
            w.u8(TAG_PIPELINE);
            crate::pipeline_lab::command::encode(w, command);
        }
        Command::Cluster(command) => {
            w.u8(TAG_CLUSTER);
            crate::cluster_lab::command::encode(w, command);
        }
    }
}

pub(crate) fn decode_command(r: &mut Reader<'_>) -> Result<Command, DecodeError> {
    Ok(match r.u8()? {
        TAG_EMIT => Command::Emit {
            source: SourceId(r.u8()?),
            count: r.varint_at_most(u64::from(u16::MAX), "event count")? as u16,
        },
        TAG_SET_CHANCE => Command::SetChance {
            source: SourceId(r.u8()?),
            chance_per_tick_permille: r.varint_at_most(u64::from(u16::MAX), "chance")? as u16,
        },
        TAG_BROKER => Command::Broker(broker::command_codec::decode(r)?),
        TAG_QUEUE => Command::Queue(match r.u8()? {
            0 => broker::queue::QueueCommand::Publish {
                count: r.varint_at_most(u64::from(u16::MAX), "message count")? as u16,
            },
            1 => broker::queue::QueueCommand::AddConsumer {
                prefetch: r.varint_at_most(u64::from(u16::MAX), "prefetch")? as u16,
                processing_ticks: r.varint()?,
            },
            2 => broker::queue::QueueCommand::CrashConsumer {
                consumer: broker::queue::QueueConsumerId(
                    r.varint_at_most(u64::from(u32::MAX), "consumer")? as u32,
                ),
            },
            _ => return Err(DecodeError::Invalid("queue command")),
        }),
        TAG_ADD_SOURCE => Command::AddSource {
            name: r.str(SOURCE_NAME_LEN_MAX * 4)?,
        },
        TAG_REGISTRY => Command::Registry(registry::command_codec::decode(r)?),
        TAG_PRODUCE_AVRO => Command::ProduceAvro {
            producer: broker::producer::ProducerId(
                r.varint_at_most(u64::from(u32::MAX), "producer")? as u32,
            ),
            topic: r.str(registry::SUBJECT_LEN_MAX)?,
            schema: r.str(registry::SCHEMA_LEN_MAX)?,
            value: r.str(crate::schemas::VALUE_JSON_LEN_MAX)?,
        },
        TAG_READ_WITH => Command::ReadWith {
            subject: r.str(registry::SUBJECT_LEN_MAX)?,
            version: match r.varint_at_most(u64::from(u32::MAX), "version")? {
                0 => None,
                v => Some(registry::Version(v as u32)),
            },
        },
        TAG_FEATURES => Command::Features(features::store::command_codec::decode(r)?),
        TAG_STREAM => Command::Stream(crate::stream_lab::command::decode(r)?),
        TAG_ROLLOUT => Command::Rollout(crate::rollout_lab::command::decode(r)?),
        TAG_EXPERIMENT => Command::Experiment(crate::experiment_lab::command::decode(r)?),
        TAG_PIPELINE => Command::Pipeline(crate::pipeline_lab::command::decode(r)?),
        TAG_CLUSTER => Command::Cluster(crate::cluster_lab::command::decode(r)?),
        _ => return Err(DecodeError::Invalid("command")),
    })
}

/// The round-trip and refusal checks every lab's command codec is tested with.
#[cfg(test)]
pub(crate) mod codec_checks {
    use sim::codec::{DecodeError, Reader, Writer};
    use std::fmt::Debug;

    /// Each command, encoded then decoded, comes back equal, with no byte left over.
    pub(crate) fn assert_round_trips<C: PartialEq + Debug>(
        commands: &[C],
        encode: fn(&mut Writer, &C),
        decode: fn(&mut Reader<'_>) -> Result<C, DecodeError>,
    ) {
        for command in commands {
            let mut w = Writer::new();
            encode(&mut w, command);
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            assert_eq!(decode(&mut r).as_ref(), Ok(command), "bytes {bytes:?}");
            assert!(r.finish().is_ok(), "{command:?} leaves bytes unread");
        }
    }

    /// Each byte string is refused, not decoded into some command.
    pub(crate) fn assert_refused<C: Debug>(
        inputs: &[&[u8]],
        decode: fn(&mut Reader<'_>) -> Result<C, DecodeError>,
    ) {
        for bytes in inputs {
            let decoded = decode(&mut Reader::new(bytes));
            assert!(decoded.is_err(), "{bytes:?} decoded to {decoded:?}");
        }
    }
}
