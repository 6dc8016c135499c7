//! The cluster: brokers, topics, producers, consumer groups and consumers, driven by
//! [`BrokerCommand`]s and by time ([`Cluster::tick`]). It owns the network between clients and
//! brokers (where the lab's faults live), the broker side of the idempotent producer, periodic
//! retention and compaction, and a history of every send and delivery for Jepsen's
//! Kafka workload checks ([`Cluster::history_report`]). Replication runs here each tick: the controller's
//! heartbeats and fencing, brokers replaying the metadata log, follower fetches, ISR changes,
//! the high watermark, and acks=all requests parked until it covers them.

use super::assignor::Strategy;
use super::controller::{Controller, ControllerId, MetadataChange};
use super::group::{self, ConsumerConfig, ConsumerGroup, ConsumerId, GroupEvent, TopicPartition};
use super::ledger::{Entry, Ledger};
use super::log::{LogError, NewRecord, Offset, ProducerStamp};
use super::node::{Broker, BrokerProcess, ClusterSettings, Link, FETCH_EVERY_TICKS_MAX};
use super::producer::Acks;
use super::producer::{Producer, ProducerBatch, ProducerConfig, ProducerId};
use super::replication::{self, FetchOutcome, ReplicationRules};
use super::topic::ElectionKind;
use super::topic::{check_topic_name, TimestampType, Topic, TopicSettings, TOPIC_PARTITIONS_MAX};
use super::transaction::{Coordinator, Pid, TxnError};
use super::{BrokerId, PartitionId};
use sim::clock::Tick;
use sim::rng::Rng;
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use send_history::SendHistory;

mod apply;
mod history;
mod numbered_text;
mod produce;
mod replicate;
mod send_history;
mod transact;
mod validate;

pub const BROKERS_MAX: u8 = 9;
pub const TOPICS_MAX: usize = 16;
pub const PRODUCERS_MAX: usize = 8;
pub const CONSUMERS_MAX: usize = 32;
pub const GROUPS_MAX: usize = 8;
pub const GROUP_NAME_LEN_MAX: usize = 40;
/// Most records one Produce command may send.
pub const PRODUCE_COUNT_MAX: u16 = 1000;
/// Ticks between retention checks (`log.retention.check.interval.ms`, scaled).
pub const RETENTION_CHECK_TICKS: u64 = 10;
/// Ticks between log-cleaner runs.
pub const CLEANER_INTERVAL_TICKS: u64 = 10;
/// Ticks of consumer-lag history kept for charts.
pub const LAG_HISTORY_TICKS_MAX: usize = 300;

/// Partition health at one tick, for the replication chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationSample {
    pub at: Tick,
    pub under_replicated: u32,
    pub offline: u32,
    /// In-sync replicas summed over every partition.
    pub in_sync: u32,
}

/// Every group's lag on every partition it reads, at one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LagSample {
    pub at: Tick,
    pub lags: Vec<(String, TopicPartition, u64)>,
    /// Each of `lags` in time, in the same order: ticks since the first record the group has
    /// not committed was appended ([`Cluster::lag_ticks`]).
    pub lag_ticks: Vec<u64>,
}

/// Longest key or value a learner can type.
pub const TEXT_FIELD_LEN_MAX: usize = 200;
/// Longest raw value one ProduceBytes may carry.
pub const RAW_VALUE_LEN_MAX: usize = 4096;

/// What a learner or a lesson can ask of the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerCommand {
    CreateTopic {
        name: String,
        partitions: u32,
        settings: TopicSettings,
    },
    SetTopicSettings {
        topic: String,
        settings: TopicSettings,
    },
    AddProducer {
        config: ProducerConfig,
    },
    SetProducerConfig {
        producer: ProducerId,
        config: ProducerConfig,
    },
    /// Sends `count` records. `{n}` in the key or value becomes the record's number (1, 2, ...).
    Produce {
        producer: ProducerId,
        topic: String,
        partition: Option<PartitionId>,
        key: Option<String>,
        value: Option<String>,
        count: u16,
        /// One record header (name, value), or none.
        header: Option<(String, String)>,
    },
    /// Sends one record whose value is raw bytes, e.g. a value a Schema Registry serializer
    /// framed (magic byte, schema id, Avro binary). The lab builds these; no step types bytes.
    ProduceBytes {
        producer: ProducerId,
        topic: String,
        key: Option<String>,
        value: Vec<u8>,
    },
    /// Keeps sending `records_per_tick` records every tick (0 stops), like a service under load.
    SetProducerRate {
        producer: ProducerId,
        topic: String,
        key: Option<String>,
        value: Option<String>,
        records_per_tick: u16,
    },
    /// A new broker joins the cluster; partitions of topics created later are placed on it too.
    AddBroker,
    /// `kafka-consumer-groups --reset-offsets --to-earliest|--to-latest`: only for a group with no
    /// running member.
    ResetGroupOffsets {
        group: String,
        to_earliest: bool,
    },
    AddConsumer {
        group: String,
        topics: Vec<String>,
        instance_id: Option<String>,
        config: ConsumerConfig,
    },
    SetConsumerConfig {
        consumer: ConsumerId,
        config: ConsumerConfig,
    },
    CloseConsumer {
        consumer: ConsumerId,
    },
    CrashConsumer {
        consumer: ConsumerId,
    },
    RestartConsumer {
        consumer: ConsumerId,
    },
    /// The Commit button: `commitSync` (`asynchronous: false`) or `commitAsync`.
    CommitConsumer {
        consumer: ConsumerId,
        asynchronous: bool,
    },
    SeekConsumer {
        consumer: ConsumerId,
        topic: String,
        partition: PartitionId,
        offset: Offset,
    },
    SetGroupStrategy {
        group: String,
        strategy: Strategy,
    },
    /// Kills a broker's process: no goodbye; the controller notices when its session expires.
    KillBroker {
        broker: BrokerId,
    },
    /// Starts a crashed or stopped broker again: it registers with a new broker epoch.
    RestartBroker {
        broker: BrokerId,
    },
    /// Controlled shutdown: leaderships move to other in-sync replicas, then the broker stops.
    ShutdownBroker {
        broker: BrokerId,
    },
    /// The broker fetches only every `fetch_every_ticks` ticks (1 is normal speed).
    SlowBroker {
        broker: BrokerId,
        fetch_every_ticks: u8,
    },
    /// Cuts (or restores) one of a broker's network links.
    CutLink {
        broker: BrokerId,
        link: Link,
        cut: bool,
    },
    /// Restores every link of a broker.
    HealBroker {
        broker: BrokerId,
    },
    KillController {
        controller: ControllerId,
    },
    RestartController {
        controller: ControllerId,
    },
    /// `kafka-leader-election --election-type PREFERRED --all-topic-partitions`.
    ElectPreferredLeaders,
    /// Broker-level settings (replica lag, session timeout and so on).
    SetClusterSettings {
        settings: ClusterSettings,
    },
    /// `kafka-configs --alter` on a topic's replication settings; `None` keeps a value.
    AlterTopicConfig {
        topic: String,
        min_insync_replicas: Option<u8>,
        unclean_leader_election: Option<bool>,
    },
    /// `initTransactions()` with a `transactional.id` and `transaction.timeout.ms` (in ticks): the
    /// coordinator gives the producer its id and a new epoch, fencing any older instance.
    InitTransactions {
        producer: ProducerId,
        transactional_id: String,
        timeout_ticks: u64,
    },
    /// `beginTransaction()`.
    BeginTransaction {
        producer: ProducerId,
    },
    /// `commitTransaction()`: flush, then EndTxn(COMMIT).
    CommitTransaction {
        producer: ProducerId,
    },
    /// `abortTransaction()`: drop unsent records, then EndTxn(ABORT).
    AbortTransaction {
        producer: ProducerId,
    },
    /// `sendOffsetsToTransaction(consumer positions, consumer.groupMetadata())` (KIP-447).
    SendOffsetsToTransaction {
        producer: ProducerId,
        consumer: ConsumerId,
    },
    /// A stream processor's step: the producer sends, inside its transaction, a copy to `topic`
    /// of every record the consumer read past its group's committed offsets.
    ProcessInTransaction {
        producer: ProducerId,
        consumer: ConsumerId,
        topic: String,
    },
}

/// A produce request's error, as the producer sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProduceError {
    /// No leader known: the partition is offline.
    LeaderNotAvailable,
    /// The broker's process is down: a killed process resets its connections, so the client fails
    /// the requests in flight to it, and any it sends there, as "Disconnected from node N"
    /// (Kafka's Sender.handleProduceResponse).
    Disconnected(BrokerId),
    /// A live broker asked is not the partition's leader: stale metadata after leadership moved,
    /// or a parked acks=all request whose leader lost its leadership.
    NotLeaderOrFollower(BrokerId),
    /// acks=all refused before appending: fewer in-sync replicas than the minimum.
    NotEnoughReplicas { isr: usize, min: usize },
    /// acks=all: appended and committed, but the ISR shrank below the minimum meanwhile.
    NotEnoughReplicasAfterAppend { isr: usize, min: usize },
    /// acks=all: the high watermark did not reach the batch within request.timeout.
    RequestTimedOut,
    /// No answer at all within `request.timeout.ms`: the broker is cut off from clients, so
    /// neither the request, nor its answer, nor a connection reset gets through, and the client
    /// gives up on the request itself (Kafka's NetworkClient.handleTimedOutRequests).
    ClientTimedOut(BrokerId),
}

impl ProduceError {
    /// Whether the records may be in the log anyway (the producer cannot tell).
    pub fn maybe_written(&self) -> bool {
        matches!(
            self,
            ProduceError::NotEnoughReplicasAfterAppend { .. }
                | ProduceError::RequestTimedOut
                | ProduceError::ClientTimedOut(_)
        )
    }

    /// Raised by the producer's own network client rather than answered by a broker.
    pub fn from_client(&self) -> bool {
        matches!(
            self,
            ProduceError::Disconnected(_) | ProduceError::ClientTimedOut(_)
        )
    }

    /// Kafka's error code name.
    pub fn code(&self) -> &'static str {
        match self {
            ProduceError::LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
            ProduceError::Disconnected(_) => "NETWORK_EXCEPTION",
            ProduceError::NotLeaderOrFollower(_) => "NOT_LEADER_OR_FOLLOWER",
            ProduceError::NotEnoughReplicas { .. } => "NOT_ENOUGH_REPLICAS",
            ProduceError::NotEnoughReplicasAfterAppend { .. } => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ProduceError::RequestTimedOut | ProduceError::ClientTimedOut(_) => "REQUEST_TIMED_OUT",
        }
    }
}

impl fmt::Display for ProduceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProduceError::LeaderNotAvailable => write!(f, "the partition has no leader"),
            ProduceError::Disconnected(b) => {
                write!(f, "disconnected from {b}, whose process is down")
            }
            ProduceError::NotLeaderOrFollower(b) => write!(f, "{b} is not the leader"),
            ProduceError::NotEnoughReplicas { isr, min } => {
                write!(f, "only {isr} in-sync replica(s), {min} required")
            }
            ProduceError::NotEnoughReplicasAfterAppend { isr, min } => write!(
                f,
                "appended, but the ISR shrank to {isr} (below {min}) before it committed"
            ),
            ProduceError::RequestTimedOut => {
                write!(f, "the high watermark did not reach the records in time")
            }
            ProduceError::ClientTimedOut(b) => {
                write!(f, "no answer from {b} within request.timeout")
            }
        }
    }
}

/// An acks=all request waiting on its leader for the high watermark (the produce purgatory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkedProduce {
    pub producer: ProducerId,
    pub batch: ProducerBatch,
    /// When the batch's records moved into the leader's log: that log batch's records, shared
    /// with it (a written batch is copied before compaction or truncation rewrites it), and
    /// copied back into the batch only if it has to be sent again.
    pub written: Option<std::rc::Rc<Vec<crate::log::Record>>>,
    pub broker: BrokerId,
    pub leader_epoch: u32,
    pub last_offset: Offset,
    pub deadline: Tick,
    /// The network will drop the response.
    pub response_lost: bool,
}

impl ParkedProduce {
    /// The batch to send again (or to fail), with its records as the leader's log holds them.
    pub fn into_batch(self) -> ProducerBatch {
        let mut batch = self.batch;
        if let Some(written) = self.written {
            batch.records = written.iter().map(crate::log::Record::to_resend).collect();
        }
        batch
    }
}

/// A produce request sent into a link cut from clients. It never reaches the broker, and nothing
/// comes back, not even a connection reset: the client fails it with REQUEST_TIMED_OUT once
/// `request.timeout.ms` has passed. (A cut drops what crosses it; the lab does not model TCP
/// delivering the request late, after the link is restored.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnansweredProduce {
    pub producer: ProducerId,
    pub batch: ProducerBatch,
    pub broker: BrokerId,
    pub deadline: Tick,
}

/// Why a command was refused, with a hint for the learner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerRejection {
    Invalid {
        what: String,
        hint: String,
    },
    UnknownTopic(String),
    UnknownProducer(ProducerId),
    UnknownConsumer(ConsumerId),
    UnknownGroup(String),
    Limit(String),
    /// A record the broker refused (for example a null key on a compacted topic).
    RecordRefused(String),
}

impl fmt::Display for BrokerRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BrokerRejection::Invalid { what, .. } => write!(f, "{what}"),
            BrokerRejection::UnknownTopic(t) => write!(f, "there is no topic \"{t}\""),
            BrokerRejection::UnknownProducer(p) => write!(f, "there is no {p}"),
            BrokerRejection::UnknownConsumer(c) => write!(f, "there is no {c}"),
            BrokerRejection::UnknownGroup(g) => write!(f, "there is no group \"{g}\""),
            BrokerRejection::Limit(what) => write!(f, "{what}"),
            BrokerRejection::RecordRefused(why) => write!(f, "{why}"),
        }
    }
}

impl BrokerRejection {
    pub fn hint(&self) -> String {
        match self {
            BrokerRejection::Invalid { hint, .. } => hint.clone(),
            BrokerRejection::UnknownTopic(_) => {
                "create the topic first, or pick one from the cluster view".into()
            }
            BrokerRejection::UnknownProducer(_) => "add a producer first".into(),
            BrokerRejection::UnknownConsumer(_) => "pick a consumer from the group panel".into(),
            BrokerRejection::UnknownGroup(_) => "add a consumer to create the group".into(),
            BrokerRejection::Limit(_) => "reset the lab, or reuse what exists".into(),
            BrokerRejection::RecordRefused(_) => {
                "compacted topics need a key on every record".into()
            }
        }
    }
}

fn invalid(what: impl Into<String>, hint: impl Into<String>) -> BrokerRejection {
    BrokerRejection::Invalid {
        what: what.into(),
        hint: hint.into(),
    }
}

/// What one Produce sends.
pub struct ProduceSpec<'a> {
    pub topic: &'a str,
    pub partition: Option<PartitionId>,
    pub key: &'a Option<String>,
    pub value: &'a Option<String>,
    /// Raw value bytes, sent as they are instead of `value` when set.
    pub raw_value: Option<&'a [u8]>,
    pub header: Option<&'a (String, String)>,
}

/// A producer sending steadily, every tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerRate {
    pub topic: String,
    pub key: Option<String>,
    pub value: Option<String>,
    pub records_per_tick: u16,
    /// The next `{n}`.
    pub next_n: u64,
}

/// What happened, for the trace and the views.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BrokerEvent {
    AsyncCommitFailed {
        consumer: ConsumerId,
        reason: String,
    },
    GroupOffsetsReset {
        group: String,
        to_earliest: bool,
        partitions: usize,
    },
    BrokerAdded {
        broker: BrokerId,
    },
    RateChanged {
        producer: ProducerId,
        records_per_tick: u16,
    },
    TopicCreated {
        topic: String,
        partitions: u32,
    },
    TopicSettingsChanged {
        topic: String,
    },
    ProducerAdded {
        producer: ProducerId,
    },
    ConsumerAdded {
        consumer: ConsumerId,
        group: String,
    },
    Appended {
        producer: ProducerId,
        tp: TopicPartition,
        base_offset: Offset,
        count: usize,
        retry: bool,
    },
    /// The idempotent broker recognised a retried batch it already has.
    DuplicateDiscarded {
        producer: ProducerId,
        tp: TopicPartition,
        count: usize,
    },
    /// A batch arrived ahead of its sequence (OUT_OF_ORDER_SEQUENCE_NUMBER); it will be retried.
    OutOfOrderRejected {
        producer: ProducerId,
        tp: TopicPartition,
    },
    RequestLost {
        producer: ProducerId,
        tp: TopicPartition,
    },
    ResponseLost {
        producer: ProducerId,
        tp: TopicPartition,
    },
    SendFailed {
        producer: ProducerId,
        tp: TopicPartition,
        count: usize,
        reason: String,
    },
    SegmentsDeleted {
        tp: TopicPartition,
        segments: usize,
        records: usize,
        log_start: Offset,
    },
    Compacted {
        tp: TopicPartition,
        removed: usize,
        bytes_before: u64,
        bytes_after: u64,
    },
    Group(GroupEvent),
    BrokerKilled {
        broker: BrokerId,
    },
    BrokerRestarted {
        broker: BrokerId,
    },
    BrokerStopped {
        broker: BrokerId,
    },
    BrokerSlowed {
        broker: BrokerId,
        fetch_every_ticks: u8,
    },
    LinkChanged {
        broker: BrokerId,
        link: Link,
        cut: bool,
    },
    BrokerHealed {
        broker: BrokerId,
    },
    BrokerRegistered {
        broker: BrokerId,
        broker_epoch: u64,
    },
    BrokerFenced {
        broker: BrokerId,
        reason: &'static str,
    },
    BrokerUnfenced {
        broker: BrokerId,
    },
    ControllerKilled {
        controller: ControllerId,
    },
    ControllerRestarted {
        controller: ControllerId,
    },
    ControllerElected {
        controller: ControllerId,
        term: u32,
    },
    LeaderChanged {
        tp: TopicPartition,
        leader: Option<BrokerId>,
        leader_epoch: u32,
        kind: ElectionKind,
    },
    IsrChanged {
        tp: TopicPartition,
        isr: Vec<BrokerId>,
    },
    /// A follower cut its divergent tail (KIP-101 and KIP-279).
    Truncated {
        tp: TopicPartition,
        broker: BrokerId,
        from: Offset,
        to: Offset,
    },
    ProduceFailed {
        producer: ProducerId,
        tp: TopicPartition,
        error: ProduceError,
    },
    /// Acknowledged records the partition's leader no longer has.
    AckedWritesLost {
        tp: TopicPartition,
        count: usize,
    },
    ClusterSettingsChanged,
    /// `initTransactions()` returned: the instance sends as `pid` under `epoch`.
    TransactionsInitialized {
        producer: ProducerId,
        transactional_id: String,
        pid: Pid,
        epoch: u16,
    },
    /// The coordinator accepted EndTxn: the outcome is decided (PrepareCommit or PrepareAbort).
    TransactionEnded {
        producer: ProducerId,
        transactional_id: String,
        outcome: crate::log::ControlType,
    },
    /// Every marker of the transaction is below its high watermark (CompleteCommit or
    /// CompleteAbort).
    TransactionCompleted {
        transactional_id: String,
        outcome: crate::log::ControlType,
    },
    /// The coordinator aborted a transaction open longer than its timeout, bumping the epoch.
    TransactionTimedOut {
        transactional_id: String,
    },
    /// A transactional request failed: fenced (fatal) or abortable.
    TransactionError {
        producer: ProducerId,
        error: TxnError,
    },
    /// A transaction marker was appended on the partition's leader.
    MarkerWritten {
        tp: TopicPartition,
        outcome: crate::log::ControlType,
        offset: Offset,
    },
}

/// How a send ended, from the producer's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Pending,
    Acked,
    Failed,
    /// Sent with acks=0: no response ever comes, so the producer never knows.
    Unconfirmed,
    /// Gave up after errors that leave the records possibly written (a timeout, or
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND): the producer cannot know.
    Unknown,
}

/// One record a producer was asked to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Send {
    pub producer: ProducerId,
    /// Shared by the records of one batch (this is on the per-record path).
    pub tp: std::rc::Rc<TopicPartition>,
    pub outcome: SendOutcome,
    /// The producer's acks setting for its latest attempt.
    pub acks: Acks,
    /// Its first write: (offset, leader epoch).
    first_write: Option<(Offset, u32)>,
    /// Later writes of the same record (retries): duplicates, unless truncated away.
    more_writes: Vec<(Offset, u32)>,
}

impl Send {
    /// Every (offset, leader epoch) this record was written at, oldest first.
    pub fn writes(&self) -> impl DoubleEndedIterator<Item = (Offset, u32)> + '_ {
        self.first_write
            .into_iter()
            .chain(self.more_writes.iter().copied())
    }

    /// Every offset this record was written at.
    pub fn offsets(&self) -> impl Iterator<Item = Offset> + '_ {
        self.writes().map(|(offset, _)| offset)
    }

    pub fn first_offset(&self) -> Option<Offset> {
        self.first_write.map(|(offset, _)| offset)
    }

    /// The latest write: the one an acknowledgement refers to.
    pub fn last_write(&self) -> Option<(Offset, u32)> {
        self.more_writes.last().copied().or(self.first_write)
    }

    /// The write an acknowledgement from the broker holding `log` refers to: the latest write
    /// that log holds (a retry it recognised as a duplicate refers to the original), else the
    /// latest write. A record written once needs no look at the log.
    fn acknowledged_write(&self, log: Option<&crate::log::PartitionLog>) -> Option<(Offset, u32)> {
        if self.more_writes.is_empty() {
            return self.first_write;
        }
        let held = self.writes().rev().find(|(offset, epoch)| {
            log.is_some_and(|l| *offset < l.leo() && l.epoch_at(*offset) == Some(*epoch))
        });
        held.or(self.last_write())
    }

    fn written_at(&mut self, offset: Offset, epoch: u32) {
        match self.first_write {
            None => self.first_write = Some((offset, epoch)),
            Some(_) => self.more_writes.push((offset, epoch)),
        }
    }
}

/// The anomalies of Jepsen's Kafka workload checks found in the recorded history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryReport {
    /// Records written at more than one offset (no idempotence, plus retries).
    pub duplicates: Vec<u64>,
    /// A producer's later record landed at an earlier offset of the same partition.
    pub nonmonotonic_sends: Vec<(ProducerId, TopicPartition)>,
    /// Acknowledged records never delivered, though a later offset of the partition was (and
    /// not committed past: those are `skipped`).
    pub lost_writes: Vec<(TopicPartition, Offset)>,
    /// Records delivered to the same group more than once (at-least-once redelivery).
    pub redeliveries: Vec<(String, TopicPartition, Offset)>,
    /// One consumer, reading on without a reset, jumped over records that are still in the log.
    pub poll_skips: Vec<(ConsumerId, TopicPartition, Offset, Offset)>,
    /// One consumer, reading on without a reset, went backwards.
    pub nonmonotonic_polls: Vec<(ConsumerId, TopicPartition)>,
    /// Records sent with acks=0 that never reached the log (nobody was told).
    pub lost_unconfirmed: usize,
    /// Acknowledged records the group committed past without any member finishing processing them
    /// (at-most-once loss, or records before an `auto.offset.reset=latest` start).
    pub skipped: Vec<(String, TopicPartition, Offset)>,
}

/// The whole cluster and its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    brokers: Vec<Broker>,
    topics: BTreeMap<String, Topic>,
    producers: BTreeMap<ProducerId, Producer>,
    groups: BTreeMap<String, ConsumerGroup>,
    consumers: BTreeMap<ConsumerId, Consumer>,
    controller: Controller,
    settings: ClusterSettings,
    /// acks=all requests waiting for the high watermark.
    parked: Vec<ParkedProduce>,
    /// Requests sent into a link cut from clients, waiting for the client's request timeout.
    unanswered: Vec<UnansweredProduce>,
    /// Each producer's idea of each partition's leader (refreshed after errors).
    client_leaders: BTreeMap<(ProducerId, TopicPartition), BrokerId>,
    ledger: Ledger,
    /// Produce errors so far, by Kafka error code: answered by brokers or raised by the client.
    produce_errors: BTreeMap<&'static str, u64>,
    /// Follower truncations so far.
    truncations: u64,
    /// Retried batches a leader recognised by their producer id, epoch and sequence and did not
    /// write again (the idempotent producer's deduplication, KIP-98).
    retries_deduplicated: u64,
    sends: SendHistory,
    /// Producers sending steadily.
    rates: BTreeMap<ProducerId, ProducerRate>,
    /// Recent lag samples, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    lag_history: std::collections::VecDeque<LagSample>,
    /// Recent partition health, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    replication_history: std::collections::VecDeque<ReplicationSample>,
    /// The transaction coordinator: every `transactional.id`'s producer id, epoch and state.
    coordinator: Coordinator,
    rng: Rng,
}

pub use super::group::Consumer;

impl Cluster {
    /// A cluster of `brokers` brokers (1 to 9) and no topics.
    pub fn new(brokers: u8, rng: Rng) -> Cluster {
        let brokers = brokers.clamp(1, BROKERS_MAX);
        let ids: Vec<BrokerId> = (1..=brokers).map(BrokerId).collect();
        let controller = Controller::new(&ids, Tick(0));
        Cluster {
            brokers: ids
                .iter()
                .map(|id| {
                    let mut b = Broker::new(*id);
                    b.metadata_offset = controller.end_offset();
                    b.registered = true;
                    b
                })
                .collect(),
            topics: BTreeMap::new(),
            producers: BTreeMap::new(),
            groups: BTreeMap::new(),
            consumers: BTreeMap::new(),
            controller,
            settings: ClusterSettings::default(),
            parked: Vec::new(),
            unanswered: Vec::new(),
            client_leaders: BTreeMap::new(),
            ledger: Ledger::default(),
            produce_errors: BTreeMap::new(),
            truncations: 0,
            retries_deduplicated: 0,
            sends: SendHistory::default(),
            rates: BTreeMap::new(),
            lag_history: std::collections::VecDeque::new(),
            replication_history: std::collections::VecDeque::new(),
            coordinator: Coordinator::default(),
            rng,
        }
    }

    /// The broker `id`, or a refusal naming the brokers there are.
    fn existing_broker(&self, id: BrokerId) -> Result<&Broker, BrokerRejection> {
        self.broker(id).ok_or_else(|| {
            invalid(
                format!("there is no {id}"),
                format!("brokers are numbered 1 to {}", self.brokers.len()),
            )
        })
    }

    fn broker_mut(&mut self, id: BrokerId) -> &mut Broker {
        self.brokers
            .iter_mut()
            .find(|b| b.id == id)
            .expect("validated")
    }

    /// Brokers the controller would place replicas on and elect: registered, unfenced, running.
    pub fn live_brokers(&self) -> Vec<BrokerId> {
        self.brokers
            .iter()
            .filter(|b| b.running() && self.controller.eligible(b.id))
            .map(|b| b.id)
            .collect()
    }

    fn existing_topic(&self, name: &str) -> Result<&Topic, BrokerRejection> {
        self.topic(name)
            .ok_or_else(|| BrokerRejection::UnknownTopic(name.to_string()))
    }

    fn existing_producer(&self, id: ProducerId) -> Result<&Producer, BrokerRejection> {
        self.producer(id)
            .ok_or(BrokerRejection::UnknownProducer(id))
    }

    fn existing_consumer(&self, id: ConsumerId) -> Result<&Consumer, BrokerRejection> {
        self.consumer(id)
            .ok_or(BrokerRejection::UnknownConsumer(id))
    }

    /// Every broker, by id (1, 2, ...).
    pub fn brokers(&self) -> &[Broker] {
        &self.brokers
    }

    pub fn broker(&self, id: BrokerId) -> Option<&Broker> {
        self.brokers.iter().find(|b| b.id == id)
    }

    /// Every topic, by name.
    pub fn topics(&self) -> &BTreeMap<String, Topic> {
        &self.topics
    }

    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.get(name)
    }

    /// The partition `tp` names, if its topic and partition exist.
    pub fn partition_at(&self, tp: &TopicPartition) -> Option<&crate::topic::Partition> {
        self.topics.get(&tp.topic)?.partition(tp.partition)
    }

    /// Every producer, by id.
    pub fn producers(&self) -> &BTreeMap<ProducerId, Producer> {
        &self.producers
    }

    pub fn producer(&self, id: ProducerId) -> Option<&Producer> {
        self.producers.get(&id)
    }

    /// Every consumer group, by group id.
    pub fn groups(&self) -> &BTreeMap<String, ConsumerGroup> {
        &self.groups
    }

    pub fn group(&self, name: &str) -> Option<&ConsumerGroup> {
        self.groups.get(name)
    }

    /// Every consumer (running, crashed or closed), by id.
    pub fn consumers(&self) -> &BTreeMap<ConsumerId, Consumer> {
        &self.consumers
    }

    pub fn consumer(&self, id: ConsumerId) -> Option<&Consumer> {
        self.consumers.get(&id)
    }

    /// The KRaft quorum and its metadata log.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The broker-level settings.
    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    /// Every acknowledged write and those of them lost.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Produce errors so far, by Kafka error code: answered by brokers or raised by the client.
    pub fn produce_errors(&self) -> &BTreeMap<&'static str, u64> {
        &self.produce_errors
    }

    /// Follower truncations so far.
    pub fn truncations(&self) -> u64 {
        self.truncations
    }

    /// Retried batches a leader recognised as already written and did not write again.
    pub fn retries_deduplicated(&self) -> u64 {
        self.retries_deduplicated
    }

    /// Every record a producer was asked to send, by send id (its index).
    pub fn sends(&self) -> &SendHistory {
        &self.sends
    }

    /// Producers sending steadily, and what they send.
    pub fn rates(&self) -> &BTreeMap<ProducerId, ProducerRate> {
        &self.rates
    }

    /// Recent lag samples, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    pub fn lag_history(&self) -> &std::collections::VecDeque<LagSample> {
        &self.lag_history
    }

    /// Recent partition health, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    pub fn replication_history(&self) -> &std::collections::VecDeque<ReplicationSample> {
        &self.replication_history
    }

    /// One tick: producers send what is ready, groups rebalance and consumers poll, and every
    /// few ticks retention and the log cleaner run.
    pub fn tick(&mut self, now: Tick) -> Vec<BrokerEvent> {
        let mut events = Vec::new();
        let metadata_before = self.controller.end_offset();
        self.run_controller(now);
        self.replay_metadata(now);
        self.refresh_serving();
        let rates: Vec<(ProducerId, ProducerRate)> =
            self.rates.iter().map(|(p, r)| (*p, r.clone())).collect();
        for (producer, rate) in rates {
            let spec = ProduceSpec {
                topic: &rate.topic,
                partition: None,
                key: &rate.key,
                value: &rate.value,
                raw_value: None,
                header: None,
            };
            match self.produce(producer, &spec, rate.next_n, rate.records_per_tick, now) {
                Ok(()) => {
                    if let Some(r) = self.rates.get_mut(&producer) {
                        r.next_n += u64::from(rate.records_per_tick);
                    }
                }
                Err(e) => {
                    let tp = TopicPartition {
                        topic: rate.topic.clone(),
                        partition: PartitionId(0),
                    };
                    events.push(BrokerEvent::SendFailed {
                        producer,
                        tp,
                        count: usize::from(rate.records_per_tick),
                        reason: e.to_string(),
                    });
                }
            }
        }
        self.flush_producers(now, &mut events);
        self.replicate(now, &mut events);
        self.complete_parked(now, &mut events);
        self.expire_unanswered(now, &mut events);
        self.run_transactions(now, &mut events);
        self.refresh_serving();
        let mut group_events = Vec::new();
        self.mark_unstable_offsets();
        for g in self.groups.values_mut() {
            group::tick(g, &mut self.consumers, &self.topics, now, &mut group_events);
        }
        self.count_consumer_fetches(&group_events, now);
        events.extend(group_events.into_iter().map(BrokerEvent::Group));
        self.sample_lag(now);
        self.sample_replication(now);
        if now.0.is_multiple_of(RETENTION_CHECK_TICKS)
            || now.0.is_multiple_of(CLEANER_INTERVAL_TICKS)
        {
            self.clean_logs(now, &mut events);
        }
        self.settle(metadata_before, now, &mut events);
        self.controller.compact_log();
        events
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        // A compact fingerprint: every record, every commit, every consumer position and the sends.
        for (name, topic) in &self.topics {
            hasher.str(name);
            for p in &topic.partitions {
                hasher.u64(p.hw.0);
                hasher.u64(u64::from(p.leader.map_or(0, |b| b.0)));
                hasher.u64(u64::from(p.leader_epoch));
                hasher.u64(u64::from(p.partition_epoch));
                hasher.bytes(&p.isr.iter().map(|b| b.0).collect::<Vec<u8>>());
                for (b, r) in &p.replica {
                    hasher.u64(u64::from(b.0));
                    hasher.u64(r.log.leo().0);
                    hasher.u64(r.hw.0);
                    hasher.u64(u64::from(r.known_epoch));
                }
                if let Some(log) = p.elected_leader_log() {
                    hasher.u64(log.log_start().0);
                    hasher.u64(log.leo().0);
                    hasher.u64(log.segments().len() as u64);
                    for r in log.records() {
                        hasher.u64(r.offset.0);
                        hasher.u64(r.timestamp.0);
                        hasher.bytes(r.key.as_deref().unwrap_or(b"\x00null"));
                        hasher.bytes(r.value.as_deref().unwrap_or(b"\x00null"));
                    }
                }
            }
        }
        for (name, g) in &self.groups {
            hasher.str(name);
            hasher.u64(g.generation as u64);
            hasher.u64(g.members.len() as u64);
            for (tp, c) in &g.committed {
                hasher.str(&tp.to_string());
                hasher.u64(c.offset.0);
            }
            // Absent for classic groups without a poll timeout (every pinned link's), so their
            // fingerprints stay the ones they always had.
            g.hash_liveness_into(hasher);
        }
        for c in self.consumers.values() {
            hasher.u64(u64::from(c.id.0));
            hasher.str(&c.member_id);
            hasher.u64(c.deliveries_total);
            for (tp, o) in &c.positions {
                hasher.str(&tp.to_string());
                hasher.u64(o.0);
            }
        }
        for s in self.sends.iter() {
            hasher.u64(s.offsets().count() as u64);
            hasher.u64(s.first_offset().map_or(u64::MAX, |o| o.0));
        }
        hasher.u64(self.controller.end_offset() as u64);
        hasher.u64(u64::from(self.controller.term));
        hasher.u64(self.ledger.acked);
        hasher.u64(self.ledger.lost.len() as u64);
        // The requests in flight, wherever they wait.
        hasher.u64((self.parked.len() + self.unanswered.len()) as u64);
        for b in &self.brokers {
            hasher.u64(b.metadata_offset as u64);
            hasher.u64(u64::from(b.running()));
            b.traffic.hash_into(hasher);
        }
        for p in self.producers.values() {
            hasher.u64(p.acked_records);
            hasher.u64(p.pending_records() as u64);
        }
        // Absent while zero, so the fingerprints of journals without a deduplicated retry (every
        // pinned link's) are the ones they always had.
        if self.retries_deduplicated > 0 {
            hasher.u64(self.retries_deduplicated);
        }
        // Likewise absent without transactions.
        if !self.coordinator.is_empty() {
            self.coordinator.hash_into(hasher);
            for p in self.producers.values() {
                if let Some(txn) = &p.txn {
                    txn.hash_into(hasher);
                }
            }
            for topic in self.topics.values() {
                for p in &topic.partitions {
                    if let Some(log) = p.elected_leader_log() {
                        hasher.u64(log.last_stable_offset(p.hw).0);
                    }
                }
            }
        }
    }
}

/// Mutable access for tests that build broken states by hand (the engine never does).
#[cfg(test)]
impl Cluster {
    pub(crate) fn topics_mut(&mut self) -> &mut BTreeMap<String, Topic> {
        &mut self.topics
    }

    pub(crate) fn controller_mut(&mut self) -> &mut Controller {
        &mut self.controller
    }

    pub(crate) fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
