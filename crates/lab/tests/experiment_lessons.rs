//! The experiments lessons (65-74) are solved by their solutions and cannot be met without their
//! concepts. Each lesson is followed as a learner pressing its "Do it" links in reading order
//! would (the lab of its front matter, seed and preset), and:
//!
//! - every goal is unmet before the link that comes just before it in the text (the concept's
//!   step) and met after it;
//! - every prediction is hidden until the link that follows it and revealed by that link, and what
//!   the lab then shows is the answer the lesson gives;
//! - each goal's solution, run as its text says on a fresh lab, meets it, and a path that skips
//!   the concept (weights moved with sticky bucketing off, a leak fixed without a restart, a
//!   greedy bandit...) does not.
//!
//! The numbers the prose states after an instruction are its "Do it" promises, checked by
//! `lesson_instructions.rs`; the numbers stated elsewhere (an interval, a width ratio, a p-value
//! in a prediction) are checked here against the lab.

mod common;

use common::lessons::Run;

lesson_track! {
    HASHING = "65-experiments-hashing.md",
    SRM = "66-experiments-srm.md",
    T_TEST = "67-experiments-t-test.md",
    PEEKING = "68-experiments-peeking.md",
    BAYESIAN = "69-experiments-bayesian.md",
    CUPED = "70-experiments-cuped.md",
    MANY = "71-experiments-many-metrics.md",
    INTERLEAVING = "72-experiments-interleaving.md",
    BANDITS = "73-experiments-bandits.md",
    CHOOSING = "74-experiments-choosing.md",
}

impl Run {
    fn experiments(&self) -> &lab::experiment_lab::ExperimentLab {
        self.timeline
            .head()
            .experiments()
            .expect("the experiments preset")
    }
}

use lab::experiment_lab::command::{ArmIndex, ExpMetric};
use lab::experiments::assign::{bucket, HashVersion};

/// A result row of the lab at its head: `metric` in arm `arm`.
fn row(run: &Run, metric: ExpMetric, arm: u8) -> lab::experiment_lab::analysis::ResultRow {
    run.experiments()
        .results()
        .rows
        .iter()
        .find(|r| r.metric == metric && r.arm == ArmIndex(arm))
        .cloned()
        .unwrap_or_else(|| panic!("no row for arm {arm}"))
}

/// A fraction as the prose writes a percentage with one decimal: 0.1035 -> "+10.4%".
fn percent(value: f64) -> String {
    format!("{:+.1}%", value * 100.0)
}

/// A row's interval as the prose writes it.
fn interval(row: &lab::experiment_lab::analysis::ResultRow) -> (String, String) {
    (percent(row.ci[0]), percent(row.ci[1]))
}

#[test]
fn hashing_moves_users_when_weights_change_unless_sticky() {
    let day = Run::after(HASHING, 1);
    assert_eq!(
        (day.value("experiment.srm_p_x1e6") + 5_000) / 10_000,
        94,
        "p = 0.94"
    );
    let moved = Run::after(HASHING, 2);
    assert!(moved.value("experiment.srm_p_x1e6") < 1, "p below 0.000001");
    assert!(moved.answer("guess-switch").starts_with("In treatment"));
    // The switched users are exactly the first day's users with a bucket in [0.2, 0.5): control's
    // range under 50/50, treatment's under 20/80.
    let arrived = day.value("experiment.arrived_users");
    let in_between = (1..=arrived)
        .map(|n| format!("u{n:05}"))
        .filter(|id| (0.2..0.5).contains(&bucket("checkout-button", id, HashVersion::V2)))
        .count() as i64;
    assert_eq!(in_between, moved.value("experiment.switched_users"));
    // Sticky bucketing turned on without moving the weights is not the concept...
    let no_move = Run::script(HASHING, "exp-sticky on; tick 48");
    assert!(!no_move.met("sticky-keeps-users"));
    // ...nor are weights moved before any user arrived.
    let before_users = Run::script(HASHING, "exp-weights 20 80; exp-sticky on; tick 48");
    assert!(!before_users.met("sticky-keeps-users"));
    // With sticky bucketing on, moving the weights switches nobody: not the first goal.
    let sticky = Run::script(
        HASHING,
        "exp-sticky on; tick 24; exp-weights 20 80; tick 24",
    );
    assert!(!sticky.met("weights-switch-users"));
    assert!(sticky.met("sticky-keeps-users"));
}

#[test]
fn srm_needs_users_and_a_restart() {
    let one = Run::after(SRM, 1);
    assert_eq!(
        (
            one.value("experiment.control_users"),
            one.value("experiment.treatment_users")
        ),
        (4791, 4556)
    );
    assert!(one.answer("guess-one-day").starts_with("No"));
    let three = Run::after(SRM, 2);
    assert_eq!(
        (
            three.value("experiment.control_users"),
            three.value("experiment.treatment_users")
        ),
        (14_411, 13_706)
    );
    let clean = Run::after(SRM, 4);
    assert_eq!(
        (
            clean.value("experiment.control_users"),
            clean.value("experiment.treatment_users")
        ),
        (14_320, 14_346)
    );
    assert_eq!(
        (clean.value("experiment.srm_p_x1e6") + 5_000) / 10_000,
        88,
        "p = 0.88"
    );
    // Fixing the leak without a restart keeps the lost users in the test: not clean.
    let unrestarted = Run::script(
        SRM,
        "exp-lose-logs treatment 5%; tick 72; exp-lose-logs off; tick 72",
    );
    assert!(!unrestarted.met("srm-restarted"));
}

#[test]
fn one_day_cannot_tell_and_two_weeks_can() {
    let day = Run::after(T_TEST, 1);
    let purchase = row(&day, ExpMetric::Purchase, 1);
    assert_eq!(percent(purchase.expected), "+10.4%");
    assert_eq!(interval(&purchase), ("-2.5%".into(), "+23.2%".into()));
    let weeks = Run::after(T_TEST, 2);
    let purchase = row(&weeks, ExpMetric::Purchase, 1);
    assert_eq!(percent(purchase.expected), "+4.0%");
    assert_eq!(interval(&purchase), ("+0.7%".into(), "+7.3%".into()));
    let ratio = day.value("experiment.ci_width_x1e6") as f64
        / weeks.value("experiment.ci_width_x1e6") as f64;
    assert_eq!(format!("{ratio:.1}"), "3.9");
    let clicks = row(&weeks, ExpMetric::ClicksPerSession, 1);
    assert_eq!(format!("{:.3}", clicks.p_value), "0.035");
    assert_eq!(clicks.true_lift_permille, 0);
    assert!(weeks.answer("guess-one-day").starts_with("A day of data"));
    // The solution: 90 planned days.
    let mut planned = Run::after(T_TEST, 3);
    planned.then("exp-plan-days 90");
    assert!(planned.met("powered-for-two-percent"));
    assert_eq!(planned.value("experiment.mde_permille"), 18);
    // 60 days is not enough for a +2% effect at 80% power.
    let mut short = Run::after(T_TEST, 3);
    short.then("exp-plan-days 60");
    assert!(!short.met("powered-for-two-percent"));
}

#[test]
fn peeking_inflates_and_the_sequential_test_pays_in_width() {
    let full = Run::after(PEEKING, 2);
    let sequential = row(&full, ExpMetric::Purchase, 1);
    assert_eq!(percent(sequential.expected), "+3.3%");
    assert_eq!(interval(&sequential), ("-0.9%".into(), "+7.6%".into()));
    assert_eq!(format!("{:.2}", sequential.p_value), "0.52");
    // The fixed-horizon interval on the same users.
    let mut fixed = Run::after(PEEKING, 2);
    fixed.then("exp-engine frequentist");
    let fixed_row = row(&fixed, ExpMetric::Purchase, 1);
    assert_eq!(interval(&fixed_row), ("+0.9%".into(), "+5.7%".into()));
    assert_eq!(format!("{:.3}", fixed_row.p_value), "0.007");
    let ratio = (sequential.ci[1] - sequential.ci[0]) / (fixed_row.ci[1] - fixed_row.ci[0]);
    assert_eq!(format!("{ratio:.1}"), "1.8");
    // A larger effect: the sequence leaves zero after one day.
    let large = Run::after(PEEKING, 3);
    let purchase = row(&large, ExpMetric::Purchase, 1);
    assert_eq!(percent(purchase.expected), "+9.8%");
    assert_eq!(interval(&purchase), ("+0.3%".into(), "+19.3%".into()));
    assert_eq!(format!("{:.3}", purchase.p_value), "0.036");
    assert!(large.answer("guess-peeking").starts_with("Around 100"));
    // Two weeks at 400 users an hour do not let the sequential test call +5%.
    let slow = Run::script(PEEKING, "exp-engine sequential; tick 336");
    assert!(!slow.met("sequential-detects"));
    // The fixed-horizon engine on the large effect is not the sequential goal.
    let fixed_large = Run::script(
        PEEKING,
        "exp-effect purchase treatment +10%; exp-restart; tick 24",
    );
    assert!(!fixed_large.met("sequential-detects"));
    // A peeking run too short to look often does not show the cost.
    let short = Run::script(PEEKING, "exp-peeking seed:1 tests:500 days:1 users:200");
    assert!(!short.met("peeking-inflates"));
}

#[test]
fn flat_prior_chance_to_win_is_one_minus_half_p() {
    let week = Run::after(BAYESIAN, 1);
    let purchase = row(&week, ExpMetric::Purchase, 1);
    assert_eq!(interval(&purchase), ("+0.2%".into(), "+9.6%".into()));
    let bayes = Run::after(BAYESIAN, 2);
    let ctw = row(&bayes, ExpMetric::Purchase, 1).chance_to_win;
    assert!(
        (ctw - (1.0 - purchase.p_value / 2.0)).abs() < 0.002,
        "{ctw}"
    );
    assert!(bayes.answer("guess-ctw").starts_with("About 98%"));
    // The frequentist engine with the same users is not the Bayesian reading.
    assert!(!week.met("confident-winner"));
}

#[test]
fn a_peek_at_the_chance_to_win_calls_a_false_winner() {
    // The old goal's path - an A/A week on the Bayesian engine - is not enough: this key's chance
    // to win never crossed 95% (it fell to 3.5% instead).
    let watched = Run::after(BAYESIAN, 3);
    assert_eq!(watched.value("experiment.engine_bayesian"), 1);
    assert_eq!(watched.value("experiment.days"), 7);
    assert!(!watched.met("aa-chance"));
    // The solution, on a fresh lab, as its text says.
    let solution = "exp-effect purchase treatment 0%; exp-engine bayesian; exp-key aa-2; exp-restart; tick 168";
    let solved = Run::script(BAYESIAN, solution);
    assert!(solved.met("aa-chance"));
    let peak_and_end = (
        solved.value("experiment.peak_chance_to_win_permille"),
        solved.value("experiment.chance_to_win_permille"),
    );
    assert_eq!(peak_and_end, (983, 520));
    // The same users read by the frequentist engine are not the goal.
    let frequentist = Run::script(
        BAYESIAN,
        "exp-effect purchase treatment 0%; exp-key aa-2; exp-restart; tick 168",
    );
    assert!(!frequentist.met("aa-chance"));
    // A real effect for the first hours, removed before the end, is no A/A test.
    let mut doctored = Run::script(
        BAYESIAN,
        "exp-engine bayesian; exp-effect purchase treatment +30%; exp-restart; tick 24",
    );
    doctored.then("exp-effect purchase treatment 0%; tick 144");
    assert_eq!(doctored.value("experiment.effect_changes"), 1);
    assert!(!doctored.met("aa-chance"));
    // The hint's promise: about one key in three crosses 95% on the way and ends below it.
    let crossing = (1..=12)
        .filter(|k| {
            Run::script(
                BAYESIAN,
                &format!("exp-effect purchase treatment 0%; exp-engine bayesian; exp-key aa-{k}; exp-restart; tick 168"),
            )
            .met("aa-chance")
        })
        .count();
    assert!((3..=6).contains(&crossing), "{crossing} of 12 keys");
}

#[test]
fn cuped_narrows_revenue_and_is_worth_five_days() {
    let week = Run::after(CUPED, 1);
    let revenue = row(&week, ExpMetric::Revenue, 1);
    assert_eq!(percent(revenue.expected), "+1.2%");
    assert_eq!(interval(&revenue), ("-0.3%".into(), "+2.6%".into()));
    let cuped = Run::after(CUPED, 2);
    let adjusted = row(&cuped, ExpMetric::Revenue, 1);
    assert_eq!(percent(adjusted.expected), "+2.1%");
    assert_eq!(interval(&adjusted), ("+1.0%".into(), "+3.3%".into()));
    let ratio = (adjusted.ci[1] - adjusted.ci[0]) / (revenue.ci[1] - revenue.ci[0]);
    assert_eq!(format!("{:.0}", ratio * 100.0), "77");
    // Purchase has no pre-period: CUPED leaves it as it was.
    assert_eq!(
        row(&week, ExpMetric::Purchase, 1).ci,
        row(&cuped, ExpMetric::Purchase, 1).ci
    );
    assert!(cuped.answer("guess-cuped").starts_with("It gets narrower"));
    // Day 11 without CUPED is still wider than CUPED's week; day 12 is the first as narrow.
    let mut eleven = Run::after(CUPED, 2);
    eleven.then("exp-cuped off; tick 96");
    assert!(!eleven.met("width-without-cuped"));
    let twelve = Run::after(CUPED, 3);
    assert_eq!(
        format!("{:.3}", row(&twelve, ExpMetric::Revenue, 1).p_value),
        "0.065"
    );
    // The correlation the width ratio implies.
    let correlation = (1.0 - ratio * ratio).sqrt();
    assert_eq!(format!("{correlation:.2}"), "0.63");
}

#[test]
fn twelve_tests_find_a_false_winner_and_holm_removes_it() {
    let week = Run::after(MANY, 1);
    let revenue = row(&week, ExpMetric::Revenue, 1);
    assert_eq!(
        (percent(revenue.expected), format!("{:.3}", revenue.p_value)),
        ("+2.5%".into(), "0.016".into())
    );
    assert_eq!(revenue.true_lift_permille, 0);
    let purchase = row(&week, ExpMetric::Purchase, 1);
    assert_eq!(
        (
            percent(purchase.expected),
            format!("{:.2}", purchase.p_value)
        ),
        ("+0.6%".into(), "0.85".into())
    );
    let holm = Run::after(MANY, 2);
    let adjusted = row(&holm, ExpMetric::Revenue, 1).adjusted_p_value;
    assert_eq!(format!("{adjusted:.2}"), "0.15");
    // Guardrails stay out of the family: their adjusted p-values are their own.
    for r in holm
        .experiments()
        .results()
        .rows
        .iter()
        .filter(|r| r.guardrail)
    {
        assert_eq!(r.adjusted_p_value, r.p_value);
    }
    assert!(holm.answer("guess-holm").starts_with("It is no longer"));
    // Benjamini-Hochberg meets the second goal too.
    let mut bh = Run::after(MANY, 1);
    bh.then("exp-correction bh");
    assert!(bh.met("family-corrected"));
    // Two arms are not the family of twelve tests.
    let two = Run::script(MANY, "exp-correction holm; tick 168");
    assert!(!two.met("family-corrected"));
    let slow = Run::after(MANY, 3);
    let page = row(&slow, ExpMetric::PageLoadMs, 2);
    assert_eq!(percent(page.expected), "+2.8%");
    assert!(page.p_value < 1e-6);
}

#[test]
fn a_greedy_bandit_locks_onto_the_worst_offer() {
    let greedy = Run::after(BANDITS, 1);
    let bandit = greedy.experiments().bandit().expect("a bandit");
    let pulls: Vec<u64> = bandit.arms().iter().map(|(pulls, _, _)| *pulls).collect();
    assert!(pulls[0] > 16_700, "{pulls:?}");
    assert!(greedy.answer("guess-greedy").starts_with("Whichever"));
    // Epsilon-greedy finds the best offer: not the stuck goal.
    let explore = Run::after(BANDITS, 2);
    assert!(!explore.met("greedy-stuck"));
    // UCB1 is not Thompson sampling.
    let ucb = Run::script(
        BANDITS,
        "exp-bandit ucb1 rates:2%,3%,5% pulls:100 seed:2; tick 168",
    );
    assert!(!ucb.met("thompson-exploits"));
}

#[test]
fn each_design_answers_its_question() {
    let banners = Run::after(CHOOSING, 1);
    assert!(banners.answer("guess-banners").starts_with("A bandit"));
    // A fixed split of the same views would lose 33,600 x 2% = 672 clicks.
    let rates = [0.03, 0.03, 0.04, 0.04, 0.06];
    let gap: f64 = rates.iter().map(|r| 0.06 - r).sum::<f64>() / 5.0;
    assert_eq!((33_600.0 * gap).round() as i64, 672);
    // An epsilon-greedy bandit over the banners is not GrowthBook's.
    let other = Run::script(
        CHOOSING,
        "exp-bandit epsilon:0.1 rates:3%,3%,4%,4%,6% pulls:200 seed:2; tick 168",
    );
    assert!(!other.met("bandit-for-banners"));
    let rankers = Run::after(CHOOSING, 2);
    assert!(rankers.answer("guess-rankers").starts_with("Interleaving"));
}

#[test]
fn interleaving_needs_fewer_users_the_closer_the_rankers() {
    let far = Run::after(INTERLEAVING, 1);
    let near = Run::after(INTERLEAVING, 2);
    assert!(far.answer("guess-users").starts_with("Interleaving"));
    let ratio = |run: &Run| {
        run.value("experiment.ab_users") as f64 / run.value("experiment.interleaving_users") as f64
    };
    assert_eq!(format!("{:.1}", ratio(&far)), "3.0");
    assert_eq!(format!("{:.1}", ratio(&near)), "7.4");
    // Ranker A the better one: interleaving prefers A, not the goal.
    let reversed = Run::script(
        INTERLEAVING,
        "exp-interleave seed:1 a-noise:1.0 b-noise:1.2",
    );
    assert!(!reversed.met("interleaving-decides"));
}

#[test]
fn the_saving_grows_only_by_comparing_closer_rankers() {
    let solution = "exp-interleave seed:1 a-noise:1.2 b-noise:1.0; exp-interleave seed:1 a-noise:1.1 b-noise:1.0";
    let solved = Run::script(INTERLEAVING, solution);
    assert!(solved.met("close-rankers"));
    assert_eq!(solved.value("experiment.interleaving_seed_repeated"), 1);
    assert_eq!(
        solved.value("experiment.previous_interleaving_noise_gap_centi"),
        20
    );
    // The old shortcut: typing close rankers once, with nothing to compare against.
    let once = Run::script(
        INTERLEAVING,
        "exp-interleave seed:1 a-noise:1.1 b-noise:1.0",
    );
    assert!(!once.met("close-rankers"));
    // Wider after closer: the saving shrinks, not the goal.
    let wider = Run::script(
        INTERLEAVING,
        "exp-interleave seed:1 a-noise:1.1 b-noise:1.0; exp-interleave seed:1 a-noise:1.2 b-noise:1.0",
    );
    assert!(!wider.met("close-rankers"));
    // Other users for the second run: not the same comparison.
    let other_users = Run::script(
        INTERLEAVING,
        "exp-interleave seed:1 a-noise:1.2 b-noise:1.0; exp-interleave seed:2 a-noise:1.1 b-noise:1.0",
    );
    assert_eq!(
        other_users.value("experiment.interleaving_seed_repeated"),
        0
    );
    assert!(!other_users.met("close-rankers"));
    // Ranker A the better one in the second run: not the goal.
    let reversed = Run::script(
        INTERLEAVING,
        "exp-interleave seed:1 a-noise:1.2 b-noise:1.0; exp-interleave seed:1 a-noise:1.0 b-noise:1.1",
    );
    assert!(!reversed.met("close-rankers"));
}
