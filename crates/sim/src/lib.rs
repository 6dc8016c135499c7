//! # sim: Flowlab's simulation kernel
//!
//! What every engine needs to be replayable, and nothing about any engine: logical time
//! ([`clock`]), a seeded PRNG with a pinned algorithm ([`rng`]), a stable state fingerprint
//! ([`state_hash`]), a hand-written byte codec ([`codec`]), and, over any [`model::Model`], the
//! journal of timed commands ([`journal`]), a [`timeline::Timeline`] that replays it with
//! checkpoints and forks the past, and [`share_link`]s that carry a journal in a URL. The
//! statistics engines share the distributions' special functions ([`special`]).
//!
//! *Invariant*: no I/O, no wall clock, no OS entropy, no hash-ordered iteration (`clippy.toml`
//! bans them), and no dependency on a browser crate or on an engine crate.
//!
//! ```
//! use sim::clock::Tick;
//! use sim::codec::{DecodeError, Reader, Writer};
//! use sim::model::{Model, Refusal};
//! use sim::timeline::Timeline;
//!
//! /// A light switch: `Flip` toggles it, and nothing happens on a tick.
//! #[derive(Clone, Debug, PartialEq)]
//! struct Switch { now: Tick, on: bool }
//!
//! #[derive(Clone, Debug, PartialEq, Eq)]
//! struct Never;
//! impl std::fmt::Display for Never {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "never") }
//! }
//! impl Refusal for Never { fn hint(&self) -> String { String::new() } }
//!
//! impl Model for Switch {
//!     type Config = ();
//!     type Command = ();
//!     type Event = bool;
//!     type Rejection = Never;
//!     fn new(_: &()) -> Switch { Switch { now: Tick::ZERO, on: false } }
//!     fn now(&self) -> Tick { self.now }
//!     fn validate(&self, _: &()) -> Result<(), Never> { Ok(()) }
//!     fn apply(&mut self, _: &()) -> Result<Vec<bool>, Never> { self.on = !self.on; Ok(vec![self.on]) }
//!     fn tick(&mut self) -> Vec<bool> { self.now = self.now.next(); vec![] }
//!     fn state_hash(&self) -> u64 { self.now.0 * 2 + u64::from(self.on) }
//!     fn encode_config(_: &(), _: &mut Writer) {}
//!     fn decode_config(_: &mut Reader<'_>) -> Result<(), DecodeError> { Ok(()) }
//!     fn encode_command(_: &(), w: &mut Writer) { w.u8(0) }
//!     fn decode_command(r: &mut Reader<'_>) -> Result<(), DecodeError> {
//!         (r.u8()? == 0).then_some(()).ok_or(DecodeError::Invalid("command"))
//!     }
//! }
//!
//! let mut timeline = Timeline::<Switch>::new(());
//! for t in 0..10 {
//!     if t % 3 == 0 { timeline.apply_at(Tick(t), ()).unwrap(); }
//!     timeline.advance_head().unwrap();
//! }
//! assert!(!timeline.head().on); // flipped at ticks 0, 3, 6 and 9
//! assert!(timeline.state_at(Tick(7)).on); // any past tick, by replay
//! let link = sim::share_link::encode(timeline.journal());
//! let reopened: Timeline<Switch> = sim::share_link::open(&link).unwrap();
//! assert_eq!(reopened.head(), timeline.head());
//! ```

pub mod calendar;
pub mod clock;
pub mod codec;
pub mod journal;
pub mod model;
pub mod rng;
pub mod share_link;
pub mod sort;
pub mod special;
pub mod state_hash;
#[cfg(test)]
mod test_model;
pub mod text;
pub mod timeline;
