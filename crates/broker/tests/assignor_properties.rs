//! Assignor properties (Kafka's AbstractStickyAssignorTest, a port of Java's `AbstractStickyAssignorTest` checks) over
//! random groups: validity for every assignor, range's contiguous quotas, round-robin and sticky
//! balance, stickiness, and the two rounds of a cooperative rebalance.

use broker::assignor::{assign, Assignment, Group, Member, Strategy};
use proptest::prelude::{
    any, prop_assert, prop_assert_eq, proptest, ProptestConfig, TestCaseError,
};
use proptest::strategy::Strategy as _;
use std::collections::{BTreeMap, BTreeSet};

const TOPICS: [&str; 4] = ["a", "b", "c", "d"];

fn group_strategy(identical: bool) -> impl proptest::strategy::Strategy<Value = Group> {
    let topics = proptest::collection::vec(0u32..9, TOPICS.len());
    let members = proptest::collection::vec(
        (
            proptest::collection::btree_set(0usize..TOPICS.len(), 1..=3),
            any::<bool>(),
        ),
        1..7,
    );
    (topics, members).prop_map(move |(counts, members)| {
        let first = members[0].0.clone();
        let members = members
            .into_iter()
            .enumerate()
            .map(|(i, (subs, is_static))| {
                let subs = if identical { first.clone() } else { subs };
                let mut m = Member::new(
                    &format!("m{i}"),
                    &subs.iter().map(|t| TOPICS[*t]).collect::<Vec<_>>(),
                );
                if is_static {
                    m.instance_id = Some(format!("i{}", 9 - i));
                }
                m
            })
            .collect();
        Group {
            topics: TOPICS
                .iter()
                .zip(counts)
                .map(|(t, n)| (t.to_string(), n))
                .collect(),
            members,
        }
    })
}

fn count(a: &Assignment, member: &str) -> usize {
    a[member].values().map(Vec::len).sum()
}

/// Every partition of a subscribed, existing topic goes to exactly one subscriber; nothing else.
fn check_valid(group: &Group, a: &Assignment, complete: bool) -> Result<(), TestCaseError> {
    let subscribers: BTreeMap<&str, BTreeSet<&str>> = TOPICS
        .iter()
        .map(|t| {
            (
                *t,
                group
                    .members
                    .iter()
                    .filter(|m| m.topics.contains(*t))
                    .map(|m| m.id.as_str())
                    .collect(),
            )
        })
        .collect();
    let mut seen = BTreeSet::new();
    for (member, topics) in a {
        for (topic, partitions) in topics {
            prop_assert!(
                subscribers[topic.as_str()].contains(member.as_str()),
                "{member} got {topic} without subscribing"
            );
            for p in partitions {
                prop_assert!(*p < group.topics[topic], "{topic}-{p} does not exist");
                prop_assert!(
                    seen.insert((topic.clone(), *p)),
                    "{topic}-{p} assigned twice"
                );
            }
        }
    }
    if complete {
        for (topic, n) in &group.topics {
            if !subscribers[topic.as_str()].is_empty() {
                for p in 0..*n {
                    prop_assert!(seen.contains(&(topic.clone(), p)), "{topic}-{p} unassigned");
                }
            }
        }
    }
    prop_assert_eq!(a.len(), group.members.len());
    Ok(())
}

/// Either all counts are within 1, or no member with 2+ fewer could take anything from a busier one.
fn check_balanced(group: &Group, a: &Assignment) -> Result<(), TestCaseError> {
    for x in &group.members {
        for y in &group.members {
            if count(a, &x.id) > count(a, &y.id) + 1 {
                for topic in a[&x.id].keys() {
                    prop_assert!(
                        !y.topics.contains(topic),
                        "{} has {} more than {} and holds {topic}, which it subscribes to",
                        x.id,
                        count(a, &x.id) - count(a, &y.id),
                        y.id
                    );
                }
            }
        }
    }
    Ok(())
}

/// The same group after a membership change, owning what `previous` gave them in `generation`.
fn next_generation(
    group: &Group,
    previous: &Assignment,
    generation: i32,
    drop_member: Option<usize>,
    add: bool,
) -> Group {
    let mut members: Vec<Member> = group
        .members
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != drop_member || group.members.len() == 1)
        .map(|(_, m)| {
            let mut m = m.clone();
            m.owned = previous[&m.id].clone();
            m.generation = Some(generation);
            m
        })
        .collect();
    if add {
        let topics: Vec<String> = group.members[0].topics.iter().cloned().collect();
        members.push(Member {
            id: "new".into(),
            instance_id: None,
            topics: topics.into_iter().collect(),
            owned: BTreeMap::new(),
            generation: None,
        });
    }
    Group {
        topics: group.topics.clone(),
        members,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_eager_assignor_is_valid_and_complete(group in group_strategy(false)) {
        for s in [Strategy::Range, Strategy::RoundRobin, Strategy::Sticky] {
            check_valid(&group, &assign(s, &group).unwrap(), true)?;
        }
        check_balanced(&group, &assign(Strategy::Sticky, &group).unwrap())?;
    }

    #[test]
    fn range_gives_contiguous_quotas(group in group_strategy(false)) {
        let a = assign(Strategy::Range, &group).unwrap();
        for (topic, n) in &group.topics {
            let subs: Vec<&Member> = group.members.iter().filter(|m| m.topics.contains(topic)).collect();
            if subs.is_empty() { continue; }
            let sizes: Vec<usize> = subs.iter().map(|m| a[&m.id].get(topic).map_or(0, Vec::len)).collect();
            let (q, r) = (*n as usize / subs.len(), *n as usize % subs.len());
            prop_assert_eq!(sizes.iter().filter(|s| **s == q + 1).count(), r);
            for m in &subs {
                if let Some(ps) = a[&m.id].get(topic) {
                    prop_assert!(ps.windows(2).all(|w| w[1] == w[0] + 1), "not contiguous: {ps:?}");
                }
            }
        }
    }

    #[test]
    fn identical_subscriptions_are_fully_balanced(group in group_strategy(true)) {
        for s in [Strategy::RoundRobin, Strategy::Sticky, Strategy::CooperativeSticky] {
            let a = assign(s, &group).unwrap();
            check_valid(&group, &a, true)?;
            let counts: Vec<usize> = group.members.iter().map(|m| count(&a, &m.id)).collect();
            prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "{s:?}: {counts:?}");
        }
    }

    #[test]
    fn sticky_moves_only_what_it_must(group in group_strategy(true), drop in proptest::option::of(0usize..6), add in any::<bool>()) {
        let first = assign(Strategy::Sticky, &group).unwrap();
        let next = next_generation(&group, &first, 1, drop, add);
        let second = assign(Strategy::Sticky, &next).unwrap();
        check_valid(&next, &second, true)?;
        let total: usize = next.members.iter().map(|m| count(&second, &m.id)).sum();
        let min_quota = total / next.members.len();
        for m in &next.members {
            let owned: BTreeSet<(String, u32)> = m.owned.iter().flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p))).collect();
            let kept = second[&m.id].iter().flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p))).filter(|tp| owned.contains(tp)).count();
            prop_assert!(kept >= owned.len().min(min_quota), "{} kept {kept} of {} (quota {min_quota})", m.id, owned.len());
        }
    }

    #[test]
    fn cooperative_rounds_never_double_own_and_converge(group in group_strategy(true), drop in proptest::option::of(0usize..6), add in any::<bool>()) {
        let first = assign(Strategy::Sticky, &group).unwrap();
        let round1_group = next_generation(&group, &first, 1, drop, add);
        let round1 = assign(Strategy::CooperativeSticky, &round1_group).unwrap();
        check_valid(&round1_group, &round1, false)?;
        for m in &round1_group.members {
            for (topic, ps) in &round1[&m.id] {
                for p in ps {
                    let other_owner = round1_group.members.iter().any(|o| o.id != m.id && o.owned.get(topic).is_some_and(|x| x.contains(p)));
                    prop_assert!(!other_owner, "{} got {topic}-{p} while another member still owns it", m.id);
                }
            }
        }
        let round2_group = Group {
            topics: round1_group.topics.clone(),
            members: round1_group.members.iter().map(|m| Member { owned: round1[&m.id].clone(), generation: Some(2), ..m.clone() }).collect(),
        };
        let round2 = assign(Strategy::CooperativeSticky, &round2_group).unwrap();
        check_valid(&round2_group, &round2, true)?;
        prop_assert_eq!(&round2, &assign(Strategy::Sticky, &round2_group).unwrap());
    }
}
