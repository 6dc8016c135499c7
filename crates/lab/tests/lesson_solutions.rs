//! Every Kafka lesson's goals can be met by doing what its solution says: each test drives the
//! lesson's own lab (seed and scenario from its front matter) through the solution's steps and
//! checks the goal with the lesson's own condition.

use lab::broker::cluster::BrokerCommand as B;
use lab::broker::compression::Codec;
use lab::broker::group::{CommitPolicy, ConsumerConfig, ConsumerId, OffsetReset};
use lab::broker::log::LogConfig;
use lab::broker::producer::{NullKeyPartitioner, ProducerConfig, ProducerId};
use lab::broker::topic::{Partition, TopicSettings};
use lab::broker::BrokerId;
use lab::check::Verdict;
use lab::lesson::{parse_lesson, Lesson};
use lab::metric::{Metric, Observation};
use lab::state::Command;
use lab::steps::{parse_steps, Step};
use lab::timeline::Timeline;

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
        self.apply(Command::Broker(command));
    }

    fn apply(&mut self, command: Command) {
        let end = self.timeline.end();
        self.timeline
            .apply_at(end, command.clone())
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

    /// Runs steps written in the scenario language (the verbs of `lab scenario run`), the way a
    /// lesson's solution describes its clicks.
    fn steps(&mut self, text: &str) {
        let steps = parse_steps(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        self.run_steps(&steps);
    }

    /// Runs parsed steps at the end of the lab, as `lab scenario run` does.
    fn run_steps(&mut self, steps: &[Step]) {
        if let Err(e) = lab::steps::run_on(&mut self.timeline, steps, |_, _| {}) {
            panic!("{:?}: {} ({})", steps[e.step], e.message, e.hint);
        }
    }

    /// A metric's value at the head, by name.
    fn value(&self, metric: &str) -> i64 {
        let observation = Observation {
            lab: self.timeline.head(),
            journal: self.timeline.journal(),
        };
        observation
            .value(&Metric::parse(metric).unwrap())
            .unwrap_or_else(|| panic!("{metric} is not available"))
    }

    fn partition(&self, id: u32) -> &Partition {
        &self.timeline.head().cluster().unwrap().topics()["orders"].partitions()[id as usize]
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
        let cluster = self.timeline.head().cluster().unwrap();
        *cluster
            .consumers()
            .iter()
            .find(|(_, c)| {
                c.group() == group && (c.deliveries_total() > 0 || !c.in_process().is_empty())
            })
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
    // Keyed records spread over every partition too, but the goal asks for keyless ones.
    let mut r = Run::new("11-kafka-keys.md");
    r.send("orders", Some("user-{n}"), Some("v"), 90);
    assert!(r.value("topic.orders.quietest") >= 10);
    assert!(!r.met("spread"), "keyed records do not count");
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
        strategy: lab::broker::assignor::Strategy::CooperativeSticky,
    });
    r.ticks(40);
    assert!(
        !r.met("cooperative"),
        "switching alone is one rebalance; the goal needs a member to leave"
    );
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
    r.send("profiles", Some("user-2"), Some(""), 1);
    r.ticks(1);
    assert!(
        !r.met("tombstone"),
        "an empty value is an ordinary record, not a tombstone"
    );
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
        let observation = lab::metric::Observation {
            lab: r.timeline.head(),
            journal: r.timeline.journal(),
        };
        let per_record = observation
            .value(&lab::metric::Metric::parse("topic.orders.bytes_per_record").unwrap())
            .unwrap();
        eprintln!("{codec:?}: {per_record} bytes per record");
        if matches!(codec, Codec::Gzip | Codec::Zstd) {
            r.assert_met("compressed");
        }
    }
}

#[test]
fn queue_versus_log() {
    use lab::queue::QueueCommand as Q;
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

// The replication lessons (issue 4). Their solutions are written as steps in the scenario
// language; each mirrors the clicks the solution text describes, tick for tick.

/// Sends 30 records with the producer panel's default key, as the replication lessons do.
const SEND_30: &str = "produce orders key=user-{n} value=order-{n} count=30\n";

#[test]
fn replication_and_the_isr() {
    let mut r = Run::new("18-kafka-replication-isr.md");
    assert!(!r.met("hw-waits") && !r.met("follower-out"));
    // A follower slowed to one fetch every 20 ticks stays in the ISR, and the HW waits for it.
    r.steps("slow-broker 3 every=20\ntick 1");
    r.steps(SEND_30);
    r.ticks(3);
    r.assert_met("hw-waits");
    let p = r.partition(0);
    assert_eq!(
        p.leader(),
        Some(BrokerId(1)),
        "seed 20: broker 1 leads orders-0"
    );
    assert_eq!(
        (p.replica_states()[&BrokerId(1)].log().leo().0, p.hw().0),
        (7, 0)
    );
    assert!(!r.met("follower-out"));
    // Slow but catching up: it never leaves the ISR, and the HW catches up with its fetches.
    for _ in 0..4 {
        r.steps(SEND_30);
        r.ticks(40);
    }
    assert!(
        !r.met("follower-out"),
        "a slow follower that catches up stays in sync"
    );
    assert!(!r.met("hw-waits"));

    // A much slower follower of an idle partition is never dropped: it is behind on nothing.
    let mut r = Run::new("18-kafka-replication-isr.md");
    r.steps("slow-broker 3 every=100\ntick 150");
    assert!(
        !r.met("follower-out"),
        "an idle partition never shrinks its ISR"
    );
    // The solution: slow it down, give it something to be behind on, wait past the lag time.
    let mut r = Run::new("18-kafka-replication-isr.md");
    r.steps("slow-broker 3 every=100\ntick 1");
    r.steps(SEND_30);
    r.ticks(99);
    assert!(
        !r.met("follower-out"),
        "not before replica.lag.time.max has passed"
    );
    r.ticks(11);
    r.assert_met("follower-out");
    assert_eq!(r.partition(0).isr(), vec![BrokerId(1), BrokerId(2)]);
    assert_eq!(
        r.value("topic.orders.hw"),
        30,
        "the HW moved on without broker 3"
    );
    // Normal speed: it catches up and rejoins.
    r.steps("slow-broker 3 every=1\ntick 5");
    assert_eq!(r.value("topic.orders.isr_min"), 3);
    assert!(!r.met("follower-out"));
}

const ACKS_FAULTS: &str = "slow-broker 2 every=50\nslow-broker 3 every=50\ntick 1
produce orders key=user-{n} value=order-{n} count=50 partition=0\ntick 1
kill-broker 1\ntick 100\n";

#[test]
fn acks_and_durability() {
    let mut r = Run::new("19-kafka-acks-durability.md");
    assert!(!r.met("acks1-loses") && !r.met("nothing-lost"));
    // acks=1: the leader answers before any follower has the records; a clean election loses them.
    r.steps("producer acks=1 idempotence=off");
    r.steps(ACKS_FAULTS);
    r.assert_met("acks1-loses");
    assert_eq!(r.value("lost_acked"), 50);
    assert_eq!(r.value("elections"), 1);
    r.steps("restart-broker 1\ntick 60");
    assert!(r.value("truncations") >= 1);
    assert!(!r.met("nothing-lost"), "acks=1 is the wrong setting");

    // acks=all (the default): the same faults lose nothing.
    let mut r = Run::new("19-kafka-acks-durability.md");
    r.steps(ACKS_FAULTS);
    assert!(
        !r.met("nothing-lost"),
        "broker 1 has not come back to truncate its tail yet"
    );
    assert_eq!(r.value("lost_acked"), 0);
    r.steps("restart-broker 1\ntick 60");
    r.assert_met("nothing-lost");
    assert!(!r.met("acks1-loses"));
    assert_eq!(r.value("acked"), 50);

    // The lesson's one-click steps reproduce the acks=1 loss.
    let mut r = Run::new("19-kafka-acks-durability.md");
    let steps: Vec<Step> = r.lesson.steps().cloned().collect();
    r.run_steps(&steps);
    r.assert_met("acks1-loses");
}

#[test]
fn leader_failover() {
    let mut r = Run::new("21-kafka-leader-failover.md");
    assert!(!r.met("failover") && !r.met("preferred-back"));
    assert_eq!(r.partition(0).leader(), Some(BrokerId(1)));
    r.steps(SEND_30);
    r.steps("tick 5\nkill-broker 1\ntick 50");
    assert!(
        !r.met("failover"),
        "no election before the session timeout fences broker 1"
    );
    r.ticks(50);
    r.assert_met("failover");
    let p = r.partition(0);
    assert_eq!((p.leader(), p.leader_epoch()), (Some(BrokerId(2)), 1));
    assert!(!r.met("preferred-back"));
    r.steps("restart-broker 1\ntick 20");
    assert!(
        !r.met("preferred-back"),
        "a restarted broker does not take its leadership back by itself"
    );
    assert_eq!(
        r.value("under_replicated"),
        0,
        "broker 1 is back in every ISR"
    );
    r.steps("elect-preferred");
    r.assert_met("preferred-back");
    let p = r.partition(0);
    assert_eq!((p.leader(), p.leader_epoch()), (Some(BrokerId(1)), 2));
    // A controlled shutdown moves leadership at once, without waiting for a session to expire.
    let elections = r.value("elections");
    r.steps("shutdown-broker 1");
    assert_eq!(r.value("elections"), elections + 1);
    assert_eq!(r.partition(0).leader(), Some(BrokerId(2)));
}

/// The faults of the unclean-election lesson, up to restarting broker 2, after `settings`.
fn unclean_faults(settings: &str) -> String {
    format!(
        "{settings}
produce orders key=user-{{n}} value=order-{{n}} count=30\ntick 5
kill-broker 2\nkill-broker 3\ntick 100
produce orders key=user-{{n}} value=late-{{n}} count=20\ntick 5
kill-broker 1\ntick 100
restart-broker 2\ntick 10\n"
    )
}

#[test]
fn unclean_election() {
    let file = "22-kafka-unclean-election.md";
    let mut r = Run::new(file);
    assert!(!r.met("lose-acked") && !r.met("prevent"));
    // The lesson's steps reproduce the loss of committed, acknowledged records.
    let steps: Vec<Step> = r.lesson.steps().cloned().collect();
    r.run_steps(&steps);
    r.assert_met("lose-acked");
    assert_eq!(r.value("lost_acked_all"), 20);
    assert!(
        r.value("truncations") >= 1,
        "broker 1 cut its committed tail"
    );
    assert!(!r.met("prevent"));

    // Prevention 1: unclean election off. The partitions wait offline for broker 1.
    let mut r = Run::new(file);
    r.steps(&unclean_faults("topic-config orders min-isr=1 unclean=off"));
    r.assert_met("prevent");
    assert!(!r.met("lose-acked"));
    assert_eq!(r.value("offline"), 3);
    r.steps("restart-broker 1\nrestart-broker 3\ntick 30");
    assert_eq!((r.value("lost_acked"), r.value("acked")), (0, 50));
    assert_eq!(r.partition(0).leader(), Some(BrokerId(1)));

    // Prevention 2: min.insync.replicas=2 refuses the late writes; the unclean election loses nothing.
    let mut r = Run::new(file);
    r.steps(&unclean_faults("topic-config orders min-isr=2 unclean=on"));
    r.assert_met("prevent");
    assert!(!r.met("lose-acked"));
    assert!(r.value("unclean_elections") >= 1);

    // Not a prevention: unclean election on and min ISR 1, but no late writes to lose (luck).
    let mut r = Run::new(file);
    r.steps(
        "topic-config orders min-isr=1 unclean=on
produce orders key=user-{n} value=order-{n} count=30\ntick 5
kill-broker 2\nkill-broker 3\ntick 100\nkill-broker 1\ntick 100\nrestart-broker 2\ntick 10",
    );
    assert!(!r.met("prevent") && !r.met("lose-acked"));
}

/// The unclean-election lesson warns that killing brokers before time moves loses all 50
/// records, not the 20 its instructions lose (those are checked, with every other lesson's
/// numbered instructions, in `lesson_instructions.rs`).
#[test]
fn unclean_election_warning_as_written() {
    let file = "22-kafka-unclean-election.md";
    let text = std::fs::read_to_string(format!(
        "{}/../../lessons/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(text.contains("then all 50 records of this lesson are lost, not 20"));
    // Without the Steps the loss is 50, as the prose warns.
    let mut r = Run::new(file);
    r.steps(
        "topic-config orders min-isr=1 unclean=on
produce orders key=user-{n} value=order-{n} count=30
kill-broker 2\nkill-broker 3\ntick 100
produce orders key=user-{n} value=late-{n} count=20\ntick 5
kill-broker 1\ntick 100\nrestart-broker 2\ntick 10\nrestart-broker 1\nrestart-broker 3\ntick 30",
    );
    assert_eq!(r.value("lost_acked_all"), 50, "the prose's warning");
}

#[test]
fn the_controller() {
    let file = "23-kafka-controller.md";
    let mut r = Run::new(file);
    assert!(!r.met("controller-failover") && !r.met("fenced-alive") && !r.met("zombie-safe"));
    // Writes acknowledged before the controller dies do not count: the goal is about the data
    // path running while no controller is active.
    r.steps(SEND_30);
    r.steps("tick 5\nkill-controller 1\ntick 25");
    assert_eq!(r.value("controller_term"), 2);
    assert_eq!(r.value("acked_without_controller"), 0);
    assert!(
        !r.met("controller-failover"),
        "acks only before and after the gap"
    );
    // The solution: kill C1, then send while no controller is active.
    let mut r = Run::new(file);
    r.steps("kill-controller 1");
    r.steps(SEND_30);
    r.ticks(5);
    assert_eq!(
        r.value("controller_term"),
        1,
        "no controller yet after 5 ticks"
    );
    assert_eq!(
        r.value("acked_without_controller"),
        30,
        "acknowledged with no active controller"
    );
    r.ticks(15);
    assert_eq!(
        r.value("controller_term"),
        1,
        "20 ticks of controller.quorum.fetch.timeout.ms, then a vote"
    );
    r.ticks(5);
    r.assert_met("controller-failover");
    assert_eq!(r.value("controller_term"), 2);
    // Broker 1 cut off from the controller: fenced although it runs, and deposed.
    r.steps("restart-controller 1\ncut-broker 1 from=controller\ntick 100");
    r.assert_met("fenced-alive");
    let p = r.partition(0);
    assert_eq!((p.leader(), p.leader_epoch()), (Some(BrokerId(2)), 1));
    assert!(
        p.replica_states()[&BrokerId(1)].leading().is_some(),
        "broker 1 still thinks it leads: a zombie"
    );
    assert!(!r.met("zombie-safe"));
    // The zombie appends what the producer sends it, but cannot commit it.
    r.steps("produce orders key=user-{n} value=order-{n} count=30 partition=0\ntick 20");
    let zombie = &r.partition(0).replica_states()[&BrokerId(1)];
    assert!(
        zombie.log().leo() > zombie.hw(),
        "appended above a frozen HW"
    );
    assert!(!r.met("zombie-safe"));
    r.steps("reconnect-broker 1 from=controller\ntick 20");
    r.assert_met("zombie-safe");
    assert_eq!(
        r.value("acked"),
        60,
        "the 30 sent without a controller and the zombie's 30"
    );

    // Killing the broker instead of cutting it off does not meet "fenced while running".
    let mut r = Run::new(file);
    r.steps("kill-broker 1\ntick 100");
    assert!(!r.met("fenced-alive"));
    // Without a majority of controllers nobody fences a dead broker.
    let mut r = Run::new(file);
    r.steps("kill-controller 1\nkill-controller 2\ntick 20\nkill-broker 3\ntick 150");
    assert_eq!((r.value("fenced"), r.value("elections")), (0, 0));
    assert_eq!(r.value("controller_term"), 1);
}

const MIN_ISR_FAULTS: &str = "produce orders key=user-{n} value=order-{n} count=20\ntick 1
kill-broker 3\ntick 100
produce orders key=user-{n} value=order-{n} count=20\ntick 5
kill-broker 2\ntick 100\n";

#[test]
fn min_insync_replicas() {
    let file = "20-kafka-min-isr.md";
    let mut r = Run::new(file);
    assert!(!r.met("refused") && !r.met("available-again") && !r.met("hw-frozen"));
    r.steps(MIN_ISR_FAULTS);
    assert_eq!(
        r.value("acked"),
        40,
        "one broker down: writes still accepted"
    );
    assert_eq!(r.value("not_enough_replicas"), 0);
    r.steps("produce orders key=user-{n} value=order-{n} count=20\ntick 20");
    r.assert_met("refused");
    assert!(!r.met("available-again") && !r.met("hw-frozen"));
    assert_eq!(
        r.value("topic.orders.records"),
        40,
        "refused writes are not appended"
    );
    r.steps("topic-config orders min-isr=1\ntick 30");
    r.assert_met("available-again");
    assert_eq!(r.value("acked"), 60);

    // acks=1 instead: acknowledged, but invisible above the frozen HW; not "available again".
    let mut r = Run::new(file);
    r.steps(MIN_ISR_FAULTS);
    r.steps("producer acks=1 idempotence=off");
    r.steps("produce orders key=user-{n} value=order-{n} count=20\ntick 5");
    r.assert_met("hw-frozen");
    assert!(!r.met("available-again") && !r.met("refused"));
    assert_eq!(
        (r.value("topic.orders.records"), r.value("topic.orders.hw")),
        (60, 40)
    );
    // Broker 2 comes back and rejoins: the HW moves again.
    r.steps("restart-broker 2\ntick 30");
    assert_eq!(r.value("topic.orders.hw"), 60);
    assert!(!r.met("hw-frozen"));
}

/// Cutting both followers off from the brokers (instead of killing them) also leaves the leader
/// alone in the ISR, and it stays alone: a follower that no longer fetches must not rejoin on the
/// strength of an old fetch (before that fix the ISR flapped every tick, and acks=all writes were
/// accepted and timed out instead of being refused).
#[test]
fn min_insync_replicas_with_cut_followers() {
    let mut r = Run::new("20-kafka-min-isr.md");
    r.steps("cut-broker 2 from=brokers\ncut-broker 3 from=brokers");
    r.steps("produce orders key=k{n} count=10 partition=0\ntick 102");
    for _ in 0..20 {
        assert_eq!(r.partition(0).isr(), vec![BrokerId(1)]);
        r.ticks(1);
    }
    r.steps("produce orders key=k{n} count=10 partition=0\ntick 5");
    r.assert_met("refused");
    r.steps("heal-broker 2\nheal-broker 3\ntick 10");
    assert_eq!(r.partition(0).isr().len(), 3, "healed followers rejoin");
}

const LOSSY_ONE_IN_FLIGHT: &str = "producer idempotence=off faults=30 inflight=1
produce orders key=user-{n} value=order-{n} count=50\ntick 20";
const LOSSY_FIVE_IN_FLIGHT: &str = "producer idempotence=off faults=30 inflight=5 batch=200
produce orders key=user-{n} value=order-{n} count=50\ntick 20";
const LOSSY_IDEMPOTENT: &str = "producer faults=30 batch=200
produce orders key=user-{n} value=order-{n} count=50\ntick 20";

#[test]
fn idempotent_producer() {
    let file = "24-kafka-idempotence.md";
    let mut r = Run::new(file);
    assert!(!r.met("twice") && !r.met("overtaken") && !r.met("exactly-once-writes"));
    // Idempotence off, one request in flight: lost answers write batches twice, nothing reorders.
    r.steps(LOSSY_ONE_IN_FLIGHT);
    r.assert_met("twice");
    assert!(
        !r.met("overtaken"),
        "with one request in flight a retry cannot be overtaken"
    );
    // Five in flight and small batches: a retried batch lands behind later ones.
    r.steps(LOSSY_FIVE_IN_FLIGHT);
    r.assert_met("overtaken");
    // Idempotence on without a Reset: the leader deduplicates, but the history keeps the
    // earlier duplicates, so the goal waits for a clean run.
    r.steps(LOSSY_IDEMPOTENT);
    assert!(r.value("retries_deduplicated") >= 1 && r.value("out_of_order") >= 1);
    assert!(!r.met("exactly-once-writes"));
    // The solution, after Reset.
    let mut r = Run::new(file);
    r.steps(LOSSY_IDEMPOTENT);
    r.assert_met("exactly-once-writes");
    assert_eq!(
        r.value("topic.orders.records"),
        50,
        "each record written once"
    );

    // The goal needs the concept: idempotence on, a lossy network, several batches in flight.
    for (settings, why) in [
        (
            "producer idempotence=off faults=30 batch=200",
            "idempotence off",
        ),
        ("producer batch=200", "no lost answers to recognise"),
        (
            "producer faults=30 batch=200 inflight=1",
            "one in flight: no gap to refuse",
        ),
    ] {
        let mut r = Run::new(file);
        r.steps(&format!(
            "{settings}\nproduce orders key=user-{{n}} value=order-{{n}} count=50\ntick 20"
        ));
        assert!(!r.met("exactly-once-writes"), "{why}");
    }
}

/// The Schema Registry lesson: each goal needs its concept. A field without a default is refused
/// under BACKWARD (and only a refused-then-fixed evolution meets the first goal), consumers on
/// version 2 read version 1 records with the default, FORWARD accepts the change BACKWARD
/// refused while old readers keep reading, and FULL takes only a change both ways can read.
#[test]
fn schema_registry() {
    let file = "29-kafka-schema-registry.md";
    let mut r = Run::new(file);
    let goals = [
        "backward-evolve",
        "old-with-defaults",
        "forward-evolve",
        "full-evolve",
    ];
    assert!(goals.iter().all(|g| !r.met(g)));
    let instructions = r.lesson.instructions.clone();
    assert_eq!(instructions.len(), 10);
    let steps = |n: usize| -> Vec<Step> { instructions[n - 1].steps.clone() };
    let run_all = |r: &mut Run, steps: Vec<Step>| r.run_steps(&steps);
    // A version 2 with a default, registered without the refusal first, is not the lesson's goal.
    let mut shortcut = Run::new(file);
    run_all(&mut shortcut, steps(1));
    run_all(&mut shortcut, steps(3));
    run_all(&mut shortcut, steps(4));
    assert!(!shortcut.met("backward-evolve"), "no refusal seen yet");

    run_all(&mut r, steps(1));
    run_all(&mut r, steps(2));
    assert_eq!(r.value("registrations_refused"), 1);
    assert_eq!(r.value("subject.users-value.versions"), 1);
    let registry = r.timeline.head().registry().unwrap();
    assert!(registry
        .last_refusal()
        .unwrap()
        .contains("READER_FIELD_MISSING_DEFAULT_VALUE"));
    run_all(&mut r, steps(3));
    run_all(&mut r, steps(4));
    r.assert_met("backward-evolve");
    assert!(
        !r.met("old-with-defaults"),
        "consumers still read with the writer's schema"
    );
    run_all(&mut r, steps(5));
    r.assert_met("old-with-defaults");
    // The wire format of the first record and of the linked list.
    run_all(&mut r, steps(6));
    let head = r.timeline.head();
    let users = lab::schemas::decode_topic(head, "users");
    assert_eq!(
        users[0].bytes.as_deref().unwrap(),
        [0x00, 0, 0, 0, 1, 0x02, 0x06, b'a', b'n', b'n', 0x00]
    );
    let numbers = lab::schemas::decode_topic(head, "numbers");
    assert_eq!(
        numbers[0].bytes.as_deref().unwrap(),
        [0, 0, 0, 0, 3, 2, 2, 4, 0]
    );
    // BACKWARD refuses version 3 (country has no default); FORWARD takes it.
    let mut backward = Run::new(file);
    for n in 1..=6 {
        run_all(&mut backward, steps(n));
    }
    run_all(&mut backward, steps(8));
    // The registration, then the serializer's own attempt to register before sending: both 409.
    assert_eq!(backward.value("registrations_refused"), 3);
    assert_eq!(
        backward.value("avro.users.writer_ids"),
        2,
        "the refused send reached nothing"
    );
    assert_eq!(backward.value("subject.users-value.versions"), 2);
    assert!(!backward.met("forward-evolve"));
    run_all(&mut r, steps(7));
    run_all(&mut r, steps(8));
    r.assert_met("forward-evolve");
    run_all(&mut r, steps(9));
    assert!(
        !r.met("forward-evolve"),
        "consumers on version 3 cannot read the old records"
    );
    assert_eq!(r.value("avro.users.unreadable"), 2);
    run_all(&mut r, steps(10));
    r.assert_met("full-evolve");
    assert_eq!(r.value("avro.users.unreadable"), 0);
}

/// A Do-it link's steps (separated by "; ") as step lines.
fn lines(text: &str) -> String {
    text.replace("; ", "\n")
}

#[test]
fn transactions() {
    let groups = "consumer audit topic=orders; consumer ledger topic=orders isolation=read_committed; tick 3";
    let mut r = Run::new("25-kafka-transactions.md");
    r.steps(&lines(groups));
    // Without a transaction nothing holds the read_committed group back.
    r.steps(&lines(
        "produce orders partition=0 value=plain-{n} count=3; tick 5",
    ));
    assert!(!r.met("lso-holds"));
    let mut r = Run::new("25-kafka-transactions.md");
    r.steps(&lines(groups));
    r.steps(&lines("init-txn 1 id=payments-1; begin 1; produce orders partition=0 value=draft-{n} count=3; tick 5"));
    r.assert_met("lso-holds");
    assert!(!r.met("committed-only"));
    r.steps(&lines("abort-txn 1; tick 5"));
    assert!(!r.met("committed-only"), "nothing committed yet");
    r.steps(&lines(
        "begin 1; produce orders partition=0 value=payment-{n} count=2; commit-txn 1; tick 5",
    ));
    r.assert_met("committed-only");
}

#[test]
fn zombie_fencing() {
    let setup = "topic payments partitions=1; topic totals partitions=1; produce payments value=payment-{n} count=5; consumer processor topic=payments commit=manual isolation=read_committed; consumer reader topic=totals isolation=read_committed; consumer raw topic=totals; add-producer; init-txn 2 id=processor-1; tick 5";
    let round = |p: u32| {
        format!("begin {p}; process {p} 1 to=totals; send-offsets {p} 1; commit-txn {p}; tick 5")
    };
    let mut r = Run::new("26-kafka-zombie-fencing.md");
    r.steps(&lines(setup));
    assert!(!r.met("offsets-in-transaction"));
    // Committing the output without the offsets leaves the input uncommitted.
    r.steps(&lines(
        "begin 2; process 2 1 to=totals; commit-txn 2; tick 5",
    ));
    assert!(!r.met("offsets-in-transaction"));
    let mut r = Run::new("26-kafka-zombie-fencing.md");
    r.steps(&lines(setup));
    r.steps(&lines(&round(2)));
    r.assert_met("offsets-in-transaction");
    r.steps(&lines("produce payments value=refund-{n} count=5; tick 3; begin 2; process 2 1 to=totals; send-offsets 2 1; tick 3"));
    // A new instance with another transactional.id fences nobody.
    let mut other = Run::new("26-kafka-zombie-fencing.md");
    other.steps(&lines(setup));
    other.steps(&lines(&round(2)));
    other.steps(&lines("produce payments value=refund-{n} count=5; tick 3; begin 2; process 2 1 to=totals; send-offsets 2 1; tick 3"));
    other.steps(&lines("crash 1; add-producer; init-txn 3 id=processor-2; restart 1; tick 40; commit-txn 2; tick 2"));
    assert!(!other.met("zombie-fenced"));
    r.steps(&lines("crash 1; add-producer; init-txn 3 id=processor-1; restart 1; tick 40; commit-txn 2; tick 2"));
    r.assert_met("zombie-fenced");
    assert!(!r.met("exactly-once"));
    r.steps(&lines(&round(3)));
    r.assert_met("exactly-once");
}

const SLOW_MEMBER: &str = "consumer g topic=orders commit=after processing=80 max-poll-interval=50
consumer g topic=orders commit=after
tick 5
produce orders key=user-{n} value=order-{n} count=30
tick 100";
const STATIC_RESTART: &str = "consumer s topic=orders static=s-1 session=300
consumer s topic=orders static=s-2 session=300
tick 10\ncrash 1\ntick 20\nrestart 1\ntick 10";

#[test]
fn group_liveness() {
    let file = "27-kafka-group-liveness.md";
    let mut r = Run::new(file);
    assert!(!r.met("poll-timeout") && !r.met("static-restart"));
    r.steps(SLOW_MEMBER);
    r.assert_met("poll-timeout");
    // The goal needs a batch longer than the poll interval: heartbeats alone change nothing.
    let mut r = Run::new(file);
    r.steps(&SLOW_MEMBER.replace("max-poll-interval=50", "max-poll-interval=100"));
    assert!(
        !r.met("poll-timeout"),
        "processing within max.poll.interval.ms"
    );
    // Static members take their place back; dynamic ones cost a rebalance.
    let mut r = Run::new(file);
    r.steps(STATIC_RESTART);
    r.assert_met("static-restart");
    let mut r = Run::new(file);
    r.steps(
        &STATIC_RESTART
            .replace(" static=s-1", "")
            .replace(" static=s-2", ""),
    );
    assert!(
        !r.met("static-restart"),
        "dynamic members rebalance on restart"
    );
    // A static member back after its session timed out is a new member.
    let mut r = Run::new(file);
    r.steps(&STATIC_RESTART.replace("session=300", "session=15"));
    assert!(
        !r.met("static-restart"),
        "restarted after its session expired"
    );
}

const THREE_GROUPS: &str = "topic events partitions=6
rate events 6 key=k-{n}
consumer eager topic=events processing=20
consumer eager topic=events processing=20
consumer coop topic=events processing=20
consumer coop topic=events processing=20
assignor coop cooperative-sticky
consumer kip topic=events processing=20 protocol=consumer
consumer kip topic=events processing=20 protocol=consumer
tick 150";
const CHURN: &str = "consumer eager topic=events processing=20
consumer coop topic=events processing=20
consumer kip topic=events processing=20 protocol=consumer
tick 97\nclose 1\nclose 3\nclose 5\ntick 200";

#[test]
fn new_group_protocol() {
    let file = "28-kafka-new-group-protocol.md";
    let mut r = Run::new(file);
    r.steps(THREE_GROUPS);
    assert!(!r.met("compare"), "no churn yet");
    r.steps(CHURN);
    r.assert_met("compare");
    for group in ["eager", "coop", "kip"] {
        println!(
            "{group}: stopped member-ticks {}, unowned partition-ticks {}, rounds {}, requests {}",
            r.value(&format!("group.{group}.paused_member_ticks")),
            r.value(&format!("group.{group}.unowned_partition_ticks")),
            r.value(&format!("group.{group}.rounds")),
            r.value(&format!("group.{group}.requests")),
        );
    }
    // The comparison needs the three protocols: a third classic group in place of KIP-848 fails.
    let mut r = Run::new(file);
    r.steps(&format!("{THREE_GROUPS}\n{CHURN}").replace(" protocol=consumer", ""));
    assert!(!r.met("compare"), "kip must run group.protocol=consumer");
    // And a cooperative group in place of the eager one never stops its members.
    let mut r = Run::new(file);
    r.steps(&format!(
        "{THREE_GROUPS}\nassignor eager cooperative-sticky\n{CHURN}"
    ));
    assert!(!r.met("compare"), "eager must be eager");
    // Mixing protocols in one group and a session timeout with group.protocol=consumer are refused.
    let mut r = Run::new(file);
    r.steps(THREE_GROUPS);
    for refused in [
        "consumer kip topic=events processing=20",
        "consumer kip topic=events protocol=consumer session=100",
        "assignor kip range",
    ] {
        let Step::Broker(command) = parse_steps(refused).unwrap().remove(0) else {
            panic!("{refused} is a broker step")
        };
        let end = r.timeline.end();
        assert!(
            r.timeline.apply_at(end, Command::Broker(command)).is_err(),
            "{refused}"
        );
    }
}
