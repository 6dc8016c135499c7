//! Replication inside one partition (Kafka's Partition.scala: acks, ISR and high watermark; KIP-101 and KIP-279): what each replica knows, how a
//! follower fetches from its leader and reconciles a divergent tail by leader epoch, how the
//! leader tracks its followers, proposes ISR changes, and moves the high watermark.
//!
//! The functions here see one partition and take what they need of the rest of the cluster
//! (which brokers are eligible, the broker-level settings) as arguments, so the rules read as in
//! Kafka's `Partition.scala` and `AbstractFetcherThread`.

use super::log::{Batch, Offset, PartitionLog};
use super::topic::Partition;
use super::BrokerId;
use sim::clock::Tick;
use std::collections::BTreeMap;

/// What a leader knows about one follower (`Replica.scala`'s replica state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowerProgress {
    /// The follower's LEO as of its last fetch; unknown until it fetches from this leader.
    pub leo: Option<Offset>,
    /// The latest time the follower was caught up with the leader's LEO (Kafka's Partition.maybeShrinkIsr and replica.lag.time.max.ms).
    pub last_caught_up: Tick,
    pub last_fetch_at: Option<Tick>,
    /// The leader's LEO when the follower last fetched.
    pub leader_leo_at_last_fetch: Offset,
}

/// A replica's state while it is the leader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderState {
    /// Its LEO when it became leader (the epoch's start offset).
    pub epoch_start: Offset,
    /// An ISR change sent to the controller and not yet seen in the metadata (AlterPartition in
    /// flight). The maximal ISR is the committed ISR plus any replica this adds (KIP-497).
    pub pending_isr: Option<Vec<BrokerId>>,
    pub followers: BTreeMap<BrokerId, FollowerProgress>,
}

/// One replica of a partition on one broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub(crate) log: PartitionLog,
    /// This replica's high watermark: the leader's own, or what a follower last heard.
    pub(crate) hw: Offset,
    /// What the broker believes, from the metadata it has replayed.
    pub(crate) known_leader: Option<BrokerId>,
    pub(crate) known_epoch: u32,
    pub(crate) known_isr: Vec<BrokerId>,
    pub(crate) known_partition_epoch: u32,
    /// Set while the broker believes it leads.
    pub(crate) leading: Option<LeaderState>,
    /// The idempotent producers' next expected sequence here, by producer id (rebuilt from the
    /// log when the log is truncated).
    pub(crate) sequences: BTreeMap<u64, u32>,
}

/// Broker-level settings that shape replication, in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationRules {
    /// `replica.lag.time.max.ms`.
    pub replica_lag_max_ticks: u64,
    /// `replica.fetch.max.bytes`, in records.
    pub fetch_max_records: usize,
}

impl Replica {
    pub fn log(&self) -> &PartitionLog {
        &self.log
    }

    /// This replica's high watermark: the leader's own, or what a follower last heard.
    pub fn hw(&self) -> Offset {
        self.hw
    }

    /// What the broker believes, from the metadata it has replayed.
    pub fn known_leader(&self) -> Option<BrokerId> {
        self.known_leader
    }

    pub fn known_epoch(&self) -> u32 {
        self.known_epoch
    }

    pub fn known_isr(&self) -> &[BrokerId] {
        &self.known_isr
    }

    pub fn known_partition_epoch(&self) -> u32 {
        self.known_partition_epoch
    }

    /// Set while the broker believes it leads.
    pub fn leading(&self) -> Option<&LeaderState> {
        self.leading.as_ref()
    }

    /// The idempotent producers' next expected sequence here, by producer id (rebuilt from the
    /// log when the log is truncated).
    pub fn sequences(&self) -> &BTreeMap<u64, u32> {
        &self.sequences
    }

    /// A replica of a new partition, where everyone starts in sync in epoch 0.
    pub fn new(
        log: PartitionLog,
        me: BrokerId,
        leader: BrokerId,
        replicas: &[BrokerId],
    ) -> Replica {
        let leading = (me == leader).then(|| LeaderState {
            epoch_start: Offset(0),
            pending_isr: None,
            followers: sim::sort::collect_map(
                replicas
                    .iter()
                    .filter(|b| **b != me)
                    .map(|b| (*b, FollowerProgress::fresh(Tick(0), Some(Offset(0))))),
            ),
        });
        Replica {
            log,
            hw: Offset(0),
            known_leader: Some(leader),
            known_epoch: 0,
            known_isr: replicas.to_vec(),
            known_partition_epoch: 0,
            leading,
            sequences: BTreeMap::new(),
        }
    }

    /// The committed ISR plus any replica a pending expansion adds.
    pub fn maximal_isr(&self) -> Vec<BrokerId> {
        let mut isr = self.known_isr.clone();
        if let Some(pending) = self.leading.as_ref().and_then(|l| l.pending_isr.as_ref()) {
            for b in pending {
                if !isr.contains(b) {
                    isr.push(*b);
                }
            }
        }
        isr
    }

    /// Replays one partition change from the metadata log: becomes leader (assigning the new
    /// epoch's start offset and forgetting what it knew of followers), follows, or just learns
    /// the new ISR.
    pub fn learn(
        &mut self,
        me: BrokerId,
        leader: Option<BrokerId>,
        isr: &[BrokerId],
        epochs: (u32, u32),
        replicas: &[BrokerId],
        now: Tick,
    ) {
        let (leader_epoch, partition_epoch) = epochs;
        if leader_epoch < self.known_epoch {
            return;
        }
        if leader == Some(me) {
            let new_term = self.leading.is_none() || leader_epoch != self.known_epoch;
            if new_term {
                let start = self.log.leo();
                self.log.assign_epoch_start(leader_epoch, start);
                self.leading = Some(LeaderState {
                    epoch_start: start,
                    pending_isr: None,
                    followers: sim::sort::collect_map(
                        replicas
                            .iter()
                            .filter(|b| **b != me)
                            .map(|b| (*b, FollowerProgress::fresh(now, None))),
                    ),
                });
            } else if let Some(l) = &mut self.leading {
                l.pending_isr = None;
            }
        } else {
            self.leading = None;
        }
        self.known_leader = leader;
        self.known_epoch = leader_epoch;
        self.known_isr = isr.to_vec();
        self.known_partition_epoch = partition_epoch;
    }

    /// Forgets everything but the log and its HW checkpoint (the broker crashed or stopped).
    pub fn forget(&mut self) {
        self.leading = None;
        self.known_leader = None;
        self.known_epoch = 0;
        self.known_isr.clear();
        self.known_partition_epoch = 0;
    }

    /// Notes an appended batch's producer stamp.
    pub fn note_sequence(&mut self, producer_id: u64, next_sequence: u32) {
        self.sequences.insert(producer_id, next_sequence);
    }

    fn rebuild_sequences(&mut self) {
        self.sequences.clear();
        for batch in self.log.segments().iter().flat_map(|s| s.batches.iter()) {
            if let Some((producer_id, next)) = batch.next_sequence() {
                self.sequences.insert(producer_id, next);
            }
        }
    }

    fn truncate_to(&mut self, offset: Offset) {
        self.log.truncate_to(offset);
        self.hw = self.hw.min(self.log.leo());
        self.rebuild_sequences();
    }
}

impl FollowerProgress {
    fn fresh(now: Tick, leo: Option<Offset>) -> FollowerProgress {
        FollowerProgress {
            leo,
            last_caught_up: now,
            last_fetch_at: None,
            leader_leo_at_last_fetch: Offset(0),
        }
    }
}

/// What one follower fetch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchOutcome {
    /// Copied `records` records taking `bytes` bytes (possibly none: already caught up).
    Copied { records: usize, bytes: u64 },
    /// The follower's tail diverged from the leader's log and was cut from `from` to `to`.
    Truncated { from: Offset, to: Offset },
    /// The follower's fetch offset fell below the leader's log start: it starts over there.
    Restarted { at: Offset },
    /// The two disagree on the epoch (one of them has stale metadata, or the follower just
    /// dropped an empty epoch): nothing was copied.
    EpochMismatch,
    /// The log is full (the lab's per-partition record limit).
    Full,
}

/// One fetch by `follower` from `leader` (both replicas of `partition`), Kafka's Partition.maybeShrinkIsr and replica.lag.time.max.ms; KIP-101 and KIP-279: the
/// divergence check by last fetched epoch, the copy, the leader's bookkeeping of the follower's
/// LEO and caught-up time, and the follower's new HW.
pub fn fetch(
    partition: &mut Partition,
    follower: BrokerId,
    leader: BrokerId,
    now: Tick,
    rules: &ReplicationRules,
) -> FetchOutcome {
    let Some(mut f) = partition.replica.remove(&follower) else {
        return FetchOutcome::EpochMismatch;
    };
    let outcome = match partition.replica.get_mut(&leader) {
        Some(l) => fetch_between(&mut f, follower, l, now, rules),
        None => FetchOutcome::EpochMismatch,
    };
    partition.replica.insert(follower, f);
    outcome
}

fn fetch_between(
    f: &mut Replica,
    follower: BrokerId,
    l: &mut Replica,
    now: Tick,
    rules: &ReplicationRules,
) -> FetchOutcome {
    let leader_epoch = l.known_epoch;
    if l.leading.is_none() || f.known_epoch != leader_epoch {
        return FetchOutcome::EpochMismatch;
    }
    let fetch_offset = f.log.leo();
    if let Some(last_epoch) = f.log.latest_epoch() {
        let (epoch, end) = l.log.end_offset_for(last_epoch).unwrap_or((0, Offset(0)));
        if epoch < last_epoch || end < fetch_offset {
            // Diverging epoch: cut to where the two logs can agree (KIP-101 and KIP-279, steps 3 and 4).
            let (own_epoch, own_end) = f
                .log
                .end_offset_for(epoch)
                .unwrap_or((epoch, f.log.log_start()));
            let to = if own_epoch == epoch {
                end.min(own_end).min(fetch_offset)
            } else {
                own_end.min(fetch_offset)
            };
            f.truncate_to(to);
            if to == fetch_offset {
                // Only epochs without records were dropped: the logs agree; fetch again next time.
                return FetchOutcome::EpochMismatch;
            }
            return FetchOutcome::Truncated {
                from: fetch_offset,
                to,
            };
        }
    }
    if fetch_offset < l.log.log_start() || fetch_offset > l.log.leo() {
        let at = if fetch_offset > l.log.leo() {
            l.log.leo()
        } else {
            l.log.log_start()
        };
        if fetch_offset > l.log.leo() {
            f.truncate_to(at);
        } else {
            f.log.reset_to(at);
            f.hw = at;
            f.sequences.clear();
        }
        return FetchOutcome::Restarted { at };
    }
    let leader_leo = l.log.leo();
    let leader_hw = l.hw;
    let batches = l.log.batches_from(fetch_offset, rules.fetch_max_records);
    let state = l.leading.as_mut().expect("checked above");
    let progress = state
        .followers
        .entry(follower)
        .or_insert_with(|| FollowerProgress::fresh(now, None));
    if fetch_offset >= leader_leo {
        progress.last_caught_up = now;
    } else if fetch_offset >= progress.leader_leo_at_last_fetch {
        if let Some(previous) = progress.last_fetch_at {
            progress.last_caught_up = progress.last_caught_up.max(previous);
        }
    }
    progress.leo = Some(fetch_offset);
    progress.leader_leo_at_last_fetch = leader_leo;
    progress.last_fetch_at = Some(now);
    let records: usize = batches.iter().map(|b| b.records.len()).sum();
    let bytes: u64 = batches.iter().map(|b| b.size_bytes).sum();
    let stamps: Vec<(u64, u32)> = batches.iter().filter_map(Batch::next_sequence).collect();
    if f.log.append_replicated(batches, now).is_err() {
        return FetchOutcome::Full;
    }
    for (producer_id, next) in stamps {
        f.note_sequence(producer_id, next);
    }
    f.hw = f.hw.max(leader_hw.min(f.log.leo()));
    FetchOutcome::Copied { records, bytes }
}

/// Whether `follower` is caught up in the sense of Kafka's Partition.maybeIncrementLeaderHW: fetched within the lag time.
fn caught_up(progress: &FollowerProgress, now: Tick, rules: &ReplicationRules) -> bool {
    now.ticks_since(progress.last_caught_up) <= rules.replica_lag_max_ticks
}

/// `Partition.maybeIncrementLeaderHW` (Kafka 3.7+): unless the ISR is below the effective
/// minimum, the HW becomes the least LEO over the leader and every follower in the maximal ISR or
/// caught up and eligible. It never moves back. Returns whether it moved.
pub fn advance_hw(
    leader: &mut Replica,
    effective_min_isr: usize,
    now: Tick,
    rules: &ReplicationRules,
    eligible: impl Fn(BrokerId) -> bool,
) -> bool {
    if leader.known_isr.len() < effective_min_isr {
        return false;
    }
    let maximal = leader.maximal_isr();
    let Some(state) = &leader.leading else {
        return false;
    };
    let mut hw = leader.log.leo();
    for (b, progress) in &state.followers {
        let counts = maximal.contains(b) || (eligible(*b) && caught_up(progress, now, rules));
        if !counts {
            continue;
        }
        match progress.leo {
            Some(leo) => hw = hw.min(leo),
            None => return false,
        }
    }
    if hw > leader.hw {
        leader.hw = hw;
        true
    } else {
        false
    }
}

/// The ISR the leader would ask the controller for now (Kafka's Partition.maybeShrinkIsr and replica.lag.time.max.ms), in assignment order, or `None`
/// when it would not change or a change is already in flight: out-of-sync followers leave, and
/// eligible followers that reached the HW (and the epoch's start) join.
pub fn proposed_isr(
    leader_id: BrokerId,
    leader: &Replica,
    replicas: &[BrokerId],
    now: Tick,
    rules: &ReplicationRules,
    eligible: impl Fn(BrokerId) -> bool,
) -> Option<Vec<BrokerId>> {
    let state = leader.leading.as_ref()?;
    if state.pending_isr.is_some() {
        return None;
    }
    let leo = leader.log.leo();
    let proposal: Vec<BrokerId> = replicas
        .iter()
        .copied()
        .filter(|b| {
            if *b == leader_id {
                return true;
            }
            let Some(progress) = state.followers.get(b) else {
                return false;
            };
            if leader.known_isr.contains(b) {
                let out_of_sync = progress.leo != Some(leo) && !caught_up(progress, now, rules);
                !out_of_sync
            } else {
                // Kafka considers an expansion when the follower fetches (`maybeExpandIsr` on the
                // fetch path): a follower that stopped fetching cannot rejoin on the strength of
                // an old fetch offset, or a leader whose HW is frozen would flap its ISR.
                // `Partition.isFollowerInSync`: caught up to the HW and to the epoch's start
                // (Kafka does not also wait for the HW to reach the epoch's start: under min ISR
                // the HW is frozen, and the ISR could then never grow back).
                progress.last_fetch_at == Some(now)
                    && progress
                        .leo
                        .is_some_and(|f| f >= leader.hw && f >= state.epoch_start)
                    && eligible(*b)
            }
        })
        .collect();
    let mut current = leader.known_isr.clone();
    sim::sort::sort_by_key(&mut current, |b| replicas.iter().position(|r| r == b));
    (proposal != current).then_some(proposal)
}
