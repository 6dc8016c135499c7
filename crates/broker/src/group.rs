//! Consumer groups with the classic protocol (Kafka's classic group coordinator, KIP-429): members join, the first to join leads
//! and runs the assignor, the generation increments on every completed rebalance; eager assignors
//! revoke everything first, cooperative-sticky only what moves (then a second round hands it
//! over); crashed members are removed after `session.timeout`; static members (KIP-345) can
//! come back within it without a rebalance. Consumers poll up to the high watermark, process for
//! a while, and commit by one of four policies, which is what makes delivery at-least-once or
//! at-most-once (and visibly so: every delivery is recorded).
//!
//! Liveness (Kafka 4.x `AbstractCoordinator`): heartbeats run on a background thread, so a
//! consumer busy processing still heartbeats; `max.poll.interval.ms` is what catches it. When two
//! polls are further apart than that, a dynamic member sends LeaveGroup (a rebalance follows) and a
//! static member sends nothing (it is removed only if its session then times out); either way the
//! commit it makes when it finally finishes fails with `CommitFailedException`, and its next poll
//! rejoins. A member joins a rebalance from `poll()`, so it joins once its current batch is
//! processed. Groups created with `group.protocol=consumer` run KIP-848 instead ([`kip848`]).

use super::assignor::{self, Member, Strategy};
use super::kip848::{self, Coordinator, HeartbeatResponse, RequestEpoch};
use super::log::{IsolationLevel, Offset, PartitionLog};
use super::topic::Topic;
use super::PartitionId;
use sim::clock::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Deliveries remembered per consumer for the delivery checks (older ones are counted only).
pub const DELIVERIES_KEPT_MAX: usize = 20_000;

/// A consumer client's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsumerId(pub u32);

impl fmt::Display for ConsumerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "consumer-{}", self.0)
    }
}

/// A topic partition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: PartitionId,
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition.0)
    }
}

/// `auto.offset.reset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    /// Throw: the consumer stops reading that partition.
    None,
}

/// When a consumer commits, which decides its delivery semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitPolicy {
    /// `enable.auto.commit`: inside poll, every interval, commit what earlier polls returned
    /// (at-least-once: a crash redelivers what was processed since the last commit).
    Auto { interval_ticks: u64 },
    /// `commitSync()` after processing each poll (at-least-once, small window).
    AfterProcessing,
    /// Commit as soon as records are fetched, then process (at-most-once: a crash loses them).
    BeforeProcessing,
    /// Only when the learner presses Commit.
    Manual,
}

/// `group.protocol`: the classic rebalance protocol (still the default in Kafka 4.x) or KIP-848's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupProtocol {
    Classic,
    /// `group.protocol=consumer` (KIP-848).
    Consumer,
}

impl GroupProtocol {
    /// The config value.
    pub fn name(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        }
    }
}

/// The classic consumer's `heartbeat.interval.ms`: 3 s.
pub const CLASSIC_HEARTBEAT_INTERVAL_TICKS: u64 = 30;
/// Kafka's `session.timeout.ms` default since 3.0 (KIP-735): 45 s. The lab's consumers default
/// to [`LAB_SESSION_TIMEOUT_TICKS`] so that a crash is noticed within a lesson's patience; the
/// groups panel states both.
pub const KAFKA_SESSION_TIMEOUT_MS: u64 = 45_000;
/// The lab's default `session.timeout.ms`: 30 ticks, 3 s.
pub const LAB_SESSION_TIMEOUT_TICKS: u64 = 30;
/// `max.poll.interval.ms` default: 300 s.
pub const MAX_POLL_INTERVAL_TICKS_DEFAULT: u64 = 3_000;

/// A consumer's settings, with time in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    pub auto_offset_reset: OffsetReset,
    pub commit: CommitPolicy,
    pub max_poll_records: u32,
    /// Ticks between polls (a slow consumer polls rarely).
    pub poll_interval_ticks: u64,
    /// Ticks spent processing what one poll returned.
    pub processing_ticks: u64,
    pub session_timeout_ticks: u64,
    /// `isolation.level`: read_committed reads to the last stable offset and skips aborted
    /// transactions.
    pub isolation: IsolationLevel,
    /// `max.poll.interval.ms`: the longest gap between two polls before the consumer leaves
    /// (also the classic JoinGroup rebalance timeout and KIP-848's `RebalanceTimeoutMs`).
    pub max_poll_interval_ticks: u64,
    /// `group.protocol`; the first member decides the group's.
    pub protocol: GroupProtocol,
}

impl ConsumerConfig {
    /// Whether the liveness fields (max.poll.interval.ms, group.protocol) keep their defaults:
    /// the journal then writes the bytes it wrote before they existed.
    pub fn liveness_is_default(&self) -> bool {
        self.max_poll_interval_ticks == MAX_POLL_INTERVAL_TICKS_DEFAULT
            && self.protocol == GroupProtocol::Classic
    }
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            auto_offset_reset: OffsetReset::Latest,
            commit: CommitPolicy::Auto { interval_ticks: 5 },
            max_poll_records: 10,
            poll_interval_ticks: 1,
            processing_ticks: 0,
            session_timeout_ticks: LAB_SESSION_TIMEOUT_TICKS,
            max_poll_interval_ticks: MAX_POLL_INTERVAL_TICKS_DEFAULT,
            protocol: GroupProtocol::Classic,
            isolation: IsolationLevel::ReadUncommitted,
        }
    }
}

/// A record a consumer finished processing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub tp: TopicPartition,
    pub offset: Offset,
    pub at: Tick,
    /// The consumer's position epoch when it fetched this record (see `Consumer::position_epoch`).
    pub epoch: u32,
}

/// Records of one partition fetched by one poll, being processed until `done_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InProcess {
    pub tp: TopicPartition,
    pub offsets: Vec<Offset>,
    pub fetched_at: Tick,
    pub done_at: Tick,
    pub epoch: u32,
}

/// What a consumer is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerStatus {
    Running,
    /// Stopped without a word; the coordinator notices after the session timeout.
    Crashed {
        since: Tick,
    },
    /// Closed.
    Closed,
}

/// A consumer client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub(crate) id: ConsumerId,
    pub(crate) group: String,
    /// The member id it has now (a restarted dynamic member gets a new one).
    pub(crate) member_id: String,
    pub(crate) instance_id: Option<String>,
    pub(crate) topics: BTreeSet<String>,
    pub(crate) config: ConsumerConfig,
    pub(crate) status: ConsumerStatus,
    /// Partitions it owns now.
    pub(crate) owned: BTreeSet<TopicPartition>,
    /// Next offset to fetch, per owned partition.
    pub(crate) positions: BTreeMap<TopicPartition, Offset>,
    /// Bumped whenever positions change other than by reading on (assignment, seek, reset,
    /// crash): the delivery checks compare offsets only within one epoch.
    pub(crate) position_epoch: u32,
    /// Fetched, being processed until the tick given.
    pub(crate) in_process: Vec<InProcess>,
    pub(crate) deliveries: Vec<Delivery>,
    pub(crate) deliveries_total: u64,
    pub(crate) last_poll: Option<Tick>,
    pub(crate) last_commit: Tick,
    /// Partitions it stopped reading (offset out of range with no reset policy).
    pub(crate) stuck: BTreeSet<TopicPartition>,
    /// Times a position was reset because it fell out of the log.
    pub(crate) offset_resets: u32,
    /// Per partition, for KIP-320: the leader epoch of the last record read, the partition
    /// leader epoch the position was last validated in, and the position after that record
    /// (a position moved by anything else is not validated against it).
    pub(crate) read_epochs: BTreeMap<TopicPartition, (u32, u32, Offset)>,
    restarts: u32,
    /// Its last call to `poll()`: the start of the `max.poll.interval.ms` timer.
    pub(crate) poll_timer_from: Tick,
    /// Its poll timer expired and it left the group (or, static, stopped heartbeating); its
    /// next poll rejoins.
    pub(crate) poll_timed_out: bool,
    /// Commits that failed with `CommitFailedException`.
    pub(crate) commit_failures: u32,
    /// Its KIP-848 side, for a `group.protocol=consumer` group.
    pub(crate) modern: ModernClient,
}

/// A KIP-848 consumer's membership as the client sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModernClient {
    /// The member epoch of the last answer; `None` until it joins (or after it left or was fenced).
    pub member_epoch: Option<u32>,
    pub next_heartbeat_at: Tick,
    /// An assignment received and not reconciled yet (it runs from `poll()`).
    pub received: Option<BTreeSet<TopicPartition>>,
    /// It reconciled: the next heartbeat goes out at once to acknowledge.
    pub acknowledge: bool,
}

impl Consumer {
    pub fn id(&self) -> ConsumerId {
        self.id
    }

    /// Its group id.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The member id it has now (a restarted dynamic member gets a new one).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    pub fn instance_id(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }

    pub fn topics(&self) -> &BTreeSet<String> {
        &self.topics
    }

    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    pub fn status(&self) -> ConsumerStatus {
        self.status
    }

    /// Partitions it owns now.
    pub fn owned(&self) -> &BTreeSet<TopicPartition> {
        &self.owned
    }

    /// Next offset to fetch, per owned partition.
    pub fn positions(&self) -> &BTreeMap<TopicPartition, Offset> {
        &self.positions
    }

    /// Fetched, being processed until the tick given.
    pub fn in_process(&self) -> &[InProcess] {
        &self.in_process
    }

    /// Records handed to the application, oldest first.
    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    pub fn deliveries_total(&self) -> u64 {
        self.deliveries_total
    }

    /// Times a position was reset because it fell out of the log.
    pub fn offset_resets(&self) -> u32 {
        self.offset_resets
    }

    pub fn is_running(&self) -> bool {
        self.status == ConsumerStatus::Running
    }

    /// Records fetched and not yet processed.
    pub fn records_in_process(&self) -> usize {
        self.in_process.iter().map(|p| p.offsets.len()).sum()
    }

    /// Its poll timer expired: it is out of the group until its next poll.
    pub fn poll_timed_out(&self) -> bool {
        self.poll_timed_out
    }

    /// Commits that failed with `CommitFailedException`.
    pub fn commit_failures(&self) -> u32 {
        self.commit_failures
    }

    /// Its KIP-848 membership as the client sees it.
    pub fn modern(&self) -> &ModernClient {
        &self.modern
    }

    /// Still processing a batch, so not inside `poll()` (where rebalances are joined).
    fn busy(&self, now: Tick) -> bool {
        self.in_process.iter().any(|p| p.done_at > now)
    }
}

/// A group member as the coordinator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub consumer: ConsumerId,
    pub instance_id: Option<String>,
    pub topics: BTreeSet<String>,
    pub last_heartbeat: Tick,
    /// Joined the current rebalance round.
    pub joined: bool,
    /// Generation in which it last received an assignment.
    pub generation: i32,
}

/// The coordinator's state machine for a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance { since: Tick, reason: String },
    Stable,
}

/// A committed offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    pub offset: Offset,
    pub at: Tick,
}

/// A consumer group at its coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub(crate) name: String,
    pub(crate) strategy: Strategy,
    pub(crate) state: GroupState,
    pub(crate) generation: i32,
    pub(crate) leader: Option<String>,
    pub(crate) members: BTreeMap<String, GroupMember>,
    /// Join order of the current round (the first is the leader).
    join_order: Vec<String>,
    pub(crate) committed: BTreeMap<TopicPartition, Commit>,
    /// Partitions whose offsets an open transaction holds (KIP-447): fetching their committed
    /// offset answers UNSTABLE_OFFSET_COMMIT until it ends. Set by the cluster from the
    /// transaction coordinator.
    pub(crate) unstable_offsets: BTreeSet<TopicPartition>,
    /// The coordinator's last assignment, by member id (kept for static members' rejoins).
    pub(crate) assignment: BTreeMap<String, BTreeSet<TopicPartition>>,
    pub(crate) rebalances: u32,
    /// `rebalances` when the assignor last changed.
    pub(crate) rebalances_at_strategy_change: u32,
    /// `group.protocol` of its members.
    pub(crate) protocol: GroupProtocol,
    /// The KIP-848 coordinator state (unused by a classic group).
    pub(crate) coordinator: Coordinator,
    pub(crate) liveness: Liveness,
}

/// What liveness and rebalancing cost a group so far, the same measure for every protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Liveness {
    /// Members whose `max.poll.interval.ms` expired.
    pub poll_timeouts: u32,
    /// Commits that failed with `CommitFailedException`.
    pub commit_failures: u32,
    /// Static members that took their place back with no rebalance (KIP-345; KIP-848's
    /// replacement of a member that left with epoch −2).
    pub static_rejoins: u32,
    /// Member-ticks a running member could not fetch because its group was rebalancing (the
    /// eager protocol's stop-the-world).
    pub paused_member_ticks: u64,
    /// Partition-ticks a subscribed partition had no running owner.
    pub unowned_partition_ticks: u64,
    /// Coordination requests: classic heartbeats (every 3 s) plus JoinGroup and SyncGroup per
    /// member per round; KIP-848 `ConsumerGroupHeartbeat`s.
    pub requests: u64,
}

/// What happened in a group, for the trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupEvent {
    RebalanceStarted {
        group: String,
        reason: String,
    },
    Revoked {
        consumer: ConsumerId,
        partitions: Vec<TopicPartition>,
    },
    MemberRemoved {
        group: String,
        member: String,
        reason: &'static str,
    },
    Assigned {
        group: String,
        generation: i32,
        leader: String,
        assignment: BTreeMap<String, Vec<TopicPartition>>,
    },
    Polled {
        consumer: ConsumerId,
        tp: TopicPartition,
        from: Offset,
        count: usize,
    },
    Committed {
        consumer: ConsumerId,
        offsets: Vec<(TopicPartition, Offset)>,
    },
    OffsetReset {
        consumer: ConsumerId,
        tp: TopicPartition,
        from: Offset,
        to: Offset,
        reason: &'static str,
    },
    OffsetOutOfRange {
        consumer: ConsumerId,
        tp: TopicPartition,
        position: Offset,
    },
    LostInProcessing {
        consumer: ConsumerId,
        records: usize,
    },
    /// KIP-320: after a leader change the consumer found the log truncated below its position.
    LogTruncated {
        consumer: ConsumerId,
        tp: TopicPartition,
        position: Offset,
        /// Where the consumer's last epoch ends on the new leader.
        end: Offset,
        /// Seeked to `end` (a reset policy is set), or stopped (`auto.offset.reset=none`).
        reset: bool,
    },
    /// "consumer poll timeout has expired": `left` when it sent LeaveGroup (dynamic members).
    PollTimeout {
        consumer: ConsumerId,
        member: String,
        left: bool,
    },
    /// `CommitFailedException`: the consumer is no longer in the group's generation.
    CommitFailed {
        consumer: ConsumerId,
    },
    /// A static member rejoined under a new member id; `rebalance` is false when it got its
    /// assignment back at once (KIP-345).
    StaticRejoined {
        group: String,
        old: String,
        new: String,
        rebalance: bool,
    },
    /// KIP-848: the coordinator's side.
    Coordinator {
        group: String,
        event: kip848::CoordinatorEvent,
    },
    /// KIP-848: a member reconciled to what its heartbeat answer said.
    Reconciled {
        consumer: ConsumerId,
        epoch: u32,
        owned: Vec<TopicPartition>,
    },
    /// KIP-848: a heartbeat was refused with this error code.
    HeartbeatRefused {
        consumer: ConsumerId,
        code: &'static str,
    },
}

impl ConsumerGroup {
    pub fn new(name: &str, strategy: Strategy) -> ConsumerGroup {
        ConsumerGroup {
            name: name.to_string(),
            strategy,
            state: GroupState::Empty,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            join_order: Vec::new(),
            committed: BTreeMap::new(),
            unstable_offsets: BTreeSet::new(),
            assignment: BTreeMap::new(),
            rebalances: 0,
            rebalances_at_strategy_change: 0,
            protocol: GroupProtocol::Classic,
            coordinator: Coordinator::default(),
            liveness: Liveness::default(),
        }
    }

    /// A group whose members speak `protocol`.
    pub fn with_protocol(name: &str, strategy: Strategy, protocol: GroupProtocol) -> ConsumerGroup {
        ConsumerGroup {
            protocol,
            ..ConsumerGroup::new(name, strategy)
        }
    }

    pub fn protocol(&self) -> GroupProtocol {
        self.protocol
    }

    /// The KIP-848 coordinator state.
    pub fn coordinator(&self) -> &Coordinator {
        &self.coordinator
    }

    pub fn liveness(&self) -> &Liveness {
        &self.liveness
    }

    /// No member at the coordinator (an empty group may change protocol).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.coordinator.members.is_empty()
    }

    /// The liveness and KIP-848 state, for the state hash: written only for a KIP-848 group or
    /// once a poll timeout happened, so older journals keep their fingerprints.
    pub fn hash_liveness_into(&self, hasher: &mut sim::state_hash::StateHasher) {
        let l = &self.liveness;
        if self.protocol == GroupProtocol::Classic && l.poll_timeouts == 0 && l.static_rejoins == 0
        {
            return;
        }
        for n in [l.poll_timeouts, l.commit_failures, l.static_rejoins] {
            hasher.u64(u64::from(n));
        }
        for n in [l.paused_member_ticks, l.unowned_partition_ticks, l.requests] {
            hasher.u64(n);
        }
        let c = &self.coordinator;
        hasher.u64(u64::from(c.group_epoch));
        hasher.u64(u64::from(c.target_epoch));
        for (id, m) in &c.members {
            hasher.str(id);
            hasher.u64(u64::from(m.reconciliation.epoch));
            hasher.u64(m.reconciliation.state as u64);
            hasher.u64(m.reconciliation.assigned.len() as u64);
            hasher.u64(m.reconciliation.pending_revocation.len() as u64);
            hasher.u64(u64::from(m.left_static));
        }
    }

    /// Rebalance rounds: classic generations completed, or KIP-848 target assignments computed.
    pub fn rebalance_rounds(&self) -> u32 {
        match self.protocol {
            GroupProtocol::Classic => self.rebalances,
            GroupProtocol::Consumer => self.coordinator.targets_computed,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    pub fn state(&self) -> &GroupState {
        &self.state
    }

    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// The member id of the group leader (the member that computes the assignment).
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }

    pub fn members(&self) -> &BTreeMap<String, GroupMember> {
        &self.members
    }

    pub fn committed(&self) -> &BTreeMap<TopicPartition, Commit> {
        &self.committed
    }

    pub fn rebalances(&self) -> u32 {
        self.rebalances
    }

    /// Rebalances completed since the assignor last changed (the change's own among them).
    pub fn rebalances_since_strategy_change(&self) -> u32 {
        self.rebalances - self.rebalances_at_strategy_change
    }

    /// Starts (or restarts) a rebalance: every member must join again.
    pub fn start_rebalance(&mut self, now: Tick, reason: &str, events: &mut Vec<GroupEvent>) {
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.leader = None;
            return;
        }
        if !matches!(self.state, GroupState::PreparingRebalance { .. }) {
            events.push(GroupEvent::RebalanceStarted {
                group: self.name.clone(),
                reason: reason.to_string(),
            });
        }
        self.state = GroupState::PreparingRebalance {
            since: now,
            reason: reason.to_string(),
        };
        self.join_order.clear();
        for member in self.members.values_mut() {
            member.joined = false;
        }
    }

    /// Consumer lag of one partition: high watermark minus committed offset (records).
    pub fn lag(&self, tp: &TopicPartition, hw: Offset) -> u64 {
        let committed = self.committed.get(tp).map_or(Offset(0), |c| c.offset);
        hw.0.saturating_sub(committed.0)
    }
}

/// The offset a newly assigned partition starts from: the committed offset, or the reset policy.
fn starting_offset(
    group: &ConsumerGroup,
    tp: &TopicPartition,
    reset: OffsetReset,
    log: &PartitionLog,
    hw: Offset,
) -> Option<Offset> {
    match group.committed.get(tp) {
        Some(c) => Some(c.offset),
        None => match reset {
            OffsetReset::Earliest => Some(log.log_start()),
            OffsetReset::Latest => Some(hw),
            OffsetReset::None => None,
        },
    }
}

/// The leader log and high watermark of a partition, if clients can reach its leader.
fn leader_view<'a>(
    topics: &'a BTreeMap<String, Topic>,
    tp: &TopicPartition,
) -> Option<(&'a PartitionLog, Offset)> {
    let partition = topics.get(&tp.topic)?.partition(tp.partition)?;
    Some((partition.leader_log()?, partition.hw))
}

/// KIP-320 (KIP-320): when the partition's leader epoch changed since the consumer last
/// validated its position, it asks the leader where its last-read epoch ends. A position past
/// that end sits on records the new leader does not have: with a reset policy the consumer seeks
/// back to the end (`Truncation detected ... resetting offset`), without one it stops reading the
/// partition (LogTruncationException). Returns false when the partition must be skipped.
fn validate_position(
    consumer: &mut Consumer,
    topics: &BTreeMap<String, Topic>,
    tp: &TopicPartition,
    events: &mut Vec<GroupEvent>,
) -> bool {
    let Some(partition) = topics
        .get(&tp.topic)
        .and_then(|t| t.partition(tp.partition))
    else {
        return true;
    };
    let Some(log) = partition.leader_log() else {
        return true;
    };
    let Some((read_epoch, validated_in, after)) = consumer.read_epochs.get(tp).copied() else {
        return true;
    };
    if validated_in == partition.leader_epoch {
        return true;
    }
    let Some(position) = consumer.positions.get(tp).copied().filter(|p| *p == after) else {
        consumer.read_epochs.remove(tp);
        return true;
    };
    consumer
        .read_epochs
        .insert(tp.clone(), (read_epoch, partition.leader_epoch, after));
    let Some((_, end)) = log.end_offset_for(read_epoch) else {
        return true;
    };
    if end >= position {
        return true;
    }
    let reset = consumer.config.auto_offset_reset != OffsetReset::None;
    events.push(GroupEvent::LogTruncated {
        consumer: consumer.id,
        tp: tp.clone(),
        position,
        end,
        reset,
    });
    if reset {
        consumer.offset_resets += 1;
        consumer.position_epoch += 1;
        consumer.positions.insert(tp.clone(), end);
        consumer.read_epochs.remove(tp);
        true
    } else {
        consumer.stuck.insert(tp.clone());
        false
    }
}

/// Commits a consumer's positions for its owned partitions.
fn commit_positions(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    if consumer.poll_timed_out {
        // Out of the group since its poll timeout: the commit is refused.
        consumer.commit_failures += 1;
        group.liveness.commit_failures += 1;
        events.push(GroupEvent::CommitFailed {
            consumer: consumer.id,
        });
        return;
    }
    let offsets: Vec<(TopicPartition, Offset)> = consumer
        .positions
        .iter()
        .filter(|(tp, offset)| {
            consumer.owned.contains(*tp)
                && group
                    .committed
                    .get(*tp)
                    .is_none_or(|c| c.offset != **offset)
        })
        .map(|(tp, o)| (tp.clone(), *o))
        .collect();
    consumer.last_commit = now;
    if offsets.is_empty() {
        return;
    }
    for (tp, offset) in &offsets {
        group.committed.insert(
            tp.clone(),
            Commit {
                offset: *offset,
                at: now,
            },
        );
    }
    events.push(GroupEvent::Committed {
        consumer: consumer.id,
        offsets,
    });
}

/// Revokes partitions from a consumer (eager: all of them), committing first when it auto-commits
/// (`onPartitionsRevoked`). Records still being processed are finished first.
fn revoke(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    partitions: &BTreeSet<TopicPartition>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    consumer.position_epoch += 1;
    if partitions.is_empty() {
        return;
    }
    finish_processing(consumer, Tick(u64::MAX));
    if matches!(
        consumer.config.commit,
        CommitPolicy::Auto { .. } | CommitPolicy::AfterProcessing
    ) {
        commit_positions(group, consumer, now, events);
    }
    for tp in partitions {
        consumer.owned.remove(tp);
        consumer.positions.remove(tp);
        consumer.stuck.remove(tp);
    }
    events.push(GroupEvent::Revoked {
        consumer: consumer.id,
        partitions: partitions.iter().cloned().collect(),
    });
}

/// Moves processed records from `in_process` to `deliveries`; returns how many finished.
fn finish_processing(consumer: &mut Consumer, now: Tick) -> usize {
    let (done, pending): (Vec<_>, Vec<_>) = consumer
        .in_process
        .drain(..)
        .partition(|p| p.done_at <= now);
    consumer.in_process = pending;
    let mut finished = 0;
    for chunk in done {
        finished += chunk.offsets.len();
        consumer.deliveries_total += chunk.offsets.len() as u64;
        let room = DELIVERIES_KEPT_MAX.saturating_sub(consumer.deliveries.len());
        consumer
            .deliveries
            .extend(chunk.offsets.iter().take(room).map(|o| Delivery {
                epoch: chunk.epoch,
                tp: chunk.tp.clone(),
                offset: *o,
                at: chunk.fetched_at,
            }));
    }
    finished
}

/// Creates a consumer and its membership.
pub fn join(
    group: &mut ConsumerGroup,
    id: ConsumerId,
    instance_id: Option<String>,
    topics: BTreeSet<String>,
    config: ConsumerConfig,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) -> Consumer {
    let member_id = format!("{id}");
    if group.protocol == GroupProtocol::Classic {
        group.members.insert(
            member_id.clone(),
            GroupMember {
                consumer: id,
                instance_id: instance_id.clone(),
                topics: topics.clone(),
                last_heartbeat: now,
                joined: false,
                generation: -1,
            },
        );
        group.start_rebalance(now, "a member joined", events);
    }
    Consumer {
        id,
        group: group.name.clone(),
        member_id,
        instance_id,
        topics,
        config,
        status: ConsumerStatus::Running,
        owned: BTreeSet::new(),
        positions: BTreeMap::new(),
        position_epoch: 0,
        in_process: Vec::new(),
        deliveries: Vec::new(),
        deliveries_total: 0,
        last_poll: None,
        last_commit: now,
        stuck: BTreeSet::new(),
        offset_resets: 0,
        read_epochs: BTreeMap::new(),
        restarts: 0,
        poll_timer_from: now,
        poll_timed_out: false,
        commit_failures: 0,
        modern: ModernClient {
            next_heartbeat_at: now,
            ..ModernClient::default()
        },
    }
}

/// A graceful close: commit if the policy says so, then LeaveGroup (dynamic members only:
/// a static member's close sends no LeaveGroup, so its session has to time out).
pub fn close(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    finish_processing(consumer, Tick(u64::MAX));
    if matches!(
        consumer.config.commit,
        CommitPolicy::Auto { .. } | CommitPolicy::AfterProcessing
    ) {
        commit_positions(group, consumer, now, events);
    }
    consumer.owned.clear();
    consumer.positions.clear();
    if group.protocol == GroupProtocol::Consumer {
        leave_modern(group, consumer, now, events);
    }
    if consumer.instance_id.is_some() {
        consumer.status = ConsumerStatus::Crashed { since: now };
        return;
    }
    consumer.status = ConsumerStatus::Closed;
    if group.members.remove(&consumer.member_id).is_some() {
        events.push(GroupEvent::MemberRemoved {
            group: group.name.clone(),
            member: consumer.member_id.clone(),
            reason: "left the group",
        });
        group.start_rebalance(now, "a member left", events);
    }
}

/// A crash: nothing is committed, records being processed are lost, heartbeats stop.
pub fn crash(consumer: &mut Consumer, now: Tick, events: &mut Vec<GroupEvent>) {
    consumer.position_epoch += 1;
    let lost = consumer.records_in_process();
    consumer.in_process.clear();
    if lost > 0 {
        events.push(GroupEvent::LostInProcessing {
            consumer: consumer.id,
            records: lost,
        });
    }
    consumer.owned.clear();
    consumer.positions.clear();
    consumer.status = ConsumerStatus::Crashed { since: now };
}

/// A crashed consumer starts again. A static member still in the group takes its place back
/// with no rebalance (KIP-345); otherwise it joins as a new member.
pub fn restart(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    consumer.status = ConsumerStatus::Running;
    consumer.stuck.clear();
    consumer.last_poll = None;
    consumer.last_commit = now;
    rejoin(group, consumer, now, events);
}

/// The consumer joins again after a restart or a poll timeout: a KIP-848 member heartbeats at
/// epoch 0; a classic static member still in the group takes its place back; anyone else joins
/// as a new member.
fn rejoin(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    consumer.poll_timed_out = false;
    consumer.poll_timer_from = now;
    if group.protocol == GroupProtocol::Consumer {
        if consumer.instance_id.is_none() {
            consumer.restarts += 1;
            consumer.member_id = format!("{}-{}", consumer.id, consumer.restarts);
        }
        consumer.modern = ModernClient {
            next_heartbeat_at: now,
            ..ModernClient::default()
        };
        return;
    }
    if consumer.instance_id.is_some() && group.members.contains_key(&consumer.member_id) {
        rejoin_static(group, consumer, now, events);
        return;
    }
    consumer.restarts += 1;
    consumer.member_id = format!("{}-{}", consumer.id, consumer.restarts);
    group.members.insert(
        consumer.member_id.clone(),
        GroupMember {
            consumer: consumer.id,
            instance_id: consumer.instance_id.clone(),
            topics: consumer.topics.clone(),
            last_heartbeat: now,
            joined: false,
            generation: -1,
        },
    );
    group.start_rebalance(now, "a member joined", events);
}

/// KIP-345 (Kafka's `updateStaticMemberThenRebalanceOrCompleteJoin`): a static member rejoining
/// within its session gets a new member id in place of the old; while the group is stable it
/// gets the current assignment back with no rebalance, otherwise it joins the rebalance under way.
fn rejoin_static(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let old = consumer.member_id.clone();
    consumer.restarts += 1;
    let new = format!("{}-{}", consumer.id, consumer.restarts);
    let mut member = group.members.remove(&old).expect("checked by the caller");
    member.last_heartbeat = now;
    group.members.insert(new.clone(), member);
    if group.leader.as_deref() == Some(old.as_str()) {
        group.leader = Some(new.clone());
    }
    for joined in group.join_order.iter_mut().filter(|m| **m == old) {
        *joined = new.clone();
    }
    let assignment = group.assignment.remove(&old);
    consumer.member_id = new.clone();
    let stable = group.state == GroupState::Stable;
    if stable {
        group.liveness.static_rejoins += 1;
    }
    if let Some(previous) = assignment {
        if stable {
            consumer.owned = previous.clone();
        }
        group.assignment.insert(new.clone(), previous);
    }
    events.push(GroupEvent::StaticRejoined {
        group: group.name.clone(),
        old,
        new,
        rebalance: !stable,
    });
}

/// One tick of the coordinator and of every consumer in the group.
pub fn tick(
    group: &mut ConsumerGroup,
    consumers: &mut BTreeMap<ConsumerId, Consumer>,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    expire_poll_timers(group, consumers, now, events);
    match group.protocol {
        GroupProtocol::Classic => coordinate_classic(group, consumers, topics, now, events),
        GroupProtocol::Consumer => coordinate_modern(group, consumers, topics, now, events),
    }
    measure(group, consumers, topics, now);
    let name = group.name.clone();
    for consumer in consumers
        .values_mut()
        .filter(|c| c.group == name && c.is_running())
    {
        poll(group, consumer, topics, now, events);
    }
}

/// The heartbeat thread's check (`AbstractCoordinator`'s "consumer poll timeout has expired"):
/// a consumer whose last `poll()` is more than `max.poll.interval.ms` ago drops its partitions
/// and leaves: a dynamic member with LeaveGroup (KIP-848: epoch −1), a static one silently
/// (KIP-848: epoch −2). The batch it is processing goes on; its commit will fail.
fn expire_poll_timers(
    group: &mut ConsumerGroup,
    consumers: &mut BTreeMap<ConsumerId, Consumer>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let name = group.name.clone();
    for consumer in consumers.values_mut().filter(|c| {
        c.group == name
            && c.is_running()
            && !c.poll_timed_out
            && now.ticks_since(c.poll_timer_from) > c.config.max_poll_interval_ticks
    }) {
        consumer.poll_timed_out = true;
        consumer.owned.clear();
        consumer.positions.clear();
        consumer.position_epoch += 1;
        group.liveness.poll_timeouts += 1;
        let dynamic = consumer.instance_id.is_none();
        events.push(GroupEvent::PollTimeout {
            consumer: consumer.id,
            member: consumer.member_id.clone(),
            left: dynamic,
        });
        match group.protocol {
            GroupProtocol::Consumer => leave_modern(group, consumer, now, events),
            GroupProtocol::Classic if dynamic => {
                if group.members.remove(&consumer.member_id).is_some() {
                    group.assignment.remove(&consumer.member_id);
                    events.push(GroupEvent::MemberRemoved {
                        group: name.clone(),
                        member: consumer.member_id.clone(),
                        reason: "poll timeout expired (LeaveGroup)",
                    });
                    group.start_rebalance(now, "a member's poll timeout expired", events);
                }
            }
            GroupProtocol::Classic => {}
        }
    }
}

/// What the tick cost the group: members stopped by an eager rebalance (done with their batch and
/// waiting in `poll()` for the round to end), partitions no running member owns.
fn measure(
    group: &mut ConsumerGroup,
    consumers: &BTreeMap<ConsumerId, Consumer>,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
) {
    let running: Vec<&Consumer> = consumers
        .values()
        .filter(|c| c.group == group.name && c.is_running())
        .collect();
    if matches!(group.state, GroupState::PreparingRebalance { .. })
        && !group.strategy.is_cooperative()
    {
        group.liveness.paused_member_ticks +=
            running.iter().filter(|c| !c.busy(now)).count() as u64;
    }
    let subscribed: BTreeSet<&String> =
        sim::sort::collect_set(running.iter().flat_map(|c| &c.topics));
    let partitions: u64 = subscribed
        .iter()
        .filter_map(|t| topics.get(*t))
        .map(|t| t.partitions.len() as u64)
        .sum();
    let owned: u64 = running.iter().map(|c| c.owned.len() as u64).sum();
    group.liveness.unowned_partition_ticks += partitions.saturating_sub(owned);
}

/// The classic coordinator's tick: heartbeats (from a background thread, every 3 s), expired
/// sessions, and the rebalance round under way.
fn coordinate_classic(
    group: &mut ConsumerGroup,
    consumers: &mut BTreeMap<ConsumerId, Consumer>,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let mut expired = Vec::new();
    for (member_id, member) in group.members.iter_mut() {
        let consumer = consumers.get(&member.consumer);
        let alive = consumer
            .is_some_and(|c| c.is_running() && c.member_id == *member_id && !c.poll_timed_out);
        if alive {
            member.last_heartbeat = now;
            if now.0.is_multiple_of(CLASSIC_HEARTBEAT_INTERVAL_TICKS) {
                group.liveness.requests += 1;
            }
        } else if now.ticks_since(member.last_heartbeat)
            >= consumer.map_or(0, |c| c.config.session_timeout_ticks)
        {
            expired.push(member_id.clone());
        }
    }
    for member_id in expired {
        group.members.remove(&member_id);
        group.assignment.remove(&member_id);
        events.push(GroupEvent::MemberRemoved {
            group: group.name.clone(),
            member: member_id,
            reason: "session timed out",
        });
        group.start_rebalance(now, "a member's session timed out", events);
    }
    if matches!(group.state, GroupState::PreparingRebalance { .. }) {
        rebalance_step(group, consumers, topics, now, events);
    }
}

/// The KIP-848 tick: the coordinator expires sessions and rebalance timeouts; each running
/// member reconciles what it received (from `poll()`), then heartbeats when its interval is up
/// or it has something to acknowledge.
fn coordinate_modern(
    group: &mut ConsumerGroup,
    consumers: &mut BTreeMap<ConsumerId, Consumer>,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let counts: BTreeMap<String, u32> = sim::sort::collect_map(
        topics
            .iter()
            .map(|(name, t)| (name.clone(), t.partitions.len() as u32)),
    );
    let mut coordinator_events = Vec::new();
    group.coordinator.expire(now, &mut coordinator_events);
    let name = group.name.clone();
    for consumer in consumers
        .values_mut()
        .filter(|c| c.group == name && c.is_running() && !c.poll_timed_out)
    {
        reconcile_client(group, consumer, now, events);
        if consumer.modern.acknowledge || now >= consumer.modern.next_heartbeat_at {
            heartbeat(
                group,
                consumer,
                &counts,
                now,
                &mut coordinator_events,
                events,
            );
            reconcile_client(group, consumer, now, events);
        }
    }
    group.state = if group.coordinator.members.is_empty() {
        GroupState::Empty
    } else {
        GroupState::Stable
    };
    group.liveness.static_rejoins += coordinator_events
        .iter()
        .filter(|e| matches!(e, kip848::CoordinatorEvent::StaticReplaced { .. }))
        .count() as u32;
    events.extend(
        coordinator_events
            .into_iter()
            .map(|event| GroupEvent::Coordinator {
                group: name.clone(),
                event,
            }),
    );
}

/// One `ConsumerGroupHeartbeat` with the partitions the consumer owns, and what the answer does.
fn heartbeat(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    counts: &BTreeMap<String, u32>,
    now: Tick,
    coordinator_events: &mut Vec<kip848::CoordinatorEvent>,
    events: &mut Vec<GroupEvent>,
) {
    let request = kip848::Heartbeat {
        member_id: &consumer.member_id,
        epoch: consumer
            .modern
            .member_epoch
            .map_or(RequestEpoch::Join, RequestEpoch::Member),
        instance_id: consumer.instance_id.as_deref(),
        topics: &consumer.topics,
        owned: &consumer.owned,
        rebalance_timeout_ticks: consumer.config.max_poll_interval_ticks,
    };
    let response = group
        .coordinator
        .heartbeat(&request, counts, now, coordinator_events);
    group.liveness.requests += 1;
    consumer.modern.next_heartbeat_at = now.plus(kip848::HEARTBEAT_INTERVAL_TICKS);
    consumer.modern.acknowledge = false;
    match response {
        HeartbeatResponse::Assignment { epoch, assigned } => {
            consumer.modern.member_epoch = Some(epoch);
            consumer.modern.received = (assigned != consumer.owned).then_some(assigned);
        }
        HeartbeatResponse::Fenced { code } => {
            events.push(GroupEvent::HeartbeatRefused {
                consumer: consumer.id,
                code,
            });
            // Fenced: the partitions are lost (no commit), and it rejoins at epoch 0 at once.
            consumer.owned.clear();
            consumer.positions.clear();
            consumer.position_epoch += 1;
            consumer.restarts += 1;
            consumer.member_id = format!("{}-{}", consumer.id, consumer.restarts);
            consumer.modern = ModernClient {
                next_heartbeat_at: now.plus(1),
                ..ModernClient::default()
            };
        }
        HeartbeatResponse::UnreleasedInstanceId => events.push(GroupEvent::HeartbeatRefused {
            consumer: consumer.id,
            code: "UNRELEASED_INSTANCE_ID",
        }),
        HeartbeatResponse::Left => consumer.modern.member_epoch = None,
    }
}

/// The client's reconciliation, run from `poll()` (so not while a batch is being processed):
/// revoke what the answer no longer lists (committing first), take what it adds, and acknowledge.
fn reconcile_client(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    if consumer.busy(now) {
        return;
    }
    let Some(assigned) = consumer.modern.received.take() else {
        return;
    };
    let to_revoke: BTreeSet<TopicPartition> =
        sim::sort::collect_set(consumer.owned.difference(&assigned).cloned());
    revoke(group, consumer, &to_revoke, now, events);
    consumer.owned = assigned;
    consumer.modern.acknowledge = true;
    events.push(GroupEvent::Reconciled {
        consumer: consumer.id,
        epoch: consumer.modern.member_epoch.unwrap_or(0),
        owned: consumer.owned.iter().cloned().collect(),
    });
}

/// A KIP-848 leave heartbeat: epoch −1 for a dynamic member (it is removed at once), −2 for a
/// static one (it keeps its place and assignment until its session times out).
fn leave_modern(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let Some(_) = consumer.modern.member_epoch else {
        return;
    };
    let mut coordinator_events = Vec::new();
    let request = kip848::Heartbeat {
        member_id: &consumer.member_id,
        epoch: if consumer.instance_id.is_some() {
            RequestEpoch::StaticLeave
        } else {
            RequestEpoch::Leave
        },
        instance_id: consumer.instance_id.as_deref(),
        topics: &consumer.topics,
        owned: &consumer.owned,
        rebalance_timeout_ticks: consumer.config.max_poll_interval_ticks,
    };
    group
        .coordinator
        .heartbeat(&request, &BTreeMap::new(), now, &mut coordinator_events);
    group.liveness.requests += 1;
    consumer.modern = ModernClient::default();
    events.extend(
        coordinator_events
            .into_iter()
            .map(|event| GroupEvent::Coordinator {
                group: group.name.clone(),
                event,
            }),
    );
}

/// Running members (re)join; once every member has, the leader assigns and the group is stable.
fn rebalance_step(
    group: &mut ConsumerGroup,
    consumers: &mut BTreeMap<ConsumerId, Consumer>,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let member_ids: Vec<String> = group.members.keys().cloned().collect();
    for member_id in &member_ids {
        let member = &group.members[member_id];
        if member.joined {
            continue;
        }
        // JoinGroup is sent from poll(): not while a batch is being processed.
        let Some(consumer) = consumers.get_mut(&member.consumer).filter(|c| {
            c.is_running() && c.member_id == *member_id && !c.poll_timed_out && !c.busy(now)
        }) else {
            continue;
        };
        if !group.strategy.is_cooperative() {
            let all = consumer.owned.clone();
            revoke(group, consumer, &all, now, events);
        }
        group.members.get_mut(member_id).expect("listed").joined = true;
        group.join_order.push(member_id.clone());
    }
    if !group.members.values().all(|m| m.joined) {
        return;
    }
    // Every member joined: the first to join leads and runs the assignor.
    let leader = group.join_order[0].clone();
    let assignor_input = assignor::Group {
        topics: sim::sort::collect_map(
            topics
                .iter()
                .map(|(name, t)| (name.clone(), t.partitions.len() as u32)),
        ),
        members: group
            .members
            .iter()
            .map(|(member_id, m)| {
                let owned = consumers
                    .get(&m.consumer)
                    .map(|c| c.owned.clone())
                    .unwrap_or_default();
                let mut by_topic: BTreeMap<String, Vec<u32>> = BTreeMap::new();
                for tp in owned {
                    by_topic.entry(tp.topic).or_default().push(tp.partition.0);
                }
                Member {
                    id: member_id.clone(),
                    instance_id: m.instance_id.clone(),
                    topics: m.topics.clone(),
                    owned: by_topic,
                    generation: Some(group.generation),
                }
            })
            .collect(),
    };
    let Ok(result) = assignor::assign(group.strategy, &assignor_input) else {
        return;
    };
    group.generation += 1;
    group.rebalances += 1;
    // A JoinGroup and a SyncGroup per member.
    group.liveness.requests += 2 * group.members.len() as u64;
    group.leader = Some(leader.clone());
    group.state = GroupState::Stable;
    let mut summary = BTreeMap::new();
    let mut needs_second_round = false;
    for (member_id, by_topic) in result {
        let target: BTreeSet<TopicPartition> =
            sim::sort::collect_set(by_topic.into_iter().flat_map(|(topic, ps)| {
                ps.into_iter().map(move |p| TopicPartition {
                    topic: topic.clone(),
                    partition: PartitionId(p),
                })
            }));
        let member = group
            .members
            .get_mut(&member_id)
            .expect("assignor returns members");
        member.generation = group.generation;
        let consumer_id = member.consumer;
        summary.insert(member_id.clone(), target.iter().cloned().collect());
        group.assignment.insert(member_id.clone(), target.clone());
        let Some(consumer) = consumers.get_mut(&consumer_id) else {
            continue;
        };
        let to_revoke: BTreeSet<TopicPartition> =
            sim::sort::collect_set(consumer.owned.difference(&target).cloned());
        if !to_revoke.is_empty() {
            needs_second_round = true;
            revoke(group, consumer, &to_revoke, now, events);
        }
        consumer.owned.extend(target);
    }
    events.push(GroupEvent::Assigned {
        group: group.name.clone(),
        generation: group.generation,
        leader,
        assignment: summary,
    });
    if needs_second_round && group.strategy.is_cooperative() {
        group.start_rebalance(
            now,
            "cooperative: revoked partitions are handed over",
            events,
        );
    }
}

/// A consumer's poll loop: finish processing, auto-commit, fetch, and commit per its policy.
fn poll(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    let finished = finish_processing(consumer, now);
    if finished > 0
        && consumer.config.commit == CommitPolicy::AfterProcessing
        && consumer.in_process.is_empty()
    {
        commit_positions(group, consumer, now, events);
    }
    let rebalancing_eagerly = matches!(group.state, GroupState::PreparingRebalance { .. })
        && !group.strategy.is_cooperative();
    let due = consumer
        .last_poll
        .is_none_or(|t| now.ticks_since(t) >= consumer.config.poll_interval_ticks);
    if consumer.in_process.is_empty() && due {
        // The application calls poll(): the poll timer restarts, and a consumer that left on a
        // poll timeout rejoins.
        consumer.poll_timer_from = now;
        if consumer.poll_timed_out {
            rejoin(group, consumer, now, events);
            return;
        }
    }
    if !consumer.in_process.is_empty()
        || !due
        || rebalancing_eagerly
        || group.state == GroupState::Empty
    {
        return;
    }
    consumer.last_poll = Some(now);
    if let CommitPolicy::Auto { interval_ticks } = consumer.config.commit {
        if now.ticks_since(consumer.last_commit) >= interval_ticks {
            commit_positions(group, consumer, now, events);
        }
    }
    // Partitions new to this consumer start from the committed offset, or the reset policy.
    let unpositioned: Vec<TopicPartition> = consumer
        .owned
        .iter()
        .filter(|tp| !consumer.positions.contains_key(*tp) && !consumer.stuck.contains(*tp))
        .cloned()
        .collect();
    for tp in unpositioned {
        // OffsetFetch with require_stable: UNSTABLE_OFFSET_COMMIT while a transaction holds this
        // partition's offset; the consumer asks again at its next poll.
        if group.unstable_offsets.contains(&tp) {
            continue;
        }
        let Some((log, hw)) = leader_view(topics, &tp) else {
            continue;
        };
        // ListOffsets(latest) answers the LSO to a read_committed consumer.
        let end = log.fetch_upper(hw, consumer.config.isolation);
        match starting_offset(group, &tp, consumer.config.auto_offset_reset, log, end) {
            Some(offset) => {
                consumer.positions.insert(tp, offset);
                consumer.position_epoch += 1;
            }
            None => {
                events.push(GroupEvent::OffsetOutOfRange {
                    consumer: consumer.id,
                    tp: tp.clone(),
                    position: Offset(0),
                });
                consumer.stuck.insert(tp);
            }
        }
    }
    let mut budget = consumer.config.max_poll_records as usize;
    let owned: Vec<TopicPartition> = consumer
        .owned
        .iter()
        .filter(|tp| !consumer.stuck.contains(*tp))
        .cloned()
        .collect();
    let mut fetched = Vec::new();
    for tp in owned {
        if budget == 0 {
            break;
        }
        if !validate_position(consumer, topics, &tp, events) {
            continue;
        }
        let Some((log, hw)) = leader_view(topics, &tp) else {
            continue;
        };
        let Some(position) = consumer.positions.get(&tp).copied() else {
            continue;
        };
        let isolation = consumer.config.isolation;
        let fetched_now = match log.fetch(position, hw, budget, isolation) {
            Ok(fetched) => fetched,
            Err(_) => {
                let target = match consumer.config.auto_offset_reset {
                    OffsetReset::Earliest => log.log_start(),
                    OffsetReset::Latest => log.fetch_upper(hw, isolation),
                    OffsetReset::None => {
                        events.push(GroupEvent::OffsetOutOfRange {
                            consumer: consumer.id,
                            tp: tp.clone(),
                            position,
                        });
                        consumer.stuck.insert(tp);
                        continue;
                    }
                };
                events.push(GroupEvent::OffsetReset {
                    consumer: consumer.id,
                    tp: tp.clone(),
                    from: position,
                    to: target,
                    reason: "offset out of range",
                });
                consumer.offset_resets += 1;
                consumer.position_epoch += 1;
                consumer.positions.insert(tp.clone(), target);
                match log.fetch(target, hw, budget, isolation) {
                    Ok(fetched) => fetched,
                    Err(_) => continue,
                }
            }
        };
        // The position steps over markers and skipped aborted records even when none is returned.
        let current = consumer.positions.get(&tp).copied().unwrap_or(position);
        if fetched_now.next > current {
            consumer.positions.insert(tp.clone(), fetched_now.next);
        }
        let records = fetched_now.records;
        if let (Some(first), Some(last)) = (records.first(), records.last()) {
            events.push(GroupEvent::Polled {
                consumer: consumer.id,
                tp: tp.clone(),
                from: first.offset,
                count: records.len(),
            });
            budget -= records.len();
            let leader_epoch = topics[&tp.topic].partitions[tp.partition.0 as usize].leader_epoch;
            if let Some(read_epoch) = log.epoch_at(last.offset) {
                let after = Offset(last.offset.0 + 1);
                consumer
                    .read_epochs
                    .insert(tp.clone(), (read_epoch, leader_epoch, after));
            }
            fetched.push(InProcess {
                tp: tp.clone(),
                offsets: records.iter().map(|r| r.offset).collect(),
                epoch: consumer.position_epoch,
                fetched_at: now,
                done_at: now.plus(consumer.config.processing_ticks),
            });
        }
    }
    if fetched.is_empty() {
        return;
    }
    if consumer.config.commit == CommitPolicy::BeforeProcessing {
        commit_positions(group, consumer, now, events);
    }
    consumer.in_process.extend(fetched);
    if consumer.config.processing_ticks == 0 {
        finish_processing(consumer, now);
        if consumer.config.commit == CommitPolicy::AfterProcessing {
            commit_positions(group, consumer, now, events);
        }
    }
}

/// The learner's Commit button (manual commit).
pub fn commit_now(
    group: &mut ConsumerGroup,
    consumer: &mut Consumer,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    finish_processing(consumer, now);
    commit_positions(group, consumer, now, events);
}
