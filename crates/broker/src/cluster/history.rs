//! What the recorded history says (the anomalies of Jepsen's Kafka workload checks) and consumer lag, for the views and
//! the goals.

use super::*;

impl Cluster {
    /// The anomalies of Jepsen's Kafka workload checks in everything recorded so far.
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
                        crate::ledger::leader_has(p, *offset, *epoch) != Some(false)
                    })
                })
                .count();
            if surviving > 1 {
                report.duplicates.push(id as u64);
            }
        }
        let mut last_offset: BTreeMap<(ProducerId, &TopicPartition), Offset> = BTreeMap::new();
        for send in self.sends.iter() {
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
                        // Markers are never returned, and read_committed skips aborted records.
                        let skipped_present = log.is_some_and(|l| {
                            let unseen = match c.config.isolation {
                                crate::log::IsolationLevel::ReadCommitted => {
                                    l.hidden_from_read_committed(l.leo())
                                }
                                crate::log::IsolationLevel::ReadUncommitted => {
                                    sim::sort::collect_set(l.marker_offsets().into_keys())
                                }
                            };
                            l.records().any(|r| {
                                r.offset > previous
                                    && r.offset < d.offset
                                    && !unseen.contains(&r.offset)
                            })
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
        // Records of aborted transactions are discarded on purpose: neither lost nor skipped.
        let aborted = self.aborted_offsets();
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
                sim::sort::collect_map(delivered.keys().map(|tp| (*tp, highest(tp))));
            for send in self
                .sends
                .iter()
                .filter(|s| s.outcome == SendOutcome::Acked)
            {
                let tp: &TopicPartition = &send.tp;
                for offset in send.offsets() {
                    if seen(tp, offset) || aborted.get(tp).is_some_and(|a| a.contains(&offset)) {
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

    /// Offsets of aborted transactions' records and markers, per partition (none without
    /// transactions).
    pub(super) fn aborted_offsets(&self) -> BTreeMap<TopicPartition, BTreeSet<Offset>> {
        let mut out = BTreeMap::new();
        if self.coordinator.is_empty() {
            return out;
        }
        for (name, t) in &self.topics {
            for p in &t.partitions {
                if let Some(log) = p.leader_log() {
                    let tp = TopicPartition {
                        topic: name.clone(),
                        partition: p.id,
                    };
                    out.insert(tp, log.hidden_from_read_committed(log.leo()));
                }
            }
        }
        out
    }

    /// Every group's lag (HW minus committed) on each partition of the topics it subscribes to.
    pub fn lags(&self) -> Vec<(String, TopicPartition, u64)> {
        let mut out = Vec::new();
        for (name, g) in &self.groups {
            let topics: BTreeSet<&String> = sim::sort::collect_set(
                g.members
                    .values()
                    .flat_map(|m| m.topics.iter())
                    .chain(g.committed.keys().map(|tp| &tp.topic)),
            );
            // A read_committed group's lag ends at the LSO (`SubscriptionState.partitionLag`).
            let isolation = transact::group_isolation(&self.consumers, name);
            for topic in topics {
                let Some(t) = self.topics.get(topic) else {
                    continue;
                };
                for p in &t.partitions {
                    let tp = TopicPartition {
                        topic: topic.clone(),
                        partition: p.id,
                    };
                    let end = p
                        .leader_log()
                        .map_or(p.hw, |log| log.fetch_upper(p.hw, isolation));
                    let lag = g.lag(&tp, end);
                    out.push((name.clone(), tp, lag));
                }
            }
        }
        out
    }

    pub(super) fn sample_lag(&mut self, now: Tick) {
        if self.groups.is_empty() {
            return;
        }
        if self.lag_history.len() == LAG_HISTORY_TICKS_MAX {
            self.lag_history.pop_front();
        }
        let (lags, lag_ticks) = self.lags_with_ticks(now).into_iter().unzip();
        self.lag_history.push_back(LagSample {
            at: now,
            lags,
            lag_ticks,
        });
    }

    /// [`Cluster::lags`], each with its lag in time at `now` ([`Cluster::lag_ticks`]): what the
    /// lag history samples, the overview lists and the lag alerts check.
    pub fn lags_with_ticks(&self, now: Tick) -> Vec<((String, TopicPartition, u64), u64)> {
        self.lags()
            .into_iter()
            .map(|lag| {
                let ticks = self.lag_ticks(&lag.0, &lag.1, now);
                (lag, ticks)
            })
            .collect()
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::OffsetReset;
    use sim::rng::Seed;

    #[test]
    fn the_poll_checkers_flag_injected_anomalies() {
        let mut cluster = Cluster::new(3, Rng::new(Seed(5)));
        let mut now = Tick(0);
        let commands = [
            BrokerCommand::CreateTopic {
                name: "orders".into(),
                partitions: 1,
                settings: TopicSettings::default(),
            },
            BrokerCommand::AddProducer {
                config: ProducerConfig::default(),
            },
            BrokerCommand::AddConsumer {
                group: "g".into(),
                topics: vec!["orders".into()],
                instance_id: None,
                config: ConsumerConfig {
                    auto_offset_reset: OffsetReset::Earliest,
                    ..ConsumerConfig::default()
                },
            },
        ];
        for command in &commands {
            cluster.apply(command, now).unwrap();
        }
        let mut ticks = |cluster: &mut Cluster, n: u64| {
            for _ in 0..n {
                cluster.tick(now);
                now = now.next();
            }
        };
        ticks(&mut cluster, 3);
        let produce = BrokerCommand::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: None,
            key: Some("key-{n}".into()),
            value: Some("v{n}".into()),
            count: 10,
            header: None,
        };
        cluster.apply(&produce, Tick(3)).unwrap();
        ticks(&mut cluster, 3);
        let consumer = cluster.consumers.get_mut(&ConsumerId(1)).unwrap();
        let template = consumer.deliveries[0].clone();
        consumer.deliveries.clear();
        for offset in [0, 1, 5, 3] {
            consumer.deliveries.push(crate::group::Delivery {
                offset: Offset(offset),
                ..template.clone()
            });
        }
        let report = cluster.history_report();
        assert_eq!(
            report.poll_skips.len(),
            1,
            "1 → 5 jumps over records still in the log"
        );
        assert_eq!(report.nonmonotonic_polls.len(), 1, "5 → 3 goes backwards");
    }
}
