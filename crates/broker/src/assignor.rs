//! Consumer-group partition assignors, producing the same assignments as the Java client's
//! `RangeAssignor`, `RoundRobinAssignor`, `StickyAssignor` and `CooperativeStickyAssignor`
//! (Kafka's Java assignors, KIP-54, KIP-341, KIP-429).
//!
//! Input is what the group leader sees in one rebalance: the partition count of every topic and,
//! per member, its subscription, optional static `group.instance.id`, and (for the sticky
//! assignors) the partitions it owned in which generation. Output is every member's partitions.
//! Member order follows Java's `MemberInfo.compareTo`: static members first by instance id, then
//! dynamic members by member id. Where Java iterates a `HashMap` (the sticky assignors' owned
//! partitions), members are taken in member-id order, which only matters in ties.
//!
//! ```
//! use broker::assignor::{assign, Group, Member, Strategy};
//! let group = Group::new(&[("t0", 3), ("t1", 3)], vec![Member::new("C0", &["t0", "t1"]), Member::new("C1", &["t0", "t1"])]);
//! let a = assign(Strategy::Range, &group).unwrap();
//! assert_eq!(a["C0"]["t0"], vec![0, 1]);
//! assert_eq!(a["C1"]["t1"], vec![2]);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Most members one group may have here.
pub const MEMBERS_MAX: usize = 10_000;
/// Most partitions (over all topics) one assignment may handle here.
pub const PARTITIONS_MAX: u64 = 1_000_000;

/// A group member as the assignor sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    /// `group.instance.id` of a static member.
    pub instance_id: Option<String>,
    pub topics: BTreeSet<String>,
    /// Partitions owned before this rebalance (sticky assignors only), by topic.
    pub owned: BTreeMap<String, Vec<u32>>,
    /// The generation those partitions were owned in.
    pub generation: Option<i32>,
}

impl Member {
    /// A dynamic member with no previous partitions.
    pub fn new(id: &str, topics: &[&str]) -> Member {
        Member {
            id: id.to_string(),
            instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned: BTreeMap::new(),
            generation: None,
        }
    }

    /// This member, owning `owned` in `generation`.
    pub fn owning(mut self, owned: &[(&str, &[u32])], generation: i32) -> Member {
        self.owned = owned
            .iter()
            .map(|(t, ps)| (t.to_string(), ps.to_vec()))
            .collect();
        self.generation = Some(generation);
        self
    }
}

/// A rebalance's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Partition count of every topic that exists.
    pub topics: BTreeMap<String, u32>,
    pub members: Vec<Member>,
}

impl Group {
    pub fn new(topics: &[(&str, u32)], members: Vec<Member>) -> Group {
        Group {
            topics: topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
            members,
        }
    }
}

/// Partitions of each topic, ascending, with topics absent when empty.
pub type MemberAssignment = BTreeMap<String, Vec<u32>>;
/// Every member's partitions, by member id.
pub type Assignment = BTreeMap<String, MemberAssignment>;

/// The four built-in assignors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [
        Strategy::Range,
        Strategy::RoundRobin,
        Strategy::Sticky,
        Strategy::CooperativeSticky,
    ];

    /// The name used by `partition.assignment.strategy` documentation and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Range => "range",
            Strategy::RoundRobin => "roundrobin",
            Strategy::Sticky => "sticky",
            Strategy::CooperativeSticky => "cooperative-sticky",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Eager assignors make every member revoke everything before rejoining; cooperative ones
    /// only revoke what moves (KIP-429).
    pub fn is_cooperative(self) -> bool {
        self == Strategy::CooperativeSticky
    }
}

/// Why a group could not be assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignError {
    DuplicateMember(String),
    DuplicateInstance(String),
    EmptyMemberId,
    TooManyMembers,
    TooManyPartitions,
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignError::DuplicateMember(id) => write!(f, "member id \"{id}\" appears twice"),
            AssignError::DuplicateInstance(id) => {
                write!(f, "group.instance.id \"{id}\" is used by two members")
            }
            AssignError::EmptyMemberId => write!(f, "a member has an empty id"),
            AssignError::TooManyMembers => write!(f, "more than {MEMBERS_MAX} members"),
            AssignError::TooManyPartitions => {
                write!(f, "more than {PARTITIONS_MAX} partitions in all")
            }
        }
    }
}

/// Runs one rebalance with `strategy`. Every member appears in the result, possibly with nothing.
pub fn assign(strategy: Strategy, group: &Group) -> Result<Assignment, AssignError> {
    validate(group)?;
    let mut out: BTreeMap<String, BTreeSet<Tp>> = sim::sort::collect_map(
        group
            .members
            .iter()
            .map(|m| (m.id.clone(), BTreeSet::new())),
    );
    let assigned = match strategy {
        Strategy::Range => range(group),
        Strategy::RoundRobin => round_robin(group),
        Strategy::Sticky => sticky(group).assignment,
        Strategy::CooperativeSticky => cooperative_sticky(group),
    };
    for (member, tp) in assigned {
        out.entry(member).or_default().insert(tp);
    }
    Ok(sim::sort::collect_map(out.into_iter().map(
        |(member, tps)| {
            let mut by_topic = MemberAssignment::new();
            for tp in tps {
                by_topic.entry(tp.topic).or_default().push(tp.partition);
            }
            (member, by_topic)
        },
    )))
}

fn validate(group: &Group) -> Result<(), AssignError> {
    if group.members.len() > MEMBERS_MAX {
        return Err(AssignError::TooManyMembers);
    }
    if group.topics.values().map(|n| u64::from(*n)).sum::<u64>() > PARTITIONS_MAX {
        return Err(AssignError::TooManyPartitions);
    }
    let mut ids = BTreeSet::new();
    let mut instances = BTreeSet::new();
    for m in &group.members {
        if m.id.is_empty() {
            return Err(AssignError::EmptyMemberId);
        }
        if !ids.insert(m.id.as_str()) {
            return Err(AssignError::DuplicateMember(m.id.clone()));
        }
        if let Some(instance) = &m.instance_id {
            if !instances.insert(instance.as_str()) {
                return Err(AssignError::DuplicateInstance(instance.clone()));
            }
        }
    }
    Ok(())
}

/// A topic partition, ordered by topic then partition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Tp {
    topic: String,
    partition: u32,
}

/// Java's member order: static members by instance id, then dynamic members by member id.
fn ordered_members(group: &Group) -> Vec<&Member> {
    let mut members: Vec<&Member> = group.members.iter().collect();
    sim::sort::sort_by(&mut members, |a, b| {
        match (&a.instance_id, &b.instance_id) {
            (Some(x), Some(y)) => x.cmp(y).then_with(|| a.id.cmp(&b.id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.id.cmp(&b.id),
        }
    });
    members
}

fn partition_count(group: &Group, topic: &str) -> u32 {
    group.topics.get(topic).copied().unwrap_or(0)
}

/// RangeAssignor: per topic, contiguous ranges in member order; the first `P % N` members get one more.
fn range(group: &Group) -> Vec<(String, Tp)> {
    let members = ordered_members(group);
    let mut out = Vec::new();
    for (topic, &count) in &group.topics {
        let subscribers: Vec<&&Member> = members
            .iter()
            .filter(|m| m.topics.contains(topic))
            .collect();
        if subscribers.is_empty() || count == 0 {
            continue;
        }
        let n = subscribers.len() as u32;
        let (quota, extra) = (count / n, count % n);
        for (i, member) in subscribers.iter().enumerate() {
            let i = i as u32;
            let start = quota * i + i.min(extra);
            let len = quota + u32::from(i < extra);
            out.extend((start..start + len).map(|p| {
                (
                    member.id.clone(),
                    Tp {
                        topic: topic.clone(),
                        partition: p,
                    },
                )
            }));
        }
    }
    out
}

/// RoundRobinAssignor: all partitions by (topic, partition), dealt over a circular list of all
/// members, skipping members not subscribed to the partition's topic.
fn round_robin(group: &Group) -> Vec<(String, Tp)> {
    let members = ordered_members(group);
    let mut out = Vec::new();
    if members.is_empty() {
        return out;
    }
    let mut cursor = 0usize;
    for (topic, &count) in &group.topics {
        if !members.iter().any(|m| m.topics.contains(topic)) {
            continue;
        }
        for partition in 0..count {
            while !members[cursor % members.len()].topics.contains(topic) {
                cursor += 1;
            }
            out.push((
                members[cursor % members.len()].id.clone(),
                Tp {
                    topic: topic.clone(),
                    partition,
                },
            ));
            cursor += 1;
        }
    }
    out
}

/// Previous ownership after resolving conflicts (Kafka's AbstractStickyAssignor, "Ownership input").
#[derive(Default)]
struct Ownership {
    /// The partitions each member validly owned, by member id.
    owned: BTreeMap<String, Vec<Tp>>,
    /// Partitions claimed by two members of the same generation: owned by nobody.
    multiply_claimed: BTreeSet<Tp>,
    /// For the general path: an owner from an older generation, preferred when moving.
    previous_owner: BTreeMap<Tp, String>,
}

impl Ownership {
    fn owner_of(&self) -> BTreeMap<&Tp, &str> {
        sim::sort::collect_map(
            self.owned
                .iter()
                .flat_map(|(m, tps)| tps.iter().map(move |tp| (tp, m.as_str()))),
        )
    }
}

/// Claims that still make sense: an existing topic the member subscribes to, a partition in range.
fn valid_claims<'a>(group: &'a Group, member: &'a Member) -> impl Iterator<Item = Tp> + 'a {
    member
        .owned
        .iter()
        .filter(|(t, _)| member.topics.contains(*t))
        .flat_map(move |(topic, partitions)| {
            let count = partition_count(group, topic);
            sim::sort::collect_set(
                partitions
                    .iter()
                    .filter(move |p| **p < count)
                    .map(move |p| Tp {
                        topic: topic.clone(),
                        partition: *p,
                    }),
            )
        })
}

/// Constrained path: only members of the highest generation keep their claims (Java's
/// `allSubscriptionsEqual`); same-generation double claims are dropped from both.
fn constrained_ownership(group: &Group) -> Ownership {
    let max_generation = group
        .members
        .iter()
        .map(|m| m.generation.unwrap_or(-1))
        .max()
        .unwrap_or(-1);
    let mut claimers: BTreeMap<Tp, Vec<&str>> = BTreeMap::new();
    for m in group
        .members
        .iter()
        .filter(|m| m.generation.unwrap_or(-1) == max_generation)
    {
        for tp in valid_claims(group, m) {
            claimers.entry(tp).or_default().push(&m.id);
        }
    }
    let mut ownership = Ownership::default();
    for m in &group.members {
        ownership.owned.insert(m.id.clone(), Vec::new());
    }
    for (tp, who) in claimers {
        if let [only] = who.as_slice() {
            ownership
                .owned
                .get_mut(*only)
                .expect("claimer is a member")
                .push(tp);
        } else {
            ownership.multiply_claimed.insert(tp);
        }
    }
    ownership
}

/// General path: per partition, the claimer of the highest generation keeps it (two at that
/// generation: nobody does); the next older claimer is remembered as the previous owner.
fn general_ownership(group: &Group) -> Ownership {
    let mut claimers: BTreeMap<Tp, Vec<(i32, &str)>> = BTreeMap::new();
    for m in &group.members {
        for tp in valid_claims(group, m) {
            claimers
                .entry(tp)
                .or_default()
                .push((m.generation.unwrap_or(-1), &m.id));
        }
    }
    let mut ownership = Ownership::default();
    for m in &group.members {
        ownership.owned.insert(m.id.clone(), Vec::new());
    }
    for (tp, mut who) in claimers {
        sim::sort::sort_by(&mut who, |a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let top = who[0].0;
        let at_top = who.iter().take_while(|(g, _)| *g == top).count();
        if at_top == 1 {
            ownership
                .owned
                .get_mut(who[0].1)
                .expect("claimer is a member")
                .push(tp.clone());
            if let Some((_, older)) = who.get(1) {
                ownership.previous_owner.insert(tp, older.to_string());
            }
        } else {
            ownership.multiply_claimed.insert(tp);
        }
    }
    ownership
}

/// A sticky rebalance's result and the ownership it started from.
struct StickyResult {
    assignment: Vec<(String, Tp)>,
    ownership: Ownership,
}

/// StickyAssignor (eager): balanced, moving as few partitions as possible.
fn sticky(group: &Group) -> StickyResult {
    let all_equal = group.members.windows(2).all(|w| w[0].topics == w[1].topics);
    if all_equal {
        constrained(group)
    } else {
        general(group)
    }
}

/// All partitions of the given topics, by (topic, partition).
fn partitions_of<'a>(group: &'a Group, topics: impl Iterator<Item = &'a String>) -> Vec<Tp> {
    topics
        .flat_map(|topic| {
            (0..partition_count(group, topic)).map(move |p| Tp {
                topic: topic.clone(),
                partition: p,
            })
        })
        .collect()
}

/// (member, partition) pairs from a member -> partitions map.
fn flatten<P: IntoIterator<Item = Tp>>(assignment: BTreeMap<&str, P>) -> Vec<(String, Tp)> {
    assignment
        .into_iter()
        .flat_map(|(m, tps)| tps.into_iter().map(move |tp| (m.to_string(), tp)))
        .collect()
}

/// Kafka's AbstractStickyAssignor case A: identical subscriptions.
fn constrained(group: &Group) -> StickyResult {
    let ownership = constrained_ownership(group);
    let Some(first) = group.members.first() else {
        return StickyResult {
            assignment: Vec::new(),
            ownership,
        };
    };
    let all: Vec<Tp> = partitions_of(group, first.topics.iter());
    let total = all.len();
    let members = group.members.len();
    let min_quota = total / members;
    let max_quota = total.div_ceil(members);
    let expected_over = total % members;
    let mut over = 0usize;
    let mut assignment: BTreeMap<&str, Vec<Tp>> = BTreeMap::new();
    let mut under_min: Vec<&str> = Vec::new();
    let mut exactly_min: std::collections::VecDeque<&str> = std::collections::VecDeque::new();
    let mut taken: BTreeSet<Tp> = BTreeSet::new();
    for (member, owned) in &ownership.owned {
        let mut owned = owned.clone();
        sim::sort::sort_by(&mut owned, |a, b| {
            a.partition
                .cmp(&b.partition)
                .then_with(|| a.topic.cmp(&b.topic))
        });
        let keep = if owned.len() < min_quota {
            under_min.push(member);
            owned.len()
        } else if owned.len() >= max_quota && over < expected_over {
            over += 1;
            if over == expected_over {
                exactly_min.clear();
            }
            max_quota
        } else {
            if over < expected_over {
                exactly_min.push_back(member);
            }
            min_quota
        };
        owned.truncate(keep);
        taken.extend(owned.iter().cloned());
        assignment.insert(member, owned);
    }
    sim::sort::sort(&mut under_min);
    sim::sort::sort(exactly_min.make_contiguous());
    let unassigned: Vec<Tp> = all.into_iter().filter(|tp| !taken.contains(tp)).collect();
    let mut next_under = 0usize;
    for tp in unassigned {
        let member = if next_under < under_min.len() {
            let member = under_min[next_under];
            next_under += 1;
            member
        } else if !under_min.is_empty() {
            next_under = 1;
            under_min[0]
        } else if let Some(member) = exactly_min.pop_front() {
            member
        } else {
            break; // Quotas guarantee this is unreachable; stop rather than misassign.
        };
        let list = assignment.get_mut(member).expect("every member has a list");
        list.push(tp);
        if list.len() == min_quota {
            if let Some(pos) = under_min.iter().position(|m| *m == member) {
                under_min.remove(pos);
                if pos < next_under {
                    next_under -= 1;
                }
            }
            exactly_min.push_back(member);
        }
    }
    StickyResult {
        assignment: flatten(assignment),
        ownership,
    }
}

/// Kafka's AbstractStickyAssignor case B: different subscriptions.
fn general(group: &Group) -> StickyResult {
    let ownership = general_ownership(group);
    let by_id: BTreeMap<&str, &Member> =
        sim::sort::collect_map(group.members.iter().map(|m| (m.id.as_str(), m)));
    let mut assignment: BTreeMap<&str, BTreeSet<Tp>> = sim::sort::collect_map(
        ownership
            .owned
            .iter()
            .map(|(m, tps)| (m.as_str(), sim::sort::collect_set(tps.iter().cloned()))),
    );
    let owned: BTreeSet<&Tp> = sim::sort::collect_set(ownership.owned.values().flatten());
    let subscribed: BTreeSet<&String> =
        sim::sort::collect_set(group.members.iter().flat_map(|m| m.topics.iter()));
    let mut topics: Vec<&String> = subscribed
        .into_iter()
        .filter(|t| partition_count(group, t) > 0)
        .collect();
    sim::sort::sort_by_key(&mut topics, |t| {
        (
            group
                .members
                .iter()
                .filter(|m| m.topics.contains(*t))
                .count(),
            (*t).clone(),
        )
    });
    for tp in partitions_of(group, topics.into_iter()) {
        if owned.contains(&tp) {
            continue;
        }
        let target = assignment
            .iter()
            .filter(|(m, _)| by_id[*m].topics.contains(&tp.topic))
            .min_by_key(|(m, tps)| (tps.len(), **m))
            .map(|(m, _)| *m);
        if let Some(target) = target {
            assignment.get_mut(target).expect("member").insert(tp);
        }
    }
    // Move partitions from a member with at least two more than an eligible one.
    loop {
        let mut receivers: Vec<&str> = assignment.keys().copied().collect();
        sim::sort::sort_by_key(&mut receivers, |m| (assignment[m].len(), *m));
        let mut donors = receivers.clone();
        sim::sort::sort_by_key(&mut donors, |m| {
            (std::cmp::Reverse(assignment[m].len()), *m)
        });
        let mut chosen = None;
        'search: for receiver in &receivers {
            for donor in &donors {
                if assignment[donor].len() < assignment[receiver].len() + 2 {
                    break;
                }
                let movable: Vec<&Tp> = assignment[donor]
                    .iter()
                    .filter(|tp| by_id[receiver].topics.contains(&tp.topic))
                    .collect();
                let preferred = movable
                    .iter()
                    .find(|tp| {
                        ownership.previous_owner.get(**tp).map(String::as_str) == Some(*receiver)
                    })
                    .or(movable.first());
                if let Some(tp) = preferred {
                    chosen = Some(((*tp).clone(), *donor, *receiver));
                    break 'search;
                }
            }
        }
        let Some((tp, donor, receiver)) = chosen else {
            break;
        };
        assignment.get_mut(donor).expect("member").remove(&tp);
        assignment.get_mut(receiver).expect("member").insert(tp);
    }
    StickyResult {
        assignment: flatten(assignment),
        ownership,
    }
}

/// CooperativeStickyAssignor: the sticky target, minus every partition that changes owner this
/// round (or was claimed twice); those are assigned in the follow-up rebalance, once revoked.
fn cooperative_sticky(group: &Group) -> Vec<(String, Tp)> {
    let result = sticky(group);
    let owner_of = result.ownership.owner_of();
    result
        .assignment
        .into_iter()
        .filter(|(member, tp)| {
            let moving = owner_of.get(tp).is_some_and(|owner| *owner != member);
            !moving && !result.ownership.multiply_claimed.contains(tp)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(strategy: Strategy, group: &Group) -> BTreeMap<String, BTreeMap<String, Vec<u32>>> {
        assign(strategy, group).unwrap()
    }

    fn parts(a: &Assignment, member: &str, topic: &str) -> Vec<u32> {
        a[member].get(topic).cloned().unwrap_or_default()
    }

    #[test]
    fn range_spec_example_and_static_members_first() {
        let g = Group::new(
            &[("t0", 3), ("t1", 3)],
            vec![
                Member::new("C0", &["t0", "t1"]),
                Member::new("C1", &["t0", "t1"]),
            ],
        );
        let a = run(Strategy::Range, &g);
        assert_eq!(
            (parts(&a, "C0", "t0"), parts(&a, "C0", "t1")),
            (vec![0, 1], vec![0, 1])
        );
        assert_eq!(
            (parts(&a, "C1", "t0"), parts(&a, "C1", "t1")),
            (vec![2], vec![2])
        );
        let mut a_static = Member::new("a", &["t0"]);
        a_static.instance_id = Some("z1".into());
        let mut c_static = Member::new("c", &["t0"]);
        c_static.instance_id = Some("z0".into());
        let g = Group::new(
            &[("t0", 3)],
            vec![a_static, Member::new("b", &["t0"]), c_static],
        );
        let a = run(Strategy::Range, &g);
        assert_eq!(
            (
                parts(&a, "c", "t0"),
                parts(&a, "a", "t0"),
                parts(&a, "b", "t0")
            ),
            (vec![0], vec![1], vec![2])
        );
    }

    #[test]
    fn roundrobin_with_different_subscriptions_matches_the_java_doc() {
        let g = Group::new(
            &[("t0", 1), ("t1", 2), ("t2", 3)],
            vec![
                Member::new("C0", &["t0"]),
                Member::new("C1", &["t0", "t1"]),
                Member::new("C2", &["t0", "t1", "t2"]),
            ],
        );
        let a = run(Strategy::RoundRobin, &g);
        assert_eq!(a["C0"], BTreeMap::from([("t0".to_string(), vec![0])]));
        assert_eq!(a["C1"], BTreeMap::from([("t1".to_string(), vec![0])]));
        assert_eq!(
            a["C2"],
            BTreeMap::from([
                ("t1".to_string(), vec![1]),
                ("t2".to_string(), vec![0, 1, 2])
            ])
        );
    }

    #[test]
    fn cooperative_two_rounds_from_the_spec() {
        let g = Group::new(
            &[("t", 4)],
            vec![
                Member::new("C0", &["t"]).owning(&[("t", &[0, 1, 2, 3])], 5),
                Member::new("C1", &["t"]),
            ],
        );
        let round1 = run(Strategy::CooperativeSticky, &g);
        assert_eq!(parts(&round1, "C0", "t"), vec![0, 1]);
        assert!(round1["C1"].is_empty());
        let g = Group::new(
            &[("t", 4)],
            vec![
                Member::new("C0", &["t"]).owning(&[("t", &[0, 1])], 6),
                Member::new("C1", &["t"]).owning(&[], 6),
            ],
        );
        let round2 = run(Strategy::CooperativeSticky, &g);
        assert_eq!(
            (parts(&round2, "C0", "t"), parts(&round2, "C1", "t")),
            (vec![0, 1], vec![2, 3])
        );
    }

    #[test]
    fn same_generation_double_claims_are_dropped_and_reassigned_next_round() {
        let g = Group::new(
            &[("t", 2)],
            vec![
                Member::new("A", &["t"]).owning(&[("t", &[0, 1])], 3),
                Member::new("B", &["t"]).owning(&[("t", &[1])], 3),
            ],
        );
        let sticky = run(Strategy::Sticky, &g);
        assert_eq!(
            (parts(&sticky, "A", "t"), parts(&sticky, "B", "t")),
            (vec![0], vec![1])
        );
        let coop = run(Strategy::CooperativeSticky, &g);
        assert_eq!(
            (parts(&coop, "A", "t"), parts(&coop, "B", "t")),
            (vec![0], vec![])
        );
    }

    #[test]
    fn bad_groups_are_refused() {
        let g = Group::new(
            &[("t", 1)],
            vec![Member::new("A", &["t"]), Member::new("A", &["t"])],
        );
        assert_eq!(
            assign(Strategy::Range, &g),
            Err(AssignError::DuplicateMember("A".into()))
        );
        let g = Group::new(&[("t", 1)], vec![Member::new("", &["t"])]);
        assert_eq!(assign(Strategy::Range, &g), Err(AssignError::EmptyMemberId));
        let g = Group::new(&[("t", u32::MAX)], vec![Member::new("A", &["t"])]);
        assert_eq!(
            assign(Strategy::Sticky, &g),
            Err(AssignError::TooManyPartitions)
        );
    }

    #[test]
    fn every_member_is_present_even_with_nothing() {
        let g = Group::new(
            &[("t", 1)],
            vec![
                Member::new("A", &["t"]),
                Member::new("B", &["t"]),
                Member::new("C", &["other"]),
            ],
        );
        for s in Strategy::ALL {
            let a = run(s, &g);
            assert_eq!(a.len(), 3, "{s:?}");
            assert_eq!(
                a.values()
                    .map(|m| m.values().map(Vec::len).sum::<usize>())
                    .sum::<usize>(),
                1,
                "{s:?}"
            );
        }
    }
}
