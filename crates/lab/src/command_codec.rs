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
        _ => return Err(DecodeError::Invalid("command")),
    })
}
