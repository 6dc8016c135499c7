//! Fork and compare across engines in the pipeline world: a fork's setting (acks, a TTL, the
//! analysis threshold, the watermark delay, the release strategy) changes what happens downstream the way the capstone lessons tell, and
//! a fork that changes nothing ends where the original does.

use lab::broker::producer::Acks;
use lab::clock::Tick;
use lab::compare::pipeline::{compare_pipeline, PipelineChanges, PipelineComparison};
use lab::compare::Changes;
use lab::pipeline_lab::command::Strategy;
use lab::rng::Seed;
use lab::state::{LabConfig, Preset};
use lab::steps::{parse_steps, run};
use lab::timeline::Timeline;

fn timeline(preset: Preset, steps: &str) -> Timeline {
    let config = LabConfig {
        seed: Seed(1),
        preset,
    };
    run(config, &parse_steps(steps).unwrap()).unwrap().timeline
}

fn compare(timeline: &Timeline, at: u64, changes: PipelineChanges) -> PipelineComparison {
    let c = compare_pipeline(timeline, Tick(at), &changes, 0).unwrap();
    println!("fork at t{at} ({}) to t{}", changes.describe(), c.end.0);
    for row in c.rows() {
        println!("  {:<28} {:>12} {:>12}", row.label, row.original, row.fork);
    }
    c
}

/// The same fork twice is the same; the original's re-run from the fork tick ends in the
/// original's state; the fork's journal replays to the fork's state.
fn assert_deterministic(timeline: &Timeline, c: &PipelineComparison) {
    assert_eq!(c.original.state_hash, timeline.head().state_hash());
    let replayed = Timeline::from_journal(c.journal.clone()).unwrap();
    assert_eq!(replayed.head().state_hash(), c.fork.state_hash);
    assert_eq!(replayed.end(), c.end);
}

#[test]
fn a_broker_kill_loses_clicks_with_acks_1_and_none_with_acks_all() {
    // Followers fetch every 5 s (still in the ISR), then the leader of every partition dies.
    let t = timeline(
        Preset::Pipeline,
        "tick 600\nslow-broker 2 every=50\nslow-broker 3 every=50\ntick 20\nkill-broker 1\ntick 200\n",
    );
    let changes = PipelineChanges {
        broker: Changes {
            acks: Some(Acks::One),
            ..Changes::default()
        },
        ..PipelineChanges::default()
    };
    let c = compare(&t, 600, changes);
    assert_eq!(c.original.downstream.clicks_lost, 0);
    assert_eq!(c.original.broker.ledger.lost_acks_all, 0);
    assert!(c.fork.downstream.clicks_lost > 0, "{:?}", c.fork.downstream);
    assert!(c.fork.broker.ledger.lost > 0);
    assert_eq!(c.replayed, 1);
    assert!(c.refused.is_empty(), "{:?}", c.refused);
    assert!(c
        .rows()
        .iter()
        .any(|r| r.label == "clicks lost" && r.differs()));
    assert_deterministic(&t, &c);
}

#[test]
fn a_crashed_job_aborts_the_canary_unless_the_threshold_is_lower() {
    // v2 released at 30 s; the job crashes at 50 s and stays down: features go stale, v2's
    // quality falls to the base rate's, the analysis fails at 0.85 and the rollout aborts.
    let t = timeline(
        Preset::Pipeline,
        "tick 300\npipe-deploy v2\ntick 200\npipe-crash-job\ntick 1100\n",
    );
    let lower = compare(
        &t,
        500,
        PipelineChanges {
            threshold_permille: Some(600),
            ..PipelineChanges::default()
        },
    );
    assert_eq!(lower.original.downstream.rollout_phase, "Degraded");
    assert_eq!(lower.original.downstream.rollout_aborts, 1);
    assert_eq!(lower.fork.downstream.rollout_aborts, 0);
    assert_ne!(lower.fork.downstream.rollout_phase, "Degraded");
    // The job's state is the same on both sides: as stale, only judged differently.
    assert_eq!(
        lower.original.downstream.stale_user_ms,
        lower.fork.downstream.stale_user_ms
    );
    assert_deterministic(&t, &lower);
    // A longer TTL serves the old values instead of NULLs: fewer stale users, no rescue.
    let longer = compare(
        &t,
        500,
        PipelineChanges {
            ttl_seconds: Some(600),
            ..PipelineChanges::default()
        },
    );
    assert!(longer.fork.downstream.stale_user_ms < longer.original.downstream.stale_user_ms);
    assert_eq!(longer.fork.downstream.rollout_phase, "Degraded");
    assert_eq!(
        longer.fork.downstream.max_feature_age_ms,
        longer.original.downstream.max_feature_age_ms
    );
}

#[test]
fn a_ttl_shorter_than_a_window_aborts_a_healthy_release() {
    let t = timeline(Preset::Pipeline, "tick 300\npipe-deploy v2\ntick 1300\n");
    let c = compare(
        &t,
        300,
        PipelineChanges {
            ttl_seconds: Some(5),
            ..PipelineChanges::default()
        },
    );
    assert_eq!(c.original.downstream.rollout_aborts, 0);
    assert_eq!(c.fork.downstream.rollout_aborts, 1);
    assert_eq!(c.fork.downstream.rollout_phase, "Degraded");
    assert!(c.fork.downstream.stale_ms > c.original.downstream.stale_ms);
}

#[test]
fn bad_forks_say_why_with_a_hint() {
    let t = timeline(Preset::Pipeline, "tick 50\npipe-ttl 30s\ntick 20\n");
    let err = |at: u64, changes: PipelineChanges| {
        let e = compare_pipeline(&t, Tick(at), &changes, 0).unwrap_err();
        assert!(!e.hint.is_empty());
        e.message
    };
    let ttl = |seconds| PipelineChanges {
        ttl_seconds: Some(seconds),
        ..PipelineChanges::default()
    };
    assert!(err(71, ttl(90)).contains("beyond the end"));
    assert!(err(10, PipelineChanges::default()).contains("no setting"));
    // Already 30 s at tick 60 and nothing later changes it.
    assert!(err(60, ttl(30)).contains("identical"));
    // 60 s at tick 10 already, but the later `pipe-ttl 30s` is pinned to 60 s: a real fork.
    let c = compare_pipeline(&t, Tick(10), &ttl(60), 0).unwrap();
    assert_eq!(c.replayed, 1);
    assert_ne!(c.fork.state_hash, c.original.state_hash);
    assert!(err(10, ttl(0)).contains("refused every change"));
    let replicated = timeline(Preset::Replicated, "tick 20\n");
    let e = compare_pipeline(&replicated, Tick(10), &ttl(90), 0).unwrap_err();
    assert!(e.message.contains("pipeline lab only"), "{}", e.message);
    let acks_1 = PipelineChanges {
        broker: Changes {
            acks: Some(Acks::One),
            ..Changes::default()
        },
        ..PipelineChanges::default()
    };
    let e = compare_pipeline(&replicated, Tick(10), &acks_1, 0).unwrap_err();
    assert!(e.message.contains("no pipeline"), "{}", e.message);
}

#[test]
fn a_longer_watermark_delay_ages_every_feature_it_pushes() {
    // Windows close only once the watermark passes their end: 20 s of delay instead of 2 s
    // pushes each window's clicks 18 s later, so the oldest value served is that much older.
    let t = timeline(Preset::Pipeline, "tick 300\npipe-deploy v2\ntick 900\n");
    let c = compare(
        &t,
        300,
        PipelineChanges {
            watermark_delay_ms: Some(20_000),
            ..PipelineChanges::default()
        },
    );
    let (original, fork) = (&c.original.downstream, &c.fork.downstream);
    assert!(
        fork.max_feature_age_ms >= original.max_feature_age_ms + 15_000,
        "{} ms against {} ms",
        fork.max_feature_age_ms,
        original.max_feature_age_ms
    );
    assert_eq!(fork.clicks_lost, 0);
    assert_deterministic(&t, &c);
}

#[test]
fn blue_green_releases_v2_after_its_preview_passes_the_same_analysis() {
    // The canary shifts users step by step; blue-green keeps every user on v1, judges the
    // preview with the same quality template before promotion, then switches all at once.
    let t = timeline(Preset::Pipeline, "tick 200\npipe-deploy v2\ntick 3000\n");
    let c = compare(
        &t,
        100,
        PipelineChanges {
            strategy: Some(Strategy::BlueGreen),
            ..PipelineChanges::default()
        },
    );
    for side in [&c.original.downstream, &c.fork.downstream] {
        assert_eq!(
            (side.rollout_completed, side.rollout_aborts),
            (1, 0),
            "{side:?}"
        );
    }
    assert_ne!(c.fork.state_hash, c.original.state_hash);
    assert_deterministic(&t, &c);
}
