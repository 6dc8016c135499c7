//! A model small enough to reason about by hand, for the kernel's own tests: a counter that the
//! learner adds to and that a seeded coin adds 1 to on some ticks.

use crate::clock::Tick;
use crate::codec::{DecodeError, Reader, Writer};
use crate::model::{Model, Refusal};
use crate::rng::{Rng, Seed};
use crate::state_hash::StateHasher;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterConfig {
    pub seed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterCommand {
    /// Adds 1 to 255; 0 is refused.
    Add(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterEvent {
    Added(u8),
    Coin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zero;

impl fmt::Display for Zero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot add 0")
    }
}

impl Refusal for Zero {
    fn hint(&self) -> String {
        "add 1 or more".into()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    now: Tick,
    pub by_hand: u64,
    pub by_coin: u64,
    rng: Rng,
}

impl Model for Counter {
    type Config = CounterConfig;
    type Command = CounterCommand;
    type Event = CounterEvent;
    type Rejection = Zero;

    fn new(config: &CounterConfig) -> Counter {
        Counter {
            now: Tick::ZERO,
            by_hand: 0,
            by_coin: 0,
            rng: Rng::new(Seed(config.seed)),
        }
    }

    fn now(&self) -> Tick {
        self.now
    }

    fn validate(&self, command: &CounterCommand) -> Result<(), Zero> {
        match command {
            CounterCommand::Add(0) => Err(Zero),
            CounterCommand::Add(_) => Ok(()),
        }
    }

    fn apply(&mut self, command: &CounterCommand) -> Result<Vec<CounterEvent>, Zero> {
        self.validate(command)?;
        let CounterCommand::Add(n) = command;
        self.by_hand += u64::from(*n);
        Ok(vec![CounterEvent::Added(*n)])
    }

    fn tick(&mut self) -> Vec<CounterEvent> {
        self.now = self.now.next();
        if self.rng.below(2) == 0 {
            self.by_coin += 1;
            vec![CounterEvent::Coin]
        } else {
            vec![]
        }
    }

    fn state_hash(&self) -> u64 {
        let mut h = StateHasher::new();
        h.u64(self.now.0);
        h.u64(self.by_hand);
        h.u64(self.by_coin);
        h.u64(self.rng.clone().next_u64());
        h.finish()
    }

    fn encode_config(config: &CounterConfig, w: &mut Writer) {
        w.varint(config.seed);
    }

    fn decode_config(r: &mut Reader<'_>) -> Result<CounterConfig, DecodeError> {
        Ok(CounterConfig { seed: r.varint()? })
    }

    fn encode_command(command: &CounterCommand, w: &mut Writer) {
        let CounterCommand::Add(n) = command;
        w.u8(0);
        w.u8(*n);
    }

    fn decode_command(r: &mut Reader<'_>) -> Result<CounterCommand, DecodeError> {
        match r.u8()? {
            0 => Ok(CounterCommand::Add(r.u8()?)),
            _ => Err(DecodeError::Invalid("command")),
        }
    }
}
