//! Named broker presets, each checking one behaviour of Kafka's retention, LogCleaner and group coordinator end to end through
//! the cluster's commands and ticks: delivery, eager and cooperative rebalancing, session
//! timeouts, static members, at-least-once and at-most-once, a slow consumer falling off the
//! log, idempotence against duplicates, compaction's key rule.

use broker::assignor::Strategy;
use broker::cluster::{BrokerCommand as C, BrokerEvent, Cluster};
use broker::group::{
    CommitPolicy, ConsumerConfig, ConsumerId, GroupEvent, GroupState, OffsetReset, TopicPartition,
};
use broker::log::{LogConfig, Offset};
use broker::producer::{ProducerConfig, ProducerId};
use broker::topic::TopicSettings;
use broker::PartitionId;
use sim::clock::Tick;
use sim::rng::{Rng, Seed};
use std::collections::BTreeSet;

mod common;
use common::Lab;

impl Lab {
    fn new(partitions: u32, settings: TopicSettings) -> Lab {
        Lab::start(Cluster::new(3, Rng::new(Seed(5))), partitions, settings)
    }

    fn produce(&mut self, producer: u32, count: u16) {
        self.run(C::Produce {
            producer: ProducerId(producer),
            topic: "orders".into(),
            partition: None,
            key: Some("key-{n}".into()),
            value: Some("v{n}".into()),
            count,
            header: None,
        });
    }

    fn ticks(&mut self, n: u64) {
        self.ticks_checking(n, Lab::check_no_double_ownership);
    }

    /// KIP-848 TLA+ NoDoubleClientAssignment, applied to the classic protocol.
    fn check_no_double_ownership(&self) {
        let mut seen = BTreeSet::new();
        for c in self.cluster.consumers().values().filter(|c| c.is_running()) {
            for tp in c.owned() {
                assert!(
                    seen.insert((c.group().to_string(), tp.clone())),
                    "{tp} owned twice in {} at {}",
                    c.group(),
                    self.now
                );
            }
        }
    }

    fn lag(&self, name: &str) -> u64 {
        let g = self.group(name);
        self.cluster.topics()["orders"]
            .partitions()
            .iter()
            .map(|p| {
                g.lag(
                    &TopicPartition {
                        topic: "orders".into(),
                        partition: p.id(),
                    },
                    p.hw(),
                )
            })
            .sum()
    }

    fn rebalances_started(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, BrokerEvent::Group(GroupEvent::RebalanceStarted { .. })))
            .count()
    }
}

fn earliest() -> ConsumerConfig {
    ConsumerConfig {
        auto_offset_reset: OffsetReset::Earliest,
        ..ConsumerConfig::default()
    }
}

#[test]
fn a_group_reads_every_record_once_and_its_lag_drains() {
    let mut lab = Lab::new(3, TopicSettings::default());
    lab.produce(1, 30);
    lab.consumer("g", earliest(), None);
    lab.consumer("g", earliest(), None);
    lab.ticks(20);
    assert_eq!(*lab.group("g").state(), GroupState::Stable);
    assert_eq!(lab.lag("g"), 0);
    let delivered: usize = lab
        .cluster
        .consumers()
        .values()
        .map(|c| c.deliveries().len())
        .sum();
    assert_eq!(delivered, 30);
    let report = lab.cluster.history_report();
    assert!(
        report.redeliveries.is_empty()
            && report.duplicates.is_empty()
            && report.lost_writes.is_empty(),
        "{report:?}"
    );
    // Keyed records keep their partition: every record of key-1 sits in one partition.
    let p = lab.cluster.sends()[0].tp.partition;
    assert_eq!(
        p,
        broker::partitioner::partition_for_key(b"key-1", 3).unwrap()
    );
}

#[test]
fn eager_rebalance_revokes_everything_and_bumps_the_generation() {
    let mut lab = Lab::new(4, TopicSettings::default());
    let first = lab.consumer("g", earliest(), None);
    lab.ticks(3);
    assert_eq!(lab.group("g").generation(), 1);
    assert_eq!(lab.cluster.consumers()[&first].owned().len(), 4);
    lab.consumer("g", earliest(), None);
    lab.ticks(3);
    assert_eq!(lab.group("g").generation(), 2);
    let revoked_all = lab.events.iter().any(|e| matches!(e, BrokerEvent::Group(GroupEvent::Revoked { consumer, partitions }) if *consumer == first && partitions.len() == 4));
    assert!(
        revoked_all,
        "eager: the first member revoked all four partitions"
    );
    assert_eq!(
        lab.cluster
            .consumers()
            .values()
            .map(|c| c.owned().len())
            .collect::<Vec<_>>(),
        vec![2, 2]
    );
}

#[test]
fn cooperative_rebalance_moves_only_what_must_move_in_two_rounds() {
    let mut lab = Lab::new(4, TopicSettings::default());
    let first = lab.consumer("g", earliest(), None);
    lab.run(C::SetGroupStrategy {
        group: "g".into(),
        strategy: Strategy::CooperativeSticky,
    });
    lab.ticks(3);
    let generation = lab.group("g").generation();
    lab.consumer("g", earliest(), None);
    lab.ticks(5);
    assert_eq!(lab.group("g").generation(), generation + 2, "two rounds");
    let revoked: Vec<usize> = lab
        .events
        .iter()
        .filter_map(|e| match e {
            BrokerEvent::Group(GroupEvent::Revoked {
                consumer,
                partitions,
            }) if *consumer == first => Some(partitions.len()),
            _ => None,
        })
        .collect();
    assert_eq!(
        revoked.last(),
        Some(&2),
        "only the two partitions that move are revoked"
    );
    assert_eq!(
        lab.cluster
            .consumers()
            .values()
            .map(|c| c.owned().len())
            .collect::<Vec<_>>(),
        vec![2, 2]
    );
}

#[test]
fn a_crashed_member_is_removed_after_its_session_times_out() {
    let mut lab = Lab::new(2, TopicSettings::default());
    let config = ConsumerConfig {
        session_timeout_ticks: 10,
        ..earliest()
    };
    let a = lab.consumer("g", config, None);
    lab.consumer("g", config, None);
    lab.ticks(3);
    lab.run(C::CrashConsumer { consumer: a });
    lab.ticks(9);
    assert_eq!(
        lab.group("g").members().len(),
        2,
        "still a member within the session timeout"
    );
    lab.ticks(2);
    assert_eq!(lab.group("g").members().len(), 1);
    assert!(lab.events.iter().any(|e| matches!(
        e,
        BrokerEvent::Group(GroupEvent::MemberRemoved {
            reason: "session timed out",
            ..
        })
    )));
    lab.ticks(2);
    assert_eq!(
        lab.cluster
            .consumers()
            .values()
            .filter(|c| c.is_running())
            .map(|c| c.owned().len())
            .sum::<usize>(),
        2
    );
}

#[test]
fn a_static_member_comes_back_without_a_rebalance() {
    let mut lab = Lab::new(2, TopicSettings::default());
    let config = ConsumerConfig {
        session_timeout_ticks: 10,
        ..earliest()
    };
    let a = lab.consumer("g", config, Some("c-1"));
    lab.consumer("g", config, Some("c-2"));
    lab.ticks(3);
    let (generation, rebalances) = (lab.group("g").generation(), lab.rebalances_started());
    let owned_before = lab.cluster.consumers()[&a].owned().clone();
    lab.run(C::CrashConsumer { consumer: a });
    lab.ticks(5);
    lab.run(C::RestartConsumer { consumer: a });
    lab.ticks(3);
    assert_eq!(
        (lab.group("g").generation(), lab.rebalances_started()),
        (generation, rebalances)
    );
    assert_eq!(lab.cluster.consumers()[&a].owned(), &owned_before);
}

#[test]
fn auto_commit_redelivers_after_a_crash_at_least_once() {
    let mut lab = Lab::new(1, TopicSettings::default());
    let config = ConsumerConfig {
        commit: CommitPolicy::Auto { interval_ticks: 50 },
        session_timeout_ticks: 5,
        ..earliest()
    };
    let a = lab.consumer("g", config, None);
    lab.consumer("g", config, None);
    lab.ticks(3);
    let owner = *lab
        .cluster
        .consumers()
        .iter()
        .find(|(_, c)| !c.owned().is_empty())
        .unwrap()
        .0;
    lab.produce(1, 10);
    lab.ticks(3);
    lab.run(C::CrashConsumer { consumer: owner });
    lab.ticks(10);
    let report = lab.cluster.history_report();
    assert_eq!(
        report.redeliveries.len(),
        10,
        "processed but uncommitted records are read again: {report:?}"
    );
    assert!(report.skipped.is_empty());
    let _ = a;
}

#[test]
fn committing_before_processing_loses_records_on_a_crash_at_most_once() {
    let mut lab = Lab::new(1, TopicSettings::default());
    let config = ConsumerConfig {
        commit: CommitPolicy::BeforeProcessing,
        processing_ticks: 5,
        session_timeout_ticks: 5,
        ..earliest()
    };
    lab.consumer("g", config, None);
    lab.consumer("g", config, None);
    lab.ticks(3);
    let owner = *lab
        .cluster
        .consumers()
        .iter()
        .find(|(_, c)| !c.owned().is_empty())
        .unwrap()
        .0;
    lab.produce(1, 10);
    lab.ticks(2);
    lab.run(C::CrashConsumer { consumer: owner });
    assert!(lab.events.iter().any(|e| matches!(
        e,
        BrokerEvent::Group(GroupEvent::LostInProcessing { records: 10, .. })
    )));
    lab.ticks(15);
    let report = lab.cluster.history_report();
    assert!(report.redeliveries.is_empty());
    assert_eq!(
        report.skipped.len(),
        10,
        "committed past, never processed: {report:?}"
    );
    let delivered: usize = lab
        .cluster
        .consumers()
        .values()
        .map(|c| c.deliveries().len())
        .sum();
    assert_eq!(
        delivered, 0,
        "the committed offset moved past records nobody processed"
    );
    assert_eq!(lab.lag("g"), 0);
}

#[test]
fn a_slow_consumer_falls_off_the_log_and_resets() {
    let log = LogConfig {
        segment_bytes: 200,
        retention_ticks: Some(20),
        ..LogConfig::default()
    };
    let mut lab = Lab::new(
        1,
        TopicSettings {
            log,
            ..TopicSettings::default()
        },
    );
    let config = ConsumerConfig {
        poll_interval_ticks: 1000,
        max_poll_records: 1,
        ..earliest()
    };
    let c = lab.consumer("g", config, None);
    lab.ticks(2);
    for _ in 0..10 {
        lab.produce(1, 3);
        lab.ticks(5);
    }
    lab.run(C::SetConsumerConfig {
        consumer: c,
        config: ConsumerConfig {
            poll_interval_ticks: 1,
            ..config
        },
    });
    lab.ticks(3);
    let reset = lab.events.iter().find_map(|e| match e {
        BrokerEvent::Group(GroupEvent::OffsetReset { from, to, .. }) => Some((*from, *to)),
        _ => None,
    });
    let (from, to) = reset.expect("the position fell below the log start");
    assert!(from < to && to == lab.cluster.topics()["orders"].partitions()[0].log_start());
    assert!(lab
        .events
        .iter()
        .any(|e| matches!(e, BrokerEvent::SegmentsDeleted { .. })));
}

#[test]
fn idempotence_prevents_the_duplicates_that_retries_cause() {
    for idempotence in [false, true] {
        let mut lab = Lab::new(1, TopicSettings::default());
        let config = ProducerConfig {
            idempotence,
            network_fault_permille: 400,
            retries: 20,
            max_in_flight: 1,
            ..ProducerConfig::default()
        };
        lab.run(C::SetProducerConfig {
            producer: ProducerId(1),
            config,
        });
        for _ in 0..30 {
            lab.produce(1, 1);
            lab.ticks(2);
        }
        lab.ticks(30);
        let report = lab.cluster.history_report();
        let discarded = lab
            .events
            .iter()
            .filter(|e| matches!(e, BrokerEvent::DuplicateDiscarded { .. }))
            .count() as u64;
        assert_eq!(lab.cluster.retries_deduplicated(), discarded);
        if idempotence {
            assert!(report.duplicates.is_empty(), "{report:?}");
            assert!(discarded >= 1, "a lost response's retry is recognised");
        } else {
            assert!(
                !report.duplicates.is_empty(),
                "lost responses and retries write records twice"
            );
            assert_eq!(discarded, 0, "without sequences nothing is recognised");
        }
    }
}

/// A producer that loses 30% of its requests and retries them, five requests in flight.
fn retrying_five_in_flight() -> ProducerConfig {
    ProducerConfig {
        network_fault_permille: 300,
        retries: 20,
        max_in_flight: 5,
        retry_backoff_ticks: 3,
        ..ProducerConfig::default()
    }
}

/// One broker seeded with `seed`, `orders` with one partition, and producer 1 with `config`
/// sending one record a tick for 20 ticks; then 40 ticks for the retries to settle.
fn send_twenty_one_a_tick(seed: u64, config: ProducerConfig) -> Lab {
    let mut lab = Lab {
        cluster: Cluster::new(1, Rng::new(Seed(seed))),
        now: Tick(0),
        events: Vec::new(),
    };
    lab.run(C::CreateTopic {
        name: "orders".into(),
        partitions: 1,
        settings: TopicSettings::default(),
    });
    lab.run(C::AddProducer { config });
    for _ in 0..20 {
        lab.produce(1, 1);
        lab.ticks(1);
    }
    lab.ticks(40);
    lab
}

#[test]
fn retries_without_idempotence_can_reorder_with_several_requests_in_flight() {
    let mut found = false;
    for seed in 0..20 {
        let config = ProducerConfig {
            idempotence: false,
            ..retrying_five_in_flight()
        };
        let lab = send_twenty_one_a_tick(seed, config);
        found |= !lab.cluster.history_report().nonmonotonic_sends.is_empty();
    }
    assert!(
        found,
        "some seed shows a later send landing at an earlier offset"
    );
}

#[test]
fn an_idempotent_producer_keeps_order_because_the_leader_refuses_sequence_gaps() {
    let mut refused = 0;
    for seed in 0..20 {
        let lab = send_twenty_one_a_tick(seed, retrying_five_in_flight());
        let report = lab.cluster.history_report();
        assert!(
            report.nonmonotonic_sends.is_empty(),
            "seed {seed}: {report:?}"
        );
        assert!(report.duplicates.is_empty(), "seed {seed}: {report:?}");
        let errors = lab.cluster.produce_errors();
        let gaps = errors
            .get("OUT_OF_ORDER_SEQUENCE_NUMBER")
            .copied()
            .unwrap_or(0);
        let events = lab
            .events
            .iter()
            .filter(|e| matches!(e, BrokerEvent::OutOfOrderRejected { .. }))
            .count() as u64;
        assert_eq!(gaps, events, "seed {seed}: every refusal is counted");
        refused += gaps;
    }
    assert!(
        refused >= 1,
        "with five requests in flight, a lost request makes a later batch arrive ahead of its sequence"
    );
}

#[test]
fn compacted_topics_refuse_null_keys_and_bad_commands_change_nothing() {
    let log = LogConfig {
        cleanup_compact: true,
        cleanup_delete: false,
        ..LogConfig::default()
    };
    let mut lab = Lab::new(
        1,
        TopicSettings {
            log,
            ..TopicSettings::default()
        },
    );
    let before = lab.cluster.clone();
    for bad in [
        C::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: None,
            key: None,
            value: Some("v".into()),
            count: 1,
            header: None,
        },
        C::Produce {
            producer: ProducerId(9),
            topic: "orders".into(),
            partition: None,
            key: Some("k".into()),
            value: None,
            count: 1,
            header: None,
        },
        C::Produce {
            producer: ProducerId(1),
            topic: "orders".into(),
            partition: Some(PartitionId(7)),
            key: Some("k".into()),
            value: None,
            count: 1,
            header: None,
        },
        C::Produce {
            producer: ProducerId(1),
            topic: "nope".into(),
            partition: None,
            key: Some("k".into()),
            value: None,
            count: 1,
            header: None,
        },
        C::CreateTopic {
            name: "x".into(),
            partitions: 0,
            settings: TopicSettings::default(),
        },
        C::CreateTopic {
            name: "orders".into(),
            partitions: 1,
            settings: TopicSettings::default(),
        },
        C::CreateTopic {
            name: "bad name".into(),
            partitions: 1,
            settings: TopicSettings::default(),
        },
        C::AddConsumer {
            group: "g".into(),
            topics: vec![],
            instance_id: None,
            config: ConsumerConfig::default(),
        },
        C::SeekConsumer {
            consumer: ConsumerId(3),
            topic: "orders".into(),
            partition: PartitionId(0),
            offset: Offset(0),
        },
    ] {
        let rejection = lab.cluster.apply(&bad, lab.now).unwrap_err();
        assert!(!rejection.to_string().is_empty() && !rejection.hint().is_empty());
        assert_eq!(lab.cluster, before, "{bad:?} changed the cluster");
    }
}

#[test]
fn lag_is_measured_in_records_and_in_time_and_seeking_replays() {
    let mut lab = Lab::new(1, TopicSettings::default());
    let config = ConsumerConfig {
        commit: CommitPolicy::Manual,
        ..earliest()
    };
    let c = lab.consumer("g", config, None);
    lab.ticks(3);
    lab.produce(1, 5);
    let written_at = lab.now;
    lab.ticks(10);
    let tp = TopicPartition {
        topic: "orders".into(),
        partition: PartitionId(0),
    };
    assert_eq!(lab.lag("g"), 5, "manual commits: nothing committed yet");
    assert_eq!(
        lab.cluster.lag_ticks("g", &tp, lab.now),
        lab.now.ticks_since(written_at)
    );
    lab.run(C::CommitConsumer {
        consumer: c,
        asynchronous: false,
    });
    assert_eq!(
        (lab.lag("g"), lab.cluster.lag_ticks("g", &tp, lab.now)),
        (0, 0)
    );
    lab.run(C::SeekConsumer {
        consumer: c,
        topic: "orders".into(),
        partition: PartitionId(0),
        offset: Offset(0),
    });
    lab.ticks(2);
    assert_eq!(
        lab.cluster.history_report().redeliveries.len(),
        5,
        "seeking back reads the history again"
    );
}

#[test]
fn steady_rates_headers_and_new_brokers() {
    let mut lab = Lab::new(3, TopicSettings::default());
    lab.run(C::SetProducerRate {
        producer: ProducerId(1),
        topic: "orders".into(),
        key: Some("k-{n}".into()),
        value: Some("v".into()),
        records_per_tick: 4,
    });
    lab.ticks(10);
    assert_eq!(lab.cluster.topics()["orders"].record_count(), 40);
    let keys: std::collections::BTreeSet<Vec<u8>> = lab.cluster.topics()["orders"]
        .partitions()
        .iter()
        .flat_map(|p| {
            p.leader_log()
                .unwrap()
                .records()
                .map(|r| r.key.clone().unwrap())
        })
        .collect();
    assert_eq!(keys.len(), 40, "{{n}} keeps counting across ticks");
    lab.run(C::SetProducerRate {
        producer: ProducerId(1),
        topic: "orders".into(),
        key: None,
        value: None,
        records_per_tick: 0,
    });
    lab.ticks(5);
    assert_eq!(
        lab.cluster.topics()["orders"].record_count(),
        40,
        "rate 0 stops"
    );
    lab.run(C::Produce {
        producer: ProducerId(1),
        topic: "orders".into(),
        partition: Some(PartitionId(0)),
        key: None,
        value: Some("v".into()),
        count: 1,
        header: Some(("source".into(), "web".into())),
    });
    let last = lab.cluster.topics()["orders"].partitions()[0]
        .leader_log()
        .unwrap()
        .records()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last.headers, vec![("source".to_string(), b"web".to_vec())]);
    for _ in 0..6 {
        lab.run(C::AddBroker);
    }
    assert_eq!(lab.cluster.brokers().len(), 9);
    assert!(
        lab.cluster.apply(&C::AddBroker, lab.now).is_err(),
        "at most nine brokers"
    );
    lab.run(C::CreateTopic {
        name: "wide".into(),
        partitions: 9,
        settings: TopicSettings::default(),
    });
    let leaders: std::collections::BTreeSet<u8> = lab.cluster.topics()["wide"]
        .partitions()
        .iter()
        .map(|p| p.leader().unwrap().0)
        .collect();
    assert_eq!(leaders.len(), 9, "new topics use the new brokers");
}

#[test]
fn acks_zero_loses_silently_and_topic_compression_recompresses() {
    use broker::compression::Codec;
    use broker::producer::Acks;
    let mut lab = Lab::new(1, TopicSettings::default());
    lab.run(C::SetProducerConfig {
        producer: ProducerId(1),
        config: ProducerConfig {
            acks: Acks::Zero,
            idempotence: false,
            network_fault_permille: 500,
            ..ProducerConfig::default()
        },
    });
    for _ in 0..20 {
        lab.produce(1, 1);
    }
    let report = lab.cluster.history_report();
    assert!(report.lost_unconfirmed > 0, "{report:?}");
    assert_eq!(
        lab.cluster.producers()[&ProducerId(1)].retried_batches(),
        0,
        "acks=0 never retries"
    );
    assert_eq!(lab.cluster.producers()[&ProducerId(1)].acked_records(), 0);
    assert_eq!(
        lab.cluster.topics()["orders"].record_count() + report.lost_unconfirmed,
        20
    );

    let size = |codec: Option<Codec>| {
        let mut lab = Lab::new(
            1,
            TopicSettings {
                compression: codec,
                ..TopicSettings::default()
            },
        );
        lab.produce(1, 200);
        lab.cluster.topics()["orders"].partitions()[0]
            .leader_log()
            .unwrap()
            .size_bytes()
    };
    assert!(
        size(Some(Codec::Gzip)) * 2 < size(None),
        "the broker recompressed with the topic's codec"
    );
}

#[test]
fn offsets_reset_only_on_an_inactive_group() {
    let mut lab = Lab::new(1, TopicSettings::default());
    let c = lab.consumer("g", earliest(), None);
    lab.produce(1, 10);
    lab.ticks(8);
    assert_eq!(lab.lag("g"), 0);
    let reset = C::ResetGroupOffsets {
        group: "g".into(),
        to_earliest: true,
    };
    assert!(
        lab.cluster.apply(&reset, lab.now).is_err(),
        "not while a member runs"
    );
    lab.run(C::CloseConsumer { consumer: c });
    lab.run(reset);
    assert_eq!(lab.lag("g"), 10);
    lab.consumer("g", earliest(), None);
    lab.ticks(8);
    assert_eq!(
        lab.cluster.history_report().redeliveries.len(),
        10,
        "the group read everything again"
    );
}

#[test]
fn commits_during_a_rebalance_fail_sync_loudly_and_async_silently() {
    let mut lab = Lab::new(2, TopicSettings::default());
    let config = ConsumerConfig {
        commit: CommitPolicy::Manual,
        ..earliest()
    };
    let a = lab.consumer("g", config, None);
    lab.ticks(3);
    lab.produce(1, 10);
    lab.ticks(2);
    // A second member joins: the group is rebalancing until the next tick.
    lab.consumer("g", config, None);
    let sync = lab.cluster.apply(
        &C::CommitConsumer {
            consumer: a,
            asynchronous: false,
        },
        lab.now,
    );
    assert!(sync
        .unwrap_err()
        .to_string()
        .contains("REBALANCE_IN_PROGRESS"));
    lab.run(C::CommitConsumer {
        consumer: a,
        asynchronous: true,
    });
    assert!(lab
        .events
        .iter()
        .any(|e| matches!(e, BrokerEvent::AsyncCommitFailed { .. })));
    assert_eq!(lab.lag("g"), 10, "nothing was committed");
    lab.ticks(2);
    lab.run(C::CommitConsumer {
        consumer: a,
        asynchronous: true,
    });
    assert!(
        lab.lag("g") < 10,
        "after the rebalance the async commit goes through"
    );
}

#[test]
fn poll_checks_see_through_seeks_and_resets() {
    let mut lab = Lab::new(1, TopicSettings::default());
    let c = lab.consumer("g", earliest(), None);
    lab.ticks(3);
    lab.produce(1, 10);
    lab.ticks(3);
    lab.run(C::SeekConsumer {
        consumer: c,
        topic: "orders".into(),
        partition: PartitionId(0),
        offset: Offset(2),
    });
    lab.ticks(3);
    lab.run(C::SeekConsumer {
        consumer: c,
        topic: "orders".into(),
        partition: PartitionId(0),
        offset: Offset(8),
    });
    lab.ticks(3);
    let report = lab.cluster.history_report();
    assert!(
        report.nonmonotonic_polls.is_empty() && report.poll_skips.is_empty(),
        "explicit seeks are not anomalies: {report:?}"
    );
    assert_eq!(report.redeliveries.len(), 8, "offsets 2-9 were read twice");
}
