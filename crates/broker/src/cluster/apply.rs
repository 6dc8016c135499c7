//! Applying a command: [`Cluster::apply`] validates it, routes it to the dispatcher of its
//! family (topics, producers, consumers and groups, brokers, the controller), which does a
//! one-line change itself or calls one small method per command, then settles the metadata the
//! command changed. Split this way so that each command's effect reads on its own. Everything
//! here may assume [`Cluster::validate`] accepted the command; only a produce can still be
//! refused (the producer's buffer is full).

use super::*;

/// What one command produced, in the order the trace lists it: the cluster's own events, then
/// its groups' events.
struct Applied {
    now: Tick,
    events: Vec<BrokerEvent>,
    group_events: Vec<GroupEvent>,
}

impl Cluster {
    /// Applies a command at `now`. On rejection nothing changes.
    pub fn apply(
        &mut self,
        command: &BrokerCommand,
        now: Tick,
    ) -> Result<Vec<BrokerEvent>, BrokerRejection> {
        self.validate(command)?;
        let metadata_before = self.controller.end_offset();
        let mut out = Applied {
            now,
            events: Vec::new(),
            group_events: Vec::new(),
        };
        self.dispatch(command, &mut out)?;
        let Applied {
            mut events,
            group_events,
            ..
        } = out;
        events.extend(group_events.into_iter().map(BrokerEvent::Group));
        self.settle(metadata_before, now, &mut events);
        Ok(events)
    }

    /// Hands `command` to its family's dispatcher.
    fn dispatch(
        &mut self,
        command: &BrokerCommand,
        out: &mut Applied,
    ) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::CreateTopic { .. } | C::SetTopicSettings { .. } | C::AlterTopicConfig { .. } => {
                self.apply_topic_command(command, out)
            }
            C::AddProducer { .. }
            | C::SetProducerConfig { .. }
            | C::Produce { .. }
            | C::ProduceBytes { .. }
            | C::SetProducerRate { .. } => self.apply_producer_command(command, out)?,
            C::AddConsumer { .. }
            | C::SetConsumerConfig { .. }
            | C::CloseConsumer { .. }
            | C::CrashConsumer { .. }
            | C::RestartConsumer { .. }
            | C::CommitConsumer { .. }
            | C::SeekConsumer { .. }
            | C::ResetGroupOffsets { .. }
            | C::SetGroupStrategy { .. } => self.apply_consumer_command(command, out),
            C::AddBroker
            | C::KillBroker { .. }
            | C::ShutdownBroker { .. }
            | C::RestartBroker { .. }
            | C::SlowBroker { .. }
            | C::CutLink { .. }
            | C::HealBroker { .. } => self.apply_broker_command(command, out),
            C::KillController { .. }
            | C::RestartController { .. }
            | C::ElectPreferredLeaders
            | C::SetClusterSettings { .. } => self.apply_controller_command(command, out),
            C::InitTransactions { .. }
            | C::BeginTransaction { .. }
            | C::CommitTransaction { .. }
            | C::AbortTransaction { .. }
            | C::SendOffsetsToTransaction { .. }
            | C::ProcessInTransaction { .. } => {
                self.apply_transaction_command(command, out.now, &mut out.events)?
            }
        }
        Ok(())
    }

    fn apply_topic_command(&mut self, command: &BrokerCommand, out: &mut Applied) {
        use BrokerCommand as C;
        match command {
            C::CreateTopic {
                name,
                partitions,
                settings,
            } => self.create_topic(name, *partitions, settings, out),
            C::SetTopicSettings { topic, settings } => {
                self.set_topic_settings(topic, settings, out)
            }
            C::AlterTopicConfig {
                topic,
                min_insync_replicas,
                unclean_leader_election,
            } => {
                self.alter_topic_config(topic, *min_insync_replicas, *unclean_leader_election, out)
            }
            _ => unreachable!("dispatch routed a command of another kind here"),
        }
    }

    fn apply_producer_command(
        &mut self,
        command: &BrokerCommand,
        out: &mut Applied,
    ) -> Result<(), BrokerRejection> {
        use BrokerCommand as C;
        match command {
            C::AddProducer { config } => self.add_producer(config, out),
            C::SetProducerConfig { producer, config } => {
                self.producers.get_mut(producer).expect("validated").config = *config
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
                let spec = ProduceSpec {
                    topic,
                    partition: *partition,
                    key,
                    value,
                    raw_value: None,
                    header: header.as_ref(),
                };
                self.produce(*producer, &spec, 1, *count, out.now)?;
                self.flush_producers(out.now, &mut out.events);
            }
            C::ProduceBytes {
                producer,
                topic,
                key,
                value,
            } => {
                let spec = ProduceSpec {
                    topic,
                    partition: None,
                    key,
                    value: &None,
                    raw_value: Some(value),
                    header: None,
                };
                self.produce(*producer, &spec, 1, 1, out.now)?;
                self.flush_producers(out.now, &mut out.events);
            }
            C::SetProducerRate {
                producer,
                topic,
                key,
                value,
                records_per_tick,
            } => self.set_producer_rate(*producer, topic, key, value, *records_per_tick, out),
            _ => unreachable!("dispatch routed a command of another kind here"),
        }
        Ok(())
    }

    fn apply_consumer_command(&mut self, command: &BrokerCommand, out: &mut Applied) {
        use BrokerCommand as C;
        let (now, group_events) = (out.now, &mut out.group_events);
        match command {
            C::AddConsumer {
                group,
                topics,
                instance_id,
                config,
            } => self.add_consumer(group, topics, instance_id, config, out),
            C::SetConsumerConfig { consumer, config } => {
                self.consumers.get_mut(consumer).expect("validated").config = *config
            }
            C::CloseConsumer { consumer } => {
                let (g, c) = self.group_and_consumer(*consumer);
                group::close(g, c, now, group_events);
            }
            C::CrashConsumer { consumer } => {
                let c = self.consumers.get_mut(consumer).expect("validated");
                group::crash(c, now, group_events);
            }
            C::RestartConsumer { consumer } => {
                let (g, c) = self.group_and_consumer(*consumer);
                group::restart(g, c, now, group_events);
            }
            C::CommitConsumer {
                consumer,
                asynchronous,
            } => self.commit_consumer(*consumer, *asynchronous, out),
            C::SeekConsumer {
                consumer,
                topic,
                partition,
                offset,
            } => self.seek_consumer(*consumer, topic, *partition, *offset),
            C::ResetGroupOffsets { group, to_earliest } => {
                self.reset_group_offsets(group, *to_earliest, out)
            }
            C::SetGroupStrategy { group, strategy } => {
                let g = self.groups.get_mut(group).expect("validated");
                g.strategy = *strategy;
                g.rebalances_at_strategy_change = g.rebalances;
                g.start_rebalance(now, "the assignor changed", group_events);
            }
            _ => unreachable!("dispatch routed a command of another kind here"),
        }
    }

    fn apply_broker_command(&mut self, command: &BrokerCommand, out: &mut Applied) {
        use BrokerCommand as C;
        match command {
            C::AddBroker => self.add_broker(out),
            C::KillBroker { broker } => self.kill_broker(*broker, out),
            C::ShutdownBroker { broker } => self.shut_down_broker(*broker, out),
            C::RestartBroker { broker } => self.restart_broker(*broker, out),
            C::SlowBroker {
                broker,
                fetch_every_ticks,
            } => self.slow_broker(*broker, *fetch_every_ticks, out),
            C::CutLink { broker, link, cut } => {
                self.broker_mut(*broker).set_cut(*link, *cut);
                out.events.push(BrokerEvent::LinkChanged {
                    broker: *broker,
                    link: *link,
                    cut: *cut,
                });
            }
            C::HealBroker { broker } => {
                self.broker_mut(*broker).heal();
                out.events
                    .push(BrokerEvent::BrokerHealed { broker: *broker });
            }
            _ => unreachable!("dispatch routed a command of another kind here"),
        }
    }

    fn apply_controller_command(&mut self, command: &BrokerCommand, out: &mut Applied) {
        use BrokerCommand as C;
        match command {
            C::KillController { controller } => {
                self.controller.kill_node(*controller, out.now);
                out.events.push(BrokerEvent::ControllerKilled {
                    controller: *controller,
                });
            }
            C::RestartController { controller } => {
                self.controller.restart_node(*controller);
                out.events.push(BrokerEvent::ControllerRestarted {
                    controller: *controller,
                });
            }
            C::ElectPreferredLeaders => {
                if self.controller.active.is_some() {
                    self.controller.elect_preferred(&mut self.topics, out.now);
                }
            }
            C::SetClusterSettings { settings } => {
                self.settings = *settings;
                out.events.push(BrokerEvent::ClusterSettingsChanged);
            }
            _ => unreachable!("dispatch routed a command of another kind here"),
        }
    }

    // Topics.

    fn create_topic(
        &mut self,
        name: &str,
        partitions: u32,
        settings: &TopicSettings,
        out: &mut Applied,
    ) {
        let ids = self.live_brokers();
        let first = self.rng.below(ids.len() as u64) as usize;
        let topic = Topic::new(name, partitions, *settings, &ids, first);
        self.controller.topic_created(&topic, out.now);
        self.topics.insert(name.to_string(), topic);
        out.events.push(BrokerEvent::TopicCreated {
            topic: name.to_string(),
            partitions,
        });
    }

    fn set_topic_settings(&mut self, topic: &str, settings: &TopicSettings, out: &mut Applied) {
        let t = self.topics.get_mut(topic).expect("validated");
        t.settings = *settings;
        for partition in &mut t.partitions {
            for replica in partition.replica.values_mut() {
                replica.log.set_config(settings.log);
            }
        }
        if settings.unclean_leader_election && self.controller.active.is_some() {
            self.controller.elect_offline(&mut self.topics, out.now);
        }
        out.events.push(BrokerEvent::TopicSettingsChanged {
            topic: topic.to_string(),
        });
    }

    fn alter_topic_config(
        &mut self,
        topic: &str,
        min_insync_replicas: Option<u8>,
        unclean_leader_election: Option<bool>,
        out: &mut Applied,
    ) {
        let t = self.topics.get_mut(topic).expect("validated");
        if let Some(n) = min_insync_replicas {
            t.settings.min_insync_replicas = n;
        }
        if let Some(on) = unclean_leader_election {
            t.settings.unclean_leader_election = on;
        }
        if t.settings.unclean_leader_election && self.controller.active.is_some() {
            self.controller.elect_offline(&mut self.topics, out.now);
        }
        out.events.push(BrokerEvent::TopicSettingsChanged {
            topic: topic.to_string(),
        });
    }

    // Producers.

    fn add_producer(&mut self, config: &ProducerConfig, out: &mut Applied) {
        let id = ProducerId(self.producers.keys().last().map_or(1, |p| p.0 + 1));
        let rng = self.rng.fork(&format!("producer/{}", id.0));
        self.producers.insert(id, Producer::new(id, *config, rng));
        out.events.push(BrokerEvent::ProducerAdded { producer: id });
    }

    fn set_producer_rate(
        &mut self,
        producer: ProducerId,
        topic: &str,
        key: &Option<String>,
        value: &Option<String>,
        records_per_tick: u16,
        out: &mut Applied,
    ) {
        if records_per_tick == 0 {
            self.rates.remove(&producer);
        } else {
            let rate = ProducerRate {
                topic: topic.to_string(),
                key: key.clone(),
                value: value.clone(),
                records_per_tick,
                next_n: 1,
            };
            self.rates.insert(producer, rate);
        }
        out.events.push(BrokerEvent::RateChanged {
            producer,
            records_per_tick,
        });
    }

    // Consumers and groups.

    /// Commits `offsets` of `topic` for `group` on behalf of a client that assigns partitions
    /// itself and never joins the group (Kafka's `assign()`): the coordinator accepts such an
    /// OffsetCommit, with no generation, only while the group has no members. Flink's Kafka
    /// source commits the offsets of each completed checkpoint this way, so tools watching the
    /// group see the job's lag; its own recovery reads the checkpoint, not these. Returns false
    /// (and commits nothing) when the group has members, which would fence the commit.
    pub fn commit_unassigned(
        &mut self,
        group: &str,
        topic: &str,
        offsets: &[(PartitionId, Offset)],
        now: Tick,
    ) -> bool {
        let g = self
            .groups
            .entry(group.to_string())
            .or_insert_with(|| ConsumerGroup::new(group, Strategy::Range));
        if !g.is_empty() {
            return false;
        }
        for (partition, offset) in offsets {
            let tp = TopicPartition {
                topic: topic.to_string(),
                partition: *partition,
            };
            g.committed.insert(
                tp,
                group::Commit {
                    offset: *offset,
                    at: now,
                },
            );
        }
        true
    }

    fn reset_group_offsets(&mut self, group: &str, to_earliest: bool, out: &mut Applied) {
        let targets: Vec<(TopicPartition, Offset)> = self
            .lags()
            .into_iter()
            .filter(|(g, _, _)| g == group)
            .filter_map(|(_, tp, _)| {
                let p = self.topics.get(&tp.topic)?.partition(tp.partition)?;
                Some((tp, if to_earliest { p.log_start() } else { p.hw }))
            })
            .collect();
        let g = self.groups.get_mut(group).expect("validated");
        for (tp, offset) in &targets {
            let commit = group::Commit {
                offset: *offset,
                at: out.now,
            };
            g.committed.insert(tp.clone(), commit);
        }
        out.events.push(BrokerEvent::GroupOffsetsReset {
            group: group.to_string(),
            to_earliest,
            partitions: targets.len(),
        });
    }

    fn add_consumer(
        &mut self,
        group: &str,
        topics: &[String],
        instance_id: &Option<String>,
        config: &ConsumerConfig,
        out: &mut Applied,
    ) {
        let id = ConsumerId(self.consumers.keys().last().map_or(1, |c| c.0 + 1));
        let g = self.groups.entry(group.to_string()).or_insert_with(|| {
            ConsumerGroup::with_protocol(group, Strategy::Range, config.protocol)
        });
        if g.is_empty() {
            // An empty group takes the protocol of whoever joins (Kafka converts empty groups freely).
            g.protocol = config.protocol;
        }
        let consumer = group::join(
            g,
            id,
            instance_id.clone(),
            sim::sort::collect_set(topics.iter().cloned()),
            *config,
            out.now,
            &mut out.group_events,
        );
        self.consumers.insert(id, consumer);
        out.events.push(BrokerEvent::ConsumerAdded {
            consumer: id,
            group: group.to_string(),
        });
    }

    fn commit_consumer(&mut self, consumer: ConsumerId, asynchronous: bool, out: &mut Applied) {
        let (g, c) = self.group_and_consumer(consumer);
        if asynchronous && matches!(g.state, group::GroupState::PreparingRebalance { .. }) {
            // commitAsync fails in the background and is not retried: the offsets stay where they were.
            out.events.push(BrokerEvent::AsyncCommitFailed {
                consumer,
                reason: "REBALANCE_IN_PROGRESS".into(),
            });
        } else {
            group::commit_now(g, c, out.now, &mut out.group_events);
        }
    }

    fn seek_consumer(
        &mut self,
        consumer: ConsumerId,
        topic: &str,
        partition: PartitionId,
        offset: Offset,
    ) {
        let c = self.consumers.get_mut(&consumer).expect("validated");
        let tp = TopicPartition {
            topic: topic.to_string(),
            partition,
        };
        c.stuck.remove(&tp);
        c.position_epoch += 1;
        c.positions.insert(tp, offset);
    }

    fn group_and_consumer(&mut self, consumer: ConsumerId) -> (&mut ConsumerGroup, &mut Consumer) {
        let c = self.consumers.get_mut(&consumer).expect("validated");
        let g = self
            .groups
            .get_mut(&c.group)
            .expect("a consumer's group exists");
        (g, c)
    }

    // Brokers and the controller (the lab's faults).

    fn add_broker(&mut self, out: &mut Applied) {
        let id = BrokerId(self.brokers.len() as u8 + 1);
        self.brokers.push(Broker::new(id));
        out.events.push(BrokerEvent::BrokerAdded { broker: id });
        self.run_controller(out.now);
    }

    fn kill_broker(&mut self, broker: BrokerId, out: &mut Applied) {
        self.stop_broker(broker, BrokerProcess::Crashed);
        out.events.push(BrokerEvent::BrokerKilled { broker });
    }

    fn shut_down_broker(&mut self, broker: BrokerId, out: &mut Applied) {
        let reachable = self
            .broker(broker)
            .is_some_and(|b| b.reachable(Link::Controller));
        if self.controller.active.is_some() && reachable {
            self.controller.shut_down(broker, &mut self.topics, out.now);
        }
        self.stop_broker(broker, BrokerProcess::Stopped);
        out.events.push(BrokerEvent::BrokerStopped { broker });
    }

    fn restart_broker(&mut self, broker: BrokerId, out: &mut Applied) {
        let b = self.broker_mut(broker);
        b.process = BrokerProcess::Running;
        b.metadata_offset = 0;
        b.last_heartbeat_sent = None;
        b.registered = false;
        out.events.push(BrokerEvent::BrokerRestarted { broker });
        self.run_controller(out.now);
    }

    fn slow_broker(&mut self, broker: BrokerId, fetch_every_ticks: u8, out: &mut Applied) {
        self.broker_mut(broker).fetch_every_ticks = fetch_every_ticks;
        out.events.push(BrokerEvent::BrokerSlowed {
            broker,
            fetch_every_ticks,
        });
    }
}
