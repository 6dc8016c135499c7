//! Consumer groups with the classic protocol (Kafka's classic group coordinator, KIP-429): members join, the first to join leads
//! and runs the assignor, the generation increments on every completed rebalance; eager assignors
//! revoke everything first, cooperative-sticky only what moves (then a second round hands it
//! over); crashed members are removed after `session.timeout`; static members (KIP-345) can
//! come back within it without a rebalance. Consumers poll up to the high watermark, process for
//! a while, and commit by one of four policies, which is what makes delivery at-least-once or
//! at-most-once (and visibly so: every delivery is recorded).

use super::assignor::{self, Member, Strategy};
use super::log::{Offset, PartitionLog};
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
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            auto_offset_reset: OffsetReset::Latest,
            commit: CommitPolicy::Auto { interval_ticks: 5 },
            max_poll_records: 10,
            poll_interval_ticks: 1,
            processing_ticks: 0,
            session_timeout_ticks: 30,
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
    /// The coordinator's last assignment, by member id (kept for static members' rejoins).
    pub(crate) assignment: BTreeMap<String, BTreeSet<TopicPartition>>,
    pub(crate) rebalances: u32,
    /// `rebalances` when the assignor last changed.
    pub(crate) rebalances_at_strategy_change: u32,
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
            assignment: BTreeMap::new(),
            rebalances: 0,
            rebalances_at_strategy_change: 0,
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
    if consumer.instance_id.is_some() && group.members.contains_key(&consumer.member_id) {
        let member = group.members.get_mut(&consumer.member_id).expect("checked");
        member.last_heartbeat = now;
        if member.generation == group.generation && group.state == GroupState::Stable {
            // Same assignment as before the crash, read from where the group committed.
            if let Some(previous) = group.assignment.get(&consumer.member_id) {
                consumer.owned = previous.clone();
            }
        }
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

/// One tick of the coordinator and of every consumer in the group.
pub fn tick(
    group: &mut ConsumerGroup,
    consumers: &mut BTreeMap<ConsumerId, Consumer>,
    topics: &BTreeMap<String, Topic>,
    now: Tick,
    events: &mut Vec<GroupEvent>,
) {
    // Heartbeats, and members whose session expired.
    let mut expired = Vec::new();
    for (member_id, member) in group.members.iter_mut() {
        let consumer = consumers.get(&member.consumer);
        let alive = consumer.is_some_and(|c| c.is_running() && c.member_id == *member_id);
        if alive {
            member.last_heartbeat = now;
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
    let name = group.name.clone();
    for consumer in consumers
        .values_mut()
        .filter(|c| c.group == name && c.is_running())
    {
        poll(group, consumer, topics, now, events);
    }
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
        let Some(consumer) = consumers
            .get_mut(&member.consumer)
            .filter(|c| c.is_running() && c.member_id == *member_id)
        else {
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
        topics: topics
            .iter()
            .map(|(name, t)| (name.clone(), t.partitions.len() as u32))
            .collect(),
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
    group.leader = Some(leader.clone());
    group.state = GroupState::Stable;
    let mut summary = BTreeMap::new();
    let mut needs_second_round = false;
    for (member_id, by_topic) in result {
        let target: BTreeSet<TopicPartition> = by_topic
            .into_iter()
            .flat_map(|(topic, ps)| {
                ps.into_iter().map(move |p| TopicPartition {
                    topic: topic.clone(),
                    partition: PartitionId(p),
                })
            })
            .collect();
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
            consumer.owned.difference(&target).cloned().collect();
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
        let Some((log, hw)) = leader_view(topics, &tp) else {
            continue;
        };
        match starting_offset(group, &tp, consumer.config.auto_offset_reset, log, hw) {
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
        let records = match log.read(position, hw, budget) {
            Ok(records) => records,
            Err(_) => {
                let target = match consumer.config.auto_offset_reset {
                    OffsetReset::Earliest => log.log_start(),
                    OffsetReset::Latest => hw,
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
                log.read(target, hw, budget).unwrap_or_default()
            }
        };
        if let (Some(first), Some(last)) = (records.first(), records.last()) {
            events.push(GroupEvent::Polled {
                consumer: consumer.id,
                tp: tp.clone(),
                from: first.offset,
                count: records.len(),
            });
            budget -= records.len();
            consumer
                .positions
                .insert(tp.clone(), Offset(last.offset.0 + 1));
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
