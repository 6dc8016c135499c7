//! Event sources that emit over logical time: the first thing a learner drives.
//!
//! Each source has a chance per tick (in permille) of emitting one event, drawn from its own forked
//! PRNG stream, and can be made to emit by hand. This is deliberately the smallest model that shows
//! what every later lab relies on: time only moves by ticks, randomness only comes from the seed,
//! and so the same journal always tells the same story.

use sim::clock::Tick;
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::fmt;

/// Most sources one lab may have.
pub const SOURCES_MAX: usize = 8;
/// Longest source name, in bytes.
pub const SOURCE_NAME_LEN_MAX: usize = 12;
/// Most events one `Emit` command may ask for.
pub const EMIT_COUNT_MAX: u16 = 100;
/// The chance per tick is a permille: 1000 means "every tick".
pub const CHANCE_PERMILLE_MAX: u16 = 1000;
/// Ticks of per-tick counts kept for charts.
pub const HISTORY_TICKS_MAX: usize = 600;

/// A source's position in the lab's source list; ids are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub u8);

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The lab-wide sequence number of an emitted event: 0, 1, 2, ... in emission order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventSeq(pub u64);

/// One event source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub id: SourceId,
    pub name: String,
    pub chance_per_tick_permille: u16,
    pub emitted_total: u64,
    pub emitted_by_hand: u64,
    rng: Rng,
}

/// An event a source emitted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Emission {
    pub seq: EventSeq,
    pub at: Tick,
    pub source: SourceId,
    /// A random payload in 0..1000 drawn from the source's stream.
    pub value: u16,
    pub by_hand: bool,
}

/// Events emitted during one tick, for the events-per-tick chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickCount {
    pub at: Tick,
    pub events: u32,
}

/// Why a source name was refused.
pub fn check_source_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("a name is needed");
    }
    if name.len() > SOURCE_NAME_LEN_MAX {
        return Err("names are at most 12 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("use lowercase letters, digits and '-'");
    }
    Ok(())
}

/// All sources, the per-tick history and the event sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    sources: Vec<Source>,
    history: std::collections::VecDeque<TickCount>,
    events_this_tick: u32,
    next_seq: u64,
    root_rng: Rng,
}

impl Stream {
    pub fn new(root_rng: Rng) -> Stream {
        Stream {
            sources: Vec::new(),
            history: std::collections::VecDeque::new(),
            events_this_tick: 0,
            next_seq: 0,
            root_rng,
        }
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub fn source(&self, id: SourceId) -> Option<&Source> {
        self.sources.get(usize::from(id.0))
    }

    pub fn source_named(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Per-tick event counts, oldest first, at most [`HISTORY_TICKS_MAX`].
    pub fn history(&self) -> impl ExactSizeIterator<Item = &TickCount> {
        self.history.iter()
    }

    pub fn events_total(&self) -> u64 {
        self.next_seq
    }

    /// Whether a source named `name` with this chance could be added now.
    pub fn check_new_source(
        &self,
        name: &str,
        chance_per_tick_permille: u16,
    ) -> Result<(), AddSourceError> {
        check_source_name(name).map_err(AddSourceError::BadName)?;
        if self.source_named(name).is_some() {
            return Err(AddSourceError::DuplicateName);
        }
        if self.sources.len() >= SOURCES_MAX {
            return Err(AddSourceError::TooMany);
        }
        if chance_per_tick_permille > CHANCE_PERMILLE_MAX {
            return Err(AddSourceError::ChanceOutOfRange);
        }
        Ok(())
    }

    /// Adds a source after validating it; on error nothing changes.
    pub fn add_source(
        &mut self,
        name: &str,
        chance_per_tick_permille: u16,
    ) -> Result<SourceId, AddSourceError> {
        self.check_new_source(name, chance_per_tick_permille)?;
        let id = SourceId(self.sources.len() as u8);
        self.sources.push(Source {
            id,
            name: name.to_string(),
            chance_per_tick_permille,
            emitted_total: 0,
            emitted_by_hand: 0,
            rng: self.root_rng.fork(&format!("stream/source/{name}")),
        });
        Ok(id)
    }

    /// Sets a source's chance; the caller has validated `id` and the range.
    pub fn set_chance(&mut self, id: SourceId, chance_per_tick_permille: u16) -> u16 {
        let source = &mut self.sources[usize::from(id.0)];
        std::mem::replace(
            &mut source.chance_per_tick_permille,
            chance_per_tick_permille,
        )
    }

    /// Emits one event from `id` at `at`; the caller has validated `id`.
    pub fn emit(&mut self, id: SourceId, at: Tick, by_hand: bool) -> Emission {
        let source = &mut self.sources[usize::from(id.0)];
        let value = source.rng.below(1000) as u16;
        source.emitted_total += 1;
        if by_hand {
            source.emitted_by_hand += 1;
        }
        let seq = EventSeq(self.next_seq);
        self.next_seq += 1;
        self.events_this_tick += 1;
        Emission {
            seq,
            at,
            source: id,
            value,
            by_hand,
        }
    }

    /// Closes tick `at`: every source rolls its chance once, then the tick's count is recorded.
    pub fn close_tick(&mut self, at: Tick) -> Vec<Emission> {
        let mut emitted = Vec::new();
        for index in 0..self.sources.len() {
            let source = &mut self.sources[index];
            if source.rng.chance_permille(source.chance_per_tick_permille) {
                emitted.push(self.emit(SourceId(index as u8), at, false));
            }
        }
        if self.history.len() == HISTORY_TICKS_MAX {
            self.history.pop_front();
        }
        self.history.push_back(TickCount {
            at,
            events: self.events_this_tick,
        });
        self.events_this_tick = 0;
        emitted
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.u64(self.sources.len() as u64);
        for source in &self.sources {
            hasher.str(&source.name);
            hasher.u64(u64::from(source.chance_per_tick_permille));
            hasher.u64(source.emitted_total);
            hasher.u64(source.emitted_by_hand);
            for word in source.rng.state_words() {
                hasher.u64(word);
            }
        }
        hasher.u64(self.next_seq);
        hasher.u64(u64::from(self.events_this_tick));
        for count in &self.history {
            hasher.u64(count.at.0);
            hasher.u64(u64::from(count.events));
        }
    }
}

/// Why a source could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddSourceError {
    BadName(&'static str),
    DuplicateName,
    TooMany,
    ChanceOutOfRange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::rng::Seed;

    #[test]
    fn names_are_validated() {
        assert!(check_source_name("sensor-1").is_ok());
        assert!(check_source_name("").is_err());
        assert!(check_source_name("Sensor").is_err());
        assert!(check_source_name("a-very-long-name").is_err());
    }

    #[test]
    fn a_source_at_full_chance_emits_every_tick() {
        let mut stream = Stream::new(Rng::new(Seed(1)));
        stream.add_source("a", 1000).unwrap();
        stream.add_source("b", 0).unwrap();
        for t in 0..10 {
            let emitted = stream.close_tick(Tick(t));
            assert_eq!(emitted.len(), 1);
            assert_eq!(emitted[0].source, SourceId(0));
        }
        assert_eq!(stream.events_total(), 10);
        assert_eq!(stream.history().len(), 10);
    }

    #[test]
    fn history_is_bounded() {
        let mut stream = Stream::new(Rng::new(Seed(1)));
        for t in 0..(HISTORY_TICKS_MAX as u64 + 50) {
            stream.close_tick(Tick(t));
        }
        assert_eq!(stream.history().len(), HISTORY_TICKS_MAX);
        assert_eq!(stream.history().next().unwrap().at, Tick(50));
    }

    #[test]
    fn add_source_refuses_without_changing_anything() {
        let mut stream = Stream::new(Rng::new(Seed(1)));
        for i in 0..SOURCES_MAX {
            stream.add_source(&format!("s{i}"), 10).unwrap();
        }
        let before = stream.clone();
        assert_eq!(stream.add_source("extra", 10), Err(AddSourceError::TooMany));
        assert_eq!(
            stream.add_source("s0", 10),
            Err(AddSourceError::DuplicateName)
        );
        assert_eq!(stream, before);
    }
}
