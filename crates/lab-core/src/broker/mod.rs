//! The Kafka-style broker model (Kafka 4.x semantics; see `shared/specs/broker.md`).
//!
//! So far: the partition log with segments, retention and compaction ([`log`]); the producer's
//! key partitioner ([`partitioner`]) and the consumer-group assignors ([`assignor`]), the last two
//! bit-for-bit with the Java client and checked against kafka-python and aiokafka by the
//! differential tests in `crates/lab-cli/tests/`. Topics, replicas, producers and groups come next.

pub mod assignor;
pub mod cluster;
pub mod command_codec;
pub mod compression;
pub mod group;
pub mod log;
pub mod narrate;
pub mod partitioner;
pub mod producer;
pub mod topic;

use std::fmt;

/// A broker's id (`node.id`), 1 to 9 here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokerId(pub u8);

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "broker {}", self.0)
    }
}

/// A partition's number within its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionId(pub u32);

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
