//! Every Kafka lesson's goals can be met by doing what its solution says: each test drives the
//! lesson's own lab (seed and scenario from its front matter) through the solution's steps and
//! checks the goal with the lesson's own condition.

use lab_core::broker::cluster::BrokerCommand as B;
use lab_core::broker::compression::Codec;
use lab_core::broker::group::{CommitPolicy, ConsumerConfig, ConsumerId, OffsetReset};
use lab_core::broker::log::LogConfig;
use lab_core::broker::producer::{NullKeyPartitioner, ProducerConfig, ProducerId};
use lab_core::broker::topic::TopicSettings;
use lab_core::check::Verdict;
use lab_core::lab::Command;
use lab_core::lesson::{parse_lesson, Lesson};
use lab_core::metric::Observation;
use lab_core::timeline::Timeline;

fn lesson(file: &str) -> Lesson {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(file);
    parse_lesson(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Run {
    lesson: Lesson,
    timeline: Timeline,
}

impl Run {
    fn new(file: &str) -> Run {
        let lesson = lesson(file);
        let timeline = Timeline::new(lesson.meta.config);
        Run { lesson, timeline }
    }

    fn run(&mut self, command: B) {
        let end = self.timeline.end();
        self.timeline
            .apply_at(end, Command::Broker(command.clone()))
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    }

    fn ticks(&mut self, n: u64) {
        for _ in 0..n {
            self.timeline.advance_head().unwrap();
        }
    }

    fn send(&mut self, topic: &str, key: Option<&str>, value: Option<&str>, count: u16) {
        self.run(B::Produce {
            producer: ProducerId(1),
            topic: topic.into(),
            partition: None,
            key: key.map(str::to_string),
            value: value.map(str::to_string),
            count,
            header: None,
        });
    }

    fn consumer(&mut self, group: &str, config: ConsumerConfig) {
        self.run(B::AddConsumer {
            group: group.into(),
            topics: vec!["orders".into()],
            instance_id: None,
            config,
        });
    }

    fn owner_of_records(&self, group: &str) -> ConsumerId {
        let cluster = self.timeline.head().broker().unwrap();
        *cluster
            .consumers
            .iter()
            .find(|(_, c)| c.group == group && (c.deliveries_total > 0 || !c.in_process.is_empty()))
            .expect("a member read something")
            .0
    }

    fn met(&self, goal: &str) -> bool {
        let check = self
            .lesson
            .checks()
            .find(|c| c.id == goal)
            .unwrap_or_else(|| panic!("no goal {goal}"));
        let observation = Observation {
            lab: self.timeline.head(),
            journal: self.timeline.journal(),
        };
        check.when.evaluate(&observation) == Verdict::Met
    }

    fn assert_met(&self, goal: &str) {
        let check = self.lesson.checks().find(|c| c.id == goal).unwrap();
        let observation = Observation {
            lab: self.timeline.head(),
            journal: self.timeline.journal(),
        };
        assert_eq!(
            check.when.evaluate(&observation),
            Verdict::Met,
            "{} / {goal}",
            self.lesson.meta.id
        );
    }
}

fn ui_default() -> ConsumerConfig {
    ConsumerConfig {
        auto_offset_reset: OffsetReset::Earliest,
        commit: CommitPolicy::Auto { interval_ticks: 5 },
        ..ConsumerConfig::default()
    }
}

#[test]
fn commit_log() {
    let mut r = Run::new("10-kafka-commit-log.md");
    assert!(!r.met("send-10"));
    r.send("orders", Some("user-{n}"), Some("order {n}"), 10);
    r.assert_met("send-10");
    r.consumer("g", ui_default());
    r.ticks(12);
    r.assert_met("read-all");
}

#[test]
fn keys() {
    let mut r = Run::new("11-kafka-keys.md");
    r.send("orders", Some("user-7"), Some("v"), 20);
    r.assert_met("one-key");
    r.send("orders", None, Some("v"), 30);
    assert!(
        !r.met("spread"),
        "the sticky partitioner keeps 30 small records together"
    );
    r.run(B::SetProducerConfig {
        producer: ProducerId(1),
        config: ProducerConfig {
            null_key_partitioner: NullKeyPartitioner::RoundRobin,
            ..ProducerConfig::default()
        },
    });
    r.send("orders", None, Some("v"), 30);
    r.assert_met("spread");
}

#[test]
fn groups() {
    let mut r = Run::new("12-kafka-groups.md");
    for _ in 0..3 {
        r.consumer("g", ui_default());
    }
    r.ticks(3);
    r.assert_met("three-members");
    r.consumer("g", ui_default());
    r.ticks(3);
    r.assert_met("idle");
    r.run(B::SetGroupStrategy {
        group: "g".into(),
        strategy: lab_core::broker::assignor::Strategy::CooperativeSticky,
    });
    r.ticks(3);
    r.run(B::CrashConsumer {
        consumer: ConsumerId(1),
    });
    r.ticks(40);
    r.assert_met("cooperative");
}

#[test]
fn delivery() {
    let mut r = Run::new("13-kafka-delivery.md");
    r.consumer("g", ui_default());
    r.consumer("g", ui_default());
    r.ticks(3);
    r.send("orders", Some("user-{n}"), Some("v"), 20);
    r.ticks(2);
    let victim = r.owner_of_records("g");
    r.run(B::CrashConsumer { consumer: victim });
    r.ticks(40);
    r.assert_met("at-least-once");
    let before = ConsumerConfig {
        commit: CommitPolicy::BeforeProcessing,
        processing_ticks: 10,
        ..ui_default()
    };
    r.run(B::AddConsumer {
        group: "h".into(),
        topics: vec!["orders".into()],
        instance_id: None,
        config: before,
    });
    r.run(B::AddConsumer {
        group: "h".into(),
        topics: vec!["orders".into()],
        instance_id: None,
        config: before,
    });
    r.ticks(3);
    r.send("orders", Some("user-{n}"), Some("v"), 20);
    r.ticks(2);
    let victim = r.owner_of_records("h");
    r.run(B::CrashConsumer { consumer: victim });
    r.ticks(40);
    r.assert_met("at-most-once");
}

#[test]
fn retention() {
    let mut r = Run::new("14-kafka-retention.md");
    let log = LogConfig {
        segment_bytes: 300,
        retention_ticks: Some(50),
        ..LogConfig::default()
    };
    r.run(B::SetTopicSettings {
        topic: "orders".into(),
        settings: TopicSettings {
            log,
            ..TopicSettings::default()
        },
    });
    r.send("orders", Some("user-{n}"), Some("order {n}"), 20);
    r.ticks(80);
    r.assert_met("delete-segments");
    r.consumer(
        "g",
        ConsumerConfig {
            poll_interval_ticks: 200,
            ..ui_default()
        },
    );
    for _ in 0..10 {
        r.send("orders", Some("user-{n}"), Some("order {n}"), 20);
        r.ticks(30);
    }
    r.assert_met("fall-off");
}

#[test]
fn compaction() {
    let mut r = Run::new("15-kafka-compaction.md");
    r.send("profiles", Some("user-1"), Some("v{n}"), 20);
    r.ticks(20);
    assert!(
        !r.met("compact"),
        "one batch sits whole in the active segment, which is never cleaned"
    );
    for _ in 0..4 {
        r.send("profiles", Some("user-1"), Some("v{n}"), 5);
    }
    r.ticks(20);
    r.assert_met("compact");
    r.send("profiles", Some("user-1"), None, 1);
    r.assert_met("tombstone");
    let refused = r.timeline.apply_at(
        r.timeline.end(),
        Command::Broker(B::Produce {
            producer: ProducerId(1),
            topic: "profiles".into(),
            partition: None,
            key: None,
            value: Some("v".into()),
            count: 1,
            header: None,
        }),
    );
    assert!(
        refused.is_err(),
        "a compacted topic refuses keyless records"
    );
}

#[test]
fn batching_and_compression() {
    let mut r = Run::new("16-kafka-batching-compression.md");
    r.run(B::SetProducerConfig {
        producer: ProducerId(1),
        config: ProducerConfig {
            batch_size_bytes: 64,
            ..ProducerConfig::default()
        },
    });
    r.send("orders", Some("user-{n}"), Some("order {n}"), 100);
    r.ticks(2);
    r.assert_met("tiny-batches");
    for codec in [Codec::Gzip, Codec::Zstd, Codec::Lz4, Codec::Snappy] {
        let mut r = Run::new("16-kafka-batching-compression.md");
        r.run(B::SetProducerConfig {
            producer: ProducerId(1),
            config: ProducerConfig {
                compression: codec,
                ..ProducerConfig::default()
            },
        });
        r.send("orders", Some("user-{n}"), Some("order {n}"), 300);
        r.ticks(2);
        let observation = lab_core::metric::Observation {
            lab: r.timeline.head(),
            journal: r.timeline.journal(),
        };
        let per_record = observation
            .value(&lab_core::metric::Metric::parse("topic.orders.bytes_per_record").unwrap())
            .unwrap();
        eprintln!("{codec:?}: {per_record} bytes per record");
        if matches!(codec, Codec::Gzip | Codec::Zstd) {
            r.assert_met("compressed");
        }
    }
}

#[test]
fn queue_versus_log() {
    use lab_core::queue::QueueCommand as Q;
    let mut r = Run::new("17-kafka-queue-vs-log.md");
    let queue = |r: &mut Run, command: Q| {
        let end = r.timeline.end();
        r.timeline.apply_at(end, Command::Queue(command)).unwrap();
    };
    queue(
        &mut r,
        Q::AddConsumer {
            prefetch: 5,
            processing_ticks: 2,
        },
    );
    queue(
        &mut r,
        Q::AddConsumer {
            prefetch: 5,
            processing_ticks: 2,
        },
    );
    queue(&mut r, Q::Publish { count: 10 });
    r.ticks(10);
    r.assert_met("queue-drained");
    r.send("orders", Some("user-{n}"), Some("order {n}"), 10);
    r.consumer("billing", ui_default());
    r.consumer("audit", ui_default());
    r.ticks(5);
    r.assert_met("replay");
}
