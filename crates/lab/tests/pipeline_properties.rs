//! Property tests over random fault schedules in the pipeline world (issue 17's evidence):
//! broker kills and restarts, controller kills, link cuts, job crashes, slowdowns and restarts,
//! push off and on, TTL and watermark-delay changes, releases and aborts, at random ticks.
//!
//! (a) The world is deterministic: the live timeline, a replay of its journal decoded from a
//!     share link (state hashes compared at several ticks, whole states at the end) agree.
//! (b) Downstream follows upstream, checked after every tick: the pipeline's own invariants
//!     (`pipeline_lab::invariants`: no stale feature while the job is current, no online write
//!     while the job is down, served quality = measured accuracy, no lost click with acks=all,
//!     min ISR 2 and clean elections, which every schedule here keeps), and, while the job is
//!     down, the oldest feature's age never goes back.
//!
//! Cases: `PROPTEST_CASES` (default 16); ticks per schedule: `PIPELINE_PROPERTY_TICKS`
//! (default 1 000, 100 s of lab time).

use lab::journal::Journal;
use lab::pipeline_lab::glue::pipeline_value;
use lab::pipeline_lab::invariants::violations;
use lab::rng::Seed;
use lab::share_link;
use lab::state::{Command, Lab, LabConfig, Preset};
use lab::steps::{parse_steps, Step};
use lab::timeline::Timeline;
use proptest::prelude::*;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ticks_per_schedule() -> u64 {
    env_number("PIPELINE_PROPERTY_TICKS", 1_000)
}

/// A fault or setting, as the steps language writes it (some are refused in some states: a
/// restart of a running job, an abort with nothing to abort; a refusal changes nothing).
fn fault() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1u32..4).prop_map(|b| format!("kill-broker {b}")),
        3 => (1u32..4).prop_map(|b| format!("restart-broker {b}")),
        1 => (1u32..4).prop_map(|c| format!("kill-controller {c}")),
        1 => (1u32..4).prop_map(|c| format!("restart-controller {c}")),
        2 => (1u32..4, prop_oneof![Just("brokers"), Just("controller"), Just("clients")])
            .prop_map(|(b, from)| format!("cut-broker {b} from={from}")),
        2 => (1u32..4).prop_map(|b| format!("heal-broker {b}")),
        2 => Just("pipe-crash-job".to_string()),
        3 => Just("pipe-restart-job".to_string()),
        1 => prop_oneof![Just("pipe-slow-job 1"), Just("pipe-slow-job 3"), Just("pipe-slow-job off")].prop_map(str::to_string),
        2 => prop_oneof![Just("pipe-push off"), Just("pipe-push on")].prop_map(str::to_string),
        1 => prop_oneof![Just("pipe-ttl 5s"), Just("pipe-ttl 60s"), Just("pipe-ttl 600s")].prop_map(str::to_string),
        1 => prop_oneof![Just("pipe-delay 0s"), Just("pipe-delay 2s"), Just("pipe-delay 5s")].prop_map(str::to_string),
        2 => Just("pipe-deploy v2".to_string()),
        1 => Just("abort".to_string()),
    ]
}

/// (ticks before, fault) pairs; the gaps are scaled to the schedule's length.
fn schedule() -> impl Strategy<Value = Vec<(u16, String)>> {
    proptest::collection::vec((0u16..1000, fault()), 1..14)
}

fn command(line: &str) -> Command {
    match parse_steps(line).unwrap().remove(0) {
        Step::Lab(command) => command,
        Step::Broker(command) => Command::Broker(command),
        Step::Ticks(_) => unreachable!("faults are commands"),
    }
}

/// Checks the pipeline's invariants and the growth of feature age while the job is down.
fn check_tick(lab: &Lab, age_before: &mut Option<i64>) -> Result<(), TestCaseError> {
    let broken = violations(lab);
    prop_assert!(broken.is_empty(), "tick {}: {:?}", lab.now().0, broken);
    let running = pipeline_value(lab, "job_running") == Some(1);
    let age = pipeline_value(lab, "feature_age_ms");
    if let (false, Some(before), Some(now)) = (running, *age_before, age) {
        prop_assert!(
            now >= before,
            "tick {}: the oldest feature got younger ({before} -> {now} ms) while the job is down",
            lab.now().0
        );
    }
    *age_before = if running { None } else { age };
    Ok(())
}

/// The live run as the app drives it (commands at the end of time, one tick at a time);
/// returns the timeline and the state hash at each probe tick.
fn run_live(
    seed: u64,
    schedule: &[(u16, String)],
    probes: &[u64],
) -> Result<(Timeline, Vec<u64>), TestCaseError> {
    let ticks = ticks_per_schedule();
    let mut timeline = Timeline::new(LabConfig {
        seed: Seed(seed),
        preset: Preset::Pipeline,
    });
    let total_gap: u64 = schedule
        .iter()
        .map(|(g, _)| u64::from(*g))
        .sum::<u64>()
        .max(1);
    let mut due = Vec::new();
    let mut at = 0;
    for (gap, line) in schedule {
        at += u64::from(*gap) * ticks / total_gap / 2;
        due.push((at.min(ticks - 1), line.as_str()));
    }
    let mut hashes = Vec::new();
    let mut age_before = None;
    let mut next = 0;
    for t in 0..ticks {
        while let Some((_, line)) = due.get(next).filter(|(when, _)| *when == t) {
            let end = timeline.end();
            // A refused command changes nothing and is not journaled.
            let _ = timeline.apply_at(end, command(line));
            next += 1;
        }
        if probes.contains(&t) {
            hashes.push(timeline.head().state_hash());
        }
        timeline.advance_head().unwrap();
        check_tick(timeline.head(), &mut age_before)?;
    }
    Ok((timeline, hashes))
}

/// Replays `journal` from tick 0 with the lab alone, comparing the hash at each probe tick.
fn replay_checking(
    journal: &Journal,
    probes: &[u64],
    hashes: &[u64],
) -> Result<Lab, TestCaseError> {
    let mut lab = Lab::new(journal.config());
    let entries = journal.entries();
    let mut next = 0;
    let mut probe = 0;
    while lab.now() <= journal.end() {
        while let Some(entry) = entries.get(next).filter(|e| e.at == lab.now()) {
            lab.apply(&entry.command).unwrap();
            next += 1;
        }
        if probes.get(probe) == Some(&lab.now().0) {
            prop_assert_eq!(
                lab.state_hash(),
                hashes[probe],
                "replay differs at tick {}",
                lab.now().0
            );
            probe += 1;
        }
        if lab.now() == journal.end() {
            break;
        }
        lab.advance();
    }
    prop_assert_eq!(probe, probes.len());
    Ok(lab)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: env_number("PROPTEST_CASES", 16) as u32,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_fault_schedules_stay_deterministic_and_downstream_follows_upstream(
        seed in 0u64..1_000,
        schedule in schedule(),
    ) {
        let ticks = ticks_per_schedule();
        let probes = [ticks / 4, ticks / 2, 3 * ticks / 4, ticks - 1];
        let (live, hashes) = run_live(seed, &schedule, &probes)?;
        let link = share_link::encode(live.journal());
        let decoded: Journal = lab::sim::share_link::decode(&link).unwrap();
        prop_assert_eq!(decoded.to_bytes(), live.journal().to_bytes());
        let replayed = replay_checking(&decoded, &probes, &hashes)?;
        prop_assert!(&replayed == live.head(), "the link's replay differs from live at the end");
    }
}
