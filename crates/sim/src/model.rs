//! The contract between the kernel and whatever it simulates.
//!
//! A [`Model`] is a state at one logical tick that changes in exactly two ways: it accepts a
//! command (after validating it, so a refused command changes nothing) or it closes the current
//! tick. Both return the events they caused. Given the same config and the same timed commands, a
//! model must reach the same state, natively or in WebAssembly: no wall clock, no OS entropy, no
//! hash-ordered iteration. The kernel builds everything else on that promise: the
//! [`crate::journal::Journal`] records the commands, the [`crate::timeline::Timeline`] replays
//! them with checkpoints, and [`crate::share_link`] carries them in a URL.
//!
//! The model also owns the byte layout of its config and commands inside a journal: tags are its
//! to choose and must only ever be extended, never reused.

use crate::clock::Tick;
use crate::codec::{DecodeError, Reader, Writer};
use std::fmt;

/// Why a model refused a command, for a learner: the message is the `Display`, the hint says what
/// to do instead.
pub trait Refusal: fmt::Display + fmt::Debug + Clone + PartialEq + Eq {
    /// What to do instead.
    fn hint(&self) -> String;
}

/// A deterministic state machine driven by timed commands.
pub trait Model: Clone + fmt::Debug {
    /// Everything besides commands that fixes a run (a seed, a starting preset).
    type Config: Copy + fmt::Debug + PartialEq + Eq;
    /// What a learner (or a replay) can ask; the journal stores these and nothing else.
    type Command: Clone + fmt::Debug + PartialEq + Eq;
    /// What happened; applying a command or a tick returns them.
    type Event: Clone + fmt::Debug + PartialEq + Eq;
    /// Why a command was refused.
    type Rejection: Refusal;

    /// The state at tick 0 for `config`.
    fn new(config: &Self::Config) -> Self;

    /// The tick this state is at: commands applied now are stamped with it.
    fn now(&self) -> Tick;

    /// Checks `command` against the state without changing anything.
    fn validate(&self, command: &Self::Command) -> Result<(), Self::Rejection>;

    /// Applies `command` at [`Model::now`]. On rejection the state is unchanged.
    fn apply(&mut self, command: &Self::Command) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// Closes the current tick and moves the clock to the next one.
    fn tick(&mut self) -> Vec<Self::Event>;

    /// A fingerprint of the complete state, built from its fields with
    /// [`crate::state_hash::StateHasher`] (never from `Debug` output, whose text may change).
    fn state_hash(&self) -> u64;

    /// Appends `config` to a journal's bytes.
    fn encode_config(config: &Self::Config, w: &mut Writer);
    /// Reads what [`Model::encode_config`] wrote.
    fn decode_config(r: &mut Reader<'_>) -> Result<Self::Config, DecodeError>;
    /// Appends `command` to a journal's bytes.
    fn encode_command(command: &Self::Command, w: &mut Writer);
    /// Reads what [`Model::encode_command`] wrote, refusing unknown tags and out-of-range values.
    fn decode_command(r: &mut Reader<'_>) -> Result<Self::Command, DecodeError>;
}
