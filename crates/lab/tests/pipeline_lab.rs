//! The pipeline world driven as lessons drive it: calibration of the causal chain (broker ->
//! job -> features -> model quality -> canary), the codec, refusals and the invariants.

use lab::broker::cluster::BrokerCommand;
use lab::pipeline_lab::command::{PipelineCommand, TrainJoin};
use lab::pipeline_lab::invariants::violations;
use lab::rng::Seed;
use lab::state::{Command, Lab, LabConfig, Preset};

fn lab(seed: u64) -> Lab {
    Lab::new(&LabConfig {
        seed: Seed(seed),
        preset: Preset::Pipeline,
    })
}

fn run(lab: &mut Lab, ticks: u64) {
    for _ in 0..ticks {
        lab.advance();
        let broken = violations(lab);
        assert!(broken.is_empty(), "tick {}: {broken:?}", lab.now().0);
    }
}

fn field(lab: &Lab, name: &str) -> i64 {
    lab::pipeline_lab::glue::pipeline_value(lab, name).expect("a pipeline field")
}

fn pipe(lab: &mut Lab, command: PipelineCommand) {
    lab.apply(&Command::Pipeline(command)).expect("accepted");
}

fn broker(lab: &mut Lab, command: BrokerCommand) {
    lab.apply(&Command::Broker(command)).expect("accepted");
}

fn step(lab: &mut Lab, line: &str) {
    let script = lab::steps::Script::parse(line).expect("a step");
    for s in &script.steps {
        match s {
            lab::steps::Step::Lab(c) => {
                lab.apply(c).expect("accepted");
            }
            lab::steps::Step::Broker(c) => broker(lab, c.clone()),
            lab::steps::Step::Ticks(n) => run(lab, *n),
        }
    }
}

/// Seeds for a sweep after seed 1: all of them in a release build, `debug` in a debug build (a
/// debug tick is ~50 times slower: the broker checks its replication invariants after each).
fn seeds(release: u64, debug: u64) -> std::ops::Range<u64> {
    2..2 + if cfg!(debug_assertions) {
        debug
    } else {
        release - 1
    }
}

fn v2_quality(lab: &Lab) -> i64 {
    field(lab, "v2_quality_permille")
}

/// Runs until the candidate's release ends (completed or aborted), at most `limit` ticks.
fn until_released(lab: &mut Lab, limit: u64) -> (bool, bool) {
    for _ in 0..limit / 100 {
        run(lab, 100);
        let (done, aborts) = (
            field(lab, "rollout_completed"),
            field(lab, "rollout_aborts"),
        );
        if done > 0 || aborts > 0 {
            return (done > 0, aborts > 0);
        }
    }
    (false, false)
}

/// No fault: deploy v2 at 30 s. Returns (completed, v1 and v2 mean quality in permille).
fn no_fault(seed: u64) -> (bool, i64, i64) {
    let mut l = lab(seed);
    run(&mut l, 300);
    pipe(&mut l, PipelineCommand::Deploy { name: "v2".into() });
    let (completed, _) = until_released(&mut l, 3_600);
    let points = &l.pipeline().unwrap().series().reconciles;
    let mean = |name: &str| {
        let q: Vec<i64> = points
            .iter()
            .skip(2)
            .filter_map(|p| p.quality_permille.iter().find(|(n, _)| n == name))
            .map(|(_, q)| i64::from(*q))
            .collect();
        q.iter().sum::<i64>() / q.len().max(1) as i64
    };
    (completed, mean("v1"), mean("v2"))
}

#[test]
fn without_faults_v2_is_better_and_its_canary_completes() {
    let (completed, v1, v2) = no_fault(1);
    println!("seed 1: v1 {v1}, v2 {v2}, completed {completed}");
    assert!(completed);
    assert!(v2 >= v1 + 100, "v1 {v1} v2 {v2}");
    let sweep = seeds(100, 0);
    let n = sweep.end - sweep.start;
    let results: Vec<(bool, i64, i64)> = sweep.map(no_fault).collect();
    let completed = results.iter().filter(|r| r.0).count() as u64;
    let mean =
        |f: fn(&(bool, i64, i64)) -> i64| results.iter().map(f).sum::<i64>() / n.max(1) as i64;
    println!(
        "{completed}/{n} seeds completed; mean v1 {}, mean v2 {}",
        mean(|r| r.1),
        mean(|r| r.2)
    );
    assert!(completed * 100 >= n * 95, "{completed}/{n}");
}

#[test]
fn a_crashed_job_stales_features_and_the_canary_aborts() {
    let mut l = lab(1);
    run(&mut l, 300);
    pipe(&mut l, PipelineCommand::Deploy { name: "v2".into() });
    run(&mut l, 300);
    let threshold = field(&l, "threshold_permille");
    let age_before = field(&l, "feature_age_ms");
    pipe(&mut l, PipelineCommand::CrashJob);
    let crashed_at = l.now().0;
    let mut below_at = None;
    let mut ages = Vec::new();
    let mut previous_age = 0;
    for _ in 0..90 {
        run(&mut l, 10);
        let age = field(&l, "feature_age_ms");
        assert!(age >= previous_age, "the age fell while the job was down");
        previous_age = age;
        if l.now().0.is_multiple_of(100) {
            ages.push(age);
            if below_at.is_none() && v2_quality(&l) < threshold {
                below_at = Some(l.now().0 - crashed_at);
            }
        }
    }
    let (completed, aborted) = until_released(&mut l, 3_000);
    let aborted_at = l.now().0 - crashed_at;
    println!(
        "crash: v2 below {threshold} after {below_at:?} ticks, aborted {aborted} after <= {aborted_at} ticks; age {age_before} ms before, by 10 s: {ages:?}"
    );
    assert!(below_at.is_some_and(|t| t <= 700), "{below_at:?}");
    assert!(aborted && !completed);
    pipe(&mut l, PipelineCommand::RestartJob);
    run(&mut l, 300);
    let after = field(&l, "feature_age_ms");
    println!("after the restart: feature age {after} ms");
    assert!(after <= 20_000, "{after}");
    assert_eq!(field(&l, "stale_users"), 0);
}

/// The broker leading partition 0 of the clicks topic.
fn leader_of_p0(l: &Lab) -> lab::broker::BrokerId {
    l.cluster().unwrap().topics()["clicks"].partitions()[0]
        .leader()
        .expect("a leader")
}

#[test]
fn a_leader_failover_with_acks_all_loses_no_click_and_costs_bounded_staleness() {
    let mut l = lab(1);
    run(&mut l, 600);
    let leader = leader_of_p0(&l);
    let (lag_before, age_before) = (field(&l, "job_lag_records"), field(&l, "feature_age_ms"));
    broker(&mut l, BrokerCommand::KillBroker { broker: leader });
    let (mut max_lag, mut max_age) = (0, 0);
    for _ in 0..40 {
        run(&mut l, 10);
        max_lag = max_lag.max(field(&l, "job_lag_records"));
        max_age = max_age.max(field(&l, "feature_age_ms"));
    }
    broker(&mut l, BrokerCommand::RestartBroker { broker: leader });
    run(&mut l, 600);
    println!(
        "failover of broker {}: lag {lag_before} -> max {max_lag} records, feature age {age_before} -> max {max_age} ms, lost {}",
        leader.0,
        field(&l, "clicks_lost")
    );
    assert_eq!(field(&l, "clicks_lost"), 0);
    assert!(max_age > age_before && max_age <= 40_000, "{max_age}");
    assert!(field(&l, "feature_age_ms") <= 20_000);
    assert_eq!(field(&l, "stale_users"), 0);
}

#[test]
fn acks_1_loses_clicks_when_the_leader_dies_before_its_followers_fetch() {
    let mut l = lab(1);
    run(&mut l, 600);
    let leader = leader_of_p0(&l);
    step(&mut l, "pipe-acks 1");
    for b in 1..=3u8 {
        if b != leader.0 {
            step(&mut l, &format!("slow-broker {b} every=50"));
        }
    }
    run(&mut l, 20);
    broker(&mut l, BrokerCommand::KillBroker { broker: leader });
    run(&mut l, 200);
    let lost = field(&l, "clicks_lost");
    println!("acks=1: {lost} clicks lost");
    assert!(lost > 0);
}

/// Trains `name` with `join` and returns its offline accuracy and AUC (permille).
fn train(l: &mut Lab, name: &str, join: TrainJoin) -> [i64; 2] {
    pipe(
        l,
        PipelineCommand::Train {
            name: name.into(),
            join,
        },
    );
    [
        field(l, "last_train_offline_accuracy_permille"),
        field(l, "last_train_offline_auc_permille"),
    ]
}

/// Trains point-in-time and leaky versions after two minutes, then deploys the leaky one.
/// Returns (offline accuracy and AUC of each, online quality of each, the leaky canary aborted).
fn leaky(seed: u64) -> ([i64; 4], [i64; 2], bool) {
    let mut l = lab(seed);
    run(&mut l, 1_200);
    let pit = train(&mut l, "v3", TrainJoin::PointInTime);
    let leak = train(&mut l, "v4", TrainJoin::Leaky);
    run(&mut l, 100);
    let q = |l: &Lab, n: &str| {
        i64::from(
            l.pipeline().unwrap().models()[n]
                .quality_permille
                .unwrap_or(0),
        )
    };
    let online = [q(&l, "v3"), q(&l, "v4")];
    pipe(&mut l, PipelineCommand::Deploy { name: "v4".into() });
    let (_, aborted) = until_released(&mut l, 3_000);
    ([pit[0], pit[1], leak[0], leak[1]], online, aborted)
}

#[test]
fn a_leaky_model_looks_better_offline_and_fails_its_canary() {
    let (offline, online, aborted) = leaky(1);
    println!(
        "seed 1: offline acc/auc pit {}/{} leaky {}/{}; online pit {} leaky {}; aborted {aborted}",
        offline[0], offline[1], offline[2], offline[3], online[0], online[1]
    );
    let holds = |(offline, online, aborted): &([i64; 4], [i64; 2], bool)| {
        offline[2] > offline[0] && offline[3] > offline[1] && online[1] < online[0] && *aborted
    };
    assert!(holds(&(offline, online, aborted)));
    let sweep = seeds(50, 0);
    let n = sweep.end - sweep.start;
    let held = sweep.map(leaky).filter(holds).count() as u64;
    println!("leakage shows on {held}/{n} seeds");
    assert!(held * 100 >= n * 90, "{held}/{n}");
}

#[test]
fn skewing_the_online_clicks_lowers_the_served_quality() {
    let mut l = lab(1);
    run(&mut l, 600);
    let before: i64 = (0..3)
        .map(|_| {
            run(&mut l, 100);
            v2_quality(&l)
        })
        .sum::<i64>()
        / 3;
    step(&mut l, "pipe-skew clicks 300%");
    run(&mut l, 200);
    let after: i64 = (0..3)
        .map(|_| {
            run(&mut l, 100);
            v2_quality(&l)
        })
        .sum::<i64>()
        / 3;
    println!("skew clicks 300%: v2 {before} -> {after}");
    assert!(after + 50 <= before, "{before} -> {after}");
}

fn all_commands() -> Vec<PipelineCommand> {
    use lab::pipeline_lab::command::{SkewFeature, Strategy};
    vec![
        PipelineCommand::CrashJob,
        PipelineCommand::RestartJob,
        PipelineCommand::SlowJob {
            records_per_tick: Some(5),
        },
        PipelineCommand::SlowJob {
            records_per_tick: None,
        },
        PipelineCommand::SetPush { on: false },
        PipelineCommand::SetTtl { seconds: 90 },
        PipelineCommand::SetWatermarkDelay { ms: 500 },
        PipelineCommand::SetSkew {
            feature: SkewFeature::Amount,
            factor_percent: 300,
        },
        PipelineCommand::Train {
            name: "v3".into(),
            join: TrainJoin::Leaky,
        },
        PipelineCommand::Train {
            name: "v4".into(),
            join: TrainJoin::PointInTime,
        },
        PipelineCommand::Deploy { name: "v2".into() },
        PipelineCommand::SetThreshold { permille: 900 },
        PipelineCommand::SetStrategy {
            strategy: Strategy::BlueGreen,
        },
    ]
}

#[test]
fn commands_round_trip_through_the_journal_and_unknown_tags_are_refused() {
    use lab::sim::codec::{Reader, Writer};
    use lab::sim::model::Model;
    for command in all_commands() {
        let command = Command::Pipeline(command);
        let mut w = Writer::default();
        Lab::encode_command(&command, &mut w);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(Lab::decode_command(&mut r).unwrap(), command);
    }
    for bad in [
        vec![24u8, 99],
        vec![24, 6, 7, 100],
        vec![24, 7, 2, b'v', b'3', 9],
    ] {
        let mut r = Reader::new(&bad);
        assert!(Lab::decode_command(&mut r).is_err(), "{bad:?}");
    }
}

#[test]
fn bad_parameters_are_refused_with_a_hint_and_change_nothing() {
    use lab::pipeline_lab::command::SkewFeature;
    let mut l = lab(2);
    run(&mut l, 50);
    let before = l.clone();
    let hash = l.state_hash();
    for bad in [
        PipelineCommand::RestartJob,
        PipelineCommand::SlowJob {
            records_per_tick: Some(0),
        },
        PipelineCommand::SetTtl { seconds: 0 },
        PipelineCommand::SetTtl { seconds: 100_000 },
        PipelineCommand::SetWatermarkDelay { ms: 600_000 },
        PipelineCommand::SetSkew {
            feature: SkewFeature::Clicks,
            factor_percent: 5_000,
        },
        PipelineCommand::Train {
            name: "v2".into(),
            join: TrainJoin::PointInTime,
        },
        PipelineCommand::Train {
            name: "Bad Name".into(),
            join: TrainJoin::PointInTime,
        },
        // Too few labelled requests after five seconds.
        PipelineCommand::Train {
            name: "v3".into(),
            join: TrainJoin::PointInTime,
        },
        PipelineCommand::Deploy { name: "v9".into() },
        PipelineCommand::Deploy { name: "v1".into() },
        PipelineCommand::SetThreshold { permille: 1_200 },
    ] {
        let refusal = l.apply(&Command::Pipeline(bad.clone())).unwrap_err();
        assert!(!refusal.to_string().is_empty(), "{bad:?}");
        assert!(!refusal.hint().is_empty(), "{bad:?}");
        assert_eq!(l, before, "{bad:?} changed the lab");
        assert_eq!(l.state_hash(), hash);
    }
    // Outside the preset the command has nowhere to go.
    let mut other = Lab::new(&LabConfig {
        seed: Seed(2),
        preset: Preset::Streaming,
    });
    assert!(matches!(
        other.apply(&Command::Pipeline(PipelineCommand::CrashJob)),
        Err(lab::state::Rejection::NoPipeline)
    ));
}

/// The page's "Fork here" on an analysis run goes to the first tick whose state shows the run's
/// end: in the pipeline the rollout world moves ten seconds at each reconcile, not every tick.
#[test]
fn a_rollout_instant_maps_to_the_first_tick_that_shows_it() {
    let mut l = lab(1);
    run(&mut l, 300);
    pipe(&mut l, PipelineCommand::Deploy { name: "v2".into() });
    run(&mut l, 300);
    pipe(&mut l, PipelineCommand::CrashJob);
    let ended = |l: &Lab| {
        l.rollouts()
            .expect("the pipeline has a rollout")
            .analysis_runs()
            .iter()
            .find_map(|r| r.run.completed_at())
    };
    while ended(&l).is_none() {
        assert!(l.now().0 < 3_000, "no analysis run ended");
        run(&mut l, 1);
    }
    let shown_at = l.now();
    let ended_ms = ended(&l).expect("checked").0;
    assert_eq!(l.first_tick_showing_rollout_ms(ended_ms), shown_at);
}
