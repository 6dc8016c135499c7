//! The pipeline lessons (75-79) are solved by their solutions and cannot be met without their
//! concepts. Each lesson is followed as a learner pressing its "Do it" links in reading order
//! would (the lab of its front matter, seed and preset), and:
//!
//! - every goal is unmet before the link that comes just before it in the text and met after it;
//! - every prediction is hidden until the link that follows it and revealed by that link, and what
//!   the lab then shows is the answer the lesson gives;
//! - each goal's solution, run as its text says on a fresh lab, meets it, and a path that skips
//!   the concept (a crashed job instead of a short TTL, a failover with nothing lost, a stall
//!   without a release, a threshold lowered instead of the push turned on...) does not.
//!
//! The numbers the prose states after an instruction are its "Do it" promises, checked by
//! `lesson_instructions.rs`; the numbers stated elsewhere (offline scores, the value a
//! measurement read) are checked here against the lab.

mod common;

use common::lessons::Run;
use lab::state::Command;
use lab::steps::{parse_steps, Step};
use sim::clock::Tick;

lesson_track! {
    ONE_EVENT = "75-pipeline-one-event.md",
    FAILOVER = "76-pipeline-leader-failover.md",
    STALLED = "77-pipeline-stalled-job.md",
    LEAKAGE = "78-pipeline-leakage.md",
    INCIDENT = "79-pipeline-incident.md";
    forked: "proven-in-a-fork",
}

impl Run {
    fn pipeline(&self) -> &lab::pipeline_lab::PipelineLab {
        self.timeline
            .head()
            .pipeline()
            .expect("the pipeline preset")
    }
}

/// The last value the analysis read, to three decimals as the prose writes it.
fn last_measurement(run: &Run) -> String {
    let runs = run.measured();
    let value = runs
        .last()
        .and_then(|r| r.last())
        .copied()
        .unwrap_or(f64::NAN);
    format!("{value:.3}")
}

#[test]
fn one_event_needs_the_watermark_and_a_ttl_that_covers_the_age() {
    let first = Run::after(ONE_EVENT, 1);
    assert_eq!(first.value("pipeline.v1_quality_permille"), 705, "70.5%");
    assert!(first
        .answer("guess-first-row")
        .starts_with("Just after 12 s"));
    // The window [0 s, 10 s) fires once a click stamped after 12 s arrives: not at tick 120 yet.
    let mut at_12s = Run::after(ONE_EVENT, 1);
    at_12s.then("tick 20");
    assert_eq!(at_12s.value("pipeline.features_pushed"), 0);
    // A crashed job or a push turned off also leaves every user stale: not the concept.
    let crashed = Run::script(ONE_EVENT, "tick 300; pipe-crash-job; tick 700");
    assert_eq!(crashed.value("pipeline.stale_users"), 40);
    assert!(!crashed.met("ttl-below-the-age"));
    let push_off = Run::script(ONE_EVENT, "tick 300; pipe-push off; tick 700");
    assert_eq!(push_off.value("pipeline.stale_users"), 40);
    assert!(!push_off.met("ttl-below-the-age"));
    // A short TTL before any row is pushed proves nothing.
    assert!(!Run::script(ONE_EVENT, "pipe-ttl 1s; tick 100").met("ttl-below-the-age"));
    // The solutions as their text says.
    assert!(Run::script(ONE_EVENT, "tick 130; pipe-ttl 1s; tick 200").met("ttl-below-the-age"));
    assert!(Run::script(ONE_EVENT, "tick 300; pipe-ttl 15s; tick 100")
        .met("ttl-covers-window-and-delay"));
    // The default TTL is not a short one, and a TTL under the window's age serves nobody.
    assert!(!Run::after(ONE_EVENT, 3).met("ttl-covers-window-and-delay"));
    assert!(!Run::script(ONE_EVENT, "tick 300; pipe-ttl 5s; tick 100")
        .met("ttl-covers-window-and-delay"));
}

#[test]
fn a_failover_costs_freshness_and_only_weak_settings_lose_clicks() {
    let before = Run::after(FAILOVER, 1);
    assert!(before.answer("guess-failover").starts_with("Freshness"));
    // Six seconds after the kill: no election, and the features 16 s older than a minute before.
    let during = Run::after(FAILOVER, 2);
    assert_eq!(
        during.value("pipeline.feature_age_mean_ms") - before.value("pipeline.feature_age_mean_ms"),
        6_000,
        "the window that ended at 60 s did not fire"
    );
    assert!(!during.met("failover-costs-freshness"));
    // The same triple failure with the durable settings loses nothing (and stalls instead).
    let durable = Run::script(
        FAILOVER,
        "tick 300; kill-broker 2; kill-broker 3; tick 100; kill-broker 1; tick 100; restart-broker 2; tick 100",
    );
    assert_eq!(durable.value("pipeline.clicks_lost"), 0);
    assert_eq!(durable.value("unclean_elections"), 0);
    assert!(!durable.met("unsafe-settings-lose-clicks"));
    // The solutions as their text says.
    assert!(
        Run::script(FAILOVER, "tick 600; kill-broker 1; tick 100").met("failover-costs-freshness")
    );
    let weak = Run::script(
        FAILOVER,
        "topic-config clicks min-isr=1 unclean=on; pipe-acks 1; tick 300; kill-broker 2; kill-broker 3; tick 100; kill-broker 1; tick 100; restart-broker 2; tick 10",
    );
    assert!(weak.met("unsafe-settings-lose-clicks"));
    // A failover that loses clicks is not the first goal's.
    assert!(!weak.met("failover-costs-freshness"));
}

#[test]
fn stale_features_abort_a_good_model() {
    let deployed = Run::after(STALLED, 1);
    assert!(deployed.answer("guess-crash").starts_with("It aborts once"));
    let aborted = Run::after(STALLED, 2);
    assert_eq!(last_measurement(&aborted), "0.806");
    assert_eq!(
        aborted.value("pipeline.feature_age_ms"),
        80_000,
        "the newest feature is 80 s old"
    );
    // A stall with no release under way aborts nothing.
    let no_release = Run::script(STALLED, "tick 300; pipe-crash-job; tick 1300");
    assert!(!no_release.met("stale-features-abort-the-canary"));
    // The solution as its text says.
    let solution = Run::script(
        STALLED,
        "tick 300; pipe-deploy v2; tick 600; pipe-crash-job; tick 700",
    );
    assert!(solution.met("stale-features-abort-the-canary"));
    // Without a restart the job does not catch up.
    let mut waiting = Run::after(STALLED, 2);
    waiting.then("tick 100");
    assert!(!waiting.met("job-caught-up"));
    waiting.then("pipe-restart-job; tick 100");
    assert!(waiting.met("job-caught-up"));
}

#[test]
fn leakage_looks_perfect_offline_and_fails_the_canary() {
    let trained = Run::after(LEAKAGE, 1);
    let offline = |name: &str| {
        trained.pipeline().models()[name]
            .offline
            .unwrap_or_else(|| panic!("{name} was trained"))
    };
    let (honest, leaky) = (offline("v3"), offline("v4"));
    assert_eq!((leaky.accuracy_permille, leaky.auc_permille), (1000, 1000));
    assert_eq!(
        (honest.accuracy_permille, honest.auc_permille),
        (963, 965),
        "96.3% and 0.965"
    );
    assert_eq!((honest.train_rows, honest.test_rows), (2401, 1030));
    assert_eq!((leaky.train_rows, leaky.test_rows), (2401, 1030));
    assert!(trained
        .answer("guess-leaky-canary")
        .starts_with("Aborts it"));
    let aborted = Run::after(LEAKAGE, 2);
    assert_eq!(last_measurement(&aborted), "0.691");
    // The honest model released instead passes: the abort is the leak's.
    let mut honest_first = Run::after(LEAKAGE, 1);
    honest_first.then("pipe-deploy v3; tick 1200");
    assert_eq!(honest_first.value("pipeline.rollout_aborts"), 0);
    assert!(!honest_first.met("leak-stopped-by-canary"));
    // Shipping it with no leaky release stopped first is not the second goal.
    honest_first.then("tick 1800");
    assert_eq!(honest_first.value("pipeline.rollout_completed"), 1);
    assert!(!honest_first.met("point-in-time-ships"));
    // After the leak's abort, shipping v2 (it came with the lab) or a leaky model is not the goal.
    let mut v2_after_leak = Run::after(LEAKAGE, 2);
    v2_after_leak.then("pipe-deploy v2; tick 3000");
    assert_eq!(v2_after_leak.value("pipeline.rollout_completed"), 1);
    assert_eq!(v2_after_leak.value("pipeline.stable_trained"), 0);
    assert!(!v2_after_leak.met("point-in-time-ships"));
    // The solutions as their text says.
    let mut solution = Run::script(
        LEAKAGE,
        "tick 1200; pipe-train v4 leaky; pipe-deploy v4; tick 1200",
    );
    assert!(solution.met("leak-stopped-by-canary"));
    solution.then("pipe-train v3 point-in-time; pipe-deploy v3; tick 3000");
    assert_eq!(solution.value("pipeline.stable_trained"), 1);
    assert!(solution.met("point-in-time-ships"));
}

#[test]
fn the_last_trained_model_is_the_last_in_training_order() {
    // v10 sorts before v4 by name, but it was trained after it: its scores are the last ones.
    let mut trained = Run::after(LEAKAGE, 1);
    assert_eq!(
        trained.value("pipeline.last_train_offline_accuracy_permille"),
        1000,
        "v4, leaky, trained last"
    );
    trained.then("pipe-train v10 point-in-time");
    assert_eq!(
        trained.value("pipeline.last_train_offline_accuracy_permille"),
        963
    );
    assert_eq!(
        trained.value("pipeline.last_train_offline_auc_permille"),
        965
    );
    assert_eq!(trained.value("pipeline.trained_models"), 3);
}

/// The learner's fork: the lab scrubbed back to tick `at` and the steps of `script` (commands,
/// no ticks) pressed there; the journal drops everything after `at`.
fn forked(run: &Run, at: u64, script: &str) -> Run {
    let mut fork = Run {
        lesson: run.lesson.clone(),
        timeline: run.timeline.clone(),
    };
    assert!(at < fork.timeline.end().0, "tick {at} is not in the past");
    let text = script
        .split(';')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    for step in parse_steps(&text).unwrap_or_else(|e| panic!("{script}: {e}")) {
        let command = match step {
            Step::Lab(command) => command,
            Step::Broker(command) => Command::Broker(command),
            Step::Ticks(_) => panic!("{script}: scrub back, then act: no ticks"),
        };
        if let Err(e) = fork.timeline.apply_at(Tick(at), command) {
            panic!("{script} at tick {at}: {e}");
        }
    }
    fork
}

#[test]
fn the_incident_is_the_push_and_only_a_fork_before_the_abort_proves_it() {
    let incident = Run::after(INCIDENT, 1);
    // The red herring: the broker failover lost nothing and the job stayed current.
    assert_eq!(incident.value("pipeline.clicks_lost"), 0);
    assert_eq!(incident.value("pipeline.job_running"), 1);
    assert_eq!(incident.value("pipeline.push_on"), 0);
    assert_eq!(
        incident.value("pipeline.push_off_ms"),
        90_000,
        "off from tick 700"
    );
    assert!(incident
        .answer("guess-root-cause")
        .starts_with("The job kept computing features"));
    // The analysis failed at the reconcile of 160 s (tick 1599): its second measurement.
    assert_eq!(incident.measured().concat().len(), 2);
    let before_abort = incident.timeline.state_at(Tick(1598));
    let aborts = lab::pipeline_lab::glue::pipeline_value(&before_abort, "rollout_aborts");
    assert_eq!(aborts, Some(0));
    assert_eq!(incident.value("pipeline.rollout_aborts"), 1);
    assert_eq!(
        lab::pipeline_lab::PipelineLab::tick_at_rollout_ms(160_000),
        Tick(1599)
    );
    let retried = Run::after(INCIDENT, 2);
    assert_eq!(last_measurement(&retried), "0.432");

    // The proof as the lesson says: back to tick 1000, the push on there, five minutes on.
    let at_1000 = incident.timeline.state_at(Tick(1000));
    let age_ms = lab::pipeline_lab::glue::pipeline_value(&at_1000, "feature_age_ms");
    assert!(
        age_ms.is_some_and(|a| (30_000..=40_000).contains(&a)),
        "{age_ms:?}"
    );
    let mut proof = forked(&Run::after(INCIDENT, 3), 1000, "pipe-push on");
    assert_eq!(
        proof.timeline.end(),
        Tick(1000),
        "the old future is dropped"
    );
    proof.then("tick 3000");
    assert!(proof.met("proven-in-a-fork"));
    assert_eq!(proof.value("pipeline.push_off_ms"), 30_000);
    assert!(proof.measured().concat().iter().all(|q| *q >= 0.85));
    // Unmet on the linear path of the links (the generic check skips this goal).
    assert!(!Run::after(INCIDENT, 3).met("proven-in-a-fork"));
    assert!(!retried.met("proven-in-a-fork"));
    // Any fork from just after the push went off to tick 1200 proves it; from 1300 the failing
    // minute already holds stale seconds.
    for at in [701, 1200] {
        let mut fork = forked(&incident, at, "pipe-push on");
        fork.then("tick 3000");
        assert!(fork.met("proven-in-a-fork"), "fork at {at}");
    }
    let mut late = forked(&incident, 1300, "pipe-push on");
    late.then("tick 3000");
    assert_eq!(late.value("pipeline.rollout_aborts"), 1);
    assert!(!late.met("proven-in-a-fork"));

    // Shortcuts that do not prove it:
    // a fork before the fault (the push never went off, so nothing was proven);
    let mut before = forked(&incident, 650, "pipe-push on");
    before.then("tick 3000");
    assert_eq!(before.value("pipeline.rollout_completed"), 1);
    assert!(!before.met("proven-in-a-fork"));
    // a lower threshold in the fork (the analysis under way keeps its template and aborts),
    // or with the push on too;
    let mut lowered = forked(&incident, 1000, "pipe-threshold 0.5");
    lowered.then("tick 3000");
    assert_eq!(lowered.value("pipeline.rollout_aborts"), 1);
    assert!(!lowered.met("proven-in-a-fork"));
    let mut both = forked(&incident, 1000, "pipe-threshold 0.8; pipe-push on");
    both.then("tick 3000");
    assert!(!both.met("proven-in-a-fork"));
    // a longer TTL in the fork, alone or with the push;
    let mut ttl = forked(&incident, 1000, "pipe-ttl 600s");
    ttl.then("tick 3000");
    assert!(!ttl.met("proven-in-a-fork"));
    let mut ttl_and_push = forked(&incident, 1000, "pipe-ttl 600s; pipe-push on");
    ttl_and_push.then("tick 3000");
    assert!(!ttl_and_push.met("proven-in-a-fork"));
    // the push fixed after the abort and the release retried: it ships, the abort stays;
    let mut after_abort = Run::after(INCIDENT, 1);
    after_abort.then("pipe-push on; tick 100; retry; tick 3000");
    assert_eq!(after_abort.value("pipeline.rollout_completed"), 1);
    assert!(!after_abort.met("proven-in-a-fork"));
    // a lower threshold and a retry after the abort: not the TTL goal either.
    let mut lowered_retry = Run::after(INCIDENT, 1);
    lowered_retry.then("pipe-threshold 0.5; retry; tick 3000");
    assert_eq!(lowered_retry.value("pipeline.rollout_completed"), 1);
    assert!(!lowered_retry.met("proven-in-a-fork"));
    assert!(!lowered_retry.met("symptom-not-cause"));
    // Retried as it was, the release aborts again with the users still stale: not the TTL goal.
    let mut again = Run::after(INCIDENT, 1);
    again.then("retry; tick 900");
    assert!(!again.met("symptom-not-cause"));
}
