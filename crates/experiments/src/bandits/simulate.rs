//! A bandit run against Bernoulli arms: the regret curve and each arm's probability of being best.
//!
//! Each pull the policy chooses an arm and a reward of 1 arrives with that arm's success rate, 0
//! otherwise. The curve is the pseudo-regret R_t = Σ_{s ≤ t} (p* − p_{a_s}): what the choices cost
//! against always playing the best arm, free of the rewards' own noise. At the end every arm's
//! probability of being best is read from Beta(1 + successes, 1 + failures) posteriors, whatever
//! the policy, so runs of different policies can be compared on the same footing.

use sim::rng::{Rng, Seed};

use super::arm::ArmIndex;
use super::beta_thompson::{probability_best, BetaPosterior};
use super::policy::{Bandit, Policy, WeightUpdate};
use super::BanditError;
use crate::draws::bernoulli;

/// The most pulls one simulation may run.
pub const MAX_PULLS: u64 = 5_000_000;

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct BanditSimulation {
    pub seed: Seed,
    /// Each arm's true success rate, in 0..=1.
    pub arm_success_rates: Vec<f64>,
    pub pulls: u64,
    pub policy: Policy,
    /// Points on the regret curve (evenly spaced, the last at the final pull).
    pub curve_points: usize,
}

/// The cumulative pseudo-regret after some pulls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegretPoint {
    pub pull: u64,
    pub cumulative_regret: f64,
}

/// One arm at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArmOutcome {
    pub pulls: u64,
    pub successes: u64,
    pub probability_best: f64,
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct BanditRun {
    pub regret_curve: Vec<RegretPoint>,
    pub cumulative_regret: f64,
    pub arms: Vec<ArmOutcome>,
    /// Weight updates of a batch policy (empty for index policies).
    pub weight_history: Vec<WeightUpdate>,
}

fn validate(simulation: &BanditSimulation) -> Result<(), BanditError> {
    if let Some((i, rate)) = simulation
        .arm_success_rates
        .iter()
        .enumerate()
        .find(|(_, r)| !(0.0..=1.0).contains(*r))
    {
        return Err(BanditError::new(
            format!("arm {i}'s success rate is {rate}"),
            "a success rate is a probability between 0 and 1",
        ));
    }
    if simulation.pulls == 0 || simulation.pulls > MAX_PULLS {
        return Err(BanditError::new(
            format!("{} pulls", simulation.pulls),
            format!("use 1 to {MAX_PULLS} pulls"),
        ));
    }
    if simulation.curve_points == 0 || simulation.curve_points > 10_000 {
        return Err(BanditError::new(
            "curve_points out of range",
            "ask for 1 to 10000 curve points",
        ));
    }
    Ok(())
}

/// Runs the simulation. The same settings always give the same run.
pub fn simulate(simulation: &BanditSimulation) -> Result<BanditRun, BanditError> {
    validate(simulation)?;
    let rates = &simulation.arm_success_rates;
    let mut bandit = Bandit::new(simulation.policy.clone(), rates.len(), simulation.seed)?;
    let mut rewards_rng = Rng::new(simulation.seed).fork("bandit/rewards");
    let best_rate = rates.iter().copied().fold(0.0, f64::max);
    let points = simulation.curve_points.min(simulation.pulls as usize) as u64;
    let mut next_point = 1u64;
    let mut regret = 0.0;
    let mut curve = Vec::with_capacity(points as usize);
    for pull in 1..=simulation.pulls {
        let ArmIndex(arm) = bandit.choose();
        let reward = if bernoulli(&mut rewards_rng, rates[arm]) {
            1.0
        } else {
            0.0
        };
        bandit.record(ArmIndex(arm), reward)?;
        regret += best_rate - rates[arm];
        if pull * points >= next_point * simulation.pulls {
            curve.push(RegretPoint {
                pull,
                cumulative_regret: regret,
            });
            next_point += 1;
        }
    }
    let posteriors: Vec<BetaPosterior> = bandit
        .stats()
        .iter()
        .map(BetaPosterior::from_stats)
        .collect();
    let best = probability_best(&posteriors);
    let arms = bandit
        .stats()
        .iter()
        .zip(&best)
        .map(|(s, p)| ArmOutcome {
            pulls: s.pulls,
            successes: s.reward_sum.round() as u64,
            probability_best: *p,
        })
        .collect();
    Ok(BanditRun {
        regret_curve: curve,
        cumulative_regret: regret,
        arms,
        weight_history: bandit.weight_history().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(policy: Policy, seed: u64) -> BanditRun {
        let simulation = BanditSimulation {
            seed: Seed(seed),
            arm_success_rates: vec![0.2, 0.5, 0.8],
            pulls: 2_000,
            policy,
            curve_points: 10,
        };
        simulate(&simulation).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn curve_is_spaced_and_ends_at_the_total() {
        let r = run(Policy::Ucb1, 1);
        let pulls: Vec<u64> = r.regret_curve.iter().map(|p| p.pull).collect();
        assert_eq!(pulls, (1..=10).map(|i| i * 200).collect::<Vec<u64>>());
        assert_eq!(
            r.regret_curve.last().map(|p| p.cumulative_regret),
            Some(r.cumulative_regret)
        );
        assert!(r
            .regret_curve
            .windows(2)
            .all(|w| w[0].cumulative_regret <= w[1].cumulative_regret));
        assert_eq!(r.arms.iter().map(|a| a.pulls).sum::<u64>(), 2_000);
    }

    #[test]
    fn every_policy_finds_the_best_arm() {
        for policy in [
            Policy::EpsilonGreedy { epsilon: 0.1 },
            Policy::Ucb1,
            Policy::BernoulliThompson,
            Policy::GaussianThompson(Default::default()),
        ] {
            let label = policy.label();
            let r = run(policy, 2);
            assert!(
                r.arms[2].pulls > r.arms[0].pulls + r.arms[1].pulls,
                "{label}: {:?}",
                r.arms
            );
            assert!(r.arms[2].probability_best > 0.99, "{label}: {:?}", r.arms);
        }
    }

    #[test]
    fn bad_rates_are_refused() {
        let simulation = BanditSimulation {
            seed: Seed(1),
            arm_success_rates: vec![0.2, 1.2],
            pulls: 10,
            policy: Policy::Ucb1,
            curve_points: 10,
        };
        assert!(simulate(&simulation)
            .unwrap_err()
            .to_string()
            .contains("arm 1's success rate is 1.2"));
    }
}
