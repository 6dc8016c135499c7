//! The replication invariants, defined once: the safety properties of the TLA+ models of Kafka
//! replication (KIP-101, KIP-279, KIP-320; docs/testing.md) as checks on a [`Cluster`].
//!
//! Three users run the same [`Checker`]: the lab after every tick in debug builds (so every test
//! that drives a lab checks them for free), `lab scenario run` (which prints what it finds and
//! fails on a breach), and the property tests over random fault schedules
//! (`crates/lab/tests/replication_properties.rs`).
//!
//! Most invariants look at one state. Two need memory, which the checker keeps between checks:
//! the high watermark each leader had in its epoch (it may never go back), and whether unclean
//! leader election was ever enabled or ever happened (it permits exactly two violations: replicas
//! that disagree below their high watermarks, and lost acks=all writes; see
//! [`Violation::unclean_may_break`]). The lab's debug check keeps nothing in the lab: it starts a
//! checker [`watching`](Checker::watching) the cluster before each tick, so it compares the high
//! watermarks tick to tick, and learns of unclean election from the cluster itself (a topic's
//! setting, or the controller's count of unclean elections).

use crate::cluster::Cluster;
use crate::group::{ConsumerId, TopicPartition};
use crate::log::{Offset, PartitionLog};
use crate::narrate;
use crate::producer::Acks;
use crate::topic::Partition;
use crate::BrokerId;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One broken invariant, naming the partition, brokers and offsets involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// The ISR has no member.
    EmptyIsr { tp: TopicPartition },
    /// The leader is not in the ISR.
    LeaderOutsideIsr {
        tp: TopicPartition,
        leader: BrokerId,
        isr: Vec<BrokerId>,
    },
    /// A fenced broker shares the ISR with others (fencing removes it unless it is the last).
    FencedInIsr {
        tp: TopicPartition,
        broker: BrokerId,
        isr: Vec<BrokerId>,
    },
    /// A replica's high watermark is below its log start or above its log end.
    HwOutsideLog {
        tp: TopicPartition,
        broker: BrokerId,
        log_start: Offset,
        hw: Offset,
        leo: Offset,
    },
    /// A replica's log holds `offset` right after `previous`, which is not lower.
    OffsetsNotIncreasing {
        tp: TopicPartition,
        broker: BrokerId,
        previous: Offset,
        offset: Offset,
    },
    /// A leader's high watermark went back within its leader epoch.
    LeaderHwWentBack {
        tp: TopicPartition,
        broker: BrokerId,
        epoch: u32,
        from: Offset,
        to: Offset,
    },
    /// An ISR member lacks (or holds different) records below the leader's high watermark.
    StrongIsr {
        tp: TopicPartition,
        leader: BrokerId,
        member: BrokerId,
        hw: Offset,
    },
    /// Two replicas hold different records below the lesser of their high watermarks.
    LogMatching {
        tp: TopicPartition,
        brokers: (BrokerId, BrokerId),
        below: Offset,
    },
    /// Writes acknowledged with acks=all are gone from the leader (from the ledger).
    AcksAllWritesLost {
        tp: TopicPartition,
        count: usize,
        first: Offset,
        last: Offset,
    },
}

impl Violation {
    /// The invariant's name, one word, as reports print it.
    pub fn invariant(&self) -> &'static str {
        match self {
            Violation::EmptyIsr { .. } => "IsrNotEmpty",
            Violation::LeaderOutsideIsr { .. } => "LeaderInIsr",
            Violation::FencedInIsr { .. } => "FencedBrokerAloneInIsr",
            Violation::HwOutsideLog { .. } => "HwWithinLog",
            Violation::OffsetsNotIncreasing { .. } => "OffsetsIncrease",
            Violation::LeaderHwWentBack { .. } => "LeaderHwMonotonic",
            Violation::StrongIsr { .. } => "StrongIsr",
            Violation::LogMatching { .. } => "LogMatching",
            Violation::AcksAllWritesLost { .. } => "NoCommittedRecordLost",
        }
    }

    /// The partition it is about.
    pub fn tp(&self) -> &TopicPartition {
        match self {
            Violation::EmptyIsr { tp }
            | Violation::LeaderOutsideIsr { tp, .. }
            | Violation::FencedInIsr { tp, .. }
            | Violation::HwOutsideLog { tp, .. }
            | Violation::OffsetsNotIncreasing { tp, .. }
            | Violation::LeaderHwWentBack { tp, .. }
            | Violation::StrongIsr { tp, .. }
            | Violation::LogMatching { tp, .. }
            | Violation::AcksAllWritesLost { tp, .. } => tp,
        }
    }

    /// Whether an unclean leader election may break this invariant: an out-of-sync replica that
    /// takes over makes the others truncate records they had committed, so replicas disagree
    /// below their high watermarks and acknowledged writes are lost. Everything else holds even
    /// then.
    pub fn unclean_may_break(&self) -> bool {
        matches!(
            self,
            Violation::LogMatching { .. } | Violation::AcksAllWritesLost { .. }
        )
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::EmptyIsr { tp } => write!(f, "{tp} has an empty ISR"),
            Violation::LeaderOutsideIsr { tp, leader, isr } => write!(
                f,
                "{tp}: the leader, {leader}, is not in the ISR {}",
                narrate::brokers(isr)
            ),
            Violation::FencedInIsr { tp, broker, isr } => write!(
                f,
                "{tp}: fenced {broker} is in the ISR {} with others",
                narrate::brokers(isr)
            ),
            Violation::HwOutsideLog {
                tp,
                broker,
                log_start,
                hw,
                leo,
            } => write!(
                f,
                "{tp} on {broker}: HW {hw} is outside the log (log start {log_start}, LEO {leo})"
            ),
            Violation::OffsetsNotIncreasing {
                tp,
                broker,
                previous,
                offset,
            } => write!(f, "{tp} on {broker}: offset {offset} follows offset {previous}"),
            Violation::LeaderHwWentBack {
                tp,
                broker,
                epoch,
                from,
                to,
            } => write!(
                f,
                "{tp}: leader {broker}'s HW went back from {from} to {to} in epoch {epoch}"
            ),
            Violation::StrongIsr {
                tp,
                leader,
                member,
                hw,
            } => write!(
                f,
                "{tp}: ISR member {member} does not hold leader {leader}'s records below its HW {hw}"
            ),
            Violation::LogMatching {
                tp,
                brokers: (a, b),
                below,
            } => write!(
                f,
                "{tp}: {a} and {b} hold different records below offset {below}, their lesser HW"
            ),
            Violation::AcksAllWritesLost {
                tp,
                count,
                first,
                last,
            } => write!(
                f,
                "{tp}: {count} acknowledged acks=all record(s) lost (offsets {first} to {last})"
            ),
        }
    }
}

/// Checks a cluster's replication invariants, remembering what spans checks. Check after every
/// tick (and, for the finest grain, after every command).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checker {
    /// (partition, leader, leader epoch) -> the leader's HW at the latest check.
    leader_hw: BTreeMap<(TopicPartition, BrokerId, u32), Offset>,
    /// Unclean leader election was enabled on a topic at a check, or has happened.
    unclean_seen: bool,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// A checker that has seen `cluster` as it is now, without checking it: the next check
    /// compares the leaders' high watermarks with these.
    pub fn watching(cluster: &Cluster) -> Checker {
        let mut checker = Checker::new();
        checker.remember(cluster);
        checker
    }

    /// Whether unclean leader election was enabled at a check, or has happened.
    pub fn unclean_seen(&self) -> bool {
        self.unclean_seen
    }

    /// Whether `violation` is one unclean leader election permits, and unclean election was seen.
    pub fn permits(&self, violation: &Violation) -> bool {
        self.unclean_seen && violation.unclean_may_break()
    }

    /// The highest HW a leader of `tp` had in leader epoch `epoch`, at the checks so far.
    pub fn highest_leader_hw(&self, tp: &TopicPartition, epoch: u32) -> Option<Offset> {
        self.leader_hw
            .iter()
            .filter(|((t, _, e), _)| t == tp && *e == epoch)
            .map(|(_, hw)| *hw)
            .max()
    }

    /// Every invariant `cluster` breaks now, including those [`Checker::permits`].
    pub fn check(&mut self, cluster: &Cluster) -> Vec<Violation> {
        let mut found = Vec::new();
        for topic in cluster.topics().values() {
            for p in &topic.partitions {
                let tp = TopicPartition {
                    topic: topic.name.clone(),
                    partition: p.id,
                };
                check_isr(cluster, &tp, p, &mut found);
                check_replica_logs(&tp, p, &mut found);
                self.check_leader_hw(cluster, &tp, p, &mut found);
                check_agreement(&tp, p, &mut found);
            }
        }
        check_acks_all_losses(cluster, &mut found);
        self.note_unclean(cluster);
        found
    }

    /// The violations of [`Checker::check`] that unclean election does not permit: bugs.
    pub fn breaches(&mut self, cluster: &Cluster) -> Vec<Violation> {
        let mut found = self.check(cluster);
        found.retain(|v| !self.permits(v));
        found
    }

    /// Panics, listing them, if `cluster` breaks invariants unclean election does not permit.
    pub fn assert_hold(&mut self, cluster: &Cluster, at: sim::clock::Tick) {
        let breaches = self.breaches(cluster);
        if !breaches.is_empty() {
            let lines: Vec<String> = breaches
                .iter()
                .map(|v| format!("  {}: {v}", v.invariant()))
                .collect();
            panic!(
                "replication invariants broken at {at}:\n{}",
                lines.join("\n")
            );
        }
    }

    fn remember(&mut self, cluster: &Cluster) {
        for topic in cluster.topics().values() {
            for p in &topic.partitions {
                let tp = TopicPartition {
                    topic: topic.name.clone(),
                    partition: p.id,
                };
                for (b, r) in running_leaders(cluster, p) {
                    self.leader_hw.insert((tp.clone(), b, r.known_epoch), r.hw);
                }
            }
        }
        self.note_unclean(cluster);
    }

    fn note_unclean(&mut self, cluster: &Cluster) {
        self.unclean_seen |= cluster.elections().1 > 0
            || cluster
                .topics()
                .values()
                .any(|t| t.settings.unclean_leader_election);
    }

    /// A leader's HW never goes back within its epoch.
    fn check_leader_hw(
        &mut self,
        cluster: &Cluster,
        tp: &TopicPartition,
        p: &Partition,
        found: &mut Vec<Violation>,
    ) {
        for (b, r) in running_leaders(cluster, p) {
            let key = (tp.clone(), b, r.known_epoch);
            if let Some(before) = self.leader_hw.insert(key, r.hw) {
                if r.hw < before {
                    found.push(Violation::LeaderHwWentBack {
                        tp: tp.clone(),
                        broker: b,
                        epoch: r.known_epoch,
                        from: before,
                        to: r.hw,
                    });
                }
            }
        }
    }
}

/// Replicas whose broker runs and believes it leads.
fn running_leaders<'a>(
    cluster: &'a Cluster,
    p: &'a Partition,
) -> impl Iterator<Item = (BrokerId, &'a crate::replication::Replica)> + 'a {
    p.replica
        .iter()
        .filter(move |(b, r)| {
            r.leading.is_some() && cluster.broker(**b).is_some_and(|x| x.running())
        })
        .map(|(b, r)| (*b, r))
}

/// The ISR is not empty, holds the leader, and holds a fenced broker only alone.
fn check_isr(cluster: &Cluster, tp: &TopicPartition, p: &Partition, found: &mut Vec<Violation>) {
    if p.isr.is_empty() {
        found.push(Violation::EmptyIsr { tp: tp.clone() });
    }
    if let Some(leader) = p.leader.filter(|l| !p.isr.contains(l)) {
        found.push(Violation::LeaderOutsideIsr {
            tp: tp.clone(),
            leader,
            isr: p.isr.clone(),
        });
    }
    let registrations = &cluster.controller().registrations;
    for b in &p.isr {
        let fenced = registrations.get(b).is_some_and(|r| r.fenced);
        if fenced && p.isr.len() > 1 {
            found.push(Violation::FencedInIsr {
                tp: tp.clone(),
                broker: *b,
                isr: p.isr.clone(),
            });
        }
    }
}

/// On every replica: log start <= HW <= LEO, and offsets strictly increase.
fn check_replica_logs(tp: &TopicPartition, p: &Partition, found: &mut Vec<Violation>) {
    for (b, r) in &p.replica {
        let (log_start, leo) = (r.log.log_start(), r.log.leo());
        if !(log_start <= r.hw && r.hw <= leo) {
            found.push(Violation::HwOutsideLog {
                tp: tp.clone(),
                broker: *b,
                log_start,
                hw: r.hw,
                leo,
            });
        }
        let mut previous: Option<Offset> = None;
        for record in r.log.records() {
            if let Some(previous) = previous.filter(|o| *o >= record.offset) {
                found.push(Violation::OffsetsNotIncreasing {
                    tp: tp.clone(),
                    broker: *b,
                    previous,
                    offset: record.offset,
                });
                break;
            }
            previous = Some(record.offset);
        }
    }
}

/// StrongIsr (every ISR member holds the leader's records below the leader's HW) and log
/// matching (any two replicas agree below the lesser of their HWs).
fn check_agreement(tp: &TopicPartition, p: &Partition, found: &mut Vec<Violation>) {
    if let Some((leader, l)) = p.leader.and_then(|b| Some((b, p.replica.get(&b)?))) {
        for member in &p.isr {
            let holds = p
                .replica
                .get(member)
                .is_some_and(|m| agree_below(&l.log, &m.log, l.hw));
            if !holds {
                found.push(Violation::StrongIsr {
                    tp: tp.clone(),
                    leader,
                    member: *member,
                    hw: l.hw,
                });
            }
        }
    }
    let replicas: Vec<_> = p.replica.iter().collect();
    for (i, (a, ra)) in replicas.iter().enumerate() {
        for (b, rb) in &replicas[i + 1..] {
            let below = ra.hw.min(rb.hw);
            if !agree_below(&ra.log, &rb.log, below) {
                found.push(Violation::LogMatching {
                    tp: tp.clone(),
                    brokers: (**a, **b),
                    below,
                });
            }
        }
    }
}

/// No acknowledged acks=all write is lost (as the ledger finds them), one violation per
/// partition.
fn check_acks_all_losses(cluster: &Cluster, found: &mut Vec<Violation>) {
    let mut lost: BTreeMap<&TopicPartition, (usize, Offset, Offset)> = BTreeMap::new();
    for l in cluster.ledger().lost.iter().filter(|l| l.acks == Acks::All) {
        let (count, first, last) = lost.entry(&l.tp).or_insert((0, l.offset, l.offset));
        *count += 1;
        *first = (*first).min(l.offset);
        *last = (*last).max(l.offset);
    }
    for (tp, (count, first, last)) in lost {
        found.push(Violation::AcksAllWritesLost {
            tp: tp.clone(),
            count,
            first,
            last,
        });
    }
}

/// Whether two logs hold the same records (by leader epoch) at every offset below `end`, with
/// both reaching `end`.
fn agree_below(a: &PartitionLog, b: &PartitionLog, end: Offset) -> bool {
    if a.leo() < end || b.leo() < end {
        return false;
    }
    let from = a.log_start().max(b.log_start());
    let mut boundaries: BTreeSet<Offset> = sim::sort::collect_set(
        a.epochs()
            .iter()
            .chain(b.epochs())
            .map(|(_, start)| (*start).max(from))
            .filter(|o| *o < end),
    );
    if from < end {
        boundaries.insert(from);
    }
    boundaries.iter().all(|o| a.epoch_at(*o) == b.epoch_at(*o))
}

/// A broken consumer-group invariant (KIP-848's, which the classic protocol keeps too for
/// partitions held by running consumers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupViolation {
    /// Two running consumers of one group own the same partition.
    TwoOwners {
        group: String,
        tp: TopicPartition,
        consumers: (ConsumerId, ConsumerId),
    },
    /// The KIP-848 coordinator counts a partition as owned (assigned or pending revocation) by
    /// two members.
    TwoOwnersAtCoordinator {
        group: String,
        tp: TopicPartition,
        members: Vec<String>,
    },
    /// A KIP-848 member's epoch is past its group's epoch.
    MemberEpochAhead {
        group: String,
        member: String,
        epoch: u32,
        group_epoch: u32,
    },
}

/// The group invariants, checked in any state: never two owners of a partition, on the
/// consumers' side or at the coordinator, and member epoch ≤ group epoch. (Convergence once
/// churn stops, the third, is `kip848::Coordinator::converged`, asserted by the property tests.)
pub fn group_violations(cluster: &Cluster) -> Vec<GroupViolation> {
    let mut found = Vec::new();
    let mut owner: BTreeMap<(&str, &TopicPartition), ConsumerId> = BTreeMap::new();
    for c in cluster.consumers().values().filter(|c| c.is_running()) {
        for tp in c.owned() {
            if let Some(first) = owner.insert((c.group(), tp), c.id()) {
                found.push(GroupViolation::TwoOwners {
                    group: c.group().to_string(),
                    tp: tp.clone(),
                    consumers: (first, c.id()),
                });
            }
        }
    }
    for (name, g) in cluster.groups() {
        let coordinator = g.coordinator();
        for (tp, members) in coordinator.owners() {
            if members.len() > 1 {
                found.push(GroupViolation::TwoOwnersAtCoordinator {
                    group: name.clone(),
                    tp,
                    members,
                });
            }
        }
        for (id, m) in &coordinator.members {
            if m.reconciliation.epoch > coordinator.group_epoch {
                found.push(GroupViolation::MemberEpochAhead {
                    group: name.clone(),
                    member: id.clone(),
                    epoch: m.reconciliation.epoch,
                    group_epoch: coordinator.group_epoch,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::BrokerCommand;
    use crate::ledger::LostWrite;
    use crate::log::{Batch, Record};
    use crate::producer::{ProducerConfig, ProducerId};
    use crate::topic::TopicSettings;
    use crate::PartitionId;
    use sim::clock::Tick;
    use sim::rng::{Rng, Seed};
    use std::rc::Rc;

    /// Three brokers, orders-0 replicated to all three, ten acks=all records committed.
    fn healthy() -> Cluster {
        let mut cluster = Cluster::new(3, Rng::new(Seed(1)));
        let settings = TopicSettings {
            replication_factor: 3,
            ..TopicSettings::default()
        };
        let commands = [
            BrokerCommand::CreateTopic {
                name: "orders".into(),
                partitions: 1,
                settings,
            },
            BrokerCommand::AddProducer {
                config: ProducerConfig::default(),
            },
            BrokerCommand::Produce {
                producer: ProducerId(1),
                topic: "orders".into(),
                partition: None,
                key: Some("k{n}".into()),
                value: Some("v{n}".into()),
                count: 10,
                header: None,
            },
        ];
        for command in &commands {
            cluster.apply(command, Tick(0)).unwrap();
        }
        for t in 0..10 {
            cluster.tick(Tick(t));
        }
        let p = &cluster.topic("orders").unwrap().partitions[0];
        assert_eq!(p.isr.len(), 3);
        assert!(p.replica.values().all(|r| r.hw == Offset(10)));
        cluster
    }

    fn orders_0(cluster: &mut Cluster) -> &mut Partition {
        &mut cluster.topics_mut().get_mut("orders").unwrap().partitions[0]
    }

    fn leader(cluster: &Cluster) -> BrokerId {
        cluster.topic("orders").unwrap().partitions[0]
            .leader
            .unwrap()
    }

    /// A follower of orders-0.
    fn follower(cluster: &Cluster) -> BrokerId {
        let p = &cluster.topic("orders").unwrap().partitions[0];
        *p.replicas.iter().find(|b| Some(**b) != p.leader).unwrap()
    }

    /// The names of the invariants a fresh checker finds broken.
    fn broken(cluster: &Cluster) -> BTreeSet<&'static str> {
        let found = Checker::new().check(cluster);
        for v in &found {
            assert!(!v.to_string().is_empty());
            assert_eq!(v.tp().to_string(), "orders-0");
        }
        found.iter().map(Violation::invariant).collect()
    }

    fn batch(offsets: &[u64], leader_epoch: u32) -> Batch {
        let records = offsets
            .iter()
            .map(|o| Record {
                offset: Offset(*o),
                timestamp: Tick(0),
                key: Some(b"k".to_vec()),
                value: Some(b"v".to_vec()),
                headers: Vec::new(),
            })
            .collect();
        Batch {
            records: Rc::new(records),
            leader_epoch,
            producer: None,
            uncompressed_bytes: 10,
            size_bytes: 10,
            delete_horizon: None,
            kind: crate::log::BatchKind::Data,
        }
    }

    #[test]
    fn a_healthy_cluster_breaks_nothing() {
        let cluster = healthy();
        assert_eq!(broken(&cluster), BTreeSet::new());
        let mut checker = Checker::watching(&cluster);
        assert_eq!(checker.check(&cluster), Vec::new());
        assert!(!checker.unclean_seen());
    }

    #[test]
    fn an_empty_isr_is_caught() {
        let mut cluster = healthy();
        orders_0(&mut cluster).isr.clear();
        assert!(broken(&cluster).contains("IsrNotEmpty"));
    }

    #[test]
    fn a_leader_outside_the_isr_is_caught() {
        let mut cluster = healthy();
        let l = leader(&cluster);
        orders_0(&mut cluster).isr.retain(|b| *b != l);
        assert_eq!(broken(&cluster), BTreeSet::from(["LeaderInIsr"]));
    }

    #[test]
    fn a_fenced_broker_sharing_the_isr_is_caught() {
        let mut cluster = healthy();
        let f = follower(&cluster);
        let registration = cluster.controller_mut().registrations.get_mut(&f).unwrap();
        registration.fenced = true;
        assert_eq!(broken(&cluster), BTreeSet::from(["FencedBrokerAloneInIsr"]));
        orders_0(&mut cluster).isr = vec![f];
        assert!(
            !broken(&cluster).contains("FencedBrokerAloneInIsr"),
            "alone, it may stay"
        );
    }

    #[test]
    fn a_high_watermark_past_the_log_end_is_caught() {
        let mut cluster = healthy();
        let f = follower(&cluster);
        orders_0(&mut cluster).replica.get_mut(&f).unwrap().hw = Offset(11);
        assert!(broken(&cluster).contains("HwWithinLog"));
    }

    #[test]
    fn offsets_that_go_back_are_caught() {
        let mut cluster = healthy();
        let f = follower(&cluster);
        let log = &mut orders_0(&mut cluster).replica.get_mut(&f).unwrap().log;
        log.append_replicated(vec![batch(&[11, 10], 0)], Tick(10))
            .unwrap();
        assert_eq!(broken(&cluster), BTreeSet::from(["OffsetsIncrease"]));
    }

    #[test]
    fn a_leader_high_watermark_going_back_is_caught() {
        let mut cluster = healthy();
        let mut checker = Checker::watching(&cluster);
        let l = leader(&cluster);
        orders_0(&mut cluster).replica.get_mut(&l).unwrap().hw = Offset(4);
        let found = checker.check(&cluster);
        assert_eq!(
            found,
            vec![Violation::LeaderHwWentBack {
                tp: TopicPartition {
                    topic: "orders".into(),
                    partition: PartitionId(0),
                },
                broker: l,
                epoch: 0,
                from: Offset(10),
                to: Offset(4),
            }]
        );
        assert_eq!(
            found[0].to_string(),
            format!("orders-0: leader {l}'s HW went back from 10 to 4 in epoch 0")
        );
        assert!(Checker::new().check(&cluster).is_empty(), "it takes memory");
    }

    #[test]
    fn an_isr_member_missing_committed_records_is_caught() {
        let mut cluster = healthy();
        let f = follower(&cluster);
        let r = orders_0(&mut cluster).replica.get_mut(&f).unwrap();
        r.log.truncate_to(Offset(6));
        r.hw = Offset(6);
        assert_eq!(broken(&cluster), BTreeSet::from(["StrongIsr"]));
    }

    #[test]
    fn replicas_disagreeing_below_their_high_watermarks_are_caught_and_unclean_election_permits_it()
    {
        let mut cluster = healthy();
        let f = follower(&cluster);
        orders_0(&mut cluster).isr.retain(|b| *b != f);
        let r = orders_0(&mut cluster).replica.get_mut(&f).unwrap();
        r.log.truncate_to(Offset(6));
        r.log
            .append_replicated(vec![batch(&[6, 7, 8, 9], 3)], Tick(10))
            .unwrap();
        assert_eq!(broken(&cluster), BTreeSet::from(["LogMatching"]));
        let mut checker = Checker::new();
        assert_eq!(checker.breaches(&cluster).len(), 2, "with both others");
        let topic = cluster.topics_mut().get_mut("orders").unwrap();
        topic.settings.unclean_leader_election = true;
        assert_eq!(checker.check(&cluster).len(), 2);
        assert!(checker.unclean_seen());
        assert_eq!(checker.breaches(&cluster), Vec::new());
    }

    #[test]
    fn lost_acks_all_writes_are_caught_and_others_are_not() {
        let mut cluster = healthy();
        let lost = |offset, acks| LostWrite {
            send: offset,
            tp: TopicPartition {
                topic: "orders".into(),
                partition: PartitionId(0),
            },
            offset: Offset(offset),
            epoch: 0,
            acks,
            at: Tick(9),
            cause: "test".into(),
        };
        cluster.ledger_mut().lost.push(lost(3, Acks::One));
        assert_eq!(broken(&cluster), BTreeSet::new());
        cluster.ledger_mut().lost.push(lost(7, Acks::All));
        cluster.ledger_mut().lost.push(lost(5, Acks::All));
        let found = Checker::new().check(&cluster);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].to_string(),
            "orders-0: 2 acknowledged acks=all record(s) lost (offsets 5 to 7)"
        );
        assert!(found[0].unclean_may_break());
    }
}
