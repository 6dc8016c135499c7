//! Group liveness (max.poll.interval.ms, static membership) and the KIP-848 protocol, driven
//! through the cluster's commands: the classic liveness cases Kafka's `AbstractCoordinator`
//! documents, KIP-848 convergence and its invariants under random churn (proptest), and the same
//! churn measured under eager, cooperative and KIP-848 rebalancing.

use broker::assignor::Strategy as Assignor;
use broker::cluster::{BrokerCommand as C, BrokerEvent, Cluster};
use broker::group::{
    CommitPolicy, ConsumerConfig, ConsumerId, GroupEvent, GroupProtocol, OffsetReset,
};
use broker::invariants::group_violations;
use broker::producer::ProducerId;
use broker::topic::TopicSettings;
use proptest::prelude::*;
use sim::rng::{Rng, Seed};

mod common;
use common::Lab;

impl Lab {
    fn new(partitions: u32) -> Lab {
        Lab::start(
            Cluster::new(1, Rng::new(Seed(7))),
            partitions,
            TopicSettings::default(),
        )
    }

    fn rate(&mut self, records_per_tick: u16) {
        self.run(C::SetProducerRate {
            producer: ProducerId(1),
            topic: "orders".into(),
            key: Some("k{n}".into()),
            value: None,
            records_per_tick,
        });
    }

    fn ticks(&mut self, n: u64) {
        self.ticks_checking(n, |lab| {
            let broken = group_violations(&lab.cluster);
            assert!(broken.is_empty(), "at {}: {broken:?}", lab.now);
        });
    }

    fn count(&self, f: impl Fn(&GroupEvent) -> bool) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, BrokerEvent::Group(g) if f(g)))
            .count()
    }
}

fn config(processing_ticks: u64, max_poll_interval_ticks: u64) -> ConsumerConfig {
    ConsumerConfig {
        auto_offset_reset: OffsetReset::Earliest,
        commit: CommitPolicy::AfterProcessing,
        processing_ticks,
        max_poll_interval_ticks,
        ..ConsumerConfig::default()
    }
}

fn modern(processing_ticks: u64) -> ConsumerConfig {
    ConsumerConfig {
        protocol: GroupProtocol::Consumer,
        ..config(processing_ticks, 3_000)
    }
}

#[test]
fn a_slow_dynamic_member_leaves_although_it_heartbeats_and_its_commit_fails() {
    let mut lab = Lab::new(2);
    let slow = lab.consumer("g", config(80, 50), None);
    lab.consumer("g", config(0, 3_000), None);
    lab.ticks(5);
    let rebalances = lab.group("g").rebalances();
    lab.rate(2);
    lab.ticks(60);
    assert_eq!(lab.group("g").liveness().poll_timeouts, 1);
    assert_eq!(
        lab.count(|e| matches!(e, GroupEvent::PollTimeout { left: true, .. })),
        1
    );
    assert!(
        lab.group("g").rebalances() > rebalances,
        "its LeaveGroup rebalanced the group"
    );
    assert!(lab.cluster.consumer(slow).unwrap().owned().is_empty());
    lab.ticks(30);
    assert_eq!(lab.cluster.consumer(slow).unwrap().commit_failures(), 1);
    assert_eq!(lab.group("g").liveness().commit_failures, 1);
    // Its next poll rejoined it as a new member.
    assert_ne!(
        lab.cluster.consumer(slow).unwrap().member_id(),
        "consumer-1"
    );
}

#[test]
fn a_slow_static_member_sends_no_leave_and_rejoins_without_a_rebalance() {
    let mut lab = Lab::new(2);
    let slow = lab.consumer("g", config(60, 50), Some("c-1"));
    lab.consumer("g", config(0, 3_000), Some("c-2"));
    lab.ticks(5);
    let rebalances = lab.group("g").rebalances();
    lab.rate(2);
    lab.ticks(80);
    assert_eq!(
        lab.count(|e| matches!(e, GroupEvent::PollTimeout { left: false, .. })),
        1
    );
    assert_eq!(lab.cluster.consumer(slow).unwrap().commit_failures(), 1);
    assert_eq!(
        lab.count(|e| matches!(
            e,
            GroupEvent::StaticRejoined {
                rebalance: false,
                ..
            }
        )),
        1
    );
    assert_eq!(
        lab.group("g").rebalances(),
        rebalances,
        "no rebalance at all"
    );
    assert!(!lab.cluster.consumer(slow).unwrap().owned().is_empty());
}

#[test]
fn a_static_member_past_its_session_timeout_is_removed() {
    let mut lab = Lab::new(2);
    lab.consumer("g", config(200, 50), Some("c-1"));
    lab.consumer("g", config(0, 3_000), Some("c-2"));
    lab.ticks(5);
    let rebalances = lab.group("g").rebalances();
    lab.rate(2);
    lab.ticks(100);
    assert_eq!(
        lab.count(|e| matches!(
            e,
            GroupEvent::MemberRemoved {
                reason: "session timed out",
                ..
            }
        )),
        1
    );
    assert!(lab.group("g").rebalances() > rebalances);
}

#[test]
fn a_restarted_static_member_gets_a_new_member_id_and_its_assignment_back() {
    let mut lab = Lab::new(4);
    let c1 = lab.consumer("g", config(0, 3_000), Some("c-1"));
    lab.consumer("g", config(0, 3_000), Some("c-2"));
    lab.ticks(5);
    let before = lab.cluster.consumer(c1).unwrap().owned().clone();
    let rebalances = lab.group("g").rebalances();
    lab.run(C::CrashConsumer { consumer: c1 });
    lab.ticks(10);
    lab.run(C::RestartConsumer { consumer: c1 });
    lab.ticks(5);
    let c = lab.cluster.consumer(c1).unwrap();
    assert_eq!(c.owned(), &before);
    assert_ne!(c.member_id(), "consumer-1");
    assert!(lab.group("g").members().contains_key(c.member_id()));
    assert_eq!(lab.group("g").rebalances(), rebalances);
}

#[test]
fn kip848_members_converge_stable_at_the_target_epoch_with_every_partition_assigned() {
    let mut lab = Lab::new(6);
    for _ in 0..3 {
        lab.consumer("g", modern(0), None);
    }
    lab.ticks(200);
    let g = lab.group("g");
    assert!(g.coordinator().converged());
    assert_eq!(g.coordinator().group_epoch, 3);
    let owned: usize = lab
        .cluster
        .consumers()
        .values()
        .map(|c| c.owned().len())
        .sum();
    assert_eq!(owned, 6);
    assert!(lab
        .cluster
        .consumers()
        .values()
        .all(|c| c.owned().len() == 2));
    // A fourth member: the others give up a partition each, no one stops consuming.
    lab.consumer("g", modern(0), None);
    lab.ticks(200);
    assert!(lab.group("g").coordinator().converged());
    assert_eq!(lab.group("g").liveness().paused_member_ticks, 0);
    let sizes: Vec<usize> = lab
        .cluster
        .consumers()
        .values()
        .map(|c| c.owned().len())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 6);
    assert!(sizes.iter().all(|n| (1..=2).contains(n)), "{sizes:?}");
}

#[test]
fn kip848_a_member_that_does_not_revoke_in_time_is_fenced() {
    let mut lab = Lab::new(2);
    let slow = lab.consumer(
        "g",
        ConsumerConfig {
            max_poll_interval_ticks: 40,
            ..modern(0)
        },
        None,
    );
    lab.ticks(60);
    lab.run(C::SetConsumerConfig {
        consumer: slow,
        config: ConsumerConfig {
            max_poll_interval_ticks: 40,
            ..modern(70)
        },
    });
    lab.rate(2);
    lab.ticks(2);
    lab.consumer("g", modern(0), None);
    lab.ticks(200);
    let fenced = lab.count(|e| {
        matches!(e, GroupEvent::Coordinator { event: broker::kip848::CoordinatorEvent::Removed { reason, .. }, .. } if reason.starts_with("fenced"))
    });
    let timeouts = lab.group("g").liveness().poll_timeouts;
    assert!(
        fenced + timeouts as usize >= 1,
        "busy past its rebalance timeout: fenced or left"
    );
    lab.run(C::SetConsumerConfig {
        consumer: slow,
        config: ConsumerConfig {
            max_poll_interval_ticks: 40,
            ..modern(0)
        },
    });
    lab.ticks(300);
    assert!(lab.group("g").coordinator().converged());
}

#[test]
fn kip848_static_close_keeps_the_assignment_and_a_restart_takes_it_back_without_an_epoch_bump() {
    let mut lab = Lab::new(4);
    let c1 = lab.consumer("g", modern(0), Some("c-1"));
    lab.consumer("g", modern(0), Some("c-2"));
    lab.ticks(150);
    let before = lab.cluster.consumer(c1).unwrap().owned().clone();
    let epoch = lab.group("g").coordinator().group_epoch;
    lab.run(C::CloseConsumer { consumer: c1 });
    lab.ticks(100);
    assert_eq!(
        lab.group("g").coordinator().group_epoch,
        epoch,
        "kept until its session times out"
    );
    lab.run(C::RestartConsumer { consumer: c1 });
    lab.ticks(10);
    assert_eq!(lab.cluster.consumer(c1).unwrap().owned(), &before);
    assert_eq!(lab.group("g").coordinator().group_epoch, epoch);
    assert_eq!(
        lab.count(|e| matches!(
            e,
            GroupEvent::Coordinator {
                event: broker::kip848::CoordinatorEvent::StaticReplaced { .. },
                ..
            }
        )),
        1
    );
}

#[test]
fn a_group_runs_one_protocol() {
    let mut lab = Lab::new(2);
    lab.consumer("g", config(0, 3_000), None);
    let refused = lab.cluster.apply(
        &C::AddConsumer {
            group: "g".into(),
            topics: vec!["orders".into()],
            instance_id: None,
            config: modern(0),
        },
        lab.now,
    );
    let e = refused.unwrap_err();
    assert!(e.to_string().contains("group.protocol=classic"), "{e}");
    let refused = lab.cluster.apply(
        &C::AddConsumer {
            group: "h".into(),
            topics: vec!["orders".into()],
            instance_id: None,
            config: ConsumerConfig {
                session_timeout_ticks: 100,
                ..modern(0)
            },
        },
        lab.now,
    );
    assert!(refused
        .unwrap_err()
        .to_string()
        .contains("session.timeout.ms"));
}

/// One churn, the same for every group: joins, graceful leaves, under a steady load.
fn churn(lab: &mut Lab, groups: &[(&str, ConsumerConfig)]) -> Vec<(String, u64, u64, u32, u64)> {
    let mut members: Vec<Vec<ConsumerId>> = vec![Vec::new(); groups.len()];
    lab.rate(6);
    for step in 0..6 {
        for (i, (name, config)) in groups.iter().enumerate() {
            if step == 4 {
                let leaving = members[i].remove(0);
                lab.run(C::CloseConsumer { consumer: leaving });
            } else {
                members[i].push(lab.consumer(name, *config, None));
            }
        }
        lab.ticks(97);
    }
    lab.ticks(300);
    groups
        .iter()
        .map(|(name, _)| {
            let g = lab.group(name);
            let l = g.liveness();
            (
                name.to_string(),
                l.paused_member_ticks,
                l.unowned_partition_ticks,
                g.rebalance_rounds(),
                l.requests,
            )
        })
        .collect()
}

#[test]
fn the_same_churn_under_eager_cooperative_and_kip848() {
    let mut lab = Lab::new(6);
    let classic = config(20, 3_000);
    lab.consumer("coop", classic, None);
    lab.run(C::SetGroupStrategy {
        group: "coop".into(),
        strategy: Assignor::CooperativeSticky,
    });
    lab.run(C::CloseConsumer {
        consumer: ConsumerId(1),
    });
    lab.ticks(1);
    let results = churn(
        &mut lab,
        &[("eager", classic), ("coop", classic), ("kip", modern(20))],
    );
    for r in &results {
        println!("{:6} paused member-ticks {:5}  unowned partition-ticks {:5}  rounds {:3}  requests {:5}", r.0, r.1, r.2, r.3, r.4);
    }
    let [eager, coop, kip] = [&results[0], &results[1], &results[2]];
    assert!(eager.1 > 0, "eager stops every member while it rebalances");
    assert_eq!(coop.1, 0);
    assert_eq!(kip.1, 0);
    assert!(
        coop.3 > eager.3,
        "cooperative takes a second round per move"
    );
    assert!(lab.group("kip").coordinator().converged());
}

#[derive(Clone, Debug)]
enum Churn {
    Join,
    JoinStatic(u8),
    Close(u8),
    Crash(u8),
    Restart(u8),
    Slow(u8),
    Wait(u8),
}

fn churn_step() -> impl Strategy<Value = Churn> {
    prop_oneof![
        3 => Just(Churn::Join),
        1 => (0u8..3).prop_map(Churn::JoinStatic),
        2 => any::<u8>().prop_map(Churn::Close),
        1 => any::<u8>().prop_map(Churn::Crash),
        2 => any::<u8>().prop_map(Churn::Restart),
        1 => any::<u8>().prop_map(Churn::Slow),
        4 => (1u8..80).prop_map(Churn::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Under any churn no partition has two owners and no member epoch passes the group epoch
    /// (checked every tick by `group_violations`); once churn stops and sessions have expired,
    /// every member is STABLE at the target epoch and every partition is owned.
    #[test]
    fn kip848_converges_after_any_churn(steps in proptest::collection::vec(churn_step(), 1..25)) {
        let mut lab = Lab::new(5);
        lab.rate(3);
        for step in steps {
            let ids: Vec<ConsumerId> = lab.cluster.consumers().keys().copied().collect();
            let pick = |n: u8| ids.get(usize::from(n) % ids.len().max(1)).copied();
            let command = match step {
                Churn::Join => Some(C::AddConsumer {
                    group: "g".into(),
                    topics: vec!["orders".into()],
                    instance_id: None,
                    config: modern(2),
                }),
                Churn::JoinStatic(i) => Some(C::AddConsumer {
                    group: "g".into(),
                    topics: vec!["orders".into()],
                    instance_id: Some(format!("s-{i}")),
                    config: modern(2),
                }),
                Churn::Close(n) => pick(n).map(|consumer| C::CloseConsumer { consumer }),
                Churn::Crash(n) => pick(n).map(|consumer| C::CrashConsumer { consumer }),
                Churn::Restart(n) => pick(n).map(|consumer| C::RestartConsumer { consumer }),
                Churn::Slow(n) => pick(n).map(|consumer| C::SetConsumerConfig {
                    consumer,
                    config: ConsumerConfig { max_poll_interval_ticks: 30, ..modern(40) },
                }),
                Churn::Wait(n) => {
                    lab.ticks(u64::from(n));
                    None
                }
            };
            if let Some(command) = command {
                // Refusals (closing a closed consumer, a taken instance id) change nothing.
                if let Ok(events) = lab.cluster.apply(&command, lab.now) {
                    lab.events.extend(events);
                }
            }
        }
        // Churn stops: everyone processes quickly again.
        let ids: Vec<ConsumerId> = lab.cluster.consumers().keys().copied().collect();
        for consumer in ids {
            lab.run(C::SetConsumerConfig { consumer, config: modern(2) });
        }
        lab.ticks(1_200);
        if let Some(g) = lab.cluster.groups().get("g") {
            prop_assert!(g.coordinator().converged(), "{:?}", g.coordinator());
            let running = lab.cluster.consumers().values().filter(|c| c.is_running()).count();
            if running > 0 {
                let owned: usize = lab.cluster.consumers().values().filter(|c| c.is_running()).map(|c| c.owned().len()).sum();
                prop_assert_eq!(owned, 5);
            }
        }
    }
}
