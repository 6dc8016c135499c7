//! # lab: the composition of Flowlab's engines
//!
//! The engines know nothing of each other; this crate wires them on one clock. A [`state::Lab`]
//! holds the event sources, the Kafka-style cluster, the classic queue and the Schema Registry
//! ([`schemas`]) of its starting [`state::Preset`], and implements [`sim::model::Model`], so the kernel's journal, timeline and
//! share links work on it unchanged. Here also live the things that span engines: the broker's
//! topics as SQL tables ([`topics`]), metrics and goals ([`metric`], [`check`]), the steps
//! language ([`steps`]), fork and compare ([`compare`]), lessons and their lint ([`lesson`]) and the
//! benchmarks ([`bench`]).
//!
//! The flow: a learner's action becomes a [`state::Command`]; the [`timeline::Timeline`] applies
//! it at the current [`clock::Tick`] (or forks the past), records it in the journal, and returns
//! [`state::Event`]s. Any tick's state is rebuilt by replay from the nearest checkpoint. A journal
//! travels as a [`share_link`].
//!
//! ```
//! use lab::{clock::Tick, state::{Command, LabConfig}, stream::SourceId, timeline::Timeline};
//! let mut timeline = Timeline::new(LabConfig::default());
//! for _ in 0..100 { timeline.advance_head().unwrap(); }
//! timeline.apply_at(Tick(100), Command::Emit { source: SourceId(0), count: 3 }).unwrap();
//! let link = lab::share_link::encode(timeline.journal());
//! let reopened = lab::share_link::open(&link).unwrap();
//! assert_eq!(reopened.head().state_hash(), timeline.head().state_hash());
//! ```

pub use broker::{self, queue, stream};
pub use cluster;
pub use experiments;
pub use features;
pub use registry;
pub use rollouts;
pub use sim::{self, clock, codec, rng, state_hash};
pub use sql;
pub use streaming;

pub mod bench;
pub mod check;
pub mod cluster_lab;
mod command_codec;
pub mod compare;
pub mod experiment_lab;
pub mod feature_lab;
pub mod feature_sources;
pub mod journal;
pub mod lesson;
pub mod metric;
pub mod pipeline_lab;
pub mod rollout_lab;
pub mod schemas;
pub mod share_link;
pub mod state;
pub mod steps;
pub mod stream_lab;
pub mod stream_sql;
pub mod timeline;
pub mod topics;
