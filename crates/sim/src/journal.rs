//! The journal: the only ground truth of a run. The model's config (a seed, a starting preset),
//! the accepted commands each stamped with the tick it was applied at, and the tick time has
//! reached. Everything on screen is derived from it by replay (see [`crate::timeline`]).
//!
//! Entries are kept in tick order; several entries may share a tick and then apply in journal
//! order, before that tick closes. The byte encoding here is the body of a share link, so it is
//! versioned by [`crate::share_link`] and must only ever be extended.

use crate::clock::Tick;
use crate::codec::{DecodeError, Reader, Writer};
use crate::model::Model;
use std::fmt;
use std::rc::Rc;

/// Most commands one journal may hold.
pub const JOURNAL_COMMANDS_MAX: usize = 200_000;
/// Furthest tick a journal may reach.
pub const JOURNAL_TICKS_MAX: u64 = 10_000_000;

/// One accepted command and the tick it was applied at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<C> {
    pub at: Tick,
    pub command: C,
}

/// Config, timed commands and the end of time so far.
///
/// The entries are shared (`Rc`, copied on write): cloning a journal, which the app's store does
/// on every change to keep its reducer pure, copies a pointer, and moving time forward never
/// copies them at all.
pub struct Journal<M: Model> {
    config: M::Config,
    entries: Rc<Vec<Entry<M::Command>>>,
    end: Tick,
}

// Written out rather than derived: a derive would demand `M: Clone + PartialEq` of the model
// itself, when only its config and commands are stored.
impl<M: Model> Clone for Journal<M> {
    fn clone(&self) -> Self {
        Journal {
            config: self.config,
            entries: Rc::clone(&self.entries),
            end: self.end,
        }
    }
}

impl<M: Model> PartialEq for Journal<M> {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config && self.end == other.end && self.entries == other.entries
    }
}

impl<M: Model> Eq for Journal<M> {}

impl<M: Model> fmt::Debug for Journal<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Journal")
            .field("config", &self.config)
            .field("entries", &self.entries)
            .field("end", &self.end)
            .finish()
    }
}

/// Why a journal could not be built or extended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalError<R> {
    /// [`JOURNAL_COMMANDS_MAX`] reached.
    TooManyCommands,
    /// [`JOURNAL_TICKS_MAX`] reached.
    TooManyTicks,
    /// An entry is stamped before the one preceding it, or after the end.
    OutOfOrder { index: usize },
    /// Replaying entry `index` was refused by the lab.
    Rejected { index: usize, rejection: R },
}

impl<R: fmt::Display> fmt::Display for JournalError<R> {
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

/// The error type of a journal of model `M`.
pub type JournalErrorOf<M> = JournalError<<M as Model>::Rejection>;

impl<M: Model> Journal<M> {
    /// An empty journal at tick 0.
    pub fn new(config: M::Config) -> Journal<M> {
        Journal {
            config,
            entries: Rc::new(Vec::new()),
            end: Tick::ZERO,
        }
    }

    /// A journal from parts, checking order and limits (not whether the commands replay: see
    /// [`crate::timeline::Timeline::from_journal`]).
    pub fn from_parts(
        config: M::Config,
        entries: Vec<Entry<M::Command>>,
        end: Tick,
    ) -> Result<Journal<M>, JournalErrorOf<M>> {
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
            entries: Rc::new(entries),
            end,
        })
    }

    pub fn config(&self) -> &M::Config {
        &self.config
    }

    pub fn entries(&self) -> &[Entry<M::Command>] {
        &self.entries
    }

    /// The tick time has reached; the last state of the journal is the state at this tick.
    pub fn end(&self) -> Tick {
        self.end
    }

    pub(crate) fn push(&mut self, command: M::Command) -> Result<(), JournalErrorOf<M>> {
        if self.entries.len() >= JOURNAL_COMMANDS_MAX {
            return Err(JournalError::TooManyCommands);
        }
        Rc::make_mut(&mut self.entries).push(Entry {
            at: self.end,
            command,
        });
        Ok(())
    }

    pub(crate) fn advance_end(&mut self) -> Result<(), JournalErrorOf<M>> {
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
        Rc::make_mut(&mut self.entries).truncate(keep);
        self.end = self.end.min(at);
        dropped
    }

    /// The compact binary form used inside share links.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        M::encode_config(&self.config, &mut w);
        w.varint(self.entries.len() as u64);
        let mut previous = Tick::ZERO;
        for entry in self.entries.iter() {
            w.varint(entry.at.ticks_since(previous));
            previous = entry.at;
            M::encode_command(&entry.command, &mut w);
        }
        w.varint(self.end.ticks_since(previous));
        w.into_bytes()
    }

    /// Reads [`Journal::to_bytes`] back, checking every field, order and limit.
    pub fn from_bytes(bytes: &[u8]) -> Result<Journal<M>, DecodeError> {
        let mut r = Reader::new(bytes);
        let config = M::decode_config(&mut r)?;
        let count = r.varint_at_most(JOURNAL_COMMANDS_MAX as u64, "command count")? as usize;
        let mut entries = Vec::with_capacity(count.min(1024));
        let mut at = Tick::ZERO;
        for _ in 0..count {
            at = at.plus(r.varint_at_most(JOURNAL_TICKS_MAX, "tick")?);
            entries.push(Entry {
                at,
                command: M::decode_command(&mut r)?,
            });
        }
        let end = at.plus(r.varint_at_most(JOURNAL_TICKS_MAX, "end tick")?);
        r.finish()?;
        Journal::from_parts(config, entries, end)
            .map_err(|_| DecodeError::Invalid("journal order or size"))
    }
}

/// The reference replay, from tick 0 with no checkpoints: the state at `until` (clamped to the
/// journal's end). [`crate::timeline::Timeline`] must always agree with it.
pub fn replay<M: Model>(journal: &Journal<M>, until: Tick) -> Result<M, JournalErrorOf<M>> {
    let mut state = M::new(&journal.config);
    replay_into(&mut state, journal.entries(), 0, until.min(journal.end))?;
    Ok(state)
}

/// Replays `entries[next..]` into `state` up to and including the commands stamped `until`.
/// `state` must be at the start of a tick no later than `until`, with every entry before `next`
/// applied and none after. Returns the index of the first entry not applied.
pub(crate) fn replay_into<M: Model>(
    state: &mut M,
    entries: &[Entry<M::Command>],
    mut next: usize,
    until: Tick,
) -> Result<usize, JournalErrorOf<M>> {
    loop {
        while let Some(entry) = entries.get(next).filter(|e| e.at == state.now()) {
            state
                .apply(&entry.command)
                .map_err(|rejection| JournalError::Rejected {
                    index: next,
                    rejection,
                })?;
            next += 1;
        }
        if state.now() >= until {
            return Ok(next);
        }
        state.tick();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_model::{Counter, CounterCommand, CounterConfig};

    fn add(at: u64, n: u8) -> Entry<CounterCommand> {
        Entry {
            at: Tick(at),
            command: CounterCommand::Add(n),
        }
    }

    fn sample() -> Journal<Counter> {
        let entries = vec![add(0, 2), add(0, 3), add(9, 7)];
        Journal::from_parts(CounterConfig { seed: 99 }, entries, Tick(40)).unwrap()
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
        assert_eq!(
            Journal::<Counter>::from_bytes(&bytes),
            Err(DecodeError::TrailingBytes)
        );
        bytes.truncate(bytes.len() - 3);
        assert!(Journal::<Counter>::from_bytes(&bytes).is_err());
    }

    #[test]
    fn order_and_limits_are_enforced() {
        assert_eq!(
            Journal::<Counter>::from_parts(
                CounterConfig { seed: 1 },
                vec![add(5, 1), add(2, 1)],
                Tick(9)
            ),
            Err(JournalError::OutOfOrder { index: 1 })
        );
        assert_eq!(
            Journal::<Counter>::from_parts(CounterConfig { seed: 1 }, vec![add(10, 1)], Tick(9)),
            Err(JournalError::OutOfOrder { index: 0 })
        );
        assert_eq!(
            Journal::<Counter>::from_parts(
                CounterConfig { seed: 1 },
                vec![],
                Tick(JOURNAL_TICKS_MAX + 1)
            ),
            Err(JournalError::TooManyTicks)
        );
    }

    #[test]
    fn replay_reaches_the_requested_tick_with_its_commands() {
        let journal = sample();
        let at_nine = replay(&journal, Tick(9)).unwrap();
        let before = replay(&journal, Tick(8)).unwrap();
        assert_eq!(at_nine.now(), Tick(9));
        assert_eq!(at_nine.by_hand, 12);
        assert_eq!(before.by_hand, 5);
        assert_eq!(replay(&journal, Tick(1000)).unwrap().now(), Tick(40));
    }

    #[test]
    fn a_refused_command_names_its_index() {
        let journal = Journal::<Counter>::from_parts(
            CounterConfig { seed: 1 },
            vec![add(1, 1), add(2, 0)],
            Tick(5),
        )
        .unwrap();
        assert!(matches!(
            replay(&journal, Tick(5)),
            Err(JournalError::Rejected { index: 1, .. })
        ));
    }

    #[test]
    fn truncation_drops_later_commands() {
        let mut journal = sample();
        assert_eq!(journal.truncate_after(Tick(3)), 1);
        assert_eq!(journal.end(), Tick(3));
        assert_eq!(journal.entries().len(), 2);
    }
}
