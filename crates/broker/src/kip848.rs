//! The consumer group protocol of KIP-848 (`group.protocol=consumer`, GA in Kafka 4.0): the
//! coordinator, not a leader client, computes a **target assignment** whenever the **group
//! epoch** moves past the target's epoch, and each member reconciles towards it on its own,
//! through one RPC, `ConsumerGroupHeartbeat`, sent every `group.consumer.heartbeat.interval.ms`
//! (5 s) with the partitions the member owns. There is no JoinGroup round and no group-wide
//! barrier: a member keeps what it keeps, revokes what moves (UNREVOKED_PARTITIONS, bounded by
//! its rebalance timeout, `max.poll.interval.ms`), and is handed partitions only once their
//! previous owner has released them (UNRELEASED_PARTITIONS until then).
//!
//! [`reconcile`] is Kafka's `CurrentAssignmentBuilder` (group-coordinator module), rule for
//! rule; [`Coordinator::heartbeat`] follows `GroupMetadataManager.consumerGroupHeartbeat`:
//! epoch checks (`FENCED_MEMBER_EPOCH`, the lost-response exception), leaves with epoch −1
//! (dynamic) and −2 (static, KIP-345: the member and its assignment stay until the session
//! times out, and a rejoin with the same `group.instance.id` replaces it without an epoch
//! bump), `UNRELEASED_INSTANCE_ID` while the old static member has not left. The broker-side
//! assignor is `uniform` (the first of `group.consumer.assignors`), sticky and balanced per topic
//! among its subscribers, as Kafka's `UniformAssignor` is for a homogeneous subscription.
//!
//! Not modelled: subscription changes (the lab's consumers never change topics, so
//! `updateCurrentAssignment` never runs), regex subscriptions, rack awareness, the `range`
//! server assignor, and mixed classic/consumer groups (refused when a consumer is added).

use super::group::TopicPartition;
use super::PartitionId;
use sim::clock::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// `group.consumer.heartbeat.interval.ms`: 5 s (broker bounds 5–15 s).
pub const HEARTBEAT_INTERVAL_TICKS: u64 = 50;
/// `group.consumer.session.timeout.ms`: 45 s (broker bounds 45–60 s).
pub const SESSION_TIMEOUT_TICKS: u64 = 450;

/// A set of partitions.
pub type Partitions = BTreeSet<TopicPartition>;

/// The member epoch a heartbeat carries (KIP-848's `MemberEpoch` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestEpoch {
    /// 0: join (or rejoin after being fenced).
    Join,
    /// The epoch the member last received.
    Member(u32),
    /// −1: a dynamic member leaves.
    Leave,
    /// −2: a static member leaves for now; it keeps its place until the session times out.
    StaticLeave,
}

impl RequestEpoch {
    /// The number on the wire.
    pub fn wire(self) -> i64 {
        match self {
            RequestEpoch::Join => 0,
            RequestEpoch::Member(e) => i64::from(e),
            RequestEpoch::Leave => -1,
            RequestEpoch::StaticLeave => -2,
        }
    }
}

/// A member's reconciliation state (Kafka's `MemberState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberState {
    /// Owns exactly its share of the target at the target epoch.
    Stable,
    /// Must give partitions up first; keeps its epoch until its heartbeat no longer reports them.
    UnrevokedPartitions,
    /// At the target epoch, waiting for partitions other members still own.
    UnreleasedPartitions,
}

impl MemberState {
    /// Kafka's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            MemberState::Stable => "STABLE",
            MemberState::UnrevokedPartitions => "UNREVOKED_PARTITIONS",
            MemberState::UnreleasedPartitions => "UNRELEASED_PARTITIONS",
        }
    }
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the coordinator knows of a member's assignment (the fields `CurrentAssignmentBuilder`
/// reads and writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    pub state: MemberState,
    pub epoch: u32,
    pub previous_epoch: u32,
    /// Partitions the member may own now.
    pub assigned: Partitions,
    /// Partitions it must give up; still counted as its own until it does.
    pub pending_revocation: Partitions,
}

impl Reconciliation {
    /// A member that just joined: epoch 0, nothing assigned.
    pub fn joining() -> Reconciliation {
        Reconciliation {
            state: MemberState::Stable,
            epoch: 0,
            previous_epoch: 0,
            assigned: Partitions::new(),
            pending_revocation: Partitions::new(),
        }
    }

    fn with(
        &self,
        state: MemberState,
        epoch: u32,
        assigned: Partitions,
        revoking: Partitions,
    ) -> Self {
        Reconciliation {
            state,
            // `updateMemberEpoch`: the previous epoch is the one the member had before.
            previous_epoch: self.epoch,
            epoch,
            assigned,
            pending_revocation: revoking,
        }
    }
}

/// What a reconciliation step sees: the target it moves towards and who owns what.
pub struct Target<'a> {
    pub epoch: u32,
    pub partitions: &'a Partitions,
    pub subscribed: &'a BTreeSet<String>,
    /// Whether any member (this one included) owns the partition now (its partition epoch is
    /// not −1).
    pub is_owned: &'a dyn Fn(&TopicPartition) -> bool,
}

/// `CurrentAssignmentBuilder.build`: the member's next state, given the partitions its heartbeat
/// reports (`None`: the heartbeat left the field out, so nothing counts as revoked).
pub fn reconcile(
    member: &Reconciliation,
    target: &Target<'_>,
    owned: Option<&Partitions>,
) -> Reconciliation {
    match member.state {
        MemberState::Stable if member.epoch != target.epoch => {
            next_assignment(member, member.epoch, target, owned)
        }
        MemberState::Stable => member.clone(),
        MemberState::UnrevokedPartitions if owns_any(owned, &member.pending_revocation) => {
            member.clone()
        }
        MemberState::UnrevokedPartitions | MemberState::UnreleasedPartitions => {
            next_assignment(member, member.epoch, target, owned)
        }
    }
}

/// `ownsRevokedPartitions`: a heartbeat without the field owns everything.
fn owns_any(owned: Option<&Partitions>, revoking: &Partitions) -> bool {
    owned.is_none_or(|o| !o.is_disjoint(revoking))
}

/// `computeNextAssignment`: keep = assigned ∩ target, revoke = assigned − keep, pending =
/// target − keep, less what others still own (unreleased).
fn next_assignment(
    member: &Reconciliation,
    epoch: u32,
    target: &Target<'_>,
    owned: Option<&Partitions>,
) -> Reconciliation {
    let wanted: Partitions = sim::sort::collect_set(
        target
            .partitions
            .iter()
            .filter(|tp| target.subscribed.contains(&tp.topic))
            .cloned(),
    );
    let mut assigned: Partitions =
        sim::sort::collect_set(member.assigned.intersection(&wanted).cloned());
    let revoking: Partitions =
        sim::sort::collect_set(member.assigned.difference(&assigned).cloned());
    let (unreleased, pending): (Partitions, Partitions) = wanted
        .difference(&assigned)
        .cloned()
        .partition(|tp| (target.is_owned)(tp) && !member.pending_revocation.contains(tp));
    let has_unreleased = !unreleased.is_empty();
    if !revoking.is_empty() && owns_any(owned, &revoking) {
        return member.with(MemberState::UnrevokedPartitions, epoch, assigned, revoking);
    }
    assigned.extend(pending);
    let state = if has_unreleased {
        MemberState::UnreleasedPartitions
    } else {
        MemberState::Stable
    };
    member.with(state, target.epoch, assigned, Partitions::new())
}

/// The broker-side `uniform` assignor: per topic, its partitions spread over the members
/// subscribed to it, each getting ⌊n/m⌋ or ⌈n/m⌉; a member keeps what it had in the previous
/// target up to its quota (members in id order take the extra partitions first), and the rest
/// go, lowest partition first, to the members furthest below their quota.
pub fn uniform_assign(
    partition_counts: &BTreeMap<String, u32>,
    subscriptions: &BTreeMap<String, BTreeSet<String>>,
    previous: &BTreeMap<String, Partitions>,
) -> BTreeMap<String, Partitions> {
    let mut result: BTreeMap<String, Partitions> =
        sim::sort::collect_map(subscriptions.keys().map(|m| (m.clone(), Partitions::new())));
    for (topic, &count) in partition_counts {
        let members: Vec<&String> = subscriptions
            .iter()
            .filter(|(_, topics)| topics.contains(topic))
            .map(|(m, _)| m)
            .collect();
        if members.is_empty() || count == 0 {
            continue;
        }
        let base = count as usize / members.len();
        let mut extra = count as usize % members.len();
        let mut taken = BTreeSet::new();
        let mut quota = BTreeMap::new();
        // Sticky first: those holding more than the base keep one extra while extras remain.
        for m in &members {
            let had: Vec<&TopicPartition> = previous
                .get(*m)
                .into_iter()
                .flatten()
                .filter(|tp| tp.topic == *topic && tp.partition.0 < count)
                .collect();
            let q = if had.len() > base && extra > 0 {
                extra -= 1;
                base + 1
            } else {
                base
            };
            for tp in had.into_iter().take(q) {
                taken.insert(tp.partition.0);
                result.get_mut(*m).expect("listed").insert(tp.clone());
            }
            quota.insert((*m).clone(), q);
        }
        // Members with no extra yet may take one while extras remain, in id order.
        for m in &members {
            if extra == 0 {
                break;
            }
            if quota[*m] == base {
                quota.insert((*m).clone(), base + 1);
                extra -= 1;
            }
        }
        let mut free = (0..count).filter(|p| !taken.contains(p));
        for m in &members {
            let mine = result.get_mut(*m).expect("listed");
            while mine.iter().filter(|tp| tp.topic == *topic).count() < quota[*m] {
                let Some(p) = free.next() else { break };
                mine.insert(TopicPartition {
                    topic: topic.clone(),
                    partition: PartitionId(p),
                });
            }
        }
    }
    result
}

/// A member as the coordinator records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub instance_id: Option<String>,
    pub topics: BTreeSet<String>,
    pub reconciliation: Reconciliation,
    pub last_heartbeat: Tick,
    /// `RebalanceTimeoutMs` (the client's `max.poll.interval.ms`), in ticks.
    pub rebalance_timeout_ticks: u64,
    /// When it entered UNREVOKED_PARTITIONS plus its rebalance timeout: fenced past it.
    pub revocation_deadline: Option<Tick>,
    /// A static member that left with epoch −2: kept until its session times out.
    pub left_static: bool,
}

/// One `ConsumerGroupHeartbeat` request.
#[derive(Clone, Debug)]
pub struct Heartbeat<'a> {
    pub member_id: &'a str,
    pub epoch: RequestEpoch,
    pub instance_id: Option<&'a str>,
    pub topics: &'a BTreeSet<String>,
    pub owned: &'a Partitions,
    pub rebalance_timeout_ticks: u64,
}

/// The coordinator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeartbeatResponse {
    /// The member's epoch and the partitions it may own now.
    Assignment { epoch: u32, assigned: Partitions },
    /// `FENCED_MEMBER_EPOCH` or `UNKNOWN_MEMBER_ID`: drop every partition and rejoin at epoch 0.
    Fenced { code: &'static str },
    /// `UNRELEASED_INSTANCE_ID`: the static member with this instance id has not left yet.
    UnreleasedInstanceId,
    /// The leave was recorded.
    Left,
}

/// What changed in the group, for the trace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CoordinatorEvent {
    /// The group epoch moved and the assignor computed a new target.
    TargetComputed { epoch: u32 },
    /// A member's epoch or state changed.
    Reconciled {
        member: String,
        epoch: u32,
        state: MemberState,
    },
    /// A static member rejoined under a new member id in place of the one that left.
    StaticReplaced { old: String, new: String },
    Removed {
        member: String,
        reason: &'static str,
    },
}

/// A consumer-protocol group at its coordinator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coordinator {
    pub group_epoch: u32,
    pub target_epoch: u32,
    /// The target assignment, by member id.
    pub target: BTreeMap<String, Partitions>,
    pub members: BTreeMap<String, Member>,
    /// Target assignments computed so far.
    pub targets_computed: u32,
}

impl Coordinator {
    /// Who owns each partition now: assigned or pending revocation.
    pub fn owners(&self) -> BTreeMap<TopicPartition, Vec<String>> {
        let mut owners: BTreeMap<TopicPartition, Vec<String>> = BTreeMap::new();
        for (id, m) in &self.members {
            let r = &m.reconciliation;
            for tp in r.assigned.iter().chain(&r.pending_revocation) {
                owners.entry(tp.clone()).or_default().push(id.clone());
            }
        }
        owners
    }

    /// Handles one heartbeat, recomputing the target first when the group epoch moved.
    pub fn heartbeat(
        &mut self,
        request: &Heartbeat<'_>,
        partition_counts: &BTreeMap<String, u32>,
        now: Tick,
        events: &mut Vec<CoordinatorEvent>,
    ) -> HeartbeatResponse {
        match request.epoch {
            RequestEpoch::Leave => {
                self.remove(request.member_id, "left the group (epoch -1)", events);
                return HeartbeatResponse::Left;
            }
            RequestEpoch::StaticLeave => {
                // Its session timer runs from the leave.
                if let Some(m) = self.members.get_mut(request.member_id) {
                    m.left_static = true;
                    m.last_heartbeat = now;
                }
                return HeartbeatResponse::Left;
            }
            RequestEpoch::Join => {
                if let Err(response) = self.admit(request, now, events) {
                    return response;
                }
            }
            RequestEpoch::Member(epoch) => {
                if let Err(code) = self.check_epoch(request.member_id, epoch, request.owned) {
                    return HeartbeatResponse::Fenced { code };
                }
            }
        }
        if self.group_epoch > self.target_epoch {
            self.compute_target(partition_counts, events);
        }
        self.reconcile_member(request.member_id, Some(request.owned), now, events)
    }

    /// A heartbeat at epoch 0: a new member, or a static member taking its place back.
    fn admit(
        &mut self,
        request: &Heartbeat<'_>,
        now: Tick,
        events: &mut Vec<CoordinatorEvent>,
    ) -> Result<(), HeartbeatResponse> {
        let previous = request.instance_id.and_then(|instance| {
            self.members
                .iter()
                .find(|(_, m)| m.instance_id.as_deref() == Some(instance))
                .map(|(id, m)| (id.clone(), m.left_static))
        });
        let member = match previous {
            Some((_, false)) => return Err(HeartbeatResponse::UnreleasedInstanceId),
            Some((old, true)) => {
                let mut m = self.members.remove(&old).expect("found");
                self.target
                    .remove(&old)
                    .map(|t| self.target.insert(request.member_id.to_string(), t));
                m.left_static = false;
                events.push(CoordinatorEvent::StaticReplaced {
                    old,
                    new: request.member_id.to_string(),
                });
                m
            }
            None => {
                self.group_epoch += 1;
                Member {
                    instance_id: request.instance_id.map(str::to_string),
                    topics: request.topics.clone(),
                    reconciliation: Reconciliation::joining(),
                    last_heartbeat: now,
                    rebalance_timeout_ticks: request.rebalance_timeout_ticks,
                    revocation_deadline: None,
                    left_static: false,
                }
            }
        };
        self.members.insert(request.member_id.to_string(), member);
        Ok(())
    }

    /// `throwIfConsumerGroupMemberEpochIsInvalid`.
    fn check_epoch(
        &self,
        member_id: &str,
        epoch: u32,
        owned: &Partitions,
    ) -> Result<(), &'static str> {
        let Some(m) = self.members.get(member_id) else {
            return Err("UNKNOWN_MEMBER_ID");
        };
        let r = &m.reconciliation;
        if epoch == r.epoch {
            return Ok(());
        }
        // A lost response: the member still has the previous epoch and owns nothing new.
        if epoch == r.previous_epoch && owned.is_subset(&r.assigned) {
            return Ok(());
        }
        Err("FENCED_MEMBER_EPOCH")
    }

    /// Removes a member and frees its partitions: the group epoch moves.
    pub fn remove(
        &mut self,
        member_id: &str,
        reason: &'static str,
        events: &mut Vec<CoordinatorEvent>,
    ) {
        if self.members.remove(member_id).is_some() {
            self.target.remove(member_id);
            self.group_epoch += 1;
            events.push(CoordinatorEvent::Removed {
                member: member_id.to_string(),
                reason,
            });
        }
    }

    fn compute_target(
        &mut self,
        partition_counts: &BTreeMap<String, u32>,
        events: &mut Vec<CoordinatorEvent>,
    ) {
        let subscriptions = sim::sort::collect_map(
            self.members
                .iter()
                .map(|(id, m)| (id.clone(), m.topics.clone())),
        );
        self.target = uniform_assign(partition_counts, &subscriptions, &self.target);
        self.target_epoch = self.group_epoch;
        self.targets_computed += 1;
        events.push(CoordinatorEvent::TargetComputed {
            epoch: self.target_epoch,
        });
    }

    fn reconcile_member(
        &mut self,
        member_id: &str,
        owned: Option<&Partitions>,
        now: Tick,
        events: &mut Vec<CoordinatorEvent>,
    ) -> HeartbeatResponse {
        let owners = self.owners();
        let empty = Partitions::new();
        let member = &self.members[member_id];
        let is_owned = |tp: &TopicPartition| owners.contains_key(tp);
        let target = Target {
            epoch: self.target_epoch,
            partitions: self.target.get(member_id).unwrap_or(&empty),
            subscribed: &member.topics,
            is_owned: &is_owned,
        };
        let next = reconcile(&member.reconciliation, &target, owned);
        let member = self.members.get_mut(member_id).expect("present");
        member.last_heartbeat = now;
        let before = &member.reconciliation;
        if next.epoch != before.epoch || next.state != before.state {
            events.push(CoordinatorEvent::Reconciled {
                member: member_id.to_string(),
                epoch: next.epoch,
                state: next.state,
            });
        }
        member.revocation_deadline = match next.state {
            MemberState::UnrevokedPartitions => member
                .revocation_deadline
                .or(Some(now.plus(member.rebalance_timeout_ticks))),
            _ => None,
        };
        member.reconciliation = next;
        HeartbeatResponse::Assignment {
            epoch: member.reconciliation.epoch,
            assigned: member.reconciliation.assigned.clone(),
        }
    }

    /// Members silent for the session timeout are removed; members that did not revoke within
    /// their rebalance timeout are fenced. Either frees their partitions and moves the epoch.
    pub fn expire(&mut self, now: Tick, events: &mut Vec<CoordinatorEvent>) {
        let silent: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| now.ticks_since(m.last_heartbeat) >= SESSION_TIMEOUT_TICKS)
            .map(|(id, _)| id.clone())
            .collect();
        for id in silent {
            self.remove(&id, "session timed out", events);
        }
        let late: Vec<String> = self
            .members
            .iter()
            .filter(|(_, m)| m.revocation_deadline.is_some_and(|d| now >= d))
            .map(|(id, _)| id.clone())
            .collect();
        for id in late {
            self.remove(
                &id,
                "fenced: did not revoke within the rebalance timeout",
                events,
            );
        }
    }

    /// Whether every member is STABLE at the target epoch, which equals the group epoch (an
    /// empty group computes no target until someone heartbeats).
    pub fn converged(&self) -> bool {
        (self.members.is_empty() || self.target_epoch == self.group_epoch)
            && self.members.values().all(|m| {
                m.reconciliation.state == MemberState::Stable
                    && m.reconciliation.epoch == self.target_epoch
            })
    }
}

#[cfg(test)]
mod tests {
    //! The golden cases of Kafka's `CurrentAssignmentBuilderTest`, with topic1 as "a" and topic2
    //! as "b".
    use super::*;

    fn tps(a: &[u32], b: &[u32]) -> Partitions {
        a.iter()
            .map(|p| ("a", *p))
            .chain(b.iter().map(|p| ("b", *p)))
            .map(|(t, p)| TopicPartition {
                topic: t.to_string(),
                partition: PartitionId(p),
            })
            .collect()
    }

    /// A member that has been at `epoch` since the previous heartbeat.
    fn member(
        state: MemberState,
        epoch: u32,
        assigned: Partitions,
        revoking: Partitions,
    ) -> Reconciliation {
        expect(state, epoch, epoch, assigned, revoking)
    }

    /// The starting points the cases share, as Kafka's `CurrentAssignmentBuilderTest` sets them
    /// up: stable at epoch 10 with a-1..3 and b-4..6.
    fn stable_at_10() -> Reconciliation {
        member(Stable, 10, tps(&[1, 2, 3], &[4, 5, 6]), tps(&[], &[]))
    }

    /// At epoch 10, still to revoke a-1 and b-4.
    fn unrevoked_at_10() -> Reconciliation {
        member(
            UnrevokedPartitions,
            10,
            tps(&[2, 3], &[5, 6]),
            tps(&[1], &[4]),
        )
    }

    /// At epoch 11, waiting for partitions other members still own.
    fn unreleased_at_11() -> Reconciliation {
        member(
            UnreleasedPartitions,
            11,
            tps(&[2, 3], &[5, 6]),
            tps(&[], &[]),
        )
    }

    fn run(
        m: &Reconciliation,
        epoch: u32,
        target: &Partitions,
        owned_by_anyone: bool,
        owned: Option<&Partitions>,
    ) -> Reconciliation {
        let subscribed: BTreeSet<String> = ["a".to_string(), "b".to_string()].into();
        let is_owned = move |_: &TopicPartition| owned_by_anyone;
        reconcile(
            m,
            &Target {
                epoch,
                partitions: target,
                subscribed: &subscribed,
                is_owned: &is_owned,
            },
            owned,
        )
    }

    fn expect(
        state: MemberState,
        epoch: u32,
        previous: u32,
        assigned: Partitions,
        revoking: Partitions,
    ) -> Reconciliation {
        Reconciliation {
            state,
            epoch,
            previous_epoch: previous,
            assigned,
            pending_revocation: revoking,
        }
    }

    use MemberState::*;

    #[test]
    fn stable_to_stable() {
        let m = stable_at_10();
        let next = run(&m, 11, &tps(&[1, 2, 3], &[4, 5, 6]), true, None);
        assert_eq!(
            next,
            expect(Stable, 11, 10, tps(&[1, 2, 3], &[4, 5, 6]), tps(&[], &[]))
        );
    }

    #[test]
    fn stable_to_stable_with_new_partitions() {
        let m = stable_at_10();
        let next = run(&m, 11, &tps(&[1, 2, 3, 4], &[4, 5, 6, 7]), false, None);
        assert_eq!(
            next,
            expect(
                Stable,
                11,
                10,
                tps(&[1, 2, 3, 4], &[4, 5, 6, 7]),
                tps(&[], &[])
            )
        );
    }

    #[test]
    fn stable_to_unrevoked_partitions() {
        let m = stable_at_10();
        let next = run(&m, 11, &tps(&[2, 3, 4], &[5, 6, 7]), false, None);
        assert_eq!(
            next,
            expect(
                UnrevokedPartitions,
                10,
                10,
                tps(&[2, 3], &[5, 6]),
                tps(&[1], &[4])
            )
        );
    }

    #[test]
    fn stable_to_unreleased_partitions() {
        let m = stable_at_10();
        let next = run(&m, 11, &tps(&[1, 2, 3, 4], &[4, 5, 6, 7]), true, None);
        assert_eq!(
            next,
            expect(
                UnreleasedPartitions,
                11,
                10,
                tps(&[1, 2, 3], &[4, 5, 6]),
                tps(&[], &[])
            )
        );
    }

    #[test]
    fn stable_to_unreleased_when_owned_partitions_hold_nothing_revoked() {
        let m = stable_at_10();
        let subscribed: BTreeSet<String> = ["a".to_string(), "b".to_string()].into();
        let is_owned = |tp: &TopicPartition| tp.topic == "b";
        let next = reconcile(
            &m,
            &Target {
                epoch: 11,
                partitions: &tps(&[1, 2, 3], &[4, 5, 7]),
                subscribed: &subscribed,
                is_owned: &is_owned,
            },
            Some(&Partitions::new()),
        );
        assert_eq!(
            next,
            expect(
                UnreleasedPartitions,
                11,
                10,
                tps(&[1, 2, 3], &[4, 5]),
                tps(&[], &[])
            )
        );
    }

    #[test]
    fn unrevoked_partitions_to_stable() {
        let m = unrevoked_at_10();
        let owned = tps(&[2, 3], &[5, 6]);
        let next = run(&m, 11, &tps(&[2, 3], &[5, 6]), false, Some(&owned));
        assert_eq!(
            next,
            expect(Stable, 11, 10, tps(&[2, 3], &[5, 6]), tps(&[], &[]))
        );
    }

    #[test]
    fn remains_in_unrevoked_partitions() {
        let m = unrevoked_at_10();
        let target = tps(&[3], &[6]);
        assert_eq!(run(&m, 12, &target, false, None), m);
        assert_eq!(
            run(&m, 12, &target, false, Some(&tps(&[1, 2, 3], &[5, 6]))),
            m
        );
        assert_eq!(
            run(&m, 12, &target, false, Some(&tps(&[2, 3], &[4, 5, 6]))),
            m
        );
    }

    #[test]
    fn unrevoked_partitions_to_unrevoked_partitions() {
        let m = unrevoked_at_10();
        let next = run(
            &m,
            12,
            &tps(&[3], &[6]),
            false,
            Some(&tps(&[2, 3], &[5, 6])),
        );
        assert_eq!(
            next,
            expect(
                UnrevokedPartitions,
                10,
                10,
                tps(&[3], &[6]),
                tps(&[2], &[5])
            )
        );
    }

    #[test]
    fn unrevoked_partitions_to_unreleased_partitions() {
        let m = member(
            UnrevokedPartitions,
            11,
            tps(&[2, 3], &[5, 6]),
            tps(&[1], &[4]),
        );
        let next = run(
            &m,
            11,
            &tps(&[2, 3, 4], &[5, 6, 7]),
            true,
            Some(&tps(&[2, 3], &[5, 6])),
        );
        assert_eq!(
            next,
            expect(
                UnreleasedPartitions,
                11,
                11,
                tps(&[2, 3], &[5, 6]),
                tps(&[], &[])
            )
        );
    }

    #[test]
    fn unreleased_partitions_to_stable() {
        let m = unreleased_at_11();
        let next = run(&m, 12, &tps(&[2, 3], &[5, 6]), true, None);
        assert_eq!(
            next,
            expect(Stable, 12, 11, tps(&[2, 3], &[5, 6]), tps(&[], &[]))
        );
    }

    #[test]
    fn unreleased_partitions_to_stable_once_released() {
        let m = unreleased_at_11();
        let next = run(&m, 11, &tps(&[2, 3, 4], &[5, 6, 7]), false, None);
        assert_eq!(
            next,
            expect(Stable, 11, 11, tps(&[2, 3, 4], &[5, 6, 7]), tps(&[], &[]))
        );
    }

    #[test]
    fn remains_in_unreleased_partitions() {
        let m = unreleased_at_11();
        let next = run(&m, 11, &tps(&[2, 3, 4], &[5, 6, 7]), true, None);
        assert_eq!(next, m);
    }

    #[test]
    fn unreleased_partitions_to_unrevoked_partitions() {
        let m = unreleased_at_11();
        let next = run(&m, 12, &tps(&[3], &[6]), true, None);
        assert_eq!(
            next,
            expect(
                UnrevokedPartitions,
                11,
                11,
                tps(&[3], &[6]),
                tps(&[2], &[5])
            )
        );
    }

    #[test]
    fn uniform_is_balanced_and_sticky() {
        let counts: BTreeMap<String, u32> = [("a".to_string(), 6)].into();
        let subs = |ids: &[&str]| -> BTreeMap<String, BTreeSet<String>> {
            ids.iter()
                .map(|i| (i.to_string(), ["a".to_string()].into()))
                .collect()
        };
        let first = uniform_assign(&counts, &subs(&["m1", "m2"]), &BTreeMap::new());
        assert_eq!(first["m1"], tps(&[0, 1, 2], &[]));
        assert_eq!(first["m2"], tps(&[3, 4, 5], &[]));
        let second = uniform_assign(&counts, &subs(&["m1", "m2", "m3"]), &first);
        assert_eq!(second["m1"], tps(&[0, 1], &[]));
        assert_eq!(second["m2"], tps(&[3, 4], &[]));
        assert_eq!(second["m3"], tps(&[2, 5], &[]));
    }

    #[test]
    fn lost_response_is_accepted_at_the_previous_epoch_only_if_nothing_new_is_owned() {
        let mut c = Coordinator::default();
        let topics: BTreeSet<String> = ["a".to_string()].into();
        let counts: BTreeMap<String, u32> = [("a".to_string(), 2)].into();
        let mut events = Vec::new();
        let none = Partitions::new();
        let hb = |epoch| Heartbeat {
            member_id: "m1",
            epoch,
            instance_id: None,
            topics: &topics,
            owned: &none,
            rebalance_timeout_ticks: 100,
        };
        let r = c.heartbeat(&hb(RequestEpoch::Join), &counts, Tick(0), &mut events);
        assert_eq!(
            r,
            HeartbeatResponse::Assignment {
                epoch: 1,
                assigned: tps(&[0, 1], &[])
            }
        );
        // The answer was lost: the member heartbeats again with the epoch it had before (0),
        // owning nothing beyond its assignment, and is answered again.
        let r = c.heartbeat(&hb(RequestEpoch::Member(0)), &counts, Tick(1), &mut events);
        assert!(matches!(r, HeartbeatResponse::Assignment { epoch: 1, .. }));
        let r = c.heartbeat(&hb(RequestEpoch::Member(7)), &counts, Tick(2), &mut events);
        assert_eq!(
            r,
            HeartbeatResponse::Fenced {
                code: "FENCED_MEMBER_EPOCH"
            }
        );
    }

    #[test]
    fn a_static_member_leaving_with_minus_two_is_replaced_without_an_epoch_bump() {
        let mut c = Coordinator::default();
        let topics: BTreeSet<String> = ["a".to_string()].into();
        let counts: BTreeMap<String, u32> = [("a".to_string(), 2)].into();
        let mut events = Vec::new();
        let none = Partitions::new();
        let hb = |id, epoch| Heartbeat {
            member_id: id,
            epoch,
            instance_id: Some("c-1"),
            topics: &topics,
            owned: &none,
            rebalance_timeout_ticks: 100,
        };
        c.heartbeat(
            &hb("old", RequestEpoch::Join),
            &counts,
            Tick(0),
            &mut events,
        );
        assert_eq!(
            c.heartbeat(
                &hb("new", RequestEpoch::Join),
                &counts,
                Tick(1),
                &mut events
            ),
            HeartbeatResponse::UnreleasedInstanceId
        );
        c.heartbeat(
            &hb("old", RequestEpoch::StaticLeave),
            &counts,
            Tick(2),
            &mut events,
        );
        let epoch = c.group_epoch;
        let r = c.heartbeat(
            &hb("new", RequestEpoch::Join),
            &counts,
            Tick(3),
            &mut events,
        );
        assert_eq!(
            r,
            HeartbeatResponse::Assignment {
                epoch: 1,
                assigned: tps(&[0, 1], &[])
            }
        );
        assert_eq!(c.group_epoch, epoch);
        assert!(!c.members.contains_key("old"));
    }
}
