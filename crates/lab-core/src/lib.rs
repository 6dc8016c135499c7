//! # lab-core: Flowlab's deterministic simulation
//!
//! Everything a Flowlab lab *is* lives here, and nothing about how it is shown: this crate has no
//! dependency on a browser, a wall clock or OS entropy, so the same [`journal::Journal`] always
//! replays to the same [`lab::Lab`], natively or in WebAssembly.
//!
//! The flow: a learner's action becomes a [`lab::Command`]; the [`timeline::Timeline`] applies it
//! at the current [`clock::Tick`] (or forks the past), records it in the journal, and returns
//! [`lab::Event`]s. Any tick's state is rebuilt by replay from the nearest checkpoint. A journal
//! travels as a [`share_link`]. Lessons are data ([`lesson`]) whose goals ([`check`]) are predicates
//! over named [`metric`]s of the state.
//!
//! ```
//! use lab_core::{clock::Tick, lab::{Command, LabConfig}, stream::SourceId, timeline::Timeline};
//! let mut timeline = Timeline::new(LabConfig::default());
//! for _ in 0..100 { timeline.advance_head().unwrap(); }
//! timeline.apply_at(Tick(100), Command::Emit { source: SourceId(0), count: 3 }).unwrap();
//! let link = lab_core::share_link::encode(timeline.journal());
//! let reopened = lab_core::share_link::open(&link).unwrap();
//! assert_eq!(reopened.head().state_hash(), timeline.head().state_hash());
//! ```

pub mod bench;
pub mod broker;
pub mod check;
pub mod clock;
pub mod codec;
pub mod compare;
pub mod journal;
pub mod lab;
pub mod lesson;
pub mod metric;
pub mod queue;
pub mod rng;
pub mod scenario;
pub mod share_link;
pub mod sql;
pub mod state_hash;
pub mod stream;
pub mod timeline;
