//! Determinism of the cluster preset: random learners' steps (settings, queries, MapReduce jobs,
//! lost and slow executors, some of them refused) give the same lab live, rerun, replayed from the
//! journal, forked in the past and reopened from a share link. States are compared whole
//! (`Lab: PartialEq`) and by fingerprint.

use lab::clock::Tick;
use lab::cluster_lab::glue::parse_step_line;
use lab::journal::replay;
use lab::rng::Seed;
use lab::share_link;
use lab::state::{Command, LabConfig, Preset};
use lab::timeline::Timeline;
use proptest::prelude::*;

/// A learner's action: time passing, a command, or a command at an earlier tick (a fork).
#[derive(Clone, Debug)]
enum Action {
    Advance(u16),
    Command(Command),
    ForkAt { ticks_back: u16, command: Command },
}

fn step(line: &str) -> Command {
    match parse_step_line(line) {
        Some(Ok(command)) => command,
        other => panic!("{line}: {other:?}"),
    }
}

/// Cluster steps as lessons write them; some are refused in some states (a rebuild while a job
/// runs, a kill of a lost executor, uncaching what is not cached).
fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (1u16..6).prop_map(|n| format!("cluster executors {n}")),
        (1u16..4).prop_map(|n| format!("cluster cores {n}")),
        (1u16..20).prop_map(|n| format!("cluster partitions {n}")),
        prop_oneof![Just("cluster broadcast off"), Just("cluster broadcast 4KiB")]
            .prop_map(str::to_string),
        prop_oneof![Just("cluster aqe on"), Just("cluster aqe off")].prop_map(str::to_string),
        prop_oneof![Just("cluster speculation on"), Just("cluster speculation off")]
            .prop_map(str::to_string),
        prop_oneof![Just("cluster cache push_events"), Just("cluster uncache push_events")]
            .prop_map(str::to_string),
        (0u16..5).prop_map(|n| format!("cluster kill {n}")),
        Just("cluster add-executor".to_string()),
        (0u16..4, 5u16..101).prop_map(|(e, p)| format!("cluster slow {e} {p}%")),
        prop_oneof![
            Just("cluster sql SELECT event_type, count(*) FROM push_events GROUP BY event_type"),
            Just("cluster sql SELECT d.city, count(*) FROM rides r JOIN drivers d ON r.driver_id = d.driver_id GROUP BY d.city"),
            Just("cluster sql SELECT cuid FROM push_events ORDER BY cuid LIMIT 3"),
        ]
        .prop_map(str::to_string),
        (0u16..4).prop_map(|r| format!("cluster mapreduce pvuv reducers={r} input=push_events")),
    ]
    .prop_map(|line| step(&line))
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (1u16..40).prop_map(Action::Advance),
        3 => command().prop_map(Action::Command),
        1 => (0u16..60, command()).prop_map(|(ticks_back, command)| Action::ForkAt { ticks_back, command }),
    ]
}

fn run_live(seed: u64, actions: &[Action]) -> Timeline {
    let mut timeline = Timeline::new(LabConfig {
        seed: Seed(seed),
        preset: Preset::Cluster,
    });
    for action in actions {
        match action {
            Action::Advance(n) => {
                for _ in 0..*n {
                    timeline.advance_head().unwrap();
                }
            }
            Action::Command(c) => {
                let _ = timeline.apply_at(timeline.end(), c.clone());
            }
            Action::ForkAt {
                ticks_back,
                command,
            } => {
                let at = Tick(timeline.end().0.saturating_sub(u64::from(*ticks_back)));
                let _ = timeline.apply_at(at, command.clone());
            }
        }
    }
    timeline
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn live_replayed_and_rerun_agree(seed in any::<u64>(), actions in proptest::collection::vec(action(), 1..16)) {
        let live = run_live(seed, &actions);
        let again = run_live(seed, &actions);
        prop_assert!(live.head() == again.head(), "two live runs differ");
        prop_assert_eq!(live.head().state_hash(), again.head().state_hash());
        let reference = replay(live.journal(), live.end()).unwrap();
        prop_assert!(&reference == live.head(), "replayed from tick 0 differs from live");
        prop_assert_eq!(reference.state_hash(), live.head().state_hash());
        let via_link = share_link::open(&share_link::encode(live.journal())).unwrap();
        prop_assert!(via_link.head() == live.head(), "opened from a share link differs from live");
    }
}
