//! The experiments lab end to end, driven as lessons drive it (steps through the journal): the
//! results equal the engine's tests called directly on the same users, the SRM bug is caught,
//! weights changed with and without sticky bucketing, the side experiments (peeking,
//! interleaving, a bandit) through commands, refusals that leave no trace, and determinism
//! (live = replay = share link).

mod common;

use common::labs::{command, fresh_lab, run, step};
use lab::experiment_lab::command::{ArmIndex, ExpMetric};
use lab::experiment_lab::glue::experiment_value;
use lab::experiment_lab::world::user_outcome;
use lab::experiments::assign::switched_users;
use lab::experiments::stats::bayesian::{bayesian_test, BayesianConfig};
use lab::experiments::stats::frequentist::{two_sided_ttest, Difference, FrequentistConfig};
use lab::experiments::stats::srm::srm_p_value;
use lab::experiments::stats::statistic::{Proportion, RegressionAdjusted, SampleMean, Statistic};
use lab::rng::Seed;
use lab::state::{Lab, Preset};

fn value(lab: &Lab, field: &str) -> i64 {
    experiment_value(lab, field).unwrap_or_else(|| panic!("experiment.{field} has no value"))
}

/// Per arm: users, purchases, and revenue / pre-revenue moments, rebuilt from the users alone.
#[derive(Default, Clone, Copy)]
struct Rebuilt {
    n: f64,
    purchases: f64,
    revenue: f64,
    revenue_squares: f64,
    pre: f64,
    pre_squares: f64,
    products: f64,
}

fn rebuild(lab: &Lab) -> Vec<Rebuilt> {
    let e = lab.experiments().unwrap();
    let mut arms = vec![Rebuilt::default(); e.setup().arms()];
    for (user, arm) in e.user_arms() {
        let Some(arm) = arm else { continue };
        let o = user_outcome(e.world_seed(), user, &e.lifts_for(user, arm));
        let r = &mut arms[usize::from(arm.0)];
        r.n += 1.0;
        r.purchases += f64::from(u8::from(o.purchased));
        r.revenue += o.revenue;
        r.revenue_squares += o.revenue * o.revenue;
        r.pre += o.pre_revenue;
        r.pre_squares += o.pre_revenue * o.pre_revenue;
        r.products += o.revenue * o.pre_revenue;
    }
    arms
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn the_results_are_the_engines_tests_on_the_same_users() {
    let mut t = fresh_lab(Preset::Experiments, 3);
    step(&mut t, "exp-effect revenue treatment +4%");
    run(&mut t, 48);
    let lab = t.head();
    let arms = rebuild(lab);
    let e = lab.experiments().unwrap();
    assert_eq!(
        e.analysed_per_arm(),
        arms.iter().map(|a| a.n as u64).collect::<Vec<_>>()
    );
    let proportion = |a: &Rebuilt| {
        Statistic::Proportion(Proportion {
            n: a.n,
            sum: a.purchases,
        })
    };
    let direct = two_sided_ttest(
        proportion(&arms[0]),
        proportion(&arms[1]),
        FrequentistConfig::default(),
    );
    let row = e.results().row(ExpMetric::Purchase, ArmIndex(1)).unwrap();
    assert!(row.ready);
    assert!(
        close(row.p_value, direct.p_value),
        "{} {}",
        row.p_value,
        direct.p_value
    );
    assert!(close(row.expected, direct.expected));
    assert!(close(row.ci[0], direct.ci[0]) && close(row.ci[1], direct.ci[1]));
    let bayes = bayesian_test(
        proportion(&arms[0]),
        proportion(&arms[1]),
        BayesianConfig::default(),
    );
    assert!(close(row.chance_to_win, bayes.chance_to_win));
    assert_eq!(
        value(lab, "p_value_x1e6"),
        (direct.p_value * 1e6).floor() as i64
    );
    let srm = srm_p_value(&[arms[0].n, arms[1].n], &[0.5, 0.5]).unwrap();
    assert!(close(e.results().srm_p_value, srm));

    // CUPED on revenue: the adjusted statistic with the pooled theta, as the engine computes it.
    step(&mut t, "exp-cuped on");
    let lab = t.head();
    let adjusted = |a: &Rebuilt| {
        Statistic::Adjusted(RegressionAdjusted {
            n: a.n,
            post: SampleMean {
                n: a.n,
                sum: a.revenue,
                sum_squares: a.revenue_squares,
            },
            pre: SampleMean {
                n: a.n,
                sum: a.pre,
                sum_squares: a.pre_squares,
            },
            post_pre_sum_of_products: a.products,
            theta: 0.0,
        })
    };
    let cuped = two_sided_ttest(
        adjusted(&arms[0]),
        adjusted(&arms[1]),
        FrequentistConfig::default(),
    );
    let plain = two_sided_ttest(
        Statistic::Mean(SampleMean {
            n: arms[0].n,
            sum: arms[0].revenue,
            sum_squares: arms[0].revenue_squares,
        }),
        Statistic::Mean(SampleMean {
            n: arms[1].n,
            sum: arms[1].revenue,
            sum_squares: arms[1].revenue_squares,
        }),
        FrequentistConfig {
            difference: Difference::Relative,
            ..FrequentistConfig::default()
        },
    );
    let row = lab
        .experiments()
        .unwrap()
        .results()
        .row(ExpMetric::Revenue, ArmIndex(1))
        .unwrap();
    assert!(close(row.p_value, cuped.p_value));
    assert!(
        cuped.ci[1] - cuped.ci[0] < 0.8 * (plain.ci[1] - plain.ci[0]),
        "CUPED narrows the interval"
    );
    assert_eq!(value(lab, "cuped_on"), 1);
}

#[test]
fn the_logging_bug_is_caught_by_the_srm_check() {
    let mut healthy = fresh_lab(Preset::Experiments, 5);
    run(&mut healthy, 48);
    assert_eq!(value(healthy.head(), "srm_flagged"), 0);
    let mut buggy = fresh_lab(Preset::Experiments, 5);
    step(&mut buggy, "exp-lose-logs treatment 10%");
    run(&mut buggy, 48);
    let lab = buggy.head();
    assert_eq!(value(lab, "srm_flagged"), 1);
    assert!(value(lab, "srm_p_x1e6") < 1_000);
    assert!(value(lab, "lost_users") > 500);
    assert!(value(lab, "control_users") > value(lab, "treatment_users"));
}

#[test]
fn weights_changed_mid_test_switch_users_unless_sticky() {
    let play = |sticky: &str| {
        let mut t = fresh_lab(Preset::Experiments, 8);
        step(&mut t, sticky);
        run(&mut t, 24);
        let before = t.head().experiments().unwrap().setup().experiment();
        let ids: Vec<String> = t
            .head()
            .experiments()
            .unwrap()
            .user_arms()
            .filter(|(_, arm)| arm.is_some())
            .map(|(u, _)| u.id())
            .collect();
        step(&mut t, "exp-weights 20 80");
        let after = t.head().experiments().unwrap().setup().experiment();
        let engine_count = switched_users(&ids, &before, &after);
        run(&mut t, 24);
        (t, engine_count)
    };
    let (loose, would_switch) = play("exp-sticky off");
    let lab = loose.head();
    assert!(would_switch > 1_000);
    assert_eq!(value(lab, "switched_users"), would_switch as i64);
    assert_eq!(
        value(lab, "srm_flagged"),
        1,
        "dropping switched users skews the split"
    );
    let (sticky, _) = play("exp-sticky on");
    let lab = sticky.head();
    assert_eq!(value(lab, "switched_users"), 0);
    assert_eq!(value(lab, "srm_flagged"), 0);
    assert_eq!(value(lab, "sticky_on"), 1);
}

#[test]
fn a_namespace_keeps_two_experiments_apart_and_a_holdout_keeps_users_out() {
    let mut t = fresh_lab(Preset::Experiments, 2);
    run(&mut t, 6);
    assert!(value(t.head(), "overlap_users") > 0);
    step(&mut t, "exp-restart");
    step(&mut t, "exp-namespace 0-50");
    step(&mut t, "exp-holdout 10");
    run(&mut t, 6);
    let lab = t.head();
    assert_eq!(value(lab, "overlap_users"), 0);
    assert!(value(lab, "other_experiment_users") > 0);
    let arrived = value(lab, "arrived_users");
    let held = value(lab, "holdout_users");
    assert!(
        held > arrived / 20 && held < arrived / 5,
        "{held} of {arrived}"
    );
}

#[test]
fn the_peeking_simulator_runs_through_a_command() {
    let mut t = fresh_lab(Preset::Experiments, 1);
    step(&mut t, "exp-peeking seed:4 tests:300 days:10 users:100");
    let lab = t.head();
    let direct = lab::experiments::peeking::simulate(lab::experiments::peeking::PeekingSetup {
        seed: Seed(4),
        tests: 300,
        days: 10,
        users_per_arm_per_day: 100,
        alpha: 0.05,
        tuning: 5_000.0,
    });
    assert_eq!(
        lab.experiments()
            .unwrap()
            .peeking()
            .unwrap()
            .false_positives,
        direct
    );
    assert_eq!(value(lab, "peeking_tests"), 300);
    assert!(value(lab, "peeking_fpr_permille") > 2 * value(lab, "once_fpr_permille"));
    assert!(value(lab, "sequential_fpr_permille") < value(lab, "peeking_fpr_permille"));
}

#[test]
fn an_interleaving_comparison_runs_through_a_command() {
    let mut t = fresh_lab(Preset::Experiments, 1);
    step(&mut t, "exp-interleave seed:3 a-noise:1.2 b-noise:0.6");
    let lab = t.head();
    let direct = lab::experiments::interleaving::comparison::users_to_decision(
        &lab::experiment_lab::side::interleaving_config(3, 120, 60),
    )
    .unwrap();
    let view = lab.experiments().unwrap().interleaving().unwrap();
    assert_eq!(view.decisions, direct);
    assert!(view.sample_session.is_some());
    assert_eq!(value(lab, "interleaving_winner_b"), 1);
    assert!(value(lab, "interleaving_users") < value(lab, "ab_users"));
    assert!(value(lab, "interleaving_ratio_x100") > 100);
}

#[test]
fn a_bandit_pulls_with_the_clock_and_finds_the_best_arm() {
    let mut t = fresh_lab(Preset::Experiments, 1);
    step(&mut t, "exp-bandit ucb1 rates:20%,50%,80% pulls:50 seed:2");
    run(&mut t, 40);
    let lab = t.head();
    assert_eq!(value(lab, "bandit_pulls"), 2_000);
    assert!(value(lab, "bandit_best_arm_share_permille") > 700);
    assert!(value(lab, "bandit_best_arm_probability_permille") > 990);
    let bandit = lab.experiments().unwrap().bandit().unwrap();
    assert!(
        bandit.regret <= bandit.ucb1_bound(),
        "{} {}",
        bandit.regret,
        bandit.ucb1_bound()
    );
    assert_eq!(bandit.regret_curve.len(), 41);
    step(&mut t, "exp-bandit-stop");
    assert_eq!(value(t.head(), "bandit_pulls"), 0);
}

#[test]
fn refusals_leave_no_trace() {
    let mut t = fresh_lab(Preset::Experiments, 1);
    run(&mut t, 2);
    for (line, words) in [
        ("exp-weights 50 40", "add up to 100"),
        ("exp-weights 34 33 33", "cannot change"),
        ("exp-effect purchase treatment-2 +5%", "no treatment arm 2"),
        ("exp-coverage 0", "coverage"),
        ("exp-bandit-stop", "no bandit"),
        ("exp-peeking tests:2000 days:60 users:2000", "too many"),
        ("exp-key Checkout", "not an experiment key"),
    ] {
        let before = t.head().clone();
        let entries = t.journal().entries().len();
        let end = t.end();
        let rejection = t.apply_at(end, command(line)).expect_err(line);
        assert!(rejection.to_string().contains(words), "{line}: {rejection}");
        assert!(!rejection.hint().is_empty());
        assert_eq!(t.journal().entries().len(), entries);
        assert_eq!(t.head(), &before);
    }
    step(&mut t, "exp-restart");
    step(&mut t, "exp-weights 34 33 33");
    step(&mut t, "exp-effect purchase treatment-2 +5%");
    run(&mut t, 3);
    assert_eq!(value(t.head(), "arms"), 3);
}

#[test]
fn live_replay_and_share_link_agree() {
    let play = |seed| {
        let mut t = fresh_lab(Preset::Experiments, seed);
        step(&mut t, "exp-cuped on");
        run(&mut t, 10);
        step(&mut t, "exp-bandit thompson rates:2%,5% pulls:20 seed:1");
        step(&mut t, "exp-weights 30 70");
        run(&mut t, 10);
        t
    };
    let (a, b) = (play(12), play(12));
    assert_eq!(a.head(), b.head());
    assert_eq!(a.head().state_hash(), b.head().state_hash());
    assert_ne!(a.head().state_hash(), play(13).head().state_hash());
    let link = lab::share_link::encode(a.journal());
    let reopened = lab::share_link::open(&link).unwrap();
    assert_eq!(reopened.head(), a.head());
    let replayed = lab::journal::replay(a.journal(), a.end()).unwrap();
    assert_eq!(&replayed, a.head());
}

#[test]
fn corrections_adjust_every_row_but_the_guardrails() {
    let mut t = fresh_lab(Preset::Experiments, 7);
    step(&mut t, "exp-weights 25 25 25 25");
    step(&mut t, "exp-correction holm");
    run(&mut t, 72);
    let lab = t.head();
    let rows = &lab.experiments().unwrap().results().rows;
    assert_eq!(rows.len(), 12);
    let family: Vec<f64> = rows
        .iter()
        .filter(|r| !r.guardrail)
        .map(|r| r.p_value)
        .collect();
    let holm = lab::experiments::stats::multiple::holm(&family);
    let adjusted: Vec<f64> = rows
        .iter()
        .filter(|r| !r.guardrail)
        .map(|r| r.adjusted_p_value)
        .collect();
    assert_eq!(adjusted, holm);
    for row in rows.iter().filter(|r| r.guardrail) {
        assert_eq!(row.adjusted_p_value, row.p_value);
    }
    assert_eq!(value(lab, "correction_holm"), 1);
    assert!(value(lab, "adjusted_p_value_x1e6") >= value(lab, "p_value_x1e6"));
}
