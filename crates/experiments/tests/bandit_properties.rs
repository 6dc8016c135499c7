//! Bandit policies checked against their theory.
//!
//! - UCB1's cumulative pseudo-regret, averaged over seeds, stays under Auer, Cesa-Bianchi and
//!   Fischer's (2002) Theorem 1 bound for the simulated arms, a bound tight enough here that a
//!   policy playing uniformly would break it.
//! - Thompson's probabilities of each arm being best sum to 1 (quadrature) and agree with the
//!   share of posterior draws; GrowthBook-style weights sum to 1 and respect the floor.
//! - The same seed gives the same run, for every policy.

use experiments::bandits::arm::ArmStats;
use experiments::bandits::beta_thompson::{
    probability_best, probability_best_sampled, BetaPosterior,
};
use experiments::bandits::gaussian_thompson::{self, GaussianThompsonConfig};
use experiments::bandits::policy::Policy;
use experiments::bandits::simulate::{simulate, BanditSimulation};
use experiments::bandits::ucb1;
use proptest::prelude::*;
use sim::rng::{Rng, Seed};

const UCB_ARMS: [f64; 5] = [0.1, 0.3, 0.5, 0.7, 0.9];
const UCB_PULLS: u64 = 5_000;
const UCB_SEEDS: u64 = 10;

#[test]
fn ucb1_regret_stays_within_the_auer_bound() {
    let bound = ucb1::regret_bound(&UCB_ARMS, UCB_PULLS);
    // Playing arms uniformly costs the mean gap on every pull: the bound must be below that, or the
    // check could not catch a policy that fails to learn.
    let best = UCB_ARMS.iter().copied().fold(0.0, f64::max);
    let uniform_regret =
        UCB_PULLS as f64 * UCB_ARMS.iter().map(|p| best - p).sum::<f64>() / UCB_ARMS.len() as f64;
    assert!(
        bound < uniform_regret,
        "bound {bound} vs uniform {uniform_regret}"
    );
    let mut total = 0.0;
    for seed in 0..UCB_SEEDS {
        let simulation = BanditSimulation {
            seed: Seed(seed),
            arm_success_rates: UCB_ARMS.to_vec(),
            pulls: UCB_PULLS,
            policy: Policy::Ucb1,
            curve_points: 50,
        };
        let run = simulate(&simulation).unwrap_or_else(|e| panic!("{e}"));
        // The bound holds at every horizon, not only the last.
        for point in &run.regret_curve {
            assert!(
                point.cumulative_regret
                    <= ucb1::regret_bound(&UCB_ARMS, point.pull).max(0.0) + 1e-9
                    || point.pull <= 5
            );
        }
        total += run.cumulative_regret;
    }
    let mean_regret = total / UCB_SEEDS as f64;
    eprintln!("UCB1 mean regret {mean_regret:.1} after {UCB_PULLS} pulls; Auer bound {bound:.1}; uniform {uniform_regret:.0}");
    assert!(mean_regret < bound, "{mean_regret} >= {bound}");
    assert!(mean_regret > 0.0);
}

#[test]
fn thompson_and_epsilon_greedy_regret_orders_as_theory_says() {
    // Fixed-ε greedy keeps exploring (linear regret); Thompson's regret grows logarithmically.
    let regret = |policy: Policy| -> f64 {
        (0..4)
            .map(|seed| {
                let simulation = BanditSimulation {
                    seed: Seed(100 + seed),
                    arm_success_rates: vec![0.05, 0.06, 0.08],
                    pulls: 10_000,
                    policy: policy.clone(),
                    curve_points: 10,
                };
                simulate(&simulation)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .cumulative_regret
            })
            .sum::<f64>()
            / 4.0
    };
    let thompson = regret(Policy::BernoulliThompson);
    let greedy = regret(Policy::EpsilonGreedy { epsilon: 0.2 });
    eprintln!("mean regret after 10,000 pulls: Thompson {thompson:.1}, 0.2-greedy {greedy:.1}");
    // 0.2-greedy explores 20 % of pulls uniformly: at least 0.2 · 10,000 · (0.03 + 0.02) / 3 = 33.
    assert!(greedy > 33.0 && thompson < greedy, "{thompson} vs {greedy}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn arm_best_probabilities_sum_to_one_and_match_sampling(
        counts in prop::collection::vec((0u64..400, 0u64..400), 2..5),
        seed in any::<u64>(),
    ) {
        let posteriors: Vec<BetaPosterior> = counts.iter().map(|(s, f)| BetaPosterior::from_counts(*s, *f)).collect();
        let exact = probability_best(&posteriors);
        prop_assert!((exact.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{:?}", exact);
        prop_assert!(exact.iter().all(|p| (-1e-12..=1.0 + 1e-9).contains(p)));
        let sampled = probability_best_sampled(&posteriors, 4_000, &mut Rng::new(Seed(seed)));
        for (e, s) in exact.iter().zip(&sampled) {
            // Five standard errors of a share over 4,000 draws (at most 0.0079 each).
            prop_assert!((e - s).abs() < 0.04, "{:?} vs {:?}", exact, sampled);
        }
    }

    #[test]
    fn growthbook_weights_sum_to_one_above_the_floor(
        arms in prop::collection::vec((1u64..500, 0.0f64..1.0), 2..8),
        seed in any::<u64>(),
    ) {
        let stats: Vec<ArmStats> = arms.iter().map(|(pulls, rate)| {
            let successes = (*pulls as f64 * rate).round();
            ArmStats { pulls: *pulls, reward_sum: successes, reward_sum_squares: successes }
        }).collect();
        let config = GaussianThompsonConfig { draws: 2_000, ..GaussianThompsonConfig::default() };
        let weights = gaussian_thompson::weights(&stats, &config, &mut Rng::new(Seed(seed)));
        prop_assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", weights);
        prop_assert!(weights.iter().all(|w| *w >= config.min_weight - 1e-12), "{:?}", weights);
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    for policy in [
        Policy::EpsilonGreedy { epsilon: 0.1 },
        Policy::Ucb1,
        Policy::BernoulliThompson,
        Policy::GaussianThompson(GaussianThompsonConfig {
            draws: 1_000,
            ..GaussianThompsonConfig::default()
        }),
    ] {
        let simulation = |seed: u64| BanditSimulation {
            seed: Seed(seed),
            arm_success_rates: vec![0.3, 0.35, 0.4],
            pulls: 3_000,
            policy: policy.clone(),
            curve_points: 30,
        };
        let first = simulate(&simulation(5)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Ok(first.clone()),
            simulate(&simulation(5)),
            "{}",
            policy.label()
        );
        if policy != Policy::Ucb1 || first.arms.iter().any(|a| a.pulls > 0) {
            assert_ne!(Ok(first), simulate(&simulation(6)), "{}", policy.label());
        }
    }
}
