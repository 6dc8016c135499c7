//! Property tests over random fault schedules on a replicated cluster (the TLA+ models of Kafka replication for KIP-101, KIP-279 and KIP-320; docs/testing.md): kills,
//! restarts, controlled shutdowns, network partitions from the brokers, the controller or the
//! clients, slow followers, controller crashes, produce with random acks, min.insync.replicas
//! changes, and (in one variant) unclean leader election switched on and off.
//!
//! After every step, the replication invariants of `broker::invariants` hold: the ISR is never
//! empty, the leader is in it, a fenced broker is only ever a lone ISR member, log start <= HW <=
//! LEO on every replica, offsets strictly increase, a leader's HW never goes back within its
//! epoch, and every ISR member holds the leader's records below the leader's HW (StrongIsr).
//! While unclean election has never been on, also: any two replicas agree below the lesser of
//! their HWs (log matching), and no acknowledged acks=all record is lost. With unclean election,
//! exactly those two may fail, and the ledger must still see every loss. Independently of the
//! ledger, the test remembers every record's value and checks, from the leader's log itself,
//! which acknowledged records are gone: a second opinion on the ledger.

use lab::broker::cluster::{BrokerCommand as B, Cluster, SendOutcome};
use lab::broker::controller::ControllerId;
use lab::broker::group::TopicPartition;
use lab::broker::invariants::{Checker, Violation};
use lab::broker::log::Offset;
use lab::broker::node::{ClusterSettings, Link};
use lab::broker::producer::{Acks, ProducerConfig, ProducerId};
use lab::broker::topic::Partition;
use lab::broker::{BrokerId, PartitionId};
use lab::clock::Tick;
use lab::rng::Seed;
use lab::share_link;
use lab::state::{Command, LabConfig, Preset};
use lab::timeline::Timeline;
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Step {
    Ticks(u8),
    Produce { partition: u32, count: u16 },
    Do(B),
}

fn fault() -> impl Strategy<Value = B> {
    let broker = (1u8..4).prop_map(BrokerId);
    let link = (0usize..3).prop_map(|i| Link::ALL[i]);
    prop_oneof![
        3 => broker.clone().prop_map(|broker| B::KillBroker { broker }),
        4 => broker.clone().prop_map(|broker| B::RestartBroker { broker }),
        1 => broker.clone().prop_map(|broker| B::ShutdownBroker { broker }),
        2 => (broker.clone(), prop_oneof![Just(1u8), Just(4u8), Just(30u8)]).prop_map(|(broker, fetch_every_ticks)| B::SlowBroker { broker, fetch_every_ticks }),
        3 => (broker.clone(), link, proptest::bool::ANY).prop_map(|(broker, link, cut)| B::CutLink { broker, link, cut }),
        3 => broker.prop_map(|broker| B::HealBroker { broker }),
        1 => (1u8..4).prop_map(|c| B::KillController { controller: ControllerId(c) }),
        2 => (1u8..4).prop_map(|c| B::RestartController { controller: ControllerId(c) }),
        1 => Just(B::ElectPreferredLeaders),
        1 => (1u8..4).prop_map(|n| B::AlterTopicConfig { topic: "orders".into(), min_insync_replicas: Some(n), unclean_leader_election: None }),
        2 => (0u8..3).prop_map(|a| {
            let acks = [Acks::Zero, Acks::One, Acks::All][a as usize];
            B::SetProducerConfig { producer: ProducerId(1), config: ProducerConfig { acks, idempotence: acks == Acks::All, ..ProducerConfig::default() } }
        }),
    ]
}

fn step(unclean: bool) -> impl Strategy<Value = Step> {
    let toggle = proptest::bool::ANY.prop_map(move |on| {
        Step::Do(B::AlterTopicConfig {
            topic: "orders".into(),
            min_insync_replicas: None,
            unclean_leader_election: Some(on && unclean),
        })
    });
    prop_oneof![
        5 => (1u8..25).prop_map(Step::Ticks),
        5 => (0u32..3, 1u16..15).prop_map(|(partition, count)| Step::Produce { partition, count }),
        6 => fault().prop_map(Step::Do),
        1 => toggle,
    ]
}

struct Watch {
    checker: Checker,
    /// Whether unclean election relaxes the checks (off: report every violation).
    relax_when_unclean: bool,
    /// Every record's value, by send id.
    values: Vec<String>,
}

impl Watch {
    fn new(relax_when_unclean: bool) -> Watch {
        Watch {
            checker: Checker::new(),
            relax_when_unclean,
            values: Vec::new(),
        }
    }

    fn unclean_ever(&self) -> bool {
        self.checker.unclean_seen()
    }
}

fn tp(p: &Partition) -> TopicPartition {
    TopicPartition {
        topic: "orders".into(),
        partition: p.id(),
    }
}

/// Runs the invariant checker, failing the test on a universal invariant (and, when relaxing,
/// on any violation unclean election does not permit); returns the invariants broken now.
fn check(cluster: &Cluster, watch: &mut Watch) -> Result<BTreeSet<&'static str>, TestCaseError> {
    let found = watch.checker.check(cluster);
    for v in &found {
        prop_assert!(v.unclean_may_break(), "{}: {v}", v.invariant());
        if watch.relax_when_unclean {
            prop_assert!(
                watch.checker.permits(v),
                "without unclean election, {} must hold: {v} (lost: {:?})",
                v.invariant(),
                cluster.ledger().lost()
            );
        }
    }
    Ok(found.iter().map(Violation::invariant).collect())
}

/// The test's own verdict on each acknowledged record: is the value it was sent with still at
/// its offset on the leader? Compared with the ledger's.
fn check_ledger(cluster: &Cluster, watch: &Watch) -> Result<(), TestCaseError> {
    let lost: BTreeSet<u64> = cluster.ledger().lost().iter().map(|l| l.send).collect();
    for (id, send) in cluster.sends().iter().enumerate() {
        if send.outcome != SendOutcome::Acked {
            continue;
        }
        let p = &cluster.topics()["orders"].partitions()[send.tp.partition.0 as usize];
        let Some(log) = p.elected_leader_log() else {
            continue;
        };
        let Some((offset, _)) = send.last_write() else {
            continue;
        };
        if offset < log.log_start() {
            continue;
        }
        let value = watch.values[id].as_bytes();
        let present = log
            .read(offset, Offset(offset.0 + 1), 1)
            .ok()
            .and_then(|r| {
                r.first()
                    .map(|x| x.offset == offset && x.value.as_deref() == Some(value))
            })
            .unwrap_or(false);
        if watch.unclean_ever() {
            prop_assert!(
                present || lost.contains(&(id as u64)),
                "the ledger missed a loss at {}@{offset}",
                send.tp
            );
        } else {
            prop_assert_eq!(
                present,
                !lost.contains(&(id as u64)),
                "ledger and log disagree on {}@{}",
                send.tp,
                offset
            );
        }
    }
    Ok(())
}

fn run(seed: u64, steps: &[Step]) -> Result<(Timeline, Watch), TestCaseError> {
    let config = LabConfig {
        seed: Seed(seed),
        preset: Preset::Replicated,
    };
    let mut timeline = Timeline::new(config);
    let settings = ClusterSettings {
        replica_lag_max_ticks: 15,
        session_timeout_ticks: 12,
        heartbeat_interval_ticks: 3,
        request_timeout_ticks: 40,
        auto_leader_rebalance: false,
        ..ClusterSettings::default()
    };
    timeline
        .apply_at(Tick(0), Command::Broker(B::SetClusterSettings { settings }))
        .unwrap();
    let mut watch = Watch::new(true);
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Ticks(n) => {
                for _ in 0..*n {
                    timeline.advance_head().unwrap();
                    check(timeline.head().cluster().unwrap(), &mut watch)?;
                }
            }
            Step::Produce { partition, count } => {
                let before = timeline.head().cluster().unwrap().sends().len();
                let command = B::Produce {
                    producer: ProducerId(1),
                    topic: "orders".into(),
                    partition: Some(PartitionId(*partition)),
                    key: None,
                    value: Some(format!("s{i}-{{n}}")),
                    count: *count,
                    header: None,
                };
                let accepted = timeline
                    .apply_at(timeline.end(), Command::Broker(command))
                    .is_ok();
                let after = timeline.head().cluster().unwrap().sends().len();
                if accepted {
                    prop_assert_eq!(after - before, usize::from(*count));
                    watch
                        .values
                        .extend((1..=*count).map(|n| format!("s{i}-{n}")));
                } else {
                    prop_assert_eq!(after, before, "a refused produce sends nothing");
                }
                check(timeline.head().cluster().unwrap(), &mut watch)?;
            }
            Step::Do(command) => {
                let _ = timeline.apply_at(timeline.end(), Command::Broker(command.clone()));
                check(timeline.head().cluster().unwrap(), &mut watch)?;
            }
        }
    }
    // Heal everything and let the cluster settle: every check must still hold.
    for b in 1..=3 {
        let _ = timeline.apply_at(
            timeline.end(),
            Command::Broker(B::HealBroker {
                broker: BrokerId(b),
            }),
        );
        let _ = timeline.apply_at(
            timeline.end(),
            Command::Broker(B::RestartBroker {
                broker: BrokerId(b),
            }),
        );
        let _ = timeline.apply_at(
            timeline.end(),
            Command::Broker(B::RestartController {
                controller: ControllerId(b),
            }),
        );
        let _ = timeline.apply_at(
            timeline.end(),
            Command::Broker(B::SlowBroker {
                broker: BrokerId(b),
                fetch_every_ticks: 1,
            }),
        );
    }
    for _ in 0..80 {
        timeline.advance_head().unwrap();
        check(timeline.head().cluster().unwrap(), &mut watch)?;
    }
    let cluster = timeline.head().cluster().unwrap();
    check_ledger(cluster, &watch)?;
    if !watch.unclean_ever() {
        // With clean elections, the only losses are acks=0/1 writes that were never committed:
        // no leader of their epoch ever had its high watermark above them.
        for lost in cluster.ledger().lost() {
            let committed_to = watch
                .checker
                .highest_leader_hw(&lost.tp, lost.epoch)
                .unwrap_or(Offset(0));
            prop_assert!(
                lost.acks != Acks::All && lost.offset >= committed_to,
                "a committed record was lost: {lost:?} (HW {committed_to} in its epoch)"
            );
        }
    }
    Ok((timeline, watch))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64), ..ProptestConfig::default() })]

    /// Unclean election stays off: every invariant holds, whatever fails.
    #[test]
    fn clean_elections_keep_every_invariant(seed in any::<u64>(), steps in proptest::collection::vec(step(false), 1..60)) {
        let (timeline, watch) = run(seed, &steps)?;
        prop_assert!(!watch.unclean_ever());
        let cluster = timeline.head().cluster().unwrap();
        prop_assert_eq!(cluster.elections().1, 0, "no unclean election happened");
        // After healing, every partition is online and fully replicated again.
        for p in cluster.topics()["orders"].partitions() {
            prop_assert!(p.leader().is_some(), "{} is back online", tp(p));
            prop_assert_eq!(p.isr().len(), 3, "{} is fully in sync again: {:?}", tp(p), p.isr());
        }
        let replayed = Timeline::from_journal(timeline.journal().clone()).unwrap();
        prop_assert_eq!(replayed.head().state_hash(), timeline.head().state_hash());
        let via_link = share_link::open(&share_link::encode(timeline.journal())).unwrap();
        prop_assert_eq!(via_link.head().state_hash(), timeline.head().state_hash());
    }

    /// Unclean election may be switched on: only the two expected properties may fail, and the
    /// ledger sees every loss.
    #[test]
    fn unclean_elections_break_only_what_they_should(seed in any::<u64>(), steps in proptest::collection::vec(step(true), 1..60)) {
        run(seed, &steps)?;
    }
}

/// The properties above are not vacuous: the worked example of KIP-101 and KIP-279 breaks exactly them.
#[test]
fn the_worked_example_violates_the_expected_properties() {
    let config = LabConfig {
        seed: Seed(1),
        preset: Preset::Replicated,
    };
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/failover-unclean-truncation.md"
    ))
    .unwrap();
    let lesson = lab::lesson::parse_lesson(&text).unwrap();
    let steps: Vec<lab::steps::Step> = lesson.steps().cloned().collect();
    let mut watch = Watch::new(false);
    let mut violated = BTreeSet::new();
    let ran = lab::steps::run_watched(config, &steps, |_, lab| {
        violated.extend(
            check(lab.cluster().unwrap(), &mut watch).expect("the universal invariants hold"),
        );
    })
    .unwrap();
    assert_eq!(
        violated,
        BTreeSet::from(["LogMatching", "NoCommittedRecordLost"])
    );
    assert!(watch.unclean_ever());
    let cluster = ran.timeline.head().cluster().unwrap();
    assert_eq!(
        cluster.ledger().lost_acks_all(),
        20,
        "twenty committed acks=all records lost"
    );
    assert_eq!(cluster.elections().1, 1, "one unclean election");
}

/// The metadata log keeps at most `METADATA_LOG_RECORDS_MAX` records; a broker that fell further
/// behind (here: cut off from the controller through hundreds of failovers) loads the snapshot
/// when it reconnects, follows the current leaders and rejoins every ISR.
#[test]
fn a_broker_behind_the_metadata_log_start_loads_the_snapshot() {
    use lab::broker::controller::METADATA_LOG_RECORDS_MAX;
    let config = LabConfig {
        seed: Seed(1),
        preset: Preset::Replicated,
    };
    let mut timeline = Timeline::new(config);
    let settings = ClusterSettings {
        session_timeout_ticks: 4,
        heartbeat_interval_ticks: 1,
        replica_lag_max_ticks: 4,
        auto_leader_rebalance: false,
        ..ClusterSettings::default()
    };
    let apply = |timeline: &mut Timeline, command: B| {
        timeline
            .apply_at(timeline.end(), Command::Broker(command))
            .unwrap();
    };
    apply(&mut timeline, B::SetClusterSettings { settings });
    apply(
        &mut timeline,
        B::CutLink {
            broker: BrokerId(3),
            link: Link::Controller,
            cut: true,
        },
    );
    let mut cycles: u32 = 0;
    while timeline.head().cluster().unwrap().controller().log_start() == 0 {
        apply(
            &mut timeline,
            B::KillBroker {
                broker: BrokerId(1 + (cycles % 2) as u8),
            },
        );
        for _ in 0..6 {
            timeline.advance_head().unwrap();
        }
        apply(
            &mut timeline,
            B::RestartBroker {
                broker: BrokerId(1 + (cycles % 2) as u8),
            },
        );
        for _ in 0..6 {
            timeline.advance_head().unwrap();
        }
        cycles += 1;
        assert!(cycles < 5_000, "the log never compacted");
    }
    let cluster = timeline.head().cluster().unwrap();
    assert!(cluster.controller().log().len() <= METADATA_LOG_RECORDS_MAX);
    let behind = cluster
        .brokers()
        .iter()
        .find(|b| b.id() == BrokerId(3))
        .unwrap()
        .metadata_offset();
    assert!(
        behind < cluster.controller().log_start(),
        "broker 3 is behind the snapshot"
    );
    apply(
        &mut timeline,
        B::HealBroker {
            broker: BrokerId(3),
        },
    );
    for _ in 0..40 {
        timeline.advance_head().unwrap();
    }
    let cluster = timeline.head().cluster().unwrap();
    for p in cluster.topics()["orders"].partitions() {
        let r = &p.replica_states()[&BrokerId(3)];
        assert_eq!(
            (r.known_leader(), r.known_epoch()),
            (p.leader(), p.leader_epoch()),
            "{}",
            tp(p)
        );
        assert!(
            p.isr().contains(&BrokerId(3)),
            "{} ISR {:?}",
            tp(p),
            p.isr()
        );
    }
    let replayed = Timeline::from_journal(timeline.journal().clone()).unwrap();
    assert_eq!(replayed.head().state_hash(), timeline.head().state_hash());
}
