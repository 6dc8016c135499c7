//! The cluster: brokers, topics, producers, consumer groups and consumers, driven by
//! [`BrokerCommand`]s and by time ([`Cluster::tick`]). It owns the network between clients and
//! brokers (where the lab's faults live), the broker side of the idempotent producer, periodic
//! retention and compaction, and a history of every send and delivery for the checks of spec
//! §4.2 ([`Cluster::history_report`]). Replication runs here each tick: the controller's
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
use super::{BrokerId, PartitionId};
use crate::clock::Tick;
use crate::rng::Rng;
use crate::state_hash::StateHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
}

/// Longest key or value a learner can type.
pub const TEXT_FIELD_LEN_MAX: usize = 200;

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
}

/// A produce request's error, as the producer sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProduceError {
    /// No leader known: the partition is offline.
    LeaderNotAvailable,
    /// The broker cannot be reached (down, or cut off from clients).
    BrokerUnreachable(BrokerId),
    /// The broker asked is not the partition's leader (stale metadata).
    NotLeaderOrFollower(BrokerId),
    /// acks=all refused before appending: fewer in-sync replicas than the minimum.
    NotEnoughReplicas { isr: usize, min: usize },
    /// acks=all: appended and committed, but the ISR shrank below the minimum meanwhile.
    NotEnoughReplicasAfterAppend { isr: usize, min: usize },
    /// acks=all: the high watermark did not reach the batch within request.timeout.
    RequestTimedOut,
}

impl ProduceError {
    /// Whether the records may be in the log anyway (the producer cannot tell).
    pub fn maybe_written(&self) -> bool {
        matches!(
            self,
            ProduceError::NotEnoughReplicasAfterAppend { .. } | ProduceError::RequestTimedOut
        )
    }

    /// Kafka's error code name.
    pub fn code(&self) -> &'static str {
        match self {
            ProduceError::LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
            ProduceError::BrokerUnreachable(_) => "NETWORK_EXCEPTION",
            ProduceError::NotLeaderOrFollower(_) => "NOT_LEADER_OR_FOLLOWER",
            ProduceError::NotEnoughReplicas { .. } => "NOT_ENOUGH_REPLICAS",
            ProduceError::NotEnoughReplicasAfterAppend { .. } => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ProduceError::RequestTimedOut => "REQUEST_TIMED_OUT",
        }
    }
}

impl fmt::Display for ProduceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProduceError::LeaderNotAvailable => write!(f, "the partition has no leader"),
            ProduceError::BrokerUnreachable(b) => write!(f, "{b} cannot be reached"),
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
        }
    }
}

/// An acks=all request waiting on its leader for the high watermark (the produce purgatory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkedProduce {
    pub producer: ProducerId,
    pub batch: ProducerBatch,
    pub broker: BrokerId,
    pub leader_epoch: u32,
    pub last_offset: Offset,
    pub deadline: Tick,
    /// The network will drop the response.
    pub response_lost: bool,
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// A follower cut its divergent tail (spec §1.8).
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

    fn written_at(&mut self, offset: Offset, epoch: u32) {
        match self.first_write {
            None => self.first_write = Some((offset, epoch)),
            Some(_) => self.more_writes.push((offset, epoch)),
        }
    }
}

/// The anomalies of spec §4.2 found in the recorded history.
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
    pub brokers: Vec<Broker>,
    pub topics: BTreeMap<String, Topic>,
    pub producers: BTreeMap<ProducerId, Producer>,
    pub groups: BTreeMap<String, ConsumerGroup>,
    pub consumers: BTreeMap<ConsumerId, Consumer>,
    pub controller: Controller,
    pub settings: ClusterSettings,
    /// acks=all requests waiting for the high watermark.
    pub parked: Vec<ParkedProduce>,
    /// Each producer's idea of each partition's leader (refreshed after errors).
    client_leaders: BTreeMap<(ProducerId, TopicPartition), BrokerId>,
    pub ledger: Ledger,
    /// Produce errors answered so far, by Kafka error code.
    pub produce_errors: BTreeMap<&'static str, u64>,
    /// Follower truncations so far.
    pub truncations: u64,
    pub sends: Vec<Send>,
    /// Producers sending steadily.
    pub rates: BTreeMap<ProducerId, ProducerRate>,
    /// Recent lag samples, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    pub lag_history: std::collections::VecDeque<LagSample>,
    /// Recent partition health, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    pub replication_history: std::collections::VecDeque<ReplicationSample>,
    rng: Rng,
}

pub use super::group::Consumer;

fn check_text(what: &str, text: &Option<String>) -> Result<(), BrokerRejection> {
    match text {
        Some(t) if t.len() > TEXT_FIELD_LEN_MAX => Err(invalid(
            format!("the {what} is longer than {TEXT_FIELD_LEN_MAX} characters"),
            "shorten it",
        )),
        _ => Ok(()),
    }
}

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
                    b.metadata_offset = controller.log.len();
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
            client_leaders: BTreeMap::new(),
            ledger: Ledger::default(),
            produce_errors: BTreeMap::new(),
            truncations: 0,
            sends: Vec::new(),
            rates: BTreeMap::new(),
            lag_history: std::collections::VecDeque::new(),
            replication_history: std::collections::VecDeque::new(),
            rng,
        }
    }

    /// Checks a command without changing anything.
    pub fn validate(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        match command {
            BrokerCommand::CreateTopic {
                name,
                partitions,
                settings,
            } => {
                check_topic_name(name).map_err(|why| {
                    invalid(
                        format!("\"{name}\" is not a valid topic name: {why}"),
                        "try a name such as orders",
                    )
                })?;
                if self.topics.contains_key(name) {
                    return Err(invalid(
                        format!("topic \"{name}\" already exists (TOPIC_ALREADY_EXISTS)"),
                        "pick another name",
                    ));
                }
                if self.topics.len() >= TOPICS_MAX {
                    return Err(BrokerRejection::Limit(format!(
                        "this lab already has {TOPICS_MAX} topics"
                    )));
                }
                if *partitions == 0 || *partitions > TOPIC_PARTITIONS_MAX {
                    return Err(invalid(
                        format!(
                            "a topic has 1 to {TOPIC_PARTITIONS_MAX} partitions, not {partitions}"
                        ),
                        "Kafka needs at least one partition",
                    ));
                }
                check_settings(settings)?;
                let live = self.live_brokers().len();
                if usize::from(settings.replication_factor) > live {
                    return Err(invalid(
                        format!(
                            "replication factor {} needs {} live brokers, and {live} are up \
                             (INVALID_REPLICATION_FACTOR)",
                            settings.replication_factor, settings.replication_factor
                        ),
                        "lower the replication factor, or add or restart brokers",
                    ));
                }
                Ok(())
            }
            BrokerCommand::SetTopicSettings { topic, settings } => {
                let t = self.topic(topic)?;
                if settings.replication_factor != t.settings.replication_factor {
                    return Err(invalid(
                        format!(
                            "{topic} has replication factor {}; it is fixed once the topic exists",
                            t.settings.replication_factor
                        ),
                        "Kafka changes it by reassigning partitions; create a new topic instead",
                    ));
                }
                check_settings(settings)
            }
            BrokerCommand::KillBroker { broker } | BrokerCommand::ShutdownBroker { broker } => {
                if !self.broker_node(*broker)?.running() {
                    return Err(invalid(
                        format!("{broker} is already down"),
                        "restart it first",
                    ));
                }
                Ok(())
            }
            BrokerCommand::RestartBroker { broker } => {
                if self.broker_node(*broker)?.running() {
                    return Err(invalid(
                        format!("{broker} is already running"),
                        "kill or shut it down first",
                    ));
                }
                Ok(())
            }
            BrokerCommand::SlowBroker {
                broker,
                fetch_every_ticks,
            } => {
                self.broker_node(*broker)?;
                if *fetch_every_ticks == 0 || *fetch_every_ticks > FETCH_EVERY_TICKS_MAX {
                    return Err(invalid(
                        format!(
                            "a broker fetches every 1 to {FETCH_EVERY_TICKS_MAX} ticks, not {fetch_every_ticks}"
                        ),
                        "1 is normal speed; 20 is a badly stalled follower",
                    ));
                }
                Ok(())
            }
            BrokerCommand::CutLink { broker, .. } | BrokerCommand::HealBroker { broker } => {
                self.broker_node(*broker).map(|_| ())
            }
            BrokerCommand::KillController { controller }
            | BrokerCommand::RestartController { controller } => {
                let kill = matches!(command, BrokerCommand::KillController { .. });
                let node = self
                    .controller
                    .nodes
                    .iter()
                    .find(|n| n.id == *controller)
                    .ok_or_else(|| {
                        invalid(
                            format!("there is no {controller}"),
                            "the quorum has controllers C1, C2 and C3",
                        )
                    })?;
                match (kill, node.running) {
                    (true, false) => Err(invalid(
                        format!("{controller} is already down"),
                        "restart it first",
                    )),
                    (false, true) => Err(invalid(
                        format!("{controller} is already running"),
                        "kill it first",
                    )),
                    _ => Ok(()),
                }
            }
            BrokerCommand::ElectPreferredLeaders => Ok(()),
            BrokerCommand::AlterTopicConfig {
                topic,
                min_insync_replicas,
                unclean_leader_election,
            } => {
                let t = self.topic(topic)?;
                check_settings(&TopicSettings {
                    min_insync_replicas: min_insync_replicas
                        .unwrap_or(t.settings.min_insync_replicas),
                    unclean_leader_election: unclean_leader_election
                        .unwrap_or(t.settings.unclean_leader_election),
                    ..t.settings
                })
            }
            BrokerCommand::SetClusterSettings { settings } => {
                settings.check().map_err(|(what, hint)| invalid(what, hint))
            }
            BrokerCommand::AddProducer { config } => {
                if self.producers.len() >= PRODUCERS_MAX {
                    return Err(BrokerRejection::Limit(format!(
                        "this lab already has {PRODUCERS_MAX} producers"
                    )));
                }
                check_producer_config(config)
            }
            BrokerCommand::SetProducerConfig { producer, config } => {
                self.producer(*producer)?;
                check_producer_config(config)
            }
            BrokerCommand::SetProducerRate {
                producer,
                topic,
                key,
                value,
                records_per_tick,
            } => {
                self.producer(*producer)?;
                let t = self.topic(topic)?;
                if *records_per_tick > PRODUCE_COUNT_MAX {
                    return Err(invalid(
                        format!("a rate of {records_per_tick} records per tick is more than this lab sends"),
                        format!("use 0 (stop) to {PRODUCE_COUNT_MAX}"),
                    ));
                }
                check_text("key", key)?;
                check_text("value", value)?;
                if t.settings.log.cleanup_compact && key.is_none() && *records_per_tick > 0 {
                    return Err(BrokerRejection::RecordRefused(
                        LogError::NullKeyOnCompactedTopic.to_string(),
                    ));
                }
                Ok(())
            }
            BrokerCommand::ResetGroupOffsets { group, .. } => {
                if !self.groups.contains_key(group) {
                    return Err(BrokerRejection::UnknownGroup(group.clone()));
                }
                if self
                    .consumers
                    .values()
                    .any(|c| c.group == *group && c.is_running())
                {
                    return Err(invalid(
                        format!("group {group} still has running members; offsets can only be reset on an inactive group"),
                        "close or crash its consumers first, then reset",
                    ));
                }
                Ok(())
            }
            BrokerCommand::AddBroker => {
                if self.brokers.len() >= usize::from(BROKERS_MAX) {
                    return Err(BrokerRejection::Limit(format!(
                        "a lab cluster has at most {BROKERS_MAX} brokers"
                    )));
                }
                Ok(())
            }
            BrokerCommand::Produce {
                producer,
                topic,
                partition,
                key,
                value,
                count,
                header,
            } => {
                if let Some((name, header_value)) = header {
                    if name.is_empty() {
                        return Err(invalid("a header needs a name", "write it as name=value"));
                    }
                    check_text("header", &Some(format!("{name}{header_value}")))?;
                }
                self.producer(*producer)?;
                let t = self.topic(topic)?;
                if let Some(p) = partition {
                    if t.partition(*p).is_none() {
                        return Err(invalid(
                            format!(
                                "topic \"{topic}\" has no partition {} (it has {})",
                                p.0,
                                t.partitions.len()
                            ),
                            "partitions are numbered from 0",
                        ));
                    }
                }
                if *count == 0 || *count > PRODUCE_COUNT_MAX {
                    return Err(invalid(
                        format!("cannot send {count} records at once"),
                        format!("send 1 to {PRODUCE_COUNT_MAX}"),
                    ));
                }
                check_text("key", key)?;
                check_text("value", value)?;
                if t.settings.log.cleanup_compact && key.is_none() {
                    return Err(BrokerRejection::RecordRefused(
                        LogError::NullKeyOnCompactedTopic.to_string(),
                    ));
                }
                Ok(())
            }
            BrokerCommand::AddConsumer {
                group,
                topics,
                instance_id,
                config,
            } => {
                if group.is_empty()
                    || group.len() > GROUP_NAME_LEN_MAX
                    || !group
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                {
                    return Err(invalid(
                        format!("\"{group}\" is not a valid group id"),
                        "use letters, digits, '.', '_' and '-'",
                    ));
                }
                if self.consumers.len() >= CONSUMERS_MAX {
                    return Err(BrokerRejection::Limit(format!(
                        "this lab already has {CONSUMERS_MAX} consumers"
                    )));
                }
                if !self.groups.contains_key(group) && self.groups.len() >= GROUPS_MAX {
                    return Err(BrokerRejection::Limit(format!(
                        "this lab already has {GROUPS_MAX} groups"
                    )));
                }
                if topics.is_empty() {
                    return Err(invalid(
                        "a consumer must subscribe to at least one topic",
                        "pick a topic",
                    ));
                }
                for t in topics {
                    self.topic(t)?;
                }
                if let Some(instance) = instance_id {
                    if instance.is_empty() || instance.len() > GROUP_NAME_LEN_MAX {
                        return Err(invalid(
                            "a group.instance.id is 1 to 40 characters",
                            "try c-1",
                        ));
                    }
                    if self.consumers.values().any(|c| {
                        c.group == *group
                            && c.instance_id.as_ref() == Some(instance)
                            && c.status != group::ConsumerStatus::Closed
                    }) {
                        return Err(invalid(format!("group.instance.id \"{instance}\" is already used in {group} (FENCED_INSTANCE_ID)"), "restart that consumer instead"));
                    }
                }
                check_consumer_config(config)
            }
            BrokerCommand::SetConsumerConfig { consumer, config } => {
                self.consumer(*consumer)?;
                check_consumer_config(config)
            }
            BrokerCommand::CloseConsumer { consumer }
            | BrokerCommand::CrashConsumer { consumer }
            | BrokerCommand::CommitConsumer { consumer, .. } => {
                let c = self.consumer(*consumer)?;
                if !c.is_running() {
                    return Err(invalid(
                        format!("{consumer} is not running"),
                        "restart it first",
                    ));
                }
                let rebalancing = self.groups.get(&c.group).is_some_and(|g| {
                    matches!(g.state, group::GroupState::PreparingRebalance { .. })
                });
                if matches!(
                    command,
                    BrokerCommand::CommitConsumer {
                        asynchronous: false,
                        ..
                    }
                ) && rebalancing
                {
                    return Err(invalid(
                        format!(
                            "commitSync failed: {} is rebalancing (REBALANCE_IN_PROGRESS)",
                            c.group
                        ),
                        "a synchronous commit throws here; commit again once the rebalance is over",
                    ));
                }
                Ok(())
            }
            BrokerCommand::RestartConsumer { consumer } => {
                let c = self.consumer(*consumer)?;
                if c.is_running() {
                    return Err(invalid(
                        format!("{consumer} is already running"),
                        "crash or close it first",
                    ));
                }
                Ok(())
            }
            BrokerCommand::SeekConsumer {
                consumer,
                topic,
                partition,
                ..
            } => {
                let c = self.consumer(*consumer)?;
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition: *partition,
                };
                if !c.owned.contains(&tp) {
                    return Err(invalid(
                        format!("{consumer} does not own {tp}"),
                        "a consumer can only seek in partitions it is assigned",
                    ));
                }
                Ok(())
            }
            BrokerCommand::SetGroupStrategy { group, .. } => self
                .groups
                .get(group)
                .map(|_| ())
                .ok_or_else(|| BrokerRejection::UnknownGroup(group.clone())),
        }
    }

    fn broker_node(&self, id: BrokerId) -> Result<&Broker, BrokerRejection> {
        self.brokers.iter().find(|b| b.id == id).ok_or_else(|| {
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

    fn topic(&self, name: &str) -> Result<&Topic, BrokerRejection> {
        self.topics
            .get(name)
            .ok_or_else(|| BrokerRejection::UnknownTopic(name.to_string()))
    }

    fn producer(&self, id: ProducerId) -> Result<&Producer, BrokerRejection> {
        self.producers
            .get(&id)
            .ok_or(BrokerRejection::UnknownProducer(id))
    }

    fn consumer(&self, id: ConsumerId) -> Result<&Consumer, BrokerRejection> {
        self.consumers
            .get(&id)
            .ok_or(BrokerRejection::UnknownConsumer(id))
    }

    /// Applies a command at `now`. On rejection nothing changes.
    pub fn apply(
        &mut self,
        command: &BrokerCommand,
        now: Tick,
    ) -> Result<Vec<BrokerEvent>, BrokerRejection> {
        self.validate(command)?;
        let mut events = Vec::new();
        let mut group_events = Vec::new();
        let metadata_before = self.controller.log.len();
        match command {
            BrokerCommand::CreateTopic {
                name,
                partitions,
                settings,
            } => {
                let ids = self.live_brokers();
                let first = self.rng.below(ids.len() as u64) as usize;
                let topic = Topic::new(name, *partitions, *settings, &ids, first);
                self.controller.topic_created(&topic, now);
                self.topics.insert(name.clone(), topic);
                events.push(BrokerEvent::TopicCreated {
                    topic: name.clone(),
                    partitions: *partitions,
                });
            }
            BrokerCommand::SetTopicSettings { topic, settings } => {
                let t = self.topics.get_mut(topic).expect("validated");
                t.settings = *settings;
                for partition in &mut t.partitions {
                    for replica in partition.replica.values_mut() {
                        replica.log.set_config(settings.log);
                    }
                }
                if settings.unclean_leader_election && self.controller.active.is_some() {
                    self.controller.elect_offline(&mut self.topics, now);
                }
                events.push(BrokerEvent::TopicSettingsChanged {
                    topic: topic.clone(),
                });
            }
            BrokerCommand::AddProducer { config } => {
                let id = ProducerId(self.producers.keys().last().map_or(1, |p| p.0 + 1));
                let rng = self.rng.fork(&format!("producer/{}", id.0));
                self.producers.insert(id, Producer::new(id, *config, rng));
                events.push(BrokerEvent::ProducerAdded { producer: id });
            }
            BrokerCommand::SetProducerConfig { producer, config } => {
                self.producers.get_mut(producer).expect("validated").config = *config;
            }
            BrokerCommand::Produce {
                producer,
                topic,
                partition,
                key,
                value,
                count,
                header,
            } => {
                let spec = ProduceSpec {
                    topic,
                    partition: *partition,
                    key,
                    value,
                    header: header.as_ref(),
                };
                self.produce(*producer, &spec, 1, *count, now)?;
                self.flush_producers(now, &mut events);
            }
            BrokerCommand::SetProducerRate {
                producer,
                topic,
                key,
                value,
                records_per_tick,
            } => {
                if *records_per_tick == 0 {
                    self.rates.remove(producer);
                } else {
                    let rate = ProducerRate {
                        topic: topic.clone(),
                        key: key.clone(),
                        value: value.clone(),
                        records_per_tick: *records_per_tick,
                        next_n: 1,
                    };
                    self.rates.insert(*producer, rate);
                }
                events.push(BrokerEvent::RateChanged {
                    producer: *producer,
                    records_per_tick: *records_per_tick,
                });
            }
            BrokerCommand::ResetGroupOffsets { group, to_earliest } => {
                let targets: Vec<(TopicPartition, Offset)> = self
                    .lags()
                    .into_iter()
                    .filter(|(g, _, _)| g == group)
                    .filter_map(|(_, tp, _)| {
                        let p = self.topics.get(&tp.topic)?.partition(tp.partition)?;
                        Some((tp, if *to_earliest { p.log_start() } else { p.hw }))
                    })
                    .collect();
                let g = self.groups.get_mut(group).expect("validated");
                for (tp, offset) in &targets {
                    g.committed.insert(
                        tp.clone(),
                        super::group::Commit {
                            offset: *offset,
                            at: now,
                        },
                    );
                }
                events.push(BrokerEvent::GroupOffsetsReset {
                    group: group.clone(),
                    to_earliest: *to_earliest,
                    partitions: targets.len(),
                });
            }
            BrokerCommand::AddBroker => {
                let id = BrokerId(self.brokers.len() as u8 + 1);
                self.brokers.push(Broker::new(id));
                events.push(BrokerEvent::BrokerAdded { broker: id });
                self.run_controller(now);
            }
            BrokerCommand::AddConsumer {
                group,
                topics,
                instance_id,
                config,
            } => {
                let id = ConsumerId(self.consumers.keys().last().map_or(1, |c| c.0 + 1));
                let g = self
                    .groups
                    .entry(group.clone())
                    .or_insert_with(|| ConsumerGroup::new(group, Strategy::Range));
                let consumer = group::join(
                    g,
                    id,
                    instance_id.clone(),
                    topics.iter().cloned().collect(),
                    *config,
                    now,
                    &mut group_events,
                );
                self.consumers.insert(id, consumer);
                events.push(BrokerEvent::ConsumerAdded {
                    consumer: id,
                    group: group.clone(),
                });
            }
            BrokerCommand::SetConsumerConfig { consumer, config } => {
                self.consumers.get_mut(consumer).expect("validated").config = *config;
            }
            BrokerCommand::CloseConsumer { consumer } => {
                let (g, c) = self.group_and_consumer(*consumer);
                group::close(g, c, now, &mut group_events);
            }
            BrokerCommand::CrashConsumer { consumer } => {
                let c = self.consumers.get_mut(consumer).expect("validated");
                group::crash(c, now, &mut group_events);
            }
            BrokerCommand::RestartConsumer { consumer } => {
                let (g, c) = self.group_and_consumer(*consumer);
                group::restart(g, c, now, &mut group_events);
            }
            BrokerCommand::CommitConsumer {
                consumer,
                asynchronous,
            } => {
                let (g, c) = self.group_and_consumer(*consumer);
                if *asynchronous && matches!(g.state, group::GroupState::PreparingRebalance { .. })
                {
                    // commitAsync fails in the background and is not retried: the offsets stay where they were.
                    events.push(BrokerEvent::AsyncCommitFailed {
                        consumer: *consumer,
                        reason: "REBALANCE_IN_PROGRESS".into(),
                    });
                } else {
                    group::commit_now(g, c, now, &mut group_events);
                }
            }
            BrokerCommand::SeekConsumer {
                consumer,
                topic,
                partition,
                offset,
            } => {
                let c = self.consumers.get_mut(consumer).expect("validated");
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition: *partition,
                };
                c.stuck.remove(&tp);
                c.position_epoch += 1;
                c.positions.insert(tp, *offset);
            }
            BrokerCommand::SetGroupStrategy { group, strategy } => {
                let g = self.groups.get_mut(group).expect("validated");
                g.strategy = *strategy;
                g.start_rebalance(now, "the assignor changed", &mut group_events);
            }
            BrokerCommand::KillBroker { broker } => {
                self.stop_broker(*broker, BrokerProcess::Crashed);
                events.push(BrokerEvent::BrokerKilled { broker: *broker });
            }
            BrokerCommand::ShutdownBroker { broker } => {
                if self.controller.active.is_some()
                    && self.broker_node(*broker)?.reachable(Link::Controller)
                {
                    self.controller.shut_down(*broker, &mut self.topics, now);
                }
                self.stop_broker(*broker, BrokerProcess::Stopped);
                events.push(BrokerEvent::BrokerStopped { broker: *broker });
            }
            BrokerCommand::RestartBroker { broker } => {
                let b = self.broker_mut(*broker);
                b.process = BrokerProcess::Running;
                b.metadata_offset = 0;
                b.last_heartbeat_sent = None;
                b.registered = false;
                events.push(BrokerEvent::BrokerRestarted { broker: *broker });
                self.run_controller(now);
            }
            BrokerCommand::SlowBroker {
                broker,
                fetch_every_ticks,
            } => {
                self.broker_mut(*broker).fetch_every_ticks = *fetch_every_ticks;
                events.push(BrokerEvent::BrokerSlowed {
                    broker: *broker,
                    fetch_every_ticks: *fetch_every_ticks,
                });
            }
            BrokerCommand::CutLink { broker, link, cut } => {
                self.broker_mut(*broker).set_cut(*link, *cut);
                events.push(BrokerEvent::LinkChanged {
                    broker: *broker,
                    link: *link,
                    cut: *cut,
                });
            }
            BrokerCommand::HealBroker { broker } => {
                self.broker_mut(*broker).heal();
                events.push(BrokerEvent::BrokerHealed { broker: *broker });
            }
            BrokerCommand::KillController { controller } => {
                self.controller.kill_node(*controller, now);
                events.push(BrokerEvent::ControllerKilled {
                    controller: *controller,
                });
            }
            BrokerCommand::RestartController { controller } => {
                self.controller.restart_node(*controller);
                events.push(BrokerEvent::ControllerRestarted {
                    controller: *controller,
                });
            }
            BrokerCommand::ElectPreferredLeaders => {
                if self.controller.active.is_some() {
                    self.controller.elect_preferred(&mut self.topics, now);
                }
            }
            BrokerCommand::SetClusterSettings { settings } => {
                self.settings = *settings;
                events.push(BrokerEvent::ClusterSettingsChanged);
            }
            BrokerCommand::AlterTopicConfig {
                topic,
                min_insync_replicas,
                unclean_leader_election,
            } => {
                let t = self.topics.get_mut(topic).expect("validated");
                if let Some(n) = min_insync_replicas {
                    t.settings.min_insync_replicas = *n;
                }
                if let Some(on) = unclean_leader_election {
                    t.settings.unclean_leader_election = *on;
                }
                if t.settings.unclean_leader_election && self.controller.active.is_some() {
                    self.controller.elect_offline(&mut self.topics, now);
                }
                events.push(BrokerEvent::TopicSettingsChanged {
                    topic: topic.clone(),
                });
            }
        }
        events.extend(group_events.into_iter().map(BrokerEvent::Group));
        self.settle(metadata_before, now, &mut events);
        Ok(events)
    }

    /// A broker's process ends: its replicas forget what they knew (their logs stay on disk).
    fn stop_broker(&mut self, id: BrokerId, process: BrokerProcess) {
        let b = self.broker_mut(id);
        b.process = process;
        b.registered = false;
        for topic in self.topics.values_mut() {
            for p in &mut topic.partitions {
                if let Some(r) = p.replica.get_mut(&id) {
                    r.forget();
                }
            }
        }
    }

    /// The controller's work for this tick: elect an active controller if there is none,
    /// register restarted brokers, take heartbeats (unfencing brokers, which may bring offline
    /// partitions back), fence brokers whose session expired, and the periodic preferred-leader
    /// check.
    fn run_controller(&mut self, now: Tick) {
        self.controller.maybe_elect(now);
        if self.controller.active.is_none() {
            return;
        }
        let mut unfenced = false;
        for b in &mut self.brokers {
            if !b.reachable(Link::Controller) {
                continue;
            }
            if !b.registered {
                // A new incarnation is refused while the old one's session is still valid
                // (DuplicateBrokerRegistrationException); the broker retries until it expires.
                let old_session_valid = self.controller.registrations.get(&b.id).is_some_and(|r| {
                    !r.fenced
                        && now.ticks_since(r.last_heartbeat) <= self.settings.session_timeout_ticks
                });
                if old_session_valid {
                    continue;
                }
                // The old incarnation is gone: it leaves the ISRs and its leaderships move on.
                self.controller
                    .fence(b.id, "a new incarnation registered", &mut self.topics, now);
                self.controller.register(b.id, now);
                b.registered = true;
            }
            let due = b
                .last_heartbeat_sent
                .is_none_or(|t| now.ticks_since(t) >= self.settings.heartbeat_interval_ticks);
            if due {
                b.last_heartbeat_sent = Some(now);
                unfenced |= self.controller.heartbeat(b.id, now);
            }
        }
        if unfenced {
            self.controller.elect_offline(&mut self.topics, now);
        }
        for broker in self
            .controller
            .expired_sessions(now, self.settings.session_timeout_ticks)
        {
            self.controller
                .fence(broker, "its session expired", &mut self.topics, now);
        }
        if self.settings.auto_leader_rebalance
            && now.0 > 0
            && now
                .0
                .is_multiple_of(self.settings.leader_imbalance_check_ticks)
        {
            self.controller.elect_preferred(&mut self.topics, now);
        }
    }

    /// Every running broker that can reach the controller replays the metadata it has not seen.
    fn replay_metadata(&mut self, now: Tick) {
        if self.controller.active.is_none() {
            return;
        }
        let end = self.controller.log.len();
        for b in &mut self.brokers {
            if !b.reachable(Link::Controller) || b.metadata_offset >= end {
                continue;
            }
            for record in &self.controller.log[b.metadata_offset..end] {
                let MetadataChange::PartitionChanged {
                    topic,
                    partition,
                    leader,
                    isr,
                    leader_epoch,
                    partition_epoch,
                    ..
                } = &record.change
                else {
                    continue;
                };
                let Some(p) = self
                    .topics
                    .get_mut(topic)
                    .and_then(|t| t.partitions.get_mut(partition.0 as usize))
                else {
                    continue;
                };
                if let Some(r) = p.replica.get_mut(&b.id) {
                    r.learn(
                        b.id,
                        *leader,
                        isr,
                        (*leader_epoch, *partition_epoch),
                        &p.replicas,
                        now,
                    );
                }
            }
            b.metadata_offset = end;
        }
    }

    fn rules(&self) -> ReplicationRules {
        ReplicationRules {
            replica_lag_max_ticks: self.settings.replica_lag_max_ticks,
            fetch_max_records: self.settings.fetch_max_records as usize,
        }
    }

    /// One round of replication: followers fetch from the leader they know, leaders propose ISR
    /// changes (AlterPartition, which needs the controller) and advance their high watermarks.
    fn replicate(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let rules = self.rules();
        let brokers: BTreeMap<BrokerId, &Broker> = self.brokers.iter().map(|b| (b.id, b)).collect();
        let controller = &mut self.controller;
        let controller_up = controller.active.is_some();
        for topic in self.topics.values_mut() {
            for p in &mut topic.partitions {
                let min_isr = p.effective_min_isr(&topic.settings);
                if p.replicas.len() > 1 {
                    for follower in p.replicas.clone() {
                        let fb = brokers[&follower];
                        if !fb.reachable(Link::Brokers)
                            || !now.0.is_multiple_of(u64::from(fb.fetch_every_ticks))
                        {
                            continue;
                        }
                        let Some(r) = p.replica.get(&follower) else {
                            continue;
                        };
                        let Some(leader) = r.known_leader.filter(|l| *l != follower) else {
                            continue;
                        };
                        if r.leading.is_some() || !brokers[&leader].reachable(Link::Brokers) {
                            continue;
                        }
                        let outcome = replication::fetch(p, follower, leader, now, &rules);
                        if let FetchOutcome::Truncated { from, to } = outcome {
                            self.truncations += 1;
                            events.push(BrokerEvent::Truncated {
                                tp: TopicPartition {
                                    topic: topic.name.clone(),
                                    partition: p.id,
                                },
                                broker: follower,
                                from,
                                to,
                            });
                        }
                    }
                }
                let leaders: Vec<BrokerId> = p
                    .replica
                    .iter()
                    .filter(|(b, r)| r.leading.is_some() && brokers[*b].running())
                    .map(|(b, _)| *b)
                    .collect();
                for leader in leaders {
                    let reaches_controller =
                        controller_up && brokers[&leader].reachable(Link::Controller);
                    let r = &p.replica[&leader];
                    let pending = r.leading.as_ref().and_then(|l| l.pending_isr.clone());
                    let proposal = pending.or_else(|| {
                        replication::proposed_isr(leader, r, &p.replicas, now, &rules, |b| {
                            controller.eligible(b)
                        })
                    });
                    if let Some(isr) = proposal {
                        let epochs = (r.known_epoch, r.known_partition_epoch);
                        if reaches_controller {
                            let accepted = controller
                                .alter_partition(&topic.name, p, leader, epochs, isr, now)
                                .is_ok();
                            let (isr, epochs) =
                                (p.isr.clone(), (p.leader_epoch, p.partition_epoch));
                            let replicas = p.replicas.clone();
                            let r = p.replica.get_mut(&leader).expect("listed");
                            if accepted {
                                r.learn(leader, Some(leader), &isr, epochs, &replicas, now);
                            } else if let Some(l) = &mut r.leading {
                                l.pending_isr = None;
                            }
                        } else if let Some(l) =
                            &mut p.replica.get_mut(&leader).expect("listed").leading
                        {
                            l.pending_isr = Some(isr);
                        }
                    }
                    let r = p.replica.get_mut(&leader).expect("listed");
                    replication::advance_hw(r, min_isr, now, &rules, |b| controller.eligible(b));
                }
            }
        }
    }

    /// After a command or a tick: brokers learn new metadata, the partitions' serving state is
    /// refreshed, new metadata records become events, and every leader change re-checks the
    /// ledger.
    fn settle(&mut self, metadata_before: usize, now: Tick, events: &mut Vec<BrokerEvent>) {
        self.replay_metadata(now);
        self.refresh_serving();
        let end = self.controller.log.len();
        for i in metadata_before..end {
            let change = self.controller.log[i].change.clone();
            match change {
                MetadataChange::ControllerElected { controller, term } => {
                    events.push(BrokerEvent::ControllerElected { controller, term });
                }
                MetadataChange::BrokerRegistered {
                    broker,
                    broker_epoch,
                } => events.push(BrokerEvent::BrokerRegistered {
                    broker,
                    broker_epoch,
                }),
                MetadataChange::BrokerFenced { broker, reason } => {
                    events.push(BrokerEvent::BrokerFenced { broker, reason });
                }
                MetadataChange::BrokerUnfenced { broker } => {
                    events.push(BrokerEvent::BrokerUnfenced { broker });
                }
                MetadataChange::PartitionChanged {
                    topic,
                    partition,
                    leader,
                    isr,
                    leader_epoch,
                    election,
                    ..
                } => {
                    let tp = TopicPartition { topic, partition };
                    match election {
                        Some(kind) => {
                            events.push(BrokerEvent::LeaderChanged {
                                tp: tp.clone(),
                                leader,
                                leader_epoch,
                                kind,
                            });
                            let p = &self.topics[&tp.topic].partitions[partition.0 as usize];
                            let count = self.ledger.check(&tp, p, now);
                            if count > 0 {
                                events.push(BrokerEvent::AckedWritesLost { tp, count });
                            }
                        }
                        None => events.push(BrokerEvent::IsrChanged { tp, isr }),
                    }
                }
            }
        }
    }

    /// Which partitions clients can use now, and the high watermark they see.
    fn refresh_serving(&mut self) {
        let brokers: BTreeMap<BrokerId, &Broker> = self.brokers.iter().map(|b| (b.id, b)).collect();
        for topic in self.topics.values_mut() {
            for p in &mut topic.partitions {
                let leader = p.leader.and_then(|l| Some((l, p.replica.get(&l)?)));
                p.serving = leader.is_some_and(|(l, r)| {
                    brokers[&l].reachable(Link::Clients)
                        && r.leading.is_some()
                        && r.known_epoch == p.leader_epoch
                });
                if let Some((_, r)) = leader {
                    p.hw = r.hw;
                }
            }
        }
    }

    fn group_and_consumer(&mut self, consumer: ConsumerId) -> (&mut ConsumerGroup, &mut Consumer) {
        let c = self.consumers.get_mut(&consumer).expect("validated");
        let g = self
            .groups
            .get_mut(&c.group)
            .expect("a consumer's group exists");
        (g, c)
    }

    fn produce(
        &mut self,
        producer_id: ProducerId,
        spec: &ProduceSpec<'_>,
        first_n: u64,
        count: u16,
        now: Tick,
    ) -> Result<(), BrokerRejection> {
        let (topic, partition, key, value) = (spec.topic, spec.partition, spec.key, spec.value);
        let headers: Vec<(String, Vec<u8>)> = spec
            .header
            .iter()
            .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
            .collect();
        let t = &self.topics[topic];
        let partitions = t.partitions.len() as u32;
        let available: Vec<PartitionId> = t
            .partitions
            .iter()
            .filter(|p| p.leader.is_some())
            .map(|p| p.id)
            .collect();
        let producer = self.producers.get_mut(&producer_id).expect("validated");
        if producer.pending_records() + count as usize > super::producer::ACCUMULATED_RECORDS_MAX {
            return Err(BrokerRejection::Limit(
                "the producer's buffer is full (buffer.memory)".into(),
            ));
        }
        let mut shared: BTreeMap<PartitionId, std::rc::Rc<TopicPartition>> = BTreeMap::new();
        for n in first_n..first_n + u64::from(count) {
            let fill = |text: &Option<String>| {
                text.as_ref().map(|t| {
                    if t.contains("{n}") {
                        t.replace("{n}", &n.to_string()).into_bytes()
                    } else {
                        t.as_bytes().to_vec()
                    }
                })
            };
            let record = NewRecord {
                key: fill(key),
                value: fill(value),
                headers: headers.clone(),
                timestamp: Some(now),
            };
            let chosen =
                producer.choose_partition(topic, partitions, &available, partition, &record);
            let send_id = self.sends.len() as u64;
            let tp = shared
                .entry(chosen)
                .or_insert_with(|| {
                    std::rc::Rc::new(TopicPartition {
                        topic: topic.to_string(),
                        partition: chosen,
                    })
                })
                .clone();
            producer
                .accumulate(topic, chosen, record, send_id, now)
                .map_err(|why| BrokerRejection::Limit(why.into()))?;
            self.sends.push(Send {
                producer: producer_id,
                tp,
                outcome: SendOutcome::Pending,
                acks: producer.config.acks,
                first_write: None,
                more_writes: Vec::new(),
            });
        }
        Ok(())
    }

    /// Sends every batch that is ready, through the (possibly lossy) network.
    fn flush_producers(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let ids: Vec<ProducerId> = self.producers.keys().copied().collect();
        for id in ids {
            let batches = self.producers.get_mut(&id).expect("listed").drain(now);
            for batch in batches {
                self.send_batch(id, batch, now, events);
            }
        }
    }

    /// Where a producer sends a partition's batches: the leader it knows, or after a metadata
    /// refresh, the leader named by the best-informed broker it can reach.
    fn client_leader(&mut self, producer: ProducerId, tp: &TopicPartition) -> Option<BrokerId> {
        let key = (producer, tp.clone());
        if let Some(b) = self.client_leaders.get(&key) {
            return Some(*b);
        }
        let answering = self
            .brokers
            .iter()
            .filter(|b| b.reachable(Link::Clients))
            .max_by_key(|b| (b.metadata_offset, std::cmp::Reverse(b.id)))?;
        let p = self.topics.get(&tp.topic)?.partition(tp.partition)?;
        let leader = if answering.metadata_offset >= self.controller.log.len() {
            p.leader
        } else {
            p.replica
                .get(&answering.id)
                .map_or(p.leader, |r| r.known_leader)
        }?;
        self.client_leaders.insert(key, leader);
        Some(leader)
    }

    fn send_batch(
        &mut self,
        id: ProducerId,
        mut batch: ProducerBatch,
        now: Tick,
        events: &mut Vec<BrokerEvent>,
    ) {
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        let retry = batch.attempts > 1;
        let producer = self.producers.get_mut(&id).expect("exists");
        let acks = producer.config.acks;
        let fire_and_forget = acks == Acks::Zero;
        // Each attempt goes out with the producer's acks setting of the moment.
        for send_id in &batch.send_ids {
            self.sends[*send_id as usize].acks = acks;
        }
        let producer = self.producers.get_mut(&id).expect("exists");
        let (request_lost, lost_response) = producer.roll_network_fault();
        // acks=0 expects no response, so there is none to lose, and nothing is ever retried.
        let response_lost = lost_response && !fire_and_forget;
        if request_lost {
            events.push(BrokerEvent::RequestLost { producer: id, tp });
            if fire_and_forget {
                self.set_outcome(&batch, SendOutcome::Unconfirmed);
            } else {
                self.retry_or_fail(id, batch, now, "the request was lost", false, events);
            }
            return;
        }
        let Some(broker) = self.client_leader(id, &tp) else {
            let error = ProduceError::LeaderNotAvailable;
            return self.produce_error(id, batch, now, error, events);
        };
        if !self
            .broker_node(broker)
            .is_ok_and(|b| b.reachable(Link::Clients))
        {
            let error = ProduceError::BrokerUnreachable(broker);
            return self.produce_error(id, batch, now, error, events);
        }
        let rules = self.rules();
        let topic = self
            .topics
            .get_mut(&batch.topic)
            .expect("topics are never deleted");
        let settings = topic.settings;
        let partition = &mut topic.partitions[batch.partition.0 as usize];
        let min_isr = partition.effective_min_isr(&settings);
        let Some(replica) = partition
            .replica
            .get_mut(&broker)
            .filter(|r| r.leading.is_some())
        else {
            let error = ProduceError::NotLeaderOrFollower(broker);
            return self.produce_error(id, batch, now, error, events);
        };
        if acks == Acks::All && replica.known_isr.len() < min_isr {
            let error = ProduceError::NotEnoughReplicas {
                isr: replica.known_isr.len(),
                min: min_isr,
            };
            return self.produce_error(id, batch, now, error, events);
        }
        let leader_epoch = replica.known_epoch;
        let producer_key = Producer::stamp_id(id, batch.producer_epoch);
        let expected = batch.base_sequence.map(|seq| {
            let next = replica.sequences.get(&producer_key).copied().unwrap_or(0);
            (seq, next)
        });
        match expected {
            Some((seq, next)) if seq < next => {
                events.push(BrokerEvent::DuplicateDiscarded {
                    producer: id,
                    tp: tp.clone(),
                    count: batch.records.len(),
                });
            }
            Some((seq, next)) if seq > next => {
                events.push(BrokerEvent::OutOfOrderRejected {
                    producer: id,
                    tp: tp.clone(),
                });
                let seq = batch.base_sequence.unwrap_or(0);
                let earlier_in_flight = self.parked.iter().any(|p| {
                    p.producer == id
                        && p.batch.topic == batch.topic
                        && p.batch.partition == batch.partition
                        && p.batch.base_sequence.is_some_and(|s| s < seq)
                });
                let producer = self.producers.get_mut(&id).expect("exists");
                let gap_never_fills = !earlier_in_flight
                    && !producer.holds_earlier(&batch.topic, batch.partition, seq);
                if gap_never_fills {
                    producer.bump_epoch();
                    batch.base_sequence = None;
                }
                let reason = if gap_never_fills {
                    "OUT_OF_ORDER_SEQUENCE_NUMBER: the leader lacks this producer's earlier records \
                     (data was lost), so the producer bumps its epoch and starts its sequences over"
                } else {
                    "out of order sequence"
                };
                self.retry_or_fail(id, batch, now, reason, false, events);
                return;
            }
            _ => {
                let log_append_time = settings.timestamp_type == TimestampType::LogAppendTime;
                let count = batch.records.len();
                // The records move into the log, unless the producer will have to send them again
                // (an acks=all batch that has to wait takes a copy back from the log).
                let keep = response_lost;
                let owned = if keep {
                    batch.records.clone()
                } else {
                    std::mem::take(&mut batch.records)
                };
                let records: Vec<NewRecord> = owned
                    .into_iter()
                    .map(|r| {
                        if log_append_time {
                            NewRecord {
                                timestamp: None,
                                ..r
                            }
                        } else {
                            r
                        }
                    })
                    .collect();
                let stamp = batch.base_sequence.map(|base_sequence| ProducerStamp {
                    producer_id: producer_key,
                    base_sequence,
                });
                // compression.type=producer keeps the producer's codec; any other value makes the
                // broker recompress the batch.
                let codec = settings
                    .compression
                    .unwrap_or(self.producers[&id].config.compression);
                let encoded = super::compression::encoded_len(codec, &records);
                match replica
                    .log
                    .append_encoded(records, now, leader_epoch, stamp, Some(encoded))
                {
                    Ok((base, _)) => {
                        for (i, send_id) in batch.send_ids.iter().enumerate() {
                            self.sends[*send_id as usize]
                                .written_at(Offset(base.0 + i as u64), leader_epoch);
                        }
                        if let Some(seq) = batch.base_sequence {
                            replica.note_sequence(producer_key, seq + count as u32);
                        }
                        events.push(BrokerEvent::Appended {
                            producer: id,
                            tp: tp.clone(),
                            base_offset: base,
                            count,
                            retry,
                        });
                    }
                    Err(e) => {
                        let reason = e.to_string();
                        self.fail(id, &batch, &reason, false, events);
                        return;
                    }
                }
            }
        }
        // An append alone moves the high watermark when the leader is the whole ISR.
        let controller = &self.controller;
        replication::advance_hw(replica, min_isr, now, &rules, |b| controller.eligible(b));
        if partition.leader == Some(broker) {
            partition.hw = partition.hw.max(replica.hw);
        }
        let last_offset = Offset(replica.log.leo().0.saturating_sub(1));
        // acks=all waits in purgatory unless the append alone committed it (the leader is the
        // whole ISR) and the answer will arrive.
        let must_wait = replica.hw <= last_offset || response_lost;
        if acks == Acks::All && must_wait {
            if batch.records.is_empty() {
                // Kept for a retry: the records as the log holds them.
                batch.records = replica.log.last_records(batch.send_ids.len());
            }
            self.parked.push(ParkedProduce {
                producer: id,
                batch,
                broker,
                leader_epoch,
                last_offset,
                deadline: now.plus(self.settings.request_timeout_ticks),
                response_lost,
            });
            return;
        }
        if response_lost {
            events.push(BrokerEvent::ResponseLost { producer: id, tp });
            self.retry_or_fail(id, batch, now, "the response was lost", false, events);
            return;
        }
        if fire_and_forget {
            self.set_outcome(&batch, SendOutcome::Unconfirmed);
            return;
        }
        self.acknowledge(id, &batch, broker, now);
    }

    fn set_outcome(&mut self, batch: &ProducerBatch, outcome: SendOutcome) {
        for send_id in &batch.send_ids {
            self.sends[*send_id as usize].outcome = outcome;
        }
    }

    /// `broker` tells the producer its records are written: they enter the ledger, each with
    /// the write that broker holds (a retry it recognised as a duplicate refers to the original).
    fn acknowledge(&mut self, id: ProducerId, batch: &ProducerBatch, broker: BrokerId, now: Tick) {
        let producer = self.producers.get_mut(&id).expect("exists");
        producer.acked_records += batch.send_ids.len() as u64;
        self.set_outcome(batch, SendOutcome::Acked);
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        let partition = &self.topics[&batch.topic].partitions[batch.partition.0 as usize];
        let log = partition.log_on(broker);
        let sends = &self.sends;
        let entries = batch.send_ids.iter().filter_map(|send_id| {
            let send = &sends[*send_id as usize];
            let held = send.writes().rev().find(|(offset, epoch)| {
                log.is_some_and(|l| *offset < l.leo() && l.epoch_at(*offset) == Some(*epoch))
            });
            let (offset, epoch) = held.or(send.last_write())?;
            Some(Entry {
                send: *send_id,
                offset,
                epoch,
                acks: send.acks,
                lost: false,
            })
        });
        self.ledger.acknowledged(&tp, entries, partition, now);
    }

    /// A produce error: stale metadata is dropped, and the batch is retried while retries last.
    fn produce_error(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        now: Tick,
        error: ProduceError,
        events: &mut Vec<BrokerEvent>,
    ) {
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        self.client_leaders.remove(&(id, tp.clone()));
        *self.produce_errors.entry(error.code()).or_default() += 1;
        let reason = format!("{} ({error})", error.code());
        let maybe_written = error.maybe_written();
        events.push(BrokerEvent::ProduceFailed {
            producer: id,
            tp,
            error,
        });
        self.retry_or_fail(id, batch, now, &reason, maybe_written, events);
    }

    /// Answers the parked acks=all requests whose time has come (spec §1.3): success once the
    /// high watermark covers the batch (or NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank
    /// meanwhile), NOT_LEADER_OR_FOLLOWER if the leader lost its leadership, REQUEST_TIMED_OUT
    /// when the deadline passes.
    fn complete_parked(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let parked = std::mem::take(&mut self.parked);
        for request in parked {
            let b = self.broker_node(request.broker).expect("brokers stay");
            let (running, reachable) = (b.running(), b.reachable(Link::Clients));
            let t = &self.topics[&request.batch.topic];
            let p = &t.partitions[request.batch.partition.0 as usize];
            let min_isr = p.effective_min_isr(&t.settings);
            let replica = p.replica.get(&request.broker);
            let leads = replica
                .is_some_and(|r| r.leading.is_some() && r.known_epoch == request.leader_epoch);
            let error = if !running || !leads {
                Some(ProduceError::NotLeaderOrFollower(request.broker))
            } else if replica.is_some_and(|r| r.hw > request.last_offset) && reachable {
                let isr = replica.map_or(0, |r| r.maximal_isr().len());
                if isr < min_isr {
                    Some(ProduceError::NotEnoughReplicasAfterAppend { isr, min: min_isr })
                } else if request.response_lost {
                    let tp = TopicPartition {
                        topic: request.batch.topic.clone(),
                        partition: request.batch.partition,
                    };
                    events.push(BrokerEvent::ResponseLost {
                        producer: request.producer,
                        tp,
                    });
                    let id = request.producer;
                    self.retry_or_fail(
                        id,
                        request.batch,
                        now,
                        "the response was lost",
                        true,
                        events,
                    );
                    continue;
                } else {
                    self.acknowledge(request.producer, &request.batch, request.broker, now);
                    continue;
                }
            } else if now >= request.deadline {
                Some(ProduceError::RequestTimedOut)
            } else {
                None
            };
            match error {
                Some(error) => {
                    self.produce_error(request.producer, request.batch, now, error, events);
                }
                None => self.parked.push(request),
            }
        }
    }

    fn retry_or_fail(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        now: Tick,
        reason: &str,
        maybe_written: bool,
        events: &mut Vec<BrokerEvent>,
    ) {
        let producer = self.producers.get_mut(&id).expect("exists");
        if let Err(batch) = producer.retry_later(batch, now) {
            self.fail(
                id,
                &batch,
                &format!("{reason}, and the retries ran out"),
                maybe_written,
                events,
            );
        }
    }

    fn fail(
        &mut self,
        id: ProducerId,
        batch: &ProducerBatch,
        reason: &str,
        maybe_written: bool,
        events: &mut Vec<BrokerEvent>,
    ) {
        for send_id in &batch.send_ids {
            let send = &mut self.sends[*send_id as usize];
            // A record that reached a log (or may have) is not known to have failed.
            send.outcome = if maybe_written || send.first_write.is_some() {
                SendOutcome::Unknown
            } else {
                SendOutcome::Failed
            };
        }
        let tp = TopicPartition {
            topic: batch.topic.clone(),
            partition: batch.partition,
        };
        events.push(BrokerEvent::SendFailed {
            producer: id,
            tp,
            count: batch.send_ids.len(),
            reason: reason.to_string(),
        });
    }

    /// One tick: producers send what is ready, groups rebalance and consumers poll, and every
    /// few ticks retention and the log cleaner run.
    pub fn tick(&mut self, now: Tick) -> Vec<BrokerEvent> {
        let mut events = Vec::new();
        let metadata_before = self.controller.log.len();
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
        self.refresh_serving();
        let mut group_events = Vec::new();
        for g in self.groups.values_mut() {
            group::tick(g, &mut self.consumers, &self.topics, now, &mut group_events);
        }
        events.extend(group_events.into_iter().map(BrokerEvent::Group));
        self.sample_lag(now);
        self.sample_replication(now);
        if now.0.is_multiple_of(RETENTION_CHECK_TICKS)
            || now.0.is_multiple_of(CLEANER_INTERVAL_TICKS)
        {
            self.clean_logs(now, &mut events);
        }
        self.settle(metadata_before, now, &mut events);
        events
    }

    /// Retention and compaction on every replica of a running broker, each below its own high
    /// watermark; the leader's results are reported.
    fn clean_logs(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let running: BTreeSet<BrokerId> = self
            .brokers
            .iter()
            .filter(|b| b.running())
            .map(|b| b.id)
            .collect();
        for topic in self.topics.values_mut() {
            for partition in &mut topic.partitions {
                let tp = TopicPartition {
                    topic: topic.name.clone(),
                    partition: partition.id,
                };
                for (broker, replica) in &mut partition.replica {
                    if !running.contains(broker) {
                        continue;
                    }
                    let report = partition.leader == Some(*broker);
                    let hw = replica.hw;
                    let log = &mut replica.log;
                    if now.0.is_multiple_of(CLEANER_INTERVAL_TICKS) {
                        if let Some(c) = log.compact(now, hw).filter(|_| report) {
                            events.push(BrokerEvent::Compacted {
                                tp: tp.clone(),
                                removed: c.removed_records,
                                bytes_before: c.bytes_before,
                                bytes_after: c.bytes_after,
                            });
                        }
                    }
                    if now.0.is_multiple_of(RETENTION_CHECK_TICKS) {
                        let r = log.apply_retention(now, hw);
                        if r.deleted_segments > 0 && report {
                            events.push(BrokerEvent::SegmentsDeleted {
                                tp: tp.clone(),
                                segments: r.deleted_segments,
                                records: r.deleted_records,
                                log_start: r.new_log_start,
                            });
                        }
                    }
                }
            }
        }
    }

    /// Every group's lag (HW minus committed) on each partition of the topics it subscribes to.
    pub fn lags(&self) -> Vec<(String, TopicPartition, u64)> {
        let mut out = Vec::new();
        for (name, g) in &self.groups {
            let topics: BTreeSet<&String> = g
                .members
                .values()
                .flat_map(|m| m.topics.iter())
                .chain(g.committed.keys().map(|tp| &tp.topic))
                .collect();
            for topic in topics {
                let Some(t) = self.topics.get(topic) else {
                    continue;
                };
                for p in &t.partitions {
                    let tp = TopicPartition {
                        topic: topic.clone(),
                        partition: p.id,
                    };
                    let lag = g.lag(&tp, p.hw);
                    out.push((name.clone(), tp, lag));
                }
            }
        }
        out
    }

    fn sample_lag(&mut self, now: Tick) {
        if self.groups.is_empty() {
            return;
        }
        if self.lag_history.len() == LAG_HISTORY_TICKS_MAX {
            self.lag_history.pop_front();
        }
        let lags = self.lags();
        self.lag_history.push_back(LagSample { at: now, lags });
    }

    fn sample_replication(&mut self, now: Tick) {
        if self.topics.is_empty() {
            return;
        }
        if self.replication_history.len() == LAG_HISTORY_TICKS_MAX {
            self.replication_history.pop_front();
        }
        let mut sample = ReplicationSample {
            at: now,
            under_replicated: 0,
            offline: 0,
            in_sync: 0,
        };
        for p in self.topics.values().flat_map(|t| t.partitions.iter()) {
            sample.under_replicated += u32::from(p.under_replicated());
            sample.offline += u32::from(p.offline());
            sample.in_sync += p.isr.len() as u32;
        }
        self.replication_history.push_back(sample);
    }

    /// Consumer lag in time: ticks since the first record the group has not committed was
    /// written (0 when the group is caught up).
    pub fn lag_ticks(&self, group: &str, tp: &TopicPartition, now: Tick) -> u64 {
        let Some(g) = self.groups.get(group) else {
            return 0;
        };
        let Some(partition) = self
            .topics
            .get(&tp.topic)
            .and_then(|t| t.partition(tp.partition))
        else {
            return 0;
        };
        let committed = g.committed.get(tp).map_or(Offset(0), |c| c.offset);
        if committed >= partition.hw {
            return 0;
        }
        partition
            .leader_log()
            .and_then(|log| {
                log.read(committed.max(log.log_start()), partition.hw, 1)
                    .ok()
            })
            .and_then(|records| records.first().map(|r| now.ticks_since(r.timestamp)))
            .unwrap_or(0)
    }

    /// The anomalies of spec §4.2 in everything recorded so far.
    pub fn history_report(&self) -> HistoryReport {
        let mut report = HistoryReport {
            lost_unconfirmed: self
                .sends
                .iter()
                .filter(|s| s.outcome == SendOutcome::Unconfirmed && s.first_write.is_none())
                .count(),
            ..HistoryReport::default()
        };
        // A record counts as written twice when two of its writes survive on the leader (a write
        // truncated away by a failover is not a copy).
        for (id, send) in self.sends.iter().enumerate() {
            if send.more_writes.is_empty() {
                continue;
            }
            let partition = self
                .topics
                .get(&send.tp.topic)
                .and_then(|t| t.partition(send.tp.partition));
            let surviving = send
                .writes()
                .filter(|(offset, epoch)| {
                    partition.is_none_or(|p| {
                        super::ledger::leader_has(p, *offset, *epoch) != Some(false)
                    })
                })
                .count();
            if surviving > 1 {
                report.duplicates.push(id as u64);
            }
        }
        let mut last_offset: BTreeMap<(ProducerId, &TopicPartition), Offset> = BTreeMap::new();
        for send in &self.sends {
            if let Some(first) = send.first_offset() {
                let key = (send.producer, &*send.tp);
                let entry = (send.producer, (*send.tp).clone());
                if last_offset.get(&key).is_some_and(|last| first < *last)
                    && !report.nonmonotonic_sends.contains(&entry)
                {
                    report.nonmonotonic_sends.push(entry);
                }
                let last = last_offset.entry(key).or_insert(first);
                *last = (*last).max(first);
            }
        }
        for c in self.consumers.values() {
            let mut last: BTreeMap<(&TopicPartition, u32), Offset> = BTreeMap::new();
            for d in &c.deliveries {
                if let Some(previous) = last.insert((&d.tp, d.epoch), d.offset) {
                    if d.offset <= previous {
                        if !report.nonmonotonic_polls.contains(&(c.id, d.tp.clone())) {
                            report.nonmonotonic_polls.push((c.id, d.tp.clone()));
                        }
                    } else if d.offset.0 > previous.0 + 1 {
                        let log = self
                            .topics
                            .get(&d.tp.topic)
                            .and_then(|t| t.partition(d.tp.partition))
                            .and_then(|p| p.leader_log());
                        let skipped_present = log.is_some_and(|l| {
                            l.records()
                                .any(|r| r.offset > previous && r.offset < d.offset)
                        });
                        if skipped_present {
                            report
                                .poll_skips
                                .push((c.id, d.tp.clone(), previous, d.offset));
                        }
                    }
                }
            }
        }
        for (name, g) in &self.groups {
            // Delivery counts per partition, indexed by offset: one pass, then O(1) lookups.
            let mut delivered: BTreeMap<&TopicPartition, Vec<u32>> = BTreeMap::new();
            for c in self.consumers.values().filter(|c| c.group == *name) {
                for d in &c.deliveries {
                    let counts = delivered.entry(&d.tp).or_default();
                    let index = d.offset.0 as usize;
                    if counts.len() <= index {
                        counts.resize(index + 1, 0);
                    }
                    counts[index] += 1;
                }
            }
            for (tp, counts) in &delivered {
                for (offset, n) in counts.iter().enumerate() {
                    if *n > 1 {
                        report.redeliveries.push((
                            name.clone(),
                            (*tp).clone(),
                            Offset(offset as u64),
                        ));
                    }
                }
            }
            let seen = |tp: &TopicPartition, offset: Offset| {
                delivered
                    .get(tp)
                    .and_then(|c| c.get(offset.0 as usize))
                    .is_some_and(|n| *n > 0)
            };
            let highest = |tp: &TopicPartition| {
                delivered
                    .get(tp)
                    .and_then(|c| c.iter().rposition(|n| *n > 0))
                    .map(|o| Offset(o as u64))
            };
            let highest: BTreeMap<&TopicPartition, Option<Offset>> =
                delivered.keys().map(|tp| (*tp, highest(tp))).collect();
            for send in self
                .sends
                .iter()
                .filter(|s| s.outcome == SendOutcome::Acked)
            {
                let tp: &TopicPartition = &send.tp;
                for offset in send.offsets() {
                    if seen(tp, offset) {
                        continue;
                    }
                    if g.committed.get(tp).is_some_and(|c| c.offset > offset) {
                        report.skipped.push((name.clone(), tp.clone(), offset));
                    } else if highest
                        .get(tp)
                        .copied()
                        .flatten()
                        .is_some_and(|h| h > offset)
                    {
                        report.lost_writes.push((tp.clone(), offset));
                    }
                }
            }
        }
        report
    }

    pub(crate) fn hash_into(&self, hasher: &mut StateHasher) {
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
        for s in &self.sends {
            hasher.u64(s.offsets().count() as u64);
            hasher.u64(s.first_offset().map_or(u64::MAX, |o| o.0));
        }
        hasher.u64(self.controller.log.len() as u64);
        hasher.u64(u64::from(self.controller.term));
        hasher.u64(self.ledger.acked);
        hasher.u64(self.ledger.lost.len() as u64);
        hasher.u64(self.parked.len() as u64);
        for b in &self.brokers {
            hasher.u64(b.metadata_offset as u64);
            hasher.u64(u64::from(b.running()));
        }
        for p in self.producers.values() {
            hasher.u64(p.acked_records);
            hasher.u64(p.pending_records() as u64);
        }
    }

    /// Leader elections so far (every leader change after creation, including going offline),
    /// and how many of them were unclean.
    pub fn elections(&self) -> (u64, u64) {
        let mut all = 0;
        let mut unclean = 0;
        for record in &self.controller.log {
            if let MetadataChange::PartitionChanged {
                election: Some(kind),
                ..
            } = &record.change
            {
                if *kind != ElectionKind::Initial {
                    all += 1;
                }
                if *kind == ElectionKind::Unclean {
                    unclean += 1;
                }
            }
        }
        (all, unclean)
    }

    /// Names of every group, for views.
    pub fn group_names(&self) -> BTreeSet<&str> {
        self.groups.keys().map(String::as_str).collect()
    }
}

fn check_settings(settings: &TopicSettings) -> Result<(), BrokerRejection> {
    if settings.replication_factor == 0 || settings.replication_factor > BROKERS_MAX {
        return Err(invalid(
            format!(
                "the replication factor is 1 to {BROKERS_MAX}, not {}",
                settings.replication_factor
            ),
            "3 is the usual choice for durable topics",
        ));
    }
    if settings.min_insync_replicas == 0 || settings.min_insync_replicas > BROKERS_MAX {
        return Err(invalid(
            format!(
                "min.insync.replicas is 1 to {BROKERS_MAX}, not {}",
                settings.min_insync_replicas
            ),
            "with replication factor 3, 2 is the usual choice",
        ));
    }
    let log = &settings.log;
    if log.segment_bytes < 100 || log.segment_bytes > 1 << 30 {
        return Err(invalid(
            "segment.bytes must be between 100 and 1 GiB",
            "try 1024",
        ));
    }
    if log.segment_ticks == 0 {
        return Err(invalid("segment.ms must be at least 1 tick", "try 1000"));
    }
    if !log.cleanup_delete && !log.cleanup_compact {
        return Err(invalid(
            "cleanup.policy needs delete, compact, or both",
            "pick at least one",
        ));
    }
    if log.min_cleanable_dirty_ratio_permille > 1000 {
        return Err(invalid(
            "min.cleanable.dirty.ratio is between 0 and 1",
            "Kafka's default is 0.5",
        ));
    }
    if log.retention_ticks == Some(0) {
        return Err(invalid(
            "retention.ms of 0 would delete everything at once",
            "use a positive number, or none to keep forever",
        ));
    }
    Ok(())
}

fn check_producer_config(config: &ProducerConfig) -> Result<(), BrokerRejection> {
    if config.idempotence && config.acks != super::producer::Acks::All {
        return Err(invalid(
            "enable.idempotence requires acks=all (Kafka refuses this configuration)",
            "turn idempotence off to use acks=0 or acks=1",
        ));
    }
    if config.batch_size_bytes == 0 || config.batch_size_bytes > 1 << 20 {
        return Err(invalid(
            "batch.size must be between 1 byte and 1 MiB",
            "Kafka's default is 16384",
        ));
    }
    if config.max_in_flight == 0 || (config.idempotence && config.max_in_flight > 5) {
        return Err(invalid(
            "max.in.flight.requests.per.connection must be 1 to 5 with idempotence, and at least 1",
            "Kafka's default is 5",
        ));
    }
    if config.network_fault_permille > 1000 || config.retries > 100 || config.linger_ticks > 10_000
    {
        return Err(invalid(
            "a producer setting is out of range",
            "faults 0-100%, retries up to 100, linger up to 10000 ticks",
        ));
    }
    Ok(())
}

fn check_consumer_config(config: &ConsumerConfig) -> Result<(), BrokerRejection> {
    if config.max_poll_records == 0 || config.max_poll_records > 10_000 {
        return Err(invalid(
            "max.poll.records must be 1 to 10000",
            "Kafka's default is 500",
        ));
    }
    if config.poll_interval_ticks == 0 || config.session_timeout_ticks == 0 {
        return Err(invalid(
            "poll interval and session timeout must be at least 1 tick",
            "try 1 and 30",
        ));
    }
    if matches!(
        config.commit,
        group::CommitPolicy::Auto { interval_ticks: 0 }
    ) {
        return Err(invalid(
            "auto.commit.interval must be at least 1 tick",
            "Kafka's default is 5 s",
        ));
    }
    Ok(())
}
