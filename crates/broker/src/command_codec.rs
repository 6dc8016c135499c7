//! The byte layout of [`BrokerCommand`]s inside a journal (and so inside share links). Like
//! the rest of the journal it is written out field by field, versioned by the share-link prefix,
//! and only ever extended: new commands take new tags.

use super::assignor::Strategy;
use super::cluster::{BrokerCommand, RAW_VALUE_LEN_MAX, TEXT_FIELD_LEN_MAX};
use super::compression::Codec;
use super::controller::ControllerId;
use super::group::{
    CommitPolicy, ConsumerConfig, ConsumerId, GroupProtocol, OffsetReset,
    MAX_POLL_INTERVAL_TICKS_DEFAULT,
};
use super::log::{IsolationLevel, LogConfig, Offset};
use super::node::{ClusterSettings, Link};
use super::producer::{Acks, NullKeyPartitioner, ProducerConfig, ProducerId};
use super::topic::{TimestampType, TopicSettings};
use super::transaction::TRANSACTIONAL_ID_LEN_MAX;
use super::BrokerId;
use super::PartitionId;
use sim::codec::{DecodeError, Reader, Writer};

const NAME_LEN_MAX: usize = 64;

fn opt_u64(w: &mut Writer, value: Option<u64>) {
    w.varint(value.map_or(0, |v| v.saturating_add(1)));
}

fn read_opt_u64(r: &mut Reader<'_>) -> Result<Option<u64>, DecodeError> {
    Ok(r.varint()?.checked_sub(1))
}

fn opt_str(w: &mut Writer, value: &Option<String>) {
    match value {
        None => w.u8(0),
        Some(s) => {
            w.u8(1);
            w.str(s);
        }
    }
}

fn read_opt_str(r: &mut Reader<'_>, max: usize) -> Result<Option<String>, DecodeError> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(r.str(max)?)),
        _ => Err(DecodeError::Invalid("optional text")),
    }
}

fn flag(r: &mut Reader<'_>) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::Invalid("flag")),
    }
}

fn small<T: TryFrom<u64>>(r: &mut Reader<'_>, what: &'static str) -> Result<T, DecodeError> {
    T::try_from(r.varint()?).map_err(|_| DecodeError::Invalid(what))
}

fn settings(w: &mut Writer, s: &TopicSettings) {
    let l = &s.log;
    w.varint(l.segment_bytes);
    w.varint(l.segment_ticks);
    opt_u64(w, l.retention_ticks);
    opt_u64(w, l.retention_bytes);
    w.u8(u8::from(l.cleanup_delete));
    w.u8(u8::from(l.cleanup_compact));
    w.varint(u64::from(l.min_cleanable_dirty_ratio_permille));
    w.varint(l.delete_retention_ticks);
    w.varint(l.min_compaction_lag_ticks);
    opt_u64(w, l.max_compaction_lag_ticks);
    w.u8(match s.timestamp_type {
        TimestampType::CreateTime => 0,
        TimestampType::LogAppendTime => 1,
    });
    w.u8(s.compression.map_or(0, |c| c.tag() + 1));
    w.u8(s.replication_factor);
    w.u8(s.min_insync_replicas);
    w.u8(u8::from(s.unclean_leader_election));
}

fn cluster_settings(w: &mut Writer, s: &ClusterSettings) {
    w.varint(s.replica_lag_max_ticks);
    w.varint(s.session_timeout_ticks);
    w.varint(s.heartbeat_interval_ticks);
    w.varint(s.request_timeout_ticks);
    w.varint(u64::from(s.fetch_max_records));
    w.u8(u8::from(s.auto_leader_rebalance));
    w.varint(s.leader_imbalance_check_ticks);
}

fn read_cluster_settings(r: &mut Reader<'_>) -> Result<ClusterSettings, DecodeError> {
    Ok(ClusterSettings {
        replica_lag_max_ticks: r.varint()?,
        session_timeout_ticks: r.varint()?,
        heartbeat_interval_ticks: r.varint()?,
        request_timeout_ticks: r.varint()?,
        fetch_max_records: small(r, "fetch size")?,
        auto_leader_rebalance: flag(r)?,
        leader_imbalance_check_ticks: r.varint()?,
    })
}

fn read_settings(r: &mut Reader<'_>) -> Result<TopicSettings, DecodeError> {
    let log = LogConfig {
        segment_bytes: r.varint()?,
        segment_ticks: r.varint()?,
        retention_ticks: read_opt_u64(r)?,
        retention_bytes: read_opt_u64(r)?,
        cleanup_delete: flag(r)?,
        cleanup_compact: flag(r)?,
        min_cleanable_dirty_ratio_permille: small(r, "dirty ratio")?,
        delete_retention_ticks: r.varint()?,
        min_compaction_lag_ticks: r.varint()?,
        max_compaction_lag_ticks: read_opt_u64(r)?,
    };
    let timestamp_type = match r.u8()? {
        0 => TimestampType::CreateTime,
        1 => TimestampType::LogAppendTime,
        _ => return Err(DecodeError::Invalid("timestamp type")),
    };
    let compression = match r.u8()? {
        0 => None,
        tag => Some(Codec::from_tag(tag - 1).ok_or(DecodeError::Invalid("topic compression"))?),
    };
    Ok(TopicSettings {
        log,
        timestamp_type,
        compression,
        replication_factor: r.u8()?,
        min_insync_replicas: r.u8()?,
        unclean_leader_election: flag(r)?,
    })
}

fn producer_config(w: &mut Writer, c: &ProducerConfig) {
    w.u8(match c.null_key_partitioner {
        NullKeyPartitioner::Sticky => 0,
        NullKeyPartitioner::RoundRobin => 1,
    });
    w.varint(c.batch_size_bytes);
    w.varint(c.linger_ticks);
    w.u8(u8::from(c.idempotence));
    w.varint(u64::from(c.retries));
    w.varint(c.retry_backoff_ticks);
    w.varint(u64::from(c.max_in_flight));
    w.varint(u64::from(c.network_fault_permille));
    w.u8(c.compression.tag());
    w.u8(match c.acks {
        Acks::Zero => 0,
        Acks::One => 1,
        Acks::All => 2,
    });
}

fn read_producer_config(r: &mut Reader<'_>) -> Result<ProducerConfig, DecodeError> {
    Ok(ProducerConfig {
        null_key_partitioner: match r.u8()? {
            0 => NullKeyPartitioner::Sticky,
            1 => NullKeyPartitioner::RoundRobin,
            _ => return Err(DecodeError::Invalid("partitioner")),
        },
        batch_size_bytes: r.varint()?,
        linger_ticks: r.varint()?,
        idempotence: flag(r)?,
        retries: small(r, "retries")?,
        retry_backoff_ticks: r.varint()?,
        max_in_flight: small(r, "max in flight")?,
        network_fault_permille: small(r, "fault rate")?,
        compression: Codec::from_tag(r.u8()?).ok_or(DecodeError::Invalid("compression"))?,
        acks: match r.u8()? {
            0 => Acks::Zero,
            1 => Acks::One,
            2 => Acks::All,
            _ => return Err(DecodeError::Invalid("acks")),
        },
    })
}

fn consumer_config(w: &mut Writer, c: &ConsumerConfig) {
    w.u8(match c.auto_offset_reset {
        OffsetReset::Earliest => 0,
        OffsetReset::Latest => 1,
        OffsetReset::None => 2,
    });
    match c.commit {
        CommitPolicy::Auto { interval_ticks } => {
            w.u8(0);
            w.varint(interval_ticks);
        }
        CommitPolicy::AfterProcessing => w.u8(1),
        CommitPolicy::BeforeProcessing => w.u8(2),
        CommitPolicy::Manual => w.u8(3),
    }
    w.varint(u64::from(c.max_poll_records));
    w.varint(c.poll_interval_ticks);
    w.varint(c.processing_ticks);
    w.varint(c.session_timeout_ticks);
}

fn read_consumer_config(r: &mut Reader<'_>) -> Result<ConsumerConfig, DecodeError> {
    let auto_offset_reset = match r.u8()? {
        0 => OffsetReset::Earliest,
        1 => OffsetReset::Latest,
        2 => OffsetReset::None,
        _ => return Err(DecodeError::Invalid("offset reset")),
    };
    let commit = match r.u8()? {
        0 => CommitPolicy::Auto {
            interval_ticks: r.varint()?,
        },
        1 => CommitPolicy::AfterProcessing,
        2 => CommitPolicy::BeforeProcessing,
        3 => CommitPolicy::Manual,
        _ => return Err(DecodeError::Invalid("commit policy")),
    };
    Ok(ConsumerConfig {
        auto_offset_reset,
        commit,
        max_poll_records: small(r, "max poll records")?,
        poll_interval_ticks: r.varint()?,
        processing_ticks: r.varint()?,
        session_timeout_ticks: r.varint()?,
        isolation: IsolationLevel::ReadUncommitted,
        max_poll_interval_ticks: MAX_POLL_INTERVAL_TICKS_DEFAULT,
        protocol: GroupProtocol::Classic,
    })
}

/// The liveness fields (tags 60 and 61: after the extended encoding of tags 46 and 47):
/// `max.poll.interval.ms` and `group.protocol`.
fn consumer_config_liveness(w: &mut Writer, c: &ConsumerConfig) {
    w.varint(c.max_poll_interval_ticks);
    w.u8(match c.protocol {
        GroupProtocol::Classic => 0,
        GroupProtocol::Consumer => 1,
    });
}

fn read_consumer_config_liveness(r: &mut Reader<'_>) -> Result<ConsumerConfig, DecodeError> {
    let config = read_consumer_config_extended(r)?;
    let max_poll_interval_ticks = r.varint()?;
    let protocol = match r.u8()? {
        0 => GroupProtocol::Classic,
        1 => GroupProtocol::Consumer,
        _ => return Err(DecodeError::Invalid("group protocol")),
    };
    Ok(ConsumerConfig {
        max_poll_interval_ticks,
        protocol,
        ..config
    })
}

/// Whether a consumer config needs the extended encoding (tags 46 and 47): fields added after
/// the first journal format, away from their defaults. Old configs keep their old bytes.
fn consumer_config_extended(c: &ConsumerConfig) -> bool {
    c.isolation != IsolationLevel::ReadUncommitted
}

/// The fields the extended encoding adds after [`consumer_config`].
fn consumer_config_extension(w: &mut Writer, c: &ConsumerConfig) {
    w.u8(match c.isolation {
        IsolationLevel::ReadUncommitted => 0,
        IsolationLevel::ReadCommitted => 1,
    });
}

fn read_consumer_config_extended(r: &mut Reader<'_>) -> Result<ConsumerConfig, DecodeError> {
    let config = read_consumer_config(r)?;
    let isolation = match r.u8()? {
        0 => IsolationLevel::ReadUncommitted,
        1 => IsolationLevel::ReadCommitted,
        _ => return Err(DecodeError::Invalid("isolation level")),
    };
    Ok(ConsumerConfig {
        isolation,
        ..config
    })
}

fn strategy_tag(s: Strategy) -> u8 {
    match s {
        Strategy::Range => 0,
        Strategy::RoundRobin => 1,
        Strategy::Sticky => 2,
        Strategy::CooperativeSticky => 3,
    }
}

/// Writes a broker command.
pub fn encode(w: &mut Writer, command: &BrokerCommand) {
    match command {
        BrokerCommand::CreateTopic {
            name,
            partitions,
            settings: s,
        } => {
            w.u8(0);
            w.str(name);
            w.varint(u64::from(*partitions));
            settings(w, s);
        }
        BrokerCommand::SetTopicSettings { topic, settings: s } => {
            w.u8(1);
            w.str(topic);
            settings(w, s);
        }
        BrokerCommand::AddProducer { config } => {
            w.u8(2);
            producer_config(w, config);
        }
        BrokerCommand::SetProducerConfig { producer, config } => {
            w.u8(3);
            w.varint(u64::from(producer.0));
            producer_config(w, config);
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
            w.u8(4);
            w.varint(u64::from(producer.0));
            w.str(topic);
            opt_u64(w, partition.map(|p| u64::from(p.0)));
            opt_str(w, key);
            opt_str(w, value);
            w.varint(u64::from(*count));
            opt_str(w, &header.as_ref().map(|(n, _)| n.clone()));
            if let Some((_, v)) = header {
                w.str(v);
            }
        }
        BrokerCommand::SetProducerRate {
            producer,
            topic,
            key,
            value,
            records_per_tick,
        } => {
            w.u8(13);
            w.varint(u64::from(producer.0));
            w.str(topic);
            opt_str(w, key);
            opt_str(w, value);
            w.varint(u64::from(*records_per_tick));
        }
        BrokerCommand::AddBroker => w.u8(14),
        BrokerCommand::ResetGroupOffsets { group, to_earliest } => {
            w.u8(15);
            w.str(group);
            w.u8(u8::from(*to_earliest));
        }
        BrokerCommand::AddConsumer {
            group,
            topics,
            instance_id,
            config,
        } => {
            let liveness = !config.liveness_is_default();
            let extended = consumer_config_extended(config) || liveness;
            w.u8(match (liveness, extended) {
                (true, _) => 60,
                (false, true) => 46,
                (false, false) => 5,
            });
            w.str(group);
            w.varint(topics.len() as u64);
            for t in topics {
                w.str(t);
            }
            opt_str(w, instance_id);
            consumer_config(w, config);
            if extended {
                consumer_config_extension(w, config);
            }
            if liveness {
                consumer_config_liveness(w, config);
            }
        }
        BrokerCommand::SetConsumerConfig { consumer, config } => {
            let liveness = !config.liveness_is_default();
            let extended = consumer_config_extended(config) || liveness;
            w.u8(match (liveness, extended) {
                (true, _) => 61,
                (false, true) => 47,
                (false, false) => 6,
            });
            w.varint(u64::from(consumer.0));
            consumer_config(w, config);
            if extended {
                consumer_config_extension(w, config);
            }
            if liveness {
                consumer_config_liveness(w, config);
            }
        }
        BrokerCommand::CloseConsumer { consumer } => {
            w.u8(7);
            w.varint(u64::from(consumer.0));
        }
        BrokerCommand::CrashConsumer { consumer } => {
            w.u8(8);
            w.varint(u64::from(consumer.0));
        }
        BrokerCommand::RestartConsumer { consumer } => {
            w.u8(9);
            w.varint(u64::from(consumer.0));
        }
        BrokerCommand::CommitConsumer {
            consumer,
            asynchronous,
        } => {
            w.u8(10);
            w.varint(u64::from(consumer.0));
            w.u8(u8::from(*asynchronous));
        }
        BrokerCommand::SeekConsumer {
            consumer,
            topic,
            partition,
            offset,
        } => {
            w.u8(11);
            w.varint(u64::from(consumer.0));
            w.str(topic);
            w.varint(u64::from(partition.0));
            w.varint(offset.0);
        }
        BrokerCommand::SetGroupStrategy { group, strategy } => {
            w.u8(12);
            w.str(group);
            w.u8(strategy_tag(*strategy));
        }
        BrokerCommand::KillBroker { broker } => {
            w.u8(16);
            w.u8(broker.0);
        }
        BrokerCommand::RestartBroker { broker } => {
            w.u8(17);
            w.u8(broker.0);
        }
        BrokerCommand::ShutdownBroker { broker } => {
            w.u8(18);
            w.u8(broker.0);
        }
        BrokerCommand::SlowBroker {
            broker,
            fetch_every_ticks,
        } => {
            w.u8(19);
            w.u8(broker.0);
            w.u8(*fetch_every_ticks);
        }
        BrokerCommand::CutLink { broker, link, cut } => {
            w.u8(20);
            w.u8(broker.0);
            w.u8(*link as u8);
            w.u8(u8::from(*cut));
        }
        BrokerCommand::HealBroker { broker } => {
            w.u8(21);
            w.u8(broker.0);
        }
        BrokerCommand::KillController { controller } => {
            w.u8(22);
            w.u8(controller.0);
        }
        BrokerCommand::RestartController { controller } => {
            w.u8(23);
            w.u8(controller.0);
        }
        BrokerCommand::ElectPreferredLeaders => w.u8(24),
        BrokerCommand::SetClusterSettings { settings } => {
            w.u8(25);
            cluster_settings(w, settings);
        }
        BrokerCommand::AlterTopicConfig {
            topic,
            min_insync_replicas,
            unclean_leader_election,
        } => {
            w.u8(26);
            w.str(topic);
            opt_u64(w, min_insync_replicas.map(u64::from));
            w.u8(unclean_leader_election.map_or(0, |on| u8::from(on) + 1));
        }
        BrokerCommand::InitTransactions {
            producer,
            transactional_id,
            timeout_ticks,
        } => {
            w.u8(40);
            w.varint(u64::from(producer.0));
            w.str(transactional_id);
            w.varint(*timeout_ticks);
        }
        BrokerCommand::BeginTransaction { producer } => {
            w.u8(41);
            w.varint(u64::from(producer.0));
        }
        BrokerCommand::CommitTransaction { producer } => {
            w.u8(42);
            w.varint(u64::from(producer.0));
        }
        BrokerCommand::AbortTransaction { producer } => {
            w.u8(43);
            w.varint(u64::from(producer.0));
        }
        BrokerCommand::SendOffsetsToTransaction { producer, consumer } => {
            w.u8(44);
            w.varint(u64::from(producer.0));
            w.varint(u64::from(consumer.0));
        }
        BrokerCommand::ProcessInTransaction {
            producer,
            consumer,
            topic,
        } => {
            w.u8(45);
            w.varint(u64::from(producer.0));
            w.varint(u64::from(consumer.0));
            w.str(topic);
        }
        BrokerCommand::ProduceBytes {
            producer,
            topic,
            key,
            value,
        } => {
            w.u8(80);
            w.varint(u64::from(producer.0));
            w.str(topic);
            opt_str(w, key);
            w.varint(value.len() as u64);
            for byte in value {
                w.u8(*byte);
            }
        }
    }
}

/// Reads a broker command written by [`encode`].
pub fn decode(r: &mut Reader<'_>) -> Result<BrokerCommand, DecodeError> {
    let consumer = |r: &mut Reader<'_>| -> Result<ConsumerId, DecodeError> {
        Ok(ConsumerId(small(r, "consumer id")?))
    };
    let producer = |r: &mut Reader<'_>| -> Result<ProducerId, DecodeError> {
        Ok(ProducerId(small(r, "producer id")?))
    };
    Ok(match r.u8()? {
        0 => BrokerCommand::CreateTopic {
            name: r.str(NAME_LEN_MAX)?,
            partitions: small(r, "partition count")?,
            settings: read_settings(r)?,
        },
        1 => BrokerCommand::SetTopicSettings {
            topic: r.str(NAME_LEN_MAX)?,
            settings: read_settings(r)?,
        },
        2 => BrokerCommand::AddProducer {
            config: read_producer_config(r)?,
        },
        3 => BrokerCommand::SetProducerConfig {
            producer: ProducerId(small(r, "producer id")?),
            config: read_producer_config(r)?,
        },
        4 => BrokerCommand::Produce {
            producer: ProducerId(small(r, "producer id")?),
            topic: r.str(NAME_LEN_MAX)?,
            partition: read_opt_u64(r)?
                .map(|p| u32::try_from(p).map(PartitionId))
                .transpose()
                .map_err(|_| DecodeError::Invalid("partition"))?,
            key: read_opt_str(r, TEXT_FIELD_LEN_MAX * 4)?,
            value: read_opt_str(r, TEXT_FIELD_LEN_MAX * 4)?,
            count: small(r, "record count")?,
            header: match read_opt_str(r, TEXT_FIELD_LEN_MAX * 4)? {
                Some(name) => Some((name, r.str(TEXT_FIELD_LEN_MAX * 4)?)),
                None => None,
            },
        },
        13 => BrokerCommand::SetProducerRate {
            producer: ProducerId(small(r, "producer id")?),
            topic: r.str(NAME_LEN_MAX)?,
            key: read_opt_str(r, TEXT_FIELD_LEN_MAX * 4)?,
            value: read_opt_str(r, TEXT_FIELD_LEN_MAX * 4)?,
            records_per_tick: small(r, "rate")?,
        },
        14 => BrokerCommand::AddBroker,
        15 => BrokerCommand::ResetGroupOffsets {
            group: r.str(NAME_LEN_MAX)?,
            to_earliest: flag(r)?,
        },
        tag @ (5 | 46 | 60) => {
            let group = r.str(NAME_LEN_MAX)?;
            let n = r.varint_at_most(64, "topic count")? as usize;
            let topics = (0..n)
                .map(|_| r.str(NAME_LEN_MAX))
                .collect::<Result<Vec<_>, _>>()?;
            let instance_id = read_opt_str(r, NAME_LEN_MAX)?;
            let config = match tag {
                60 => read_consumer_config_liveness(r)?,
                46 => read_consumer_config_extended(r)?,
                _ => read_consumer_config(r)?,
            };
            BrokerCommand::AddConsumer {
                group,
                topics,
                instance_id,
                config,
            }
        }
        6 => BrokerCommand::SetConsumerConfig {
            consumer: consumer(r)?,
            config: read_consumer_config(r)?,
        },
        47 => BrokerCommand::SetConsumerConfig {
            consumer: consumer(r)?,
            config: read_consumer_config_extended(r)?,
        },
        61 => BrokerCommand::SetConsumerConfig {
            consumer: consumer(r)?,
            config: read_consumer_config_liveness(r)?,
        },
        40 => BrokerCommand::InitTransactions {
            producer: producer(r)?,
            transactional_id: r.str(TRANSACTIONAL_ID_LEN_MAX)?,
            timeout_ticks: r.varint()?,
        },
        41 => BrokerCommand::BeginTransaction {
            producer: producer(r)?,
        },
        42 => BrokerCommand::CommitTransaction {
            producer: producer(r)?,
        },
        43 => BrokerCommand::AbortTransaction {
            producer: producer(r)?,
        },
        44 => BrokerCommand::SendOffsetsToTransaction {
            producer: producer(r)?,
            consumer: consumer(r)?,
        },
        45 => BrokerCommand::ProcessInTransaction {
            producer: producer(r)?,
            consumer: consumer(r)?,
            topic: r.str(NAME_LEN_MAX)?,
        },
        7 => BrokerCommand::CloseConsumer {
            consumer: consumer(r)?,
        },
        8 => BrokerCommand::CrashConsumer {
            consumer: consumer(r)?,
        },
        9 => BrokerCommand::RestartConsumer {
            consumer: consumer(r)?,
        },
        10 => BrokerCommand::CommitConsumer {
            consumer: consumer(r)?,
            asynchronous: flag(r)?,
        },
        11 => BrokerCommand::SeekConsumer {
            consumer: consumer(r)?,
            topic: r.str(NAME_LEN_MAX)?,
            partition: PartitionId(small(r, "partition")?),
            offset: Offset(r.varint()?),
        },
        12 => BrokerCommand::SetGroupStrategy {
            group: r.str(NAME_LEN_MAX)?,
            strategy: match r.u8()? {
                0 => Strategy::Range,
                1 => Strategy::RoundRobin,
                2 => Strategy::Sticky,
                3 => Strategy::CooperativeSticky,
                _ => return Err(DecodeError::Invalid("assignor")),
            },
        },
        16 => BrokerCommand::KillBroker {
            broker: BrokerId(r.u8()?),
        },
        17 => BrokerCommand::RestartBroker {
            broker: BrokerId(r.u8()?),
        },
        18 => BrokerCommand::ShutdownBroker {
            broker: BrokerId(r.u8()?),
        },
        19 => BrokerCommand::SlowBroker {
            broker: BrokerId(r.u8()?),
            fetch_every_ticks: r.u8()?,
        },
        20 => BrokerCommand::CutLink {
            broker: BrokerId(r.u8()?),
            link: *Link::ALL
                .get(usize::from(r.u8()?))
                .ok_or(DecodeError::Invalid("network link"))?,
            cut: flag(r)?,
        },
        21 => BrokerCommand::HealBroker {
            broker: BrokerId(r.u8()?),
        },
        22 => BrokerCommand::KillController {
            controller: ControllerId(r.u8()?),
        },
        23 => BrokerCommand::RestartController {
            controller: ControllerId(r.u8()?),
        },
        24 => BrokerCommand::ElectPreferredLeaders,
        25 => BrokerCommand::SetClusterSettings {
            settings: read_cluster_settings(r)?,
        },
        26 => BrokerCommand::AlterTopicConfig {
            topic: r.str(NAME_LEN_MAX)?,
            min_insync_replicas: read_opt_u64(r)?
                .map(|n| u8::try_from(n).map_err(|_| DecodeError::Invalid("min.insync.replicas")))
                .transpose()?,
            unclean_leader_election: match r.u8()? {
                0 => None,
                1 => Some(false),
                2 => Some(true),
                _ => return Err(DecodeError::Invalid("unclean election flag")),
            },
        },
        80 => BrokerCommand::ProduceBytes {
            producer: ProducerId(small(r, "producer id")?),
            topic: r.str(NAME_LEN_MAX)?,
            key: read_opt_str(r, TEXT_FIELD_LEN_MAX * 4)?,
            value: {
                let len = r.varint_at_most(RAW_VALUE_LEN_MAX as u64, "value length")?;
                (0..len).map(|_| r.u8()).collect::<Result<_, _>>()?
            },
        },
        _ => return Err(DecodeError::Invalid("broker command")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_round_trips() {
        let log = LogConfig {
            retention_bytes: Some(1000),
            max_compaction_lag_ticks: Some(5),
            cleanup_compact: true,
            ..LogConfig::default()
        };
        let commands = vec![
            BrokerCommand::ProduceBytes {
                producer: ProducerId(2),
                topic: "t".into(),
                key: None,
                value: vec![0, 0, 0, 0, 42, 0x36],
            },
            BrokerCommand::CreateTopic {
                name: "t".into(),
                partitions: 6,
                settings: TopicSettings {
                    log,
                    timestamp_type: TimestampType::LogAppendTime,
                    compression: Some(Codec::Lz4),
                    replication_factor: 3,
                    min_insync_replicas: 2,
                    unclean_leader_election: true,
                },
            },
            BrokerCommand::SetTopicSettings {
                topic: "t".into(),
                settings: TopicSettings::default(),
            },
            BrokerCommand::AddProducer {
                config: ProducerConfig {
                    null_key_partitioner: NullKeyPartitioner::RoundRobin,
                    ..ProducerConfig::default()
                },
            },
            BrokerCommand::SetProducerConfig {
                producer: ProducerId(2),
                config: ProducerConfig {
                    idempotence: false,
                    network_fault_permille: 250,
                    ..ProducerConfig::default()
                },
            },
            BrokerCommand::Produce {
                producer: ProducerId(1),
                topic: "t".into(),
                partition: Some(PartitionId(3)),
                key: None,
                value: Some("v{n}".into()),
                count: 7,
                header: None,
            },
            BrokerCommand::AddConsumer {
                group: "g".into(),
                topics: vec!["t".into(), "u".into()],
                instance_id: Some("c-1".into()),
                config: ConsumerConfig {
                    commit: CommitPolicy::BeforeProcessing,
                    ..ConsumerConfig::default()
                },
            },
            BrokerCommand::SetConsumerConfig {
                consumer: ConsumerId(4),
                config: ConsumerConfig {
                    auto_offset_reset: OffsetReset::None,
                    commit: CommitPolicy::Manual,
                    ..ConsumerConfig::default()
                },
            },
            BrokerCommand::AddConsumer {
                group: "k".into(),
                topics: vec!["t".into()],
                instance_id: None,
                config: ConsumerConfig {
                    protocol: GroupProtocol::Consumer,
                    isolation: IsolationLevel::ReadCommitted,
                    ..ConsumerConfig::default()
                },
            },
            BrokerCommand::SetConsumerConfig {
                consumer: ConsumerId(5),
                config: ConsumerConfig {
                    max_poll_interval_ticks: 50,
                    processing_ticks: 80,
                    ..ConsumerConfig::default()
                },
            },
            BrokerCommand::CloseConsumer {
                consumer: ConsumerId(1),
            },
            BrokerCommand::CrashConsumer {
                consumer: ConsumerId(1),
            },
            BrokerCommand::RestartConsumer {
                consumer: ConsumerId(1),
            },
            BrokerCommand::CommitConsumer {
                consumer: ConsumerId(1),
                asynchronous: true,
            },
            BrokerCommand::SeekConsumer {
                consumer: ConsumerId(1),
                topic: "t".into(),
                partition: PartitionId(2),
                offset: Offset(99),
            },
            BrokerCommand::SetGroupStrategy {
                group: "g".into(),
                strategy: Strategy::CooperativeSticky,
            },
            BrokerCommand::SetProducerRate {
                producer: ProducerId(1),
                topic: "t".into(),
                key: Some("k{n}".into()),
                value: None,
                records_per_tick: 9,
            },
            BrokerCommand::AddBroker,
            BrokerCommand::ResetGroupOffsets {
                group: "g".into(),
                to_earliest: true,
            },
            BrokerCommand::Produce {
                producer: ProducerId(1),
                topic: "t".into(),
                partition: None,
                key: None,
                value: None,
                count: 1,
                header: Some(("a".into(), "b".into())),
            },
            BrokerCommand::KillBroker {
                broker: BrokerId(2),
            },
            BrokerCommand::RestartBroker {
                broker: BrokerId(2),
            },
            BrokerCommand::ShutdownBroker {
                broker: BrokerId(3),
            },
            BrokerCommand::SlowBroker {
                broker: BrokerId(1),
                fetch_every_ticks: 20,
            },
            BrokerCommand::CutLink {
                broker: BrokerId(1),
                link: Link::Controller,
                cut: true,
            },
            BrokerCommand::HealBroker {
                broker: BrokerId(1),
            },
            BrokerCommand::KillController {
                controller: ControllerId(1),
            },
            BrokerCommand::RestartController {
                controller: ControllerId(1),
            },
            BrokerCommand::ElectPreferredLeaders,
            BrokerCommand::AlterTopicConfig {
                topic: "t".into(),
                min_insync_replicas: Some(2),
                unclean_leader_election: Some(true),
            },
            BrokerCommand::InitTransactions {
                producer: ProducerId(2),
                transactional_id: "payments-1".into(),
                timeout_ticks: 600,
            },
            BrokerCommand::BeginTransaction {
                producer: ProducerId(2),
            },
            BrokerCommand::CommitTransaction {
                producer: ProducerId(2),
            },
            BrokerCommand::AbortTransaction {
                producer: ProducerId(2),
            },
            BrokerCommand::SendOffsetsToTransaction {
                producer: ProducerId(2),
                consumer: ConsumerId(3),
            },
            BrokerCommand::ProcessInTransaction {
                producer: ProducerId(2),
                consumer: ConsumerId(3),
                topic: "out".into(),
            },
            BrokerCommand::AddConsumer {
                group: "g".into(),
                topics: vec!["t".into()],
                instance_id: None,
                config: ConsumerConfig {
                    isolation: IsolationLevel::ReadCommitted,
                    ..ConsumerConfig::default()
                },
            },
            BrokerCommand::SetConsumerConfig {
                consumer: ConsumerId(4),
                config: ConsumerConfig {
                    isolation: IsolationLevel::ReadCommitted,
                    ..ConsumerConfig::default()
                },
            },
            BrokerCommand::SetClusterSettings {
                settings: ClusterSettings {
                    replica_lag_max_ticks: 50,
                    auto_leader_rebalance: false,
                    ..ClusterSettings::default()
                },
            },
        ];
        for command in commands {
            let mut w = Writer::new();
            encode(&mut w, &command);
            let bytes = w.into_bytes();
            let mut r = Reader::new(&bytes);
            assert_eq!(decode(&mut r).unwrap(), command);
            assert!(r.finish().is_ok());
        }
    }

    #[test]
    fn a_default_consumer_config_keeps_its_old_bytes() {
        let bytes = |config: ConsumerConfig| {
            let mut w = Writer::new();
            encode(
                &mut w,
                &BrokerCommand::SetConsumerConfig {
                    consumer: ConsumerId(1),
                    config,
                },
            );
            w.into_bytes()
        };
        let old = bytes(ConsumerConfig::default());
        assert_eq!(old[0], 6);
        let extended = bytes(ConsumerConfig {
            isolation: IsolationLevel::ReadCommitted,
            ..ConsumerConfig::default()
        });
        assert_eq!(extended[0], 47);
        assert_eq!(
            extended[1..old.len()],
            old[1..],
            "the old fields, then the new ones"
        );
    }

    #[test]
    fn liveness_settings_take_tags_60_and_61_after_the_older_fields() {
        let bytes = |command: &BrokerCommand| {
            let mut w = Writer::new();
            encode(&mut w, command);
            w.into_bytes()
        };
        let slow = ConsumerConfig {
            max_poll_interval_ticks: 50,
            ..ConsumerConfig::default()
        };
        let set = |config| BrokerCommand::SetConsumerConfig {
            consumer: ConsumerId(1),
            config,
        };
        let old = bytes(&set(ConsumerConfig::default()));
        let extended = bytes(&set(slow));
        assert_eq!(extended[0], 61);
        assert_eq!(extended[1..old.len()], old[1..], "the old fields first");
        // Then the isolation byte of tags 46/47, then max.poll.interval and group.protocol.
        assert_eq!(extended[old.len()..], [0, 50, 0]);
        let add = BrokerCommand::AddConsumer {
            group: "g".into(),
            topics: vec!["t".into()],
            instance_id: None,
            config: ConsumerConfig {
                protocol: GroupProtocol::Consumer,
                ..ConsumerConfig::default()
            },
        };
        assert_eq!(bytes(&add)[0], 60);
    }
}
