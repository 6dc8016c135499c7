//! The cluster: brokers, topics, producers, consumer groups and consumers, driven by
//! [`BrokerCommand`]s and by time ([`Cluster::tick`]). It owns the network between clients and
//! brokers (where the lab's faults live), the broker side of the idempotent producer, periodic
//! retention and compaction, and a history of every send and delivery for the checks of spec
//! §4.2 ([`Cluster::history_report`]).

use super::assignor::Strategy;
use super::group::{self, ConsumerConfig, ConsumerGroup, ConsumerId, GroupEvent, TopicPartition};
use super::log::{LogError, NewRecord, Offset, ProducerStamp};
use super::producer::{Producer, ProducerBatch, ProducerConfig, ProducerId};
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
}

/// How a send ended, from the producer's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    Pending,
    Acked,
    Failed,
    /// Sent with acks=0: no response ever comes, so the producer never knows.
    Unconfirmed,
}

/// One record a producer was asked to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Send {
    pub producer: ProducerId,
    /// Shared by the records of one batch (this is on the per-record path).
    pub tp: std::rc::Rc<TopicPartition>,
    pub outcome: SendOutcome,
    first_offset: Option<Offset>,
    /// Further offsets the same record was written at: duplicates.
    more_offsets: Vec<Offset>,
}

impl Send {
    /// Every offset this record was written at (more than one is a duplicate).
    pub fn offsets(&self) -> impl Iterator<Item = Offset> + '_ {
        self.first_offset
            .into_iter()
            .chain(self.more_offsets.iter().copied())
    }

    fn written_at(&mut self, offset: Offset) {
        match self.first_offset {
            None => self.first_offset = Some(offset),
            Some(_) => self.more_offsets.push(offset),
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

/// A broker's state (liveness and faults arrive with issue 4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub id: BrokerId,
}

/// The whole cluster and its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub brokers: Vec<Broker>,
    pub topics: BTreeMap<String, Topic>,
    pub producers: BTreeMap<ProducerId, Producer>,
    pub groups: BTreeMap<String, ConsumerGroup>,
    pub consumers: BTreeMap<ConsumerId, Consumer>,
    /// The idempotent producer's state on each partition leader: next expected sequence.
    sequences: BTreeMap<(TopicPartition, ProducerId), u32>,
    pub sends: Vec<Send>,
    /// Producers sending steadily.
    pub rates: BTreeMap<ProducerId, ProducerRate>,
    /// Recent lag samples, oldest first, at most [`LAG_HISTORY_TICKS_MAX`].
    pub lag_history: std::collections::VecDeque<LagSample>,
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
        Cluster {
            brokers: (1..=brokers)
                .map(|id| Broker { id: BrokerId(id) })
                .collect(),
            topics: BTreeMap::new(),
            producers: BTreeMap::new(),
            groups: BTreeMap::new(),
            consumers: BTreeMap::new(),
            sequences: BTreeMap::new(),
            sends: Vec::new(),
            rates: BTreeMap::new(),
            lag_history: std::collections::VecDeque::new(),
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
                check_settings(settings)
            }
            BrokerCommand::SetTopicSettings { topic, settings } => {
                self.topic(topic)?;
                check_settings(settings)
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
        match command {
            BrokerCommand::CreateTopic {
                name,
                partitions,
                settings,
            } => {
                let ids: Vec<BrokerId> = self.brokers.iter().map(|b| b.id).collect();
                let first = self.rng.below(ids.len() as u64) as usize;
                self.topics.insert(
                    name.clone(),
                    Topic::new(name, *partitions, *settings, &ids, first),
                );
                events.push(BrokerEvent::TopicCreated {
                    topic: name.clone(),
                    partitions: *partitions,
                });
            }
            BrokerCommand::SetTopicSettings { topic, settings } => {
                let t = self.topics.get_mut(topic).expect("validated");
                t.settings = *settings;
                for partition in &mut t.partitions {
                    for log in partition.logs.values_mut() {
                        log.set_config(settings.log);
                    }
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
                self.brokers.push(Broker { id });
                events.push(BrokerEvent::BrokerAdded { broker: id });
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
        }
        events.extend(group_events.into_iter().map(BrokerEvent::Group));
        Ok(events)
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
                first_offset: None,
                more_offsets: Vec::new(),
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
        let fire_and_forget = producer.config.acks == super::producer::Acks::Zero;
        let (request_lost, lost_response) = producer.roll_network_fault();
        // acks=0 expects no response, so there is none to lose, and nothing is ever retried.
        let response_lost = lost_response && !fire_and_forget;
        if request_lost {
            events.push(BrokerEvent::RequestLost { producer: id, tp });
            if fire_and_forget {
                for send_id in &batch.send_ids {
                    self.sends[*send_id as usize].outcome = SendOutcome::Unconfirmed;
                }
            } else {
                self.retry_or_fail(id, batch, now, "the request was lost", events);
            }
            return;
        }
        // The broker side.
        let idempotent = batch.base_sequence.map(|seq| {
            (
                seq,
                self.sequences.get(&(tp.clone(), id)).copied().unwrap_or(0),
            )
        });
        let stored = match idempotent {
            Some((seq, expected)) if seq < expected => {
                events.push(BrokerEvent::DuplicateDiscarded {
                    producer: id,
                    tp: tp.clone(),
                    count: batch.records.len(),
                });
                true
            }
            Some((seq, expected)) if seq > expected => {
                events.push(BrokerEvent::OutOfOrderRejected {
                    producer: id,
                    tp: tp.clone(),
                });
                self.retry_or_fail(id, batch, now, "out of order sequence", events);
                return;
            }
            _ => {
                let topic = self
                    .topics
                    .get_mut(&batch.topic)
                    .expect("topics are never deleted");
                let log_append_time = topic.settings.timestamp_type == TimestampType::LogAppendTime;
                let partition = &mut topic.partitions[batch.partition.0 as usize];
                let leader_epoch = partition.leader_epoch;
                if partition.leader.is_none() {
                    self.retry_or_fail(id, batch, now, "the partition has no leader", events);
                    return;
                }
                // The records move into the log, unless the producer will have to retry them.
                let count = batch.records.len();
                let owned = if response_lost {
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
                    producer_id: u64::from(id.0),
                    base_sequence,
                });
                let log = partition
                    .leader_log_mut()
                    .expect("checked above: the partition has a leader");
                // compression.type=producer keeps the producer's codec; any other value makes the
                // broker recompress the batch.
                let codec = topic
                    .settings
                    .compression
                    .unwrap_or(self.producers[&id].config.compression);
                let encoded = super::compression::encoded_len(codec, &records);
                match log.append_encoded(records, now, leader_epoch, stamp, Some(encoded)) {
                    Ok((base, _)) => {
                        partition.hw = log.leo();
                        for (i, send_id) in batch.send_ids.iter().enumerate() {
                            self.sends[*send_id as usize].written_at(Offset(base.0 + i as u64));
                        }
                        if let Some(seq) = batch.base_sequence {
                            self.sequences.insert((tp.clone(), id), seq + count as u32);
                        }
                        events.push(BrokerEvent::Appended {
                            producer: id,
                            tp: tp.clone(),
                            base_offset: base,
                            count,
                            retry,
                        });
                        true
                    }
                    Err(e) => {
                        let reason = e.to_string();
                        self.fail(id, &batch, &reason, events);
                        return;
                    }
                }
            }
        };
        if stored && response_lost {
            events.push(BrokerEvent::ResponseLost { producer: id, tp });
            self.retry_or_fail(id, batch, now, "the response was lost", events);
            return;
        }
        if fire_and_forget {
            for send_id in &batch.send_ids {
                self.sends[*send_id as usize].outcome = SendOutcome::Unconfirmed;
            }
            return;
        }
        let producer = self.producers.get_mut(&id).expect("exists");
        producer.acked_records += batch.send_ids.len() as u64;
        for send_id in &batch.send_ids {
            self.sends[*send_id as usize].outcome = SendOutcome::Acked;
        }
    }

    fn retry_or_fail(
        &mut self,
        id: ProducerId,
        batch: ProducerBatch,
        now: Tick,
        reason: &str,
        events: &mut Vec<BrokerEvent>,
    ) {
        let producer = self.producers.get_mut(&id).expect("exists");
        if let Err(batch) = producer.retry_later(batch, now) {
            self.fail(
                id,
                &batch,
                &format!("{reason}, and the retries ran out"),
                events,
            );
        }
    }

    fn fail(
        &mut self,
        id: ProducerId,
        batch: &ProducerBatch,
        reason: &str,
        events: &mut Vec<BrokerEvent>,
    ) {
        for send_id in &batch.send_ids {
            self.sends[*send_id as usize].outcome = SendOutcome::Failed;
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
        let mut group_events = Vec::new();
        for g in self.groups.values_mut() {
            group::tick(g, &mut self.consumers, &self.topics, now, &mut group_events);
        }
        events.extend(group_events.into_iter().map(BrokerEvent::Group));
        self.sample_lag(now);
        if now.0.is_multiple_of(RETENTION_CHECK_TICKS)
            || now.0.is_multiple_of(CLEANER_INTERVAL_TICKS)
        {
            for topic in self.topics.values_mut() {
                for partition in &mut topic.partitions {
                    let hw = partition.hw;
                    let tp = TopicPartition {
                        topic: topic.name.clone(),
                        partition: partition.id,
                    };
                    let Some(log) = partition.leader_log_mut() else {
                        continue;
                    };
                    if now.0.is_multiple_of(CLEANER_INTERVAL_TICKS) {
                        if let Some(c) = log.compact(now, hw) {
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
                        if r.deleted_segments > 0 {
                            events.push(BrokerEvent::SegmentsDeleted {
                                tp,
                                segments: r.deleted_segments,
                                records: r.deleted_records,
                                log_start: r.new_log_start,
                            });
                        }
                    }
                }
            }
        }
        events
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
                .filter(|s| s.outcome == SendOutcome::Unconfirmed && s.first_offset.is_none())
                .count(),
            ..HistoryReport::default()
        };
        for (id, send) in self.sends.iter().enumerate() {
            if send.offsets().nth(1).is_some() {
                report.duplicates.push(id as u64);
            }
        }
        let mut last_offset: BTreeMap<(ProducerId, &TopicPartition), Offset> = BTreeMap::new();
        for send in &self.sends {
            if let Some(first) = send.first_offset {
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
                if let Some(log) = p.leader_log() {
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
            hasher.u64(s.first_offset.map_or(u64::MAX, |o| o.0));
        }
        for p in self.producers.values() {
            hasher.u64(p.acked_records);
            hasher.u64(p.pending_records() as u64);
        }
    }

    /// Names of every group, for views.
    pub fn group_names(&self) -> BTreeSet<&str> {
        self.groups.keys().map(String::as_str).collect()
    }
}

fn check_settings(settings: &TopicSettings) -> Result<(), BrokerRejection> {
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
