//! Checking a command before anything changes: names, limits, ranges and the cluster's state
//! (a broker to kill must be running, a topic's replication factor needs live brokers), each
//! refusal with a hint for the learner.

use super::*;

impl Cluster {
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
}

pub(super) fn check_text(what: &str, text: &Option<String>) -> Result<(), BrokerRejection> {
    match text {
        Some(t) if t.len() > TEXT_FIELD_LEN_MAX => Err(invalid(
            format!("the {what} is longer than {TEXT_FIELD_LEN_MAX} characters"),
            "shorten it",
        )),
        _ => Ok(()),
    }
}

pub(super) fn check_settings(settings: &TopicSettings) -> Result<(), BrokerRejection> {
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

pub(super) fn check_producer_config(config: &ProducerConfig) -> Result<(), BrokerRejection> {
    if config.idempotence && config.acks != crate::producer::Acks::All {
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

pub(super) fn check_consumer_config(config: &ConsumerConfig) -> Result<(), BrokerRejection> {
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
