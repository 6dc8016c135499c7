//! # broker: the Kafka-style broker engine
//!
//! Kafka 4.x semantics, each module naming the KIPs and Kafka classes it follows: the partition
//! log with segments, retention and compaction ([`log`]); replication, the ISR and the high
//! watermark ([`replication`]); the KRaft controller and elections ([`controller`]); brokers as
//! machines with faults ([`node`]); the acknowledged-writes ledger ([`ledger`]); the overview's JMX-style metrics ([`metrics`]); producers,
//! consumer groups and the cluster that drives them ([`cluster`]); the replication invariants
//! every tick must keep ([`invariants`]). The key partitioner ([`partitioner`]) and the assignors
//! ([`assignor`]) are bit-for-bit with the Java client and checked against kafka-python and
//! aiokafka by the differential tests in `crates/cli/tests/`.
//!
//! Beside the broker, two smaller models the Kafka lessons contrast it with: event sources that
//! emit on a per-tick chance ([`stream`]) and a RabbitMQ-style classic queue ([`queue`]).
//!
//! The engine depends only on the kernel (`sim`): it knows nothing of SQL, of the other engines
//! or of the browser. `crates/lab` composes it with them.

pub mod assignor;
pub mod cluster;
pub mod command_codec;
pub mod compression;
pub mod controller;
pub mod group;
pub mod invariants;
pub mod kip848;
pub mod ledger;
pub mod log;
pub mod metrics;
pub mod narrate;
pub mod node;
pub mod partitioner;
pub mod producer;
pub mod queue;
pub mod replication;
pub mod stream;
pub mod topic;
pub mod transaction;

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
