//! Kafka transactions (KIP-98, KIP-447): the transaction coordinator's state per
//! `transactional.id` and the transactional producer's client state.
//!
//! The coordinator maps a `transactional.id` to a producer id (PID) and an epoch with
//! `InitProducerId`, and moves each transaction through the states of Kafka's
//! `TransactionState` (§ "allowed previous states", checked by [`TxnMetadata::transit`]):
//! Empty → Ongoing (the first `AddPartitionsToTxn`, which starts the timer) → PrepareCommit or
//! PrepareAbort (`EndTxn`) → CompleteCommit or CompleteAbort once every partition of the
//! transaction holds its marker. Re-initialising a `transactional.id` bumps the epoch, which
//! fences the previous instance (a zombie): its produce requests get INVALID_PRODUCER_EPOCH and
//! its coordinator requests PRODUCER_FENCED. If that instance had a transaction open, the
//! coordinator aborts it first through PrepareEpochFence (`prepareInitProducerIdTransit`) and
//! answers CONCURRENT_TRANSACTIONS; the client retries and gets the epoch bumped once more.
//! Every `transaction.abort.timed.out.transaction.cleanup.interval.ms` (10 s) the coordinator
//! aborts Ongoing transactions older than their `transaction.timeout.ms` the same way, with an
//! epoch bump (`TransactionCoordinator.abortTimedOutTransactions`).
//!
//! The protocol is transaction version 2, the default of new Kafka 4.0 clusters (KIP-890 part 2):
//! every EndTxn bumps the epoch, so each transaction has its own (PID, epoch) and its markers carry
//! the new one; the partition joins the transaction from the produce path, and the leader checks
//! the append against the ongoing transaction (KIP-890 part 1).
//!
//! Simplified, and why: the coordinator is one always-reachable component of the cluster
//! rather than the leader of a `__transaction_state` partition (its durability and failover are
//! the replication lessons' subject, not this one's), so a transition takes effect at once and
//! the coordinator epoch written in markers is 0; transactional ids never expire (7 days of lab
//! time never pass); the offsets of a transaction (`TxnOffsetCommit`) are kept here until its
//! COMMIT rather than as pending records in `__consumer_offsets`, and the group coordinator checks
//! their group metadata ([`GroupMetadata`]) once, when they are sent; a KIP-848 member's stale
//! epoch (STALE_MEMBER_EPOCH) leaves the transaction abortable like the classic errors.

pub mod invariants;

use crate::group::TopicPartition;
use crate::log::{ControlType, Offset};
use sim::clock::Tick;
use sim::state_hash::StateHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// `transaction.timeout.ms` default (60 s), in ticks.
pub const TRANSACTION_TIMEOUT_TICKS_DEFAULT: u64 = 600;
/// `transaction.max.timeout.ms` (15 min), in ticks: the broker refuses longer timeouts.
pub const TRANSACTION_MAX_TIMEOUT_TICKS: u64 = 9_000;
/// `transaction.abort.timed.out.transaction.cleanup.interval.ms` (10 s), in ticks.
pub const TIMEOUT_SCAN_INTERVAL_TICKS: u64 = 100;
/// Producer ids the coordinator hands out start here, apart from the lab's idempotent producers'.
pub const FIRST_TRANSACTIONAL_PID: u32 = 1000;
/// Past this epoch `InitProducerId` hands out a new producer id (epoch 0) instead.
pub const EPOCH_MAX: u16 = 32_766;
/// Longest `transactional.id` a learner can type.
pub const TRANSACTIONAL_ID_LEN_MAX: usize = 40;

/// A producer id as the coordinator hands it out (Kafka's int64 `producerId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(pub u32);

impl Pid {
    /// The stamp batches and markers carry: the id under an epoch.
    pub fn stamp(self, epoch: u16) -> u64 {
        (u64::from(epoch) << 32) | u64::from(self.0)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PID {}", self.0)
    }
}

/// `TransactionState` (Dead, for expired ids, is not modelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
    PrepareEpochFence,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
            TxnState::PrepareEpochFence => "PrepareEpochFence",
        }
    }

    /// Kafka's `TransactionState.validPreviousStates` (with transaction version 2's extra
    /// predecessors of PrepareAbort).
    pub fn may_follow(self, previous: TxnState) -> bool {
        use TxnState::*;
        match self {
            Empty => matches!(previous, Empty | CompleteCommit | CompleteAbort),
            Ongoing => matches!(previous, Ongoing | Empty | CompleteCommit | CompleteAbort),
            PrepareCommit => previous == Ongoing,
            PrepareAbort => matches!(
                previous,
                Ongoing | PrepareEpochFence | Empty | CompleteCommit | CompleteAbort
            ),
            CompleteCommit => previous == PrepareCommit,
            CompleteAbort => previous == PrepareAbort,
            PrepareEpochFence => previous == Ongoing,
        }
    }

    /// No transaction is open or ending: a new one may start.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
        )
    }
}

/// Errors the coordinator and the leaders answer transactional requests with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxnError {
    /// A coordinator request under an old epoch: fatal for the client (KIP-588).
    ProducerFenced,
    /// A produce request under an old epoch (the leader's `checkProducerEpoch`).
    InvalidProducerEpoch,
    /// A transaction is ending (or being fenced): retry later.
    ConcurrentTransactions,
    /// The request does not fit the transaction's state.
    InvalidTxnState,
    /// The leader lacks the producer's earlier records (a gap that will never fill): for a
    /// transactional producer the transaction is only abortable (`TransactionManager`), where an
    /// idempotent one bumps its epoch by itself.
    OutOfOrderSequenceNumber,
    /// TxnOffsetCommit from a member the group coordinator no longer knows (KIP-447).
    UnknownMemberId,
    /// TxnOffsetCommit from a classic member of an older generation (KIP-447).
    IllegalGeneration,
    /// TxnOffsetCommit from a KIP-848 member with another member epoch than the coordinator's.
    StaleMemberEpoch,
    /// TxnOffsetCommit naming a static member's `group.instance.id` under another member id.
    FencedInstanceId,
}

impl TxnError {
    /// Kafka's error code name.
    pub fn code(self) -> &'static str {
        match self {
            TxnError::ProducerFenced => "PRODUCER_FENCED",
            TxnError::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            TxnError::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            TxnError::InvalidTxnState => "INVALID_TXN_STATE",
            TxnError::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            TxnError::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            TxnError::IllegalGeneration => "ILLEGAL_GENERATION",
            TxnError::StaleMemberEpoch => "STALE_MEMBER_EPOCH",
            TxnError::FencedInstanceId => "FENCED_INSTANCE_ID",
        }
    }

    /// The errors of a TxnOffsetCommit whose group metadata is stale.
    pub const GROUP_METADATA_MISMATCH: [TxnError; 4] = [
        TxnError::UnknownMemberId,
        TxnError::IllegalGeneration,
        TxnError::StaleMemberEpoch,
        TxnError::FencedInstanceId,
    ];

    /// The group coordinator refused the offsets: the consumer's group metadata is stale.
    pub fn is_group_metadata_mismatch(self) -> bool {
        TxnError::GROUP_METADATA_MISMATCH.contains(&self)
    }
}

/// What `consumer.groupMetadata()` returns, taken when `sendOffsetsToTransaction(offsets,
/// groupMetadata)` is called and carried in its TxnOffsetCommit to the group coordinator, which
/// refuses a member it no longer knows or of another generation (KIP-447).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMetadata {
    pub group: String,
    /// Empty for a classic member that has not completed a join since it (re)started.
    pub member_id: String,
    /// Classic: the generation of its last assignment; KIP-848: its member epoch; -1 for none
    /// (not joined yet). `None` for a member the coordinator no longer knows: the client still
    /// holds the generation it had, a number the lab does not keep (its member id decides).
    pub generation: Option<i32>,
    pub instance_id: Option<String>,
}

impl fmt::Display for TxnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a partition's marker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkerProgress {
    /// Not written yet (no leader, or the leader lost it in a failover).
    Pending,
    /// Appended on the leader at (offset, leader epoch), not yet below the high watermark.
    Written(Offset, u32),
    /// Below the high watermark: acknowledged with acks=all.
    Acked(Offset),
}

/// One `transactional.id` at the coordinator (a `TransactionMetadata`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnMetadata {
    pub transactional_id: String,
    pub pid: Pid,
    pub epoch: u16,
    pub state: TxnState,
    pub timeout_ticks: u64,
    /// When the open transaction started (its first partition).
    pub started_at: Option<Tick>,
    /// The partitions of the open (or ending) transaction.
    pub partitions: BTreeSet<TopicPartition>,
    /// The ending transaction's markers, per partition.
    pub markers: BTreeMap<TopicPartition, MarkerProgress>,
    /// Offsets sent to the transaction (`TxnOffsetCommit`): group, partition, offset.
    pub offsets: Vec<(String, TopicPartition, Offset)>,
    /// Transactions this id committed and aborted so far.
    pub committed: u64,
    pub aborted: u64,
}

impl TxnMetadata {
    /// Moves to `to`; a move `TransactionState` forbids is refused (the coordinator's
    /// `IllegalStateException`), counted by the caller.
    fn transit(&mut self, to: TxnState) -> Result<(), (TxnState, TxnState)> {
        if !to.may_follow(self.state) {
            return Err((self.state, to));
        }
        self.state = to;
        Ok(())
    }

    /// The outcome of the ending transaction, if it is ending.
    pub fn ending(&self) -> Option<ControlType> {
        match self.state {
            TxnState::PrepareCommit => Some(ControlType::Commit),
            TxnState::PrepareAbort => Some(ControlType::Abort),
            _ => None,
        }
    }
}

/// What `InitProducerId` answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitOutcome {
    Ready {
        pid: Pid,
        epoch: u16,
    },
    /// The previous instance's transaction is being aborted: retry.
    Retry,
}

/// A transaction whose markers are all acknowledged, for the cluster to finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completed {
    pub transactional_id: String,
    pub outcome: ControlType,
    pub offsets: Vec<(String, TopicPartition, Offset)>,
}

/// The transaction coordinator (a simplified `__transaction_state`; see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coordinator {
    ids: BTreeMap<String, TxnMetadata>,
    next_pid: u32,
    /// Transitions `TransactionState` forbids that were attempted (must stay empty).
    illegal_transitions: Vec<(TxnState, TxnState)>,
    /// Every marker type decided per (PID, epoch): atomicity means one type each.
    decided: BTreeMap<(Pid, u16), BTreeSet<ControlType>>,
}

impl Coordinator {
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every transactional id, by name.
    pub fn ids(&self) -> &BTreeMap<String, TxnMetadata> {
        &self.ids
    }

    pub fn get(&self, transactional_id: &str) -> Option<&TxnMetadata> {
        self.ids.get(transactional_id)
    }

    /// The transactional id holding `pid`.
    pub fn by_pid(&self, pid: Pid) -> Option<&TxnMetadata> {
        self.ids.values().find(|m| m.pid == pid)
    }

    fn by_pid_mut(&mut self, pid: Pid) -> Option<&mut TxnMetadata> {
        self.ids.values_mut().find(|m| m.pid == pid)
    }

    /// Transitions `TransactionState` forbids that were attempted.
    pub fn illegal_transitions(&self) -> &[(TxnState, TxnState)] {
        &self.illegal_transitions
    }

    /// The marker types decided per (PID, epoch).
    pub fn decided(&self) -> &BTreeMap<(Pid, u16), BTreeSet<ControlType>> {
        &self.decided
    }

    fn transit(&mut self, pid: Pid, to: TxnState) {
        let Some(meta) = self.by_pid_mut(pid) else {
            return;
        };
        if let Err(illegal) = meta.transit(to) {
            self.illegal_transitions.push(illegal);
        }
    }

    fn allocate_pid(&mut self) -> Pid {
        let pid = Pid(FIRST_TRANSACTIONAL_PID + self.next_pid);
        self.next_pid += 1;
        pid
    }

    /// `InitProducerId` for `transactional_id` (`prepareInitProducerIdTransit`).
    pub fn init(&mut self, transactional_id: &str, timeout_ticks: u64) -> InitOutcome {
        let Some(meta) = self.ids.get(transactional_id) else {
            let pid = self.allocate_pid();
            self.ids.insert(
                transactional_id.to_string(),
                TxnMetadata {
                    transactional_id: transactional_id.to_string(),
                    pid,
                    epoch: 0,
                    state: TxnState::Empty,
                    timeout_ticks,
                    started_at: None,
                    partitions: BTreeSet::new(),
                    markers: BTreeMap::new(),
                    offsets: Vec::new(),
                    committed: 0,
                    aborted: 0,
                },
            );
            return InitOutcome::Ready { pid, epoch: 0 };
        };
        let (pid, state) = (meta.pid, meta.state);
        match state {
            s if s.is_settled() => {
                let (pid, epoch) = if meta.epoch >= EPOCH_MAX {
                    (self.allocate_pid(), 0)
                } else {
                    (pid, meta.epoch + 1)
                };
                let meta = self.ids.get_mut(transactional_id).expect("found above");
                meta.pid = pid;
                meta.epoch = epoch;
                meta.timeout_ticks = timeout_ticks;
                self.transit(pid, TxnState::Empty);
                InitOutcome::Ready { pid, epoch }
            }
            TxnState::Ongoing => {
                self.fence_and_abort(pid);
                InitOutcome::Retry
            }
            _ => InitOutcome::Retry,
        }
    }

    /// PrepareEpochFence then PrepareAbort: the epoch goes up, fencing the producer, and the open
    /// transaction ends aborted with markers under the new epoch.
    fn fence_and_abort(&mut self, pid: Pid) {
        self.transit(pid, TxnState::PrepareEpochFence);
        self.prepare(pid, ControlType::Abort);
    }

    /// Prepare*: the outcome is decided, the epoch bumped (the fence's bump, or transaction
    /// version 2's), and every partition of the transaction needs its marker under it.
    fn prepare(&mut self, pid: Pid, outcome: ControlType) {
        let to = match outcome {
            ControlType::Commit => TxnState::PrepareCommit,
            ControlType::Abort => TxnState::PrepareAbort,
        };
        self.transit(pid, to);
        let Some(meta) = self.by_pid_mut(pid) else {
            return;
        };
        meta.epoch = meta.epoch.saturating_add(1);
        meta.markers = sim::sort::collect_map(
            meta.partitions
                .iter()
                .map(|tp| (tp.clone(), MarkerProgress::Pending)),
        );
        let key = (meta.pid, meta.epoch);
        self.decided.entry(key).or_default().insert(outcome);
    }

    /// The metadata for a request of (`pid`, `epoch`), or PRODUCER_FENCED for an old epoch.
    fn current(&self, pid: Pid, epoch: u16) -> Result<&TxnMetadata, TxnError> {
        let meta = self.by_pid(pid).ok_or(TxnError::InvalidTxnState)?;
        if epoch < meta.epoch {
            return Err(TxnError::ProducerFenced);
        }
        Ok(meta)
    }

    /// `AddPartitionsToTxn`: the partition joins the transaction, which becomes Ongoing (and its
    /// timer starts) with its first partition.
    pub fn add_partition(
        &mut self,
        pid: Pid,
        epoch: u16,
        tp: &TopicPartition,
        now: Tick,
    ) -> Result<(), TxnError> {
        self.open_transaction(pid, epoch, now)?;
        let meta = self.by_pid_mut(pid).expect("checked by open_transaction");
        meta.partitions.insert(tp.clone());
        Ok(())
    }

    /// Empty or Complete* → Ongoing, or stays Ongoing; CONCURRENT_TRANSACTIONS while one ends.
    fn open_transaction(&mut self, pid: Pid, epoch: u16, now: Tick) -> Result<(), TxnError> {
        let state = self.current(pid, epoch)?.state;
        if state == TxnState::Ongoing {
            return Ok(());
        }
        if !state.is_settled() {
            return Err(TxnError::ConcurrentTransactions);
        }
        self.transit(pid, TxnState::Ongoing);
        let meta = self.by_pid_mut(pid).expect("checked");
        meta.started_at = Some(now);
        meta.partitions.clear();
        meta.markers.clear();
        meta.offsets.clear();
        Ok(())
    }

    /// KIP-890 part 1: the leader asks whether a transactional append of (`pid`, `epoch`) to `tp`
    /// belongs to an ongoing transaction. An old epoch is INVALID_PRODUCER_EPOCH
    /// (`ProducerAppendInfo.checkProducerEpoch`).
    pub fn verify_append(&self, pid: Pid, epoch: u16, tp: &TopicPartition) -> Result<(), TxnError> {
        let meta = self.by_pid(pid).ok_or(TxnError::InvalidTxnState)?;
        if epoch < meta.epoch {
            return Err(TxnError::InvalidProducerEpoch);
        }
        if meta.state != TxnState::Ongoing || !meta.partitions.contains(tp) {
            return Err(TxnError::InvalidTxnState);
        }
        Ok(())
    }

    /// (group, partition) pairs whose offsets a transaction not yet complete holds.
    pub fn pending_offsets(&self) -> BTreeSet<(String, TopicPartition)> {
        sim::sort::collect_set(
            self.ids
                .values()
                .filter(|m| !m.state.is_settled())
                .flat_map(|m| m.offsets.iter().map(|(g, tp, _)| (g.clone(), tp.clone()))),
        )
    }

    /// `AddOffsetsToTxn` plus `TxnOffsetCommit`: the group's offsets ride with the transaction.
    pub fn add_offsets(
        &mut self,
        pid: Pid,
        epoch: u16,
        group: &str,
        offsets: Vec<(TopicPartition, Offset)>,
        now: Tick,
    ) -> Result<(), TxnError> {
        self.open_transaction(pid, epoch, now)?;
        let meta = self.by_pid_mut(pid).expect("checked by open_transaction");
        for (tp, offset) in offsets {
            meta.offsets.retain(|(g, t, _)| !(g == group && *t == tp));
            meta.offsets.push((group.to_string(), tp, offset));
        }
        Ok(())
    }

    /// `EndTxn` (version 5, transaction version 2): Ongoing → Prepare*, answering the bumped
    /// epoch the producer continues with. An old epoch is PRODUCER_FENCED; a transaction still
    /// ending is CONCURRENT_TRANSACTIONS; anything else is INVALID_TXN_STATE.
    pub fn end(&mut self, pid: Pid, epoch: u16, outcome: ControlType) -> Result<u16, TxnError> {
        let meta = self.current(pid, epoch)?;
        match meta.state {
            TxnState::Ongoing => {
                self.prepare(pid, outcome);
                Ok(self.by_pid(pid).map_or(epoch, |m| m.epoch))
            }
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence => {
                Err(TxnError::ConcurrentTransactions)
            }
            _ => Err(TxnError::InvalidTxnState),
        }
    }

    /// Aborts, with an epoch bump, every Ongoing transaction older than its timeout
    /// (`abortTimedOutTransactions`). Returns the ids aborted.
    pub fn abort_timed_out(&mut self, now: Tick) -> Vec<String> {
        let late: Vec<(String, Pid)> = self
            .ids
            .values()
            .filter(|m| {
                m.state == TxnState::Ongoing
                    && m.started_at
                        .is_some_and(|t| now.ticks_since(t) > m.timeout_ticks)
            })
            .map(|m| (m.transactional_id.clone(), m.pid))
            .collect();
        for (_, pid) in &late {
            self.fence_and_abort(*pid);
        }
        late.into_iter().map(|(id, _)| id).collect()
    }

    /// Ending transactions' markers still to write or acknowledge:
    /// (transactional id, stamp, type, partition, progress).
    pub fn markers_due(&self) -> Vec<(String, u64, ControlType, TopicPartition, MarkerProgress)> {
        let mut due = Vec::new();
        for meta in self.ids.values() {
            let Some(outcome) = meta.ending() else {
                continue;
            };
            for (tp, progress) in &meta.markers {
                if !matches!(progress, MarkerProgress::Acked(_)) {
                    let stamp = meta.pid.stamp(meta.epoch);
                    due.push((
                        meta.transactional_id.clone(),
                        stamp,
                        outcome,
                        tp.clone(),
                        *progress,
                    ));
                }
            }
        }
        due
    }

    /// Records a marker's progress on one partition.
    pub fn note_marker(
        &mut self,
        transactional_id: &str,
        tp: &TopicPartition,
        progress: MarkerProgress,
    ) {
        if let Some(meta) = self.ids.get_mut(transactional_id) {
            if let Some(p) = meta.markers.get_mut(tp) {
                *p = progress;
            }
        }
    }

    /// Prepare* → Complete* for every transaction whose markers are all acknowledged.
    pub fn complete_acked(&mut self) -> Vec<Completed> {
        let done: Vec<(Pid, ControlType)> = self
            .ids
            .values()
            .filter_map(|m| {
                let outcome = m.ending()?;
                let acked = m
                    .markers
                    .values()
                    .all(|p| matches!(p, MarkerProgress::Acked(_)));
                acked.then_some((m.pid, outcome))
            })
            .collect();
        let mut completed = Vec::new();
        for (pid, outcome) in done {
            let to = match outcome {
                ControlType::Commit => TxnState::CompleteCommit,
                ControlType::Abort => TxnState::CompleteAbort,
            };
            self.transit(pid, to);
            let meta = self.by_pid_mut(pid).expect("listed");
            match outcome {
                ControlType::Commit => meta.committed += 1,
                ControlType::Abort => meta.aborted += 1,
            }
            meta.started_at = None;
            completed.push(Completed {
                transactional_id: meta.transactional_id.clone(),
                outcome,
                offsets: std::mem::take(&mut meta.offsets),
            });
        }
        completed
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        for (id, m) in &self.ids {
            hasher.str(id);
            hasher.u64(u64::from(m.pid.0));
            hasher.u64(u64::from(m.epoch));
            hasher.u64(m.state as u64);
            hasher.u64(m.started_at.map_or(u64::MAX, |t| t.0));
            hasher.u64(m.partitions.len() as u64);
            hasher.u64(m.offsets.len() as u64);
            hasher.u64(m.committed);
            hasher.u64(m.aborted);
            for p in m.markers.values() {
                hasher.u64(match p {
                    MarkerProgress::Pending => u64::MAX,
                    MarkerProgress::Written(o, _) | MarkerProgress::Acked(o) => o.0,
                });
            }
        }
        hasher.u64(self.illegal_transitions.len() as u64);
    }
}

/// The transactional producer's state (`TransactionManager.State`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientTxnState {
    /// `initTransactions()` waits for a producer id (retrying CONCURRENT_TRANSACTIONS).
    Initializing,
    Ready,
    InTransaction,
    /// `commitTransaction()`: flushing, then EndTxn(COMMIT).
    Committing,
    /// `abortTransaction()`: unsent records dropped, then EndTxn(ABORT).
    Aborting,
    /// A send failed: only `abortTransaction()` is possible.
    AbortableError(TxnError),
    /// Fenced: the instance must be closed.
    Fatal(TxnError),
}

impl ClientTxnState {
    pub fn describe(self) -> String {
        match self {
            ClientTxnState::Initializing => "initializing".into(),
            ClientTxnState::Ready => "ready".into(),
            ClientTxnState::InTransaction => "in a transaction".into(),
            ClientTxnState::Committing => "committing".into(),
            ClientTxnState::Aborting => "aborting".into(),
            ClientTxnState::AbortableError(e) => format!("abortable error ({e})"),
            ClientTxnState::Fatal(e) => format!("fenced, fatal ({e})"),
        }
    }
}

/// A producer's transactional side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnClient {
    pub transactional_id: String,
    pub timeout_ticks: u64,
    /// The producer id and epoch `InitProducerId` gave this instance.
    pub pid: Option<(Pid, u16)>,
    pub state: ClientTxnState,
    /// The partitions this transaction already added (the client's `partitionsInTransaction`).
    pub partitions: BTreeSet<TopicPartition>,
    /// Whether this transaction reached the coordinator (a partition or offsets were added).
    pub started: bool,
    /// The producer's failed-record count when the transaction began: a failure since then
    /// makes the transaction abortable only.
    pub failed_at_begin: u64,
}

impl TxnClient {
    pub fn new(transactional_id: &str, timeout_ticks: u64) -> TxnClient {
        TxnClient {
            transactional_id: transactional_id.to_string(),
            timeout_ticks,
            pid: None,
            state: ClientTxnState::Initializing,
            partitions: BTreeSet::new(),
            started: false,
            failed_at_begin: 0,
        }
    }

    pub fn hash_into(&self, hasher: &mut StateHasher) {
        hasher.str(&self.transactional_id);
        if let Some((pid, epoch)) = self.pid {
            hasher.u64(pid.stamp(epoch));
        }
        hasher.str(&self.state.describe());
        hasher.u64(self.partitions.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PartitionId;

    fn tp() -> TopicPartition {
        TopicPartition {
            topic: "payments".into(),
            partition: PartitionId(0),
        }
    }

    #[test]
    fn the_state_table_matches_kafkas() {
        use TxnState::*;
        assert!(Ongoing.may_follow(CompleteAbort));
        assert!(!PrepareCommit.may_follow(Empty));
        assert!(PrepareAbort.may_follow(PrepareEpochFence));
        assert!(
            PrepareAbort.may_follow(Empty),
            "transaction version 2 allows it"
        );
        assert!(!CompleteCommit.may_follow(PrepareAbort));
    }

    #[test]
    fn reinit_bumps_the_epoch_and_fences_the_old_instance() {
        let mut c = Coordinator::default();
        let InitOutcome::Ready { pid, epoch } = c.init("t", 600) else {
            panic!("a new id is ready at once");
        };
        assert_eq!((pid, epoch), (Pid(FIRST_TRANSACTIONAL_PID), 0));
        c.add_partition(pid, 0, &tp(), Tick(1)).unwrap();
        // A second instance while the first has a transaction open: fence, abort, retry.
        assert_eq!(c.init("t", 600), InitOutcome::Retry);
        assert_eq!(c.get("t").unwrap().state, TxnState::PrepareAbort);
        assert_eq!(c.get("t").unwrap().epoch, 1);
        assert_eq!(
            c.verify_append(pid, 0, &tp()),
            Err(TxnError::InvalidProducerEpoch)
        );
        assert_eq!(
            c.end(pid, 0, ControlType::Commit),
            Err(TxnError::ProducerFenced)
        );
        c.note_marker("t", &tp(), MarkerProgress::Acked(Offset(1)));
        let done = c.complete_acked();
        assert_eq!(done[0].outcome, ControlType::Abort);
        assert_eq!(c.init("t", 600), InitOutcome::Ready { pid, epoch: 2 });
        assert!(c.illegal_transitions().is_empty());
        assert_eq!(c.decided()[&(pid, 1)], [ControlType::Abort].into());
        // Transaction version 2: each EndTxn bumps the epoch, so each transaction has its own.
        c.add_partition(pid, 2, &tp(), Tick(2)).unwrap();
        assert_eq!(c.end(pid, 2, ControlType::Commit), Ok(3));
        assert_eq!(c.decided()[&(pid, 3)], [ControlType::Commit].into());
    }

    #[test]
    fn a_transaction_past_its_timeout_is_aborted_with_an_epoch_bump() {
        let mut c = Coordinator::default();
        let InitOutcome::Ready { pid, .. } = c.init("t", 600) else {
            panic!("ready");
        };
        c.add_partition(pid, 0, &tp(), Tick(0)).unwrap();
        assert!(c.abort_timed_out(Tick(600)).is_empty());
        assert_eq!(c.abort_timed_out(Tick(601)), vec!["t".to_string()]);
        assert_eq!(c.get("t").unwrap().epoch, 1);
        assert_eq!(c.get("t").unwrap().state, TxnState::PrepareAbort);
    }
}
