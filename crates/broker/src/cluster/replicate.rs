//! The cluster's replication round each tick (Kafka's ReplicaManager and KRaft controller, KIP-631): the controller's work (controller
//! elections, registrations, heartbeats, fencing, preferred leaders), brokers replaying the
//! metadata log, follower fetches, ISR changes through AlterPartition and the high watermark, and
//! what clients can reach afterwards; plus retention and compaction on every replica.

use super::*;
use crate::metrics::Traffic;

impl Cluster {
    /// A broker's process ends: its replicas forget what they knew (their logs stay on disk).
    pub(super) fn stop_broker(&mut self, id: BrokerId, process: BrokerProcess) {
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
    pub(super) fn run_controller(&mut self, now: Tick) {
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
    pub(super) fn replay_metadata(&mut self, now: Tick) {
        if self.controller.active.is_none() {
            return;
        }
        let end = self.controller.end_offset();
        for b in &mut self.brokers {
            if !b.reachable(Link::Controller) || b.metadata_offset >= end {
                continue;
            }
            let Some(records) = self.controller.records_from(b.metadata_offset) else {
                // Too far behind: load the snapshot, the controller's view of every partition.
                for p in self
                    .topics
                    .values_mut()
                    .flat_map(|t| t.partitions.iter_mut())
                {
                    let state = (p.leader, p.isr.clone(), p.leader_epoch, p.partition_epoch);
                    if let Some(r) = p.replica.get_mut(&b.id) {
                        r.learn(
                            b.id,
                            state.0,
                            &state.1,
                            (state.2, state.3),
                            &p.replicas,
                            now,
                        );
                    }
                }
                b.metadata_offset = end;
                continue;
            };
            for record in records {
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

    pub(super) fn rules(&self) -> ReplicationRules {
        ReplicationRules {
            replica_lag_max_ticks: self.settings.replica_lag_max_ticks,
            fetch_max_records: self.settings.fetch_max_records as usize,
        }
    }

    /// One round of replication: followers fetch from the leader they know, leaders propose ISR
    /// changes (AlterPartition, which needs the controller) and advance their high watermarks.
    pub(super) fn replicate(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let rules = self.rules();
        let brokers: BTreeMap<BrokerId, &Broker> =
            sim::sort::collect_map(self.brokers.iter().map(|b| (b.id, b)));
        let controller = &mut self.controller;
        let controller_up = controller.active.is_some();
        // This round's traffic by broker id, counted once the brokers are no longer borrowed.
        let mut traffic = [Traffic::default(); BROKERS_MAX as usize + 1];
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
                        if let FetchOutcome::Copied { bytes, .. } = outcome {
                            traffic[usize::from(follower.0)].replication_bytes_in += bytes;
                            traffic[usize::from(leader.0)].replication_bytes_out += bytes;
                        }
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
                            let isr_before = p.isr.len();
                            let accepted = controller
                                .alter_partition(&topic.name, p, leader, epochs, isr, now)
                                .is_ok();
                            if accepted {
                                count_isr_change(
                                    &mut traffic[usize::from(leader.0)],
                                    isr_before,
                                    p.isr.len(),
                                );
                            }
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
        for b in &mut self.brokers {
            let counted = traffic[usize::from(b.id.0)];
            if counted != Traffic::default() {
                b.traffic.record(now, |t| t.add(&counted));
            }
        }
    }

    /// After a command or a tick: brokers learn new metadata, the partitions' serving state is
    /// refreshed, new metadata records become events, and every leader change re-checks the
    /// ledger.
    pub(super) fn settle(
        &mut self,
        metadata_before: usize,
        now: Tick,
        events: &mut Vec<BrokerEvent>,
    ) {
        self.replay_metadata(now);
        self.refresh_serving();
        let new_records: Vec<MetadataChange> = self
            .controller
            .records_from(metadata_before)
            .unwrap_or_default()
            .iter()
            .map(|r| r.change.clone())
            .collect();
        for change in new_records {
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
    pub(super) fn refresh_serving(&mut self) {
        let brokers: BTreeMap<BrokerId, &Broker> =
            sim::sort::collect_map(self.brokers.iter().map(|b| (b.id, b)));
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

    /// Retention and compaction on every replica of a running broker, each below its own high
    /// watermark; the leader's results are reported.
    pub(super) fn clean_logs(&mut self, now: Tick, events: &mut Vec<BrokerEvent>) {
        let running: BTreeSet<BrokerId> =
            sim::sort::collect_set(self.brokers.iter().filter(|b| b.running()).map(|b| b.id));
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

    pub(super) fn sample_replication(&mut self, now: Tick) {
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

    /// Leader elections so far (every leader change after creation, including going offline),
    /// and how many of them were unclean.
    pub fn elections(&self) -> (u64, u64) {
        (self.controller.elections, self.controller.unclean_elections)
    }
}

/// An accepted AlterPartition is an ISR shrink or an expansion on its leader (Kafka's
/// `IsrShrinksPerSec` and `IsrExpandsPerSec`, marked when the leader's own request succeeds).
fn count_isr_change(traffic: &mut Traffic, before: usize, after: usize) {
    traffic.isr_shrinks += u64::from(after < before);
    traffic.isr_expands += u64::from(after > before);
}
