//! The journal: the only ground truth of a lab. A seed and scenario ([`LabConfig`]), the accepted
//! commands each stamped with the tick it was applied at, and the tick time has reached.
//! Everything on screen is derived from it by replay (see [`crate::timeline`]).
//!
//! Entries are kept in tick order; several entries may share a tick and then apply in journal
//! order, before that tick closes. The byte encoding here is the body of a share link, so it is
//! versioned by [`crate::share_link`] and must only ever be extended.

use crate::clock::Tick;
use crate::codec::{DecodeError, Reader, Writer};
use crate::lab::{Command, Lab, LabConfig, Rejection, Scenario};
use crate::rng::Seed;
use crate::stream::{SourceId, SOURCE_NAME_LEN_MAX};
use std::fmt;

/// Most commands one journal may hold.
pub const JOURNAL_COMMANDS_MAX: usize = 200_000;
/// Furthest tick a journal may reach.
pub const JOURNAL_TICKS_MAX: u64 = 10_000_000;

/// One accepted command and the tick it was applied at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: Tick,
    pub command: Command,
}

/// Seed, scenario, timed commands and the end of time so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    config: LabConfig,
    entries: Vec<Entry>,
    end: Tick,
}

/// Why a journal could not be built or extended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalError {
    /// [`JOURNAL_COMMANDS_MAX`] reached.
    TooManyCommands,
    /// [`JOURNAL_TICKS_MAX`] reached.
    TooManyTicks,
    /// An entry is stamped before the one preceding it, or after the end.
    OutOfOrder { index: usize },
    /// Replaying entry `index` was refused by the lab.
    Rejected { index: usize, rejection: Rejection },
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::TooManyCommands => {
                write!(f, "the journal is full ({JOURNAL_COMMANDS_MAX} commands)")
            }
            JournalError::TooManyTicks => {
                write!(f, "the clock reached its limit ({JOURNAL_TICKS_MAX} ticks)")
            }
            JournalError::OutOfOrder { index } => {
                write!(f, "command {} is out of time order", index + 1)
            }
            JournalError::Rejected { index, rejection } => {
                write!(f, "command {} cannot be replayed: {rejection}", index + 1)
            }
        }
    }
}

impl Journal {
    /// An empty journal at tick 0.
    pub fn new(config: LabConfig) -> Journal {
        Journal {
            config,
            entries: Vec::new(),
            end: Tick::ZERO,
        }
    }

    /// A journal from parts, checking order and limits (not whether the commands replay: see
    /// [`crate::timeline::Timeline::from_journal`]).
    pub fn from_parts(
        config: LabConfig,
        entries: Vec<Entry>,
        end: Tick,
    ) -> Result<Journal, JournalError> {
        if entries.len() > JOURNAL_COMMANDS_MAX {
            return Err(JournalError::TooManyCommands);
        }
        if end.0 > JOURNAL_TICKS_MAX {
            return Err(JournalError::TooManyTicks);
        }
        let mut previous = Tick::ZERO;
        for (index, entry) in entries.iter().enumerate() {
            if entry.at < previous || entry.at > end {
                return Err(JournalError::OutOfOrder { index });
            }
            previous = entry.at;
        }
        Ok(Journal {
            config,
            entries,
            end,
        })
    }

    pub fn config(&self) -> &LabConfig {
        &self.config
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The tick time has reached; the last state of the journal is the state at this tick.
    pub fn end(&self) -> Tick {
        self.end
    }

    pub(crate) fn push(&mut self, command: Command) -> Result<(), JournalError> {
        if self.entries.len() >= JOURNAL_COMMANDS_MAX {
            return Err(JournalError::TooManyCommands);
        }
        self.entries.push(Entry {
            at: self.end,
            command,
        });
        Ok(())
    }

    pub(crate) fn advance_end(&mut self) -> Result<(), JournalError> {
        if self.end.0 >= JOURNAL_TICKS_MAX {
            return Err(JournalError::TooManyTicks);
        }
        self.end = self.end.next();
        Ok(())
    }

    /// Forgets everything after `at`: the journal now ends at `at`. Returns how many commands went.
    pub(crate) fn truncate_after(&mut self, at: Tick) -> usize {
        let keep = self.entries.partition_point(|e| e.at <= at);
        let dropped = self.entries.len() - keep;
        self.entries.truncate(keep);
        self.end = self.end.min(at);
        dropped
    }

    /// The compact binary form used inside share links.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.varint(self.config.seed.0);
        w.u8(self.config.scenario.tag());
        w.varint(self.entries.len() as u64);
        let mut previous = Tick::ZERO;
        for entry in &self.entries {
            w.varint(entry.at.ticks_since(previous));
            previous = entry.at;
            encode_command(&mut w, &entry.command);
        }
        w.varint(self.end.ticks_since(previous));
        w.into_bytes()
    }

    /// Reads [`Journal::to_bytes`] back, checking every field, order and limit.
    pub fn from_bytes(bytes: &[u8]) -> Result<Journal, DecodeError> {
        let mut r = Reader::new(bytes);
        let seed = Seed(r.varint()?);
        let scenario = Scenario::from_tag(r.u8()?).ok_or(DecodeError::Invalid("scenario"))?;
        let count = r.varint_at_most(JOURNAL_COMMANDS_MAX as u64, "command count")? as usize;
        let mut entries = Vec::with_capacity(count.min(1024));
        let mut at = Tick::ZERO;
        for _ in 0..count {
            at = at.plus(r.varint_at_most(JOURNAL_TICKS_MAX, "tick")?);
            entries.push(Entry {
                at,
                command: decode_command(&mut r)?,
            });
        }
        let end = at.plus(r.varint_at_most(JOURNAL_TICKS_MAX, "end tick")?);
        r.finish()?;
        Journal::from_parts(LabConfig { seed, scenario }, entries, end)
            .map_err(|_| DecodeError::Invalid("journal order or size"))
    }
}

const TAG_EMIT: u8 = 0;
const TAG_SET_CHANCE: u8 = 1;
const TAG_ADD_SOURCE: u8 = 2;
const TAG_BROKER: u8 = 3;
const TAG_QUEUE: u8 = 4;

fn encode_command(w: &mut Writer, command: &Command) {
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
            crate::broker::command_codec::encode(w, command);
        }
        Command::Queue(command) => {
            w.u8(TAG_QUEUE);
            match command {
                crate::queue::QueueCommand::Publish { count } => {
                    w.u8(0);
                    w.varint(u64::from(*count));
                }
                crate::queue::QueueCommand::AddConsumer {
                    prefetch,
                    processing_ticks,
                } => {
                    w.u8(1);
                    w.varint(u64::from(*prefetch));
                    w.varint(*processing_ticks);
                }
                crate::queue::QueueCommand::CrashConsumer { consumer } => {
                    w.u8(2);
                    w.varint(u64::from(consumer.0));
                }
            }
        }
    }
}

fn decode_command(r: &mut Reader<'_>) -> Result<Command, DecodeError> {
    Ok(match r.u8()? {
        TAG_EMIT => Command::Emit {
            source: SourceId(r.u8()?),
            count: r.varint_at_most(u64::from(u16::MAX), "event count")? as u16,
        },
        TAG_SET_CHANCE => Command::SetChance {
            source: SourceId(r.u8()?),
            chance_per_tick_permille: r.varint_at_most(u64::from(u16::MAX), "chance")? as u16,
        },
        TAG_BROKER => Command::Broker(crate::broker::command_codec::decode(r)?),
        TAG_QUEUE => Command::Queue(match r.u8()? {
            0 => crate::queue::QueueCommand::Publish {
                count: r.varint_at_most(u64::from(u16::MAX), "message count")? as u16,
            },
            1 => crate::queue::QueueCommand::AddConsumer {
                prefetch: r.varint_at_most(u64::from(u16::MAX), "prefetch")? as u16,
                processing_ticks: r.varint()?,
            },
            2 => crate::queue::QueueCommand::CrashConsumer {
                consumer: crate::queue::QueueConsumerId(
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

/// The reference replay, from tick 0 with no checkpoints: the state at `until` (clamped to the
/// journal's end). [`crate::timeline::Timeline`] must always agree with it.
pub fn replay(journal: &Journal, until: Tick) -> Result<Lab, JournalError> {
    let mut lab = Lab::new(&journal.config);
    replay_into(&mut lab, journal.entries(), 0, until.min(journal.end))?;
    Ok(lab)
}

/// Replays `entries[next..]` into `lab` up to and including the commands stamped `until`.
/// `lab` must be at the start of a tick no later than `until`, with every entry before `next`
/// applied and none after. Returns the index of the first entry not applied.
pub(crate) fn replay_into(
    lab: &mut Lab,
    entries: &[Entry],
    mut next: usize,
    until: Tick,
) -> Result<usize, JournalError> {
    loop {
        while let Some(entry) = entries.get(next).filter(|e| e.at == lab.now()) {
            lab.apply(&entry.command)
                .map_err(|rejection| JournalError::Rejected {
                    index: next,
                    rejection,
                })?;
            next += 1;
        }
        if lab.now() >= until {
            return Ok(next);
        }
        lab.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Journal {
        let entries = vec![
            Entry {
                at: Tick(0),
                command: Command::Emit {
                    source: SourceId(0),
                    count: 2,
                },
            },
            Entry {
                at: Tick(0),
                command: Command::AddSource { name: "s-1".into() },
            },
            Entry {
                at: Tick(9),
                command: Command::SetChance {
                    source: SourceId(2),
                    chance_per_tick_permille: 1000,
                },
            },
        ];
        Journal::from_parts(
            LabConfig {
                seed: Seed(99),
                scenario: Scenario::Busy,
            },
            entries,
            Tick(40),
        )
        .unwrap()
    }

    #[test]
    fn bytes_round_trip() {
        let journal = sample();
        assert_eq!(Journal::from_bytes(&journal.to_bytes()), Ok(journal));
    }

    #[test]
    fn trailing_or_missing_bytes_are_refused() {
        let mut bytes = sample().to_bytes();
        bytes.push(0);
        assert_eq!(Journal::from_bytes(&bytes), Err(DecodeError::TrailingBytes));
        bytes.truncate(bytes.len() - 3);
        assert!(Journal::from_bytes(&bytes).is_err());
    }

    #[test]
    fn order_is_enforced() {
        let entries = vec![
            Entry {
                at: Tick(5),
                command: Command::Emit {
                    source: SourceId(0),
                    count: 1,
                },
            },
            Entry {
                at: Tick(2),
                command: Command::Emit {
                    source: SourceId(0),
                    count: 1,
                },
            },
        ];
        assert_eq!(
            Journal::from_parts(LabConfig::default(), entries, Tick(9)),
            Err(JournalError::OutOfOrder { index: 1 })
        );
    }

    #[test]
    fn replay_reaches_the_requested_tick_with_its_commands() {
        let journal = sample();
        let at_nine = replay(&journal, Tick(9)).unwrap();
        assert_eq!(at_nine.now(), Tick(9));
        assert_eq!(at_nine.stream().sources()[2].chance_per_tick_permille, 1000);
        let before = replay(&journal, Tick(8)).unwrap();
        assert_eq!(before.stream().sources()[2].chance_per_tick_permille, 150);
        assert_eq!(replay(&journal, Tick(1000)).unwrap().now(), Tick(40));
    }

    #[test]
    fn truncation_drops_later_commands() {
        let mut journal = sample();
        assert_eq!(journal.truncate_after(Tick(3)), 1);
        assert_eq!(journal.end(), Tick(3));
        assert_eq!(journal.entries().len(), 2);
    }
}
