//! The KRaft controller (KRaft's PartitionChangeBuilder, KIP-631; KIP-631 and KIP-497): a small quorum of controller nodes with one active
//! controller, broker registrations with broker epochs, heartbeats and fencing, leader elections
//! (clean, unclean, preferred, on controlled shutdown), AlterPartition, and the metadata log that
//! is the source of every partition's leader, ISR and epochs. Brokers learn changes by replaying
//! the log ([`super::replication::Replica::learn`]).

use super::topic::{ElectionKind, Partition, Topic};
use super::{BrokerId, PartitionId};
use sim::clock::Tick;
use std::collections::BTreeMap;
use std::fmt;

/// Controller nodes in the quorum.
pub const CONTROLLER_NODES: u8 = 3;
/// `controller.quorum.fetch.timeout.ms` (2 s) in ticks: how long a follower of the quorum goes
/// without a good fetch from the active controller before it stands as a candidate.
pub const CONTROLLER_FETCH_TIMEOUT_TICKS: u64 = 20;
/// Ticks without an active controller before the quorum has elected one: the fetch timeout, then
/// one vote round (a tick here). Kafka's KRaft (`QuorumConfig`, `QuorumState`) notices a crashed
/// controller this way, about 2 s; a split vote would add a random 1 to 2 s
/// (`controller.quorum.election.timeout.ms`), which the lab does not draw.
pub const CONTROLLER_ELECTION_TICKS: u64 = CONTROLLER_FETCH_TIMEOUT_TICKS + 1;
/// Metadata records kept; older ones give way to a snapshot (the controllers' current view),
/// which a broker that fell further behind loads instead of replaying.
pub const METADATA_LOG_RECORDS_MAX: usize = 5_000;

/// A controller node's id (shown as C1, C2, C3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControllerId(pub u8);

impl fmt::Display for ControllerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "controller C{}", self.0)
    }
}

/// One node of the controller quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerNode {
    pub id: ControllerId,
    pub running: bool,
}

/// What the controller knows of a broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// Given at each registration, increasing: a restarted broker gets a new one.
    pub broker_epoch: u64,
    pub last_heartbeat: Tick,
    pub fenced: bool,
    pub shutting_down: bool,
}

/// One entry of `__cluster_metadata`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataChange {
    ControllerElected {
        controller: ControllerId,
        term: u32,
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
    PartitionChanged {
        topic: String,
        partition: PartitionId,
        leader: Option<BrokerId>,
        isr: Vec<BrokerId>,
        leader_epoch: u32,
        partition_epoch: u32,
        /// Set when the leader changed (or the partition went offline); `None` for ISR changes.
        election: Option<ElectionKind>,
    },
}

/// A metadata-log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataRecord {
    pub offset: u64,
    pub at: Tick,
    /// The Raft term (controller epoch) it was written in.
    pub term: u32,
    pub change: MetadataChange,
}

/// The controller quorum and the metadata it owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    pub(crate) nodes: Vec<ControllerNode>,
    pub(crate) active: Option<ControllerId>,
    pub(crate) term: u32,
    /// When the quorum lost its active controller.
    pub(crate) vacant_since: Option<Tick>,
    pub(crate) registrations: BTreeMap<BrokerId, Registration>,
    /// The newest metadata records, oldest first; the first has offset `log_start`.
    pub(crate) log: Vec<MetadataRecord>,
    /// Offset of `log[0]`: records before it were folded into the snapshot.
    pub(crate) log_start: usize,
    /// Leader elections so far (leader changes after creation, including going offline), and
    /// how many were unclean; counted here because old records give way to snapshots.
    pub(crate) elections: u64,
    pub(crate) unclean_elections: u64,
    next_broker_epoch: u64,
}

/// Why an AlterPartition request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlterPartitionError {
    NoActiveController,
    /// The sender is not the leader of the current leader epoch.
    FencedLeaderEpoch,
    /// The request was built on an older partition state.
    InvalidUpdateVersion,
    /// A replica to add is fenced, shutting down or unknown.
    IneligibleReplica,
}

impl Controller {
    pub fn nodes(&self) -> &[ControllerNode] {
        &self.nodes
    }

    pub fn active(&self) -> Option<ControllerId> {
        self.active
    }

    pub fn term(&self) -> u32 {
        self.term
    }

    /// When the quorum lost its active controller.
    pub fn vacant_since(&self) -> Option<Tick> {
        self.vacant_since
    }

    pub fn registrations(&self) -> &BTreeMap<BrokerId, Registration> {
        &self.registrations
    }

    /// The newest metadata records, oldest first; the first has offset `log_start`.
    pub fn log(&self) -> &[MetadataRecord] {
        &self.log
    }

    /// Offset of `log[0]`: records before it were folded into the snapshot.
    pub fn log_start(&self) -> usize {
        self.log_start
    }

    /// Leader elections so far (leader changes after creation, including going offline), and
    /// how many were unclean; counted here because old records give way to snapshots.
    pub fn elections(&self) -> u64 {
        self.elections
    }

    pub fn unclean_elections(&self) -> u64 {
        self.unclean_elections
    }

    /// A quorum of [`CONTROLLER_NODES`] with C1 active and `brokers` registered and unfenced.
    pub fn new(brokers: &[BrokerId], now: Tick) -> Controller {
        let mut c = Controller {
            nodes: (1..=CONTROLLER_NODES)
                .map(|id| ControllerNode {
                    id: ControllerId(id),
                    running: true,
                })
                .collect(),
            active: Some(ControllerId(1)),
            term: 1,
            vacant_since: None,
            registrations: BTreeMap::new(),
            log: Vec::new(),
            log_start: 0,
            elections: 0,
            unclean_elections: 0,
            next_broker_epoch: 1,
        };
        c.append(
            now,
            MetadataChange::ControllerElected {
                controller: ControllerId(1),
                term: 1,
            },
        );
        for b in brokers {
            c.register(*b, now);
            c.registrations.get_mut(b).expect("registered").fenced = false;
        }
        c
    }

    /// The offset the next record will get.
    pub fn end_offset(&self) -> usize {
        self.log_start + self.log.len()
    }

    /// The records from `offset` on, or `None` when they were folded into the snapshot.
    pub fn records_from(&self, offset: usize) -> Option<&[MetadataRecord]> {
        self.log.get(offset.checked_sub(self.log_start)?..)
    }

    /// Folds the oldest half of the log into the snapshot once it holds more than
    /// [`METADATA_LOG_RECORDS_MAX`] records.
    pub fn compact_log(&mut self) {
        if self.log.len() > METADATA_LOG_RECORDS_MAX {
            let dropped = self.log.len() / 2;
            self.log.drain(..dropped);
            self.log_start += dropped;
        }
    }

    fn append(&mut self, at: Tick, change: MetadataChange) {
        let offset = self.end_offset() as u64;
        self.log.push(MetadataRecord {
            offset,
            at,
            term: self.term,
            change,
        });
    }

    /// A broker (re)registers: a new broker epoch, fenced until its first heartbeat.
    pub fn register(&mut self, broker: BrokerId, now: Tick) {
        let broker_epoch = self.next_broker_epoch;
        self.next_broker_epoch += 1;
        self.registrations.insert(
            broker,
            Registration {
                broker_epoch,
                last_heartbeat: now,
                fenced: true,
                shutting_down: false,
            },
        );
        self.append(
            now,
            MetadataChange::BrokerRegistered {
                broker,
                broker_epoch,
            },
        );
    }

    /// Unfenced, registered and not shutting down: may lead, and may join an ISR.
    pub fn eligible(&self, broker: BrokerId) -> bool {
        self.registrations
            .get(&broker)
            .is_some_and(|r| !r.fenced && !r.shutting_down)
    }

    pub fn quorum_size(&self) -> usize {
        self.nodes.len()
    }

    pub fn running_nodes(&self) -> usize {
        self.nodes.iter().filter(|n| n.running).count()
    }

    /// A controller node stops; if it was active, the quorum has none until an election.
    pub fn kill_node(&mut self, id: ControllerId, now: Tick) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.id == id) {
            node.running = false;
        }
        if self.active == Some(id) {
            self.active = None;
            self.vacant_since = Some(now);
        }
    }

    pub fn restart_node(&mut self, id: ControllerId) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.id == id) {
            node.running = true;
        }
    }

    /// Elects an active controller once the election timeout has passed and a majority of the
    /// quorum runs. The new controller gives every broker a fresh session (it has not seen their
    /// heartbeats). Returns the new controller.
    pub fn maybe_elect(&mut self, now: Tick) -> Option<ControllerId> {
        if self.active.is_some() {
            return None;
        }
        let since = *self.vacant_since.get_or_insert(now);
        let majority = self.running_nodes() * 2 > self.quorum_size();
        if !majority || now.ticks_since(since) < CONTROLLER_ELECTION_TICKS {
            return None;
        }
        // Raft elects whichever candidate times out first; the lab takes the lowest running id.
        let winner = self.nodes.iter().find(|n| n.running)?.id;
        self.active = Some(winner);
        self.vacant_since = None;
        self.term += 1;
        for r in self.registrations.values_mut() {
            r.last_heartbeat = now;
        }
        let term = self.term;
        self.append(
            now,
            MetadataChange::ControllerElected {
                controller: winner,
                term,
            },
        );
        Some(winner)
    }

    /// A heartbeat from a running broker: renews its session, and unfences it.
    /// Returns true when the broker was unfenced by it.
    pub fn heartbeat(&mut self, broker: BrokerId, now: Tick) -> bool {
        let Some(r) = self.registrations.get_mut(&broker) else {
            return false;
        };
        r.last_heartbeat = now;
        if r.fenced && !r.shutting_down {
            r.fenced = false;
            self.append(now, MetadataChange::BrokerUnfenced { broker });
            return true;
        }
        false
    }

    /// Brokers whose session ran out.
    pub fn expired_sessions(&self, now: Tick, session_timeout_ticks: u64) -> Vec<BrokerId> {
        self.registrations
            .iter()
            .filter(|(_, r)| !r.fenced && now.ticks_since(r.last_heartbeat) > session_timeout_ticks)
            .map(|(b, _)| *b)
            .collect()
    }

    /// Fences `broker`: it leaves every ISR it is in (but never empties one) and loses its
    /// leaderships, which go to the next eligible replicas (KRaft's PartitionChangeBuilder, KIP-631).
    pub fn fence(
        &mut self,
        broker: BrokerId,
        reason: &'static str,
        topics: &mut BTreeMap<String, Topic>,
        now: Tick,
    ) {
        let Some(r) = self.registrations.get_mut(&broker) else {
            return;
        };
        if r.fenced {
            return;
        }
        r.fenced = true;
        self.append(now, MetadataChange::BrokerFenced { broker, reason });
        self.remove_from_partitions(broker, topics, now, ElectionKind::Clean);
    }

    /// Controlled shutdown: leaderships move to other in-sync replicas first, the broker leaves
    /// the ISRs, then it is fenced.
    pub fn shut_down(&mut self, broker: BrokerId, topics: &mut BTreeMap<String, Topic>, now: Tick) {
        let Some(r) = self.registrations.get_mut(&broker) else {
            return;
        };
        r.shutting_down = true;
        self.remove_from_partitions(broker, topics, now, ElectionKind::ControlledShutdown);
        if let Some(r) = self.registrations.get_mut(&broker) {
            r.fenced = true;
        }
        self.append(
            now,
            MetadataChange::BrokerFenced {
                broker,
                reason: "controlled shutdown",
            },
        );
    }

    fn remove_from_partitions(
        &mut self,
        broker: BrokerId,
        topics: &mut BTreeMap<String, Topic>,
        now: Tick,
        kind: ElectionKind,
    ) {
        for topic in topics.values_mut() {
            let unclean = topic.settings.unclean_leader_election;
            for p in &mut topic.partitions {
                if !p.isr.contains(&broker) && p.leader != Some(broker) {
                    continue;
                }
                let mut isr: Vec<BrokerId> =
                    p.isr.iter().copied().filter(|b| *b != broker).collect();
                if isr.is_empty() {
                    isr = vec![broker];
                }
                if p.leader == Some(broker) {
                    let (leader, isr, kind) = self.choose_leader(p, &isr, unclean, kind);
                    self.change(&topic.name, p, leader, isr, Some(kind), now);
                } else {
                    self.change(&topic.name, p, p.leader, isr, None, now);
                }
            }
        }
    }

    /// The leader and ISR after the current leader is gone, from the ISR `isr` (KRaft's PartitionChangeBuilder, KIP-631).
    fn choose_leader(
        &self,
        p: &Partition,
        isr: &[BrokerId],
        unclean_allowed: bool,
        kind: ElectionKind,
    ) -> (Option<BrokerId>, Vec<BrokerId>, ElectionKind) {
        if let Some(b) = p
            .replicas
            .iter()
            .find(|b| isr.contains(b) && self.eligible(**b))
        {
            return (Some(*b), isr.to_vec(), kind);
        }
        if unclean_allowed {
            if let Some(b) = p.replicas.iter().find(|b| self.eligible(**b)) {
                return (Some(*b), vec![*b], ElectionKind::Unclean);
            }
        }
        (None, isr.to_vec(), ElectionKind::Offline)
    }

    /// Elects leaders for offline partitions that now have an eligible replica (after a broker
    /// comes back, or unclean election is switched on). Returns how many came back.
    pub fn elect_offline(&mut self, topics: &mut BTreeMap<String, Topic>, now: Tick) -> usize {
        let mut elected = 0;
        for topic in topics.values_mut() {
            let unclean = topic.settings.unclean_leader_election;
            for p in &mut topic.partitions {
                if p.leader.is_some() {
                    continue;
                }
                let isr = p.isr.clone();
                let (leader, isr, kind) = self.choose_leader(p, &isr, unclean, ElectionKind::Clean);
                if leader.is_some() {
                    self.change(&topic.name, p, leader, isr, Some(kind), now);
                    elected += 1;
                }
            }
        }
        elected
    }

    /// Moves leadership back to each partition's preferred replica where it is in sync and
    /// eligible. Returns how many moved.
    pub fn elect_preferred(&mut self, topics: &mut BTreeMap<String, Topic>, now: Tick) -> usize {
        let mut moved = 0;
        for topic in topics.values_mut() {
            for p in &mut topic.partitions {
                let preferred = p.replicas[0];
                if p.leader != Some(preferred)
                    && p.isr.contains(&preferred)
                    && self.eligible(preferred)
                {
                    let isr = p.isr.clone();
                    self.change(
                        &topic.name,
                        p,
                        Some(preferred),
                        isr,
                        Some(ElectionKind::Preferred),
                        now,
                    );
                    moved += 1;
                }
            }
        }
        moved
    }

    /// AlterPartition from `leader` (KIP-631 and KIP-497): accepted only from the current leader, on the current
    /// partition epoch, adding only eligible replicas; bumps the partition epoch.
    pub fn alter_partition(
        &mut self,
        topic: &str,
        p: &mut Partition,
        leader: BrokerId,
        epochs: (u32, u32),
        isr: Vec<BrokerId>,
        now: Tick,
    ) -> Result<(), AlterPartitionError> {
        if self.active.is_none() {
            return Err(AlterPartitionError::NoActiveController);
        }
        let (leader_epoch, partition_epoch) = epochs;
        if p.leader != Some(leader) || p.leader_epoch != leader_epoch {
            return Err(AlterPartitionError::FencedLeaderEpoch);
        }
        if p.partition_epoch != partition_epoch {
            return Err(AlterPartitionError::InvalidUpdateVersion);
        }
        if isr.iter().any(|b| !p.isr.contains(b) && !self.eligible(*b)) {
            return Err(AlterPartitionError::IneligibleReplica);
        }
        self.change(topic, p, Some(leader), isr, None, now);
        Ok(())
    }

    /// Records a partition change and applies it to the controller's view of the partition. A
    /// new leader (or going offline) bumps the leader epoch; every change bumps the partition
    /// epoch.
    pub fn change(
        &mut self,
        topic: &str,
        p: &mut Partition,
        leader: Option<BrokerId>,
        isr: Vec<BrokerId>,
        election: Option<ElectionKind>,
        now: Tick,
    ) {
        if let Some(kind) = election {
            p.leader_epoch += 1;
            p.last_election = kind;
            self.elections += 1;
            self.unclean_elections += u64::from(kind == ElectionKind::Unclean);
        }
        p.partition_epoch += 1;
        p.leader = leader;
        p.isr = isr;
        let change = MetadataChange::PartitionChanged {
            topic: topic.to_string(),
            partition: p.id,
            leader,
            isr: p.isr.clone(),
            leader_epoch: p.leader_epoch,
            partition_epoch: p.partition_epoch,
            election,
        };
        self.append(now, change);
    }

    /// Records a new topic's partitions.
    pub fn topic_created(&mut self, topic: &Topic, now: Tick) {
        for p in &topic.partitions {
            let change = MetadataChange::PartitionChanged {
                topic: topic.name.clone(),
                partition: p.id,
                leader: p.leader,
                isr: p.isr.clone(),
                leader_epoch: p.leader_epoch,
                partition_epoch: p.partition_epoch,
                election: Some(ElectionKind::Initial),
            };
            self.append(now, change);
        }
    }
}
