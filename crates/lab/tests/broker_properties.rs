//! Property tests over random broker command sequences, run through the real timeline (so the
//! journal, its byte encoding and replay are exercised too): the same journal gives the same
//! state live, replayed and through a share link; offsets are strictly increasing and never
//! reused; a stable group with every member running owns every partition exactly once;
//! committed offsets never move backwards without an explicit seek.

use lab::broker::assignor::Strategy as Assignor;
use lab::broker::cluster::BrokerCommand as B;
use lab::broker::group::{
    CommitPolicy, ConsumerConfig, ConsumerId, GroupState, OffsetReset, TopicPartition,
};
use lab::broker::log::Offset;
use lab::broker::producer::{ProducerConfig, ProducerId};
use lab::broker::PartitionId;
use lab::clock::Tick;
use lab::rng::Seed;
use lab::share_link;
use lab::state::{Command, Lab, LabConfig, Preset};
use lab::timeline::Timeline;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
enum Step {
    Ticks(u8),
    Do(B),
}

fn consumer_config() -> impl Strategy<Value = ConsumerConfig> {
    (0u8..3, 0u8..4, 1u32..20, 1u64..4, 0u64..4, 3u64..15).prop_map(
        |(
            reset,
            commit,
            max_poll_records,
            poll_interval_ticks,
            processing_ticks,
            session_timeout_ticks,
        )| ConsumerConfig {
            auto_offset_reset: [
                OffsetReset::Earliest,
                OffsetReset::Latest,
                OffsetReset::None,
            ][reset as usize],
            commit: [
                CommitPolicy::Auto { interval_ticks: 3 },
                CommitPolicy::AfterProcessing,
                CommitPolicy::BeforeProcessing,
                CommitPolicy::Manual,
            ][commit as usize],
            max_poll_records,
            poll_interval_ticks,
            processing_ticks,
            session_timeout_ticks,
            ..ConsumerConfig::default()
        },
    )
}

fn step() -> impl Strategy<Value = Step> {
    let consumer = (1u32..6).prop_map(ConsumerId);
    prop_oneof![
        4 => (1u8..8).prop_map(Step::Ticks),
        4 => (proptest::option::of(0u32..4), proptest::option::of("[a-c]"), 1u16..20).prop_map(|(partition, key, count)| Step::Do(B::Produce {
            producer: ProducerId(1), topic: "orders".into(), partition: partition.map(PartitionId), key, value: Some("v{n}".into()), count, header: None,
        })),
        2 => (consumer_config(), proptest::option::of("s[12]"), proptest::bool::ANY).prop_map(|(config, instance_id, second_group)| Step::Do(B::AddConsumer {
            group: if second_group { "h".into() } else { "g".into() }, topics: vec!["orders".into()], instance_id, config,
        })),
        1 => consumer.clone().prop_map(|consumer| Step::Do(B::CrashConsumer { consumer })),
        1 => consumer.clone().prop_map(|consumer| Step::Do(B::RestartConsumer { consumer })),
        1 => consumer.clone().prop_map(|consumer| Step::Do(B::CloseConsumer { consumer })),
        1 => (consumer.clone(), proptest::bool::ANY).prop_map(|(consumer, asynchronous)| Step::Do(B::CommitConsumer { consumer, asynchronous })),
        1 => (0u8..4).prop_map(|s| Step::Do(B::SetGroupStrategy { group: "g".into(), strategy: Assignor::ALL[s as usize] })),
        1 => (proptest::bool::ANY, 0u16..300, 1u8..4).prop_map(|(idempotence, network_fault_permille, max_in_flight)| Step::Do(B::SetProducerConfig {
            producer: ProducerId(1), config: ProducerConfig { idempotence, network_fault_permille, max_in_flight, ..ProducerConfig::default() },
        })),
    ]
}

fn check_invariants(
    lab: &Lab,
    committed_before: &BTreeMap<(String, TopicPartition), Offset>,
    seeked: &BTreeSet<String>,
) -> Result<BTreeMap<(String, TopicPartition), Offset>, TestCaseError> {
    let cluster = lab.cluster().expect("broker preset");
    for topic in cluster.topics().values() {
        for p in topic.partitions() {
            let log = p
                .leader_log()
                .expect("RF=1 partitions always have a leader");
            let offsets: Vec<u64> = log.records().map(|r| r.offset.0).collect();
            prop_assert!(
                offsets.windows(2).all(|w| w[0] < w[1]),
                "offsets strictly increase"
            );
            prop_assert!(
                log.log_start() <= p.hw() && p.hw() <= log.leo(),
                "log start <= HW <= LEO"
            );
        }
    }
    for (name, g) in cluster.groups() {
        let members_running = g.members().values().all(|m| {
            cluster.consumers().get(&m.consumer).is_some_and(|c| {
                c.is_running()
                    && c.member_id()
                        == *g
                            .members()
                            .iter()
                            .find(|(_, x)| x.consumer == m.consumer)
                            .unwrap()
                            .0
            })
        });
        let mut owners: BTreeMap<&TopicPartition, u32> = BTreeMap::new();
        for c in cluster
            .consumers()
            .values()
            .filter(|c| c.group() == *name && c.is_running())
        {
            for tp in c.owned() {
                *owners.entry(tp).or_default() += 1;
            }
        }
        prop_assert!(
            owners.values().all(|n| *n == 1),
            "no partition is owned twice in {name}"
        );
        if *g.state() == GroupState::Stable && members_running && !g.members().is_empty() {
            prop_assert_eq!(owners.len(), 3, "a stable group owns every partition");
        }
    }
    let mut committed = BTreeMap::new();
    for (name, g) in cluster.groups() {
        for (tp, c) in g.committed() {
            let key = (name.clone(), tp.clone());
            if let Some(before) = committed_before.get(&key) {
                prop_assert!(
                    c.offset >= *before || seeked.contains(name),
                    "committed offsets never move backwards"
                );
            }
            committed.insert(key, c.offset);
        }
    }
    Ok(committed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn broker_labs_are_deterministic_and_keep_their_invariants(seed in any::<u64>(), steps in proptest::collection::vec(step(), 1..50)) {
        let config = LabConfig { seed: Seed(seed), preset: Preset::Broker };
        let mut timeline = Timeline::new(config);
        let mut committed = BTreeMap::new();
        let seeked = BTreeSet::new();
        for step in &steps {
            match step {
                Step::Ticks(n) => {
                    for _ in 0..*n {
                        timeline.advance_head().unwrap();
                        committed = check_invariants(timeline.head(), &committed, &seeked)?;
                    }
                }
                Step::Do(command) => {
                    let _ = timeline.apply_at(timeline.end(), Command::Broker(command.clone()));
                    committed = check_invariants(timeline.head(), &committed, &seeked)?;
                }
            }
        }
        // Jepsen's poll checks (Jepsen's Kafka workload checks): a consumer that is not reset never skips or goes back.
        let report = timeline.head().cluster().unwrap().history_report();
        prop_assert!(report.poll_skips.is_empty(), "poll-skip: {:?}", report.poll_skips);
        prop_assert!(report.nonmonotonic_polls.is_empty(), "nonmonotonic-poll: {:?}", report.nonmonotonic_polls);
        let replayed = Timeline::from_journal(timeline.journal().clone()).unwrap();
        prop_assert_eq!(replayed.head().state_hash(), timeline.head().state_hash());
        let via_link = share_link::open(&share_link::encode(timeline.journal())).unwrap();
        prop_assert_eq!(via_link.head().state_hash(), timeline.head().state_hash());
        let middle = Tick(timeline.end().0 / 2);
        prop_assert_eq!(timeline.state_at(middle).state_hash(), lab::journal::replay(timeline.journal(), middle).unwrap().state_hash());
    }
}
