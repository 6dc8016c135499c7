//! The rollouts lessons (56-64) are solved by their solutions and cannot be met without their
//! concepts. Each lesson is followed as a learner pressing its "Do it" links in reading order
//! would (the lab of its front matter, seed and preset), and:
//!
//! - every goal is unmet before the link that comes just before it in the text (the concept's
//!   step) and met after it;
//! - every prediction is hidden until the link that follows it and revealed by that link, and what
//!   the lab then shows is the answer the lesson gives;
//! - each goal refuses a path that skips the concept (an abort pressed by hand where the analysis
//!   should abort, a canary where a blue-green switch is asked for...).
//!
//! The numbers the prose states after an instruction are its "Do it" promises, checked by
//! `lesson_instructions.rs`; the numbers stated elsewhere (a p99 spread, a PSI) are checked here.

mod common;

use common::lessons::Run;

lesson_track! {
    BLUE_GREEN = "56-rollouts-blue-green-canary.md",
    STEPS = "57-rollouts-steps-pauses.md",
    NOISE = "58-rollouts-analysis-noise.md",
    ROLLBACK = "59-rollouts-automatic-rollback.md",
    INCONCLUSIVE = "60-rollouts-inconclusive.md",
    SHADOW = "61-rollouts-shadow.md",
    FLAGGER = "62-rollouts-flagger-vs-argo.md",
    JUDGE = "63-rollouts-judge.md",
    DRIFT = "64-rollouts-drift-alerts.md",
}

/// The lab's user requests per version over the last minute.
fn last_minute(run: &Run, version: &str) -> (u64, u64) {
    run.rollouts()
        .split()
        .iter()
        .find(|r| r.version == version)
        .map_or((0, 0), |r| (r.user_requests, r.mirrored))
}

/// Ticks the lab one at a time until `until` holds, and returns the rollout time it held at.
fn seconds_until(run: &mut Run, max_ticks: u64, until: impl Fn(&Run) -> bool) -> Option<i64> {
    for _ in 0..max_ticks {
        if until(run) {
            return Some(run.value("rollout.rollout_time_s"));
        }
        run.then("tick 1");
    }
    None
}

#[test]
fn blue_green_switches_every_user_at_once_and_a_canary_only_a_fifth() {
    let canary = Run::after(BLUE_GREEN, 1);
    let (v1, v2) = (last_minute(&canary, "v1").0, last_minute(&canary, "v2").0);
    assert!(
        v2 * 5 > (v1 + v2) * 9 / 10 && v2 * 5 < (v1 + v2) * 11 / 10,
        "{v1} {v2}"
    );
    let waiting = Run::after(BLUE_GREEN, 3);
    assert_eq!(waiting.rollouts().steps().detail, "BlueGreenPause");
    let switched = Run::after(BLUE_GREEN, 4);
    // The lesson's numbers: in the last whole minute v2 answered 974, v1 196 (before the switch).
    assert_eq!(last_minute(&switched, "v2").0, 974);
    assert_eq!(last_minute(&switched, "v1").0, 196);
    assert!(switched.answer("guess-switch").starts_with("All of them"));
    // After the switch, v1 answers nothing more.
    let mut later = Run::after(BLUE_GREEN, 4);
    later.then("tick 6");
    assert_eq!(last_minute(&later, "v1").0, 0);
    // A canary released to the end is not a blue-green release.
    let canary_path = Run::script(BLUE_GREEN, "deploy v2; tick 1; promote-full; tick 6");
    assert!(!canary_path.met("blue-green-switch"));
    // Deploying and aborting at once exposes nobody: not the canary goal.
    let no_share = Run::script(BLUE_GREEN, "deploy v2; abort; tick 6");
    assert!(!no_share.met("canary-share"));
}

#[test]
fn promote_ends_the_current_pause_but_runs_the_analysis() {
    let mut promoted = Run::after(STEPS, 1);
    promoted.then("promote");
    let at_half = seconds_until(&mut promoted, 60, |r| {
        r.value("rollout.canary_weight") == 50
    })
    .expect("50% after the promote");
    assert!((170..=200).contains(&at_half), "50% at {at_half} s");
    let mut waited = Run::after(STEPS, 1);
    let at_half = seconds_until(&mut waited, 90, |r| r.value("rollout.canary_weight") == 50)
        .expect("50% after the pause");
    assert!((420..=450).contains(&at_half), "50% at {at_half} s");
    assert!(!waited.met("fast-to-half"), "no promote, no goal");
    let after = Run::after(STEPS, 2);
    let values = &after.measured()[0];
    let shown: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
    assert_eq!(shown, ["0.995", "0.991", "0.996"]);
    assert!(after
        .answer("guess-promote")
        .starts_with("The analysis starts now"));
    let later = Run::after(STEPS, 3);
    assert!(later.answer("guess-indefinite").starts_with("Still at 50%"));
    // promote --full skips the analysis: neither goal.
    let full = Run::script(STEPS, "deploy v2; tick 1; promote-full; tick 6");
    assert!(!full.met("promoted-after-analysis"));
    assert!(!full.met("fast-to-half"));
}

#[test]
fn the_p99_of_a_dozen_requests_is_the_slowest_request() {
    let small = Run::after(NOISE, 1);
    let values = &small.measured()[0];
    let rounded: Vec<i64> = values.iter().map(|v| v.round() as i64).collect();
    assert_eq!(rounded, [244, 243, 246, 245, 470]);
    let per_minute: Vec<u64> = small
        .rollouts()
        .series()
        .iter()
        .find(|s| s.version == "v2")
        .unwrap()
        .points
        .iter()
        .map(|p| p.requests)
        .filter(|&n| n > 0)
        .collect();
    assert_eq!(
        (per_minute.iter().min(), per_minute.iter().max()),
        (Some(&11), Some(&20))
    );
    assert!(small.answer("guess-copy").starts_with("Failed"));
    let big = Run::after(NOISE, 2);
    let values = &big.measured()[1];
    let (low, high) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    assert_eq!((low.round() as i64, high.round() as i64), (338, 406));
    // A retry without more requests does not earn the goal.
    let same_rate = Run::script(
        NOISE,
        "rollout-spec canary-one-percent; deploy v2; tick 42; retry; tick 42",
    );
    assert!(!same_rate.met("p99-trusted"));
}

#[test]
fn a_bad_version_is_aborted_by_its_analysis_not_by_hand() {
    let failed = Run::after(ROLLBACK, 2);
    let values = &failed.measured()[0];
    assert_eq!(format!("{:.3}", values[0]), "0.910");
    assert!(failed.answer("guess-abort").starts_with("Aborts"));
    assert_eq!(
        last_minute(&failed, "v2").0,
        0,
        "no request to v2 after the abort"
    );
    // Pressing Abort during the pause is not the analysis rolling back.
    let by_hand = Run::script(ROLLBACK, "deploy v2 error:10%; tick 12; abort; tick 6");
    assert!(!by_hand.met("rolled-back-by-analysis"));
    let retried = Run::after(ROLLBACK, 3);
    let shown: Vec<String> = retried.measured()[1]
        .iter()
        .map(|v| format!("{v:.3}"))
        .collect();
    assert_eq!(shown, ["0.991", "1.000", "0.995"]);
}

#[test]
fn a_value_between_the_conditions_pauses_for_a_human() {
    let paused = Run::after(INCONCLUSIVE, 1);
    assert_eq!(format!("{:.3}", paused.measured()[0][0]), "0.977");
    assert_eq!(paused.rollouts().steps().detail, "InconclusiveAnalysis");
    assert!(paused.answer("guess-gap").starts_with("Pauses"));
    // Well below the failure condition: Failed, not a human's decision.
    let failed = Run::script(
        INCONCLUSIVE,
        "rollout-spec canary-inconclusive; deploy v2 error:20%; tick 18",
    );
    assert!(!failed.met("waiting-for-a-human"));
    // Aborting is the other decision.
    let aborted = Run::script(
        INCONCLUSIVE,
        "rollout-spec canary-inconclusive; deploy v2 error:3%; tick 18; abort",
    );
    assert!(aborted.met("human-decided"));
}

#[test]
fn a_shadow_measures_on_every_request_and_answers_nobody() {
    let caught = Run::after(SHADOW, 2);
    assert!(caught.answer("guess-users").starts_with("None"));
    assert_eq!(caught.value("rollout.canary_requests"), 0);
    let checks: Vec<String> = caught
        .rollouts()
        .flagger_checks()
        .iter()
        .filter(|c| c.metric == "request-success-rate" && !c.ok)
        .filter_map(|c| c.value.map(|v| format!("{v:.1}")))
        .collect();
    assert_eq!(checks, ["80.0", "79.9"]);
    // v3's copies: one per user request of its five mirrored minutes, within 5%.
    let before = Run::after(SHADOW, 2);
    let promoted = Run::after(SHADOW, 3);
    let copies =
        promoted.value("rollout.mirrored_requests") - before.value("rollout.mirrored_requests");
    assert_eq!(copies, 6030);
    let per_minute = 20 * 60;
    assert!(
        (copies - 5 * per_minute).abs() * 20 < 5 * per_minute,
        "{copies}"
    );
    // A plain canary exposes users: not a shadow.
    let canary = Run::script(SHADOW, "deploy v2 error:20%; tick 36");
    assert!(!canary.met("caught-in-the-shadow"));
}

#[test]
fn argo_fails_above_its_limit_and_flagger_at_its_threshold() {
    let argo = Run::after(FLAGGER, 1);
    let shown: Vec<String> = argo.measured()[0]
        .iter()
        .map(|v| format!("{v:.3}"))
        .collect();
    assert_eq!(shown, ["0.912", "0.895"]);
    // Flagger reaches 50% five passes after its first weighted one, every check passing.
    let mut flagger = Run::after(FLAGGER, 1);
    flagger.then("rollout-spec flagger-canary; deploy v2");
    let start = flagger.value("rollout.rollout_time_s");
    let at_ten =
        seconds_until(&mut flagger, 60, |r| r.value("rollout.canary_weight") == 10).unwrap();
    let at_half =
        seconds_until(&mut flagger, 60, |r| r.value("rollout.canary_weight") == 50).unwrap();
    assert!(
        (235..=245).contains(&(at_half - at_ten)),
        "{start}: 10% at {at_ten}, 50% at {at_half}"
    );
    assert!(
        (290..=310).contains(&(at_half - start)),
        "{start} -> {at_half}"
    );
    assert!(flagger.rollouts().flagger_checks().iter().all(|c| c.ok));
    // The rollback comes 5 minutes (interval × threshold) after the first failed check.
    let mut failing = Run::after(FLAGGER, 3);
    failing.then("deploy v3 error:10%");
    let deployed = failing.value("rollout.rollout_time_s");
    let rolled_back = seconds_until(&mut failing, 60, |r| r.value("rollout.aborts") >= 2).unwrap();
    let first = failing
        .rollouts()
        .flagger_checks()
        .iter()
        .find(|c| c.t_ms / 1000 > deployed as u64 && c.value.is_some() && !c.ok)
        .map(|c| (c.t_ms / 1000) as i64)
        .expect("a failed check of v3");
    assert!(
        (290..=310).contains(&(rolled_back - first)),
        "{first} -> {rolled_back}"
    );
    let done = Run::after(FLAGGER, 4);
    assert!(done
        .answer("guess-flagger-rollback")
        .starts_with("5 minutes"));
    assert_eq!(last_minute(&done, "v3").0, 0);
}

#[test]
fn the_judge_fails_a_copy_whose_minutes_are_too_small() {
    let small = Run::after(JUDGE, 1);
    let judge = small.rollouts().judge().expect("a judgement");
    assert_eq!((judge.samples, judge.outcome), (5, "Fail"));
    let row = |metric: &str| judge.rows.iter().find(|r| r.metric == metric).unwrap();
    let success = row("success_rate");
    assert_eq!(success.verdict, "High");
    assert_eq!(
        format!(
            "{:.3} {:.3} {:.4}",
            success.canary_mean, success.baseline_mean, success.p_value
        ),
        "1.000 0.996 0.0075"
    );
    let p99 = row("p99_ms");
    assert_eq!(p99.verdict, "Pass");
    assert_eq!(
        format!(
            "{:.0} {:.0} {:.2}",
            p99.canary_mean, p99.baseline_mean, p99.p_value
        ),
        "290 387 0.15"
    );
    assert_eq!(row("quality").verdict, "Pass");
    assert!(small.answer("guess-copy-judged").starts_with("Fail"));
    assert!(!judge.equal_baseline);
    // Against an experiment's baseline of its own size, the same copy passes every metric.
    let fair = Run::after(JUDGE, 2);
    let judge = fair.rollouts().judge().unwrap();
    assert_eq!(
        (judge.baseline.as_str(), judge.canary.as_str()),
        ("baseline (v1)", "canary (v2)")
    );
    assert!(judge.equal_baseline);
    assert_eq!((judge.samples, judge.outcome), (8, "Pass"));
    assert_eq!(judge.score_percent, 100.0);
    assert!(
        judge.rows.iter().all(|r| r.verdict == "Pass"),
        "{:?}",
        judge.rows
    );
}

#[test]
fn drift_alerts_wait_for_their_for_and_ks_flags_a_harmless_shift() {
    let shifted = Run::after(DRIFT, 2);
    let history = shifted.rollouts().alert_history();
    let feature: Vec<(u64, &str)> = history
        .iter()
        .filter(|t| t.rule == "FeatureDrift")
        .map(|t| (t.at.0 / 1000, t.to.as_str()))
        .collect();
    assert_eq!(feature, [(960, "pending"), (1260, "firing")]);
    let points: Vec<(u64, i64, i64)> = shifted
        .rollouts()
        .drift_history()
        .iter()
        .map(|p| {
            (
                p.t_ms / 1000,
                (p.feature_psi * 100.0).round() as i64,
                (p.prediction_psi * 100.0).round() as i64,
            )
        })
        .collect();
    assert_eq!(&points[2..], [(900, 89, 59), (1200, 98, 59)]);
    assert!(shifted.answer("guess-for").starts_with("About 5 minutes"));
    let back = Run::after(DRIFT, 3);
    let resolved: Vec<u64> = back
        .rollouts()
        .alert_history()
        .iter()
        .filter(|t| t.to.as_str() == "inactive")
        .map(|t| t.at.0 / 1000)
        .collect();
    assert_eq!(resolved, [1560, 1560]);
    let small = Run::after(DRIFT, 4);
    let drift = small.rollouts().drift().unwrap();
    assert_eq!(
        format!(
            "{:.3} {:.3}",
            drift.feature.ks_statistic, drift.feature.ks_p_value
        ),
        "0.072 0.006"
    );
    assert!(drift.feature.psi < 0.1);
    let first = Run::after(DRIFT, 1);
    let d = first.rollouts().drift().unwrap();
    assert_eq!(
        format!("{:.2} {:.2}", d.feature.ks_p_value, d.prediction.ks_p_value),
        "0.58 0.61"
    );
}

/// A version's per-minute points with requests: (requests, p99) each.
fn minutes(run: &Run, version: &str) -> Vec<(u64, Option<f64>)> {
    run.rollouts()
        .series()
        .iter()
        .find(|s| s.version == version)
        .map(|s| {
            s.points
                .iter()
                .filter(|p| p.requests > 0)
                .map(|p| (p.requests, p.p99_ms))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_numbers_stated_between_the_links_are_the_labs() {
    // 58 and 63: v1's p99 reads about 390 ms through the buckets; a 1% canary has about 15
    // requests a minute at 20 per second, about 1,200 at 2,000 per second; v1 about 1,200 at 20.
    let small = Run::after(NOISE, 1);
    let v1 = minutes(&small, "v1");
    let mean_p99 = v1.iter().filter_map(|m| m.1).sum::<f64>() / v1.len() as f64;
    assert!((370.0..410.0).contains(&mean_p99), "{mean_p99}");
    assert!(v1.iter().all(|m| (1_100..1_300).contains(&m.0)), "{v1:?}");
    let canary = minutes(&small, "v2");
    let mean = canary.iter().map(|m| m.0).sum::<u64>() / canary.len() as u64;
    assert!((12..=18).contains(&mean), "{canary:?}");
    // 63: an experiment arm of 5% has about 60 requests a minute, on both sides.
    let fair = Run::after(JUDGE, 2);
    for arm in ["baseline (v1)", "canary (v2)"] {
        let counts: Vec<u64> = minutes(&fair, arm).iter().map(|m| m.0).collect();
        let mean = counts.iter().sum::<u64>() / counts.len().max(1) as u64;
        assert!(
            counts.len() >= 8 && (50..=70).contains(&mean),
            "{arm}: {counts:?}"
        );
    }
    // 59: the error-rate alert fired two minutes in.
    let pause = Run::after(ROLLBACK, 1);
    let fired: Vec<u64> = pause
        .rollouts()
        .alert_history()
        .iter()
        .filter(|t| t.rule == "HighErrorRate" && t.to.as_str() == "firing")
        .map(|t| t.at.0 / 1000)
        .collect();
    assert_eq!(fired, [120]);
    // 64: the PSI before the shift, while the window still held shifted values, and after.
    let drift = |links: usize| -> Vec<(u64, String, String)> {
        Run::after(DRIFT, links)
            .rollouts()
            .drift_history()
            .iter()
            .map(|p| {
                (
                    p.t_ms / 1000,
                    format!("{:.3}", p.feature_psi),
                    format!("{:.3}", p.prediction_psi),
                )
            })
            .collect()
    };
    let first = drift(1);
    assert_eq!(first[1], (600, "0.023".into(), "0.009".into()));
    let back = drift(3);
    assert_eq!(back[4].0, 1500);
    assert_eq!(format!("{:.2}", back[4].1.parse::<f64>().unwrap()), "0.18");
    assert_eq!(back[5].0, 1800);
    assert_eq!(back[5].1, "0.013");
}
