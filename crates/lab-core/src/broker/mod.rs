//! The Kafka-style broker model (Kafka 4.x semantics; see `shared/specs/broker.md`).
//!
//! So far: the partition log with segments, retention and compaction ([`log`]); the producer's
//! key partitioner ([`partitioner`]) and the consumer-group assignors ([`assignor`]), the last two
//! bit-for-bit with the Java client and checked against kafka-python and aiokafka by the
//! differential tests in `crates/lab-cli/tests/`. Topics, replicas, producers and groups come next.

pub mod assignor;
pub mod log;
pub mod partitioner;

use std::fmt;

/// A partition's number within its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionId(pub u32);

impl fmt::Display for PartitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
