//! Checking a command before anything changes: names, limits, ranges and the cluster's state
//! (a broker to kill must be running, a topic's replication factor needs live brokers), each
//! refusal with a hint for the learner. [`Cluster::validate`] routes a command to the checks of
//! its family (topics, producers, consumers and groups, brokers, the controller), the same
//! families [`Cluster::apply`] uses.

use super::*;
use crate::controller::ControllerNode;

impl Cluster {
    /// Checks a command without changing anything: routes it to the checks of its family.
    pub fn validate(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::CreateTopic { .. } | C::SetTopicSettings { .. } | C::AlterTopicConfig { .. } => {
                self.validate_topic_command(command)
            }
            C::AddProducer { .. }
            | C::SetProducerConfig { .. }
            | C::Produce { .. }
            | C::ProduceBytes { .. }
            | C::SetProducerRate { .. } => self.validate_producer_command(command),
            C::AddConsumer { .. }
            | C::SetConsumerConfig { .. }
            | C::CloseConsumer { .. }
            | C::CrashConsumer { .. }
            | C::RestartConsumer { .. }
            | C::CommitConsumer { .. }
            | C::SeekConsumer { .. }
            | C::ResetGroupOffsets { .. }
            | C::SetGroupStrategy { .. } => self.validate_consumer_command(command),
            C::AddBroker
            | C::KillBroker { .. }
            | C::ShutdownBroker { .. }
            | C::RestartBroker { .. }
            | C::SlowBroker { .. }
            | C::CutLink { .. }
            | C::HealBroker { .. } => self.validate_broker_command(command),
            C::KillController { .. }
            | C::RestartController { .. }
            | C::ElectPreferredLeaders
            | C::SetClusterSettings { .. } => self.validate_controller_command(command),
            C::InitTransactions { .. }
            | C::BeginTransaction { .. }
            | C::CommitTransaction { .. }
            | C::AbortTransaction { .. }
            | C::SendOffsetsToTransaction { .. }
            | C::ProcessInTransaction { .. } => self.validate_transaction_command(command),
        }
    }

    // Topics.

    fn validate_topic_command(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::CreateTopic {
                name,
                partitions,
                settings,
            } => self.check_new_topic(name, *partitions, settings),
            C::SetTopicSettings { topic, settings } => {
                let t = self.existing_topic(topic)?;
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
            C::AlterTopicConfig {
                topic,
                min_insync_replicas,
                unclean_leader_election,
            } => {
                let t = self.existing_topic(topic)?;
                check_settings(&TopicSettings {
                    min_insync_replicas: min_insync_replicas
                        .unwrap_or(t.settings.min_insync_replicas),
                    unclean_leader_election: unclean_leader_election
                        .unwrap_or(t.settings.unclean_leader_election),
                    ..t.settings
                })
            }
            _ => unreachable!("validate routed a command of another kind here"),
        }
    }

    fn check_new_topic(
        &self,
        name: &str,
        partitions: u32,
        settings: &TopicSettings,
    ) -> Result<(), BrokerRejection> {
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
        if partitions == 0 || partitions > TOPIC_PARTITIONS_MAX {
            return Err(invalid(
                format!("a topic has 1 to {TOPIC_PARTITIONS_MAX} partitions, not {partitions}"),
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

    // Producers.

    fn validate_producer_command(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::AddProducer { config } => {
                if self.producers.len() >= PRODUCERS_MAX {
                    return Err(BrokerRejection::Limit(format!(
                        "this lab already has {PRODUCERS_MAX} producers"
                    )));
                }
                check_producer_config(config)
            }
            C::SetProducerConfig { producer, config } => {
                let p = self.existing_producer(*producer)?;
                if p.txn.is_some() && !config.idempotence {
                    return Err(invalid(
                        format!("{producer} is transactional"),
                        "a transactional producer needs enable.idempotence=true",
                    ));
                }
                check_producer_config(config)
            }
            C::Produce {
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
                self.existing_producer(*producer)?;
                self.check_produce(topic, *partition, key, value, *count)?;
                self.check_transactional_send(*producer, topic, false)
            }
            C::ProduceBytes {
                producer,
                topic,
                key,
                value,
            } => {
                if value.len() > RAW_VALUE_LEN_MAX {
                    return Err(invalid(
                        format!(
                            "the value is {} bytes, more than {RAW_VALUE_LEN_MAX}",
                            value.len()
                        ),
                        "send a smaller value",
                    ));
                }
                self.existing_producer(*producer)?;
                self.check_produce(topic, None, key, &None, 1)?;
                self.check_transactional_send(*producer, topic, false)
            }
            C::SetProducerRate {
                producer,
                topic,
                key,
                value,
                records_per_tick,
            } => {
                self.existing_producer(*producer)?;
                self.check_rate(topic, key, value, *records_per_tick)?;
                if *records_per_tick > 0 {
                    self.check_transactional_send(*producer, topic, true)?;
                }
                Ok(())
            }
            _ => unreachable!("validate routed a command of another kind here"),
        }
    }

    fn check_produce(
        &self,
        topic: &str,
        partition: Option<PartitionId>,
        key: &Option<String>,
        value: &Option<String>,
        count: u16,
    ) -> Result<(), BrokerRejection> {
        let t = self.existing_topic(topic)?;
        if let Some(p) = partition {
            if t.partition(p).is_none() {
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
        if count == 0 || count > PRODUCE_COUNT_MAX {
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

    fn check_rate(
        &self,
        topic: &str,
        key: &Option<String>,
        value: &Option<String>,
        records_per_tick: u16,
    ) -> Result<(), BrokerRejection> {
        let t = self.existing_topic(topic)?;
        if records_per_tick > PRODUCE_COUNT_MAX {
            return Err(invalid(
                format!(
                    "a rate of {records_per_tick} records per tick is more than this lab sends"
                ),
                format!("use 0 (stop) to {PRODUCE_COUNT_MAX}"),
            ));
        }
        check_text("key", key)?;
        check_text("value", value)?;
        if t.settings.log.cleanup_compact && key.is_none() && records_per_tick > 0 {
            return Err(BrokerRejection::RecordRefused(
                LogError::NullKeyOnCompactedTopic.to_string(),
            ));
        }
        Ok(())
    }

    // Consumers and groups.

    fn validate_consumer_command(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::AddConsumer {
                group,
                topics,
                instance_id,
                config,
            } => {
                self.check_new_consumer(group, topics, instance_id)?;
                self.check_group_protocol(group, config.protocol)?;
                check_consumer_config(config)
            }
            C::SetConsumerConfig { consumer, config } => {
                let c = self.existing_consumer(*consumer)?;
                if c.config.protocol != config.protocol {
                    return Err(invalid(
                        "group.protocol is fixed when a consumer is created",
                        "add a new consumer with the other protocol (to a group of its own)",
                    ));
                }
                check_consumer_config(config)
            }
            C::CloseConsumer { consumer } | C::CrashConsumer { consumer } => {
                self.running_consumer(*consumer).map(|_| ())
            }
            C::CommitConsumer {
                consumer,
                asynchronous,
            } => self.check_commit(*consumer, *asynchronous),
            C::RestartConsumer { consumer } => {
                if self.existing_consumer(*consumer)?.is_running() {
                    return Err(invalid(
                        format!("{consumer} is already running"),
                        "crash or close it first",
                    ));
                }
                Ok(())
            }
            C::SeekConsumer {
                consumer,
                topic,
                partition,
                ..
            } => self.check_seek(*consumer, topic, *partition),
            C::ResetGroupOffsets { group, .. } => self.check_offsets_reset(group),
            C::SetGroupStrategy { group, .. } => {
                let g = self
                    .group(group)
                    .ok_or_else(|| BrokerRejection::UnknownGroup(group.clone()))?;
                if g.protocol() == group::GroupProtocol::Consumer {
                    return Err(invalid(
                        format!("{group} uses group.protocol=consumer: the broker assigns partitions, so partition.assignment.strategy does not apply"),
                        "the broker's assignor is set by group.consumer.assignors (uniform by default)",
                    ));
                }
                Ok(())
            }
            _ => unreachable!("validate routed a command of another kind here"),
        }
    }

    fn check_new_consumer(
        &self,
        group: &str,
        topics: &[String],
        instance_id: &Option<String>,
    ) -> Result<(), BrokerRejection> {
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
            self.existing_topic(t)?;
        }
        let Some(instance) = instance_id else {
            return Ok(());
        };
        if instance.is_empty() || instance.len() > GROUP_NAME_LEN_MAX {
            return Err(invalid(
                "a group.instance.id is 1 to 40 characters",
                "try c-1",
            ));
        }
        if self.consumers.values().any(|c| {
            c.group == group
                && c.instance_id.as_ref() == Some(instance)
                && c.status != group::ConsumerStatus::Closed
        }) {
            return Err(invalid(format!("group.instance.id \"{instance}\" is already used in {group} (FENCED_INSTANCE_ID)"), "restart that consumer instead"));
        }
        Ok(())
    }

    /// A group runs one protocol: mixing classic and consumer members (Kafka's online migration)
    /// is not modelled, so a consumer must match a non-empty group's protocol.
    fn check_group_protocol(
        &self,
        group: &str,
        protocol: group::GroupProtocol,
    ) -> Result<(), BrokerRejection> {
        match self.groups.get(group) {
            Some(g) if !g.is_empty() && g.protocol() != protocol => Err(invalid(
                format!(
                    "{group} runs group.protocol={}; this lab does not mix protocols in one group",
                    g.protocol().name()
                ),
                format!(
                    "use group.protocol={} for {group}, or another group id for {} members",
                    g.protocol().name(),
                    protocol.name()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The consumer, if it is running (closing, crashing and committing need one).
    fn running_consumer(&self, consumer: ConsumerId) -> Result<&Consumer, BrokerRejection> {
        let c = self.existing_consumer(consumer)?;
        if !c.is_running() {
            return Err(invalid(
                format!("{consumer} is not running"),
                "restart it first",
            ));
        }
        Ok(c)
    }

    fn check_commit(
        &self,
        consumer: ConsumerId,
        asynchronous: bool,
    ) -> Result<(), BrokerRejection> {
        let c = self.running_consumer(consumer)?;
        let rebalancing = self
            .groups
            .get(&c.group)
            .is_some_and(|g| matches!(g.state, group::GroupState::PreparingRebalance { .. }));
        if !asynchronous && rebalancing {
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

    fn check_seek(
        &self,
        consumer: ConsumerId,
        topic: &str,
        partition: PartitionId,
    ) -> Result<(), BrokerRejection> {
        let c = self.existing_consumer(consumer)?;
        let tp = TopicPartition {
            topic: topic.to_string(),
            partition,
        };
        if !c.owned.contains(&tp) {
            return Err(invalid(
                format!("{consumer} does not own {tp}"),
                "a consumer can only seek in partitions it is assigned",
            ));
        }
        Ok(())
    }

    fn check_offsets_reset(&self, group: &str) -> Result<(), BrokerRejection> {
        if !self.groups.contains_key(group) {
            return Err(BrokerRejection::UnknownGroup(group.to_string()));
        }
        if self
            .consumers
            .values()
            .any(|c| c.group == group && c.is_running())
        {
            return Err(invalid(
                format!("group {group} still has running members; offsets can only be reset on an inactive group"),
                "close or crash its consumers first, then reset",
            ));
        }
        Ok(())
    }

    // Brokers and the controller.

    fn validate_broker_command(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::AddBroker => {
                if self.brokers.len() >= usize::from(BROKERS_MAX) {
                    return Err(BrokerRejection::Limit(format!(
                        "a lab cluster has at most {BROKERS_MAX} brokers"
                    )));
                }
                Ok(())
            }
            C::KillBroker { broker } | C::ShutdownBroker { broker } => {
                if !self.existing_broker(*broker)?.running() {
                    return Err(invalid(
                        format!("{broker} is already down"),
                        "restart it first",
                    ));
                }
                Ok(())
            }
            C::RestartBroker { broker } => {
                if self.existing_broker(*broker)?.running() {
                    return Err(invalid(
                        format!("{broker} is already running"),
                        "kill or shut it down first",
                    ));
                }
                Ok(())
            }
            C::SlowBroker {
                broker,
                fetch_every_ticks,
            } => {
                self.existing_broker(*broker)?;
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
            C::CutLink { broker, .. } | C::HealBroker { broker } => {
                self.existing_broker(*broker).map(|_| ())
            }
            _ => unreachable!("validate routed a command of another kind here"),
        }
    }

    fn validate_controller_command(&self, command: &BrokerCommand) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::KillController { controller } => match self.controller_node(*controller)? {
                node if !node.running => Err(invalid(
                    format!("{controller} is already down"),
                    "restart it first",
                )),
                _ => Ok(()),
            },
            C::RestartController { controller } => match self.controller_node(*controller)? {
                node if node.running => Err(invalid(
                    format!("{controller} is already running"),
                    "kill it first",
                )),
                _ => Ok(()),
            },
            C::ElectPreferredLeaders => Ok(()),
            C::SetClusterSettings { settings } => {
                settings.check().map_err(|(what, hint)| invalid(what, hint))
            }
            _ => unreachable!("validate routed a command of another kind here"),
        }
    }

    fn controller_node(&self, id: ControllerId) -> Result<&ControllerNode, BrokerRejection> {
        self.controller
            .nodes
            .iter()
            .find(|n| n.id == id)
            .ok_or_else(|| {
                invalid(
                    format!("there is no {id}"),
                    "the quorum has controllers C1, C2 and C3",
                )
            })
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
    if config.max_poll_interval_ticks == 0 {
        return Err(invalid(
            "max.poll.interval.ms must be at least 1 tick",
            "Kafka's default is 300 s (3000 ticks)",
        ));
    }
    if config.protocol == group::GroupProtocol::Consumer
        && config.session_timeout_ticks != group::LAB_SESSION_TIMEOUT_TICKS
    {
        return Err(invalid(
            "session.timeout.ms cannot be set with group.protocol=consumer",
            "the broker's group.consumer.session.timeout.ms (45 s) applies; leave the session timeout alone",
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
