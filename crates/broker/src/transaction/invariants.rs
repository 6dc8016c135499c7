//! The transaction invariants (KIP-98's guarantees as checks on a [`Cluster`]), defined once and
//! run like the replication invariants of [`crate::invariants`]: by the lab after every tick in
//! debug builds, and by the property tests (`crates/lab/tests/transaction_properties.rs`).
//!
//! 1. No read_committed delivery is at or above the LSO, in an aborted transaction, or a marker
//!    (and no consumer ever gets a marker).
//! 2. LSO ≤ HW ≤ LEO on every leader, and the LSO never goes back within a leader epoch.
//! 3. Every COMMIT marker belongs to a (PID, epoch) the coordinator decided to commit: a fenced
//!    producer's epoch is refused before any decision, so it never commits.
//! 4. All markers of one (PID, epoch) have one type, on every partition (atomicity).
//! 5. No transaction stays Ongoing past its timeout plus one scan interval, and every
//!    transition follows Kafka's `TransactionState` table.
//!
//! Like the replication checker it remembers what spans checks (the LSO each leader had, the
//! deliveries already checked); an unclean election, which may cut committed records from a
//! log, suspends the per-delivery check the way it permits replication's two violations.

use crate::cluster::Cluster;
use crate::group::{ConsumerId, TopicPartition};
use crate::log::{stamp_epoch, stamp_producer, ControlType, IsolationLevel, Offset};
use crate::transaction::{TxnState, TIMEOUT_SCAN_INTERVAL_TICKS};
use crate::BrokerId;
use sim::clock::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One broken transaction invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnViolation {
    /// A read_committed consumer got a record at or above the LSO.
    ReadCommittedPastLso {
        consumer: ConsumerId,
        tp: TopicPartition,
        offset: Offset,
        lso: Offset,
    },
    /// A read_committed consumer got a record of an aborted transaction.
    ReadCommittedSawAborted {
        consumer: ConsumerId,
        tp: TopicPartition,
        offset: Offset,
    },
    /// A consumer got a transaction marker.
    MarkerDelivered {
        consumer: ConsumerId,
        tp: TopicPartition,
        offset: Offset,
    },
    /// Not LSO ≤ HW ≤ LEO on a leader.
    LsoOutsideLog {
        tp: TopicPartition,
        broker: BrokerId,
        lso: Offset,
        hw: Offset,
        leo: Offset,
    },
    /// A leader's LSO went back within its leader epoch.
    LsoWentBack {
        tp: TopicPartition,
        broker: BrokerId,
        from: Offset,
        to: Offset,
    },
    /// A COMMIT marker for a (PID, epoch) the coordinator never decided to commit.
    UndecidedCommit {
        tp: TopicPartition,
        producer_id: u64,
        epoch: u16,
        offset: Offset,
    },
    /// Markers (or decisions) of both types for one (PID, epoch).
    MixedOutcome { producer_id: u64, epoch: u16 },
    /// A transaction still Ongoing past its timeout plus the abort scan's interval.
    OverdueTransaction {
        transactional_id: String,
        started_at: Tick,
    },
    /// A transition `TransactionState` forbids.
    IllegalTransition { from: TxnState, to: TxnState },
}

impl TxnViolation {
    /// The invariant's name, one word, as reports print it.
    pub fn invariant(&self) -> &'static str {
        match self {
            TxnViolation::ReadCommittedPastLso { .. } => "ReadCommittedBelowLso",
            TxnViolation::ReadCommittedSawAborted { .. } => "ReadCommittedSkipsAborted",
            TxnViolation::MarkerDelivered { .. } => "MarkersNeverDelivered",
            TxnViolation::LsoOutsideLog { .. } => "LsoWithinLog",
            TxnViolation::LsoWentBack { .. } => "LsoMonotonic",
            TxnViolation::UndecidedCommit { .. } => "FencedNeverCommits",
            TxnViolation::MixedOutcome { .. } => "MarkersAtomic",
            TxnViolation::OverdueTransaction { .. } => "TimedOutTransactionsAbort",
            TxnViolation::IllegalTransition { .. } => "TransitionsFollowTable",
        }
    }
}

impl fmt::Display for TxnViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxnViolation::ReadCommittedPastLso {
                consumer,
                tp,
                offset,
                lso,
            } => write!(
                f,
                "{consumer} (read_committed) got {tp} offset {offset}, at or above the LSO {lso}"
            ),
            TxnViolation::ReadCommittedSawAborted {
                consumer,
                tp,
                offset,
            } => write!(
                f,
                "{consumer} (read_committed) got {tp} offset {offset}, of an aborted transaction"
            ),
            TxnViolation::MarkerDelivered {
                consumer,
                tp,
                offset,
            } => {
                write!(f, "{consumer} got the marker at {tp} offset {offset}")
            }
            TxnViolation::LsoOutsideLog {
                tp,
                broker,
                lso,
                hw,
                leo,
            } => write!(f, "{tp} on {broker}: not LSO {lso} <= HW {hw} <= LEO {leo}"),
            TxnViolation::LsoWentBack {
                tp,
                broker,
                from,
                to,
            } => {
                write!(
                    f,
                    "{tp}: leader {broker}'s LSO went back from {from} to {to}"
                )
            }
            TxnViolation::UndecidedCommit {
                tp,
                producer_id,
                epoch,
                offset,
            } => write!(
                f,
                "{tp} offset {offset}: a COMMIT marker for PID {producer_id} epoch {epoch}, \
                 which the coordinator never decided to commit"
            ),
            TxnViolation::MixedOutcome { producer_id, epoch } => write!(
                f,
                "PID {producer_id} epoch {epoch} has both COMMIT and ABORT"
            ),
            TxnViolation::OverdueTransaction {
                transactional_id,
                started_at,
            } => write!(
                f,
                "{transactional_id}'s transaction, open since {started_at}, outlived its timeout"
            ),
            TxnViolation::IllegalTransition { from, to } => {
                write!(f, "the coordinator moved {} → {}", from.name(), to.name())
            }
        }
    }
}

/// Checks the transaction invariants, remembering what spans checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnChecker {
    /// (partition, leader, leader epoch) → the LSO at the latest check.
    lso: BTreeMap<(TopicPartition, BrokerId, u32), Offset>,
    /// Deliveries per consumer already checked.
    checked: BTreeMap<ConsumerId, u64>,
}

impl TxnChecker {
    pub fn new() -> TxnChecker {
        TxnChecker::default()
    }

    /// A checker that has seen `cluster` as it is now: the next check looks only at what
    /// changes.
    pub fn watching(cluster: &Cluster) -> TxnChecker {
        let mut checker = TxnChecker::new();
        checker.remember(cluster);
        checker
    }

    fn remember(&mut self, cluster: &Cluster) {
        for (tp, broker, epoch, lso, _, _) in leaders(cluster) {
            self.lso.insert((tp, broker, epoch), lso);
        }
        for c in cluster.consumers().values() {
            self.checked.insert(c.id(), c.deliveries_total);
        }
    }

    /// Every transaction invariant `cluster` breaks at `now`.
    pub fn check(&mut self, cluster: &Cluster, now: Tick) -> Vec<TxnViolation> {
        let mut found = Vec::new();
        if cluster.coordinator().is_empty() {
            self.remember(cluster);
            return found;
        }
        self.check_lso(cluster, &mut found);
        let unclean = cluster.elections().1 > 0;
        if !unclean {
            check_deliveries(cluster, &self.checked, &mut found);
        }
        check_markers(cluster, &mut found);
        check_coordinator(cluster, now, &mut found);
        self.remember(cluster);
        found
    }

    /// Panics, listing them, if `cluster` breaks a transaction invariant.
    pub fn assert_hold(&mut self, cluster: &Cluster, now: Tick) {
        let found = self.check(cluster, now);
        if !found.is_empty() {
            let lines: Vec<String> = found
                .iter()
                .map(|v| format!("  {}: {v}", v.invariant()))
                .collect();
            panic!(
                "transaction invariants broken at {now}:\n{}",
                lines.join("\n")
            );
        }
    }

    fn check_lso(&self, cluster: &Cluster, found: &mut Vec<TxnViolation>) {
        for (tp, broker, epoch, lso, hw, leo) in leaders(cluster) {
            if !(lso <= hw && hw <= leo) {
                found.push(TxnViolation::LsoOutsideLog {
                    tp: tp.clone(),
                    broker,
                    lso,
                    hw,
                    leo,
                });
            }
            if let Some(before) = self.lso.get(&(tp.clone(), broker, epoch)) {
                if lso < *before {
                    found.push(TxnViolation::LsoWentBack {
                        tp,
                        broker,
                        from: *before,
                        to: lso,
                    });
                }
            }
        }
    }
}

/// Each serving leader: (partition, broker, leader epoch, LSO, HW, LEO).
fn leaders(cluster: &Cluster) -> Vec<(TopicPartition, BrokerId, u32, Offset, Offset, Offset)> {
    let mut out = Vec::new();
    for (name, topic) in cluster.topics() {
        for p in &topic.partitions {
            let (Some(leader), Some(log)) = (p.leader, p.leader_log()) else {
                continue;
            };
            let tp = TopicPartition {
                topic: name.clone(),
                partition: p.id,
            };
            let lso = log.last_stable_offset(p.hw);
            out.push((tp, leader, p.leader_epoch, lso, p.hw, log.leo()));
        }
    }
    out
}

/// Invariant 1 over the deliveries since the last check.
fn check_deliveries(
    cluster: &Cluster,
    checked: &BTreeMap<ConsumerId, u64>,
    found: &mut Vec<TxnViolation>,
) {
    let mut hidden: BTreeMap<TopicPartition, (BTreeSet<Offset>, BTreeSet<Offset>, Offset)> =
        BTreeMap::new();
    for c in cluster.consumers().values() {
        let new = c.deliveries_total - checked.get(&c.id()).copied().unwrap_or(0);
        let start = c.deliveries.len().saturating_sub(new as usize);
        for d in &c.deliveries[start..] {
            if !hidden.contains_key(&d.tp) {
                let Some(p) = cluster
                    .topic(&d.tp.topic)
                    .and_then(|t| t.partition(d.tp.partition))
                else {
                    continue;
                };
                let Some(log) = p.leader_log() else {
                    continue;
                };
                let markers = sim::sort::collect_set(log.marker_offsets().into_keys());
                let lso = log.last_stable_offset(p.hw);
                hidden.insert(
                    d.tp.clone(),
                    (markers, log.hidden_from_read_committed(p.hw), lso),
                );
            }
            let Some((markers, aborted, lso)) = hidden.get(&d.tp) else {
                continue;
            };
            let (consumer, tp, offset) = (c.id(), d.tp.clone(), d.offset);
            if markers.contains(&offset) {
                found.push(TxnViolation::MarkerDelivered {
                    consumer,
                    tp,
                    offset,
                });
                continue;
            }
            if c.config().isolation != IsolationLevel::ReadCommitted {
                continue;
            }
            if offset >= *lso {
                found.push(TxnViolation::ReadCommittedPastLso {
                    consumer,
                    tp,
                    offset,
                    lso: *lso,
                });
            } else if aborted.contains(&offset) {
                found.push(TxnViolation::ReadCommittedSawAborted {
                    consumer,
                    tp,
                    offset,
                });
            }
        }
    }
}

/// Invariants 3 and 4 over every leader's markers and the coordinator's decisions.
fn check_markers(cluster: &Cluster, found: &mut Vec<TxnViolation>) {
    let decided = cluster.coordinator().decided();
    let mut types: BTreeMap<(u64, u16), BTreeSet<ControlType>> = BTreeMap::new();
    for (name, topic) in cluster.topics() {
        for p in &topic.partitions {
            let Some(log) = p.leader_log() else {
                continue;
            };
            for (stamp, control, offset) in log.markers() {
                let (producer_id, epoch) = (stamp_producer(stamp), stamp_epoch(stamp));
                types
                    .entry((producer_id, epoch))
                    .or_default()
                    .insert(control);
                let pid = crate::transaction::Pid(producer_id as u32);
                let was_decided = decided
                    .get(&(pid, epoch))
                    .is_some_and(|d| d.contains(&ControlType::Commit));
                if control == ControlType::Commit && !was_decided {
                    found.push(TxnViolation::UndecidedCommit {
                        tp: TopicPartition {
                            topic: name.clone(),
                            partition: p.id,
                        },
                        producer_id,
                        epoch,
                        offset,
                    });
                }
            }
        }
    }
    let decisions = decided
        .iter()
        .map(|((pid, epoch), d)| ((u64::from(pid.0), *epoch), d));
    let markers = types.iter().map(|(key, d)| (*key, d));
    for ((producer_id, epoch), outcomes) in markers.chain(decisions) {
        if outcomes.len() > 1 {
            found.push(TxnViolation::MixedOutcome { producer_id, epoch });
        }
    }
}

/// Invariant 5: the timeout scan and the state table.
fn check_coordinator(cluster: &Cluster, now: Tick, found: &mut Vec<TxnViolation>) {
    for meta in cluster.coordinator().ids().values() {
        let Some(started_at) = meta.started_at else {
            continue;
        };
        let overdue =
            now.ticks_since(started_at) > meta.timeout_ticks + TIMEOUT_SCAN_INTERVAL_TICKS;
        if meta.state == TxnState::Ongoing && overdue {
            found.push(TxnViolation::OverdueTransaction {
                transactional_id: meta.transactional_id.clone(),
                started_at,
            });
        }
    }
    for (from, to) in cluster.coordinator().illegal_transitions() {
        found.push(TxnViolation::IllegalTransition {
            from: *from,
            to: *to,
        });
    }
}
