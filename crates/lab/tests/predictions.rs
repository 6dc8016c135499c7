//! The Kafka lessons' predictions (issue 12) are right: each test runs the experiment the
//! question describes on the lesson's own lab, checks that the reveal condition is false before
//! and true after it, and that the lab's numbers are the ones the lesson's answer states.

use lab::check::Verdict;
use lab::lesson::{parse_lesson, Lesson, PredictSpec};
use lab::metric::{Metric, Observation};
use lab::steps::parse_steps;
use lab::timeline::Timeline;

fn lesson(file: &str) -> Lesson {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons")
        .join(file);
    parse_lesson(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct Experiment {
    predict: PredictSpec,
    timeline: Timeline,
}

impl Experiment {
    /// The lesson's lab, before the experiment of prediction `id`.
    fn new(file: &str, id: &str) -> Experiment {
        let lesson = lesson(file);
        let predict = lesson
            .predictions()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{file} has no prediction {id}"))
            .clone();
        let experiment = Experiment {
            predict,
            timeline: Timeline::new(lesson.meta.config),
        };
        assert!(!experiment.revealed(), "{id} is revealed before the run");
        experiment
    }

    /// Runs steps of the steps language at the end of time.
    fn run(&mut self, text: &str) {
        for step in parse_steps(text).unwrap() {
            match step {
                lab::steps::Step::Ticks(n) => {
                    for _ in 0..n {
                        self.timeline.advance_head().unwrap();
                    }
                }
                lab::steps::Step::Broker(command) => {
                    let end = self.timeline.end();
                    self.timeline
                        .apply_at(end, lab::state::Command::Broker(command))
                        .unwrap();
                }
                lab::steps::Step::Lab(command) => {
                    let end = self.timeline.end();
                    self.timeline.apply_at(end, command).unwrap();
                }
            }
        }
    }

    fn observation(&self) -> Observation<'_> {
        Observation {
            lab: self.timeline.head(),
            journal: self.timeline.journal(),
        }
    }

    fn revealed(&self) -> bool {
        self.predict.reveal.evaluate(&self.observation()) == Verdict::Met
    }

    fn value(&self, metric: &str) -> i64 {
        let metric = Metric::parse(metric).unwrap();
        self.observation().value(&metric).unwrap()
    }

    fn answer(&self) -> &str {
        &self.predict.choices[self.predict.answer]
    }
}

#[test]
fn acks_1_loses_every_record_the_followers_had_not_fetched() {
    let mut lab = Experiment::new("19-kafka-acks-durability.md", "guess-acks1");
    lab.run(
        "producer acks=1 idempotence=off\nslow-broker 2 every=50\nslow-broker 3 every=50\ntick 1\n\
         produce orders key=user-{n} value=order-{n} count=50 partition=0\ntick 1\nkill-broker 1",
    );
    assert_eq!(lab.value("acked"), 50);
    lab.run("tick 100");
    assert!(lab.revealed());
    assert_eq!(
        (lab.value("elections"), lab.value("unclean_elections")),
        (1, 0)
    );
    assert_eq!(lab.value("lost_acked"), 50);
    assert!(lab.answer().starts_with("None"), "{}", lab.answer());
}

#[test]
fn a_dead_leader_is_replaced_only_after_the_session_timeout() {
    let mut lab = Experiment::new("21-kafka-leader-failover.md", "guess-detection");
    lab.run("produce orders key=user-{n} value=order-{n} count=30\ntick 5\nkill-broker 1");
    let mut ticks = 0;
    while !lab.revealed() {
        lab.run("tick 1");
        ticks += 1;
        assert!(ticks <= 100, "no election within 100 ticks of the kill");
    }
    // 9 s of broker.session.timeout.ms at 100 ms a tick, from the last heartbeat (every 2 s).
    assert!(
        (70..=90).contains(&ticks),
        "elected {ticks} ticks after the kill"
    );
    assert!(lab.answer().contains("90 ticks"), "{}", lab.answer());
}

#[test]
fn an_unclean_leader_keeps_only_what_it_had() {
    let lesson_file = "22-kafka-unclean-election.md";
    let mut lab = Experiment::new(lesson_file, "guess-survivors");
    lab.run(
        "topic-config orders min-isr=1 unclean=on\n\
         produce orders key=user-{n} value=order-{n} count=30\ntick 5\n\
         kill-broker 2\nkill-broker 3\ntick 100\n\
         produce orders key=user-{n} value=late-{n} count=20\ntick 5\n\
         kill-broker 1\ntick 100",
    );
    assert!(!lab.revealed());
    lab.run("restart-broker 2\ntick 10");
    assert!(lab.revealed());
    let (acked, lost) = (lab.value("acked"), lab.value("lost_acked_all"));
    assert_eq!((acked, lost), (50, 20));
    assert!(
        lab.answer().starts_with(&format!("{}:", acked - lost)),
        "{}",
        lab.answer()
    );
    // The lesson's steps block runs the same experiment and reveals the answer too.
    let steps: Vec<_> = lesson(lesson_file).steps().cloned().collect();
    let run = lab::steps::run(*lab.timeline.journal().config(), &steps).unwrap();
    let after = Observation {
        lab: run.timeline.head(),
        journal: run.timeline.journal(),
    };
    assert_eq!(lab.predict.reveal.evaluate(&after), Verdict::Met);
}

/// Lesson 24's first experiment: idempotence off, one request in flight, a lossy network.
const RETRIES_WITHOUT_IDEMPOTENCE: &str = "producer idempotence=off faults=30 inflight=1
produce orders key=user-{n} value=order-{n} count=50\ntick 20";

#[test]
fn a_lost_answer_makes_a_plain_producer_write_a_batch_twice() {
    let mut lab = Experiment::new("24-kafka-idempotence.md", "guess-duplicates");
    lab.run(RETRIES_WITHOUT_IDEMPOTENCE);
    assert!(lab.revealed());
    assert_eq!(lab.value("acked"), 50, "every record acknowledged once");
    assert!(
        lab.value("topic.orders.records") > 50,
        "the log holds more records than were sent"
    );
    assert_eq!(lab.value("failed_sends"), 0, "nothing lost");
    assert!(lab.answer().starts_with("More than 50"), "{}", lab.answer());
}

#[test]
fn an_idempotent_leader_refuses_a_batch_that_skips_a_sequence() {
    let lesson_file = "24-kafka-idempotence.md";
    let mut lab = Experiment::new(lesson_file, "guess-gap");
    lab.run("producer faults=30 batch=200\nproduce orders key=user-{n} value=order-{n} count=50");
    lab.run("tick 20");
    assert!(lab.revealed());
    assert_eq!(
        (lab.value("duplicates"), lab.value("reordered")),
        (0, 0),
        "refused, then appended in order: nothing twice, nothing out of order"
    );
    assert_eq!(lab.value("topic.orders.records"), 50);
    assert!(lab.answer().starts_with("Refuses"), "{}", lab.answer());
    // The lesson's narrated steps run the same experiment and reveal the answer too.
    let steps: Vec<_> = lesson(lesson_file).steps().cloned().collect();
    let run = lab::steps::run(*lab.timeline.journal().config(), &steps).unwrap();
    let after = Observation {
        lab: run.timeline.head(),
        journal: run.timeline.journal(),
    };
    assert_eq!(lab.predict.reveal.evaluate(&after), Verdict::Met);
}
